// Copyright © 2026 Tandem authors.
// View and copy ops (src/ops/views.cpp): reshape, transpose, broadcast_to, broadcast_arrays,
// slice, as_strided, copy, contiguous.
#include <numeric>

#include "harness.h"

using namespace tandem;
using tandem_test::make;
using tandem_test::values;

namespace {

// 0, 1, ..., n-1 as int32.
array iota(int n, Shape shape = {}) {
  std::vector<int> v(n);
  std::iota(v.begin(), v.end(), 0);
  if (shape.empty()) shape = {n};
  return array(v, shape);
}

std::vector<int> iota_vec(int from, int to, int step = 1) {
  std::vector<int> v;
  for (int i = from; step > 0 ? i < to : i > to; i += step)
    v.push_back(i);
  return v;
}

}  // namespace

// ------------------------------ reshape ------------------------------

DEVICE_TEST(Reshape, Values) {
  array a = iota(6);
  EXPECT_ARRAY_EQ(reshape(a, {2, 3}, device), iota_vec(0, 6), Shape{2, 3});
  EXPECT_ARRAY_EQ(reshape(a, {3, 2}, device), iota_vec(0, 6), Shape{3, 2});
  EXPECT_ARRAY_EQ(reshape(a, {-1}, device), iota_vec(0, 6), Shape{6});
  EXPECT_ARRAY_EQ(reshape(a, {2, -1}, device), iota_vec(0, 6), Shape{2, 3});
  EXPECT_ARRAY_EQ(reshape(a, {-1, 2}, device), iota_vec(0, 6), Shape{3, 2});
  EXPECT_ARRAY_EQ(reshape(a, {1, -1, 1, 2}, device), iota_vec(0, 6), Shape{1, 3, 1, 2});
  EXPECT_ARRAY_EQ(reshape(reshape(a, {2, 3}, device), {6}, device), iota_vec(0, 6), Shape{6});
  // Same shape: the same array.
  EXPECT_EQ(reshape(a, {6}, device).id(), a.id());
  // 0-d <-> size-1.
  EXPECT_ARRAY_EQ(reshape(array(5), {1, 1}, device), std::vector<int>{5}, Shape{1, 1});
  EXPECT_ARRAY_EQ(reshape(array({5}, {1, 1}), {}, device), std::vector<int>{5}, Shape{});
  EXPECT_ARRAY_EQ(reshape(array(5), {-1}, device), std::vector<int>{5}, Shape{1});
  // Empty.
  EXPECT_ARRAY_EQ(reshape(array(std::vector<int>{}, {0, 3}), {3, 0}, device), std::vector<int>{},
                  Shape{3, 0});
  EXPECT_ARRAY_EQ(reshape(array(std::vector<int>{}, {0, 3}), {-1}, device), std::vector<int>{},
                  Shape{0});
  // Every dtype.
  for (Dtype t : tandem_test::all_dtypes()) {
    array r = reshape(make({1, 0, 1, 1}, t), {2, 2}, device);
    EXPECT_EQ(r.dtype(), t);
    EXPECT_EQ(values(r), (std::vector<double>{1, 0, 1, 1}));
  }
}

DEVICE_TEST(Reshape, NonContiguousInputs) {
  array m = iota(6, {2, 3});
  // Transposed: the row-major order of the transposed array.
  EXPECT_ARRAY_EQ(reshape(transpose(m, device), {6}, device), std::vector<int>{0, 3, 1, 4, 2, 5},
                  Shape{6});
  EXPECT_ARRAY_EQ(reshape(transpose(m, device), {2, 3}, device), std::vector<int>{0, 3, 1, 4, 2, 5},
                  Shape{2, 3});
  // Strided slice and broadcast.
  array s = slice(iota(12), {1}, {12}, {2}, device);  // 1,3,5,7,9,11
  EXPECT_ARRAY_EQ(reshape(s, {3, 2}, device), std::vector<int>{1, 3, 5, 7, 9, 11}, Shape{3, 2});
  array b = broadcast_to(array({1, 2}), {3, 2}, device);
  EXPECT_ARRAY_EQ(reshape(b, {-1}, device), std::vector<int>{1, 2, 1, 2, 1, 2}, Shape{6});
  // A reversed slice.
  EXPECT_ARRAY_EQ(reshape(slice(iota(4), {-1}, {-5}, {-1}, device), {2, 2}, device),
                  std::vector<int>{3, 2, 1, 0}, Shape{2, 2});
}

