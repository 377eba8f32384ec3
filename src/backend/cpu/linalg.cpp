// Copyright © 2026 Tandem authors.
// CPU kernels of the linear algebra primitives (primitives/linalg.h) through LAPACK.
//
// OpenBLAS exports the Fortran LAPACK routines (sgetrf_, dsyevd_, ...); their prototypes are
// declared below (column-major, arguments by pointer, character arguments followed by their
// hidden lengths). Each matrix of the batch is copied from the input's own strides (any layout:
// transposed, sliced, broadcast batches) into a column-major workspace, factorised there, and
// written to the row-contiguous output.
//
// Threads: OpenBLAS runs its LAPACK routines single-threaded for small matrices and with its own
// thread pool for large ones. So batches of small matrices (<= 64 rows and columns) are split
// across Tandem's thread pool, while larger matrices run one after the other and let OpenBLAS
// use the cores (Tandem otherwise keeps OpenBLAS single-threaded: blas_threads.h); the two pools
// never both spread the same work across all cores.
#include <algorithm>
#include <complex>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "backend/common/linalg_errors.h"
#include "backend/cpu/blas_threads.h"
#include "backend/cpu/threading.h"
#include "primitives/linalg.h"

// ---------------- LAPACK prototypes (Fortran ABI, 32-bit integers) ----------------

extern "C" {
#define TANDEM_LAPACK_DECLS(T, p)                                                                 \
  void p##getrf_(const int* m, const int* n, T* a, const int* lda, int* ipiv, int* info);         \
  void p##getri_(const int* n, T* a, const int* lda, const int* ipiv, T* work, const int* lwork,  \
                 int* info);                                                                      \
  void p##trtri_(const char* uplo, const char* diag, const int* n, T* a, const int* lda,          \
                 int* info, size_t, size_t);                                                      \
  void p##potrf_(const char* uplo, const int* n, T* a, const int* lda, int* info, size_t);        \
  void p##geqrf_(const int* m, const int* n, T* a, const int* lda, T* tau, T* work,               \
                 const int* lwork, int* info);                                                    \
  void p##orgqr_(const int* m, const int* n, const int* k, T* a, const int* lda, const T* tau,    \
                 T* work, const int* lwork, int* info);                                           \
  void p##gesdd_(const char* jobz, const int* m, const int* n, T* a, const int* lda, T* s, T* u,  \
                 const int* ldu, T* vt, const int* ldvt, T* work, const int* lwork, int* iwork,   \
                 int* info, size_t);                                                              \
  void p##gesvd_(const char* jobu, const char* jobvt, const int* m, const int* n, T* a,           \
                 const int* lda, T* s, T* u, const int* ldu, T* vt, const int* ldvt, T* work,     \
                 const int* lwork, int* info, size_t, size_t);                                    \
  void p##syevd_(const char* jobz, const char* uplo, const int* n, T* a, const int* lda, T* w,    \
                 T* work, const int* lwork, int* iwork, const int* liwork, int* info, size_t,     \
                 size_t);                                                                         \
  void p##geev_(const char* jobvl, const char* jobvr, const int* n, T* a, const int* lda, T* wr,  \
                T* wi, T* vl, const int* ldvl, T* vr, const int* ldvr, T* work, const int* lwork, \
                int* info, size_t, size_t);                                                       \
  void p##gesv_(const int* n, const int* nrhs, T* a, const int* lda, int* ipiv, T* b,             \
                const int* ldb, int* info);                                                       \
  void p##trtrs_(const char* uplo, const char* trans, const char* diag, const int* n,             \
                 const int* nrhs, const T* a, const int* lda, T* b, const int* ldb, int* info,    \
                 size_t, size_t, size_t);
TANDEM_LAPACK_DECLS(float, s)
TANDEM_LAPACK_DECLS(double, d)
#undef TANDEM_LAPACK_DECLS
}

