// Native harness of the CPU kernels (liblrn4j_cpu):
//  - the reference backward passes (LRN and oLRN scans, layer norm, LSTM/GRU/ATR steps, SRU scan) against central
//    finite differences of small double-precision re-implementations of the forward passes written here;
//  - library state (ABI version, ISA choice, thread count) and the CUDA bridge's closed state;
//  - every AVX2 kernel against the scalar reference on random data and odd sizes, outputs poisoned with NaN
//    first (an unwritten element fails) and row padding checked to be left untouched;
//  - the same GEMM, column-sum and LRN/oLRN scan checks at the AVX-512 level (its own GEMM and scans), when
//    the CPU has AVX-512F;
//  - results bit-identical for 1 and 2 threads and from one run to the next, at each SIMD level; the
//    AVX-512 GEMM also bit-identical whichever rows of C one call computes (every path and tile sums an
//    element in the same order).
// Exit code: 0 pass, 1 fail, 77 (skip) when the CPU has no AVX2 and the reference checks passed. Without
// AVX-512F the AVX-512 part is skipped with a message and the rest decides the exit code.
#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "harness.h"
#include "lrn4j/lrn4j.h"

namespace {

using harness::Checker;

std::mt19937 rng(20240611);

// A rows x cols row-major matrix with row stride ld; the padding columns [cols, ld) hold NaN so that a
// kernel writing past its columns is caught, and a kernel reading them produces NaN.
struct Mat {
  int64_t rows = 0, cols = 0, ld = 0;
  std::vector<float> v;

  static Mat poisoned(int64_t rows, int64_t cols, int64_t ld) {
    return Mat{rows, cols, ld, harness::poisoned(static_cast<size_t>(std::max<int64_t>(1, rows * ld)))};
  }
  static Mat random(int64_t rows, int64_t cols, int64_t ld, float lo = -1.0f, float hi = 1.0f) {
    Mat m = poisoned(rows, cols, ld);
    std::uniform_real_distribution<float> d(lo, hi);
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = 0; c < cols; ++c) m.v[r * ld + c] = d(rng);
    }
    return m;
  }
  float* data() { return v.data(); }
  const float* data() const { return v.data(); }
};

std::string fmt(const char* f, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char* f, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, f);
  std::vsnprintf(buf, sizeof buf, f, ap);
  va_end(ap);
  return buf;
}

// Compares the cols valid columns of every row; checks that got's padding is still NaN.
void compare(Checker& ck, const std::string& what, const Mat& got, const Mat& ref, double abs_tol, double rel_tol) {
  for (int64_t r = 0; r < got.rows; ++r) {
    if (!ck.close(what.c_str(), got.data() + r * got.ld, ref.data() + r * ref.ld, got.cols, abs_tol, rel_tol)) {
      std::fprintf(stderr, "  (row %lld)\n", static_cast<long long>(r));
      return;
    }
    for (int64_t c = got.cols; c < got.ld; ++c) {
      if (!std::isnan(got.v[r * got.ld + c])) {
        ++ck.failures;
        std::fprintf(stderr, "PADDING WRITTEN %s at row %lld col %lld\n", what.c_str(), static_cast<long long>(r),
                     static_cast<long long>(c));
        return;
      }
    }
  }
}

void compare_vec(Checker& ck, const std::string& what, const std::vector<float>& got, const std::vector<float>& ref,
                 double abs_tol, double rel_tol) {
  ck.close(what.c_str(), got.data(), ref.data(), got.size(), abs_tol, rel_tol);
}

void expect(Checker& ck, bool ok, const std::string& what) {
  if (!ok) {
    ++ck.failures;
    std::fprintf(stderr, "FAILED %s\n", what.c_str());
  }
}

// ---- double-precision re-implementations for the finite-difference checks ---------------------------

double sigmoid_d(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// Forward LRN scan (gate: the oLRN scan, gates [T, B, 4, H]) in double on contiguous buffers; returns
// sum(w_hs * hs) + sum(w_last * h_last), and the states (and the oLRN's c) when asked.
double scan_loss_d(int64_t T, int64_t B, int64_t H, bool gate, const std::vector<double>& g,
                   const std::vector<double>& h0, const std::vector<int32_t>& len, int act, bool reverse,
                   const std::vector<double>& w_hs, const std::vector<double>& w_last,
                   std::vector<double>* hs_out = nullptr, std::vector<double>* cs_out = nullptr) {
  const int64_t planes = gate ? 4 : 3;
  double loss = 0.0;
  if (hs_out) hs_out->assign(T * B * H, 0.0);
  if (cs_out) cs_out->assign(T * B * H, 0.0);
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t j = 0; j < H; ++j) {
      double h = h0[b * H + j];
      for (int64_t s = 0; s < T; ++s) {
        const int64_t t = reverse ? T - 1 - s : s;
        const double* row = g.data() + (t * B + b) * planes * H;
        if (t < len[b]) {
          const double i = sigmoid_d(row[H + j] + h), f = sigmoid_d(row[j] - h);
          const double pre = i * row[2 * H + j] + f * h;
          const double c = act == LRN4J_ACT_TANH ? std::tanh(pre) : pre;
          h = gate ? sigmoid_d(row[3 * H + j] - c) * c : c;
          if (cs_out) (*cs_out)[(t * B + b) * H + j] = c;
        }
        loss += w_hs[(t * B + b) * H + j] * h;
        if (hs_out) (*hs_out)[(t * B + b) * H + j] = h;
      }
      loss += w_last[b * H + j] * h;
    }
  }
  return loss;
}

// Central difference of f with respect to x[i], in double.
double central_diff(std::vector<double>& x, size_t i, const std::function<double()>& f) {
  const double step = 1e-6 * std::max(1.0, std::fabs(x[i]));
  const double keep = x[i];
  x[i] = keep + step;
  const double up = f();
  x[i] = keep - step;
  const double down = f();
  x[i] = keep;
  return (up - down) / (2 * step);
}

std::vector<double> to_double(const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); }

// The LRN scan (gate: the oLRN scan) of the scalar reference against central differences of scan_loss_d.
void fd_scan(Checker& ck, bool gate, int act, bool reverse) {
  const int64_t T = 5, B = 3, H = 4, W = (gate ? 4 : 3) * H;
  const std::vector<int32_t> len = {5, 2, 1};
  auto g = harness::random_vec(T * B * W, rng, -2.0f, 2.0f);
  auto h0 = harness::random_vec(B * H, rng);
  auto w_hs = harness::random_vec(T * B * H, rng);
  auto w_last = harness::random_vec(B * H, rng);

  lrn4j_set_isa(LRN4J_ISA_SCALAR);
  auto hs = harness::poisoned(T * B * H), cs = harness::poisoned(T * B * H), h_last = harness::poisoned(B * H);
  auto dg = harness::poisoned(T * B * W), dh0 = harness::poisoned(B * H);
  if (gate) {
    lrn4j_olrn_scan_forward(T, B, H, g.data(), W, h0.data(), len.data(), act, reverse, hs.data(), H, cs.data(), H,
                            h_last.data());
    lrn4j_olrn_scan_backward(T, B, H, g.data(), W, h0.data(), len.data(), act, reverse, hs.data(), H, cs.data(), H,
                             w_hs.data(), H, w_last.data(), dg.data(), W, dh0.data());
  } else {
    lrn4j_lrn_scan_forward(T, B, H, g.data(), W, h0.data(), len.data(), act, reverse, hs.data(), H, h_last.data());
    lrn4j_lrn_scan_backward(T, B, H, g.data(), W, h0.data(), len.data(), act, reverse, hs.data(), H, w_hs.data(), H,
                            w_last.data(), dg.data(), W, dh0.data());
  }

  auto gd = to_double(g), h0d = to_double(h0), whd = to_double(w_hs), wld = to_double(w_last);
  std::vector<double> hs_d, cs_d;
  scan_loss_d(T, B, H, gate, gd, h0d, len, act, reverse, whd, wld, &hs_d, &cs_d);
  std::vector<float> hs_ref(hs_d.begin(), hs_d.end()), cs_ref(cs_d.begin(), cs_d.end());
  const std::string tag = fmt("%s act=%d reverse=%d", gate ? "olrn" : "lrn", act, reverse);
  ck.close(("fd scan forward vs double " + tag).c_str(), hs.data(), hs_ref.data(), hs.size(), 1e-5, 1e-5);
  if (gate) ck.close(("fd scan forward cs vs double " + tag).c_str(), cs.data(), cs_ref.data(), cs.size(), 1e-5, 1e-5);

  auto loss = [&] { return scan_loss_d(T, B, H, gate, gd, h0d, len, act, reverse, whd, wld); };
  std::vector<float> num_dg(gd.size()), num_dh0(h0d.size());
  for (size_t i = 0; i < gd.size(); ++i) num_dg[i] = static_cast<float>(central_diff(gd, i, loss));
  for (size_t i = 0; i < h0d.size(); ++i) num_dh0[i] = static_cast<float>(central_diff(h0d, i, loss));
  ck.close(("fd scan dg " + tag).c_str(), dg.data(), num_dg.data(), dg.size(), 2e-5, 1e-4);
  ck.close(("fd scan dh0 " + tag).c_str(), dh0.data(), num_dh0.data(), dh0.size(), 2e-5, 1e-4);
}

// Grouped layer norm in double; returns sum(w * y).
double layer_norm_loss_d(int64_t m, int64_t groups, int64_t gs, const std::vector<double>& x,
                         const std::vector<double>& gamma, const std::vector<double>& beta, double eps,
                         const std::vector<double>& w) {
  double loss = 0.0;
  for (int64_t r = 0; r < m; ++r) {
    for (int64_t grp = 0; grp < groups; ++grp) {
      const double* xg = x.data() + r * groups * gs + grp * gs;
      double mu = 0.0, var = 0.0;
      for (int64_t j = 0; j < gs; ++j) mu += xg[j] / gs;
      for (int64_t j = 0; j < gs; ++j) var += (xg[j] - mu) * (xg[j] - mu) / gs;
      for (int64_t j = 0; j < gs; ++j) {
        const int64_t c = grp * gs + j;
        loss += w[r * groups * gs + c] * (gamma[c] * (xg[j] - mu) / std::sqrt(var + eps) + beta[c]);
      }
    }
  }
  return loss;
}

