// Run-time bridge to the CUDA kernel library (liblrn4j_cuda.so, include/lrn4j/lrn4j_cuda.h). The library
// is opened with dlopen so that this CPU library, and the JNI glue linked against it, load on hosts
// without CUDA. Opening resolves every symbol and checks the ABI version before anything is published;
// the table of entry points is then published once through an atomic pointer, so the forwarding calls
// need no lock. A failed open leaves the bridge closed and may be retried (e.g. with another path).
#include <dlfcn.h>

#include <atomic>
#include <cstdio>
#include <mutex>

#pragma GCC visibility push(default)
#include "lrn4j/lrn4j.h"
#pragma GCC visibility pop
#include "lrn4j/lrn4j_cuda.h"

namespace {

struct CudaApi {
  decltype(&lrn4j_cuda_abi_version) abi_version;
  decltype(&lrn4j_cuda_gemm) gemm;
  decltype(&lrn4j_cuda_col_sum) col_sum;
  decltype(&lrn4j_cuda_lrn_scan_forward) lrn_scan_forward;
  decltype(&lrn4j_cuda_lrn_scan_backward) lrn_scan_backward;
  decltype(&lrn4j_cuda_cell_step_forward) cell_step_forward;
  decltype(&lrn4j_cuda_cell_step_backward) cell_step_backward;
  decltype(&lrn4j_cuda_sru_scan_forward) sru_scan_forward;
  decltype(&lrn4j_cuda_sru_scan_backward) sru_scan_backward;
  decltype(&lrn4j_cuda_olrn_scan_forward) olrn_scan_forward;
  decltype(&lrn4j_cuda_olrn_scan_backward) olrn_scan_backward;
  decltype(&lrn4j_cuda_layer_norm_forward) layer_norm_forward;
  decltype(&lrn4j_cuda_layer_norm_backward) layer_norm_backward;
  decltype(&lrn4j_cuda_softmax_xent) softmax_xent;
  decltype(&lrn4j_cuda_embedding_gather) embedding_gather;
  decltype(&lrn4j_cuda_embedding_scatter_add) embedding_scatter_add;
  decltype(&lrn4j_cuda_adam_step) adam_step;
  decltype(&lrn4j_cuda_sgd_step) sgd_step;
  decltype(&lrn4j_cuda_sum_squares) sum_squares;
  decltype(&lrn4j_cuda_dropout) dropout;
  decltype(&lrn4j_cuda_activation_forward) activation_forward;
  decltype(&lrn4j_cuda_activation_backward) activation_backward;
};

// The resolved table lives as long as the process (the library is never closed once open).
CudaApi g_api;
std::atomic<const CudaApi*> g_open{nullptr};
std::mutex g_open_mutex;
// Why the last open failed; a fixed buffer so that the pointer handed out stays valid.
char g_error[1024] = "CUDA bridge not opened";

template <class F>
bool resolve(void* handle, const char* name, F& out) {
  out = reinterpret_cast<F>(dlsym(handle, name));
  if (!out) std::snprintf(g_error, sizeof g_error, "missing symbol %s in the CUDA library", name);
  return out != nullptr;
}

}  // namespace

