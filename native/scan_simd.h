// LRN and oLRN scans, forward and backward, for every vector width: the body of scan_avx2.cpp (V = __m256,
// 8 lanes) and scan_avx512.cpp (V = __m512, 16 lanes), which include it after their vector's header and
// define the kernel set's entry points with LRN4J_SCAN_ENTRY_POINTS. Unnamed namespace: see simd_math.h.
//
// kGate: the oLRN's output gate; plain LRN is the oLRN with o = 1, h = c. One vector holds L neighbouring
// hidden units of one sequence; a chunk is a few such vectors of one sequence (kForwardVectors,
// kBackwardUnits), whose recurrences are interleaved so that the long dependency chain of a step (exp,
// division, exp, division, tanh; the output gate adds a third exp and division) of one vector overlaps the
// others. The forward step evaluates
// its gates stage by stage across the chunk's vectors (simd_math.h's *_n functions): written vector after
// vector, the chains lie further apart than the out-of-order window reaches and ran one after the other
// (this ordering made the AVX2 tanh forward ~1.4x faster). The backward step has no transcendental on its
// recurrence (i, f and o come from memory: g, the previous h and, for the oLRN, the saved c), so each
// vector's sigmoids are evaluated together, few registers live at a time (all 24 of an oLRN chunk evaluated
// stage by stage spill registers).
// Steps are walked in time-outer order (simd_chunks.h's run_time_outer): a chunk's state (forward) or
// carried gradient (backward) waits in a small per-thread buffer between its steps. Chunks are fixed by
// (batch, block of units), independent of the thread count, and share no output, so threads take whole
// chunks and results do not depend on how many there are. The last block of a row may be partial: its last
// vector is read and written with masked loads/stores, the other lanes are never touched. Formulas and their
// order are those of scan_ref.cpp (see lrn4j.h for the layouts). A chunk's consecutive steps lie a new page
// apart, which the hardware prefetchers do not follow, so the forward prefetches the rows of the next step
// in software: without it its steps wait for memory (64x1024x512 at AVX-512: 36 vs 25 ms). The backward
// does so with 8 lanes only (see backward_step).
#ifndef LRN4J_NATIVE_SCAN_SIMD_H
#define LRN4J_NATIVE_SCAN_SIMD_H

#include <cstdint>

#include "lrn4j/lrn4j.h"
#include "simd_chunks.h"
#include "simd_math.h"

namespace lrn4j::simd {
namespace {

// Chunk sizes. Forward: 4 vectors (32 or 64 units); with 8, the stage-major arrays of a step no longer fit
// the registers and the spills cost more than the wider interleave gained (single thread, 32x128x256:
// AVX-512 1.24 vs 1.31 ms, AVX2 1.91 vs 2.16). Backward: 64 units at either width (its vectors are evaluated
// one after another anyway; 128-unit AVX-512 chunks were slower on 32x128x256, 1.01 vs 0.88 ms).
constexpr int kForwardVectors = 4;
constexpr int kBackwardUnits = 64;
// Unit-steps (one hidden unit, one time step) per thread below which a second thread does not pay.
constexpr int64_t kMinUnitStepsPerThread = int64_t{1} << 14;

// A forward walk: gates g of 3 (LRN) or 4 (oLRN) planes; outputs hs and, for the oLRN, cs.
struct Forward {
  int64_t t_len, batch, hidden;
  const float* g;
  int64_t ldg;
  const int32_t* lengths;
  bool reverse;
  float* hs;
  int64_t ldh;
  float* cs;
  int64_t ldc;

  int64_t step_at(int64_t s) const { return reverse ? t_len - 1 - s : s; }
};

// A backward walk: the forward's inputs and outputs (cs: oLRN only), the incoming gradient dhs (nullable),
// the output dg.
struct Backward {
  int64_t t_len, batch, hidden;
  const float* g;
  int64_t ldg;
  const float* h0;
  const int32_t* lengths;
  bool reverse;
  const float* hs;
  int64_t ldh;
  const float* cs;
  int64_t ldc;
  const float* dhs;
  int64_t lddh;
  float* dg;
  int64_t lddg;

