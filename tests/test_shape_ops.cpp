// Copyright © 2026 Tandem authors.
// Forward values of the shape ops (src/ops/shape.cpp): flatten, unflatten, squeeze, expand_dims,
// swapaxes, moveaxis, broadcast_arrays, atleast_1d/2d/3d, concatenate, stack, unstack, split,
// pad, tile, repeat, roll, flip, diagonal, diag and trace. Hand-computed values, shapes, dtype
// promotion, 0-d and empty inputs, transposed / sliced / reversed / broadcast inputs, and bad
// arguments with their messages.
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "harness.h"
#include "transforms_check.h"

using namespace tandem;
using tandem_test::make;
using tandem_test::values;

namespace {
using E = std::invalid_argument;
using I = std::vector<int32_t>;
using D = std::vector<double>;

/// 0, 1, ..., n-1 (int32) in `shape`.
array iota(const Shape& shape) {
  return reshape(arange(0, static_cast<int>(tx::numel(shape))), shape);
}
}  // namespace

// ============================== flatten / unflatten ==============================

DEVICE_TEST(Flatten, Values) {
  array a = iota({2, 3, 4});  // a[i, j, k] = 12 i + 4 j + k
  I all(24);
  for (int i = 0; i < 24; ++i)
    all[i] = i;
  EXPECT_ARRAY_EQ(flatten(a, device), all, Shape{24}, int32);
  EXPECT_ARRAY_EQ(flatten(a, 1, -1, device), all, Shape{2, 12});
  EXPECT_ARRAY_EQ(flatten(a, 0, 1, device), all, Shape{6, 4});
  EXPECT_ARRAY_EQ(flatten(a, -2, -1, device), all, Shape{2, 12});
  EXPECT_ARRAY_EQ(flatten(a, 1, 1, device), all, Shape{2, 3, 4});
  // Out-of-range ends are clamped to the axes (MLX).
  EXPECT_ARRAY_EQ(flatten(a, -10, 10, device), all, Shape{24});
  EXPECT_ARRAY_EQ(flatten(a, 1, 7, device), all, Shape{2, 12});
  // 0-d becomes (1,); empty stays empty.
  EXPECT_ARRAY_EQ(flatten(array(3.5f), device), std::vector<float>{3.5f}, Shape{1});
  EXPECT_ARRAY_EQ(flatten(zeros({2, 0, 3}, int32, device), device), I{}, Shape{0});
  // Transposed input: the values in row-major order of the view.
  array t = transpose(iota({2, 3}), device);  // [[0, 3], [1, 4], [2, 5]]
  EXPECT_ARRAY_EQ(flatten(t, device), I({0, 3, 1, 4, 2, 5}), Shape{6});
  array r = slice(iota({3, 4}), {2, 3}, {-4, -5}, {-1, -2}, device);  // [[11, 9], [7, 5], [3, 1]]
  EXPECT_ARRAY_EQ(flatten(r, device), I({11, 9, 7, 5, 3, 1}), Shape{6});
  EXPECT_THROW_MSG(flatten(a, 2, 1, device), E,
                   "[flatten] start_axis 2 must not come after end_axis 1.");
  EXPECT_THROW_MSG(flatten(a, 3, -1, device), E,
                   "[flatten] Invalid start_axis 3 for array with 3 dimensions.");
  EXPECT_THROW_MSG(flatten(a, 0, -4, device), E,
                   "[flatten] Invalid end_axis -4 for array with 3 dimensions.");
}

DEVICE_TEST(Unflatten, Values) {
  array a = iota({12});
  I all(12);
  for (int i = 0; i < 12; ++i)
    all[i] = i;
  EXPECT_ARRAY_EQ(unflatten(a, 0, {3, 4}, device), all, Shape{3, 4});
  EXPECT_ARRAY_EQ(unflatten(a, -1, {-1, 6}, device), all, Shape{2, 6});
  EXPECT_ARRAY_EQ(unflatten(a, 0, {12}, device), all, Shape{12});
  array m = iota({2, 12});
  EXPECT_EQ(unflatten(m, -1, {2, -1, 3}, device).shape(), (Shape{2, 2, 2, 3}));
  EXPECT_EQ(unflatten(m, 0, {1, 2, 1}, device).shape(), (Shape{1, 2, 1, 12}));
  // Transposed input.
  array t = transpose(iota({3, 4}), device);  // (4, 3)
  EXPECT_ARRAY_EQ(unflatten(t, 1, {3, 1}, device), I({0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}),
                  Shape{4, 3, 1});
  EXPECT_THROW_MSG(unflatten(a, 0, {-1, -1}, device), E, "[unflatten] Can only infer one");
  EXPECT_THROW_MSG(unflatten(a, 0, {5, -1}, device), E,
                   "[unflatten] Cannot infer shape (5,-1) for axis of extent 12.");
  EXPECT_THROW_MSG(unflatten(a, 0, {5, 2}, device), E,
                   "[unflatten] Shape (5,2) does not match axis 0 of extent 12.");
  EXPECT_THROW_MSG(unflatten(a, 0, {}, device), E, "[unflatten] The new shape must not be empty.");
  EXPECT_THROW_MSG(unflatten(a, 1, {3, 4}, device), E, "[unflatten] Invalid axis 1");
}

// ============================== squeeze / expand_dims ==============================

DEVICE_TEST(Squeeze, Values) {
  array x = reshape(iota({6}), {1, 3, 1, 2}, device);
  I v{0, 1, 2, 3, 4, 5};
  EXPECT_ARRAY_EQ(squeeze(x, device), v, Shape{3, 2});
  EXPECT_ARRAY_EQ(squeeze(x, 0, device), v, Shape{3, 1, 2});
  EXPECT_ARRAY_EQ(squeeze(x, -2, device), v, Shape{1, 3, 2});
  EXPECT_ARRAY_EQ(squeeze(x, {0, 2}, device), v, Shape{3, 2});
  EXPECT_ARRAY_EQ(squeeze(x, {2, -4}, device), v, Shape{3, 2});
  EXPECT_ARRAY_EQ(squeeze(x, std::vector<int>{}, device), v, Shape{1, 3, 1, 2});
  // 0-d and all-ones shapes.
  EXPECT_ARRAY_EQ(squeeze(array(4), device), I{4}, Shape{});
  EXPECT_ARRAY_EQ(squeeze(ones({1, 1}, int32, device), device), I{1}, Shape{});
  // A transposed (1, 3) -> (3, 1) view.
  array t = transpose(reshape(iota({3}), {1, 3}, device), device);
  EXPECT_ARRAY_EQ(squeeze(t, 1, device), I({0, 1, 2}), Shape{3});
  EXPECT_THROW_MSG(squeeze(x, 1, device), E,
                   "[squeeze] Cannot squeeze axis 1 of extent 3 (shape (1,3,1,2)).");
  EXPECT_THROW_MSG(squeeze(x, 4, device), E,
                   "[squeeze] Invalid axis 4 for array with 4 dimensions.");
  EXPECT_THROW_MSG(squeeze(x, {0, -4}, device), E, "[squeeze] Duplicate axis -4");
}

