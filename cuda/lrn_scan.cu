// The LRN scan, forward and backward: the recurrence over time for every (batch, hidden) column.
//
// One thread per column col = b*H + j (h0, h_last, dh_last, dh0 are [B, H] contiguous, so col indexes them
// directly); threads of a warp take neighbouring hidden units, so each load of a gate plane of g, of hs
// and of dhs, and each store, is coalesced. The state and the gradient carry stay in registers for the whole
// walk over time; backward writes each dg element once and needs no atomics. Gate math uses the accurate
// expf/tanhf so that results agree with the CPU reference to rounding.
#include <cuda_runtime.h>

#include "lrn4j/lrn4j.h"
#include "lrn4j/lrn4j_cuda.h"
#include "launch.cuh"

namespace {

constexpr int kThreads = 128;

__device__ __forceinline__ float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

__global__ void __launch_bounds__(kThreads)
lrn_scan_forward_kernel(int64_t t_len, int64_t batch, int64_t hidden, const float* __restrict__ g, int64_t ldg,
                        const float* __restrict__ h0, const int32_t* __restrict__ lengths, int act, int reverse,
                        float* __restrict__ hs, int64_t ldh, float* __restrict__ h_last) {
  const int64_t columns = batch * hidden;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t col = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; col < columns; col += stride) {
    const int64_t b = col / hidden;
    const int64_t j = col % hidden;
    const int64_t len = lengths != nullptr ? lengths[b] : t_len;
    float h = h0 != nullptr ? h0[col] : 0.0f;
    for (int64_t s = 0; s < t_len; ++s) {
      const int64_t t = reverse ? t_len - 1 - s : s;
      const int64_t row = t * batch + b;
      if (t < len) {
        const float* gr = g + row * ldg;
        const float q = gr[j];
        const float k = gr[hidden + j];
        const float v = gr[2 * hidden + j];
        const float i = sigmoid(k + h);
        const float f = sigmoid(q - h);
        const float c = i * v + f * h;
        h = act == LRN4J_ACT_TANH ? tanhf(c) : c;
      }
      hs[row * ldh + j] = h;
    }
    if (h_last != nullptr) h_last[col] = h;
  }
}

// Walks the steps in the opposite order of the forward call. The state before step t is h0 for the first
// step the forward call processed (t = 0 forward, t = T-1 reverse), else hs of the step processed just
// before t (t-1 forward, t+1 reverse). In reverse order a sequence's first active step t = len-1 < T-1 reads
// hs[t+1], padding that holds h0, as the forward contract guarantees.
__global__ void __launch_bounds__(kThreads)
lrn_scan_backward_kernel(int64_t t_len, int64_t batch, int64_t hidden, const float* __restrict__ g, int64_t ldg,
                         const float* __restrict__ h0, const int32_t* __restrict__ lengths, int act, int reverse,
                         const float* __restrict__ hs, int64_t ldh, const float* __restrict__ dhs, int64_t lddh,
                         const float* __restrict__ dh_last, float* __restrict__ dg, int64_t lddg,
                         float* __restrict__ dh0) {
  const int64_t columns = batch * hidden;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t col = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; col < columns; col += stride) {
    const int64_t b = col / hidden;
    const int64_t j = col % hidden;
    const int64_t len = lengths != nullptr ? lengths[b] : t_len;
    const float h_init = h0 != nullptr ? h0[col] : 0.0f;
    float carry = dh_last != nullptr ? dh_last[col] : 0.0f;
    for (int64_t s = 0; s < t_len; ++s) {
      const int64_t t = reverse ? s : t_len - 1 - s;
      const int64_t row = t * batch + b;
      const float dh = carry + (dhs != nullptr ? dhs[row * lddh + j] : 0.0f);
      float dq = 0.0f;
      float dk = 0.0f;
      float dv = 0.0f;
      if (t < len) {
        const bool first = reverse ? t == t_len - 1 : t == 0;
        const int64_t t_prev = reverse ? t + 1 : t - 1;
        const float hp = first ? h_init : hs[(t_prev * batch + b) * ldh + j];
        const float h = hs[row * ldh + j];
        const float* gr = g + row * ldg;
        const float q = gr[j];
        const float k = gr[hidden + j];
        const float v = gr[2 * hidden + j];
        const float i = sigmoid(k + hp);
        const float f = sigmoid(q - hp);
        const float dc = act == LRN4J_ACT_TANH ? dh * (1.0f - h * h) : dh;
        dv = dc * i;
        const float di = dc * v;
        const float df = dc * hp;
        dk = di * i * (1.0f - i);
        dq = df * f * (1.0f - f);
        // c depends on hp through f*hp, i = sigmoid(k + hp) and f = sigmoid(q - hp).
        carry = dc * f + dk - dq;
      } else {
        carry = dh;
      }
      float* dgr = dg + row * lddg;
      dgr[j] = dq;
      dgr[hidden + j] = dk;
      dgr[2 * hidden + j] = dv;
    }
    if (dh0 != nullptr) dh0[col] = carry;
  }
}

}  // namespace

LRN4J_CUDA_EXPORT int lrn4j_cuda_lrn_scan_forward(int64_t t_len, int64_t batch, int64_t hidden,
                                                  const float* g, int64_t ldg, const float* h0,
                                                  const int32_t* lengths, int act, int reverse, float* hs,
                                                  int64_t ldh, float* h_last, void* stream) {
  if (t_len == 0 || batch == 0 || hidden == 0) return 0;
  lrn_scan_forward_kernel<<<lrn4j_cuda::grid_blocks(batch * hidden, kThreads), kThreads, 0,
                            static_cast<cudaStream_t>(stream)>>>(t_len, batch, hidden, g, ldg, h0, lengths, act,
                                                                 reverse, hs, ldh, h_last);
  return static_cast<int>(cudaGetLastError());
}

LRN4J_CUDA_EXPORT int lrn4j_cuda_lrn_scan_backward(int64_t t_len, int64_t batch, int64_t hidden,
                                                   const float* g, int64_t ldg, const float* h0,
                                                   const int32_t* lengths, int act, int reverse, const float* hs,
                                                   int64_t ldh, const float* dhs, int64_t lddh,
                                                   const float* dh_last, float* dg, int64_t lddg, float* dh0,
                                                   void* stream) {
  if (t_len == 0 || batch == 0 || hidden == 0) return 0;
  lrn_scan_backward_kernel<<<lrn4j_cuda::grid_blocks(batch * hidden, kThreads), kThreads, 0,
                             static_cast<cudaStream_t>(stream)>>>(t_len, batch, hidden, g, ldg, h0, lengths, act,
                                                                  reverse, hs, ldh, dhs, lddh, dh_last, dg, lddg,
                                                                  dh0);
  return static_cast<int>(cudaGetLastError());
}
