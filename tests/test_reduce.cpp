// Copyright © 2026 Tandem authors.
// Forward values of the reductions (src/ops/reduce.cpp, src/backend/cpu/reduce.cpp): sum, prod,
// mean, var, std, max, min, all, any, argmax, argmin, logsumexp, softmax and count_nonzero.
// Hand-computed values, output dtypes (MLX rules), every dtype family, all / one / several
// non-adjacent / negative axes, keepdims, 0-d and empty inputs, NaN and infinities, transposed,
// sliced and broadcast inputs, large inputs that take the threaded paths (checked against plain
// loops here), and bad arguments with their messages.
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <numeric>
#include <vector>

#include "harness.h"
#include "transforms_check.h"

using namespace tandem;
using tandem_test::layouts;
using tandem_test::make;
using tandem_test::values;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr float kNaNF = std::numeric_limits<float>::quiet_NaN();
constexpr float kInfF = std::numeric_limits<float>::infinity();
using E = std::invalid_argument;

// ---------------- host reference ----------------

enum class Op { Sum, Prod, Max, Min, All, Any, Mean, CountNonzero };

struct Ref {
  std::vector<double> vals;
  Shape shape;
};

/// Reduce row-major `v` of `shape` over `axes` (may be negative) with a plain loop.
Ref host_reduce(const std::vector<double>& v, const Shape& shape, std::vector<int> axes,
                bool keepdims, Op op) {
  int nd = static_cast<int>(shape.size());
  std::vector<bool> red(nd, false);
  for (int& a : axes) {
    if (a < 0) a += nd;
    red[a] = true;
  }
  Shape kept, out;
  for (int d = 0; d < nd; ++d) {
    kept.push_back(red[d] ? 1 : shape[d]);
    if (!red[d]) {
      out.push_back(shape[d]);
    } else if (keepdims) {
      out.push_back(1);
    }
  }
  double init = 0;
  switch (op) {
    case Op::Prod:
    case Op::All:
      init = 1;
      break;
    case Op::Max:
      init = -kInf;
      break;
    case Op::Min:
      init = kInf;
      break;
    default:
      init = 0;
  }
  std::vector<double> acc(tx::numel(kept), init);
  std::vector<size_t> count(acc.size(), 0);
  for (size_t i = 0; i < v.size(); ++i) {
    auto idx = tx::unravel(i, shape);
    for (int d = 0; d < nd; ++d)
      if (red[d]) idx[d] = 0;
    size_t o = tx::ravel(idx, kept);
    double x = v[i];
    double& a = acc[o];
    ++count[o];
    switch (op) {
      case Op::Sum:
      case Op::Mean:
        a += x;
        break;
      case Op::Prod:
        a *= x;
        break;
      case Op::Max:
        if (!std::isnan(a) && (std::isnan(x) || x > a)) a = x;
        break;
      case Op::Min:
        if (!std::isnan(a) && (std::isnan(x) || x < a)) a = x;
        break;
      case Op::All:
        a = (a != 0 && x != 0) ? 1 : 0;
        break;
      case Op::Any:
        a = (a != 0 || x != 0) ? 1 : 0;
        break;
      case Op::CountNonzero:
        a += (x != 0) ? 1 : 0;
        break;
    }
  }
  if (op == Op::Mean) {
    for (size_t o = 0; o < acc.size(); ++o)
      acc[o] = count[o] ? acc[o] / count[o] : kNaN;
  }
  return {acc, out};
}

array run_op(Op op, const array& a, const std::vector<int>& axes, bool keepdims, Device d) {
  switch (op) {
    case Op::Sum:
      return sum(a, axes, keepdims, d);
    case Op::Prod:
      return prod(a, axes, keepdims, d);
    case Op::Max:
      return max(a, axes, keepdims, d);
    case Op::Min:
      return min(a, axes, keepdims, d);
    case Op::All:
      return all(a, axes, keepdims, d);
    case Op::Any:
      return any(a, axes, keepdims, d);
    case Op::Mean:
      return mean(a, axes, keepdims, d);
    case Op::CountNonzero:
      return count_nonzero(a, axes, keepdims, d);
  }
  return a;
}

const char* op_name(Op op) {
  static const char* n[] = {"sum", "prod", "max", "min", "all", "any", "mean", "count_nonzero"};
  return n[static_cast<int>(op)];
}

/// The reduction of `x` (holding `vals` of `shape`) over `axes` matches the host loop.
::testing::AssertionResult matches_host(Op op, const array& x, const std::vector<double>& vals,
                                        const Shape& shape, const std::vector<int>& axes,
                                        bool keepdims, Device d, double tol = -1) {
  Ref r = host_reduce(vals, shape, axes, keepdims, op);
  array got = run_op(op, x, axes, keepdims, d);
  if (got.dtype() == float16) {
    // Beyond float16's range the result rounds to infinity (e.g. the product 3888000).
    for (double& e : r.vals)
      if (std::abs(e) >= 65520) e = e > 0 ? kInf : -kInf;
  }
  auto res = tandem_test::array_close(got, r.vals, r.shape, tol, tol);
  if (!res) {
    std::string ax;
    for (int a : axes)
      ax += std::to_string(a) + " ";
    return ::testing::AssertionFailure() << op_name(op) << " over axes [ " << ax << "] keepdims "
                                         << keepdims << ": " << res.message();
  }
  return res;
}

std::vector<int> iota_axes(int n) {
  std::vector<int> v(n);
  std::iota(v.begin(), v.end(), 0);
  return v;
}

}  // namespace

// ============================== sum / prod / max / min / mean: values
// ==============================

DEVICE_TEST(Reduce, HandComputedValues) {
  array a = array({1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f}, {2, 3});
  EXPECT_ARRAY_EQ(sum(a, device), std::vector<float>{21}, Shape{}, float32);
  EXPECT_ARRAY_EQ(sum(a, 0, false, device), std::vector<float>{5, 7, 9}, Shape{3});
  EXPECT_ARRAY_EQ(sum(a, 1, false, device), std::vector<float>{6, 15}, Shape{2});
  EXPECT_ARRAY_EQ(sum(a, -1, false, device), std::vector<float>{6, 15}, Shape{2});
  EXPECT_ARRAY_EQ(sum(a, -2, true, device), std::vector<float>{5, 7, 9}, Shape{1, 3});
  EXPECT_ARRAY_EQ(sum(a, 1, true, device), std::vector<float>{6, 15}, Shape{2, 1});
  EXPECT_ARRAY_EQ(sum(a, true, device), std::vector<float>{21}, Shape{1, 1});
  EXPECT_ARRAY_EQ(sum(a, {0, 1}, false, device), std::vector<float>{21}, Shape{});
  EXPECT_ARRAY_EQ(sum(a, {1, 0}, true, device), std::vector<float>{21}, Shape{1, 1});

  EXPECT_ARRAY_EQ(prod(a, device), std::vector<float>{720}, Shape{});
  EXPECT_ARRAY_EQ(prod(a, 0, false, device), std::vector<float>{4, 10, 18}, Shape{3});
  EXPECT_ARRAY_EQ(prod(a, 1, true, device), std::vector<float>{6, 120}, Shape{2, 1});

  array b = array({3, -1, 7, 0, 9, -4}, {2, 3});
  EXPECT_ARRAY_EQ(max(b, device), std::vector<int>{9}, Shape{}, int32);
  EXPECT_ARRAY_EQ(min(b, device), std::vector<int>{-4}, Shape{}, int32);
  EXPECT_ARRAY_EQ(max(b, 0, false, device), std::vector<int>{3, 9, 7}, Shape{3});
  EXPECT_ARRAY_EQ(min(b, 0, false, device), std::vector<int>{0, -1, -4}, Shape{3});
  EXPECT_ARRAY_EQ(max(b, 1, true, device), std::vector<int>{7, 9}, Shape{2, 1});
  EXPECT_ARRAY_EQ(min(b, -1, false, device), std::vector<int>{-1, -4}, Shape{2});

  EXPECT_ARRAY_EQ(mean(a, device), std::vector<float>{3.5f}, Shape{}, float32);
  EXPECT_ARRAY_EQ(mean(a, 0, false, device), std::vector<float>{2.5f, 3.5f, 4.5f}, Shape{3});
  EXPECT_ARRAY_EQ(mean(a, 1, true, device), std::vector<float>{2, 5}, Shape{2, 1});
  // Integer means are float32 and not truncated.
  EXPECT_ARRAY_EQ(mean(array({1, 2}), device), std::vector<float>{1.5f}, Shape{}, float32);
  EXPECT_ARRAY_EQ(mean(b, 0, false, device), std::vector<float>{1.5f, 4.0f, 1.5f}, Shape{3});
}

