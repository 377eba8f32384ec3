// Copyright © 2026 Tandem authors.
// Memory of a CUDA build (DESIGN §4): buffer records with a host and a device copy, host blocks
// from the caching host allocator, device blocks from a stream-ordered pool behind a
// size-bucketed cache, one ledger for both (memory.h counts host + device), and residency:
// Encoder::input / output / donate and gpu::prepare_host. No managed memory.
//
// Stream safety of device blocks: a record remembers the slots (streams) that used its device
// copy. When it is freed, the block's home stream is made to wait for the other users, so reuse
// in the home stream's order is safe; a cached block taken by another stream first makes that
// stream wait for the home stream. A device write made on one stream is waited for lazily: a
// consumer on another stream records an event on the writer's stream when it first needs it.
//
// Host copies are ordinary pageable memory, so a host block can be reused as soon as its buffer
// is freed. Copies between them and the device go through the ring of pinned memory of pinned.h
// (large ones) or straight from/to pageable memory (small ones); either way the source of a
// host->device copy may be reused when the call returns, and a device->host copy is complete
// when it returns. The ring counts as cache memory in the ledger.
//
// Device memory that a library keeps between calls (the cuBLASLt workspace) is also cache memory
// (Encoder::library_workspace): clear_cache(), a lower cache limit and a device out of memory
// make its owner give it up (register_cache_owner). Nothing that waits for the device
// (cudaFreeHost, cudaFree) runs while the ledger's mutex is held: such frees are set aside and
// done once it is dropped.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "backend/cpu/host_allocator.h"
#include "backend/cuda/pinned.h"
#include "backend/cuda/runtime.h"
#include "core/backend_hooks.h"
#include "tandem/allocator.h"
#include "tandem/memory.h"

namespace tandem::cuda {

namespace {

using allocator::bucket_size;
using allocator::HostAllocator;
using allocator::Ledger;

/// The record a Buffer points to. Invariant: host_valid || device_valid when size > 0.
struct CudaBuffer {
  std::mutex mu;
  size_t size{0};
  void* host{nullptr};
  void* device{nullptr};
  size_t device_cap{0};
  int device_id{-1};
  int home_slot{-1};    // the stream whose order the device block is allocated in
  int writer_slot{-1};  // the stream of the last write of the device copy
  uint64_t used{0};     // slots that used the device block (slot_bit)
  uint64_t synced{0};   // slots already ordered after the last write
  bool host_valid{false};
  bool device_valid{false};
  bool cache_accounted{false};  // a library's block (Encoder::library_workspace): cache memory
};

inline CudaBuffer* rec(const allocator::Buffer& b) {
  return static_cast<CudaBuffer*>(b.ptr());
}

struct DevBlock {
  void* ptr{nullptr};
  size_t cap{0};
  int home{-1};
  int device{-1};
  bool as_cache{false};  // counted as cache memory while in use (a library's workspace)
};

size_t total_device_memory() {
  size_t total = 0;
  if (!gpu::is_available()) return 0;
  for (int d = 0; d < gpu::device_count(); ++d) {
    cudaDeviceProp prop;
    if (cudaGetDeviceProperties(&prop, d) == cudaSuccess) total += prop.totalGlobalMem;
  }
  (void)cudaGetLastError();
  return total;
}

// Runs `f` on every slot set in `mask` (bit 63: every slot from 63 on).
template <typename F>
void for_each_slot(uint64_t mask, F&& f) {
  for (int s = 0; s < 63; ++s) {
    if (mask & (uint64_t(1) << s)) f(s);
  }
  if (mask & (uint64_t(1) << 63)) {
    int n = slot_count();
    for (int s = 63; s < n; ++s)
      f(s);
  }
}

// ---- the cache owners (register_cache_owner) ----

struct CacheOwners {
  static constexpr int kMax = 16;
  std::mutex mu;  // guards registration only
  std::atomic<int> count{0};
  std::atomic<void (*)()> fns[kMax]{};
};

CacheOwners& cache_owners() {
  static CacheOwners* o = new CacheOwners();
  return *o;
}

// Calls every registered owner. No allocator lock may be held.
void release_cache_owners() noexcept {
  auto& o = cache_owners();
  const int n = o.count.load(std::memory_order_acquire);
  for (int i = 0; i < n; ++i) {
    if (auto f = o.fns[i].load(std::memory_order_acquire)) {
      try {
        f();
      } catch (...) {
        // Best effort: an owner that cannot let go keeps its memory.
      }
    }
  }
}

// Memory whose release waits for the device (cudaFreeHost; cudaFree where the device has no
// stream-ordered pools) is set aside while the ledger's mutex is held and freed once it is
// dropped: waiting for the device with the one lock of every allocation held would stall every
// thread that allocates or frees meanwhile (and deadlock with any host callback that allocates).
class Deferred {
 public:
  /// Ledger's mutex held.
  void add_locked(void* p, int device, bool pinned_host) {
    if (!p) return;
    items_.push_back({p, device, pinned_host});
    pending_.store(true, std::memory_order_release);
  }
  /// Frees what was set aside. Ledger's mutex NOT held. Never throws.
  void flush(std::mutex& ledger_mu) noexcept {
    if (!pending_.load(std::memory_order_acquire)) return;
    std::vector<Item> todo;
    {
      std::lock_guard<std::mutex> lk(ledger_mu);
      todo.swap(items_);
      pending_.store(false, std::memory_order_relaxed);
    }
    for (auto& it : todo) {
      try {
        if (it.pinned_host) {
          (void)cudaFreeHost(it.ptr);
        } else {
          DeviceScope scope(it.device);
          (void)cudaFree(it.ptr);  // synchronises with the device: safe for blocks still in use
        }
      } catch (...) {
      }
      (void)cudaGetLastError();
    }
  }

