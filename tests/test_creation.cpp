// Copyright © 2026 Tandem authors.
// Forward values of the creation ops (src/ops/creation.cpp): arange, linspace, full, zeros, ones,
// the *_like forms, eye, identity, tri, tril, triu and meshgrid. Hand-computed values, dtypes and
// their inference, 0-d and empty results, transposed/sliced/batched inputs, and bad arguments
// with their messages.
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "harness.h"

using namespace tandem;
using tandem_test::make;
using tandem_test::values;

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
using E = std::invalid_argument;
using D = std::vector<double>;
}  // namespace

// ============================== arange ==============================

DEVICE_TEST(Arange, IntegerOverloads) {
  EXPECT_ARRAY_EQ(arange(5, device), std::vector<int32_t>{0, 1, 2, 3, 4}, Shape{5}, int32);
  EXPECT_ARRAY_EQ(arange(2, 7, device), std::vector<int32_t>{2, 3, 4, 5, 6}, Shape{5}, int32);
  EXPECT_ARRAY_EQ(arange(1, 10, 3, device), std::vector<int32_t>{1, 4, 7}, Shape{3}, int32);
  EXPECT_ARRAY_EQ(arange(1, 11, 3, device), std::vector<int32_t>{1, 4, 7, 10}, Shape{4});
  // Negative steps count down; the stop is excluded.
  EXPECT_ARRAY_EQ(arange(10, 0, -3, device), std::vector<int32_t>{10, 7, 4, 1}, Shape{4});
  EXPECT_ARRAY_EQ(arange(-1, -4, -1, device), std::vector<int32_t>{-1, -2, -3}, Shape{3});
  // Empty ranges.
  EXPECT_ARRAY_EQ(arange(5, 5, device), std::vector<int32_t>{}, Shape{0}, int32);
  EXPECT_ARRAY_EQ(arange(5, 0, device), std::vector<int32_t>{}, Shape{0});
  EXPECT_ARRAY_EQ(arange(0, 5, -1, device), std::vector<int32_t>{}, Shape{0});
  EXPECT_ARRAY_EQ(arange(0, device), std::vector<int32_t>{}, Shape{0});
  EXPECT_ARRAY_EQ(arange(-3, device), std::vector<int32_t>{}, Shape{0});
}

DEVICE_TEST(Arange, FloatOverloadsAndDtypes) {
  // The double overloads default to float32.
  EXPECT_ARRAY_EQ(arange(3.0, device), std::vector<float>{0, 1, 2}, Shape{3}, float32);
  EXPECT_ARRAY_EQ(arange(0.0, 1.0, 0.25, device), std::vector<float>{0, 0.25f, 0.5f, 0.75f},
                  Shape{4}, float32);
  EXPECT_ARRAY_EQ(arange(1.0, -1.0, -0.5, device), std::vector<float>{1, 0.5f, 0, -0.5f}, Shape{4});
  EXPECT_ARRAY_EQ(arange(0.5, 3.0, device), std::vector<float>{0.5f, 1.5f, 2.5f}, Shape{3});
  // ceil((stop - start) / step) elements: 10 for [0, 1) in steps of 0.1, 4 in steps of 0.3.
  EXPECT_EQ(arange(0.0, 1.0, 0.1, device).shape(), Shape{10});
  EXPECT_ARRAY_CLOSE(arange(0.0, 1.0, 0.3, device), {0, 0.3, 0.6, 0.9}, Shape{4});
  // start + i * step (not accumulated): the last of 1000 steps of 0.1 is 99.9 to float32 rounding.
  array many = arange(0.0, 100.0, 0.1, float64, device);
  EXPECT_EQ(many.shape(), Shape{1000});
  EXPECT_DOUBLE_EQ(many.to_vector<double>()[999], 999 * 0.1);
  // Explicit dtypes.
  for (Dtype t : {uint8, uint16, uint32, uint64, int8, int16, int32, int64, float16, bfloat16,
                  float32, float64}) {
    SCOPED_TRACE(dtype_name(t));
    array a = arange(1.0, 9.0, 2.0, t, device);
    EXPECT_EQ(a.dtype(), t);
    EXPECT_EQ(values(a), (D{1, 3, 5, 7}));
    EXPECT_EQ(values(arange(4.0, t, device)), (D{0, 1, 2, 3}));
    EXPECT_EQ(values(arange(2.0, 4.0, t, device)), (D{2, 3}));
  }
  EXPECT_ARRAY_EQ(arange(-2.0, 2.0, 1.0, int64, device), std::vector<int64_t>{-2, -1, 0, 1},
                  Shape{4}, int64);
  EXPECT_ARRAY_EQ(arange(0.0, 1.0, 0.5, float64, device), std::vector<double>{0, 0.5}, Shape{2});
}

