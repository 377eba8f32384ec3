// Copyright © 2026 Tandem authors.
// Sorting, selection and scan op functions: argument checks and dtype rules, then Sort / ArgSort /
// Partition / ArgPartition / SearchSorted / Scan nodes, or compositions (topk, diff, median).
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "ops/ops_common.h"
#include "primitives/sort_scan.h"

namespace tandem {

using detail::at_least_float;
using detail::fail;

// ---------------- primitive names and equivalence ----------------

const char* scan_op_name(ScanOp op) {
  switch (op) {
    case ScanOp::Sum:
      return "Sum";
    case ScanOp::Prod:
      return "Prod";
    case ScanOp::Max:
      return "Max";
    case ScanOp::Min:
      return "Min";
    case ScanOp::LogAddExp:
      return "LogAddExp";
  }
  return "?";
}

std::string Scan::name() const {
  std::string n = std::string("Scan(") + scan_op_name(op_);
  if (reverse_) n += ", reverse";
  if (!inclusive_) n += ", exclusive";
  return n + ")";
}

bool Sort::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const Sort*>(&other);
  return o && o->axis_ == axis_;
}
bool ArgSort::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const ArgSort*>(&other);
  return o && o->axis_ == axis_;
}
bool Partition::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const Partition*>(&other);
  return o && o->axis_ == axis_ && o->kth_ == kth_;
}
bool ArgPartition::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const ArgPartition*>(&other);
  return o && o->axis_ == axis_ && o->kth_ == kth_;
}
bool SearchSorted::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const SearchSorted*>(&other);
  return o && o->right_ == right_;
}
bool Scan::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const Scan*>(&other);
  return o && o->op_ == op_ && o->axis_ == axis_ && o->reverse_ == reverse_ &&
         o->inclusive_ == inclusive_;
}
bool AlongAxisGather::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const AlongAxisGather*>(&other);
  return o && o->axis_ == axis_;
}
bool AlongAxisScatterAdd::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const AlongAxisScatterAdd*>(&other);
  return o && o->axis_ == axis_ && o->extent_ == extent_;
}

namespace {

array flat(const array& a, StreamOrDevice s) {
  return reshape(a, {static_cast<int>(a.size())}, s);
}

// kth in [-n, n) -> [0, n), else "[op] ..." naming kth, the axis and the shape.
int normalize_kth(const array& a, int kth, int axis, const char* op) {
  int n = a.shape()[axis];
  int k = kth < 0 ? kth + n : kth;
  if (k < 0 || k >= n) {
    fail(op, "Invalid kth " + std::to_string(kth) + " along axis " + std::to_string(axis) +
                 " of extent " + std::to_string(n) + " (input shape " + shape_to_string(a.shape()) +
                 ").");
  }
  return k;
}

}  // namespace

// ---------------- sort, argsort ----------------

array sort(const array& a, int axis, StreamOrDevice s) {
  int ax = normalize_axis(axis, a.ndim(), "sort");
  return detail::make<Sort>(a.shape(), a.dtype(), {a}, to_stream(s), ax);
}
array sort(const array& a, StreamOrDevice s) {
  return sort(flat(a, s), 0, s);
}

array argsort(const array& a, int axis, StreamOrDevice s) {
  int ax = normalize_axis(axis, a.ndim(), "argsort");
  return detail::make<ArgSort>(a.shape(), uint32, {a}, to_stream(s), ax);
}
array argsort(const array& a, StreamOrDevice s) {
  return argsort(flat(a, s), 0, s);
}

// ---------------- partition, argpartition, topk ----------------

array partition(const array& a, int kth, int axis, StreamOrDevice s) {
  int ax = normalize_axis(axis, a.ndim(), "partition");
  int k = normalize_kth(a, kth, ax, "partition");
  return detail::make<Partition>(a.shape(), a.dtype(), {a}, to_stream(s), k, ax);
}
array partition(const array& a, int kth, StreamOrDevice s) {
  return partition(flat(a, s), kth, 0, s);
}

