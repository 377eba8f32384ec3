// Copyright © 2026 Tandem authors.
// Comparisons, logical and bitwise ops, shifts, where/clip/isclose/allclose/array_equal, and the
// C++ operators with arrays and scalars.
#include <climits>
#include <cmath>

#include "harness.h"

using namespace tandem;
using tandem_test::make;
using tandem_test::values;

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr float kNaNF = std::numeric_limits<float>::quiet_NaN();
using B = std::vector<bool>;
}  // namespace

// ------------------------------ comparisons ------------------------------

DEVICE_TEST(Compare, EveryDtype) {
  for (Dtype t : tandem_test::all_dtypes()) {
    SCOPED_TRACE(dtype_name(t));
    bool is_bool = t == bool_;
    array a = is_bool ? array({false, true, true}) : make({1, 2, 3}, t);
    array b = is_bool ? array({true, true, false}) : make({3, 2, 1}, t);
    EXPECT_ARRAY_EQ(equal(a, b, device), B{0, 1, 0}, Shape{3}, bool_);
    EXPECT_ARRAY_EQ(not_equal(a, b, device), B{1, 0, 1}, Shape{3}, bool_);
    EXPECT_ARRAY_EQ(less(a, b, device), B{1, 0, 0}, Shape{3}, bool_);
    EXPECT_ARRAY_EQ(less_equal(a, b, device), B{1, 1, 0}, Shape{3}, bool_);
    EXPECT_ARRAY_EQ(greater(a, b, device), B{0, 0, 1}, Shape{3}, bool_);
    EXPECT_ARRAY_EQ(greater_equal(a, b, device), B{0, 1, 1}, Shape{3}, bool_);
  }
}

DEVICE_TEST(Compare, NanInfAndSignedZero) {
  for (Dtype t : tandem_test::float_dtypes()) {
    SCOPED_TRACE(dtype_name(t));
    array a = make({kNaN, 1, kNaN, kInf, -0.0, -kInf}, t);
    array b = make({kNaN, kNaN, 1, kInf, 0.0, kInf}, t);
    EXPECT_ARRAY_EQ(equal(a, b, device), B{0, 0, 0, 1, 1, 0}, Shape{6});
    EXPECT_ARRAY_EQ(not_equal(a, b, device), B{1, 1, 1, 0, 0, 1}, Shape{6});
    EXPECT_ARRAY_EQ(less(a, b, device), B{0, 0, 0, 0, 0, 1}, Shape{6});
    EXPECT_ARRAY_EQ(less_equal(a, b, device), B{0, 0, 0, 1, 1, 1}, Shape{6});
    EXPECT_ARRAY_EQ(greater(a, b, device), B{0, 0, 0, 0, 0, 0}, Shape{6});
    EXPECT_ARRAY_EQ(greater_equal(a, b, device), B{0, 0, 0, 1, 1, 0}, Shape{6});
  }
}

DEVICE_TEST(Compare, PromotionAndBroadcast) {
  // int8 -1 vs uint8 255 compare as int16 (not as wrapped bytes).
  EXPECT_ARRAY_EQ(less(array({int8_t(-1)}), array({uint8_t(255)}), device), B{1}, Shape{1});
  EXPECT_ARRAY_EQ(less(array({-1}), array({1u}), device), B{1}, Shape{1});  // int64
  EXPECT_ARRAY_EQ(equal(array({int64_t(1) << 40}), array({int32_t(0)}), device), B{0}, Shape{1});
  // A float16 value promoted to float32 is not the float32 literal it was rounded from.
  array h = make({0.1, 1.5}, float16);
  EXPECT_ARRAY_EQ(h == 0.1f, B{0, 0}, Shape{2});
  EXPECT_ARRAY_EQ(h == 1.5f, B{0, 1}, Shape{2});
  EXPECT_ARRAY_EQ(h == float16_t(0.1f), B{1, 0}, Shape{2});
  EXPECT_ARRAY_EQ(equal(array({1}), array({1.0f}), device), B{1}, Shape{1});
  // Broadcasting (2,1) with (3,).
  array c = less(array({1, 4}, {2, 1}), array({0, 2, 5}), device);
  EXPECT_ARRAY_EQ(c, B{0, 1, 1, 0, 0, 1}, Shape{2, 3});
  // 0-d and empty.
  EXPECT_ARRAY_EQ(greater(array(3), array(2), device), B{1}, Shape{});
  EXPECT_ARRAY_EQ(equal(array(std::vector<int>{}, {0, 2}), array(1), device), B{}, Shape{0, 2});
  // Non-contiguous.
  array m = array({0, 1, 2, 3, 4, 5}, {2, 3});
  EXPECT_ARRAY_EQ(equal(transpose(m, device), array({0, 4}), device), B{1, 0, 0, 1, 0, 0},
                  Shape{3, 2});
}