DEVICE_TEST(Reduce, OutputDtypesFollowMlx) {
  // sum/prod: bool and integers of at most 4 bytes accumulate as (u)int32, 8-byte integers
  // keep their type, inexact types keep theirs. max/min keep the input type.
  struct Case {
    Dtype in, sum;
  };
  for (auto c : std::vector<Case>{{bool_, int32},
                                  {uint8, uint32},
                                  {uint16, uint32},
                                  {uint32, uint32},
                                  {uint64, uint64},
                                  {int8, int32},
                                  {int16, int32},
                                  {int32, int32},
                                  {int64, int64},
                                  {float16, float16},
                                  {bfloat16, bfloat16},
                                  {float32, float32},
                                  {float64, float64},
                                  {complex64, complex64}}) {
    SCOPED_TRACE(dtype_name(c.in));
    array x = make({1, 0, 1, 1}, {2, 2}, c.in);
    EXPECT_EQ(sum(x, device).dtype(), c.sum);
    EXPECT_EQ(sum(x, 0, false, device).dtype(), c.sum);
    EXPECT_EQ(prod(x, 1, false, device).dtype(), c.sum);
    EXPECT_EQ(max(x, device).dtype(), c.in);
    EXPECT_EQ(min(x, 0, false, device).dtype(), c.in);
    EXPECT_EQ(all(x, device).dtype(), bool_);
    EXPECT_EQ(any(x, 0, false, device).dtype(), bool_);
    EXPECT_EQ(count_nonzero(x, device).dtype(), uint32);
    Dtype f = is_inexact(c.in) ? c.in : float32;
    EXPECT_EQ(mean(x, device).dtype(), f);
    EXPECT_EQ(logsumexp(x, device).dtype(), f);
    if (c.in != complex64) {
      EXPECT_EQ(argmax(x, device).dtype(), uint32);
      EXPECT_EQ(argmin(x, 0, false, device).dtype(), uint32);
      EXPECT_EQ(var(x, device).dtype(), f);
      EXPECT_EQ(tandem::std(x, device).dtype(), f);
    }
    // Values: sum 3, prod over rows {0, 1}, max 1, min 0.
    EXPECT_EQ(values(sum(x, device)), std::vector<double>{3});
    EXPECT_EQ(values(prod(x, 1, false, device)), (std::vector<double>{0, 1}));
    EXPECT_EQ(values(max(x, device)), std::vector<double>{1});
    EXPECT_EQ(values(min(x, device)), std::vector<double>{0});
    EXPECT_EQ(values(count_nonzero(x, device)), std::vector<double>{3});
  }
}

DEVICE_TEST(Reduce, SmallIntegersAccumulateWithoutWrapping) {
  // int8 100 * 3 = 300 does not fit in int8; the int32 accumulator holds it.
  EXPECT_ARRAY_EQ(sum(array({int8_t(100), int8_t(100), int8_t(100)}), device),
                  std::vector<int32_t>{300}, Shape{}, int32);
  EXPECT_ARRAY_EQ(sum(array({int8_t(-128), int8_t(-128)}), device), std::vector<int32_t>{-256},
                  Shape{}, int32);
  EXPECT_ARRAY_EQ(sum(array({uint8_t(200), uint8_t(200)}), device), std::vector<uint32_t>{400},
                  Shape{}, uint32);
  EXPECT_ARRAY_EQ(sum(array({int16_t(30000), int16_t(30000)}), device), std::vector<int32_t>{60000},
                  Shape{});
  EXPECT_ARRAY_EQ(prod(array({int8_t(100), int8_t(100)}), device), std::vector<int32_t>{10000},
                  Shape{}, int32);
  EXPECT_ARRAY_EQ(prod(array({uint16_t(300), uint16_t(300)}), device), std::vector<uint32_t>{90000},
                  Shape{}, uint32);
  // Column path (axis 0) too.
  array c = full({5, 3}, array(int8_t(100)), device);
  EXPECT_ARRAY_EQ(sum(c, 0, false, device), std::vector<int32_t>{500, 500, 500}, Shape{3});
  // int64 keeps 64 bits.
  EXPECT_ARRAY_EQ(sum(array({int64_t(1) << 40, int64_t(1) << 40}), device),
                  std::vector<int64_t>{int64_t(1) << 41}, Shape{}, int64);
  // bool sums count the true values.
  EXPECT_ARRAY_EQ(sum(array({true, false, true, true}), device), std::vector<int32_t>{3}, Shape{},
                  int32);
  EXPECT_ARRAY_EQ(prod(array({true, true}), device), std::vector<int32_t>{1}, Shape{}, int32);
  EXPECT_ARRAY_EQ(max(array({false, true}), device), std::vector<bool>{true}, Shape{}, bool_);
  EXPECT_ARRAY_EQ(min(array({false, true}), device), std::vector<bool>{false}, Shape{}, bool_);
}

DEVICE_TEST(Reduce, HalfPrecisionAccumulatesInFloat32) {
  // 4096 ones: a float16 accumulator would stall at 2048 (2048 + 1 rounds back to 2048), a bfloat16
  // one at 256. The sums are exact in both output types.
  for (Dtype t : {float16, bfloat16}) {
    SCOPED_TRACE(dtype_name(t));
    array row = ones({4096}, t, device);
    EXPECT_ARRAY_CLOSE(sum(row, device), {4096}, Shape{}, 0, 0);
    EXPECT_EQ(sum(row, device).dtype(), t);
    EXPECT_ARRAY_CLOSE(mean(row, device), {1}, Shape{}, 0, 0);
    // Row path (several outputs) and column path (axis 0).
    array m = ones({3, 4096}, t, device);
    EXPECT_ARRAY_CLOSE(sum(m, 1, false, device), {4096, 4096, 4096}, Shape{3}, 0, 0);
    array c = ones({4096, 3}, t, device);
    EXPECT_ARRAY_CLOSE(sum(c, 0, false, device), {4096, 4096, 4096}, Shape{3}, 0, 0);
    EXPECT_ARRAY_CLOSE(mean(c, 0, false, device), {1, 1, 1}, Shape{3}, 0, 0);
  }
  // float32 sums of 0.1 stay accurate (lanes / chunks keep the error small).
  array tenth = full({100000}, 0.1f, device);
  EXPECT_ARRAY_CLOSE(sum(tenth, device), {10000.0}, Shape{}, 1e-5, 0);
}

