// Vectorised exp, sigmoid and tanh, written once for every vector width: V is the vector type (__m256 in
// avx2_math.h, __m512 in avx512_math.h), Simd<V> its operations that are not operators. GCC's vector
// extensions give +, -, *, unary minus and scalar broadcasts on V directly; -ffp-contract=off keeps them
// unfused, so fused multiply-adds happen only where Simd<V>::fmadd is written.
//
// Everything here (and in simd_chunks.h and scan_simd.h) lives in an unnamed namespace: each instruction
// set's translation units compile their own copy with their own -m flags. An inline function with external
// linkage compiled under both sets could be merged by the linker into its AVX-512 copy and then run on a
// CPU without AVX-512.
//
// Each function below takes N independent vectors and works through them stage by stage (every vector's
// first operation, then every vector's second, ...). A scan step's sigmoid and tanh lie on the recurrence's
// dependency chain; written one vector after another, the chains of a chunk's vectors sit further apart
// than the out-of-order window reaches and run one after the other. Stage-major order puts N independent
// operations side by side. The arithmetic per element is the same for every N, so results do not depend on
// how many vectors are evaluated together.
#ifndef LRN4J_NATIVE_SIMD_MATH_H
#define LRN4J_NATIVE_SIMD_MATH_H

namespace lrn4j::simd {
namespace {

// Specialised per vector type: kLanes; set1; fmadd (a*b + c), fnmadd (c - a*b), fmsub (a*b - c); min and
// max (NaN in the second operand passes through); bit_or, bit_xor, bit_andnot (~a & b); pow2_of_rounded
// (2^n from t = x + 1.5*2^23 holding the integer n in its low mantissa bits); div (a / d within an ulp, and
// exactly a at d = 1, where sigmoid and tanh saturate); tail_mask (the lanes [0, n) of a partial vector),
// loadu, storeu, and maskload, maskstore (the masked lanes are neither read nor written).
template <class V>
struct Simd;

// 1.5 * 2^23: adding it to |x| < 2^22 rounds x to the nearest integer (ties to even) in the low mantissa bits.
constexpr float kRoundMagic = 12582912.0f;

// Clamps x to [lo, hi]. x is the second operand of max/min so that a NaN x is passed through.
template <class V>
inline V clamp(V x, float lo, float hi) {
  using S = Simd<V>;
  return S::min(S::set1(hi), S::max(S::set1(lo), x));
}

// e^x = 2^n (1 + m) for x in [-87, 87] (callers clamp): x = n*ln2 + r with |r| <= ln2/2 (plus an ulp) and
// ln2 split in two parts (Cody-Waite), m = e^r - 1 = r + r^2 p(r) with p a degree-4 fit of (e^r - 1 - r)/r^2
// that minimises the relative error of m itself (1.3e-8 before rounding), so that e^x - 1 stays precise
// too. n is x*log2(e) rounded to the nearest integer by the 1.5*2^23 trick in the same fused operation.
// Returns 2^n (a normal float: the range keeps n + 127 within [1, 254]) in x and m in m.
template <class V, int N>
inline void exp_parts_n(V (&x)[N], V (&m)[N]) {
  using S = Simd<V>;
  V t[N], n[N];
#pragma GCC unroll 16
  for (int i = 0; i < N; ++i) t[i] = S::fmadd(x[i], S::set1(1.44269504088896341f), S::set1(kRoundMagic));
#pragma GCC unroll 16
  for (int i = 0; i < N; ++i) n[i] = t[i] - kRoundMagic;
  V r[N], p[N];
#pragma GCC unroll 16
  for (int i = 0; i < N; ++i) r[i] = S::fnmadd(n[i], S::set1(0.693359375f), x[i]);
#pragma GCC unroll 16
  for (int i = 0; i < N; ++i) r[i] = S::fnmadd(n[i], S::set1(-2.12194440e-4f), r[i]);
#pragma GCC unroll 16
  for (int i = 0; i < N; ++i) p[i] = S::fmadd(S::set1(1.3882516650483012e-3f), r[i], S::set1(8.366547524929047e-3f));
#pragma GCC unroll 16
  for (int i = 0; i < N; ++i) p[i] = S::fmadd(p[i], r[i], S::set1(4.166720062494278e-2f));
#pragma GCC unroll 16
  for (int i = 0; i < N; ++i) p[i] = S::fmadd(p[i], r[i], S::set1(1.666654348373413e-1f));
#pragma GCC unroll 16
  for (int i = 0; i < N; ++i) p[i] = S::fmadd(p[i], r[i], S::set1(4.999999701976776e-1f));
#pragma GCC unroll 16
  for (int i = 0; i < N; ++i) {
    m[i] = S::fmadd(p[i], r[i] * r[i], r[i]);
    x[i] = S::pow2_of_rounded(t[i]);
  }
}

// e^x for x in [-87, 87] (callers clamp).
template <class V, int N>
inline void exp_n(V (&x)[N]) {
  using S = Simd<V>;
  V m[N];
  exp_parts_n(x, m);
#pragma GCC unroll 16
  for (int i = 0; i < N; ++i) x[i] = S::fmadd(x[i], m[i], x[i]);
}

// sigmoid(x) = 1 / (1 + e^-x). Past |x| = 87 the true value is within 1.7e-38 of 0 or 1.
template <class V, int N>
inline void sigmoid_n(V (&x)[N]) {
  using S = Simd<V>;
  V e[N];
#pragma GCC unroll 16
  for (int i = 0; i < N; ++i) e[i] = clamp(-x[i], -87.0f, 87.0f);
  exp_n(e);
#pragma GCC unroll 16
  for (int i = 0; i < N; ++i) x[i] = S::div(S::set1(1.0f), e[i] + 1.0f);
}

// tanh(x) = sign(x) * -E / (2 + E) with E = e^{-2|x|} - 1 = 2^n (1 + m) - 1 = 2^n m + (2^n - 1), where
// 2^n - 1 is exact for the n that occur (n <= 0; below -24 it rounds to -1, harmlessly). Near 0 (n = 0)
// E = m keeps full relative precision, so no cancellation anywhere. Past |x| ~ 9 (e^{-2|x|} below half
// an ulp of 1) it is exactly +-1.
template <class V, int N>
inline void tanh_n(V (&x)[N]) {
  using S = Simd<V>;
  const V sign = S::set1(-0.0f);
  V e[N], m[N];
#pragma GCC unroll 16
  for (int i = 0; i < N; ++i) {
    const V minus_ax = S::bit_or(sign, x[i]);  // -|x|
    e[i] = S::max(S::set1(-87.0f), minus_ax + minus_ax);
  }
  exp_parts_n(e, m);
#pragma GCC unroll 16
  for (int i = 0; i < N; ++i) {
    const V em1 = S::fmadd(e[i], m[i], e[i] - 1.0f);
    const V q = S::div(em1, em1 + 2.0f);  // -tanh|x|, <= 0
    // flip q's sign unless x is negative: x >= 0 -> tanh|x|, x < 0 -> -tanh|x|
    x[i] = S::bit_xor(q, S::bit_andnot(x[i], sign));
  }
}

template <class V>
inline V exp_v(V x) {
  V v[1] = {x};
  exp_n(v);
  return v[0];
}

template <class V>
inline V sigmoid_v(V x) {
  V v[1] = {x};
  sigmoid_n(v);
  return v[0];
}

template <class V>
inline V tanh_v(V x) {
  V v[1] = {x};
  tanh_n(v);
  return v[0];
}

}  // namespace
}  // namespace lrn4j::simd

#endif
