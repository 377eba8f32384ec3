// Copyright © 2026 Tandem authors.
// Activation functions and modules against scalar formulas, their gradients against finite
// differences, and the initialisers of nn::init.
#include <cmath>
#include <numbers>

#include "nn_test_util.h"

using namespace tandem;
using nntest::check_input_grads;
using nntest::check_param_grads;
using nntest::close;
using nntest::f64;
using nntest::rnd;
using nntest::vals;

namespace {

const std::vector<double> kPoints{-4.0, -2.5, -1.0, -0.3, 0.2, 0.7, 1.5, 3.2, 7.0};

double sigm(double x) {
  return 1 / (1 + std::exp(-x));
}
double softplus_ref(double x) {
  return std::log1p(std::exp(x));
}

struct Case {
  std::string name;
  std::function<array(const array&)> fn;
  std::function<double(double)> ref;
  bool smooth;  // differentiable at every test point
};

std::vector<Case> cases() {
  const double pi = std::numbers::pi;
  return {
      {"relu", nn::relu, [](double x) { return std::max(x, 0.0); }, true},
      {"relu6", nn::relu6, [](double x) { return std::min(std::max(x, 0.0), 6.0); }, true},
      {"relu2", nn::relu2, [](double x) { return std::pow(std::max(x, 0.0), 2); }, true},
      {"leaky_relu", [](const array& x) { return nn::leaky_relu(x, 0.1f); },
       [](double x) { return x > 0 ? x : 0.1 * x; }, true},
      {"elu", [](const array& x) { return nn::elu(x, 0.5f); },
       [](double x) { return x > 0 ? x : 0.5 * (std::exp(x) - 1); }, true},
      {"selu", nn::selu,
       [](double x) { return 1.0507 * (x > 0 ? x : 1.67326 * (std::exp(x) - 1)); }, true},
      {"celu", [](const array& x) { return nn::celu(x, 2.0f); },
       [](double x) { return std::max(x, 0.0) + 2.0 * (std::exp(std::min(x, 0.0) / 2.0) - 1); },
       true},
      {"gelu", nn::gelu, [](double x) { return x * (1 + std::erf(x / std::sqrt(2.0))) / 2; }, true},
      {"gelu_approx", nn::gelu_approx,
       [pi](double x) {
         return 0.5 * x * (1 + std::tanh(std::sqrt(2 / pi) * (x + 0.044715 * x * x * x)));
       },
       true},
      {"gelu_fast_approx", nn::gelu_fast_approx, [](double x) { return x * sigm(1.702 * x); },
       true},
      {"silu", nn::silu, [](double x) { return x * sigm(x); }, true},
      {"mish", nn::mish, [](double x) { return x * std::tanh(softplus_ref(x)); }, true},
      {"softplus", nn::softplus, softplus_ref, true},
      {"softsign", nn::softsign, [](double x) { return x / (1 + std::abs(x)); }, true},
      {"sigmoid", nn::sigmoid, sigm, true},
      {"log_sigmoid", nn::log_sigmoid, [](double x) { return std::log(sigm(x)); }, true},
      {"hard_sigmoid", nn::hard_sigmoid,
       [](double x) { return std::min(std::max(x + 3, 0.0), 6.0) / 6; }, true},
      {"hardswish", nn::hardswish,
       [](double x) { return x * std::min(std::max(x + 3, 0.0), 6.0) / 6; }, true},
      {"hard_tanh", [](const array& x) { return nn::hard_tanh(x, -2.0f, 3.0f); },
       [](double x) { return std::min(std::max(x, -2.0), 3.0); }, true},
      {"hard_shrink", [](const array& x) { return nn::hard_shrink(x, 0.5f); },
       [](double x) { return std::abs(x) > 0.5 ? x : 0.0; }, true},
      {"softshrink", [](const array& x) { return nn::softshrink(x, 0.5f); },
       [](double x) { return std::abs(x) > 0.5 ? x - (x > 0 ? 0.5 : -0.5) : 0.0; }, true},
      {"tanh", nn::tanh, [](double x) { return std::tanh(x); }, true},
      {"step", [](const array& x) { return nn::step(x, 0.5f); },
       [](double x) { return x > 0.5 ? 1.0 : 0.0; }, false},
  };
}

}  // namespace

