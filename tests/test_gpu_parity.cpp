// Copyright © 2026 Tandem authors.
// GPU against CPU for the indexing, sort / scan and convolution kernels (src/backend/cuda:
// gather.cu, scatter.cu, sort.cu, scan.cu, conv.cu). Random inputs, every dtype each op
// supports, non-contiguous inputs, duplicate and out-of-range indices, ties and NaN, rows longer
// than one block, empty arrays. The CPU result is the oracle (EXPECT_MATCHES_CPU); without a GPU
// only the CPU side runs (the largest cases are skipped then).
//
// Values are chosen so that results do not depend on the order of floating-point operations
// where the GPU's order differs from the CPU's (small integers for sums, powers of two for
// products); elsewhere the comparison allows the dtype's tolerance.
#include <algorithm>
#include <cmath>
#include <complex>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "harness.h"

using namespace tandem;
using tandem_test::make;
using tandem_test::values;

namespace tandem::detail {
// The internal along-axis ops (src/primitives/sort_scan.h), exported by the library.
array gather_along_axis(const array& a, const array& idx, int axis, StreamOrDevice s);
array scatter_add_along_axis(const array& src, const array& idx, int axis, int extent,
                             StreamOrDevice s);
}  // namespace tandem::detail

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<double> rnd_ints(size_t n, int lo, int hi, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> d(lo, hi);
  std::vector<double> v(n);
  for (auto& x : v)
    x = d(gen);
  return v;
}

std::vector<double> rnd_reals(size_t n, double lo, double hi, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> d(lo, hi);
  std::vector<double> v(n);
  for (auto& x : v)
    x = d(gen);
  return v;
}

std::vector<double> pick(size_t n, const std::vector<double>& from, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<size_t> d(0, from.size() - 1);
  std::vector<double> v(n);
  for (auto& x : v)
    x = from[d(gen)];
  return v;
}

bool is_unsigned_or_bool(Dtype t) {
  return t == bool_ || t == uint8 || t == uint16 || t == uint32 || t == uint64;
}
bool is_float_or_complex(Dtype t) {
  return t == float16 || t == bfloat16 || t == float32 || t == float64 || t == complex64;
}

// Every `every`-th value NaN (float and complex dtypes only).
std::vector<double> with_nans(std::vector<double> v, Dtype t, size_t every = 17) {
  if (!is_float_or_complex(t)) return v;
  for (size_t i = 3; i < v.size(); i += every)
    v[i] = kNaN;
  return v;
}

// An array of `t` from real values; complex64 gets the imaginary parts `im` (or 0).
array of(const std::vector<double>& re, const Shape& shape, Dtype t,
         const std::vector<double>& im = {}) {
  if (t != complex64 || im.empty()) return make(re, shape, t);
  return add(make(re, shape, complex64),
             multiply(make(im, shape, complex64), array(complex64_t(0.0f, 1.0f))), Device::cpu);
}

// Random small integers in [lo, hi] (non-negative for unsigned dtypes, 0/1 for bool), with ties.
array rnd(const Shape& shape, Dtype t, uint32_t seed, int lo = -20, int hi = 20,
          bool nans = false) {
  size_t n = 1;
  for (auto d : shape)
    n *= d;
  if (t == bool_) return make(rnd_ints(n, 0, 1, seed), shape, t);
  if (is_unsigned_or_bool(t)) lo = std::max(lo, 0);
  auto v = rnd_ints(n, lo, hi, seed);
  if (nans) v = with_nans(v, t);
  return of(v, shape, t, rnd_ints(n, -2, 2, seed + 1000));
}

// Complex results are compared through their real and imaginary parts (NaN-aware).
void expect_matches(const std::function<array(Device)>& fn, double tol_scale = 1.0) {
  array probe = fn(Device(Device::cpu));
  if (probe.dtype() == complex64) {
    EXPECT_MATCHES_CPU([&](Device d) { return real(fn(d), d); }, tol_scale);
    EXPECT_MATCHES_CPU([&](Device d) { return imag(fn(d), d); }, tol_scale);
  } else {
    EXPECT_MATCHES_CPU(fn, tol_scale);
  }
}

std::vector<Device> gpus() {
  std::vector<Device> out;
  for (auto& d : tandem_test::test_devices())
    if (d.type != Device::cpu) out.push_back(d);
  return out;
}

}  // namespace

// =====================================================================================
// Sort / argsort / partition / searchsorted
// =====================================================================================

TEST(GpuParity, SortAndArgsortAllDtypes) {
  struct C {
    Shape shape;
    int axis;
  };
  // Short and long rows, the sorted axis first or last, many rows (row bits in the key).
  std::vector<C> cases{{{40, 33}, 0}, {{40, 33}, 1}, {{3, 5000}, 1}, {{2100, 3}, 0}, {{1, 7}, 1}};
  uint32_t seed = 1;
  for (Dtype t : tandem_test::all_dtypes()) {
    for (auto& c : cases) {
      SCOPED_TRACE(dtype_name(t) + " " + shape_to_string(c.shape) + " axis " +
                   std::to_string(c.axis));
      array x = rnd(c.shape, t, seed++, -20, 20, true);
      expect_matches([&](Device d) { return sort(x, c.axis, d); });
      EXPECT_MATCHES_CPU([&](Device d) { return argsort(x, c.axis, d); });
      // Non-contiguous input (transposed), the other axis.
      array xt = transpose(x);
      EXPECT_MATCHES_CPU([&](Device d) { return argsort(xt, 1 - c.axis, d); });
      expect_matches([&](Device d) { return sort(xt, 1 - c.axis, d); });
    }
  }
}

