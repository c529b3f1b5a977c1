// Internal interface between the public C ABI (dispatch.cpp) and the kernel sets: lrn4j::ref, the plain
// reference loops that are also the fallback on CPUs without AVX2; lrn4j::avx2, the AVX2/FMA kernels
// compiled in their own translation units with -mavx2 -mfma; and lrn4j::avx512, which has a GEMM and the
// LRN/oLRN scans. All
// implement exactly the contracts documented in include/lrn4j/lrn4j.h; `threads` is the thread count the
// caller chose (lrn4j_num_threads), an upper bound that a kernel lowers for small problems. No kernel's
// result depends on the thread count.
#ifndef LRN4J_NATIVE_KERNELS_H
#define LRN4J_NATIVE_KERNELS_H

#include <algorithm>
#include <cstdint>

namespace lrn4j {

// The dropout mask bits of element `index` under `seed` (lrn4j.h, lrn4j_dropout).
inline uint32_t dropout_fmix32(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85EBCA6Bu;
  h ^= h >> 13;
  h *= 0xC2B2AE35u;
  h ^= h >> 16;
  return h;
}
inline uint32_t dropout_bits(uint64_t seed, uint64_t index) {
  return dropout_fmix32(dropout_fmix32(static_cast<uint32_t>(index) ^ static_cast<uint32_t>(seed)) ^
                        (static_cast<uint32_t>(index >> 32) * 0x9E3779B1u + static_cast<uint32_t>(seed >> 32)));
}

// Bit set of LRN4J_CPU_* features of the running CPU (cpu_features.cpp).
int detect_cpu_features();

// Threads worth starting for `work` units when each thread should get at least `min_per_thread` units,
// so that tiny calls do not pay for waking the OpenMP team.
inline int threads_for(int64_t work, int64_t min_per_thread, int threads) {
  int64_t useful = std::max<int64_t>(1, work / min_per_thread);
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(threads, useful)));
}

#define LRN4J_KERNEL_SET_DECLARATIONS                                                                   \
  void gemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,     \
            const float* b, int64_t ldb, const float* bias, int accumulate, float* c, int64_t ldc,      \
            int threads);                                                                               \
  void col_sum(int64_t m, int64_t n, const float* a, int64_t lda, int accumulate, float* out,           \
               int threads);                                                                            \
  void lrn_scan_forward(int64_t t_len, int64_t batch, int64_t hidden, const float* g, int64_t ldg,      \
                        const float* h0, const int32_t* lengths, int act, int reverse, float* hs,       \
                        int64_t ldh, float* h_last, int threads);                                       \
  void lrn_scan_backward(int64_t t_len, int64_t batch, int64_t hidden, const float* g, int64_t ldg,     \
                         const float* h0, const int32_t* lengths, int act, int reverse,                 \
                         const float* hs, int64_t ldh, const float* dhs, int64_t lddh,                  \
                         const float* dh_last, float* dg, int64_t lddg, float* dh0, int threads);       \
  void cell_step_forward(int cell, int64_t batch, int64_t hidden, int64_t t, const int32_t* lengths,    \
                         const float* gx, int64_t ldgx, const float* gh, int64_t ldgh, const float* bh, \
                         const float* h_prev, int64_t ldhp, const float* c_prev, int64_t ldcp,          \
                         float* h, int64_t ldh, float* c, int64_t ldc, float* last, int64_t ldlast,     \
                         int threads);                                                                  \
  void cell_step_backward(int cell, int64_t batch, int64_t hidden, int64_t t, const int32_t* lengths,   \
                          const float* gx, int64_t ldgx, const float* gh, int64_t ldgh, const float* bh, \
                          const float* h_prev, int64_t ldhp, const float* c_prev, int64_t ldcp,         \
                          const float* c, int64_t ldc, const float* dh_out, int64_t lddo, float* dh,    \
                          int64_t lddh, float* dc, int64_t lddc, float* dgx, int64_t lddgx, float* dgh, \
                          int64_t lddgh, int threads);                                                  \
  void sru_scan_forward(int64_t t_len, int64_t batch, int64_t hidden, int64_t k, const float* u,        \
                        int64_t ldu, const float* x, int64_t ldx, const float* v, const float* bias,    \
                        const float* c0, const int32_t* lengths, int act, int reverse, float* h,        \
                        int64_t ldh, float* c, int64_t ldc, float* c_last, int threads);                \
  void sru_scan_backward(int64_t t_len, int64_t batch, int64_t hidden, int64_t k, const float* u,       \
                         int64_t ldu, const float* x, int64_t ldx, const float* v, const float* bias,   \
                         const float* c0, const int32_t* lengths, int act, int reverse, const float* c, \
                         int64_t ldc, const float* dh, int64_t lddh, const float* dc_last, float* du,   \
                         int64_t lddu, float* dx, int64_t lddx, float* dv, float* dc0, int threads);    \
  void olrn_scan_forward(int64_t t_len, int64_t batch, int64_t hidden, const float* g, int64_t ldg,     \
                         const float* h0, const int32_t* lengths, int act, int reverse, float* hs,      \
                         int64_t ldh, float* cs, int64_t ldc, float* h_last, int threads);              \
  void olrn_scan_backward(int64_t t_len, int64_t batch, int64_t hidden, const float* g, int64_t ldg,    \
                          const float* h0, const int32_t* lengths, int act, int reverse,                \
                          const float* hs, int64_t ldh, const float* cs, int64_t ldc, const float* dhs, \
                          int64_t lddh, const float* dh_last, float* dg, int64_t lddg, float* dh0,      \
                          int threads);                                                                 \
  void layer_norm_forward(int64_t m, int64_t groups, int64_t group_size, const float* x, int64_t ldx,   \
                          const float* gamma, const float* beta, float eps, float* y, int64_t ldy,      \
                          float* mean, float* rstd, int threads);                                       \
  void layer_norm_backward(int64_t m, int64_t groups, int64_t group_size, const float* x, int64_t ldx,  \
                           const float* gamma, const float* mean, const float* rstd, const float* dy,   \
                           int64_t lddy, float* dx, int64_t lddx, float* dgamma, float* dbeta,          \
                           int threads);                                                                \
  void softmax_xent(int64_t m, int64_t n, const float* logits, int64_t ld, const int32_t* targets,      \
                    float scale, float* loss, float* dlogits, int64_t ldd, int threads);                \
  void embedding_gather(int64_t m, int64_t d, const int32_t* ids, const float* table, int64_t rows,       \
                        int64_t ldt, float* out, int64_t ldo, int threads);                             \
  void embedding_scatter_add(int64_t m, int64_t d, const int32_t* ids, const float* dout, int64_t ldo,  \
                             float* dtable, int64_t rows, int64_t ldt, int threads);                     \
  void adam_step(int64_t n, float* p, const float* g, float* m, float* v, float lr, float beta1, float beta2, \
                 float eps, float weight_decay, float grad_scale, float bias_correction1,               \
                 float bias_correction2, int threads);                                                  \
  void sgd_step(int64_t n, float* p, const float* g, float* u, float lr, float momentum,                \
                float weight_decay, float grad_scale, int nesterov, int threads);                       \
  double sum_squares(int64_t n, const float* x, int threads);                                          \
  void dropout(int64_t n, const float* x, float* y, uint64_t seed, uint64_t offset, uint32_t threshold,  \
               float scale, int threads);                                                                \
  void activation_forward(int fn, int64_t n, const float* x, float* y, int threads);                    \
  void activation_backward(int fn, int64_t n, const float* y, const float* dy, float* dx, int threads);

