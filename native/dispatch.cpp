// The public C ABI of the CPU kernels: library state (kernel set, thread count) and one forwarding
// function per kernel that picks lrn4j::ref, lrn4j::avx2 or (GEMM and LRN/oLRN scans) lrn4j::avx512.
// The library is built with hidden visibility; the pragma gives the lrn4j_* declarations, and so their
// definitions here, default visibility.
#include <sched.h>
#include <unistd.h>

#include <atomic>

#pragma GCC visibility push(default)
#include "lrn4j/lrn4j.h"
#pragma GCC visibility pop

#include "kernels.h"

namespace {

int cpu_features() {
  static const int features = lrn4j::detect_cpu_features();
  return features;
}

// Whether the CPU runs kernel set `isa`. The AVX-512 level also runs the AVX2 kernels, so it needs both.
bool supported(int isa) {
  const int f = cpu_features();
  switch (isa) {
    case LRN4J_ISA_SCALAR: return true;
    case LRN4J_ISA_AVX2: return (f & LRN4J_CPU_AVX2) != 0;
    case LRN4J_ISA_AVX512: return (f & LRN4J_CPU_AVX2) && (f & LRN4J_CPU_AVX512F);
    default: return false;
  }
}

int best_isa() {
  for (int isa : {LRN4J_ISA_AVX512, LRN4J_ISA_AVX2}) {
    if (supported(isa)) return isa;
  }
  return LRN4J_ISA_SCALAR;
}

// Kernel set and thread count are read on every call and written rarely (start-up, tests); atomics make
// a concurrent write well-defined, although lrn4j_set_isa is documented as start-up only.
std::atomic<int>& isa_in_use() {
  static std::atomic<int> isa{best_isa()};
  return isa;
}

// The processors this process may run on (its affinity mask, which containers and taskset narrow),
// falling back to the online processors.
int usable_processors() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

std::atomic<int>& thread_count() {
  static std::atomic<int> n{usable_processors()};
  return n;
}

int isa() { return isa_in_use().load(std::memory_order_relaxed); }
// The AVX2 kernels serve both SIMD levels; the GEMM and the LRN/oLRN scans have AVX-512 versions.
bool use_avx2() { return isa() >= LRN4J_ISA_AVX2; }
bool use_avx512() { return isa() == LRN4J_ISA_AVX512; }
int threads() { return thread_count().load(std::memory_order_relaxed); }

}  // namespace

extern "C" {

int lrn4j_abi_version(void) { return LRN4J_ABI_VERSION; }

int lrn4j_cpu_features(void) { return cpu_features(); }

int lrn4j_isa(void) { return isa(); }

int lrn4j_set_isa(int isa) {
  const int chosen = supported(isa) ? isa : LRN4J_ISA_SCALAR;
  isa_in_use().store(chosen, std::memory_order_relaxed);
  return chosen;
}

int lrn4j_num_threads(void) { return threads(); }

void lrn4j_set_num_threads(int n) { thread_count().store(n < 1 ? 1 : n, std::memory_order_relaxed); }

void lrn4j_gemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                const float* b, int64_t ldb, const float* bias, int accumulate, float* c, int64_t ldc) {
  if (use_avx512()) {
    lrn4j::avx512::gemm(trans_a, trans_b, m, n, k, a, lda, b, ldb, bias, accumulate, c, ldc, threads());
  } else if (use_avx2()) {
    lrn4j::avx2::gemm(trans_a, trans_b, m, n, k, a, lda, b, ldb, bias, accumulate, c, ldc, threads());
  } else {
    lrn4j::ref::gemm(trans_a, trans_b, m, n, k, a, lda, b, ldb, bias, accumulate, c, ldc, threads());
  }
}

void lrn4j_col_sum(int64_t m, int64_t n, const float* a, int64_t lda, int accumulate, float* out) {
  if (use_avx2()) {
    lrn4j::avx2::col_sum(m, n, a, lda, accumulate, out, threads());
  } else {
    lrn4j::ref::col_sum(m, n, a, lda, accumulate, out, threads());
  }
}

