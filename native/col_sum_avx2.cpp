// AVX2 column sums. Columns are cut into fixed chunks (independent of the thread count) that threads
// share out; a chunk's running sums stay in registers while the rows are added in increasing order.
// Every column is summed from 0 with plain float adds in row order, exactly as in the reference, so the
// results are bit-identical to it for any thread count.
#include <immintrin.h>

#include "kernels.h"

namespace lrn4j::avx2 {
namespace {

constexpr int64_t kChunk = 64;  // columns per chunk: 8 accumulators, two cache lines of each row

inline void finish(float* out, __m256 sum, bool accumulate) {
  _mm256_storeu_ps(out, accumulate ? _mm256_add_ps(_mm256_loadu_ps(out), sum) : sum);
}

void sum_full_chunk(int64_t m, const float* a, int64_t lda, bool accumulate, float* out) {
  __m256 s[8];
  for (auto& v : s) v = _mm256_setzero_ps();
  for (int64_t i = 0; i < m; ++i) {
    const float* row = a + i * lda;
#pragma GCC unroll 8
    for (int u = 0; u < 8; ++u) s[u] = _mm256_add_ps(s[u], _mm256_loadu_ps(row + 8 * u));
  }
  for (int u = 0; u < 8; ++u) finish(out + 8 * u, s[u], accumulate);
}

// The last, narrower chunk: whole vectors, then single columns.
void sum_partial_chunk(int64_t m, int64_t width, const float* a, int64_t lda, bool accumulate, float* out) {
  int64_t j = 0;
  for (; j + 8 <= width; j += 8) {
    __m256 s = _mm256_setzero_ps();
    for (int64_t i = 0; i < m; ++i) s = _mm256_add_ps(s, _mm256_loadu_ps(a + i * lda + j));
    finish(out + j, s, accumulate);
  }
  for (; j < width; ++j) {
    float s = 0.0f;
    for (int64_t i = 0; i < m; ++i) s += a[i * lda + j];
    out[j] = accumulate ? out[j] + s : s;
  }
}

}  // namespace

void col_sum(int64_t m, int64_t n, const float* a, int64_t lda, int accumulate, float* out, int threads) {
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  const int nt = static_cast<int>(std::min<int64_t>(chunks, threads_for(m * n, int64_t{1} << 16, threads)));
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t ch = 0; ch < chunks; ++ch) {
    const int64_t j0 = ch * kChunk;
    const int64_t width = std::min(kChunk, n - j0);
    if (width == kChunk) {
      sum_full_chunk(m, a + j0, lda, accumulate != 0, out + j0);
    } else {
      sum_partial_chunk(m, width, a + j0, lda, accumulate != 0, out + j0);
    }
  }
}

}  // namespace lrn4j::avx2
