// Copyright © 2026 Tandem authors.
// Primitives without GPU kernels yet: eval_gpu says so clearly (DESIGN: a primitive is not done
// until it runs on both backends; these are the GPU backend's to-do list).
#include <stdexcept>
#include <string>

#include "primitives/conv.h"
#include "primitives/indexing.h"
#include "primitives/sort_scan.h"

namespace tandem {

#define TANDEM_GPU_TODO(P)                                                                  \
  void P::eval_gpu(const std::vector<array>&, std::vector<array>&) {                        \
    throw std::runtime_error("[" + name() + "::eval_gpu] not implemented on the GPU yet."); \
  }

TANDEM_GPU_TODO(Convolution)
TANDEM_GPU_TODO(Gather)
TANDEM_GPU_TODO(Scatter)
TANDEM_GPU_TODO(SliceUpdate)
TANDEM_GPU_TODO(Sort)
TANDEM_GPU_TODO(ArgSort)
TANDEM_GPU_TODO(Partition)
TANDEM_GPU_TODO(ArgPartition)
TANDEM_GPU_TODO(SearchSorted)
TANDEM_GPU_TODO(Scan)
TANDEM_GPU_TODO(AlongAxisGather)
TANDEM_GPU_TODO(AlongAxisScatterAdd)

#undef TANDEM_GPU_TODO

}  // namespace tandem