DEVICE_TEST(Compare, Complex) {
  array a = array({complex64_t(1, 2), complex64_t(1, 2), complex64_t(2, 0)});
  array b = array({complex64_t(1, 2), complex64_t(1, 3), complex64_t(1, 9)});
  EXPECT_ARRAY_EQ(equal(a, b, device), B{1, 0, 0}, Shape{3});
  EXPECT_ARRAY_EQ(not_equal(a, b, device), B{0, 1, 1}, Shape{3});
  // Lexicographic order (real, then imaginary).
  EXPECT_ARRAY_EQ(less(a, b, device), B{0, 1, 0}, Shape{3});
  EXPECT_ARRAY_EQ(greater_equal(a, b, device), B{1, 0, 1}, Shape{3});
  EXPECT_ARRAY_EQ(equal(a, array(1.0f), device), B{0, 0, 0}, Shape{3});
}

// ------------------------------ logical ------------------------------

DEVICE_TEST(Logical, TruthTables) {
  array a({true, true, false, false});
  array b({true, false, true, false});
  EXPECT_ARRAY_EQ(logical_and(a, b, device), B{1, 0, 0, 0}, Shape{4}, bool_);
  EXPECT_ARRAY_EQ(logical_or(a, b, device), B{1, 1, 1, 0}, Shape{4}, bool_);
  EXPECT_ARRAY_EQ(logical_xor(a, b, device), B{0, 1, 1, 0}, Shape{4}, bool_);
  EXPECT_ARRAY_EQ(a && b, B{1, 0, 0, 0}, Shape{4});
  EXPECT_ARRAY_EQ(a || b, B{1, 1, 1, 0}, Shape{4});
}

DEVICE_TEST(Logical, NonBoolInputsUseTruthiness) {
  for (Dtype t : tandem_test::all_dtypes()) {
    array a = make({2, 2, 0, 0}, t);
    array b = make({1, 0, 1, 0}, t);
    EXPECT_ARRAY_EQ(logical_and(a, b, device), B{1, 0, 0, 0}, Shape{4}, bool_) << t;
    EXPECT_ARRAY_EQ(logical_or(a, b, device), B{1, 1, 1, 0}, Shape{4}, bool_) << t;
    EXPECT_ARRAY_EQ(logical_xor(a, b, device), B{0, 1, 1, 0}, Shape{4}, bool_) << t;
  }
  // NaN is true, -0.0 is false; complex with only an imaginary part is true.
  EXPECT_ARRAY_EQ(logical_and(array({kNaNF, -0.0f}), array(true), device), B{1, 0}, Shape{2});
  EXPECT_ARRAY_EQ(logical_or(array({complex64_t(0, 1), complex64_t(0, 0)}), array(false), device),
                  B{1, 0}, Shape{2});
  // Mixed dtypes and broadcasting.
  EXPECT_ARRAY_EQ(logical_and(array({0.5f, 0.0f}, {2, 1}), array({uint8_t(1), uint8_t(0)}), device),
                  B{1, 0, 0, 0}, Shape{2, 2});
  EXPECT_ARRAY_EQ(array({1, 0}) && true, B{1, 0}, Shape{2});
  EXPECT_ARRAY_EQ(false || array({1, 0}), B{1, 0}, Shape{2});
}

// ------------------------------ bitwise ------------------------------

DEVICE_TEST(Bitwise, EveryIntegerDtype) {
  for (Dtype t : tandem_test::integer_dtypes()) {
    SCOPED_TRACE(dtype_name(t));
    array a = make({12, 12, 0, 127}, t);
    array b = make({10, 3, 5, 64}, t);
    EXPECT_EQ(values(bitwise_and(a, b, device)), (std::vector<double>{8, 0, 0, 64}));
    EXPECT_EQ(values(bitwise_or(a, b, device)), (std::vector<double>{14, 15, 5, 127}));
    EXPECT_EQ(values(bitwise_xor(a, b, device)), (std::vector<double>{6, 15, 5, 63}));
    EXPECT_EQ(bitwise_and(a, b, device).dtype(), t);
  }
  array n = array({-1, -8, -1});
  array m = array({5, 3, 1});
  EXPECT_ARRAY_EQ(n & m, std::vector<int>{5, 0, 1}, Shape{3});
  EXPECT_ARRAY_EQ(n | m, std::vector<int>{-1, -5, -1}, Shape{3});
  EXPECT_ARRAY_EQ(n ^ m, std::vector<int>{-6, -5, -2}, Shape{3});
  EXPECT_ARRAY_EQ(array({~uint64_t(0)}) & array({uint64_t(0xF0)}), std::vector<uint64_t>{0xF0},
                  Shape{1});
  // Bools stay bool.
  array t({true, true, false});
  array f({true, false, false});
  EXPECT_ARRAY_EQ(t & f, B{1, 0, 0}, Shape{3}, bool_);
  EXPECT_ARRAY_EQ(t | f, B{1, 1, 0}, Shape{3}, bool_);
  EXPECT_ARRAY_EQ(t ^ f, B{0, 1, 0}, Shape{3}, bool_);
  // int8 with uint8 -> int16: -1 sign-extends.
  EXPECT_ARRAY_EQ(bitwise_and(array({int8_t(-1)}), array({uint8_t(255)}), device),
                  std::vector<int16_t>{255}, Shape{1}, int16);
  EXPECT_ARRAY_EQ(bitwise_or(array({int8_t(-128)}), array({uint8_t(1)}), device),
                  std::vector<int16_t>{-127}, Shape{1}, int16);
  // Scalars and broadcasting.
  EXPECT_ARRAY_EQ(array({1, 2, 3}) & 1, std::vector<int>{1, 0, 1}, Shape{3});
  EXPECT_ARRAY_EQ(4 | array({1, 2}), std::vector<int>{5, 6}, Shape{2});
  EXPECT_ARRAY_EQ(bitwise_xor(array({1, 2}, {2, 1}), array({1, 3}), device),
                  std::vector<int>{0, 2, 3, 1}, Shape{2, 2});
}

