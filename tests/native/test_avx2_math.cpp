// Accuracy of the vectorised exp, sigmoid and tanh of native/avx2_math.h against double precision,
// over a sweep of float bit patterns of both signs (every 61st pattern: all exponents, subnormals and
// the saturated tails included) plus a dense grid over [-12, 12] where the scan's gates live; also NaN
// propagation, saturation, and that the N-vector forms give the same bits as the 1-vector forms.
// The bounds checked here are the ones stated in avx2_math.h. Exit code: 0 pass, 1 fail, 77 (skip)
// when the CPU has no AVX2/FMA.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "avx2_math.h"
#include "harness.h"

namespace {

using namespace lrn4j::avx2;

struct Worst {
  double abs = 0, rel = 0;
  float at_abs = 0, at_rel = 0;
  void add(float x, double got, double ref, bool relative) {
    const double e = std::fabs(got - ref);
    if (!(e <= abs)) { abs = e; at_abs = x; }
    if (relative && ref != 0) {
      const double r = e / std::fabs(ref);
      if (!(r <= rel)) { rel = r; at_rel = x; }
    }
  }
};

int failures = 0;

void expect(bool ok, const char* what, double value, double bound, float at) {
  std::printf("%-36s %.3g (bound %.3g, worst at x = %.9g)\n", what, value, bound, at);
  if (!ok) {
    std::printf("FAIL: %s\n", what);
    ++failures;
  }
}

float bits_to_float(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

}  // namespace

int main() {
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
    std::printf("SKIP: this CPU has no AVX2/FMA\n");
    return harness::kSkip;
  }
  Worst sig, th, ex;
  float in[8], out_s[8], out_t[8], out_e[8];
  auto run8 = [&](const float* x) {
    const __m256 v = _mm256_loadu_ps(x);
    _mm256_storeu_ps(out_s, sigmoid_ps(v));
    _mm256_storeu_ps(out_t, tanh_ps(v));
    const __m256 c = _mm256_min_ps(_mm256_set1_ps(87.0f), _mm256_max_ps(_mm256_set1_ps(-87.0f), v));
    _mm256_storeu_ps(out_e, exp_ps(c));
    for (int i = 0; i < 8; ++i) {
      const double xd = x[i];
      sig.add(x[i], out_s[i], 1.0 / (1.0 + std::exp(-xd)), false);
      th.add(x[i], out_t[i], std::tanh(xd), std::fabs(xd) < 1.0);
      const double cd = std::fmin(87.0, std::fmax(-87.0, xd));
      ex.add(x[i], out_e[i], std::exp(cd), true);
    }
  };
  int n = 0;
  for (uint64_t b = 0; b < (uint64_t{1} << 31); b += 61) {
    const float f = bits_to_float(static_cast<uint32_t>(b));
    if (!std::isfinite(f)) continue;
    in[n++] = f;
    in[n++] = -f;
    if (n == 8) { run8(in); n = 0; }
  }
  for (double x = -12; x <= 12; x += 1.0 / 4096) {
    in[n++] = static_cast<float>(x);
    if (n == 8) { run8(in); n = 0; }
  }
  // Stated in avx2_math.h; the requirement is 1e-6 absolute for sigmoid and tanh.
  expect(sig.abs <= 1.0e-7, "sigmoid max absolute error", sig.abs, 1.0e-7, sig.at_abs);
  expect(th.abs <= 2.0e-7, "tanh max absolute error", th.abs, 2.0e-7, th.at_abs);
  expect(th.rel <= 2.0e-7, "tanh max relative error (|x| < 1)", th.rel, 2.0e-7, th.at_rel);
  expect(ex.rel <= 1.0e-7, "exp max relative error ([-87, 87])", ex.rel, 1.0e-7, ex.at_rel);

  // NaN propagates; saturation is exact.
  const __m256 nan = _mm256_set1_ps(std::nanf(""));
  float v[8];
  _mm256_storeu_ps(v, sigmoid_ps(nan));
  expect(std::isnan(v[0]), "sigmoid(NaN) is NaN", 0, 0, 0);
  _mm256_storeu_ps(v, tanh_ps(nan));
  expect(std::isnan(v[0]), "tanh(NaN) is NaN", 0, 0, 0);
  _mm256_storeu_ps(v, tanh_ps(_mm256_set1_ps(30.0f)));
  expect(v[0] == 1.0f, "tanh(30) == 1", v[0], 1, 30);
  _mm256_storeu_ps(v, tanh_ps(_mm256_set1_ps(-30.0f)));
  expect(v[0] == -1.0f, "tanh(-30) == -1", v[0], -1, -30);
  _mm256_storeu_ps(v, sigmoid_ps(_mm256_set1_ps(-200.0f)));
  expect(v[0] >= 0.0f && v[0] < 1e-37f, "sigmoid(-200) in [0, 1e-37)", v[0], 1e-37, -200);
  _mm256_storeu_ps(v, sigmoid_ps(_mm256_set1_ps(200.0f)));
  expect(v[0] == 1.0f, "sigmoid(200) == 1", v[0], 1, 200);

  // Evaluating several vectors together changes no bit.
  __m256 many_s[3], many_t[3];
  float xs[24];
  for (int i = 0; i < 24; ++i) xs[i] = -6.0f + 0.53f * i;
  for (int k = 0; k < 3; ++k) many_s[k] = many_t[k] = _mm256_loadu_ps(xs + 8 * k);
  sigmoid_n(many_s);
  tanh_n(many_t);
  bool same = true;
  for (int k = 0; k < 3; ++k) {
    const __m256 one_s = sigmoid_ps(_mm256_loadu_ps(xs + 8 * k));
    const __m256 one_t = tanh_ps(_mm256_loadu_ps(xs + 8 * k));
    same = same && std::memcmp(&one_s, &many_s[k], 32) == 0 && std::memcmp(&one_t, &many_t[k], 32) == 0;
  }
  expect(same, "N-vector forms equal 1-vector forms", same, 1, 0);
  std::printf(failures ? "test_avx2_math: %d failures\n" : "test_avx2_math: all checks passed\n", failures);
  return failures ? 1 : 0;
}
