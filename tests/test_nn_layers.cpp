// Copyright © 2026 Tandem authors.
// Basic layers: Identity, Linear, Bilinear, Sequential, Embedding, Dropout/2d/3d and the
// normalisation layers, against hand computations, with finite-difference gradient checks in
// float64 and argument errors.
#include <cmath>

#include "nn_test_util.h"

using namespace tandem;
using nntest::check_input_grads;
using nntest::check_param_grads;
using nntest::close;
using nntest::f64;
using nntest::rnd;
using nntest::vals;

namespace {

/// x (n, f) standardised along `f` per row: reference for LayerNorm.
std::vector<double> layer_norm_ref(const std::vector<double>& x, int n, int f, double eps,
                                   const std::vector<double>& w, const std::vector<double>& b) {
  std::vector<double> out(x.size());
  for (int i = 0; i < n; ++i) {
    double mu = 0, var = 0;
    for (int j = 0; j < f; ++j)
      mu += x[i * f + j];
    mu /= f;
    for (int j = 0; j < f; ++j)
      var += (x[i * f + j] - mu) * (x[i * f + j] - mu);
    var /= f;
    for (int j = 0; j < f; ++j)
      out[i * f + j] = (x[i * f + j] - mu) / std::sqrt(var + eps) * w[j] + b[j];
  }
  return out;
}

}  // namespace

// ------------------------------ Linear / Bilinear / Identity / Sequential
// ------------------------------

TEST(NnLinear, EqualsMatmulPlusBias) {
  random::seed(3);
  nn::Linear l(4, 3);
  EXPECT_EQ(l.weight().shape(), (Shape{3, 4}));
  EXPECT_EQ(l.bias().shape(), (Shape{3}));
  // Uniform init in [-1/sqrt(4), 1/sqrt(4)].
  for (double v : vals(l.weight()))
    EXPECT_LE(std::abs(v), 0.5);
  array x = rnd({2, 5, 4}, 1, -1, 1, float32);
  array want = add(matmul(x, transpose(l.weight())), l.bias());
  EXPECT_TRUE(close(l(x), want));
  nn::Linear nb(4, 3, false);
  EXPECT_FALSE(nb.has_param("bias"));
  EXPECT_TRUE(close(nb(x), matmul(x, transpose(nb.weight()))));
  EXPECT_EQ(l.extra_repr(), "input_dims=4, output_dims=3, bias=true");
}

TEST(NnLinear, Gradients) {
  nn::Linear l(3, 2);
  l.set_dtype(float64);
  array x = rnd({4, 3}, 2);
  EXPECT_TRUE(check_param_grads(l, [&] { return l(x); }));
  EXPECT_TRUE(check_input_grads([&](const std::vector<array>& a) { return l(a[0]); }, {x}));
}

TEST(NnLinear, BadInput) {
  nn::Linear l(3, 2);
  EXPECT_THROW_MSG(l(ones({2, 4})), std::invalid_argument,
                   "[Linear] Input with shape (2,4) does not match the weight with shape (2,3)");
  EXPECT_THROW_MSG(l(array(1.0f)), std::invalid_argument, "[Linear]");
  EXPECT_THROW_MSG(nn::Linear(0, 2), std::invalid_argument, "[Linear] input_dims must be positive");
}

TEST(NnBilinear, HandComputation) {
  nn::Bilinear bl(3, 2, 2);
  bl.set_dtype(float64);
  array x1 = rnd({4, 3}, 4), x2 = rnd({4, 2}, 5);
  auto w = vals(bl.param("weight"));  // (out=2, in2=2, in1=3)
  auto b = vals(bl.param("bias"));
  auto a = vals(x1), c = vals(x2);
  std::vector<double> want;
  for (int n = 0; n < 4; ++n)
    for (int k = 0; k < 2; ++k) {
      double s = b[k];
      for (int j = 0; j < 2; ++j)
        for (int i = 0; i < 3; ++i)
          s += a[n * 3 + i] * w[(k * 2 + j) * 3 + i] * c[n * 2 + j];
      want.push_back(s);
    }
  array y = bl(x1, x2);
  EXPECT_EQ(y.shape(), (Shape{4, 2}));
  EXPECT_TRUE(close(y, want, 1e-10, 1e-12));
  // Leading batch dimensions are kept.
  EXPECT_EQ(bl(reshape(x1, {2, 2, 3}), reshape(x2, {2, 2, 2})).shape(), (Shape{2, 2, 2}));
  EXPECT_TRUE(check_param_grads(bl, [&] { return bl(x1, x2); }));
  EXPECT_TRUE(
      check_input_grads([&](const std::vector<array>& v) { return bl(v[0], v[1]); }, {x1, x2}));
  EXPECT_THROW_MSG(bl(x2, x2), std::invalid_argument, "[Bilinear]");
  EXPECT_THROW_MSG(bl(x1, reshape(x2, {2, 4})), std::invalid_argument, "[Bilinear]");
}