namespace tandem {

namespace {

// Typed wrappers: Lapack<T>::getrf(...) calls sgetrf_ or dgetrf_. Scalars by value, results in
// `info`.
template <typename T>
struct Lapack;

#define TANDEM_LAPACK_WRAPPERS(T, p)                                                               \
  template <>                                                                                      \
  struct Lapack<T> {                                                                               \
    static void getrf(int m, int n, T* a, int lda, int* ipiv, int& info) {                         \
      p##getrf_(&m, &n, a, &lda, ipiv, &info);                                                     \
    }                                                                                              \
    static void getri(int n, T* a, int lda, const int* ipiv, T* work, int lwork, int& info) {      \
      p##getri_(&n, a, &lda, ipiv, work, &lwork, &info);                                           \
    }                                                                                              \
    static void trtri(char uplo, int n, T* a, int lda, int& info) {                                \
      char diag = 'N';                                                                             \
      p##trtri_(&uplo, &diag, &n, a, &lda, &info, 1, 1);                                           \
    }                                                                                              \
    static void potrf(char uplo, int n, T* a, int lda, int& info) {                                \
      p##potrf_(&uplo, &n, a, &lda, &info, 1);                                                     \
    }                                                                                              \
    static void geqrf(int m, int n, T* a, int lda, T* tau, T* work, int lwork, int& info) {        \
      p##geqrf_(&m, &n, a, &lda, tau, work, &lwork, &info);                                        \
    }                                                                                              \
    static void orgqr(int m, int n, int k, T* a, int lda, const T* tau, T* work, int lwork,        \
                      int& info) {                                                                 \
      p##orgqr_(&m, &n, &k, a, &lda, tau, work, &lwork, &info);                                    \
    }                                                                                              \
    static void gesdd(char jobz, int m, int n, T* a, int lda, T* s, T* u, int ldu, T* vt,          \
                      int ldvt, T* work, int lwork, int* iwork, int& info) {                       \
      p##gesdd_(&jobz, &m, &n, a, &lda, s, u, &ldu, vt, &ldvt, work, &lwork, iwork, &info, 1);     \
    }                                                                                              \
    static void gesvd(char job, int m, int n, T* a, int lda, T* s, T* u, int ldu, T* vt, int ldvt, \
                      T* work, int lwork, int& info) {                                             \
      p##gesvd_(&job, &job, &m, &n, a, &lda, s, u, &ldu, vt, &ldvt, work, &lwork, &info, 1, 1);    \
    }                                                                                              \
    static void syevd(char jobz, char uplo, int n, T* a, int lda, T* w, T* work, int lwork,        \
                      int* iwork, int liwork, int& info) {                                         \
      p##syevd_(&jobz, &uplo, &n, a, &lda, w, work, &lwork, iwork, &liwork, &info, 1, 1);          \
    }                                                                                              \
    static void geev(char jobvr, int n, T* a, int lda, T* wr, T* wi, T* vr, int ldvr, T* work,     \
                     int lwork, int& info) {                                                       \
      char jobvl = 'N';                                                                            \
      int ldvl = 1;                                                                                \
      T vl[1];                                                                                     \
      p##geev_(&jobvl, &jobvr, &n, a, &lda, wr, wi, vl, &ldvl, vr, &ldvr, work, &lwork, &info, 1,  \
               1);                                                                                 \
    }                                                                                              \
    static void gesv(int n, int nrhs, T* a, int lda, int* ipiv, T* b, int ldb, int& info) {        \
      p##gesv_(&n, &nrhs, a, &lda, ipiv, b, &ldb, &info);                                          \
    }                                                                                              \
    static void trtrs(char uplo, int n, int nrhs, const T* a, int lda, T* b, int ldb, int& info) { \
      char trans = 'N', diag = 'N';                                                                \
      p##trtrs_(&uplo, &trans, &diag, &n, &nrhs, a, &lda, b, &ldb, &info, 1, 1, 1);                \
    }                                                                                              \
  };
TANDEM_LAPACK_WRAPPERS(float, s)
TANDEM_LAPACK_WRAPPERS(double, d)
#undef TANDEM_LAPACK_WRAPPERS

// A workspace size returned by a LAPACK query (lwork = -1) in work[0].
template <typename T>
int lwork_of(T w) {
  return std::max(1, static_cast<int>(w) + 1);
}

// ---------------- matrices of a batch ----------------

// The matrices in the last two axes of `a`, read through a's own strides.
struct Matrices {
  const array& a;
  int rows, cols;
  int64_t batch;

