// Copyright © 2026 Tandem authors.
// Host memory (DESIGN §4): a size-bucketed cache in front of aligned_alloc, drawing on a Ledger
// that counts active and cached bytes against the memory and cache limits. The CPU build uses it
// alone (backend/cpu/allocator.cpp); the CUDA build uses it for the host copies of buffers and
// shares the Ledger with its device-memory cache, so memory.h reports host + device.
//
// Each host block carries a 64-byte header holding its capacity, so a block is known by its data
// pointer alone.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <iterator>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>

namespace tandem::allocator {

/// The capacity a request of `size` bytes is rounded up to (the cache's buckets).
inline size_t bucket_size(size_t size) {
  if (size <= 64) return 64;
  if (size <= 256) return 256;
  if (size <= 4096) return (size + 255) & ~size_t(255);
  if (size <= (1u << 20)) return (size + 4095) & ~size_t(4095);
  // Large blocks: round to 1/8 of the next power of two (the waste is under 12.5% of that
  // power, under 25% of the request) so buffers of similar sizes share buckets.
  size_t p = 1;
  while (p < size)
    p <<= 1;
  size_t step = p / 8;
  return (size + step - 1) / step * step;
}

inline size_t physical_memory() {
  long pages = sysconf(_SC_PHYS_PAGES);
  long page = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page <= 0) return size_t(1) << 40;
  return static_cast<size_t>(pages) * static_cast<size_t>(page);
}

/// Byte accounting shared by the allocators of one build. Every field is guarded by `mu`, which
/// the allocators also hold while they touch their caches.
struct Ledger {
  Ledger(size_t memory_limit_, size_t cache_limit_)
      : memory_limit(memory_limit_), cache_limit(cache_limit_) {}
  std::mutex mu;
  size_t active{0};  // bytes held by live buffers (capacities)
  size_t peak{0};
  size_t cached{0};  // bytes held in the caches of freed blocks
  size_t memory_limit;
  size_t cache_limit;

  void add_active(size_t b) {
    active += b;
    if (active > peak) peak = active;
  }
  /// The error thrown when `size` more bytes (capacity `cap`) would pass the memory limit.
  std::runtime_error over_limit(size_t size, const char* what) const {
    return std::runtime_error(std::string("[malloc] Out of memory: requested ") +
                              std::to_string(size) + " bytes of " + what + " memory with " +
                              std::to_string(active) + " bytes active; the memory limit is " +
                              std::to_string(memory_limit) + " bytes.");
  }
};

/// The cache of host blocks. Thread safe (through the ledger's mutex).
class HostAllocator {
 public:
  /// `release_other_caches` (optional) empties the caches of the other allocators sharing the
  /// ledger; it is called with the ledger's mutex held when an allocation would pass the limit.
  explicit HostAllocator(Ledger& ledger, std::function<void()> release_other_caches = {})
      : ledger_(ledger), release_others_(std::move(release_other_caches)) {}
  HostAllocator(const HostAllocator&) = delete;
  HostAllocator& operator=(const HostAllocator&) = delete;

  /// A block of at least `size` bytes, 64-byte aligned. Throws std::runtime_error naming the
  /// request and the limit when the ledger's memory limit would be passed.
  void* malloc(size_t size) {
    size_t cap = bucket_size(size);
    std::lock_guard<std::mutex> lk(ledger_.mu);
    // Reuse a cached block of the same bucket, or one at most twice as large.
    auto it = cache_.lower_bound(cap);
    if (it != cache_.end() && it->first <= 2 * cap) {
      void* p = it->second;
      size_t c = it->first;
      cache_.erase(it);
      cache_bytes_ -= c;
      ledger_.cached -= c;
      ledger_.add_active(c);
      return p;
    }
    if (ledger_.active + cap > ledger_.memory_limit) {
      release_cache_locked(cache_bytes_);
      if (release_others_) release_others_();
      if (ledger_.active + cap > ledger_.memory_limit) throw ledger_.over_limit(size, "host");
    }
    void* raw = std::aligned_alloc(kAlign, cap + kHeader);
    if (!raw) {
      release_cache_locked(cache_bytes_);
      if (release_others_) release_others_();
      raw = std::aligned_alloc(kAlign, cap + kHeader);
      if (!raw) {
        throw std::runtime_error("[malloc] The system could not provide " + std::to_string(size) +
                                 " bytes of host memory.");
      }
    }
    *static_cast<size_t*>(raw) = cap;
    ledger_.add_active(cap);
    return static_cast<char*>(raw) + kHeader;
  }

  void free(void* p) {
    if (!p) return;
    size_t cap = capacity(p);
    std::lock_guard<std::mutex> lk(ledger_.mu);
    ledger_.active -= cap;
    if (ledger_.cached + cap <= ledger_.cache_limit) {
      cache_.emplace(cap, p);
      cache_bytes_ += cap;
      ledger_.cached += cap;
    } else {
      std::free(static_cast<char*>(p) - kHeader);
    }
  }

  /// The capacity of a block returned by malloc.
  static size_t capacity(const void* p) {
    return *reinterpret_cast<const size_t*>(static_cast<const char*>(p) - kHeader);
  }

  /// Frees cached blocks, largest first, until `bytes` have been released (or the cache is
  /// empty). The caller holds the ledger's mutex. Returns the bytes released.
  size_t release_cache_locked(size_t bytes) {
    size_t freed = 0;
    while (freed < bytes && !cache_.empty()) {
      auto it = std::prev(cache_.end());
      freed += it->first;
      cache_bytes_ -= it->first;
      ledger_.cached -= it->first;
      std::free(static_cast<char*>(it->second) - kHeader);
      cache_.erase(it);
    }
    return freed;
  }
  /// Bytes in this allocator's cache. The caller holds the ledger's mutex.
  size_t cached_locked() const { return cache_bytes_; }

 private:
  static constexpr size_t kHeader = 64;
  static constexpr size_t kAlign = 64;

  Ledger& ledger_;
  std::function<void()> release_others_;
  std::multimap<size_t, void*> cache_;
  size_t cache_bytes_{0};
};

}  // namespace tandem::allocator
