// Embedding lookup and its backward (see lrn4j_embedding_gather / _scatter_add in lrn4j.h).
// Lookup: a grid-stride loop over the m x d output elements, coalesced along d.
// Backward without atomics: thread (j, p) owns column j of the table rows whose id % kPartitions == p;
// it reads every id in increasing i (the ids are shared by all threads and stay in cache) and adds the
// rows of its partition in that order, so each table element receives its additions in the reference's
// order (deterministic) and no two threads write the same element.
#include <cuda_runtime.h>

#include "lrn4j/lrn4j_cuda.h"
#include "launch.cuh"

namespace {

constexpr int kThreads = 256;
constexpr int kPartitions = 64;

__global__ void __launch_bounds__(kThreads)
gather_kernel(int64_t m, int64_t d, const int32_t* __restrict__ ids, const float* __restrict__ table, int64_t rows,
              int64_t ldt, float* __restrict__ out, int64_t ldo) {
  const int64_t total = m * d;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += stride) {
    const int64_t i = e / d, j = e % d;
    const int32_t id = ids[i];
    float v;
    if (id >= 0 && id < rows) {
      v = table[id * ldt + j];
    } else {
      v = id == -1 ? 0.0f : __int_as_float(0x7fc00000);
    }
    out[i * ldo + j] = v;
  }
}

__global__ void __launch_bounds__(kThreads)
scatter_add_kernel(int64_t m, int64_t d, const int32_t* __restrict__ ids, const float* __restrict__ dout,
                   int64_t ldo, float* __restrict__ dtable, int64_t rows, int64_t ldt) {
  const int64_t total = d * kPartitions;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += stride) {
    const int64_t j = e % d;
    const int32_t p = static_cast<int32_t>(e / d);
    for (int64_t i = 0; i < m; ++i) {
      const int32_t id = ids[i];
      if (id < 0 || id >= rows || id % kPartitions != p) continue;
      dtable[id * ldt + j] += dout[i * ldo + j];
    }
  }
}

}  // namespace

LRN4J_CUDA_EXPORT int lrn4j_cuda_embedding_gather(int64_t m, int64_t d, const int32_t* ids, const float* table,
                                                  int64_t rows, int64_t ldt, float* out, int64_t ldo, void* stream) {
  if (m == 0 || d == 0) return 0;
  gather_kernel<<<lrn4j_cuda::grid_blocks(m * d, kThreads), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
      m, d, ids, table, rows, ldt, out, ldo);
  return static_cast<int>(cudaGetLastError());
}

LRN4J_CUDA_EXPORT int lrn4j_cuda_embedding_scatter_add(int64_t m, int64_t d, const int32_t* ids, const float* dout,
                                                       int64_t ldo, float* dtable, int64_t rows, int64_t ldt,
                                                       void* stream) {
  if (m == 0 || d == 0) return 0;
  scatter_add_kernel<<<lrn4j_cuda::grid_blocks(d * kPartitions, kThreads), kThreads, 0,
                       static_cast<cudaStream_t>(stream)>>>(m, d, ids, dout, ldo, dtable, rows, ldt);
  return static_cast<int>(cudaGetLastError());
}