DEVICE_TEST(ExpandDims, Values) {
  array x = iota({3, 4});
  EXPECT_EQ(expand_dims(x, 0, device).shape(), (Shape{1, 3, 4}));
  EXPECT_EQ(expand_dims(x, 1, device).shape(), (Shape{3, 1, 4}));
  EXPECT_EQ(expand_dims(x, 2, device).shape(), (Shape{3, 4, 1}));
  EXPECT_EQ(expand_dims(x, -1, device).shape(), (Shape{3, 4, 1}));
  EXPECT_EQ(expand_dims(x, -3, device).shape(), (Shape{1, 3, 4}));
  // Several axes index the output.
  EXPECT_EQ(expand_dims(x, {0, 2}, device).shape(), (Shape{1, 3, 1, 4}));
  EXPECT_EQ(expand_dims(x, {2, 0}, device).shape(), (Shape{1, 3, 1, 4}));
  EXPECT_EQ(expand_dims(x, {1, 3}, device).shape(), (Shape{3, 1, 4, 1}));
  EXPECT_EQ(expand_dims(x, {0, -1}, device).shape(), (Shape{1, 3, 4, 1}));
  EXPECT_EQ(expand_dims(x, {-1, -2}, device).shape(), (Shape{3, 4, 1, 1}));
  EXPECT_EQ(values(expand_dims(x, {0, 2}, device)), values(x));
  EXPECT_ARRAY_EQ(expand_dims(array(2.0f), 0, device), std::vector<float>{2}, Shape{1});
  EXPECT_ARRAY_EQ(expand_dims(array(2.0f), {0, 1}, device), std::vector<float>{2}, Shape{1, 1});
  // Transposed input keeps its logical order.
  EXPECT_ARRAY_EQ(expand_dims(transpose(iota({2, 2}), device), 1, device), I({0, 2, 1, 3}),
                  Shape{2, 1, 2});
  EXPECT_THROW_MSG(expand_dims(x, 3, device), E,
                   "[expand_dims] Invalid axis 3 for array with 3 dimensions.");
  EXPECT_THROW_MSG(expand_dims(x, {0, 4}, device), E, "[expand_dims] Invalid axis 4");
  EXPECT_THROW_MSG(expand_dims(x, {1, 1}, device), E, "[expand_dims] Duplicate axis 1");
  EXPECT_THROW_MSG(expand_dims(x, {0, -4}, device), E, "[expand_dims] Duplicate axis -4");
}

// ============================== swapaxes / moveaxis ==============================

DEVICE_TEST(SwapMoveAxes, Values) {
  array a = iota({2, 3, 4});  // a[i, j, k] = 12 i + 4 j + k
  // swapaxes(0, 2): s[k, j, i] = a[i, j, k].
  I s02;
  for (int k = 0; k < 4; ++k)
    for (int j = 0; j < 3; ++j)
      for (int i = 0; i < 2; ++i)
        s02.push_back(12 * i + 4 * j + k);
  EXPECT_ARRAY_EQ(swapaxes(a, 0, 2, device), s02, Shape{4, 3, 2});
  EXPECT_ARRAY_EQ(swapaxes(a, -1, 0, device), s02, Shape{4, 3, 2});
  I s12;
  for (int i = 0; i < 2; ++i)
    for (int k = 0; k < 4; ++k)
      for (int j = 0; j < 3; ++j)
        s12.push_back(12 * i + 4 * j + k);
  EXPECT_ARRAY_EQ(swapaxes(a, -1, -2, device), s12, Shape{2, 4, 3});
  EXPECT_EQ(values(swapaxes(a, 1, 1, device)), values(a));
  // moveaxis(0, -1): m[j, k, i] = a[i, j, k].
  I m0;
  for (int j = 0; j < 3; ++j)
    for (int k = 0; k < 4; ++k)
      for (int i = 0; i < 2; ++i)
        m0.push_back(12 * i + 4 * j + k);
  EXPECT_ARRAY_EQ(moveaxis(a, 0, -1, device), m0, Shape{3, 4, 2});
  // moveaxis(2, 0): m[k, i, j] = a[i, j, k].
  I m2;
  for (int k = 0; k < 4; ++k)
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 3; ++j)
        m2.push_back(12 * i + 4 * j + k);
  EXPECT_ARRAY_EQ(moveaxis(a, 2, 0, device), m2, Shape{4, 2, 3});
  EXPECT_ARRAY_EQ(moveaxis(a, -1, -3, device), m2, Shape{4, 2, 3});
  EXPECT_EQ(moveaxis(a, 1, 1, device).shape(), (Shape{2, 3, 4}));
  // On a transposed input: swapping back gives the original.
  EXPECT_EQ(values(swapaxes(swapaxes(a, 0, 2, device), 0, 2, device)), values(a));
  EXPECT_EQ(values(moveaxis(moveaxis(a, 0, 2, device), 2, 0, device)), values(a));
  EXPECT_THROW_MSG(swapaxes(a, 0, 3, device), E,
                   "[swapaxes] Invalid axis 3 for array with 3 dimensions.");
  EXPECT_THROW_MSG(moveaxis(a, -4, 0, device), E, "[moveaxis] Invalid axis -4");
  EXPECT_THROW_MSG(moveaxis(a, 0, 3, device), E, "[moveaxis] Invalid axis 3");
}

// ============================== broadcast_arrays / atleast ==============================

DEVICE_TEST(BroadcastArraysShapeOps, NonContiguousInputs) {
  array col = transpose(array({1, 2, 3}, {1, 3}), device);          // (3, 1)
  array row = slice(array({10, 0, 20, 0}), {0}, {4}, {2}, device);  // [10, 20]
  auto out = broadcast_arrays({col, row, array(100)}, device);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_ARRAY_EQ(out[0], I({1, 1, 2, 2, 3, 3}), Shape{3, 2});
  EXPECT_ARRAY_EQ(out[1], I({10, 20, 10, 20, 10, 20}), Shape{3, 2});
  EXPECT_ARRAY_EQ(out[2], I(6, 100), Shape{3, 2});
  EXPECT_THROW_MSG(broadcast_arrays({col, row, array({1, 2, 3})}, device), E,
                   "[broadcast_arrays] Shapes (3,1), (2,), (3,) cannot be broadcast together.");
}

