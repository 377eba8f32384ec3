// Copyright © 2026 Tandem authors.
// End to end: small networks built from nn layers, trained with nn::value_and_grad and an
// optimizer, fit toy problems.
#include <chrono>
#include <cmath>

#include "nn_test_util.h"

using namespace tandem;
using nntest::rnd;
using nntest::vals;
namespace opt = tandem::optimizers;

namespace {

/// An MLP: Linear -> tanh -> Linear -> tanh -> Linear.
class MLP : public nn::Module {
 public:
  MLP(int in, int hidden, int out) {
    l1 = std::make_shared<nn::Linear>(in, hidden);
    l2 = std::make_shared<nn::Linear>(hidden, hidden);
    l3 = std::make_shared<nn::Linear>(hidden, out);
    register_modules("layers", {l1, l2, l3});
  }
  array operator()(const array& x) override { return (*l3)(nn::tanh((*l2)(nn::tanh((*l1)(x))))); }
  std::string name() const override { return "MLP"; }
  std::shared_ptr<nn::Linear> l1, l2, l3;
};

}  // namespace

TEST(OptimTraining, MlpWithAdamFitsRegression) {
  random::seed(0);
  const int n = 64;
  array x = rnd({n, 2}, 1, -1, 1, float32);
  auto xv = vals(x);
  std::vector<float> yv;
  for (int i = 0; i < n; ++i)
    yv.push_back(static_cast<float>(xv[2 * i] * xv[2 * i + 1] + 0.5 * std::sin(3 * xv[2 * i])));
  array y = array(yv, {n, 1});
  MLP model(2, 32, 1);
  opt::Adam adam(1e-2f);
  auto loss_and_grad = nn::value_and_grad(model, [&](const std::vector<array>& in) {
    return nn::losses::mse_loss(model(in[0]), in[1]);
  });
  auto t0 = std::chrono::steady_clock::now();
  float first = 0, last = 0;
  for (int it = 0; it < 600; ++it) {
    auto [loss, grads] = loss_and_grad({x, y});
    adam.update(model, grads);
    eval(model.parameters().leaves());
    eval(adam.state().leaves());
    last = loss.item<float>();
    if (it == 0) first = last;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << "[ INFO ] MLP regression: loss " << first << " -> " << last << " in " << secs << " s"
            << std::endl;
  EXPECT_LT(last, 1e-3f);
  EXPECT_LT(last, first * 0.01f);
}

TEST(OptimTraining, SequentialClassifierWithSgdMomentum) {
  // Two Gaussian blobs; Sequential(Linear, ReLU, Linear) with cross entropy.
  random::seed(1);
  const int n = 100;
  array noise = random::normal({n, 2}, float32, 0.0f, 0.5f, random::key(3));
  std::vector<int32_t> labels;
  std::vector<float> centers;
  for (int i = 0; i < n; ++i) {
    int c = i % 2;
    labels.push_back(c);
    centers.push_back(c ? 2.0f : -2.0f);
    centers.push_back(c ? -1.0f : 1.0f);
  }
  array x = add(array(centers, {n, 2}), noise);
  array t = array(labels, {n});
  nn::Sequential model({std::make_shared<nn::Linear>(2, 8), std::make_shared<nn::ReLU>(),
                        std::make_shared<nn::Linear>(8, 2)});
  opt::SGD sgd(0.1f, 0.9f);
  auto loss_and_grad = nn::value_and_grad(model, [&](const std::vector<array>& in) {
    return nn::losses::cross_entropy(model(in[0]), in[1], std::nullopt, -1, 0.0f, "mean");
  });
  float last = 0;
  for (int it = 0; it < 150; ++it) {
    auto [loss, grads] = loss_and_grad({x, t});
    auto [clipped, norm] = opt::clip_grad_norm(grads, 5.0f);
    sgd.update(model, clipped);
    eval(model.parameters().leaves());
    eval(sgd.state().leaves());
    last = loss.item<float>();
  }
  EXPECT_LT(last, 0.05f);
  auto pred = vals(argmax(model(x), -1));
  int correct = 0;
  for (int i = 0; i < n; ++i)
    correct += static_cast<int>(pred[i]) == labels[i];
  EXPECT_EQ(correct, n);
}
