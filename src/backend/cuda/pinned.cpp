// Copyright © 2026 Tandem authors.
// Pinned host staging (pinned.h): the ring of pinned memory, the staged copies, and the threads
// that copy between pageable and pinned host memory.
#include "backend/cuda/pinned.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "backend/cpu/host_allocator.h"
#include "backend/cpu/threading.h"
#include "backend/cuda/runtime.h"
#include "core/backend_hooks.h"

namespace tandem::cuda {

// ---------------- the ring ----------------

PinnedStaging::PinnedStaging(allocator::Ledger& ledger, size_t capacity)
    : ledger_(ledger), ring_(capacity) {}

void PinnedStaging::retire_locked() noexcept {
  while (!ring_.empty()) {
    auto& f = ring_.front();
    if (f.data.taken || f.data.waiters > 0) return;
    if (f.data.ev) {
      const cudaError_t st = cudaEventQuery(f.data.ev);
      if (st != cudaSuccess) {
        // Not done yet; or an error, and then nobody can tell whether the copy still runs: the
        // span stays (staging falls back to pageable copies once the ring is full).
        (void)cudaGetLastError();
        return;
      }
      release_event(f.data.ev, f.data.ev_device);
    }
    ring_.pop_front();
  }
}

PinnedStaging::Span PinnedStaging::acquire(size_t n, bool wait) {
  if (n == 0 || n > ring_.capacity()) return {};
  std::unique_lock<std::mutex> lk(ledger_.mu);
  if (!base_) {
    // The ring is cache memory: made only while the cache limit leaves room for it.
    if (creating_ || failed_ || ledger_.cached + ring_.capacity() > ledger_.cache_limit) return {};
    creating_ = true;
    lk.unlock();  // pinning tens of MiB takes milliseconds: not under the allocators' lock
    void* p = nullptr;
    const cudaError_t err = cudaHostAlloc(&p, ring_.capacity(), cudaHostAllocPortable);
    if (err != cudaSuccess) (void)cudaGetLastError();  // not sticky: go on with pageable copies
    lk.lock();
    creating_ = false;
    if (err != cudaSuccess) {
      failed_ = true;
      return {};
    }
    base_ = static_cast<char*>(p);
    ledger_.cached += ring_.capacity();
  }
  while (true) {
    retire_locked();
    const size_t off = ring_.find(n);
    if (off != decltype(ring_)::npos) {
      auto& s = ring_.push(off, n, State{});
      return Span{base_ + off, n, s.seq};
    }
    // No room. Wait for the oldest span's copy, unless told not to or another thread is still
    // filling or emptying it (its owner may be waiting for this very thread).
    if (!wait || ring_.empty()) return {};
    auto& f = ring_.front();
    if (f.data.taken || !f.data.ev) return {};
    ++f.data.waiters;  // keeps the span, and so its event, from being retired meanwhile
    const cudaEvent_t ev = f.data.ev;
    const uint64_t seq = f.seq;
    lk.unlock();
    const cudaError_t err = cudaEventSynchronize(ev);
    lk.lock();
    if (auto* s = ring_.at(seq)) --s->data.waiters;
    if (err != cudaSuccess) {
      (void)cudaGetLastError();
      lk.unlock();
      throw_cuda_error(err, "cudaEventSynchronize", __FILE__, __LINE__);
    }
  }
}

void PinnedStaging::release(const Span& s, Encoder* enc) {
  if (!s) return;
  cudaEvent_t ev = nullptr;
  int device = -1;
  cudaError_t err = cudaSuccess;
  if (enc) {
    device = enc->device();
    // When this throws, a queued copy may still use the span: it stays taken for good (the ring
    // then fills up and copies go through pageable memory).
    ev = acquire_event(device);
    DeviceScope scope(device);
    err = cudaEventRecord(ev, enc->stream());
    if (err != cudaSuccess) {
      (void)cudaGetLastError();
      release_event(ev, device);
      ev = nullptr;
    }
  }
  {
    std::lock_guard<std::mutex> lk(ledger_.mu);
    auto* slot = ring_.at(s.seq);
    if (slot && err == cudaSuccess) {
      slot->data.ev = ev;
      slot->data.ev_device = device;
      slot->data.taken = false;
    }
    // On a failed record the span stays taken: a queued copy may still use it.
  }
  if (err != cudaSuccess) throw_cuda_error(err, "cudaEventRecord", __FILE__, __LINE__);
}

void PinnedStaging::wait_idle() {
  std::unique_lock<std::mutex> lk(ledger_.mu);
  while (true) {
    retire_locked();
    if (ring_.empty()) return;
    auto& f = ring_.front();
    if (f.data.taken || !f.data.ev) return;  // being filled or emptied by another thread
    ++f.data.waiters;
    const cudaEvent_t ev = f.data.ev;
    const uint64_t seq = f.seq;
    lk.unlock();
    const cudaError_t err = cudaEventSynchronize(ev);
    if (err != cudaSuccess) (void)cudaGetLastError();
    lk.lock();
    if (auto* s = ring_.at(seq)) --s->data.waiters;
    if (err != cudaSuccess) return;  // a device error: retire_locked keeps what it cannot judge
  }
}

char* PinnedStaging::detach_locked() noexcept {
  failed_ = false;  // the caches were emptied: pinning may succeed again
  if (!base_ || creating_) return nullptr;
  retire_locked();
  if (!ring_.empty()) return nullptr;
  char* p = base_;
  base_ = nullptr;
  ledger_.cached -= ring_.capacity();
  return p;
}

// ---------------- settings ----------------

namespace {

std::atomic<size_t> g_staging_min{kStagingMinDefault};

bool env_enabled() {
  static const bool on = [] {
    const char* v = std::getenv("TANDEM_PINNED_STAGING");
    return !(v && std::string(v) == "0");
  }();
  return on;
}

}  // namespace

bool staging_enabled() {
  return env_enabled() && gpu::is_available();
}

size_t staging_min_bytes() {
  return g_staging_min.load(std::memory_order_relaxed);
}

size_t set_staging_min_bytes(size_t bytes) {
  return g_staging_min.exchange(std::max<size_t>(bytes, 1));
}

// ---------------- host copies on threads of their own ----------------

namespace {

constexpr size_t kPerThread = size_t(1) << 20;  // at least this many bytes per thread

class CopyThreads {
 public:
  CopyThreads() {
    const int n = std::clamp(cpu::num_threads(), 1, 8);
    for (int i = 1; i < n; ++i)
      workers_.emplace_back([this] { loop(); });
  }

