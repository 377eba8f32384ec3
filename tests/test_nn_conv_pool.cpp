// Copyright © 2026 Tandem authors.
// Convolution, pooling and upsampling layers: Conv1d/2d/3d against the conv ops and by hand,
// ConvTranspose as the adjoint of conv, MaxPool/AvgPool against a naive window loop (padding,
// stride, both implementation paths), Upsample nearest/linear/cubic by hand (align_corners
// cases), parameter shapes and initialisation, finite-difference gradients in float64, and
// argument errors.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "nn_test_util.h"

using namespace tandem;
using nntest::check_input_grads;
using nntest::check_param_grads;
using nntest::close;
using nntest::f64;
using nntest::rnd;
using nntest::vals;

namespace {

/// sum(a * b) as a double.
double dot(const array& a, const array& b) {
  return sum(multiply(astype(a, float64), astype(b, float64))).item<double>();
}

/// Distinct values (a shuffled ramp with spacing 0.1, centred): no ties in max pooling, so the
/// maximum is differentiable at every point.
array distinct(const Shape& shape, uint32_t seed) {
  size_t n = nntest::numel(shape);
  std::vector<double> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = 0.1 * static_cast<double>(i) - 0.05 * static_cast<double>(n);
  std::mt19937 gen(seed);
  std::shuffle(v.begin(), v.end(), gen);
  return f64(v, shape);
}

/// Naive pooling of x (N, S..., C) with 1 to 3 spatial axes: every window of the padded input
/// (padding counts as -inf for max, 0 for mean), reduced by a loop.
std::vector<double> pool_ref(const array& x, const std::vector<int>& k, const std::vector<int>& s,
                             const std::vector<int>& p, bool is_max, Shape& out_shape) {
  auto xv = vals(x);
  const Shape& sh = x.shape();
  int d = static_cast<int>(k.size());
  int N = sh[0], C = sh.back();
  std::vector<int> S(3, 1), K(3, 1), St(3, 1), P(3, 0), O(3, 1);
  for (int i = 0; i < d; ++i) {
    S[i] = sh[i + 1];
    K[i] = k[i];
    St[i] = s[i];
    P[i] = p[i];
    O[i] = (S[i] + 2 * P[i] - K[i]) / St[i] + 1;
  }
  out_shape = {N};
  for (int i = 0; i < d; ++i)
    out_shape.push_back(O[i]);
  out_shape.push_back(C);
  std::vector<double> out;
  for (int n = 0; n < N; ++n)
    for (int o0 = 0; o0 < O[0]; ++o0)
      for (int o1 = 0; o1 < O[1]; ++o1)
        for (int o2 = 0; o2 < O[2]; ++o2)
          for (int c = 0; c < C; ++c) {
            double acc = is_max ? -std::numeric_limits<double>::infinity() : 0.0;
            for (int a = 0; a < K[0]; ++a)
              for (int b = 0; b < K[1]; ++b)
                for (int e = 0; e < K[2]; ++e) {
                  int i0 = o0 * St[0] + a - P[0], i1 = o1 * St[1] + b - P[1],
                      i2 = o2 * St[2] + e - P[2];
                  double v = is_max ? -std::numeric_limits<double>::infinity() : 0.0;
                  if (i0 >= 0 && i0 < S[0] && i1 >= 0 && i1 < S[1] && i2 >= 0 && i2 < S[2])
                    v = xv[(((static_cast<size_t>(n) * S[0] + i0) * S[1] + i1) * S[2] + i2) * C +
                           c];
                  acc = is_max ? std::max(acc, v) : acc + v;
                }
            out.push_back(is_max ? acc : acc / (K[0] * K[1] * K[2]));
          }
  return out;
}

/// Cubic convolution kernel (Keys, a = -0.75) at distance t, the textbook piecewise form.
double keys(double t) {
  const double a = -0.75;
  t = std::abs(t);
  if (t <= 1) return (a + 2) * t * t * t - (a + 3) * t * t + 1;
  if (t < 2) return a * t * t * t - 5 * a * t * t + 8 * a * t - 4 * a;
  return 0;
}

/// Source coordinate of output sample i (n -> m samples).
double source_coord(int i, int n, int m, bool align_corners) {
  if (align_corners) return m > 1 ? i * double(n - 1) / (m - 1) : 0.0;
  return (i + 0.5) * double(n) / m - 0.5;
}

}  // namespace

// ============================== convolution ==============================

