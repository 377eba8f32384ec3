// Copyright © 2026 Tandem authors.
// CPU kernels of the fused primitives (primitives/fused.h).
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "backend/common/cast.h"
#include "backend/common/dispatch.h"
#include "backend/cpu/copy.h"
#include "backend/cpu/simd_bf16.h"
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

/// Reductions over a row in 64 independent lanes, so the loops vectorise without reassociating
/// any one running value (a single running sum or max is a serial dependency chain), with four
/// 16-lane vectors in flight (one vector was bound by the add latency: 25% of a bf16 LayerNorm).
constexpr int kLanes = 64;

/// sum of f(v[j]) over a row.
template <typename A, typename F>
inline A lane_sum(const A* v, int64_t n, F f) {
  A acc[kLanes];
  for (int l = 0; l < kLanes; ++l)
    acc[l] = A(0);
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    for (int l = 0; l < kLanes; ++l)
      acc[l] += f(v[j + l]);
  }
  A s = 0;
  for (; j < n; ++j)
    s += f(v[j]);
  for (int l = 0; l < kLanes; ++l)
    s += acc[l];
  return s;
}

/// max over a row; NaN is skipped here (the softmax arithmetic propagates it).
template <typename A>
inline A lane_max(const A* v, int64_t n) {
  A acc[kLanes];
  for (int l = 0; l < kLanes; ++l)
    acc[l] = -std::numeric_limits<A>::infinity();
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    for (int l = 0; l < kLanes; ++l)
      acc[l] = v[j + l] > acc[l] ? v[j + l] : acc[l];
  }
  A m = -std::numeric_limits<A>::infinity();
  for (; j < n; ++j)
    m = v[j] > m ? v[j] : m;
  for (int l = 0; l < kLanes; ++l)
    m = acc[l] > m ? acc[l] : m;
  return m;
}

