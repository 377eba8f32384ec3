// Copyright © 2026 Tandem authors.
// nn::losses against hand computations (cross entropy with label smoothing, weights, probability
// targets and other axes; every other loss elementwise), reductions, gradients and errors.
#include <cmath>
#include <numbers>

#include "nn_test_util.h"

using namespace tandem;
using nntest::check_input_grads;
using nntest::close;
using nntest::f64;
using nntest::rnd;
using nntest::vals;
namespace L = tandem::nn::losses;

namespace {
double lse3(double a, double b, double c) {
  return std::log(std::exp(a) + std::exp(b) + std::exp(c));
}
double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v)
    s += x;
  return s / v.size();
}
double sum_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v)
    s += x;
  return s;
}
}  // namespace

TEST(NnLosses, CrossEntropyByHand) {
  array logits = f64({1, 2, 3, 1, 0, -1}, {2, 3});
  array targets = array({2, 0});
  double l0 = lse3(1, 2, 3), l1 = lse3(1, 0, -1);
  std::vector<double> want{l0 - 3, l1 - 1};
  EXPECT_TRUE(close(L::cross_entropy(logits, targets), want, 1e-12));
  EXPECT_NEAR(L::cross_entropy(logits, targets, std::nullopt, -1, 0, "mean").item<double>(),
              mean_of(want), 1e-12);
  EXPECT_NEAR(L::cross_entropy(logits, targets, std::nullopt, -1, 0, "sum").item<double>(),
              sum_of(want), 1e-12);
  // Label smoothing 0.1: lse - 0.9 * score - 0.1 * mean(logits).
  std::vector<double> smooth{l0 - 0.9 * 3 - 0.1 * 2, l1 - 0.9 * 1 - 0.1 * 0};
  EXPECT_TRUE(close(L::cross_entropy(logits, targets, std::nullopt, -1, 0.1f), smooth, 1e-7));
  // ... which is the cross entropy against the smoothed distribution (1 - ls) onehot + ls / C.
  array smoothed_probs =
      f64({0.1 / 3, 0.1 / 3, 0.9 + 0.1 / 3, 0.9 + 0.1 / 3, 0.1 / 3, 0.1 / 3}, {2, 3});
  EXPECT_TRUE(close(L::cross_entropy(logits, smoothed_probs), smooth, 1e-7));
  // Probability targets equal to one-hot give the index result.
  array onehot = f64({0, 0, 1, 1, 0, 0}, {2, 3});
  EXPECT_TRUE(close(L::cross_entropy(logits, onehot), want, 1e-12));
  // Weights.
  EXPECT_TRUE(close(L::cross_entropy(logits, targets, f64({2, 0.5}, {2})),
                    {2 * want[0], 0.5 * want[1]}, 1e-12));
  // Classes along axis 0.
  EXPECT_TRUE(close(L::cross_entropy(transpose(logits), targets, std::nullopt, 0), want, 1e-12));
  // Gradient: softmax - onehot (times 1 for 'sum').
  auto g = grad([&](const std::vector<array>& a) {
    return L::cross_entropy(a[0], targets, std::nullopt, -1, 0, "sum");
  })({logits});
  auto gv = vals(g[0]);
  double z0 = std::exp(l0);
  EXPECT_NEAR(gv[2], std::exp(3) / z0 - 1, 1e-12);
  EXPECT_NEAR(gv[0], std::exp(1) / z0, 1e-12);
  EXPECT_TRUE(check_input_grads(
      [&](const std::vector<array>& a) {
        return L::cross_entropy(a[0], targets, std::nullopt, -1, 0.2f);
      },
      {logits}));
  EXPECT_TRUE(check_input_grads(
      [&](const std::vector<array>& a) { return L::cross_entropy(a[0], nn::softmax(a[1])); },
      {logits, rnd({2, 3}, 1)}));
}

