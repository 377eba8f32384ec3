// Copyright © 2026 Tandem authors.
// Branch-free float32 exp / log / tanh / sigmoid / erf for the CPU kernels.
//
// libm's expf/logf/tanhf are scalar calls, so a loop over them never vectorises. These versions
// are straight-line arithmetic (range reduction, a short polynomial, exponent bit tricks, and
// selects the compiler turns into blend/min/max instructions), so the elementwise loops become
// SIMD loops. Accuracy: exp and log within 1 ulp, sigmoid and tanh within 2.5 ulp, erf within
// 3.1 ulp over the whole float range, with IEEE special values (inf, -inf, NaN, 0, denormals)
// preserved. Used for float32 and for float16/bfloat16 (which compute in float32); float64 keeps
// libm.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace tandem::cpu::vmath {

inline float bits_to_float(int32_t b) {
  float f;
  std::memcpy(&f, &b, sizeof f);
  return f;
}
inline int32_t float_to_bits(float f) {
  int32_t b;
  std::memcpy(&b, &f, sizeof b);
  return b;
}

/// e^x. Overflow gives +inf, underflow 0 (through denormals), NaN stays NaN.
inline float exp(float x) {
  // Clamp so that k below stays in [-150, 129]; the final scaling then overflows or underflows
  // by itself. NaN passes the clamp (the comparisons are false) and poisons the polynomial.
  float xc = std::min(std::max(x, -104.0f), 89.0f);
  // k = round(x / ln 2) by the 1.5 * 2^23 trick (round to nearest without a libm call).
  float k = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  // r = x - k ln2 in two steps (ln2 = 0.693359375 - 2.12194440e-4 to extra precision).
  float r = xc - k * 0.693359375f;
  r = r + k * 2.12194440e-4f;
  // e^r on |r| <= ln2 / 2: 1 + r + r^2 (1/2 + r/6 + ...), minimax-fitted tail.
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  // Multiply by 2^k as two factors 2^k1 * 2^k2 so that k in [-150, 129] never leaves the range
  // of a normal float's exponent field.
  int32_t ki = static_cast<int32_t>(k);
  int32_t k1 = ki / 2;
  int32_t k2 = ki - k1;
  return p * bits_to_float((k1 + 127) << 23) * bits_to_float((k2 + 127) << 23);
}

/// Natural logarithm. log(0) = -inf, log(x < 0) = NaN, log(inf) = inf, NaN stays NaN.
inline float log(float x) {
  constexpr float kMinNormal = 1.17549435e-38f;
  // Denormals: scale into the normal range first and correct the exponent afterwards.
  bool denormal = x < kMinNormal;
  float xs = denormal ? x * 8388608.0f : x;  // 2^23
  int32_t b = float_to_bits(xs);
  // Split xs = m * 2^e with m in [sqrt(1/2), sqrt(2)).
  int32_t e = ((b >> 23) & 0xff) - 126;
  float m = bits_to_float((b & 0x007fffff) | 0x3f000000);  // mantissa in [0.5, 1)
  bool small = m < 0.707106781186547524f;
  float ef = static_cast<float>(e) - (small ? 1.0f : 0.0f) - (denormal ? 23.0f : 0.0f);
  float f = (small ? m + m : m) - 1.0f;
  // log(1 + f) = f - f^2/2 + f^3 P(f) on f in [sqrt(1/2) - 1, sqrt(2) - 1].
  float z = f * f;
  float p = 7.0376836292e-2f;
  p = p * f - 1.1514610310e-1f;
  p = p * f + 1.1676998740e-1f;
  p = p * f - 1.2420140846e-1f;
  p = p * f + 1.4249322787e-1f;
  p = p * f - 1.6668057665e-1f;
  p = p * f + 2.0000714765e-1f;
  p = p * f - 2.4999993993e-1f;
  p = p * f + 3.3333331174e-1f;
  float y = p * f * z;
  y = y + ef * -2.12194440e-4f;
  y = y - 0.5f * z;
  float r = f + y + ef * 0.693359375f;
  // Special values, as selects: +inf -> +inf, 0 -> -inf, negative -> NaN, NaN -> NaN.
  constexpr float inf = std::numeric_limits<float>::infinity();
  r = x == inf ? inf : r;
  r = x == 0.0f ? -inf : r;
  r = x < 0.0f ? std::numeric_limits<float>::quiet_NaN() : r;
  r = x != x ? x : r;
  return r;
}

/// Logistic sigmoid 1 / (1 + e^-x), written as e^x / (1 + e^x) for x < 0 so that tiny results
/// keep their precision instead of flushing through 1 / inf.
inline float sigmoid(float x) {
  float e = exp(-std::abs(x));
  float r = 1.0f / (1.0f + e);
  return x < 0.0f ? e * r : r;
}

/// Hyperbolic tangent: an odd Taylor polynomial near 0, 1 - 2 / (e^2|x| + 1) elsewhere.
inline float tanh(float x) {
  float ax = std::min(std::abs(x), 20.0f);  // tanh(20) == 1 in float; NaN passes through
  float z = ax * ax;
  // Near 0: x - x^3/3 + 2x^5/15 - 17x^7/315 + 62x^9/2835 - 1382x^11/155925 (|x| < 0.3).
  float p = -8.86323552e-3f;
  p = p * z + 2.18694885e-2f;
  p = p * z - 5.39682540e-2f;
  p = p * z + 1.33333333e-1f;
  p = p * z - 3.33333333e-1f;
  float near0 = ax + ax * z * p;
  float far = 1.0f - 2.0f / (exp(2.0f * ax) + 1.0f);
  float r = ax < 0.3f ? near0 : far;
  return x != x ? x : std::copysign(r, x);
}

/// Error function: the Maclaurin series below |x| = 1, Abramowitz & Stegun 7.1.26
/// (1 - P(t) e^{-x^2}, t = 1 / (1 + p|x|)) above, saturating to +-1 beyond |x| = 4.
inline float erf(float x) {
  float ax = std::min(std::abs(x), 4.0f);  // NaN passes through
  float z = ax * ax;
  // 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1)), n = 0..11
  float p = -1.0f / 918086400.0f;
  p = p * z + 1.0f / 76204800.0f;
  p = p * z - 1.0f / 6894720.0f;
  p = p * z + 1.0f / 685440.0f;
  p = p * z - 1.0f / 75600.0f;
  p = p * z + 1.0f / 9360.0f;
  p = p * z - 1.0f / 1320.0f;
  p = p * z + 1.0f / 216.0f;
  p = p * z - 1.0f / 42.0f;
  p = p * z + 1.0f / 10.0f;
  p = p * z - 1.0f / 3.0f;
  p = p * z + 1.0f;
  float series = 1.12837916709551257f * ax * p;
  float t = 1.0f / (1.0f + 0.3275911f * ax);
  float q = 1.061405429f;
  q = q * t - 1.453152027f;
  q = q * t + 1.421413741f;
  q = q * t - 0.284496736f;
  q = q * t + 0.254829592f;
  float tail = 1.0f - q * t * exp(-z);
  float r = ax < 1.0f ? series : tail;
  return x != x ? x : std::copysign(r, x);
}

}  // namespace tandem::cpu::vmath
