// Copyright © 2026 Tandem authors.
// Device discovery, streams and their encoders, the event pool, error reporting, and the gpu::
// hooks of the core (core/backend_hooks.h) other than prepare_host (allocator.cpp).
#include "backend/cuda/runtime.h"

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include "core/backend_hooks.h"

namespace tandem::cuda {

void throw_cuda_error(cudaError_t err, const char* call, const char* file, int line) {
  throw std::runtime_error(std::string("[CUDA] ") + call + " failed: " + cudaGetErrorName(err) +
                           " (" + cudaGetErrorString(err) + ") at " + file + ":" +
                           std::to_string(line) + ".");
}

namespace {

struct Discovery {
  int count{0};
  std::string reason;
};

const Discovery& discovery() {
  static const Discovery d = [] {
    Discovery r;
    int n = 0;
    // Safe without a driver or a GPU: the call fails (cudaErrorNoDevice,
    // cudaErrorInsufficientDriver, ...) and we report why.
    cudaError_t err = cudaGetDeviceCount(&n);
    if (err != cudaSuccess) {
      (void)cudaGetLastError();  // clear the error so later calls do not see it
      r.reason = std::string("no CUDA device is available (cudaGetDeviceCount: ") +
                 cudaGetErrorString(err) + ").";
    } else if (n <= 0) {
      r.reason = "no CUDA device is available (cudaGetDeviceCount found 0 devices).";
    } else {
      r.count = n;
    }
    return r;
  }();
  return d;
}

// Streams and slots below these numbers are looked up without the lock (every op looks up its
// stream's encoder): entries are set once, before the stream is handed out, and never change.
constexpr int kFastStreams = 1024;
constexpr int kFastSlots = 256;

struct Registry {
  std::mutex mu;
  std::vector<Encoder*> by_stream;  // tandem stream index -> encoder (nullptr: not a GPU stream)
  std::deque<std::unique_ptr<Encoder>> slots;  // slot -> encoder (stable addresses)
  std::atomic<Encoder*> fast_stream[kFastStreams]{};
  std::atomic<Encoder*> fast_slot[kFastSlots]{};
  std::atomic<int> slot_count{0};

  Encoder* by_stream_index(int index) {
    if (index < 0) return nullptr;
    if (index < kFastStreams) return fast_stream[index].load(std::memory_order_acquire);
    std::lock_guard<std::mutex> lk(mu);
    return static_cast<size_t>(index) < by_stream.size() ? by_stream[index] : nullptr;
  }
};

Registry& registry() {
  // Never destroyed: buffers freed during exit still look up their streams.
  static Registry* r = new Registry();
  return *r;
}

struct EventPool {
  std::mutex mu;
  std::vector<std::vector<cudaEvent_t>> free;  // per device
};

EventPool& event_pool() {
  static EventPool* p = new EventPool();
  return *p;
}

thread_local int t_current_device = -1;

}  // namespace

void set_device(int device) {
  if (t_current_device != device) {
    TANDEM_CUDA_CHECK(cudaSetDevice(device));
    t_current_device = device;
  }
}

int current_device() {
  return t_current_device;
}

DeviceScope::~DeviceScope() {
  if (prev_ >= 0 && prev_ != t_current_device) {
    if (cudaSetDevice(prev_) == cudaSuccess) {
      t_current_device = prev_;
    } else {
      (void)cudaGetLastError();
      t_current_device = -1;  // unknown: the next set_device sets it again
    }
  }
}

Encoder& encoder(const Stream& s) {
  Encoder* e = registry().by_stream_index(s.index);
  if (!e) {
    throw std::invalid_argument("[cuda] Stream " + std::to_string(s.index) +
                                " is not a GPU stream of this process.");
  }
  set_device(e->device());
  return *e;
}

Encoder* encoder_for_slot(int slot) {
  auto& r = registry();
  if (slot < 0) return nullptr;
  if (slot < kFastSlots) return r.fast_slot[slot].load(std::memory_order_acquire);
  std::lock_guard<std::mutex> lk(r.mu);
  if (static_cast<size_t>(slot) >= r.slots.size()) return nullptr;
  return r.slots[slot].get();
}

int slot_count() {
  return registry().slot_count.load(std::memory_order_acquire);
}

int multiprocessor_count(int device) {
  constexpr int kCached = 64;
  static std::atomic<int> counts[kCached]{};
  if (device >= 0 && device < kCached) {
    const int n = counts[device].load(std::memory_order_relaxed);
    if (n > 0) return n;
  }
  int n = 0;
  TANDEM_CUDA_CHECK(cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, device));
  if (device >= 0 && device < kCached) counts[device].store(n, std::memory_order_relaxed);
  return n;
}

