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
#include <cuda_runtime_api.h>

#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>

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
};

inline CudaBuffer* rec(const allocator::Buffer& b) {
  return static_cast<CudaBuffer*>(b.ptr());
}

struct DevBlock {
  void* ptr{nullptr};
  size_t cap{0};
  int home{-1};
  int device{-1};
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

class DeviceAllocator {
 public:
  explicit DeviceAllocator(Ledger& ledger) : ledger_(ledger) {}

  /// Caller must not hold the ledger's mutex. `release_all` empties every cache (ledger held).
  template <typename ReleaseAll>
  DevBlock malloc(size_t size, Encoder& enc, ReleaseAll&& release_all) {
    size_t cap = bucket_size(size);
    DevBlock b;
    {
      std::lock_guard<std::mutex> lk(ledger_.mu);
      for (auto it = cache_.lower_bound(cap); it != cache_.end() && it->first <= 2 * cap; ++it) {
        if (it->second.device == enc.device()) {
          b = it->second;
          ledger_.cached -= b.cap;
          cached_ -= b.cap;
          cache_.erase(it);
          ledger_.add_active(b.cap);
          break;
        }
      }
      if (!b.ptr) {
        if (ledger_.active + cap > ledger_.memory_limit) {
          release_all();
          if (ledger_.active + cap > ledger_.memory_limit) throw ledger_.over_limit(size, "GPU");
        }
        ledger_.add_active(cap);  // taken now; given back below if the allocation fails
      }
    }
    if (b.ptr) {
      // A block last used in another stream's order: wait for that stream first.
      if (b.home != enc.slot()) {
        Encoder* home = encoder_for_slot(b.home);
        if (home) stream_wait(enc, *home);
        b.home = enc.slot();
      }
      return b;
    }
    b.cap = cap;
    b.home = enc.slot();
    b.device = enc.device();
    cudaError_t err = raw_alloc(&b.ptr, cap, enc);
    if (err == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();
      {
        std::lock_guard<std::mutex> lk(ledger_.mu);
        release_all();
      }
      // Blocks freed in stream order return to the pool once their streams reach the frees.
      (void)cudaDeviceSynchronize();
      if (pool_supported(enc.device())) (void)cudaMemPoolTrimTo(pool(enc.device()), 0);
      (void)cudaGetLastError();
      err = raw_alloc(&b.ptr, cap, enc);
    }
    if (err != cudaSuccess) {
      (void)cudaGetLastError();
      size_t free_b = 0, total_b = 0;
      (void)cudaMemGetInfo(&free_b, &total_b);
      (void)cudaGetLastError();
      std::lock_guard<std::mutex> lk(ledger_.mu);
      ledger_.active -= cap;
      throw std::runtime_error(
          "[malloc] Out of GPU memory: requested " + std::to_string(size) + " bytes on GPU " +
          std::to_string(enc.device()) + " (" + cudaGetErrorString(err) + "; " +
          std::to_string(free_b) + " of " + std::to_string(total_b) + " bytes free); " +
          std::to_string(ledger_.active) + " bytes active, the memory limit is " +
          std::to_string(ledger_.memory_limit) + " bytes.");
    }
    return b;
  }

  /// Gives a block back. `used`: the slots whose streams used it. Never throws (it runs in
  /// destructors, also during exit when the CUDA runtime may be gone).
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
    ledger_.active -= blk.cap;
    if (ledger_.cached + blk.cap <= ledger_.cache_limit) {
      cache_.emplace(blk.cap, blk);
      cached_ += blk.cap;
      ledger_.cached += blk.cap;
    } else {
      raw_free(blk);
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
      raw_free(it->second);
      cache_.erase(it);
    }
    return freed;
  }
  size_t cached_locked() const { return cached_; }

  /// Returns memory that the pools hold but nobody uses to the system (after clear_cache).
  void trim_pools() noexcept {
    for (size_t d = 0; d < pools_.size(); ++d) {
      if (pools_[d]) (void)cudaMemPoolTrimTo(pools_[d], 0);
    }
    (void)cudaGetLastError();
  }

