// Copyright © 2026 Tandem authors.
// Matmul on the GPU through cuBLASLt with cached plans (blaslt.h). Operands are used in place
// when each matrix is row- or column-major with a leading dimension (transposed views need no
// copy); batch dimensions that collapse to one stride per operand (stride 0 for a broadcast
// batch) are one strided-batched call, the rest loop on the host; a batch of row-major matrices
// against one shared matrix is a single product with more rows. float32 computes in float32
// (TF32 tensor cores only when TANDEM_ENABLE_TF32=1); float16/bfloat16 accumulate in float32;
// float64 and complex64 in their own precision. Un-batched 16-bit matrix-vector products run
// the GEMV kernel (gemv.cu); problems cuBLASLt has no algorithm for go to cuBLAS
// (cublasGemmStridedBatchedEx). K == 0 gives zeros (a memset).
//
// cuBLAS is column-major: the row-major product C = A B is computed as C^T = B^T A^T, i.e. with
// the operands swapped (m = N, n = M).
#include <cublas_v2.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

#include "backend/common/blas_layout.h"
#include "backend/cpu/strided.h"
#include "backend/cuda/blas.h"
#include "backend/cuda/blaslt.h"
#include "backend/cuda/copy.h"
#include "backend/cuda/gemv.h"
#include "backend/cuda/runtime.h"
#include "primitives/primitives.h"

namespace tandem {

namespace {

// Products per cuBLASLt / cuBLAS call of a strided batch.
constexpr int64_t kMaxBatch = 65535;

int to_int(int64_t v, const char* what) {
  if (v > INT_MAX || v < 0) {
    throw std::invalid_argument(std::string("[matmul] ") + what + " " + std::to_string(v) +
                                " exceeds the range of cuBLAS's int arguments.");
  }
  return static_cast<int>(v);
}

/// The product through cuBLAS (cublasGemmStridedBatchedEx) for problems cuBLASLt has no
/// algorithm for. Sizes were checked against int by the caller.
void gemm_fallback(cuda::Encoder& enc, Dtype t, const cuda::GemmArgs& g) {
  const float one_f = 1.0f, zero_f = 0.0f;
  const double one_d = 1.0, zero_d = 0.0;
  const float one_c[2] = {1.0f, 0.0f}, zero_c[2] = {0.0f, 0.0f};
  const void* alpha = t == float64     ? static_cast<const void*>(&one_d)
                      : t == complex64 ? static_cast<const void*>(one_c)
                                       : static_cast<const void*>(&one_f);
  const void* beta = t == float64     ? static_cast<const void*>(&zero_d)
                     : t == complex64 ? static_cast<const void*>(zero_c)
                                      : static_cast<const void*>(&zero_f);
  TANDEM_CUBLAS_CHECK(cublasGemmStridedBatchedEx(
      cuda::blas_handle(enc), g.trans_a, g.trans_b, static_cast<int>(g.m), static_cast<int>(g.n),
      static_cast<int>(g.k), alpha, g.a, g.dtype, static_cast<int>(g.lda), g.stride_a, g.b, g.dtype,
      static_cast<int>(g.ldb), g.stride_b, beta, g.c, g.dtype, static_cast<int>(g.ldc), g.stride_c,
      static_cast<int>(g.batch), g.compute, CUBLAS_GEMM_DEFAULT));
  enc.count_op();
}

}  // namespace

void Matmul::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  auto& enc = cuda::encoder(stream());
  array& out = outputs[0];
  const Dtype t = out.dtype();
  const cuda::GemmTypes types = cuda::gemm_types(t, "matmul");
  const cudaDataType dt = types.dt;
  const cublasComputeType_t compute = types.compute;

  array a = inputs[0];
  array b = inputs[1];
  if (a.dtype() != t) a = cuda::contiguous_copy(enc, a, a.shape(), t);
  if (b.dtype() != t) b = cuda::contiguous_copy(enc, b, b.shape(), t);
  char* C = static_cast<char*>(enc.output(out));
  if (out.size() == 0) {
    cuda::set_evaluated(outputs);
    return;
  }
  const int nd = out.ndim();
  const int64_t M = out.shape()[nd - 2], N = out.shape()[nd - 1], K = a.shape()[nd - 1];
  if (K == 0) {
    // An empty sum: zeros (all-zero bits are 0 in every floating dtype).
    TANDEM_CUDA_CHECK(cudaMemsetAsync(C, 0, out.nbytes(), enc.stream()));
    enc.count_op();
    cuda::set_evaluated(outputs);
    return;
  }
  // cuBLAS takes the batch strides as given, but a negative one (a batch axis reversed by a
  // slice) is outside what its documentation covers: such operands are copied too.
  auto negative_batch_stride = [](const array& x) {
    for (int d = 0; d + 2 < x.ndim(); ++d) {
      if (x.shape()[d] > 1 && x.strides()[d] < 0) return true;
    }
    return false;
  };
  blas::MatLayout la, lb;
  if (!blas::matrix_layout(a, la) || negative_batch_stride(a)) {
    a = cuda::contiguous_copy(enc, a);
    blas::matrix_layout(a, la);
  }
  if (!blas::matrix_layout(b, lb) || negative_batch_stride(b)) {
    b = cuda::contiguous_copy(enc, b);
    blas::matrix_layout(b, lb);
  }
  const char* A = static_cast<const char*>(enc.input(a));
  const char* B = static_cast<const char*>(enc.input(b));

