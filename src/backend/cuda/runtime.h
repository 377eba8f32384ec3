// Copyright © 2026 Tandem authors.
// The CUDA backend's runtime (host side, plain C++): error checking, the per-stream Encoder that
// every kernel launch and library call goes through, and the residency of buffers (DESIGN §4-5).
//
// Memory model. In a CUDA build a Buffer is a record (CudaBuffer, allocator.cpp) holding a host
// copy and a device copy, each valid or stale:
//  - allocator::malloc (CPU kernels, array constructors) makes a host-resident record;
//  - GPU kernels write device-resident records (Encoder::output), whose host copy is stale;
//  - Encoder::input makes the device copy current (one host->device copy on the consuming stream,
//    then cached) and makes the stream wait for the buffer's last writer on another stream;
//  - gpu::prepare_host (before CPU kernels and host reads) copies device->host when the host copy
//    is stale, after the last GPU write.
// Streams are numbered by "slots" (0, 1, ... per GPU stream made); a record remembers the slots
// that used its device copy, so a freed block is reused only after all of them are done with it.
#pragma once

#include <cuda_runtime_api.h>

#include <atomic>
#include <cstdint>
#include <optional>
#include <vector>

#include "tandem/array.h"
#include "tandem/stream.h"

namespace tandem::cuda {

/// Throws std::runtime_error naming the failed call, its error, the file and the line.
[[noreturn]] void throw_cuda_error(cudaError_t err, const char* call, const char* file, int line);

/// Every CUDA runtime call goes through this: a failure becomes an exception.
#define TANDEM_CUDA_CHECK(call)                                                 \
  do {                                                                          \
    cudaError_t tandem_err_ = (call);                                           \
    if (tandem_err_ != cudaSuccess) {                                           \
      ::tandem::cuda::throw_cuda_error(tandem_err_, #call, __FILE__, __LINE__); \
    }                                                                           \
  } while (0)

/// Bit of a stream slot in a usage mask; slots from 63 on share the last bit.
inline uint64_t slot_bit(int slot) {
  return uint64_t(1) << (slot < 63 ? slot : 63);
}

/// A GPU stream's queue. Kernel launches (kernels.cuh: launch) and library calls are issued
/// through it, so that recording them into CUDA graphs can be added here later (DESIGN §9).
class Encoder {
 public:
  Encoder(cudaStream_t stream, int slot, int device)
      : stream_(stream), slot_(slot), device_(device) {}
  Encoder(const Encoder&) = delete;
  Encoder& operator=(const Encoder&) = delete;

  cudaStream_t stream() const { return stream_; }
  int slot() const { return slot_; }
  int device() const { return device_; }

  /// Device address of `a`'s first element, current for work queued next on this stream:
  /// uploads a stale device copy, and waits for a write made on another stream. nullptr for an
  /// empty array.
  void* input(const array& a);
  /// Gives `out` fresh device memory for nbytes(), row-contiguous; returns its address.
  void* output(array& out);
  /// Gives `out` fresh device memory for `data_size` elements with the given layout.
  void* output(array& out, size_t data_size, const Strides& strides, array::Flags flags);
  /// Makes `out` share `in`'s buffer (to be overwritten on this stream) when that is safe: nobody
  /// else holds it, the item sizes match, and no other stream has used it. `in` must have been
  /// passed to input() first. Returns whether it did.
  bool donate(const array& in, array& out);
  /// A row-contiguous array for intermediate results, with device memory from this stream.
  array temporary(const Shape& shape, Dtype dtype);
  /// `bytes` (> 0) of device memory that a library keeps between calls on this stream (the
  /// cuBLASLt workspace), as a uint8 array. Counted as cache memory, not active memory
  /// (memory.h), and made only while the cache limit leaves room for it and the device has it:
  /// nullopt otherwise (the library then runs without). Its holder must give it up when the
  /// function it registered with register_cache_owner is called. Freed in stream order like
  /// any buffer, so a holder may drop it while queued work still uses it.
  std::optional<array> library_workspace(size_t bytes);

  /// Called after every kernel launch: turns a launch error into an exception.
  void check_launch(const char* kernel);
  /// Number of launches and library calls issued so far. (Relaxed: a host read may queue a copy
  /// on this stream from another thread; the count is a statistic, never a synchronisation.)
  uint64_t ops() const { return ops_.load(std::memory_order_relaxed); }
  void count_op() {
    ops_.store(ops_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }

  /// Opaque per-stream library state: the cuBLAS handle (blas.h), the cuSOLVER context
  /// (solver.h) and the cuDNN handle (dnn.h), each created on first use and bound to this stream.
  void* blas_handle{nullptr};
  void* solver_handle{nullptr};
  void* dnn_handle{nullptr};

 private:
  cudaStream_t stream_;
  int slot_;
  int device_;
  std::atomic<uint64_t> ops_{0};
};

/// The encoder of a GPU stream (made by gpu::new_stream); makes its device current.
Encoder& encoder(const Stream& s);
/// The encoder of a slot, or nullptr.
Encoder* encoder_for_slot(int slot);
/// Number of slots made so far.
int slot_count();

/// Marks the outputs of a GPU kernel as queued (Status::evaluated).
void set_evaluated(std::vector<array>& outputs);

/// Makes `waiter`'s stream wait for the work queued so far on `on`'s (an event from the pool).
void stream_wait(Encoder& waiter, Encoder& on);

/// Events without timing, reused.
cudaEvent_t acquire_event(int device);
void release_event(cudaEvent_t ev, int device);

/// Number of streaming multiprocessors of `device` (queried once per device; thread safe).
int multiprocessor_count(int device);

/// Registers a function that gives back device memory held between calls by a library (through
/// Encoder::library_workspace). clear_cache(), a lower cache limit and an allocation that fails
/// for want of device memory call every registered function, with no allocator lock held; it
/// must not allocate device memory. Registered functions live for the whole process.
void register_cache_owner(void (*release)());

/// Makes `device` current on this thread (cached, so repeated calls are free).
void set_device(int device);
/// The device made current last by set_device on this thread (-1: none yet).
int current_device();

/// Makes a device current for a scope and restores the previous one (never throws on exit).
class DeviceScope {
 public:
  explicit DeviceScope(int device) : prev_(current_device()) { set_device(device); }
  ~DeviceScope();
  DeviceScope(const DeviceScope&) = delete;
  DeviceScope& operator=(const DeviceScope&) = delete;

 private:
  int prev_;
};

}  // namespace tandem::cuda
