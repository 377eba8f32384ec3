// Copyright © 2026 Tandem authors.
// Random ops: everything is built from RandomBits and elementwise math.
#include "tandem/random.h"

#include <cmath>
#include <limits>
#include <mutex>

#include "ops/ops_common.h"
#include "primitives/random.h"
#include "tandem/linalg.h"
#include "tandem/transforms.h"

namespace tandem::random {

using detail::fail;

namespace {

struct GlobalKey {
  std::mutex mu;
  std::optional<array> key;
};
GlobalKey& global_key() {
  static GlobalKey* g = new GlobalKey();  // leaked: arrays may outlive static destruction
  return *g;
}

// The key to use: the given one, or a fresh split of the global key.
array resolve(const std::optional<array>& key, const char* op) {
  if (key) {
    if (key->dtype() != uint32 || key->shape() != Shape{2}) {
      fail(op, "Expected a key of shape (2,) and dtype uint32; got shape " +
                   shape_to_string(key->shape()) + " and dtype " + dtype_name(key->dtype()) + ".");
    }
    return *key;
  }
  auto& g = global_key();
  std::lock_guard<std::mutex> lk(g.mu);
  if (!g.key) g.key = tandem::random::key(0);
  array both = bits({2, 2}, 4, *g.key, Device::cpu);
  auto parts = tandem::split(both, 2, 0, Device::cpu);
  g.key = reshape(parts[0], {2}, Device::cpu);
  eval(*g.key);
  return reshape(parts[1], {2}, Device::cpu);
}

void check_float(Dtype t, const char* op) {
  if (!is_floating_point(t)) {
    fail(op, "Requires a floating-point dtype; got " + dtype_name(t) + ".");
  }
}

// Uniform in [0, 1) with 24 (float) or 32 (float64) random bits.
array unit_uniform(const Shape& shape, Dtype dtype, const array& k, StreamOrDevice s) {
  array b = bits(shape, 4, k, s);
  if (dtype == float64) {
    return multiply(astype(b, float64, s), array(1.0 / 4294967296.0, float64), s);
  }
  array u = multiply(astype(right_shift(b, array(8u, uint32), s), float32, s),
                     array(1.0f / 16777216.0f), s);
  return u;
}

// The largest value of float dtype `t` below each (finite) element of h: one step down in the
// bit pattern read as a signed integer of the same width (+0 steps to the negative subnormal).
array next_below(const array& h, Dtype t, StreamOrDevice s) {
  Dtype it = t.size == 2 ? int16 : (t.size == 4 ? int32 : int64);
  array b = view(h, it, s);
  array one = astype(array(1), it, s), zero = astype(array(0), it, s);
  int64_t neg_tiny = t.size == 2 ? -32767 : (t.size == 4 ? -2147483647 : -9223372036854775807);
  array down =
      where(greater(b, zero, s), subtract(b, one, s),
            where(equal(b, zero, s), astype(array(neg_tiny), it, s), add(b, one, s), s), s);
  return view(down, t, s);
}

}  // namespace

array key(uint64_t seed) {
  return array({static_cast<uint32_t>(seed >> 32), static_cast<uint32_t>(seed)}, uint32);
}

void seed(uint64_t s) {
  auto& g = global_key();
  std::lock_guard<std::mutex> lk(g.mu);
  g.key = key(s);
}

array bits(const Shape& shape, int width, const std::optional<array>& key_in, StreamOrDevice s) {
  if (width != 1 && width != 2 && width != 4) {
    fail("bits", "width must be 1, 2 or 4 bytes; got " + std::to_string(width) + ".");
  }
  for (auto d : shape) {
    if (d < 0) fail("bits", "Negative dimension in shape " + shape_to_string(shape) + ".");
  }
  array k = resolve(key_in, "bits");
  Dtype t = width == 1 ? uint8 : (width == 2 ? uint16 : uint32);
  return detail::make<RandomBits>(shape, t, {k}, to_stream(s), shape, width);
}

array split(const array& key, int num, StreamOrDevice s) {
  if (num < 1) fail("split", "num must be positive; got " + std::to_string(num) + ".");
  return bits({num, 2}, 4, resolve(key, "split"), s);
}

std::pair<array, array> split(const array& key, StreamOrDevice s) {
  array k = random::split(key, 2, s);
  return {reshape(slice(k, {0, 0}, {1, 2}, s), {2}, s),
          reshape(slice(k, {1, 0}, {2, 2}, s), {2}, s)};
}

array uniform(const array& low, const array& high, const Shape& shape, Dtype dtype,
              const std::optional<array>& key, StreamOrDevice s) {
  check_float(dtype, "uniform");
  Shape out;
  try {
    out = broadcast_shapes(broadcast_shapes(low.shape(), high.shape()), shape);
  } catch (const std::invalid_argument&) {
    fail("uniform", "low " + shape_to_string(low.shape()) + ", high " +
                        shape_to_string(high.shape()) + " and shape " + shape_to_string(shape) +
                        " cannot be broadcast.");
  }
  if (out != shape) {
    fail("uniform", "low and high must broadcast to shape " + shape_to_string(shape) + ".");
  }
  Dtype ct = dtype == float64 ? float64 : float32;
  array u = unit_uniform(shape, ct, resolve(key, "uniform"), s);
  array lo = astype(low, ct, s), hi = astype(high, ct, s);
  array v = add(lo, multiply(subtract(hi, lo, s), u, s), s);
  // Rounding (to a narrow dtype, or over a wide range) can reach `high`: keep the interval
  // half-open by stepping such values down to the largest value below `high` (replacing them by
  // `low` would put extra mass there).
  v = astype(v, dtype, s);
  array hd = astype(hi, dtype, s), ld = astype(lo, dtype, s);
  array top = maximum(next_below(hd, dtype, s), ld, s);
  return where(less(v, hd, s), v, broadcast_to(top, shape, s), s);
}

array uniform(const Shape& shape, Dtype dtype, const std::optional<array>& key, StreamOrDevice s) {
  return uniform(array(0.0f), array(1.0f), shape, dtype, key, s);
}
array uniform(const Shape& shape, const std::optional<array>& key, StreamOrDevice s) {
  return uniform(shape, float32, key, s);
}

array normal(const Shape& shape, Dtype dtype, const std::optional<array>& loc,
             const std::optional<array>& scale, const std::optional<array>& key, StreamOrDevice s) {
  check_float(dtype, "normal");
  Dtype ct = dtype == float64 ? float64 : float32;
  // Inverse CDF: sqrt(2) * erfinv(u) with u uniform in (-1, 1).
  double lo = ct == float64 ? std::nextafter(-1.0, 0.0) : std::nextafter(-1.0f, 0.0f);
  array u = uniform(array(lo, ct), array(1.0, ct), shape, ct, key, s);
  array z = multiply(erfinv(u, s), array(std::sqrt(2.0), ct), s);
  if (scale) z = multiply(z, astype(*scale, ct, s), s);
  if (loc) z = add(z, astype(*loc, ct, s), s);
  return astype(z, dtype, s);
}
array normal(const Shape& shape, Dtype dtype, float loc, float scale,
             const std::optional<array>& key, StreamOrDevice s) {
  return normal(shape, dtype, array(loc), array(scale), key, s);
}
array normal(const Shape& shape, float loc, float scale, const std::optional<array>& key,
             StreamOrDevice s) {
  return normal(shape, float32, array(loc), array(scale), key, s);
}
array normal(const Shape& shape, Dtype dtype, const std::optional<array>& key, StreamOrDevice s) {
  return normal(shape, dtype, std::nullopt, std::nullopt, key, s);
}
array normal(const Shape& shape, const std::optional<array>& key, StreamOrDevice s) {
  return normal(shape, float32, std::nullopt, std::nullopt, key, s);
}

array truncated_normal(const array& lower, const array& upper, const Shape& shape, Dtype dtype,
                       const std::optional<array>& key, StreamOrDevice s) {
  check_float(dtype, "truncated_normal");
  Dtype ct = dtype == float64 ? float64 : float32;
  array rt2 = array(std::sqrt(2.0), ct);
  array a = erf(divide(astype(lower, ct, s), rt2, s), s);
  array b = erf(divide(astype(upper, ct, s), rt2, s), s);
  array u = uniform(a, b, shape, ct, key, s);
  array z = multiply(erfinv(u, s), rt2, s);
  z = clip(z, astype(lower, ct, s), astype(upper, ct, s), s);
  return astype(z, dtype, s);
}
array truncated_normal(const array& lower, const array& upper, Dtype dtype,
                       const std::optional<array>& key, StreamOrDevice s) {
  return truncated_normal(lower, upper, broadcast_shapes(lower.shape(), upper.shape()), dtype, key,
                          s);
}

array randint(const array& low, const array& high, const Shape& shape, Dtype dtype,
              const std::optional<array>& key, StreamOrDevice s) {
  if (!is_integral(dtype)) {
    fail("randint", "Requires an integer dtype; got " + dtype_name(dtype) + ".");
  }
  array u = uniform(astype(low, float64, s), astype(high, float64, s), shape, float64, key, s);
  return astype(floor(u, s), dtype, s);
}

array bernoulli(const array& p, const Shape& shape, const std::optional<array>& key,
                StreamOrDevice s) {
  Dtype t = is_floating_point(p.dtype()) ? p.dtype() : float32;
  Shape out;
  try {
    out = broadcast_shapes(p.shape(), shape);
  } catch (const std::invalid_argument&) {
    fail("bernoulli", "p of shape " + shape_to_string(p.shape()) + " does not broadcast to shape " +
                          shape_to_string(shape) + ".");
  }
  if (out != shape) {
    fail("bernoulli", "p of shape " + shape_to_string(p.shape()) + " does not broadcast to shape " +
                          shape_to_string(shape) + ".");
  }
  return less(uniform(shape, t == float64 ? float64 : float32, key, s), astype(p, t, s), s);
}
array bernoulli(const array& p, const std::optional<array>& key, StreamOrDevice s) {
  return bernoulli(p, p.shape(), key, s);
}
array bernoulli(const std::optional<array>& key, StreamOrDevice s) {
  return bernoulli(array(0.5f), Shape{}, key, s);
}

array gumbel(const Shape& shape, Dtype dtype, const std::optional<array>& key, StreamOrDevice s) {
  check_float(dtype, "gumbel");
  Dtype ct = dtype == float64 ? float64 : float32;
  double tiny =
      ct == float64 ? std::numeric_limits<double>::min() : std::numeric_limits<float>::min();
  array u = uniform(array(tiny, ct), array(1.0, ct), shape, ct, key, s);
  return astype(negative(log(negative(log(u, s), s), s), s), dtype, s);
}

array laplace(const Shape& shape, Dtype dtype, float loc, float scale,
              const std::optional<array>& key, StreamOrDevice s) {
  check_float(dtype, "laplace");
  Dtype ct = dtype == float64 ? float64 : float32;
  double lo = ct == float64 ? std::nextafter(-1.0, 0.0) : std::nextafter(-1.0f, 0.0f);
  array u = uniform(array(lo, ct), array(1.0, ct), shape, ct, key, s);
  array v = multiply(sign(u, s), log1p(negative(abs(u, s), s), s), s);
  array out = subtract(array(double(loc), ct), multiply(array(double(scale), ct), v, s), s);
  return astype(out, dtype, s);
}
array laplace(const Shape& shape, float loc, float scale, const std::optional<array>& key,
              StreamOrDevice s) {
  return laplace(shape, float32, loc, scale, key, s);
}
array laplace(const Shape& shape, Dtype dtype, const std::optional<array>& key, StreamOrDevice s) {
  return laplace(shape, dtype, 0.f, 1.f, key, s);
}
array laplace(const Shape& shape, const std::optional<array>& key, StreamOrDevice s) {
  return laplace(shape, float32, 0.f, 1.f, key, s);
}

array categorical(const array& logits, int axis, const Shape& shape,
                  const std::optional<array>& key, StreamOrDevice s) {
  int ax = normalize_axis(axis, logits.ndim(), "categorical");
  Shape rest = logits.shape();
  rest.erase(rest.begin() + ax);
  try {
    if (broadcast_shapes(rest, shape) != shape) throw std::invalid_argument("");
  } catch (const std::invalid_argument&) {
    fail("categorical", "Shape " + shape_to_string(shape) +
                            " is not broadcast-compatible with the logits' shape without the "
                            "sampled axis " +
                            shape_to_string(rest) + ".");
  }
  // Gumbel-max: argmax(logits + g) samples the softmax distribution.
  array l = moveaxis(logits, ax, -1, s);
  Shape gs = shape;
  gs.push_back(logits.shape()[ax]);
  Dtype t = is_floating_point(logits.dtype()) ? logits.dtype() : float32;
  array g = gumbel(gs, t == float64 ? float64 : float32, key, s);
  return argmax(add(l, g, s), -1, false, s);
}
array categorical(const array& logits, int axis, int num_samples, const std::optional<array>& key,
                  StreamOrDevice s) {
  int ax = normalize_axis(axis, logits.ndim(), "categorical");
  if (num_samples < 0) fail("categorical", "num_samples must be non-negative.");
  array l = expand_dims(moveaxis(logits, ax, -1, s), -2, s);  // (..., 1, n)
  Shape gs = l.shape();
  gs[gs.size() - 2] = num_samples;
  Dtype t = is_floating_point(logits.dtype()) ? logits.dtype() : float32;
  array g = gumbel(gs, t == float64 ? float64 : float32, key, s);
  return argmax(add(l, g, s), -1, false, s);
}
array categorical(const array& logits, int axis, const std::optional<array>& key,
                  StreamOrDevice s) {
  int ax = normalize_axis(axis, logits.ndim(), "categorical");
  Shape rest = logits.shape();
  rest.erase(rest.begin() + ax);
  return categorical(logits, axis, rest, key, s);
}

}  // namespace tandem::random