  // Batch dims: collapse those with one stride per operand; loop over the others on the host.
  Shape batch(out.shape().begin(), out.shape().end() - 2);
  const Strides out_strides = row_major_strides(out.shape());
  std::vector<Strides> bst{Strides(a.strides().begin(), a.strides().end() - 2),
                           Strides(b.strides().begin(), b.strides().end() - 2),
                           Strides(out_strides.begin(), out_strides.end() - 2)};
  for (size_t d = 0; d < batch.size(); ++d) {
    if (batch[d] == 1) {
      for (auto& s : bst)
        s[d] = 0;
    }
  }
  Shape cb = cpu::collapse_dims(batch, bst);  // {1} with zero strides when there is no batch
  const int last = static_cast<int>(cb.size()) - 1;
  const long long sa = bst[0][last], sb = bst[1][last];
  size_t outer = 1;
  for (int d = 0; d < last; ++d)
    outer *= cb[d];

  // A batch of row-major matrices of a against one shared b is one product with count * M rows
  // (the usual (batch, seq, features) x weights case): fewer, larger GEMMs.
  int64_t rows = M;
  int64_t count64 = cb[last];
  if (count64 > 1 && sb == 0 && !la.trans && sa == M * la.ld && M * count64 <= INT_MAX) {
    rows = M * count64;
    count64 = 1;
  }
  const int count = to_int(count64, "batch count");

  // Matrix-vector products (no batch) whose matrix has the contracted axis contiguous: the
  // bandwidth-bound GEMV kernel for 16-bit floats.
  if (count == 1 && outer == 1) {
    // Element (i, k) of a: i * ld + k row-major, k * ld + i column-major; (k, j) of b likewise.
    const bool a_vec_unit = !la.trans || K == 1;               // a (1, K): unit stride along K
    const bool b_vec_unit = lb.trans || lb.ld == 1 || K == 1;  // b (K, 1): unit stride along K
    const char* mat = nullptr;
    const char* vec = nullptr;
    int64_t ld = 0, nrows = 0;
    if (rows == 1 && lb.trans && a_vec_unit) {  // out[j] = b(:, j) . a(0, :)
      mat = B, ld = lb.ld, vec = A, nrows = N;
    } else if (N == 1 && !la.trans && b_vec_unit) {  // out[i] = a(i, :) . b(:, 0)
      mat = A, ld = la.ld, vec = B, nrows = rows;
    }
    if (mat && cuda::gemv_preferred(t, nrows, K)) {
      cuda::gemv_rows(enc, t, mat, ld, vec, C, nrows, K);
      cuda::note_matmul_gemv();
      cuda::set_evaluated(outputs);
      return;
    }
  }

  // cuBLAS's A is our b and its B our a (see the top of the file).
  const cublasOperation_t op_b = lb.trans ? CUBLAS_OP_T : CUBLAS_OP_N;  // cuBLAS's A
  const cublasOperation_t op_a = la.trans ? CUBLAS_OP_T : CUBLAS_OP_N;  // cuBLAS's B
  const int m = to_int(N, "N"), n = to_int(rows, "M"), k = to_int(K, "K");
  const int lda = to_int(lb.ld, "leading dimension"), ldb = to_int(la.ld, "leading dimension");
  const int ldc = to_int(N, "N");
  const long long sc = count > 1 ? bst[2][last] : static_cast<long long>(rows * N);
  const size_t isz = out.itemsize();
  for (size_t o = 0; o < outer; ++o) {
    int64_t oa = 0, ob = 0, oc = 0;
    size_t rem = o;
    for (int d = last - 1; d >= 0; --d) {
      int64_t idx = static_cast<int64_t>(rem % cb[d]);
      rem /= cb[d];
      oa += idx * bst[0][d];
      ob += idx * bst[1][d];
      oc += idx * bst[2][d];
    }
    // At most kMaxBatch products per call: cuBLASLt does not take every batch count above the
    // 65535 of a CUDA grid's y / z extent (TensorFlow splits its batches for the same reason).
    for (int64_t b0 = 0; b0 < count; b0 += kMaxBatch) {
      const int64_t cnt = std::min<int64_t>(kMaxBatch, count - b0);
      const cuda::GemmArgs g{dt,
                             compute,
                             op_b,
                             op_a,
                             m,
                             n,
                             k,
                             lda,
                             ldb,
                             ldc,
                             cnt,
                             sb,
                             sa,
                             sc,
                             B + (ob + b0 * sb) * isz,
                             A + (oa + b0 * sa) * isz,
                             C + (oc + b0 * sc) * isz};
      if (cuda::lt_matmul(enc, g)) continue;
      // cuBLASLt has no algorithm for this problem: cuBLAS's general GEMM.
      cuda::note_matmul_fallback();
      gemm_fallback(enc, t, g);
    }
  }
  cuda::set_evaluated(outputs);
}

}  // namespace tandem
