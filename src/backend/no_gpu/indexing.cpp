// Copyright © 2026 Tandem authors.
#include <stdexcept>

#include "core/backend_hooks.h"
#include "primitives/indexing.h"

namespace tandem {

#define TANDEM_NO_GPU(P)                                                                 \
  void P::eval_gpu(const std::vector<array>&, std::vector<array>&) {                     \
    throw std::runtime_error("[" + name() + "::eval_gpu] " + gpu::unavailable_reason()); \
  }
TANDEM_NO_GPU(Gather)
TANDEM_NO_GPU(Scatter)
TANDEM_NO_GPU(SliceUpdate)
#undef TANDEM_NO_GPU

}  // namespace tandem
