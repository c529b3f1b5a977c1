// Parity of the CUDA kernels (lrn4j_cuda.h) with the CPU scalar reference (lrn4j.h) on random data.
// Every device output starts as the same poisoned (NaN) or random buffer as the reference output, so an
// element a kernel forgets to write, or reads when it must not, fails. Strided outputs are compared on
// their logical region with abs + rel*|ref| (abs widened with the reduction length), and the elements
// between rows must come back bit-for-bit untouched. Exits 77 (skipped) where no CUDA device is usable.
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "harness.h"
#include "lrn4j/lrn4j.h"
#include "lrn4j/lrn4j_cuda.h"

namespace {

using harness::Checker;
using harness::poisoned;
using harness::random_vec;

// A CUDA failure is not a mismatch: the test cannot go on, so it reports the call and exits 1.
void check_cuda(int err, const char* call, int line) {
  if (err != cudaSuccess) {
    std::fprintf(stderr, "CUDA error at line %d: %s: %s\n", line, call,
                 cudaGetErrorString(static_cast<cudaError_t>(err)));
    std::exit(1);
  }
}
#define CUDA_OK(call) check_cuda(static_cast<int>(call), #call, __LINE__)

// A device copy of a host vector; owns the allocation.
template <class T>
class DeviceBuffer {
 public:
  explicit DeviceBuffer(const std::vector<T>& host) : n_(host.size()) {
    CUDA_OK(cudaMalloc(&p_, std::max<size_t>(n_, 1) * sizeof(T)));
    if (n_ > 0) CUDA_OK(cudaMemcpy(p_, host.data(), n_ * sizeof(T), cudaMemcpyHostToDevice));
  }
  ~DeviceBuffer() { CUDA_OK(cudaFree(p_)); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  T* get() const { return p_; }
  // The buffer, or NULL when the argument is to be omitted.
  T* get_if(bool present) const { return present ? p_ : nullptr; }

  std::vector<T> download() const {
    std::vector<T> host(n_);
    if (n_ > 0) CUDA_OK(cudaMemcpy(host.data(), p_, n_ * sizeof(T), cudaMemcpyDeviceToHost));
    return host;
  }

 private:
  size_t n_;
  T* p_ = nullptr;
};

struct Tol {
  double abs;
  double rel;
};

const float* data_if(const std::vector<float>& v, bool present) { return present ? v.data() : nullptr; }
float* data_if(std::vector<float>& v, bool present) { return present ? v.data() : nullptr; }

// Compares the rows x cols view (row stride ld) of got with want, and checks that columns [cols, ld) of each
// row are bitwise what the buffer held before the call (`before`).
void check_matrix(Checker& ck, const std::string& what, const std::vector<float>& before,
                  const std::vector<float>& got, const std::vector<float>& want, int64_t rows, int64_t cols,
                  int64_t ld, Tol tol) {
  std::vector<float> g(static_cast<size_t>(rows * cols));
  std::vector<float> w(g.size());
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      g[r * cols + c] = got[r * ld + c];
      w[r * cols + c] = want[r * ld + c];
    }
    for (int64_t c = cols; c < ld; ++c) {
      if (std::memcmp(&got[r * ld + c], &before[r * ld + c], sizeof(float)) != 0) {
        ++ck.failures;
        if (ck.printed++ < 10) {
          std::fprintf(stderr, "OVERWRITE %s: row %lld column %lld beyond the view was written\n", what.c_str(),
                       static_cast<long long>(r), static_cast<long long>(c));
        }
        return;
      }
    }
  }
  ck.close(what.c_str(), g.data(), w.data(), g.size(), tol.abs, tol.rel);
}

// Two results that must be the same bits (repeated calls, or one row block computed inside two problem sizes).
void check_bits(Checker& ck, const std::string& what, const float* got, const float* want, size_t count) {
  if (count > 0 && std::memcmp(got, want, count * sizeof(float)) != 0) {
    ++ck.failures;
    if (ck.printed++ < 10) std::fprintf(stderr, "NOT BIT-IDENTICAL %s\n", what.c_str());
  }
}

class CudaParity {
 public:
  CudaParity() : rng_(20240611) { CUDA_OK(cudaStreamCreate(&stream_)); }
  ~CudaParity() { CUDA_OK(cudaStreamDestroy(stream_)); }
  CudaParity(const CudaParity&) = delete;
  CudaParity& operator=(const CudaParity&) = delete;

  Checker ck;

  void gemm(int ta, int tb, int64_t m, int64_t n, int64_t k, int64_t pad, bool with_bias, int accumulate) {
    const int64_t a_rows = ta ? k : m, a_cols = ta ? m : k;
    const int64_t b_rows = tb ? n : k, b_cols = tb ? k : n;
    const int64_t lda = a_cols + pad, ldb = b_cols + 2 * pad, ldc = n + 3 * pad;
    const auto a = random_vec(static_cast<size_t>(a_rows * lda), rng_);
    const auto b = random_vec(static_cast<size_t>(b_rows * ldb), rng_);
    const auto bias = random_vec(static_cast<size_t>(n), rng_);
    const auto c0 =
        accumulate ? random_vec(static_cast<size_t>(m * ldc), rng_) : poisoned(static_cast<size_t>(m * ldc));

    auto want = c0;
    lrn4j_gemm(ta, tb, m, n, k, a.data(), lda, b.data(), ldb, data_if(bias, with_bias), accumulate, want.data(),
               ldc);

    DeviceBuffer<float> dev_a(a), dev_b(b), dev_bias(bias), dev_c(c0), dev_c_again(c0);
    CUDA_OK(lrn4j_cuda_gemm(ta, tb, m, n, k, dev_a.get(), lda, dev_b.get(), ldb, dev_bias.get_if(with_bias),
                            accumulate, dev_c.get(), ldc, stream_));
    CUDA_OK(lrn4j_cuda_gemm(ta, tb, m, n, k, dev_a.get(), lda, dev_b.get(), ldb, dev_bias.get_if(with_bias),
                            accumulate, dev_c_again.get(), ldc, stream_));
    CUDA_OK(cudaStreamSynchronize(stream_));

    char what[160];
    std::snprintf(what, sizeof what, "gemm ta=%d tb=%d m=%lld n=%lld k=%lld pad=%lld bias=%d acc=%d", ta, tb,
                  static_cast<long long>(m), static_cast<long long>(n), static_cast<long long>(k),
                  static_cast<long long>(pad), with_bias, accumulate);
    const auto got = dev_c.download();
    check_matrix(ck, what, c0, got, want, m, n, ldc, {1e-6 * static_cast<double>(k + 1), 1e-5});
    check_bits(ck, std::string(what) + " repeated", dev_c_again.download().data(), got.data(), got.size());
  }

