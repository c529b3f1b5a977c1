// C = op(A) . op(B) [+ bias] [+ C]: a tiled, register-blocked shared-memory SGEMM.
//
// Summation order. K is cut into S = min(8, ceil(K / 512)) contiguous slices of kslice = ceil(K / S) rounded
// up to a multiple of 16 (the last slice ends at K). Each slice is summed from 0 in increasing k with fused
// multiply-adds, the slice sums are added left to right, then the bias, then C when accumulating. The order
// depends on K alone, never on the launch shape or the GPU, so the result is deterministic; for K <= 512 it is
// one fma chain over k, as in the plain tiled GEMM.
//
// Tiles. A block of 128 threads (2 x 2 warps) computes a 64 x 64 tile of C, each thread an 8 x 4 register tile:
// rows row_base + {0..3} and row_base + 16 + {0..3}, columns col_base + {0..3}. (On an H100 this measured faster
// than 8 x 8 tiles on 64 threads, whose register count leaves an SM fewer warps.) K is walked in 16-deep steps
// staged in shared memory as as[p][i] = op(A)(i, p) and bs[p][j] = op(B)(p, j), double-buffered: the next
// step's global loads are in flight in registers while the current step is multiplied. The transposes are
// template parameters that choose, per operand, which index runs along the threads so that global loads follow
// the operand's rows in memory. Loads outside M, N or K read nothing and stage 0, so any M, N, K works and the
// padding of a partial step adds exact zeros to the accumulators.
//
// Three ways to walk the slices, all with the order above (so the same bits):
//  - one slice (S == 1): each block walks the whole of K;
//  - serial slices: each block walks all S slices, keeping the running total of the finished slices in a
//    second register tile (used when the tiles alone fill the GPU, and on GPUs without thread-block clusters);
//  - cluster slices (compute capability 9.0+, fewer tiles than twice the SMs): a cluster of S blocks shares
//    one tile, block z sums slice z, the S partial tiles meet in distributed shared memory, and each block adds
//    up 1/S of the tile's elements, reading the partials in slice order. No memory outside the blocks is needed.
#include <cooperative_groups.h>
#include <cuda_runtime.h>

#include "lrn4j/lrn4j_cuda.h"
#include "launch.cuh"