void fd_layer_norm(Checker& ck) {
  const int64_t m = 3, groups = 2, gs = 5, n = groups * gs;
  const float eps = 1e-5f;
  auto x = harness::random_vec(m * n, rng), gamma = harness::random_vec(n, rng, 0.5f, 1.5f);
  auto beta = harness::random_vec(n, rng), w = harness::random_vec(m * n, rng);

  lrn4j_set_isa(LRN4J_ISA_SCALAR);
  auto y = harness::poisoned(m * n), mean = harness::poisoned(m * groups), rstd = harness::poisoned(m * groups);
  lrn4j_layer_norm_forward(m, groups, gs, x.data(), n, gamma.data(), beta.data(), eps, y.data(), n, mean.data(),
                           rstd.data());
  auto dx = harness::poisoned(m * n);
  std::vector<float> dgamma(n, 0.0f), dbeta(n, 0.0f);
  lrn4j_layer_norm_backward(m, groups, gs, x.data(), n, gamma.data(), mean.data(), rstd.data(), w.data(), n,
                            dx.data(), n, dgamma.data(), dbeta.data());

  auto xd = to_double(x), gd = to_double(gamma), bd = to_double(beta), wd = to_double(w);
  auto loss = [&] { return layer_norm_loss_d(m, groups, gs, xd, gd, bd, eps, wd); };
  std::vector<float> num_dx(xd.size()), num_dgamma(n), num_dbeta(n);
  for (size_t i = 0; i < xd.size(); ++i) num_dx[i] = static_cast<float>(central_diff(xd, i, loss));
  for (int64_t c = 0; c < n; ++c) {
    num_dgamma[c] = static_cast<float>(central_diff(gd, c, loss));
    num_dbeta[c] = static_cast<float>(central_diff(bd, c, loss));
  }
  ck.close("fd layer_norm dx", dx.data(), num_dx.data(), dx.size(), 1e-4, 1e-4);
  ck.close("fd layer_norm dgamma", dgamma.data(), num_dgamma.data(), n, 1e-5, 1e-4);
  ck.close("fd layer_norm dbeta", dbeta.data(), num_dbeta.data(), n, 1e-5, 1e-4);
}

// One LSTM / GRU / ATR step of one sequence in double (the formulas of lrn4j.h); c only for the LSTM.
void cell_step_d(int cell, int64_t H, const double* gx, const double* gh, const double* bh, const double* hp,
                 const double* cp, double* h, double* c) {
  for (int64_t j = 0; j < H; ++j) {
    if (cell == LRN4J_CELL_LSTM) {
      const double i = sigmoid_d(gx[j] + gh[j]), f = sigmoid_d(gx[H + j] + gh[H + j]);
      const double g = std::tanh(gx[2 * H + j] + gh[2 * H + j]), o = sigmoid_d(gx[3 * H + j] + gh[3 * H + j]);
      c[j] = f * cp[j] + i * g;
      h[j] = o * std::tanh(c[j]);
    } else if (cell == LRN4J_CELL_GRU) {
      const double r = sigmoid_d(gx[j] + gh[j]), z = sigmoid_d(gx[H + j] + gh[H + j]);
      const double n = std::tanh(gx[2 * H + j] + r * (gh[2 * H + j] + bh[j]));
      h[j] = (1 - z) * n + z * hp[j];
    } else {
      const double p = gx[j], q = gh[j] + bh[j];
      h[j] = sigmoid_d(p + q) * p + sigmoid_d(p - q) * hp[j];
    }
  }
}

int cell_planes(int cell) { return cell == LRN4J_CELL_LSTM ? 4 : cell == LRN4J_CELL_GRU ? 3 : 1; }

// The reference step's backward against central differences of L = sum (w_h + w_o)*h + sum w_c*c, with
// one sequence inactive: the gradients w.r.t. gx, gh, bh, h_prev and c_prev.
void fd_cell_step(Checker& ck, int cell) {
  const int64_t B = 3, H = 5, W = cell_planes(cell) * H, t = 2;
  const bool lstm = cell == LRN4J_CELL_LSTM;
  const std::vector<int32_t> len = {5, 2, 3};
  auto gx = harness::random_vec(B * W, rng, -2.0f, 2.0f), gh = harness::random_vec(B * W, rng, -2.0f, 2.0f);
  auto bh = harness::random_vec(H, rng), hp = harness::random_vec(B * H, rng), cp = harness::random_vec(B * H, rng);
  auto wh = harness::random_vec(B * H, rng), wo = harness::random_vec(B * H, rng), wc = harness::random_vec(B * H, rng);

  lrn4j_set_isa(LRN4J_ISA_SCALAR);
  auto h = harness::poisoned(B * H), c = harness::poisoned(B * H);
  lrn4j_cell_step_forward(cell, B, H, t, len.data(), gx.data(), W, gh.data(), W, bh.data(), hp.data(), H,
                          cp.data(), H, h.data(), H, lstm ? c.data() : nullptr, H, nullptr, 0);
  auto dh = wh, dc = wc;
  auto dgx = harness::poisoned(B * W), dgh = harness::poisoned(B * W);
  lrn4j_cell_step_backward(cell, B, H, t, len.data(), gx.data(), W, gh.data(), W, bh.data(), hp.data(), H,
                           cp.data(), H, lstm ? c.data() : nullptr, H, wo.data(), H, dh.data(), H,
                           lstm ? dc.data() : nullptr, H, dgx.data(), W, lstm ? nullptr : dgh.data(), W);
  if (lstm) dgh = dgx;

  auto gxd = to_double(gx), ghd = to_double(gh), bhd = to_double(bh), hpd = to_double(hp), cpd = to_double(cp);
  std::vector<double> hd(B * H), cd(B * H);
  auto forward = [&] {
    for (int64_t b = 0; b < B; ++b) {
      if (t >= len[b]) {
        for (int64_t j = 0; j < H; ++j) hd[b * H + j] = hpd[b * H + j], cd[b * H + j] = cpd[b * H + j];
      } else {
        cell_step_d(cell, H, &gxd[b * W], &ghd[b * W], bhd.data(), &hpd[b * H], &cpd[b * H], &hd[b * H], &cd[b * H]);
      }
    }
  };
  auto loss = [&] {
    forward();
    double l = 0;
    for (int64_t i = 0; i < B * H; ++i) l += (double(wh[i]) + wo[i]) * hd[i] + (lstm ? wc[i] * cd[i] : 0.0);
    return l;
  };
  forward();
  const std::string tag = fmt("cell %d", cell);
  std::vector<float> hf(hd.begin(), hd.end()), cf(cd.begin(), cd.end());
  ck.close(("fd cell forward h " + tag).c_str(), h.data(), hf.data(), h.size(), 1e-6, 1e-5);
  if (lstm) ck.close(("fd cell forward c " + tag).c_str(), c.data(), cf.data(), c.size(), 1e-6, 1e-5);

  auto numeric = [&](std::vector<double>& x) {
    std::vector<float> g(x.size());
    for (size_t i = 0; i < x.size(); ++i) g[i] = static_cast<float>(central_diff(x, i, loss));
    return g;
  };
  const double abs_tol = 2e-5, rel_tol = 1e-4;
  ck.close(("fd cell dgx " + tag).c_str(), dgx.data(), numeric(gxd).data(), dgx.size(), abs_tol, rel_tol);
  ck.close(("fd cell dgh " + tag).c_str(), dgh.data(), numeric(ghd).data(), dgh.size(), abs_tol, rel_tol);
  ck.close(("fd cell dh_prev " + tag).c_str(), dh.data(), numeric(hpd).data(), dh.size(), abs_tol, rel_tol);
  if (lstm) ck.close(("fd cell dc_prev " + tag).c_str(), dc.data(), numeric(cpd).data(), dc.size(), abs_tol, rel_tol);
  if (!lstm) {  // bh shifts gh's n (GRU) or only plane (ATR): its gradient is that plane summed over B
    std::vector<float> dbh(H, 0.0f);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t j = 0; j < H; ++j) dbh[j] += dgh[b * W + W - H + j];
    ck.close(("fd cell dbh " + tag).c_str(), dbh.data(), numeric(bhd).data(), H, abs_tol, rel_tol);
  }
}

// SRU forward in double on contiguous buffers; returns sum(w_h * h) + sum(w_last * c_last).
double sru_loss_d(int64_t T, int64_t B, int64_t H, int64_t k, const std::vector<double>& u, const std::vector<double>& x,
                  const std::vector<double>& v, const std::vector<double>& bias, const std::vector<double>& c0,
                  const std::vector<int32_t>& len, int act, bool reverse, const std::vector<double>& w_h,
                  const std::vector<double>& w_last, std::vector<double>* h_out = nullptr) {
  double loss = 0.0;
  if (h_out) h_out->assign(T * B * H, 0.0);
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t j = 0; j < H; ++j) {
      double c = c0[b * H + j];
      for (int64_t s = 0; s < T; ++s) {
        const int64_t t = reverse ? T - 1 - s : s;
        if (t >= len[b]) continue;
        const double* row = u.data() + (t * B + b) * k * H;
        const double f = sigmoid_d(row[H + j] + v[j] * c + bias[j]);
        const double r = sigmoid_d(row[2 * H + j] + v[H + j] * c + bias[H + j]);
        c = f * c + (1 - f) * row[j];
        const double xh = k == 4 ? row[3 * H + j] : x[(t * B + b) * H + j];
        const double h = r * (act == LRN4J_ACT_TANH ? std::tanh(c) : c) + (1 - r) * xh;
        loss += w_h[(t * B + b) * H + j] * h;
        if (h_out) (*h_out)[(t * B + b) * H + j] = h;
      }
      loss += w_last[b * H + j] * c;
    }
  }
  return loss;
}

void fd_sru(Checker& ck, int64_t k, int act, bool reverse) {
  const int64_t T = 5, B = 3, H = 4;
  const std::vector<int32_t> len = {5, 2, 1};
  auto u = harness::random_vec(T * B * k * H, rng, -2.0f, 2.0f), x = harness::random_vec(T * B * H, rng);
  auto v = harness::random_vec(2 * H, rng), bias = harness::random_vec(2 * H, rng), c0 = harness::random_vec(B * H, rng);
  auto w_h = harness::random_vec(T * B * H, rng), w_last = harness::random_vec(B * H, rng);
  const float* xp = k == 3 ? x.data() : nullptr;

  lrn4j_set_isa(LRN4J_ISA_SCALAR);
  auto h = harness::poisoned(T * B * H), c = harness::poisoned(T * B * H), c_last = harness::poisoned(B * H);
  lrn4j_sru_scan_forward(T, B, H, k, u.data(), k * H, xp, H, v.data(), bias.data(), c0.data(), len.data(), act,
                         reverse, h.data(), H, c.data(), H, c_last.data());
  auto du = harness::poisoned(T * B * k * H), dv = harness::poisoned(B * 2 * H), dc0 = harness::poisoned(B * H);
  std::vector<float> dx(T * B * H, 0.0f);
  lrn4j_sru_scan_backward(T, B, H, k, u.data(), k * H, xp, H, v.data(), bias.data(), c0.data(), len.data(), act,
                          reverse, c.data(), H, w_h.data(), H, w_last.data(), du.data(), k * H,
                          k == 3 ? dx.data() : nullptr, H, dv.data(), dc0.data());

  auto ud = to_double(u), xd = to_double(x), vd = to_double(v), bd = to_double(bias), c0d = to_double(c0);
  auto whd = to_double(w_h), wld = to_double(w_last);
  std::vector<double> h_d;
  sru_loss_d(T, B, H, k, ud, xd, vd, bd, c0d, len, act, reverse, whd, wld, &h_d);
  std::vector<float> h_ref(h_d.begin(), h_d.end());
  const std::string tag = fmt("k=%lld act=%d reverse=%d", (long long)k, act, reverse);
  ck.close(("fd sru forward h " + tag).c_str(), h.data(), h_ref.data(), h.size(), 1e-5, 1e-5);

  auto loss = [&] { return sru_loss_d(T, B, H, k, ud, xd, vd, bd, c0d, len, act, reverse, whd, wld); };
  auto numeric = [&](std::vector<double>& p) {
    std::vector<float> g(p.size());
    for (size_t i = 0; i < p.size(); ++i) g[i] = static_cast<float>(central_diff(p, i, loss));
    return g;
  };
  const double abs_tol = 2e-5, rel_tol = 1e-4;
  ck.close(("fd sru du " + tag).c_str(), du.data(), numeric(ud).data(), du.size(), abs_tol, rel_tol);
  if (k == 3) ck.close(("fd sru dx " + tag).c_str(), dx.data(), numeric(xd).data(), dx.size(), abs_tol, rel_tol);
  ck.close(("fd sru dc0 " + tag).c_str(), dc0.data(), numeric(c0d).data(), dc0.size(), abs_tol, rel_tol);
  // v: the B rows of dv summed; bias: the column sums of du's f and r planes.
  std::vector<float> dv_sum(2 * H, 0.0f), db(2 * H, 0.0f);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t j = 0; j < 2 * H; ++j) dv_sum[j] += dv[b * 2 * H + j];
  for (int64_t row = 0; row < T * B; ++row)
    for (int64_t j = 0; j < 2 * H; ++j) db[j] += du[row * k * H + H + j];
  ck.close(("fd sru dv " + tag).c_str(), dv_sum.data(), numeric(vd).data(), 2 * H, abs_tol, rel_tol);
  ck.close(("fd sru dbias " + tag).c_str(), db.data(), numeric(bd).data(), 2 * H, abs_tol, rel_tol);
}