DEVICE_TEST(AtLeast, Shapes) {
  array s = array(5);
  array v = array({1, 2, 3});
  array m = iota({2, 3});
  array c = iota({2, 1, 2});
  EXPECT_ARRAY_EQ(atleast_1d(s, device), I{5}, Shape{1});
  EXPECT_ARRAY_EQ(atleast_2d(s, device), I{5}, Shape{1, 1});
  EXPECT_ARRAY_EQ(atleast_3d(s, device), I{5}, Shape{1, 1, 1});
  EXPECT_ARRAY_EQ(atleast_1d(v, device), I({1, 2, 3}), Shape{3});
  EXPECT_ARRAY_EQ(atleast_2d(v, device), I({1, 2, 3}), Shape{1, 3});
  EXPECT_ARRAY_EQ(atleast_3d(v, device), I({1, 2, 3}), Shape{1, 3, 1});
  EXPECT_EQ(atleast_1d(m, device).shape(), (Shape{2, 3}));
  EXPECT_EQ(atleast_2d(m, device).shape(), (Shape{2, 3}));
  EXPECT_EQ(atleast_3d(m, device).shape(), (Shape{2, 3, 1}));
  EXPECT_EQ(atleast_3d(c, device).shape(), (Shape{2, 1, 2}));
  EXPECT_EQ(atleast_1d(c, device).id(), c.id());
  // Transposed 2-d input keeps its values.
  EXPECT_ARRAY_EQ(atleast_3d(transpose(m, device), device), I({0, 3, 1, 4, 2, 5}), Shape{3, 2, 1});
  auto many = atleast_2d(std::vector<array>{s, v, m}, device);
  ASSERT_EQ(many.size(), 3u);
  EXPECT_EQ(many[0].shape(), (Shape{1, 1}));
  EXPECT_EQ(many[1].shape(), (Shape{1, 3}));
  EXPECT_EQ(many[2].shape(), (Shape{2, 3}));
  EXPECT_EQ(atleast_1d(std::vector<array>{s, v}, device)[0].shape(), (Shape{1}));
  EXPECT_EQ(atleast_3d(std::vector<array>{v}, device)[0].shape(), (Shape{1, 3, 1}));
  EXPECT_EQ(atleast_2d(zeros({0}, device), device).shape(), (Shape{1, 0}));
}

// ============================== concatenate / stack / unstack ==============================

DEVICE_TEST(Concatenate, ValuesAndAxes) {
  array x = array({1, 2, 3, 4}, {2, 2});
  array y = array({5, 6}, {1, 2});
  array z = array({7, 8}, {2, 1});
  EXPECT_ARRAY_EQ(concatenate({x, y}, 0, device), I({1, 2, 3, 4, 5, 6}), Shape{3, 2}, int32);
  EXPECT_ARRAY_EQ(concatenate({x, z}, 1, device), I({1, 2, 7, 3, 4, 8}), Shape{2, 3});
  EXPECT_ARRAY_EQ(concatenate({z, x, z}, -1, device), I({7, 1, 2, 7, 8, 3, 4, 8}), Shape{2, 4});
  EXPECT_ARRAY_EQ(concatenate({y, x, y}, -2, device), I({5, 6, 1, 2, 3, 4, 5, 6}), Shape{4, 2});
  // Without an axis the inputs are flattened.
  EXPECT_ARRAY_EQ(concatenate({x, z}, device), I({1, 2, 3, 4, 7, 8}), Shape{6});
  EXPECT_ARRAY_EQ(concatenate({array(1), array({2, 3})}, device), I({1, 2, 3}), Shape{3});
  // One array: itself.
  EXPECT_ARRAY_EQ(concatenate({x}, 1, device), I({1, 2, 3, 4}), Shape{2, 2});
  // Empty pieces contribute nothing.
  array e = zeros({0, 2}, int32, device);
  EXPECT_ARRAY_EQ(concatenate({e, x, e}, 0, device), I({1, 2, 3, 4}), Shape{2, 2});
  EXPECT_ARRAY_EQ(concatenate({e, e}, 0, device), I{}, Shape{0, 2});
  EXPECT_ARRAY_EQ(concatenate({x, zeros({2, 0}, int32, device)}, 1, device), I({1, 2, 3, 4}),
                  Shape{2, 2});
  // Transposed, sliced, reversed and broadcast pieces.
  array t = transpose(x, device);                                  // [[1, 3], [2, 4]]
  array sl = slice(iota({2, 4}), {0, 1}, {2, 4}, {1, 2}, device);  // [[1, 3], [5, 7]]
  array rv = slice(x, {1, 0}, {-3, 2}, {-1, 1}, device);           // [[3, 4], [1, 2]]
  array bc = broadcast_to(array({9, 10}, {1, 2}), {2, 2}, device);
  EXPECT_ARRAY_EQ(concatenate({t, sl, rv, bc}, 0, device),
                  I({1, 3, 2, 4, 1, 3, 5, 7, 3, 4, 1, 2, 9, 10, 9, 10}), Shape{8, 2});
  EXPECT_ARRAY_EQ(concatenate({t, sl, rv, bc}, 1, device),
                  I({1, 3, 1, 3, 3, 4, 9, 10, 2, 4, 5, 7, 1, 2, 9, 10}), Shape{2, 8});
  // 3-d along the middle axis.
  array a3 = iota({2, 1, 2});
  array b3 = add(iota({2, 2, 2}), array(10), device);
  EXPECT_ARRAY_EQ(concatenate({a3, b3}, 1, device), I({0, 1, 10, 11, 12, 13, 2, 3, 14, 15, 16, 17}),
                  Shape{2, 3, 2});
}

DEVICE_TEST(Concatenate, PromotesDtypes) {
  array i = array({1, 2});
  array f = array({0.5f});
  array c = concatenate({i, f}, 0, device);
  EXPECT_ARRAY_EQ(c, std::vector<float>{1, 2, 0.5f}, Shape{3}, float32);
  EXPECT_ARRAY_EQ(concatenate({array({int8_t(-1)}), array({uint8_t(200)})}, 0, device),
                  std::vector<int16_t>{-1, 200}, Shape{2}, int16);
  EXPECT_ARRAY_EQ(concatenate({array({true}), array({7})}, 0, device), I({1, 7}), Shape{2}, int32);
  EXPECT_EQ(concatenate({make({1}, float16), make({2}, bfloat16)}, 0, device).dtype(), float32);
  EXPECT_EQ(concatenate({make({1}, float16), make({2}, float64)}, 0, device).dtype(), float64);
  EXPECT_EQ(concatenate({make({1}, int64), make({2}, uint32)}, 0, device).dtype(), int64);
  EXPECT_TRUE(tandem_test::complex_close(
      concatenate({array({complex64_t(1, 1)}), array({2.0f})}, 0, device),
      {complex64_t(1, 1), complex64_t(2, 0)}, Shape{2}));
  // An empty piece still takes part in promotion.
  EXPECT_EQ(concatenate({i, zeros({0}, float64, device)}, 0, device).dtype(), float64);
}

DEVICE_TEST(Concatenate, LargeMatchesSlices) {
  array a = reshape(astype(arange(0, 600000, device), float32, device), {2000, 300}, device);
  array b =
      transpose(reshape(astype(arange(0, 300000, device), float32, device), {150, 2000}, device),
                device);  // (2000, 150)
  array c = concatenate({a, b}, 1, device);
  EXPECT_EQ(c.shape(), (Shape{2000, 450}));
  EXPECT_TRUE(array_equal(slice(c, {0, 0}, {2000, 300}, device), a).item<bool>());
  EXPECT_TRUE(array_equal(slice(c, {0, 300}, {2000, 450}, device), b).item<bool>());
  array d = concatenate({a, a}, 0, device);
  EXPECT_TRUE(array_equal(slice(d, {2000, 0}, {4000, 300}, device), a).item<bool>());
}

