// Copyright © 2026 Tandem authors.
// Derivative and batching rules of Gather, Scatter and SliceUpdate.
#include "primitives/indexing.h"
#include "primitives/rules_common.h"

namespace tandem {

using detail::fail;

namespace {

array scatter_by_op(ScatterOp op, const array& a, const std::vector<array>& idx, const array& u,
                    const std::vector<int>& axes, const Stream& s) {
  switch (op) {
    case ScatterOp::None:
      return scatter(a, idx, u, axes, s);
    case ScatterOp::Sum:
      return scatter_add(a, idx, u, axes, s);
    case ScatterOp::Prod:
      return scatter_prod(a, idx, u, axes, s);
    case ScatterOp::Max:
      return scatter_max(a, idx, u, axes, s);
    case ScatterOp::Min:
      return scatter_min(a, idx, u, axes, s);
  }
  return a;
}

array slice_update_by_op(ScatterOp op, const array& src, const array& u, const Shape& start,
                         const Shape& stop, const Shape& strides, const Stream& s) {
  switch (op) {
    case ScatterOp::None:
      return slice_update(src, u, start, stop, strides, s);
    case ScatterOp::Sum:
      return slice_update_add(src, u, start, stop, strides, s);
    case ScatterOp::Prod:
      return slice_update_prod(src, u, start, stop, strides, s);
    case ScatterOp::Max:
      return slice_update_max(src, u, start, stop, strides, s);
    case ScatterOp::Min:
      return slice_update_min(src, u, start, stop, strides, s);
  }
  return src;
}

// Batch index arrays: each moved to the front and broadcast to (B, IS...).
std::vector<array> batch_indices(const std::vector<array>& idx, const std::vector<int>& axes,
                                 int batch, const Stream& s) {
  Shape is = idx[0].shape();
  if (axes[0] >= 0) is.erase(is.begin() + axes[0]);
  for (size_t k = 1; k < idx.size(); ++k) {
    Shape sk = idx[k].shape();
    if (axes[k] >= 0) sk.erase(sk.begin() + axes[k]);
    is = broadcast_shapes(is, sk);
  }
  Shape full = is;
  full.insert(full.begin(), batch);
  std::vector<array> out;
  for (size_t k = 0; k < idx.size(); ++k) {
    array x = rules::batch_to_front(idx[k], axes[k], s);
    // Align the per-example dims to the right of the batch axis.
    Shape sh = x.shape();
    sh.insert(sh.begin() + 1, static_cast<int>(full.size()) - x.ndim(), 1);
    out.push_back(broadcast_to(reshape(x, sh, s), full, s));
  }
  return out;
}

array batch_arange(int batch, const Shape& full, const Stream& s) {
  Shape r(full.size(), 1);
  r[0] = batch;
  return broadcast_to(reshape(arange(0, batch, s), r, s), full, s);
}

int batch_size(const std::vector<array>& inputs, const std::vector<int>& axes) {
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (axes[i] >= 0) return inputs[i].shape()[axes[i]];
  }
  return 1;
}

array to_front_full(const array& x, int axis, int batch, const Stream& s) {
  array y = rules::batch_to_front(x, axis, s);
  Shape sh = y.shape();
  sh[0] = batch;
  return broadcast_to(y, sh, s);
}

// Index arrays as the kernels read them: int64, negative values wrapped once.
array wrapped_index(const array& idx, int n, const Stream& s) {
  array i = astype(idx, int64, s);
  return where(less(i, array(int64_t{0}), s), add(i, array(int64_t{n}), s), i, s);
}

// The positions a gather reads: wrapped, then clamped so that the whole slice fits the axis.
std::vector<array> gather_positions(const std::vector<array>& idx, const std::vector<int>& axes,
                                    const Shape& shape, const Shape& slice_sizes, const Stream& s) {
  std::vector<array> out;
  for (size_t k = 0; k < idx.size(); ++k) {
    int n = shape[axes[k]];
    int64_t hi = std::max(n - slice_sizes[axes[k]], 0);
    out.push_back(clip(wrapped_index(idx[k], n, s), array(int64_t{0}), array(int64_t{hi}), s));
  }
  return out;
}

// Whether a scatter writes each slice (bool, of the index shape): in range after wrapping.
array scatter_in_range(const std::vector<array>& idx, const std::vector<int>& axes,
                       const Shape& shape, const Shape& slice, const Stream& s) {
  std::optional<array> ok;
  for (size_t k = 0; k < idx.size(); ++k) {
    int n = shape[axes[k]];
    array w = wrapped_index(idx[k], n, s);
    array v = logical_and(greater_equal(w, array(int64_t{0}), s),
                          less_equal(w, array(int64_t{n - slice[axes[k]]}), s), s);
    ok = ok ? logical_and(*ok, v, s) : v;
  }
  return *ok;
}

}  // namespace

// ---------------- Gather ----------------

