// Copyright © 2026 Tandem authors.
#pragma once

#include <string>
#include <vector>

#include "tandem/array.h"
#include "tandem/stream.h"

namespace tandem {

/// The shape two shapes broadcast to (NumPy rules); throws "[broadcast_shapes] ..." if they can't.
Shape broadcast_shapes(const Shape& s1, const Shape& s2);
/// The dtype the arrays promote to.
Dtype result_type(const std::vector<array>& arrays);
Dtype result_type(const array& a, const array& b);
Dtype result_type(const array& a, const array& b, const array& c);
/// Map a possibly negative axis into [0, ndim); throws "[op] Invalid axis ..." when out of range.
int normalize_axis(int axis, int ndim, const char* op);
/// MLX's name for the same check: `axis` in [0, ndim) after wrapping a negative axis; throws
/// std::invalid_argument "<msg_prefix> Axis ... is out of bounds ..." otherwise.
int normalize_axis_index(int axis, int ndim, const std::string& msg_prefix = "");

/// Resolve a StreamOrDevice, using `default_` (its default stream) when none is given.
Stream to_stream(StreamOrDevice s, Device default_);

/// Within its lifetime, makes the given stream (or the device's default stream) the default
/// stream and its device the default device; restores both when destroyed. Needs a stream or a
/// device ("[StreamContext] ..." otherwise).
struct StreamContext {
  explicit StreamContext(StreamOrDevice s);
  ~StreamContext();
  StreamContext(const StreamContext&) = delete;
  StreamContext& operator=(const StreamContext&) = delete;

 private:
  Device prev_device_;
  Stream prev_stream_;
};

/// Limits of a floating-point (or complex: its float32 parts) dtype; throws "[finfo] ..." for
/// other dtypes. min is the lowest finite value (-max), eps the gap between 1 and the next value.
struct finfo {
  explicit finfo(Dtype dtype);
  Dtype dtype;
  double min;
  double max;
  double eps;
};
/// Limits of an integer dtype; throws "[iinfo] ..." for other dtypes.
struct iinfo {
  explicit iinfo(Dtype dtype);
  Dtype dtype;
  int64_t min;
  uint64_t max;
};
/// "(2,3,4)".
std::string shape_to_string(const Shape& shape);

std::ostream& operator<<(std::ostream& os, const array& a);
std::ostream& operator<<(std::ostream& os, const Shape& s);

/// Print options for arrays (NumPy-like): digits after the decimal point.
void set_printoptions_precision(int precision);

}  // namespace tandem
