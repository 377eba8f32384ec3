// Copyright © 2026 Tandem authors.
// Optimizers against their update formulas computed by hand for the first steps, the Optimizer
// base (state tree, schedules inside optimizers, trees with lists, state files), schedules and
// clip_grad_norm.
#include <cmath>
#include <cstdio>
#include <numbers>

#include "nn_test_util.h"

using namespace tandem;
using nntest::close;
using nntest::f64;
using nntest::rnd;
using nntest::vals;
namespace opt = tandem::optimizers;
using nn::Params;

namespace {

using Vec = std::vector<double>;

/// Params {"w": array} in float64.
Params one(const Vec& v) {
  Params p;
  p["w"] = f64(v, {static_cast<int>(v.size())});
  return p;
}
Vec w_of(const Params& p) {
  return vals(p.at("w").as_array());
}

/// Runs `steps` updates with gradients grads[k] starting from p0; returns the parameters after
/// each step.
std::vector<Vec> run(opt::Optimizer& o, Vec p0, const std::vector<Vec>& grads) {
  std::vector<Vec> out;
  Params p = one(p0);
  for (auto& g : grads) {
    p = o.apply_gradients(one(g), p);
    out.push_back(w_of(p));
  }
  return out;
}

const Vec kP0{1.0, -2.0, 0.5};
const std::vector<Vec> kGrads{{0.1, -0.3, 2.0}, {-0.2, 0.4, 1.0}, {0.3, 0.0, -0.5}};

void expect_vec(const Vec& got, const Vec& want, double tol = 1e-6) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], tol * (1 + std::abs(want[i]))) << "element " << i;
}

}  // namespace

TEST(OptimSGD, PlainMomentumNesterovDampeningDecay) {
  {
    opt::SGD sgd(0.1f);
    auto r = run(sgd, kP0, kGrads);
    Vec p = kP0;
    for (size_t s = 0; s < kGrads.size(); ++s) {
      for (size_t i = 0; i < p.size(); ++i)
        p[i] -= 0.1 * kGrads[s][i];
      expect_vec(r[s], p);
    }
  }
  for (int variant = 0; variant < 4; ++variant) {
    // 0: momentum, 1: nesterov, 2: dampening, 3: weight decay + momentum
    SCOPED_TRACE(variant);
    float mom = 0.9f, damp = variant == 2 ? 0.3f : 0.0f, wd = variant == 3 ? 0.01f : 0.0f;
    bool nest = variant == 1;
    opt::SGD sgd(0.05, mom, wd, damp, nest);
    auto r = run(sgd, kP0, kGrads);
    Vec p = kP0, v(3, 0.0);
    for (size_t s = 0; s < kGrads.size(); ++s) {
      for (size_t i = 0; i < 3; ++i) {
        double g = kGrads[s][i] + wd * p[i];
        v[i] = mom * v[i] + (damp > 0 ? (1 - damp) * g : g);
        double upd = nest ? g + mom * v[i] : v[i];
        p[i] -= 0.05 * upd;
      }
      expect_vec(r[s], p);
    }
    expect_vec(vals(sgd.state().at("w").at("v").as_array()), v);
  }
  EXPECT_THROW_MSG(opt::SGD(0.1f, 0.0f, 0.0f, 0.0f, true), std::invalid_argument,
                   "[SGD] Nesterov momentum requires a momentum and zero dampening.");
  EXPECT_THROW_MSG(opt::SGD(0.1f, 0.9f, 0.0f, 0.1f, true), std::invalid_argument, "[SGD]");
}