DEVICE_TEST(Concatenate, Errors) {
  array x = iota({2, 2});
  EXPECT_THROW_MSG(concatenate({x, iota({2, 3})}, 0, device), E,
                   "[concatenate] All arrays must have the same shape except on axis 0; got (2,2) "
                   "and (2,3).");
  EXPECT_THROW_MSG(concatenate({x, iota({2})}, 0, device), E,
                   "[concatenate] All arrays must have the same shape except on axis 0; got (2,2) "
                   "and (2,).");
  EXPECT_THROW_MSG(concatenate({x, x}, 2, device), E,
                   "[concatenate] Invalid axis 2 for array with 2 dimensions.");
  EXPECT_THROW_MSG(concatenate({array(1), array(2)}, 0, device), E,
                   "[concatenate] Cannot concatenate 0-d arrays; use stack.");
  EXPECT_THROW_MSG(concatenate(std::vector<array>{}, 0, device), E,
                   "[concatenate] No arrays to concatenate.");
}

DEVICE_TEST(Stack, Values) {
  array a = array({1, 2});
  array b = array({3, 4});
  EXPECT_ARRAY_EQ(stack({a, b}, device), I({1, 2, 3, 4}), Shape{2, 2});
  EXPECT_ARRAY_EQ(stack({a, b}, 0, device), I({1, 2, 3, 4}), Shape{2, 2});
  EXPECT_ARRAY_EQ(stack({a, b}, 1, device), I({1, 3, 2, 4}), Shape{2, 2});
  EXPECT_ARRAY_EQ(stack({a, b, a}, -1, device), I({1, 3, 1, 2, 4, 2}), Shape{2, 3});
  EXPECT_ARRAY_EQ(stack({array(7), array(8)}, 0, device), I({7, 8}), Shape{2});
  EXPECT_ARRAY_EQ(stack({a}, 0, device), I({1, 2}), Shape{1, 2});
  // Promotion; transposed and broadcast inputs.
  EXPECT_ARRAY_EQ(stack({a, array({0.5f, 1.5f})}, 0, device), std::vector<float>{1, 2, 0.5f, 1.5f},
                  Shape{2, 2}, float32);
  array t = transpose(iota({2, 2}), device);                       // [[0, 2], [1, 3]]
  array bc = broadcast_to(array({5, 6}, {1, 2}), {2, 2}, device);  // [[5, 6], [5, 6]]
  EXPECT_ARRAY_EQ(stack({t, bc}, 1, device), I({0, 2, 5, 6, 1, 3, 5, 6}), Shape{2, 2, 2});
  EXPECT_ARRAY_EQ(stack({t, bc}, 2, device), I({0, 5, 2, 6, 1, 5, 3, 6}), Shape{2, 2, 2});
  EXPECT_EQ(stack({zeros({0, 3}, device), zeros({0, 3}, device)}, 1, device).shape(),
            (Shape{0, 2, 3}));
  EXPECT_THROW_MSG(stack({a, array({1, 2, 3})}, 0, device), E,
                   "[stack] All arrays must have the same shape; got (2,) and (3,).");
  EXPECT_THROW_MSG(stack({a, b}, 2, device), E,
                   "[stack] Invalid axis 2 for array with 2 dimensions.");
  EXPECT_THROW_MSG(stack(std::vector<array>{}, 0, device), E, "[stack] No arrays to stack.");
}

DEVICE_TEST(Unstack, Values) {
  array m = array({1, 2, 3, 4, 5, 6}, {2, 3});
  auto r = unstack(m, 0, device);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_ARRAY_EQ(r[0], I({1, 2, 3}), Shape{3});
  EXPECT_ARRAY_EQ(r[1], I({4, 5, 6}), Shape{3});
  auto c = unstack(m, -1, device);
  ASSERT_EQ(c.size(), 3u);
  EXPECT_ARRAY_EQ(c[0], I({1, 4}), Shape{2});
  EXPECT_ARRAY_EQ(c[2], I({3, 6}), Shape{2});
  // Transposed input; 1-d input gives 0-d pieces; stack inverts unstack.
  auto t = unstack(transpose(m, device), 0, device);
  ASSERT_EQ(t.size(), 3u);
  EXPECT_ARRAY_EQ(t[1], I({2, 5}), Shape{2});
  auto s = unstack(array({7, 8}), 0, device);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_ARRAY_EQ(s[1], I{8}, Shape{});
  EXPECT_EQ(values(stack(unstack(m, 1, device), 1, device)), values(m));
  EXPECT_TRUE(unstack(zeros({0, 3}, device), 0, device).empty());
  EXPECT_EQ(unstack(zeros({0, 3}, device), 1, device).size(), 3u);
  EXPECT_THROW_MSG(unstack(array(1), 0, device), E, "[unstack] Cannot unstack a 0-d array.");
  EXPECT_THROW_MSG(unstack(m, 2, device), E, "[unstack] Invalid axis 2");
}

// ============================== split ==============================

DEVICE_TEST(Split, SectionsAndIndices) {
  array a = iota({6});
  auto three = split(a, 3, device);
  ASSERT_EQ(three.size(), 3u);
  EXPECT_ARRAY_EQ(three[0], I({0, 1}), Shape{2});
  EXPECT_ARRAY_EQ(three[1], I({2, 3}), Shape{2});
  EXPECT_ARRAY_EQ(three[2], I({4, 5}), Shape{2});
  EXPECT_EQ(split(a, 1, 0, device).size(), 1u);
  EXPECT_EQ(split(a, 6, 0, device)[5].shape(), Shape{1});
  // Indices: pieces a[:2], a[2:5], a[5:].
  auto p = split(a, Shape{2, 5}, device);
  ASSERT_EQ(p.size(), 3u);
  EXPECT_ARRAY_EQ(p[0], I({0, 1}), Shape{2});
  EXPECT_ARRAY_EQ(p[1], I({2, 3, 4}), Shape{3});
  EXPECT_ARRAY_EQ(p[2], I({5}), Shape{1});
  // Negative, out-of-range, boundary and decreasing indices follow Python slicing (NumPy, MLX).
  auto n = split(a, Shape{-2}, device);
  EXPECT_ARRAY_EQ(n[0], I({0, 1, 2, 3}), Shape{4});
  EXPECT_ARRAY_EQ(n[1], I({4, 5}), Shape{2});
  auto z = split(a, Shape{0, 10}, device);
  ASSERT_EQ(z.size(), 3u);
  EXPECT_EQ(z[0].shape(), Shape{0});
  EXPECT_EQ(z[1].shape(), Shape{6});
  EXPECT_EQ(z[2].shape(), Shape{0});
  auto dec = split(a, Shape{4, 2}, device);  // a[:4], a[4:2], a[2:]
  ASSERT_EQ(dec.size(), 3u);
  EXPECT_ARRAY_EQ(dec[0], I({0, 1, 2, 3}), Shape{4});
  EXPECT_ARRAY_EQ(dec[1], I{}, Shape{0});
  EXPECT_ARRAY_EQ(dec[2], I({2, 3, 4, 5}), Shape{4});
  EXPECT_EQ(split(a, Shape{}, device).size(), 1u);
  // Along an axis of a matrix, and of a transposed one.
  array m = iota({2, 4});  // [[0, 1, 2, 3], [4, 5, 6, 7]]
  auto cols = split(m, 2, 1, device);
  EXPECT_ARRAY_EQ(cols[0], I({0, 1, 4, 5}), Shape{2, 2});
  EXPECT_ARRAY_EQ(cols[1], I({2, 3, 6, 7}), Shape{2, 2});
  auto rows = split(m, Shape{1}, -2, device);
  EXPECT_ARRAY_EQ(rows[1], I({4, 5, 6, 7}), Shape{1, 4});
  auto tcols = split(transpose(m, device), Shape{1, 3}, 0, device);  // rows of m^T
  ASSERT_EQ(tcols.size(), 3u);
  EXPECT_ARRAY_EQ(tcols[1], I({1, 5, 2, 6}), Shape{2, 2});
  EXPECT_ARRAY_EQ(tcols[2], I({3, 7}), Shape{1, 2});
}

