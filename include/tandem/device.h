// Copyright © 2026 Tandem authors.
#pragma once

#include <ostream>

namespace tandem {

/// A compute device: the CPU, or GPU number `index`.
struct Device {
  enum class DeviceType { cpu, gpu };
  static constexpr DeviceType cpu = DeviceType::cpu;
  static constexpr DeviceType gpu = DeviceType::gpu;

  DeviceType type;
  int index;

  constexpr Device(DeviceType type, int index = 0) : type(type), index(index) {}
};

inline bool operator==(const Device& a, const Device& b) {
  return a.type == b.type && a.index == b.index;
}
inline bool operator!=(const Device& a, const Device& b) {
  return !(a == b);
}
/// Whether the device is of the given type (as MLX: `d == Device::gpu`).
inline bool operator==(const Device& d, Device::DeviceType type) {
  return d.type == type;
}
/// Orders by type (cpu first), then index.
inline bool operator<(const Device& a, const Device& b) {
  return a.type != b.type ? a.type < b.type : a.index < b.index;
}
std::ostream& operator<<(std::ostream& os, const Device& d);

/// The device ops run on when none is given. Starts as the GPU when Tandem was built with CUDA and
/// a GPU is present, else the CPU; the environment variable TANDEM_DEVICE=cpu|gpu overrides it.
const Device& default_device();
void set_default_device(const Device& d);

/// Whether a device of this type (and index) can be used in this build on this machine.
bool is_available(const Device& d);
/// Number of devices of this type (CPU: 1).
int device_count(Device::DeviceType type);

}  // namespace tandem
