// Copyright © 2026 Tandem authors.
// RNN, GRU and LSTM (mlx.nn.layers.recurrent): the input projection for all steps is one matmul;
// the recurrence is unrolled over the sequence axis (-2).
#include <cmath>
#include <stdexcept>

#include "tandem/nn.h"
#include "tandem/ops.h"
#include "tandem/random.h"
#include "tandem/utils.h"

namespace tandem::nn {

namespace {
[[noreturn]] void fail(const char* op, const std::string& msg) {
  throw std::invalid_argument(std::string("[") + op + "] " + msg);
}
void check_sizes(const char* op, int input_size, int hidden_size) {
  if (input_size <= 0 || hidden_size <= 0)
    fail(op, "input_size and hidden_size must be positive; got " + std::to_string(input_size) +
                 " and " + std::to_string(hidden_size) + ".");
}
array init_uniform(const Shape& shape, int hidden_size) {
  float s = 1.0f / std::sqrt(static_cast<float>(hidden_size));
  return random::uniform(array(-s), array(s), shape, float32);
}
void check_input(const char* op, const array& x, int input_size) {
  if ((x.ndim() != 2 && x.ndim() != 3) || x.shape(-1) != input_size)
    fail(op, "Expected an input of shape (N, L, " + std::to_string(input_size) + ") or (L, " +
                 std::to_string(input_size) + "); got " + shape_to_string(x.shape()) + ".");
}
void check_state(const char* op, const char* what, const array& h, const array& x,
                 int hidden_size) {
  Shape want;
  if (x.ndim() == 3) want.push_back(x.shape(0));
  want.push_back(hidden_size);
  if (h.shape() != want)
    fail(op, std::string("The initial ") + what + " must have shape " + shape_to_string(want) +
                 " for an input of shape " + shape_to_string(x.shape()) + "; got " +
                 shape_to_string(h.shape()) + ".");
}
/// Step t of a (..., L, F) array: (..., F).
array at_step(const array& x, int t) {
  return take(x, t, x.ndim() - 2);
}
/// Columns [lo, hi) of the last axis.
array cols(const array& x, int lo, int hi) {
  Shape start(x.ndim(), 0), stop = x.shape();
  start.back() = lo;
  stop.back() = hi;
  return slice(x, start, stop);
}
std::string b(bool v) {
  return v ? "true" : "false";
}
}  // namespace

// ------------------------------ RNN ------------------------------

RNN::RNN(int input_size, int hidden_size, bool bias, Activation nonlinearity)
    : input_size_(input_size),
      hidden_size_(hidden_size),
      nonlinearity_(nonlinearity ? std::move(nonlinearity) : Activation(nn::tanh)) {
  check_sizes("RNN", input_size, hidden_size);
  register_parameter("Wxh", init_uniform({hidden_size, input_size}, hidden_size));
  register_parameter("Whh", init_uniform({hidden_size, hidden_size}, hidden_size));
  if (bias) register_parameter("bias", init_uniform({hidden_size}, hidden_size));
}

array RNN::forward(const array& x, const std::optional<array>& hidden) {
  check_input("RNN", x, input_size_);
  if (hidden) check_state("RNN", "hidden state", *hidden, x, hidden_size_);
  array proj = matmul(x, transpose(param("Wxh")));
  if (has_param("bias")) proj = add(proj, param("bias"));
  array whh_t = transpose(param("Whh"));
  std::optional<array> h = hidden;
  std::vector<array> all;
  for (int t = 0; t < x.shape(-2); ++t) {
    array pre = at_step(proj, t);
    if (h) pre = add(pre, matmul(*h, whh_t));
    h = nonlinearity_(pre);
    all.push_back(*h);
  }
  return stack(all, -2);
}

array RNN::operator()(const array& x) {
  return forward(x, std::nullopt);
}
array RNN::operator()(const array& x, const array& hidden) {
  return forward(x, hidden);
}

std::string RNN::extra_repr() const {
  return "input_dims=" + std::to_string(input_size_) +
         ", hidden_size=" + std::to_string(hidden_size_) + ", bias=" + b(has_param("bias"));
}

// ------------------------------ GRU ------------------------------

GRU::GRU(int input_size, int hidden_size, bool bias)
    : input_size_(input_size), hidden_size_(hidden_size) {
  check_sizes("GRU", input_size, hidden_size);
  register_parameter("Wx", init_uniform({3 * hidden_size, input_size}, hidden_size));
  register_parameter("Wh", init_uniform({3 * hidden_size, hidden_size}, hidden_size));
  if (bias) {
    register_parameter("b", init_uniform({3 * hidden_size}, hidden_size));
    register_parameter("bhn", init_uniform({hidden_size}, hidden_size));
  }
}

// r = sigmoid(x Wr + h Ur), z = sigmoid(x Wz + h Uz), n = tanh(x Wn + r * (h Un + bhn)),
// h' = (1 - z) * n + z * h. A missing initial state is zeros (so n gets r * bhn at step 0).
array GRU::forward(const array& x, const std::optional<array>& hidden) {
  check_input("GRU", x, input_size_);
  if (hidden) check_state("GRU", "hidden state", *hidden, x, hidden_size_);
  const int H = hidden_size_;
  array proj = matmul(x, transpose(param("Wx")));
  if (has_param("b")) proj = add(proj, param("b"));
  array x_rz = cols(proj, 0, 2 * H);
  array x_n = cols(proj, 2 * H, 3 * H);
  array wh_t = transpose(param("Wh"));
  std::optional<array> bhn;
  if (has_param("bhn")) bhn = param("bhn");
  std::optional<array> h = hidden;
  std::vector<array> all;
  for (int t = 0; t < x.shape(-2); ++t) {
    array rz = at_step(x_rz, t);
    array n = at_step(x_n, t);
    std::optional<array> h_n;  // h Un + bhn
    if (h) {
      array hp = matmul(*h, wh_t);
      rz = add(rz, cols(hp, 0, 2 * H));
      h_n = cols(hp, 2 * H, 3 * H);
      if (bhn) h_n = add(*h_n, *bhn);
    } else if (bhn) {
      h_n = *bhn;
    }
    rz = tandem::sigmoid(rz);
    array r = cols(rz, 0, H);
    array z = cols(rz, H, 2 * H);
    if (h_n) n = add(n, multiply(r, *h_n));
    n = tandem::tanh(n);
    array one(1.0, z.dtype());
    array next = multiply(subtract(one, z), n);
    if (h) next = add(next, multiply(z, *h));
    h = next;
    all.push_back(next);
  }
  return stack(all, -2);
}

array GRU::operator()(const array& x) {
  return forward(x, std::nullopt);
}
array GRU::operator()(const array& x, const array& hidden) {
  return forward(x, hidden);
}

std::string GRU::extra_repr() const {
  return "input_dims=" + std::to_string(input_size_) +
         ", hidden_size=" + std::to_string(hidden_size_) + ", bias=" + b(has_param("b"));
}

// ------------------------------ LSTM ------------------------------

LSTM::LSTM(int input_size, int hidden_size, bool bias)
    : input_size_(input_size), hidden_size_(hidden_size) {
  check_sizes("LSTM", input_size, hidden_size);
  register_parameter("Wx", init_uniform({4 * hidden_size, input_size}, hidden_size));
  register_parameter("Wh", init_uniform({4 * hidden_size, hidden_size}, hidden_size));
  if (bias) register_parameter("bias", init_uniform({4 * hidden_size}, hidden_size));
}

std::pair<array, array> LSTM::operator()(const array& x, const std::optional<array>& hidden,
                                         const std::optional<array>& cell) {
  check_input("LSTM", x, input_size_);
  if (hidden) check_state("LSTM", "hidden state", *hidden, x, hidden_size_);
  if (cell) check_state("LSTM", "cell state", *cell, x, hidden_size_);
  const int H = hidden_size_;
  array proj = matmul(x, transpose(param("Wx")));
  if (has_param("bias")) proj = add(proj, param("bias"));
  array wh_t = transpose(param("Wh"));
  std::optional<array> h = hidden, c = cell;
  std::vector<array> hs, cs;
  for (int t = 0; t < x.shape(-2); ++t) {
    array ifgo = at_step(proj, t);
    if (h) ifgo = add(ifgo, matmul(*h, wh_t));
    array i = tandem::sigmoid(cols(ifgo, 0, H));
    array f = tandem::sigmoid(cols(ifgo, H, 2 * H));
    array g = tandem::tanh(cols(ifgo, 2 * H, 3 * H));
    array o = tandem::sigmoid(cols(ifgo, 3 * H, 4 * H));
    array next_c = c ? add(multiply(f, *c), multiply(i, g)) : multiply(i, g);
    c = next_c;
    h = multiply(o, tandem::tanh(next_c));
    hs.push_back(*h);
    cs.push_back(next_c);
  }
  return {stack(hs, -2), stack(cs, -2)};
}

std::string LSTM::extra_repr() const {
  return "input_dims=" + std::to_string(input_size_) +
         ", hidden_size=" + std::to_string(hidden_size_) + ", bias=" + b(has_param("bias"));
}

}  // namespace tandem::nn
