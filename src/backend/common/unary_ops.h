// Copyright © 2026 Tandem authors.
// Elementwise unary math as small functors (DESIGN §9): the CPU kernels use them now; the CUDA
// kernels and a future fused-kernel generator are meant to share the same definitions.
// Each functor maps a value of the compute type (float for 16-bit floats) to the result.
#pragma once

#include <cmath>
#include <complex>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "backend/common/wrapping.h"

#include "backend/common/cast.h"

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
TANDEM_HD inline T erfinv_impl(T y) {
  // Giles' single-precision approximation refined by two Newton steps on erf.
  if (y <= T(-1))
    return y == T(-1) ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::quiet_NaN();
  if (y >= T(1))
    return y == T(1) ? std::numeric_limits<T>::infinity() : std::numeric_limits<T>::quiet_NaN();
  double x = static_cast<double>(y);
  double w = -log((1.0 - x) * (1.0 + x));
  double p;
  if (w < 5.0) {
    w = w - 2.5;
    p = 2.81022636e-08;
    p = 3.43273939e-07 + p * w;
    p = -3.5233877e-06 + p * w;
    p = -4.39150654e-06 + p * w;
    p = 0.00021858087 + p * w;
    p = -0.00125372503 + p * w;
    p = -0.00417768164 + p * w;
    p = 0.246640727 + p * w;
    p = 1.50140941 + p * w;
  } else {
    w = sqrt(w) - 3.0;
    p = -0.000200214257;
    p = 0.000100950558 + p * w;
    p = 0.00134934322 + p * w;
    p = -0.00367342844 + p * w;
    p = 0.00573950773 + p * w;
    p = -0.0076224613 + p * w;
    p = 0.00943887047 + p * w;
    p = 1.00167406 + p * w;
    p = 2.83297682 + p * w;
  }
  double r = p * x;
  // Newton: r -= (erf(r) - x) / (2/sqrt(pi) * exp(-r^2))
  for (int i = 0; i < 2; ++i) {
    double err = std::erf(r) - x;
    r -= err / (1.1283791670955126 * exp(-r * r));
  }
  return static_cast<T>(r);
}

template <typename T>
inline constexpr bool is_float_v = std::is_floating_point_v<T>;
template <typename T>
inline constexpr bool is_cplx_v = is_complex_type<T>::value;

struct Abs {
  template <typename T>
  TANDEM_HD auto operator()(T x) const {
    if constexpr (is_cplx_v<T>) {
      return abs(x);
    } else if constexpr (std::is_unsigned_v<T>) {
      return x;
    } else if constexpr (std::is_integral_v<T>) {
      return x < T(0) ? wrap_sub(T(0), x) : x;  // abs(INT_MIN) wraps to INT_MIN, as NumPy
    } else {
      return x < T(0) ? T(-x) : x;
    }
  }
};
struct Negative {
  template <typename T>
  TANDEM_HD T operator()(T x) const {
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      return wrap_sub(T(0), x);
    } else {
      return -x;
    }
  }
};
struct Sign {
  template <typename T>
  TANDEM_HD T operator()(T x) const {
    if constexpr (is_cplx_v<T>) {
      float m = abs(x);
      return m == 0 ? T(0) : x / m;
    } else if constexpr (std::is_unsigned_v<T>) {
      return x != 0 ? T(1) : T(0);
    } else if constexpr (is_float_v<T>) {
      if (std::isnan(x)) return x;
      return static_cast<T>((x > T(0)) - (x < T(0)));
    } else {
      return static_cast<T>((x > T(0)) - (x < T(0)));
    }
  }
};
#define TANDEM_STD_UNARY(NAME, EXPR)    \
  struct NAME {                         \
    template <typename T>               \
    TANDEM_HD T operator()(T x) const { \
      return EXPR;                      \
    }                                   \
  };
TANDEM_STD_UNARY(Sqrt, sqrt(x))
TANDEM_STD_UNARY(Rsqrt, T(1) / sqrt(x))
TANDEM_STD_UNARY(Square, x* x)
TANDEM_STD_UNARY(Reciprocal, T(1) / x)
TANDEM_STD_UNARY(Exp, exp(x))
TANDEM_STD_UNARY(Log, log(x))
TANDEM_STD_UNARY(Log2, log(x) / log(T(2)))
TANDEM_STD_UNARY(Log10, log10(x))
TANDEM_STD_UNARY(Sin, sin(x))
TANDEM_STD_UNARY(Cos, cos(x))
TANDEM_STD_UNARY(Tan, tan(x))
TANDEM_STD_UNARY(ArcSin, asin(x))
TANDEM_STD_UNARY(ArcCos, acos(x))
TANDEM_STD_UNARY(ArcTan, atan(x))
TANDEM_STD_UNARY(Sinh, sinh(x))
TANDEM_STD_UNARY(Cosh, cosh(x))
TANDEM_STD_UNARY(Tanh, tanh(x))
TANDEM_STD_UNARY(ArcSinh, asinh(x))
TANDEM_STD_UNARY(ArcCosh, acosh(x))
TANDEM_STD_UNARY(ArcTanh, atanh(x))
#undef TANDEM_STD_UNARY