  // The GEMM's summation order depends on K alone: rows [0, m_small) of C must be the same bits whether the
  // problem has m_small or m_big rows. With few tiles (m_small) the long K is split over blocks, with many
  // (m_big) each block walks all of it, so this compares the two ways of walking K bit for bit.
  void gemm_rows_independent_of_m(int ta, int tb, int64_t m_small, int64_t m_big, int64_t n, int64_t k) {
    const int64_t a_rows = ta ? k : m_big, a_cols = ta ? m_big : k;
    const int64_t b_rows = tb ? n : k, b_cols = tb ? k : n;
    const auto a = random_vec(static_cast<size_t>(a_rows * a_cols), rng_);
    const auto b = random_vec(static_cast<size_t>(b_rows * b_cols), rng_);
    const auto bias = random_vec(static_cast<size_t>(n), rng_);
    const auto c0 = random_vec(static_cast<size_t>(m_big * n), rng_);

    // The small problem is a view of the big one's A: its first m_small rows (or columns, transposed).
    DeviceBuffer<float> dev_a(a), dev_b(b), dev_bias(bias), dev_small(c0), dev_big(c0);
    CUDA_OK(lrn4j_cuda_gemm(ta, tb, m_small, n, k, dev_a.get(), a_cols, dev_b.get(), b_cols, dev_bias.get(), 1,
                            dev_small.get(), n, stream_));
    CUDA_OK(lrn4j_cuda_gemm(ta, tb, m_big, n, k, dev_a.get(), a_cols, dev_b.get(), b_cols, dev_bias.get(), 1,
                            dev_big.get(), n, stream_));
    CUDA_OK(cudaStreamSynchronize(stream_));

    char what[160];
    std::snprintf(what, sizeof what, "gemm ta=%d tb=%d rows of m=%lld inside m=%lld n=%lld k=%lld", ta, tb,
                  static_cast<long long>(m_small), static_cast<long long>(m_big), static_cast<long long>(n),
                  static_cast<long long>(k));
    const auto small = dev_small.download();
    const auto big = dev_big.download();
    check_bits(ck, what, small.data(), big.data(), static_cast<size_t>(m_small * n));
    // The rows beyond m_small were C0 + product in the big problem and are untouched in the small one.
    check_bits(ck, std::string(what) + " (rows beyond the view)", small.data() + m_small * n,
               c0.data() + m_small * n, static_cast<size_t>((m_big - m_small) * n));
  }

  void col_sum(int64_t m, int64_t n, int64_t pad, int accumulate) {
    const int64_t lda = n + pad;
    const auto a = random_vec(static_cast<size_t>(m * lda), rng_);
    const auto out0 = accumulate ? random_vec(static_cast<size_t>(n), rng_) : poisoned(static_cast<size_t>(n));

    auto want = out0;
    lrn4j_col_sum(m, n, a.data(), lda, accumulate, want.data());

    // This kernel runs on the legacy default stream (NULL), the others on a created stream.
    DeviceBuffer<float> dev_a(a), dev_out(out0), dev_out_again(out0);
    CUDA_OK(lrn4j_cuda_col_sum(m, n, dev_a.get(), lda, accumulate, dev_out.get(), nullptr));
    CUDA_OK(lrn4j_cuda_col_sum(m, n, dev_a.get(), lda, accumulate, dev_out_again.get(), nullptr));
    CUDA_OK(cudaStreamSynchronize(nullptr));

    char what[120];
    std::snprintf(what, sizeof what, "col_sum m=%lld n=%lld pad=%lld acc=%d", static_cast<long long>(m),
                  static_cast<long long>(n), static_cast<long long>(pad), accumulate);
    const auto got = dev_out.download();
    check_matrix(ck, what, out0, got, want, 1, n, n, {1e-6 * static_cast<double>(m + 1), 1e-5});
    check_bits(ck, std::string(what) + " repeated", dev_out_again.download().data(), got.data(), got.size());
  }

  // Forward, then backward fed with the reference forward states, so each is compared on equal inputs.
  // `variant` (0..11) selects the optional arguments: h_last, dhs, dh_last and dh0 are each NULL in some.
  void scan(int64_t t_len, int64_t batch, int64_t hidden, int act, int reverse, bool ragged, bool with_h0,
            int64_t pad, int variant) {
    const int64_t ldg = 3 * hidden + pad, ldh = hidden + 2 * pad, lddh = hidden + 3 * pad, lddg = 3 * hidden + pad;
    const int64_t rows = t_len * batch;
    const auto g = random_vec(static_cast<size_t>(rows * ldg), rng_, -2.0f, 2.0f);
    const auto h0 = random_vec(static_cast<size_t>(batch * hidden), rng_);
    std::vector<int32_t> lengths(static_cast<size_t>(batch));
    std::uniform_int_distribution<int32_t> len_dist(1, static_cast<int32_t>(t_len));
    for (auto& l : lengths) l = len_dist(rng_);
    if (batch >= 2) {
      lengths[0] = static_cast<int32_t>(t_len);
      lengths[1] = 1;
    } else {
      lengths[0] = static_cast<int32_t>((t_len + 1) / 2);
    }
    const bool with_h_last = variant % 3 != 2;
    const bool with_dhs = variant % 4 != 1;
    const bool with_dh_last = variant % 4 == 0 || variant % 4 == 1;
    const bool with_dh0 = variant % 4 != 2;

    char what[200];
    std::snprintf(what, sizeof what, "T=%lld B=%lld H=%lld act=%d reverse=%d ragged=%d h0=%d pad=%lld variant=%d",
                  static_cast<long long>(t_len), static_cast<long long>(batch), static_cast<long long>(hidden), act,
                  reverse, ragged, with_h0, static_cast<long long>(pad), variant);
    const std::string ctx(what);
    // Rounding differences of expf/tanhf grow (slowly) along the recurrence.
    const Tol tol{2e-5 + 2e-6 * static_cast<double>(t_len), 1e-4};

    const auto hs0 = poisoned(static_cast<size_t>(rows * ldh));
    const auto h_last0 = poisoned(static_cast<size_t>(batch * hidden));
    auto hs_want = hs0;
    auto h_last_want = h_last0;
    lrn4j_lrn_scan_forward(t_len, batch, hidden, g.data(), ldg, data_if(h0, with_h0),
                           ragged ? lengths.data() : nullptr, act, reverse, hs_want.data(), ldh,
                           data_if(h_last_want, with_h_last));

    DeviceBuffer<float> dev_g(g), dev_h0(h0), dev_hs(hs0), dev_h_last(h_last0);
    DeviceBuffer<int32_t> dev_lengths(lengths);
    CUDA_OK(lrn4j_cuda_lrn_scan_forward(t_len, batch, hidden, dev_g.get(), ldg, dev_h0.get_if(with_h0),
                                        dev_lengths.get_if(ragged), act, reverse, dev_hs.get(), ldh,
                                        dev_h_last.get_if(with_h_last), stream_));
    CUDA_OK(cudaStreamSynchronize(stream_));
    check_matrix(ck, "scan_forward hs " + ctx, hs0, dev_hs.download(), hs_want, rows, hidden, ldh, tol);
    if (with_h_last) {
      check_matrix(ck, "scan_forward h_last " + ctx, h_last0, dev_h_last.download(), h_last_want, 1,
                   batch * hidden, batch * hidden, tol);
    }

    const auto grad_hs = random_vec(static_cast<size_t>(rows * lddh), rng_);
    const auto grad_h_last = random_vec(static_cast<size_t>(batch * hidden), rng_);
    const auto dgates0 = poisoned(static_cast<size_t>(rows * lddg));
    const auto dh00 = poisoned(static_cast<size_t>(batch * hidden));
    auto dgates_want = dgates0;
    auto dh0_want = dh00;
    lrn4j_lrn_scan_backward(t_len, batch, hidden, g.data(), ldg, data_if(h0, with_h0),
                            ragged ? lengths.data() : nullptr, act, reverse, hs_want.data(), ldh,
                            data_if(grad_hs, with_dhs), lddh, data_if(grad_h_last, with_dh_last),
                            dgates_want.data(), lddg, data_if(dh0_want, with_dh0));

    DeviceBuffer<float> dev_hs_ref(hs_want), dev_grad_hs(grad_hs), dev_grad_h_last(grad_h_last),
        dev_dgates(dgates0), dev_dh0(dh00);
    CUDA_OK(lrn4j_cuda_lrn_scan_backward(t_len, batch, hidden, dev_g.get(), ldg, dev_h0.get_if(with_h0),
                                         dev_lengths.get_if(ragged), act, reverse, dev_hs_ref.get(), ldh,
                                         dev_grad_hs.get_if(with_dhs), lddh, dev_grad_h_last.get_if(with_dh_last),
                                         dev_dgates.get(), lddg, dev_dh0.get_if(with_dh0), stream_));
    CUDA_OK(cudaStreamSynchronize(stream_));
    check_matrix(ck, "scan_backward dg " + ctx, dgates0, dev_dgates.download(), dgates_want, rows, 3 * hidden,
                 lddg, tol);
    if (with_dh0) {
      check_matrix(ck, "scan_backward dh0 " + ctx, dh00, dev_dh0.download(), dh0_want, 1, batch * hidden,
                   batch * hidden, tol);
    }
  }

