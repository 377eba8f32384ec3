// Copyright © 2026 Tandem authors.
// Convolution on the GPU. cuDNN first where it was found at build time and supports the case
// (conv_cudnn.cpp: 1 to 3 spatial dims, no input dilation, padding that is symmetric in effect;
// TANDEM_CONV_CUDNN=0 turns it off). Everything else: im2col into a bounded scratch buffer
// (chunks of output rows, every group at once), then one cuBLAS strided-batched GEMM per chunk (a
// batch per group) writing straight into the channels-last output. The same algorithm as the CPU
// (backend/cpu/conv.cpp), so everything it supports is supported: any number of spatial dims (up
// to 8), strides, low / high padding (negative: cropping), kernel and input dilation, groups,
// flipped kernels.
// A 1x1 convolution with unit strides, no padding, no dilation and one group needs no im2col:
// the input is the GEMM operand.
//
// Dtypes: float32 (TF32 tensor cores only with TANDEM_ENABLE_TF32=1, as matmul), float64, and
// float16 / bfloat16 (GEMM with float32 accumulation, the result rounded once; the CPU also
// computes in float32 and rounds once). Inputs of another dtype are converted first.
#include <cublas_v2.h>

#include <cstdlib>
#include <cstring>

#include "backend/cuda/blas.h"
#include "backend/cuda/conv_cudnn.h"
#include "backend/cuda/indexing.cuh"
#include "primitives/conv.h"

namespace tandem {

namespace {

constexpr int kMaxConvDims = 8;

struct ConvGeom {
  int sp;
  bool flip;
  int64_t cgi, kprod, oprod, cols;
  int32_t ishape[kMaxConvDims], kshape[kMaxConvDims], oshape[kMaxConvDims];
  int32_t stride[kMaxConvDims], pad_lo[kMaxConvDims], kdil[kMaxConvDims], idil[kMaxConvDims];
  int64_t istr[kMaxConvDims + 2];  // row-contiguous input (N, spatial..., C)
};

// A[g][rr][kk][c] = x[n, pos(o, k), g * cgi + c] (0 outside the input) for output row
// r = r0 + rr = (n, o...), kernel position kk = (k...), group g.
template <typename T>
__global__ void im2col_kernel(const T* x, T* A, ConvGeom g, int64_t r0, int64_t cnt,
                              int64_t total) {
  for (int64_t q = cuda::global_thread(); q < total; q += cuda::grid_threads()) {
    int64_t t = q / g.cgi;
    const int64_t c = q - t * g.cgi;
    const int64_t kk = t % g.kprod;
    t /= g.kprod;
    const int64_t rr = t % cnt;
    const int64_t grp = t / cnt;
    const int64_t r = r0 + rr;
    const int64_t n = r / g.oprod;
    int64_t orem = r - n * g.oprod;
    int64_t krem = kk;
    int64_t off = n * g.istr[0];
    bool inside = true;
    // Spatial dims from the last (row-major decoding of o and k).
    for (int i = g.sp - 1; i >= 0; --i) {
      const int64_t o = orem % g.oshape[i];
      orem /= g.oshape[i];
      const int64_t k = krem % g.kshape[i];
      krem /= g.kshape[i];
      if (!inside) continue;
      const int64_t kidx = g.flip ? g.kshape[i] - 1 - k : k;
      const int64_t pos = o * g.stride[i] + kidx * g.kdil[i] - g.pad_lo[i];
      if (pos < 0 || pos % g.idil[i] != 0) {
        inside = false;
        continue;
      }
      const int64_t src = pos / g.idil[i];
      if (src >= g.ishape[i]) {
        inside = false;
        continue;
      }
      off += src * g.istr[1 + i];
    }
    A[q] = inside ? x[off + grp * g.cgi + c] : cuda::to_storage<T>(0.0f);
  }
}

int checked_int(int64_t v, const char* what) {
  if (v < 0 || v > INT32_MAX) {
    throw std::invalid_argument(std::string("[conv] ") + what + " " + std::to_string(v) +
                                " exceeds the range of cuBLAS's int arguments.");
  }
  return static_cast<int>(v);
}

}  // namespace

void Convolution::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  auto& enc = cuda::encoder(stream());
  array& out = outputs[0];
  const Dtype t = out.dtype();
  const cuda::GemmTypes types = cuda::gemm_types(t, "conv");
  const cudaDataType dt = types.dt;
  const cublasComputeType_t compute = types.compute;
  void* po = enc.output(out);
  if (out.size() == 0) {
    cuda::set_evaluated(outputs);
    return;
  }
  array in = inputs[0];
  array w = inputs[1];
  if (in.dtype() != t || !in.flags().row_contiguous)
    in = cuda::contiguous_copy(enc, in, in.shape(), t);
  if (w.dtype() != t || !w.flags().row_contiguous) w = cuda::contiguous_copy(enc, w, w.shape(), t);

