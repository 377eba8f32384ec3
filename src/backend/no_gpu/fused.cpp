// Copyright © 2026 Tandem authors.
// eval_gpu of the fused primitives in a build without CUDA (see primitives.cpp in this folder).
#include <stdexcept>
#include <string>

#include "core/backend_hooks.h"
#include "primitives/fused.h"

namespace tandem {

void Softmax::eval_gpu(const std::vector<array>&, std::vector<array>&) {
  throw std::runtime_error("[" + name() + "::eval_gpu] " + gpu::unavailable_reason());
}

void RMSNorm::eval_gpu(const std::vector<array>&, std::vector<array>&) {
  throw std::runtime_error("[" + name() + "::eval_gpu] " + gpu::unavailable_reason());
}

void LayerNorm::eval_gpu(const std::vector<array>&, std::vector<array>&) {
  throw std::runtime_error("[" + name() + "::eval_gpu] " + gpu::unavailable_reason());
}

void ScaledDotProductAttention::eval_gpu(const std::vector<array>&, std::vector<array>&) {
  throw std::runtime_error("[" + name() + "::eval_gpu] " + gpu::unavailable_reason());
}

}  // namespace tandem
