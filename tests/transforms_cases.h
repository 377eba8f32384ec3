// Copyright © 2026 Tandem authors.
// The differentiable ops of ops.h as test cases (function + float64 inputs inside the op's domain
// and away from kinks), shared by the vjp (test_grad.cpp), jvp (test_jvp.cpp) and vmap
// (test_vmap.cpp) tests. Each table is built for one input memory layout.
#pragma once

#include <string>
#include <vector>

#include "transforms_check.h"

namespace tx {

/// Inputs laid out in memory as a broadcast (values repeat along axis 0) in addition to the
/// layouts of with_layout.
enum class In { Contiguous, Transposed, Strided, Reversed, Broadcast };
inline const char* in_name(In l) {
  static const char* names[] = {"contiguous", "transposed", "strided", "reversed", "broadcast"};
  return names[static_cast<int>(l)];
}
inline const std::vector<In>& all_ins() {
  static const std::vector<In> v{In::Contiguous, In::Transposed, In::Strided, In::Reversed,
                                 In::Broadcast};
  return v;
}

struct Case {
  std::string name;
  Fn f;
  std::vector<array> xs;
  double tol = 1e-6;
  double h = 1e-6;
};

/// An array of `shape` holding `vals` in layout `l`. Broadcast: the first row (along axis 0) of
/// vals broadcast to the shape.
inline array lay(const std::vector<double>& vals, const Shape& shape, In l,
                 Dtype dtype = tandem::float64) {
  if (l == In::Broadcast) {
    if (shape.empty() || shape[0] == 1) return array(vals, shape, dtype);
    Shape row = shape;
    row[0] = 1;
    std::vector<double> first(vals.begin(), vals.begin() + numel(row));
    return tandem::broadcast_to(array(first, row, dtype), shape);
  }
  return with_layout(vals, shape, static_cast<Layout>(static_cast<int>(l)), dtype);
}

/// Random values in [lo, hi) in layout l.
inline array in(const Shape& s, double lo, double hi, uint32_t seed, In l) {
  return lay(rand_values(numel(s), lo, hi, seed), s, l);
}
/// Values with |x| in [lo, hi) and random signs.
inline array signed_in(const Shape& s, double lo, double hi, uint32_t seed, In l) {
  auto v = rand_values(numel(s), lo, hi, seed);
  auto sg = rand_values(numel(s), -1, 1, seed + 99);
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = sg[i] < 0 ? -v[i] : v[i];
  return lay(v, s, l);
}
/// Pairwise separated values away from 0 (no ties); broadcast layouts fall back to contiguous.
inline array sep(const Shape& s, double lo, double hi, uint32_t seed, In l, double gap = 0.02) {
  if (l == In::Broadcast) l = In::Contiguous;
  return lay(rand_separated(numel(s), lo, hi, seed, gap), s, l);
}

// ------------------------------ unary ------------------------------

inline std::vector<Case> unary_cases(In l) {
  using namespace tandem;
  Shape s{3, 4};
  auto U = [&](const char* name, std::function<array(const array&)> f, array x) {
    return Case{name, unary(std::move(f)), {std::move(x)}};
  };
  std::vector<Case> c;
  c.push_back(U(
      "abs", [](auto& x) { return abs(x); }, signed_in(s, 0.1, 2, 1, l)));
  c.push_back(U(
      "negative", [](auto& x) { return negative(x); }, in(s, -2, 2, 2, l)));
  c.push_back(U(
      "operator-", [](auto& x) { return -x; }, in(s, -2, 2, 3, l)));
  c.push_back(U(
      "sqrt", [](auto& x) { return sqrt(x); }, in(s, 0.5, 3, 4, l)));
  c.push_back(U(
      "rsqrt", [](auto& x) { return rsqrt(x); }, in(s, 0.5, 3, 5, l)));
  c.push_back(U(
      "square", [](auto& x) { return square(x); }, in(s, -2, 2, 6, l)));
  c.push_back(U(
      "reciprocal", [](auto& x) { return reciprocal(x); }, signed_in(s, 0.5, 2, 7, l)));
  c.push_back(U(
      "exp", [](auto& x) { return exp(x); }, in(s, -2, 2, 8, l)));
  c.push_back(U(
      "expm1", [](auto& x) { return expm1(x); }, in(s, -2, 2, 9, l)));
  c.push_back(U(
      "log", [](auto& x) { return log(x); }, in(s, 0.5, 3, 10, l)));
  c.push_back(U(
      "log1p", [](auto& x) { return log1p(x); }, in(s, -0.5, 2, 11, l)));
  c.push_back(U(
      "log2", [](auto& x) { return log2(x); }, in(s, 0.5, 3, 12, l)));
  c.push_back(U(
      "log10", [](auto& x) { return log10(x); }, in(s, 0.5, 3, 13, l)));
  c.push_back(U(
      "sin", [](auto& x) { return sin(x); }, in(s, -3, 3, 14, l)));
  c.push_back(U(
      "cos", [](auto& x) { return cos(x); }, in(s, -3, 3, 15, l)));
  c.push_back(U(
      "tan", [](auto& x) { return tan(x); }, in(s, -1.2, 1.2, 16, l)));
  c.push_back(U(
      "arcsin", [](auto& x) { return arcsin(x); }, in(s, -0.9, 0.9, 17, l)));
  c.push_back(U(
      "arccos", [](auto& x) { return arccos(x); }, in(s, -0.9, 0.9, 18, l)));
  c.push_back(U(
      "arctan", [](auto& x) { return arctan(x); }, in(s, -3, 3, 19, l)));
  c.push_back(U(
      "sinh", [](auto& x) { return sinh(x); }, in(s, -2, 2, 20, l)));
  c.push_back(U(
      "cosh", [](auto& x) { return cosh(x); }, in(s, -2, 2, 21, l)));
  c.push_back(U(
      "tanh", [](auto& x) { return tanh(x); }, in(s, -2, 2, 22, l)));
  c.push_back(U(
      "arcsinh", [](auto& x) { return arcsinh(x); }, in(s, -3, 3, 23, l)));
  c.push_back(U(
      "arccosh", [](auto& x) { return arccosh(x); }, in(s, 1.2, 3, 24, l)));
  c.push_back(U(
      "arctanh", [](auto& x) { return arctanh(x); }, in(s, -0.9, 0.9, 25, l)));
  c.push_back(U(
      "sigmoid", [](auto& x) { return sigmoid(x); }, in(s, -4, 4, 26, l)));
  c.push_back(U(
      "erf", [](auto& x) { return erf(x); }, in(s, -2, 2, 27, l)));
  c.push_back(U(
      "erfinv", [](auto& x) { return erfinv(x); }, in(s, -0.9, 0.9, 28, l)));
  c.push_back(U(
      "degrees", [](auto& x) { return degrees(x); }, in(s, -3, 3, 29, l)));
  c.push_back(U(
      "radians", [](auto& x) { return radians(x); }, in(s, -3, 3, 30, l)));
  // A composition, so rules meet each other's outputs.
  c.push_back(U(
      "composite", [](auto& x) { return multiply(tanh(x), exp(sin(x))); }, in(s, -2, 2, 31, l)));
  return c;
}

// ------------------------------ binary ------------------------------

/// Shapes of (a, b): equal, both broadcast, a lower-rank, a 0-d.
inline std::vector<std::pair<Shape, Shape>> binary_shapes() {
  return {{{3, 4}, {3, 4}}, {{3, 1}, {1, 4}}, {{4}, {3, 4}}, {{}, {3, 4}}};
}

inline std::vector<Case> binary_cases(In l) {
  using namespace tandem;
  std::vector<Case> c;
  uint32_t seed = 100;
  for (auto& [sa, sb] : binary_shapes()) {
    std::string tag = " " + shape_to_string(sa) + "," + shape_to_string(sb);
    auto B = [&](const std::string& name, std::function<array(const array&, const array&)> f,
                 array a, array b) {
      c.push_back(Case{name + tag,
                       [f](const std::vector<array>& x) { return f(x[0], x[1]); },
                       {std::move(a), std::move(b)}});
    };
    ++seed;
    B(
        "add", [](auto& a, auto& b) { return add(a, b); }, in(sa, -2, 2, seed, l),
        in(sb, -2, 2, seed + 1, l));
    B(
        "subtract", [](auto& a, auto& b) { return subtract(a, b); }, in(sa, -2, 2, seed + 2, l),
        in(sb, -2, 2, seed + 3, l));
    B(
        "multiply", [](auto& a, auto& b) { return multiply(a, b); }, in(sa, -2, 2, seed + 4, l),
        in(sb, -2, 2, seed + 5, l));
    B(
        "divide", [](auto& a, auto& b) { return divide(a, b); }, in(sa, -2, 2, seed + 6, l),
        signed_in(sb, 0.5, 2, seed + 7, l));
    B(
        "power", [](auto& a, auto& b) { return power(a, b); }, in(sa, 0.5, 2, seed + 8, l),
        in(sb, -2, 2, seed + 9, l));
    B(
        "arctan2", [](auto& a, auto& b) { return arctan2(a, b); },
        signed_in(sa, 0.2, 2, seed + 10, l), in(sb, -2, 2, seed + 11, l));
    B(
        "logaddexp", [](auto& a, auto& b) { return logaddexp(a, b); }, in(sa, -3, 3, seed + 12, l),
        in(sb, -3, 3, seed + 13, l));
    // maximum / minimum: a and b from one pool of separated values (no ties).
    auto pool = rand_separated(numel(sa) + numel(sb), -2, 2, seed + 14);
    std::vector<double> va(pool.begin(), pool.begin() + numel(sa));
    std::vector<double> vb(pool.begin() + numel(sa), pool.end());
    In ml = l == In::Broadcast ? In::Contiguous : l;
    B(
        "maximum", [](auto& a, auto& b) { return maximum(a, b); }, lay(va, sa, ml),
        lay(vb, sb, ml));
    B(
        "minimum", [](auto& a, auto& b) { return minimum(a, b); }, lay(va, sa, ml),
        lay(vb, sb, ml));
  }
  // remainder: b in ±[0.6, 1.6], a = b * (k + f) with f in [0.2, 0.8], so floor(a / b) is locally
  // constant; b equal-shaped, lower-rank and 0-d.
  In ml = l == In::Broadcast ? In::Contiguous : l;
  for (const Shape& sb : {Shape{3, 4}, Shape{4}, Shape{}}) {
    Shape sa{3, 4};
    auto bv = rand_values(numel(sb), 0.6, 1.6, seed + 15);
    auto sg = rand_values(numel(sb), -1, 1, seed + 16);
    for (size_t i = 0; i < bv.size(); ++i)
      bv[i] = sg[i] < 0 ? -bv[i] : bv[i];
    auto fr = rand_values(12, 0.2, 0.8, seed + 17);
    auto kk = rand_values(12, -2, 3, seed + 18);
    auto bf = values(broadcast_to(array(bv, sb, float64), sa));
    std::vector<double> av(12);
    for (size_t i = 0; i < av.size(); ++i)
      av[i] = bf[i] * (std::floor(kk[i]) + fr[i]);
    c.push_back(Case{"remainder (3,4)," + shape_to_string(sb),
                     [](const std::vector<array>& x) { return remainder(x[0], x[1]); },
                     {lay(av, sa, ml), lay(bv, sb, ml)}});
    seed += 4;
  }
  // where, with a fixed condition; x and y broadcast against it.
  array cond = array({true, false, false, true, true, true, false, false, true, false, true, false},
                     Shape{3, 4});
  auto W = [&](const char* name, array x, array y) {
    c.push_back(Case{name,
                     [cond](const std::vector<array>& v) { return where(cond, v[0], v[1]); },
                     {std::move(x), std::move(y)}});
  };
  W("where (3,4),(3,4)", in({3, 4}, -2, 2, 150, l), in({3, 4}, -2, 2, 151, l));
  W("where (3,1),(4)", in({3, 1}, -2, 2, 152, l), in({4}, -2, 2, 153, l));
  W("where (),(3,4)", in({}, -2, 2, 154, l), in({3, 4}, -2, 2, 155, l));
  // clip with constant and with differentiated bounds; x kept away from the bounds.
  std::vector<double> xv;
  for (double v : rand_values(40, -2, 2, 156)) {
    if (std::abs(std::abs(v) - 1.0) > 0.2 && xv.size() < 12) xv.push_back(v);
  }
  c.push_back(Case{"clip const bounds",
                   [](const std::vector<array>& v) {
                     return clip(v[0], array(-1.0, float64), array(1.0, float64));
                   },
                   {lay(xv, {3, 4}, ml)}});
  c.push_back(Case{
      "clip min only",
      [](const std::vector<array>& v) { return clip(v[0], array(-1.0, float64), std::nullopt); },
      {lay(xv, {3, 4}, ml)}});
  c.push_back(
      Case{"clip array bounds",
           [](const std::vector<array>& v) { return clip(v[0], v[1], v[2]); },
           {lay(xv, {3, 4}, ml), in({4}, -1.1, -0.9, 157, l), in({3, 1}, 0.9, 1.1, 158, l)}});
  return c;
}

// ------------------------------ reductions ------------------------------

inline std::vector<Case> reduction_cases(In l) {
  using namespace tandem;
  Shape s{2, 3, 4};
  std::vector<Case> c;
  auto R = [&](const std::string& name, std::function<array(const array&)> f, array x) {
    c.push_back(Case{name, unary(std::move(f)), {std::move(x)}});
  };
  uint32_t k = 200;
  R(
      "sum all", [](auto& x) { return sum(x); }, in(s, -2, 2, k++, l));
  R(
      "sum 0", [](auto& x) { return sum(x, 0); }, in(s, -2, 2, k++, l));
  R(
      "sum 1 keepdims", [](auto& x) { return sum(x, 1, true); }, in(s, -2, 2, k++, l));
  R(
      "sum {0,2}",
      [](auto& x) {
        return sum(x, {0, 2});
      },
      in(s, -2, 2, k++, l));
  R(
      "sum -1 keepdims", [](auto& x) { return sum(x, -1, true); }, in(s, -2, 2, k++, l));
  R(
      "sum all keepdims", [](auto& x) { return sum(x, true); }, in(s, -2, 2, k++, l));
  R(
      "prod all", [](auto& x) { return prod(x); }, signed_in(s, 0.7, 1.3, k++, l));
  R(
      "prod 1", [](auto& x) { return prod(x, 1); }, signed_in(s, 0.5, 1.5, k++, l));
  R(
      "prod {0,2} keepdims",
      [](auto& x) {
        return prod(x, {0, 2}, true);
      },
      signed_in(s, 0.5, 1.5, k++, l));
  R(
      "mean all", [](auto& x) { return mean(x); }, in(s, -2, 2, k++, l));
  R(
      "mean 0", [](auto& x) { return mean(x, 0); }, in(s, -2, 2, k++, l));
  R(
      "mean {1,2} keepdims",
      [](auto& x) {
        return mean(x, {1, 2}, true);
      },
      in(s, -2, 2, k++, l));
  R(
      "max all", [](auto& x) { return max(x); }, sep(s, -2, 2, k++, l));
  R(
      "max 1", [](auto& x) { return max(x, 1); }, sep(s, -2, 2, k++, l));
  R(
      "max {0,2} keepdims",
      [](auto& x) {
        return max(x, {0, 2}, true);
      },
      sep(s, -2, 2, k++, l));
  R(
      "max -1", [](auto& x) { return max(x, -1); }, sep(s, -2, 2, k++, l));
  R(
      "min all", [](auto& x) { return min(x); }, sep(s, -2, 2, k++, l));
  R(
      "min 0 keepdims", [](auto& x) { return min(x, 0, true); }, sep(s, -2, 2, k++, l));
  R(
      "min {1,2}",
      [](auto& x) {
        return min(x, {1, 2});
      },
      sep(s, -2, 2, k++, l));
  R(
      "var all", [](auto& x) { return var(x); }, in(s, -2, 2, k++, l));
  R(
      "var 1", [](auto& x) { return var(x, 1); }, in(s, -2, 2, k++, l));
  R(
      "var -1 ddof1", [](auto& x) { return var(x, -1, false, 1); }, in(s, -2, 2, k++, l));
  R(
      "var {0,2} keepdims",
      [](auto& x) {
        return var(x, {0, 2}, true);
      },
      in(s, -2, 2, k++, l));
  // std is not differentiable where the values are all equal (as along a broadcast axis).
  In nb = l == In::Broadcast ? In::Contiguous : l;
  R(
      "std all", [](auto& x) { return tandem::std(x); }, in(s, -2, 2, k++, nb));
  R(
      "std -1", [](auto& x) { return tandem::std(x, -1); }, in(s, -2, 2, k++, nb));
  R(
      "std 0 ddof1 keepdims", [](auto& x) { return tandem::std(x, 0, true, 1); },
      in(s, -2, 2, k++, nb));
  R(
      "logsumexp all", [](auto& x) { return logsumexp(x); }, in(s, -2, 2, k++, l));
  R(
      "logsumexp 1", [](auto& x) { return logsumexp(x, 1); }, in(s, -2, 2, k++, l));
  R(
      "logsumexp {0,2} keepdims",
      [](auto& x) {
        return logsumexp(x, {0, 2}, true);
      },
      in(s, -2, 2, k++, l));
  R(
      "softmax all", [](auto& x) { return softmax(x); }, in(s, -2, 2, k++, l));
  R(
      "softmax -1", [](auto& x) { return softmax(x, -1); }, in(s, -2, 2, k++, l));
  R(
      "softmax 0", [](auto& x) { return softmax(x, 0); }, in(s, -2, 2, k++, l));
  R(
      "softmax {0,2}",
      [](auto& x) {
        return softmax(x, {0, 2});
      },
      in(s, -2, 2, k++, l));
  return c;
}

// ------------------------------ matrix products ------------------------------

inline std::vector<Case> matmul_cases(In l) {
  using namespace tandem;
  std::vector<Case> c;
  uint32_t k = 300;
  auto M = [&](const Shape& sa, const Shape& sb) {
    c.push_back(Case{"matmul " + shape_to_string(sa) + "@" + shape_to_string(sb),
                     [](const std::vector<array>& x) { return matmul(x[0], x[1]); },
                     {in(sa, -1, 1, k, l), in(sb, -1, 1, k + 1, l)}});
    k += 2;
  };
  M({3, 4}, {4, 5});
  M({2, 3, 4}, {2, 4, 5});
  M({2, 3, 4}, {4, 5});
  M({1, 3, 4}, {2, 4, 5});
  M({2, 1, 3, 4}, {3, 4, 2});
  M({4}, {4, 5});
  M({3, 4}, {4});
  M({4}, {4});
  M({2, 3, 4}, {4});
  M({4}, {2, 4, 3});
  c.push_back(
      Case{"addmm alpha=0.5 beta=2",
           [](const std::vector<array>& x) { return addmm(x[0], x[1], x[2], 0.5f, 2.0f); },
           {in({3, 5}, -1, 1, k, l), in({3, 4}, -1, 1, k + 1, l), in({4, 5}, -1, 1, k + 2, l)}});
  c.push_back(
      Case{"addmm broadcast c",
           [](const std::vector<array>& x) { return addmm(x[0], x[1], x[2]); },
           {in({5}, -1, 1, k + 3, l), in({3, 4}, -1, 1, k + 4, l), in({4, 5}, -1, 1, k + 5, l)}});
  c.push_back(Case{
      "matmul chain",
      [](const std::vector<array>& x) { return matmul(tanh(matmul(x[0], x[1])), transpose(x[1])); },
      {in({3, 4}, -1, 1, k + 6, l), in({4, 5}, -1, 1, k + 7, l)}});
  return c;
}

// ------------------------------ shapes ------------------------------

inline std::vector<Case> shape_cases(In l) {
  using namespace tandem;
  std::vector<Case> c;
  uint32_t k = 400;
  auto S = [&](const std::string& name, std::function<array(const array&)> f, const Shape& s) {
    c.push_back(Case{name, unary(std::move(f)), {in(s, -2, 2, k++, l)}});
  };
  S("reshape (4,6)", [](auto& x) { return reshape(x, {4, 6}); }, {2, 3, 4});
  S("reshape (-1)", [](auto& x) { return reshape(x, {-1}); }, {2, 3, 4});
  S("reshape (3,2,4)", [](auto& x) { return reshape(x, {3, 2, 4}); }, {2, 3, 4});
  S("transpose", [](auto& x) { return transpose(x); }, {2, 3, 4});
  S("transpose (1,2,0)", [](auto& x) { return transpose(x, {1, 2, 0}); }, {2, 3, 4});
  S("swapaxes 0 2", [](auto& x) { return swapaxes(x, 0, 2); }, {2, 3, 4});
  S("moveaxis 0 -1", [](auto& x) { return moveaxis(x, 0, -1); }, {2, 3, 4});
  S("broadcast_to (3,1)->(2,3,4)", [](auto& x) { return broadcast_to(x, {2, 3, 4}); }, {3, 1});
  S("broadcast_to (4)->(3,4)", [](auto& x) { return broadcast_to(x, {3, 4}); }, {4});
  S("broadcast_to ()->(2,3)", [](auto& x) { return broadcast_to(x, {2, 3}); }, {});
  S("slice step 2", [](auto& x) { return slice(x, {1, 0}, {5, 5}, {2, 1}); }, {6, 5});
  S("slice negative strides",
    [](auto& x) {
      return slice(x, {-1, -2}, {-7, -6}, {-2, -1});
    },
    {6, 5});
  S("slice step 3 last axis", [](auto& x) { return slice(x, {0, 1}, {6, 5}, {1, 3}); }, {6, 5});
  S("slice negative start stop", [](auto& x) { return slice(x, {-4, 1}, {-1, -1}); }, {6, 5});
  S("slice reversed to start", [](auto& x) { return slice(x, {4, 0}, {-7, 5}, {-3, 2}); }, {6, 5});
  S("split 3 axis 1",
    [](auto& x) {
      auto p = split(x, 3, 1);
      return concatenate({multiply(p[2], array(3.0, float64)), p[0], square(p[1])}, 1);
    },
    {2, 6});
  S("split indices axis 0",
    [](auto& x) {
      auto p = split(x, Shape{1, 3}, 0);
      return concatenate({p[1], exp(p[0]), p[2]}, 0);
    },
    {4, 3});
  S("pad constant", [](auto& x) { return pad(x, {{1, 2}, {0, 1}}, array(0.5, float64)); }, {2, 3});
  S("pad edge", [](auto& x) { return pad(x, {{2, 1}, {1, 1}}, array(0), "edge"); }, {2, 3});
  S("pad edge axis", [](auto& x) { return pad(x, {1}, {0}, {2}, array(0), "edge"); }, {2, 3});
  S("tile", [](auto& x) { return tile(x, {2, 1, 2}); }, {2, 3});
  S("repeat axis 1", [](auto& x) { return repeat(x, 2, 1); }, {2, 3});
  S("repeat flat", [](auto& x) { return repeat(x, 3); }, {2, 3});
  S("roll axis 1", [](auto& x) { return roll(x, 2, 1); }, {3, 4});
  S("roll flat", [](auto& x) { return roll(x, -1); }, {3, 4});
  S("roll axes", [](auto& x) { return roll(x, Shape{1, -3}, std::vector<int>{0, 1}); }, {3, 4});
  S("flip 0", [](auto& x) { return flip(x, 0); }, {3, 4});
  S("flip all", [](auto& x) { return flip(x); }, {2, 3, 4});
  S("diagonal 1", [](auto& x) { return diagonal(x, 1); }, {3, 4});
  S("diagonal -1", [](auto& x) { return diagonal(x, -1); }, {4, 3});
  S("diagonal -1 axes 2,1", [](auto& x) { return diagonal(x, -1, 2, 1); }, {2, 3, 4});
  S("diagonal 0 axes 0,2", [](auto& x) { return diagonal(x, 0, 0, 2); }, {3, 2, 4});
  S("diag 1-d k=1", [](auto& x) { return diag(x, 1); }, {3});
  S("diag 1-d k=-2", [](auto& x) { return diag(x, -2); }, {3});
  S("diag 2-d", [](auto& x) { return diag(x); }, {3, 4});
  S("diag 2-d k=-2", [](auto& x) { return diag(x, -2); }, {4, 3});
  S("trace", [](auto& x) { return trace(x); }, {3, 4});
  S("trace offset axes", [](auto& x) { return trace(x, 1, 1, 2); }, {2, 3, 4});
  S("squeeze", [](auto& x) { return squeeze(x); }, {3, 1, 4});
  S("squeeze axis", [](auto& x) { return squeeze(x, 1); }, {3, 1, 4});
  S("expand_dims", [](auto& x) { return expand_dims(x, {0, 2}); }, {3, 4});
  S("flatten", [](auto& x) { return flatten(x); }, {2, 3, 4});
  S("flatten 1 2", [](auto& x) { return flatten(x, 1, 2); }, {2, 3, 4});
  S("unflatten", [](auto& x) { return unflatten(x, 1, {3, -1}); }, {2, 12});
  S("atleast_3d", [](auto& x) { return atleast_3d(x); }, {3, 4});
  S("copy", [](auto& x) { return copy(x); }, {3, 4});
  S("contiguous", [](auto& x) { return contiguous(x); }, {3, 4});
  // Joining several differentiated inputs.
  c.push_back(
      Case{"concatenate axis 1",
           [](const std::vector<array>& x) {
             return concatenate({x[0], x[1], x[2]}, 1);
           },
           {in({2, 3}, -2, 2, k, l), in({2, 1}, -2, 2, k + 1, l), in({2, 2}, -2, 2, k + 2, l)}});
  c.push_back(Case{"concatenate flat",
                   [](const std::vector<array>& x) {
                     return concatenate({x[0], x[1]});
                   },
                   {in({2, 3}, -2, 2, k + 3, l), in({4}, -2, 2, k + 4, l)}});
  c.push_back(Case{"stack axis 1",
                   [](const std::vector<array>& x) {
                     return stack({x[0], x[1], x[0]}, 1);
                   },
                   {in({2, 3}, -2, 2, k + 5, l), in({2, 3}, -2, 2, k + 6, l)}});
  c.push_back(Case{"stack axis -1",
                   [](const std::vector<array>& x) {
                     return stack({x[1], x[0]}, -1);
                   },
                   {in({3}, -2, 2, k + 7, l), in({3}, -2, 2, k + 8, l)}});
  return c;
}

/// Conversions between float32 and float64 (finite differences through float32 need a larger
/// step and tolerance).
inline std::vector<Case> astype_cases(In l) {
  using namespace tandem;
  std::vector<Case> c;
  c.push_back(Case{"astype f64->f32",
                   unary([](auto& x) { return astype(square(x), float32); }),
                   {in({3, 4}, -2, 2, 500, l)},
                   1e-3,
                   1e-3});
  c.push_back(Case{"astype f32->f64",
                   unary([](auto& x) { return multiply(astype(x, float64), array(3.0, float64)); }),
                   {lay(rand_values(12, -2, 2, 501), {3, 4}, l, float32)},
                   1e-3,
                   1e-3});
  c.push_back(Case{"astype f64->f32->f64",
                   unary([](auto& x) { return sin(astype(astype(x, float32), float64)); }),
                   {in({3, 4}, -2, 2, 502, l)},
                   1e-3,
                   1e-3});
  return c;
}

/// Piecewise-constant and index-valued ops: the derivative is zero (inputs away from the jumps).
inline std::vector<Case> zero_grad_cases(In l) {
  using namespace tandem;
  std::vector<Case> c;
  auto offset_from_int = [&](uint32_t seed, double off) {
    auto v = rand_values(12, -4, 4, seed);
    auto f = rand_values(12, -0.3, 0.3, seed + 1);
    for (size_t i = 0; i < v.size(); ++i)
      v[i] = std::round(v[i]) + off + f[i];
    return lay(v, {3, 4}, l);
  };
  auto Z = [&](const char* name, std::function<array(const array&)> f, array x) {
    c.push_back(Case{name, unary(std::move(f)), {std::move(x)}});
  };
  Z(
      "floor", [](auto& x) { return floor(x); }, offset_from_int(600, 0.5));
  Z(
      "ceil", [](auto& x) { return ceil(x); }, offset_from_int(602, 0.5));
  Z(
      "round", [](auto& x) { return round(x); }, offset_from_int(604, 0.0));
  Z(
      "trunc", [](auto& x) { return trunc(x); }, offset_from_int(606, 0.5));
  Z(
      "sign", [](auto& x) { return sign(x); }, signed_in({3, 4}, 0.1, 2, 608, l));
  Z(
      "argmax", [](auto& x) { return astype(argmax(x, 1), float64); }, sep({3, 4}, -2, 2, 610, l));
  Z(
      "argmin flat", [](auto& x) { return astype(argmin(x), float64); },
      sep({3, 4}, -2, 2, 611, l));
  Z(
      "isnan", [](auto& x) { return astype(isnan(x), float64); }, in({3, 4}, -2, 2, 612, l));
  auto pool = rand_separated(24, -2, 2, 613);
  In ml = l == In::Broadcast ? In::Contiguous : l;
  array a = lay(std::vector<double>(pool.begin(), pool.begin() + 12), {3, 4}, ml);
  array b = lay(std::vector<double>(pool.begin() + 12, pool.end()), {3, 4}, ml);
  auto C = [&](const char* name, std::function<array(const array&, const array&)> f) {
    c.push_back(Case{
        name, [f](const std::vector<array>& x) { return astype(f(x[0], x[1]), float64); }, {a, b}});
  };
  C("greater", [](auto& x, auto& y) { return greater(x, y); });
  C("less_equal", [](auto& x, auto& y) { return less_equal(x, y); });
  C("equal", [](auto& x, auto& y) { return equal(x, y); });
  C("not_equal", [](auto& x, auto& y) { return not_equal(x, y); });
  C("floor_divide", [](auto& x, auto& y) { return floor_divide(x, y); });
  C("where of a comparison", [](auto& x, auto& y) { return where(x > y, x, y * 2.0); });
  return c;
}

}  // namespace tx