  int64_t step_at(int64_t s) const { return reverse ? t_len - 1 - s : s; }
};

// Processing step s (time step_at(s)) of hidden units [j0, j0 + L*U) of sequence b: the state comes from
// and goes back to `st` (L*U floats, aligned as V); the output rows are written whether the step is active
// or not (the oLRN's c row is 0 where it is not). The rows of the next processing step are prefetched.
template <class V, int U, bool kTail, bool kTanh, bool kGate>
void forward_step(const Forward& a, int64_t b, int64_t j0, int64_t s, float* st, typename Simd<V>::Mask tail) {
  using S = Simd<V>;
  constexpr int L = S::kLanes;
  auto read = [tail](const float* p, int u) { return load<V>(p, kTail && u == U - 1, tail); };
  auto write = [tail](float* p, V v, int u) { store<V>(p, v, kTail && u == U - 1, tail); };
  constexpr int64_t kPlanes = kGate ? 4 : 3;
  const int64_t H = a.hidden;
  const int64_t row = a.step_at(s) * a.batch + b;
  const float* q = a.g + row * a.ldg + j0;
  float* out = a.hs + row * a.ldh + j0;
  if (s + 1 < a.t_len) {
    const int64_t rn = a.step_at(s + 1) * a.batch + b;
    for (int64_t plane = 0; plane < kPlanes; ++plane) prefetch(a.g + rn * a.ldg + j0 + plane * H, L * U);
    prefetch(a.hs + rn * a.ldh + j0, L * U);
    if (kGate) prefetch(a.cs + rn * a.ldc + j0, L * U);
  }
  V h[U];
#pragma GCC unroll 8
  for (int u = 0; u < U; ++u) h[u] = load<V>(st + L * u, false, tail);
  const int64_t len = a.lengths ? a.lengths[b] : a.t_len;
  if (a.step_at(s) < len) {
    // x[0, U): input gates i = sigmoid(k + h), x[U, 2U): forget gates f = sigmoid(q - h)
    V x[2 * U];
#pragma GCC unroll 8
    for (int u = 0; u < U; ++u) {
      x[u] = read(q + H + L * u, u) + h[u];
      x[U + u] = read(q + L * u, u) - h[u];
    }
    sigmoid_n(x);
    V c[U];
#pragma GCC unroll 8
    for (int u = 0; u < U; ++u) c[u] = S::fmadd(x[u], read(q + 2 * H + L * u, u), x[U + u] * h[u]);
    if (kTanh) tanh_n(c);
    if constexpr (kGate) {
      // output gates o = sigmoid(p - c), h = o*c
      V o[U];
#pragma GCC unroll 8
      for (int u = 0; u < U; ++u) o[u] = read(q + 3 * H + L * u, u) - c[u];
      sigmoid_n(o);
#pragma GCC unroll 8
      for (int u = 0; u < U; ++u) {
        h[u] = o[u] * c[u];
        write(a.cs + row * a.ldc + j0 + L * u, c[u], u);
      }
    } else {
#pragma GCC unroll 8
      for (int u = 0; u < U; ++u) h[u] = c[u];
    }
#pragma GCC unroll 8
    for (int u = 0; u < U; ++u) store<V>(st + L * u, h[u], false, tail);
  } else if constexpr (kGate) {
#pragma GCC unroll 8
    for (int u = 0; u < U; ++u) write(a.cs + row * a.ldc + j0 + L * u, V{}, u);
  }
#pragma GCC unroll 8
  for (int u = 0; u < U; ++u) write(out + L * u, h[u], u);
}

// Processing step s (walked from the last down to 0) of hidden units [j0, j0 + L*U) of sequence b: the
// carried gradient comes from and goes back to `st`. The next step's rows (a whole pass over the thread's
// chunks ahead) are prefetched with 8 lanes only: 64x1024x512, 2 threads, AVX2 44-46 ms with vs 50 without;
// AVX-512 53-54 with vs 45-46 without (32x128x256: 0.87-1.00 vs 0.72-0.87), as within a step the chunks of
// a thread read and write contiguous memory, which the hardware prefetchers follow.
template <class V, int U, bool kTail, bool kTanh, bool kGate>
void backward_step(const Backward& a, int64_t b, int64_t j0, int64_t s, float* st, typename Simd<V>::Mask tail) {
  using S = Simd<V>;
  constexpr int L = S::kLanes;
  constexpr int kPlanes = kGate ? 4 : 3;
  const int64_t len = a.lengths ? a.lengths[b] : a.t_len;
  const int64_t H = a.hidden;
  const int64_t t = a.step_at(s);
  const int64_t row = t * a.batch + b;
  const float* q = a.g + row * a.ldg + j0;
  // c of the step: saved by the oLRN forward pass; the state itself for plain LRN.
  const float* c_row = kGate ? a.cs + row * a.ldc + j0 : a.hs + row * a.ldh + j0;
  const float* dh_in = a.dhs ? a.dhs + row * a.lddh + j0 : nullptr;
  float* dq = a.dg + row * a.lddg + j0;
  if constexpr (L == 8) {
    if (s >= 1) {
      const int64_t rn = a.step_at(s - 1) * a.batch + b;
      for (int64_t plane = 0; plane < kPlanes; ++plane) {
        prefetch(a.g + rn * a.ldg + j0 + plane * H, L * U);
        prefetch(a.dg + rn * a.lddg + j0 + plane * H, L * U);
      }
      if (kGate) prefetch(a.cs + rn * a.ldc + j0, L * U);
      if (a.dhs) prefetch(a.dhs + rn * a.lddh + j0, L * U);
      if (s >= 2) prefetch(a.hs + (a.step_at(s - 2) * a.batch + b) * a.ldh + j0, L * U);
    }
  }
  // State before step t: after the previously processed step, or h0 (NULL: zeros) for the first.
  const float* hp_row = nullptr;
  if (s > 0) {
    hp_row = a.hs + (a.step_at(s - 1) * a.batch + b) * a.ldh + j0;
  } else if (a.h0) {
    hp_row = a.h0 + b * H + j0;
  }
#pragma GCC unroll 8
  for (int u = 0; u < U; ++u) {
    const bool mu = kTail && u == U - 1;
    auto read = [&](const float* p) { return load<V>(p, mu, tail); };
    auto write = [&](float* p, V v) { store<V>(p, v, mu, tail); };
    const int64_t o = L * u;
    const V carried = load<V>(st + o, false, tail);
    const V dh = dh_in ? carried + read(dh_in + o) : carried;
    if (t >= len) {
      // The state passed through unchanged and the gates were not used.
      for (int plane = 0; plane < kPlanes; ++plane) write(dq + plane * H + o, V{});
      store<V>(st + o, dh, false, tail);
      continue;
    }
    const V hp = hp_row ? read(hp_row + o) : V{};
    const V c = kGate || kTanh ? read(c_row + o) : V{};
    // i = sigmoid(k + hp), f = sigmoid(q - hp) and, for the oLRN, o = sigmoid(p - c)
    V x[kGate ? 3 : 2];
    x[0] = read(q + H + o) + hp;
    x[1] = read(q + o) - hp;
    if constexpr (kGate) x[2] = read(q + 3 * H + o) - c;
    sigmoid_n(x);
    const V i = x[0], f = x[1];
    V dc = dh;
    if constexpr (kGate) {
      const V og = x[2];
      const V dp = dh * c * og * (1.0f - og);
      dc = S::fmsub(dh, og, dp);
      write(dq + 3 * H + o, dp);
    }
    const V ds = kTanh ? dc * S::fnmadd(c, c, S::set1(1.0f)) : dc;
    const V dk = ds * read(q + 2 * H + o) * i * (1.0f - i);
    const V dqv = ds * hp * f * (1.0f - f);
    write(dq + o, dqv);
    write(dq + H + o, dk);
    write(dq + 2 * H + o, ds * i);
    store<V>(st + o, S::fmadd(ds, f, dk) - dqv, false, tail);
  }
}

// The step kernels of the LRN (kGate false) or oLRN scan, as simd_chunks.h's pick wants them.
template <class V, bool kGate>
struct Steps {
  template <int U, bool kTail, bool kTanh>
  struct Forwards {
    static constexpr StepKernel<V, Forward> fn = &forward_step<V, U, kTail, kTanh, kGate>;
  };
  template <int U, bool kTail, bool kTanh>
  struct Backwards {
    static constexpr StepKernel<V, Backward> fn = &backward_step<V, U, kTail, kTanh, kGate>;
  };
};

template <class V>
void lrn_scan_forward(int64_t t_len, int64_t batch, int64_t hidden, const float* g, int64_t ldg, const float* h0,
                      const int32_t* lengths, int act, int reverse, float* hs, int64_t ldh, float* h_last,
                      int threads) {
  const Forward a{t_len, batch, hidden, g, ldg, lengths, reverse != 0, hs, ldh, nullptr, 0};
  run_time_outer<V, Forward, Steps<V, false>::template Forwards, kForwardVectors, kMinUnitStepsPerThread>(
      a, h0, h_last, true, act == LRN4J_ACT_TANH, threads);
}

template <class V>
void lrn_scan_backward(int64_t t_len, int64_t batch, int64_t hidden, const float* g, int64_t ldg, const float* h0,
                       const int32_t* lengths, int act, int reverse, const float* hs, int64_t ldh, const float* dhs,
                       int64_t lddh, const float* dh_last, float* dg, int64_t lddg, float* dh0, int threads) {
  const Backward a{t_len, batch, hidden, g, ldg, h0, lengths, reverse != 0, hs, ldh, nullptr, 0, dhs, lddh, dg, lddg};
  constexpr int kVectors = kBackwardUnits / Simd<V>::kLanes;
  run_time_outer<V, Backward, Steps<V, false>::template Backwards, kVectors, kMinUnitStepsPerThread>(
      a, dh_last, dh0, false, act == LRN4J_ACT_TANH, threads);
}

template <class V>
void olrn_scan_forward(int64_t t_len, int64_t batch, int64_t hidden, const float* g, int64_t ldg, const float* h0,
                       const int32_t* lengths, int act, int reverse, float* hs, int64_t ldh, float* cs, int64_t ldc,
                       float* h_last, int threads) {
  const Forward a{t_len, batch, hidden, g, ldg, lengths, reverse != 0, hs, ldh, cs, ldc};
  run_time_outer<V, Forward, Steps<V, true>::template Forwards, kForwardVectors, kMinUnitStepsPerThread>(
      a, h0, h_last, true, act == LRN4J_ACT_TANH, threads);
}

template <class V>
void olrn_scan_backward(int64_t t_len, int64_t batch, int64_t hidden, const float* g, int64_t ldg, const float* h0,
                        const int32_t* lengths, int act, int reverse, const float* hs, int64_t ldh, const float* cs,
                        int64_t ldc, const float* dhs, int64_t lddh, const float* dh_last, float* dg, int64_t lddg,
                        float* dh0, int threads) {
  const Backward a{t_len, batch, hidden, g, ldg, h0, lengths, reverse != 0, hs, ldh, cs, ldc, dhs, lddh, dg, lddg};
  constexpr int kVectors = kBackwardUnits / Simd<V>::kLanes;
  run_time_outer<V, Backward, Steps<V, true>::template Backwards, kVectors, kMinUnitStepsPerThread>(
      a, dh_last, dh0, false, act == LRN4J_ACT_TANH, threads);
}

}  // namespace
}  // namespace lrn4j::simd

