// Copyright © 2026 Tandem authors.
// Sorting, selection and scan ops (src/ops/sort_scan.cpp): hand-computed values, properties
// checked against host references, every dtype family, memory layouts, errors, gradients against
// central finite differences in float64, and vmap against a loop over the batch.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include "harness.h"

using namespace tandem;
using tandem_test::layouts;
using tandem_test::make;
using tandem_test::values;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// ---------------- host references ----------------

// NaN-last strict order on doubles.
bool host_less(double a, double b) {
  if (std::isnan(a)) return false;
  if (std::isnan(b)) return true;
  return a < b;
}

struct Rows {
  int64_t outer = 1, n = 1, inner = 1;
  Rows(const Shape& shape, int axis) {
    for (int d = 0; d < static_cast<int>(shape.size()); ++d) {
      if (d < axis) outer *= shape[d];
      if (d > axis) inner *= shape[d];
    }
    n = shape[axis];
  }
  int64_t at(int64_t o, int64_t i, int64_t j) const { return (o * n + i) * inner + j; }
};

// Apply `f(row values) -> row values` to every row along `axis` of row-major `v`.
std::vector<double> host_rows(const std::vector<double>& v, const Shape& shape, int axis,
                              const std::function<std::vector<double>(std::vector<double>)>& f) {
  Rows r(shape, axis);
  std::vector<double> out(v.size());
  for (int64_t o = 0; o < r.outer; ++o) {
    for (int64_t j = 0; j < r.inner; ++j) {
      std::vector<double> row(r.n);
      for (int64_t i = 0; i < r.n; ++i)
        row[i] = v[r.at(o, i, j)];
      row = f(row);
      for (int64_t i = 0; i < r.n; ++i)
        out[r.at(o, i, j)] = row[i];
    }
  }
  return out;
}

std::vector<double> host_sort(const std::vector<double>& v, const Shape& shape, int axis) {
  return host_rows(v, shape, axis, [](std::vector<double> row) {
    std::stable_sort(row.begin(), row.end(), host_less);
    return row;
  });
}

std::vector<double> host_argsort(const std::vector<double>& v, const Shape& shape, int axis) {
  return host_rows(v, shape, axis, [](std::vector<double> row) {
    std::vector<double> idx(row.size());
    std::iota(idx.begin(), idx.end(), 0.0);
    std::stable_sort(idx.begin(), idx.end(), [&](double a, double b) {
      return host_less(row[static_cast<size_t>(a)], row[static_cast<size_t>(b)]);
    });
    return idx;
  });
}

// Inclusive forward/reverse, inclusive/exclusive scans with a binary op and identity.
std::vector<double> host_scan(const std::vector<double>& v, const Shape& shape, int axis,
                              const std::function<double(double, double)>& op, double identity,
                              bool reverse, bool inclusive) {
  return host_rows(v, shape, axis, [&](std::vector<double> row) {
    std::vector<double> out(row.size());
    double acc = identity;
    for (size_t k = 0; k < row.size(); ++k) {
      size_t i = reverse ? row.size() - 1 - k : k;
      if (inclusive) {
        acc = op(acc, row[i]);
        out[i] = acc;
      } else {
        out[i] = acc;
        acc = op(acc, row[i]);
      }
    }
    return out;
  });
}

std::vector<double> rand_vals(size_t n, double lo, double hi, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> d(lo, hi);
  std::vector<double> v(n);
  for (auto& x : v)
    x = d(gen);
  return v;
}

std::vector<double> rand_ints(size_t n, int lo, int hi, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> d(lo, hi);
  std::vector<double> v(n);
  for (auto& x : v)
    x = d(gen);
  return v;
}

// n distinct values (pairwise >= gap apart) in random order: sort is differentiable there.
std::vector<double> rand_distinct(size_t n, uint32_t seed, double gap = 0.05) {
  std::vector<double> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = -1.0 + gap * 2 * static_cast<double>(i) + 0.3 * gap * std::sin(1.0 + i);
  std::mt19937 gen(seed);
  std::shuffle(v.begin(), v.end(), gen);
  return v;
}

std::vector<double> as_vector(const array& a) {
  return values(a);
}

// ---------------- finite differences (float64) ----------------

using UFn = std::function<array(const array&)>;

// Central-difference Jacobian J[out_k][in_i] of f at x (float64).
std::vector<std::vector<double>> fd_jacobian(const UFn& f, const std::vector<double>& x,
                                             const Shape& shape, double h = 1e-6) {
  array y0 = f(array(x, shape, float64));
  size_t m = y0.size();
  std::vector<std::vector<double>> J(m, std::vector<double>(x.size()));
  for (size_t i = 0; i < x.size(); ++i) {
    std::vector<double> xp = x, xm = x;
    xp[i] += h;
    xm[i] -= h;
    auto fp = values(f(array(xp, shape, float64)));
    auto fm = values(f(array(xm, shape, float64)));
    // Outputs that do not move (e.g. the -inf identity slot of an exclusive cummax) have 0.
    for (size_t k = 0; k < m; ++k)
      J[k][i] = fp[k] == fm[k] ? 0.0 : (fp[k] - fm[k]) / (2 * h);
  }
  return J;
}

// vjp and jvp of f at x against J^T c and J t for seeded random c and t.
::testing::AssertionResult check_grads(const UFn& f, const std::vector<double>& x,
                                       const Shape& shape, double tol = 1e-5, uint32_t seed = 7) {
  auto J = fd_jacobian(f, x, shape);
  array xa(x, shape, float64);
  array y = f(xa);
  auto c = rand_vals(y.size(), -1, 1, seed);
  auto t = rand_vals(x.size(), -1, 1, seed + 1);
  auto [out_v, g] = vjp(f, xa, array(c, y.shape(), float64));
  auto [out_j, jt] = jvp(f, xa, array(t, shape, float64));
  if (g.shape() != shape) {
    return ::testing::AssertionFailure() << "vjp shape " << shape_to_string(g.shape());
  }
  if (jt.shape() != y.shape()) {
    return ::testing::AssertionFailure() << "jvp shape " << shape_to_string(jt.shape());
  }
  auto gv = values(g), jv = values(jt);
  for (size_t i = 0; i < x.size(); ++i) {
    double e = 0;
    for (size_t k = 0; k < J.size(); ++k)
      e += J[k][i] * c[k];
    if (!(std::abs(gv[i] - e) <= tol * (1 + std::abs(e)))) {
      return ::testing::AssertionFailure()
             << "vjp element " << i << ": " << gv[i] << " vs finite differences " << e;
    }
  }
  for (size_t k = 0; k < J.size(); ++k) {
    double e = 0;
    for (size_t i = 0; i < x.size(); ++i)
      e += J[k][i] * t[i];
    if (!(std::abs(jv[k] - e) <= tol * (1 + std::abs(e)))) {
      return ::testing::AssertionFailure()
             << "jvp element " << k << ": " << jv[k] << " vs finite differences " << e;
    }
  }
  return ::testing::AssertionSuccess();
}

