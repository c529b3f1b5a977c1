// The chunk scaffolding of the scans, for every vector width (V: __m256 with avx2_math.h, __m512 with
// avx512_math.h; Simd<V> as there): scan_simd.h (LRN and oLRN, AVX2 and AVX-512) and sru_avx2.cpp. A chunk
// is U vectors of L = Simd<V>::kLanes neighbouring hidden units of one sequence, whose recurrences are walked
// over time together: all steps at once by a chunk kernel (run_chunks), or step by step across many chunks
// (run_time_outer). A row of H units is cut into chunks of kVectors vectors from unit 0; the last chunk may
// have fewer vectors, and its last vector may be partial: that vector is read and written with masked loads
// and stores, and the other lanes are never touched. Kernels are instantiated per (U, partial last vector,
// activation) and chosen once per call. Header-only, in an unnamed namespace like simd_math.h: include it
// after the vector's header, from translation units compiled for that instruction set.
#ifndef LRN4J_NATIVE_SIMD_CHUNKS_H
#define LRN4J_NATIVE_SIMD_CHUNKS_H

#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "kernels.h"
#include "simd_math.h"

namespace lrn4j::simd {
namespace {

// A vector at p (any alignment), or only the lanes of `mask` (the others read as 0) when `masked`.
template <class V>
inline V load(const float* p, bool masked, typename Simd<V>::Mask mask) {
  return masked ? Simd<V>::maskload(p, mask) : Simd<V>::loadu(p);
}

template <class V>
inline void store(float* p, V v, bool masked, typename Simd<V>::Mask mask) {
  if (masked) {
    Simd<V>::maskstore(p, v, mask);
  } else {
    Simd<V>::storeu(p, v);
  }
}

// Requests the cache lines of floats [p, p + n), n >= 1 (one request per 16 floats, and the last). A chunk's
// consecutive steps lie a row of the batch apart, often a new page, which the hardware prefetchers do not
// follow: the scans request the rows a few steps ahead with this.
inline void prefetch(const float* p, int64_t n) {
  for (int64_t i = 0; i < n; i += 16) _mm_prefetch(reinterpret_cast<const char*>(p + i), _MM_HINT_T0);
  _mm_prefetch(reinterpret_cast<const char*>(p + n - 1), _MM_HINT_T0);
}

// How a row of `hidden` units is cut into chunks of `vectors` vectors of V.
template <class V>
struct ChunkShape {
  int64_t units;                // units of a full chunk: L * vectors
  int64_t blocks;               // chunks per row
  int last_vectors;             // vectors of the last chunk
  bool last_tail;               // whether the last vector of the last chunk is partial
  typename Simd<V>::Mask tail;  // its lanes, for the masked loads and stores
};

template <class V>
inline ChunkShape<V> chunk_shape(int64_t hidden, int vectors) {
  constexpr int L = Simd<V>::kLanes;
  const int64_t units = L * static_cast<int64_t>(vectors);
  const int64_t blocks = (hidden + units - 1) / units;
  const int64_t last_units = hidden - (blocks - 1) * units;
  return {units, blocks, static_cast<int>((last_units + L - 1) / L), last_units % L != 0,
          Simd<V>::tail_mask(static_cast<int>(last_units % L))};
}

// K<U, kTail, kTanh>::fn (a function pointer of type Fn) for a chunk of `vectors` vectors, 1 <= vectors <= U.
template <class Fn, template <int, bool, bool> class K, int U, bool kTail, bool kTanh>
Fn pick_vectors(int vectors) {
  if constexpr (U == 1) {
    return K<1, kTail, kTanh>::fn;
  } else {
    return vectors >= U ? K<U, kTail, kTanh>::fn : pick_vectors<Fn, K, U - 1, kTail, kTanh>(vectors);
  }
}

template <class Fn, template <int, bool, bool> class K, int kMaxVectors>
Fn pick(int vectors, bool tail, bool tanh_act) {
  if (tail) {
    return tanh_act ? pick_vectors<Fn, K, kMaxVectors, true, true>(vectors)
                    : pick_vectors<Fn, K, kMaxVectors, true, false>(vectors);
  }
  return tanh_act ? pick_vectors<Fn, K, kMaxVectors, false, true>(vectors)
                  : pick_vectors<Fn, K, kMaxVectors, false, false>(vectors);
}

// A chunk kernel: walks all steps of the chunk at unit j0 of sequence b.
template <class V, class Args>
using ChunkKernel = void (*)(const Args&, int64_t, int64_t, typename Simd<V>::Mask);

// Runs the chunk kernels K over every (sequence, chunk of kVectors vectors) of a.batch rows of a.hidden
// units, chunk-at-a-time, threads taking whole chunks (static schedule), at least kMinUnitStepsPerThread
// unit-steps per thread. Chunks share no output, so results do not depend on the thread count.
template <class V, class Args, template <int, bool, bool> class K, int kVectors, int64_t kMinUnitStepsPerThread>
void run_chunks(const Args& a, bool tanh_act, int threads) {
  const ChunkShape<V> shape = chunk_shape<V>(a.hidden, kVectors);
  const int64_t chunks = a.batch * shape.blocks;
  const int nt = static_cast<int>(
      std::min<int64_t>(chunks, threads_for(a.t_len * a.batch * a.hidden, kMinUnitStepsPerThread, threads)));
  const ChunkKernel<V, Args> full = pick<ChunkKernel<V, Args>, K, kVectors>(kVectors, false, tanh_act);
  const ChunkKernel<V, Args> last =
      pick<ChunkKernel<V, Args>, K, kVectors>(shape.last_vectors, shape.last_tail, tanh_act);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t ch = 0; ch < chunks; ++ch) {
    const int64_t b = ch / shape.blocks, blk = ch % shape.blocks;
    (blk == shape.blocks - 1 ? last : full)(a, b, blk * shape.units, shape.tail);
  }
}

// A step kernel: processing step s of the chunk at unit j0 of sequence b, its state (forward) or carried
// gradient (backward) read from and written back to st (L * U floats, aligned as V).
template <class V, class Args>
using StepKernel = void (*)(const Args&, int64_t, int64_t, int64_t, float*, typename Simd<V>::Mask);

// Runs the step kernels S over every (sequence, chunk of kVectors vectors) of a.batch rows of a.hidden units
// in time-outer order: each thread owns a contiguous range of chunks, keeps their states or carried gradients
// in a small aligned buffer (L1/L2), and walks time in the outer loop, visiting its chunks in order at every
// step. A step then reads the rows of consecutive sequences one after the other (sequential memory, few
// pages: on large shapes the chunk-at-a-time order paid a TLB miss per row), and the chunks of a step are
// independent, so their dependency chains overlap. init: [B, H] initial state or carried gradient (NULL:
// zeros); finish: [B, H] where the final one goes (NULL: nowhere); forward: steps walked 0..T-1, else T-1..0.
// Without memory for the buffer, a thread walks its chunks one at a time with a buffer on the stack (same
// arithmetic, same results). Chunks share no output, so results do not depend on the thread count.
template <class V, class Args, template <int, bool, bool> class S, int kVectors, int64_t kMinUnitStepsPerThread>
void run_time_outer(const Args& a, const float* init, float* finish, bool forward, bool tanh_act, int threads) {
  constexpr int64_t kUnits = Simd<V>::kLanes * kVectors;
  const ChunkShape<V> shape = chunk_shape<V>(a.hidden, kVectors);
  const int64_t blocks = shape.blocks;
  const int64_t chunks = a.batch * blocks;
  const int nt = static_cast<int>(
      std::min<int64_t>(chunks, threads_for(a.t_len * a.batch * a.hidden, kMinUnitStepsPerThread, threads)));
  const StepKernel<V, Args> full = pick<StepKernel<V, Args>, S, kVectors>(kVectors, false, tanh_act);
  const StepKernel<V, Args> last =
      pick<StepKernel<V, Args>, S, kVectors>(shape.last_vectors, shape.last_tail, tanh_act);
  // The units of chunk p in its row: [j0, j0 + units).
  auto units_of = [&](int64_t p) { return std::min(kUnits, a.hidden - (p % blocks) * kUnits); };
  auto begin = [&](int64_t p, float* s) {
    std::memset(s, 0, kUnits * sizeof(float));
    const int64_t b = p / blocks, j0 = (p % blocks) * kUnits;
    if (init) std::memcpy(s, init + b * a.hidden + j0, static_cast<size_t>(units_of(p)) * sizeof(float));
  };
  auto step = [&](int64_t p, int64_t i, float* s) {
    const int64_t b = p / blocks, blk = p % blocks;
    (blk == blocks - 1 ? last : full)(a, b, blk * kUnits, forward ? i : a.t_len - 1 - i, s, shape.tail);
  };
  auto end = [&](int64_t p, const float* s) {
    const int64_t b = p / blocks, j0 = (p % blocks) * kUnits;
    if (finish) std::memcpy(finish + b * a.hidden + j0, s, static_cast<size_t>(units_of(p)) * sizeof(float));
  };
#pragma omp parallel num_threads(nt)
  {
#ifdef _OPENMP
    const int64_t tid = omp_get_thread_num(), n = omp_get_num_threads();
#else
    const int64_t tid = 0, n = 1;
#endif
    const int64_t p0 = chunks * tid / n, p1 = chunks * (tid + 1) / n;
    float* st = static_cast<float*>(
        std::aligned_alloc(alignof(V), static_cast<size_t>(std::max<int64_t>(1, p1 - p0)) * kUnits * sizeof(float)));
    if (st != nullptr) {
      for (int64_t p = p0; p < p1; ++p) begin(p, st + (p - p0) * kUnits);
      for (int64_t i = 0; i < a.t_len; ++i) {
        for (int64_t p = p0; p < p1; ++p) step(p, i, st + (p - p0) * kUnits);
      }
      for (int64_t p = p0; p < p1; ++p) end(p, st + (p - p0) * kUnits);
      std::free(st);
    } else {
      alignas(V) float one[kUnits];
      for (int64_t p = p0; p < p1; ++p) {
        begin(p, one);
        for (int64_t i = 0; i < a.t_len; ++i) step(p, i, one);
        end(p, one);
      }
    }
  }
}

}  // namespace
}  // namespace lrn4j::simd

#endif
