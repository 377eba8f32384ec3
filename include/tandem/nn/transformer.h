// Copyright © 2026 Tandem authors.
// Attention, Transformer layers and positional encodings (mlx.nn): MultiHeadAttention,
// TransformerEncoderLayer/Encoder, TransformerDecoderLayer/Decoder, Transformer, RoPE,
// SinusoidalPositionalEncoding, ALiBi.
//
// Attention masks: a bool mask keeps the positions where it is true; any other dtype is added to
// the attention scores (use MultiHeadAttention::create_additive_causal_mask). Masks broadcast
// against the scores of shape (N, heads, L, S).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tandem/array.h"
#include "tandem/nn/activations.h"
#include "tandem/nn/layers.h"
#include "tandem/nn/module.h"

namespace tandem::nn {

/// Multi-head attention: children "query_proj", "key_proj", "value_proj", "out_proj" (Linear).
/// Input dims default to `dims`; value_input_dims defaults to key_input_dims.
class MultiHeadAttention : public Module {
 public:
  MultiHeadAttention(int dims, int num_heads, std::optional<int> query_input_dims = std::nullopt,
                     std::optional<int> key_input_dims = std::nullopt,
                     std::optional<int> value_input_dims = std::nullopt,
                     std::optional<int> value_dims = std::nullopt,
                     std::optional<int> value_output_dims = std::nullopt, bool bias = false);
  /// queries (N, L, Dq), keys (N, S, Dk), values (N, S, Dv) -> (N, L, value_output_dims).
  array operator()(const array& queries, const array& keys, const array& values,
                   const std::optional<array>& mask = std::nullopt);
  using Module::operator();
  std::string name() const override { return "MultiHeadAttention"; }
  std::string extra_repr() const override;
  /// (N, N) additive mask: 0 on and below the diagonal, the dtype's lowest value above it.
  static array create_additive_causal_mask(int N, Dtype dtype = float32);

  std::shared_ptr<Linear> query_proj, key_proj, value_proj, out_proj;

 private:
  int num_heads_;
};

/// One encoder block: self-attention and an MLP (linear1 -> activation -> linear2), each with a
/// residual connection, LayerNorm before (norm_first, the default) or after each part, and
/// dropout. mlp_dims defaults to 4 * dims, the activation to relu.
class TransformerEncoderLayer : public Module {
 public:
  TransformerEncoderLayer(int dims, int num_heads, std::optional<int> mlp_dims = std::nullopt,
                          float dropout = 0.0f, Activation activation = nullptr,
                          bool norm_first = true);
  array operator()(const array& x, const std::optional<array>& mask);
  using Module::operator();
  std::string name() const override { return "TransformerEncoderLayer"; }

  std::shared_ptr<MultiHeadAttention> attention;
  std::shared_ptr<LayerNorm> ln1, ln2;
  std::shared_ptr<Linear> linear1, linear2;
  std::shared_ptr<Dropout> dropout1, dropout2;

 private:
  Activation activation_;
  bool norm_first_;
};

/// num_layers encoder layers ("layers") followed by a LayerNorm ("ln").
class TransformerEncoder : public Module {
 public:
  TransformerEncoder(int num_layers, int dims, int num_heads,
                     std::optional<int> mlp_dims = std::nullopt, float dropout = 0.0f,
                     Activation activation = nullptr, bool norm_first = true);
  array operator()(const array& x, const std::optional<array>& mask);
  using Module::operator();
  std::string name() const override { return "TransformerEncoder"; }

  std::vector<std::shared_ptr<TransformerEncoderLayer>> layers;
  std::shared_ptr<LayerNorm> ln;
};

/// One decoder block: self-attention on x, cross-attention to `memory`, MLP; residuals,
/// LayerNorms (ln1..ln3) and dropout as in the encoder layer. Post-norm (norm_first=false) uses
/// the standard form x = ln2(x + cross_attention(x, memory)); MLX's Python code feeds the
/// self-attention output to cross-attention and reuses ln1 there.
class TransformerDecoderLayer : public Module {
 public:
  TransformerDecoderLayer(int dims, int num_heads, std::optional<int> mlp_dims = std::nullopt,
                          float dropout = 0.0f, Activation activation = nullptr,
                          bool norm_first = true);
  array operator()(const array& x, const array& memory, const std::optional<array>& x_mask,
                   const std::optional<array>& memory_mask);
  using Module::operator();
  std::string name() const override { return "TransformerDecoderLayer"; }

