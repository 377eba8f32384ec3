// Copyright © 2026 Tandem authors.
// cuSOLVER helpers (the counterpart of blas.h): a status check and the stream's dense-solver
// context (kept in Encoder::solver_handle), created on first use and bound to the stream, so
// every cuSOLVER call is ordered with the stream's other work. The context lives as long as the
// process, like the stream's cuBLAS handle.
#pragma once

#include <cusolverDn.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "backend/cuda/runtime.h"

namespace tandem::cuda {

inline const char* solver_status_name(cusolverStatus_t s) {
  switch (s) {
    case CUSOLVER_STATUS_SUCCESS:
      return "CUSOLVER_STATUS_SUCCESS";
    case CUSOLVER_STATUS_NOT_INITIALIZED:
      return "CUSOLVER_STATUS_NOT_INITIALIZED";
    case CUSOLVER_STATUS_ALLOC_FAILED:
      return "CUSOLVER_STATUS_ALLOC_FAILED";
    case CUSOLVER_STATUS_INVALID_VALUE:
      return "CUSOLVER_STATUS_INVALID_VALUE";
    case CUSOLVER_STATUS_ARCH_MISMATCH:
      return "CUSOLVER_STATUS_ARCH_MISMATCH";
    case CUSOLVER_STATUS_EXECUTION_FAILED:
      return "CUSOLVER_STATUS_EXECUTION_FAILED";
    case CUSOLVER_STATUS_INTERNAL_ERROR:
      return "CUSOLVER_STATUS_INTERNAL_ERROR";
    case CUSOLVER_STATUS_MATRIX_TYPE_NOT_SUPPORTED:
      return "CUSOLVER_STATUS_MATRIX_TYPE_NOT_SUPPORTED";
    case CUSOLVER_STATUS_NOT_SUPPORTED:
      return "CUSOLVER_STATUS_NOT_SUPPORTED";
    case CUSOLVER_STATUS_INVALID_WORKSPACE:
      return "CUSOLVER_STATUS_INVALID_WORKSPACE";
    default:
      return "cusolverStatus_t error";
  }
}

}  // namespace tandem::cuda

#define TANDEM_CUSOLVER_CHECK(call)                                                               \
  do {                                                                                            \
    cusolverStatus_t st_ = (call);                                                                \
    if (st_ != CUSOLVER_STATUS_SUCCESS) {                                                         \
      throw std::runtime_error(std::string("[cuSOLVER] ") + #call +                               \
                               " failed: " + ::tandem::cuda::solver_status_name(st_) + " (" +     \
                               std::to_string(static_cast<int>(st_)) + ") at " + __FILE__ + ":" + \
                               std::to_string(__LINE__) + ".");                                   \
    }                                                                                             \
  } while (0)

namespace tandem::cuda {

/// A stream's cuSOLVER state: the dense handle, the parameters of the 64-bit API (default
/// algorithms) and the Jacobi solvers' settings (defaults: tolerance of the dtype's machine
/// epsilon, at most 100 sweeps, values sorted).
struct Solver {
  cusolverDnHandle_t handle{nullptr};
  cusolverDnParams_t params{nullptr};
  gesvdjInfo_t gesvdj{nullptr};
  syevjInfo_t syevj{nullptr};
};

/// The stream's solver context, created on first use and bound to the stream.
inline Solver& solver(Encoder& enc) {
  if (!enc.solver_handle) {
    auto s = std::make_unique<Solver>();
    TANDEM_CUSOLVER_CHECK(cusolverDnCreate(&s->handle));
    TANDEM_CUSOLVER_CHECK(cusolverDnSetStream(s->handle, enc.stream()));
    TANDEM_CUSOLVER_CHECK(cusolverDnCreateParams(&s->params));
    TANDEM_CUSOLVER_CHECK(cusolverDnCreateGesvdjInfo(&s->gesvdj));
    TANDEM_CUSOLVER_CHECK(cusolverDnCreateSyevjInfo(&s->syevj));
    enc.solver_handle = s.release();
  }
  return *static_cast<Solver*>(enc.solver_handle);
}

}  // namespace tandem::cuda
