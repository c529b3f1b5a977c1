// Pieces shared by the AVX2 and AVX-512 GEMMs (gemm_avx2.cpp, gemm_avx512.cpp): the problem in op()
// terms, the calls with nothing to multiply, an in-register 8 x 8 transpose, and the packing of a
// transposed B. Header-only, in an unnamed namespace: each unit that includes it compiles its own copy
// with its own instruction-set flags, so the linker can never hand the AVX2 path a copy built for
// AVX-512. Include it only from units compiled with at least -mavx2 -mfma.
#ifndef LRN4J_NATIVE_GEMM_COMMON_H
#define LRN4J_NATIVE_GEMM_COMMON_H

#include <immintrin.h>

#include <cstdint>

#include "kernels.h"

namespace lrn4j {
namespace {

// The whole problem in op() terms.
struct Gemm {
  bool trans_a, trans_b;
  int64_t m, n, k;
  const float* a;
  int64_t lda;
  const float* b;
  int64_t ldb;
  const float* bias;
  bool accumulate;
  float* c;
  int64_t ldc;

  const float* a_at(int64_t i, int64_t p) const { return trans_a ? a + p * lda + i : a + i * lda + p; }
  const float* b_at(int64_t p, int64_t j) const { return trans_b ? b + j * ldb + p : b + p * ldb + j; }
};

// The calls with nothing to multiply, which the SIMD paths never see: an empty C returns at once, and
// with K = 0 C becomes the bias (or 0) or gets the bias added, which the reference loop does exactly.
// Returns whether the call was one of them.
inline bool gemm_without_products(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, const float* a,
                                  int64_t lda, const float* b, int64_t ldb, const float* bias, int accumulate,
                                  float* c, int64_t ldc) {
  if (m == 0 || n == 0) return true;
  if (k != 0) return false;
  ref::gemm(trans_a, trans_b, m, n, k, a, lda, b, ldb, bias, accumulate, c, ldc, 1);
  return true;
}

// In-register transpose of an 8 x 8 block: afterwards r[j][i] is the former r[i][j].
inline void transpose8(__m256 r[8]) {
  const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  const __m256 s0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 s1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 s2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 s3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 s4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 s5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 s6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 s7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
  r[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
  r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
  r[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
  r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
  r[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
  r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
  r[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
  r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

// The NR-column sliver of op(B) at (pc, j0), nr <= NR columns of it real, for a transposed B (g.trans_b):
// element (pc + p, j0 + j) goes to dst[p*NR + j], columns past nr as zeros. op(B) row p is strided in B,
// and B's rows are the sliver's columns: 8 x 8 transposes of 8 rows of B (zeros past the edge) x 8 steps.
// dst must be 32-byte aligned.
template <int64_t NR>
void pack_b_sliver_transposed(const Gemm& g, int64_t pc, int64_t kc, int64_t j0, int64_t nr, float* dst) {
  static_assert(NR % 8 == 0, "slivers of whole 8-column halves");
  int64_t p = 0;
  for (; p + 8 <= kc; p += 8) {
    for (int64_t h = 0; h < NR; h += 8) {
      __m256 r[8];
      for (int64_t j = 0; j < 8; ++j) {
        r[j] = h + j < nr ? _mm256_loadu_ps(g.b_at(pc + p, j0 + h + j)) : _mm256_setzero_ps();
      }
      transpose8(r);
      for (int q = 0; q < 8; ++q) _mm256_store_ps(dst + (p + q) * NR + h, r[q]);
    }
  }
  for (; p < kc; ++p) {
    for (int64_t j = 0; j < NR; ++j) dst[p * NR + j] = j < nr ? *g.b_at(pc + p, j0 + j) : 0.0f;
  }
}

}  // namespace
}  // namespace lrn4j

#endif