// vmap(f, in_axis) against stacking f applied to each slice along in_axis.
::testing::AssertionResult check_vmap(const UFn& f, const array& x, int in_axis) {
  array got = vmap(f, in_axis, 0)(x);
  std::vector<array> parts;
  for (int b = 0; b < x.shape()[in_axis]; ++b) {
    Shape st(x.ndim(), 0), en = x.shape();
    st[in_axis] = b;
    en[in_axis] = b + 1;
    parts.push_back(f(squeeze(slice(x, st, en), in_axis)));
  }
  array want = stack(parts, 0);
  if (got.shape() != want.shape()) {
    return ::testing::AssertionFailure() << "vmap shape " << shape_to_string(got.shape())
                                         << " != loop shape " << shape_to_string(want.shape());
  }
  if (got.dtype() != want.dtype()) {
    return ::testing::AssertionFailure() << "vmap dtype " << got.dtype() << " != " << want.dtype();
  }
  return tandem_test::array_close(got, values(want), want.shape(), 1e-12, 1e-12);
}

}  // namespace

// =====================================================================================
// Sort / argsort
// =====================================================================================

DEVICE_TEST(SortOps, HandComputed) {
  array a = make({3, 1, 2}, float32);
  EXPECT_ARRAY_EQ(sort(a, 0, device), std::vector<float>{1, 2, 3}, Shape{3}, float32);
  EXPECT_ARRAY_EQ(argsort(a, 0, device), std::vector<uint32_t>{1, 2, 0}, Shape{3}, uint32);

  array m = make({3, 1, 2, 0, 5, 4}, {2, 3}, float32);
  EXPECT_ARRAY_EQ(sort(m, 1, device), std::vector<float>{1, 2, 3, 0, 4, 5}, Shape{2, 3});
  EXPECT_ARRAY_EQ(sort(m, -1, device), std::vector<float>{1, 2, 3, 0, 4, 5}, Shape{2, 3});
  EXPECT_ARRAY_EQ(sort(m, 0, device), std::vector<float>{0, 1, 2, 3, 5, 4}, Shape{2, 3});
  EXPECT_ARRAY_EQ(argsort(m, 0, device), std::vector<uint32_t>{1, 0, 0, 0, 1, 1}, Shape{2, 3});
  EXPECT_ARRAY_EQ(argsort(m, 1, device), std::vector<uint32_t>{1, 2, 0, 0, 2, 1}, Shape{2, 3});
  // Flattened.
  EXPECT_ARRAY_EQ(sort(m, device), std::vector<float>{0, 1, 2, 3, 4, 5}, Shape{6});
  EXPECT_ARRAY_EQ(argsort(m, device), std::vector<uint32_t>{3, 1, 2, 0, 5, 4}, Shape{6});
}

DEVICE_TEST(SortOps, Stable) {
  array a = make({2, 1, 2, 1, 2, 0, 1}, int32);
  EXPECT_ARRAY_EQ(argsort(a, 0, device), std::vector<uint32_t>{5, 1, 3, 6, 0, 2, 4}, Shape{7});
  // -0.0 and 0.0 compare equal: they keep their order.
  array z = make({0.0, -0.0, 0.0, -1.0}, float32);
  EXPECT_ARRAY_EQ(argsort(z, 0, device), std::vector<uint32_t>{3, 0, 1, 2}, Shape{4});
  auto sv = sort(z, 0, device).to_vector<float>();
  EXPECT_FALSE(std::signbit(sv[1]));
  EXPECT_TRUE(std::signbit(sv[2]));
  // Long runs of equal keys along a non-last axis.
  auto v = rand_ints(40 * 3, 0, 3, 11);
  array b = make(v, {40, 3}, float64);
  EXPECT_ARRAY_EQ(argsort(b, 0, device), host_argsort(v, {40, 3}, 0), Shape{40, 3});
}

DEVICE_TEST(SortOps, NaNLast) {
  array a = make({kNaN, 1, -kInf, kNaN, 0, kInf}, float32);
  EXPECT_ARRAY_EQ(sort(a, 0, device), std::vector<float>{-INFINITY, 0, 1, INFINITY, NAN, NAN},
                  Shape{6});
  EXPECT_ARRAY_EQ(argsort(a, 0, device), std::vector<uint32_t>{2, 4, 1, 5, 0, 3}, Shape{6});
  for (Dtype t : {float16, bfloat16, float64}) {
    SCOPED_TRACE(dtype_name(t));
    EXPECT_ARRAY_EQ(argsort(make({kNaN, 2, 1}, t), 0, device), std::vector<uint32_t>{2, 1, 0},
                    Shape{3});
  }
}

DEVICE_TEST(SortOps, AllRealDtypes) {
  std::vector<double> v{3, 0, 2, 1, 3, 5, 4, 100, 7, 1, 0, 6};
  for (Dtype t : tandem_test::all_dtypes()) {
    if (t == complex64) continue;
    SCOPED_TRACE(dtype_name(t));
    array a = make(v, {3, 4}, t);
    auto in = values(a);  // the values as the dtype holds them
    array s0 = sort(a, 0, device), s1 = sort(a, 1, device);
    EXPECT_EQ(s0.dtype(), t);
    EXPECT_TRUE(tandem_test::array_close(s0, host_sort(in, {3, 4}, 0), {3, 4}, 0, 0));
    EXPECT_TRUE(tandem_test::array_close(s1, host_sort(in, {3, 4}, 1), {3, 4}, 0, 0));
    EXPECT_ARRAY_EQ(argsort(a, 1, device), host_argsort(in, {3, 4}, 1), Shape{3, 4});
  }
  // Signed and extreme values.
  array i8 = make({-128, 127, -1, 0, 5}, int8);
  EXPECT_ARRAY_EQ(sort(i8, 0, device), std::vector<int8_t>{-128, -1, 0, 5, 127}, Shape{5});
  array u64 = array({uint64_t(1) << 63, uint64_t(3), uint64_t(0)});
  EXPECT_ARRAY_EQ(sort(u64, 0, device), std::vector<uint64_t>{0, 3, uint64_t(1) << 63}, Shape{3});
  array b = make({1, 0, 1, 0}, bool_);
  EXPECT_ARRAY_EQ(sort(b, 0, device), std::vector<bool>{false, false, true, true}, Shape{4});
  EXPECT_ARRAY_EQ(argsort(b, 0, device), std::vector<uint32_t>{1, 3, 0, 2}, Shape{4});
}

DEVICE_TEST(SortOps, Complex64Lexicographic) {
  using c = complex64_t;
  float nan = NAN;
  array a = array({c(1, 2), c(nan, 0), c(1, -1), c(0, 5), c(1, nan), c(-1, 0), c(nan, nan)});
  EXPECT_ARRAY_EQ(argsort(a, 0, device), std::vector<uint32_t>{5, 3, 2, 0, 4, 1, 6}, Shape{7});
  auto s = sort(a, 0, device).to_vector<c>();
  EXPECT_EQ(s[0], c(-1, 0));
  EXPECT_EQ(s[3], c(1, 2));
  // partition / searchsorted use the same order.
  array sorted = array({c(0, 0), c(1, 0), c(1, 1), c(2, -5)});
  EXPECT_ARRAY_EQ(searchsorted(sorted, array({c(1, 0.5f), c(1, 0)}), "left", device),
                  std::vector<uint32_t>{2, 1}, Shape{2});
  EXPECT_EQ(values(argpartition(a, 2, 0, device))[2], 2);
  EXPECT_EQ(values(argpartition(a, -1, 0, device))[6], 6);
}

