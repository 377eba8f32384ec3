// Copyright © 2026 Tandem authors.
// The LAPACK and BLAS routines of OpenBLAS that the GPU emulator's cuSOLVER (cusolver.cpp) and
// cuBLAS linear algebra (cublas_linalg.cpp) run on: the Fortran prototypes (column-major,
// arguments by pointer, 32-bit integers, each character argument followed by its hidden length)
// and typed wrappers, Lapack<T> for T = float, double, std::complex<float>, std::complex<double>,
// that take scalars by value, size their own workspaces (LAPACK's lwork = -1 queries) and return
// LAPACK's info.
#pragma once

#include <algorithm>
#include <complex>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

extern "C" {
#define TANDEM_EMU_LAPACK_COMMON(T, R, p)                                                      \
  void p##getrf_(const int* m, const int* n, T* a, const int* lda, int* ipiv, int* info);      \
  void p##getrs_(const char* trans, const int* n, const int* nrhs, const T* a, const int* lda, \
                 const int* ipiv, T* b, const int* ldb, int* info, size_t);                    \
  void p##potrf_(const char* uplo, const int* n, T* a, const int* lda, int* info, size_t);     \
  void p##geqrf_(const int* m, const int* n, T* a, const int* lda, T* tau, T* work,            \
                 const int* lwork, int* info);                                                 \
  void p##trsm_(const char* side, const char* uplo, const char* transa, const char* diag,      \
                const int* m, const int* n, const T* alpha, const T* a, const int* lda, T* b,  \
                const int* ldb, size_t, size_t, size_t, size_t);
TANDEM_EMU_LAPACK_COMMON(float, float, s)
TANDEM_EMU_LAPACK_COMMON(double, double, d)
TANDEM_EMU_LAPACK_COMMON(std::complex<float>, float, c)
TANDEM_EMU_LAPACK_COMMON(std::complex<double>, double, z)
#undef TANDEM_EMU_LAPACK_COMMON

#define TANDEM_EMU_LAPACK_REAL(T, p)                                                              \
  void p##orgqr_(const int* m, const int* n, const int* k, T* a, const int* lda, const T* tau,    \
                 T* work, const int* lwork, int* info);                                           \
  void p##gesvd_(const char* jobu, const char* jobvt, const int* m, const int* n, T* a,           \
                 const int* lda, T* s, T* u, const int* ldu, T* vt, const int* ldvt, T* work,     \
                 const int* lwork, int* info, size_t, size_t);                                    \
  void p##syevd_(const char* jobz, const char* uplo, const int* n, T* a, const int* lda, T* w,    \
                 T* work, const int* lwork, int* iwork, const int* liwork, int* info, size_t,     \
                 size_t);                                                                         \
  void p##geev_(const char* jobvl, const char* jobvr, const int* n, T* a, const int* lda, T* wr,  \
                T* wi, T* vl, const int* ldvl, T* vr, const int* ldvr, T* work, const int* lwork, \
                int* info, size_t, size_t);
TANDEM_EMU_LAPACK_REAL(float, s)
TANDEM_EMU_LAPACK_REAL(double, d)
#undef TANDEM_EMU_LAPACK_REAL

#define TANDEM_EMU_LAPACK_COMPLEX(T, R, p)                                                      \
  void p##ungqr_(const int* m, const int* n, const int* k, T* a, const int* lda, const T* tau,  \
                 T* work, const int* lwork, int* info);                                         \
  void p##gesvd_(const char* jobu, const char* jobvt, const int* m, const int* n, T* a,         \
                 const int* lda, R* s, T* u, const int* ldu, T* vt, const int* ldvt, T* work,   \
                 const int* lwork, R* rwork, int* info, size_t, size_t);                        \
  void p##heevd_(const char* jobz, const char* uplo, const int* n, T* a, const int* lda, R* w,  \
                 T* work, const int* lwork, R* rwork, const int* lrwork, int* iwork,            \
                 const int* liwork, int* info, size_t, size_t);                                 \
  void p##geev_(const char* jobvl, const char* jobvr, const int* n, T* a, const int* lda, T* w, \
                T* vl, const int* ldvl, T* vr, const int* ldvr, T* work, const int* lwork,      \
                R* rwork, int* info, size_t, size_t);