TEST(OptimAdam, FirstStepsByHand) {
  for (bool bc : {false, true}) {
    SCOPED_TRACE(bc ? "bias_correction" : "plain");
    const double lr = 0.01, b1 = 0.8, b2 = 0.9, eps = 1e-6;
    opt::Adam adam(0.01f, {0.8f, 0.9f}, 1e-6f, bc);
    auto r = run(adam, kP0, kGrads);
    Vec p = kP0, m(3, 0.0), v(3, 0.0);
    for (size_t s = 0; s < kGrads.size(); ++s) {
      int t = static_cast<int>(s) + 1;
      for (size_t i = 0; i < 3; ++i) {
        double g = kGrads[s][i];
        m[i] = b1 * m[i] + (1 - b1) * g;
        v[i] = b2 * v[i] + (1 - b2) * g * g;
        if (bc) {
          p[i] -= lr / (1 - std::pow(b1, t)) * m[i] /
                  (std::sqrt(v[i]) / std::sqrt(1 - std::pow(b2, t)) + eps);
        } else {
          p[i] -= lr * m[i] / (std::sqrt(v[i]) + eps);
        }
      }
      expect_vec(r[s], p);
    }
    EXPECT_EQ(adam.step().item<uint64_t>(), 3u);
    expect_vec(vals(adam.state().at("w").at("m").as_array()), m);
  }
  // Without bias correction (MLX's default) the first step moves each coordinate by
  // lr (1 - b1) / sqrt(1 - b2) * sign(g), about 3.16 lr.
  opt::Adam adam(0.1f);
  auto r = run(adam, {0.0, 0.0}, {{3.0, -0.001}});
  double first = 0.1 * 0.1 / std::sqrt(0.001);
  expect_vec(r[0], {-first, first}, 1e-4);
  EXPECT_THROW_MSG(opt::Adam(0.1f, {0.9f}), std::invalid_argument,
                   "[Adam] betas must hold 2 values; got 1.");
  EXPECT_THROW_MSG(opt::Adam(0.1f, {0.9f, 0.99f}, -1.0f), std::invalid_argument,
                   "[Adam] Epsilon value should be >=0");
}

TEST(OptimAdamW, DecoupledDecay) {
  const double lr = 0.01, wd = 0.1, b1 = 0.9, b2 = 0.999, eps = 1e-8;
  opt::AdamW adamw(0.01f, {0.9f, 0.999f}, 1e-8f, 0.1f);
  auto r = run(adamw, kP0, kGrads);
  Vec p = kP0, m(3, 0.0), v(3, 0.0);
  for (size_t s = 0; s < kGrads.size(); ++s) {
    for (size_t i = 0; i < 3; ++i) {
      double g = kGrads[s][i];
      p[i] *= 1 - lr * wd;
      m[i] = b1 * m[i] + (1 - b1) * g;
      v[i] = b2 * v[i] + (1 - b2) * g * g;
      p[i] -= lr * m[i] / (std::sqrt(v[i]) + eps);
    }
    expect_vec(r[s], p);
  }
  EXPECT_EQ(adamw.name(), "AdamW");
}

