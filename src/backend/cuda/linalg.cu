// Copyright © 2026 Tandem authors.
// GPU kernels of the linear algebra primitives (primitives/linalg.h) through cuSOLVER and cuBLAS,
// with the semantics of the CPU kernels (backend/cpu/linalg.cpp): the same outputs, shapes,
// triangles read and zeroed, pivot formats, orderings and error messages (the messages come from
// backend/common/linalg_errors.h, shared with the CPU).
//
// Layout. Each call first copies the input matrices (any strides, broadcast batches, any of the
// two float dtypes) into packed column-major workspaces (one strided-copy kernel for the whole
// batch), factorises them there, and writes the row-contiguous outputs with one transposing
// kernel per output (which also zeroes the unused triangle where the CPU does). Where a library
// result is already the row-major output (V of gesvdj is Vt, the factors of a transposed SVD),
// the library writes the output directly.
//
// Algorithms. Matrices of at most kSmall = 32 rows and columns use the batched library calls
// (one call per kChunk matrices): cuBLAS getrfBatched / getrsBatched (inverse, solve, square lu),
// trsmBatched (triangular solves and inverses), cuSOLVER potrfBatched, gesvdjBatched (Jacobi SVD)
// and syevjBatched (Jacobi eigh). Larger matrices loop over the batch on the stream with one
// workspace per call: getrf / getrs, trsm, Xpotrf, geqrf / orgqr, Xgesvd (on the transpose when
// the matrix is wide: gesvd needs M >= N), Xsyevd and Xgeev. QR has no batched path (cuSOLVER
// has no batched orgqr). The choice depends on the matrix size only, never on the batch size,
// so a matrix gives the same result alone or in a batch (vmap against a loop).
//
// Errors and synchronisation. The CPU throws for exactly singular matrices (inv, tri_inv, solve,
// solve_triangular), matrices that are not positive definite (cholesky) and eigen-solvers that
// do not converge (eig); lu_factor accepts singular matrices. To give the same exceptions, those
// ops copy the per-matrix status words to the host after queueing their work and wait for the
// stream (one cudaStreamSynchronize per op call: it drains the stream, so the host cannot run
// ahead of the GPU across these ops; the cost is the queued work plus a round trip of ~10-20
// us). Eig waits as well (Xgeev also takes a host workspace). SVD and eigh do not wait: a
// matrix whose solver reports failure (no convergence within the Jacobi sweeps or the QR
// iterations, which finite inputs rarely cause) gets NaN in all of its outputs instead of the
// CPU's exception. Host workspaces of 64-bit cuSOLVER routines are released only after the
// stream has finished (HostWork).
#include <cublas_v2.h>
#include <cusolverDn.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "backend/common/linalg_errors.h"
#include "backend/cuda/blas.h"
#include "backend/cuda/copy.h"
#include "backend/cuda/indexing.cuh"
#include "backend/cuda/kernels.cuh"
#include "backend/cuda/solver.h"
#include "primitives/linalg.h"

