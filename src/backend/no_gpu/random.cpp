// Copyright © 2026 Tandem authors.
#include <stdexcept>

#include "core/backend_hooks.h"
#include "primitives/random.h"

namespace tandem {

void RandomBits::eval_gpu(const std::vector<array>&, std::vector<array>&) {
  throw std::runtime_error("[" + name() + "::eval_gpu] " + gpu::unavailable_reason());
}

}  // namespace tandem
