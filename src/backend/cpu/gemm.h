// Copyright © 2026 Tandem authors.
// Typed row-major wrappers of the OpenBLAS calls the CPU matrix products make (matmul,
// gather_mm, block_masked_mm, convolution), plus a policy for running many small ones in
// parallel.
#pragma once

#include <cblas.h>

#include <algorithm>
#include <complex>
#include <cstdint>
#include <type_traits>

#include "backend/common/blas_layout.h"
#include "backend/cpu/blas_threads.h"
#include "backend/cpu/copy.h"
#include "backend/cpu/threading.h"

namespace tandem::cpu {

/// `x` in a BLAS layout, described by `l` (copied to row-major when it has none).
inline array blas_ready(const array& x, blas::MatLayout& l) {
  if (blas::matrix_layout(x, l)) return x;
  array c = make_contiguous(x);
  blas::matrix_layout(c, l);
  return c;
}

/// OpenBLAS runs a GEMM with M*N*K at most 64^3 on the calling thread only; many such products
/// are better spread over Tandem's pool (one product per task) than run one after another.
inline constexpr double kSmallGemm = 64.0 * 64.0 * 64.0;

/// One BLAS call, C = alpha * op(A) @ op(B) + beta * C, row-major.
template <typename T>
void gemm_call(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
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

/// C = alpha * op(A) @ op(B) + beta * C, row-major, op = transpose when ta / tb. With OpenBLAS
/// single-threaded (blas_threads.h) a large product is cut into blocks of C's rows (or columns,
/// when C is wider than tall), multiples of 16, one single-threaded call per pool task.
template <typename T>
void gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
          const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  auto part = [&](int64_t m0, int64_t m, int64_t n0, int64_t n) {
    gemm_call<T>(ta, tb, m, n, K, alpha, A + (ta ? m0 : m0 * lda), lda, B + (tb ? n0 * ldb : n0),
                 ldb, beta, C + m0 * ldc + n0, ldc);
  };
  const double work = static_cast<double>(M) * N * K;
  if (!blas_on_pool() || num_threads() == 1 || work < 2 * kSmallGemm) {
    part(0, M, 0, N);
    return;
  }
  constexpr int64_t kBlock = 16;
  const bool by_rows = M >= N;
  const int64_t len = by_rows ? M : N, other = by_rows ? N : M;
  const int64_t blocks = (len + kBlock - 1) / kBlock;
  // Each task gets at least ~kSmallGemm of work.
  const size_t grain = static_cast<size_t>(std::max<double>(
      1.0, kSmallGemm / (static_cast<double>(kBlock) * other * std::max<int64_t>(K, 1))));
  parallel_for(blocks, grain, [&](size_t b, size_t e) {
    const int64_t s = static_cast<int64_t>(b) * kBlock;
    const int64_t n = std::min(len, static_cast<int64_t>(e) * kBlock) - s;
    if (by_rows) {
      part(s, n, 0, N);
    } else {
      part(0, M, s, n);
    }
  });
}

/// One BLAS call, y = op(A) @ x with A row-major.
template <typename T>
void gemv_call(bool ta, int64_t rows, int64_t cols, const T* A, int64_t lda, const T* x,
               int64_t incx, T* y, int64_t incy) {
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

/// y = op(A) @ x with A row-major (rows x cols, leading dimension lda), op = transpose when ta.
/// With OpenBLAS single-threaded, a large one is cut into blocks of y over the pool.
template <typename T>
void gemv(bool ta, int64_t rows, int64_t cols, const T* A, int64_t lda, const T* x, int64_t incx,
          T* y, int64_t incy) {
  const int64_t L = ta ? cols : rows;  // outputs
  auto part = [&](int64_t l0, int64_t n) {
    if (ta) {
      gemv_call<T>(true, rows, n, A + l0, lda, x, incx, y + l0 * incy, incy);
    } else {
      gemv_call<T>(false, n, cols, A + l0 * lda, lda, x, incx, y + l0 * incy, incy);
    }
  };
  constexpr int64_t kBlock = 64;
  const int64_t other = ta ? rows : cols;
  if (!blas_on_pool() || num_threads() == 1 || L * other < (int64_t(1) << 17) || L < 2 * kBlock) {
    part(0, L);
    return;
  }
  const int64_t blocks = (L + kBlock - 1) / kBlock;
  const size_t grain = static_cast<size_t>(
      std::max<int64_t>(1, (int64_t(1) << 16) / (kBlock * std::max<int64_t>(other, 1))));
  parallel_for(blocks, grain, [&](size_t b, size_t e) {
    const int64_t s = static_cast<int64_t>(b) * kBlock;
    part(s, std::min(L, static_cast<int64_t>(e) * kBlock) - s);
  });
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

}  // namespace tandem::cpu
