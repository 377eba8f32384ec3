// Copyright © 2026 Tandem authors.
// eval_gpu of the quantization and Hadamard primitives in a build without CUDA (same pattern as
// primitives.cpp: unreachable in practice, explicit so a mistaken GPU dispatch fails clearly).
#include <stdexcept>
#include <string>

#include "core/backend_hooks.h"
#include "primitives/quantized.h"

namespace tandem {

#define TANDEM_NO_GPU_QUANTIZED(P)                                                       \
  void P::eval_gpu(const std::vector<array>&, std::vector<array>&) {                     \
    throw std::runtime_error("[" + name() + "::eval_gpu] " + gpu::unavailable_reason()); \
  }

TANDEM_NO_GPU_QUANTIZED(Quantize)
TANDEM_NO_GPU_QUANTIZED(Dequantize)
TANDEM_NO_GPU_QUANTIZED(QuantizedMatmul)
TANDEM_NO_GPU_QUANTIZED(Hadamard)

#undef TANDEM_NO_GPU_QUANTIZED

}  // namespace tandem
