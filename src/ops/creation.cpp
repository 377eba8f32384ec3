// Copyright © 2026 Tandem authors.
// Array creation ops.
#include <cmath>

#include "ops/ops_common.h"

namespace tandem {

using detail::fail;

bool Arange::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const Arange*>(&other);
  return o && o->start_ == start_ && o->stop_ == stop_ && o->step_ == step_;
}

array arange(double start, double stop, double step, Dtype dtype, StreamOrDevice s) {
  if (dtype == bool_) fail("arange", "Cannot make a range of bool.");
  if (dtype == complex64) fail("arange", "Cannot make a range of complex64.");
  if (std::isnan(start) || std::isnan(stop) || std::isnan(step)) {
    fail("arange", "start, stop and step must not be NaN.");
  }
  if (std::isinf(start) || std::isinf(stop)) fail("arange", "Cannot make an infinite range.");
  if (step == 0) fail("arange", "step must be non-zero.");
  if (std::isinf(step)) {
    // One element (start) when the step points from start towards stop, else none (MLX, NumPy).
    // The kernel's start + i * step would give NaN for i = 0.
    bool one = (step > 0 && start < stop) || (step < 0 && start > stop);
    return one ? full({1}, array(start, float64), dtype, s) : zeros({0}, dtype, s);
  }
  double n = std::ceil((stop - start) / step);
  if (n > static_cast<double>(std::numeric_limits<int32_t>::max())) {
    fail("arange", "Maximum size exceeded: " + std::to_string(n) + " elements.");
  }
  int32_t size = n > 0 ? static_cast<int32_t>(n) : 0;
  return detail::make<Arange>({size}, dtype, {}, to_stream(s), start, stop, step);
}
array arange(double start, double stop, double step, StreamOrDevice s) {
  return arange(start, stop, step, float32, s);
}
array arange(double start, double stop, Dtype dtype, StreamOrDevice s) {
  return arange(start, stop, 1.0, dtype, s);
}
array arange(double start, double stop, StreamOrDevice s) {
  return arange(start, stop, 1.0, float32, s);
}
array arange(double stop, Dtype dtype, StreamOrDevice s) {
  return arange(0.0, stop, 1.0, dtype, s);
}
array arange(double stop, StreamOrDevice s) {
  return arange(0.0, stop, 1.0, float32, s);
}
array arange(int start, int stop, int step, StreamOrDevice s) {
  return arange(double(start), double(stop), double(step), int32, s);
}
array arange(int start, int stop, StreamOrDevice s) {
  return arange(double(start), double(stop), 1.0, int32, s);
}
array arange(int stop, StreamOrDevice s) {
  return arange(0.0, double(stop), 1.0, int32, s);
}

array linspace(double start, double stop, int num, Dtype dtype, StreamOrDevice s) {
  if (num < 0) fail("linspace", "num must be non-negative; got " + std::to_string(num) + ".");
  if (num == 1) return astype(array({start}, float64), dtype, s);
  double step = num > 1 ? (stop - start) / (num - 1) : 0.0;
  // start + i * step in float64, then cast; the last value is exactly `stop`.
  array idx = arange(0.0, double(num), 1.0, float64, s);
  array vals = add(multiply(idx, array(step, float64), s), array(start, float64), s);
  if (num > 1) {
    vals = where(equal(idx, array(double(num - 1), float64), s), array(stop, float64), vals, s);
  }
  return astype(vals, dtype, s);
}

array full(Shape shape, array vals, Dtype dtype, StreamOrDevice s) {
  for (auto d : shape) {
    if (d < 0) fail("full", "Negative dimension in shape " + shape_to_string(shape) + ".");
  }
  return copy(broadcast_to(astype(std::move(vals), dtype, s), shape, s), s);
}
array full(Shape shape, array vals, StreamOrDevice s) {
  Dtype t = vals.dtype();
  return full(std::move(shape), std::move(vals), t, s);
}
array zeros(const Shape& shape, Dtype dtype, StreamOrDevice s) {
  return full(shape, array(0, dtype), dtype, s);
}
array zeros(const Shape& shape, StreamOrDevice s) {
  return zeros(shape, float32, s);
}
array zeros_like(const array& a, StreamOrDevice s) {
  return zeros(a.shape(), a.dtype(), s);
}
array ones(const Shape& shape, Dtype dtype, StreamOrDevice s) {
  return full(shape, array(1, dtype), dtype, s);
}
array ones(const Shape& shape, StreamOrDevice s) {
  return ones(shape, float32, s);
}
array ones_like(const array& a, StreamOrDevice s) {
  return ones(a.shape(), a.dtype(), s);
}
array full_like(const array& a, const array& vals, Dtype dtype, StreamOrDevice s) {
  return full(a.shape(), vals, dtype, s);
}
array full_like(const array& a, const array& vals, StreamOrDevice s) {
  return full(a.shape(), vals, a.dtype(), s);
}

// ---------------- window functions (NumPy's definitions) ----------------