TEST(NnConv, Conv2dEqualsOpPlusBias) {
  random::seed(11);
  nn::Conv2d conv(4, 6, {3, 2}, {2, 1}, {1, 0}, {1, 2});
  EXPECT_EQ(conv.weight().shape(), (Shape{6, 3, 2, 4}));
  EXPECT_EQ(conv.bias().shape(), (Shape{6}));
  EXPECT_EQ(conv.weight().dtype(), float32);
  // MLX's initialisation: uniform in [-s, s], s = sqrt(1 / (in * kh * kw)); bias zero.
  double s = std::sqrt(1.0 / (4 * 3 * 2));
  auto w = vals(conv.weight());
  double wmax = 0;
  for (double v : w)
    wmax = std::max(wmax, std::abs(v));
  EXPECT_LE(wmax, s);
  EXPECT_GT(wmax, 0.5 * s);
  for (double v : vals(conv.bias()))
    EXPECT_EQ(v, 0.0);
  conv.bias() = rnd({6}, 3, -1, 1, float32);
  array x = rnd({2, 7, 6, 4}, 4, -1, 1, float32);
  array want = add(conv2d(x, conv.weight(), {2, 1}, {1, 0}, {1, 2}), conv.bias());
  array got = conv(x);
  EXPECT_EQ(got.shape(), (Shape{2, 4, 4, 6}));
  EXPECT_TRUE(close(got, want, 1e-5, 1e-5));
  EXPECT_EQ(conv.extra_repr(),
            "4, 6, kernel_size=(3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=1, "
            "bias=true");
  EXPECT_EQ(conv.name(), "Conv2d");
  nn::Conv2d nb(4, 6, 3, 1, 0, 1, 1, false);
  EXPECT_FALSE(nb.has_param("bias"));
  EXPECT_EQ(nb.weight().shape(), (Shape{6, 3, 3, 4}));
  EXPECT_TRUE(close(nb(x), conv2d(x, nb.weight()), 1e-5, 1e-5));
  auto keys = nb.parameters().flatten();
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].first, "weight");
}

TEST(NnConv, Conv1dByHand) {
  nn::Conv1d conv(1, 1, 2, 2, 1);  // kernel 2, stride 2, padding 1
  conv.weight() = array({1.0, -1.0}, {1, 2, 1}, float64);
  conv.bias() = array({0.5}, {1}, float64);
  array x = f64({1, 2, 3, 4, 5}, {1, 5, 1});
  // Padded [0, 1, 2, 3, 4, 5, 0]; windows at 0, 2, 4: (0,1), (2,3), (4,5) -> x0 - x1.
  EXPECT_TRUE(close(conv(x), {-1 + 0.5, -1 + 0.5, -1 + 0.5}));
  EXPECT_EQ(conv(x).shape(), (Shape{1, 3, 1}));
  // Dilation 2 without padding: windows (x0, x2), (x1, x3), (x2, x4) -> -2 each.
  nn::Conv1d dil(1, 1, 2, 1, 0, 2);
  dil.weight() = array({1.0, -1.0}, {1, 2, 1}, float64);
  dil.bias() = array({0.0}, {1}, float64);
  EXPECT_TRUE(close(dil(x), {-2, -2, -2}));
  EXPECT_EQ(dil.extra_repr(),
            "1, 1, kernel_size=(2,), stride=(1,), padding=(0,), dilation=(2,), groups=1, "
            "bias=true");
}

TEST(NnConv, GroupsSplitTheChannels) {
  random::seed(5);
  nn::Conv1d conv(4, 6, 3, 1, 1, 1, 2);
  EXPECT_EQ(conv.weight().shape(), (Shape{6, 3, 2}));
  conv.set_dtype(float64);
  array x = rnd({2, 5, 4}, 6);
  // Group g: input channels [2g, 2g+2) -> output channels [3g, 3g+3).
  array w = conv.weight();
  array y0 = conv1d(slice(x, {0, 0, 0}, {2, 5, 2}), slice(w, {0, 0, 0}, {3, 3, 2}), 1, 1);
  array y1 = conv1d(slice(x, {0, 0, 2}, {2, 5, 4}), slice(w, {3, 0, 0}, {6, 3, 2}), 1, 1);
  EXPECT_TRUE(close(conv(x), add(concatenate({y0, y1}, 2), conv.bias())));
}

TEST(NnConv, Conv3dEqualsOpPlusBias) {
  random::seed(7);
  nn::Conv3d conv(2, 3, {2, 3, 2}, {1, 2, 1}, {0, 1, 1});
  EXPECT_EQ(conv.weight().shape(), (Shape{3, 2, 3, 2, 2}));
  double s = std::sqrt(1.0 / (2 * 12));
  for (double v : vals(conv.weight()))
    EXPECT_LE(std::abs(v), s);
  conv.set_dtype(float64);
  conv.bias() = rnd({3}, 8);
  array x = rnd({2, 4, 5, 3, 2}, 9);
  array want = add(conv3d(x, conv.weight(), {1, 2, 1}, {0, 1, 1}), conv.bias());
  EXPECT_EQ(conv(x).shape(), (Shape{2, 3, 3, 4, 3}));
  EXPECT_TRUE(close(conv(x), want));
}

