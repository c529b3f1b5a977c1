// AVX2 LSTM, GRU and ATR steps, forward and backward: the formulas of cells_ref.cpp (lrn4j.h) on 8
// neighbouring units of one sequence per vector, with avx2_math.h's sigmoid and tanh. A step is pointwise,
// so the work splits into tasks of (sequence, block of kBlockUnits units), fixed by the problem size; each
// task owns its outputs, so results do not depend on the thread count. The last vector of a row may be
// partial: it is read and written with masked loads and stores, the other lanes are never touched.
// Products the reference rounds separately may be fused here (FMA), a difference of rounding only.
#include <immintrin.h>

#include "avx2_math.h"
#include "kernels.h"
#include "lrn4j/lrn4j.h"

namespace lrn4j::avx2 {
namespace {

constexpr int64_t kBlockUnits = 256;
// Unit-steps per thread below which a second thread does not pay.
constexpr int64_t kMinUnitsPerThread = int64_t{1} << 13;

// The lanes of one vector of units: all 8, or the first `n` through a mask.
struct Lanes {
  bool masked;
  __m256i mask;

  explicit Lanes(int64_t n)
      : masked(n < 8),
        mask(_mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))) {}

  __m256 load(const float* p) const { return masked ? _mm256_maskload_ps(p, mask) : _mm256_loadu_ps(p); }
  // NULL reads as zeros.
  __m256 load_or_zero(const float* p) const { return p ? load(p) : _mm256_setzero_ps(); }
  void store(float* p, __m256 v) const {
    if (masked) {
      _mm256_maskstore_ps(p, mask, v);
    } else {
      _mm256_storeu_ps(p, v);
    }
  }
};

// Not a namespace-scope constant: its initialiser would run AVX code when the library loads, on any CPU.
inline __m256 one() { return _mm256_set1_ps(1.0f); }

inline __m256 add(__m256 a, __m256 b) { return _mm256_add_ps(a, b); }
inline __m256 sub(__m256 a, __m256 b) { return _mm256_sub_ps(a, b); }
inline __m256 mul(__m256 a, __m256 b) { return _mm256_mul_ps(a, b); }
// s*(1 - s): the derivative of the sigmoid s.
inline __m256 dsig(__m256 s) { return mul(s, sub(one(), s)); }

// One sequence's rows, offset to the first unit of the vector being computed; NULL stays NULL.
struct Row {
  const float* gx;
  const float* gh;
  const float* hp;
  const float* cp;
  const float* bh;

  Row at(int64_t j) const {
    return Row{gx + j, gh + j, hp ? hp + j : nullptr, cp ? cp + j : nullptr, bh ? bh + j : nullptr};
  }
};

// ---- forward ----------------------------------------------------------------------------------------

void lstm_forward(int64_t H, const Row& r, const Lanes& l, float* h, float* c) {
  __m256 s[3] = {add(l.load(r.gx), l.load(r.gh)), add(l.load(r.gx + H), l.load(r.gh + H)),
                 add(l.load(r.gx + 3 * H), l.load(r.gh + 3 * H))};
  sigmoid_n(s);  // i, f, o
  __m256 g[1] = {add(l.load(r.gx + 2 * H), l.load(r.gh + 2 * H))};
  tanh_n(g);
  const __m256 cn = _mm256_fmadd_ps(s[1], l.load_or_zero(r.cp), mul(s[0], g[0]));
  __m256 tc[1] = {cn};
  tanh_n(tc);
  l.store(c, cn);
  l.store(h, mul(s[2], tc[0]));
}

void gru_forward(int64_t H, const Row& r, const Lanes& l, float* h) {
  __m256 s[2] = {add(l.load(r.gx), l.load(r.gh)), add(l.load(r.gx + H), l.load(r.gh + H))};
  sigmoid_n(s);  // r, z
  const __m256 hn = add(l.load(r.gh + 2 * H), l.load_or_zero(r.bh));
  __m256 n[1] = {_mm256_fmadd_ps(s[0], hn, l.load(r.gx + 2 * H))};
  tanh_n(n);
  const __m256 hp = l.load_or_zero(r.hp);
  // (1 - z)*n + z*hp = n + z*(hp - n)
  l.store(h, _mm256_fmadd_ps(s[1], sub(hp, n[0]), n[0]));
}

