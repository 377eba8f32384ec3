// Copyright © 2026 Tandem authors.
// Binary ops (src/ops/binary.cpp): arithmetic, promotion, broadcasting, layouts, special values.
// Comparisons, logical/bitwise ops, shifts, where/clip/isclose and operators are in
// test_binary_logic.cpp.
#include <cfloat>
#include <climits>
#include <cmath>
#include <limits>

#include "harness.h"

using namespace tandem;
using tandem_test::make;
using tandem_test::values;

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr float kInfF = std::numeric_limits<float>::infinity();
constexpr float kNaNF = std::numeric_limits<float>::quiet_NaN();
}  // namespace

// ------------------------------ arithmetic on every dtype ------------------------------

DEVICE_TEST(BinaryArith, AddSubtractMultiplyEveryDtype) {
  for (Dtype t : tandem_test::real_numeric_dtypes()) {
    SCOPED_TRACE(dtype_name(t));
    array a = make({1, 2, 3, 10, 20, 100}, {2, 3}, t);
    array b = make({1, 0, 2, 5, 4, 1}, {2, 3}, t);
    array s = add(a, b, device);
    EXPECT_EQ(s.dtype(), t);
    EXPECT_ARRAY_CLOSE(s, {2, 2, 5, 15, 24, 101}, Shape{2, 3}, 0, 0);
    array d = subtract(a, b, device);
    EXPECT_EQ(d.dtype(), t);
    EXPECT_ARRAY_CLOSE(d, {0, 2, 1, 5, 16, 99}, Shape{2, 3}, 0, 0);
    array m = multiply(a, b, device);
    EXPECT_EQ(m.dtype(), t);
    EXPECT_ARRAY_CLOSE(m, {1, 0, 6, 50, 80, 100}, Shape{2, 3}, 0, 0);
  }
  array z1 = array({complex64_t(1, 2), complex64_t(0, 1)});
  array z2 = array({complex64_t(3, -1), complex64_t(0, 1)});
  EXPECT_TRUE(
      tandem_test::complex_close(add(z1, z2, device), {complex64_t(4, 1), complex64_t(0, 2)}, {2}));
  EXPECT_TRUE(tandem_test::complex_close(subtract(z1, z2, device),
                                         {complex64_t(-2, 3), complex64_t(0, 0)}, {2}));
  EXPECT_TRUE(tandem_test::complex_close(multiply(z1, z2, device),
                                         {complex64_t(5, 5), complex64_t(-1, 0)}, {2}));
  EXPECT_TRUE(tandem_test::complex_close(divide(z1, z2, device),
                                         {complex64_t(0.1f, 0.7f), complex64_t(1, 0)}, {2}));
}

DEVICE_TEST(BinaryArith, IntegerOverflowWraps) {
  EXPECT_ARRAY_EQ(add(array({uint8_t(250)}), array({uint8_t(10)}), device), std::vector<uint8_t>{4},
                  Shape{1}, uint8);
  EXPECT_ARRAY_EQ(subtract(array({uint8_t(0)}), array({uint8_t(1)}), device),
                  std::vector<uint8_t>{255}, Shape{1}, uint8);
  EXPECT_ARRAY_EQ(add(array({int8_t(127)}), array({int8_t(1)}), device), std::vector<int8_t>{-128},
                  Shape{1}, int8);
  EXPECT_ARRAY_EQ(multiply(array({int16_t(300)}), array({int16_t(300)}), device),
                  std::vector<int16_t>{static_cast<int16_t>(90000 - 65536)}, Shape{1}, int16);
  EXPECT_ARRAY_EQ(add(array({uint64_t(1) << 63}), array({uint64_t(1) << 62}), device),
                  std::vector<uint64_t>{(uint64_t(1) << 63) + (uint64_t(1) << 62)}, Shape{1});
}

DEVICE_TEST(BinaryArith, BoolArithmetic) {
  array t({true, true, false, false});
  array f({true, false, true, false});
  // add is logical or, multiply logical and (MLX keeps bool).
  EXPECT_ARRAY_EQ(add(t, f, device), std::vector<bool>{1, 1, 1, 0}, Shape{4}, bool_);
  EXPECT_ARRAY_EQ(multiply(t, f, device), std::vector<bool>{1, 0, 0, 0}, Shape{4}, bool_);
  EXPECT_THROW_MSG(subtract(t, f, device), std::invalid_argument, "[subtract]");
  EXPECT_THROW_MSG(t - f, std::invalid_argument, "bool");
  // bool with a number promotes to the number.
  EXPECT_ARRAY_EQ(add(t, array(2), device), std::vector<int>{3, 3, 2, 2}, Shape{4}, int32);
  EXPECT_ARRAY_EQ(subtract(array(5.0f), t, device), std::vector<float>{4, 4, 5, 5}, Shape{4},
                  float32);
  EXPECT_ARRAY_EQ(divide(t, array(true), device), std::vector<float>{1, 1, 0, 0}, Shape{4},
                  float32);
}