TEST(OptimOthers, AdamaxAdagradAdaDeltaRMSpropLion) {
  {
    opt::Adamax o(0.02f, {0.9f, 0.99f}, 1e-8f);
    auto r = run(o, kP0, kGrads);
    Vec p = kP0, m(3, 0.0), v(3, 0.0);
    for (size_t s = 0; s < kGrads.size(); ++s) {
      for (size_t i = 0; i < 3; ++i) {
        double g = kGrads[s][i];
        m[i] = 0.9 * m[i] + 0.1 * g;
        v[i] = std::max(0.99 * v[i], std::abs(g));
        p[i] -= 0.02 * m[i] / (v[i] + 1e-8);
      }
      expect_vec(r[s], p);
    }
  }
  {
    opt::Adagrad o(0.1f);
    auto r = run(o, kP0, kGrads);
    Vec p = kP0, v(3, 0.0);
    for (size_t s = 0; s < kGrads.size(); ++s) {
      for (size_t i = 0; i < 3; ++i) {
        double g = kGrads[s][i];
        v[i] += g * g;
        p[i] -= 0.1 * g / (std::sqrt(v[i]) + 1e-8);
      }
      expect_vec(r[s], p);
    }
  }
  {
    opt::AdaDelta o(1.0f, 0.9f, 1e-6f);
    auto r = run(o, kP0, kGrads);
    Vec p = kP0, v(3, 0.0), u(3, 0.0);
    for (size_t s = 0; s < kGrads.size(); ++s) {
      for (size_t i = 0; i < 3; ++i) {
        double g = kGrads[s][i];
        v[i] = 0.9 * v[i] + 0.1 * g * g;
        double d = std::sqrt(u[i] + 1e-6) / std::sqrt(v[i] + 1e-6) * g;
        u[i] = 0.9 * u[i] + 0.1 * d * d;
        p[i] -= d;
      }
      expect_vec(r[s], p, 1e-5);
    }
  }
  {
    opt::RMSprop o(0.01f, 0.9f);
    auto r = run(o, kP0, kGrads);
    Vec p = kP0, v(3, 0.0);
    for (size_t s = 0; s < kGrads.size(); ++s) {
      for (size_t i = 0; i < 3; ++i) {
        double g = kGrads[s][i];
        v[i] = 0.9 * v[i] + 0.1 * g * g;
        p[i] -= 0.01 * g / (std::sqrt(v[i]) + 1e-8);
      }
      expect_vec(r[s], p);
    }
  }
  {
    opt::Lion o(0.01f, {0.9f, 0.99f}, 0.1f);
    auto r = run(o, kP0, kGrads);
    Vec p = kP0, m(3, 0.0);
    for (size_t s = 0; s < kGrads.size(); ++s) {
      for (size_t i = 0; i < 3; ++i) {
        double g = kGrads[s][i];
        p[i] *= 1 - 0.01 * 0.1;
        double c = 0.9 * m[i] + 0.1 * g;
        m[i] = 0.99 * m[i] + 0.01 * g;
        p[i] -= 0.01 * (c > 0 ? 1 : (c < 0 ? -1 : 0));
      }
      expect_vec(r[s], p);
    }
  }
  EXPECT_THROW_MSG(opt::AdaDelta(1.0f, 1.5f), std::invalid_argument,
                   "[AdaDelta] Rho value should be in range [0, 1]");
  EXPECT_THROW_MSG(opt::RMSprop(0.1f, -0.5f), std::invalid_argument,
                   "[RMSprop] Alpha value should be >=0");
  EXPECT_THROW_MSG(opt::Adagrad(0.1f, -1.0f), std::invalid_argument, "[Adagrad]");
  EXPECT_THROW_MSG(opt::Adamax(0.1f, {0.9f, 0.9f, 0.9f}), std::invalid_argument, "[Adamax]");
  EXPECT_THROW_MSG(opt::Lion(0.1f, {}), std::invalid_argument, "[Lion]");
}

