// Copyright © 2026 Tandem authors.
// CUDA kernels of the Binary family's arithmetic: the same functors as the CPU
// (backend/common/binary_ops.h), the same dtype table (backend/cpu/binary.cpp). Comparisons,
// logical and bitwise ops are in binary_compare.cu; Select is in copy.cu.
#include "backend/cuda/elementwise.cuh"
#include "primitives/primitives.h"

namespace tandem {

using cuda::run_binary;
using cuda::Types;

void Binary::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  auto& enc = cuda::encoder(stream());
  const array& a = inputs[0];
  const array& b = inputs[1];
  array& out = outputs[0];
  const char* n = binary_op_name(op_);
  switch (op_) {
    // clang-format off
    case BinaryOp::Add: run_binary<ops::Add, Types::All>(enc, a, b, out, n); break;
    case BinaryOp::Subtract: run_binary<ops::Subtract, Types::Numeric>(enc, a, b, out, n); break;
    case BinaryOp::Multiply: run_binary<ops::Multiply, Types::All>(enc, a, b, out, n); break;
    case BinaryOp::Divide: run_binary<ops::Divide, Types::Numeric>(enc, a, b, out, n); break;
    case BinaryOp::FloorDivide: run_binary<ops::FloorDivide, Types::RealNumeric>(enc, a, b, out, n); break;
    case BinaryOp::Remainder: run_binary<ops::Remainder, Types::RealNumeric>(enc, a, b, out, n); break;
    case BinaryOp::Power: run_binary<ops::Power, Types::Numeric>(enc, a, b, out, n); break;
    case BinaryOp::Maximum: run_binary<ops::Maximum, Types::All>(enc, a, b, out, n); break;
    case BinaryOp::Minimum: run_binary<ops::Minimum, Types::All>(enc, a, b, out, n); break;
    case BinaryOp::ArcTan2: run_binary<ops::ArcTan2, Types::Float>(enc, a, b, out, n); break;
    case BinaryOp::LogAddExp: run_binary<ops::LogAddExp, Types::Float>(enc, a, b, out, n); break;
    default:
      if (!cuda::binary_compare(enc, static_cast<int>(op_), a, b, out)) {
        throw std::logic_error(std::string("[") + n + "::eval_gpu] Unknown binary op.");
      }
      break;
      // clang-format on
  }
  cuda::set_evaluated(outputs);
}

}  // namespace tandem
