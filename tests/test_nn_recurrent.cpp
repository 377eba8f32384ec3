// Copyright © 2026 Tandem authors.
// RNN, GRU and LSTM against step-by-step reference loops in double precision, finite-difference
// gradients, initial states and argument errors.
#include <cmath>

#include "nn_test_util.h"

using namespace tandem;
using nntest::check_input_grads;
using nntest::check_param_grads;
using nntest::close;
using nntest::rnd;
using nntest::vals;

namespace {

using Vec = std::vector<double>;

double sigm(double x) {
  return 1 / (1 + std::exp(-x));
}

/// W (rows, cols) times v (cols) for row-major W, rows [r0, r0 + n).
Vec matvec(const Vec& W, int cols, const Vec& v, int r0, int n) {
  Vec out(n, 0.0);
  for (int r = 0; r < n; ++r)
    for (int c = 0; c < cols; ++c)
      out[r] += W[(r0 + r) * cols + c] * v[c];
  return out;
}

Vec row(const Vec& x, int i, int n) {
  return Vec(x.begin() + i * n, x.begin() + (i + 1) * n);
}

}  // namespace

TEST(NnRNN, MatchesReference) {
  const int N = 2, L = 3, D = 3, H = 4;
  nn::RNN rnn(D, H);
  rnn.set_dtype(float64);
  array x = rnd({N, L, D}, 1);
  array h0 = rnd({N, H}, 2);
  auto Wxh = vals(rnn.param("Wxh")), Whh = vals(rnn.param("Whh")), b = vals(rnn.param("bias"));
  auto xv = vals(x), hv = vals(h0);
  for (bool with_h0 : {false, true}) {
    Vec want;
    for (int n = 0; n < N; ++n) {
      Vec h = with_h0 ? row(hv, n, H) : Vec(H, 0.0);
      for (int t = 0; t < L; ++t) {
        Vec xt = row(xv, n * L + t, D);
        Vec a = matvec(Wxh, D, xt, 0, H), r = matvec(Whh, H, h, 0, H);
        for (int k = 0; k < H; ++k)
          h[k] = std::tanh(a[k] + r[k] + b[k]);
        want.insert(want.end(), h.begin(), h.end());
      }
    }
    array y = with_h0 ? rnn(x, h0) : rnn(x);
    EXPECT_EQ(y.shape(), (Shape{N, L, H}));
    EXPECT_TRUE(close(y, want, 1e-10, 1e-12));
  }
  // Unbatched input and a custom nonlinearity.
  nn::RNN relu_rnn(D, H, false, nn::relu);
  EXPECT_FALSE(relu_rnn.has_param("bias"));
  EXPECT_EQ(relu_rnn(ones({L, D})).shape(), (Shape{L, H}));
  EXPECT_TRUE(check_param_grads(rnn, [&] { return rnn(x, h0); }));
  EXPECT_TRUE(
      check_input_grads([&](const std::vector<array>& a) { return rnn(a[0], a[1]); }, {x, h0}));
  EXPECT_THROW_MSG(rnn(ones({N, L, D + 1}, float64)), std::invalid_argument,
                   "[RNN] Expected an input of shape (N, L, 3) or (L, 3); got (2,3,4)");
  EXPECT_THROW_MSG(rnn(x, ones({N, H + 1}, float64)), std::invalid_argument,
                   "[RNN] The initial hidden state must have shape (2,4)");
}

