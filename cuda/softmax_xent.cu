// Softmax cross-entropy fused with its gradient (see lrn4j_softmax_xent in lrn4j.h). One block per row
// (grid-stride over rows): each thread takes the columns j = tid, tid + 256, ... in increasing order, then
// the block combines the 256 partial results in a fixed tree (shared memory), for the maximum and for the
// double-precision sum of exp(x - max). The gradient (scale / sum) * exp(x - max) is written in a second
// pass over the row (in place when dlogits == logits: each element is read before it is written), and the
// target element is then rewritten by thread 0 from the value read before the pass. Deterministic.
#include <cuda_runtime.h>

#include "lrn4j/lrn4j_cuda.h"
#include "launch.cuh"

namespace {

constexpr int kThreads = 256;

__global__ void __launch_bounds__(kThreads)
softmax_xent_kernel(int64_t m, int64_t n, const float* logits, int64_t ld, const int32_t* __restrict__ targets,
                    float scale, float* __restrict__ loss, float* dlogits, int64_t ldd) {
  __shared__ float smax[kThreads];
  __shared__ double ssum[kThreads];
  const int tid = threadIdx.x;
  for (int64_t i = blockIdx.x; i < m; i += gridDim.x) {
    const float* x = logits + i * ld;
    float* d = dlogits ? dlogits + i * ldd : nullptr;
    const int32_t t = targets[i];
    if (t < 0 || t >= n) {
      const float v = t == -1 ? 0.0f : __int_as_float(0x7fc00000);
      if (tid == 0) loss[i] = v;
      if (d) {
        for (int64_t j = tid; j < n; j += kThreads) d[j] = v;
      }
      continue;  // uniform across the block: every thread read the same target
    }
    float mx = -INFINITY;
    for (int64_t j = tid; j < n; j += kThreads) mx = fmaxf(mx, x[j]);
    smax[tid] = mx;
    __syncthreads();
    for (int s = kThreads / 2; s > 0; s >>= 1) {
      if (tid < s) smax[tid] = fmaxf(smax[tid], smax[tid + s]);
      __syncthreads();
    }
    const float row_max = smax[0];
    double sum = 0.0;
    for (int64_t j = tid; j < n; j += kThreads) sum += exp(static_cast<double>(x[j]) - row_max);
    ssum[tid] = sum;
    __syncthreads();
    for (int s = kThreads / 2; s > 0; s >>= 1) {
      if (tid < s) ssum[tid] += ssum[tid + s];
      __syncthreads();
    }
    const double total = ssum[0];
    const float xt = x[t];
    // Everyone has read smax[0], ssum[0] and x[t] before any thread can overwrite x (in place) or the
    // next row's reduction reuses the shared arrays.
    __syncthreads();
    const double lse = row_max + log(total);
    if (tid == 0) loss[i] = static_cast<float>(lse - xt);
    if (d) {
      const float factor = static_cast<float>(scale / total);
      for (int64_t j = tid; j < n; j += kThreads) d[j] = factor * expf(x[j] - row_max);
      __syncthreads();
      if (tid == 0) d[t] = static_cast<float>(scale * (exp(static_cast<double>(xt) - lse) - 1.0));
    }
  }
}

}  // namespace

LRN4J_CUDA_EXPORT int lrn4j_cuda_softmax_xent(int64_t m, int64_t n, const float* logits, int64_t ld,
                                              const int32_t* targets, float scale, float* loss, float* dlogits,
                                              int64_t ldd, void* stream) {
  if (m == 0) return 0;
  const unsigned int blocks = static_cast<unsigned int>(m < 65535 * 16 ? m : 65535 * 16);
  softmax_xent_kernel<<<blocks, kThreads, 0, static_cast<cudaStream_t>(stream)>>>(m, n, logits, ld, targets, scale,
                                                                                   loss, dlogits, ldd);
  return static_cast<int>(cudaGetLastError());
}
