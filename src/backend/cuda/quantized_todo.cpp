// Copyright © 2026 Tandem authors.
// Quantization and Hadamard primitives without GPU kernels yet: eval_gpu says so clearly (the
// same to-do list as not_implemented.cpp, kept beside it so that file stays untouched here).
#include <stdexcept>
#include <string>

#include "primitives/quantized.h"

namespace tandem {

#define TANDEM_GPU_TODO_QUANTIZED(P)                                                        \
  void P::eval_gpu(const std::vector<array>&, std::vector<array>&) {                        \
    throw std::runtime_error("[" + name() + "::eval_gpu] not implemented on the GPU yet."); \
  }

TANDEM_GPU_TODO_QUANTIZED(Quantize)
TANDEM_GPU_TODO_QUANTIZED(Dequantize)
TANDEM_GPU_TODO_QUANTIZED(QuantizedMatmul)
TANDEM_GPU_TODO_QUANTIZED(Hadamard)

#undef TANDEM_GPU_TODO_QUANTIZED

}  // namespace tandem
