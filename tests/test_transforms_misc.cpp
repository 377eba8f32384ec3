// Copyright © 2026 Tandem authors.
// value_and_grad / grad options, stop_gradient, custom_function / custom_vjp, checkpoint, errors,
// per-example gradients, Jacobians and Hessians by composition, and a small MLP trained with SGD.
#include <chrono>
#include <memory>
#include <set>
#include <sstream>

#include "transforms_check.h"

using namespace tandem;
using tandem_test::values;
using tx::f64;

// Test suites (fixtures running on the CPU).
class TransformsValueAndGrad : public tx::CpuTest {};
class TransformsStopGradient : public tx::CpuTest {};
class TransformsCustom : public tx::CpuTest {};
class TransformsCheckpoint : public tx::CpuTest {};
class TransformsErrors : public tx::CpuTest {};
class TransformsCompose : public tx::CpuTest {};
class TransformsTraining : public tx::CpuTest {};
class TransformsPlacement : public tx::CpuTest {};

namespace {

// f(x, y, z) = sum(x * y + exp(z)) with an auxiliary output.
std::vector<array> three_args(const std::vector<array>& a) {
  return {sum(add(multiply(a[0], a[1]), exp(a[2]))), multiply(a[0], array(10.0, float64))};
}

std::vector<array> three_inputs() {
  return {f64({1.0, 2.0}, {2}), f64({3.0, -1.0}, {2}), f64({0.5, 0.0}, {2})};
}

}  // namespace

// ------------------------------ value_and_grad / grad ------------------------------

TEST_F(TransformsValueAndGrad, SingleArgnum) {
  auto in = three_inputs();
  auto [vals, grads] = value_and_grad(ArrayFn(three_args), 1)(in);
  ASSERT_EQ(grads.size(), 1u);
  EXPECT_ARRAY_CLOSE(grads[0], {1.0, 2.0}, Shape{2});
  EXPECT_ARRAY_CLOSE(vals[0], {3.0 - 2.0 + std::exp(0.5) + 1.0}, Shape{});
  // Default argnum 0.
  auto g0 = value_and_grad(ArrayFn(three_args))(in).second;
  EXPECT_ARRAY_CLOSE(g0[0], {3.0, -1.0}, Shape{2});
}

TEST_F(TransformsValueAndGrad, SeveralArgnumsInTheGivenOrder) {
  auto in = three_inputs();
  auto g = value_and_grad(ArrayFn(three_args), std::vector<int>{0, 2})(in).second;
  ASSERT_EQ(g.size(), 2u);
  EXPECT_ARRAY_CLOSE(g[0], {3.0, -1.0}, Shape{2});
  EXPECT_ARRAY_CLOSE(g[1], {std::exp(0.5), 1.0}, Shape{2});
  auto r = value_and_grad(ArrayFn(three_args), std::vector<int>{2, 0})(in).second;
  EXPECT_ARRAY_CLOSE(r[0], {std::exp(0.5), 1.0}, Shape{2});
  EXPECT_ARRAY_CLOSE(r[1], {3.0, -1.0}, Shape{2});
  // The array-returning form.
  auto simple = grad([](const std::vector<array>& a) { return three_args(a)[0]; }, {1, 2})(in);
  EXPECT_ARRAY_CLOSE(simple[0], {1.0, 2.0}, Shape{2});
  EXPECT_ARRAY_CLOSE(simple[1], {std::exp(0.5), 1.0}, Shape{2});
}

TEST_F(TransformsValueAndGrad, NegativeArgnums) {
  auto in = three_inputs();
  auto g = value_and_grad(ArrayFn(three_args), -1)(in).second;
  EXPECT_ARRAY_CLOSE(g[0], {std::exp(0.5), 1.0}, Shape{2});
  auto g2 = value_and_grad(ArrayFn(three_args), std::vector<int>{-3, -2})(in).second;
  EXPECT_ARRAY_CLOSE(g2[0], {3.0, -1.0}, Shape{2});
  EXPECT_ARRAY_CLOSE(g2[1], {1.0, 2.0}, Shape{2});
}

TEST_F(TransformsValueAndGrad, AuxiliaryOutputsReturnedUntouched) {
  auto in = three_inputs();
  ArrayFn f = [](const std::vector<array>& a) {
    array loss = sum(square(a[0]));
    // Auxiliary outputs that depend on the differentiated input are returned, not differentiated.
    return std::vector<array>{loss, exp(a[0]), argmax(a[0]), multiply(loss, array(3.0, float64))};
  };
  auto [vals, grads] = value_and_grad(f, 0)(in);
  ASSERT_EQ(vals.size(), 4u);
  EXPECT_ARRAY_CLOSE(vals[0], {5.0}, Shape{});
  EXPECT_ARRAY_CLOSE(vals[1], {std::exp(1.0), std::exp(2.0)}, Shape{2});
  EXPECT_EQ(vals[2].dtype(), uint32);
  EXPECT_EQ(vals[2].item<uint32_t>(), 1u);
  EXPECT_ARRAY_CLOSE(vals[3], {15.0}, Shape{});
  EXPECT_ARRAY_CLOSE(grads[0], {2.0, 4.0}, Shape{2});
}

