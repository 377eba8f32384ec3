// Copyright © 2026 Tandem authors.
// GPU against CPU for the indexing, sort / scan, convolution, structured product, quantization,
// Hadamard and Load kernels (src/backend/cuda: gather.cu, scatter.cu, sort.cu, scan.cu, conv.cu,
// products.cu, quantized.cu, io.cpp). Random inputs, every dtype each op supports,
// non-contiguous inputs, duplicate and out-of-range indices, ties and NaN, rows longer than one
// block, empty arrays. The CPU result is the oracle (EXPECT_MATCHES_CPU); without a GPU
// only the CPU side runs (the largest cases are skipped then).
//
// Values are chosen so that results do not depend on the order of floating-point operations
// where the GPU's order differs from the CPU's (small integers for sums, powers of two for
// products); elsewhere the comparison allows the dtype's tolerance.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdlib>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/backend_hooks.h"  // gpu::matmul_stats (cuBLASLt plan cache counters)
#include "harness.h"

#if TANDEM_WITH_CUDA
#include "backend/cuda/conv_cudnn.h"
#include "primitives/conv.h"
#endif

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
        EXPECT_MATCHES_CPU(
            [&](Device d) { return take(partition(x, kth, axis, d), kth, axis, d); });
        EXPECT_MATCHES_CPU([&](Device d) { return sort(partition(x, kth, axis, d), axis, d); });
        EXPECT_MATCHES_CPU([&](Device d) {
          return take(take_along_axis(x, argpartition(x, kth, axis, d), axis, d), kth, axis, d);
        });
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
                       {{3000, 5}, 0}, {{70, 300}, 0},  {{9}, 0}};
  using ScanFn = std::function<array(const array&, int, bool, bool, Device)>;
  std::vector<std::pair<std::string, ScanFn>> fns{
      {"cumsum",
       [](const array& a, int ax, bool r, bool i, Device d) { return cumsum(a, ax, r, i, d); }},
      {"cumprod",
       [](const array& a, int ax, bool r, bool i, Device d) { return cumprod(a, ax, r, i, d); }},
      {"cummax",
       [](const array& a, int ax, bool r, bool i, Device d) { return cummax(a, ax, r, i, d); }},
      {"cummin",
       [](const array& a, int ax, bool r, bool i, Device d) { return cummin(a, ax, r, i, d); }},
      {"logcumsumexp", [](const array& a, int ax, bool r, bool i,
                          Device d) { return logcumsumexp(a, ax, r, i, d); }},
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
            auto v = pick(n,
                          is_unsigned_or_bool(t)   ? std::vector<double>{1, 2}
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
    EXPECT_MATCHES_CPU([&](Device d) {
      return cumsum(transpose(x, {2, 0, 1}), axis, false, true, d);
    });
    EXPECT_MATCHES_CPU([&](Device d) {
      return cummax(slice(x, {0, 1, 0}, {6, 40, 9}, {1, 3, 2}), axis, true, false, d);
    });
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
    EXPECT_MATCHES_CPU([&](Device d) {
      return take(slice(a, {1, 0}, {50, 37}, {2, 3}), idx, 0, d);
    });
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
      {"scatter_add",
       [](const array& a, const std::vector<array>& i, const array& u, const std::vector<int>& ax,
          Device d) { return scatter_add(a, i, u, ax, d); }},
      {"scatter_prod",
       [](const array& a, const std::vector<array>& i, const array& u, const std::vector<int>& ax,
          Device d) { return scatter_prod(a, i, u, ax, d); }},
      {"scatter_max",
       [](const array& a, const std::vector<array>& i, const array& u, const std::vector<int>& ax,
          Device d) { return scatter_max(a, i, u, ax, d); }},
      {"scatter_min",
       [](const array& a, const std::vector<array>& i, const array& u, const std::vector<int>& ax,
          Device d) { return scatter_min(a, i, u, ax, d); }},
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
          return of(pick(n,
                         is_unsigned_or_bool(t)   ? std::vector<double>{1, 2}
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
      const bool nans =
          (name == "slice_update_max" || name == "slice_update_min") && t != complex64;
      array src = transpose(rnd({12, 9}, t, seed++, -9, 9, nans));  // (9,12), non-contiguous
      array u = rnd({4, 3}, t, seed++, -9, 9, nans);
      // Strided and reversed windows; a broadcast update; a transposed update.
      EXPECT_MATCHES_CPU([&](Device d) { return fn(src, u, {1, 0}, {9, 12}, {2, 4}, d); });
      EXPECT_MATCHES_CPU([&](Device d) { return fn(src, u, {8, 11}, {0, 0}, {-2, -4}, d); });
      EXPECT_MATCHES_CPU([&](Device d) {
        return fn(src, slice(u, {0, 0}, {1, 3}), {1, 0}, {9, 12}, {2, 4}, d);
      });
      EXPECT_MATCHES_CPU([&](Device d) {
        return fn(src, transpose(rnd({3, 4}, t, seed, -9, 9)), {0, 0}, {4, 3}, {1, 1}, d);
      });
      EXPECT_MATCHES_CPU([&](Device d) {
        return fn(src, slice(u, {0, 0}, {1, 1}), {2, 2}, {2, 2}, {1, 1}, d);
      });
    }
  }
  // Dynamic start (a scatter with 0-d indices).
  array src = rnd({10, 10}, float32, 390);
  array u = rnd({3, 4}, float32, 391);
  EXPECT_MATCHES_CPU([&](Device d) {
    return slice_update(src, u, make({6, 2}, int32), {0, 1}, d);
  });
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
      array idx =
          make(rnd_ints(static_cast<size_t>(is[0]) * is[1], 0, as[axis] - 1, seed++), is, uint32);
      EXPECT_MATCHES_CPU([&](Device d) { return detail::gather_along_axis(a, idx, axis, d); });
      EXPECT_MATCHES_CPU([&](Device d) {
        return detail::gather_along_axis(transpose(transpose(a, {1, 0})), idx, axis, d);
      });
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
      {"2d asymmetric padding",
       {2, 9, 11, 4},
       {6, 3, 3, 4},
       {2, 1},
       {1, 2},
       {0, 1},
       {1, 2},
       {1, 1},
       1,
       false},
      {"2d input dilation flipped groups",
       {1, 7, 6, 6},
       {9, 2, 3, 2},
       {1, 2},
       {2, 1},
       {1, 0},
       {1, 1},
       {2, 3},
       3,
       true},
      {"3d",
       {1, 5, 6, 7, 3},
       {4, 2, 3, 2, 3},
       {1, 2, 1},
       {1, 0, 1},
       {0, 1, 1},
       {1, 1, 2},
       {1, 1, 1},
       1,
       false},
      {"pointwise",
       {4, 7, 7, 16},
       {32, 1, 1, 16},
       {1, 1},
       {0, 0},
       {0, 0},
       {1, 1},
       {1, 1},
       1,
       false},
      {"depthwise", {2, 10, 10, 8}, {8, 3, 3, 1}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, 8, false},
      {"kernel larger than input with padding",
       {1, 3, 2},
       {2, 5, 2},
       {1},
       {3},
       {3},
       {1},
       {1},
       1,
       false},
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
      [&](Device d) {
        return conv2d(transpose(x, {0, 2, 1, 3}), w, {1, 2}, {1, 1}, {1, 1}, 1, d);
      },
      10);
  EXPECT_MATCHES_CPU(
      [&](Device d) {
        return conv2d(x, slice(transpose(w, {0, 2, 1, 3}), {0, 0, 0, 0}, {4, 2, 2, 5}), {1, 1},
                      {0, 0}, {1, 1}, 1, d);
      },
      10);
  EXPECT_MATCHES_CPU(
      [&](Device d) {
        return conv2d(astype(x, float16), w, {2, 1}, {1, 0}, {1, 1}, 1, d);
      },
      10);
  array xt = rnd_real({2, 6, 7, 4}, 602);
  array wt = rnd_real({6, 3, 3, 2}, 603);
  EXPECT_MATCHES_CPU(
      [&](Device d) {
        return conv_transpose2d(xt, wt, {2, 2}, {1, 0}, {1, 2}, {1, 0}, 2, d);
      },
      10);
  EXPECT_MATCHES_CPU(
      [&](Device d) {
        return conv_transpose1d(rnd_real({2, 9, 3}, 604), rnd_real({5, 4, 3}, 605), 3, 2, 1, 2, 1,
                                d);
      },
      10);
  // Gradients run convolutions with flipped kernels and input dilation on the forward's device.
  EXPECT_MATCHES_CPU(
      [&](Device d) {
        return grad([&](const array& y) {
          return sum(square(conv2d(y, w, {2, 1}, {1, 1}, {1, 2}, 1, d), d), d);
        })(x);
      },
      10);
  EXPECT_MATCHES_CPU(
      [&](Device d) {
        return grad([&](const array& v) {
          return sum(square(conv2d(x, v, {2, 1}, {1, 1}, {1, 2}, 1, d), d), d);
        })(w);
      },
      10);
  if (tandem_test::has_gpu()) {
    // Larger than one im2col chunk (2^25 elements): several chunks.
    array bx = make(rnd_reals(16 * 64 * 64 * 64, -1, 1, 610), {16, 64, 64, 64}, float32);
    array bw = make(rnd_reals(64 * 3 * 3 * 64, -1, 1, 611), {64, 3, 3, 64}, float32);
    EXPECT_MATCHES_CPU([&](Device d) { return conv2d(bx, bw, {1, 1}, {1, 1}, {1, 1}, 1, d); }, 50);
    EXPECT_MATCHES_CPU([&](Device d) {
      return conv2d(astype(bx, float64), astype(bw, float64), {1, 1}, {1, 1}, {1, 1}, 1, d);
    });
    // The cases above may run on cuDNN; unequal padding that changes the output size keeps the
    // im2col path (two chunks) covered.
    EXPECT_MATCHES_CPU(
        [&](Device d) {
          return conv_general(bx, bw, {1, 1}, {1, 1}, {2, 2}, {1, 1}, {1, 1}, 1, false, d);
        },
        50);
  }
  // Empty batch.
  EXPECT_MATCHES_CPU([&](Device d) {
    return conv1d(zeros({0, 5, 3}), rnd_real({2, 3, 3}, 620), 1, 0, 1, 1, d);
  });
}

