// Reference LSTM, GRU and ATR steps, forward and backward (lrn4j_cell_step_forward / _backward in
// lrn4j.h): one function per cell holding its formulas, applied to every unit of every active sequence.
// Sequences are independent, so they are spread over threads without changing any result.
#include <cmath>

#include "kernels.h"
#include "lrn4j/lrn4j.h"

namespace lrn4j::ref {
namespace {

float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

// The rows of one sequence b, the views of lrn4j.h resolved to pointers (NULL stays NULL).
struct Row {
  const float* gx;
  const float* gh;
  const float* hp;  // h_prev, or NULL for zeros
  const float* cp;  // c_prev (LSTM), or NULL for zeros
};

// ---- forward ----------------------------------------------------------------------------------------

void lstm_forward(int64_t H, const Row& r, float* h, float* c) {
  for (int64_t j = 0; j < H; ++j) {
    const float i = sigmoid(r.gx[j] + r.gh[j]);
    const float f = sigmoid(r.gx[H + j] + r.gh[H + j]);
    const float g = std::tanh(r.gx[2 * H + j] + r.gh[2 * H + j]);
    const float o = sigmoid(r.gx[3 * H + j] + r.gh[3 * H + j]);
    const float cp = r.cp ? r.cp[j] : 0.0f;
    c[j] = f * cp + i * g;
    h[j] = o * std::tanh(c[j]);
  }
}

void gru_forward(int64_t H, const Row& r, const float* bh, float* h) {
  for (int64_t j = 0; j < H; ++j) {
    const float rg = sigmoid(r.gx[j] + r.gh[j]);
    const float z = sigmoid(r.gx[H + j] + r.gh[H + j]);
    const float hn = r.gh[2 * H + j] + (bh ? bh[j] : 0.0f);
    const float n = std::tanh(r.gx[2 * H + j] + rg * hn);
    const float hp = r.hp ? r.hp[j] : 0.0f;
    h[j] = (1.0f - z) * n + z * hp;
  }
}

void atr_forward(int64_t H, const Row& r, const float* bh, float* h) {
  for (int64_t j = 0; j < H; ++j) {
    const float p = r.gx[j];
    const float q = r.gh[j] + (bh ? bh[j] : 0.0f);
    const float i = sigmoid(p + q);
    const float f = sigmoid(p - q);
    const float hp = r.hp ? r.hp[j] : 0.0f;
    h[j] = i * p + f * hp;
  }
}

// ---- backward: dh (and dc) in place, see lrn4j.h ------------------------------------------------------

void lstm_backward(int64_t H, const Row& r, const float* c, const float* dh_out, float* dh, float* dc,
                   float* dgx) {
  for (int64_t j = 0; j < H; ++j) {
    const float i = sigmoid(r.gx[j] + r.gh[j]);
    const float f = sigmoid(r.gx[H + j] + r.gh[H + j]);
    const float g = std::tanh(r.gx[2 * H + j] + r.gh[2 * H + j]);
    const float o = sigmoid(r.gx[3 * H + j] + r.gh[3 * H + j]);
    const float cp = r.cp ? r.cp[j] : 0.0f;
    const float tc = std::tanh(c[j]);
    const float dht = dh_out ? dh[j] + dh_out[j] : dh[j];
    const float dct = dc[j] + dht * o * (1.0f - tc * tc);
    dgx[j] = dct * g * i * (1.0f - i);
    dgx[H + j] = dct * cp * f * (1.0f - f);
    dgx[2 * H + j] = dct * i * (1.0f - g * g);
    dgx[3 * H + j] = dht * tc * o * (1.0f - o);
    dc[j] = dct * f;
    dh[j] = 0.0f;  // h_prev reaches the step only through gh
  }
}

void gru_backward(int64_t H, const Row& r, const float* bh, const float* dh_out, float* dh, float* dgx,
                  float* dgh) {
  for (int64_t j = 0; j < H; ++j) {
    const float rg = sigmoid(r.gx[j] + r.gh[j]);
    const float z = sigmoid(r.gx[H + j] + r.gh[H + j]);
    const float hn = r.gh[2 * H + j] + (bh ? bh[j] : 0.0f);
    const float n = std::tanh(r.gx[2 * H + j] + rg * hn);
    const float hp = r.hp ? r.hp[j] : 0.0f;
    const float dht = dh_out ? dh[j] + dh_out[j] : dh[j];
    const float dn = dht * (1.0f - z) * (1.0f - n * n);
    const float dr = dn * hn * rg * (1.0f - rg);
    const float dz = dht * (hp - n) * z * (1.0f - z);
    dgx[j] = dr;
    dgx[H + j] = dz;
    dgx[2 * H + j] = dn;
    dgh[j] = dr;
    dgh[H + j] = dz;
    dgh[2 * H + j] = dn * rg;
    dh[j] = dht * z;
  }
}

void atr_backward(int64_t H, const Row& r, const float* bh, const float* dh_out, float* dh, float* dgx,
                  float* dgh) {
  for (int64_t j = 0; j < H; ++j) {
    const float p = r.gx[j];
    const float q = r.gh[j] + (bh ? bh[j] : 0.0f);
    const float i = sigmoid(p + q);
    const float f = sigmoid(p - q);
    const float hp = r.hp ? r.hp[j] : 0.0f;
    const float dht = dh_out ? dh[j] + dh_out[j] : dh[j];
    const float di = dht * p * i * (1.0f - i);  // through i = sig(p + q)
    const float df = dht * hp * f * (1.0f - f);  // through f = sig(p - q)
    dgx[j] = dht * i + di + df;
    dgh[j] = di - df;
    dh[j] = dht * f;
  }
}

}  // namespace

void cell_step_forward(int cell, int64_t batch, int64_t hidden, int64_t t, const int32_t* lengths,
                       const float* gx, int64_t ldgx, const float* gh, int64_t ldgh, const float* bh,
                       const float* h_prev, int64_t ldhp, const float* c_prev, int64_t ldcp, float* h, int64_t ldh,
                       float* c, int64_t ldc, float* last, int64_t ldlast, int threads) {
  const bool lstm = cell == LRN4J_CELL_LSTM;
  const int nt = threads_for(batch * hidden, int64_t{1} << 14, threads);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t b = 0; b < batch; ++b) {
    const Row r{gx + b * ldgx, gh + b * ldgh, h_prev ? h_prev + b * ldhp : nullptr,
                lstm && c_prev ? c_prev + b * ldcp : nullptr};
    float* hb = h + b * ldh;
    float* cb = lstm ? c + b * ldc : nullptr;
    if (lengths && t >= lengths[b]) {
      for (int64_t j = 0; j < hidden; ++j) {
        hb[j] = r.hp ? r.hp[j] : 0.0f;
        if (lstm) cb[j] = r.cp ? r.cp[j] : 0.0f;
      }
    } else if (lstm) {
      lstm_forward(hidden, r, hb, cb);
    } else if (cell == LRN4J_CELL_GRU) {
      gru_forward(hidden, r, bh, hb);
    } else {
      atr_forward(hidden, r, bh, hb);
    }
    if (last) {
      float* lb = last + b * ldlast;
      for (int64_t j = 0; j < hidden; ++j) {
        lb[j] = hb[j];
        if (lstm) lb[hidden + j] = cb[j];
      }
    }
  }
}