TEST_F(TransformsValueAndGrad, ArgumentNotUsedGivesZeros) {
  array x = f64({1.0, 2.0}, {2});
  array y = array({1.0f, 2.0f, 3.0f}, Shape{3, 1});
  auto g = grad([](const std::vector<array>& a) { return sum(square(a[0])); }, {0, 1})({x, y});
  EXPECT_ARRAY_CLOSE(g[0], {2.0, 4.0}, Shape{2});
  EXPECT_ARRAY_EQ(g[1], std::vector<float>{0.0f, 0.0f, 0.0f}, Shape{3, 1}, float32);
  // A function that ignores its only argument.
  array g2 = grad([](const array&) { return array(2.0, float64); })(x);
  EXPECT_ARRAY_EQ(g2, std::vector<double>{0.0, 0.0}, Shape{2}, float64);
  // Same through vjp and jvp.
  auto [o, c] = vjp([](const array&) { return ones({2}, float64); }, x, f64({1, 1}, {2}));
  EXPECT_ARRAY_EQ(c, std::vector<double>{0.0, 0.0}, Shape{2}, float64);
}

TEST_F(TransformsStopGradient, BlocksGradients) {
  array x = f64({1.0, -2.0, 3.0}, {3});
  // d/dx sum(x * sg(x)) = sg(x) = x, not 2x.
  array g = grad([](const array& a) { return sum(multiply(a, stop_gradient(a))); })(x);
  EXPECT_ARRAY_CLOSE(g, {1.0, -2.0, 3.0}, Shape{3});
  array g0 = grad([](const array& a) { return sum(square(stop_gradient(exp(a)))); })(x);
  EXPECT_ARRAY_EQ(g0, std::vector<double>{0.0, 0.0, 0.0}, Shape{3}, float64);
  auto [y, t] = jvp([](const array& a) { return multiply(a, stop_gradient(a)); }, x,
                    f64({1.0, 1.0, 1.0}, {3}));
  EXPECT_ARRAY_CLOSE(t, {1.0, -2.0, 3.0}, Shape{3});
  // Second derivative through a stopped branch.
  auto d1 = grad([](const array& a) { return sum(multiply(square(a), stop_gradient(a))); });
  array d2 = grad([d1](const array& a) { return sum(d1(a)); })(x);
  EXPECT_ARRAY_CLOSE(d2, {2.0, -4.0, 6.0}, Shape{3});
  // vmap passes through stop_gradient.
  EXPECT_VMAP(tx::unary_v([](const array& a) { return stop_gradient(a) * a; }),
              {f64({1, 2, 3, 4, 5, 6}, {3, 2})}, {1});
}

// ------------------------------ custom functions ------------------------------

TEST_F(TransformsCustom, CustomVjpIsUsed) {
  auto seen = std::make_shared<std::vector<array>>();
  ArrayFn f = custom_vjp([](const std::vector<array>& a) { return std::vector<array>{sin(a[0])}; },
                         [seen](const std::vector<array>& primals, const std::vector<array>& cots,
                                const std::vector<array>& outs) {
                           *seen = {primals[0], cots[0], outs[0]};
                           return std::vector<array>{multiply(cots[0], array(42.0, float64))};
                         });
  array x = f64({0.1, 0.2, 0.3}, {3});
  auto [v, g] = value_and_grad([f](const array& a) { return sum(f({a})[0] * a); })(x);
  // The value is the real function; the gradient uses the custom rule for sin: 42 * x + sin(x).
  EXPECT_ARRAY_CLOSE(v, {0.1 * std::sin(0.1) + 0.2 * std::sin(0.2) + 0.3 * std::sin(0.3)}, Shape{});
  EXPECT_ARRAY_CLOSE(
      g, {42 * 0.1 + std::sin(0.1), 42 * 0.2 + std::sin(0.2), 42 * 0.3 + std::sin(0.3)}, Shape{3});
  // The rule received the primals, the cotangent and the outputs.
  ASSERT_EQ(seen->size(), 3u);
  EXPECT_ARRAY_CLOSE((*seen)[0], {0.1, 0.2, 0.3}, Shape{3});
  EXPECT_ARRAY_CLOSE((*seen)[1], {0.1, 0.2, 0.3}, Shape{3});
  EXPECT_ARRAY_CLOSE((*seen)[2], {std::sin(0.1), std::sin(0.2), std::sin(0.3)}, Shape{3});
}

TEST_F(TransformsCustom, CustomVjpSeveralInputsAndOutputs) {
  ArrayFn f = custom_vjp(
      [](const std::vector<array>& a) {
        return std::vector<array>{multiply(a[0], a[1]), add(a[0], a[1])};
      },
      [](const std::vector<array>&, const std::vector<array>& c, const std::vector<array>&) {
        // Deliberately not the true derivative: d/da = c0, d/db = 2 * c1.
        return std::vector<array>{c[0], multiply(c[1], array(2.0, float64))};
      });
  array a = f64({1.0, 2.0}, {2}), b = f64({3.0, 4.0}, {2});
  auto [outs, cots] = vjp(f, {a, b}, {f64({1.0, 1.0}, {2}), f64({5.0, 6.0}, {2})});
  EXPECT_ARRAY_CLOSE(outs[0], {3.0, 8.0}, Shape{2});
  EXPECT_ARRAY_CLOSE(outs[1], {4.0, 6.0}, Shape{2});
  EXPECT_ARRAY_CLOSE(cots[0], {1.0, 1.0}, Shape{2});
  EXPECT_ARRAY_CLOSE(cots[1], {10.0, 12.0}, Shape{2});
  // Only the second argument differentiated.
  auto g = grad([f](const std::vector<array>& x) { return sum(f(x)[1]); }, 1)({a, b});
  EXPECT_ARRAY_CLOSE(g[0], {2.0, 2.0}, Shape{2});
  // Without a jvp rule, forward mode differentiates the function itself.
  auto [o, t] = jvp(f, {a, b}, {f64({1.0, 0.0}, {2}), f64({0.0, 1.0}, {2})});
  EXPECT_ARRAY_CLOSE(t[0], {3.0, 2.0}, Shape{2});
  EXPECT_ARRAY_CLOSE(t[1], {1.0, 1.0}, Shape{2});
}

