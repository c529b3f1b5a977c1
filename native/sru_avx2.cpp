// AVX2 SRU scan, forward and backward: the formulas of sru_ref.cpp (lrn4j.h) with the structure of the
// LRN scan (scan_avx2.cpp). A chunk is U <= 4 vectors of 8 neighbouring units of one sequence whose
// recurrences are interleaved, gates evaluated stage by stage across them (avx2_math.h's *_n), the cell
// state (forward) or its gradient carry and the v-gradient sums (backward) in registers for the whole walk
// over time. Chunks are fixed by (sequence, 32-unit block), independent of the thread count, and share no
// output, so results do not depend on how many threads run them. The last vector of a row may be partial
// (masked loads and stores; other lanes never touched; see simd_chunks.h). Rows a few steps ahead are
// prefetched, as in the LRN scan: consecutive steps of a chunk lie a page or more apart.
#include <immintrin.h>

#include "avx2_math.h"
#include "simd_chunks.h"
#include "kernels.h"
#include "lrn4j/lrn4j.h"

namespace lrn4j::avx2 {
namespace {

// simd_chunks.h's loads and stores of partial vectors, on 8 lanes.
inline __m256 load(const float* p, bool masked, __m256i mask) { return simd::load<__m256>(p, masked, mask); }
inline void store(float* p, __m256 v, bool masked, __m256i mask) { simd::store<__m256>(p, v, masked, mask); }

constexpr int kVectorsPerChunk = 4;
constexpr int64_t kMinUnitStepsPerThread = int64_t{1} << 14;
constexpr int64_t kPrefetchSteps = 8;

struct Args {
  int64_t t_len, batch, hidden, k;
  const float* u;
  int64_t ldu;
  const float* x;
  int64_t ldx;
  const float* v;
  const float* bias;
  const float* c0;
  const int32_t* lengths;
  bool reverse;
  // forward
  float* h;
  int64_t ldh;
  float* c_out;
  float* c_last;
  // backward
  const float* c_in;
  int64_t ldc;
  const float* dh;
  int64_t lddh;
  const float* dc_last;
  float* du;
  int64_t lddu;
  float* dx;
  int64_t lddx;
  float* dv;
  float* dc0;