array argpartition(const array& a, int kth, int axis, StreamOrDevice s) {
  int ax = normalize_axis(axis, a.ndim(), "argpartition");
  int k = normalize_kth(a, kth, ax, "argpartition");
  return detail::make<ArgPartition>(a.shape(), uint32, {a}, to_stream(s), k, ax);
}
array argpartition(const array& a, int kth, StreamOrDevice s) {
  return argpartition(flat(a, s), kth, 0, s);
}

array topk(const array& a, int k, int axis, StreamOrDevice s) {
  int ax = normalize_axis(axis, a.ndim(), "topk");
  int n = a.shape()[ax];
  if (k < 0 || k > n) {
    fail("topk", "Invalid k=" + std::to_string(k) + " along axis " + std::to_string(axis) +
                     " of extent " + std::to_string(n) + " (input shape " +
                     shape_to_string(a.shape()) + ").");
  }
  Shape start(a.ndim(), 0);
  Shape stop = a.shape();
  if (k == 0) {
    stop[ax] = 0;
    return slice(a, start, stop, s);
  }
  if (k == n) return sort(a, ax, s);
  // The k largest are the tail of a partition around n - k; only that tail is then sorted.
  start[ax] = n - k;
  return sort(slice(partition(a, n - k, ax, s), start, stop, s), ax, s);
}
array topk(const array& a, int k, StreamOrDevice s) {
  return topk(flat(a, s), k, 0, s);
}

// ---------------- searchsorted ----------------

array searchsorted(const array& a, const array& v, const std::string& side, StreamOrDevice s) {
  bool right = false;
  if (side == "right") {
    right = true;
  } else if (side != "left") {
    fail("searchsorted", "side must be \"left\" or \"right\"; got \"" + side + "\".");
  }
  if (a.ndim() != 1) {
    fail("searchsorted",
         "The sorted array must be 1-dimensional; got shape " + shape_to_string(a.shape()) + ".");
  }
  Dtype t = promote_types(a.dtype(), v.dtype());
  return detail::make<SearchSorted>(v.shape(), uint32, {astype(a, t, s), astype(v, t, s)},
                                    to_stream(s), right);
}

// ---------------- scans ----------------

array detail::scan(const array& a, ScanOp op, int axis, bool reverse, bool inclusive,
                   StreamOrDevice s) {
  array x = a;
  Dtype out_t = a.dtype();
  if (op == ScanOp::Sum && a.dtype() == bool_) {
    out_t = int32;  // as MLX: the kernel accumulates bool in int32
  } else if (op == ScanOp::LogAddExp) {
    out_t = at_least_float(a.dtype());
    x = astype(a, out_t, s);
  }
  return detail::make<Scan>(a.shape(), out_t, {x}, to_stream(s), op, axis, reverse, inclusive);
}

namespace {
array scan_op(const array& a, int axis, bool reverse, bool inclusive, ScanOp op, const char* name,
              StreamOrDevice s) {
  int ax = normalize_axis(axis, a.ndim(), name);
  if (op == ScanOp::LogAddExp && a.dtype() == complex64) {
    fail(name, "Not supported for complex64.");
  }
  return detail::scan(a, op, ax, reverse, inclusive, s);
}
}  // namespace