TANDEM_EMU_LAPACK_COMPLEX(std::complex<float>, float, c)
TANDEM_EMU_LAPACK_COMPLEX(std::complex<double>, double, z)
#undef TANDEM_EMU_LAPACK_COMPLEX
}

namespace tandem_emu {

template <typename T>
struct RealOf {
  using type = T;
};
template <typename T>
struct RealOf<std::complex<T>> {
  using type = T;
};
/// The real type of T (T itself for float and double).
template <typename T>
using real_of = typename RealOf<T>::type;

template <typename T>
inline constexpr bool is_complex_v = !std::is_same_v<T, real_of<T>>;

/// A quiet NaN of T (both parts for complex T).
template <typename T>
T nan_of() {
  const real_of<T> q = std::numeric_limits<real_of<T>>::quiet_NaN();
  if constexpr (is_complex_v<T>) {
    return T(q, q);
  } else {
    return q;
  }
}

/// Fills `count` elements at p with NaN: what the emulator leaves in outputs a routine documents
/// as destroyed, and in workspaces (whose content the caller may not rely on).
template <typename T>
void poison(T* p, int64_t count) {
  if (!p) return;
  std::fill(p, p + count, nan_of<T>());
}

/// Fills `bytes` bytes at p with 0xFF (a NaN pattern for any float type).
inline void poison_bytes(void* p, size_t bytes) {
  if (p && bytes) std::memset(p, 0xFF, bytes);
}

/// LAPACK's workspace size from a query's work[0] (real part for complex types), at least 1.
template <typename T>
int lwork_of(const T& w) {
  return std::max(1, static_cast<int>(std::real(w)) + 1);
}

template <typename T>
struct Lapack;

#define TANDEM_EMU_LAPACK_WRAP_COMMON(T, p)                                                 \
  static int getrf(int m, int n, T* a, int lda, int* ipiv) {                                \
    int info = 0;                                                                           \
    p##getrf_(&m, &n, a, &lda, ipiv, &info);                                                \
    return info;                                                                            \
  }                                                                                         \
  static int getrs(char trans, int n, int nrhs, const T* a, int lda, const int* ipiv, T* b, \
                   int ldb) {                                                               \
    int info = 0;                                                                           \
    p##getrs_(&trans, &n, &nrhs, a, &lda, ipiv, b, &ldb, &info, 1);                         \
    return info;                                                                            \
  }                                                                                         \
  static int potrf(char uplo, int n, T* a, int lda) {                                       \
    int info = 0;                                                                           \
    p##potrf_(&uplo, &n, a, &lda, &info, 1);                                                \
    return info;                                                                            \
  }                                                                                         \
  static int geqrf(int m, int n, T* a, int lda, T* tau) {                                   \
    int info = 0, lwork = -1;                                                               \
    T q{};                                                                                  \
    p##geqrf_(&m, &n, a, &lda, tau, &q, &lwork, &info);                                     \
    if (info != 0) return info;                                                             \
    lwork = lwork_of(q);                                                                    \
    std::vector<T> work(static_cast<size_t>(lwork));                                        \
    p##geqrf_(&m, &n, a, &lda, tau, work.data(), &lwork, &info);                            \
    return info;                                                                            \
  }                                                                                         \
  static void trsm(char side, char uplo, char transa, char diag, int m, int n, T alpha,     \
                   const T* a, int lda, T* b, int ldb) {                                    \
    p##trsm_(&side, &uplo, &transa, &diag, &m, &n, &alpha, a, &lda, b, &ldb, 1, 1, 1, 1);   \
  }

#define TANDEM_EMU_LAPACK_WRAP_REAL(T, p)                                                          \
  template <>                                                                                      \
  struct Lapack<T> {                                                                               \
    TANDEM_EMU_LAPACK_WRAP_COMMON(T, p)                                                            \
    static int orgqr(int m, int n, int k, T* a, int lda, const T* tau) {                           \
      int info = 0, lwork = -1;                                                                    \
      T q{};                                                                                       \
      p##orgqr_(&m, &n, &k, a, &lda, tau, &q, &lwork, &info);                                      \
      if (info != 0) return info;                                                                  \
      lwork = lwork_of(q);                                                                         \
      std::vector<T> work(static_cast<size_t>(lwork));                                             \
      p##orgqr_(&m, &n, &k, a, &lda, tau, work.data(), &lwork, &info);                             \
      return info;                                                                                 \
    }                                                                                              \
    static int gesvd(char jobu, char jobvt, int m, int n, T* a, int lda, T* s, T* u, int ldu,      \
                     T* vt, int ldvt) {                                                            \
      int info = 0, lwork = -1;                                                                    \
      T q{};                                                                                       \
      p##gesvd_(&jobu, &jobvt, &m, &n, a, &lda, s, u, &ldu, vt, &ldvt, &q, &lwork, &info, 1, 1);   \
      if (info != 0) return info;                                                                  \
      lwork = lwork_of(q);                                                                         \
      std::vector<T> work(static_cast<size_t>(lwork));                                             \
      p##gesvd_(&jobu, &jobvt, &m, &n, a, &lda, s, u, &ldu, vt, &ldvt, work.data(), &lwork, &info, \
                1, 1);                                                                             \
      return info;                                                                                 \
    }                                                                                              \
    /* Symmetric eigensolver (divide and conquer); w real. */                                      \
    static int syevd(char jobz, char uplo, int n, T* a, int lda, T* w) {                           \
      int info = 0, lwork = -1, liwork = -1, qi = 0;                                               \
      T q{};                                                                                       \
      p##syevd_(&jobz, &uplo, &n, a, &lda, w, &q, &lwork, &qi, &liwork, &info, 1, 1);              \
      if (info != 0) return info;                                                                  \
      lwork = lwork_of(q);                                                                         \
      liwork = std::max(1, qi);                                                                    \
      std::vector<T> work(static_cast<size_t>(lwork));                                             \
      std::vector<int> iwork(static_cast<size_t>(liwork));                                         \
      p##syevd_(&jobz, &uplo, &n, a, &lda, w, work.data(), &lwork, iwork.data(), &liwork, &info,   \
                1, 1);                                                                             \
      return info;                                                                                 \
    }                                                                                              \
    /* Right eigenvectors only (jobvr 'V' or 'N'); eigenvalues as wr + i wi. */                    \
    static int geev(char jobvr, int n, T* a, int lda, T* wr, T* wi, T* vr, int ldvr) {             \
      int info = 0, lwork = -1, ldvl = 1;                                                          \
      char jobvl = 'N';                                                                            \
      T q{}, vl[1] = {};                                                                           \
      p##geev_(&jobvl, &jobvr, &n, a, &lda, wr, wi, vl, &ldvl, vr, &ldvr, &q, &lwork, &info, 1,    \
               1);                                                                                 \
      if (info != 0) return info;                                                                  \
      lwork = lwork_of(q);                                                                         \
      std::vector<T> work(static_cast<size_t>(lwork));                                             \
      p##geev_(&jobvl, &jobvr, &n, a, &lda, wr, wi, vl, &ldvl, vr, &ldvr, work.data(), &lwork,     \
               &info, 1, 1);                                                                       \
      return info;                                                                                 \
    }                                                                                              \
  };

