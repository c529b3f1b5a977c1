// AVX2 embedding lookup and its backward (see lrn4j.h). The lookup copies rows, spread over threads by
// row. The backward gives each thread a block of columns and walks all ids in increasing i inside it,
// so every table element receives its additions in the same order as the reference (bit-identical, for
// any thread count) and no two threads write the same element.
#include <immintrin.h>

#include <cstring>
#include <limits>

#include "kernels.h"

namespace lrn4j::avx2 {

void embedding_gather(int64_t m, int64_t d, const int32_t* ids, const float* table, int64_t rows, int64_t ldt,
                      float* out, int64_t ldo, int threads) {
  const int nt = threads_for(m * d, int64_t{1} << 16, threads);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t i = 0; i < m; ++i) {
    const int32_t id = ids[i];
    float* o = out + i * ldo;
    if (id >= 0 && id < rows) {
      std::memcpy(o, table + id * ldt, static_cast<size_t>(d) * sizeof(float));
    } else {
      const float v = id == -1 ? 0.0f : std::numeric_limits<float>::quiet_NaN();
      for (int64_t j = 0; j < d; ++j) o[j] = v;
    }
  }
}

void embedding_scatter_add(int64_t m, int64_t d, const int32_t* ids, const float* dout, int64_t ldo, float* dtable,
                           int64_t rows, int64_t ldt, int threads) {
  constexpr int64_t kBlock = 64;  // columns per task: 8 vectors
  const int64_t blocks = (d + kBlock - 1) / kBlock;
  const int nt = static_cast<int>(std::min<int64_t>(blocks, threads_for(m * d, int64_t{1} << 16, threads)));
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t blk = 0; blk < blocks; ++blk) {
    const int64_t j0 = blk * kBlock;
    const int64_t w = std::min(kBlock, d - j0);
    const int64_t full = w / 8 * 8;
    for (int64_t i = 0; i < m; ++i) {
      const int32_t id = ids[i];
      if (id < 0 || id >= rows) continue;
      float* t = dtable + id * ldt + j0;
      const float* g = dout + i * ldo + j0;
      for (int64_t j = 0; j < full; j += 8) {
        _mm256_storeu_ps(t + j, _mm256_add_ps(_mm256_loadu_ps(t + j), _mm256_loadu_ps(g + j)));
      }
      for (int64_t j = full; j < w; ++j) t[j] += g[j];
    }
  }
}

}  // namespace lrn4j::avx2