 private:
  struct Item {
    void* ptr;
    int device;
    bool pinned_host;
  };
  std::vector<Item> items_;
  std::atomic<bool> pending_{false};
};

class DeviceAllocator {
 public:
  DeviceAllocator(Ledger& ledger, Deferred& deferred) : ledger_(ledger), deferred_(deferred) {}

  /// A cached block of `cap` to 2 * cap bytes on `device`, taken out of the cache (its bytes
  /// leave the cache counters; the caller accounts for them), or an empty block. Ledger held.
  DevBlock take_cached_locked(size_t cap, int device) {
    for (auto it = cache_.lower_bound(cap); it != cache_.end() && it->first <= 2 * cap; ++it) {
      if (it->second.device == device) {
        DevBlock b = it->second;
        ledger_.cached -= b.cap;
        cached_ -= b.cap;
        cache_.erase(it);
        return b;
      }
    }
    return {};
  }

  /// Gives a block back. `used`: the slots whose streams used it. Never throws (it runs in
  /// destructors, also during exit when the CUDA runtime may be gone). Ledger NOT held.
  void free(const DevBlock& b, uint64_t used) noexcept {
    if (!b.ptr) return;
    DevBlock blk = b;
    try {
      Encoder* home = encoder_for_slot(blk.home);
      if (home) {
        for_each_slot(used, [&](int s) {
          if (s == blk.home) return;
          if (Encoder* other = encoder_for_slot(s)) {
            stream_wait(*home, *other);
          }
        });
      }
    } catch (...) {
      // The runtime is shutting down, or a device error is pending: nothing sensible to do.
    }
    std::lock_guard<std::mutex> lk(ledger_.mu);
    if (blk.as_cache) {
      ledger_.cached -= blk.cap;
    } else {
      ledger_.active -= blk.cap;
    }
    blk.as_cache = false;
    if (ledger_.cached + blk.cap <= ledger_.cache_limit) {
      cache_.emplace(blk.cap, blk);
      cached_ += blk.cap;
      ledger_.cached += blk.cap;
    } else {
      raw_free_locked(blk);
    }
  }

  /// Frees cached blocks, largest first, until `bytes` have been released. Ledger held.
  size_t release_cache_locked(size_t bytes) noexcept {
    size_t freed = 0;
    while (freed < bytes && !cache_.empty()) {
      auto it = std::prev(cache_.end());
      freed += it->first;
      cached_ -= it->first;
      ledger_.cached -= it->first;
      raw_free_locked(it->second);
      cache_.erase(it);
    }
    return freed;
  }
  size_t cached_locked() const { return cached_; }

  /// Returns memory that the pools hold but nobody uses to the system (after clear_cache).
  void trim_pools() noexcept {
    std::lock_guard<std::mutex> lk(pool_mu_);
    for (size_t d = 0; d < pools_.size(); ++d) {
      if (pools_[d]) (void)cudaMemPoolTrimTo(pools_[d], 0);
    }
    (void)cudaGetLastError();
  }
  void trim_pool(int device) noexcept {
    std::lock_guard<std::mutex> lk(pool_mu_);
    if (static_cast<size_t>(device) < pools_.size() && pools_[device]) {
      (void)cudaMemPoolTrimTo(pools_[device], 0);
    }
    (void)cudaGetLastError();
  }

