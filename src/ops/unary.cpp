// Copyright © 2026 Tandem authors.
// Unary op functions: dtype rules (MLX's), then a Unary node.
#include <cmath>
#include <limits>

#include "ops/ops_common.h"

namespace tandem {

using detail::at_least_float;
using detail::fail;

namespace {

array unary(const array& a, UnaryOp op, Dtype out_type, StreamOrDevice s) {
  return detail::make<Unary>(a.shape(), out_type, {a}, to_stream(s), op);
}

// Transcendental functions: integer and bool inputs compute in float32.
// `name` is the op function's name for error messages (only needed when !complex_ok).
array float_unary(const array& a, UnaryOp op, StreamOrDevice s, bool complex_ok = true,
                  const char* name = nullptr) {
  if (!complex_ok && a.dtype() == complex64) {
    fail(name ? name : unary_op_name(op), "Not supported for complex64.");
  }
  Dtype t = at_least_float(a.dtype());
  array in = a.dtype() == t ? a : astype(a, t, s);
  return unary(in, op, t, s);
}

void reject_bool(const array& a, const char* op, const char* hint = "") {
  if (a.dtype() == bool_) fail(op, std::string("Not supported for bool.") + hint);
}

}  // namespace

const char* unary_op_name(UnaryOp op) {
  static const char* names[] = {
      "Abs",        "Negative",      "Sign",    "Sqrt",    "Rsqrt",    "Square",   "Reciprocal",
      "Exp",        "Expm1",         "Log",     "Log1p",   "Log2",     "Log10",    "Sin",
      "Cos",        "Tan",           "ArcSin",  "ArcCos",  "ArcTan",   "Sinh",     "Cosh",
      "Tanh",       "ArcSinh",       "ArcCosh", "ArcTanh", "Sigmoid",  "Erf",      "ErfInv",
      "Floor",      "Ceil",          "Round",   "Trunc",   "Real",     "Imag",     "Conjugate",
      "LogicalNot", "BitwiseInvert", "IsNan",   "IsInf",   "IsPosInf", "IsNegInf", "StopGradient"};
  return names[static_cast<int>(op)];
}

bool Unary::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const Unary*>(&other);
  return o && o->op_ == op_;
}

array abs(const array& a, StreamOrDevice s) {
  if (a.dtype() == bool_) return a;
  Dtype t = a.dtype() == complex64 ? float32 : a.dtype();
  return unary(a, UnaryOp::Abs, t, s);
}

array negative(const array& a, StreamOrDevice s) {
  reject_bool(a, "negative", " Use logical_not instead.");
  return unary(a, UnaryOp::Negative, a.dtype(), s);
}
array operator-(const array& a) {
  return negative(a);
}

array sign(const array& a, StreamOrDevice s) {
  if (a.dtype() == bool_) return a;
  return unary(a, UnaryOp::Sign, a.dtype(), s);
}

array square(const array& a, StreamOrDevice s) {
  if (a.dtype() == bool_) return a;
  return unary(a, UnaryOp::Square, a.dtype(), s);
}

array sqrt(const array& a, StreamOrDevice s) {
  return float_unary(a, UnaryOp::Sqrt, s);
}
array rsqrt(const array& a, StreamOrDevice s) {
  return float_unary(a, UnaryOp::Rsqrt, s);
}
array reciprocal(const array& a, StreamOrDevice s) {
  return float_unary(a, UnaryOp::Reciprocal, s);
}
array exp(const array& a, StreamOrDevice s) {
  return float_unary(a, UnaryOp::Exp, s);
}
array expm1(const array& a, StreamOrDevice s) {
  return float_unary(a, UnaryOp::Expm1, s);
}
array log(const array& a, StreamOrDevice s) {
  return float_unary(a, UnaryOp::Log, s);
}
array log1p(const array& a, StreamOrDevice s) {
  return float_unary(a, UnaryOp::Log1p, s);
}
array log2(const array& a, StreamOrDevice s) {
  return float_unary(a, UnaryOp::Log2, s);
}
array log10(const array& a, StreamOrDevice s) {
  return float_unary(a, UnaryOp::Log10, s);
}
array sin(const array& a, StreamOrDevice s) {
  return float_unary(a, UnaryOp::Sin, s);
}
array cos(const array& a, StreamOrDevice s) {
  return float_unary(a, UnaryOp::Cos, s);
}
array tan(const array& a, StreamOrDevice s) {
  return float_unary(a, UnaryOp::Tan, s);
}
array arcsin(const array& a, StreamOrDevice s) {
  return float_unary(a, UnaryOp::ArcSin, s);
}
array arccos(const array& a, StreamOrDevice s) {
  return float_unary(a, UnaryOp::ArcCos, s);
}
array arctan(const array& a, StreamOrDevice s) {
  return float_unary(a, UnaryOp::ArcTan, s);
}
array sinh(const array& a, StreamOrDevice s) {
  return float_unary(a, UnaryOp::Sinh, s);
}
array cosh(const array& a, StreamOrDevice s) {
  return float_unary(a, UnaryOp::Cosh, s);
}
array tanh(const array& a, StreamOrDevice s) {
  return float_unary(a, UnaryOp::Tanh, s);
}
array arcsinh(const array& a, StreamOrDevice s) {
  return float_unary(a, UnaryOp::ArcSinh, s);
}
array arccosh(const array& a, StreamOrDevice s) {
  return float_unary(a, UnaryOp::ArcCosh, s);
}
array arctanh(const array& a, StreamOrDevice s) {
  return float_unary(a, UnaryOp::ArcTanh, s);
}
array sigmoid(const array& a, StreamOrDevice s) {
  return float_unary(a, UnaryOp::Sigmoid, s, false, "sigmoid");
}
array erf(const array& a, StreamOrDevice s) {
  return float_unary(a, UnaryOp::Erf, s, false, "erf");
}
array erfinv(const array& a, StreamOrDevice s) {
  return float_unary(a, UnaryOp::ErfInv, s, false, "erfinv");
}

