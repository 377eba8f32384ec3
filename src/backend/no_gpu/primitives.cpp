// Copyright © 2026 Tandem authors.
// eval_gpu of every primitive in a build without CUDA. Unreachable in practice (no GPU stream can
// be made), but kept explicit so a mistaken GPU dispatch fails with a clear message.
#include <stdexcept>
#include <string>

#include "core/backend_hooks.h"
#include "primitives/primitives.h"

namespace tandem {

#define TANDEM_NO_GPU(P)                                                                 \
  void P::eval_gpu(const std::vector<array>&, std::vector<array>&) {                     \
    throw std::runtime_error("[" + name() + "::eval_gpu] " + gpu::unavailable_reason()); \
  }

TANDEM_NO_GPU(Unary)
TANDEM_NO_GPU(Binary)
TANDEM_NO_GPU(Select)
TANDEM_NO_GPU(Reduce)
TANDEM_NO_GPU(ArgReduce)
TANDEM_NO_GPU(Arange)
TANDEM_NO_GPU(AsType)
TANDEM_NO_GPU(Copy)
TANDEM_NO_GPU(Concatenate)
TANDEM_NO_GPU(Reshape)
TANDEM_NO_GPU(Transpose)
TANDEM_NO_GPU(Broadcast)
TANDEM_NO_GPU(Slice)
TANDEM_NO_GPU(AsStrided)
TANDEM_NO_GPU(View)
TANDEM_NO_GPU(Diagonal)
TANDEM_NO_GPU(Matmul)

}  // namespace tandem
