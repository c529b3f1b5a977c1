// AVX2 optimizer steps and sum of squares (see lrn4j.h). The steps apply the reference's operations in
// the reference's order with no fused multiply-adds (division and square root are correctly rounded),
// so they are bit-identical to it; the tail goes through the scalar loop of the same formulas. The sum
// of squares gives each 4096-element block to one thread (double lanes, combined in a fixed order) and
// adds the block sums in order, so it does not depend on the thread count.
#include <immintrin.h>

#include <cmath>
#include <vector>

#include "kernels.h"

namespace lrn4j::avx2 {
namespace {

constexpr int64_t kChunk = 1 << 14;  // elements per thread task in the steps

}  // namespace

void adam_step(int64_t n, float* p, const float* g, float* m, float* v, float lr, float beta1, float beta2, float eps,
               float weight_decay, float grad_scale, float bias_correction1, float bias_correction2, int threads) {
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  const int nt = static_cast<int>(std::min<int64_t>(chunks, threads_for(n, kChunk, threads)));
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t c = 0; c < chunks; ++c) {
    const int64_t lo = c * kChunk, hi = std::min(n, lo + kChunk);
    const __m256 vgs = _mm256_set1_ps(grad_scale), vb1 = _mm256_set1_ps(beta1), vb2 = _mm256_set1_ps(beta2);
    const __m256 vc1 = _mm256_set1_ps(1.0f - beta1), vc2 = _mm256_set1_ps(1.0f - beta2);
    const __m256 vbc1 = _mm256_set1_ps(bias_correction1), vbc2 = _mm256_set1_ps(bias_correction2);
    const __m256 veps = _mm256_set1_ps(eps), vlr = _mm256_set1_ps(lr), vwd = _mm256_set1_ps(weight_decay);
    int64_t i = lo;
    for (; i + 8 <= hi; i += 8) {
      const __m256 gs = _mm256_mul_ps(vgs, _mm256_loadu_ps(g + i));
      const __m256 mi = _mm256_add_ps(_mm256_mul_ps(vb1, _mm256_loadu_ps(m + i)), _mm256_mul_ps(vc1, gs));
      const __m256 vi = _mm256_add_ps(_mm256_mul_ps(vb2, _mm256_loadu_ps(v + i)), _mm256_mul_ps(vc2, _mm256_mul_ps(gs, gs)));
      _mm256_storeu_ps(m + i, mi);
      _mm256_storeu_ps(v + i, vi);
      const __m256 update = _mm256_div_ps(_mm256_div_ps(mi, vbc1),
                                          _mm256_add_ps(_mm256_sqrt_ps(_mm256_div_ps(vi, vbc2)), veps));
      const __m256 pi = _mm256_loadu_ps(p + i);
      _mm256_storeu_ps(p + i, _mm256_sub_ps(pi, _mm256_mul_ps(vlr, _mm256_add_ps(update, _mm256_mul_ps(vwd, pi)))));
    }
    ref::adam_step(hi - i, p + i, g + i, m + i, v + i, lr, beta1, beta2, eps, weight_decay, grad_scale,
                   bias_correction1, bias_correction2, 1);
  }
}

void sgd_step(int64_t n, float* p, const float* g, float* u, float lr, float momentum, float weight_decay,
              float grad_scale, int nesterov, int threads) {
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  const int nt = static_cast<int>(std::min<int64_t>(chunks, threads_for(n, kChunk, threads)));
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t c = 0; c < chunks; ++c) {
    const int64_t lo = c * kChunk, hi = std::min(n, lo + kChunk);
    const __m256 vgs = _mm256_set1_ps(grad_scale), vwd = _mm256_set1_ps(weight_decay);
    const __m256 vmu = _mm256_set1_ps(momentum), vlr = _mm256_set1_ps(lr);
    int64_t i = lo;
    for (; i + 8 <= hi; i += 8) {
      const __m256 pi = _mm256_loadu_ps(p + i);
      const __m256 d = _mm256_add_ps(_mm256_mul_ps(vgs, _mm256_loadu_ps(g + i)), _mm256_mul_ps(vwd, pi));
      const __m256 ui = _mm256_add_ps(_mm256_mul_ps(vmu, _mm256_loadu_ps(u + i)), d);
      _mm256_storeu_ps(u + i, ui);
      const __m256 step = nesterov ? _mm256_add_ps(d, _mm256_mul_ps(vmu, ui)) : ui;
      _mm256_storeu_ps(p + i, _mm256_sub_ps(pi, _mm256_mul_ps(vlr, step)));
    }
    ref::sgd_step(hi - i, p + i, g + i, u + i, lr, momentum, weight_decay, grad_scale, nesterov, 1);
  }
}

