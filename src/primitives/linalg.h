// Copyright © 2026 Tandem authors.
// Primitives of the linear algebra ops (include/tandem/linalg.h). The other linalg ops (norm,
// pinv, cholesky_inv, lu, det, slogdet, cross) are compositions of these and the core ops.
//
// Every primitive here takes float32 or float64 matrices in the last two axes, batched over the
// leading axes (any number, including none), in any memory layout; outputs are row-contiguous.
// The CPU kernels (backend/cpu/linalg.cpp) call LAPACK once per matrix; the GPU kernels
// (backend/cuda/linalg.cu) call cuSOLVER / cuBLAS, batched for small matrices. The derivative and
// batching rules are in rules_linalg.cpp.
#pragma once

#include "primitives/primitives.h"

namespace tandem {

/// Inverse of square matrices. With `tri`, the input is triangular: only its lower (or `upper`)
/// triangle is read and the output's other triangle is zero.
class Inverse : public Primitive {
 public:
  Inverse(Stream s, bool tri, bool upper) : Primitive(s), tri_(tri), upper_(upper) {}
  bool tri() const { return tri_; }
  bool upper() const { return upper_; }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[0].shape()};
  }
  std::string name() const override;
  bool is_equivalent(const Primitive& other) const override;

 private:
  bool tri_;
  bool upper_;
};

/// Cholesky factor of symmetric positive-definite matrices: L (a = L L^T) reading the lower
/// triangle, or U (a = U^T U) reading the upper triangle when `upper`. The other triangle of the
/// output is zero.
class Cholesky : public Primitive {
 public:
  Cholesky(Stream s, bool upper) : Primitive(s), upper_(upper) {}
  bool upper() const { return upper_; }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[0].shape()};
  }
  std::string name() const override { return upper_ ? "Cholesky(upper)" : "Cholesky"; }
  bool is_equivalent(const Primitive& other) const override;

 private:
  bool upper_;
};

/// Reduced QR of (..., M, N): outputs Q (..., M, K) and R (..., K, N), K = min(M, N).
class QRF : public Primitive {
 public:
  explicit QRF(Stream s) : Primitive(s) {}
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override;
  std::string name() const override { return "QRF"; }
  bool is_equivalent(const Primitive& other) const override {
    return dynamic_cast<const QRF*>(&other) != nullptr;
  }
};

/// SVD of (..., M, N): outputs U (..., M, M), S (..., K) descending and Vt (..., N, N) with
/// a = U[..., :K] diag(S) Vt[..., :K, :]; only S when not `compute_uv`.
class SVD : public Primitive {
 public:
  SVD(Stream s, bool compute_uv) : Primitive(s), compute_uv_(compute_uv) {}
  bool compute_uv() const { return compute_uv_; }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override;
  std::string name() const override { return compute_uv_ ? "SVD" : "SVD(values)"; }
  bool is_equivalent(const Primitive& other) const override;

 private:
  bool compute_uv_;
};

/// Symmetric eigen-decomposition reading the `uplo` ('L' or 'U') triangle: outputs the
/// eigenvalues w (..., N) ascending and, with `compute_eigenvectors`, V (..., N, N) with
/// orthonormal columns, a = V diag(w) V^T.
class Eigh : public Primitive {
 public:
  Eigh(Stream s, char uplo, bool compute_eigenvectors)
      : Primitive(s), uplo_(uplo), compute_eigenvectors_(compute_eigenvectors) {}
  char uplo() const { return uplo_; }
  bool compute_eigenvectors() const { return compute_eigenvectors_; }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override;
  std::string name() const override;
  bool is_equivalent(const Primitive& other) const override;

 private:
  char uplo_;
  bool compute_eigenvectors_;
};

/// General eigen-decomposition: complex64 eigenvalues (..., N) and, with
/// `compute_eigenvectors`, right eigenvectors (..., N, N) as unit-norm columns.
class Eig : public Primitive {
 public:
  Eig(Stream s, bool compute_eigenvectors)
      : Primitive(s), compute_eigenvectors_(compute_eigenvectors) {}
  bool compute_eigenvectors() const { return compute_eigenvectors_; }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override;
  std::string name() const override { return compute_eigenvectors_ ? "Eig" : "Eig(values)"; }
  bool is_equivalent(const Primitive& other) const override;

 private:
  bool compute_eigenvectors_;
};

/// LU with partial pivoting of (..., M, N): outputs the packed factors LU (..., M, N), the
/// 0-based LAPACK pivots (..., K) uint32, and the row indices P (..., M) uint32 with
/// a = (L @ U)[P] (P is the inverse of the permutation the pivots apply).
class LUF : public Primitive {
 public:
  explicit LUF(Stream s) : Primitive(s) {}
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override;
  std::string name() const override { return "LUF"; }
  bool is_equivalent(const Primitive& other) const override {
    return dynamic_cast<const LUF*>(&other) != nullptr;
  }
};

/// x = a^-1 b for square a (..., N, N) and b (..., N, K) with the same batch dimensions.
class Solve : public Primitive {
 public:
  explicit Solve(Stream s) : Primitive(s) {}
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[1].shape()};
  }
  std::string name() const override { return "Solve"; }
  bool is_equivalent(const Primitive& other) const override {
    return dynamic_cast<const Solve*>(&other) != nullptr;
  }
};

/// x = T^-1 b with T the lower (or `upper`) triangle of a (..., N, N); b (..., N, K) with the
/// same batch dimensions.
class SolveTriangular : public Primitive {
 public:
  SolveTriangular(Stream s, bool upper) : Primitive(s), upper_(upper) {}
  bool upper() const { return upper_; }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[1].shape()};
  }
  std::string name() const override {
    return upper_ ? "SolveTriangular(upper)" : "SolveTriangular";
  }
  bool is_equivalent(const Primitive& other) const override;

 private:
  bool upper_;
};

namespace detail {
/// The raw LUF outputs {LU, pivots, P} of a float32/float64 array with >= 2 dimensions.
std::vector<array> lu_factor_all(const array& a, StreamOrDevice s = {});
}  // namespace detail

}  // namespace tandem
