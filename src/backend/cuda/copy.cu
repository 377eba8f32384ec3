// Copyright © 2026 Tandem authors.
// Copies and conversions between layouts and dtypes on the GPU, and the Arange and Select
// kernels. Contiguous conversions move 16 bytes per thread; strided copies walk the collapsed
// dimensions; copies that move bits unchanged and contiguously are cudaMemcpyAsync.
#include "backend/cpu/strided.h"
#include "backend/cuda/copy.h"
#include "backend/cuda/kernels.cuh"
#include "primitives/primitives.h"

namespace tandem {

namespace cuda {

namespace {

template <typename In, typename Out>
__global__ void convert_contiguous_kernel(const In* in, Out* out, int64_t n, bool vec) {
  constexpr int N = vec_width<In, Out>();
  const int64_t step = grid_threads() * N;
  for (int64_t base = global_thread() * N; base < n; base += step) {
    if (vec && base + N <= n) {
      Vec<In, N> a = *reinterpret_cast<const Vec<In, N>*>(in + base);
      Vec<Out, N> o;
#pragma unroll
      for (int k = 0; k < N; ++k)
        o.v[k] = convert<Out>(a.v[k]);
      *reinterpret_cast<Vec<Out, N>*>(out + base) = o;
    } else {
      for (int k = 0; k < N && base + k < n; ++k)
        out[base + k] = convert<Out>(in[base + k]);
    }
  }
}

template <typename In, typename Out>
__global__ void copy_strided_kernel(const In* in, Out* out, int64_t n, StridedArgs<2> p) {
  for (int64_t i = global_thread(); i < n; i += grid_threads()) {
    int64_t off[2];
    locate(static_cast<uint64_t>(i), p, off);
    out[off[1]] = convert<Out>(in[off[0]]);
  }
}

// Same bits in both dtypes: the copy moves bytes.
bool same_bits(Dtype a, Dtype b) {
  return a == b ||
         (a.size == b.size && !is_inexact(a) && !is_inexact(b) && a != bool_ && b != bool_);
}

template <typename F>
void dispatch_pair(Dtype st, Dtype dt, F&& f) {
  if (same_bits(st, dt)) {
    dispatch_by_size(st.size, [&]<typename T>() { f.template operator()<T, T>(); });
    return;
  }
  dispatch(st, [&]<typename In>() {
    dispatch(dt, [&]<typename Out>() {
      // Equal types have the same bits and took the branch above.
      if constexpr (!std::is_same_v<In, Out>) f.template operator()<In, Out>();
    });
  });
}

void copy_collapsed(Encoder& enc, const char* src, Dtype st, void* dst, Dtype dt,
                    const Shape& shape, const std::vector<Strides>& strides, size_t n) {
  auto args = make_strided_args<2>(shape, strides);
  dispatch_pair(st, dt, [&]<typename In, typename Out>() {
    launch(enc, "copy_strided", copy_strided_kernel<In, Out>, blocks_for(n), kThreads, 0,
           reinterpret_cast<const In*>(src), static_cast<Out*>(dst), static_cast<int64_t>(n), args);
  });
}

}  // namespace

void copy_contiguous(Encoder& enc, const void* src, Dtype st, void* dst, Dtype dt, size_t n) {
  if (n == 0) return;
  if (same_bits(st, dt)) {
    if (src != dst) {
      TANDEM_CUDA_CHECK(
          cudaMemcpyAsync(dst, src, n * st.size, cudaMemcpyDeviceToDevice, enc.stream()));
      enc.count_op();
    }
    return;
  }
  dispatch(st, [&]<typename In>() {
    dispatch(dt, [&]<typename Out>() {
      if constexpr (!std::is_same_v<In, Out>) {  // equal types have the same bits: above
        constexpr int N = vec_width<In, Out>();
        bool vec = is_aligned(src, sizeof(In) * N) && is_aligned(dst, sizeof(Out) * N);
        int64_t work = (static_cast<int64_t>(n) + N - 1) / N;
        launch(enc, "convert_contiguous", convert_contiguous_kernel<In, Out>, blocks_for(work),
               kThreads, 0, static_cast<const In*>(src), static_cast<Out*>(dst),
               static_cast<int64_t>(n), vec);
      }
    });
  });
}

void copy_general(Encoder& enc, const void* src, Dtype st, const Strides& src_strides, void* dst,
                  Dtype dt, const Strides& dst_strides, const Shape& shape) {
  size_t n = shape_size(shape);
  if (n == 0) return;
  std::vector<Strides> strides{src_strides, dst_strides};
  Shape cs = cpu::collapse_dims(shape, strides);
  if (cs.size() == 1 && strides[0][0] == 1 && strides[1][0] == 1) {
    copy_contiguous(enc, src, st, dst, dt, n);
    return;
  }
  const char* s = static_cast<const char*>(src);
  char* d = static_cast<char*>(dst);
  const int nd = static_cast<int>(cs.size());
  if (nd <= kMaxDims) {
    copy_collapsed(enc, s, st, d, dt, cs, strides, n);
    return;
  }
  // More than kMaxDims collapsed dims (rare): loop over the leading ones on the host.
  const int outer = nd - kMaxDims;
  Shape inner_shape(cs.begin() + outer, cs.end());
  std::vector<Strides> inner{Strides(strides[0].begin() + outer, strides[0].end()),
                             Strides(strides[1].begin() + outer, strides[1].end())};
  size_t inner_n = shape_size(inner_shape);
  size_t count = 1;
  for (int k = 0; k < outer; ++k)
    count *= cs[k];
  for (size_t o = 0; o < count; ++o) {
    int64_t so = 0, doff = 0;
    size_t rem = o;
    for (int k = outer - 1; k >= 0; --k) {
      int64_t idx = static_cast<int64_t>(rem % cs[k]);
      rem /= cs[k];
      so += idx * strides[0][k];
      doff += idx * strides[1][k];
    }
    copy_collapsed(enc, s + so * st.size, st, d + doff * dt.size, dt, inner_shape, inner, inner_n);
  }
}

array contiguous_copy(Encoder& enc, const array& in, const Shape& shape, Dtype dtype) {
  const void* src = enc.input(in);
  array out = enc.temporary(shape, dtype);
  if (out.size() > 0) {
    copy_general(enc, src, in.dtype(), cpu::broadcast_strides(in, shape), enc.input(out), dtype,
                 row_major_strides(shape), shape);
  }
  return out;
}

}  // namespace cuda

// ---------------- Arange ----------------

namespace {

template <typename T>
__global__ void arange_kernel(T* out, int64_t n, double start, double step) {
  for (int64_t i = cuda::global_thread(); i < n; i += cuda::grid_threads()) {
    // start + i * step in double, then converted (no accumulated rounding), as on the CPU.
    // convert (not a plain cast): double -> 8/16-bit integers wraps like the CPU's cast, where
    // the device's conversion would saturate.
    out[i] = cuda::convert<T>(start + static_cast<double>(i) * step);
  }
}

template <typename T>
__global__ void select_kernel(const bool* c, const T* x, const T* y, T* out, int64_t n,
                              cuda::StridedArgs<3> p) {
  for (int64_t i = cuda::global_thread(); i < n; i += cuda::grid_threads()) {
    int64_t off[3];
    cuda::locate(static_cast<uint64_t>(i), p, off);
    out[i] = c[off[0]] ? x[off[1]] : y[off[2]];
  }
}

}  // namespace

void Arange::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  auto& enc = cuda::encoder(stream());
  array& out = outputs[0];
  void* dst = enc.output(out);
  int64_t n = static_cast<int64_t>(out.size());
  cuda::dispatch(out.dtype(), [&]<typename T>() {
    if constexpr (std::is_same_v<T, bool> || cuda::is_complex_v<T>) {
      throw std::invalid_argument("[arange] Unsupported dtype " + dtype_name(out.dtype()) + ".");
    } else if (n > 0) {
      cuda::launch(enc, "arange", arange_kernel<T>, cuda::blocks_for(n), cuda::kThreads, 0,
                   static_cast<T*>(dst), n, start_, step_);
    }
  });
  cuda::set_evaluated(outputs);
}

