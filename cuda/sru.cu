// The SRU scan, forward and backward (lrn4j_sru_scan_forward / _backward in lrn4j.h), with the structure of
// the LRN scan (lrn_scan.cu): one thread per (batch, hidden) column col = b*H + j, threads of a warp on
// neighbouring units so that every plane load and store is coalesced. The cell state (forward), the
// gradient carry and the two v-gradient sums (backward) stay in registers for the whole walk over time;
// each thread writes only its own column, and dv holds one row per sequence that the caller sums with the
// column-sum kernel: no atomics anywhere. Accurate expf/tanhf, as in the LRN scan.
#include <cuda_runtime.h>

#include "lrn4j/lrn4j.h"
#include "lrn4j/lrn4j_cuda.h"
#include "launch.cuh"

namespace {

constexpr int kThreads = 128;

__device__ __forceinline__ float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

__global__ void __launch_bounds__(kThreads)
sru_scan_forward_kernel(int64_t t_len, int64_t batch, int64_t hidden, int64_t k, const float* __restrict__ u,
                        int64_t ldu, const float* __restrict__ x, int64_t ldx, const float* __restrict__ v,
                        const float* __restrict__ bias, const float* __restrict__ c0,
                        const int32_t* __restrict__ lengths, int act, int reverse, float* __restrict__ h, int64_t ldh,
                        float* __restrict__ c, int64_t ldc, float* __restrict__ c_last) {
  const int64_t H = hidden;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t col = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; col < batch * H; col += stride) {
    const int64_t b = col / H;
    const int64_t j = col % H;
    const int64_t len = lengths != nullptr ? lengths[b] : t_len;
    const float vf = v[j], vr = v[H + j], bf = bias[j], br = bias[H + j];
    float state = c0 != nullptr ? c0[col] : 0.0f;
    for (int64_t s = 0; s < t_len; ++s) {
      const int64_t t = reverse ? t_len - 1 - s : s;
      const int64_t row = t * batch + b;
      float out = 0.0f;
      if (t < len) {
        const float* ur = u + row * ldu + j;
        const float f = sigmoid(ur[H] + vf * state + bf);
        const float r = sigmoid(ur[2 * H] + vr * state + br);
        state = f * state + (1.0f - f) * ur[0];
        const float g = act == LRN4J_ACT_TANH ? tanhf(state) : state;
        const float xh = k == 4 ? ur[3 * H] : x[row * ldx + j];
        out = r * g + (1.0f - r) * xh;
      }
      h[row * ldh + j] = out;
      c[row * ldc + j] = state;
    }
    if (c_last != nullptr) c_last[col] = state;
  }
}