std::vector<array> Gather::vjp(const std::vector<array>& primals, const std::vector<array>& cots,
                               const std::vector<int>& argnums, const std::vector<array>&) {
  const Stream& s = stream();
  std::vector<array> idx(primals.begin() + 1, primals.end());
  std::vector<array> out;
  for (int a : argnums) {
    if (a == 0) {
      // The forward pass clamps out-of-range indices; scatter_add would drop them instead.
      auto pos = gather_positions(idx, axes_, primals[0].shape(), slice_sizes_, s);
      out.push_back(scatter_add(zeros_like(primals[0], s), pos, cots[0], axes_, s));
    } else {
      out.push_back(zeros_like(primals[a], s));
    }
  }
  return out;
}

std::vector<array> Gather::jvp(const std::vector<array>& primals,
                               const std::vector<array>& tangents,
                               const std::vector<int>& argnums) {
  std::vector<array> idx(primals.begin() + 1, primals.end());
  for (size_t k = 0; k < argnums.size(); ++k) {
    if (argnums[k] == 0) return {gather(tangents[k], idx, axes_, slice_sizes_, stream())};
  }
  Shape out = idx.empty() ? Shape{} : idx[0].shape();
  out.insert(out.end(), slice_sizes_.begin(), slice_sizes_.end());
  return {zeros(out, primals[0].dtype(), stream())};
}

std::pair<std::vector<array>, std::vector<int>> Gather::vmap(const std::vector<array>& inputs,
                                                             const std::vector<int>& axes) {
  const Stream& s = stream();
  int batch = batch_size(inputs, axes);
  std::vector<array> idx(inputs.begin() + 1, inputs.end());
  std::vector<int> idx_axes(axes.begin() + 1, axes.end());
  bool idx_batched = false;
  for (int a : idx_axes)
    idx_batched |= a >= 0;
  std::vector<int> shifted;
  for (int a : axes_)
    shifted.push_back(a + 1);
  if (!idx_batched) {
    array a = rules::batch_to_front(inputs[0], axes[0], s);
    Shape sizes = slice_sizes_;
    sizes.insert(sizes.begin(), a.shape()[0]);
    int isd = idx.empty() ? 0 : idx[0].ndim();
    return {{gather(a, idx, shifted, sizes, s)}, {isd}};
  }
  auto bidx = batch_indices(idx, idx_axes, batch, s);
  Shape full = bidx[0].shape();
  if (axes[0] < 0) return {{gather(inputs[0], bidx, axes_, slice_sizes_, s)}, {0}};
  array a = rules::batch_to_front(inputs[0], axes[0], s);
  std::vector<array> all{batch_arange(batch, full, s)};
  all.insert(all.end(), bidx.begin(), bidx.end());
  std::vector<int> all_axes{0};
  all_axes.insert(all_axes.end(), shifted.begin(), shifted.end());
  Shape sizes = slice_sizes_;
  sizes.insert(sizes.begin(), 1);
  array g = gather(a, all, all_axes, sizes, s);  // (B, IS..., 1, slices...)
  Shape sh = full;
  sh.insert(sh.end(), slice_sizes_.begin(), slice_sizes_.end());
  return {{reshape(g, sh, s)}, {0}};
}

// ---------------- Scatter ----------------

std::vector<array> Scatter::vjp(const std::vector<array>& primals, const std::vector<array>& cots,
                                const std::vector<int>& argnums, const std::vector<array>&) {
  const Stream& s = stream();
  if (op_ != ScatterOp::None && op_ != ScatterOp::Sum) {
    fail("scatter", "The vjp of " + name() + " is not supported (only scatter and scatter_add).");
  }
  const array& cot = cots[0];
  std::vector<array> idx(primals.begin() + 1, primals.end() - 1);
  const array& upd = primals.back();
  int last = static_cast<int>(primals.size()) - 1;
  std::vector<array> out;
  for (int a : argnums) {
    if (a == 0) {
      out.push_back(op_ == ScatterOp::Sum ? cot : scatter(cot, idx, zeros_like(upd, s), axes_, s));
    } else if (a == last) {
      Shape slice(upd.shape().end() - primals[0].ndim(), upd.shape().end());
      array g = reshape(gather(cot, idx, axes_, slice, s), upd.shape(), s);
      // Updates the forward pass dropped (out of range) get no gradient; gather would clamp.
      array ok = scatter_in_range(idx, axes_, primals[0].shape(), slice, s);
      Shape ms = ok.shape();
      ms.insert(ms.end(), slice.size(), 1);
      out.push_back(where(reshape(ok, ms, s), g, zeros_like(g, s), s));
    } else {
      out.push_back(zeros_like(primals[a], s));
    }
  }
  return out;
}