TEST(GpuParity, SortKeysAndRows) {
  // 64-bit keys with several rows (a second pass by row), one long row, ties and NaN,
  // extreme values, a strided input, signed zeros.
  for (Dtype t : {int64, uint64, float64, int32, uint32, float32, int16, float16, bfloat16}) {
    SCOPED_TRACE(dtype_name(t));
    array x = rnd({50, 120}, t, 7, -1000, 1000, true);
    EXPECT_MATCHES_CPU([&](Device d) { return argsort(x, 1, d); });
    EXPECT_MATCHES_CPU([&](Device d) { return argsort(x, 0, d); });
    array s = slice(rnd({60, 100}, t, 8, -5, 5, true), {1, 0}, {60, 100}, {3, 2});
    EXPECT_MATCHES_CPU([&](Device d) { return argsort(s, 1, d); });
    EXPECT_MATCHES_CPU([&](Device d) { return sort(s, 0, d); });
  }
  array extremes = array({std::numeric_limits<int64_t>::min(), int64_t(-1), int64_t(0),
                          std::numeric_limits<int64_t>::max(), int64_t(1)});
  EXPECT_MATCHES_CPU([&](Device d) { return argsort(extremes, 0, d); });
  array zeros_nan = make({0.0, -0.0, kNaN, -1.0, -0.0, kNaN, 0.0, -kNaN, 1e-30, -1e-30}, float32);
  EXPECT_MATCHES_CPU([&](Device d) { return argsort(zeros_nan, 0, d); });
  EXPECT_MATCHES_CPU([&](Device d) { return argsort(astype(zeros_nan, float16), 0, d); });
  EXPECT_MATCHES_CPU([&](Device d) { return argsort(astype(zeros_nan, float64), 0, d); });
  // One long row with NaN (flattened sort).
  array big = make(with_nans(rnd_ints(200001, -500, 500, 9), float32, 101), {200001}, float32);
  EXPECT_MATCHES_CPU([&](Device d) { return argsort(big, d); });
  EXPECT_MATCHES_CPU([&](Device d) { return sort(big, d); });
  // Complex with every NaN class and ties, several rows.
  std::vector<double> re = rnd_ints(6 * 40, -3, 3, 10), im = rnd_ints(6 * 40, -3, 3, 11);
  for (size_t i = 0; i < re.size(); i += 7)
    re[i] = kNaN;
  for (size_t i = 2; i < im.size(); i += 5)
    im[i] = kNaN;
  array z = of(re, {6, 40}, complex64, im);
  EXPECT_MATCHES_CPU([&](Device d) { return argsort(z, 1, d); });
  EXPECT_MATCHES_CPU([&](Device d) { return argsort(z, 0, d); });
  // Empty and single-element rows.
  EXPECT_MATCHES_CPU([&](Device d) { return argsort(zeros({0, 4}), 0, d); });
  EXPECT_MATCHES_CPU([&](Device d) { return sort(rnd({5, 1}, int32, 12), 1, d); });
}

TEST(GpuParity, PartitionIsAValidPartition) {
  // The GPU's order away from kth may differ from the CPU's nth_element (sort.cu): compare the
  // element at kth and the sorted contents, and check partition == take_along_axis(argpartition).
  uint32_t seed = 20;
  for (Dtype t : tandem_test::all_dtypes()) {
    if (t == complex64) continue;  // tests/test_sort_scan.cpp covers complex partition
    for (int axis : {0, 1}) {
      array x = rnd({37, 45}, t, seed++, -9, 9, true);
      int n = x.shape()[axis];
      for (int kth : {0, n / 3, n - 1}) {
        SCOPED_TRACE(dtype_name(t) + " axis " + std::to_string(axis) + " kth " +
                     std::to_string(kth));
        EXPECT_MATCHES_CPU([&](Device d) { return take(partition(x, kth, axis, d), kth, axis, d); });
        EXPECT_MATCHES_CPU([&](Device d) { return sort(partition(x, kth, axis, d), axis, d); });
        EXPECT_MATCHES_CPU(
            [&](Device d) { return take(take_along_axis(x, argpartition(x, kth, axis, d), axis, d), kth, axis, d); });
        for (auto& d : gpus()) {
          array p = partition(x, kth, axis, d);
          array g = take_along_axis(x, argpartition(x, kth, axis, d), axis, d);
          EXPECT_TRUE(tandem_test::arrays_close(p, g, 0.0));
        }
      }
    }
  }
  array big = make(with_nans(rnd_ints(100000, -50, 50, 30), float32), {100000}, float32);
  EXPECT_MATCHES_CPU([&](Device d) { return take(partition(big, 51234, 0, d), 51234, 0, d); });
  EXPECT_MATCHES_CPU([&](Device d) { return topk(big, 10, d); });
}

TEST(GpuParity, SearchSorted) {
  uint32_t seed = 40;
  for (Dtype t : tandem_test::all_dtypes()) {
    SCOPED_TRACE(dtype_name(t));
    bool nans = t != complex64;  // complex NaN orders are covered by tests/test_sort_scan.cpp
    array a = sort(rnd({300}, t, seed++, -30, 30, nans), Device::cpu);
    array v = rnd({20, 31}, t, seed++, -35, 35, nans);
    for (const char* side : {"left", "right"}) {
      EXPECT_MATCHES_CPU([&](Device d) { return searchsorted(a, v, side, d); });
      EXPECT_MATCHES_CPU([&](Device d) { return searchsorted(a, transpose(v), side, d); });
      // A strided sorted array.
      EXPECT_MATCHES_CPU(
          [&](Device d) { return searchsorted(slice(a, {1}, {300}, {4}), v, side, d); });
    }
  }
  // Batched through vmap (SearchSorted with batch dims).
  array rows = sort(rnd({6, 50}, float32, 50, -10, 10, true), 1, Device::cpu);
  array v = rnd({9}, float32, 51, -12, 12);
  EXPECT_MATCHES_CPU([&](Device d) {
    return vmap([&](const array& r) { return searchsorted(r, v, "right", d); })(rows);
  });
  EXPECT_MATCHES_CPU([&](Device d) { return searchsorted(zeros({0}), v, "left", d); });
}

// =====================================================================================
// Scans
// =====================================================================================

TEST(GpuParity, ScansAllOpsAndDtypes) {
  struct C {
    Shape shape;
    int axis;
  };
  // Rows spanning several tiles, long rows split into chunks over blocks, short rows (a thread
  // per row), few long columns (transposed into rows), a 1-d array.
  std::vector<C> cases{{{5, 3000}, 1}, {{2, 40000}, 1}, {{7, 10}, 1},
                       {{3000, 5}, 0}, {{70, 300}, 0}, {{9}, 0}};
  using ScanFn = std::function<array(const array&, int, bool, bool, Device)>;
  std::vector<std::pair<std::string, ScanFn>> fns{
      {"cumsum", [](const array& a, int ax, bool r, bool i, Device d) { return cumsum(a, ax, r, i, d); }},
      {"cumprod", [](const array& a, int ax, bool r, bool i, Device d) { return cumprod(a, ax, r, i, d); }},
      {"cummax", [](const array& a, int ax, bool r, bool i, Device d) { return cummax(a, ax, r, i, d); }},
      {"cummin", [](const array& a, int ax, bool r, bool i, Device d) { return cummin(a, ax, r, i, d); }},
      {"logcumsumexp",
       [](const array& a, int ax, bool r, bool i, Device d) { return logcumsumexp(a, ax, r, i, d); }},
  };
  uint32_t seed = 60;
  for (Dtype t : tandem_test::all_dtypes()) {
    for (auto& c : cases) {
      size_t n = 1;
      for (auto e : c.shape)
        n *= e;
      for (auto& [name, fn] : fns) {
        if (name == "logcumsumexp" && !(is_float_or_complex(t) && t != complex64)) continue;
        const double tol = name == "logcumsumexp" ? 100 : 1;  // rounding order on long rows
        auto input = [&]() -> array {
          if (name == "cumsum") return rnd(c.shape, t, seed, -3, 3);  // exact sums
          if (name == "cumprod") {
            // Powers of two: exact products (integers wrap identically).
            auto v = pick(n, is_unsigned_or_bool(t) ? std::vector<double>{1, 2}
                             : is_float_or_complex(t) ? std::vector<double>{-1, 1, 2, 0.5}
                                                      : std::vector<double>{-1, 1, 2},
                          seed);
            return of(v, c.shape, t);
          }
          if (name == "logcumsumexp") {
            return make(with_nans(rnd_reals(n, -3, 3, seed), t, 1001), c.shape, t);
          }
          // Complex: lexicographic, without NaN (complex NaN ordering is the CPU tests').
          return rnd(c.shape, t, seed, -50, 50, t != complex64);
        };
        array x = input();
        ++seed;
        for (bool rev : {false, true}) {
          for (bool inc : {false, true}) {
            SCOPED_TRACE(name + " " + dtype_name(t) + " " + shape_to_string(c.shape) + " axis " +
                         std::to_string(c.axis) + (rev ? " reverse" : "") +
                         (inc ? " inclusive" : " exclusive"));
            expect_matches([&](Device d) { return fn(x, c.axis, rev, inc, d); }, tol);
          }
        }
      }
    }
  }
}

