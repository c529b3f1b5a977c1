// Reference elementwise activations (see lrn4j.h, lrn4j_activation_forward/backward): the formulas as
// written there, one float at a time, with the C library's tanh and exp.
#include <cmath>

#include "kernels.h"
#include "lrn4j/lrn4j.h"

namespace lrn4j::ref {

void activation_forward(int fn, int64_t n, const float* x, float* y, int /*threads*/) {
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    switch (fn) {
      case LRN4J_FN_TANH: y[i] = std::tanh(v); break;
      case LRN4J_FN_RELU: y[i] = v < 0.0f ? 0.0f : v; break;
      case LRN4J_FN_SIGMOID: y[i] = 1.0f / (1.0f + std::exp(-v)); break;
      default: y[i] = v; break;
    }
  }
}

void activation_backward(int fn, int64_t n, const float* y, const float* dy, float* dx, int /*threads*/) {
  for (int64_t i = 0; i < n; ++i) {
    const float v = y[i];
    switch (fn) {
      case LRN4J_FN_TANH: dx[i] = dy[i] * (1.0f - v * v); break;
      case LRN4J_FN_RELU: dx[i] = v > 0.0f ? dy[i] : 0.0f; break;
      case LRN4J_FN_SIGMOID: dx[i] = dy[i] * (v * (1.0f - v)); break;
      default: dx[i] = dy[i]; break;
    }
  }
}

}  // namespace lrn4j::ref