namespace tandem {

std::vector<array> RandomBits::vjp(const std::vector<array>& primals, const std::vector<array>&,
                                   const std::vector<int>&, const std::vector<array>&) {
  return {zeros_like(primals[0], stream())};
}
std::vector<array> RandomBits::jvp(const std::vector<array>&, const std::vector<array>&,
                                   const std::vector<int>&) {
  throw std::invalid_argument("[bits] Random bits have no tangent.");
}
std::pair<std::vector<array>, std::vector<int>> RandomBits::vmap(const std::vector<array>& inputs,
                                                                 const std::vector<int>& axes) {
  // A batch of keys: one draw per key, stacked along a new leading axis.
  Dtype t = width_ == 1 ? uint8 : (width_ == 2 ? uint16 : uint32);
  std::vector<array> draws;
  for (auto& k : unstack(inputs[0], axes[0], stream())) {
    draws.push_back(detail::make<RandomBits>(shape_, t, {k}, stream(), shape_, width_));
  }
  return {{stack(draws, 0, stream())}, {0}};
}

}  // namespace tandem

// ---------------- permutation, multivariate_normal ----------------

namespace tandem::random {

array permutation(int n, const std::optional<array>& key, StreamOrDevice s) {
  if (n < 0) fail("permutation", "n must be non-negative, got " + std::to_string(n) + ".");
  // Sorting random keys orders arange(n) uniformly (up to ties among 2^32 values, which the
  // stable sort breaks deterministically).
  return argsort(bits({n}, 4, resolve(key, "permutation"), s), 0, s);
}

array permutation(const array& x, int axis, const std::optional<array>& key, StreamOrDevice s) {
  int ax = normalize_axis(axis, x.ndim(), "permutation");
  return take(x, permutation(x.shape(ax), key, s), ax, s);
}

array multivariate_normal(const array& mean, const array& cov, const Shape& shape, Dtype dtype,
                          const std::optional<array>& key, StreamOrDevice s) {
  if (dtype != float32 && dtype != float64) {
    fail("multivariate_normal", "dtype must be float32 or float64, got " + dtype_name(dtype) + ".");
  }
  if (mean.ndim() < 1) {
    fail("multivariate_normal",
         "mean must have at least 1 dimension, got shape " + shape_to_string(mean.shape()) + ".");
  }
  if (cov.ndim() < 2 || cov.shape(-1) != cov.shape(-2)) {
    fail("multivariate_normal", "cov must be square matrices (..., n, n), got shape " +
                                    shape_to_string(cov.shape()) + ".");
  }
  int n = mean.shape(-1);
  if (cov.shape(-1) != n) {
    fail("multivariate_normal", "mean of shape " + shape_to_string(mean.shape()) +
                                    " does not match cov of shape " + shape_to_string(cov.shape()) +
                                    ".");
  }
  Shape batch;
  try {
    batch = broadcast_shapes(Shape(mean.shape().begin(), mean.shape().end() - 1),
                             Shape(cov.shape().begin(), cov.shape().end() - 2));
    batch = broadcast_shapes(shape, batch);
  } catch (const std::invalid_argument&) {
    fail("multivariate_normal", "shape " + shape_to_string(shape) + ", mean of shape " +
                                    shape_to_string(mean.shape()) + " and cov of shape " +
                                    shape_to_string(cov.shape()) + " do not broadcast.");
  }
  // cov = U diag(S) V^T = F F^T with F = U diag(sqrt(S)) (U = V for a symmetric PSD matrix), so
  // mean + F z has covariance cov for standard normal z.
  array c = astype(cov, dtype, s);
  auto usv = linalg::svd(c, true, s);
  array f = multiply(usv[0], expand_dims(sqrt(usv[1], s), -2, s), s);  // (..., n, n)
  Shape zs = batch;
  zs.push_back(n);
  array z = normal(zs, dtype, key, s);
  array x = squeeze(matmul(f, expand_dims(z, -1, s), s), -1, s);
  return add(astype(mean, dtype, s), x, s);
}

}  // namespace tandem::random
