// Copyright © 2026 Tandem authors.
// Pinned host staging for copies between host and device memory (DESIGN §4).
//
// Host copies of buffers are ordinary pageable blocks of the caching host allocator, shared with
// the CPU kernels and reused the moment a buffer is freed. Copies from or to pageable memory run
// at a fraction of the bus's speed (the driver stages them itself, a piece at a time) and make
// cudaMemcpyAsync wait for the copy. So large copies go through a ring of pinned memory instead:
//  - host -> device: each piece (kStagingChunk bytes) is copied by the host into a span of the
//    ring, then cudaMemcpyAsync'd from there on the consuming stream; the span is reused only
//    once an event recorded after that copy has completed. The host never waits while the ring
//    has room, and the source buffer may be freed and reused as soon as the call returns.
//  - device -> host: pieces are copied into spans on the writer's stream, a few in flight, and
//    the host moves each into the destination as soon as its event has completed (it has to
//    wait for the data anyway: it is about to read it).
// The host-side copies run on a few threads of their own (host_copy), not the CPU kernels' pool.
//
// The ring is one cudaHostAlloc'd region of kStagingCapacity bytes, made on first use and only
// when a GPU exists (callers reach it only from a buffer's device copy). It is counted as cache
// memory in the ledger (memory.h: get_cache_memory), is created only while the cache limit leaves
// room for it, and is freed by clear_cache / set_cache_limit / an allocation that empties the
// caches, once no copy uses it. Copies below staging_min_bytes() go straight from/to pageable
// memory (the driver inlines small host->device copies, and a small device->host copy costs the
// same either way). TANDEM_PINNED_STAGING=0 turns staging off (everything pageable, as before).
//
// Other host<->device paths use the same ring (Load::eval_gpu, io.cpp): acquire a span, fill it,
// cudaMemcpyAsync, release it with the encoder of the copy's stream.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "backend/cuda/staging_ring.h"

namespace tandem::allocator {
struct Ledger;
}

namespace tandem::cuda {

class Encoder;

/// Bytes per staged piece of a copy.
inline constexpr size_t kStagingChunk = size_t(8) << 20;
/// Bytes of pinned memory in the ring.
inline constexpr size_t kStagingCapacity = size_t(64) << 20;
/// Default of staging_min_bytes().
inline constexpr size_t kStagingMinDefault = size_t(256) << 10;

/// The ring of pinned memory. Thread safe; its state is guarded by the ledger's mutex (the one
/// lock of all the allocators, host_allocator.h), and it never waits while holding it.
class PinnedStaging {
 public:
  struct Span {
    char* ptr{nullptr};
    size_t size{0};
    uint64_t seq{0};
    explicit operator bool() const { return ptr != nullptr; }
  };

  PinnedStaging(allocator::Ledger& ledger, size_t capacity);
  PinnedStaging(const PinnedStaging&) = delete;
  PinnedStaging& operator=(const PinnedStaging&) = delete;

  /// `n` (1 .. capacity) bytes of pinned memory that no queued copy uses any more, given in FIFO
  /// order. Makes the ring on first use. With `wait`, when the ring is full of copies in flight,
  /// blocks the host until the oldest one has completed. Returns an empty span when none can be
  /// had (no ring: the cache limit or the system refused it; the oldest span is still being
  /// filled or emptied by another thread; no room and !wait): the caller then copies through
  /// pageable memory. The caller must not hold the ledger's mutex.
  Span acquire(size_t n, bool wait);
  /// Gives a span back: reusable once the work queued so far on `enc`'s stream has completed,
  /// or at once when `enc` is null (no queued copy reads or writes it any more).
  void release(const Span& s, Encoder* enc);
  /// Blocks until no queued copy uses the ring (spans being filled by other threads excepted).
  /// The caller must not hold the ledger's mutex.
  void wait_idle();
  /// Gives the ring up when no span is in use (queries events, never waits) and takes its bytes
  /// off the ledger's cache. Ledger's mutex held. Returns the pinned memory, which the caller
  /// frees with cudaFreeHost once it has dropped the mutex (cudaFreeHost waits for the device;
  /// every allocation in the process would wait with it), or nullptr when the ring stays.
  char* detach_locked() noexcept;
  /// Pinned bytes held (0 or the capacity). Ledger's mutex held.
  size_t bytes_locked() const { return base_ ? ring_.capacity() : 0; }

 private:
  struct State {
    cudaEvent_t ev{nullptr};  // recorded after the last copy that uses the span
    int ev_device{-1};
    bool taken{true};  // handed out and not released yet
    int waiters{0};    // threads waiting on ev (the span stays until they are done)
  };
  void retire_locked() noexcept;

  allocator::Ledger& ledger_;
  StagingRing<State> ring_;
  char* base_{nullptr};
  bool creating_{false};
  bool failed_{false};  // cudaHostAlloc failed: not tried again until the caches are emptied
};

/// The process's staging ring (owned by the CUDA allocator, allocator.cpp).
PinnedStaging& pinned_staging();

/// Whether copies are staged: a GPU exists and TANDEM_PINNED_STAGING is not "0".
bool staging_enabled();
/// Copies of at least this many bytes are staged (default kStagingMinDefault).
size_t staging_min_bytes();
/// Sets staging_min_bytes() (tests use 1 to stage every copy); returns the previous value.
size_t set_staging_min_bytes(size_t bytes);

/// Copies n bytes from host to device memory in `enc`'s stream order. `src` may be freed or
/// overwritten as soon as this returns. The host waits only when the ring is full.
void copy_to_device(void* dst, const void* src, size_t n, Encoder& enc);
/// Copies n bytes from device to host memory after the work queued so far on `enc`'s stream;
/// returns once `dst` holds them. The device enc belongs to must be current.
void copy_to_host(void* dst, const void* src, size_t n, Encoder& enc);

/// memcpy on a few threads of its own (large copies between pinned and pageable host memory
/// run at a fraction of the memory's bandwidth on one core). Never touches the CPU kernels'
/// thread pool, whose threads may wait on buffer locks held by the caller.
void host_copy(void* dst, const void* src, size_t n);

}  // namespace tandem::cuda
