// Copyright © 2026 Tandem authors.
// Shared by the CUDA kernel files: device element types and run-time dtype dispatch, value
// conversion with astype semantics, 16-byte vectors, strided index arithmetic over collapsed
// dimensions, and kernel launches through the stream's Encoder.
//
// Element types on the device: bool, the fixed-width integers, float, double, __half,
// __nv_bfloat16 and cuda::std::complex<float> (same bit layouts as tandem's float16_t,
// bfloat16_t and std::complex<float>). 16-bit floats compute in float32, as on the CPU.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <cuda/std/complex>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "backend/common/cast.h"

namespace tandem {
// The CUDA complex type is a complex type for the shared functors (unary_ops.h, binary_ops.h).
template <typename T>
struct is_complex_type<::cuda::std::complex<T>> : std::true_type {};
}  // namespace tandem

#include "backend/common/binary_ops.h"
#include "backend/common/unary_ops.h"
#include "backend/cuda/runtime.h"

namespace tandem::cuda {

using complex_t = ::cuda::std::complex<float>;
static_assert(sizeof(complex_t) == sizeof(complex64_t), "complex64 layout");
static_assert(sizeof(__half) == 2 && sizeof(__nv_bfloat16) == 2, "16-bit float layout");

// ---------------- element types ----------------

template <typename T>
inline constexpr bool is_half_v = std::is_same_v<T, __half> || std::is_same_v<T, __nv_bfloat16>;
template <typename T>
inline constexpr bool is_complex_v = std::is_same_v<T, complex_t>;
template <typename T>
inline constexpr bool is_float_v = std::is_floating_point_v<T> || is_half_v<T>;

/// The type arithmetic is done in: float for 16-bit floats, the type itself otherwise.
template <typename T>
using compute_t = std::conditional_t<is_half_v<T>, float, T>;

/// Calls f.template operator()<T>() with the device element type of `d`.
template <typename F>
decltype(auto) dispatch(Dtype d, F&& f) {
  switch (d.val) {
    case Dtype::Val::bool_:
      return f.template operator()<bool>();
    case Dtype::Val::uint8:
      return f.template operator()<uint8_t>();
    case Dtype::Val::uint16:
      return f.template operator()<uint16_t>();
    case Dtype::Val::uint32:
      return f.template operator()<uint32_t>();
    case Dtype::Val::uint64:
      return f.template operator()<uint64_t>();
    case Dtype::Val::int8:
      return f.template operator()<int8_t>();
    case Dtype::Val::int16:
      return f.template operator()<int16_t>();
    case Dtype::Val::int32:
      return f.template operator()<int32_t>();
    case Dtype::Val::int64:
      return f.template operator()<int64_t>();
    case Dtype::Val::float16:
      return f.template operator()<__half>();
    case Dtype::Val::float32:
      return f.template operator()<float>();
    case Dtype::Val::float64:
      return f.template operator()<double>();
    case Dtype::Val::bfloat16:
      return f.template operator()<__nv_bfloat16>();
    case Dtype::Val::complex64:
      return f.template operator()<complex_t>();
  }
  throw std::logic_error("[cuda] Unknown dtype.");
}

/// Dispatch by item size only (copies that move bytes).
template <typename F>
decltype(auto) dispatch_by_size(size_t size, F&& f) {
  switch (size) {
    case 1:
      return f.template operator()<uint8_t>();
    case 2:
      return f.template operator()<uint16_t>();
    case 4:
      return f.template operator()<uint32_t>();
    case 8:
      return f.template operator()<uint64_t>();
  }
  throw std::logic_error("[cuda] Unsupported item size " + std::to_string(size) + ".");
}

/// The dtype of a device element type.
template <typename T>
constexpr Dtype dtype_of_device() {
  if constexpr (std::is_same_v<T, __half>) {
    return float16;
  } else if constexpr (std::is_same_v<T, __nv_bfloat16>) {
    return bfloat16;
  } else if constexpr (std::is_same_v<T, complex_t>) {
    return complex64;
  } else {
    return dtype_of<T>();
  }
}

// ---------------- conversions ----------------

template <typename T>
__device__ inline compute_t<T> to_compute(T v) {
  if constexpr (std::is_same_v<T, __half>) {
    return __half2float(v);
  } else if constexpr (std::is_same_v<T, __nv_bfloat16>) {
    return __bfloat162float(v);
  } else {
    return v;
  }
}

/// A computed value stored as Out: rounds float to 16-bit floats, otherwise a plain cast (the
/// value is already of type Out or converts like the CPU's static_cast).
template <typename Out, typename R>
__device__ inline Out to_storage(R v) {
  if constexpr (std::is_same_v<Out, __half>) {
    return __float2half_rn(static_cast<float>(v));
  } else if constexpr (std::is_same_v<Out, __nv_bfloat16>) {
    return __float2bfloat16_rn(static_cast<float>(v));
  } else {
    return static_cast<Out>(v);
  }
}

/// Value conversion with the semantics of astype (backend/common/cast.h: cast_value): C casts,
/// to bool means != 0, complex -> real keeps the real part, 16-bit floats go through float.
/// Float -> 8/16/32-bit integers goes through int64, which wraps out-of-range values the way the
/// CPU build does on x86-64 (the C++ conversion itself is undefined there).
template <typename To, typename From>
__device__ inline To convert(From v) {
  if constexpr (std::is_same_v<To, From>) {
    return v;
  } else if constexpr (is_half_v<From>) {
    return convert<To>(to_compute(v));
  } else if constexpr (is_complex_v<From>) {
    if constexpr (std::is_same_v<To, bool>) {
      return v.real() != 0.0f || v.imag() != 0.0f;
    } else {
      return convert<To>(v.real());
    }
  } else if constexpr (is_complex_v<To>) {
    return To(static_cast<float>(v), 0.0f);
  } else if constexpr (std::is_same_v<To, bool>) {
    return v != From(0);
  } else if constexpr (is_half_v<To>) {
    return to_storage<To>(static_cast<float>(v));
  } else if constexpr (std::is_floating_point_v<From> && std::is_integral_v<To> &&
                       (sizeof(To) < 4 || (sizeof(To) == 4 && std::is_unsigned_v<To>))) {
    return static_cast<To>(static_cast<int64_t>(v));
  } else {
    return static_cast<To>(v);
  }
}

// ---------------- vectors ----------------

/// N elements moved as one aligned access (16 bytes at most).
template <typename T, int N>
struct alignas(sizeof(T) * N) Vec {
  T v[N];
};

/// Elements per thread so that a thread moves 16 bytes of the larger of two types.
template <typename A, typename B>
constexpr int vec_width() {
  constexpr size_t m = sizeof(A) > sizeof(B) ? sizeof(A) : sizeof(B);
  return m >= 16 ? 1 : static_cast<int>(16 / m);
}

inline bool is_aligned(const void* p, size_t bytes) {
  return (reinterpret_cast<uintptr_t>(p) % bytes) == 0;
}

// ---------------- strided indexing ----------------

constexpr int kMaxDims = 8;

/// Shape and the strides (in elements) of N operands over at most kMaxDims collapsed dims,
/// passed to kernels by value.
template <int N>
struct StridedArgs {
  int ndim;
  int32_t shape[kMaxDims];
  int64_t strides[N][kMaxDims];
};

template <int N>
StridedArgs<N> make_strided_args(const Shape& shape, const std::vector<Strides>& strides) {
  if (shape.size() > static_cast<size_t>(kMaxDims) || strides.size() != static_cast<size_t>(N)) {
    throw std::logic_error("[cuda] Too many dimensions for a strided kernel.");
  }
  StridedArgs<N> p{};
  p.ndim = static_cast<int>(shape.size());
  for (int d = 0; d < p.ndim; ++d) {
    p.shape[d] = shape[d];
    for (int k = 0; k < N; ++k)
      p.strides[k][d] = strides[k][d];
  }
  return p;
}

/// Element offsets of the operands at row-major linear index i (32-bit division when i fits).
template <int N>
__device__ inline void locate(uint64_t i, const StridedArgs<N>& p, int64_t (&off)[N]) {
#pragma unroll
  for (int k = 0; k < N; ++k)
    off[k] = 0;
  if (i <= 0xffffffffull) {
    uint32_t j = static_cast<uint32_t>(i);
#pragma unroll
    for (int d = kMaxDims - 1; d >= 0; --d) {
      if (d < p.ndim) {
        uint32_t e = static_cast<uint32_t>(p.shape[d]);
        uint32_t q = j / e;
        uint32_t r = j - q * e;
#pragma unroll
        for (int k = 0; k < N; ++k)
          off[k] += static_cast<int64_t>(r) * p.strides[k][d];
        j = q;
      }
    }
  } else {
    uint64_t j = i;
#pragma unroll
    for (int d = kMaxDims - 1; d >= 0; --d) {
      if (d < p.ndim) {
        uint64_t e = static_cast<uint64_t>(p.shape[d]);
        uint64_t q = j / e;
        uint64_t r = j - q * e;
#pragma unroll
        for (int k = 0; k < N; ++k)
          off[k] += static_cast<int64_t>(r) * p.strides[k][d];
        j = q;
      }
    }
  }
}

// ---------------- launches ----------------

/// `type* name` pointing at the block's dynamic shared memory (the launch's smem bytes, 16-byte
/// aligned).
#ifdef TANDEM_GPU_EMULATION
#define TANDEM_DYNAMIC_SHARED(type, name) TANDEM_EMU_DYNAMIC_SHARED(type, name)
#else
#define TANDEM_DYNAMIC_SHARED(type, name)                     \
  extern __shared__ __align__(16) unsigned char name##_raw[]; \
  type* name = reinterpret_cast<type*>(name##_raw)
#endif

constexpr int kThreads = 256;
constexpr int64_t kMaxBlocks = int64_t(1) << 22;  // kernels loop over the rest (grid stride)

inline unsigned blocks_for(int64_t work, int threads = kThreads) {
  int64_t b = (work + threads - 1) / threads;
  return static_cast<unsigned>(std::max<int64_t>(1, std::min(b, kMaxBlocks)));
}

/// Launches `kernel` on the encoder's stream and checks the launch.
template <typename... KArgs, typename... Args>
void launch(Encoder& enc, const char* name, void (*kernel)(KArgs...), dim3 grid, dim3 block,
            size_t smem, Args&&... args) {
#ifdef TANDEM_GPU_EMULATION
  // tests/gpu_emulator: the kernel runs on the host, each thread with its own copy of the
  // arguments, as the device's parameter space gives them.
  tandem_emu::launch(name, grid, block, smem, [&, kernel]() { kernel(KArgs(args)...); });
#else
  kernel<<<grid, block, smem, enc.stream()>>>(std::forward<Args>(args)...);
#endif
  enc.check_launch(name);
}

/// Index of this thread in the grid, and the grid's size (64-bit).
__device__ inline int64_t global_thread() {
  return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ inline int64_t grid_threads() {
  return static_cast<int64_t>(gridDim.x) * blockDim.x;
}

}  // namespace tandem::cuda
