// Copyright © 2026 Tandem authors.
// CUDA kernels of the fused primitives (primitives/fused.h).
//
// Softmax over the last axis: one block per row. Each thread keeps an online (max, sum) pair
// over its strided share of the row (the sum is rescaled whenever the max grows), the block
// combines the pairs, then a second sweep writes exp(x - max) / sum. Two reads and one write of
// each element; rows of up to a few hundred KB stay in L2 between the sweeps. Rows whose length
// and base address allow it are read and written 16 bytes at a time.
#include <cfloat>

#include "backend/cuda/copy.h"
#include "backend/cuda/kernels.cuh"
#include "primitives/fused.h"

namespace tandem {

namespace cuda {

namespace {

constexpr int kSoftmaxThreads = 256;

template <typename A>
struct MaxSum {
  A m;
  A s;
};

// Adds x to the running pair. m == -inf means "nothing yet" (exp(-inf - -inf) would be NaN);
// -inf elements add nothing; a NaN makes the pair NaN for good.
template <typename A>
__device__ inline void online_add(MaxSum<A>& p, A x) {
  if (x != x) {
    p.m = x;
    p.s = x;
  } else if (x > p.m) {
    p.s = (p.m == -INFINITY ? A(0) : p.s * exp(p.m - x)) + A(1);
    p.m = x;
  } else if (x != -INFINITY) {
    p.s += exp(x - p.m);  // NaN stays NaN: exp(x - NaN)
  }
}

template <typename A>
__device__ inline MaxSum<A> combine(MaxSum<A> a, MaxSum<A> b) {
  if (a.m != a.m || b.m != b.m) return {NAN, NAN};
  if (a.m == -INFINITY) return b;
  if (b.m == -INFINITY) return a;
  A m = a.m > b.m ? a.m : b.m;
  return {m, a.s * exp(a.m - m) + b.s * exp(b.m - m)};
}

template <typename T, int N>
__global__ void softmax_rows(const T* __restrict__ x, T* __restrict__ y, int64_t n, bool vec) {
  using A = std::conditional_t<std::is_same_v<T, double>, double, float>;
  const int64_t row = blockIdx.x;
  const T* xr = x + row * n;
  T* yr = y + row * n;
  MaxSum<A> p{-INFINITY, A(0)};
  if (vec) {
    const Vec<T, N>* xv = reinterpret_cast<const Vec<T, N>*>(xr);
    for (int64_t i = threadIdx.x; i < n / N; i += blockDim.x) {
      Vec<T, N> v = xv[i];
#pragma unroll
      for (int k = 0; k < N; ++k)
        online_add(p, static_cast<A>(to_compute(v.v[k])));
    }
  } else {
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x)
      online_add(p, static_cast<A>(to_compute(xr[i])));
  }
  // Combine within the warp, then across warps through shared memory.
  for (int off = 16; off > 0; off >>= 1) {
    MaxSum<A> o{__shfl_xor_sync(0xffffffffu, p.m, off), __shfl_xor_sync(0xffffffffu, p.s, off)};
    p = combine(p, o);
  }
  __shared__ MaxSum<A> warp_part[kSoftmaxThreads / 32];
  __shared__ MaxSum<A> total;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) warp_part[warp] = p;
  __syncthreads();
  if (threadIdx.x == 0) {
    MaxSum<A> t = warp_part[0];
    for (int w = 1; w < static_cast<int>(blockDim.x / 32); ++w)
      t = combine(t, warp_part[w]);
    total = t;
  }
  __syncthreads();
  const A m = total.m;
  const A inv = A(1) / total.s;
  if (vec) {
    const Vec<T, N>* xv = reinterpret_cast<const Vec<T, N>*>(xr);
    Vec<T, N>* yv = reinterpret_cast<Vec<T, N>*>(yr);
    for (int64_t i = threadIdx.x; i < n / N; i += blockDim.x) {
      Vec<T, N> v = xv[i], o;
#pragma unroll
      for (int k = 0; k < N; ++k)
        o.v[k] = to_storage<T>(exp(static_cast<A>(to_compute(v.v[k])) - m) * inv);
      yv[i] = o;
    }
  } else {
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x)
      yr[i] = to_storage<T>(exp(static_cast<A>(to_compute(xr[i])) - m) * inv);
  }
}

}  // namespace

}  // namespace cuda

void Softmax::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  using namespace cuda;
  auto& enc = cuda::encoder(stream());
  array in = inputs[0];
  array& out = outputs[0];
  void* po = enc.output(out);
  if (out.size() == 0) {
    set_evaluated(outputs);
    return;
  }
  if (!in.flags().row_contiguous) in = contiguous_copy(enc, in);
  const void* pi = enc.input(in);
  const int64_t n = in.ndim() == 0 ? 1 : in.shape().back();
  const int64_t rows = static_cast<int64_t>(in.size()) / n;
  if (rows > INT32_MAX) {
    throw std::invalid_argument(
        "[softmax] Too many rows for the GPU kernel: " + std::to_string(rows) + ".");
  }
  bool done = dispatch(in.dtype(), [&]<typename T>() {
    if constexpr (is_float_v<T>) {
      constexpr int N = 16 / sizeof(T);
      bool vec = n % N == 0 && is_aligned(pi, 16) && is_aligned(po, 16);
      launch(enc, "softmax_rows", softmax_rows<T, N>, dim3(static_cast<unsigned>(rows)),
             dim3(kSoftmaxThreads), 0, static_cast<const T*>(pi), static_cast<T*>(po), n, vec);
      return true;
    } else {
      return false;
    }
  });
  if (!done) {
    throw std::invalid_argument("[softmax] Requires a floating-point input; got " +
                                dtype_name(in.dtype()) + ".");
  }
  set_evaluated(outputs);
}

}  // namespace tandem
