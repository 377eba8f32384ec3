// Copyright © 2026 Tandem authors.
// The GPU emulator's device side: what CUDA C++ kernel code uses beyond plain C++ (thread and
// block indices, __syncthreads, warp shuffles, atomics, bit casts, __ldg), for kernels compiled
// by the host compiler in an emulated build (-DTANDEM_GPU_EMULATION=ON, see README.md here).
//
// A launch runs its blocks one after the other on the calling host thread; the threads of a
// block run as cooperative fibers that switch only at barriers (__syncthreads, __syncwarp, warp
// shuffles). Atomics are therefore plain read-modify-writes. Shared memory (`__shared__`) is a
// function-local static: one copy, used by one block at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include <vector_types.h>

namespace tandem_emu {

/// The running emulated thread's coordinates.
struct ThreadCoords {
  uint3 thread_idx;
  uint3 block_idx;
  dim3 block_dim;
  dim3 grid_dim;
};
const ThreadCoords& coords();

/// Block-wide barrier (switches to the next fiber until every live thread of the block arrived).
void sync_block();
/// Warp barrier over the lanes of `mask`; every lane contributes `bytes` of `in` and receives
/// the contribution of lane (its lane ^ xor_mask) in `out`.
void warp_exchange(unsigned mask, const void* in, void* out, size_t bytes, int xor_mask);
/// The dynamic shared memory of the running block (launch argument).
unsigned char* dynamic_shared();
/// Records an error detected in a kernel (out-of-contract use); the launch then fails.
void kernel_error(const char* what);

template <typename T>
T shfl_xor(unsigned mask, T v, int lane_mask) {
  T out;
  warp_exchange(mask, &v, &out, sizeof(T), lane_mask);
  return out;
}

template <typename To, typename From>
To bit_cast(From v) {
  static_assert(sizeof(To) == sizeof(From), "bit cast size");
  To t;
  std::memcpy(&t, &v, sizeof(To));
  return t;
}

}  // namespace tandem_emu

// ---- keywords and built-in variables ----
#undef __global__
#undef __device__
#undef __host__
#undef __shared__
#undef __forceinline__
#undef __launch_bounds__
#undef __align__
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))
// One copy per kernel instantiation, used by one block at a time.
#define __shared__ static
#define TANDEM_EMU_DYNAMIC_SHARED(type, name) \
  type* name = reinterpret_cast<type*>(::tandem_emu::dynamic_shared())

#define threadIdx (::tandem_emu::coords().thread_idx)
#define blockIdx (::tandem_emu::coords().block_idx)
#define blockDim (::tandem_emu::coords().block_dim)
#define gridDim (::tandem_emu::coords().grid_dim)
constexpr int warpSize = 32;

// ---- synchronisation ----
inline void __syncthreads() {
  ::tandem_emu::sync_block();
}
inline void __syncwarp(unsigned mask = 0xffffffffu) {
  char c = 0, o;
  ::tandem_emu::warp_exchange(mask, &c, &o, 1, 0);
}
template <typename T>
T __shfl_xor_sync(unsigned mask, T v, int lane_mask, int width = 32) {
  if (width != 32)
    ::tandem_emu::kernel_error("__shfl_xor_sync: width other than 32 is not emulated");
  return ::tandem_emu::shfl_xor(mask, v, lane_mask);
}

// ---- loads ----
template <typename T>
T __ldg(const T* p) {
  return *p;
}

// ---- atomics (fibers switch only at barriers: a plain update is atomic) ----
template <typename T>
T atomicAdd(T* p, T v) {
  T old = *p;
  *p = old + v;
  return old;
}
template <typename T>
T atomicMax(T* p, T v) {
  T old = *p;
  *p = old < v ? v : old;
  return old;
}
template <typename T>
T atomicMin(T* p, T v) {
  T old = *p;
  *p = v < old ? v : old;
  return old;
}
template <typename T>
T atomicCAS(T* p, T compare, T v) {
  static_assert(std::is_integral_v<T>, "atomicCAS on integers");
  T old = *p;
  if (old == compare) *p = v;
  return old;
}

// ---- bit casts and rounding-explicit arithmetic (those the backend's kernels use) ----
inline unsigned __float_as_uint(float f) {
  return ::tandem_emu::bit_cast<unsigned>(f);
}
inline float __uint_as_float(unsigned u) {
  return ::tandem_emu::bit_cast<float>(u);
}
inline long long __double_as_longlong(double d) {
  return ::tandem_emu::bit_cast<long long>(d);
}
inline float __fmul_rn(float a, float b) {
  return a * b;
}
inline float __fadd_rn(float a, float b) {
  return a + b;
}