// One row: max, then e = exp(x - max) kept in `buf` (the accumulation type), sum, scale.
// A few passes over a row that stays in cache, instead of five over the whole array; 16-bit
// inputs are converted into `buf` once.
template <typename T, typename A>
void softmax_row(const T* x, T* y, A* buf, int64_t n) {
  const A* v;
  if constexpr (std::is_same_v<T, A>) {
    v = x;
  } else {
    for (int64_t j = 0; j < n; ++j)
      buf[j] = static_cast<A>(x[j]);
    v = buf;
  }
  const A m = lane_max(v, n);
  // NaN or +inf anywhere, or a row of -inf, gives a row of NaN through the arithmetic itself
  // (NaN sums, inf - inf), exactly as the composed exp(x - max) / sum does.
  for (int64_t j = 0; j < n; ++j)
    buf[j] = exp_of(v[j] - m);
  const A s = lane_sum(buf, n, [](A t) { return t; });
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

// ------------------------------ RMSNorm, LayerNorm ------------------------------

namespace {

/// One row of x in the accumulation type: x itself when it already is, else converted into buf.
template <typename Tx, typename A>
inline const A* row_in(const Tx* x, A* buf, int64_t n) {
  if constexpr (std::is_same_v<Tx, A>) {
    return x;
  } else {
    for (int64_t j = 0; j < n; ++j)
      buf[j] = static_cast<A>(x[j]);
    return buf;
  }
}

// The output of one row: t_j = (v_j - mu) * inv rounded to T, then * w_j and + b_j in T (one
// rounding each, as the composition astype(y, T) * w + b).
template <typename T, typename A>
inline void norm_out_row(const A* v, A mu, A inv, const T* w, const T* b, T* y, int64_t n) {
  if (w && b) {
    for (int64_t j = 0; j < n; ++j) {
      T t = static_cast<T>((v[j] - mu) * inv);
      t = static_cast<T>(static_cast<A>(t) * static_cast<A>(w[j]));
      y[j] = static_cast<T>(static_cast<A>(t) + static_cast<A>(b[j]));
    }
  } else if (w) {
    for (int64_t j = 0; j < n; ++j) {
      T t = static_cast<T>((v[j] - mu) * inv);
      y[j] = static_cast<T>(static_cast<A>(t) * static_cast<A>(w[j]));
    }
  } else if (b) {
    for (int64_t j = 0; j < n; ++j) {
      T t = static_cast<T>((v[j] - mu) * inv);
      y[j] = static_cast<T>(static_cast<A>(t) + static_cast<A>(b[j]));
    }
  } else {
    for (int64_t j = 0; j < n; ++j)
      y[j] = static_cast<T>((v[j] - mu) * inv);
  }
}

/// The shared driver: rows of the last axis, split over the thread pool. rms: mu = 0 and the
/// mean square; otherwise the mean and the (two-pass) population variance.
void norm_eval(const char* op, bool rms, float eps, bool has_w, bool has_b,
               const std::vector<array>& inputs, array& out) {
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) return;
  auto contiguous = [](const array& a) {
    return a.flags().row_contiguous ? a : cpu::make_contiguous(a);
  };
  array x = contiguous(inputs[0]);
  std::optional<array> w, b;
  if (has_w) w = contiguous(inputs[1]);
  if (has_b) b = contiguous(inputs[has_w ? 2 : 1]);
  const int64_t n = x.shape().back();
  const int64_t rows = static_cast<int64_t>(x.size()) / n;
  auto kernel = [&]<typename Tx, typename T>() {
    using A = std::conditional_t<std::is_same_v<T, double>, double, float>;
    const Tx* xp = x.unsafe_data<Tx>();
    const T* wp = w ? w->unsafe_data<T>() : nullptr;
    const T* bp = b ? b->unsafe_data<T>() : nullptr;
    T* yp = out.unsafe_data<T>();
    const A e = static_cast<A>(eps);
    // bfloat16 outputs round through simd_bf16.h; the parameters are converted to float once.
    constexpr bool bf16_out = std::is_same_v<T, bfloat16_t>;
    std::vector<float> wf, bf;
    if constexpr (bf16_out) {
      if (wp) wf.assign(wp, wp + n);
      if (bp) bf.assign(bp, bp + n);
    }
    size_t grain = std::max<size_t>(1, cpu::kElementwiseGrain / static_cast<size_t>(n));
    cpu::parallel_for(rows, grain, [&](size_t r0, size_t r1) {
      std::unique_ptr<A[]> buf(std::is_same_v<Tx, A> ? nullptr : new A[n]);
      for (size_t r = r0; r < r1; ++r) {
        const A* v = row_in<Tx, A>(xp + r * n, buf.get(), n);
        A mu = 0, ms;
        if (rms) {
          ms = lane_sum(v, n, [](A t) { return t * t; }) / static_cast<A>(n);
        } else {
          mu = lane_sum(v, n, [](A t) { return t; }) / static_cast<A>(n);
          ms = lane_sum(v, n,
                        [mu](A t) {
                          A d = t - mu;
                          return d * d;
                        }) /
               static_cast<A>(n);
        }
        const A inv = A(1) / std::sqrt(ms + e);
        if constexpr (bf16_out) {
          cpu::norm_row_bf16(v, mu, inv, wp ? wf.data() : nullptr, bp ? bf.data() : nullptr,
                             reinterpret_cast<uint16_t*>(yp + r * n), n);
        } else {
          norm_out_row<T, A>(v, mu, inv, wp, bp, yp + r * n, n);
        }
      }
    });
  };
  bool done = dispatch_norm<float16_t, bfloat16_t>(x.dtype(), out.dtype(), kernel);
  if (!done) {
    throw std::invalid_argument(std::string("[") + op + "] Unsupported dtypes: input " +
                                dtype_name(x.dtype()) + ", output " + dtype_name(out.dtype()) +
                                ".");
  }
}

}  // namespace

void RMSNorm::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  norm_eval("rms_norm", true, eps_, has_weight_, false, inputs, outputs[0]);
}

void LayerNorm::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  norm_eval("layer_norm", false, eps_, has_weight_, has_bias_, inputs, outputs[0]);
}

}  // namespace tandem
