// Copyright © 2026 Tandem authors.
// Helpers shared by the op functions.
#pragma once

#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>

#include "core/pool.h"
#include "primitives/primitives.h"
#include "tandem/ops.h"
#include "tandem/utils.h"

namespace tandem::detail {

/// float32 for integer and bool dtypes, the dtype itself for inexact ones.
inline Dtype at_least_float(Dtype t) {
  return is_inexact(t) ? t : float32;
}

/// "[op] message" as std::invalid_argument.
[[noreturn]] inline void fail(const char* op, const std::string& msg) {
  throw std::invalid_argument(std::string("[") + op + "] " + msg);
}

/// Normalise and validate a list of axes: negative axes wrap, repeats and out-of-range throw.
std::vector<int> normalize_axes(const std::vector<int>& axes, int ndim, const char* op);

/// Normalize Python-style slice bounds in place (negative starts/stops wrap and clamp; a stop of
/// -1 with a negative stride means "before index 0") and return the sliced shape. Throws
/// "[op] ..." on a zero stride or mismatched lengths.
Shape normalize_slice(const Shape& shape, Shape& start, Shape& stop, const Shape& strides,
                      const char* op);

/// A lazy array computed by a single-output primitive.
template <typename P, typename... Args>
array make(Shape shape, Dtype dtype, std::vector<array> inputs, Stream s, Args&&... args) {
  // Primitives come from the graph's small-object pool (core/pool.h), as nodes do.
  return array(std::move(shape), dtype,
               std::allocate_shared<P>(PoolAllocator<P>{}, s, std::forward<Args>(args)...),
               std::move(inputs));
}

}  // namespace tandem::detail
