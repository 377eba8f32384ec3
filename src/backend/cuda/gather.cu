// Copyright © 2026 Tandem authors.
// GPU kernels of Gather and of the internal AlongAxisGather / AlongAxisScatterAdd (the CPU's are
// in backend/cpu/indexing.cpp and backend/cpu/sort_scan.cpp).
//
// Gather: one thread per output element. The index arrays are first converted into one int64
// array (indices are small next to the data, as on the CPU); the source is read through its own
// strides (views, transposes and broadcasts need no copy). Gathers move bits, so kernels exist
// per element size, not per dtype.
//
// AlongAxisGather / AlongAxisScatterAdd read every operand through its strides. The scatter-add
// accumulates with atomics (in float32 for 16-bit floats, rounded once at the end, as the CPU
// accumulates in float32); the order of additions to one position is not fixed, so float sums
// with duplicate indices may differ from the CPU's in the last bits. Indices are uint32 and must
// be in range: the CPU kernels throw for an index past the extent, which a GPU kernel cannot;
// here such an index reads zero (gather) or is dropped (scatter-add).
#include "backend/common/gather_index.h"
#include "backend/cuda/indexing.cuh"
#include "primitives/sort_scan.h"

namespace tandem {

namespace {

using cuda::IndexAxes;
using cuda::StridedArgs;

// out[i, r] = a[base(i) + slice_offset(r)]; base(i) from the clamped indices of index tuple i.
template <typename W>
__global__ void gather_kernel(const W* src, W* out, const int64_t* idx, int64_t n_idx,
                              int64_t slice_n, IndexAxes ax, StridedArgs<1> slice) {
  const int64_t total = n_idx * slice_n;
  for (int64_t q = cuda::global_thread(); q < total; q += cuda::grid_threads()) {
    const int64_t i = q / slice_n;
    const int64_t r = q - i * slice_n;
    int64_t base = 0;
    for (int j = 0; j < ax.k; ++j) {
      const int64_t n = ax.extent[j];
      int64_t v = idx[j * n_idx + i];
      // Clamped so that the whole slice stays inside the axis.
      v = gather_index(v, n, n - ax.slice[j] > 0 ? n - ax.slice[j] : 0);
      base += v * ax.stride[j];
    }
    int64_t off[1];
    cuda::locate(static_cast<uint64_t>(r), slice, off);
    out[q] = src[base + off[0]];
  }
}

// out[q] = a[off_a(q) + idx[off_i(q)] * a_axis_stride]; operands: idx, a (axis stride zeroed).
template <typename W>
__global__ void along_axis_gather_kernel(const W* src, const uint32_t* idx, W* out, int64_t total,
                                         StridedArgs<2> p, int64_t extent, int64_t axis_stride) {
  for (int64_t q = cuda::global_thread(); q < total; q += cuda::grid_threads()) {
    int64_t off[2];
    cuda::locate(static_cast<uint64_t>(q), p, off);
    const int64_t k = idx[off[0]];
    // An index past the extent (the CPU throws) reads zero.
    out[q] = k < extent ? src[off[1] + k * axis_stride] : W(0);
  }
}

// acc[off_o(q) + idx[off_i(q)] * out_axis_stride] += src[off_s(q)]; operands: src, idx, out.
template <typename T, typename Acc>
__global__ void along_axis_scatter_add_kernel(const T* src, const uint32_t* idx, Acc* acc,
                                              int64_t total, StridedArgs<3> p, int64_t extent,
                                              int64_t axis_stride) {
  for (int64_t q = cuda::global_thread(); q < total; q += cuda::grid_threads()) {
    int64_t off[3];
    cuda::locate(static_cast<uint64_t>(q), p, off);
    const int64_t k = idx[off[1]];
    if (k >= extent) continue;  // out of range (the CPU throws): dropped
    cuda::atomic_combine<cuda::CombineAdd>(acc + off[2] + k * axis_stride,
                                           cuda::convert<Acc>(src[off[0]]));
  }
}

}  // namespace

void Gather::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  auto& enc = cuda::encoder(stream());
  const array& a = inputs[0];
  array& out = outputs[0];
  void* po = enc.output(out);
  if (out.size() == 0) {
    cuda::set_evaluated(outputs);
    return;
  }
  const size_t k = axes_.size();
  if (k > static_cast<size_t>(cuda::kMaxIndexAxes)) {
    throw std::invalid_argument("[gather] At most " + std::to_string(cuda::kMaxIndexAxes) +
                                " indexed axes on the GPU; got " + std::to_string(k) + ".");
  }
  const int64_t n_idx = k ? static_cast<int64_t>(inputs[1].size()) : 1;
  const int64_t slice_n = static_cast<int64_t>(shape_size(slice_sizes_));
  array packed = cuda::pack_indices(enc, inputs, 1, k, static_cast<size_t>(n_idx));
  array src = a;
  StridedArgs<1> slice;
  if (!cuda::collapsed_args<1>(slice_sizes_, {src.strides()}, slice)) {
    src = cuda::contiguous_copy(enc, a);
    if (!cuda::collapsed_args<1>(slice_sizes_, {src.strides()}, slice)) {
      throw std::invalid_argument("[gather] Too many dimensions in the slice for the GPU kernel.");
    }
  }
  IndexAxes ax{};
  ax.k = static_cast<int>(k);
  for (size_t j = 0; j < k; ++j) {
    const int d = axes_[j];
    ax.extent[j] = src.shape()[d];
    ax.stride[j] = src.strides()[d];
    ax.slice[j] = slice_sizes_[d];
  }
  const void* ps = enc.input(src);
  const auto* pi = static_cast<const int64_t*>(enc.input(packed));
  const int64_t total = n_idx * slice_n;
  cuda::dispatch_by_size(a.itemsize(), [&]<typename W>() {
    cuda::launch(enc, "gather", gather_kernel<W>, cuda::blocks_for(total), cuda::kThreads, 0,
                 static_cast<const W*>(ps), static_cast<W*>(po), pi, n_idx, slice_n, ax, slice);
  });
  cuda::set_evaluated(outputs);
}

