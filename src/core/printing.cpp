// Copyright © 2026 Tandem authors.
// NumPy-like printing: array([[1, 2],
//                             [3, 4]], dtype=int32)
// Arrays with more than 1000 elements show the first and last 3 entries of each axis.
#include <cmath>
#include <iomanip>
#include <sstream>

#include "tandem/ops.h"
#include "tandem/utils.h"

namespace tandem {

namespace {

int g_precision = 6;

std::string format_value(double v, bool is_float) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  std::ostringstream os;
  if (is_float) {
    os << std::setprecision(g_precision) << v;
    std::string s = os.str();
    // Keep a decimal point on whole floats like NumPy ("1." -> "1")? MLX prints "1": keep as is.
    return s;
  }
  os << static_cast<long long>(v);
  return os.str();
}

struct Printer {
  const std::vector<std::string>& cells;
  const Shape& shape;
  bool summarize;
  size_t width;

  // Index of element (row-major) given multi-index.
  void print(std::ostream& os, int dim, size_t base, int indent) const {
    if (shape.empty()) {
      os << cells[0];
      return;
    }
    int n = shape[dim];
    size_t stride = 1;
    for (size_t d = dim + 1; d < shape.size(); ++d)
      stride *= shape[d];
    os << "[";
    bool last_dim = dim + 1 == static_cast<int>(shape.size());
    auto emit = [&](int i, bool first) {
      if (!first) {
        if (last_dim) {
          os << ", ";
        } else {
          os << ",";
          for (size_t k = 0; k + dim + 1 < shape.size(); ++k)
            os << "\n";
          os << std::string(indent + 1, ' ');
        }
      }
      if (last_dim) {
        const std::string& c = cells[base + i * stride];
        os << std::string(width > c.size() ? width - c.size() : 0, ' ') << c;
      } else {
        print(os, dim + 1, base + i * stride, indent + 1);
      }
    };
    if (summarize && n > 6) {
      for (int i = 0; i < 3; ++i)
        emit(i, i == 0);
      os << (last_dim ? ", ..." : ",\n" + std::string(indent + 1, ' ') + "...");
      for (int i = n - 3; i < n; ++i)
        emit(i, false);
    } else {
      for (int i = 0; i < n; ++i)
        emit(i, i == 0);
    }
    os << "]";
  }
};

}  // namespace

void set_printoptions_precision(int precision) {
  g_precision = std::max(1, precision);
}

std::ostream& operator<<(std::ostream& os, const array& a_in) {
  array a = a_in;
  a.eval();
  std::vector<std::string> cells;
  Dtype t = a.dtype();
  if (t == complex64) {
    auto v = a.to_vector<complex64_t>();
    for (auto& c : v) {
      std::ostringstream s;
      s << format_value(c.real(), true) << (c.imag() < 0 || std::signbit(c.imag()) ? "-" : "+")
        << format_value(std::abs(c.imag()), true) << "j";
      cells.push_back(s.str());
    }
  } else if (t == bool_) {
    for (bool b : a.to_vector<bool>())
      cells.push_back(b ? "true" : "false");
  } else if (t == uint64) {
    for (auto v : a.to_vector<uint64_t>())
      cells.push_back(std::to_string(v));
  } else if (t == int64) {
    for (auto v : a.to_vector<int64_t>())
      cells.push_back(std::to_string(v));
  } else {
    bool fl = is_floating_point(t);
    for (double v : a.to_vector<double>())
      cells.push_back(format_value(v, fl));
  }
  size_t width = 0;
  for (auto& c : cells)
    width = std::max(width, c.size());
  os << "array(";
  if (a.size() == 0) {
    os << "[]";
    if (a.ndim() > 1) os << ", shape=" << shape_to_string(a.shape());
  } else {
    Printer p{cells, a.shape(), a.size() > 1000, a.ndim() == 0 ? 0 : width};
    p.print(os, 0, 0, 6);
  }
  os << ", dtype=" << dtype_name(t) << ")";
  return os;
}

}  // namespace tandem
