// Copyright © 2026 Tandem authors.
// MultiHeadAttention, Transformer layers and stacks, RoPE, SinusoidalPositionalEncoding, ALiBi:
// hand computations, masks, finite-difference gradients and argument errors.
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

/// y = x W^T (+ b) for row-major x (n, in), W (out, in).
std::vector<double> lin(const std::vector<double>& x, int n, int in, nn::Linear& l) {
  auto w = vals(l.weight());
  int out = static_cast<int>(w.size()) / in;
  std::vector<double> b(out, 0.0);
  if (l.has_param("bias")) b = vals(l.bias());
  std::vector<double> y(n * out);
  for (int i = 0; i < n; ++i)
    for (int o = 0; o < out; ++o) {
      double s = b[o];
      for (int k = 0; k < in; ++k)
        s += x[i * in + k] * w[o * in + k];
      y[i * out + o] = s;
    }
  return y;
}

/// Reference multi-head attention for one batch element; mask[l][s] additive (may be empty).
std::vector<double> mha_ref(nn::MultiHeadAttention& m, const std::vector<double>& q,
                            const std::vector<double>& k, const std::vector<double>& v, int L,
                            int S, int D, int H, const std::vector<double>& mask) {
  auto Q = lin(q, L, D, *m.query_proj), K = lin(k, S, D, *m.key_proj),
       V = lin(v, S, D, *m.value_proj);
  int dh = D / H;
  std::vector<double> out(L * D);
  for (int h = 0; h < H; ++h)
    for (int i = 0; i < L; ++i) {
      std::vector<double> sc(S);
      double mx = -1e300;
      for (int j = 0; j < S; ++j) {
        double s = 0;
        for (int d = 0; d < dh; ++d)
          s += Q[i * D + h * dh + d] * K[j * D + h * dh + d];
        s /= std::sqrt(static_cast<double>(dh));
        if (!mask.empty()) s += mask[i * S + j];
        sc[j] = s;
        mx = std::max(mx, s);
      }
      double z = 0;
      for (auto& s : sc)
        s = std::exp(s - mx), z += s;
      for (int d = 0; d < dh; ++d) {
        double acc = 0;
        for (int j = 0; j < S; ++j)
          acc += sc[j] / z * V[j * D + h * dh + d];
        out[i * D + h * dh + d] = acc;
      }
    }
  return lin(out, L, D, *m.out_proj);
}

}  // namespace

TEST(NnMultiHeadAttention, MatchesReference) {
  const int L = 3, S = 4, D = 4, H = 2;
  nn::MultiHeadAttention mha(D, H, std::nullopt, std::nullopt, std::nullopt, std::nullopt,
                             std::nullopt, /*bias=*/true);
  mha.set_dtype(float64);
  array q = rnd({1, L, D}, 1), k = rnd({1, S, D}, 2), v = rnd({1, S, D}, 3);
  EXPECT_TRUE(
      close(mha(q, k, v), mha_ref(mha, vals(q), vals(k), vals(v), L, S, D, H, {}), 1e-10, 1e-12));
  // An additive mask and the equivalent bool mask.
  std::vector<double> add_mask{0, 0, -1e9, 0, 0, -1e9, -1e9, 0, 0, 0, 0, 0};
  std::vector<int32_t> keep;
  for (double m : add_mask)
    keep.push_back(m == 0);
  array am = f64(add_mask, {L, S});
  std::vector<double> want = mha_ref(mha, vals(q), vals(k), vals(v), L, S, D, H, add_mask);
  EXPECT_TRUE(close(mha(q, k, v, am), want, 1e-9, 1e-12));
  array bm = astype(array(keep, Shape{L, S}), bool_);
  EXPECT_TRUE(close(mha(q, k, v, bm), want, 1e-9, 1e-12));
  EXPECT_EQ(mha.parameters().flatten().size(), 8u);
}