  // Forward (in place on the device when `in_place`), then backward fed with the reference mean/rstd.
  void layer_norm(int64_t m, int64_t groups, int64_t group_size, bool affine, int64_t pad, bool in_place,
                  bool param_grads) {
    const int64_t width = groups * group_size;
    const int64_t ldx = width + pad, ldy = in_place ? ldx : width + 2 * pad;
    const int64_t lddy = width + 3 * pad, lddx = width + pad;
    const float eps = 1e-5f;
    // An offset and a spread make the mean and the variance matter.
    const auto x = random_vec(static_cast<size_t>(m * ldx), rng_, -1.0f, 3.0f);
    const auto gamma = random_vec(static_cast<size_t>(width), rng_, 0.5f, 1.5f);
    const auto beta = random_vec(static_cast<size_t>(width), rng_);

    char what[160];
    std::snprintf(what, sizeof what, "m=%lld groups=%lld group_size=%lld affine=%d pad=%lld in_place=%d",
                  static_cast<long long>(m), static_cast<long long>(groups), static_cast<long long>(group_size),
                  affine, static_cast<long long>(pad), in_place);
    const std::string ctx(what);
    const Tol row_tol{2e-5 + 4e-7 * static_cast<double>(group_size), 1e-5};
    const Tol col_tol{1e-5 + 1e-6 * static_cast<double>(m), 1e-5};

    const auto y0 = poisoned(static_cast<size_t>(m * ldy));
    const auto stats0 = poisoned(static_cast<size_t>(m * groups));
    auto y_want = y0;
    auto mean_want = stats0;
    auto rstd_want = stats0;
    lrn4j_layer_norm_forward(m, groups, group_size, x.data(), ldx, data_if(gamma, affine), data_if(beta, affine),
                             eps, y_want.data(), ldy, mean_want.data(), rstd_want.data());

    // In place, y starts as x: the columns beyond the view then must still hold x.
    const auto& y_before = in_place ? x : y0;
    DeviceBuffer<float> dev_x(x), dev_y(y_before), dev_gamma(gamma), dev_beta(beta), dev_mean(stats0),
        dev_rstd(stats0);
    CUDA_OK(lrn4j_cuda_layer_norm_forward(m, groups, group_size, in_place ? dev_y.get() : dev_x.get(), ldx,
                                          dev_gamma.get_if(affine), dev_beta.get_if(affine), eps, dev_y.get(), ldy,
                                          dev_mean.get(), dev_rstd.get(), stream_));
    CUDA_OK(cudaStreamSynchronize(stream_));
    check_matrix(ck, "layer_norm_forward y " + ctx, y_before, dev_y.download(), y_want, m, width, ldy, row_tol);
    check_matrix(ck, "layer_norm_forward mean " + ctx, stats0, dev_mean.download(), mean_want, m, groups, groups,
                 row_tol);
    check_matrix(ck, "layer_norm_forward rstd " + ctx, stats0, dev_rstd.download(), rstd_want, m, groups, groups,
                 row_tol);

    const auto grad_y = random_vec(static_cast<size_t>(m * lddy), rng_);
    const auto grad_x0 = poisoned(static_cast<size_t>(m * lddx));
    const auto dgamma0 = random_vec(static_cast<size_t>(width), rng_);
    const auto dbeta0 = random_vec(static_cast<size_t>(width), rng_);
    auto grad_x_want = grad_x0;
    auto dgamma_want = dgamma0;
    auto dbeta_want = dbeta0;
    lrn4j_layer_norm_backward(m, groups, group_size, x.data(), ldx, data_if(gamma, affine), mean_want.data(),
                              rstd_want.data(), grad_y.data(), lddy, grad_x_want.data(), lddx,
                              data_if(dgamma_want, param_grads), data_if(dbeta_want, param_grads));

    DeviceBuffer<float> dev_mean_ref(mean_want), dev_rstd_ref(rstd_want), dev_grad_y(grad_y),
        dev_grad_x(grad_x0), dev_dgamma(dgamma0), dev_dbeta(dbeta0);
    CUDA_OK(lrn4j_cuda_layer_norm_backward(m, groups, group_size, dev_x.get(), ldx, dev_gamma.get_if(affine),
                                           dev_mean_ref.get(), dev_rstd_ref.get(), dev_grad_y.get(), lddy,
                                           dev_grad_x.get(), lddx, dev_dgamma.get_if(param_grads),
                                           dev_dbeta.get_if(param_grads), stream_));
    CUDA_OK(cudaStreamSynchronize(stream_));
    check_matrix(ck, "layer_norm_backward dx " + ctx, grad_x0, dev_grad_x.download(), grad_x_want, m, width, lddx,
                 row_tol);
    if (param_grads) {
      check_matrix(ck, "layer_norm_backward dgamma " + ctx, dgamma0, dev_dgamma.download(), dgamma_want, 1, width,
                   width, col_tol);
      check_matrix(ck, "layer_norm_backward dbeta " + ctx, dbeta0, dev_dbeta.download(), dbeta_want, 1, width,
                   width, col_tol);
    }
  }

 private:
  std::mt19937 rng_;
  cudaStream_t stream_ = nullptr;
};

// Rows of a `wide`-column GEMM with at least two 64 x 64 tiles per SM of this GPU.
int64_t rows_for_two_tiles_per_sm(int64_t wide) {
  int device = 0;
  int sms = 0;
  CUDA_OK(cudaGetDevice(&device));
  CUDA_OK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  return 64 * ((2 * sms + wide / 64 - 1) / (wide / 64)) + 5;
}

// One case per kernel and per path through it: enough for the compute-sanitizer tools whose cost grows with
// every launch (racecheck takes minutes over the full grid).
void run_quick(CudaParity& p) {
  for (int ta = 0; ta < 2; ++ta)
    for (int tb = 0; tb < 2; ++tb) {
      p.gemm(ta, tb, 65, 63, 17, 3, true, 1);
      p.gemm(ta, tb, 70, 70, 4100, 0, tb != 0, ta);
    }
  p.gemm_rows_independent_of_m(1, 0, 70, rows_for_two_tiles_per_sm(1024), 1024, 600);
  p.col_sum(4096, 768, 0, 1);
  p.col_sum(33, 9, 5, 0);
  for (int reverse = 0; reverse < 2; ++reverse)
    for (int variant : {0, 1, 2, 3}) p.scan(35, 3, 33, variant % 2, reverse, true, variant < 2, 5, variant);
  p.layer_norm(33, 3, 129, true, 3, false, true);
}

}  // namespace

