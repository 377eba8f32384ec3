// Copyright © 2026 Tandem authors.
// astype between every pair of dtypes, and view (bit reinterpretation).
#include <cmath>
#include <cstring>

#include "harness.h"

using namespace tandem;
using tandem_test::make;
using tandem_test::values;

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Expected result of converting the (exactly representable) value v to dtype t.
double converted(double v, Dtype t) {
  return t == bool_ ? (v != 0 ? 1.0 : 0.0) : v;
}
}  // namespace

// Values representable in every dtype convert exactly between every pair, in every layout.
DEVICE_TEST(AsType, EveryPairExact) {
  const std::vector<double> src_vals{0, 1, 2, 5, 100, 127, 3, 64, 0, 1, 7, 120};
  for (Dtype src : tandem_test::all_dtypes()) {
    for (auto& lc : tandem_test::layouts(src_vals, src)) {
      std::vector<double> in = values(lc.input);
      ASSERT_EQ(in.size(), lc.vals.size());
      for (size_t i = 0; i < in.size(); ++i)
        ASSERT_EQ(in[i], converted(lc.vals[i], src));
      for (Dtype dst : tandem_test::all_dtypes()) {
        SCOPED_TRACE(dtype_name(src) + " -> " + dtype_name(dst) + " (" + lc.name + ")");
        array out = astype(lc.input, dst, device);
        ASSERT_EQ(out.dtype(), dst);
        ASSERT_EQ(out.shape(), lc.shape);
        std::vector<double> expected;
        for (double v : in)
          expected.push_back(converted(v, dst));
        EXPECT_EQ(values(out), expected);
        if (dst == complex64) {
          for (auto z : out.to_vector<complex64_t>())
            EXPECT_EQ(z.imag(), 0.0f);
        }
      }
    }
  }
}

DEVICE_TEST(AsType, SameDtypeIsIdentity) {
  for (Dtype t : tandem_test::all_dtypes()) {
    array a = make({1, 0}, t);
    EXPECT_EQ(astype(a, t, device).id(), a.id());
  }
}

DEVICE_TEST(AsType, FloatToIntegerTruncates) {
  array f = array({2.7f, -2.7f, 0.5f, -0.5f, 1e9f, 127.9f});
  EXPECT_ARRAY_EQ(astype(f, int32, device), std::vector<int>{2, -2, 0, 0, 1000000000, 127},
                  Shape{6}, int32);
  EXPECT_ARRAY_EQ(astype(f, int64, device), std::vector<int64_t>{2, -2, 0, 0, 1000000000, 127},
                  Shape{6}, int64);
  EXPECT_ARRAY_EQ(astype(array({2.9f, 127.9f, -128.9f}), int8, device),
                  std::vector<int8_t>{2, 127, -128}, Shape{3}, int8);
  EXPECT_ARRAY_EQ(astype(array({0.9f, 255.5f}), uint8, device), std::vector<uint8_t>{0, 255},
                  Shape{2}, uint8);
  EXPECT_ARRAY_EQ(astype(array({65535.9}, float64), uint16, device), std::vector<uint16_t>{65535},
                  Shape{1});
  EXPECT_ARRAY_EQ(astype(make({-2.5, 65504}, float16), int32, device), std::vector<int>{-2, 65504},
                  Shape{2});
  EXPECT_ARRAY_EQ(astype(make({-3.75, 1e9}, bfloat16), int64, device),
                  std::vector<int64_t>{-3, 998244352}, Shape{2});  // bf16(1e9) = 998244352
  EXPECT_ARRAY_EQ(astype(array({4e9}, float64), uint32, device), std::vector<uint32_t>{4000000000u},
                  Shape{1});
}

DEVICE_TEST(AsType, IntegerToIntegerWraps) {
  array a = array({300, -1, 256, -129});
  EXPECT_ARRAY_EQ(astype(a, uint8, device), std::vector<uint8_t>{44, 255, 0, 127}, Shape{4});
  EXPECT_ARRAY_EQ(astype(a, int8, device), std::vector<int8_t>{44, -1, 0, 127}, Shape{4});
  EXPECT_ARRAY_EQ(astype(a, uint16, device), std::vector<uint16_t>{300, 65535, 256, 65407},
                  Shape{4});
  EXPECT_ARRAY_EQ(astype(array({(int64_t(1) << 40) + 5}), int32, device), std::vector<int>{5},
                  Shape{1});
  EXPECT_ARRAY_EQ(astype(array({4294967295u}), int32, device), std::vector<int>{-1}, Shape{1});
  EXPECT_ARRAY_EQ(astype(array({-1}), uint64, device), std::vector<uint64_t>{~uint64_t(0)},
                  Shape{1});
  EXPECT_ARRAY_EQ(astype(array({int64_t(-1)}), uint32, device), std::vector<uint32_t>{0xFFFFFFFFu},
                  Shape{1});
  EXPECT_ARRAY_EQ(astype(array({uint16_t(65535)}), int16, device), std::vector<int16_t>{-1},
                  Shape{1});
  EXPECT_ARRAY_EQ(astype(array({int8_t(-1)}), int64, device), std::vector<int64_t>{-1}, Shape{1});
  EXPECT_ARRAY_EQ(astype(array({uint8_t(255)}), int8, device), std::vector<int8_t>{-1}, Shape{1});
}