void cell_step_backward(int cell, int64_t batch, int64_t hidden, int64_t t, const int32_t* lengths,
                        const float* gx, int64_t ldgx, const float* gh, int64_t ldgh, const float* bh,
                        const float* h_prev, int64_t ldhp, const float* c_prev, int64_t ldcp, const float* c,
                        int64_t ldc, const float* dh_out, int64_t lddo, float* dh, int64_t lddh, float* dc,
                        int64_t lddc, float* dgx, int64_t lddgx, float* dgh, int64_t lddgh, int threads) {
  const bool lstm = cell == LRN4J_CELL_LSTM;
  const int64_t width = (lstm ? 4 : cell == LRN4J_CELL_GRU ? 3 : 1) * hidden;
  const int nt = threads_for(batch * hidden, int64_t{1} << 14, threads);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t b = 0; b < batch; ++b) {
    const Row r{gx + b * ldgx, gh + b * ldgh, h_prev ? h_prev + b * ldhp : nullptr,
                lstm && c_prev ? c_prev + b * ldcp : nullptr};
    const float* dob = dh_out ? dh_out + b * lddo : nullptr;
    float* dhb = dh + b * lddh;
    float* dcb = lstm ? dc + b * lddc : nullptr;
    float* dgxb = dgx + b * lddgx;
    float* dghb = lstm ? nullptr : dgh + b * lddgh;
    if (lengths && t >= lengths[b]) {
      // The state passed through unchanged (c too) and the gates were not used.
      if (dob) {
        for (int64_t j = 0; j < hidden; ++j) dhb[j] += dob[j];
      }
      for (int64_t j = 0; j < width; ++j) {
        dgxb[j] = 0.0f;
        if (dghb) dghb[j] = 0.0f;
      }
    } else if (lstm) {
      lstm_backward(hidden, r, c + b * ldc, dob, dhb, dcb, dgxb);
    } else if (cell == LRN4J_CELL_GRU) {
      gru_backward(hidden, r, bh, dob, dhb, dgxb, dghb);
    } else {
      atr_backward(hidden, r, bh, dob, dhb, dgxb, dghb);
    }
  }
}

}  // namespace lrn4j::ref