DEVICE_TEST(Reshape, ViewSharesBufferAndHasRightFlags) {
  array a = iota(6);
  a.eval();
  array r = reshape(a, {2, 3}, device);
  r.eval();
  EXPECT_EQ(r.data<int>(), a.data<int>());  // no copy
  EXPECT_EQ(r.strides(), (Strides{3, 1}));
  EXPECT_TRUE(r.flags().row_contiguous);
  EXPECT_TRUE(r.flags().contiguous);
  // A (2,3) row-major array is not column-major, whatever the input's flags were.
  EXPECT_FALSE(r.flags().col_contiguous);
  array c = reshape(transpose(iota(6, {2, 3}), device), {6}, device);
  c.eval();
  EXPECT_TRUE(c.flags().row_contiguous);
  array d = reshape(transpose(iota(6, {2, 3}), device), {2, 3}, device);
  d.eval();
  EXPECT_TRUE(d.flags().row_contiguous);
  EXPECT_FALSE(d.flags().col_contiguous);
  EXPECT_ARRAY_EQ(d, std::vector<int>{0, 3, 1, 4, 2, 5}, Shape{2, 3});
  // Column-major reshaped to a vector: the data is copied to row-major order first.
  array e = reshape(contiguous(transpose(iota(6, {2, 3}), device), true, device), {6}, device);
  EXPECT_ARRAY_EQ(e, std::vector<int>{0, 3, 1, 4, 2, 5}, Shape{6});
  EXPECT_TRUE(e.flags().row_contiguous);
}

DEVICE_TEST(Reshape, Errors) {
  array a = iota(6);
  EXPECT_THROW_MSG(reshape(a, {4}, device), std::invalid_argument,
                   "[reshape] Cannot reshape array of size 6 into shape (4,).");
  EXPECT_THROW_MSG(reshape(a, {-1, -1}, device), std::invalid_argument,
                   "[reshape] Can only infer one dimension");
  EXPECT_THROW_MSG(reshape(a, {4, -1}, device), std::invalid_argument,
                   "[reshape] Cannot infer the shape (4,-1)");
  EXPECT_THROW_MSG(reshape(a, {-2, -3}, device), std::invalid_argument, "Invalid extent -2");
  EXPECT_THROW_MSG(reshape(array(std::vector<int>{}, {0}), {0, -1}, device), std::invalid_argument,
                   "[reshape]");
  EXPECT_THROW_MSG(reshape(array(1), {2}, device), std::invalid_argument, "size 1");
}

// ------------------------------ transpose ------------------------------