void lrn4j_softmax_xent(int64_t m, int64_t n, const float* logits, int64_t ld, const int32_t* targets,
                        float scale, float* loss, float* dlogits, int64_t ldd) {
  if (use_avx2()) {
    lrn4j::avx2::softmax_xent(m, n, logits, ld, targets, scale, loss, dlogits, ldd, threads());
  } else {
    lrn4j::ref::softmax_xent(m, n, logits, ld, targets, scale, loss, dlogits, ldd, threads());
  }
}

void lrn4j_embedding_gather(int64_t m, int64_t d, const int32_t* ids, const float* table, int64_t rows,
                            int64_t ldt, float* out, int64_t ldo) {
  if (use_avx2()) {
    lrn4j::avx2::embedding_gather(m, d, ids, table, rows, ldt, out, ldo, threads());
  } else {
    lrn4j::ref::embedding_gather(m, d, ids, table, rows, ldt, out, ldo, threads());
  }
}

void lrn4j_embedding_scatter_add(int64_t m, int64_t d, const int32_t* ids, const float* dout, int64_t ldo,
                                 float* dtable, int64_t rows, int64_t ldt) {
  if (use_avx2()) {
    lrn4j::avx2::embedding_scatter_add(m, d, ids, dout, ldo, dtable, rows, ldt, threads());
  } else {
    lrn4j::ref::embedding_scatter_add(m, d, ids, dout, ldo, dtable, rows, ldt, threads());
  }
}

void lrn4j_adam_step(int64_t n, float* p, const float* g, float* m, float* v, float lr, float beta1, float beta2,
                     float eps, float weight_decay, float grad_scale, float bias_correction1,
                     float bias_correction2) {
  if (use_avx2()) {
    lrn4j::avx2::adam_step(n, p, g, m, v, lr, beta1, beta2, eps, weight_decay, grad_scale, bias_correction1,
                           bias_correction2, threads());
  } else {
    lrn4j::ref::adam_step(n, p, g, m, v, lr, beta1, beta2, eps, weight_decay, grad_scale, bias_correction1,
                          bias_correction2, threads());
  }
}

void lrn4j_sgd_step(int64_t n, float* p, const float* g, float* u, float lr, float momentum, float weight_decay,
                    float grad_scale, int nesterov) {
  if (use_avx2()) {
    lrn4j::avx2::sgd_step(n, p, g, u, lr, momentum, weight_decay, grad_scale, nesterov, threads());
  } else {
    lrn4j::ref::sgd_step(n, p, g, u, lr, momentum, weight_decay, grad_scale, nesterov, threads());
  }
}

void lrn4j_dropout(int64_t n, const float* x, float* y, uint64_t seed, uint64_t offset, uint32_t threshold,
                   float scale) {
  if (use_avx2()) {
    lrn4j::avx2::dropout(n, x, y, seed, offset, threshold, scale, threads());
  } else {
    lrn4j::ref::dropout(n, x, y, seed, offset, threshold, scale, threads());
  }
}

void lrn4j_activation_forward(int fn, int64_t n, const float* x, float* y) {
  if (use_avx2()) {
    lrn4j::avx2::activation_forward(fn, n, x, y, threads());
  } else {
    lrn4j::ref::activation_forward(fn, n, x, y, threads());
  }
}

void lrn4j_activation_backward(int fn, int64_t n, const float* y, const float* dy, float* dx) {
  if (use_avx2()) {
    lrn4j::avx2::activation_backward(fn, n, y, dy, dx, threads());
  } else {
    lrn4j::ref::activation_backward(fn, n, y, dy, dx, threads());
  }
}

double lrn4j_sum_squares(int64_t n, const float* x) {
  return use_avx2() ? lrn4j::avx2::sum_squares(n, x, threads()) : lrn4j::ref::sum_squares(n, x, threads());
}

