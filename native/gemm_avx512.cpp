// AVX-512F GEMM. Compiled with -mavx512f -mfma (AVX-512F instructions only: 512-bit loads, stores, masked
// loads and stores, FMA, broadcasts; the packing transposes use 256-bit AVX) and called only after
// dispatch.cpp has seen AVX-512F and its OS-enabled register state.
//
// Two paths, chosen from the shape alone (never from the thread count):
//  - packed, the BLIS structure: five loops around a register-blocked micro-kernel.
//      jc (NC columns of C) > pc (KC of the K dimension: pack a KC x NC panel of op(B))
//        > ic (MC rows: pack an MC x KC block of op(A)) > jr (NR) > ir (MR): micro-kernel on an MR x NR tile.
//    Packing copies op(A) and op(B) into contiguous slivers in the order the micro-kernel reads them, which
//    is also where the transposes are resolved and the edge slivers are zero-padded to full MR / NR.
//  - small M (M <= kSmallM, op(B) = B): only op(A) is packed; B is read in place, in tiles as wide as the
//    registers allow for the few rows there are. Packing B would cost as much as using it once. (A
//    row-streaming form for M == 1, C's row in L1 and B read row by row, measured slower than the tiles.)
//
// Threads: both paths share their work through share_work (work_share.h) rather than an OpenMP team, whose
// end waits for every thread: the caller starts at once and never waits for a helper that has not started,
// so a helper that another process keeps off its core costs at most the item it holds. (With an OpenMP
// team, on the shared 2-core machine under load, 1 x 512 x 1536 took 8 ms a call instead of 0.1.) The
// small-M path shares chunks of columns; the packed path packs each B panel together, then shares its
// blocks of C. Items are fixed by the shape, so which thread computes one changes nothing.
//
// Summation order: every element of C is one chain of fused multiply-adds over p = 0 .. K-1 in increasing
// order, started from its initial value (the bias or 0, plus the old C when accumulating). A KC block other
// than the first continues the chain by loading the partial sums back from C. So the result depends on
// nothing but the inputs: not on the block sizes, the tile an element falls in, the path, or the thread
// count. It differs from the AVX2 and scalar kernel sets, which sum in other orders.
#include <immintrin.h>

#include <atomic>
#include <cmath>
#include <cstdlib>

#include "gemm_common.h"
#include "kernels.h"
#include "work_share.h"