DEVICE_TEST(Transpose, Values) {
  array m = iota(6, {2, 3});
  EXPECT_ARRAY_EQ(transpose(m, device), std::vector<int>{0, 3, 1, 4, 2, 5}, Shape{3, 2});
  EXPECT_ARRAY_EQ(transpose(m, {1, 0}, device), std::vector<int>{0, 3, 1, 4, 2, 5}, Shape{3, 2});
  EXPECT_ARRAY_EQ(transpose(m, {-1, -2}, device), std::vector<int>{0, 3, 1, 4, 2, 5}, Shape{3, 2});
  EXPECT_ARRAY_EQ(transpose(transpose(m, device), device), iota_vec(0, 6), Shape{2, 3});
  // 3-d permutations: out[i][j][k] = a[perm^-1 ...].
  array a = iota(24, {2, 3, 4});
  auto at = [](int i, int j, int k) { return (i * 3 + j) * 4 + k; };
  std::vector<int> e1, e2, e3;
  for (int j = 0; j < 3; ++j)
    for (int i = 0; i < 2; ++i)
      for (int k = 0; k < 4; ++k)
        e1.push_back(at(i, j, k));
  EXPECT_ARRAY_EQ(transpose(a, {1, 0, 2}, device), e1, Shape{3, 2, 4});
  for (int k = 0; k < 4; ++k)
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 3; ++j)
        e2.push_back(at(i, j, k));
  EXPECT_ARRAY_EQ(transpose(a, {2, 0, 1}, device), e2, Shape{4, 2, 3});
  for (int k = 0; k < 4; ++k)
    for (int j = 0; j < 3; ++j)
      for (int i = 0; i < 2; ++i)
        e3.push_back(at(i, j, k));
  EXPECT_ARRAY_EQ(transpose(a, device), e3, Shape{4, 3, 2});
  EXPECT_ARRAY_EQ(transpose(a, {-1, 1, 0}, device), e3, Shape{4, 3, 2});
  // Identity permutation, 0-d and 1-d: the array itself.
  EXPECT_EQ(transpose(a, {0, 1, 2}, device).id(), a.id());
  array s(3);
  EXPECT_EQ(transpose(s, device).id(), s.id());
  array v = iota(3);
  EXPECT_EQ(transpose(v, device).id(), v.id());
  // Empty and size-1 dims.
  EXPECT_ARRAY_EQ(transpose(array(std::vector<float>{}, {0, 2}), device), std::vector<float>{},
                  Shape{2, 0});
  EXPECT_ARRAY_EQ(transpose(iota(3, {3, 1}), device), std::vector<int>{0, 1, 2}, Shape{1, 3});
}

DEVICE_TEST(Transpose, IsAViewWithPermutedStrides) {
  array a = iota(24, {2, 3, 4});
  a.eval();
  array t = transpose(a, {2, 0, 1}, device);
  t.eval();
  EXPECT_EQ(t.strides(), (Strides{1, 12, 4}));
  EXPECT_EQ(t.data<int>(), a.data<int>());
  EXPECT_TRUE(t.flags().contiguous);
  EXPECT_FALSE(t.flags().row_contiguous);
  // Transposing a strided slice.
  array s = slice(iota(12, {3, 4}), {0, 0}, {3, 4}, {2, 3}, device);  // [[0,3],[8,11]]
  EXPECT_ARRAY_EQ(transpose(s, device), std::vector<int>{0, 8, 3, 11}, Shape{2, 2});
  // Every dtype.
  for (Dtype dt : tandem_test::all_dtypes()) {
    EXPECT_EQ(values(transpose(make({1, 0, 0, 1, 1, 0}, {2, 3}, dt), device)),
              (std::vector<double>{1, 1, 0, 1, 0, 0}))
        << dt;
  }
}

DEVICE_TEST(Transpose, Errors) {
  array a = iota(24, {2, 3, 4});
  EXPECT_THROW_MSG(transpose(a, {1, 0}, device), std::invalid_argument,
                   "[transpose] Received 2 axes for array with 3 dimensions.");
  EXPECT_THROW_MSG(transpose(a, {0, 1, 3}, device), std::invalid_argument,
                   "[transpose] Invalid axis 3");
  EXPECT_THROW_MSG(transpose(a, {0, 1, -4}, device), std::invalid_argument, "Invalid axis -4");
  EXPECT_THROW_MSG(transpose(a, {0, 1, 1}, device), std::invalid_argument,
                   "[transpose] Repeated axis");
  EXPECT_THROW_MSG(transpose(a, {0, 2, -1}, device), std::invalid_argument, "Repeated axis -1");
}

// ------------------------------ broadcast_to / broadcast_arrays ------------------------------