void lrn4j_lrn_scan_forward(int64_t t_len, int64_t batch, int64_t hidden, const float* g, int64_t ldg,
                            const float* h0, const int32_t* lengths, int act, int reverse, float* hs,
                            int64_t ldh, float* h_last) {
  if (use_avx512()) {
    lrn4j::avx512::lrn_scan_forward(t_len, batch, hidden, g, ldg, h0, lengths, act, reverse, hs, ldh, h_last,
                                    threads());
  } else if (use_avx2()) {
    lrn4j::avx2::lrn_scan_forward(t_len, batch, hidden, g, ldg, h0, lengths, act, reverse, hs, ldh, h_last,
                                  threads());
  } else {
    lrn4j::ref::lrn_scan_forward(t_len, batch, hidden, g, ldg, h0, lengths, act, reverse, hs, ldh, h_last,
                                 threads());
  }
}

void lrn4j_lrn_scan_backward(int64_t t_len, int64_t batch, int64_t hidden, const float* g, int64_t ldg,
                             const float* h0, const int32_t* lengths, int act, int reverse,
                             const float* hs, int64_t ldh, const float* dhs, int64_t lddh,
                             const float* dh_last, float* dg, int64_t lddg, float* dh0) {
  if (use_avx512()) {
    lrn4j::avx512::lrn_scan_backward(t_len, batch, hidden, g, ldg, h0, lengths, act, reverse, hs, ldh, dhs,
                                     lddh, dh_last, dg, lddg, dh0, threads());
  } else if (use_avx2()) {
    lrn4j::avx2::lrn_scan_backward(t_len, batch, hidden, g, ldg, h0, lengths, act, reverse, hs, ldh, dhs,
                                   lddh, dh_last, dg, lddg, dh0, threads());
  } else {
    lrn4j::ref::lrn_scan_backward(t_len, batch, hidden, g, ldg, h0, lengths, act, reverse, hs, ldh, dhs,
                                  lddh, dh_last, dg, lddg, dh0, threads());
  }
}

void lrn4j_cell_step_forward(int cell, int64_t batch, int64_t hidden, int64_t t, const int32_t* lengths,
                             const float* gx, int64_t ldgx, const float* gh, int64_t ldgh, const float* bh,
                             const float* h_prev, int64_t ldhp, const float* c_prev, int64_t ldcp, float* h,
                             int64_t ldh, float* c, int64_t ldc, float* last, int64_t ldlast) {
  if (use_avx2()) {
    lrn4j::avx2::cell_step_forward(cell, batch, hidden, t, lengths, gx, ldgx, gh, ldgh, bh, h_prev, ldhp, c_prev,
                                   ldcp, h, ldh, c, ldc, last, ldlast, threads());
  } else {
    lrn4j::ref::cell_step_forward(cell, batch, hidden, t, lengths, gx, ldgx, gh, ldgh, bh, h_prev, ldhp, c_prev,
                                  ldcp, h, ldh, c, ldc, last, ldlast, threads());
  }
}

void lrn4j_cell_step_backward(int cell, int64_t batch, int64_t hidden, int64_t t, const int32_t* lengths,
                              const float* gx, int64_t ldgx, const float* gh, int64_t ldgh, const float* bh,
                              const float* h_prev, int64_t ldhp, const float* c_prev, int64_t ldcp,
                              const float* c, int64_t ldc, const float* dh_out, int64_t lddo, float* dh,
                              int64_t lddh, float* dc, int64_t lddc, float* dgx, int64_t lddgx, float* dgh,
                              int64_t lddgh) {
  if (use_avx2()) {
    lrn4j::avx2::cell_step_backward(cell, batch, hidden, t, lengths, gx, ldgx, gh, ldgh, bh, h_prev, ldhp, c_prev,
                                    ldcp, c, ldc, dh_out, lddo, dh, lddh, dc, lddc, dgx, lddgx, dgh, lddgh,
                                    threads());
  } else {
    lrn4j::ref::cell_step_backward(cell, batch, hidden, t, lengths, gx, ldgx, gh, ldgh, bh, h_prev, ldhp, c_prev,
                                   ldcp, c, ldc, dh_out, lddo, dh, lddh, dc, lddc, dgx, lddgx, dgh, lddgh,
                                   threads());
  }
}

