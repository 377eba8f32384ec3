// Copyright © 2026 Tandem authors.
// Forward mode (jvp): every differentiable op against central finite differences in float64 on
// several input layouts; forward-over-reverse (Hessian-vector products), forward-over-forward and
// reverse-over-forward compositions.
#include "transforms_cases.h"

using namespace tandem;
using tandem_test::values;
using tx::Case;
using tx::f64;
using tx::In;

// Test suites (fixtures running on the CPU).
class JvpOps : public tx::CpuTest {};
class JvpHigher : public tx::CpuTest {};
class JvpMachinery : public tx::CpuTest {};

namespace {

void jvp_table(const std::function<std::vector<Case>(In)>& table) {
  for (In l : tx::all_ins()) {
    for (auto& c : table(l)) {
      SCOPED_TRACE(c.name + " [" + tx::in_name(l) + "]");
      EXPECT_TRUE(tx::check_jvp(c.f, c.xs, c.tol, c.h));
    }
  }
}

}  // namespace

TEST_F(JvpOps, Unary) {
  jvp_table(tx::unary_cases);
}
TEST_F(JvpOps, Binary) {
  jvp_table(tx::binary_cases);
}
TEST_F(JvpOps, Reductions) {
  jvp_table(tx::reduction_cases);
}
TEST_F(JvpOps, Matmul) {
  jvp_table(tx::matmul_cases);
}
TEST_F(JvpOps, Shapes) {
  jvp_table(tx::shape_cases);
}
TEST_F(JvpOps, AsType) {
  jvp_table(tx::astype_cases);
}
TEST_F(JvpOps, PiecewiseConstant) {
  jvp_table(tx::zero_grad_cases);
}

TEST_F(JvpOps, AsStrided) {
  // as_strided has a jvp (it is linear); its vjp needs scatter_add (test_grad.cpp).
  auto f = tx::unary([](const array& x) { return as_strided(x, {3, 3}, {2, 1}, 1); });
  for (auto l : tx::all_layouts()) {
    SCOPED_TRACE(tx::layout_name(l));
    array x = tx::with_layout(tx::rand_values(12, -1, 1, 7), {3, 4}, l);
    EXPECT_TRUE(tx::check_jvp(f, {x}));
  }
}

TEST_F(JvpOps, PiecewiseConstantTangentsAreZero) {
  array x = tx::rand64({3, 4}, -3, 3, 11);
  array t = tx::rand64({3, 4}, -1, 1, 12);
  for (auto f : std::vector<std::function<array(const array&)>>{
           [](const array& a) { return floor(a); }, [](const array& a) { return sign(a); },
           [](const array& a) { return stop_gradient(a); },
           [](const array& a) { return round(a, 1); }}) {
    auto [y, ty] = jvp(f, x, t);
    EXPECT_ARRAY_EQ(ty, std::vector<double>(12, 0.0), Shape{3, 4});
    EXPECT_EQ(ty.dtype(), float64);
  }
  // Comparisons and arg-reductions give tangents of their own (non-float) dtype, all zero.
  auto [y, ty] = jvp([](const array& a) { return greater(a, array(0.0, float64)); }, x, t);
  EXPECT_EQ(ty.dtype(), bool_);
  EXPECT_ARRAY_EQ(ty, std::vector<bool>(12, false), Shape{3, 4});
  auto [ya, ta] = jvp([](const array& a) { return argmax(a, 1); }, x, t);
  EXPECT_EQ(ta.shape(), (Shape{3}));
  EXPECT_ARRAY_EQ(astype(ta, int32), std::vector<int32_t>(3, 0), Shape{3});
}

// ------------------------------ compositions ------------------------------

