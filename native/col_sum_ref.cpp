// Reference column sums (bias gradient): out[j] (+)= sum over rows i = 0..m-1, in increasing i, of
// a[i*lda + j]. The sum starts from 0 and is added to out afterwards when accumulating.
#include <vector>

#include "kernels.h"

namespace lrn4j::ref {

// Single-threaded: the reference favours the plainest loop; the AVX2 set spreads columns over threads.
void col_sum(int64_t m, int64_t n, const float* a, int64_t lda, int accumulate, float* out, int /*threads*/) {
  std::vector<float> sum(n, 0.0f);
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) sum[j] += a[i * lda + j];
  }
  for (int64_t j = 0; j < n; ++j) out[j] = accumulate ? out[j] + sum[j] : sum[j];
}

}  // namespace lrn4j::ref