DEVICE_TEST(SortOps, ArgsortGathersToSort) {
  Shape shape{6, 5, 4};
  auto v = rand_ints(120, -5, 5, 3);  // many ties
  array a = make(v, shape, float32);
  for (int axis = 0; axis < 3; ++axis) {
    SCOPED_TRACE("axis " + std::to_string(axis));
    auto sorted = values(sort(a, axis, device));
    auto idx = values(argsort(a, axis, device));
    Rows r(shape, axis);
    for (int64_t o = 0; o < r.outer; ++o) {
      for (int64_t j = 0; j < r.inner; ++j) {
        std::vector<bool> seen(r.n, false);
        for (int64_t i = 0; i < r.n; ++i) {
          auto k = static_cast<int64_t>(idx[r.at(o, i, j)]);
          ASSERT_LT(k, r.n);
          EXPECT_FALSE(seen[k]) << "not a permutation";
          seen[k] = true;
          EXPECT_EQ(v[r.at(o, k, j)], sorted[r.at(o, i, j)]);
          if (i > 0) EXPECT_LE(sorted[r.at(o, i - 1, j)], sorted[r.at(o, i, j)]);
        }
      }
    }
  }
}

DEVICE_TEST(SortOps, Layouts) {
  std::vector<double> v{5, -1, 3, 3, 0, 7, -2, 9, 1, 4, 2, 8};
  for (Dtype t : {float32, int32, float16}) {
    for (auto& c : layouts(v, t)) {
      SCOPED_TRACE(c.name + " " + dtype_name(t));
      if (c.shape.empty()) {
        EXPECT_ARRAY_EQ(sort(c.input, device), std::vector<double>{c.vals[0]}, Shape{1});
        continue;
      }
      int axis = static_cast<int>(c.shape.size()) - 1;
      EXPECT_ARRAY_EQ(sort(c.input, axis, device), host_sort(c.vals, c.shape, axis), c.shape);
      EXPECT_ARRAY_EQ(argsort(c.input, 0, device), host_argsort(c.vals, c.shape, 0), c.shape);
      EXPECT_ARRAY_EQ(cumsum(c.input, 0, false, true, device),
                      host_scan(c.vals, c.shape, 0, std::plus<double>(), 0, false, true), c.shape);
      EXPECT_ARRAY_EQ(cummax(c.input, axis, true, false, device),
                      host_scan(
                          c.vals, c.shape, axis, [](double a, double b) { return std::max(a, b); },
                          t == int32 ? -2147483648.0 : -kInf, true, false),
                      c.shape);
    }
  }
}

DEVICE_TEST(SortOps, EmptyAndZeroDim) {
  array e = zeros({0, 3}, float32);
  EXPECT_EQ(sort(e, 0, device).shape(), (Shape{0, 3}));
  EXPECT_EQ(sort(e, 1, device).shape(), (Shape{0, 3}));
  EXPECT_EQ(argsort(e, 1, device).shape(), (Shape{0, 3}));
  EXPECT_EQ(sort(e, device).shape(), (Shape{0}));
  sort(e, 0, device).eval();
  argsort(e, device).eval();
  EXPECT_EQ(topk(e, 0, 0, device).shape(), (Shape{0, 3}));
  EXPECT_EQ(partition(e, 1, 1, device).shape(), (Shape{0, 3}));
  partition(e, 1, 1, device).eval();

  array s = array(4.0f);
  EXPECT_ARRAY_EQ(sort(s, device), std::vector<float>{4}, Shape{1});
  EXPECT_ARRAY_EQ(argsort(s, device), std::vector<uint32_t>{0}, Shape{1});
  EXPECT_ARRAY_EQ(topk(s, 1, device), std::vector<float>{4}, Shape{1});
  EXPECT_THROW_MSG(sort(s, 0, device), std::invalid_argument,
                   "[sort] Invalid axis 0 for array with 0 dimensions");
  EXPECT_THROW_MSG(argsort(s, -1, device), std::invalid_argument, "[argsort] Invalid axis -1");
  EXPECT_THROW_MSG(partition(s, 0, 0, device), std::invalid_argument, "[partition] Invalid axis");
}

DEVICE_TEST(SortOps, LongRows) {
  // Few long rows: each row is sorted in chunks across threads, then merged (must stay stable).
  auto v = rand_ints(150001, 0, 999, 29);
  for (size_t i = 0; i < v.size(); i += 997)
    v[i] = kNaN;
  array a = make(v, {150001}, float32);
  EXPECT_ARRAY_EQ(argsort(a, 0, device), host_argsort(v, {150001}, 0), Shape{150001});
  EXPECT_ARRAY_EQ(sort(a, 0, device), host_sort(v, {150001}, 0), Shape{150001});
  auto p = values(partition(a, 75000, 0, device));
  auto ref = host_sort(v, {150001}, 0);
  EXPECT_EQ(p[75000], ref[75000]);
  auto w = rand_ints(2 * 70000, -50, 50, 30);
  array b = make(w, {70000, 2}, int16);
  EXPECT_ARRAY_EQ(argsort(b, 0, device), host_argsort(w, {70000, 2}, 0), Shape{70000, 2});
}

TEST(SortOps, Errors) {
  array a = zeros({2, 3});
  EXPECT_THROW_MSG(sort(a, 2), std::invalid_argument,
                   "[sort] Invalid axis 2 for array with 2 dimensions.");
  EXPECT_THROW_MSG(argsort(a, -3), std::invalid_argument, "[argsort] Invalid axis -3");
  EXPECT_THROW_MSG(partition(a, 3, 1), std::invalid_argument,
                   "[partition] Invalid kth 3 along axis 1 of extent 3 (input shape (2,3))");
  EXPECT_THROW_MSG(partition(a, -4, 1), std::invalid_argument, "[partition] Invalid kth -4");
  EXPECT_THROW_MSG(argpartition(a, 2, 0), std::invalid_argument,
                   "[argpartition] Invalid kth 2 along axis 0 of extent 2");
  EXPECT_THROW_MSG(argpartition(a, 0, 5), std::invalid_argument, "[argpartition] Invalid axis 5");
  EXPECT_THROW_MSG(partition(zeros({0}), 0), std::invalid_argument, "[partition] Invalid kth 0");
  EXPECT_THROW_MSG(topk(a, 4, 1), std::invalid_argument,
                   "[topk] Invalid k=4 along axis 1 of extent 3");
  EXPECT_THROW_MSG(topk(a, -1), std::invalid_argument, "[topk] Invalid k=-1");
  EXPECT_THROW_MSG(topk(a, 1, 2), std::invalid_argument, "[topk] Invalid axis 2");
  EXPECT_THROW_MSG(searchsorted(a, array(1.0f)), std::invalid_argument,
                   "[searchsorted] The sorted array must be 1-dimensional; got shape (2,3).");
  EXPECT_THROW_MSG(searchsorted(zeros({3}), array(1.0f), "middle"), std::invalid_argument,
                   "[searchsorted] side must be \"left\" or \"right\"; got \"middle\".");
}

// =====================================================================================
// partition / argpartition / topk
// =====================================================================================

