// Copyright © 2026 Tandem authors.
#include <stdexcept>

#include "core/backend_hooks.h"
#include "primitives/io.h"

namespace tandem {

void Load::eval_gpu(const std::vector<array>&, std::vector<array>&) {
  throw std::runtime_error("[" + name() + "::eval_gpu] " + gpu::unavailable_reason());
}

}  // namespace tandem