DEVICE_TEST(Reduce, EveryDtypeEveryLayout) {
  const std::vector<double> v{3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8};
  std::vector<Dtype> dts = tandem_test::real_numeric_dtypes();
  for (Dtype t : dts) {
    for (auto& lc : layouts(v, t)) {
      SCOPED_TRACE(dtype_name(t) + " " + lc.name);
      int nd = static_cast<int>(lc.shape.size());
      bool half = t == float16 || t == bfloat16;
      for (Op op :
           {Op::Sum, Op::Prod, Op::Max, Op::Min, Op::Mean, Op::All, Op::Any, Op::CountNonzero}) {
        if (op == Op::Max || op == Op::Min) {
          if (lc.input.size() == 0) continue;  // no identity: tested as an error below
        }
        // Products of 12 values overflow float16 and are inexact in bfloat16.
        double tol = (op == Op::Prod && half) ? 1.6e-2 : -1;
        EXPECT_TRUE(
            matches_host(op, lc.input, lc.vals, lc.shape, iota_axes(nd), false, device, tol));
        EXPECT_TRUE(
            matches_host(op, lc.input, lc.vals, lc.shape, iota_axes(nd), true, device, tol));
        for (int ax = -nd; ax < nd; ++ax) {
          if ((op == Op::Max || op == Op::Min) && lc.shape[(ax + nd) % nd] == 0) continue;
          EXPECT_TRUE(
              matches_host(op, lc.input, lc.vals, lc.shape, {ax}, ax % 2 == 0, device, tol));
        }
      }
    }
  }
}

DEVICE_TEST(Reduce, BoolAndComplexInputs) {
  array b = array({true, false, true, true, true, true}, {2, 3});
  EXPECT_ARRAY_EQ(sum(b, 0, false, device), std::vector<int32_t>{2, 1, 2}, Shape{3}, int32);
  EXPECT_ARRAY_EQ(all(b, 0, false, device), std::vector<bool>{1, 0, 1}, Shape{3});
  EXPECT_ARRAY_EQ(any(b, 1, false, device), std::vector<bool>{1, 1}, Shape{2});
  EXPECT_ARRAY_EQ(all(b, 1, true, device), std::vector<bool>{0, 1}, Shape{2, 1});
  EXPECT_ARRAY_CLOSE(mean(b, 0, false, device), {1, 0.5, 1}, Shape{3});

  array z =
      array({complex64_t(1, 1), complex64_t(2, -1), complex64_t(0, 3), complex64_t(1, 0)}, {2, 2});
  EXPECT_TRUE(tandem_test::complex_close(sum(z, device), {complex64_t(4, 3)}, Shape{}));
  EXPECT_TRUE(tandem_test::complex_close(sum(z, 0, false, device),
                                         {complex64_t(1, 4), complex64_t(3, -1)}, Shape{2}));
  // (1+i)(2-i) = 3+i; (3i)(1) = 3i.
  EXPECT_TRUE(tandem_test::complex_close(prod(z, 1, false, device),
                                         {complex64_t(3, 1), complex64_t(0, 3)}, Shape{2}));
  EXPECT_TRUE(tandem_test::complex_close(mean(z, device), {complex64_t(1, 0.75f)}, Shape{}));
  // Complex max/min order lexicographically (real part, then imaginary part), as MLX.
  array w = array({complex64_t(1, 5), complex64_t(2, 0), complex64_t(2, 1), complex64_t(-1, 9)});
  EXPECT_TRUE(tandem_test::complex_close(max(w, device), {complex64_t(2, 1)}, Shape{}));
  EXPECT_TRUE(tandem_test::complex_close(min(w, device), {complex64_t(-1, 9)}, Shape{}));
  EXPECT_ARRAY_EQ(count_nonzero(array({complex64_t(0, 0), complex64_t(0, 1)}), device),
                  std::vector<uint32_t>{1}, Shape{});
  EXPECT_ARRAY_EQ(any(array({complex64_t(0, 0), complex64_t(0, 1)}), device),
                  std::vector<bool>{true}, Shape{});
  EXPECT_ARRAY_EQ(all(array({complex64_t(0, 0), complex64_t(0, 1)}), device),
                  std::vector<bool>{false}, Shape{});
}

DEVICE_TEST(Reduce, SeveralNonAdjacentAndNegativeAxes) {
  for (Shape shape : {Shape{2, 3, 4}, Shape{2, 3, 4, 5}, Shape{3, 1, 4, 2, 3}}) {
    size_t n = tx::numel(shape);
    std::vector<double> v(n);
    for (size_t i = 0; i < n; ++i)
      v[i] = static_cast<double>((i * 7) % 13) - 6;
    int nd = static_cast<int>(shape.size());
    std::vector<std::vector<int>> axes_sets{{0, 2}, {-1, 0}, {2, 0}, {1, -1}};
    if (nd >= 4) axes_sets.insert(axes_sets.end(), {{0, 3}, {1, 3}, {0, 1, 3}, {-4, -2}, {3, 1}});
    if (nd >= 5) axes_sets.insert(axes_sets.end(), {{0, 2, 4}, {1, 2, 4}});
    for (Dtype t : {int32, float32, float64}) {
      for (tx::Layout l : tx::all_layouts()) {
        array x = tx::with_layout(v, shape, l, t);
        for (auto& axes : axes_sets) {
          for (bool kd : {false, true}) {
            SCOPED_TRACE(tandem::shape_to_string(shape) + " " + dtype_name(t) + " " +
                         tx::layout_name(l));
            for (Op op : {Op::Sum, Op::Max, Op::Min, Op::Mean, Op::Any, Op::CountNonzero}) {
              EXPECT_TRUE(matches_host(op, x, v, shape, axes, kd, device));
            }
          }
        }
      }
    }
  }
}

DEVICE_TEST(Reduce, BroadcastAndSlicedInputs) {
  // A broadcast row: every row is the same, so the column sums are 4 times the row.
  array row = array({1, 2, 3}, {1, 3});
  array bc = broadcast_to(row, {4, 3}, device);
  EXPECT_ARRAY_EQ(sum(bc, 0, false, device), std::vector<int>{4, 8, 12}, Shape{3});
  EXPECT_ARRAY_EQ(sum(bc, 1, false, device), std::vector<int>{6, 6, 6, 6}, Shape{4});
  EXPECT_ARRAY_EQ(max(bc, device), std::vector<int>{3}, Shape{});
  // A broadcast scalar.
  array s = broadcast_to(array(2.5f), {3, 5}, device);
  EXPECT_ARRAY_EQ(sum(s, device), std::vector<float>{37.5f}, Shape{});
  EXPECT_ARRAY_EQ(mean(s, 1, false, device), std::vector<float>{2.5f, 2.5f, 2.5f}, Shape{3});
  // A column slice of a matrix with a step, and a reversed slice.
  array m = reshape(arange(0, 24, device), {4, 6}, device);
  array cols = slice(m, {0, 1}, {4, 6}, {1, 2}, device);  // columns 1, 3, 5
  EXPECT_ARRAY_EQ(sum(cols, 0, false, device), std::vector<int>{40, 48, 56}, Shape{3});
  EXPECT_ARRAY_EQ(sum(cols, 1, false, device), std::vector<int>{9, 27, 45, 63}, Shape{4});
  array rev = slice(m, {3, 5}, {-5, -7}, {-1, -1}, device);
  EXPECT_ARRAY_EQ(max(rev, 1, false, device), std::vector<int>{23, 17, 11, 5}, Shape{4});
  EXPECT_ARRAY_EQ(min(rev, 0, false, device), std::vector<int>{5, 4, 3, 2, 1, 0}, Shape{6});
  // Transposed.
  EXPECT_ARRAY_EQ(sum(transpose(m, device), 1, false, device),
                  std::vector<int>{36, 40, 44, 48, 52, 56}, Shape{6});
}