DEVICE_TEST(Bitwise, RejectsInexact) {
  for (Dtype t : {float16, bfloat16, float32, float64, complex64}) {
    array a = make({1}, t);
    EXPECT_THROW_MSG(bitwise_and(a, array(1), device), std::invalid_argument, "[bitwise_and]");
    EXPECT_THROW_MSG(bitwise_or(array(1), a, device), std::invalid_argument, "[bitwise_or]");
    EXPECT_THROW_MSG(a ^ 1, std::invalid_argument, "[bitwise_xor]");
    EXPECT_THROW_MSG(a & 1, std::invalid_argument, dtype_name(promote_types(t, int32)));
  }
}

// ------------------------------ shifts ------------------------------

DEVICE_TEST(Shift, LeftShift) {
  EXPECT_ARRAY_EQ(left_shift(array(1), array({0, 1, 4, 30, 31}), device),
                  std::vector<int>{1, 2, 16, 1 << 30, INT_MIN}, Shape{5}, int32);
  // Shifting by the bit width or more gives 0 (not C++'s undefined behaviour).
  EXPECT_ARRAY_EQ(left_shift(array(1), array({32, 33, 100}), device), std::vector<int>{0, 0, 0},
                  Shape{3});
  EXPECT_ARRAY_EQ(left_shift(array(-1), array({31, 32}), device), std::vector<int>{INT_MIN, 0},
                  Shape{2});
  EXPECT_ARRAY_EQ(left_shift(array({uint8_t(1), uint8_t(3)}), array(uint8_t(7)), device),
                  std::vector<uint8_t>{128, 128}, Shape{2}, uint8);
  EXPECT_ARRAY_EQ(left_shift(array({uint8_t(1)}), array(uint8_t(8)), device),
                  std::vector<uint8_t>{0}, Shape{1}, uint8);
  EXPECT_ARRAY_EQ(left_shift(array({int8_t(1), int8_t(1)}), array({int8_t(7), int8_t(8)}), device),
                  std::vector<int8_t>{-128, 0}, Shape{2}, int8);
  EXPECT_ARRAY_EQ(left_shift(array({uint16_t(1)}), array({uint16_t(15)}), device),
                  std::vector<uint16_t>{0x8000}, Shape{1});
  EXPECT_ARRAY_EQ(
      left_shift(array({uint64_t(1), uint64_t(1)}), array({uint64_t(63), uint64_t(64)}), device),
      std::vector<uint64_t>{uint64_t(1) << 63, 0}, Shape{2}, uint64);
  EXPECT_ARRAY_EQ(left_shift(array({int64_t(3)}), array({int64_t(40)}), device),
                  std::vector<int64_t>{int64_t(3) << 40}, Shape{1});
  // uint8 with a C++ int scalar promotes to int32 first: 1 << 8 is 256.
  EXPECT_ARRAY_EQ(array({uint8_t(1)}) << 8, std::vector<int>{256}, Shape{1}, int32);
  // Bool shifts compute in uint8.
  EXPECT_ARRAY_EQ(left_shift(array({true, false}), array({true, true}), device),
                  std::vector<uint8_t>{2, 0}, Shape{2}, uint8);
}