DEVICE_TEST(BinaryArith, Divide) {
  // Integer true division gives float32.
  array a = array({7, -7, 1, 0});
  array b = array({2, 2, 3, 5});
  EXPECT_ARRAY_CLOSE(divide(a, b, device), {3.5, -3.5, 1.0 / 3, 0}, Shape{4});
  EXPECT_EQ(divide(a, b, device).dtype(), float32);
  EXPECT_EQ(divide(array({int64_t(1)}), array({int64_t(2)}), device).dtype(), float32);
  EXPECT_EQ(divide(array({uint8_t(1)}), array({uint8_t(2)}), device).dtype(), float32);
  EXPECT_EQ(divide(make({1}, float16), make({2}, float16), device).dtype(), float16);
  EXPECT_EQ(divide(make({1}, bfloat16), make({2}, bfloat16), device).dtype(), bfloat16);
  EXPECT_EQ(divide(make({1}, float64), make({2}, int32), device).dtype(), float64);
  EXPECT_ARRAY_CLOSE(divide(make({1}, float64), make({3}, float64), device), {1.0 / 3}, Shape{1},
                     1e-16, 0);
  // Division by zero.
  EXPECT_ARRAY_EQ(divide(array({1.0f, -1.0f, 0.0f}), array(0.0f), device),
                  std::vector<float>{kInfF, -kInfF, kNaNF}, Shape{3});
  EXPECT_ARRAY_EQ(divide(array({1, 0}), array(0), device), std::vector<float>{kInfF, kNaNF},
                  Shape{2});
}

DEVICE_TEST(BinaryArith, FloorDivideRemainderPythonSemantics) {
  // Python: 7//2=3, -7//2=-4, 7//-2=-4, -7//-2=3; 7%2=1, -7%2=1, 7%-2=-1, -7%-2=-1.
  for (Dtype t : {int8, int16, int32, int64, float16, bfloat16, float32, float64}) {
    SCOPED_TRACE(dtype_name(t));
    array a = make({7, -7, 7, -7, 6, -6, 0}, t);
    array b = make({2, 2, -2, -2, 3, 3, -5}, t);
    array q = floor_divide(a, b, device);
    array r = remainder(a, b, device);
    EXPECT_EQ(q.dtype(), t);
    EXPECT_EQ(r.dtype(), t);
    EXPECT_ARRAY_CLOSE(q, {3, -4, -4, 3, 2, -2, 0}, Shape{7}, 0, 0);
    EXPECT_ARRAY_CLOSE(r, {1, 1, -1, -1, 0, 0, 0}, Shape{7}, 0, 0);
    // a == b * (a // b) + a % b
    EXPECT_ARRAY_CLOSE(add(multiply(b, q, device), r, device), values(a), Shape{7}, 0, 0);
    auto qr = divmod(a, b, device);
    ASSERT_EQ(qr.size(), 2u);
    EXPECT_EQ(values(qr[0]), values(q));
    EXPECT_EQ(values(qr[1]), values(r));
  }
  for (Dtype t : {uint8, uint16, uint32, uint64}) {
    array a = make({7, 9, 200}, t);
    array b = make({2, 3, 7}, t);
    EXPECT_EQ(values(floor_divide(a, b, device)), (std::vector<double>{3, 3, 28}));
    EXPECT_EQ(values(remainder(a, b, device)), (std::vector<double>{1, 0, 4}));
  }
  // Fractional floats.
  EXPECT_ARRAY_EQ(floor_divide(array({7.5f, -7.5f}), array(2.0f), device),
                  std::vector<float>{3, -4}, Shape{2});
  EXPECT_ARRAY_EQ(remainder(array({7.5f, -7.5f, 7.5f}), array({2.0f, 2.0f, -2.0f}), device),
                  std::vector<float>{1.5f, 0.5f, -0.5f}, Shape{3});
  EXPECT_ARRAY_EQ(array({-7.5f}) % 2.0f, std::vector<float>{0.5f}, Shape{1});
  // Large magnitudes where C's fmod and % differ from Python's.
  EXPECT_ARRAY_EQ(remainder(array({int64_t(-1)}), array({int64_t(1000000000000)}), device),
                  std::vector<int64_t>{999999999999}, Shape{1});
  EXPECT_ARRAY_EQ(floor_divide(array({int64_t(-1)}), array({int64_t(1000000000000)}), device),
                  std::vector<int64_t>{-1}, Shape{1});
  // Mixed signed/unsigned promote before dividing: int8 -7 and uint8 2 -> int16.
  array m = floor_divide(array({int8_t(-7)}), array({uint8_t(2)}), device);
  EXPECT_ARRAY_EQ(m, std::vector<int16_t>{-4}, Shape{1}, int16);
  // bool inputs divide as int32.
  EXPECT_ARRAY_EQ(floor_divide(array({true, false}), array({true, true}), device),
                  std::vector<int>{1, 0}, Shape{2}, int32);
  EXPECT_ARRAY_EQ(remainder(array({true, false}), array({true, true}), device),
                  std::vector<int>{0, 0}, Shape{2}, int32);
  // Complex is rejected.
  array z(complex64_t(1, 1));
  EXPECT_THROW_MSG(floor_divide(z, z, device), std::invalid_argument, "[floor_divide]");
  EXPECT_THROW_MSG(remainder(z, array(2.0f), device), std::invalid_argument, "[remainder]");
  EXPECT_THROW_MSG(divmod(z, z, device), std::invalid_argument, "complex");
}