  /// A new block of `cap` bytes in `enc`'s stream order. No lock held.
  cudaError_t raw_alloc(void** ptr, size_t cap, Encoder& enc) {
    cudaMemPool_t p = pool(enc.device());
    if (p) return cudaMallocFromPoolAsync(ptr, cap, p, enc.stream());
    return cudaMalloc(ptr, cap);  // no stream-ordered pools on this device
  }

 private:
  cudaMemPool_t pool(int device) {
    std::lock_guard<std::mutex> lk(pool_mu_);
    ensure_pool_locked(device);
    return pools_[device];
  }
  void ensure_pool_locked(int device) {
    if (static_cast<size_t>(device) < pool_ready_.size() && pool_ready_[device]) return;
    if (pools_.size() <= static_cast<size_t>(device)) {
      pools_.resize(device + 1, nullptr);
      pool_ready_.resize(device + 1, false);
    }
    int supported = 0;
    TANDEM_CUDA_CHECK(cudaDeviceGetAttribute(&supported, cudaDevAttrMemoryPoolsSupported, device));
    if (supported) {
      // A pool of our own (not the device's default one that other libraries share). Its release
      // threshold stays 0: memory given back by cudaFreeAsync (blocks beyond the cache limit)
      // returns to the system at the next synchronisation, so get_cache_memory() is the truth.
      cudaMemPoolProps props{};
      props.allocType = cudaMemAllocationTypePinned;
      props.handleTypes = cudaMemHandleTypeNone;
      props.location.type = cudaMemLocationTypeDevice;
      props.location.id = device;
      cudaMemPool_t p;
      TANDEM_CUDA_CHECK(cudaMemPoolCreate(&p, &props));
      pools_[device] = p;
    }
    pool_ready_[device] = true;
  }

  // Ledger held. Never throws, never waits: a pooled block is freed in its home stream's order
  // (cudaFreeAsync), any other one is set aside for cudaFree after the ledger is dropped.
  void raw_free_locked(const DevBlock& b) noexcept {
    Encoder* home = encoder_for_slot(b.home);
    bool pooled = false;
    {
      std::lock_guard<std::mutex> lk(pool_mu_);
      pooled = static_cast<size_t>(b.device) < pools_.size() && pools_[b.device];
    }
    if (pooled && home) {
      try {
        DeviceScope scope(b.device);
        if (cudaFreeAsync(b.ptr, home->stream()) == cudaSuccess) return;
      } catch (...) {
      }
      (void)cudaGetLastError();
    }
    try {
      deferred_.add_locked(b.ptr, b.device, /*pinned_host=*/false);
    } catch (...) {
      // Out of host memory for the list: the block leaks rather than being freed under the lock.
    }
  }

  Ledger& ledger_;
  Deferred& deferred_;
  std::multimap<size_t, DevBlock> cache_;
  size_t cached_{0};
  std::mutex pool_mu_;
  std::vector<cudaMemPool_t> pools_;
  std::vector<bool> pool_ready_;
};

class CudaAllocator : public allocator::Allocator {
 public:
  CudaAllocator()
      : ledger_(allocator::physical_memory() + total_device_memory(),
                allocator::physical_memory() + total_device_memory()),
        host_(ledger_,
              [this] {
                device_.release_cache_locked(device_.cached_locked());
                deferred_.add_locked(pinned_.detach_locked(), -1, /*pinned_host=*/true);
              }),
        device_(ledger_, deferred_),
        pinned_(ledger_, kStagingCapacity) {}

  allocator::Buffer malloc(size_t size) override {
    FlushDeferred flush(*this);
    auto* r = new CudaBuffer();
    r->size = size;
    try {
      r->host = host_.malloc(size);
    } catch (...) {
      delete r;
      throw;
    }
    r->host_valid = true;
    return allocator::Buffer(r);
  }

  void free(allocator::Buffer b) override {
    CudaBuffer* r = rec(b);
    if (!r) return;
    FlushDeferred flush(*this);
    if (r->host) host_.free(r->host);
    if (r->device) device_.free(block_of(r), r->used);
    delete r;
  }

