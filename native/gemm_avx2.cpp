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

#include "gemm_common.h"
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
// Up to this many rows (and op(B) = B), op(A) and B are read in place: packing would cost as much as using
// them (measured: 32 rows is faster packed).
constexpr int64_t kSmallM = 16;
// Multiply-adds per thread below which starting another thread costs more than it saves.
constexpr int64_t kMinFmaPerThread = int64_t{1} << 18;


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

// One R x (8*W) tile of C (R <= kMR rows, W ymm columns): kc rank-1 updates, then the epilogue. A is
// either a packed sliver (element (i, p) at a[p*kMR + i]) or read in place with strides
// (a[i*rs_a + p*cs_a]). B element (p, j) is at b[p*rs_b + j] for all 8*W columns (zero-padded when packed).
// Only the first nr columns of C are touched; a partial tile goes through a local buffer and the same
// additions in scalar form. Every element of C, whatever R, W and path computed it, is the same chain of
// fused multiply-adds over p ascending from 0, then the epilogue, so it gets bit-identical results whether
// its tile is full or partial, packed or in place, tall or wide.
template <int R, int W, bool kPackedA>
inline void tile(int64_t kc, const float* a, int64_t rs_a, int64_t cs_a, const float* b, int64_t rs_b,
                 float* c, int64_t ldc, int64_t nr, Epilogue ep) {
  if constexpr (kPackedA) {
    rs_a = 1;
    cs_a = kMR;
  }
  __m256 acc[R][W];
#pragma GCC unroll 8
  for (int i = 0; i < R; ++i) {
#pragma GCC unroll 16
    for (int w = 0; w < W; ++w) acc[i][w] = _mm256_setzero_ps();
  }
  // The tile of C is touched after the loop; start fetching it now.
#pragma GCC unroll 8
  for (int i = 0; i < R; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + nr - 1), _MM_HINT_T0);
  }
  for (int64_t p = 0; p < kc; ++p) {
    if constexpr (R <= W) {
      // Wide tile: the A broadcasts stay in registers while B streams through one register.
      __m256 ai[R];
#pragma GCC unroll 8
      for (int i = 0; i < R; ++i) ai[i] = _mm256_broadcast_ss(a + i * rs_a);
#pragma GCC unroll 16
      for (int w = 0; w < W; ++w) {
        const __m256 bw = _mm256_loadu_ps(b + 8 * w);
#pragma GCC unroll 8
        for (int i = 0; i < R; ++i) acc[i][w] = _mm256_fmadd_ps(ai[i], bw, acc[i][w]);
      }
    } else {
      // Tall tile: the B vectors stay in registers while A streams through one broadcast register.
      __m256 bw[W];
#pragma GCC unroll 16
      for (int w = 0; w < W; ++w) bw[w] = _mm256_loadu_ps(b + 8 * w);
#pragma GCC unroll 8
      for (int i = 0; i < R; ++i) {
        const __m256 ai = _mm256_broadcast_ss(a + i * rs_a);
#pragma GCC unroll 16
        for (int w = 0; w < W; ++w) acc[i][w] = _mm256_fmadd_ps(ai, bw[w], acc[i][w]);
      }
    }
    a += cs_a;
    b += rs_b;
  }

  if (nr == 8 * W) {
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i) {
#pragma GCC unroll 16
      for (int w = 0; w < W; ++w) {
        float* ci = c + i * ldc + 8 * w;
        __m256 v = acc[i][w];
        if (ep.bias) v = _mm256_add_ps(v, _mm256_loadu_ps(ep.bias + 8 * w));
        if (ep.add_to_c) v = _mm256_add_ps(_mm256_loadu_ps(ci), v);
        _mm256_storeu_ps(ci, v);
      }
    }
    return;
  }
  alignas(32) float t[R][8 * W];
#pragma GCC unroll 8
  for (int i = 0; i < R; ++i) {
#pragma GCC unroll 16
    for (int w = 0; w < W; ++w) _mm256_store_ps(t[i] + 8 * w, acc[i][w]);
  }
  for (int64_t i = 0; i < R; ++i) {
    for (int64_t j = 0; j < nr; ++j) {
      float v = t[i][j];
      if (ep.bias) v = v + ep.bias[j];
      if (ep.add_to_c) v = c[i * ldc + j] + v;
      c[i * ldc + j] = v;
    }
  }
}

// tile<R, W, kPackedA> for a run-time row count 1 <= mr <= kMR.
template <int W, bool kPackedA>
inline void tile_rows(int64_t mr, int64_t kc, const float* a, int64_t rs_a, int64_t cs_a, const float* b,
                      int64_t rs_b, float* c, int64_t ldc, int64_t nr, Epilogue ep) {
  switch (mr) {
    case 6: tile<6, W, kPackedA>(kc, a, rs_a, cs_a, b, rs_b, c, ldc, nr, ep); break;
    case 5: tile<5, W, kPackedA>(kc, a, rs_a, cs_a, b, rs_b, c, ldc, nr, ep); break;
    case 4: tile<4, W, kPackedA>(kc, a, rs_a, cs_a, b, rs_b, c, ldc, nr, ep); break;
    case 3: tile<3, W, kPackedA>(kc, a, rs_a, cs_a, b, rs_b, c, ldc, nr, ep); break;
    case 2: tile<2, W, kPackedA>(kc, a, rs_a, cs_a, b, rs_b, c, ldc, nr, ep); break;
    default: tile<1, W, kPackedA>(kc, a, rs_a, cs_a, b, rs_b, c, ldc, nr, ep); break;
  }
}