  const int sp = in.ndim() - 2;
  if (sp > kMaxConvDims) {
    throw std::invalid_argument("[conv] At most " + std::to_string(kMaxConvDims) +
                                " spatial dimensions on the GPU; got " + std::to_string(sp) + ".");
  }
  const int64_t N = in.shape()[0];
  const int64_t cin = in.shape()[sp + 1];
  const int64_t cout = w.shape()[0];
  const int64_t G = groups_;
  const int64_t cgi = cin / G, cgo = cout / G;
  ConvGeom g{};
  g.sp = sp;
  g.flip = flip_;
  g.cgi = cgi;
  g.kprod = 1;
  g.oprod = 1;
  bool pointwise = G == 1;
  for (int i = 0; i < sp; ++i) {
    g.ishape[i] = in.shape()[1 + i];
    g.kshape[i] = w.shape()[1 + i];
    g.oshape[i] = out.shape()[1 + i];
    g.stride[i] = stride_[i];
    g.pad_lo[i] = padding_lo_[i];
    g.kdil[i] = kernel_dilation_[i];
    g.idil[i] = input_dilation_[i];
    g.kprod *= g.kshape[i];
    g.oprod *= g.oshape[i];
    pointwise = pointwise && g.kshape[i] == 1 && g.stride[i] == 1 && g.pad_lo[i] == 0 &&
                g.idil[i] == 1 && g.oshape[i] == g.ishape[i];
  }
  g.istr[sp + 1] = 1;
  for (int i = sp; i >= 0; --i)
    g.istr[i] = g.istr[i + 1] * in.shape()[i + 1];
  g.cols = g.kprod * cgi;
  const int64_t rows = N * g.oprod;
  if (g.cols == 0) {
    // Empty sums: zeros.
    TANDEM_CUDA_CHECK(cudaMemsetAsync(po, 0, out.nbytes(), enc.stream()));
    enc.count_op();
    cuda::set_evaluated(outputs);
    return;
  }
  if (cuda::conv_cudnn(enc, *this, in, w, out, po)) {
    cuda::set_evaluated(outputs);
    return;
  }

  const float one_f = 1.0f, zero_f = 0.0f;
  const double one_d = 1.0, zero_d = 0.0;
  const void* alpha = t == float64 ? static_cast<const void*>(&one_d) : &one_f;
  const void* beta = t == float64 ? static_cast<const void*>(&zero_d) : &zero_f;
  const size_t isz = out.itemsize();
  cublasHandle_t h = cuda::blas_handle(enc);
  const char* W = static_cast<const char*>(enc.input(w));
  const char* X = static_cast<const char*>(enc.input(in));
  char* O = static_cast<char*>(po);
  const int m = checked_int(cgo, "output channels per group");
  const int k = checked_int(g.cols, "kernel size x input channels per group");
  const int ldc = checked_int(cout, "output channels");

  // Per group g: C (cnt x cgo, row-major, ld cout) = A (cnt x cols) W_g^T. cuBLAS is column-major,
  // so it computes C^T (cgo x cnt, ld cout) = op(W_g) (cgo x cols) * A^T (cols x cnt), where the
  // row-major W_g is a column-major cols x cgo matrix (ld cols, op = T) and the row-major A a
  // column-major cols x cnt matrix (ld cols, op = N). Groups are the batch: W_g at g*cgo*cols,
  // A_g at g*cnt*cols, C_g at column offset g*cgo.
  auto gemm = [&](const char* A, int64_t r0, int64_t cnt) {
    TANDEM_CUBLAS_CHECK(cublasGemmStridedBatchedEx(
        h, CUBLAS_OP_T, CUBLAS_OP_N, m, checked_int(cnt, "rows"), k, alpha, W, dt, k,
        static_cast<long long>(cgo) * g.cols, A, dt, k, static_cast<long long>(cnt) * g.cols, beta,
        O + static_cast<int64_t>(isz) * r0 * cout, dt, ldc, static_cast<long long>(cgo),
        static_cast<int>(G), compute, CUBLAS_GEMM_DEFAULT));
    enc.count_op();
  };

  if (pointwise) {
    // The input (rows x cin) is the im2col matrix.
    const int64_t step = INT32_MAX;
    for (int64_t r0 = 0; r0 < rows; r0 += step) {
      const int64_t cnt = std::min(step, rows - r0);
      gemm(X + static_cast<int64_t>(isz) * r0 * cin, r0, cnt);
    }
    cuda::set_evaluated(outputs);
    return;
  }

  // Rows per chunk: the scratch holds at most ~32M elements (all groups), at least one row.
  const int64_t budget = int64_t(1) << 25;
  const int64_t chunk = std::max<int64_t>(
      1, std::min<int64_t>({rows, budget / std::max<int64_t>(G * g.cols, 1), INT32_MAX}));
  array scratch = cuda::scratch(enc, static_cast<size_t>(G * chunk * g.cols), t);
  void* A = enc.input(scratch);
  for (int64_t r0 = 0; r0 < rows; r0 += chunk) {
    const int64_t cnt = std::min(chunk, rows - r0);
    const int64_t total = G * cnt * g.cols;
    cuda::dispatch(t, [&]<typename T>() {
      if constexpr (cuda::is_half_v<T> || std::is_same_v<T, float> || std::is_same_v<T, double>) {
        cuda::launch(enc, "im2col", im2col_kernel<T>, cuda::blocks_for(total), cuda::kThreads, 0,
                     reinterpret_cast<const T*>(X), static_cast<T*>(A), g, r0, cnt, total);
      }
    });
    gemm(static_cast<const char*>(A), r0, cnt);
  }
  cuda::set_evaluated(outputs);
}

}  // namespace tandem
