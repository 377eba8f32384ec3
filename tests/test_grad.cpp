// Copyright © 2026 Tandem authors.
// Reverse mode (vjp, grad): every differentiable op against central finite differences in
// float64, on contiguous, transposed, strided, reversed and broadcast inputs; higher derivatives;
// vjp with several outputs and explicit cotangents.
#include "transforms_cases.h"

using namespace tandem;
using tandem_test::values;
using tx::Case;
using tx::f64;
using tx::In;

// Test suites (fixtures running on the CPU).
class GradOps : public tx::CpuTest {};
class GradHigher : public tx::CpuTest {};
class GradVjp : public tx::CpuTest {};
class GradSpecial : public tx::CpuTest {};

namespace {

void grad_table(const std::function<std::vector<Case>(In)>& table) {
  for (In l : tx::all_ins()) {
    for (auto& c : table(l)) {
      SCOPED_TRACE(c.name + " [" + tx::in_name(l) + "]");
      EXPECT_TRUE(tx::check_grad(c.f, c.xs, c.tol, c.h));
    }
  }
}

}  // namespace

TEST_F(GradOps, Unary) {
  grad_table(tx::unary_cases);
}
TEST_F(GradOps, Binary) {
  grad_table(tx::binary_cases);
}
TEST_F(GradOps, Reductions) {
  grad_table(tx::reduction_cases);
}
TEST_F(GradOps, Matmul) {
  grad_table(tx::matmul_cases);
}
TEST_F(GradOps, Shapes) {
  grad_table(tx::shape_cases);
}
TEST_F(GradOps, AsType) {
  grad_table(tx::astype_cases);
}
TEST_F(GradOps, PiecewiseConstant) {
  grad_table(tx::zero_grad_cases);
}

TEST_F(GradOps, AsStridedOverlappingWindows) {
  // Overlapping windows: each source element's gradient counts how often (and with which
  // weight) it is read.
  array x = tx::rand64({3, 4}, -1, 1, 5);
  EXPECT_TRUE(tx::check_grad(tx::unary([](const array& a) {
                               return as_strided(a, {3, 3}, {2, 1}, 1);
                             }),
                             {x}));
  // By hand: a 1-d source of 5, windows of 3 with stride 1 -> counts 1 2 3 2 1.
  array ones5 = tx::f64({1, 1, 1, 1, 1}, {5});
  array g = grad([](const array& a) { return sum(as_strided(a, {3, 3}, {1, 1}, 0)); })(ones5);
  EXPECT_ARRAY_EQ(g, std::vector<double>({1, 2, 3, 2, 1}), Shape({5}));
}

TEST_F(GradOps, ViewBetweenTypes) {
  // Reinterpreting float bits as integers is not differentiable: the vjp says so.
  array x = tx::rand64({2, 3}, -1, 1, 6);
  EXPECT_THROW_MSG(grad([](const array& a) { return sum(view(view(a, int64), float64) * a); })(x),
                   std::invalid_argument, "[view]");
  // A view as the same dtype is the identity.
  EXPECT_TRUE(tx::check_grad(tx::unary([](const array& a) { return view(a, float64); }), {x}));
}

// ------------------------------ higher derivatives ------------------------------

namespace {

// d²f/dx² elementwise for an elementwise f: grad of sum(grad(sum f)).
array second_derivative(const std::function<array(const array&)>& f, const array& x) {
  auto d1 = grad([f](const array& a) { return sum(f(a)); });
  return grad([d1](const array& a) { return sum(d1(a)); })(x);
}

}  // namespace

TEST_F(GradHigher, SecondDerivativeTanh) {
  auto xv = tx::rand_values(8, -2, 2, 11);
  std::vector<double> want;
  for (double v : xv) {
    double t = std::tanh(v);
    want.push_back(-2 * t * (1 - t * t));
  }
  array d2 = second_derivative([](const array& a) { return tanh(a); }, f64(xv, {8}));
  EXPECT_ARRAY_CLOSE(d2, want, Shape{8}, 1e-12, 1e-12);
}

