// Copyright © 2026 Tandem authors.
// CUDA kernels of the Binary family's comparisons, logical, bitwise and shift ops (see
// binary.cu).
#include "backend/cuda/elementwise.cuh"
#include "primitives/primitives.h"

namespace tandem::cuda {

bool binary_compare(Encoder& enc, int op_code, const array& a, const array& b, array& out) {
  const BinaryOp op = static_cast<BinaryOp>(op_code);
  const char* n = binary_op_name(op);
  switch (op) {
    // clang-format off
    case BinaryOp::Equal: run_binary<ops::Equal, Types::All>(enc, a, b, out, n); return true;
    case BinaryOp::NotEqual: run_binary<ops::NotEqual, Types::All>(enc, a, b, out, n); return true;
    case BinaryOp::Less: run_binary<ops::Less, Types::All>(enc, a, b, out, n); return true;
    case BinaryOp::LessEqual: run_binary<ops::LessEqual, Types::All>(enc, a, b, out, n); return true;
    case BinaryOp::Greater: run_binary<ops::Greater, Types::All>(enc, a, b, out, n); return true;
    case BinaryOp::GreaterEqual: run_binary<ops::GreaterEqual, Types::All>(enc, a, b, out, n); return true;
    case BinaryOp::LogicalAnd: run_binary<ops::LogicalAnd, Types::All>(enc, a, b, out, n); return true;
    case BinaryOp::LogicalOr: run_binary<ops::LogicalOr, Types::All>(enc, a, b, out, n); return true;
    case BinaryOp::LogicalXor: run_binary<ops::LogicalXor, Types::All>(enc, a, b, out, n); return true;
    case BinaryOp::BitwiseAnd: run_binary<ops::BitwiseAnd, Types::Integral>(enc, a, b, out, n); return true;
    case BinaryOp::BitwiseOr: run_binary<ops::BitwiseOr, Types::Integral>(enc, a, b, out, n); return true;
    case BinaryOp::BitwiseXor: run_binary<ops::BitwiseXor, Types::Integral>(enc, a, b, out, n); return true;
    case BinaryOp::LeftShift: run_binary<ops::LeftShift, Types::Integral>(enc, a, b, out, n); return true;
    case BinaryOp::RightShift: run_binary<ops::RightShift, Types::Integral>(enc, a, b, out, n); return true;
    case BinaryOp::NaNEqual: run_binary<ops::NaNEqual, Types::All>(enc, a, b, out, n); return true;
    default: return false;
      // clang-format on
  }
}

}  // namespace tandem::cuda
