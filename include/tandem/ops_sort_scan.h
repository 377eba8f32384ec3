// Copyright © 2026 Tandem authors.
// Sorting, selection and scan ops (part of ops.h; included from it). Names, arguments and
// semantics follow MLX (NumPy where MLX is silent).
//
// Ordering used by every op here (sort, argsort, partition, argpartition, topk, searchsorted,
// median): ascending, with NaN after every number (NumPy's rule; NaNs keep their relative order in
// the stable sorts). Booleans order false < true. float16/bfloat16 compare as float.
// complex64 orders lexicographically (real part, then imaginary part) as NumPy does, with values
// that have a NaN part last (R+Rj < R+NaNj < NaN+Rj < NaN+NaNj). Index outputs are uint32, as
// MLX's argsort/argmax.
#pragma once

#include <string>
#include <vector>

#include "tandem/array.h"
#include "tandem/stream.h"

namespace tandem {

// ============================== sorting and selection ==============================

/// A sorted copy of the flattened array (1-d result).
array sort(const array& a, StreamOrDevice s = {});
/// A copy of `a` sorted along `axis` (stable). A 0-d input has no axis to sort: invalid axis.
array sort(const array& a, int axis, StreamOrDevice s = {});

/// uint32 indices that sort the flattened array (stable: equal keys keep their order).
array argsort(const array& a, StreamOrDevice s = {});
/// uint32 indices that sort `a` along `axis` (stable).
array argsort(const array& a, int axis, StreamOrDevice s = {});

/// A copy of the flattened array rearranged so that the element at position `kth` is the one a
/// sort would put there, elements before it are <= it and elements after it are >= it (in no
/// particular order). `kth` may be negative (counts from the end); it must name a position.
array partition(const array& a, int kth, StreamOrDevice s = {});
array partition(const array& a, int kth, int axis, StreamOrDevice s = {});

/// uint32 indices that partition `a` (see partition); `a` gathered with them equals
/// partition(a, kth, axis).
array argpartition(const array& a, int kth, StreamOrDevice s = {});
array argpartition(const array& a, int kth, int axis, StreamOrDevice s = {});

/// The `k` largest elements of the flattened array / along `axis` (0 <= k <= extent). MLX only
/// promises the set of elements; Tandem returns them in ascending order (the last one is the
/// largest), also when k equals the extent. NaNs count as the largest values.
array topk(const array& a, int k, StreamOrDevice s = {});
array topk(const array& a, int k, int axis, StreamOrDevice s = {});

/// NumPy's searchsorted: for each element of `v`, the index at which it would be inserted into the
/// sorted 1-d array `a` to keep it sorted. side "left": the first suitable index (a[i-1] < v <=
/// a[i]); "right": the last (a[i-1] <= v < a[i]). `a` and `v` are compared in their promoted dtype
/// with the ordering above (NaN last). Output: uint32 (like argsort; NumPy returns int64) with the
/// shape of `v`. `a` is not checked for being sorted.
array searchsorted(const array& a, const array& v, const std::string& side = "left",
                   StreamOrDevice s = {});

// ============================== scans ==============================
// out[i] = op over a[0..i] along `axis` (inclusive) or a[0..i-1] (exclusive: the first output is
// the identity: 0, 1, the dtype's lowest/highest value (-inf/+inf for floats), -inf). reverse runs
// from the end (out[i] = op over a[i..n-1], or a[i+1..n-1] when exclusive). Without an axis the
// array is flattened first. A 0-d input has no axis: invalid axis.

/// Cumulative sum. bool inputs give int32 (as MLX); other integers accumulate in their own dtype
/// (wrapping on overflow); float16/bfloat16 accumulate in float32.
array cumsum(const array& a, bool reverse = false, bool inclusive = true, StreamOrDevice s = {});
array cumsum(const array& a, int axis, bool reverse = false, bool inclusive = true,
             StreamOrDevice s = {});
/// Cumulative product (same dtype as the input; bool is a running logical and).
array cumprod(const array& a, bool reverse = false, bool inclusive = true, StreamOrDevice s = {});
array cumprod(const array& a, int axis, bool reverse = false, bool inclusive = true,
              StreamOrDevice s = {});
/// Cumulative maximum (NaN propagates: every output from the first NaN on is NaN, as
/// np.maximum.accumulate). complex64 compares lexicographically.
array cummax(const array& a, bool reverse = false, bool inclusive = true, StreamOrDevice s = {});
array cummax(const array& a, int axis, bool reverse = false, bool inclusive = true,
             StreamOrDevice s = {});
/// Cumulative minimum (NaN propagates).
array cummin(const array& a, bool reverse = false, bool inclusive = true, StreamOrDevice s = {});
array cummin(const array& a, int axis, bool reverse = false, bool inclusive = true,
             StreamOrDevice s = {});
/// log(cumsum(exp(a))) computed stably. Integer and bool inputs give float32; complex64 is not
/// supported.
array logcumsumexp(const array& a, bool reverse = false, bool inclusive = true,
                   StreamOrDevice s = {});
array logcumsumexp(const array& a, int axis, bool reverse = false, bool inclusive = true,
                   StreamOrDevice s = {});

/// NumPy's diff: the n-th discrete difference along `axis`, out[i] = a[i+1] - a[i] applied n
/// times (the axis shrinks by n, to 0 at least). n = 0 returns `a`. bool inputs use not_equal, as
/// NumPy. Requires at least one dimension and n >= 0.
array diff(const array& a, int n = 1, int axis = -1, StreamOrDevice s = {});

// ============================== median ==============================
// The middle value of the sorted elements over the axes (the mean of the two middle values when
// their number is even), as NumPy. Integer and bool inputs give float32; a slice holding a NaN
// gives NaN; an empty slice gives NaN. complex64 is not supported. Computed with a partition
// (linear time), so gradients flow to the middle element(s).

array median(const array& a, bool keepdims, StreamOrDevice s = {});
array median(const array& a, StreamOrDevice s = {});
array median(const array& a, const std::vector<int>& axes, bool keepdims = false,
             StreamOrDevice s = {});
array median(const array& a, int axis, bool keepdims = false, StreamOrDevice s = {});

}  // namespace tandem