TEST_F(GradHigher, SecondDerivativeExp) {
  auto xv = tx::rand_values(6, -2, 2, 12);
  std::vector<double> want;
  for (double v : xv)
    want.push_back(std::exp(v));
  EXPECT_ARRAY_CLOSE(second_derivative([](const array& a) { return exp(a); }, f64(xv, {2, 3})),
                     want, Shape{2, 3}, 1e-12, 1e-12);
  // exp(2x): 4 exp(2x)
  std::vector<double> want2;
  for (double v : xv)
    want2.push_back(4 * std::exp(2 * v));
  EXPECT_ARRAY_CLOSE(
      second_derivative([](const array& a) { return exp(a * array(2.0, float64)); }, f64(xv, {6})),
      want2, Shape{6}, 1e-12, 1e-12);
}

TEST_F(GradHigher, SecondDerivativesOfPower) {
  auto xv = tx::rand_values(6, 0.5, 2, 13);
  // d²/dx² x^3.5 = 3.5 * 2.5 * x^1.5
  std::vector<double> want;
  for (double v : xv)
    want.push_back(3.5 * 2.5 * std::pow(v, 1.5));
  EXPECT_ARRAY_CLOSE(
      second_derivative([](const array& a) { return power(a, array(3.5, float64)); }, f64(xv, {6})),
      want, Shape{6}, 1e-12, 1e-12);
  // d²/dy² 2^y = (ln 2)² 2^y
  std::vector<double> want_y;
  for (double v : xv)
    want_y.push_back(std::log(2.0) * std::log(2.0) * std::pow(2.0, v));
  EXPECT_ARRAY_CLOSE(
      second_derivative([](const array& a) { return power(array(2.0, float64), a); }, f64(xv, {6})),
      want_y, Shape{6}, 1e-12, 1e-12);
  // Mixed partial of x^y: d/dy (y x^(y-1)) = x^(y-1) (1 + y ln x).
  auto yv = tx::rand_values(6, -1, 2, 14);
  auto dfdx = grad([](const std::vector<array>& a) { return sum(power(a[0], a[1])); }, 0);
  auto mixed = grad([dfdx](const std::vector<array>& a) { return sum(dfdx(a)[0]); }, 1);
  std::vector<double> want_xy;
  for (int i = 0; i < 6; ++i)
    want_xy.push_back(std::pow(xv[i], yv[i] - 1) * (1 + yv[i] * std::log(xv[i])));
  EXPECT_ARRAY_CLOSE(mixed({f64(xv, {6}), f64(yv, {6})})[0], want_xy, Shape{6}, 1e-12, 1e-12);
}

TEST_F(GradHigher, ThirdDerivativeSin) {
  auto xv = tx::rand_values(5, -3, 3, 15);
  auto d1 = grad([](const array& a) { return sum(sin(a)); });
  auto d2 = grad([d1](const array& a) { return sum(d1(a)); });
  auto d3 = grad([d2](const array& a) { return sum(d2(a)); });
  std::vector<double> want;
  for (double v : xv)
    want.push_back(-std::cos(v));
  EXPECT_ARRAY_CLOSE(d3(f64(xv, {5})), want, Shape{5}, 1e-12, 1e-12);
}

TEST_F(GradHigher, GradientOfGradientAgainstFiniteDifferences) {
  // grad(f) as a function, itself checked with the finite-difference checker: exercises the vjp
  // rules of the outputs of the vjp rules (reductions, matmul, shapes, where).
  array w = tx::rand64({4, 3}, -1, 1, 16);
  auto loss = [w](const std::vector<array>& a) {
    array h = tanh(matmul(a[0], w));
    return sum(logsumexp(h, 1)) + sum(var(pad(h, {{0, 0}, {1, 0}}, array(0.3, float64)), 0)) +
           sum(sqrt(square(a[0]) + array(1.0, float64)) * flip(a[0], 1));
  };
  tx::Fn g = [loss](const std::vector<array>& a) { return grad(loss)(a)[0]; };
  EXPECT_TRUE(tx::check_grad(g, {tx::rand64({2, 4}, -1, 1, 17)}, 1e-5));
}

// ------------------------------ vjp machinery ------------------------------

