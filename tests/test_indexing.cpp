// Copyright © 2026 Tandem authors.
// Indexing ops (src/ops/indexing.cpp): take, take_along_axis, put_along_axis, gather, scatter*,
// slice_update*, masked_scatter. Values, the out-of-range rules of ops.h (gathers clamp, scatters
// drop), non-contiguous and broadcast inputs, every dtype, error messages, and the vjp / jvp /
// vmap rules (src/primitives/rules_indexing.cpp) against finite differences and loops.
#include <numeric>

#include "harness.h"
#include "transforms_check.h"

using namespace tandem;
using tandem_test::make;
using tandem_test::values;

namespace {

// 0, 1, ..., n-1 as int32 of `shape` (default (n,)).
array iota(int n, Shape shape = {}) {
  std::vector<int> v(n);
  std::iota(v.begin(), v.end(), 0);
  if (shape.empty()) shape = {n};
  return array(v, shape);
}

// An int32 index array.
array idx(const std::vector<int>& v, Shape shape = {}) {
  if (shape.empty()) shape = {static_cast<int>(v.size())};
  return array(v, shape);
}

array f32(const std::vector<float>& v, Shape shape = {}) {
  if (shape.empty()) shape = {static_cast<int>(v.size())};
  return array(v, shape);
}

std::vector<double> iota_d(int n) {
  std::vector<double> v(n);
  std::iota(v.begin(), v.end(), 0.0);
  return v;
}

size_t numel(const Shape& s) {
  size_t n = 1;
  for (auto d : s)
    n *= d;
  return n;
}

// Reference take along `axis` of the row-major values `a` of shape `as`: negative indices wrap
// once, then out-of-range indices clamp. Output order: a.shape[:axis] + indices + a.shape[axis+1:].
std::vector<double> ref_take(const std::vector<double>& a, const Shape& as, int axis,
                             const std::vector<int>& ind) {
  size_t pre = 1, post = 1;
  for (int d = 0; d < axis; ++d)
    pre *= as[d];
  for (size_t d = axis + 1; d < as.size(); ++d)
    post *= as[d];
  int n = as[axis];
  std::vector<double> out;
  for (size_t p = 0; p < pre; ++p) {
    for (int j : ind) {
      int c = j < 0 ? j + n : j;
      c = std::clamp(c, 0, n - 1);
      for (size_t q = 0; q < post; ++q)
        out.push_back(a[(p * n + c) * post + q]);
    }
  }
  return out;
}

#define EXPECT_VALUES(a, expected, shape) EXPECT_ARRAY_CLOSE(a, expected, shape, 0.0, 0.0)

}  // namespace

// ------------------------------ take ------------------------------

DEVICE_TEST(IndexingTake, Flat) {
  array a = iota(12, {3, 4});
  EXPECT_ARRAY_EQ(take(a, idx({0, 5, 11, 3}), device), std::vector<int>{0, 5, 11, 3}, Shape{4});
  // Negative indices count from the end.
  EXPECT_ARRAY_EQ(take(a, idx({-1, -12, -5}), device), std::vector<int>{11, 0, 7}, Shape{3});
  // Still out of range after wrapping: clamped.
  EXPECT_ARRAY_EQ(take(a, idx({12, 100, -13, -100}), device), std::vector<int>{11, 11, 0, 0},
                  Shape{4});
  // A 0-d index gives a 0-d result.
  EXPECT_ARRAY_EQ(take(a, 5, device), std::vector<int>{5}, Shape{});
  EXPECT_ARRAY_EQ(take(a, array(-2), device), std::vector<int>{10}, Shape{});
  // Multi-dimensional indices: the output has the indices' shape.
  EXPECT_ARRAY_EQ(take(a, idx({1, 2, 3, 9, 8, 7}, {2, 3}), device),
                  std::vector<int>{1, 2, 3, 9, 8, 7}, Shape{2, 3});
  // Index dtypes other than int32.
  EXPECT_ARRAY_EQ(take(a, make({2, 1}, int64), device), std::vector<int>{2, 1}, Shape{2});
  EXPECT_ARRAY_EQ(take(a, make({7, 0}, uint8), device), std::vector<int>{7, 0}, Shape{2});
  EXPECT_ARRAY_EQ(take(a, make({-1}, int16), device), std::vector<int>{11}, Shape{1});
  // Empty indices.
  EXPECT_ARRAY_EQ(take(a, idx({}, {0}), device), std::vector<int>{}, Shape{0});
  EXPECT_ARRAY_EQ(take(a, idx({}, {2, 0}), device), std::vector<int>{}, Shape{2, 0});
}

DEVICE_TEST(IndexingTake, AlongAxis) {
  array a = iota(24, {2, 3, 4});
  auto av = iota_d(24);
  Shape as{2, 3, 4};
  EXPECT_VALUES(take(a, idx({2, 0}), 1, device), ref_take(av, as, 1, {2, 0}), (Shape{2, 2, 4}));
  EXPECT_VALUES(take(a, idx({1}), 0, device), ref_take(av, as, 0, {1}), (Shape{1, 3, 4}));
  // Negative axis and negative indices.
  EXPECT_VALUES(take(a, idx({3, 0, -1}), -1, device), ref_take(av, as, 2, {3, 0, 3}),
                (Shape{2, 3, 3}));
  EXPECT_VALUES(take(a, idx({-3}), -2, device), ref_take(av, as, 1, {0}), (Shape{2, 1, 4}));
  // 0-d index: the axis disappears.
  EXPECT_VALUES(take(a, 1, 0, device), ref_take(av, as, 0, {1}), (Shape{3, 4}));
  EXPECT_VALUES(take(a, -1, 2, device), ref_take(av, as, 2, {3}), (Shape{2, 3}));
  EXPECT_VALUES(take(a, array(2), 1, device), ref_take(av, as, 1, {2}), (Shape{2, 4}));
  // Multi-dimensional indices replace the axis with their shape.
  std::vector<int> m{0, 1, 2, -3};
  EXPECT_VALUES(take(a, idx(m, {2, 2}), 1, device), ref_take(av, as, 1, m), (Shape{2, 2, 2, 4}));
  EXPECT_VALUES(take(a, idx({3, 2, 1, 0, 0, 1}, {3, 2}), 2, device),
                ref_take(av, as, 2, {3, 2, 1, 0, 0, 1}), (Shape{2, 3, 3, 2}));
  // Out of range: clamped.
  EXPECT_VALUES(take(a, idx({5, -7, 3}), 1, device), ref_take(av, as, 1, {2, 0, 2}),
                (Shape{2, 3, 4}));
  // Empty indices along an axis.
  EXPECT_VALUES(take(a, idx({}, {0}), 1, device), std::vector<double>{}, (Shape{2, 0, 4}));
}

