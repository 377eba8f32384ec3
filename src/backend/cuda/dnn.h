// Copyright © 2026 Tandem authors.
// cuDNN helpers (the counterpart of blas.h and solver.h): a status check and the stream's cuDNN
// handle (kept in Encoder::dnn_handle), created on first use and bound to the stream, so every
// cuDNN call is ordered with the stream's other work. The handle lives as long as the process,
// like the stream's cuBLAS handle. Only compiled when CMake found cuDNN (TANDEM_WITH_CUDNN); the
// legacy (v7-style) API of cuDNN 9 is used, whose declarations cudnn.h still provides.
#pragma once

#if !TANDEM_WITH_CUDNN
#error "backend/cuda/dnn.h needs cuDNN (TANDEM_WITH_CUDNN)"
#endif

#include <cudnn.h>

#include <stdexcept>
#include <string>

#include "backend/cuda/runtime.h"

#if CUDNN_MAJOR < 9
#error "Tandem's cuDNN path needs cuDNN 9 or newer"
#endif

namespace tandem::cuda {

/// Whether a cuDNN status means "this problem is not supported" (rather than a failure).
inline bool dnn_not_supported(cudnnStatus_t s) {
  return CUDNN_STATUS_CATEGORY(static_cast<int>(s)) == CUDNN_STATUS_NOT_SUPPORTED;
}

/// "CUDNN_STATUS_... (code): cuDNN's last error message".
inline std::string dnn_status_message(cudnnStatus_t s) {
  char last[512] = {0};
  cudnnGetLastErrorString(last, sizeof(last));
  std::string msg =
      std::string(cudnnGetErrorString(s)) + " (" + std::to_string(static_cast<int>(s)) + ")";
  if (last[0] != '\0') msg += ": " + std::string(last);
  return msg;
}

}  // namespace tandem::cuda

#define TANDEM_CUDNN_CHECK(call)                                                                \
  do {                                                                                          \
    cudnnStatus_t st_ = (call);                                                                 \
    if (st_ != CUDNN_STATUS_SUCCESS) {                                                          \
      throw std::runtime_error(std::string("[cuDNN] ") + #call +                                \
                               " failed: " + ::tandem::cuda::dnn_status_message(st_) + " at " + \
                               __FILE__ + ":" + std::to_string(__LINE__) + ".");                \
    }                                                                                           \
  } while (0)

namespace tandem::cuda {

/// The stream's cuDNN handle, created on first use and bound to the stream. Throws when cuDNN
/// cannot be initialised (e.g. its sub-libraries or a compatible driver are missing).
inline cudnnHandle_t dnn_handle(Encoder& enc) {
  if (!enc.dnn_handle) {
    cudnnHandle_t h;
    TANDEM_CUDNN_CHECK(cudnnCreate(&h));
    cudnnStatus_t st = cudnnSetStream(h, enc.stream());
    if (st != CUDNN_STATUS_SUCCESS) {
      cudnnDestroy(h);
      TANDEM_CUDNN_CHECK(st);
    }
    enc.dnn_handle = h;
  }
  return static_cast<cudnnHandle_t>(enc.dnn_handle);
}

}  // namespace tandem::cuda
