// Copyright © 2026 Tandem authors.
// Elementwise binary math as small functors over the compute type (see unary_ops.h).
#pragma once

#include <cmath>
#include <complex>
#include <type_traits>

#include "backend/common/cast.h"
#include "backend/common/wrapping.h"

namespace tandem::ops {

// Functions that also take complex numbers are called unqualified: these declarations find the
// real overloads, and argument-dependent lookup finds the complex ones of whichever complex type
// the caller computes in (std::complex on the CPU, cuda::std::complex in CUDA kernels). Every
// functor is TANDEM_HD so the CUDA kernels share these definitions (DESIGN §9).
using std::abs;
using std::acos;
using std::acosh;
using std::asin;
using std::asinh;
using std::atan;
using std::atanh;
using std::conj;
using std::cos;
using std::cosh;
using std::exp;
using std::log;
using std::log10;
using std::pow;
using std::sin;
using std::sinh;
using std::sqrt;
using std::tan;
using std::tanh;

template <typename T>
inline constexpr bool is_fp_v = std::is_floating_point_v<T>;

struct Add {
  template <typename T>
  TANDEM_HD T operator()(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>)
      return a || b;
    else if constexpr (std::is_integral_v<T>)
      return wrap_add(a, b);
    else
      return static_cast<T>(a + b);
  }
};
struct Subtract {
  template <typename T>
  TANDEM_HD T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>)
      return wrap_sub(a, b);
    else
      return static_cast<T>(a - b);
  }
};
struct Multiply {
  template <typename T>
  TANDEM_HD T operator()(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>)
      return a && b;
    else if constexpr (std::is_integral_v<T>)
      return wrap_mul(a, b);
    else
      return static_cast<T>(a * b);
  }
};
struct Divide {
  template <typename T>
  TANDEM_HD T operator()(T a, T b) const {
    return a / b;
  }
};
struct FloorDivide {
  template <typename T>
  TANDEM_HD T operator()(T a, T b) const {
    if constexpr (is_fp_v<T>) {
      return std::floor(a / b);
    } else if constexpr (std::is_signed_v<T>) {
      if (b == 0) return T(0);
      // The most negative value over -1 overflows (and traps on x86): wrap like NumPy.
      using U = std::make_unsigned_t<T>;
      if (b == T(-1)) return static_cast<T>(U(0) - static_cast<U>(a));
      T q = a / b;
      if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
      return q;
    } else {
      return b == 0 ? T(0) : static_cast<T>(a / b);
    }
  }
};
struct Remainder {  // sign of the divisor, like Python
  template <typename T>
  TANDEM_HD T operator()(T a, T b) const {
    if constexpr (is_fp_v<T>) {
      T r = std::fmod(a, b);
      if (r != 0 && ((r < 0) != (b < 0))) r += b;
      return r;
    } else if constexpr (std::is_signed_v<T>) {
      if (b == 0 || b == T(-1)) return T(0);  // x % -1 is 0; INT_MIN % -1 would trap
      T r = a % b;
      if (r != 0 && ((r < 0) != (b < 0))) r += b;
      return r;
    } else {
      return b == 0 ? T(0) : static_cast<T>(a % b);
    }
  }
};
struct Power {
  template <typename T>
  TANDEM_HD T operator()(T base, T exp) const {
    if constexpr (std::is_integral_v<T>) {
      if constexpr (std::is_signed_v<T>) {
        if (exp < 0) return T(base == 1 ? 1 : (base == -1 ? ((exp & 1) ? -1 : 1) : 0));
      }
      T res = 1;
      while (exp) {
        if (exp & 1) res = wrap_mul(res, base);
        exp >>= 1;
        base = wrap_mul(base, base);
      }
      return res;
    } else {
      return pow(base, exp);
    }
  }
};
struct Maximum {
  template <typename T>
  TANDEM_HD T operator()(T a, T b) const {
    if constexpr (is_fp_v<T>) {
      if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<T>::quiet_NaN();
    }
    if constexpr (is_complex_type<T>::value) {
      return (a.real() > b.real() || (a.real() == b.real() && a.imag() > b.imag())) ? a : b;
    } else {
      return a > b ? a : b;
    }
  }
};
struct Minimum {
  template <typename T>
  TANDEM_HD T operator()(T a, T b) const {
    if constexpr (is_fp_v<T>) {
      if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<T>::quiet_NaN();
    }
    if constexpr (is_complex_type<T>::value) {
      return (a.real() < b.real() || (a.real() == b.real() && a.imag() < b.imag())) ? a : b;
    } else {
      return a < b ? a : b;
    }
  }
};
struct ArcTan2 {
  template <typename T>
  TANDEM_HD T operator()(T a, T b) const {
    return std::atan2(a, b);
  }
};
struct LogAddExp {
  template <typename T>
  TANDEM_HD T operator()(T a, T b) const {
    if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<T>::quiet_NaN();
    T m = a > b ? a : b;
    if (std::isinf(m) && m < 0) return m;  // both -inf
    if (std::isinf(m)) return m;
    return m + std::log1p(exp(-abs(a - b)));
  }
};