DEVICE_TEST(IndexingTake, NonContiguousAndBroadcast) {
  for (Dtype t : {float32, int32, float64}) {
    for (auto& lc : tandem_test::layouts(iota_d(12), t)) {
      SCOPED_TRACE(lc.name);
      int n = static_cast<int>(lc.vals.size());
      if (n == 0) {
        EXPECT_VALUES(take(lc.input, idx({}, {0}), device), std::vector<double>{}, Shape{0});
        continue;
      }
      // Flat take reads the row-major order of the view.
      EXPECT_VALUES(take(lc.input, idx({n - 1, 0, n / 2}), device),
                    (std::vector<double>{lc.vals[n - 1], lc.vals[0], lc.vals[n / 2]}), Shape{3});
      if (lc.shape.size() == 2) {
        int rows = lc.shape[0];
        EXPECT_VALUES(take(lc.input, idx({rows - 1, 0}), 0, device),
                      ref_take(lc.vals, lc.shape, 0, {rows - 1, 0}), (Shape{2, lc.shape[1]}));
        EXPECT_VALUES(take(lc.input, idx({-1, 1}), 1, device),
                      ref_take(lc.vals, lc.shape, 1, {-1, 1}), (Shape{lc.shape[0], 2}));
      }
    }
  }
  // Non-contiguous indices: broadcast, transposed and reversed.
  array a = iota(10);
  EXPECT_ARRAY_EQ(take(a, broadcast_to(idx({4, 1}), {3, 2}), device),
                  std::vector<int>{4, 1, 4, 1, 4, 1}, Shape{3, 2});
  EXPECT_ARRAY_EQ(take(a, transpose(idx({0, 1, 2, 3, 4, 5}, {2, 3})), device),
                  std::vector<int>{0, 3, 1, 4, 2, 5}, Shape{3, 2});
  EXPECT_ARRAY_EQ(take(a, slice(idx({0, 1, 2, 3, 4}), {-1}, {-6}, {-2}), device),
                  std::vector<int>{4, 2, 0}, Shape{3});
}

// ------------------------------ take_along_axis / put_along_axis ------------------------------

DEVICE_TEST(IndexingTakeAlongAxis, Values) {
  array a = iota(6, {2, 3});  // [[0,1,2],[3,4,5]]
  EXPECT_ARRAY_EQ(take_along_axis(a, idx({2, 0, 1, 1}, {2, 2}), 1, device),
                  std::vector<int>{2, 0, 4, 4}, Shape{2, 2});
  EXPECT_ARRAY_EQ(take_along_axis(a, idx({1, 0, 1}, {1, 3}), 0, device), std::vector<int>{3, 1, 5},
                  Shape{1, 3});
  // Negative axis and indices.
  EXPECT_ARRAY_EQ(take_along_axis(a, idx({-1, -3}, {2, 1}), -1, device), std::vector<int>{2, 3},
                  Shape{2, 1});
  // Indices broadcast against the array outside the axis.
  EXPECT_ARRAY_EQ(take_along_axis(a, idx({0, 2}, {1, 2}), 1, device), std::vector<int>{0, 2, 3, 5},
                  Shape{2, 2});
  // The array broadcasts against the indices too.
  EXPECT_ARRAY_EQ(take_along_axis(iota(3, {1, 3}), idx({2, 1}, {2, 1}), 1, device),
                  std::vector<int>{2, 1}, Shape{2, 1});
  // Out of range: clamped.
  EXPECT_ARRAY_EQ(take_along_axis(a, idx({9, -9}, {2, 1}), 1, device), std::vector<int>{2, 3},
                  Shape{2, 1});
  // The argsort idiom on a 3-d array along the middle axis.
  array b = iota(12, {2, 3, 2});
  array rev = idx({2, 1, 0}, {1, 3, 1});
  // The indices broadcast against the array outside the axis: (1,3,1) -> (2,3,2).
  EXPECT_ARRAY_EQ(take_along_axis(b, rev, 1, device),
                  std::vector<int>{4, 5, 2, 3, 0, 1, 10, 11, 8, 9, 6, 7}, Shape{2, 3, 2});
  // Transposed input.
  EXPECT_ARRAY_EQ(take_along_axis(transpose(a), idx({1, 0, 0}, {3, 1}), 1, device),
                  std::vector<int>{3, 1, 2}, Shape{3, 1});
}

DEVICE_TEST(IndexingPutAlongAxis, Values) {
  array z = zeros({2, 3}, float32);
  EXPECT_ARRAY_EQ(put_along_axis(z, idx({2, 0}, {2, 1}), f32({5, 7}, {2, 1}), 1, device),
                  std::vector<float>{0, 0, 5, 7, 0, 0}, Shape{2, 3});
  // Scalar values broadcast.
  EXPECT_ARRAY_EQ(put_along_axis(z, idx({1, -1}, {2, 1}), array(9.f), 1, device),
                  std::vector<float>{0, 9, 0, 0, 0, 9}, Shape{2, 3});
  // Along axis 0.
  EXPECT_ARRAY_EQ(put_along_axis(z, idx({1, 0, 1}, {1, 3}), f32({1, 2, 3}, {1, 3}), 0, device),
                  std::vector<float>{0, 2, 0, 1, 0, 3}, Shape{2, 3});
  // The input is not modified; values are cast to its dtype.
  array a = iota(6, {2, 3});
  array r = put_along_axis(a, idx({0}, {1, 1}), f32({-4.f}, {1, 1}), 0, device);
  EXPECT_EQ(r.dtype(), int32);
  // Indices (1,1) broadcast across the columns (as in NumPy): the whole first row.
  EXPECT_ARRAY_EQ(r, std::vector<int>{-4, -4, -4, 3, 4, 5}, Shape{2, 3});
  EXPECT_ARRAY_EQ(put_along_axis(a, idx({1, 0, 1}, {1, 3}), idx({7, 8, 9}, {1, 3}), 0, device),
                  std::vector<int>{0, 8, 2, 7, 4, 9}, Shape{2, 3});
  EXPECT_ARRAY_EQ(a, std::vector<int>{0, 1, 2, 3, 4, 5}, Shape{2, 3});
  // Out of range: dropped.
  EXPECT_ARRAY_EQ(put_along_axis(z, idx({3, 1}, {2, 1}), array(1.f), 1, device),
                  std::vector<float>{0, 0, 0, 0, 1, 0}, Shape{2, 3});
}

// ------------------------------ gather ------------------------------