namespace tandem {

namespace {

using cuda::Encoder;

constexpr int kSmall = 32;         // matrices up to this size use the batched library calls
constexpr int64_t kChunk = 65535;  // matrices per batched library call

// ---------------- typed library entry points ----------------

template <typename T>
struct Lib;

#define TANDEM_LINALG_LIB(T, p, CUDA_TYPE)                                               \
  template <>                                                                            \
  struct Lib<T> {                                                                        \
    static constexpr cudaDataType dtype = CUDA_TYPE;                                     \
    static constexpr auto getrf_batched = cublas##p##getrfBatched;                       \
    static constexpr auto getrs_batched = cublas##p##getrsBatched;                       \
    static constexpr auto trsm = cublas##p##trsm;                                        \
    static constexpr auto trsm_batched = cublas##p##trsmBatched;                         \
    static constexpr auto getrf_size = cusolverDn##p##getrf_bufferSize;                  \
    static constexpr auto getrf = cusolverDn##p##getrf;                                  \
    static constexpr auto getrs = cusolverDn##p##getrs;                                  \
    static constexpr auto potrf_batched = cusolverDn##p##potrfBatched;                   \
    static constexpr auto geqrf_size = cusolverDn##p##geqrf_bufferSize;                  \
    static constexpr auto geqrf = cusolverDn##p##geqrf;                                  \
    static constexpr auto orgqr_size = cusolverDn##p##orgqr_bufferSize;                  \
    static constexpr auto orgqr = cusolverDn##p##orgqr;                                  \
    static constexpr auto gesvdj_batched_size = cusolverDn##p##gesvdjBatched_bufferSize; \
    static constexpr auto gesvdj_batched = cusolverDn##p##gesvdjBatched;                 \
    static constexpr auto syevj_batched_size = cusolverDn##p##syevjBatched_bufferSize;   \
    static constexpr auto syevj_batched = cusolverDn##p##syevjBatched;                   \
  };
TANDEM_LINALG_LIB(float, S, CUDA_R_32F)
TANDEM_LINALG_LIB(double, D, CUDA_R_64F)
#undef TANDEM_LINALG_LIB

// ---------------- kernels ----------------

// Row-major rows x cols matrices, packed, from column-major ones (leading dimension ld, `stride`
// elements apart). tri: 0 keeps everything, 1 the lower triangle (i >= j), 2 the upper one
// (i <= j); the rest becomes 0.
template <typename T>
__global__ void store_kernel(const T* src, int64_t stride, int64_t ld, T* dst, int rows, int cols,
                             int64_t total, int tri) {
  const int64_t per = static_cast<int64_t>(rows) * cols;
  for (int64_t q = cuda::global_thread(); q < total; q += cuda::grid_threads()) {
    const int64_t b = q / per;
    const int64_t e = q - b * per;
    const int64_t i = e / cols;
    const int64_t j = e - i * cols;
    const bool zero = (tri == 1 && j > i) || (tri == 2 && i > j);
    dst[q] = zero ? T(0) : src[b * stride + i + j * ld];
  }
}

// info[b] = 1 + the first index i with a[i, i] == 0 in matrix b, or 0 (LAPACK trtri/trtrs).
template <typename T>
__global__ void zero_diagonal_kernel(const T* a, int64_t stride, int64_t ld, int n, int64_t count,
                                     int* info) {
  for (int64_t b = cuda::global_thread(); b < count; b += cuda::grid_threads()) {
    int r = 0;
    for (int i = 0; i < n; ++i) {
      if (a[b * stride + i + i * ld] == T(0)) {
        r = i + 1;
        break;
      }
    }
    info[b] = r;
  }
}

// Identity matrices n x n, packed (the same in either layout).
template <typename T>
__global__ void eye_kernel(T* dst, int n, int64_t total) {
  const int64_t per = static_cast<int64_t>(n) * n;
  for (int64_t q = cuda::global_thread(); q < total; q += cuda::grid_threads()) {
    const int64_t e = q % per;
    dst[q] = e / n == e % n ? T(1) : T(0);
  }
}

// The addresses of `count` matrices `stride` elements apart (the batched calls' arrays).
template <typename T>
__global__ void pointers_kernel(T** p, T* base, int64_t stride, int64_t count) {
  for (int64_t b = cuda::global_thread(); b < count; b += cuda::grid_threads())
    p[b] = base + b * stride;
}

// NaN in the `per` elements of every matrix whose status word is nonzero.
template <typename T>
__global__ void poison_kernel(const int* info, T* data, int64_t per, int64_t total) {
  for (int64_t q = cuda::global_thread(); q < total; q += cuda::grid_threads()) {
    if (info[q / per] != 0) data[q] = std::numeric_limits<T>::quiet_NaN();
  }
}

// LAPACK pivots (1-based, k per matrix) into the 0-based pivots and the row indices P with
// a = (L U)[P], as lu_kernel of backend/cpu/linalg.cpp. One thread per matrix (the row swaps are
// sequential); `rows` is scratch of m per matrix.
__global__ void lu_pivots_kernel(const int* ipiv, int k, int m, int64_t count, uint32_t* piv,
                                 uint32_t* perm, int* rows) {
  for (int64_t b = cuda::global_thread(); b < count; b += cuda::grid_threads()) {
    int* r = rows + b * m;
    for (int i = 0; i < m; ++i)
      r[i] = i;
    for (int i = 0; i < k; ++i) {
      const int p = ipiv[b * k + i] - 1;
      piv[b * k + i] = static_cast<uint32_t>(p);
      if (p >= 0 && p < m) {
        const int t = r[i];
        r[i] = r[p];
        r[p] = t;
      }
    }
    for (int i = 0; i < m; ++i)
      perm[b * m + r[i]] = static_cast<uint32_t>(i);
  }
}

// Eigenvalues of Xgeev (per matrix the n real parts, then the n imaginary parts; conjugate
// pairs adjacent, positive imaginary part first) into complex64, and the kind of each column of
// VR: 0 real, 1 real part of a pair's first vector, 2 imaginary part (eig_kernel of the CPU).
template <typename T>
__global__ void eig_values_kernel(const T* w, int n, int64_t count, cuda::complex_t* out,
                                  int8_t* kind) {
  for (int64_t b = cuda::global_thread(); b < count; b += cuda::grid_threads()) {
    const T* wr = w + b * 2 * n;
    const T* wi = wr + n;
    int8_t* kb = kind + b * n;
    for (int j = 0; j < n; ++j) {
      out[b * n + j] = cuda::complex_t(static_cast<float>(wr[j]), static_cast<float>(wi[j]));
    }
    for (int j = 0; j < n; ++j) {
      if (wi[j] == T(0) || j + 1 == n) {
        kb[j] = 0;
      } else {
        kb[j] = 1;
        kb[j + 1] = 2;
        ++j;
      }
    }
  }
}

// The complex eigenvectors (row-major n x n, unit-norm columns) from Xgeev's real VR
// (column-major): a pair's vectors are VR[:, j] +- i VR[:, j + 1].
template <typename T>
__global__ void eig_vectors_kernel(const T* vr, const int8_t* kind, int n, int64_t total,
                                   cuda::complex_t* out) {
  const int64_t per = static_cast<int64_t>(n) * n;
  for (int64_t q = cuda::global_thread(); q < total; q += cuda::grid_threads()) {
    const int64_t b = q / per;
    const int64_t e = q - b * per;
    const int64_t i = e / n;
    const int64_t j = e - i * n;
    const T* v = vr + b * per;
    const int8_t kj = kind[b * n + j];
    float re, im;
    if (kj == 0) {
      re = static_cast<float>(v[i + j * n]);
      im = 0.0f;
    } else if (kj == 1) {
      re = static_cast<float>(v[i + j * n]);
      im = static_cast<float>(v[i + (j + 1) * n]);
    } else {
      re = static_cast<float>(v[i + (j - 1) * n]);
      im = -static_cast<float>(v[i + j * n]);
    }
    out[q] = cuda::complex_t(re, im);
  }
}

// ---------------- host helpers ----------------

// The matrices in the last two axes: `count` of rows x cols.
struct Geom {
  int64_t count;
  int rows, cols;
};

Geom geom(const array& a) {
  const int nd = a.ndim();
  Geom g{1, a.shape()[nd - 2], a.shape()[nd - 1]};
  for (int d = 0; d < nd - 2; ++d)
    g.count *= a.shape()[d];
  return g;
}

// Device scratch of `count` elements of `t` (at least one), freed in stream order when the
// array goes away.
array workspace(Encoder& enc, int64_t count, Dtype t) {
  return cuda::scratch(enc, static_cast<size_t>(std::max<int64_t>(count, 1)), t);
}

template <typename T>
T* ptr(Encoder& enc, const array& a) {
  return static_cast<T*>(enc.input(a));
}

template <typename T>
Dtype dtype_t() {
  return std::is_same_v<T, float> ? float32 : float64;
}

// The matrices of `a` (any layout) converted to `t` into dst: element (i, j) of matrix b at
// b * stride + i * rs + j * cs.
void load(Encoder& enc, const array& a, Dtype t, void* dst, int64_t rs, int64_t cs,
          int64_t stride) {
  const int nd = a.ndim();
  Strides ds(nd);
  ds[nd - 2] = rs;
  ds[nd - 1] = cs;
  int64_t s = stride;
  for (int d = nd - 3; d >= 0; --d) {
    ds[d] = s;
    s *= a.shape()[d];
  }
  cuda::copy_general(enc, enc.input(a), a.dtype(), a.strides(), dst, t, ds, a.shape());
}

// Packed column-major matrices with leading dimension rows.
void load_colmajor(Encoder& enc, const array& a, Dtype t, void* dst) {
  const Geom g = geom(a);
  load(enc, a, t, dst, 1, g.rows, static_cast<int64_t>(g.rows) * g.cols);
}

template <typename T>
void store(Encoder& enc, const T* src, int64_t stride, int64_t ld, T* dst, int rows, int cols,
           int64_t count, int tri = 0) {
  const int64_t total = count * rows * cols;
  if (total == 0) return;
  cuda::launch(enc, "linalg_store", store_kernel<T>, dim3(cuda::blocks_for(total)),
               dim3(cuda::kThreads), 0, src, stride, ld, dst, rows, cols, total, tri);
}

template <typename T>
void fill_eye(Encoder& enc, T* dst, int n, int64_t count) {
  const int64_t total = count * n * n;
  if (total == 0) return;
  cuda::launch(enc, "linalg_eye", eye_kernel<T>, dim3(cuda::blocks_for(total)),
               dim3(cuda::kThreads), 0, dst, n, total);
}

template <typename T>
void poison(Encoder& enc, const int* info, T* data, int64_t per, int64_t count) {
  const int64_t total = count * per;
  if (total == 0) return;
  cuda::launch(enc, "linalg_poison", poison_kernel<T>, dim3(cuda::blocks_for(total)),
               dim3(cuda::kThreads), 0, info, data, per, total);
}

// An array of the addresses of `count` matrices `stride` elements apart from `base`.
template <typename T>
array pointer_array(Encoder& enc, T* base, int64_t stride, int64_t count) {
  array p = workspace(enc, count, uint64);
  cuda::launch(enc, "linalg_pointers", pointers_kernel<T>, dim3(cuda::blocks_for(count)),
               dim3(cuda::kThreads), 0, static_cast<T**>(enc.input(p)), base, stride, count);
  return p;
}

// Calls f(first, size) for the chunks of at most kChunk matrices of the batch.
template <typename F>
void for_chunks(int64_t count, F&& f) {
  for (int64_t c0 = 0; c0 < count; c0 += kChunk)
    f(c0, static_cast<int>(std::min(kChunk, count - c0)));
}

// The host workspace of a 64-bit cuSOLVER routine; released only once the stream has finished
// the work queued so far (the routines use it during the call, but waiting is cheap insurance
// against an asynchronous use and only happens when a routine asks for host memory).
class HostWork {
 public:
  HostWork(Encoder& enc, size_t bytes)
      : enc_(enc), buf_(bytes > 0 ? new char[bytes] : nullptr), size_(bytes) {}
  HostWork(const HostWork&) = delete;
  HostWork& operator=(const HostWork&) = delete;
  ~HostWork() {
    if (size_ > 0) (void)cudaStreamSynchronize(enc_.stream());
  }
  void* data() { return buf_.get(); }
  size_t size() const { return size_; }

