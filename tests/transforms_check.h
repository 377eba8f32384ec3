// Copyright © 2026 Tandem authors.
// Helpers for the transformation tests (test_grad.cpp, test_jvp.cpp, test_vmap.cpp,
// test_transforms_misc.cpp): seeded random float64 inputs in several memory layouts, a central
// finite-difference checker for vjp/grad and jvp, and a loop-over-the-batch checker for vmap.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "harness.h"

namespace tx {

using tandem::array;
using tandem::ArrayFn;
using tandem::Dtype;
using tandem::Shape;
using tandem_test::values;

/// Fixture base of the transformation tests: they check float64 derivatives, on the CPU by
/// default, so the default device is the CPU for the duration of each test (restored afterwards).
/// With TANDEM_TEST_TRANSFORMS_DEVICE=gpu (scripts/gpu-check sets it for one run) they run on the
/// GPU instead, unchanged: the same graphs and checks, the device being the only difference.
class CpuTest : public ::testing::Test {
 protected:
  void SetUp() override {
    saved_ = tandem::default_device();
    tandem::Device d(tandem::Device::cpu);
    const char* env = std::getenv("TANDEM_TEST_TRANSFORMS_DEVICE");
    if (env && std::string(env) == "gpu") {
      d = tandem::Device(tandem::Device::gpu);
      if (!tandem::is_available(d)) GTEST_SKIP() << "TANDEM_TEST_TRANSFORMS_DEVICE=gpu: no GPU";
    }
    tandem::set_default_device(d);
  }
  void TearDown() override { tandem::set_default_device(saved_); }

 private:
  tandem::Device saved_{tandem::Device::cpu};
};

/// f: several arrays -> one array (the form the finite-difference checkers take).
using Fn = std::function<array(const std::vector<array>&)>;

inline size_t numel(const Shape& s) {
  size_t n = 1;
  for (auto d : s)
    n *= static_cast<size_t>(d);
  return n;
}

/// n values uniform in [lo, hi), from a seeded generator.
inline std::vector<double> rand_values(size_t n, double lo, double hi, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<double> v(n);
  for (auto& x : v)
    x = dist(gen);
  return v;
}

/// n values in [lo, hi) with magnitude at least `gap` (away from 0) and pairwise at least `gap`
/// apart (no ties, so max/min/abs/sign are differentiable there).
inline std::vector<double> rand_separated(size_t n, double lo, double hi, uint32_t seed,
                                          double gap = 0.05) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<double> v;
  while (v.size() < n) {
    double x = dist(gen);
    bool ok = std::abs(x) >= gap;
    for (double y : v)
      ok = ok && std::abs(x - y) >= gap;
    if (ok) v.push_back(x);
  }
  return v;
}

inline array f64(const std::vector<double>& v, Shape s) {
  return array(v, std::move(s), tandem::float64);
}

/// A float64 array of `shape` with values uniform in [lo, hi).
inline array rand64(const Shape& shape, double lo, double hi, uint32_t seed) {
  return f64(rand_values(numel(shape), lo, hi, seed), shape);
}

/// Row-major index <-> multi-index.
inline std::vector<int> unravel(size_t flat, const Shape& s) {
  std::vector<int> idx(s.size());
  for (int d = static_cast<int>(s.size()) - 1; d >= 0; --d) {
    idx[d] = static_cast<int>(flat % s[d]);
    flat /= s[d];
  }
  return idx;
}
inline size_t ravel(const std::vector<int>& idx, const Shape& s) {
  size_t flat = 0;
  for (size_t d = 0; d < s.size(); ++d)
    flat = flat * s[d] + idx[d];
  return flat;
}

enum class Layout { Contiguous, Transposed, Strided, Reversed };
inline const char* layout_name(Layout l) {
  switch (l) {
    case Layout::Contiguous:
      return "contiguous";
    case Layout::Transposed:
      return "transposed";
    case Layout::Strided:
      return "strided";
    case Layout::Reversed:
      return "reversed";
  }
  return "?";
}
inline const std::vector<Layout>& all_layouts() {
  static const std::vector<Layout> v{Layout::Contiguous, Layout::Transposed, Layout::Strided,
                                     Layout::Reversed};
  return v;
}