void atr_forward(const Row& r, const Lanes& l, float* h) {
  const __m256 p = l.load(r.gx);
  const __m256 q = add(l.load(r.gh), l.load_or_zero(r.bh));
  __m256 s[2] = {add(p, q), sub(p, q)};
  sigmoid_n(s);  // i, f
  l.store(h, _mm256_fmadd_ps(s[1], l.load_or_zero(r.hp), mul(s[0], p)));
}

// ---- backward ---------------------------------------------------------------------------------------

void lstm_backward(int64_t H, const Row& r, const Lanes& l, const float* c, const float* dh_out, float* dh,
                   float* dc, float* dgx) {
  __m256 s[3] = {add(l.load(r.gx), l.load(r.gh)), add(l.load(r.gx + H), l.load(r.gh + H)),
                 add(l.load(r.gx + 3 * H), l.load(r.gh + 3 * H))};
  sigmoid_n(s);  // i, f, o
  __m256 t[2] = {add(l.load(r.gx + 2 * H), l.load(r.gh + 2 * H)), l.load(c)};
  tanh_n(t);  // g, tanh(c)
  const __m256 i = s[0], f = s[1], o = s[2], g = t[0], tc = t[1];
  const __m256 dht = dh_out ? add(l.load(dh), l.load(dh_out)) : l.load(dh);
  const __m256 dct = add(l.load(dc), mul(mul(dht, o), _mm256_fnmadd_ps(tc, tc, one())));
  l.store(dgx, mul(mul(dct, g), dsig(i)));
  l.store(dgx + H, mul(mul(dct, l.load_or_zero(r.cp)), dsig(f)));
  l.store(dgx + 2 * H, mul(mul(dct, i), _mm256_fnmadd_ps(g, g, one())));
  l.store(dgx + 3 * H, mul(mul(dht, tc), dsig(o)));
  l.store(dc, mul(dct, f));
  l.store(dh, _mm256_setzero_ps());
}

void gru_backward(int64_t H, const Row& r, const Lanes& l, const float* dh_out, float* dh, float* dgx,
                  float* dgh) {
  __m256 s[2] = {add(l.load(r.gx), l.load(r.gh)), add(l.load(r.gx + H), l.load(r.gh + H))};
  sigmoid_n(s);
  const __m256 rg = s[0], z = s[1];
  const __m256 hn = add(l.load(r.gh + 2 * H), l.load_or_zero(r.bh));
  __m256 n[1] = {_mm256_fmadd_ps(rg, hn, l.load(r.gx + 2 * H))};
  tanh_n(n);
  const __m256 hp = l.load_or_zero(r.hp);
  const __m256 dht = dh_out ? add(l.load(dh), l.load(dh_out)) : l.load(dh);
  const __m256 dn = mul(mul(dht, sub(one(), z)), _mm256_fnmadd_ps(n[0], n[0], one()));
  const __m256 dr = mul(mul(dn, hn), dsig(rg));
  const __m256 dz = mul(mul(dht, sub(hp, n[0])), dsig(z));
  l.store(dgx, dr);
  l.store(dgx + H, dz);
  l.store(dgx + 2 * H, dn);
  l.store(dgh, dr);
  l.store(dgh + H, dz);
  l.store(dgh + 2 * H, mul(dn, rg));
  l.store(dh, mul(dht, z));
}

void atr_backward(const Row& r, const Lanes& l, const float* dh_out, float* dh, float* dgx, float* dgh) {
  const __m256 p = l.load(r.gx);
  const __m256 q = add(l.load(r.gh), l.load_or_zero(r.bh));
  __m256 s[2] = {add(p, q), sub(p, q)};
  sigmoid_n(s);
  const __m256 i = s[0], f = s[1];
  const __m256 dht = dh_out ? add(l.load(dh), l.load(dh_out)) : l.load(dh);
  const __m256 di = mul(mul(dht, p), dsig(i));
  const __m256 df = mul(mul(dht, l.load_or_zero(r.hp)), dsig(f));
  l.store(dgx, add(add(mul(dht, i), di), df));
  l.store(dgh, sub(di, df));
  l.store(dh, mul(dht, f));
}

// Runs body(b, j0, units) over the (sequence, unit block) tasks.
template <class Body>
void for_blocks(int64_t batch, int64_t hidden, int threads, Body body) {
  const int64_t blocks = (hidden + kBlockUnits - 1) / kBlockUnits;
  const int64_t tasks = batch * blocks;
  const int nt = static_cast<int>(std::min<int64_t>(tasks, threads_for(batch * hidden, kMinUnitsPerThread, threads)));
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t task = 0; task < tasks; ++task) {
    const int64_t b = task / blocks;
    const int64_t j0 = task % blocks * kBlockUnits;
    body(b, j0, std::min(kBlockUnits, hidden - j0));
  }
}

}  // namespace

