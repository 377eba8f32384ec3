// Copyright © 2026 Tandem authors.
#include "primitives/random.h"
#include "backend/common/threefry.h"
#include "backend/cpu/threading.h"

namespace tandem {

void RandomBits::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array& key = inputs[0];
  array& out = outputs[0];
  out.set_data(allocator::malloc(out.nbytes()));
  const uint32_t* kp = key.unsafe_data<uint32_t>();
  const uint32_t k0 = kp[0], k1 = kp[key.strides()[0]];
  using random_detail::word;
  size_t n = out.size();
  auto fill = [&]<typename T>(T* dst) {
    constexpr int per = 4 / sizeof(T);  // elements per 32-bit word
    cpu::parallel_for(n, cpu::kElementwiseGrain, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) {
        uint32_t w = word(k0, k1, i / per);
        dst[i] = static_cast<T>(w >> (8 * sizeof(T) * (i % per)));
      }
    });
  };
  if (width_ == 4)
    fill(out.unsafe_data<uint32_t>());
  else if (width_ == 2)
    fill(out.unsafe_data<uint16_t>());
  else
    fill(out.unsafe_data<uint8_t>());
}

}  // namespace tandem
