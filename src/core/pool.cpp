// Copyright © 2026 Tandem authors.
#include "core/pool.h"

#include <cstdint>

namespace tandem::detail {

namespace {

constexpr size_t kGranule = 16;
constexpr size_t kPoolMaxBytes = 256;
constexpr size_t kClasses = kPoolMaxBytes / kGranule;  // class c holds blocks of (c + 1) * 16
constexpr size_t kCacheBytesPerClass = 256 * 1024;     // per thread; beyond it blocks are freed

struct FreeBlock {
  FreeBlock* next;
};

struct ThreadCache {
  FreeBlock* head[kClasses] = {};
  size_t count[kClasses] = {};
  ~ThreadCache();
};

// Trivially destructible, so it stays readable after the cache itself is destroyed at thread
// exit (objects freed later by other destructors then go straight to ::operator delete).
thread_local bool t_cache_gone = false;
thread_local ThreadCache t_cache;

ThreadCache::~ThreadCache() {
  t_cache_gone = true;
  for (size_t c = 0; c < kClasses; ++c) {
    while (head[c]) {
      FreeBlock* b = head[c];
      head[c] = b->next;
      ::operator delete(b);
    }
  }
}

size_t class_of(size_t n) {
  return (n + kGranule - 1) / kGranule - 1;
}

}  // namespace

static_assert(__STDCPP_DEFAULT_NEW_ALIGNMENT__ >= kGranule, "pool: ::operator new alignment");

void* pool_allocate(size_t n) {
  if (n == 0 || n > kPoolMaxBytes) return ::operator new(n);
  size_t c = class_of(n);
  // Always the whole class size: any block may later join a cache and serve any request of it.
  if (t_cache_gone) return ::operator new((c + 1) * kGranule);
  ThreadCache& tc = t_cache;
  if (FreeBlock* b = tc.head[c]) {
    tc.head[c] = b->next;
    --tc.count[c];
    return b;
  }
  return ::operator new((c + 1) * kGranule);
}

void pool_deallocate(void* p, size_t n) noexcept {
  if (!p) return;
  if (n == 0 || n > kPoolMaxBytes || t_cache_gone) {
    ::operator delete(p);
    return;
  }
  size_t c = class_of(n);
  ThreadCache& tc = t_cache;
  if (tc.count[c] * (c + 1) * kGranule >= kCacheBytesPerClass) {
    ::operator delete(p);
    return;
  }
  auto* b = static_cast<FreeBlock*>(p);
  b->next = tc.head[c];
  tc.head[c] = b;
  ++tc.count[c];
}

}  // namespace tandem::detail
