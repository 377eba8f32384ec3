// Copyright © 2026 Tandem authors.
// Indexing ops: take*, gather, scatter*, slice_update*.
#include <numeric>

#include "ops/ops_common.h"
#include "primitives/indexing.h"

namespace tandem {

using detail::fail;

std::string Scatter::name() const {
  static const char* names[] = {"Scatter", "ScatterAdd", "ScatterProd", "ScatterMax", "ScatterMin"};
  return names[static_cast<int>(op_)];
}
bool Gather::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const Gather*>(&other);
  return o && o->axes_ == axes_ && o->slice_sizes_ == slice_sizes_;
}
bool Scatter::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const Scatter*>(&other);
  return o && o->op_ == op_ && o->axes_ == axes_;
}
bool SliceUpdate::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const SliceUpdate*>(&other);
  return o && o->op_ == op_ && o->start_ == start_ && o->stop_ == stop_ && o->strides_ == strides_;
}

namespace {

// Check and broadcast index arrays to one integer dtype and shape.
std::vector<array> prepare_indices(const std::vector<array>& indices, const char* op,
                                   StreamOrDevice s) {
  Shape shape;
  Dtype t = indices.empty() ? int32 : indices[0].dtype();
  for (auto& idx : indices) {
    if (!is_integral(idx.dtype())) {
      fail(op, "Indices must be integers; got " + dtype_name(idx.dtype()) + ".");
    }
    if (idx.dtype() != t) t = int64;
    try {
      shape = broadcast_shapes(shape, idx.shape());
    } catch (const std::invalid_argument&) {
      fail(op, "Index arrays of shapes " + shape_to_string(shape) + " and " +
                   shape_to_string(idx.shape()) + " cannot be broadcast.");
    }
  }
  std::vector<array> out;
  for (auto& idx : indices)
    out.push_back(broadcast_to(astype(idx, t, s), shape, s));
  return out;
}

std::vector<int> check_axes(const array& a, const std::vector<int>& axes, size_t n,
                            const char* op) {
  if (axes.size() != n) {
    fail(op, "Got " + std::to_string(n) + " index arrays but " + std::to_string(axes.size()) +
                 " axes.");
  }
  return detail::normalize_axes(axes, a.ndim(), op);
}

array scatter_impl(const array& a, const std::vector<array>& indices, const array& updates,
                   const std::vector<int>& axes_in, ScatterOp op, const char* name,
                   StreamOrDevice s) {
  if (indices.empty()) fail(name, "At least one index array is required.");
  if (a.ndim() == 0) fail(name, "Cannot scatter into a 0-d array.");
  auto axes = check_axes(a, axes_in, indices.size(), name);
  auto idx = prepare_indices(indices, name, s);
  const Shape& is = idx[0].shape();
  if (updates.ndim() != static_cast<int>(is.size()) + a.ndim()) {
    fail(name, "Updates with " + std::to_string(updates.ndim()) +
                   " dimensions do not match the index dimensions (" + std::to_string(is.size()) +
                   ") plus the array dimensions (" + std::to_string(a.ndim()) + ").");
  }
  Shape expect = is;
  for (int d = 0; d < a.ndim(); ++d) {
    int u = updates.shape()[is.size() + d];
    if (u > a.shape()[d]) {
      fail(name, "Update slice extent " + std::to_string(u) + " exceeds the array's extent " +
                     std::to_string(a.shape()[d]) + " on axis " + std::to_string(d) + ".");
    }
    expect.push_back(u);
  }
  for (size_t d = 0; d < is.size(); ++d) {
    if (updates.shape()[d] != is[d]) {
      fail(name, "Updates of shape " + shape_to_string(updates.shape()) +
                     " do not match the index shape " + shape_to_string(is) + ".");
    }
  }
  std::vector<array> inputs{a};
  inputs.insert(inputs.end(), idx.begin(), idx.end());
  inputs.push_back(astype(updates, a.dtype(), s));
  return detail::make<Scatter>(a.shape(), a.dtype(), std::move(inputs), to_stream(s), op, axes);
}

array slice_update_impl(const array& src, const array& update, Shape start, Shape stop,
                        Shape strides, ScatterOp op, const char* name, StreamOrDevice s) {
  Shape shape = detail::normalize_slice(src.shape(), start, stop, strides, name);
  array u = astype(update, src.dtype(), s);
  try {
    if (broadcast_shapes(u.shape(), shape) != shape) throw std::invalid_argument("");
  } catch (const std::invalid_argument&) {
    fail(name, "Update of shape " + shape_to_string(update.shape()) +
                   " does not broadcast to the slice shape " + shape_to_string(shape) + ".");
  }
  return detail::make<SliceUpdate>(src.shape(), src.dtype(), {src, broadcast_to(u, shape, s)},
                                   to_stream(s), op, std::move(start), std::move(stop),
                                   std::move(strides));
}

}  // namespace