TEST(GpuParity, ScanLayouts) {
  // Non-contiguous inputs, a middle axis, the flattened overload, float16 accumulation.
  array x = rnd({6, 40, 9}, float32, 80, -3, 3);
  for (int axis : {0, 1, 2}) {
    SCOPED_TRACE("axis " + std::to_string(axis));
    EXPECT_MATCHES_CPU([&](Device d) { return cumsum(transpose(x, {2, 0, 1}), axis, false, true, d); });
    EXPECT_MATCHES_CPU([&](Device d) { return cummax(slice(x, {0, 1, 0}, {6, 40, 9}, {1, 3, 2}), axis, true, false, d); });
  }
  EXPECT_MATCHES_CPU([&](Device d) { return cumsum(x, true, true, d); });
  array h = make(rnd_ints(5000, 0, 3, 81), {5000}, float16);
  EXPECT_MATCHES_CPU([&](Device d) { return cumsum(h, 0, false, true, d); });
  EXPECT_MATCHES_CPU([&](Device d) { return cumsum(zeros({0, 3}), 0, false, true, d); });
  EXPECT_MATCHES_CPU([&](Device d) { return cumsum(make({1, 0, 1}, bool_), 0, true, false, d); });
  if (tandem_test::has_gpu()) {
    // Many long columns (a thread per column) and one long row (a single block).
    array cols = rnd({100, 17000}, int32, 82, -3, 3);
    EXPECT_MATCHES_CPU([&](Device d) { return cumsum(cols, 0, false, true, d); });
    EXPECT_MATCHES_CPU([&](Device d) { return cummin(cols, 0, true, false, d); });
    array row = rnd({1, 3000000}, int64, 83, -3, 3);
    EXPECT_MATCHES_CPU([&](Device d) { return cumsum(row, 1, false, true, d); });
  }
}

// =====================================================================================
// Gather, scatter, slice_update, along-axis
// =====================================================================================

TEST(GpuParity, GatherAndTake) {
  uint32_t seed = 100;
  for (Dtype t : tandem_test::all_dtypes()) {
    SCOPED_TRACE(dtype_name(t));
    array a = rnd({50, 37}, t, seed++, -100, 100, true);
    // Out-of-range indices clamp, negative ones wrap.
    array idx = make(rnd_ints(100, -60, 60, seed++), {4, 25}, int32);
    EXPECT_MATCHES_CPU([&](Device d) { return take(a, idx, 0, d); });
    EXPECT_MATCHES_CPU([&](Device d) { return take(a, idx, 1, d); });
    EXPECT_MATCHES_CPU([&](Device d) { return take(a, idx, d); });
    // Non-contiguous sources: transposed, strided, broadcast.
    EXPECT_MATCHES_CPU([&](Device d) { return take(transpose(a), idx, 1, d); });
    EXPECT_MATCHES_CPU([&](Device d) { return take(slice(a, {1, 0}, {50, 37}, {2, 3}), idx, 0, d); });
    EXPECT_MATCHES_CPU([&](Device d) {
      return take(broadcast_to(slice(a, {0, 0}, {1, 37}), {6, 37}), idx, 1, d);
    });
    // Two index arrays that broadcast together, slices larger than one, int64 / uint8 indices.
    array i0 = make(rnd_ints(8, -55, 55, seed++), {8, 1}, int64);
    array i1 = make(rnd_ints(5, 0, 40, seed++), {1, 5}, uint8);
    EXPECT_MATCHES_CPU([&](Device d) { return gather(a, {i0, i1}, {0, 1}, {3, 4}, d); });
    EXPECT_MATCHES_CPU([&](Device d) { return gather(transpose(a), {i1, i0}, {0, 1}, {2, 5}, d); });
    // take_along_axis (indices broadcast against the array).
    array ta = make(rnd_ints(50 * 3, -37, 36, seed++), {50, 3}, int32);
    EXPECT_MATCHES_CPU([&](Device d) { return take_along_axis(a, ta, 1, d); });
  }
  // A larger embedding lookup, and empty indices.
  array table = make(rnd_reals(1000 * 64, -1, 1, 120), {1000, 64}, float32);
  array ids = make(rnd_ints(5000, 0, 999, 121), {50, 100}, int32);
  EXPECT_MATCHES_CPU([&](Device d) { return take(table, ids, 0, d); });
  EXPECT_MATCHES_CPU([&](Device d) { return take(table, make({}, {0}, int32), 0, d); });
}