DEVICE_TEST(Arange, InfiniteStep) {
  // An infinite step in the direction of stop gives the start alone (MLX, NumPy); against it,
  // nothing.
  EXPECT_ARRAY_EQ(arange(0.0, 10.0, kInf, device), std::vector<float>{0}, Shape{1}, float32);
  EXPECT_ARRAY_EQ(arange(3.0, -10.0, -kInf, float64, device), std::vector<double>{3}, Shape{1},
                  float64);
  EXPECT_ARRAY_EQ(arange(0.0, 10.0, -kInf, device), std::vector<float>{}, Shape{0});
  EXPECT_ARRAY_EQ(arange(5.0, 5.0, kInf, device), std::vector<float>{}, Shape{0});
}

DEVICE_TEST(Arange, Errors) {
  EXPECT_THROW_MSG(arange(0, 5, 0, device), E, "[arange] step must be non-zero.");
  EXPECT_THROW_MSG(arange(0.0, 1.0, 0.0, device), E, "[arange] step must be non-zero.");
  EXPECT_THROW_MSG(arange(0.0, 1e10, 1.0, device), E, "[arange] Maximum size exceeded");
  EXPECT_THROW_MSG(arange(0.0, 1.0, 1e-12, device), E, "[arange] Maximum size exceeded");
  EXPECT_THROW_MSG(arange(0.0, 3.0, 1.0, bool_, device), E,
                   "[arange] Cannot make a range of bool.");
  EXPECT_THROW_MSG(arange(0.0, 3.0, 1.0, complex64, device), E,
                   "[arange] Cannot make a range of complex64.");
  EXPECT_THROW_MSG(arange(0.0, kNaN, 1.0, device), E, "[arange] start, stop and step must not");
  EXPECT_THROW_MSG(arange(0.0, 1.0, kNaN, device), E, "[arange] start, stop and step must not");
  EXPECT_THROW_MSG(arange(0.0, kInf, 1.0, device), E, "[arange] Cannot make an infinite range.");
  EXPECT_THROW_MSG(arange(-kInf, 0.0, 1.0, device), E, "[arange] Cannot make an infinite range.");
}

// ============================== linspace ==============================