namespace {
array rounding(const array& a, UnaryOp op, const char* name, StreamOrDevice s) {
  if (a.dtype() == complex64) fail(name, "Not supported for complex64.");
  if (!is_floating_point(a.dtype())) return a;  // integers are already whole
  return unary(a, op, a.dtype(), s);
}
}  // namespace

array floor(const array& a, StreamOrDevice s) {
  return rounding(a, UnaryOp::Floor, "floor", s);
}
array ceil(const array& a, StreamOrDevice s) {
  return rounding(a, UnaryOp::Ceil, "ceil", s);
}
array trunc(const array& a, StreamOrDevice s) {
  return rounding(a, UnaryOp::Trunc, "trunc", s);
}
array round(const array& a, StreamOrDevice s) {
  return round(a, 0, s);
}
array round(const array& a, int decimals, StreamOrDevice s) {
  Dtype in_t = a.dtype();
  if (in_t == complex64) fail("round", "Not supported for complex64.");
  if (in_t == bool_) return a;
  bool fl = is_floating_point(in_t);
  if (!fl && decimals >= 0) return a;  // integers are already whole
  if (decimals == 0) return unary(a, UnaryOp::Round, in_t, s);
  // Scale by 10^|decimals|, round half to even, scale back. 16-bit floats compute in float32
  // (10^5 overflows float16), integers (negative decimals: round to tens, hundreds, ... as NumPy
  // and MLX) in a float type that holds them exactly. Negative decimals divide by an exact power
  // of ten rather than multiply by an inexact 10^-k.
  Dtype t = (in_t == float64 || (!fl && in_t.size >= 4)) ? float64 : float32;
  array x = astype(a, t, s);
  array scale(std::pow(10.0, std::abs(decimals)), t);
  array r = decimals > 0 ? divide(unary(multiply(x, scale, s), UnaryOp::Round, t, s), scale, s)
                         : multiply(unary(divide(x, scale, s), UnaryOp::Round, t, s), scale, s);
  return astype(r, in_t, s);
}

array degrees(const array& a, StreamOrDevice s) {
  Dtype t = at_least_float(a.dtype());
  return multiply(astype(a, t, s), array(180.0 / M_PI, t), s);
}
array radians(const array& a, StreamOrDevice s) {
  Dtype t = at_least_float(a.dtype());
  return multiply(astype(a, t, s), array(M_PI / 180.0, t), s);
}

array real(const array& a, StreamOrDevice s) {
  if (a.dtype() != complex64) return a;
  return unary(a, UnaryOp::Real, float32, s);
}
array imag(const array& a, StreamOrDevice s) {
  if (a.dtype() != complex64) return zeros_like(a, s);
  return unary(a, UnaryOp::Imag, float32, s);
}
array conjugate(const array& a, StreamOrDevice s) {
  if (a.dtype() != complex64) return a;
  return unary(a, UnaryOp::Conjugate, complex64, s);
}

array logical_not(const array& a, StreamOrDevice s) {
  return unary(a, UnaryOp::LogicalNot, bool_, s);
}
array operator!(const array& a) {
  return logical_not(a);
}

array bitwise_invert(const array& a, StreamOrDevice s) {
  if (is_inexact(a.dtype())) {
    fail("bitwise_invert",
         "Bitwise inverse requires an integer or bool dtype; got " + dtype_name(a.dtype()) + ".");
  }
  return unary(a, UnaryOp::BitwiseInvert, a.dtype(), s);
}
array operator~(const array& a) {
  return bitwise_invert(a);
}

array isnan(const array& a, StreamOrDevice s) {
  return unary(a, UnaryOp::IsNan, bool_, s);
}
array isinf(const array& a, StreamOrDevice s) {
  return unary(a, UnaryOp::IsInf, bool_, s);
}
array isposinf(const array& a, StreamOrDevice s) {
  return unary(a, UnaryOp::IsPosInf, bool_, s);
}
array isneginf(const array& a, StreamOrDevice s) {
  return unary(a, UnaryOp::IsNegInf, bool_, s);
}
array isfinite(const array& a, StreamOrDevice s) {
  return logical_not(logical_or(isinf(a, s), isnan(a, s), s), s);
}

array nan_to_num(const array& a, float nan, const std::optional<float> posinf,
                 const std::optional<float> neginf, StreamOrDevice s) {
  Dtype t = a.dtype();
  // Complex values are rejected as in MLX (returning them unchanged would keep their NaNs).
  if (t == complex64) fail("nan_to_num", "Not supported for complex64.");
  if (!is_floating_point(t)) return a;
  auto limits = [&](bool hi) -> double {
    switch (t.val) {
      case Dtype::Val::float16:
        return hi ? 65504.0 : -65504.0;
      case Dtype::Val::bfloat16:
        return hi ? 3.3895313892515355e38 : -3.3895313892515355e38;
      case Dtype::Val::float64:
        return hi ? std::numeric_limits<double>::max() : std::numeric_limits<double>::lowest();
      default:
        return hi ? std::numeric_limits<float>::max() : std::numeric_limits<float>::lowest();
    }
  };
  array out = where(isnan(a, s), array(nan, t), a, s);
  out = where(isposinf(a, s), array(posinf ? double(*posinf) : limits(true), t), out, s);
  out = where(isneginf(a, s), array(neginf ? double(*neginf) : limits(false), t), out, s);
  return out;
}

array stop_gradient(const array& a, StreamOrDevice s) {
  return unary(a, UnaryOp::StopGradient, a.dtype(), s);
}

}  // namespace tandem