DEVICE_TEST(IndexingGather, Values) {
  array a = iota(12, {3, 4});
  // One element per index pair.
  EXPECT_ARRAY_EQ(gather(a, {idx({0, 2}), idx({1, 3})}, {0, 1}, {1, 1}, device),
                  std::vector<int>{1, 11}, Shape{2, 1, 1});
  // Slices larger than 1.
  EXPECT_ARRAY_EQ(gather(a, {idx({0, 1}), idx({1, 0})}, {0, 1}, {2, 2}, device),
                  std::vector<int>{1, 2, 5, 6, 4, 5, 8, 9}, Shape{2, 2, 2});
  // One axis, whole rows.
  EXPECT_ARRAY_EQ(gather(a, idx({2, 0}), 0, {1, 4}, device),
                  std::vector<int>{8, 9, 10, 11, 0, 1, 2, 3}, Shape{2, 1, 4});
  // Index arrays over one axis with a partial slice of the other.
  EXPECT_ARRAY_EQ(gather(a, idx({1}), 1, {2, 3}, device), std::vector<int>{1, 2, 3, 5, 6, 7},
                  Shape{1, 2, 3});
  // Index arrays broadcast together.
  EXPECT_ARRAY_EQ(gather(a, {idx({0, 1, 2}, {3, 1}), idx({0, 3}, {1, 2})}, {0, 1}, {1, 1}, device),
                  std::vector<int>{0, 3, 4, 7, 8, 11}, Shape{3, 2, 1, 1});
  // Axes in any order; negative indices and axes.
  EXPECT_ARRAY_EQ(gather(a, {idx({3}), idx({2})}, {1, 0}, {1, 1}, device), std::vector<int>{11},
                  Shape{1, 1, 1});
  EXPECT_ARRAY_EQ(gather(a, {idx({-1}), idx({-4})}, {-2, -1}, {1, 1}, device), std::vector<int>{8},
                  Shape{1, 1, 1});
  // Out of range: clamped so that the whole slice stays inside the axis.
  EXPECT_ARRAY_EQ(gather(a, idx({3}), 1, {3, 2}, device), std::vector<int>{2, 3, 6, 7, 10, 11},
                  Shape{1, 3, 2});
  EXPECT_ARRAY_EQ(gather(a, idx({-10, 7}), 0, {2, 1}, device), std::vector<int>{0, 4, 4, 8},
                  Shape{2, 2, 1});
  // 0-d indices and no indices at all.
  EXPECT_ARRAY_EQ(gather(a, {array(1), array(2)}, {0, 1}, {1, 2}, device), std::vector<int>{6, 7},
                  Shape{1, 2});
  EXPECT_ARRAY_EQ(gather(a, std::vector<array>{}, std::vector<int>{}, {2, 2}, device),
                  std::vector<int>{0, 1, 4, 5}, Shape{2, 2});
  // Zero slice sizes and empty indices.
  EXPECT_ARRAY_EQ(gather(a, idx({0, 1}), 0, {1, 0}, device), std::vector<int>{}, Shape{2, 1, 0});
  EXPECT_ARRAY_EQ(gather(a, idx({}, {0}), 0, {1, 4}, device), std::vector<int>{}, Shape{0, 1, 4});
  // Non-contiguous source.
  EXPECT_ARRAY_EQ(gather(transpose(a), {idx({1, 3}), idx({2, 0})}, {0, 1}, {1, 1}, device),
                  std::vector<int>{9, 3}, Shape{2, 1, 1});
  EXPECT_ARRAY_EQ(gather(broadcast_to(idx({5, 6}, {1, 2}), {4, 2}), idx({3}), 0, {2, 2}, device),
                  std::vector<int>{5, 6, 5, 6}, Shape{1, 2, 2});
}

// ------------------------------ scatter ------------------------------

DEVICE_TEST(IndexingScatter, Ops) {
  array z = zeros({5}, float32);
  EXPECT_ARRAY_EQ(scatter(z, idx({0, 2}), f32({1, 2}, {2, 1}), 0, device),
                  std::vector<float>{1, 0, 2, 0, 0}, Shape{5});
  // scatter_add: duplicate indices accumulate.
  EXPECT_ARRAY_EQ(scatter_add(z, idx({1, 1, 3, 1}), f32({1, 2, 3, 4}, {4, 1}), 0, device),
                  std::vector<float>{0, 7, 0, 3, 0}, Shape{5});
  EXPECT_ARRAY_EQ(
      scatter_prod(ones({5}, float32), idx({1, 1, 3}), f32({2, 3, 4}, {3, 1}), 0, device),
      std::vector<float>{1, 6, 1, 4, 1}, Shape{5});
  array b = f32({0, 5, 0, 0, 0});
  EXPECT_ARRAY_EQ(scatter_max(b, idx({1, 1, 2, 2}), f32({3, 7, -1, -4}, {4, 1}), 0, device),
                  std::vector<float>{0, 7, 0, 0, 0}, Shape{5});
  EXPECT_ARRAY_EQ(scatter_min(b, idx({1, 1, 2, 0}), f32({3, 7, -1, 2}, {4, 1}), 0, device),
                  std::vector<float>{0, 3, -1, 0, 0}, Shape{5});
  // The input is not modified.
  EXPECT_ARRAY_EQ(b, std::vector<float>{0, 5, 0, 0, 0}, Shape{5});
}

DEVICE_TEST(IndexingScatter, SlicesAndAxes) {
  array z = zeros({3, 4}, float32);
  // Two 2x2 windows at (0,1) and (1,2), overlapping at (1,2).
  array upd = f32({1, 2, 3, 4, 5, 6, 7, 8}, {2, 2, 2});
  std::vector<array> ij{idx({0, 1}), idx({1, 2})};
  EXPECT_ARRAY_EQ(scatter_add(z, ij, upd, {0, 1}, device),
                  std::vector<float>{0, 1, 2, 0, 0, 3, 9, 6, 0, 0, 7, 8}, Shape{3, 4});
  EXPECT_ARRAY_EQ(scatter_max(z, ij, upd, {0, 1}, device),
                  std::vector<float>{0, 1, 2, 0, 0, 3, 5, 6, 0, 0, 7, 8}, Shape{3, 4});
  // Non-overlapping windows with plain scatter.
  EXPECT_ARRAY_EQ(scatter(z, {idx({0, 1}), idx({0, 2})}, upd, {0, 1}, device),
                  std::vector<float>{1, 2, 0, 0, 3, 4, 5, 6, 0, 0, 7, 8}, Shape{3, 4});
  // Whole rows along axis 0, with duplicates.
  EXPECT_ARRAY_EQ(
      scatter_add(z, idx({2, 0, 2}), f32(std::vector<float>(12, 1.f), {3, 1, 4}), 0, device),
      std::vector<float>{1, 1, 1, 1, 0, 0, 0, 0, 2, 2, 2, 2}, Shape{3, 4});
  // Negative axis: a column.
  EXPECT_ARRAY_EQ(scatter(z, idx({1}), f32({1, 2, 3}, {1, 3, 1}), -1, device),
                  std::vector<float>{0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0}, Shape{3, 4});
  // Multi-dimensional and 0-d indices.
  EXPECT_ARRAY_EQ(scatter_add(zeros({4}, int32), idx({0, 3, 3, 0}, {2, 2}),
                              idx({1, 2, 3, 4}, {2, 2, 1}), 0, device),
                  std::vector<int>{5, 0, 0, 5}, Shape{4});
  EXPECT_ARRAY_EQ(scatter(z, {array(2), array(3)}, f32({9}, {1, 1}), {0, 1}, device),
                  std::vector<float>{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9}, Shape{3, 4});
  // Updates broadcast-free but non-contiguous (transposed).
  array ut = transpose(f32({1, 2, 3, 4}, {2, 1, 2}), {2, 1, 0});  // (2,1,2): [[1,3]],[[2,4]]
  EXPECT_ARRAY_EQ(scatter(z, idx({0, 2}), ut, 0, device),
                  std::vector<float>{1, 3, 0, 0, 0, 0, 0, 0, 2, 4, 0, 0}, Shape{3, 4});
  // Scatter into a non-contiguous (transposed, broadcast) array.
  EXPECT_ARRAY_EQ(
      scatter_add(transpose(iota(6, {2, 3})), idx({1}), idx({10, 20}, {1, 1, 2}), 0, device),
      std::vector<int>{0, 3, 11, 24, 2, 5}, Shape{3, 2});
  EXPECT_ARRAY_EQ(
      scatter(broadcast_to(idx({1, 2}), {2, 2}), idx({0}), idx({7, 8}, {1, 2, 1}), 1, device),
      std::vector<int>{7, 2, 8, 2}, Shape{2, 2});
}