// ---- library state and the CUDA bridge ----------------------------------------------------------------

void check_library_state(Checker& ck, bool have_avx2, bool have_avx512) {
  expect(ck, lrn4j_abi_version() == LRN4J_ABI_VERSION, "abi version");
  const int best = have_avx512 ? LRN4J_ISA_AVX512 : have_avx2 ? LRN4J_ISA_AVX2 : LRN4J_ISA_SCALAR;
  expect(ck, lrn4j_isa() == best, "default isa is the best available");
  expect(ck, lrn4j_set_isa(LRN4J_ISA_SCALAR) == LRN4J_ISA_SCALAR && lrn4j_isa() == LRN4J_ISA_SCALAR, "set scalar");
  expect(ck, lrn4j_set_isa(LRN4J_ISA_AVX2) == (have_avx2 ? LRN4J_ISA_AVX2 : LRN4J_ISA_SCALAR), "set avx2");
  expect(ck, lrn4j_set_isa(LRN4J_ISA_AVX512) == (have_avx512 ? LRN4J_ISA_AVX512 : LRN4J_ISA_SCALAR), "set avx512");
  expect(ck, lrn4j_isa() == (have_avx512 ? LRN4J_ISA_AVX512 : LRN4J_ISA_SCALAR), "isa after set avx512");
  expect(ck, lrn4j_set_isa(12345) == LRN4J_ISA_SCALAR, "unknown isa falls back to scalar");
  const int threads = lrn4j_num_threads();
  expect(ck, threads >= 1, "default thread count");
  lrn4j_set_num_threads(0);
  expect(ck, lrn4j_num_threads() == 1, "thread count below 1 becomes 1");
  lrn4j_set_num_threads(threads);

  float c = 0.0f;
  expect(ck, lrn4j_cudab_gemm(0, 0, 1, 1, 1, &c, 1, &c, 1, nullptr, 0, &c, 1, nullptr) == -1,
         "bridge call before open returns -1");
  expect(ck, lrn4j_cuda_bridge_open("/nonexistent/liblrn4j_cuda.so") != 0, "bridge open of a missing file fails");
  expect(ck, std::strlen(lrn4j_cuda_bridge_error()) > 0, "bridge error says why");
  expect(ck, lrn4j_cudab_col_sum(1, 1, &c, 1, 0, &c, nullptr) == -1, "bridge call after failed open returns -1");
}

// ---- SIMD kernels against the reference ---------------------------------------------------------------

// The SIMD kernel set under test: LRN4J_ISA_AVX2, then LRN4J_ISA_AVX512 where the CPU has it.
int simd_isa = LRN4J_ISA_AVX2;

// Runs `call` on a copy of `init` with the reference set and with the SIMD set; returns {ref, simd}.
template <class T, class F>
std::pair<T, T> both(const T& init, F call) {
  T ref = init, got = init;
  lrn4j_set_isa(LRN4J_ISA_SCALAR);
  call(ref);
  lrn4j_set_isa(simd_isa);
  call(got);
  return {ref, got};
}

void check_gemm(Checker& ck, int ta, int tb, int64_t m, int64_t n, int64_t k, int64_t pad, bool with_bias,
                bool accumulate) {
  const Mat a = ta ? Mat::random(k, m, m + pad) : Mat::random(m, k, k + pad);
  const Mat b = tb ? Mat::random(n, k, k + 2 * pad) : Mat::random(k, n, n + 2 * pad);
  const auto bias = harness::random_vec(n, rng);
  const Mat c0 = accumulate ? Mat::random(m, n, n + pad) : Mat::poisoned(m, n, n + pad);
  auto [ref, got] = both(c0, [&](Mat& c) {
    lrn4j_gemm(ta, tb, m, n, k, a.data(), a.ld, b.data(), b.ld, with_bias ? bias.data() : nullptr, accumulate,
               c.data(), c.ld);
  });
  // Sums of k products of values in [-1, 1]: the rounding differences grow with k.
  compare(ck, fmt("gemm isa=%d ta=%d tb=%d m=%lld n=%lld k=%lld pad=%lld bias=%d acc=%d", simd_isa, ta, tb,
                  (long long)m, (long long)n, (long long)k, (long long)pad, with_bias, accumulate),
          got, ref, 1e-6 + 2e-7 * k, 1e-5);
}

void check_gemms(Checker& ck) {
  const int64_t Ts[] = {1, 2, 7, 33}, Bs[] = {1, 3, 8}, Hs[] = {1, 7, 8, 9, 33, 129}, Ds[] = {1, 5, 64, 131};
  int config = 0;
  for (int64_t T : Ts) {
    for (int64_t B : Bs) {
      for (int64_t H : Hs) {
        for (int64_t D : Ds) {
          const int64_t M = T * B, N = 3 * H, pad = (config++ % 3) * 3;
          check_gemm(ck, 0, 0, M, N, D, pad, true, false);            // G = X.W + b
          check_gemm(ck, 0, 1, M, D, N, pad, false, false);           // dX = dG.W^T
          check_gemm(ck, 1, 0, D, N, M, pad, false, true);            // dW += X^T.dG
          check_gemm(ck, 1, 1, N, M, D, pad, config % 2 == 0, config % 4 == 0);
        }
      }
    }
  }
  // Shapes crossing the KC / MC / NC blocks, the small-M paths and their edges (AVX2: tiles 6 x 16, K
  // blocks of 256; AVX-512: tiles 12 x 32 and wider ones for few rows, K blocks of up to 1024 packed and
  // 512 in place, MC and NC from KC, small-M column chunks of 384).
  const int64_t shapes[][3] = {{300, 517, 200}, {7, 1000, 600}, {16, 33, 300},  {17, 40, 513},
                               {1, 17, 1},      {6, 16, 256},   {20, 4100, 30}, {173, 5, 260},
                               {12, 32, 257},   {13, 33, 100},  {25, 47, 520},  {32, 129, 300},
                               {33, 95, 1100},  {2, 200, 9},    {49, 2049, 70}, {1000, 49, 31},
                               {1, 1536, 1030}, {31, 800, 1100}, {700, 70, 300}, {40, 2100, 1030},
                               {97, 33, 2100}};
  for (const auto& s : shapes) {
    for (int ta = 0; ta < 2; ++ta) {
      for (int tb = 0; tb < 2; ++tb) {
        check_gemm(ck, ta, tb, s[0], s[1], s[2], 5, ta == tb, tb == 1);
      }
    }
  }
  // K == 0: C becomes the bias or 0, or is left unchanged plus the bias.
  for (int acc = 0; acc < 2; ++acc) {
    for (int with_bias = 0; with_bias < 2; ++with_bias) check_gemm(ck, 0, 0, 9, 21, 0, 2, with_bias, acc);
  }
}

void check_col_sums(Checker& ck) {
  for (int64_t m : {1, 7, 64, 300}) {
    for (int64_t n : {1, 7, 8, 9, 63, 64, 65, 130, 1000}) {
      for (int acc = 0; acc < 2; ++acc) {
        const Mat a = Mat::random(m, n, n + 3);
        const auto init = acc ? harness::random_vec(n, rng) : harness::poisoned(n);
        auto [ref, got] = both(init, [&](std::vector<float>& out) {
          lrn4j_col_sum(m, n, a.data(), a.ld, acc, out.data());
        });
        // Same float additions in the same order as the reference: bit-identical.
        compare_vec(ck, fmt("col_sum isa=%d m=%lld n=%lld acc=%d", simd_isa, (long long)m, (long long)n, acc), got,
                    ref, 0.0, 0.0);
      }
    }
  }
}

// Softmax cross-entropy: AVX2 against the scalar reference (double sums in both; the AVX2 exp differs
// from std::exp by ~1e-7 relative), separate gradient, in place, and loss only; ignored rows (-1).
void check_softmax_xent(Checker& ck) {
  for (int64_t m : {1, 5, 40}) {
    for (int64_t n : {1, 7, 8, 9, 65, 1000, 4099}) {
      for (float spread : {3.0f, 80.0f}) {
        const Mat x = Mat::random(m, n, n + 3, -spread, spread);
        std::vector<int32_t> t(m);
        for (int64_t i = 0; i < m; ++i) t[i] = i % 4 == 2 ? -1 : static_cast<int32_t>(rng() % n);
        for (int mode = 0; mode < 3; ++mode) {  // 0: separate gradient, 1: in place, 2: loss only
          const std::string what = fmt("softmax_xent m=%lld n=%lld spread=%g mode=%d", (long long)m, (long long)n,
                                       spread, mode);
          auto run = [&](std::vector<float>& loss, Mat& d) {
            Mat logits = x;
            float* dl = mode == 0 ? d.data() : mode == 1 ? logits.data() : nullptr;
            lrn4j_softmax_xent(m, n, logits.data(), logits.ld, t.data(), 0.5f, loss.data(), dl, logits.ld);
            if (mode == 1) d = logits;
          };
          std::vector<float> loss_ref = harness::poisoned(m), loss_got = harness::poisoned(m);
          Mat d_ref = Mat::poisoned(m, n, n + 3), d_got = Mat::poisoned(m, n, n + 3);
          lrn4j_set_isa(LRN4J_ISA_SCALAR);
          run(loss_ref, d_ref);
          lrn4j_set_isa(LRN4J_ISA_AVX2);
          run(loss_got, d_got);
          compare_vec(ck, what + " loss", loss_got, loss_ref, 2e-5, 2e-6);
          if (mode < 2) {
            if (mode == 1) {  // in place: the padding holds the logits' NaN padding, as poisoned ones do
              for (int64_t i = 0; i < m; ++i) {
                for (int64_t j = n; j < d_got.ld; ++j) d_got.v[i * d_got.ld + j] = d_ref.v[i * d_ref.ld + j];
              }
            }
            compare(ck, what + " dlogits", d_got, d_ref, 1e-6, 1e-5);
          }
        }
      }
    }
  }
}

