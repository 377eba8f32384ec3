// Copyright © 2026 Tandem authors.
// The elementwise machinery of the Unary and Binary kernels: functor wrappers that compute in
// the compute type with the shared functors (backend/common/unary_ops.h, binary_ops.h), a
// contiguous kernel moving 16 bytes per thread, a strided kernel over collapsed dimensions, and
// the host-side layout logic (mirrors backend/cpu/elementwise.h and binary.cpp: outputs follow a
// dense input's layout and take over a donatable input's buffer).
#pragma once

#include "backend/cpu/strided.h"
#include "backend/cuda/copy.h"
#include "backend/cuda/kernels.cuh"

namespace tandem::cuda {

/// Which input dtypes an op is instantiated for (the op functions reject the rest).
enum class Types { All, Numeric, Float, FloatComplex, Integral, Real, RealNumeric };

template <Types K, typename T>
constexpr bool accepts() {
  constexpr bool fl = is_float_v<T>;
  constexpr bool cx = is_complex_v<T>;
  constexpr bool in = std::is_integral_v<T>;  // includes bool
  constexpr bool b = std::is_same_v<T, bool>;
  switch (K) {
    case Types::All:
      return true;
    case Types::Numeric:
      return !b;
    case Types::Float:
      return fl;
    case Types::FloatComplex:
      return fl || cx;
    case Types::Integral:
      return in;
    case Types::Real:
      return !cx;
    case Types::RealNumeric:
      return !cx && !b;
  }
  return false;
}

/// The stored result type of Op on T: the result in the compute type is stored back as T (e.g.
/// float -> float16); other results (bool, the float of a complex's abs) are stored as they are.
template <typename R, typename T>
using stored_t = std::conditional_t<std::is_same_v<R, compute_t<T>>, T, R>;

template <typename Op, typename T>
using unary_out_t = stored_t<decltype(Op{}(std::declval<compute_t<T>>())), T>;
template <typename Op, typename T>
using binary_out_t =
    stored_t<decltype(Op{}(std::declval<compute_t<T>>(), std::declval<compute_t<T>>())), T>;

template <typename Op, typename T, typename Out>
struct UnaryFn {
  __device__ Out operator()(T x) const { return to_storage<Out>(Op{}(to_compute(x))); }
};

template <typename Op, typename T, typename Out>
struct BinaryFn {
  __device__ Out operator()(T a, T b) const {
    return to_storage<Out>(Op{}(to_compute(a), to_compute(b)));
  }
};

// ---------------- kernels ----------------

template <typename F, typename In, typename Out>
__global__ void unary_contiguous_kernel(const In* in, Out* out, int64_t n, bool vec) {
  constexpr int N = vec_width<In, Out>();
  const F f{};
  const int64_t step = grid_threads() * N;
  for (int64_t base = global_thread() * N; base < n; base += step) {
    if (vec && base + N <= n) {
      Vec<In, N> a = *reinterpret_cast<const Vec<In, N>*>(in + base);
      Vec<Out, N> o;
#pragma unroll
      for (int k = 0; k < N; ++k)
        o.v[k] = f(a.v[k]);
      *reinterpret_cast<Vec<Out, N>*>(out + base) = o;
    } else {
      for (int k = 0; k < N && base + k < n; ++k)
        out[base + k] = f(in[base + k]);
    }
  }
}

template <typename F, typename In, typename Out>
__global__ void unary_strided_kernel(const In* in, Out* out, int64_t n, StridedArgs<1> p) {
  const F f{};
  for (int64_t i = global_thread(); i < n; i += grid_threads()) {
    int64_t off[1];
    locate(static_cast<uint64_t>(i), p, off);
    out[i] = f(in[off[0]]);
  }
}

// a_scalar / b_scalar: that operand is one value used for every element.
template <typename F, typename T, typename Out>
__global__ void binary_contiguous_kernel(const T* a, const T* b, Out* out, int64_t n, bool a_scalar,
                                         bool b_scalar, bool vec) {
  constexpr int N = vec_width<T, Out>();
  const F f{};
  const int64_t step = grid_threads() * N;
  for (int64_t base = global_thread() * N; base < n; base += step) {
    if (vec && base + N <= n) {
      Vec<T, N> va, vb;
      if (a_scalar) {
        T x = a[0];
#pragma unroll
        for (int k = 0; k < N; ++k)
          va.v[k] = x;
      } else {
        va = *reinterpret_cast<const Vec<T, N>*>(a + base);
      }
      if (b_scalar) {
        T x = b[0];
#pragma unroll
        for (int k = 0; k < N; ++k)
          vb.v[k] = x;
      } else {
        vb = *reinterpret_cast<const Vec<T, N>*>(b + base);
      }
      Vec<Out, N> o;
#pragma unroll
      for (int k = 0; k < N; ++k)
        o.v[k] = f(va.v[k], vb.v[k]);
      *reinterpret_cast<Vec<Out, N>*>(out + base) = o;
    } else {
      for (int k = 0; k < N && base + k < n; ++k) {
        out[base + k] = f(a[a_scalar ? 0 : base + k], b[b_scalar ? 0 : base + k]);
      }
    }
  }
}

template <typename F, typename T, typename Out>
__global__ void binary_strided_kernel(const T* a, const T* b, Out* out, int64_t n,
                                      StridedArgs<2> p) {
  const F f{};
  for (int64_t i = global_thread(); i < n; i += grid_threads()) {
    int64_t off[2];
    locate(static_cast<uint64_t>(i), p, off);
    out[i] = f(a[off[0]], b[off[1]]);
  }
}

// ---------------- host side ----------------

/// out = f(in) elementwise; f maps In to Out (device element types).
template <typename F, typename In, typename Out>
void unary_apply(Encoder& enc, const array& in, array& out, const char* name) {
  const In* src = static_cast<const In*>(enc.input(in));
  if (in.flags().contiguous) {
    Out* dst;
    if (enc.donate(in, out)) {
      dst = reinterpret_cast<Out*>(const_cast<In*>(src));
    } else {
      dst = static_cast<Out*>(enc.output(out, in.data_size(), in.strides(), in.flags()));
    }
    int64_t n = static_cast<int64_t>(in.data_size());
    if (n == 0) return;
    constexpr int N = vec_width<In, Out>();
    bool vec = is_aligned(src, sizeof(In) * N) && is_aligned(dst, sizeof(Out) * N);
    launch(enc, name, unary_contiguous_kernel<F, In, Out>, blocks_for((n + N - 1) / N), kThreads, 0,
           src, dst, n, vec);
    return;
  }
  Out* dst = static_cast<Out*>(enc.output(out));
  int64_t n = static_cast<int64_t>(out.size());
  if (n == 0) return;
  std::vector<Strides> st{in.strides()};
  Shape shape = cpu::collapse_dims(in.shape(), st);
  if (shape.size() > static_cast<size_t>(kMaxDims)) {
    array tmp = contiguous_copy(enc, in);
    src = static_cast<const In*>(enc.input(tmp));
    bool vec = is_aligned(src, 16) && is_aligned(dst, 16);
    constexpr int N = vec_width<In, Out>();
    launch(enc, name, unary_contiguous_kernel<F, In, Out>, blocks_for((n + N - 1) / N), kThreads, 0,
           src, dst, n, vec);
    return;
  }
  launch(enc, name, unary_strided_kernel<F, In, Out>, blocks_for(n), kThreads, 0, src, dst, n,
         make_strided_args<1>(shape, st));
}

/// out = f(a, b) elementwise; a and b have the output's shape (possibly broadcast views).
template <typename F, typename T, typename Out>
void binary_apply(Encoder& enc, const array& a, const array& b, array& out, const char* name) {
  const T* pa = static_cast<const T*>(enc.input(a));
  const T* pb = static_cast<const T*>(enc.input(b));
  const bool sa = a.data_size() == 1, sb = b.data_size() == 1;
  auto contiguous = [&](const array& like, bool a_scalar, bool b_scalar) {
    Out* dst = nullptr;
    if (!a_scalar && like.data_size() == a.data_size() && enc.donate(a, out)) {
      dst = reinterpret_cast<Out*>(const_cast<T*>(pa));
    } else if (!b_scalar && like.data_size() == b.data_size() && enc.donate(b, out)) {
      dst = reinterpret_cast<Out*>(const_cast<T*>(pb));
    } else {
      dst = static_cast<Out*>(enc.output(out, like.data_size(), like.strides(), like.flags()));
    }
    int64_t n = static_cast<int64_t>(like.data_size());
    if (n == 0) return;
    constexpr int N = vec_width<T, Out>();
    bool vec = (a_scalar || is_aligned(pa, sizeof(T) * N)) &&
               (b_scalar || is_aligned(pb, sizeof(T) * N)) && is_aligned(dst, sizeof(Out) * N);
    launch(enc, name, binary_contiguous_kernel<F, T, Out>, blocks_for((n + N - 1) / N), kThreads, 0,
           pa, pb, dst, n, a_scalar, b_scalar, vec);
  };
  if (sa && sb) {
    // One value, broadcast (zero strides) to the output shape.
    bool one = out.size() <= 1;
    Out* dst =
        static_cast<Out*>(enc.output(out, 1, Strides(out.ndim(), 0), array::Flags{one, one, one}));
    launch(enc, name, binary_contiguous_kernel<F, T, Out>, 1, 1, 0, pa, pb, dst, int64_t(1), true,
           true, false);
    return;
  }
  const bool same = a.flags().contiguous && b.flags().contiguous && a.strides() == b.strides() &&
                    a.data_size() == b.data_size();
  if (same) return contiguous(a, false, false);
  if (sa && b.flags().contiguous) return contiguous(b, true, false);
  if (sb && a.flags().contiguous) return contiguous(a, false, true);
  // General: inputs broadcast/strided, output row-contiguous.
  Out* dst = static_cast<Out*>(enc.output(out));
  int64_t n = static_cast<int64_t>(out.size());
  if (n == 0) return;
  std::vector<Strides> st{cpu::broadcast_strides(a, out.shape()),
                          cpu::broadcast_strides(b, out.shape())};
  Shape shape = cpu::collapse_dims(out.shape(), st);
  if (shape.size() > static_cast<size_t>(kMaxDims)) {
    array ta = contiguous_copy(enc, a, out.shape(), a.dtype());
    array tb = contiguous_copy(enc, b, out.shape(), b.dtype());
    pa = static_cast<const T*>(enc.input(ta));
    pb = static_cast<const T*>(enc.input(tb));
    constexpr int N = vec_width<T, Out>();
    bool vec = is_aligned(pa, 16) && is_aligned(pb, 16) && is_aligned(dst, 16);
    launch(enc, name, binary_contiguous_kernel<F, T, Out>, blocks_for((n + N - 1) / N), kThreads, 0,
           pa, pb, dst, n, false, false, vec);
    return;
  }
  launch(enc, name, binary_strided_kernel<F, T, Out>, blocks_for(n), kThreads, 0, pa, pb, dst, n,
         make_strided_args<2>(shape, st));
}

}  // namespace tandem::cuda