DEVICE_TEST(AsType, IntegerToFloatRounds) {
  array a = array({2049, 2051, 65504, 65520, 100000, -2049});
  EXPECT_ARRAY_CLOSE(astype(a, float16, device), {2048, 2052, 65504, kInf, kInf, -2048}, Shape{6},
                     0, 0);
  EXPECT_ARRAY_CLOSE(astype(array({257, 259, 65535, -257}), bfloat16, device),
                     {256, 260, 65536, -256}, Shape{4}, 0, 0);
  EXPECT_ARRAY_EQ(astype(array({int64_t(16777217)}), float32, device),
                  std::vector<float>{16777216.0f}, Shape{1});
  EXPECT_ARRAY_EQ(astype(array({(int64_t(1) << 53) + 1}), float64, device),
                  std::vector<double>{9007199254740992.0}, Shape{1});
  EXPECT_ARRAY_EQ(astype(array({~uint64_t(0)}), float64, device),
                  std::vector<double>{18446744073709551616.0}, Shape{1});
  EXPECT_ARRAY_EQ(astype(array({~uint64_t(0)}), float32, device),
                  std::vector<float>{18446744073709551616.0f}, Shape{1});
  EXPECT_ARRAY_EQ(astype(array({int64_t(-5)}), float16, device), std::vector<float>{-5}, Shape{1});
}

DEVICE_TEST(AsType, FloatToFloat) {
  // float32 -> float16: rounding, overflow, subnormals, flush to zero, NaN, infinities.
  array f = array({0.1f, 70000.0f, -70000.0f, 6e-8f, 1e-9f, NAN, INFINITY, -0.0f});
  EXPECT_ARRAY_CLOSE(astype(f, float16, device),
                     {0.0999755859375, kInf, -kInf, 5.9604644775390625e-08, 0, kNaN, kInf, 0},
                     Shape{8}, 0, 0);
  EXPECT_TRUE(std::signbit(values(astype(f, float16, device))[7]));
  EXPECT_ARRAY_CLOSE(
      astype(f, bfloat16, device),
      {0.10009765625, 70144, -70144, 6.007030606269836e-08, 9.968061931431293e-10, kNaN, kInf, 0},
      Shape{8}, 0, 0);
  // float64 -> float32 / bfloat16.
  array d = array({0.1, 1e300, -1e300, 1e-50}, float64);
  EXPECT_ARRAY_EQ(astype(d, float32, device), std::vector<float>{0.1f, INFINITY, -INFINITY, 0.0f},
                  Shape{4});
  EXPECT_ARRAY_CLOSE(astype(d, bfloat16, device), {0.10009765625, kInf, -kInf, 0}, Shape{4}, 0, 0);
  // float16 <-> bfloat16 goes through float32.
  EXPECT_ARRAY_CLOSE(astype(make({0.1, 65504}, float16), bfloat16, device), {0.10009765625, 65536},
                     Shape{2}, 0, 0);
  EXPECT_ARRAY_CLOSE(astype(make({1e-8, 3e38, -3e38}, bfloat16), float16, device), {0, kInf, -kInf},
                     Shape{3}, 0, 0);
  // Widening is exact.
  EXPECT_ARRAY_EQ(astype(make({0.1}, float16), float64, device),
                  std::vector<double>{0.0999755859375}, Shape{1});
  EXPECT_ARRAY_EQ(astype(array({0.1f}), float64, device), std::vector<double>{double(0.1f)},
                  Shape{1});
}

DEVICE_TEST(AsType, BoolConversions) {
  array f = array({0.5f, -0.0f, NAN, 0.0f, -INFINITY, 1e-30f});
  EXPECT_ARRAY_EQ(astype(f, bool_, device), std::vector<bool>{1, 0, 1, 0, 1, 1}, Shape{6}, bool_);
  EXPECT_ARRAY_EQ(astype(array({0, -3, 256}), bool_, device), std::vector<bool>{0, 1, 1}, Shape{3});
  EXPECT_ARRAY_EQ(astype(make({0, 0.001}, float16), bool_, device), std::vector<bool>{0, 1},
                  Shape{2});
  EXPECT_ARRAY_EQ(astype(array({true, false}), float32, device), std::vector<float>{1, 0},
                  Shape{2});
  EXPECT_ARRAY_EQ(astype(array({true, false}), int8, device), std::vector<int8_t>{1, 0}, Shape{2});
  EXPECT_ARRAY_EQ(astype(array({true, false}), uint64, device), std::vector<uint64_t>{1, 0},
                  Shape{2});
}

