// Reference LRN and oLRN scans, forward and backward, for one sequence at a time with the state of all H
// hidden units in a vector. The per-step formulas are those of lrn4j.h:
//   i = sigmoid(k + hp), f = sigmoid(q - hp), c = g(i*v + f*hp),   LRN: h = c,   oLRN: h = sigmoid(p - c)*c
// and their derivatives, with hp the state before the step. Both scans are one loop (kGate: the oLRN's
// output gate): plain LRN is the oLRN with o = 1. Sequences are independent, so they are spread over threads
// without changing any result.
#include <cmath>
#include <vector>

#include "kernels.h"
#include "lrn4j/lrn4j.h"

namespace lrn4j::ref {
namespace {

float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

// The step that processing position `s` (0 = first processed) visits.
int64_t step_at(int64_t s, int64_t t_len, bool reverse) { return reverse ? t_len - 1 - s : s; }

// Gates [T, B, 3, H] (LRN) or [T, B, 4, H] (oLRN, kGate); cs: the oLRN's c per step (LRN: not written).
template <bool kGate>
void scan_forward(int64_t t_len, int64_t batch, int64_t hidden, const float* g, int64_t ldg, const float* h0,
                  const int32_t* lengths, int act, int reverse, float* hs, int64_t ldh, float* cs, int64_t ldc,
                  float* h_last, int threads) {
  const int nt = threads_for(t_len * batch * hidden, int64_t{1} << 14, threads);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t len = lengths ? lengths[b] : t_len;
    std::vector<float> h(hidden, 0.0f);
    if (h0) h.assign(h0 + b * hidden, h0 + (b + 1) * hidden);
    for (int64_t s = 0; s < t_len; ++s) {
      const int64_t t = step_at(s, t_len, reverse != 0);
      const float* q = g + (t * batch + b) * ldg;
      const float* k = q + hidden;
      const float* v = q + 2 * hidden;
      const float* p = kGate ? q + 3 * hidden : nullptr;
      float* out = hs + (t * batch + b) * ldh;
      float* c_out = kGate ? cs + (t * batch + b) * ldc : nullptr;
      for (int64_t j = 0; j < hidden; ++j) {
        if (t < len) {
          const float hp = h[j];
          const float i = sigmoid(k[j] + hp);
          const float f = sigmoid(q[j] - hp);
          const float pre = i * v[j] + f * hp;
          const float c = act == LRN4J_ACT_TANH ? std::tanh(pre) : pre;
          if (kGate) {
            h[j] = sigmoid(p[j] - c) * c;
            c_out[j] = c;
          } else {
            h[j] = c;
          }
        } else if (kGate) {
          c_out[j] = 0.0f;
        }
        out[j] = h[j];
      }
    }
    if (h_last) {
      for (int64_t j = 0; j < hidden; ++j) h_last[b * hidden + j] = h[j];
    }
  }
}

template <bool kGate>
void scan_backward(int64_t t_len, int64_t batch, int64_t hidden, const float* g, int64_t ldg, const float* h0,
                   const int32_t* lengths, int act, int reverse, const float* hs, int64_t ldh, const float* cs,
                   int64_t ldc, const float* dhs, int64_t lddh, const float* dh_last, float* dg, int64_t lddg,
                   float* dh0, int threads) {
  const int nt = threads_for(t_len * batch * hidden, int64_t{1} << 14, threads);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t len = lengths ? lengths[b] : t_len;
    // carry[j]: gradient w.r.t. the state after the step being visited, from the steps after it.
    std::vector<float> carry(hidden, 0.0f);
    if (dh_last) carry.assign(dh_last + b * hidden, dh_last + (b + 1) * hidden);
    for (int64_t s = t_len - 1; s >= 0; --s) {
      const int64_t t = step_at(s, t_len, reverse != 0);
      const float* q = g + (t * batch + b) * ldg;
      const float* k = q + hidden;
      const float* v = q + 2 * hidden;
      const float* p = kGate ? q + 3 * hidden : nullptr;
      // c of the step: saved by the oLRN forward pass; the state itself for plain LRN.
      const float* c_row = kGate ? cs + (t * batch + b) * ldc : hs + (t * batch + b) * ldh;
      // State before step t: the state after the previously processed step, or h0 (NULL: zeros) for the
      // first processed step.
      const float* hp_row = nullptr;
      if (s > 0) {
        hp_row = hs + (step_at(s - 1, t_len, reverse != 0) * batch + b) * ldh;
      } else if (h0) {
        hp_row = h0 + b * hidden;
      }
      const float* dh_in = dhs ? dhs + (t * batch + b) * lddh : nullptr;
      float* dq = dg + (t * batch + b) * lddg;
      float* dk = dq + hidden;
      float* dv = dq + 2 * hidden;
      float* dp = kGate ? dq + 3 * hidden : nullptr;
      for (int64_t j = 0; j < hidden; ++j) {
        const float dh = dh_in ? carry[j] + dh_in[j] : carry[j];
        if (t >= len) {
          dq[j] = dk[j] = dv[j] = 0.0f;
          if (kGate) dp[j] = 0.0f;
          carry[j] = dh;
          continue;
        }
        const float hp = hp_row ? hp_row[j] : 0.0f;
        const float c = c_row[j];
        const float i = sigmoid(k[j] + hp);
        const float f = sigmoid(q[j] - hp);
        float dc = dh;
        if (kGate) {
          const float o = sigmoid(p[j] - c);
          dp[j] = dh * c * o * (1.0f - o);
          dc = dh * o - dp[j];
        }
        const float ds = act == LRN4J_ACT_TANH ? dc * (1.0f - c * c) : dc;
        const float dkj = ds * v[j] * i * (1.0f - i);
        const float dqj = ds * hp * f * (1.0f - f);
        dq[j] = dqj;
        dk[j] = dkj;
        dv[j] = ds * i;
        carry[j] = ds * f + dkj - dqj;
      }
    }
    if (dh0) {
      for (int64_t j = 0; j < hidden; ++j) dh0[b * hidden + j] = carry[j];
    }
  }
}

}  // namespace