DEVICE_TEST(Broadcast, To) {
  EXPECT_ARRAY_EQ(broadcast_to(array({1, 2, 3}), {2, 3}, device),
                  std::vector<int>{1, 2, 3, 1, 2, 3}, Shape{2, 3});
  EXPECT_ARRAY_EQ(broadcast_to(array({1, 2}, {2, 1}), {2, 4}, device),
                  std::vector<int>{1, 1, 1, 1, 2, 2, 2, 2}, Shape{2, 4});
  EXPECT_ARRAY_EQ(broadcast_to(array(7.5f), {2, 2}, device), std::vector<float>{7.5, 7.5, 7.5, 7.5},
                  Shape{2, 2});
  EXPECT_ARRAY_EQ(broadcast_to(array({4}), {0}, device), std::vector<int>{}, Shape{0});
  EXPECT_ARRAY_EQ(broadcast_to(array({1, 2}, {1, 2}), {3, 1, 2}, device),
                  std::vector<int>{1, 2, 1, 2, 1, 2}, Shape{3, 1, 2});
  array a = iota(3);
  EXPECT_EQ(broadcast_to(a, {3}, device).id(), a.id());
  // Zero strides, no copy.
  array b = broadcast_to(a, {4, 3}, device);
  b.eval();
  EXPECT_EQ(b.strides(), (Strides{0, 1}));
  EXPECT_EQ(b.data<int>(), a.data<int>());
  // Broadcasting a transposed view.
  EXPECT_ARRAY_EQ(broadcast_to(transpose(array({1, 2}, {1, 2}), device), {2, 3}, device),
                  std::vector<int>{1, 1, 1, 2, 2, 2}, Shape{2, 3});
  for (Dtype t : tandem_test::all_dtypes()) {
    EXPECT_EQ(values(broadcast_to(make({1, 0}, t), {2, 2}, device)),
              (std::vector<double>{1, 0, 1, 0}))
        << t;
  }
}

DEVICE_TEST(Broadcast, ToErrors) {
  EXPECT_THROW_MSG(broadcast_to(array({1, 2, 3}), {4}, device), std::invalid_argument,
                   "[broadcast_to] Cannot broadcast array of shape (3,) to shape (4,).");
  EXPECT_THROW_MSG(broadcast_to(iota(6, {2, 3}), {3}, device), std::invalid_argument,
                   "[broadcast_to]");
  EXPECT_THROW_MSG(broadcast_to(array({1, 2}, {2, 1}), {3, 4}, device), std::invalid_argument,
                   "(2,1)");
  EXPECT_THROW_MSG(broadcast_to(array(1), {-1, 2}, device), std::invalid_argument,
                   "[broadcast_to]");
}

DEVICE_TEST(Broadcast, Arrays) {
  auto out = broadcast_arrays({array({1, 2}, {2, 1}), array({10, 20, 30}), array(5)}, device);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_ARRAY_EQ(out[0], std::vector<int>{1, 1, 1, 2, 2, 2}, Shape{2, 3});
  EXPECT_ARRAY_EQ(out[1], std::vector<int>{10, 20, 30, 10, 20, 30}, Shape{2, 3});
  EXPECT_ARRAY_EQ(out[2], std::vector<int>{5, 5, 5, 5, 5, 5}, Shape{2, 3});
  // Dtypes are kept.
  auto mixed = broadcast_arrays({array({1.5f}), array({true, false})}, device);
  EXPECT_EQ(mixed[0].dtype(), float32);
  EXPECT_EQ(mixed[1].dtype(), bool_);
  EXPECT_ARRAY_EQ(mixed[0], std::vector<float>{1.5, 1.5}, Shape{2});
  // Nothing to do.
  EXPECT_TRUE(broadcast_arrays({}, device).empty());
  array a = iota(3);
  EXPECT_EQ(broadcast_arrays({a}, device)[0].id(), a.id());
  auto e = broadcast_arrays({array(std::vector<int>{}, {0, 1}), array({1, 2})}, device);
  EXPECT_EQ(e[0].shape(), (Shape{0, 2}));
  EXPECT_EQ(e[1].shape(), (Shape{0, 2}));
  EXPECT_THROW_MSG(broadcast_arrays({array({1, 2}), array({1, 2, 3})}, device),
                   std::invalid_argument,
                   "[broadcast_arrays] Shapes (2,), (3,) cannot be broadcast together.");
}

