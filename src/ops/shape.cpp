// Copyright © 2026 Tandem authors.
// Shape manipulation ops built on the view primitives, Concatenate and Diagonal.
#include <numeric>

#include "ops/ops_common.h"

namespace tandem {

using detail::fail;

bool Concatenate::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const Concatenate*>(&other);
  return o && o->axis_ == axis_;
}
bool Diagonal::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const Diagonal*>(&other);
  return o && o->offset_ == offset_ && o->axis1_ == axis1_ && o->axis2_ == axis2_;
}

array flatten(const array& a, int start_axis, int end_axis, StreamOrDevice s) {
  if (a.ndim() == 0) return reshape(a, {1}, s);
  // As MLX: negative axes wrap, then the range is clamped to the array's axes; a range that lies
  // wholly outside them is an error.
  const int nd = a.ndim();
  int st = std::max(0, start_axis < 0 ? start_axis + nd : start_axis);
  int en = std::min(nd - 1, end_axis < 0 ? end_axis + nd : end_axis);
  if (st >= nd) {
    fail("flatten", "Invalid start_axis " + std::to_string(start_axis) + " for array with " +
                        std::to_string(nd) + " dimensions.");
  }
  if (en < 0) {
    fail("flatten", "Invalid end_axis " + std::to_string(end_axis) + " for array with " +
                        std::to_string(nd) + " dimensions.");
  }
  if (st > en) {
    fail("flatten", "start_axis " + std::to_string(start_axis) + " must not come after end_axis " +
                        std::to_string(end_axis) + ".");
  }
  Shape shape(a.shape().begin(), a.shape().begin() + st);
  int32_t merged = 1;
  for (int d = st; d <= en; ++d)
    merged *= a.shape()[d];
  shape.push_back(merged);
  shape.insert(shape.end(), a.shape().begin() + en + 1, a.shape().end());
  return reshape(a, shape, s);
}
array flatten(const array& a, StreamOrDevice s) {
  return flatten(a, 0, -1, s);
}

array unflatten(const array& a, int axis, Shape shape, StreamOrDevice s) {
  int ax = normalize_axis(axis, a.ndim(), "unflatten");
  if (shape.empty()) fail("unflatten", "The new shape must not be empty.");
  int infer = -1;
  int64_t known = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (infer >= 0) fail("unflatten", "Can only infer one dimension.");
      infer = static_cast<int>(i);
    } else {
      known *= shape[i];
    }
  }
  if (infer >= 0) {
    if (known == 0 || a.shape()[ax] % known != 0) {
      fail("unflatten", "Cannot infer shape " + shape_to_string(shape) + " for axis of extent " +
                            std::to_string(a.shape()[ax]) + ".");
    }
    shape[infer] = static_cast<int32_t>(a.shape()[ax] / known);
    known *= shape[infer];
  }
  if (known != a.shape()[ax]) {
    fail("unflatten", "Shape " + shape_to_string(shape) + " does not match axis " +
                          std::to_string(axis) + " of extent " + std::to_string(a.shape()[ax]) +
                          ".");
  }
  Shape out(a.shape().begin(), a.shape().begin() + ax);
  out.insert(out.end(), shape.begin(), shape.end());
  out.insert(out.end(), a.shape().begin() + ax + 1, a.shape().end());
  return reshape(a, out, s);
}

array squeeze(const array& a, const std::vector<int>& axes, StreamOrDevice s) {
  auto ax = detail::normalize_axes(axes, a.ndim(), "squeeze");
  std::vector<bool> drop(a.ndim(), false);
  for (int d : ax) {
    if (a.shape()[d] != 1) {
      fail("squeeze", "Cannot squeeze axis " + std::to_string(d) + " of extent " +
                          std::to_string(a.shape()[d]) + " (shape " + shape_to_string(a.shape()) +
                          ").");
    }
    drop[d] = true;
  }
  Shape shape;
  for (int d = 0; d < a.ndim(); ++d) {
    if (!drop[d]) shape.push_back(a.shape()[d]);
  }
  return reshape(a, shape, s);
}
array squeeze(const array& a, int axis, StreamOrDevice s) {
  return squeeze(a, std::vector<int>{axis}, s);
}
array squeeze(const array& a, StreamOrDevice s) {
  Shape shape;
  for (auto d : a.shape()) {
    if (d != 1) shape.push_back(d);
  }
  return reshape(a, shape, s);
}