// Lanes [0, n) set.
inline __m256i first_lanes(int64_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// Packs rows [ic, ic+mc) x columns [pc, pc+kc) of op(A) as MR-row slivers: sliver s holds element
// (ic + s*MR + i, pc + p) at dst[s*MR*kc + p*MR + i], rows past the edge as zeros. Each step p writes 8
// floats at dst + p*MR, the last two of which the next step overwrites; the last step of a sliver writes
// its 6 floats only (masked), so nothing past the sliver is touched.
void pack_a(const Gemm& g, int64_t ic, int64_t mc, int64_t pc, int64_t kc, float* dst) {
  static_assert(kMR == 6, "pack_a writes 6-float columns");
  const __m256i six = first_lanes(kMR);
  if (g.trans_a) {
    // op(A) column p is row p of A, contiguous: walk it once, MR neighbours (loaded masked, zeros past the
    // edge) into each sliver. Going down the rows of A keeps the reads sequential.
    for (int64_t p = 0; p < kc; ++p) {
      const float* src = g.a_at(ic, pc + p);
      float* d = dst + p * kMR;
      for (int64_t ir = 0; ir < mc; ir += kMR, d += kMR * kc) {
        const __m256 v = _mm256_maskload_ps(src + ir, first_lanes(std::min(kMR, mc - ir)));
        if (p + 1 < kc) {
          _mm256_storeu_ps(d, v);
        } else {
          _mm256_maskstore_ps(d, six, v);
        }
      }
    }
    return;
  }
  for (int64_t ir = 0; ir < mc; ir += kMR, dst += kMR * kc) {
    const int64_t mr = std::min(kMR, mc - ir);
    // op(A) rows are contiguous: 8 x 8 transposes of (6 rows + 2 zero rows) x 8 steps.
    const float* rows[kMR];
    for (int64_t i = 0; i < kMR; ++i) rows[i] = g.a_at(ic + ir + std::min(i, mr - 1), pc);
    int64_t p = 0;
    for (; p + 8 <= kc; p += 8) {
      __m256 r[8];
      for (int64_t i = 0; i < kMR; ++i) r[i] = i < mr ? _mm256_loadu_ps(rows[i] + p) : _mm256_setzero_ps();
      r[6] = r[7] = _mm256_setzero_ps();
      transpose8(r);
      for (int q = 0; q < 7; ++q) _mm256_storeu_ps(dst + (p + q) * kMR, r[q]);
      _mm256_maskstore_ps(dst + (p + 7) * kMR, six, r[7]);
    }
    for (; p < kc; ++p) {
      for (int64_t i = 0; i < kMR; ++i) dst[p * kMR + i] = i < mr ? rows[i][p] : 0.0f;
    }
  }
}

// Packs rows [pc, pc+kc) x columns [jc, jc+nc) of op(B) as NR-column slivers: sliver s holds element
// (pc + p, jc + s*NR + j) at dst[s*NR*kc + p*NR + j], columns past the edge as zeros.
void pack_b(const Gemm& g, int64_t pc, int64_t kc, int64_t jc, int64_t nc, float* dst) {
  static_assert(kNR == 16, "pack_b transposes two 8-column halves");
  if (!g.trans_b) {
    // Rows of B are contiguous: walk each once across all full slivers, so the reads stay sequential.
    const int64_t full = nc / kNR * kNR;
    for (int64_t p = 0; p < kc; ++p) {
      const float* src = g.b_at(pc + p, jc);
      float* d = dst + p * kNR;
      for (int64_t jr = 0; jr < full; jr += kNR, d += kNR * kc) {
        _mm256_store_ps(d, _mm256_loadu_ps(src + jr));
        _mm256_store_ps(d + 8, _mm256_loadu_ps(src + jr + 8));
      }
    }
  }
  for (int64_t jr = 0; jr < nc; jr += kNR, dst += kNR * kc) {
    const int64_t nr = std::min(kNR, nc - jr);
    if (!g.trans_b && nr == kNR) {
      // Full slivers of B are copied row by row, below.
      continue;
    } else if (!g.trans_b) {
      for (int64_t p = 0; p < kc; ++p) {
        const float* src = g.b_at(pc + p, jc + jr);
        for (int64_t j = 0; j < kNR; ++j) dst[p * kNR + j] = j < nr ? src[j] : 0.0f;
      }
    } else {
      pack_b_sliver_transposed<kNR>(g, pc, kc, jc + jr, nr, dst);
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
          float* c = g.c + ic * g.ldc + jc + jr;
          const float* b = b_buf + jr * kc;
          int64_t ir = 0;
          for (; ir + kMR <= mc; ir += kMR) tile<kMR, 2, true>(kc, a_buf + ir * kc, 0, 0, b, kNR, c + ir * g.ldc, g.ldc, nr, ep);
          if (ir < mc) tile_rows<2, true>(mc - ir, kc, a_buf + ir * kc, 0, 0, b, kNR, c + ir * g.ldc, g.ldc, nr, ep);
        }
      }
    }
  }
}

