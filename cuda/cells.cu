// LSTM, GRU and ATR steps, forward and backward (lrn4j_cell_step_forward / _backward in lrn4j.h): the
// pointwise part of one time step, after the recurrent GEMM. One thread per (sequence b, unit j), threads of
// a warp on neighbouring units, so every plane load and store is coalesced. Each thread owns its outputs
// (and its elements of the in-place dh and dc): no atomics. Gate math uses the accurate expf/tanhf, as in
// the LRN scan, so results agree with the CPU reference to rounding.
#include <cuda_runtime.h>

#include "lrn4j/lrn4j.h"
#include "lrn4j/lrn4j_cuda.h"
#include "launch.cuh"

namespace {

constexpr int kThreads = 128;

__device__ __forceinline__ float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

__global__ void __launch_bounds__(kThreads)
cell_step_forward_kernel(int cell, int64_t batch, int64_t hidden, int64_t t, const int32_t* __restrict__ lengths,
                         const float* __restrict__ gx, int64_t ldgx, const float* __restrict__ gh, int64_t ldgh,
                         const float* __restrict__ bh, const float* __restrict__ h_prev, int64_t ldhp,
                         const float* __restrict__ c_prev, int64_t ldcp, float* __restrict__ h, int64_t ldh,
                         float* __restrict__ c, int64_t ldc, float* __restrict__ last, int64_t ldlast) {
  const int64_t H = hidden;
  const bool lstm = cell == LRN4J_CELL_LSTM;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < batch * H; e += stride) {
    const int64_t b = e / H;
    const int64_t j = e % H;
    const float* x = gx + b * ldgx + j;
    const float* r = gh + b * ldgh + j;
    const float hp = h_prev != nullptr ? h_prev[b * ldhp + j] : 0.0f;
    const float cp = lstm && c_prev != nullptr ? c_prev[b * ldcp + j] : 0.0f;
    const float bias = bh != nullptr ? bh[j] : 0.0f;
    float hn = hp;
    float cn = cp;
    if (lengths == nullptr || t < lengths[b]) {
      if (lstm) {
        const float i = sigmoid(x[0] + r[0]);
        const float f = sigmoid(x[H] + r[H]);
        const float g = tanhf(x[2 * H] + r[2 * H]);
        const float o = sigmoid(x[3 * H] + r[3 * H]);
        cn = f * cp + i * g;
        hn = o * tanhf(cn);
      } else if (cell == LRN4J_CELL_GRU) {
        const float rg = sigmoid(x[0] + r[0]);
        const float z = sigmoid(x[H] + r[H]);
        const float n = tanhf(x[2 * H] + rg * (r[2 * H] + bias));
        hn = (1.0f - z) * n + z * hp;
      } else {
        const float p = x[0];
        const float q = r[0] + bias;
        hn = sigmoid(p + q) * p + sigmoid(p - q) * hp;
      }
    }
    h[b * ldh + j] = hn;
    if (lstm) c[b * ldc + j] = cn;
    if (last != nullptr) {
      last[b * ldlast + j] = hn;
      if (lstm) last[b * ldlast + H + j] = cn;
    }
  }
}

