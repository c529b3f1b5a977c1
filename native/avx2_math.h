// The 8-lane AVX2/FMA vector of simd_math.h and simd_chunks.h, and the exp, sigmoid and tanh of the AVX2
// kernels (simd_math.h's, on __m256). Header-only and inline: include it only from translation units
// compiled with -mavx2 -mfma.
//
// Accuracy against double precision, checked by tests/native/test_simd_math.cpp over a sweep of float bit
// patterns of both signs (subnormals and the saturated tails included) and a dense grid on [-12, 12]:
//   sigmoid: max absolute error 8.9e-8 (bound checked: 1e-7);
//   tanh: max absolute error 1.5e-7 (2e-7), max relative error 1.7e-7 for |x| < 1 (2e-7);
//   exp on [-87, 87]: max relative error 8.5e-8 (1e-7).
// Large |x| saturates without overflow: sigmoid to exactly 0/1 (or a tiny positive value), tanh to
// exactly +-1. NaN in gives NaN out.
#ifndef LRN4J_NATIVE_AVX2_MATH_H
#define LRN4J_NATIVE_AVX2_MATH_H

#include <immintrin.h>

#include "simd_math.h"

namespace lrn4j::simd {
namespace {

template <>
struct Simd<__m256> {
  using V = __m256;
  using Mask = __m256i;  // the lanes of a partial vector: all bits set in each one
  static constexpr int kLanes = 8;

  static V set1(float x) { return _mm256_set1_ps(x); }
  static V fmadd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V fnmadd(V a, V b, V c) { return _mm256_fnmadd_ps(a, b, c); }
  static V fmsub(V a, V b, V c) { return _mm256_fmsub_ps(a, b, c); }
  static V min(V a, V b) { return _mm256_min_ps(a, b); }
  static V max(V a, V b) { return _mm256_max_ps(a, b); }
  static V bit_or(V a, V b) { return _mm256_or_ps(a, b); }
  static V bit_xor(V a, V b) { return _mm256_xor_ps(a, b); }
  static V bit_andnot(V a, V b) { return _mm256_andnot_ps(a, b); }
  static V pow2_of_rounded(V t) {
    const __m256i n = _mm256_add_epi32(_mm256_castps_si256(t), _mm256_set1_epi32(127));
    return _mm256_castsi256_ps(_mm256_slli_epi32(n, 23));
  }
  static V div(V a, V d) { return _mm256_div_ps(a, d); }

  static Mask tail_mask(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static V loadu(const float* p) { return _mm256_loadu_ps(p); }
  static V maskload(const float* p, Mask mask) { return _mm256_maskload_ps(p, mask); }
  static void storeu(float* p, V v) { _mm256_storeu_ps(p, v); }
  static void maskstore(float* p, V v, Mask mask) { _mm256_maskstore_ps(p, mask, v); }
};

}  // namespace
}  // namespace lrn4j::simd

namespace lrn4j::avx2 {

using simd::exp_n;
using simd::sigmoid_n;
using simd::tanh_n;

}  // namespace lrn4j::avx2

#endif