TEST(NnConv, ConvTransposeByHand) {
  nn::ConvTranspose1d ct(1, 1, 3, 2);
  EXPECT_EQ(ct.weight().shape(), (Shape{1, 3, 1}));
  ct.weight() = array({1.0, 2.0, 3.0}, {1, 3, 1}, float64);
  ct.bias() = array({10.0}, {1}, float64);
  // out[i * stride + m] += x[i] * w[m]: [1, 2, 3, 0, 0] + [0, 0, 2, 4, 6].
  array x = f64({1, 2}, {1, 2, 1});
  EXPECT_TRUE(close(ct(x), {11, 12, 15, 14, 16}));
  // padding 1 trims one sample at each end; output_padding 1 adds one at the end.
  nn::ConvTranspose1d cp(1, 1, 3, 2, 1, 1, 1);
  cp.weight() = ct.weight();
  cp.bias() = array({0.0}, {1}, float64);
  EXPECT_TRUE(close(cp(x), {2, 5, 4, 6}));
  EXPECT_EQ(cp.extra_repr(),
            "1, 1, kernel_size=(3,), stride=(2,), padding=(1,), dilation=(1,), "
            "output_padding=(1,), groups=1, bias=true");
}

TEST(NnConv, ConvTransposeEqualsOp) {
  random::seed(12);
  nn::ConvTranspose2d ct(3, 4, {3, 2}, {2, 1}, {1, 0}, {1, 2}, {1, 0});
  EXPECT_EQ(ct.weight().shape(), (Shape{4, 3, 2, 3}));
  ct.set_dtype(float64);
  ct.bias() = rnd({4}, 13);
  array x = rnd({2, 3, 4, 3}, 14);
  array want = add(conv_transpose2d(x, ct.weight(), {2, 1}, {1, 0}, {1, 2}, {1, 0}), ct.bias());
  EXPECT_TRUE(close(ct(x), want));
  nn::ConvTranspose3d c3(2, 2, 2, 2, 0, 1, 0, 2);
  EXPECT_EQ(c3.weight().shape(), (Shape{2, 2, 2, 2, 1}));
  c3.set_dtype(float64);
  array x3 = rnd({1, 2, 3, 2, 2}, 15);
  EXPECT_EQ(c3(x3).shape(), (Shape{1, 4, 6, 4, 2}));
  EXPECT_TRUE(close(
      c3(x3), add(conv_transpose3d(x3, c3.weight(), {2, 2, 2}, {0, 0, 0}, {1, 1, 1}, {0, 0, 0}, 2),
                  c3.bias())));
}

TEST(NnConv, ConvTransposeIsTheAdjointOfConv) {
  // <conv(x), y> == <x, convT(y)> when convT's weight is conv's with the channel axes swapped
  // and the output padding restores x's extent.
  struct P {
    int L, k, s, p, d;
  };
  for (P q : {P{8, 3, 1, 1, 1}, P{9, 3, 2, 1, 1}, P{10, 2, 3, 0, 2}}) {
    SCOPED_TRACE(testing::Message() << "L " << q.L << " k " << q.k << " s " << q.s);
    int o = (q.L + 2 * q.p - q.d * (q.k - 1) - 1) / q.s + 1;
    int op = q.L - ((o - 1) * q.s - 2 * q.p + q.d * (q.k - 1) + 1);
    // 1-d
    nn::Conv1d conv(3, 4, q.k, q.s, q.p, q.d, 1, false);
    nn::ConvTranspose1d convt(4, 3, q.k, q.s, q.p, q.d, op, 1, false);
    conv.set_dtype(float64);
    convt.weight() = swapaxes(conv.weight(), 0, -1);
    array x = rnd({2, q.L, 3}, 20 + q.L);
    array y = rnd({2, o, 4}, 21 + q.L);
    ASSERT_EQ(conv(x).shape(), y.shape());
    ASSERT_EQ(convt(y).shape(), x.shape());
    EXPECT_NEAR(dot(conv(x), y), dot(x, convt(y)), 1e-10);
    // 2-d (the same parameters on both axes)
    nn::Conv2d c2(2, 3, q.k, q.s, q.p, q.d, 1, false);
    nn::ConvTranspose2d t2(3, 2, q.k, q.s, q.p, q.d, op, 1, false);
    c2.set_dtype(float64);
    t2.weight() = swapaxes(c2.weight(), 0, -1);
    array x2 = rnd({1, q.L, q.L, 2}, 30 + q.L), y2 = rnd({1, o, o, 3}, 31 + q.L);
    ASSERT_EQ(t2(y2).shape(), x2.shape());
    EXPECT_NEAR(dot(c2(x2), y2), dot(x2, t2(y2)), 1e-10);
  }
  // 3-d, with different parameters per axis.
  nn::Conv3d c3(2, 3, {2, 3, 2}, {2, 1, 1}, {0, 1, 1}, {1, 1, 2}, 1, false);
  c3.set_dtype(float64);
  array x3 = rnd({1, 5, 4, 5, 2}, 40);
  array y3 = rnd(c3(x3).shape(), 41);  // (1, 2, 4, 5, 3)
  Shape o3 = y3.shape();
  std::vector<int> op(3);
  std::vector<int> k{2, 3, 2}, s{2, 1, 1}, p{0, 1, 1}, d{1, 1, 2};
  for (int i = 0; i < 3; ++i)
    op[i] = x3.shape(i + 1) - ((o3[i + 1] - 1) * s[i] - 2 * p[i] + d[i] * (k[i] - 1) + 1);
  nn::ConvTranspose3d t3(3, 2, {2, 3, 2}, {2, 1, 1}, {0, 1, 1}, {1, 1, 2}, op, 1, false);
  t3.weight() = swapaxes(c3.weight(), 0, -1);
  ASSERT_EQ(t3(y3).shape(), x3.shape());
  EXPECT_NEAR(dot(c3(x3), y3), dot(x3, t3(y3)), 1e-10);
}

