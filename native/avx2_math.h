// Vectorised exp, sigmoid and tanh for the AVX2 scan kernels. Header-only and inline: include it only
// from translation units compiled with -mavx2 -mfma.
//
// Accuracy, measured against double precision over every second float bit pattern (all finite floats,
// both signs, including subnormals and the saturated tails):
//   sigmoid_ps: max absolute error 8.9e-8;  tanh_ps: max absolute error 7.9e-8, max relative 1.5e-7.
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

// e^x for x in [-87, 87] (callers clamp): x = n*ln2 + r with |r| <= ln2/2 and ln2 split in two parts
// (Cody-Waite), e^r = 1 + r + r^2 p(r) with p a degree-5 minimax polynomial (relative error ~1e-7), 2^n built in the exponent
// field. The range keeps n + 127 within [1, 254], so 2^n is a normal float.
inline __m256 exp_ps(__m256 x) {
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  const __m256 er = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), _mm256_set1_ps(1.0f));
  const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(er, _mm256_castsi256_ps(bits));
}

// sigmoid(x) = 1 / (1 + e^-x). Past |x| = 87 the true value is within 1.7e-38 of 0 or 1.
inline __m256 sigmoid_ps(__m256 x) {
  const __m256 minus_x = _mm256_xor_ps(x, _mm256_set1_ps(-0.0f));
  const __m256 e = exp_ps(clamp_ps(minus_x, -87.0f, 87.0f));
  return _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_add_ps(_mm256_set1_ps(1.0f), e));
}

// tanh(x): for |x| < 0.625, x + x^3 P(x^2) with P a degree-4 minimax fit of (tanh(x) - x)/x^3 (relative
// error 4e-9 before rounding), which keeps full relative precision near 0; above, 1 - 2/(1 + e^{2|x|})
// with the sign of x restored, where no cancellation is left (tanh(0.625) = 0.55).
inline __m256 tanh_ps(__m256 x) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  const __m256 ax = _mm256_andnot_ps(sign, x);

  const __m256 s = _mm256_mul_ps(x, x);
  __m256 p = _mm256_set1_ps(-5.704991985e-03f);
  p = _mm256_fmadd_ps(p, s, _mm256_set1_ps(2.063909173e-02f));
  p = _mm256_fmadd_ps(p, s, _mm256_set1_ps(-5.373971537e-02f));
  p = _mm256_fmadd_ps(p, s, _mm256_set1_ps(1.333144158e-01f));
  p = _mm256_fmadd_ps(p, s, _mm256_set1_ps(-3.333328068e-01f));
  const __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(x, s), p, x);

  const __m256 e = exp_ps(_mm256_min_ps(_mm256_set1_ps(87.0f), _mm256_add_ps(ax, ax)));
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 large_abs = _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(one, e)));
  const __m256 large = _mm256_or_ps(large_abs, _mm256_and_ps(sign, x));

  return _mm256_blendv_ps(large, small, _mm256_cmp_ps(ax, _mm256_set1_ps(0.625f), _CMP_LT_OQ));
}

}  // namespace lrn4j::avx2

#endif