// Embedding lookup and backward: AVX2 against the scalar reference, bit-identical (copies, and float
// additions in the same order); repeated ids, padding ids (-1), strides.
void check_embedding(Checker& ck) {
  for (int64_t m : {1, 9, 130}) {
    for (int64_t d : {1, 7, 8, 65, 300}) {
      for (int64_t rows : {1, 50}) {
        const Mat table = Mat::random(rows, d, d + 2);
        const Mat dout = Mat::random(m, d, d + 5);
        std::vector<int32_t> ids(m);
        for (int64_t i = 0; i < m; ++i) ids[i] = i % 7 == 5 ? -1 : static_cast<int32_t>(rng() % std::min<int64_t>(rows, 1 + m / 2));
        const std::string what = fmt("embedding m=%lld d=%lld rows=%lld", (long long)m, (long long)d, (long long)rows);
        auto [out_ref, out_got] = both(Mat::poisoned(m, d, d + 5), [&](Mat& out) {
          lrn4j_embedding_gather(m, d, ids.data(), table.data(), rows, table.ld, out.data(), out.ld);
        });
        compare(ck, what + " gather", out_got, out_ref, 0.0, 0.0);
        auto [dt_ref, dt_got] = both(Mat::random(rows, d, d + 2), [&](Mat& dt) {
          lrn4j_embedding_scatter_add(m, d, ids.data(), dout.data(), dout.ld, dt.data(), rows, dt.ld);
        });
        compare(ck, what + " scatter_add", dt_got, dt_ref, 0.0, 0.0);
      }
    }
  }
}

// Optimizer steps: AVX2 equals the scalar reference bit for bit (same float operations, same order, no
// fused multiply-adds); the sum of squares agrees to double rounding.
void check_optimizers(Checker& ck) {
  for (int64_t n : {1, 7, 8, 9, 1000, 16385, 40000}) {
    const auto p0 = harness::random_vec(n, rng), g = harness::random_vec(n, rng);
    const auto m0 = harness::random_vec(n, rng, -0.1f, 0.1f), v0 = harness::random_vec(n, rng, 0.0f, 0.01f);
    std::vector<float> out[2];
    for (int isa : {LRN4J_ISA_SCALAR, LRN4J_ISA_AVX2}) {
      lrn4j_set_isa(isa);
      auto p = p0, m = m0, v = v0, u = m0;
      lrn4j_adam_step(n, p.data(), g.data(), m.data(), v.data(), 1e-2f, 0.9f, 0.999f, 1e-8f, 0.01f, 0.5f, 0.19f, 0.003f);
      lrn4j_sgd_step(n, p.data(), g.data(), u.data(), 0.1f, 0.9f, 1e-4f, 0.7f, 1);
      lrn4j_sgd_step(n, p.data(), g.data(), u.data(), 0.1f, 0.9f, 0.0f, 1.0f, 0);
      auto& o = out[isa == LRN4J_ISA_AVX2];
      o = p;
      o.insert(o.end(), m.begin(), m.end());
      o.insert(o.end(), v.begin(), v.end());
      o.insert(o.end(), u.begin(), u.end());
    }
    expect(ck, std::memcmp(out[0].data(), out[1].data(), out[0].size() * sizeof(float)) == 0,
           fmt("optimizer steps n=%lld: AVX2 differs from the reference", (long long)n));
    lrn4j_set_isa(LRN4J_ISA_SCALAR);
    const double want = lrn4j_sum_squares(n, g.data());
    lrn4j_set_isa(LRN4J_ISA_AVX2);
    const double got = lrn4j_sum_squares(n, g.data());
    expect(ck, std::fabs(got - want) <= 1e-13 * want, fmt("sum_squares n=%lld: %.17g vs %.17g", (long long)n, got, want));
  }
}

// Dropout: AVX2 equals the scalar reference bit for bit (same mask, same float multiply); a range done in
// pieces with counter offsets equals one call; indices straddling 2^32 take the same mask; the kept
// fraction is 1 - p within 5 standard deviations; in place equals out of place.
uint32_t documented_fmix32(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85EBCA6Bu;
  h ^= h >> 13;
  h *= 0xC2B2AE35u;
  return h ^ (h >> 16);
}

// The mask bits exactly as lrn4j.h writes them.
uint32_t documented_dropout_bits(uint64_t seed, uint64_t j) {
  return documented_fmix32(documented_fmix32(static_cast<uint32_t>(j) ^ static_cast<uint32_t>(seed)) ^
                           (static_cast<uint32_t>(j >> 32) * 0x9E3779B1u + static_cast<uint32_t>(seed >> 32)));
}

// Elementwise activations: both ISAs against double precision (tanh and sigmoid within 2e-7 absolute,
// identity and relu exact), AVX2 backward equal to the reference bit for bit, in place equal to out of
// place, NaN kept by relu.
void check_activation(Checker& ck) {
  for (int64_t n : {1, 7, 8, 9, 33, 1000, 16385, 40009}) {
    const auto x = harness::random_vec(static_cast<size_t>(n), rng, -6.0f, 6.0f);
    const auto dy = harness::random_vec(static_cast<size_t>(n), rng);
    for (int fn : {LRN4J_FN_IDENTITY, LRN4J_FN_TANH, LRN4J_FN_RELU, LRN4J_FN_SIGMOID}) {
      std::vector<float> dx[2];
      for (int isa : {LRN4J_ISA_SCALAR, LRN4J_ISA_AVX2}) {
        lrn4j_set_isa(isa);
        std::vector<float> y(static_cast<size_t>(n), NAN);
        lrn4j_activation_forward(fn, n, x.data(), y.data());
        double worst = 0;
        for (int64_t i = 0; i < n; ++i) {
          const double v = x[i];
          const double want = fn == LRN4J_FN_TANH      ? std::tanh(v)
                              : fn == LRN4J_FN_RELU    ? (v < 0 ? 0.0 : v)
                              : fn == LRN4J_FN_SIGMOID ? 1.0 / (1.0 + std::exp(-v))
                                                       : v;
          worst = std::max(worst, std::fabs(y[i] - want));
        }
        const bool exact = fn == LRN4J_FN_IDENTITY || fn == LRN4J_FN_RELU;
        expect(ck, exact ? worst == 0 : worst <= 2e-7,
               fmt("activation %d isa %d n=%lld: forward error %g", fn, isa, (long long)n, worst));
        auto inplace = x;
        lrn4j_activation_forward(fn, n, inplace.data(), inplace.data());
        expect(ck, std::memcmp(inplace.data(), y.data(), y.size() * sizeof(float)) == 0,
               fmt("activation %d isa %d n=%lld: in place differs", fn, isa, (long long)n));
        auto& d = dx[isa == LRN4J_ISA_AVX2];
        d.assign(static_cast<size_t>(n), NAN);
        lrn4j_activation_backward(fn, n, y.data(), dy.data(), d.data());
        for (int64_t i = 0; i < n; ++i) {
          const float v = y[i];
          const float want = fn == LRN4J_FN_TANH      ? dy[i] * (1.0f - v * v)
                             : fn == LRN4J_FN_RELU    ? (v > 0.0f ? dy[i] : 0.0f)
                             : fn == LRN4J_FN_SIGMOID ? dy[i] * (v * (1.0f - v))
                                                      : dy[i];
          if (d[i] != want) {
            expect(ck, false, fmt("activation %d isa %d n=%lld: backward element %lld is %g, expected %g", fn, isa,
                                  (long long)n, (long long)i, d[i], want));
            break;
          }
        }
        auto g = dy;
        lrn4j_activation_backward(fn, n, y.data(), g.data(), g.data());
        expect(ck, std::memcmp(g.data(), d.data(), d.size() * sizeof(float)) == 0,
               fmt("activation %d isa %d n=%lld: backward in place differs", fn, isa, (long long)n));
      }
    }
  }
  for (int isa : {LRN4J_ISA_SCALAR, LRN4J_ISA_AVX2}) {
    lrn4j_set_isa(isa);
    std::vector<float> x(9, -1.0f), y(9, 0.0f);
    x[3] = NAN;
    x[8] = NAN;
    lrn4j_activation_forward(LRN4J_FN_RELU, 9, x.data(), y.data());
    expect(ck, std::isnan(y[3]) && std::isnan(y[8]) && y[0] == 0.0f,
           fmt("activation relu isa %d: NaN must stay NaN, negatives become 0", isa));
  }
}

void check_dropout(Checker& ck) {
  for (int64_t n : {1, 7, 8, 9, 1000, 16385, 100003}) {
    const auto x = harness::random_vec(n, rng);
    for (double p : {0.0, 0.1, 0.5, 0.9}) {
      const uint32_t thr = static_cast<uint32_t>(std::floor(p * 4294967296.0));
      const float scale = static_cast<float>(1.0 / (1.0 - p));
      for (uint64_t offset : {uint64_t{0}, uint64_t{0xFFFFFFFDull}}) {
        std::vector<float> y[2];
        for (int isa : {LRN4J_ISA_SCALAR, LRN4J_ISA_AVX2}) {
          lrn4j_set_isa(isa);
          auto& o = y[isa == LRN4J_ISA_AVX2];
          o.assign(static_cast<size_t>(n), NAN);
          lrn4j_dropout(n, x.data(), o.data(), 0x0123456789ABCDEFull, offset, thr, scale);
        }
        expect(ck, std::memcmp(y[0].data(), y[1].data(), y[0].size() * sizeof(float)) == 0,
               fmt("dropout n=%lld p=%g offset=%llu: AVX2 differs from the reference", (long long)n, p,
                   (unsigned long long)offset));
        int64_t kept = 0;
        for (int64_t i = 0; i < n; ++i) {
          const bool keep = documented_dropout_bits(0x0123456789ABCDEFull, offset + i) >= thr;
          kept += keep;
          if (y[0][i] != (keep ? x[i] * scale : 0.0f)) {
            expect(ck, false, fmt("dropout n=%lld p=%g element %lld is not x*scale or 0 by the mask", (long long)n, p,
                                  (long long)i));
            break;
          }
        }
        const double sd = std::sqrt(n * p * (1 - p));
        expect(ck, std::fabs(kept - n * (1 - p)) <= 5 * sd + 1e-9,
               fmt("dropout n=%lld p=%g kept %lld", (long long)n, p, (long long)kept));
        lrn4j_set_isa(LRN4J_ISA_AVX2);
        auto pieces = x;  // in place, in three pieces with counter offsets
        const int64_t a = n / 3, b = 2 * n / 3;
        lrn4j_dropout(a, pieces.data(), pieces.data(), 0x0123456789ABCDEFull, offset, thr, scale);
        lrn4j_dropout(b - a, pieces.data() + a, pieces.data() + a, 0x0123456789ABCDEFull, offset + a, thr, scale);
        lrn4j_dropout(n - b, pieces.data() + b, pieces.data() + b, 0x0123456789ABCDEFull, offset + b, thr, scale);
        expect(ck, std::memcmp(pieces.data(), y[0].data(), y[0].size() * sizeof(float)) == 0,
               fmt("dropout n=%lld p=%g: in place in pieces differs from one call", (long long)n, p));
      }
    }
  }
  lrn4j_set_isa(LRN4J_ISA_SCALAR);
}

