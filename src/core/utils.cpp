// Copyright © 2026 Tandem authors.
#include "tandem/utils.h"

#include <sstream>

#include "ops/ops_common.h"

namespace tandem {

Shape broadcast_shapes(const Shape& s1, const Shape& s2) {
  size_t n = std::max(s1.size(), s2.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    int a = i < s1.size() ? s1[s1.size() - 1 - i] : 1;
    int b = i < s2.size() ? s2[s2.size() - 1 - i] : 1;
    if (a == b || b == 1) {
      out[n - 1 - i] = a;
    } else if (a == 1) {
      out[n - 1 - i] = b;
    } else {
      throw std::invalid_argument("[broadcast_shapes] Shapes " + shape_to_string(s1) + " and " +
                                  shape_to_string(s2) + " cannot be broadcast.");
    }
  }
  return out;
}

Dtype result_type(const std::vector<array>& arrays) {
  if (arrays.empty()) throw std::invalid_argument("[result_type] No arrays given.");
  Dtype t = arrays[0].dtype();
  for (auto& a : arrays)
    t = promote_types(t, a.dtype());
  return t;
}

Dtype result_type(const array& a, const array& b) {
  return promote_types(a.dtype(), b.dtype());
}

int normalize_axis(int axis, int ndim, const char* op) {
  int a = axis < 0 ? axis + ndim : axis;
  if (a < 0 || a >= ndim) {
    throw std::invalid_argument(std::string("[") + op + "] Invalid axis " + std::to_string(axis) +
                                " for array with " + std::to_string(ndim) + " dimensions.");
  }
  return a;
}

std::string shape_to_string(const Shape& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    s += std::to_string(shape[i]);
    if (i + 1 < shape.size()) s += ",";
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

std::ostream& operator<<(std::ostream& os, const Shape& s) {
  return os << shape_to_string(s);
}

namespace detail {

std::vector<int> normalize_axes(const std::vector<int>& axes, int ndim, const char* op) {
  std::vector<int> out;
  std::vector<bool> seen(ndim, false);
  for (int ax : axes) {
    int a = normalize_axis(ax, ndim, op);
    if (seen[a]) fail(op, "Duplicate axis " + std::to_string(ax) + " in axes.");
    seen[a] = true;
    out.push_back(a);
  }
  return out;
}

}  // namespace detail

}  // namespace tandem