TEST_F(TransformsCustom, CustomJvpAndVmap) {
  auto vmap_calls = std::make_shared<int>(0);
  auto jvp_args = std::make_shared<std::vector<int>>();
  ArrayFn f = custom_function(
      [](const std::vector<array>& a) { return std::vector<array>{multiply(exp(a[0]), a[1])}; },
      std::nullopt,
      [jvp_args](const std::vector<array>& primals, const std::vector<array>& tangents,
                 const std::vector<int>& argnums) {
        *jvp_args = argnums;
        // A custom forward rule: 7 * (sum of the tangents given).
        array t = zeros_like(primals[0]);
        for (auto& x : tangents)
          t = add(t, x);
        return std::vector<array>{multiply(t, array(7.0, float64))};
      },
      [vmap_calls](const std::vector<array>& inputs, const std::vector<int>& axes) {
        ++*vmap_calls;
        // Batched rule: move the batch axes to the end and put the result's batch on axis 1.
        array a = axes[0] >= 0 ? moveaxis(inputs[0], axes[0], -1) : expand_dims(inputs[0], -1);
        array b = axes[1] >= 0 ? moveaxis(inputs[1], axes[1], -1) : expand_dims(inputs[1], -1);
        array out = moveaxis(multiply(exp(a), b), -1, 1);
        return std::make_pair(std::vector<array>{out}, std::vector<int>{1});
      });
  array a = f64({0.5, -0.5, 1.0}, {3}), b = f64({2.0, 3.0, 4.0}, {3});
  auto [o, t] = jvp(f, {a, b}, {f64({1.0, 1.0, 1.0}, {3}), f64({1.0, 2.0, 3.0}, {3})});
  EXPECT_ARRAY_CLOSE(o[0], {std::exp(0.5) * 2, std::exp(-0.5) * 3, std::exp(1.0) * 4}, Shape{3});
  EXPECT_ARRAY_CLOSE(t[0], {14.0, 21.0, 28.0}, Shape{3});
  EXPECT_EQ(*jvp_args, (std::vector<int>{0, 1}));
  // Only one input with a tangent: the rule sees argnums {1}.
  auto t1 = jvp(
                [f, a](const std::vector<array>& x) {
                  return f({a, x[0]});
                },
                {b}, {f64({1.0, 1.0, 1.0}, {3})})
                .second;
  EXPECT_ARRAY_CLOSE(t1[0], {7.0, 7.0, 7.0}, Shape{3});
  EXPECT_EQ(*jvp_args, (std::vector<int>{1}));
  // Without a vjp rule, reverse mode differentiates the function itself.
  auto g = grad([f](const std::vector<array>& x) { return sum(f(x)[0]); }, {0, 1})({a, b});
  EXPECT_ARRAY_CLOSE(g[0], {std::exp(0.5) * 2, std::exp(-0.5) * 3, std::exp(1.0) * 4}, Shape{3});
  EXPECT_ARRAY_CLOSE(g[1], {std::exp(0.5), std::exp(-0.5), std::exp(1.0)}, Shape{3});
  // vmap uses the custom rule (and its out axis) and agrees with the loop.
  array A = tx::rand64({3, 4}, -1, 1, 1), B = tx::rand64({3}, -1, 1, 2);
  EXPECT_VMAP(f, {A, B}, {1, -1});
  EXPECT_GE(*vmap_calls, 1);
  int before = *vmap_calls;
  EXPECT_VMAP(f, {A, tx::rand64({4, 3}, -1, 1, 3)}, {0, 1}, {1});
  EXPECT_GT(*vmap_calls, before);
}

TEST_F(TransformsCustom, PerExampleGradientsUseTheCustomVjp) {
  // vmap(grad(f)) with f built on a custom_vjp: each example's gradient comes from the rule.
  ArrayFn scaled = custom_vjp(
      [](const std::vector<array>& a) { return std::vector<array>{square(a[0])}; },
      [](const std::vector<array>& p, const std::vector<array>& c, const std::vector<array>&) {
        return std::vector<array>{multiply(c[0], multiply(p[0], array(10.0, float64)))};
      });
  ArrayFn g = [scaled](const std::vector<array>& a) {
    return grad([scaled](const std::vector<array>& b) { return sum(scaled(b)[0]); })(a);
  };
  array X = tx::rand64({4, 3}, -1, 1, 1);
  EXPECT_VMAP(g, {X}, {1});
  auto got = vmap(g, {0})({X});
  EXPECT_TRUE(tandem_test::arrays_close(got[0], X * array(10.0, float64)));
}

