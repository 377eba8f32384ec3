// Copyright © 2026 Tandem authors.
// Optimizers and learning-rate schedules in C++ (mlx.optimizers). An optimizer keeps its state in
// a parameter-shaped tree (nn::Params): "step" (uint64), "learning_rate" and, for each parameter
// path, a dict of that parameter's buffers ("m", "v", ...). State is created lazily on the first
// update; its arrays are lazy like everything else, so training loops should eval() the model's
// parameters and optimizer.state() after each step.
//
//   nn::Linear model(4, 1);
//   optimizers::Adam opt(1e-2f);
//   auto loss_and_grad = nn::value_and_grad(model, [&](const std::vector<array>& in) {
//     return nn::losses::mse_loss(model(in[0]), in[1]);
//   });
//   auto [loss, grads] = loss_and_grad({x, y});
//   opt.update(model, grads);
//   eval(model.parameters().leaves()); eval(opt.state().leaves());
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tandem/array.h"
#include "tandem/nn/module.h"

namespace tandem::optimizers {

using nn::Params;

/// A hyper-parameter schedule: the value at `step` (a 0-d integer array, 0 at the first update).
using Schedule = std::function<array(const array& step)>;

/// A learning rate given as a constant (float/double) or as a Schedule.
class LearningRate {
 public:
  LearningRate(float value) : value_(value) {}                         // NOLINT: implicit
  LearningRate(double value) : value_(static_cast<float>(value)) {}    // NOLINT: implicit
  LearningRate(int value) : value_(static_cast<float>(value)) {}       // NOLINT: implicit
  LearningRate(Schedule schedule) : schedule_(std::move(schedule)) {}  // NOLINT: implicit
  bool is_schedule() const { return static_cast<bool>(schedule_); }
  float value() const { return value_; }
  const Schedule& schedule() const { return schedule_; }

 private:
  float value_{0.0f};
  Schedule schedule_;
};

/// The base class (mlx.optimizers.Optimizer). Subclasses implement init_single (create one
/// parameter's state) and apply_single (return the updated parameter, updating its state).
class Optimizer {
 public:
  virtual ~Optimizer() = default;

  /// model.update(apply_gradients(gradients, model.parameters())).
  void update(nn::Module& model, const Params& gradients);
  /// The updated parameters for every leaf of `gradients` (a tree like the parameters, or a
  /// sub-tree of them). Advances the step and the schedules once.
  Params apply_gradients(const Params& gradients, const Params& parameters);
  /// Create the state of every parameter now (otherwise done on the first update).
  void init(const Params& parameters);

  /// The state tree (see the file comment).
  const Params& state() const { return state_; }
  Params& state() { return state_; }
  /// Replace the whole state (e.g. from another optimizer).
  void set_state(Params state);
  /// The number of updates applied so far (uint64 0-d array).
  array step() const;
  /// The current learning rate (0-d array).
  array learning_rate() const;
  /// Set the learning rate to a constant or a schedule.
  void set_learning_rate(const LearningRate& lr);

  /// Write the state to `path` (nn::save_arrays: safetensors, .npz or the array archive, by
  /// extension).
  void save_state(const std::string& path) const;
  /// Read a state written by save_state; the optimizer continues from its step.
  void load_state(const std::string& path);

  /// The class name, e.g. "Adam".
  virtual std::string name() const = 0;

 protected:
  Optimizer();
  /// Fill `state` (an empty dict) with the buffers of `parameter`.
  virtual void init_single(const array& parameter, Params& state) = 0;
  /// The updated parameter; may update `state`.
  virtual array apply_single(const array& gradient, const array& parameter, Params& state) = 0;
  /// Store a hyper-parameter in the state as a constant or a schedule evaluated at each step.
  void maybe_schedule(const std::string& key, const LearningRate& value);
  /// The learning rate as a 0-d array of `dtype`.
  array lr(Dtype dtype) const;

