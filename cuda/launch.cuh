// Conventions shared by the lrn4j_cuda_* entry points: which symbols the library exports, and how a
// grid is sized for the grid-stride loops every kernel uses (so any item count is covered, however
// large, without exceeding the grid limits).
#ifndef LRN4J_CUDA_LAUNCH_CUH
#define LRN4J_CUDA_LAUNCH_CUH

#include <climits>
#include <cstdint>

// The library is compiled with hidden visibility; only the functions of lrn4j_cuda.h are exported.
#define LRN4J_CUDA_EXPORT extern "C" __attribute__((visibility("default")))

namespace lrn4j_cuda {

// Blocks of `per_block` threads (or items) that cover `items`, capped at the x-dimension limit of a grid.
inline unsigned int grid_blocks(int64_t items, int64_t per_block) {
  const int64_t blocks = (items + per_block - 1) / per_block;
  return static_cast<unsigned int>(blocks < INT_MAX ? blocks : INT_MAX);
}

}  // namespace lrn4j_cuda

#endif