TEST(NnActivations, MatchScalarFormulas) {
  array x = f64(kPoints, {static_cast<int>(kPoints.size())});
  for (auto& c : cases()) {
    SCOPED_TRACE(c.name);
    std::vector<double> want;
    for (double p : kPoints)
      want.push_back(c.ref(p));
    array y = c.fn(x);
    EXPECT_EQ(y.dtype(), float64);
    // (Scalar parameters such as negative_slope are floats: 1e-7 relative.)
    EXPECT_TRUE(close(y, want, 1e-7, 1e-12));
    // float32 inputs give float32 outputs, float16 stays float16.
    EXPECT_EQ(c.fn(astype(x, float32)).dtype(), float32);
    EXPECT_EQ(c.fn(astype(x, float16)).dtype(), float16);
    EXPECT_TRUE(close(c.fn(astype(x, float32)), want, 1e-5, 1e-5));
  }
}

TEST(NnActivations, Gradients) {
  array x = f64(kPoints, {static_cast<int>(kPoints.size())});
  for (auto& c : cases()) {
    if (!c.smooth) continue;
    SCOPED_TRACE(c.name);
    EXPECT_TRUE(
        check_input_grads([&](const std::vector<array>& a) { return c.fn(a[0]); }, {x}, 1e-6));
  }
}

TEST(NnActivations, SoftmaxFamilyAndGlu) {
  array x = f64({1, 2, 3, -1, 0, 1}, {2, 3});
  auto v = vals(x);
  std::vector<double> sm, lsm, smin;
  for (int r = 0; r < 2; ++r) {
    double s = 0, s2 = 0;
    for (int j = 0; j < 3; ++j)
      s += std::exp(v[r * 3 + j]), s2 += std::exp(-v[r * 3 + j]);
    for (int j = 0; j < 3; ++j) {
      sm.push_back(std::exp(v[r * 3 + j]) / s);
      lsm.push_back(v[r * 3 + j] - std::log(s));
      smin.push_back(std::exp(-v[r * 3 + j]) / s2);
    }
  }
  EXPECT_TRUE(close(nn::softmax(x), sm, 1e-12));
  EXPECT_TRUE(close(nn::log_softmax(x), lsm, 1e-12));
  EXPECT_TRUE(close(nn::softmin(x), smin, 1e-12));
  EXPECT_TRUE(close(nn::Softmax()(x), sm, 1e-12));
  EXPECT_TRUE(close(nn::LogSoftmax()(x), lsm, 1e-12));
  EXPECT_TRUE(close(nn::Softmin()(x), smin, 1e-12));
  // Along axis 0.
  auto sm0 = vals(nn::softmax(x, 0));
  EXPECT_NEAR(sm0[0] + sm0[3], 1.0, 1e-12);
  // glu: a * sigmoid(b) with a, b the halves of the axis.
  array g = f64({1, 2, 0.5, -1}, {1, 4});
  EXPECT_TRUE(close(nn::glu(g), {1 * sigm(0.5), 2 * sigm(-1)}, 1e-12));
  EXPECT_TRUE(close(nn::GLU(0)(f64({3, -2}, {2})), {3 * sigm(-2)}, 1e-12));
  EXPECT_THROW_MSG(nn::glu(f64({1, 2, 3}, {3})), std::invalid_argument, "[glu]");
  for (auto fn : std::vector<std::function<array(const array&)>>{
           [](const array& a) { return nn::log_softmax(a); },
           [](const array& a) { return nn::softmax(a, 0); },
           [](const array& a) { return nn::glu(a, 1); }}) {
    EXPECT_TRUE(
        check_input_grads([&](const std::vector<array>& a) { return fn(a[0]); }, {rnd({2, 4}, 3)}));
  }
}