DEVICE_TEST(Split, Errors) {
  EXPECT_THROW_MSG(split(iota({5}), 2, device), E,
                   "[split] Axis 0 of extent 5 cannot be split into 2 equal parts.");
  EXPECT_THROW_MSG(split(iota({2, 3}), 2, 1, device), E,
                   "[split] Axis 1 of extent 3 cannot be split into 2 equal parts.");
  EXPECT_THROW_MSG(split(iota({4}), 0, device), E, "[split] num_splits must be positive; got 0.");
  EXPECT_THROW_MSG(split(iota({4}), 2, 1, device), E, "[split] Invalid axis 1");
  EXPECT_THROW_MSG(split(iota({4}), Shape{1}, -2, device), E, "[split] Invalid axis -2");
  EXPECT_THROW_MSG(split(array(1), 1, device), E, "[split] Invalid axis 0");
}

// ============================== pad ==============================

DEVICE_TEST(Pad, ConstantValues) {
  array x = array({1, 2, 3, 4}, {2, 2});
  EXPECT_ARRAY_EQ(pad(x, 1, array(0), "constant", device),
                  I({0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0}), Shape{4, 4}, int32);
  // Per-axis widths and a pad value.
  EXPECT_ARRAY_EQ(pad(x, {{1, 0}, {0, 2}}, array(9), "constant", device),
                  I({9, 9, 9, 9, 1, 2, 9, 9, 3, 4, 9, 9}), Shape{3, 4});
  // One pair for every axis.
  EXPECT_ARRAY_EQ(pad(x, std::pair<int, int>{0, 1}, array(0), "constant", device),
                  I({1, 2, 0, 3, 4, 0, 0, 0, 0}), Shape{3, 3});
  // The axes form: axis 1 only, low 2, high 1.
  EXPECT_ARRAY_EQ(pad(x, {1}, {2}, {1}, array(0), "constant", device),
                  I({0, 0, 1, 2, 0, 0, 0, 3, 4, 0}), Shape{2, 5});
  EXPECT_ARRAY_EQ(pad(x, {-2}, {1}, {0}, array(5), "constant", device), I({5, 5, 1, 2, 3, 4}),
                  Shape{3, 2});
  // The pad value is cast to the input's dtype (2.7 -> 2 in int32).
  array pc = pad(x, {0}, {0}, {1}, array(2.7f), "constant", device);
  EXPECT_ARRAY_EQ(pc, I({1, 2, 3, 4, 2, 2}), Shape{3, 2}, int32);
  array f = pad(array({1.0f, 2.0f}), std::pair<int, int>{2, 1}, array(-1.5), "constant", device);
  EXPECT_ARRAY_EQ(f, std::vector<float>{-1.5f, -1.5f, 1, 2, -1.5f}, Shape{5}, float32);
  EXPECT_ARRAY_CLOSE(pad(make({1, 2}, bfloat16), 1, array(0.5f), "constant", device),
                     {0.5, 1, 2, 0.5}, Shape{4}, 0, 0);
  // Zero widths change nothing; empty inputs get the value.
  EXPECT_ARRAY_EQ(pad(x, 0, array(7), "constant", device), I({1, 2, 3, 4}), Shape{2, 2});
  EXPECT_ARRAY_EQ(pad(zeros({0, 2}, int32, device), 1, array(3), "constant", device), I(8, 3),
                  Shape{2, 4});
  // A 0-d input has no axes to pad: returned unchanged (MLX).
  EXPECT_ARRAY_EQ(pad(array(5), 2, array(0), "constant", device), I{5}, Shape{});
  // Transposed and sliced inputs.
  array t = transpose(x, device);  // [[1, 3], [2, 4]]
  EXPECT_ARRAY_EQ(pad(t, {{0, 1}, {1, 0}}, array(0), "constant", device),
                  I({0, 1, 3, 0, 2, 4, 0, 0, 0}), Shape{3, 3});
  array s = slice(iota({3, 4}), {0, 1}, {3, 4}, {2, 2}, device);  // [[1, 3], [9, 11]]
  EXPECT_ARRAY_EQ(pad(s, {{1, 0}, {0, 0}}, array(-1), "constant", device), I({-1, -1, 1, 3, 9, 11}),
                  Shape{3, 2});
}

DEVICE_TEST(Pad, EdgeMode) {
  array x = array({1, 2, 3, 4}, {2, 2});
  EXPECT_ARRAY_EQ(pad(x, 1, array(0), "edge", device),
                  I({1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}), Shape{4, 4});
  EXPECT_ARRAY_EQ(pad(x, {0}, {0}, {2}, array(0), "edge", device), I({1, 2, 3, 4, 3, 4, 3, 4}),
                  Shape{4, 2});
  EXPECT_ARRAY_EQ(pad(x, {{0, 0}, {2, 1}}, array(0), "edge", device),
                  I({1, 1, 1, 2, 2, 3, 3, 3, 4, 4}), Shape{2, 5});
  EXPECT_ARRAY_EQ(pad(array({5.0f}), std::pair<int, int>{2, 3}, array(0), "edge", device),
                  std::vector<float>(6, 5.0f), Shape{6});
  // Transposed and reversed inputs.
  array t = transpose(x, device);  // [[1, 3], [2, 4]]
  EXPECT_ARRAY_EQ(pad(t, {{1, 0}, {0, 1}}, array(0), "edge", device),
                  I({1, 3, 3, 1, 3, 3, 2, 4, 4}), Shape{3, 3});
  array r = slice(array({1, 2, 3}), {-1}, {-4}, {-1}, device);  // [3, 2, 1]
  EXPECT_ARRAY_EQ(pad(r, std::pair<int, int>{1, 2}, array(0), "edge", device),
                  I({3, 3, 2, 1, 1, 1}), Shape{6});
}