TEST_F(TransformsCustom, FallbackVmapOfCustomVjp) {
  ArrayFn f =
      custom_vjp([](const std::vector<array>& a) { return std::vector<array>{softmax(a[0], -1)}; },
                 [](const std::vector<array>&, const std::vector<array>& c,
                    const std::vector<array>&) { return std::vector<array>{c[0]}; });
  EXPECT_VMAP(f, {tx::rand64({2, 3, 4}, -1, 1, 1)}, {1}, {2});
}

TEST_F(TransformsCustom, GradOfVmapKeepsTheCustomVjp) {
  // f(x, w) = sin(x) * w with a deliberately wrong rule: d/dx = 42 * c, d/dw = -c.
  ArrayFn f = custom_vjp(
      [](const std::vector<array>& a) { return std::vector<array>{multiply(sin(a[0]), a[1])}; },
      [](const std::vector<array>&, const std::vector<array>& c, const std::vector<array>&) {
        return std::vector<array>{multiply(c[0], array(42.0, float64)), negative(c[0])};
      });
  // x batched on axis 1, w shared (unbatched): vmap's custom function must keep the rule, and
  // the shared argument's cotangent is summed over the batch.
  array X = tx::rand64({3, 4}, -1, 1, 7), W = tx::rand64({3}, -1, 1, 8);
  auto batched = vmap(f, {1, -1}, {0});
  auto out = batched({X, W});
  EXPECT_TRUE(tandem_test::arrays_close(out[0], transpose(sin(X)) * W));
  auto g = grad([batched](const std::vector<array>& a) { return sum(batched(a)[0]); },
                std::vector<int>{0, 1})({X, W});
  EXPECT_TRUE(tandem_test::arrays_close(g[0], full({3, 4}, array(42.0, float64))));
  EXPECT_TRUE(tandem_test::arrays_close(g[1], full({3}, array(-4.0, float64))));
  // A checkpoint under vmap still recomputes in the backward pass and gives the true gradient.
  auto calls = std::make_shared<int>(0);
  ArrayFn block = checkpoint([calls](const std::vector<array>& a) {
    ++*calls;
    return std::vector<array>{tanh(a[0])};
  });
  auto vb = vmap(block, {0}, {0});
  array Y = tx::rand64({2, 5}, -1, 1, 9);
  *calls = 0;
  auto gy = grad([vb](const std::vector<array>& a) { return sum(vb(a)[0]); })({Y});
  EXPECT_GE(*calls, 2);
  EXPECT_TRUE(tandem_test::arrays_close(gy[0], array(1.0, float64) - square(tanh(Y))));
}

TEST_F(TransformsCheckpoint, SameGradientAndRecomputes) {
  auto calls = std::make_shared<int>(0);
  ArrayFn block = [calls](const std::vector<array>& a) {
    ++*calls;
    array h = tanh(matmul(a[0], a[1]));
    return std::vector<array>{sum(square(h)), h};
  };
  array x = tx::rand64({3, 4}, -1, 1, 1), w = tx::rand64({4, 2}, -1, 1, 2);
  auto plain = value_and_grad(block, std::vector<int>{0, 1})({x, w});
  int plain_calls = *calls;
  *calls = 0;
  auto ck = value_and_grad(checkpoint(block), std::vector<int>{0, 1})({x, w});
  EXPECT_GT(*calls, plain_calls);  // the backward pass ran the block again
  EXPECT_TRUE(tandem_test::arrays_close(ck.first[0], plain.first[0]));
  EXPECT_TRUE(tandem_test::arrays_close(ck.first[1], plain.first[1]));
  EXPECT_TRUE(tandem_test::arrays_close(ck.second[0], plain.second[0]));
  EXPECT_TRUE(tandem_test::arrays_close(ck.second[1], plain.second[1]));
  // Inside a larger function, and against finite differences.
  auto ckb = checkpoint(block);
  tx::Fn f = [ckb](const std::vector<array>& a) {
    auto o = ckb({sin(a[0]), a[1]});
    return o[1] * o[0];
  };
  EXPECT_TRUE(tx::check_grad(f, {x, w}));
  EXPECT_TRUE(tx::check_jvp(f, {x, w}));
  // Second derivatives through a checkpoint.
  auto inner = [ckb](const array& a) { return ckb({a, ones({4, 2}, float64)})[0]; };
  auto d1 = grad(inner);
  auto d1_plain = grad([block](const array& a) { return block({a, ones({4, 2}, float64)})[0]; });
  array h1 = grad([d1](const array& a) { return sum(d1(a) * d1(a)); })(x);
  array h2 = grad([d1_plain](const array& a) { return sum(d1_plain(a) * d1_plain(a)); })(x);
  EXPECT_TRUE(tandem_test::arrays_close(h1, h2, 10));
}

// ------------------------------ errors ------------------------------

TEST_F(TransformsErrors, VjpArguments) {
  array x = f64({1.0, 2.0}, {2});
  ArrayFn f = [](const std::vector<array>& a) { return std::vector<array>{exp(a[0]), a[0]}; };
  EXPECT_THROW_MSG(vjp(f, {x}, {x}), std::invalid_argument, "[vjp]");
  EXPECT_THROW_MSG(vjp(f, {x}, {x, x, x}), std::invalid_argument, "[vjp]");
  EXPECT_THROW_MSG(vjp(f, {x}, {x, f64({1.0, 2.0, 3.0}, {3})}), std::invalid_argument, "[vjp]");
  EXPECT_THROW_MSG(vjp([](const array& a) { return sum(a); }, x, x), std::invalid_argument,
                   "[vjp]");
}

