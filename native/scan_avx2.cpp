// AVX2 LRN and oLRN scans, forward and backward (kGate: the oLRN's output gate; plain LRN is the oLRN with
// o = 1, h = c). One vector holds 8 neighbouring hidden units of one sequence; a chunk is 8 such vectors (64
// units) of one sequence, whose eight recurrences are interleaved so that the long dependency chain of a step
// (exp, division, exp, division, tanh: ~200 cycles; the output gate adds a third exp and division) of one
// vector overlaps the others. The forward step evaluates its gates stage by stage across the chunk's vectors
// (avx2_math.h's *_n functions): written vector after vector, the chains lie further apart than the
// out-of-order window reaches and ran one after the other (this ordering made the tanh forward ~1.4x faster).
// The backward step has no transcendental on its recurrence (i, f and o come from memory: g, the previous h
// and, for the oLRN, the saved c), so each vector's sigmoids are evaluated together, few registers live at a
// time (all 24 of an oLRN chunk evaluated stage by stage spill registers).
// Steps are walked in time-outer order (avx2_chunks.h's run_time_outer): a chunk's state (forward) or
// carried gradient (backward) waits in a small per-thread buffer between its steps. Chunks are fixed by
// (batch, 64-unit block), independent of the thread count, and share no output, so threads take whole
// chunks and results do not depend on how many there are. The last block of a row may be partial: its last
// vector is read and written with masked loads/stores, the other lanes are never touched. Formulas and their
// order are those of scan_ref.cpp (see lrn4j.h for the layouts). A chunk's consecutive steps lie a new page
// apart, which the hardware prefetchers do not follow, so the rows of the next step are prefetched in
// software: without it each step waits for memory (2.3x slower).
#include <immintrin.h>

#include "avx2_chunks.h"
#include "avx2_math.h"
#include "kernels.h"
#include "lrn4j/lrn4j.h"