#define TANDEM_SCAN_OPS(NAME, OP)                                                        \
  array NAME(const array& a, int axis, bool reverse, bool inclusive, StreamOrDevice s) { \
    return scan_op(a, axis, reverse, inclusive, OP, #NAME, s);                           \
  }                                                                                      \
  array NAME(const array& a, bool reverse, bool inclusive, StreamOrDevice s) {           \
    return scan_op(flat(a, s), 0, reverse, inclusive, OP, #NAME, s);                     \
  }

TANDEM_SCAN_OPS(cumsum, ScanOp::Sum)
TANDEM_SCAN_OPS(cumprod, ScanOp::Prod)
TANDEM_SCAN_OPS(cummax, ScanOp::Max)
TANDEM_SCAN_OPS(cummin, ScanOp::Min)
TANDEM_SCAN_OPS(logcumsumexp, ScanOp::LogAddExp)
#undef TANDEM_SCAN_OPS

// ---------------- diff ----------------

array diff(const array& a, int n, int axis, StreamOrDevice s) {
  if (a.ndim() == 0) {
    fail("diff", "Requires an input with at least one dimension; got a 0-d array.");
  }
  if (n < 0) fail("diff", "The order n must be non-negative; got " + std::to_string(n) + ".");
  int ax = normalize_axis(axis, a.ndim(), "diff");
  array out = a;
  for (int k = 0; k < n; ++k) {
    int len = out.shape()[ax];
    if (len == 0) break;
    Shape start(out.ndim(), 0), stop = out.shape();
    start[ax] = 1;
    array hi = slice(out, start, stop, s);
    start[ax] = 0;
    stop[ax] = len - 1;
    array lo = slice(out, start, stop, s);
    out = out.dtype() == bool_ ? not_equal(hi, lo, s) : subtract(hi, lo, s);
  }
  return out;
}

// ---------------- median ----------------

array median(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  auto ax = detail::normalize_axes(axes, a.ndim(), "median");
  std::sort(ax.begin(), ax.end());
  if (a.dtype() == complex64) fail("median", "Not supported for complex64.");
  Dtype t = at_least_float(a.dtype());
  array x = astype(a, t, s);
  if (ax.empty()) return x;
  // Move the reduced axes last and merge them into one axis of extent n.
  std::vector<int> perm;
  std::vector<bool> reduced(a.ndim(), false);
  for (int d : ax)
    reduced[d] = true;
  Shape flat_shape, keep_shape, out_shape;
  for (int d = 0; d < a.ndim(); ++d) {
    if (reduced[d]) {
      keep_shape.push_back(1);
      continue;
    }
    perm.push_back(d);
    flat_shape.push_back(a.shape()[d]);
    keep_shape.push_back(a.shape()[d]);
    out_shape.push_back(a.shape()[d]);
  }
  int64_t n = 1;
  for (int d : ax) {
    perm.push_back(d);
    n *= a.shape()[d];
  }
  const Shape& final_shape = keepdims ? keep_shape : out_shape;
  if (n == 0) return full(final_shape, array(std::nan(""), t), t, s);
  flat_shape.push_back(static_cast<int>(n));
  x = reshape(transpose(x, perm, s), flat_shape, s);
  // The upper middle element sits at position n/2 after a partition around it; the lower one
  // (even n) is the largest element before it.
  int h = static_cast<int>(n / 2);
  int last = static_cast<int>(flat_shape.size()) - 1;
  array p = partition(x, h, last, s);
  Shape start(flat_shape.size(), 0), stop = flat_shape;
  start[last] = h;
  stop[last] = h + 1;
  array med = slice(p, start, stop, s);
  if (n % 2 == 0) {
    start[last] = 0;
    stop[last] = h;
    array lo = max(slice(p, start, stop, s), last, true, s);
    // Average in at least float32 (float16 would overflow on large neighbours).
    Dtype w = (t == float16 || t == bfloat16) ? float32 : t;
    med = astype(multiply(add(astype(lo, w, s), astype(med, w, s), s), array(0.5, w), s), t, s);
  }
  // A slice holding a NaN has NaN as its median (NumPy).
  array has_nan = any(isnan(x, s), last, true, s);
  med = where(has_nan, array(std::nan(""), t), med, s);
  return reshape(med, final_shape, s);
}
array median(const array& a, bool keepdims, StreamOrDevice s) {
  std::vector<int> axes(a.ndim());
  std::iota(axes.begin(), axes.end(), 0);
  return median(a, axes, keepdims, s);
}
array median(const array& a, StreamOrDevice s) {
  return median(a, false, s);
}
array median(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return median(a, std::vector<int>{axis}, keepdims, s);
}

// ---------------- internal along-axis gather / scatter-add ----------------

array detail::gather_along_axis(const array& a, const array& idx, int axis, StreamOrDevice s) {
  return detail::make<AlongAxisGather>(idx.shape(), a.dtype(), {a, astype(idx, uint32, s)},
                                       to_stream(s), axis);
}

array detail::scatter_add_along_axis(const array& src, const array& idx, int axis, int extent,
                                     StreamOrDevice s) {
  Shape shape = src.shape();
  shape[axis] = extent;
  return detail::make<AlongAxisScatterAdd>(shape, src.dtype(), {src, astype(idx, uint32, s)},
                                           to_stream(s), axis, extent);
}

}  // namespace tandem
