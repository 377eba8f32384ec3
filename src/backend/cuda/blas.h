// Copyright © 2026 Tandem authors.
// cuBLAS helpers shared by the CUDA matmul and convolution kernels: status checks, the stream's
// handle (kept in Encoder::blas_handle), and the TF32 switch (TANDEM_ENABLE_TF32=1).
#pragma once

#include <cublas_v2.h>

#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

#include "backend/cuda/runtime.h"

#define TANDEM_CUBLAS_CHECK(call)                                                             \
  do {                                                                                        \
    cublasStatus_t st_ = (call);                                                              \
    if (st_ != CUBLAS_STATUS_SUCCESS) {                                                       \
      throw std::runtime_error(std::string("[cuBLAS] ") + #call +                             \
                               " failed: " + cublasGetStatusString(st_) + " at " + __FILE__ + \
                               ":" + std::to_string(__LINE__) + ".");                         \
    }                                                                                         \
  } while (0)

namespace tandem::cuda {

/// The stream's cuBLAS handle, created on first use and bound to the stream. Its math mode
/// keeps the split-K reductions of 16-bit GEMMs (cublasGemm*Ex with a float32 compute type) in
/// float32: cuBLAS's default lets them reduce in the 16-bit output type, which would round
/// partial sums where the CPU and the cuBLASLt path (blaslt.cpp) accumulate in float32 to the
/// end. TF32 stays off (CUBLAS_DEFAULT_MATH; the compute types decide, see gemm_types).
inline cublasHandle_t blas_handle(Encoder& enc) {
  if (!enc.blas_handle) {
    cublasHandle_t h;
    TANDEM_CUBLAS_CHECK(cublasCreate(&h));
    cublasStatus_t st = cublasSetStream(h, enc.stream());
    if (st == CUBLAS_STATUS_SUCCESS) {
      st = cublasSetMathMode(
          h, static_cast<cublasMath_t>(CUBLAS_DEFAULT_MATH |
                                       CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION));
    }
    if (st != CUBLAS_STATUS_SUCCESS) {
      (void)cublasDestroy(h);
      TANDEM_CUBLAS_CHECK(st);
    }
    enc.blas_handle = h;
  }
  return static_cast<cublasHandle_t>(enc.blas_handle);
}

/// Whether float32 products may use TF32 tensor cores (only when the user asks).
inline bool tf32_enabled() {
  static const bool on = [] {
    const char* v = std::getenv("TANDEM_ENABLE_TF32");
    return v && std::strcmp(v, "1") == 0;
  }();
  return on;
}

/// cuBLAS data and compute types of a GEMM on `t`: float32 (TF32 only when enabled), float64,
/// float16 / bfloat16 (float32 accumulation), complex64. Other dtypes throw, naming `op`.
struct GemmTypes {
  cudaDataType dt;
  cublasComputeType_t compute;
};
inline GemmTypes gemm_types(Dtype t, const char* op) {
  if (t == float32) {
    return {CUDA_R_32F, tf32_enabled() ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F};
  }
  if (t == float64) return {CUDA_R_64F, CUBLAS_COMPUTE_64F};
  if (t == float16) return {CUDA_R_16F, CUBLAS_COMPUTE_32F};
  if (t == bfloat16) return {CUDA_R_16BF, CUBLAS_COMPUTE_32F};
  if (t == complex64) return {CUDA_C_32F, CUBLAS_COMPUTE_32F};
  throw std::invalid_argument(std::string("[") + op + "] Unsupported dtype " + dtype_name(t) +
                              " on the GPU.");
}

}  // namespace tandem::cuda