  std::shared_ptr<MultiHeadAttention> self_attention, cross_attention;
  std::shared_ptr<LayerNorm> ln1, ln2, ln3;
  std::shared_ptr<Linear> linear1, linear2;
  std::shared_ptr<Dropout> dropout1, dropout2, dropout3;

 private:
  Activation activation_;
  bool norm_first_;
};

/// num_layers decoder layers ("layers") followed by a LayerNorm ("ln").
class TransformerDecoder : public Module {
 public:
  TransformerDecoder(int num_layers, int dims, int num_heads,
                     std::optional<int> mlp_dims = std::nullopt, float dropout = 0.0f,
                     Activation activation = nullptr, bool norm_first = true);
  array operator()(const array& x, const array& memory, const std::optional<array>& x_mask,
                   const std::optional<array>& memory_mask);
  using Module::operator();
  std::string name() const override { return "TransformerDecoder"; }

  std::vector<std::shared_ptr<TransformerDecoderLayer>> layers;
  std::shared_ptr<LayerNorm> ln;
};

/// Encoder ("encoder") and decoder ("decoder") of "Attention Is All You Need".
class Transformer : public Module {
 public:
  Transformer(int dims = 512, int num_heads = 8, int num_encoder_layers = 6,
              int num_decoder_layers = 6, std::optional<int> mlp_dims = std::nullopt,
              float dropout = 0.0f, Activation activation = nullptr, bool norm_first = true);
  array operator()(const array& src, const array& tgt, const std::optional<array>& src_mask,
                   const std::optional<array>& tgt_mask, const std::optional<array>& memory_mask);
  using Module::operator();
  std::string name() const override { return "Transformer"; }

  std::shared_ptr<TransformerEncoder> encoder;
  std::shared_ptr<TransformerDecoder> decoder;
};

/// Rotary positional encoding of the first `dims` features of the last axis; positions run along
/// axis -2 starting at `offset`, angle = (offset + l) * scale * base^(-2i/dims). traditional=true
/// rotates consecutive pairs (x[2i], x[2i+1]); false rotates x[i] with x[i + dims/2].
class RoPE : public Module {
 public:
  explicit RoPE(int dims, bool traditional = false, float base = 10000.0f, float scale = 1.0f);
  array operator()(const array& x) override { return (*this)(x, 0); }
  array operator()(const array& x, int offset);
  std::string name() const override { return "RoPE"; }
  std::string extra_repr() const override;

 private:
  int dims_;
  bool traditional_;
  float base_, scale_;
};

/// Sinusoidal features of (float) positions x: (...,) -> (..., dims), [sin, cos] (or [cos, sin]
/// with cos_first) of x * sigma_i, with frequencies sigma_i geometric from max_freq down to
/// min_freq (times 2 pi with full_turns), scaled by `scale` (default sqrt(2 / dims)).
class SinusoidalPositionalEncoding : public Module {
 public:
  explicit SinusoidalPositionalEncoding(int dims, float min_freq = 0.0001f, float max_freq = 1.0f,
                                        std::optional<float> scale = std::nullopt,
                                        bool cos_first = false, bool full_turns = false);
  array operator()(const array& x) override;
  std::string name() const override { return "SinusoidalPositionalEncoding"; }

 private:
  array sigmas_;
  float scale_;
  bool cos_first_;
};

/// Attention with linear biases: adds -m_h * |i - j| to scores of shape (N, heads, L, S), with
/// head slopes m_h = 2^(-8h/heads), h = 1..heads, and query positions offset..offset+L-1.
class ALiBi : public Module {
 public:
  array operator()(const array& x) override { return (*this)(x, 0, std::nullopt); }
  array operator()(const array& attention_scores, int offset, const std::optional<array>& mask);
  std::string name() const override { return "ALiBi"; }
  /// The (1, heads, L, S) bias for query positions offset..q_sequence_length-1.
  static array create_alibi_matrix(int q_sequence_length, int k_sequence_length, int num_heads,
                                   int offset, Dtype dtype = float32);
  /// The (heads, 1, 1) slopes.
  static array create_alibi_slope(int num_heads);
};

}  // namespace tandem::nn
