// Copyright © 2026 Tandem authors.
#include "backend/common/dispatch.h"
#include "backend/cpu/threading.h"
#include "primitives/primitives.h"

namespace tandem {

void Arange::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  array& out = outputs[0];
  out.set_data(allocator::malloc(out.nbytes()));
  dispatch_all(out.dtype(), [&]<typename T>() {
    if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, complex64_t>) {
      throw std::invalid_argument("[arange] Unsupported dtype " + dtype_name(out.dtype()) + ".");
    } else {
      T* p = out.unsafe_data<T>();
      // start + i * step computed in double, then converted (no accumulated rounding).
      cpu::parallel_for(out.size(), cpu::kElementwiseGrain, [&](size_t b, size_t e) {
        for (size_t i = b; i < e; ++i)
          p[i] = static_cast<T>(start_ + static_cast<double>(i) * step_);
      });
    }
  });
}

}  // namespace tandem
