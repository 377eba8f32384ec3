// Copyright © 2026 Tandem authors.
// A small GPT (decoder-only transformer, GPT-2 layout) built from tandem::nn layers: token and
// position embeddings, n_layer blocks of pre-norm causal self-attention + MLP (GELU, tanh
// approximation, as GPT-2), a final LayerNorm and an output head tied to the token embedding (or
// a separate Linear). Shared by examples/train_gpt.cpp and the gpt2 case of benchmarks/bench.cpp.
//
// Parameter names follow GPT-2 ("wte", "wpe", "h.0.attn.c_attn", ..., "ln_f", "lm_head").
// Initialisation follows GPT-2: weights normal(0, 0.02), residual projections (attn.c_proj,
// mlp.c_proj) normal(0, 0.02 / sqrt(2 n_layer)), biases zero, LayerNorms one/zero.
#pragma once

#include <tandem/tandem.h>

#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gpt {

namespace tx = tandem;
namespace nn = tandem::nn;
using tx::array;

struct Config {
  int vocab_size = 256;
  int context = 128;  // the longest sequence (block size)
  int n_layer = 4;
  int n_head = 4;
  int n_embd = 128;
  float dropout = 0.0f;
  bool bias = true;
  bool tie_weights = true;  // the head reuses wte's table

  /// Parameters in the model (the position table included, a tied head counted once).
  int64_t num_params() const {
    int64_t d = n_embd;
    int64_t per_block = 12 * d * d + (bias ? 13 * d : 4 * d);  // attn + mlp + 2 LayerNorms
    int64_t n = int64_t(vocab_size) * d + int64_t(context) * d + n_layer * per_block + 2 * d;
    if (!tie_weights) n += int64_t(vocab_size) * d;
    return n;
  }
  /// Training flops per token (forward + backward = 3x forward): 6 per weight of the matmuls
  /// (head included, embeddings excluded) plus the attention scores and weighted sums,
  /// 12 * n_layer * T * d for a sequence of T (causal masking is not subtracted), as in the
  /// PaLM/nanoGPT MFU estimate.
  double train_flops_per_token(int T) const {
    double d = n_embd;
    double matmul_weights = n_layer * 12.0 * d * d + double(vocab_size) * d;
    return 6.0 * matmul_weights + 12.0 * n_layer * T * d;
  }
};

/// Multi-head causal self-attention with one fused q/k/v projection.
class CausalSelfAttention : public nn::Module {
 public:
  explicit CausalSelfAttention(const Config& c)
      : n_head_(c.n_head),
        c_attn(std::make_shared<nn::Linear>(c.n_embd, 3 * c.n_embd, c.bias)),
        c_proj(std::make_shared<nn::Linear>(c.n_embd, c.n_embd, c.bias)),
        dropout(std::make_shared<nn::Dropout>(c.dropout)) {
    register_module("c_attn", c_attn);
    register_module("c_proj", c_proj);
    register_module("dropout", dropout);
  }
  /// x (B, T, C) with an additive (T, T) causal mask.
  array operator()(const array& x, const array& mask) {
    const int B = x.shape(0), T = x.shape(1), C = x.shape(2), h = n_head_;
    auto qkv = tx::split((*c_attn)(x), 3, -1);
    auto heads = [&](const array& a) {
      return tx::transpose(tx::reshape(a, {B, T, h, C / h}), {0, 2, 1, 3});  // (B, h, T, hd)
    };
    array q = heads(qkv[0]), k = heads(qkv[1]), v = heads(qkv[2]);
    array scale(static_cast<float>(1.0 / std::sqrt(double(C / h))), x.dtype());
    array scores = tx::matmul(q * scale, tx::swapaxes(k, -1, -2)) + mask;
    array w = tx::softmax(scores, -1, /*precise=*/true);
    array y = tx::reshape(tx::transpose(tx::matmul(w, v), {0, 2, 1, 3}), {B, T, C});
    return (*dropout)((*c_proj)(y));
  }
  using nn::Module::operator();
  std::string name() const override { return "CausalSelfAttention"; }

