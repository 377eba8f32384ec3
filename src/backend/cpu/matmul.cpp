// Copyright © 2026 Tandem authors.
// Matmul on the CPU through BLAS. Operands are used in place when each matrix is row- or
// column-major with a leading dimension (transposed views need no copy; broadcast batches have
// stride 0); otherwise the matrix is copied once. 16-bit floats compute in float32.
#include <cblas.h>

#include <complex>

#include "backend/cpu/copy.h"
#include "backend/cpu/threading.h"
#include "primitives/primitives.h"

namespace tandem {

namespace {

struct MatLayout {
  bool trans;   // column-major storage (a transposed view)
  int64_t ld;   // leading dimension
};

// Can the last two dims of `a` be handed to BLAS as is?
bool blas_layout(const array& a, MatLayout& l) {
  int nd = a.ndim();
  int64_t rows = a.shape()[nd - 2], cols = a.shape()[nd - 1];
  int64_t rs = a.strides()[nd - 2], cs = a.strides()[nd - 1];
  if (cs == 1 && (rs >= std::max<int64_t>(cols, 1) || rows == 1)) {
    l = {false, std::max<int64_t>({rs, cols, 1})};
    return true;
  }
  if (rs == 1 && (cs >= std::max<int64_t>(rows, 1) || cols == 1)) {
    l = {true, std::max<int64_t>({cs, rows, 1})};
    return true;
  }
  return false;
}

// Byte-free element offset of batch `i` of `a` (batch dims are all but the last two).
int64_t batch_offset(const array& a, int64_t i) {
  int64_t off = 0;
  for (int d = a.ndim() - 3; d >= 0; --d) {
    int64_t n = a.shape()[d];
    off += (i % n) * a.strides()[d];
    i /= n;
  }
  return off;
}

template <typename T>
void gemm(bool ta, bool tb, int M, int N, int K, const T* A, int64_t lda, const T* B,
          int64_t ldb, T* C, int64_t ldc) {
  auto opa = ta ? CblasTrans : CblasNoTrans;
  auto opb = tb ? CblasTrans : CblasNoTrans;
  if constexpr (std::is_same_v<T, float>) {
    cblas_sgemm(CblasRowMajor, opa, opb, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, ldc);
  } else if constexpr (std::is_same_v<T, double>) {
    cblas_dgemm(CblasRowMajor, opa, opb, M, N, K, 1.0, A, lda, B, ldb, 0.0, C, ldc);
  } else {
    const std::complex<float> one(1, 0), zero(0, 0);
    cblas_cgemm(CblasRowMajor, opa, opb, M, N, K, &one, A, lda, B, ldb, &zero, C, ldc);
  }
}

template <typename T>
void matmul_typed(array a, array b, array& out) {
  int nd = out.ndim();
  int M = out.shape()[nd - 2], N = out.shape()[nd - 1], K = a.shape()[nd - 1];
  MatLayout la, lb;
  if (!blas_layout(a, la)) {
    a = cpu::make_contiguous(a);
    blas_layout(a, la);
  }
  if (!blas_layout(b, lb)) {
    b = cpu::make_contiguous(b);
    blas_layout(b, lb);
  }
  T* C = out.unsafe_data<T>();
  int64_t batches = static_cast<int64_t>(out.size()) / (static_cast<int64_t>(M) * N);
  if (K == 0) {
    std::fill(C, C + out.size(), T(0));
    return;
  }
  const T* A = a.unsafe_data<T>();
  const T* B = b.unsafe_data<T>();
  for (int64_t i = 0; i < batches; ++i) {
    gemm<T>(la.trans, lb.trans, M, N, K, A + batch_offset(a, i), la.ld, B + batch_offset(b, i),
            lb.ld, C + i * static_cast<int64_t>(M) * N, N);
  }
}

}  // namespace

void Matmul::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  array& out = outputs[0];
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) return;
  Dtype t = out.dtype();
  if (t == float32) return matmul_typed<float>(inputs[0], inputs[1], out);
  if (t == float64) return matmul_typed<double>(inputs[0], inputs[1], out);
  if (t == complex64) return matmul_typed<std::complex<float>>(inputs[0], inputs[1], out);
  if (t == float16 || t == bfloat16) {
    // Compute in float32, round once at the end.
    auto to_f32 = [](const array& x) {
      array y(x.shape(), float32, nullptr, {});
      y.detach();
      cpu::copy_to_row_contiguous(x, y);
      return y;
    };
    array a = to_f32(inputs[0]), b = to_f32(inputs[1]);
    array o(out.shape(), float32, nullptr, {});
    o.detach();
    o.set_data(allocator::malloc(o.nbytes()));
    matmul_typed<float>(a, b, o);
    cpu::copy_to_row_contiguous(o, out);
    return;
  }
  throw std::invalid_argument("[matmul] Unsupported dtype " + dtype_name(t) + ".");
}

}  // namespace tandem
