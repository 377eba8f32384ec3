// Copyright © 2026 Tandem authors.
// CUDA kernels of Reduce and ArgReduce.
//
// Reduce works on a row-contiguous input (strided inputs are copied first). As on the CPU
// (backend/cpu/reduce.cpp), adjacent axes of the same kind are merged into groups; the kept
// groups index the outputs, the reduced groups the elements each output combines. The last group
// decides the kernel:
//  - last group reduced (row reduction): a warp (short rows) or a block (long rows) per output,
//    its threads reading consecutive elements;
//  - last group kept (column reduction): a thread per output, consecutive threads reading
//    consecutive columns.
// When there are few outputs and many elements each, the elements are split into chunks over
// gridDim.y; a second pass combines the per-chunk partial results (in the accumulator type).
// The reduction operators mirror the CPU's (same identities, NaN propagation, complex ordering);
// they are written again here because the CPU's live in its .cpp file.
#include <limits>

#include "backend/common/wrapping.h"
#include "backend/cpu/strided.h"
#include "backend/cuda/copy.h"
#include "backend/cuda/kernels.cuh"
#include "primitives/primitives.h"

namespace tandem {

namespace cuda {

namespace {

template <typename T>
__device__ inline bool is_nan_value(T v) {
  if constexpr (std::is_floating_point_v<T>) {
    return std::isnan(v);
  } else if constexpr (is_complex_v<T>) {
    return std::isnan(v.real()) || std::isnan(v.imag());
  } else {
    return false;
  }
}

template <typename T>
__device__ inline bool less_than(T a, T b) {
  if constexpr (is_complex_v<T>) {
    return a.real() < b.real() || (a.real() == b.real() && a.imag() < b.imag());
  } else {
    return a < b;
  }
}

template <typename A>
struct SumR {
  using acc_t = A;
  __device__ static A init() { return A(0); }
  __device__ static A apply(A a, A b) {
    if constexpr (std::is_same_v<A, bool>) {
      return a || b;
    } else {
      return wrap_add(a, b);
    }
  }
};
template <typename A>
struct ProdR {
  using acc_t = A;
  __device__ static A init() { return A(1); }
  __device__ static A apply(A a, A b) {
    if constexpr (std::is_same_v<A, bool>) {
      return a && b;
    } else {
      return wrap_mul(a, b);
    }
  }
};
template <typename A>
struct MaxR {
  using acc_t = A;
  __device__ static A init() {
    if constexpr (std::is_floating_point_v<A>) {
      return -std::numeric_limits<A>::infinity();
    } else if constexpr (is_complex_v<A>) {
      return A(-std::numeric_limits<float>::infinity(), 0.0f);
    } else {
      return std::numeric_limits<A>::lowest();
    }
  }
  // NaN propagates: once the accumulator is NaN it stays NaN.
  __device__ static A apply(A acc, A x) {
    return (less_than(acc, x) || is_nan_value(x)) ? (is_nan_value(acc) ? acc : x) : acc;
  }
};
template <typename A>
struct MinR {
  using acc_t = A;
  __device__ static A init() {
    if constexpr (std::is_floating_point_v<A>) {
      return std::numeric_limits<A>::infinity();
    } else if constexpr (is_complex_v<A>) {
      return A(std::numeric_limits<float>::infinity(), 0.0f);
    } else {
      return std::numeric_limits<A>::max();
    }
  }
  __device__ static A apply(A acc, A x) {
    return (less_than(x, acc) || is_nan_value(x)) ? (is_nan_value(acc) ? acc : x) : acc;
  }
};
struct AndR {
  using acc_t = bool;
  __device__ static bool init() { return true; }
  __device__ static bool apply(bool a, bool b) { return a && b; }
};
struct OrR {
  using acc_t = bool;
  __device__ static bool init() { return false; }
  __device__ static bool apply(bool a, bool b) { return a || b; }
};

// A value of any (trivially copyable) type exchanged across a warp, 4 bytes at a time.
template <typename T>
__device__ inline T shfl_xor(T v, int mask) {
  constexpr int W = (sizeof(T) + 3) / 4;
  uint32_t w[W] = {};
  memcpy(w, &v, sizeof(T));
#pragma unroll
  for (int k = 0; k < W; ++k)
    w[k] = __shfl_xor_sync(0xffffffffu, w[k], mask);
  T r;
  memcpy(&r, w, sizeof(T));
  return r;
}

template <typename Op, typename A>
__device__ inline A warp_reduce(A v) {
#pragma unroll
  for (int m = 16; m > 0; m >>= 1)
    v = Op::apply(v, shfl_xor(v, m));
  return v;
}

// Whole-block reduction; the result is valid in thread 0. Every thread of the block must call it.
template <typename Op, typename A>
__device__ inline A block_reduce(A v) {
  alignas(16) __shared__ unsigned char buf[32 * 16];
  A* sh = reinterpret_cast<A*>(buf);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int nwarps = (blockDim.x + 31) / 32;
  v = warp_reduce<Op>(v);
  if (lane == 0) sh[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = lane < nwarps ? sh[lane] : Op::init();
    v = warp_reduce<Op>(v);
  }
  __syncthreads();  // `buf` is reused by the next call
  return v;
}

template <typename A, typename T>
__device__ inline A load_as(T v) {
  return static_cast<A>(to_compute(v));
}

// Offset of reduced element r (the single-group case needs no division).
__device__ inline int64_t reduced_offset(int64_t r, const StridedArgs<1>& red) {
  if (red.ndim == 1) return r * red.strides[0][0];
  int64_t off[1];
  locate(static_cast<uint64_t>(r), red, off);
  return off[0];
}

// Row reduction: a block (whole_block, uniform over the grid) or a warp per output; chunk
// blockIdx.y of the R elements. out[o * gridDim.y + blockIdx.y] receives the result.
template <typename Op, typename In, typename Out>
__global__ void row_reduce_kernel(const In* in, Out* out, int64_t n_out, StridedArgs<1> kept,
                                  StridedArgs<1> red, int64_t R, int64_t chunk, bool whole_block) {
  using A = typename Op::acc_t;
  const int lanes = whole_block ? blockDim.x : 32;
  const int lane = whole_block ? threadIdx.x : threadIdx.x % 32;
  const int64_t per_block = whole_block ? 1 : blockDim.x / 32;
  const int64_t first =
      static_cast<int64_t>(blockIdx.x) * per_block + (whole_block ? 0 : threadIdx.x / 32);
  const int64_t c = blockIdx.y;
  const int64_t r0 = c * chunk;
  const int64_t r1 = r0 + chunk < R ? r0 + chunk : R;
  for (int64_t o = first; o < n_out; o += static_cast<int64_t>(gridDim.x) * per_block) {
    int64_t base[1];
    locate(static_cast<uint64_t>(o), kept, base);
    A acc = Op::init();
    for (int64_t r = r0 + lane; r < r1; r += lanes) {
      acc = Op::apply(acc, load_as<A>(in[base[0] + reduced_offset(r, red)]));
    }
    if (whole_block) {
      acc = block_reduce<Op>(acc);  // every thread of the block has the same `o`
    } else {
      acc = warp_reduce<Op>(acc);
    }
    if (lane == 0) out[o * gridDim.y + c] = to_storage<Out>(acc);
  }
}

// Column reduction: a thread per output; chunk blockIdx.y of the R elements.
// out[blockIdx.y * n_out + o] receives the result.
template <typename Op, typename In, typename Out>
__global__ void col_reduce_kernel(const In* in, Out* out, int64_t n_out, StridedArgs<1> kept,
                                  StridedArgs<1> red, int64_t R, int64_t chunk) {
  using A = typename Op::acc_t;
  const int64_t c = blockIdx.y;
  const int64_t r0 = c * chunk;
  const int64_t r1 = r0 + chunk < R ? r0 + chunk : R;
  for (int64_t o = global_thread(); o < n_out; o += grid_threads()) {
    int64_t base[1];
    locate(static_cast<uint64_t>(o), kept, base);
    A acc = Op::init();
    for (int64_t r = r0; r < r1; ++r) {
      acc = Op::apply(acc, load_as<A>(in[base[0] + reduced_offset(r, red)]));
    }
    out[c * n_out + o] = to_storage<Out>(acc);
  }
}

// Thread safe (two threads may evaluate on different streams at once): runtime.h.
int sm_count(int device) {
  return multiprocessor_count(device);
}

// The reduction's geometry: kept and reduced groups with their strides in the (row-contiguous)
// input, at most kMaxDims of each.
struct Geometry {
  Shape kept_shape, red_shape;
  Strides kept_strides, red_strides;
  bool row;  // the innermost group is reduced
  int64_t n_out, R;
};

template <typename Op, typename In, typename Out>
void launch_pass(Encoder& enc, const In* in, Out* out, const Geometry& g, int64_t nchunks) {
  auto kept = make_strided_args<1>(g.kept_shape, {g.kept_strides});
  auto red = make_strided_args<1>(g.red_shape, {g.red_strides});
  const int64_t chunk = (g.R + nchunks - 1) / nchunks;
  if (g.row) {
    if (g.R > 1024 || nchunks > 1) {
      dim3 grid(blocks_for(g.n_out, 1), static_cast<unsigned>(nchunks));
      launch(enc, "row_reduce", row_reduce_kernel<Op, In, Out>, grid, kThreads, 0, in, out, g.n_out,
             kept, red, g.R, chunk, true);
    } else {
      constexpr int per_block = kThreads / 32;
      dim3 grid(blocks_for(g.n_out, per_block), 1);
      launch(enc, "row_reduce", row_reduce_kernel<Op, In, Out>, grid, kThreads, 0, in, out, g.n_out,
             kept, red, g.R, chunk, false);
    }
  } else {
    dim3 grid(blocks_for(g.n_out), static_cast<unsigned>(nchunks));
    launch(enc, "col_reduce", col_reduce_kernel<Op, In, Out>, grid, kThreads, 0, in, out, g.n_out,
           kept, red, g.R, chunk);
  }
}

template <typename Op, typename T, typename U>
void reduce_run(Encoder& enc, const T* in, U* out, const Geometry& g) {
  using A = typename Op::acc_t;
  // Split the elements of each output into chunks when there are too few outputs to fill the GPU.
  const int64_t target_blocks = 4 * static_cast<int64_t>(sm_count(enc.device()));
  int64_t nchunks = 1;
  if (g.row) {
    if (g.R > 1024 && g.n_out < target_blocks) {
      nchunks = std::min<int64_t>((target_blocks + g.n_out - 1) / g.n_out, (g.R + 2047) / 2048);
    }
  } else {
    int64_t blocks_x = (g.n_out + kThreads - 1) / kThreads;
    if (blocks_x < target_blocks && g.R >= 64) {
      nchunks = std::min<int64_t>((target_blocks + blocks_x - 1) / blocks_x, (g.R + 31) / 32);
    }
  }
  nchunks = std::max<int64_t>(1, std::min<int64_t>(nchunks, 65535));
  if (nchunks == 1) {
    launch_pass<Op, T, U>(enc, in, out, g, 1);
    return;
  }
  // Pass 1: partial results per (output, chunk) in the accumulator type; pass 2 combines them.
  array part = enc.temporary(Shape{static_cast<int32_t>(g.n_out * nchunks)}, dtype_of_device<A>());
  A* pp = static_cast<A*>(enc.input(part));
  launch_pass<Op, T, A>(enc, in, pp, g, nchunks);
  Geometry g2;
  g2.row = g.row;
  g2.n_out = g.n_out;
  g2.R = nchunks;
  g2.kept_shape = {static_cast<int32_t>(g.n_out)};
  g2.red_shape = {static_cast<int32_t>(nchunks)};
  if (g.row) {  // part[o * nchunks + c]
    g2.kept_strides = {nchunks};
    g2.red_strides = {1};
  } else {  // part[c * n_out + o]
    g2.kept_strides = {1};
    g2.red_strides = {g.n_out};
  }
  launch_pass<Op, A, U>(enc, pp, out, g2, 1);
}

template <typename T, typename U>
void reduce_typed(Encoder& enc, ReduceOp op, const T* in, U* out, const Geometry& g) {
  using A = std::conditional_t<is_half_v<U>, float, U>;
  switch (op) {
    case ReduceOp::Sum:
    case ReduceOp::Prod:
      if constexpr (!std::is_same_v<U, bool>) {
        if (op == ReduceOp::Sum) return reduce_run<SumR<A>, T, U>(enc, in, out, g);
        return reduce_run<ProdR<A>, T, U>(enc, in, out, g);
      }
      break;
    case ReduceOp::Max:
    case ReduceOp::Min:
      if constexpr (std::is_same_v<T, U>) {
        if (op == ReduceOp::Max) return reduce_run<MaxR<A>, T, U>(enc, in, out, g);
        return reduce_run<MinR<A>, T, U>(enc, in, out, g);
      }
      break;
    case ReduceOp::And:
    case ReduceOp::Or:
      if constexpr (std::is_same_v<T, bool> && std::is_same_v<U, bool>) {
        if (op == ReduceOp::And) return reduce_run<AndR, T, U>(enc, in, out, g);
        return reduce_run<OrR, T, U>(enc, in, out, g);
      }
      break;
  }
  throw std::logic_error("[Reduce] Unexpected dtypes " + dtype_name(dtype_of_device<T>()) + " -> " +
                         dtype_name(dtype_of_device<U>()) + " for this reduction.");
}

// Groups of adjacent dims of the same kind (extent-1 dims dropped), as on the CPU.
struct Group {
  int64_t extent;
  bool reduced;
};

}  // namespace

}  // namespace cuda

void Reduce::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
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
  std::vector<Group> g;
  size_t k = 0;
  for (int d = 0; d < in.ndim(); ++d) {
    bool red = k < axes_.size() && axes_[k] == d;
    if (red) ++k;
    int64_t e = in.shape()[d];
    if (e == 1) continue;
    // The kernels hold extents in int32 (StridedArgs): a group stops before it would pass
    // INT32_MAX, and the next dim of the same kind starts a new group.
    if (!g.empty() && g.back().reduced == red && g.back().extent * e <= int64_t(INT32_MAX)) {
      g.back().extent *= e;
    } else {
      g.push_back({e, red});
    }
  }
  if (g.empty()) g.push_back({1, true});
  // Strides of the groups in the row-contiguous input.
  std::vector<int64_t> gs(g.size());
  int64_t s = 1;
  for (int i = static_cast<int>(g.size()) - 1; i >= 0; --i) {
    gs[i] = s;
    s *= g[i].extent;
  }
  Geometry geo;
  geo.n_out = 1;
  geo.R = 1;
  for (size_t i = 0; i < g.size(); ++i) {
    if (g[i].reduced) {
      geo.red_shape.push_back(static_cast<int32_t>(g[i].extent));
      geo.red_strides.push_back(gs[i]);
      geo.R *= g[i].extent;
    } else {
      geo.kept_shape.push_back(static_cast<int32_t>(g[i].extent));
      geo.kept_strides.push_back(gs[i]);
      geo.n_out *= g[i].extent;
    }
  }
  geo.row = g.back().reduced;
  if (in.size() == 0) {
    // Every output takes the identity. No element is read, so the kept offsets are all 0: one
    // dim of extent 1 and stride 0 gives offset 0 for any output index (an extent of out.size()
    // would not fit the kernels' int32 extents beyond 2^31 - 1 outputs).
    geo.kept_shape = {1};
    geo.kept_strides = {0};
    geo.n_out = static_cast<int64_t>(out.size());
    geo.red_shape = {1};
    geo.red_strides = {0};
    geo.R = 0;
    geo.row = true;
  }
  const void* pi = enc.input(in);
  if (geo.kept_shape.size() > static_cast<size_t>(kMaxDims) ||
      geo.red_shape.size() > static_cast<size_t>(kMaxDims)) {
    // Too many alternating groups for one kernel: copy with the kept groups first and the
    // reduced groups last, which is one row reduction.
    Shape pshape = geo.kept_shape;
    pshape.insert(pshape.end(), geo.red_shape.begin(), geo.red_shape.end());
    Strides pstr = geo.kept_strides;
    pstr.insert(pstr.end(), geo.red_strides.begin(), geo.red_strides.end());
    array tmp = enc.temporary(pshape, in.dtype());
    copy_general(enc, pi, in.dtype(), pstr, enc.input(tmp), in.dtype(), row_major_strides(pshape),
                 pshape);
    in = tmp;
    pi = enc.input(in);
    if (geo.R > INT32_MAX || geo.n_out > INT32_MAX) {
      throw std::invalid_argument("[Reduce] Too many elements for a reduction over " +
                                  std::to_string(g.size()) + " alternating axis groups.");
    }
    geo.kept_shape = {static_cast<int32_t>(geo.n_out)};
    geo.kept_strides = {geo.R};
    geo.red_shape = {static_cast<int32_t>(geo.R)};
    geo.red_strides = {1};
    geo.row = true;
  }
  if (geo.kept_shape.empty()) {
    geo.kept_shape = {1};
    geo.kept_strides = {0};
  }
  if (geo.red_shape.empty()) {
    geo.red_shape = {1};
    geo.red_strides = {0};
  }
  cuda::dispatch(in.dtype(), [&]<typename T>() {
    const T* src = static_cast<const T*>(pi);
    if (out.dtype() == in.dtype()) {
      reduce_typed<T, T>(enc, op_, src, static_cast<T*>(po), geo);
    } else if constexpr (std::is_integral_v<T>) {
      if (out.dtype() == int32)
        return reduce_typed<T, int32_t>(enc, op_, src, static_cast<int32_t*>(po), geo);
      if (out.dtype() == uint32)
        return reduce_typed<T, uint32_t>(enc, op_, src, static_cast<uint32_t*>(po), geo);
      throw std::logic_error("[Reduce] Unexpected output dtype " + dtype_name(out.dtype()));
    } else {
      throw std::logic_error("[Reduce] Unexpected output dtype " + dtype_name(out.dtype()));
    }
  });
  set_evaluated(outputs);
}