DEVICE_TEST(IndexingScatter, OutOfRangeDropped) {
  array z = zeros({4}, float32);
  // 4 and 10 are past the end, -5 is before the start; -1 wraps to 3.
  array i = idx({1, 4, -1, -5, 10});
  array u = f32({1, 2, 3, 4, 5}, {5, 1});
  EXPECT_ARRAY_EQ(scatter(z, i, u, 0, device), std::vector<float>{0, 1, 0, 3}, Shape{4});
  EXPECT_ARRAY_EQ(scatter_add(z, i, u, 0, device), std::vector<float>{0, 1, 0, 3}, Shape{4});
  EXPECT_ARRAY_EQ(scatter_max(z, i, u, 0, device), std::vector<float>{0, 1, 0, 3}, Shape{4});
  // A slice that would extend past the end is dropped as a whole.
  array m = zeros({3, 4}, float32);
  EXPECT_ARRAY_EQ(scatter_add(m, idx({2, 1}), ones({2, 2, 4}, float32), 0, device),
                  std::vector<float>{0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1}, Shape{3, 4});
  // Empty indices: a copy.
  EXPECT_ARRAY_EQ(scatter(z, idx({}, {0}), zeros({0, 1}, float32), 0, device),
                  std::vector<float>{0, 0, 0, 0}, Shape{4});
}

// ------------------------------ slice_update ------------------------------

DEVICE_TEST(IndexingSliceUpdate, Static) {
  array src = zeros({3, 4}, int32);
  array u = idx({1, 2, 3, 4}, {2, 2});
  EXPECT_ARRAY_EQ(slice_update(src, u, {1, 1}, {3, 3}, device),
                  std::vector<int>{0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0}, Shape{3, 4});
  // Strides.
  EXPECT_ARRAY_EQ(slice_update(src, u, Shape{0, 0}, Shape{3, 4}, Shape{2, 2}, device),
                  std::vector<int>{1, 0, 2, 0, 0, 0, 0, 0, 3, 0, 4, 0}, Shape{3, 4});
  // Negative starts/stops count from the end.
  EXPECT_ARRAY_EQ(slice_update(src, u, {-2, -2}, {3, 4}, device),
                  std::vector<int>{0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4}, Shape{3, 4});
  // Negative strides: 1-d positions 4, 2, 0.
  EXPECT_ARRAY_EQ(
      slice_update(zeros({5}, int32), idx({1, 2, 3}), Shape{-1}, Shape{-6}, Shape{-2}, device),
      std::vector<int>{3, 0, 2, 0, 1}, Shape{5});
  // 2-d: rows 2, 1, 0 and columns 3, 1.
  EXPECT_ARRAY_EQ(slice_update(src, idx({1, 2, 3, 4, 5, 6}, {3, 2}), Shape{2, 3}, Shape{-4, 0},
                               Shape{-1, -2}, device),
                  std::vector<int>{0, 6, 0, 5, 0, 4, 0, 3, 0, 2, 0, 1}, Shape{3, 4});
  // Broadcast updates: a scalar and a row.
  EXPECT_ARRAY_EQ(slice_update(src, array(7), {0, 1}, {3, 2}, device),
                  std::vector<int>{0, 7, 0, 0, 0, 7, 0, 0, 0, 7, 0, 0}, Shape{3, 4});
  EXPECT_ARRAY_EQ(slice_update(src, idx({1, 2, 3, 4}, {1, 4}), {1, 0}, {3, 4}, device),
                  std::vector<int>{0, 0, 0, 0, 1, 2, 3, 4, 1, 2, 3, 4}, Shape{3, 4});
  // Updates are cast to the source dtype; non-contiguous source and update.
  EXPECT_ARRAY_EQ(slice_update(transpose(iota(6, {2, 3})), transpose(f32({-1, -2}, {1, 2})), {1, 0},
                               {3, 1}, device),
                  std::vector<int>{0, 3, -1, 4, -2, 5}, Shape{3, 2});
  // Empty slice: a copy.
  EXPECT_ARRAY_EQ(slice_update(src, idx({}, {0, 4}), {1, 0}, {1, 4}, device),
                  std::vector<int>(12, 0), Shape{3, 4});
}

DEVICE_TEST(IndexingSliceUpdate, Combining) {
  array src = f32({1, 2, 3, 4, 5, 6});
  array u = f32({10, -1, 2});
  Shape st{0}, sp{6}, str{2};  // positions 0, 2, 4
  EXPECT_ARRAY_EQ(slice_update_add(src, u, st, sp, str, device),
                  std::vector<float>{11, 2, 2, 4, 7, 6}, Shape{6});
  EXPECT_ARRAY_EQ(slice_update_prod(src, u, st, sp, str, device),
                  std::vector<float>{10, 2, -3, 4, 10, 6}, Shape{6});
  EXPECT_ARRAY_EQ(slice_update_max(src, u, st, sp, str, device),
                  std::vector<float>{10, 2, 3, 4, 5, 6}, Shape{6});
  EXPECT_ARRAY_EQ(slice_update_min(src, u, st, sp, str, device),
                  std::vector<float>{1, 2, -1, 4, 2, 6}, Shape{6});
  // Negative stride and a broadcast update: positions 5, 3.
  EXPECT_ARRAY_EQ(slice_update_add(src, array(100.f), Shape{5}, Shape{2}, Shape{-2}, device),
                  std::vector<float>{1, 2, 3, 104, 5, 106}, Shape{6});
  // 2-d with an integer dtype.
  EXPECT_ARRAY_EQ(slice_update_add(iota(6, {2, 3}), idx({10, 20}, {2, 1}), Shape{0, 1}, Shape{2, 2},
                                   Shape{1, 1}, device),
                  std::vector<int>{0, 11, 2, 3, 24, 5}, Shape{2, 3});
}

DEVICE_TEST(IndexingSliceUpdate, DynamicStart) {
  array src = zeros({4, 5}, int32);
  array u = idx({1, 2, 3, 4}, {2, 2});
  array r = slice_update(src, u, idx({1, 2}), {0, 1}, device);
  EXPECT_ARRAY_EQ(r, std::vector<int>{0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 3, 4, 0, 0, 0, 0, 0, 0},
                  Shape{4, 5});
  // Only some axes: the others start at 0.
  std::vector<int> e(20, 0);
  e[3] = 1, e[4] = 2, e[8] = 3, e[9] = 4;
  EXPECT_ARRAY_EQ(slice_update(src, u, idx({3}), {1}, device), e, Shape{4, 5});
  // Axes in another order, int64 start.
  std::vector<int> f(20, 0);
  f[2 * 5 + 0] = 1, f[2 * 5 + 1] = 2, f[3 * 5 + 0] = 3, f[3 * 5 + 1] = 4;
  EXPECT_ARRAY_EQ(slice_update(src, u, make({0, 2}, int64), {1, 0}, device), f, Shape{4, 5});
  // A start computed lazily.
  array start = add(idx({0, 1}), idx({1, 1}), device);
  EXPECT_ARRAY_EQ(slice_update(src, u, start, {0, 1}, device), r.to_vector<int>(), Shape{4, 5});
}