extern "C" {

int lrn4j_cuda_bridge_open(const char* path) {
  std::lock_guard<std::mutex> lock(g_open_mutex);
  if (g_open.load(std::memory_order_acquire)) return 0;
  void* handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = dlerror();
    std::snprintf(g_error, sizeof g_error, "dlopen(%s) failed: %s", path ? path : "NULL", why ? why : "unknown");
    return -1;
  }
  CudaApi api{};
  const bool ok = resolve(handle, "lrn4j_cuda_abi_version", api.abi_version) &&
                  resolve(handle, "lrn4j_cuda_gemm", api.gemm) &&
                  resolve(handle, "lrn4j_cuda_col_sum", api.col_sum) &&
                  resolve(handle, "lrn4j_cuda_lrn_scan_forward", api.lrn_scan_forward) &&
                  resolve(handle, "lrn4j_cuda_lrn_scan_backward", api.lrn_scan_backward) &&
                  resolve(handle, "lrn4j_cuda_cell_step_forward", api.cell_step_forward) &&
                  resolve(handle, "lrn4j_cuda_cell_step_backward", api.cell_step_backward) &&
                  resolve(handle, "lrn4j_cuda_sru_scan_forward", api.sru_scan_forward) &&
                  resolve(handle, "lrn4j_cuda_sru_scan_backward", api.sru_scan_backward) &&
                  resolve(handle, "lrn4j_cuda_olrn_scan_forward", api.olrn_scan_forward) &&
                  resolve(handle, "lrn4j_cuda_olrn_scan_backward", api.olrn_scan_backward) &&
                  resolve(handle, "lrn4j_cuda_layer_norm_forward", api.layer_norm_forward) &&
                  resolve(handle, "lrn4j_cuda_layer_norm_backward", api.layer_norm_backward) &&
                  resolve(handle, "lrn4j_cuda_softmax_xent", api.softmax_xent) &&
                  resolve(handle, "lrn4j_cuda_embedding_gather", api.embedding_gather) &&
                  resolve(handle, "lrn4j_cuda_embedding_scatter_add", api.embedding_scatter_add) &&
                  resolve(handle, "lrn4j_cuda_adam_step", api.adam_step) &&
                  resolve(handle, "lrn4j_cuda_sgd_step", api.sgd_step) &&
                  resolve(handle, "lrn4j_cuda_sum_squares", api.sum_squares) &&
                  resolve(handle, "lrn4j_cuda_dropout", api.dropout) &&
                  resolve(handle, "lrn4j_cuda_activation_forward", api.activation_forward) &&
                  resolve(handle, "lrn4j_cuda_activation_backward", api.activation_backward);
  if (!ok) {
    dlclose(handle);
    return -1;
  }
  const int version = api.abi_version();
  if (version != LRN4J_ABI_VERSION) {
    std::snprintf(g_error, sizeof g_error, "CUDA library %s has ABI version %d, this library needs %d", path,
                  version, LRN4J_ABI_VERSION);
    dlclose(handle);
    return -1;
  }
  g_api = api;
  g_error[0] = '\0';
  g_open.store(&g_api, std::memory_order_release);
  return 0;
}

const char* lrn4j_cuda_bridge_error(void) {
  std::lock_guard<std::mutex> lock(g_open_mutex);
  return g_error;
}

int lrn4j_cudab_gemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                     const float* b, int64_t ldb, const float* bias, int accumulate, float* c, int64_t ldc,
                     void* stream) {
  const CudaApi* api = g_open.load(std::memory_order_acquire);
  return api ? api->gemm(trans_a, trans_b, m, n, k, a, lda, b, ldb, bias, accumulate, c, ldc, stream) : -1;
}

int lrn4j_cudab_col_sum(int64_t m, int64_t n, const float* a, int64_t lda, int accumulate, float* out,
                        void* stream) {
  const CudaApi* api = g_open.load(std::memory_order_acquire);
  return api ? api->col_sum(m, n, a, lda, accumulate, out, stream) : -1;
}

int lrn4j_cudab_lrn_scan_forward(int64_t t_len, int64_t batch, int64_t hidden, const float* g, int64_t ldg,
                                 const float* h0, const int32_t* lengths, int act, int reverse, float* hs,
                                 int64_t ldh, float* h_last, void* stream) {
  const CudaApi* api = g_open.load(std::memory_order_acquire);
  return api ? api->lrn_scan_forward(t_len, batch, hidden, g, ldg, h0, lengths, act, reverse, hs, ldh, h_last,
                                     stream)
             : -1;
}

int lrn4j_cudab_lrn_scan_backward(int64_t t_len, int64_t batch, int64_t hidden, const float* g, int64_t ldg,
                                  const float* h0, const int32_t* lengths, int act, int reverse,
                                  const float* hs, int64_t ldh, const float* dhs, int64_t lddh,
                                  const float* dh_last, float* dg, int64_t lddg, float* dh0, void* stream) {
  const CudaApi* api = g_open.load(std::memory_order_acquire);
  return api ? api->lrn_scan_backward(t_len, batch, hidden, g, ldg, h0, lengths, act, reverse, hs, ldh, dhs,
                                      lddh, dh_last, dg, lddg, dh0, stream)
             : -1;
}