namespace {

namespace cg = cooperative_groups;

constexpr int kBM = 64;
constexpr int kBN = 64;
constexpr int kBK = 16;
constexpr int kThreads = 128;
constexpr int kTM = 8;
constexpr int kTN = 4;
// Per-thread staging of one 16-deep step of each operand.
constexpr int kStage = kBM * kBK / kThreads;
// Shared rows padded by 4 floats: float4 reads stay 16-byte aligned and the transposing staging stores (p
// running along the threads) hit at most 2 threads per bank.
constexpr int kStride = kBM + 4;
constexpr int kTileFloats = kBK * kStride;
constexpr int kMaxSlices = 8;
constexpr int64_t kMinSlice = 512;
constexpr int kMaxGridY = 65535;

static_assert(kBM == kBN, "the staging helpers serve both operands with one tile width");
static_assert(kBM * kBK % kThreads == 0 && kThreads % kBK == 0 && kThreads % kBM == 0,
              "staging must split evenly");
static_assert(2 * 2 * kTileFloats >= kBM * kBN, "a cluster's partial tile reuses the staging buffers");
static_assert(kMaxSlices <= 8, "portable cluster size");

enum Mode { kOneSlice, kSerialSlices, kClusterSlices };

struct Slicing {
  int count;
  int64_t length;
};

Slicing slicing(int64_t k) {
  const int64_t wanted = (k + kMinSlice - 1) / kMinSlice;
  const int count = static_cast<int>(wanted < 1 ? 1 : wanted > kMaxSlices ? kMaxSlices : wanted);
  const int64_t per = (k + count - 1) / count;
  return {count, (per + kBK - 1) / kBK * kBK};
}

// One 16-deep step of an operand X: X is either "along p" (stored [extent][K], contiguous in p: A untransposed,
// B transposed) or stored [K][extent] (contiguous in the tile index: A transposed, B untransposed). The
// thread's element l is (p, x) = (stage_p(tid, l), stage_x(tid, l)) of the step, so that a warp's loads
// follow X's rows in memory.
template <bool kAlongP>
__device__ __forceinline__ int stage_p(int tid, int l) {
  return kAlongP ? tid % kBK : tid / kBM + l * (kThreads / kBM);
}
template <bool kAlongP>
__device__ __forceinline__ int stage_x(int tid, int l) {
  return kAlongP ? tid / kBK + l * (kThreads / kBK) : tid % kBM;
}

// Loads the step at (p = k0, x = x0) into registers: 0 outside the extent or K.
template <bool kAlongP>
__device__ __forceinline__ void load_step(const float* __restrict__ x, int64_t ldx, int64_t extent, int64_t k,
                                          int64_t x0, int64_t k0, int tid, float (&r)[kStage]) {
  const int64_t gp = k0 + stage_p<kAlongP>(tid, 0);
  const int64_t gx = x0 + stage_x<kAlongP>(tid, 0);
  const float* src = kAlongP ? x + gx * ldx + gp : x + gp * ldx + gx;
  // Between consecutive elements l only x (along p) or only p (otherwise) moves, by a fixed amount.
  const int64_t l_step = kAlongP ? (kThreads / kBK) * ldx : (kThreads / kBM) * ldx;
#pragma unroll
  for (int l = 0; l < kStage; ++l) {
    const bool inside = kAlongP ? gp < k && gx + l * (kThreads / kBK) < extent
                                : gx < extent && gp + l * (kThreads / kBM) < k;
    r[l] = inside ? src[l * l_step] : 0.0f;
  }
}

template <bool kAlongP>
__device__ __forceinline__ void store_step(float* s, int tid, const float (&r)[kStage]) {
#pragma unroll
  for (int l = 0; l < kStage; ++l) s[stage_p<kAlongP>(tid, l) * kStride + stage_x<kAlongP>(tid, l)] = r[l];
}

// v = sum + bias, then + C when accumulating; C is read only then (otherwise it may hold NaN).
__device__ __forceinline__ void write_c(float v, int64_t gi, int64_t gj, const float* __restrict__ bias,
                                        int accumulate, float* __restrict__ c, int64_t ldc) {
  if (bias != nullptr) v += bias[gj];
  float* out = c + gi * ldc + gj;
  if (accumulate) v += *out;
  *out = v;
}

template <bool kTransA, bool kTransB, int kMode>
__global__ void __launch_bounds__(kThreads)
gemm_kernel(int64_t m, int64_t n, int64_t k, int64_t slice, const float* __restrict__ a, int64_t lda,
            const float* __restrict__ b, int64_t ldb, const float* __restrict__ bias, int accumulate,
            float* __restrict__ c, int64_t ldc) {
  // [buffer][A, B][p][i]
  __shared__ __align__(16) float smem[2 * 2 * kTileFloats];
  const int tid = threadIdx.x;
  const int warp = tid / 32;
  const int lane = tid % 32;
  // Lane bit 0 goes to the row and bit 1 to the column group: lanes l and l^2 read the same A address, l and
  // l^1 the same B address, which on some GPUs lets a 16-byte shared load return in half the cycles.
  const int ty = (lane & 1) | ((lane >> 4) << 1);
  const int tx = (lane >> 1) & 7;
  const int row_base = (warp / 2) * 32 + ty * 4;
  const int col_base = (warp % 2) * 32 + tx * 4;
  const int64_t m_tiles = (m + kBM - 1) / kBM;
  const int64_t n_tiles = (n + kBN - 1) / kBN;

  // Both tile loops are uniform across the block (and across a cluster, whose blocks differ only in z), so
  // every barrier inside is reached by every thread.
  for (int64_t mt = blockIdx.x; mt < m_tiles; mt += gridDim.x) {
    for (int64_t nt = blockIdx.y; nt < n_tiles; nt += gridDim.y) {
      const int64_t m0 = mt * kBM;
      const int64_t n0 = nt * kBN;
      int64_t k_begin = 0;
      int64_t k_end = k;
      if (kMode == kClusterSlices) {
        k_begin = static_cast<int64_t>(blockIdx.z) * slice;
        k_end = k_begin + slice < k ? k_begin + slice : k;
      }
      const int64_t steps = k_end > k_begin ? (k_end - k_begin + kBK - 1) / kBK : 0;

      float acc[kTM][kTN];
      float total[kTM][kTN];
#pragma unroll
      for (int r = 0; r < kTM; ++r)
#pragma unroll
        for (int s = 0; s < kTN; ++s) {
          acc[r][s] = 0.0f;
          total[r][s] = 0.0f;
        }
      bool have_total = false;
      int64_t next_slice = k_begin + slice;

      float ra[kStage];
      float rb[kStage];
      if (steps > 0) {
        load_step<!kTransA>(a, lda, m, k, m0, k_begin, tid, ra);
        load_step<kTransB>(b, ldb, n, k, n0, k_begin, tid, rb);
        store_step<!kTransA>(smem, tid, ra);
        store_step<kTransB>(smem + kTileFloats, tid, rb);
        __syncthreads();
      }
      for (int64_t step = 0; step < steps; ++step) {
        const int64_t k0 = k_begin + step * kBK;
        if (kMode == kSerialSlices && k0 == next_slice) {
#pragma unroll
          for (int r = 0; r < kTM; ++r)
#pragma unroll
            for (int s = 0; s < kTN; ++s) {
              total[r][s] = have_total ? total[r][s] + acc[r][s] : acc[r][s];
              acc[r][s] = 0.0f;
            }
          have_total = true;
          next_slice += slice;
        }
        const bool more = step + 1 < steps;
        if (more) {
          load_step<!kTransA>(a, lda, m, k, m0, k0 + kBK, tid, ra);
          load_step<kTransB>(b, ldb, n, k, n0, k0 + kBK, tid, rb);
        }
        const float* as = smem + (step & 1) * 2 * kTileFloats;
        const float* bs = as + kTileFloats;
#pragma unroll
        for (int p = 0; p < kBK; ++p) {
          const float4 a0 = *reinterpret_cast<const float4*>(as + p * kStride + row_base);
          const float4 a1 = *reinterpret_cast<const float4*>(as + p * kStride + row_base + 16);
          const float4 b0 = *reinterpret_cast<const float4*>(bs + p * kStride + col_base);
          const float ar[kTM] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
          const float br[kTN] = {b0.x, b0.y, b0.z, b0.w};
#pragma unroll
          for (int r = 0; r < kTM; ++r)
#pragma unroll
            for (int s = 0; s < kTN; ++s) acc[r][s] = fmaf(ar[r], br[s], acc[r][s]);
        }
        if (more) {
          float* next = smem + ((step + 1) & 1) * 2 * kTileFloats;
          store_step<!kTransA>(next, tid, ra);
          store_step<kTransB>(next + kTileFloats, tid, rb);
        }
        // The next step's buffer is complete, and the one just read is free for the step after.
        __syncthreads();
      }
      if (kMode == kSerialSlices && have_total) {
#pragma unroll
        for (int r = 0; r < kTM; ++r)
#pragma unroll
          for (int s = 0; s < kTN; ++s) acc[r][s] = total[r][s] + acc[r][s];
      }

      if (kMode != kClusterSlices) {
#pragma unroll
        for (int r = 0; r < kTM; ++r) {
          const int64_t gi = m0 + row_base + (r / 4) * 16 + r % 4;
          if (gi >= m) continue;
#pragma unroll
          for (int s = 0; s < kTN; ++s) {
            const int64_t gj = n0 + col_base + s;
            if (gj < n) write_c(acc[r][s], gi, gj, bias, accumulate, c, ldc);
          }
        }
      } else {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
        // The partial tile [kBM][kBN] takes the place of the staging buffers, which every thread has
        // finished reading (the loop ends with a barrier).
        float* part = smem;
#pragma unroll
        for (int r = 0; r < kTM; ++r) {
          const int row = row_base + (r / 4) * 16 + r % 4;
          *reinterpret_cast<float4*>(part + row * kBN + col_base) =
              make_float4(acc[r][0], acc[r][1], acc[r][2], acc[r][3]);
        }
        cg::cluster_group cluster = cg::this_cluster();
        cluster.sync();
        const int slices = static_cast<int>(gridDim.z);
        for (int e = static_cast<int>(blockIdx.z) * kThreads + tid; e < kBM * kBN / 4; e += slices * kThreads) {
          float4 sum = reinterpret_cast<const float4*>(cluster.map_shared_rank(part, 0))[e];
          for (int z = 1; z < slices; ++z) {
            const float4 v = reinterpret_cast<const float4*>(cluster.map_shared_rank(part, z))[e];
            sum.x += v.x;
            sum.y += v.y;
            sum.z += v.z;
            sum.w += v.w;
          }
          const int64_t gi = m0 + e / (kBN / 4);
          const int64_t gj = n0 + (e % (kBN / 4)) * 4;
          if (gi < m) {
            if (gj < n) write_c(sum.x, gi, gj, bias, accumulate, c, ldc);
            if (gj + 1 < n) write_c(sum.y, gi, gj + 1, bias, accumulate, c, ldc);
            if (gj + 2 < n) write_c(sum.z, gi, gj + 2, bias, accumulate, c, ldc);
            if (gj + 3 < n) write_c(sum.w, gi, gj + 3, bias, accumulate, c, ldc);
          }
        }
        // No block reuses or leaves behind its shared memory while another may still read it.
        cluster.sync();
#else
        // Launched only on devices of compute capability 9.0 and above.
        __trap();
#endif
      }
    }
  }
}

template <bool kTransA, bool kTransB>
cudaError_t launch(Mode mode, const Slicing& sl, dim3 grid, cudaStream_t stream, int64_t m, int64_t n, int64_t k,
                   const float* a, int64_t lda, const float* b, int64_t ldb, const float* bias, int accumulate,
                   float* c, int64_t ldc) {
  switch (mode) {
    case kOneSlice:
      gemm_kernel<kTransA, kTransB, kOneSlice>
          <<<grid, kThreads, 0, stream>>>(m, n, k, sl.length, a, lda, b, ldb, bias, accumulate, c, ldc);
      return cudaSuccess;
    case kSerialSlices:
      gemm_kernel<kTransA, kTransB, kSerialSlices>
          <<<grid, kThreads, 0, stream>>>(m, n, k, sl.length, a, lda, b, ldb, bias, accumulate, c, ldc);
      return cudaSuccess;
    default: {
      cudaLaunchConfig_t config = {};
      config.gridDim = dim3(grid.x, grid.y, static_cast<unsigned int>(sl.count));
      config.blockDim = dim3(kThreads);
      config.dynamicSmemBytes = 0;
      config.stream = stream;
      cudaLaunchAttribute cluster;
      cluster.id = cudaLaunchAttributeClusterDimension;
      cluster.val.clusterDim.x = 1;
      cluster.val.clusterDim.y = 1;
      cluster.val.clusterDim.z = static_cast<unsigned int>(sl.count);
      config.attrs = &cluster;
      config.numAttrs = 1;
      return cudaLaunchKernelEx(&config, gemm_kernel<kTransA, kTransB, kClusterSlices>, m, n, k, sl.length, a,
                                lda, b, ldb, bias, accumulate, c, ldc);
    }
  }
}

// Clusters only when the tiles alone would leave much of the GPU idle (fewer than two per SM): otherwise each
// block walking all the slices costs about as much as meeting in distributed shared memory. Either way the
// bits are the same.
cudaError_t choose_mode(const Slicing& sl, int64_t tiles, Mode* mode) {
  *mode = sl.count == 1 ? kOneSlice : kSerialSlices;
  if (sl.count == 1) return cudaSuccess;
  int device = 0;
  int major = 0;
  int sms = 0;
  cudaError_t err = cudaGetDevice(&device);
  if (err == cudaSuccess) err = cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device);
  if (err == cudaSuccess) err = cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
  if (err != cudaSuccess) return err;
  if (major >= 9 && tiles < 2 * static_cast<int64_t>(sms)) *mode = kClusterSlices;
  return cudaSuccess;
}

}  // namespace