DEVICE_TEST(IndexingMaskedScatter, Values) {
  array z = zeros({2, 3}, float32);
  array mask = array({true, false, true, false, true, false}, {2, 3});
  EXPECT_ARRAY_EQ(masked_scatter(z, mask, f32({1, 2, 3, 4, 5}), device),
                  std::vector<float>{1, 0, 2, 0, 3, 0}, Shape{2, 3});
  // The mask broadcasts; src is read in row-major order whatever its shape.
  EXPECT_ARRAY_EQ(masked_scatter(z, array({true, false, true}), f32({1, 2, 3, 4}, {2, 2}), device),
                  std::vector<float>{1, 0, 2, 3, 0, 4}, Shape{2, 3});
  // All false: a copy; all true: src.
  array a = iota(4);
  EXPECT_ARRAY_EQ(masked_scatter(a, array(false), idx({9}), device), std::vector<int>{0, 1, 2, 3},
                  Shape{4});
  EXPECT_ARRAY_EQ(masked_scatter(a, array(true), idx({9, 8, 7, 6}), device),
                  std::vector<int>{9, 8, 7, 6}, Shape{4});
  // Non-contiguous array and src.
  EXPECT_ARRAY_EQ(masked_scatter(transpose(iota(6, {2, 3})), array({false, true}),
                                 slice(idx({10, 20, 30, 40, 50, 60}), {-1}, {-7}, {-2}), device),
                  std::vector<int>{0, 60, 1, 40, 2, 20}, Shape{3, 2});
}

// ------------------------------ dtypes ------------------------------

DEVICE_TEST(IndexingDtypes, AllFamilies) {
  for (Dtype t : tandem_test::all_dtypes()) {
    SCOPED_TRACE(tandem::dtype_name(t));
    bool b = t == bool_;
    std::vector<double> v = b ? std::vector<double>{1, 0, 1, 0} : std::vector<double>{4, 1, 3, 2};
    array a = make(v, {2, 2}, t);
    array r = take(a, idx({3, 0, 2}), device);
    EXPECT_EQ(r.dtype(), t);
    EXPECT_VALUES(r, (std::vector<double>{v[3], v[0], v[2]}), Shape{3});
    EXPECT_VALUES(take(a, idx({1}), 1, device), (std::vector<double>{v[1], v[3]}), (Shape{2, 1}));
    EXPECT_VALUES(take_along_axis(a, idx({1, 0}, {2, 1}), 1, device),
                  (std::vector<double>{v[1], v[2]}), (Shape{2, 1}));
    EXPECT_VALUES(gather(a, idx({1}), 0, {1, 2}, device), (std::vector<double>{v[2], v[3]}),
                  (Shape{1, 1, 2}));
    array one = make({1}, {1, 1, 1}, t);
    EXPECT_VALUES(scatter(a, idx({1}), one, 1, device), (std::vector<double>{v[0], 1, v[2], v[3]}),
                  (Shape{2, 2}));
    EXPECT_VALUES(slice_update(a, make({1}, t), {1, 1}, {2, 2}, device),
                  (std::vector<double>{v[0], v[1], v[2], 1}), (Shape{2, 2}));
    EXPECT_VALUES(
        masked_scatter(a, array({false, true, false, false}, {2, 2}), make({1}, t), device),
        (std::vector<double>{v[0], 1, v[2], v[3]}), (Shape{2, 2}));
    array two = make({1, 1}, {2, 1, 1}, t);
    if (b) {
      // Sum on bool is logical or, product is logical and.
      EXPECT_VALUES(scatter_add(a, idx({1, 1}), two, 1, device), (std::vector<double>{1, 1, 1, 0}),
                    (Shape{2, 2}));
      EXPECT_VALUES(scatter_prod(a, idx({0}), make({0, 0}, {1, 2, 1}, t), 1, device),
                    (std::vector<double>{0, 0, 0, 0}), (Shape{2, 2}));
      continue;
    }
    // Duplicates accumulate: a[0,1] += 1 + 1.
    EXPECT_VALUES(scatter_add(a, idx({1, 1}), two, 1, device),
                  (std::vector<double>{v[0], v[1] + 2, v[2], v[3]}), (Shape{2, 2}));
    EXPECT_VALUES(scatter_prod(a, idx({0}), make({2, 2}, {1, 2, 1}, t), 1, device),
                  (std::vector<double>{2 * v[0], v[1], 2 * v[2], v[3]}), (Shape{2, 2}));
    EXPECT_VALUES(slice_update_add(a, make({1}, t), {0, 0}, {2, 2}, {1, 1}, device),
                  (std::vector<double>{v[0] + 1, v[1] + 1, v[2] + 1, v[3] + 1}), (Shape{2, 2}));
    if (t == complex64) continue;  // max/min of complex: lexicographic, not tested here
    array mm = make({3, 3, 3, 3}, {2, 1, 2}, t);
    EXPECT_VALUES(scatter_max(a, idx({0, 1}), mm, 0, device), (std::vector<double>{4, 3, 3, 3}),
                  (Shape{2, 2}));
    EXPECT_VALUES(scatter_min(a, idx({0, 1}), mm, 0, device), (std::vector<double>{3, 1, 3, 2}),
                  (Shape{2, 2}));
    EXPECT_VALUES(slice_update_max(a, make({3}, t), {0, 0}, {2, 2}, {1, 1}, device),
                  (std::vector<double>{4, 3, 3, 3}), (Shape{2, 2}));
    EXPECT_VALUES(slice_update_min(a, make({3}, t), {0, 0}, {2, 2}, {1, 1}, device),
                  (std::vector<double>{3, 1, 3, 2}), (Shape{2, 2}));
  }
}

// ------------------------------ errors ------------------------------