TEST_F(GradVjp, SeveralOutputsWithCotangents) {
  ArrayFn f = [](const std::vector<array>& x) {
    return std::vector<array>{multiply(x[0], x[1]), sin(x[0]), sum(x[1])};
  };
  auto av = tx::rand_values(3, -1, 1, 21), bv = tx::rand_values(3, -1, 1, 22);
  auto c0 = tx::rand_values(3, -1, 1, 23), c1 = tx::rand_values(3, -1, 1, 24);
  double c2 = 0.7;
  auto [outs, cots] =
      vjp(f, {f64(av, {3}), f64(bv, {3})}, {f64(c0, {3}), f64(c1, {3}), array(c2, float64)});
  ASSERT_EQ(outs.size(), 3u);
  ASSERT_EQ(cots.size(), 2u);
  std::vector<double> da, db;
  for (int i = 0; i < 3; ++i) {
    da.push_back(c0[i] * bv[i] + c1[i] * std::cos(av[i]));
    db.push_back(c0[i] * av[i] + c2);
  }
  EXPECT_ARRAY_CLOSE(cots[0], da, Shape{3}, 1e-14, 1e-14);
  EXPECT_ARRAY_CLOSE(cots[1], db, Shape{3}, 1e-14, 1e-14);
  EXPECT_ARRAY_CLOSE(outs[2], {bv[0] + bv[1] + bv[2]}, Shape{}, 1e-14, 1e-14);
}

TEST_F(GradVjp, NonContiguousAndBroadcastCotangents) {
  array x = tx::rand64({3, 4}, -1, 1, 31);
  auto cv = tx::rand_values(12, -1, 1, 32);
  array want = vjp([](const array& a) { return sin(a); }, x, f64(cv, {3, 4})).second;
  for (auto l : tx::all_layouts()) {
    SCOPED_TRACE(tx::layout_name(l));
    auto [y, g] = vjp([](const array& a) { return sin(a); }, x, tx::with_layout(cv, {3, 4}, l));
    EXPECT_TRUE(tandem_test::arrays_close(g, want));
  }
  // A broadcast cotangent, and a float32 cotangent for a float64 output (cast to float64).
  auto [y, g] = vjp([](const array& a) { return a * array(2.0, float64); }, x,
                    broadcast_to(array({1.0f, 2.0f, 3.0f, 4.0f}, Shape{1, 4}), {3, 4}));
  EXPECT_EQ(g.dtype(), float64);
  EXPECT_ARRAY_CLOSE(g, {2, 4, 6, 8, 2, 4, 6, 8, 2, 4, 6, 8}, Shape{3, 4});
}

TEST_F(GradVjp, IdentityRepeatedAndConstantOutputs) {
  array x = f64({1.0, -2.0}, {2});
  ArrayFn f = [](const std::vector<array>& a) {
    return std::vector<array>{a[0], a[0], ones({2}, float64)};
  };
  auto [outs, g] =
      vjp(f, {x}, {f64({1.0, 2.0}, {2}), f64({10.0, 20.0}, {2}), f64({5.0, 5.0}, {2})});
  // The input appears twice as an output: the cotangents add; the constant output adds nothing.
  EXPECT_ARRAY_EQ(g[0], std::vector<double>{11.0, 22.0}, Shape{2}, float64);
  EXPECT_ARRAY_EQ(outs[0], std::vector<double>{1.0, -2.0}, Shape{2});
}

TEST_F(GradVjp, FanOutAccumulates) {
  // x is used by many nodes; its cotangent is the sum of all their contributions.
  tx::Fn f = [](const std::vector<array>& a) {
    array x = a[0];
    return x * x + sin(x) * x + x + exp(x) * transpose(transpose(x)) + sum(x, 0, true) * x;
  };
  EXPECT_TRUE(tx::check_grad(f, {tx::rand64({3, 4}, -1, 1, 41)}));
}

TEST_F(GradVjp, DeepChain) {
  array x = f64({0.3, -0.2}, {2});
  auto f = [](const array& a) {
    array y = a;
    for (int i = 0; i < 1000; ++i)
      y = add(multiply(y, array(0.999, float64)), multiply(array(0.001, float64), sin(y)));
    return sum(y);
  };
  array g = grad(f)(x);
  EXPECT_TRUE(tx::check_grad(tx::unary(f), {x}, 1e-5));
  EXPECT_GT(values(g)[0], 0.0);
}