DEVICE_TEST(SortPartition, Property) {
  Shape shape{7, 9};
  auto v = rand_ints(63, 0, 6, 5);
  v[4] = kNaN;
  v[20] = kNaN;
  for (Dtype t : {float32, float64, int16, bfloat16}) {
    std::vector<double> vt = v;
    if (t == int16) {
      vt[4] = 3;
      vt[20] = 3;
    }
    array a = make(vt, shape, t);
    auto in = values(a);
    for (int axis : {0, 1}) {
      int n = shape[axis];
      for (int kth : {0, 1, n / 2, n - 1, -1, -n}) {
        SCOPED_TRACE(dtype_name(t) + " axis " + std::to_string(axis) + " kth " +
                     std::to_string(kth));
        int k = kth < 0 ? kth + n : kth;
        auto p = values(partition(a, kth, axis, device));
        auto idx = values(argpartition(a, kth, axis, device));
        auto ref = host_sort(in, shape, axis);
        Rows r(shape, axis);
        for (int64_t o = 0; o < r.outer; ++o) {
          for (int64_t j = 0; j < r.inner; ++j) {
            double pivot = p[r.at(o, k, j)];
            double want = ref[r.at(o, k, j)];
            EXPECT_TRUE(pivot == want || (std::isnan(pivot) && std::isnan(want)));
            std::vector<double> got_row, ref_row;
            for (int64_t i = 0; i < r.n; ++i) {
              double x = p[r.at(o, i, j)];
              if (i < k) EXPECT_FALSE(host_less(pivot, x)) << "element before kth is larger";
              if (i > k) EXPECT_FALSE(host_less(x, pivot)) << "element after kth is smaller";
              // argpartition gathers to partition exactly.
              double g = in[r.at(o, static_cast<int64_t>(idx[r.at(o, i, j)]), j)];
              EXPECT_TRUE(g == x || (std::isnan(g) && std::isnan(x)));
              got_row.push_back(x);
              ref_row.push_back(ref[r.at(o, i, j)]);
            }
            std::sort(got_row.begin(), got_row.end(), host_less);
            for (size_t i = 0; i < got_row.size(); ++i) {
              EXPECT_TRUE(got_row[i] == ref_row[i] ||
                          (std::isnan(got_row[i]) && std::isnan(ref_row[i])))
                  << "partition is not a permutation";
            }
          }
        }
      }
    }
  }
  // Flattened overloads.
  array m = make({5, 1, 4, 2, 3, 0}, {2, 3}, int32);
  EXPECT_EQ(values(partition(m, 2, device))[2], 2);
  EXPECT_EQ(values(argpartition(m, -1, device))[5], 0);
}

DEVICE_TEST(SortTopK, Values) {
  array a = make({5, 1, 4, 2, 3}, float32);
  EXPECT_ARRAY_EQ(topk(a, 2, device), std::vector<float>{4, 5}, Shape{2});
  EXPECT_ARRAY_EQ(topk(a, 1, 0, device), std::vector<float>{5}, Shape{1});
  EXPECT_ARRAY_EQ(topk(a, 5, 0, device), std::vector<float>{1, 2, 3, 4, 5}, Shape{5});
  EXPECT_EQ(topk(a, 0, 0, device).shape(), (Shape{0}));
  array m = make({3, 9, 1, 7, 2, 8, 6, 5, 4, 0, 11, 10}, {3, 4}, int32);
  EXPECT_ARRAY_EQ(topk(m, 2, 1, device), std::vector<int32_t>{7, 9, 6, 8, 10, 11}, Shape{3, 2});
  EXPECT_ARRAY_EQ(topk(m, 2, 0, device), std::vector<int32_t>{3, 8, 6, 7, 4, 9, 11, 10},
                  Shape{2, 4});
  EXPECT_ARRAY_EQ(topk(m, 3, device), std::vector<int32_t>{9, 10, 11}, Shape{3});
  // NaN counts as the largest.
  EXPECT_ARRAY_EQ(topk(make({1, kNaN, 3}, float32), 2, device), std::vector<float>{3, NAN},
                  Shape{2});
  // Larger random rows against a host sort.
  auto v = rand_vals(50 * 37, -10, 10, 9);
  array r = make(v, {50, 37}, float64);
  auto ref = host_sort(v, {50, 37}, 1);
  auto got = values(topk(r, 5, 1, device));
  for (int i = 0; i < 50; ++i) {
    for (int j = 0; j < 5; ++j)
      EXPECT_EQ(got[i * 5 + j], ref[i * 37 + 32 + j]);
  }
}

// =====================================================================================
// searchsorted
// =====================================================================================

DEVICE_TEST(SortSearchSorted, LeftRight) {
  array a = make({1, 2, 2, 3, 5}, float32);
  array v = make({0, 1, 2, 2.5, 3, 5, 6}, float32);
  EXPECT_ARRAY_EQ(searchsorted(a, v, "left", device), std::vector<uint32_t>{0, 0, 1, 3, 3, 4, 5},
                  Shape{7}, uint32);
  EXPECT_ARRAY_EQ(searchsorted(a, v, "right", device), std::vector<uint32_t>{0, 1, 3, 3, 4, 5, 5},
                  Shape{7}, uint32);
  EXPECT_ARRAY_EQ(searchsorted(a, v, "left", device), std::vector<uint32_t>{0, 0, 1, 3, 3, 4, 5},
                  Shape{7});
  // v of any shape; 0-d v gives a 0-d result.
  array v2 = make({2, 0, 6, 3}, {2, 2}, float32);
  EXPECT_ARRAY_EQ(searchsorted(a, v2, "right", device), std::vector<uint32_t>{3, 0, 5, 4},
                  Shape{2, 2});
  EXPECT_ARRAY_EQ(searchsorted(a, array(2.0f), "left", device), std::vector<uint32_t>{1}, Shape{});
  // Promotion: int array, float values.
  EXPECT_ARRAY_EQ(searchsorted(make({1, 3, 5}, int32), make({2.5, 3}, float32), "left", device),
                  std::vector<uint32_t>{1, 1}, Shape{2});
  // NaN sorts last, and equals NaN.
  array an = make({1, 2, kNaN}, float64);
  EXPECT_ARRAY_EQ(searchsorted(an, make({kNaN, 3, -kInf}, float64), "left", device),
                  std::vector<uint32_t>{2, 2, 0}, Shape{3});
  EXPECT_ARRAY_EQ(searchsorted(an, make({kNaN, 3}, float64), "right", device),
                  std::vector<uint32_t>{3, 2}, Shape{2});
  // Empty a, empty v, non-contiguous inputs.
  EXPECT_ARRAY_EQ(searchsorted(zeros({0}), make({1, 2}, float32), "left", device),
                  std::vector<uint32_t>{0, 0}, Shape{2});
  EXPECT_EQ(searchsorted(a, zeros({0, 2}), "left", device).shape(), (Shape{0, 2}));
  array strided = slice(make({1, 9, 2, 9, 3, 9, 4, 9}, float32), {0}, {8}, {2});  // 1 2 3 4
  array vt = transpose(make({0, 1.5, 2.5, 5}, {2, 2}, float32));                  // 0 2.5 1.5 5
  EXPECT_ARRAY_EQ(searchsorted(strided, vt, "left", device), std::vector<uint32_t>{0, 2, 1, 4},
                  Shape{2, 2});
  // Every real dtype.
  for (Dtype t : tandem_test::all_dtypes()) {
    if (t == complex64 || t == bool_) continue;
    SCOPED_TRACE(dtype_name(t));
    EXPECT_ARRAY_EQ(searchsorted(make({1, 3, 3, 7}, t), make({3, 8, 0}, t), "right", device),
                    std::vector<uint32_t>{3, 4, 0}, Shape{3});
  }
  EXPECT_ARRAY_EQ(searchsorted(make({0, 1, 1}, bool_), make({1}, bool_), "left", device),
                  std::vector<uint32_t>{1}, Shape{1});
}

// =====================================================================================
// median
// =====================================================================================

