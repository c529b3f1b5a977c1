// AVX2 grouped layer normalization, forward and backward. Statistics use 8-lane float partial sums over
// the group (two passes: mean, then the squared deviations), then a scalar tail; a row belongs to one
// thread. The parameter gradients are summed per column over rows in increasing order, with columns cut
// into fixed 64-column chunks that threads share out; within a chunk, each (row, group) segment is
// handled by whole vectors then single columns, at positions that depend only on the shapes. So every
// output is computed the same way for any thread count.
#include <immintrin.h>

#include <cmath>

#include "kernels.h"

namespace lrn4j::avx2 {
namespace {

constexpr int64_t kChunk = 64;  // columns per chunk of the parameter-gradient pass
constexpr int64_t kMinElementsPerThread = int64_t{1} << 15;

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// gamma / beta are optional (NULL = 1 / 0).
inline __m256 load_or(const float* p, int64_t j, __m256 dflt) { return p ? _mm256_loadu_ps(p + j) : dflt; }
inline float at_or(const float* p, int64_t j, float dflt) { return p ? p[j] : dflt; }

void normalize_group(int64_t n, const float* xg, const float* gamma, const float* beta, float eps, float* yg,
                     float* mean_out, float* rstd_out) {
  __m256 acc = _mm256_setzero_ps();
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) acc = _mm256_add_ps(acc, _mm256_loadu_ps(xg + j));
  float sum = hsum(acc);
  for (; j < n; ++j) sum += xg[j];
  const float mu = sum / static_cast<float>(n);

  const __m256 vmu = _mm256_set1_ps(mu);
  acc = _mm256_setzero_ps();
  for (j = 0; j + 8 <= n; j += 8) {
    const __m256 d = _mm256_sub_ps(_mm256_loadu_ps(xg + j), vmu);
    acc = _mm256_fmadd_ps(d, d, acc);
  }
  float sq = hsum(acc);
  for (; j < n; ++j) sq = std::fma(xg[j] - mu, xg[j] - mu, sq);
  const float rs = 1.0f / std::sqrt(sq / static_cast<float>(n) + eps);
  *mean_out = mu;
  *rstd_out = rs;

  // y may be x (same stride): each element is read before it is written.
  const __m256 vrs = _mm256_set1_ps(rs), one = _mm256_set1_ps(1.0f), zero = _mm256_setzero_ps();
  for (j = 0; j + 8 <= n; j += 8) {
    const __m256 xhat = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(xg + j), vmu), vrs);
    _mm256_storeu_ps(yg + j, _mm256_fmadd_ps(load_or(gamma, j, one), xhat, load_or(beta, j, zero)));
  }
  for (; j < n; ++j) yg[j] = std::fma(at_or(gamma, j, 1.0f), (xg[j] - mu) * rs, at_or(beta, j, 0.0f));
}

// dx = rstd * (gamma*dy - mean(gamma*dy) - xhat * mean(gamma*dy*xhat)) over one group.
void group_dx(int64_t n, const float* xg, const float* gamma, float mu, float rs, const float* dyg, float* dxg) {
  const __m256 vmu = _mm256_set1_ps(mu), vrs = _mm256_set1_ps(rs), one = _mm256_set1_ps(1.0f);
  __m256 a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps();
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    const __m256 gdy = _mm256_mul_ps(load_or(gamma, j, one), _mm256_loadu_ps(dyg + j));
    const __m256 xhat = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(xg + j), vmu), vrs);
    a1 = _mm256_add_ps(a1, gdy);
    a2 = _mm256_fmadd_ps(gdy, xhat, a2);
  }
  float s1 = hsum(a1), s2 = hsum(a2);
  for (; j < n; ++j) {
    const float gdy = at_or(gamma, j, 1.0f) * dyg[j];
    s1 += gdy;
    s2 = std::fma(gdy, (xg[j] - mu) * rs, s2);
  }
  const float m1 = s1 / static_cast<float>(n), m2 = s2 / static_cast<float>(n);
  const __m256 vm1 = _mm256_set1_ps(m1), vm2 = _mm256_set1_ps(m2);
  for (j = 0; j + 8 <= n; j += 8) {
    const __m256 gdy = _mm256_mul_ps(load_or(gamma, j, one), _mm256_loadu_ps(dyg + j));
    const __m256 xhat = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(xg + j), vmu), vrs);
    _mm256_storeu_ps(dxg + j, _mm256_mul_ps(vrs, _mm256_sub_ps(gdy, _mm256_fmadd_ps(xhat, vm2, vm1))));
  }
  for (; j < n; ++j) {
    const float gdy = at_or(gamma, j, 1.0f) * dyg[j];
    dxg[j] = rs * (gdy - std::fma((xg[j] - mu) * rs, m2, m1));
  }
}

