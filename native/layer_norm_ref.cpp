// Reference grouped layer normalization, forward and backward, as plain loops. Statistics and the
// backward reductions are accumulated in double (two passes: mean, then the mean squared deviation),
// and the saved mean / rstd are the float values that the normalization itself uses.
#include <cmath>
#include <vector>

#include "kernels.h"

namespace lrn4j::ref {

void layer_norm_forward(int64_t m, int64_t groups, int64_t group_size, const float* x, int64_t ldx,
                        const float* gamma, const float* beta, float eps, float* y, int64_t ldy, float* mean,
                        float* rstd, int threads) {
  const int nt = threads_for(m * groups * group_size, int64_t{1} << 15, threads);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t r = 0; r < m; ++r) {
    for (int64_t grp = 0; grp < groups; ++grp) {
      const int64_t c0 = grp * group_size;
      const float* xg = x + r * ldx + c0;
      double sum = 0.0;
      for (int64_t j = 0; j < group_size; ++j) sum += xg[j];
      const double mu = sum / static_cast<double>(group_size);
      double sq = 0.0;
      for (int64_t j = 0; j < group_size; ++j) sq += (xg[j] - mu) * (xg[j] - mu);
      const float mean_f = static_cast<float>(mu);
      const float rstd_f = static_cast<float>(1.0 / std::sqrt(sq / static_cast<double>(group_size) + eps));
      mean[r * groups + grp] = mean_f;
      rstd[r * groups + grp] = rstd_f;
      // y may be x (same stride): each element is read before it is written.
      float* yg = y + r * ldy + c0;
      for (int64_t j = 0; j < group_size; ++j) {
        const float xhat = (xg[j] - mean_f) * rstd_f;
        yg[j] = (gamma ? gamma[c0 + j] : 1.0f) * xhat + (beta ? beta[c0 + j] : 0.0f);
      }
    }
  }
}

void layer_norm_backward(int64_t m, int64_t groups, int64_t group_size, const float* x, int64_t ldx,
                         const float* gamma, const float* mean, const float* rstd, const float* dy, int64_t lddy,
                         float* dx, int64_t lddx, float* dgamma, float* dbeta, int threads) {
  const int64_t n = groups * group_size;
  const int nt = threads_for(m * n, int64_t{1} << 15, threads);
  // dx = rstd * (gamma*dy - mean(gamma*dy) - xhat * mean(gamma*dy*xhat)) within each group; rows apart.
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t r = 0; r < m; ++r) {
    for (int64_t grp = 0; grp < groups; ++grp) {
      const int64_t c0 = grp * group_size;
      const float mu = mean[r * groups + grp];
      const float rs = rstd[r * groups + grp];
      const float* xg = x + r * ldx + c0;
      const float* dyg = dy + r * lddy + c0;
      double s1 = 0.0, s2 = 0.0;
      for (int64_t j = 0; j < group_size; ++j) {
        const float gdy = (gamma ? gamma[c0 + j] : 1.0f) * dyg[j];
        s1 += gdy;
        s2 += static_cast<double>(gdy) * ((xg[j] - mu) * rs);
      }
      const float mean_gdy = static_cast<float>(s1 / static_cast<double>(group_size));
      const float mean_gdy_xhat = static_cast<float>(s2 / static_cast<double>(group_size));
      float* dxg = dx + r * lddx + c0;
      for (int64_t j = 0; j < group_size; ++j) {
        const float gdy = (gamma ? gamma[c0 + j] : 1.0f) * dyg[j];
        const float xhat = (xg[j] - mu) * rs;
        dxg[j] = rs * (gdy - (mean_gdy + xhat * mean_gdy_xhat));
      }
    }
  }
  if (!dgamma && !dbeta) return;
  // Parameter gradients: one column per iteration, rows in increasing order.
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t c = 0; c < n; ++c) {
    const int64_t grp = c / group_size;
    double sg = 0.0, sb = 0.0;
    for (int64_t r = 0; r < m; ++r) {
      const float d = dy[r * lddy + c];
      const float xhat = (x[r * ldx + c] - mean[r * groups + grp]) * rstd[r * groups + grp];
      sg += static_cast<double>(d) * xhat;
      sb += d;
    }
    if (dgamma) dgamma[c] += static_cast<float>(sg);
    if (dbeta) dbeta[c] += static_cast<float>(sb);
  }
}

}  // namespace lrn4j::ref