DEVICE_TEST(SortMedian, Values) {
  EXPECT_ARRAY_EQ(median(make({3, 1, 2}, float32), device), std::vector<float>{2}, Shape{});
  EXPECT_ARRAY_EQ(median(make({4, 1, 3, 2}, float32), device), std::vector<float>{2.5}, Shape{});
  array m = make({1, 5, 2, 8, 3, 4, 9, 0, 7, 6, 11, 10}, {3, 4}, float32);
  EXPECT_ARRAY_EQ(median(m, 0, false, device), std::vector<float>{3, 5, 9, 8}, Shape{4});
  EXPECT_ARRAY_EQ(median(m, 1, true, device), std::vector<float>{3.5, 3.5, 8.5}, Shape{3, 1});
  EXPECT_ARRAY_EQ(median(m, true, device), std::vector<float>{5.5}, Shape{1, 1});
  EXPECT_ARRAY_EQ(median(m, std::vector<int>{0, 1}, false, device), std::vector<float>{5.5},
                  Shape{});
  // Axes that are not adjacent / not last.
  auto v = rand_vals(2 * 3 * 5, -3, 3, 21);
  array c = make(v, {2, 3, 5}, float64);
  auto got = values(median(c, std::vector<int>{0, 2}, false, device));
  for (int j = 0; j < 3; ++j) {
    std::vector<double> sl;
    for (int i = 0; i < 2; ++i) {
      for (int k = 0; k < 5; ++k)
        sl.push_back(v[(i * 3 + j) * 5 + k]);
    }
    std::sort(sl.begin(), sl.end());
    EXPECT_DOUBLE_EQ(got[j], 0.5 * (sl[4] + sl[5]));
  }
  // Integers give float32; NaN gives NaN; empty gives NaN; float16 keeps float16.
  array ints = make({1, 2, 3, 4}, int32);
  EXPECT_ARRAY_EQ(median(ints, device), std::vector<float>{2.5}, Shape{}, float32);
  EXPECT_ARRAY_EQ(median(make({1, 0}, bool_), device), std::vector<float>{0.5}, Shape{}, float32);
  array withnan = make({1, kNaN, 3, 2, 5, 4}, {2, 3}, float32);
  EXPECT_ARRAY_EQ(median(withnan, 1, false, device), std::vector<float>{NAN, 4}, Shape{2});
  EXPECT_ARRAY_EQ(median(zeros({0, 2}), 0, false, device), std::vector<float>{NAN, NAN}, Shape{2});
  array big = make({60000, 65000, 1, 65504}, float16);
  EXPECT_ARRAY_CLOSE(median(big, device), std::vector<double>{62500}, Shape{}, 1e-3, 0);
  EXPECT_EQ(median(big, device).dtype(), float16);
  // Non-contiguous input.
  EXPECT_ARRAY_EQ(median(transpose(m), 1, false, device), std::vector<float>{3, 5, 9, 8}, Shape{4});
  // 0-d input: no axes to reduce.
  EXPECT_ARRAY_EQ(median(array(3), device), std::vector<float>{3}, Shape{});
}

TEST(SortMedian, Errors) {
  EXPECT_THROW_MSG(median(zeros({2}, complex64)), std::invalid_argument,
                   "[median] Not supported for complex64.");
  EXPECT_THROW_MSG(median(zeros({2, 3}), 2), std::invalid_argument, "[median] Invalid axis 2");
  EXPECT_THROW_MSG(median(zeros({2, 3}), std::vector<int>{0, 0}), std::invalid_argument,
                   "[median]");
}

// =====================================================================================
// Sort-family gradients and vmap
// =====================================================================================

TEST(SortGrad, SortPartitionTopkMedian) {
  Shape shape{4, 5};
  auto x = rand_distinct(20, 3);
  std::vector<std::pair<std::string, UFn>> fns = {
      {"sort0", [](const array& a) { return sort(a, 0); }},
      {"sort1", [](const array& a) { return sort(a, 1); }},
      {"sort_flat", [](const array& a) { return sort(a); }},
      {"sort_nonlinear", [](const array& a) { return multiply(sort(a, 1), exp(a)); }},
      {"partition0", [](const array& a) { return partition(a, 2, 0); }},
      {"partition1", [](const array& a) { return partition(a, -2, 1); }},
      {"topk1", [](const array& a) { return topk(a, 2, 1); }},
      {"topk0", [](const array& a) { return square(topk(a, 3, 0)); }},
      {"median0", [](const array& a) { return median(a, 0); }},
      {"median1", [](const array& a) { return median(a, 1, true); }},
      {"median_all", [](const array& a) { return median(a); }},
  };
  for (auto& [name, f] : fns) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(check_grads(f, x, shape));
  }
  // Integer outputs have zero derivatives.
  array xa(x, shape, float64);
  auto [o, g] =
      vjp([](const array& a) { return astype(argsort(a, 1), float64); }, xa, ones({4, 5}, float64));
  EXPECT_ARRAY_EQ(g, std::vector<double>(20, 0.0), shape);
  // grad of a sorted-weighted sum: each element gets the weight of its rank.
  auto gw = grad([](const array& a) { return sum(multiply(sort(a), arange(3.0, float64))); })(
      array({2.0, 0.0, 1.0}, Shape{3}, float64));
  EXPECT_ARRAY_EQ(gw, std::vector<double>{2, 0, 1}, Shape{3});
}

TEST(SortVmap, MatchesLoop) {
  array x = make(rand_ints(4 * 5 * 3, -4, 4, 13), {4, 5, 3}, float64);
  std::vector<std::pair<std::string, UFn>> fns = {
      {"sort", [](const array& a) { return sort(a, 0); }},
      {"sort_last", [](const array& a) { return sort(a, -1); }},
      {"argsort", [](const array& a) { return argsort(a, 1); }},
      {"partition", [](const array& a) { return partition(a, 1, 0); }},
      {"argpartition", [](const array& a) { return argpartition(a, -1, 1); }},
      {"topk", [](const array& a) { return topk(a, 2, 1); }},
      {"median", [](const array& a) { return median(a, 0); }},
      {"searchsorted_v",
       [](const array& a) {
         return searchsorted(make({-2, 0, 0, 3}, float64), a, "right");
       }},
      {"searchsorted_a",
       [](const array& a) {
         return searchsorted(sort(a), make({-1, 0, 0.5, 2}, float64));
       }},
  };
  for (auto& [name, f] : fns) {
    for (int ax : {0, 1}) {
      SCOPED_TRACE(name + " in_axis " + std::to_string(ax));
      EXPECT_TRUE(check_vmap(f, x, ax));
    }
  }
  // Gradients of a vmapped sort, and vmap of a gradient.
  auto gsort = [](const array& a) {
    return grad([](const array& b) { return sum(multiply(sort(b, 0), arange(3.0, float64))); })(a);
  };
  array d = make(rand_distinct(12, 5), {4, 3}, float64);
  EXPECT_TRUE(check_vmap(gsort, d, 0));
  EXPECT_TRUE(check_vmap(gsort, transpose(d), 1));
}

// =====================================================================================
// Scans
// =====================================================================================

