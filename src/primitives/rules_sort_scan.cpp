// Copyright © 2026 Tandem authors.
// Derivative and batching rules of the sorting, selection and scan primitives.
//
// Sort and Partition permute their input: the vjp scatters the cotangent back through the
// permutation (argsort / argpartition of the primal; the kernels guarantee that the values
// primitive and the index primitive agree), and the jvp gathers the tangent with it.
//
// Scans: every (reverse, inclusive) variant is written as R o S o E o R, where R flips the axis
// when `reverse`, E shifts right by one filling the op's identity when exclusive, and S is the
// forward inclusive scan. Only S needs a rule per op; R and E are linear and exactly transposable
// (R^T = R, E^T = shift left dropping the identity slot).
//  - Sum: linear; vjp = the cumsum of the cotangent in the other direction.
//  - Prod: d out_i / d x_j = prod_{k<=i, k!=j} x_k, evaluated without dividing by zero: before
//    the first zero of a row it is out_i / x_j; at the first zero it is the product with that
//    zero replaced by 1; after the first zero it is 0. Exact for any number of zeros.
//  - Max/Min: out_i = x_{a(i)} where a(i) is the last position <= i at which x equals the
//    running extremum (the latest of tied maxima); the vjp scatter-adds the cotangent to a(i),
//    the jvp gathers the tangent from it.
//  - LogAddExp: d out_i / d x_j = exp(x_j - out_i). Sums of c_i * exp(x_j - out_i) are taken in
//    log space, splitting c into positive and negative parts, so nothing overflows.
#include <limits>

#include "primitives/rules_common.h"
#include "primitives/sort_scan.h"

namespace tandem {

namespace {

using detail::gather_along_axis;
using detail::scatter_add_along_axis;

array slice_axis(const array& x, int axis, int start, int stop, const Stream& s) {
  Shape st(x.ndim(), 0), en = x.shape();
  st[axis] = start;
  en[axis] = stop;
  return slice(x, st, en, s);
}

// [0, 1, ..., n-1] along `axis`, broadcast to `shape`, as uint32.
array iota_along(const Shape& shape, int axis, const Stream& s) {
  Shape sh(shape.size(), 1);
  sh[axis] = shape[axis];
  return broadcast_to(reshape(arange(0.0, static_cast<double>(shape[axis]), 1.0, uint32, s), sh, s),
                      shape, s);
}

// Both inputs of a two-input primitive with the batch axis in front and the same batch size.
std::pair<array, array> batch_both(const std::vector<array>& inputs, const std::vector<int>& axes,
                                   const Stream& s) {
  int b = axes[0] >= 0 ? inputs[0].shape()[axes[0]] : inputs[1].shape()[axes[1]];
  auto front = [&](int k) {
    array x = rules::batch_to_front(inputs[k], axes[k], s);
    if (axes[k] < 0) {
      Shape sh = x.shape();
      sh[0] = b;
      x = broadcast_to(x, sh, s);
    }
    return x;
  };
  return {front(0), front(1)};
}

// log(x) for x >= 0, with log(0) = -inf reached through a where, so that differentiating it
// again gives 0 (not 0 * inf = NaN) where x is 0.
array log_nonnegative(const array& x, const Stream& s) {
  array pos = greater(x, zeros({}, x.dtype(), s), s);
  array l = log(where(pos, x, ones({}, x.dtype(), s), s), s);
  return where(pos, l, array(-std::numeric_limits<double>::infinity(), x.dtype()), s);
}

array conj_if_complex(const array& x, const Stream& s) {
  return x.dtype() == complex64 ? conjugate(x, s) : x;
}

// ---------------- scan helpers ----------------

array identity_of(ScanOp op, Dtype t) {
  constexpr double inf = std::numeric_limits<double>::infinity();
  switch (op) {
    case ScanOp::Sum:
      return array(0.0, t);
    case ScanOp::Prod:
      return array(1.0, t);
    case ScanOp::Max:
    case ScanOp::LogAddExp:
      return array(-inf, t);
    case ScanOp::Min:
      return array(inf, t);
  }
  return array(0.0, t);
}

struct ScanForm {
  int axis;
  bool reverse;
  bool inclusive;
  const Stream& s;