DEVICE_TEST(Linspace, Values) {
  EXPECT_ARRAY_EQ(linspace(0, 1, 5, float32, device), std::vector<float>{0, 0.25f, 0.5f, 0.75f, 1},
                  Shape{5}, float32);
  EXPECT_ARRAY_EQ(linspace(1, 0, 3, float32, device), std::vector<float>{1, 0.5f, 0}, Shape{3});
  EXPECT_ARRAY_EQ(linspace(-2, 2, 2, float32, device), std::vector<float>{-2, 2}, Shape{2});
  // Both endpoints are exact.
  array l = linspace(0.1, 0.7, 7, float64, device);
  auto lv = l.to_vector<double>();
  EXPECT_EQ(lv.front(), 0.1);
  EXPECT_EQ(lv.back(), 0.7);
  EXPECT_ARRAY_CLOSE(l, {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7}, Shape{7}, 1e-15, 1e-15);
  EXPECT_EQ(linspace(0.1, 0.7, 7, float32, device).to_vector<float>().back(), 0.7f);
  // num = 1 gives the start; num = 0 nothing.
  EXPECT_ARRAY_EQ(linspace(3, 10, 1, float32, device), std::vector<float>{3}, Shape{1});
  EXPECT_ARRAY_EQ(linspace(3, 10, 0, float32, device), std::vector<float>{}, Shape{0}, float32);
  // Default num is 50 and default dtype float32.
  array d = linspace(0, 49, 50, float32, device);
  EXPECT_EQ(linspace(0, 49).shape(), Shape{50});
  EXPECT_EQ(linspace(0, 49).dtype(), float32);
  EXPECT_EQ(values(d)[17], 17);
  // Other dtypes: integers truncate the float values (2.5 -> 2, 7.5 -> 7).
  EXPECT_ARRAY_EQ(linspace(0, 10, 5, int32, device), std::vector<int32_t>{0, 2, 5, 7, 10}, Shape{5},
                  int32);
  EXPECT_ARRAY_CLOSE(linspace(0, 1, 3, float16, device), {0, 0.5, 1}, Shape{3}, 0, 0);
  EXPECT_EQ(linspace(0, 1, 3, bfloat16, device).dtype(), bfloat16);
  EXPECT_THROW_MSG(linspace(0, 1, -1, float32, device), E,
                   "[linspace] num must be non-negative; got -1.");
}

// ============================== full / zeros / ones / *_like ==============================

DEVICE_TEST(Full, ScalarsAndDtypes) {
  EXPECT_ARRAY_EQ(full({2, 3}, 7, device), std::vector<int32_t>(6, 7), Shape{2, 3}, int32);
  EXPECT_ARRAY_EQ(full({2}, 2.5f, device), std::vector<float>{2.5f, 2.5f}, Shape{2}, float32);
  EXPECT_ARRAY_CLOSE(full({3}, 2.5f, float16, device), {2.5, 2.5, 2.5}, Shape{3}, 0, 0);
  EXPECT_EQ(full({3}, 2.5f, float16, device).dtype(), float16);
  // The value is cast to the dtype (C conversion: truncation toward zero).
  EXPECT_ARRAY_EQ(full({2}, -2.7, int32, device), std::vector<int32_t>{-2, -2}, Shape{2}, int32);
  EXPECT_ARRAY_EQ(full({2}, 3, bool_, device), std::vector<bool>{true, true}, Shape{2}, bool_);
  EXPECT_TRUE(tandem_test::complex_close(full({2}, complex64_t(1, -2), device),
                                         {complex64_t(1, -2), complex64_t(1, -2)}, Shape{2}));
  // 0-d and empty shapes.
  EXPECT_ARRAY_EQ(full({}, 5, device), std::vector<int32_t>{5}, Shape{});
  EXPECT_ARRAY_EQ(full({0, 3}, 5.0f, device), std::vector<float>{}, Shape{0, 3});
  // The result is a fresh row-contiguous array.
  array f = full({4, 4}, 1.0f, device);
  f.eval();
  EXPECT_TRUE(f.flags().row_contiguous);
  EXPECT_THROW_MSG(full({2, -1}, 1.0f, device), E, "[full] Negative dimension in shape (2,-1).");
}

DEVICE_TEST(Full, BroadcastsArrayValues) {
  // A row broadcast down, a column broadcast across, a 0-d array everywhere.
  EXPECT_ARRAY_EQ(full({2, 3}, array({1, 2, 3}), device), std::vector<int32_t>{1, 2, 3, 1, 2, 3},
                  Shape{2, 3}, int32);
  EXPECT_ARRAY_EQ(full({3, 2}, array({1, 2, 3}, {3, 1}), device),
                  std::vector<int32_t>{1, 1, 2, 2, 3, 3}, Shape{3, 2});
  EXPECT_ARRAY_EQ(full({2, 2, 2}, array({1.5f, -1.5f}), int32, device),
                  std::vector<int32_t>{1, -1, 1, -1, 1, -1, 1, -1}, Shape{2, 2, 2}, int32);
  // A transposed value array.
  array t = transpose(array({1, 2, 3, 4}, {2, 2}), device);  // [[1, 3], [2, 4]]
  EXPECT_ARRAY_EQ(full({2, 2, 2}, t, device), std::vector<int32_t>{1, 3, 2, 4, 1, 3, 2, 4},
                  Shape{2, 2, 2});
  EXPECT_THROW_MSG(full({2, 2}, array({1, 2, 3}), device), E, "(3,)");
}

