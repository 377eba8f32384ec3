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

namespace {
// Make `out` a row-major view of the row-contiguous `src`. The flags are computed for out's own
// shape: copying src's would be wrong (a (6,) array is also column-major, its (2,3) reshape is
// not).
void share_row_major(const array& src, array& out) {
  Strides st = row_major_strides(out.shape());
  size_t ds;
  array::Flags f = layout::flags_of(out.shape(), st, ds);
  out.copy_shared_buffer(src, st, f, ds);
}
}  // namespace

void Reshape::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array& in = inputs[0];
  array& out = outputs[0];
  if (in.flags().row_contiguous) {
    share_row_major(in, out);
    return;
  }
  // Strided input: copy to row-major order, which is the element order of the new shape.
  share_row_major(cpu::make_contiguous(in), out);
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
  // The op made the input row-contiguous: its bytes are reinterpreted in place.
  share_row_major(in, out);
}

}  // namespace tandem
