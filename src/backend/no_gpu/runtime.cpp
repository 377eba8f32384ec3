// Copyright © 2026 Tandem authors.
// The GPU backend of a build without CUDA: nothing is available, every GPU request throws.
#include <stdexcept>

#include "core/backend_hooks.h"

namespace tandem::gpu {

bool is_available() {
  return false;
}
int device_count() {
  return 0;
}
const char* unavailable_reason() {
  return "Tandem was built without CUDA; rebuild with -DTANDEM_CUDA=ON to use the GPU.";
}
void new_stream(Stream) {
  throw std::runtime_error(std::string("[new_stream] ") + unavailable_reason());
}
void prepare_host(const array&) {}
MatmulStats matmul_stats() {
  return {};
}
void synchronize(Stream) {
  throw std::runtime_error(std::string("[synchronize] ") + unavailable_reason());
}

}  // namespace tandem::gpu