DEVICE_TEST(Full, ZerosOnesEveryDtype) {
  for (Dtype t : tandem_test::all_dtypes()) {
    SCOPED_TRACE(dtype_name(t));
    array z = zeros({2, 3}, t, device);
    array o = ones({3}, t, device);
    EXPECT_EQ(z.dtype(), t);
    EXPECT_EQ(o.dtype(), t);
    EXPECT_EQ(z.shape(), (Shape{2, 3}));
    EXPECT_EQ(values(z), D(6, 0));
    EXPECT_EQ(values(o), D(3, 1));
  }
  EXPECT_EQ(zeros({2}, device).dtype(), float32);
  EXPECT_EQ(ones({2}, device).dtype(), float32);
  EXPECT_ARRAY_EQ(zeros({}, int8, device), std::vector<int8_t>{0}, Shape{});
  EXPECT_ARRAY_EQ(ones({0}, device), std::vector<float>{}, Shape{0});
  EXPECT_TRUE(
      tandem_test::complex_close(ones({1}, complex64, device), {complex64_t(1, 0)}, Shape{1}));
}

DEVICE_TEST(Full, LikeForms) {
  array a = transpose(array({1, 2, 3, 4, 5, 6}, {2, 3}), device);  // (3, 2) int32 view
  array z = zeros_like(a, device);
  EXPECT_ARRAY_EQ(z, std::vector<int32_t>(6, 0), Shape{3, 2}, int32);
  EXPECT_ARRAY_EQ(ones_like(a, device), std::vector<int32_t>(6, 1), Shape{3, 2}, int32);
  // full_like takes a's shape and dtype: 2.7 becomes 2 in int32.
  EXPECT_ARRAY_EQ(full_like(a, array(2.7f), device), std::vector<int32_t>(6, 2), Shape{3, 2},
                  int32);
  // ... and broadcasts the values.
  EXPECT_ARRAY_EQ(full_like(a, array({7, 8}), device), std::vector<int32_t>{7, 8, 7, 8, 7, 8},
                  Shape{3, 2});
  for (Dtype t : {bool_, uint16, int64, float16, bfloat16, float64, complex64}) {
    array x = zeros({2}, t, device);
    EXPECT_EQ(ones_like(x, device).dtype(), t);
    EXPECT_EQ(values(ones_like(x, device)), D(2, 1));
    EXPECT_EQ(zeros_like(x, device).dtype(), t);
  }
  EXPECT_ARRAY_EQ(ones_like(array(3.5f), device), std::vector<float>{1}, Shape{});
  EXPECT_ARRAY_EQ(zeros_like(zeros({0, 2}, int16, device), device), std::vector<int16_t>{},
                  Shape{0, 2}, int16);
}

// ============================== eye / identity / tri ==============================

