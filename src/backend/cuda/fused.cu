// Copyright © 2026 Tandem authors.
// CUDA kernels of the fused primitives (primitives/fused.h).
//
// Softmax over the last axis: one block per row. Each thread keeps an online (max, sum) pair
// over its strided share of the row (the sum is rescaled whenever the max grows), the block
// combines the pairs, then a second sweep writes exp(x - max) / sum. Two reads and one write of
// each element; rows of up to a few hundred KB stay in L2 between the sweeps. Rows whose length
// and base address allow it are read and written 16 bytes at a time.
//
// RMSNorm and LayerNorm: a warp per row for rows of up to kNormWarpRow elements (8 rows per
// block, reductions by shuffles only), a block of 256 threads per row beyond. Statistics
// accumulate in float (double for float64) over the thread's strided share, then a warp/block
// all-reduce; LayerNorm takes the mean first and then the sum of squared deviations (two-pass,
// as the composition). A last sweep writes the output. The row is read 2 (RMS) or 3 (LayerNorm)
// times; the later sweeps hit L1/L2. With n a multiple of the vector width and 16-byte aligned
// x, output, weight and bias, every access moves 16 bytes of the wider of the two dtypes.
#include <cfloat>
#include <optional>
#include <string>

#include "backend/common/dispatch.h"
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
// -inf elements add nothing; a NaN makes the pair NaN for good. A +inf does too: the CPU (and
// the composition exp(x - max) / sum) gives a row of NaN when the max is +inf (inf - inf in the
// sum), whereas the online update would give 0 for the finite elements of threads that saw the
// +inf and NaN for the others.
template <typename A>
__device__ inline void online_add(MaxSum<A>& p, A x) {
  if (x != x || x == A(INFINITY)) {
    p.m = A(NAN);
    p.s = A(NAN);
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

// ------------------------------ RMSNorm, LayerNorm ------------------------------

namespace cuda {

namespace {

constexpr int kNormThreads = 256;
constexpr int64_t kNormWarpRow = 1024;

template <typename A>
__device__ inline A warp_allsum(A v) {
#pragma unroll
  for (int off = 16; off > 0; off >>= 1)
    v += __shfl_xor_sync(0xffffffffu, v, off);
  return v;
}

/// The sum of v over the threads of a row: the warp, or (kBlock) the whole block.
template <bool kBlock, typename A>
__device__ inline A row_allsum(A v) {
  v = warp_allsum(v);
  if constexpr (kBlock) {
    __shared__ A part[kNormThreads / 32];
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    __syncthreads();  // readers of the previous call are done with `part`
    if (lane == 0) part[warp] = v;
    __syncthreads();
    A t = 0;
#pragma unroll
    for (int i = 0; i < kNormThreads / 32; ++i)
      t += part[i];
    v = t;
  }
  return v;
}

/// One output element: the normalised value rounded to T, then * w and + b in T.
template <typename T, typename A>
__device__ inline T norm_value(A v, A mu, A inv, bool has_w, T w, bool has_b, T b) {
  T t = to_storage<T>((v - mu) * inv);
  if (has_w) t = to_storage<T>(static_cast<A>(to_compute(t)) * static_cast<A>(to_compute(w)));
  if (has_b) t = to_storage<T>(static_cast<A>(to_compute(t)) + static_cast<A>(to_compute(b)));
  return t;
}

template <typename Tx, typename T, int N, bool kBlock, bool kRms>
__global__ void norm_rows(const Tx* __restrict__ x, const T* __restrict__ w,
                          const T* __restrict__ b, T* __restrict__ y, int64_t rows, int64_t n,
                          float eps, bool vec) {
  using A = std::conditional_t<std::is_same_v<T, double>, double, float>;
  int64_t row;
  int lane, stride;
  if constexpr (kBlock) {
    row = blockIdx.x;
    lane = threadIdx.x;
    stride = blockDim.x;
  } else {
    row = static_cast<int64_t>(blockIdx.x) * (blockDim.x / 32) + threadIdx.x / 32;
    lane = threadIdx.x % 32;
    stride = 32;
    if (row >= rows) return;  // the whole warp: no shuffle partner is lost
  }
  const Tx* xr = x + row * n;
  T* yr = y + row * n;
  const bool has_w = w != nullptr, has_b = b != nullptr;
  const int64_t nv = n / N;
  auto xv = reinterpret_cast<const Vec<Tx, N>*>(xr);

  A mu = 0;
  if constexpr (!kRms) {
    A s = 0;
    if (vec) {
      for (int64_t i = lane; i < nv; i += stride) {
        Vec<Tx, N> v = xv[i];
#pragma unroll
        for (int k = 0; k < N; ++k)
          s += static_cast<A>(to_compute(v.v[k]));
      }
    } else {
      for (int64_t i = lane; i < n; i += stride)
        s += static_cast<A>(to_compute(xr[i]));
    }
    mu = row_allsum<kBlock>(s) / static_cast<A>(n);
  }
  A ss = 0;
  if (vec) {
    for (int64_t i = lane; i < nv; i += stride) {
      Vec<Tx, N> v = xv[i];
#pragma unroll
      for (int k = 0; k < N; ++k) {
        A d = static_cast<A>(to_compute(v.v[k])) - mu;
        ss += d * d;
      }
    }
  } else {
    for (int64_t i = lane; i < n; i += stride) {
      A d = static_cast<A>(to_compute(xr[i])) - mu;
      ss += d * d;
    }
  }
  const A inv = A(1) / sqrt(row_allsum<kBlock>(ss) / static_cast<A>(n) + static_cast<A>(eps));

  if (vec) {
    auto yv = reinterpret_cast<Vec<T, N>*>(yr);
    auto wv = reinterpret_cast<const Vec<T, N>*>(w);
    auto bv = reinterpret_cast<const Vec<T, N>*>(b);
    for (int64_t i = lane; i < nv; i += stride) {
      Vec<Tx, N> v = xv[i];
      Vec<T, N> wi, bi, o;
      if (has_w) wi = wv[i];
      if (has_b) bi = bv[i];
#pragma unroll
      for (int k = 0; k < N; ++k) {
        o.v[k] = norm_value<T, A>(static_cast<A>(to_compute(v.v[k])), mu, inv, has_w, wi.v[k],
                                  has_b, bi.v[k]);
      }
      yv[i] = o;
    }
  } else {
    for (int64_t i = lane; i < n; i += stride) {
      yr[i] = norm_value<T, A>(static_cast<A>(to_compute(xr[i])), mu, inv, has_w,
                               has_w ? w[i] : T{}, has_b, has_b ? b[i] : T{});
    }
  }
}

template <bool kRms>
void norm_gpu(const char* op, const Stream& stream, float eps, bool has_w, bool has_b,
              const std::vector<array>& inputs, std::vector<array>& outputs) {
  auto& enc = cuda::encoder(stream);
  array& out = outputs[0];
  void* po = enc.output(out);
  if (out.size() == 0) return;
  auto contiguous = [&](const array& a) {
    return a.flags().row_contiguous ? a : contiguous_copy(enc, a);
  };
  array x = contiguous(inputs[0]);
  std::optional<array> w, b;
  if (has_w) w = contiguous(inputs[1]);
  if (has_b) b = contiguous(inputs[has_w ? 2 : 1]);
  const void* px = enc.input(x);
  const void* pw = w ? enc.input(*w) : nullptr;
  const void* pb = b ? enc.input(*b) : nullptr;
  const int64_t n = x.shape().back();
  const int64_t rows = static_cast<int64_t>(x.size()) / n;
  const bool block = n > kNormWarpRow;
  const int64_t grid = block ? rows : (rows + kNormThreads / 32 - 1) / (kNormThreads / 32);
  if (grid > INT32_MAX) {
    throw std::invalid_argument(std::string("[") + op + "] Too many rows for the GPU kernel: " +
                                std::to_string(rows) + ".");
  }
  auto kernel = [&]<typename Tx, typename T>() {
    constexpr int N = vec_width<Tx, T>();
    constexpr size_t vb = sizeof(T) * N, vbx = sizeof(Tx) * N;
    bool vec = n % N == 0 && is_aligned(px, vbx) && is_aligned(po, vb) &&
               (!pw || is_aligned(pw, vb)) && (!pb || is_aligned(pb, vb));
    auto args = [&](auto kernel, const char* name) {
      launch(enc, name, kernel, dim3(static_cast<unsigned>(grid)), dim3(kNormThreads), 0,
             static_cast<const Tx*>(px), static_cast<const T*>(pw), static_cast<const T*>(pb),
             static_cast<T*>(po), rows, n, eps, vec);
    };
    if (block) {
      args(norm_rows<Tx, T, N, true, kRms>, kRms ? "rms_norm_rows_block" : "layer_norm_rows_block");
    } else {
      args(norm_rows<Tx, T, N, false, kRms>, kRms ? "rms_norm_rows_warp" : "layer_norm_rows_warp");
    }
  };
  bool done = dispatch_norm<__half, __nv_bfloat16>(x.dtype(), out.dtype(), kernel);
  if (!done) {
    throw std::invalid_argument(std::string("[") + op + "] Unsupported dtypes: input " +
                                dtype_name(x.dtype()) + ", output " + dtype_name(out.dtype()) +
                                ".");
  }
}

}  // namespace

}  // namespace cuda

void RMSNorm::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  cuda::norm_gpu<true>("rms_norm", stream(), eps_, has_weight_, false, inputs, outputs);
  cuda::set_evaluated(outputs);
}

void LayerNorm::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  cuda::norm_gpu<false>("layer_norm", stream(), eps_, has_weight_, has_bias_, inputs, outputs);
  cuda::set_evaluated(outputs);
}

}  // namespace tandem