TEST(GpuParity, ScatterAllOpsWithDuplicates) {
  uint32_t seed = 200;
  using ScatterFn = std::function<array(const array&, const std::vector<array>&, const array&,
                                        const std::vector<int>&, Device)>;
  std::vector<std::pair<std::string, ScatterFn>> fns{
      {"scatter", [](const array& a, const std::vector<array>& i, const array& u,
                     const std::vector<int>& ax, Device d) { return scatter(a, i, u, ax, d); }},
      {"scatter_add", [](const array& a, const std::vector<array>& i, const array& u,
                         const std::vector<int>& ax, Device d) { return scatter_add(a, i, u, ax, d); }},
      {"scatter_prod", [](const array& a, const std::vector<array>& i, const array& u,
                          const std::vector<int>& ax, Device d) { return scatter_prod(a, i, u, ax, d); }},
      {"scatter_max", [](const array& a, const std::vector<array>& i, const array& u,
                         const std::vector<int>& ax, Device d) { return scatter_max(a, i, u, ax, d); }},
      {"scatter_min", [](const array& a, const std::vector<array>& i, const array& u,
                         const std::vector<int>& ax, Device d) { return scatter_min(a, i, u, ax, d); }},
  };
  for (Dtype t : tandem_test::all_dtypes()) {
    for (auto& [name, fn] : fns) {
      SCOPED_TRACE(name + " " + dtype_name(t));
      const bool prod = name == "scatter_prod";
      const bool minmax = name == "scatter_max" || name == "scatter_min";
      auto values_for = [&](const Shape& shape) {
        size_t n = 1;
        for (auto e : shape)
          n *= e;
        if (prod) {
          return of(pick(n, is_unsigned_or_bool(t) ? std::vector<double>{1, 2}
                              : is_float_or_complex(t) ? std::vector<double>{-1, 2, 0.5}
                                                       : std::vector<double>{-1, 2, 3},
                         seed++),
                    shape, t);
        }
        return rnd(shape, t, seed++, -9, 9, minmax && t != complex64);
      };
      // Rows along axis 0 with many duplicates and out-of-range indices (dropped).
      array a = values_for({30, 8});
      array idx = make(rnd_ints(40, -35, 34, seed++), {40}, int32);
      array upd = values_for({40, 1, 8});
      EXPECT_MATCHES_CPU([&](Device d) { return fn(a, {idx}, upd, {0}, d); });
      // Overlapping 2-d windows over two axes; a non-contiguous array and updates.
      array i0 = make(rnd_ints(25, 0, 9, seed++), {5, 5}, int64);
      array i1 = make(rnd_ints(25, -8, 7, seed++), {5, 5}, int64);
      array w = transpose(values_for({3, 2, 5, 5}), {2, 3, 1, 0});  // (5,5,2,3)
      array at = transpose(values_for({8, 12}));                    // (12,8)
      EXPECT_MATCHES_CPU([&](Device d) { return fn(at, {i0, i1}, w, {0, 1}, d); });
      // put_along_axis-shaped scatter: single elements along the last axis.
      array col = make(rnd_ints(30 * 6, 0, 7, seed++), {30, 6}, int32);
      EXPECT_MATCHES_CPU([&](Device d) {
        return fn(a, {broadcast_to(reshape(arange(0, 30), {30, 1}), {30, 6}), col},
                  reshape(values_for({30, 6}), {30, 6, 1, 1}), {0, 1}, d);
      });
    }
  }
  // put_along_axis and masked_scatter with duplicates (the last write wins, as on the CPU).
  array z = zeros({4, 6}, float32);
  array pi = make(rnd_ints(4 * 9, 0, 5, 250), {4, 9}, int32);
  array pv = make(rnd_ints(4 * 9, -9, 9, 251), {4, 9}, float32);
  EXPECT_MATCHES_CPU([&](Device d) { return put_along_axis(z, pi, pv, 1, d); });
  array mask = make(rnd_ints(24, 0, 1, 252), {4, 6}, bool_);
  EXPECT_MATCHES_CPU(
      [&](Device d) { return masked_scatter(z, mask, make(rnd_ints(24, 1, 9, 253), float32), d); });
  // A larger scatter_add (the gradient of an embedding lookup).
  array ids = make(rnd_ints(5000, 0, 99, 254), {5000}, int32);
  array g = make(rnd_ints(5000 * 32, -4, 4, 255), {5000, 1, 32}, float32);
  EXPECT_MATCHES_CPU([&](Device d) { return scatter_add(zeros({100, 32}), ids, g, 0, d); });
  EXPECT_MATCHES_CPU([&](Device d) {
    return scatter_add(zeros({100, 32}, bfloat16), ids, astype(g, bfloat16), 0, d);
  });
}

TEST(GpuParity, SliceUpdateAllOps) {
  uint32_t seed = 300;
  using SUFn = std::function<array(const array&, const array&, Shape, Shape, Shape, Device)>;
  std::vector<std::pair<std::string, SUFn>> fns{
      {"slice_update", [](const array& s, const array& u, Shape a, Shape b, Shape c,
                          Device d) { return slice_update(s, u, a, b, c, d); }},
      {"slice_update_add", [](const array& s, const array& u, Shape a, Shape b, Shape c,
                              Device d) { return slice_update_add(s, u, a, b, c, d); }},
      {"slice_update_prod", [](const array& s, const array& u, Shape a, Shape b, Shape c,
                               Device d) { return slice_update_prod(s, u, a, b, c, d); }},
      {"slice_update_max", [](const array& s, const array& u, Shape a, Shape b, Shape c,
                              Device d) { return slice_update_max(s, u, a, b, c, d); }},
      {"slice_update_min", [](const array& s, const array& u, Shape a, Shape b, Shape c,
                              Device d) { return slice_update_min(s, u, a, b, c, d); }},
  };
  for (Dtype t : tandem_test::all_dtypes()) {
    for (auto& [name, fn] : fns) {
      SCOPED_TRACE(name + " " + dtype_name(t));
      const bool nans = (name == "slice_update_max" || name == "slice_update_min") && t != complex64;
      array src = transpose(rnd({12, 9}, t, seed++, -9, 9, nans));  // (9,12), non-contiguous
      array u = rnd({4, 3}, t, seed++, -9, 9, nans);
      // Strided and reversed windows; a broadcast update; a transposed update.
      EXPECT_MATCHES_CPU([&](Device d) { return fn(src, u, {1, 0}, {9, 12}, {2, 4}, d); });
      EXPECT_MATCHES_CPU([&](Device d) { return fn(src, u, {8, 11}, {0, 0}, {-2, -4}, d); });
      EXPECT_MATCHES_CPU(
          [&](Device d) { return fn(src, slice(u, {0, 0}, {1, 3}), {1, 0}, {9, 12}, {2, 4}, d); });
      EXPECT_MATCHES_CPU(
          [&](Device d) { return fn(src, transpose(rnd({3, 4}, t, seed, -9, 9)), {0, 0}, {4, 3}, {1, 1}, d); });
      EXPECT_MATCHES_CPU(
          [&](Device d) { return fn(src, slice(u, {0, 0}, {1, 1}), {2, 2}, {2, 2}, {1, 1}, d); });
    }
  }
  // Dynamic start (a scatter with 0-d indices).
  array src = rnd({10, 10}, float32, 390);
  array u = rnd({3, 4}, float32, 391);
  EXPECT_MATCHES_CPU([&](Device d) { return slice_update(src, u, make({6, 2}, int32), {0, 1}, d); });
}