// Walks the steps in the opposite order of the forward call. The state before step t is c0 for the first
// step the forward call processed, else c of the step processed just before t (t-1 forward, t+1 reverse);
// in reverse order a sequence's first active step t = len-1 < T-1 reads c[t+1], padding that holds c0.
__global__ void __launch_bounds__(kThreads)
sru_scan_backward_kernel(int64_t t_len, int64_t batch, int64_t hidden, int64_t k, const float* __restrict__ u,
                         int64_t ldu, const float* __restrict__ x, int64_t ldx, const float* __restrict__ v,
                         const float* __restrict__ bias, const float* __restrict__ c0,
                         const int32_t* __restrict__ lengths, int act, int reverse, const float* __restrict__ c,
                         int64_t ldc, const float* __restrict__ dh, int64_t lddh, const float* __restrict__ dc_last,
                         float* __restrict__ du, int64_t lddu, float* __restrict__ dx, int64_t lddx,
                         float* __restrict__ dv, float* __restrict__ dc0) {
  const int64_t H = hidden;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t col = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; col < batch * H; col += stride) {
    const int64_t b = col / H;
    const int64_t j = col % H;
    const int64_t len = lengths != nullptr ? lengths[b] : t_len;
    const float vf = v[j], vr = v[H + j], bf = bias[j], br = bias[H + j];
    const float c_init = c0 != nullptr ? c0[col] : 0.0f;
    float carry = dc_last != nullptr ? dc_last[col] : 0.0f;
    float dvf = 0.0f, dvr = 0.0f;
    for (int64_t s = 0; s < t_len; ++s) {
      const int64_t t = reverse ? s : t_len - 1 - s;
      const int64_t row = t * batch + b;
      float* dur = du + row * lddu + j;
      if (t >= len) {
        for (int64_t p = 0; p < k; ++p) dur[p * H] = 0.0f;
        continue;
      }
      const bool first = reverse ? t == t_len - 1 : t == 0;
      const int64_t t_prev = reverse ? t + 1 : t - 1;
      const float cp = first ? c_init : c[(t_prev * batch + b) * ldc + j];
      const float* ur = u + row * ldu + j;
      const float f = sigmoid(ur[H] + vf * cp + bf);
      const float r = sigmoid(ur[2 * H] + vr * cp + br);
      const float cn = c[row * ldc + j];
      const float g = act == LRN4J_ACT_TANH ? tanhf(cn) : cn;
      const float xh = k == 4 ? ur[3 * H] : x[row * ldx + j];
      const float dhj = dh != nullptr ? dh[row * lddh + j] : 0.0f;
      const float drj = dhj * (g - xh) * r * (1.0f - r);
      const float dct = carry + (act == LRN4J_ACT_TANH ? dhj * r * (1.0f - g * g) : dhj * r);
      const float dfj = dct * (cp - ur[0]) * f * (1.0f - f);
      dur[0] = dct * (1.0f - f);
      dur[H] = dfj;
      dur[2 * H] = drj;
      const float dhigh = dhj * (1.0f - r);
      if (k == 4) {
        dur[3 * H] = dhigh;
      } else {
        dx[row * lddx + j] += dhigh;
      }
      dvf += dfj * cp;
      dvr += drj * cp;
      carry = dct * f + dfj * vf + drj * vr;
    }
    dv[b * 2 * H + j] = dvf;
    dv[b * 2 * H + H + j] = dvr;
    if (dc0 != nullptr) dc0[col] = carry;
  }
}

}  // namespace

LRN4J_CUDA_EXPORT int lrn4j_cuda_sru_scan_forward(int64_t t_len, int64_t batch, int64_t hidden, int64_t k,
                                                  const float* u, int64_t ldu, const float* x, int64_t ldx,
                                                  const float* v, const float* bias, const float* c0,
                                                  const int32_t* lengths, int act, int reverse, float* h,
                                                  int64_t ldh, float* c, int64_t ldc, float* c_last, void* stream) {
  if (t_len == 0 || batch == 0 || hidden == 0) return 0;
  sru_scan_forward_kernel<<<lrn4j_cuda::grid_blocks(batch * hidden, kThreads), kThreads, 0,
                            static_cast<cudaStream_t>(stream)>>>(t_len, batch, hidden, k, u, ldu, x, ldx, v, bias, c0,
                                                                 lengths, act, reverse, h, ldh, c, ldc, c_last);
  return static_cast<int>(cudaGetLastError());
}

LRN4J_CUDA_EXPORT int lrn4j_cuda_sru_scan_backward(int64_t t_len, int64_t batch, int64_t hidden, int64_t k,
                                                   const float* u, int64_t ldu, const float* x, int64_t ldx,
                                                   const float* v, const float* bias, const float* c0,
                                                   const int32_t* lengths, int act, int reverse, const float* c,
                                                   int64_t ldc, const float* dh, int64_t lddh, const float* dc_last,
                                                   float* du, int64_t lddu, float* dx, int64_t lddx, float* dv,
                                                   float* dc0, void* stream) {
  if (t_len == 0 || batch == 0 || hidden == 0) return 0;
  sru_scan_backward_kernel<<<lrn4j_cuda::grid_blocks(batch * hidden, kThreads), kThreads, 0,
                             static_cast<cudaStream_t>(stream)>>>(t_len, batch, hidden, k, u, ldu, x, ldx, v, bias,
                                                                  c0, lengths, act, reverse, c, ldc, dh, lddh, dc_last,
                                                                  du, lddu, dx, lddx, dv, dc0);
  return static_cast<int>(cudaGetLastError());
}
