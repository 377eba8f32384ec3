// Copyright © 2026 Tandem authors.
// Reduction op functions: axis checks, dtype rules, then Reduce/ArgReduce nodes (or compositions).
#include <numeric>

#include "ops/ops_common.h"
#include "primitives/fused.h"

namespace tandem {

using detail::at_least_float;
using detail::fail;

std::string Reduce::name() const {
  static const char* names[] = {"Sum", "Prod", "Max", "Min", "And", "Or"};
  return std::string("Reduce(") + names[static_cast<int>(op_)] + ")";
}

bool Reduce::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const Reduce*>(&other);
  return o && o->op_ == op_ && o->axes_ == axes_;
}

bool ArgReduce::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const ArgReduce*>(&other);
  return o && o->op_ == op_ && o->axis_ == axis_;
}

namespace {

std::vector<int> all_axes(const array& a) {
  std::vector<int> axes(a.ndim());
  std::iota(axes.begin(), axes.end(), 0);
  return axes;
}

std::vector<int> sorted_axes(const array& a, const std::vector<int>& axes, const char* op) {
  auto ax = detail::normalize_axes(axes, a.ndim(), op);
  std::sort(ax.begin(), ax.end());
  return ax;
}

Shape reduced_shape(const Shape& shape, const std::vector<int>& axes, bool keepdims) {
  Shape out;
  size_t k = 0;
  for (int d = 0; d < static_cast<int>(shape.size()); ++d) {
    if (k < axes.size() && axes[k] == d) {
      ++k;
      if (keepdims) out.push_back(1);
    } else {
      out.push_back(shape[d]);
    }
  }
  return out;
}

// The Reduce node keeps reduced axes with extent 1; squeeze them unless keepdims.
array reduce(const array& a, const std::vector<int>& axes_in, bool keepdims, ReduceOp op,
             Dtype out_type, const char* name, StreamOrDevice s) {
  auto axes = sorted_axes(a, axes_in, name);
  if (axes.empty()) return astype(a, out_type, s);
  if (op == ReduceOp::Max || op == ReduceOp::Min) {
    for (int ax : axes) {
      if (a.shape()[ax] == 0) {
        fail(name, "Cannot reduce over an axis of extent 0 (no identity for " + std::string(name) +
                       "); input shape " + shape_to_string(a.shape()) + ".");
      }
    }
  }
  Shape kept = reduced_shape(a.shape(), axes, true);
  array out = detail::make<Reduce>(kept, out_type, {a}, to_stream(s), op, axes);
  if (!keepdims) out = reshape(out, reduced_shape(a.shape(), axes, false), s);
  return out;
}

Dtype sum_type(Dtype t) {
  if (t == bool_ || t == int8 || t == int16) return int32;
  if (t == uint8 || t == uint16) return uint32;
  return t;
}

}  // namespace

// ---- sum, prod, max, min, all, any: the four overloads each ----

#define TANDEM_REDUCE_OVERLOADS(NAME)                                     \
  array NAME(const array& a, bool keepdims, StreamOrDevice s) {           \
    return NAME(a, all_axes(a), keepdims, s);                             \
  }                                                                       \
  array NAME(const array& a, StreamOrDevice s) {                          \
    return NAME(a, false, s);                                             \
  }                                                                       \
  array NAME(const array& a, int axis, bool keepdims, StreamOrDevice s) { \
    return NAME(a, std::vector<int>{axis}, keepdims, s);                  \
  }

array sum(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  return reduce(a, axes, keepdims, ReduceOp::Sum, sum_type(a.dtype()), "sum", s);
}
TANDEM_REDUCE_OVERLOADS(sum)

array prod(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  return reduce(a, axes, keepdims, ReduceOp::Prod, sum_type(a.dtype()), "prod", s);
}
TANDEM_REDUCE_OVERLOADS(prod)

array max(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  return reduce(a, axes, keepdims, ReduceOp::Max, a.dtype(), "max", s);
}
TANDEM_REDUCE_OVERLOADS(max)