DEVICE_TEST(Reduce, ZeroDimInputs) {
  array s = array(7.5f);
  EXPECT_ARRAY_EQ(sum(s, device), std::vector<float>{7.5f}, Shape{});
  EXPECT_ARRAY_EQ(sum(s, true, device), std::vector<float>{7.5f}, Shape{});
  EXPECT_ARRAY_EQ(prod(s, device), std::vector<float>{7.5f}, Shape{});
  EXPECT_ARRAY_EQ(max(s, device), std::vector<float>{7.5f}, Shape{});
  EXPECT_ARRAY_EQ(min(s, device), std::vector<float>{7.5f}, Shape{});
  EXPECT_ARRAY_EQ(mean(s, device), std::vector<float>{7.5f}, Shape{});
  EXPECT_ARRAY_EQ(var(s, device), std::vector<float>{0}, Shape{});
  EXPECT_ARRAY_EQ(all(s, device), std::vector<bool>{true}, Shape{});
  EXPECT_ARRAY_EQ(any(array(0), device), std::vector<bool>{false}, Shape{});
  EXPECT_ARRAY_EQ(argmax(s, device), std::vector<uint32_t>{0}, Shape{});
  EXPECT_ARRAY_EQ(argmin(s, true, device), std::vector<uint32_t>{0}, Shape{});
  EXPECT_ARRAY_CLOSE(logsumexp(s, device), {7.5}, Shape{});
  EXPECT_ARRAY_EQ(count_nonzero(s, device), std::vector<uint32_t>{1}, Shape{});
  EXPECT_ARRAY_EQ(softmax(s, false, device), std::vector<float>{1}, Shape{});
  // A 0-d int8 sum is int32, like every other int8 sum.
  EXPECT_ARRAY_EQ(sum(array(int8_t(5)), device), std::vector<int32_t>{5}, Shape{}, int32);
  // An axis on a 0-d array is out of range.
  EXPECT_THROW_MSG(sum(s, 0, false, device), E, "[sum] Invalid axis 0 for array with 0 dimensions");
  EXPECT_THROW_MSG(argmax(s, 0, false, device), E, "[argmax] Invalid axis 0");
}

DEVICE_TEST(Reduce, EmptyInputs) {
  array e = zeros({0, 3}, float32, device);
  EXPECT_ARRAY_EQ(sum(e, device), std::vector<float>{0}, Shape{});
  EXPECT_ARRAY_EQ(sum(e, 0, false, device), std::vector<float>{0, 0, 0}, Shape{3});
  EXPECT_ARRAY_EQ(sum(e, 1, false, device), std::vector<float>{}, Shape{0});
  EXPECT_ARRAY_EQ(sum(e, 1, true, device), std::vector<float>{}, Shape{0, 1});
  EXPECT_ARRAY_EQ(prod(e, 0, true, device), std::vector<float>{1, 1, 1}, Shape{1, 3});
  EXPECT_ARRAY_EQ(all(e, device), std::vector<bool>{true}, Shape{});
  EXPECT_ARRAY_EQ(any(e, device), std::vector<bool>{false}, Shape{});
  EXPECT_ARRAY_EQ(count_nonzero(e, 0, false, device), std::vector<uint32_t>{0, 0, 0}, Shape{3});
  EXPECT_ARRAY_EQ(sum(zeros({0}, int8, device), device), std::vector<int32_t>{0}, Shape{}, int32);
  // The mean of nothing is NaN (0 / 0), as NumPy and MLX.
  EXPECT_ARRAY_EQ(mean(e, device), std::vector<float>{kNaNF}, Shape{});
  EXPECT_ARRAY_EQ(mean(e, 0, false, device), std::vector<float>{kNaNF, kNaNF, kNaNF}, Shape{3});
  // max/min/argmax/argmin have no identity: reducing an axis of extent 0 is an error, reducing
  // the other axes of an empty array gives an empty result.
  EXPECT_THROW_MSG(max(e, device), E, "[max] Cannot reduce over an axis of extent 0");
  EXPECT_THROW_MSG(min(e, 0, false, device), E, "[min] Cannot reduce over an axis of extent 0");
  EXPECT_ARRAY_EQ(max(e, 1, false, device), std::vector<float>{}, Shape{0});
  EXPECT_THROW_MSG(argmax(e, device), E, "[argmax] Cannot take the argmax of an empty array");
  EXPECT_THROW_MSG(argmin(e, 0, false, device), E, "[argmin] Cannot take the argmin of an empty");
  EXPECT_ARRAY_EQ(argmin(e, 1, false, device), std::vector<uint32_t>{}, Shape{0});
  EXPECT_THROW_MSG(logsumexp(e, device), E,
                   "[logsumexp] Cannot reduce over an axis of extent 0; input shape (0,3).");
  EXPECT_THROW_MSG(logsumexp(e, 0, false, device), E, "[logsumexp] Cannot reduce over an axis");
  EXPECT_ARRAY_EQ(logsumexp(e, 1, false, device), std::vector<float>{}, Shape{0});
  // softmax of an empty array is empty (MLX).
  EXPECT_ARRAY_EQ(softmax(e, 0, false, device), std::vector<float>{}, Shape{0, 3});
  EXPECT_ARRAY_EQ(softmax(e, false, device), std::vector<float>{}, Shape{0, 3});
}

DEVICE_TEST(Reduce, NaNAndInfinities) {
  for (Dtype t : tandem_test::float_dtypes()) {
    SCOPED_TRACE(dtype_name(t));
    // max/min propagate NaN (MLX, NumPy), on the row, column and full paths.
    array r = make({1, kNaN, 3, -kInf, 2, kInf}, {2, 3}, t);
    EXPECT_ARRAY_CLOSE(max(r, device), {kNaN}, Shape{});
    EXPECT_ARRAY_CLOSE(min(r, device), {kNaN}, Shape{});
    EXPECT_ARRAY_CLOSE(max(r, 1, false, device), {kNaN, kInf}, Shape{2});
    EXPECT_ARRAY_CLOSE(min(r, 1, false, device), {kNaN, -kInf}, Shape{2});
    EXPECT_ARRAY_CLOSE(max(r, 0, false, device), {1, kNaN, kInf}, Shape{3});
    EXPECT_ARRAY_CLOSE(min(r, 0, false, device), {-kInf, kNaN, 3}, Shape{3});
    // A NaN first in a run stays.
    EXPECT_ARRAY_CLOSE(max(make({kNaN, 1, 2}, t), device), {kNaN}, Shape{});
    EXPECT_ARRAY_CLOSE(sum(r, 0, false, device), {-kInf, kNaN, kInf}, Shape{3});
    EXPECT_ARRAY_CLOSE(sum(make({kInf, -kInf}, t), device), {kNaN}, Shape{});
    // NaN is truthy; -0.0 is not.
    EXPECT_ARRAY_EQ(all(make({kNaN, 1}, t), device), std::vector<bool>{true}, Shape{});
    EXPECT_ARRAY_EQ(any(make({-0.0, 0.0}, t), device), std::vector<bool>{false}, Shape{});
    EXPECT_ARRAY_EQ(count_nonzero(make({kNaN, -0.0, kInf, 0}, t), device), std::vector<uint32_t>{2},
                    Shape{});
  }
  // A single NaN deep in a large array (full reduction split into chunks).
  std::vector<float> big(300000, 1.0f);
  big[277777] = kNaNF;
  array b(big, Shape{300000});
  EXPECT_TRUE(std::isnan(max(b, device).item<float>()));
  EXPECT_TRUE(std::isnan(min(b, device).item<float>()));
  EXPECT_TRUE(std::isnan(sum(b, device).item<float>()));
  array bc = reshape(b, {1000, 300}, device);  // the NaN is at (925, 277)
  auto cm = max(bc, 0, false, device).to_vector<float>();
  for (int j = 0; j < 300; ++j)
    EXPECT_EQ(std::isnan(cm[j]), j == 277) << j;
}

// ============================== large inputs (threaded paths) ==============================