// ---------------- ArgReduce ----------------

namespace {

// The better of two candidates (value, index): the first NaN wins (as NumPy), then the larger
// (smaller) value, then the lower index. An index of UINT32_MAX marks "no candidate".
template <typename C>
struct Cand {
  C v;
  uint32_t i;
};

template <typename C>
__device__ inline Cand<C> better(Cand<C> a, Cand<C> b, bool is_max) {
  if (a.i == 0xffffffffu) return b;
  if (b.i == 0xffffffffu) return a;
  bool na = cuda::is_nan_value(a.v), nb = cuda::is_nan_value(b.v);
  if (na || nb) {
    if (na && nb) return a.i < b.i ? a : b;
    return na ? a : b;
  }
  if (is_max ? a.v > b.v : a.v < b.v) return a;
  if (is_max ? b.v > a.v : b.v < a.v) return b;
  return a.i < b.i ? a : b;
}

// kWarp: a warp per output (the axis is contiguous); else a thread per output.
template <typename T, bool kWarp>
__global__ void argreduce_kernel(const T* in, uint32_t* out, int64_t n_out,
                                 cuda::StridedArgs<1> outer, int64_t n, int64_t ax_stride,
                                 bool is_max) {
  using C = cuda::compute_t<T>;
  const int lanes = kWarp ? 32 : 1;
  const int lane = kWarp ? threadIdx.x % 32 : 0;
  const int64_t per_block = kWarp ? blockDim.x / 32 : blockDim.x;
  const int64_t first =
      static_cast<int64_t>(blockIdx.x) * per_block + (kWarp ? threadIdx.x / 32 : threadIdx.x);
  for (int64_t o = first; o < n_out; o += static_cast<int64_t>(gridDim.x) * per_block) {
    int64_t base[1];
    cuda::locate(static_cast<uint64_t>(o), outer, base);
    Cand<C> best{C(0), 0xffffffffu};
    for (int64_t i = lane; i < n; i += lanes) {
      Cand<C> c{cuda::to_compute(in[base[0] + i * ax_stride]), static_cast<uint32_t>(i)};
      best = better(best, c, is_max);
      if (!kWarp && cuda::is_nan_value(best.v)) break;  // the first NaN: done
    }
    if constexpr (kWarp) {
#pragma unroll
      for (int m = 16; m > 0; m >>= 1) {
        Cand<C> other{cuda::shfl_xor(best.v, m), cuda::shfl_xor(best.i, m)};
        best = better(best, other, is_max);
      }
    }
    if (lane == 0) out[o] = best.i == 0xffffffffu ? 0u : best.i;
  }
}

}  // namespace