/// An array of `shape` holding `vals` (row-major) in the given memory layout: a transposed view
/// (all axes reversed), a step-2 slice of the last axis, or a negative-stride slice of axis 0.
inline array with_layout(const std::vector<double>& vals, const Shape& shape, Layout layout,
                         Dtype dtype = tandem::float64) {
  int nd = static_cast<int>(shape.size());
  if (nd == 0 || layout == Layout::Contiguous) return array(vals, shape, dtype);
  switch (layout) {
    case Layout::Transposed: {
      Shape rs(shape.rbegin(), shape.rend());
      std::vector<double> store(vals.size());
      for (size_t i = 0; i < vals.size(); ++i) {
        auto idx = unravel(i, shape);
        std::reverse(idx.begin(), idx.end());
        store[ravel(idx, rs)] = vals[i];
      }
      return tandem::transpose(array(store, rs, dtype));
    }
    case Layout::Strided: {
      Shape big = shape;
      big.back() *= 2;
      std::vector<double> store(numel(big), -7.0);
      for (size_t i = 0; i < vals.size(); ++i) {
        auto idx = unravel(i, shape);
        idx.back() *= 2;
        store[ravel(idx, big)] = vals[i];
      }
      Shape start(nd, 0), strides(nd, 1);
      strides.back() = 2;
      return tandem::slice(array(store, big, dtype), start, big, strides);
    }
    case Layout::Reversed: {
      std::vector<double> store(vals.size());
      for (size_t i = 0; i < vals.size(); ++i) {
        auto idx = unravel(i, shape);
        idx[0] = shape[0] - 1 - idx[0];
        store[ravel(idx, shape)] = vals[i];
      }
      Shape start(nd, 0), stop = shape, strides(nd, 1);
      start[0] = -1;
      stop[0] = -shape[0] - 1;
      strides[0] = -1;
      return tandem::slice(array(store, shape, dtype), start, stop, strides);
    }
    default:
      return array(vals, shape, dtype);
  }
}

inline std::string fmt(double v) {
  std::ostringstream os;
  os.precision(12);
  os << v;
  return os.str();
}

inline bool near(double got, double want, double tol) {
  if (std::isnan(got) || std::isnan(want)) return false;
  return std::abs(got - want) <= tol * (1.0 + std::abs(want));
}

/// sum(f(xs) * w) as a double.
inline double weighted_sum(const Fn& f, const std::vector<array>& xs, const array& w) {
  array y = tandem::astype(f(xs), tandem::float64);
  return tandem::sum(tandem::multiply(y, w)).item<double>();
}

inline std::vector<array> perturbed(const std::vector<array>& xs, size_t k,
                                    const std::vector<double>& dir, double h) {
  std::vector<array> out = xs;
  auto v = values(xs[k]);
  for (size_t i = 0; i < v.size(); ++i)
    v[i] += h * dir[i];
  out[k] = array(v, xs[k].shape(), xs[k].dtype());
  return out;
}

