// Copyright © 2026 Tandem authors.
// Value conversion between element types, shared by the CPU kernels (and mirrored by CUDA's).
#pragma once

#include <complex>
#include <type_traits>

#include "tandem/dtype.h"

namespace tandem {

template <typename T>
struct is_complex_type : std::false_type {};
template <typename T>
struct is_complex_type<std::complex<T>> : std::true_type {};

template <typename T>
inline constexpr bool is_half_type_v =
    std::is_same_v<T, float16_t> || std::is_same_v<T, bfloat16_t>;

/// The type arithmetic on T is done in: float for 16-bit floats, T otherwise.
template <typename T>
using compute_t = std::conditional_t<is_half_type_v<T>, float, T>;

/// Convert a value like astype: C casts, to bool means != 0, complex -> real keeps the real part.
template <typename To, typename From>
TANDEM_HD inline To cast_value(From v) {
  if constexpr (std::is_same_v<To, From>) {
    return v;
  } else if constexpr (is_complex_type<From>::value) {
    if constexpr (std::is_same_v<To, bool>) {
      return v.real() != 0 || v.imag() != 0;
    } else if constexpr (is_complex_type<To>::value) {
      return To(v);
    } else {
      return cast_value<To>(v.real());
    }
  } else if constexpr (is_complex_type<To>::value) {
    return To(static_cast<float>(static_cast<compute_t<From>>(v)), 0.0f);
  } else if constexpr (std::is_same_v<To, bool>) {
    return static_cast<compute_t<From>>(v) != compute_t<From>(0);
  } else if constexpr (is_half_type_v<From>) {
    return cast_value<To>(static_cast<float>(v));
  } else if constexpr (is_half_type_v<To>) {
    if constexpr (std::is_same_v<From, double>) {
      return To(static_cast<float>(v));
    } else {
      return To(static_cast<float>(v));
    }
  } else {
    return static_cast<To>(v);
  }
}

}  // namespace tandem
