// Copyright © 2026 Tandem authors.
// A fork-join thread pool for CPU kernels (DESIGN §6): large work is split into contiguous chunks
// across all cores; small work runs inline on the calling thread.
#pragma once

#include <cstddef>
#include <functional>

namespace tandem::cpu {

/// Threads kernels may use (default: hardware concurrency, or TANDEM_NUM_THREADS).
int num_threads();
void set_num_threads(int n);

/// Minimum elements of simple elementwise work per thread before splitting pays off.
inline constexpr size_t kElementwiseGrain = 1 << 15;

/// Run f(begin, end) over [0, n) split into at most num_threads() chunks of at least `grain`
/// items each. Blocks until all chunks are done. Exceptions from any chunk are rethrown.
void parallel_for(size_t n, size_t grain, const std::function<void(size_t, size_t)>& f);

}  // namespace tandem::cpu