void lrn4j_cell_forward(int cell, int64_t t_len, int64_t batch, int64_t hidden, const int32_t* lengths,
                        int reverse, const float* gx, int64_t ldgx, const float* u, int64_t ldu,
                        const float* bh, const float* h0, int64_t ldh0, const float* c0, int64_t ldc0,
                        float* gh, int64_t ldgh, float* h, int64_t ldh, float* c, int64_t ldc,
                        float* last, int64_t ldlast) {
  lrn4j::cell_sequence_forward(isa(), cell, t_len, batch, hidden, lengths, reverse, gx, ldgx, u, ldu, bh, h0,
                               ldh0, c0, ldc0, gh, ldgh, h, ldh, c, ldc, last, ldlast, threads());
}

void lrn4j_cell_backward(int cell, int64_t t_len, int64_t batch, int64_t hidden, const int32_t* lengths,
                         int reverse, const float* gx, int64_t ldgx, const float* gh, int64_t ldgh,
                         const float* u, int64_t ldu, const float* bh, const float* h0, int64_t ldh0,
                         const float* c0, int64_t ldc0, const float* h, int64_t ldh, const float* c, int64_t ldc,
                         const float* dh_out, int64_t lddo, float* dh, int64_t lddh, float* dc, int64_t lddc,
                         float* dgx, int64_t lddgx, float* dgh, int64_t lddgh) {
  lrn4j::cell_sequence_backward(isa(), cell, t_len, batch, hidden, lengths, reverse, gx, ldgx, gh, ldgh, u,
                                ldu, bh, h0, ldh0, c0, ldc0, h, ldh, c, ldc, dh_out, lddo, dh, lddh, dc, lddc, dgx,
                                lddgx, dgh, lddgh, threads());
}

void lrn4j_sru_scan_forward(int64_t t_len, int64_t batch, int64_t hidden, int64_t k, const float* u, int64_t ldu,
                            const float* x, int64_t ldx, const float* v, const float* bias, const float* c0,
                            const int32_t* lengths, int act, int reverse, float* h, int64_t ldh, float* c,
                            int64_t ldc, float* c_last) {
  if (use_avx2()) {
    lrn4j::avx2::sru_scan_forward(t_len, batch, hidden, k, u, ldu, x, ldx, v, bias, c0, lengths, act, reverse, h,
                                  ldh, c, ldc, c_last, threads());
  } else {
    lrn4j::ref::sru_scan_forward(t_len, batch, hidden, k, u, ldu, x, ldx, v, bias, c0, lengths, act, reverse, h,
                                 ldh, c, ldc, c_last, threads());
  }
}

void lrn4j_sru_scan_backward(int64_t t_len, int64_t batch, int64_t hidden, int64_t k, const float* u, int64_t ldu,
                             const float* x, int64_t ldx, const float* v, const float* bias, const float* c0,
                             const int32_t* lengths, int act, int reverse, const float* c, int64_t ldc,
                             const float* dh, int64_t lddh, const float* dc_last, float* du, int64_t lddu,
                             float* dx, int64_t lddx, float* dv, float* dc0) {
  if (use_avx2()) {
    lrn4j::avx2::sru_scan_backward(t_len, batch, hidden, k, u, ldu, x, ldx, v, bias, c0, lengths, act, reverse, c,
                                   ldc, dh, lddh, dc_last, du, lddu, dx, lddx, dv, dc0, threads());
  } else {
    lrn4j::ref::sru_scan_backward(t_len, batch, hidden, k, u, ldu, x, ldx, v, bias, c0, lengths, act, reverse, c,
                                  ldc, dh, lddh, dc_last, du, lddu, dx, lddx, dv, dc0, threads());
  }
}

