// Copyright © 2026 Tandem authors.
// Linear algebra (MLX's linalg.h, plus det and slogdet). Names, arguments and semantics follow
// MLX (NumPy where MLX is silent).
//
// Every function works on the last two axes of its input and is batched over the leading ones.
// Inputs must be float32 or float64 (norm and cross also take other dtypes: integers compute in
// float32). Eigen-decompositions of general matrices (eig, eigvals) return complex64.
// Kernels: LAPACK on the CPU; cuSOLVER / cuBLAS on the GPU (same results within rounding,
// except that the signs of singular vectors and eigenvectors may differ).
//
// Singular inputs: inv, tri_inv, solve and solve_triangular throw when the matrix is exactly
// singular (a zero pivot), cholesky throws when the matrix is not positive definite; the error
// surfaces when the result is evaluated. lu, lu_factor, det and slogdet accept singular matrices
// (det 0, slogdet sign 0 and log|det| -inf). On the GPU, these checks (and eig's) wait for the
// device once per call; svd and eigh do not check, a matrix whose solver fails to converge gets
// NaN results there instead of the CPU's exception.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tandem/array.h"
#include "tandem/stream.h"

namespace tandem::linalg {

/// Vector or matrix norm of order `ord` (NumPy's table: vectors any p incl. 0 and +-inf, matrices
/// 1, -1, 2, -2, +-inf). One axis: vector norm; two axes: matrix norm. Without `axis` the input
/// must be 1-D or 2-D.
array norm(const array& a, double ord, const std::optional<std::vector<int>>& axis = std::nullopt,
           bool keepdims = false, StreamOrDevice s = {});
array norm(const array& a, double ord, int axis, bool keepdims = false, StreamOrDevice s = {});
/// Matrix norm "fro" (or "f": Frobenius) or "nuc" (nuclear: sum of singular values) over the two
/// axes given, or of a 2-D input when `axis` is not given.
array norm(const array& a, const std::string& ord,
           const std::optional<std::vector<int>>& axis = std::nullopt, bool keepdims = false,
           StreamOrDevice s = {});
array norm(const array& a, const std::string& ord, int axis, bool keepdims = false,
           StreamOrDevice s = {});
/// 2-norm over `axis` (Frobenius for two axes); over all elements when `axis` is not given.
array norm(const array& a, const std::optional<std::vector<int>>& axis = std::nullopt,
           bool keepdims = false, StreamOrDevice s = {});
array norm(const array& a, int axis, bool keepdims = false, StreamOrDevice s = {});

/// Reduced QR: Q (..., M, K) with orthonormal columns and upper-triangular R (..., K, N),
/// K = min(M, N), a = Q @ R.
std::pair<array, array> qr(const array& a, StreamOrDevice s = {});

/// Singular value decomposition a = U @ diag(S) @ Vt with full U (..., M, M) and Vt (..., N, N);
/// S (..., K) descending. Returns {U, S, Vt}, or {S} when `compute_uv` is false.
std::vector<array> svd(const array& a, bool compute_uv, StreamOrDevice s = {});
inline std::vector<array> svd(const array& a, StreamOrDevice s = {}) {
  return svd(a, true, s);
}

/// Inverse of a square matrix.
array inv(const array& a, StreamOrDevice s = {});
/// Inverse of a triangular matrix; only the lower (or `upper`) triangle of `a` is read.
array tri_inv(const array& a, bool upper = false, StreamOrDevice s = {});

/// Cholesky factor L (lower, a = L @ L^T) of a symmetric positive-definite matrix, or U
/// (a = U^T @ U) when `upper`; only that triangle of `a` is read.
array cholesky(const array& a, bool upper = false, StreamOrDevice s = {});

/// Moore-Penrose pseudo-inverse (..., N, M) through the SVD; singular values below
/// max(M, N) * eps * max(S) count as zero.
array pinv(const array& a, StreamOrDevice s = {});

/// Inverse of A = L @ L^T (or U^T @ U when `upper`) given its Cholesky factor L (or U).
array cholesky_inv(const array& L, bool upper = false, StreamOrDevice s = {});

/// LU factorisation with partial pivoting: {P, L, U} with a = L[P] @ U; P (..., M) uint32 row
/// indices, L (..., M, K) unit lower-triangular, U (..., K, N) upper-triangular.
std::vector<array> lu(const array& a, StreamOrDevice s = {});

/// LAPACK-style LU: the packed factors (L below the diagonal, U on and above) and the pivots
/// (..., K) uint32, 0-based: row i was swapped with row pivots[i].
std::pair<array, array> lu_factor(const array& a, StreamOrDevice s = {});

/// x with a @ x = b for square a (..., N, N); b is a vector (N) or matrices (..., N, K)
/// (batch dimensions broadcast).
array solve(const array& a, const array& b, StreamOrDevice s = {});

/// x with T @ x = b, T the lower (or `upper`) triangle of a; b as in solve.
array solve_triangular(const array& a, const array& b, bool upper = false, StreamOrDevice s = {});

/// Cross product of 3-vectors (2-vectors get a zero third component) along `axis`; the other
/// dimensions broadcast.
array cross(const array& a, const array& b, int axis = -1, StreamOrDevice s = {});

/// Eigenvalues and right eigenvectors (columns, unit norm) of a general square matrix, complex64.
std::pair<array, array> eig(const array& a, StreamOrDevice s = {});
/// Eigenvalues of a general square matrix, complex64.
array eigvals(const array& a, StreamOrDevice s = {});

/// Eigenvalues (ascending) of a symmetric matrix; only the lower ("L") or upper ("U") triangle
/// is read.
array eigvalsh(const array& a, std::string UPLO = "L", StreamOrDevice s = {});
/// Eigenvalues (ascending) and orthonormal eigenvectors (columns) of a symmetric matrix:
/// a @ V = V @ diag(w). Only the UPLO triangle is read.
std::pair<array, array> eigh(const array& a, std::string UPLO = "L", StreamOrDevice s = {});

/// Determinant of square matrices (through the LU factorisation; not in MLX).
array det(const array& a, StreamOrDevice s = {});
/// {sign, log|det|} of square matrices: det = sign * exp(logabsdet); a singular matrix gives
/// sign 0 and logabsdet -inf (NumPy's slogdet; not in MLX).
std::pair<array, array> slogdet(const array& a, StreamOrDevice s = {});

}  // namespace tandem::linalg
