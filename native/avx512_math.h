// The 16-lane AVX-512F vector of simd_math.h and simd_chunks.h: the exp, sigmoid and tanh of the AVX-512
// scans are simd_math.h's on __m512. Partial vectors are read and written through an __mmask16 (masked
// lanes are neither read nor written). Header-only and inline: include it only from translation units
// compiled with -mavx512f -mfma.
//
// Accuracy against double precision, checked by tests/native/test_simd_math.cpp over a sweep of float bit
// patterns of both signs (subnormals and the saturated tails included) and a dense grid on [-12, 12]:
//   sigmoid: max absolute error 9.0e-8 (bound checked: 1e-7);
//   tanh: max absolute error 1.5e-7 (2e-7), max relative error 1.7e-7 for |x| < 1 (2e-7);
//   exp on [-87, 87]: max relative error 8.5e-8 (1e-7).
// Large |x| saturates without overflow: sigmoid to exactly 0/1 (or a tiny positive value), tanh to
// exactly +-1. NaN in gives NaN out.
#ifndef LRN4J_NATIVE_AVX512_MATH_H
#define LRN4J_NATIVE_AVX512_MATH_H

#include <immintrin.h>

#include "simd_math.h"

namespace lrn4j::simd {
namespace {

template <>
struct Simd<__m512> {
  using V = __m512;
  using Mask = __mmask16;
  static constexpr int kLanes = 16;
  // Operations with no mask of their own are written as their zero-masked forms with every lane set, which
  // compile to the plain instructions: GCC 12's plain forms of min, max, rcp14, andnot and the shifts start
  // from an undefined register that -Wmaybe-uninitialized reports.
  static constexpr Mask kAll = 0xFFFF;

  static V set1(float x) { return _mm512_set1_ps(x); }
  static V fmadd(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V fnmadd(V a, V b, V c) { return _mm512_fnmadd_ps(a, b, c); }
  static V fmsub(V a, V b, V c) { return _mm512_fmsub_ps(a, b, c); }
  static V min(V a, V b) { return _mm512_maskz_min_ps(kAll, a, b); }
  static V max(V a, V b) { return _mm512_maskz_max_ps(kAll, a, b); }
  // The float forms of the bit operations are AVX-512DQ; the integer forms are AVX-512F.
  static V bit_or(V a, V b) { return as_ps(_mm512_or_si512(as_si(a), as_si(b))); }
  static V bit_xor(V a, V b) { return as_ps(_mm512_xor_si512(as_si(a), as_si(b))); }
  static V bit_andnot(V a, V b) { return as_ps(_mm512_maskz_andnot_epi32(kAll, as_si(a), as_si(b))); }
  static V pow2_of_rounded(V t) {
    return as_ps(_mm512_maskz_slli_epi32(kAll, _mm512_add_epi32(as_si(t), _mm512_set1_epi32(127)), 23));
  }
  // a / d without vdivps (a 512-bit division issues once per 10 cycles or so, and a scan step has three on
  // its dependency chain): r = rcp14(d), within 2^-14 relative, q0 = a*r, then one correction with the
  // exact residual a - q0*d (fused), whose error is that of r squared: below 2^-28 relative, within an ulp
  // of the quotient. At d = 1 r is exactly 1, so the residual is 0 and q = a exactly.
  static V div(V a, V d) {
    const V r = _mm512_maskz_rcp14_ps(kAll, d);
    const V q = a * r;
    return fmadd(fnmadd(q, d, a), r, q);
  }

  static Mask tail_mask(int n) { return static_cast<Mask>((1u << n) - 1); }
  static V loadu(const float* p) { return _mm512_loadu_ps(p); }
  static V maskload(const float* p, Mask mask) { return _mm512_maskz_loadu_ps(mask, p); }
  static void storeu(float* p, V v) { _mm512_storeu_ps(p, v); }
  static void maskstore(float* p, V v, Mask mask) { _mm512_mask_storeu_ps(p, mask, v); }

 private:
  static __m512i as_si(V v) { return _mm512_castps_si512(v); }
  static V as_ps(__m512i v) { return _mm512_castsi512_ps(v); }
};

}  // namespace
}  // namespace lrn4j::simd

#endif
