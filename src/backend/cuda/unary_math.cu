// Copyright © 2026 Tandem authors.
// CUDA kernels of the Unary family's transcendental functions (see unary.cu).
#include "backend/cuda/elementwise.cuh"
#include "primitives/primitives.h"

namespace tandem::cuda {

bool unary_math(Encoder& enc, int op_code, const array& in, array& out) {
  const UnaryOp op = static_cast<UnaryOp>(op_code);
  const char* n = unary_op_name(op);
  switch (op) {
    // clang-format off
    case UnaryOp::Sqrt: run_unary<ops::Sqrt, Types::FloatComplex>(enc, in, out, n); return true;
    case UnaryOp::Rsqrt: run_unary<ops::Rsqrt, Types::FloatComplex>(enc, in, out, n); return true;
    case UnaryOp::Reciprocal: run_unary<ops::Reciprocal, Types::FloatComplex>(enc, in, out, n); return true;
    case UnaryOp::Exp: run_unary<ops::Exp, Types::FloatComplex>(enc, in, out, n); return true;
    case UnaryOp::Expm1: run_unary<ops::Expm1, Types::FloatComplex>(enc, in, out, n); return true;
    case UnaryOp::Log: run_unary<ops::Log, Types::FloatComplex>(enc, in, out, n); return true;
    case UnaryOp::Log1p: run_unary<ops::Log1p, Types::FloatComplex>(enc, in, out, n); return true;
    case UnaryOp::Log2:
      if (in.dtype() == complex64) run_unary<ops::Log2, Types::FloatComplex>(enc, in, out, n);
      else run_unary<ops::Log2Real, Types::Float>(enc, in, out, n);
      return true;
    case UnaryOp::Log10: run_unary<ops::Log10, Types::FloatComplex>(enc, in, out, n); return true;
    case UnaryOp::Sin: run_unary<ops::Sin, Types::FloatComplex>(enc, in, out, n); return true;
    case UnaryOp::Cos: run_unary<ops::Cos, Types::FloatComplex>(enc, in, out, n); return true;
    case UnaryOp::Tan: run_unary<ops::Tan, Types::FloatComplex>(enc, in, out, n); return true;
    case UnaryOp::ArcSin: run_unary<ops::ArcSin, Types::FloatComplex>(enc, in, out, n); return true;
    case UnaryOp::ArcCos: run_unary<ops::ArcCos, Types::FloatComplex>(enc, in, out, n); return true;
    case UnaryOp::ArcTan: run_unary<ops::ArcTan, Types::FloatComplex>(enc, in, out, n); return true;
    case UnaryOp::Sinh: run_unary<ops::Sinh, Types::FloatComplex>(enc, in, out, n); return true;
    case UnaryOp::Cosh: run_unary<ops::Cosh, Types::FloatComplex>(enc, in, out, n); return true;
    case UnaryOp::Tanh: run_unary<ops::Tanh, Types::FloatComplex>(enc, in, out, n); return true;
    case UnaryOp::ArcSinh: run_unary<ops::ArcSinh, Types::FloatComplex>(enc, in, out, n); return true;
    case UnaryOp::ArcCosh: run_unary<ops::ArcCosh, Types::FloatComplex>(enc, in, out, n); return true;
    case UnaryOp::ArcTanh: run_unary<ops::ArcTanh, Types::FloatComplex>(enc, in, out, n); return true;
    case UnaryOp::Sigmoid: run_unary<ops::Sigmoid, Types::Float>(enc, in, out, n); return true;
    case UnaryOp::Erf: run_unary<ops::Erf, Types::Float>(enc, in, out, n); return true;
    case UnaryOp::ErfInv: run_unary<ops::ErfInv, Types::Float>(enc, in, out, n); return true;
    default: return false;
      // clang-format on
  }
}

}  // namespace tandem::cuda
