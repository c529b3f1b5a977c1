// Shared helpers of the native kernel harness: seeded random data, poisoned outputs, and the
// abs + rel*|ref| comparison used by every parity check.
#ifndef LRN4J_TESTS_HARNESS_H
#define LRN4J_TESTS_HARNESS_H

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <vector>

namespace harness {

constexpr int kSkip = 77;

inline std::vector<float> random_vec(size_t n, std::mt19937& rng, float lo = -1.0f, float hi = 1.0f) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// Output buffers start as NaN so that an element a kernel forgets to write fails the comparison.
inline std::vector<float> poisoned(size_t n) {
  return std::vector<float>(n, std::numeric_limits<float>::quiet_NaN());
}

// Counts failures; prints the first few with their context.
struct Checker {
  int failures = 0;
  int printed = 0;

  // Compares got against ref element by element: |got - ref| <= abs_tol + rel_tol*|ref|, NaN never passes.
  bool close(const char* what, const float* got, const float* ref, size_t n, double abs_tol, double rel_tol) {
    for (size_t i = 0; i < n; ++i) {
      double g = got[i], r = ref[i];
      bool ok = std::isfinite(g) && std::isfinite(r) && std::fabs(g - r) <= abs_tol + rel_tol * std::fabs(r);
      if (!ok) {
        ++failures;
        if (printed++ < 10) std::fprintf(stderr, "MISMATCH %s at %zu: got %.9g want %.9g\n", what, i, g, r);
        return false;
      }
    }
    return true;
  }

  int exit_code(const char* name) const {
    if (failures) {
      std::fprintf(stderr, "%s: %d failing checks\n", name, failures);
      return 1;
    }
    std::printf("%s: all checks passed\n", name);
    return 0;
  }
};

}  // namespace harness

#endif
