// Reference embedding lookup and its backward (see lrn4j_embedding_gather / _scatter_add in lrn4j.h).
// The backward walks the ids in increasing i and adds whole rows; single-threaded, the plainest loop.
#include <limits>

#include "kernels.h"

namespace lrn4j::ref {

void embedding_gather(int64_t m, int64_t d, const int32_t* ids, const float* table, int64_t rows, int64_t ldt,
                      float* out, int64_t ldo, int /*threads*/) {
  for (int64_t i = 0; i < m; ++i) {
    const int32_t id = ids[i];
    float* o = out + i * ldo;
    if (id >= 0 && id < rows) {
      for (int64_t j = 0; j < d; ++j) o[j] = table[id * ldt + j];
    } else {
      const float v = id == -1 ? 0.0f : std::numeric_limits<float>::quiet_NaN();
      for (int64_t j = 0; j < d; ++j) o[j] = v;
    }
  }
}

void embedding_scatter_add(int64_t m, int64_t d, const int32_t* ids, const float* dout, int64_t ldo, float* dtable,
                           int64_t rows, int64_t ldt, int /*threads*/) {
  for (int64_t i = 0; i < m; ++i) {
    const int32_t id = ids[i];
    if (id < 0 || id >= rows) continue;
    for (int64_t j = 0; j < d; ++j) dtable[id * ldt + j] += dout[i * ldo + j];
  }
}

}  // namespace lrn4j::ref