DEVICE_TEST(AsType, Complex) {
  array z =
      array({complex64_t(2.7f, 5), complex64_t(0, 1), complex64_t(0, 0), complex64_t(-200.9f, 1)});
  EXPECT_ARRAY_EQ(astype(z, float32, device), std::vector<float>{2.7f, 0, 0, -200.9f}, Shape{4});
  EXPECT_ARRAY_EQ(astype(z, float64, device),
                  std::vector<double>{double(2.7f), 0, 0, double(-200.9f)}, Shape{4});
  EXPECT_ARRAY_EQ(astype(z, int32, device), std::vector<int>{2, 0, 0, -200}, Shape{4});
  EXPECT_ARRAY_EQ(astype(z, int16, device), std::vector<int16_t>{2, 0, 0, -200}, Shape{4});
  // To bool: true when either part is non-zero.
  EXPECT_ARRAY_EQ(astype(z, bool_, device), std::vector<bool>{1, 1, 0, 1}, Shape{4});
  EXPECT_ARRAY_CLOSE(astype(array({complex64_t(0.1f, 3)}), float16, device), {0.0999755859375},
                     Shape{1}, 0, 0);
  // Real to complex: imaginary part zero.
  EXPECT_TRUE(tandem_test::complex_close(astype(array({1.5f, -2.0f}), complex64, device),
                                         {complex64_t(1.5f, 0), complex64_t(-2, 0)}, {2}, 0));
  EXPECT_TRUE(tandem_test::complex_close(astype(array({0.1}, float64), complex64, device),
                                         {complex64_t(0.1f, 0)}, {1}, 0));
  EXPECT_TRUE(tandem_test::complex_close(astype(array({int64_t(-3)}), complex64, device),
                                         {complex64_t(-3, 0)}, {1}, 0));
  EXPECT_TRUE(tandem_test::complex_close(astype(array({true}), complex64, device),
                                         {complex64_t(1, 0)}, {1}, 0));
  EXPECT_TRUE(tandem_test::complex_close(astype(make({0.5}, bfloat16), complex64, device),
                                         {complex64_t(0.5f, 0)}, {1}, 0));
}

DEVICE_TEST(AsType, ShapesAndLayouts) {
  // 0-d and empty.
  array s = astype(array(3.5f), int32, device);
  EXPECT_EQ(s.shape(), Shape{});
  EXPECT_EQ(s.item<int>(), 3);
  array e = astype(array(std::vector<float>{}, {0, 2}), float16, device);
  EXPECT_EQ(e.shape(), (Shape{0, 2}));
  EXPECT_TRUE(values(e).empty());
  // A transposed input keeps its values in row-major reading order.
  array m = array({1.5f, 2.5f, 3.5f, 4.5f, 5.5f, 6.5f}, {2, 3});
  EXPECT_ARRAY_EQ(astype(transpose(m, device), int32, device), std::vector<int>{1, 4, 2, 5, 3, 6},
                  Shape{3, 2});
  // A lazily computed input that can be converted in place.
  array x = array({1, 2, 3});
  array y = astype(x * 2, float32, device);
  EXPECT_ARRAY_EQ(y, std::vector<float>{2, 4, 6}, Shape{3});
  EXPECT_ARRAY_EQ(x, std::vector<int>{1, 2, 3}, Shape{3});
  // Chained conversions.
  array c = astype(astype(astype(array({-1.75f, 300.25f}), float16, device), int16, device), uint8,
                   device);
  EXPECT_ARRAY_EQ(c, std::vector<uint8_t>{255, 44}, Shape{2});
}

// ------------------------------ view ------------------------------

