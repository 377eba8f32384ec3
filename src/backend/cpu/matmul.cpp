// Copyright © 2026 Tandem authors.
// Matmul on the CPU through BLAS. Operands are used in place when each matrix is row- or
// column-major with a leading dimension (transposed views need no copy; broadcast batches have
// stride 0); otherwise the matrix is copied once. Matrix-vector products go through GEMV.
// Batches of a row-major A against one shared B fold into a single GEMM with more rows.
// Batches of small products (OpenBLAS runs them single-threaded) are spread over the pool.
// 16-bit floats compute in float32: each operand is converted once, keeping its layout (a
// transposed view stays transposed, a broadcast batch is converted once).
#include <complex>

#include "backend/cpu/copy.h"
#include "backend/cpu/gemm.h"
#include "backend/cpu/threading.h"
#include "primitives/primitives.h"

namespace tandem {

namespace {

template <typename T>
void matmul_typed(array a, array b, array& out) {
  const int nd = out.ndim();
  const int64_t M = out.shape()[nd - 2], N = out.shape()[nd - 1], K = a.shape()[nd - 1];
  blas::MatLayout la, lb;
  if (!blas::matrix_layout(a, la)) {
    a = cpu::make_contiguous(a);
    blas::matrix_layout(a, la);
  }
  if (!blas::matrix_layout(b, lb)) {
    b = cpu::make_contiguous(b);
    blas::matrix_layout(b, lb);
  }
  T* C = out.unsafe_data<T>();
  const int64_t batches = static_cast<int64_t>(out.size()) / (M * N);
  if (K == 0) {
    std::fill(C, C + out.size(), T(0));
    return;
  }
  const T* A = a.unsafe_data<T>();
  const T* B = b.unsafe_data<T>();
  if (batches > 1 && !la.trans && blas::shared_batches(b) && blas::uniform_batches(a, M * la.ld)) {
    // (batch, M, K) row-major against one (K, N): one GEMM of batch * M rows.
    cpu::matmul_one<T>(batches * M, N, K, A, la, B, lb, C, N);
    return;
  }
  auto one = [&](int64_t i) {
    cpu::matmul_one<T>(M, N, K, A + blas::batch_offset(a, i), la, B + blas::batch_offset(b, i), lb,
                       C + i * M * N, N);
  };
  const bool gemv = M == 1 || N == 1;  // OpenBLAS may thread a GEMV of any size: keep serial
  if (batches > 1 && !gemv && static_cast<double>(M) * N * K <= cpu::kSmallGemm) {
    const size_t grain = std::max<size_t>(1, static_cast<size_t>(cpu::kSmallGemm / (M * N * K)));
    cpu::parallel_for(batches, grain, [&](size_t b0, size_t e0) {
      for (size_t i = b0; i < e0; ++i)
        one(static_cast<int64_t>(i));
    });
    return;
  }
  for (int64_t i = 0; i < batches; ++i)
    one(i);
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
    array a = cpu::convert_keep_layout(inputs[0], float32);
    array b = cpu::convert_keep_layout(inputs[1], float32);
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