 private:
  bool pool_supported(int device) {
    std::lock_guard<std::mutex> lk(pool_mu_);
    ensure_pool_locked(device);
    return pools_[device] != nullptr;
  }
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

  cudaError_t raw_alloc(void** ptr, size_t cap, Encoder& enc) {
    cudaMemPool_t p = pool(enc.device());
    if (p) return cudaMallocFromPoolAsync(ptr, cap, p, enc.stream());
    return cudaMalloc(ptr, cap);  // no stream-ordered pools on this device
  }

  // Ledger held (or the caller otherwise owns `b`). Never throws.
  void raw_free(const DevBlock& b) noexcept {
    Encoder* home = encoder_for_slot(b.home);
    bool pooled = false;
    {
      std::lock_guard<std::mutex> lk(pool_mu_);
      pooled = static_cast<size_t>(b.device) < pools_.size() && pools_[b.device];
    }
    try {
      DeviceScope scope(b.device);
      if (pooled && home) {
        (void)cudaFreeAsync(b.ptr, home->stream());
      } else {
        (void)cudaFree(b.ptr);  // synchronises with the device: safe for blocks still in use
      }
    } catch (...) {
    }
    (void)cudaGetLastError();
  }

  Ledger& ledger_;
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
                pinned_.release_locked();
              }),
        device_(ledger_),
        pinned_(ledger_, kStagingCapacity) {}

  allocator::Buffer malloc(size_t size) override {
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
    if (r->host) host_.free(r->host);
    if (r->device)
      device_.free(DevBlock{r->device, r->device_cap, r->home_slot, r->device_id}, r->used);
    delete r;
  }

  size_t size(allocator::Buffer b) const override { return rec(b) ? rec(b)->size : 0; }

  // ---- device side ----

  DevBlock device_malloc(size_t size, Encoder& enc) {
    return device_.malloc(size, enc, [this] { release_all_locked(); });
  }
  void device_free(const DevBlock& b, uint64_t used) { device_.free(b, used); }
  void* host_malloc(size_t size) { return host_.malloc(size); }

  // ---- statistics and limits (memory.h) ----
  Ledger& ledger() { return ledger_; }
  /// Empties the caches; the pinned staging ring goes too when no copy uses it.
  void release_all_locked() {
    host_.release_cache_locked(host_.cached_locked());
    device_.release_cache_locked(device_.cached_locked());
    pinned_.release_locked();
  }
  void trim_locked(size_t target) {
    // Host first (cheap to get back), then device, then the staging ring (if idle).
    if (ledger_.cached > target) host_.release_cache_locked(ledger_.cached - target);
    if (ledger_.cached > target) device_.release_cache_locked(ledger_.cached - target);
    if (ledger_.cached > target) pinned_.release_locked();
  }
  void trim_pools() { device_.trim_pools(); }
  PinnedStaging& pinned() { return pinned_; }

 private:
  Ledger ledger_;
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

PinnedStaging& pinned_staging() {
  return cuda_allocator().pinned();
}

namespace {

// ---- residency (record mutex held) ----

// Gives the device copy back. The host copy must be current.
void release_device_locked(CudaBuffer* r) {
  if (r->device) {
    cuda_allocator().device_free(DevBlock{r->device, r->device_cap, r->home_slot, r->device_id},
                                 r->used);
  }
  r->device = nullptr;
  r->device_cap = 0;
  r->device_id = -1;
  r->home_slot = r->writer_slot = -1;
  r->used = r->synced = 0;
  r->device_valid = false;
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
  std::lock_guard<std::mutex> lk(ledger().mu);
  size_t old = std::exchange(ledger().cache_limit, limit);
  cuda::cuda_allocator().trim_locked(limit);
  return old;
}
void clear_cache() {
  // Copies still using the pinned staging ring finish first, so that it can go too.
  cuda::cuda_allocator().pinned().wait_idle();
  {
    std::lock_guard<std::mutex> lk(ledger().mu);
    cuda::cuda_allocator().release_all_locked();
  }
  cuda::cuda_allocator().trim_pools();
}

}  // namespace tandem