TEST(NnActivations, ModulesMatchFunctions) {
  array x = f64(kPoints, {static_cast<int>(kPoints.size())});
  std::vector<std::pair<std::shared_ptr<nn::Module>, std::function<array(const array&)>>> pairs{
      {std::make_shared<nn::ReLU>(), nn::relu},
      {std::make_shared<nn::ReLU6>(), nn::relu6},
      {std::make_shared<nn::ReLU2>(), nn::relu2},
      {std::make_shared<nn::LeakyReLU>(0.2f),
       [](const array& a) { return nn::leaky_relu(a, 0.2f); }},
      {std::make_shared<nn::ELU>(0.3f), [](const array& a) { return nn::elu(a, 0.3f); }},
      {std::make_shared<nn::SELU>(), nn::selu},
      {std::make_shared<nn::CELU>(1.5f), [](const array& a) { return nn::celu(a, 1.5f); }},
      {std::make_shared<nn::GELU>(), nn::gelu},
      {std::make_shared<nn::GELU>("precise"), nn::gelu_approx},
      {std::make_shared<nn::GELU>("tanh"), nn::gelu_approx},
      {std::make_shared<nn::GELU>("fast"), nn::gelu_fast_approx},
      {std::make_shared<nn::SiLU>(), nn::silu},
      {std::make_shared<nn::Mish>(), nn::mish},
      {std::make_shared<nn::Softplus>(), nn::softplus},
      {std::make_shared<nn::Softsign>(), nn::softsign},
      {std::make_shared<nn::Sigmoid>(), nn::sigmoid},
      {std::make_shared<nn::LogSigmoid>(), nn::log_sigmoid},
      {std::make_shared<nn::HardSigmoid>(), nn::hard_sigmoid},
      {std::make_shared<nn::Hardswish>(), nn::hard_swish},
      {std::make_shared<nn::HardTanh>(), [](const array& a) { return nn::hard_tanh(a); }},
      {std::make_shared<nn::HardShrink>(), [](const array& a) { return nn::hard_shrink(a); }},
      {std::make_shared<nn::Softshrink>(), [](const array& a) { return nn::softshrink(a); }},
      {std::make_shared<nn::Tanh>(), nn::tanh},
      {std::make_shared<nn::Step>(1.0f), [](const array& a) { return nn::step(a, 1.0f); }},
  };
  for (auto& [m, fn] : pairs) {
    SCOPED_TRACE(m->name());
    EXPECT_TRUE(close((*m)(x), fn(x), 0, 0));
    EXPECT_EQ(m->parameters().flatten().size(), 0u);
  }
  EXPECT_THROW_MSG(nn::GELU("erf"), std::invalid_argument,
                   "[GELU] The approximation should be in ['none', 'precise', 'tanh', 'fast']");
  EXPECT_THROW_MSG(nn::hard_tanh(x, 1.0f, -1.0f), std::invalid_argument, "[hard_tanh]");
}

TEST(NnActivations, PReLU) {
  array x = f64({-2, -0.5, 1, 3}, {2, 2});
  EXPECT_TRUE(close(nn::prelu(x, f64({0.1, 0.2}, {2})), {-0.2, -0.1, 1, 3}, 1e-12));
  nn::PReLU p(2, 0.25f);
  EXPECT_TRUE(close(p.param("weight"), {0.25, 0.25}));
  p.set_dtype(float64);
  EXPECT_TRUE(close(p(x), {-0.5, -0.125, 1, 3}, 1e-12));
  EXPECT_TRUE(check_param_grads(p, [&] { return p(x); }));
  EXPECT_THROW_MSG(nn::PReLU(0), std::invalid_argument, "[PReLU]");
}

// ------------------------------ init ------------------------------