TEST(GpuParity, AlongAxisGatherAndScatterAdd) {
  uint32_t seed = 400;
  for (Dtype t : tandem_test::all_dtypes()) {
    for (int axis : {0, 1}) {
      SCOPED_TRACE(dtype_name(t) + " axis " + std::to_string(axis));
      Shape as{20, 30};
      Shape is = as;
      is[axis] = 45;
      array a = rnd(as, t, seed++, -9, 9);
      array idx = make(rnd_ints(static_cast<size_t>(is[0]) * is[1], 0, as[axis] - 1, seed++), is, uint32);
      EXPECT_MATCHES_CPU([&](Device d) { return detail::gather_along_axis(a, idx, axis, d); });
      EXPECT_MATCHES_CPU(
          [&](Device d) { return detail::gather_along_axis(transpose(transpose(a, {1, 0})), idx, axis, d); });
      // Scatter-add with many duplicate indices into a smaller axis.
      array src = rnd(is, t, seed++, -9, 9);
      expect_matches(
          [&](Device d) { return detail::scatter_add_along_axis(src, idx, axis, as[axis], d); });
      array srct = transpose(rnd({is[1], is[0]}, t, seed++, -9, 9));
      expect_matches(
          [&](Device d) { return detail::scatter_add_along_axis(srct, idx, axis, as[axis], d); });
    }
  }
  // Through the derivative rules of sort and cummax (on the device of the forward op).
  array x = make(rnd_reals(8 * 33, -1, 1, 450), {8, 33}, float32);
  array w = make(rnd_reals(8 * 33, -1, 1, 451), {8, 33}, float32);
  EXPECT_MATCHES_CPU([&](Device d) {
    return grad([&](const array& y) { return sum(multiply(sort(y, 1, d), w, d), d); })(x);
  });
  EXPECT_MATCHES_CPU([&](Device d) {
    return jvp([&](const array& y) { return cummax(y, 0, false, true, d); }, x, w).second;
  });
}

// =====================================================================================
// Convolution
// =====================================================================================

namespace {

struct ConvCase {
  std::string name;
  Shape xs, ws;
  std::vector<int> stride, lo, hi, kdil, idil;
  int groups;
  bool flip;
};

array rnd_real(const Shape& shape, uint32_t seed) {
  size_t n = 1;
  for (auto e : shape)
    n *= e;
  // Multiples of 1/8 in [-2, 2]: exact in every float dtype.
  auto v = rnd_ints(n, -16, 16, seed);
  for (auto& e : v)
    e /= 8;
  return make(v, shape, float32);
}

}  // namespace

TEST(GpuParity, Convolutions) {
  std::vector<ConvCase> cases{
      {"1d strided dilated groups", {2, 50, 6}, {8, 5, 3}, {2}, {2}, {1}, {2}, {1}, 2, false},
      {"2d asymmetric padding", {2, 9, 11, 4}, {6, 3, 3, 4}, {2, 1}, {1, 2}, {0, 1}, {1, 2}, {1, 1}, 1, false},
      {"2d input dilation flipped groups", {1, 7, 6, 6}, {9, 2, 3, 2}, {1, 2}, {2, 1}, {1, 0}, {1, 1}, {2, 3}, 3, true},
      {"3d", {1, 5, 6, 7, 3}, {4, 2, 3, 2, 3}, {1, 2, 1}, {1, 0, 1}, {0, 1, 1}, {1, 1, 2}, {1, 1, 1}, 1, false},
      {"pointwise", {4, 7, 7, 16}, {32, 1, 1, 16}, {1, 1}, {0, 0}, {0, 0}, {1, 1}, {1, 1}, 1, false},
      {"depthwise", {2, 10, 10, 8}, {8, 3, 3, 1}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, 8, false},
      {"kernel larger than input with padding", {1, 3, 2}, {2, 5, 2}, {1}, {3}, {3}, {1}, {1}, 1, false},
  };
  uint32_t seed = 500;
  for (auto& c : cases) {
    array x = rnd_real(c.xs, seed++);
    array w = rnd_real(c.ws, seed++);
    for (Dtype t : tandem_test::float_dtypes()) {
      SCOPED_TRACE(c.name + " " + dtype_name(t));
      array xt = astype(x, t), wt = astype(w, t);
      // float32 GEMMs sum in another order than OpenBLAS: allow a few ulps more.
      double tol = t == float32 ? 10.0 : 1.0;
      EXPECT_MATCHES_CPU(
          [&](Device d) {
            return conv_general(xt, wt, c.stride, c.lo, c.hi, c.kdil, c.idil, c.groups, c.flip, d);
          },
          tol);
    }
  }
  // Non-contiguous input and weight, mixed dtypes, transposed convolutions.
  array x = rnd_real({3, 8, 9, 5}, 600);
  array w = rnd_real({4, 3, 2, 5}, 601);
  EXPECT_MATCHES_CPU(
      [&](Device d) { return conv2d(transpose(x, {0, 2, 1, 3}), w, {1, 2}, {1, 1}, {1, 1}, 1, d); }, 10);
  EXPECT_MATCHES_CPU(
      [&](Device d) { return conv2d(x, slice(transpose(w, {0, 2, 1, 3}), {0, 0, 0, 0}, {4, 2, 2, 5}), {1, 1}, {0, 0}, {1, 1}, 1, d); },
      10);
  EXPECT_MATCHES_CPU(
      [&](Device d) { return conv2d(astype(x, float16), w, {2, 1}, {1, 0}, {1, 1}, 1, d); }, 10);
  array xt = rnd_real({2, 6, 7, 4}, 602);
  array wt = rnd_real({6, 3, 3, 2}, 603);
  EXPECT_MATCHES_CPU(
      [&](Device d) { return conv_transpose2d(xt, wt, {2, 2}, {1, 0}, {1, 2}, {1, 0}, 2, d); }, 10);
  EXPECT_MATCHES_CPU([&](Device d) {
    return conv_transpose1d(rnd_real({2, 9, 3}, 604), rnd_real({5, 4, 3}, 605), 3, 2, 1, 2, 1, d);
  }, 10);
  // Gradients run convolutions with flipped kernels and input dilation on the forward's device.
  EXPECT_MATCHES_CPU([&](Device d) {
    return grad([&](const array& y) { return sum(square(conv2d(y, w, {2, 1}, {1, 1}, {1, 2}, 1, d), d), d); })(x);
  }, 10);
  EXPECT_MATCHES_CPU([&](Device d) {
    return grad([&](const array& v) { return sum(square(conv2d(x, v, {2, 1}, {1, 1}, {1, 2}, 1, d), d), d); })(w);
  }, 10);
  if (tandem_test::has_gpu()) {
    // Larger than one im2col chunk (2^25 elements): several chunks.
    array bx = make(rnd_reals(16 * 64 * 64 * 64, -1, 1, 610), {16, 64, 64, 64}, float32);
    array bw = make(rnd_reals(64 * 3 * 3 * 64, -1, 1, 611), {64, 3, 3, 64}, float32);
    EXPECT_MATCHES_CPU([&](Device d) { return conv2d(bx, bw, {1, 1}, {1, 1}, {1, 1}, 1, d); }, 50);
    EXPECT_MATCHES_CPU(
        [&](Device d) { return conv2d(astype(bx, float64), astype(bw, float64), {1, 1}, {1, 1}, {1, 1}, 1, d); });
  }
  // Empty batch.
  EXPECT_MATCHES_CPU([&](Device d) { return conv1d(zeros({0, 5, 3}), rnd_real({2, 3, 3}, 620), 1, 0, 1, 1, d); });
}

