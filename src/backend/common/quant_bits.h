// Copyright © 2026 Tandem authors.
// Run-time dispatch on the bit width of the affine quantization format, shared by the CPU and
// CUDA quantized kernels: dispatch_bits(bits, [&]<int B>() { ... }).
#pragma once

#include <stdexcept>
#include <string>

namespace tandem {

/// Calls f.template operator()<BITS>() for the format's bit widths (2, 3, 4, 5, 6, 8); any
/// other value throws.
template <typename F>
decltype(auto) dispatch_bits(int bits, F&& f) {
  switch (bits) {
    case 2:
      return f.template operator()<2>();
    case 3:
      return f.template operator()<3>();
    case 4:
      return f.template operator()<4>();
    case 5:
      return f.template operator()<5>();
    case 6:
      return f.template operator()<6>();
    case 8:
      return f.template operator()<8>();
  }
  throw std::invalid_argument("[quantized] Unsupported number of bits " + std::to_string(bits) +
                              ".");
}

}  // namespace tandem