DEVICE_TEST(BinaryArith, IntegerDivisionEdgeCases) {
  // The most negative value divided by -1 overflows; it must not crash (x86 traps on it).
  EXPECT_ARRAY_EQ(floor_divide(array({INT_MIN}), array({-1}), device), std::vector<int>{INT_MIN},
                  Shape{1});
  EXPECT_ARRAY_EQ(remainder(array({INT_MIN}), array({-1}), device), std::vector<int>{0}, Shape{1});
  EXPECT_ARRAY_EQ(floor_divide(array({INT64_MIN}), array({int64_t(-1)}), device),
                  std::vector<int64_t>{INT64_MIN}, Shape{1});
  EXPECT_ARRAY_EQ(remainder(array({INT64_MIN}), array({int64_t(-1)}), device),
                  std::vector<int64_t>{0}, Shape{1});
  EXPECT_ARRAY_EQ(floor_divide(array({int8_t(-128)}), array({int8_t(-1)}), device),
                  std::vector<int8_t>{-128}, Shape{1});
  // Integer division by zero gives 0 instead of crashing.
  EXPECT_ARRAY_EQ(floor_divide(array({5, -5}), array(0), device), std::vector<int>{0, 0}, Shape{2});
  EXPECT_ARRAY_EQ(remainder(array({5u}), array(0u), device), std::vector<uint32_t>{0}, Shape{1});
  // Float division by zero follows IEEE.
  EXPECT_ARRAY_EQ(floor_divide(array({1.0f, -1.0f}), array(0.0f), device),
                  std::vector<float>{kInfF, -kInfF}, Shape{2});
  EXPECT_ARRAY_EQ(remainder(array({1.0f}), array(0.0f), device), std::vector<float>{kNaNF},
                  Shape{1});
}

DEVICE_TEST(BinaryArith, DivModShapesDtypesAndLayouts) {
  // Broadcast (2, 1) against (3,): floor semantics for every sign combination.
  auto qr = divmod(array({-7, 7}, {2, 1}), array({2, -3, 5}), device);
  ASSERT_EQ(qr.size(), 2u);
  EXPECT_ARRAY_EQ(qr[0], std::vector<int>{-4, 2, -2, 3, -3, 1}, Shape{2, 3}, int32);
  EXPECT_ARRAY_EQ(qr[1], std::vector<int>{1, -1, 3, 1, -2, 2}, Shape{2, 3}, int32);
  // Mixed int / float promotes to float32.
  auto f = divmod(array({7, -7, 8}), array(2.0f), device);
  EXPECT_ARRAY_EQ(f[0], std::vector<float>{3, -4, 4}, Shape{3}, float32);
  EXPECT_ARRAY_EQ(f[1], std::vector<float>{1, 1, 0}, Shape{3}, float32);
  // int8 extremes: -128 // 3 = -43 (not -42), -128 % 3 = 1; 127 // -2 = -64, 127 % -2 = -1.
  auto i8 = divmod(array({int8_t(-128), int8_t(127)}), array({int8_t(3), int8_t(-2)}), device);
  EXPECT_ARRAY_EQ(i8[0], std::vector<int8_t>{-43, -64}, Shape{2}, int8);
  EXPECT_ARRAY_EQ(i8[1], std::vector<int8_t>{1, -1}, Shape{2}, int8);
  // Transposed input: [[-7, -8], [7, 8]] divmod 3.
  auto t = divmod(transpose(array({-7, 7, -8, 8}, {2, 2}), device), array(3), device);
  EXPECT_ARRAY_EQ(t[0], std::vector<int>{-3, -3, 2, 2}, Shape{2, 2});
  EXPECT_ARRAY_EQ(t[1], std::vector<int>{2, 1, 1, 2}, Shape{2, 2});
  // 0-d and empty.
  auto z = divmod(array(-9), array(4), device);
  EXPECT_ARRAY_EQ(z[0], std::vector<int>{-3}, Shape{});
  EXPECT_ARRAY_EQ(z[1], std::vector<int>{3}, Shape{});
  auto e = divmod(array(std::vector<int>{}, {0}), array(2), device);
  EXPECT_EQ(e[0].shape(), Shape{0});
  EXPECT_EQ(e[1].shape(), Shape{0});
  // Float floor division is floor(a / b), as MLX (NumPy's 1.0 // 0.1 is 9.0).
  EXPECT_ARRAY_EQ(floor_divide(array({1.0}, float64), array(0.1, float64), device),
                  std::vector<double>{10}, Shape{1});
  EXPECT_THROW_MSG(divmod(array({1, 2}), array({1, 2, 3}), device), std::invalid_argument,
                   "[divmod] Shapes (2,) and (3,) cannot be broadcast.");
  EXPECT_THROW_MSG(divmod(array(complex64_t(1, 1)), array(1), device), std::invalid_argument,
                   "[divmod] Not supported for complex inputs.");
}

