// Copyright © 2026 Tandem authors.
// eval_gpu of the linear algebra primitives in a build without CUDA (same pattern as
// primitives.cpp: unreachable in practice, explicit so a mistaken GPU dispatch fails clearly).
#include <stdexcept>
#include <string>

#include "core/backend_hooks.h"
#include "primitives/linalg.h"

namespace tandem {

#define TANDEM_NO_GPU_LINALG(P)                                                          \
  void P::eval_gpu(const std::vector<array>&, std::vector<array>&) {                     \
    throw std::runtime_error("[" + name() + "::eval_gpu] " + gpu::unavailable_reason()); \
  }

TANDEM_NO_GPU_LINALG(Inverse)
TANDEM_NO_GPU_LINALG(Cholesky)
TANDEM_NO_GPU_LINALG(QRF)
TANDEM_NO_GPU_LINALG(SVD)
TANDEM_NO_GPU_LINALG(Eigh)
TANDEM_NO_GPU_LINALG(Eig)
TANDEM_NO_GPU_LINALG(LUF)
TANDEM_NO_GPU_LINALG(Solve)
TANDEM_NO_GPU_LINALG(SolveTriangular)

#undef TANDEM_NO_GPU_LINALG

}  // namespace tandem
