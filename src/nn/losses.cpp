// Copyright © 2026 Tandem authors.
// mlx.nn.losses: cross entropy, binary cross entropy, NLL, MSE, L1, smooth L1, Huber, log-cosh,
// KL divergence, Gaussian NLL, hinge, triplet, margin ranking, cosine similarity.
#include <cmath>
#include <numbers>
#include <stdexcept>

#include "tandem/nn.h"
#include "tandem/ops.h"
#include "tandem/utils.h"

namespace tandem::nn::losses {

namespace {
[[noreturn]] void fail(const char* op, const std::string& msg) {
  throw std::invalid_argument(std::string("[") + op + "] " + msg);
}

void check_reduction(const char* op, const std::string& reduction) {
  if (reduction != "none" && reduction != "mean" && reduction != "sum")
    fail(op, "Invalid reduction '" + reduction + "'. Must be 'none', 'mean', or 'sum'.");
}

array reduce(const array& loss, const std::string& reduction) {
  if (reduction == "mean") return mean(loss);
  if (reduction == "sum") return sum(loss);
  return loss;
}

void check_same(const char* op, const char* a_name, const array& a, const char* b_name,
                const array& b) {
  if (a.shape() != b.shape())
    fail(op, std::string(a_name) + " shape " + shape_to_string(a.shape()) + " does not match " +
                 b_name + " shape " + shape_to_string(b.shape()) + ".");
}

/// A 0-d array of v in x's (floating) dtype.
array c(const array& x, double v) {
  return array(v, is_floating_point(x.dtype()) ? x.dtype() : float32);
}

array apply_weights(const char* op, array loss, const std::optional<array>& weights) {
  if (!weights) return loss;
  if (weights->shape() != loss.shape())
    fail(op, "Weights with shape " + shape_to_string(weights->shape()) +
                 " is not the same as output loss with shape " + shape_to_string(loss.shape()) +
                 ".");
  return multiply(loss, *weights);
}
}  // namespace

array cross_entropy(const array& logits, const array& targets, const std::optional<array>& weights,
                    int axis, float label_smoothing, const std::string& reduction) {
  const char* op = "cross_entropy";
  check_reduction(op, reduction);
  if (!(label_smoothing >= 0.0f && label_smoothing < 1.0f))
    fail(op, "Label smoothing must be in [0, 1), got " + std::to_string(label_smoothing) + ".");
  if (logits.ndim() < 1) fail(op, "Logits must have at least one dimension.");
  int ax = normalize_axis(axis, logits.ndim(), op);
  bool as_probs = targets.ndim() == logits.ndim();
  Shape dropped = logits.shape();
  dropped.erase(dropped.begin() + ax);
  if ((as_probs && targets.shape() != logits.shape()) || (!as_probs && targets.shape() != dropped))
    fail(op, "Targets shape " + shape_to_string(targets.shape()) + " does not match logits shape " +
                 shape_to_string(logits.shape()) + " (expected " + shape_to_string(dropped) +
                 " for class indices or " + shape_to_string(logits.shape()) +
                 " for probabilities).");
  array score(0.0f);
  if (as_probs) {
    score = sum(multiply(logits, targets), ax);
  } else {
    if (!is_integral(targets.dtype()))
      fail(op, "Class-index targets must have an integer dtype; got " +
                   dtype_name(targets.dtype()) + ".");
    score = squeeze(take_along_axis(logits, expand_dims(targets, ax), ax), ax);
  }
  array lse = logsumexp(logits, ax);
  array loss(0.0f);
  if (label_smoothing > 0.0f) {
    array adjusted = multiply(c(score, 1.0 - label_smoothing), score);
    array smoothed = multiply(negative(mean(logits, ax)), c(logits, label_smoothing));
    loss = add(subtract(lse, adjusted), smoothed);
  } else {
    loss = subtract(lse, score);
  }
  return reduce(apply_weights(op, loss, weights), reduction);
}

array binary_cross_entropy(const array& inputs, const array& targets,
                           const std::optional<array>& weights, bool with_logits,
                           const std::string& reduction) {
  const char* op = "binary_cross_entropy";
  check_reduction(op, reduction);
  check_same(op, "Inputs", inputs, "targets", targets);
  array loss(0.0f);
  if (with_logits) {
    loss = subtract(logaddexp(c(inputs, 0.0), inputs), multiply(inputs, targets));
  } else {
    array lo = c(inputs, -100.0);
    array log_p = clip(log(inputs), lo, std::nullopt);
    array log_q = clip(log(subtract(c(inputs, 1.0), inputs)), lo, std::nullopt);
    loss = negative(
        add(multiply(targets, log_p), multiply(subtract(c(targets, 1.0), targets), log_q)));
  }
  return reduce(apply_weights(op, loss, weights), reduction);
}

array nll_loss(const array& inputs, const array& targets, int axis, const std::string& reduction) {
  const char* op = "nll_loss";
  check_reduction(op, reduction);
  if (inputs.ndim() < 1) fail(op, "Inputs must have at least one dimension.");
  int ax = normalize_axis(axis, inputs.ndim(), op);
  Shape dropped = inputs.shape();
  dropped.erase(dropped.begin() + ax);
  if (targets.shape() != dropped)
    fail(op, "Targets shape " + shape_to_string(targets.shape()) + " does not match inputs shape " +
                 shape_to_string(inputs.shape()) + " without axis " + std::to_string(axis) + ".");
  if (!is_integral(targets.dtype()))
    fail(op, "Targets must have an integer dtype; got " + dtype_name(targets.dtype()) + ".");
  array loss = negative(squeeze(take_along_axis(inputs, expand_dims(targets, ax), ax), ax));
  return reduce(loss, reduction);
}

array mse_loss(const array& predictions, const array& targets, const std::string& reduction) {
  check_reduction("mse_loss", reduction);
  check_same("mse_loss", "Predictions", predictions, "targets", targets);
  return reduce(square(subtract(predictions, targets)), reduction);
}

array l1_loss(const array& predictions, const array& targets, const std::string& reduction) {
  check_reduction("l1_loss", reduction);
  check_same("l1_loss", "Predictions", predictions, "targets", targets);
  return reduce(abs(subtract(predictions, targets)), reduction);
}

array smooth_l1_loss(const array& predictions, const array& targets, float beta,
                     const std::string& reduction) {
  check_reduction("smooth_l1_loss", reduction);
  check_same("smooth_l1_loss", "Predictions", predictions, "targets", targets);
  if (!(beta > 0.0f))
    fail("smooth_l1_loss", "beta must be positive; got " + std::to_string(beta) + ".");
  array d = abs(subtract(predictions, targets));
  array quad = divide(multiply(c(d, 0.5), square(d)), c(d, beta));
  array lin = subtract(d, c(d, 0.5 * beta));
  return reduce(where(less(d, c(d, beta)), quad, lin), reduction);
}

array huber_loss(const array& inputs, const array& targets, float delta,
                 const std::string& reduction) {
  check_reduction("huber_loss", reduction);
  check_same("huber_loss", "Inputs", inputs, "targets", targets);
  array err = abs(subtract(inputs, targets));
  array quad = minimum(err, c(err, delta));
  array lin = subtract(err, quad);
  return reduce(add(multiply(c(err, 0.5), square(quad)), multiply(c(err, delta), lin)), reduction);
}

array log_cosh_loss(const array& inputs, const array& targets, const std::string& reduction) {
  check_reduction("log_cosh_loss", reduction);
  check_same("log_cosh_loss", "Inputs", inputs, "targets", targets);
  array e = subtract(inputs, targets);
  return reduce(subtract(logaddexp(e, negative(e)), c(e, std::log(2.0))), reduction);
}

array kl_div_loss(const array& inputs, const array& targets, int axis,
                  const std::string& reduction) {
  check_reduction("kl_div_loss", reduction);
  check_same("kl_div_loss", "Inputs", inputs, "targets", targets);
  if (inputs.ndim() < 1) fail("kl_div_loss", "Inputs must have at least one dimension.");
  int ax = normalize_axis(axis, inputs.ndim(), "kl_div_loss");
  return reduce(sum(multiply(exp(targets), subtract(targets, inputs)), ax), reduction);
}

array gaussian_nll_loss(const array& inputs, const array& targets, const array& vars, bool full,
                        float eps, const std::string& reduction) {
  const char* op = "gaussian_nll_loss";
  check_reduction(op, reduction);
  check_same(op, "Inputs", inputs, "targets", targets);
  check_same(op, "Inputs", inputs, "vars", vars);
  array v = maximum(vars, c(vars, eps));
  array loss = multiply(c(v, 0.5), add(log(v), divide(square(subtract(targets, inputs)), v)));
  if (full) loss = add(loss, c(loss, 0.5 * std::log(2.0 * std::numbers::pi)));
  return reduce(loss, reduction);
}

array hinge_loss(const array& inputs, const array& targets, const std::string& reduction) {
  check_reduction("hinge_loss", reduction);
  check_same("hinge_loss", "Inputs", inputs, "targets", targets);
  array m = subtract(c(inputs, 1.0), multiply(inputs, targets));
  return reduce(maximum(m, c(m, 0.0)), reduction);
}

array triplet_loss(const array& anchors, const array& positives, const array& negatives, int axis,
                   int p, float margin, float eps, const std::string& reduction) {
  const char* op = "triplet_loss";
  check_reduction(op, reduction);
  check_same(op, "Anchors", anchors, "positives", positives);
  check_same(op, "Anchors", anchors, "negatives", negatives);
  if (anchors.ndim() < 1) fail(op, "Inputs must have at least one dimension.");
  int ax = normalize_axis(axis, anchors.ndim(), op);
  auto dist = [&](const array& other) {
    array d = subtract(anchors, other);
    array dp = p == 2 ? square(d) : power(d, c(d, p));
    return sqrt(add(sum(dp, ax), c(d, eps)));
  };
  array loss = add(subtract(dist(positives), dist(negatives)), c(anchors, margin));
  return reduce(maximum(loss, c(loss, 0.0)), reduction);
}

array margin_ranking_loss(const array& inputs1, const array& inputs2, const array& targets,
                          float margin, const std::string& reduction) {
  const char* op = "margin_ranking_loss";
  check_reduction(op, reduction);
  if (inputs1.shape() != inputs2.shape() || inputs1.shape() != targets.shape())
    fail(op, "The shapes of the arguments do not match. The provided shapes are inputs1: " +
                 shape_to_string(inputs1.shape()) +
                 ", inputs2: " + shape_to_string(inputs2.shape()) +
                 ", and targets: " + shape_to_string(targets.shape()) + ".");
  array d = subtract(inputs1, inputs2);
  array m = add(negative(multiply(targets, d)), c(d, margin));
  return reduce(maximum(m, c(m, 0.0)), reduction);
}

array cosine_similarity_loss(const array& x1, const array& x2, int axis, float eps,
                             const std::string& reduction) {
  const char* op = "cosine_similarity_loss";
  check_reduction(op, reduction);
  check_same(op, "x1", x1, "x2", x2);
  if (x1.ndim() < 1) fail(op, "Inputs must have at least one dimension.");
  int ax = normalize_axis(axis, x1.ndim(), op);
  array n1 = sqrt(sum(square(x1), ax));
  array n2 = sqrt(sum(square(x2), ax));
  array loss = divide(sum(multiply(x1, x2), ax), maximum(multiply(n1, n2), c(n1, eps)));
  return reduce(loss, reduction);
}

}  // namespace tandem::nn::losses