TEST(OptimAdafactor, VectorAndFactoredSteps) {
  // 1-d parameter, relative step: lr_t = max(eps2, rms(p)) * min(1e-2, 1/sqrt(t)).
  {
    opt::Adafactor o;
    auto r = run(o, kP0, kGrads);
    Vec p = kP0, sq(3, 0.0);
    for (size_t s = 0; s < kGrads.size(); ++s) {
      double t = s + 1.0;
      double prms = std::sqrt((p[0] * p[0] + p[1] * p[1] + p[2] * p[2]) / 3);
      double lr = std::max(1e-3, prms) * std::min(1e-2, 1 / std::sqrt(t));
      double beta2 = 1 - std::pow(t, -0.8);
      Vec upd(3);
      for (int i = 0; i < 3; ++i) {
        double g = kGrads[s][i];
        sq[i] = beta2 * sq[i] + (1 - beta2) * (g * g + 1e-30);
        upd[i] = g / std::sqrt(sq[i]);
      }
      double urms = std::sqrt((upd[0] * upd[0] + upd[1] * upd[1] + upd[2] * upd[2]) / 3);
      for (int i = 0; i < 3; ++i)
        p[i] -= lr * upd[i] / std::max(1.0, urms / 1.0);
      expect_vec(r[s], p, 1e-5);
    }
  }
  // 2-d parameter: factored second moments, one step with an explicit learning rate.
  {
    opt::Adafactor o(0.5f, {1e-30f, 1e-3f}, 1.0f, -0.8f, std::nullopt, 0.0f, false, false);
    Vec p0{1, 2, 3, 4, 5, 6}, g{0.1, -0.2, 0.3, 0.4, -0.5, 0.6};
    Params p;
    p["w"] = f64(p0, {2, 3});
    Params gr;
    gr["w"] = f64(g, {2, 3});
    auto out = vals(o.apply_gradients(gr, p).at("w").as_array());
    // t = 1: beta2 = 0, so row = mean_j(g^2 + eps1), col = mean_i(g^2 + eps1).
    Vec row(2, 0.0), col(3, 0.0);
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 3; ++j) {
        row[i] += (g[i * 3 + j] * g[i * 3 + j] + 1e-30) / 3;
        col[j] += (g[i * 3 + j] * g[i * 3 + j] + 1e-30) / 2;
      }
    double rmean = (row[0] + row[1]) / 2;
    Vec upd(6);
    double ss = 0;
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 3; ++j) {
        upd[i * 3 + j] = 1 / std::sqrt(row[i] / rmean) / std::sqrt(col[j]) * g[i * 3 + j];
        ss += upd[i * 3 + j] * upd[i * 3 + j];
      }
    double urms = std::sqrt(ss / 6);
    Vec want(6);
    for (int k = 0; k < 6; ++k)
      want[k] = p0[k] - 0.5 * upd[k] / std::max(1.0, urms);
    expect_vec(out, want, 1e-5);
    EXPECT_EQ(o.state().at("w").at("exp_avg_sq_row").as_array().shape(), (Shape{2}));
    EXPECT_EQ(o.state().at("w").at("exp_avg_sq_col").as_array().shape(), (Shape{3}));
  }
  EXPECT_THROW_MSG(
      opt::Adafactor(std::nullopt, {1e-30f, 1e-3f}, 1.0f, -0.8f, std::nullopt, 0.0f, true, false),
      std::invalid_argument, "[Adafactor] A learning_rate is required");
  // With beta_1 the first moment exists.
  opt::Adafactor with_m(std::nullopt, {1e-30f, 1e-3f}, 1.0f, -0.8f, 0.9f);
  run(with_m, kP0, kGrads);
  EXPECT_TRUE(with_m.state().at("w").contains("exp_avg"));
}