TEST(NnConv, Gradients) {
  random::seed(21);
  {
    nn::Conv1d c(4, 2, 3, 2, 1, 2, 2);
    c.set_dtype(float64);
    c.bias() = rnd({2}, 1);
    array x = rnd({2, 7, 4}, 2);
    EXPECT_TRUE(check_param_grads(c, [&] { return c(x); }));
    EXPECT_TRUE(check_input_grads([&](const std::vector<array>& a) { return c(a[0]); }, {x}));
  }
  {
    nn::Conv2d c(2, 3, {2, 3}, {1, 2}, {1, 1});
    c.set_dtype(float64);
    array x = rnd({1, 4, 5, 2}, 3);
    EXPECT_TRUE(check_param_grads(c, [&] { return c(x); }));
    EXPECT_TRUE(check_input_grads([&](const std::vector<array>& a) { return c(a[0]); }, {x}));
  }
  {
    nn::Conv3d c(1, 2, 2, 1, {0, 1, 0});
    c.set_dtype(float64);
    array x = rnd({1, 3, 2, 3, 1}, 4);
    EXPECT_TRUE(check_param_grads(c, [&] { return c(x); }));
    EXPECT_TRUE(check_input_grads([&](const std::vector<array>& a) { return c(a[0]); }, {x}));
  }
  {
    nn::ConvTranspose1d c(2, 4, 3, 2, 1, 1, 1, 2);
    c.set_dtype(float64);
    array x = rnd({2, 4, 2}, 5);
    EXPECT_TRUE(check_param_grads(c, [&] { return c(x); }));
    EXPECT_TRUE(check_input_grads([&](const std::vector<array>& a) { return c(a[0]); }, {x}));
  }
  {
    nn::ConvTranspose2d c(2, 2, {2, 3}, {2, 1}, {0, 1});
    c.set_dtype(float64);
    array x = rnd({1, 3, 3, 2}, 6);
    EXPECT_TRUE(check_param_grads(c, [&] { return c(x); }));
    EXPECT_TRUE(check_input_grads([&](const std::vector<array>& a) { return c(a[0]); }, {x}));
  }
  {
    nn::ConvTranspose3d c(1, 2, 2, {1, 2, 1});
    c.set_dtype(float64);
    array x = rnd({1, 2, 2, 2, 1}, 7);
    EXPECT_TRUE(check_param_grads(c, [&] { return c(x); }));
    EXPECT_TRUE(check_input_grads([&](const std::vector<array>& a) { return c(a[0]); }, {x}));
  }
}

TEST(NnConv, BadArguments) {
  nn::Conv2d c(3, 4, 3);
  EXPECT_THROW_MSG(c(ones({1, 5, 5, 2})), std::invalid_argument,
                   "[Conv2d] Expected an input of shape (N, H, W, C) with C = 3 channels; got "
                   "shape (1,5,5,2)");
  EXPECT_THROW_MSG(c(ones({5, 5, 3})), std::invalid_argument, "[Conv2d] Expected an input");
  EXPECT_THROW_MSG(nn::Conv1d(3, 4, 3, 1, 0, 1, 2), std::invalid_argument,
                   "[Conv1d] The number of input channels (3) must be divisible by the number of "
                   "groups (2)");
  EXPECT_THROW_MSG(nn::Conv1d(4, 3, 3, 1, 0, 1, 2), std::invalid_argument,
                   "[Conv1d] The number of output channels (3)");
  EXPECT_THROW_MSG(nn::Conv2d(3, 4, {3, 3, 3}), std::invalid_argument,
                   "[Conv2d] 'kernel_size' must be an integer or a tuple containing 2 integers");
  EXPECT_THROW_MSG(nn::Conv3d(3, 4, 0), std::invalid_argument,
                   "[Conv3d] kernel_size, stride and dilation must be positive");
  EXPECT_THROW_MSG(nn::Conv2d(3, 4, 3, 1, -1), std::invalid_argument,
                   "[Conv2d] padding and output_padding must be non-negative");
  EXPECT_THROW_MSG(nn::Conv2d(0, 4, 3), std::invalid_argument,
                   "[Conv2d] in_channels and out_channels must be positive");
  EXPECT_THROW_MSG(nn::Conv2d(3, 4, 3, 1, 0, 1, 0), std::invalid_argument,
                   "[Conv2d] groups must be positive");
  // The op checks what depends on the input: output_padding must be below the stride.
  nn::ConvTranspose1d ct(2, 2, 3, 1, 0, 1, 1);
  EXPECT_THROW_MSG(ct(ones({1, 4, 2})), std::invalid_argument, "output_padding");
}

// ============================== pooling ==============================