DEVICE_TEST(BinaryArith, IntegerOverflowWrapsAround) {
  // Two's-complement wrap-around, as NumPy and MLX (and no undefined behaviour in the kernels:
  // the sanitizer build checks that).
  const int32_t big = std::numeric_limits<int32_t>::max(),
                small = std::numeric_limits<int32_t>::min();
  EXPECT_ARRAY_EQ(multiply(array({65536, 100000, -3}), array({65536, 100000, big}), device),
                  std::vector<int32_t>{0, 1410065408, -2147483645}, Shape{3}, int32);
  EXPECT_ARRAY_EQ(add(array({big, small}), array({1, -1}), device),
                  std::vector<int32_t>{small, big}, Shape{2}, int32);
  EXPECT_ARRAY_EQ(subtract(array({small}), array({1}), device), std::vector<int32_t>{big}, Shape{1},
                  int32);
  EXPECT_ARRAY_EQ(negative(array({small, 5}), device), std::vector<int32_t>{small, -5}, Shape{2},
                  int32);
  EXPECT_ARRAY_EQ(abs(array({small, -5}), device), std::vector<int32_t>{small, 5}, Shape{2}, int32);
  EXPECT_ARRAY_EQ(multiply(array({uint16_t(65535)}), array({uint16_t(65535)}), device),
                  std::vector<uint16_t>{1}, Shape{1}, uint16);
  EXPECT_ARRAY_EQ(multiply(array({int8_t(100)}), array({int8_t(3)}), device),
                  std::vector<int8_t>{44}, Shape{1}, int8);
  // 3^40 mod 2^32 as a signed int32.
  EXPECT_ARRAY_EQ(power(array({3}), array({40}), device), std::vector<int32_t>{689956897}, Shape{1},
                  int32);
  // Reductions and scans wrap the same way, whatever the order of the operations.
  array x = full({1024}, 1 << 22, int32);  // the sum is 2^32: 0 mod 2^32
  EXPECT_EQ(sum(x, false, device).item<int32_t>(), 0);
  EXPECT_EQ(prod(full({33}, 2, int32), false, device).item<int32_t>(), 0);
  EXPECT_EQ(prod(array({65536, 65535, 3}), false, device).item<int32_t>(), -65536 * 3);
  EXPECT_ARRAY_EQ(cumsum(array({big, 1, 1}), 0, false, true, device),
                  std::vector<int32_t>{big, small, small + 1}, Shape{3}, int32);
}

DEVICE_TEST(BinaryArith, Power) {
  EXPECT_ARRAY_EQ(power(array({2, 3, -2, 5, 0}), array({10, 0, 3, 1, 0}), device),
                  std::vector<int>{1024, 1, -8, 5, 1}, Shape{5}, int32);
  // Negative integer exponents: only 1 and -1 have integer results; the rest truncate to 0.
  EXPECT_ARRAY_EQ(power(array({2, 1, -1, -1}), array({-1, -5, -3, -2}), device),
                  std::vector<int>{0, 1, -1, 1}, Shape{4});
  EXPECT_ARRAY_EQ(power(array({uint8_t(2)}), array({uint8_t(8)}), device), std::vector<uint8_t>{0},
                  Shape{1}, uint8);
  EXPECT_ARRAY_EQ(power(array({int64_t(3)}), array({int64_t(39)}), device),
                  std::vector<int64_t>{4052555153018976267}, Shape{1});
  EXPECT_ARRAY_EQ(power(array({true, false}), array({true, true}), device), std::vector<int>{1, 0},
                  Shape{2}, int32);
  EXPECT_ARRAY_CLOSE(
      power(array({2.0f, 4.0f, 0.0f, -8.0f}), array({0.5f, -0.5f, 0.0f, 1.0f / 3}), device),
      {M_SQRT2, 0.5, 1, kNaN}, Shape{4});
  EXPECT_ARRAY_CLOSE(power(array({2.0}, float64), array({0.5}, float64), device), {M_SQRT2},
                     Shape{1}, 1e-16, 0);
  for (Dtype t : {float16, bfloat16}) {
    array p = power(make({3, 2}, t), make({2, -1}, t), device);
    EXPECT_EQ(p.dtype(), t);
    EXPECT_ARRAY_CLOSE(p, {9, 0.5}, Shape{2});
  }
  EXPECT_TRUE(tandem_test::complex_close(
      power(array({complex64_t(0, 1)}), array({complex64_t(2, 0)}), device), {complex64_t(-1, 0)},
      {1}, 1e-6));
  // int32 base with a float exponent promotes to float32.
  EXPECT_ARRAY_CLOSE(power(array({4}), array(0.5f), device), {2}, Shape{1});
}

DEVICE_TEST(BinaryArith, MaximumMinimum) {
  for (Dtype t : tandem_test::real_numeric_dtypes()) {
    array a = make({1, 5, 3, 0}, t);
    array b = make({2, 4, 3, 7}, t);
    EXPECT_EQ(values(maximum(a, b, device)), (std::vector<double>{2, 5, 3, 7})) << t;
    EXPECT_EQ(values(minimum(a, b, device)), (std::vector<double>{1, 4, 3, 0})) << t;
    EXPECT_EQ(maximum(a, b, device).dtype(), t);
  }
  EXPECT_ARRAY_EQ(maximum(array({-5, 3}), array(0), device), std::vector<int>{0, 3}, Shape{2});
  EXPECT_ARRAY_EQ(minimum(array({true, false}), array({false, false}), device),
                  std::vector<bool>{false, false}, Shape{2}, bool_);
  EXPECT_ARRAY_EQ(maximum(array({true, false}), array({false, false}), device),
                  std::vector<bool>{true, false}, Shape{2}, bool_);
  // Mixed signedness compares correctly after promotion: int8 -1 < uint8 255.
  EXPECT_ARRAY_EQ(maximum(array({int8_t(-1)}), array({uint8_t(255)}), device),
                  std::vector<int16_t>{255}, Shape{1}, int16);
  EXPECT_ARRAY_EQ(minimum(array({int32_t(-1)}), array({uint32_t(4000000000u)}), device),
                  std::vector<int64_t>{-1}, Shape{1}, int64);
  // NaN propagates from either side.
  for (Dtype t : {float16, bfloat16, float32, float64}) {
    array a = make({kNaN, 1, kNaN, -kInf}, t);
    array b = make({1, kNaN, kNaN, kInf}, t);
    EXPECT_ARRAY_CLOSE(maximum(a, b, device), {kNaN, kNaN, kNaN, kInf}, Shape{4});
    EXPECT_ARRAY_CLOSE(minimum(a, b, device), {kNaN, kNaN, kNaN, -kInf}, Shape{4});
  }
  // Complex: lexicographic.
  array z1 = array({complex64_t(1, 5), complex64_t(2, 0)});
  array z2 = array({complex64_t(1, 6), complex64_t(1, 9)});
  EXPECT_TRUE(tandem_test::complex_close(maximum(z1, z2, device),
                                         {complex64_t(1, 6), complex64_t(2, 0)}, {2}));
  EXPECT_TRUE(tandem_test::complex_close(minimum(z1, z2, device),
                                         {complex64_t(1, 5), complex64_t(1, 9)}, {2}));
}

