// AVX2 oLRN scan (the LRN scan with an output gate), forward and backward: the formulas of
// scan_ref.cpp (lrn4j.h) on chunks of avx2_chunks.h, 8 vectors (64 units) of one sequence each, walked
// over time chunk-at-a-time as in the SRU scan. The forward step is a chain of three transcendental stages
// (sigmoid of i and f, g, sigmoid of o), each evaluated stage by stage across the chunk's eight vectors
// (avx2_math.h's *_n) so that their dependency chains overlap; the chunk's state stays in registers for the
// whole walk. The backward step has no transcendental on its recurrence (i, f and o come from memory: g, the
// previous h, and c), so its sigmoids are independent work; only the gradient carry stays in registers.
// Chunks are fixed by (sequence, 64-unit block), independent of the thread count, and share no output.
#include <immintrin.h>

#include "avx2_chunks.h"
#include "avx2_math.h"
#include "kernels.h"
#include "lrn4j/lrn4j.h"

namespace lrn4j::avx2 {
namespace {

constexpr int kVectorsPerChunk = 8;
constexpr int64_t kMinUnitStepsPerThread = int64_t{1} << 14;
constexpr int64_t kPrefetchSteps = 8;

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
  float* h_last;
  // backward
  const float* hs;
  const float* cs;
  const float* dhs;
  int64_t lddh;
  const float* dh_last;
  float* dg;
  int64_t lddg;
  float* dh0;

  int64_t step_at(int64_t s) const { return reverse ? t_len - 1 - s : s; }
};

template <int U, bool kTail, bool kTanh>
void forward_chunk(const Args& a, int64_t b, int64_t j0, __m256i tail) {
  auto masked = [](int u) { return kTail && u == U - 1; };
  const int64_t len = a.lengths ? a.lengths[b] : a.t_len;
  const int64_t H = a.hidden;
  __m256 h[U];
#pragma GCC unroll 8
  for (int u = 0; u < U; ++u) h[u] = a.h0 ? load(a.h0 + b * H + j0 + 8 * u, masked(u), tail) : _mm256_setzero_ps();
  for (int64_t s = 0; s < a.t_len; ++s) {
    const int64_t t = a.step_at(s);
    const int64_t row = t * a.batch + b;
    const float* q = a.g + row * a.ldg + j0;
    float* out = a.hs_out + row * a.ldh + j0;
    float* c_out = a.cs_out + row * a.ldc + j0;
    if (s + kPrefetchSteps < a.t_len) {
      const int64_t ra = a.step_at(s + kPrefetchSteps) * a.batch + b;
      const float* qa = a.g + ra * a.ldg + j0;
      for (int64_t plane = 0; plane < 4; ++plane) prefetch(qa + plane * H, 8 * U);
      prefetch(a.hs_out + ra * a.ldh + j0, 8 * U);
      prefetch(a.cs_out + ra * a.ldc + j0, 8 * U);
    }
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
        store(c_out + 8 * u, c[u], masked(u), tail);
      }
    } else {
#pragma GCC unroll 8
      for (int u = 0; u < U; ++u) store(c_out + 8 * u, _mm256_setzero_ps(), masked(u), tail);
    }
#pragma GCC unroll 8
    for (int u = 0; u < U; ++u) store(out + 8 * u, h[u], masked(u), tail);
  }
  if (a.h_last) {
#pragma GCC unroll 8
    for (int u = 0; u < U; ++u) store(a.h_last + b * H + j0 + 8 * u, h[u], masked(u), tail);
  }
}