DEVICE_TEST(Eye, Values) {
  EXPECT_ARRAY_EQ(eye(3, device), std::vector<float>{1, 0, 0, 0, 1, 0, 0, 0, 1}, Shape{3, 3},
                  float32);
  EXPECT_ARRAY_EQ(identity(2, device), std::vector<float>{1, 0, 0, 1}, Shape{2, 2}, float32);
  EXPECT_ARRAY_EQ(identity(2, int32, device), std::vector<int32_t>{1, 0, 0, 1}, Shape{2, 2}, int32);
  EXPECT_ARRAY_EQ(identity(2, bool_, device), std::vector<bool>{1, 0, 0, 1}, Shape{2, 2}, bool_);
  // Non-square.
  EXPECT_ARRAY_EQ(eye(2, 4, device), std::vector<float>{1, 0, 0, 0, 0, 1, 0, 0}, Shape{2, 4});
  EXPECT_ARRAY_EQ(eye(3, 2, device), std::vector<float>{1, 0, 0, 1, 0, 0}, Shape{3, 2});
  // Offsets: k > 0 above the main diagonal, k < 0 below.
  EXPECT_ARRAY_EQ(eye(3, 3, 1, device), std::vector<float>{0, 1, 0, 0, 0, 1, 0, 0, 0}, Shape{3, 3});
  EXPECT_ARRAY_EQ(eye(3, 4, -1, device), std::vector<float>{0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0},
                  Shape{3, 4});
  EXPECT_ARRAY_EQ(eye(2, 4, 2, int8, device), std::vector<int8_t>{0, 0, 1, 0, 0, 0, 0, 1},
                  Shape{2, 4}, int8);
  // Offsets past the matrix give zeros.
  EXPECT_ARRAY_EQ(eye(2, 2, 5, device), std::vector<float>(4, 0), Shape{2, 2});
  EXPECT_ARRAY_EQ(eye(2, 2, -2, device), std::vector<float>(4, 0), Shape{2, 2});
  array e16 = eye(3, float16, device);
  EXPECT_EQ(e16.dtype(), float16);
  EXPECT_EQ(values(e16), (D{1, 0, 0, 0, 1, 0, 0, 0, 1}));
  EXPECT_ARRAY_EQ(eye(0, device), std::vector<float>{}, Shape{0, 0});
  EXPECT_THROW_MSG(eye(-1, device), E, "[eye] n and m must be non-negative; got -1 and -1.");
  EXPECT_THROW_MSG(eye(2, -3, device), E, "[eye] n and m must be non-negative; got 2 and -3.");
}

DEVICE_TEST(Tri, Values) {
  EXPECT_ARRAY_EQ(tri(3, float32, device), std::vector<float>{1, 0, 0, 1, 1, 0, 1, 1, 1},
                  Shape{3, 3}, float32);
  EXPECT_ARRAY_EQ(tri(3, 4, 1, int32, device),
                  std::vector<int32_t>{1, 1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 1}, Shape{3, 4}, int32);
  EXPECT_ARRAY_EQ(tri(3, 3, -1, bool_, device), std::vector<bool>{0, 0, 0, 1, 0, 0, 1, 1, 0},
                  Shape{3, 3}, bool_);
  EXPECT_ARRAY_EQ(tri(4, 2, 0, float32, device), std::vector<float>{1, 0, 1, 1, 1, 1, 1, 1},
                  Shape{4, 2});
  EXPECT_ARRAY_EQ(tri(2, 2, 5, float32, device), std::vector<float>(4, 1), Shape{2, 2});
  EXPECT_ARRAY_EQ(tri(2, 2, -5, float32, device), std::vector<float>(4, 0), Shape{2, 2});
  EXPECT_THROW_MSG(tri(-2, float32, device), E, "[tri] n and m must be non-negative");
}