int lrn4j_cudab_cell_step_forward(int cell, int64_t batch, int64_t hidden, int64_t t, const int32_t* lengths,
                                  const float* gx, int64_t ldgx, const float* gh, int64_t ldgh, const float* bh,
                                  const float* h_prev, int64_t ldhp, const float* c_prev, int64_t ldcp, float* h,
                                  int64_t ldh, float* c, int64_t ldc, float* last, int64_t ldlast, void* stream) {
  const CudaApi* api = g_open.load(std::memory_order_acquire);
  return api ? api->cell_step_forward(cell, batch, hidden, t, lengths, gx, ldgx, gh, ldgh, bh, h_prev, ldhp, c_prev,
                                      ldcp, h, ldh, c, ldc, last, ldlast, stream)
             : -1;
}

int lrn4j_cudab_cell_step_backward(int cell, int64_t batch, int64_t hidden, int64_t t, const int32_t* lengths,
                                   const float* gx, int64_t ldgx, const float* gh, int64_t ldgh, const float* bh,
                                   const float* h_prev, int64_t ldhp, const float* c_prev, int64_t ldcp,
                                   const float* c, int64_t ldc, const float* dh_out, int64_t lddo, float* dh,
                                   int64_t lddh, float* dc, int64_t lddc, float* dgx, int64_t lddgx, float* dgh,
                                   int64_t lddgh, void* stream) {
  const CudaApi* api = g_open.load(std::memory_order_acquire);
  return api ? api->cell_step_backward(cell, batch, hidden, t, lengths, gx, ldgx, gh, ldgh, bh, h_prev, ldhp, c_prev,
                                       ldcp, c, ldc, dh_out, lddo, dh, lddh, dc, lddc, dgx, lddgx, dgh, lddgh, stream)
             : -1;
}

int lrn4j_cudab_sru_scan_forward(int64_t t_len, int64_t batch, int64_t hidden, int64_t k, const float* u,
                                 int64_t ldu, const float* x, int64_t ldx, const float* v, const float* bias,
                                 const float* c0, const int32_t* lengths, int act, int reverse, float* h, int64_t ldh,
                                 float* c, int64_t ldc, float* c_last, void* stream) {
  const CudaApi* api = g_open.load(std::memory_order_acquire);
  return api ? api->sru_scan_forward(t_len, batch, hidden, k, u, ldu, x, ldx, v, bias, c0, lengths, act, reverse, h,
                                     ldh, c, ldc, c_last, stream)
             : -1;
}

int lrn4j_cudab_sru_scan_backward(int64_t t_len, int64_t batch, int64_t hidden, int64_t k, const float* u,
                                  int64_t ldu, const float* x, int64_t ldx, const float* v, const float* bias,
                                  const float* c0, const int32_t* lengths, int act, int reverse, const float* c,
                                  int64_t ldc, const float* dh, int64_t lddh, const float* dc_last, float* du,
                                  int64_t lddu, float* dx, int64_t lddx, float* dv, float* dc0, void* stream) {
  const CudaApi* api = g_open.load(std::memory_order_acquire);
  return api ? api->sru_scan_backward(t_len, batch, hidden, k, u, ldu, x, ldx, v, bias, c0, lengths, act, reverse, c,
                                      ldc, dh, lddh, dc_last, du, lddu, dx, lddx, dv, dc0, stream)
             : -1;
}

int lrn4j_cudab_olrn_scan_forward(int64_t t_len, int64_t batch, int64_t hidden, const float* g, int64_t ldg,
                                  const float* h0, const int32_t* lengths, int act, int reverse, float* hs,
                                  int64_t ldh, float* cs, int64_t ldc, float* h_last, void* stream) {
  const CudaApi* api = g_open.load(std::memory_order_acquire);
  return api ? api->olrn_scan_forward(t_len, batch, hidden, g, ldg, h0, lengths, act, reverse, hs, ldh, cs, ldc,
                                      h_last, stream)
             : -1;
}

int lrn4j_cudab_olrn_scan_backward(int64_t t_len, int64_t batch, int64_t hidden, const float* g, int64_t ldg,
                                   const float* h0, const int32_t* lengths, int act, int reverse, const float* hs,
                                   int64_t ldh, const float* cs, int64_t ldc, const float* dhs, int64_t lddh,
                                   const float* dh_last, float* dg, int64_t lddg, float* dh0, void* stream) {
  const CudaApi* api = g_open.load(std::memory_order_acquire);
  return api ? api->olrn_scan_backward(t_len, batch, hidden, g, ldg, h0, lengths, act, reverse, hs, ldh, cs, ldc,
                                       dhs, lddh, dh_last, dg, lddg, dh0, stream)
             : -1;
}

