// Copyright © 2026 Tandem authors.
// Conversions, copies and the view primitives' op functions.
#include <numeric>

#include "ops/ops_common.h"

namespace tandem {

using detail::fail;

// ---------------- is_equivalent of the primitives defined here ----------------

#define TANDEM_EQUIV(P, ...)                            \
  bool P::is_equivalent(const Primitive& other) const { \
    auto* o = dynamic_cast<const P*>(&other);           \
    return o && __VA_ARGS__;                            \
  }
TANDEM_EQUIV(AsType, o->dtype_ == dtype_)
TANDEM_EQUIV(Reshape, o->shape_ == shape_)
TANDEM_EQUIV(Transpose, o->axes_ == axes_)
TANDEM_EQUIV(Broadcast, o->shape_ == shape_)
TANDEM_EQUIV(Slice, o->start_ == start_ && o->stop_ == stop_ && o->strides_ == strides_)
TANDEM_EQUIV(AsStrided, o->shape_ == shape_ && o->strides_ == strides_ && o->offset_ == offset_)
TANDEM_EQUIV(View, o->dtype_ == dtype_)
#undef TANDEM_EQUIV

array astype(array a, Dtype dtype, StreamOrDevice s) {
  if (a.dtype() == dtype) return a;
  return detail::make<AsType>(a.shape(), dtype, {a}, to_stream(s), dtype);
}

array copy(array a, StreamOrDevice s) {
  return detail::make<Copy>(a.shape(), a.dtype(), {a}, to_stream(s));
}

array contiguous(const array& a, bool allow_col_major, StreamOrDevice s) {
  if (a.is_available() && !a.has_primitive() &&
      (a.flags().row_contiguous || (allow_col_major && a.flags().col_contiguous))) {
    return a;
  }
  return detail::make<Copy>(a.shape(), a.dtype(), {a}, to_stream(s), true, allow_col_major);
}

array reshape(const array& a, Shape shape, StreamOrDevice s) {
  int infer = -1;
  size_t known = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (infer >= 0)
        fail("reshape", "Can only infer one dimension; got shape " + shape_to_string(shape) + ".");
      infer = static_cast<int>(i);
    } else if (shape[i] < 0) {
      fail("reshape", "Invalid extent " + std::to_string(shape[i]) + " in shape " +
                          shape_to_string(shape) + ".");
    } else {
      known *= shape[i];
    }
  }
  if (infer >= 0) {
    if (known == 0 || a.size() % known != 0) {
      fail("reshape", "Cannot infer the shape " + shape_to_string(shape) +
                          " for an array of size " + std::to_string(a.size()) + ".");
    }
    shape[infer] = static_cast<int32_t>(a.size() / known);
    known *= shape[infer];
  }
  if (known != a.size()) {
    fail("reshape", "Cannot reshape array of size " + std::to_string(a.size()) + " into shape " +
                        shape_to_string(shape) + ".");
  }
  if (shape == a.shape()) return a;
  return detail::make<Reshape>(shape, a.dtype(), {a}, to_stream(s), shape);
}

array transpose(const array& a, std::vector<int> axes, StreamOrDevice s) {
  if (static_cast<int>(axes.size()) != a.ndim()) {
    fail("transpose", "Received " + std::to_string(axes.size()) + " axes for array with " +
                          std::to_string(a.ndim()) + " dimensions.");
  }
  std::vector<bool> seen(a.ndim(), false);
  for (auto& ax : axes) {
    int v = ax < 0 ? ax + a.ndim() : ax;
    if (v < 0 || v >= a.ndim()) {
      fail("transpose", "Invalid axis " + std::to_string(ax) + " for array with " +
                            std::to_string(a.ndim()) + " dimensions.");
    }
    if (seen[v]) fail("transpose", "Repeated axis " + std::to_string(ax) + " in transpose.");
    seen[v] = true;
    ax = v;
  }
  bool identity = true;
  for (int i = 0; i < a.ndim(); ++i)
    identity &= axes[i] == i;
  if (identity) return a;
  Shape shape(a.ndim());
  for (int i = 0; i < a.ndim(); ++i)
    shape[i] = a.shape()[axes[i]];
  return detail::make<Transpose>(shape, a.dtype(), {a}, to_stream(s), std::move(axes));
}

array transpose(const array& a, StreamOrDevice s) {
  std::vector<int> axes(a.ndim());
  std::iota(axes.rbegin(), axes.rend(), 0);
  return transpose(a, std::move(axes), s);
}

array broadcast_to(const array& a, const Shape& shape, StreamOrDevice s) {
  if (a.shape() == shape) return a;
  bool ok = static_cast<int>(shape.size()) >= a.ndim();
  for (int i = 1; ok && i <= a.ndim(); ++i) {
    int da = a.shape()[a.ndim() - i];
    int ds = shape[shape.size() - i];
    ok = da == ds || da == 1;
  }
  for (auto d : shape)
    ok = ok && d >= 0;
  if (!ok) {
    fail("broadcast_to", "Cannot broadcast array of shape " + shape_to_string(a.shape()) +
                             " to shape " + shape_to_string(shape) + ".");
  }
  return detail::make<Broadcast>(shape, a.dtype(), {a}, to_stream(s), shape);
}