// Comparisons: compare in the compute type, return bool.
#define TANDEM_CMP(NAME, EXPR)                  \
  struct NAME {                                 \
    template <typename T>                       \
    TANDEM_HD bool operator()(T a, T b) const { \
      return EXPR;                              \
    }                                           \
  };
TANDEM_CMP(Equal, a == b)
TANDEM_CMP(NotEqual, a != b)
TANDEM_CMP(LogicalAnd, cast_value<bool>(a) && cast_value<bool>(b))
TANDEM_CMP(LogicalOr, cast_value<bool>(a) || cast_value<bool>(b))
TANDEM_CMP(LogicalXor, cast_value<bool>(a) != cast_value<bool>(b))
#undef TANDEM_CMP

// Ordering of complex numbers is lexicographic (real, then imaginary), as MLX.
template <typename T>
TANDEM_HD inline bool lt(T a, T b) {
  if constexpr (is_complex_type<T>::value) {
    return a.real() < b.real() || (a.real() == b.real() && a.imag() < b.imag());
  } else {
    return a < b;
  }
}
struct Less {
  template <typename T>
  TANDEM_HD bool operator()(T a, T b) const {
    return lt(a, b);
  }
};
struct LessEqual {
  template <typename T>
  TANDEM_HD bool operator()(T a, T b) const {
    return lt(a, b) || a == b;
  }
};
struct Greater {
  template <typename T>
  TANDEM_HD bool operator()(T a, T b) const {
    return lt(b, a);
  }
};
struct GreaterEqual {
  template <typename T>
  TANDEM_HD bool operator()(T a, T b) const {
    return lt(b, a) || a == b;
  }
};
struct NaNEqual {
  template <typename T>
  TANDEM_HD bool operator()(T a, T b) const {
    if constexpr (is_fp_v<T>) {
      return a == b || (std::isnan(a) && std::isnan(b));
    } else if constexpr (is_complex_type<T>::value) {
      auto nan = [](T x) { return std::isnan(x.real()) || std::isnan(x.imag()); };
      return a == b || (nan(a) && nan(b));
    } else {
      return a == b;
    }
  }
};

struct BitwiseAnd {
  template <typename T>
  TANDEM_HD T operator()(T a, T b) const {
    return static_cast<T>(a & b);
  }
};
struct BitwiseOr {
  template <typename T>
  TANDEM_HD T operator()(T a, T b) const {
    return static_cast<T>(a | b);
  }
};
struct BitwiseXor {
  template <typename T>
  TANDEM_HD T operator()(T a, T b) const {
    return static_cast<T>(a ^ b);
  }
};
// Shifts by >= the bit width give 0 (left) or the sign fill (right) instead of C++'s UB.
struct LeftShift {
  template <typename T>
  TANDEM_HD T operator()(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>) {
      return static_cast<T>(static_cast<int>(a) << static_cast<int>(b));
    } else {
      using U = std::make_unsigned_t<T>;
      if (b < 0 || b >= static_cast<T>(sizeof(T) * 8)) return T(0);
      return static_cast<T>(static_cast<U>(a) << b);
    }
  }
};
struct RightShift {
  template <typename T>
  TANDEM_HD T operator()(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>) {
      return static_cast<T>(static_cast<int>(a) >> static_cast<int>(b));
    } else {
      if (b < 0 || b >= static_cast<T>(sizeof(T) * 8)) return a < 0 ? T(-1) : T(0);
      return static_cast<T>(a >> b);
    }
  }
};

}  // namespace tandem::ops
