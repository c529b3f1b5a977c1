// AVX2 oLRN scan (the LRN scan with an output gate), forward and backward: the formulas of scan_ref.cpp
// (lrn4j.h) in the structure of the LRN scan (scan_avx2.cpp): chunks of 8 vectors (64 units) of one sequence,
// walked in time-outer order (avx2_chunks.h's run_time_outer), the state (forward) or carried gradient
// (backward) of a chunk waiting in a small per-thread buffer between its steps. The forward step is a chain of
// three transcendental stages (sigmoid of i and f, g, sigmoid of o), each evaluated stage by stage across the
// chunk's vectors (avx2_math.h's *_n) so that their dependency chains overlap. The backward step has no
// transcendental on its recurrence (i, f and o come from memory: g, the previous h, and c), so each vector's
// three sigmoids are evaluated together, few registers live at a time. Chunks are fixed by (sequence, 64-unit
// block), independent of the thread count, and share no output; the last vector of a row may be partial
// (masked loads and stores, other lanes never touched). The rows of the next step are prefetched.
#include <immintrin.h>

#include "avx2_chunks.h"
#include "avx2_math.h"
#include "kernels.h"
#include "lrn4j/lrn4j.h"

namespace lrn4j::avx2 {
namespace {

constexpr int kVectorsPerChunk = 8;
constexpr int64_t kMinUnitStepsPerThread = int64_t{1} << 14;

struct Args {
  int64_t t_len, batch, hidden;
  const float* g;
  int64_t ldg;
  const float* h0;
  const int32_t* lengths;
  bool reverse;
  int64_t ldh, ldc;
  // forward
  float* hs_out;
  float* cs_out;
  // backward
  const float* hs;
  const float* cs;
  const float* dhs;
  int64_t lddh;
  float* dg;
  int64_t lddg;

  int64_t step_at(int64_t s) const { return reverse ? t_len - 1 - s : s; }
};

// Processing step s of hidden units [j0, j0 + 8*U) of sequence b: the state comes from and goes back to
// `st`; h and c rows are written whether the step is active or not.
template <int U, bool kTail, bool kTanh>
void forward_step(const Args& a, int64_t b, int64_t j0, int64_t s, float* st, __m256i tail) {
  auto masked = [](int u) { return kTail && u == U - 1; };
  const int64_t H = a.hidden;
  const int64_t t = a.step_at(s);
  const int64_t row = t * a.batch + b;
  const float* q = a.g + row * a.ldg + j0;
  float* out = a.hs_out + row * a.ldh + j0;
  float* c_out = a.cs_out + row * a.ldc + j0;
  if (s + 1 < a.t_len) {
    const int64_t rn = a.step_at(s + 1) * a.batch + b;
    const float* qn = a.g + rn * a.ldg + j0;
    for (int64_t plane = 0; plane < 4; ++plane) prefetch(qn + plane * H, 8 * U);
    prefetch(a.hs_out + rn * a.ldh + j0, 8 * U);
    prefetch(a.cs_out + rn * a.ldc + j0, 8 * U);
  }
  __m256 h[U];
#pragma GCC unroll 8
  for (int u = 0; u < U; ++u) h[u] = _mm256_load_ps(st + 8 * u);
  const int64_t len = a.lengths ? a.lengths[b] : a.t_len;
  if (t < len) {
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
    // output gates o = sigmoid(p - c)
    __m256 o[U];
#pragma GCC unroll 8
    for (int u = 0; u < U; ++u) o[u] = _mm256_sub_ps(load(q + 3 * H + 8 * u, masked(u), tail), c[u]);
    sigmoid_n(o);
#pragma GCC unroll 8
    for (int u = 0; u < U; ++u) {
      h[u] = _mm256_mul_ps(o[u], c[u]);
      _mm256_store_ps(st + 8 * u, h[u]);
      store(c_out + 8 * u, c[u], masked(u), tail);
    }
  } else {
#pragma GCC unroll 8
    for (int u = 0; u < U; ++u) store(c_out + 8 * u, _mm256_setzero_ps(), masked(u), tail);
  }
#pragma GCC unroll 8
  for (int u = 0; u < U; ++u) store(out + 8 * u, h[u], masked(u), tail);
}

// Processing step s (walked from the last down to 0) of hidden units [j0, j0 + 8*U) of sequence b: the
// carried gradient comes from and goes back to `st`.
template <int U, bool kTail, bool kTanh>
void backward_step(const Args& a, int64_t b, int64_t j0, int64_t s, float* st, __m256i tail) {
  auto masked = [](int u) { return kTail && u == U - 1; };
  const int64_t len = a.lengths ? a.lengths[b] : a.t_len;
  const int64_t H = a.hidden;
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 zero = _mm256_setzero_ps();
  const int64_t t = a.step_at(s);
  const int64_t row = t * a.batch + b;
  const float* q = a.g + row * a.ldg + j0;
  const float* c_row = a.cs + row * a.ldc + j0;
  const float* dh_in = a.dhs ? a.dhs + row * a.lddh + j0 : nullptr;
  float* dq = a.dg + row * a.lddg + j0;
  if (s >= 1) {
    const int64_t rn = a.step_at(s - 1) * a.batch + b;
    const float* qn = a.g + rn * a.ldg + j0;
    const float* dqn = a.dg + rn * a.lddg + j0;
    for (int64_t plane = 0; plane < 4; ++plane) {
      prefetch(qn + plane * H, 8 * U);
      prefetch(dqn + plane * H, 8 * U);
    }
    prefetch(a.cs + rn * a.ldc + j0, 8 * U);
    if (a.dhs) prefetch(a.dhs + rn * a.lddh + j0, 8 * U);
    if (s >= 2) prefetch(a.hs + (a.step_at(s - 2) * a.batch + b) * a.ldh + j0, 8 * U);
  }
  // State before step t: after the previously processed step, or h0 (NULL: zeros) for the first.
  const float* hp_row = s > 0 ? a.hs + (a.step_at(s - 1) * a.batch + b) * a.ldh + j0
                              : (a.h0 ? a.h0 + b * H + j0 : nullptr);
#pragma GCC unroll 8
  for (int u = 0; u < U; ++u) {
    const bool mu = masked(u);
    const int64_t o = 8 * u;
    const __m256 carry = _mm256_load_ps(st + o);
    const __m256 dh = dh_in ? _mm256_add_ps(carry, load(dh_in + o, mu, tail)) : carry;
    if (t >= len) {
      // The state passed through unchanged and the gates were not used.
      for (int64_t plane = 0; plane < 4; ++plane) store(dq + plane * H + o, zero, mu, tail);
      _mm256_store_ps(st + o, dh);
      continue;
    }
    const __m256 hp = hp_row ? load(hp_row + o, mu, tail) : zero;
    const __m256 c = load(c_row + o, mu, tail);
    // i = sigmoid(k + hp), f = sigmoid(q - hp), o = sigmoid(p - c)
    __m256 x[3] = {_mm256_add_ps(load(q + H + o, mu, tail), hp), _mm256_sub_ps(load(q + o, mu, tail), hp),
                   _mm256_sub_ps(load(q + 3 * H + o, mu, tail), c)};
    sigmoid_n(x);
    const __m256 i = x[0], f = x[1], og = x[2];
    const __m256 dp = _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(dh, c), og), _mm256_sub_ps(one, og));
    const __m256 dc = _mm256_fmsub_ps(dh, og, dp);
    const __m256 ds = kTanh ? _mm256_mul_ps(dc, _mm256_fnmadd_ps(c, c, one)) : dc;
    const __m256 dk = _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(ds, load(q + 2 * H + o, mu, tail)), i),
                                    _mm256_sub_ps(one, i));
    const __m256 dqv = _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(ds, hp), f), _mm256_sub_ps(one, f));
    store(dq + o, dqv, mu, tail);
    store(dq + H + o, dk, mu, tail);
    store(dq + 2 * H + o, _mm256_mul_ps(ds, i), mu, tail);
    store(dq + 3 * H + o, dp, mu, tail);
    _mm256_store_ps(st + o, _mm256_sub_ps(_mm256_fmadd_ps(ds, f, dk), dqv));
  }
}