  int64_t step_at(int64_t s) const { return reverse ? t_len - 1 - s : s; }
  // The highway input of row (t, b) at unit j0: the fourth plane of u, or x.
  const float* highway(int64_t row, int64_t j0) const {
    return k == 4 ? u + row * ldu + 3 * hidden + j0 : x + row * ldx + j0;
  }
};

template <int U, bool kTail, bool kTanh>
void forward_chunk(const Args& a, int64_t b, int64_t j0, __m256i tail) {
  auto masked = [](int w) { return kTail && w == U - 1; };
  const int64_t len = a.lengths ? a.lengths[b] : a.t_len;
  const int64_t H = a.hidden;
  __m256 c[U];
#pragma GCC unroll 4
  for (int w = 0; w < U; ++w) c[w] = a.c0 ? load(a.c0 + b * H + j0 + 8 * w, masked(w), tail) : _mm256_setzero_ps();
  for (int64_t s = 0; s < a.t_len; ++s) {
    const int64_t t = a.step_at(s);
    const int64_t row = t * a.batch + b;
    const float* ux = a.u + row * a.ldu + j0;
    const float* xh = a.highway(row, j0);
    float* hr = a.h + row * a.ldh + j0;
    float* cr = a.c_out + row * a.ldc + j0;
    if (s + kPrefetchSteps < a.t_len) {
      const int64_t ra = a.step_at(s + kPrefetchSteps) * a.batch + b;
      const float* uxa = a.u + ra * a.ldu + j0;
      for (int64_t p = 0; p < a.k; ++p) simd::prefetch(uxa + p * H, 8 * U);
      if (a.k == 3) simd::prefetch(a.highway(ra, j0), 8 * U);
    }
    if (t >= len) {
#pragma GCC unroll 4
      for (int w = 0; w < U; ++w) {
        store(hr + 8 * w, _mm256_setzero_ps(), masked(w), tail);
        store(cr + 8 * w, c[w], masked(w), tail);
      }
      continue;
    }
    // gate[0, U): forget gates f, gate[U, 2U): reset gates r
    __m256 gate[2 * U];
#pragma GCC unroll 4
    for (int w = 0; w < U; ++w) {
      const int64_t o = 8 * w;
      gate[w] = _mm256_fmadd_ps(load(a.v + j0 + o, masked(w), tail), c[w],
                                _mm256_add_ps(load(ux + H + o, masked(w), tail), load(a.bias + j0 + o, masked(w), tail)));
      gate[U + w] = _mm256_fmadd_ps(load(a.v + H + j0 + o, masked(w), tail), c[w],
                                    _mm256_add_ps(load(ux + 2 * H + o, masked(w), tail),
                                                  load(a.bias + H + j0 + o, masked(w), tail)));
    }
    sigmoid_n(gate);
    __m256 g[U];
#pragma GCC unroll 4
    for (int w = 0; w < U; ++w) {
      const __m256 xv = load(ux + 8 * w, masked(w), tail);
      // f*c + (1 - f)*ux = ux + f*(c - ux)
      c[w] = _mm256_fmadd_ps(gate[w], _mm256_sub_ps(c[w], xv), xv);
      g[w] = c[w];
    }
    if (kTanh) tanh_n(g);
#pragma GCC unroll 4
    for (int w = 0; w < U; ++w) {
      const __m256 xhv = load(xh + 8 * w, masked(w), tail);
      // r*g + (1 - r)*xh = xh + r*(g - xh)
      store(hr + 8 * w, _mm256_fmadd_ps(gate[U + w], _mm256_sub_ps(g[w], xhv), xhv), masked(w), tail);
      store(cr + 8 * w, c[w], masked(w), tail);
    }
  }
  if (a.c_last) {
#pragma GCC unroll 4
    for (int w = 0; w < U; ++w) store(a.c_last + b * H + j0 + 8 * w, c[w], masked(w), tail);
  }
}

template <int U, bool kTail, bool kTanh>
void backward_chunk(const Args& a, int64_t b, int64_t j0, __m256i tail) {
  auto masked = [](int w) { return kTail && w == U - 1; };
  const int64_t len = a.lengths ? a.lengths[b] : a.t_len;
  const int64_t H = a.hidden;
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 zero = _mm256_setzero_ps();
  // Gradient w.r.t. the cell state after the step being visited, from the steps after it; and the sums
  // of d(uf)*c_prev and d(ur)*c_prev.
  __m256 carry[U], dvf[U], dvr[U];
#pragma GCC unroll 4
  for (int w = 0; w < U; ++w) {
    carry[w] = a.dc_last ? load(a.dc_last + b * H + j0 + 8 * w, masked(w), tail) : zero;
    dvf[w] = zero;
    dvr[w] = zero;
  }
  for (int64_t s = a.t_len - 1; s >= 0; --s) {
    const int64_t t = a.step_at(s);
    const int64_t row = t * a.batch + b;
    float* dux = a.du + row * a.lddu + j0;
    if (t >= len) {
#pragma GCC unroll 4
      for (int w = 0; w < U; ++w) {
        for (int64_t p = 0; p < a.k; ++p) store(dux + p * H + 8 * w, zero, masked(w), tail);
      }
      continue;
    }
    if (s >= kPrefetchSteps) {
      const int64_t ra = a.step_at(s - kPrefetchSteps) * a.batch + b;
      const float* uxa = a.u + ra * a.ldu + j0;
      for (int64_t p = 0; p < a.k; ++p) {
        simd::prefetch(uxa + p * H, 8 * U);
        simd::prefetch(a.du + ra * a.lddu + j0 + p * H, 8 * U);
      }
      simd::prefetch(a.c_in + ra * a.ldc + j0, 8 * U);
      if (a.dh) simd::prefetch(a.dh + ra * a.lddh + j0, 8 * U);
    }
    const float* ux = a.u + row * a.ldu + j0;
    const float* xh = a.highway(row, j0);
    const float* cr = a.c_in + row * a.ldc + j0;
    const float* cp_row = s > 0 ? a.c_in + (a.step_at(s - 1) * a.batch + b) * a.ldc + j0
                                : (a.c0 ? a.c0 + b * H + j0 : nullptr);
    const float* dhr = a.dh ? a.dh + row * a.lddh + j0 : nullptr;
    float* dxr = a.k == 3 ? a.dx + row * a.lddx + j0 : nullptr;
    __m256 cp[U], gate[2 * U], g[U];
#pragma GCC unroll 4
    for (int w = 0; w < U; ++w) {
      const int64_t o = 8 * w;
      cp[w] = cp_row ? load(cp_row + o, masked(w), tail) : zero;
      gate[w] = _mm256_fmadd_ps(load(a.v + j0 + o, masked(w), tail), cp[w],
                                _mm256_add_ps(load(ux + H + o, masked(w), tail), load(a.bias + j0 + o, masked(w), tail)));
      gate[U + w] = _mm256_fmadd_ps(load(a.v + H + j0 + o, masked(w), tail), cp[w],
                                    _mm256_add_ps(load(ux + 2 * H + o, masked(w), tail),
                                                  load(a.bias + H + j0 + o, masked(w), tail)));
      g[w] = load(cr + o, masked(w), tail);
    }
    sigmoid_n(gate);
    if (kTanh) tanh_n(g);
#pragma GCC unroll 4
    for (int w = 0; w < U; ++w) {
      const int64_t o = 8 * w;
      const bool mw = masked(w);
      const __m256 f = gate[w], r = gate[U + w];
      const __m256 dh = dhr ? load(dhr + o, mw, tail) : zero;
      const __m256 xhv = load(xh + o, mw, tail);
      const __m256 xv = load(ux + o, mw, tail);
      const __m256 dr = _mm256_mul_ps(_mm256_mul_ps(dh, _mm256_sub_ps(g[w], xhv)), _mm256_mul_ps(r, _mm256_sub_ps(one, r)));
      __m256 dgc = _mm256_mul_ps(dh, r);
      if (kTanh) dgc = _mm256_mul_ps(dgc, _mm256_fnmadd_ps(g[w], g[w], one));
      const __m256 dct = _mm256_add_ps(carry[w], dgc);
      const __m256 df = _mm256_mul_ps(_mm256_mul_ps(dct, _mm256_sub_ps(cp[w], xv)), _mm256_mul_ps(f, _mm256_sub_ps(one, f)));
      store(dux + o, _mm256_mul_ps(dct, _mm256_sub_ps(one, f)), mw, tail);
      store(dux + H + o, df, mw, tail);
      store(dux + 2 * H + o, dr, mw, tail);
      const __m256 dhigh = _mm256_mul_ps(dh, _mm256_sub_ps(one, r));
      if (a.k == 4) {
        store(dux + 3 * H + o, dhigh, mw, tail);
      } else {
        store(dxr + o, _mm256_add_ps(load(dxr + o, mw, tail), dhigh), mw, tail);
      }
      dvf[w] = _mm256_fmadd_ps(df, cp[w], dvf[w]);
      dvr[w] = _mm256_fmadd_ps(dr, cp[w], dvr[w]);
      const __m256 vf = load(a.v + j0 + o, mw, tail);
      const __m256 vr = load(a.v + H + j0 + o, mw, tail);
      carry[w] = _mm256_fmadd_ps(dr, vr, _mm256_fmadd_ps(df, vf, _mm256_mul_ps(dct, f)));
    }
  }
#pragma GCC unroll 4
  for (int w = 0; w < U; ++w) {
    store(a.dv + b * 2 * H + j0 + 8 * w, dvf[w], masked(w), tail);
    store(a.dv + b * 2 * H + H + j0 + 8 * w, dvr[w], masked(w), tail);
    if (a.dc0) store(a.dc0 + b * H + j0 + 8 * w, carry[w], masked(w), tail);
  }
}

template <int U, bool kTail, bool kTanh>
struct ForwardK {
  static constexpr simd::ChunkKernel<__m256, Args> fn = &forward_chunk<U, kTail, kTanh>;
};
template <int U, bool kTail, bool kTanh>
struct BackwardK {
  static constexpr simd::ChunkKernel<__m256, Args> fn = &backward_chunk<U, kTail, kTanh>;
};

}  // namespace

void sru_scan_forward(int64_t t_len, int64_t batch, int64_t hidden, int64_t k, const float* u, int64_t ldu,
                      const float* x, int64_t ldx, const float* v, const float* bias, const float* c0,
                      const int32_t* lengths, int act, int reverse, float* h, int64_t ldh, float* c, int64_t ldc,
                      float* c_last, int threads) {
  Args a{};
  a.t_len = t_len, a.batch = batch, a.hidden = hidden, a.k = k, a.u = u, a.ldu = ldu, a.x = x, a.ldx = ldx;
  a.v = v, a.bias = bias, a.c0 = c0, a.lengths = lengths, a.reverse = reverse != 0;
  a.h = h, a.ldh = ldh, a.c_out = c, a.ldc = ldc, a.c_last = c_last;
  simd::run_chunks<__m256, Args, ForwardK, kVectorsPerChunk, kMinUnitStepsPerThread>(a, act == LRN4J_ACT_TANH,
                                                                                     threads);
}

void sru_scan_backward(int64_t t_len, int64_t batch, int64_t hidden, int64_t k, const float* u, int64_t ldu,
                       const float* x, int64_t ldx, const float* v, const float* bias, const float* c0,
                       const int32_t* lengths, int act, int reverse, const float* c, int64_t ldc, const float* dh,
                       int64_t lddh, const float* dc_last, float* du, int64_t lddu, float* dx, int64_t lddx,
                       float* dv, float* dc0, int threads) {
  Args a{};
  a.t_len = t_len, a.batch = batch, a.hidden = hidden, a.k = k, a.u = u, a.ldu = ldu, a.x = x, a.ldx = ldx;
  a.v = v, a.bias = bias, a.c0 = c0, a.lengths = lengths, a.reverse = reverse != 0;
  a.c_in = c, a.ldc = ldc, a.dh = dh, a.lddh = lddh, a.dc_last = dc_last, a.du = du, a.lddu = lddu;
  a.dx = dx, a.lddx = lddx, a.dv = dv, a.dc0 = dc0;
  simd::run_chunks<__m256, Args, BackwardK, kVectorsPerChunk, kMinUnitStepsPerThread>(a, act == LRN4J_ACT_TANH,
                                                                                      threads);
}

}  // namespace lrn4j::avx2