namespace tandem::cuda {

/// Runs Op on every input dtype that K accepts (the output dtype follows the functor's result,
/// as on the CPU); other dtypes throw.
template <typename Op, Types K>
void run_unary(Encoder& enc, const array& in, array& out, const char* name) {
  bool done = dispatch(in.dtype(), [&]<typename T>() {
    if constexpr (accepts<K, T>()) {
      using Out = unary_out_t<Op, T>;
      if (out.dtype() != dtype_of_device<Out>()) {
        throw std::logic_error(std::string("[") + name + "] Output dtype " +
                               dtype_name(out.dtype()) + " does not match the kernel's " +
                               dtype_name(dtype_of_device<Out>()) + ".");
      }
      unary_apply<UnaryFn<Op, T, Out>, T, Out>(enc, in, out, name);
      return true;
    } else {
      return false;
    }
  });
  if (!done) {
    throw std::invalid_argument(std::string("[") + name + "] Not supported for dtype " +
                                dtype_name(in.dtype()) + ".");
  }
}

template <typename Op, Types K>
void run_binary(Encoder& enc, const array& a, const array& b, array& out, const char* name) {
  bool done = dispatch(a.dtype(), [&]<typename T>() {
    if constexpr (accepts<K, T>()) {
      using Out = binary_out_t<Op, T>;
      if (out.dtype() != dtype_of_device<Out>()) {
        throw std::logic_error(std::string("[") + name + "] Output dtype " +
                               dtype_name(out.dtype()) + " does not match the kernel's " +
                               dtype_name(dtype_of_device<Out>()) + ".");
      }
      binary_apply<BinaryFn<Op, T, Out>, T, Out>(enc, a, b, out, name);
      return true;
    } else {
      return false;
    }
  });
  if (!done) {
    throw std::invalid_argument(std::string("[") + name + "] Not supported for dtype " +
                                dtype_name(a.dtype()) + ".");
  }
}

/// Parts of the Unary and Binary families compiled in their own files (so that two cores build
/// them in parallel). Each returns false when `op` is not one of its ops.
bool unary_math(Encoder& enc, int op, const array& in, array& out);
bool binary_compare(Encoder& enc, int op, const array& a, const array& b, array& out);

}  // namespace tandem::cuda
