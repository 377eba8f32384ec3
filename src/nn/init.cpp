// Copyright © 2026 Tandem authors.
// mlx.nn.init: constant, normal, uniform, identity, Glorot and He initialisers.
#include <cmath>
#include <stdexcept>

#include "tandem/nn.h"
#include "tandem/ops.h"
#include "tandem/random.h"
#include "tandem/utils.h"

namespace tandem::nn::init {

namespace {
[[noreturn]] void fail(const char* op, const std::string& msg) {
  throw std::invalid_argument(std::string("[") + op + "] " + msg);
}
void check_float(Dtype dtype, const char* op) {
  if (!is_floating_point(dtype))
    fail(op, "Needs a floating-point dtype; got " + dtype_name(dtype) + ".");
}
int fan_for(const array& a, const std::string& mode, const char* op) {
  auto [fan_in, fan_out] = calculate_fan_in_fan_out(a);
  if (mode == "fan_in") return fan_in;
  if (mode == "fan_out") return fan_out;
  fail(op, "Invalid mode \"" + mode + "\"; expected \"fan_in\" or \"fan_out\".");
}
}  // namespace

std::pair<int, int> calculate_fan_in_fan_out(const array& a) {
  if (a.ndim() < 2)
    fail("init", "Glorot and He initialisers need an array with at least 2 dimensions; got shape " +
                     shape_to_string(a.shape()) + ".");
  if (a.ndim() == 2) return {a.shape(1), a.shape(0)};
  int receptive = 1;
  for (int i = 1; i < a.ndim() - 1; ++i)
    receptive *= a.shape(i);
  return {a.shape(-1) * receptive, a.shape(0) * receptive};
}

Initializer constant(float value, Dtype dtype) {
  return [value, dtype](const array& a) { return full(a.shape(), array(value), dtype); };
}

Initializer normal(float mean, float std, Dtype dtype, std::optional<array> key) {
  check_float(dtype, "init.normal");
  return [=](const array& a) { return random::normal(a.shape(), dtype, mean, std, key); };
}

Initializer uniform(float low, float high, Dtype dtype, std::optional<array> key) {
  check_float(dtype, "init.uniform");
  return [=](const array& a) {
    return random::uniform(array(low), array(high), a.shape(), dtype, key);
  };
}

Initializer identity(Dtype dtype) {
  return [dtype](const array& a) {
    if (a.ndim() != 2 || a.shape(0) != a.shape(1))
      fail("init.identity", "The input array must be a square matrix but got shape " +
                                shape_to_string(a.shape()) + ".");
    return eye(a.shape(0), dtype);
  };
}

Initializer glorot_normal(Dtype dtype, float gain, std::optional<array> key) {
  check_float(dtype, "init.glorot_normal");
  return [=](const array& a) {
    auto [fan_in, fan_out] = calculate_fan_in_fan_out(a);
    float std = gain * std::sqrt(2.0f / static_cast<float>(fan_in + fan_out));
    return random::normal(a.shape(), dtype, 0.0f, std, key);
  };
}

Initializer glorot_uniform(Dtype dtype, float gain, std::optional<array> key) {
  check_float(dtype, "init.glorot_uniform");
  return [=](const array& a) {
    auto [fan_in, fan_out] = calculate_fan_in_fan_out(a);
    float limit = gain * std::sqrt(6.0f / static_cast<float>(fan_in + fan_out));
    return random::uniform(array(-limit), array(limit), a.shape(), dtype, key);
  };
}

Initializer he_normal(Dtype dtype, const std::string& mode, float gain, std::optional<array> key) {
  check_float(dtype, "init.he_normal");
  if (mode != "fan_in" && mode != "fan_out")
    fail("init.he_normal", "Invalid mode \"" + mode + "\"; expected \"fan_in\" or \"fan_out\".");
  return [=](const array& a) {
    int fan = fan_for(a, mode, "init.he_normal");
    float std = gain / std::sqrt(static_cast<float>(fan));
    return random::normal(a.shape(), dtype, 0.0f, std, key);
  };
}

Initializer he_uniform(Dtype dtype, const std::string& mode, float gain, std::optional<array> key) {
  check_float(dtype, "init.he_uniform");
  if (mode != "fan_in" && mode != "fan_out")
    fail("init.he_uniform", "Invalid mode \"" + mode + "\"; expected \"fan_in\" or \"fan_out\".");
  return [=](const array& a) {
    int fan = fan_for(a, mode, "init.he_uniform");
    float limit = gain * std::sqrt(3.0f / static_cast<float>(fan));
    return random::uniform(array(-limit), array(limit), a.shape(), dtype, key);
  };
}

}  // namespace tandem::nn::init