namespace lrn4j::avx512 {
namespace {

// The register tile: MR rows x NR columns = 12 x 32 floats, 24 zmm accumulators, two B vectors and one A
// broadcast in flight.
constexpr int64_t kMR = 12;
constexpr int64_t kNR = 32;
// Cache blocking, in floats. K goes in near-equal blocks of at most kKCMax: one block for K <= 1024, so
// that C is read and written once (a second pass over C cost more than the smaller blocks gained). The
// MC x KC block of A is kept near kABlock (256 KiB: L2, beside the KC x NR sliver of B that the
// micro-kernel streams); the KC x NC panel of B near kBPanel (4 MiB, reused from L2/L3 by every MC block).
// Measured on the 2-core AVX-512 dev machine (Xeon, family 6 model 207; 48 KiB L1d and 2 MiB L2 per core),
// one thread: 4096 x 1024 x 3072 went from 142 GFLOP/s (KC 256, MC 240) to 157-164 (KC 1024, MC 60);
// larger A blocks (MC 480 at KC 256) or a 1 MiB B panel were slower.
constexpr int64_t kKCMax = 1024;
constexpr int64_t kABlock = 64 * 1024;
constexpr int64_t kBPanel = 1024 * 1024;
// The small-M path: up to this many rows, in K blocks of kSmallKC (B rows read in place stay nearby).
constexpr int64_t kSmallM = 32;
constexpr int64_t kSmallKC = 512;
constexpr int64_t kSmallNC = 384;  // a multiple of every tile width 16 * kWide[R]
// Multiply-adds per thread below which starting another thread costs more than it saves. The small-M
// path reads B once from memory whatever the thread count, and a helper woken from sleep takes tens of
// microseconds to start: 1 x 512 x 1536 (0.8 M multiply-adds, about 80 us alone) measured slower with a
// helper in the streaming step of the layer, where other kernels run between the GEMMs (132 vs 85 us a
// step).
constexpr int64_t kMinFmaPerThread = int64_t{1} << 18;
constexpr int64_t kMinFmaPerThreadSmallM = int64_t{1} << 22;
// The in-place paths fetch B this many rows ahead into L1: consecutive rows of B lie a row stride apart,
// where the hardware prefetchers do not follow.
constexpr int64_t kAheadRows = 8;


// Block sizes of the packed path for this K.
struct Blocking {
  int64_t kc, mc, nc;
};

Blocking blocking(int64_t k) {
  const int64_t blocks = (k + kKCMax - 1) / kKCMax;
  const int64_t kc = (k + blocks - 1) / blocks;
  return Blocking{kc, std::max(kMR, kABlock / kc / kMR * kMR), std::max(kNR, kBPanel / kc / kNR * kNR)};
}

// Packing scratch of the calling thread, 64-byte aligned, kept between calls and grown when a call needs
// more (at most kABlock + kMR * kKCMax floats for A, and kBPanel + kNR * kKCMax for B): allocating it per
// call cost a page fault per 4 KiB on every call. NULL when the allocation fails.
float* scratch(int which, int64_t floats) {
  struct Buffer {
    float* p = nullptr;
    int64_t floats = 0;
    ~Buffer() { std::free(p); }
  };
  thread_local Buffer buffers[2];
  Buffer& b = buffers[which];
  if (b.floats < floats) {
    std::free(b.p);
    const size_t bytes = (static_cast<size_t>(floats) * sizeof(float) + 63) / 64 * 64;
    b.p = static_cast<float*>(std::aligned_alloc(64, bytes));
    b.floats = b.p ? floats : 0;
  }
  return b.p;
}

// Lanes [0, n) of a 16-lane mask, n in [0, 16].
inline __mmask16 lanes(int64_t n) { return static_cast<__mmask16>((1u << n) - 1); }

// The initial value of 16 chains (lanes `m`) of row `c`: the first KC block starts from the bias (NULL:
// 0) plus, when the call accumulates, the old C; later blocks start from the partial sums in C.
struct Start {
  const float* bias;  // the tile's first column of the bias, or NULL
  bool load_c;
};

inline __m512 start(Start st, const float* c, __mmask16 m) {
  __m512 v = st.bias ? _mm512_maskz_loadu_ps(m, st.bias) : _mm512_setzero_ps();
  if (st.load_c) v = _mm512_add_ps(_mm512_maskz_loadu_ps(m, c), v);
  return v;
}

// How a tile reads B. kPacked: a packed sliver, zero-padded to 16*W columns; `pf` (NULL, or part of the
// next sliver) is fetched into L2 one line per step. kInPlace: B itself (row stride rs_b), the last vector
// read masked, and the rows kAheadRows steps ahead fetched into L1.
enum class BRead { kPacked, kInPlace };

// One R x (16*W) tile of C (R <= kMR rows, W zmm columns, the last of which has the lanes in `last`): kc
// rank-1 updates from a packed A sliver (element (i, p) at a[p*kMR + i]) and B (element (p, j) at
// b[p*rs_b + j], read as kRead says). next_c: the tile computed after this one, whose C rows are fetched
// into L2 while this one computes.
template <int R, int W, BRead kRead>
inline void tile(int64_t kc, const float* a, const float* b, int64_t rs_b, float* c, int64_t ldc,
                 __mmask16 last, Start st, const float* next_c, const float* pf) {
  constexpr bool kInPlace = kRead == BRead::kInPlace;
  __m512 acc[R][W];
#pragma GCC unroll 16
  for (int i = 0; i < R; ++i) {
#pragma GCC unroll 8
    for (int w = 0; w < W; ++w) {
      acc[i][w] = start(Start{st.bias ? st.bias + 16 * w : nullptr, st.load_c}, c + i * ldc + 16 * w,
                        w == W - 1 ? last : __mmask16(0xFFFF));
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < R; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(next_c + i * ldc), _MM_HINT_T1);
    _mm_prefetch(reinterpret_cast<const char*>(next_c + i * ldc + 16 * W - 1), _MM_HINT_T1);
  }
  auto load_b = [&](int w) {
    return kInPlace && w == W - 1 ? _mm512_maskz_loadu_ps(last, b + 16 * w) : _mm512_loadu_ps(b + 16 * w);
  };
  for (int64_t p = 0; p < kc; ++p) {
    if constexpr (kInPlace) {
#pragma GCC unroll 8
      for (int w = 0; w < W; ++w) {
        _mm_prefetch(reinterpret_cast<const char*>(b + kAheadRows * rs_b + 16 * w), _MM_HINT_T0);
      }
    } else {
      if (pf) _mm_prefetch(reinterpret_cast<const char*>(pf + 16 * p), _MM_HINT_T1);
    }
    if constexpr (R <= W) {
      // Wide tile: the A broadcasts stay in registers while B streams through one register.
      __m512 ai[R];
#pragma GCC unroll 16
      for (int i = 0; i < R; ++i) ai[i] = _mm512_set1_ps(a[i]);
#pragma GCC unroll 8
      for (int w = 0; w < W; ++w) {
        const __m512 bw = load_b(w);
#pragma GCC unroll 16
        for (int i = 0; i < R; ++i) acc[i][w] = _mm512_fmadd_ps(ai[i], bw, acc[i][w]);
      }
    } else {
      // Tall tile: the B vectors stay in registers while each A element is broadcast from memory.
      __m512 bw[W];
#pragma GCC unroll 8
      for (int w = 0; w < W; ++w) bw[w] = load_b(w);
#pragma GCC unroll 16
      for (int i = 0; i < R; ++i) {
        const __m512 ai = _mm512_set1_ps(a[i]);
#pragma GCC unroll 8
        for (int w = 0; w < W; ++w) acc[i][w] = _mm512_fmadd_ps(ai, bw[w], acc[i][w]);
      }
    }
    a += kMR;
    b += rs_b;
  }
#pragma GCC unroll 16
  for (int i = 0; i < R; ++i) {
#pragma GCC unroll 8
    for (int w = 0; w < W; ++w) {
      if (w == W - 1) {
        _mm512_mask_storeu_ps(c + i * ldc + 16 * w, last, acc[i][w]);
      } else {
        _mm512_storeu_ps(c + i * ldc + 16 * w, acc[i][w]);
      }
    }
  }
}

// tile<R, W, kRead> for a run-time row count 1 <= mr <= kMR.
template <int W, BRead kRead>
inline void tile_rows(int64_t mr, int64_t kc, const float* a, const float* b, int64_t rs_b, float* c, int64_t ldc,
                      __mmask16 last, Start st, const float* next_c, const float* pf) {
  switch (mr) {
#define LRN4J_TILE_CASE(r) \
  case r: tile<r, W, kRead>(kc, a, b, rs_b, c, ldc, last, st, next_c, pf); break;
    LRN4J_TILE_CASE(12) LRN4J_TILE_CASE(11) LRN4J_TILE_CASE(10) LRN4J_TILE_CASE(9) LRN4J_TILE_CASE(8)
    LRN4J_TILE_CASE(7) LRN4J_TILE_CASE(6) LRN4J_TILE_CASE(5) LRN4J_TILE_CASE(4) LRN4J_TILE_CASE(3)
    LRN4J_TILE_CASE(2)
#undef LRN4J_TILE_CASE
    default: tile<1, W, kRead>(kc, a, b, rs_b, c, ldc, last, st, next_c, pf); break;
  }
}
static_assert(kMR == 12, "tile_rows and gemm_small_m list the row counts up to kMR");


// Packs rows [ic, ic+mc) x columns [pc, pc+kc) of op(A) as MR-row slivers: sliver s holds element
// (ic + s*MR + i, pc + p) at dst[s*MR*kc + p*MR + i], rows past the edge as zeros.
void pack_a(const Gemm& g, int64_t ic, int64_t mc, int64_t pc, int64_t kc, float* dst) {
  if (g.trans_a) {
    // op(A) column p is row p of A, contiguous: MR neighbours (zeros past the edge) into each sliver.
    for (int64_t p = 0; p < kc; ++p) {
      const float* src = g.a_at(ic, pc + p);
      float* d = dst + p * kMR;
      for (int64_t ir = 0; ir < mc; ir += kMR, d += kMR * kc) {
        _mm512_mask_storeu_ps(d, lanes(kMR), _mm512_maskz_loadu_ps(lanes(std::min(kMR, mc - ir)), src + ir));
      }
    }
    return;
  }
  // op(A) rows are contiguous: 8 x 8 transposes of 8 rows (zeros past the edge) x 8 steps; the rows of a
  // sliver go in groups of 8, the last group of kMR % 8 rows stored masked.
  for (int64_t ir = 0; ir < mc; ir += kMR, dst += kMR * kc) {
    const int64_t mr = std::min(kMR, mc - ir);
    const float* rows[kMR];
    for (int64_t i = 0; i < kMR; ++i) rows[i] = g.a_at(ic + ir + std::min(i, mr - 1), pc);
    int64_t p = 0;
    for (; p + 8 <= kc; p += 8) {
      for (int64_t i0 = 0; i0 < kMR; i0 += 8) {
        const int64_t width = std::min<int64_t>(8, kMR - i0);
        __m256 r[8];
        for (int64_t i = 0; i < 8; ++i) {
          r[i] = i < width && i0 + i < mr ? _mm256_loadu_ps(rows[i0 + i] + p) : _mm256_setzero_ps();
        }
        transpose8(r);
        const __mmask16 m = lanes(width);
        for (int q = 0; q < 8; ++q) {
          _mm512_mask_storeu_ps(dst + (p + q) * kMR + i0, m, _mm512_castps256_ps512(r[q]));
        }
      }
    }
    for (; p < kc; ++p) {
      for (int64_t i = 0; i < kMR; ++i) dst[p * kMR + i] = i < mr ? rows[i][p] : 0.0f;
    }
  }
}

// Packs rows [pc, pc+kc) x columns [jc, jc+nc) of op(B) as NR-column slivers: sliver s holds element
// (pc + p, jc + s*NR + j) at dst[s*NR*kc + p*NR + j], columns past the edge as zeros.
void pack_b(const Gemm& g, int64_t pc, int64_t kc, int64_t jc, int64_t nc, float* dst) {
  if (!g.trans_b) {
    // Rows of B are contiguous: walk each once across all slivers, so the reads stay sequential.
    for (int64_t p = 0; p < kc; ++p) {
      const float* src = g.b_at(pc + p, jc);
      float* d = dst + p * kNR;
      for (int64_t jr = 0; jr < nc; jr += kNR, d += kNR * kc) {
        const int64_t nr = nc - jr;
        if (nr >= kNR) {
          _mm512_store_ps(d, _mm512_loadu_ps(src + jr));
          _mm512_store_ps(d + 16, _mm512_loadu_ps(src + jr + 16));
        } else {
          _mm512_store_ps(d, _mm512_maskz_loadu_ps(lanes(std::min<int64_t>(16, nr)), src + jr));
          _mm512_store_ps(d + 16, _mm512_maskz_loadu_ps(lanes(std::max<int64_t>(0, nr - 16)), src + jr + 16));
        }
      }
    }
    return;
  }
  for (int64_t jr = 0; jr < nc; jr += kNR, dst += kNR * kc) {
    pack_b_sliver_transposed<kNR>(g, pc, kc, jc + jr, std::min(kNR, nc - jr), dst);
  }
}

// Elements [i0, i1) x [j0, j1) of C for the products p in [p0, p1), one scalar fused multiply-add at a
// time in the same order as the tiles (so with the same result): the way out when a packing buffer cannot
// be allocated.
void scalar_block(const Gemm& g, int64_t i0, int64_t i1, int64_t j0, int64_t j1, int64_t p0, int64_t p1) {
  for (int64_t i = i0; i < i1; ++i) {
    for (int64_t j = j0; j < j1; ++j) {
      float* c = g.c + i * g.ldc + j;
      float v = p0 == 0 && g.bias ? g.bias[j] : 0.0f;
      if (g.accumulate || p0 > 0) v = *c + v;
      for (int64_t p = p0; p < p1; ++p) v = std::fma(*g.a_at(i, p), *g.b_at(p, j), v);
      *c = v;
    }
  }
}

// One block of C for the KC block at pc: rows [ic, ic+mc) x columns jc + [jr0, jr1) of the packed B panel
// (b_panel: the KC x nc panel of columns jc ...). Packs the MC x KC block of A into a_buf, then runs the
// two innermost loops: jr (NR) > ir (MR).
void block(const Gemm& g, int64_t jc, int64_t nc, int64_t pc, int64_t kc, int64_t ic, int64_t mc, int64_t jr0,
           int64_t jr1, const float* b_panel, float* a_buf) {
  pack_a(g, ic, mc, pc, kc, a_buf);
  const Start st{pc == 0 ? g.bias : nullptr, g.accumulate || pc > 0};
  for (int64_t jr = jr0; jr < jr1; jr += kNR) {
    const int64_t nr = std::min(kNR, nc - jr);
    const Start s{st.bias ? st.bias + jc + jr : nullptr, st.load_c};
    float* c = g.c + ic * g.ldc + jc + jr;
    const float* b = b_panel + jr * kc;
    const __mmask16 last = lanes(nr > 16 ? nr - 16 : nr);
    for (int64_t ir = 0; ir < mc; ir += kMR) {
      const int64_t mr = std::min(kMR, mc - ir);
      float* ct = c + ir * g.ldc;
      const float* next = ir + kMR < mc ? ct + kMR * g.ldc : c + kNR;
      // The first two tiles fetch the next sliver of B into L2, half each.
      const int64_t t = ir / kMR;
      const float* pf = t < 2 && jr + kNR < jr1 ? b + kNR * kc + t * 16 * kc : nullptr;
      if (nr > 16) {
        if (mr == kMR) {
          tile<kMR, 2, BRead::kPacked>(kc, a_buf + ir * kc, b, kNR, ct, g.ldc, last, s, next, pf);
        } else {
          tile_rows<2, BRead::kPacked>(mr, kc, a_buf + ir * kc, b, kNR, ct, g.ldc, last, s, next, pf);
        }
      } else {
        tile_rows<1, BRead::kPacked>(mr, kc, a_buf + ir * kc, b, kNR, ct, g.ldc, last, s, next, pf);
      }
    }
  }
}

// The packed path, for one rectangle of C: rows [0, M) x columns [n0, n1), the five loops on the calling
// thread with its own packing buffers.
void gemm_rect(const Gemm& g, const Blocking& bl, int64_t n0, int64_t n1) {
  float* a_buf = scratch(0, bl.mc * bl.kc);
  float* b_buf = scratch(1, bl.kc * std::min(bl.nc, (n1 - n0 + kNR - 1) / kNR * kNR));
  if (!a_buf || !b_buf) {
    scalar_block(g, 0, g.m, n0, n1, 0, g.k);
    return;
  }
  for (int64_t jc = n0; jc < n1; jc += bl.nc) {
    const int64_t nc = std::min(bl.nc, n1 - jc);
    for (int64_t pc = 0; pc < g.k; pc += bl.kc) {
      const int64_t kc = std::min(bl.kc, g.k - pc);
      pack_b(g, pc, kc, jc, nc, b_buf);
      for (int64_t ic = 0; ic < g.m; ic += bl.mc) {
        block(g, jc, nc, pc, kc, ic, std::min(bl.mc, g.m - ic), 0, nc, b_buf, a_buf);
      }
    }
  }
}

// The packed path. With many rows (at least 4 blocks of MC rows per thread), for each KC x NC panel of
// op(B): the threads pack it together into the caller's buffer, then share its blocks of C (an MC x KC
// block of A packed by whichever thread takes the block, against the whole panel). There are about 16
// blocks per thread, so that the last one taken costs little, and not fewer than 4 tiles of rows each.
// With fewer rows, the threads share nt column parts of C instead, each computed whole by gemm_rect: a
// panel would give each thread too few blocks to even out between the rounds, and splitting it by columns
// too would pack each A block again per part (measured costly: strided reads when A is transposed, as in
// dW += X^T.dG). Either way the work goes through share_work, so a thread that another process keeps off
// its core delays the call by at most the item it holds.
constexpr int64_t kPackSlivers = 8;  // B slivers per packing item

void gemm_packed(const Gemm& g, const Blocking& bl, int nt) {
  const int64_t target = 16 * int64_t{nt};
  const int64_t mc =
      nt == 1 ? bl.mc : std::min(bl.mc, std::max(4 * kMR, ((g.m + target - 1) / target + kMR - 1) / kMR * kMR));
  const int64_t row_blocks = (g.m + mc - 1) / mc;
  const int64_t slivers_n = (g.n + kNR - 1) / kNR;
  if (nt > 1 && row_blocks < 4 * int64_t{nt}) {
    const int64_t parts = std::min<int64_t>(nt, slivers_n);
    auto part = [&](int64_t i) { gemm_rect(g, bl, slivers_n * i / parts * kNR, std::min(g.n, slivers_n * (i + 1) / parts * kNR)); };
    share_work(parts, nt, part);
    return;
  }
  float* b_panel = scratch(1, bl.kc * std::min(bl.nc, slivers_n * kNR));
  if (!b_panel) {
    scalar_block(g, 0, g.m, 0, g.n, 0, g.k);
    return;
  }
  const WorkSession session(nt);  // the helpers stay awake between the rounds below
  for (int64_t jc = 0; jc < g.n; jc += bl.nc) {
    const int64_t nc = std::min(bl.nc, g.n - jc);
    const int64_t slivers = (nc + kNR - 1) / kNR;
    for (int64_t pc = 0; pc < g.k; pc += bl.kc) {
      const int64_t kc = std::min(bl.kc, g.k - pc);
      auto pack = [&](int64_t i) {
        const int64_t jr = i * kPackSlivers * kNR;
        pack_b(g, pc, kc, jc + jr, std::min(kPackSlivers * kNR, nc - jr), b_panel + jr * kc);
      };
      share_work((slivers + kPackSlivers - 1) / kPackSlivers, nt, pack);
      auto compute = [&](int64_t i) {
        const int64_t ic = i * mc, rows = std::min(mc, g.m - ic);
        float* a_buf = scratch(0, mc * kc);
        if (a_buf) {
          block(g, jc, nc, pc, kc, ic, rows, 0, nc, b_panel, a_buf);
        } else {
          scalar_block(g, ic, ic + rows, jc, jc + nc, pc, pc + kc);
        }
      };
      share_work(row_blocks, nt, compute);
    }
  }
}

// Small M, op(B) = B: B is read in place, only op(A) is packed (at most kSmallM x kSmallKC floats per
// block). Rows go in near-equal groups of at most kMR; a group of R rows walks its columns in tiles as
// wide as its registers allow (16*kWide[R] columns), the last one narrower. The groups take turns on
// chunks of kSmallNC columns, so that the KC x kSmallNC block of B the first group reads (768 KiB) is
// still in L2 for the others. One thread's columns [n0, n1).
constexpr int kWide[] = {0, 8, 8, 8, 6, 4, 4, 3, 3, 2, 2, 2, 2};

template <int R, int W>
void small_m_cols(const Gemm& g, const float* a, int64_t i0, int64_t pc, int64_t kc, int64_t jr, int64_t nr,
                  Start st, const float* next_c) {
  const __mmask16 last = lanes(nr - 16 * (W - 1));
  tile<R, W, BRead::kInPlace>(kc, a, g.b_at(pc, jr), g.ldb, g.c + i0 * g.ldc + jr, g.ldc, last,
                              Start{st.bias ? st.bias + jr : nullptr, st.load_c}, next_c, nullptr);
}

template <int R>
void small_m_rows(const Gemm& g, const float* a, int64_t i0, int64_t pc, int64_t kc, int64_t n0, int64_t n1,
                  Start st) {
  constexpr int W = kWide[R];
  constexpr int64_t kWidth = 16 * W;
  for (int64_t jr = n0; jr < n1; jr += kWidth) {
    const int64_t nr = std::min(kWidth, n1 - jr);
    const float* next_c = g.c + i0 * g.ldc + std::min(jr + kWidth, n1 - 1);
    switch ((nr + 15) / 16) {
#define LRN4J_COLS_CASE(w) \
  case w: if constexpr (w <= W) small_m_cols<R, w>(g, a, i0, pc, kc, jr, nr, st, next_c); break;
      LRN4J_COLS_CASE(8) LRN4J_COLS_CASE(7) LRN4J_COLS_CASE(6) LRN4J_COLS_CASE(5) LRN4J_COLS_CASE(4)
      LRN4J_COLS_CASE(3) LRN4J_COLS_CASE(2) LRN4J_COLS_CASE(1)
#undef LRN4J_COLS_CASE
    }
  }
}

// a_buf holds kSmallM rounded up to kMR times kSmallKC floats.
void gemm_small_m(const Gemm& g, int64_t n0, int64_t n1, float* a_buf) {
  const int64_t groups = (g.m + kMR - 1) / kMR;
  for (int64_t pc = 0; pc < g.k; pc += kSmallKC) {
    const int64_t kc = std::min(kSmallKC, g.k - pc);
    const Start st{pc == 0 ? g.bias : nullptr, g.accumulate || pc > 0};
    for (int64_t grp = 0; grp < groups; ++grp) {
      const int64_t i0 = g.m * grp / groups, rows = g.m * (grp + 1) / groups - i0;
      pack_a(g, i0, rows, pc, kc, a_buf + grp * kMR * kc);
    }
    for (int64_t j0 = n0; j0 < n1; j0 += kSmallNC) {
      const int64_t j1 = std::min(n1, j0 + kSmallNC);
      for (int64_t grp = 0; grp < groups; ++grp) {
        const int64_t i0 = g.m * grp / groups, rows = g.m * (grp + 1) / groups - i0;
        const float* a = a_buf + grp * kMR * kc;
        switch (rows) {
#define LRN4J_ROWS_CASE(r) \
  case r: small_m_rows<r>(g, a, i0, pc, kc, j0, j1, st); break;
        LRN4J_ROWS_CASE(12) LRN4J_ROWS_CASE(11) LRN4J_ROWS_CASE(10) LRN4J_ROWS_CASE(9) LRN4J_ROWS_CASE(8)
        LRN4J_ROWS_CASE(7) LRN4J_ROWS_CASE(6) LRN4J_ROWS_CASE(5) LRN4J_ROWS_CASE(4) LRN4J_ROWS_CASE(3)
        LRN4J_ROWS_CASE(2) LRN4J_ROWS_CASE(1)
#undef LRN4J_ROWS_CASE
        }
      }
    }
  }
}

}  // namespace

void gemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
          const float* b, int64_t ldb, const float* bias, int accumulate, float* c, int64_t ldc, int threads) {
  if (gemm_without_products(trans_a, trans_b, m, n, k, a, lda, b, ldb, bias, accumulate, c, ldc)) return;
  const Gemm g{trans_a != 0, trans_b != 0, m, n, k, a, lda, b, ldb, bias, accumulate != 0, c, ldc};
  const bool small_m = m <= kSmallM && !trans_b;
  const int nt = threads_for(m * n * k, small_m ? kMinFmaPerThreadSmallM : kMinFmaPerThread, threads);
  if (small_m) {
    // Items of `chunk` columns (whole tiles of every width), shared with helpers that the call never
    // waits for: a call this short must not wait for a thread that another process keeps off its core.
    // When the last call ran without helpers, this one walks the items in the other direction: B (the
    // weights, read in place) is often the same from one call to the next and a little larger than L2;
    // walked the same way each time it would be evicted just before it is read again, walked back and
    // forth the part read last is read first, from L2 (1 x 512 x 1536 on one core: 0.110 -> 0.080 ms).
    // With helpers, each thread keeps to its end, where its L2 holds its part from the last call. The
    // order of items changes no result.
    static std::atomic<unsigned> walk{0};  // bit 0: backwards; bit 1: the last call had help
    const unsigned last = walk.load(std::memory_order_relaxed);
    const bool backwards = (last & 2) ? (last & 1) != 0 : (last & 1) == 0;
    const int64_t chunk = std::clamp((n + 2 * nt - 1) / (2 * nt) + kNR - 1, kNR, kSmallNC) / kNR * kNR;
    const int64_t items = (n + chunk - 1) / chunk;
    auto item = [&](int64_t i) {
      if (backwards) i = items - 1 - i;
      const int64_t n0 = i * chunk, n1 = std::min(n, n0 + chunk);
      float* a_buf = scratch(0, (kSmallM + kMR - 1) / kMR * kMR * kSmallKC);
      if (a_buf) {
        gemm_small_m(g, n0, n1, a_buf);
      } else {
        scalar_block(g, 0, m, n0, n1, 0, k);
      }
    };
    const int64_t helped = share_work(items, nt, item);
    walk.store((backwards ? 1u : 0u) | (helped > 0 ? 2u : 0u), std::memory_order_relaxed);
    return;
  }
  gemm_packed(g, blocking(k), nt);
}

}  // namespace lrn4j::avx512