TEST(NnLosses, CrossEntropyErrors) {
  array logits = zeros({2, 3});
  EXPECT_THROW_MSG(L::cross_entropy(logits, array({1, 2, 0})), std::invalid_argument,
                   "[cross_entropy] Targets shape (3,) does not match logits shape (2,3)");
  EXPECT_THROW_MSG(L::cross_entropy(logits, zeros({3, 2})), std::invalid_argument,
                   "[cross_entropy] Targets shape (3,2)");
  EXPECT_THROW_MSG(L::cross_entropy(logits, array({1, 2}), std::nullopt, -1, 1.0f),
                   std::invalid_argument, "[cross_entropy] Label smoothing must be in [0, 1)");
  EXPECT_THROW_MSG(L::cross_entropy(logits, array({1, 2}), zeros({3})), std::invalid_argument,
                   "[cross_entropy] Weights with shape (3,) is not the same as output loss with "
                   "shape (2,)");
  EXPECT_THROW_MSG(L::cross_entropy(logits, array({1, 2}), std::nullopt, -1, 0, "avg"),
                   std::invalid_argument,
                   "[cross_entropy] Invalid reduction 'avg'. Must be 'none', 'mean', or 'sum'.");
  EXPECT_THROW_MSG(L::cross_entropy(logits, array({1.0f, 2.0f})), std::invalid_argument,
                   "[cross_entropy] Class-index targets must have an integer dtype");
  EXPECT_THROW_MSG(L::cross_entropy(logits, array({1, 2}), std::nullopt, 2), std::invalid_argument,
                   "[cross_entropy]");
}

TEST(NnLosses, BinaryCrossEntropy) {
  array logits = f64({0.5, -1.0, 2.0, 0.0}, {4});
  array t = f64({1, 0, 0.3, 1}, {4});
  std::vector<double> want;
  auto lv = vals(logits), tv = vals(t);
  for (int i = 0; i < 4; ++i) {
    double p = 1 / (1 + std::exp(-lv[i]));
    want.push_back(-(tv[i] * std::log(p) + (1 - tv[i]) * std::log(1 - p)));
  }
  EXPECT_NEAR(L::binary_cross_entropy(logits, t).item<double>(), mean_of(want), 1e-12);
  EXPECT_TRUE(close(L::binary_cross_entropy(logits, t, std::nullopt, true, "none"), want, 1e-12));
  EXPECT_TRUE(close(L::binary_cross_entropy(nn::sigmoid(logits), t, std::nullopt, false, "none"),
                    want, 1e-10));
  // log(0) is clipped at -100.
  EXPECT_TRUE(close(
      L::binary_cross_entropy(f64({0, 1}, {2}), f64({1, 0}, {2}), std::nullopt, false, "none"),
      {100, 100}));
  EXPECT_TRUE(close(L::binary_cross_entropy(logits, t, f64({1, 2, 0, 1}, {4}), true, "none"),
                    {want[0], 2 * want[1], 0, want[3]}, 1e-12));
  EXPECT_TRUE(check_input_grads(
      [&](const std::vector<array>& a) { return L::binary_cross_entropy(a[0], a[1]); },
      {logits, t}));
  EXPECT_THROW_MSG(L::binary_cross_entropy(logits, zeros({3})), std::invalid_argument,
                   "[binary_cross_entropy] Inputs shape (4,) does not match targets shape (3,)");
  EXPECT_THROW_MSG(L::binary_cross_entropy(logits, t, std::nullopt, true, "max"),
                   std::invalid_argument, "[binary_cross_entropy] Invalid reduction");
}

TEST(NnLosses, NllAndKl) {
  array logp = nn::log_softmax(f64({1, 2, 3, 0, 0, 1}, {2, 3}));
  auto lp = vals(logp);
  EXPECT_TRUE(close(L::nll_loss(logp, array({1, 2})), {-lp[1], -lp[5]}, 1e-12));
  EXPECT_NEAR(L::nll_loss(logp, array({1, 2}), -1, "mean").item<double>(), (-lp[1] - lp[5]) / 2,
              1e-12);
  EXPECT_TRUE(close(L::nll_loss(transpose(logp), array({1, 2}), 0), {-lp[1], -lp[5]}, 1e-12));
  EXPECT_THROW_MSG(L::nll_loss(logp, array({1, 2, 0})), std::invalid_argument, "[nll_loss]");
  // KL(q || p) with log-probabilities: sum exp(t) (t - x).
  array logq = nn::log_softmax(f64({0, 1, 0, 2, 2, 2}, {2, 3}));
  auto lq = vals(logq);
  std::vector<double> kl(2, 0.0);
  for (int r = 0; r < 2; ++r)
    for (int j = 0; j < 3; ++j)
      kl[r] += std::exp(lq[r * 3 + j]) * (lq[r * 3 + j] - lp[r * 3 + j]);
  EXPECT_TRUE(close(L::kl_div_loss(logp, logq), kl, 1e-12));
  EXPECT_NEAR(L::kl_div_loss(logq, logq, -1, "sum").item<double>(), 0.0, 1e-12);
  EXPECT_TRUE(check_input_grads(
      [&](const std::vector<array>& a) { return L::kl_div_loss(a[0], a[1]); }, {logp, logq}));
  EXPECT_THROW_MSG(L::kl_div_loss(logp, zeros({3, 2})), std::invalid_argument, "[kl_div_loss]");
}

