// Copyright © 2026 Tandem authors.
// Primitives of the structured matrix products (include/tandem/ops_products.h): gather_mm, the
// building block of mixture-of-experts layers, and block_masked_mm. The other product ops
// (inner, outer, tensordot, kron, vecdot, einsum) are compositions of existing primitives.
//
// CPU kernels: backend/cpu/products.cpp (one BLAS GEMM per gathered pair or per run of blocks).
#pragma once

#include "primitives/primitives.h"

namespace tandem {

/// out[i..., :, :] = A[lhs[i...]] @ B[rhs[i...]], where A is `a` (batch..., M, K) and B is `b`
/// (batch..., K, N), each with its batch dimensions flattened (row-major) to one list of
/// matrices. Inputs: a, b, lhs_indices, rhs_indices (int32, broadcast to one shape IS); output
/// (IS..., M, N). Negative indices wrap once; indices still out of range are clamped (as the
/// other gathers). `left_sorted` / `right_sorted` are hints that the lhs / rhs indices are
/// sorted, so that runs of pairs sharing a matrix are likely (the kernel checks for runs anyway).
class GatherMM : public Primitive {
 public:
  GatherMM(Stream s, bool left_sorted, bool right_sorted)
      : Primitive(s), left_sorted_(left_sorted), right_sorted_(right_sorted) {}
  bool left_sorted() const { return left_sorted_; }
  bool right_sorted() const { return right_sorted_; }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::string name() const override { return "GatherMM"; }
  bool is_equivalent(const Primitive& other) const override;

 private:
  bool left_sorted_, right_sorted_;
};

/// Matrix product in blocks of block_size x block_size, with per-block masks. Inputs: a
/// (batch..., M, K) and b (batch..., K, N) broadcast to one batch shape, then optionally
/// mask_out (batch..., tm, tn) when `has_out_mask`, then mask_lhs (batch..., tm, tk) and
/// mask_rhs (batch..., tk, tn) when `has_operand_mask`, where tm, tn, tk count blocks (the last
/// block of a dimension may be partial). Output block (i, j):
///   mask_out[i, j] * sum_k (mask_lhs[i, k] * A[i, k]) @ (mask_rhs[k, j] * B[k, j]).
/// Boolean masks select blocks; floating masks (the output dtype) also scale them. A block whose
/// combined mask is zero (false) contributes exactly zero: NaN/inf inside it does not propagate.
class BlockMaskedMM : public Primitive {
 public:
  BlockMaskedMM(Stream s, int block_size, bool has_out_mask, bool has_operand_mask)
      : Primitive(s),
        block_size_(block_size),
        has_out_mask_(has_out_mask),
        has_operand_mask_(has_operand_mask) {}
  int block_size() const { return block_size_; }
  bool has_out_mask() const { return has_out_mask_; }
  bool has_operand_mask() const { return has_operand_mask_; }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::string name() const override { return "BlockMaskedMM"; }
  bool is_equivalent(const Primitive& other) const override;

 private:
  int block_size_;
  bool has_out_mask_, has_operand_mask_;
};

}  // namespace tandem
