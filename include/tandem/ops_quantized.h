// Copyright © 2026 Tandem authors.
// Affine quantization and the Hadamard transform (included from tandem.h). Names, arguments and
// semantics follow MLX.
//
// Affine quantization (MLX's "affine" mode): every `group_size` consecutive elements of a row
// (along the last axis) share a scale s and a bias b, and each element is stored as an unsigned
// `bits`-bit code q with w ~= s * q + b. Supported: group_size 32, 64, 128; bits 2, 3, 4, 5, 6, 8;
// float32 / float16 / bfloat16 weights (scales and biases keep the weights' dtype).
//
// Packed layout (MLX's, so weights quantized by MLX load unchanged): the codes of one row form a
// little-endian bit stream stored in uint32 words -- code j occupies bits [j*bits, (j+1)*bits) of
// the row, bit i of the stream being bit (i % 32) of word i / 32. A row of K elements takes
// K * bits / 32 words; 3-, 5- and 6-bit codes straddle word boundaries.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tandem/array.h"
#include "tandem/stream.h"

namespace tandem {

/// Quantize `w` (at least 2-d; last axis divisible by group_size) group-wise along the last axis.
/// Returns {w_q (uint32, last axis K*bits/32), scales, biases (last axis K/group_size)}.
/// MLX's form: group_size / bits default to 64 / 4; `mode` must be "affine" (the only mode
/// Tandem implements; MLX's mxfp4 / mxfp8 / nvfp4 throw) and `global_scale` (nvfp4 only) absent.
std::vector<array> quantize(const array& w, std::optional<int> group_size = std::nullopt,
                            std::optional<int> bits = std::nullopt,
                            const std::string& mode = "affine",
                            const std::optional<array>& global_scale = std::nullopt,
                            StreamOrDevice s = {});
/// Tandem's earlier form (kept: existing calls with a trailing stream or device).
std::vector<array> quantize(const array& w, int group_size, int bits = 4, StreamOrDevice s = {});

/// Recover s * q + b from quantize's outputs, in the dtype of scales/biases (promoted together).
array dequantize(const array& w_q, const array& scales, const array& biases, int group_size = 64,
                 int bits = 4, StreamOrDevice s = {});
/// MLX's form: biases are required in the affine mode (the only one); `dtype` casts the result
/// (default: the scales' / biases' dtype).
array dequantize(const array& w_q, const array& scales,
                 const std::optional<array>& biases = std::nullopt,
                 std::optional<int> group_size = std::nullopt,
                 std::optional<int> bits = std::nullopt, const std::string& mode = "affine",
                 const std::optional<array>& global_scale = std::nullopt,
                 std::optional<Dtype> dtype = std::nullopt, StreamOrDevice s = {});

/// x @ W^T (transpose, W of shape (N, K)) or x @ W (W of shape (K, N)), W given quantized. x is
/// (..., K); w_q may have batch dims, which broadcast against x's. Result dtype: x's promoted
/// with the scales'.
array quantized_matmul(const array& x, const array& w_q, const array& scales, const array& biases,
                       bool transpose = true, int group_size = 64, int bits = 4,
                       StreamOrDevice s = {});
/// MLX's form (affine mode only; biases required).
array quantized_matmul(const array& x, const array& w_q, const array& scales,
                       const std::optional<array>& biases = std::nullopt, bool transpose = true,
                       std::optional<int> group_size = std::nullopt,
                       std::optional<int> bits = std::nullopt, const std::string& mode = "affine",
                       StreamOrDevice s = {});

/// quantized_matmul with matrix-level gathers, as gather_mm: out[i...] = x[lhs[i...]] @
/// W[rhs[i...]]^T (W^T when not `transpose`), W = dequantize(w_q, scales, biases), x and W
/// indexed by their flattened batch dimensions (default: every batch in order). Only the affine
/// mode is supported, so `biases` is required; group_size / bits default to 64 / 4.
/// `sorted_indices` is a hint. Computed by dequantizing the whole W, then gather_mm.
array gather_qmm(const array& x, const array& w_q, const array& scales,
                 const std::optional<array>& biases = std::nullopt,
                 std::optional<array> lhs_indices = std::nullopt,
                 std::optional<array> rhs_indices = std::nullopt, bool transpose = true,
                 std::optional<int> group_size = std::nullopt,
                 std::optional<int> bits = std::nullopt, const std::string& mode = "affine",
                 bool sorted_indices = false, StreamOrDevice s = {});
/// a @ H^T * scale along the last axis, H the n x n Hadamard matrix: Sylvester's for n = 2^k, and
/// H_m (x) H_{2^k} for n = m * 2^k with m in {12, 20, 28} (Sloane's matrices, as MLX). The default
/// scale is 1/sqrt(n) (orthonormal). Integer inputs give float32.
array hadamard_transform(const array& a, std::optional<float> scale = std::nullopt,
                         StreamOrDevice s = {});

}  // namespace tandem