// =====================================================================================
// Linear algebra (backend/cuda/linalg.cu)
// =====================================================================================
//
// Matrices of at most 32 rows and columns take the batched cuBLAS / cuSOLVER calls, larger ones
// a loop over the batch: both sizes appear below. Results that are unique (inverses, solutions,
// Cholesky factors, singular values, eigenvalues, LU factors of inputs without pivot ties) are
// compared with the CPU directly; factors unique only up to signs (QR, SVD, eigh) through
// quantities that are not (|Q|, |R|, U S Vt, V diag(c) V^T); eig through its defining identities.

namespace {

namespace la = tandem::linalg;

Shape with_matrix(Shape batch, int rows, int cols) {
  batch.push_back(rows);
  batch.push_back(cols);
  return batch;
}

size_t numel(const Shape& s) {
  size_t n = 1;
  for (auto e : s)
    n *= e;
  return n;
}

// Uniform [-1, 1] entries.
array la_general(const Shape& shape, uint32_t seed, Dtype t) {
  return make(rnd_reals(numel(shape), -1.0, 1.0, seed), shape, t);
}

// Uniform [-1, 1] entries plus max(3, n) on the diagonal: diagonally dominant, so inverses,
// triangular inverses and solutions are well conditioned at every size.
array la_square(const Shape& batch, int n, uint32_t seed, Dtype t) {
  Shape s = with_matrix(batch, n, n);
  auto v = rnd_reals(numel(s), -1.0, 1.0, seed);
  for (size_t b = 0; b < v.size() / (size_t(n) * n); ++b) {
    for (int i = 0; i < n; ++i)
      v[b * n * n + i * (n + 1)] += std::max(3, n);
  }
  return make(v, s, t);
}

// Symmetric positive definite: X X^T + n I (computed in float64 on the CPU).
array la_spd(const Shape& batch, int n, uint32_t seed, Dtype t) {
  array x = la_general(with_matrix(batch, n, n), seed, float64);
  array a = add(matmul(x, swapaxes(x, -1, -2, Device::cpu), Device::cpu),
                multiply(array(double(n), float64), eye(n, float64), Device::cpu), Device::cpu);
  return astype(a, t, Device::cpu);
}

array mt(const array& a, Device d) {
  return swapaxes(a, -1, -2, d);
}

// a[..., r0:r1, c0:c1]
array block(const array& a, int r0, int r1, int c0, int c1, Device d) {
  Shape start(a.ndim(), 0), stop = a.shape();
  start[a.ndim() - 2] = r0;
  stop[a.ndim() - 2] = r1;
  start[a.ndim() - 1] = c0;
  stop[a.ndim() - 1] = c1;
  return slice(a, start, stop, d);
}

std::string case_name(const Shape& s, Dtype t) {
  return shape_to_string(s) + " " + dtype_name(t);
}

}  // namespace

TEST(GpuParity, LinalgInverseSolveCholesky) {
  uint32_t seed = 700;
  for (Dtype t : {float32, float64}) {
    const double tol = t == float32 ? 100.0 : 1000.0;
    for (auto [batch, n] : std::vector<std::pair<Shape, int>>{{{7}, 5}, {{2, 3}, 1}, {{2}, 40}}) {
      SCOPED_TRACE(case_name(with_matrix(batch, n, n), t));
      array a = la_square(batch, n, seed++, t);
      array at = swapaxes(a, -1, -2, Device::cpu);  // a transposed view
      array b = la_general(with_matrix(batch, n, 3), seed++, t);
      array bv = la_general({n}, seed++, t);  // one vector for the whole batch
      array spd = la_spd(batch, n, seed++, t);
      EXPECT_MATCHES_CPU([&](Device d) { return la::inv(a, d); }, tol);
      EXPECT_MATCHES_CPU([&](Device d) { return la::inv(at, d); }, tol);
      EXPECT_MATCHES_CPU([&](Device d) { return la::solve(a, b, d); }, tol);
      EXPECT_MATCHES_CPU([&](Device d) { return la::solve(at, bv, d); }, tol);
      for (bool upper : {false, true}) {
        SCOPED_TRACE(upper ? "upper" : "lower");
        EXPECT_MATCHES_CPU([&](Device d) { return la::tri_inv(a, upper, d); }, tol);
        EXPECT_MATCHES_CPU([&](Device d) { return la::solve_triangular(a, b, upper, d); }, tol);
        EXPECT_MATCHES_CPU([&](Device d) { return la::solve_triangular(at, bv, upper, d); }, tol);
        EXPECT_MATCHES_CPU([&](Device d) { return la::cholesky(spd, upper, d); }, tol);
        EXPECT_MATCHES_CPU(
            [&](Device d) { return la::cholesky_inv(la::cholesky(spd, upper, d), upper, d); },
            tol * n);
      }
      for (auto& d : gpus()) {
        array eye_b = broadcast_to(eye(n, t), a.shape());
        EXPECT_TRUE(tandem_test::arrays_close(matmul(a, la::inv(a, d), d), eye_b, tol));
        array l = la::cholesky(spd, false, d);
        EXPECT_TRUE(tandem_test::arrays_close(matmul(l, mt(l, d), d), spd, tol * n));
        EXPECT_TRUE(tandem_test::arrays_close(matmul(a, la::solve(a, b, d), d), b, tol * n));
      }
    }
  }
  // Empty batches and matrices.
  EXPECT_MATCHES_CPU([&](Device d) { return la::inv(zeros({0, 3, 3}), d); });
  EXPECT_MATCHES_CPU([&](Device d) { return la::cholesky(zeros({2, 0, 0}), false, d); });
  EXPECT_MATCHES_CPU([&](Device d) { return la::solve(eye(3), zeros({3, 0}), d); });
}

