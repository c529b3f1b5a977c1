// Reference softmax cross-entropy (see lrn4j_softmax_xent in lrn4j.h): per row, the maximum, the sum of
// exp(x_j - max) in double in increasing j, lse = max + log(sum); loss = lse - x_target; the gradient
// scale * (exp(x_j - lse) - [j == target]). Rows are independent and may run on any thread.
#include <cmath>
#include <limits>

#include "kernels.h"

namespace lrn4j::ref {

void softmax_xent(int64_t m, int64_t n, const float* logits, int64_t ld, const int32_t* targets, float scale,
                  float* loss, float* dlogits, int64_t ldd, int threads) {
  const int nt = threads_for(m * n, int64_t{1} << 15, threads);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t i = 0; i < m; ++i) {
    const float* x = logits + i * ld;
    float* d = dlogits ? dlogits + i * ldd : nullptr;
    const int32_t t = targets[i];
    if (t == -1) {
      loss[i] = 0.0f;
      if (d) {
        for (int64_t j = 0; j < n; ++j) d[j] = 0.0f;
      }
      continue;
    }
    if (t < -1 || t >= n) {
      const float nan = std::numeric_limits<float>::quiet_NaN();
      loss[i] = nan;
      if (d) {
        for (int64_t j = 0; j < n; ++j) d[j] = nan;
      }
      continue;
    }
    float mx = x[0];
    for (int64_t j = 1; j < n; ++j) mx = std::fmax(mx, x[j]);
    double sum = 0.0;
    for (int64_t j = 0; j < n; ++j) sum += std::exp(static_cast<double>(x[j]) - mx);
    const double lse = mx + std::log(sum);
    loss[i] = static_cast<float>(lse - x[t]);
    if (d) {
      // In place (d == x) each element is read before it is written.
      for (int64_t j = 0; j < n; ++j) {
        const double p = std::exp(static_cast<double>(x[j]) - lse);
        d[j] = static_cast<float>(scale * (p - (j == t ? 1.0 : 0.0)));
      }
    }
  }
}

}  // namespace lrn4j::ref