DEVICE_TEST(ScanOps, HandComputed) {
  array a = make({1, 2, 3, 4}, float32);
  // (reverse, inclusive) -> expected
  EXPECT_ARRAY_EQ(cumsum(a, 0, false, true, device), std::vector<float>{1, 3, 6, 10}, Shape{4});
  EXPECT_ARRAY_EQ(cumsum(a, 0, false, false, device), std::vector<float>{0, 1, 3, 6}, Shape{4});
  EXPECT_ARRAY_EQ(cumsum(a, 0, true, true, device), std::vector<float>{10, 9, 7, 4}, Shape{4});
  EXPECT_ARRAY_EQ(cumsum(a, 0, true, false, device), std::vector<float>{9, 7, 4, 0}, Shape{4});

  EXPECT_ARRAY_EQ(cumprod(a, 0, false, true, device), std::vector<float>{1, 2, 6, 24}, Shape{4});
  EXPECT_ARRAY_EQ(cumprod(a, 0, false, false, device), std::vector<float>{1, 1, 2, 6}, Shape{4});
  EXPECT_ARRAY_EQ(cumprod(a, 0, true, true, device), std::vector<float>{24, 24, 12, 4}, Shape{4});
  EXPECT_ARRAY_EQ(cumprod(a, 0, true, false, device), std::vector<float>{24, 12, 4, 1}, Shape{4});

  array b = make({2, 1, 3, 0}, float32);
  EXPECT_ARRAY_EQ(cummax(b, 0, false, true, device), std::vector<float>{2, 2, 3, 3}, Shape{4});
  EXPECT_ARRAY_EQ(cummax(b, 0, false, false, device), std::vector<float>{-INFINITY, 2, 2, 3},
                  Shape{4});
  EXPECT_ARRAY_EQ(cummax(b, 0, true, true, device), std::vector<float>{3, 3, 3, 0}, Shape{4});
  EXPECT_ARRAY_EQ(cummax(b, 0, true, false, device), std::vector<float>{3, 3, 0, -INFINITY},
                  Shape{4});
  EXPECT_ARRAY_EQ(cummin(b, 0, false, true, device), std::vector<float>{2, 1, 1, 0}, Shape{4});
  EXPECT_ARRAY_EQ(cummin(b, 0, false, false, device), std::vector<float>{INFINITY, 2, 1, 1},
                  Shape{4});
  EXPECT_ARRAY_EQ(cummin(b, 0, true, true, device), std::vector<float>{0, 0, 0, 0}, Shape{4});
  EXPECT_ARRAY_EQ(cummin(b, 0, true, false, device), std::vector<float>{0, 0, 0, INFINITY},
                  Shape{4});

  array l = make({0, 0, std::log(2.0)}, float64);
  // log(1) = 0, log(2), log(4)
  EXPECT_ARRAY_CLOSE(logcumsumexp(l, 0, false, true, device),
                     std::vector<double>{0, std::log(2.0), std::log(4.0)}, Shape{3});
  EXPECT_ARRAY_CLOSE(logcumsumexp(l, 0, false, false, device),
                     std::vector<double>{-kInf, 0, std::log(2.0)}, Shape{3});
  EXPECT_ARRAY_CLOSE(logcumsumexp(l, 0, true, true, device),
                     std::vector<double>{std::log(4.0), std::log(3.0), std::log(2.0)}, Shape{3});
  EXPECT_ARRAY_CLOSE(logcumsumexp(l, 0, true, false, device),
                     std::vector<double>{std::log(3.0), std::log(2.0), -kInf}, Shape{3});
  // Stable for large inputs; infinities.
  EXPECT_ARRAY_CLOSE(logcumsumexp(make({1000, 1000}, float32), 0, false, true, device),
                     std::vector<double>{1000, 1000 + std::log(2.0)}, Shape{2});
  EXPECT_ARRAY_EQ(logcumsumexp(make({-kInf, -kInf, kInf, 1}, float32), 0, false, true, device),
                  std::vector<float>{-INFINITY, -INFINITY, INFINITY, INFINITY}, Shape{4});
}

DEVICE_TEST(ScanOps, AxesAndFlattened) {
  array m = make({1, 2, 3, 4, 5, 6}, {2, 3}, int32);
  EXPECT_ARRAY_EQ(cumsum(m, 0, false, true, device), std::vector<int32_t>{1, 2, 3, 5, 7, 9},
                  Shape{2, 3});
  EXPECT_ARRAY_EQ(cumsum(m, 1, false, true, device), std::vector<int32_t>{1, 3, 6, 4, 9, 15},
                  Shape{2, 3});
  EXPECT_ARRAY_EQ(cumsum(m, -1, true, false, device), std::vector<int32_t>{5, 3, 0, 11, 6, 0},
                  Shape{2, 3});
  EXPECT_ARRAY_EQ(cumsum(m, false, true, device), std::vector<int32_t>{1, 3, 6, 10, 15, 21},
                  Shape{6});
  EXPECT_ARRAY_EQ(cumsum(m, true, true, device), std::vector<int32_t>{21, 20, 18, 15, 11, 6},
                  Shape{6});
  EXPECT_ARRAY_EQ(cumsum(m, false, false, device), std::vector<int32_t>{0, 1, 3, 6, 10, 15},
                  Shape{6});
  EXPECT_ARRAY_EQ(cumprod(m, false, true, device), std::vector<int32_t>{1, 2, 6, 24, 120, 720},
                  Shape{6});
  EXPECT_ARRAY_EQ(cummax(make({1, 3, 2}, int32), false, true, device),
                  std::vector<int32_t>{1, 3, 3}, Shape{3});
  EXPECT_ARRAY_EQ(cummin(make({1, 3, 0}, int32), true, true, device), std::vector<int32_t>{0, 0, 0},
                  Shape{3});
  EXPECT_ARRAY_CLOSE(logcumsumexp(make({0, 0}, float32), false, true, device),
                     std::vector<double>{0, std::log(2.0)}, Shape{2});
  // 3-d, middle axis, against the host.
  auto v = rand_vals(3 * 4 * 5, -1, 1, 17);
  array c = make(v, {3, 4, 5}, float64);
  for (bool rev : {false, true}) {
    for (bool inc : {false, true}) {
      EXPECT_ARRAY_CLOSE(cumsum(c, 1, rev, inc, device),
                         host_scan(v, {3, 4, 5}, 1, std::plus<double>(), 0, rev, inc), {3, 4, 5});
      EXPECT_ARRAY_CLOSE(cumprod(c, 1, rev, inc, device),
                         host_scan(v, {3, 4, 5}, 1, std::multiplies<double>(), 1, rev, inc),
                         {3, 4, 5});
      EXPECT_ARRAY_CLOSE(logcumsumexp(c, 1, rev, inc, device),
                         host_scan(
                             v, {3, 4, 5}, 1,
                             [](double a, double b) { return std::log(std::exp(a) + std::exp(b)); },
                             -kInf, rev, inc),
                         {3, 4, 5});
    }
  }
}

