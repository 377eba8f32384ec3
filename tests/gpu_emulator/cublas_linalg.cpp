// Copyright © 2026 Tandem authors.
// The GPU emulator's cuBLAS linear algebra: the batched LU and triangular-solve routines the
// backend calls (backend/cuda/linalg.cu: cublas<t>getrfBatched, getrsBatched, trsm, trsmBatched,
// S and D), over host memory, computed by OpenBLAS (lapack.h). Signatures come from the
// toolkit's cublas_v2.h (so cublasStrsm is cublasStrsm_v2). The handle functions and the GEMM
// family live in cublas.cpp; the handle is only checked for null here.
//
// Semantics follow the cuBLAS documentation: column-major matrices; getrfBatched writes 1-based
// pivots (n per matrix at P + n i; P null: no pivoting) and per-matrix status words to "device"
// (here host) memory (0, or k when U(k, k) is exactly zero); getrsBatched reports invalid
// arguments in its host `info` (-j for the j-th argument, not counting the handle) and accepts a
// null pivot array (no pivoting); trsm solves op(A) X = alpha B or X op(A) = alpha B in place of
// B, reading alpha through its pointer (host and device memory are the same here). Invalid
// arguments return CUBLAS_STATUS_INVALID_VALUE.
#include <cublas_v2.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

#include "lapack.h"

namespace tandem_emu {

namespace {

bool valid_op(cublasOperation_t op) {
  return op == CUBLAS_OP_N || op == CUBLAS_OP_T || op == CUBLAS_OP_C;
}
char op_char(cublasOperation_t op) {
  return op == CUBLAS_OP_N ? 'N' : op == CUBLAS_OP_T ? 'T' : 'C';
}

template <typename T>
cublasStatus_t getrf_batched(cublasHandle_t h, int n, T* const a[], int lda, int* piv, int* info,
                             int batch) {
  if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (n < 0 || lda < std::max(1, n) || batch < 0) return CUBLAS_STATUS_INVALID_VALUE;
  if (batch > 0 && (!a || !info)) return CUBLAS_STATUS_INVALID_VALUE;
  for (int b = 0; b < batch; ++b) {
    info[b] = piv ? Lapack<T>::getrf(n, n, a[b], lda, piv + static_cast<int64_t>(b) * n)
                  : lu_no_pivot(n, n, a[b], lda);
  }
  return CUBLAS_STATUS_SUCCESS;
}

template <typename T>
cublasStatus_t getrs_batched(cublasHandle_t h, cublasOperation_t trans, int n, int nrhs,
                             const T* const a[], int lda, const int* piv, T* const b[], int ldb,
                             int* info, int batch) {
  if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
  int bad = 0;
  if (!valid_op(trans)) {
    bad = 1;
  } else if (n < 0) {
    bad = 2;
  } else if (nrhs < 0) {
    bad = 3;
  } else if (batch > 0 && !a) {
    bad = 4;
  } else if (lda < std::max(1, n)) {
    bad = 5;
  } else if (batch > 0 && !b) {
    bad = 7;
  } else if (ldb < std::max(1, n)) {
    bad = 8;
  } else if (batch < 0) {
    bad = 10;
  }
  if (!info) return CUBLAS_STATUS_INVALID_VALUE;
  *info = -bad;
  if (bad) return CUBLAS_STATUS_INVALID_VALUE;
  // No pivot array: the factors came from an unpivoted LU, whose row order is the identity.
  std::vector<int> identity;
  if (!piv) {
    identity.resize(static_cast<size_t>(std::max(n, 1)));
    std::iota(identity.begin(), identity.end(), 1);
  }
  for (int k = 0; k < batch; ++k) {
    const int* p = piv ? piv + static_cast<int64_t>(k) * n : identity.data();
    if (Lapack<T>::getrs(op_char(trans), n, nrhs, a[k], lda, p, b[k], ldb) < 0) {
      return CUBLAS_STATUS_INTERNAL_ERROR;
    }
  }
  return CUBLAS_STATUS_SUCCESS;
}

// The trsm checks shared by the single and batched forms.
bool trsm_valid(cublasSideMode_t side, cublasFillMode_t uplo, cublasOperation_t trans,
                cublasDiagType_t diag, int m, int n, const void* alpha, int lda, int ldb) {
  if (side != CUBLAS_SIDE_LEFT && side != CUBLAS_SIDE_RIGHT) return false;
  if (uplo != CUBLAS_FILL_MODE_LOWER && uplo != CUBLAS_FILL_MODE_UPPER) return false;
  if (!valid_op(trans)) return false;
  if (diag != CUBLAS_DIAG_NON_UNIT && diag != CUBLAS_DIAG_UNIT) return false;
  if (m < 0 || n < 0 || !alpha) return false;
  const int k = side == CUBLAS_SIDE_LEFT ? m : n;
  return lda >= std::max(1, k) && ldb >= std::max(1, m);
}

template <typename T>
void trsm_one(cublasSideMode_t side, cublasFillMode_t uplo, cublasOperation_t trans,
              cublasDiagType_t diag, int m, int n, T alpha, const T* a, int lda, T* b, int ldb) {
  if (m == 0 || n == 0) return;
  Lapack<T>::trsm(side == CUBLAS_SIDE_LEFT ? 'L' : 'R', uplo == CUBLAS_FILL_MODE_UPPER ? 'U' : 'L',
                  op_char(trans), diag == CUBLAS_DIAG_UNIT ? 'U' : 'N', m, n, alpha, a, lda, b,
                  ldb);
}

template <typename T>
cublasStatus_t trsm(cublasHandle_t h, cublasSideMode_t side, cublasFillMode_t uplo,
                    cublasOperation_t trans, cublasDiagType_t diag, int m, int n, const T* alpha,
                    const T* a, int lda, T* b, int ldb) {
  if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (!trsm_valid(side, uplo, trans, diag, m, n, alpha, lda, ldb)) {
    return CUBLAS_STATUS_INVALID_VALUE;
  }
  trsm_one(side, uplo, trans, diag, m, n, *alpha, a, lda, b, ldb);
  return CUBLAS_STATUS_SUCCESS;
}

template <typename T>
cublasStatus_t trsm_batched(cublasHandle_t h, cublasSideMode_t side, cublasFillMode_t uplo,
                            cublasOperation_t trans, cublasDiagType_t diag, int m, int n,
                            const T* alpha, const T* const a[], int lda, T* const b[], int ldb,
                            int batch) {
  if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (!trsm_valid(side, uplo, trans, diag, m, n, alpha, lda, ldb) || batch < 0) {
    return CUBLAS_STATUS_INVALID_VALUE;
  }
  if (batch > 0 && (!a || !b)) return CUBLAS_STATUS_INVALID_VALUE;
  for (int k = 0; k < batch; ++k)
    trsm_one(side, uplo, trans, diag, m, n, *alpha, a[k], lda, b[k], ldb);
  return CUBLAS_STATUS_SUCCESS;
}

}  // namespace

}  // namespace tandem_emu