DEVICE_TEST(ReduceLarge, IntegerColumnAndRowSumsAreExact) {
  const int R = 2000, C = 300;
  std::vector<int32_t> v(R * C);
  for (int i = 0; i < R; ++i)
    for (int j = 0; j < C; ++j)
      v[i * C + j] = (i * 37 + j * 11) % 201 - 100;
  array m(v, Shape{R, C});
  std::vector<int32_t> col(C, 0), row(R, 0);
  std::vector<int32_t> colmax(C, INT32_MIN), rowmin(R, INT32_MAX);
  int64_t total = 0;
  for (int i = 0; i < R; ++i)
    for (int j = 0; j < C; ++j) {
      int32_t x = v[i * C + j];
      col[j] += x;
      row[i] += x;
      total += x;
      colmax[j] = std::max(colmax[j], x);
      rowmin[i] = std::min(rowmin[i], x);
    }
  EXPECT_ARRAY_EQ(sum(m, 0, false, device), col, Shape{C}, int32);
  EXPECT_ARRAY_EQ(sum(m, 1, false, device), row, Shape{R}, int32);
  EXPECT_ARRAY_EQ(sum(m, device), std::vector<int32_t>{static_cast<int32_t>(total)}, Shape{});
  EXPECT_ARRAY_EQ(max(m, 0, false, device), colmax, Shape{C});
  EXPECT_ARRAY_EQ(min(m, 1, false, device), rowmin, Shape{R});
  // The same through a transposed view (the kernel copies it to row-major first).
  array mt = transpose(array(v, Shape{R, C}), device);  // (C, R)
  EXPECT_ARRAY_EQ(sum(mt, 1, false, device), col, Shape{C});
  EXPECT_ARRAY_EQ(sum(mt, 0, false, device), row, Shape{R});
  // int64 and float64 (exact for these integers).
  EXPECT_ARRAY_CLOSE(sum(astype(m, int64, device), 0, false, device),
                     std::vector<double>(col.begin(), col.end()), Shape{C}, 0, 0);
  EXPECT_ARRAY_CLOSE(sum(astype(m, float64, device), 1, false, device),
                     std::vector<double>(row.begin(), row.end()), Shape{R}, 0, 0);
  // int8 data accumulates in int32 on the column path.
  array m8 = astype(remainder(m, array(100), device), int8, device);
  std::vector<int32_t> col8(C, 0);
  for (int i = 0; i < R; ++i)
    for (int j = 0; j < C; ++j) {
      int x = v[i * C + j];
      col8[j] += ((x % 100) + 100) % 100;
    }
  EXPECT_ARRAY_EQ(sum(m8, 0, false, device), col8, Shape{C}, int32);
}

DEVICE_TEST(ReduceLarge, FourDimAxes0And2MatchLoop) {
  const int A = 6, B = 40, Cc = 50, D = 30;
  Shape shape{A, B, Cc, D};
  size_t n = tx::numel(shape);
  std::vector<int32_t> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = static_cast<int32_t>((i * 2654435761u) % 1000) - 500;
  array x(v, shape);
  std::vector<int64_t> ref(B * D, 0);
  std::vector<int32_t> refmax(B * D, INT32_MIN);
  for (int a = 0; a < A; ++a)
    for (int b = 0; b < B; ++b)
      for (int c = 0; c < Cc; ++c)
        for (int d = 0; d < D; ++d) {
          int32_t val = v[((a * B + b) * Cc + c) * D + d];
          ref[b * D + d] += val;
          refmax[b * D + d] = std::max(refmax[b * D + d], val);
        }
  std::vector<int32_t> ref32(ref.begin(), ref.end());
  EXPECT_ARRAY_EQ(sum(x, {0, 2}, false, device), ref32, Shape{B, D}, int32);
  EXPECT_ARRAY_EQ(sum(x, {2, 0}, true, device), ref32, Shape{1, B, 1, D});
  EXPECT_ARRAY_EQ(sum(x, {-4, -2}, false, device), ref32, Shape{B, D});
  EXPECT_ARRAY_EQ(max(x, {0, 2}, false, device), refmax, Shape{B, D});
  std::vector<double> refmean;
  for (auto r : ref)
    refmean.push_back(static_cast<double>(r) / (A * Cc));
  EXPECT_ARRAY_CLOSE(mean(astype(x, float64, device), {0, 2}, false, device), refmean, Shape{B, D},
                     1e-12, 1e-12);
  // Axes (1, 3) of the same data.
  std::vector<int32_t> ref13(A * Cc, 0);
  for (int a = 0; a < A; ++a)
    for (int b = 0; b < B; ++b)
      for (int c = 0; c < Cc; ++c)
        for (int d = 0; d < D; ++d)
          ref13[a * Cc + c] += v[((a * B + b) * Cc + c) * D + d];
  EXPECT_ARRAY_EQ(sum(x, {1, 3}, false, device), ref13, Shape{A, Cc});
}

// Short kept rows under reduced axes, as 2x2 max pooling reduces (n, h, 2, w, 2, c) over axes 2
// and 4 (threads take blocks of output rows), and rows whose lengths are not a multiple of the
// 32 accumulator lanes, in float32 against the host loop.
DEVICE_TEST(ReduceLarge, PoolingAxesAndOddRows) {
  Shape pool{4, 14, 2, 13, 2, 7};
  auto pv = tx::rand_values(tx::numel(pool), -3, 3, 77);
  array px = astype(tx::f64(pv, pool), float32, device);
  for (Op op : {Op::Sum, Op::Max, Op::Min, Op::Mean})
    EXPECT_TRUE(matches_host(op, px, values(px), pool, {2, 4}, false, device, 1e-5));
  EXPECT_TRUE(matches_host(Op::Max, px, values(px), pool, {0, 2, 4}, true, device, 1e-5));
  for (int len : {1, 31, 33, 37, 95, 1000}) {
    Shape rows{9, len};
    auto rv = tx::rand_values(tx::numel(rows), -1.25, 1.25, 78 + len);
    array rx = astype(tx::f64(rv, rows), float32, device);
    for (Op op : {Op::Sum, Op::Max, Op::Prod})
      EXPECT_TRUE(matches_host(op, rx, values(rx), rows, {1}, false, device, 1e-4)) << len;
  }
}

DEVICE_TEST(ReduceLarge, FullReductionsAndArgReductions) {
  const int n = 1000003;  // odd, so chunks are uneven
  std::vector<int32_t> v(n);
  int64_t total = 0;
  for (int i = 0; i < n; ++i) {
    v[i] = (i % 7) - 3;
    total += v[i];
  }
  v[654321] = 1000;  // unique maximum
  v[12345] = -1000;  // unique minimum
  total += 1000 - ((654321 % 7) - 3) - 1000 - ((12345 % 7) - 3);
  array x(v, Shape{n});
  EXPECT_ARRAY_EQ(sum(x, device), std::vector<int32_t>{static_cast<int32_t>(total)}, Shape{});
  EXPECT_ARRAY_EQ(max(x, device), std::vector<int32_t>{1000}, Shape{});
  EXPECT_ARRAY_EQ(min(x, device), std::vector<int32_t>{-1000}, Shape{});
  EXPECT_ARRAY_EQ(argmax(x, device), std::vector<uint32_t>{654321}, Shape{});
  EXPECT_ARRAY_EQ(argmin(x, device), std::vector<uint32_t>{12345}, Shape{});
  EXPECT_ARRAY_EQ(count_nonzero(x, device),
                  std::vector<uint32_t>{static_cast<uint32_t>(
                      std::count_if(v.begin(), v.end(), [](int32_t y) { return y != 0; }))},
                  Shape{});
  // argmax along each axis of a matrix, against a loop (first index of the maximum).
  const int R = 700, C = 500;
  std::vector<int32_t> w(R * C);
  for (int i = 0; i < R * C; ++i)
    w[i] = static_cast<int32_t>((static_cast<uint32_t>(i) * 2246822519u) % 97);
  array m(w, Shape{R, C});
  std::vector<uint32_t> am0(C, 0), am1(R, 0);
  for (int j = 0; j < C; ++j)
    for (int i = 1; i < R; ++i)
      if (w[i * C + j] > w[am0[j] * C + j]) am0[j] = i;
  for (int i = 0; i < R; ++i)
    for (int j = 1; j < C; ++j)
      if (w[i * C + j] < w[i * C + am1[i]]) am1[i] = j;
  EXPECT_ARRAY_EQ(argmax(m, 0, false, device), am0, Shape{C});
  EXPECT_ARRAY_EQ(argmin(m, 1, false, device), am1, Shape{R});
  EXPECT_ARRAY_EQ(argmax(transpose(m, device), 1, false, device), am0, Shape{C});
}