DEVICE_TEST(Pad, Errors) {
  array x = iota({2, 2});
  EXPECT_THROW_MSG(pad(x, -1, array(0), "constant", device), E,
                   "[pad] Pad sizes must be non-negative; got (-1, -1) for axis 0.");
  EXPECT_THROW_MSG(pad(x, 1, array(0), "reflect", device), E,
                   "[pad] mode must be 'constant' or 'edge'; got 'reflect'.");
  EXPECT_THROW_MSG(pad(x, 1, array({1, 2}), "constant", device), E,
                   "[pad] pad_value must be a scalar.");
  EXPECT_THROW_MSG(pad(x, {{1, 1}, {1, 1}, {1, 1}}, array(0), "constant", device), E,
                   "[pad] pad_width must have one pair or one per axis (2); got 3.");
  EXPECT_THROW_MSG(pad(x, {0}, {1, 2}, {1}, array(0), "constant", device), E,
                   "[pad] axes, low and high pad sizes must have the same length; got 1, 2 and 1.");
  EXPECT_THROW_MSG(pad(x, {2}, {1}, {1}, array(0), "constant", device), E,
                   "[pad] Invalid axis 2 for array with 2 dimensions.");
  EXPECT_THROW_MSG(pad(x, {0, 0}, {1, 1}, {1, 1}, array(0), "constant", device), E,
                   "[pad] Duplicate axis 0");
  EXPECT_THROW_MSG(pad(zeros({0, 2}, device), 1, array(0), "edge", device), E,
                   "[pad] Cannot edge-pad an empty axis.");
}

// ============================== tile / repeat ==============================

DEVICE_TEST(Tile, Values) {
  array a = array({1, 2});
  EXPECT_ARRAY_EQ(tile(a, {3}, device), I({1, 2, 1, 2, 1, 2}), Shape{6});
  EXPECT_ARRAY_EQ(tile(a, {2, 2}, device), I({1, 2, 1, 2, 1, 2, 1, 2}), Shape{2, 4});
  array m = array({1, 2, 3, 4}, {2, 2});
  EXPECT_ARRAY_EQ(tile(m, {2, 1}, device), I({1, 2, 3, 4, 1, 2, 3, 4}), Shape{4, 2});
  EXPECT_ARRAY_EQ(tile(m, {1, 2}, device), I({1, 2, 1, 2, 3, 4, 3, 4}), Shape{2, 4});
  // Fewer reps than axes: leading ones are implied.
  EXPECT_ARRAY_EQ(tile(m, {2}, device), I({1, 2, 1, 2, 3, 4, 3, 4}), Shape{2, 4});
  EXPECT_ARRAY_EQ(tile(m, {1}, device), I({1, 2, 3, 4}), Shape{2, 2});
  EXPECT_EQ(tile(m, {2, 1, 3}, device).shape(), (Shape{2, 2, 6}));
  EXPECT_EQ(tile(m, {0, 1}, device).shape(), (Shape{0, 2}));
  EXPECT_ARRAY_EQ(tile(array(5), {3}, device), I({5, 5, 5}), Shape{3});
  EXPECT_ARRAY_EQ(tile(array(5), std::vector<int>{}, device), I{5}, Shape{});
  // Transposed input.
  EXPECT_ARRAY_EQ(tile(transpose(m, device), {1, 2}, device), I({1, 3, 1, 3, 2, 4, 2, 4}),
                  Shape{2, 4});
  EXPECT_THROW_MSG(tile(m, {1, -1}, device), E, "[tile] Repetitions must be non-negative; got -1.");
}

DEVICE_TEST(Repeat, Values) {
  array a = array({1, 2, 3, 4}, {2, 2});
  EXPECT_ARRAY_EQ(repeat(a, 2, 0, device), I({1, 2, 1, 2, 3, 4, 3, 4}), Shape{4, 2});
  EXPECT_ARRAY_EQ(repeat(a, 2, 1, device), I({1, 1, 2, 2, 3, 3, 4, 4}), Shape{2, 4});
  EXPECT_ARRAY_EQ(repeat(a, 2, -1, device), I({1, 1, 2, 2, 3, 3, 4, 4}), Shape{2, 4});
  // Without an axis the input is flattened.
  EXPECT_ARRAY_EQ(repeat(a, 3, device), I({1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4}), Shape{12});
  EXPECT_ARRAY_EQ(repeat(a, 1, 0, device), I({1, 2, 3, 4}), Shape{2, 2});
  // Zero repeats empty the axis (NumPy; MLX returns a (0,) array instead).
  EXPECT_EQ(repeat(a, 0, 1, device).shape(), (Shape{2, 0}));
  EXPECT_ARRAY_EQ(repeat(array(7), 2, device), I({7, 7}), Shape{2});
  // Transposed and broadcast inputs.
  EXPECT_ARRAY_EQ(repeat(transpose(a, device), 2, 0, device), I({1, 3, 1, 3, 2, 4, 2, 4}),
                  Shape{4, 2});
  EXPECT_ARRAY_EQ(repeat(broadcast_to(array({5, 6}, {1, 2}), {2, 2}, device), 2, 1, device),
                  I({5, 5, 6, 6, 5, 5, 6, 6}), Shape{2, 4});
  EXPECT_THROW_MSG(repeat(a, -1, 0, device), E, "[repeat] repeats must be non-negative; got -1.");
  EXPECT_THROW_MSG(repeat(a, 2, 2, device), E, "[repeat] Invalid axis 2");
}

// ============================== roll / flip ==============================

DEVICE_TEST(Roll, Values) {
  array a = iota({5});
  EXPECT_ARRAY_EQ(roll(a, 2, device), I({3, 4, 0, 1, 2}), Shape{5});
  EXPECT_ARRAY_EQ(roll(a, -1, device), I({1, 2, 3, 4, 0}), Shape{5});
  EXPECT_ARRAY_EQ(roll(a, 7, device), I({3, 4, 0, 1, 2}), Shape{5});
  EXPECT_ARRAY_EQ(roll(a, -12, device), I({2, 3, 4, 0, 1}), Shape{5});
  EXPECT_ARRAY_EQ(roll(a, 0, device), I({0, 1, 2, 3, 4}), Shape{5});
  array m = iota({2, 3});  // [[0, 1, 2], [3, 4, 5]]
  // No axis: the flattened array rolls, then takes the shape back.
  EXPECT_ARRAY_EQ(roll(m, 1, device), I({5, 0, 1, 2, 3, 4}), Shape{2, 3});
  EXPECT_ARRAY_EQ(roll(m, 1, 1, device), I({2, 0, 1, 5, 3, 4}), Shape{2, 3});
  EXPECT_ARRAY_EQ(roll(m, 1, 0, device), I({3, 4, 5, 0, 1, 2}), Shape{2, 3});
  EXPECT_ARRAY_EQ(roll(m, -1, -1, device), I({1, 2, 0, 4, 5, 3}), Shape{2, 3});
  // Several axes: one shift for all, or one each.
  EXPECT_ARRAY_EQ(roll(m, 1, std::vector<int>{0, 1}, device), I({5, 3, 4, 2, 0, 1}), Shape{2, 3});
  EXPECT_ARRAY_EQ(roll(m, Shape{1, 2}, std::vector<int>{0, 1}, device), I({4, 5, 3, 1, 2, 0}),
                  Shape{2, 3});
  // A shape of shifts with one or no axis: the shifts add up (MLX).
  EXPECT_ARRAY_EQ(roll(m, Shape{1, 2}, device), I({3, 4, 5, 0, 1, 2}), Shape{2, 3});
  EXPECT_ARRAY_EQ(roll(m, Shape{1, 1}, 1, device), I({1, 2, 0, 4, 5, 3}), Shape{2, 3});
  // Transposed input: [[0, 3], [1, 4], [2, 5]].
  EXPECT_ARRAY_EQ(roll(transpose(m, device), 1, 0, device), I({2, 5, 0, 3, 1, 4}), Shape{3, 2});
  EXPECT_ARRAY_EQ(roll(transpose(m, device), 1, device), I({5, 0, 3, 1, 4, 2}), Shape{3, 2});
  EXPECT_ARRAY_EQ(roll(zeros({0, 2}, int32, device), 1, 0, device), I{}, Shape{0, 2});
  EXPECT_ARRAY_EQ(roll(array(3), 2, device), I{3}, Shape{});
  EXPECT_THROW_MSG(roll(m, Shape{1, 2}, std::vector<int>{0}, device), E,
                   "[roll] shift and axes must have the same length; got 2 and 1.");
  EXPECT_THROW_MSG(roll(m, 1, 2, device), E, "[roll] Invalid axis 2 for array with 2 dimensions.");
}