TEST_F(GradVjp, Float32AndIntegerInputs) {
  // float32 in, float32 gradient.
  array x = array({0.5f, 1.0f, 2.0f});
  array g = grad([](const array& a) { return sum(square(a)); })(x);
  EXPECT_ARRAY_EQ(g, std::vector<float>{1.0f, 2.0f, 4.0f}, Shape{3}, float32);
  // Integer inputs have zero gradients (astype from an integer type is not differentiable).
  array n = array({1, 2, 3});
  array gn = grad([](const array& a) { return sum(square(astype(a, float32))); })(n);
  EXPECT_ARRAY_EQ(gn, std::vector<int32_t>{0, 0, 0}, Shape{3}, int32);
}

TEST_F(GradVjp, SizeOneNonScalarLoss) {
  // A loss of shape (1,) or (1, 1) has one element and is accepted as the scalar loss.
  array x = f64({1.0, 2.0, 3.0}, {3});
  auto [v, g] = value_and_grad([](const array& a) { return sum(square(a), true); })(x);
  EXPECT_EQ(v.shape(), (Shape{1}));
  EXPECT_ARRAY_CLOSE(g, {2.0, 4.0, 6.0}, Shape{3});
  array g2 = grad([](const array& a) { return reshape(sum(a), {1, 1}); })(x);
  EXPECT_ARRAY_CLOSE(g2, {1.0, 1.0, 1.0}, Shape{3});
}

// ------------------------------ special points ------------------------------

TEST_F(GradSpecial, ProdWithZeros) {
  // d prod / dx_i is the product of the other elements, also where some are zero.
  array x = f64({2.0, 0.0, 3.0, 0.0, 0.0, 5.0, 1.5, -2.0, 4.0}, {3, 3});
  // Row 0 has one zero, row 1 two, row 2 none.
  array g = grad([](const array& a) { return sum(prod(a, 1)); })(x);
  EXPECT_ARRAY_CLOSE(g, {0.0, 6.0, 0.0, 0.0, 0.0, 0.0, -8.0, 6.0, -3.0}, Shape{3, 3}, 1e-14, 1e-14);
  auto [y, t] =
      jvp([](const array& a) { return prod(a, 1); }, x, f64({1, 1, 1, 1, 1, 1, 1, 1, 1}, {3, 3}));
  EXPECT_ARRAY_CLOSE(t, {6.0, 0.0, -8.0 + 6.0 - 3.0}, Shape{3}, 1e-14, 1e-14);
  // Over all axes: one zero in the whole array.
  array z = f64({1.0, 2.0, 0.0, 4.0}, {2, 2});
  EXPECT_ARRAY_CLOSE(grad([](const array& a) { return prod(a); })(z), {0.0, 0.0, 8.0, 0.0},
                     Shape{2, 2}, 1e-14, 1e-14);
  // Second derivative at a zero: d²/dx0 dx2 prod(x0, x1, x2) = x1.
  auto d1 = grad([](const array& a) { return prod(a); });
  array h =
      grad([d1](const array& a) { return sum(slice(d1(a), {0}, {1})); })(f64({0.0, 3.0, 2.0}, {3}));
  EXPECT_ARRAY_CLOSE(h, {0.0, 2.0, 3.0}, Shape{3}, 1e-14, 1e-14);
  // No NaN anywhere.
  for (double v : values(grad([](const array& a) { return prod(a); })(f64({0.0, 0.0}, {2}))))
    EXPECT_EQ(v, 0.0);
}

TEST_F(GradSpecial, TiesShareTheGradient) {
  // max/min split the cotangent evenly among tied extrema; maximum/minimum split ties in half.
  array x = f64({1.0, 3.0, 3.0, -1.0}, {4});
  EXPECT_ARRAY_CLOSE(grad([](const array& a) { return max(a); })(x), {0.0, 0.5, 0.5, 0.0},
                     Shape{4});
  EXPECT_ARRAY_CLOSE(grad([](const array& a) { return min(a); })(x), {0.0, 0.0, 0.0, 1.0},
                     Shape{4});
  auto g = grad([](const std::vector<array>& a) { return sum(maximum(a[0], a[1])); },
                {0, 1})({f64({1.0, 2.0}, {2}), f64({1.0, 0.0}, {2})});
  EXPECT_ARRAY_CLOSE(g[0], {0.5, 1.0}, Shape{2});
  EXPECT_ARRAY_CLOSE(g[1], {0.5, 0.0}, Shape{2});
  // abs and sign at 0 have derivative 0; clip at a bound splits like maximum/minimum.
  EXPECT_ARRAY_CLOSE(grad([](const array& a) { return sum(abs(a)); })(f64({0.0, -2.0}, {2})),
                     {0.0, -1.0}, Shape{2});
}

