// Copyright © 2026 Tandem authors.
// Helpers shared by the derivative and batching rules.
#pragma once

#include <optional>

#include "ops/ops_common.h"

namespace tandem::rules {

/// A partial derivative: zero, +1, -1, or an array (broadcast against the tangent).
struct Partial {
  enum Kind { Zero, One, NegOne, Array } kind;
  std::optional<array> value;
  static Partial zero() { return {Zero, std::nullopt}; }
  static Partial one() { return {One, std::nullopt}; }
  static Partial neg_one() { return {NegOne, std::nullopt}; }
  static Partial of(array a) { return {Array, std::move(a)}; }
};

/// p * t (cotangent or tangent); nullopt when p is zero.
inline std::optional<array> apply(const Partial& p, const array& t, const Stream& s) {
  switch (p.kind) {
    case Partial::Zero:
      return std::nullopt;
    case Partial::One:
      return t;
    case Partial::NegOne:
      return negative(t, s);
    case Partial::Array:
      return multiply(t, *p.value, s);
  }
  return std::nullopt;
}

/// The vjp of an elementwise primitive from its partials.
inline std::vector<array> elementwise_vjp(const std::vector<Partial>& partials,
                                          const std::vector<array>& primals, const array& cot,
                                          const std::vector<int>& argnums, const Stream& s) {
  std::vector<array> out;
  for (int a : argnums) {
    auto g = apply(partials[a], cot, s);
    out.push_back(g ? astype(*g, primals[a].dtype(), s) : zeros_like(primals[a], s));
  }
  return out;
}

/// The jvp of an elementwise primitive from its partials.
inline array elementwise_jvp(const std::vector<Partial>& partials,
                             const std::vector<array>& tangents, const std::vector<int>& argnums,
                             const array& like, const Stream& s) {
  std::optional<array> total;
  for (size_t k = 0; k < argnums.size(); ++k) {
    auto t = apply(partials[argnums[k]], tangents[k], s);
    if (!t) continue;
    total = total ? add(*total, *t, s) : *t;
  }
  return total ? astype(*total, like.dtype(), s) : zeros_like(like, s);
}

/// Move a batch axis to the front; unbatched arrays (axis -1) get a new leading axis of extent 1.
inline array batch_to_front(const array& x, int axis, const Stream& s) {
  if (axis < 0) return expand_dims(x, 0, s);
  return axis == 0 ? x : moveaxis(x, axis, 0, s);
}

/// The stored (normalized) stops of a negative-stride slice may be -1, meaning "before index
/// 0"; slice() would read -1 as the last element, so spell it as -n-1 when slicing again.
inline Shape reslice_stops(const Shape& stop, const Shape& strides, const Shape& shape) {
  Shape out = stop;
  for (size_t d = 0; d < out.size(); ++d) {
    if (strides[d] < 0 && out[d] < 0) out[d] = -shape[d] - 1;
  }
  return out;
}

}  // namespace tandem::rules