 private:
  Params apply_tree(const Params& g, const Params& p, Params& s, const std::string& path);
  void init_tree(const Params& p, Params& s);
  std::vector<std::pair<std::string, Schedule>> schedulers_;
  Params state_;
};

/// Stochastic gradient descent with optional momentum (v = momentum v + (1 - dampening) g),
/// Nesterov momentum and L2 weight decay (g += weight_decay p).
class SGD : public Optimizer {
 public:
  SGD(LearningRate learning_rate, float momentum = 0.0f, float weight_decay = 0.0f,
      float dampening = 0.0f, bool nesterov = false);
  std::string name() const override { return "SGD"; }

 protected:
  void init_single(const array& parameter, Params& state) override;
  array apply_single(const array& gradient, const array& parameter, Params& state) override;

 private:
  float momentum_, weight_decay_, dampening_;
  bool nesterov_;
};

/// RMSprop: v = alpha v + (1 - alpha) g^2; p -= lr g / (sqrt(v) + eps).
class RMSprop : public Optimizer {
 public:
  explicit RMSprop(LearningRate learning_rate, float alpha = 0.99f, float eps = 1e-8f);
  std::string name() const override { return "RMSprop"; }

 protected:
  void init_single(const array& parameter, Params& state) override;
  array apply_single(const array& gradient, const array& parameter, Params& state) override;

 private:
  float alpha_, eps_;
};

/// Adagrad: v += g^2; p -= lr g / (sqrt(v) + eps).
class Adagrad : public Optimizer {
 public:
  explicit Adagrad(LearningRate learning_rate, float eps = 1e-8f);
  std::string name() const override { return "Adagrad"; }

 protected:
  void init_single(const array& parameter, Params& state) override;
  array apply_single(const array& gradient, const array& parameter, Params& state) override;

 private:
  float eps_;
};

/// AdaDelta: v = rho v + (1 - rho) g^2; d = sqrt(u + eps) / sqrt(v + eps) g;
/// u = rho u + (1 - rho) d^2; p -= lr d.
class AdaDelta : public Optimizer {
 public:
  explicit AdaDelta(LearningRate learning_rate, float rho = 0.9f, float eps = 1e-6f);
  std::string name() const override { return "AdaDelta"; }

 protected:
  void init_single(const array& parameter, Params& state) override;
  array apply_single(const array& gradient, const array& parameter, Params& state) override;

 private:
  float rho_, eps_;
};

/// Adam: m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2, p -= lr m / (sqrt(v) + eps); with
/// bias_correction, m and v are divided by (1 - b^t) (MLX's default is false).
class Adam : public Optimizer {
 public:
  explicit Adam(LearningRate learning_rate, std::vector<float> betas = {0.9f, 0.999f},
                float eps = 1e-8f, bool bias_correction = false);
  std::string name() const override { return "Adam"; }

 protected:
  Adam(const char* op, LearningRate learning_rate, std::vector<float> betas, float eps,
       bool bias_correction);
  void init_single(const array& parameter, Params& state) override;
  array apply_single(const array& gradient, const array& parameter, Params& state) override;
  float b1_, b2_, eps_;
  bool bias_correction_;
};

/// Adam with decoupled weight decay: p *= (1 - lr weight_decay) before the Adam step.
class AdamW : public Adam {
 public:
  explicit AdamW(LearningRate learning_rate, std::vector<float> betas = {0.9f, 0.999f},
                 float eps = 1e-8f, float weight_decay = 0.01f, bool bias_correction = false);
  std::string name() const override { return "AdamW"; }

 protected:
  array apply_single(const array& gradient, const array& parameter, Params& state) override;

 private:
  float weight_decay_;
};

/// Adamax: m = b1 m + (1 - b1) g, v = max(b2 v, |g|), p -= lr m / (v + eps).
class Adamax : public Optimizer {
 public:
  explicit Adamax(LearningRate learning_rate, std::vector<float> betas = {0.9f, 0.999f},
                  float eps = 1e-8f);
  std::string name() const override { return "Adamax"; }