TEST(NnPool, OneDimByHand) {
  array x = f64({1, 3, 2, 5, 4}, {1, 5, 1});
  nn::MaxPool1d m2(2);  // stride defaults to the kernel size
  EXPECT_EQ(m2.stride(), std::vector<int>{2});
  EXPECT_TRUE(close(m2(x), {3, 5}));
  EXPECT_EQ(m2(x).shape(), (Shape{1, 2, 1}));
  EXPECT_TRUE(close(nn::MaxPool1d(2, 1)(x), {3, 3, 5, 5}));
  // Padding 1: [-inf, 1, 3, 2, 5, 4, -inf]; windows of 2, stride 2: [-inf,1], [3,2], [5,4].
  EXPECT_TRUE(close(nn::MaxPool1d(2, 2, 1)(x), {1, 3, 5}));
  // Average with zero padding (counted in the mean): [0, 1, 3, 2, 5, 4, 0], k 3, stride 2.
  EXPECT_TRUE(close(nn::AvgPool1d(3, 2, 1)(x), {4.0 / 3, 10.0 / 3, 9.0 / 3}));
  EXPECT_TRUE(close(nn::AvgPool1d(2)(x), {2, 3.5}));
  EXPECT_TRUE(close(nn::AvgPool1d(4, 1)(x), {11.0 / 4, 14.0 / 4}));
  EXPECT_EQ(nn::MaxPool1d(2, 1, 1).extra_repr(), "kernel_size=(2,), stride=(1,), padding=(1,)");
  EXPECT_EQ(nn::AvgPool1d(2).name(), "AvgPool1d");
}

TEST(NnPool, TwoDimByHand) {
  // One 4x4 channel: rows [0 1 2 3], [4 5 6 7], ...
  std::vector<double> v(16);
  std::iota(v.begin(), v.end(), 0.0);
  array x = f64(v, {1, 4, 4, 1});
  EXPECT_TRUE(close(nn::MaxPool2d(2)(x), {5, 7, 13, 15}));
  EXPECT_TRUE(close(nn::AvgPool2d(2)(x), {2.5, 4.5, 10.5, 12.5}));
  EXPECT_TRUE(close(nn::MaxPool2d(3, 1)(x), {10, 11, 14, 15}));
  EXPECT_TRUE(close(nn::MaxPool2d({2, 3}, {2, 1})(x), {6, 7, 14, 15}));
  // Padding 1, kernel 2, stride 2 -> 3x3 windows of the padded 6x6.
  EXPECT_TRUE(close(nn::MaxPool2d(2, 2, 1)(x), {0, 2, 3, 8, 10, 11, 12, 14, 15}));
  EXPECT_TRUE(close(nn::AvgPool2d(2, 2, 1)(x), {0, 3.0 / 4, 3.0 / 4, 12.0 / 4, 30.0 / 4, 18.0 / 4,
                                                12.0 / 4, 27.0 / 4, 15.0 / 4}));
  EXPECT_EQ(nn::MaxPool2d(2, 2, 1)(x).shape(), (Shape{1, 3, 3, 1}));
}

TEST(NnPool, AgainstWindowLoop) {
  struct P {
    std::vector<int> k, s, p;
    Shape shape;
  };
  std::vector<P> cases = {
      {{3}, {2}, {1}, {2, 9, 3}},
      {{2}, {2}, {0}, {2, 8, 2}},  // tiles: the reshape path
      {{2, 2}, {2, 2}, {0, 0}, {2, 6, 4, 3}},
      {{3, 2}, {1, 2}, {1, 0}, {2, 5, 6, 2}},
      {{2, 2}, {2, 2}, {1, 1}, {1, 5, 5, 2}},  // padded to 7x7: no tiling
      {{2, 2}, {2, 2}, {1, 1}, {1, 4, 6, 2}},  // padded to 6x8: tiles after padding
      {{3, 3}, {2, 2}, {1, 1}, {1, 7, 7, 1}},
      {{2, 2, 2}, {2, 2, 2}, {0, 0, 0}, {1, 4, 4, 6, 2}},
      {{2, 3, 2}, {1, 2, 2}, {0, 1, 1}, {2, 3, 5, 4, 2}},
  };
  int seed = 0;
  for (const auto& q : cases) {
    SCOPED_TRACE(testing::Message() << "input " << shape_to_string(q.shape) << " kernel "
                                    << q.k.size() << "-d " << q.k[0] << " stride " << q.s[0]);
    array x = rnd(q.shape, 100 + seed++);
    for (bool is_max : {true, false}) {
      Shape os;
      auto want = pool_ref(x, q.k, q.s, q.p, is_max, os);
      std::shared_ptr<nn::Module> m;
      int d = static_cast<int>(q.k.size());
      if (d == 1)
        m = is_max ? std::shared_ptr<nn::Module>(std::make_shared<nn::MaxPool1d>(q.k, q.s, q.p))
                   : std::make_shared<nn::AvgPool1d>(q.k, q.s, q.p);
      else if (d == 2)
        m = is_max ? std::shared_ptr<nn::Module>(std::make_shared<nn::MaxPool2d>(q.k, q.s, q.p))
                   : std::make_shared<nn::AvgPool2d>(q.k, q.s, q.p);
      else
        m = is_max ? std::shared_ptr<nn::Module>(std::make_shared<nn::MaxPool3d>(q.k, q.s, q.p))
                   : std::make_shared<nn::AvgPool3d>(q.k, q.s, q.p);
      array y = (*m)(x);
      EXPECT_EQ(y.shape(), os) << m->name();
      EXPECT_TRUE(close(y, want, 1e-12, 1e-12)) << m->name();
    }
  }
}