TEST_F(JvpHigher, HessianVectorProduct) {
  // hvp = jvp(grad(f), x, v) against central differences of grad(f) along v.
  auto f = [](const array& x) {
    return sum(multiply(exp(multiply(x, array(0.5, float64))), sin(roll(x, 1)))) +
           logsumexp(x) * mean(square(x));
  };
  auto g = grad(f);
  array x = tx::rand64({6}, -1, 1, 21);
  auto vv = tx::rand_values(6, -1, 1, 22);
  array v = f64(vv, {6});
  auto [gx, hv] = jvp(g, x, v);
  EXPECT_TRUE(tandem_test::arrays_close(gx, g(x)));
  double h = 1e-6;
  auto xv = values(x);
  std::vector<double> xp(6), xm(6);
  for (int i = 0; i < 6; ++i) {
    xp[i] = xv[i] + h * vv[i];
    xm[i] = xv[i] - h * vv[i];
  }
  auto gp = values(g(f64(xp, {6}))), gm = values(g(f64(xm, {6})));
  std::vector<double> num(6);
  for (int i = 0; i < 6; ++i)
    num[i] = (gp[i] - gm[i]) / (2 * h);
  EXPECT_ARRAY_CLOSE(hv, num, Shape{6}, 1e-6, 1e-6);
}

TEST_F(JvpHigher, HessianOfQuadraticByColumns) {
  // f(x) = x^T A x has Hessian A + A^T: jvp(grad(f), x, e_i) is its column i.
  int n = 4;
  auto av = tx::rand_values(n * n, -1, 1, 31);
  array A = f64(av, {n, n});
  auto f = [A](const array& x) { return sum(multiply(x, matmul(A, x))); };
  array x = tx::rand64({n}, -1, 1, 32);
  for (int i = 0; i < n; ++i) {
    std::vector<double> e(n, 0.0);
    e[i] = 1.0;
    auto [gx, col] = jvp(grad(f), x, f64(e, {n}));
    std::vector<double> want(n);
    for (int r = 0; r < n; ++r)
      want[r] = av[r * n + i] + av[i * n + r];
    EXPECT_ARRAY_CLOSE(col, want, Shape{n}, 1e-12, 1e-12);
  }
}

TEST_F(JvpHigher, ForwardOverForward) {
  // d²/dx² tanh = -2 tanh (1 - tanh²), as jvp of jvp with unit tangents (elementwise function).
  auto xv = tx::rand_values(5, -2, 2, 41);
  array x = f64(xv, {5});
  array one = ones({5}, float64);
  auto d1 = [one](const array& a) {
    return jvp([](const array& b) { return tanh(b); }, a, one).second;
  };
  auto [first, second] = jvp(d1, x, one);
  std::vector<double> w1, w2;
  for (double v : xv) {
    double t = std::tanh(v);
    w1.push_back(1 - t * t);
    w2.push_back(-2 * t * (1 - t * t));
  }
  EXPECT_ARRAY_CLOSE(first, w1, Shape{5}, 1e-12, 1e-12);
  EXPECT_ARRAY_CLOSE(second, w2, Shape{5}, 1e-12, 1e-12);
}

TEST_F(JvpHigher, ReverseOverForward) {
  // grad of a jvp: the vjp rules of the jvp rules' outputs, checked against finite differences.
  array v = tx::rand64({3, 4}, -1, 1, 51);
  auto f = [v](const std::vector<array>& x) {
    auto inner = [](const std::vector<array>& a) {
      return std::vector<array>{softmax(multiply(a[0], a[1]), -1)};
    };
    auto [o, t] = jvp(inner, {x[0], x[1]}, {v, v});
    return t[0];
  };
  std::vector<array> xs{tx::rand64({3, 4}, -1, 1, 52), tx::rand64({3, 4}, -1, 1, 53)};
  EXPECT_TRUE(tx::check_grad(f, xs));
  EXPECT_TRUE(tx::check_jvp(f, xs));
}

TEST_F(JvpHigher, ForwardOverReverseThroughReductionsAndShapes) {
  // jvp of grad through max, concatenate, slice, matmul and where: against finite differences of
  // the gradient function.
  array w = tx::rand64({4, 5}, -1, 1, 61);
  auto loss = [w](const std::vector<array>& a) {
    array x = a[0];
    array h = tanh(matmul(concatenate({x, slice(x, {0, 1}, {2, 3})}, 1), transpose(w)));
    array y = where(array({true, false, true, false}, Shape{1, 4}), h, square(h));
    return sum(max(y, 0)) + sum(softmax(y, 1) * y);
  };
  // grad(loss) as a function of x with the gradient as output (one array).
  tx::Fn g = [loss](const std::vector<array>& a) { return grad(loss)(a)[0]; };
  std::vector<double> xv = tx::rand_separated(6, -1, 1, 62, 0.1);
  std::vector<array> xs{f64(xv, {2, 3})};
  EXPECT_TRUE(tx::check_jvp(g, xs, 1e-5));
}

