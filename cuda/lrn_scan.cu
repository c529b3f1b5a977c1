// The LRN scan, forward and backward: the recurrence over time for every (batch, hidden) column.
//
// One thread per column col = b*H + j (h0, h_last, dh_last, dh0 are [B, H] contiguous, so col indexes them
// directly); threads of a warp take neighbouring hidden units, so each load of a gate plane of g, of hs
// and of dhs, and each store, is coalesced. The state and the gradient carry stay in registers for the whole
// walk over time; backward writes each dg element once and needs no atomics. Gate math uses the accurate
// expf/tanhf so that results agree with the CPU reference to rounding.
//
// The walk is latency-bound: a step's arithmetic needs the state of the step before, but its loads do not.
// So each thread keeps the loads of the next steps in flight while it computes: asynchronous copies (cp.async,
// compute capability 8.0+) fill a ring of kRing steps in shared memory, issued kChunk steps to a copy group,
// and before a chunk is computed the thread waits only for the groups that hold it (and, backward, the chunk
// after it), so the following kChunks - 2 chunks stay in flight. A thread reads only its own ring entries, so no
// barrier is needed. Blocks are one warp wide, so that even a few thousand columns reach every SM. Each step's
// arithmetic is the plain formula, in the same order.
#include <cuda_runtime.h>

#include "lrn4j/lrn4j.h"
#include "lrn4j/lrn4j_cuda.h"
#include "launch.cuh"

namespace {

constexpr int kThreads = 32;
constexpr int kChunk = 4;
constexpr int kChunks = 8;
constexpr int kRing = kChunk * kChunks;
static_assert((kRing & (kRing - 1)) == 0, "ring slots are taken with a mask");
static_assert(kChunks >= 3, "backward waits for two chunks and keeps at least one more in flight");

__device__ __forceinline__ float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

// Copies one float from global to shared memory asynchronously; with `valid` false nothing is read and the
// destination becomes 0 (src must still be a global address).
__device__ __forceinline__ void copy_async(float* dst, const float* src, bool valid) {
  const unsigned d = static_cast<unsigned>(__cvta_generic_to_shared(dst));
  asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;\n" ::"r"(d), "l"(src), "r"(valid ? 4 : 0) : "memory");
}
__device__ __forceinline__ void commit_copies() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }
// Waits until at most `kPending` of this thread's most recent copy groups are still in flight.
template <int kPending>
__device__ __forceinline__ void wait_copies() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(kPending) : "memory");
}

__device__ __forceinline__ int slot_of(int64_t s) { return static_cast<int>(s & (kRing - 1)); }

__global__ void __launch_bounds__(kThreads)
lrn_scan_forward_kernel(int64_t t_len, int64_t batch, int64_t hidden, const float* __restrict__ g, int64_t ldg,
                        const float* __restrict__ h0, const int32_t* __restrict__ lengths, int act, int reverse,
                        float* __restrict__ hs, int64_t ldh, float* __restrict__ h_last) {
  // ring[slot][q, k, v][lane]
  __shared__ float ring[kRing][3][kThreads];
  const int lane = threadIdx.x;
  const int64_t columns = batch * hidden;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t col = static_cast<int64_t>(blockIdx.x) * blockDim.x + lane; col < columns; col += stride) {
    const int64_t b = col / hidden;
    const int64_t j = col % hidden;
    const int64_t len = lengths != nullptr ? lengths[b] : t_len;
    // Step s is t = s forward, t = T-1-s in reverse; its gates are read only when the step is active.
    auto issue_chunk = [&](int64_t next) {
      for (int u = 0; u < kChunk; ++u) {
        const int64_t s = next * kChunk + u;
        const int64_t t = reverse ? t_len - 1 - s : s;
        if (s < t_len) {
          const bool active = t < len;
          const float* gr = active ? g + (t * batch + b) * ldg + j : g;
          float* slot = &ring[slot_of(s)][0][lane];
          copy_async(slot, gr, active);
          copy_async(slot + kThreads, active ? gr + hidden : g, active);
          copy_async(slot + 2 * kThreads, active ? gr + 2 * hidden : g, active);
        }
      }
      commit_copies();
    };
    for (int c = 0; c < kChunks; ++c) issue_chunk(c);
    float h = h0 != nullptr ? h0[col] : 0.0f;
    const int64_t chunks = (t_len + kChunk - 1) / kChunk;
    for (int64_t chunk = 0; chunk < chunks; ++chunk) {
      wait_copies<kChunks - 1>();
#pragma unroll
      for (int u = 0; u < kChunk; ++u) {
        const int64_t s = chunk * kChunk + u;
        if (s < t_len) {
          const int64_t t = reverse ? t_len - 1 - s : s;
          if (t < len) {
            const float* slot = &ring[slot_of(s)][0][lane];
            const float q = slot[0];
            const float k = slot[kThreads];
            const float v = slot[2 * kThreads];
            const float i = sigmoid(k + h);
            const float f = sigmoid(q - h);
            const float c = i * v + f * h;
            h = act == LRN4J_ACT_TANH ? tanhf(c) : c;
          }
          hs[(t * batch + b) * ldh + j] = h;
        }
      }
      // The chunk's slots are read: they take the chunk kChunks ahead.
      issue_chunk(chunk + kChunks);
    }
    // The ring is idle before a next column (of this thread) reuses it.
    wait_copies<0>();
    if (h_last != nullptr) h_last[col] = h;
  }
}

