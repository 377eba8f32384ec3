// Copyright © 2026 Tandem authors.
// Memory statistics and limits (MLX's memory.h). Numbers are in bytes.
#pragma once

#include <cstddef>

namespace tandem {

/// Bytes held by live arrays (not counting the cache).
size_t get_active_memory();
/// The largest value get_active_memory() reached since start or the last reset_peak_memory().
size_t get_peak_memory();
void reset_peak_memory();
/// Bytes held in the allocator's cache of freed buffers, ready for reuse.
size_t get_cache_memory();
/// Cap on active memory: an allocation that would exceed it first empties the cache, then throws
/// std::runtime_error naming the request and the limit. Returns the previous limit.
size_t set_memory_limit(size_t limit);
size_t get_memory_limit();
/// Cap on the cache; freed buffers beyond it are returned to the system. Returns the previous
/// limit.
size_t set_cache_limit(size_t limit);
/// Return every cached buffer to the system.
void clear_cache();
/// MLX's wired (resident) memory limit, which only Metal uses: Tandem records the value and
/// returns the previous one, with no other effect.
size_t set_wired_limit(size_t limit);

}  // namespace tandem