// Small M, op(B) = B (not transposed): op(A) and B are both read in place, nothing is packed but the last
// partial NR-column sliver of B. Rows go in groups of up to kMR; a group of R rows walks the columns in
// tiles as wide as its registers allow (8*kWide[R] columns), then in NR-column tiles. One thread's
// columns [n0, n1) for one KC block; b_buf holds kKC*kNR floats.
constexpr int kWide[kMR + 1] = {0, 8, 4, 4, 2, 2, 2};

template <int R>
void small_m_rows(const Gemm& g, int64_t i0, int64_t pc, int64_t kc, int64_t n0, int64_t n1, float* b_buf) {
  constexpr int W = kWide[R];
  const int64_t rs_a = g.trans_a ? 1 : g.lda;
  const int64_t cs_a = g.trans_a ? g.lda : 1;
  const float* a = g.a_at(i0, pc);
  const bool add_to_c = g.accumulate || pc > 0;
  float* c = g.c + i0 * g.ldc;
  int64_t jr = n0;
  for (; jr + 8 * W <= n1; jr += 8 * W) {
    const Epilogue ep{pc == 0 && g.bias ? g.bias + jr : nullptr, add_to_c};
    tile<R, W, false>(kc, a, rs_a, cs_a, g.b_at(pc, jr), g.ldb, c + jr, g.ldc, 8 * W, ep);
  }
  for (; jr < n1; jr += kNR) {
    const int64_t nr = std::min(kNR, n1 - jr);
    const Epilogue ep{pc == 0 && g.bias ? g.bias + jr : nullptr, add_to_c};
    if (nr == kNR) {
      tile<R, 2, false>(kc, a, rs_a, cs_a, g.b_at(pc, jr), g.ldb, c + jr, g.ldc, nr, ep);
    } else {
      pack_b(g, pc, kc, jr, nr, b_buf);
      tile<R, 2, false>(kc, a, rs_a, cs_a, b_buf, kNR, c + jr, g.ldc, nr, ep);
    }
  }
}

void gemm_small_m(const Gemm& g, int64_t n0, int64_t n1, float* b_buf) {
  for (int64_t pc = 0; pc < g.k; pc += kKC) {
    const int64_t kc = std::min(kKC, g.k - pc);
    for (int64_t i0 = 0; i0 < g.m; i0 += kMR) {
      switch (std::min(kMR, g.m - i0)) {
        case 6: small_m_rows<6>(g, i0, pc, kc, n0, n1, b_buf); break;
        case 5: small_m_rows<5>(g, i0, pc, kc, n0, n1, b_buf); break;
        case 4: small_m_rows<4>(g, i0, pc, kc, n0, n1, b_buf); break;
        case 3: small_m_rows<3>(g, i0, pc, kc, n0, n1, b_buf); break;
        case 2: small_m_rows<2>(g, i0, pc, kc, n0, n1, b_buf); break;
        default: small_m_rows<1>(g, i0, pc, kc, n0, n1, b_buf); break;
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
  if (gemm_without_products(trans_a, trans_b, m, n, k, a, lda, b, ldb, bias, accumulate, c, ldc)) return;
  const Gemm g{trans_a != 0, trans_b != 0, m, n, k, a, lda, b, ldb, bias, accumulate != 0, c, ldc};
  const int64_t tiles_m = (m + kMR - 1) / kMR;
  const int64_t tiles_n = (n + kNR - 1) / kNR;
  const int nt = threads_for(m * n * k, kMinFmaPerThread, threads);
  const bool small_m = m <= kSmallM && !trans_b;
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
    Scratch a_buf(small_m ? 1 : kMC * kKC);
    Scratch b_buf(small_m ? kKC * kNR : kKC * std::min(kNC, (n1 - n0 + kNR - 1) / kNR * kNR));
    if (!a_buf || !b_buf) {
      // Out of memory for the packing buffers: this thread's rectangle is computed by the reference
      // loops, which need none, rather than failing the call (the process must not die on it).
      ref::gemm(trans_a, trans_b, m1 - m0, n1 - n0, k, g.a_at(m0, 0), lda, g.b_at(0, n0), ldb,
                bias ? bias + n0 : nullptr, accumulate, c + m0 * ldc + n0, ldc, 1);
    } else if (small_m) {
      gemm_small_m(g, n0, n1, b_buf.get());
    } else {
      gemm_packed(g, m0, m1, n0, n1, a_buf.get(), b_buf.get());
    }
  }
}

}  // namespace lrn4j::avx2