// Reference kernels: plain loops in the order the header's formulas are written, float data with
// double accumulation where a reduction is long (layer norm statistics). Portable C++.
namespace ref {
LRN4J_KERNEL_SET_DECLARATIONS
}  // namespace ref

// AVX2/FMA kernels. Callable only when detect_cpu_features() reports LRN4J_CPU_AVX2.
namespace avx2 {
LRN4J_KERNEL_SET_DECLARATIONS
}  // namespace avx2

// AVX-512F GEMM and LRN/oLRN scans, compiled in their own translation units with -mavx512f -mfma. Callable
// only when detect_cpu_features() reports LRN4J_CPU_AVX512F; the other kernels of that ISA level are the
// AVX2 ones.
namespace avx512 {
void gemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
          int64_t ldb, const float* bias, int accumulate, float* c, int64_t ldc, int threads);
void lrn_scan_forward(int64_t t_len, int64_t batch, int64_t hidden, const float* g, int64_t ldg, const float* h0,
                      const int32_t* lengths, int act, int reverse, float* hs, int64_t ldh, float* h_last,
                      int threads);
void lrn_scan_backward(int64_t t_len, int64_t batch, int64_t hidden, const float* g, int64_t ldg, const float* h0,
                       const int32_t* lengths, int act, int reverse, const float* hs, int64_t ldh, const float* dhs,
                       int64_t lddh, const float* dh_last, float* dg, int64_t lddg, float* dh0, int threads);
void olrn_scan_forward(int64_t t_len, int64_t batch, int64_t hidden, const float* g, int64_t ldg, const float* h0,
                       const int32_t* lengths, int act, int reverse, float* hs, int64_t ldh, float* cs, int64_t ldc,
                       float* h_last, int threads);
void olrn_scan_backward(int64_t t_len, int64_t batch, int64_t hidden, const float* g, int64_t ldg, const float* h0,
                        const int32_t* lengths, int act, int reverse, const float* hs, int64_t ldh, const float* cs,
                        int64_t ldc, const float* dhs, int64_t lddh, const float* dh_last, float* dg, int64_t lddg,
                        float* dh0, int threads);
}  // namespace avx512

#undef LRN4J_KERNEL_SET_DECLARATIONS

// The whole recurrence of one direction of an LSTM, GRU or ATR layer (lrn4j_cell_forward/backward), on
// the kernels of set `isa` (LRN4J_ISA_*: the reference set, the AVX2 set, or the AVX2 set with the
// AVX-512 GEMM) (cell_sequence.cpp).
void cell_sequence_forward(int isa, int cell, int64_t t_len, int64_t batch, int64_t hidden,
                           const int32_t* lengths, int reverse, const float* gx, int64_t ldgx, const float* u,
                           int64_t ldu, const float* bh, const float* h0, int64_t ldh0, const float* c0,
                           int64_t ldc0, float* gh, int64_t ldgh, float* h, int64_t ldh, float* c, int64_t ldc,
                           float* last, int64_t ldlast, int threads);
void cell_sequence_backward(int isa, int cell, int64_t t_len, int64_t batch, int64_t hidden,
                            const int32_t* lengths, int reverse, const float* gx, int64_t ldgx, const float* gh,
                            int64_t ldgh, const float* u, int64_t ldu, const float* bh, const float* h0,
                            int64_t ldh0, const float* c0, int64_t ldc0, const float* h, int64_t ldh,
                            const float* c, int64_t ldc, const float* dh_out, int64_t lddo, float* dh,
                            int64_t lddh, float* dc, int64_t lddc, float* dgx, int64_t lddgx, float* dgh,
                            int64_t lddgh, int threads);

}  // namespace lrn4j

#endif