struct ScanCase {
  int64_t T, B, H, pad;
  int act;
  bool reverse, ragged, with_h0, with_dhs, with_last;
};

// The LRN scan (gate: the oLRN scan, backward from the reference forward's hs and cs): the SIMD set under test
// against the scalar reference, each pass fed the same input.
void check_scan(Checker& ck, const ScanCase& s, bool gate) {
  const int64_t T = s.T, B = s.B, H = s.H, W = (gate ? 4 : 3) * H;
  const std::string tag = fmt("%s T=%lld B=%lld H=%lld pad=%lld act=%d rev=%d ragged=%d h0=%d dhs=%d last=%d",
                              gate ? "olrn" : "lrn", (long long)T, (long long)B, (long long)H, (long long)s.pad, s.act,
                              s.reverse, s.ragged, s.with_h0, s.with_dhs, s.with_last);
  const Mat g = Mat::random(T * B, W, W + s.pad, -2.0f, 2.0f);
  const auto h0 = harness::random_vec(B * H, rng);
  std::vector<int32_t> len(B);
  std::uniform_int_distribution<int32_t> pick(1, static_cast<int32_t>(T));
  for (auto& l : len) l = pick(rng);
  len[0] = static_cast<int32_t>(T);
  if (B > 1) len[1] = 1;
  const float* h0p = s.with_h0 ? h0.data() : nullptr;
  const int32_t* lenp = s.ragged ? len.data() : nullptr;

  struct Fwd {
    Mat hs, cs;
    std::vector<float> last;
  };
  const Fwd f0{Mat::poisoned(T * B, H, H + s.pad), Mat::poisoned(T * B, H, H + 2 * s.pad), harness::poisoned(B * H)};
  auto [fref, fgot] = both(f0, [&](Fwd& f) {
    float* last = s.with_last ? f.last.data() : nullptr;
    if (gate) {
      lrn4j_olrn_scan_forward(T, B, H, g.data(), g.ld, h0p, lenp, s.act, s.reverse, f.hs.data(), f.hs.ld,
                              f.cs.data(), f.cs.ld, last);
    } else {
      lrn4j_lrn_scan_forward(T, B, H, g.data(), g.ld, h0p, lenp, s.act, s.reverse, f.hs.data(), f.hs.ld, last);
    }
  });
  compare(ck, "scan forward hs " + tag, fgot.hs, fref.hs, 2e-6, 1e-5);
  if (gate) compare(ck, "scan forward cs " + tag, fgot.cs, fref.cs, 2e-6, 1e-5);
  if (s.with_last) compare_vec(ck, "scan forward h_last " + tag, fgot.last, fref.last, 2e-6, 1e-5);

  const Mat dhs = Mat::random(T * B, H, H + 2 * s.pad);
  const auto dh_last = harness::random_vec(B * H, rng);
  struct Bwd {
    Mat dg;
    std::vector<float> dh0;
  };
  const Bwd b0{Mat::poisoned(T * B, W, W + s.pad), harness::poisoned(B * H)};
  auto [bref, bgot] = both(b0, [&](Bwd& b) {
    const float* dhsp = s.with_dhs ? dhs.data() : nullptr;
    const float* dlast = s.with_last ? dh_last.data() : nullptr;
    float* dh0 = s.with_h0 ? b.dh0.data() : nullptr;
    if (gate) {
      lrn4j_olrn_scan_backward(T, B, H, g.data(), g.ld, h0p, lenp, s.act, s.reverse, fref.hs.data(), fref.hs.ld,
                               fref.cs.data(), fref.cs.ld, dhsp, dhs.ld, dlast, b.dg.data(), b.dg.ld, dh0);
    } else {
      lrn4j_lrn_scan_backward(T, B, H, g.data(), g.ld, h0p, lenp, s.act, s.reverse, fref.hs.data(), fref.hs.ld, dhsp,
                              dhs.ld, dlast, b.dg.data(), b.dg.ld, dh0);
    }
  });
  compare(ck, "scan backward dg " + tag, bgot.dg, bref.dg, 1e-5, 1e-4);
  if (s.with_h0) compare_vec(ck, "scan backward dh0 " + tag, bgot.dh0, bref.dh0, 1e-5, 1e-4);
}

void check_scans(Checker& ck, bool gate) {
  int config = 0;
  for (int64_t T : {1, 2, 7, 33}) {
    for (int64_t B : {1, 3, 8}) {
      for (int64_t H : {1, 7, 8, 9, 15, 16, 17, 33, 129, 257}) {
        for (int opts = 0; opts < 16; ++opts) {
          const int c = config++;
          const ScanCase s{T,         B,         H,          (c % 3) * 5,   opts & 1 ? LRN4J_ACT_IDENTITY : LRN4J_ACT_TANH,
                           (opts & 2) != 0, (opts & 4) != 0, (opts & 8) != 0, c % 5 != 0, c % 7 != 0};
          check_scan(ck, s, gate);
        }
      }
    }
  }
}

// LSTM / GRU / ATR steps: AVX2 against the scalar reference on odd sizes and strides, one sequence
// inactive where there are several, optional inputs absent in some cases; backward in place on dh and dc.
void check_cell_step(Checker& ck, int cell, int64_t B, int64_t H, int64_t pad, int variant) {
  const bool lstm = cell == LRN4J_CELL_LSTM;
  const int64_t W = cell_planes(cell) * H, S = lstm ? 2 * H : H, t = 3;
  const bool with_prev = variant % 3 != 0, with_bh = variant % 2 == 0, with_last = variant % 4 != 1;
  const bool with_lengths = variant % 5 != 2, with_dout = variant % 3 != 2;
  const std::string tag = fmt("cell=%d B=%lld H=%lld pad=%lld variant=%d", cell, (long long)B, (long long)H,
                              (long long)pad, variant);
  const Mat gx = Mat::random(B, W, W + pad, -3.0f, 3.0f), gh = Mat::random(B, W, W + 2 * pad, -3.0f, 3.0f);
  const Mat hp = Mat::random(B, H, H + pad), cp = Mat::random(B, H, H + 3 * pad);
  const auto bh = harness::random_vec(H, rng);
  std::vector<int32_t> len(B);
  for (int64_t b = 0; b < B; ++b) len[b] = b % 3 == 1 ? 2 : 4;  // t = 3: sequences 1, 4, ... are inactive
  const int32_t* lenp = with_lengths ? len.data() : nullptr;
  const float* hpp = with_prev ? hp.data() : nullptr;
  const float* cpp = with_prev ? cp.data() : nullptr;
  const float* bhp = with_bh ? bh.data() : nullptr;

  struct Fwd {
    Mat h, c, last;
  };
  const Fwd f0{Mat::poisoned(B, H, H + pad), Mat::poisoned(B, H, H + 2 * pad), Mat::poisoned(B, S, S + pad)};
  auto [fref, fgot] = both(f0, [&](Fwd& f) {
    lrn4j_cell_step_forward(cell, B, H, t, lenp, gx.data(), gx.ld, gh.data(), gh.ld, bhp, hpp, hp.ld, cpp, cp.ld,
                            f.h.data(), f.h.ld, lstm ? f.c.data() : nullptr, f.c.ld,
                            with_last ? f.last.data() : nullptr, f.last.ld);
  });
  compare(ck, "cell forward h " + tag, fgot.h, fref.h, 1e-6, 1e-5);
  if (lstm) compare(ck, "cell forward c " + tag, fgot.c, fref.c, 1e-6, 1e-5);
  if (with_last) compare(ck, "cell forward last " + tag, fgot.last, fref.last, 1e-6, 1e-5);

  const Mat dout = Mat::random(B, H, H + pad);
  struct Bwd {
    Mat dh, dc, dgx, dgh;
  };
  const Bwd b0{Mat::random(B, H, H + 2 * pad), Mat::random(B, H, H + pad), Mat::poisoned(B, W, W + pad),
               Mat::poisoned(B, W, W + 3 * pad)};
  auto [bref, bgot] = both(b0, [&](Bwd& b) {
    lrn4j_cell_step_backward(cell, B, H, t, lenp, gx.data(), gx.ld, gh.data(), gh.ld, bhp, hpp, hp.ld, cpp, cp.ld,
                             lstm ? fref.c.data() : nullptr, fref.c.ld, with_dout ? dout.data() : nullptr, dout.ld,
                             b.dh.data(), b.dh.ld, lstm ? b.dc.data() : nullptr, b.dc.ld, b.dgx.data(), b.dgx.ld,
                             lstm ? nullptr : b.dgh.data(), b.dgh.ld);
  });
  compare(ck, "cell backward dh " + tag, bgot.dh, bref.dh, 1e-5, 1e-4);
  if (lstm) compare(ck, "cell backward dc " + tag, bgot.dc, bref.dc, 1e-5, 1e-4);
  compare(ck, "cell backward dgx " + tag, bgot.dgx, bref.dgx, 1e-5, 1e-4);
  if (!lstm) compare(ck, "cell backward dgh " + tag, bgot.dgh, bref.dgh, 1e-5, 1e-4);
}

void check_cell_steps(Checker& ck) {
  int config = 0;
  for (int cell : {LRN4J_CELL_LSTM, LRN4J_CELL_GRU, LRN4J_CELL_ATR}) {
    for (int64_t B : {1, 3, 8}) {
      for (int64_t H : {1, 7, 8, 9, 33, 129, 300}) {
        for (int variant = 0; variant < 4; ++variant) {
          const int c = config++;
          check_cell_step(ck, cell, B, H, (c % 3) * 3, c % 20);
        }
      }
    }
  }
}