namespace lrn4j::avx2 {
namespace {

constexpr int kVectorsPerChunk = 8;
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

// Processing step s (time step_at(s)) of hidden units [j0, j0 + 8*U) of sequence b: the state comes from
// and goes back to `st` (8*U floats, 32-byte aligned); the output rows are written whether the step is
// active or not (the oLRN's c row is 0 where it is not). The rows of the next processing step are prefetched.
template <int U, bool kTail, bool kTanh, bool kGate>
void forward_step(const Forward& a, int64_t b, int64_t j0, int64_t s, float* st, __m256i tail) {
  auto masked = [](int u) { return kTail && u == U - 1; };
  constexpr int64_t kPlanes = kGate ? 4 : 3;
  const int64_t H = a.hidden;
  const int64_t row = a.step_at(s) * a.batch + b;
  const float* q = a.g + row * a.ldg + j0;
  float* out = a.hs + row * a.ldh + j0;
  if (s + 1 < a.t_len) {
    const int64_t rn = a.step_at(s + 1) * a.batch + b;
    for (int64_t plane = 0; plane < kPlanes; ++plane) prefetch(a.g + rn * a.ldg + j0 + plane * H, 8 * U);
    prefetch(a.hs + rn * a.ldh + j0, 8 * U);
    if (kGate) prefetch(a.cs + rn * a.ldc + j0, 8 * U);
  }
  __m256 h[U];
#pragma GCC unroll 8
  for (int u = 0; u < U; ++u) h[u] = _mm256_load_ps(st + 8 * u);
  const int64_t len = a.lengths ? a.lengths[b] : a.t_len;
  if (a.step_at(s) < len) {
    // x[0, U): input gates i = sigmoid(k + h), x[U, 2U): forget gates f = sigmoid(q - h)
    __m256 x[2 * U];
#pragma GCC unroll 8
    for (int u = 0; u < U; ++u) {
      x[u] = _mm256_add_ps(load(q + H + 8 * u, masked(u), tail), h[u]);
      x[U + u] = _mm256_sub_ps(load(q + 8 * u, masked(u), tail), h[u]);
    }
    sigmoid_n(x);
    __m256 c[U];
#pragma GCC unroll 8
    for (int u = 0; u < U; ++u) {
      c[u] = _mm256_fmadd_ps(x[u], load(q + 2 * H + 8 * u, masked(u), tail), _mm256_mul_ps(x[U + u], h[u]));
    }
    if (kTanh) tanh_n(c);
    if constexpr (kGate) {
      // output gates o = sigmoid(p - c), h = o*c
      __m256 o[U];
#pragma GCC unroll 8
      for (int u = 0; u < U; ++u) o[u] = _mm256_sub_ps(load(q + 3 * H + 8 * u, masked(u), tail), c[u]);
      sigmoid_n(o);
#pragma GCC unroll 8
      for (int u = 0; u < U; ++u) {
        h[u] = _mm256_mul_ps(o[u], c[u]);
        store(a.cs + row * a.ldc + j0 + 8 * u, c[u], masked(u), tail);
      }
    } else {
#pragma GCC unroll 8
      for (int u = 0; u < U; ++u) h[u] = c[u];
    }
#pragma GCC unroll 8
    for (int u = 0; u < U; ++u) _mm256_store_ps(st + 8 * u, h[u]);
  } else if constexpr (kGate) {
#pragma GCC unroll 8
    for (int u = 0; u < U; ++u) store(a.cs + row * a.ldc + j0 + 8 * u, _mm256_setzero_ps(), masked(u), tail);
  }
#pragma GCC unroll 8
  for (int u = 0; u < U; ++u) store(out + 8 * u, h[u], masked(u), tail);
}

// Processing step s (walked from the last down to 0) of hidden units [j0, j0 + 8*U) of sequence b: the
// carried gradient comes from and goes back to `st`.
template <int U, bool kTail, bool kTanh, bool kGate>
void backward_step(const Backward& a, int64_t b, int64_t j0, int64_t s, float* st, __m256i tail) {
  auto masked = [](int u) { return kTail && u == U - 1; };
  constexpr int kPlanes = kGate ? 4 : 3;
  const int64_t len = a.lengths ? a.lengths[b] : a.t_len;
  const int64_t H = a.hidden;
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 zero = _mm256_setzero_ps();
  const int64_t t = a.step_at(s);
  const int64_t row = t * a.batch + b;
  const float* q = a.g + row * a.ldg + j0;
  // c of the step: saved by the oLRN forward pass; the state itself for plain LRN.
  const float* c_row = kGate ? a.cs + row * a.ldc + j0 : a.hs + row * a.ldh + j0;
  const float* dh_in = a.dhs ? a.dhs + row * a.lddh + j0 : nullptr;
  float* dq = a.dg + row * a.lddg + j0;
  if (s >= 1) {
    const int64_t rn = a.step_at(s - 1) * a.batch + b;
    for (int64_t plane = 0; plane < kPlanes; ++plane) {
      prefetch(a.g + rn * a.ldg + j0 + plane * H, 8 * U);
      prefetch(a.dg + rn * a.lddg + j0 + plane * H, 8 * U);
    }
    if (kGate) prefetch(a.cs + rn * a.ldc + j0, 8 * U);
    if (a.dhs) prefetch(a.dhs + rn * a.lddh + j0, 8 * U);
    if (s >= 2) prefetch(a.hs + (a.step_at(s - 2) * a.batch + b) * a.ldh + j0, 8 * U);
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
    const bool mu = masked(u);
    const int64_t o = 8 * u;
    const __m256 carry = _mm256_load_ps(st + o);
    const __m256 dh = dh_in ? _mm256_add_ps(carry, load(dh_in + o, mu, tail)) : carry;
    if (t >= len) {
      // The state passed through unchanged and the gates were not used.
      for (int plane = 0; plane < kPlanes; ++plane) store(dq + plane * H + o, zero, mu, tail);
      _mm256_store_ps(st + o, dh);
      continue;
    }
    const __m256 hp = hp_row ? load(hp_row + o, mu, tail) : zero;
    const __m256 c = kGate || kTanh ? load(c_row + o, mu, tail) : zero;
    // i = sigmoid(k + hp), f = sigmoid(q - hp) and, for the oLRN, o = sigmoid(p - c)
    __m256 x[kGate ? 3 : 2];
    x[0] = _mm256_add_ps(load(q + H + o, mu, tail), hp);
    x[1] = _mm256_sub_ps(load(q + o, mu, tail), hp);
    if constexpr (kGate) x[2] = _mm256_sub_ps(load(q + 3 * H + o, mu, tail), c);
    sigmoid_n(x);
    const __m256 i = x[0], f = x[1];
    __m256 dc = dh;
    if constexpr (kGate) {
      const __m256 og = x[2];
      const __m256 dp = _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(dh, c), og), _mm256_sub_ps(one, og));
      dc = _mm256_fmsub_ps(dh, og, dp);
      store(dq + 3 * H + o, dp, mu, tail);
    }
    const __m256 ds = kTanh ? _mm256_mul_ps(dc, _mm256_fnmadd_ps(c, c, one)) : dc;
    const __m256 v = load(q + 2 * H + o, mu, tail);
    const __m256 dk = _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(ds, v), i), _mm256_sub_ps(one, i));
    const __m256 dqv = _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(ds, hp), f), _mm256_sub_ps(one, f));
    store(dq + o, dqv, mu, tail);
    store(dq + H + o, dk, mu, tail);
    store(dq + 2 * H + o, _mm256_mul_ps(ds, i), mu, tail);
    _mm256_store_ps(st + o, _mm256_sub_ps(_mm256_fmadd_ps(ds, f, dk), dqv));
  }
}

