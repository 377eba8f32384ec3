// Copyright © 2026 Tandem authors.
// How gathering kernels read an index, shared by the CPU and CUDA backends (gather, gather_mm).
#pragma once

#include <cstdint>

#include "tandem/half_types.h"  // TANDEM_HD

namespace tandem {

/// An index into an axis of extent `n`: a negative value counts from the end once, then the
/// result is clamped to [0, hi] (hi = n - slice size, at least 0), so reads stay in bounds.
TANDEM_HD inline int64_t gather_index(int64_t v, int64_t n, int64_t hi) {
  if (v < 0) v += n;
  return v < 0 ? 0 : (v > hi ? hi : v);
}

}  // namespace tandem