TEST(OptimMuon, NewtonSchulzAndUpdate) {
  array g = rnd({4, 6}, 21);
  // Reference quintic iteration in double precision.
  auto gv = vals(g);
  int R = 4, C = 6;
  double norm = 0;
  for (double x : gv)
    norm += x * x;
  norm = std::sqrt(norm);
  Vec X(gv);
  for (auto& x : X)
    x /= norm + 1e-7;
  auto mm = [](const Vec& a, const Vec& b, int n, int k, int m) {
    Vec c(n * m, 0.0);
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < m; ++j)
        for (int l = 0; l < k; ++l)
          c[i * m + j] += a[i * k + l] * b[l * m + j];
    return c;
  };
  auto tr = [](const Vec& a, int n, int m) {
    Vec t(a.size());
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < m; ++j)
        t[j * n + i] = a[i * m + j];
    return t;
  };
  for (int s = 0; s < 5; ++s) {
    Vec A = mm(X, tr(X, R, C), R, C, R);
    Vec AA = mm(A, A, R, R, R);
    Vec B(A.size());
    for (size_t i = 0; i < A.size(); ++i)
      B[i] = -4.7750 * A[i] + 2.0315 * AA[i];
    Vec BX = mm(B, X, R, R, C);
    for (size_t i = 0; i < X.size(); ++i)
      X[i] = 3.4445 * X[i] + BX[i];
  }
  array ns = opt::newton_schulz5(g);
  EXPECT_TRUE(close(ns, X, 1e-9, 1e-12));
  // Roughly orthogonal rows: the diagonal of X X^T lies near 1.
  Vec xxt = mm(X, tr(X, R, C), R, C, R);
  for (int i = 0; i < R; ++i) {
    EXPECT_GT(xxt[i * R + i], 0.4);
    EXPECT_LT(xxt[i * R + i], 1.6);
  }
  // Tall matrices are transposed and back.
  EXPECT_TRUE(close(opt::newton_schulz5(transpose(g)), transpose(ns), 1e-9, 1e-12));
  EXPECT_THROW_MSG(opt::newton_schulz5(ones({3})), std::invalid_argument, "[newton_schulz5]");

  // One Muon step on a 2-d parameter (tall: 6 x 4, lr scaled by sqrt(6/4)) and a 1-d one.
  opt::Muon muon(0.1f, 0.9f, 0.0f, true);
  Params p, gr;
  p["W"] = zeros({6, 4}, float64);
  p["b"] = f64({1, 1}, {2});
  gr["W"] = transpose(g);
  gr["b"] = f64({0.5, -0.5}, {2});
  auto out = muon.apply_gradients(gr, p);
  // v = 0.1 g; nesterov update = 0.1 g + 0.9 v = 0.19 g; NS is scale invariant.
  array want_W = multiply(opt::newton_schulz5(multiply(transpose(g), array(0.19, float64))),
                          array(-0.1 * std::sqrt(6.0 / 4.0), float64));
  // (The learning rate is stored in float32, as in MLX: 0.1f differs from 0.1 by 1.5e-8.)
  EXPECT_TRUE(close(out.at("W").as_array(), want_W, 1e-7, 1e-12));
  EXPECT_TRUE(close(out.at("b").as_array(), {1 - 0.1 * 0.19 * 0.5, 1 + 0.1 * 0.19 * 0.5}, 1e-7));
  // Weight decay is added to the gradient.
  opt::Muon decay(0.1f, 0.0f, 0.5f, false);
  EXPECT_TRUE(close(decay.apply_gradients(one({0.0}), one({2.0})).at("w").as_array(),
                    {2 - 0.1 * (0 + 0.5 * 2)}, 1e-9));
}

TEST(OptimBase, TreesSchedulesAndStepOrder) {
  // The schedule is evaluated at the step before the update (0 for the first update).
  opt::SGD sgd(opt::Schedule(opt::linear_schedule(1.0f, 0.0f, 4)));
  EXPECT_NEAR(sgd.learning_rate().item<float>(), 1.0f, 1e-7);
  Params p = one({0.0});
  std::vector<double> got;
  for (int s = 0; s < 5; ++s) {
    p = sgd.apply_gradients(one({1.0}), p);
    got.push_back(sgd.learning_rate().item<float>());
  }
  expect_vec(got, {1.0, 0.75, 0.5, 0.25, 0.0});
  expect_vec(w_of(p), {-(1.0 + 0.75 + 0.5 + 0.25 + 0.0)});
  sgd.set_learning_rate(0.5f);
  p = sgd.apply_gradients(one({1.0}), p);
  expect_vec(w_of(p), {-3.0});
  EXPECT_EQ(sgd.step().item<uint64_t>(), 6u);

  // Nested trees with lists, empty entries and partial gradients.
  Params params;
  params["layers"] = Params::list({Params::dict(), Params::dict()});
  params["layers"][0]["w"] = f64({1, 2}, {2});
  params["layers"][1]["w"] = f64({3}, {1});
  params["head"] = f64({5}, {1});
  Params grads;
  grads["layers"] = Params::list({Params::dict(), Params::dict()});
  grads["layers"][1]["w"] = f64({1}, {1});
  grads["head"] = f64({2}, {1});
  opt::Adam adam(0.1f);
  auto out = adam.apply_gradients(grads, params);
  EXPECT_FALSE(out.at("layers").at(0).contains("w"));
  double first = 0.1 * 0.1 / std::sqrt(0.001);  // the first Adam step, see above
  EXPECT_TRUE(close(out.at("layers").at(1).at("w").as_array(), {3 - first}, 1e-6));
  EXPECT_TRUE(close(out.at("head").as_array(), {5 - first}, 1e-6));
  EXPECT_TRUE(adam.state().at("layers").at(1).at("w").contains("m"));
  // Gradients of the wrong shape or with no parameter are errors.
  Params bad;
  bad["head"] = f64({1, 2}, {2});
  EXPECT_THROW_MSG(
      adam.apply_gradients(bad, params), std::invalid_argument,
      "[Adam] The gradient at \"head\" has shape (2,) but the parameter has shape (1,)");
  Params extra;
  extra["tail"] = f64({1}, {1});
  EXPECT_THROW_MSG(adam.apply_gradients(extra, params), std::invalid_argument,
                   "[Adam] No parameter for the gradient \"tail\"");
  // init() creates every state buffer up front.
  opt::RMSprop rms(0.1f);
  rms.init(params);
  EXPECT_TRUE(rms.state().at("layers").at(0).at("w").contains("v"));
}

