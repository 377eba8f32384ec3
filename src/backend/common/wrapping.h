// Copyright © 2026 Tandem authors.
// Integer arithmetic that wraps around in two's complement, as NumPy and MLX results do, without
// the undefined behaviour of signed overflow in C++ (nor of uint16 * uint16, which promotes to
// int). Other types (bool excepted) use the plain operators. Shared by the CPU and CUDA kernels.
#pragma once

#include <type_traits>

#include "tandem/half_types.h"

namespace tandem {

/// The unsigned type integer T's arithmetic wraps in: at least unsigned int wide.
template <typename T>
using wrap_unsigned_t =
    std::conditional_t<(sizeof(T) < sizeof(unsigned)), unsigned, std::make_unsigned_t<T>>;

template <typename A>
TANDEM_HD inline A wrap_add(A a, A b) {
  if constexpr (std::is_same_v<A, bool>) {
    return a || b;
  } else if constexpr (std::is_integral_v<A>) {
    using U = wrap_unsigned_t<A>;
    return static_cast<A>(static_cast<U>(a) + static_cast<U>(b));
  } else {
    return a + b;
  }
}

template <typename A>
TANDEM_HD inline A wrap_sub(A a, A b) {
  if constexpr (std::is_integral_v<A> && !std::is_same_v<A, bool>) {
    using U = wrap_unsigned_t<A>;
    return static_cast<A>(static_cast<U>(a) - static_cast<U>(b));
  } else {
    return a - b;
  }
}

template <typename A>
TANDEM_HD inline A wrap_mul(A a, A b) {
  if constexpr (std::is_same_v<A, bool>) {
    return a && b;
  } else if constexpr (std::is_integral_v<A>) {
    using U = wrap_unsigned_t<A>;
    return static_cast<A>(static_cast<U>(a) * static_cast<U>(b));
  } else {
    return a * b;
  }
}

}  // namespace tandem
