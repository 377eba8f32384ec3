// Copyright © 2026 Tandem authors.
// GPU kernels of Scatter and SliceUpdate (the CPU's are in backend/cpu/indexing.cpp).
//
// Both start from a row-contiguous copy of the array (or take over its buffer when it is
// donatable) and then update it in place.
//
// Scatter: one thread per update element. Sum / Prod / Max / Min combine atomically
// (indexing.cuh: hardware atomics where they give the CPU's result, compare-and-swap loops for
// the rest, 1- and 2-byte elements through their 32-bit word), so duplicate indices accumulate.
// The CPU applies updates in order; on the GPU the order of updates to one position is not
// fixed, so float sums and products with duplicate indices can differ in the last bits (integer
// sums and products wrap modulo 2^bits and do not depend on the order; max and min are exact).
// Plain scatter (None) with several index tuples must let the last update win, as the CPU does:
// a first pass records, per output element, the largest index tuple that writes it
// (atomicMax into a uint32 buffer the size of the output), and a second pass lets only that one
// write. A single index tuple (e.g. dynamic slice_update) needs neither.
//
// SliceUpdate: a slice of distinct positions, so no atomics: a strided copy (None) or one thread
// per update element combining in place.
#include <optional>

#include "backend/cuda/indexing.cuh"

namespace tandem {

namespace {

using cuda::IndexAxes;
using cuda::StridedArgs;

// Offset in the output of index tuple i, or false when it is out of range (dropped).
__device__ inline bool scatter_base(const int64_t* idx, int64_t n_idx, int64_t i,
                                    const IndexAxes& ax, int64_t& base) {
  base = 0;
  for (int j = 0; j < ax.k; ++j) {
    const int64_t n = ax.extent[j];
    int64_t v = idx[j * n_idx + i];
    if (v < 0) v += n;
    if (v < 0 || v + ax.slice[j] > n) return false;
    base += v * ax.stride[j];
  }
  return true;
}

template <typename Combine, typename T>
__global__ void scatter_kernel(T* out, const T* upd, const int64_t* idx, int64_t n_idx,
                               int64_t slice_n, IndexAxes ax, StridedArgs<1> slice) {
  const int64_t total = n_idx * slice_n;
  for (int64_t q = cuda::global_thread(); q < total; q += cuda::grid_threads()) {
    const int64_t i = q / slice_n;
    const int64_t r = q - i * slice_n;
    int64_t base;
    if (!scatter_base(idx, n_idx, i, ax, base)) continue;
    int64_t off[1];
    cuda::locate(static_cast<uint64_t>(r), slice, off);
    cuda::atomic_combine<Combine>(out + base + off[0], upd[q]);
  }
}

// Pass 1 of plain scatter: winner[d] = 1 + the largest index tuple writing element d.
__global__ void scatter_claim_kernel(uint32_t* winner, const int64_t* idx, int64_t n_idx,
                                     int64_t slice_n, IndexAxes ax, StridedArgs<1> slice) {
  const int64_t total = n_idx * slice_n;
  for (int64_t q = cuda::global_thread(); q < total; q += cuda::grid_threads()) {
    const int64_t i = q / slice_n;
    const int64_t r = q - i * slice_n;
    int64_t base;
    if (!scatter_base(idx, n_idx, i, ax, base)) continue;
    int64_t off[1];
    cuda::locate(static_cast<uint64_t>(r), slice, off);
    atomicMax(winner + base + off[0], static_cast<uint32_t>(i + 1));
  }
}

// Pass 2 of plain scatter (or the only pass when `winner` is null: no duplicates possible).
template <typename W>
__global__ void scatter_assign_kernel(W* out, const W* upd, const uint32_t* winner,
                                      const int64_t* idx, int64_t n_idx, int64_t slice_n,
                                      IndexAxes ax, StridedArgs<1> slice) {
  const int64_t total = n_idx * slice_n;
  for (int64_t q = cuda::global_thread(); q < total; q += cuda::grid_threads()) {
    const int64_t i = q / slice_n;
    const int64_t r = q - i * slice_n;
    int64_t base;
    if (!scatter_base(idx, n_idx, i, ax, base)) continue;
    int64_t off[1];
    cuda::locate(static_cast<uint64_t>(r), slice, off);
    const int64_t d = base + off[0];
    if (!winner || winner[d] == static_cast<uint32_t>(i + 1)) out[d] = upd[q];
  }
}

// out[off0] = Combine(out[off0], upd[off1]) over the update's shape; operands: out region, upd.
template <typename Combine, typename T>
__global__ void slice_update_kernel(T* out, const T* upd, int64_t total, StridedArgs<2> p) {
  for (int64_t q = cuda::global_thread(); q < total; q += cuda::grid_threads()) {
    int64_t off[2];
    cuda::locate(static_cast<uint64_t>(q), p, off);
    out[off[0]] = Combine::apply(out[off[0]], upd[off[1]]);
  }
}

}  // namespace

void Scatter::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  auto& enc = cuda::encoder(stream());
  const array& a = inputs[0];
  array upd = inputs.back();
  array& out = outputs[0];
  void* po = cuda::copy_to_output(enc, a, out);
  const size_t k = axes_.size();
  const int64_t n_idx = k ? static_cast<int64_t>(inputs[1].size()) : 1;
  Shape slice(upd.shape().end() - a.ndim(), upd.shape().end());
  const int64_t slice_n = static_cast<int64_t>(shape_size(slice));
  if (slice_n == 0 || n_idx == 0 || out.size() == 0) {
    cuda::set_evaluated(outputs);
    return;
  }
  if (k > static_cast<size_t>(cuda::kMaxIndexAxes)) {
    throw std::invalid_argument("[" + name() + "] At most " +
                                std::to_string(cuda::kMaxIndexAxes) +
                                " indexed axes on the GPU; got " + std::to_string(k) + ".");
  }
  if (!upd.flags().row_contiguous) upd = cuda::contiguous_copy(enc, upd);
  array packed = cuda::pack_indices(enc, inputs, 1, k, static_cast<size_t>(n_idx));
  const Strides ost = row_major_strides(out.shape());
  StridedArgs<1> sl;
  if (!cuda::collapsed_args<1>(slice, {ost}, sl)) {
    // Row-major strides of the output over a sub-box: cannot happen beyond kMaxDims unless the
    // array has more than 2 * kMaxDims dimensions.
    throw std::invalid_argument("[" + name() + "] Too many dimensions for the GPU kernel.");
  }
  IndexAxes ax{};
  ax.k = static_cast<int>(k);
  for (size_t j = 0; j < k; ++j) {
    const int d = axes_[j];
    ax.extent[j] = out.shape()[d];
    ax.stride[j] = ost[d];
    ax.slice[j] = slice[d];
  }
  const void* pu = enc.input(upd);
  const auto* pi = static_cast<const int64_t*>(enc.input(packed));
  const int64_t total = n_idx * slice_n;
  const unsigned blocks = cuda::blocks_for(total);
  if (op_ == ScatterOp::None) {
    std::optional<array> winner;
    const uint32_t* pw = nullptr;
    if (n_idx > 1) {
      if (n_idx >= static_cast<int64_t>(UINT32_MAX)) {
        throw std::invalid_argument("[scatter] Too many index tuples for the GPU kernel.");
      }
      winner = cuda::scratch(enc, out.size(), uint32);
      auto* w = static_cast<uint32_t*>(enc.input(*winner));
      TANDEM_CUDA_CHECK(cudaMemsetAsync(w, 0, out.size() * sizeof(uint32_t), enc.stream()));
      enc.count_op();
      cuda::launch(enc, "scatter_claim", scatter_claim_kernel, blocks, cuda::kThreads, 0, w, pi,
                   n_idx, slice_n, ax, sl);
      pw = w;
    }
    cuda::dispatch_by_size(out.itemsize(), [&]<typename W>() {
      cuda::launch(enc, "scatter", scatter_assign_kernel<W>, blocks, cuda::kThreads, 0,
                   static_cast<W*>(po), static_cast<const W*>(pu), pw, pi, n_idx, slice_n, ax, sl);
    });
  } else {
    cuda::dispatch(out.dtype(), [&]<typename T>() {
      cuda::with_combine(op_, [&]<typename Combine>() {
        if constexpr (!std::is_same_v<Combine, cuda::CombineAssign>) {
          cuda::launch(enc, "scatter", scatter_kernel<Combine, T>, blocks, cuda::kThreads, 0,
                       static_cast<T*>(po), static_cast<const T*>(pu), pi, n_idx, slice_n, ax,
                       sl);
        }
      });
    });
  }
  cuda::set_evaluated(outputs);
}