// lrn4j_cell_forward/backward against the 2T calls they stand for (lrn4j_gemm and the step kernels, the
// recurrent gradient through the transposed GEMM), on the kernel set in use: bit for bit, padding
// untouched. Large cases split the sequences among the threads, unevenly (B = 33).
void check_cell_sequence(Checker& ck, int cell, int64_t T, int64_t B, int64_t H, int64_t pad, bool reverse,
                         bool with_h0, bool ragged) {
  const bool lstm = cell == LRN4J_CELL_LSTM;
  const int64_t W = cell_planes(cell) * H, S = lstm ? 2 * H : H;
  const std::string tag = fmt("isa=%d cell=%d T=%lld B=%lld H=%lld pad=%lld rev=%d h0=%d ragged=%d", lrn4j_isa(),
                              cell, (long long)T, (long long)B, (long long)H, (long long)pad, reverse, with_h0, ragged);
  const Mat gx = Mat::random(T * B, W, W + pad, -2.0f, 2.0f), u = Mat::random(H, W, W + 2 * pad, -0.3f, 0.3f);
  const Mat h0 = Mat::random(B, H, H + pad), c0 = Mat::random(B, H, H + 3 * pad);
  const auto bh = harness::random_vec(H, rng);
  std::vector<int32_t> len(B);
  for (int64_t b = 0; b < B; ++b) len[b] = static_cast<int32_t>(1 + (b * 7) % T);
  const int32_t* lenp = ragged ? len.data() : nullptr;
  const float* h0p = with_h0 ? h0.data() : nullptr;
  const float* c0p = with_h0 && lstm ? c0.data() : nullptr;
  const float* bhp = lstm ? nullptr : bh.data();
  auto step_at = [&](int64_t s) { return reverse ? T - 1 - s : s; };

  struct Fwd {
    Mat gh, h, c, last;
  };
  const Fwd f0{Mat::poisoned(T * B, W, W + pad), Mat::poisoned(T * B, H, H + 2 * pad),
               Mat::poisoned(T * B, H, H + pad), Mat::poisoned(B, S, S + pad)};
  Fwd fseq = f0, floop = f0;
  lrn4j_cell_forward(cell, T, B, H, lenp, reverse, gx.data(), gx.ld, u.data(), u.ld, bhp, h0p, h0.ld, c0p, c0.ld,
                     fseq.gh.data(), fseq.gh.ld, fseq.h.data(), fseq.h.ld, lstm ? fseq.c.data() : nullptr, fseq.c.ld,
                     fseq.last.data(), fseq.last.ld);
  for (int64_t s = 0; s < T; ++s) {
    const int64_t t = step_at(s), at = t * B, prev = s == 0 ? -1 : step_at(s - 1) * B;
    const float* hp = prev < 0 ? h0p : floop.h.data() + prev * floop.h.ld;
    const float* cp = prev < 0 ? c0p : lstm ? floop.c.data() + prev * floop.c.ld : nullptr;
    const int64_t ldhp = prev < 0 ? h0.ld : floop.h.ld, ldcp = prev < 0 ? c0.ld : floop.c.ld;
    lrn4j_gemm(0, 0, B, W, hp ? H : 0, hp, ldhp, u.data(), u.ld, nullptr, 0, floop.gh.data() + at * floop.gh.ld,
               floop.gh.ld);
    lrn4j_cell_step_forward(cell, B, H, t, lenp, gx.data() + at * gx.ld, gx.ld, floop.gh.data() + at * floop.gh.ld,
                            floop.gh.ld, bhp, hp, ldhp, cp, ldcp, floop.h.data() + at * floop.h.ld, floop.h.ld,
                            lstm ? floop.c.data() + at * floop.c.ld : nullptr, floop.c.ld,
                            s == T - 1 ? floop.last.data() : nullptr, floop.last.ld);
  }
  compare(ck, "cell sequence gh " + tag, fseq.gh, floop.gh, 0, 0);
  compare(ck, "cell sequence h " + tag, fseq.h, floop.h, 0, 0);
  if (lstm) compare(ck, "cell sequence c " + tag, fseq.c, floop.c, 0, 0);
  compare(ck, "cell sequence last " + tag, fseq.last, floop.last, 0, 0);

  const Mat dout = Mat::random(T * B, H, H + pad);
  struct Bwd {
    Mat dh, dc, dgx, dgh;
  };
  const Bwd b0{Mat::random(B, H, H + 2 * pad), Mat::random(B, H, H + pad), Mat::poisoned(T * B, W, W + pad),
               Mat::poisoned(T * B, W, W + 3 * pad)};
  Bwd bseq = b0, bloop = b0;
  const Fwd& f = floop;
  lrn4j_cell_backward(cell, T, B, H, lenp, reverse, gx.data(), gx.ld, f.gh.data(), f.gh.ld, u.data(), u.ld, bhp, h0p,
                      h0.ld, c0p, c0.ld, f.h.data(), f.h.ld, lstm ? f.c.data() : nullptr, f.c.ld, dout.data(), dout.ld,
                      bseq.dh.data(), bseq.dh.ld, lstm ? bseq.dc.data() : nullptr, bseq.dc.ld, bseq.dgx.data(),
                      bseq.dgx.ld, lstm ? nullptr : bseq.dgh.data(), bseq.dgh.ld);
  for (int64_t s = T - 1; s >= 0; --s) {
    const int64_t t = step_at(s), at = t * B, prev = s == 0 ? -1 : step_at(s - 1) * B;
    const float* hp = prev < 0 ? h0p : f.h.data() + prev * f.h.ld;
    const float* cp = prev < 0 ? c0p : lstm ? f.c.data() + prev * f.c.ld : nullptr;
    const int64_t ldhp = prev < 0 ? h0.ld : f.h.ld, ldcp = prev < 0 ? c0.ld : f.c.ld;
    float* dgx = bloop.dgx.data() + at * bloop.dgx.ld;
    float* dgh = lstm ? nullptr : bloop.dgh.data() + at * bloop.dgh.ld;
    lrn4j_cell_step_backward(cell, B, H, t, lenp, gx.data() + at * gx.ld, gx.ld, f.gh.data() + at * f.gh.ld, f.gh.ld,
                             bhp, hp, ldhp, cp, ldcp, lstm ? f.c.data() + at * f.c.ld : nullptr, f.c.ld,
                             dout.data() + at * dout.ld, dout.ld, bloop.dh.data(), bloop.dh.ld,
                             lstm ? bloop.dc.data() : nullptr, bloop.dc.ld, dgx, bloop.dgx.ld, dgh, bloop.dgh.ld);
    lrn4j_gemm(0, 1, B, H, W, lstm ? dgx : dgh, lstm ? bloop.dgx.ld : bloop.dgh.ld, u.data(), u.ld, nullptr, 1,
               bloop.dh.data(), bloop.dh.ld);
  }
  compare(ck, "cell sequence dh " + tag, bseq.dh, bloop.dh, 0, 0);
  if (lstm) compare(ck, "cell sequence dc " + tag, bseq.dc, bloop.dc, 0, 0);
  compare(ck, "cell sequence dgx " + tag, bseq.dgx, bloop.dgx, 0, 0);
  if (!lstm) compare(ck, "cell sequence dgh " + tag, bseq.dgh, bloop.dgh, 0, 0);
}

void check_cell_sequences(Checker& ck) {
  const int saved_isa = lrn4j_isa();
  int config = 0;
  for (int isa : {LRN4J_ISA_SCALAR, LRN4J_ISA_AVX2, LRN4J_ISA_AVX512}) {
    if (lrn4j_set_isa(isa) != isa) continue;  // a set this CPU lacks
    for (int cell : {LRN4J_CELL_LSTM, LRN4J_CELL_GRU, LRN4J_CELL_ATR}) {
      const int64_t shapes[][3] = {{1, 1, 1}, {4, 3, 13}, {7, 5, 9}, {11, 33, 160}};
      for (const auto& sh : shapes) {
        for (int variant = 0; variant < 4; ++variant) {
          const int c = config++;
          check_cell_sequence(ck, cell, sh[0], sh[1], sh[2], (c % 3) * 2, variant % 2 == 1, variant / 2 == 0,
                              c % 3 != 1);
        }
      }
    }
  }
  lrn4j_set_isa(saved_isa);
}

struct SruCase {
  int64_t T, B, H, k, pad;
  int act;
  bool reverse, ragged, with_c0, with_dh, with_last;
};

void check_sru(Checker& ck, const SruCase& s) {
  const int64_t T = s.T, B = s.B, H = s.H, k = s.k;
  const std::string tag = fmt("T=%lld B=%lld H=%lld k=%lld pad=%lld act=%d rev=%d ragged=%d c0=%d dh=%d last=%d",
                              (long long)T, (long long)B, (long long)H, (long long)k, (long long)s.pad, s.act,
                              s.reverse, s.ragged, s.with_c0, s.with_dh, s.with_last);
  const Mat u = Mat::random(T * B, k * H, k * H + s.pad, -2.0f, 2.0f);
  const Mat x = Mat::random(T * B, H, H + 2 * s.pad);
  const auto v = harness::random_vec(2 * H, rng), bias = harness::random_vec(2 * H, rng);
  const auto c0 = harness::random_vec(B * H, rng);
  std::vector<int32_t> len(B);
  std::uniform_int_distribution<int32_t> pick(1, static_cast<int32_t>(T));
  for (auto& l : len) l = pick(rng);
  len[0] = static_cast<int32_t>(T);
  if (B > 1) len[1] = 1;
  const float* xp = k == 3 ? x.data() : nullptr;
  const float* c0p = s.with_c0 ? c0.data() : nullptr;
  const int32_t* lenp = s.ragged ? len.data() : nullptr;

  struct Fwd {
    Mat h, c;
    std::vector<float> last;
  };
  const Fwd f0{Mat::poisoned(T * B, H, H + s.pad), Mat::poisoned(T * B, H, H + 3 * s.pad), harness::poisoned(B * H)};
  auto [fref, fgot] = both(f0, [&](Fwd& f) {
    lrn4j_sru_scan_forward(T, B, H, k, u.data(), u.ld, xp, x.ld, v.data(), bias.data(), c0p, lenp, s.act, s.reverse,
                           f.h.data(), f.h.ld, f.c.data(), f.c.ld, s.with_last ? f.last.data() : nullptr);
  });
  compare(ck, "sru forward h " + tag, fgot.h, fref.h, 2e-6, 1e-5);
  compare(ck, "sru forward c " + tag, fgot.c, fref.c, 2e-6, 1e-5);
  if (s.with_last) compare_vec(ck, "sru forward c_last " + tag, fgot.last, fref.last, 2e-6, 1e-5);

  const Mat dh = Mat::random(T * B, H, H + 2 * s.pad);
  const auto dc_last = harness::random_vec(B * H, rng);
  struct Bwd {
    Mat du, dx;
    std::vector<float> dv, dc0;
  };
  const Bwd b0{Mat::poisoned(T * B, k * H, k * H + s.pad), Mat::random(T * B, H, H + s.pad),
               harness::poisoned(B * 2 * H), harness::poisoned(B * H)};
  auto [bref, bgot] = both(b0, [&](Bwd& b) {
    lrn4j_sru_scan_backward(T, B, H, k, u.data(), u.ld, xp, x.ld, v.data(), bias.data(), c0p, lenp, s.act, s.reverse,
                            fref.c.data(), fref.c.ld, s.with_dh ? dh.data() : nullptr, dh.ld,
                            s.with_last ? dc_last.data() : nullptr, b.du.data(), b.du.ld,
                            k == 3 ? b.dx.data() : nullptr, b.dx.ld, b.dv.data(), s.with_c0 ? b.dc0.data() : nullptr);
  });
  compare(ck, "sru backward du " + tag, bgot.du, bref.du, 1e-5, 1e-4);
  if (k == 3) compare(ck, "sru backward dx " + tag, bgot.dx, bref.dx, 1e-5, 1e-4);
  compare_vec(ck, "sru backward dv " + tag, bgot.dv, bref.dv, 1e-5 * (1 + T / 8.0), 1e-4);
  if (s.with_c0) compare_vec(ck, "sru backward dc0 " + tag, bgot.dc0, bref.dc0, 1e-5, 1e-4);
}