TEST(NnSequential, ChainsLayers) {
  auto l1 = std::make_shared<nn::Linear>(3, 4);
  auto act = std::make_shared<nn::ReLU>();
  auto l2 = std::make_shared<nn::Linear>(4, 2);
  nn::Sequential seq({l1, act, l2, std::make_shared<nn::Identity>()});
  array x = rnd({5, 3}, 6, -1, 1, float32);
  EXPECT_TRUE(close(seq(x), (*l2)(nn::relu((*l1)(x)))));
  EXPECT_EQ(seq.size(), 4u);
  EXPECT_EQ(seq.layer(1).name(), "ReLU");
  auto keys = seq.parameters().flatten();
  ASSERT_EQ(keys.size(), 4u);
  EXPECT_EQ(keys[0].first, "layers.0.weight");
  EXPECT_EQ(keys[3].first, "layers.2.bias");
  EXPECT_THROW_MSG(seq.layer(7), std::invalid_argument, "[Sequential]");
  nn::Identity id;
  EXPECT_EQ(id(x).id(), x.id());
}

// ------------------------------ Embedding ------------------------------

TEST(NnEmbedding, LookupAndAsLinear) {
  nn::Embedding e(5, 3);
  e.param("weight") = reshape(astype(arange(15), float32), {5, 3});
  array idx = array({4, 0, 2, 2}, {2, 2});
  array y = e(idx);
  EXPECT_EQ(y.shape(), (Shape{2, 2, 3}));
  EXPECT_TRUE(close(y, {12, 13, 14, 0, 1, 2, 6, 7, 8, 6, 7, 8}));
  array h = array({1.0f, 0.0f, -1.0f});
  EXPECT_TRUE(close(e.as_linear(h), {-2, -2, -2, -2, -2}));
  EXPECT_THROW_MSG(e(array({1.0f})), std::invalid_argument, "[Embedding] Indices must have");
  EXPECT_THROW_MSG(e.as_linear(ones({2})), std::invalid_argument, "[Embedding]");
  // Gradient: rows gathered twice accumulate.
  e.set_dtype(float64);
  EXPECT_TRUE(check_param_grads(e, [&] { return e(idx); }));
}

// ------------------------------ Dropout ------------------------------

TEST(NnDropout, TrainingMaskAndScaling) {
  nn::Dropout d(0.25f, random::key(7));
  array x = ones({2000});
  auto v = vals(d(x));
  int zeros_n = 0;
  for (double e : v) {
    if (e == 0.0) {
      ++zeros_n;
    } else {
      EXPECT_NEAR(e, 1.0 / 0.75, 1e-6);
    }
  }
  EXPECT_NEAR(zeros_n / 2000.0, 0.25, 0.04);
  // The module key is split on each call: a second call draws a different mask.
  EXPECT_NE(vals(d(x)), v);
  // The same key gives the same masks.
  nn::Dropout d2(0.25f, random::key(7));
  EXPECT_EQ(vals(d2(x)), v);
  // Eval mode and p = 0 are the identity.
  d.eval();
  EXPECT_EQ(d(x).id(), x.id());
  nn::Dropout none(0.0f);
  EXPECT_EQ(none(x).id(), x.id());
  // Global key when no key is given.
  nn::Dropout g(0.5f);
  random::seed(11);
  auto a = vals(g(x));
  random::seed(11);
  EXPECT_EQ(vals(g(x)), a);
  EXPECT_THROW_MSG(nn::Dropout(1.0f), std::invalid_argument,
                   "[Dropout] The dropout probability 1.000000 is not in [0, 1)");
  EXPECT_THROW_MSG(nn::Dropout(-0.1f), std::invalid_argument, "[Dropout]");
  // Gradient with a fixed mask: the mask scaled by 1 / (1 - p).
  nn::Dropout fixed(0.4f);
  EXPECT_TRUE(check_input_grads(
      [&](const std::vector<array>& a) {
        fixed.set_key(random::key(9));
        return fixed(a[0]);
      },
      {rnd({3, 4}, 30)}));
}

