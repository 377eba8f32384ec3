// Copyright © 2026 Tandem authors.
// Helpers for the nn and optimizer tests (test_nn_*.cpp, test_optim*.cpp): seeded float64
// inputs, value comparison, and central finite-difference checks of gradients with respect to a
// module's parameters (through nn::value_and_grad) and with respect to inputs (through grad).
#pragma once

#include <cmath>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "harness.h"

namespace nntest {

using tandem::array;
using tandem::Shape;
namespace nn = tandem::nn;

inline std::vector<double> vals(const array& a) {
  return tandem_test::values(a);
}

inline size_t numel(const Shape& s) {
  size_t n = 1;
  for (auto d : s)
    n *= static_cast<size_t>(d);
  return n;
}

/// A float64 (or `dtype`) array of `shape`, uniform in [lo, hi), from a seeded generator.
inline array rnd(const Shape& shape, uint32_t seed, double lo = -1.0, double hi = 1.0,
                 tandem::Dtype dtype = tandem::float64) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<double> v(numel(shape));
  for (auto& x : v)
    x = dist(gen);
  return array(v, shape, dtype);
}

inline array f64(const std::vector<double>& v, const Shape& shape) {
  return array(v, shape, tandem::float64);
}

/// Every element of `a` within atol + rtol * |want| of `want`.
inline ::testing::AssertionResult close(const array& a, const std::vector<double>& want,
                                        double rtol = 1e-5, double atol = 1e-6) {
  auto got = vals(a);
  if (got.size() != want.size())
    return ::testing::AssertionFailure() << "size " << got.size() << " != expected " << want.size();
  for (size_t i = 0; i < got.size(); ++i) {
    if (!(std::abs(got[i] - want[i]) <= atol + rtol * std::abs(want[i])))
      return ::testing::AssertionFailure()
             << "element " << i << ": got " << got[i] << ", expected " << want[i];
  }
  return ::testing::AssertionSuccess();
}

/// Two arrays with the same values (a template so that braced lists pick the overload above).
template <typename A, std::enable_if_t<std::is_same_v<A, array>, int> = 0>
inline ::testing::AssertionResult close(const array& a, const A& b, double rtol = 1e-5,
                                        double atol = 1e-6) {
  if (a.shape() != b.shape())
    return ::testing::AssertionFailure() << "shape " << tandem::shape_to_string(a.shape())
                                         << " != " << tandem::shape_to_string(b.shape());
  return close(a, vals(b), rtol, atol);
}

inline bool near_rel(double got, double want, double tol) {
  return std::abs(got - want) <= tol * (1.0 + std::abs(want));
}

/// The gradient of sum(w * f()) with respect to every trainable parameter of `model` (from
/// nn::value_and_grad; w is a fixed random cotangent) against central differences, element by
/// element. The model should hold float64 parameters.
inline ::testing::AssertionResult check_param_grads(nn::Module& model,
                                                    const std::function<array()>& f,
                                                    double tol = 1e-6, double h = 1e-6) {
  array y0 = f();
  array w = rnd(y0.shape(), 99);
  auto loss = [&]() {
    return tandem::sum(tandem::multiply(tandem::astype(f(), tandem::float64), w));
  };
  auto vg = nn::value_and_grad(model, [&](const std::vector<array>&) { return loss(); });
  auto [value, grads] = vg({});
  auto flat_g = grads.flatten();
  auto flat_p = model.trainable_parameters().flatten();
  if (flat_g.size() != flat_p.size())
    return ::testing::AssertionFailure()
           << flat_g.size() << " gradients for " << flat_p.size() << " trainable parameters";
  double direct = loss().item<double>();
  if (!near_rel(value.item<double>(), direct, 1e-12))
    return ::testing::AssertionFailure()
           << "value " << value.item<double>() << " != direct " << direct;
  for (size_t k = 0; k < flat_p.size(); ++k) {
    const auto& [key, p] = flat_p[k];
    if (flat_g[k].first != key)
      return ::testing::AssertionFailure() << "gradient key " << flat_g[k].first << " != " << key;
    if (flat_g[k].second.shape() != p.shape())
      return ::testing::AssertionFailure() << "gradient of " << key << " has the wrong shape";
    auto g = vals(flat_g[k].second);
    auto pv = vals(p);
    for (size_t i = 0; i < pv.size(); ++i) {
      auto set = [&](double v) {
        auto q = pv;
        q[i] = v;
        model.update(nn::Params::unflatten({{key, array(q, p.shape(), p.dtype())}}));
      };
      set(pv[i] + h);
      double up = loss().item<double>();
      set(pv[i] - h);
      double down = loss().item<double>();
      set(pv[i]);
      double fd = (up - down) / (2 * h);
      if (!near_rel(g[i], fd, tol))
        return ::testing::AssertionFailure()
               << "d/d " << key << "[" << i << "]: analytic " << g[i] << ", numeric " << fd;
    }
  }
  return ::testing::AssertionSuccess();
}

/// The gradient of sum(w * f(xs)) with respect to every input against central differences.
inline ::testing::AssertionResult check_input_grads(
    const std::function<array(const std::vector<array>&)>& f, const std::vector<array>& xs,
    double tol = 1e-6, double h = 1e-6) {
  array y0 = f(xs);
  array w = rnd(y0.shape(), 77);
  auto loss = [&](const std::vector<array>& a) {
    return tandem::sum(tandem::multiply(tandem::astype(f(a), tandem::float64), w));
  };
  std::vector<int> argnums;
  for (int i = 0; i < static_cast<int>(xs.size()); ++i)
    argnums.push_back(i);
  auto grads = tandem::grad(loss, argnums)(xs);
  for (size_t k = 0; k < xs.size(); ++k) {
    auto g = vals(grads[k]);
    auto xv = vals(xs[k]);
    for (size_t i = 0; i < xv.size(); ++i) {
      auto at = [&](double v) {
        auto q = xv;
        q[i] = v;
        auto args = xs;
        args[k] = array(q, xs[k].shape(), xs[k].dtype());
        return loss(args).item<double>();
      };
      double fd = (at(xv[i] + h) - at(xv[i] - h)) / (2 * h);
      if (!near_rel(g[i], fd, tol))
        return ::testing::AssertionFailure()
               << "d/d input" << k << "[" << i << "]: analytic " << g[i] << ", numeric " << fd;
    }
  }
  return ::testing::AssertionSuccess();
}

/// A temporary file path unique to this process.
inline std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "tandem_nn_" + std::to_string(::getpid()) + "_" + name;
}

}  // namespace nntest