TEST(NnMultiHeadAttention, CausalMaskAndShapes) {
  array m = nn::MultiHeadAttention::create_additive_causal_mask(3);
  auto mv = vals(m);
  double lo = std::numeric_limits<float>::lowest();
  EXPECT_EQ(mv, (std::vector<double>{0, lo, lo, 0, 0, lo, 0, 0, 0}));
  nn::MultiHeadAttention mha(8, 2);
  array x = rnd({2, 5, 8}, 4, -1, 1, float32);
  array y = mha(x, x, x, nn::MultiHeadAttention::create_additive_causal_mask(5));
  EXPECT_EQ(y.shape(), (Shape{2, 5, 8}));
  // With a causal mask, changing the last position leaves earlier outputs unchanged.
  array x2 = concatenate({slice(x, {0, 0, 0}, {2, 4, 8}), zeros({2, 1, 8})}, 1);
  array y2 = mha(x2, x2, x2, nn::MultiHeadAttention::create_additive_causal_mask(5));
  EXPECT_TRUE(close(slice(y2, {0, 0, 0}, {2, 4, 8}), slice(y, {0, 0, 0}, {2, 4, 8}), 1e-5, 1e-6));
  EXPECT_FALSE(mha.has_param("bias"));
  EXPECT_FALSE(mha.query_proj->has_param("bias"));
  // Different input and output dims.
  nn::MultiHeadAttention cross(6, 3, 5, 7, 9, 12, 10);
  array o = cross(ones({2, 4, 5}), ones({2, 3, 7}), ones({2, 3, 9}));
  EXPECT_EQ(o.shape(), (Shape{2, 4, 10}));
  EXPECT_THROW_MSG(nn::MultiHeadAttention(6, 4), std::invalid_argument,
                   "[MultiHeadAttention] The input feature dimensions should be divisible by the "
                   "number of heads (6 % 4) != 0");
  EXPECT_THROW_MSG(mha(ones({5, 8}), ones({5, 8}), ones({5, 8})), std::invalid_argument,
                   "[MultiHeadAttention] queries must have shape (N, L, D)");
  EXPECT_THROW_MSG(mha(x, x, ones({2, 4, 8})), std::invalid_argument, "[MultiHeadAttention]");
  EXPECT_THROW_MSG(mha(ones({2, 5, 7}), x, x), std::invalid_argument, "[MultiHeadAttention]");
}

TEST(NnMultiHeadAttention, Gradients) {
  nn::MultiHeadAttention mha(4, 2, std::nullopt, std::nullopt, std::nullopt, std::nullopt,
                             std::nullopt, true);
  mha.set_dtype(float64);
  array q = rnd({2, 3, 4}, 5), k = rnd({2, 2, 4}, 6);
  array mask = f64({0, -2, 0.5, 0, 0, 0}, {3, 2});
  EXPECT_TRUE(check_param_grads(mha, [&] { return mha(q, k, k, mask); }));
  EXPECT_TRUE(check_input_grads([&](const std::vector<array>& a) { return mha(a[0], a[1], a[2]); },
                                {q, k, rnd({2, 2, 4}, 7)}));
}

TEST(NnTransformer, EncoderLayerComposition) {
  for (bool norm_first : {true, false}) {
    SCOPED_TRACE(norm_first ? "norm_first" : "post-norm");
    nn::TransformerEncoderLayer layer(4, 2, 8, 0.0f, nullptr, norm_first);
    layer.set_dtype(float64);
    array x = rnd({2, 3, 4}, 8);
    array mask = nn::MultiHeadAttention::create_additive_causal_mask(3, float64);
    array want(0.0);
    if (norm_first) {
      array y = (*layer.ln1)(x);
      array h = add(x, (*layer.attention)(y, y, y, mask));
      want = add(h, (*layer.linear2)(nn::relu((*layer.linear1)((*layer.ln2)(h)))));
    } else {
      array h = (*layer.ln1)(add(x, (*layer.attention)(x, x, x, mask)));
      want = (*layer.ln2)(add(h, (*layer.linear2)(nn::relu((*layer.linear1)(h)))));
    }
    EXPECT_TRUE(close(layer(x, mask), want, 1e-12, 1e-12));
    EXPECT_TRUE(check_param_grads(
        layer, [&] { return layer(x, mask); }, 1e-5));
  }
  nn::TransformerEncoderLayer gelu_layer(4, 2, std::nullopt, 0.0f, nn::gelu);
  EXPECT_EQ(gelu_layer.linear1->weight().shape(), (Shape{16, 4}));
}