TEST(NnDropout, ChannelDropout) {
  nn::Dropout2d d2(0.5f, random::key(3));
  array x = ones({4, 3, 5, 8});
  auto v = vals(d2(x));
  // Whole channels: for each (n, c), all (h, w) share one value.
  for (int n = 0; n < 4; ++n)
    for (int c = 0; c < 8; ++c) {
      double first = v[((n * 3 + 0) * 5 + 0) * 8 + c];
      EXPECT_TRUE(first == 0.0 || std::abs(first - 2.0) < 1e-6);
      for (int h = 0; h < 3; ++h)
        for (int w = 0; w < 5; ++w)
          EXPECT_EQ(v[((n * 3 + h) * 5 + w) * 8 + c], first);
    }
  EXPECT_EQ(d2(ones({3, 5, 8})).shape(), (Shape{3, 5, 8}));
  EXPECT_THROW_MSG(d2(ones({5, 8})), std::invalid_argument,
                   "[Dropout2d] Received input with 2 dimensions");
  nn::Dropout3d d3(0.5f, random::key(4));
  array x3 = ones({2, 2, 3, 2, 6});
  auto v3 = vals(d3(x3));
  for (int n = 0; n < 2; ++n)
    for (int c = 0; c < 6; ++c) {
      double first = v3[n * 72 + c];
      for (int s = 0; s < 12; ++s)
        EXPECT_EQ(v3[n * 72 + s * 6 + c], first);
    }
  EXPECT_THROW_MSG(d3(ones({3, 5, 8})), std::invalid_argument, "[Dropout3d]");
}

// ------------------------------ normalisation ------------------------------

TEST(NnLayerNorm, ZeroMeanUnitVarianceAndFormula) {
  nn::LayerNorm ln(6);
  array x = rnd({3, 6}, 8, -3, 5, float32);
  auto y = vals(ln(x));
  for (int i = 0; i < 3; ++i) {
    double mu = 0, var = 0;
    for (int j = 0; j < 6; ++j)
      mu += y[i * 6 + j];
    mu /= 6;
    for (int j = 0; j < 6; ++j)
      var += (y[i * 6 + j] - mu) * (y[i * 6 + j] - mu);
    var /= 6;
    EXPECT_NEAR(mu, 0.0, 1e-6);
    EXPECT_NEAR(var, 1.0, 1e-4);
  }
  std::vector<double> w{1, 2, 3, -1, 0.5, 0}, b{0.1, 0.2, 0.3, 0.4, 0.5, 0.6};
  ln.param("weight") = array(w, {6}, float32);
  ln.param("bias") = array(b, {6}, float32);
  EXPECT_TRUE(close(ln(x), layer_norm_ref(vals(x), 3, 6, 1e-5, w, b), 1e-5, 1e-5));
  nn::LayerNorm plain(6, 1e-5f, false);
  EXPECT_EQ(plain.parameters().flatten().size(), 0u);
  nn::LayerNorm nobias(6, 1e-5f, true, false);
  EXPECT_FALSE(nobias.has_param("bias"));
  // Half precision stays half.
  EXPECT_EQ(ln(astype(x, float16)).dtype(), float16);
  EXPECT_THROW_MSG(ln(ones({2, 5})), std::invalid_argument,
                   "[LayerNorm] Input with shape (2,5) must have 6 features");
}

TEST(NnLayerNorm, Gradients) {
  nn::LayerNorm ln(4);
  ln.set_dtype(float64);
  ln.param("weight") = rnd({4}, 9);
  ln.param("bias") = rnd({4}, 10);
  array x = rnd({3, 4}, 11);
  EXPECT_TRUE(check_param_grads(ln, [&] { return ln(x); }));
  EXPECT_TRUE(check_input_grads([&](const std::vector<array>& a) { return ln(a[0]); }, {x}, 1e-5));
}

