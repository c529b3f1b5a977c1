// AVX2/FMA GEMM in the BLIS structure: five loops around a register-blocked micro-kernel.
//   jc (NC columns of C) > pc (KC of the K dimension: pack a KC x NC block of op(B))
//     > ic (MC rows: pack an MC x KC block of op(A)) > jr (NR) > ir (MR): micro-kernel on an MR x NR tile.
// Packing copies op(A) and op(B) into contiguous slivers in the order the micro-kernel reads them, which
// is also where the transposes are resolved and the edge slivers are zero-padded to full MR / NR.
// Threads split C into disjoint rectangles (never K), each computed by one thread in the fixed order
// above; every C element therefore gets the same sums for any thread count. Within a KC block the sum runs
// over p in increasing order; the first block adds the bias, later blocks add to C.
#include <immintrin.h>

#include <cstdlib>
#include <memory>

#include "kernels.h"

namespace lrn4j::avx2 {
namespace {

// Block sizes, named as in BLIS. MR x NR = 6 x 16 floats is the register tile (12 ymm accumulators, two
// B vectors, one A broadcast). A KC x NR sliver of B (16 KiB) stays in L1 while the micro-kernel walks
// the MR x KC slivers of the packed A block; the MC x KC block of A (168 KiB) stays in L2; the KC x NC
// block of B is reused from L2/L3 by every MC block.
constexpr int64_t kMR = 6;
constexpr int64_t kNR = 16;
constexpr int64_t kMC = 168;   // multiple of kMR
constexpr int64_t kKC = 256;
constexpr int64_t kNC = 4080;  // multiple of kNR
// Up to this many rows, op(A) is read in place: packing it would cost as much as using it.
constexpr int64_t kSmallM = 16;
// Multiply-adds per thread below which starting another thread costs more than it saves.
constexpr int64_t kMinFmaPerThread = int64_t{1} << 18;

// The whole problem in op() terms.
struct Gemm {
  bool trans_a, trans_b;
  int64_t m, n, k;
  const float* a;
  int64_t lda;
  const float* b;
  int64_t ldb;
  const float* bias;
  bool accumulate;
  float* c;
  int64_t ldc;

  const float* a_at(int64_t i, int64_t p) const { return trans_a ? a + p * lda + i : a + i * lda + p; }
  const float* b_at(int64_t p, int64_t j) const { return trans_b ? b + j * ldb + p : b + p * ldb + j; }
};

// 64-byte aligned scratch owned by one thread for one call; empty when the allocation failed.
struct Scratch {
  std::unique_ptr<float, decltype(&std::free)> p{nullptr, &std::free};
  explicit Scratch(int64_t floats) {
    const size_t bytes = (static_cast<size_t>(floats) * sizeof(float) + 63) / 64 * 64;
    p.reset(static_cast<float*>(std::aligned_alloc(64, bytes)));
  }
  float* get() const { return p.get(); }
  explicit operator bool() const { return p != nullptr; }
};

// How a tile is written at the end of one KC block: bias (NULL, or the tile's first column of it) is
// added by the first block only; C is added to by every later block, and by the first one when the call
// accumulates. With block sums s0, s1, ... an element ends as ((C_old +) (s0 + bias)) + s1 + ...
struct Epilogue {
  const float* bias;
  bool add_to_c;
};

// One MR x NR tile: kc rank-1 updates, then the epilogue. A is either a packed sliver (element (i, p) at
// a[p*MR + i]) or read in place with strides (a[i*rs_a + p*cs_a], full MR rows only). B element (p, j)
// is at b[p*rs_b + j], NR valid columns (zero-padded when packed). Only mr x nr elements of C are
// touched; partial tiles go through a local buffer and the same additions in scalar form, so an element
// gets bit-identical results whether its tile is full or partial.
template <bool kPackedA>
inline void tile(int64_t kc, const float* a, int64_t rs_a, int64_t cs_a, const float* b, int64_t rs_b,
                 float* c, int64_t ldc, int64_t mr, int64_t nr, Epilogue ep) {
  if constexpr (kPackedA) {
    rs_a = 1;
    cs_a = kMR;
  }
  __m256 acc[kMR][2];
#pragma GCC unroll 6
  for (int i = 0; i < kMR; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_ps();

  // The tile of C is touched after the loop; start fetching it now.
  for (int64_t i = 0; i < mr; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + nr - 1), _MM_HINT_T0);
  }
#pragma GCC unroll 4
  for (int64_t p = 0; p < kc; ++p) {
    const __m256 b0 = _mm256_loadu_ps(b);
    const __m256 b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 6
    for (int i = 0; i < kMR; ++i) {
      const __m256 ai = _mm256_broadcast_ss(a + i * rs_a);
      acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
    }
    a += cs_a;
    b += rs_b;
  }