DEVICE_TEST(Flip, Values) {
  array m = iota({2, 3});  // [[0, 1, 2], [3, 4, 5]]
  EXPECT_ARRAY_EQ(flip(m, device), I({5, 4, 3, 2, 1, 0}), Shape{2, 3});
  EXPECT_ARRAY_EQ(flip(m, 0, device), I({3, 4, 5, 0, 1, 2}), Shape{2, 3});
  EXPECT_ARRAY_EQ(flip(m, -1, device), I({2, 1, 0, 5, 4, 3}), Shape{2, 3});
  EXPECT_ARRAY_EQ(flip(m, std::vector<int>{0, 1}, device), I({5, 4, 3, 2, 1, 0}), Shape{2, 3});
  EXPECT_ARRAY_EQ(flip(m, std::vector<int>{}, device), I({0, 1, 2, 3, 4, 5}), Shape{2, 3});
  EXPECT_ARRAY_EQ(flip(flip(m, 1, device), 1, device), I({0, 1, 2, 3, 4, 5}), Shape{2, 3});
  EXPECT_ARRAY_EQ(flip(transpose(m, device), 0, device), I({2, 5, 1, 4, 0, 3}), Shape{3, 2});
  EXPECT_ARRAY_EQ(flip(slice(iota({6}), {0}, {6}, {2}, device), device), I({4, 2, 0}), Shape{3});
  EXPECT_ARRAY_EQ(flip(array(4), device), I{4}, Shape{});
  EXPECT_ARRAY_EQ(flip(zeros({0, 2}, int32, device), 0, device), I{}, Shape{0, 2});
  EXPECT_THROW_MSG(flip(m, 2, device), E, "[flip] Invalid axis 2 for array with 2 dimensions.");
  EXPECT_THROW_MSG(flip(m, std::vector<int>{1, -1}, device), E, "[flip] Duplicate axis -1");
}

// ============================== diagonal / diag / trace ==============================

DEVICE_TEST(Diagonal, Values) {
  array m = iota({3, 4});  // [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]
  EXPECT_ARRAY_EQ(diagonal(m, 0, 0, 1, device), I({0, 5, 10}), Shape{3});
  EXPECT_ARRAY_EQ(diagonal(m, 1, 0, 1, device), I({1, 6, 11}), Shape{3});
  EXPECT_ARRAY_EQ(diagonal(m, 2, 0, 1, device), I({2, 7}), Shape{2});
  EXPECT_ARRAY_EQ(diagonal(m, -1, 0, 1, device), I({4, 9}), Shape{2});
  EXPECT_ARRAY_EQ(diagonal(m, -2, 0, 1, device), I({8}), Shape{1});
  EXPECT_ARRAY_EQ(diagonal(m, 4, 0, 1, device), I{}, Shape{0});
  EXPECT_ARRAY_EQ(diagonal(m, -3, 0, 1, device), I{}, Shape{0});
  // Swapped axes read the transpose: t[i, i + 1] = m[i + 1, i].
  EXPECT_ARRAY_EQ(diagonal(m, 0, 1, 0, device), I({0, 5, 10}), Shape{3});
  EXPECT_ARRAY_EQ(diagonal(m, 1, 1, 0, device), I({4, 9}), Shape{2});
  EXPECT_ARRAY_EQ(diagonal(m, 1, -1, -2, device), I({4, 9}), Shape{2});
  // 3-d: the remaining axes come first, the diagonal last.
  array b = iota({2, 3, 4});  // b[i, j, k] = 12 i + 4 j + k
  EXPECT_ARRAY_EQ(diagonal(b, 0, 1, 2, device), I({0, 5, 10, 12, 17, 22}), Shape{2, 3});
  EXPECT_ARRAY_EQ(diagonal(b, 0, 0, 2, device), I({0, 13, 4, 17, 8, 21}), Shape{3, 2});
  EXPECT_ARRAY_EQ(diagonal(b, 1, -1, 0, device), I({12, 16, 20}), Shape{3, 1});
  // Transposed, sliced and broadcast inputs.
  array t = transpose(m, device);  // (4, 3)
  EXPECT_ARRAY_EQ(diagonal(t, 0, 0, 1, device), I({0, 5, 10}), Shape{3});
  EXPECT_ARRAY_EQ(diagonal(t, -1, 0, 1, device), I({1, 6, 11}), Shape{3});
  array s = slice(m, {0, 1}, {3, 4}, {1, 1}, device);  // [[1, 2, 3], [5, 6, 7], [9, 10, 11]]
  EXPECT_ARRAY_EQ(diagonal(s, 0, 0, 1, device), I({1, 6, 11}), Shape{3});
  array r = slice(m, {2, 3}, {-4, -5}, {-1, -1}, device);  // m reversed on both axes
  EXPECT_ARRAY_EQ(diagonal(r, 0, 0, 1, device), I({11, 6, 1}), Shape{3});
  array bc = broadcast_to(array({1, 2, 3}, {1, 3}), {3, 3}, device);
  EXPECT_ARRAY_EQ(diagonal(bc, 0, 0, 1, device), I({1, 2, 3}), Shape{3});
  EXPECT_EQ(diagonal(m, 0, 0, 1, device).dtype(), int32);
  EXPECT_EQ(diagonal(astype(m, bfloat16, device), 1, 0, 1, device).dtype(), bfloat16);
  EXPECT_THROW_MSG(diagonal(array({1, 2, 3}), 0, 0, 1, device), E,
                   "[diagonal] Requires at least 2 dimensions; got shape (3,).");
  EXPECT_THROW_MSG(diagonal(m, 0, 1, -1, device), E,
                   "[diagonal] axis1 and axis2 must differ; both are 1.");
  EXPECT_THROW_MSG(diagonal(m, 0, 0, 2, device), E, "[diagonal] Invalid axis 2");
}

