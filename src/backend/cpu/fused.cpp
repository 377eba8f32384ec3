// Copyright © 2026 Tandem authors.
// CPU kernels of the fused primitives (primitives/fused.h).
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "backend/common/cast.h"
#include "backend/common/dispatch.h"
#include "backend/cpu/copy.h"
#include "backend/cpu/threading.h"
#include "backend/cpu/vmath.h"
#include "primitives/fused.h"
#include "tandem/allocator.h"

namespace tandem {

namespace {

inline float exp_of(float x) {
  return cpu::vmath::exp(x);
}
inline double exp_of(double x) {
  return std::exp(x);
}

// One row: max, then e = exp(x - max) kept in `buf` (the accumulation type), sum, scale.
// Three passes over a row that stays in cache, instead of five over the whole array.
template <typename T, typename A>
void softmax_row(const T* x, T* y, A* buf, int64_t n) {
  A m = -std::numeric_limits<A>::infinity();
  for (int64_t j = 0; j < n; ++j) {
    A v = static_cast<A>(x[j]);
    m = v > m ? v : m;
  }
  // NaN or +inf anywhere, or a row of -inf, gives a row of NaN through the arithmetic itself
  // (NaN sums, inf - inf), exactly as the composed exp(x - max) / sum does.
  for (int64_t j = 0; j < n; ++j)
    buf[j] = exp_of(static_cast<A>(x[j]) - m);
  A s = 0;
  for (int64_t j = 0; j < n; ++j)
    s += buf[j];
  const A inv = A(1) / s;
  for (int64_t j = 0; j < n; ++j)
    y[j] = static_cast<T>(buf[j] * inv);
}

}  // namespace

void Softmax::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  array in = inputs[0];
  array& out = outputs[0];
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) return;
  if (!in.flags().row_contiguous) in = cpu::make_contiguous(in);
  const int64_t n = in.ndim() == 0 ? 1 : in.shape().back();
  const int64_t rows = static_cast<int64_t>(in.size()) / n;
  bool done = dispatch_all(in.dtype(), [&]<typename T>() {
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double> || is_half_type_v<T>) {
      using A = std::conditional_t<std::is_same_v<T, double>, double, float>;
      const T* x = in.unsafe_data<T>();
      T* y = out.unsafe_data<T>();
      size_t grain = std::max<size_t>(1, cpu::kElementwiseGrain / static_cast<size_t>(n));
      cpu::parallel_for(rows, grain, [&](size_t b, size_t e) {
        std::unique_ptr<A[]> buf(new A[n]);
        for (size_t r = b; r < e; ++r)
          softmax_row(x + r * n, y + r * n, buf.get(), n);
      });
      return true;
    } else {
      return false;
    }
  });
  if (!done) {
    throw std::invalid_argument("[softmax] Requires a floating-point input; got " +
                                dtype_name(in.dtype()) + ".");
  }
}

}  // namespace tandem
