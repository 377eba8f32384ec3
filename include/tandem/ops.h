// Copyright © 2026 Tandem authors.
// Graph-building operations. Names, arguments and semantics follow MLX's ops.h; every op takes a
// trailing StreamOrDevice (default: the default stream of the default device). Ops are lazy: they
// check their arguments, compute output shapes and dtypes, and record a node; nothing runs until
// eval(). Bad arguments throw std::invalid_argument whose message starts with "[op_name]".
#pragma once

#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "tandem/array.h"
#include "tandem/stream.h"

namespace tandem {

// ============================== creation ==============================

/// Values from `start` towards `stop` (exclusive) in steps of `step`: ceil((stop-start)/step)
/// elements. Default dtype: float32 for the double overloads, int32 for the int overloads.
array arange(double start, double stop, double step, Dtype dtype, StreamOrDevice s = {});
array arange(double start, double stop, double step, StreamOrDevice s = {});
array arange(double start, double stop, Dtype dtype, StreamOrDevice s = {});
array arange(double start, double stop, StreamOrDevice s = {});
array arange(double stop, Dtype dtype, StreamOrDevice s = {});
array arange(double stop, StreamOrDevice s = {});
array arange(int start, int stop, int step, StreamOrDevice s = {});
array arange(int start, int stop, StreamOrDevice s = {});
array arange(int stop, StreamOrDevice s = {});

/// `num` evenly spaced values from start to stop, both included.
array linspace(double start, double stop, int num = 50, Dtype dtype = float32,
               StreamOrDevice s = {});

/// An array of `shape` filled with `vals` (broadcast to shape), cast to `dtype`.
array full(Shape shape, array vals, Dtype dtype, StreamOrDevice s = {});
array full(Shape shape, array vals, StreamOrDevice s = {});
template <typename T>
array full(Shape shape, T val, Dtype dtype, StreamOrDevice s = {}) {
  return full(std::move(shape), array(val, dtype), dtype, s);
}
template <typename T>
array full(Shape shape, T val, StreamOrDevice s = {}) {
  return full(std::move(shape), array(val), s);
}
array zeros(const Shape& shape, Dtype dtype, StreamOrDevice s = {});
array zeros(const Shape& shape, StreamOrDevice s = {});
array zeros_like(const array& a, StreamOrDevice s = {});
array ones(const Shape& shape, Dtype dtype, StreamOrDevice s = {});
array ones(const Shape& shape, StreamOrDevice s = {});
array ones_like(const array& a, StreamOrDevice s = {});
/// An array of a's shape filled with `vals` (broadcast), in `dtype` (default: a's dtype).
array full_like(const array& a, const array& vals, Dtype dtype, StreamOrDevice s = {});
array full_like(const array& a, const array& vals, StreamOrDevice s = {});
template <typename T>
requires detail::is_element_type_v<T> array full_like(const array& a, T val, Dtype dtype,
                                                      StreamOrDevice s = {}) {
  return full_like(a, array(val, dtype), dtype, s);
}
template <typename T>
requires detail::is_element_type_v<T> array full_like(const array& a, T val,
                                                      StreamOrDevice s = {}) {
  return full_like(a, array(val, a.dtype()), s);
}

/// n×m matrix with ones on diagonal k (k > 0: above the main diagonal).
array eye(int n, int m, int k, Dtype dtype, StreamOrDevice s = {});
array eye(int n, Dtype dtype, StreamOrDevice s = {});
array eye(int n, int m, StreamOrDevice s = {});
array eye(int n, int m, int k, StreamOrDevice s = {});
array eye(int n, StreamOrDevice s = {});
array identity(int n, Dtype dtype, StreamOrDevice s = {});
array identity(int n, StreamOrDevice s = {});
/// n×m matrix with ones at and below diagonal k.
array tri(int n, int m, int k, Dtype type, StreamOrDevice s = {});
array tri(int n, Dtype type, StreamOrDevice s = {});
/// Zero the elements above (tril) / below (triu) diagonal k of the last two axes.
array tril(array x, int k = 0, StreamOrDevice s = {});
array triu(array x, int k = 0, StreamOrDevice s = {});
/// Window functions of length M (float32), as NumPy: M < 1 gives an empty array, M == 1 gives
/// [1]. hanning: 0.5 - 0.5 cos(2 pi n / (M-1)); hamming: 0.54 - 0.46 cos(2 pi n / (M-1));
/// bartlett: 1 - |2n / (M-1) - 1|; blackman: 0.42 - 0.5 cos(2 pi n / (M-1)) +
/// 0.08 cos(4 pi n / (M-1)).
array hanning(int M, StreamOrDevice s = {});
array hamming(int M, StreamOrDevice s = {});
array bartlett(int M, StreamOrDevice s = {});
array blackman(int M, StreamOrDevice s = {});
/// Coordinate grids; indexing "xy" (Cartesian) or "ij" (matrix).
std::vector<array> meshgrid(const std::vector<array>& arrays, bool sparse = false,
                            const std::string& indexing = "xy", StreamOrDevice s = {});

// ============================== types ==============================

/// Convert to `dtype` (C casts; float -> int truncates; to bool is != 0; complex -> real drops
/// the imaginary part).
array astype(array a, Dtype dtype, StreamOrDevice s = {});
/// Reinterpret the bytes as `dtype`. The last axis scales by the ratio of item sizes.
array view(const array& a, const Dtype& dtype, StreamOrDevice s = {});

// ============================== shapes and views ==============================

/// Same elements in a new shape; one extent may be -1 (inferred).
array reshape(const array& a, Shape shape, StreamOrDevice s = {});
array flatten(const array& a, int start_axis, int end_axis = -1, StreamOrDevice s = {});
array flatten(const array& a, StreamOrDevice s = {});
/// Split `axis` into `shape` (one extent may be -1).
array unflatten(const array& a, int axis, Shape shape, StreamOrDevice s = {});
array squeeze(const array& a, const std::vector<int>& axes, StreamOrDevice s = {});
array squeeze(const array& a, int axis, StreamOrDevice s = {});
array squeeze(const array& a, StreamOrDevice s = {});
array expand_dims(const array& a, const std::vector<int>& axes, StreamOrDevice s = {});
array expand_dims(const array& a, int axis, StreamOrDevice s = {});
/// Permute the axes (default: reverse them).
array transpose(const array& a, std::vector<int> axes, StreamOrDevice s = {});
array transpose(const array& a, StreamOrDevice s = {});
array swapaxes(const array& a, int axis1, int axis2, StreamOrDevice s = {});
array moveaxis(const array& a, int source, int destination, StreamOrDevice s = {});
array broadcast_to(const array& a, const Shape& shape, StreamOrDevice s = {});
std::vector<array> broadcast_arrays(const std::vector<array>& inputs, StreamOrDevice s = {});
array atleast_1d(const array& a, StreamOrDevice s = {});
std::vector<array> atleast_1d(const std::vector<array>& a, StreamOrDevice s = {});
array atleast_2d(const array& a, StreamOrDevice s = {});
std::vector<array> atleast_2d(const std::vector<array>& a, StreamOrDevice s = {});
array atleast_3d(const array& a, StreamOrDevice s = {});
std::vector<array> atleast_3d(const std::vector<array>& a, StreamOrDevice s = {});

/// Python-style slice a[start:stop:strides] per axis. Negative starts/stops count from the end and
/// are clamped like Python; strides may be negative (then start defaults should be given
/// explicitly, e.g. start=-1, stop=-n-1).
array slice(const array& a, Shape start, Shape stop, Shape strides, StreamOrDevice s = {});
inline array slice(const array& a, std::initializer_list<int> start, Shape stop, Shape strides,
                   StreamOrDevice s = {}) {
  return slice(a, Shape(start), std::move(stop), std::move(strides), s);
}
array slice(const array& a, Shape start, Shape stop, StreamOrDevice s = {});
/// Dynamic start: a slice of extents `slice_size` (one per axis of `a`) starting, along each of
/// `axes`, at the matching entry of the 1-d integer array `start` (at 0 along the other axes).
/// A negative start counts from the end; starts are then clamped so that the slice fits
/// (0 <= start <= extent - size), as JAX's dynamic_slice.
array slice(const array& a, const array& start, std::vector<int> axes, Shape slice_size,
            StreamOrDevice s = {});
/// A view with arbitrary shape/strides (in elements) and element offset into a's row-major data.
array as_strided(array a, Shape shape, Strides strides, size_t offset, StreamOrDevice s = {});
/// A new row-contiguous array with the same values.
array copy(array a, StreamOrDevice s = {});
/// `a` itself when row-contiguous (or column-contiguous if allow_col_major), else a copy.
array contiguous(const array& a, bool allow_col_major = false, StreamOrDevice s = {});

array concatenate(std::vector<array> arrays, int axis, StreamOrDevice s = {});
array concatenate(std::vector<array> arrays, StreamOrDevice s = {});
array stack(const std::vector<array>& arrays, int axis, StreamOrDevice s = {});
array stack(const std::vector<array>& arrays, StreamOrDevice s = {});
std::vector<array> unstack(const array& a, int axis = 0, StreamOrDevice s = {});
/// Split into `num_splits` equal parts along axis (must divide evenly).
std::vector<array> split(const array& a, int num_splits, int axis, StreamOrDevice s = {});
std::vector<array> split(const array& a, int num_splits, StreamOrDevice s = {});
/// Split before each of `indices` along axis.
std::vector<array> split(const array& a, const Shape& indices, int axis, StreamOrDevice s = {});
std::vector<array> split(const array& a, const Shape& indices, StreamOrDevice s = {});

/// Pad with `pad_value` ("constant") or the edge values ("edge").
array pad(const array& a, const std::vector<int>& axes, const Shape& low_pad_size,
          const Shape& high_pad_size, const array& pad_value = array(0),
          const std::string& mode = "constant", StreamOrDevice s = {});
array pad(const array& a, const std::vector<std::pair<int, int>>& pad_width,
          const array& pad_value = array(0), const std::string& mode = "constant",
          StreamOrDevice s = {});
array pad(const array& a, const std::pair<int, int>& pad_width, const array& pad_value = array(0),
          const std::string& mode = "constant", StreamOrDevice s = {});
array pad(const array& a, int pad_width, const array& pad_value = array(0),
          const std::string& mode = "constant", StreamOrDevice s = {});

array tile(const array& arr, std::vector<int> reps, StreamOrDevice s = {});
/// Repeat each element `repeats` times along axis (flattened when no axis).
array repeat(const array& arr, int repeats, int axis, StreamOrDevice s = {});
array repeat(const array& arr, int repeats, StreamOrDevice s = {});
/// Shift elements cyclically (flattened when no axes).
array roll(const array& a, int shift, StreamOrDevice s = {});
array roll(const array& a, const Shape& shift, StreamOrDevice s = {});
array roll(const array& a, int shift, int axis, StreamOrDevice s = {});
array roll(const array& a, int shift, const std::vector<int>& axes, StreamOrDevice s = {});
array roll(const array& a, const Shape& shift, int axis, StreamOrDevice s = {});
array roll(const array& a, const Shape& shift, const std::vector<int>& axes, StreamOrDevice s = {});
/// Reverse the order of elements along the given axes (all axes when none given).
array flip(const array& a, const std::vector<int>& axes, StreamOrDevice s = {});
array flip(const array& a, int axis, StreamOrDevice s = {});
array flip(const array& a, StreamOrDevice s = {});
/// The diagonal `offset` of the plane (axis1, axis2), moved to the last axis.
array diagonal(const array& a, int offset = 0, int axis1 = 0, int axis2 = 1, StreamOrDevice s = {});
/// 1-d input: a matrix with it on diagonal k. 2-d input: its diagonal k.
array diag(const array& a, int k = 0, StreamOrDevice s = {});
array trace(const array& a, int offset, int axis1, int axis2, Dtype dtype, StreamOrDevice s = {});
array trace(const array& a, int offset, int axis1, int axis2, StreamOrDevice s = {});
array trace(const array& a, StreamOrDevice s = {});

// ============================== unary ==============================

array abs(const array& a, StreamOrDevice s = {});
array negative(const array& a, StreamOrDevice s = {});
array operator-(const array& a);
array sign(const array& a, StreamOrDevice s = {});
array sqrt(const array& a, StreamOrDevice s = {});
array rsqrt(const array& a, StreamOrDevice s = {});
array square(const array& a, StreamOrDevice s = {});
array reciprocal(const array& a, StreamOrDevice s = {});
array exp(const array& a, StreamOrDevice s = {});
array expm1(const array& a, StreamOrDevice s = {});
array log(const array& a, StreamOrDevice s = {});
array log1p(const array& a, StreamOrDevice s = {});
array log2(const array& a, StreamOrDevice s = {});
array log10(const array& a, StreamOrDevice s = {});
array sin(const array& a, StreamOrDevice s = {});
array cos(const array& a, StreamOrDevice s = {});
array tan(const array& a, StreamOrDevice s = {});
array arcsin(const array& a, StreamOrDevice s = {});
array arccos(const array& a, StreamOrDevice s = {});
array arctan(const array& a, StreamOrDevice s = {});
array sinh(const array& a, StreamOrDevice s = {});
array cosh(const array& a, StreamOrDevice s = {});
array tanh(const array& a, StreamOrDevice s = {});
array arcsinh(const array& a, StreamOrDevice s = {});
array arccosh(const array& a, StreamOrDevice s = {});
array arctanh(const array& a, StreamOrDevice s = {});
array sigmoid(const array& a, StreamOrDevice s = {});
array erf(const array& a, StreamOrDevice s = {});
array erfinv(const array& a, StreamOrDevice s = {});
array floor(const array& a, StreamOrDevice s = {});
array ceil(const array& a, StreamOrDevice s = {});
/// Round half to even, to `decimals` decimal places.
array round(const array& a, int decimals, StreamOrDevice s = {});
array round(const array& a, StreamOrDevice s = {});
array trunc(const array& a, StreamOrDevice s = {});
array degrees(const array& a, StreamOrDevice s = {});
array radians(const array& a, StreamOrDevice s = {});
array real(const array& a, StreamOrDevice s = {});
array imag(const array& a, StreamOrDevice s = {});
array conjugate(const array& a, StreamOrDevice s = {});
array logical_not(const array& a, StreamOrDevice s = {});
array operator!(const array& a);
array bitwise_invert(const array& a, StreamOrDevice s = {});
array operator~(const array& a);
array isnan(const array& a, StreamOrDevice s = {});
array isinf(const array& a, StreamOrDevice s = {});
array isfinite(const array& a, StreamOrDevice s = {});
array isposinf(const array& a, StreamOrDevice s = {});
array isneginf(const array& a, StreamOrDevice s = {});
/// Replace NaN with `nan`, +inf with posinf (default: the dtype's max), -inf with neginf
/// (default: the dtype's lowest).
array nan_to_num(const array& a, float nan = 0.0f, const std::optional<float> posinf = std::nullopt,
                 const std::optional<float> neginf = std::nullopt, StreamOrDevice s = {});
/// The identity whose gradient is zero.
array stop_gradient(const array& a, StreamOrDevice s = {});

// ============================== binary (broadcasting, promoting) ==============================

array add(const array& a, const array& b, StreamOrDevice s = {});
array subtract(const array& a, const array& b, StreamOrDevice s = {});
array multiply(const array& a, const array& b, StreamOrDevice s = {});
/// True division: integer inputs give float32.
array divide(const array& a, const array& b, StreamOrDevice s = {});
array floor_divide(const array& a, const array& b, StreamOrDevice s = {});
/// Remainder with the sign of the divisor (Python's %).
array remainder(const array& a, const array& b, StreamOrDevice s = {});
/// {floor_divide(a, b), remainder(a, b)}.
std::vector<array> divmod(const array& a, const array& b, StreamOrDevice s = {});
array power(const array& a, const array& b, StreamOrDevice s = {});
array maximum(const array& a, const array& b, StreamOrDevice s = {});
array minimum(const array& a, const array& b, StreamOrDevice s = {});
array arctan2(const array& a, const array& b, StreamOrDevice s = {});
array logaddexp(const array& a, const array& b, StreamOrDevice s = {});
array equal(const array& a, const array& b, StreamOrDevice s = {});
array not_equal(const array& a, const array& b, StreamOrDevice s = {});
array less(const array& a, const array& b, StreamOrDevice s = {});
array less_equal(const array& a, const array& b, StreamOrDevice s = {});
array greater(const array& a, const array& b, StreamOrDevice s = {});
array greater_equal(const array& a, const array& b, StreamOrDevice s = {});
array logical_and(const array& a, const array& b, StreamOrDevice s = {});
array logical_or(const array& a, const array& b, StreamOrDevice s = {});
array logical_xor(const array& a, const array& b, StreamOrDevice s = {});
array bitwise_and(const array& a, const array& b, StreamOrDevice s = {});
array bitwise_or(const array& a, const array& b, StreamOrDevice s = {});
array bitwise_xor(const array& a, const array& b, StreamOrDevice s = {});
array left_shift(const array& a, const array& b, StreamOrDevice s = {});
array right_shift(const array& a, const array& b, StreamOrDevice s = {});

/// Elementwise choice: x where condition is true, else y (all three broadcast).
array where(const array& condition, const array& x, const array& y, StreamOrDevice s = {});
/// Limit values to [a_min, a_max]; either bound may be absent.
array clip(const array& a, const std::optional<array>& a_min = std::nullopt,
           const std::optional<array>& a_max = std::nullopt, StreamOrDevice s = {});
/// |a - b| <= atol + rtol * |b|, elementwise.
array isclose(const array& a, const array& b, double rtol = 1e-5, double atol = 1e-8,
              bool equal_nan = false, StreamOrDevice s = {});
/// isclose for every element, as a 0-d bool array.
array allclose(const array& a, const array& b, double rtol = 1e-5, double atol = 1e-8,
               bool equal_nan = false, StreamOrDevice s = {});
/// Same shape and equal values, as a 0-d bool array (dtypes may differ).
array array_equal(const array& a, const array& b, bool equal_nan = false, StreamOrDevice s = {});

// Operators with arrays and C++ scalars (a scalar is a 0-d array of its C++ type).
#define TANDEM_BINARY_OPERATOR(OP, FN)               \
  array operator OP(const array& a, const array& b); \
  template <typename T>                              \
  array operator OP(T a, const array& b) {           \
    return FN(array(a), b);                          \
  }                                                  \
  template <typename T>                              \
  array operator OP(const array& a, T b) {           \
    return FN(a, array(b));                          \
  }
TANDEM_BINARY_OPERATOR(+, add)
TANDEM_BINARY_OPERATOR(-, subtract)
TANDEM_BINARY_OPERATOR(*, multiply)
TANDEM_BINARY_OPERATOR(/, divide)
TANDEM_BINARY_OPERATOR(%, remainder)
TANDEM_BINARY_OPERATOR(==, equal)
TANDEM_BINARY_OPERATOR(!=, not_equal)
TANDEM_BINARY_OPERATOR(<, less)
TANDEM_BINARY_OPERATOR(<=, less_equal)
TANDEM_BINARY_OPERATOR(>, greater)
TANDEM_BINARY_OPERATOR(>=, greater_equal)
TANDEM_BINARY_OPERATOR(&&, logical_and)
TANDEM_BINARY_OPERATOR(||, logical_or)
TANDEM_BINARY_OPERATOR(&, bitwise_and)
TANDEM_BINARY_OPERATOR(|, bitwise_or)
TANDEM_BINARY_OPERATOR(^, bitwise_xor)
TANDEM_BINARY_OPERATOR(<<, left_shift)
TANDEM_BINARY_OPERATOR(>>, right_shift)
#undef TANDEM_BINARY_OPERATOR

// ============================== reductions ==============================
// Each reduction comes in four forms, as in MLX: over all axes (keepdims), over all axes, over a
// list of axes, over one axis. Axes may be negative; repeated or out-of-range axes throw.

#define TANDEM_REDUCTION(NAME)                                                    \
  array NAME(const array& a, bool keepdims, StreamOrDevice s = {});               \
  array NAME(const array& a, StreamOrDevice s = {});                              \
  array NAME(const array& a, const std::vector<int>& axes, bool keepdims = false, \
             StreamOrDevice s = {});                                              \
  array NAME(const array& a, int axis, bool keepdims = false, StreamOrDevice s = {});
/// Sum (bool and small integers accumulate as int32/uint32, as MLX).
TANDEM_REDUCTION(sum)
TANDEM_REDUCTION(prod)
/// Mean (integer inputs give float32).
TANDEM_REDUCTION(mean)
TANDEM_REDUCTION(max)
TANDEM_REDUCTION(min)
/// Logical reductions, bool results.
TANDEM_REDUCTION(all)
TANDEM_REDUCTION(any)
/// log(sum(exp(a))) computed stably.
TANDEM_REDUCTION(logsumexp)
/// Number of non-zero elements (uint32).
TANDEM_REDUCTION(count_nonzero)
#undef TANDEM_REDUCTION

/// Variance with `ddof` delta degrees of freedom.
array var(const array& a, bool keepdims, int ddof = 0, StreamOrDevice s = {});
array var(const array& a, StreamOrDevice s = {});
array var(const array& a, const std::vector<int>& axes, bool keepdims = false, int ddof = 0,
          StreamOrDevice s = {});
array var(const array& a, int axis, bool keepdims = false, int ddof = 0, StreamOrDevice s = {});
array std(const array& a, bool keepdims, int ddof = 0, StreamOrDevice s = {});
array std(const array& a, StreamOrDevice s = {});
array std(const array& a, const std::vector<int>& axes, bool keepdims = false, int ddof = 0,
          StreamOrDevice s = {});
array std(const array& a, int axis, bool keepdims = false, int ddof = 0, StreamOrDevice s = {});

/// Index (uint32) of the first maximum/minimum (over the flattened array when no axis).
array argmax(const array& a, bool keepdims, StreamOrDevice s = {});
array argmax(const array& a, StreamOrDevice s = {});
array argmax(const array& a, int axis, bool keepdims = false, StreamOrDevice s = {});
array argmin(const array& a, bool keepdims, StreamOrDevice s = {});
array argmin(const array& a, StreamOrDevice s = {});
array argmin(const array& a, int axis, bool keepdims = false, StreamOrDevice s = {});

/// exp(a - max) / sum(exp(a - max)) over axes. `precise` computes half-precision inputs in
/// float32.
array softmax(const array& a, const std::vector<int>& axes, bool precise = false,
              StreamOrDevice s = {});
array softmax(const array& a, bool precise = false, StreamOrDevice s = {});
array softmax(const array& a, int axis, bool precise = false, StreamOrDevice s = {});

// ============================== indexing ==============================
// Integer indices: negative values count from the end; gathers clamp indices that are still out
// of range, scatters drop updates whose position is out of range.

/// Elements of the flattened `a` at `indices` (output shape: indices' shape).
array take(const array& a, const array& indices, StreamOrDevice s = {});
array take(const array& a, int index, StreamOrDevice s = {});
/// Slices of `a` along axis at `indices`: shape a.shape[:axis] + indices.shape + a.shape[axis+1:].
array take(const array& a, const array& indices, int axis, StreamOrDevice s = {});
array take(const array& a, int index, int axis, StreamOrDevice s = {});
/// out[..., i, ...] = a[..., indices[..., i, ...], ...] along axis (indices broadcast with a).
array take_along_axis(const array& a, const array& indices, int axis, StreamOrDevice s = {});
/// A copy of `a` with values written at `indices` along axis.
array put_along_axis(const array& a, const array& indices, const array& values, int axis,
                     StreamOrDevice s = {});
/// A copy of `a` with `values` added at `indices` along axis (repeated indices accumulate).
array scatter_add_axis(const array& a, const array& indices, const array& values, int axis,
                       StreamOrDevice s = {});
/// General gather (MLX): index arrays for `axes`, broadcast together to shape IS; output shape
/// IS + slice_sizes.
array gather(const array& a, const std::vector<array>& indices, const std::vector<int>& axes,
             const Shape& slice_sizes, StreamOrDevice s = {});
array gather(const array& a, const array& indices, int axis, const Shape& slice_sizes,
             StreamOrDevice s = {});
/// General scatters (MLX): updates have shape IS + (a.ndim slice extents).
array scatter(const array& a, const std::vector<array>& indices, const array& updates,
              const std::vector<int>& axes, StreamOrDevice s = {});
array scatter(const array& a, const array& indices, const array& updates, int axis,
              StreamOrDevice s = {});
array scatter_add(const array& a, const std::vector<array>& indices, const array& updates,
                  const std::vector<int>& axes, StreamOrDevice s = {});
array scatter_add(const array& a, const array& indices, const array& updates, int axis,
                  StreamOrDevice s = {});
array scatter_prod(const array& a, const std::vector<array>& indices, const array& updates,
                   const std::vector<int>& axes, StreamOrDevice s = {});
array scatter_prod(const array& a, const array& indices, const array& updates, int axis,
                   StreamOrDevice s = {});
array scatter_max(const array& a, const std::vector<array>& indices, const array& updates,
                  const std::vector<int>& axes, StreamOrDevice s = {});
array scatter_max(const array& a, const array& indices, const array& updates, int axis,
                  StreamOrDevice s = {});
array scatter_min(const array& a, const std::vector<array>& indices, const array& updates,
                  const std::vector<int>& axes, StreamOrDevice s = {});
array scatter_min(const array& a, const array& indices, const array& updates, int axis,
                  StreamOrDevice s = {});
/// A copy of `src` with src[start:stop:strides] replaced by (or combined with) `update`.
array slice_update(const array& src, const array& update, Shape start, Shape stop, Shape strides,
                   StreamOrDevice s = {});
array slice_update(const array& src, const array& update, Shape start, Shape stop,
                   StreamOrDevice s = {});
/// (Braced starts/stops pick the static form: slice_update(x, u, {0, 1}, {2, 3}).)
inline array slice_update(const array& src, const array& update,
                          std::initializer_list<int32_t> start, std::initializer_list<int32_t> stop,
                          StreamOrDevice s = {}) {
  return slice_update(src, update, Shape(start), Shape(stop), s);
}
/// Dynamic start: `start` is an integer array with one entry per axis in `axes`.
array slice_update(const array& src, const array& update, const array& start, std::vector<int> axes,
                   StreamOrDevice s = {});
array slice_update_add(const array& src, const array& update, Shape start, Shape stop,
                       Shape strides, StreamOrDevice s = {});
array slice_update_prod(const array& src, const array& update, Shape start, Shape stop,
                        Shape strides, StreamOrDevice s = {});
array slice_update_max(const array& src, const array& update, Shape start, Shape stop,
                       Shape strides, StreamOrDevice s = {});
array slice_update_min(const array& src, const array& update, Shape start, Shape stop,
                       Shape strides, StreamOrDevice s = {});
/// Copy of `a` whose positions where mask is true take consecutive values of `src` (row-major).
array masked_scatter(const array& a, const array& mask, const array& src, StreamOrDevice s = {});

// ============================== convolution ==============================
// Channels-last like MLX: input (N, spatial..., C_in), weight (C_out, kernel..., C_in / groups),
// output (N, spatial_out..., C_out). Cross-correlation (flip = false) unless flip is set.

/// General convolution: per spatial axis a stride, low/high padding, kernel dilation and input
/// dilation (empty vectors mean 1 / 0 everywhere).
array conv_general(array input, array weight, std::vector<int> stride = {},
                   std::vector<int> padding_lo = {}, std::vector<int> padding_hi = {},
                   std::vector<int> kernel_dilation = {}, std::vector<int> input_dilation = {},
                   int groups = 1, bool flip = false, StreamOrDevice s = {});
/// Same padding on both sides.
array conv_general(const array& input, const array& weight, std::vector<int> stride,
                   std::vector<int> padding, std::vector<int> kernel_dilation,
                   std::vector<int> input_dilation, int groups = 1, bool flip = false,
                   StreamOrDevice s = {});
array conv1d(const array& input, const array& weight, int stride = 1, int padding = 0,
             int dilation = 1, int groups = 1, StreamOrDevice s = {});
array conv2d(const array& input, const array& weight, const std::pair<int, int>& stride = {1, 1},
             const std::pair<int, int>& padding = {0, 0},
             const std::pair<int, int>& dilation = {1, 1}, int groups = 1, StreamOrDevice s = {});
array conv3d(const array& input, const array& weight,
             const std::tuple<int, int, int>& stride = {1, 1, 1},
             const std::tuple<int, int, int>& padding = {0, 0, 0},
             const std::tuple<int, int, int>& dilation = {1, 1, 1}, int groups = 1,
             StreamOrDevice s = {});
/// Transposed convolutions (the gradient of conv with respect to its input); weight
/// (C_out, kernel..., C_in / groups) as for conv.
array conv_transpose1d(const array& input, const array& weight, int stride = 1, int padding = 0,
                       int dilation = 1, int output_padding = 0, int groups = 1,
                       StreamOrDevice s = {});
array conv_transpose2d(const array& input, const array& weight,
                       const std::pair<int, int>& stride = {1, 1},
                       const std::pair<int, int>& padding = {0, 0},
                       const std::pair<int, int>& dilation = {1, 1},
                       const std::pair<int, int>& output_padding = {0, 0}, int groups = 1,
                       StreamOrDevice s = {});
array conv_transpose3d(const array& input, const array& weight,
                       const std::tuple<int, int, int>& stride = {1, 1, 1},
                       const std::tuple<int, int, int>& padding = {0, 0, 0},
                       const std::tuple<int, int, int>& dilation = {1, 1, 1},
                       const std::tuple<int, int, int>& output_padding = {0, 0, 0}, int groups = 1,
                       StreamOrDevice s = {});

// ============================== matrix products ==============================

/// Matrix product with NumPy semantics: 1-d operands are promoted to matrices (and the added
/// dimension removed), batch dimensions broadcast. Floating-point and complex64 dtypes only.
array matmul(const array& a, const array& b, StreamOrDevice s = {});
/// alpha * (a @ b) + beta * c.
array addmm(array c, array a, array b, const float& alpha = 1.f, const float& beta = 1.f,
            StreamOrDevice s = {});

// ============================== graph utilities ==============================

/// The identity on `inputs`, whose results also depend on `dependencies`: evaluating an output
/// computes every dependency first. Gradients flow to `inputs` only.
std::vector<array> depends(const std::vector<array>& inputs,
                           const std::vector<array>& dependencies);
/// The number of elements along `axes` of `a` (1 for no axes) as a 0-d array of `dtype`, or its
/// reciprocal when `inverted`. A constant: it has no gradient.
array number_of_elements(const array& a, std::vector<int> axes, bool inverted, Dtype dtype = int32,
                         StreamOrDevice s = {});

}  // namespace tandem

#include "tandem/ops_products.h"
#include "tandem/ops_sort_scan.h"