// The four scan entry points of kernels.h in the enclosing namespace (lrn4j::avx2 or lrn4j::avx512), on V.
#define LRN4J_SCAN_ENTRY_POINTS(V)                                                                            \
  void lrn_scan_forward(int64_t t_len, int64_t batch, int64_t hidden, const float* g, int64_t ldg,            \
                        const float* h0, const int32_t* lengths, int act, int reverse, float* hs, int64_t ldh, \
                        float* h_last, int threads) {                                                         \
    simd::lrn_scan_forward<V>(t_len, batch, hidden, g, ldg, h0, lengths, act, reverse, hs, ldh, h_last,       \
                              threads);                                                                       \
  }                                                                                                           \
  void lrn_scan_backward(int64_t t_len, int64_t batch, int64_t hidden, const float* g, int64_t ldg,           \
                         const float* h0, const int32_t* lengths, int act, int reverse, const float* hs,      \
                         int64_t ldh, const float* dhs, int64_t lddh, const float* dh_last, float* dg,        \
                         int64_t lddg, float* dh0, int threads) {                                             \
    simd::lrn_scan_backward<V>(t_len, batch, hidden, g, ldg, h0, lengths, act, reverse, hs, ldh, dhs, lddh,   \
                               dh_last, dg, lddg, dh0, threads);                                              \
  }                                                                                                           \
  void olrn_scan_forward(int64_t t_len, int64_t batch, int64_t hidden, const float* g, int64_t ldg,           \
                         const float* h0, const int32_t* lengths, int act, int reverse, float* hs,            \
                         int64_t ldh, float* cs, int64_t ldc, float* h_last, int threads) {                   \
    simd::olrn_scan_forward<V>(t_len, batch, hidden, g, ldg, h0, lengths, act, reverse, hs, ldh, cs, ldc,     \
                               h_last, threads);                                                              \
  }                                                                                                           \
  void olrn_scan_backward(int64_t t_len, int64_t batch, int64_t hidden, const float* g, int64_t ldg,          \
                          const float* h0, const int32_t* lengths, int act, int reverse, const float* hs,     \
                          int64_t ldh, const float* cs, int64_t ldc, const float* dhs, int64_t lddh,          \
                          const float* dh_last, float* dg, int64_t lddg, float* dh0, int threads) {           \
    simd::olrn_scan_backward<V>(t_len, batch, hidden, g, ldg, h0, lengths, act, reverse, hs, ldh, cs, ldc,    \
                                dhs, lddh, dh_last, dg, lddg, dh0, threads);                                  \
  }

#endif