TEST_F(TransformsErrors, JvpArguments) {
  array x = f64({1.0, 2.0}, {2});
  ArrayFn f = [](const std::vector<array>& a) { return std::vector<array>{a[0] * a[1]}; };
  EXPECT_THROW_MSG(jvp(f, {x, x}, {x}), std::invalid_argument, "[jvp]");
  EXPECT_THROW_MSG(jvp(f, {x, x}, {x, x, x}), std::invalid_argument, "[jvp]");
  EXPECT_THROW_MSG(jvp(f, {x, x}, {x, f64({1.0}, {1})}), std::invalid_argument, "[jvp]");
  EXPECT_THROW_MSG(jvp([](const array& a) { return a; }, x, f64({1, 2, 3, 4}, {2, 2})),
                   std::invalid_argument, "[jvp]");
}

TEST_F(TransformsErrors, GradArguments) {
  array x = f64({1.0, 2.0}, {2});
  // Non-scalar loss.
  EXPECT_THROW_MSG(grad([](const array& a) { return exp(a); })(x), std::invalid_argument,
                   "[value_and_grad]");
  EXPECT_THROW_MSG(value_and_grad([](const array& a) { return a * a; })(x), std::invalid_argument,
                   "[value_and_grad]");
  // No outputs at all.
  ArrayFn none = [](const std::vector<array>&) { return std::vector<array>{}; };
  EXPECT_THROW_MSG(value_and_grad(none)({x}), std::invalid_argument, "[value_and_grad]");
  // argnums out of range (positive and negative) and empty.
  ArrayFn f = [](const std::vector<array>& a) { return std::vector<array>{sum(a[0] * a[1])}; };
  EXPECT_THROW_MSG(value_and_grad(f, 2)({x, x}), std::invalid_argument, "[value_and_grad]");
  EXPECT_THROW_MSG(value_and_grad(f, -3)({x, x}), std::invalid_argument, "[value_and_grad]");
  EXPECT_THROW_MSG(value_and_grad(f, std::vector<int>{0, 5})({x, x}), std::invalid_argument,
                   "[value_and_grad]");
  EXPECT_THROW_MSG(value_and_grad(f, std::vector<int>{}), std::invalid_argument,
                   "[value_and_grad]");
  EXPECT_THROW_MSG(grad([](const std::vector<array>& a) { return sum(a[0]); }, 1)({x}),
                   std::invalid_argument, "[value_and_grad]");
}

TEST_F(TransformsErrors, VmapArguments) {
  array a = tx::rand64({3, 2}, -1, 1, 1), b = tx::rand64({4, 2}, -1, 1, 2);
  ArrayFn f = [](const std::vector<array>& v) { return std::vector<array>{v[0] + v[1]}; };
  // Inconsistent batch sizes.
  EXPECT_THROW_MSG(vmap(f)({a, b}), std::invalid_argument, "[vmap]");
  EXPECT_THROW_MSG(vmap(f, {1, 0})({a, tx::rand64({3, 2}, -1, 1, 3)}), std::invalid_argument,
                   "[vmap]");
  // in_axes: wrong count, out of range, none batched.
  EXPECT_THROW_MSG(vmap(f, {0})({a, a}), std::invalid_argument, "[vmap]");
  EXPECT_THROW_MSG(vmap(f, {0, 0, 0})({a, a}), std::invalid_argument, "[vmap]");
  EXPECT_THROW_MSG(vmap(f, {2, 0})({a, a}), std::invalid_argument, "[vmap]");
  EXPECT_THROW_MSG(vmap(f, {-1, -1})({a, a}), std::invalid_argument, "[vmap]");
  EXPECT_THROW_MSG(vmap(tx::unary_v([](const array& x) { return x; }))({array(1.0, float64)}),
                   std::invalid_argument, "[vmap]");
  // out_axes: wrong count, out of range.
  EXPECT_THROW_MSG(vmap(f, {0, 0}, {0, 1})({a, a}), std::invalid_argument, "[vmap]");
  EXPECT_THROW_MSG(vmap(f, {0, 0}, {3})({a, a}), std::invalid_argument, "[vmap]");
  // The unary/binary overloads check the same things.
  auto g = vmap([](const array& x, const array& y) { return x * y; });
  EXPECT_THROW_MSG(g(a, b), std::invalid_argument, "[vmap]");
}

TEST_F(TransformsErrors, CustomFunctionRuleArity) {
  ArrayFn f = custom_vjp(
      [](const std::vector<array>& a) { return std::vector<array>{a[0] * a[1]}; },
      [](const std::vector<array>&, const std::vector<array>& c, const std::vector<array>&) {
        return std::vector<array>{c[0]};  // one cotangent for two inputs
      });
  array x = f64({1.0}, {1});
  EXPECT_THROW_MSG(vjp(f, {x, x}, {x}), std::invalid_argument, "[custom_function]");
}

// ------------------------------ compositions ------------------------------

namespace {

// A small model: tanh(x @ W + b) @ v; loss = (pred - y)^2 for one example.
array example_loss(const std::vector<array>& p) {
  const array &W = p[0], &b = p[1], &v = p[2], &x = p[3], &y = p[4];
  array pred = sum(multiply(tanh(add(matmul(x, W), b)), v));
  return square(subtract(pred, y));
}

}  // namespace