TEST(NnTransformer, DecoderLayerComposition) {
  for (bool norm_first : {true, false}) {
    SCOPED_TRACE(norm_first ? "norm_first" : "post-norm");
    nn::TransformerDecoderLayer layer(4, 2, 6, 0.0f, nullptr, norm_first);
    layer.set_dtype(float64);
    array x = rnd({1, 3, 4}, 9), mem = rnd({1, 2, 4}, 10);
    array mask = nn::MultiHeadAttention::create_additive_causal_mask(3, float64);
    array want(0.0);
    if (norm_first) {
      array y = (*layer.ln1)(x);
      array h = add(x, (*layer.self_attention)(y, y, y, mask));
      y = (*layer.ln2)(h);
      h = add(h, (*layer.cross_attention)(y, mem, mem, std::nullopt));
      want = add(h, (*layer.linear2)(nn::relu((*layer.linear1)((*layer.ln3)(h)))));
    } else {
      array h = (*layer.ln1)(add(x, (*layer.self_attention)(x, x, x, mask)));
      h = (*layer.ln2)(add(h, (*layer.cross_attention)(h, mem, mem, std::nullopt)));
      want = (*layer.ln3)(add(h, (*layer.linear2)(nn::relu((*layer.linear1)(h)))));
    }
    EXPECT_TRUE(close(layer(x, mem, mask, std::nullopt), want, 1e-12, 1e-12));
    EXPECT_TRUE(check_param_grads(
        layer, [&] { return layer(x, mem, mask, std::nullopt); }, 1e-5));
  }
}

TEST(NnTransformer, StacksAndFullModel) {
  nn::TransformerEncoder enc(2, 8, 2, 16);
  array x = rnd({2, 5, 8}, 11, -1, 1, float32);
  array y = x;
  for (auto& l : enc.layers)
    y = (*l)(y, std::nullopt);
  EXPECT_TRUE(close(enc(x, std::nullopt), (*enc.ln)(y), 1e-6, 1e-6));
  auto keys = enc.parameters().flatten();
  EXPECT_EQ(keys.front().first, "layers.0.attention.query_proj.weight");
  EXPECT_EQ(keys.back().first, "ln.bias");
  nn::TransformerDecoder dec(2, 8, 2);
  array mem = rnd({2, 4, 8}, 12, -1, 1, float32);
  array t = rnd({2, 3, 8}, 13, -1, 1, float32);
  array d = t;
  for (auto& l : dec.layers)
    d = (*l)(d, mem, std::nullopt, std::nullopt);
  EXPECT_TRUE(close(dec(t, mem, std::nullopt, std::nullopt), (*dec.ln)(d), 1e-6, 1e-6));
  nn::Transformer model(8, 2, 1, 1, 16);
  array out = model(x, t, std::nullopt, nn::MultiHeadAttention::create_additive_causal_mask(3),
                    std::nullopt);
  EXPECT_EQ(out.shape(), (Shape{2, 3, 8}));
  array mem2 = (*model.encoder)(x, std::nullopt);
  EXPECT_TRUE(
      close(out,
            (*model.decoder)(t, mem2, nn::MultiHeadAttention::create_additive_causal_mask(3),
                             std::nullopt),
            1e-6, 1e-6));
  // Dropout inside the layers is active in training mode only.
  nn::TransformerEncoder drop(1, 8, 2, 16, 0.5f);
  drop.eval();
  EXPECT_TRUE(close(drop(x, std::nullopt), drop(x, std::nullopt), 0, 0));
}

// ------------------------------ RoPE ------------------------------

TEST(NnRoPE, MatchesRotationFormula) {
  const int L = 3, D = 6;
  array x = rnd({2, L, D}, 14);
  auto xv = vals(x);
  for (bool traditional : {false, true}) {
    for (int dims : {4, 6}) {
      SCOPED_TRACE(std::string(traditional ? "traditional" : "halves") + " dims " +
                   std::to_string(dims));
      const double base = 500, scale = 0.5;
      const int offset = 2;
      nn::RoPE rope(dims, traditional, static_cast<float>(base), static_cast<float>(scale));
      std::vector<double> want = xv;
      for (int b = 0; b < 2; ++b)
        for (int l = 0; l < L; ++l)
          for (int i = 0; i < dims / 2; ++i) {
            double theta = (offset + l) * scale * std::pow(base, -2.0 * i / dims);
            int i1 = traditional ? 2 * i : i, i2 = traditional ? 2 * i + 1 : i + dims / 2;
            int row = (b * L + l) * D;
            double x1 = xv[row + i1], x2 = xv[row + i2];
            want[row + i1] = x1 * std::cos(theta) - x2 * std::sin(theta);
            want[row + i2] = x1 * std::sin(theta) + x2 * std::cos(theta);
          }
      EXPECT_TRUE(close(rope(x, offset), want, 1e-6, 1e-9));
      EXPECT_TRUE(
          check_input_grads([&](const std::vector<array>& a) { return rope(a[0], 1); }, {x}));
    }
  }
  nn::RoPE r(4);
  EXPECT_TRUE(close(r(x), r(x, 0), 0, 0));
  EXPECT_EQ(r(astype(x, bfloat16)).dtype(), bfloat16);
  EXPECT_THROW_MSG(nn::RoPE(3), std::invalid_argument, "[RoPE] dims must be positive and even");
  EXPECT_THROW_MSG(nn::RoPE(8)(x), std::invalid_argument, "[RoPE]");
  EXPECT_THROW_MSG(r(ones({6})), std::invalid_argument, "[RoPE]");
}

