// Copyright © 2026 Tandem authors.
// Primitives of the quantization ops and the Hadamard transform (include/tandem/ops_quantized.h).
//
// Affine quantization (MLX's layout): the last axis is split into groups of `group_size`; each
// group has a scale and a bias in the float dtype, and each element a `bits`-bit code packed as a
// little-endian bit stream per row into uint32 words (K * bits / 32 words per row of K elements).
// CPU kernels: backend/cpu/quantized.cpp.
#pragma once

#include "primitives/primitives.h"

namespace tandem {

/// w (..., K) -> {w_q (..., K*bits/32) uint32, scales (..., K/group_size), biases (same)} with
/// scales and biases in w's dtype (float32, float16 or bfloat16).
class Quantize : public Primitive {
 public:
  Quantize(Stream s, int group_size, int bits)
      : Primitive(s), group_size_(group_size), bits_(bits) {}
  int group_size() const { return group_size_; }
  int bits() const { return bits_; }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override;
  std::string name() const override;
  bool is_equivalent(const Primitive& other) const override;

 private:
  int group_size_;
  int bits_;
};

/// {w_q (..., Kw) uint32, scales (..., G), biases (..., G)} -> scales * q + biases of shape
/// (..., Kw*32/bits) in the dtype of scales and biases (equal; float32, float16 or bfloat16).
class Dequantize : public Primitive {
 public:
  Dequantize(Stream s, int group_size, int bits)
      : Primitive(s), group_size_(group_size), bits_(bits) {}
  int group_size() const { return group_size_; }
  int bits() const { return bits_; }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override;
  std::string name() const override;
  bool is_equivalent(const Primitive& other) const override;

 private:
  int group_size_;
  int bits_;
};

/// {x, w_q, scales, biases} -> x @ W^T (transpose; W is (N, K)) or x @ W (W is (K, N)), W the
/// dequantized matrix. x, scales and biases share the output dtype. Either w_q is 2-d and x is
/// (..., K) of any rank >= 1, or x is (B..., M, K) and w_q, scales, biases are (B..., rows, cols)
/// with the same batch shape B... (the op function broadcasts them).
class QuantizedMatmul : public Primitive {
 public:
  QuantizedMatmul(Stream s, int group_size, int bits, bool transpose)
      : Primitive(s), group_size_(group_size), bits_(bits), transpose_(transpose) {}
  int group_size() const { return group_size_; }
  int bits() const { return bits_; }
  bool transpose() const { return transpose_; }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override;
  std::string name() const override;
  bool is_equivalent(const Primitive& other) const override;

 private:
  int group_size_;
  int bits_;
  bool transpose_;
};

/// The Hadamard transform along the last axis (extent n = m * 2^k, m in {1, 12, 20, 28}):
/// out = scale * (H_m (x) H_{2^k}) x per row, or with H_m^T when `transposed` (H_20 and H_28 are
/// not symmetric; the vjp needs the transpose). Float dtypes; computed in float (double for
/// float64).
class Hadamard : public Primitive {
 public:
  Hadamard(Stream s, double scale, bool transposed = false)
      : Primitive(s), scale_(scale), transposed_(transposed) {}
  double scale() const { return scale_; }
  bool transposed() const { return transposed_; }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[0].shape()};
  }
  std::string name() const override;
  bool is_equivalent(const Primitive& other) const override;

 private:
  double scale_;
  bool transposed_;
};

namespace detail {

/// n = m * 2^k with m in {1, 12, 20, 28} (m = 1 for powers of two, the smallest suitable m
/// otherwise); {0, 0} when n has no such form.
std::pair<int, int> hadamard_decompose(int n);

/// Row `r` of the m x m Hadamard matrix H_m (m in {12, 20, 28}) as a bit mask: bit c set means
/// H_m[r][c] = -1. Sloane's matrices (neilsloane.com/hadamard), the ones MLX uses.
uint32_t hadamard_row_mask(int m, int r);

/// The Hadamard primitive applied as the public op builds it (dtype already float).
array hadamard(const array& a, double scale, bool transposed, StreamOrDevice s = {});

}  // namespace detail

}  // namespace tandem