DEVICE_TEST(ScanOps, Dtypes) {
  // bool cumsum counts in int32; cumprod of bool is a running and; cummax a running or.
  array b = make({1, 0, 1, 1}, bool_);
  EXPECT_ARRAY_EQ(cumsum(b, 0, false, true, device), std::vector<int32_t>{1, 1, 2, 3}, Shape{4},
                  int32);
  EXPECT_ARRAY_EQ(cumprod(b, 0, false, true, device), std::vector<bool>{true, false, false, false},
                  Shape{4}, bool_);
  EXPECT_ARRAY_EQ(cummax(make({0, 1, 0}, bool_), 0, false, true, device),
                  std::vector<bool>{false, true, true}, Shape{3}, bool_);
  EXPECT_ARRAY_EQ(cummin(make({1, 0, 1}, bool_), 0, false, false, device),
                  std::vector<bool>{true, true, false}, Shape{3}, bool_);
  EXPECT_EQ(logcumsumexp(make({0, 0}, bool_), 0, false, true, device).dtype(), float32);
  EXPECT_EQ(logcumsumexp(make({0, 0}, int64), 0, false, true, device).dtype(), float32);
  // Integers keep their dtype and wrap.
  EXPECT_ARRAY_EQ(cumsum(make({100, 100}, int8), 0, false, true, device),
                  std::vector<int8_t>{100, -56}, Shape{2}, int8);
  EXPECT_ARRAY_EQ(cumprod(make({200, 2}, uint8), 0, false, true, device),
                  std::vector<uint8_t>{200, 144}, Shape{2}, uint8);
  EXPECT_ARRAY_EQ(cummax(make({-5, -7, -1}, int64), 0, false, false, device),
                  std::vector<int64_t>{std::numeric_limits<int64_t>::lowest(), -5, -5}, Shape{3});
  EXPECT_ARRAY_EQ(cummin(make({5, 7, 1}, uint16), 0, false, false, device),
                  std::vector<uint16_t>{65535, 5, 5}, Shape{3});
  // Every numeric dtype: cumsum and cummax of small non-negative values.
  std::vector<double> v{3, 0, 2, 1, 4, 2};
  for (Dtype t : tandem_test::all_dtypes()) {
    if (t == bool_) continue;
    SCOPED_TRACE(dtype_name(t));
    array a = make(v, {2, 3}, t);
    EXPECT_EQ(cumsum(a, 1, false, true, device).dtype(), t);
    EXPECT_ARRAY_CLOSE(cumsum(a, 1, false, true, device), std::vector<double>{3, 3, 5, 1, 5, 7},
                       {2, 3});
    EXPECT_ARRAY_CLOSE(cumprod(a, 0, true, true, device), std::vector<double>{3, 0, 4, 1, 4, 2},
                       {2, 3});
    if (t != complex64) {
      EXPECT_ARRAY_CLOSE(cummax(a, 1, false, true, device), std::vector<double>{3, 3, 3, 1, 4, 4},
                         {2, 3});
      EXPECT_ARRAY_CLOSE(cummin(a, 1, true, true, device), std::vector<double>{0, 0, 2, 1, 2, 2},
                         {2, 3});
    }
  }
  // float16 accumulates in float32: 2048 + 1 + 1 ... rounds once per output, not per step.
  array h = full({4}, 1.0f, float16);
  array h2 = concatenate({make({2048}, float16), h});
  EXPECT_ARRAY_EQ(cumsum(h2, 0, false, true, device),
                  std::vector<float>{2048, 2048, 2050, 2052, 2052}, Shape{5}, float16);
  EXPECT_ARRAY_CLOSE(logcumsumexp(make({0, 0}, bfloat16), 0, false, true, device),
                     std::vector<double>{0, std::log(2.0)}, Shape{2});
  // complex64: sums, products, lexicographic running max.
  using c = complex64_t;
  array z = array({c(1, 1), c(0, 1), c(1, -2)});
  EXPECT_TRUE(tandem_test::complex_close(cumsum(z, 0, false, true, device),
                                         {c(1, 1), c(1, 2), c(2, 0)}, Shape{3}));
  EXPECT_TRUE(tandem_test::complex_close(cumprod(z, 0, false, true, device),
                                         {c(1, 1), c(-1, 1), c(1, 3)}, Shape{3}));
  EXPECT_TRUE(tandem_test::complex_close(cummax(z, 0, false, true, device),
                                         {c(1, 1), c(1, 1), c(1, 1)}, Shape{3}));
}

DEVICE_TEST(ScanOps, NaN) {
  array a = make({1, kNaN, 3, 0}, float32);
  EXPECT_ARRAY_EQ(cummax(a, 0, false, true, device), std::vector<float>{1, NAN, NAN, NAN},
                  Shape{4});
  EXPECT_ARRAY_EQ(cummin(a, 0, true, true, device), std::vector<float>{NAN, NAN, 0, 0}, Shape{4});
  EXPECT_ARRAY_EQ(cumsum(a, 0, false, true, device), std::vector<float>{1, NAN, NAN, NAN},
                  Shape{4});
  EXPECT_ARRAY_EQ(logcumsumexp(a, 0, false, false, device),
                  std::vector<float>{-INFINITY, 1, NAN, NAN}, Shape{4});
}

DEVICE_TEST(ScanOps, EmptyZeroDimLarge) {
  EXPECT_EQ(cumsum(zeros({0, 4}), 0, false, true, device).shape(), (Shape{0, 4}));
  EXPECT_EQ(cummax(zeros({3, 0}), 1, true, false, device).shape(), (Shape{3, 0}));
  EXPECT_EQ(cumsum(zeros({0}), false, true, device).shape(), (Shape{0}));
  cumsum(zeros({0, 4}), 0, false, true, device).eval();
  EXPECT_ARRAY_EQ(cumsum(array(5), false, true, device), std::vector<int32_t>{5}, Shape{1});
  EXPECT_ARRAY_EQ(cumprod(array(5.0f), false, false, device), std::vector<float>{1}, Shape{1});
  // Large enough to split across threads and blocks, along both axes.
  Shape shape{300, 517};
  auto v = rand_ints(300 * 517, -3, 3, 23);
  array a = make(v, shape, int64);
  for (int axis : {0, 1}) {
    for (bool rev : {false, true}) {
      SCOPED_TRACE("axis " + std::to_string(axis) + (rev ? " reverse" : ""));
      EXPECT_ARRAY_EQ(cumsum(a, axis, rev, true, device),
                      host_scan(v, shape, axis, std::plus<double>(), 0, rev, true), shape);
      EXPECT_ARRAY_EQ(cummin(a, axis, rev, false, device),
                      host_scan(
                          v, shape, axis, [](double x, double y) { return std::min(x, y); },
                          9223372036854775807.0, rev, false),
                      shape);
    }
    EXPECT_ARRAY_EQ(sort(a, axis, device), host_sort(v, shape, axis), shape);
    EXPECT_ARRAY_EQ(argsort(a, axis, device), host_argsort(v, shape, axis), shape);
  }
}

TEST(ScanOps, Errors) {
  array s = array(1.0f);
  EXPECT_THROW_MSG(cumsum(s, 0), std::invalid_argument,
                   "[cumsum] Invalid axis 0 for array with 0 dimensions.");
  EXPECT_THROW_MSG(cumprod(zeros({2, 3}), 2), std::invalid_argument, "[cumprod] Invalid axis 2");
  EXPECT_THROW_MSG(cummax(zeros({2, 3}), -3), std::invalid_argument, "[cummax] Invalid axis -3");
  EXPECT_THROW_MSG(cummin(s, -1), std::invalid_argument, "[cummin] Invalid axis -1");
  EXPECT_THROW_MSG(logcumsumexp(zeros({2}, complex64), 0), std::invalid_argument,
                   "[logcumsumexp] Not supported for complex64.");
  EXPECT_THROW_MSG(logcumsumexp(zeros({2}, complex64)), std::invalid_argument,
                   "[logcumsumexp] Not supported for complex64.");
}

// =====================================================================================
// diff
// =====================================================================================