  explicit Matrices(const array& x) : a(x) {
    int nd = x.ndim();
    rows = x.shape()[nd - 2];
    cols = x.shape()[nd - 1];
    batch = 1;
    for (int d = 0; d < nd - 2; ++d)
      batch *= x.shape()[d];
  }
  // Element offset of matrix b.
  int64_t offset(int64_t b) const {
    int64_t off = 0;
    for (int d = a.ndim() - 3; d >= 0; --d) {
      int64_t n = a.shape()[d];
      off += (b % n) * a.strides()[d];
      b /= n;
    }
    return off;
  }
  // Matrix b into column-major `dst` with leading dimension ld.
  template <typename T>
  void load(int64_t b, T* dst, int ld) const {
    const T* src = a.unsafe_data<T>() + offset(b);
    int nd = a.ndim();
    int64_t rs = a.strides()[nd - 2], cs = a.strides()[nd - 1];
    for (int j = 0; j < cols; ++j) {
      for (int i = 0; i < rows; ++i)
        dst[i + static_cast<int64_t>(j) * ld] = src[i * rs + j * cs];
    }
  }
};

// Column-major `src` (leading dimension ld) into row-major `dst` of rows x cols.
template <typename T>
void store(const T* src, int ld, int rows, int cols, T* dst) {
  for (int i = 0; i < rows; ++i) {
    for (int j = 0; j < cols; ++j)
      dst[static_cast<int64_t>(i) * cols + j] = src[i + static_cast<int64_t>(j) * ld];
  }
}

// Zero the strict upper (keep_lower) or strict lower triangle of a column-major n x n matrix.
template <typename T>
void zero_other_triangle(T* a, int n, int ld, bool keep_lower) {
  for (int j = 0; j < n; ++j) {
    for (int i = 0; i < n; ++i) {
      if (keep_lower ? i < j : i > j) a[i + static_cast<int64_t>(j) * ld] = T(0);
    }
  }
}

// f(begin, end) over the batch: split across threads for small matrices (see the file comment).
void for_batches(int64_t batch, int64_t dim, const std::function<void(int64_t, int64_t)>& f) {
  if (batch <= 0) return;
  if (batch == 1 || dim > 64) {
    // One matrix at a time; OpenBLAS threads a large one's blocked algorithm (blas_threads.h).
    std::optional<cpu::BlasThreadsScope> threads;
    if (dim > 64) threads.emplace();
    f(0, batch);
    return;
  }
  int64_t work = std::max<int64_t>(dim * dim * dim, 1);
  size_t grain = static_cast<size_t>(std::max<int64_t>(1, (int64_t(1) << 15) / work));
  cpu::parallel_for(static_cast<size_t>(batch), grain,
                    [&](size_t b0, size_t b1) { f(static_cast<int64_t>(b0), int64_t(b1)); });
}

using linalg_errors::fail;

void check_internal(int info, const char* routine) {
  if (info < 0) {
    throw std::runtime_error(std::string("[linalg] LAPACK ") + routine + " rejected argument " +
                             std::to_string(-info) + " (internal error).");
  }
}

// Calls f.template operator()<T>() with T = float or double by the dtype.
template <typename F>
void dispatch_float(Dtype t, const char* op, F&& f) {
  if (t == float32) return f.template operator()<float>();
  if (t == float64) return f.template operator()<double>();
  throw std::invalid_argument(std::string("[") + op + "] Unsupported dtype " + dtype_name(t) + ".");
}

void alloc(array& out) {
  out.set_data(allocator::malloc(out.nbytes()));
}

// ---------------- kernels ----------------

template <typename T>
void inverse_kernel(const array& a, array& out, bool tri, bool upper) {
  Matrices A(a);
  int n = A.rows;
  if (n == 0 || A.batch == 0) return;
  const char* op = tri ? "linalg::tri_inv" : "linalg::inv";
  T* o = out.unsafe_data<T>();
  for_batches(A.batch, n, [&](int64_t b0, int64_t b1) {
    std::vector<T> w(static_cast<size_t>(n) * n);
    std::vector<int> ipiv(n);
    std::vector<T> work(1);
    int info = 0;
    if (!tri) {
      T q;
      Lapack<T>::getri(n, w.data(), n, ipiv.data(), &q, -1, info);
      work.resize(lwork_of(q));
    }
    for (int64_t b = b0; b < b1; ++b) {
      A.load(b, w.data(), n);
      if (tri) {
        Lapack<T>::trtri(upper ? 'U' : 'L', n, w.data(), n, info);
        check_internal(info, "trtri");
        if (info > 0) {
          fail(op, linalg_errors::zero_diagonal(info), b, A.batch);
        }
        zero_other_triangle(w.data(), n, n, !upper);
      } else {
        Lapack<T>::getrf(n, n, w.data(), n, ipiv.data(), info);
        check_internal(info, "getrf");
        if (info > 0) {
          fail(op, linalg_errors::zero_pivot(info), b, A.batch);
        }
        Lapack<T>::getri(n, w.data(), n, ipiv.data(), work.data(), static_cast<int>(work.size()),
                         info);
        check_internal(info, "getri");
      }
      store(w.data(), n, n, n, o + b * n * n);
    }
  });
}

template <typename T>
void cholesky_kernel(const array& a, array& out, bool upper) {
  Matrices A(a);
  int n = A.rows;
  if (n == 0 || A.batch == 0) return;
  T* o = out.unsafe_data<T>();
  for_batches(A.batch, n, [&](int64_t b0, int64_t b1) {
    std::vector<T> w(static_cast<size_t>(n) * n);
    for (int64_t b = b0; b < b1; ++b) {
      A.load(b, w.data(), n);
      int info = 0;
      Lapack<T>::potrf(upper ? 'U' : 'L', n, w.data(), n, info);
      check_internal(info, "potrf");
      if (info > 0) {
        fail("linalg::cholesky", linalg_errors::not_positive_definite(info), b, A.batch);
      }
      zero_other_triangle(w.data(), n, n, !upper);
      store(w.data(), n, n, n, o + b * n * n);
    }
  });
}

template <typename T>
void qr_kernel(const array& a, array& q_out, array& r_out) {
  Matrices A(a);
  int m = A.rows, n = A.cols, k = std::min(m, n);
  if (k == 0 || A.batch == 0) return;
  T* qo = q_out.unsafe_data<T>();
  T* ro = r_out.unsafe_data<T>();
  for_batches(A.batch, std::max(m, n), [&](int64_t b0, int64_t b1) {
    int ld = m;
    std::vector<T> w(static_cast<size_t>(m) * n), tau(k);
    int info = 0;
    T q1, q2;
    Lapack<T>::geqrf(m, n, w.data(), ld, tau.data(), &q1, -1, info);
    Lapack<T>::orgqr(m, k, k, w.data(), ld, tau.data(), &q2, -1, info);
    std::vector<T> work(std::max(lwork_of(q1), lwork_of(q2)));
    int lw = static_cast<int>(work.size());
    for (int64_t b = b0; b < b1; ++b) {
      A.load(b, w.data(), ld);
      Lapack<T>::geqrf(m, n, w.data(), ld, tau.data(), work.data(), lw, info);
      check_internal(info, "geqrf");
      T* r = ro + b * k * n;
      for (int i = 0; i < k; ++i) {
        for (int j = 0; j < n; ++j)
          r[static_cast<int64_t>(i) * n + j] = j >= i ? w[i + static_cast<int64_t>(j) * ld] : T(0);
      }
      Lapack<T>::orgqr(m, k, k, w.data(), ld, tau.data(), work.data(), lw, info);
      check_internal(info, "orgqr");
      store(w.data(), ld, m, k, qo + b * m * k);
    }
  });
}

template <typename T>
void svd_kernel(const array& a, std::vector<array>& outs, bool uv) {
  Matrices A(a);
  int m = A.rows, n = A.cols, k = std::min(m, n);
  if (A.batch == 0) return;
  T* uo = uv ? outs[0].unsafe_data<T>() : nullptr;
  T* so = outs[uv ? 1 : 0].unsafe_data<T>();
  T* vo = uv ? outs[2].unsafe_data<T>() : nullptr;
  if (k == 0) {
    // No singular values; U and Vt are identities.
    if (uv) {
      std::fill(uo, uo + outs[0].size(), T(0));
      std::fill(vo, vo + outs[2].size(), T(0));
      for (int64_t b = 0; b < A.batch; ++b) {
        for (int i = 0; i < m; ++i)
          uo[b * m * m + static_cast<int64_t>(i) * m + i] = T(1);
        for (int i = 0; i < n; ++i)
          vo[b * n * n + static_cast<int64_t>(i) * n + i] = T(1);
      }
    }
    return;
  }
  char job = uv ? 'A' : 'N';
  int ldu = uv ? m : 1, ldvt = uv ? n : 1;
  for_batches(A.batch, std::max(m, n), [&](int64_t b0, int64_t b1) {
    std::vector<T> w(static_cast<size_t>(m) * n), s(k);
    std::vector<T> u(uv ? static_cast<size_t>(m) * m : 1), vt(uv ? static_cast<size_t>(n) * n : 1);
    std::vector<int> iwork(8 * static_cast<size_t>(k));
    int info = 0;
    T q;
    Lapack<T>::gesdd(job, m, n, w.data(), m, s.data(), u.data(), ldu, vt.data(), ldvt, &q, -1,
                     iwork.data(), info);
    std::vector<T> work(lwork_of(q));
    for (int64_t b = b0; b < b1; ++b) {
      A.load(b, w.data(), m);
      Lapack<T>::gesdd(job, m, n, w.data(), m, s.data(), u.data(), ldu, vt.data(), ldvt,
                       work.data(), static_cast<int>(work.size()), iwork.data(), info);
      check_internal(info, "gesdd");
      if (info > 0) {
        // The divide-and-conquer driver did not converge: retry with the QR-iteration driver.
        A.load(b, w.data(), m);
        Lapack<T>::gesvd(job, m, n, w.data(), m, s.data(), u.data(), ldu, vt.data(), ldvt, &q, -1,
                         info);
        std::vector<T> work2(lwork_of(q));
        Lapack<T>::gesvd(job, m, n, w.data(), m, s.data(), u.data(), ldu, vt.data(), ldvt,
                         work2.data(), static_cast<int>(work2.size()), info);
        check_internal(info, "gesvd");
        if (info > 0) fail("linalg::svd", "The SVD did not converge", b, A.batch);
      }
      std::copy(s.begin(), s.end(), so + b * k);
      if (uv) {
        store(u.data(), m, m, m, uo + b * m * m);
        store(vt.data(), n, n, n, vo + b * n * n);
      }
    }
  });
}

template <typename T>
void eigh_kernel(const array& a, std::vector<array>& outs, char uplo, bool vectors) {
  Matrices A(a);
  int n = A.rows;
  if (n == 0 || A.batch == 0) return;
  T* wo = outs[0].unsafe_data<T>();
  T* vo = vectors ? outs[1].unsafe_data<T>() : nullptr;
  char jobz = vectors ? 'V' : 'N';
  for_batches(A.batch, n, [&](int64_t b0, int64_t b1) {
    std::vector<T> w(static_cast<size_t>(n) * n), ev(n);
    int info = 0, iq = 0;
    T q;
    Lapack<T>::syevd(jobz, uplo, n, w.data(), n, ev.data(), &q, -1, &iq, -1, info);
    std::vector<T> work(lwork_of(q));
    std::vector<int> iwork(std::max(1, iq));
    for (int64_t b = b0; b < b1; ++b) {
      A.load(b, w.data(), n);
      Lapack<T>::syevd(jobz, uplo, n, w.data(), n, ev.data(), work.data(),
                       static_cast<int>(work.size()), iwork.data(), static_cast<int>(iwork.size()),
                       info);
      check_internal(info, "syevd");
      if (info > 0) {
        fail("linalg::eigh", linalg_errors::no_convergence(), b, A.batch);
      }
      std::copy(ev.begin(), ev.end(), wo + b * n);
      if (vectors) store(w.data(), n, n, n, vo + b * n * n);
    }
  });
}

template <typename T>
void eig_kernel(const array& a, std::vector<array>& outs, bool vectors) {
  Matrices A(a);
  int n = A.rows;
  if (n == 0 || A.batch == 0) return;
  auto* wo = outs[0].unsafe_data<complex64_t>();
  auto* vo = vectors ? outs[1].unsafe_data<complex64_t>() : nullptr;
  char jobvr = vectors ? 'V' : 'N';
  int ldvr = vectors ? n : 1;
  for_batches(A.batch, n, [&](int64_t b0, int64_t b1) {
    std::vector<T> w(static_cast<size_t>(n) * n), wr(n), wi(n);
    std::vector<T> vr(vectors ? static_cast<size_t>(n) * n : 1);
    int info = 0;
    T q;
    Lapack<T>::geev(jobvr, n, w.data(), n, wr.data(), wi.data(), vr.data(), ldvr, &q, -1, info);
    std::vector<T> work(lwork_of(q));
    for (int64_t b = b0; b < b1; ++b) {
      A.load(b, w.data(), n);
      Lapack<T>::geev(jobvr, n, w.data(), n, wr.data(), wi.data(), vr.data(), ldvr, work.data(),
                      static_cast<int>(work.size()), info);
      check_internal(info, "geev");
      if (info > 0) {
        fail("linalg::eig", linalg_errors::no_convergence(), b, A.batch);
      }
      for (int j = 0; j < n; ++j)
        wo[b * n + j] = complex64_t(static_cast<float>(wr[j]), static_cast<float>(wi[j]));
      if (!vectors) continue;
      // Real eigenvalue: column j is real. A conjugate pair (wi[j] > 0): columns j and j+1 hold
      // the real and imaginary parts of the first vector; the second is its conjugate.
      complex64_t* v = vo + b * n * n;
      auto col = [&](int j, int i) {
        return static_cast<float>(vr[i + static_cast<int64_t>(j) * n]);
      };
      for (int j = 0; j < n; ++j) {
        if (wi[j] == T(0) || j + 1 == n) {
          for (int i = 0; i < n; ++i)
            v[static_cast<int64_t>(i) * n + j] = complex64_t(col(j, i), 0.0f);
        } else {
          for (int i = 0; i < n; ++i) {
            v[static_cast<int64_t>(i) * n + j] = complex64_t(col(j, i), col(j + 1, i));
            v[static_cast<int64_t>(i) * n + j + 1] = complex64_t(col(j, i), -col(j + 1, i));
          }
          ++j;
        }
      }
    }
  });
}

template <typename T>
void lu_kernel(const array& a, std::vector<array>& outs) {
  Matrices A(a);
  int m = A.rows, n = A.cols, k = std::min(m, n);
  if (A.batch == 0) return;
  T* lo = outs[0].unsafe_data<T>();
  auto* po = outs[1].unsafe_data<uint32_t>();
  auto* ro = outs[2].unsafe_data<uint32_t>();
  for_batches(A.batch, std::max(m, n), [&](int64_t b0, int64_t b1) {
    int ld = std::max(m, 1);
    std::vector<T> w(static_cast<size_t>(m) * n);
    std::vector<int> ipiv(std::max(k, 1));
    std::vector<uint32_t> rows(m);
    for (int64_t b = b0; b < b1; ++b) {
      if (k > 0) {
        A.load(b, w.data(), ld);
        int info = 0;
        // info > 0 (an exactly zero pivot: a singular matrix) is not an error here.
        Lapack<T>::getrf(m, n, w.data(), ld, ipiv.data(), info);
        check_internal(info, "getrf");
        store(w.data(), ld, m, n, lo + b * m * n);
      }
      for (int i = 0; i < m; ++i)
        rows[i] = static_cast<uint32_t>(i);
      for (int i = 0; i < k; ++i) {
        po[b * k + i] = static_cast<uint32_t>(ipiv[i] - 1);
        std::swap(rows[i], rows[ipiv[i] - 1]);
      }
      // The factors hold a[rows]; P inverts that permutation so that a = (L U)[P].
      for (int i = 0; i < m; ++i)
        ro[b * m + rows[i]] = static_cast<uint32_t>(i);
    }
  });
}

template <typename T>
void solve_kernel(const array& a, const array& rhs, array& out, bool tri, bool upper) {
  Matrices A(a), B(rhs);
  int n = A.rows, k = B.cols;
  if (n == 0 || k == 0 || A.batch == 0) return;
  const char* op = tri ? "linalg::solve_triangular" : "linalg::solve";
  T* o = out.unsafe_data<T>();
  for_batches(A.batch, std::max(n, k), [&](int64_t b0, int64_t b1) {
    std::vector<T> w(static_cast<size_t>(n) * n), x(static_cast<size_t>(n) * k);
    std::vector<int> ipiv(n);
    for (int64_t b = b0; b < b1; ++b) {
      A.load(b, w.data(), n);
      B.load(b, x.data(), n);
      int info = 0;
      if (tri) {
        Lapack<T>::trtrs(upper ? 'U' : 'L', n, k, w.data(), n, x.data(), n, info);
        check_internal(info, "trtrs");
        if (info > 0) {
          fail(op, linalg_errors::zero_diagonal(info), b, A.batch);
        }
      } else {
        Lapack<T>::gesv(n, k, w.data(), n, ipiv.data(), x.data(), n, info);
        check_internal(info, "gesv");
        if (info > 0) {
          fail(op, linalg_errors::zero_pivot(info), b, A.batch);
        }
      }
      store(x.data(), n, n, k, o + b * n * k);
    }
  });
}

}  // namespace

