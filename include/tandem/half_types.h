// Copyright © 2026 Tandem authors.
// Storage types for 16-bit floats. Arithmetic is done in float32 (DESIGN §6).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <ostream>

#if defined(__CUDACC__)
#define TANDEM_HD __host__ __device__
#else
#define TANDEM_HD
#endif

namespace tandem {

namespace detail {

TANDEM_HD inline uint32_t f32_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
TANDEM_HD inline float bits_f32(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// IEEE binary16 <-> binary32, round to nearest even, with subnormals, inf and NaN.
TANDEM_HD inline uint16_t float_to_half_bits(float f) {
  uint32_t x = f32_bits(f);
  uint32_t sign = (x >> 16) & 0x8000u;
  uint32_t mag = x & 0x7fffffffu;
  if (mag >= 0x7f800000u) {  // inf or NaN
    return static_cast<uint16_t>(sign | 0x7c00u | (mag > 0x7f800000u ? 0x200u : 0u));
  }
  if (mag >= 0x477ff000u) {  // rounds to >= 65520: overflow to inf
    return static_cast<uint16_t>(sign | 0x7c00u);
  }
  if (mag < 0x38800000u) {  // result is subnormal (or zero) in half
    if (mag < 0x33000000u) return static_cast<uint16_t>(sign);  // < half of smallest subnormal
    uint32_t e = mag >> 23;
    uint32_t m = (mag & 0x7fffffu) | 0x800000u;
    uint32_t shift = 126 - e;  // 14 + (113 - e) - 1 ... maps exponent to subnormal position
    uint32_t res = m >> (shift);
    uint32_t rem = m & ((1u << shift) - 1u);
    uint32_t halfway = 1u << (shift - 1);
    if (rem > halfway || (rem == halfway && (res & 1u))) res += 1;
    return static_cast<uint16_t>(sign | res);
  }
  // normal
  uint32_t res = ((mag - 0x38000000u) >> 13);
  uint32_t rem = mag & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (res & 1u))) res += 1;
  return static_cast<uint16_t>(sign | res);
}

TANDEM_HD inline float half_bits_to_float(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t e = (h >> 10) & 0x1fu;
  uint32_t m = h & 0x3ffu;
  if (e == 0) {
    if (m == 0) return bits_f32(sign);
    // subnormal: value = m * 2^-24
    float v = static_cast<float>(m) * 5.9604644775390625e-8f;
    return sign ? -v : v;
  }
  if (e == 31) return bits_f32(sign | 0x7f800000u | (m << 13));
  return bits_f32(sign | ((e + 112u) << 23) | (m << 13));
}

TANDEM_HD inline uint16_t float_to_bf16_bits(float f) {
  uint32_t x = f32_bits(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);  // NaN
  uint32_t lsb = (x >> 16) & 1u;
  x += 0x7fffu + lsb;
  return static_cast<uint16_t>(x >> 16);
}
TANDEM_HD inline float bf16_bits_to_float(uint16_t b) {
  return bits_f32(static_cast<uint32_t>(b) << 16);
}

}  // namespace detail

struct float16_t {
  uint16_t bits{0};
  TANDEM_HD float16_t() = default;
  TANDEM_HD float16_t(float f) : bits(detail::float_to_half_bits(f)) {}
  TANDEM_HD float16_t(double d) : float16_t(static_cast<float>(d)) {}
  template <typename T, typename = std::enable_if_t<std::is_integral_v<T>>>
  TANDEM_HD float16_t(T v) : float16_t(static_cast<float>(v)) {}
  TANDEM_HD operator float() const { return detail::half_bits_to_float(bits); }
  TANDEM_HD static float16_t from_bits(uint16_t b) {
    float16_t h;
    h.bits = b;
    return h;
  }
};

struct bfloat16_t {
  uint16_t bits{0};
  TANDEM_HD bfloat16_t() = default;
  TANDEM_HD bfloat16_t(float f) : bits(detail::float_to_bf16_bits(f)) {}
  TANDEM_HD bfloat16_t(double d) : bfloat16_t(static_cast<float>(d)) {}
  template <typename T, typename = std::enable_if_t<std::is_integral_v<T>>>
  TANDEM_HD bfloat16_t(T v) : bfloat16_t(static_cast<float>(v)) {}
  TANDEM_HD operator float() const { return detail::bf16_bits_to_float(bits); }
  TANDEM_HD static bfloat16_t from_bits(uint16_t b) {
    bfloat16_t h;
    h.bits = b;
    return h;
  }
};

inline std::ostream& operator<<(std::ostream& os, float16_t v) {
  return os << float(v);
}
inline std::ostream& operator<<(std::ostream& os, bfloat16_t v) {
  return os << float(v);
}

}  // namespace tandem