DEVICE_TEST(Tri, TrilTriu) {
  array m = reshape(arange(1, 13, device), {3, 4}, device);
  // [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]
  EXPECT_ARRAY_EQ(tril(m, 0, device), std::vector<int32_t>{1, 0, 0, 0, 5, 6, 0, 0, 9, 10, 11, 0},
                  Shape{3, 4}, int32);
  EXPECT_ARRAY_EQ(tril(m, 1, device), std::vector<int32_t>{1, 2, 0, 0, 5, 6, 7, 0, 9, 10, 11, 12},
                  Shape{3, 4});
  EXPECT_ARRAY_EQ(tril(m, -1, device), std::vector<int32_t>{0, 0, 0, 0, 5, 0, 0, 0, 9, 10, 0, 0},
                  Shape{3, 4});
  EXPECT_ARRAY_EQ(triu(m, 0, device), std::vector<int32_t>{1, 2, 3, 4, 0, 6, 7, 8, 0, 0, 11, 12},
                  Shape{3, 4}, int32);
  EXPECT_ARRAY_EQ(triu(m, 2, device), std::vector<int32_t>{0, 0, 3, 4, 0, 0, 0, 8, 0, 0, 0, 0},
                  Shape{3, 4});
  EXPECT_ARRAY_EQ(triu(m, -1, device), std::vector<int32_t>{1, 2, 3, 4, 5, 6, 7, 8, 0, 10, 11, 12},
                  Shape{3, 4});
  EXPECT_ARRAY_EQ(tril(m, -3, device), std::vector<int32_t>(12, 0), Shape{3, 4});
  EXPECT_ARRAY_EQ(triu(m, 4, device), std::vector<int32_t>(12, 0), Shape{3, 4});
  // tril(k) + triu(k + 1) == m.
  for (int k = -4; k <= 4; ++k) {
    EXPECT_EQ(values(add(tril(m, k, device), triu(m, k + 1, device), device)), values(m)) << k;
  }
  // Tall matrix and transposed input.
  array t = transpose(m, device);  // (4, 3): [[1, 5, 9], [2, 6, 10], [3, 7, 11], [4, 8, 12]]
  EXPECT_ARRAY_EQ(tril(t, 0, device), std::vector<int32_t>{1, 0, 0, 2, 6, 0, 3, 7, 11, 4, 8, 12},
                  Shape{4, 3});
  EXPECT_ARRAY_EQ(triu(t, 1, device), std::vector<int32_t>{0, 5, 9, 0, 0, 10, 0, 0, 0, 0, 0, 0},
                  Shape{4, 3});
  // Batched: the mask applies to the last two axes of every matrix.
  array b = reshape(arange(0, 18, device), {2, 3, 3}, device);
  EXPECT_ARRAY_EQ(tril(b, 0, device),
                  std::vector<int32_t>{0, 0, 0, 3, 4, 0, 6, 7, 8, 9, 0, 0, 12, 13, 0, 15, 16, 17},
                  Shape{2, 3, 3});
  EXPECT_ARRAY_EQ(triu(b, 1, device),
                  std::vector<int32_t>{0, 1, 2, 0, 0, 5, 0, 0, 0, 0, 10, 11, 0, 0, 14, 0, 0, 0},
                  Shape{2, 3, 3});
  // Dtypes are kept.
  for (Dtype dt : {bool_, uint8, int64, float16, bfloat16, float64, complex64}) {
    array x = ones({2, 2}, dt, device);
    EXPECT_EQ(tril(x, 0, device).dtype(), dt);
    EXPECT_EQ(values(triu(x, 0, device)), (D{1, 1, 0, 1}));
  }
  EXPECT_THROW_MSG(tril(array({1, 2, 3}), 0, device), E,
                   "[tril] Requires at least 2 dimensions; got shape (3,).");
  EXPECT_THROW_MSG(triu(array(1.0f), 0, device), E,
                   "[triu] Requires at least 2 dimensions; got shape ().");
}

// ============================== meshgrid ==============================

