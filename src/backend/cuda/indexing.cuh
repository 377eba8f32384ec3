// Copyright © 2026 Tandem authors.
// Shared by the CUDA kernels of the indexing, sort/scan and convolution families (gather.cu,
// scatter.cu, sort.cu, scan.cu, conv.cu): scratch memory, dimension collapsing that keeps every
// extent within int32, the element order of sorts (NaN last, complex lexicographic, as
// backend/cpu/sort_scan.cpp), the combining operators of Scatter / SliceUpdate (as
// backend/cpu/indexing.cpp) and atomic read-modify-write of any element type.
#pragma once

#include <climits>
#include <cstring>
#include <limits>

#include "backend/cpu/strided.h"
#include "backend/cuda/copy.h"
#include "backend/cuda/kernels.cuh"
#include "primitives/indexing.h"

namespace tandem::cuda {

// ---------------- host helpers ----------------

/// `count` elements of `dtype` in device memory of this stream (contents undefined). The shape is
/// 2-d when one extent would not fit in int32.
inline array scratch(Encoder& enc, size_t count, Dtype dtype) {
  Shape s;
  if (count <= static_cast<size_t>(INT32_MAX)) {
    s = {static_cast<int32_t>(count)};
  } else {
    const size_t cols = size_t(1) << 20;
    s = {static_cast<int32_t>((count + cols - 1) / cols), static_cast<int32_t>(cols)};
  }
  return enc.temporary(s, dtype);
}

/// cpu::collapse_dims, which never merges dims into an extent above INT32_MAX (StridedArgs holds
/// int32 extents).
inline Shape collapse_capped(const Shape& shape, std::vector<Strides>& strides) {
  return cpu::collapse_dims(shape, strides);
}

/// Collapses `shape` with the operands' strides into `args`; false when more than kMaxDims
/// dimensions remain.
template <int N>
bool collapsed_args(const Shape& shape, std::vector<Strides> strides, StridedArgs<N>& args) {
  Shape cs = collapse_capped(shape, strides);
  if (cs.size() > static_cast<size_t>(kMaxDims)) return false;
  args = make_strided_args<N>(cs, strides);
  return true;
}

/// `out` gets the values of `src` in row-major order: src's own buffer when it is row-contiguous
/// and donatable (it is then overwritten in place), else a fresh buffer and a copy. Returns the
/// device address of out's first element.
inline void* copy_to_output(Encoder& enc, const array& src, array& out) {
  const void* p = enc.input(src);
  if (src.flags().row_contiguous && src.data_size() == src.size() && enc.donate(src, out)) {
    return const_cast<void*>(p);
  }
  void* d = enc.output(out);
  if (out.size() > 0) {
    copy_general(enc, p, src.dtype(), src.strides(), d, out.dtype(), row_major_strides(out.shape()),
                 out.shape());
  }
  return d;
}

/// The (outer, n, inner) view around `axis` of a row-contiguous array of `shape`.
struct AxisLayout {
  int64_t outer{1}, n{1}, inner{1};
};
inline AxisLayout axis_layout(const Shape& shape, int axis) {
  AxisLayout L;
  for (int d = 0; d < static_cast<int>(shape.size()); ++d) {
    if (d < axis) L.outer *= shape[d];
    if (d > axis) L.inner *= shape[d];
  }
  L.n = shape.empty() ? 1 : shape[axis];
  return L;
}

/// Number of bits needed to write v (0 for 0).
inline int bits_for(uint64_t v) {
  int b = 0;
  while (v) {
    ++b;
    v >>= 1;
  }
  return b;
}

// ---------------- element order ----------------

/// NaN test on a compute value (complex: either part).
template <typename C>
__device__ inline bool is_nan_c(C v) {
  if constexpr (std::is_floating_point_v<C>) {
    return isnan(v);
  } else if constexpr (is_complex_v<C>) {
    return isnan(v.real()) || isnan(v.imag());
  } else {
    return false;
  }
}

/// Plain `<` (complex: lexicographic); NaN compares false.
template <typename C>
__device__ inline bool num_less(C a, C b) {
  if constexpr (is_complex_v<C>) {
    return a.real() < b.real() || (a.real() == b.real() && a.imag() < b.imag());
  } else {
    return a < b;
  }
}

/// The sort order of the CPU (backend/cpu/sort_scan.cpp: Less): ascending, NaN after every number;
/// complex lexicographic, then R+NaNj, NaN+Rj, NaN+NaNj.
template <typename C>
__device__ inline bool sort_less(C a, C b) {
  if constexpr (std::is_floating_point_v<C>) {
    if (isnan(a)) return false;
    if (isnan(b)) return true;
    return a < b;
  } else if constexpr (is_complex_v<C>) {
    int ca = (isnan(a.real()) ? 2 : 0) + (isnan(a.imag()) ? 1 : 0);
    int cb = (isnan(b.real()) ? 2 : 0) + (isnan(b.imag()) ? 1 : 0);
    if (ca != cb) return ca < cb;
    switch (ca) {
      case 0:
        return a.real() < b.real() || (a.real() == b.real() && a.imag() < b.imag());
      case 1:
        return a.real() < b.real();
      case 2:
        return a.imag() < b.imag();
      default:
        return false;
    }
  } else {
    return a < b;
  }
}

// ---------------- combining operators (Scatter, SliceUpdate) ----------------
// On stored values, as backend/cpu/indexing.cpp: arithmetic in the compute type (float for 16-bit
// floats) rounded back to T; bool sum is "or" and product "and"; max / min keep a NaN already
// there and take a NaN update (isnan only for real floating types; complex compares
// lexicographically).

template <typename T>
__device__ inline bool scatter_isnan(T v) {
  if constexpr (std::is_floating_point_v<compute_t<T>>) {
    return isnan(to_compute(v));
  } else {
    return false;
  }
}

struct CombineAssign {
  template <typename T>
  __device__ static T apply(T, T v) {
    return v;
  }
};
struct CombineAdd {
  template <typename T>
  __device__ static T apply(T a, T b) {
    if constexpr (std::is_same_v<T, bool>) {
      return a || b;
    } else {
      return to_storage<T>(to_compute(a) + to_compute(b));
    }
  }
};
struct CombineMul {
  template <typename T>
  __device__ static T apply(T a, T b) {
    if constexpr (std::is_same_v<T, bool>) {
      return a && b;
    } else {
      return to_storage<T>(to_compute(a) * to_compute(b));
    }
  }
};
struct CombineMax {
  template <typename T>
  __device__ static T apply(T a, T b) {
    return (scatter_isnan(a) || num_less(to_compute(b), to_compute(a))) ? a : b;
  }
};
struct CombineMin {
  template <typename T>
  __device__ static T apply(T a, T b) {
    return (scatter_isnan(a) || num_less(to_compute(a), to_compute(b))) ? a : b;
  }
};

/// Calls f.template operator()<Combine>() for the ScatterOp.
template <typename F>
void with_combine(ScatterOp op, F&& f) {
  switch (op) {
    case ScatterOp::None:
      return f.template operator()<CombineAssign>();
    case ScatterOp::Sum:
      return f.template operator()<CombineAdd>();
    case ScatterOp::Prod:
      return f.template operator()<CombineMul>();
    case ScatterOp::Max:
      return f.template operator()<CombineMax>();
    case ScatterOp::Min:
      return f.template operator()<CombineMin>();
  }
  throw std::logic_error("[cuda] Unknown scatter op.");
}

// ---------------- atomics ----------------

template <typename T>
__device__ inline T from_bits(uint64_t bits) {
  T v;
  memcpy(&v, &bits, sizeof(T));  // little endian: the low bytes
  return v;
}
template <typename T>
__device__ inline uint64_t to_bits(T v) {
  uint64_t bits = 0;
  memcpy(&bits, &v, sizeof(T));
  return bits;
}

/// *addr = f(*addr) atomically, for an element of 1, 2, 4 or 8 bytes (compare-and-swap loop;
/// 1- and 2-byte elements through the aligned 32-bit word that holds them).
template <typename T, typename F>
__device__ inline void atomic_update(T* addr, F f) {
  if constexpr (sizeof(T) == 8) {
    auto* p = reinterpret_cast<unsigned long long*>(addr);
    unsigned long long old = *p, assumed;
    do {
      assumed = old;
      unsigned long long nb = to_bits(f(from_bits<T>(assumed)));
      if (nb == assumed) break;
      old = atomicCAS(p, assumed, nb);
    } while (old != assumed);
  } else if constexpr (sizeof(T) == 4) {
    auto* p = reinterpret_cast<unsigned int*>(addr);
    unsigned int old = *p, assumed;
    do {
      assumed = old;
      auto nb = static_cast<unsigned int>(to_bits(f(from_bits<T>(assumed))));
      if (nb == assumed) break;
      old = atomicCAS(p, assumed, nb);
    } while (old != assumed);
  } else {
    static_assert(sizeof(T) == 1 || sizeof(T) == 2, "element size");
    const uintptr_t a = reinterpret_cast<uintptr_t>(addr);
    auto* p = reinterpret_cast<unsigned int*>(a & ~uintptr_t(3));
    const unsigned shift = static_cast<unsigned>(a & 3) * 8;
    const unsigned mask = ((1u << (8 * sizeof(T))) - 1u) << shift;
    unsigned int old = *p, assumed;
    do {
      assumed = old;
      T cur = from_bits<T>((assumed & mask) >> shift);
      auto nv = static_cast<unsigned int>(to_bits(f(cur)));
      unsigned int nb = (assumed & ~mask) | ((nv << shift) & mask);
      if (nb == assumed) break;
      old = atomicCAS(p, assumed, nb);
    } while (old != assumed);
  }
}

/// *addr = Combine::apply(*addr, v) atomically; hardware atomics where they give the same result.
template <typename Combine, typename T>
__device__ inline void atomic_combine(T* addr, T v) {
  if constexpr (std::is_same_v<Combine, CombineAdd> &&
                (std::is_same_v<T, float> || std::is_same_v<T, double> ||
                 std::is_same_v<T, int32_t> || std::is_same_v<T, uint32_t>)) {
    atomicAdd(addr, v);
  } else if constexpr (std::is_same_v<Combine, CombineAdd> &&
                       (std::is_same_v<T, int64_t> || std::is_same_v<T, uint64_t>)) {
    // Two's complement: the unsigned sum has the bits of the (wrapping) signed sum.
    atomicAdd(reinterpret_cast<unsigned long long*>(addr), static_cast<unsigned long long>(v));
  } else if constexpr (std::is_same_v<Combine, CombineAdd> && is_complex_v<T>) {
    float* f = reinterpret_cast<float*>(addr);
    atomicAdd(f, v.real());
    atomicAdd(f + 1, v.imag());
  } else if constexpr ((std::is_same_v<Combine, CombineMax> ||
                        std::is_same_v<Combine, CombineMin>)&&(std::is_same_v<T, int32_t> ||
                                                               std::is_same_v<T, uint32_t>)) {
    if constexpr (std::is_same_v<Combine, CombineMax>) {
      atomicMax(addr, v);
    } else {
      atomicMin(addr, v);
    }
  } else if constexpr ((std::is_same_v<Combine, CombineMax> ||
                        std::is_same_v<Combine, CombineMin>)&&(std::is_same_v<T, int64_t> ||
                                                               std::is_same_v<T, uint64_t>)) {
    using W = std::conditional_t<std::is_same_v<T, int64_t>, long long, unsigned long long>;
    if constexpr (std::is_same_v<Combine, CombineMax>) {
      atomicMax(reinterpret_cast<W*>(addr), static_cast<W>(v));
    } else {
      atomicMin(reinterpret_cast<W*>(addr), static_cast<W>(v));
    }
  } else {
    atomic_update(addr, [v](T cur) { return Combine::apply(cur, v); });
  }
}

}  // namespace tandem::cuda

namespace tandem::cuda {

// ---------------- index arrays of Gather / Scatter ----------------

constexpr int kMaxIndexAxes = 32;

/// Per indexed axis: the array's extent and stride there and the slice extent. By value.
struct IndexAxes {
  int k;
  int64_t extent[kMaxIndexAxes];
  int64_t stride[kMaxIndexAxes];
  int64_t slice[kMaxIndexAxes];
};

/// The `k` index arrays inputs[first, first + k) (integers, all of one shape with `n` elements)
/// converted into one row-contiguous int64 array: index array j is row j.
inline array pack_indices(Encoder& enc, const std::vector<array>& inputs, size_t first, size_t k,
                          size_t n) {
  array packed = scratch(enc, std::max<size_t>(k * n, 1), int64);
  auto* dst = static_cast<int64_t*>(enc.input(packed));
  if (n == 0) return packed;
  for (size_t j = 0; j < k; ++j) {
    const array& idx = inputs[first + j];
    copy_general(enc, enc.input(idx), idx.dtype(), idx.strides(), dst + j * n, int64,
                 row_major_strides(idx.shape()), idx.shape());
  }
  return packed;
}

}  // namespace tandem::cuda