TEST(NnLosses, RegressionLosses) {
  array p = f64({0.5, -1.0, 3.0, 0.1}, {2, 2});
  array t = f64({1.0, 1.0, 0.5, 0.1}, {2, 2});
  std::vector<double> d{-0.5, -2.0, 2.5, 0.0};
  std::vector<double> mse, l1, sl1, hub, lc;
  for (double e : d) {
    double a = std::abs(e);
    mse.push_back(e * e);
    l1.push_back(a);
    sl1.push_back(a < 1.5 ? 0.5 * a * a / 1.5 : a - 0.75);
    hub.push_back(a <= 2.0 ? 0.5 * e * e : 2.0 * (a - 1.0));
    lc.push_back(std::log(std::cosh(e)));
  }
  EXPECT_NEAR(L::mse_loss(p, t).item<double>(), mean_of(mse), 1e-12);
  EXPECT_TRUE(close(L::mse_loss(p, t, "none"), mse, 1e-12));
  EXPECT_NEAR(L::l1_loss(p, t, "sum").item<double>(), sum_of(l1), 1e-12);
  EXPECT_TRUE(close(L::smooth_l1_loss(p, t, 1.5f, "none"), sl1, 1e-12));
  EXPECT_TRUE(close(L::huber_loss(p, t, 2.0f), hub, 1e-12));
  EXPECT_TRUE(close(L::log_cosh_loss(p, t), lc, 1e-12));
  // Stable for large errors.
  EXPECT_NEAR(L::log_cosh_loss(f64({1000}, {1}), f64({0}, {1})).item<double>(),
              1000 - std::log(2.0), 1e-9);
  array ps = f64({0.5, -1.2, 3.0, 0.3}, {2, 2});  // away from the kinks
  for (auto fn : std::vector<std::function<array(const array&, const array&)>>{
           [](const array&a, const array&b) { return L::mse_loss(a, b); },
           [](const array&a, const array&b) { return L::l1_loss(a, b, "none"); },
           [](const array&a, const array&b) { return L::smooth_l1_loss(a, b, 1.5f); },
           [](const array&a, const array&b) { return L::huber_loss(a, b, 2.0f); },
           [](const array&a, const array&b) { return L::log_cosh_loss(a, b); }}) {
    EXPECT_TRUE(
        check_input_grads([&](const std::vector<array>& a) { return fn(a[0], a[1]); }, {ps, t}));
  }
  EXPECT_THROW_MSG(L::mse_loss(p, zeros({4})), std::invalid_argument,
                   "[mse_loss] Predictions shape (2,2) does not match targets shape (4,)");
  EXPECT_THROW_MSG(L::l1_loss(p, t, "mea"), std::invalid_argument, "[l1_loss] Invalid reduction");
  EXPECT_THROW_MSG(L::smooth_l1_loss(p, zeros({4})), std::invalid_argument, "[smooth_l1_loss]");
  EXPECT_THROW_MSG(L::huber_loss(p, zeros({4})), std::invalid_argument, "[huber_loss]");
  EXPECT_THROW_MSG(L::log_cosh_loss(p, t, "x"), std::invalid_argument, "[log_cosh_loss]");
}