__global__ void __launch_bounds__(kThreads)
cell_step_backward_kernel(int cell, int64_t batch, int64_t hidden, int64_t t, const int32_t* __restrict__ lengths,
                          const float* __restrict__ gx, int64_t ldgx, const float* __restrict__ gh, int64_t ldgh,
                          const float* __restrict__ bh, const float* __restrict__ h_prev, int64_t ldhp,
                          const float* __restrict__ c_prev, int64_t ldcp, const float* __restrict__ c, int64_t ldc,
                          const float* __restrict__ dh_out, int64_t lddo, float* __restrict__ dh, int64_t lddh,
                          float* __restrict__ dc, int64_t lddc, float* __restrict__ dgx, int64_t lddgx,
                          float* __restrict__ dgh, int64_t lddgh) {
  const int64_t H = hidden;
  const bool lstm = cell == LRN4J_CELL_LSTM;
  const int planes = lstm ? 4 : cell == LRN4J_CELL_GRU ? 3 : 1;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < batch * H; e += stride) {
    const int64_t b = e / H;
    const int64_t j = e % H;
    const float* x = gx + b * ldgx + j;
    const float* r = gh + b * ldgh + j;
    float* dx = dgx + b * lddgx + j;
    float* dr = lstm ? nullptr : dgh + b * lddgh + j;
    float* dhp = dh + b * lddh + j;
    const float dht = *dhp + (dh_out != nullptr ? dh_out[b * lddo + j] : 0.0f);
    if (lengths != nullptr && t >= lengths[b]) {
      // The state passed through unchanged (c too) and the gates were not used.
      *dhp = dht;
      for (int p = 0; p < planes; ++p) {
        dx[p * H] = 0.0f;
        if (dr != nullptr) dr[p * H] = 0.0f;
      }
      continue;
    }
    const float hp = h_prev != nullptr ? h_prev[b * ldhp + j] : 0.0f;
    const float bias = bh != nullptr ? bh[j] : 0.0f;
    if (lstm) {
      const float cp = c_prev != nullptr ? c_prev[b * ldcp + j] : 0.0f;
      const float i = sigmoid(x[0] + r[0]);
      const float f = sigmoid(x[H] + r[H]);
      const float g = tanhf(x[2 * H] + r[2 * H]);
      const float o = sigmoid(x[3 * H] + r[3 * H]);
      const float tc = tanhf(c[b * ldc + j]);
      float* dcp = dc + b * lddc + j;
      const float dct = *dcp + dht * o * (1.0f - tc * tc);
      dx[0] = dct * g * i * (1.0f - i);
      dx[H] = dct * cp * f * (1.0f - f);
      dx[2 * H] = dct * i * (1.0f - g * g);
      dx[3 * H] = dht * tc * o * (1.0f - o);
      *dcp = dct * f;
      *dhp = 0.0f;  // h_prev reaches the step only through gh
    } else if (cell == LRN4J_CELL_GRU) {
      const float rg = sigmoid(x[0] + r[0]);
      const float z = sigmoid(x[H] + r[H]);
      const float hn = r[2 * H] + bias;
      const float n = tanhf(x[2 * H] + rg * hn);
      const float dn = dht * (1.0f - z) * (1.0f - n * n);
      const float drg = dn * hn * rg * (1.0f - rg);
      const float dz = dht * (hp - n) * z * (1.0f - z);
      dx[0] = drg;
      dx[H] = dz;
      dx[2 * H] = dn;
      dr[0] = drg;
      dr[H] = dz;
      dr[2 * H] = dn * rg;
      *dhp = dht * z;
    } else {
      const float p = x[0];
      const float q = r[0] + bias;
      const float i = sigmoid(p + q);
      const float f = sigmoid(p - q);
      const float di = dht * p * i * (1.0f - i);
      const float df = dht * hp * f * (1.0f - f);
      dx[0] = dht * i + di + df;
      dr[0] = di - df;
      *dhp = dht * f;
    }
  }
}

}  // namespace

LRN4J_CUDA_EXPORT int lrn4j_cuda_cell_step_forward(int cell, int64_t batch, int64_t hidden, int64_t t,
                                                   const int32_t* lengths, const float* gx, int64_t ldgx,
                                                   const float* gh, int64_t ldgh, const float* bh,
                                                   const float* h_prev, int64_t ldhp, const float* c_prev,
                                                   int64_t ldcp, float* h, int64_t ldh, float* c, int64_t ldc,
                                                   float* last, int64_t ldlast, void* stream) {
  if (batch == 0 || hidden == 0) return 0;
  cell_step_forward_kernel<<<lrn4j_cuda::grid_blocks(batch * hidden, kThreads), kThreads, 0,
                             static_cast<cudaStream_t>(stream)>>>(cell, batch, hidden, t, lengths, gx, ldgx, gh, ldgh,
                                                                  bh, h_prev, ldhp, c_prev, ldcp, h, ldh, c, ldc,
                                                                  last, ldlast);
  return static_cast<int>(cudaGetLastError());
}

LRN4J_CUDA_EXPORT int lrn4j_cuda_cell_step_backward(int cell, int64_t batch, int64_t hidden, int64_t t,
                                                    const int32_t* lengths, const float* gx, int64_t ldgx,
                                                    const float* gh, int64_t ldgh, const float* bh,
                                                    const float* h_prev, int64_t ldhp, const float* c_prev,
                                                    int64_t ldcp, const float* c, int64_t ldc, const float* dh_out,
                                                    int64_t lddo, float* dh, int64_t lddh, float* dc, int64_t lddc,
                                                    float* dgx, int64_t lddgx, float* dgh, int64_t lddgh,
                                                    void* stream) {
  if (batch == 0 || hidden == 0) return 0;
  cell_step_backward_kernel<<<lrn4j_cuda::grid_blocks(batch * hidden, kThreads), kThreads, 0,
                              static_cast<cudaStream_t>(stream)>>>(cell, batch, hidden, t, lengths, gx, ldgx, gh,
                                                                   ldgh, bh, h_prev, ldhp, c_prev, ldcp, c, ldc,
                                                                   dh_out, lddo, dh, lddh, dc, lddc, dgx, lddgx, dgh,
                                                                   lddgh);
  return static_cast<int>(cudaGetLastError());
}
