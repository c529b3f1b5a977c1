// The whole recurrence of one direction of an LSTM, GRU or ATR layer (lrn4j_cell_forward/backward): the
// per-step GEMM and step kernels of one kernel set, called by each thread on its own sequences.
//
// Why one call per direction instead of a GEMM and a step kernel per time step: every kernel call starts
// and joins an OpenMP team, and a step of these layers is a few tens of microseconds of work, so the
// team's wake-ups and barriers (2T per pass) cost as much as the work on an idle machine and far more on a
// busy one, where a barrier waits for a descheduled thread. A sequence's steps depend only on that
// sequence, so splitting the batch among the threads once lets each thread walk all the steps alone.
// Each thread's GEMM has few rows (B / threads), which is the in-place small-M path of the GEMM: no
// packing of U per step.
//
// Results do not depend on the split: the step kernels are elementwise and every element of a GEMM's C is
// the same chain of multiply-adds whichever rows are computed with it (gemm_avx512.cpp, gemm_avx2.cpp,
// gemm_ref.cpp), so any thread count gives the bits of the per-step calls.
#include <cstdlib>
#include <cstring>
#include <memory>

#include "kernels.h"
#include "lrn4j/lrn4j.h"

namespace lrn4j {
namespace {

// Multiply-adds of the recurrent products per thread below which another thread does not pay.
constexpr int64_t kMinFmaPerThread = int64_t{1} << 22;
// Rows per recurrent GEMM call: up to this many, the GEMM reads its operands in place (its small-M path)
// instead of packing all of U at every step.
constexpr int64_t kGemmRows = 16;

struct KernelSet {
  decltype(&ref::gemm) gemm;
  decltype(&ref::cell_step_forward) step_forward;
  decltype(&ref::cell_step_backward) step_backward;
};

KernelSet kernel_set(int isa) {
  if (isa == LRN4J_ISA_AVX512) return {&avx512::gemm, &avx2::cell_step_forward, &avx2::cell_step_backward};
  if (isa == LRN4J_ISA_AVX2) return {&avx2::gemm, &avx2::cell_step_forward, &avx2::cell_step_backward};
  return {&ref::gemm, &ref::cell_step_forward, &ref::cell_step_backward};
}

int64_t planes_of(int cell) { return cell == LRN4J_CELL_LSTM ? 4 : cell == LRN4J_CELL_GRU ? 3 : 1; }

// Threads for the recurrence: whole sequences each, at least kMinFmaPerThread multiply-adds each.
int threads_for_sequences(int64_t t_len, int64_t batch, int64_t width, int64_t hidden, int threads) {
  return static_cast<int>(std::min<int64_t>(batch, threads_for(t_len * batch * width * hidden, kMinFmaPerThread,
                                                               threads)));
}

// The state before processing position s, rows from sequence b0 on: the initial state (NULL for zeros)
// first, then the outputs of the step processed before. c is NULL where the cell has none.
struct Before {
  const float* h;
  int64_t ldh;
  const float* c;
  int64_t ldc;