array min(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  return reduce(a, axes, keepdims, ReduceOp::Min, a.dtype(), "min", s);
}
TANDEM_REDUCE_OVERLOADS(min)

array all(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  return reduce(astype(a, bool_, s), axes, keepdims, ReduceOp::And, bool_, "all", s);
}
TANDEM_REDUCE_OVERLOADS(all)

array any(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  return reduce(astype(a, bool_, s), axes, keepdims, ReduceOp::Or, bool_, "any", s);
}
TANDEM_REDUCE_OVERLOADS(any)

array mean(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  auto ax = sorted_axes(a, axes, "mean");
  Dtype t = at_least_float(a.dtype());
  size_t n = 1;
  for (int d : ax)
    n *= a.shape()[d];
  // Sum in the output type (the kernel accumulates 16-bit floats in float32), then scale.
  array total = sum(astype(a, t, s), ax, keepdims, s);
  return multiply(total, array(n == 0 ? std::nan("") : 1.0 / static_cast<double>(n), t), s);
}
TANDEM_REDUCE_OVERLOADS(mean)

array logsumexp(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  auto ax = sorted_axes(a, axes, "logsumexp");
  for (int d : ax) {
    if (a.shape()[d] == 0) {
      fail("logsumexp", "Cannot reduce over an axis of extent 0; input shape " +
                            shape_to_string(a.shape()) + ".");
    }
  }
  Dtype t = at_least_float(a.dtype());
  array x = astype(a, t, s);
  if (ax.empty()) return x;
  array m = stop_gradient(max(x, ax, true, s), s);
  // Shift by the max, except where it is infinite (all -inf or a +inf present).
  array shift = where(isinf(m, s), zeros_like(m, s), m, s);
  array out = add(log(sum(exp(subtract(x, shift, s), s), ax, true, s), s), shift, s);
  if (!keepdims) out = squeeze(out, ax, s);
  return out;
}
TANDEM_REDUCE_OVERLOADS(logsumexp)

array count_nonzero(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  sorted_axes(a, axes, "count_nonzero");  // report bad axes under this op's name
  return sum(astype(not_equal(a, zeros({}, a.dtype(), s), s), uint32, s), axes, keepdims, s);
}
TANDEM_REDUCE_OVERLOADS(count_nonzero)

#undef TANDEM_REDUCE_OVERLOADS

// ---- var, std ----

array var(const array& a, const std::vector<int>& axes, bool keepdims, int ddof, StreamOrDevice s) {
  auto ax = sorted_axes(a, axes, "var");
  Dtype t = at_least_float(a.dtype());
  if (t == complex64) fail("var", "Not supported for complex64.");
  array x = astype(a, t, s);
  size_t n = 1;
  for (int d : ax)
    n *= a.shape()[d];
  array mu = mean(x, ax, true, s);
  array dev = square(subtract(x, mu, s), s);
  // Divide by max(n - ddof, 0) as MLX and NumPy: with no degrees of freedom left a non-zero sum
  // of squares gives inf and a zero one NaN.
  double denom = std::max(static_cast<double>(n) - ddof, 0.0);
  array total = sum(dev, ax, keepdims, s);
  if (denom == 0) return divide(total, array(0.0, t), s);
  return multiply(total, array(1.0 / denom, t), s);
}
array var(const array& a, bool keepdims, int ddof, StreamOrDevice s) {
  return var(a, all_axes(a), keepdims, ddof, s);
}
array var(const array& a, StreamOrDevice s) {
  return var(a, false, 0, s);
}
array var(const array& a, int axis, bool keepdims, int ddof, StreamOrDevice s) {
  return var(a, std::vector<int>{axis}, keepdims, ddof, s);
}

