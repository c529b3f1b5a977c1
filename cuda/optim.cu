// Optimizer steps, dropout and the sum of squares (see lrn4j.h and lrn4j_cuda.h). The steps are elementwise
// (grid-stride loops) with the reference's operations in its order; nvcc is kept from contracting them
// into fused multiply-adds (__fmul_rn / __fadd_rn), so they match the CPU reference bit for bit. The sum
// of squares runs in one block: thread t sums elements t, t + 1024, ... in double, then a fixed tree
// combines the 1024 partial sums: deterministic.
#include <cuda_runtime.h>

#include "lrn4j/lrn4j_cuda.h"
#include "launch.cuh"

namespace {

constexpr int kThreads = 256;
constexpr int kSumThreads = 1024;

__global__ void __launch_bounds__(kThreads)
adam_kernel(int64_t n, float* __restrict__ p, const float* __restrict__ g, float* __restrict__ m,
            float* __restrict__ v, float lr, float beta1, float beta2, float eps, float weight_decay,
            float grad_scale, float bias_correction1, float bias_correction2) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    const float gs = __fmul_rn(grad_scale, g[i]);
    const float mi = __fadd_rn(__fmul_rn(beta1, m[i]), __fmul_rn(1.0f - beta1, gs));
    const float vi = __fadd_rn(__fmul_rn(beta2, v[i]), __fmul_rn(1.0f - beta2, __fmul_rn(gs, gs)));
    m[i] = mi;
    v[i] = vi;
    const float update = __fdiv_rn(__fdiv_rn(mi, bias_correction1), __fadd_rn(__fsqrt_rn(__fdiv_rn(vi, bias_correction2)), eps));
    const float pi = p[i];
    p[i] = __fsub_rn(pi, __fmul_rn(lr, __fadd_rn(update, __fmul_rn(weight_decay, pi))));
  }
}

__global__ void __launch_bounds__(kThreads)
sgd_kernel(int64_t n, float* __restrict__ p, const float* __restrict__ g, float* __restrict__ u, float lr,
           float momentum, float weight_decay, float grad_scale, int nesterov) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    const float pi = p[i];
    const float d = __fadd_rn(__fmul_rn(grad_scale, g[i]), __fmul_rn(weight_decay, pi));
    const float ui = __fadd_rn(__fmul_rn(momentum, u[i]), d);
    u[i] = ui;
    const float step = nesterov ? __fadd_rn(d, __fmul_rn(momentum, ui)) : ui;
    p[i] = __fsub_rn(pi, __fmul_rn(lr, step));
  }
}

__global__ void __launch_bounds__(kSumThreads)
sum_squares_kernel(int64_t n, const float* __restrict__ x, double* __restrict__ out) {
  __shared__ double partial[kSumThreads];
  double s = 0.0;
  for (int64_t i = threadIdx.x; i < n; i += kSumThreads) {
    const double v = x[i];
    s += v * v;
  }
  partial[threadIdx.x] = s;
  __syncthreads();
  for (int k = kSumThreads / 2; k > 0; k >>= 1) {
    if (threadIdx.x < k) partial[threadIdx.x] += partial[threadIdx.x + k];
    __syncthreads();
  }
  if (threadIdx.x == 0) *out = partial[0];
}

__device__ __forceinline__ uint32_t fmix32(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85EBCA6Bu;
  h ^= h >> 13;
  h *= 0xC2B2AE35u;
  h ^= h >> 16;
  return h;
}

// Inverted dropout (lrn4j.h, lrn4j_dropout): the same uint32 mask bits as the CPU kernels.
__global__ void __launch_bounds__(kThreads)
dropout_kernel(int64_t n, const float* x, float* y, uint64_t seed, uint64_t offset, uint32_t threshold, float scale) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    const uint64_t j = offset + static_cast<uint64_t>(i);
    const uint32_t bits = fmix32(fmix32(static_cast<uint32_t>(j) ^ static_cast<uint32_t>(seed)) ^
                                 (static_cast<uint32_t>(j >> 32) * 0x9E3779B1u + static_cast<uint32_t>(seed >> 32)));
    y[i] = bits >= threshold ? __fmul_rn(x[i], scale) : 0.0f;
  }
}

}  // namespace

LRN4J_CUDA_EXPORT int lrn4j_cuda_dropout(int64_t n, const float* x, float* y, uint64_t seed, uint64_t offset,
                                         uint32_t threshold, float scale, void* stream) {
  if (n == 0) return 0;
  dropout_kernel<<<lrn4j_cuda::grid_blocks(n, kThreads), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
      n, x, y, seed, offset, threshold, scale);
  return static_cast<int>(cudaGetLastError());
}

LRN4J_CUDA_EXPORT int lrn4j_cuda_adam_step(int64_t n, float* p, const float* g, float* m, float* v, float lr,
                                           float beta1, float beta2, float eps, float weight_decay, float grad_scale,
                                           float bias_correction1, float bias_correction2, void* stream) {
  if (n == 0) return 0;
  adam_kernel<<<lrn4j_cuda::grid_blocks(n, kThreads), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
      n, p, g, m, v, lr, beta1, beta2, eps, weight_decay, grad_scale, bias_correction1, bias_correction2);
  return static_cast<int>(cudaGetLastError());
}

LRN4J_CUDA_EXPORT int lrn4j_cuda_sgd_step(int64_t n, float* p, const float* g, float* u, float lr, float momentum,
                                          float weight_decay, float grad_scale, int nesterov, void* stream) {
  if (n == 0) return 0;
  sgd_kernel<<<lrn4j_cuda::grid_blocks(n, kThreads), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
      n, p, g, u, lr, momentum, weight_decay, grad_scale, nesterov);
  return static_cast<int>(cudaGetLastError());
}

LRN4J_CUDA_EXPORT int lrn4j_cuda_sum_squares(int64_t n, const float* x, double* out, void* stream) {
  sum_squares_kernel<<<1, kSumThreads, 0, static_cast<cudaStream_t>(stream)>>>(n, x, out);
  return static_cast<int>(cudaGetLastError());
}
