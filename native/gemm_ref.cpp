// Reference GEMM: C = op(A).op(B) [+ bias] [+ C] as plain loops. Each C element is one float sum over
// p = 0..K-1 in increasing order, then bias is added, then (when accumulating) the old C. Rows of C are
// independent, so they are spread over threads without changing any result.
#include <vector>

#include "kernels.h"

namespace lrn4j::ref {

void gemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
          const float* b, int64_t ldb, const float* bias, int accumulate, float* c, int64_t ldc, int threads) {
  auto a_at = [&](int64_t i, int64_t p) { return trans_a ? a[p * lda + i] : a[i * lda + p]; };
  auto b_at = [&](int64_t p, int64_t j) { return trans_b ? b[j * ldb + p] : b[p * ldb + j]; };

  const int nt = threads_for(m * n * k, int64_t{1} << 16, threads);
#pragma omp parallel num_threads(nt)
  {
    std::vector<float> row(n);
#pragma omp for schedule(static)
    for (int64_t i = 0; i < m; ++i) {
      // The row is accumulated p-outer so that B is read along its rows when it is not transposed; each
      // element still sums its products in increasing p.
      std::fill(row.begin(), row.end(), 0.0f);
      for (int64_t p = 0; p < k; ++p) {
        const float aip = a_at(i, p);
        for (int64_t j = 0; j < n; ++j) row[j] += aip * b_at(p, j);
      }
      float* ci = c + i * ldc;
      for (int64_t j = 0; j < n; ++j) {
        const float v = bias ? row[j] + bias[j] : row[j];
        ci[j] = accumulate ? ci[j] + v : v;
      }
    }
  }
}

}  // namespace lrn4j::ref