#define TANDEM_EMU_LAPACK_WRAP_COMPLEX(T, R, p)                                                  \
  template <>                                                                                    \
  struct Lapack<T> {                                                                             \
    TANDEM_EMU_LAPACK_WRAP_COMMON(T, p)                                                          \
    static int orgqr(int m, int n, int k, T* a, int lda, const T* tau) {                         \
      int info = 0, lwork = -1;                                                                  \
      T q{};                                                                                     \
      p##ungqr_(&m, &n, &k, a, &lda, tau, &q, &lwork, &info);                                    \
      if (info != 0) return info;                                                                \
      lwork = lwork_of(q);                                                                       \
      std::vector<T> work(static_cast<size_t>(lwork));                                           \
      p##ungqr_(&m, &n, &k, a, &lda, tau, work.data(), &lwork, &info);                           \
      return info;                                                                               \
    }                                                                                            \
    static int gesvd(char jobu, char jobvt, int m, int n, T* a, int lda, R* s, T* u, int ldu,    \
                     T* vt, int ldvt) {                                                          \
      int info = 0, lwork = -1;                                                                  \
      T q{};                                                                                     \
      std::vector<R> rwork(static_cast<size_t>(std::max(1, 5 * std::min(m, n))));                \
      p##gesvd_(&jobu, &jobvt, &m, &n, a, &lda, s, u, &ldu, vt, &ldvt, &q, &lwork, rwork.data(), \
                &info, 1, 1);                                                                    \
      if (info != 0) return info;                                                                \
      lwork = lwork_of(q);                                                                       \
      std::vector<T> work(static_cast<size_t>(lwork));                                           \
      p##gesvd_(&jobu, &jobvt, &m, &n, a, &lda, s, u, &ldu, vt, &ldvt, work.data(), &lwork,      \
                rwork.data(), &info, 1, 1);                                                      \
      return info;                                                                               \
    }                                                                                            \
    /* Hermitian eigensolver (divide and conquer); w real. */                                    \
    static int syevd(char jobz, char uplo, int n, T* a, int lda, R* w) {                         \
      int info = 0, lwork = -1, lrwork = -1, liwork = -1, qi = 0;                                \
      T q{};                                                                                     \
      R qr{};                                                                                    \
      p##heevd_(&jobz, &uplo, &n, a, &lda, w, &q, &lwork, &qr, &lrwork, &qi, &liwork, &info, 1,  \
                1);                                                                              \
      if (info != 0) return info;                                                                \
      lwork = lwork_of(q);                                                                       \
      lrwork = lwork_of(qr);                                                                     \
      liwork = std::max(1, qi);                                                                  \
      std::vector<T> work(static_cast<size_t>(lwork));                                           \
      std::vector<R> rwork(static_cast<size_t>(lrwork));                                         \
      std::vector<int> iwork(static_cast<size_t>(liwork));                                       \
      p##heevd_(&jobz, &uplo, &n, a, &lda, w, work.data(), &lwork, rwork.data(), &lrwork,        \
                iwork.data(), &liwork, &info, 1, 1);                                             \
      return info;                                                                               \
    }                                                                                            \
    /* Right eigenvectors only (jobvr 'V' or 'N'). */                                            \
    static int geev(char jobvr, int n, T* a, int lda, T* w, T* vr, int ldvr) {                   \
      int info = 0, lwork = -1, ldvl = 1;                                                        \
      char jobvl = 'N';                                                                          \
      T q{}, vl[1] = {};                                                                         \
      std::vector<R> rwork(static_cast<size_t>(std::max(1, 2 * n)));                             \
      p##geev_(&jobvl, &jobvr, &n, a, &lda, w, vl, &ldvl, vr, &ldvr, &q, &lwork, rwork.data(),   \
               &info, 1, 1);                                                                     \
      if (info != 0) return info;                                                                \
      lwork = lwork_of(q);                                                                       \
      std::vector<T> work(static_cast<size_t>(lwork));                                           \
      p##geev_(&jobvl, &jobvr, &n, a, &lda, w, vl, &ldvl, vr, &ldvr, work.data(), &lwork,        \
               rwork.data(), &info, 1, 1);                                                       \
      return info;                                                                               \
    }                                                                                            \
  };