TEST(NnLosses, GaussianNll) {
  array x = f64({0.0, 1.0, 2.0}, {3}), t = f64({0.5, 1.0, -1.0}, {3}), v = f64({1.0, 0.25, 0}, {3});
  std::vector<double> want;
  std::vector<double> xv{0, 1, 2}, tv{0.5, 1, -1}, vv{1, 0.25, 1e-6};
  for (int i = 0; i < 3; ++i)
    want.push_back(0.5 * (std::log(vv[i]) + std::pow(tv[i] - xv[i], 2) / vv[i]));
  EXPECT_TRUE(close(L::gaussian_nll_loss(x, t, v, false, 1e-6f, "none"), want, 1e-6));
  double c = 0.5 * std::log(2 * std::numbers::pi);
  array v2 = f64({1.0, 0.25, 0.5}, {3});
  double full = 0;
  for (int i = 0; i < 3; ++i)
    full += 0.5 * (std::log(vals(v2)[i]) + std::pow(tv[i] - xv[i], 2) / vals(v2)[i]) + c;
  EXPECT_NEAR(L::gaussian_nll_loss(x, t, v2, true).item<double>(), full / 3, 1e-12);
  EXPECT_TRUE(check_input_grads(
      [&](const std::vector<array>& a) { return L::gaussian_nll_loss(a[0], a[1], a[2]); },
      {x, t, f64({1.0, 0.25, 2.0}, {3})}));
  EXPECT_THROW_MSG(L::gaussian_nll_loss(x, t, zeros({2})), std::invalid_argument,
                   "[gaussian_nll_loss] Inputs shape (3,) does not match vars shape (2,)");
}

TEST(NnLosses, MarginLosses) {
  array x = f64({0.5, -2.0, 1.5}, {3}), y = f64({1, 1, -1}, {3});
  EXPECT_TRUE(close(L::hinge_loss(x, y), {0.5, 3.0, 2.5}, 1e-12));
  array a = f64({1, 2, 3}, {3});
  EXPECT_TRUE(close(L::margin_ranking_loss(x, a, y, 0.5f), {1.0, 4.5, 0.0}, 1e-12));
  EXPECT_THROW_MSG(L::margin_ranking_loss(x, zeros({2}), y), std::invalid_argument,
                   "[margin_ranking_loss] The shapes of the arguments do not match");
  EXPECT_THROW_MSG(L::hinge_loss(x, zeros({2})), std::invalid_argument, "[hinge_loss]");
  // Triplet: max(|a - p| - |a - n| + margin, 0) with eps inside the square root.
  array an = f64({0, 0, 1, 1}, {2, 2}), po = f64({3, 4, 1, 1}, {2, 2}),
        ne = f64({0, 1, 4, 5}, {2, 2});
  EXPECT_TRUE(close(L::triplet_loss(an, po, ne, -1, 2, 1.0f, 0.0f), {5.0, 0.0}, 1e-12));
  EXPECT_TRUE(close(L::triplet_loss(an, po, ne, -1, 2, 1.0f), {5.0, 0.0}, 1e-5));
  EXPECT_TRUE(check_input_grads(
      [&](const std::vector<array>& v) { return L::triplet_loss(v[0], v[1], v[2]); },
      {rnd({2, 3}, 3), rnd({2, 3}, 4), rnd({2, 3}, 5, 2, 3)}));
  EXPECT_THROW_MSG(L::triplet_loss(an, po, zeros({2})), std::invalid_argument, "[triplet_loss]");
}

TEST(NnLosses, CosineSimilarity) {
  array x1 = f64({1, 0, 1, 1, 2, 0}, {2, 3}), x2 = f64({2, 0, 2, -1, 1, 5}, {2, 3});
  // Along axis 1: rows (1,0,1)·(2,0,2) = 4 / (sqrt2 * sqrt8) = 1; (1,2,0)·(-1,1,5) = 1 / (sqrt5
  // sqrt27).
  EXPECT_TRUE(close(L::cosine_similarity_loss(x1, x2), {1.0, 1 / std::sqrt(5.0 * 27)}, 1e-12));
  EXPECT_EQ(L::cosine_similarity_loss(x1, x2, 0).shape(), (Shape{3}));
  EXPECT_NEAR(L::cosine_similarity_loss(x1, x2, 1, 1e-8f, "mean").item<double>(),
              (1 + 1 / std::sqrt(135.0)) / 2, 1e-12);
  EXPECT_TRUE(check_input_grads(
      [&](const std::vector<array>& a) { return L::cosine_similarity_loss(a[0], a[1]); },
      {x1, x2}));
  EXPECT_THROW_MSG(L::cosine_similarity_loss(x1, zeros({3, 2})), std::invalid_argument,
                   "[cosine_similarity_loss]");
}
