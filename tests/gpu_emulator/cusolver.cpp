// Copyright © 2026 Tandem authors.
// The GPU emulator's cuSOLVER: the dense-solver (cusolverDn) routines the backend calls
// (backend/cuda/linalg.cu, solver.h), over host memory, computed by OpenBLAS's LAPACK
// (lapack.h). Signatures come from the toolkit's cusolverDn.h.
//
// Semantics follow the cuSOLVER documentation: column-major matrices with the given leading
// dimensions; status words written to "device" (here host) memory as int: 0 on success, -i for
// an invalid i-th argument (not counting the handle; the call then also returns
// CUSOLVER_STATUS_INVALID_VALUE), and the routine's positive codes (LAPACK's for getrf, potrf,
// gesvd, syevd and geev; min(m, n) + 1 for gesvdjBatched and n + 1 for syevjBatched when the
// Jacobi iteration does not converge); pivots 1-based. The Jacobi routines (gesvdjBatched,
// syevjBatched) are computed by LAPACK's QR-type solvers: singular values descending, eigenvalues
// ascending (the documented default order), singular vectors and eigenvectors up to sign.
//
// Workspaces: the *_bufferSize functions report sizes from fixed formulas (positive, so callers
// allocate something); the routines check that the workspace passed is at least that large
// (CUSOLVER_STATUS_INVALID_VALUE otherwise), fill it with NaN (its content is undefined) and
// compute in workspaces of their own. Outputs documented as destroyed (A of gesvdjBatched, of
// syevjBatched without vectors) are filled with NaN, so that a caller relying on them fails.
//
// Implemented: handles and parameter objects; S and D getrf_bufferSize / getrf (devIpiv may be
// null: no pivoting), getrs, potrfBatched, geqrf_bufferSize / geqrf, orgqr_bufferSize / orgqr,
// gesvdjBatched_bufferSize / gesvdjBatched, syevjBatched_bufferSize / syevjBatched; the 64-bit
// generic API Xpotrf, Xgesvd, Xsyevd and Xgeev (with their _bufferSize) for the four float types
// R_32F, R_64F, C_32F, C_64F in the combinations the documentation lists. Xgeev computes right
// eigenvectors only (jobvl must be CUSOLVER_EIG_MODE_NOVECTOR, as documented; otherwise
// CUSOLVER_STATUS_NOT_SUPPORTED). Other routines are not defined here.
#include <cusolverDn.h>

#include <algorithm>
#include <climits>
#include <complex>
#include <cstdint>
#include <vector>

#include "lapack.h"

// The opaque objects behind cuSOLVER's handles.
struct cusolverDnContext {
  cudaStream_t stream = nullptr;
};
struct cusolverDnParams {
  int unused = 0;
};
struct gesvdjInfo {
  double tolerance = 0.0;
  int max_sweeps = 100;
  int sort = 1;
};
struct syevjInfo {
  double tolerance = 0.0;
  int max_sweeps = 100;
  int sort = 1;
};