TEST(NnRMSNorm, Formula) {
  nn::RMSNorm rms(3, 1e-6f);
  rms.set_dtype(float64);
  rms.param("weight") = f64({1, 2, 0.5}, {3});
  array x = f64({1, 2, 3, -1, 0, 4}, {2, 3});
  double r0 = 1 / std::sqrt((1 + 4 + 9) / 3.0 + 1e-6);
  double r1 = 1 / std::sqrt((1 + 0 + 16) / 3.0 + 1e-6);
  EXPECT_TRUE(close(rms(x), {1 * r0, 4 * r0, 1.5 * r0, -1 * r1, 0, 2 * r1}, 1e-6));
  EXPECT_TRUE(check_param_grads(rms, [&] { return rms(x); }));
  EXPECT_TRUE(check_input_grads([&](const std::vector<array>& a) { return rms(a[0]); }, {x}));
  EXPECT_THROW_MSG(rms(ones({3, 2})), std::invalid_argument, "[RMSNorm]");
}

TEST(NnGroupNorm, BothGroupings) {
  // x: (N=2, positions=3, C=4), 2 groups.
  array x = rnd({2, 3, 4}, 12);
  auto xv = vals(x);
  auto ref = [&](bool contiguous_groups) {
    std::vector<double> out(xv.size());
    for (int n = 0; n < 2; ++n)
      for (int g = 0; g < 2; ++g) {
        auto in_group = [&](int c) { return contiguous_groups ? c / 2 == g : c % 2 == g; };
        double mu = 0, var = 0;
        int cnt = 0;
        for (int p = 0; p < 3; ++p)
          for (int c = 0; c < 4; ++c)
            if (in_group(c)) mu += xv[(n * 3 + p) * 4 + c], ++cnt;
        mu /= cnt;
        for (int p = 0; p < 3; ++p)
          for (int c = 0; c < 4; ++c)
            if (in_group(c)) var += std::pow(xv[(n * 3 + p) * 4 + c] - mu, 2);
        var /= cnt;
        for (int p = 0; p < 3; ++p)
          for (int c = 0; c < 4; ++c)
            if (in_group(c))
              out[(n * 3 + p) * 4 + c] = (xv[(n * 3 + p) * 4 + c] - mu) / std::sqrt(var + 1e-5);
      }
    return out;
  };
  nn::GroupNorm mlx_style(2, 4);
  mlx_style.set_dtype(float64);
  EXPECT_TRUE(close(mlx_style(x), ref(false), 1e-9, 1e-9));
  nn::GroupNorm torch_style(2, 4, 1e-5f, true, true);
  torch_style.set_dtype(float64);
  EXPECT_TRUE(close(torch_style(x), ref(true), 1e-9, 1e-9));
  torch_style.param("weight") = rnd({4}, 13);
  EXPECT_TRUE(check_param_grads(torch_style, [&] { return torch_style(x); }));
  EXPECT_TRUE(
      check_input_grads([&](const std::vector<array>& a) { return mlx_style(a[0]); }, {x}, 1e-5));
  EXPECT_THROW_MSG(nn::GroupNorm(3, 4), std::invalid_argument,
                   "[GroupNorm] dims (4) must be divisible by num_groups (3)");
  EXPECT_THROW_MSG(mlx_style(ones({2, 3, 5}, float64)), std::invalid_argument, "[GroupNorm]");
}