TANDEM_EMU_LAPACK_WRAP_REAL(float, s)
TANDEM_EMU_LAPACK_WRAP_REAL(double, d)
TANDEM_EMU_LAPACK_WRAP_COMPLEX(std::complex<float>, float, c)
TANDEM_EMU_LAPACK_WRAP_COMPLEX(std::complex<double>, double, z)
#undef TANDEM_EMU_LAPACK_WRAP_REAL
#undef TANDEM_EMU_LAPACK_WRAP_COMPLEX
#undef TANDEM_EMU_LAPACK_WRAP_COMMON

/// LU factors without pivoting, in place (L unit lower, U upper), of the m x n matrix at a
/// (leading dimension lda): what cuSOLVER getrf and cuBLAS getrfBatched compute when given no
/// pivot array. Returns 0, or 1 + the first index i with U(i, i) exactly zero (the elimination
/// goes on through it, dividing by zero, as nothing pivots it away).
template <typename T>
int lu_no_pivot(int m, int n, T* a, int64_t lda) {
  int info = 0;
  const int k = std::min(m, n);
  for (int j = 0; j < k; ++j) {
    const T p = a[j + j * lda];
    if (p == T(0) && info == 0) info = j + 1;
    for (int i = j + 1; i < m; ++i)
      a[i + j * lda] /= p;
    for (int c = j + 1; c < n; ++c) {
      const T f = a[j + c * lda];
      for (int i = j + 1; i < m; ++i)
        a[i + c * lda] -= a[i + j * lda] * f;
    }
  }
  return info;
}

}  // namespace tandem_emu