void check_srus(Checker& ck) {
  int config = 0;
  for (int64_t T : {1, 2, 7, 33}) {
    for (int64_t B : {1, 3, 8}) {
      for (int64_t H : {1, 7, 8, 9, 15, 16, 17, 33, 129, 257}) {
        for (int opts = 0; opts < 8; ++opts) {
          const int c = config++;
          const SruCase s{T, B, H, c % 2 == 0 ? 3 : 4, (c % 3) * 5, opts & 1 ? LRN4J_ACT_IDENTITY : LRN4J_ACT_TANH,
                          (opts & 2) != 0, (opts & 4) != 0, c % 3 != 0, c % 5 != 0, c % 7 != 0};
          check_sru(ck, s);
        }
      }
    }
  }
}

void check_layer_norm(Checker& ck, int64_t m, int64_t groups, int64_t gs, int64_t pad, bool affine, bool in_place) {
  const int64_t n = groups * gs;
  const float eps = 1e-5f;
  const std::string tag = fmt("m=%lld groups=%lld gs=%lld pad=%lld affine=%d in_place=%d", (long long)m,
                              (long long)groups, (long long)gs, (long long)pad, affine, in_place);
  const Mat x = Mat::random(m, n, n + pad, -3.0f, 2.0f);
  const auto gamma = harness::random_vec(n, rng, 0.5f, 1.5f), beta = harness::random_vec(n, rng);
  const float* gp = affine ? gamma.data() : nullptr;
  const float* bp = affine ? beta.data() : nullptr;

  struct Fwd {
    Mat y;
    std::vector<float> mean, rstd;
  };
  // In place: y is a copy of x with the same stride, normalized over itself.
  const Fwd f0{in_place ? x : Mat::poisoned(m, n, n + 2 * pad), harness::poisoned(m * groups),
               harness::poisoned(m * groups)};
  auto [fref, fgot] = both(f0, [&](Fwd& f) {
    lrn4j_layer_norm_forward(m, groups, gs, in_place ? f.y.data() : x.data(), in_place ? f.y.ld : x.ld, gp, bp, eps,
                             f.y.data(), f.y.ld, f.mean.data(), f.rstd.data());
  });
  compare(ck, "layer_norm y " + tag, fgot.y, fref.y, 1e-5, 1e-5);
  compare_vec(ck, "layer_norm mean " + tag, fgot.mean, fref.mean, 1e-6, 1e-5);
  compare_vec(ck, "layer_norm rstd " + tag, fgot.rstd, fref.rstd, 1e-6, 1e-5);

  const Mat dy = Mat::random(m, n, n + pad);
  struct Bwd {
    Mat dx;
    std::vector<float> dgamma, dbeta;
  };
  const Bwd b0{Mat::poisoned(m, n, n + 3 * pad), harness::random_vec(n, rng), harness::random_vec(n, rng)};
  auto [bref, bgot] = both(b0, [&](Bwd& b) {
    lrn4j_layer_norm_backward(m, groups, gs, x.data(), x.ld, gp, fref.mean.data(), fref.rstd.data(), dy.data(),
                              dy.ld, b.dx.data(), b.dx.ld, affine ? b.dgamma.data() : nullptr, b.dbeta.data());
  });
  compare(ck, "layer_norm dx " + tag, bgot.dx, bref.dx, 1e-5 * (1 + gs / 64.0), 1e-4);
  compare_vec(ck, "layer_norm dgamma " + tag, bgot.dgamma, bref.dgamma, 1e-5 * (1 + m / 16.0), 1e-5);
  compare_vec(ck, "layer_norm dbeta " + tag, bgot.dbeta, bref.dbeta, 1e-5 * (1 + m / 16.0), 1e-5);
}

void check_layer_norms(Checker& ck) {
  int config = 0;
  for (int64_t m : {1, 3, 17, 64}) {
    for (int64_t groups : {1, 3}) {
      for (int64_t gs : {1, 7, 8, 9, 33, 129, 256}) {
        const int c = config++;
        check_layer_norm(ck, m, groups, gs, (c % 3) * 2, c % 2 == 0, c % 5 == 0);
      }
    }
  }
}

// ---- thread-count determinism -------------------------------------------------------------------------

// Runs `run` with 1 thread, 2 threads and 2 threads again at the SIMD level under test; all three
// results must be bit-identical.
template <class F>
void check_threads_bitwise(Checker& ck, const std::string& what, size_t n, F run) {
  const int saved = lrn4j_num_threads();
  lrn4j_set_isa(simd_isa);
  lrn4j_set_num_threads(1);
  std::vector<float> one = run();
  lrn4j_set_num_threads(2);
  std::vector<float> two = run();
  std::vector<float> again = run();
  lrn4j_set_num_threads(saved);
  const std::string tag = fmt("isa=%d ", simd_isa) + what;
  expect(ck, one.size() == n && two.size() == n && std::memcmp(one.data(), two.data(), n * sizeof(float)) == 0,
         tag + ": 1 and 2 threads differ");
  expect(ck, again.size() == n && std::memcmp(two.data(), again.data(), n * sizeof(float)) == 0,
         tag + ": two runs differ");
}

// One of the three training forms of a GEMM with random operands: form 0 forward with bias (G = X·W + b),
// form 1 dX = dG·Wᵀ (B transposed), form 2 dW += Xᵀ·dG (A transposed, accumulating into c0).
struct FormCase {
  int64_t m, n, k;
  int ta, tb;
  Mat a, b, c0;
  std::vector<float> bias;

  FormCase(int64_t m_, int64_t n_, int64_t k_, int form)
      : m(m_), n(n_), k(k_), ta(form == 2), tb(form == 1),
        a(ta ? Mat::random(k, m, m) : Mat::random(m, k, k)),
        b(tb ? Mat::random(n, k, k) : Mat::random(k, n, n)),
        c0(Mat::random(m, n, n)),
        bias(harness::random_vec(n, rng)) {}
  const float* bias_or_null() const { return ta || tb ? nullptr : bias.data(); }
  std::string name() const {
    return fmt("%lldx%lldx%lld ta=%d tb=%d", (long long)m, (long long)n, (long long)k, ta, tb);
  }
};

void check_gemm_determinism(Checker& ck) {
  // Tall (rows split), wide (columns split) and small-M shapes; the three training forms.
  const int64_t shapes[][3] = {{300, 517, 200}, {40, 2000, 300}, {12, 3000, 100}, {1000, 20, 700},
                               {1, 1536, 512},  {32, 1536, 512}, {256, 768, 1000}, {600, 2100, 1100},
                               {20, 3000, 300}};
  for (const auto& s : shapes) {
    for (int form = 0; form < 3; ++form) {
      const FormCase f(s[0], s[1], s[2], form);
      check_threads_bitwise(ck, "gemm " + f.name(), f.m * f.n, [&] {
        auto c = f.ta ? f.c0.v : harness::poisoned(f.m * f.n);
        lrn4j_gemm(f.ta, f.tb, f.m, f.n, f.k, f.a.data(), f.a.ld, f.b.data(), f.b.ld, f.bias_or_null(), f.ta,
                   c.data(), f.n);
        return c;
      });
    }
  }
}

// The AVX-512 GEMM sums each element in the same order whatever computes it, so a call for a band of
// rows (another path, other tiles, another thread split) gives exactly the bits of the full call.
void check_gemm_row_bands(Checker& ck) {
  lrn4j_set_isa(LRN4J_ISA_AVX512);
  const int64_t shapes[][3] = {{300, 517, 600}, {40, 100, 300}, {33, 1536, 512}, {130, 700, 1100}};
  for (const auto& s : shapes) {
    for (int form = 0; form < 3; ++form) {
      const FormCase f(s[0], s[1], s[2], form);
      const int64_t m = f.m, n = f.n, k = f.k;
      std::vector<float> full = f.c0.v, bands = f.c0.v;
      lrn4j_gemm(f.ta, f.tb, m, n, k, f.a.data(), f.a.ld, f.b.data(), f.b.ld, f.bias_or_null(), f.ta, full.data(), n);
      for (int64_t r0 = 0, step = 1; r0 < m; r0 += step, step = step * 3 + 2) {
        const int64_t rows = std::min(step, m - r0);
        const float* a_rows = f.ta ? f.a.data() + r0 : f.a.data() + r0 * f.a.ld;
        lrn4j_gemm(f.ta, f.tb, rows, n, k, a_rows, f.a.ld, f.b.data(), f.b.ld, f.bias_or_null(), f.ta,
                   bands.data() + r0 * n, n);
      }
      expect(ck, std::memcmp(full.data(), bands.data(), full.size() * sizeof(float)) == 0,
             "avx512 gemm " + f.name() + ": row bands differ from the full call");
    }
  }
}

// The LRN and oLRN scans with 1 and 2 threads at the SIMD level under test: T steps of B sequences of H units
// (several chunks per row at 8 and at 16 lanes), sequences of lengths len, incoming gradient dhs.
void check_scan_determinism(Checker& ck, int64_t T, int64_t B, int64_t H, const std::vector<float>& h0,
                            const std::vector<int32_t>& len, const std::vector<float>& dhs) {
  const Mat g = Mat::random(T * B, 3 * H, 3 * H, -2.0f, 2.0f);
  check_threads_bitwise(ck, fmt("scan forward H=%lld", (long long)H), T * B * H, [&] {
    auto hs = harness::poisoned(T * B * H);
    lrn4j_lrn_scan_forward(T, B, H, g.data(), g.ld, h0.data(), len.data(), LRN4J_ACT_TANH, 0, hs.data(), H, nullptr);
    return hs;
  });
  auto hs = harness::poisoned(T * B * H);
  lrn4j_lrn_scan_forward(T, B, H, g.data(), g.ld, h0.data(), len.data(), LRN4J_ACT_TANH, 0, hs.data(), H, nullptr);
  check_threads_bitwise(ck, fmt("scan backward H=%lld", (long long)H), T * B * 3 * H + B * H, [&] {
    auto out = harness::poisoned(T * B * 3 * H + B * H);
    lrn4j_lrn_scan_backward(T, B, H, g.data(), g.ld, h0.data(), len.data(), LRN4J_ACT_TANH, 0, hs.data(), H,
                            dhs.data(), H, nullptr, out.data(), 3 * H, out.data() + T * B * 3 * H);
    return out;
  });

  // oLRN scan: sequences of several lengths.
  const Mat g4 = Mat::random(T * B, 4 * H, 4 * H, -2.0f, 2.0f);
  check_threads_bitwise(ck, fmt("olrn forward H=%lld", (long long)H), 2 * T * B * H, [&] {
    auto out = harness::poisoned(2 * T * B * H);
    lrn4j_olrn_scan_forward(T, B, H, g4.data(), g4.ld, h0.data(), len.data(), LRN4J_ACT_TANH, 0, out.data(), H,
                            out.data() + T * B * H, H, nullptr);
    return out;
  });
  auto ohs = harness::poisoned(T * B * H), ocs = harness::poisoned(T * B * H);
  lrn4j_olrn_scan_forward(T, B, H, g4.data(), g4.ld, h0.data(), len.data(), LRN4J_ACT_TANH, 0, ohs.data(), H,
                          ocs.data(), H, nullptr);
  check_threads_bitwise(ck, fmt("olrn backward H=%lld", (long long)H), T * B * 4 * H + B * H, [&] {
    auto out = harness::poisoned(T * B * 4 * H + B * H);
    lrn4j_olrn_scan_backward(T, B, H, g4.data(), g4.ld, h0.data(), len.data(), LRN4J_ACT_TANH, 0, ohs.data(), H,
                             ocs.data(), H, dhs.data(), H, nullptr, out.data(), 4 * H, out.data() + T * B * 4 * H);
    return out;
  });
}