TEST(NnSinusoidalPositionalEncoding, Formula) {
  const int dims = 8;
  nn::SinusoidalPositionalEncoding pe(dims, 0.01f, 1.0f);
  array pos = array({0.0f, 1.0f, 5.0f});
  array y = pe(pos);
  EXPECT_EQ(y.shape(), (Shape{3, 8}));
  std::vector<double> want;
  for (double p : {0.0, 1.0, 5.0}) {
    std::vector<double> s, c;
    for (int i = 0; i < 4; ++i) {
      double one_zero = 1.0 - i / 3.0;
      double sigma = std::exp(one_zero * (std::log(1.0) - std::log(0.01)) + std::log(0.01));
      s.push_back(std::sin(p * sigma) * std::sqrt(2.0 / dims));
      c.push_back(std::cos(p * sigma) * std::sqrt(2.0 / dims));
    }
    want.insert(want.end(), s.begin(), s.end());
    want.insert(want.end(), c.begin(), c.end());
  }
  EXPECT_TRUE(close(y, want, 1e-5, 1e-6));
  nn::SinusoidalPositionalEncoding cf(dims, 0.01f, 1.0f, 1.0f, true, true);
  auto v = vals(cf(array({0.5f})));
  EXPECT_NEAR(v[0], std::cos(0.5 * 2 * M_PI), 1e-5);  // highest frequency first, cos first
  EXPECT_NEAR(v[4], std::sin(0.5 * 2 * M_PI), 1e-5);
  EXPECT_EQ(pe.parameters().flatten().size(), 0u);
  EXPECT_TRUE(check_input_grads([&](const std::vector<array>& a) { return pe(a[0]); },
                                {nntest::rnd({3}, 15, 0, 10)}));
}

TEST(NnALiBi, SlopesAndBias) {
  auto slopes = vals(nn::ALiBi::create_alibi_slope(8));
  for (int h = 0; h < 8; ++h)
    EXPECT_NEAR(slopes[h], std::pow(2.0, -(h + 1)), 1e-7);
  // (1, 2, 2, 3) with offset 1: query positions 1, 2.
  array m = nn::ALiBi::create_alibi_matrix(3, 3, 2, 1);
  EXPECT_EQ(m.shape(), (Shape{1, 2, 2, 3}));
  std::vector<double> want;
  for (int h = 1; h <= 2; ++h) {
    double slope = std::pow(2.0, -8.0 * h / 2);
    for (int i = 1; i <= 2; ++i)
      for (int j = 0; j < 3; ++j)
        want.push_back(-std::abs(i - j) * slope);
  }
  EXPECT_TRUE(close(m, want, 1e-6, 1e-9));
  nn::ALiBi alibi;
  array scores = zeros({1, 2, 2, 3});
  EXPECT_TRUE(close(alibi(scores, 1, std::nullopt), want, 1e-6, 1e-9));
  array mask = full({2, 3}, array(-1.0f));
  std::vector<double> masked = want;
  for (auto& w : masked)
    w -= 1;
  EXPECT_TRUE(close(alibi(scores, 1, mask), masked, 1e-6, 1e-9));
  EXPECT_TRUE(close(alibi(zeros({1, 2, 3, 3})), vals(nn::ALiBi::create_alibi_matrix(3, 3, 2, 0))));
  EXPECT_THROW_MSG(alibi(zeros({2, 3})), std::invalid_argument, "[ALiBi]");
}