// ------------------------------ slice ------------------------------

namespace {
// Python's slice semantics for a sequence of length n (written from the language reference).
std::vector<int> py_slice(int n, int start, int stop, int step) {
  auto adjust = [&](int v, bool is_start) {
    if (v < 0) {
      v += n;
      if (v < 0) v = step < 0 ? -1 : 0;
    } else if (v >= n) {
      v = step < 0 ? n - 1 : n;
    }
    (void)is_start;
    return v;
  };
  int b = adjust(start, true), e = adjust(stop, false);
  std::vector<int> out;
  for (int i = b; step > 0 ? i < e : i > e; i += step)
    out.push_back(i);
  return out;
}
}  // namespace

DEVICE_TEST(Slice, MatchesPythonOnEveryStartStopStep) {
  const int n = 5;
  array a = iota(n);
  for (int step : {-6, -3, -2, -1, 1, 2, 3, 6}) {
    for (int start = -8; start <= 8; ++start) {
      for (int stop = -8; stop <= 8; ++stop) {
        auto expected = py_slice(n, start, stop, step);
        SCOPED_TRACE("a[" + std::to_string(start) + ":" + std::to_string(stop) + ":" +
                     std::to_string(step) + "]");
        ASSERT_ARRAY_EQ(slice(a, {start}, {stop}, {step}, device), expected,
                        Shape{static_cast<int>(expected.size())});
      }
    }
  }
}

DEVICE_TEST(Slice, Basics) {
  array a = iota(10);
  EXPECT_ARRAY_EQ(slice(a, {2}, {5}, device), std::vector<int>{2, 3, 4}, Shape{3});
  EXPECT_ARRAY_EQ(slice(a, {0}, {-1}, device), iota_vec(0, 9), Shape{9});
  EXPECT_ARRAY_EQ(slice(a, {-3}, {10}, device), std::vector<int>{7, 8, 9}, Shape{3});
  EXPECT_ARRAY_EQ(slice(a, {-1}, {-11}, {-1}, device), iota_vec(9, -1, -1), Shape{10});  // [::-1]
  EXPECT_ARRAY_EQ(slice(a, {-1}, {-11}, {-2}, device), std::vector<int>{9, 7, 5, 3, 1}, Shape{5});
  EXPECT_ARRAY_EQ(slice(a, {5}, {1}, {-1}, device), std::vector<int>{5, 4, 3, 2}, Shape{4});
  // Clamping like Python.
  EXPECT_ARRAY_EQ(slice(a, {-100}, {100}, device), iota_vec(0, 10), Shape{10});
  EXPECT_ARRAY_EQ(slice(a, {100}, {-100}, {-3}, device), std::vector<int>{9, 6, 3, 0}, Shape{4});
  EXPECT_ARRAY_EQ(slice(a, {0}, {10}, {20}, device), std::vector<int>{0}, Shape{1});
  // Empty results.
  EXPECT_ARRAY_EQ(slice(a, {3}, {1}, device), std::vector<int>{}, Shape{0});
  EXPECT_ARRAY_EQ(slice(a, {1}, {3}, {-1}, device), std::vector<int>{}, Shape{0});
  EXPECT_ARRAY_EQ(slice(a, {100}, {200}, device), std::vector<int>{}, Shape{0});
  // The whole array: the array itself.
  EXPECT_EQ(slice(a, {0}, {10}, device).id(), a.id());
  EXPECT_EQ(slice(a, {-10}, {100}, {1}, device).id(), a.id());
  // 0-d and empty inputs.
  array s(5);
  EXPECT_EQ(slice(s, {}, {}, device).id(), s.id());
  EXPECT_ARRAY_EQ(slice(array(std::vector<int>{}, {0, 3}), {0, 1}, {0, 3}, device),
                  std::vector<int>{}, Shape{0, 2});
}