double sum_squares(int64_t n, const float* x, int threads) {
  constexpr int64_t kBlock = 4096;
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  std::vector<double> sums(static_cast<size_t>(blocks));
  const int nt = static_cast<int>(std::min<int64_t>(blocks, threads_for(n, int64_t{1} << 16, threads)));
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t lo = b * kBlock, hi = std::min(n, lo + kBlock);
    __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd();
    int64_t i = lo;
    for (; i + 8 <= hi; i += 8) {
      const __m256 v = _mm256_loadu_ps(x + i);
      const __m256d lo4 = _mm256_cvtps_pd(_mm256_castps256_ps128(v));
      const __m256d hi4 = _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1));
      s0 = _mm256_add_pd(s0, _mm256_mul_pd(lo4, lo4));
      s1 = _mm256_add_pd(s1, _mm256_mul_pd(hi4, hi4));
    }
    alignas(32) double lanes[8];
    _mm256_store_pd(lanes, s0);
    _mm256_store_pd(lanes + 4, s1);
    double s = ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7]));
    for (; i < hi; ++i) s += static_cast<double>(x[i]) * x[i];
    sums[b] = s;
  }
  double total = 0.0;
  for (double s : sums) total += s;
  return total;
}

namespace {

inline __m256i fmix32(__m256i h) {
  h = _mm256_xor_si256(h, _mm256_srli_epi32(h, 16));
  h = _mm256_mullo_epi32(h, _mm256_set1_epi32(static_cast<int>(0x85EBCA6Bu)));
  h = _mm256_xor_si256(h, _mm256_srli_epi32(h, 13));
  h = _mm256_mullo_epi32(h, _mm256_set1_epi32(static_cast<int>(0xC2B2AE35u)));
  return _mm256_xor_si256(h, _mm256_srli_epi32(h, 16));
}

}  // namespace

// The mask bits of 8 consecutive indices in one vector (32-bit lanes: the same uint32 arithmetic as
// dropout_bits, so the mask is identical); unsigned >= via the sign-flip trick. A vector whose indices
// straddle a multiple of 2^32 goes through the scalar formula.
void dropout(int64_t n, const float* x, float* y, uint64_t seed, uint64_t offset, uint32_t threshold, float scale,
             int threads) {
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  const int nt = static_cast<int>(std::min<int64_t>(chunks, threads_for(n, kChunk, threads)));
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t c = 0; c < chunks; ++c) {
    const int64_t lo = c * kChunk, hi = std::min(n, lo + kChunk);
    const __m256i sign = _mm256_set1_epi32(static_cast<int>(0x80000000u));
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i seed_lo = _mm256_set1_epi32(static_cast<int>(static_cast<uint32_t>(seed)));
    const __m256i thr = _mm256_xor_si256(_mm256_set1_epi32(static_cast<int>(threshold)), sign);
    const __m256 vscale = _mm256_set1_ps(scale);
    int64_t i = lo;
    for (; i + 8 <= hi; i += 8) {
      const uint64_t base = offset + static_cast<uint64_t>(i);
      if (((base ^ (base + 7)) >> 32) != 0) {
        ref::dropout(8, x + i, y + i, seed, base, threshold, scale, 1);
        continue;
      }
      const uint32_t upper = static_cast<uint32_t>(base >> 32) * 0x9E3779B1u + static_cast<uint32_t>(seed >> 32);
      const __m256i idx = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(static_cast<uint32_t>(base))), lanes);
      const __m256i bits = fmix32(_mm256_xor_si256(fmix32(_mm256_xor_si256(idx, seed_lo)),
                                                   _mm256_set1_epi32(static_cast<int>(upper))));
      // drop where threshold > bits (unsigned)
      const __m256i drop = _mm256_cmpgt_epi32(thr, _mm256_xor_si256(bits, sign));
      const __m256 kept = _mm256_mul_ps(_mm256_loadu_ps(x + i), vscale);
      _mm256_storeu_ps(y + i, _mm256_andnot_ps(_mm256_castsi256_ps(drop), kept));
    }
    ref::dropout(hi - i, x + i, y + i, seed, offset + static_cast<uint64_t>(i), threshold, scale, 1);
  }
}

}  // namespace lrn4j::avx2