TEST(NnInit, ConstantIdentityAndFans) {
  array a = zeros({3, 4});
  EXPECT_TRUE(close(nn::init::constant(2.5f)(a), std::vector<double>(12, 2.5)));
  EXPECT_EQ(nn::init::constant(1.0f, float16)(a).dtype(), float16);
  EXPECT_TRUE(close(nn::init::identity()(zeros({2, 2})), {1, 0, 0, 1}));
  EXPECT_THROW_MSG(nn::init::identity()(a), std::invalid_argument,
                   "[init.identity] The input array must be a square matrix but got shape (3,4)");
  EXPECT_EQ(nn::init::calculate_fan_in_fan_out(zeros({8, 3})), (std::pair<int, int>{3, 8}));
  EXPECT_EQ(nn::init::calculate_fan_in_fan_out(zeros({8, 2, 5, 3})), (std::pair<int, int>{30, 80}));
  EXPECT_THROW_MSG(nn::init::glorot_uniform()(zeros({3})), std::invalid_argument, "[init]");
  EXPECT_THROW_MSG(nn::init::he_normal(float32, "fan_avg"), std::invalid_argument,
                   "[init.he_normal] Invalid mode");
  EXPECT_THROW_MSG(nn::init::normal(0, 1, int32), std::invalid_argument, "[init.normal]");
}

TEST(NnInit, RandomInitialisersHaveTheirScales) {
  auto stats = [](const array& a) {
    auto v = vals(a);
    double m = 0, s = 0, mx = 0;
    for (double x : v)
      m += x, mx = std::max(mx, std::abs(x));
    m /= v.size();
    for (double x : v)
      s += (x - m) * (x - m);
    return std::tuple<double, double, double>{m, std::sqrt(s / v.size()), mx};
  };
  array w = zeros({200, 300});  // fan_in 300, fan_out 200
  auto key = random::key(5);
  {
    auto [m, s, mx] = stats(nn::init::normal(1.0f, 2.0f, float32, key)(w));
    EXPECT_NEAR(m, 1.0, 0.02);
    EXPECT_NEAR(s, 2.0, 0.02);
  }
  {
    auto [m, s, mx] = stats(nn::init::uniform(-3.0f, 1.0f, float32, key)(w));
    EXPECT_NEAR(m, -1.0, 0.02);
    EXPECT_LE(mx, 3.0);
    EXPECT_NEAR(s, 4.0 / std::sqrt(12.0), 0.02);
  }
  {
    auto [m, s, mx] = stats(nn::init::glorot_normal(float32, 1.0f, key)(w));
    EXPECT_NEAR(s, std::sqrt(2.0 / 500), 0.002);
  }
  {
    double limit = 2.0 * std::sqrt(6.0 / 500);
    auto [m, s, mx] = stats(nn::init::glorot_uniform(float32, 2.0f, key)(w));
    EXPECT_LE(mx, limit + 1e-6);
    EXPECT_NEAR(s, limit / std::sqrt(3.0), 0.002);
  }
  {
    auto [m, s, mx] = stats(nn::init::he_normal(float32, "fan_in", 1.0f, key)(w));
    EXPECT_NEAR(s, 1.0 / std::sqrt(300.0), 0.002);
    auto [m2, s2, mx2] = stats(nn::init::he_normal(float32, "fan_out", 1.0f, key)(w));
    EXPECT_NEAR(s2, 1.0 / std::sqrt(200.0), 0.002);
  }
  {
    double limit = std::sqrt(3.0 / 300);
    auto [m, s, mx] = stats(nn::init::he_uniform(float32, "fan_in", 1.0f, key)(w));
    EXPECT_LE(mx, limit + 1e-6);
    EXPECT_NEAR(s, limit / std::sqrt(3.0), 0.002);
  }
  // A fixed key gives the same values on every call; without one the global key advances.
  auto init = nn::init::normal(0, 1, float32, key);
  EXPECT_EQ(vals(init(zeros({4}))), vals(init(zeros({4}))));
  auto glob = nn::init::normal();
  EXPECT_NE(vals(glob(zeros({4}))), vals(glob(zeros({4}))));
  EXPECT_EQ(nn::init::he_uniform(float64)(w).dtype(), float64);
}
