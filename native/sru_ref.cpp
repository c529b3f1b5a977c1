// Reference SRU scan, forward and backward (lrn4j_sru_scan_forward / _backward in lrn4j.h), one sequence
// at a time with the cell state of its H units in a vector. Per step, with cp the state before it:
//   f = sig(uf + v_f*cp + b_f), r = sig(ur + v_r*cp + b_r), c = f*cp + (1 - f)*ux, h = r*g(c) + (1 - r)*xh
// and their derivatives. Sequences are independent, so they are spread over threads without changing any
// result.
#include <cmath>
#include <vector>

#include "kernels.h"
#include "lrn4j/lrn4j.h"

namespace lrn4j::ref {
namespace {

float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

int64_t step_at(int64_t s, int64_t t_len, bool reverse) { return reverse ? t_len - 1 - s : s; }

// The highway input of unit j at row (t, b): the fourth plane of u, or x itself.
const float* highway(int64_t k, int64_t hidden, const float* urow, const float* x, int64_t ldx, int64_t row) {
  return k == 4 ? urow + 3 * hidden : x + row * ldx;
}

}  // namespace

void sru_scan_forward(int64_t t_len, int64_t batch, int64_t hidden, int64_t k, const float* u, int64_t ldu,
                      const float* x, int64_t ldx, const float* v, const float* bias, const float* c0,
                      const int32_t* lengths, int act, int reverse, float* h, int64_t ldh, float* c, int64_t ldc,
                      float* c_last, int threads) {
  const int nt = threads_for(t_len * batch * hidden, int64_t{1} << 14, threads);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t len = lengths ? lengths[b] : t_len;
    std::vector<float> state(hidden, 0.0f);
    if (c0) state.assign(c0 + b * hidden, c0 + (b + 1) * hidden);
    for (int64_t s = 0; s < t_len; ++s) {
      const int64_t t = step_at(s, t_len, reverse != 0);
      const int64_t row = t * batch + b;
      const float* ux = u + row * ldu;
      const float* uf = ux + hidden;
      const float* ur = ux + 2 * hidden;
      const float* xh = highway(k, hidden, ux, x, ldx, row);
      float* hr = h + row * ldh;
      float* cr = c + row * ldc;
      for (int64_t j = 0; j < hidden; ++j) {
        if (t >= len) {
          hr[j] = 0.0f;
          cr[j] = state[j];
          continue;
        }
        const float cp = state[j];
        const float f = sigmoid(uf[j] + v[j] * cp + bias[j]);
        const float r = sigmoid(ur[j] + v[hidden + j] * cp + bias[hidden + j]);
        const float cn = f * cp + (1.0f - f) * ux[j];
        const float g = act == LRN4J_ACT_TANH ? std::tanh(cn) : cn;
        hr[j] = r * g + (1.0f - r) * xh[j];
        cr[j] = cn;
        state[j] = cn;
      }
    }
    if (c_last) {
      for (int64_t j = 0; j < hidden; ++j) c_last[b * hidden + j] = state[j];
    }
  }
}

void sru_scan_backward(int64_t t_len, int64_t batch, int64_t hidden, int64_t k, const float* u, int64_t ldu,
                       const float* x, int64_t ldx, const float* v, const float* bias, const float* c0,
                       const int32_t* lengths, int act, int reverse, const float* c, int64_t ldc, const float* dh,
                       int64_t lddh, const float* dc_last, float* du, int64_t lddu, float* dx, int64_t lddx,
                       float* dv, float* dc0, int threads) {
  const int nt = threads_for(t_len * batch * hidden, int64_t{1} << 14, threads);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t len = lengths ? lengths[b] : t_len;
    // carry[j]: gradient w.r.t. the cell state after the step being visited, from the steps after it.
    std::vector<float> carry(hidden, 0.0f);
    if (dc_last) carry.assign(dc_last + b * hidden, dc_last + (b + 1) * hidden);
    std::vector<float> dvf(hidden, 0.0f), dvr(hidden, 0.0f);
    for (int64_t s = t_len - 1; s >= 0; --s) {
      const int64_t t = step_at(s, t_len, reverse != 0);
      const int64_t row = t * batch + b;
      float* dux = du + row * lddu;
      if (t >= len) {
        for (int64_t j = 0; j < k * hidden; ++j) dux[j] = 0.0f;
        continue;
      }
      const float* ux = u + row * ldu;
      const float* uf = ux + hidden;
      const float* ur = ux + 2 * hidden;
      const float* xh = highway(k, hidden, ux, x, ldx, row);
      const float* cr = c + row * ldc;
      // The state before step t: after the previously processed step, or c0 for the first.
      const float* cp_row = s > 0 ? c + (step_at(s - 1, t_len, reverse != 0) * batch + b) * ldc
                                  : (c0 ? c0 + b * hidden : nullptr);
      const float* dhr = dh ? dh + row * lddh : nullptr;
      float* dxh = k == 4 ? dux + 3 * hidden : dx + row * lddx;
      for (int64_t j = 0; j < hidden; ++j) {
        const float cp = cp_row ? cp_row[j] : 0.0f;
        const float f = sigmoid(uf[j] + v[j] * cp + bias[j]);
        const float r = sigmoid(ur[j] + v[hidden + j] * cp + bias[hidden + j]);
        const float g = act == LRN4J_ACT_TANH ? std::tanh(cr[j]) : cr[j];
        const float dhj = dhr ? dhr[j] : 0.0f;
        const float dr = dhj * (g - xh[j]) * r * (1.0f - r);
        const float dct = carry[j] + (act == LRN4J_ACT_TANH ? dhj * r * (1.0f - g * g) : dhj * r);
        const float df = dct * (cp - ux[j]) * f * (1.0f - f);
        dux[j] = dct * (1.0f - f);
        dux[hidden + j] = df;
        dux[2 * hidden + j] = dr;
        const float dhigh = dhj * (1.0f - r);
        dxh[j] = k == 4 ? dhigh : dxh[j] + dhigh;
        dvf[j] += df * cp;
        dvr[j] += dr * cp;
        carry[j] = dct * f + df * v[j] + dr * v[hidden + j];
      }
    }
    for (int64_t j = 0; j < hidden; ++j) {
      dv[b * 2 * hidden + j] = dvf[j];
      dv[b * 2 * hidden + hidden + j] = dvr[j];
    }
    if (dc0) {
      for (int64_t j = 0; j < hidden; ++j) dc0[b * hidden + j] = carry[j];
    }
  }
}

}  // namespace lrn4j::ref