void AlongAxisGather::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  auto& enc = cuda::encoder(stream());
  array a = inputs[0];
  array idx = inputs[1];
  array& out = outputs[0];
  void* po = enc.output(out);
  if (out.size() == 0) {
    cuda::set_evaluated(outputs);
    return;
  }
  if (idx.dtype() != uint32) idx = cuda::contiguous_copy(enc, idx, idx.shape(), uint32);
  auto operands = [&]() {
    Strides as = a.strides();
    as[axis_] = 0;
    return std::vector<Strides>{idx.strides(), as};
  };
  StridedArgs<2> p;
  if (!cuda::collapsed_args<2>(idx.shape(), operands(), p)) {
    a = cuda::contiguous_copy(enc, a);
    idx = cuda::contiguous_copy(enc, idx);
    if (!cuda::collapsed_args<2>(idx.shape(), operands(), p)) {
      throw std::invalid_argument("[AlongAxisGather] Too many dimensions for the GPU kernel.");
    }
  }
  const void* ps = enc.input(a);
  const auto* pi = static_cast<const uint32_t*>(enc.input(idx));
  const int64_t total = static_cast<int64_t>(out.size());
  const int64_t extent = a.shape()[axis_];
  const int64_t axis_stride = a.strides()[axis_];
  cuda::dispatch_by_size(a.itemsize(), [&]<typename W>() {
    cuda::launch(enc, "along_axis_gather", along_axis_gather_kernel<W>, cuda::blocks_for(total),
                 cuda::kThreads, 0, static_cast<const W*>(ps), pi, static_cast<W*>(po), total, p,
                 extent, axis_stride);
  });
  cuda::set_evaluated(outputs);
}

void AlongAxisScatterAdd::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  auto& enc = cuda::encoder(stream());
  array src = inputs[0];
  array idx = inputs[1];
  array& out = outputs[0];
  void* po = enc.output(out);
  if (out.size() == 0) {
    cuda::set_evaluated(outputs);
    return;
  }
  // Zero bits are zero in every dtype.
  TANDEM_CUDA_CHECK(cudaMemsetAsync(po, 0, out.nbytes(), enc.stream()));
  enc.count_op();
  if (src.size() == 0) {
    cuda::set_evaluated(outputs);
    return;
  }
  if (idx.dtype() != uint32) idx = cuda::contiguous_copy(enc, idx, idx.shape(), uint32);
  Strides ost = row_major_strides(out.shape());
  const int64_t axis_stride = ost[axis_];
  ost[axis_] = 0;
  StridedArgs<3> p;
  if (!cuda::collapsed_args<3>(src.shape(), {src.strides(), idx.strides(), ost}, p)) {
    src = cuda::contiguous_copy(enc, src);
    idx = cuda::contiguous_copy(enc, idx);
    if (!cuda::collapsed_args<3>(src.shape(), {src.strides(), idx.strides(), ost}, p)) {
      throw std::invalid_argument("[AlongAxisScatterAdd] Too many dimensions for the GPU kernel.");
    }
  }
  const void* ps = enc.input(src);
  const auto* pi = static_cast<const uint32_t*>(enc.input(idx));
  const int64_t total = static_cast<int64_t>(src.size());
  const int64_t extent = extent_;
  cuda::dispatch(src.dtype(), [&]<typename T>() {
    if constexpr (cuda::is_half_v<T>) {
      // Accumulate in float32 and round once, as the CPU does.
      array acc = cuda::scratch(enc, out.size(), float32);
      float* pa = static_cast<float*>(enc.input(acc));
      TANDEM_CUDA_CHECK(cudaMemsetAsync(pa, 0, out.size() * sizeof(float), enc.stream()));
      enc.count_op();
      cuda::launch(enc, "along_axis_scatter_add", along_axis_scatter_add_kernel<T, float>,
                   cuda::blocks_for(total), cuda::kThreads, 0, static_cast<const T*>(ps), pi, pa,
                   total, p, extent, axis_stride);
      cuda::copy_contiguous(enc, pa, float32, po, out.dtype(), out.size());
    } else {
      // Integers wrap (sums modulo 2^bits do not depend on the order); bool sums are "or".
      cuda::launch(enc, "along_axis_scatter_add", along_axis_scatter_add_kernel<T, T>,
                   cuda::blocks_for(total), cuda::kThreads, 0, static_cast<const T*>(ps), pi,
                   static_cast<T*>(po), total, p, extent, axis_stride);
    }
  });
  cuda::set_evaluated(outputs);
}

}  // namespace tandem