  void copy(char* dst, const char* src, size_t n) {
    const size_t parts = std::min<size_t>(workers_.size() + 1, n / kPerThread);
    if (parts <= 1) {
      std::memcpy(dst, src, n);
      return;
    }
    std::lock_guard<std::mutex> one_at_a_time(run_mu_);
    std::unique_lock<std::mutex> lk(mu_);
    // Parts start on 4 KiB boundaries (whole pages and cache lines per thread).
    const size_t per = ((n + parts - 1) / parts + 4095) & ~size_t(4095);
    job_ = Job{dst, src, n, per};
    parts_ = (n + per - 1) / per;
    next_ = 0;
    done_ = 0;
    cv_.notify_all();
    while (next_ < parts_) {  // the caller takes parts too
      const size_t p = next_++;
      const Job job = job_;
      lk.unlock();
      job.run(p);
      lk.lock();
      ++done_;
    }
    done_cv_.wait(lk, [&] { return done_ == parts_; });
    parts_ = next_ = done_ = 0;
  }

 private:
  struct Job {
    char* dst{nullptr};
    const char* src{nullptr};
    size_t n{0}, per{0};
    void run(size_t p) const {
      const size_t b = p * per;
      if (b < n) std::memcpy(dst + b, src + b, std::min(per, n - b));
    }
  };

  void loop() {
    std::unique_lock<std::mutex> lk(mu_);
    while (true) {
      cv_.wait(lk, [&] { return next_ < parts_; });
      const size_t p = next_++;
      const Job job = job_;
      lk.unlock();
      job.run(p);
      lk.lock();
      if (++done_ == parts_) done_cv_.notify_all();
    }
  }

  std::mutex run_mu_;
  std::mutex mu_;
  std::condition_variable cv_, done_cv_;
  Job job_;
  size_t parts_{0}, next_{0}, done_{0};
  std::vector<std::thread> workers_;
};

CopyThreads& copy_threads() {
  // Never destroyed: the workers block forever; exit does not wait for them.
  static CopyThreads* t = new CopyThreads();
  return *t;
}

}  // namespace

void host_copy(void* dst, const void* src, size_t n) {
  if (n == 0) return;
  if (n < 2 * kPerThread) {
    std::memcpy(dst, src, n);
    return;
  }
  copy_threads().copy(static_cast<char*>(dst), static_cast<const char*>(src), n);
}

// ---------------- staged copies ----------------

void copy_to_device(void* dst, const void* src, size_t n, Encoder& enc) {
  if (n == 0) return;
  char* d = static_cast<char*>(dst);
  const char* s = static_cast<const char*>(src);
  if (n < staging_min_bytes() || !staging_enabled()) {
    // The driver stages pageable memory itself; the call returns once it has taken the bytes.
    TANDEM_CUDA_CHECK(cudaMemcpyAsync(d, s, n, cudaMemcpyHostToDevice, enc.stream()));
    enc.count_op();
    return;
  }
  PinnedStaging& ring = pinned_staging();
  for (size_t off = 0; off < n;) {
    const size_t m = std::min(kStagingChunk, n - off);
    const PinnedStaging::Span sp = ring.acquire(m, /*wait=*/true);
    if (!sp) {
      TANDEM_CUDA_CHECK(cudaMemcpyAsync(d + off, s + off, m, cudaMemcpyHostToDevice, enc.stream()));
    } else {
      try {
        host_copy(sp.ptr, s + off, m);
      } catch (...) {
        ring.release(sp, nullptr);
        throw;
      }
      const cudaError_t err =
          cudaMemcpyAsync(d + off, sp.ptr, m, cudaMemcpyHostToDevice, enc.stream());
      // In stream order even when the copy failed to queue (an event after nothing is harmless).
      ring.release(sp, &enc);
      if (err != cudaSuccess) throw_cuda_error(err, "cudaMemcpyAsync", __FILE__, __LINE__);
    }
    enc.count_op();
    off += m;
  }
}

namespace {

// Pieces of a device->host copy in flight: their spans are taken until the host has moved them.
class Downloads {
 public:
  static constexpr size_t kMaxInFlight = 4;