  size_t size(allocator::Buffer b) const override { return rec(b) ? rec(b)->size : 0; }

  // ---- device side ----

  static DevBlock block_of(const CudaBuffer* r) {
    return DevBlock{r->device, r->device_cap, r->home_slot, r->device_id, r->cache_accounted};
  }

  /// `size` bytes of device memory in `enc`'s stream order. Throws "[malloc] Out of memory ..."
  /// past the memory limit, or when the device has no room even after every cache has been
  /// emptied. `as_cache` (a library's workspace): counted as cache memory, made only while the
  /// cache limit leaves room and the device has it; an empty block otherwise, never a throw for
  /// want of memory.
  DevBlock device_malloc(size_t size, Encoder& enc, bool as_cache = false) {
    FlushDeferred flush(*this);
    const size_t cap = bucket_size(size);
    DevBlock b;
    size_t prev_peak = 0;
    {
      std::lock_guard<std::mutex> lk(ledger_.mu);
      b = device_.take_cached_locked(cap, enc.device());
      if (b.ptr) {
        if (as_cache) {
          ledger_.cached += b.cap;  // leaves the free blocks, stays cache memory
        } else {
          ledger_.add_active(b.cap);
        }
      } else if (as_cache) {
        if (ledger_.cached + cap > ledger_.cache_limit) return {};
        ledger_.cached += cap;
      } else {
        if (ledger_.active + cap > ledger_.memory_limit) {
          release_all_locked();
          if (ledger_.active + cap > ledger_.memory_limit) throw ledger_.over_limit(size, "GPU");
        }
        prev_peak = ledger_.peak;
        ledger_.add_active(cap);  // taken now; given back below if the allocation fails
      }
    }
    if (b.ptr) {
      b.as_cache = as_cache;
      // A block last used in another stream's order: that stream's work on it comes first.
      if (b.home != enc.slot()) {
        try {
          if (Encoder* home = encoder_for_slot(b.home)) stream_wait(enc, *home);
        } catch (...) {
          device_.free(b, 0);  // back to the cache, still in its home stream's order
          throw;
        }
        b.home = enc.slot();
      }
      return b;
    }
    b.cap = cap;
    b.home = enc.slot();
    b.device = enc.device();
    b.as_cache = as_cache;
    // Gives the reservation back (ledger held).
    auto unreserve_locked = [&] {
      if (as_cache) {
        ledger_.cached -= cap;
      } else {
        ledger_.active -= cap;
        // A failed reservation must not show in the peak.
        if (ledger_.peak > prev_peak) ledger_.peak = std::max(prev_peak, ledger_.active);
      }
    };
    cudaError_t err;
    try {
      err = device_.raw_alloc(&b.ptr, cap, enc);
      if (err == cudaErrorMemoryAllocation && !as_cache) {
        (void)cudaGetLastError();
        relieve_shortage(enc.device());
        err = device_.raw_alloc(&b.ptr, cap, enc);
      }
    } catch (...) {  // the device's pool could not be made
      std::lock_guard<std::mutex> lk(ledger_.mu);
      unreserve_locked();
      throw;
    }
    if (err == cudaSuccess) return b;
    (void)cudaGetLastError();
    b.ptr = nullptr;
    size_t free_b = 0, total_b = 0;
    if (err == cudaErrorMemoryAllocation && !as_cache) {
      DeviceScope scope(enc.device());
      if (cudaMemGetInfo(&free_b, &total_b) != cudaSuccess) (void)cudaGetLastError();
    }
    std::lock_guard<std::mutex> lk(ledger_.mu);
    unreserve_locked();
    if (as_cache && err == cudaErrorMemoryAllocation) return {};
    if (err != cudaErrorMemoryAllocation) {
      throw std::runtime_error(std::string("[malloc] Allocating ") + std::to_string(size) +
                               " bytes on GPU " + std::to_string(enc.device()) + " failed: " +
                               cudaGetErrorName(err) + " (" + cudaGetErrorString(err) + ").");
    }
    throw std::runtime_error(
        "[malloc] Out of memory: requested " + std::to_string(size) +
        " bytes of GPU memory on GPU " + std::to_string(enc.device()) + ", which has " +
        std::to_string(free_b) + " of " + std::to_string(total_b) +
        " bytes free after the caches were emptied; " + std::to_string(ledger_.active) +
        " bytes active, the memory limit is " + std::to_string(ledger_.memory_limit) + " bytes.");
  }
  void device_free(const DevBlock& b, uint64_t used) {
    FlushDeferred flush(*this);
    device_.free(b, used);
  }
  void* host_malloc(size_t size) {
    FlushDeferred flush(*this);
    return host_.malloc(size);
  }

