// Copyright © 2026 Tandem authors.
// Linear algebra primitives without GPU kernels yet (the pattern of not_implemented.cpp, kept in
// its own file): eval_gpu says so clearly. These are the GPU backend's linalg to-do list
// (cuSOLVER: getrf/getrs, potrf, geqrf/orgqr, gesvdj, syevd; geev has no batched GPU solver).
#include <stdexcept>
#include <string>

#include "primitives/linalg.h"

namespace tandem {

#define TANDEM_GPU_LINALG_TODO(P)                                                           \
  void P::eval_gpu(const std::vector<array>&, std::vector<array>&) {                        \
    throw std::runtime_error("[" + name() + "::eval_gpu] not implemented on the GPU yet."); \
  }

TANDEM_GPU_LINALG_TODO(Inverse)
TANDEM_GPU_LINALG_TODO(Cholesky)
TANDEM_GPU_LINALG_TODO(QRF)
TANDEM_GPU_LINALG_TODO(SVD)
TANDEM_GPU_LINALG_TODO(Eigh)
TANDEM_GPU_LINALG_TODO(Eig)
TANDEM_GPU_LINALG_TODO(LUF)
TANDEM_GPU_LINALG_TODO(Solve)
TANDEM_GPU_LINALG_TODO(SolveTriangular)

#undef TANDEM_GPU_LINALG_TODO

}  // namespace tandem