namespace tandem_emu {

namespace {

using c64 = std::complex<float>;
using c128 = std::complex<double>;

constexpr cusolverStatus_t kOk = CUSOLVER_STATUS_SUCCESS;

// Reports the invalid argument `index` (1-based, not counting the handle) in *info when there is
// one, and returns CUSOLVER_STATUS_INVALID_VALUE.
cusolverStatus_t invalid(int* info, int index) {
  if (info) *info = -index;
  return CUSOLVER_STATUS_INVALID_VALUE;
}

bool valid_fill(cublasFillMode_t uplo) {
  return uplo == CUBLAS_FILL_MODE_LOWER || uplo == CUBLAS_FILL_MODE_UPPER;
}
char fill_char(cublasFillMode_t uplo) {
  return uplo == CUBLAS_FILL_MODE_UPPER ? 'U' : 'L';
}

bool valid_eig_mode(cusolverEigMode_t mode) {
  return mode == CUSOLVER_EIG_MODE_NOVECTOR || mode == CUSOLVER_EIG_MODE_VECTOR;
}

bool valid_op(cublasOperation_t op) {
  return op == CUBLAS_OP_N || op == CUBLAS_OP_T || op == CUBLAS_OP_C;
}
char op_char(cublasOperation_t op) {
  return op == CUBLAS_OP_N ? 'N' : op == CUBLAS_OP_T ? 'T' : 'C';
}

int clamp_int(int64_t v) {
  return static_cast<int>(std::min<int64_t>(std::max<int64_t>(v, 1), INT_MAX));
}

// ---------------- workspace sizes (elements of the routine's type) ----------------

int getrf_lwork(int n) {
  return clamp_int(32 * static_cast<int64_t>(std::max(1, n)));
}
int geqrf_lwork(int n) {
  return clamp_int(32 * static_cast<int64_t>(std::max(1, n)));
}
int orgqr_lwork(int n) {
  return clamp_int(32 * static_cast<int64_t>(std::max(1, n)));
}
int gesvdj_lwork(int m, int n) {
  return clamp_int(static_cast<int64_t>(m) * n + 32 * static_cast<int64_t>(std::max({m, n, 1})));
}
int syevj_lwork(int n) {
  return clamp_int(static_cast<int64_t>(n) * n + 32 * static_cast<int64_t>(std::max(n, 1)));
}

// Checks a workspace of `lwork` elements against the required `need` and poisons the part the
// routine may use. False when it is too small or missing.
template <typename T>
bool take_workspace(T* work, int64_t lwork, int64_t need) {
  if (need > 0 && (!work || lwork < need)) return false;
  poison(work, need);
  return true;
}

// ---------------- legacy (32-bit) routines ----------------

template <typename T>
cusolverStatus_t getrf_size(cusolverDnHandle_t h, int m, int n, int lda, int* lwork) {
  if (!h) return CUSOLVER_STATUS_NOT_INITIALIZED;
  if (m < 0) return invalid(nullptr, 1);
  if (n < 0) return invalid(nullptr, 2);
  if (lda < std::max(1, m)) return invalid(nullptr, 4);
  if (!lwork) return invalid(nullptr, 5);
  *lwork = getrf_lwork(n);
  return kOk;
}

template <typename T>
cusolverStatus_t getrf(cusolverDnHandle_t h, int m, int n, T* a, int lda, T* work, int* ipiv,
                       int* info) {
  if (!h) return CUSOLVER_STATUS_NOT_INITIALIZED;
  if (m < 0) return invalid(info, 1);
  if (n < 0) return invalid(info, 2);
  if (!a && m > 0 && n > 0) return invalid(info, 3);
  if (lda < std::max(1, m)) return invalid(info, 4);
  if (!take_workspace(work, getrf_lwork(n), getrf_lwork(n))) return invalid(info, 5);
  if (!info) return invalid(nullptr, 7);
  *info = ipiv ? Lapack<T>::getrf(m, n, a, lda, ipiv) : lu_no_pivot(m, n, a, lda);
  return kOk;
}

template <typename T>
cusolverStatus_t getrs(cusolverDnHandle_t h, cublasOperation_t trans, int n, int nrhs, const T* a,
                       int lda, const int* ipiv, T* b, int ldb, int* info) {
  if (!h) return CUSOLVER_STATUS_NOT_INITIALIZED;
  if (!valid_op(trans)) return invalid(info, 1);
  if (n < 0) return invalid(info, 2);
  if (nrhs < 0) return invalid(info, 3);
  if (!a && n > 0) return invalid(info, 4);
  if (lda < std::max(1, n)) return invalid(info, 5);
  if (!ipiv && n > 0) return invalid(info, 6);
  if (!b && n > 0 && nrhs > 0) return invalid(info, 7);
  if (ldb < std::max(1, n)) return invalid(info, 8);
  if (!info) return invalid(nullptr, 9);
  const int r = Lapack<T>::getrs(op_char(trans), n, nrhs, a, lda, ipiv, b, ldb);
  *info = r;
  return r < 0 ? CUSOLVER_STATUS_INVALID_VALUE : kOk;
}

template <typename T>
cusolverStatus_t potrf_batched(cusolverDnHandle_t h, cublasFillMode_t uplo, int n, T* a[], int lda,
                               int* info, int batch) {
  if (!h) return CUSOLVER_STATUS_NOT_INITIALIZED;
  if (!valid_fill(uplo)) return invalid(info, 1);
  if (n < 0) return invalid(info, 2);
  if (!a && batch > 0) return invalid(info, 3);
  if (lda < std::max(1, n)) return invalid(info, 4);
  if (!info && batch > 0) return invalid(nullptr, 5);
  if (batch < 0) return invalid(info, 6);
  for (int b = 0; b < batch; ++b)
    info[b] = Lapack<T>::potrf(fill_char(uplo), n, a[b], lda);
  return kOk;
}

template <typename T>
cusolverStatus_t geqrf_size(cusolverDnHandle_t h, int m, int n, int lda, int* lwork) {
  if (!h) return CUSOLVER_STATUS_NOT_INITIALIZED;
  if (m < 0) return invalid(nullptr, 1);
  if (n < 0) return invalid(nullptr, 2);
  if (lda < std::max(1, m)) return invalid(nullptr, 4);
  if (!lwork) return invalid(nullptr, 5);
  *lwork = geqrf_lwork(n);
  return kOk;
}

template <typename T>
cusolverStatus_t geqrf(cusolverDnHandle_t h, int m, int n, T* a, int lda, T* tau, T* work,
                       int lwork, int* info) {
  if (!h) return CUSOLVER_STATUS_NOT_INITIALIZED;
  if (m < 0) return invalid(info, 1);
  if (n < 0) return invalid(info, 2);
  if (!a && m > 0 && n > 0) return invalid(info, 3);
  if (lda < std::max(1, m)) return invalid(info, 4);
  if (!tau && std::min(m, n) > 0) return invalid(info, 5);
  if (!take_workspace(work, lwork, geqrf_lwork(n))) return invalid(info, 7);
  if (!info) return invalid(nullptr, 8);
  *info = Lapack<T>::geqrf(m, n, a, lda, tau);
  return *info < 0 ? CUSOLVER_STATUS_INVALID_VALUE : kOk;
}

template <typename T>
cusolverStatus_t orgqr_size(cusolverDnHandle_t h, int m, int n, int k, int lda, int* lwork) {
  if (!h) return CUSOLVER_STATUS_NOT_INITIALIZED;
  if (m < 0) return invalid(nullptr, 1);
  if (n < 0 || n > m) return invalid(nullptr, 2);
  if (k < 0 || k > n) return invalid(nullptr, 3);
  if (lda < std::max(1, m)) return invalid(nullptr, 5);
  if (!lwork) return invalid(nullptr, 7);
  *lwork = orgqr_lwork(n);
  return kOk;
}

template <typename T>
cusolverStatus_t orgqr(cusolverDnHandle_t h, int m, int n, int k, T* a, int lda, const T* tau,
                       T* work, int lwork, int* info) {
  if (!h) return CUSOLVER_STATUS_NOT_INITIALIZED;
  if (m < 0) return invalid(info, 1);
  if (n < 0 || n > m) return invalid(info, 2);
  if (k < 0 || k > n) return invalid(info, 3);
  if (!a && n > 0) return invalid(info, 4);
  if (lda < std::max(1, m)) return invalid(info, 5);
  if (!tau && k > 0) return invalid(info, 6);
  if (!take_workspace(work, lwork, orgqr_lwork(n))) return invalid(info, 8);
  if (!info) return invalid(nullptr, 9);
  *info = Lapack<T>::orgqr(m, n, k, a, lda, tau);
  return *info < 0 ? CUSOLVER_STATUS_INVALID_VALUE : kOk;
}

// gesvdjBatched's argument checks (shared with its _bufferSize); 0 or the invalid argument.
int gesvdj_batched_check(cusolverEigMode_t jobz, int m, int n, int lda, int ldu, int ldv,
                         int batch) {
  if (!valid_eig_mode(jobz)) return 1;
  if (m < 0 || m > 32) return 2;
  if (n < 0 || n > 32) return 3;
  if (lda < std::max(1, m)) return 5;
  if (ldu < std::max(1, m)) return 8;
  if (ldv < std::max(1, n)) return 10;
  if (batch < 0) return 15;
  return 0;
}

template <typename T>
cusolverStatus_t gesvdj_batched_size(cusolverDnHandle_t h, cusolverEigMode_t jobz, int m, int n,
                                     int lda, int ldu, int ldv, int* lwork, gesvdjInfo_t params,
                                     int batch) {
  if (!h) return CUSOLVER_STATUS_NOT_INITIALIZED;
  if (const int bad = gesvdj_batched_check(jobz, m, n, lda, ldu, ldv, batch)) {
    return invalid(nullptr, bad);
  }
  if (!lwork) return invalid(nullptr, 12);
  if (!params) return invalid(nullptr, 13);
  *lwork = gesvdj_lwork(m, n);
  return kOk;
}

// A_k = U_k S_k V_k^T for the batch: A_k at a + lda n k, S_k at s + min(m, n) k, U_k (m x m) at
// u + ldu m k, V_k (n x n, V itself, not V^T) at v + ldv n k. A is destroyed.
template <typename T>
cusolverStatus_t gesvdj_batched(cusolverDnHandle_t h, cusolverEigMode_t jobz, int m, int n, T* a,
                                int lda, T* s, T* u, int ldu, T* v, int ldv, T* work, int lwork,
                                int* info, gesvdjInfo_t params, int batch) {
  if (!h) return CUSOLVER_STATUS_NOT_INITIALIZED;
  if (const int bad = gesvdj_batched_check(jobz, m, n, lda, ldu, ldv, batch)) {
    return invalid(info, bad);
  }
  const bool vectors = jobz == CUSOLVER_EIG_MODE_VECTOR;
  const int k = std::min(m, n);
  if (batch > 0) {
    if (!a && m > 0 && n > 0) return invalid(info, 4);
    if (!s && k > 0) return invalid(info, 6);
    if (vectors && !u && m > 0) return invalid(info, 7);
    if (vectors && !v && n > 0) return invalid(info, 9);
    if (!info) return invalid(nullptr, 13);
  }
  if (!take_workspace(work, lwork, gesvdj_lwork(m, n))) return invalid(info, 11);
  if (!params) return invalid(info, 14);
  const int64_t sa = static_cast<int64_t>(lda) * n, su = static_cast<int64_t>(ldu) * m,
                sv = static_cast<int64_t>(ldv) * n;
  std::vector<T> wa(static_cast<size_t>(std::max(1, m * n)));
  std::vector<T> wu(static_cast<size_t>(std::max(1, m * m)));
  std::vector<T> wvt(static_cast<size_t>(std::max(1, n * n)));
  const char job = vectors ? 'A' : 'N';
  for (int b = 0; b < batch; ++b) {
    T* ab = a + b * sa;
    for (int j = 0; j < n; ++j)
      for (int i = 0; i < m; ++i)
        wa[i + static_cast<size_t>(j) * m] = ab[i + static_cast<int64_t>(j) * lda];
    int r = 0;
    if (k > 0) {
      r = Lapack<T>::gesvd(job, job, m, n, wa.data(), std::max(1, m),
                           s + static_cast<int64_t>(b) * k, wu.data(), std::max(1, m), wvt.data(),
                           std::max(1, n));
    } else {
      // No singular values: U and V are identities.
      std::fill(wu.begin(), wu.end(), T(0));
      std::fill(wvt.begin(), wvt.end(), T(0));
      for (int i = 0; i < m; ++i)
        wu[i + static_cast<size_t>(i) * m] = T(1);
      for (int i = 0; i < n; ++i)
        wvt[i + static_cast<size_t>(i) * n] = T(1);
    }
    if (r < 0) return CUSOLVER_STATUS_INTERNAL_ERROR;
    info[b] = r > 0 ? k + 1 : 0;
    if (vectors) {
      T* ub = u + b * su;
      T* vb = v + b * sv;
      for (int j = 0; j < m; ++j)
        for (int i = 0; i < m; ++i)
          ub[i + static_cast<int64_t>(j) * ldu] = wu[i + static_cast<size_t>(j) * m];
      for (int j = 0; j < n; ++j)
        for (int i = 0; i < n; ++i)
          vb[i + static_cast<int64_t>(j) * ldv] = wvt[j + static_cast<size_t>(i) * n];  // V = VT^T
    }
    for (int j = 0; j < n; ++j)
      poison(ab + static_cast<int64_t>(j) * lda, m);
  }
  return kOk;
}

// syevjBatched's argument checks (shared with its _bufferSize); 0 or the invalid argument.
int syevj_batched_check(cusolverEigMode_t jobz, cublasFillMode_t uplo, int n, int lda, int batch) {
  if (!valid_eig_mode(jobz)) return 1;
  if (!valid_fill(uplo)) return 2;
  if (n < 0 || n > 32) return 3;
  if (lda < std::max(1, n)) return 5;
  if (batch < 0) return 11;
  return 0;
}

template <typename T>
cusolverStatus_t syevj_batched_size(cusolverDnHandle_t h, cusolverEigMode_t jobz,
                                    cublasFillMode_t uplo, int n, int lda, int* lwork,
                                    syevjInfo_t params, int batch) {
  if (!h) return CUSOLVER_STATUS_NOT_INITIALIZED;
  if (const int bad = syevj_batched_check(jobz, uplo, n, lda, batch)) return invalid(nullptr, bad);
  if (!lwork) return invalid(nullptr, 8);
  if (!params) return invalid(nullptr, 9);
  *lwork = syevj_lwork(n);
  return kOk;
}

// A_k V_k = V_k diag(W_k) for the batch (the `uplo` triangle of A_k at a + lda n k is read):
// W_k ascending at w + n k; with vectors, A_k is overwritten by V_k (orthonormal columns),
// otherwise destroyed.
template <typename T>
cusolverStatus_t syevj_batched(cusolverDnHandle_t h, cusolverEigMode_t jobz, cublasFillMode_t uplo,
                               int n, T* a, int lda, T* w, T* work, int lwork, int* info,
                               syevjInfo_t params, int batch) {
  if (!h) return CUSOLVER_STATUS_NOT_INITIALIZED;
  if (const int bad = syevj_batched_check(jobz, uplo, n, lda, batch)) return invalid(info, bad);
  if (batch > 0) {
    if (!a && n > 0) return invalid(info, 4);
    if (!w && n > 0) return invalid(info, 6);
    if (!info) return invalid(nullptr, 9);
  }
  if (!take_workspace(work, lwork, syevj_lwork(n))) return invalid(info, 7);
  if (!params) return invalid(info, 10);
  const bool vectors = jobz == CUSOLVER_EIG_MODE_VECTOR;
  const int64_t sa = static_cast<int64_t>(lda) * n;
  std::vector<T> wa(static_cast<size_t>(std::max(1, n * n)));
  for (int b = 0; b < batch; ++b) {
    T* ab = a + b * sa;
    for (int j = 0; j < n; ++j)
      for (int i = 0; i < n; ++i)
        wa[i + static_cast<size_t>(j) * n] = ab[i + static_cast<int64_t>(j) * lda];
    const int r = n > 0 ? Lapack<T>::syevd(vectors ? 'V' : 'N', fill_char(uplo), n, wa.data(), n,
                                           w + static_cast<int64_t>(b) * n)
                        : 0;
    if (r < 0) return CUSOLVER_STATUS_INTERNAL_ERROR;
    info[b] = r > 0 ? n + 1 : 0;
    for (int j = 0; j < n; ++j) {
      for (int i = 0; i < n; ++i) {
        ab[i + static_cast<int64_t>(j) * lda] =
            vectors ? wa[i + static_cast<size_t>(j) * n] : nan_of<T>();
      }
    }
  }
  return kOk;
}

// ---------------- 64-bit generic API ----------------

// The C++ type of a cudaDataType (the four float types).
template <typename F>
cusolverStatus_t dispatch(cudaDataType t, F&& f) {
  switch (t) {
    case CUDA_R_32F:
      return f.template operator()<float>();
    case CUDA_R_64F:
      return f.template operator()<double>();
    case CUDA_C_32F:
      return f.template operator()<c64>();
    case CUDA_C_64F:
      return f.template operator()<c128>();
    default:
      return CUSOLVER_STATUS_NOT_SUPPORTED;
  }
}

template <typename T>
constexpr cudaDataType type_of() {
  if constexpr (std::is_same_v<T, float>) return CUDA_R_32F;
  if constexpr (std::is_same_v<T, double>) return CUDA_R_64F;
  if constexpr (std::is_same_v<T, c64>) return CUDA_C_32F;
  return CUDA_C_64F;
}

bool fits_int(int64_t v) {
  return v >= 0 && v <= INT_MAX;
}

size_t element_size(cudaDataType t) {
  switch (t) {
    case CUDA_R_32F:
      return 4;
    case CUDA_R_64F:
    case CUDA_C_32F:
      return 8;
    case CUDA_C_64F:
      return 16;
    default:
      return 8;
  }
}

// Device and host workspace sizes in bytes of the 64-bit routines.
size_t xpotrf_device_bytes(int64_t n, cudaDataType t) {
  return element_size(t) * static_cast<size_t>(32 * std::max<int64_t>(n, 1));
}
size_t xgesvd_device_bytes(int64_t m, int64_t n, cudaDataType t) {
  return element_size(t) * static_cast<size_t>(32 * (std::max<int64_t>(m, 1) + n));
}
size_t xsyevd_device_bytes(int64_t n, cudaDataType t) {
  return element_size(t) * static_cast<size_t>(32 * std::max<int64_t>(n, 1));
}
size_t xgeev_device_bytes(int64_t n, cudaDataType t) {
  return element_size(t) * static_cast<size_t>(32 * std::max<int64_t>(n, 1));
}
// geev is documented as a hybrid CPU-GPU algorithm: it asks for host memory too.
size_t xgeev_host_bytes(int64_t n, cudaDataType t) {
  return element_size(t) * static_cast<size_t>(64 * std::max<int64_t>(n, 1));
}

// Checks the device and host buffers against the required sizes and poisons them.
bool take_buffers(void* dev, size_t dev_bytes, size_t dev_need, void* host, size_t host_bytes,
                  size_t host_need) {
  if (dev_need > 0 && (!dev || dev_bytes < dev_need)) return false;
  if (host_need > 0 && (!host || host_bytes < host_need)) return false;
  poison_bytes(dev, dev_need);
  poison_bytes(host, host_need);
  return true;
}

// Xpotrf's checks; 0 or the invalid argument (not counting the handle).
int xpotrf_check(cublasFillMode_t uplo, int64_t n, int64_t lda) {
  if (!valid_fill(uplo)) return 2;
  if (n < 0) return 3;
  if (lda < std::max<int64_t>(1, n)) return 6;
  return 0;
}

cusolverStatus_t xpotrf_types(cudaDataType ta, cudaDataType tc) {
  if (ta != tc) return CUSOLVER_STATUS_NOT_SUPPORTED;
  return dispatch(ta, []<typename T>() { return kOk; });
}

// Xgesvd's checks (LAPACK's rules for the leading dimensions of U and VT).
int xgesvd_check(signed char jobu, signed char jobvt, int64_t m, int64_t n, int64_t lda,
                 int64_t ldu, int64_t ldvt) {
  auto valid_job = [](signed char j) { return j == 'A' || j == 'S' || j == 'O' || j == 'N'; };
  if (!valid_job(jobu) || (jobu == 'O' && jobvt == 'O')) return 2;
  if (!valid_job(jobvt)) return 3;
  if (m < 0) return 4;
  if (n < 0 || n > m) return 5;  // gesvd supports only m >= n
  if (lda < std::max<int64_t>(1, m)) return 8;
  if (ldu < 1 || ((jobu == 'A' || jobu == 'S') && ldu < m)) return 12;
  if (ldvt < 1 || (jobvt == 'A' && ldvt < n) || (jobvt == 'S' && ldvt < std::min(m, n))) return 15;
  return 0;
}

cusolverStatus_t xgesvd_types(cudaDataType ta, cudaDataType ts, cudaDataType tu, cudaDataType tvt,
                              cudaDataType tc) {
  if (tu != ta || tvt != ta || tc != ta) return CUSOLVER_STATUS_NOT_SUPPORTED;
  return dispatch(ta, [&]<typename T>() {
    return ts == type_of<real_of<T>>() ? kOk : CUSOLVER_STATUS_NOT_SUPPORTED;
  });
}

int xsyevd_check(cusolverEigMode_t jobz, cublasFillMode_t uplo, int64_t n, int64_t lda) {
  if (!valid_eig_mode(jobz)) return 2;
  if (!valid_fill(uplo)) return 3;
  if (n < 0) return 4;
  if (lda < std::max<int64_t>(1, n)) return 7;
  return 0;
}

cusolverStatus_t xsyevd_types(cudaDataType ta, cudaDataType tw, cudaDataType tc) {
  if (tc != ta) return CUSOLVER_STATUS_NOT_SUPPORTED;
  return dispatch(ta, [&]<typename T>() {
    return tw == type_of<real_of<T>>() ? kOk : CUSOLVER_STATUS_NOT_SUPPORTED;
  });
}

int xgeev_check(cusolverEigMode_t jobvl, cusolverEigMode_t jobvr, int64_t n, int64_t lda,
                int64_t ldvl, int64_t ldvr) {
  if (!valid_eig_mode(jobvl)) return 2;
  if (!valid_eig_mode(jobvr)) return 3;
  if (n < 0) return 4;
  if (lda < std::max<int64_t>(1, n)) return 7;
  if (ldvl < 1 || (jobvl == CUSOLVER_EIG_MODE_VECTOR && ldvl < n)) return 12;
  if (ldvr < 1 || (jobvr == CUSOLVER_EIG_MODE_VECTOR && ldvr < n)) return 15;
  return 0;
}

// The documented combinations: real A with real VL, VR, compute type and W real (2 n entries:
// real parts, then imaginary parts) or complex (n entries); complex A with all types the same.
cusolverStatus_t xgeev_types(cudaDataType ta, cudaDataType tw, cudaDataType tvl, cudaDataType tvr,
                             cudaDataType tc) {
  if (tvl != ta || tvr != ta || tc != ta) return CUSOLVER_STATUS_NOT_SUPPORTED;
  return dispatch(ta, [&]<typename T>() {
    if (tw == ta) return kOk;
    if constexpr (!is_complex_v<T>) {
      if (tw == type_of<std::complex<T>>()) return kOk;
    }
    return CUSOLVER_STATUS_NOT_SUPPORTED;
  });
}

}  // namespace

}  // namespace tandem_emu

