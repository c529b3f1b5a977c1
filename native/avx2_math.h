// Vectorised exp, sigmoid and tanh for the AVX2 scan kernels. Header-only and inline: include it only
// from translation units compiled with -mavx2 -mfma.
//
// Accuracy against double precision, checked by tests/native/test_avx2_math.cpp over a sweep of float bit
// patterns of both signs (subnormals and the saturated tails included) and a dense grid on [-12, 12]:
//   sigmoid: max absolute error 8.9e-8 (bound checked: 1e-7);
//   tanh: max absolute error 1.5e-7 (2e-7), max relative error 1.7e-7 for |x| < 1 (2e-7);
//   exp on [-87, 87]: max relative error 8.5e-8 (1e-7).
// Large |x| saturates without overflow: sigmoid to exactly 0/1 (or a tiny positive value), tanh to
// exactly +-1. NaN in gives NaN out.
#ifndef LRN4J_NATIVE_AVX2_MATH_H
#define LRN4J_NATIVE_AVX2_MATH_H

#include <immintrin.h>

namespace lrn4j::avx2 {

// Clamps x to [lo, hi]. x is the second operand of max/min so that a NaN x is passed through.
inline __m256 clamp_ps(__m256 x, float lo, float hi) {
  return _mm256_min_ps(_mm256_set1_ps(hi), _mm256_max_ps(_mm256_set1_ps(lo), x));
}

// Each function below takes N independent vectors and works through them stage by stage (every
// vector's first operation, then every vector's second, ...). A scan step's sigmoid and tanh lie on the
// recurrence's dependency chain (~200 cycles per step); written one vector after another, the chains of
// a chunk's vectors sit further apart than the out-of-order window reaches and run one after the other.
// Stage-major order puts N independent operations side by side. The arithmetic per element is the same
// for every N, so results do not depend on how many vectors are evaluated together.

// e^x = 2^n (1 + m) for x in [-87, 87] (callers clamp): x = n*ln2 + r with |r| <= ln2/2 and ln2 split in
// two parts (Cody-Waite), m = e^r - 1 = r + r^2 p(r) with p a degree-4 fit of (e^r - 1 - r)/r^2 that
// minimises the relative error of m itself (1.3e-8 before rounding), so that e^x - 1 stays precise too. Returns 2^n (a normal float: the range
// keeps n + 127 within [1, 254]) in x and m in m.
template <int N>
inline void exp_parts_n(__m256 (&x)[N], __m256 (&m)[N]) {
  __m256 n[N];
#pragma GCC unroll 16
  for (int i = 0; i < N; ++i) {
    n[i] = _mm256_round_ps(_mm256_mul_ps(x[i], _mm256_set1_ps(1.44269504088896341f)),
                           _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  }
  __m256 r[N], p[N];
#pragma GCC unroll 16
  for (int i = 0; i < N; ++i) r[i] = _mm256_fnmadd_ps(n[i], _mm256_set1_ps(0.693359375f), x[i]);
#pragma GCC unroll 16
  for (int i = 0; i < N; ++i) r[i] = _mm256_fnmadd_ps(n[i], _mm256_set1_ps(-2.12194440e-4f), r[i]);
#pragma GCC unroll 16
  for (int i = 0; i < N; ++i) p[i] = _mm256_fmadd_ps(_mm256_set1_ps(1.3882516650483012e-3f), r[i], _mm256_set1_ps(8.366547524929047e-3f));
#pragma GCC unroll 16
  for (int i = 0; i < N; ++i) p[i] = _mm256_fmadd_ps(p[i], r[i], _mm256_set1_ps(4.166720062494278e-2f));
#pragma GCC unroll 16
  for (int i = 0; i < N; ++i) p[i] = _mm256_fmadd_ps(p[i], r[i], _mm256_set1_ps(1.666654348373413e-1f));
#pragma GCC unroll 16
  for (int i = 0; i < N; ++i) p[i] = _mm256_fmadd_ps(p[i], r[i], _mm256_set1_ps(4.999999701976776e-1f));
#pragma GCC unroll 16
  for (int i = 0; i < N; ++i) {
    m[i] = _mm256_fmadd_ps(p[i], _mm256_mul_ps(r[i], r[i]), r[i]);
    const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n[i]), _mm256_set1_epi32(127)), 23);
    x[i] = _mm256_castsi256_ps(bits);
  }
}

// e^x for x in [-87, 87] (callers clamp).
template <int N>
inline void exp_n(__m256 (&x)[N]) {
  __m256 m[N];
  exp_parts_n(x, m);
#pragma GCC unroll 16
  for (int i = 0; i < N; ++i) x[i] = _mm256_fmadd_ps(x[i], m[i], x[i]);
}

// sigmoid(x) = 1 / (1 + e^-x). Past |x| = 87 the true value is within 1.7e-38 of 0 or 1.
template <int N>
inline void sigmoid_n(__m256 (&x)[N]) {
  __m256 e[N];
#pragma GCC unroll 16
  for (int i = 0; i < N; ++i) e[i] = clamp_ps(_mm256_xor_ps(x[i], _mm256_set1_ps(-0.0f)), -87.0f, 87.0f);
  exp_n(e);
#pragma GCC unroll 16
  for (int i = 0; i < N; ++i) x[i] = _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_add_ps(_mm256_set1_ps(1.0f), e[i]));
}

// tanh(x) = sign(x) * -E / (2 + E) with E = e^{-2|x|} - 1 = 2^n (1 + m) - 1 = 2^n m + (2^n - 1), where
// 2^n - 1 is exact for the n that occur (n <= 0; below -24 it rounds to -1, harmlessly). Near 0 (n = 0)
// E = m keeps full relative precision, so no cancellation anywhere. Past |x| ~ 9 (e^{-2|x|} below half
// an ulp of 1) it is exactly +-1.
template <int N>
inline void tanh_n(__m256 (&x)[N]) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  const __m256 one = _mm256_set1_ps(1.0f);
  __m256 e[N], m[N];
#pragma GCC unroll 16
  for (int i = 0; i < N; ++i) {
    const __m256 minus_ax = _mm256_or_ps(sign, x[i]);  // -|x|
    e[i] = _mm256_max_ps(_mm256_set1_ps(-87.0f), _mm256_add_ps(minus_ax, minus_ax));
  }
  exp_parts_n(e, m);
#pragma GCC unroll 16
  for (int i = 0; i < N; ++i) {
    const __m256 em1 = _mm256_fmadd_ps(e[i], m[i], _mm256_sub_ps(e[i], one));
    const __m256 q = _mm256_div_ps(em1, _mm256_add_ps(_mm256_set1_ps(2.0f), em1));  // -tanh|x|, <= 0
    // flip q's sign unless x is negative: x >= 0 -> tanh|x|, x < 0 -> -tanh|x|
    x[i] = _mm256_xor_ps(q, _mm256_andnot_ps(x[i], sign));
  }
}

inline __m256 exp_ps(__m256 x) {
  __m256 v[1] = {x};
  exp_n(v);
  return v[0];
}

inline __m256 sigmoid_ps(__m256 x) {
  __m256 v[1] = {x};
  sigmoid_n(v);
  return v[0];
}

inline __m256 tanh_ps(__m256 x) {
  __m256 v[1] = {x};
  tanh_n(v);
  return v[0];
}

}  // namespace lrn4j::avx2

#endif