 private:
  int n_head_;

 public:
  std::shared_ptr<nn::Linear> c_attn, c_proj;
  std::shared_ptr<nn::Dropout> dropout;
};

/// Linear (4x wider) -> GELU (tanh approximation) -> Linear.
class MLP : public nn::Module {
 public:
  explicit MLP(const Config& c)
      : c_fc(std::make_shared<nn::Linear>(c.n_embd, 4 * c.n_embd, c.bias)),
        c_proj(std::make_shared<nn::Linear>(4 * c.n_embd, c.n_embd, c.bias)),
        dropout(std::make_shared<nn::Dropout>(c.dropout)) {
    register_module("c_fc", c_fc);
    register_module("c_proj", c_proj);
    register_module("dropout", dropout);
  }
  array operator()(const array& x) override {
    return (*dropout)((*c_proj)(nn::gelu_approx((*c_fc)(x))));
  }
  std::string name() const override { return "MLP"; }

  std::shared_ptr<nn::Linear> c_fc, c_proj;
  std::shared_ptr<nn::Dropout> dropout;
};

/// x + attn(ln_1(x)), then + mlp(ln_2(x)).
class Block : public nn::Module {
 public:
  explicit Block(const Config& c)
      : ln_1(std::make_shared<nn::LayerNorm>(c.n_embd)),
        attn(std::make_shared<CausalSelfAttention>(c)),
        ln_2(std::make_shared<nn::LayerNorm>(c.n_embd)),
        mlp(std::make_shared<MLP>(c)) {
    register_module("ln_1", ln_1);
    register_module("attn", attn);
    register_module("ln_2", ln_2);
    register_module("mlp", mlp);
  }
  array operator()(const array& x, const array& mask) {
    array y = x + (*attn)((*ln_1)(x), mask);
    return y + (*mlp)((*ln_2)(y));
  }
  using nn::Module::operator();
  std::string name() const override { return "Block"; }

  std::shared_ptr<nn::LayerNorm> ln_1;
  std::shared_ptr<CausalSelfAttention> attn;
  std::shared_ptr<nn::LayerNorm> ln_2;
  std::shared_ptr<MLP> mlp;
};

class GPT : public nn::Module {
 public:
  /// Builds the model and initialises it from `seed` (GPT-2's scheme, see the file comment).
  explicit GPT(const Config& c, uint64_t seed = 0) : config(c) {
    if (c.n_embd % c.n_head != 0)
      throw std::invalid_argument("[GPT] n_embd (" + std::to_string(c.n_embd) +
                                  ") must be divisible by n_head (" + std::to_string(c.n_head) +
                                  ").");
    wte = std::make_shared<nn::Embedding>(c.vocab_size, c.n_embd);
    wpe = std::make_shared<nn::Embedding>(c.context, c.n_embd);
    drop = std::make_shared<nn::Dropout>(c.dropout);
    register_module("wte", wte);
    register_module("wpe", wpe);
    register_module("drop", drop);
    std::vector<std::shared_ptr<nn::Module>> hs;
    for (int i = 0; i < c.n_layer; ++i) {
      h.push_back(std::make_shared<Block>(c));
      hs.push_back(h.back());
    }
    register_modules("h", hs);
    ln_f = std::make_shared<nn::LayerNorm>(c.n_embd);
    register_module("ln_f", ln_f);
    if (!c.tie_weights) {
      lm_head = std::make_shared<nn::Linear>(c.n_embd, c.vocab_size, false);
      register_module("lm_head", lm_head);
    }
    init_weights(seed);
  }

