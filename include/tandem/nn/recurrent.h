// Copyright © 2026 Tandem authors.
// Recurrent layers (mlx.nn.RNN, GRU, LSTM). Inputs are (N, L, D) or (L, D); the outputs hold the
// hidden state of every step, (N, L, H) or (L, H). Weights are uniform in [-s, s] with
// s = 1/sqrt(hidden_size). A missing initial hidden state (or cell) means zeros.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "tandem/array.h"
#include "tandem/nn/activations.h"
#include "tandem/nn/module.h"

namespace tandem::nn {

/// Elman RNN: h_t = nonlinearity(x_t Wxh^T + h_{t-1} Whh^T + bias). Parameters "Wxh" (H, D),
/// "Whh" (H, H), "bias" (H,). The default nonlinearity is tanh.
class RNN : public Module {
 public:
  RNN(int input_size, int hidden_size, bool bias = true, Activation nonlinearity = nullptr);
  array operator()(const array& x) override;
  /// With an initial hidden state of shape (N, H) or (H,).
  array operator()(const array& x, const array& hidden);
  std::string name() const override { return "RNN"; }
  std::string extra_repr() const override;

 private:
  array forward(const array& x, const std::optional<array>& hidden);
  int input_size_, hidden_size_;
  Activation nonlinearity_;
};

/// Gated recurrent unit (gates r, z, n as in MLX/PyTorch): parameters "Wx" (3H, D), "Wh" (3H, H),
/// "b" (3H,) and "bhn" (H,), the bias of the hidden term of the candidate n:
/// n = tanh(x Wn + b_n + r * (h Un + bhn)). Without an initial state h = 0, so the first step
/// still adds r * bhn (MLX's Python code drops it there; PyTorch keeps it, as here).
class GRU : public Module {
 public:
  GRU(int input_size, int hidden_size, bool bias = true);
  array operator()(const array& x) override;
  array operator()(const array& x, const array& hidden);
  std::string name() const override { return "GRU"; }
  std::string extra_repr() const override;

 private:
  array forward(const array& x, const std::optional<array>& hidden);
  int input_size_, hidden_size_;
};

/// Long short-term memory (gates i, f, g, o): parameters "Wx" (4H, D), "Wh" (4H, H), "bias" (4H,).
/// Returns (hidden states, cell states), each (N, L, H) or (L, H).
class LSTM : public Module {
 public:
  LSTM(int input_size, int hidden_size, bool bias = true);
  std::pair<array, array> operator()(const array& x,
                                     const std::optional<array>& hidden = std::nullopt,
                                     const std::optional<array>& cell = std::nullopt);
  std::string name() const override { return "LSTM"; }
  std::string extra_repr() const override;

 private:
  int input_size_, hidden_size_;
};

}  // namespace tandem::nn
