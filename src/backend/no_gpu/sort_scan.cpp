// Copyright © 2026 Tandem authors.
// eval_gpu of the sorting, selection and scan primitives in a build without CUDA (same pattern as
// primitives.cpp: unreachable in practice, explicit so a mistaken GPU dispatch fails clearly).
#include <stdexcept>
#include <string>

#include "core/backend_hooks.h"
#include "primitives/sort_scan.h"

namespace tandem {

#define TANDEM_NO_GPU_SORT_SCAN(P)                                                       \
  void P::eval_gpu(const std::vector<array>&, std::vector<array>&) {                     \
    throw std::runtime_error("[" + name() + "::eval_gpu] " + gpu::unavailable_reason()); \
  }

TANDEM_NO_GPU_SORT_SCAN(Sort)
TANDEM_NO_GPU_SORT_SCAN(ArgSort)
TANDEM_NO_GPU_SORT_SCAN(Partition)
TANDEM_NO_GPU_SORT_SCAN(ArgPartition)
TANDEM_NO_GPU_SORT_SCAN(SearchSorted)
TANDEM_NO_GPU_SORT_SCAN(Scan)
TANDEM_NO_GPU_SORT_SCAN(AlongAxisGather)
TANDEM_NO_GPU_SORT_SCAN(AlongAxisScatterAdd)

#undef TANDEM_NO_GPU_SORT_SCAN

}  // namespace tandem