using namespace tandem_emu;

extern "C" {

// ---------------- handles and parameters ----------------

cusolverStatus_t cusolverDnCreate(cusolverDnHandle_t* handle) {
  if (!handle) return CUSOLVER_STATUS_INVALID_VALUE;
  *handle = new cusolverDnContext();
  return kOk;
}
cusolverStatus_t cusolverDnDestroy(cusolverDnHandle_t handle) {
  if (!handle) return CUSOLVER_STATUS_NOT_INITIALIZED;
  delete handle;
  return kOk;
}
cusolverStatus_t cusolverDnSetStream(cusolverDnHandle_t handle, cudaStream_t streamId) {
  if (!handle) return CUSOLVER_STATUS_NOT_INITIALIZED;
  handle->stream = streamId;
  return kOk;
}
cusolverStatus_t cusolverDnGetStream(cusolverDnHandle_t handle, cudaStream_t* streamId) {
  if (!handle) return CUSOLVER_STATUS_NOT_INITIALIZED;
  if (!streamId) return CUSOLVER_STATUS_INVALID_VALUE;
  *streamId = handle->stream;
  return kOk;
}
cusolverStatus_t cusolverDnCreateParams(cusolverDnParams_t* params) {
  if (!params) return CUSOLVER_STATUS_INVALID_VALUE;
  *params = new cusolverDnParams();
  return kOk;
}
cusolverStatus_t cusolverDnDestroyParams(cusolverDnParams_t params) {
  if (!params) return CUSOLVER_STATUS_INVALID_VALUE;
  delete params;
  return kOk;
}
cusolverStatus_t cusolverDnCreateGesvdjInfo(gesvdjInfo_t* info) {
  if (!info) return CUSOLVER_STATUS_INVALID_VALUE;
  *info = new gesvdjInfo();
  return kOk;
}
cusolverStatus_t cusolverDnDestroyGesvdjInfo(gesvdjInfo_t info) {
  if (!info) return CUSOLVER_STATUS_INVALID_VALUE;
  delete info;
  return kOk;
}
cusolverStatus_t cusolverDnXgesvdjSetTolerance(gesvdjInfo_t info, double tolerance) {
  if (!info) return CUSOLVER_STATUS_INVALID_VALUE;
  info->tolerance = tolerance;
  return kOk;
}
cusolverStatus_t cusolverDnXgesvdjSetMaxSweeps(gesvdjInfo_t info, int max_sweeps) {
  if (!info || max_sweeps <= 0) return CUSOLVER_STATUS_INVALID_VALUE;
  info->max_sweeps = max_sweeps;
  return kOk;
}
cusolverStatus_t cusolverDnXgesvdjSetSortEig(gesvdjInfo_t info, int sort_svd) {
  if (!info) return CUSOLVER_STATUS_INVALID_VALUE;
  info->sort = sort_svd;  // unsorted output may be in any order: sorted is one
  return kOk;
}
cusolverStatus_t cusolverDnCreateSyevjInfo(syevjInfo_t* info) {
  if (!info) return CUSOLVER_STATUS_INVALID_VALUE;
  *info = new syevjInfo();
  return kOk;
}
cusolverStatus_t cusolverDnDestroySyevjInfo(syevjInfo_t info) {
  if (!info) return CUSOLVER_STATUS_INVALID_VALUE;
  delete info;
  return kOk;
}
cusolverStatus_t cusolverDnXsyevjSetTolerance(syevjInfo_t info, double tolerance) {
  if (!info) return CUSOLVER_STATUS_INVALID_VALUE;
  info->tolerance = tolerance;
  return kOk;
}
cusolverStatus_t cusolverDnXsyevjSetMaxSweeps(syevjInfo_t info, int max_sweeps) {
  if (!info || max_sweeps <= 0) return CUSOLVER_STATUS_INVALID_VALUE;
  info->max_sweeps = max_sweeps;
  return kOk;
}
cusolverStatus_t cusolverDnXsyevjSetSortEig(syevjInfo_t info, int sort_eig) {
  if (!info) return CUSOLVER_STATUS_INVALID_VALUE;
  info->sort = sort_eig;
  return kOk;
}

// ---------------- legacy routines, S and D ----------------

#define TANDEM_EMU_CUSOLVER_LEGACY(T, p)                                                           \
  cusolverStatus_t cusolverDn##p##getrf_bufferSize(cusolverDnHandle_t handle, int m, int n, T* A,  \
                                                   int lda, int* Lwork) {                          \
    return getrf_size<T>(handle, m, n, lda, Lwork);                                                \
  }                                                                                                \
  cusolverStatus_t cusolverDn##p##getrf(cusolverDnHandle_t handle, int m, int n, T* A, int lda,    \
                                        T* Workspace, int* devIpiv, int* devInfo) {                \
    return getrf<T>(handle, m, n, A, lda, Workspace, devIpiv, devInfo);                            \
  }                                                                                                \
  cusolverStatus_t cusolverDn##p##getrs(cusolverDnHandle_t handle, cublasOperation_t trans, int n, \
                                        int nrhs, const T* A, int lda, const int* devIpiv, T* B,   \
                                        int ldb, int* devInfo) {                                   \
    return getrs<T>(handle, trans, n, nrhs, A, lda, devIpiv, B, ldb, devInfo);                     \
  }                                                                                                \
  cusolverStatus_t cusolverDn##p##potrfBatched(cusolverDnHandle_t handle, cublasFillMode_t uplo,   \
                                               int n, T* Aarray[], int lda, int* infoArray,        \
                                               int batchSize) {                                    \
    return potrf_batched<T>(handle, uplo, n, Aarray, lda, infoArray, batchSize);                   \
  }                                                                                                \
  cusolverStatus_t cusolverDn##p##geqrf_bufferSize(cusolverDnHandle_t handle, int m, int n, T* A,  \
                                                   int lda, int* lwork) {                          \
    return geqrf_size<T>(handle, m, n, lda, lwork);                                                \
  }                                                                                                \
  cusolverStatus_t cusolverDn##p##geqrf(cusolverDnHandle_t handle, int m, int n, T* A, int lda,    \
                                        T* TAU, T* Workspace, int Lwork, int* devInfo) {           \
    return geqrf<T>(handle, m, n, A, lda, TAU, Workspace, Lwork, devInfo);                         \
  }                                                                                                \
  cusolverStatus_t cusolverDn##p##orgqr_bufferSize(cusolverDnHandle_t handle, int m, int n, int k, \
                                                   const T* A, int lda, const T* tau,              \
                                                   int* lwork) {                                   \
    return orgqr_size<T>(handle, m, n, k, lda, lwork);                                             \
  }                                                                                                \
  cusolverStatus_t cusolverDn##p##orgqr(cusolverDnHandle_t handle, int m, int n, int k, T* A,      \
                                        int lda, const T* tau, T* work, int lwork, int* info) {    \
    return orgqr<T>(handle, m, n, k, A, lda, tau, work, lwork, info);                              \
  }                                                                                                \
  cusolverStatus_t cusolverDn##p##gesvdjBatched_bufferSize(                                        \
      cusolverDnHandle_t handle, cusolverEigMode_t jobz, int m, int n, const T* A, int lda,        \
      const T* S, const T* U, int ldu, const T* V, int ldv, int* lwork, gesvdjInfo_t params,       \
      int batchSize) {                                                                             \
    return gesvdj_batched_size<T>(handle, jobz, m, n, lda, ldu, ldv, lwork, params, batchSize);    \
  }                                                                                                \
  cusolverStatus_t cusolverDn##p##gesvdjBatched(                                                   \
      cusolverDnHandle_t handle, cusolverEigMode_t jobz, int m, int n, T* A, int lda, T* S, T* U,  \
      int ldu, T* V, int ldv, T* work, int lwork, int* info, gesvdjInfo_t params, int batchSize) { \
    return gesvdj_batched<T>(handle, jobz, m, n, A, lda, S, U, ldu, V, ldv, work, lwork, info,     \
                             params, batchSize);                                                   \
  }                                                                                                \
  cusolverStatus_t cusolverDn##p##syevjBatched_bufferSize(                                         \
      cusolverDnHandle_t handle, cusolverEigMode_t jobz, cublasFillMode_t uplo, int n, const T* A, \
      int lda, const T* W, int* lwork, syevjInfo_t params, int batchSize) {                        \
    return syevj_batched_size<T>(handle, jobz, uplo, n, lda, lwork, params, batchSize);            \
  }                                                                                                \
  cusolverStatus_t cusolverDn##p##syevjBatched(                                                    \
      cusolverDnHandle_t handle, cusolverEigMode_t jobz, cublasFillMode_t uplo, int n, T* A,       \
      int lda, T* W, T* work, int lwork, int* info, syevjInfo_t params, int batchSize) {           \
    return syevj_batched<T>(handle, jobz, uplo, n, A, lda, W, work, lwork, info, params,           \
                            batchSize);                                                            \
  }