 protected:
  void init_single(const array& parameter, Params& state) override;
  array apply_single(const array& gradient, const array& parameter, Params& state) override;

 private:
  float b1_, b2_, eps_;
};

/// Lion: c = b1 m + (1 - b1) g; p = p (1 - lr wd) - lr sign(c); m = b2 m + (1 - b2) g.
class Lion : public Optimizer {
 public:
  explicit Lion(LearningRate learning_rate, std::vector<float> betas = {0.9f, 0.99f},
                float weight_decay = 0.0f);
  std::string name() const override { return "Lion"; }

 protected:
  void init_single(const array& parameter, Params& state) override;
  array apply_single(const array& gradient, const array& parameter, Params& state) override;

 private:
  float b1_, b2_, weight_decay_;
};

/// Adafactor (Shazeer & Stern 2018) as in MLX: factored second moments for parameters with two
/// or more dimensions, update clipping, relative step sizes (learning_rate is used only when
/// relative_step is false), optional first moment (beta_1).
class Adafactor : public Optimizer {
 public:
  explicit Adafactor(std::optional<LearningRate> learning_rate = std::nullopt,
                     std::vector<float> eps = {1e-30f, 1e-3f}, float clip_threshold = 1.0f,
                     float decay_rate = -0.8f, std::optional<float> beta_1 = std::nullopt,
                     float weight_decay = 0.0f, bool scale_parameter = true,
                     bool relative_step = true, bool warmup_init = false);
  std::string name() const override { return "Adafactor"; }

 protected:
  void init_single(const array& parameter, Params& state) override;
  array apply_single(const array& gradient, const array& parameter, Params& state) override;

 private:
  float eps1_, eps2_, clip_threshold_, decay_rate_;
  std::optional<float> beta_1_;
  float weight_decay_;
  bool scale_parameter_, relative_step_, warmup_init_;
};

/// Muon: SGD with (Nesterov) momentum whose update, for parameters with 2 or more dimensions
/// (reshaped to (shape[0], -1)), is orthogonalised by ns_steps quintic Newton-Schulz iterations
/// (coefficients 3.4445, -4.7750, 2.0315) and scaled by sqrt(max(1, rows / cols)). Weight decay
/// adds weight_decay * p to the gradient. 0-d and 1-d parameters get the plain momentum update.
class Muon : public Optimizer {
 public:
  explicit Muon(LearningRate learning_rate, float momentum = 0.95f, float weight_decay = 0.01f,
                bool nesterov = true, int ns_steps = 5);
  std::string name() const override { return "Muon"; }

 protected:
  void init_single(const array& parameter, Params& state) override;
  array apply_single(const array& gradient, const array& parameter, Params& state) override;

 private:
  float momentum_, weight_decay_;
  bool nesterov_;
  int ns_steps_;
};

/// The Newton-Schulz orthogonalisation Muon applies to a 2-d matrix (exposed for tests).
array newton_schulz5(const array& x, int steps = 5);

/// Scale the gradients so that their global L2 norm is at most max_norm; returns the scaled
/// gradients and the norm before scaling.
std::pair<Params, array> clip_grad_norm(const Params& grads, float max_norm);

// ------------------------------ schedules ------------------------------

/// init * decay_rate^step.
Schedule exponential_decay(float init, float decay_rate);
/// init * decay_rate^floor(step / step_size).
Schedule step_decay(float init, float decay_rate, int step_size);
/// end + (init - end) * 0.5 (1 + cos(pi min(step, decay_steps) / decay_steps)).
Schedule cosine_decay(float init, int decay_steps, float end = 0.0f);
/// init + (end - init) min(step, steps) / steps.
Schedule linear_schedule(float init, float end, int steps);
/// schedules[0] before boundaries[0], then schedules[i + 1](step - boundaries[i]) from
/// boundaries[i] on (e.g. a linear warm-up joined to a cosine decay).
Schedule join_schedules(std::vector<Schedule> schedules, std::vector<int> boundaries);

}  // namespace tandem::optimizers