// Adds, for columns [c0, c1), sum_r dy*xhat to dgamma and sum_r dy to dbeta (either may be NULL).
void param_grad_chunk(int64_t m, int64_t groups, int64_t group_size, const float* x, int64_t ldx,
                      const float* mean, const float* rstd, const float* dy, int64_t lddy, int64_t c0, int64_t c1,
                      float* dgamma, float* dbeta) {
  alignas(32) float sg[kChunk] = {};
  alignas(32) float sb[kChunk] = {};
  const int64_t g_first = c0 / group_size, g_last = (c1 - 1) / group_size;
  for (int64_t r = 0; r < m; ++r) {
    for (int64_t grp = g_first; grp <= g_last; ++grp) {
      const int64_t lo = std::max(c0, grp * group_size), hi = std::min(c1, (grp + 1) * group_size);
      const float mu = mean[r * groups + grp], rs = rstd[r * groups + grp];
      const __m256 vmu = _mm256_set1_ps(mu), vrs = _mm256_set1_ps(rs);
      const float* xr = x + r * ldx;
      const float* dyr = dy + r * lddy;
      int64_t c = lo;
      for (; c + 8 <= hi; c += 8) {
        const __m256 d = _mm256_loadu_ps(dyr + c);
        const __m256 xhat = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(xr + c), vmu), vrs);
        float* g = sg + (c - c0);
        float* b = sb + (c - c0);
        _mm256_storeu_ps(g, _mm256_fmadd_ps(d, xhat, _mm256_loadu_ps(g)));
        _mm256_storeu_ps(b, _mm256_add_ps(_mm256_loadu_ps(b), d));
      }
      for (; c < hi; ++c) {
        sg[c - c0] = std::fma(dyr[c], (xr[c] - mu) * rs, sg[c - c0]);
        sb[c - c0] += dyr[c];
      }
    }
  }
  for (int64_t c = c0; c < c1; ++c) {
    if (dgamma) dgamma[c] += sg[c - c0];
    if (dbeta) dbeta[c] += sb[c - c0];
  }
}

}  // namespace

void layer_norm_forward(int64_t m, int64_t groups, int64_t group_size, const float* x, int64_t ldx,
                        const float* gamma, const float* beta, float eps, float* y, int64_t ldy, float* mean,
                        float* rstd, int threads) {
  const int nt = threads_for(m * groups * group_size, kMinElementsPerThread, threads);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t r = 0; r < m; ++r) {
    for (int64_t grp = 0; grp < groups; ++grp) {
      const int64_t c0 = grp * group_size;
      normalize_group(group_size, x + r * ldx + c0, gamma ? gamma + c0 : nullptr, beta ? beta + c0 : nullptr, eps,
                      y + r * ldy + c0, mean + r * groups + grp, rstd + r * groups + grp);
    }
  }
}

void layer_norm_backward(int64_t m, int64_t groups, int64_t group_size, const float* x, int64_t ldx,
                         const float* gamma, const float* mean, const float* rstd, const float* dy, int64_t lddy,
                         float* dx, int64_t lddx, float* dgamma, float* dbeta, int threads) {
  const int64_t n = groups * group_size;
  const int nt = threads_for(m * n, kMinElementsPerThread, threads);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t r = 0; r < m; ++r) {
    for (int64_t grp = 0; grp < groups; ++grp) {
      const int64_t c0 = grp * group_size;
      group_dx(group_size, x + r * ldx + c0, gamma ? gamma + c0 : nullptr, mean[r * groups + grp],
               rstd[r * groups + grp], dy + r * lddy + c0, dx + r * lddx + c0);
    }
  }
  if (!dgamma && !dbeta) return;
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  const int nc = static_cast<int>(std::min<int64_t>(chunks, nt));
#pragma omp parallel for num_threads(nc) schedule(static)
  for (int64_t ch = 0; ch < chunks; ++ch) {
    param_grad_chunk(m, groups, group_size, x, ldx, mean, rstd, dy, lddy, ch * kChunk,
                     std::min(n, (ch + 1) * kChunk), dgamma, dbeta);
  }
}

}  // namespace lrn4j::avx2