template <int U, bool kTail, bool kTanh>
struct ForwardS {
  static constexpr StepKernel<Args> fn = &forward_step<U, kTail, kTanh>;
};
template <int U, bool kTail, bool kTanh>
struct BackwardS {
  static constexpr StepKernel<Args> fn = &backward_step<U, kTail, kTanh>;
};

}  // namespace

void olrn_scan_forward(int64_t t_len, int64_t batch, int64_t hidden, const float* g, int64_t ldg,
                       const float* h0, const int32_t* lengths, int act, int reverse, float* hs, int64_t ldh,
                       float* cs, int64_t ldc, float* h_last, int threads) {
  Args a{};
  a.t_len = t_len, a.batch = batch, a.hidden = hidden, a.g = g, a.ldg = ldg, a.h0 = h0, a.lengths = lengths;
  a.reverse = reverse != 0, a.ldh = ldh, a.ldc = ldc, a.hs_out = hs, a.cs_out = cs;
  run_time_outer<Args, ForwardS, kVectorsPerChunk, kMinUnitStepsPerThread>(a, h0, h_last, true,
                                                                          act == LRN4J_ACT_TANH, threads);
}

void olrn_scan_backward(int64_t t_len, int64_t batch, int64_t hidden, const float* g, int64_t ldg,
                        const float* h0, const int32_t* lengths, int act, int reverse, const float* hs,
                        int64_t ldh, const float* cs, int64_t ldc, const float* dhs, int64_t lddh,
                        const float* dh_last, float* dg, int64_t lddg, float* dh0, int threads) {
  Args a{};
  a.t_len = t_len, a.batch = batch, a.hidden = hidden, a.g = g, a.ldg = ldg, a.h0 = h0, a.lengths = lengths;
  a.reverse = reverse != 0, a.ldh = ldh, a.ldc = ldc, a.hs = hs, a.cs = cs, a.dhs = dhs, a.lddh = lddh;
  a.dg = dg, a.lddg = lddg;
  run_time_outer<Args, BackwardS, kVectorsPerChunk, kMinUnitStepsPerThread>(a, dh_last, dh0, false,
                                                                           act == LRN4J_ACT_TANH, threads);
}

}  // namespace lrn4j::avx2