// ============================== errors ==============================

DEVICE_TEST(Reduce, BadAxes) {
  array a = zeros({2, 3}, float32, device);
  EXPECT_THROW_MSG(sum(a, 2, false, device), E,
                   "[sum] Invalid axis 2 for array with 2 dimensions.");
  EXPECT_THROW_MSG(sum(a, -3, false, device), E, "[sum] Invalid axis -3");
  EXPECT_THROW_MSG(prod(a, {0, 5}, false, device), E, "[prod] Invalid axis 5");
  EXPECT_THROW_MSG(max(a, {0, 0}, false, device), E, "[max] Duplicate axis 0");
  EXPECT_THROW_MSG(min(a, {1, -1}, false, device), E, "[min] Duplicate axis -1");
  EXPECT_THROW_MSG(all(a, 7, false, device), E, "[all] Invalid axis 7");
  EXPECT_THROW_MSG(any(a, {0, -2}, false, device), E, "[any] Duplicate axis");
  EXPECT_THROW_MSG(mean(a, 3, false, device), E, "[mean] Invalid axis 3");
  EXPECT_THROW_MSG(mean(a, {1, 1}, false, device), E, "[mean] Duplicate axis");
  EXPECT_THROW_MSG(var(a, 2, false, 0, device), E, "[var] Invalid axis 2");
  EXPECT_THROW_MSG(tandem::std(a, {0, 0}, false, 0, device), E, "[std] Duplicate axis");
  EXPECT_THROW_MSG(tandem::std(a, 4, false, 0, device), E, "[std] Invalid axis 4");
  EXPECT_THROW_MSG(logsumexp(a, -3, false, device), E, "[logsumexp] Invalid axis -3");
  EXPECT_THROW_MSG(softmax(a, 2, false, device), E, "[softmax] Invalid axis 2");
  EXPECT_THROW_MSG(softmax(a, {0, 0}, false, device), E, "[softmax] Duplicate axis");
  EXPECT_THROW_MSG(count_nonzero(a, 2, false, device), E, "[count_nonzero] Invalid axis 2");
  EXPECT_THROW_MSG(argmax(a, 2, false, device), E, "[argmax] Invalid axis 2");
  EXPECT_THROW_MSG(argmin(a, -3, false, device), E, "[argmin] Invalid axis -3");
  // Complex where the op has no meaning.
  array z = array({complex64_t(1, 1)});
  EXPECT_THROW_MSG(argmax(z, device), E, "[argmax] Not supported for complex64.");
  EXPECT_THROW_MSG(argmin(z, 0, false, device), E, "[argmin] Not supported for complex64.");
  EXPECT_THROW_MSG(var(z, device), E, "[var] Not supported for complex64.");
  EXPECT_THROW_MSG(softmax(z, false, device), E, "[softmax] Not supported for complex64.");
}

// ============================== var / std ==============================

DEVICE_TEST(ReduceVar, Values) {
  array a = array({1.0f, 2.0f, 3.0f, 4.0f});
  EXPECT_ARRAY_CLOSE(var(a, device), {1.25}, Shape{});
  EXPECT_ARRAY_CLOSE(var(a, false, 1, device), {5.0 / 3}, Shape{});
  EXPECT_ARRAY_CLOSE(tandem::std(a, device), {std::sqrt(1.25)}, Shape{});
  EXPECT_ARRAY_CLOSE(tandem::std(a, true, 1, device), {std::sqrt(5.0 / 3)}, Shape{1});
  array m = array({1.0, 2.0, 4.0, 2.0, 2.0, 8.0}, {2, 3}, float64);
  // Rows: mean 7/3 and 4; columns: means 1.5, 2, 6.
  EXPECT_ARRAY_CLOSE(var(m, 1, false, 0, device), {14.0 / 9, 8.0}, Shape{2});
  EXPECT_ARRAY_CLOSE(var(m, 0, true, 0, device), {0.25, 0, 4}, Shape{1, 3});
  EXPECT_ARRAY_CLOSE(var(m, 0, false, 1, device), {0.5, 0, 8}, Shape{3});
  EXPECT_ARRAY_CLOSE(tandem::std(m, -1, false, 1, device), {std::sqrt(7.0 / 3), std::sqrt(12.0)},
                     Shape{2});
  EXPECT_ARRAY_CLOSE(var(m, {0, 1}, false, 0, device), {197.0 / 36}, Shape{});
  // Integers give float32.
  EXPECT_ARRAY_EQ(var(array({1, 3}), device), std::vector<float>{1}, Shape{}, float32);
  EXPECT_ARRAY_EQ(tandem::std(array({uint8_t(2), uint8_t(6)}), device), std::vector<float>{2},
                  Shape{}, float32);
  // Half types keep their type.
  EXPECT_ARRAY_CLOSE(var(make({1, 2, 3, 4}, float16), device), {1.25}, Shape{});
  EXPECT_EQ(var(make({1, 2}, bfloat16), device).dtype(), bfloat16);
  // A large offset does not destroy the variance (two-pass: mean first).
  EXPECT_ARRAY_CLOSE(var(array({1e8 + 1, 1e8 + 2, 1e8 + 3}, float64), device), {2.0 / 3}, Shape{},
                     1e-9, 0);
  EXPECT_ARRAY_CLOSE(var(array({1e4f + 1, 1e4f + 2, 1e4f + 3}), device), {2.0 / 3}, Shape{}, 1e-5,
                     0);
  // Transposed and broadcast inputs.
  EXPECT_ARRAY_CLOSE(var(transpose(m, device), 0, false, 0, device), {14.0 / 9, 8.0}, Shape{2});
  EXPECT_ARRAY_CLOSE(var(broadcast_to(array({1.0f, 5.0f}, {1, 2}), {3, 2}), 1, false, 0, device),
                     {4, 4, 4}, Shape{3});
  EXPECT_ARRAY_CLOSE(var(broadcast_to(array({1.0f, 5.0f}, {1, 2}), {3, 2}), 0, false, 0, device),
                     {0, 0}, Shape{2});
}

DEVICE_TEST(ReduceVar, DdofAtLeastCount) {
  // MLX (and NumPy) divide by max(n - ddof, 0): a non-zero sum of squares gives inf, a zero one
  // NaN.
  EXPECT_ARRAY_EQ(var(array({1.0f, 3.0f}), false, 2, device), std::vector<float>{kInfF}, Shape{});
  EXPECT_ARRAY_EQ(var(array({1.0f, 3.0f}), false, 5, device), std::vector<float>{kInfF}, Shape{});
  EXPECT_ARRAY_EQ(var(array({2.0f, 2.0f}), false, 2, device), std::vector<float>{kNaNF}, Shape{});
  EXPECT_ARRAY_EQ(tandem::std(array({1.0f, 3.0f}), false, 2, device), std::vector<float>{kInfF},
                  Shape{});
  EXPECT_ARRAY_EQ(var(array({4.0f}), false, 1, device), std::vector<float>{kNaNF}, Shape{});
  EXPECT_ARRAY_EQ(var(zeros({0}, float32, device), device), std::vector<float>{kNaNF}, Shape{});
}

// ============================== argmax / argmin ==============================