void Inverse::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  alloc(outputs[0]);
  dispatch_float(inputs[0].dtype(), "linalg::inv",
                 [&]<typename T>() { inverse_kernel<T>(inputs[0], outputs[0], tri_, upper_); });
}

void Cholesky::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  alloc(outputs[0]);
  dispatch_float(inputs[0].dtype(), "linalg::cholesky",
                 [&]<typename T>() { cholesky_kernel<T>(inputs[0], outputs[0], upper_); });
}

void QRF::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  alloc(outputs[0]);
  alloc(outputs[1]);
  dispatch_float(inputs[0].dtype(), "linalg::qr",
                 [&]<typename T>() { qr_kernel<T>(inputs[0], outputs[0], outputs[1]); });
}

void SVD::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  for (auto& o : outputs)
    alloc(o);
  dispatch_float(inputs[0].dtype(), "linalg::svd",
                 [&]<typename T>() { svd_kernel<T>(inputs[0], outputs, compute_uv_); });
}

void Eigh::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  for (auto& o : outputs)
    alloc(o);
  dispatch_float(inputs[0].dtype(), "linalg::eigh", [&]<typename T>() {
    eigh_kernel<T>(inputs[0], outputs, uplo_, compute_eigenvectors_);
  });
}

void Eig::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  for (auto& o : outputs)
    alloc(o);
  dispatch_float(inputs[0].dtype(), "linalg::eig",
                 [&]<typename T>() { eig_kernel<T>(inputs[0], outputs, compute_eigenvectors_); });
}

void LUF::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  for (auto& o : outputs)
    alloc(o);
  dispatch_float(inputs[0].dtype(), "linalg::lu_factor",
                 [&]<typename T>() { lu_kernel<T>(inputs[0], outputs); });
}

void Solve::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  alloc(outputs[0]);
  dispatch_float(inputs[0].dtype(), "linalg::solve", [&]<typename T>() {
    solve_kernel<T>(inputs[0], inputs[1], outputs[0], false, false);
  });
}

void SolveTriangular::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  alloc(outputs[0]);
  dispatch_float(inputs[0].dtype(), "linalg::solve_triangular", [&]<typename T>() {
    solve_kernel<T>(inputs[0], inputs[1], outputs[0], true, upper_);
  });
}

}  // namespace tandem