using namespace tandem_emu;

extern "C" {

#define TANDEM_EMU_CUBLAS_LINALG(T, p)                                                          \
  cublasStatus_t cublas##p##getrfBatched(cublasHandle_t handle, int n, T* const A[], int lda,   \
                                         int* P, int* info, int batchSize) {                    \
    return getrf_batched<T>(handle, n, A, lda, P, info, batchSize);                             \
  }                                                                                             \
  cublasStatus_t cublas##p##getrsBatched(                                                       \
      cublasHandle_t handle, cublasOperation_t trans, int n, int nrhs, const T* const Aarray[], \
      int lda, const int* devIpiv, T* const Barray[], int ldb, int* info, int batchSize) {      \
    return getrs_batched<T>(handle, trans, n, nrhs, Aarray, lda, devIpiv, Barray, ldb, info,    \
                            batchSize);                                                         \
  }                                                                                             \
  cublasStatus_t cublas##p##trsm_v2(cublasHandle_t handle, cublasSideMode_t side,               \
                                    cublasFillMode_t uplo, cublasOperation_t trans,             \
                                    cublasDiagType_t diag, int m, int n, const T* alpha,        \
                                    const T* A, int lda, T* B, int ldb) {                       \
    return trsm<T>(handle, side, uplo, trans, diag, m, n, alpha, A, lda, B, ldb);               \
  }                                                                                             \
  cublasStatus_t cublas##p##trsmBatched(                                                        \
      cublasHandle_t handle, cublasSideMode_t side, cublasFillMode_t uplo,                      \
      cublasOperation_t trans, cublasDiagType_t diag, int m, int n, const T* alpha,             \
      const T* const A[], int lda, T* const B[], int ldb, int batchCount) {                     \
    return trsm_batched<T>(handle, side, uplo, trans, diag, m, n, alpha, A, lda, B, ldb,        \
                           batchCount);                                                         \
  }

TANDEM_EMU_CUBLAS_LINALG(float, S)
TANDEM_EMU_CUBLAS_LINALG(double, D)
#undef TANDEM_EMU_CUBLAS_LINALG

}  // extern "C"