TEST(NnPool, DtypesAndIntegerPadding) {
  // float32 stays float32; integers pool exactly and pad with the dtype's lowest value.
  array x = array({-5, -3, -8, -1}, {1, 4, 1}, int32);
  array y = nn::MaxPool1d(2, 2, 1)(x);
  EXPECT_EQ(y.dtype(), int32);
  EXPECT_EQ(y.to_vector<int32_t>(), (std::vector<int32_t>{-5, -3, -1}));
  array u = array({3, 1, 2, 7}, {1, 4, 1}, uint8);
  EXPECT_EQ(nn::MaxPool1d(3, 1, 1)(u).to_vector<uint8_t>(), (std::vector<uint8_t>{3, 3, 7, 7}));
  array f = astype(rnd({2, 4, 4, 3}, 5), float32);
  EXPECT_EQ(nn::AvgPool2d(2)(f).dtype(), float32);
  EXPECT_EQ(nn::MaxPool2d(3, 1, 1)(astype(f, float16)).dtype(), float16);
  EXPECT_TRUE(
      close(nn::MaxPool2d(3, 1, 1)(f), nn::MaxPool2d(3, 1, 1)(astype(f, float64)), 1e-6, 1e-6));
}

TEST(NnPool, Gradients) {
  // Distinct values: each window's maximum is unique, so max pooling is differentiable.
  auto check = [](nn::Module& m, const Shape& shape, uint32_t seed) {
    SCOPED_TRACE(m.name() + " " + m.extra_repr());
    array x = distinct(shape, seed);
    EXPECT_TRUE(check_input_grads([&](const std::vector<array>& a) { return m(a[0]); }, {x}));
  };
  nn::MaxPool1d m1(3, 2, 1);
  check(m1, {2, 7, 2}, 1);
  nn::AvgPool1d a1(3, 2, 1);
  check(a1, {2, 7, 2}, 2);
  nn::MaxPool2d m2(2);  // reshape path
  check(m2, {1, 4, 4, 2}, 3);
  nn::MaxPool2d m2o(3, 1, 1);  // overlapping windows: gradients accumulate
  check(m2o, {1, 4, 5, 2}, 4);
  nn::AvgPool2d a2o({2, 3}, {1, 2}, {1, 0});
  check(a2o, {2, 4, 5, 1}, 5);
  nn::MaxPool3d m3(2, 1);
  check(m3, {1, 3, 3, 3, 1}, 6);
  nn::AvgPool3d a3(2, 2, 1);
  check(a3, {1, 3, 2, 3, 2}, 7);
  // Overlapping max windows route each window's gradient to its own maximum.
  array x = f64({1, 3, 2}, {1, 3, 1});
  auto g = grad([](const array& a) { return sum(nn::MaxPool1d(2, 1)(a)); })(x);
  EXPECT_TRUE(close(g, {0, 2, 0}));
  // Ties: each window's gradient is split among its tied maxima (both paths), so the gradient
  // sums to the number of windows and stays on the maxima.
  array t = f64({1, 1, 1, 0, 2, 2}, {1, 6, 1});
  auto gt = grad([](const array& a) { return sum(nn::MaxPool1d(3, 1)(a)); })(t);  // slice path
  auto gv = vals(gt);
  EXPECT_NEAR(std::accumulate(gv.begin(), gv.end(), 0.0), 4.0, 1e-12);
  EXPECT_EQ(gv[3], 0.0);
  EXPECT_NEAR(gv[0] + gv[1] + gv[2], 2.0, 1e-12);  // windows [1 1 1] and [1 1 0]
  EXPECT_NEAR(gv[4] + gv[5], 2.0, 1e-12);          // windows [1 0 2] and [0 2 2]
  auto g2 = grad([](const array& a) { return sum(nn::MaxPool1d(2)(a)); })(t);  // reshape path
  EXPECT_TRUE(close(g2, {0.5, 0.5, 1, 0, 0.5, 0.5}));
}

