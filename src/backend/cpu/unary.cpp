// Copyright © 2026 Tandem authors.
// CPU kernels of the Unary primitive family.
#include <cstdint>
#include <memory>
#include <stdexcept>

#include "backend/common/dispatch.h"
#include "backend/common/unary_ops.h"
#include "backend/cpu/elementwise.h"
#include "backend/cpu/vmath.h"
#include "primitives/primitives.h"

namespace tandem {

namespace {

// Which input dtypes a functor is instantiated for (the op functions reject the rest).
enum class Types { All, Numeric, Float, FloatComplex, Integral };

template <Types K, typename T>
constexpr bool accepts() {
  constexpr bool fl = std::is_same_v<T, float> || std::is_same_v<T, double> || is_half_type_v<T>;
  constexpr bool cx = is_complex_type<T>::value;
  constexpr bool in = std::is_integral_v<T>;  // includes bool
  switch (K) {
    case Types::All:
      return true;
    case Types::Numeric:
      return !std::is_same_v<T, bool>;
    case Types::Float:
      return fl;
    case Types::FloatComplex:
      return fl || cx;
    case Types::Integral:
      return in;
  }
  return false;
}

// float32 (and float16/bfloat16, computed in float32) through the vectorisable vmath versions;
// float64 and complex64 through the shared functors (libm).
#define TANDEM_VMATH_UNARY(Name, Shared, fn)    \
  struct Name {                                 \
    template <typename T>                       \
    auto operator()(T x) const {                \
      if constexpr (std::is_same_v<T, float>) { \
        return cpu::vmath::fn(x);               \
      } else {                                  \
        return Shared{}(x);                     \
      }                                         \
    }                                           \
  };
TANDEM_VMATH_UNARY(FastExp, ops::Exp, exp)
TANDEM_VMATH_UNARY(FastLog, ops::Log, log)
TANDEM_VMATH_UNARY(FastTanh, ops::Tanh, tanh)
TANDEM_VMATH_UNARY(FastSigmoid, ops::Sigmoid, sigmoid)
TANDEM_VMATH_UNARY(FastErf, ops::Erf, erf)
#undef TANDEM_VMATH_UNARY

// Functions that cost far more than a memory access per element (libm calls, the vmath
// polynomials). For 16-bit float inputs they are read from a table instead (lut16).
template <typename Op>
constexpr bool costly() {
  return std::is_same_v<Op, FastExp> || std::is_same_v<Op, FastLog> ||
         std::is_same_v<Op, FastTanh> || std::is_same_v<Op, FastSigmoid> ||
         std::is_same_v<Op, FastErf> || std::is_same_v<Op, ops::Expm1> ||
         std::is_same_v<Op, ops::Log1p> || std::is_same_v<Op, ops::Log2Real> ||
         std::is_same_v<Op, ops::Log10> || std::is_same_v<Op, ops::Sin> ||
         std::is_same_v<Op, ops::Cos> || std::is_same_v<Op, ops::Tan> ||
         std::is_same_v<Op, ops::ArcSin> || std::is_same_v<Op, ops::ArcCos> ||
         std::is_same_v<Op, ops::ArcTan> || std::is_same_v<Op, ops::Sinh> ||
         std::is_same_v<Op, ops::Cosh> || std::is_same_v<Op, ops::ArcSinh> ||
         std::is_same_v<Op, ops::ArcCosh> || std::is_same_v<Op, ops::ArcTanh> ||
         std::is_same_v<Op, ops::ErfInv>;
}

/// Inputs of at least this many elements use the 16-bit tables (smaller ones compute: the
/// first use of a table costs 65536 evaluations).
constexpr size_t kLutMinSize = size_t(1) << 16;

/// The 65536 results of Op on a 16-bit float type T, indexed by the input's bits and stored as
/// the output's bits: exactly what the computing loop stores (float32 math, rounded once), so
/// a lookup is bit-identical to it. Built on first use (128 KiB per op and type, kept for the
/// process), serially: building inside a pool task could deadlock against another caller.
template <typename Op, typename T>
const uint16_t* lut16() {
  static const std::unique_ptr<uint16_t[]> table = [] {
    std::unique_ptr<uint16_t[]> t(new uint16_t[65536]);
    for (uint32_t i = 0; i < 65536; ++i)
      t[i] = T(Op{}(static_cast<float>(T::from_bits(static_cast<uint16_t>(i))))).bits;
    return t;
  }();
  return table.get();
}

template <typename Op, Types K>
void run(const array& in, array& out, const char* name) {
  bool done = dispatch_all(in.dtype(), [&]<typename T>() {
    if constexpr (accepts<K, T>()) {
      using C = compute_t<T>;
      using R = decltype(Op{}(C{}));
      // Results in the compute type are stored back as T (e.g. float -> float16).
      using Out = std::conditional_t<std::is_same_v<R, C>, T, R>;
      if (out.dtype() != dtype_of<Out>()) {
        throw std::logic_error(std::string("[") + name + "] Output dtype " +
                               dtype_name(out.dtype()) + " does not match the kernel's " +
                               dtype_name(dtype_of<Out>()) + ".");
      }
      if constexpr (is_half_type_v<T> && std::is_same_v<Out, T> && costly<Op>()) {
        if (in.size() >= kLutMinSize) {
          const uint16_t* table = lut16<Op, T>();
          cpu::unary_apply<T, Out>(in, out, [table](T x) { return T::from_bits(table[x.bits]); });
          return true;
        }
      }
      cpu::unary_apply<T, Out>(in, out,
                               [](T x) { return static_cast<Out>(Op{}(static_cast<C>(x))); });
      return true;
    } else {
      return false;
    }
  });
  if (!done) {
    throw std::invalid_argument(std::string("[") + name + "] Not supported for dtype " +
                                dtype_name(in.dtype()) + ".");
  }
}

}  // namespace

void Unary::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array& in = inputs[0];
  array& out = outputs[0];
  const char* n = unary_op_name(op_);
  switch (op_) {
    // clang-format off
    case UnaryOp::Abs: return run<ops::Abs, Types::Numeric>(in, out, n);
    case UnaryOp::Negative: return run<ops::Negative, Types::Numeric>(in, out, n);
    case UnaryOp::Sign: return run<ops::Sign, Types::Numeric>(in, out, n);
    case UnaryOp::Sqrt: return run<ops::Sqrt, Types::FloatComplex>(in, out, n);
    case UnaryOp::Rsqrt: return run<ops::Rsqrt, Types::FloatComplex>(in, out, n);
    case UnaryOp::Square: return run<ops::Square, Types::Numeric>(in, out, n);
    case UnaryOp::Reciprocal: return run<ops::Reciprocal, Types::FloatComplex>(in, out, n);
    case UnaryOp::Exp: return run<FastExp, Types::FloatComplex>(in, out, n);
    case UnaryOp::Expm1: return run<ops::Expm1, Types::FloatComplex>(in, out, n);
    case UnaryOp::Log: return run<FastLog, Types::FloatComplex>(in, out, n);
    case UnaryOp::Log1p: return run<ops::Log1p, Types::FloatComplex>(in, out, n);
    case UnaryOp::Log2:
      if (in.dtype() == complex64) return run<ops::Log2, Types::FloatComplex>(in, out, n);
      return run<ops::Log2Real, Types::Float>(in, out, n);
    case UnaryOp::Log10: return run<ops::Log10, Types::FloatComplex>(in, out, n);
    case UnaryOp::Sin: return run<ops::Sin, Types::FloatComplex>(in, out, n);
    case UnaryOp::Cos: return run<ops::Cos, Types::FloatComplex>(in, out, n);
    case UnaryOp::Tan: return run<ops::Tan, Types::FloatComplex>(in, out, n);
    case UnaryOp::ArcSin: return run<ops::ArcSin, Types::FloatComplex>(in, out, n);
    case UnaryOp::ArcCos: return run<ops::ArcCos, Types::FloatComplex>(in, out, n);
    case UnaryOp::ArcTan: return run<ops::ArcTan, Types::FloatComplex>(in, out, n);
    case UnaryOp::Sinh: return run<ops::Sinh, Types::FloatComplex>(in, out, n);
    case UnaryOp::Cosh: return run<ops::Cosh, Types::FloatComplex>(in, out, n);
    case UnaryOp::Tanh: return run<FastTanh, Types::FloatComplex>(in, out, n);
    case UnaryOp::ArcSinh: return run<ops::ArcSinh, Types::FloatComplex>(in, out, n);
    case UnaryOp::ArcCosh: return run<ops::ArcCosh, Types::FloatComplex>(in, out, n);
    case UnaryOp::ArcTanh: return run<ops::ArcTanh, Types::FloatComplex>(in, out, n);
    case UnaryOp::Sigmoid: return run<FastSigmoid, Types::Float>(in, out, n);
    case UnaryOp::Erf: return run<FastErf, Types::Float>(in, out, n);
    case UnaryOp::ErfInv: return run<ops::ErfInv, Types::Float>(in, out, n);
    case UnaryOp::Floor: return run<ops::Floor, Types::Numeric>(in, out, n);
    case UnaryOp::Ceil: return run<ops::Ceil, Types::Numeric>(in, out, n);
    case UnaryOp::Round: return run<ops::Round, Types::Numeric>(in, out, n);
    case UnaryOp::Trunc: return run<ops::Trunc, Types::Numeric>(in, out, n);
    case UnaryOp::Real: return run<ops::Real, Types::Numeric>(in, out, n);
    case UnaryOp::Imag: return run<ops::Imag, Types::Numeric>(in, out, n);
    case UnaryOp::Conjugate: return run<ops::Conjugate, Types::FloatComplex>(in, out, n);
    case UnaryOp::LogicalNot: return run<ops::LogicalNot, Types::All>(in, out, n);
    case UnaryOp::BitwiseInvert: return run<ops::BitwiseInvert, Types::Integral>(in, out, n);
    case UnaryOp::IsNan: return run<ops::IsNan, Types::All>(in, out, n);
    case UnaryOp::IsInf: return run<ops::IsInf, Types::All>(in, out, n);
    case UnaryOp::IsPosInf: return run<ops::IsPosInf, Types::All>(in, out, n);
    case UnaryOp::IsNegInf: return run<ops::IsNegInf, Types::All>(in, out, n);
    case UnaryOp::StopGradient: return run<ops::Identity, Types::All>(in, out, n);
      // clang-format on
  }
}

}  // namespace tandem