DEVICE_TEST(BinaryArith, ArcTan2) {
  array y = array({1.0f, 1.0f, -1.0f, 0.0f, 0.0f, 1.0f});
  array x = array({1.0f, -1.0f, -1.0f, -1.0f, 1.0f, 0.0f});
  EXPECT_ARRAY_CLOSE(arctan2(y, x, device),
                     {M_PI / 4, 3 * M_PI / 4, -3 * M_PI / 4, M_PI, 0, M_PI / 2}, Shape{6});
  EXPECT_EQ(arctan2(array({1}), array({1}), device).dtype(), float32);
  EXPECT_EQ(arctan2(make({1}, float16), make({1}, float16), device).dtype(), float16);
  EXPECT_ARRAY_CLOSE(arctan2(array({1}), array({1}), device), {M_PI / 4}, Shape{1});
  EXPECT_ARRAY_CLOSE(arctan2(make({1}, float64), make({-1}, float64), device), {3 * M_PI / 4},
                     Shape{1});
  array z(complex64_t(1, 1));
  EXPECT_THROW_MSG(arctan2(z, z, device), std::invalid_argument, "[arctan2]");
}

DEVICE_TEST(BinaryArith, LogAddExp) {
  array a = make({0, -kInf, kInf, 1000, kNaN, -kInf, 1, -1000}, float32);
  array b = make({0, -kInf, 1, 1000, 1, 3, -kInf, -1000}, float32);
  EXPECT_ARRAY_CLOSE(logaddexp(a, b, device),
                     {M_LN2, -kInf, kInf, 1000 + M_LN2, kNaN, 3, 1, -1000 + M_LN2}, Shape{8});
  for (Dtype t : {float16, bfloat16, float64}) {
    array r = logaddexp(make({-kInf, 0, 2}, t), make({-kInf, 0, 1}, t), device);
    EXPECT_EQ(r.dtype(), t);
    EXPECT_ARRAY_CLOSE(r, {-kInf, M_LN2, 2 + std::log1p(std::exp(-1.0))}, Shape{3});
  }
  // Identity: logaddexp(x, y) == log(exp(x) + exp(y)) where no overflow occurs.
  array x = make({-3, 0.5, 2}, float64), y = make({1, 0.25, -2}, float64);
  EXPECT_TRUE(tandem_test::arrays_close(logaddexp(x, y, device),
                                        log(add(exp(x, device), exp(y, device), device), device)));
  EXPECT_EQ(logaddexp(array({1}), array({2}), device).dtype(), float32);
  EXPECT_THROW_MSG(logaddexp(array(complex64_t(1, 0)), array(1.0f), device), std::invalid_argument,
                   "[logaddexp]");
}

// ------------------------------ promotion ------------------------------

DEVICE_TEST(BinaryPromotion, ResultDtypesAndValues) {
  // int8 + uint8 -> int16, with a value that overflows both inputs' types.
  EXPECT_ARRAY_EQ(add(array({int8_t(-100)}), array({uint8_t(200)}), device),
                  std::vector<int16_t>{100}, Shape{1}, int16);
  EXPECT_ARRAY_EQ(add(array({int8_t(100)}), array({uint8_t(200)}), device),
                  std::vector<int16_t>{300}, Shape{1}, int16);
  // uint32 with int32 -> int64.
  EXPECT_ARRAY_EQ(subtract(array({0u}), array({1}), device), std::vector<int64_t>{-1}, Shape{1},
                  int64);
  // uint64 with int64 -> float32 (MLX).
  EXPECT_EQ(add(array({uint64_t(1)}), array({int64_t(1)}), device).dtype(), float32);
  // Integers with a 16-bit float keep the float type.
  EXPECT_ARRAY_CLOSE(add(array({1000}), make({0.5}, float16), device), {1000.5}, Shape{1});
  EXPECT_EQ(add(array({1000}), make({0.5}, float16), device).dtype(), float16);
  EXPECT_EQ(add(array({int64_t(1)}), make({0.5}, bfloat16), device).dtype(), bfloat16);
  // float16 with bfloat16 -> float32.
  EXPECT_ARRAY_EQ(add(make({1.5}, float16), make({2.5}, bfloat16), device),
                  std::vector<float>{4.0f}, Shape{1}, float32);
  // Anything with float64 -> float64; with complex64 -> complex64.
  EXPECT_EQ(multiply(array({1.0f}), array({2.0}, float64), device).dtype(), float64);
  EXPECT_EQ(multiply(array({2.0}, float64), array(complex64_t(0, 1)), device).dtype(), complex64);
  EXPECT_TRUE(tandem_test::complex_close(
      multiply(array({2.0}, float64), array(complex64_t(0, 1)), device), {complex64_t(0, 2)}, {1}));
  // The values of every promoted pair are computed in the promoted type.
  for (Dtype ta : tandem_test::real_numeric_dtypes()) {
    for (Dtype tb : tandem_test::real_numeric_dtypes()) {
      array r = add(make({3, 100}, ta), make({4, 27}, tb), device);
      ASSERT_EQ(r.dtype(), promote_types(ta, tb)) << ta << " " << tb;
      EXPECT_EQ(values(r), (std::vector<double>{7, 127})) << ta << " + " << tb;
    }
  }
}