struct Conjugate {
  template <typename T>
  TANDEM_HD T operator()(T x) const {
    if constexpr (is_cplx_v<T>)
      return conj(x);
    else
      return x;
  }
};
struct Expm1 {
  template <typename T>
  TANDEM_HD T operator()(T x) const {
    if constexpr (is_cplx_v<T>) {
      return exp(x) - T(1);
    } else {
      return std::expm1(x);
    }
  }
};
struct Log1p {
  template <typename T>
  TANDEM_HD T operator()(T x) const {
    if constexpr (is_cplx_v<T>) {
      return log(T(1) + x);
    } else {
      return std::log1p(x);
    }
  }
};
struct Log2Real {
  template <typename T>
  TANDEM_HD T operator()(T x) const {
    return std::log2(x);
  }
};
struct Sigmoid {
  template <typename T>
  TANDEM_HD T operator()(T x) const {
    // Stable for large |x|: never exponentiates a large positive number.
    if (x >= T(0)) {
      return T(1) / (T(1) + exp(-x));
    }
    T e = exp(x);
    return e / (T(1) + e);
  }
};
struct Erf {
  template <typename T>
  TANDEM_HD T operator()(T x) const {
    return std::erf(x);
  }
};
struct ErfInv {
  template <typename T>
  TANDEM_HD T operator()(T x) const {
    return erfinv_impl(x);
  }
};
struct Floor {
  template <typename T>
  TANDEM_HD T operator()(T x) const {
    if constexpr (is_float_v<T>)
      return std::floor(x);
    else
      return x;
  }
};
struct Ceil {
  template <typename T>
  TANDEM_HD T operator()(T x) const {
    if constexpr (is_float_v<T>)
      return std::ceil(x);
    else
      return x;
  }
};
struct Round {  // half to even
  template <typename T>
  TANDEM_HD T operator()(T x) const {
    if constexpr (is_float_v<T>)
      return std::nearbyint(x);
    else
      return x;
  }
};
struct Trunc {
  template <typename T>
  TANDEM_HD T operator()(T x) const {
    if constexpr (is_float_v<T>)
      return std::trunc(x);
    else
      return x;
  }
};
struct Real {
  template <typename T>
  TANDEM_HD auto operator()(T x) const {
    if constexpr (is_cplx_v<T>)
      return x.real();
    else
      return x;
  }
};
struct Imag {
  template <typename T>
  TANDEM_HD auto operator()(T x) const {
    if constexpr (is_cplx_v<T>)
      return x.imag();
    else
      return T(0);
  }
};
struct LogicalNot {
  template <typename T>
  TANDEM_HD bool operator()(T x) const {
    return !cast_value<bool>(x);
  }
};
struct BitwiseInvert {
  template <typename T>
  TANDEM_HD T operator()(T x) const {
    if constexpr (std::is_same_v<T, bool>)
      return !x;
    else
      return static_cast<T>(~x);
  }
};
struct IsNan {
  template <typename T>
  TANDEM_HD bool operator()(T x) const {
    if constexpr (is_float_v<T>)
      return std::isnan(x);
    else if constexpr (is_cplx_v<T>)
      return std::isnan(x.real()) || std::isnan(x.imag());
    else
      return false;
  }
};
struct IsInf {
  template <typename T>
  TANDEM_HD bool operator()(T x) const {
    if constexpr (is_float_v<T>)
      return std::isinf(x);
    else if constexpr (is_cplx_v<T>)
      return std::isinf(x.real()) || std::isinf(x.imag());
    else
      return false;
  }
};
struct IsPosInf {
  template <typename T>
  TANDEM_HD bool operator()(T x) const {
    if constexpr (is_float_v<T>)
      return std::isinf(x) && x > 0;
    else
      return false;
  }
};
struct IsNegInf {
  template <typename T>
  TANDEM_HD bool operator()(T x) const {
    if constexpr (is_float_v<T>)
      return std::isinf(x) && x < 0;
    else
      return false;
  }
};
struct Identity {
  template <typename T>
  TANDEM_HD T operator()(T x) const {
    return x;
  }
};

}  // namespace tandem::ops