DEVICE_TEST(Shift, RightShift) {
  // Arithmetic for signed types.
  EXPECT_ARRAY_EQ(right_shift(array({-8, 8, -1, INT_MIN}), array(1), device),
                  std::vector<int>{-4, 4, -1, -(1 << 30)}, Shape{4}, int32);
  EXPECT_ARRAY_EQ(right_shift(array({-8, 8}), array(31), device), std::vector<int>{-1, 0},
                  Shape{2});
  // By the bit width or more: the sign fill.
  EXPECT_ARRAY_EQ(right_shift(array({-8, 8, 0}), array(32), device), std::vector<int>{-1, 0, 0},
                  Shape{3});
  EXPECT_ARRAY_EQ(right_shift(array({-8, 8}), array(1000), device), std::vector<int>{-1, 0},
                  Shape{2});
  EXPECT_ARRAY_EQ(right_shift(array({int64_t(-1), int64_t(1) << 62}), array(int64_t(64)), device),
                  std::vector<int64_t>{-1, 0}, Shape{2});
  EXPECT_ARRAY_EQ(right_shift(array({int8_t(-128)}), array(int8_t(7)), device),
                  std::vector<int8_t>{-1}, Shape{1}, int8);
  // Logical for unsigned types.
  EXPECT_ARRAY_EQ(
      right_shift(array({uint8_t(255), uint8_t(255)}), array({uint8_t(7), uint8_t(8)}), device),
      std::vector<uint8_t>{1, 0}, Shape{2}, uint8);
  EXPECT_ARRAY_EQ(right_shift(array({0x80000000u}), array({31u}), device), std::vector<uint32_t>{1},
                  Shape{1}, uint32);
  EXPECT_ARRAY_EQ(right_shift(array({~uint64_t(0)}), array({uint64_t(63)}), device),
                  std::vector<uint64_t>{1}, Shape{1});
  EXPECT_ARRAY_EQ(right_shift(array({int16_t(-300)}), array({int16_t(2)}), device),
                  std::vector<int16_t>{-75}, Shape{1});
  EXPECT_ARRAY_EQ(array({16, 17}) >> 2, std::vector<int>{4, 4}, Shape{2});
  EXPECT_ARRAY_EQ(256 >> array({4, 8}), std::vector<int>{16, 1}, Shape{2});
  EXPECT_ARRAY_EQ(right_shift(array({true}), array({false}), device), std::vector<uint8_t>{1},
                  Shape{1}, uint8);
}

DEVICE_TEST(Shift, RejectsInexact) {
  EXPECT_THROW_MSG(left_shift(array(1.0f), array(1), device), std::invalid_argument,
                   "[left_shift]");
  EXPECT_THROW_MSG(right_shift(array(1), make({1}, float16), device), std::invalid_argument,
                   "[right_shift]");
  EXPECT_THROW_MSG(array(complex64_t(1, 0)) << 1, std::invalid_argument, "[left_shift]");
  EXPECT_THROW_MSG(array(1.0) >> 1, std::invalid_argument, "float32");
}

// ------------------------------ where ------------------------------

// Large enough for the CPU's threaded, vectorised runs: every item size, each operand
// contiguous, scalar or broadcast along rows, against a plain loop.
DEVICE_TEST(Where, LargeRunsEveryItemSizeAndOperandKind) {
  const int R = 67, C = 1031;
  std::vector<bool> cv(R * C);
  std::vector<double> xv(R * C), yv(R * C);
  for (int i = 0; i < R * C; ++i) {
    cv[i] = (i * 7919) % 3 == 0;
    xv[i] = i % 101;
    yv[i] = -(i % 89) - 1;
  }
  std::vector<double> cd(R * C);
  for (int i = 0; i < R * C; ++i)
    cd[i] = cv[i] ? 1.0 : 0.0;
  array c = astype(array(cd, Shape{R, C}, float64), bool_);
  array crow = slice(c, {0, 0}, {1, C});  // broadcast along rows
  for (Dtype t : {int8, int16, float32, float64, complex64}) {
    SCOPED_TRACE(tandem::dtype_name(t));
    array x = astype(array(xv, Shape{R, C}, float64), t);
    array y = astype(array(yv, Shape{R, C}, float64), t);
    array ys = astype(array(-5.0, float64), t);
    std::vector<double> w1(R * C), w2(R * C), w3(R * C);
    for (int i = 0; i < R * C; ++i) {
      w1[i] = cv[i] ? xv[i] : yv[i];
      w2[i] = cv[i] ? xv[i] : -5.0;
      w3[i] = cv[i % C] ? xv[i] : yv[i];
    }
    EXPECT_EQ(tandem_test::values(where(c, x, y, device)), w1);
    EXPECT_EQ(tandem_test::values(where(c, x, ys, device)), w2);
    EXPECT_EQ(tandem_test::values(where(crow, x, y, device)), w3);
    // A scalar condition and a transposed operand take the other paths.
    EXPECT_EQ(tandem_test::values(where(array(true), x, y, device)), xv);
    array xt = transpose(transpose(x));  // same values, through a view
    EXPECT_EQ(tandem_test::values(where(c, xt, y, device)), w1);
  }
}