DEVICE_TEST(BinaryPromotion, CxxScalarsAreTypedArrays) {
  array h = make({1.5, 2.0}, float16);
  // A C++ float scalar is a float32 array: float16 * 2.0f is float32 (as MLX's C++ API).
  EXPECT_ARRAY_EQ(h * 2.0f, std::vector<float>{3, 4}, Shape{2}, float32);
  EXPECT_ARRAY_EQ(h * float16_t(2.0f), std::vector<float>{3, 4}, Shape{2}, float16);
  EXPECT_EQ((h + 1).dtype(), float16);  // int32 with float16 -> float16
  array i = array({1, 2, 3});
  EXPECT_EQ((i + 1).dtype(), int32);
  EXPECT_EQ((i + 1.5f).dtype(), float32);
  EXPECT_EQ((i + 1.5).dtype(), float32);  // C++ double makes a float32 array
  EXPECT_EQ((i + int64_t(1)).dtype(), int64);
  EXPECT_EQ((i + 1u).dtype(), int64);
  EXPECT_EQ((i / 2).dtype(), float32);
  EXPECT_ARRAY_EQ(i / 2, std::vector<float>{0.5, 1, 1.5}, Shape{3});
  array i8 = array({int8_t(1)});
  EXPECT_EQ((i8 + int8_t(1)).dtype(), int8);
  EXPECT_EQ((i8 + 1).dtype(), int32);
  array f = array({1.0f});
  EXPECT_EQ((f * 2.0).dtype(), float32);
  EXPECT_EQ((f * array(2.0, float64)).dtype(), float64);
  EXPECT_EQ((true + i).dtype(), int32);
}

// ------------------------------ broadcasting ------------------------------

DEVICE_TEST(BinaryBroadcast, Shapes) {
  array a = array({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_ARRAY_EQ(add(a, array({10, 20, 30}), device), std::vector<int>{11, 22, 33, 14, 25, 36},
                  Shape{2, 3});
  EXPECT_ARRAY_EQ(add(a, array({100, 200}, {2, 1}), device),
                  std::vector<int>{101, 102, 103, 204, 205, 206}, Shape{2, 3});
  EXPECT_ARRAY_EQ(multiply(array({1, 2}, {2, 1}), array({1, 10, 100}, {1, 3}), device),
                  std::vector<int>{1, 10, 100, 2, 20, 200}, Shape{2, 3});
  // 0-d with n-d, both orders.
  EXPECT_ARRAY_EQ(subtract(array(10), a, device), std::vector<int>{9, 8, 7, 6, 5, 4}, Shape{2, 3});
  EXPECT_ARRAY_EQ(subtract(a, array(1), device), std::vector<int>{0, 1, 2, 3, 4, 5}, Shape{2, 3});
  // 0-d with 0-d stays 0-d.
  array s = add(array(2), array(3), device);
  EXPECT_EQ(s.shape(), Shape{});
  EXPECT_EQ(s.item<int>(), 5);
  // Rank extension: (3,1,2) with (4,1) -> (3,4,2).
  array x = array({0, 1, 2, 3, 4, 5}, {3, 1, 2});
  array y = array({0, 10, 20, 30}, {4, 1});
  array z = add(x, y, device);
  EXPECT_EQ(z.shape(), (Shape{3, 4, 2}));
  auto zv = z.to_vector<int>();
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 4; ++j) {
      for (int k = 0; k < 2; ++k)
        EXPECT_EQ(zv[(i * 4 + j) * 2 + k], i * 2 + k + j * 10);
    }
  }
  // Size-1 with size-1 and size-0 dims.
  EXPECT_ARRAY_EQ(add(array({1}), array({2}), device), std::vector<int>{3}, Shape{1});
  EXPECT_ARRAY_EQ(add(array(std::vector<int>{}, {0}), array({2}), device), std::vector<int>{},
                  Shape{0});
  EXPECT_ARRAY_EQ(add(array(std::vector<int>{}, {0, 3}), array({1, 2, 3}), device),
                  std::vector<int>{}, Shape{0, 3});
  EXPECT_ARRAY_EQ(multiply(array(std::vector<float>{}, {2, 0}), array(2.0f), device),
                  std::vector<float>{}, Shape{2, 0});
}