DEVICE_TEST(View, ReinterpretsBits) {
  EXPECT_ARRAY_EQ(view(array({1.0f, -2.0f}), int32, device),
                  std::vector<int32_t>{0x3f800000, -1073741824}, Shape{2}, int32);
  EXPECT_ARRAY_EQ(view(array({-2.0f}), uint32, device), std::vector<uint32_t>{0xc0000000u},
                  Shape{1});
  EXPECT_ARRAY_EQ(view(array({int8_t(-1), int8_t(5)}), uint8, device), std::vector<uint8_t>{255, 5},
                  Shape{2}, uint8);
  EXPECT_ARRAY_EQ(view(make({1.0}, float16), uint16, device), std::vector<uint16_t>{0x3c00},
                  Shape{1});
  EXPECT_ARRAY_EQ(view(make({1.0}, bfloat16), int16, device), std::vector<int16_t>{0x3f80},
                  Shape{1});
  EXPECT_ARRAY_EQ(view(array({uint16_t(0x3c00)}), float16, device), std::vector<float>{1.0f},
                  Shape{1}, float16);
  EXPECT_ARRAY_EQ(view(array({true, false}), uint8, device), std::vector<uint8_t>{1, 0}, Shape{2});
  // 0-d with equal item sizes.
  EXPECT_ARRAY_EQ(view(array(1.0f), int32, device), std::vector<int32_t>{0x3f800000}, Shape{});
  // Same dtype: the same array.
  array a = array({1, 2});
  EXPECT_EQ(view(a, int32, device).id(), a.id());
}

DEVICE_TEST(View, ChangesLastAxis) {
  // Little-endian bytes of 1.0f: 00 00 80 3f.
  EXPECT_ARRAY_EQ(view(array({1.0f}), uint8, device), std::vector<uint8_t>{0, 0, 128, 63},
                  Shape{4});
  EXPECT_ARRAY_EQ(view(array({uint8_t(1), uint8_t(2), uint8_t(3), uint8_t(4)}), int16, device),
                  std::vector<int16_t>{0x0201, 0x0403}, Shape{2}, int16);
  // 1.0 as float64 is 0x3FF0000000000000: low word 0, high word 0x3FF00000 (= 1.875f).
  EXPECT_ARRAY_EQ(view(array({1.0, 2.0}, {2, 1}, float64), float32, device),
                  std::vector<float>{0.0f, 1.875f, 0.0f, 2.0f}, Shape{2, 2});
  EXPECT_ARRAY_EQ(view(array({complex64_t(1, 2), complex64_t(3, 4)}), float32, device),
                  std::vector<float>{1, 2, 3, 4}, Shape{4});
  EXPECT_TRUE(tandem_test::complex_close(view(array({5.0f, 6.0f}, {1, 2}), complex64, device),
                                         {complex64_t(5, 6)}, {1, 1}, 0));
  array u = view(array({1, 2, 3, 4, 5, 6}, {2, 3}), uint8, device);
  EXPECT_EQ(u.shape(), (Shape{2, 12}));
  EXPECT_EQ(u.to_vector<uint8_t>()[4], 2);
  EXPECT_EQ(u.to_vector<uint8_t>()[12], 4);
}

DEVICE_TEST(View, OutputFlagsFollowTheNewShape) {
  // (4,1) is both row- and column-major; its (4,4) byte view is only row-major.
  array v = view(array({1.0f, 2.0f, 3.0f, 4.0f}, {4, 1}), uint8, device);
  v.eval();
  EXPECT_EQ(v.shape(), (Shape{4, 4}));
  EXPECT_EQ(v.strides(), (Strides{4, 1}));
  EXPECT_TRUE(v.flags().row_contiguous);
  EXPECT_FALSE(v.flags().col_contiguous);
}

DEVICE_TEST(View, NonContiguousInputIsCopiedFirst) {
  array t = transpose(array({1, 2, 3, 4}, {2, 2}), device);  // [[1,3],[2,4]]
  array u = view(t, uint8, device);
  EXPECT_EQ(u.shape(), (Shape{2, 8}));
  auto v = u.to_vector<uint8_t>();
  EXPECT_EQ(v[0], 1);
  EXPECT_EQ(v[4], 3);
  EXPECT_EQ(v[8], 2);
  EXPECT_EQ(v[12], 4);
  array s = slice(array({1.0f, 9.0f, 2.0f, 9.0f}), {0}, {4}, {2}, device);  // [1, 2]
  EXPECT_ARRAY_EQ(view(s, int32, device), std::vector<int32_t>{0x3f800000, 0x40000000}, Shape{2});
}

DEVICE_TEST(View, Errors) {
  EXPECT_THROW_MSG(view(array(1.0f), uint8, device), std::invalid_argument, "[view]");
  EXPECT_THROW_MSG(view(array(1.0f), float64, device), std::invalid_argument, "0-d");
  EXPECT_THROW_MSG(view(array({uint8_t(1), uint8_t(2), uint8_t(3)}), int16, device),
                   std::invalid_argument, "[view] The last axis of shape (3,) in uint8");
  EXPECT_THROW_MSG(view(array({1.0f}), float64, device), std::invalid_argument, "float64");
}
