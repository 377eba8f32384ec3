// Copyright © 2026 Tandem authors.
// The allocator of a build without CUDA: every buffer is a host block from the caching host
// allocator (host_allocator.h), and Buffer is the data pointer itself. A CUDA build replaces this
// file with backend/cuda/allocator.cpp, whose buffers are records of a host and a device copy.
#ifndef TANDEM_WITH_CUDA

#include <utility>

#include "backend/cpu/host_allocator.h"
#include "tandem/allocator.h"
#include "tandem/memory.h"

namespace tandem {
namespace allocator {

namespace {

class CpuAllocator : public Allocator {
 public:
  CpuAllocator() : ledger_(physical_memory(), physical_memory()), host_(ledger_) {}

  Buffer malloc(size_t size) override { return Buffer(host_.malloc(size)); }
  void free(Buffer b) override { host_.free(b.ptr()); }
  size_t size(Buffer b) const override { return b.ptr() ? HostAllocator::capacity(b.ptr()) : 0; }

  Ledger& ledger() { return ledger_; }
  HostAllocator& host() { return host_; }

 private:
  Ledger ledger_;
  HostAllocator host_;
};

CpuAllocator& cpu_allocator() {
  // Never destroyed: arrays in static storage may release buffers during exit.
  static CpuAllocator* a = new CpuAllocator();
  return *a;
}

Ledger& ledger() {
  return cpu_allocator().ledger();
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
  auto& l = allocator::ledger();
  std::lock_guard<std::mutex> lk(l.mu);
  return l.active;
}
size_t get_peak_memory() {
  auto& l = allocator::ledger();
  std::lock_guard<std::mutex> lk(l.mu);
  return l.peak;
}
void reset_peak_memory() {
  auto& l = allocator::ledger();
  std::lock_guard<std::mutex> lk(l.mu);
  l.peak = l.active;
}
size_t get_cache_memory() {
  auto& l = allocator::ledger();
  std::lock_guard<std::mutex> lk(l.mu);
  return l.cached;
}
size_t set_memory_limit(size_t limit) {
  auto& l = allocator::ledger();
  std::lock_guard<std::mutex> lk(l.mu);
  return std::exchange(l.memory_limit, limit);
}
size_t get_memory_limit() {
  auto& l = allocator::ledger();
  std::lock_guard<std::mutex> lk(l.mu);
  return l.memory_limit;
}
size_t set_cache_limit(size_t limit) {
  auto& l = allocator::ledger();
  std::lock_guard<std::mutex> lk(l.mu);
  size_t old = std::exchange(l.cache_limit, limit);
  if (l.cached > l.cache_limit) {
    allocator::cpu_allocator().host().release_cache_locked(l.cached - l.cache_limit);
  }
  return old;
}
void clear_cache() {
  auto& l = allocator::ledger();
  std::lock_guard<std::mutex> lk(l.mu);
  allocator::cpu_allocator().host().release_cache_locked(l.cached);
}

}  // namespace tandem

#endif  // TANDEM_WITH_CUDA