TEST_F(GradSpecial, EmptySelections) {
  // Gradients through empty slices, empty diagonals and zero repeats are zero-filled.
  array x = tx::rand64({3, 4}, -1, 1, 3);
  auto f = [](const array& a) {
    return sum(slice(a, {2, 0}, {1, 4})) + sum(diagonal(a, 5)) + sum(repeat(a, 0, 1)) +
           sum(square(a));
  };
  EXPECT_TRUE(tx::check_grad(tx::unary(f), {x}));
  EXPECT_TRUE(tx::check_jvp(tx::unary(f), {x}));
  EXPECT_TRUE(tx::check_grad(tx::unary([](const array& a) {
                               return slice(a, {3, 0}, {3, 4});
                             }),
                             {x}));
}

TEST_F(GradSpecial, SameArrayAsSeveralArguments) {
  array x = f64({1.0, 2.0}, {2});
  auto g = grad([](const std::vector<array>& a) { return sum(multiply(a[0], exp(a[1]))); },
                {0, 1})({x, x});
  EXPECT_ARRAY_CLOSE(g[0], {std::exp(1.0), std::exp(2.0)}, Shape{2});
  EXPECT_ARRAY_CLOSE(g[1], {std::exp(1.0), 2.0 * std::exp(2.0)}, Shape{2});
}

TEST_F(GradSpecial, LazyPrimals) {
  // Primals that are unevaluated results of other computations (long history not differentiated).
  array base = tx::rand64({4}, -1, 1, 9);
  array x = base;
  for (int i = 0; i < 50; ++i)
    x = sin(x) + array(0.1, float64);
  array y = copy(x);
  y.eval();
  array g = grad([](const array& a) { return sum(exp(a)); })(x);
  EXPECT_TRUE(tandem_test::arrays_close(g, exp(y)));
}

TEST_F(GradSpecial, EvaluatingInsideTheFunction) {
  // Evaluating intermediate values inside a differentiated function (eval, item) must not cut
  // the graph: the derivatives still flow through them.
  array x = f64({0.5, 1.0}, {2});
  std::vector<double> want{2 * std::exp(1.0), 2 * std::exp(2.0)};
  array g = grad([](const array& a) {
    array y = exp(a);
    eval(y);
    return sum(y * y);
  })(x);
  EXPECT_ARRAY_CLOSE(g, want, Shape{2}, 1e-12, 1e-12);
  double seen = 0;
  auto [v, g2] = value_and_grad([&seen](const array& a) {
    array y = exp(a);
    seen = sum(y).item<double>();
    return sum(y * y);
  })(x);
  EXPECT_NEAR(seen, std::exp(0.5) + std::exp(1.0), 1e-12);
  EXPECT_ARRAY_CLOSE(g2, want, Shape{2}, 1e-12, 1e-12);
  auto [o, t] = jvp(
      [](const array& a) {
        array y = exp(a);
        eval(y);
        return y * y;
      },
      x, f64({1.0, 1.0}, {2}));
  EXPECT_ARRAY_CLOSE(t, want, Shape{2}, 1e-12, 1e-12);
  // Second derivative with an evaluation in the inner function: d²/dx² sum(exp(x)²) = 4 exp(2x).
  auto d1 = grad([](const array& a) {
    array y = exp(a);
    eval(y);
    return sum(y * y);
  });
  array d2 = grad([d1](const array& a) { return sum(d1(a)); })(x);
  EXPECT_ARRAY_CLOSE(d2, {4 * std::exp(1.0), 4 * std::exp(2.0)}, Shape{2}, 1e-12, 1e-12);
}
