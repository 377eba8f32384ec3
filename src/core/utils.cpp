// Copyright © 2026 Tandem authors.
#include "tandem/utils.h"

#include <atomic>
#include <cmath>
#include <limits>
#include <sstream>
#include <variant>

#include "backend/common/dispatch.h"
#include "ops/ops_common.h"
#include "tandem/memory.h"

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

Dtype result_type(const array& a, const array& b, const array& c) {
  return promote_types(promote_types(a.dtype(), b.dtype()), c.dtype());
}

int normalize_axis_index(int axis, int ndim, const std::string& msg_prefix) {
  if (axis < -ndim || axis >= ndim) {
    throw std::invalid_argument(msg_prefix + (msg_prefix.empty() ? "" : " ") + "Axis " +
                                std::to_string(axis) + " is out of bounds for array with " +
                                std::to_string(ndim) + " dimensions.");
  }
  return axis < 0 ? axis + ndim : axis;
}

Stream to_stream(StreamOrDevice s, Device default_) {
  if (std::holds_alternative<std::monostate>(s)) return default_stream(default_);
  return to_stream(s);
}

StreamContext::StreamContext(StreamOrDevice s)
    : prev_device_(default_device()), prev_stream_(default_stream(default_device())) {
  if (std::holds_alternative<std::monostate>(s)) {
    throw std::invalid_argument("[StreamContext] Give a stream or a device, not nothing.");
  }
  Stream st = to_stream(s);
  set_default_device(st.device);
  set_default_stream(st);
}

StreamContext::~StreamContext() {
  set_default_device(prev_device_);
  set_default_stream(prev_stream_);
}

finfo::finfo(Dtype t) : dtype(t) {
  auto set = [this](auto v) {
    using T = decltype(v);
    max = static_cast<double>(std::numeric_limits<T>::max());
    min = -max;
    eps = static_cast<double>(std::numeric_limits<T>::epsilon());
  };
  if (t == float32 || t == complex64) {
    set(float{});
  } else if (t == float64) {
    set(double{});
  } else if (t == float16) {
    max = 65504.0;  // (2 - 2^-10) * 2^15
    min = -max;
    eps = std::ldexp(1.0, -10);
  } else if (t == bfloat16) {
    max = std::ldexp(255.0, 120);  // (2 - 2^-7) * 2^127
    min = -max;
    eps = std::ldexp(1.0, -7);
  } else {
    throw std::invalid_argument("[finfo] dtype " + dtype_name(t) + " is not inexact.");
  }
}

iinfo::iinfo(Dtype t) : dtype(t) {
  const bool integer = dispatch_all(t, [this]<typename T>() {
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      min = static_cast<int64_t>(std::numeric_limits<T>::min());
      max = static_cast<uint64_t>(std::numeric_limits<T>::max());
      return true;
    } else {
      return false;
    }
  });
  if (!integer) {
    throw std::invalid_argument("[iinfo] dtype " + dtype_name(t) + " is not an integer.");
  }
}

namespace {
std::atomic<size_t> wired_limit{0};
}  // namespace

size_t set_wired_limit(size_t limit) {
  return wired_limit.exchange(limit);
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