  // ---- statistics and limits (memory.h) ----
  Ledger& ledger() { return ledger_; }
  /// Empties the caches; the pinned staging ring goes too when no copy uses it. Ledger held.
  void release_all_locked() {
    host_.release_cache_locked(host_.cached_locked());
    device_.release_cache_locked(device_.cached_locked());
    deferred_.add_locked(pinned_.detach_locked(), -1, /*pinned_host=*/true);
  }
  /// Brings the cache down to `target` bytes if it can. Ledger held.
  void trim_locked(size_t target) {
    // Host first (cheap to get back), then device, then the staging ring (if idle).
    if (ledger_.cached > target) host_.release_cache_locked(ledger_.cached - target);
    if (ledger_.cached > target) device_.release_cache_locked(ledger_.cached - target);
    if (ledger_.cached > target) {
      deferred_.add_locked(pinned_.detach_locked(), -1, /*pinned_host=*/true);
    }
  }
  void trim_pools() { device_.trim_pools(); }
  PinnedStaging& pinned() { return pinned_; }
  /// Frees what was set aside while the ledger was held. Ledger NOT held.
  void flush_deferred() noexcept { deferred_.flush(ledger_.mu); }

 private:
  struct FlushDeferred {
    CudaAllocator& a;
    explicit FlushDeferred(CudaAllocator& a_) : a(a_) {}
    ~FlushDeferred() { a.flush_deferred(); }
  };

  // The device has no room for a block: every cache gives its memory back (libraries' workspaces
  // first, so that they reach the device cache that is emptied next), the frees queued on the
  // device's streams complete, and the pool returns what it holds. Runs only when an allocation
  // has failed; no allocator lock held (the caller may hold a buffer's lock).
  void relieve_shortage(int device) noexcept {
    release_cache_owners();
    {
      std::lock_guard<std::mutex> lk(ledger_.mu);
      release_all_locked();
    }
    flush_deferred();
    try {
      DeviceScope scope(device);
      (void)cudaDeviceSynchronize();
    } catch (...) {
    }
    (void)cudaGetLastError();
    device_.trim_pool(device);
  }