TEST(GpuParity, LinalgLUAndDeterminants) {
  uint32_t seed = 800;
  for (Dtype t : {float32, float64}) {
    // LU factors of different libraries agree only to the rounding of the eliminations.
    const double tol = t == float32 ? 1000.0 : 10000.0;
    for (Shape shape : {Shape{6, 4, 4}, Shape{2, 40, 40}, Shape{3, 5, 3}, Shape{3, 3, 5},
                        Shape{2, 1, 1}, Shape{37, 2}}) {
      SCOPED_TRACE(case_name(shape, t));
      array a = la_general(shape, seed++, t);
      EXPECT_MATCHES_CPU([&](Device d) { return la::lu_factor(a, d).first; }, tol);
      EXPECT_MATCHES_CPU([&](Device d) { return la::lu_factor(a, d).second; });  // exact
      EXPECT_MATCHES_CPU([&](Device d) { return la::lu(a, d)[0]; });             // exact
      if (shape[shape.size() - 1] == shape[shape.size() - 2]) {
        EXPECT_MATCHES_CPU([&](Device d) { return la::det(a, d); }, tol);
        EXPECT_MATCHES_CPU([&](Device d) { return la::slogdet(a, d).first; });
        EXPECT_MATCHES_CPU([&](Device d) { return la::slogdet(a, d).second; }, tol);
      }
      for (auto& d : gpus()) {
        auto plu = la::lu(a, d);
        array lp = take_along_axis(
            plu[1], broadcast_to(expand_dims(plu[0], -1, d), plu[1].shape(), d), -2, d);
        EXPECT_TRUE(tandem_test::arrays_close(matmul(lp, plu[2], d), a, tol));
      }
    }
  }
  // Singular matrices with an exactly zero pivot first or in the middle (a zero column): the
  // factorisation completes as LAPACK's does (no division by the zero pivot), det is 0.
  std::vector<double> v{0, 1, 2, 3, 0, 4, 5, 6, 0, 7, 8, 10, 0, 1, 1, 1,
                        1, 0, 2, 3, 4, 0, 5, 6, 7, 0, 8, 10, 1, 0, 1, 2};
  for (int n : {4, 40}) {
    SCOPED_TRACE(n);
    std::vector<double> big;
    Shape shape{2, n, n};
    if (n == 4) {
      big = v;
    } else {
      big = rnd_reals(2 * 40 * 40, -1, 1, 850);
      for (int i = 0; i < 40; ++i) {
        big[i * 40 + 0] = 0.0;          // matrix 0: column 0 is zero
        big[1600 + i * 40 + 17] = 0.0;  // matrix 1: column 17 is zero
      }
    }
    array sing = make(big, shape, float64);
    EXPECT_MATCHES_CPU([&](Device d) { return la::det(sing, d); });
    EXPECT_MATCHES_CPU([&](Device d) { return la::slogdet(sing, d).second; });
    for (auto& d : gpus()) {
      auto plu = la::lu(sing, d);
      array lp = take_along_axis(
          plu[1], broadcast_to(expand_dims(plu[0], -1, d), plu[1].shape(), d), -2, d);
      EXPECT_TRUE(tandem_test::arrays_close(matmul(lp, plu[2], d), sing, 1000.0));
    }
  }
  EXPECT_MATCHES_CPU([&](Device d) { return la::lu(zeros({2, 3, 0}), d)[0]; });
  EXPECT_MATCHES_CPU([&](Device d) { return la::det(zeros({2, 0, 0}), d); });
}

TEST(GpuParity, LinalgQRAndSVD) {
  uint32_t seed = 900;
  for (Dtype t : {float32, float64}) {
    const double tol = t == float32 ? 300.0 : 1000.0;
    // Small (batched Jacobi SVD), tall and wide (QR-iteration SVD, wide through the transpose),
    // one dimension small and the other large.
    for (Shape shape : {Shape{3, 6, 4}, Shape{2, 4, 6}, Shape{2, 40, 35}, Shape{2, 35, 40},
                        Shape{3, 50}, Shape{50, 3}}) {
      SCOPED_TRACE(case_name(shape, t));
      array a = la_general(shape, seed++, t);
      const int m = shape[shape.size() - 2], n = shape.back(), k = std::min(m, n);
      array c = la_general({k}, seed++, t);  // weights, one per singular pair
      // QR: a column of Q and the row of R change sign together; |Q| and |R| are unique.
      EXPECT_MATCHES_CPU([&](Device d) { return abs(la::qr(a, d).first, d); }, tol);
      EXPECT_MATCHES_CPU([&](Device d) { return abs(la::qr(a, d).second, d); }, tol);
      EXPECT_MATCHES_CPU(
          [&](Device d) {
            auto [q, r] = la::qr(a, d);
            return matmul(q, r, d);
          },
          tol);
      // SVD: the singular values, U S Vt, and the projectors weighted by c (unique for distinct
      // singular values, whatever the signs of the singular vectors).
      EXPECT_MATCHES_CPU([&](Device d) { return la::svd(a, false, d)[0]; }, tol);
      EXPECT_MATCHES_CPU([&](Device d) { return la::svd(a, true, d)[1]; }, tol);
      EXPECT_MATCHES_CPU(
          [&](Device d) {
            auto usv = la::svd(a, true, d);
            array u1 = block(usv[0], 0, m, 0, k, d), vt1 = block(usv[2], 0, k, 0, n, d);
            return matmul(multiply(u1, expand_dims(usv[1], -2, d), d), vt1, d);
          },
          tol);
      EXPECT_MATCHES_CPU(
          [&](Device d) {
            auto usv = la::svd(a, true, d);
            array u1 = block(usv[0], 0, m, 0, k, d);
            return matmul(multiply(u1, c, d), mt(u1, d), d);
          },
          tol * 10);
      EXPECT_MATCHES_CPU(
          [&](Device d) {
            auto usv = la::svd(a, true, d);
            array vt1 = block(usv[2], 0, k, 0, n, d);
            return matmul(multiply(mt(vt1, d), c, d), vt1, d);
          },
          tol * 10);
      EXPECT_MATCHES_CPU([&](Device d) { return la::pinv(a, d); }, tol * 10);
      for (auto& d : gpus()) {
        // The full factors (their extra columns are not unique) are orthogonal.
        auto usv = la::svd(a, true, d);
        EXPECT_TRUE(tandem_test::arrays_close(matmul(mt(usv[0], d), usv[0], d),
                                              broadcast_to(eye(m, t), usv[0].shape()), tol));
        EXPECT_TRUE(tandem_test::arrays_close(matmul(usv[2], mt(usv[2], d), d),
                                              broadcast_to(eye(n, t), usv[2].shape()), tol));
        auto [q, r] = la::qr(a, d);
        EXPECT_TRUE(tandem_test::arrays_close(
            matmul(mt(q, d), q, d),
            broadcast_to(eye(k, t), with_matrix(Shape(shape.begin(), shape.end() - 2), k, k)),
            tol));
      }
    }
  }
  // No singular values: U and Vt are identities; empty QR.
  EXPECT_MATCHES_CPU([&](Device d) { return la::svd(zeros({2, 0, 3}), true, d)[0]; });
  EXPECT_MATCHES_CPU([&](Device d) { return la::svd(zeros({2, 0, 3}), true, d)[2]; });
  EXPECT_MATCHES_CPU([&](Device d) { return la::qr(zeros({2, 3, 0}), d).first; });
}

