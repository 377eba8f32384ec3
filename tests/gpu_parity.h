// Copyright © 2026 Tandem authors.
// Shared pieces of the GPU-against-CPU parity tests (tests/test_gpu_*.cpp): seeded inputs of
// every dtype, NaN sprinkling, and expect_matches (EXPECT_MATCHES_CPU through real and imaginary
// parts for complex results). The CPU result is the oracle; without a GPU only the CPU side runs.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdlib>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/backend_hooks.h"  // gpu::matmul_stats (cuBLASLt plan cache counters)
#include "harness.h"

#if TANDEM_WITH_CUDA
#include "backend/cuda/conv_cudnn.h"
#include "primitives/conv.h"
#endif

using namespace tandem;
using tandem_test::make;
using tandem_test::values;

namespace tandem::detail {
// The internal along-axis ops (src/primitives/sort_scan.h), exported by the library.
array gather_along_axis(const array& a, const array& idx, int axis, StreamOrDevice s);
array scatter_add_along_axis(const array& src, const array& idx, int axis, int extent,
                             StreamOrDevice s);
}  // namespace tandem::detail

namespace gpu_parity {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

inline std::vector<double> rnd_ints(size_t n, int lo, int hi, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> d(lo, hi);
  std::vector<double> v(n);
  for (auto& x : v)
    x = d(gen);
  return v;
}

inline std::vector<double> rnd_reals(size_t n, double lo, double hi, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> d(lo, hi);
  std::vector<double> v(n);
  for (auto& x : v)
    x = d(gen);
  return v;
}

inline std::vector<double> pick(size_t n, const std::vector<double>& from, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<size_t> d(0, from.size() - 1);
  std::vector<double> v(n);
  for (auto& x : v)
    x = from[d(gen)];
  return v;
}

inline bool is_unsigned_or_bool(Dtype t) {
  return t == bool_ || t == uint8 || t == uint16 || t == uint32 || t == uint64;
}
inline bool is_float_or_complex(Dtype t) {
  return t == float16 || t == bfloat16 || t == float32 || t == float64 || t == complex64;
}

// Every `every`-th value NaN (float and complex dtypes only).
inline std::vector<double> with_nans(std::vector<double> v, Dtype t, size_t every = 17) {
  if (!is_float_or_complex(t)) return v;
  for (size_t i = 3; i < v.size(); i += every)
    v[i] = kNaN;
  return v;
}

// An array of `t` from real values; complex64 gets the imaginary parts `im` (or 0).
inline array of(const std::vector<double>& re, const Shape& shape, Dtype t,
                const std::vector<double>& im = {}) {
  if (t != complex64 || im.empty()) return make(re, shape, t);
  return add(make(re, shape, complex64),
             multiply(make(im, shape, complex64), array(complex64_t(0.0f, 1.0f))), Device::cpu);
}

// Random small integers in [lo, hi] (non-negative for unsigned dtypes, 0/1 for bool), with ties.
inline array rnd(const Shape& shape, Dtype t, uint32_t seed, int lo = -20, int hi = 20,
                 bool nans = false) {
  size_t n = 1;
  for (auto d : shape)
    n *= d;
  if (t == bool_) return make(rnd_ints(n, 0, 1, seed), shape, t);
  if (is_unsigned_or_bool(t)) lo = std::max(lo, 0);
  auto v = rnd_ints(n, lo, hi, seed);
  auto im = rnd_ints(n, -2, 2, seed + 1000);
  if (nans) {
    // A complex NaN is NaN in both parts: reductions keep the first NaN they meet, and the CPU
    // and a GPU meet them in different orders.
    v = with_nans(v, t);
    im = with_nans(im, t);
  }
  return of(v, shape, t, im);
}

// Complex results are compared through their real and imaginary parts (NaN-aware).
inline void expect_matches(const std::function<array(Device)>& fn, double tol_scale = 1.0) {
  array probe = fn(Device(Device::cpu));
  if (probe.dtype() == complex64) {
    EXPECT_MATCHES_CPU([&](Device d) { return real(fn(d), d); }, tol_scale);
    EXPECT_MATCHES_CPU([&](Device d) { return imag(fn(d), d); }, tol_scale);
  } else {
    EXPECT_MATCHES_CPU(fn, tol_scale);
  }
}

inline std::vector<Device> gpus() {
  std::vector<Device> out;
  for (auto& d : tandem_test::test_devices())
    if (d.type != Device::cpu) out.push_back(d);
  return out;
}

/// Multiples of 1/8 in [-2, 2], float32: exact in every float dtype.
inline array rnd_real(const Shape& shape, uint32_t seed) {
  size_t n = 1;
  for (auto e : shape)
    n *= e;
  auto v = rnd_ints(n, -16, 16, seed);
  for (auto& e : v)
    e /= 8;
  return make(v, shape, float32);
}

/// Small values of `t` for elementwise checks: 0/1 for bool, [0, 4] / [-4, 4] for integers,
/// multiples of 1/4 in [-3, 3] for real floats (exact in every float dtype), and for complex64
/// real and imaginary parts that are non-zero multiples of 1/4 in [-1.75, 1.75] (off the branch
/// cuts of the complex functions, where the host's and the device's libraries may pick
/// different sides).
inline array small_values(const Shape& shape, Dtype t, uint32_t seed) {
  size_t n = 1;
  for (auto e : shape)
    n *= e;
  if (t == bool_) return make(rnd_ints(n, 0, 1, seed), shape, t);
  if (is_unsigned_or_bool(t)) return make(rnd_ints(n, 0, 4, seed), shape, t);
  if (!is_float_or_complex(t)) return make(rnd_ints(n, -4, 4, seed), shape, t);
  if (t != complex64) {
    auto v = rnd_ints(n, -12, 12, seed);
    for (auto& x : v)
      x /= 4;
    return make(v, shape, t);
  }
  auto nonzero = [](std::vector<double> v) {
    for (auto& x : v)
      x = (x == 0 ? 1 : x) / 4;
    return v;
  };
  return of(nonzero(rnd_ints(n, -7, 7, seed)), shape, t, nonzero(rnd_ints(n, -7, 7, seed + 1)));
}

/// Values whose products are exact in every order of multiplication: integers and bool any small
/// values (integer products wrap modulo 2^bits alike); float and complex dtypes random signs with
/// at most 48 factors 2 and 48 factors 0.5, so that every partial product of any subset lies
/// within 2^-48 .. 2^48 (no overflow or underflow in float32 accumulators, whichever elements a
/// thread or lane combines first). Random {2, 0.5} factors on long rows are not: a partial
/// product of a few thousand of them leaves the float range in one order and not in another.
inline array exact_product_values(const Shape& shape, Dtype t, uint32_t seed) {
  size_t n = 1;
  for (auto e : shape)
    n *= e;
  if (t == bool_) return make(rnd_ints(n, 0, 1, seed), shape, t);
  if (is_unsigned_or_bool(t)) return make(pick(n, {1, 2}, seed), shape, t);
  if (!is_float_or_complex(t)) return make(pick(n, {-1, 1, 2}, seed), shape, t);
  std::vector<double> v = pick(n, {-1, 1}, seed);
  std::mt19937 gen(seed + 1);
  std::uniform_int_distribution<size_t> at(0, n - 1);
  for (int k = 0; k < 96 && n > 0; ++k)
    v[at(gen)] *= (k % 2 == 0 ? 2.0 : 0.5);  // a position hit twice: 4, 1 or 0.25
  return of(v, shape, t);
}

/// Views of a (8, 12) array that the kernels treat differently, each of shape (4, 6) or
/// broadcasting to it: row-contiguous; row-contiguous starting one element in (misaligned for
/// 16-byte accesses); transposed; strided (stride 2 in both dims); reversed (negative strides);
/// a broadcast row (stride 0); a (1, 6) row and a (4, 1) column (broadcast by binary ops); a 0-d
/// view with an offset; an empty (0, 6) slice. Built with ops on `d`, so on a GPU they are views
/// of the device buffer.
inline std::vector<std::pair<std::string, array>> views_of(const array& base, Device d) {
  array flat = reshape(base, {96}, d);
  array row = slice(base, {2, 0}, {3, 6}, d);
  return {
      {"contiguous", reshape(slice(flat, {0}, {24}, d), {4, 6}, d)},
      {"offset", reshape(slice(flat, {1}, {25}, d), {4, 6}, d)},
      {"transposed", transpose(reshape(slice(flat, {24}, {48}, d), {6, 4}, d), d)},
      {"strided", slice(base, {0, 1}, {8, 12}, {2, 2}, d)},
      {"reversed", slice(base, {7, 11}, {-9, -13}, {-2, -2}, d)},
      {"broadcast", broadcast_to(row, {4, 6}, d)},
      {"row", row},
      {"column", slice(base, {1, 3}, {5, 4}, d)},
      {"scalar", reshape(slice(base, {3, 5}, {4, 6}, d), {}, d)},
      {"empty", slice(base, {0, 0}, {0, 6}, d)},
  };
}

}  // namespace gpu_parity

using namespace gpu_parity;
