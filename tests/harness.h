// Copyright © 2026 Tandem authors.
// Shared test harness (DESIGN §7): run op cases on every available device, compare arrays with
// per-dtype tolerances, and check exception messages.
//
//   DEVICE_TEST(Add, Broadcasts) {            // body runs once per device; `device` names it
//     auto c = tandem::add(a, b, device);
//     EXPECT_ARRAY_EQ(c, std::vector<float>{...}, Shape{2, 3});
//   }
//
// Without a GPU the GPU cases are skipped with one visible "[ SKIPPED GPU ]" line. With a GPU,
// EXPECT_MATCHES_CPU(fn) runs fn on the CPU (the oracle) and on every GPU and compares.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <functional>
#include <iostream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "tandem/primitive.h"
#include "tandem/tandem.h"

namespace tandem_test {

using tandem::array;
using tandem::Device;
using tandem::Dtype;
using tandem::Shape;

/// Every dtype, in the order of Dtype::Val.
inline const std::vector<Dtype>& all_dtypes() {
  static const std::vector<Dtype> v{
      tandem::bool_,   tandem::uint8,   tandem::uint16,   tandem::uint32,   tandem::uint64,
      tandem::int8,    tandem::int16,   tandem::int32,    tandem::int64,    tandem::float16,
      tandem::float32, tandem::float64, tandem::bfloat16, tandem::complex64};
  return v;
}

/// The dtypes that hold real numbers (everything but bool and complex64).
inline const std::vector<Dtype>& real_numeric_dtypes() {
  static const std::vector<Dtype> v{tandem::uint8,   tandem::uint16,  tandem::uint32,
                                    tandem::uint64,  tandem::int8,    tandem::int16,
                                    tandem::int32,   tandem::int64,   tandem::float16,
                                    tandem::float32, tandem::float64, tandem::bfloat16};
  return v;
}

inline const std::vector<Dtype>& float_dtypes() {
  static const std::vector<Dtype> v{tandem::float16, tandem::bfloat16, tandem::float32,
                                    tandem::float64};
  return v;
}

inline const std::vector<Dtype>& integer_dtypes() {
  static const std::vector<Dtype> v{tandem::uint8, tandem::uint16, tandem::uint32, tandem::uint64,
                                    tandem::int8,  tandem::int16,  tandem::int32,  tandem::int64};
  return v;
}

inline std::string device_name(const Device& d) {
  std::ostringstream os;
  os << d;
  return os.str();
}

/// The devices every op case runs on: the CPU always, each GPU when one is usable. Prints once
/// (per process) that GPU cases are skipped when there is none.
inline std::vector<Device> test_devices() {
  std::vector<Device> out{Device(Device::cpu)};
  int n = tandem::device_count(Device::gpu);
  for (int i = 0; i < n; ++i) {
    if (tandem::is_available(Device(Device::gpu, i))) out.emplace_back(Device::gpu, i);
  }
  static bool reported = false;
  if (out.size() == 1 && !reported) {
    reported = true;
    std::cout << "[ SKIPPED GPU ] no GPU available: GPU cases skipped" << std::endl;
  }
  return out;
}

inline bool has_gpu() {
  return tandem::is_available(Device(Device::gpu));
}

// ------------------------------ values ------------------------------

/// The elements in row-major order as doubles, read in the array's own C++ type (no conversion
/// by the library, so tests of astype are not circular). complex64: the real parts.
inline std::vector<double> values(array a) {
  auto conv = [&](auto tag) {
    using T = decltype(tag);
    auto v = a.to_vector<T>();
    std::vector<double> out;
    out.reserve(v.size());
    for (auto x : v) {
      if constexpr (std::is_same_v<T, tandem::complex64_t>) {
        out.push_back(x.real());
      } else {
        out.push_back(static_cast<double>(
            static_cast<std::conditional_t<std::is_same_v<T, tandem::float16_t> ||
                                               std::is_same_v<T, tandem::bfloat16_t>,
                                           float, T>>(x)));
      }
    }
    return out;
  };
  switch (a.dtype().val) {
    case Dtype::Val::bool_:
      return conv(bool{});
    case Dtype::Val::uint8:
      return conv(uint8_t{});
    case Dtype::Val::uint16:
      return conv(uint16_t{});
    case Dtype::Val::uint32:
      return conv(uint32_t{});
    case Dtype::Val::uint64:
      return conv(uint64_t{});
    case Dtype::Val::int8:
      return conv(int8_t{});
    case Dtype::Val::int16:
      return conv(int16_t{});
    case Dtype::Val::int32:
      return conv(int32_t{});
    case Dtype::Val::int64:
      return conv(int64_t{});
    case Dtype::Val::float16:
      return conv(tandem::float16_t{});
    case Dtype::Val::float32:
      return conv(float{});
    case Dtype::Val::float64:
      return conv(double{});
    case Dtype::Val::bfloat16:
      return conv(tandem::bfloat16_t{});
    case Dtype::Val::complex64:
      return conv(tandem::complex64_t{});
  }
  return {};
}

/// An array of `dtype` holding `vals` (converted by the library's constructor).
inline array make(const std::vector<double>& vals, Shape shape, Dtype dtype) {
  return array(vals, std::move(shape), dtype);
}
inline array make(const std::vector<double>& vals, Dtype dtype) {
  return array(vals, Shape{static_cast<int32_t>(vals.size())}, dtype);
}

template <typename T>
std::string to_string_value(const T& v) {
  std::ostringstream os;
  os.precision(17);
  if constexpr (std::is_same_v<T, bool>) {
    os << (v ? "true" : "false");
  } else if constexpr (std::is_same_v<T, int8_t> || std::is_same_v<T, uint8_t>) {
    os << static_cast<int>(v);
  } else {
    os << v;
  }
  return os.str();
}

template <typename T>
std::string vector_to_string(const std::vector<T>& v, size_t limit = 32) {
  std::string s = "[";
  for (size_t i = 0; i < v.size() && i < limit; ++i) {
    s += (i ? ", " : "") + to_string_value(v[i]);
  }
  if (v.size() > limit) s += ", ...";
  return s + "]";
}

template <typename T>
bool same_value(const T& a, const T& b) {
  if constexpr (std::is_floating_point_v<T>) {
    return (std::isnan(a) && std::isnan(b)) || a == b;
  } else if constexpr (std::is_same_v<T, tandem::complex64_t>) {
    return same_value(a.real(), b.real()) && same_value(a.imag(), b.imag());
  } else if constexpr (std::is_same_v<T, tandem::float16_t> ||
                       std::is_same_v<T, tandem::bfloat16_t>) {
    return same_value(static_cast<float>(a), static_cast<float>(b));
  } else {
    return a == b;
  }
}

/// Shape equal and every element equal (NaN equals NaN), read as T.
template <typename T>
::testing::AssertionResult array_eq(array a, const std::vector<T>& expected, const Shape& shape) {
  if (a.shape() != shape) {
    return ::testing::AssertionFailure() << "shape " << tandem::shape_to_string(a.shape())
                                         << " != expected " << tandem::shape_to_string(shape);
  }
  if (expected.size() != a.size()) {
    return ::testing::AssertionFailure()
           << "test bug: " << expected.size() << " expected values for size " << a.size();
  }
  std::vector<T> got = a.to_vector<T>();
  for (size_t i = 0; i < got.size(); ++i) {
    if (!same_value<T>(got[i], expected[i])) {
      return ::testing::AssertionFailure()
             << "element " << i << ": " << to_string_value<T>(got[i]) << " != expected "
             << to_string_value<T>(expected[i]) << "\n  got:      " << vector_to_string(got)
             << "\n  expected: " << vector_to_string(expected);
    }
  }
  return ::testing::AssertionSuccess();
}

/// Same, and the dtype must be `dtype`.
template <typename T>
::testing::AssertionResult array_eq(array a, const std::vector<T>& expected, const Shape& shape,
                                    Dtype dtype) {
  if (a.dtype() != dtype) {
    return ::testing::AssertionFailure() << "dtype " << a.dtype() << " != expected " << dtype;
  }
  return array_eq(a, expected, shape);
}

/// Default tolerances (rtol = atol) of a dtype's arithmetic.
inline double default_tolerance(Dtype t) {
  switch (t.val) {
    case Dtype::Val::float16:
      return 2e-3;
    case Dtype::Val::bfloat16:
      return 1.6e-2;
    case Dtype::Val::float32:
    case Dtype::Val::complex64:
      return 2e-6;
    case Dtype::Val::float64:
      return 1e-12;
    default:
      return 0.0;
  }
}

/// Shape equal and |got - expected| <= atol + rtol * |expected| for every element (NaN matches
/// NaN, infinities must match exactly). Negative tolerances mean the dtype's default.
inline ::testing::AssertionResult array_close(array a, const std::vector<double>& expected,
                                              const Shape& shape, double rtol = -1,
                                              double atol = -1) {
  if (a.shape() != shape) {
    return ::testing::AssertionFailure() << "shape " << tandem::shape_to_string(a.shape())
                                         << " != expected " << tandem::shape_to_string(shape);
  }
  if (expected.size() != a.size()) {
    return ::testing::AssertionFailure()
           << "test bug: " << expected.size() << " expected values for size " << a.size();
  }
  if (rtol < 0) rtol = default_tolerance(a.dtype());
  if (atol < 0) atol = default_tolerance(a.dtype());
  std::vector<double> got = values(a);
  for (size_t i = 0; i < got.size(); ++i) {
    double g = got[i], e = expected[i];
    bool ok;
    if (std::isnan(e)) {
      ok = std::isnan(g);
    } else if (std::isinf(e)) {
      ok = g == e;
    } else {
      ok = std::abs(g - e) <= atol + rtol * std::abs(e);
    }
    if (!ok) {
      return ::testing::AssertionFailure()
             << "element " << i << ": " << to_string_value(g) << " not close to "
             << to_string_value(e) << " (rtol " << rtol << ", atol " << atol << ", dtype "
             << a.dtype() << ")\n  got:      " << vector_to_string(got)
             << "\n  expected: " << vector_to_string(expected);
    }
  }
  return ::testing::AssertionSuccess();
}

/// Complex values within a tolerance (both parts).
inline ::testing::AssertionResult complex_close(array a,
                                                const std::vector<tandem::complex64_t>& expected,
                                                const Shape& shape, double tol = 2e-6) {
  if (a.dtype() != tandem::complex64) {
    return ::testing::AssertionFailure() << "dtype " << a.dtype() << " is not complex64";
  }
  if (a.shape() != shape) {
    return ::testing::AssertionFailure() << "shape " << tandem::shape_to_string(a.shape())
                                         << " != expected " << tandem::shape_to_string(shape);
  }
  auto got = a.to_vector<tandem::complex64_t>();
  for (size_t i = 0; i < got.size(); ++i) {
    // NaN-aware: a NaN part must be NaN in both; the other part is compared as usual.
    const bool nr = std::isnan(got[i].real()), ni = std::isnan(got[i].imag());
    if (nr != std::isnan(expected[i].real()) || ni != std::isnan(expected[i].imag())) {
      return ::testing::AssertionFailure()
             << "element " << i << ": " << got[i] << " not close to " << expected[i];
    }
    if (nr || ni) {
      const double g = nr ? got[i].imag() : got[i].real();
      const double e = nr ? expected[i].imag() : expected[i].real();
      if ((nr && ni) || std::abs(g - e) <= tol * (1 + std::abs(e))) continue;
      return ::testing::AssertionFailure()
             << "element " << i << ": " << got[i] << " not close to " << expected[i];
    }
    double d = std::abs(std::complex<double>(got[i]) - std::complex<double>(expected[i]));
    if (!(d <= tol * (1 + std::abs(std::complex<double>(expected[i]))))) {
      return ::testing::AssertionFailure()
             << "element " << i << ": " << got[i] << " not close to " << expected[i];
    }
  }
  return ::testing::AssertionSuccess();
}

/// Two arrays with equal shapes and dtypes whose values agree within the dtype's tolerance.
inline ::testing::AssertionResult arrays_close(array a, array b, double tol_scale = 1.0) {
  if (a.dtype() != b.dtype()) {
    return ::testing::AssertionFailure() << "dtype " << a.dtype() << " != " << b.dtype();
  }
  if (a.dtype() == tandem::complex64) {
    auto ev = b.to_vector<tandem::complex64_t>();
    return complex_close(a, ev, b.shape(), 2e-6 * tol_scale);
  }
  double tol = default_tolerance(a.dtype()) * tol_scale;
  return array_close(a, values(b), b.shape(), tol, tol);
}

/// Run `fn` on the CPU (the oracle) and on every GPU, and compare the results within the dtype's
/// tolerance. On a machine without a GPU this only checks that the CPU run succeeds.
inline ::testing::AssertionResult matches_cpu(const std::function<array(Device)>& fn,
                                              double tol_scale = 1.0) {
  array ref = fn(Device(Device::cpu));
  ref.eval();
  for (auto& d : test_devices()) {
    if (d.type == Device::cpu) continue;
    array got = fn(d);
    auto r = arrays_close(got, ref, tol_scale);
    if (!r) return ::testing::AssertionFailure() << "on " << device_name(d) << ": " << r.message();
  }
  return ::testing::AssertionSuccess();
}

/// One input in a particular memory layout, with its values in row-major order.
struct LayoutCase {
  std::string name;
  array input;
  std::vector<double> vals;  // the intended values, row-major (before dtype rounding)
  Shape shape;
};

/// The 12 values `v` laid out in several ways: contiguous 1-d and 2-d, transposed, a strided
/// slice, a reversed (negative stride) slice, a broadcast, a 0-d scalar and an empty array.
inline std::vector<LayoutCase> layouts(const std::vector<double>& v, Dtype dtype) {
  std::vector<LayoutCase> out;
  out.push_back({"contiguous", make(v, {12}, dtype), v, {12}});
  out.push_back({"2d", make(v, {3, 4}, dtype), v, {3, 4}});
  std::vector<double> tv;
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 3; ++j)
      tv.push_back(v[j * 4 + i]);
  }
  out.push_back({"transposed", tandem::transpose(make(v, {3, 4}, dtype)), tv, {4, 3}});
  std::vector<double> inter;
  for (double x : v) {
    inter.push_back(x);
    inter.push_back(v[0]);
  }
  out.push_back({"strided", tandem::slice(make(inter, {24}, dtype), {0}, {24}, {2}), v, {12}});
  std::vector<double> rv(v.rbegin(), v.rend());
  out.push_back({"reversed", tandem::slice(make(v, {12}, dtype), {-1}, {-13}, {-1}), rv, {12}});
  std::vector<double> bv;
  for (int i = 0; i < 3; ++i)
    bv.insert(bv.end(), v.begin(), v.begin() + 4);
  out.push_back({"broadcast",
                 tandem::broadcast_to(make({v[0], v[1], v[2], v[3]}, {1, 4}, dtype), {3, 4}),
                 bv,
                 {3, 4}});
  out.push_back({"scalar", make({v[5]}, {}, dtype), {v[5]}, {}});
  out.push_back({"empty", make({}, {0, 3}, dtype), {}, {0, 3}});
  return out;
}

