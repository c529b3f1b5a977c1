// Column sums (the bias gradient): out[j] (+)= sum_{i<m} a[i*lda + j].
//
// A block of 1024 threads owns a strip of 8 columns (one 32-byte sector of each row) and splits the rows over
// 128 lanes: lane r sums rows r, r + 128, r + 256, ... in increasing order from 0, then the 128 lane sums of a
// column are added in a fixed pairwise tree (lane r takes lane r + w for w = 64, 32, ..., 1). The order
// depends on m alone, never on the grid or the GPU, so the result is deterministic. Narrow strips give even a
// few hundred columns enough blocks to spread the reads over the SMs, and the lanes keep many rows in flight
// per column. No memory outside the block is needed.
#include <cuda_runtime.h>

#include "lrn4j/lrn4j_cuda.h"
#include "launch.cuh"

namespace {

constexpr int kCols = 8;
constexpr int kLanes = 128;
constexpr int kThreads = kCols * kLanes;
// Rows whose loads a lane issues before it adds them.
constexpr int kBatch = 8;

__global__ void __launch_bounds__(kThreads)
col_sum_kernel(int64_t m, int64_t n, const float* __restrict__ a, int64_t lda, int accumulate,
               float* __restrict__ out) {
  __shared__ float part[kLanes][kCols];
  const int col = threadIdx.x % kCols;
  const int lane = threadIdx.x / kCols;
  const int64_t lane_stride = kLanes * lda;
  // The strip loop is uniform across the block, so the barriers inside are reached by every thread.
  for (int64_t j0 = static_cast<int64_t>(blockIdx.x) * kCols; j0 < n; j0 += static_cast<int64_t>(gridDim.x) * kCols) {
    const int64_t j = j0 + col;
    float sum = 0.0f;
    if (j < n) {
      const float* p = a + lane * lda + j;
      int64_t i = lane;
      for (; i + (kBatch - 1) * kLanes < m; i += kBatch * kLanes) {
        float v[kBatch];
#pragma unroll
        for (int u = 0; u < kBatch; ++u) v[u] = p[u * lane_stride];
#pragma unroll
        for (int u = 0; u < kBatch; ++u) sum += v[u];
        p += kBatch * lane_stride;
      }
      for (; i < m; i += kLanes) {
        sum += *p;
        p += lane_stride;
      }
    }
    part[lane][col] = sum;
    __syncthreads();
#pragma unroll
    for (int w = kLanes / 2; w > 0; w /= 2) {
      if (lane < w) part[lane][col] += part[lane + w][col];
      __syncthreads();
    }
    // Only lane 0 reads part[0] after the last barrier, and only it writes part[0] in the next strip.
    if (lane == 0 && j < n) out[j] = accumulate ? out[j] + part[0][col] : part[0][col];
  }
}

}  // namespace

// m == 0 still launches when overwriting: out becomes zeros.
LRN4J_CUDA_EXPORT int lrn4j_cuda_col_sum(int64_t m, int64_t n, const float* a, int64_t lda, int accumulate,
                                         float* out, void* stream) {
  if (n == 0 || (m == 0 && accumulate)) return 0;
  col_sum_kernel<<<lrn4j_cuda::grid_blocks(n, kCols), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
      m, n, a, lda, accumulate, out);
  return static_cast<int>(cudaGetLastError());
}