  Ledger ledger_;
  Deferred deferred_;
  HostAllocator host_;
  DeviceAllocator device_;
  PinnedStaging pinned_;
};

CudaAllocator& cuda_allocator() {
  // Never destroyed: arrays in static storage may release buffers during exit.
  static CudaAllocator* a = new CudaAllocator();
  return *a;
}

}  // namespace

void register_cache_owner(void (*release)()) {
  auto& o = cache_owners();
  std::lock_guard<std::mutex> lk(o.mu);
  const int n = o.count.load(std::memory_order_relaxed);
  for (int i = 0; i < n; ++i) {
    if (o.fns[i].load(std::memory_order_relaxed) == release) return;
  }
  if (n >= CacheOwners::kMax) {
    throw std::logic_error("[cuda] Too many cache owners registered.");
  }
  o.fns[n].store(release, std::memory_order_release);
  o.count.store(n + 1, std::memory_order_release);
}

PinnedStaging& pinned_staging() {
  return cuda_allocator().pinned();
}

namespace {

// ---- residency (record mutex held) ----

// Gives the device copy back. The host copy must be current.
void release_device_locked(CudaBuffer* r) {
  if (r->device) cuda_allocator().device_free(CudaAllocator::block_of(r), r->used);
  r->device = nullptr;
  r->device_cap = 0;
  r->device_id = -1;
  r->home_slot = r->writer_slot = -1;
  r->used = r->synced = 0;
  r->device_valid = false;
  r->cache_accounted = false;
}

// Makes the host copy current: copies device->host after the last write, and waits for it.
void ensure_host_locked(CudaBuffer* r) {
  if (r->host_valid || r->size == 0) {
    r->host_valid = true;
    return;
  }
  if (!r->device_valid) {
    throw std::logic_error("[cuda] Buffer with neither a host nor a device copy.");
  }
  if (!r->host) r->host = cuda_allocator().host_malloc(r->size);
  Encoder* w = encoder_for_slot(r->writer_slot);
  if (!w) throw std::logic_error("[cuda] Buffer written by an unknown stream.");
  DeviceScope scope(w->device());
  copy_to_host(r->host, r->device, r->size, *w);
  r->host_valid = true;
}

// Makes the device copy current for work queued next on `enc`'s stream.
void ensure_device_locked(CudaBuffer* r, Encoder& enc) {
  if (r->size == 0) return;
  const uint64_t bit = slot_bit(enc.slot());
  if (r->device && r->device_id != enc.device()) {
    // Another GPU holds it: bring it over through the host.
    ensure_host_locked(r);
    release_device_locked(r);
  }
  if (!r->device_valid) {
    if (!r->host_valid) {
      throw std::logic_error("[cuda] Buffer with neither a host nor a device copy.");
    }
    if (r->device) release_device_locked(r);
    DevBlock b = cuda_allocator().device_malloc(r->size, enc);
    r->device = b.ptr;
    r->device_cap = b.cap;
    r->device_id = b.device;
    r->home_slot = b.home;
    copy_to_device(r->device, r->host, r->size, enc);
    r->device_valid = true;
    r->writer_slot = enc.slot();
    r->synced = bit;
    r->used = bit;
    return;
  }
  // Slots from 63 on share a bit, so they cannot trust it.
  if (r->writer_slot != enc.slot() && (enc.slot() >= 63 || !(r->synced & bit))) {
    Encoder* w = encoder_for_slot(r->writer_slot);
    if (w) stream_wait(enc, *w);
    r->synced |= bit;
  }
  r->used |= bit;
}

}  // namespace

// ---------------- Encoder: residency of kernel inputs and outputs ----------------

void* Encoder::input(const array& a) {
  if (a.size() == 0) return nullptr;
  CudaBuffer* r = rec(a.buffer());
  std::lock_guard<std::mutex> lk(r->mu);
  ensure_device_locked(r, *this);
  return static_cast<char*>(r->device) + a.offset();
}

void* Encoder::output(array& out, size_t data_size, const Strides& strides, array::Flags flags) {
  size_t nbytes = data_size * out.itemsize();
  auto* r = new CudaBuffer();
  r->size = nbytes;
  if (nbytes > 0) {
    DevBlock b;
    try {
      b = cuda_allocator().device_malloc(nbytes, *this);
    } catch (...) {
      delete r;
      throw;
    }
    r->device = b.ptr;
    r->device_cap = b.cap;
    r->device_id = b.device;
    r->home_slot = b.home;
    r->writer_slot = slot_;
    r->used = r->synced = slot_bit(slot_);
    r->device_valid = true;
  } else {
    r->host_valid = r->device_valid = false;
  }
  out.set_data(allocator::Buffer(r), data_size, strides, flags);
  return r->device;
}

void* Encoder::output(array& out) {
  size_t n = out.size();
  bool col = out.ndim() <= 1 || n <= 1;
  if (!col) {
    int big = 0;
    for (auto d : out.shape())
      big += d > 1;
    col = big <= 1;
  }
  return output(out, n, row_major_strides(out.shape()), array::Flags{true, true, col});
}

bool Encoder::donate(const array& in, array& out) {
  if (!in.is_donatable() || in.itemsize() != out.itemsize() || in.size() == 0) return false;
  CudaBuffer* r = rec(in.buffer());
  std::lock_guard<std::mutex> lk(r->mu);
  const uint64_t bit = slot_bit(slot_);
  if (!r->device_valid || r->device_id != device_ || slot_ >= 63 || (r->used & ~bit) != 0) {
    return false;
  }
  out.copy_shared_buffer(in);
  r->host_valid = false;
  r->writer_slot = slot_;
  r->synced = r->used = bit;
  return true;
}

array Encoder::temporary(const Shape& shape, Dtype dtype) {
  array t(shape, dtype, nullptr, {});
  t.detach();
  output(t);
  t.set_status(array::Status::evaluated);
  return t;
}

std::optional<array> Encoder::library_workspace(size_t bytes) {
  if (bytes == 0 || bytes > static_cast<size_t>(INT32_MAX)) {
    throw std::invalid_argument("[Encoder::library_workspace] Invalid size " +
                                std::to_string(bytes) + " bytes.");
  }
  DevBlock b = cuda_allocator().device_malloc(bytes, *this, /*as_cache=*/true);
  if (!b.ptr) return std::nullopt;
  CudaBuffer* r = nullptr;
  try {
    r = new CudaBuffer();
  } catch (...) {
    cuda_allocator().device_free(b, slot_bit(slot_));
    throw;
  }
  r->size = bytes;
  r->device = b.ptr;
  r->device_cap = b.cap;
  r->device_id = b.device;
  r->home_slot = b.home;
  r->writer_slot = slot_;
  r->used = r->synced = slot_bit(slot_);
  r->device_valid = true;
  r->cache_accounted = true;
  array t(Shape{static_cast<int32_t>(bytes)}, uint8, nullptr, {});
  t.detach();
  t.set_data(allocator::Buffer(r));
  t.set_status(array::Status::evaluated);
  return t;
}

}  // namespace tandem::cuda