DEVICE_TEST(Where, SelectsBroadcastsPromotes) {
  array c({true, false, true});
  EXPECT_ARRAY_EQ(where(c, array({1, 2, 3}), array({10, 20, 30}), device),
                  std::vector<int>{1, 20, 3}, Shape{3}, int32);
  // Broadcast: condition (2,1), x scalar, y (3,).
  EXPECT_ARRAY_EQ(where(array({true, false}, {2, 1}), array(0), array({7, 8, 9}), device),
                  std::vector<int>{0, 0, 0, 7, 8, 9}, Shape{2, 3});
  // Promotion of x and y.
  EXPECT_ARRAY_EQ(where(c, array({1, 2, 3}), array(0.5f), device), std::vector<float>{1, 0.5, 3},
                  Shape{3}, float32);
  EXPECT_EQ(where(c, make({1}, float16), make({1}, bfloat16), device).dtype(), float32);
  // A non-bool condition uses truthiness.
  EXPECT_ARRAY_EQ(where(array({0.0f, kNaNF, 2.0f}), array(1), array(0), device),
                  std::vector<int>{0, 1, 1}, Shape{3});
  // Every item size.
  for (Dtype t : tandem_test::all_dtypes()) {
    array r = where(c, make({1, 1, 1}, t), make({0, 0, 0}, t), device);
    EXPECT_EQ(r.dtype(), t);
    EXPECT_EQ(values(r), (std::vector<double>{1, 0, 1})) << t;
  }
  // Non-contiguous inputs.
  array m = array({1, 2, 3, 4, 5, 6}, {2, 3});
  array cond = greater(transpose(m, device), array(2), device);  // (3,2)
  EXPECT_ARRAY_EQ(where(cond, transpose(m, device), negative(transpose(m, device), device), device),
                  std::vector<int>{-1, 4, -2, 5, 3, 6}, Shape{3, 2});
  // 0-d and empty.
  EXPECT_ARRAY_EQ(where(array(false), array(1), array(2), device), std::vector<int>{2}, Shape{});
  EXPECT_ARRAY_EQ(where(array(true), array(std::vector<int>{}, {0}), array(2), device),
                  std::vector<int>{}, Shape{0});
  EXPECT_THROW_MSG(where(array({true, false}), array({1, 2, 3}), array(0), device),
                   std::invalid_argument, "[where]");
}

// ------------------------------ clip ------------------------------

DEVICE_TEST(Clip, Bounds) {
  array a = array({-5, 0, 5, 10});
  EXPECT_ARRAY_EQ(clip(a, array(0), array(6), device), std::vector<int>{0, 0, 5, 6}, Shape{4});
  EXPECT_ARRAY_EQ(clip(a, array(1), std::nullopt, device), std::vector<int>{1, 1, 5, 10}, Shape{4});
  EXPECT_ARRAY_EQ(clip(a, std::nullopt, array(0), device), std::vector<int>{-5, 0, 0, 0}, Shape{4});
  EXPECT_ARRAY_EQ(clip(a, array(-1.5f), array(2.5f), device), std::vector<float>{-1.5, 0, 2.5, 2.5},
                  Shape{4}, float32);
  EXPECT_ARRAY_EQ(clip(array({1, 5, 9}), array({2, 2, 2}), array({3, 4, 8}), device),
                  std::vector<int>{2, 4, 8}, Shape{3});
  EXPECT_ARRAY_EQ(clip(array({kNaNF, 3.0f}), array(0.0f), array(1.0f), device),
                  std::vector<float>{kNaNF, 1.0f}, Shape{2});
  EXPECT_THROW_MSG(clip(a, std::nullopt, std::nullopt, device), std::invalid_argument, "[clip]");
}

// ------------------------------ isclose / allclose / array_equal ------------------------------

DEVICE_TEST(Close, IsClose) {
  array a = array({1.0f, 1.000001f, 1.1f, INFINITY, -INFINITY, kNaNF, 0.0f});
  array b = array({1.0f, 1.0f, 1.0f, INFINITY, INFINITY, kNaNF, 1e-9f});
  EXPECT_ARRAY_EQ(isclose(a, b, 1e-5, 1e-8, false, device), B{1, 1, 0, 1, 0, 0, 1}, Shape{7},
                  bool_);
  EXPECT_ARRAY_EQ(isclose(a, b, 1e-5, 1e-8, true, device), B{1, 1, 0, 1, 0, 1, 1}, Shape{7});
  EXPECT_ARRAY_EQ(isclose(a, b, 0.2, 0.0, false, device), B{1, 1, 1, 1, 0, 0, 0}, Shape{7});
  // A finite value is never close to an infinity, however large the tolerance.
  EXPECT_ARRAY_EQ(
      isclose(array({1.0f, 1e30f, -INFINITY}), array(INFINITY), 10.0, 10.0, false, device),
      B{0, 0, 0}, Shape{3});
  EXPECT_ARRAY_EQ(isclose(array(INFINITY), array({1.0f, INFINITY}), 10.0, 10.0, false, device),
                  B{0, 1}, Shape{2});
  EXPECT_ARRAY_EQ(isclose(make({-kInf, kInf}, float16), make({-kInf, -kInf}, float64), 1e-5, 1e-8,
                          false, device),
                  B{1, 0}, Shape{2});
  // Integers, broadcasting, float64 precision.
  EXPECT_ARRAY_EQ(isclose(array({1, 2, 3}), array(2), 1e-5, 1e-8, false, device), B{0, 1, 0},
                  Shape{3});
  EXPECT_ARRAY_EQ(
      isclose(array({1.0, 1.0 + 1e-12}, float64), array(1.0, float64), 1e-14, 0.0, false, device),
      B{1, 0}, Shape{2});
  EXPECT_ARRAY_EQ(isclose(array({complex64_t(1, 1)}), array({complex64_t(1, 1.0000001f)}), 1e-5,
                          1e-8, false, device),
                  B{1}, Shape{1});
}