namespace {

// Softmax cross-entropy against the CPU reference: separate gradient, in place, loss only; ignored rows.
void check_softmax_xent(Checker& ck, bool quick = false) {
  std::mt19937 rng(7);
  const std::vector<int64_t> ms = quick ? std::vector<int64_t>{5} : std::vector<int64_t>{1, 5, 40, 300};
  const std::vector<int64_t> ns = quick ? std::vector<int64_t>{257} : std::vector<int64_t>{1, 7, 255, 256, 257, 1000, 16383};
  for (int64_t m : ms) {
    for (int64_t n : ns) {
      for (float spread : {3.0f, 80.0f}) {
        const int64_t ld = n + 3;
        std::vector<float> x = poisoned(static_cast<size_t>(m * ld));
        std::uniform_real_distribution<float> d(-spread, spread);
        for (int64_t i = 0; i < m; ++i)
          for (int64_t j = 0; j < n; ++j) x[i * ld + j] = d(rng);
        std::vector<int32_t> t(m);
        for (int64_t i = 0; i < m; ++i) t[i] = i % 4 == 2 ? -1 : static_cast<int32_t>(rng() % n);
        std::vector<float> loss_want = poisoned(m), d_want = poisoned(static_cast<size_t>(m * ld));
        lrn4j_softmax_xent(m, n, x.data(), ld, t.data(), 0.5f, loss_want.data(), d_want.data(), ld);
        for (int mode = 0; mode < 3; ++mode) {  // 0: separate gradient, 1: in place, 2: loss only
          DeviceBuffer<float> dev_x(x), dev_loss(poisoned(m)), dev_d(poisoned(static_cast<size_t>(m * ld)));
          DeviceBuffer<int32_t> dev_t(t);
          float* dl = mode == 0 ? dev_d.get() : mode == 1 ? dev_x.get() : nullptr;
          CUDA_OK(lrn4j_cuda_softmax_xent(m, n, dev_x.get(), ld, dev_t.get(), 0.5f, dev_loss.get(), dl, ld, nullptr));
          CUDA_OK(cudaStreamSynchronize(nullptr));
          char what[120];
          std::snprintf(what, sizeof what, "softmax_xent m=%lld n=%lld spread=%g mode=%d", static_cast<long long>(m),
                        static_cast<long long>(n), spread, mode);
          check_matrix(ck, std::string(what) + " loss", poisoned(m), dev_loss.download(), loss_want, 1, m, m,
                       {2e-5, 2e-6});
          if (mode == 0) {
            check_matrix(ck, std::string(what) + " dlogits", poisoned(static_cast<size_t>(m * ld)), dev_d.download(),
                         d_want, m, n, ld, {1e-6, 1e-5});
          } else if (mode == 1) {
            check_matrix(ck, std::string(what) + " dlogits in place", x, dev_x.download(), d_want, m, n, ld,
                         {1e-6, 1e-5});
          }
        }
      }
    }
  }
}

// Embedding lookup and backward against the CPU reference (exact for the lookup; the backward adds in
// the same order, so it is exact too).
void check_embedding(Checker& ck) {
  std::mt19937 rng(11);
  for (int64_t m : {1, 9, 130, 4096}) {
    for (int64_t d : {1, 7, 65, 300}) {
      for (int64_t rows : {1, 50, 1000}) {
        const int64_t ldt = d + 2, ldo = d + 5;
        const auto table = random_vec(static_cast<size_t>(rows * ldt), rng);
        const auto dout = random_vec(static_cast<size_t>(m * ldo), rng);
        const auto dt0 = random_vec(static_cast<size_t>(rows * ldt), rng);
        std::vector<int32_t> ids(m);
        for (int64_t i = 0; i < m; ++i) ids[i] = i % 7 == 5 ? -1 : static_cast<int32_t>(rng() % rows);
        std::vector<float> out_want = poisoned(static_cast<size_t>(m * ldo)), dt_want = dt0;
        lrn4j_embedding_gather(m, d, ids.data(), table.data(), rows, ldt, out_want.data(), ldo);
        lrn4j_embedding_scatter_add(m, d, ids.data(), dout.data(), ldo, dt_want.data(), rows, ldt);
        DeviceBuffer<float> dev_table(table), dev_out(poisoned(static_cast<size_t>(m * ldo))), dev_dout(dout),
            dev_dt(dt0);
        DeviceBuffer<int32_t> dev_ids(ids);
        CUDA_OK(lrn4j_cuda_embedding_gather(m, d, dev_ids.get(), dev_table.get(), rows, ldt, dev_out.get(), ldo,
                                            nullptr));
        CUDA_OK(lrn4j_cuda_embedding_scatter_add(m, d, dev_ids.get(), dev_dout.get(), ldo, dev_dt.get(), rows, ldt,
                                                 nullptr));
        CUDA_OK(cudaStreamSynchronize(nullptr));
        char what[120];
        std::snprintf(what, sizeof what, "embedding m=%lld d=%lld rows=%lld", static_cast<long long>(m),
                      static_cast<long long>(d), static_cast<long long>(rows));
        check_matrix(ck, std::string(what) + " gather", poisoned(static_cast<size_t>(m * ldo)), dev_out.download(),
                     out_want, m, d, ldo, {0.0, 0.0});
        check_matrix(ck, std::string(what) + " scatter_add", dt0, dev_dt.download(), dt_want, rows, d, ldt,
                     {0.0, 0.0});
      }
    }
  }
}

// Optimizer steps against the CPU reference, bit for bit (no contraction into fused multiply-adds on
// either side); the sum of squares to double rounding.
void check_optimizers(Checker& ck, bool quick = false) {
  std::mt19937 rng(13);
  const std::vector<int64_t> ns = quick ? std::vector<int64_t>{40000} : std::vector<int64_t>{1, 7, 1000, 40000, 1000003};
  for (int64_t n : ns) {
    const auto p0 = random_vec(static_cast<size_t>(n), rng), g = random_vec(static_cast<size_t>(n), rng);
    const auto m0 = random_vec(static_cast<size_t>(n), rng, -0.1f, 0.1f);
    const auto v0 = random_vec(static_cast<size_t>(n), rng, 0.0f, 0.01f);
    auto p = p0, m = m0, v = v0, u = m0;
    lrn4j_adam_step(n, p.data(), g.data(), m.data(), v.data(), 1e-2f, 0.9f, 0.999f, 1e-8f, 0.01f, 0.5f, 0.19f, 0.003f);
    lrn4j_sgd_step(n, p.data(), g.data(), u.data(), 0.1f, 0.9f, 1e-4f, 0.7f, 1);
    DeviceBuffer<float> dp(p0), dg(g), dm(m0), dv(v0), du(m0);
    DeviceBuffer<double> dsum(std::vector<double>(1, 0.0));
    CUDA_OK(lrn4j_cuda_adam_step(n, dp.get(), dg.get(), dm.get(), dv.get(), 1e-2f, 0.9f, 0.999f, 1e-8f, 0.01f, 0.5f,
                                 0.19f, 0.003f, nullptr));
    CUDA_OK(lrn4j_cuda_sgd_step(n, dp.get(), dg.get(), du.get(), 0.1f, 0.9f, 1e-4f, 0.7f, 1, nullptr));
    CUDA_OK(lrn4j_cuda_sum_squares(n, dg.get(), dsum.get(), nullptr));
    CUDA_OK(cudaStreamSynchronize(nullptr));
    char what[80];
    std::snprintf(what, sizeof what, "optimizer n=%lld", static_cast<long long>(n));
    const std::vector<float>* want[] = {&p, &m, &v, &u};
    const DeviceBuffer<float>* got[] = {&dp, &dm, &dv, &du};
    for (int k = 0; k < 4; ++k) {
      const auto host = got[k]->download();
      if (std::memcmp(host.data(), want[k]->data(), host.size() * sizeof(float)) != 0) {
        ++ck.failures;
        std::fprintf(stderr, "MISMATCH %s state %d differs from the CPU reference\n", what, k);
      }
    }
    const double want_sum = lrn4j_sum_squares(n, g.data());
    const double got_sum = dsum.download()[0];
    if (!(std::fabs(got_sum - want_sum) <= 1e-12 * want_sum)) {
      ++ck.failures;
      std::fprintf(stderr, "MISMATCH %s sum_squares %.17g vs %.17g\n", what, got_sum, want_sum);
    }
  }
}

// Dropout against the CPU kernel bit for bit (same mask bits, an unfused multiply), also at a counter
// offset whose indices straddle 2^32.
// Activations against the CPU reference: the backward passes bit for bit (unfused multiplies), the forward
// tanh and sigmoid within 4 float ulps near 1 (tanhf/expf against the C library), identity and relu exactly.
void check_activation(Checker& ck) {
  std::mt19937 rng(23);
  for (int64_t n : {1, 9, 1000, 100003}) {
    const auto x = random_vec(static_cast<size_t>(n), rng, -6.0f, 6.0f);
    const auto dy = random_vec(static_cast<size_t>(n), rng);
    for (int fn : {LRN4J_FN_IDENTITY, LRN4J_FN_TANH, LRN4J_FN_RELU, LRN4J_FN_SIGMOID}) {
      std::vector<float> want(x.size()), dwant(x.size());
      lrn4j_activation_forward(fn, n, x.data(), want.data());
      lrn4j_activation_backward(fn, n, want.data(), dy.data(), dwant.data());
      DeviceBuffer<float> dxin(x), dyv(std::vector<float>(x.size(), NAN)), dg(dy), ddx(std::vector<float>(x.size(), NAN));
      DeviceBuffer<float> yref(want);
      CUDA_OK(lrn4j_cuda_activation_forward(fn, n, dxin.get(), dyv.get(), nullptr));
      CUDA_OK(lrn4j_cuda_activation_backward(fn, n, yref.get(), dg.get(), ddx.get(), nullptr));
      CUDA_OK(cudaStreamSynchronize(nullptr));
      const auto got = dyv.download();
      const auto dgot = ddx.download();
      const double tol = (fn == LRN4J_FN_TANH || fn == LRN4J_FN_SIGMOID) ? 5e-7 : 0.0;
      for (size_t i = 0; i < got.size(); ++i) {
        if (!(std::abs(static_cast<double>(got[i]) - want[i]) <= tol)) {
          ++ck.failures;
          std::fprintf(stderr, "MISMATCH activation %d n=%lld forward element %zu: %g vs %g\n", fn,
                       static_cast<long long>(n), i, got[i], want[i]);
          break;
        }
      }
      if (std::memcmp(dgot.data(), dwant.data(), dgot.size() * sizeof(float)) != 0) {
        ++ck.failures;
        std::fprintf(stderr, "MISMATCH activation %d n=%lld backward differs from the CPU reference\n", fn,
                     static_cast<long long>(n));
      }
    }
  }
}

void check_dropout(Checker& ck) {
  std::mt19937 rng(19);
  for (int64_t n : {1, 9, 1000, 100003}) {
    const auto x = random_vec(static_cast<size_t>(n), rng);
    for (uint64_t offset : {uint64_t{0}, uint64_t{0xFFFFFFF0ull}}) {
      const uint32_t thr = 0x4CCCCCCCu;  // p = 0.3
      const float scale = static_cast<float>(1.0 / 0.7);
      std::vector<float> want(x.size());
      lrn4j_dropout(n, x.data(), want.data(), 42, offset, thr, scale);
      DeviceBuffer<float> dx(x), dy(std::vector<float>(x.size(), NAN));
      CUDA_OK(lrn4j_cuda_dropout(n, dx.get(), dy.get(), 42, offset, thr, scale, nullptr));
      CUDA_OK(cudaStreamSynchronize(nullptr));
      const auto got = dy.download();
      if (std::memcmp(got.data(), want.data(), got.size() * sizeof(float)) != 0) {
        ++ck.failures;
        std::fprintf(stderr, "MISMATCH dropout n=%lld offset=%llu differs from the CPU kernel\n",
                     static_cast<long long>(n), static_cast<unsigned long long>(offset));
      }
    }
  }
}

// LSTM / GRU / ATR steps against the CPU reference: forward, then backward (dh and dc in place) from the
// reference forward's c; one sequence in three inactive, optional inputs absent in some variants.
void check_cell_steps(Checker& ck) {
  std::mt19937 rng(17);
  int config = 0;
  for (int cell : {LRN4J_CELL_LSTM, LRN4J_CELL_GRU, LRN4J_CELL_ATR}) {
    for (int64_t batch : {1, 3, 8, 70}) {
      for (int64_t hidden : {1, 7, 33, 129, 300}) {
        const int variant = config++ % 12;
        const bool lstm = cell == LRN4J_CELL_LSTM;
        const int64_t planes = lstm ? 4 : cell == LRN4J_CELL_GRU ? 3 : 1, width = planes * hidden;
        const int64_t state = lstm ? 2 * hidden : hidden, pad = variant % 3 == 0 ? 0 : 3, t = 3;
        const int64_t ldg = width + pad, ldh = hidden + 2 * pad, ldl = state + pad;
        const bool with_prev = variant % 3 != 1, with_bh = variant % 2 == 0, with_last = variant % 4 != 3;
        const bool with_lengths = variant % 5 != 4, with_dout = variant % 3 != 2;
        const auto gx = random_vec(static_cast<size_t>(batch * ldg), rng, -3.0f, 3.0f);
        const auto gh = random_vec(static_cast<size_t>(batch * ldg), rng, -3.0f, 3.0f);
        const auto hp = random_vec(static_cast<size_t>(batch * ldh), rng);
        const auto cp = random_vec(static_cast<size_t>(batch * ldh), rng);
        const auto bh = random_vec(static_cast<size_t>(hidden), rng);
        std::vector<int32_t> lengths(static_cast<size_t>(batch));
        for (int64_t b = 0; b < batch; ++b) lengths[b] = b % 3 == 1 ? 2 : 4;
        char what[160];
        std::snprintf(what, sizeof what, "cell=%d B=%lld H=%lld variant=%d", cell, static_cast<long long>(batch),
                      static_cast<long long>(hidden), variant);
        const std::string ctx(what);
        const Tol tol{2e-6, 1e-5};

        const auto h0 = poisoned(static_cast<size_t>(batch * ldh)), last0 = poisoned(static_cast<size_t>(batch * ldl));
        auto h_want = h0, c_want = h0, last_want = last0;
        lrn4j_cell_step_forward(cell, batch, hidden, t, with_lengths ? lengths.data() : nullptr, gx.data(), ldg,
                                gh.data(), ldg, data_if(bh, with_bh), data_if(hp, with_prev), ldh,
                                data_if(cp, with_prev), ldh, h_want.data(), ldh, lstm ? c_want.data() : nullptr, ldh,
                                data_if(last_want, with_last), ldl);
        DeviceBuffer<float> dgx_in(gx), dgh_in(gh), dhp(hp), dcp(cp), dbh(bh), dh(h0), dc(h0), dlast(last0);
        DeviceBuffer<int32_t> dlen(lengths);
        CUDA_OK(lrn4j_cuda_cell_step_forward(cell, batch, hidden, t, dlen.get_if(with_lengths), dgx_in.get(), ldg,
                                             dgh_in.get(), ldg, dbh.get_if(with_bh), dhp.get_if(with_prev), ldh,
                                             dcp.get_if(with_prev), ldh, dh.get(), ldh, lstm ? dc.get() : nullptr, ldh,
                                             dlast.get_if(with_last), ldl, nullptr));
        CUDA_OK(cudaStreamSynchronize(nullptr));
        check_matrix(ck, "cell_step_forward h " + ctx, h0, dh.download(), h_want, batch, hidden, ldh, tol);
        if (lstm) check_matrix(ck, "cell_step_forward c " + ctx, h0, dc.download(), c_want, batch, hidden, ldh, tol);
        if (with_last) {
          check_matrix(ck, "cell_step_forward last " + ctx, last0, dlast.download(), last_want, batch, state, ldl, tol);
        }

        const auto dout = random_vec(static_cast<size_t>(batch * ldh), rng);
        const auto dh0 = random_vec(static_cast<size_t>(batch * ldh), rng);
        const auto dc0 = random_vec(static_cast<size_t>(batch * ldh), rng);
        const auto dg0 = poisoned(static_cast<size_t>(batch * ldg));
        auto dh_want = dh0, dc_want = dc0, dgx_want = dg0, dgh_want = dg0;
        lrn4j_cell_step_backward(cell, batch, hidden, t, with_lengths ? lengths.data() : nullptr, gx.data(), ldg,
                                 gh.data(), ldg, data_if(bh, with_bh), data_if(hp, with_prev), ldh,
                                 data_if(cp, with_prev), ldh, lstm ? c_want.data() : nullptr, ldh,
                                 data_if(dout, with_dout), ldh, dh_want.data(), ldh, lstm ? dc_want.data() : nullptr,
                                 ldh, dgx_want.data(), ldg, lstm ? nullptr : dgh_want.data(), ldg);
        DeviceBuffer<float> dc_ref(c_want), ddout(dout), ddh(dh0), ddc(dc0), ddgx(dg0), ddgh(dg0);
        CUDA_OK(lrn4j_cuda_cell_step_backward(cell, batch, hidden, t, dlen.get_if(with_lengths), dgx_in.get(), ldg,
                                              dgh_in.get(), ldg, dbh.get_if(with_bh), dhp.get_if(with_prev), ldh,
                                              dcp.get_if(with_prev), ldh, lstm ? dc_ref.get() : nullptr, ldh,
                                              ddout.get_if(with_dout), ldh, ddh.get(), ldh, lstm ? ddc.get() : nullptr,
                                              ldh, ddgx.get(), ldg, lstm ? nullptr : ddgh.get(), ldg, nullptr));
        CUDA_OK(cudaStreamSynchronize(nullptr));
        const Tol btol{1e-5, 1e-4};
        check_matrix(ck, "cell_step_backward dh " + ctx, dh0, ddh.download(), dh_want, batch, hidden, ldh, btol);
        if (lstm) check_matrix(ck, "cell_step_backward dc " + ctx, dc0, ddc.download(), dc_want, batch, hidden, ldh, btol);
        check_matrix(ck, "cell_step_backward dgx " + ctx, dg0, ddgx.download(), dgx_want, batch, width, ldg, btol);
        if (!lstm) {
          check_matrix(ck, "cell_step_backward dgh " + ctx, dg0, ddgh.download(), dgh_want, batch, width, ldg, btol);
        }
      }
    }
  }
}

// The SRU scan against the CPU reference: forward, then backward fed with the reference forward's states.
void check_sru(Checker& ck) {
  std::mt19937 rng(19);
  std::uniform_int_distribution<int> coin(0, 1);
  for (int64_t t_len : {1, 2, 7, 33})
    for (int64_t batch : {1, 3, 8})
      for (int64_t hidden : {1, 7, 9, 33, 129})
        for (int64_t k : {3, 4})
          for (int act : {LRN4J_ACT_TANH, LRN4J_ACT_IDENTITY}) {
            const int reverse = coin(rng), ragged = coin(rng), with_c0 = coin(rng), with_dh = coin(rng),
                      with_last = coin(rng);
            const int64_t pad = coin(rng) * 5, rows = t_len * batch;
            const int64_t ldu = k * hidden + pad, ldx = hidden + 2 * pad, ldh = hidden + pad, ldc = hidden + 3 * pad;
            const auto u = random_vec(static_cast<size_t>(rows * ldu), rng, -2.0f, 2.0f);
            const auto x = random_vec(static_cast<size_t>(rows * ldx), rng);
            const auto v = random_vec(static_cast<size_t>(2 * hidden), rng);
            const auto bias = random_vec(static_cast<size_t>(2 * hidden), rng);
            const auto c0 = random_vec(static_cast<size_t>(batch * hidden), rng);
            std::vector<int32_t> lengths(static_cast<size_t>(batch));
            std::uniform_int_distribution<int32_t> len_dist(1, static_cast<int32_t>(t_len));
            for (auto& l : lengths) l = len_dist(rng);
            lengths[0] = static_cast<int32_t>(t_len);
            char what[200];
            std::snprintf(what, sizeof what, "sru T=%lld B=%lld H=%lld k=%lld act=%d reverse=%d ragged=%d c0=%d",
                          static_cast<long long>(t_len), static_cast<long long>(batch), static_cast<long long>(hidden),
                          static_cast<long long>(k), act, reverse, ragged, with_c0);
            const std::string ctx(what);
            const Tol tol{2e-5 + 2e-6 * static_cast<double>(t_len), 1e-4};
            const float* xp = k == 3 ? x.data() : nullptr;

            const auto h0 = poisoned(static_cast<size_t>(rows * ldh)), cs0 = poisoned(static_cast<size_t>(rows * ldc));
            const auto last0 = poisoned(static_cast<size_t>(batch * hidden));
            auto h_want = h0, c_want = cs0, last_want = last0;
            lrn4j_sru_scan_forward(t_len, batch, hidden, k, u.data(), ldu, xp, ldx, v.data(), bias.data(),
                                   data_if(c0, with_c0), ragged ? lengths.data() : nullptr, act, reverse,
                                   h_want.data(), ldh, c_want.data(), ldc, data_if(last_want, with_last));
            DeviceBuffer<float> du_in(u), dx_in(x), dv_in(v), dbias(bias), dc0_in(c0), dh(h0), dc(cs0), dlast(last0);
            DeviceBuffer<int32_t> dlen(lengths);
            CUDA_OK(lrn4j_cuda_sru_scan_forward(t_len, batch, hidden, k, du_in.get(), ldu, k == 3 ? dx_in.get() : nullptr,
                                                ldx, dv_in.get(), dbias.get(), dc0_in.get_if(with_c0),
                                                dlen.get_if(ragged), act, reverse, dh.get(), ldh, dc.get(), ldc,
                                                dlast.get_if(with_last), nullptr));
            CUDA_OK(cudaStreamSynchronize(nullptr));
            check_matrix(ck, "sru_forward h " + ctx, h0, dh.download(), h_want, rows, hidden, ldh, tol);
            check_matrix(ck, "sru_forward c " + ctx, cs0, dc.download(), c_want, rows, hidden, ldc, tol);
            if (with_last) {
              check_matrix(ck, "sru_forward c_last " + ctx, last0, dlast.download(), last_want, 1, batch * hidden,
                           batch * hidden, tol);
            }

            const int64_t lddu = k * hidden + pad, lddx = hidden + pad;
            const auto grad_h = random_vec(static_cast<size_t>(rows * ldh), rng);
            const auto grad_last = random_vec(static_cast<size_t>(batch * hidden), rng);
            const auto du0 = poisoned(static_cast<size_t>(rows * lddu));
            const auto dx0 = random_vec(static_cast<size_t>(rows * lddx), rng);
            const auto dv0 = poisoned(static_cast<size_t>(batch * 2 * hidden));
            const auto dcz0 = poisoned(static_cast<size_t>(batch * hidden));
            auto du_want = du0, dx_want = dx0, dv_want = dv0, dcz_want = dcz0;
            lrn4j_sru_scan_backward(t_len, batch, hidden, k, u.data(), ldu, xp, ldx, v.data(), bias.data(),
                                    data_if(c0, with_c0), ragged ? lengths.data() : nullptr, act, reverse,
                                    c_want.data(), ldc, data_if(grad_h, with_dh), ldh, data_if(grad_last, with_last),
                                    du_want.data(), lddu, k == 3 ? dx_want.data() : nullptr, lddx, dv_want.data(),
                                    data_if(dcz_want, with_c0));
            DeviceBuffer<float> dc_ref(c_want), dgrad_h(grad_h), dgrad_last(grad_last), ddu(du0), ddx(dx0), ddv(dv0),
                ddcz(dcz0);
            CUDA_OK(lrn4j_cuda_sru_scan_backward(t_len, batch, hidden, k, du_in.get(), ldu,
                                                 k == 3 ? dx_in.get() : nullptr, ldx, dv_in.get(), dbias.get(),
                                                 dc0_in.get_if(with_c0), dlen.get_if(ragged), act, reverse,
                                                 dc_ref.get(), ldc, dgrad_h.get_if(with_dh), ldh,
                                                 dgrad_last.get_if(with_last), ddu.get(), lddu,
                                                 k == 3 ? ddx.get() : nullptr, lddx, ddv.get(), ddcz.get_if(with_c0),
                                                 nullptr));
            CUDA_OK(cudaStreamSynchronize(nullptr));
            check_matrix(ck, "sru_backward du " + ctx, du0, ddu.download(), du_want, rows, k * hidden, lddu, tol);
            if (k == 3) check_matrix(ck, "sru_backward dx " + ctx, dx0, ddx.download(), dx_want, rows, hidden, lddx, tol);
            check_matrix(ck, "sru_backward dv " + ctx, dv0, ddv.download(), dv_want, 1, batch * 2 * hidden,
                         batch * 2 * hidden, {tol.abs * (1 + t_len / 8.0), tol.rel});
            if (with_c0) {
              check_matrix(ck, "sru_backward dc0 " + ctx, dcz0, ddcz.download(), dcz_want, 1, batch * hidden,
                           batch * hidden, tol);
            }
          }
}

// The oLRN scan against the CPU reference: forward, then backward fed with the reference forward's hs and cs.
// `variant` (0..11) selects the optional arguments as in CudaParity::scan.
void olrn_case(Checker& ck, std::mt19937& rng, int64_t t_len, int64_t batch, int64_t hidden, int act, int reverse,
               bool ragged, bool with_h0, int64_t pad, int variant) {
  const int64_t rows = t_len * batch;
  const int64_t ldg = 4 * hidden + pad, ldh = hidden + 2 * pad, ldc = hidden + pad, lddh = hidden + 3 * pad;
  const int64_t lddg = 4 * hidden + 2 * pad;
  const auto g = random_vec(static_cast<size_t>(rows * ldg), rng, -2.0f, 2.0f);
  const auto h0 = random_vec(static_cast<size_t>(batch * hidden), rng);
  std::vector<int32_t> lengths(static_cast<size_t>(batch));
  std::uniform_int_distribution<int32_t> len_dist(1, static_cast<int32_t>(t_len));
  for (auto& l : lengths) l = len_dist(rng);
  lengths[0] = static_cast<int32_t>(t_len);
  const bool with_h_last = variant % 3 != 2;
  const bool with_dhs = variant % 4 != 1;
  const bool with_dh_last = variant % 4 == 0 || variant % 4 == 1;
  const bool with_dh0 = variant % 4 != 2;
  char what[200];
  std::snprintf(what, sizeof what, "olrn T=%lld B=%lld H=%lld act=%d reverse=%d ragged=%d h0=%d pad=%lld variant=%d",
                static_cast<long long>(t_len), static_cast<long long>(batch), static_cast<long long>(hidden), act,
                reverse, ragged, with_h0, static_cast<long long>(pad), variant);
  const std::string ctx(what);
  const Tol tol{2e-5 + 2e-6 * static_cast<double>(t_len), 1e-4};
  const int32_t* lenp = ragged ? lengths.data() : nullptr;

  const auto hs0 = poisoned(static_cast<size_t>(rows * ldh)), cs0 = poisoned(static_cast<size_t>(rows * ldc));
  const auto last0 = poisoned(static_cast<size_t>(batch * hidden));
  auto hs_want = hs0, cs_want = cs0, last_want = last0;
  lrn4j_olrn_scan_forward(t_len, batch, hidden, g.data(), ldg, data_if(h0, with_h0), lenp, act, reverse,
                          hs_want.data(), ldh, cs_want.data(), ldc, data_if(last_want, with_h_last));
  DeviceBuffer<float> dev_g(g), dev_h0(h0), dev_hs(hs0), dev_cs(cs0), dev_last(last0);
  DeviceBuffer<int32_t> dev_len(lengths);
  CUDA_OK(lrn4j_cuda_olrn_scan_forward(t_len, batch, hidden, dev_g.get(), ldg, dev_h0.get_if(with_h0),
                                       dev_len.get_if(ragged), act, reverse, dev_hs.get(), ldh, dev_cs.get(), ldc,
                                       dev_last.get_if(with_h_last), nullptr));
  CUDA_OK(cudaStreamSynchronize(nullptr));
  check_matrix(ck, "olrn_forward hs " + ctx, hs0, dev_hs.download(), hs_want, rows, hidden, ldh, tol);
  check_matrix(ck, "olrn_forward cs " + ctx, cs0, dev_cs.download(), cs_want, rows, hidden, ldc, tol);
  if (with_h_last) {
    check_matrix(ck, "olrn_forward h_last " + ctx, last0, dev_last.download(), last_want, 1, batch * hidden,
                 batch * hidden, tol);
  }

  const auto grad_hs = random_vec(static_cast<size_t>(rows * lddh), rng);
  const auto grad_last = random_vec(static_cast<size_t>(batch * hidden), rng);
  const auto dg0 = poisoned(static_cast<size_t>(rows * lddg)), dh00 = poisoned(static_cast<size_t>(batch * hidden));
  auto dg_want = dg0, dh0_want = dh00;
  lrn4j_olrn_scan_backward(t_len, batch, hidden, g.data(), ldg, data_if(h0, with_h0), lenp, act, reverse,
                           hs_want.data(), ldh, cs_want.data(), ldc, data_if(grad_hs, with_dhs), lddh,
                           data_if(grad_last, with_dh_last), dg_want.data(), lddg, data_if(dh0_want, with_dh0));
  DeviceBuffer<float> dev_hs_ref(hs_want), dev_cs_ref(cs_want), dev_grad_hs(grad_hs), dev_grad_last(grad_last),
      dev_dg(dg0), dev_dh0(dh00);
  CUDA_OK(lrn4j_cuda_olrn_scan_backward(t_len, batch, hidden, dev_g.get(), ldg, dev_h0.get_if(with_h0),
                                        dev_len.get_if(ragged), act, reverse, dev_hs_ref.get(), ldh, dev_cs_ref.get(),
                                        ldc, dev_grad_hs.get_if(with_dhs), lddh, dev_grad_last.get_if(with_dh_last),
                                        dev_dg.get(), lddg, dev_dh0.get_if(with_dh0), nullptr));
  CUDA_OK(cudaStreamSynchronize(nullptr));
  check_matrix(ck, "olrn_backward dg " + ctx, dg0, dev_dg.download(), dg_want, rows, 4 * hidden, lddg, tol);
  if (with_dh0) {
    check_matrix(ck, "olrn_backward dh0 " + ctx, dh00, dev_dh0.download(), dh0_want, 1, batch * hidden,
                 batch * hidden, tol);
  }
}

void check_olrn(Checker& ck, bool quick = false) {
  std::mt19937 rng(23);
  std::uniform_int_distribution<int> coin(0, 1);
  std::uniform_int_distribution<int> variant(0, 11);
  if (quick) {
    for (int reverse = 0; reverse < 2; ++reverse)
      for (int v : {0, 1, 2, 3}) olrn_case(ck, rng, 35, 3, 33, v % 2, reverse, true, v < 2, 5, v);
    return;
  }
  for (int64_t t_len : {1, 2, 7, 33})
    for (int64_t batch : {1, 3, 8})
      for (int64_t hidden : {1, 7, 8, 9, 33, 129})
        for (int act : {LRN4J_ACT_TANH, LRN4J_ACT_IDENTITY})
          for (int reverse = 0; reverse < 2; ++reverse)
            for (int ragged = 0; ragged < 2; ++ragged)
              olrn_case(ck, rng, t_len, batch, hidden, act, reverse, ragged != 0, coin(rng) != 0, coin(rng) * 5,
                        variant(rng));
}

}  // namespace

