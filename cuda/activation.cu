// Elementwise activations (lrn4j.h, lrn4j_activation_forward/backward): grid-stride loops. The backward
// passes keep nvcc from contracting into fused multiply-adds (__fmul_rn / __fsub_rn), so they match the
// CPU reference bit for bit; the forward tanh and sigmoid use tanhf and expf (a few float ulps from it).
#include <cuda_runtime.h>

#include "lrn4j/lrn4j.h"
#include "lrn4j/lrn4j_cuda.h"
#include "launch.cuh"

namespace {

constexpr int kThreads = 256;

__global__ void __launch_bounds__(kThreads) activation_forward_kernel(int fn, int64_t n, const float* x, float* y) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    const float v = x[i];
    float r;
    switch (fn) {
      case LRN4J_FN_TANH: r = tanhf(v); break;
      case LRN4J_FN_RELU: r = v < 0.0f ? 0.0f : v; break;
      case LRN4J_FN_SIGMOID: r = __fdiv_rn(1.0f, __fadd_rn(1.0f, expf(-v))); break;
      default: r = v; break;
    }
    y[i] = r;
  }
}

__global__ void __launch_bounds__(kThreads)
activation_backward_kernel(int fn, int64_t n, const float* y, const float* dy, float* dx) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    const float v = y[i];
    const float g = dy[i];
    float r;
    switch (fn) {
      case LRN4J_FN_TANH: r = __fmul_rn(g, __fsub_rn(1.0f, __fmul_rn(v, v))); break;
      case LRN4J_FN_RELU: r = v > 0.0f ? g : 0.0f; break;
      case LRN4J_FN_SIGMOID: r = __fmul_rn(g, __fmul_rn(v, __fsub_rn(1.0f, v))); break;
      default: r = g; break;
    }
    dx[i] = r;
  }
}

}  // namespace

LRN4J_CUDA_EXPORT int lrn4j_cuda_activation_forward(int fn, int64_t n, const float* x, float* y, void* stream) {
  if (n == 0) return 0;
  activation_forward_kernel<<<lrn4j_cuda::grid_blocks(n, kThreads), kThreads, 0,
                              static_cast<cudaStream_t>(stream)>>>(fn, n, x, y);
  return static_cast<int>(cudaGetLastError());
}

LRN4J_CUDA_EXPORT int lrn4j_cuda_activation_backward(int fn, int64_t n, const float* y, const float* dy, float* dx,
                                                     void* stream) {
  if (n == 0) return 0;
  activation_backward_kernel<<<lrn4j_cuda::grid_blocks(n, kThreads), kThreads, 0,
                               static_cast<cudaStream_t>(stream)>>>(fn, n, y, dy, dx);
  return static_cast<int>(cudaGetLastError());
}
