// Copyright © 2026 Tandem authors.
// The Optimizer base (state tree, schedules, apply_gradients, state files) and the optimizers of
// mlx.optimizers: SGD, RMSprop, Adagrad, AdaDelta, Adam, AdamW, Adamax, Lion, Adafactor, Muon;
// clip_grad_norm.
#include "tandem/optimizers.h"

#include <cmath>
#include <stdexcept>

#include "tandem/ops.h"
#include "tandem/utils.h"

namespace tandem::optimizers {

namespace {
[[noreturn]] void fail(const std::string& op, const std::string& msg) {
  throw std::invalid_argument("[" + op + "] " + msg);
}
/// A 0-d array of v in the dtype of `like`.
array sc(double v, const array& like) {
  return array(v, like.dtype());
}
std::pair<float, float> two_betas(const char* op, const std::vector<float>& betas) {
  if (betas.size() != 2)
    fail(op, "betas must hold 2 values; got " + std::to_string(betas.size()) + ".");
  return {betas[0], betas[1]};
}
void check_non_negative(const char* op, const char* what, float v) {
  if (!(v >= 0.0f))
    fail(op, std::string(what) + " value should be >=0, " + std::to_string(v) +
                 " was provided instead.");
}
const char* kind_name(const Params& p) {
  switch (p.kind()) {
    case Params::Kind::none:
      return "None";
    case Params::Kind::array:
      return "an array";
    case Params::Kind::dict:
      return "a dict";
    case Params::Kind::list:
      return "a list";
  }
  return "?";
}
}  // namespace

// ================================ Optimizer ================================

Optimizer::Optimizer() {
  state_ = Params::dict();
  state_.set("step", array(uint64_t{0}, uint64));
}

void Optimizer::maybe_schedule(const std::string& key, const LearningRate& value) {
  for (auto it = schedulers_.begin(); it != schedulers_.end(); ++it) {
    if (it->first == key) {
      schedulers_.erase(it);
      break;
    }
  }
  if (value.is_schedule()) {
    schedulers_.emplace_back(key, value.schedule());
    state_.set(key, astype(value.schedule()(step()), float32));
  } else {
    state_.set(key, array(value.value(), float32));
  }
}

void Optimizer::set_learning_rate(const LearningRate& lr) {
  maybe_schedule("learning_rate", lr);
}

array Optimizer::step() const {
  return state_.at("step").as_array();
}

array Optimizer::learning_rate() const {
  if (!state_.contains("learning_rate")) fail(name(), "This optimizer has no learning rate set.");
  return state_.at("learning_rate").as_array();
}

array Optimizer::lr(Dtype dtype) const {
  return astype(learning_rate(), dtype);
}

void Optimizer::set_state(Params state) {
  if (!state.is_dict() || !state.contains("step"))
    fail("Optimizer.set_state", "The state must be a dict with a \"step\" entry.");
  state_ = std::move(state);
}

void Optimizer::init_tree(const Params& p, Params& s) {
  switch (p.kind()) {
    case Params::Kind::none:
      return;
    case Params::Kind::array:
      if (s.is_none() || (s.is_dict() && s.size() == 0)) {
        s = Params::dict();
        init_single(p.as_array(), s);
      }
      return;
    case Params::Kind::dict:
      if (s.is_none()) s = Params::dict();
      for (auto& [k, v] : p.items())
        init_tree(v, s[k]);
      return;
    case Params::Kind::list:
      if (s.is_none()) s = Params::list();
      if (s.elements().size() < p.size()) s.elements().resize(p.size());
      for (size_t i = 0; i < p.size(); ++i)
        init_tree(p.at(i), s.elements()[i]);
      return;
  }
}

void Optimizer::init(const Params& parameters) {
  init_tree(parameters, state_);
}

Params Optimizer::apply_tree(const Params& g, const Params& p, Params& s, const std::string& path) {
  auto join = [&](const std::string& k) { return path.empty() ? k : path + "." + k; };
  auto mismatch = [&](const char* want) {
    fail(name(), "The gradient at \"" + path + "\" is " + want + " but the parameter is " +
                     kind_name(p) + ".");
  };
  switch (g.kind()) {
    case Params::Kind::none:
      return Params();
    case Params::Kind::array: {
      if (!p.is_array()) mismatch("an array");
      const array& ga = g.as_array();
      const array& pa = p.as_array();
      if (ga.shape() != pa.shape())
        fail(name(), "The gradient at \"" + path + "\" has shape " + shape_to_string(ga.shape()) +
                         " but the parameter has shape " + shape_to_string(pa.shape()) + ".");
      if (s.is_none() || (s.is_dict() && s.size() == 0)) {
        s = Params::dict();
        init_single(pa, s);
      }
      if (!s.is_dict())
        fail(name(), "The optimizer state at \"" + path + "\" is " + kind_name(s) +
                         ", not a dict of buffers.");
      return Params(apply_single(ga, pa, s));
    }
    case Params::Kind::dict: {
      if (!p.is_dict()) mismatch("a dict");
      if (s.is_none()) s = Params::dict();
      Params out = Params::dict();
      for (auto& [k, v] : g.items()) {
        if (!p.contains(k)) fail(name(), "No parameter for the gradient \"" + join(k) + "\".");
        out.set(k, apply_tree(v, p.at(k), s[k], join(k)));
      }
      return out;
    }
    case Params::Kind::list: {
      if (!p.is_list()) mismatch("a list");
      if (p.size() < g.size())
        fail(name(), "The gradient list at \"" + path + "\" has " + std::to_string(g.size()) +
                         " entries but the parameter list only " + std::to_string(p.size()) + ".");
      if (s.is_none()) s = Params::list();
      if (s.elements().size() < g.size()) s.elements().resize(g.size());
      Params out = Params::list();
      for (size_t i = 0; i < g.size(); ++i)
        out.push_back(apply_tree(g.at(i), p.at(i), s.elements()[i], join(std::to_string(i))));
      return out;
    }
  }
  return Params();
}

Params Optimizer::apply_gradients(const Params& gradients, const Params& parameters) {
  array current = step();
  for (auto& [key, schedule] : schedulers_)
    state_.set(key, astype(schedule(current), float32));
  state_.set("step", add(current, array(uint64_t{1}, uint64)));
  return apply_tree(gradients, parameters, state_, "");
}

void Optimizer::update(nn::Module& model, const Params& gradients) {
  model.update(apply_gradients(gradients, model.parameters()));
}

void Optimizer::save_state(const std::string& path) const {
  nn::save_arrays(path, state_.flatten());
}

void Optimizer::load_state(const std::string& path) {
  Params loaded = Params::unflatten(nn::load_arrays(path));
  if (!loaded.is_dict() || !loaded.contains("step") || !loaded.at("step").is_array())
    fail("Optimizer.load_state", "'" + path + "' holds no optimizer state (no \"step\" entry).");
  state_ = std::move(loaded);
  for (auto& [key, schedule] : schedulers_)
    state_.set(key, astype(schedule(step()), float32));
}

// ================================ SGD ================================

SGD::SGD(LearningRate learning_rate, float momentum, float weight_decay, float dampening,
         bool nesterov)
    : momentum_(momentum), weight_decay_(weight_decay), dampening_(dampening), nesterov_(nesterov) {
  if (nesterov && (momentum <= 0.0f || dampening != 0.0f))
    fail("SGD", "Nesterov momentum requires a momentum and zero dampening.");
  maybe_schedule("learning_rate", learning_rate);
}

void SGD::init_single(const array& parameter, Params& state) {
  state.set("v", zeros_like(parameter));
}

array SGD::apply_single(const array& gradient, const array& parameter, Params& state) {
  array g = gradient;
  if (weight_decay_ != 0.0f) g = add(g, multiply(sc(weight_decay_, g), parameter));
  array lr_ = lr(g.dtype());
  if (momentum_ <= 0.0f) return subtract(parameter, multiply(lr_, g));
  array v = multiply(sc(momentum_, g), state.at("v").as_array());
  v = dampening_ > 0.0f ? add(v, multiply(sc(1.0 - dampening_, g), g)) : add(v, g);
  array upd = nesterov_ ? add(g, multiply(sc(momentum_, g), v)) : v;
  state.set("v", v);
  return subtract(parameter, multiply(lr_, upd));
}

// ================================ RMSprop ================================

RMSprop::RMSprop(LearningRate learning_rate, float alpha, float eps) : alpha_(alpha), eps_(eps) {
  check_non_negative("RMSprop", "Alpha", alpha);
  check_non_negative("RMSprop", "Epsilon", eps);
  maybe_schedule("learning_rate", learning_rate);
}

void RMSprop::init_single(const array& parameter, Params& state) {
  state.set("v", zeros_like(parameter));
}

array RMSprop::apply_single(const array& g, const array& parameter, Params& state) {
  array v = add(multiply(sc(alpha_, g), state.at("v").as_array()),
                multiply(sc(1.0 - alpha_, g), square(g)));
  state.set("v", v);
  return subtract(parameter, divide(multiply(lr(g.dtype()), g), add(sqrt(v), sc(eps_, g))));
}

// ================================ Adagrad ================================

Adagrad::Adagrad(LearningRate learning_rate, float eps) : eps_(eps) {
  check_non_negative("Adagrad", "Epsilon", eps);
  maybe_schedule("learning_rate", learning_rate);
}

void Adagrad::init_single(const array& parameter, Params& state) {
  state.set("v", zeros_like(parameter));
}

array Adagrad::apply_single(const array& g, const array& parameter, Params& state) {
  array v = add(state.at("v").as_array(), square(g));
  state.set("v", v);
  return subtract(parameter, divide(multiply(lr(g.dtype()), g), add(sqrt(v), sc(eps_, g))));
}

// ================================ AdaDelta ================================

AdaDelta::AdaDelta(LearningRate learning_rate, float rho, float eps) : rho_(rho), eps_(eps) {
  if (!(rho >= 0.0f && rho <= 1.0f))
    fail("AdaDelta",
         "Rho value should be in range [0, 1], " + std::to_string(rho) + " was provided instead.");
  check_non_negative("AdaDelta", "Epsilon", eps);
  maybe_schedule("learning_rate", learning_rate);
}

void AdaDelta::init_single(const array& parameter, Params& state) {
  state.set("v", zeros_like(parameter));
  state.set("u", zeros_like(parameter));
}

array AdaDelta::apply_single(const array& g, const array& parameter, Params& state) {
  array v =
      add(multiply(sc(rho_, g), state.at("v").as_array()), multiply(sc(1.0 - rho_, g), square(g)));
  array u0 = state.at("u").as_array();
  array d = multiply(divide(sqrt(add(u0, sc(eps_, g))), sqrt(add(v, sc(eps_, g)))), g);
  array u = add(multiply(sc(rho_, g), u0), multiply(sc(1.0 - rho_, g), square(d)));
  state.set("v", v);
  state.set("u", u);
  return subtract(parameter, multiply(lr(g.dtype()), d));
}

// ================================ Adam / AdamW ================================

Adam::Adam(const char* op, LearningRate learning_rate, std::vector<float> betas, float eps,
           bool bias_correction)
    : eps_(eps), bias_correction_(bias_correction) {
  std::tie(b1_, b2_) = two_betas(op, betas);
  check_non_negative(op, "Epsilon", eps);
  maybe_schedule("learning_rate", learning_rate);
}

Adam::Adam(LearningRate learning_rate, std::vector<float> betas, float eps, bool bias_correction)
    : Adam("Adam", std::move(learning_rate), std::move(betas), eps, bias_correction) {}

void Adam::init_single(const array& parameter, Params& state) {
  state.set("m", zeros_like(parameter));
  state.set("v", zeros_like(parameter));
}

array Adam::apply_single(const array& g, const array& parameter, Params& state) {
  array lr_ = lr(g.dtype());
  array m = add(multiply(sc(b1_, g), state.at("m").as_array()), multiply(sc(1.0 - b1_, g), g));
  array v =
      add(multiply(sc(b2_, g), state.at("v").as_array()), multiply(sc(1.0 - b2_, g), square(g)));
  state.set("m", m);
  state.set("v", v);
  if (bias_correction_) {
    array t = astype(step(), float32);
    array c1 =
        astype(divide(learning_rate(), subtract(array(1.0f), power(array(b1_), t))), g.dtype());
    array c2 = astype(rsqrt(subtract(array(1.0f), power(array(b2_), t))), g.dtype());
    return subtract(parameter, divide(multiply(c1, m), add(multiply(sqrt(v), c2), sc(eps_, g))));
  }
  return subtract(parameter, divide(multiply(lr_, m), add(sqrt(v), sc(eps_, g))));
}

AdamW::AdamW(LearningRate learning_rate, std::vector<float> betas, float eps, float weight_decay,
             bool bias_correction)
    : Adam("AdamW", std::move(learning_rate), std::move(betas), eps, bias_correction),
      weight_decay_(weight_decay) {}

array AdamW::apply_single(const array& g, const array& parameter, Params& state) {
  array decay = subtract(sc(1.0, g), multiply(lr(g.dtype()), sc(weight_decay_, g)));
  return Adam::apply_single(g, multiply(parameter, decay), state);
}

// ================================ Adamax ================================

Adamax::Adamax(LearningRate learning_rate, std::vector<float> betas, float eps) : eps_(eps) {
  std::tie(b1_, b2_) = two_betas("Adamax", betas);
  check_non_negative("Adamax", "Epsilon", eps);
  maybe_schedule("learning_rate", learning_rate);
}

void Adamax::init_single(const array& parameter, Params& state) {
  state.set("m", zeros_like(parameter));
  state.set("v", zeros_like(parameter));
}

array Adamax::apply_single(const array& g, const array& parameter, Params& state) {
  array m = add(multiply(sc(b1_, g), state.at("m").as_array()), multiply(sc(1.0 - b1_, g), g));
  array v = maximum(multiply(sc(b2_, g), state.at("v").as_array()), abs(g));
  state.set("m", m);
  state.set("v", v);
  return subtract(parameter, divide(multiply(lr(g.dtype()), m), add(v, sc(eps_, g))));
}

// ================================ Lion ================================

Lion::Lion(LearningRate learning_rate, std::vector<float> betas, float weight_decay)
    : weight_decay_(weight_decay) {
  std::tie(b1_, b2_) = two_betas("Lion", betas);
  maybe_schedule("learning_rate", learning_rate);
}

void Lion::init_single(const array& parameter, Params& state) {
  state.set("m", zeros_like(parameter));
}

array Lion::apply_single(const array& g, const array& parameter, Params& state) {
  array lr_ = lr(g.dtype());
  array m = state.at("m").as_array();
  array p = parameter;
  if (weight_decay_ > 0.0f)
    p = multiply(subtract(sc(1.0, g), multiply(lr_, sc(weight_decay_, g))), p);
  array c = add(multiply(sc(b1_, g), m), multiply(sc(1.0 - b1_, g), g));
  state.set("m", add(multiply(sc(b2_, g), m), multiply(sc(1.0 - b2_, g), g)));
  return subtract(p, multiply(lr_, sign(c)));
}

// ================================ Adafactor ================================

Adafactor::Adafactor(std::optional<LearningRate> learning_rate, std::vector<float> eps,
                     float clip_threshold, float decay_rate, std::optional<float> beta_1,
                     float weight_decay, bool scale_parameter, bool relative_step, bool warmup_init)
    : clip_threshold_(clip_threshold),
      decay_rate_(decay_rate),
      beta_1_(beta_1),
      weight_decay_(weight_decay),
      scale_parameter_(scale_parameter),
      relative_step_(relative_step),
      warmup_init_(warmup_init) {
  if (eps.size() != 2)
    fail("Adafactor", "eps must hold 2 values; got " + std::to_string(eps.size()) + ".");
  eps1_ = eps[0];
  eps2_ = eps[1];
  if (learning_rate) {
    maybe_schedule("learning_rate", *learning_rate);
  } else if (!relative_step) {
    fail("Adafactor", "A learning_rate is required when relative_step is false.");
  }
}

void Adafactor::init_single(const array& parameter, Params& state) {
  if (parameter.ndim() >= 2) {
    Shape row(parameter.shape().begin(), parameter.shape().end() - 1);
    Shape col(parameter.shape().begin(), parameter.shape().end() - 2);
    col.push_back(parameter.shape(-1));
    state.set("exp_avg_sq_row", zeros(row, parameter.dtype()));
    state.set("exp_avg_sq_col", zeros(col, parameter.dtype()));
  } else {
    state.set("exp_avg_sq", zeros_like(parameter));
  }
  if (beta_1_) state.set("exp_avg", zeros_like(parameter));
}

array Adafactor::apply_single(const array& g, const array& parameter, Params& state) {
  auto rms = [](const array& a) { return sqrt(mean(square(a))); };
  Dtype dt = g.dtype();
  array t = astype(step(), dt);
  array param_rms = rms(parameter);
  array rel(0.0f);
  if (relative_step_) {
    array min_step = warmup_init_ ? multiply(array(1e-6, dt), t) : array(1e-2, dt);
    rel = minimum(min_step, rsqrt(t));
  } else {
    rel = learning_rate();
  }
  rel = astype(rel, param_rms.dtype());
  array scale = scale_parameter_ ? maximum(array(eps2_, param_rms.dtype()), param_rms)
                                 : array(1.0, param_rms.dtype());
  array step_size = multiply(scale, rel);
  array beta_2 = subtract(array(1.0, dt), power(t, array(decay_rate_, dt)));
  array one_m_b2 = subtract(array(1.0, dt), beta_2);
  array upd = add(square(g), sc(eps1_, g));
  if (g.ndim() >= 2) {
    array row = add(multiply(beta_2, state.at("exp_avg_sq_row").as_array()),
                    multiply(one_m_b2, mean(upd, -1)));
    array col = add(multiply(beta_2, state.at("exp_avg_sq_col").as_array()),
                    multiply(one_m_b2, mean(upd, -2)));
    state.set("exp_avg_sq_row", row);
    state.set("exp_avg_sq_col", col);
    array r = rsqrt(divide(row, mean(row, -1, true)));
    array c = rsqrt(col);
    upd = multiply(matmul(expand_dims(r, -1), expand_dims(c, -2)), g);
  } else {
    array sq = add(multiply(beta_2, state.at("exp_avg_sq").as_array()), multiply(one_m_b2, upd));
    state.set("exp_avg_sq", sq);
    upd = multiply(rsqrt(sq), g);
  }
  upd = divide(upd, maximum(array(1.0, dt), divide(rms(upd), array(clip_threshold_, dt))));
  upd = multiply(step_size, upd);
  if (beta_1_) {
    array ea = add(multiply(sc(*beta_1_, g), state.at("exp_avg").as_array()),
                   multiply(sc(1.0 - *beta_1_, g), upd));
    state.set("exp_avg", ea);
    upd = ea;
  }
  array p = parameter;
  if (weight_decay_ != 0.0f) p = add(p, multiply(p, multiply(sc(-weight_decay_, p), step_size)));
  return subtract(p, upd);
}

// ================================ Muon ================================

array newton_schulz5(const array& x, int steps) {
  if (x.ndim() != 2)
    fail("newton_schulz5", "Expected a 2-d array; got shape " + shape_to_string(x.shape()) + ".");
  const double a = 3.4445, b = -4.7750, c = 2.0315;
  bool tr = x.shape(0) > x.shape(1);
  array X = tr ? transpose(x) : x;
  X = divide(X, add(sqrt(sum(square(X))), sc(1e-7, X)));
  for (int i = 0; i < steps; ++i) {
    array A = matmul(X, transpose(X));
    array B = add(multiply(sc(b, A), A), multiply(sc(c, A), matmul(A, A)));
    X = add(multiply(sc(a, X), X), matmul(B, X));
  }
  return tr ? transpose(X) : X;
}

Muon::Muon(LearningRate learning_rate, float momentum, float weight_decay, bool nesterov,
           int ns_steps)
    : momentum_(momentum), weight_decay_(weight_decay), nesterov_(nesterov), ns_steps_(ns_steps) {
  if (ns_steps < 0)
    fail("Muon", "ns_steps must be non-negative; got " + std::to_string(ns_steps) + ".");
  maybe_schedule("learning_rate", learning_rate);
}

void Muon::init_single(const array& parameter, Params& state) {
  state.set("v", zeros_like(parameter));
}

array Muon::apply_single(const array& gradient, const array& parameter, Params& state) {
  array g = gradient;
  if (weight_decay_ != 0.0f) g = add(g, multiply(sc(weight_decay_, g), parameter));
  array v = add(multiply(sc(momentum_, g), state.at("v").as_array()),
                multiply(sc(1.0 - momentum_, g), g));
  state.set("v", v);
  array upd =
      nesterov_ ? add(multiply(g, sc(1.0 - momentum_, g)), multiply(v, sc(momentum_, g))) : v;
  array lr_ = lr(g.dtype());
  if (upd.ndim() >= 2) {
    Shape shape = upd.shape();
    int rows = shape[0];
    int cols = static_cast<int>(upd.size() / std::max<size_t>(rows, 1));
    upd = reshape(newton_schulz5(reshape(upd, {rows, cols}), ns_steps_), shape);
    double ratio = cols > 0 ? static_cast<double>(rows) / cols : 1.0;
    lr_ = multiply(lr_, sc(std::sqrt(std::max(1.0, ratio)), lr_));
  }
  return subtract(parameter, multiply(lr_, upd));
}

// ================================ clip_grad_norm ================================

std::pair<Params, array> clip_grad_norm(const Params& grads, float max_norm) {
  if (!(max_norm >= 0.0f))
    fail("clip_grad_norm", "max_norm must be non-negative; got " + std::to_string(max_norm) + ".");
  array total(0.0f);
  for (auto& g : grads.leaves())
    total = add(total, astype(sum(square(g)), float32));
  array norm = sqrt(total);
  array factor = minimum(divide(array(max_norm), add(norm, array(1e-6f))), array(1.0f));
  Params clipped =
      nn::tree_map(grads, [&](const array& g) { return multiply(g, astype(factor, g.dtype())); });
  return {clipped, norm};
}

}  // namespace tandem::optimizers