void lrn_scan_forward(int64_t t_len, int64_t batch, int64_t hidden, const float* g, int64_t ldg,
                      const float* h0, const int32_t* lengths, int act, int reverse, float* hs, int64_t ldh,
                      float* h_last, int threads) {
  scan_forward<false>(t_len, batch, hidden, g, ldg, h0, lengths, act, reverse, hs, ldh, nullptr, 0, h_last, threads);
}

void lrn_scan_backward(int64_t t_len, int64_t batch, int64_t hidden, const float* g, int64_t ldg,
                       const float* h0, const int32_t* lengths, int act, int reverse, const float* hs,
                       int64_t ldh, const float* dhs, int64_t lddh, const float* dh_last, float* dg,
                       int64_t lddg, float* dh0, int threads) {
  scan_backward<false>(t_len, batch, hidden, g, ldg, h0, lengths, act, reverse, hs, ldh, nullptr, 0, dhs, lddh,
                       dh_last, dg, lddg, dh0, threads);
}

void olrn_scan_forward(int64_t t_len, int64_t batch, int64_t hidden, const float* g, int64_t ldg,
                       const float* h0, const int32_t* lengths, int act, int reverse, float* hs, int64_t ldh,
                       float* cs, int64_t ldc, float* h_last, int threads) {
  scan_forward<true>(t_len, batch, hidden, g, ldg, h0, lengths, act, reverse, hs, ldh, cs, ldc, h_last, threads);
}

void olrn_scan_backward(int64_t t_len, int64_t batch, int64_t hidden, const float* g, int64_t ldg,
                        const float* h0, const int32_t* lengths, int act, int reverse, const float* hs,
                        int64_t ldh, const float* cs, int64_t ldc, const float* dhs, int64_t lddh,
                        const float* dh_last, float* dg, int64_t lddg, float* dh0, int threads) {
  scan_backward<true>(t_len, batch, hidden, g, ldg, h0, lengths, act, reverse, hs, ldh, cs, ldc, dhs, lddh, dh_last,
                      dg, lddg, dh0, threads);
}

}  // namespace lrn4j::ref