TANDEM_EMU_CUSOLVER_LEGACY(float, S)
TANDEM_EMU_CUSOLVER_LEGACY(double, D)
#undef TANDEM_EMU_CUSOLVER_LEGACY

// ---------------- 64-bit generic API ----------------

cusolverStatus_t cusolverDnXpotrf_bufferSize(cusolverDnHandle_t handle, cusolverDnParams_t params,
                                             cublasFillMode_t uplo, int64_t n,
                                             cudaDataType dataTypeA, const void* A, int64_t lda,
                                             cudaDataType computeType,
                                             size_t* workspaceInBytesOnDevice,
                                             size_t* workspaceInBytesOnHost) {
  if (!handle) return CUSOLVER_STATUS_NOT_INITIALIZED;
  if (!params) return invalid(nullptr, 1);
  if (const int bad = xpotrf_check(uplo, n, lda)) {
    return invalid(nullptr, bad);
  }
  if (const cusolverStatus_t st = xpotrf_types(dataTypeA, computeType); st != kOk) return st;
  if (!workspaceInBytesOnDevice || !workspaceInBytesOnHost) return invalid(nullptr, 8);
  *workspaceInBytesOnDevice = xpotrf_device_bytes(n, dataTypeA);
  *workspaceInBytesOnHost = 0;
  return kOk;
}