// Walks the steps in the opposite order of the forward call: step s is t = T-1-s forward, t = s in reverse.
// The state before step t is h0 for the first step the forward call processed (t = 0 forward, t = T-1
// reverse: the last step here), else hs of the step processed just before t in the forward call (t-1 forward,
// t+1 reverse), which is the step processed just after t here: its slot holds hs[t_prev]. hs[t] is copied for
// every step whose own update or whose successor here needs it: t < len, and in reverse order also t = len,
// because a sequence's first active step t = len-1 < T-1 reads hs[t+1], padding that holds h0, as the forward
// contract guarantees.
__global__ void __launch_bounds__(kThreads)
lrn_scan_backward_kernel(int64_t t_len, int64_t batch, int64_t hidden, const float* __restrict__ g, int64_t ldg,
                         const float* __restrict__ h0, const int32_t* __restrict__ lengths, int act, int reverse,
                         const float* __restrict__ hs, int64_t ldh, const float* __restrict__ dhs, int64_t lddh,
                         const float* __restrict__ dh_last, float* __restrict__ dg, int64_t lddg,
                         float* __restrict__ dh0) {
  // ring[slot][dhs, hs, q, k, v][lane]
  __shared__ float ring[kRing][5][kThreads];
  const int lane = threadIdx.x;
  const int64_t columns = batch * hidden;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t col = static_cast<int64_t>(blockIdx.x) * blockDim.x + lane; col < columns; col += stride) {
    const int64_t b = col / hidden;
    const int64_t j = col % hidden;
    const int64_t len = lengths != nullptr ? lengths[b] : t_len;
    const int64_t h_needed = reverse ? len + 1 : len;
    auto issue_chunk = [&](int64_t next) {
      for (int u = 0; u < kChunk; ++u) {
        const int64_t s = next * kChunk + u;
        const int64_t t = reverse ? s : t_len - 1 - s;
        if (s < t_len) {
          const int64_t row = t * batch + b;
          float* slot = &ring[slot_of(s)][0][lane];
          if (dhs != nullptr) copy_async(slot, dhs + row * lddh + j, true);
          copy_async(slot + kThreads, t < h_needed ? hs + row * ldh + j : hs, t < h_needed);
          const bool active = t < len;
          const float* gr = active ? g + row * ldg + j : g;
          copy_async(slot + 2 * kThreads, gr, active);
          copy_async(slot + 3 * kThreads, active ? gr + hidden : g, active);
          copy_async(slot + 4 * kThreads, active ? gr + 2 * hidden : g, active);
        }
      }
      commit_copies();
    };
    for (int c = 0; c < kChunks; ++c) issue_chunk(c);
    const float h_init = h0 != nullptr ? h0[col] : 0.0f;
    float carry = dh_last != nullptr ? dh_last[col] : 0.0f;
    const int64_t chunks = (t_len + kChunk - 1) / kChunk;
    for (int64_t chunk = 0; chunk < chunks; ++chunk) {
      // This chunk and the next: the chunk's last step reads hs from the next one's first slot.
      wait_copies<kChunks - 2>();
#pragma unroll
      for (int u = 0; u < kChunk; ++u) {
        const int64_t s = chunk * kChunk + u;
        if (s < t_len) {
          const int64_t t = reverse ? s : t_len - 1 - s;
          const int64_t row = t * batch + b;
          const float* slot = &ring[slot_of(s)][0][lane];
          const float dh = carry + (dhs != nullptr ? slot[0] : 0.0f);
          float dq = 0.0f;
          float dk = 0.0f;
          float dv = 0.0f;
          if (t < len) {
            const bool first = s == t_len - 1;
            const float hp = first ? h_init : ring[slot_of(s + 1)][1][lane];
            const float h = slot[kThreads];
            const float q = slot[2 * kThreads];
            const float k = slot[3 * kThreads];
            const float v = slot[4 * kThreads];
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
      }
      // The chunk's slots are read (the next chunk's stay): they take the chunk kChunks ahead.
      issue_chunk(chunk + kChunks);
    }
    wait_copies<0>();
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