DEVICE_TEST(Close, AllCloseAndArrayEqual) {
  array a = array({1.0f, 2.0f, 3.0f});
  EXPECT_TRUE(allclose(a, a + 1e-7f, 1e-5, 1e-8, false, device).item<bool>());
  EXPECT_FALSE(allclose(a, a + 1.0f, 1e-5, 1e-8, false, device).item<bool>());
  EXPECT_FALSE(allclose(a, array(INFINITY), 1e-5, 1e-8, false, device).item<bool>());
  EXPECT_EQ(allclose(a, a, 1e-5, 1e-8, false, device).shape(), Shape{});
  EXPECT_EQ(allclose(a, a, 1e-5, 1e-8, false, device).dtype(), bool_);
  array n = array({kNaNF, 1.0f});
  EXPECT_FALSE(allclose(n, n, 1e-5, 1e-8, false, device).item<bool>());
  EXPECT_TRUE(allclose(n, n, 1e-5, 1e-8, true, device).item<bool>());

  EXPECT_TRUE(array_equal(array({1, 2, 3}), array({1.0f, 2.0f, 3.0f}), false, device).item<bool>());
  EXPECT_FALSE(array_equal(array({1, 2, 3}), array({1, 2, 4}), false, device).item<bool>());
  EXPECT_FALSE(array_equal(array({1, 2}), array({1, 2}, {2, 1}), false, device).item<bool>());
  EXPECT_FALSE(array_equal(n, n, false, device).item<bool>());
  EXPECT_TRUE(array_equal(n, n, true, device).item<bool>());
  EXPECT_TRUE(array_equal(transpose(array({1, 2, 3, 4}, {2, 2})), array({1, 3, 2, 4}, {2, 2}),
                          false, device)
                  .item<bool>());
  EXPECT_TRUE(
      array_equal(array(std::vector<int>{}, {0}), array(std::vector<float>{}, {0}), false, device)
          .item<bool>());
}

DEVICE_TEST(Close, BroadcastingDtypesAndErrors) {
  // isclose broadcasts: (2, 1) against (3,).
  EXPECT_ARRAY_EQ(isclose(array({1.0f, 2.0f}, {2, 1}), array({1.0f, 2.0f, 1.000001f}), 1e-5, 1e-8,
                          false, device),
                  B{1, 0, 1, 0, 1, 0}, Shape{2, 3});
  EXPECT_TRUE(allclose(array({2.0f, 2.0f}), array({2.0f}), 1e-5, 1e-8, false, device).item<bool>());
  // equal_nan on half types and float64; NaN against a number is never close.
  for (Dtype t : {float16, bfloat16, float64}) {
    array n = make({kNaN, 1}, t);
    EXPECT_ARRAY_EQ(isclose(n, n, 1e-5, 1e-8, true, device), B{1, 1}, Shape{2});
    EXPECT_ARRAY_EQ(isclose(n, n, 1e-5, 1e-8, false, device), B{0, 1}, Shape{2});
    EXPECT_ARRAY_EQ(isclose(n, make({1, kNaN}, t), 1e-5, 1e-8, true, device), B{0, 0}, Shape{2});
  }
  // atol alone decides near zero; rtol scales with |b| (not symmetric).
  EXPECT_ARRAY_EQ(isclose(array({0.0f, 1e-9f}), array({1e-9f, 0.0f}), 0.0, 1e-8, false, device),
                  B{1, 1}, Shape{2});
  EXPECT_ARRAY_EQ(isclose(array({100.0f}), array({110.0f}), 0.091, 0.0, false, device), B{1},
                  Shape{1});
  EXPECT_ARRAY_EQ(isclose(array({110.0f}), array({100.0f}), 0.091, 0.0, false, device), B{0},
                  Shape{1});
  // Transposed inputs.
  EXPECT_TRUE(allclose(transpose(array({1.0f, 2.0f, 3.0f, 4.0f}, {2, 2}), device),
                       array({1.0f, 3.0f, 2.0f, 4.0f}, {2, 2}), 1e-5, 1e-8, false, device)
                  .item<bool>());
  EXPECT_THROW_MSG(
      isclose(array({1.0f, 2.0f}), array({1.0f, 2.0f, 3.0f}), 1e-5, 1e-8, false, device),
      std::invalid_argument, "[isclose] Shapes (2,) and (3,) cannot be broadcast.");
  EXPECT_THROW_MSG(
      allclose(array({1.0f, 2.0f}), array({1.0f, 2.0f, 3.0f}), 1e-5, 1e-8, false, device),
      std::invalid_argument, "[allclose] Shapes (2,) and (3,) cannot be broadcast.");
}

