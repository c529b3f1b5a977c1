/*
 * lrn4j CUDA kernel ABI (plain C), exported by liblrn4j_cuda.so.
 *
 * Every function has the meaning, layouts, NULL conventions and determinism guarantees of the CPU
 * function of the same name in lrn4j.h (lrn4j_cuda_gemm <-> lrn4j_gemm, ...), with these differences:
 *  - every pointer is a device pointer (cudaMalloc'd by the caller, or an offset into such memory);
 *  - `stream` is a cudaStream_t passed as void* (NULL = the legacy default stream); kernels are only
 *    enqueued on it, the call does not synchronize, and no memory is allocated or freed;
 *  - the return value is cudaGetLastError() after enqueueing, 0 = success: the launch's error, or an
 *    earlier error still pending on the calling host thread (which it clears);
 *  - the long sums have orders of their own, fixed by the sizes alone (never by the GPU or the launch), so
 *    results are bit-identical from run to run but differ from the CPU's by rounding: lrn4j_cuda_gemm cuts K
 *    into at most 8 contiguous slices, sums each from 0 and adds the slice sums left to right (cuda/gemm.cu);
 *    lrn4j_cuda_col_sum sums the rows in 128 interleaved lanes whose sums meet in a fixed pairwise tree
 *    (cuda/col_sum.cu).
 * The library is linked against the shared CUDA runtime (libcudart.so) so that it shares one runtime
 * with the JavaCPP CUDA presets that allocate the memory and create the streams.
 */
#ifndef LRN4J_LRN4J_CUDA_H
#define LRN4J_LRN4J_CUDA_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* LRN4J_ABI_VERSION of lrn4j.h that this library was built with. */
int lrn4j_cuda_abi_version(void);

int lrn4j_cuda_gemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                    const float* a, int64_t lda, const float* b, int64_t ldb,
                    const float* bias, int accumulate, float* c, int64_t ldc, void* stream);

int lrn4j_cuda_col_sum(int64_t m, int64_t n, const float* a, int64_t lda, int accumulate, float* out,
                       void* stream);

int lrn4j_cuda_lrn_scan_forward(int64_t t_len, int64_t batch, int64_t hidden,
                                const float* g, int64_t ldg, const float* h0, const int32_t* lengths,
                                int act, int reverse, float* hs, int64_t ldh, float* h_last, void* stream);

int lrn4j_cuda_lrn_scan_backward(int64_t t_len, int64_t batch, int64_t hidden,
                                 const float* g, int64_t ldg, const float* h0, const int32_t* lengths,
                                 int act, int reverse, const float* hs, int64_t ldh,
                                 const float* dhs, int64_t lddh, const float* dh_last,
                                 float* dg, int64_t lddg, float* dh0, void* stream);

int lrn4j_cuda_cell_step_forward(int cell, int64_t batch, int64_t hidden, int64_t t, const int32_t* lengths,
                                 const float* gx, int64_t ldgx, const float* gh, int64_t ldgh, const float* bh,
                                 const float* h_prev, int64_t ldhp, const float* c_prev, int64_t ldcp,
                                 float* h, int64_t ldh, float* c, int64_t ldc, float* last, int64_t ldlast,
                                 void* stream);

int lrn4j_cuda_cell_step_backward(int cell, int64_t batch, int64_t hidden, int64_t t, const int32_t* lengths,
                                  const float* gx, int64_t ldgx, const float* gh, int64_t ldgh, const float* bh,
                                  const float* h_prev, int64_t ldhp, const float* c_prev, int64_t ldcp,
                                  const float* c, int64_t ldc, const float* dh_out, int64_t lddo,
                                  float* dh, int64_t lddh, float* dc, int64_t lddc,
                                  float* dgx, int64_t lddgx, float* dgh, int64_t lddgh, void* stream);

int lrn4j_cuda_sru_scan_forward(int64_t t_len, int64_t batch, int64_t hidden, int64_t k,
                                const float* u, int64_t ldu, const float* x, int64_t ldx,
                                const float* v, const float* bias, const float* c0, const int32_t* lengths,
                                int act, int reverse, float* h, int64_t ldh, float* c, int64_t ldc, float* c_last,
                                void* stream);