DEVICE_TEST(ScanDiff, Values) {
  array a = make({1, 2, 4, 7, 0}, int32);
  EXPECT_ARRAY_EQ(diff(a, 1, -1, device), std::vector<int32_t>{1, 2, 3, -7}, Shape{4}, int32);
  EXPECT_ARRAY_EQ(diff(a, 2, -1, device), std::vector<int32_t>{1, 1, -10}, Shape{3});
  EXPECT_ARRAY_EQ(diff(a, 0, -1, device), std::vector<int32_t>{1, 2, 4, 7, 0}, Shape{5});
  EXPECT_EQ(diff(a, 5, -1, device).shape(), (Shape{0}));
  EXPECT_EQ(diff(a, 9, -1, device).shape(), (Shape{0}));
  array m = make({1, 3, 6, 10, 2, 2, 2, 2}, {2, 4}, float32);
  EXPECT_ARRAY_EQ(diff(m, 1, 0, device), std::vector<float>{1, -1, -4, -8}, Shape{1, 4});
  EXPECT_ARRAY_EQ(diff(m, 2, 1, device), std::vector<float>{1, 1, 0, 0}, Shape{2, 2});
  EXPECT_ARRAY_EQ(diff(transpose(m), 1, 0, device), std::vector<float>{2, 0, 3, 0, 4, 0},
                  Shape{3, 2});
  // bool uses not_equal (NumPy); unsigned wraps.
  EXPECT_ARRAY_EQ(diff(make({1, 1, 0, 1}, bool_), 1, -1, device),
                  std::vector<bool>{false, true, true}, Shape{3}, bool_);
  EXPECT_ARRAY_EQ(diff(make({3, 1}, uint8), 1, -1, device), std::vector<uint8_t>{254}, Shape{1});
  EXPECT_THROW_MSG(diff(array(1.0f)), std::invalid_argument,
                   "[diff] Requires an input with at least one dimension");
  EXPECT_THROW_MSG(diff(a, -1), std::invalid_argument,
                   "[diff] The order n must be non-negative; got -1.");
  EXPECT_THROW_MSG(diff(a, 1, 1), std::invalid_argument, "[diff] Invalid axis 1");
}

// =====================================================================================
// Scan gradients and vmap
// =====================================================================================

TEST(ScanGrad, AllOpsAllVariants) {
  Shape shape{3, 4};
  auto x = rand_vals(12, 0.5, 1.5, 31);
  for (double& v : x)
    v *= (std::fmod(v * 1000, 2.0) < 1 ? 1 : -1);  // mixed signs
  auto xs = rand_distinct(12, 8);                  // no ties for cummax / cummin
  for (int axis : {0, 1}) {
    for (bool rev : {false, true}) {
      for (bool inc : {false, true}) {
        SCOPED_TRACE("axis " + std::to_string(axis) + (rev ? " reverse" : "") +
                     (inc ? " inclusive" : " exclusive"));
        EXPECT_TRUE(
            check_grads([=](const array& a) { return cumsum(a, axis, rev, inc); }, x, shape));
        EXPECT_TRUE(
            check_grads([=](const array& a) { return cumprod(a, axis, rev, inc); }, x, shape));
        EXPECT_TRUE(
            check_grads([=](const array& a) { return cummax(a, axis, rev, inc); }, xs, shape));
        EXPECT_TRUE(
            check_grads([=](const array& a) { return cummin(a, axis, rev, inc); }, xs, shape));
        EXPECT_TRUE(
            check_grads([=](const array& a) { return logcumsumexp(a, axis, rev, inc); }, x, shape));
      }
    }
  }
  // Flattened overloads compose with the rest.
  EXPECT_TRUE(
      check_grads([](const array& a) { return multiply(cumsum(a), cumprod(a, true)); }, x, shape));
}

TEST(ScanGrad, CumprodWithZeros) {
  // One zero, two zeros, a zero first and last, in every variant: the rules never divide by 0.
  std::vector<std::vector<double>> cases{{0.5, 0.0, 2.0, -1.5, 0.7},
                                         {1.5, 0.0, -2.0, 0.0, 3.0},
                                         {0.0, 1.2, -0.8, 2.0, 0.0},
                                         {0.0, 0.0, 0.0, 1.0, 2.0}};
  for (auto& x : cases) {
    for (bool rev : {false, true}) {
      for (bool inc : {false, true}) {
        SCOPED_TRACE(tandem_test::vector_to_string(x) + (rev ? " reverse" : "") +
                     (inc ? " inclusive" : " exclusive"));
        auto f = [=](const array& a) { return cumprod(a, 0, rev, inc); };
        EXPECT_TRUE(check_grads(f, x, {5}));
        auto g = grad([=](const array& a) { return sum(f(a)); })(array(x, {5}, float64));
        for (double v : values(g))
          EXPECT_TRUE(std::isfinite(v));
      }
    }
  }
}

TEST(ScanGrad, CummaxTiesAndSecondOrder) {
  // Ties: the whole cotangent goes to one of the tied positions (the latest one).
  auto g = grad([](const array& a) { return sum(cummax(a, 0)); })(
      array({1.0, 3.0, 3.0, 2.0}, Shape{4}, float64));
  EXPECT_ARRAY_EQ(g, std::vector<double>{1, 1, 2, 0}, Shape{4});
  // Second order through the scan rules (cumsum/cumprod/logcumsumexp compose).
  auto x = rand_vals(5, 0.5, 1.5, 41);
  auto gfn = [](const array& a) {
    return grad([](const array& b) { return sum(multiply(cumprod(b, 0), logcumsumexp(b, 0))); })(a);
  };
  EXPECT_TRUE(check_grads(gfn, x, {5}, 1e-4));
  auto gsort = [](const array& a) {
    return grad([](const array& b) { return sum(square(cummax(sort(b, 0), 0, true, false))); })(a);
  };
  EXPECT_TRUE(check_grads(gsort, rand_distinct(6, 2), {6}, 1e-4));
}

TEST(ScanVmap, MatchesLoop) {
  array x = make(rand_vals(4 * 5 * 3, -1, 1, 19), {4, 5, 3}, float64);
  std::vector<std::pair<std::string, UFn>> fns = {
      {"cumsum", [](const array& a) { return cumsum(a, 0, false, true); }},
      {"cumsum_rev_excl", [](const array& a) { return cumsum(a, 1, true, false); }},
      {"cumprod", [](const array& a) { return cumprod(a, -1, false, false); }},
      {"cummax", [](const array& a) { return cummax(a, 0, true, true); }},
      {"cummin", [](const array& a) { return cummin(a, 1); }},
      {"logcumsumexp", [](const array& a) { return logcumsumexp(a, 0, false, true); }},
      {"cumsum_flat", [](const array& a) { return cumsum(a, true, true); }},
      {"diff", [](const array& a) { return diff(a, 2, 0); }},
      {"grad_cumprod",
       [](const array& a) {
         return grad([](const array& b) { return sum(cumprod(b, 0, true, false)); })(a);
       }},
      {"grad_cummax",
       [](const array& a) { return grad([](const array& b) { return sum(cummax(b, 1)); })(a); }},
      {"jvp_logcumsumexp",
       [](const array& a) {
         return jvp([](const array& b) { return logcumsumexp(b, 0); }, a, ones_like(a)).second;
       }},
  };
  for (auto& [name, f] : fns) {
    for (int ax : {0, 1}) {
      SCOPED_TRACE(name + " in_axis " + std::to_string(ax));
      EXPECT_TRUE(check_vmap(f, x, ax));
    }
  }
}
