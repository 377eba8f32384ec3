// Copyright © 2026 Tandem authors.
// Shared machinery of the CPU elementwise kernels: output allocation that follows the input
// layout (and donates the input's buffer when nobody else holds it), and the apply loops.
#pragma once

#include "backend/common/cast.h"
#include "backend/cpu/strided.h"
#include "backend/cpu/threading.h"
#include "tandem/array.h"

namespace tandem::cpu {

/// Give `out` memory with the layout of `in` (which must be contiguous in some order). Reuses
/// in's buffer when it is donatable and the item sizes match.
inline void set_output_like(const array& in, array& out) {
  if (in.is_donatable() && in.itemsize() == out.itemsize()) {
    out.copy_shared_buffer(in);
  } else {
    out.set_data(allocator::malloc(in.data_size() * out.itemsize()), in.data_size(), in.strides(),
                 in.flags());
  }
}

/// out[i] = f(in[i]) for every element. `f` takes and returns storage types.
template <typename In, typename Out, typename F>
void unary_apply(const array& in, array& out, F f) {
  if (in.flags().contiguous) {
    set_output_like(in, out);
    const In* src = in.unsafe_data<In>();
    Out* dst = out.unsafe_data<Out>();
    parallel_for(in.data_size(), kElementwiseGrain, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i)
        dst[i] = f(src[i]);
    });
    return;
  }
  out.set_data(allocator::malloc(out.nbytes()));
  std::vector<Strides> st{in.strides(), row_major_strides(out.shape())};
  Shape shape = collapse_dims(in.shape(), st);
  const In* src = in.unsafe_data<In>();
  Out* dst = out.unsafe_data<Out>();
  std::array<const int64_t*, 2> sp{st[0].data(), st[1].data()};
  parallel_for(out.size(), kElementwiseGrain, [&](size_t b, size_t e) {
    for_each_run<2>(shape, sp, b, e, [&](const auto& off, const auto& inc, int64_t n) {
      const In* s = src + off[0];
      Out* d = dst + off[1];
      for (int64_t i = 0; i < n; ++i)
        d[i] = f(s[i * inc[0]]);
    });
  });
}

}  // namespace tandem::cpu