// ---------------- the core's hook ----------------

namespace tandem::gpu {

void prepare_host(const array& a) {
  if (a.buffer_size() > 0) {
    auto* r = cuda::rec(a.buffer());
    std::lock_guard<std::mutex> lk(r->mu);
    if (r->device) {
      cuda::ensure_host_locked(r);
      // An array held only by its graph may be donated to a CPU kernel's output and overwritten
      // on the host (and a user holding the only handle may write through data()): drop the
      // device copy so that a later GPU use uploads the new values.
      if (a.is_donatable()) cuda::release_device_locked(r);
    }
  }
  if (a.status() == array::Status::evaluated) a.set_status(array::Status::available);
}

}  // namespace tandem::gpu

// ---------------- allocator.h and memory.h ----------------

namespace tandem {
namespace allocator {

void* Buffer::raw_ptr() const {
  auto* r = static_cast<cuda::CudaBuffer*>(ptr_);
  if (!r) return nullptr;
  std::lock_guard<std::mutex> lk(r->mu);
  // A device-resident record gets host memory on first request; its contents are current only
  // after gpu::prepare_host (the scheduler and host reads call it first).
  if (!r->host) r->host = cuda::cuda_allocator().host_malloc(r->size);
  return r->host;
}

Allocator& allocator() {
  return cuda::cuda_allocator();
}
Buffer malloc(size_t size) {
  return cuda::cuda_allocator().malloc(size);
}
void free(Buffer buffer) {
  cuda::cuda_allocator().free(buffer);
}

}  // namespace allocator

namespace {
allocator::Ledger& ledger() {
  return cuda::cuda_allocator().ledger();
}
}  // namespace

size_t get_active_memory() {
  std::lock_guard<std::mutex> lk(ledger().mu);
  return ledger().active;
}
size_t get_peak_memory() {
  std::lock_guard<std::mutex> lk(ledger().mu);
  return ledger().peak;
}
void reset_peak_memory() {
  std::lock_guard<std::mutex> lk(ledger().mu);
  ledger().peak = ledger().active;
}
size_t get_cache_memory() {
  std::lock_guard<std::mutex> lk(ledger().mu);
  return ledger().cached;
}
size_t set_memory_limit(size_t limit) {
  std::lock_guard<std::mutex> lk(ledger().mu);
  return std::exchange(ledger().memory_limit, limit);
}
size_t get_memory_limit() {
  std::lock_guard<std::mutex> lk(ledger().mu);
  return ledger().memory_limit;
}
size_t set_cache_limit(size_t limit) {
  auto& a = cuda::cuda_allocator();
  size_t old;
  bool over;
  {
    std::lock_guard<std::mutex> lk(ledger().mu);
    old = std::exchange(ledger().cache_limit, limit);
    a.trim_locked(limit);
    over = ledger().cached > limit;
  }
  if (over) {
    // Libraries' workspaces count as cache too: they go (into the device cache or, beyond the
    // new limit, back to the pool), then the caches are trimmed again.
    cuda::release_cache_owners();
    std::lock_guard<std::mutex> lk(ledger().mu);
    a.trim_locked(limit);
  }
  a.flush_deferred();
  return old;
}
void clear_cache() {
  auto& a = cuda::cuda_allocator();
  // Libraries give their workspaces back to the device cache, which is emptied below.
  cuda::release_cache_owners();
  // Copies still using the pinned staging ring finish first, so that it can go too.
  a.pinned().wait_idle();
  {
    std::lock_guard<std::mutex> lk(ledger().mu);
    a.release_all_locked();
  }
  a.flush_deferred();  // the ring's cudaFreeHost, with no allocator lock held
  a.trim_pools();
}

}  // namespace tandem