/// grad of sum(f(xs) * w) (w fixed, random) with respect to every input, against central
/// differences (g(x + h e_i) - g(x - h e_i)) / 2h for every element i of every input. The
/// gradients must also have the inputs' shapes and dtypes. Checks the vjp with the non-trivial
/// cotangent w, so every entry of the Jacobian counts.
inline ::testing::AssertionResult check_grad(const Fn& f, const std::vector<array>& xs,
                                             double tol = 1e-6, double h = 1e-6,
                                             uint32_t seed = 1234) {
  array y0 = f(xs);
  array w = rand64(y0.shape(), -1.0, 1.0, seed);
  Fn g = [&](const std::vector<array>& a) {
    return tandem::sum(tandem::multiply(tandem::astype(f(a), tandem::float64), w));
  };
  std::vector<int> argnums(xs.size());
  std::iota(argnums.begin(), argnums.end(), 0);
  auto [val, grads] = tandem::value_and_grad(g, argnums)(xs);
  double direct = weighted_sum(f, xs, w);
  if (!near(val.item<double>(), direct, 1e-12)) {
    return ::testing::AssertionFailure()
           << "value_and_grad value " << fmt(val.item<double>()) << " != " << fmt(direct);
  }
  if (grads.size() != xs.size()) {
    return ::testing::AssertionFailure() << grads.size() << " gradients for " << xs.size();
  }
  for (size_t k = 0; k < xs.size(); ++k) {
    if (grads[k].shape() != xs[k].shape() || grads[k].dtype() != xs[k].dtype()) {
      return ::testing::AssertionFailure()
             << "gradient " << k << " has shape " << tandem::shape_to_string(grads[k].shape())
             << " dtype " << grads[k].dtype() << "; input has "
             << tandem::shape_to_string(xs[k].shape()) << " " << xs[k].dtype();
    }
    auto gv = values(grads[k]);
    std::vector<double> e(xs[k].size(), 0.0);
    for (size_t i = 0; i < e.size(); ++i) {
      e[i] = 1.0;
      double fp = weighted_sum(f, perturbed(xs, k, e, h), w);
      double fm = weighted_sum(f, perturbed(xs, k, e, -h), w);
      e[i] = 0.0;
      double num = (fp - fm) / (2 * h);
      if (!near(gv[i], num, tol)) {
        return ::testing::AssertionFailure()
               << "d/dx" << k << "[" << i << "]: grad " << fmt(gv[i]) << " != finite difference "
               << fmt(num) << " (tol " << tol << ")";
      }
    }
  }
  return ::testing::AssertionSuccess();
}

/// jvp with random tangents against (f(x + h t) - f(x - h t)) / 2h, elementwise; the primal
/// output must equal f(xs).
inline ::testing::AssertionResult check_jvp(const Fn& f, const std::vector<array>& xs,
                                            double tol = 1e-6, double h = 1e-6,
                                            uint32_t seed = 4321) {
  std::vector<array> ts;
  std::vector<std::vector<double>> dirs;
  for (size_t k = 0; k < xs.size(); ++k) {
    dirs.push_back(rand_values(xs[k].size(), -1.0, 1.0, seed + static_cast<uint32_t>(k)));
    ts.push_back(array(dirs.back(), xs[k].shape(), xs[k].dtype()));
  }
  ArrayFn fv = [&](const std::vector<array>& a) { return std::vector<array>{f(a)}; };
  auto [outs, touts] = tandem::jvp(fv, xs, ts);
  if (outs.size() != 1 || touts.size() != 1) {
    return ::testing::AssertionFailure() << "jvp returned " << outs.size() << " outputs";
  }
  array ref = f(xs);
  if (touts[0].shape() != ref.shape()) {
    return ::testing::AssertionFailure()
           << "output tangent shape " << tandem::shape_to_string(touts[0].shape())
           << " != output shape " << tandem::shape_to_string(ref.shape());
  }
  auto ov = values(outs[0]), rv = values(ref);
  for (size_t i = 0; i < rv.size(); ++i) {
    if (!near(ov[i], rv[i], 1e-12)) {
      return ::testing::AssertionFailure()
             << "jvp primal output [" << i << "] " << fmt(ov[i]) << " != " << fmt(rv[i]);
    }
  }
  std::vector<array> xp = xs, xm = xs;
  for (size_t k = 0; k < xs.size(); ++k) {
    xp = perturbed(xp, k, dirs[k], h);
    xm = perturbed(xm, k, dirs[k], -h);
  }
  auto fp = values(f(xp)), fm = values(f(xm)), tv = values(touts[0]);
  for (size_t i = 0; i < tv.size(); ++i) {
    double num = (fp[i] - fm[i]) / (2 * h);
    if (!near(tv[i], num, tol)) {
      return ::testing::AssertionFailure()
             << "tangent [" << i << "]: jvp " << fmt(tv[i]) << " != finite difference " << fmt(num);
    }
  }
  return ::testing::AssertionSuccess();
}

