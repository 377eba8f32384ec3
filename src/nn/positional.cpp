// Copyright © 2026 Tandem authors.
// Positional encodings (mlx.nn.layers.positional_encoding): RoPE (through fast::rope),
// SinusoidalPositionalEncoding, ALiBi.
#include <cmath>
#include <numbers>
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

}  // namespace

// ------------------------------ RoPE ------------------------------

RoPE::RoPE(int dims, bool traditional, float base, float scale)
    : dims_(dims), traditional_(traditional), base_(base), scale_(scale) {
  if (dims <= 0 || dims % 2 != 0)
    fail("RoPE", "dims must be positive and even; got " + std::to_string(dims) + ".");
}

array RoPE::operator()(const array& x, int offset) {
  if (x.ndim() < 2)
    fail("RoPE", "Expected an input of shape (..., L, D); got " + shape_to_string(x.shape()) + ".");
  if (x.shape(-1) < dims_)
    fail("RoPE", "The last axis of the input with shape " + shape_to_string(x.shape()) +
                     " must hold at least dims=" + std::to_string(dims_) + " features.");
  if (!is_floating_point(x.dtype()))
    fail("RoPE", "Needs a floating-point input; got " + dtype_name(x.dtype()) + ".");
  // fast::rope wants (B, ..., L, D); a single (L, D) sequence gets a batch axis for the call.
  if (x.ndim() == 2) {
    return squeeze(fast::rope(expand_dims(x, 0), dims_, traditional_, base_, scale_, offset), 0);
  }
  return fast::rope(x, dims_, traditional_, base_, scale_, offset);
}

std::string RoPE::extra_repr() const {
  return std::to_string(dims_) + ", traditional=" + (traditional_ ? "true" : "false");
}

// ------------------------------ SinusoidalPositionalEncoding ------------------------------

namespace {
array make_sigmas(int dims, float min_freq, float max_freq, bool full_turns) {
  if (dims < 2)
    fail("SinusoidalPositionalEncoding",
         "dims must be at least 2; got " + std::to_string(dims) + ".");
  if (!(min_freq > 0.0f) || !(max_freq > 0.0f))
    fail("SinusoidalPositionalEncoding", "min_freq and max_freq must be positive.");
  const int half = dims / 2;
  // one_zero runs from 1 down to 0: frequencies from max_freq down to min_freq.
  array one_zero = half == 1 ? array({1.0f})
                             : subtract(array(1.0f), divide(astype(arange(0, half), float32),
                                                            array(static_cast<float>(half - 1))));
  float lmin = std::log(min_freq), lmax = std::log(max_freq);
  array s = exp(add(multiply(one_zero, array(lmax - lmin)), array(lmin)));
  if (full_turns) s = multiply(s, array(static_cast<float>(2.0 * std::numbers::pi)));
  return s;
}
}  // namespace

SinusoidalPositionalEncoding::SinusoidalPositionalEncoding(int dims, float min_freq, float max_freq,
                                                           std::optional<float> scale,
                                                           bool cos_first, bool full_turns)
    : sigmas_(make_sigmas(dims, min_freq, max_freq, full_turns)),
      scale_(scale.value_or(std::sqrt(2.0f / static_cast<float>(dims)))),
      cos_first_(cos_first) {}

array SinusoidalPositionalEncoding::operator()(const array& x) {
  Dtype d = is_floating_point(x.dtype()) ? x.dtype() : float32;
  array y = multiply(expand_dims(astype(x, d), -1), astype(sigmas_, d));
  array c = cos(y), s = sin(y);
  y = cos_first_ ? concatenate({c, s}, -1) : concatenate({s, c}, -1);
  if (scale_ != 1.0f) y = multiply(y, array(scale_, d));
  return y;
}

// ------------------------------ ALiBi ------------------------------

array ALiBi::create_alibi_slope(int num_heads) {
  if (num_heads <= 0)
    fail("ALiBi", "num_heads must be positive; got " + std::to_string(num_heads) + ".");
  // m_h = (2^8)^(-h / num_heads) = 2^(-8 h / num_heads), h = 1..num_heads.
  array h = astype(arange(1, num_heads + 1), float32);
  array out = power(array(2.0f), multiply(h, array(-8.0f / static_cast<float>(num_heads))));
  return reshape(out, {num_heads, 1, 1});
}

array ALiBi::create_alibi_matrix(int q_sequence_length, int k_sequence_length, int num_heads,
                                 int offset, Dtype dtype) {
  if (offset < 0 || q_sequence_length < offset || k_sequence_length < 0)
    fail("ALiBi", "Invalid lengths: q_sequence_length " + std::to_string(q_sequence_length) +
                      ", k_sequence_length " + std::to_string(k_sequence_length) + ", offset " +
                      std::to_string(offset) + ".");
  array x1 = astype(arange(offset, q_sequence_length), float32);
  array x2 = astype(arange(0, k_sequence_length), float32);
  array dist = negative(abs(subtract(expand_dims(x1, 1), expand_dims(x2, 0))));  // (L, S)
  dist = expand_dims(dist, {0, 1});                                              // (1, 1, L, S)
  return astype(multiply(dist, create_alibi_slope(num_heads)), dtype);           // (1, H, L, S)
}

array ALiBi::operator()(const array& attention_scores, int offset,
                        const std::optional<array>& mask) {
  if (attention_scores.ndim() != 4)
    fail("ALiBi", "Expected attention scores of shape (N, heads, L, S); got " +
                      shape_to_string(attention_scores.shape()) + ".");
  const Shape& s = attention_scores.shape();
  Dtype d = is_floating_point(attention_scores.dtype()) ? attention_scores.dtype() : float32;
  array bias = create_alibi_matrix(s[2] + offset, s[3], s[1], offset, d);
  if (mask) bias = add(bias, *mask);
  return add(attention_scores, bias);
}

}  // namespace tandem::nn