DEVICE_TEST(BinaryBroadcast, IncompatibleShapesThrow) {
  array a = array({1, 2, 3, 4, 5, 6}, {2, 3});
  array b = array({1, 2, 3, 4});
  EXPECT_THROW_MSG(add(a, b, device), std::invalid_argument, "[add]");
  EXPECT_THROW_MSG(add(a, b, device), std::invalid_argument, "(2,3)");
  EXPECT_THROW_MSG(add(a, b, device), std::invalid_argument, "(4,)");
  EXPECT_THROW_MSG(a * b, std::invalid_argument, "[multiply]");
  EXPECT_THROW_MSG(subtract(a, b, device), std::invalid_argument, "[subtract]");
  EXPECT_THROW_MSG(divide(a, b, device), std::invalid_argument, "[divide]");
  EXPECT_THROW_MSG(maximum(a, b, device), std::invalid_argument, "[maximum]");
  EXPECT_THROW_MSG(power(a, b, device), std::invalid_argument, "[power]");
  EXPECT_THROW_MSG(equal(a, b, device), std::invalid_argument, "[equal]");
  EXPECT_THROW_MSG(logical_and(a, b, device), std::invalid_argument, "[logical_and]");
  EXPECT_THROW_MSG(a & b, std::invalid_argument, "[bitwise_and]");
  EXPECT_THROW_MSG(add(array(std::vector<int>{}, {0}), array({1, 2}), device),
                   std::invalid_argument, "cannot be broadcast");
}

// ------------------------------ layouts ------------------------------

DEVICE_TEST(BinaryLayout, NonContiguousInputs) {
  array base = array({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, {3, 4});
  array t = transpose(base, device);  // (4,3): t[i][j] = 4j + i
  array c = array({0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1100}, {4, 3});
  std::vector<int> expect;
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 3; ++j)
      expect.push_back(4 * j + i + 100 * (3 * i + j));
  }
  EXPECT_ARRAY_EQ(add(t, c, device), expect, Shape{4, 3});
  EXPECT_ARRAY_EQ(add(c, t, device), expect, Shape{4, 3});
  // Both transposed the same way: the result keeps working (dense, non-row-major layout).
  array tt = add(t, t, device);
  std::vector<int> e2;
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 3; ++j)
      e2.push_back(2 * (4 * j + i));
  }
  EXPECT_ARRAY_EQ(tt, e2, Shape{4, 3});
  // Transposed with a scalar.
  std::vector<int> e3;
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 3; ++j)
      e3.push_back(4 * j + i - 1);
  }
  EXPECT_ARRAY_EQ(subtract(t, array(1), device), e3, Shape{4, 3});
  // Strided slices (every other column, reversed rows).
  array s1 = slice(base, {0, 0}, {3, 4}, {1, 2}, device);    // cols 0,2
  array s2 = slice(base, {2, 1}, {-4, 4}, {-1, 2}, device);  // rows 2,1,0; cols 1,3
  EXPECT_ARRAY_EQ(multiply(s1, s2, device),
                  std::vector<int>{0 * 9, 2 * 11, 4 * 5, 6 * 7, 8 * 1, 10 * 3}, Shape{3, 2});
  // Broadcast view with a transposed view.
  array row = broadcast_to(array({1, 2, 3}), {4, 3}, device);
  std::vector<int> e4;
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 3; ++j)
      e4.push_back((4 * j + i) * (j + 1));
  }
  EXPECT_ARRAY_EQ(multiply(t, row, device), e4, Shape{4, 3});
  // Float families in the same layouts.
  for (Dtype dt : {float16, bfloat16, float32, float64, complex64}) {
    array ft = transpose(astype(base, dt, device), device);
    array fr = astype(row, dt, device);
    std::vector<double> e5;
    for (int v : e4)
      e5.push_back(v);
    EXPECT_ARRAY_CLOSE(multiply(ft, fr, device), e5, Shape{4, 3}) << dt;
  }
}