TEST(NnBatchNorm, TrainingStatsRunningStatsAndEval) {
  nn::BatchNorm bn(2, 1e-5f, 0.1f);
  bn.set_dtype(float64);
  array x1 = f64({1, 10, 3, 20, 5, 60}, {3, 2});  // channel 0: 1,3,5; channel 1: 10,20,60
  array y = bn(x1);
  // Batch statistics: mean (3, 30), biased var (8/3, 1400/3).
  double v0 = 8.0 / 3, v1 = 1400.0 / 3;
  EXPECT_TRUE(close(y,
                    {(1 - 3) / std::sqrt(v0 + 1e-5), (10 - 30) / std::sqrt(v1 + 1e-5), 0,
                     (20 - 30) / std::sqrt(v1 + 1e-5), (5 - 3) / std::sqrt(v0 + 1e-5),
                     (60 - 30) / std::sqrt(v1 + 1e-5)},
                    1e-9, 1e-9));
  // Running stats: r = 0.9 r + 0.1 stat from (0, 1).
  EXPECT_TRUE(close(bn.param("running_mean"), {0.3, 3.0}, 1e-6));
  EXPECT_TRUE(close(bn.param("running_var"), {0.9 + 0.1 * v0, 0.9 + 0.1 * v1}, 1e-6));
  array x2 = f64({2, 0, 4, 0}, {2, 2});  // mean (3, 0), var (1, 0)
  bn(x2);
  EXPECT_TRUE(close(bn.param("running_mean"), {0.9 * 0.3 + 0.3, 0.9 * 3.0}, 1e-6));
  double rv0 = 0.9 * (0.9 + 0.1 * v0) + 0.1 * 1, rv1 = 0.9 * (0.9 + 0.1 * v1);
  EXPECT_TRUE(close(bn.param("running_var"), {rv0, rv1}, 1e-6));
  // Eval mode normalises with the running statistics and leaves them alone.
  bn.eval();
  array z = bn(f64({1, 1}, {1, 2}));
  EXPECT_TRUE(
      close(z, {(1 - 0.57) / std::sqrt(rv0 + 1e-5), (1 - 2.7) / std::sqrt(rv1 + 1e-5)}, 1e-6));
  EXPECT_TRUE(close(bn.param("running_mean"), {0.57, 2.7}, 1e-6));
  // 3-d and 4-d inputs reduce over all but the last axis.
  nn::BatchNorm bn4(3);
  auto y4 = vals(bn4(rnd({2, 2, 2, 3}, 14, -1, 1, float32)));
  for (int c = 0; c < 3; ++c) {
    double m = 0;
    for (int i = 0; i < 8; ++i)
      m += y4[i * 3 + c];
    EXPECT_NEAR(m / 8, 0.0, 1e-6);
  }
  EXPECT_THROW_MSG(bn4(ones({3})), std::invalid_argument,
                   "[BatchNorm] Expected input tensor to have 2, 3 or 4 dimensions, but got 1");
  EXPECT_THROW_MSG(bn4(ones({2, 2})), std::invalid_argument, "[BatchNorm]");
  // Inside nn::value_and_grad the running statistics are still updated (and can be evaluated).
  nn::BatchNorm traced(2);
  auto vg = nn::value_and_grad(
      traced, [&](const std::vector<array>& in) { return sum(square(traced(in[0]))); });
  auto [loss, grads] = vg({array({1.0f, 10.0f, 3.0f, 20.0f}, {2, 2})});
  eval(loss);
  EXPECT_TRUE(close(traced.param("running_mean"), {0.2, 1.5}, 1e-6));
  EXPECT_EQ(grads.flatten().size(), 2u);
  nn::BatchNorm no_stats(2, 1e-5f, 0.1f, false, false);
  EXPECT_EQ(no_stats.parameters().flatten().size(), 0u);
}

TEST(NnBatchNorm, Gradients) {
  nn::BatchNorm bn(3);
  bn.set_dtype(float64);
  bn.param("weight") = rnd({3}, 15);
  array x = rnd({4, 3}, 16);
  EXPECT_TRUE(check_param_grads(bn, [&] { return bn(x); }));
  EXPECT_TRUE(check_input_grads([&](const std::vector<array>& a) { return bn(a[0]); }, {x}, 1e-5));
  bn.eval();
  EXPECT_TRUE(check_input_grads([&](const std::vector<array>& a) { return bn(a[0]); }, {x}));
}

TEST(NnInstanceNorm, PerInstanceAndChannel) {
  nn::InstanceNorm in(2);
  EXPECT_EQ(in.parameters().flatten().size(), 0u);
  array x = rnd({2, 3, 2}, 17);
  auto xv = vals(x);
  std::vector<double> want(xv.size());
  for (int n = 0; n < 2; ++n)
    for (int c = 0; c < 2; ++c) {
      double mu = 0, var = 0;
      for (int p = 0; p < 3; ++p)
        mu += xv[(n * 3 + p) * 2 + c];
      mu /= 3;
      for (int p = 0; p < 3; ++p)
        var += std::pow(xv[(n * 3 + p) * 2 + c] - mu, 2);
      var /= 3;
      for (int p = 0; p < 3; ++p)
        want[(n * 3 + p) * 2 + c] = (xv[(n * 3 + p) * 2 + c] - mu) / std::sqrt(var + 1e-5);
    }
  EXPECT_TRUE(close(in(x), want, 1e-9, 1e-9));
  nn::InstanceNorm aff(2, 1e-5f, true);
  aff.set_dtype(float64);
  aff.param("weight") = rnd({2}, 18);
  EXPECT_TRUE(check_param_grads(aff, [&] { return aff(x); }));
  EXPECT_THROW_MSG(in(ones({2, 2})), std::invalid_argument, "[InstanceNorm]");
}
