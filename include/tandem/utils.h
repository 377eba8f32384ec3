// Copyright © 2026 Tandem authors.
#pragma once

#include <string>
#include <vector>

#include "tandem/array.h"

namespace tandem {

/// The shape two shapes broadcast to (NumPy rules); throws "[broadcast_shapes] ..." if they can't.
Shape broadcast_shapes(const Shape& s1, const Shape& s2);
/// The dtype the arrays promote to.
Dtype result_type(const std::vector<array>& arrays);
Dtype result_type(const array& a, const array& b);
/// Map a possibly negative axis into [0, ndim); throws "[op] Invalid axis ..." when out of range.
int normalize_axis(int axis, int ndim, const char* op);
/// "(2,3,4)".
std::string shape_to_string(const Shape& shape);

std::ostream& operator<<(std::ostream& os, const array& a);
std::ostream& operator<<(std::ostream& os, const Shape& s);

/// Print options for arrays (NumPy-like): digits after the decimal point.
void set_printoptions_precision(int precision);

}  // namespace tandem