DEVICE_TEST(IndexingErrors, Messages) {
  array a = iota(12, {3, 4});
  array f = f32({0.5f});
  using E = std::invalid_argument;
  // take
  EXPECT_THROW_MSG(take(array(1.f), idx({0}), 0, device), E, "[take] Cannot take from a 0-d");
  EXPECT_THROW_MSG(take(a, idx({0}), 2, device), E, "[take] Invalid axis 2");
  EXPECT_THROW_MSG(take(a, idx({0}), -3, device), E, "[take] Invalid axis -3");
  EXPECT_THROW_MSG(take(a, f, device), E, "[take]");
  EXPECT_THROW_MSG(take(a, f, 0, device), E, "Indices must be integers");
  EXPECT_THROW_MSG(take(zeros({0, 3}), idx({0}), 0, device), E, "[take] Cannot take from an empty");
  // take_along_axis / put_along_axis
  EXPECT_THROW_MSG(take_along_axis(a, idx({0}), 1, device), E,
                   "[take_along_axis] Indices of dimension 1 do not match an array of dimension 2");
  EXPECT_THROW_MSG(take_along_axis(a, array({0.f}, {1, 1}), 1, device), E,
                   "[take_along_axis] Indices must be integers");
  EXPECT_THROW_MSG(take_along_axis(a, idx({0, 0}, {2, 1}), 1, device), E,
                   "[take_along_axis] Array of shape (3,4) and indices of shape (2,1)");
  EXPECT_THROW_MSG(take_along_axis(a, idx({0}, {1, 1}), 2, device), E,
                   "[take_along_axis] Invalid axis");
  EXPECT_THROW_MSG(put_along_axis(a, idx({0}), array(1), 1, device), E,
                   "[put_along_axis] Indices of dimension 1");
  EXPECT_THROW_MSG(put_along_axis(a, idx({0}, {1, 1}), array(1), 5, device), E,
                   "[put_along_axis] Invalid axis");
  // gather
  EXPECT_THROW_MSG(gather(array(1), {idx({0})}, {0}, {}, device), E,
                   "[gather] Cannot index a 0-d array.");
  EXPECT_THROW_MSG(gather(a, {idx({0})}, {0, 1}, {1, 1}, device), E,
                   "[gather] Got 1 index arrays but 2 axes.");
  EXPECT_THROW_MSG(gather(a, idx({0}), 0, {1}, device), E,
                   "[gather] Got 1 slice sizes for an array with 2 dimensions.");
  EXPECT_THROW_MSG(gather(a, idx({0}), 0, {1, 5}, device), E,
                   "[gather] Slice size 5 on axis 1 is outside [0, 4].");
  EXPECT_THROW_MSG(gather(a, idx({0}), 0, {-1, 1}, device), E, "[gather] Slice size -1");
  EXPECT_THROW_MSG(gather(a, f, 0, {1, 1}, device), E, "[gather] Indices must be integers");
  EXPECT_THROW_MSG(gather(a, {idx({0, 1}), idx({0, 1, 2})}, {0, 1}, {1, 1}, device), E,
                   "[gather] Index arrays of shapes (2,) and (3,) cannot be broadcast.");
  EXPECT_THROW_MSG(gather(a, {idx({0}), idx({0})}, {0, 0}, {1, 1}, device), E, "[gather]");
  EXPECT_THROW_MSG(gather(a, idx({0}), 2, {1, 1}, device), E, "[gather]");
  // scatter
  array z = zeros({3, 4});
  EXPECT_THROW_MSG(scatter(z, std::vector<array>{}, z, std::vector<int>{}, device), E,
                   "[scatter] At least one index array is required.");
  EXPECT_THROW_MSG(scatter(array(1.f), idx({0}), array(1.f), 0, device), E,
                   "[scatter] Cannot scatter into a 0-d array.");
  EXPECT_THROW_MSG(scatter(z, idx({0}), zeros({1, 4}), 0, device), E,
                   "[scatter] Updates with 2 dimensions do not match the index dimensions (1) "
                   "plus the array dimensions (2).");
  EXPECT_THROW_MSG(scatter_add(z, idx({0}), zeros({1, 1, 5}), 0, device), E,
                   "[scatter_add] Update slice extent 5 exceeds the array's extent 4 on axis 1.");
  EXPECT_THROW_MSG(scatter_max(z, idx({0, 1}), zeros({3, 1, 4}), 0, device), E,
                   "[scatter_max] Updates of shape (3,1,4) do not match the index shape (2,).");
  EXPECT_THROW_MSG(scatter_prod(z, f, zeros({1, 1, 4}), 0, device), E,
                   "[scatter_prod] Indices must be integers");
  EXPECT_THROW_MSG(scatter_min(z, idx({0}), zeros({1, 1, 4}), 3, device), E,
                   "[scatter_min] Invalid axis 3");
  EXPECT_THROW_MSG(scatter(z, {idx({0})}, zeros({1, 1, 4}), {0, 1}, device), E,
                   "[scatter] Got 1 index arrays but 2 axes.");
  // slice_update
  EXPECT_THROW_MSG(slice_update(z, zeros({1}), {0}, {1}, device), E,
                   "[slice_update] Invalid number of indices or strides");
  EXPECT_THROW_MSG(slice_update(z, zeros({1, 1}), Shape{0, 0}, Shape{1, 1}, Shape{1, 0}, device), E,
                   "[slice_update] Stride of axis 1 must not be 0.");
  EXPECT_THROW_MSG(slice_update(z, zeros({3}), {0, 0}, {2, 2}, device), E,
                   "[slice_update] Update of shape (3,) does not broadcast to the slice shape "
                   "(2,2).");
  EXPECT_THROW_MSG(slice_update(z, zeros({3, 3}), {0, 0}, {2, 2}, device), E,
                   "[slice_update] Update of shape (3,3)");
  EXPECT_THROW_MSG(slice_update_add(z, zeros({3}), Shape{0, 0}, Shape{2, 2}, Shape{1, 1}, device),
                   E, "[slice_update_add] Update of shape (3,)");
  EXPECT_THROW_MSG(slice_update_min(z, zeros({1}), Shape{0}, Shape{2}, Shape{1}, device), E,
                   "[slice_update_min] Invalid number");
  EXPECT_THROW_MSG(slice_update(z, zeros({1, 1}), idx({0, 0}, {1, 2}), {0, 1}, device), E,
                   "[slice_update] start must be 1-d with one entry per axis; got shape (1,2) for "
                   "2 axes.");
  EXPECT_THROW_MSG(slice_update(z, zeros({1, 1}), idx({0}), {0, 1}, device), E,
                   "[slice_update] start must be 1-d");
  EXPECT_THROW_MSG(slice_update(z, zeros({1}), idx({0}), {0}, device), E,
                   "[slice_update] The update must have the source's 2 dimensions");
  // masked_scatter
  EXPECT_THROW_MSG(masked_scatter(z, ones({3, 4}), zeros({12}), device), E,
                   "[masked_scatter] mask must be bool; got float32.");
}

// ------------------------------ gradients ------------------------------

TEST(IndexingGrad, Take) {
  for (tx::Layout l : tx::all_layouts()) {
    SCOPED_TRACE(tx::layout_name(l));
    array x = tx::with_layout(tx::rand_values(12, -1, 1, 7), {3, 4}, l);
    // Duplicate and negative indices: the vjp accumulates.
    EXPECT_DERIVATIVES(tx::unary([](const array& a) {
                         return take(a, idx({2, 0, 2, -1}), 1);
                       }),
                       {x});
    EXPECT_DERIVATIVES(tx::unary([](const array& a) {
                         return take(a, idx({5, 5, 0, -2}, {2, 2}));
                       }),
                       {x});
    EXPECT_DERIVATIVES(tx::unary([](const array& a) { return take(a, 1, 0); }), {x});
    // Out-of-range (clamped) indices get the gradient of the clamped position.
    EXPECT_DERIVATIVES(tx::unary([](const array& a) { return take(a, idx({9, -9}), 0); }), {x});
  }
}

