// AVX2 elementwise activations (see lrn4j.h, lrn4j_activation_forward/backward). tanh and sigmoid are the
// scan kernels' approximations (avx2_math.h, absolute error below 2e-7 against double precision); identity,
// relu and all the backward passes apply the reference's operations in its order without fused
// multiply-adds, so they equal it bit for bit. Chunks of kChunk elements go to the threads; the tail of each
// chunk goes through the reference loop (tanh and sigmoid tails then take the library functions, within
// the same error bound).
#include <immintrin.h>

#include <algorithm>

#include "avx2_math.h"
#include "kernels.h"
#include "lrn4j/lrn4j.h"

namespace lrn4j::avx2 {
namespace {

constexpr int64_t kChunk = 1 << 14;

}  // namespace

void activation_forward(int fn, int64_t n, const float* x, float* y, int threads) {
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  const int nt = static_cast<int>(std::min<int64_t>(chunks, threads_for(n, kChunk, threads)));
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t c = 0; c < chunks; ++c) {
    const int64_t lo = c * kChunk, hi = std::min(n, lo + kChunk);
    const __m256 zero = _mm256_setzero_ps();
    int64_t i = lo;
    for (; i + 8 <= hi; i += 8) {
      const __m256 v = _mm256_loadu_ps(x + i);
      __m256 r;
      switch (fn) {
        case LRN4J_FN_TANH: r = simd::tanh_v(v); break;
        case LRN4J_FN_RELU: r = _mm256_max_ps(zero, v); break;  // max returns v when v is NaN
        case LRN4J_FN_SIGMOID: r = simd::sigmoid_v(v); break;
        default: r = v; break;
      }
      _mm256_storeu_ps(y + i, r);
    }
    ref::activation_forward(fn, hi - i, x + i, y + i, 1);
  }
}

void activation_backward(int fn, int64_t n, const float* y, const float* dy, float* dx, int threads) {
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  const int nt = static_cast<int>(std::min<int64_t>(chunks, threads_for(n, kChunk, threads)));
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t c = 0; c < chunks; ++c) {
    const int64_t lo = c * kChunk, hi = std::min(n, lo + kChunk);
    const __m256 zero = _mm256_setzero_ps();
    const __m256 one = _mm256_set1_ps(1.0f);
    int64_t i = lo;
    for (; i + 8 <= hi; i += 8) {
      const __m256 v = _mm256_loadu_ps(y + i);
      const __m256 g = _mm256_loadu_ps(dy + i);
      __m256 r;
      switch (fn) {
        case LRN4J_FN_TANH: r = _mm256_mul_ps(g, _mm256_sub_ps(one, _mm256_mul_ps(v, v))); break;
        case LRN4J_FN_RELU: r = _mm256_and_ps(_mm256_cmp_ps(v, zero, _CMP_GT_OQ), g); break;
        case LRN4J_FN_SIGMOID: r = _mm256_mul_ps(g, _mm256_mul_ps(v, _mm256_sub_ps(one, v))); break;
        default: r = g; break;
      }
      _mm256_storeu_ps(dx + i, r);
    }
    ref::activation_backward(fn, hi - i, y + i, dy + i, dx + i, 1);
  }
}

}  // namespace lrn4j::avx2