// With --quick, only run_quick's cases.
int main(int argc, char** argv) {
  int devices = 0;
  const cudaError_t err = cudaGetDeviceCount(&devices);
  if (err != cudaSuccess || devices == 0) {
    std::printf("SKIP: no CUDA device (%s)\n", err != cudaSuccess ? cudaGetErrorString(err) : "device count is 0");
    return harness::kSkip;
  }
  if (lrn4j_set_isa(LRN4J_ISA_SCALAR) != LRN4J_ISA_SCALAR) {
    std::fprintf(stderr, "cannot select the scalar reference kernels\n");
    return 1;
  }
  if (lrn4j_cuda_abi_version() != LRN4J_ABI_VERSION) {
    std::fprintf(stderr, "lrn4j_cuda_abi_version() = %d, expected %d\n", lrn4j_cuda_abi_version(),
                 LRN4J_ABI_VERSION);
    return 1;
  }

  CudaParity p;
  if (argc > 1 && std::strcmp(argv[1], "--quick") == 0) {
    run_quick(p);
    check_softmax_xent(p.ck, true);
    check_optimizers(p.ck, true);
    check_dropout(p.ck);
    check_activation(p.ck);
    check_olrn(p.ck, true);
    return p.ck.exit_code("test_cuda_kernels --quick");
  }
  const int64_t kT[] = {1, 2, 7, 33};
  const int64_t kB[] = {1, 3, 8};
  const int64_t kH[] = {1, 7, 8, 9, 33, 129};
  const int64_t kD[] = {1, 5, 64, 131};

  // The three GEMMs of an LRN layer: gates G = X.W + b, dX = dG.W^T, dW += X^T.dG.
  for (int64_t t : kT)
    for (int64_t b : kB)
      for (int64_t d : kD)
        for (int64_t h : kH) {
          p.gemm(0, 0, t * b, 3 * h, d, 0, true, 0);
          p.gemm(0, 1, t * b, d, 3 * h, 0, false, 0);
          p.gemm(1, 0, d, 3 * h, t * b, 0, false, 1);
        }

  // Every form on shapes around and across the 64 x 64 x 16 tiles, K == 0 and empty outputs included.
  struct Shape {
    int64_t m, n, k;
  };
  const Shape kShapes[] = {{1, 1, 1},    {7, 9, 5},       {64, 64, 16}, {65, 63, 17}, {33, 129, 131},
                           {300, 517, 200}, {128, 1, 300}, {1, 300, 64}, {5, 3, 0},    {0, 4, 3},
                           {4, 0, 3}};
  for (const Shape& s : kShapes)
    for (int ta = 0; ta < 2; ++ta)
      for (int tb = 0; tb < 2; ++tb)
        for (int bias = 0; bias < 2; ++bias)
          for (int acc = 0; acc < 2; ++acc)
            for (int64_t pad : {0, 3}) p.gemm(ta, tb, s.m, s.n, s.k, pad, bias != 0, acc);

  // Long K, cut into 2..8 slices (K > 512), on few tiles (blocks share a tile) and with an uneven last slice;
  // the last is the weight gradient's form with the benchmark layer's K (T*B = 4096). Sizes stay small enough
  // for the compute-sanitizer runs.
  const Shape kLongK[] = {{33, 65, 520}, {1, 1, 3000}, {64, 100, 1500}, {70, 70, 4100}, {7, 129, 9000}};
  for (const Shape& s : kLongK)
    for (int ta = 0; ta < 2; ++ta)
      for (int tb = 0; tb < 2; ++tb) p.gemm(ta, tb, s.m, s.n, s.k, ta + tb, tb != 0, ta);
  p.gemm(1, 0, 128, 192, 4096, 0, false, 1);

  // The big problem has at least two 64 x 64 tiles per SM, the small one far fewer.
  const int64_t wide = 1024;
  const int64_t m_big = rows_for_two_tiles_per_sm(wide);
  p.gemm_rows_independent_of_m(1, 0, 70, m_big, wide, 600);
  p.gemm_rows_independent_of_m(0, 1, 70, m_big, wide, 520);

  for (int64_t m : {0, 1, 7, 33, 300})
    for (int64_t n : {0, 1, 9, 129, 517})
      for (int acc = 0; acc < 2; ++acc)
        for (int64_t pad : {0, 5}) p.col_sum(m, n, pad, acc);
  // Many rows: the bias gradient of the benchmark layer (T*B = 4096, 3H = 768), and a tall narrow case.
  p.col_sum(4096, 768, 0, 1);
  p.col_sum(5000, 771, 3, 0);
  p.col_sum(100003, 9, 1, 1);

  // The optional arguments, strides and in-place forms vary by a seeded draw rather than by the loop
  // counters, so that they do not move in lock-step with the loop variables.
  std::mt19937 pick(7);
  std::uniform_int_distribution<int> coin(0, 1);
  std::uniform_int_distribution<int> scan_variant(0, 11);
  for (int64_t t : kT)
    for (int64_t b : kB)
      for (int64_t h : kH)
        for (int act : {LRN4J_ACT_TANH, LRN4J_ACT_IDENTITY})
          for (int reverse = 0; reverse < 2; ++reverse)
            for (int ragged = 0; ragged < 2; ++ragged)
              for (int with_h0 = 0; with_h0 < 2; ++with_h0) {
                const int64_t pad = coin(pick) * 5;
                const int variant = scan_variant(pick);
                p.scan(t, b, h, act, reverse, ragged != 0, with_h0 != 0, pad, variant);
              }

  // Walks over time around the copy groups (4 steps) and the ring of steps in flight (32), and long ones.
  for (int64_t t : {4, 5, 31, 32, 35, 100, 300})
    for (int reverse = 0; reverse < 2; ++reverse)
      for (int ragged = 0; ragged < 2; ++ragged) {
        const int act = coin(pick) != 0 ? LRN4J_ACT_TANH : LRN4J_ACT_IDENTITY;
        p.scan(t, 5, 33, act, reverse, ragged != 0, coin(pick) != 0, coin(pick) * 5, scan_variant(pick));
      }

  for (int64_t m : {1, 7, 33, 130})
    for (int64_t groups : {1, 3})
      for (int64_t group_size : {1, 7, 8, 33, 129, 1000})
        for (int affine = 0; affine < 2; ++affine)
          for (int64_t pad : {0, 3}) {
            const bool in_place = coin(pick) != 0;
            const bool param_grads = coin(pick) != 0;
            p.layer_norm(m, groups, group_size, affine != 0, pad, in_place, param_grads);
          }

  check_softmax_xent(p.ck);
  check_embedding(p.ck);
  check_optimizers(p.ck);
  check_dropout(p.ck);
  check_activation(p.ck);
  check_cell_steps(p.ck);
  check_sru(p.ck);
  check_olrn(p.ck);
  return p.ck.exit_code("test_cuda_kernels");
}