TEST(IndexingGrad, TakeAlongAxisAndGather) {
  array x = tx::rand64({3, 4}, -1, 1, 11);
  EXPECT_DERIVATIVES(tx::unary([](const array& a) {
                       return take_along_axis(a, idx({0, 3, 1, 1, 2, 0}, {3, 2}), 1);
                     }),
                     {x});
  EXPECT_DERIVATIVES(tx::unary([](const array& a) {
                       return take_along_axis(a, idx({2, 2, 0, 1}, {1, 4}), 0);
                     }),
                     {x});
  // Overlapping slices of size 2x2.
  EXPECT_DERIVATIVES(tx::unary([](const array& a) {
                       return gather(a, {idx({0, 1, 0}), idx({1, 2, 1})}, {0, 1}, {2, 2});
                     }),
                     {x});
  // Clamped start positions: the gradient lands where the forward pass read.
  EXPECT_DERIVATIVES(tx::unary([](const array& a) {
                       return gather(a, idx({3, -7}), 1, {3, 2});
                     }),
                     {x});
  EXPECT_DERIVATIVES(
      tx::unary([](const array& a) {
        return gather(a, idx({2, 0}), 0, {1, 3});
      }),
      {tx::with_layout(tx::rand_values(12, -1, 1, 12), {3, 4}, tx::Layout::Transposed)});
}

TEST(IndexingGrad, Scatter) {
  array x = tx::rand64({4, 3}, -1, 1, 21);
  array u = tx::rand64({2, 1, 3}, -1, 1, 22);
  // Plain scatter (distinct positions): the overwritten part of x gets no gradient.
  tx::Fn sc = [](const std::vector<array>& v) { return scatter(v[0], idx({0, 2}), v[1], 0); };
  EXPECT_DERIVATIVES(sc, (std::vector<array>{x, u}));
  // scatter_add with duplicates.
  array u3 = tx::rand64({3, 1, 3}, -1, 1, 23);
  tx::Fn sa = [](const std::vector<array>& v) {
    return scatter_add(v[0], idx({1, 1, 3}), v[1], 0);
  };
  EXPECT_DERIVATIVES(sa, (std::vector<array>{x, u3}));
  // Out-of-range updates are dropped: they get no gradient.
  array u4 = tx::rand64({4, 1, 3}, -1, 1, 26);
  tx::Fn so = [](const std::vector<array>& v) {
    return scatter_add(v[0], idx({1, 4, -1, -5}), v[1], 0);
  };
  EXPECT_DERIVATIVES(so, (std::vector<array>{x, u4}));
  tx::Fn sn = [](const std::vector<array>& v) { return scatter(v[0], idx({7, 2, -1}), v[1], 0); };
  EXPECT_DERIVATIVES(sn, (std::vector<array>{x, tx::rand64({3, 1, 3}, -1, 1, 27)}));
  // A window that would overhang the end is dropped as a whole.
  tx::Fn sw = [](const std::vector<array>& v) { return scatter_add(v[0], idx({3, 1}), v[1], 0); };
  EXPECT_DERIVATIVES(sw, (std::vector<array>{x, tx::rand64({2, 2, 3}, -1, 1, 28)}));
  // Multi-axis windows (overlapping for scatter_add), transposed x.
  array xt = tx::with_layout(tx::rand_values(12, -1, 1, 24), {4, 3}, tx::Layout::Transposed);
  array w = tx::rand64({2, 2, 2}, -1, 1, 25);
  tx::Fn sa2 = [](const std::vector<array>& v) {
    return scatter_add(v[0], {idx({0, 1}), idx({0, 1})}, v[1], {0, 1});
  };
  EXPECT_DERIVATIVES(sa2, (std::vector<array>{xt, w}));
  tx::Fn sc2 = [](const std::vector<array>& v) {
    return scatter(v[0], {idx({0, 2}), idx({1, 0})}, v[1], {0, 1});
  };
  EXPECT_DERIVATIVES(sc2, (std::vector<array>{xt, w}));
}

TEST(IndexingGrad, SliceUpdate) {
  array x = tx::rand64({4, 4}, -1, 1, 31);
  array u = tx::rand64({2, 2}, -1, 1, 32);
  std::vector<array> xu{x, u};
  EXPECT_DERIVATIVES(
      [](const std::vector<array>& v) {
        return slice_update(v[0], v[1], Shape{1, 0}, Shape{3, 4}, Shape{1, 2});
      },
      xu);
  // Negative strides: rows 3, 1 and columns 2, 0.
  EXPECT_DERIVATIVES(
      [](const std::vector<array>& v) {
        return slice_update(v[0], v[1], Shape{-1, 2}, Shape{-5, -5}, Shape{-2, -2});
      },
      xu);
  EXPECT_DERIVATIVES(
      [](const std::vector<array>& v) {
        return slice_update_add(v[0], v[1], Shape{0, 1}, Shape{4, 3}, Shape{2, 1});
      },
      xu);
  EXPECT_DERIVATIVES(
      [](const std::vector<array>& v) {
        return slice_update_add(v[0], v[1], Shape{3, 3}, Shape{0, -5}, Shape{-2, -3});
      },
      xu);
  // A broadcast update: its gradient sums over the broadcast axis.
  array r = tx::rand64({1, 4}, -1, 1, 33);
  EXPECT_DERIVATIVES(
      [](const std::vector<array>& v) {
        return slice_update(v[0], v[1], {2, 0}, {4, 4});
      },
      (std::vector<array>{x, r}));
  // Dynamic start (a scatter underneath).
  EXPECT_DERIVATIVES(
      [](const std::vector<array>& v) {
        return slice_update(v[0], v[1], idx({1, 2}), {0, 1});
      },
      xu);
}

// ------------------------------ vmap ------------------------------

TEST(IndexingVmap, Take) {
  array x = tx::rand64({3, 4, 5}, -1, 1, 41);
  array i = idx({0, 3, -1, 2, 1, 1, 4, 0, 2}, {3, 3});
  auto take1 = tx::binary_v([](const array& a, const array& b) { return take(a, b, 1); });
  auto take0 = tx::binary_v([](const array& a, const array& b) { return take(a, b, 0); });
  auto flat = tx::binary_v([](const array& a, const array& b) { return take(a, b); });
  // Batched array, shared indices.
  EXPECT_VMAP(take1, (std::vector<array>{x, idx({3, 0, 3})}), {0, -1});
  EXPECT_VMAP(take0, (std::vector<array>{x, idx({1, -1})}), {2, -1});
  EXPECT_VMAP(flat, (std::vector<array>{x, idx({19, 0, 7})}), {0, -1});
  // Shared array, batched indices.
  array x2 = tx::rand64({4, 5}, -1, 1, 42);
  EXPECT_VMAP(take1, (std::vector<array>{x2, i}), {-1, 0});
  EXPECT_VMAP(take0, (std::vector<array>{x2, i}), {-1, 1});
  EXPECT_VMAP(flat, (std::vector<array>{x2, i}), {-1, 0});
  // Both batched, on different axes.
  EXPECT_VMAP(take1, (std::vector<array>{x, i}), {0, 0});
  EXPECT_VMAP(take0, (std::vector<array>{transpose(x, {1, 0, 2}), i}), {1, 1});
  EXPECT_VMAP(flat, (std::vector<array>{x, i}), {0, 1});
  // 0-d indices per example.
  EXPECT_VMAP(take1, (std::vector<array>{x, idx({3, 0, 1})}), {0, 0});
}