std::vector<array> Scatter::jvp(const std::vector<array>& primals,
                                const std::vector<array>& tangents,
                                const std::vector<int>& argnums) {
  const Stream& s = stream();
  if (op_ != ScatterOp::None && op_ != ScatterOp::Sum) {
    fail("scatter", "The jvp of " + name() + " is not supported (only scatter and scatter_add).");
  }
  std::vector<array> idx(primals.begin() + 1, primals.end() - 1);
  int last = static_cast<int>(primals.size()) - 1;
  array ta = zeros_like(primals[0], s), tu = zeros_like(primals.back(), s);
  for (size_t k = 0; k < argnums.size(); ++k) {
    if (argnums[k] == 0) ta = tangents[k];
    if (argnums[k] == last) tu = tangents[k];
  }
  return {scatter_by_op(op_, ta, idx, tu, axes_, s)};
}

std::pair<std::vector<array>, std::vector<int>> Scatter::vmap(const std::vector<array>& inputs,
                                                              const std::vector<int>& axes) {
  const Stream& s = stream();
  int batch = batch_size(inputs, axes);
  int last = static_cast<int>(inputs.size()) - 1;
  std::vector<array> idx(inputs.begin() + 1, inputs.end() - 1);
  std::vector<int> idx_axes(axes.begin() + 1, axes.end() - 1);
  bool idx_batched = false;
  for (int a : idx_axes)
    idx_batched |= a >= 0;
  std::vector<int> shifted;
  for (int a : axes_)
    shifted.push_back(a + 1);
  array a = to_front_full(inputs[0], axes[0], batch, s);
  int isd = idx[0].ndim() - (idx_axes[0] >= 0 ? 1 : 0);
  for (size_t k = 1; k < idx.size(); ++k) {
    isd = std::max(isd, idx[k].ndim() - (idx_axes[k] >= 0 ? 1 : 0));
  }
  array u = to_front_full(inputs[last], axes[last], batch, s);  // (B, IS..., slice...)
  if (!idx_batched) {
    // Updates (IS..., B, slice...): the batch is the first slice axis.
    u = moveaxis(u, 0, isd, s);
    return {{scatter_by_op(op_, a, idx, u, shifted, s)}, {0}};
  }
  auto bidx = batch_indices(idx, idx_axes, batch, s);
  Shape full = bidx[0].shape();
  std::vector<array> all{batch_arange(batch, full, s)};
  all.insert(all.end(), bidx.begin(), bidx.end());
  std::vector<int> all_axes{0};
  all_axes.insert(all_axes.end(), shifted.begin(), shifted.end());
  Shape sh = u.shape();
  sh.insert(sh.begin() + 1 + isd, 1);
  return {{scatter_by_op(op_, a, all, reshape(u, sh, s), all_axes, s)}, {0}};
}

// ---------------- SliceUpdate ----------------

std::vector<array> SliceUpdate::vjp(const std::vector<array>& primals,
                                    const std::vector<array>& cots, const std::vector<int>& argnums,
                                    const std::vector<array>&) {
  const Stream& s = stream();
  if (op_ != ScatterOp::None && op_ != ScatterOp::Sum) {
    fail("slice_update", "The vjp is only supported for slice_update and slice_update_add.");
  }
  const array& cot = cots[0];
  Shape stop = rules::reslice_stops(stop_, strides_, cot.shape());
  std::vector<array> out;
  for (int a : argnums) {
    if (a == 0) {
      out.push_back(op_ == ScatterOp::Sum
                        ? cot
                        : slice_update(cot, zeros_like(primals[1], s), start_, stop, strides_, s));
    } else {
      out.push_back(slice(cot, start_, stop, strides_, s));
    }
  }
  return out;
}

std::vector<array> SliceUpdate::jvp(const std::vector<array>& primals,
                                    const std::vector<array>& tangents,
                                    const std::vector<int>& argnums) {
  const Stream& s = stream();
  if (op_ != ScatterOp::None && op_ != ScatterOp::Sum) {
    fail("slice_update", "The jvp is only supported for slice_update and slice_update_add.");
  }
  array ts = zeros_like(primals[0], s), tu = zeros_like(primals[1], s);
  for (size_t k = 0; k < argnums.size(); ++k) {
    if (argnums[k] == 0) ts = tangents[k];
    if (argnums[k] == 1) tu = tangents[k];
  }
  Shape stop = rules::reslice_stops(stop_, strides_, ts.shape());
  return {slice_update_by_op(op_, ts, tu, start_, stop, strides_, s)};
}

std::pair<std::vector<array>, std::vector<int>> SliceUpdate::vmap(const std::vector<array>& inputs,
                                                                  const std::vector<int>& axes) {
  const Stream& s = stream();
  int batch = batch_size(inputs, axes);
  array src = to_front_full(inputs[0], axes[0], batch, s);
  array u = to_front_full(inputs[1], axes[1], batch, s);
  Shape per(src.shape().begin() + 1, src.shape().end());
  Shape st = start_, sp = rules::reslice_stops(stop_, strides_, per), str = strides_;
  st.insert(st.begin(), 0);
  sp.insert(sp.begin(), batch);
  str.insert(str.begin(), 1);
  return {{slice_update_by_op(op_, src, u, st, sp, str, s)}, {0}};
}

}  // namespace tandem