std::vector<array> broadcast_arrays(const std::vector<array>& inputs, StreamOrDevice s) {
  Shape shape;
  try {
    for (auto& in : inputs)
      shape = broadcast_shapes(shape, in.shape());
  } catch (const std::invalid_argument&) {
    std::string shapes;
    for (auto& in : inputs)
      shapes += (shapes.empty() ? "" : ", ") + shape_to_string(in.shape());
    fail("broadcast_arrays", "Shapes " + shapes + " cannot be broadcast together.");
  }
  std::vector<array> out;
  for (auto& in : inputs)
    out.push_back(broadcast_to(in, shape, s));
  return out;
}

namespace detail {
Shape normalize_slice(const Shape& shape, Shape& start, Shape& stop, const Shape& strides,
                      const char* op) {
  int nd = static_cast<int>(shape.size());
  if (static_cast<int>(start.size()) != nd || static_cast<int>(stop.size()) != nd ||
      static_cast<int>(strides.size()) != nd) {
    fail(op, "Invalid number of indices or strides for array with " + std::to_string(nd) +
                 " dimensions: got " + std::to_string(start.size()) + " starts, " +
                 std::to_string(stop.size()) + " stops and " + std::to_string(strides.size()) +
                 " strides.");
  }
  Shape out_shape(nd);
  for (int i = 0; i < nd; ++i) {
    int64_t n = shape[i];
    int64_t st = strides[i];
    if (st == 0) fail(op, "Stride of axis " + std::to_string(i) + " must not be 0.");
    int64_t b = start[i], e = stop[i];
    if (st > 0) {
      b = b < 0 ? std::max<int64_t>(b + n, 0) : std::min<int64_t>(b, n);
      e = e < 0 ? std::max<int64_t>(e + n, 0) : std::min<int64_t>(e, n);
      out_shape[i] = static_cast<int32_t>(e > b ? (e - b + st - 1) / st : 0);
    } else {
      b = b < 0 ? std::max<int64_t>(b + n, -1) : std::min<int64_t>(b, n - 1);
      e = e < 0 ? std::max<int64_t>(e + n, -1) : std::min<int64_t>(e, n - 1);
      out_shape[i] = static_cast<int32_t>(b > e ? (b - e - st - 1) / (-st) : 0);
    }
    // An empty axis is stored as [0:0] so that re-slicing with the stored bounds (the Slice
    // rules do) gives an empty axis again.
    if (out_shape[i] == 0) b = e = 0;
    start[i] = static_cast<int32_t>(b);
    stop[i] = static_cast<int32_t>(e);
  }
  return out_shape;
}
}  // namespace detail

array slice(const array& a, Shape start, Shape stop, Shape strides, StreamOrDevice s) {
  Shape out_shape = detail::normalize_slice(a.shape(), start, stop, strides, "slice");
  bool whole = true;
  for (int i = 0; i < a.ndim(); ++i) {
    whole &= (start[i] == 0 && strides[i] == 1 && out_shape[i] == a.shape()[i]);
  }
  if (whole) return a;
  return detail::make<Slice>(out_shape, a.dtype(), {a}, to_stream(s), std::move(start),
                             std::move(stop), std::move(strides));
}

array slice(const array& a, Shape start, Shape stop, StreamOrDevice s) {
  return slice(a, std::move(start), std::move(stop), Shape(a.ndim(), 1), s);
}

array as_strided(array a, Shape shape, Strides strides, size_t offset, StreamOrDevice s) {
  if (shape.size() != strides.size()) {
    fail("as_strided", "Shape " + shape_to_string(shape) + " and " +
                           std::to_string(strides.size()) + " strides differ in length.");
  }
  // The view indexes a's elements in row-major order.
  array flat = contiguous(reshape(a, {static_cast<int32_t>(a.size())}, s), false, s);
  return detail::make<AsStrided>(shape, a.dtype(), {flat}, to_stream(s), std::move(shape),
                                 std::move(strides), offset);
}

array view(const array& a, const Dtype& dtype, StreamOrDevice s) {
  if (a.dtype() == dtype) return a;
  Shape shape = a.shape();
  size_t in_size = a.itemsize(), out_size = dtype.size;
  if (in_size != out_size) {
    if (a.ndim() == 0) {
      fail("view", "Cannot view a 0-d array of " + dtype_name(a.dtype()) + " as " +
                       dtype_name(dtype) + " (different item sizes).");
    }
    int64_t bytes = static_cast<int64_t>(shape.back()) * in_size;
    if (bytes % out_size != 0) {
      fail("view", "The last axis of shape " + shape_to_string(shape) + " in " +
                       dtype_name(a.dtype()) + " is not a whole number of " + dtype_name(dtype) +
                       " items.");
    }
    shape.back() = static_cast<int32_t>(bytes / out_size);
  }
  return detail::make<View>(shape, dtype, {contiguous(a, false, s)}, to_stream(s), dtype);
}

}  // namespace tandem