  array flip_if(const array& x) const { return reverse ? flip(x, axis, s) : x; }
  // E: shift right by one along the axis, filling `fill`.
  array shift_right(const array& x, const array& fill) const {
    int n = x.shape()[axis];
    Shape sh = x.shape();
    sh[axis] = 1;
    return concatenate({full(sh, fill, x.dtype(), s), slice_axis(x, axis, 0, n - 1, s)}, axis, s);
  }
  // E^T: drop the first slot, append a zero.
  array shift_left(const array& x) const {
    int n = x.shape()[axis];
    Shape sh = x.shape();
    sh[axis] = 1;
    return concatenate({slice_axis(x, axis, 1, n, s), zeros(sh, x.dtype(), s)}, axis, s);
  }
  // x -> E(R(x)), the input of the forward inclusive scan.
  array to_canonical(const array& x, const array& fill) const {
    array y = flip_if(x);
    return inclusive ? y : shift_right(y, fill);
  }
  array fwd(const array& y, ScanOp op) const { return detail::scan(y, op, axis, false, true, s); }
  array bwd_sum(const array& y) const { return detail::scan(y, ScanOp::Sum, axis, true, true, s); }
};

// Zero bookkeeping of a forward cumprod: `before` marks positions before the first zero of their
// row, `first` marks the first zero, `y_no_first` has that zero replaced by 1.
struct ZeroInfo {
  array before, first, y_safe, y_no_first;
};
ZeroInfo zero_info(const array& y, const ScanForm& f) {
  const Stream& s = f.s;
  array z = equal(y, zeros({}, y.dtype(), s), s);
  array count = f.fwd(astype(z, int32, s), ScanOp::Sum);
  array before = equal(count, array(0, int32), s);
  array first = logical_and(z, equal(count, array(1, int32), s), s);
  array one = ones({}, y.dtype(), s);
  return {before, first, where(z, one, y, s), where(first, one, y, s)};
}

// Index of the running extremum (see the file comment) of a forward inclusive max/min scan.
array extremum_index(const array& y, const array& out, const ScanForm& f) {
  const Stream& s = f.s;
  array hit = logical_or(equal(y, out, s), logical_and(isnan(y, s), isnan(out, s), s), s);
  array idx = where(hit, iota_along(y.shape(), f.axis, s), array(0u, uint32), s);
  return f.fwd(idx, ScanOp::Max);
}

// The vjp of the forward inclusive scan `op` at y (out = scan(y)), cotangent c.
array forward_scan_vjp(ScanOp op, const array& y, const array& out, const array& c,
                       const ScanForm& f) {
  const Stream& s = f.s;
  switch (op) {
    case ScanOp::Sum:
      return f.bwd_sum(c);
    case ScanOp::Prod: {
      ZeroInfo zi = zero_info(y, f);
      array a = divide(f.bwd_sum(multiply(c, conj_if_complex(out, s), s)),
                       conj_if_complex(zi.y_safe, s), s);
      array out_nf = f.fwd(zi.y_no_first, ScanOp::Prod);
      array b = f.bwd_sum(multiply(c, conj_if_complex(out_nf, s), s));
      return where(zi.before, a, where(zi.first, b, zeros_like(b, s), s), s);
    }
    case ScanOp::Max:
    case ScanOp::Min:
      return scatter_add_along_axis(c, extremum_index(y, out, f), f.axis, y.shape()[f.axis], s);
    case ScanOp::LogAddExp: {
      array zero = zeros({}, c.dtype(), s);
      auto part = [&](const array& cp) {
        array l = detail::scan(subtract(log_nonnegative(cp, s), out, s), ScanOp::LogAddExp, f.axis,
                               true, true, s);
        return exp(add(y, l, s), s);
      };
      array g = subtract(part(maximum(c, zero, s)), part(maximum(negative(c, s), zero, s)), s);
      return where(isneginf(y, s), zeros_like(g, s), g, s);
    }
  }
  return zeros_like(y, s);
}

// The jvp of the forward inclusive scan `op` at y (out = scan(y)), tangent t.
array forward_scan_jvp(ScanOp op, const array& y, const array& out, const array& t,
                       const ScanForm& f) {
  const Stream& s = f.s;
  switch (op) {
    case ScanOp::Sum:
      return f.fwd(t, ScanOp::Sum);
    case ScanOp::Prod: {
      ZeroInfo zi = zero_info(y, f);
      array a = multiply(out, f.fwd(divide(t, zi.y_safe, s), ScanOp::Sum), s);
      array t_at_first = sum(where(zi.first, t, zeros_like(t, s), s), f.axis, true, s);
      array b = multiply(t_at_first, f.fwd(zi.y_no_first, ScanOp::Prod), s);
      return where(zi.before, a, b, s);
    }
    case ScanOp::Max:
    case ScanOp::Min:
      return gather_along_axis(t, extremum_index(y, out, f), f.axis, s);
    case ScanOp::LogAddExp: {
      array zero = zeros({}, t.dtype(), s);
      auto part = [&](const array& tp) {
        array l = f.fwd(add(log_nonnegative(tp, s), y, s), ScanOp::LogAddExp);
        return exp(subtract(l, out, s), s);
      };
      array g = subtract(part(maximum(t, zero, s)), part(maximum(negative(t, s), zero, s)), s);
      return where(isneginf(out, s), zeros_like(g, s), g, s);
    }
  }
  return zeros_like(y, s);
}

}  // namespace

// ---------------- Sort, ArgSort ----------------

std::vector<array> Sort::vjp(const std::vector<array>& primals, const std::vector<array>& cots,
                             const std::vector<int>&, const std::vector<array>&) {
  const Stream& s = stream();
  const array& x = primals[0];
  array perm = argsort(x, axis_, s);
  return {scatter_add_along_axis(cots[0], perm, axis_, x.shape()[axis_], s)};
}
std::vector<array> Sort::jvp(const std::vector<array>& primals, const std::vector<array>& tangents,
                             const std::vector<int>&) {
  const Stream& s = stream();
  return {gather_along_axis(tangents[0], argsort(primals[0], axis_, s), axis_, s)};
}
std::pair<std::vector<array>, std::vector<int>> Sort::vmap(const std::vector<array>& inputs,
                                                           const std::vector<int>& axes) {
  array x = rules::batch_to_front(inputs[0], axes[0], stream());
  return {{sort(x, axis_ + 1, stream())}, {0}};
}

std::vector<array> ArgSort::vjp(const std::vector<array>& primals, const std::vector<array>&,
                                const std::vector<int>&, const std::vector<array>&) {
  return {zeros_like(primals[0], stream())};
}
std::vector<array> ArgSort::jvp(const std::vector<array>& primals, const std::vector<array>&,
                                const std::vector<int>&) {
  return {zeros(primals[0].shape(), uint32, stream())};
}
std::pair<std::vector<array>, std::vector<int>> ArgSort::vmap(const std::vector<array>& inputs,
                                                              const std::vector<int>& axes) {
  array x = rules::batch_to_front(inputs[0], axes[0], stream());
  return {{argsort(x, axis_ + 1, stream())}, {0}};
}

// ---------------- Partition, ArgPartition ----------------

std::vector<array> Partition::vjp(const std::vector<array>& primals, const std::vector<array>& cots,
                                  const std::vector<int>&, const std::vector<array>&) {
  const Stream& s = stream();
  const array& x = primals[0];
  array perm = argpartition(x, kth_, axis_, s);
  return {scatter_add_along_axis(cots[0], perm, axis_, x.shape()[axis_], s)};
}
std::vector<array> Partition::jvp(const std::vector<array>& primals,
                                  const std::vector<array>& tangents, const std::vector<int>&) {
  const Stream& s = stream();
  return {gather_along_axis(tangents[0], argpartition(primals[0], kth_, axis_, s), axis_, s)};
}
std::pair<std::vector<array>, std::vector<int>> Partition::vmap(const std::vector<array>& inputs,
                                                                const std::vector<int>& axes) {
  array x = rules::batch_to_front(inputs[0], axes[0], stream());
  return {{partition(x, kth_, axis_ + 1, stream())}, {0}};
}

std::vector<array> ArgPartition::vjp(const std::vector<array>& primals, const std::vector<array>&,
                                     const std::vector<int>&, const std::vector<array>&) {
  return {zeros_like(primals[0], stream())};
}
std::vector<array> ArgPartition::jvp(const std::vector<array>& primals, const std::vector<array>&,
                                     const std::vector<int>&) {
  return {zeros(primals[0].shape(), uint32, stream())};
}
std::pair<std::vector<array>, std::vector<int>> ArgPartition::vmap(const std::vector<array>& inputs,
                                                                   const std::vector<int>& axes) {
  array x = rules::batch_to_front(inputs[0], axes[0], stream());
  return {{argpartition(x, kth_, axis_ + 1, stream())}, {0}};
}

// ---------------- SearchSorted (piecewise constant: zero derivatives) ----------------

std::vector<array> SearchSorted::vjp(const std::vector<array>& primals, const std::vector<array>&,
                                     const std::vector<int>& argnums, const std::vector<array>&) {
  std::vector<array> out;
  for (int a : argnums)
    out.push_back(zeros_like(primals[a], stream()));
  return out;
}
std::vector<array> SearchSorted::jvp(const std::vector<array>& primals, const std::vector<array>&,
                                     const std::vector<int>&) {
  return {zeros(primals[1].shape(), uint32, stream())};
}
std::pair<std::vector<array>, std::vector<int>> SearchSorted::vmap(const std::vector<array>& inputs,
                                                                   const std::vector<int>& axes) {
  const Stream& s = stream();
  auto [a, v] = batch_both(inputs, axes, s);
  return {{detail::make<SearchSorted>(v.shape(), uint32, {a, v}, s, right_)}, {0}};
}

// ---------------- Scan ----------------

std::vector<array> Scan::vjp(const std::vector<array>& primals, const std::vector<array>& cots,
                             const std::vector<int>&, const std::vector<array>& outputs) {
  const Stream& s = stream();
  const array& x = primals[0];
  if (!is_inexact(x.dtype()) || x.size() == 0) return {zeros_like(x, s)};
  array c = astype(cots[0], x.dtype(), s);
  if (op_ == ScanOp::Sum) return {detail::scan(c, ScanOp::Sum, axis_, !reverse_, inclusive_, s)};
  ScanForm f{axis_, reverse_, inclusive_, s};
  array y = f.to_canonical(x, identity_of(op_, x.dtype()));
  // out = R(S(y)), so S(y) = R(out).
  array g = forward_scan_vjp(op_, y, f.flip_if(outputs[0]), f.flip_if(c), f);
  if (!inclusive_) g = f.shift_left(g);
  return {f.flip_if(g)};
}

std::vector<array> Scan::jvp(const std::vector<array>& primals, const std::vector<array>& tangents,
                             const std::vector<int>&) {
  const Stream& s = stream();
  const array& x = primals[0];
  if (!is_inexact(x.dtype())) {
    return {zeros(x.shape(), op_ == ScanOp::Sum && x.dtype() == bool_ ? int32 : x.dtype(), s)};
  }
  array t = astype(tangents[0], x.dtype(), s);
  if (op_ == ScanOp::Sum || x.size() == 0) {
    return {detail::scan(t, ScanOp::Sum, axis_, reverse_, inclusive_, s)};
  }
  ScanForm f{axis_, reverse_, inclusive_, s};
  array y = f.to_canonical(x, identity_of(op_, x.dtype()));
  array ty = f.to_canonical(t, zeros({}, t.dtype(), s));
  array out = f.fwd(y, op_);
  return {f.flip_if(forward_scan_jvp(op_, y, out, ty, f))};
}

std::pair<std::vector<array>, std::vector<int>> Scan::vmap(const std::vector<array>& inputs,
                                                           const std::vector<int>& axes) {
  array x = rules::batch_to_front(inputs[0], axes[0], stream());
  return {{detail::scan(x, op_, axis_ + 1, reverse_, inclusive_, stream())}, {0}};
}

// ---------------- AlongAxisGather, AlongAxisScatterAdd (linear in their first input) ----------

std::vector<array> AlongAxisGather::vjp(const std::vector<array>& primals,
                                        const std::vector<array>& cots,
                                        const std::vector<int>& argnums,
                                        const std::vector<array>&) {
  const Stream& s = stream();
  std::vector<array> out;
  for (int a : argnums) {
    out.push_back(
        a == 0 ? scatter_add_along_axis(cots[0], primals[1], axis_, primals[0].shape()[axis_], s)
               : zeros_like(primals[1], s));
  }
  return out;
}
std::vector<array> AlongAxisGather::jvp(const std::vector<array>& primals,
                                        const std::vector<array>& tangents,
                                        const std::vector<int>& argnums) {
  const Stream& s = stream();
  for (size_t k = 0; k < argnums.size(); ++k) {
    if (argnums[k] == 0) return {gather_along_axis(tangents[k], primals[1], axis_, s)};
  }
  return {zeros(primals[1].shape(), primals[0].dtype(), s)};
}
std::pair<std::vector<array>, std::vector<int>> AlongAxisGather::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  const Stream& s = stream();
  auto [a, idx] = batch_both(inputs, axes, s);
  return {{gather_along_axis(a, idx, axis_ + 1, s)}, {0}};
}

