// The oLRN scan (the LRN scan with an output gate), forward and backward (lrn4j_olrn_scan_forward /
// _backward in lrn4j.h), in the plain form of the SRU scan (sru.cu): one thread per (batch, hidden) column
// col = b*H + j, threads of a warp on neighbouring units so that every plane load and store is coalesced.
// The state (forward) and the gradient carry (backward) stay in registers for the whole walk over time; each
// thread writes only its own column, so no atomics. Accurate expf/tanhf, as in the LRN scan. The LRN scan's
// asynchronous prefetch ring (lrn_scan.cu) is not used here: it is a latency optimisation to be measured on a
// GPU before it is copied.
#include <cuda_runtime.h>

#include "lrn4j/lrn4j.h"
#include "lrn4j/lrn4j_cuda.h"
#include "launch.cuh"

namespace {

constexpr int kThreads = 128;

__device__ __forceinline__ float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

__global__ void __launch_bounds__(kThreads)
olrn_scan_forward_kernel(int64_t t_len, int64_t batch, int64_t hidden, const float* __restrict__ g, int64_t ldg,
                         const float* __restrict__ h0, const int32_t* __restrict__ lengths, int act, int reverse,
                         float* __restrict__ hs, int64_t ldh, float* __restrict__ cs, int64_t ldc,
                         float* __restrict__ h_last) {
  const int64_t H = hidden;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t col = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; col < batch * H; col += stride) {
    const int64_t b = col / H;
    const int64_t j = col % H;
    const int64_t len = lengths != nullptr ? lengths[b] : t_len;
    float h = h0 != nullptr ? h0[col] : 0.0f;
    for (int64_t s = 0; s < t_len; ++s) {
      const int64_t t = reverse ? t_len - 1 - s : s;
      const int64_t row = t * batch + b;
      float c = 0.0f;
      if (t < len) {
        const float* gr = g + row * ldg + j;
        const float i = sigmoid(gr[H] + h);
        const float f = sigmoid(gr[0] - h);
        const float pre = i * gr[2 * H] + f * h;
        c = act == LRN4J_ACT_TANH ? tanhf(pre) : pre;
        h = sigmoid(gr[3 * H] - c) * c;
      }
      hs[row * ldh + j] = h;
      cs[row * ldc + j] = c;
    }
    if (h_last != nullptr) h_last[col] = h;
  }
}

// Walks the steps in the opposite order of the forward call. The state before step t is h0 for the first
// step the forward call processed, else hs of the step processed just before t (t-1 forward, t+1 reverse);
// in reverse order a sequence's first active step t = len-1 < T-1 reads hs[t+1], padding that holds h0.
__global__ void __launch_bounds__(kThreads)
olrn_scan_backward_kernel(int64_t t_len, int64_t batch, int64_t hidden, const float* __restrict__ g, int64_t ldg,
                          const float* __restrict__ h0, const int32_t* __restrict__ lengths, int act, int reverse,
                          const float* __restrict__ hs, int64_t ldh, const float* __restrict__ cs, int64_t ldc,
                          const float* __restrict__ dhs, int64_t lddh, const float* __restrict__ dh_last,
                          float* __restrict__ dg, int64_t lddg, float* __restrict__ dh0) {
  const int64_t H = hidden;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t col = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; col < batch * H; col += stride) {
    const int64_t b = col / H;
    const int64_t j = col % H;
    const int64_t len = lengths != nullptr ? lengths[b] : t_len;
    const float h_init = h0 != nullptr ? h0[col] : 0.0f;
    float carry = dh_last != nullptr ? dh_last[col] : 0.0f;
    for (int64_t s = 0; s < t_len; ++s) {
      const int64_t t = reverse ? s : t_len - 1 - s;
      const int64_t row = t * batch + b;
      const float dh = carry + (dhs != nullptr ? dhs[row * lddh + j] : 0.0f);
      float* dgr = dg + row * lddg + j;
      if (t >= len) {
        dgr[0] = dgr[H] = dgr[2 * H] = dgr[3 * H] = 0.0f;
        carry = dh;
        continue;
      }
      const bool first = reverse ? t == t_len - 1 : t == 0;
      const int64_t t_prev = reverse ? t + 1 : t - 1;
      const float hp = first ? h_init : hs[(t_prev * batch + b) * ldh + j];
      const float c = cs[row * ldc + j];
      const float* gr = g + row * ldg + j;
      const float i = sigmoid(gr[H] + hp);
      const float f = sigmoid(gr[0] - hp);
      const float o = sigmoid(gr[3 * H] - c);
      const float dp = dh * c * o * (1.0f - o);
      const float dc = dh * o - dp;
      const float ds = act == LRN4J_ACT_TANH ? dc * (1.0f - c * c) : dc;
      const float dk = ds * gr[2 * H] * i * (1.0f - i);
      const float dq = ds * hp * f * (1.0f - f);
      dgr[0] = dq;
      dgr[H] = dk;
      dgr[2 * H] = ds * i;
      dgr[3 * H] = dp;
      carry = ds * f + dk - dq;
    }
    if (dh0 != nullptr) dh0[col] = carry;
  }
}

}  // namespace

LRN4J_CUDA_EXPORT int lrn4j_cuda_olrn_scan_forward(int64_t t_len, int64_t batch, int64_t hidden, const float* g,
                                                   int64_t ldg, const float* h0, const int32_t* lengths, int act,
                                                   int reverse, float* hs, int64_t ldh, float* cs, int64_t ldc,
                                                   float* h_last, void* stream) {
  if (t_len == 0 || batch == 0 || hidden == 0) return 0;
  olrn_scan_forward_kernel<<<lrn4j_cuda::grid_blocks(batch * hidden, kThreads), kThreads, 0,
                             static_cast<cudaStream_t>(stream)>>>(t_len, batch, hidden, g, ldg, h0, lengths, act,
                                                                  reverse, hs, ldh, cs, ldc, h_last);
  return static_cast<int>(cudaGetLastError());
}

LRN4J_CUDA_EXPORT int lrn4j_cuda_olrn_scan_backward(int64_t t_len, int64_t batch, int64_t hidden, const float* g,
                                                    int64_t ldg, const float* h0, const int32_t* lengths, int act,
                                                    int reverse, const float* hs, int64_t ldh, const float* cs,
                                                    int64_t ldc, const float* dhs, int64_t lddh,
                                                    const float* dh_last, float* dg, int64_t lddg, float* dh0,
                                                    void* stream) {
  if (t_len == 0 || batch == 0 || hidden == 0) return 0;
  olrn_scan_backward_kernel<<<lrn4j_cuda::grid_blocks(batch * hidden, kThreads), kThreads, 0,
                              static_cast<cudaStream_t>(stream)>>>(t_len, batch, hidden, g, ldg, h0, lengths, act,
                                                                   reverse, hs, ldh, cs, ldc, dhs, lddh, dh_last, dg,
                                                                   lddg, dh0);
  return static_cast<int>(cudaGetLastError());
}