template <int U, bool kTail, bool kTanh>
struct LrnForward {
  static constexpr StepKernel<Forward> fn = &forward_step<U, kTail, kTanh, false>;
};
template <int U, bool kTail, bool kTanh>
struct LrnBackward {
  static constexpr StepKernel<Backward> fn = &backward_step<U, kTail, kTanh, false>;
};
template <int U, bool kTail, bool kTanh>
struct OlrnForward {
  static constexpr StepKernel<Forward> fn = &forward_step<U, kTail, kTanh, true>;
};
template <int U, bool kTail, bool kTanh>
struct OlrnBackward {
  static constexpr StepKernel<Backward> fn = &backward_step<U, kTail, kTanh, true>;
};

}  // namespace

void lrn_scan_forward(int64_t t_len, int64_t batch, int64_t hidden, const float* g, int64_t ldg,
                      const float* h0, const int32_t* lengths, int act, int reverse, float* hs, int64_t ldh,
                      float* h_last, int threads) {
  const Forward a{t_len, batch, hidden, g, ldg, lengths, reverse != 0, hs, ldh, nullptr, 0};
  run_time_outer<Forward, LrnForward, kVectorsPerChunk, kMinUnitStepsPerThread>(a, h0, h_last, true,
                                                                              act == LRN4J_ACT_TANH, threads);
}

void lrn_scan_backward(int64_t t_len, int64_t batch, int64_t hidden, const float* g, int64_t ldg,
                       const float* h0, const int32_t* lengths, int act, int reverse, const float* hs,
                       int64_t ldh, const float* dhs, int64_t lddh, const float* dh_last, float* dg,
                       int64_t lddg, float* dh0, int threads) {
  const Backward a{t_len, batch, hidden, g, ldg, h0, lengths, reverse != 0, hs, ldh, nullptr, 0, dhs, lddh, dg, lddg};
  run_time_outer<Backward, LrnBackward, kVectorsPerChunk, kMinUnitStepsPerThread>(a, dh_last, dh0, false,
                                                                                act == LRN4J_ACT_TANH, threads);
}

void olrn_scan_forward(int64_t t_len, int64_t batch, int64_t hidden, const float* g, int64_t ldg,
                       const float* h0, const int32_t* lengths, int act, int reverse, float* hs, int64_t ldh,
                       float* cs, int64_t ldc, float* h_last, int threads) {
  const Forward a{t_len, batch, hidden, g, ldg, lengths, reverse != 0, hs, ldh, cs, ldc};
  run_time_outer<Forward, OlrnForward, kVectorsPerChunk, kMinUnitStepsPerThread>(a, h0, h_last, true,
                                                                               act == LRN4J_ACT_TANH, threads);
}

void olrn_scan_backward(int64_t t_len, int64_t batch, int64_t hidden, const float* g, int64_t ldg,
                        const float* h0, const int32_t* lengths, int act, int reverse, const float* hs,
                        int64_t ldh, const float* cs, int64_t ldc, const float* dhs, int64_t lddh,
                        const float* dh_last, float* dg, int64_t lddg, float* dh0, int threads) {
  const Backward a{t_len, batch, hidden, g, ldg, h0, lengths, reverse != 0, hs, ldh, cs, ldc, dhs, lddh, dg, lddg};
  run_time_outer<Backward, OlrnBackward, kVectorsPerChunk, kMinUnitStepsPerThread>(a, dh_last, dh0, false,
                                                                                 act == LRN4J_ACT_TANH, threads);
}

}  // namespace lrn4j::avx2