DEVICE_TEST(Diag, Values) {
  array v = array({1.0f, 2.0f, 3.0f});
  EXPECT_ARRAY_EQ(diag(v, 0, device), std::vector<float>{1, 0, 0, 0, 2, 0, 0, 0, 3}, Shape{3, 3},
                  float32);
  EXPECT_ARRAY_EQ(diag(v, 1, device),
                  std::vector<float>{0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 3, 0, 0, 0, 0}, Shape{4, 4});
  EXPECT_ARRAY_EQ(diag(v, -1, device),
                  std::vector<float>{0, 0, 0, 0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 3, 0}, Shape{4, 4});
  // Sliced / reversed 1-d inputs.
  array s = slice(iota({6}), {0}, {6}, {2}, device);  // [0, 2, 4]
  EXPECT_ARRAY_EQ(diag(s, 0, device), I({0, 0, 0, 0, 2, 0, 0, 0, 4}), Shape{3, 3}, int32);
  array r = slice(array({7, 8}), {-1}, {-3}, {-1}, device);  // [8, 7]
  EXPECT_ARRAY_EQ(diag(r, -1, device), I({0, 0, 0, 8, 0, 0, 0, 7, 0}), Shape{3, 3});
  // 2-d: the diagonal k.
  array m = iota({3, 4});
  EXPECT_ARRAY_EQ(diag(m, 0, device), I({0, 5, 10}), Shape{3});
  EXPECT_ARRAY_EQ(diag(m, 1, device), I({1, 6, 11}), Shape{3});
  EXPECT_ARRAY_EQ(diag(m, -1, device), I({4, 9}), Shape{2});
  EXPECT_ARRAY_EQ(diag(transpose(m, device), 1, device), I({4, 9}), Shape{2});
  // diag(diag(v)) == v.
  EXPECT_EQ(values(diag(diag(v, 2, device), 2, device)), (D{1, 2, 3}));
  EXPECT_EQ(diag(array({true, true}), 0, device).dtype(), bool_);
  EXPECT_THROW_MSG(diag(iota({2, 3, 4}), 0, device), E,
                   "[diag] Input must be 1-d or 2-d; got shape (2,3,4).");
  EXPECT_THROW_MSG(diag(array(1), 0, device), E, "[diag] Input must be 1-d or 2-d; got shape ().");
}

DEVICE_TEST(Trace, Values) {
  array m = iota({3, 4});
  EXPECT_ARRAY_EQ(trace(m, device), I{15}, Shape{}, int32);
  EXPECT_ARRAY_EQ(trace(m, 1, 0, 1, device), I{18}, Shape{});
  EXPECT_ARRAY_EQ(trace(m, -1, 0, 1, device), I{13}, Shape{});
  EXPECT_ARRAY_EQ(trace(m, 5, 0, 1, device), I{0}, Shape{});
  EXPECT_ARRAY_EQ(trace(m, 1, 1, 0, device), I{13}, Shape{});
  array b = iota({2, 3, 4});
  EXPECT_ARRAY_EQ(trace(b, 0, 1, 2, device), I({15, 51}), Shape{2});
  EXPECT_ARRAY_EQ(trace(b, 0, 0, 2, device), I({13, 21, 29}), Shape{3});
  // The dtype argument converts before summing; small integers sum as int32 (MLX).
  EXPECT_ARRAY_EQ(trace(m, 0, 0, 1, float32, device), std::vector<float>{15}, Shape{}, float32);
  EXPECT_ARRAY_EQ(trace(astype(m, int8, device), device), I{15}, Shape{}, int32);
  EXPECT_ARRAY_EQ(trace(identity(4, bool_, device), device), I{4}, Shape{}, int32);
  EXPECT_ARRAY_CLOSE(trace(make({0.5, 1, 2, 0.25}, {2, 2}, float64), device), {0.75}, Shape{});
  // Transposed and broadcast inputs.
  EXPECT_ARRAY_EQ(trace(transpose(m, device), device), I{15}, Shape{});
  EXPECT_ARRAY_EQ(trace(transpose(m, device), 1, 0, 1, device), I{13}, Shape{});
  EXPECT_ARRAY_EQ(trace(broadcast_to(array({1, 2, 3}, {1, 3}), {3, 3}, device), device), I{6},
                  Shape{});
  EXPECT_THROW_MSG(trace(array({1, 2}), device), E,
                   "[trace] Requires at least 2 dimensions; got shape (2,).");
  EXPECT_THROW_MSG(trace(m, 0, 0, 0, device), E,
                   "[trace] axis1 and axis2 must differ; both are 0.");
  EXPECT_THROW_MSG(trace(m, 0, 0, 2, device), E, "[trace] Invalid axis 2");
}

// ============================== every layout gives the same values ==============================

DEVICE_TEST(ShapeOps, LayoutIndependent) {
  const Shape shape{3, 4, 5};
  std::vector<double> v(60);
  for (int i = 0; i < 60; ++i)
    v[i] = i * 1.5 - 20;
  using F = std::function<array(const array&)>;
  std::vector<std::pair<std::string, F>> ops{
      {"flatten", [&](const array& x) { return flatten(x, 1, 2, device); }},
      {"unflatten",
       [&](const array& x) {
         return unflatten(x, 1, {2, 2}, device);
       }},
      {"expand_squeeze",
       [&](const array& x) {
         return squeeze(expand_dims(x, {0, 3}, device), 3, device);
       }},
      {"swapaxes", [&](const array& x) { return swapaxes(x, 0, 2, device); }},
      {"moveaxis", [&](const array& x) { return moveaxis(x, 2, 0, device); }},
      {"concatenate",
       [&](const array& x) {
         return concatenate({x, x}, 1, device);
       }},
      {"stack",
       [&](const array& x) {
         return stack({x, x}, 2, device);
       }},
      {"split",
       [&](const array& x) {
         return split(x, Shape{1, 3}, 2, device)[1];
       }},
      {"pad",
       [&](const array& x) {
         return pad(x, {{0, 1}, {2, 0}, {1, 1}}, array(7.0), "constant", device);
       }},
      {"pad_edge",
       [&](const array& x) {
         return pad(x, {1, 2}, {1, 0}, {2, 1}, array(0.0), "edge", device);
       }},
      {"tile",
       [&](const array& x) {
         return tile(x, {2, 1, 2}, device);
       }},
      {"repeat", [&](const array& x) { return repeat(x, 2, 1, device); }},
      {"roll",
       [&](const array& x) {
         return roll(x, Shape{1, -2}, std::vector<int>{0, 2}, device);
       }},
      {"roll_flat", [&](const array& x) { return roll(x, 7, device); }},
      {"flip",
       [&](const array& x) {
         return flip(x, std::vector<int>{0, 2}, device);
       }},
      {"diagonal", [&](const array& x) { return diagonal(x, 1, 2, 1, device); }},
      {"trace", [&](const array& x) { return trace(x, -1, 0, 2, device); }},
      {"tril", [&](const array& x) { return tril(x, 1, device); }},
      {"triu", [&](const array& x) { return triu(x, -1, device); }},
      {"unstack", [&](const array& x) { return unstack(x, 1, device)[2]; }},
  };
  for (auto& [name, fn] : ops) {
    array ref = fn(array(v, shape, float64));
    for (tx::Layout l : tx::all_layouts()) {
      SCOPED_TRACE(name + " " + tx::layout_name(l));
      array got = fn(tx::with_layout(v, shape, l));
      EXPECT_EQ(got.shape(), ref.shape());
      EXPECT_EQ(values(got), values(ref));
    }
  }
}