cusolverStatus_t cusolverDnXpotrf(cusolverDnHandle_t handle, cusolverDnParams_t params,
                                  cublasFillMode_t uplo, int64_t n, cudaDataType dataTypeA, void* A,
                                  int64_t lda, cudaDataType computeType, void* bufferOnDevice,
                                  size_t workspaceInBytesOnDevice, void* bufferOnHost,
                                  size_t workspaceInBytesOnHost, int* info) {
  if (!handle) return CUSOLVER_STATUS_NOT_INITIALIZED;
  if (!params) return invalid(info, 1);
  if (const int bad = xpotrf_check(uplo, n, lda)) return invalid(info, bad);
  if (const cusolverStatus_t st = xpotrf_types(dataTypeA, computeType); st != kOk) return st;
  if (!fits_int(n) || !fits_int(lda)) return CUSOLVER_STATUS_NOT_SUPPORTED;
  if (!A && n > 0) return invalid(info, 5);
  if (!take_buffers(bufferOnDevice, workspaceInBytesOnDevice, xpotrf_device_bytes(n, dataTypeA),
                    bufferOnHost, workspaceInBytesOnHost, 0)) {
    return invalid(info, 9);
  }
  if (!info) return invalid(nullptr, 12);
  return dispatch(dataTypeA, [&]<typename T>() {
    *info = Lapack<T>::potrf(fill_char(uplo), static_cast<int>(n), static_cast<T*>(A),
                             static_cast<int>(lda));
    return kOk;
  });
}

