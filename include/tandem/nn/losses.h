// Copyright © 2026 Tandem authors.
// Loss functions (mlx.nn.losses). `reduction` is "none" (elementwise losses), "mean" or "sum";
// anything else throws "[loss_name] Invalid reduction ...". Mismatched shapes throw
// "[loss_name] ..." naming the shapes. Defaults follow MLX.
#pragma once

#include <optional>
#include <string>

#include "tandem/array.h"

namespace tandem::nn::losses {

/// Cross entropy of unnormalised `logits`. `targets` are class indices (logits' shape without
/// `axis`) or probabilities (logits' shape). label_smoothing in [0, 1) mixes the target with the
/// uniform distribution; `weights` (the loss's shape) scale each loss.
array cross_entropy(const array& logits, const array& targets,
                    const std::optional<array>& weights = std::nullopt, int axis = -1,
                    float label_smoothing = 0.0f, const std::string& reduction = "none");

/// Binary cross entropy. with_logits: `inputs` are logits (log(1 + exp(x)) - x t, stable);
/// otherwise probabilities (logs clipped at -100, as MLX/PyTorch).
array binary_cross_entropy(const array& inputs, const array& targets,
                           const std::optional<array>& weights = std::nullopt,
                           bool with_logits = true, const std::string& reduction = "mean");

/// Negative log likelihood: -inputs[target] along `axis` (inputs are log-probabilities).
array nll_loss(const array& inputs, const array& targets, int axis = -1,
               const std::string& reduction = "none");

/// (predictions - targets)^2.
array mse_loss(const array& predictions, const array& targets,
               const std::string& reduction = "mean");

/// |predictions - targets|.
array l1_loss(const array& predictions, const array& targets,
              const std::string& reduction = "mean");

/// 0.5 d^2 / beta where d = |p - t| < beta, else d - 0.5 beta.
array smooth_l1_loss(const array& predictions, const array& targets, float beta = 1.0f,
                     const std::string& reduction = "mean");

/// 0.5 d^2 where |d| <= delta, else delta (|d| - 0.5 delta); d = inputs - targets.
array huber_loss(const array& inputs, const array& targets, float delta = 1.0f,
                 const std::string& reduction = "none");

/// log(cosh(inputs - targets)), computed stably.
array log_cosh_loss(const array& inputs, const array& targets,
                    const std::string& reduction = "none");

/// Kullback-Leibler divergence sum(exp(t) (t - x)) along `axis`; inputs and targets are
/// log-probabilities.
array kl_div_loss(const array& inputs, const array& targets, int axis = -1,
                  const std::string& reduction = "none");

/// Gaussian negative log likelihood 0.5 (log(v) + (t - x)^2 / v) with v = max(vars, eps), plus
/// 0.5 log(2 pi) when `full`.
array gaussian_nll_loss(const array& inputs, const array& targets, const array& vars,
                        bool full = false, float eps = 1e-6f,
                        const std::string& reduction = "mean");

/// max(1 - inputs * targets, 0) for targets in {-1, 1}.
array hinge_loss(const array& inputs, const array& targets, const std::string& reduction = "none");

/// max(d(a, pos) - d(a, neg) + margin, 0) with d(a, b) = sqrt(sum((a - b)^p, axis) + eps), as
/// MLX computes it (the Euclidean distance for p = 2).
array triplet_loss(const array& anchors, const array& positives, const array& negatives,
                   int axis = -1, int p = 2, float margin = 1.0f, float eps = 1e-6f,
                   const std::string& reduction = "none");

/// max(-targets * (inputs1 - inputs2) + margin, 0) for targets in {-1, 1}.
array margin_ranking_loss(const array& inputs1, const array& inputs2, const array& targets,
                          float margin = 0.0f, const std::string& reduction = "none");

/// Cosine similarity sum(x1 x2) / max(||x1|| ||x2||, eps) along `axis` (MLX returns the
/// similarity itself as this "loss").
array cosine_similarity_loss(const array& x1, const array& x2, int axis = 1, float eps = 1e-8f,
                             const std::string& reduction = "none");

}  // namespace tandem::nn::losses