TEST(NnPool, BadArguments) {
  EXPECT_THROW_MSG(nn::MaxPool2d(2)(ones({4, 4, 1})), std::invalid_argument,
                   "[MaxPool2d] Expected an input of shape (N, H, W, C) (4 dimensions); got shape "
                   "(4,4,1)");
  EXPECT_THROW_MSG(nn::AvgPool1d(2)(ones({4})), std::invalid_argument, "[AvgPool1d]");
  EXPECT_THROW_MSG(nn::MaxPool2d({2, 2, 2}), std::invalid_argument,
                   "[MaxPool2d] 'kernel_size' must be an integer or a tuple containing 2 integers");
  EXPECT_THROW_MSG(nn::MaxPool3d(2, std::vector<int>{1, 1}), std::invalid_argument,
                   "[MaxPool3d] 'stride' must be an integer or a tuple containing 3 integers");
  EXPECT_THROW_MSG(nn::AvgPool2d(0), std::invalid_argument,
                   "[AvgPool2d] 'kernel_size' must be positive but got (0, 0).");
  EXPECT_THROW_MSG(nn::AvgPool2d(2, 0), std::invalid_argument,
                   "[AvgPool2d] 'stride' must be positive");
  EXPECT_THROW_MSG(nn::MaxPool1d(2, 1, -1), std::invalid_argument,
                   "[MaxPool1d] 'padding' must be non-negative but got (-1,).");
  EXPECT_THROW_MSG(nn::MaxPool2d(5)(ones({1, 4, 4, 1})), std::invalid_argument,
                   "[MaxPool2d] The kernel size (5, 5) is larger than the padded input's spatial "
                   "extents (4,4)");
}

// ============================== upsampling ==============================

TEST(NnUpsample, NearestByHand) {
  array x = f64({1, 2, 3, 4}, {1, 2, 2, 1});
  nn::Upsample up(2.0);
  array y = up(x);
  EXPECT_EQ(y.shape(), (Shape{1, 4, 4, 1}));
  EXPECT_TRUE(close(y, {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}));
  // Per-axis scales; channels and batch untouched.
  array x2 = f64({1, 2, 3, 4, 5, 6, 7, 8}, {2, 2, 1, 2});
  EXPECT_TRUE(close(nn::Upsample({1.0, 3.0})(x2),
                    {1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4, 5, 6, 5, 6, 5, 6, 7, 8, 7, 8, 7, 8}));
  // Non-integer scales: 2 -> 5 samples picks round((i + 0.5) * 2/5 - 0.5) = 0 0 0 1 1; shrinking
  // 4 -> 2 picks floor(i * 2) = 0, 2.
  array l = f64({10, 20}, {1, 2, 1});
  EXPECT_TRUE(close(nn::Upsample(2.5)(l), {10, 10, 10, 20, 20}));
  array l4 = f64({1, 2, 3, 4}, {1, 4, 1});
  EXPECT_TRUE(close(nn::Upsample(0.5)(l4), {1, 3}));
  // A 1.5 scale of 4 samples -> 6: round((i + 0.5) * 4/6 - 0.5), computed in float32 like MLX;
  // against the same rule in double (the two ties, at i = 1 and 4, round to even in both).
  array l6 = nn::Upsample(1.5)(l4);
  std::vector<double> want;
  for (int i = 0; i < 6; ++i)
    want.push_back(1 + std::nearbyint((i + 0.5) * 4.0 / 6 - 0.5));
  EXPECT_TRUE(close(l6, want));
  EXPECT_EQ(up.extra_repr(), "scale_factor=2.0, mode=nearest, align_corners=false");
}

TEST(NnUpsample, LinearByHand) {
  array x = f64({1, 2}, {1, 2, 1});
  // Centred: source coordinates -0.25, 0.25, 0.75, 1.25, clamped to [0, 1].
  EXPECT_TRUE(close(nn::Upsample(2.0, "linear")(x), {1, 1.25, 1.75, 2}));
  // align_corners: coordinates 0, 1/3, 2/3, 1.
  EXPECT_TRUE(close(nn::Upsample(2.0, "linear", true)(x), {1, 4.0 / 3, 5.0 / 3, 2}, 1e-6, 1e-6));
  // Bilinear with align_corners reproduces the plane 1 + col + 2 row exactly at (i/3, j/3).
  array p = f64({1, 2, 3, 4}, {1, 2, 2, 1});
  std::vector<double> want;
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j)
      want.push_back(1 + j / 3.0 + 2 * i / 3.0);
  EXPECT_TRUE(close(nn::Upsample(2.0, "linear", true)(p), want, 1e-6, 1e-6));
  // Without align_corners, a 3x3 -> 6x6 bilinear sample against the formula.
  array q = rnd({1, 3, 3, 2}, 9);
  auto qv = vals(q);
  auto lin = [](int i, int n, int m) {
    double c = std::min(std::max(source_coord(i, n, m, false), 0.0), double(n - 1));
    int l = static_cast<int>(std::floor(c));
    int r = std::min(l + 1, n - 1);
    return std::tuple<int, int, double>{l, r, c - l};
  };
  std::vector<double> w2;
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 6; ++j)
      for (int c = 0; c < 2; ++c) {
        auto [i0, i1, ti] = lin(i, 3, 6);
        auto [j0, j1, tj] = lin(j, 3, 6);
        auto at = [&](int a, int b) { return qv[(a * 3 + b) * 2 + c]; };
        w2.push_back((1 - ti) * ((1 - tj) * at(i0, j0) + tj * at(i0, j1)) +
                     ti * ((1 - tj) * at(i1, j0) + tj * at(i1, j1)));
      }
  EXPECT_TRUE(close(nn::Upsample(2.0, "linear")(q), w2, 1e-6, 1e-6));
  // Trilinear keeps a constant volume constant; float32 in, float32 out.
  array cst = full({1, 2, 3, 2, 1}, array(2.5f));
  array t = nn::Upsample({2.0, 1.5, 2.0}, "linear")(cst);
  EXPECT_EQ(t.shape(), (Shape{1, 4, 4, 4, 1}));
  EXPECT_EQ(t.dtype(), float32);
  EXPECT_TRUE(close(t, std::vector<double>(64, 2.5)));
}