TEST_F(TransformsCompose, PerExampleGradients) {
  array W = tx::rand64({3, 4}, -1, 1, 1), b = tx::rand64({4}, -1, 1, 2),
        v = tx::rand64({4}, -1, 1, 3);
  array X = tx::rand64({5, 3}, -1, 1, 4), Y = tx::rand64({5}, -1, 1, 5);
  ArrayFn g = [](const std::vector<array>& p) { return grad(example_loss, {0, 1, 2})(p); };
  // Parameters unbatched, examples batched; the per-example gradients stacked on axis 0.
  auto per = vmap(g, {-1, -1, -1, 0, 0})({W, b, v, X, Y});
  ASSERT_EQ(per.size(), 3u);
  EXPECT_EQ(per[0].shape(), (Shape{5, 3, 4}));
  EXPECT_TRUE(tx::check_vmap(g, {W, b, v, X, Y}, {-1, -1, -1, 0, 0}));
  // The examples on axis 1 of a transposed X, gradients out on the last axis.
  EXPECT_TRUE(tx::check_vmap(g, {W, b, v, transpose(X), Y}, {-1, -1, -1, 1, 0}, {-1, -1, -1}));
  // Their mean is the gradient of the mean loss.
  ArrayFn batch_loss =
      vmap([](const std::vector<array>& q) { return std::vector<array>{example_loss(q)}; },
           {-1, -1, -1, 0, 0});
  auto full = grad([batch_loss](const std::vector<array>& p) { return mean(batch_loss(p)[0]); },
                   {0, 1, 2})({W, b, v, X, Y});
  for (int k = 0; k < 3; ++k)
    EXPECT_TRUE(tandem_test::arrays_close(mean(per[k], 0), full[k], 10));
}

TEST_F(TransformsCompose, JacobianByVmapOfVjp) {
  // J of f: R^4 -> R^3 as vmap over the rows of the identity of vjp(f, x, e_i); columns by vmap
  // of jvp; both against finite differences.
  auto f = [](const array& x) {
    return stack({sum(sin(x)), prod(slice(x, {0}, {3})), logsumexp(x * x)});
  };
  auto xv = tx::rand_values(4, -1, 1, 1);
  array x = f64(xv, {4});
  auto row = [f, x](const array& e) { return vjp(f, x, e).second; };
  array J = vmap(row)(eye(3, float64));
  EXPECT_EQ(J.shape(), (Shape{3, 4}));
  auto col = [f, x](const array& e) { return jvp(f, x, e).second; };
  array Jt = vmap(col, 0, 1)(eye(4, float64));
  EXPECT_EQ(Jt.shape(), (Shape{3, 4}));
  EXPECT_TRUE(tandem_test::arrays_close(J, Jt, 10));
  double h = 1e-6;
  std::vector<double> num(12);
  for (int j = 0; j < 4; ++j) {
    auto p = xv, m = xv;
    p[j] += h;
    m[j] -= h;
    auto fp = values(f(f64(p, {4}))), fm = values(f(f64(m, {4})));
    for (int i = 0; i < 3; ++i)
      num[i * 4 + j] = (fp[i] - fm[i]) / (2 * h);
  }
  EXPECT_ARRAY_CLOSE(J, num, Shape{3, 4}, 1e-6, 1e-6);
}

TEST_F(TransformsCompose, HessianOfQuadraticByVmap) {
  // H(x^T A x) = A + A^T, as vmap of vjp of grad (reverse over reverse) and vmap of jvp of grad
  // (forward over reverse).
  int n = 4;
  auto av = tx::rand_values(n * n, -1, 1, 2);
  array A = f64(av, {n, n});
  auto f = [A](const array& x) { return sum(multiply(x, matmul(A, x))); };
  array x = tx::rand64({n}, -1, 1, 3);
  std::vector<double> want(n * n);
  for (int r = 0; r < n; ++r)
    for (int c = 0; c < n; ++c)
      want[r * n + c] = av[r * n + c] + av[c * n + r];
  auto g = grad(f);
  array H1 = vmap([g, x](const array& e) { return vjp(g, x, e).second; })(eye(n, float64));
  EXPECT_ARRAY_CLOSE(H1, want, Shape{n, n}, 1e-12, 1e-12);
  array H2 = vmap([g, x](const array& e) { return jvp(g, x, e).second; })(eye(n, float64));
  EXPECT_ARRAY_CLOSE(H2, want, Shape{n, n}, 1e-12, 1e-12);
  // The Hessian does not depend on x: batch over several points too (nested vmap).
  array xs = tx::rand64({3, n}, -1, 1, 4);
  auto hess_at = [g](const array& p) {
    return vmap([g, p](const array& e) { return jvp(g, p, e).second; })(eye(4, float64));
  };
  array Hs = vmap(hess_at)(xs);
  EXPECT_EQ(Hs.shape(), (Shape{3, n, n}));
  std::vector<double> want3;
  for (int b = 0; b < 3; ++b)
    want3.insert(want3.end(), want.begin(), want.end());
  EXPECT_ARRAY_CLOSE(Hs, want3, Shape{3, n, n}, 1e-12, 1e-12);
}