array expand_dims(const array& a, const std::vector<int>& axes, StreamOrDevice s) {
  int nd = a.ndim() + static_cast<int>(axes.size());
  auto ax = detail::normalize_axes(axes, nd, "expand_dims");
  std::sort(ax.begin(), ax.end());
  Shape shape;
  size_t k = 0, src = 0;
  for (int d = 0; d < nd; ++d) {
    if (k < ax.size() && ax[k] == d) {
      shape.push_back(1);
      ++k;
    } else {
      shape.push_back(a.shape()[src++]);
    }
  }
  return reshape(a, shape, s);
}
array expand_dims(const array& a, int axis, StreamOrDevice s) {
  return expand_dims(a, std::vector<int>{axis}, s);
}

array swapaxes(const array& a, int axis1, int axis2, StreamOrDevice s) {
  int a1 = normalize_axis(axis1, a.ndim(), "swapaxes");
  int a2 = normalize_axis(axis2, a.ndim(), "swapaxes");
  std::vector<int> perm(a.ndim());
  std::iota(perm.begin(), perm.end(), 0);
  std::swap(perm[a1], perm[a2]);
  return transpose(a, perm, s);
}

array moveaxis(const array& a, int source, int destination, StreamOrDevice s) {
  int src = normalize_axis(source, a.ndim(), "moveaxis");
  int dst = normalize_axis(destination, a.ndim(), "moveaxis");
  std::vector<int> perm;
  for (int d = 0; d < a.ndim(); ++d) {
    if (d != src) perm.push_back(d);
  }
  perm.insert(perm.begin() + dst, src);
  return transpose(a, perm, s);
}

array atleast_1d(const array& a, StreamOrDevice s) {
  return a.ndim() == 0 ? reshape(a, {1}, s) : a;
}
array atleast_2d(const array& a, StreamOrDevice s) {
  if (a.ndim() == 0) return reshape(a, {1, 1}, s);
  if (a.ndim() == 1) return reshape(a, {1, a.shape()[0]}, s);
  return a;
}
array atleast_3d(const array& a, StreamOrDevice s) {
  if (a.ndim() == 0) return reshape(a, {1, 1, 1}, s);
  if (a.ndim() == 1) return reshape(a, {1, a.shape()[0], 1}, s);
  if (a.ndim() == 2) return reshape(a, {a.shape()[0], a.shape()[1], 1}, s);
  return a;
}
#define TANDEM_ATLEAST_VEC(NAME)                                           \
  std::vector<array> NAME(const std::vector<array>& a, StreamOrDevice s) { \
    std::vector<array> out;                                                \
    for (auto& x : a)                                                      \
      out.push_back(NAME(x, s));                                           \
    return out;                                                            \
  }
TANDEM_ATLEAST_VEC(atleast_1d)
TANDEM_ATLEAST_VEC(atleast_2d)
TANDEM_ATLEAST_VEC(atleast_3d)
#undef TANDEM_ATLEAST_VEC

// ---------------- joining and splitting ----------------

array concatenate(std::vector<array> arrays, int axis, StreamOrDevice s) {
  if (arrays.empty()) fail("concatenate", "No arrays to concatenate.");
  int nd = arrays[0].ndim();
  if (nd == 0) fail("concatenate", "Cannot concatenate 0-d arrays; use stack.");
  int ax = normalize_axis(axis, nd, "concatenate");
  Shape shape = arrays[0].shape();
  shape[ax] = 0;
  Dtype t = arrays[0].dtype();
  for (auto& a : arrays) {
    bool ok = a.ndim() == nd;
    for (int d = 0; ok && d < nd; ++d)
      ok = d == ax || a.shape()[d] == arrays[0].shape()[d];
    if (!ok) {
      fail("concatenate", "All arrays must have the same shape except on axis " +
                              std::to_string(ax) + "; got " + shape_to_string(arrays[0].shape()) +
                              " and " + shape_to_string(a.shape()) + ".");
    }
    shape[ax] += a.shape()[ax];
    t = promote_types(t, a.dtype());
  }
  if (arrays.size() == 1) return astype(arrays[0], t, s);
  for (auto& a : arrays)
    a = astype(a, t, s);
  return detail::make<Concatenate>(shape, t, std::move(arrays), to_stream(s), ax);
}
array concatenate(std::vector<array> arrays, StreamOrDevice s) {
  for (auto& a : arrays)
    a = flatten(a, s);
  return concatenate(std::move(arrays), 0, s);
}

