// Copyright © 2026 Tandem authors.
// A per-thread cache of small freed blocks for the graph's own objects (nodes, array
// descriptors, primitives), internal. Building a graph allocates a few of these per op and
// evaluating it frees them all again; the C library's small-block caches hold only a handful per
// size, so most of them would take its slow path. Blocks come from ::operator new, so a block
// freed on another thread (async_eval) simply joins that thread's cache.
#pragma once

#include <cstddef>
#include <new>

namespace tandem::detail {

/// `n` bytes, aligned to 16 (blocks above 256 bytes go straight to ::operator new).
void* pool_allocate(size_t n);
/// Gives back a block of `n` bytes from pool_allocate.
void pool_deallocate(void* p, size_t n) noexcept;

/// A standard allocator over the pool, for std::allocate_shared.
template <typename T>
struct PoolAllocator {
  using value_type = T;
  PoolAllocator() = default;
  template <typename U>
  PoolAllocator(const PoolAllocator<U>&) noexcept {}
  T* allocate(size_t n) {
    static_assert(alignof(T) <= 16, "PoolAllocator: over-aligned type");
    return static_cast<T*>(pool_allocate(n * sizeof(T)));
  }
  void deallocate(T* p, size_t n) noexcept { pool_deallocate(p, n * sizeof(T)); }
  template <typename U>
  bool operator==(const PoolAllocator<U>&) const noexcept {
    return true;
  }
};

}  // namespace tandem::detail