  if (mr == kMR && nr == kNR) {
#pragma GCC unroll 6
    for (int i = 0; i < kMR; ++i) {
      for (int h = 0; h < 2; ++h) {
        float* ci = c + i * ldc + 8 * h;
        __m256 v = acc[i][h];
        if (ep.bias) v = _mm256_add_ps(v, _mm256_loadu_ps(ep.bias + 8 * h));
        if (ep.add_to_c) v = _mm256_add_ps(_mm256_loadu_ps(ci), v);
        _mm256_storeu_ps(ci, v);
      }
    }
    return;
  }
  alignas(32) float t[kMR][kNR];
  for (int i = 0; i < kMR; ++i) {
    _mm256_store_ps(t[i], acc[i][0]);
    _mm256_store_ps(t[i] + 8, acc[i][1]);
  }
  for (int64_t i = 0; i < mr; ++i) {
    for (int64_t j = 0; j < nr; ++j) {
      float v = t[i][j];
      if (ep.bias) v = v + ep.bias[j];
      if (ep.add_to_c) v = c[i * ldc + j] + v;
      c[i * ldc + j] = v;
    }
  }
}

// Packs rows [ic, ic+mc) x columns [pc, pc+kc) of op(A) as MR-row slivers: sliver s holds element
// (ic + s*MR + i, pc + p) at dst[s*MR*kc + p*MR + i], rows past the edge as zeros.
void pack_a(const Gemm& g, int64_t ic, int64_t mc, int64_t pc, int64_t kc, float* dst) {
  for (int64_t ir = 0; ir < mc; ir += kMR, dst += kMR * kc) {
    const int64_t mr = std::min(kMR, mc - ir);
    if (g.trans_a) {
      // op(A) column p is contiguous in A: MR neighbours per step.
      for (int64_t p = 0; p < kc; ++p) {
        const float* src = g.a_at(ic + ir, pc + p);
        for (int64_t i = 0; i < kMR; ++i) dst[p * kMR + i] = i < mr ? src[i] : 0.0f;
      }
    } else {
      const float* rows[kMR];
      for (int64_t i = 0; i < kMR; ++i) rows[i] = g.a_at(ic + ir + std::min(i, mr - 1), pc);
      for (int64_t p = 0; p < kc; ++p) {
        for (int64_t i = 0; i < kMR; ++i) dst[p * kMR + i] = i < mr ? rows[i][p] : 0.0f;
      }
    }
  }
}

// Packs rows [pc, pc+kc) x columns [jc, jc+nc) of op(B) as NR-column slivers: sliver s holds element
// (pc + p, jc + s*NR + j) at dst[s*NR*kc + p*NR + j], columns past the edge as zeros.
void pack_b(const Gemm& g, int64_t pc, int64_t kc, int64_t jc, int64_t nc, float* dst) {
  for (int64_t jr = 0; jr < nc; jr += kNR, dst += kNR * kc) {
    const int64_t nr = std::min(kNR, nc - jr);
    if (!g.trans_b && nr == kNR) {
      for (int64_t p = 0; p < kc; ++p) {
        const float* src = g.b_at(pc + p, jc + jr);
        _mm256_store_ps(dst + p * kNR, _mm256_loadu_ps(src));
        _mm256_store_ps(dst + p * kNR + 8, _mm256_loadu_ps(src + 8));
      }
    } else if (!g.trans_b) {
      for (int64_t p = 0; p < kc; ++p) {
        const float* src = g.b_at(pc + p, jc + jr);
        for (int64_t j = 0; j < kNR; ++j) dst[p * kNR + j] = j < nr ? src[j] : 0.0f;
      }
    } else {
      // op(B) row p is strided in B; B's rows are the sliver's columns, read contiguously.
      for (int64_t j = 0; j < kNR; ++j) {
        if (j < nr) {
          const float* src = g.b_at(pc, jc + jr + j);
          for (int64_t p = 0; p < kc; ++p) dst[p * kNR + j] = src[p];
        } else {
          for (int64_t p = 0; p < kc; ++p) dst[p * kNR + j] = 0.0f;
        }
      }
    }
  }
}

// The five loops over one thread's rectangle of C, rows [m0, m1) x columns [n0, n1).
// a_buf holds kMC*kKC floats, b_buf kKC*min(kNC, n1-n0 rounded up to kNR).
void gemm_packed(const Gemm& g, int64_t m0, int64_t m1, int64_t n0, int64_t n1, float* a_buf, float* b_buf) {
  for (int64_t jc = n0; jc < n1; jc += kNC) {
    const int64_t nc = std::min(kNC, n1 - jc);
    for (int64_t pc = 0; pc < g.k; pc += kKC) {
      const int64_t kc = std::min(kKC, g.k - pc);
      pack_b(g, pc, kc, jc, nc, b_buf);
      const bool add_to_c = g.accumulate || pc > 0;
      const float* bias = pc == 0 ? g.bias : nullptr;
      for (int64_t ic = m0; ic < m1; ic += kMC) {
        const int64_t mc = std::min(kMC, m1 - ic);
        pack_a(g, ic, mc, pc, kc, a_buf);
        for (int64_t jr = 0; jr < nc; jr += kNR) {
          const int64_t nr = std::min(kNR, nc - jr);
          const Epilogue ep{bias ? bias + jc + jr : nullptr, add_to_c};
          for (int64_t ir = 0; ir < mc; ir += kMR) {
            tile<true>(kc, a_buf + ir * kc, 0, 0, b_buf + jr * kc, kNR, g.c + (ic + ir) * g.ldc + jc + jr, g.ldc,
                       std::min(kMR, mc - ir), nr, ep);
          }
        }
      }
    }
  }
}

// Small M (m <= kSmallM): full MR-row slivers of op(A) are read in place and, when B is not transposed,
// so are full NR-column slivers of B. Only the partial A sliver, the partial B sliver and transposed B
// are packed. One thread's columns [n0, n1); a_buf holds kKC*kMR floats, b_buf kKC*kNR.
void gemm_small_m(const Gemm& g, int64_t n0, int64_t n1, float* a_buf, float* b_buf) {
  const int64_t full_rows = g.m / kMR * kMR;
  const int64_t rs_a = g.trans_a ? 1 : g.lda;
  const int64_t cs_a = g.trans_a ? g.lda : 1;
  for (int64_t pc = 0; pc < g.k; pc += kKC) {
    const int64_t kc = std::min(kKC, g.k - pc);
    if (full_rows < g.m) pack_a(g, full_rows, g.m - full_rows, pc, kc, a_buf);
    const bool add_to_c = g.accumulate || pc > 0;
    for (int64_t jr = n0; jr < n1; jr += kNR) {
      const int64_t nr = std::min(kNR, n1 - jr);
      const Epilogue ep{pc == 0 && g.bias ? g.bias + jr : nullptr, add_to_c};
      const float* bp = b_buf;
      int64_t rs_b = kNR;
      if (!g.trans_b && nr == kNR) {
        bp = g.b_at(pc, jr);
        rs_b = g.ldb;
      } else {
        pack_b(g, pc, kc, jr, nr, b_buf);
      }
      for (int64_t ir = 0; ir < full_rows; ir += kMR) {
        tile<false>(kc, g.a_at(ir, pc), rs_a, cs_a, bp, rs_b, g.c + ir * g.ldc + jr, g.ldc, kMR, nr, ep);
      }
      if (full_rows < g.m) {
        tile<true>(kc, a_buf, 0, 0, bp, rs_b, g.c + full_rows * g.ldc + jr, g.ldc, g.m - full_rows, nr, ep);
      }
    }
  }
}

// Threads as a grid of rows x cols rectangles of C.
struct Grid {
  int rows, cols;
};

// The grid of at most `threads` rectangles (whole MR x NR tiles each) that minimises the largest
// rectangle's work: its multiply-adds plus packing, weighted as about 8 multiply-adds per packed float.
Grid choose_grid(int64_t tiles_m, int64_t tiles_n, int threads) {
  for (int nt = threads; nt > 1; --nt) {
    Grid best{0, 0};
    int64_t best_cost = 0;
    for (int r = 1; r <= nt; ++r) {
      if (nt % r != 0 || r > tiles_m || nt / r > tiles_n) continue;
      const int64_t rows = (tiles_m + r - 1) / r * kMR;
      const int64_t cols = (tiles_n + nt / r - 1) / (nt / r) * kNR;
      const int64_t cost = rows * cols + 8 * (rows + cols);
      if (best.rows == 0 || cost < best_cost) {
        best = Grid{r, nt / r};
        best_cost = cost;
      }
    }
    if (best.rows != 0) return best;
  }
  return Grid{1, 1};
}

// Start of part `i` of `parts` near-equal parts of `tiles` tiles.
int64_t split(int64_t tiles, int parts, int i) { return tiles * i / parts; }

}  // namespace

void gemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
          const float* b, int64_t ldb, const float* bias, int accumulate, float* c, int64_t ldc, int threads) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    // No products: C becomes the bias (or 0), or gets the bias added; the reference loop is exactly that.
    ref::gemm(trans_a, trans_b, m, n, k, a, lda, b, ldb, bias, accumulate, c, ldc, 1);
    return;
  }
  const Gemm g{trans_a != 0, trans_b != 0, m, n, k, a, lda, b, ldb, bias, accumulate != 0, c, ldc};
  const int64_t tiles_m = (m + kMR - 1) / kMR;
  const int64_t tiles_n = (n + kNR - 1) / kNR;
  const int nt = threads_for(m * n * k, kMinFmaPerThread, threads);
  const bool small_m = m <= kSmallM;
  const Grid grid = small_m ? Grid{1, static_cast<int>(std::min<int64_t>(nt, tiles_n))}
                            : choose_grid(tiles_m, tiles_n, nt);
  const int parts = grid.rows * grid.cols;

#pragma omp parallel for num_threads(parts) schedule(static, 1)
  for (int part = 0; part < parts; ++part) {
    const int pr = part / grid.cols, pn = part % grid.cols;
    const int64_t m0 = split(tiles_m, grid.rows, pr) * kMR;
    const int64_t m1 = std::min(m, split(tiles_m, grid.rows, pr + 1) * kMR);
    const int64_t n0 = split(tiles_n, grid.cols, pn) * kNR;
    const int64_t n1 = std::min(n, split(tiles_n, grid.cols, pn + 1) * kNR);
    Scratch a_buf(small_m ? kKC * kMR : kMC * kKC);
    Scratch b_buf(small_m ? kKC * kNR : kKC * std::min(kNC, (n1 - n0 + kNR - 1) / kNR * kNR));
    if (!a_buf || !b_buf) {
      // Out of memory for the packing buffers: this thread's rectangle is computed by the reference
      // loops, which need none, rather than failing the call (the process must not die on it).
      ref::gemm(trans_a, trans_b, m1 - m0, n1 - n0, k, g.a_at(m0, 0), lda, g.b_at(0, n0), ldb,
                bias ? bias + n0 : nullptr, accumulate, c + m0 * ldc + n0, ldc, 1);
    } else if (small_m) {
      gemm_small_m(g, n0, n1, a_buf.get(), b_buf.get());
    } else {
      gemm_packed(g, m0, m1, n0, n1, a_buf.get(), b_buf.get());
    }
  }
}

}  // namespace lrn4j::avx2