std::vector<array> AlongAxisScatterAdd::vjp(const std::vector<array>& primals,
                                            const std::vector<array>& cots,
                                            const std::vector<int>& argnums,
                                            const std::vector<array>&) {
  const Stream& s = stream();
  std::vector<array> out;
  for (int a : argnums) {
    out.push_back(a == 0 ? gather_along_axis(cots[0], primals[1], axis_, s)
                         : zeros_like(primals[1], s));
  }
  return out;
}
std::vector<array> AlongAxisScatterAdd::jvp(const std::vector<array>& primals,
                                            const std::vector<array>& tangents,
                                            const std::vector<int>& argnums) {
  const Stream& s = stream();
  for (size_t k = 0; k < argnums.size(); ++k) {
    if (argnums[k] == 0) {
      return {scatter_add_along_axis(tangents[k], primals[1], axis_, extent_, s)};
    }
  }
  Shape sh = primals[0].shape();
  sh[axis_] = extent_;
  return {zeros(sh, primals[0].dtype(), s)};
}
std::pair<std::vector<array>, std::vector<int>> AlongAxisScatterAdd::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  const Stream& s = stream();
  auto [src, idx] = batch_both(inputs, axes, s);
  return {{scatter_add_along_axis(src, idx, axis_ + 1, extent_, s)}, {0}};
}

}  // namespace tandem
