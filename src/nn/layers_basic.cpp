// Copyright © 2026 Tandem authors.
// Identity, Linear, Bilinear, Sequential, Embedding and the Dropout layers.
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
void check_positive(const char* op, const char* what, int v) {
  if (v <= 0) fail(op, std::string(what) + " must be positive; got " + std::to_string(v) + ".");
}
array uniform_init(const Shape& shape, float scale) {
  return random::uniform(array(-scale), array(scale), shape, float32);
}
std::string b(bool v) {
  return v ? "true" : "false";
}
}  // namespace

// ------------------------------ Linear ------------------------------

Linear::Linear(int input_dims, int output_dims, bool bias) {
  check_positive("Linear", "input_dims", input_dims);
  check_positive("Linear", "output_dims", output_dims);
  float scale = std::sqrt(1.0f / static_cast<float>(input_dims));
  register_parameter("weight", uniform_init({output_dims, input_dims}, scale));
  if (bias) register_parameter("bias", uniform_init({output_dims}, scale));
}

array Linear::operator()(const array& x) {
  const array& w = param("weight");
  if (x.ndim() < 1 || x.shape(-1) != w.shape(1))
    fail("Linear", "Input with shape " + shape_to_string(x.shape()) +
                       " does not match the weight with shape " + shape_to_string(w.shape()) +
                       ": the last extent must be " + std::to_string(w.shape(1)) + ".");
  array y = matmul(x, transpose(w));
  if (has_param("bias")) y = add(y, param("bias"));
  return y;
}

std::string Linear::extra_repr() const {
  const array& w = param("weight");
  return "input_dims=" + std::to_string(w.shape(1)) +
         ", output_dims=" + std::to_string(w.shape(0)) + ", bias=" + b(has_param("bias"));
}

// ------------------------------ Bilinear ------------------------------

Bilinear::Bilinear(int input1_dims, int input2_dims, int output_dims, bool bias) {
  check_positive("Bilinear", "input1_dims", input1_dims);
  check_positive("Bilinear", "input2_dims", input2_dims);
  check_positive("Bilinear", "output_dims", output_dims);
  float scale = std::sqrt(1.0f / static_cast<float>(input1_dims));
  register_parameter("weight", uniform_init({output_dims, input2_dims, input1_dims}, scale));
  if (bias) register_parameter("bias", uniform_init({output_dims}, scale));
}

array Bilinear::operator()(const array& x1, const array& x2) {
  const array& w = param("weight");
  int out = w.shape(0), in2 = w.shape(1), in1 = w.shape(2);
  if (x1.ndim() < 1 || x1.shape(-1) != in1 || x2.ndim() < 1 || x2.shape(-1) != in2)
    fail("Bilinear", "Inputs with shapes " + shape_to_string(x1.shape()) + " and " +
                         shape_to_string(x2.shape()) + " do not match the weight with shape " +
                         shape_to_string(w.shape()) + " (last extents must be " +
                         std::to_string(in1) + " and " + std::to_string(in2) + ").");
  Shape lead1(x1.shape().begin(), x1.shape().end() - 1);
  Shape lead2(x2.shape().begin(), x2.shape().end() - 1);
  if (lead1 != lead2)
    fail("Bilinear", "Inputs with shapes " + shape_to_string(x1.shape()) + " and " +
                         shape_to_string(x2.shape()) + " must have the same leading shape.");
  // y[n, k] = sum_{j,i} x2[n, j] W[k, j, i] x1[n, i].
  array a = reshape(x1, {-1, in1});
  array t = matmul(a, transpose(reshape(w, {out * in2, in1})));  // (n, out*in2)
  t = swapaxes(reshape(t, {-1, out, in2}), -2, -1);              // (n, in2, out)
  array y = squeeze(matmul(reshape(x2, {-1, 1, in2}), t), 1);    // (n, out)
  Shape shape = lead1;
  shape.push_back(out);
  y = reshape(y, shape);
  if (has_param("bias")) y = add(y, param("bias"));
  return y;
}

std::string Bilinear::extra_repr() const {
  const array& w = param("weight");
  return "input1_dims=" + std::to_string(w.shape(2)) +
         ", input2_dims=" + std::to_string(w.shape(1)) +
         ", output_dims=" + std::to_string(w.shape(0)) + ", bias=" + b(has_param("bias"));
}