void cell_step_forward(int cell, int64_t batch, int64_t hidden, int64_t t, const int32_t* lengths,
                       const float* gx, int64_t ldgx, const float* gh, int64_t ldgh, const float* bh,
                       const float* h_prev, int64_t ldhp, const float* c_prev, int64_t ldcp, float* h, int64_t ldh,
                       float* c, int64_t ldc, float* last, int64_t ldlast, int threads) {
  const bool lstm = cell == LRN4J_CELL_LSTM;
  for_blocks(batch, hidden, threads, [&](int64_t b, int64_t j0, int64_t units) {
    const Row row{gx + b * ldgx, gh + b * ldgh, h_prev ? h_prev + b * ldhp : nullptr,
                  lstm && c_prev ? c_prev + b * ldcp : nullptr, bh};
    const bool active = !lengths || t < lengths[b];
    float* hb = h + b * ldh;
    float* cb = lstm ? c + b * ldc : nullptr;
    for (int64_t j = j0; j < j0 + units; j += 8) {
      const Lanes l(j0 + units - j);
      const Row r = row.at(j);
      if (!active) {
        l.store(hb + j, l.load_or_zero(r.hp));
        if (lstm) l.store(cb + j, l.load_or_zero(r.cp));
      } else if (lstm) {
        lstm_forward(hidden, r, l, hb + j, cb + j);
      } else if (cell == LRN4J_CELL_GRU) {
        gru_forward(hidden, r, l, hb + j);
      } else {
        atr_forward(r, l, hb + j);
      }
      if (last) {
        float* lb = last + b * ldlast;
        l.store(lb + j, l.load(hb + j));
        if (lstm) l.store(lb + hidden + j, l.load(cb + j));
      }
    }
  });
}

void cell_step_backward(int cell, int64_t batch, int64_t hidden, int64_t t, const int32_t* lengths,
                        const float* gx, int64_t ldgx, const float* gh, int64_t ldgh, const float* bh,
                        const float* h_prev, int64_t ldhp, const float* c_prev, int64_t ldcp, const float* c,
                        int64_t ldc, const float* dh_out, int64_t lddo, float* dh, int64_t lddh, float* dc,
                        int64_t lddc, float* dgx, int64_t lddgx, float* dgh, int64_t lddgh, int threads) {
  const bool lstm = cell == LRN4J_CELL_LSTM;
  const int64_t planes = lstm ? 4 : cell == LRN4J_CELL_GRU ? 3 : 1;
  for_blocks(batch, hidden, threads, [&](int64_t b, int64_t j0, int64_t units) {
    const Row row{gx + b * ldgx, gh + b * ldgh, h_prev ? h_prev + b * ldhp : nullptr,
                  lstm && c_prev ? c_prev + b * ldcp : nullptr, bh};
    const bool active = !lengths || t < lengths[b];
    const float* dob = dh_out ? dh_out + b * lddo : nullptr;
    float* dhb = dh + b * lddh;
    float* dgxb = dgx + b * lddgx;
    float* dghb = lstm ? nullptr : dgh + b * lddgh;
    for (int64_t j = j0; j < j0 + units; j += 8) {
      const Lanes l(j0 + units - j);
      const float* doj = dob ? dob + j : nullptr;
      if (!active) {
        // The state passed through unchanged (c too) and the gates were not used.
        if (doj) l.store(dhb + j, add(l.load(dhb + j), l.load(doj)));
        for (int64_t p = 0; p < planes; ++p) {
          l.store(dgxb + p * hidden + j, _mm256_setzero_ps());
          if (dghb) l.store(dghb + p * hidden + j, _mm256_setzero_ps());
        }
      } else if (lstm) {
        lstm_backward(hidden, row.at(j), l, c + b * ldc + j, doj, dhb + j, dc + b * lddc + j, dgxb + j);
      } else if (cell == LRN4J_CELL_GRU) {
        gru_backward(hidden, row.at(j), l, doj, dhb + j, dgxb + j, dghb + j);
      } else {
        atr_backward(row.at(j), l, doj, dhb + j, dgxb + j, dghb + j);
      }
    }
  });
}

}  // namespace lrn4j::avx2