void set_evaluated(std::vector<array>& outputs) {
  for (auto& o : outputs)
    o.set_status(array::Status::evaluated);
}

void Encoder::check_launch(const char* kernel) {
  count_op();
  cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess) {
    throw std::runtime_error(std::string("[CUDA] Launch of ") + kernel + " failed: " +
                             cudaGetErrorName(err) + " (" + cudaGetErrorString(err) + ").");
  }
}

cudaEvent_t acquire_event(int device) {
  auto& p = event_pool();
  {
    std::lock_guard<std::mutex> lk(p.mu);
    if (static_cast<size_t>(device) < p.free.size() && !p.free[device].empty()) {
      cudaEvent_t ev = p.free[device].back();
      p.free[device].pop_back();
      return ev;
    }
  }
  DeviceScope scope(device);
  cudaEvent_t ev;
  TANDEM_CUDA_CHECK(cudaEventCreateWithFlags(&ev, cudaEventDisableTiming));
  return ev;
}

void release_event(cudaEvent_t ev, int device) {
  auto& p = event_pool();
  std::lock_guard<std::mutex> lk(p.mu);
  if (p.free.size() <= static_cast<size_t>(device)) p.free.resize(device + 1);
  p.free[device].push_back(ev);
}

void stream_wait(Encoder& waiter, Encoder& on) {
  if (&waiter == &on) return;
  DeviceScope scope(on.device());
  cudaEvent_t ev = acquire_event(on.device());
  // An event may be recorded again as soon as the wait is queued: the wait keeps the recording
  // it saw (CUDA runtime documentation of cudaStreamWaitEvent). Waiting on an event of another
  // device is allowed.
  cudaError_t err = cudaEventRecord(ev, on.stream());
  if (err == cudaSuccess) err = cudaStreamWaitEvent(waiter.stream(), ev, 0);
  release_event(ev, on.device());
  if (err != cudaSuccess) {
    throw_cuda_error(err, "cudaEventRecord/cudaStreamWaitEvent", __FILE__, __LINE__);
  }
}

}  // namespace tandem::cuda

namespace tandem::gpu {

using cuda::registry;

bool is_available() {
  return cuda::discovery().count > 0;
}

int device_count() {
  return cuda::discovery().count;
}

const char* unavailable_reason() {
  const auto& d = cuda::discovery();
  return d.count > 0 ? "the GPU is available." : d.reason.c_str();
}

void new_stream(Stream s) {
  if (!is_available()) {
    throw std::runtime_error(std::string("[new_stream] ") + unavailable_reason());
  }
  if (s.device.index < 0 || s.device.index >= device_count()) {
    throw std::invalid_argument("[new_stream] GPU index " + std::to_string(s.device.index) +
                                " out of range.");
  }
  cuda::set_device(s.device.index);
  cudaStream_t st;
  TANDEM_CUDA_CHECK(cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking));
  auto& r = registry();
  std::lock_guard<std::mutex> lk(r.mu);
  int slot = static_cast<int>(r.slots.size());
  r.slots.push_back(std::make_unique<cuda::Encoder>(st, slot, s.device.index));
  cuda::Encoder* e = r.slots.back().get();
  if (r.by_stream.size() <= static_cast<size_t>(s.index)) r.by_stream.resize(s.index + 1, nullptr);
  r.by_stream[s.index] = e;
  if (slot < cuda::kFastSlots) r.fast_slot[slot].store(e, std::memory_order_release);
  if (s.index >= 0 && s.index < cuda::kFastStreams) {
    r.fast_stream[s.index].store(e, std::memory_order_release);
  }
  r.slot_count.store(slot + 1, std::memory_order_release);
}

void synchronize(Stream s) {
  if (!is_available()) {
    throw std::runtime_error(std::string("[synchronize] ") + unavailable_reason());
  }
  cuda::Encoder* e = registry().by_stream_index(s.index);
  if (!e) {
    throw std::invalid_argument("[synchronize] Stream " + std::to_string(s.index) +
                                " is not a GPU stream of this process.");
  }
  cuda::set_device(e->device());
  TANDEM_CUDA_CHECK(cudaStreamSynchronize(e->stream()));
}

}  // namespace tandem::gpu