void check_determinism(Checker& ck) {
  check_gemm_determinism(ck);

  const int64_t T = 33, B = 8, H = 129;
  const auto h0 = harness::random_vec(B * H, rng);
  std::vector<int32_t> len(B);
  for (int64_t b = 0; b < B; ++b) len[b] = static_cast<int32_t>(1 + (b * 5) % T);
  const auto dhs = harness::random_vec(T * B * H, rng);
  check_scan_determinism(ck, T, B, H, h0, len, dhs);

  {
    // SRU scan and an LSTM step, whose work splits into chunks and blocks.
    const int64_t k = 4, W = k * H;
    const Mat u = Mat::random(T * B, W, W, -2.0f, 2.0f);
    const auto v = harness::random_vec(2 * H, rng), bias = harness::random_vec(2 * H, rng);
    auto c = harness::poisoned(T * B * H);
    check_threads_bitwise(ck, "sru forward", 2 * T * B * H, [&] {
      auto out = harness::poisoned(2 * T * B * H);
      lrn4j_sru_scan_forward(T, B, H, k, u.data(), W, nullptr, 0, v.data(), bias.data(), h0.data(), len.data(),
                             LRN4J_ACT_TANH, 0, out.data(), H, out.data() + T * B * H, H, nullptr);
      return out;
    });
    lrn4j_sru_scan_forward(T, B, H, k, u.data(), W, nullptr, 0, v.data(), bias.data(), h0.data(), len.data(),
                           LRN4J_ACT_TANH, 0, harness::poisoned(T * B * H).data(), H, c.data(), H, nullptr);
    check_threads_bitwise(ck, "sru backward", T * B * W + 3 * B * H, [&] {
      auto out = harness::poisoned(T * B * W + 3 * B * H);
      lrn4j_sru_scan_backward(T, B, H, k, u.data(), W, nullptr, 0, v.data(), bias.data(), h0.data(), len.data(),
                              LRN4J_ACT_TANH, 0, c.data(), H, dhs.data(), H, nullptr, out.data(), W, nullptr, 0,
                              out.data() + T * B * W, out.data() + T * B * W + 2 * B * H);
      return out;
    });
    const int64_t G = 4 * H, rows = 64;
    const Mat gx = Mat::random(rows, G, G, -2.0f, 2.0f), gh = Mat::random(rows, G, G, -2.0f, 2.0f);
    const auto hp = harness::random_vec(rows * H, rng), cp = harness::random_vec(rows * H, rng);
    check_threads_bitwise(ck, "lstm step", rows * H * 2 + rows * G, [&] {
      std::vector<float> out(rows * H * 2 + rows * G);
      float* hh = out.data();
      float* cc = hh + rows * H;
      float* dgx = cc + rows * H;
      lrn4j_cell_step_forward(LRN4J_CELL_LSTM, rows, H, 0, nullptr, gx.data(), G, gh.data(), G, nullptr, hp.data(), H,
                              cp.data(), H, hh, H, cc, H, nullptr, 0);
      std::vector<float> dh(hp), dc(cp);
      lrn4j_cell_step_backward(LRN4J_CELL_LSTM, rows, H, 0, nullptr, gx.data(), G, gh.data(), G, nullptr, hp.data(),
                               H, cp.data(), H, cc, H, nullptr, 0, dh.data(), H, dc.data(), H, dgx, G, nullptr, 0);
      return out;
    });
  }

  for (int cell : {LRN4J_CELL_LSTM, LRN4J_CELL_GRU, LRN4J_CELL_ATR}) {
    // A whole cell recurrence, whose sequences split among the threads.
    const bool lstm = cell == LRN4J_CELL_LSTM;
    const int64_t W = cell_planes(cell) * H;
    const Mat gx = Mat::random(T * B, W, W, -2.0f, 2.0f), u = Mat::random(H, W, W, -0.3f, 0.3f);
    const auto bh = harness::random_vec(H, rng);
    const float* bhp = lstm ? nullptr : bh.data();
    const size_t fwd = T * B * (W + 2 * H), n = fwd + 2 * B * H + 2 * T * B * W;
    check_threads_bitwise(ck, fmt("cell %d sequence", cell), n, [&] {
      auto out = harness::poisoned(n);
      float* gh = out.data();
      float* hh = gh + T * B * W;
      float* cc = hh + T * B * H;
      float* dh = out.data() + fwd;
      float* dc = dh + B * H;
      float* dgx = dc + B * H;
      float* dgh = dgx + T * B * W;
      lrn4j_cell_forward(cell, T, B, H, len.data(), 0, gx.data(), W, u.data(), W, bhp, h0.data(), H,
                         lstm ? h0.data() : nullptr, H, gh, W, hh, H, lstm ? cc : nullptr, H, nullptr, 0);
      std::copy(h0.begin(), h0.end(), dh);
      std::copy(h0.begin(), h0.end(), dc);
      lrn4j_cell_backward(cell, T, B, H, len.data(), 0, gx.data(), W, gh, W, u.data(), W, bhp, h0.data(), H,
                          lstm ? h0.data() : nullptr, H, hh, H, lstm ? cc : nullptr, H, dhs.data(), H, dh, H,
                          lstm ? dc : nullptr, H, dgx, W, lstm ? nullptr : dgh, W);
      return out;
    });
  }

  {
    const int64_t rows = 300, classes = 777;
    const Mat logits = Mat::random(rows, classes, classes, -5.0f, 5.0f);
    std::vector<int32_t> t(rows);
    for (int64_t i = 0; i < rows; ++i) t[i] = static_cast<int32_t>((i * 37) % classes);
    check_threads_bitwise(ck, "softmax_xent", rows + rows * classes, [&] {
      auto out = harness::poisoned(rows + rows * classes);
      lrn4j_softmax_xent(rows, classes, logits.data(), classes, t.data(), 1.0f, out.data(), out.data() + rows,
                         classes);
      return out;
    });
  }

  {
    const auto x = harness::random_vec(300000, rng);
    check_threads_bitwise(ck, "sum_squares", 2, [&] {
      const double s = lrn4j_sum_squares(static_cast<int64_t>(x.size()), x.data());
      std::vector<float> bits(2);
      std::memcpy(bits.data(), &s, sizeof s);
      return bits;
    });
  }

  const int64_t m = 512, groups = 3, gs = 100, n = groups * gs;
  const Mat x = Mat::random(m, n, n);
  const Mat dy = Mat::random(m, n, n);
  check_threads_bitwise(ck, "layer_norm", m * n + 2 * m * groups + m * n + 2 * n, [&] {
    std::vector<float> out(m * n + 2 * m * groups + m * n + 2 * n, 0.0f);
    float* y = out.data();
    float* mean = y + m * n;
    float* rstd = mean + m * groups;
    float* dx = rstd + m * groups;
    float* dgamma = dx + m * n;
    lrn4j_layer_norm_forward(m, groups, gs, x.data(), n, nullptr, nullptr, 1e-5f, y, n, mean, rstd);
    lrn4j_layer_norm_backward(m, groups, gs, x.data(), n, nullptr, mean, rstd, dy.data(), n, dx, n, dgamma,
                              dgamma + n);
    return out;
  });
}

}  // namespace

int main() {
  Checker ck;
  const bool have_avx2 = (lrn4j_cpu_features() & LRN4J_CPU_AVX2) != 0;
  const bool have_avx512 = have_avx2 && (lrn4j_cpu_features() & LRN4J_CPU_AVX512F) != 0;

  check_library_state(ck, have_avx2, have_avx512);
  for (bool gate : {false, true}) {
    for (int act : {LRN4J_ACT_TANH, LRN4J_ACT_IDENTITY}) {
      for (bool reverse : {false, true}) fd_scan(ck, gate, act, reverse);
    }
  }
  fd_layer_norm(ck);
  for (int cell : {LRN4J_CELL_LSTM, LRN4J_CELL_GRU, LRN4J_CELL_ATR}) fd_cell_step(ck, cell);
  for (int64_t k : {3, 4}) {
    for (int act : {LRN4J_ACT_TANH, LRN4J_ACT_IDENTITY}) {
      for (bool reverse : {false, true}) fd_sru(ck, k, act, reverse);
    }
  }

  if (!have_avx2) {
    if (ck.failures) return ck.exit_code("test_cpu_kernels");
    std::printf("test_cpu_kernels: reference checks passed; no AVX2 on this CPU, AVX2 parity skipped\n");
    return harness::kSkip;
  }
  simd_isa = LRN4J_ISA_AVX2;
  check_gemms(ck);
  check_col_sums(ck);
  check_scans(ck, false);
  check_scans(ck, true);
  check_cell_steps(ck);
  check_cell_sequences(ck);
  check_srus(ck);
  check_layer_norms(ck);
  check_softmax_xent(ck);
  check_embedding(ck);
  check_optimizers(ck);
  check_dropout(ck);
  check_activation(ck);
  check_determinism(ck);
  if (have_avx512) {
    simd_isa = LRN4J_ISA_AVX512;
    check_gemms(ck);
    check_col_sums(ck);
    check_scans(ck, false);
    check_scans(ck, true);
    check_gemm_determinism(ck);
    check_gemm_row_bands(ck);
    for (int64_t H : {129, 257}) {
      const int64_t T = 33, B = 8;
      std::vector<int32_t> len(B);
      for (int64_t b = 0; b < B; ++b) len[b] = static_cast<int32_t>(1 + (b * 5) % T);
      check_scan_determinism(ck, T, B, H, harness::random_vec(B * H, rng), len, harness::random_vec(T * B * H, rng));
    }
  } else {
    std::printf("test_cpu_kernels: no AVX-512F on this CPU, AVX-512 GEMM and scan checks skipped\n");
  }
  return ck.exit_code("test_cpu_kernels");
}