template <int U, bool kTail, bool kTanh>
void backward_chunk(const Args& a, int64_t b, int64_t j0, __m256i tail) {
  auto masked = [](int u) { return kTail && u == U - 1; };
  const int64_t len = a.lengths ? a.lengths[b] : a.t_len;
  const int64_t H = a.hidden;
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 zero = _mm256_setzero_ps();
  // Gradient w.r.t. the state after the step being visited, from the steps after it.
  __m256 carry[U];
#pragma GCC unroll 8
  for (int u = 0; u < U; ++u) carry[u] = a.dh_last ? load(a.dh_last + b * H + j0 + 8 * u, masked(u), tail) : zero;
  for (int64_t s = a.t_len - 1; s >= 0; --s) {
    const int64_t t = a.step_at(s);
    const int64_t row = t * a.batch + b;
    const float* dh_in = a.dhs ? a.dhs + row * a.lddh + j0 : nullptr;
    float* dq = a.dg + row * a.lddg + j0;
    if (t >= len) {
      // The state passed through unchanged and the gates were not used.
#pragma GCC unroll 8
      for (int u = 0; u < U; ++u) {
        for (int64_t plane = 0; plane < 4; ++plane) store(dq + plane * H + 8 * u, zero, masked(u), tail);
        if (dh_in) carry[u] = _mm256_add_ps(carry[u], load(dh_in + 8 * u, masked(u), tail));
      }
      continue;
    }
    if (s >= kPrefetchSteps) {
      const int64_t ra = a.step_at(s - kPrefetchSteps) * a.batch + b;
      const float* qa = a.g + ra * a.ldg + j0;
      const float* dqa = a.dg + ra * a.lddg + j0;
      for (int64_t plane = 0; plane < 4; ++plane) {
        prefetch(qa + plane * H, 8 * U);
        prefetch(dqa + plane * H, 8 * U);
      }
      prefetch(a.hs + ra * a.ldh + j0, 8 * U);
      prefetch(a.cs + ra * a.ldc + j0, 8 * U);
      if (a.dhs) prefetch(a.dhs + ra * a.lddh + j0, 8 * U);
    }
    const float* q = a.g + row * a.ldg + j0;
    const float* c_row = a.cs + row * a.ldc + j0;
    // State before step t: after the previously processed step, or h0 (NULL: zeros) for the first.
    const float* hp_row = s > 0 ? a.hs + (a.step_at(s - 1) * a.batch + b) * a.ldh + j0
                                : (a.h0 ? a.h0 + b * H + j0 : nullptr);
    // x[0, U): i = sigmoid(k + hp), x[U, 2U): f = sigmoid(q - hp), x[2U, 3U): o = sigmoid(p - c)
    __m256 hp[U], c[U], x[3 * U];
#pragma GCC unroll 8
    for (int u = 0; u < U; ++u) {
      const bool mu = masked(u);
      const int64_t o = 8 * u;
      hp[u] = hp_row ? load(hp_row + o, mu, tail) : zero;
      c[u] = load(c_row + o, mu, tail);
      x[u] = _mm256_add_ps(load(q + H + o, mu, tail), hp[u]);
      x[U + u] = _mm256_sub_ps(load(q + o, mu, tail), hp[u]);
      x[2 * U + u] = _mm256_sub_ps(load(q + 3 * H + o, mu, tail), c[u]);
    }
    sigmoid_n(x);
#pragma GCC unroll 8
    for (int u = 0; u < U; ++u) {
      const bool mu = masked(u);
      const int64_t o = 8 * u;
      const __m256 i = x[u], f = x[U + u], og = x[2 * U + u];
      const __m256 dh = dh_in ? _mm256_add_ps(carry[u], load(dh_in + o, mu, tail)) : carry[u];
      const __m256 dp = _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(dh, c[u]), og), _mm256_sub_ps(one, og));
      const __m256 dc = _mm256_fmsub_ps(dh, og, dp);
      const __m256 ds = kTanh ? _mm256_mul_ps(dc, _mm256_fnmadd_ps(c[u], c[u], one)) : dc;
      const __m256 v = load(q + 2 * H + o, mu, tail);
      const __m256 dk = _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(ds, v), i), _mm256_sub_ps(one, i));
      const __m256 dqv = _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(ds, hp[u]), f), _mm256_sub_ps(one, f));
      store(dq + o, dqv, mu, tail);
      store(dq + H + o, dk, mu, tail);
      store(dq + 2 * H + o, _mm256_mul_ps(ds, i), mu, tail);
      store(dq + 3 * H + o, dp, mu, tail);
      carry[u] = _mm256_sub_ps(_mm256_fmadd_ps(ds, f, dk), dqv);
    }
  }
  if (a.dh0) {
#pragma GCC unroll 8
    for (int u = 0; u < U; ++u) store(a.dh0 + b * H + j0 + 8 * u, carry[u], masked(u), tail);
  }
}

template <int U, bool kTail, bool kTanh>
struct ForwardK {
  static constexpr ChunkKernel<Args> fn = &forward_chunk<U, kTail, kTanh>;
};
template <int U, bool kTail, bool kTanh>
struct BackwardK {
  static constexpr ChunkKernel<Args> fn = &backward_chunk<U, kTail, kTanh>;
};

}  // namespace

void olrn_scan_forward(int64_t t_len, int64_t batch, int64_t hidden, const float* g, int64_t ldg,
                       const float* h0, const int32_t* lengths, int act, int reverse, float* hs, int64_t ldh,
                       float* cs, int64_t ldc, float* h_last, int threads) {
  Args a{};
  a.t_len = t_len, a.batch = batch, a.hidden = hidden, a.g = g, a.ldg = ldg, a.h0 = h0, a.lengths = lengths;
  a.reverse = reverse != 0, a.hs_out = hs, a.ldh = ldh, a.cs_out = cs, a.ldc = ldc, a.h_last = h_last;
  run_chunks<Args, ForwardK, kVectorsPerChunk, kMinUnitStepsPerThread>(a, act == LRN4J_ACT_TANH, threads);
}

void olrn_scan_backward(int64_t t_len, int64_t batch, int64_t hidden, const float* g, int64_t ldg,
                        const float* h0, const int32_t* lengths, int act, int reverse, const float* hs,
                        int64_t ldh, const float* cs, int64_t ldc, const float* dhs, int64_t lddh,
                        const float* dh_last, float* dg, int64_t lddg, float* dh0, int threads) {
  Args a{};
  a.t_len = t_len, a.batch = batch, a.hidden = hidden, a.g = g, a.ldg = ldg, a.h0 = h0, a.lengths = lengths;
  a.reverse = reverse != 0, a.hs = hs, a.ldh = ldh, a.cs = cs, a.ldc = ldc;
  a.dhs = dhs, a.lddh = lddh, a.dh_last = dh_last, a.dg = dg, a.lddg = lddg, a.dh0 = dh0;
  run_chunks<Args, BackwardK, kVectorsPerChunk, kMinUnitStepsPerThread>(a, act == LRN4J_ACT_TANH, threads);
}

}  // namespace lrn4j::avx2