TEST_F(TransformsCompose, GradientOfPerExampleGradientNorms) {
  // A gradient penalty: d/dW sum_i |d loss(W, x_i) / dx_i|^2, i.e. reverse over vmap over reverse.
  tx::Fn penalty = [](const std::vector<array>& p) {
    ArrayFn gx = [](const std::vector<array>& q) {
      return grad([](const std::vector<array>& r) { return sum(softmax(matmul(r[0], r[1]))); },
                  1)(q);
    };
    array g = vmap(gx, {-1, 0})({p[0], p[1]})[0];  // (batch, 4)
    return sum(square(g));
  };
  EXPECT_TRUE(
      tx::check_grad(penalty, {tx::rand64({3, 4}, -1, 1, 1), tx::rand64({5, 4}, -1, 1, 2)}, 1e-5));
}

TEST_F(TransformsCompose, CheckpointUnderVmapAndGrad) {
  ArrayFn block = checkpoint(
      [](const std::vector<array>& a) { return std::vector<array>{tanh(matmul(a[0], a[1]))}; });
  array W = tx::rand64({4, 2}, -1, 1, 1), X = tx::rand64({5, 4}, -1, 1, 2);
  EXPECT_VMAP(block, {X, W}, {0, -1});
  tx::Fn f = [block](const std::vector<array>& p) { return vmap(block, {0, -1})({p[0], p[1]})[0]; };
  EXPECT_TRUE(tx::check_grad(f, {X, W}));
}

TEST_F(TransformsCompose, CheckersDetectWrongRules) {
  // The finite-difference and loop checkers are not vacuous: wrong custom rules fail them.
  ArrayFn bad = custom_function(
      [](const std::vector<array>& a) { return std::vector<array>{exp(a[0])}; },
      [](const std::vector<array>& p, const std::vector<array>& c, const std::vector<array>&) {
        return std::vector<array>{multiply(c[0], p[0])};
      },
      [](const std::vector<array>& p, const std::vector<array>& t, const std::vector<int>&) {
        return std::vector<array>{multiply(t[0], exp(p[0]) + array(1e-3, float64))};
      },
      [](const std::vector<array>& in, const std::vector<int>& ax) {
        return std::make_pair(std::vector<array>{exp(flip(in[0], ax[0]))}, ax);
      });
  tx::Fn f = [bad](const std::vector<array>& a) { return bad(a)[0]; };
  std::vector<array> xs{tx::rand64({2, 3}, -1, 1, 5)};
  EXPECT_FALSE(tx::check_grad(f, xs));
  EXPECT_FALSE(tx::check_jvp(f, xs));
  EXPECT_FALSE(tx::check_vmap(bad, xs, {0}));
}

// ------------------------------ placement ------------------------------

namespace {

// Every node of the unevaluated graph behind `outs` that is not on stream `s`, as "Name@stream";
// *visited counts the nodes walked.
std::vector<std::string> nodes_off_stream(const std::vector<array>& outs, const Stream& s,
                                          size_t* visited) {
  std::vector<std::string> off;
  std::vector<array> todo(outs.begin(), outs.end());
  std::set<std::uintptr_t> seen;
  while (!todo.empty()) {
    array a = todo.back();
    todo.pop_back();
    if (!a.has_primitive() || !seen.insert(a.id()).second) continue;
    if (a.primitive().stream() != s) {
      std::ostringstream os;
      os << a.primitive().name() << "@" << a.primitive().stream();
      off.push_back(os.str());
    }
    ++*visited;
    for (const auto& in : a.inputs())
      todo.push_back(in);
  }
  return off;
}

}  // namespace

// The transforms build their graphs on the default stream of the default device, whatever it is:
// this is what makes a program written on the CPU run unchanged with TANDEM_DEVICE=gpu. Here the
// default is switched to a fresh stream of the test's device, and every node that grad, jvp,
// vmap, checkpoint and custom_vjp create must land on it; the values must not change.
TEST_F(TransformsPlacement, GraphsAreBuiltOnTheDefaultStream) {
  array x = tx::rand64({3, 4}, -1, 1, 11), w = tx::rand64({4, 2}, -1, 1, 12);
  array v = tx::rand64({3, 4}, -1, 1, 13);
  eval({x, w, v});
  std::function<array(const std::vector<array>&)> fs = [](const std::vector<array>& a) {
    return sum(square(tanh(matmul(a[0], a[1]))));
  };
  ArrayFn f = [fs](const std::vector<array>& a) { return std::vector<array>{fs(a)}; };
  ArrayFn g = custom_vjp(
      f, [](const std::vector<array>& p, const std::vector<array>& c, const std::vector<array>&) {
        return std::vector<array>{multiply(c[0], ones_like(p[0])), multiply(c[0], ones_like(p[1]))};
      });
  auto build = [&]() {
    std::vector<array> outs;
    auto vg = value_and_grad(f, std::vector<int>{0, 1})({x, w});
    outs.insert(outs.end(), vg.first.begin(), vg.first.end());
    outs.insert(outs.end(), vg.second.begin(), vg.second.end());
    auto t = jvp(f, {x, w}, {v, zeros_like(w)});
    outs.push_back(t.second[0]);
    ArrayFn per_row = [&](const std::vector<array>& a) {
      return grad(fs, std::vector<int>{1})({a[0], w});
    };
    auto per_example = vmap(per_row, std::vector<int>{0})({reshape(x, {3, 1, 4})});
    outs.push_back(per_example[0]);
    outs.push_back(value_and_grad(checkpoint(f), std::vector<int>{0})({x, w}).second[0]);
    outs.push_back(vjp(g, {x, w}, {array(1.0, float64)}).second[0]);
    return outs;
  };
  const Device dev = default_device();
  const Stream before = default_stream(dev);
  auto reference = build();
  eval(reference);
  const Stream s = new_stream(dev);
  set_default_stream(s);
  std::vector<array> outs;
  try {
    outs = build();
  } catch (...) {
    set_default_stream(before);
    throw;
  }
  set_default_stream(before);
  size_t visited = 0;
  auto off = nodes_off_stream(outs, s, &visited);
  EXPECT_GT(visited, 50u);  // the walk saw the backward graphs, not just the outputs
  EXPECT_TRUE(off.empty()) << off.size() << " nodes off the default stream, e.g. " << off.front();
  eval(outs);
  ASSERT_EQ(outs.size(), reference.size());
  for (size_t i = 0; i < outs.size(); ++i)
    EXPECT_TRUE(tandem_test::arrays_close(outs[i], reference[i])) << "output " << i;
}