/// Element b of x along axis (the axis removed).
inline array batch_element(const array& x, int b, int axis) {
  Shape start(x.ndim(), 0), stop = x.shape();
  start[axis] = b;
  stop[axis] = b + 1;
  return tandem::squeeze(tandem::slice(x, start, stop), axis);
}

/// vmap(f, in_axes, out_axes)(xs) against f applied to each batch element in a loop, the results
/// stacked along out_axes. Floating outputs within rtol = atol = tol; others exactly.
inline ::testing::AssertionResult check_vmap(const ArrayFn& f, const std::vector<array>& xs,
                                             std::vector<int> in_axes,
                                             std::vector<int> out_axes = {}, double tol = 1e-12) {
  if (in_axes.empty()) in_axes.assign(xs.size(), 0);
  auto got = tandem::vmap(f, in_axes, out_axes)(xs);
  int batch = -1;
  for (size_t i = 0; i < xs.size(); ++i) {
    if (in_axes[i] >= 0) {
      batch = xs[i].shape(in_axes[i]);
      break;
    }
  }
  std::vector<std::vector<array>> per_out;
  for (int b = 0; b < batch; ++b) {
    std::vector<array> args;
    for (size_t i = 0; i < xs.size(); ++i) {
      if (in_axes[i] < 0) {
        args.push_back(xs[i]);
      } else {
        int ax = tandem::normalize_axis(in_axes[i], xs[i].ndim(), "test");
        args.push_back(batch_element(xs[i], b, ax));
      }
    }
    auto outs = f(args);
    if (per_out.empty()) per_out.resize(outs.size());
    for (size_t k = 0; k < outs.size(); ++k)
      per_out[k].push_back(outs[k]);
  }
  if (got.size() != per_out.size()) {
    return ::testing::AssertionFailure()
           << "vmap gave " << got.size() << " outputs, the loop " << per_out.size();
  }
  for (size_t k = 0; k < got.size(); ++k) {
    int oa = out_axes.empty() ? 0 : out_axes[k];
    array want = tandem::stack(per_out[k], oa);
    if (got[k].shape() != want.shape()) {
      return ::testing::AssertionFailure()
             << "output " << k << ": vmap shape " << tandem::shape_to_string(got[k].shape())
             << " != loop shape " << tandem::shape_to_string(want.shape());
    }
    if (got[k].dtype() != want.dtype()) {
      return ::testing::AssertionFailure() << "output " << k << ": vmap dtype " << got[k].dtype()
                                           << " != loop dtype " << want.dtype();
    }
    auto r = tandem_test::array_close(got[k], values(want), want.shape(),
                                      tandem::is_inexact(want.dtype()) ? tol : 0.0,
                                      tandem::is_inexact(want.dtype()) ? tol : 0.0);
    if (!r) return ::testing::AssertionFailure() << "output " << k << ": " << r.message();
  }
  return ::testing::AssertionSuccess();
}

/// Unary-function convenience forms.
inline Fn unary(std::function<array(const array&)> f) {
  return [f](const std::vector<array>& x) { return f(x[0]); };
}
inline ArrayFn unary_v(std::function<array(const array&)> f) {
  return [f](const std::vector<array>& x) { return std::vector<array>{f(x[0])}; };
}
inline ArrayFn binary_v(std::function<array(const array&, const array&)> f) {
  return [f](const std::vector<array>& x) { return std::vector<array>{f(x[0], x[1])}; };
}

}  // namespace tx

/// Both derivative checks on one function and inputs.
#define EXPECT_DERIVATIVES(f, xs, ...)                   \
  do {                                                   \
    EXPECT_TRUE(::tx::check_grad(f, xs, ##__VA_ARGS__)); \
    EXPECT_TRUE(::tx::check_jvp(f, xs, ##__VA_ARGS__));  \
  } while (0)
#define EXPECT_VMAP(...) EXPECT_TRUE(::tx::check_vmap(__VA_ARGS__))