// ------------------------------ Sequential ------------------------------

Sequential::Sequential(std::vector<std::shared_ptr<Module>> layers) : layers_(std::move(layers)) {
  register_modules("layers", layers_);
}

array Sequential::operator()(const array& x) {
  array y = x;
  for (auto& l : layers_)
    y = (*l)(y);
  return y;
}

Module& Sequential::layer(size_t i) const {
  if (i >= layers_.size())
    fail("Sequential", "Layer " + std::to_string(i) + " is out of range for " +
                           std::to_string(layers_.size()) + " layers.");
  return *layers_[i];
}

// ------------------------------ Embedding ------------------------------

Embedding::Embedding(int num_embeddings, int dims) {
  check_positive("Embedding", "num_embeddings", num_embeddings);
  check_positive("Embedding", "dims", dims);
  float scale = std::sqrt(1.0f / static_cast<float>(dims));
  register_parameter("weight", random::normal({num_embeddings, dims}, float32, 0.0f, scale));
}

array Embedding::operator()(const array& x) {
  if (!is_integral(x.dtype()))
    fail("Embedding", "Indices must have an integer dtype; got " + dtype_name(x.dtype()) + ".");
  return take(param("weight"), x, 0);
}

array Embedding::as_linear(const array& x) {
  const array& w = param("weight");
  if (x.ndim() < 1 || x.shape(-1) != w.shape(1))
    fail("Embedding", "as_linear input with shape " + shape_to_string(x.shape()) +
                          " must end in dims=" + std::to_string(w.shape(1)) + ".");
  return matmul(x, transpose(w));
}

std::string Embedding::extra_repr() const {
  const array& w = param("weight");
  return std::to_string(w.shape(0)) + ", " + std::to_string(w.shape(1));
}

// ------------------------------ Dropout ------------------------------

Dropout::Dropout(const char* op, float p, std::optional<array> key) : p_(p), key_(std::move(key)) {
  if (!(p >= 0.0f && p < 1.0f))
    fail(op, "The dropout probability " + std::to_string(p) + " is not in [0, 1).");
}

Dropout::Dropout(float p, std::optional<array> key) : Dropout("Dropout", p, std::move(key)) {}

std::optional<array> Dropout::next_key() {
  if (!key_) return std::nullopt;
  auto [carry, use] = random::split(*key_);
  key_ = carry;
  return use;
}

array Dropout::apply_mask(const array& x, const Shape& mask_shape) {
  if (p_ == 0.0f || !training()) return x;
  float keep = 1.0f - p_;
  Dtype d = is_floating_point(x.dtype()) ? x.dtype() : float32;
  array mask = random::bernoulli(array(keep), mask_shape, next_key());
  return multiply(multiply(astype(mask, d), x), array(1.0 / keep, d));
}

array Dropout::operator()(const array& x) {
  return apply_mask(x, x.shape());
}

std::string Dropout::extra_repr() const {
  return "p=" + std::to_string(p_);
}

Dropout2d::Dropout2d(float p, std::optional<array> key) : Dropout("Dropout2d", p, std::move(key)) {}

array Dropout2d::operator()(const array& x) {
  if (x.ndim() != 3 && x.ndim() != 4)
    fail("Dropout2d", "Received input with " + std::to_string(x.ndim()) + " dimensions (shape " +
                          shape_to_string(x.shape()) + "). Expected 3 or 4 dimensions.");
  Shape m = x.shape();
  m[m.size() - 2] = 1;
  m[m.size() - 3] = 1;
  return apply_mask(x, m);
}

Dropout3d::Dropout3d(float p, std::optional<array> key) : Dropout("Dropout3d", p, std::move(key)) {}

array Dropout3d::operator()(const array& x) {
  if (x.ndim() != 4 && x.ndim() != 5)
    fail("Dropout3d", "Received input with " + std::to_string(x.ndim()) + " dimensions (shape " +
                          shape_to_string(x.shape()) + "). Expected 4 or 5 dimensions.");
  Shape m = x.shape();
  m[m.size() - 2] = 1;
  m[m.size() - 3] = 1;
  m[m.size() - 4] = 1;
  return apply_mask(x, m);
}

}  // namespace tandem::nn
