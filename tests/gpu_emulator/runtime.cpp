// Copyright © 2026 Tandem authors.
// The GPU emulator's CUDA runtime: the runtime API calls the backend makes, over host memory.
// Work runs when it is queued, so streams and events hold no state beyond their existence.
// "Device" allocations are separate host allocations filled with a poison pattern (device
// memory content is undefined), counted against an emulated capacity of TANDEM_EMU_GPU_MEMORY
// bytes (default 8 GiB), so out-of-memory paths run too.
#include <cuda_runtime_api.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>

namespace tandem_emu {

namespace {

thread_local cudaError_t t_last_error = cudaSuccess;
thread_local std::string t_last_detail;
thread_local int t_device = 0;

struct DeviceMemory {
  std::mutex mu;
  std::unordered_map<void*, size_t> sizes;
  size_t used = 0;
  size_t capacity = 0;
};

DeviceMemory& device_memory() {
  static DeviceMemory* m = [] {
    auto* d = new DeviceMemory();
    const char* env = std::getenv("TANDEM_EMU_GPU_MEMORY");
    d->capacity = env ? std::strtoull(env, nullptr, 10) : (size_t(8) << 30);
    return d;
  }();
  return *m;
}

int device_count() {
  const char* env = std::getenv("TANDEM_EMU_GPUS");
  return env ? std::atoi(env) : 1;
}

cudaError_t device_alloc(void** p, size_t size) {
  DeviceMemory& m = device_memory();
  std::lock_guard<std::mutex> lk(m.mu);
  if (size > m.capacity - m.used) {
    *p = nullptr;
    return cudaErrorMemoryAllocation;
  }
  const size_t bytes = (std::max<size_t>(size, 1) + 255) / 256 * 256;
  void* q = std::aligned_alloc(256, bytes);
  if (!q) return cudaErrorMemoryAllocation;
  std::memset(q, 0xA5, bytes);
  m.sizes[q] = size;
  m.used += size;
  *p = q;
  return cudaSuccess;
}

cudaError_t device_free(void* p) {
  if (!p) return cudaSuccess;
  DeviceMemory& m = device_memory();
  std::lock_guard<std::mutex> lk(m.mu);
  auto it = m.sizes.find(p);
  if (it == m.sizes.end()) return cudaErrorInvalidValue;
  m.used -= it->second;
  m.sizes.erase(it);
  std::free(p);
  return cudaSuccess;
}

struct Opaque {
  int tag;
};

}  // namespace

void set_launch_error(cudaError_t err, const std::string& message) {
  t_last_error = err;
  t_last_detail = message;
}

}  // namespace tandem_emu

using namespace tandem_emu;