  /// Token ids (B, T) with T <= context -> logits (B, T, vocab_size).
  array operator()(const array& idx) override {
    if (idx.ndim() != 2 || idx.shape(1) > config.context)
      throw std::invalid_argument(
          "[GPT] Expected token ids of shape (B, T) with T <= " + std::to_string(config.context) +
          "; got " + tx::shape_to_string(idx.shape()) + ".");
    const int T = idx.shape(1);
    array x = (*wte)(idx) + (*wpe)(tx::arange(0, T, tx::int32));
    x = (*drop)(x);
    array mask = nn::MultiHeadAttention::create_additive_causal_mask(T, x.dtype());
    for (auto& b : h)
      x = (*b)(x, mask);
    x = (*ln_f)(x);
    return lm_head ? (*lm_head)(x) : wte->as_linear(x);
  }

  /// Mean cross-entropy of the next-token predictions: inputs (B, T), targets (B, T).
  array loss(const array& inputs, const array& targets) {
    return nn::losses::cross_entropy((*this)(inputs), targets, std::nullopt, -1, 0.0f, "mean");
  }

  /// Appends `n` sampled tokens to `prompt` (1-d int32 ids), feeding at most `context` tokens;
  /// temperature <= 0 picks the most likely token.
  std::vector<int32_t> generate(std::vector<int32_t> prompt, int n, float temperature, array key) {
    for (int i = 0; i < n; ++i) {
      int start = std::max<int>(0, static_cast<int>(prompt.size()) - config.context);
      std::vector<int32_t> window(prompt.begin() + start, prompt.end());
      array ids(window, {1, static_cast<int>(window.size())}, tx::int32);
      array logits = (*this)(ids);
      int last = static_cast<int>(window.size()) - 1;
      logits = tx::reshape(tx::slice(logits, {0, last, 0}, {1, last + 1, config.vocab_size}),
                           {config.vocab_size});
      array next = [&] {
        if (temperature <= 0) return tx::argmax(logits);
        auto keys = tx::random::split(key);
        key = keys.first;
        return tx::random::categorical(logits * (1.0f / temperature), -1, keys.second);
      }();
      prompt.push_back(tx::astype(next, tx::int32).item<int32_t>());
    }
    return prompt;
  }

  std::string name() const override { return "GPT"; }

  Config config;
  std::shared_ptr<nn::Embedding> wte, wpe;
  std::shared_ptr<nn::Dropout> drop;
  std::vector<std::shared_ptr<Block>> h;
  std::shared_ptr<nn::LayerNorm> ln_f;
  std::shared_ptr<nn::Linear> lm_head;  // null when tied

 private:
  void init_weights(uint64_t seed) {
    auto flat = parameters().flatten();
    array keys = tx::random::split(tx::random::key(seed), static_cast<int>(flat.size()));
    const float std_resid = 0.02f / std::sqrt(2.0f * config.n_layer);
    std::vector<std::pair<std::string, array>> fresh;
    for (size_t i = 0; i < flat.size(); ++i) {
      const auto& [path, p] = flat[i];
      auto ends_with = [&](const std::string& s) {
        return path.size() >= s.size() && path.compare(path.size() - s.size(), s.size(), s) == 0;
      };
      if (p.ndim() < 2) continue;  // biases stay zero, LayerNorms one/zero
      array k =
          tx::reshape(tx::slice(keys, {static_cast<int>(i), 0}, {static_cast<int>(i) + 1, 2}), {2});
      float std = ends_with("c_proj.weight") ? std_resid : 0.02f;
      fresh.emplace_back(path, tx::random::normal(p.shape(), p.dtype(), 0.0f, std, k));
    }
    // nn::Linear starts its bias uniform; GPT-2 starts it at zero.
    for (const auto& [path, p] : flat)
      if (p.ndim() == 1 && path.size() > 5 && path.compare(path.size() - 5, 5, ".bias") == 0 &&
          path.find("ln_") == std::string::npos)
        fresh.emplace_back(path, tx::zeros_like(p));
    update(nn::Params::unflatten(fresh));
    tx::eval(parameters().leaves());
  }
};

}  // namespace gpt
