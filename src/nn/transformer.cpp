// Copyright © 2026 Tandem authors.
// MultiHeadAttention, the Transformer encoder/decoder layers and stacks, and the Transformer
// model (mlx.nn.layers.transformer). Attention runs fast::scaled_dot_product_attention (scores,
// softmax in float32 for half inputs, weighted sum); batch sizes that only broadcast keep the
// composition below.
#include <cmath>
#include <limits>
#include <stdexcept>

#include "tandem/fast.h"
#include "tandem/nn.h"
#include "tandem/ops.h"
#include "tandem/utils.h"

namespace tandem::nn {

namespace {
[[noreturn]] void fail(const char* op, const std::string& msg) {
  throw std::invalid_argument(std::string("[") + op + "] " + msg);
}

double lowest(Dtype d) {
  switch (d.val) {
    case Dtype::Val::float16:
      return -65504.0;
    case Dtype::Val::bfloat16:
      return -3.3895313892515355e38;
    case Dtype::Val::float64:
      return std::numeric_limits<double>::lowest();
    default:
      return std::numeric_limits<float>::lowest();
  }
}

/// softmax(q k^T * scale + mask) v for q (N, h, L, d), k (N, h, S, d), v (N, h, S, dv).
array attention(const array& q, const array& k, const array& v, double scale,
                const std::optional<array>& mask) {
  if (q.shape(0) == k.shape(0) && (!mask || mask->ndim() <= 4)) {
    // Additive masks of any dtype are cast to the scores' dtype first (fast:: requires one that
    // promotes to it).
    std::vector<array> m;
    if (mask) {
      Dtype t = promote_types(promote_types(q.dtype(), k.dtype()), v.dtype());
      m.push_back(mask->dtype() == bool_ ? *mask : astype(*mask, t));
    }
    // fast:: takes a float scale; float64 queries are scaled here in double precision.
    if (q.dtype() == float64) {
      return fast::scaled_dot_product_attention(multiply(q, array(scale, float64)), k, v, 1.0f, "",
                                                m);
    }
    return fast::scaled_dot_product_attention(q, k, v, static_cast<float>(scale), "", m);
  }
  array scores = matmul(multiply(q, array(scale, q.dtype())), swapaxes(k, -1, -2));
  if (mask) {
    if (mask->dtype() == bool_) {
      scores = where(*mask, scores, array(lowest(scores.dtype()), scores.dtype()));
    } else {
      scores = add(scores, astype(*mask, scores.dtype()));
    }
  }
  array w = tandem::softmax(scores, -1, true);
  return matmul(w, v);
}

void check_3d(const char* what, const array& a) {
  if (a.ndim() != 3)
    fail("MultiHeadAttention",
         std::string(what) + " must have shape (N, L, D); got " + shape_to_string(a.shape()) + ".");
}

Activation or_relu(Activation a) {
  return a ? std::move(a) : Activation(nn::relu);
}
}  // namespace

// ------------------------------ MultiHeadAttention ------------------------------

MultiHeadAttention::MultiHeadAttention(int dims, int num_heads, std::optional<int> query_input_dims,
                                       std::optional<int> key_input_dims,
                                       std::optional<int> value_input_dims,
                                       std::optional<int> value_dims,
                                       std::optional<int> value_output_dims, bool bias)
    : num_heads_(num_heads) {
  if (dims <= 0 || num_heads <= 0)
    fail("MultiHeadAttention", "dims and num_heads must be positive; got " + std::to_string(dims) +
                                   " and " + std::to_string(num_heads) + ".");
  if (dims % num_heads != 0)
    fail("MultiHeadAttention",
         "The input feature dimensions should be divisible by the number of "
         "heads (" +
             std::to_string(dims) + " % " + std::to_string(num_heads) + ") != 0.");
  int qd = query_input_dims.value_or(dims);
  int kd = key_input_dims.value_or(dims);
  int vd = value_input_dims.value_or(kd);
  int vdims = value_dims.value_or(dims);
  int vod = value_output_dims.value_or(dims);
  if (vdims % num_heads != 0)
    fail("MultiHeadAttention", "value_dims (" + std::to_string(vdims) +
                                   ") must be divisible by num_heads (" +
                                   std::to_string(num_heads) + ").");
  query_proj = std::make_shared<Linear>(qd, dims, bias);
  key_proj = std::make_shared<Linear>(kd, dims, bias);
  value_proj = std::make_shared<Linear>(vd, vdims, bias);
  out_proj = std::make_shared<Linear>(vdims, vod, bias);
  register_module("query_proj", query_proj);
  register_module("key_proj", key_proj);
  register_module("value_proj", value_proj);
  register_module("out_proj", out_proj);
}

array MultiHeadAttention::operator()(const array& queries, const array& keys, const array& values,
                                     const std::optional<array>& mask) {
  check_3d("queries", queries);
  check_3d("keys", keys);
  check_3d("values", values);
  if (keys.shape(1) != values.shape(1) || keys.shape(0) != values.shape(0))
    fail("MultiHeadAttention", "keys with shape " + shape_to_string(keys.shape()) +
                                   " and values with shape " + shape_to_string(values.shape()) +
                                   " must have the same batch size and length.");
  const int qd = query_proj->param("weight").shape(1);
  const int kd = key_proj->param("weight").shape(1);
  const int vd = value_proj->param("weight").shape(1);
  if (queries.shape(2) != qd || keys.shape(2) != kd || values.shape(2) != vd)
    fail("MultiHeadAttention", "Feature sizes of queries " + shape_to_string(queries.shape()) +
                                   ", keys " + shape_to_string(keys.shape()) + " and values " +
                                   shape_to_string(values.shape()) + " must be " +
                                   std::to_string(qd) + ", " + std::to_string(kd) + " and " +
                                   std::to_string(vd) + ".");
  array q = (*query_proj)(queries);
  array k = (*key_proj)(keys);
  array v = (*value_proj)(values);
  const int B = q.shape(0), L = q.shape(1), S = k.shape(1), h = num_heads_;
  q = transpose(reshape(q, {B, L, h, -1}), {0, 2, 1, 3});
  k = transpose(reshape(k, {k.shape(0), S, h, -1}), {0, 2, 1, 3});
  v = transpose(reshape(v, {v.shape(0), S, h, -1}), {0, 2, 1, 3});
  double scale = 1.0 / std::sqrt(static_cast<double>(q.shape(-1)));
  array out = attention(q, k, v, scale, mask);
  out = reshape(transpose(out, {0, 2, 1, 3}), {B, L, -1});
  return (*out_proj)(out);
}

std::string MultiHeadAttention::extra_repr() const {
  return "dims=" + std::to_string(query_proj->param("weight").shape(0)) +
         ", num_heads=" + std::to_string(num_heads_);
}

array MultiHeadAttention::create_additive_causal_mask(int N, Dtype dtype) {
  array idx = arange(N);
  array upper = less(expand_dims(idx, 1), expand_dims(idx, 0));
  return multiply(astype(upper, dtype), array(lowest(dtype), dtype));
}

// ------------------------------ encoder ------------------------------

TransformerEncoderLayer::TransformerEncoderLayer(int dims, int num_heads,
                                                 std::optional<int> mlp_dims, float dropout,
                                                 Activation activation, bool norm_first)
    : activation_(or_relu(std::move(activation))), norm_first_(norm_first) {
  int md = mlp_dims.value_or(4 * dims);
  attention = std::make_shared<MultiHeadAttention>(dims, num_heads);
  ln1 = std::make_shared<LayerNorm>(dims);
  ln2 = std::make_shared<LayerNorm>(dims);
  linear1 = std::make_shared<Linear>(dims, md);
  linear2 = std::make_shared<Linear>(md, dims);
  dropout1 = std::make_shared<Dropout>(dropout);
  dropout2 = std::make_shared<Dropout>(dropout);
  register_module("attention", attention);
  register_module("ln1", ln1);
  register_module("ln2", ln2);
  register_module("linear1", linear1);
  register_module("linear2", linear2);
  register_module("dropout1", dropout1);
  register_module("dropout2", dropout2);
}

array TransformerEncoderLayer::operator()(const array& x, const std::optional<array>& mask) {
  if (norm_first_) {
    array y = (*ln1)(x);
    y = (*attention)(y, y, y, mask);
    array h = add(x, (*dropout1)(y));
    y = (*ln2)(h);
    y = (*linear2)((*dropout2)(activation_((*linear1)(y))));
    return add(h, y);
  }
  array y = (*attention)(x, x, x, mask);
  array h = (*ln1)(add(x, (*dropout1)(y)));
  y = (*linear2)((*dropout2)(activation_((*linear1)(h))));
  return (*ln2)(add(h, y));
}

TransformerEncoder::TransformerEncoder(int num_layers, int dims, int num_heads,
                                       std::optional<int> mlp_dims, float dropout,
                                       Activation activation, bool norm_first) {
  if (num_layers < 0)
    fail("TransformerEncoder",
         "num_layers must be non-negative; got " + std::to_string(num_layers) + ".");
  std::vector<std::shared_ptr<Module>> mods;
  for (int i = 0; i < num_layers; ++i) {
    layers.push_back(std::make_shared<TransformerEncoderLayer>(dims, num_heads, mlp_dims, dropout,
                                                               activation, norm_first));
    mods.push_back(layers.back());
  }
  ln = std::make_shared<LayerNorm>(dims);
  register_modules("layers", mods);
  register_module("ln", ln);
}

array TransformerEncoder::operator()(const array& x, const std::optional<array>& mask) {
  array y = x;
  for (auto& l : layers)
    y = (*l)(y, mask);
  return (*ln)(y);
}

// ------------------------------ decoder ------------------------------

TransformerDecoderLayer::TransformerDecoderLayer(int dims, int num_heads,
                                                 std::optional<int> mlp_dims, float dropout,
                                                 Activation activation, bool norm_first)
    : activation_(or_relu(std::move(activation))), norm_first_(norm_first) {
  int md = mlp_dims.value_or(4 * dims);
  self_attention = std::make_shared<MultiHeadAttention>(dims, num_heads);
  cross_attention = std::make_shared<MultiHeadAttention>(dims, num_heads);
  ln1 = std::make_shared<LayerNorm>(dims);
  ln2 = std::make_shared<LayerNorm>(dims);
  ln3 = std::make_shared<LayerNorm>(dims);
  linear1 = std::make_shared<Linear>(dims, md);
  linear2 = std::make_shared<Linear>(md, dims);
  dropout1 = std::make_shared<Dropout>(dropout);
  dropout2 = std::make_shared<Dropout>(dropout);
  dropout3 = std::make_shared<Dropout>(dropout);
  register_module("self_attention", self_attention);
  register_module("cross_attention", cross_attention);
  register_module("ln1", ln1);
  register_module("ln2", ln2);
  register_module("ln3", ln3);
  register_module("linear1", linear1);
  register_module("linear2", linear2);
  register_module("dropout1", dropout1);
  register_module("dropout2", dropout2);
  register_module("dropout3", dropout3);
}

// Post-norm (norm_first=false) follows the standard formulation: cross-attention reads the
// normalised residual stream x and ln2 normalises its output. (MLX's Python code passes the
// self-attention output and reuses ln1 there.)
array TransformerDecoderLayer::operator()(const array& x, const array& memory,
                                          const std::optional<array>& x_mask,
                                          const std::optional<array>& memory_mask) {
  if (norm_first_) {
    array y = (*ln1)(x);
    y = (*self_attention)(y, y, y, x_mask);
    array h = add(x, (*dropout1)(y));
    y = (*ln2)(h);
    y = (*cross_attention)(y, memory, memory, memory_mask);
    h = add(h, (*dropout2)(y));
    y = (*ln3)(h);
    y = (*linear2)((*dropout3)(activation_((*linear1)(y))));
    return add(h, y);
  }
  array y = (*self_attention)(x, x, x, x_mask);
  array h = (*ln1)(add(x, (*dropout1)(y)));
  y = (*cross_attention)(h, memory, memory, memory_mask);
  h = (*ln2)(add(h, (*dropout2)(y)));
  y = (*linear2)((*dropout3)(activation_((*linear1)(h))));
  return (*ln3)(add(h, y));
}

TransformerDecoder::TransformerDecoder(int num_layers, int dims, int num_heads,
                                       std::optional<int> mlp_dims, float dropout,
                                       Activation activation, bool norm_first) {
  if (num_layers < 0)
    fail("TransformerDecoder",
         "num_layers must be non-negative; got " + std::to_string(num_layers) + ".");
  std::vector<std::shared_ptr<Module>> mods;
  for (int i = 0; i < num_layers; ++i) {
    layers.push_back(std::make_shared<TransformerDecoderLayer>(dims, num_heads, mlp_dims, dropout,
                                                               activation, norm_first));
    mods.push_back(layers.back());
  }
  ln = std::make_shared<LayerNorm>(dims);
  register_modules("layers", mods);
  register_module("ln", ln);
}

array TransformerDecoder::operator()(const array& x, const array& memory,
                                     const std::optional<array>& x_mask,
                                     const std::optional<array>& memory_mask) {
  array y = x;
  for (auto& l : layers)
    y = (*l)(y, memory, x_mask, memory_mask);
  return (*ln)(y);
}

Transformer::Transformer(int dims, int num_heads, int num_encoder_layers, int num_decoder_layers,
                         std::optional<int> mlp_dims, float dropout, Activation activation,
                         bool norm_first) {
  encoder = std::make_shared<TransformerEncoder>(num_encoder_layers, dims, num_heads, mlp_dims,
                                                 dropout, activation, norm_first);
  decoder = std::make_shared<TransformerDecoder>(num_decoder_layers, dims, num_heads, mlp_dims,
                                                 dropout, activation, norm_first);
  register_module("encoder", encoder);
  register_module("decoder", decoder);
}

array Transformer::operator()(const array& src, const array& tgt,
                              const std::optional<array>& src_mask,
                              const std::optional<array>& tgt_mask,
                              const std::optional<array>& memory_mask) {
  array memory = (*encoder)(src, src_mask);
  return (*decoder)(tgt, memory, tgt_mask, memory_mask);
}

}  // namespace tandem::nn