array std(const array& a, const std::vector<int>& axes, bool keepdims, int ddof, StreamOrDevice s) {
  sorted_axes(a, axes, "std");  // report bad axes under this op's name
  return sqrt(var(a, axes, keepdims, ddof, s), s);
}
array std(const array& a, bool keepdims, int ddof, StreamOrDevice s) {
  return std(a, all_axes(a), keepdims, ddof, s);
}
array std(const array& a, StreamOrDevice s) {
  return std(a, false, 0, s);
}
array std(const array& a, int axis, bool keepdims, int ddof, StreamOrDevice s) {
  return std(a, std::vector<int>{axis}, keepdims, ddof, s);
}

// ---- argmax, argmin ----

namespace {
array arg_reduce(const array& a, int axis, bool keepdims, ArgReduceOp op, const char* name,
                 StreamOrDevice s) {
  int ax = normalize_axis(axis, a.ndim(), name);
  if (a.shape()[ax] == 0) {
    fail(name, "Cannot take the " + std::string(name) + " of an empty axis; input shape " +
                   shape_to_string(a.shape()) + ".");
  }
  if (a.dtype() == complex64) fail(name, "Not supported for complex64.");
  Shape kept = a.shape();
  kept[ax] = 1;
  array out = detail::make<ArgReduce>(kept, uint32, {a}, to_stream(s), op, ax);
  if (!keepdims) out = squeeze(out, ax, s);
  return out;
}

array arg_reduce_flat(const array& a, bool keepdims, ArgReduceOp op, const char* name,
                      StreamOrDevice s) {
  if (a.size() == 0) fail(name, "Cannot take the " + std::string(name) + " of an empty array.");
  array out = arg_reduce(reshape(a, {-1}, s), 0, false, op, name, s);
  if (keepdims) out = reshape(out, Shape(a.ndim(), 1), s);
  return out;
}
}  // namespace

array argmax(const array& a, bool keepdims, StreamOrDevice s) {
  return arg_reduce_flat(a, keepdims, ArgReduceOp::ArgMax, "argmax", s);
}
array argmax(const array& a, StreamOrDevice s) {
  return argmax(a, false, s);
}
array argmax(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return arg_reduce(a, axis, keepdims, ArgReduceOp::ArgMax, "argmax", s);
}
array argmin(const array& a, bool keepdims, StreamOrDevice s) {
  return arg_reduce_flat(a, keepdims, ArgReduceOp::ArgMin, "argmin", s);
}
array argmin(const array& a, StreamOrDevice s) {
  return argmin(a, false, s);
}
array argmin(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return arg_reduce(a, axis, keepdims, ArgReduceOp::ArgMin, "argmin", s);
}

// ---- softmax ----

array softmax(const array& a, const std::vector<int>& axes, bool precise, StreamOrDevice s) {
  auto ax = sorted_axes(a, axes, "softmax");
  if (a.dtype() == complex64) fail("softmax", "Not supported for complex64.");
  // Integer and bool inputs are computed in float32 (MLX).
  Dtype t = at_least_float(a.dtype());
  if (a.size() == 0) return astype(a, t, s);  // empty in, empty out (MLX)
  if (ax.empty()) return ones_like(astype(a, t, s), s);
  if (ax.size() == 1 && ax[0] == a.ndim() - 1) {
    // The common case, one fused kernel (half precision is always computed in float32 there).
    return detail::make<Softmax>(a.shape(), t, {astype(a, t, s)}, to_stream(s));
  }
  bool upcast = precise && (t == float16 || t == bfloat16);
  array x = astype(a, upcast ? float32 : t, s);
  array m = stop_gradient(max(x, ax, true, s), s);
  array e = exp(subtract(x, m, s), s);
  array out = divide(e, sum(e, ax, true, s), s);
  return upcast ? astype(out, t, s) : out;
}
array softmax(const array& a, bool precise, StreamOrDevice s) {
  return softmax(a, all_axes(a), precise, s);
}
array softmax(const array& a, int axis, bool precise, StreamOrDevice s) {
  return softmax(a, std::vector<int>{axis}, precise, s);
}

}  // namespace tandem
