// Copyright © 2026 Tandem authors.
#include <array>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/backend_hooks.h"
#include "tandem/device.h"
#include "tandem/stream.h"

namespace tandem {

namespace detail {
void wait_for_async_evals();
}

std::ostream& operator<<(std::ostream& os, const Device& d) {
  os << "Device(" << (d.type == Device::cpu ? "cpu" : "gpu") << ", " << d.index << ")";
  return os;
}

std::ostream& operator<<(std::ostream& os, const Stream& s) {
  return os << "Stream(" << s.device << ", " << s.index << ")";
}

bool is_available(const Device& d) {
  if (d.type == Device::cpu) return d.index == 0;
  return gpu::is_available() && d.index >= 0 && d.index < gpu::device_count();
}

int device_count(Device::DeviceType type) {
  return type == Device::cpu ? 1 : (gpu::is_available() ? gpu::device_count() : 0);
}

namespace {

void check_device(const Device& d, const char* op) {
  if (d.type == Device::cpu) {
    if (d.index != 0) {
      throw std::invalid_argument(std::string("[") + op +
                                  "] There is one CPU device (index 0); got index " +
                                  std::to_string(d.index) + ".");
    }
    return;
  }
  if (!gpu::is_available()) {
    throw std::runtime_error(std::string("[") + op +
                             "] GPU requested but unavailable: " + gpu::unavailable_reason());
  }
  if (d.index < 0 || d.index >= gpu::device_count()) {
    throw std::invalid_argument(std::string("[") + op + "] GPU index " + std::to_string(d.index) +
                                " out of range; " + std::to_string(gpu::device_count()) +
                                " GPU(s) present.");
  }
}

Device initial_device() {
  const char* env = std::getenv("TANDEM_DEVICE");
  if (env && *env) {
    std::string v(env);
    if (v == "cpu") return Device::cpu;
    if (v == "gpu") {
      check_device(Device::gpu, "TANDEM_DEVICE");
      return Device::gpu;
    }
    throw std::invalid_argument("[TANDEM_DEVICE] Expected 'cpu' or 'gpu', got '" + v + "'.");
  }
  return gpu::is_available() ? Device(Device::gpu) : Device(Device::cpu);
}

struct StreamRegistry {
  std::mutex mu;
  std::vector<Stream> streams;
  // default stream index per (device type, index); -1: not created yet
  std::vector<int> cpu_default{-1};
  std::vector<int> gpu_default;

  Stream make(Device d) {
    Stream s(static_cast<int>(streams.size()), d);
    if (d.type == Device::gpu) gpu::new_stream(s);
    streams.push_back(s);
    return s;
  }
  int& default_slot(Device d) {
    if (d.type == Device::cpu) return cpu_default[0];
    if (gpu_default.size() <= static_cast<size_t>(d.index)) gpu_default.resize(d.index + 1, -1);
    return gpu_default[d.index];
  }

  // Every op asks for its default stream: a lock-free copy of the default slots (CPU, then the
  // first GPUs), written under `mu` whenever a slot changes. -1: take the locked path.
  static constexpr int kFastSlots = 17;
  std::array<std::atomic<int>, kFastSlots> fast;
  StreamRegistry() {
    for (auto& f : fast)
      f.store(-1, std::memory_order_relaxed);
  }
  static int fast_index(Device d) {
    if (d.type == Device::cpu) return d.index == 0 ? 0 : -1;
    return d.index >= 0 && d.index + 1 < kFastSlots ? d.index + 1 : -1;
  }
  // Call with `mu` held after slot `default_slot(d)` changed.
  void publish(Device d) {
    int f = fast_index(d);
    if (f < 0) return;
    int slot = default_slot(d);
    bool ok = slot >= 0 && static_cast<size_t>(slot) < streams.size() &&
              streams[slot].device == d;  // the fast path returns Stream(slot, d)
    fast[f].store(ok ? slot : -1, std::memory_order_release);
  }
};

StreamRegistry& registry() {
  static StreamRegistry r;
  return r;
}

Device& default_device_ref() {
  static Device d = initial_device();
  return d;
}

}  // namespace

const Device& default_device() {
  return default_device_ref();
}

void set_default_device(const Device& d) {
  check_device(d, "set_default_device");
  default_device_ref() = d;
}

Stream default_stream(Device d) {
  check_device(d, "default_stream");
  auto& r = registry();
  int f = StreamRegistry::fast_index(d);
  if (f >= 0) {
    int slot = r.fast[f].load(std::memory_order_acquire);
    if (slot >= 0) return Stream(slot, d);
  }
  std::lock_guard<std::mutex> lk(r.mu);
  int& slot = r.default_slot(d);
  if (slot < 0) slot = r.make(d).index;
  r.publish(d);
  return r.streams[r.default_slot(d)];
}

void set_default_stream(Stream s) {
  check_device(s.device, "set_default_stream");
  auto& r = registry();
  std::lock_guard<std::mutex> lk(r.mu);
  r.default_slot(s.device) = s.index;
  r.publish(s.device);
}

Stream new_stream(Device d) {
  check_device(d, "new_stream");
  auto& r = registry();
  std::lock_guard<std::mutex> lk(r.mu);
  return r.make(d);
}

Stream get_stream(int index) {
  auto& r = registry();
  std::lock_guard<std::mutex> lk(r.mu);
  if (index < 0 || index >= static_cast<int>(r.streams.size())) {
    throw std::invalid_argument("[get_stream] No stream with index " + std::to_string(index) +
                                "; " + std::to_string(r.streams.size()) + " streams exist.");
  }
  return r.streams[index];
}

Stream to_stream(StreamOrDevice s) {
  if (std::holds_alternative<std::monostate>(s)) return default_stream(default_device());
  if (auto* d = std::get_if<Device>(&s)) return default_stream(*d);
  auto st = std::get<Stream>(s);
  check_device(st.device, "to_stream");
  return st;
}

void synchronize(Stream s) {
  detail::wait_for_async_evals();
  if (s.device.type == Device::gpu) gpu::synchronize(s);
}

void synchronize() {
  detail::wait_for_async_evals();
  if (gpu::is_available()) {
    auto& r = registry();
    std::vector<Stream> all;
    {
      std::lock_guard<std::mutex> lk(r.mu);
      all = r.streams;
    }
    for (auto& s : all) {
      if (s.device.type == Device::gpu) gpu::synchronize(s);
    }
  }
}

}  // namespace tandem