DEVICE_TEST(Slice, MultiDimAndNested) {
  array m = iota(20, {4, 5});
  // m[1:3, ::2]
  EXPECT_ARRAY_EQ(slice(m, {1, 0}, {3, 5}, {1, 2}, device), std::vector<int>{5, 7, 9, 10, 12, 14},
                  Shape{2, 3});
  // m[::-1, -2:]
  EXPECT_ARRAY_EQ(slice(m, {-1, -2}, {-5, 5}, {-1, 1}, device),
                  std::vector<int>{18, 19, 13, 14, 8, 9, 3, 4}, Shape{4, 2});
  // Slice of a slice: (m[::2, 1:])[1:, ::-2]
  array s1 = slice(m, {0, 1}, {4, 5}, {2, 1}, device);      // rows 0,2; cols 1..4
  array s2 = slice(s1, {1, -1}, {2, -5}, {1, -2}, device);  // row 2; cols 4, 2
  EXPECT_ARRAY_EQ(s2, std::vector<int>{14, 12}, Shape{1, 2});
  // Slice of a transposed array: m.T[1:3, 1:]
  EXPECT_ARRAY_EQ(slice(transpose(m, device), {1, 1}, {3, 4}, device),
                  std::vector<int>{6, 11, 16, 7, 12, 17}, Shape{2, 3});
  // Slice of a broadcast array.
  EXPECT_ARRAY_EQ(slice(broadcast_to(iota(3), {4, 3}, device), {1, 1}, {3, 3}, device),
                  std::vector<int>{1, 2, 1, 2}, Shape{2, 2});
  // A view: no copy, strides scaled.
  array v = slice(m, {0, 0}, {4, 5}, {2, 2}, device);
  v.eval();
  m.eval();
  EXPECT_EQ(v.strides(), (Strides{10, 2}));
  EXPECT_EQ(v.data<int>(), m.data<int>());
  array w = slice(m, {1, 2}, {4, 5}, device);
  w.eval();
  EXPECT_EQ(w.data<int>(), m.data<int>() + 7);
  // Every dtype.
  for (Dtype t : tandem_test::all_dtypes()) {
    array x = make({1, 0, 1, 1, 0, 0}, t);
    EXPECT_EQ(values(slice(x, {-1}, {-7}, {-2}, device)), (std::vector<double>{0, 1, 0})) << t;
  }
}

DEVICE_TEST(Slice, Errors) {
  array m = iota(6, {2, 3});
  EXPECT_THROW_MSG(slice(m, {0}, {1}, device), std::invalid_argument,
                   "[slice] Invalid number of indices or strides");
  EXPECT_THROW_MSG(slice(m, {0, 0}, {1, 1}, {1}, device), std::invalid_argument, "[slice]");
  EXPECT_THROW_MSG(slice(m, {0, 0}, {2, 3}, {1, 0}, device), std::invalid_argument,
                   "[slice] Stride of axis 1 must not be 0.");
}

// ------------------------------ as_strided ------------------------------

