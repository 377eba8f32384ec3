// Copyright © 2026 Tandem authors.
#include "backend/common/layout.h"
#include "backend/cpu/copy.h"
#include "primitives/primitives.h"

namespace tandem {

void Concatenate::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  array& out = outputs[0];
  out.set_data(allocator::malloc(out.nbytes()));
  Strides ost = out.strides();
  int64_t offset = 0;
  for (auto& in : inputs) {
    if (in.size() > 0) {
      cpu::copy_into_strided(in, out.raw_data(), out.dtype(), in.shape(), ost, offset);
    }
    offset += static_cast<int64_t>(in.shape()[axis_]) * ost[axis_];
  }
}

void Diagonal::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array& in = inputs[0];
  array& out = outputs[0];
  Strides st;
  for (int d = 0; d < in.ndim(); ++d) {
    if (d != axis1_ && d != axis2_) st.push_back(in.strides()[d]);
  }
  st.push_back(in.strides()[axis1_] + in.strides()[axis2_]);
  int64_t off = offset_ >= 0 ? offset_ * in.strides()[axis2_] : -offset_ * in.strides()[axis1_];
  if (out.size() == 0) off = 0;
  layout::make_view(in, out, st, off);
}

}  // namespace tandem