array gather(const array& a, const std::vector<array>& indices, const std::vector<int>& axes_in,
             const Shape& slice_sizes, StreamOrDevice s) {
  if (a.ndim() == 0 && !indices.empty()) fail("gather", "Cannot index a 0-d array.");
  auto axes = check_axes(a, axes_in, indices.size(), "gather");
  if (static_cast<int>(slice_sizes.size()) != a.ndim()) {
    fail("gather", "Got " + std::to_string(slice_sizes.size()) + " slice sizes for an array with " +
                       std::to_string(a.ndim()) + " dimensions.");
  }
  for (int d = 0; d < a.ndim(); ++d) {
    if (slice_sizes[d] < 0 || slice_sizes[d] > a.shape()[d]) {
      fail("gather", "Slice size " + std::to_string(slice_sizes[d]) + " on axis " +
                         std::to_string(d) + " is outside [0, " + std::to_string(a.shape()[d]) +
                         "].");
    }
  }
  auto idx = prepare_indices(indices, "gather", s);
  Shape out = idx.empty() ? Shape{} : idx[0].shape();
  out.insert(out.end(), slice_sizes.begin(), slice_sizes.end());
  std::vector<array> inputs{a};
  inputs.insert(inputs.end(), idx.begin(), idx.end());
  return detail::make<Gather>(out, a.dtype(), std::move(inputs), to_stream(s), axes, slice_sizes);
}

array gather(const array& a, const array& indices, int axis, const Shape& slice_sizes,
             StreamOrDevice s) {
  return gather(a, std::vector<array>{indices}, std::vector<int>{axis}, slice_sizes, s);
}

array take(const array& a, const array& indices, int axis, StreamOrDevice s) {
  if (a.ndim() == 0) fail("take", "Cannot take from a 0-d array.");
  int ax = normalize_axis(axis, a.ndim(), "take");
  if (!is_integral(indices.dtype())) {
    fail("take", "Indices must be integers; got " + dtype_name(indices.dtype()) + ".");
  }
  if (a.shape()[ax] == 0 && indices.size() > 0) {
    fail("take", "Cannot take from an empty axis of shape " + shape_to_string(a.shape()) + ".");
  }
  Shape sizes = a.shape();
  // An empty axis can only be indexed by empty indices: a zero-size slice keeps gather valid.
  sizes[ax] = a.shape()[ax] == 0 ? 0 : 1;
  array g = gather(a, indices, ax, sizes, s);  // IS + a.shape with 1 at ax
  int isd = indices.ndim();
  // Drop the unit slice axis, then move the index dims to where `ax` was.
  Shape sq = indices.shape();
  for (int d = 0; d < a.ndim(); ++d) {
    if (d != ax) sq.push_back(a.shape()[d]);
  }
  g = reshape(g, sq, s);
  std::vector<int> perm;
  for (int d = 0; d < ax; ++d)
    perm.push_back(isd + d);
  for (int d = 0; d < isd; ++d)
    perm.push_back(d);
  for (int d = ax; d < a.ndim() - 1; ++d)
    perm.push_back(isd + d);
  return transpose(g, perm, s);
}

array take(const array& a, int index, int axis, StreamOrDevice s) {
  return take(a, array(index), axis, s);
}
array take(const array& a, const array& indices, StreamOrDevice s) {
  return take(reshape(a, {-1}, s), indices, 0, s);
}
array take(const array& a, int index, StreamOrDevice s) {
  return take(a, array(index), s);
}

namespace {
// Index arrays addressing every axis: `indices` on `ax`, aranges elsewhere, all of `shape`.
std::vector<array> along_axis_indices(const array& indices, int ax, const Shape& shape,
                                      StreamOrDevice s) {
  std::vector<array> out;
  for (int d = 0; d < static_cast<int>(shape.size()); ++d) {
    if (d == ax) {
      out.push_back(broadcast_to(indices, shape, s));
    } else {
      Shape r(shape.size(), 1);
      r[d] = shape[d];
      out.push_back(broadcast_to(reshape(arange(0, shape[d], s), r, s), shape, s));
    }
  }
  return out;
}
}  // namespace