void lrn4j_olrn_scan_forward(int64_t t_len, int64_t batch, int64_t hidden, const float* g, int64_t ldg,
                             const float* h0, const int32_t* lengths, int act, int reverse, float* hs, int64_t ldh,
                             float* cs, int64_t ldc, float* h_last) {
  if (use_avx512()) {
    lrn4j::avx512::olrn_scan_forward(t_len, batch, hidden, g, ldg, h0, lengths, act, reverse, hs, ldh, cs, ldc,
                                     h_last, threads());
  } else if (use_avx2()) {
    lrn4j::avx2::olrn_scan_forward(t_len, batch, hidden, g, ldg, h0, lengths, act, reverse, hs, ldh, cs, ldc,
                                   h_last, threads());
  } else {
    lrn4j::ref::olrn_scan_forward(t_len, batch, hidden, g, ldg, h0, lengths, act, reverse, hs, ldh, cs, ldc,
                                  h_last, threads());
  }
}

void lrn4j_olrn_scan_backward(int64_t t_len, int64_t batch, int64_t hidden, const float* g, int64_t ldg,
                              const float* h0, const int32_t* lengths, int act, int reverse, const float* hs,
                              int64_t ldh, const float* cs, int64_t ldc, const float* dhs, int64_t lddh,
                              const float* dh_last, float* dg, int64_t lddg, float* dh0) {
  if (use_avx512()) {
    lrn4j::avx512::olrn_scan_backward(t_len, batch, hidden, g, ldg, h0, lengths, act, reverse, hs, ldh, cs, ldc, dhs,
                                      lddh, dh_last, dg, lddg, dh0, threads());
  } else if (use_avx2()) {
    lrn4j::avx2::olrn_scan_backward(t_len, batch, hidden, g, ldg, h0, lengths, act, reverse, hs, ldh, cs, ldc, dhs,
                                    lddh, dh_last, dg, lddg, dh0, threads());
  } else {
    lrn4j::ref::olrn_scan_backward(t_len, batch, hidden, g, ldg, h0, lengths, act, reverse, hs, ldh, cs, ldc, dhs,
                                   lddh, dh_last, dg, lddg, dh0, threads());
  }
}

void lrn4j_layer_norm_forward(int64_t m, int64_t groups, int64_t group_size, const float* x, int64_t ldx,
                              const float* gamma, const float* beta, float eps, float* y, int64_t ldy,
                              float* mean, float* rstd) {
  if (use_avx2()) {
    lrn4j::avx2::layer_norm_forward(m, groups, group_size, x, ldx, gamma, beta, eps, y, ldy, mean, rstd,
                                    threads());
  } else {
    lrn4j::ref::layer_norm_forward(m, groups, group_size, x, ldx, gamma, beta, eps, y, ldy, mean, rstd,
                                   threads());
  }
}

void lrn4j_layer_norm_backward(int64_t m, int64_t groups, int64_t group_size, const float* x, int64_t ldx,
                               const float* gamma, const float* mean, const float* rstd, const float* dy,
                               int64_t lddy, float* dx, int64_t lddx, float* dgamma, float* dbeta) {
  if (use_avx2()) {
    lrn4j::avx2::layer_norm_backward(m, groups, group_size, x, ldx, gamma, mean, rstd, dy, lddy, dx, lddx,
                                     dgamma, dbeta, threads());
  } else {
    lrn4j::ref::layer_norm_backward(m, groups, group_size, x, ldx, gamma, mean, rstd, dy, lddy, dx, lddx,
                                    dgamma, dbeta, threads());
  }
}

}  // extern "C"