TEST(OptimBase, UpdateModelAndStateRoundTrip) {
  random::seed(5);
  nn::Linear a(3, 2), b(3, 2);
  b.update(a.parameters());
  array x = rnd({4, 3}, 22, -1, 1, float32), y = rnd({4, 2}, 23, -1, 1, float32);
  auto step = [&](nn::Linear& m, opt::Optimizer& o) {
    auto vg = nn::value_and_grad(
        m, [&](const std::vector<array>& in) { return nn::losses::mse_loss(m(in[0]), in[1]); });
    auto [loss, grads] = vg({x, y});
    o.update(m, grads);
    eval(m.parameters().leaves());
    eval(o.state().leaves());
    return loss.item<float>();
  };
  opt::Adam oa(0.05f, {0.9f, 0.999f}, 1e-8f, true);
  opt::Adam ob(0.05f, {0.9f, 0.999f}, 1e-8f, true);
  for (int i = 0; i < 3; ++i) {
    step(a, oa);
    step(b, ob);
  }
  auto path = nntest::temp_path("adam_state.tdw");
  oa.save_state(path);
  opt::Adam oc(0.05f, {0.9f, 0.999f}, 1e-8f, true);
  oc.load_state(path);
  EXPECT_EQ(oc.step().item<uint64_t>(), 3u);
  // Continuing from the loaded state matches continuing the original.
  for (int i = 0; i < 2; ++i) {
    step(a, oc);
    step(b, ob);
  }
  auto pa = a.parameters().flatten(), pb = b.parameters().flatten();
  for (size_t i = 0; i < pa.size(); ++i)
    EXPECT_TRUE(close(pa[i].second, pb[i].second, 1e-6, 1e-7)) << pa[i].first;
  nn::save_arrays(path, {{"x", zeros({2})}});
  EXPECT_THROW_MSG(oc.load_state(path), std::invalid_argument,
                   "[Optimizer.load_state] '" + path + "' holds no optimizer state");
  std::remove(path.c_str());
}

// ------------------------------ schedules ------------------------------

