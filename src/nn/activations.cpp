// Copyright © 2026 Tandem authors.
// Activation functions and their modules (mlx.nn.layers.activations).
#include <cmath>
#include <numbers>
#include <stdexcept>

#include "tandem/nn.h"
#include "tandem/ops.h"
#include "tandem/utils.h"

namespace tandem::nn {

namespace {
/// A 0-d array of value v in x's dtype (float32 for non-floating inputs).
array c(const array& x, double v) {
  return array(v, is_floating_point(x.dtype()) ? x.dtype() : float32);
}
}  // namespace

array relu(const array& x) {
  return maximum(x, c(x, 0.0));
}
array relu6(const array& x) {
  return minimum(maximum(x, c(x, 0.0)), c(x, 6.0));
}
array relu2(const array& x) {
  return square(relu(x));
}
array leaky_relu(const array& x, float negative_slope) {
  return maximum(multiply(c(x, negative_slope), x), x);
}
array elu(const array& x, float alpha) {
  return where(greater(x, c(x, 0.0)), x, multiply(c(x, alpha), expm1(x)));
}
array selu(const array& x) {
  return multiply(elu(x, 1.67326f), c(x, 1.0507));
}
array celu(const array& x, float alpha) {
  array zero = c(x, 0.0);
  return add(maximum(x, zero), multiply(c(x, alpha), expm1(divide(minimum(x, zero), c(x, alpha)))));
}
array gelu(const array& x) {
  return divide(multiply(x, add(c(x, 1.0), erf(divide(x, c(x, std::sqrt(2.0)))))), c(x, 2.0));
}
array gelu_approx(const array& x) {
  array inner = multiply(c(x, std::sqrt(2.0 / std::numbers::pi)),
                         add(x, multiply(c(x, 0.044715), multiply(x, square(x)))));
  return multiply(multiply(c(x, 0.5), x), add(c(x, 1.0), tandem::tanh(inner)));
}
array gelu_fast_approx(const array& x) {
  return multiply(x, tandem::sigmoid(multiply(c(x, 1.702), x)));
}
array silu(const array& x) {
  return multiply(x, tandem::sigmoid(x));
}
array softplus(const array& x) {
  return logaddexp(x, c(x, 0.0));
}
array mish(const array& x) {
  return multiply(x, tandem::tanh(softplus(x)));
}
array softsign(const array& x) {
  return divide(x, add(c(x, 1.0), abs(x)));
}
array sigmoid(const array& x) {
  return tandem::sigmoid(x);
}
array log_sigmoid(const array& x) {
  return negative(softplus(negative(x)));
}
array hard_sigmoid(const array& x) {
  return divide(relu6(add(x, c(x, 3.0))), c(x, 6.0));
}
array hardswish(const array& x) {
  return multiply(x, hard_sigmoid(x));
}
array hard_swish(const array& x) {
  return hardswish(x);
}
array hard_tanh(const array& x, float min_val, float max_val) {
  if (min_val > max_val)
    throw std::invalid_argument("[hard_tanh] min_val (" + std::to_string(min_val) +
                                ") must not exceed max_val (" + std::to_string(max_val) + ").");
  return minimum(maximum(x, c(x, min_val)), c(x, max_val));
}
array hard_shrink(const array& x, float lambd) {
  return where(greater(abs(x), c(x, lambd)), x, zeros_like(x));
}
array softshrink(const array& x, float lambd) {
  return where(greater(abs(x), c(x, lambd)), subtract(x, multiply(sign(x), c(x, lambd))),
               zeros_like(x));
}
array tanh(const array& x) {
  return tandem::tanh(x);
}
array glu(const array& x, int axis) {
  int ax = normalize_axis(axis, x.ndim(), "glu");
  if (x.shape(ax) % 2 != 0)
    throw std::invalid_argument("[glu] The size of axis " + std::to_string(axis) + " of shape " +
                                shape_to_string(x.shape()) + " must be even.");
  auto parts = split(x, 2, ax);
  return multiply(parts[0], tandem::sigmoid(parts[1]));
}
array prelu(const array& x, const array& alpha) {
  array zero = c(x, 0.0);
  return add(maximum(zero, x), multiply(alpha, minimum(zero, x)));
}
array log_softmax(const array& x, int axis) {
  return subtract(x, logsumexp(x, axis, true));
}
array softmax(const array& x, int axis) {
  return tandem::softmax(x, axis, true);
}
array softmin(const array& x, int axis) {
  return tandem::softmax(negative(x), axis, true);
}
array step(const array& x, float threshold) {
  Dtype d = is_floating_point(x.dtype()) ? x.dtype() : float32;
  return astype(greater(x, c(x, threshold)), d);
}

// ------------------------------ modules ------------------------------

ReLU::ReLU() : ActivationModule("ReLU", relu) {}
ReLU6::ReLU6() : ActivationModule("ReLU6", relu6) {}
ReLU2::ReLU2() : ActivationModule("ReLU2", relu2) {}
LeakyReLU::LeakyReLU(float s)
    : ActivationModule("LeakyReLU", [s](const array& x) { return leaky_relu(x, s); }) {}
ELU::ELU(float a) : ActivationModule("ELU", [a](const array& x) { return elu(x, a); }) {}
SELU::SELU() : ActivationModule("SELU", selu) {}
CELU::CELU(float a) : ActivationModule("CELU", [a](const array& x) { return celu(x, a); }) {}

namespace {
Activation gelu_for(const std::string& approx) {
  if (approx == "none") return gelu;
  if (approx == "precise" || approx == "tanh") return gelu_approx;
  if (approx == "fast") return gelu_fast_approx;
  throw std::invalid_argument(
      "[GELU] The approximation should be in ['none', 'precise', 'tanh', "
      "'fast'] but '" +
      approx + "' was given.");
}
}  // namespace

GELU::GELU(const std::string& approx) : ActivationModule("GELU", gelu_for(approx)) {}
SiLU::SiLU() : ActivationModule("SiLU", silu) {}
Mish::Mish() : ActivationModule("Mish", mish) {}
Softplus::Softplus() : ActivationModule("Softplus", softplus) {}
Softsign::Softsign() : ActivationModule("Softsign", softsign) {}
Sigmoid::Sigmoid() : ActivationModule("Sigmoid", sigmoid) {}
LogSigmoid::LogSigmoid() : ActivationModule("LogSigmoid", log_sigmoid) {}
HardSigmoid::HardSigmoid() : ActivationModule("HardSigmoid", hard_sigmoid) {}
Hardswish::Hardswish() : ActivationModule("Hardswish", hardswish) {}
HardTanh::HardTanh(float lo, float hi)
    : ActivationModule("HardTanh", [lo, hi](const array& x) { return hard_tanh(x, lo, hi); }) {}
HardShrink::HardShrink(float l)
    : ActivationModule("HardShrink", [l](const array& x) { return hard_shrink(x, l); }) {}
Softshrink::Softshrink(float l)
    : ActivationModule("Softshrink", [l](const array& x) { return softshrink(x, l); }) {}
Tanh::Tanh() : ActivationModule("Tanh", tanh) {}
GLU::GLU(int axis) : ActivationModule("GLU", [axis](const array& x) { return glu(x, axis); }) {}
LogSoftmax::LogSoftmax()
    : ActivationModule("LogSoftmax", [](const array& x) { return log_softmax(x); }) {}
Softmax::Softmax()
    : ActivationModule("Softmax", [](const array& x) { return nn::softmax(x, -1); }) {}
Softmin::Softmin() : ActivationModule("Softmin", [](const array& x) { return softmin(x); }) {}
Step::Step(float t) : ActivationModule("Step", [t](const array& x) { return step(x, t); }) {}

PReLU::PReLU(int num_parameters, float init) {
  if (num_parameters < 1)
    throw std::invalid_argument("[PReLU] num_parameters must be positive; got " +
                                std::to_string(num_parameters) + ".");
  register_parameter("weight", full({num_parameters}, array(init), float32));
}
array PReLU::operator()(const array& x) {
  return prelu(x, param("weight"));
}
std::string PReLU::extra_repr() const {
  return "num_parameters=" + std::to_string(param("weight").size());
}

}  // namespace tandem::nn