cusolverStatus_t cusolverDnXgesvd_bufferSize(
    cusolverDnHandle_t handle, cusolverDnParams_t params, signed char jobu, signed char jobvt,
    int64_t m, int64_t n, cudaDataType dataTypeA, const void* A, int64_t lda,
    cudaDataType dataTypeS, const void* S, cudaDataType dataTypeU, const void* U, int64_t ldu,
    cudaDataType dataTypeVT, const void* VT, int64_t ldvt, cudaDataType computeType,
    size_t* workspaceInBytesOnDevice, size_t* workspaceInBytesOnHost) {
  if (!handle) return CUSOLVER_STATUS_NOT_INITIALIZED;
  if (!params) return invalid(nullptr, 1);
  if (const int bad = xgesvd_check(jobu, jobvt, m, n, lda, ldu, ldvt)) return invalid(nullptr, bad);
  if (const cusolverStatus_t st =
          xgesvd_types(dataTypeA, dataTypeS, dataTypeU, dataTypeVT, computeType);
      st != kOk) {
    return st;
  }
  if (!workspaceInBytesOnDevice || !workspaceInBytesOnHost) return invalid(nullptr, 17);
  *workspaceInBytesOnDevice = xgesvd_device_bytes(m, n, dataTypeA);
  *workspaceInBytesOnHost = 0;
  return kOk;
}