DEVICE_TEST(Meshgrid, IndexingAndSparse) {
  array x = array({1, 2, 3});
  array y = array({4.0f, 5.0f});
  // "xy": shapes (len(y), len(x)).
  auto xy = meshgrid({x, y}, false, "xy", device);
  ASSERT_EQ(xy.size(), 2u);
  EXPECT_ARRAY_EQ(xy[0], std::vector<int32_t>{1, 2, 3, 1, 2, 3}, Shape{2, 3}, int32);
  EXPECT_ARRAY_EQ(xy[1], std::vector<float>{4, 4, 4, 5, 5, 5}, Shape{2, 3}, float32);
  // The default indexing is "xy".
  EXPECT_EQ(meshgrid({x, y})[0].shape(), (Shape{2, 3}));
  // "ij": shapes (len(x), len(y)).
  auto ij = meshgrid({x, y}, false, "ij", device);
  EXPECT_ARRAY_EQ(ij[0], std::vector<int32_t>{1, 1, 2, 2, 3, 3}, Shape{3, 2});
  EXPECT_ARRAY_EQ(ij[1], std::vector<float>{4, 5, 4, 5, 4, 5}, Shape{3, 2});
  // Sparse: broadcastable shapes only.
  auto sxy = meshgrid({x, y}, true, "xy", device);
  EXPECT_ARRAY_EQ(sxy[0], std::vector<int32_t>{1, 2, 3}, Shape{1, 3});
  EXPECT_ARRAY_EQ(sxy[1], std::vector<float>{4, 5}, Shape{2, 1});
  auto sij = meshgrid({x, y}, true, "ij", device);
  EXPECT_ARRAY_EQ(sij[0], std::vector<int32_t>{1, 2, 3}, Shape{3, 1});
  EXPECT_ARRAY_EQ(sij[1], std::vector<float>{4, 5}, Shape{1, 2});
  // Sparse outputs broadcast to the dense ones.
  EXPECT_EQ(values(add(sxy[0], zeros_like(xy[0], device), device)), values(xy[0]));
  // Three inputs with "xy": the first two axes swap, the third stays.
  array z = array({7, 8, 9, 10});
  auto g3 = meshgrid({x, y, z}, false, "xy", device);
  for (auto& g : g3)
    EXPECT_EQ(g.shape(), (Shape{2, 3, 4}));
  // g3[0][j, i, k] = x[i], g3[1][j, i, k] = y[j], g3[2][j, i, k] = z[k].
  auto v0 = values(g3[0]), v1 = values(g3[1]), v2 = values(g3[2]);
  for (int j = 0; j < 2; ++j)
    for (int i = 0; i < 3; ++i)
      for (int k = 0; k < 4; ++k) {
        int f = (j * 3 + i) * 4 + k;
        EXPECT_EQ(v0[f], i + 1);
        EXPECT_EQ(v1[f], j + 4);
        EXPECT_EQ(v2[f], k + 7);
      }
  auto g3ij = meshgrid({x, y, z}, true, "ij", device);
  EXPECT_EQ(g3ij[0].shape(), (Shape{3, 1, 1}));
  EXPECT_EQ(g3ij[1].shape(), (Shape{1, 2, 1}));
  EXPECT_EQ(g3ij[2].shape(), (Shape{1, 1, 4}));
  // One input: itself; sliced inputs.
  auto one = meshgrid({x}, false, "xy", device);
  EXPECT_ARRAY_EQ(one[0], std::vector<int32_t>{1, 2, 3}, Shape{3});
  array s = slice(arange(0, 10, device), {1}, {10}, {4}, device);  // 1, 5, 9
  auto gs = meshgrid({s, x}, false, "ij", device);
  EXPECT_ARRAY_EQ(gs[0], std::vector<int32_t>{1, 1, 1, 5, 5, 5, 9, 9, 9}, Shape{3, 3});
}

DEVICE_TEST(Meshgrid, NdInputsAreFlattenedAndErrors) {
  // N-d inputs are flattened, as MLX and NumPy do.
  array m = array({1, 2, 3, 4}, {2, 2});
  auto g = meshgrid({m, array({0, 1})}, false, "ij", device);
  EXPECT_ARRAY_EQ(g[0], std::vector<int32_t>{1, 1, 2, 2, 3, 3, 4, 4}, Shape{4, 2});
  EXPECT_ARRAY_EQ(g[1], std::vector<int32_t>{0, 1, 0, 1, 0, 1, 0, 1}, Shape{4, 2});
  auto g0 = meshgrid({array(5), array({1, 2})}, false, "xy", device);
  EXPECT_EQ(g0[0].shape(), (Shape{2, 1}));
  EXPECT_THROW_MSG(meshgrid({m}, false, "ab", device), E,
                   "[meshgrid] indexing must be 'xy' or 'ij'; got 'ab'.");
}

// ============================== MLX API additions ==============================