array take_along_axis(const array& a, const array& indices, int axis, StreamOrDevice s) {
  if (indices.ndim() != a.ndim()) {
    fail("take_along_axis", "Indices of dimension " + std::to_string(indices.ndim()) +
                                " do not match an array of dimension " + std::to_string(a.ndim()) +
                                ".");
  }
  int ax = normalize_axis(axis, a.ndim(), "take_along_axis");
  if (!is_integral(indices.dtype())) {
    fail("take_along_axis", "Indices must be integers; got " + dtype_name(indices.dtype()) + ".");
  }
  Shape shape;
  Shape ash = a.shape(), ish = indices.shape();
  ash[ax] = 1;
  ish[ax] = 1;
  try {
    shape = broadcast_shapes(ash, ish);
  } catch (const std::invalid_argument&) {
    fail("take_along_axis", "Array of shape " + shape_to_string(a.shape()) +
                                " and indices of shape " + shape_to_string(indices.shape()) +
                                " cannot be broadcast outside the axis.");
  }
  Shape ashape = shape, ishape = shape;
  ashape[ax] = a.shape()[ax];
  ishape[ax] = indices.shape()[ax];
  array ab = broadcast_to(a, ashape, s);
  auto idx = along_axis_indices(indices, ax, ishape, s);
  std::vector<int> axes(a.ndim());
  std::iota(axes.begin(), axes.end(), 0);
  array g = gather(ab, idx, axes, Shape(a.ndim(), 1), s);
  return reshape(g, ishape, s);
}

namespace {
/// put_along_axis (add = false) and scatter_add_axis (add = true).
array scatter_along_axis(const array& a, const array& indices, const array& values, int axis,
                         bool add, const char* op, StreamOrDevice s) {
  if (indices.ndim() != a.ndim()) {
    fail(op, "Indices of dimension " + std::to_string(indices.ndim()) +
                 " do not match an array of dimension " + std::to_string(a.ndim()) + ".");
  }
  int ax = normalize_axis(axis, a.ndim(), op);
  Shape ishape = a.shape();
  ishape[ax] = indices.shape()[ax];
  auto idx = along_axis_indices(indices, ax, ishape, s);
  Shape ushape = ishape;
  ushape.insert(ushape.end(), a.ndim(), 1);
  array upd = reshape(broadcast_to(astype(values, a.dtype(), s), ishape, s), ushape, s);
  std::vector<int> axes(a.ndim());
  std::iota(axes.begin(), axes.end(), 0);
  return add ? scatter_add(a, idx, upd, axes, s) : scatter(a, idx, upd, axes, s);
}
}  // namespace

array put_along_axis(const array& a, const array& indices, const array& values, int axis,
                     StreamOrDevice s) {
  return scatter_along_axis(a, indices, values, axis, false, "put_along_axis", s);
}

array scatter_add_axis(const array& a, const array& indices, const array& values, int axis,
                       StreamOrDevice s) {
  return scatter_along_axis(a, indices, values, axis, true, "scatter_add_axis", s);
}