int lrn4j_cudab_layer_norm_forward(int64_t m, int64_t groups, int64_t group_size, const float* x, int64_t ldx,
                                   const float* gamma, const float* beta, float eps, float* y, int64_t ldy,
                                   float* mean, float* rstd, void* stream) {
  const CudaApi* api = g_open.load(std::memory_order_acquire);
  return api ? api->layer_norm_forward(m, groups, group_size, x, ldx, gamma, beta, eps, y, ldy, mean, rstd,
                                       stream)
             : -1;
}

int lrn4j_cudab_layer_norm_backward(int64_t m, int64_t groups, int64_t group_size, const float* x, int64_t ldx,
                                    const float* gamma, const float* mean, const float* rstd, const float* dy,
                                    int64_t lddy, float* dx, int64_t lddx, float* dgamma, float* dbeta,
                                    void* stream) {
  const CudaApi* api = g_open.load(std::memory_order_acquire);
  return api ? api->layer_norm_backward(m, groups, group_size, x, ldx, gamma, mean, rstd, dy, lddy, dx, lddx,
                                        dgamma, dbeta, stream)
             : -1;
}

}  // extern "C"

int lrn4j_cudab_softmax_xent(int64_t m, int64_t n, const float* logits, int64_t ld, const int32_t* targets,
                             float scale, float* loss, float* dlogits, int64_t ldd, void* stream) {
  const CudaApi* api = g_open.load(std::memory_order_acquire);
  return api ? api->softmax_xent(m, n, logits, ld, targets, scale, loss, dlogits, ldd, stream) : -1;
}

int lrn4j_cudab_embedding_gather(int64_t m, int64_t d, const int32_t* ids, const float* table, int64_t rows,
                                 int64_t ldt, float* out, int64_t ldo, void* stream) {
  const CudaApi* api = g_open.load(std::memory_order_acquire);
  return api ? api->embedding_gather(m, d, ids, table, rows, ldt, out, ldo, stream) : -1;
}

int lrn4j_cudab_embedding_scatter_add(int64_t m, int64_t d, const int32_t* ids, const float* dout, int64_t ldo,
                                      float* dtable, int64_t rows, int64_t ldt, void* stream) {
  const CudaApi* api = g_open.load(std::memory_order_acquire);
  return api ? api->embedding_scatter_add(m, d, ids, dout, ldo, dtable, rows, ldt, stream) : -1;
}

int lrn4j_cudab_adam_step(int64_t n, float* p, const float* g, float* m, float* v, float lr, float beta1,
                          float beta2, float eps, float weight_decay, float grad_scale, float bias_correction1,
                          float bias_correction2, void* stream) {
  const CudaApi* api = g_open.load(std::memory_order_acquire);
  return api ? api->adam_step(n, p, g, m, v, lr, beta1, beta2, eps, weight_decay, grad_scale, bias_correction1,
                              bias_correction2, stream)
             : -1;
}

int lrn4j_cudab_dropout(int64_t n, const float* x, float* y, uint64_t seed, uint64_t offset, uint32_t threshold,
                        float scale, void* stream) {
  const CudaApi* api = g_open.load(std::memory_order_acquire);
  return api ? api->dropout(n, x, y, seed, offset, threshold, scale, stream) : -1;
}

int lrn4j_cudab_activation_forward(int fn, int64_t n, const float* x, float* y, void* stream) {
  const CudaApi* api = g_open.load(std::memory_order_acquire);
  return api ? api->activation_forward(fn, n, x, y, stream) : -1;
}

int lrn4j_cudab_activation_backward(int fn, int64_t n, const float* y, const float* dy, float* dx, void* stream) {
  const CudaApi* api = g_open.load(std::memory_order_acquire);
  return api ? api->activation_backward(fn, n, y, dy, dx, stream) : -1;
}

int lrn4j_cudab_sgd_step(int64_t n, float* p, const float* g, float* u, float lr, float momentum, float weight_decay,
                         float grad_scale, int nesterov, void* stream) {
  const CudaApi* api = g_open.load(std::memory_order_acquire);
  return api ? api->sgd_step(n, p, g, u, lr, momentum, weight_decay, grad_scale, nesterov, stream) : -1;
}

int lrn4j_cudab_sum_squares(int64_t n, const float* x, double* out, void* stream) {
  const CudaApi* api = g_open.load(std::memory_order_acquire);
  return api ? api->sum_squares(n, x, out, stream) : -1;
}
