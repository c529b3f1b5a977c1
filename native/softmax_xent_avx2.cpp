// AVX2 softmax cross-entropy (see lrn4j_softmax_xent in lrn4j.h). Per row: the maximum over 8-lane
// vectors, then exp(x - max) with avx2_math.h's exp (two vectors in flight) summed in double (4 + 4
// lanes, combined in a fixed order at the end), lse = max + log(sum), and the gradient
// (scale / sum) * exp(x - max) with the target element recomputed in double afterwards. The row's tail (n % 8 elements)
// goes through masked loads and stores. Rows are spread over threads; each row is computed by one
// thread in a fixed order, so results do not depend on the thread count.
#include <immintrin.h>

#include <cmath>
#include <limits>

#include "avx2_math.h"
#include "kernels.h"

namespace lrn4j::avx2 {
namespace {

inline __m256i tail_mask(int64_t rest) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(rest)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

inline float hmax(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  return _mm_cvtss_f32(m);
}

// e^(x - shift), clamped below at -87 (e^-87 is 1.6e-38: nothing a sum of at least 1 can notice).
inline __m256 exp_shifted(__m256 x, __m256 shift) {
  __m256 v[1] = {_mm256_max_ps(_mm256_set1_ps(-87.0f), _mm256_sub_ps(x, shift))};
  exp_n(v);
  return v[0];
}

void row(int64_t n, const float* x, int32_t t, float scale, float* loss, float* d) {
  const int64_t full = n / 8 * 8;
  const int64_t rest = n - full;
  const __m256i mask = tail_mask(rest);
  const __m256 lowest = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
  __m256 mx = lowest;
  for (int64_t j = 0; j < full; j += 8) mx = _mm256_max_ps(mx, _mm256_loadu_ps(x + j));
  if (rest) mx = _mm256_max_ps(mx, _mm256_blendv_ps(lowest, _mm256_maskload_ps(x + full, mask), _mm256_castsi256_ps(mask)));
  const float row_max = hmax(mx);
  const __m256 vmax = _mm256_set1_ps(row_max);
  __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd();
  for (int64_t j = 0; j < full; j += 8) {
    const __m256 e = exp_shifted(_mm256_loadu_ps(x + j), vmax);
    s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm256_castps256_ps128(e)));
    s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)));
  }
  if (rest) {
    const __m256 e = _mm256_and_ps(exp_shifted(_mm256_maskload_ps(x + full, mask), vmax), _mm256_castsi256_ps(mask));
    s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm256_castps256_ps128(e)));
    s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)));
  }
  alignas(32) double lanes[8];
  _mm256_store_pd(lanes, s0);
  _mm256_store_pd(lanes + 4, s1);
  const double sum = ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7]));
  const double lse = row_max + std::log(sum);
  const float xt = x[t];  // read before an in-place gradient overwrites it
  *loss = static_cast<float>(lse - xt);
  if (!d) return;
  // softmax = exp(x - max) / sum: the shift is the exact float maximum, so only exp and one rounded
  // factor enter each element (shifting by a float-rounded lse would cost up to |lse| * 6e-8 in the exponent).
  const __m256 factor = _mm256_set1_ps(static_cast<float>(scale / sum));
  for (int64_t j = 0; j < full; j += 8) {
    _mm256_storeu_ps(d + j, _mm256_mul_ps(factor, exp_shifted(_mm256_loadu_ps(x + j), vmax)));
  }
  if (rest) {
    _mm256_maskstore_ps(d + full, mask, _mm256_mul_ps(factor, exp_shifted(_mm256_maskload_ps(x + full, mask), vmax)));
  }
  d[t] = static_cast<float>(scale * (std::exp(static_cast<double>(xt) - lse) - 1.0));
}

}  // namespace

void softmax_xent(int64_t m, int64_t n, const float* logits, int64_t ld, const int32_t* targets, float scale,
                  float* loss, float* dlogits, int64_t ldd, int threads) {
  const int nt = threads_for(m * n, int64_t{1} << 15, threads);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t i = 0; i < m; ++i) {
    float* d = dlogits ? dlogits + i * ldd : nullptr;
    const int32_t t = targets[i];
    if (t < 0 || t >= n) {
      const float v = t == -1 ? 0.0f : std::numeric_limits<float>::quiet_NaN();
      loss[i] = v;
      if (d) {
        for (int64_t j = 0; j < n; ++j) d[j] = v;
      }
      continue;
    }
    row(n, logits + i * ld, t, scale, loss + i, d);
  }
}

}  // namespace lrn4j::avx2
