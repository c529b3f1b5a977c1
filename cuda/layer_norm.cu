// Grouped layer normalization, forward and backward.
//
// One warp per (row, group) w = r*groups + grp (the index of mean/rstd): lanes stride over the group so
// loads are coalesced, and sums are reduced with an xor butterfly, which leaves the bitwise-same total in
// every lane (float addition is commutative) and is deterministic. Mean and variance are two passes over
// the group (no E[x^2] - E[x]^2 cancellation); the group is re-read from L1/L2. The parameter gradients
// are a separate kernel with one thread per column summing rows in increasing order, deterministic and
// without atomics.
#include <cuda_runtime.h>

#include "lrn4j/lrn4j_cuda.h"
#include "launch.cuh"

namespace {

constexpr int kWarp = 32;
constexpr int kWarpsPerBlock = 8;
constexpr int kThreads = kWarp * kWarpsPerBlock;

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int offset = kWarp / 2; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

// y may be x itself (ldy == ldx), so x and y are not __restrict__: each lane reads x[c] before it writes
// y[c] for the same c only, after both reductions (which read the whole group) have completed.
__global__ void __launch_bounds__(kThreads)
layer_norm_forward_kernel(int64_t m, int64_t groups, int64_t group_size, const float* x, int64_t ldx,
                          const float* __restrict__ gamma, const float* __restrict__ beta, float eps, float* y,
                          int64_t ldy, float* __restrict__ mean, float* __restrict__ rstd) {
  const int lane = threadIdx.x % kWarp;
  const int64_t count = m * groups;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * kWarpsPerBlock;
  // w is the same for all lanes of a warp, so every lane takes part in each shuffle.
  for (int64_t w = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / kWarp; w < count;
       w += stride) {
    const int64_t r = w / groups;
    const int64_t c0 = (w % groups) * group_size;
    const float* xr = x + r * ldx + c0;
    float sum = 0.0f;
    for (int64_t j = lane; j < group_size; j += kWarp) sum += xr[j];
    const float mu = warp_sum(sum) / static_cast<float>(group_size);
    float sq = 0.0f;
    for (int64_t j = lane; j < group_size; j += kWarp) {
      const float d = xr[j] - mu;
      sq += d * d;
    }
    const float var = warp_sum(sq) / static_cast<float>(group_size);
    const float rs = 1.0f / sqrtf(var + eps);
    if (lane == 0) {
      mean[w] = mu;
      rstd[w] = rs;
    }
    float* yr = y + r * ldy + c0;
    for (int64_t j = lane; j < group_size; j += kWarp) {
      const float xhat = (xr[j] - mu) * rs;
      const float gm = gamma != nullptr ? gamma[c0 + j] : 1.0f;
      const float bt = beta != nullptr ? beta[c0 + j] : 0.0f;
      yr[j] = gm * xhat + bt;
    }
  }
}

// dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), dxhat = dy * gamma, per (row, group).
__global__ void __launch_bounds__(kThreads)
layer_norm_backward_dx_kernel(int64_t m, int64_t groups, int64_t group_size, const float* __restrict__ x,
                              int64_t ldx, const float* __restrict__ gamma, const float* __restrict__ mean,
                              const float* __restrict__ rstd, const float* __restrict__ dy, int64_t lddy,
                              float* __restrict__ dx, int64_t lddx) {
  const int lane = threadIdx.x % kWarp;
  const int64_t count = m * groups;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * kWarpsPerBlock;
  for (int64_t w = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / kWarp; w < count;
       w += stride) {
    const int64_t r = w / groups;
    const int64_t c0 = (w % groups) * group_size;
    const float* xr = x + r * ldx + c0;
    const float* dyr = dy + r * lddy + c0;
    const float mu = mean[w];
    const float rs = rstd[w];
    float sum_dxhat = 0.0f;
    float sum_dxhat_xhat = 0.0f;
    for (int64_t j = lane; j < group_size; j += kWarp) {
      const float xhat = (xr[j] - mu) * rs;
      const float dxhat = dyr[j] * (gamma != nullptr ? gamma[c0 + j] : 1.0f);
      sum_dxhat += dxhat;
      sum_dxhat_xhat += dxhat * xhat;
    }
    const float n = static_cast<float>(group_size);
    const float mean_dxhat = warp_sum(sum_dxhat) / n;
    const float mean_dxhat_xhat = warp_sum(sum_dxhat_xhat) / n;
    float* dxr = dx + r * lddx + c0;
    for (int64_t j = lane; j < group_size; j += kWarp) {
      const float xhat = (xr[j] - mu) * rs;
      const float dxhat = dyr[j] * (gamma != nullptr ? gamma[c0 + j] : 1.0f);
      dxr[j] = rs * (dxhat - mean_dxhat - xhat * mean_dxhat_xhat);
    }
  }
}

// dgamma[c] += sum_r dy * xhat, dbeta[c] += sum_r dy; either may be NULL (not both: then nothing launches).
__global__ void __launch_bounds__(kThreads)
layer_norm_backward_params_kernel(int64_t m, int64_t groups, int64_t group_size, const float* __restrict__ x,
                                  int64_t ldx, const float* __restrict__ mean, const float* __restrict__ rstd,
                                  const float* __restrict__ dy, int64_t lddy, float* __restrict__ dgamma,
                                  float* __restrict__ dbeta) {
  const int64_t columns = groups * group_size;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; c < columns; c += stride) {
    const int64_t grp = c / group_size;
    float sum_dy_xhat = 0.0f;
    float sum_dy = 0.0f;
    for (int64_t r = 0; r < m; ++r) {
      const int64_t w = r * groups + grp;
      const float d = dy[r * lddy + c];
      sum_dy_xhat += d * ((x[r * ldx + c] - mean[w]) * rstd[w]);
      sum_dy += d;
    }
    if (dgamma != nullptr) dgamma[c] += sum_dy_xhat;
    if (dbeta != nullptr) dbeta[c] += sum_dy;
  }
}

}  // namespace