// The cuDNN path of Convolution::eval_gpu (backend/cuda/conv_cudnn.cpp): cases it must run (1-d
// as 2-d, 2-d, 3-d, strides, symmetric padding, unequal padding that keeps the output size,
// kernel dilation, groups, depthwise, flip) and cases it must leave to im2col (input dilation,
// unequal padding that changes the output size), in every float dtype, against the CPU.
namespace {

struct CudnnCase {
  ConvCase c;
  // "cudnn": cuDNN must run it (float16 / bfloat16 / float32) when it is compiled in and on;
  // "either": cuDNN may decline it (reported, not checked); "im2col": it must fall back.
  const char* path;
};

std::vector<CudnnCase> cudnn_cases() {
  auto cc = [](std::string name, Shape xs, Shape ws, std::vector<int> stride, std::vector<int> lo,
               std::vector<int> hi, std::vector<int> kdil, std::vector<int> idil, int groups,
               bool flip, const char* path) {
    return CudnnCase{{std::move(name), std::move(xs), std::move(ws), std::move(stride),
                      std::move(lo), std::move(hi), std::move(kdil), std::move(idil), groups, flip},
                     path};
  };
  return {
      cc("1d same", {2, 37, 8}, {16, 5, 8}, {1}, {2}, {2}, {1}, {1}, 1, false, "cudnn"),
      cc("1d strided dilated", {3, 50, 8}, {8, 3, 8}, {2}, {3}, {3}, {2}, {1}, 1, false, "cudnn"),
      cc("1d flipped groups", {2, 20, 6}, {4, 4, 3}, {1}, {1}, {1}, {1}, {1}, 2, true, "either"),
      cc("2d 3x3 same", {2, 12, 10, 16}, {32, 3, 3, 16}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, 1,
         false, "cudnn"),
      cc("2d benchmark-like", {2, 14, 14, 64}, {64, 3, 3, 64}, {1, 1}, {1, 1}, {1, 1}, {1, 1},
         {1, 1}, 1, false, "cudnn"),
      cc("2d strided dilated", {2, 17, 13, 8}, {16, 3, 5, 8}, {2, 3}, {2, 1}, {2, 1}, {2, 1},
         {1, 1}, 1, false, "cudnn"),
      cc("2d pointwise", {2, 7, 7, 24}, {40, 1, 1, 24}, {1, 1}, {0, 0}, {0, 0}, {1, 1}, {1, 1}, 1,
         false, "cudnn"),
      cc("2d pointwise strided", {2, 9, 9, 16}, {8, 1, 1, 16}, {2, 2}, {0, 0}, {0, 0}, {1, 1},
         {1, 1}, 1, false, "cudnn"),
      cc("2d groups", {2, 9, 9, 16}, {8, 3, 3, 4}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, 4, false,
         "either"),
      cc("2d depthwise", {2, 14, 14, 32}, {32, 3, 3, 1}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, 32,
         false, "either"),
      cc("2d depthwise multiplier 2 strided", {1, 11, 11, 8}, {16, 3, 3, 1}, {2, 2}, {1, 1}, {1, 1},
         {1, 1}, {1, 1}, 8, false, "either"),
      cc("2d flipped", {2, 8, 9, 8}, {8, 3, 2, 8}, {1, 1}, {1, 1}, {1, 1}, {1, 2}, {1, 1}, 1, true,
         "either"),
      cc("2d flipped groups strided", {2, 10, 9, 8}, {6, 3, 3, 4}, {2, 1}, {1, 0}, {1, 0}, {1, 1},
         {1, 1}, 2, true, "either"),
      cc("2d odd channels", {2, 6, 7, 3}, {5, 3, 3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, 1,
         false, "either"),
      // Tandem's output size 4 on both axes equals cuDNN's with padding 1 on both sides.
      cc("2d unequal padding, same size", {1, 8, 8, 8}, {8, 3, 3, 8}, {2, 2}, {1, 1}, {0, 0},
         {1, 1}, {1, 1}, 1, false, "cudnn"),
      cc("2d kernel larger than input", {1, 3, 2, 4}, {4, 5, 3, 4}, {1, 1}, {3, 1}, {3, 1}, {1, 1},
         {1, 1}, 1, false, "either"),
      cc("3d", {2, 5, 6, 7, 8}, {8, 3, 2, 3, 8}, {1, 2, 1}, {1, 0, 1}, {1, 0, 1}, {1, 1, 2},
         {1, 1, 1}, 1, false, "either"),
      cc("3d groups flipped", {1, 4, 5, 6, 8}, {4, 2, 3, 2, 4}, {1, 1, 1}, {1, 1, 0}, {1, 1, 0},
         {1, 1, 1}, {1, 1, 1}, 2, true, "either"),
      // Output size 4 (Tandem) vs 5 (cuDNN, padding 1 on both sides) on the first axis.
      cc("2d unequal padding changing the size", {2, 9, 11, 4}, {6, 3, 3, 4}, {2, 1}, {1, 2},
         {0, 1}, {1, 1}, {1, 1}, 1, false, "im2col"),
      cc("2d input dilation", {1, 7, 6, 6}, {9, 2, 3, 2}, {1, 2}, {2, 1}, {2, 1}, {1, 1}, {2, 3}, 3,
         false, "im2col"),
      cc("1d input dilation flipped", {2, 9, 4}, {4, 3, 4}, {1}, {1}, {1}, {1}, {2}, 1, true,
         "im2col"),
  };
}

uint64_t cudnn_conv_calls() {
#if TANDEM_WITH_CUDA
  return cuda::cudnn_conv_info().calls;
#else
  return 0;
#endif
}

bool cudnn_conv_on() {
#if TANDEM_WITH_CUDA
  return cuda::cudnn_conv_info().enabled;
#else
  return false;
#endif
}

}  // namespace

TEST(GpuParity, ConvolutionCudnnCases) {
  uint32_t seed = 700;
  for (auto& cc : cudnn_cases()) {
    const ConvCase& c = cc.c;
    array x = rnd_real(c.xs, seed++);
    array w = rnd_real(c.ws, seed++);
    for (Dtype t : tandem_test::float_dtypes()) {
      SCOPED_TRACE(c.name + " " + dtype_name(t) + " (expected path: " + cc.path + ")");
      array xt = astype(x, t), wt = astype(w, t);
      const uint64_t before = cudnn_conv_calls();
      // Exact products and float32 sums: the 16-bit results round once, as on the CPU; float32
      // may sum in another order.
      EXPECT_MATCHES_CPU(
          [&](Device d) {
            return conv_general(xt, wt, c.stride, c.lo, c.hi, c.kdil, c.idil, c.groups, c.flip, d);
          },
          t == float32 ? 10.0 : 1.0);
      if (!tandem_test::has_gpu() || !cudnn_conv_on()) continue;
      const bool used = cudnn_conv_calls() > before;
      const std::string path = cc.path;
      if (path == "im2col") {
        EXPECT_FALSE(used) << "cuDNN ran a case it must decline";
      } else if (path == "cudnn" && t != float64) {
        EXPECT_TRUE(used) << "cuDNN declined a case it should run (TANDEM_CONV_CUDNN=verbose "
                             "tells why)";
      } else {
        std::cout << "[ INFO ] cuDNN conv " << c.name << " " << dtype_name(t) << ": "
                  << (used ? "cuDNN" : "im2col") << std::endl;
      }
    }
  }
}

TEST(GpuParity, ConvolutionCudnnLayoutsAndEdges) {
  // A contiguous view at a 150-byte offset (not 16-byte aligned) is copied before cuDNN; a
  // transposed input and a sliced weight are made contiguous first.
  array base = rnd_real({3, 5, 5, 3}, 720);
  array w = rnd_real({4, 3, 3, 3}, 721);
  for (Dtype t : {float16, float32}) {
    SCOPED_TRACE(dtype_name(t));
    array bt = astype(base, t), wt = astype(w, t);
    EXPECT_MATCHES_CPU(
        [&](Device d) {
          return conv2d(slice(bt, {1, 0, 0, 0}, {3, 5, 5, 3}), wt, {1, 1}, {1, 1}, {1, 1}, 1, d);
        },
        t == float32 ? 10.0 : 1.0);
    EXPECT_MATCHES_CPU(
        [&](Device d) {
          return conv2d(transpose(bt, {0, 2, 1, 3}), slice(wt, {0, 0, 0, 0}, {4, 3, 2, 3}), {2, 1},
                        {1, 0}, {1, 1}, 1, d);
        },
        t == float32 ? 10.0 : 1.0);
  }
  // Empty batch in every dtype (no cuDNN call).
  for (Dtype t : tandem_test::float_dtypes()) {
    SCOPED_TRACE(dtype_name(t));
    EXPECT_MATCHES_CPU([&](Device d) {
      return conv2d(zeros({0, 5, 5, 3}, t), astype(w, t), {1, 1}, {1, 1}, {1, 1}, 1, d);
    });
  }
  // The benchmark's layer at a smaller batch (bf16, N 4, 256 channels, 14x14, 3x3, same
  // padding), random values: float32 sums in another order, so the bf16 results may differ by
  // one rounding step.
  array bx = make(rnd_reals(4 * 14 * 14 * 256, -1, 1, 722), {4, 14, 14, 256}, bfloat16);
  array bw = make(rnd_reals(256 * 3 * 3 * 256, -1, 1, 723), {256, 3, 3, 256}, bfloat16);
  EXPECT_MATCHES_CPU([&](Device d) { return conv2d(bx, bw, {1, 1}, {1, 1}, {1, 1}, 1, d); });
}

#if TANDEM_WITH_CUDA
// Runs without a GPU: the cuDNN descriptors of every case above (and of batches split into
// several cuDNN calls) are accepted by cuDNN, its output size agrees with Tandem's, and the
// cases that must fall back are declined by Tandem's rules.
TEST(GpuParity, ConvolutionCudnnDescriptors) {
  auto probe = [](const array& out, Dtype t) {
    auto& prim = dynamic_cast<Convolution&>(out.primitive());
    return cuda::cudnn_conv_probe(prim, out.inputs()[0].shape(), out.inputs()[1].shape(),
                                  out.shape(), t);
  };
  {
    array o = conv1d(zeros({1, 4, 2}), zeros({1, 3, 2}), 1, 0, 1, 1, Device::cpu);
    if (probe(o, float32) == "not compiled") GTEST_SKIP() << "built without cuDNN";
  }
  for (auto& cc : cudnn_cases()) {
    const ConvCase& c = cc.c;
    for (Dtype t : tandem_test::float_dtypes()) {
      SCOPED_TRACE(c.name + " " + dtype_name(t));
      // Lazy inputs, never evaluated: only shapes matter.
      array x = broadcast_to(array(0.0f, t), c.xs);
      array w = broadcast_to(array(0.0f, t), c.ws);
      array o =
          conv_general(x, w, c.stride, c.lo, c.hi, c.kdil, c.idil, c.groups, c.flip, Device::cpu);
      const std::string r = probe(o, t);
      if (std::string(cc.path) == "im2col") {
        EXPECT_EQ(r.rfind("declined: ", 0), 0u) << r;
      } else {
        EXPECT_EQ(r, "");
      }
    }
  }
  // Batches beyond 2^31 - 1 elements: calls of 16 samples (aligned), and 48 + a last call of 22.
  // Never evaluated.
  struct Big {
    Shape xs, ws;
  };
  for (const Big& b :
       {Big{{64, 512, 512, 256}, {16, 3, 3, 256}}, Big{{70, 512, 512, 128}, {8, 3, 3, 128}},
        Big{{3, 1024, 1024, 1100}, {4, 1, 1, 1100}}}) {
    SCOPED_TRACE(shape_to_string(b.xs));
    array x = broadcast_to(array(0.0f, bfloat16), b.xs);
    array w = broadcast_to(array(0.0f, bfloat16), b.ws);
    array o = conv2d(x, w, {1, 1}, {b.ws[1] / 2, b.ws[2] / 2}, {1, 1}, 1, Device::cpu);
    EXPECT_EQ(probe(o, bfloat16), "");
  }
  // The output-size check is live: cuDNN's size differing from the given one is an internal
  // error.
  {
    array x = broadcast_to(array(0.0f), {2, 9, 9, 4});
    array w = broadcast_to(array(0.0f), {8, 3, 3, 4});
    array o = conv2d(x, w, {2, 2}, {1, 1}, {1, 1}, 1, Device::cpu);
    EXPECT_EQ(o.shape(), (Shape{2, 5, 5, 8}));
    auto& prim = dynamic_cast<Convolution&>(o.primitive());
    EXPECT_THROW_MSG(cuda::cudnn_conv_probe(prim, x.shape(), w.shape(), {2, 5, 4, 8}, float32),
                     std::runtime_error, "Internal error: cuDNN computes output dims");
  }
  // A sample beyond 2^31 - 1 elements is left to im2col.
  array x = broadcast_to(array(0.0f, bfloat16), {1, 2048, 2048, 1024});
  array w = broadcast_to(array(0.0f, bfloat16), {1, 1, 1, 1024});
  EXPECT_EQ(
      probe(conv2d(x, w, {1, 1}, {0, 0}, {1, 1}, 1, Device::cpu), bfloat16).rfind("declined", 0),
      0u);
}
#endif

// =====================================================================================
// Elementwise, copies, views, reductions, fused rows, matmul, random bits (elementwise.cuh,
// copy.cu, views.cpp, reduce.cu, fused.cu, matmul.cpp, random.cu)
// =====================================================================================

TEST(GpuParity, ElementwiseOffsetsAndTails) {
  // Contiguous views whose first element is not 16-byte aligned (the kernels' 16-byte vector
  // path must fall back), lengths that are not a multiple of the vector width, a scalar
  // operand, every dtype; conversions in place of the same item size.
  uint32_t seed = 700;
  for (Dtype t : tandem_test::all_dtypes()) {
    for (int n : {1, 5, 17, 1031}) {
      array a = rnd({n + 8}, t, seed++, -20, 20, true);
      array b = rnd({n + 8}, t, seed++, -20, 20, true);
      array c = rnd({n + 8}, t, seed++, -20, 20);  // no NaN: converted to integers below
      for (int oa : {0, 1, 3}) {
        for (int ob : {0, 2}) {
          SCOPED_TRACE(dtype_name(t) + " n " + std::to_string(n) + " offsets " +
                       std::to_string(oa) + ", " + std::to_string(ob));
          auto va = [&](Device d) { return slice(a, {oa}, {oa + n}, d); };
          auto vb = [&](Device d) { return slice(b, {ob}, {ob + n}, d); };
          expect_matches([&](Device d) { return add(va(d), vb(d), d); });
          expect_matches([&](Device d) { return maximum(va(d), vb(d), d); });
          expect_matches([&](Device d) { return multiply(va(d), take(b, 0, d), d); });
          EXPECT_MATCHES_CPU([&](Device d) { return equal(va(d), vb(d), d); });
          EXPECT_MATCHES_CPU([&](Device d) { return logical_not(va(d), d); });
          if (t != bool_) expect_matches([&](Device d) { return negative(va(d), d); });
          for (Dtype to : {bool_, uint8, int32, float16, bfloat16, float32, float64, complex64}) {
            expect_matches([&](Device d) { return astype(slice(c, {oa}, {oa + n}, d), to, d); });
          }
        }
      }
    }
  }
}

TEST(GpuParity, ElementwiseLayouts) {
  // Broadcast rows / columns (the strided kernels), transposed and reversed operands, 0-d and
  // empty arrays, and 9 dims that do not collapse (more than kMaxDims: contiguous copies first).
  uint32_t seed = 720;
  for (Dtype t : {bool_, int8, int64, float16, float32, complex64}) {
    SCOPED_TRACE(dtype_name(t));
    array m = rnd({6, 10}, t, seed++);
    array row = rnd({10}, t, seed++), col = rnd({6, 1}, t, seed++);
    array s = rnd({}, t, seed++);
    expect_matches([&](Device d) { return add(m, row, d); });
    expect_matches([&](Device d) { return add(col, row, d); });
    expect_matches([&](Device d) { return add(s, m, d); });
    expect_matches([&](Device d) { return add(s, s, d); });
    expect_matches([&](Device d) {
      return maximum(transpose(m, d), slice(transpose(m, d), {9, 0}, {-11, 6}, {-1, 1}, d), d);
    });
    expect_matches([&](Device d) { return add(zeros({0, 10}, t), row, d); });
    expect_matches([&](Device d) { return where(greater(m, s, d), m, row, d); });
    array h = rnd(Shape(9, 2), t, seed++);
    array cond = rnd(Shape(9, 2), bool_, seed++);
    std::vector<int> rev{8, 7, 6, 5, 4, 3, 2, 1, 0};
    expect_matches([&](Device d) { return add(transpose(h, rev, d), h, d); });
    expect_matches([&](Device d) { return logical_not(transpose(h, rev, d), d); });
    expect_matches([&](Device d) { return astype(transpose(h, rev, d), float32, d); });
    expect_matches(
        [&](Device d) { return where(transpose(cond, rev, d), transpose(h, rev, d), h, d); });
    expect_matches([&](Device d) { return copy(transpose(h, rev, d), d); });
    expect_matches([&](Device d) { return concatenate({transpose(m, d), transpose(m, d)}, 1, d); });
    expect_matches([&](Device d) { return reshape(transpose(m, d), {5, 12}, d); });
  }
}

TEST(GpuParity, ReshapeFlagsFollowTheNewShape) {
  // A (6,) array is row- and column-major; its (2, 3) reshape is only row-major.
  for (auto& d : tandem_test::test_devices()) {
    SCOPED_TRACE(tandem_test::device_name(d));
    array r = reshape(add(arange(6.0, float32), array(1.0f), d), {2, 3}, d);
    r.eval();
    EXPECT_TRUE(r.flags().row_contiguous);
    EXPECT_FALSE(r.flags().col_contiguous);
    array c = contiguous(r, true, d);
    c.eval();
    EXPECT_FALSE(c.flags().col_contiguous && !c.flags().row_contiguous);
    EXPECT_ARRAY_EQ(c, std::vector<float>{1, 2, 3, 4, 5, 6}, Shape{2, 3});
  }
}

TEST(GpuParity, DonatedIntermediates) {
  // Chains whose intermediates are donated to the next kernel (written in place on the GPU).
  const int n = (1 << 16) + 3;
  array x = make(rnd_reals(n, -2, 2, 730), {n}, float32);
  array xi = make(rnd_ints(n, -100, 100, 731), {n}, int32);
  EXPECT_MATCHES_CPU(
      [&](Device d) { return multiply(exp(sin(add(x, array(1.0f), d), d), d), array(0.5f), d); },
      4);
  EXPECT_MATCHES_CPU([&](Device d) {
    return astype(astype(add(xi, xi, d), float32, d), int32, d);  // same item size: in place
  });
  EXPECT_MATCHES_CPU([&](Device d) { return abs(negative(slice(xi, {1}, {n}, d), d), d); });
}

TEST(GpuParity, ReductionsAllOpsAndGeometries) {
  struct C {
    Shape shape;
    std::vector<int> axes;
  };
  // Long rows (a block per output), short rows (a warp per output), columns, alternating axis
  // groups, everything, extent-1 axes; with a GPU also rows and columns split into chunks.
  std::vector<C> cases{{{7, 3000}, {1}},       {{40, 33}, {1}},        {{3000, 7}, {0}},
                       {{2, 3, 4, 5}, {0, 2}}, {{2, 3, 4, 5}, {1, 3}}, {{6, 5}, {0, 1}},
                       {{1, 4}, {0}}};
  if (tandem_test::has_gpu()) {
    cases.push_back({{3, 300000}, {1}});
    cases.push_back({{200000, 3}, {0}});
    cases.push_back({{1 << 20}, {0}});
  }
  uint32_t seed = 740;
  for (Dtype t : tandem_test::all_dtypes()) {
    for (auto& c : cases) {
      SCOPED_TRACE(dtype_name(t) + " " + shape_to_string(c.shape));
      size_t n = 1;
      for (auto e : c.shape)
        n *= e;
      array x = rnd(c.shape, t, seed++, -3, 3, true);  // exact sums in every dtype
      expect_matches([&](Device d) { return sum(x, c.axes, false, d); });
      expect_matches([&](Device d) { return max(x, c.axes, false, d); });
      expect_matches([&](Device d) { return min(x, c.axes, true, d); });
      EXPECT_MATCHES_CPU([&](Device d) { return all(x, c.axes, false, d); });
      EXPECT_MATCHES_CPU([&](Device d) { return any(x, c.axes, false, d); });
      // Powers of two: exact products (integers wrap identically, floats overflow alike).
      auto pv = pick(n,
                     is_unsigned_or_bool(t)   ? std::vector<double>{1, 2}
                     : is_float_or_complex(t) ? std::vector<double>{-1, 1, 2, 0.5}
                                              : std::vector<double>{-1, 1, 2},
                     seed++);
      array p = t == bool_ ? rnd(c.shape, t, seed++) : of(pv, c.shape, t);
      expect_matches([&](Device d) { return prod(p, c.axes, false, d); });
      if (t != complex64) {
        EXPECT_MATCHES_CPU([&](Device d) { return argmax(x, c.axes[0], false, d); });
        EXPECT_MATCHES_CPU([&](Device d) { return argmin(x, c.axes.back(), true, d); });
      }
    }
  }
  // Special values: NaN wins max / min, -inf and +inf, signed zeros, a strided input.
  array sp = make({-kNaN, 1, -std::numeric_limits<double>::infinity(), 0, -0.0, 3, kNaN, 2,
                   std::numeric_limits<double>::infinity(), -1, -0.0, 0.0},
                  {3, 4}, float32);
  for (Dtype t : tandem_test::float_dtypes()) {
    SCOPED_TRACE(dtype_name(t));
    array xs = astype(sp, t);
    for (int ax : {0, 1}) {
      EXPECT_MATCHES_CPU([&](Device d) { return max(xs, ax, false, d); });
      EXPECT_MATCHES_CPU([&](Device d) { return min(transpose(xs), ax, false, d); });
      EXPECT_MATCHES_CPU([&](Device d) { return argmax(xs, ax, false, d); });
      EXPECT_MATCHES_CPU([&](Device d) { return argmin(transpose(xs), ax, false, d); });
    }
  }
  // Empty reductions take the identity.
  EXPECT_MATCHES_CPU([&](Device d) { return sum(zeros({0, 5}, float16), 0, false, d); });
  EXPECT_MATCHES_CPU([&](Device d) { return prod(zeros({3, 0}, int8), 1, false, d); });
  EXPECT_MATCHES_CPU([&](Device d) { return all(zeros({3, 0}, bool_), 1, false, d); });
}

TEST(GpuParity, SoftmaxRowsAndSpecialValues) {
  uint32_t seed = 760;
  for (Dtype t : tandem_test::float_dtypes()) {
    for (int n : {1, 7, 8, 33, 1024, 5000}) {
      SCOPED_TRACE(dtype_name(t) + " n " + std::to_string(n));
      array x = astype(make(rnd_reals(6 * n, -4, 4, seed++), {6, n}, float32), t);
      EXPECT_MATCHES_CPU([&](Device d) { return softmax(x, -1, false, d); }, 4);
      // Rows 1.. start n elements into the buffer: not 16-byte aligned for odd n.
      EXPECT_MATCHES_CPU(
          [&](Device d) {
            return softmax(slice(x, {1, 0}, {6, n}, d), -1, false, d);
          },
          4);
    }
    // +inf anywhere gives a row of NaN (as the composition); a row of -inf gives NaN; NaN
    // propagates; -inf elements give 0.
    const double inf = std::numeric_limits<double>::infinity();
    array s = astype(make({0, 1, inf,  2, -inf, -inf, -inf, -inf, 1, kNaN,
                           2, 3, -inf, 0, 1,    -inf, inf,  inf,  1, 2},
                          {5, 4}, float32),
                     t);
    EXPECT_MATCHES_CPU([&](Device d) { return softmax(s, -1, false, d); });
    // A long row (several elements per thread) with one +inf far from the start.
    std::vector<double> lv = rnd_reals(5000, -1, 1, seed++);
    lv[4097] = inf;
    array l = astype(make(lv, {1, 5000}, float32), t);
    EXPECT_MATCHES_CPU([&](Device d) { return softmax(l, -1, false, d); });
  }
}

TEST(GpuParity, NormsRowLengthsAndOffsets) {
  uint32_t seed = 780;
  for (Dtype t : tandem_test::float_dtypes()) {
    for (int n : {1, 7, 8, 1024, 1025, 3000}) {
      SCOPED_TRACE(dtype_name(t) + " n " + std::to_string(n));
      array x = astype(make(rnd_reals(5 * n, -2, 3, seed++), {5, n}, float32), t);
      array w = astype(make(rnd_reals(n + 1, 0.5, 1.5, seed++), {n + 1}, float32), t);
      array b = astype(make(rnd_reals(n + 1, -1, 1, seed++), {n + 1}, float32), t);
      auto xo = [&](Device d) { return slice(x, {1, 0}, {5, n}, d); };  // offset rows
      auto wo = [&](Device d) { return slice(w, {1}, {n + 1}, d); };    // offset weight
      auto bo = [&](Device d) { return slice(b, {0}, {n}, d); };
      const double tol = n >= 1000 ? 8 : 2;
      EXPECT_MATCHES_CPU([&](Device d) { return fast::rms_norm(x, wo(d), 1e-5f, d); }, tol);
      EXPECT_MATCHES_CPU([&](Device d) { return fast::rms_norm(xo(d), std::nullopt, 1e-5f, d); },
                         tol);
      EXPECT_MATCHES_CPU([&](Device d) { return fast::layer_norm(xo(d), wo(d), bo(d), 1e-5f, d); },
                         tol);
      EXPECT_MATCHES_CPU(
          [&](Device d) { return fast::layer_norm(x, std::nullopt, bo(d), 1e-5f, d); }, tol);
    }
  }
  // 16-bit input with float32 parameters (mixed kernel).
  array xh = astype(make(rnd_reals(4 * 40, -2, 2, 790), {4, 40}, float32), bfloat16);
  array w32 = make(rnd_reals(40, 0.5, 1.5, 791), {40}, float32);
  EXPECT_MATCHES_CPU([&](Device d) { return fast::rms_norm(xh, w32, 1e-6f, d); }, 2);
  EXPECT_MATCHES_CPU([&](Device d) { return fast::layer_norm(xh, w32, w32, 1e-6f, d); }, 2);
}

TEST(GpuParity, MatmulLayoutsAndDtypes) {
  // Values are multiples of 1/8 with short sums: exact in every dtype but bfloat16 / float16
  // outputs, which round once on both devices.
  for (Dtype t : {float32, float64, float16, bfloat16, complex64}) {
    SCOPED_TRACE(dtype_name(t));
    array a = astype(rnd_real({4, 5, 6}, 800), t);
    array b = astype(rnd_real({4, 6, 3}, 801), t);
    array v = astype(rnd_real({6}, 802), t);
    expect_matches([&](Device d) { return matmul(a, b, d); });
    expect_matches([&](Device d) {
      return matmul(transpose(b, {0, 2, 1}, d), transpose(a, {0, 2, 1}, d), d);
    });
    expect_matches([&](Device d) { return matmul(a, take(b, 0, 0, d), d); });  // shared b
    expect_matches([&](Device d) { return matmul(take(a, 1, 0, d), b, d); });  // shared a
    expect_matches([&](Device d) { return matmul(v, take(b, 2, 0, d), d); });  // vector x matrix
    expect_matches([&](Device d) { return matmul(a, v, d); });                 // matrix x vector
    // A reversed batch axis (negative batch stride) and a strided (non-BLAS) matrix.
    expect_matches([&](Device d) {
      return matmul(slice(a, {3, 0, 0}, {-5, 5, 6}, {-1, 1, 1}, d), b, d);
    });
    expect_matches([&](Device d) {
      return matmul(slice(a, {0, 0, 0}, {4, 5, 6}, {1, 1, 2}, d),
                    slice(b, {0, 0, 0}, {4, 6, 3}, {1, 2, 1}, d), d);
    });
    // Two batch axes that do not collapse (a loop over the outer one).
    array a4 = astype(rnd_real({3, 2, 5, 6}, 803), t);
    array b4 = astype(rnd_real({2, 3, 6, 4}, 804), t);
    expect_matches([&](Device d) { return matmul(a4, transpose(b4, {1, 0, 2, 3}, d), d); });
    // K = 0: zeros.
    expect_matches([&](Device d) { return matmul(zeros({3, 0}, t), zeros({0, 4}, t), d); });
  }
}

TEST(GpuParity, MatmulCublasLtShapesAndGemv) {
  // matmul.cpp / blaslt.cpp / gemv.cu: sizes that are not multiples of 8, every transpose,
  // broadcast batches (folded into rows, or stride-0 batches), sliced operands whose pointers
  // and leading dimensions are not 16-byte aligned, M = 1 and N = 1 (the GEMV kernel for 16-bit
  // floats, its vector and element-wise loops), and K = 0. Values are multiples of 1/8, so every
  // float32 sum here is exact and only the final rounding of 16-bit outputs remains.
  for (Dtype t : {bfloat16, float16, float32, float64, complex64}) {
    SCOPED_TRACE(dtype_name(t));
    const int M = 37, K = 29, N = 41;
    array a = astype(rnd_real({M + 1, K + 1}, 820), t);  // sliced below: offsets and ld K + 1
    array b = astype(rnd_real({K, N}, 821), t);
    array bt = astype(rnd_real({N, K}, 822), t);                              // transposed below
    auto av = [&](Device d) { return slice(a, {1, 1}, {M + 1, K + 1}, d); };  // (M, K), unaligned
    expect_matches([&](Device d) { return matmul(av(d), b, d); });
    expect_matches([&](Device d) { return matmul(av(d), transpose(bt, d), d); });
    // Column-major a (a transposed row-major copy), alone and with a column-major b.
    auto ac = [&](Device d) { return transpose(contiguous(transpose(av(d), d), false, d), d); };
    expect_matches([&](Device d) { return matmul(ac(d), b, d); });
    expect_matches([&](Device d) { return matmul(ac(d), transpose(bt, d), d); });
    // Batches: a (3, M, K) x shared b (one product of 3M rows), shared a x b (3, K, N) (a
    // stride-0 batch), a transposed batch against a shared transposed b, batch axes broadcast
    // on both sides.
    array a3 = astype(rnd_real({3, M, K}, 823), t);
    array b3 = astype(rnd_real({3, K, N}, 824), t);
    expect_matches([&](Device d) { return matmul(a3, b, d); });
    expect_matches([&](Device d) { return matmul(av(d), b3, d); });
    expect_matches([&](Device d) { return matmul(a3, transpose(bt, d), d); });
    expect_matches([&](Device d) {
      return matmul(transpose(astype(rnd_real({3, K, M}, 825), t), {0, 2, 1}, d), transpose(bt, d),
                    d);
    });
    expect_matches([&](Device d) {
      return matmul(reshape(a3, {3, 1, M, K}, d), reshape(b3, {1, 3, K, N}, d), d);
    });
    // Odd batch offsets: every batch of the slice starts at an odd element.
    expect_matches([&](Device d) {
      return matmul(slice(astype(rnd_real({3, M, K + 1}, 826), t), {0, 0, 1}, {3, M, K + 1}, d), b3,
                    d);
    });
    // M = 1 and N = 1 (GEMV): vector x transposed matrix (the kernel's layout), vector x
    // row-major matrix and matrix x vector, aligned (K a multiple of 8) or not, with an offset
    // vector, and a batch of vectors. The matrix rows are 272 apart (16-byte aligned).
    for (int k : {264, 263}) {
      array w = astype(rnd_real({300, 272}, 827 + k), t);
      array x = astype(rnd_real({k + 1}, 828 + k), t);
      auto wv = [&](Device d) { return slice(w, {0, 0}, {300, k}, d); };
      auto xv = [&](Device d) { return slice(x, {0}, {k}, d); };
      auto xo = [&](Device d) { return slice(x, {1}, {k + 1}, d); };  // offset by one element
      expect_matches([&](Device d) { return matmul(xv(d), transpose(wv(d), d), d); });
      expect_matches([&](Device d) { return matmul(xo(d), transpose(wv(d), d), d); });
      expect_matches([&](Device d) { return matmul(wv(d), xv(d), d); });
      expect_matches([&](Device d) { return matmul(wv(d), xo(d), d); });
      expect_matches([&](Device d) {
        return matmul(reshape(xv(d), {1, k}, d), contiguous(transpose(wv(d), d), false, d), d);
      });
      expect_matches([&](Device d) {
        return matmul(transpose(wv(d), d), astype(rnd_real({300}, 829), t), d);
      });
      expect_matches([&](Device d) {
        return matmul(astype(rnd_real({4, 1, k}, 830), t), transpose(wv(d), d), d);
      });
      expect_matches([&](Device d) {
        return matmul(reshape(xv(d), {1, k}, d), reshape(xv(d), {k, 1}, d), d);
      });
    }
    // K = 0 with batches: zeros.
    expect_matches([&](Device d) { return matmul(zeros({2, 3, 0}, t), zeros({0, 5}, t), d); });
    expect_matches([&](Device d) { return matmul(zeros({1, 0}, t), zeros({2, 0, 5}, t), d); });
  }
  // The GEMV kernel's unrolled loop (K = 2056: 257 16-byte chunks) over more than 1024 rows, and
  // a long contraction with few rows (cuBLASLt's choice).
  for (Dtype t : {bfloat16, float16}) {
    SCOPED_TRACE(dtype_name(t));
    array w = astype(rnd_real({1100, 2056}, 840), t);
    array x = astype(rnd_real({2056}, 841), t);
    expect_matches([&](Device d) { return matmul(x, transpose(w, d), d); });
    expect_matches([&](Device d) { return matmul(w, x, d); });
    array wl = astype(rnd_real({64, 16384}, 842), t);
    array xl = astype(rnd_real({16384}, 843), t);
    expect_matches([&](Device d) { return matmul(wl, xl, d); });
  }
}

TEST(GpuParity, MatmulPlanCacheHits) {
  // The cuBLASLt heuristic runs once per problem: repeating a shape (fresh arrays, same
  // alignment) hits the plan cache.
  if (!tandem_test::has_gpu()) GTEST_SKIP() << "no GPU";
  const Device g(Device::gpu);
  auto run = [&](uint32_t seed) {
    array a = rnd_real({53, 47}, seed), b = rnd_real({47, 59}, seed + 1);
    array c = matmul(a, b, g);
    c.eval();
    return c;
  };
  const gpu::MatmulStats s0 = gpu::matmul_stats();
  array c1 = run(850);
  const gpu::MatmulStats s1 = gpu::matmul_stats();
  EXPECT_EQ(s1.plan_misses + s1.plan_hits, s0.plan_misses + s0.plan_hits + 1);
  EXPECT_GE(s1.plans, 1u);
  array c2 = run(852);
  array c3 = run(854);
  const gpu::MatmulStats s2 = gpu::matmul_stats();
  EXPECT_EQ(s2.plan_misses, s1.plan_misses);
  EXPECT_EQ(s2.plan_hits, s1.plan_hits + 2);
  EXPECT_MATCHES_CPU([&](Device d) {
    return matmul(rnd_real({53, 47}, 854), rnd_real({47, 59}, 855), d);
  });
  // cuBLASLt has algorithms for the tensor-core dtypes (no cuBLAS fallback), also with the
  // float32-only split-K reductions asked for 16-bit products (a long K).
  for (Dtype t : {bfloat16, float16, float32}) {
    SCOPED_TRACE(dtype_name(t));
    const uint64_t f0 = gpu::matmul_stats().cublas_fallbacks;
    matmul(astype(rnd_real({128, 256}, 860), t), astype(rnd_real({256, 192}, 861), t), g).eval();
    matmul(astype(rnd_real({64, 8192}, 862), t), astype(rnd_real({8192, 64}, 863), t), g).eval();
    EXPECT_EQ(gpu::matmul_stats().cublas_fallbacks, f0);
  }
  for (Dtype t : {float64, complex64}) {  // reported only: cuBLAS is a legitimate answer here
    const uint64_t f0 = gpu::matmul_stats().cublas_fallbacks;
    matmul(astype(rnd_real({128, 256}, 864), t), astype(rnd_real({256, 192}, 865), t), g).eval();
    std::cout << "[ INFO ] " << dtype_name(t) << " matmul through "
              << (gpu::matmul_stats().cublas_fallbacks == f0 ? "cuBLASLt" : "the cuBLAS fallback")
              << std::endl;
  }
  // A bfloat16 vector times a transposed matrix runs the GEMV kernel (unless turned off).
  const char* off = std::getenv("TANDEM_CUDA_GEMV");
  if (!(off && std::string(off) == "0")) {
    const uint64_t g0 = gpu::matmul_stats().gemv_kernels;
    array y = matmul(astype(rnd_real({512}, 856), bfloat16),
                     transpose(astype(rnd_real({2048, 512}, 857), bfloat16)), g);
    y.eval();
    EXPECT_EQ(gpu::matmul_stats().gemv_kernels, g0 + 1);
  }
}

TEST(GpuParity, RandomBitsAndArange) {
  // The same Threefry bits on every device, for each element width, with a strided key.
  array k = random::key(1234);
  array keys = random::split(k).second;
  for (int w : {1, 2, 4}) {
    SCOPED_TRACE("width " + std::to_string(w));
    EXPECT_MATCHES_CPU([&](Device d) { return random::bits({1001, 3}, w, k, d); });
    EXPECT_MATCHES_CPU([&](Device d) { return random::bits({7}, w, keys, d); });
  }
  EXPECT_MATCHES_CPU([&](Device d) { return random::uniform({999}, float32, k, d); });
  EXPECT_MATCHES_CPU([&](Device d) { return random::normal({999}, float32, 0.0f, 1.0f, k, d); }, 4);
  // arange: computed in double and converted like astype (8-bit overflow wraps).
  EXPECT_MATCHES_CPU([&](Device d) { return arange(250.0, 262.0, 1.0, uint8, d); });
  EXPECT_MATCHES_CPU([&](Device d) { return arange(120.0, 140.0, 3.0, int8, d); });
  EXPECT_MATCHES_CPU([&](Device d) { return arange(0.0, 1.0, 0.01, float16, d); });
  EXPECT_MATCHES_CPU([&](Device d) { return arange(5.0, -5.0, -0.5, float64, d); });
}

// =====================================================================================
// gather_mm / block_masked_mm
// =====================================================================================
// Operands are multiples of 1/8 in [-2, 2] and masks multiples of 1/2, so every product and sum
// is exact in float32 (and the 16-bit results are the same rounding of the same value): the GPU
// must agree with the CPU whatever order cuBLAS sums in.

TEST(GpuParity, GatherMMRepeatedIndices) {
  array a = rnd_real({8, 16, 32}, 700);
  array b = rnd_real({6, 32, 24}, 701);
  // Repeated, negative (wrapping once) and out-of-range (clamped) indices, broadcast together.
  array lhs = make({0, 0, 3, -1, 7, 7, 9, -9}, {2, 4}, int32);
  array rhs = make({5, 5, 0, -2}, {4}, int32);
  for (Dtype t : tandem_test::float_dtypes()) {
    SCOPED_TRACE(dtype_name(t));
    array at = astype(a, t), bt = astype(b, t);
    EXPECT_MATCHES_CPU([&](Device d) { return gather_mm(at, bt, lhs, rhs, false, d); });
    // One side gathered, the other every batch in order.
    EXPECT_MATCHES_CPU([&](Device d) {
      return gather_mm(at, astype(rnd_real({8, 32, 24}, 702), t), std::nullopt,
                       make({7, 7, 7, 2, 2, 0, 1, 1}, {8}, uint8), true, d);
    });
  }
  // Transposed / strided / broadcast operands, two batch dims.
  array bt = swapaxes(rnd_real({6, 24, 32}, 703), -1, -2);
  array as = slice(rnd_real({8, 16, 64}, 704), {0, 0, 0}, {8, 16, 64}, {1, 1, 2});
  array a4 = rnd_real({2, 4, 16, 32}, 705);
  array ab = broadcast_to(rnd_real({1, 16, 32}, 706), {5, 16, 32});
  EXPECT_MATCHES_CPU([&](Device d) { return gather_mm(a, bt, lhs, rhs, false, d); });
  EXPECT_MATCHES_CPU([&](Device d) { return gather_mm(as, b, lhs, rhs, false, d); });
  EXPECT_MATCHES_CPU([&](Device d) { return gather_mm(a4, b, lhs, rhs, false, d); });
  EXPECT_MATCHES_CPU([&](Device d) { return gather_mm(ab, b, lhs, rhs, false, d); });
  EXPECT_MATCHES_CPU([&](Device d) {
    return gather_mm(swapaxes(rnd_real({8, 32, 16}, 709), -1, -2), b, lhs, rhs, false, d);
  });
  // Decode shape: one token row per pair, tokens sorted by expert; 1-d operands.
  array x = rnd_real({40, 1, 32}, 707);
  std::vector<double> experts(40);
  for (int i = 0; i < 40; ++i)
    experts[i] = (i * 6) / 40;
  EXPECT_MATCHES_CPU(
      [&](Device d) { return gather_mm(x, b, std::nullopt, make(experts, {40}, int32), true, d); });
  EXPECT_MATCHES_CPU([&](Device d) {
    return gather_mm(rnd_real({32}, 708), b, std::nullopt, make({1, 1, 4}, {3}, int32), false, d);
  });
  // Empty index arrays and an empty inner dimension.
  EXPECT_MATCHES_CPU(
      [&](Device d) { return gather_mm(a, b, zeros({0}, int32), zeros({0}, int32), false, d); });
  EXPECT_MATCHES_CPU([&](Device d) {
    return gather_mm(zeros({2, 3, 0}), zeros({2, 0, 4}), make({1, 0}, {2}, int32),
                     make({0, 0}, {2}, int32), false, d);
  });
}

TEST(GpuParity, BlockMaskedMM) {
  const int M = 70, K = 100, N = 65;
  array a = rnd_real({2, M, K}, 720);
  array b = rnd_real({K, N}, 721);  // broadcast over the batch
  for (int bs : {32, 64}) {
    const int tm = (M + bs - 1) / bs, tk = (K + bs - 1) / bs, tn = (N + bs - 1) / bs;
    array mo = make(rnd_ints(2 * tm * tn, 0, 1, bs + 1), {2, tm, tn}, bool_);
    array ml = make(rnd_ints(2 * tm * tk, 0, 1, bs + 2), {2, tm, tk}, bool_);
    array mr = make(rnd_ints(tk * tn, 0, 1, bs + 3), {tk, tn}, bool_);
    auto halves = [&](const Shape& sh, uint32_t seed) {
      size_t n = 1;
      for (auto e : sh)
        n *= e;
      auto v = rnd_ints(n, -2, 4, seed);
      for (auto& e : v)
        e /= 2;
      return make(v, sh, float32);
    };
    array fo = halves({2, tm, tn}, bs + 4), fl = halves({2, tm, tk}, bs + 5),
          fr = halves({tk, tn}, bs + 6);
    for (Dtype t : tandem_test::float_dtypes()) {
      SCOPED_TRACE("block " + std::to_string(bs) + " " + dtype_name(t));
      array at = astype(a, t), bt = astype(b, t);
      EXPECT_MATCHES_CPU([&](Device d) { return block_masked_mm(at, bt, bs, mo, ml, mr, d); });
      EXPECT_MATCHES_CPU(
          [&](Device d) { return block_masked_mm(at, bt, bs, mo, std::nullopt, std::nullopt, d); });
      EXPECT_MATCHES_CPU(
          [&](Device d) { return block_masked_mm(at, bt, bs, std::nullopt, ml, std::nullopt, d); });
      EXPECT_MATCHES_CPU([&](Device d) {
        return block_masked_mm(at, bt, bs, astype(fo, t), astype(fl, t), astype(fr, t), d);
      });
      EXPECT_MATCHES_CPU([&](Device d) {
        return block_masked_mm(at, bt, bs, astype(fo, t), std::nullopt, std::nullopt, d);
      });
      EXPECT_MATCHES_CPU([&](Device d) {
        return block_masked_mm(at, bt, bs, std::nullopt, std::nullopt, std::nullopt, d);
      });
    }
    // Transposed operands.
    array atr = swapaxes(rnd_real({2, K, M}, 722), -1, -2), btr = transpose(rnd_real({N, K}, 723));
    EXPECT_MATCHES_CPU([&](Device d) { return block_masked_mm(atr, btr, bs, mo, ml, mr, d); });
    // NaN inside blocks: a block of `a` whose lhs mask is set but whose rhs partner is masked
    // out contributes nothing to that output block (the CPU skips the pair); where the pair is
    // kept the NaN propagates on both devices.
    array an = slice_update(a, full({1, 5, 7}, NAN, float32), {0, 2, 3}, {1, 7, 10});
    EXPECT_MATCHES_CPU([&](Device d) { return block_masked_mm(an, b, bs, mo, ml, mr, d); });
    EXPECT_MATCHES_CPU(
        [&](Device d) { return block_masked_mm(an, b, bs, mo, std::nullopt, std::nullopt, d); });
  }
  // 1-d operands, an empty inner dimension.
  EXPECT_MATCHES_CPU([&](Device d) {
    return block_masked_mm(rnd_real({100}, 724), b, 32, make({1, 0, 1}, {3}, bool_),
                           make({1, 1, 0, 1}, {4}, bool_), std::nullopt, d);
  });
  EXPECT_MATCHES_CPU([&](Device d) {
    return block_masked_mm(zeros({3, 0}), zeros({0, 2}), 32, make({1}, {1, 1}, float32),
                           make({1}, {1, 1}, bool_), std::nullopt, d);
  });
}

// =====================================================================================
// quantize / dequantize / quantized_matmul
// =====================================================================================

namespace {

const std::vector<int> kBits{2, 3, 4, 5, 6, 8};
const std::vector<int> kGroups{32, 64, 128};

// Quantized operands whose dequantized values are exact in every float dtype: random codes (any
// word is a valid packing), scales +-1/8 and biases multiples of 1/8 in [-2, 2] (0 for 8-bit
// codes), per group. With x in multiples of 1/8 every product and sum is exact.
struct QOperands {
  array wq, scales, biases;
};
QOperands q_operands(const Shape& batch, int rows, int cols, int gs, int bits, Dtype t,
                     uint32_t seed) {
  auto with = [&](int r, int c) {
    Shape s = batch;
    s.push_back(r);
    s.push_back(c);
    return s;
  };
  size_t nb = 1;
  for (auto d : batch)
    nb *= d;
  std::mt19937 gen(seed);
  std::vector<double> words(nb * rows * (cols * bits / 32));
  for (auto& w : words)
    w = static_cast<double>(gen());
  const size_t groups = nb * rows * (cols / gs);
  auto sc = rnd_ints(groups, 0, 1, seed + 1);
  for (auto& e : sc)
    e = e ? 0.125 : -0.125;
  auto bi = rnd_ints(groups, -16, 16, seed + 2);
  for (auto& e : bi)
    e = bits == 8 ? 0.0 : e / 8;
  return {make(words, with(rows, cols * bits / 32), uint32), make(sc, with(rows, cols / gs), t),
          make(bi, with(rows, cols / gs), t)};
}

}  // namespace

TEST(GpuParity, QuantizeDequantizeEveryBitWidth) {
  for (int bits : kBits) {
    for (int gs : kGroups) {
      for (Dtype t : {float32, float16, bfloat16}) {
        SCOPED_TRACE("bits " + std::to_string(bits) + " group " + std::to_string(gs) + " " +
                     dtype_name(t));
        auto v = rnd_reals(6 * 256, -3, 2, bits * 100 + gs);
        v[7] = kNaN;                          // skipped by min/max, code 0
        for (int i = 256; i < 256 + gs; ++i)  // a constant group
          v[i] = 0.75;
        for (int i = 512; i < 512 + gs; ++i)  // an all-zero group
          v[i] = 0.0;
        array w = make(v, {6, 256}, t);
        // Words, scales and biases bit for bit (tolerance 0).
        for (int o = 0; o < 3; ++o) {
          EXPECT_MATCHES_CPU([&](Device d) { return quantize(w, gs, bits, d)[o]; }, 0.0);
        }
        // Non-contiguous input with batch dims.
        array wt = transpose(make(rnd_reals(2 * 3 * 256, -1, 1, bits + gs), {256, 3, 2}, t));
        EXPECT_MATCHES_CPU([&](Device d) { return quantize(wt, gs, bits, d)[0]; }, 0.0);
        // The round trip: dequantize of the CPU's quantization, bit for bit.
        auto q = quantize(w, gs, bits, Device(Device::cpu));
        EXPECT_MATCHES_CPU([&](Device d) { return dequantize(q[0], q[1], q[2], gs, bits, d); },
                           0.0);
        EXPECT_MATCHES_CPU(
            [&](Device d) {
              auto qd = quantize(w, gs, bits, d);
              return dequantize(qd[0], qd[1], qd[2], gs, bits, d);
            },
            0.0);
        // Broadcast scales (a stride-0 view) are read like their copy.
        array sb = broadcast_to(slice(q[1], {0, 0}, {1, 256 / gs}), {6, 256 / gs});
        EXPECT_MATCHES_CPU([&](Device d) { return dequantize(q[0], sb, q[2], gs, bits, d); }, 0.0);
      }
    }
  }
}

TEST(GpuParity, QuantizedMatmulDecodeAndPrefill) {
  const int K = 256, N = 384;
  for (int bits : kBits) {
    for (int gs : kGroups) {
      for (bool tr : {true, false}) {
        // M = 1 and M = 8: the GEMV kernels; M = 9 and 64: dequantized tiles + cuBLAS.
        for (int M : {1, 3, 8, 9, 64}) {
          for (Dtype t : {float32, float16, bfloat16}) {
            if (t != float32 && gs != 64 && M != 1 && M != 64) continue;
            SCOPED_TRACE("bits " + std::to_string(bits) + " group " + std::to_string(gs) +
                         (tr ? " transpose" : " no transpose") + " M " + std::to_string(M) + " " +
                         dtype_name(t));
            auto q = q_operands({}, tr ? N : K, tr ? K : N, gs, bits, t, bits * 7 + gs + M);
            array x = astype(rnd_real({M, K}, M + bits), t);
            EXPECT_MATCHES_CPU([&](Device d) {
              return quantized_matmul(x, q.wq, q.scales, q.biases, tr, gs, bits, d);
            });
          }
        }
      }
    }
  }
  // Batched weights broadcast against x's batch dims, a transposed x, a 1-d x, x with batch dims
  // over a 2-d weight.
  for (bool tr : {true, false}) {
    for (int M : {1, 5, 40}) {
      SCOPED_TRACE(std::string(tr ? "transpose" : "no transpose") + " M " + std::to_string(M));
      auto q = q_operands({3}, tr ? 192 : 128, tr ? 128 : 192, 32, 4, float32, 800 + M);
      array x = rnd_real({2, 1, M, 128}, 801 + M);
      EXPECT_MATCHES_CPU(
          [&](Device d) { return quantized_matmul(x, q.wq, q.scales, q.biases, tr, 32, 4, d); });
      EXPECT_MATCHES_CPU([&](Device d) {
        return quantized_matmul(rnd_real({M, 128}, 802), q.wq, q.scales, q.biases, tr, 32, 4, d);
      });
      auto q2 = q_operands({}, tr ? 192 : 128, tr ? 128 : 192, 64, 3, float32, 803 + M);
      array xt = transpose(rnd_real({128, M}, 804));
      EXPECT_MATCHES_CPU([&](Device d) {
        return quantized_matmul(xt, q2.wq, q2.scales, q2.biases, tr, 64, 3, d);
      });
      EXPECT_MATCHES_CPU([&](Device d) {
        return quantized_matmul(rnd_real({2, M, 128}, 805), q2.wq, q2.scales, q2.biases, tr, 64, 3,
                                d);
      });
    }
    auto q = q_operands({}, 64, 64, 64, 4, float32, 810);
    EXPECT_MATCHES_CPU([&](Device d) {
      return quantized_matmul(rnd_real({64}, 811), q.wq, q.scales, q.biases, tr, 64, 4, d);
    });
    // An x whose rows start off a 16-byte boundary (a view at an odd element offset).
    array xo = slice(rnd_real({3 * 64 + 1}, 812), {1}, {3 * 64 + 1});
    EXPECT_MATCHES_CPU([&](Device d) {
      return quantized_matmul(reshape(xo, {3, 64}), q.wq, q.scales, q.biases, tr, 64, 4, d);
    });
    EXPECT_MATCHES_CPU([&](Device d) {
      return quantized_matmul(zeros({0, 64}), q.wq, q.scales, q.biases, tr, 64, 4, d);
    });
  }
  if (tandem_test::has_gpu()) {
    // A weight of more than one dequantized tile (2^25 values) on the GEMM path.
    for (bool tr : {true, false}) {
      const int rows = tr ? 9000 : 4096, cols = tr ? 4096 : 8960;
      auto q = q_operands({}, rows, cols, 64, 4, bfloat16, 820);
      array x = astype(rnd_real({16, tr ? cols : rows}, 821), bfloat16);
      EXPECT_MATCHES_CPU(
          [&](Device d) { return quantized_matmul(x, q.wq, q.scales, q.biases, tr, 64, 4, d); });
    }
  }
}

// =====================================================================================
// hadamard_transform
// =====================================================================================

// The GPU runs the CPU's butterflies in the CPU's order: results are bit-identical.
TEST(GpuParity, HadamardSizes) {
  std::vector<int> sizes{1,    2,  16, 32, 64, 128, 256,     512,      1024,    2048,
                         4096, 12, 24, 20, 40, 28,  12 * 64, 20 * 128, 28 * 256};
  if (tandem_test::has_gpu()) {
    // Rows beyond one shared-memory tile: the multi-pass path.
    for (int n : {8192, 16384, 1 << 17, 1 << 20, 12 * 1024, 28 * 512, 20 * 4096})
      sizes.push_back(n);
  }
  for (int n : sizes) {
    for (Dtype t : tandem_test::float_dtypes()) {
      SCOPED_TRACE("n " + std::to_string(n) + " " + dtype_name(t));
      const int rows = n <= 64 ? 300 : (n >= (1 << 17) ? 2 : 3);
      array x = make(rnd_reals(static_cast<size_t>(rows) * n, -1, 1, n + 1), {rows, n}, t);
      EXPECT_MATCHES_CPU([&](Device d) { return hadamard_transform(x, std::nullopt, d); }, 0.0);
      if (n <= 4096) {
        EXPECT_MATCHES_CPU([&](Device d) { return hadamard_transform(x, 0.5f, d); }, 0.0);
      }
    }
  }
  // Non-contiguous input; the transposed matrix (the vjp of sizes 20 * 2^k and 28 * 2^k).
  array x = make(rnd_reals(40 * 7, -1, 1, 900), {40, 7}, float32);
  EXPECT_MATCHES_CPU([&](Device d) { return hadamard_transform(transpose(x), std::nullopt, d); },
                     0.0);
  for (int n : {20, 28 * 4, 4096}) {
    array y = make(rnd_reals(3 * n, -1, 1, 901), {3, n}, float32);
    array w = make(rnd_reals(3 * n, -1, 1, 902), {3, n}, float32);
    EXPECT_MATCHES_CPU(
        [&](Device d) {
          return grad([&](const array& v) {
            return sum(multiply(hadamard_transform(v, std::nullopt, d), w, d), d);
          })(y);
        },
        0.0);
  }
}

// =====================================================================================
// Load
// =====================================================================================

TEST(GpuParity, SafetensorsLoadedOnTheDevice) {
  const std::string path =
      ::testing::TempDir() + "tandem_parity_" + std::to_string(::getpid()) + ".safetensors";
  std::unordered_map<std::string, array> m{
      {"w", rnd_real({64, 48}, 950)},
      {"x", astype(rnd_real({48, 5}, 951), bfloat16)},
      {"i", make(rnd_ints(1000, -50, 50, 952), {1000}, int64)}};
  save_safetensors(path, m);
  EXPECT_MATCHES_CPU([&](Device d) {
    auto [t, meta] = load_safetensors(path, d);
    return matmul(t.at("w"), astype(t.at("x"), float32, d), d);
  });
  EXPECT_MATCHES_CPU([&](Device d) {
    auto [t, meta] = load_safetensors(path, d);
    return sum(t.at("i"), d);
  });
  for (auto& [k, a] : m) {
    SCOPED_TRACE(k);
    EXPECT_MATCHES_CPU([&](Device d) { return load_safetensors(path, d).first.at(k); }, 0.0);
  }
  std::remove(path.c_str());
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
