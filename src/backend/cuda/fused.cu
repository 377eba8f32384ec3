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
//
// ScaledDotProductAttention (used for short query lengths, see fast::scaled_dot_product_attention):
// one block per (query row, split of the keys), kSdpaWarps warps. Each lane holds P elements of
// the (scaled) query and of the output; warp w takes keys w, w + kSdpaWarps, ... of its split,
// U at a time (their rows loaded first): dot products (lanes over D, shuffle all-reduces), the
// mask, then online-softmax updates of the warp's (max, sum, output). The warps combine through
// shared memory. Few rows (decoding) split the keys over several blocks, merged by sdpa_combine.
// Masked positions score the lowest finite value (a row with no key left is uniform, as in the
// composition); -inf scores (additive masks) add nothing; a NaN or +inf score makes the row NaN.
#include <cfloat>
#include <optional>
#include <string>

#include "backend/common/dispatch.h"
#include "backend/common/sdpa.h"
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

// ------------------------------ ScaledDotProductAttention ------------------------------

namespace cuda {

namespace {

constexpr int kSdpaWarps = 8;
constexpr int kSdpaThreads = kSdpaWarps * 32;

struct SdpaParams : SdpaGeometry {
  int split_len;  // keys per block along gridDim.y (a multiple of kSdpaWarps * U)
};

/// One block per (query row, split of the keys). Warp w of split z takes the keys
/// z * split_len + w + kSdpaWarps * n, U at a time: their k and v elements (P per lane) are
/// loaded first, so each warp has U rows in flight, then U dot products (interleaved shuffle
/// all-reduces) and U online-softmax updates of the warp's (max, sum, output), each reading its
/// mask entry. The warps combine through shared memory. With one split the block writes the
/// output (sink in the denominator); with several it writes its (max, sum, unnormalised output)
/// to `part` (row-major (row, split, Dv + 2), accumulation type) for sdpa_combine.
template <typename T, int P, int U>
__global__ void __launch_bounds__(kSdpaThreads)
    sdpa_rows(const T* __restrict__ q, const T* __restrict__ k, const T* __restrict__ v,
              const void* __restrict__ mask, const T* __restrict__ sinks, T* __restrict__ out,
              void* __restrict__ part, SdpaParams p) {
  using A = std::conditional_t<std::is_same_v<T, double>, double, float>;
  const A lowest = std::is_same_v<A, double> ? A(-DBL_MAX) : A(-FLT_MAX);
  const int64_t row = blockIdx.x;  // (b, hq, i) row-major
  const int split = blockIdx.y, splits = gridDim.y;
  const int i = static_cast<int>(row % p.Lq);
  const int hq = static_cast<int>((row / p.Lq) % p.Hq);
  const int64_t b = row / (static_cast<int64_t>(p.Lq) * p.Hq);
  const int hk = hq / p.G;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  A qr[P];
  const T* qp = q + b * p.qs[0] + hq * p.qs[1] + i * p.qs[2];
#pragma unroll
  for (int t = 0; t < P; ++t) {
    const int d = lane + 32 * t;
    qr[t] = d < p.D ? static_cast<A>(to_compute(qp[d * p.qs[3]])) * static_cast<A>(p.scale) : A(0);
  }
  const int lim = i + p.Lk - p.Lq;  // causal: the last key this row sees
  const bool blind = p.causal && lim < 0;
  const int kend = p.causal && !blind ? std::min(p.Lk, lim + 1) : p.Lk;
  const int kbeg = split * p.split_len;
  const int kstop = std::min(kend, kbeg + p.split_len);
  const T* kb = k + b * p.ks[0] + hk * p.ks[1];
  const T* vb = v + b * p.vs[0] + hk * p.vs[1];
  const int64_t moff = b * p.ms[0] + hq * p.ms[1] + i * p.ms[2];
  A m = -INFINITY, l = A(0), o[P];
#pragma unroll
  for (int t = 0; t < P; ++t)
    o[t] = A(0);
  for (int j0 = kbeg + warp; j0 < kstop; j0 += U * kSdpaWarps) {
    A kx[U][P], vx[U][P], s[U];
#pragma unroll
    for (int u = 0; u < U; ++u) {
      const int j = j0 + u * kSdpaWarps;
      const bool in = j < kstop;
      const T* kr = kb + static_cast<int64_t>(in ? j : kbeg) * p.ks[2];
      const T* vr = vb + static_cast<int64_t>(in ? j : kbeg) * p.vs[2];
#pragma unroll
      for (int t = 0; t < P; ++t) {
        const int d = lane + 32 * t;
        kx[u][t] = in && d < p.D ? static_cast<A>(to_compute(kr[d * p.ks[3]])) : A(0);
        vx[u][t] = in && d < p.Dv ? static_cast<A>(to_compute(vr[d * p.vs[3]])) : A(0);
      }
      s[u] = A(0);
    }
#pragma unroll
    for (int u = 0; u < U; ++u)
#pragma unroll
      for (int t = 0; t < P; ++t)
        s[u] += qr[t] * kx[u][t];
#pragma unroll
    for (int off = 16; off > 0; off >>= 1)
#pragma unroll
      for (int u = 0; u < U; ++u)
        s[u] += __shfl_xor_sync(0xffffffffu, s[u], off);
#pragma unroll
    for (int u = 0; u < U; ++u) {
      const int j = j0 + u * kSdpaWarps;
      if (j >= kstop) break;  // the same for every lane of the warp
      A sc = s[u];
      if (blind) {
        sc = lowest;
      } else if (p.mask_kind == 1) {
        if (!static_cast<const bool*>(mask)[moff + j * p.ms[3]]) sc = lowest;
      } else if (p.mask_kind == 2) {
        sc += static_cast<A>(to_compute(static_cast<const T*>(mask)[moff + j * p.ms[3]]));
      }
      // A NaN score makes the warp's (max, sum, output) NaN for good (as the composition's row
      // of NaN); without the NaN test, a NaN seen while m is -inf would leave m == -inf and be
      // dropped when the warps combine.
      if (sc > m || sc != sc) {
        const A c = exp(m - sc);  // 0 when m is still -inf
        l *= c;
#pragma unroll
        for (int t = 0; t < P; ++t)
          o[t] *= c;
        m = sc;
      }
      const A e = sc == -INFINITY ? A(0) : exp(sc - m);
      l += e;
#pragma unroll
      for (int t = 0; t < P; ++t)
        o[t] += e * vx[u][t];
    }
  }
  __shared__ A wm[kSdpaWarps], wl[kSdpaWarps];
  __shared__ A wo[kSdpaWarps][32 * P];
  if (lane == 0) {
    wm[warp] = m;
    wl[warp] = l;
  }
#pragma unroll
  for (int t = 0; t < P; ++t)
    wo[warp][lane + 32 * t] = o[t];
  __syncthreads();
  // A warp that saw no key (or only -inf scores) has m == -inf and adds nothing. A warp's NaN
  // max makes M, and so L and the row, NaN; with several splits it must reach sdpa_combine as a
  // NaN max, not as the -inf of a split without keys (which the combination skips).
  A M = -INFINITY;
  for (int w = 0; w < kSdpaWarps; ++w)
    M = wm[w] > M || wm[w] != wm[w] ? wm[w] : M;
  if (splits == 1) {
    A sink = A(0);
    if (sinks != nullptr) {
      sink = static_cast<A>(to_compute(sinks[hq]));
      M = sink > M ? sink : M;
    }
    // A row of only -inf scores and no sink ends as 0 / 0 = NaN, like the composition's softmax;
    // no keys at all (Lk == 0) give zeros.
    A L = sinks != nullptr ? exp(sink - M) : A(0);
    for (int w = 0; w < kSdpaWarps; ++w)
      if (wm[w] != -INFINITY) L += wl[w] * exp(wm[w] - M);
    T* orow = out + row * p.Dv;
    for (int d = threadIdx.x; d < p.Dv; d += blockDim.x) {
      A acc = A(0);
      for (int w = 0; w < kSdpaWarps; ++w)
        if (wm[w] != -INFINITY) acc += wo[w][d] * exp(wm[w] - M);
      orow[d] = to_storage<T>(p.Lk == 0 ? A(0) : acc / L);
    }
    return;
  }
  // Several splits: this block's partial result, relative to its own max M.
  A* pr = static_cast<A*>(part) + (row * splits + split) * static_cast<int64_t>(p.Dv + 2);
  if (threadIdx.x == 0) {
    A L = A(0);
    for (int w = 0; w < kSdpaWarps; ++w)
      if (wm[w] != -INFINITY) L += wl[w] * exp(wm[w] - M);
    pr[0] = M;
    pr[1] = L;
  }
  for (int d = threadIdx.x; d < p.Dv; d += blockDim.x) {
    A acc = A(0);
    for (int w = 0; w < kSdpaWarps; ++w)
      if (wm[w] != -INFINITY) acc += wo[w][d] * exp(wm[w] - M);
    pr[2 + d] = acc;
  }
}

/// The splits of each row combined: one block per query row, the same arithmetic as the warps'
/// combination in sdpa_rows (a split with no key has max -inf and adds nothing; a NaN max makes
/// the row NaN).
template <typename T>
__global__ void __launch_bounds__(kSdpaThreads)
    sdpa_combine(const void* __restrict__ part, const T* __restrict__ sinks, T* __restrict__ out,
                 int splits, int Hq, int Lq, int Dv) {
  using A = std::conditional_t<std::is_same_v<T, double>, double, float>;
  const int64_t row = blockIdx.x;
  const int hq = static_cast<int>((row / Lq) % Hq);
  const A* pr = static_cast<const A*>(part) + row * splits * static_cast<int64_t>(Dv + 2);
  A M = -INFINITY;
  for (int z = 0; z < splits; ++z) {
    const A mz = pr[z * (Dv + 2)];
    M = mz > M || mz != mz ? mz : M;
  }
  A sink = A(0);
  if (sinks != nullptr) {
    sink = static_cast<A>(to_compute(sinks[hq]));
    M = sink > M ? sink : M;
  }
  A L = sinks != nullptr ? exp(sink - M) : A(0);
  for (int z = 0; z < splits; ++z) {
    const A mz = pr[z * (Dv + 2)];
    if (mz != -INFINITY) L += pr[z * (Dv + 2) + 1] * exp(mz - M);
  }
  T* orow = out + row * Dv;
  for (int d = threadIdx.x; d < Dv; d += blockDim.x) {
    A acc = A(0);
    for (int z = 0; z < splits; ++z) {
      const A mz = pr[z * (Dv + 2)];
      if (mz != -INFINITY) acc += pr[z * (Dv + 2) + 2 + d] * exp(mz - M);
    }
    orow[d] = to_storage<T>(acc / L);
  }
}

}  // namespace

}  // namespace cuda

