// Copyright © 2026 Tandem authors.
// Activation functions (mlx.nn activations) as functions and as modules. Scalars inside the
// formulas take the input's dtype, so float16/bfloat16 inputs stay in their dtype.
//
// Note: tandem::sigmoid, tandem::tanh and tandem::softmax also exist; qualify calls (nn::sigmoid)
// when both namespaces are visible.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "tandem/array.h"
#include "tandem/nn/module.h"

namespace tandem::nn {

/// An activation as a plain function (what Transformer layers take).
using Activation = std::function<array(const array&)>;

// ------------------------------ functions ------------------------------

/// max(x, 0).
array relu(const array& x);
/// min(max(x, 0), 6).
array relu6(const array& x);
/// relu(x)^2 (MLX's relu2).
array relu2(const array& x);
/// max(negative_slope * x, x).
array leaky_relu(const array& x, float negative_slope = 0.01f);
/// x for x > 0, alpha * (exp(x) - 1) otherwise.
array elu(const array& x, float alpha = 1.0f);
/// 1.0507 * elu(x, 1.67326).
array selu(const array& x);
/// max(x, 0) + alpha * (exp(min(x, 0) / alpha) - 1).
array celu(const array& x, float alpha = 1.0f);
/// Exact GELU: x * (1 + erf(x / sqrt(2))) / 2.
array gelu(const array& x);
/// The tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
array gelu_approx(const array& x);
/// The sigmoid approximation: x * sigmoid(1.702 x).
array gelu_fast_approx(const array& x);
/// x * sigmoid(x).
array silu(const array& x);
/// x * tanh(softplus(x)).
array mish(const array& x);
/// log(1 + exp(x)), computed stably.
array softplus(const array& x);
/// x / (1 + |x|).
array softsign(const array& x);
/// 1 / (1 + exp(-x)).
array sigmoid(const array& x);
/// -softplus(-x).
array log_sigmoid(const array& x);
/// relu6(x + 3) / 6.
array hard_sigmoid(const array& x);
/// x * relu6(x + 3) / 6 (MLX's hardswish; hard_swish is the same function).
array hardswish(const array& x);
array hard_swish(const array& x);
/// clip(x, min_val, max_val).
array hard_tanh(const array& x, float min_val = -1.0f, float max_val = 1.0f);
/// x where |x| > lambd, else 0.
array hard_shrink(const array& x, float lambd = 0.5f);
/// x - sign(x) * lambd where |x| > lambd, else 0.
array softshrink(const array& x, float lambd = 0.5f);
/// tanh(x).
array tanh(const array& x);
/// Split x in two halves a, b along axis; a * sigmoid(b).
array glu(const array& x, int axis = -1);
/// max(0, x) + alpha * min(0, x) (alpha broadcasts against x).
array prelu(const array& x, const array& alpha);
/// x - logsumexp(x, axis).
array log_softmax(const array& x, int axis = -1);
/// exp(x) / sum(exp(x)) along axis.
array softmax(const array& x, int axis = -1);
/// softmax(-x).
array softmin(const array& x, int axis = -1);
/// 1 where x > threshold, else 0 (in x's dtype).
array step(const array& x, float threshold = 0.0f);

// ------------------------------ modules ------------------------------

/// A module applying a fixed function (the base of the parameter-free activation modules).
class ActivationModule : public Module {
 public:
  ActivationModule(std::string name, Activation fn) : name_(std::move(name)), fn_(std::move(fn)) {}
  array operator()(const array& x) override { return fn_(x); }
  std::string name() const override { return name_; }

 private:
  std::string name_;
  Activation fn_;
};

/// relu as a module.
class ReLU : public ActivationModule {
 public:
  ReLU();
};
/// relu6 as a module.
class ReLU6 : public ActivationModule {
 public:
  ReLU6();
};
/// relu2 as a module.
class ReLU2 : public ActivationModule {
 public:
  ReLU2();
};
/// leaky_relu as a module.
class LeakyReLU : public ActivationModule {
 public:
  explicit LeakyReLU(float negative_slope = 0.01f);
};
/// elu as a module.
class ELU : public ActivationModule {
 public:
  explicit ELU(float alpha = 1.0f);
};
/// selu as a module.
class SELU : public ActivationModule {
 public:
  SELU();
};
/// celu as a module.
class CELU : public ActivationModule {
 public:
  explicit CELU(float alpha = 1.0f);
};
/// GELU with approx "none" (exact), "precise" or "tanh" (gelu_approx), or "fast"
/// (gelu_fast_approx). Another value throws "[GELU] ...".
class GELU : public ActivationModule {
 public:
  explicit GELU(const std::string& approx = "none");
};
/// silu as a module.
class SiLU : public ActivationModule {
 public:
  SiLU();
};
/// mish as a module.
class Mish : public ActivationModule {
 public:
  Mish();
};
/// softplus as a module.
class Softplus : public ActivationModule {
 public:
  Softplus();
};
/// softsign as a module.
class Softsign : public ActivationModule {
 public:
  Softsign();
};
/// sigmoid as a module.
class Sigmoid : public ActivationModule {
 public:
  Sigmoid();
};
/// log_sigmoid as a module.
class LogSigmoid : public ActivationModule {
 public:
  LogSigmoid();
};
/// hard_sigmoid as a module.
class HardSigmoid : public ActivationModule {
 public:
  HardSigmoid();
};
/// hardswish as a module (MLX's Hardswish; HardSwish is an alias).
class Hardswish : public ActivationModule {
 public:
  Hardswish();
};
using HardSwish = Hardswish;
/// hard_tanh as a module.
class HardTanh : public ActivationModule {
 public:
  explicit HardTanh(float min_val = -1.0f, float max_val = 1.0f);
};
/// hard_shrink as a module.
class HardShrink : public ActivationModule {
 public:
  explicit HardShrink(float lambd = 0.5f);
};
/// softshrink as a module.
class Softshrink : public ActivationModule {
 public:
  explicit Softshrink(float lambd = 0.5f);
};
/// tanh as a module.
class Tanh : public ActivationModule {
 public:
  Tanh();
};
/// glu along `axis` as a module.
class GLU : public ActivationModule {
 public:
  explicit GLU(int axis = -1);
};
/// log_softmax along the last axis as a module.
class LogSoftmax : public ActivationModule {
 public:
  LogSoftmax();
};
/// softmax along the last axis as a module.
class Softmax : public ActivationModule {
 public:
  Softmax();
};
/// softmin along the last axis as a module.
class Softmin : public ActivationModule {
 public:
  Softmin();
};
/// step with a threshold as a module.
class Step : public ActivationModule {
 public:
  explicit Step(float threshold = 0.0f);
};

/// prelu with a learnable slope: parameter "weight" of shape (num_parameters,) set to `init`.
class PReLU : public Module {
 public:
  explicit PReLU(int num_parameters = 1, float init = 0.25f);
  array operator()(const array& x) override;
  std::string name() const override { return "PReLU"; }
  std::string extra_repr() const override;
};

}  // namespace tandem::nn