// Every input layout combined with a contiguous array, with itself, and with a scalar, in both
// argument orders.
DEVICE_TEST(BinaryLayout, EveryLayoutWithContiguousSelfAndScalar) {
  const std::vector<double> v{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  for (Dtype t : {int32, uint8, float16, bfloat16, float32, float64}) {
    for (auto& lc : tandem_test::layouts(v, t)) {
      SCOPED_TRACE(dtype_name(t) + " " + lc.name);
      std::vector<double> in = values(lc.input);
      std::vector<double> other;
      // 0 or 1: never above the input, so unsigned differences do not wrap.
      for (size_t i = 0; i < in.size(); ++i)
        other.push_back(static_cast<double>(i % 2));
      array c = make(other, lc.shape, t);
      std::vector<double> sum, diff, prod, twice, sq, plus3, minus;
      for (size_t i = 0; i < in.size(); ++i) {
        sum.push_back(in[i] + other[i]);
        diff.push_back(in[i] - other[i]);
        prod.push_back(in[i] * other[i]);
        twice.push_back(2 * in[i]);
        sq.push_back(in[i] * in[i]);
        plus3.push_back(in[i] + 3);
        minus.push_back(30 - in[i]);
      }
      array three = make({3}, {}, t);
      EXPECT_ARRAY_CLOSE(add(lc.input, c, device), sum, lc.shape);
      EXPECT_ARRAY_CLOSE(add(c, lc.input, device), sum, lc.shape);
      EXPECT_ARRAY_CLOSE(subtract(lc.input, c, device), diff, lc.shape);
      EXPECT_ARRAY_CLOSE(multiply(c, lc.input, device), prod, lc.shape);
      EXPECT_ARRAY_CLOSE(add(lc.input, lc.input, device), twice, lc.shape);
      EXPECT_ARRAY_CLOSE(multiply(lc.input, lc.input, device), sq, lc.shape);
      EXPECT_ARRAY_CLOSE(add(lc.input, three, device), plus3, lc.shape);
      EXPECT_ARRAY_CLOSE(add(three, lc.input, device), plus3, lc.shape);
      EXPECT_ARRAY_CLOSE(subtract(make({30}, {}, t), lc.input, device), minus, lc.shape);
      std::vector<double> gt;
      for (size_t i = 0; i < in.size(); ++i)
        gt.push_back(in[i] > other[i]);
      EXPECT_ARRAY_CLOSE(greater(lc.input, c, device), gt, lc.shape, 0, 0);
    }
  }
}

DEVICE_TEST(BinaryLayout, BroadcastScalarResultsFeedOtherOps) {
  // Two broadcast scalars give a result stored as one value with zero strides.
  array a = broadcast_to(array(2.0f), {2, 3}, device);
  array b = broadcast_to(array(3.0f), {2, 3}, device);
  array s = add(a, b, device);
  EXPECT_ARRAY_EQ(s, std::vector<float>(6, 5.0f), Shape{2, 3});
  EXPECT_ARRAY_EQ(exp(s, device) > 148.0f, std::vector<bool>(6, true), Shape{2, 3});
  EXPECT_ARRAY_EQ(reshape(s, {3, 2}, device), std::vector<float>(6, 5.0f), Shape{3, 2});
  EXPECT_ARRAY_EQ(transpose(s, device), std::vector<float>(6, 5.0f), Shape{3, 2});
  EXPECT_ARRAY_EQ(astype(s, int32, device), std::vector<int>(6, 5), Shape{2, 3});
  EXPECT_ARRAY_EQ(add(s, array({1.0f, 2.0f, 3.0f}), device), std::vector<float>{6, 7, 8, 6, 7, 8},
                  Shape{2, 3});
  EXPECT_ARRAY_EQ(slice(s, {0, 1}, {2, 3}, device), std::vector<float>(4, 5.0f), Shape{2, 2});
  EXPECT_ARRAY_EQ(copy(s, device), std::vector<float>(6, 5.0f), Shape{2, 3});
  EXPECT_ARRAY_EQ(view(s, int32, device), std::vector<int>(6, 0x40a00000), Shape{2, 3});
  EXPECT_ARRAY_EQ(where(s > 4.0f, s, array(0.0f), device), std::vector<float>(6, 5.0f),
                  Shape{2, 3});
}

DEVICE_TEST(BinaryLayout, LargeArraysUseThreads) {
  const int n = 1 << 18;
  std::vector<float> a(n), b(n);
  for (int i = 0; i < n; ++i) {
    a[i] = static_cast<float>(i % 1024);
    b[i] = static_cast<float>((i * 7) % 512);
  }
  array x(a, {n}), y(b, {n});
  auto s = add(x, y, device).to_vector<float>();
  for (int i = 0; i < n; i += 1013)
    EXPECT_EQ(s[i], a[i] + b[i]);
  // Broadcast + transpose at size.
  array m = reshape(x, {512, 512}, device);
  array r = add(transpose(m, device), array(std::vector<float>(b.begin(), b.begin() + 512), {512}),
                device);
  auto rv = r.to_vector<float>();
  for (int i = 0; i < 512; i += 37) {
    for (int j = 0; j < 512; j += 41)
      EXPECT_EQ(rv[i * 512 + j], a[j * 512 + i] + b[j]);
  }
}

DEVICE_TEST(BinaryLayout, InputsUnchangedWhenOutputReusesBuffers) {
  // Donation must only reuse buffers no one else can see.
  array a = array({1.0f, 2.0f, 3.0f});
  array b = a * 2.0f;  // an intermediate
  array c = b + 1.0f;
  array d = b * 3.0f;  // b has two consumers: c must not overwrite it
  eval(c, d);
  EXPECT_EQ(a.to_vector<float>(), (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(b.to_vector<float>(), (std::vector<float>{2, 4, 6}));
  EXPECT_EQ(c.to_vector<float>(), (std::vector<float>{3, 5, 7}));
  EXPECT_EQ(d.to_vector<float>(), (std::vector<float>{6, 12, 18}));
  // A view of a buffer must not be overwritten through another view.
  array base = array({1, 2, 3, 4});
  array v1 = slice(base, {0}, {2});
  array v2 = slice(base, {2}, {4});
  array w = add(v1, v2) * 10;
  EXPECT_EQ(w.to_vector<int>(), (std::vector<int>{40, 60}));
  EXPECT_EQ(base.to_vector<int>(), (std::vector<int>{1, 2, 3, 4}));
}

DEVICE_TEST(BinaryGpu, MatchesCpu) {
  EXPECT_MATCHES_CPU([](Device d) {
    return add(transpose(array({1.0f, 2.0f, 3.0f, 4.0f}, {2, 2}), d), array({10.0f, 20.0f}), d);
  });
  EXPECT_MATCHES_CPU([](Device d) { return logaddexp(make({-1, 0.5}, float16), array(0.25f), d); });
  EXPECT_MATCHES_CPU([](Device d) { return remainder(array({-7, 7}), array(3), d); });
}