DEVICE_TEST(Close, ArrayEqualShapesAndNaN) {
  // Shapes must match exactly: broadcastable but different shapes are not equal.
  EXPECT_FALSE(array_equal(array({1, 1}), array({1}), false, device).item<bool>());
  EXPECT_FALSE(array_equal(array(1), array({1}), false, device).item<bool>());
  EXPECT_FALSE(array_equal(array({1, 2, 3}), array({1, 2}), false, device).item<bool>());
  EXPECT_TRUE(array_equal(array(2.0f), array(2), false, device).item<bool>());
  EXPECT_EQ(array_equal(array({1}), array({1, 2}), false, device).shape(), Shape{});
  // equal_nan: NaN matches NaN only where both are NaN, in every float dtype.
  for (Dtype t : {float16, bfloat16, float32, float64}) {
    array a = make({kNaN, 1, 2}, t);
    EXPECT_TRUE(array_equal(a, a, true, device).item<bool>());
    EXPECT_FALSE(array_equal(a, a, false, device).item<bool>());
    EXPECT_FALSE(array_equal(a, make({1, kNaN, 2}, t), true, device).item<bool>());
    // Against a float64 copy: promotion first.
    EXPECT_TRUE(array_equal(a, astype(a, float64, device), true, device).item<bool>());
  }
  // Non-contiguous views compare by value.
  array m = array({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_TRUE(array_equal(slice(m, {0, 0}, {2, 3}, {1, 2}, device), array({1, 3, 4, 6}, {2, 2}),
                          false, device)
                  .item<bool>());
  EXPECT_TRUE(array_equal(broadcast_to(array({7}), {3}, device), array({7, 7, 7}), false, device)
                  .item<bool>());
  EXPECT_FALSE(array_equal(m, transpose(transpose(m) + 1), false, device).item<bool>());
  EXPECT_TRUE(array_equal(array({true, false}), array({1, 0}), false, device).item<bool>());
}

// ------------------------------ operators ------------------------------

TEST(Operators, ArraysAndScalars) {
  array a = array({1, 2, 3});
  array b = array({3, 2, 1});
  EXPECT_ARRAY_EQ(a + b, std::vector<int>{4, 4, 4}, Shape{3});
  EXPECT_ARRAY_EQ(a + 1, std::vector<int>{2, 3, 4}, Shape{3});
  EXPECT_ARRAY_EQ(1 + a, std::vector<int>{2, 3, 4}, Shape{3});
  EXPECT_ARRAY_EQ(a - b, std::vector<int>{-2, 0, 2}, Shape{3});
  EXPECT_ARRAY_EQ(a - 1, std::vector<int>{0, 1, 2}, Shape{3});
  EXPECT_ARRAY_EQ(10 - a, std::vector<int>{9, 8, 7}, Shape{3});
  EXPECT_ARRAY_EQ(a * b, std::vector<int>{3, 4, 3}, Shape{3});
  EXPECT_ARRAY_EQ(a * 2, std::vector<int>{2, 4, 6}, Shape{3});
  EXPECT_ARRAY_EQ(2 * a, std::vector<int>{2, 4, 6}, Shape{3});
  EXPECT_ARRAY_EQ(a / b, std::vector<float>{1.0f / 3, 1, 3}, Shape{3}, float32);
  EXPECT_ARRAY_EQ(a / 2, std::vector<float>{0.5, 1, 1.5}, Shape{3});
  EXPECT_ARRAY_EQ(6 / a, std::vector<float>{6, 3, 2}, Shape{3});
  EXPECT_ARRAY_EQ(a % b, std::vector<int>{1, 0, 0}, Shape{3});
  EXPECT_ARRAY_EQ(a % 2, std::vector<int>{1, 0, 1}, Shape{3});
  EXPECT_ARRAY_EQ(-7 % a, std::vector<int>{0, 1, 2}, Shape{3});
  EXPECT_ARRAY_EQ(a == b, B{0, 1, 0}, Shape{3});
  EXPECT_ARRAY_EQ(a == 2, B{0, 1, 0}, Shape{3});
  EXPECT_ARRAY_EQ(2 == a, B{0, 1, 0}, Shape{3});
  EXPECT_ARRAY_EQ(a != b, B{1, 0, 1}, Shape{3});
  EXPECT_ARRAY_EQ(a != 2, B{1, 0, 1}, Shape{3});
  EXPECT_ARRAY_EQ(a < b, B{1, 0, 0}, Shape{3});
  EXPECT_ARRAY_EQ(a < 2, B{1, 0, 0}, Shape{3});
  EXPECT_ARRAY_EQ(2 < a, B{0, 0, 1}, Shape{3});
  EXPECT_ARRAY_EQ(a <= b, B{1, 1, 0}, Shape{3});
  EXPECT_ARRAY_EQ(a <= 2, B{1, 1, 0}, Shape{3});
  EXPECT_ARRAY_EQ(a > b, B{0, 0, 1}, Shape{3});
  EXPECT_ARRAY_EQ(a > 2.5f, B{0, 0, 1}, Shape{3});
  EXPECT_ARRAY_EQ(a >= b, B{0, 1, 1}, Shape{3});
  EXPECT_ARRAY_EQ(3 >= a, B{1, 1, 1}, Shape{3});
  EXPECT_ARRAY_EQ((a > 1) && (b > 1), B{0, 1, 0}, Shape{3});
  EXPECT_ARRAY_EQ((a > 1) && true, B{0, 1, 1}, Shape{3});
  EXPECT_ARRAY_EQ((a > 2) || (b > 2), B{1, 0, 1}, Shape{3});
  EXPECT_ARRAY_EQ(false || (a > 2), B{0, 0, 1}, Shape{3});
  EXPECT_ARRAY_EQ(~a, std::vector<int>{-2, -3, -4}, Shape{3});
  EXPECT_ARRAY_EQ(a & b, std::vector<int>{1, 2, 1}, Shape{3});
  EXPECT_ARRAY_EQ(a & 1, std::vector<int>{1, 0, 1}, Shape{3});
  EXPECT_ARRAY_EQ(a | b, std::vector<int>{3, 2, 3}, Shape{3});
  EXPECT_ARRAY_EQ(8 | a, std::vector<int>{9, 10, 11}, Shape{3});
  EXPECT_ARRAY_EQ(a ^ b, std::vector<int>{2, 0, 2}, Shape{3});
  EXPECT_ARRAY_EQ(a ^ 3, std::vector<int>{2, 1, 0}, Shape{3});
  EXPECT_ARRAY_EQ(a << b, std::vector<int>{8, 8, 6}, Shape{3});
  EXPECT_ARRAY_EQ(a << 1, std::vector<int>{2, 4, 6}, Shape{3});
  EXPECT_ARRAY_EQ(1 << a, std::vector<int>{2, 4, 8}, Shape{3});
  EXPECT_ARRAY_EQ(b >> a, std::vector<int>{1, 0, 0}, Shape{3});
  EXPECT_ARRAY_EQ(a >> 1, std::vector<int>{0, 1, 1}, Shape{3});
  EXPECT_ARRAY_EQ(-a, std::vector<int>{-1, -2, -3}, Shape{3});
  EXPECT_ARRAY_EQ(!a, B{0, 0, 0}, Shape{3});
  EXPECT_ARRAY_EQ(!(a - 2), B{0, 1, 0}, Shape{3});
}

TEST(Operators, FloatAndMixedScalars) {
  array f = array({1.5f, -2.0f});
  EXPECT_ARRAY_EQ(f + 0.5f, std::vector<float>{2, -1.5}, Shape{2}, float32);
  EXPECT_ARRAY_EQ(f * 2, std::vector<float>{3, -4}, Shape{2}, float32);
  EXPECT_ARRAY_EQ(f - 1.0, std::vector<float>{0.5, -3}, Shape{2}, float32);
  EXPECT_ARRAY_EQ(f / 0.5f, std::vector<float>{3, -4}, Shape{2}, float32);
  EXPECT_ARRAY_EQ(f % 1.0f, std::vector<float>{0.5, 0}, Shape{2}, float32);
  EXPECT_ARRAY_EQ(-f, std::vector<float>{-1.5, 2}, Shape{2}, float32);
  EXPECT_ARRAY_EQ(!f, B{0, 0}, Shape{2});
  EXPECT_ARRAY_EQ(f < 0, B{0, 1}, Shape{2});
  EXPECT_ARRAY_EQ(f * array(2.0, float64), std::vector<double>{3, -4}, Shape{2}, float64);
  array h = make({1.5, -2.0}, float16);
  EXPECT_ARRAY_EQ(h * 2.0f, std::vector<float>{3, -4}, Shape{2}, float32);
  EXPECT_ARRAY_EQ(h * 2, std::vector<float>{3, -4}, Shape{2}, float16);
  EXPECT_ARRAY_EQ(make({1.5}, bfloat16) + 1, std::vector<float>{2.5}, Shape{1}, bfloat16);
  array z = array({complex64_t(1, 1)});
  EXPECT_TRUE(tandem_test::complex_close(z * 2.0f, {complex64_t(2, 2)}, {1}));
  EXPECT_TRUE(tandem_test::complex_close(-z, {complex64_t(-1, -1)}, {1}));
  EXPECT_TRUE(tandem_test::complex_close(z / complex64_t(0, 1), {complex64_t(1, -1)}, {1}));
  // Bool arrays with operators.
  array t({true, false});
  EXPECT_ARRAY_EQ(t + t, B{1, 0}, Shape{2}, bool_);
  EXPECT_ARRAY_EQ(t * 3, std::vector<int>{3, 0}, Shape{2}, int32);
  EXPECT_ARRAY_EQ(~t, B{0, 1}, Shape{2});
  EXPECT_ARRAY_EQ(!t, B{0, 1}, Shape{2});
  EXPECT_THROW_MSG(-t, std::invalid_argument, "[negative]");
  EXPECT_THROW_MSG(~f, std::invalid_argument, "[bitwise_invert]");
  EXPECT_THROW_MSG(f << 1, std::invalid_argument, "[left_shift]");
  EXPECT_THROW_MSG(f | 1, std::invalid_argument, "[bitwise_or]");
}

DEVICE_TEST(Clip, DefaultBoundsAreAbsent) {
  // MLX gives both bounds the default std::nullopt.
  array a = array({-5, 0, 5, 10});
  EXPECT_ARRAY_EQ(clip(a, array(2)), std::vector<int>{2, 2, 5, 10}, Shape{4}, int32);
  EXPECT_THROW_MSG(clip(a), std::invalid_argument, "[clip]");
}
