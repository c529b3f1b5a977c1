// C = op(A) . op(B) [+ bias] [+ C]: a tiled shared-memory SGEMM.
//
// Each block computes a kBM x kBN tile of C with 16 x 16 threads, each thread a 4 x 4 register tile whose
// rows are ty + 16*r and columns tx + 16*s: neighbouring threads own neighbouring columns, so shared-memory
// reads of B and the stores to C are contiguous across a warp. K is walked in kBK-deep slices staged in
// shared memory as as[p][i] = op(A)(i, p) and bs[p][j] = op(B)(p, j). The transposes are template
// parameters that choose, per operand, which index runs along the threads so that global loads follow the
// operand's rows in memory. Loads outside M, N or K read nothing and stage 0, so any M, N, K works and the
// padding of a partial K slice adds exact zeros (0 * 0) to the accumulators. Every element of C accumulates
// its products in increasing k order on one thread: the result is deterministic.
#include <cuda_runtime.h>

#include "lrn4j/lrn4j_cuda.h"
#include "launch.cuh"

namespace {

constexpr int kBM = 64;
constexpr int kBN = 64;
constexpr int kBK = 16;
constexpr int kTX = 16;
constexpr int kTY = 16;
constexpr int kThreads = kTX * kTY;
constexpr int kRM = kBM / kTY;
constexpr int kRN = kBN / kTX;
// An odd shared row length spreads the transposing stores (p running along the threads) over the banks.
constexpr int kPad = 1;
constexpr int kMaxGridY = 65535;

static_assert(kBM * kBK % kThreads == 0 && kBN * kBK % kThreads == 0, "tile loads must split evenly");

template <bool kTransA, bool kTransB>
__global__ void __launch_bounds__(kThreads)
gemm_kernel(int64_t m, int64_t n, int64_t k, const float* __restrict__ a, int64_t lda,
            const float* __restrict__ b, int64_t ldb, const float* __restrict__ bias, int accumulate,
            float* __restrict__ c, int64_t ldc) {
  __shared__ float as[kBK][kBM + kPad];
  __shared__ float bs[kBK][kBN + kPad];
  const int tx = threadIdx.x;
  const int ty = threadIdx.y;
  const int tid = ty * kTX + tx;
  const int64_t m_tiles = (m + kBM - 1) / kBM;
  const int64_t n_tiles = (n + kBN - 1) / kBN;

  // Both tile loops are uniform across the block, so the barriers inside are reached by every thread.
  for (int64_t mt = blockIdx.x; mt < m_tiles; mt += gridDim.x) {
    for (int64_t nt = blockIdx.y; nt < n_tiles; nt += gridDim.y) {
      const int64_t m0 = mt * kBM;
      const int64_t n0 = nt * kBN;
      float acc[kRM][kRN];
#pragma unroll
      for (int r = 0; r < kRM; ++r)
#pragma unroll
        for (int s = 0; s < kRN; ++s) acc[r][s] = 0.0f;

      for (int64_t k0 = 0; k0 < k; k0 += kBK) {
#pragma unroll
        for (int l = 0; l < kBM * kBK / kThreads; ++l) {
          const int idx = tid + l * kThreads;
          // A stored K x M (transposed) is contiguous along i; A stored M x K along p.
          const int i = kTransA ? idx % kBM : idx / kBK;
          const int p = kTransA ? idx / kBM : idx % kBK;
          const int64_t gi = m0 + i;
          const int64_t gp = k0 + p;
          float v = 0.0f;
          if (gi < m && gp < k) v = kTransA ? a[gp * lda + gi] : a[gi * lda + gp];
          as[p][i] = v;
        }
#pragma unroll
        for (int l = 0; l < kBN * kBK / kThreads; ++l) {
          const int idx = tid + l * kThreads;
          // B stored N x K (transposed) is contiguous along p; B stored K x N along j.
          const int j = kTransB ? idx / kBK : idx % kBN;
          const int p = kTransB ? idx % kBK : idx / kBN;
          const int64_t gj = n0 + j;
          const int64_t gp = k0 + p;
          float v = 0.0f;
          if (gj < n && gp < k) v = kTransB ? b[gj * ldb + gp] : b[gp * ldb + gj];
          bs[p][j] = v;
        }
        __syncthreads();

#pragma unroll
        for (int p = 0; p < kBK; ++p) {
          float ar[kRM];
          float br[kRN];
#pragma unroll
          for (int r = 0; r < kRM; ++r) ar[r] = as[p][ty + r * kTY];
#pragma unroll
          for (int s = 0; s < kRN; ++s) br[s] = bs[p][tx + s * kTX];
#pragma unroll
          for (int r = 0; r < kRM; ++r)
#pragma unroll
            for (int s = 0; s < kRN; ++s) acc[r][s] = fmaf(ar[r], br[s], acc[r][s]);
        }
        // The next slice overwrites as/bs only after every thread has read this one.
        __syncthreads();
      }

      // C is read only when accumulating: otherwise it may hold NaN.
#pragma unroll
      for (int r = 0; r < kRM; ++r) {
        const int64_t gi = m0 + ty + r * kTY;
        if (gi >= m) continue;
#pragma unroll
        for (int s = 0; s < kRN; ++s) {
          const int64_t gj = n0 + tx + s * kTX;
          if (gj >= n) continue;
          float v = acc[r][s];
          if (bias != nullptr) v += bias[gj];
          float* out = c + gi * ldc + gj;
          if (accumulate) v += *out;
          *out = v;
        }
      }
    }
  }
}

}  // namespace

// K == 0 still launches: C becomes bias (or 0), or C + bias when accumulating.
LRN4J_CUDA_EXPORT int lrn4j_cuda_gemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                                      const float* a, int64_t lda, const float* b, int64_t ldb,
                                      const float* bias, int accumulate, float* c, int64_t ldc, void* stream) {
  if (m == 0 || n == 0) return 0;
  const int64_t n_tiles = (n + kBN - 1) / kBN;
  const dim3 grid(lrn4j_cuda::grid_blocks(m, kBM),
                  static_cast<unsigned int>(n_tiles < kMaxGridY ? n_tiles : kMaxGridY));
  const dim3 block(kTX, kTY);
  const cudaStream_t s = static_cast<cudaStream_t>(stream);
  if (!trans_a && !trans_b) {
    gemm_kernel<false, false><<<grid, block, 0, s>>>(m, n, k, a, lda, b, ldb, bias, accumulate, c, ldc);
  } else if (!trans_a && trans_b) {
    gemm_kernel<false, true><<<grid, block, 0, s>>>(m, n, k, a, lda, b, ldb, bias, accumulate, c, ldc);
  } else if (trans_a && !trans_b) {
    gemm_kernel<true, false><<<grid, block, 0, s>>>(m, n, k, a, lda, b, ldb, bias, accumulate, c, ldc);
  } else {
    gemm_kernel<true, true><<<grid, block, 0, s>>>(m, n, k, a, lda, b, ldb, bias, accumulate, c, ldc);
  }
  return static_cast<int>(cudaGetLastError());
}