int lrn4j_cuda_sru_scan_backward(int64_t t_len, int64_t batch, int64_t hidden, int64_t k,
                                 const float* u, int64_t ldu, const float* x, int64_t ldx,
                                 const float* v, const float* bias, const float* c0, const int32_t* lengths,
                                 int act, int reverse, const float* c, int64_t ldc,
                                 const float* dh, int64_t lddh, const float* dc_last,
                                 float* du, int64_t lddu, float* dx, int64_t lddx, float* dv, float* dc0,
                                 void* stream);

int lrn4j_cuda_olrn_scan_forward(int64_t t_len, int64_t batch, int64_t hidden,
                                 const float* g, int64_t ldg, const float* h0, const int32_t* lengths,
                                 int act, int reverse, float* hs, int64_t ldh, float* cs, int64_t ldc,
                                 float* h_last, void* stream);

int lrn4j_cuda_olrn_scan_backward(int64_t t_len, int64_t batch, int64_t hidden,
                                  const float* g, int64_t ldg, const float* h0, const int32_t* lengths,
                                  int act, int reverse, const float* hs, int64_t ldh, const float* cs, int64_t ldc,
                                  const float* dhs, int64_t lddh, const float* dh_last,
                                  float* dg, int64_t lddg, float* dh0, void* stream);

int lrn4j_cuda_layer_norm_forward(int64_t m, int64_t groups, int64_t group_size,
                                  const float* x, int64_t ldx, const float* gamma, const float* beta,
                                  float eps, float* y, int64_t ldy, float* mean, float* rstd, void* stream);

int lrn4j_cuda_layer_norm_backward(int64_t m, int64_t groups, int64_t group_size,
                                   const float* x, int64_t ldx, const float* gamma,
                                   const float* mean, const float* rstd,
                                   const float* dy, int64_t lddy, float* dx, int64_t lddx,
                                   float* dgamma, float* dbeta, void* stream);

int lrn4j_cuda_softmax_xent(int64_t m, int64_t n, const float* logits, int64_t ld, const int32_t* targets,
                            float scale, float* loss, float* dlogits, int64_t ldd, void* stream);

int lrn4j_cuda_embedding_gather(int64_t m, int64_t d, const int32_t* ids, const float* table, int64_t rows,
                                int64_t ldt, float* out, int64_t ldo, void* stream);

int lrn4j_cuda_embedding_scatter_add(int64_t m, int64_t d, const int32_t* ids, const float* dout, int64_t ldo,
                                     float* dtable, int64_t rows, int64_t ldt, void* stream);

int lrn4j_cuda_dropout(int64_t n, const float* x, float* y, uint64_t seed, uint64_t offset, uint32_t threshold,
                       float scale, void* stream);
/* lrn4j_activation_forward / lrn4j_activation_backward on the device (tanhf and expf: within a few
 * float ulps of the CPU reference). */
int lrn4j_cuda_activation_forward(int fn, int64_t n, const float* x, float* y, void* stream);
int lrn4j_cuda_activation_backward(int fn, int64_t n, const float* y, const float* dy, float* dx, void* stream);

int lrn4j_cuda_adam_step(int64_t n, float* p, const float* g, float* m, float* v, float lr, float beta1,
                         float beta2, float eps, float weight_decay, float grad_scale, float bias_correction1,
                         float bias_correction2, void* stream);

int lrn4j_cuda_sgd_step(int64_t n, float* p, const float* g, float* u, float lr, float momentum, float weight_decay,
                        float grad_scale, int nesterov, void* stream);

/* Writes the sum of squares (lrn4j_sum_squares) to *out, one double in device memory. The CUDA version
 * sums in a fixed order of its own (one block, fixed strides and tree), deterministic but not equal in
 * rounding to the CPU one. */
int lrn4j_cuda_sum_squares(int64_t n, const float* x, double* out, void* stream);

#ifdef __cplusplus
}
#endif

#endif /* LRN4J_LRN4J_CUDA_H */