DEVICE_TEST(ReduceArg, ValuesTiesKeepdims) {
  array a = array({3, 9, 9, 1, 1, 4}, {2, 3});
  EXPECT_ARRAY_EQ(argmax(a, device), std::vector<uint32_t>{1}, Shape{}, uint32);
  EXPECT_ARRAY_EQ(argmin(a, device), std::vector<uint32_t>{3}, Shape{}, uint32);
  EXPECT_ARRAY_EQ(argmax(a, true, device), std::vector<uint32_t>{1}, Shape{1, 1});
  EXPECT_ARRAY_EQ(argmax(a, 0, false, device), std::vector<uint32_t>{0, 0, 0}, Shape{3});
  EXPECT_ARRAY_EQ(argmin(a, 0, false, device), std::vector<uint32_t>{1, 1, 1}, Shape{3});
  EXPECT_ARRAY_EQ(argmax(a, 1, false, device), std::vector<uint32_t>{1, 2}, Shape{2});
  EXPECT_ARRAY_EQ(argmin(a, -1, true, device), std::vector<uint32_t>{0, 0}, Shape{2, 1});
  // Ties pick the first index.
  EXPECT_ARRAY_EQ(argmax(array({2, 5, 5, 5, 1}), device), std::vector<uint32_t>{1}, Shape{});
  EXPECT_ARRAY_EQ(argmin(array({7, 7, 7}), device), std::vector<uint32_t>{0}, Shape{});
  EXPECT_ARRAY_EQ(argmax(array({-0.0f, 0.0f}), device), std::vector<uint32_t>{0}, Shape{});
  // 3-d, middle axis, keepdims.
  array c = reshape(array({1, 8, 3, 4, 5, 6, 7, 2, 9, 0, 11, 10}), {2, 3, 2}, device);
  // c[0] = [[1, 8], [3, 4], [5, 6]], c[1] = [[7, 2], [9, 0], [11, 10]].
  EXPECT_ARRAY_EQ(argmax(c, 1, true, device), std::vector<uint32_t>{2, 0, 2, 2}, Shape{2, 1, 2});
  EXPECT_ARRAY_EQ(argmin(c, 1, false, device), std::vector<uint32_t>{0, 1, 0, 1}, Shape{2, 2});
  EXPECT_ARRAY_EQ(argmax(c, 2, false, device), std::vector<uint32_t>{1, 1, 1, 0, 0, 0},
                  Shape{2, 3});
  // Flattened argmax with keepdims keeps every axis as 1.
  EXPECT_ARRAY_EQ(argmax(c, true, device), std::vector<uint32_t>{10}, Shape{1, 1, 1});
}

DEVICE_TEST(ReduceArg, EveryDtypeAndLayout) {
  const std::vector<double> v{3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8};
  for (Dtype t : tandem_test::real_numeric_dtypes()) {
    for (auto& lc : layouts(v, t)) {
      if (lc.input.size() == 0) continue;
      SCOPED_TRACE(dtype_name(t) + " " + lc.name);
      // Flattened: first maximum / minimum of the row-major values.
      auto first = [&](bool mx) {
        size_t best = 0;
        for (size_t i = 1; i < lc.vals.size(); ++i)
          if (mx ? lc.vals[i] > lc.vals[best] : lc.vals[i] < lc.vals[best]) best = i;
        return static_cast<uint32_t>(best);
      };
      EXPECT_ARRAY_EQ(argmax(lc.input, device), std::vector<uint32_t>{first(true)}, Shape{});
      EXPECT_ARRAY_EQ(argmin(lc.input, device), std::vector<uint32_t>{first(false)}, Shape{});
      if (lc.shape.size() == 2) {
        int R = lc.shape[0], C = lc.shape[1];
        std::vector<uint32_t> r0(C, 0), r1(R, 0);
        for (int j = 0; j < C; ++j)
          for (int i = 1; i < R; ++i)
            if (lc.vals[i * C + j] > lc.vals[r0[j] * C + j]) r0[j] = i;
        for (int i = 0; i < R; ++i)
          for (int j = 1; j < C; ++j)
            if (lc.vals[i * C + j] < lc.vals[i * C + r1[i]]) r1[i] = j;
        EXPECT_ARRAY_EQ(argmax(lc.input, 0, false, device), r0, Shape{C});
        EXPECT_ARRAY_EQ(argmin(lc.input, 1, false, device), r1, Shape{R});
      }
    }
  }
  EXPECT_ARRAY_EQ(argmax(array({false, true, true}), device), std::vector<uint32_t>{1}, Shape{});
  EXPECT_ARRAY_EQ(argmin(array({true, false, false}), device), std::vector<uint32_t>{1}, Shape{});
}

DEVICE_TEST(ReduceArg, NaNIsPickedFirst) {
  // MLX (since ml-explore/mlx#4291), NumPy and PyTorch return the first NaN, consistent with max
  // and min propagating NaN.
  for (Dtype t : tandem_test::float_dtypes()) {
    SCOPED_TRACE(dtype_name(t));
    EXPECT_ARRAY_EQ(argmax(make({3, kNaN, 1, 5}, t), device), std::vector<uint32_t>{1}, Shape{});
    EXPECT_ARRAY_EQ(argmin(make({3, kNaN, 1, 5}, t), device), std::vector<uint32_t>{1}, Shape{});
    EXPECT_ARRAY_EQ(argmax(make({kNaN, 1, kNaN}, t), device), std::vector<uint32_t>{0}, Shape{});
    EXPECT_ARRAY_EQ(argmax(make({1, 2, kNaN}, t), device), std::vector<uint32_t>{2}, Shape{});
    EXPECT_ARRAY_EQ(argmin(make({kInf, kNaN, -kInf}, t), device), std::vector<uint32_t>{1},
                    Shape{});
    EXPECT_ARRAY_EQ(argmax(make({-kInf, kInf, 1}, t), device), std::vector<uint32_t>{1}, Shape{});
    array m = make({1, kNaN, 5, 2, 7, kNaN}, {2, 3}, t);
    EXPECT_ARRAY_EQ(argmax(m, 0, false, device), std::vector<uint32_t>{1, 0, 1}, Shape{3});
    EXPECT_ARRAY_EQ(argmin(m, 1, false, device), std::vector<uint32_t>{1, 2}, Shape{2});
  }
}

// ============================== logsumexp ==============================

DEVICE_TEST(ReduceLogSumExp, Values) {
  // log(e + e^2 + e^3) = 3 + log(1 + e^-1 + e^-2).
  const double l123 = 3 + std::log(1 + std::exp(-1.0) + std::exp(-2.0));
  EXPECT_ARRAY_CLOSE(logsumexp(array({1.0f, 2.0f, 3.0f}), device), {l123}, Shape{});
  EXPECT_ARRAY_CLOSE(logsumexp(array({1.0, 2.0, 3.0}, float64), device), {l123}, Shape{});
  array m = array({1.0f, 2.0f, 3.0f, 0.0f, 0.0f, 0.0f}, {2, 3});
  EXPECT_ARRAY_CLOSE(logsumexp(m, 1, false, device), {l123, std::log(3.0)}, Shape{2});
  EXPECT_ARRAY_CLOSE(logsumexp(m, -1, true, device), {l123, std::log(3.0)}, Shape{2, 1});
  EXPECT_ARRAY_CLOSE(
      logsumexp(m, 0, false, device),
      {std::log(std::exp(1.0) + 1), std::log(std::exp(2.0) + 1), std::log(std::exp(3.0) + 1)},
      Shape{3});
  double all6 = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0) + 3);
  EXPECT_ARRAY_CLOSE(logsumexp(m, device), {all6}, Shape{});
  EXPECT_ARRAY_CLOSE(logsumexp(m, true, device), {all6}, Shape{1, 1});
  // Several axes of a 3-d array, transposed input.
  array c = reshape(astype(arange(0, 8, device), float64, device), {2, 2, 2}, device);
  auto lse = [](std::vector<double> xs) {
    double s = 0;
    for (double x : xs)
      s += std::exp(x);
    return std::log(s);
  };
  EXPECT_ARRAY_CLOSE(logsumexp(c, {0, 2}, false, device), {lse({0, 1, 4, 5}), lse({2, 3, 6, 7})},
                     Shape{2});
  // transpose(c)[k, j, i] = c[i, j, k]: reducing its axes 0 and 2 leaves c's axis 1.
  EXPECT_ARRAY_CLOSE(logsumexp(transpose(c, device), {0, 2}, false, device),
                     {lse({0, 1, 4, 5}), lse({2, 3, 6, 7})}, Shape{2});
  EXPECT_ARRAY_CLOSE(logsumexp(transpose(c, device), {1, -1}, true, device),
                     {lse({0, 2, 4, 6}), lse({1, 3, 5, 7})}, Shape{2, 1, 1});
  // Integers give float32.
  array i = logsumexp(array({0, 0}), device);
  EXPECT_EQ(i.dtype(), float32);
  EXPECT_ARRAY_CLOSE(i, {std::log(2.0)}, Shape{});
  // float16 input keeps its dtype.
  EXPECT_ARRAY_CLOSE(logsumexp(make({1, 2, 3}, float16), device), {l123}, Shape{});
}