array stack(const std::vector<array>& arrays, int axis, StreamOrDevice s) {
  if (arrays.empty()) fail("stack", "No arrays to stack.");
  for (auto& a : arrays) {
    if (a.shape() != arrays[0].shape()) {
      fail("stack", "All arrays must have the same shape; got " +
                        shape_to_string(arrays[0].shape()) + " and " + shape_to_string(a.shape()) +
                        ".");
    }
  }
  int ax = normalize_axis(axis, arrays[0].ndim() + 1, "stack");
  std::vector<array> parts;
  for (auto& a : arrays)
    parts.push_back(expand_dims(a, ax, s));
  return concatenate(std::move(parts), ax, s);
}
array stack(const std::vector<array>& arrays, StreamOrDevice s) {
  return stack(arrays, 0, s);
}

std::vector<array> split(const array& a, const Shape& indices, int axis, StreamOrDevice s) {
  int ax = normalize_axis(axis, a.ndim(), "split");
  int n = a.shape()[ax];
  std::vector<array> out;
  // Piece i is a[indices[i-1]:indices[i]] along the axis with Python slice semantics (negative
  // indices count from the end, out-of-range ones clamp, a decreasing pair gives an empty piece),
  // as NumPy and MLX.
  Shape start(a.ndim(), 0), stop = a.shape();
  int prev = 0;
  for (size_t i = 0; i <= indices.size(); ++i) {
    int idx = i < indices.size() ? indices[i] : n;
    if (idx < 0) idx += n;
    idx = std::clamp(idx, 0, n);
    start[ax] = prev;
    stop[ax] = std::max(idx, prev);
    out.push_back(slice(a, start, stop, s));
    prev = idx;
  }
  return out;
}
std::vector<array> split(const array& a, const Shape& indices, StreamOrDevice s) {
  return split(a, indices, 0, s);
}
std::vector<array> split(const array& a, int num_splits, int axis, StreamOrDevice s) {
  int ax = normalize_axis(axis, a.ndim(), "split");
  if (num_splits <= 0)
    fail("split", "num_splits must be positive; got " + std::to_string(num_splits) + ".");
  int n = a.shape()[ax];
  if (n % num_splits != 0) {
    fail("split", "Axis " + std::to_string(ax) + " of extent " + std::to_string(n) +
                      " cannot be split into " + std::to_string(num_splits) + " equal parts.");
  }
  Shape idx;
  for (int i = 1; i < num_splits; ++i)
    idx.push_back(i * (n / num_splits));
  return split(a, idx, ax, s);
}
std::vector<array> split(const array& a, int num_splits, StreamOrDevice s) {
  return split(a, num_splits, 0, s);
}

std::vector<array> unstack(const array& a, int axis, StreamOrDevice s) {
  if (a.ndim() == 0) fail("unstack", "Cannot unstack a 0-d array.");
  int ax = normalize_axis(axis, a.ndim(), "unstack");
  std::vector<array> out;
  if (a.shape()[ax] == 0) return out;
  for (auto& p : split(a, a.shape()[ax], ax, s))
    out.push_back(squeeze(p, ax, s));
  return out;
}

// ---------------- padding, tiling, repeating ----------------