  Downloads(PinnedStaging& ring, Encoder& enc, char* dst) : ring_(ring), enc_(enc), dst_(dst) {}
  Downloads(const Downloads&) = delete;
  Downloads& operator=(const Downloads&) = delete;

  ~Downloads() {
    // Unwinding after an error: no copy may still write into a span that goes back to the ring.
    for (auto& p : fly_) {
      if (p.ev) {
        (void)cudaEventSynchronize(p.ev);
        release_event(p.ev, enc_.device());
      } else {
        // No event (acquire_event failed after the copy was queued): wait for the whole stream
        // rather than hand back a span a copy may still write, and keep null out of the pool.
        (void)cudaStreamSynchronize(enc_.stream());
      }
      ring_.release(p.span, nullptr);
    }
    (void)cudaGetLastError();
  }

  bool empty() const { return fly_.empty(); }
  size_t size() const { return fly_.size(); }

  /// Queues the copy of src[0, span.size) into the span; dst_ + off receives it later.
  void queue(const PinnedStaging::Span& span, const char* src, size_t off) {
    cudaError_t err =
        cudaMemcpyAsync(span.ptr, src, span.size, cudaMemcpyDeviceToHost, enc_.stream());
    enc_.count_op();
    cudaEvent_t ev = nullptr;
    try {
      ev = acquire_event(enc_.device());
    } catch (...) {
      fly_.push_back({span, off, nullptr});  // the destructor releases the span
      throw;
    }
    if (err == cudaSuccess) err = cudaEventRecord(ev, enc_.stream());
    fly_.push_back({span, off, ev});
    if (err != cudaSuccess)
      throw_cuda_error(err, "cudaMemcpyAsync/cudaEventRecord", __FILE__, __LINE__);
  }

  /// Waits for the oldest piece and moves it into the destination.
  void drain_one() {
    Piece p = fly_.front();
    fly_.pop_front();
    const cudaError_t err = p.ev ? cudaEventSynchronize(p.ev) : cudaSuccess;
    if (p.ev) release_event(p.ev, enc_.device());
    if (err != cudaSuccess) {
      ring_.release(p.span, nullptr);  // the device failed: nothing runs any more
      throw_cuda_error(err, "cudaEventSynchronize", __FILE__, __LINE__);
    }
    try {
      host_copy(dst_ + p.off, p.span.ptr, p.span.size);
    } catch (...) {
      ring_.release(p.span, nullptr);
      throw;
    }
    ring_.release(p.span, nullptr);
  }

 private:
  struct Piece {
    PinnedStaging::Span span;
    size_t off;
    cudaEvent_t ev;
  };
  PinnedStaging& ring_;
  Encoder& enc_;
  char* dst_;
  std::deque<Piece> fly_;
};

// Waits for the work queued so far on enc's stream.
void wait_stream(Encoder& enc) {
  cudaEvent_t ev = acquire_event(enc.device());
  cudaError_t err = cudaEventRecord(ev, enc.stream());
  if (err == cudaSuccess) err = cudaEventSynchronize(ev);
  release_event(ev, enc.device());
  if (err != cudaSuccess) throw_cuda_error(err, "cudaEventSynchronize", __FILE__, __LINE__);
}

}  // namespace

void copy_to_host(void* dst, const void* src, size_t n, Encoder& enc) {
  if (n == 0) return;
  char* d = static_cast<char*>(dst);
  const char* s = static_cast<const char*>(src);
  if (n < staging_min_bytes() || !staging_enabled()) {
    TANDEM_CUDA_CHECK(cudaMemcpyAsync(d, s, n, cudaMemcpyDeviceToHost, enc.stream()));
    enc.count_op();
    wait_stream(enc);
    return;
  }
  PinnedStaging& ring = pinned_staging();
  Downloads fly(ring, enc, d);
  bool pageable = false;
  for (size_t off = 0; off < n;) {
    const size_t m = std::min(kStagingChunk, n - off);
    // Never wait while holding spans of our own: free the oldest of them instead.
    PinnedStaging::Span sp = ring.acquire(m, /*wait=*/fly.empty());
    if (!sp && !fly.empty()) {
      fly.drain_one();
      continue;
    }
    if (!sp) {
      TANDEM_CUDA_CHECK(cudaMemcpyAsync(d + off, s + off, m, cudaMemcpyDeviceToHost, enc.stream()));
      enc.count_op();
      pageable = true;
    } else {
      fly.queue(sp, s + off, off);
      if (fly.size() >= Downloads::kMaxInFlight) fly.drain_one();
    }
    off += m;
  }
  while (!fly.empty())
    fly.drain_one();
  if (pageable) wait_stream(enc);
}

}  // namespace tandem::cuda
