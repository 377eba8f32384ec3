// Copyright © 2026 Tandem authors.
// Basic layers (mlx.nn): Identity, Linear, Bilinear, Sequential, Embedding, the Dropout family and
// the normalisation layers. Parameters are float32 and initialised from the global random key
// (random::seed) unless said otherwise; their names match MLX so weights files line up.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tandem/array.h"
#include "tandem/nn/module.h"

namespace tandem::nn {

/// Returns its input.
class Identity : public Module {
 public:
  array operator()(const array& x) override { return x; }
  std::string name() const override { return "Identity"; }
};

/// y = x W^T + b. "weight" (output_dims, input_dims) and "bias" (output_dims,) are uniform in
/// [-s, s], s = 1/sqrt(input_dims).
class Linear : public Module {
 public:
  Linear(int input_dims, int output_dims, bool bias = true);
  /// x: (..., input_dims) -> (..., output_dims). A wrong last extent throws "[Linear] ...".
  array operator()(const array& x) override;
  std::string name() const override { return "Linear"; }
  std::string extra_repr() const override;
  array& weight() { return param("weight"); }
  array& bias() { return param("bias"); }
};

/// y_k = x1^T W_k x2 + b_k. "weight" (output_dims, input2_dims, input1_dims), "bias"
/// (output_dims,), uniform in [-s, s], s = 1/sqrt(input1_dims).
class Bilinear : public Module {
 public:
  Bilinear(int input1_dims, int input2_dims, int output_dims, bool bias = true);
  /// x1: (..., input1_dims), x2: (..., input2_dims) with the same leading shape.
  array operator()(const array& x1, const array& x2);
  using Module::operator();
  std::string name() const override { return "Bilinear"; }
  std::string extra_repr() const override;
};

/// Calls its layers in order (children "layers.0", "layers.1", ...).
class Sequential : public Module {
 public:
  explicit Sequential(std::vector<std::shared_ptr<Module>> layers = {});
  array operator()(const array& x) override;
  std::string name() const override { return "Sequential"; }
  /// The i-th layer / the number of layers.
  Module& layer(size_t i) const;
  size_t size() const { return layers_.size(); }

 private:
  std::vector<std::shared_ptr<Module>> layers_;
};

/// A lookup table: "weight" (num_embeddings, dims), normal with std 1/sqrt(dims).
class Embedding : public Module {
 public:
  Embedding(int num_embeddings, int dims);
  /// Integer indices of any shape -> shape + (dims,).
  array operator()(const array& x) override;
  /// x @ weight^T: use the table as an output projection (weight tying).
  array as_linear(const array& x);
  std::string name() const override { return "Embedding"; }
  std::string extra_repr() const override;
};

/// Zeroes each element with probability p during training and scales the rest by 1/(1-p); the
/// identity in eval mode. Draws from its own key (split on each call) when given one, else from
/// the global key.
class Dropout : public Module {
 public:
  explicit Dropout(float p = 0.5f, std::optional<array> key = std::nullopt);
  array operator()(const array& x) override;
  std::string name() const override { return "Dropout"; }
  std::string extra_repr() const override;
  /// Use `key` (split on each call) for the masks; nullopt: use the global key.
  void set_key(std::optional<array> key) { key_ = std::move(key); }

 protected:
  Dropout(const char* op, float p, std::optional<array> key);
  /// A key for the next mask (nullopt: the global key).
  std::optional<array> next_key();
  array apply_mask(const array& x, const Shape& mask_shape);
  float p_;

 private:
  std::optional<array> key_;
};

/// Channel dropout for (N, H, W, C) or (H, W, C) inputs: whole channels are zeroed.
class Dropout2d : public Dropout {
 public:
  explicit Dropout2d(float p = 0.5f, std::optional<array> key = std::nullopt);
  array operator()(const array& x) override;
  std::string name() const override { return "Dropout2d"; }
};

/// Channel dropout for (N, D, H, W, C) or (D, H, W, C) inputs.
class Dropout3d : public Dropout {
 public:
  explicit Dropout3d(float p = 0.5f, std::optional<array> key = std::nullopt);
  array operator()(const array& x) override;
  std::string name() const override { return "Dropout3d"; }
};

/// (x - mean) / sqrt(var + eps) * weight + bias over the last axis ("weight" ones, "bias" zeros).
class LayerNorm : public Module {
 public:
  LayerNorm(int dims, float eps = 1e-5f, bool affine = true, bool bias = true);
  array operator()(const array& x) override;
  std::string name() const override { return "LayerNorm"; }
  std::string extra_repr() const override;

 private:
  int dims_;
  float eps_;
};

/// x / sqrt(mean(x^2) + eps) * weight over the last axis ("weight" ones).
class RMSNorm : public Module {
 public:
  explicit RMSNorm(int dims, float eps = 1e-5f);
  array operator()(const array& x) override;
  std::string name() const override { return "RMSNorm"; }
  std::string extra_repr() const override;

 private:
  int dims_;
  float eps_;
};

/// Group normalisation of (N, ..., dims) inputs (channels last). With pytorch_compatible the
/// groups are contiguous channel blocks, as in PyTorch; otherwise (MLX's default) channel c
/// belongs to group c % num_groups.
class GroupNorm : public Module {
 public:
  GroupNorm(int num_groups, int dims, float eps = 1e-5f, bool affine = true,
            bool pytorch_compatible = false);
  array operator()(const array& x) override;
  std::string name() const override { return "GroupNorm"; }
  std::string extra_repr() const override;

 private:
  int num_groups_, dims_;
  float eps_;
  bool pytorch_compatible_;
};

/// Batch normalisation over all axes but the last (inputs of 2 to 4 dimensions, channels last).
/// In training mode it normalises with the batch statistics and updates the frozen parameters
/// "running_mean"/"running_var" as r = (1 - momentum) r + momentum * stat (biased variance, as
/// MLX); in eval mode it uses the running statistics.
class BatchNorm : public Module {
 public:
  BatchNorm(int num_features, float eps = 1e-5f, float momentum = 0.1f, bool affine = true,
            bool track_running_stats = true);
  array operator()(const array& x) override;
  /// Unfreezing keeps the running statistics frozen.
  void unfreeze(bool recurse = true, const std::vector<std::string>& keys = {},
                bool strict = false) override;
  std::string name() const override { return "BatchNorm"; }
  std::string extra_repr() const override;

 private:
  int num_features_;
  float eps_, momentum_;
  bool track_running_stats_;
};

/// Normalises each example and channel over the spatial axes (all but the first and last) of a
/// (N, ..., C) input. Affine parameters only with affine=true.
class InstanceNorm : public Module {
 public:
  explicit InstanceNorm(int dims, float eps = 1e-5f, bool affine = false);
  array operator()(const array& x) override;
  std::string name() const override { return "InstanceNorm"; }
  std::string extra_repr() const override;

 private:
  int dims_;
  float eps_;
};

}  // namespace tandem::nn