// ------------------------------ machinery ------------------------------

TEST_F(JvpMachinery, SeveralOutputsAndInputs) {
  ArrayFn f = [](const std::vector<array>& x) {
    return std::vector<array>{multiply(x[0], x[1]), sin(x[0]), ones({2}, float64)};
  };
  array a = f64({0.5, -1.0}, {2}), b = f64({2.0, 3.0}, {2});
  array ta = f64({1.0, 2.0}, {2}), tb = f64({-1.0, 0.5}, {2});
  auto [outs, ts] = jvp(f, {a, b}, {ta, tb});
  ASSERT_EQ(outs.size(), 3u);
  ASSERT_EQ(ts.size(), 3u);
  EXPECT_ARRAY_CLOSE(ts[0], {1.0 * 2.0 + 0.5 * -1.0, 2.0 * 3.0 + -1.0 * 0.5}, Shape{2});
  EXPECT_ARRAY_CLOSE(ts[1], {std::cos(0.5), 2.0 * std::cos(-1.0)}, Shape{2});
  // An output that depends on no input has a zero tangent.
  EXPECT_ARRAY_EQ(ts[2], std::vector<double>{0.0, 0.0}, Shape{2}, float64);
}

TEST_F(JvpMachinery, IdentityAndTangentDtype) {
  array x = f64({1.0, 2.0, 3.0}, {3});
  // A float32 tangent for a float64 primal is cast to the primal's dtype.
  auto [y, t] = jvp([](const array& a) { return a; }, x, array({0.5f, 1.5f, -2.0f}));
  EXPECT_ARRAY_EQ(t, std::vector<double>{0.5, 1.5, -2.0}, Shape{3}, float64);
  EXPECT_ARRAY_EQ(y, std::vector<double>{1.0, 2.0, 3.0}, Shape{3}, float64);
}

TEST_F(JvpMachinery, NonContiguousTangents) {
  array x = tx::rand64({3, 4}, -1, 1, 71);
  auto tv = tx::rand_values(12, -1, 1, 72);
  array want = jvp([](const array& a) { return exp(a); }, x, f64(tv, {3, 4})).second;
  for (auto l : tx::all_layouts()) {
    SCOPED_TRACE(tx::layout_name(l));
    array t = tx::with_layout(tv, {3, 4}, l);
    auto [y, ty] = jvp([](const array& a) { return exp(a); }, x, t);
    EXPECT_TRUE(tandem_test::arrays_close(ty, want));
  }
}

TEST_F(JvpMachinery, DeepChain) {
  // A long chain of nodes: tracing and the rules run without recursion.
  array x = f64({0.3, -0.2}, {2});
  auto f = [](const array& a) {
    array y = a;
    for (int i = 0; i < 1000; ++i)
      y = add(multiply(y, array(0.999, float64)), multiply(array(0.001, float64), sin(y)));
    return y;
  };
  auto [y, t] = jvp(f, x, ones({2}, float64));
  auto g = grad([&](const array& a) { return sum(f(a)); })(x);
  // The function is elementwise, so the jvp with a unit tangent equals the gradient.
  EXPECT_TRUE(tandem_test::arrays_close(t, g, 100));
  EXPECT_GT(values(t)[0], 0.0);
}

TEST_F(JvpMachinery, SingleArrayOverload) {
  auto [y, t] = jvp([](const array& a) { return square(a); }, f64({3.0}, {1}), f64({2.0}, {1}));
  EXPECT_ARRAY_CLOSE(t, {12.0}, Shape{1});
  EXPECT_ARRAY_CLOSE(y, {9.0}, Shape{1});
}
