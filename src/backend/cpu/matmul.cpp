// Copyright © 2026 Tandem authors.
// Matmul on the CPU through BLAS. Operands are used in place when each matrix is row- or
// column-major with a leading dimension (transposed views need no copy; broadcast batches have
// stride 0); otherwise the matrix is copied once. Matrix-vector products go through GEMV.
// Batches of a row-major A against one shared B fold into a single GEMM with more rows.
// Batches of small products (OpenBLAS runs them single-threaded), and of large ones when
// OpenBLAS is single-threaded (blas_threads.h) and there are enough, are spread over the pool.
// 16-bit floats compute in float32: each operand is converted once, keeping its layout (a
// transposed view stays transposed, a broadcast batch is converted once); a single 16-bit
// matrix-vector product reads the matrix directly instead.
#include <complex>
#include <type_traits>
#include <vector>

#include "backend/cpu/copy.h"
#include "backend/cpu/gemm.h"
#include "backend/cpu/simd_bf16.h"
#include "backend/cpu/threading.h"
#include "primitives/primitives.h"

namespace tandem {

namespace {

template <typename T>
void matmul_typed(array a, array b, array& out) {
  const int nd = out.ndim();
  const int64_t M = out.shape()[nd - 2], N = out.shape()[nd - 1], K = a.shape()[nd - 1];
  blas::MatLayout la, lb;
  a = cpu::blas_ready(a, la);
  b = cpu::blas_ready(b, lb);
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
  const double work = static_cast<double>(M) * N * K;
  // Small products run single-threaded in OpenBLAS: spread them over the pool. With OpenBLAS
  // single-threaded (blas_threads.h) the same holds for large ones once there are at least as
  // many products as threads: whole products per thread need no redundant packing and fewer
  // synchronisations than splitting each product.
  const bool spread = work <= cpu::kSmallGemm ||
                      (cpu::blas_on_pool() && batches >= cpu::num_threads() &&
                       (batches % cpu::num_threads() == 0 || batches >= 4 * cpu::num_threads()));
  if (batches > 1 && !gemv && spread) {
    const size_t grain = std::max<size_t>(1, static_cast<size_t>(cpu::kSmallGemm / work));
    cpu::parallel_for(batches, grain, [&](size_t b0, size_t e0) {
      for (size_t i = b0; i < e0; ++i)
        one(static_cast<int64_t>(i));
    });
    return;
  }
  for (int64_t i = 0; i < batches; ++i)
    one(i);
}

// ---- 16-bit matrix-vector products, without converting the matrix ----
// A GEMV reads each matrix element once, so converting a 16-bit matrix to float32 for sgemv
// (read 2 bytes, write 4, read 4 again) costs several times the product itself. These loops
// read the 16-bit matrix directly and accumulate in float32.

const float* half_table() {
  static const std::vector<float> t = [] {
    std::vector<float> v(65536);
    for (uint32_t i = 0; i < 65536; ++i)
      v[i] = detail::half_bits_to_float(static_cast<uint16_t>(i));
    return v;
  }();
  return t.data();
}

template <typename H>
struct ToFloat {
  const float* table = std::is_same_v<H, float16_t> ? half_table() : nullptr;
  float operator()(H h) const {
    if constexpr (std::is_same_v<H, bfloat16_t>) {
      return detail::bf16_bits_to_float(h.bits);
    } else {
      return table[h.bits];
    }
  }
};

template <typename H>
void gemv_16bit(array a, array b, array& out) {
  const int nd = out.ndim();
  const int64_t M = out.shape()[nd - 2], N = out.shape()[nd - 1], K = a.shape()[nd - 1];
  blas::MatLayout la, lb;
  a = cpu::blas_ready(a, la);
  b = cpu::blas_ready(b, lb);
  const H* A = a.unsafe_data<H>();
  const H* B = b.unsafe_data<H>();
  H* C = out.unsafe_data<H>();
  const ToFloat<H> cvt;
  // The vector (a row of A when M == 1, else a column of B) in float32.
  const bool vec_is_a = M == 1;
  const int64_t L = vec_is_a ? N : M;
  const H* vp = vec_is_a ? A : B;
  const int64_t inc = vec_is_a ? (la.trans ? la.ld : 1) : (lb.trans ? 1 : lb.ld);
  std::vector<float> v(K), y(L);
  for (int64_t k = 0; k < K; ++k)
    v[k] = cvt(vp[k * inc]);
  // The matrix element (l, k): B(k, l) or A(l, k). "dot" when k is the contiguous index.
  const H* mat = vec_is_a ? B : A;
  const int64_t ld = vec_is_a ? lb.ld : la.ld;
  const bool dot = vec_is_a ? lb.trans : !la.trans;
  if (dot && std::is_same_v<H, bfloat16_t> && cpu::has_avx512_bf16()) {
    // AVX-512 BF16 dot products straight from the 16-bit data (simd_bf16.h).
    std::vector<uint16_t> vb(K);
    for (int64_t k = 0; k < K; ++k)
      vb[k] = vp[k * inc].bits;
    const auto* m16 = reinterpret_cast<const uint16_t*>(mat);
    const size_t grain = std::max<int64_t>(1, static_cast<int64_t>(cpu::kElementwiseGrain) / K);
    cpu::parallel_for(L, grain, [&](size_t l0, size_t l1) {
      cpu::gemv_rows_bf16(m16 + static_cast<int64_t>(l0) * ld, ld, static_cast<int64_t>(l1 - l0),
                          vb.data(), K, y.data() + l0);
    });
  } else if (dot) {
    const size_t grain = std::max<int64_t>(1, static_cast<int64_t>(cpu::kElementwiseGrain) / K);
    cpu::parallel_for(L, grain, [&](size_t l0, size_t l1) {
      for (size_t l = l0; l < l1; ++l) {
        const H* row = mat + static_cast<int64_t>(l) * ld;
        // 32 independent lanes: several vector accumulators in flight hide the add latency.
        constexpr int kLanes = 32;
        float acc[kLanes] = {};
        int64_t k = 0;
        for (; k + kLanes <= K; k += kLanes) {
          for (int j = 0; j < kLanes; ++j)
            acc[j] += cvt(row[k + j]) * v[k + j];
        }
        float sum = 0;
        for (; k < K; ++k)
          sum += cvt(row[k]) * v[k];
        for (int w = kLanes / 2; w >= 1; w /= 2) {  // pairwise: lane j += lane j + w
          for (int j = 0; j < w; ++j)
            acc[j] += acc[j + w];
        }
        y[l] = sum + acc[0];
      }
    });
  } else {
    // Row k of the matrix scaled by v[k], accumulated over k, in column chunks per thread.
    const size_t grain = std::max<int64_t>(256, static_cast<int64_t>(cpu::kElementwiseGrain) / K);
    cpu::parallel_for(L, grain, [&](size_t l0, size_t l1) {
      float* yl = y.data();
      std::fill(yl + l0, yl + l1, 0.0f);
      for (int64_t k = 0; k < K; ++k) {
        const H* row = mat + k * ld;
        const float vk = v[k];
        for (size_t l = l0; l < l1; ++l)
          yl[l] += vk * cvt(row[l]);
      }
    });
  }
  for (int64_t l = 0; l < L; ++l)
    C[l] = H(y[l]);
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
    const int nd = out.ndim();
    const int64_t M = out.shape()[nd - 2], N = out.shape()[nd - 1], K = inputs[0].shape(-1);
    if ((M == 1 || N == 1) && K > 0 && static_cast<int64_t>(out.size()) == M * N) {
      if (t == bfloat16) return gemv_16bit<bfloat16_t>(inputs[0], inputs[1], out);
      return gemv_16bit<float16_t>(inputs[0], inputs[1], out);
    }
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
