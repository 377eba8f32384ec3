// Copyright © 2026 Tandem authors.
// GPU eval of the view, copy and conversion primitives. Views move no data: their layout
// arithmetic is the CPU's (eval_cpu of Transpose, Broadcast, Slice, AsStrided, View and Diagonal
// only set strides and offsets, never touch memory), so eval_gpu reuses it. Copies run the
// kernels of copy.cu.
#include "backend/common/layout.h"
#include "backend/cpu/strided.h"
#include "backend/cuda/copy.h"
#include "backend/cuda/runtime.h"
#include "primitives/primitives.h"

namespace tandem {

void AsType::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  auto& enc = cuda::encoder(stream());
  const array& in = inputs[0];
  array& out = outputs[0];
  const void* src = enc.input(in);
  if (in.flags().contiguous) {
    // Keep the input's (dense) layout: convert the buffer element by element.
    void* dst = enc.donate(in, out) ? const_cast<void*>(src)
                                    : enc.output(out, in.data_size(), in.strides(), in.flags());
    cuda::copy_contiguous(enc, src, in.dtype(), dst, out.dtype(), in.data_size());
  } else {
    void* dst = enc.output(out);
    cuda::copy_general(enc, src, in.dtype(), in.strides(), dst, out.dtype(),
                       row_major_strides(out.shape()), out.shape());
  }
  cuda::set_evaluated(outputs);
}

void Copy::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array& in = inputs[0];
  array& out = outputs[0];
  if (!try_share(in, out)) {
    auto& enc = cuda::encoder(stream());
    const void* src = enc.input(in);
    void* dst = enc.output(out);
    cuda::copy_general(enc, src, in.dtype(), cpu::broadcast_strides(in, out.shape()), dst,
                       out.dtype(), row_major_strides(out.shape()), out.shape());
  }
  cuda::set_evaluated(outputs);
}

namespace {
// Make `out` a row-major view of the row-contiguous `src`, with the flags of out's own shape (as
// the CPU's Reshape): src's flags can be wrong for it (a (6,) array is also column-major, its
// (2, 3) reshape is not; contiguous(x, allow_col_major) trusts the flag).
void share_row_major(const array& src, array& out) {
  Strides st = row_major_strides(out.shape());
  size_t ds;
  array::Flags f = layout::flags_of(out.shape(), st, ds);
  out.copy_shared_buffer(src, st, f, ds);
}
}  // namespace

void Reshape::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array& in = inputs[0];
  array& out = outputs[0];
  if (in.flags().row_contiguous) {
    share_row_major(in, out);
  } else {
    // Strided input: copy to row-major order, which is the element order of the new shape.
    auto& enc = cuda::encoder(stream());
    share_row_major(cuda::contiguous_copy(enc, in), out);
  }
  cuda::set_evaluated(outputs);
}

// Layout-only primitives: the shared (device independent) layout code.
#define TANDEM_GPU_VIEW(P)                                                          \
  void P::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) { \
    eval_cpu(inputs, outputs); /* sets strides and offsets only; no data is read */ \
    cuda::set_evaluated(outputs);                                                   \
  }

TANDEM_GPU_VIEW(Transpose)
TANDEM_GPU_VIEW(Broadcast)
TANDEM_GPU_VIEW(Slice)
TANDEM_GPU_VIEW(AsStrided)
TANDEM_GPU_VIEW(View)
TANDEM_GPU_VIEW(Diagonal)

#undef TANDEM_GPU_VIEW

void Concatenate::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  auto& enc = cuda::encoder(stream());
  array& out = outputs[0];
  char* dst = static_cast<char*>(enc.output(out));
  Strides ost = out.strides();
  int64_t offset = 0;
  for (auto& in : inputs) {
    if (in.size() > 0) {
      const void* src = enc.input(in);
      cuda::copy_general(enc, src, in.dtype(), cpu::broadcast_strides(in, in.shape()),
                         dst + offset * static_cast<int64_t>(out.itemsize()), out.dtype(), ost,
                         in.shape());
    }
    offset += static_cast<int64_t>(in.shape()[axis_]) * ost[axis_];
  }
  cuda::set_evaluated(outputs);
}

}  // namespace tandem