TEST(GpuParity, LinalgEighAndEig) {
  uint32_t seed = 1000;
  for (Dtype t : {float32, float64}) {
    const double tol = t == float32 ? 300.0 : 1000.0;
    for (Shape shape : {Shape{4, 6, 6}, Shape{2, 40, 40}, Shape{3, 1, 1}}) {
      SCOPED_TRACE(case_name(shape, t));
      const int n = shape.back();
      array a = la_general(shape, seed++, t);  // not symmetric: eigh reads one triangle
      array c = la_general({n}, seed++, t);
      for (std::string uplo : {"L", "U"}) {
        SCOPED_TRACE(uplo);
        EXPECT_MATCHES_CPU([&](Device d) { return la::eigvalsh(a, uplo, d); }, tol);
        EXPECT_MATCHES_CPU([&](Device d) { return la::eigh(a, uplo, d).first; }, tol);
        EXPECT_MATCHES_CPU(
            [&](Device d) {
              auto [w, v] = la::eigh(a, uplo, d);
              return matmul(multiply(v, c, d), mt(v, d), d);
            },
            tol * 10);
      }
      // The symmetric matrix eigh(a, "L") sees: A V = V diag(w), V^T V = I.
      array sym =
          add(tril(a, 0, Device::cpu), mt(tril(a, -1, Device::cpu), Device::cpu), Device::cpu);
      for (auto& d : gpus()) {
        auto [w, v] = la::eigh(a, "L", d);
        EXPECT_TRUE(tandem_test::arrays_close(matmul(sym, v, d),
                                              multiply(v, expand_dims(w, -2, d), d), tol * 10));
        EXPECT_TRUE(tandem_test::arrays_close(matmul(mt(v, d), v, d),
                                              broadcast_to(eye(n, t), v.shape()), tol));
      }
      // eig: A v = lambda v with unit-norm columns, and the same eigenvalues as the CPU's (in
      // any order; each CPU eigenvalue is matched to a distinct GPU one).
      const double etol = t == float32 ? 1e-3 : 1e-5;  // complex64 results either way
      auto cw = la::eigvals(a, Device::cpu).to_vector<complex64_t>();
      auto av = values(a);
      const int64_t batch = static_cast<int64_t>(cw.size()) / n;
      for (auto& d : gpus()) {
        auto [w, v] = la::eig(a, d);
        auto wv = w.to_vector<complex64_t>();
        auto vv = v.to_vector<complex64_t>();
        auto wonly = la::eigvals(a, d).to_vector<complex64_t>();
        ASSERT_EQ(wv.size(), cw.size());
        for (int64_t b = 0; b < batch; ++b) {
          std::vector<bool> used(n, false);
          for (int j = 0; j < n; ++j) {
            std::complex<double> want = cw[b * n + j];
            int hit = -1;
            for (int i = 0; i < n && hit < 0; ++i) {
              if (!used[i] && std::abs(std::complex<double>(wv[b * n + i]) - want) <=
                                  etol * (1.0 + std::abs(want))) {
                hit = i;
              }
            }
            EXPECT_GE(hit, 0) << "eigenvalue " << want << " of matrix " << b << " not found";
            if (hit >= 0) used[hit] = true;
            EXPECT_LE(std::abs(std::complex<double>(wonly[b * n + j]) -
                               std::complex<double>(wv[b * n + j])),
                      etol * (1.0 + std::abs(want)));
            // Column j of V against eigenvalue j.
            std::complex<double> lam = wv[b * n + j];
            double err = 0, norm = 0;
            for (int i = 0; i < n; ++i) {
              std::complex<double> lhs = 0;
              for (int q = 0; q < n; ++q)
                lhs += av[(b * n + i) * n + q] * std::complex<double>(vv[(b * n + q) * n + j]);
              std::complex<double> vij = vv[(b * n + i) * n + j];
              err = std::max(err, std::abs(lhs - lam * vij));
              norm += std::norm(vij);
            }
            EXPECT_LT(err, 1e-4 * (1.0 + std::abs(lam)));
            EXPECT_NEAR(norm, 1.0, 1e-5);
          }
        }
      }
    }
  }
  EXPECT_MATCHES_CPU([&](Device d) { return la::eigvalsh(zeros({2, 0, 0}), "L", d); });
}

TEST(GpuParity, LinalgDerivativesAndVmap) {
  // The derivative rules (primitives/rules_linalg.cpp) run their ops on the forward's device.
  array a = la_square({3}, 4, 1100, float64);
  array g = la_general({3, 4, 4}, 1101, float64);
  array spd = la_spd({3}, 4, 1102, float64);
  const double tol = 1000.0;
  EXPECT_MATCHES_CPU(
      [&](Device d) { return grad([&](const array& x) { return sum(la::inv(x, d), d); })(a); },
      tol);
  EXPECT_MATCHES_CPU(
      [&](Device d) {
        return grad([&](const array& x) { return sum(la::slogdet(x, d).second, d); })(a);
      },
      tol);
  EXPECT_MATCHES_CPU(
      [&](Device d) { return grad([&](const array& x) { return sum(la::solve(x, g, d), d); })(a); },
      tol);
  EXPECT_MATCHES_CPU(
      [&](Device d) {
        return grad([&](const array& x) { return sum(la::cholesky(x, false, d), d); })(spd);
      },
      tol);
  EXPECT_MATCHES_CPU(
      [&](Device d) {
        return grad([&](const array& x) { return sum(la::eigvalsh(x, "L", d), d); })(g);
      },
      tol);
  EXPECT_MATCHES_CPU(
      [&](Device d) {
        return grad([&](const array& x) { return sum(la::svd(x, false, d)[0], d); })(g);
      },
      tol);
  EXPECT_MATCHES_CPU(
      [&](Device d) {
        return grad([&](const array& x) { return sum(square(la::qr(x, d).second, d), d); })(g);
      },
      tol);
  EXPECT_MATCHES_CPU(
      [&](Device d) { return vmap([&](const array& x) { return la::inv(x, d); })(a); }, tol);
  EXPECT_MATCHES_CPU(
      [&](Device d) {
        return vmap([&](const array& x) { return la::det(x, d); },
                    2)(moveaxis(a, 0, 2, Device::cpu));
      },
      tol);
}