array pad(const array& a, const std::vector<int>& axes, const Shape& low, const Shape& high,
          const array& pad_value, const std::string& mode, StreamOrDevice s) {
  if (axes.size() != low.size() || axes.size() != high.size()) {
    fail("pad", "axes, low and high pad sizes must have the same length; got " +
                    std::to_string(axes.size()) + ", " + std::to_string(low.size()) + " and " +
                    std::to_string(high.size()) + ".");
  }
  if (mode != "constant" && mode != "edge") {
    fail("pad", "mode must be 'constant' or 'edge'; got '" + mode + "'.");
  }
  if (pad_value.size() != 1) fail("pad", "pad_value must be a scalar.");
  auto ax = detail::normalize_axes(axes, a.ndim(), "pad");
  array out = a;
  for (size_t i = 0; i < ax.size(); ++i) {
    if (low[i] < 0 || high[i] < 0) {
      fail("pad", "Pad sizes must be non-negative; got (" + std::to_string(low[i]) + ", " +
                      std::to_string(high[i]) + ") for axis " + std::to_string(axes[i]) + ".");
    }
    if (low[i] == 0 && high[i] == 0) continue;
    int d = ax[i];
    int n = out.shape()[d];
    if (mode == "edge" && n == 0) fail("pad", "Cannot edge-pad an empty axis.");
    std::vector<array> parts;
    auto block = [&](int width, bool at_start) {
      Shape shape = out.shape();
      shape[d] = width;
      if (mode == "constant") {
        return full(shape, pad_value, out.dtype(), s);
      }
      Shape st(out.ndim(), 0), en = out.shape();
      st[d] = at_start ? 0 : n - 1;
      en[d] = st[d] + 1;
      return broadcast_to(slice(out, st, en, s), shape, s);
    };
    if (low[i] > 0) parts.push_back(block(low[i], true));
    parts.push_back(out);
    if (high[i] > 0) parts.push_back(block(high[i], false));
    out = concatenate(std::move(parts), d, s);
  }
  return out;
}
array pad(const array& a, const std::vector<std::pair<int, int>>& pad_width, const array& pad_value,
          const std::string& mode, StreamOrDevice s) {
  if (pad_width.size() != 1 && static_cast<int>(pad_width.size()) != a.ndim()) {
    fail("pad", "pad_width must have one pair or one per axis (" + std::to_string(a.ndim()) +
                    "); got " + std::to_string(pad_width.size()) + ".");
  }
  std::vector<int> axes(a.ndim());
  std::iota(axes.begin(), axes.end(), 0);
  Shape low, high;
  for (int d = 0; d < a.ndim(); ++d) {
    auto& p = pad_width.size() == 1 ? pad_width[0] : pad_width[d];
    low.push_back(p.first);
    high.push_back(p.second);
  }
  return pad(a, axes, low, high, pad_value, mode, s);
}
array pad(const array& a, const std::pair<int, int>& pad_width, const array& pad_value,
          const std::string& mode, StreamOrDevice s) {
  return pad(a, std::vector<std::pair<int, int>>{pad_width}, pad_value, mode, s);
}
array pad(const array& a, int pad_width, const array& pad_value, const std::string& mode,
          StreamOrDevice s) {
  return pad(a, std::vector<std::pair<int, int>>{{pad_width, pad_width}}, pad_value, mode, s);
}

array tile(const array& arr, std::vector<int> reps, StreamOrDevice s) {
  for (int r : reps) {
    if (r < 0) fail("tile", "Repetitions must be non-negative; got " + std::to_string(r) + ".");
  }
  int nd = std::max<int>(arr.ndim(), static_cast<int>(reps.size()));
  reps.insert(reps.begin(), nd - reps.size(), 1);
  Shape shape = arr.shape();
  shape.insert(shape.begin(), nd - shape.size(), 1);
  // (1, s0, 1, s1, ...) broadcast to (r0, s0, r1, s1, ...) then merged pairwise.
  Shape inter, bshape, out;
  for (int d = 0; d < nd; ++d) {
    inter.push_back(1);
    inter.push_back(shape[d]);
    bshape.push_back(reps[d]);
    bshape.push_back(shape[d]);
    out.push_back(reps[d] * shape[d]);
  }
  return reshape(broadcast_to(reshape(arr, inter, s), bshape, s), out, s);
}

array repeat(const array& arr, int repeats, int axis, StreamOrDevice s) {
  int ax = normalize_axis(axis, arr.ndim(), "repeat");
  if (repeats < 0)
    fail("repeat", "repeats must be non-negative; got " + std::to_string(repeats) + ".");
  array e = expand_dims(arr, ax + 1, s);
  Shape b = e.shape();
  b[ax + 1] = repeats;
  Shape out = arr.shape();
  out[ax] *= repeats;
  return reshape(broadcast_to(e, b, s), out, s);
}
array repeat(const array& arr, int repeats, StreamOrDevice s) {
  return repeat(flatten(arr, s), repeats, 0, s);
}

// ---------------- roll, flip, diagonals ----------------