TEST(OptimSchedules, ValuesAtSteps) {
  auto at = [](const opt::Schedule& s, int step) {
    return s(array(static_cast<uint64_t>(step), uint64)).item<float>();
  };
  auto exp_d = opt::exponential_decay(0.1f, 0.9f);
  EXPECT_NEAR(at(exp_d, 0), 0.1, 1e-7);
  EXPECT_NEAR(at(exp_d, 5), 0.1 * std::pow(0.9, 5), 1e-7);
  auto step_d = opt::step_decay(1.0f, 0.5f, 10);
  EXPECT_NEAR(at(step_d, 9), 1.0, 1e-7);
  EXPECT_NEAR(at(step_d, 10), 0.5, 1e-7);
  EXPECT_NEAR(at(step_d, 35), 0.125, 1e-7);
  auto cos_d = opt::cosine_decay(1.0f, 100, 0.1f);
  EXPECT_NEAR(at(cos_d, 0), 1.0, 1e-6);
  EXPECT_NEAR(at(cos_d, 50), 0.1 + 0.9 * 0.5, 1e-6);
  EXPECT_NEAR(at(cos_d, 25), 0.1 + 0.9 * 0.5 * (1 + std::cos(std::numbers::pi / 4)), 1e-6);
  EXPECT_NEAR(at(cos_d, 100), 0.1, 1e-6);
  EXPECT_NEAR(at(cos_d, 1000), 0.1, 1e-6);
  auto lin = opt::linear_schedule(0.0f, 1.0f, 10);
  EXPECT_NEAR(at(lin, 3), 0.3, 1e-6);
  EXPECT_NEAR(at(lin, 20), 1.0, 1e-6);
  // Warm-up then cosine decay.
  auto warm = opt::join_schedules({opt::linear_schedule(0.0f, 1.0f, 10), cos_d}, {10});
  EXPECT_NEAR(at(warm, 0), 0.0, 1e-6);
  EXPECT_NEAR(at(warm, 5), 0.5, 1e-6);
  EXPECT_NEAR(at(warm, 10), 1.0, 1e-6);
  EXPECT_NEAR(at(warm, 60), 0.1 + 0.9 * 0.5, 1e-6);
  auto three =
      opt::join_schedules({opt::exponential_decay(1.0f, 1.0f), opt::exponential_decay(2.0f, 1.0f),
                           opt::exponential_decay(3.0f, 1.0f)},
                          {2, 5});
  EXPECT_EQ(at(three, 1), 1.0f);
  EXPECT_EQ(at(three, 2), 2.0f);
  EXPECT_EQ(at(three, 5), 3.0f);
  // int32 steps work too.
  EXPECT_NEAR(lin(array(4)).item<float>(), 0.4, 1e-6);
  EXPECT_THROW_MSG(opt::linear_schedule(0, 1, 0), std::invalid_argument,
                   "[linear_schedule] steps must be greater than 0, but got 0.");
  EXPECT_THROW_MSG(opt::join_schedules({}, {}), std::invalid_argument,
                   "[join_schedules] Must provide at least 1 schedule.");
  EXPECT_THROW_MSG(opt::join_schedules({lin, lin}, {1, 2}), std::invalid_argument,
                   "[join_schedules] Received 2 boundaries but expected 1.");
  EXPECT_THROW_MSG(opt::step_decay(1, 0.5f, 0), std::invalid_argument, "[step_decay]");
  EXPECT_THROW_MSG(opt::cosine_decay(1, 0), std::invalid_argument, "[cosine_decay]");
}

TEST(OptimClipGradNorm, ScalesOnlyAboveTheLimit) {
  Params g;
  g["a"] = f64({3, 0}, {2});
  g["b"]["c"] = f64({0, 4}, {2});  // global norm 5
  auto [clipped, norm] = opt::clip_grad_norm(g, 1.0f);
  EXPECT_NEAR(norm.item<float>(), 5.0, 1e-6);
  EXPECT_TRUE(close(clipped.at("a").as_array(), {3 / (5 + 1e-6), 0}, 1e-6));
  EXPECT_TRUE(close(clipped.at("b").at("c").as_array(), {0, 4 / (5 + 1e-6)}, 1e-6));
  auto [same, n2] = opt::clip_grad_norm(g, 10.0f);
  EXPECT_TRUE(close(same.at("a").as_array(), {3, 0}, 1e-7));
  EXPECT_EQ(same.at("a").as_array().dtype(), float64);
  EXPECT_THROW_MSG(opt::clip_grad_norm(g, -1.0f), std::invalid_argument, "[clip_grad_norm]");
}
