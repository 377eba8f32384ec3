// Copyright © 2026 Tandem authors.
// CPU eval of the view, copy and conversion primitives.
#include "backend/common/layout.h"
#include "backend/cpu/copy.h"
#include "backend/cpu/elementwise.h"
#include "primitives/primitives.h"

namespace tandem {

void AsType::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array& in = inputs[0];
  array& out = outputs[0];
  if (in.flags().contiguous) {
    // Keep the input's (dense) layout: convert the buffer element by element.
    cpu::set_output_like(in, out);
    if (out.raw_data() != in.raw_data() || in.dtype() != out.dtype()) {
      cpu::copy_into_strided(in, out.raw_data(), out.dtype(), in.shape(), in.strides(), 0);
    }
    return;
  }
  cpu::copy_to_row_contiguous(in, out);
}

bool Copy::try_share(const array& in, array& out) const {
  if (!if_needed_) return false;
  if (in.flags().row_contiguous || (allow_col_major_ && in.flags().col_contiguous)) {
    if (in.shape() == out.shape()) {
      out.copy_shared_buffer(in);
      return true;
    }
  }
  return false;
}

void Copy::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  if (try_share(inputs[0], outputs[0])) return;
  cpu::copy_to_row_contiguous(inputs[0], outputs[0]);
}

void Reshape::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array& in = inputs[0];
  array& out = outputs[0];
  if (in.flags().row_contiguous) {
    out.copy_shared_buffer(in, row_major_strides(out.shape()), in.flags(), in.data_size());
    return;
  }
  // Strided input: copy to row-major order, which is the element order of the new shape.
  array tmp = cpu::make_contiguous(in);
  out.copy_shared_buffer(tmp, row_major_strides(out.shape()), tmp.flags(), tmp.data_size());
}

void Transpose::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array& in = inputs[0];
  Strides st(axes_.size());
  for (size_t i = 0; i < axes_.size(); ++i)
    st[i] = in.strides()[axes_[i]];
  layout::make_view(in, outputs[0], st);
}

void Broadcast::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array& in = inputs[0];
  array& out = outputs[0];
  Strides st(out.ndim(), 0);
  int off = out.ndim() - in.ndim();
  for (int d = 0; d < in.ndim(); ++d) {
    st[d + off] = in.shape()[d] == 1 ? 0 : in.strides()[d];
  }
  layout::make_view(in, out, st);
}

void Slice::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array& in = inputs[0];
  array& out = outputs[0];
  if (out.size() == 0) {
    out.set_data(allocator::malloc(0));
    return;
  }
  int64_t offset = 0;
  Strides st(in.ndim());
  for (int d = 0; d < in.ndim(); ++d) {
    offset += static_cast<int64_t>(start_[d]) * in.strides()[d];
    st[d] = in.strides()[d] * strides_[d];
  }
  layout::make_view(in, out, st, offset);
}

void AsStrided::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  layout::make_view(inputs[0], outputs[0], strides_, static_cast<int64_t>(offset_));
}

void View::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array& in = inputs[0];
  array& out = outputs[0];
  size_t ds = in.data_size() * in.itemsize() / out.itemsize();
  out.copy_shared_buffer(in, row_major_strides(out.shape()), in.flags(), ds);
}

}  // namespace tandem