void Select::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  auto& enc = cuda::encoder(stream());
  const array& c = inputs[0];
  const array& x = inputs[1];
  const array& y = inputs[2];
  array& out = outputs[0];
  const void* pc = enc.input(c);
  const void* px = enc.input(x);
  const void* py = enc.input(y);
  void* po = enc.output(out);
  size_t n = out.size();
  if (n > 0) {
    std::vector<Strides> st{cpu::broadcast_strides(c, out.shape()),
                            cpu::broadcast_strides(x, out.shape()),
                            cpu::broadcast_strides(y, out.shape()), row_major_strides(out.shape())};
    Shape shape = cpu::collapse_dims(out.shape(), st);
    array cc = c, xx = x, yy = y;
    if (shape.size() > static_cast<size_t>(cuda::kMaxDims)) {
      // Too many dims for one kernel: make the operands row-contiguous at the output's shape.
      cc = cuda::contiguous_copy(enc, c, out.shape(), c.dtype());
      xx = cuda::contiguous_copy(enc, x, out.shape(), x.dtype());
      yy = cuda::contiguous_copy(enc, y, out.shape(), y.dtype());
      pc = enc.input(cc);
      px = enc.input(xx);
      py = enc.input(yy);
      Strides rm{1};
      shape = Shape{static_cast<int32_t>(n)};
      st = {rm, rm, rm, rm};
      if (n > static_cast<size_t>(INT32_MAX)) {
        throw std::invalid_argument("[select] Too many elements for a flattened select.");
      }
    }
    st.pop_back();  // the output is row-contiguous: its index is the linear index
    auto args = cuda::make_strided_args<3>(shape, st);
    cuda::dispatch_by_size(out.itemsize(), [&]<typename T>() {
      cuda::launch(enc, "select", select_kernel<T>, cuda::blocks_for(static_cast<int64_t>(n)),
                   cuda::kThreads, 0, static_cast<const bool*>(pc), static_cast<const T*>(px),
                   static_cast<const T*>(py), static_cast<T*>(po), static_cast<int64_t>(n), args);
    });
  }
  cuda::set_evaluated(outputs);
}

}  // namespace tandem