TEST(NnGRU, MatchesReference) {
  const int N = 2, L = 3, D = 2, H = 3;
  nn::GRU gru(D, H);
  gru.set_dtype(float64);
  array x = rnd({N, L, D}, 3);
  array h0 = rnd({N, H}, 4);
  auto Wx = vals(gru.param("Wx")), Wh = vals(gru.param("Wh")), b = vals(gru.param("b")),
       bhn = vals(gru.param("bhn"));
  auto xv = vals(x), hv = vals(h0);
  for (bool with_h0 : {false, true}) {
    Vec want;
    for (int n = 0; n < N; ++n) {
      Vec h = with_h0 ? row(hv, n, H) : Vec(H, 0.0);
      for (int t = 0; t < L; ++t) {
        Vec xt = row(xv, n * L + t, D);
        Vec xp = matvec(Wx, D, xt, 0, 3 * H), hp = matvec(Wh, H, h, 0, 3 * H);
        Vec next(H);
        for (int k = 0; k < H; ++k) {
          double r = sigm(xp[k] + b[k] + hp[k]);
          double z = sigm(xp[H + k] + b[H + k] + hp[H + k]);
          double nn_ = std::tanh(xp[2 * H + k] + b[2 * H + k] + r * (hp[2 * H + k] + bhn[k]));
          next[k] = (1 - z) * nn_ + z * h[k];
        }
        h = next;
        want.insert(want.end(), h.begin(), h.end());
      }
    }
    array y = with_h0 ? gru(x, h0) : gru(x);
    EXPECT_TRUE(close(y, want, 1e-10, 1e-12));
  }
  EXPECT_TRUE(check_param_grads(gru, [&] { return gru(x, h0); }));
  EXPECT_TRUE(check_param_grads(gru, [&] { return gru(x); }));
  EXPECT_TRUE(
      check_input_grads([&](const std::vector<array>& a) { return gru(a[0], a[1]); }, {x, h0}));
  nn::GRU nb(D, H, false);
  EXPECT_EQ(nb.parameters().flatten().size(), 2u);
  EXPECT_EQ(nb(ones({L, D})).shape(), (Shape{L, H}));
  EXPECT_THROW_MSG(gru(ones({D})), std::invalid_argument, "[GRU]");
}

TEST(NnLSTM, MatchesReference) {
  const int N = 2, L = 3, D = 2, H = 2;
  nn::LSTM lstm(D, H);
  lstm.set_dtype(float64);
  array x = rnd({N, L, D}, 5);
  array h0 = rnd({N, H}, 6), c0 = rnd({N, H}, 7);
  auto Wx = vals(lstm.param("Wx")), Wh = vals(lstm.param("Wh")), b = vals(lstm.param("bias"));
  auto xv = vals(x), hv = vals(h0), cv = vals(c0);
  for (bool with_state : {false, true}) {
    Vec want_h, want_c;
    for (int n = 0; n < N; ++n) {
      Vec h = with_state ? row(hv, n, H) : Vec(H, 0.0);
      Vec c = with_state ? row(cv, n, H) : Vec(H, 0.0);
      for (int t = 0; t < L; ++t) {
        Vec xt = row(xv, n * L + t, D);
        Vec xp = matvec(Wx, D, xt, 0, 4 * H), hp = matvec(Wh, H, h, 0, 4 * H);
        for (int k = 0; k < H; ++k) {
          double i = sigm(xp[k] + hp[k] + b[k]);
          double f = sigm(xp[H + k] + hp[H + k] + b[H + k]);
          double g = std::tanh(xp[2 * H + k] + hp[2 * H + k] + b[2 * H + k]);
          double o = sigm(xp[3 * H + k] + hp[3 * H + k] + b[3 * H + k]);
          c[k] = f * c[k] + i * g;
          h[k] = o * std::tanh(c[k]);
        }
        want_h.insert(want_h.end(), h.begin(), h.end());
        want_c.insert(want_c.end(), c.begin(), c.end());
      }
    }
    auto [hs, cs] = with_state ? lstm(x, h0, c0) : lstm(x);
    EXPECT_EQ(hs.shape(), (Shape{N, L, H}));
    EXPECT_TRUE(close(hs, want_h, 1e-10, 1e-12));
    EXPECT_TRUE(close(cs, want_c, 1e-10, 1e-12));
  }
  EXPECT_TRUE(check_param_grads(lstm, [&] {
    auto [hs, cs] = lstm(x, h0, c0);
    return add(hs, multiply(cs, array(0.5, float64)));
  }));
  EXPECT_TRUE(check_input_grads(
      [&](const std::vector<array>& a) { return lstm(a[0], a[1], a[2]).first; }, {x, h0, c0}));
  EXPECT_THROW_MSG(lstm(x, h0, ones({3, H}, float64)), std::invalid_argument,
                   "[LSTM] The initial cell state must have shape (2,2)");
  EXPECT_THROW_MSG(nn::LSTM(0, 2), std::invalid_argument, "[LSTM]");
}