DEVICE_TEST(AsStrided, Windows) {
  array a = iota(12);
  EXPECT_ARRAY_EQ(as_strided(a, {3, 3}, {1, 1}, 0, device),
                  std::vector<int>{0, 1, 2, 1, 2, 3, 2, 3, 4}, Shape{3, 3});
  EXPECT_ARRAY_EQ(as_strided(a, {3, 3}, {1, 1}, 2, device),
                  std::vector<int>{2, 3, 4, 3, 4, 5, 4, 5, 6}, Shape{3, 3});
  EXPECT_ARRAY_EQ(as_strided(a, {3, 4}, {4, 1}, 0, device), iota_vec(0, 12), Shape{3, 4});
  EXPECT_ARRAY_EQ(as_strided(a, {2, 3}, {0, 2}, 1, device), std::vector<int>{1, 3, 5, 1, 3, 5},
                  Shape{2, 3});
  EXPECT_ARRAY_EQ(as_strided(a, {4}, {-1}, 5, device), std::vector<int>{5, 4, 3, 2}, Shape{4});
  EXPECT_ARRAY_EQ(as_strided(a, {}, {}, 7, device), std::vector<int>{7}, Shape{});
  EXPECT_ARRAY_EQ(as_strided(a, {0, 3}, {3, 1}, 0, device), std::vector<int>{}, Shape{0, 3});
  // The offset and strides index the input's row-major order, whatever its layout.
  array t = transpose(iota(6, {2, 3}), device);  // row-major: 0 3 1 4 2 5
  EXPECT_ARRAY_EQ(as_strided(t, {3}, {2}, 0, device), std::vector<int>{0, 1, 2}, Shape{3});
  array s = slice(iota(10), {2}, {8}, device);  // 2..7
  EXPECT_ARRAY_EQ(as_strided(s, {2, 2}, {2, 1}, 1, device), std::vector<int>{3, 4, 5, 6},
                  Shape{2, 2});
  array b = broadcast_to(array({1, 2}), {2, 2}, device);  // row-major: 1 2 1 2
  EXPECT_ARRAY_EQ(as_strided(b, {3}, {1}, 1, device), std::vector<int>{2, 1, 2}, Shape{3});
  for (Dtype dt : tandem_test::all_dtypes()) {
    EXPECT_EQ(values(as_strided(make({1, 0, 1, 1}, dt), {2, 2}, {1, 1}, 0, device)),
              (std::vector<double>{1, 0, 0, 1}))
        << dt;
  }
  EXPECT_THROW_MSG(as_strided(a, {3, 3}, {1}, 0, device), std::invalid_argument,
                   "[as_strided] Shape (3,3) and 1 strides");
}

// ------------------------------ copy / contiguous ------------------------------

DEVICE_TEST(Copy, NewRowContiguousArray) {
  array a = iota(6, {2, 3});
  a.eval();
  array c = copy(a, device);
  EXPECT_NE(c.id(), a.id());
  EXPECT_ARRAY_EQ(c, iota_vec(0, 6), Shape{2, 3});
  EXPECT_NE(c.data<int>(), a.data<int>());
  // Writing to the original afterwards does not change the copy.
  a.data<int>()[0] = 100;
  EXPECT_EQ(c.to_vector<int>()[0], 0);
  // Strided inputs are materialised in row-major order.
  array t = copy(transpose(iota(6, {2, 3}), device), device);
  EXPECT_ARRAY_EQ(t, std::vector<int>{0, 3, 1, 4, 2, 5}, Shape{3, 2});
  EXPECT_EQ(t.strides(), (Strides{2, 1}));
  EXPECT_TRUE(t.flags().row_contiguous);
  array b = copy(broadcast_to(array({1, 2}), {2, 2}), device);
  EXPECT_ARRAY_EQ(b, std::vector<int>{1, 2, 1, 2}, Shape{2, 2});
  EXPECT_EQ(b.strides(), (Strides{2, 1}));
  for (Dtype dt : tandem_test::all_dtypes()) {
    array x = copy(make({1, 0, 1}, dt), device);
    EXPECT_EQ(x.dtype(), dt);
    EXPECT_EQ(values(x), (std::vector<double>{1, 0, 1}));
  }
  EXPECT_ARRAY_EQ(copy(array(2.5f), device), std::vector<float>{2.5}, Shape{});
  EXPECT_ARRAY_EQ(copy(array(std::vector<float>{}, {0, 2}), device), std::vector<float>{},
                  Shape{0, 2});
}

