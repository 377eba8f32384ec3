// Copyright © 2026 Tandem authors.
// eval_gpu of the structured matrix product primitives in a build without CUDA (same pattern as
// primitives.cpp: unreachable in practice, explicit so a mistaken GPU dispatch fails clearly).
#include <stdexcept>
#include <string>

#include "core/backend_hooks.h"
#include "primitives/products.h"

namespace tandem {

#define TANDEM_NO_GPU_PRODUCTS(P)                                                        \
  void P::eval_gpu(const std::vector<array>&, std::vector<array>&) {                     \
    throw std::runtime_error("[" + name() + "::eval_gpu] " + gpu::unavailable_reason()); \
  }

TANDEM_NO_GPU_PRODUCTS(GatherMM)
TANDEM_NO_GPU_PRODUCTS(BlockMaskedMM)

#undef TANDEM_NO_GPU_PRODUCTS

}  // namespace tandem