DEVICE_TEST(Full, LikeWithDtypeAndScalars) {
  array a = transpose(array({1, 2, 3, 4, 5, 6}, {2, 3}), device);  // (3, 2) int32 view
  EXPECT_ARRAY_CLOSE(full_like(a, array(2.7f), float32, device), D(6, 2.7), Shape{3, 2});
  EXPECT_EQ(full_like(a, array(2.7f), float32, device).dtype(), float32);
  // Scalar forms: a's dtype by default, else the given one.
  EXPECT_ARRAY_EQ(full_like(a, 5, device), std::vector<int32_t>(6, 5), Shape{3, 2}, int32);
  EXPECT_ARRAY_EQ(full_like(a, 2.5, float16, device), std::vector<float16_t>(6, float16_t(2.5f)),
                  Shape{3, 2}, float16);
  EXPECT_ARRAY_EQ(full_like(a, array({7, 8}), int64, device),
                  std::vector<int64_t>{7, 8, 7, 8, 7, 8}, Shape{3, 2}, int64);
  EXPECT_THROW_MSG(full_like(a, array({1, 2, 3}), float32, device), E, "[");
}

DEVICE_TEST(Windows, HandComputedValues) {
  EXPECT_ARRAY_CLOSE(hanning(5, device), D{0, 0.5, 1, 0.5, 0}, Shape{5}, 1e-6, 1e-6);
  EXPECT_ARRAY_CLOSE(hamming(5, device), D{0.08, 0.54, 1, 0.54, 0.08}, Shape{5}, 1e-6, 1e-6);
  EXPECT_ARRAY_CLOSE(hamming(4, device), D{0.08, 0.77, 0.77, 0.08}, Shape{4}, 1e-6, 1e-6);
  EXPECT_ARRAY_CLOSE(bartlett(5, device), D{0, 0.5, 1, 0.5, 0}, Shape{5}, 1e-6, 1e-6);
  EXPECT_ARRAY_CLOSE(bartlett(4, device), D{0, 2.0 / 3, 2.0 / 3, 0}, Shape{4}, 1e-6, 1e-6);
  EXPECT_ARRAY_CLOSE(blackman(5, device), D{0, 0.34, 1, 0.34, 0}, Shape{5}, 1e-6, 1e-6);
  for (auto w :
       {hanning(3, device), hamming(3, device), bartlett(3, device), blackman(3, device)}) {
    EXPECT_EQ(w.dtype(), float32);
  }
  // NumPy's edge cases: one point is [1], fewer gives an empty window (no error).
  for (auto f : {hanning, hamming, bartlett, blackman}) {
    EXPECT_ARRAY_EQ(f(1, device), std::vector<float>{1}, Shape{1}, float32);
    EXPECT_ARRAY_EQ(f(0, device), std::vector<float>{}, Shape{0}, float32);
    EXPECT_ARRAY_EQ(f(-3, device), std::vector<float>{}, Shape{0}, float32);
  }
}

DEVICE_TEST(NumberOfElements, ValuesAndErrors) {
  array a = zeros({2, 3, 4}, float16, device);
  EXPECT_ARRAY_EQ(number_of_elements(a, {0, 2}, false, int32, device), std::vector<int32_t>{8},
                  Shape{}, int32);
  EXPECT_ARRAY_EQ(number_of_elements(a, {-1}, false), std::vector<int32_t>{4}, Shape{}, int32);
  EXPECT_ARRAY_EQ(number_of_elements(a, {}, false, int32, device), std::vector<int32_t>{1},
                  Shape{});
  EXPECT_ARRAY_EQ(number_of_elements(a, {0, 1, 2}, true, float32, device),
                  std::vector<float>{1.0f / 24}, Shape{}, float32);
  EXPECT_THROW_MSG(number_of_elements(a, {3}, false, int32, device), E, "[number_of_elements]");
  EXPECT_THROW_MSG(number_of_elements(a, {0, -3}, false, int32, device), E, "[number_of_elements]");
  EXPECT_THROW_MSG(number_of_elements(zeros({0, 2}), {0}, true, float32, device), E,
                   "[number_of_elements]");
}
