// Copyright © 2026 Tandem authors.
// Run-time dtype dispatch: call a templated lambda with the C++ type of a Dtype.
//   dispatch_all(dtype, [&]<typename T>() { ... });
#pragma once

#include <stdexcept>
#include <string>

#include "tandem/dtype.h"

namespace tandem {

#define TANDEM_DISPATCH_CASE(VAL, TYPE) \
  case Dtype::Val::VAL:                 \
    return f.template operator()<TYPE>();

template <typename F>
decltype(auto) dispatch_all(Dtype d, F&& f) {
  switch (d.val) {
    TANDEM_DISPATCH_CASE(bool_, bool)
    TANDEM_DISPATCH_CASE(uint8, uint8_t)
    TANDEM_DISPATCH_CASE(uint16, uint16_t)
    TANDEM_DISPATCH_CASE(uint32, uint32_t)
    TANDEM_DISPATCH_CASE(uint64, uint64_t)
    TANDEM_DISPATCH_CASE(int8, int8_t)
    TANDEM_DISPATCH_CASE(int16, int16_t)
    TANDEM_DISPATCH_CASE(int32, int32_t)
    TANDEM_DISPATCH_CASE(int64, int64_t)
    TANDEM_DISPATCH_CASE(float16, float16_t)
    TANDEM_DISPATCH_CASE(float32, float)
    TANDEM_DISPATCH_CASE(float64, double)
    TANDEM_DISPATCH_CASE(bfloat16, bfloat16_t)
    TANDEM_DISPATCH_CASE(complex64, complex64_t)
  }
  throw std::logic_error("[dispatch] Unknown dtype.");
}

/// Dispatch by item size only (for copies that move bytes without converting).
template <typename F>
decltype(auto) dispatch_by_size(size_t size, F&& f) {
  switch (size) {
    case 1:
      return f.template operator()<uint8_t>();
    case 2:
      return f.template operator()<uint16_t>();
    case 4:
      return f.template operator()<uint32_t>();
    case 8:
      return f.template operator()<uint64_t>();
  }
  throw std::logic_error("[dispatch] Unsupported item size " + std::to_string(size) + ".");
}

#undef TANDEM_DISPATCH_CASE

/// Calls f.template operator()<Tx, T>() for the (input, output) dtype pairs of the fused norms:
/// equal float dtypes, or a 16-bit float input under a float32 output. F16 / BF16 are the
/// backend's 16-bit types (float16_t / bfloat16_t on the CPU, __half / __nv_bfloat16 in CUDA).
/// Returns false for any other pair.
template <typename F16, typename BF16, typename F>
bool dispatch_norm(Dtype x, Dtype out, F&& f) {
  if (x == out) {
    if (x == float16) return f.template operator()<F16, F16>(), true;
    if (x == bfloat16) return f.template operator()<BF16, BF16>(), true;
    if (x == float32) return f.template operator()<float, float>(), true;
    if (x == float64) return f.template operator()<double, double>(), true;
    return false;
  }
  if (out == float32 && x == float16) return f.template operator()<F16, float>(), true;
  if (out == float32 && x == bfloat16) return f.template operator()<BF16, float>(), true;
  return false;
}

}  // namespace tandem