cusolverStatus_t cusolverDnXgesvd(cusolverDnHandle_t handle, cusolverDnParams_t params,
                                  signed char jobu, signed char jobvt, int64_t m, int64_t n,
                                  cudaDataType dataTypeA, void* A, int64_t lda,
                                  cudaDataType dataTypeS, void* S, cudaDataType dataTypeU, void* U,
                                  int64_t ldu, cudaDataType dataTypeVT, void* VT, int64_t ldvt,
                                  cudaDataType computeType, void* bufferOnDevice,
                                  size_t workspaceInBytesOnDevice, void* bufferOnHost,
                                  size_t workspaceInBytesOnHost, int* info) {
  if (!handle) return CUSOLVER_STATUS_NOT_INITIALIZED;
  if (!params) return invalid(info, 1);
  if (const int bad = xgesvd_check(jobu, jobvt, m, n, lda, ldu, ldvt)) return invalid(info, bad);
  if (const cusolverStatus_t st =
          xgesvd_types(dataTypeA, dataTypeS, dataTypeU, dataTypeVT, computeType);
      st != kOk) {
    return st;
  }
  if (!fits_int(m) || !fits_int(lda) || !fits_int(ldu) || !fits_int(ldvt)) {
    return CUSOLVER_STATUS_NOT_SUPPORTED;
  }
  if (!A && m > 0 && n > 0) return invalid(info, 7);
  if (!S && n > 0) return invalid(info, 10);
  if (!U && (jobu == 'A' || jobu == 'S') && m > 0) return invalid(info, 12);
  if (!VT && (jobvt == 'A' || jobvt == 'S') && n > 0) return invalid(info, 15);
  if (!take_buffers(bufferOnDevice, workspaceInBytesOnDevice, xgesvd_device_bytes(m, n, dataTypeA),
                    bufferOnHost, workspaceInBytesOnHost, 0)) {
    return invalid(info, 19);
  }
  if (!info) return invalid(nullptr, 23);
  return dispatch(dataTypeA, [&]<typename T>() {
    T dummy[1] = {};
    T* u = U ? static_cast<T*>(U) : dummy;
    T* vt = VT ? static_cast<T*>(VT) : dummy;
    const int r = Lapack<T>::gesvd(static_cast<char>(jobu), static_cast<char>(jobvt),
                                   static_cast<int>(m), static_cast<int>(n), static_cast<T*>(A),
                                   static_cast<int>(lda), static_cast<real_of<T>*>(S), u,
                                   static_cast<int>(ldu), vt, static_cast<int>(ldvt));
    *info = r;
    return r < 0 ? CUSOLVER_STATUS_INVALID_VALUE : kOk;
  });
}

cusolverStatus_t cusolverDnXsyevd_bufferSize(cusolverDnHandle_t handle, cusolverDnParams_t params,
                                             cusolverEigMode_t jobz, cublasFillMode_t uplo,
                                             int64_t n, cudaDataType dataTypeA, const void* A,
                                             int64_t lda, cudaDataType dataTypeW, const void* W,
                                             cudaDataType computeType,
                                             size_t* workspaceInBytesOnDevice,
                                             size_t* workspaceInBytesOnHost) {
  if (!handle) return CUSOLVER_STATUS_NOT_INITIALIZED;
  if (!params) return invalid(nullptr, 1);
  if (const int bad = xsyevd_check(jobz, uplo, n, lda)) return invalid(nullptr, bad);
  if (const cusolverStatus_t st = xsyevd_types(dataTypeA, dataTypeW, computeType); st != kOk) {
    return st;
  }
  if (!workspaceInBytesOnDevice || !workspaceInBytesOnHost) return invalid(nullptr, 11);
  *workspaceInBytesOnDevice = xsyevd_device_bytes(n, dataTypeA);
  *workspaceInBytesOnHost = 0;
  return kOk;
}