array roll(const array& a, const Shape& shift, const std::vector<int>& axes, StreamOrDevice s) {
  if (shift.size() != axes.size()) {
    fail("roll", "shift and axes must have the same length; got " + std::to_string(shift.size()) +
                     " and " + std::to_string(axes.size()) + ".");
  }
  array out = a;
  for (size_t i = 0; i < axes.size(); ++i) {
    int d = normalize_axis(axes[i], a.ndim(), "roll");
    int n = out.shape()[d];
    if (n == 0) continue;
    int k = ((shift[i] % n) + n) % n;
    if (k == 0) continue;
    Shape st(out.ndim(), 0), en = out.shape();
    st[d] = n - k;
    array tail = slice(out, st, en, s);
    st[d] = 0;
    en[d] = n - k;
    array head = slice(out, st, en, s);
    out = concatenate({tail, head}, d, s);
  }
  return out;
}
array roll(const array& a, int shift, StreamOrDevice s) {
  return reshape(roll(flatten(a, s), Shape{shift}, std::vector<int>{0}, s), a.shape(), s);
}
array roll(const array& a, const Shape& shift, StreamOrDevice s) {
  int total = std::accumulate(shift.begin(), shift.end(), 0);
  return roll(a, total, s);
}
array roll(const array& a, int shift, int axis, StreamOrDevice s) {
  return roll(a, Shape{shift}, std::vector<int>{axis}, s);
}
array roll(const array& a, int shift, const std::vector<int>& axes, StreamOrDevice s) {
  return roll(a, Shape(axes.size(), shift), axes, s);
}
array roll(const array& a, const Shape& shift, int axis, StreamOrDevice s) {
  int total = std::accumulate(shift.begin(), shift.end(), 0);
  return roll(a, Shape{total}, std::vector<int>{axis}, s);
}

array flip(const array& a, const std::vector<int>& axes, StreamOrDevice s) {
  auto ax = detail::normalize_axes(axes, a.ndim(), "flip");
  Shape start(a.ndim(), 0), stop = a.shape(), strides(a.ndim(), 1);
  for (int d : ax) {
    start[d] = a.shape()[d] - 1;
    stop[d] = -a.shape()[d] - 1;
    strides[d] = -1;
  }
  return slice(a, start, stop, strides, s);
}
array flip(const array& a, int axis, StreamOrDevice s) {
  return flip(a, std::vector<int>{axis}, s);
}
array flip(const array& a, StreamOrDevice s) {
  std::vector<int> axes(a.ndim());
  std::iota(axes.begin(), axes.end(), 0);
  return flip(a, axes, s);
}

array diagonal(const array& a, int offset, int axis1, int axis2, StreamOrDevice s) {
  if (a.ndim() < 2) {
    fail("diagonal",
         "Requires at least 2 dimensions; got shape " + shape_to_string(a.shape()) + ".");
  }
  int a1 = normalize_axis(axis1, a.ndim(), "diagonal");
  int a2 = normalize_axis(axis2, a.ndim(), "diagonal");
  if (a1 == a2)
    fail("diagonal", "axis1 and axis2 must differ; both are " + std::to_string(a1) + ".");
  int n1 = a.shape()[a1], n2 = a.shape()[a2];
  int len =
      offset >= 0 ? std::max(0, std::min(n1, n2 - offset)) : std::max(0, std::min(n1 + offset, n2));
  Shape shape;
  for (int d = 0; d < a.ndim(); ++d) {
    if (d != a1 && d != a2) shape.push_back(a.shape()[d]);
  }
  shape.push_back(len);
  return detail::make<Diagonal>(shape, a.dtype(), {a}, to_stream(s), offset, a1, a2);
}

array diag(const array& a, int k, StreamOrDevice s) {
  if (a.ndim() == 1) {
    int n = a.shape()[0] + std::abs(k);
    array v = k >= 0 ? pad(a, {0}, {0}, {k}, array(0), "constant", s)
                     : pad(a, {0}, {-k}, {0}, array(0), "constant", s);
    return where(eye(n, n, k, bool_, s), reshape(v, {n, 1}, s), zeros({}, a.dtype(), s), s);
  }
  if (a.ndim() == 2) return diagonal(a, k, 0, 1, s);
  fail("diag", "Input must be 1-d or 2-d; got shape " + shape_to_string(a.shape()) + ".");
}

array trace(const array& a, int offset, int axis1, int axis2, Dtype dtype, StreamOrDevice s) {
  // Check here so that errors name trace, not the diagonal it is built on.
  if (a.ndim() < 2) {
    fail("trace", "Requires at least 2 dimensions; got shape " + shape_to_string(a.shape()) + ".");
  }
  int a1 = normalize_axis(axis1, a.ndim(), "trace");
  int a2 = normalize_axis(axis2, a.ndim(), "trace");
  if (a1 == a2) fail("trace", "axis1 and axis2 must differ; both are " + std::to_string(a1) + ".");
  return sum(astype(diagonal(a, offset, axis1, axis2, s), dtype, s), -1, false, s);
}
array trace(const array& a, int offset, int axis1, int axis2, StreamOrDevice s) {
  return trace(a, offset, axis1, axis2, a.dtype(), s);
}
array trace(const array& a, StreamOrDevice s) {
  return trace(a, 0, 0, 1, a.dtype(), s);
}

}  // namespace tandem