TEST(NnUpsample, CubicByHand) {
  // Against the textbook Keys kernel (a = -0.75) with clamped edge samples.
  for (bool ac : {false, true}) {
    SCOPED_TRACE(ac ? "align_corners" : "centred");
    array x = rnd({1, 5, 1}, 31);
    auto xv = vals(x);
    std::vector<double> want;
    for (int i = 0; i < 10; ++i) {
      double c = source_coord(i, 5, 10, ac);
      double f = std::floor(c), acc = 0;
      for (int t = -1; t <= 2; ++t) {
        int idx = std::min(std::max(static_cast<int>(f) + t, 0), 4);
        acc += keys(c - (f + t)) * xv[idx];
      }
      want.push_back(acc);
    }
    EXPECT_TRUE(close(nn::Upsample(2.0, "cubic", ac)(x), want, 1e-6, 1e-6));
  }
  // Weights sum to one: constants stay constant; bicubic is separable.
  array cst = full({1, 3, 4, 2}, array(-1.5));
  EXPECT_TRUE(
      close(nn::Upsample(3.0, "cubic")(cst), std::vector<double>(9 * 12 * 2, -1.5), 1e-6, 1e-6));
  array a = rnd({1, 3, 1, 1}, 32), b = rnd({1, 1, 4, 1}, 33);
  array outer = multiply(a, b);  // rank one: the upsampled image is the outer product too
  array ua = nn::Upsample({2.0, 1.0}, "cubic")(a);
  array ub = nn::Upsample({1.0, 2.0}, "cubic")(b);
  EXPECT_TRUE(close(nn::Upsample(2.0, "cubic")(outer), multiply(ua, ub), 1e-6, 1e-6));
}

TEST(NnUpsample, AlignCornersKeepsCorners) {
  array x = rnd({2, 3, 4, 2}, 40);
  for (const char* mode : {"linear", "cubic"}) {
    SCOPED_TRACE(mode);
    array y = nn::Upsample({3.0, 2.5}, mode, true)(x);
    ASSERT_EQ(y.shape(), (Shape{2, 9, 10, 2}));
    for (auto [i, j, si, sj] :
         {std::tuple<int, int, int, int>{0, 0, 0, 0}, {8, 9, 2, 3}, {0, 9, 0, 3}, {8, 0, 2, 0}}) {
      array got = slice(y, {0, i, j, 0}, {2, i + 1, j + 1, 2});
      array want = slice(x, {0, si, sj, 0}, {2, si + 1, sj + 1, 2});
      EXPECT_TRUE(close(got, want, 1e-6, 1e-6));
    }
  }
}

TEST(NnUpsample, Gradients) {
  auto check = [](nn::Upsample up, const Shape& shape, uint32_t seed) {
    SCOPED_TRACE(up.extra_repr());
    array x = rnd(shape, seed);
    EXPECT_TRUE(check_input_grads([&](const std::vector<array>& a) { return up(a[0]); }, {x}));
  };
  check(nn::Upsample(2.0), {1, 2, 3, 2}, 1);
  check(nn::Upsample(1.5), {2, 3, 1}, 2);
  check(nn::Upsample(2.0, "linear"), {1, 3, 2, 1}, 3);
  check(nn::Upsample({1.5, 2.0}, "linear", true), {1, 2, 3, 1}, 4);
  check(nn::Upsample(2.0, "cubic"), {1, 3, 3, 1}, 5);
  check(nn::Upsample(2.0, "cubic", true), {1, 2, 2, 2, 1}, 6);
}

TEST(NnUpsample, BadArguments) {
  EXPECT_THROW_MSG(nn::Upsample(2.0, "bilinear"), std::invalid_argument,
                   "[Upsample] Got unsupported upsampling algorithm: bilinear");
  EXPECT_THROW_MSG(nn::Upsample(2.0)(ones({4, 4})), std::invalid_argument,
                   "[Upsample] The input should have at least 1 spatial dimension which means it "
                   "should be at least 3D but 2D was provided");
  EXPECT_THROW_MSG(nn::Upsample({2.0, 2.0})(ones({1, 4, 4, 4, 1})), std::invalid_argument,
                   "[Upsample] One scale per dimension should be provided");
  EXPECT_THROW_MSG(nn::Upsample(-1.0), std::invalid_argument, "[Upsample] Scale factors must be");
  EXPECT_THROW_MSG(nn::Upsample(0.1)(ones({1, 4, 1})), std::invalid_argument,
                   "[upsample_nearest] The scale factor 0.1 gives an empty output");
  EXPECT_THROW_MSG(nn::upsample_linear(ones({1, 4, 4, 1}), {2.0}), std::invalid_argument,
                   "[upsample_linear] A scale needs to be provided for each spatial dimension");
}