DEVICE_TEST(ReduceLogSumExp, LargeValuesAndInfinities) {
  // Stable for values whose exp overflows or underflows.
  EXPECT_ARRAY_CLOSE(logsumexp(array({1000.0f, 1000.0f}), device), {1000 + std::log(2.0)}, Shape{});
  EXPECT_ARRAY_CLOSE(logsumexp(array({-1000.0f, -1000.0f}), device), {-1000 + std::log(2.0)},
                     Shape{});
  EXPECT_ARRAY_CLOSE(logsumexp(array({1e30f, 0.0f}), device), {1e30}, Shape{});
  EXPECT_ARRAY_CLOSE(logsumexp(make({60000, 60000}, float16), device), {60000}, Shape{});
  // Rows of -inf give -inf (not NaN); +inf gives +inf; -inf entries are ignored.
  array m = array({-kInfF, -kInfF, 0.0f, -kInfF, kInfF, 1.0f, kInfF, -kInfF}, {4, 2});
  EXPECT_ARRAY_CLOSE(logsumexp(m, 1, false, device), {-kInf, 0, kInf, kInf}, Shape{4});
  // NaN propagates.
  EXPECT_ARRAY_CLOSE(logsumexp(array({1.0f, kNaNF}), device), {kNaN}, Shape{});
}

// ============================== softmax ==============================

DEVICE_TEST(ReduceSoftmax, Values) {
  const double d = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  std::vector<double> s123{std::exp(1.0) / d, std::exp(2.0) / d, std::exp(3.0) / d};
  EXPECT_ARRAY_CLOSE(softmax(array({1.0f, 2.0f, 3.0f}), false, device), s123, Shape{3});
  EXPECT_ARRAY_CLOSE(softmax(array({1.0f, 2.0f, 3.0f}), -1, false, device), s123, Shape{3});
  // Shift invariance and large values.
  EXPECT_ARRAY_CLOSE(softmax(array({1001.0f, 1002.0f, 1003.0f}), false, device), s123, Shape{3});
  EXPECT_ARRAY_CLOSE(softmax(array({-1e4f, -1e4f + 1, -1e4f + 2}), false, device), s123, Shape{3},
                     1e-5, 1e-6);
  // Rows sum to 1 along the chosen axis.
  array m = array({1.0f, 2.0f, 3.0f, -1.0f, 0.0f, 50.0f}, {2, 3});
  array rows = softmax(m, 1, false, device);
  EXPECT_ARRAY_CLOSE(sum(rows, 1, false, device), {1, 1}, Shape{2});
  EXPECT_ARRAY_CLOSE(rows, {s123[0], s123[1], s123[2], std::exp(-51.0), std::exp(-50.0), 1},
                     Shape{2, 3}, 1e-6, 1e-7);
  array cols = softmax(m, 0, false, device);
  EXPECT_ARRAY_CLOSE(sum(cols, 0, false, device), {1, 1, 1}, Shape{3});
  EXPECT_ARRAY_CLOSE(cols,
                     {1 / (1 + std::exp(-2.0)), 1 / (1 + std::exp(-2.0)), 1 / (1 + std::exp(47.0)),
                      1 / (1 + std::exp(2.0)), 1 / (1 + std::exp(2.0)), 1 / (1 + std::exp(-47.0))},
                     Shape{2, 3}, 1e-6, 1e-7);
  // All axes: the whole array sums to 1.
  EXPECT_ARRAY_CLOSE(sum(softmax(m, false, device), device), {1}, Shape{});
  EXPECT_ARRAY_CLOSE(sum(softmax(m, {0, 1}, false, device), device), {1}, Shape{});
  // -inf entries get probability 0.
  EXPECT_ARRAY_CLOSE(softmax(array({-kInfF, 0.0f, 0.0f}), false, device), {0, 0.5, 0.5}, Shape{3});
  // Transposed and broadcast inputs.
  EXPECT_ARRAY_CLOSE(softmax(transpose(m, device), 0, false, device),
                     {s123[0], std::exp(-51.0), s123[1], std::exp(-50.0), s123[2], 1}, Shape{3, 2},
                     1e-6, 1e-7);
  EXPECT_ARRAY_CLOSE(
      softmax(broadcast_to(array({0.0f, 0.0f, 0.0f, 0.0f}, {1, 4}), {2, 4}), 1, false, device),
      std::vector<double>(8, 0.25), Shape{2, 4});
  // float64.
  EXPECT_ARRAY_CLOSE(softmax(array({1.0, 2.0, 3.0}, float64), false, device), s123, Shape{3});
}

DEVICE_TEST(ReduceSoftmax, PreciseHalfTypesAndIntegers) {
  const double d = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  std::vector<double> s123{std::exp(1.0) / d, std::exp(2.0) / d, std::exp(3.0) / d};
  for (Dtype t : {float16, bfloat16}) {
    SCOPED_TRACE(dtype_name(t));
    array x = make({1, 2, 3}, t);
    for (bool precise : {false, true}) {
      array y = softmax(x, precise, device);
      EXPECT_EQ(y.dtype(), t);
      EXPECT_ARRAY_CLOSE(y, s123, Shape{3});
    }
    // Many equal values: 1/1000 each (the float32 sum of the precise path is exact).
    array many = softmax(zeros({1000}, t, device), true, device);
    EXPECT_ARRAY_CLOSE(many, std::vector<double>(1000, 1e-3), Shape{1000});
  }
  // Integer inputs are computed in float32, as MLX.
  array i = softmax(array({1, 2, 3}), false, device);
  EXPECT_EQ(i.dtype(), float32);
  EXPECT_ARRAY_CLOSE(i, s123, Shape{3});
  EXPECT_EQ(softmax(array({true, false}), 0, false, device).dtype(), float32);
}

// ============================== count_nonzero ==============================

DEVICE_TEST(ReduceCountNonzero, Values) {
  array a = array({0, 1, 2, 0, 0, 3}, {2, 3});
  EXPECT_ARRAY_EQ(count_nonzero(a, device), std::vector<uint32_t>{3}, Shape{}, uint32);
  EXPECT_ARRAY_EQ(count_nonzero(a, 0, false, device), std::vector<uint32_t>{0, 1, 2}, Shape{3});
  EXPECT_ARRAY_EQ(count_nonzero(a, 1, true, device), std::vector<uint32_t>{2, 1}, Shape{2, 1});
  EXPECT_ARRAY_EQ(count_nonzero(a, true, device), std::vector<uint32_t>{3}, Shape{1, 1});
  EXPECT_ARRAY_EQ(count_nonzero(transpose(a, device), 0, false, device),
                  std::vector<uint32_t>{2, 1}, Shape{2});
  EXPECT_ARRAY_EQ(count_nonzero(array({true, false, true}), device), std::vector<uint32_t>{2},
                  Shape{});
  for (Dtype t : tandem_test::all_dtypes()) {
    SCOPED_TRACE(dtype_name(t));
    EXPECT_ARRAY_EQ(count_nonzero(make({0, 1, 0, 1, 1}, t), device), std::vector<uint32_t>{3},
                    Shape{});
  }
}