TEST(IndexingVmap, ScatterAdd) {
  array a = tx::rand64({3, 5, 2}, -1, 1, 51);
  array i = idx({0, 4, 0, 1, 1, 3}, {3, 2});
  array u = tx::rand64({3, 2, 1, 2}, -1, 1, 52);
  ArrayFn f = [](const std::vector<array>& v) {
    return std::vector<array>{scatter_add(v[0], v[1], v[2], 0)};
  };
  EXPECT_VMAP(f, (std::vector<array>{a, i, u}), {0, 0, 0});
  EXPECT_VMAP(f, (std::vector<array>{a, idx({4, 4}), u}), {0, -1, 0});
  EXPECT_VMAP(f, (std::vector<array>{a, idx({1, 2}), tx::rand64({2, 1, 2}, -1, 1, 53)}),
              {0, -1, -1});
  EXPECT_VMAP(f, (std::vector<array>{tx::rand64({5, 2}, -1, 1, 54), i, u}), {-1, 0, 0});
  EXPECT_VMAP(
      f, (std::vector<array>{tx::rand64({5, 2}, -1, 1, 55), i, tx::rand64({2, 1, 2}, -1, 1, 56)}),
      {-1, 0, -1});
  // Batch on a non-leading axis of the array and the updates.
  EXPECT_VMAP(f, (std::vector<array>{transpose(a, {1, 0, 2}), i, transpose(u, {1, 0, 2, 3})}),
              {1, 0, 1});
  // Multi-axis scatter_add.
  ArrayFn g = [](const std::vector<array>& v) {
    return std::vector<array>{scatter_add(v[0], {v[1], v[2]}, v[3], {0, 1})};
  };
  array j = idx({1, 0, 0, 1, 1, 0}, {3, 2});
  EXPECT_VMAP(g, (std::vector<array>{a, i, j, tx::rand64({3, 2, 1, 1}, -1, 1, 57)}), {0, 0, 0, 0});
  EXPECT_VMAP(g, (std::vector<array>{a, idx({0, 3}), j, tx::rand64({3, 2, 1, 1}, -1, 1, 58)}),
              {0, -1, 0, 0});
}

// ============================== dynamic slice / scatter_add_axis ==============================

DEVICE_TEST(DynamicSlice, ValuesWrapAndClamp) {
  array a = iota(12, {3, 4});
  EXPECT_ARRAY_EQ(slice(a, array({1}), {0}, {2, 3}, device), std::vector<int>{4, 5, 6, 8, 9, 10},
                  Shape{2, 3}, int32);
  EXPECT_ARRAY_EQ(slice(a, array({1, 2}), {0, 1}, {1, 2}, device), std::vector<int>{6, 7},
                  Shape{1, 2});
  // Axes in any order; the start entries follow them.
  EXPECT_ARRAY_EQ(slice(a, array({2, 1}), {1, 0}, {1, 2}, device), std::vector<int>{6, 7},
                  Shape{1, 2});
  // Negative starts count from the end, then clamp so that the slice fits.
  EXPECT_ARRAY_EQ(slice(a, array({-1}), {1}, {3, 2}, device), std::vector<int>{2, 3, 6, 7, 10, 11},
                  Shape{3, 2});
  EXPECT_ARRAY_EQ(slice(a, array({5}, uint32), {0}, {2, 4}, device),
                  std::vector<int>{4, 5, 6, 7, 8, 9, 10, 11}, Shape{2, 4});
  EXPECT_ARRAY_EQ(slice(a, array({-9}, int64), {0}, {1, 1}, device), std::vector<int>{0},
                  Shape{1, 1});
  // Empty slices.
  EXPECT_ARRAY_EQ(slice(a, array({1}), {0}, {0, 4}, device), std::vector<int>{}, Shape{0, 4});
}

DEVICE_TEST(DynamicSlice, Errors) {
  array a = iota(12, {3, 4});
  EXPECT_THROW_MSG(slice(a, array({1}), {0}, {2}, device), std::invalid_argument, "[slice]");
  EXPECT_THROW_MSG(slice(a, array({1}), {0}, {4, 4}, device), std::invalid_argument, "[slice]");
  EXPECT_THROW_MSG(slice(a, array({1.0f}), {0}, {1, 4}, device), std::invalid_argument, "[slice]");
  EXPECT_THROW_MSG(slice(a, array({1, 2}), {0}, {1, 4}, device), std::invalid_argument, "[slice]");
  EXPECT_THROW_MSG(slice(a, array(1), {0}, {1, 4}, device), std::invalid_argument, "[slice]");
  EXPECT_THROW_MSG(slice(a, array({1, 2}), {0, -2}, {1, 4}, device), std::invalid_argument,
                   "[slice]");
  EXPECT_THROW_MSG(slice(a, array({1}), {2}, {1, 4}, device), std::invalid_argument, "[slice]");
}

TEST(DynamicSlice, Derivatives) {
  array start = array({1, 0});
  auto f = [start](const std::vector<array>& x) { return slice(x[0], start, {0, 1}, {2, 2}); };
  EXPECT_DERIVATIVES(f, {tx::rand64({3, 3}, -1, 1, 7)});
}

DEVICE_TEST(ScatterAddAxis, AccumulatesRepeatedIndices) {
  array idx = array({0, 0, 2, 1}, {2, 2});
  array vals = array({1.f, 2.f, 3.f, 4.f}, {2, 2});
  EXPECT_ARRAY_EQ(scatter_add_axis(zeros({2, 3}), idx, vals, 1, device),
                  std::vector<float>{3, 0, 0, 0, 4, 3}, Shape{2, 3}, float32);
  // Values broadcast to the indices' shape; negative axes and indices count from the end.
  EXPECT_ARRAY_EQ(
      scatter_add_axis(ones({2, 3}), array({0, 0, -1, 1}, {2, 2}), array(1.f), -1, device),
      std::vector<float>{3, 1, 1, 1, 2, 2}, Shape{2, 3});
  // Along axis 0, integer dtype kept.
  EXPECT_ARRAY_EQ(scatter_add_axis(zeros({2, 2}, int32), array({1, 1}, {1, 2}),
                                   array({5, 6}, {1, 2}), 0, device),
                  std::vector<int>{0, 0, 5, 6}, Shape{2, 2}, int32);
}

DEVICE_TEST(ScatterAddAxis, Errors) {
  EXPECT_THROW_MSG(scatter_add_axis(zeros({2, 3}), array({0, 1}), array(1.f), 1, device),
                   std::invalid_argument, "[scatter_add_axis]");
  EXPECT_THROW_MSG(scatter_add_axis(zeros({2, 3}), array({0, 1}, {1, 2}), array(1.f), 2, device),
                   std::invalid_argument, "[scatter_add_axis]");
}

TEST(ScatterAddAxis, Derivatives) {
  array idx = array({0, 0, 2, 1}, {2, 2});
  auto f = [idx](const std::vector<array>& x) { return scatter_add_axis(x[0], idx, x[1], 1); };
  EXPECT_DERIVATIVES(f, {tx::rand64({2, 3}, -1, 1, 3), tx::rand64({2, 2}, -1, 1, 4)});
}