void ScaledDotProductAttention::eval_gpu(const std::vector<array>& inputs,
                                         std::vector<array>& outputs) {
  using namespace cuda;
  auto& enc = cuda::encoder(stream());
  array& out = outputs[0];
  void* po = enc.output(out);
  if (out.size() == 0) {
    set_evaluated(outputs);
    return;
  }
  const array &q = inputs[0], &k = inputs[1], &v = inputs[2];
  const array* mask = has_mask_ ? &inputs[3] : nullptr;
  std::optional<array> sinks;
  if (has_sinks_) {
    sinks = inputs[has_mask_ ? 4 : 3];
    if (!sinks->flags().row_contiguous) sinks = contiguous_copy(enc, *sinks);
  }
  SdpaParams p{};
  static_cast<SdpaGeometry&>(p) = sdpa_geometry(q, k, v, mask, scale_, causal_);
  const int widest = std::max(p.D, p.Dv);
  if (widest > 256) {
    throw std::invalid_argument(
        "[scaled_dot_product_attention] The GPU kernel takes head dimensions up to 256; got " +
        std::to_string(p.D) + " and " + std::to_string(p.Dv) + ".");
  }
  const int64_t rows = static_cast<int64_t>(q.shape(0)) * p.Hq * p.Lq;
  if (rows > INT32_MAX) {
    throw std::invalid_argument(
        "[scaled_dot_product_attention] Too many query rows for the GPU "
        "kernel: " +
        std::to_string(rows) + ".");
  }
  const bool dbl = q.dtype() == float64;
  // Keys per iteration of a warp (U rows in flight), and the splits of the keys: with few query
  // rows (decoding) a block per row would leave most multiprocessors idle and each block
  // reading its whole key range alone, so the keys are cut into splits of at least 256 keys
  // until there are about 4 blocks per multiprocessor; sdpa_combine then merges the splits.
  const int U = dbl || widest > 128 ? 2 : 4;  // as kU below (fewer rows in flight: fewer registers)
  const int64_t target = 4 * static_cast<int64_t>(multiprocessor_count(enc.device()));
  const int64_t max_splits = std::max<int64_t>(1, p.Lk / 256);
  int splits = static_cast<int>(std::clamp<int64_t>((target + rows - 1) / rows, int64_t{1},
                                                    std::min<int64_t>(max_splits, 65535)));
  const int64_t step = static_cast<int64_t>(U) * kSdpaWarps;
  int64_t split_len = (std::max(p.Lk, 1) + splits - 1) / splits;
  split_len = (split_len + step - 1) / step * step;
  splits = static_cast<int>((std::max(p.Lk, 1) + split_len - 1) / split_len);
  p.split_len = static_cast<int>(split_len);
  void* pp = nullptr;
  std::optional<array> part;
  if (splits > 1) {
    part =
        enc.temporary(Shape{static_cast<int>(rows * splits * (p.Dv + 2))}, dbl ? float64 : float32);
    pp = enc.input(*part);
  }
  const void* pq = enc.input(q);
  const void* pk = enc.input(k);
  const void* pv = enc.input(v);
  const void* pm = mask ? enc.input(*mask) : nullptr;
  const void* ps = sinks ? enc.input(*sinks) : nullptr;
  const dim3 grid(static_cast<unsigned>(rows), static_cast<unsigned>(splits));
  bool done = dispatch(q.dtype(), [&]<typename T>() {
    if constexpr (is_float_v<T>) {
      constexpr int kU = std::is_same_v<T, double> ? 2 : 4;
      auto go = [&](auto kernel) {
        launch(enc, "sdpa_rows", kernel, grid, dim3(kSdpaThreads), 0, static_cast<const T*>(pq),
               static_cast<const T*>(pk), static_cast<const T*>(pv), pm, static_cast<const T*>(ps),
               static_cast<T*>(po), pp, p);
      };
      if (widest <= 32) {
        go(sdpa_rows<T, 1, kU>);
      } else if (widest <= 64) {
        go(sdpa_rows<T, 2, kU>);
      } else if (widest <= 128) {
        go(sdpa_rows<T, 4, kU>);
      } else {
        go(sdpa_rows<T, 8, 2>);
      }
      if (splits > 1) {
        launch(enc, "sdpa_combine", sdpa_combine<T>, dim3(static_cast<unsigned>(rows)),
               dim3(kSdpaThreads), 0, static_cast<const void*>(pp), static_cast<const T*>(ps),
               static_cast<T*>(po), splits, p.Hq, p.Lq, p.Dv);
      }
      return true;
    } else {
      return false;
    }
  });
  if (!done) {
    throw std::invalid_argument(
        "[scaled_dot_product_attention] Requires floating-point inputs; "
        "got " +
        dtype_name(q.dtype()) + ".");
  }
  set_evaluated(outputs);
}

}  // namespace tandem