void SliceUpdate::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  auto& enc = cuda::encoder(stream());
  const array& src = inputs[0];
  array upd = inputs[1];
  array& out = outputs[0];
  char* po = static_cast<char*>(cuda::copy_to_output(enc, src, out));
  if (upd.size() == 0) {
    cuda::set_evaluated(outputs);
    return;
  }
  const Strides ost = row_major_strides(out.shape());
  int64_t offset = 0;
  Strides rst(out.ndim());
  for (int d = 0; d < out.ndim(); ++d) {
    offset += static_cast<int64_t>(start_[d]) * ost[d];
    rst[d] = ost[d] * strides_[d];
  }
  char* region = po + offset * static_cast<int64_t>(out.itemsize());
  const void* pu = enc.input(upd);
  if (op_ == ScatterOp::None) {
    cuda::copy_general(enc, pu, upd.dtype(), upd.strides(), region, out.dtype(), rst, upd.shape());
    cuda::set_evaluated(outputs);
    return;
  }
  StridedArgs<2> p;
  if (!cuda::collapsed_args<2>(upd.shape(), {rst, upd.strides()}, p)) {
    upd = cuda::contiguous_copy(enc, upd);
    pu = enc.input(upd);
    if (!cuda::collapsed_args<2>(upd.shape(), {rst, upd.strides()}, p)) {
      throw std::invalid_argument("[SliceUpdate] Too many dimensions for the GPU kernel.");
    }
  }
  const int64_t total = static_cast<int64_t>(upd.size());
  cuda::dispatch(out.dtype(), [&]<typename T>() {
    cuda::with_combine(op_, [&]<typename Combine>() {
      if constexpr (!std::is_same_v<Combine, cuda::CombineAssign>) {
        cuda::launch(enc, "slice_update", slice_update_kernel<Combine, T>, cuda::blocks_for(total),
                     cuda::kThreads, 0, reinterpret_cast<T*>(region), static_cast<const T*>(pu),
                     total, p);
      }
    });
  });
  cuda::set_evaluated(outputs);
}

}  // namespace tandem
