// Copyright © 2026 Tandem authors.
// Structured matrix product primitives without GPU kernels yet (GPU to-do list, as
// not_implemented.cpp): eval_gpu says so clearly. gather_mm maps to grouped / batched cuBLASLt
// GEMMs over the gathered pairs; block_masked_mm to a tiled kernel that skips masked tiles.
#include <stdexcept>
#include <string>

#include "primitives/products.h"

namespace tandem {

#define TANDEM_GPU_TODO_PRODUCTS(P)                                                         \
  void P::eval_gpu(const std::vector<array>&, std::vector<array>&) {                        \
    throw std::runtime_error("[" + name() + "::eval_gpu] not implemented on the GPU yet."); \
  }

TANDEM_GPU_TODO_PRODUCTS(GatherMM)
TANDEM_GPU_TODO_PRODUCTS(BlockMaskedMM)

#undef TANDEM_GPU_TODO_PRODUCTS

}  // namespace tandem
