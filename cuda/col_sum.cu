// Column sums (the bias gradient): out[j] (+)= sum_{i<m} a[i*lda + j].
// One thread per column sums the rows in increasing order, so the result is deterministic; threads of a
// warp take neighbouring columns, so every row read is coalesced.
#include <cuda_runtime.h>

#include "lrn4j/lrn4j_cuda.h"
#include "launch.cuh"

namespace {

constexpr int kThreads = 256;

__global__ void __launch_bounds__(kThreads)
col_sum_kernel(int64_t m, int64_t n, const float* __restrict__ a, int64_t lda, int accumulate,
               float* __restrict__ out) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t j = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; j < n; j += stride) {
    float sum = 0.0f;
    for (int64_t i = 0; i < m; ++i) sum += a[i * lda + j];
    out[j] = accumulate ? out[j] + sum : sum;
  }
}

}  // namespace

// m == 0 still launches when overwriting: out becomes zeros.
LRN4J_CUDA_EXPORT int lrn4j_cuda_col_sum(int64_t m, int64_t n, const float* a, int64_t lda, int accumulate,
                                         float* out, void* stream) {
  if (n == 0 || (m == 0 && accumulate)) return 0;
  col_sum_kernel<<<lrn4j_cuda::grid_blocks(n, kThreads), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
      m, n, a, lda, accumulate, out);
  return static_cast<int>(cudaGetLastError());
}
