// Copyright © 2026 Tandem authors.
// CUDA kernels of the Unary family: the same functors as the CPU (backend/common/unary_ops.h),
// the same dtype table (backend/cpu/unary.cpp). Transcendental functions are in unary_math.cu.
#include "backend/cuda/elementwise.cuh"
#include "primitives/primitives.h"

namespace tandem {

using cuda::run_unary;
using cuda::Types;

void Unary::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  auto& enc = cuda::encoder(stream());
  const array& in = inputs[0];
  array& out = outputs[0];
  const char* n = unary_op_name(op_);
  switch (op_) {
    // clang-format off
    case UnaryOp::Abs: run_unary<ops::Abs, Types::Numeric>(enc, in, out, n); break;
    case UnaryOp::Negative: run_unary<ops::Negative, Types::Numeric>(enc, in, out, n); break;
    case UnaryOp::Sign: run_unary<ops::Sign, Types::Numeric>(enc, in, out, n); break;
    case UnaryOp::Square: run_unary<ops::Square, Types::Numeric>(enc, in, out, n); break;
    case UnaryOp::Floor: run_unary<ops::Floor, Types::Numeric>(enc, in, out, n); break;
    case UnaryOp::Ceil: run_unary<ops::Ceil, Types::Numeric>(enc, in, out, n); break;
    case UnaryOp::Round: run_unary<ops::Round, Types::Numeric>(enc, in, out, n); break;
    case UnaryOp::Trunc: run_unary<ops::Trunc, Types::Numeric>(enc, in, out, n); break;
    case UnaryOp::Real: run_unary<ops::Real, Types::Numeric>(enc, in, out, n); break;
    case UnaryOp::Imag: run_unary<ops::Imag, Types::Numeric>(enc, in, out, n); break;
    case UnaryOp::Conjugate: run_unary<ops::Conjugate, Types::FloatComplex>(enc, in, out, n); break;
    case UnaryOp::LogicalNot: run_unary<ops::LogicalNot, Types::All>(enc, in, out, n); break;
    case UnaryOp::BitwiseInvert: run_unary<ops::BitwiseInvert, Types::Integral>(enc, in, out, n); break;
    case UnaryOp::IsNan: run_unary<ops::IsNan, Types::All>(enc, in, out, n); break;
    case UnaryOp::IsInf: run_unary<ops::IsInf, Types::All>(enc, in, out, n); break;
    case UnaryOp::IsPosInf: run_unary<ops::IsPosInf, Types::All>(enc, in, out, n); break;
    case UnaryOp::IsNegInf: run_unary<ops::IsNegInf, Types::All>(enc, in, out, n); break;
    case UnaryOp::StopGradient: run_unary<ops::Identity, Types::All>(enc, in, out, n); break;
    default:
      if (!cuda::unary_math(enc, static_cast<int>(op_), in, out)) {
        throw std::logic_error(std::string("[") + n + "::eval_gpu] Unknown unary op.");
      }
      break;
      // clang-format on
  }
  cuda::set_evaluated(outputs);
}

}  // namespace tandem