extern "C" {

cudaError_t cudaGetLastError(void) {
  cudaError_t e = t_last_error;
  t_last_error = cudaSuccess;
  return e;
}
cudaError_t cudaPeekAtLastError(void) {
  return t_last_error;
}
const char* cudaGetErrorName(cudaError_t error) {
  switch (error) {
    case cudaSuccess:
      return "cudaSuccess";
    case cudaErrorMemoryAllocation:
      return "cudaErrorMemoryAllocation";
    case cudaErrorInvalidValue:
      return "cudaErrorInvalidValue";
    case cudaErrorInvalidConfiguration:
      return "cudaErrorInvalidConfiguration";
    case cudaErrorLaunchFailure:
      return "cudaErrorLaunchFailure";
    case cudaErrorNoDevice:
      return "cudaErrorNoDevice";
    case cudaErrorInvalidDevice:
      return "cudaErrorInvalidDevice";
    default:
      return "cudaError(emulated)";
  }
}
const char* cudaGetErrorString(cudaError_t error) {
  if (error != cudaSuccess && !t_last_detail.empty()) return t_last_detail.c_str();
  return cudaGetErrorName(error);
}

cudaError_t cudaGetDeviceCount(int* count) {
  *count = device_count();
  return *count > 0 ? cudaSuccess : cudaErrorNoDevice;
}
cudaError_t cudaSetDevice(int device) {
  if (device < 0 || device >= device_count()) return cudaErrorInvalidDevice;
  t_device = device;
  return cudaSuccess;
}
cudaError_t cudaGetDevice(int* device) {
  *device = t_device;
  return cudaSuccess;
}
cudaError_t cudaDeviceGetAttribute(int* value, enum cudaDeviceAttr attr, int device) {
  switch (attr) {
    case cudaDevAttrMultiProcessorCount:
      *value = 132;
      return cudaSuccess;
    case cudaDevAttrMemoryPoolsSupported:
      *value = 1;
      return cudaSuccess;
    case cudaDevAttrMaxThreadsPerBlock:
      *value = 1024;
      return cudaSuccess;
    case cudaDevAttrWarpSize:
      *value = 32;
      return cudaSuccess;
    case cudaDevAttrComputeCapabilityMajor:
      *value = 9;
      return cudaSuccess;
    case cudaDevAttrComputeCapabilityMinor:
      *value = 0;
      return cudaSuccess;
    default:
      *value = 0;
      return cudaSuccess;
  }
}
cudaError_t cudaGetDeviceProperties(struct cudaDeviceProp* prop, int device) {
  std::memset(prop, 0, sizeof(*prop));
  std::strncpy(prop->name, "Tandem GPU emulator", sizeof(prop->name) - 1);
  prop->totalGlobalMem = device_memory().capacity;
  prop->sharedMemPerBlock = 48 * 1024;
  prop->warpSize = 32;
  prop->maxThreadsPerBlock = 1024;
  prop->multiProcessorCount = 132;
  prop->major = 9;
  prop->minor = 0;
  return cudaSuccess;
}
cudaError_t cudaMemGetInfo(size_t* free, size_t* total) {
  DeviceMemory& m = device_memory();
  std::lock_guard<std::mutex> lk(m.mu);
  *free = m.capacity - m.used;
  *total = m.capacity;
  return cudaSuccess;
}
cudaError_t cudaDeviceSynchronize(void) {
  return cudaSuccess;
}

cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned int flags) {
  *stream = reinterpret_cast<cudaStream_t>(new Opaque{1});
  return cudaSuccess;
}
cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  delete reinterpret_cast<Opaque*>(stream);
  return cudaSuccess;
}
cudaError_t cudaStreamSynchronize(cudaStream_t stream) {
  return cudaSuccess;
}
cudaError_t cudaStreamWaitEvent(cudaStream_t stream, cudaEvent_t event, unsigned int flags) {
  return event ? cudaSuccess : cudaErrorInvalidResourceHandle;
}
cudaError_t cudaEventCreateWithFlags(cudaEvent_t* event, unsigned int flags) {
  *event = reinterpret_cast<cudaEvent_t>(new Opaque{2});
  return cudaSuccess;
}
cudaError_t cudaEventDestroy(cudaEvent_t event) {
  delete reinterpret_cast<Opaque*>(event);
  return cudaSuccess;
}
cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream) {
  return event ? cudaSuccess : cudaErrorInvalidResourceHandle;
}
cudaError_t cudaEventSynchronize(cudaEvent_t event) {
  return event ? cudaSuccess : cudaErrorInvalidResourceHandle;
}
cudaError_t cudaEventQuery(cudaEvent_t event) {
  return event ? cudaSuccess : cudaErrorInvalidResourceHandle;
}

cudaError_t cudaMalloc(void** devPtr, size_t size) {
  return device_alloc(devPtr, size);
}
cudaError_t cudaFree(void* devPtr) {
  return device_free(devPtr);
}
cudaError_t cudaMemPoolCreate(cudaMemPool_t* memPool, const struct cudaMemPoolProps* poolProps) {
  *memPool = reinterpret_cast<cudaMemPool_t>(new Opaque{3});
  return cudaSuccess;
}
cudaError_t cudaMemPoolDestroy(cudaMemPool_t memPool) {
  delete reinterpret_cast<Opaque*>(memPool);
  return cudaSuccess;
}
cudaError_t cudaMemPoolSetAttribute(cudaMemPool_t memPool, enum cudaMemPoolAttr attr, void* value) {
  return cudaSuccess;
}
cudaError_t cudaMemPoolTrimTo(cudaMemPool_t memPool, size_t minBytesToKeep) {
  return cudaSuccess;
}
cudaError_t cudaMallocFromPoolAsync(void** ptr, size_t size, cudaMemPool_t memPool,
                                    cudaStream_t stream) {
  return device_alloc(ptr, size);
}
cudaError_t cudaFreeAsync(void* devPtr, cudaStream_t hStream) {
  return device_free(devPtr);
}
cudaError_t cudaHostAlloc(void** pHost, size_t size, unsigned int flags) {
  *pHost = std::aligned_alloc(256, (std::max<size_t>(size, 1) + 255) / 256 * 256);
  return *pHost ? cudaSuccess : cudaErrorMemoryAllocation;
}
cudaError_t cudaFreeHost(void* ptr) {
  std::free(ptr);
  return cudaSuccess;
}
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t count, enum cudaMemcpyKind kind,
                            cudaStream_t stream) {
  if (count) std::memmove(dst, src, count);
  return cudaSuccess;
}
cudaError_t cudaMemcpy(void* dst, const void* src, size_t count, enum cudaMemcpyKind kind) {
  if (count) std::memmove(dst, src, count);
  return cudaSuccess;
}
cudaError_t cudaMemsetAsync(void* devPtr, int value, size_t count, cudaStream_t stream) {
  if (count) std::memset(devPtr, value, count);
  return cudaSuccess;
}

}  // extern "C"