cusolverStatus_t cusolverDnXsyevd(cusolverDnHandle_t handle, cusolverDnParams_t params,
                                  cusolverEigMode_t jobz, cublasFillMode_t uplo, int64_t n,
                                  cudaDataType dataTypeA, void* A, int64_t lda,
                                  cudaDataType dataTypeW, void* W, cudaDataType computeType,
                                  void* bufferOnDevice, size_t workspaceInBytesOnDevice,
                                  void* bufferOnHost, size_t workspaceInBytesOnHost, int* info) {
  if (!handle) return CUSOLVER_STATUS_NOT_INITIALIZED;
  if (!params) return invalid(info, 1);
  if (const int bad = xsyevd_check(jobz, uplo, n, lda)) return invalid(info, bad);
  if (const cusolverStatus_t st = xsyevd_types(dataTypeA, dataTypeW, computeType); st != kOk) {
    return st;
  }
  if (!fits_int(n) || !fits_int(lda)) return CUSOLVER_STATUS_NOT_SUPPORTED;
  if (!A && n > 0) return invalid(info, 6);
  if (!W && n > 0) return invalid(info, 9);
  if (!take_buffers(bufferOnDevice, workspaceInBytesOnDevice, xsyevd_device_bytes(n, dataTypeA),
                    bufferOnHost, workspaceInBytesOnHost, 0)) {
    return invalid(info, 12);
  }
  if (!info) return invalid(nullptr, 16);
  return dispatch(dataTypeA, [&]<typename T>() {
    const int r = Lapack<T>::syevd(jobz == CUSOLVER_EIG_MODE_VECTOR ? 'V' : 'N', fill_char(uplo),
                                   static_cast<int>(n), static_cast<T*>(A), static_cast<int>(lda),
                                   static_cast<real_of<T>*>(W));
    *info = r;
    return r < 0 ? CUSOLVER_STATUS_INVALID_VALUE : kOk;
  });
}

cusolverStatus_t cusolverDnXgeev_bufferSize(
    cusolverDnHandle_t handle, cusolverDnParams_t params, cusolverEigMode_t jobvl,
    cusolverEigMode_t jobvr, int64_t n, cudaDataType dataTypeA, const void* A, int64_t lda,
    cudaDataType dataTypeW, const void* W, cudaDataType dataTypeVL, const void* VL, int64_t ldvl,
    cudaDataType dataTypeVR, const void* VR, int64_t ldvr, cudaDataType computeType,
    size_t* workspaceInBytesOnDevice, size_t* workspaceInBytesOnHost) {
  if (!handle) return CUSOLVER_STATUS_NOT_INITIALIZED;
  if (!params) return invalid(nullptr, 1);
  if (const int bad = xgeev_check(jobvl, jobvr, n, lda, ldvl, ldvr)) return invalid(nullptr, bad);
  if (jobvl != CUSOLVER_EIG_MODE_NOVECTOR) return CUSOLVER_STATUS_NOT_SUPPORTED;
  if (const cusolverStatus_t st =
          xgeev_types(dataTypeA, dataTypeW, dataTypeVL, dataTypeVR, computeType);
      st != kOk) {
    return st;
  }
  if (!workspaceInBytesOnDevice || !workspaceInBytesOnHost) return invalid(nullptr, 17);
  *workspaceInBytesOnDevice = xgeev_device_bytes(n, dataTypeA);
  *workspaceInBytesOnHost = xgeev_host_bytes(n, dataTypeA);
  return kOk;
}

cusolverStatus_t cusolverDnXgeev(cusolverDnHandle_t handle, cusolverDnParams_t params,
                                 cusolverEigMode_t jobvl, cusolverEigMode_t jobvr, int64_t n,
                                 cudaDataType dataTypeA, void* A, int64_t lda,
                                 cudaDataType dataTypeW, void* W, cudaDataType dataTypeVL, void* VL,
                                 int64_t ldvl, cudaDataType dataTypeVR, void* VR, int64_t ldvr,
                                 cudaDataType computeType, void* bufferOnDevice,
                                 size_t workspaceInBytesOnDevice, void* bufferOnHost,
                                 size_t workspaceInBytesOnHost, int* info) {
  if (!handle) return CUSOLVER_STATUS_NOT_INITIALIZED;
  if (!params) return invalid(info, 1);
  if (const int bad = xgeev_check(jobvl, jobvr, n, lda, ldvl, ldvr)) return invalid(info, bad);
  if (jobvl != CUSOLVER_EIG_MODE_NOVECTOR) return CUSOLVER_STATUS_NOT_SUPPORTED;
  if (const cusolverStatus_t st =
          xgeev_types(dataTypeA, dataTypeW, dataTypeVL, dataTypeVR, computeType);
      st != kOk) {
    return st;
  }
  if (!fits_int(n) || !fits_int(lda) || !fits_int(ldvr)) return CUSOLVER_STATUS_NOT_SUPPORTED;
  const bool vectors = jobvr == CUSOLVER_EIG_MODE_VECTOR;
  if (!A && n > 0) return invalid(info, 6);
  if (!W && n > 0) return invalid(info, 9);
  if (vectors && !VR && n > 0) return invalid(info, 14);
  if (!take_buffers(bufferOnDevice, workspaceInBytesOnDevice, xgeev_device_bytes(n, dataTypeA),
                    bufferOnHost, workspaceInBytesOnHost, xgeev_host_bytes(n, dataTypeA))) {
    return invalid(info, 18);
  }
  if (!info) return invalid(nullptr, 22);
  const int ni = static_cast<int>(n);
  return dispatch(dataTypeA, [&]<typename T>() {
    T dummy[1] = {};
    T* a = static_cast<T*>(A);
    T* vr = vectors ? static_cast<T*>(VR) : dummy;
    const int ldv = vectors ? static_cast<int>(ldvr) : 1;
    int r = 0;
    if constexpr (is_complex_v<T>) {
      r = Lapack<T>::geev(vectors ? 'V' : 'N', ni, a, static_cast<int>(lda), static_cast<T*>(W), vr,
                          ldv);
    } else {
      std::vector<T> wr(static_cast<size_t>(std::max(ni, 1))), wi(wr.size());
      r = Lapack<T>::geev(vectors ? 'V' : 'N', ni, a, static_cast<int>(lda), wr.data(), wi.data(),
                          vr, ldv);
      if (dataTypeW == dataTypeA) {
        T* w = static_cast<T*>(W);
        std::copy(wr.begin(), wr.begin() + ni, w);
        std::copy(wi.begin(), wi.begin() + ni, w + ni);
      } else {
        auto* w = static_cast<std::complex<T>*>(W);
        for (int j = 0; j < ni; ++j)
          w[j] = std::complex<T>(wr[j], wi[j]);
      }
    }
    *info = r;
    return r < 0 ? CUSOLVER_STATUS_INVALID_VALUE : kOk;
  });
}

}  // extern "C"