// ------------------------------ training ------------------------------

TEST_F(TransformsTraining, MlpFitsXorWithSgd) {
  auto start = std::chrono::steady_clock::now();
  std::mt19937 gen(2024);
  std::uniform_real_distribution<float> unif(-1.0f, 1.0f);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  // 64 points in [-1, 1]^2 away from the axes; label +1 where x0 * x1 > 0, else -1.
  const int n = 64;
  std::vector<float> xs, ys;
  while (static_cast<int>(ys.size()) < n) {
    float a = unif(gen), b = unif(gen);
    if (std::abs(a) < 0.1f || std::abs(b) < 0.1f) continue;
    xs.push_back(a);
    xs.push_back(b);
    ys.push_back(a * b > 0 ? 1.0f : -1.0f);
  }
  array X(xs, Shape{n, 2}), Y(ys, Shape{n, 1});
  auto init = [&](int in, int out) {
    std::vector<float> w(in * out);
    for (auto& v : w)
      v = normal(gen) / std::sqrt(static_cast<float>(in));
    return array(w, Shape{in, out});
  };
  std::vector<array> params{init(2, 16), zeros({16}), init(16, 16),
                            zeros({16}), init(16, 1), zeros({1})};
  auto forward = [](const std::vector<array>& p, const array& x) {
    array h = tanh(add(matmul(x, p[0]), p[1]));
    h = tanh(add(matmul(h, p[2]), p[3]));
    return add(matmul(h, p[4]), p[5]);
  };
  // Logistic loss: mean(log(1 + exp(-y * z))).
  ArrayFn loss_fn = [forward](const std::vector<array>& a) {
    std::vector<array> p(a.begin(), a.begin() + 6);
    array z = forward(p, a[6]);
    return std::vector<array>{mean(logaddexp(zeros({}), negative(multiply(a[7], z))))};
  };
  auto step = value_and_grad(loss_fn, std::vector<int>{0, 1, 2, 3, 4, 5});
  float lr = 0.5f;
  float loss = 0;
  int steps = 0;
  for (; steps < 3000; ++steps) {
    std::vector<array> args = params;
    args.push_back(X);
    args.push_back(Y);
    auto [vals, grads] = step(args);
    for (int k = 0; k < 6; ++k)
      params[k] = subtract(params[k], multiply(array(lr), grads[k]));
    eval(params);
    loss = vals[0].item<float>();
    if (loss < 5e-3f) break;
  }
  array z = forward(params, X);
  auto zv = values(z);
  int correct = 0;
  for (int i = 0; i < n; ++i)
    correct += (zv[i] > 0) == (ys[i] > 0);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "[ MLP ] " << steps << " SGD steps, loss " << loss << ", accuracy " << correct << "/"
            << n << ", " << secs << " s" << std::endl;
  EXPECT_EQ(correct, n);
  EXPECT_LT(loss, 1e-2f);
  EXPECT_LT(secs, 10.0);
}

// ============================== depends ==============================

TEST(Depends, OutputsEqualInputsAndEvaluateDependencies) {
  array x = array({1.f, 2.f});
  array y = array({3.f, 4.f});
  array d = multiply(x, array(10.f));
  auto out = depends({x, add(x, y)}, {d});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_FALSE(d.is_evaluated());
  eval(out[1]);
  EXPECT_TRUE(d.is_evaluated());
  EXPECT_EQ(values(out[0]), (std::vector<double>{1, 2}));
  EXPECT_EQ(values(out[1]), (std::vector<double>{4, 6}));
  EXPECT_THROW_MSG(depends({}, {d}), std::invalid_argument, "[depends]");
}

TEST(Depends, GradientsFlowToInputsOnly) {
  auto f = [](const std::vector<array>& a) {
    return sum(square(depends({multiply(a[0], a[0])}, {a[1]})[0]));
  };
  array x = f64({1, -2}, {2}), y = f64({5, 6}, {2});
  auto g = grad(f, std::vector<int>{0, 1})({x, y});
  // d/dx sum(x^4) = 4 x^3.
  EXPECT_EQ(values(g[0]), (std::vector<double>{4, -32}));
  EXPECT_EQ(values(g[1]), (std::vector<double>{0, 0}));
  auto [outs, tans] =
      jvp([](const std::vector<array>& a) { return depends({multiply(a[0], a[0])}, {a[1]}); },
          {x, y}, {f64({1, 1}, {2}), f64({1, 1}, {2})});
  EXPECT_EQ(values(tans[0]), (std::vector<double>{2, -4}));
}
