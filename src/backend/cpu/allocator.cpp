// Copyright © 2026 Tandem authors.
// Host memory: a size-bucketed cache in front of aligned_alloc, with statistics and limits
// (DESIGN §4). Each block carries a 64-byte header holding its capacity, so Buffer is the data
// pointer itself and needs no side table.
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>

#include "tandem/allocator.h"
#include "tandem/memory.h"

namespace tandem {
namespace allocator {

namespace {

constexpr size_t kHeader = 64;
constexpr size_t kAlign = 64;

size_t bucket(size_t size) {
  if (size <= 64) return 64;
  if (size <= 256) return 256;
  if (size <= 4096) return (size + 255) & ~size_t(255);
  if (size <= (1u << 20)) return (size + 4095) & ~size_t(4095);
  // Large blocks: round to 1/8 of the next power of two (at most 12.5% waste) so buffers of
  // similar sizes share buckets.
  size_t p = 1;
  while (p < size)
    p <<= 1;
  size_t step = p / 8;
  return (size + step - 1) / step * step;
}

size_t physical_memory() {
  long pages = sysconf(_SC_PHYS_PAGES);
  long page = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page <= 0) return size_t(1) << 40;
  return static_cast<size_t>(pages) * static_cast<size_t>(page);
}

class CpuAllocator : public Allocator {
 public:
  CpuAllocator() : memory_limit_(physical_memory()), cache_limit_(physical_memory()) {}

  Buffer malloc(size_t size) override {
    size_t cap = bucket(size);
    std::unique_lock<std::mutex> lk(mu_);
    // Reuse a cached block of the same bucket, or one at most twice as large.
    auto it = cache_.lower_bound(cap);
    if (it != cache_.end() && it->first <= 2 * cap) {
      void* p = it->second;
      size_t c = it->first;
      cache_.erase(it);
      cache_bytes_ -= c;
      add_active(c);
      return Buffer(p);
    }
    if (active_ + cap > memory_limit_) {
      release_cache(cache_bytes_);
      if (active_ + cap > memory_limit_) {
        throw std::runtime_error("[malloc] Out of memory: requested " + std::to_string(size) +
                                 " bytes with " + std::to_string(active_) +
                                 " bytes active; the memory limit is " +
                                 std::to_string(memory_limit_) + " bytes.");
      }
    }
    void* raw = std::aligned_alloc(kAlign, cap + kHeader);
    if (!raw) {
      release_cache(cache_bytes_);
      raw = std::aligned_alloc(kAlign, cap + kHeader);
      if (!raw) {
        throw std::runtime_error("[malloc] The system could not provide " + std::to_string(size) +
                                 " bytes.");
      }
    }
    *static_cast<size_t*>(raw) = cap;
    add_active(cap);
    return Buffer(static_cast<char*>(raw) + kHeader);
  }

  void free(Buffer b) override {
    if (!b.ptr()) return;
    size_t cap = capacity(b.ptr());
    std::lock_guard<std::mutex> lk(mu_);
    active_ -= cap;
    if (cache_bytes_ + cap <= cache_limit_) {
      cache_.emplace(cap, b.ptr());
      cache_bytes_ += cap;
    } else {
      std::free(static_cast<char*>(b.ptr()) - kHeader);
    }
  }

  size_t size(Buffer b) const override { return b.ptr() ? capacity(b.ptr()) : 0; }

  // ---- statistics and limits ----
  size_t active() {
    std::lock_guard<std::mutex> lk(mu_);
    return active_;
  }
  size_t peak() {
    std::lock_guard<std::mutex> lk(mu_);
    return peak_;
  }
  void reset_peak() {
    std::lock_guard<std::mutex> lk(mu_);
    peak_ = active_;
  }
  size_t cache() {
    std::lock_guard<std::mutex> lk(mu_);
    return cache_bytes_;
  }
  size_t set_memory_limit(size_t l) {
    std::lock_guard<std::mutex> lk(mu_);
    return std::exchange(memory_limit_, l);
  }
  size_t memory_limit() {
    std::lock_guard<std::mutex> lk(mu_);
    return memory_limit_;
  }
  size_t set_cache_limit(size_t l) {
    std::lock_guard<std::mutex> lk(mu_);
    size_t old = std::exchange(cache_limit_, l);
    if (cache_bytes_ > cache_limit_) release_cache(cache_bytes_ - cache_limit_);
    return old;
  }
  void clear() {
    std::lock_guard<std::mutex> lk(mu_);
    release_cache(cache_bytes_);
  }

  ~CpuAllocator() override {
    for (auto& [c, p] : cache_)
      std::free(static_cast<char*>(p) - kHeader);
  }

 private:
  static size_t capacity(void* p) {
    return *reinterpret_cast<size_t*>(static_cast<char*>(p) - kHeader);
  }
  void add_active(size_t c) {
    active_ += c;
    if (active_ > peak_) peak_ = active_;
  }
  // Frees cached blocks, largest first, until `bytes` have been released. Caller holds mu_.
  void release_cache(size_t bytes) {
    size_t freed = 0;
    while (freed < bytes && !cache_.empty()) {
      auto it = std::prev(cache_.end());
      freed += it->first;
      cache_bytes_ -= it->first;
      std::free(static_cast<char*>(it->second) - kHeader);
      cache_.erase(it);
    }
  }

  std::mutex mu_;
  std::multimap<size_t, void*> cache_;
  size_t cache_bytes_{0};
  size_t active_{0};
  size_t peak_{0};
  size_t memory_limit_;
  size_t cache_limit_;
};

CpuAllocator& cpu_allocator() {
  // Never destroyed: arrays in static storage may release buffers during exit.
  static CpuAllocator* a = new CpuAllocator();
  return *a;
}

}  // namespace

void* Buffer::raw_ptr() const {
  return ptr_;
}

Allocator& allocator() {
  return cpu_allocator();
}
Buffer malloc(size_t size) {
  return cpu_allocator().malloc(size);
}
void free(Buffer buffer) {
  cpu_allocator().free(buffer);
}

}  // namespace allocator

size_t get_active_memory() {
  return allocator::cpu_allocator().active();
}
size_t get_peak_memory() {
  return allocator::cpu_allocator().peak();
}
void reset_peak_memory() {
  allocator::cpu_allocator().reset_peak();
}
size_t get_cache_memory() {
  return allocator::cpu_allocator().cache();
}
size_t set_memory_limit(size_t limit) {
  return allocator::cpu_allocator().set_memory_limit(limit);
}
size_t get_memory_limit() {
  return allocator::cpu_allocator().memory_limit();
}
size_t set_cache_limit(size_t limit) {
  return allocator::cpu_allocator().set_cache_limit(limit);
}
void clear_cache() {
  allocator::cpu_allocator().clear();
}

}  // namespace tandem