namespace {
/// sum_k coeffs[k] * cos(2 pi k n / (M - 1)) for n in [0, M), float32; NumPy's edge cases.
array cosine_window(int M, const std::vector<double>& coeffs, StreamOrDevice s) {
  if (M < 1) return zeros({0}, float32, s);
  if (M == 1) return ones({1}, float32, s);
  array n = arange(0.0, static_cast<double>(M), float32, s);
  array phase = multiply(n, array(2.0 * M_PI / (M - 1), float32), s);
  array out = full({M}, array(coeffs[0], float32), float32, s);
  for (size_t k = 1; k < coeffs.size(); ++k) {
    array term = cos(multiply(phase, array(static_cast<double>(k), float32), s), s);
    out = add(out, multiply(array(coeffs[k], float32), term, s), s);
  }
  return out;
}
}  // namespace

array hanning(int M, StreamOrDevice s) {
  return cosine_window(M, {0.5, -0.5}, s);
}
array hamming(int M, StreamOrDevice s) {
  return cosine_window(M, {0.54, -0.46}, s);
}
array blackman(int M, StreamOrDevice s) {
  return cosine_window(M, {0.42, -0.5, 0.08}, s);
}
array bartlett(int M, StreamOrDevice s) {
  if (M < 1) return zeros({0}, float32, s);
  if (M == 1) return ones({1}, float32, s);
  array n = arange(0.0, static_cast<double>(M), float32, s);
  array r = subtract(multiply(n, array(2.0 / (M - 1), float32), s), array(1.0f), s);
  return subtract(array(1.0f), abs(r, s), s);
}

array number_of_elements(const array& a, std::vector<int> axes, bool inverted, Dtype dtype,
                         StreamOrDevice s) {
  auto ax = detail::normalize_axes(axes, a.ndim(), "number_of_elements");
  double n = 1;
  for (int d : ax)
    n *= a.shape()[d];
  if (inverted) {
    if (n == 0) fail("number_of_elements", "Cannot invert a count of zero elements.");
    n = 1.0 / n;
  }
  return astype(array(n, float64), dtype, s);
}

array eye(int n, int m, int k, Dtype dtype, StreamOrDevice s) {
  if (n < 0 || m < 0) {
    fail("eye", "n and m must be non-negative; got " + std::to_string(n) + " and " +
                    std::to_string(m) + ".");
  }
  array rows = reshape(arange(0, n, s), {n, 1}, s);
  array cols = reshape(arange(0, m, s), {1, m}, s);
  return astype(equal(add(rows, array(k), s), cols, s), dtype, s);
}
array eye(int n, Dtype dtype, StreamOrDevice s) {
  return eye(n, n, 0, dtype, s);
}
array eye(int n, int m, StreamOrDevice s) {
  return eye(n, m, 0, float32, s);
}
array eye(int n, int m, int k, StreamOrDevice s) {
  return eye(n, m, k, float32, s);
}
array eye(int n, StreamOrDevice s) {
  return eye(n, n, 0, float32, s);
}
array identity(int n, Dtype dtype, StreamOrDevice s) {
  return eye(n, n, 0, dtype, s);
}
array identity(int n, StreamOrDevice s) {
  return eye(n, n, 0, float32, s);
}

array tri(int n, int m, int k, Dtype type, StreamOrDevice s) {
  if (n < 0 || m < 0) {
    fail("tri", "n and m must be non-negative; got " + std::to_string(n) + " and " +
                    std::to_string(m) + ".");
  }
  array rows = reshape(arange(0, n, s), {n, 1}, s);
  array cols = reshape(arange(0, m, s), {1, m}, s);
  return astype(greater_equal(add(rows, array(k), s), cols, s), type, s);
}
array tri(int n, Dtype type, StreamOrDevice s) {
  return tri(n, n, 0, type, s);
}

array tril(array x, int k, StreamOrDevice s) {
  if (x.ndim() < 2)
    fail("tril", "Requires at least 2 dimensions; got shape " + shape_to_string(x.shape()) + ".");
  array mask = tri(x.shape(-2), x.shape(-1), k, bool_, s);
  return where(mask, x, zeros({}, x.dtype(), s), s);
}
array triu(array x, int k, StreamOrDevice s) {
  if (x.ndim() < 2)
    fail("triu", "Requires at least 2 dimensions; got shape " + shape_to_string(x.shape()) + ".");
  array mask = tri(x.shape(-2), x.shape(-1), k - 1, bool_, s);
  return where(mask, zeros({}, x.dtype(), s), x, s);
}

std::vector<array> meshgrid(const std::vector<array>& arrays, bool sparse,
                            const std::string& indexing, StreamOrDevice s) {
  if (indexing != "xy" && indexing != "ij") {
    fail("meshgrid", "indexing must be 'xy' or 'ij'; got '" + indexing + "'.");
  }
  int n = static_cast<int>(arrays.size());
  // Inputs of any shape are flattened (MLX, NumPy).
  std::vector<array> out;
  Shape full_shape;
  for (int i = 0; i < n; ++i)
    full_shape.push_back(arrays[i].size());
  if (indexing == "xy" && n >= 2) std::swap(full_shape[0], full_shape[1]);
  for (int i = 0; i < n; ++i) {
    Shape shape(n, 1);
    int pos = i;
    if (indexing == "xy" && n >= 2 && i < 2) pos = 1 - i;
    shape[pos] = arrays[i].size();
    array r = reshape(arrays[i], shape, s);
    out.push_back(sparse ? r : broadcast_to(r, full_shape, s));
  }
  return out;
}

}  // namespace tandem