// K == 0 still launches: C becomes bias (or 0), or C + bias when accumulating.
LRN4J_CUDA_EXPORT int lrn4j_cuda_gemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
                                      const float* a, int64_t lda, const float* b, int64_t ldb,
                                      const float* bias, int accumulate, float* c, int64_t ldc, void* stream) {
  if (m == 0 || n == 0) return 0;
  const Slicing sl = slicing(k);
  const int64_t m_tiles = (m + kBM - 1) / kBM;
  const int64_t n_tiles = (n + kBN - 1) / kBN;
  Mode mode = kOneSlice;
  cudaError_t err = choose_mode(sl, m_tiles * n_tiles, &mode);
  if (err == cudaSuccess) {
    const dim3 grid(lrn4j_cuda::grid_blocks(m, kBM),
                    static_cast<unsigned int>(n_tiles < kMaxGridY ? n_tiles : kMaxGridY));
    const cudaStream_t s = static_cast<cudaStream_t>(stream);
    if (!trans_a && !trans_b) {
      err = launch<false, false>(mode, sl, grid, s, m, n, k, a, lda, b, ldb, bias, accumulate, c, ldc);
    } else if (!trans_a && trans_b) {
      err = launch<false, true>(mode, sl, grid, s, m, n, k, a, lda, b, ldb, bias, accumulate, c, ldc);
    } else if (trans_a && !trans_b) {
      err = launch<true, false>(mode, sl, grid, s, m, n, k, a, lda, b, ldb, bias, accumulate, c, ldc);
    } else {
      err = launch<true, true>(mode, sl, grid, s, m, n, k, a, lda, b, ldb, bias, accumulate, c, ldc);
    }
  }
  // Clears the pending error, which is the launch's own when err came from a launch.
  const cudaError_t last = cudaGetLastError();
  return static_cast<int>(err != cudaSuccess ? err : last);
}
