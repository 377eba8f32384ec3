// Copyright © 2026 Tandem authors.
// eval_gpu of the FFT primitive in a build without CUDA (same pattern as primitives.cpp).
#include <stdexcept>
#include <string>

#include "core/backend_hooks.h"
#include "primitives/fft.h"

namespace tandem {

void FFT::eval_gpu(const std::vector<array>&, std::vector<array>&) {
  throw std::runtime_error("[" + name() + "::eval_gpu] " + gpu::unavailable_reason());
}

}  // namespace tandem