void ArgReduce::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  auto& enc = cuda::encoder(stream());
  array in = inputs[0];
  array& out = outputs[0];
  uint32_t* dst = static_cast<uint32_t*>(enc.output(out));
  if (out.size() == 0) {
    cuda::set_evaluated(outputs);
    return;
  }
  if (in.dtype() == complex64) {
    throw std::invalid_argument("[argmax] Not supported for complex64.");
  }
  auto geometry = [&](Shape& oshape, std::vector<Strides>& istr) {
    oshape.clear();
    istr = {Strides{}};
    for (int d = 0; d < in.ndim(); ++d) {
      if (d == axis_) continue;
      oshape.push_back(in.shape()[d]);
      istr[0].push_back(in.strides()[d]);
    }
    oshape = cpu::collapse_dims(oshape, istr);
  };
  Shape oshape;
  std::vector<Strides> istr;
  geometry(oshape, istr);
  if (oshape.size() > static_cast<size_t>(cuda::kMaxDims)) {
    in = cuda::contiguous_copy(enc, in);
    geometry(oshape, istr);
  }
  const void* src = enc.input(in);
  const int64_t n = in.shape()[axis_];
  const int64_t ax_stride = in.strides()[axis_];
  const int64_t n_out = static_cast<int64_t>(out.size());
  auto args = cuda::make_strided_args<1>(oshape, istr);
  const bool is_max = op_ == ArgReduceOp::ArgMax;
  cuda::dispatch(in.dtype(), [&]<typename T>() {
    if constexpr (cuda::is_complex_v<T>) {
      throw std::invalid_argument("[argmax] Not supported for complex64.");
    } else {
      const T* p = static_cast<const T*>(src);
      if (ax_stride == 1 && n >= 64) {
        constexpr int per_block = cuda::kThreads / 32;
        cuda::launch(enc, "argreduce", argreduce_kernel<T, true>,
                     cuda::blocks_for(n_out, per_block), cuda::kThreads, 0, p, dst, n_out, args, n,
                     ax_stride, is_max);
      } else {
        cuda::launch(enc, "argreduce", argreduce_kernel<T, false>, cuda::blocks_for(n_out),
                     cuda::kThreads, 0, p, dst, n_out, args, n, ax_stride, is_max);
      }
    }
  });
  cuda::set_evaluated(outputs);
}

}  // namespace tandem
