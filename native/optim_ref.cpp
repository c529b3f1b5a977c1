// Reference optimizer steps and the sum of squares (see lrn4j.h): the formulas as written there, one
// element at a time, in float (the sum of squares in double, in blocks of 4096 as documented).
#include <algorithm>
#include <cmath>

#include "kernels.h"

namespace lrn4j::ref {

void adam_step(int64_t n, float* p, const float* g, float* m, float* v, float lr, float beta1, float beta2, float eps,
               float weight_decay, float grad_scale, float bias_correction1, float bias_correction2, int /*threads*/) {
  for (int64_t i = 0; i < n; ++i) {
    const float gs = grad_scale * g[i];
    m[i] = beta1 * m[i] + (1.0f - beta1) * gs;
    v[i] = beta2 * v[i] + (1.0f - beta2) * (gs * gs);
    const float update = (m[i] / bias_correction1) / (std::sqrt(v[i] / bias_correction2) + eps);
    p[i] = p[i] - lr * (update + weight_decay * p[i]);
  }
}

void sgd_step(int64_t n, float* p, const float* g, float* u, float lr, float momentum, float weight_decay,
              float grad_scale, int nesterov, int /*threads*/) {
  for (int64_t i = 0; i < n; ++i) {
    const float d = grad_scale * g[i] + weight_decay * p[i];
    u[i] = momentum * u[i] + d;
    p[i] = p[i] - lr * (nesterov ? d + momentum * u[i] : u[i]);
  }
}

double sum_squares(int64_t n, const float* x, int /*threads*/) {
  constexpr int64_t kBlock = 4096;
  double total = 0.0;
  for (int64_t b = 0; b < n; b += kBlock) {
    double s = 0.0;
    for (int64_t i = b; i < std::min(n, b + kBlock); ++i) s += static_cast<double>(x[i]) * x[i];
    total += s;
  }
  return total;
}

void dropout(int64_t n, const float* x, float* y, uint64_t seed, uint64_t offset, uint32_t threshold, float scale,
             int /*threads*/) {
  for (int64_t i = 0; i < n; ++i) {
    y[i] = dropout_bits(seed, offset + static_cast<uint64_t>(i)) >= threshold ? x[i] * scale : 0.0f;
  }
}

}  // namespace lrn4j::ref