 private:
  Encoder& enc_;
  std::unique_ptr<char[]> buf_;
  size_t size_;
};

using linalg_errors::fail;

void check_internal(int info, const char* routine) {
  if (info < 0) {
    throw std::runtime_error(std::string("[linalg] ") + routine + " rejected argument " +
                             std::to_string(-info) + " (internal error).");
  }
}

// The first matrix whose status word is nonzero, {index, word}, or {-1, 0}. Copies the words to
// the host and waits for the stream (see the file comment).
std::pair<int64_t, int> first_failure(Encoder& enc, const int* info, int64_t count) {
  std::vector<int> h(static_cast<size_t>(count));
  TANDEM_CUDA_CHECK(cudaMemcpyAsync(h.data(), info, h.size() * sizeof(int), cudaMemcpyDeviceToHost,
                                    enc.stream()));
  TANDEM_CUDA_CHECK(cudaStreamSynchronize(enc.stream()));
  for (int64_t b = 0; b < count; ++b) {
    if (h[b] != 0) return {b, h[b]};
  }
  return {-1, 0};
}

int to_int(int64_t v, const char* op) {
  if (v > INT_MAX) {
    throw std::invalid_argument(std::string("[") + op + "] Size " + std::to_string(v) +
                                " exceeds the range of cuSOLVER's int arguments.");
  }
  return static_cast<int>(v);
}

template <typename F>
void dispatch_real(Dtype t, const char* op, F&& f) {
  if (t == float32) return f.template operator()<float>();
  if (t == float64) return f.template operator()<double>();
  throw std::invalid_argument(std::string("[") + op + "] Unsupported dtype " + dtype_name(t) + ".");
}

// ---------------- shared factorisations ----------------

// LU factors with partial pivoting, in place, of `count` column-major m x n matrices at wa
// (packed, leading dimension m); status words (LAPACK's info) in `info`. Keeps the pivots (k per
// matrix, 1-based int32) and, for the batched path, the matrices' addresses. The loop uses the
// 32-bit getrf: its 64-bit sibling Xgetrf was reported to return wrong pivots for singular
// matrices (pytorch/pytorch#53879), and one pivot type serves both paths.
struct LU {
  bool batched{false};
  std::optional<array> piv;
  std::optional<array> ptrs;
};

template <typename T>
LU lu_inplace(Encoder& enc, T* wa, int m, int n, int64_t count, int* info) {
  LU lu;
  const int k = std::min(m, n);
  const int64_t stride = static_cast<int64_t>(m) * n;
  lu.piv = workspace(enc, count * k, int32);
  int* piv = ptr<int>(enc, *lu.piv);
  if (m == n && n <= kSmall) {
    lu.batched = true;
    lu.ptrs = pointer_array(enc, wa, stride, count);
    T** pa = static_cast<T**>(enc.input(*lu.ptrs));
    cublasHandle_t h = cuda::blas_handle(enc);
    for_chunks(count, [&](int64_t c0, int cnt) {
      TANDEM_CUBLAS_CHECK(Lib<T>::getrf_batched(h, n, pa + c0, n, piv + c0 * n, info + c0, cnt));
      enc.count_op();
    });
    return lu;
  }
  auto& s = cuda::solver(enc);
  int lwork = 0;
  TANDEM_CUSOLVER_CHECK(Lib<T>::getrf_size(s.handle, m, n, wa, m, &lwork));
  array ws_arr = workspace(enc, std::max(lwork, 1), dtype_t<T>());
  T* ws = ptr<T>(enc, ws_arr);
  for (int64_t b = 0; b < count; ++b) {
    TANDEM_CUSOLVER_CHECK(
        Lib<T>::getrf(s.handle, m, n, wa + b * stride, m, ws, piv + b * k, info + b));
    enc.count_op();
  }
  return lu;
}

// X = A^-1 B in place of the column-major n x nrhs matrices at wb, from lu_inplace's factors of
// the n x n matrices at wa.
template <typename T>
void lu_solve(Encoder& enc, LU& lu, T* wa, T* wb, int n, int nrhs, int64_t count) {
  const int64_t sa = static_cast<int64_t>(n) * n, sb = static_cast<int64_t>(n) * nrhs;
  const int* piv = ptr<int>(enc, *lu.piv);
  if (lu.batched) {
    array bp = pointer_array(enc, wb, sb, count);
    T** pb = static_cast<T**>(enc.input(bp));
    T** pa = static_cast<T**>(enc.input(*lu.ptrs));
    cublasHandle_t h = cuda::blas_handle(enc);
    for_chunks(count, [&](int64_t c0, int cnt) {
      int arg_info = 0;
      TANDEM_CUBLAS_CHECK(Lib<T>::getrs_batched(h, CUBLAS_OP_N, n, nrhs, pa + c0, n, piv + c0 * n,
                                                pb + c0, n, &arg_info, cnt));
      enc.count_op();
      check_internal(arg_info, "cublas<t>getrsBatched");
    });
    return;
  }
  auto& s = cuda::solver(enc);
  array arg_info = workspace(enc, 1, int32);  // getrs reports only invalid arguments
  int* ai = ptr<int>(enc, arg_info);
  for (int64_t b = 0; b < count; ++b) {
    TANDEM_CUSOLVER_CHECK(Lib<T>::getrs(s.handle, CUBLAS_OP_N, n, nrhs, wa + b * sa, n, piv + b * n,
                                        wb + b * sb, n, ai));
    enc.count_op();
  }
}

// X = T^-1 B in place of the column-major n x nrhs matrices at wb, T the lower (or upper)
// triangle of the n x n matrices at wa (the diagonal is used; check it for zeros first).
template <typename T>
void tri_solve(Encoder& enc, T* wa, T* wb, int n, int nrhs, int64_t count, bool upper) {
  const int64_t sa = static_cast<int64_t>(n) * n, sb = static_cast<int64_t>(n) * nrhs;
  const cublasFillMode_t fill = upper ? CUBLAS_FILL_MODE_UPPER : CUBLAS_FILL_MODE_LOWER;
  const T one(1);
  cublasHandle_t h = cuda::blas_handle(enc);
  if (n <= kSmall) {
    array ap = pointer_array(enc, wa, sa, count);
    array bp = pointer_array(enc, wb, sb, count);
    T** pa = static_cast<T**>(enc.input(ap));
    T** pb = static_cast<T**>(enc.input(bp));
    for_chunks(count, [&](int64_t c0, int cnt) {
      TANDEM_CUBLAS_CHECK(Lib<T>::trsm_batched(h, CUBLAS_SIDE_LEFT, fill, CUBLAS_OP_N,
                                               CUBLAS_DIAG_NON_UNIT, n, nrhs, &one, pa + c0, n,
                                               pb + c0, n, cnt));
      enc.count_op();
    });
    return;
  }
  for (int64_t b = 0; b < count; ++b) {
    TANDEM_CUBLAS_CHECK(Lib<T>::trsm(h, CUBLAS_SIDE_LEFT, fill, CUBLAS_OP_N, CUBLAS_DIAG_NON_UNIT,
                                     n, nrhs, &one, wa + b * sa, n, wb + b * sb, n));
    enc.count_op();
  }
}

// info[b] = 1 + the first zero on the diagonal of matrix b (n x n at wa), or 0.
template <typename T>
void zero_diagonal(Encoder& enc, const T* wa, int n, int64_t count, int* info) {
  cuda::launch(enc, "linalg_zero_diagonal", zero_diagonal_kernel<T>, dim3(cuda::blocks_for(count)),
               dim3(cuda::kThreads), 0, wa, static_cast<int64_t>(n) * n, static_cast<int64_t>(n), n,
               count, info);
}

// Throws the CPU's error for the first singular matrix (a zero pivot of the LU factors, or with
// `tri` a zero diagonal element), after waiting for the stream.
void check_singular(Encoder& enc, const int* info, int64_t count, const char* op, bool tri) {
  auto [b, v] = first_failure(enc, info, count);
  if (b < 0) return;
  check_internal(v, tri ? "trsm" : "getrf");
  fail(op, tri ? linalg_errors::zero_diagonal(v) : linalg_errors::zero_pivot(v), b, count);
}

// ---------------- the primitives ----------------

template <typename T>
void inverse_gpu(Encoder& enc, const array& a, array& out, bool tri, bool upper) {
  const char* op = tri ? "linalg::tri_inv" : "linalg::inv";
  T* o = static_cast<T*>(enc.output(out));
  const Geom g = geom(a);
  const int n = g.rows;
  const int64_t count = g.count, nn = static_cast<int64_t>(n) * n;
  if (n == 0 || count == 0) return;
  const Dtype t = dtype_t<T>();
  array wa_arr = workspace(enc, count * nn, t), wx_arr = workspace(enc, count * nn, t);
  array info_arr = workspace(enc, count, int32);
  T* wa = ptr<T>(enc, wa_arr);
  T* wx = ptr<T>(enc, wx_arr);
  int* info = ptr<int>(enc, info_arr);
  load_colmajor(enc, a, t, wa);
  fill_eye(enc, wx, n, count);
  if (tri) {
    zero_diagonal(enc, wa, n, count, info);
    tri_solve(enc, wa, wx, n, n, count, upper);
    store(enc, wx, nn, n, o, n, n, count, upper ? 2 : 1);
  } else {
    LU lu = lu_inplace(enc, wa, n, n, count, info);
    lu_solve(enc, lu, wa, wx, n, n, count);
    store(enc, wx, nn, n, o, n, n, count);
  }
  check_singular(enc, info, count, op, tri);
}

template <typename T>
void cholesky_gpu(Encoder& enc, const array& a, array& out, bool upper) {
  T* o = static_cast<T*>(enc.output(out));
  const Geom g = geom(a);
  const int n = g.rows;
  const int64_t count = g.count, nn = static_cast<int64_t>(n) * n;
  if (n == 0 || count == 0) return;
  const Dtype t = dtype_t<T>();
  array wa_arr = workspace(enc, count * nn, t), info_arr = workspace(enc, count, int32);
  T* wa = ptr<T>(enc, wa_arr);
  int* info = ptr<int>(enc, info_arr);
  load_colmajor(enc, a, t, wa);
  const cublasFillMode_t fill = upper ? CUBLAS_FILL_MODE_UPPER : CUBLAS_FILL_MODE_LOWER;
  auto& s = cuda::solver(enc);
  if (n <= kSmall) {
    array ap = pointer_array(enc, wa, nn, count);
    T** pa = static_cast<T**>(enc.input(ap));
    for_chunks(count, [&](int64_t c0, int cnt) {
      TANDEM_CUSOLVER_CHECK(Lib<T>::potrf_batched(s.handle, fill, n, pa + c0, n, info + c0, cnt));
      enc.count_op();
    });
  } else {
    size_t dbytes = 0, hbytes = 0;
    TANDEM_CUSOLVER_CHECK(cusolverDnXpotrf_bufferSize(s.handle, s.params, fill, n, Lib<T>::dtype,
                                                      wa, n, Lib<T>::dtype, &dbytes, &hbytes));
    array ws = workspace(enc, static_cast<int64_t>(dbytes), uint8);
    void* dw = enc.input(ws);
    HostWork hw(enc, hbytes);
    for (int64_t b = 0; b < count; ++b) {
      TANDEM_CUSOLVER_CHECK(cusolverDnXpotrf(s.handle, s.params, fill, n, Lib<T>::dtype,
                                             wa + b * nn, n, Lib<T>::dtype, dw, dbytes, hw.data(),
                                             hw.size(), info + b));
      enc.count_op();
    }
  }
  // The other triangle of the workspace holds the input (or the batched solver's scratch).
  store(enc, wa, nn, n, o, n, n, count, upper ? 2 : 1);
  auto [b, v] = first_failure(enc, info, count);
  if (b < 0) return;
  check_internal(v, "potrf");
  fail("linalg::cholesky", linalg_errors::not_positive_definite(v), b, count);
}

template <typename T>
void qr_gpu(Encoder& enc, const array& a, array& q_out, array& r_out) {
  T* qo = static_cast<T*>(enc.output(q_out));
  T* ro = static_cast<T*>(enc.output(r_out));
  const Geom g = geom(a);
  const int m = g.rows, n = g.cols, k = std::min(m, n);
  const int64_t count = g.count, mn = static_cast<int64_t>(m) * n;
  if (k == 0 || count == 0) return;
  to_int(mn, "linalg::qr");
  const Dtype t = dtype_t<T>();
  array wa_arr = workspace(enc, count * mn, t), tau_arr = workspace(enc, count * k, t);
  array info_arr = workspace(enc, count, int32);
  T* wa = ptr<T>(enc, wa_arr);
  T* tau = ptr<T>(enc, tau_arr);
  int* info = ptr<int>(enc, info_arr);
  load_colmajor(enc, a, t, wa);
  auto& s = cuda::solver(enc);
  int l1 = 0, l2 = 0;
  TANDEM_CUSOLVER_CHECK(Lib<T>::geqrf_size(s.handle, m, n, wa, m, &l1));
  TANDEM_CUSOLVER_CHECK(Lib<T>::orgqr_size(s.handle, m, k, k, wa, m, tau, &l2));
  const int lwork = std::max({l1, l2, 1});
  array ws_arr = workspace(enc, lwork, t);
  T* ws = ptr<T>(enc, ws_arr);
  for (int64_t b = 0; b < count; ++b) {
    TANDEM_CUSOLVER_CHECK(
        Lib<T>::geqrf(s.handle, m, n, wa + b * mn, m, tau + b * k, ws, lwork, info + b));
    enc.count_op();
  }
  // R: the upper triangle of the first k rows, before orgqr overwrites the factors.
  store(enc, wa, mn, m, ro, k, n, count, 2);
  for (int64_t b = 0; b < count; ++b) {
    TANDEM_CUSOLVER_CHECK(
        Lib<T>::orgqr(s.handle, m, k, k, wa + b * mn, m, tau + b * k, ws, lwork, info + b));
    enc.count_op();
  }
  store(enc, wa, mn, m, qo, m, k, count);
}

template <typename T>
void svd_gpu(Encoder& enc, const array& a, std::vector<array>& outs, bool uv) {
  T* uo = uv ? static_cast<T*>(enc.output(outs[0])) : nullptr;
  T* so = static_cast<T*>(enc.output(outs[uv ? 1 : 0]));
  T* vo = uv ? static_cast<T*>(enc.output(outs[2])) : nullptr;
  const Geom g = geom(a);
  const int m = g.rows, n = g.cols, k = std::min(m, n);
  const int64_t count = g.count;
  const int64_t mn = static_cast<int64_t>(m) * n, mm = static_cast<int64_t>(m) * m,
                nn = static_cast<int64_t>(n) * n;
  if (count == 0) return;
  if (k == 0) {
    // No singular values; U and Vt are identities.
    if (uv) {
      fill_eye(enc, uo, m, count);
      fill_eye(enc, vo, n, count);
    }
    return;
  }
  const Dtype t = dtype_t<T>();
  array wa_arr = workspace(enc, count * mn, t), info_arr = workspace(enc, count, int32);
  T* wa = ptr<T>(enc, wa_arr);
  int* info = ptr<int>(enc, info_arr);
  auto& s = cuda::solver(enc);
  if (m <= kSmall && n <= kSmall) {
    // Jacobi, batched: S descending, V column-major n x n, which is Vt row-major (written into
    // the output directly).
    load_colmajor(enc, a, t, wa);
    const cusolverEigMode_t jobz = uv ? CUSOLVER_EIG_MODE_VECTOR : CUSOLVER_EIG_MODE_NOVECTOR;
    array uw_arr = workspace(enc, uv ? count * mm : 1, t);
    T* uw = uv ? ptr<T>(enc, uw_arr) : nullptr;
    int lwork = 0;
    TANDEM_CUSOLVER_CHECK(Lib<T>::gesvdj_batched_size(s.handle, jobz, m, n, wa, m, so, uw, m, vo, n,
                                                      &lwork, s.gesvdj,
                                                      static_cast<int>(std::min(kChunk, count))));
    array ws_arr = workspace(enc, std::max(lwork, 1), t);
    T* ws = ptr<T>(enc, ws_arr);
    for_chunks(count, [&](int64_t c0, int cnt) {
      TANDEM_CUSOLVER_CHECK(Lib<T>::gesvdj_batched(
          s.handle, jobz, m, n, wa + c0 * mn, m, so + c0 * k, uv ? uw + c0 * mm : nullptr, m,
          uv ? vo + c0 * nn : nullptr, n, ws, lwork, info + c0, s.gesvdj, cnt));
      enc.count_op();
    });
    if (uv) store(enc, uw, mm, m, uo, m, m, count);
  } else {
    // QR iteration (Xgesvd) on an M x N matrix with M >= N: A itself, or A^T when A is wide.
    // A^T = U' S VT' gives A = VT'^T S U'^T: VT' column-major (m x m) is U row-major and U'
    // column-major (n x n) is Vt row-major, so the solver writes the outputs directly.
    const bool tr = m < n;
    const int M = tr ? n : m, N = tr ? m : n;
    if (tr) {
      load(enc, a, t, wa, n, 1, mn);  // A^T column-major (leading dimension n)
    } else {
      load_colmajor(enc, a, t, wa);
    }
    const int64_t MM = static_cast<int64_t>(M) * M, NN = static_cast<int64_t>(N) * N;
    std::optional<array> uw_arr, vw_arr;
    T* U = nullptr;
    T* VT = nullptr;
    if (uv && tr) {
      U = vo;
      VT = uo;
    } else if (uv) {
      uw_arr = workspace(enc, count * MM, t);
      vw_arr = workspace(enc, count * NN, t);
      U = ptr<T>(enc, *uw_arr);
      VT = ptr<T>(enc, *vw_arr);
    }
    const signed char job = uv ? 'A' : 'N';
    size_t dbytes = 0, hbytes = 0;
    TANDEM_CUSOLVER_CHECK(cusolverDnXgesvd_bufferSize(
        s.handle, s.params, job, job, M, N, Lib<T>::dtype, wa, M, Lib<T>::dtype, so, Lib<T>::dtype,
        U, M, Lib<T>::dtype, VT, N, Lib<T>::dtype, &dbytes, &hbytes));
    array ws = workspace(enc, static_cast<int64_t>(dbytes), uint8);
    void* dw = enc.input(ws);
    HostWork hw(enc, hbytes);
    for (int64_t b = 0; b < count; ++b) {
      TANDEM_CUSOLVER_CHECK(
          cusolverDnXgesvd(s.handle, s.params, job, job, M, N, Lib<T>::dtype, wa + b * mn, M,
                           Lib<T>::dtype, so + b * k, Lib<T>::dtype, U ? U + b * MM : nullptr, M,
                           Lib<T>::dtype, VT ? VT + b * NN : nullptr, N, Lib<T>::dtype, dw, dbytes,
                           hw.data(), hw.size(), info + b));
      enc.count_op();
    }
    if (uv && !tr) {
      store(enc, U, mm, m, uo, m, m, count);
      store(enc, VT, nn, n, vo, n, n, count);
    }
  }
  poison(enc, info, so, k, count);
  if (uv) {
    poison(enc, info, uo, mm, count);
    poison(enc, info, vo, nn, count);
  }
}

template <typename T>
void eigh_gpu(Encoder& enc, const array& a, std::vector<array>& outs, char uplo, bool vectors) {
  T* wo = static_cast<T*>(enc.output(outs[0]));
  T* vo = vectors ? static_cast<T*>(enc.output(outs[1])) : nullptr;
  const Geom g = geom(a);
  const int n = g.rows;
  const int64_t count = g.count, nn = static_cast<int64_t>(n) * n;
  if (n == 0 || count == 0) return;
  const Dtype t = dtype_t<T>();
  array wa_arr = workspace(enc, count * nn, t), info_arr = workspace(enc, count, int32);
  T* wa = ptr<T>(enc, wa_arr);
  int* info = ptr<int>(enc, info_arr);
  load_colmajor(enc, a, t, wa);
  const cusolverEigMode_t jobz = vectors ? CUSOLVER_EIG_MODE_VECTOR : CUSOLVER_EIG_MODE_NOVECTOR;
  const cublasFillMode_t fill = uplo == 'U' ? CUBLAS_FILL_MODE_UPPER : CUBLAS_FILL_MODE_LOWER;
  auto& s = cuda::solver(enc);
  // The eigenvalues (ascending, n per matrix) go straight into the output.
  if (n <= kSmall) {
    int lwork = 0;
    TANDEM_CUSOLVER_CHECK(Lib<T>::syevj_batched_size(s.handle, jobz, fill, n, wa, n, wo, &lwork,
                                                     s.syevj,
                                                     static_cast<int>(std::min(kChunk, count))));
    array ws_arr = workspace(enc, std::max(lwork, 1), t);
    T* ws = ptr<T>(enc, ws_arr);
    for_chunks(count, [&](int64_t c0, int cnt) {
      TANDEM_CUSOLVER_CHECK(Lib<T>::syevj_batched(s.handle, jobz, fill, n, wa + c0 * nn, n,
                                                  wo + c0 * n, ws, lwork, info + c0, s.syevj, cnt));
      enc.count_op();
    });
  } else {
    size_t dbytes = 0, hbytes = 0;
    TANDEM_CUSOLVER_CHECK(cusolverDnXsyevd_bufferSize(s.handle, s.params, jobz, fill, n,
                                                      Lib<T>::dtype, wa, n, Lib<T>::dtype, wo,
                                                      Lib<T>::dtype, &dbytes, &hbytes));
    array ws = workspace(enc, static_cast<int64_t>(dbytes), uint8);
    void* dw = enc.input(ws);
    HostWork hw(enc, hbytes);
    for (int64_t b = 0; b < count; ++b) {
      TANDEM_CUSOLVER_CHECK(cusolverDnXsyevd(
          s.handle, s.params, jobz, fill, n, Lib<T>::dtype, wa + b * nn, n, Lib<T>::dtype,
          wo + b * n, Lib<T>::dtype, dw, dbytes, hw.data(), hw.size(), info + b));
      enc.count_op();
    }
  }
  if (vectors) store(enc, wa, nn, n, vo, n, n, count);
  poison(enc, info, wo, n, count);
  if (vectors) poison(enc, info, vo, nn, count);
}

template <typename T>
void eig_gpu(Encoder& enc, const array& a, std::vector<array>& outs, bool vectors) {
  auto* wo = static_cast<cuda::complex_t*>(enc.output(outs[0]));
  auto* vo = vectors ? static_cast<cuda::complex_t*>(enc.output(outs[1])) : nullptr;
  const Geom g = geom(a);
  const int n = g.rows;
  const int64_t count = g.count, nn = static_cast<int64_t>(n) * n;
  if (n == 0 || count == 0) return;
  const Dtype t = dtype_t<T>();
  array wa_arr = workspace(enc, count * nn, t), w_arr = workspace(enc, count * 2 * n, t);
  array vr_arr = workspace(enc, vectors ? count * nn : 1, t);
  array info_arr = workspace(enc, count, int32), kind_arr = workspace(enc, count * n, int8);
  T* wa = ptr<T>(enc, wa_arr);
  T* w = ptr<T>(enc, w_arr);
  T* vr = vectors ? ptr<T>(enc, vr_arr) : nullptr;
  int* info = ptr<int>(enc, info_arr);
  auto* kind = ptr<int8_t>(enc, kind_arr);
  load_colmajor(enc, a, t, wa);
  // Real types throughout: W holds the n real parts, then the n imaginary parts, and VR the
  // LAPACK packing of conjugate pairs (the CPU's dgeev results).
  const cusolverEigMode_t jobvr = vectors ? CUSOLVER_EIG_MODE_VECTOR : CUSOLVER_EIG_MODE_NOVECTOR;
  auto& s = cuda::solver(enc);
  size_t dbytes = 0, hbytes = 0;
  TANDEM_CUSOLVER_CHECK(cusolverDnXgeev_bufferSize(
      s.handle, s.params, CUSOLVER_EIG_MODE_NOVECTOR, jobvr, n, Lib<T>::dtype, wa, n, Lib<T>::dtype,
      w, Lib<T>::dtype, nullptr, n, Lib<T>::dtype, vr, n, Lib<T>::dtype, &dbytes, &hbytes));
  array ws = workspace(enc, static_cast<int64_t>(dbytes), uint8);
  void* dw = enc.input(ws);
  {
    HostWork hw(enc, hbytes);
    for (int64_t b = 0; b < count; ++b) {
      TANDEM_CUSOLVER_CHECK(cusolverDnXgeev(s.handle, s.params, CUSOLVER_EIG_MODE_NOVECTOR, jobvr,
                                            n, Lib<T>::dtype, wa + b * nn, n, Lib<T>::dtype,
                                            w + b * 2 * n, Lib<T>::dtype, nullptr, n, Lib<T>::dtype,
                                            vectors ? vr + b * nn : nullptr, n, Lib<T>::dtype, dw,
                                            dbytes, hw.data(), hw.size(), info + b));
      enc.count_op();
    }
  }
  cuda::launch(enc, "linalg_eig_values", eig_values_kernel<T>, dim3(cuda::blocks_for(count)),
               dim3(cuda::kThreads), 0, w, n, count, wo, kind);
  if (vectors) {
    const int64_t total = count * nn;
    cuda::launch(enc, "linalg_eig_vectors", eig_vectors_kernel<T>, dim3(cuda::blocks_for(total)),
                 dim3(cuda::kThreads), 0, vr, kind, n, total, vo);
  }
  auto [b, v] = first_failure(enc, info, count);
  if (b < 0) return;
  check_internal(v, "geev");
  fail("linalg::eig", linalg_errors::no_convergence(), b, count);
}

template <typename T>
void lu_gpu(Encoder& enc, const array& a, std::vector<array>& outs) {
  T* lo = static_cast<T*>(enc.output(outs[0]));
  auto* po = static_cast<uint32_t*>(enc.output(outs[1]));
  auto* ro = static_cast<uint32_t*>(enc.output(outs[2]));
  const Geom g = geom(a);
  const int m = g.rows, n = g.cols, k = std::min(m, n);
  const int64_t count = g.count, mn = static_cast<int64_t>(m) * n;
  if (count == 0 || m == 0) return;
  array rows_arr = workspace(enc, count * m, int32);
  int* rows = ptr<int>(enc, rows_arr);
  const dim3 grid(cuda::blocks_for(count)), block(cuda::kThreads);
  if (k == 0) {
    // No pivots; P is the identity.
    cuda::launch(enc, "linalg_lu_pivots", lu_pivots_kernel, grid, block, 0, nullptr, 0, m, count,
                 po, ro, rows);
    return;
  }
  const Dtype t = dtype_t<T>();
  array wa_arr = workspace(enc, count * mn, t), info_arr = workspace(enc, count, int32);
  T* wa = ptr<T>(enc, wa_arr);
  int* info = ptr<int>(enc, info_arr);
  load_colmajor(enc, a, t, wa);
  // info > 0 (an exactly zero pivot: a singular matrix) is not an error here.
  LU lu = lu_inplace(enc, wa, m, n, count, info);
  store(enc, wa, mn, m, lo, m, n, count);
  cuda::launch(enc, "linalg_lu_pivots", lu_pivots_kernel, grid, block, 0, ptr<int>(enc, *lu.piv), k,
               m, count, po, ro, rows);
}

template <typename T>
void solve_gpu(Encoder& enc, const array& a, const array& rhs, array& out, bool tri, bool upper) {
  const char* op = tri ? "linalg::solve_triangular" : "linalg::solve";
  T* o = static_cast<T*>(enc.output(out));
  const Geom ga = geom(a), gb = geom(rhs);
  const int n = ga.rows, nrhs = gb.cols;
  const int64_t count = ga.count;
  if (n == 0 || nrhs == 0 || count == 0) return;
  const int64_t nn = static_cast<int64_t>(n) * n, nk = static_cast<int64_t>(n) * nrhs;
  const Dtype t = dtype_t<T>();
  array wa_arr = workspace(enc, count * nn, t), wb_arr = workspace(enc, count * nk, t);
  array info_arr = workspace(enc, count, int32);
  T* wa = ptr<T>(enc, wa_arr);
  T* wb = ptr<T>(enc, wb_arr);
  int* info = ptr<int>(enc, info_arr);
  load_colmajor(enc, a, t, wa);
  load_colmajor(enc, rhs, t, wb);
  if (tri) {
    zero_diagonal(enc, wa, n, count, info);
    tri_solve(enc, wa, wb, n, nrhs, count, upper);
  } else {
    LU lu = lu_inplace(enc, wa, n, n, count, info);
    lu_solve(enc, lu, wa, wb, n, nrhs, count);
  }
  store(enc, wb, nk, n, o, n, nrhs, count);
  check_singular(enc, info, count, op, tri);
}

}  // namespace

void Inverse::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  auto& enc = cuda::encoder(stream());
  dispatch_real(inputs[0].dtype(), "linalg::inv",
                [&]<typename T>() { inverse_gpu<T>(enc, inputs[0], outputs[0], tri_, upper_); });
  cuda::set_evaluated(outputs);
}