#define TANDEM_SCATTER(NAME, OP)                                                      \
  array NAME(const array& a, const std::vector<array>& indices, const array& updates, \
             const std::vector<int>& axes, StreamOrDevice s) {                        \
    return scatter_impl(a, indices, updates, axes, ScatterOp::OP, #NAME, s);          \
  }                                                                                   \
  array NAME(const array& a, const array& indices, const array& updates, int axis,    \
             StreamOrDevice s) {                                                      \
    return NAME(a, std::vector<array>{indices}, updates, std::vector<int>{axis}, s);  \
  }
TANDEM_SCATTER(scatter, None)
TANDEM_SCATTER(scatter_add, Sum)
TANDEM_SCATTER(scatter_prod, Prod)
TANDEM_SCATTER(scatter_max, Max)
TANDEM_SCATTER(scatter_min, Min)
#undef TANDEM_SCATTER

array slice_update(const array& src, const array& update, Shape start, Shape stop, Shape strides,
                   StreamOrDevice s) {
  return slice_update_impl(src, update, std::move(start), std::move(stop), std::move(strides),
                           ScatterOp::None, "slice_update", s);
}
array slice_update(const array& src, const array& update, Shape start, Shape stop,
                   StreamOrDevice s) {
  Shape strides(src.ndim(), 1);
  return slice_update(src, update, std::move(start), std::move(stop), std::move(strides), s);
}
#define TANDEM_SLICE_UPDATE(NAME, OP)                                                            \
  array NAME(const array& src, const array& update, Shape start, Shape stop, Shape strides,      \
             StreamOrDevice s) {                                                                 \
    return slice_update_impl(src, update, std::move(start), std::move(stop), std::move(strides), \
                             ScatterOp::OP, #NAME, s);                                           \
  }
TANDEM_SLICE_UPDATE(slice_update_add, Sum)
TANDEM_SLICE_UPDATE(slice_update_prod, Prod)
TANDEM_SLICE_UPDATE(slice_update_max, Max)
TANDEM_SLICE_UPDATE(slice_update_min, Min)
#undef TANDEM_SLICE_UPDATE

array slice_update(const array& src, const array& update, const array& start, std::vector<int> axes,
                   StreamOrDevice s) {
  if (start.ndim() != 1 || start.shape()[0] != static_cast<int>(axes.size())) {
    fail("slice_update", "start must be 1-d with one entry per axis; got shape " +
                             shape_to_string(start.shape()) + " for " +
                             std::to_string(axes.size()) + " axes.");
  }
  if (update.ndim() != src.ndim()) {
    fail("slice_update", "The update must have the source's " + std::to_string(src.ndim()) +
                             " dimensions; got shape " + shape_to_string(update.shape()) + ".");
  }
  // A scatter with 0-d indices: the whole update is one slice placed at the start offsets.
  std::vector<array> idx;
  for (size_t k = 0; k < axes.size(); ++k)
    idx.push_back(reshape(slice(start, {int(k)}, {int(k) + 1}, s), {}, s));
  return scatter(src, idx, update, axes, s);
}

array slice(const array& a, const array& start, std::vector<int> axes, Shape slice_size,
            StreamOrDevice s) {
  if (static_cast<int>(slice_size.size()) != a.ndim()) {
    fail("slice", "Got " + std::to_string(slice_size.size()) +
                      " slice sizes for an array of shape " + shape_to_string(a.shape()) + ".");
  }
  for (int d = 0; d < a.ndim(); ++d) {
    if (slice_size[d] < 0 || slice_size[d] > a.shape()[d]) {
      fail("slice", "Slice size " + std::to_string(slice_size[d]) + " on axis " +
                        std::to_string(d) + " is outside [0, " + std::to_string(a.shape()[d]) +
                        "] for shape " + shape_to_string(a.shape()) + ".");
    }
  }
  if (!is_integral(start.dtype())) {
    fail("slice", "start must be integers; got " + dtype_name(start.dtype()) + ".");
  }
  if (start.ndim() != 1 || start.shape()[0] != static_cast<int>(axes.size())) {
    fail("slice", "start must be 1-d with one entry per axis; got shape " +
                      shape_to_string(start.shape()) + " for " + std::to_string(axes.size()) +
                      " axes.");
  }
  auto ax = detail::normalize_axes(axes, a.ndim(), "slice");
  // A gather with 0-d indices (output shape: slice_size); starts wrap, then clamp so the slice
  // fits (the gather would otherwise clamp only the start itself).
  array st = astype(start, int32, s);
  std::vector<array> idx;
  for (size_t k = 0; k < ax.size(); ++k) {
    int n = a.shape()[ax[k]];
    array i = reshape(slice(st, {int(k)}, {int(k) + 1}, s), {}, s);
    i = where(less(i, array(0), s), add(i, array(n), s), i, s);
    i = clip(i, array(0), array(n - slice_size[ax[k]]), s);
    idx.push_back(i);
  }
  return gather(a, idx, ax, slice_size, s);
}

array masked_scatter(const array& a, const array& mask, const array& src, StreamOrDevice s) {
  if (mask.dtype() != bool_)
    fail("masked_scatter", "mask must be bool; got " + dtype_name(mask.dtype()) + ".");
  array m = broadcast_to(mask, a.shape(), s);
  array flat_mask = reshape(m, {-1}, s);
  // Position k of the flattened array takes src element (number of true entries before k).
  array before = subtract(cumsum(astype(flat_mask, int32, s), 0, false, true, s), array(1), s);
  array vals = take(reshape(src, {-1}, s), maximum(before, array(0), s), s);
  return reshape(where(flat_mask, vals, reshape(a, {-1}, s), s), a.shape(), s);
}

}  // namespace tandem