LRN4J_CUDA_EXPORT int lrn4j_cuda_layer_norm_forward(int64_t m, int64_t groups, int64_t group_size,
                                                    const float* x, int64_t ldx, const float* gamma,
                                                    const float* beta, float eps, float* y, int64_t ldy,
                                                    float* mean, float* rstd, void* stream) {
  if (m == 0 || groups == 0 || group_size == 0) return 0;
  layer_norm_forward_kernel<<<lrn4j_cuda::grid_blocks(m * groups, kWarpsPerBlock), kThreads, 0,
                              static_cast<cudaStream_t>(stream)>>>(m, groups, group_size, x, ldx, gamma, beta,
                                                                   eps, y, ldy, mean, rstd);
  return static_cast<int>(cudaGetLastError());
}

LRN4J_CUDA_EXPORT int lrn4j_cuda_layer_norm_backward(int64_t m, int64_t groups, int64_t group_size,
                                                     const float* x, int64_t ldx, const float* gamma,
                                                     const float* mean, const float* rstd, const float* dy,
                                                     int64_t lddy, float* dx, int64_t lddx, float* dgamma,
                                                     float* dbeta, void* stream) {
  if (m == 0 || groups == 0 || group_size == 0) return 0;
  const cudaStream_t s = static_cast<cudaStream_t>(stream);
  layer_norm_backward_dx_kernel<<<lrn4j_cuda::grid_blocks(m * groups, kWarpsPerBlock), kThreads, 0, s>>>(
      m, groups, group_size, x, ldx, gamma, mean, rstd, dy, lddy, dx, lddx);
  if (dgamma != nullptr || dbeta != nullptr) {
    layer_norm_backward_params_kernel<<<lrn4j_cuda::grid_blocks(groups * group_size, kThreads), kThreads, 0, s>>>(
        m, groups, group_size, x, ldx, mean, rstd, dy, lddy, dgamma, dbeta);
  }
  return static_cast<int>(cudaGetLastError());
}