void Cholesky::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  auto& enc = cuda::encoder(stream());
  dispatch_real(inputs[0].dtype(), "linalg::cholesky",
                [&]<typename T>() { cholesky_gpu<T>(enc, inputs[0], outputs[0], upper_); });
  cuda::set_evaluated(outputs);
}

void QRF::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  auto& enc = cuda::encoder(stream());
  dispatch_real(inputs[0].dtype(), "linalg::qr",
                [&]<typename T>() { qr_gpu<T>(enc, inputs[0], outputs[0], outputs[1]); });
  cuda::set_evaluated(outputs);
}

void SVD::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  auto& enc = cuda::encoder(stream());
  dispatch_real(inputs[0].dtype(), "linalg::svd",
                [&]<typename T>() { svd_gpu<T>(enc, inputs[0], outputs, compute_uv_); });
  cuda::set_evaluated(outputs);
}

void Eigh::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  auto& enc = cuda::encoder(stream());
  dispatch_real(inputs[0].dtype(), "linalg::eigh", [&]<typename T>() {
    eigh_gpu<T>(enc, inputs[0], outputs, uplo_, compute_eigenvectors_);
  });
  cuda::set_evaluated(outputs);
}

void Eig::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  auto& enc = cuda::encoder(stream());
  dispatch_real(inputs[0].dtype(), "linalg::eig",
                [&]<typename T>() { eig_gpu<T>(enc, inputs[0], outputs, compute_eigenvectors_); });
  cuda::set_evaluated(outputs);
}

void LUF::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  auto& enc = cuda::encoder(stream());
  dispatch_real(inputs[0].dtype(), "linalg::lu_factor",
                [&]<typename T>() { lu_gpu<T>(enc, inputs[0], outputs); });
  cuda::set_evaluated(outputs);
}

void Solve::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  auto& enc = cuda::encoder(stream());
  dispatch_real(outputs[0].dtype(), "linalg::solve", [&]<typename T>() {
    solve_gpu<T>(enc, inputs[0], inputs[1], outputs[0], false, false);
  });
  cuda::set_evaluated(outputs);
}

void SolveTriangular::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  auto& enc = cuda::encoder(stream());
  dispatch_real(outputs[0].dtype(), "linalg::solve_triangular", [&]<typename T>() {
    solve_gpu<T>(enc, inputs[0], inputs[1], outputs[0], true, upper_);
  });
  cuda::set_evaluated(outputs);
}

}  // namespace tandem