// Transposing copies large enough for the CPU's tiled path (sizes not multiples of the tile,
// several dtypes, a dtype conversion on the way, and a 4-D permutation with an outer dimension).
DEVICE_TEST(Contiguous, LargeTransposesAndPermutations) {
  const int R = 37, C = 45;
  for (Dtype t : {float32, int8, bfloat16, float64}) {
    SCOPED_TRACE(tandem::dtype_name(t));
    array a = astype(reshape(arange(R * C, device), {R, C}, device), t, device);
    array r = contiguous(transpose(a, device), false, device);
    std::vector<double> want(R * C);
    for (int i = 0; i < C; ++i)
      for (int j = 0; j < R; ++j)
        want[i * R + j] = t == int8 ? static_cast<double>(static_cast<int8_t>(j * C + i))
                                    : static_cast<double>(j * C + i);
    if (t == bfloat16) {
      for (auto& w : want)
        w = static_cast<double>(static_cast<float>(tandem::bfloat16_t(static_cast<float>(w))));
    }
    EXPECT_EQ(r.shape(), (Shape{C, R}));
    EXPECT_EQ(tandem_test::values(r), want);
    // A conversion while transposing.
    EXPECT_EQ(tandem_test::values(astype(transpose(a, device), float32, device)), want);
  }
  // (2, 9, 11, 13) -> (2, 13, 9, 11): the contiguous source axis 3 becomes an outer one.
  Shape s{2, 9, 11, 13};
  array x = reshape(arange(2 * 9 * 11 * 13, float32, device), s, device);
  array y = contiguous(transpose(x, {0, 3, 1, 2}, device), false, device);
  std::vector<double> want;
  for (int a0 = 0; a0 < 2; ++a0)
    for (int a3 = 0; a3 < 13; ++a3)
      for (int a1 = 0; a1 < 9; ++a1)
        for (int a2 = 0; a2 < 11; ++a2)
          want.push_back(((a0 * 9 + a1) * 11 + a2) * 13 + a3);
  EXPECT_EQ(y.shape(), (Shape{2, 13, 9, 11}));
  EXPECT_EQ(tandem_test::values(y), want);
}

DEVICE_TEST(Contiguous, CopiesOnlyWhenNeeded) {
  array a = iota(6, {2, 3});
  a.eval();
  EXPECT_EQ(contiguous(a, false, device).id(), a.id());
  // Transposed: a row-major copy, unless column-major is allowed.
  array t = transpose(a, device);
  array r = contiguous(t, false, device);
  EXPECT_ARRAY_EQ(r, std::vector<int>{0, 3, 1, 4, 2, 5}, Shape{3, 2});
  EXPECT_TRUE(r.flags().row_contiguous);
  EXPECT_EQ(r.strides(), (Strides{2, 1}));
  EXPECT_NE(r.data<int>(), a.data<int>());
  array c = contiguous(t, true, device);
  c.eval();
  EXPECT_TRUE(c.flags().col_contiguous);
  EXPECT_EQ(c.data<int>(), a.data<int>());  // shared, no copy
  EXPECT_ARRAY_EQ(c, std::vector<int>{0, 3, 1, 4, 2, 5}, Shape{3, 2});
  // Lazy row-contiguous input: shares the computed buffer.
  array l = a * 2;
  array lc = contiguous(l, false, device);
  eval(l, lc);
  EXPECT_EQ(lc.data<int>(), l.data<int>());
  EXPECT_ARRAY_EQ(lc, std::vector<int>{0, 2, 4, 6, 8, 10}, Shape{2, 3});
  // Broadcast and strided inputs are materialised.
  array b = contiguous(broadcast_to(array({7, 8}), {3, 2}, device), false, device);
  EXPECT_ARRAY_EQ(b, std::vector<int>{7, 8, 7, 8, 7, 8}, Shape{3, 2});
  EXPECT_EQ(b.strides(), (Strides{2, 1}));
  array s = contiguous(slice(iota(10), {0}, {10}, {3}, device), false, device);
  EXPECT_ARRAY_EQ(s, std::vector<int>{0, 3, 6, 9}, Shape{4});
  EXPECT_TRUE(s.flags().row_contiguous);
  EXPECT_EQ(s.strides(), Strides{1});
}

DEVICE_TEST(ViewsGpu, MatchesCpu) {
  EXPECT_MATCHES_CPU([](Device d) {
    return copy(
        slice(transpose(make({1, 2, 3, 4, 5, 6}, {2, 3}, float32), d), {2, 0}, {-4, 2}, {-1, 1}, d),
        d);
  });
  EXPECT_MATCHES_CPU([](Device d) { return astype(make({1.5, -2.5}, bfloat16), float16, d); });
}