inline bool contains(const std::string& s, const std::string& sub) {
  return s.find(sub) != std::string::npos;
}

}  // namespace tandem_test

/// EXPECT_ARRAY_EQ(a, std::vector<T>{...}, Shape{...} [, dtype]): exact comparison read as T.
#define EXPECT_ARRAY_EQ(a, ...) EXPECT_TRUE(::tandem_test::array_eq(a, __VA_ARGS__))
#define ASSERT_ARRAY_EQ(a, ...) ASSERT_TRUE(::tandem_test::array_eq(a, __VA_ARGS__))
/// EXPECT_ARRAY_CLOSE(a, std::vector<double>{...}, Shape{...} [, rtol, atol]).
#define EXPECT_ARRAY_CLOSE(a, ...) EXPECT_TRUE(::tandem_test::array_close(a, __VA_ARGS__))
#define EXPECT_MATCHES_CPU(...) EXPECT_TRUE(::tandem_test::matches_cpu(__VA_ARGS__))

/// The statement must throw `exc` whose what() contains `substr`.
#define EXPECT_THROW_MSG(stmt, exc, substr)                                                       \
  do {                                                                                            \
    try {                                                                                         \
      stmt;                                                                                       \
      ADD_FAILURE() << "Expected " #exc " from: " #stmt;                                          \
    } catch (const exc& e_) {                                                                     \
      EXPECT_TRUE(::tandem_test::contains(e_.what(), substr))                                     \
          << "message \"" << e_.what() << "\" does not contain \"" << (substr) << "\"";           \
    } catch (const std::exception& e_) {                                                          \
      ADD_FAILURE() << "Expected " #exc " from: " #stmt "; got another exception: " << e_.what(); \
    } catch (...) {                                                                               \
      ADD_FAILURE() << "Expected " #exc " from: " #stmt "; got a non-std exception";              \
    }                                                                                             \
  } while (0)

/// A test whose body runs once per device in test_devices(); the body sees `const Device& device`
/// and passes it as the StreamOrDevice argument of ops. Failures name the device.
#define DEVICE_TEST(suite, name)                                     \
  static void suite##_##name##_body(const ::tandem::Device& device); \
  TEST(suite, name) {                                                \
    for (const auto& d_ : ::tandem_test::test_devices()) {           \
      SCOPED_TRACE("device " + ::tandem_test::device_name(d_));      \
      suite##_##name##_body(d_);                                     \
    }                                                                \
  }                                                                  \
  static void suite##_##name##_body([[maybe_unused]] const ::tandem::Device& device)
