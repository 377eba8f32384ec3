// Copyright © 2026 Tandem authors.
// Typed row-major wrappers of the OpenBLAS calls the CPU matrix products make (matmul,
// gather_mm, block_masked_mm, convolution), plus a policy for running many small ones in
// parallel.
#pragma once

#include <cblas.h>

#include <complex>
#include <cstdint>
#include <type_traits>

#include "backend/common/blas_layout.h"
#include "backend/cpu/copy.h"

namespace tandem::cpu {

/// `x` in a BLAS layout, described by `l` (copied to row-major when it has none).
inline array blas_ready(const array& x, blas::MatLayout& l) {
  if (blas::matrix_layout(x, l)) return x;
  array c = make_contiguous(x);
  blas::matrix_layout(c, l);
  return c;
}

/// C = alpha * op(A) @ op(B) + beta * C, row-major, op = transpose when ta / tb.
template <typename T>
void gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
          const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  const auto opa = ta ? CblasTrans : CblasNoTrans;
  const auto opb = tb ? CblasTrans : CblasNoTrans;
  if constexpr (std::is_same_v<T, float>) {
    cblas_sgemm(CblasRowMajor, opa, opb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  } else if constexpr (std::is_same_v<T, double>) {
    cblas_dgemm(CblasRowMajor, opa, opb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  } else {
    static_assert(std::is_same_v<T, std::complex<float>>);
    cblas_cgemm(CblasRowMajor, opa, opb, M, N, K, &alpha, A, lda, B, ldb, &beta, C, ldc);
  }
}

/// y = op(A) @ x with A row-major (rows x cols, leading dimension lda), op = transpose when ta.
template <typename T>
void gemv(bool ta, int64_t rows, int64_t cols, const T* A, int64_t lda, const T* x, int64_t incx,
          T* y, int64_t incy) {
  const auto op = ta ? CblasTrans : CblasNoTrans;
  if constexpr (std::is_same_v<T, float>) {
    cblas_sgemv(CblasRowMajor, op, rows, cols, 1.0f, A, lda, x, incx, 0.0f, y, incy);
  } else if constexpr (std::is_same_v<T, double>) {
    cblas_dgemv(CblasRowMajor, op, rows, cols, 1.0, A, lda, x, incx, 0.0, y, incy);
  } else {
    static_assert(std::is_same_v<T, std::complex<float>>);
    const T one(1, 0), zero(0, 0);
    cblas_cgemv(CblasRowMajor, op, rows, cols, &one, A, lda, x, incx, &zero, y, incy);
  }
}

/// One matrix product C (M x N, row-major, leading dimension ldc) = A @ B where A (M x K) and
/// B (K x N) have BLAS layouts la / lb. Matrix-vector shapes (M == 1 or N == 1) go through GEMV,
/// which OpenBLAS runs several times faster than a GEMM with one row or column.
template <typename T>
void matmul_one(int64_t M, int64_t N, int64_t K, const T* A, const blas::MatLayout& la, const T* B,
                const blas::MatLayout& lb, T* C, int64_t ldc) {
  if (M == 1) {
    // c^T (N) = B^T a^T: a row of A is the vector.
    const int64_t incx = la.trans ? la.ld : 1;
    if (lb.trans) {
      gemv<T>(false, N, K, B, lb.ld, A, incx, C, 1);  // B stored as N x K
    } else {
      gemv<T>(true, K, N, B, lb.ld, A, incx, C, 1);  // B stored as K x N
    }
    return;
  }
  if (N == 1) {
    // c (M) = A b: a column of B is the vector.
    const int64_t incx = lb.trans ? 1 : lb.ld;
    if (la.trans) {
      gemv<T>(true, K, M, A, la.ld, B, incx, C, ldc);  // A stored as K x M
    } else {
      gemv<T>(false, M, K, A, la.ld, B, incx, C, ldc);  // A stored as M x K
    }
    return;
  }
  gemm<T>(la.trans, lb.trans, M, N, K, T(1), A, la.ld, B, lb.ld, T(0), C, ldc);
}

/// OpenBLAS runs a GEMM with M*N*K at most 64^3 on the calling thread only; many such products
/// are better spread over Tandem's pool (one product per task) than run one after another.
inline constexpr double kSmallGemm = 64.0 * 64.0 * 64.0;

}  // namespace tandem::cpu
