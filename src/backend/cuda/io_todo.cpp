// Copyright © 2026 Tandem authors.
// Load has no GPU kernel yet: loads run on a CPU stream by default (as in MLX) and GPU consumers
// read the result through the one memory space. A load placed on a GPU stream on purpose fails
// clearly (a direct file-to-device path, e.g. cuFile, is future work).
#include <stdexcept>
#include <string>

#include "primitives/io.h"

namespace tandem {

void Load::eval_gpu(const std::vector<array>&, std::vector<array>&) {
  throw std::runtime_error("[" + name() + "::eval_gpu] not implemented on the GPU yet.");
}

}  // namespace tandem