  static Before at(int64_t s, int64_t t_len, int64_t batch, int64_t b0, int reverse, const float* h0, int64_t ldh0,
                   const float* c0, int64_t ldc0, const float* h, int64_t ldh, const float* c, int64_t ldc) {
    if (s == 0) return {h0 ? h0 + b0 * ldh0 : nullptr, ldh0, c0 ? c0 + b0 * ldc0 : nullptr, ldc0};
    const int64_t row = (reverse ? t_len - s : s - 1) * batch + b0;
    return {h + row * ldh, ldh, c ? c + row * ldc : nullptr, ldc};
  }
};

// First sequence of part `i` of `parts`.
int64_t split(int64_t batch, int parts, int i) { return batch * i / parts; }

}  // namespace

void cell_sequence_forward(int isa, int cell, int64_t t_len, int64_t batch, int64_t hidden,
                           const int32_t* lengths, int reverse, const float* gx, int64_t ldgx, const float* u,
                           int64_t ldu, const float* bh, const float* h0, int64_t ldh0, const float* c0,
                           int64_t ldc0, float* gh, int64_t ldgh, float* h, int64_t ldh, float* c, int64_t ldc,
                           float* last, int64_t ldlast, int threads) {
  const KernelSet k = kernel_set(isa);
  const bool lstm = cell == LRN4J_CELL_LSTM;
  const int64_t width = planes_of(cell) * hidden;
  const int parts = threads_for_sequences(t_len, batch, width, hidden, threads);
#pragma omp parallel for num_threads(parts) schedule(static, 1)
  for (int part = 0; part < parts; ++part) {
    const int64_t b0 = split(batch, parts, part), rows = split(batch, parts, part + 1) - b0;
    const int32_t* len = lengths ? lengths + b0 : nullptr;
    for (int64_t s = 0; s < t_len; ++s) {
      const int64_t t = reverse ? t_len - 1 - s : s;
      const int64_t at = t * batch + b0;
      const Before p = Before::at(s, t_len, batch, b0, reverse, h0, ldh0, lstm ? c0 : nullptr, ldc0, h, ldh,
                                  lstm ? c : nullptr, ldc);
      const float *hp = p.h, *cp = p.c;
      const int64_t ldhp = p.ldh, ldcp = p.ldc;
      if (hp) {
        for (int64_t r = 0; r < rows; r += kGemmRows) {
          k.gemm(0, 0, std::min(kGemmRows, rows - r), width, hidden, hp + r * ldhp, ldhp, u, ldu, nullptr, 0,
                 gh + (at + r) * ldgh, ldgh, 1);
        }
      } else {
        for (int64_t r = 0; r < rows; ++r) std::memset(gh + (at + r) * ldgh, 0, sizeof(float) * width);
      }
      k.step_forward(cell, rows, hidden, t, len, gx + at * ldgx, ldgx, gh + at * ldgh, ldgh, bh, hp, ldhp, cp,
                     ldcp, h + at * ldh, ldh, lstm ? c + at * ldc : nullptr, ldc,
                     last && s == t_len - 1 ? last + b0 * ldlast : nullptr, ldlast, 1);
    }
  }
}

void cell_sequence_backward(int isa, int cell, int64_t t_len, int64_t batch, int64_t hidden,
                            const int32_t* lengths, int reverse, const float* gx, int64_t ldgx, const float* gh,
                            int64_t ldgh, const float* u, int64_t ldu, const float* bh, const float* h0,
                            int64_t ldh0, const float* c0, int64_t ldc0, const float* h, int64_t ldh,
                            const float* c, int64_t ldc, const float* dh_out, int64_t lddo, float* dh,
                            int64_t lddh, float* dc, int64_t lddc, float* dgx, int64_t lddgx, float* dgh,
                            int64_t lddgh, int threads) {
  const KernelSet k = kernel_set(isa);
  const bool lstm = cell == LRN4J_CELL_LSTM;
  const int64_t width = planes_of(cell) * hidden;
  // dR.U^T as dR.(U^T) from a transposed copy made once: a GEMM with op(B) = B and few rows reads B in
  // place, where op(B) = B^T would repack all of U at every step. Without the memory, the transposed form.
  std::unique_ptr<float, decltype(&std::free)> ut(
      static_cast<float*>(std::malloc(sizeof(float) * static_cast<size_t>(width * hidden))), &std::free);
  if (ut) {
    for (int64_t i = 0; i < hidden; ++i) {
      for (int64_t j = 0; j < width; ++j) ut.get()[j * hidden + i] = u[i * ldu + j];
    }
  }
  const int parts = threads_for_sequences(t_len, batch, width, hidden, threads);
#pragma omp parallel for num_threads(parts) schedule(static, 1)
  for (int part = 0; part < parts; ++part) {
    const int64_t b0 = split(batch, parts, part), rows = split(batch, parts, part + 1) - b0;
    const int32_t* len = lengths ? lengths + b0 : nullptr;
    float* dhb = dh + b0 * lddh;
    float* dcb = lstm ? dc + b0 * lddc : nullptr;
    for (int64_t s = t_len - 1; s >= 0; --s) {
      const int64_t t = reverse ? t_len - 1 - s : s;
      const int64_t at = t * batch + b0;
      const Before p = Before::at(s, t_len, batch, b0, reverse, h0, ldh0, lstm ? c0 : nullptr, ldc0, h, ldh,
                                  lstm ? c : nullptr, ldc);
      const float *hp = p.h, *cp = p.c;
      const int64_t ldhp = p.ldh, ldcp = p.ldc;
      float* dr = lstm ? dgx + at * lddgx : dgh + at * lddgh;
      const int64_t lddr = lstm ? lddgx : lddgh;
      k.step_backward(cell, rows, hidden, t, len, gx + at * ldgx, ldgx, gh + at * ldgh, ldgh, bh, hp, ldhp, cp,
                      ldcp, lstm ? c + at * ldc : nullptr, ldc, dh_out ? dh_out + at * lddo : nullptr, lddo, dhb,
                      lddh, dcb, lddc, dgx + at * lddgx, lddgx, lstm ? nullptr : dgh + at * lddgh, lddgh, 1);
      if (ut) {
        for (int64_t r = 0; r < rows; r += kGemmRows) {
          k.gemm(0, 0, std::min(kGemmRows, rows - r), hidden, width, dr + r * lddr, lddr, ut.get(), hidden, nullptr, 1,
                 dhb + r * lddh, lddh, 1);
        }
      } else {
        k.gemm(0, 1, rows, hidden, width, dr, lddr, u, ldu, nullptr, 1, dhb, lddh, 1);
      }
    }
  }
}

}  // namespace lrn4j
