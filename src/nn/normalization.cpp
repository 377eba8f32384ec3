// Copyright © 2026 Tandem authors.
// LayerNorm, RMSNorm, GroupNorm, BatchNorm, InstanceNorm (mlx.nn.layers.normalization).
// float16/bfloat16 inputs are normalised in float32 and cast back, as MLX's fused kernels do.
// LayerNorm and RMSNorm run the fused fast::layer_norm / fast::rms_norm kernels.
#include <optional>
#include <stdexcept>

#include "tandem/fast.h"
#include "tandem/nn.h"
#include "tandem/ops.h"
#include "tandem/utils.h"

namespace tandem::nn {

namespace {
[[noreturn]] void fail(const char* op, const std::string& msg) {
  throw std::invalid_argument(std::string("[") + op + "] " + msg);
}
void check_positive(const char* op, const char* what, int v) {
  if (v <= 0) fail(op, std::string(what) + " must be positive; got " + std::to_string(v) + ".");
}
void check_float_input(const char* op, const array& x) {
  if (!is_floating_point(x.dtype()))
    fail(op, "Needs a floating-point input; got " + dtype_name(x.dtype()) + ".");
}
Dtype compute_dtype(const array& x) {
  return (x.dtype() == float16 || x.dtype() == bfloat16) ? float32 : x.dtype();
}
/// (x - mean) / sqrt(var + eps) over `axes`, in float32 at least.
array standardize(const array& x, const std::vector<int>& axes, float eps) {
  Dtype cd = compute_dtype(x);
  array xc = astype(x, cd);
  array mu = mean(xc, axes, true);
  array v = var(xc, axes, true);
  return multiply(subtract(xc, mu), rsqrt(add(v, array(eps, cd))));
}
/// Applies the affine parameters (when present) and casts half-precision results back.
array affine(const Module& m, array y, Dtype out) {
  if (m.has_param("weight")) y = multiply(y, m.param("weight"));
  if (m.has_param("bias")) y = add(y, m.param("bias"));
  if (out == float16 || out == bfloat16) y = astype(y, out);
  return y;
}
/// Casts a result back to a 16-bit input dtype (float32 parameters promote it).
array half_back(const array& y, Dtype in) {
  return (in == float16 || in == bfloat16) && y.dtype() != in ? astype(y, in) : y;
}
std::string f(float v) {
  std::string s = std::to_string(v);
  return s;
}
std::string b(bool v) {
  return v ? "true" : "false";
}
void check_last(const char* op, const array& x, int dims) {
  if (x.ndim() < 1 || x.shape(-1) != dims)
    fail(op, "Input with shape " + shape_to_string(x.shape()) + " must have " +
                 std::to_string(dims) + " features in its last axis.");
}
}  // namespace

// ------------------------------ LayerNorm ------------------------------

LayerNorm::LayerNorm(int dims, float eps, bool affine, bool bias) : dims_(dims), eps_(eps) {
  check_positive("LayerNorm", "dims", dims);
  if (affine) {
    register_parameter("weight", ones({dims}));
    if (bias) register_parameter("bias", zeros({dims}));
  }
}

array LayerNorm::operator()(const array& x) {
  check_last("LayerNorm", x, dims_);
  check_float_input("LayerNorm", x);
  // float32 parameters on a 16-bit input give a float32 result (one rounding at the end).
  std::optional<array> w, b;
  if (has_param("weight")) w = param("weight");
  if (has_param("bias")) b = param("bias");
  return half_back(fast::layer_norm(x, w, b, eps_), x.dtype());
}

std::string LayerNorm::extra_repr() const {
  return std::to_string(dims_) + ", eps=" + f(eps_) + ", affine=" + b(has_param("weight"));
}

// ------------------------------ RMSNorm ------------------------------

RMSNorm::RMSNorm(int dims, float eps) : dims_(dims), eps_(eps) {
  check_positive("RMSNorm", "dims", dims);
  register_parameter("weight", ones({dims}));
}

array RMSNorm::operator()(const array& x) {
  check_last("RMSNorm", x, dims_);
  check_float_input("RMSNorm", x);
  return half_back(fast::rms_norm(x, param("weight"), eps_), x.dtype());
}

std::string RMSNorm::extra_repr() const {
  return std::to_string(dims_) + ", eps=" + f(eps_);
}

// ------------------------------ GroupNorm ------------------------------

GroupNorm::GroupNorm(int num_groups, int dims, float eps, bool affine, bool pytorch_compatible)
    : num_groups_(num_groups), dims_(dims), eps_(eps), pytorch_compatible_(pytorch_compatible) {
  check_positive("GroupNorm", "num_groups", num_groups);
  check_positive("GroupNorm", "dims", dims);
  if (dims % num_groups != 0)
    fail("GroupNorm", "dims (" + std::to_string(dims) + ") must be divisible by num_groups (" +
                          std::to_string(num_groups) + ").");
  if (affine) {
    register_parameter("weight", ones({dims}));
    register_parameter("bias", zeros({dims}));
  }
}

array GroupNorm::operator()(const array& x) {
  check_last("GroupNorm", x, dims_);
  check_float_input("GroupNorm", x);
  if (x.ndim() < 2)
    fail("GroupNorm", "Input with shape " + shape_to_string(x.shape()) +
                          " needs a batch axis and a feature axis.");
  int batch = x.shape(0);
  int group_size = dims_ / num_groups_;
  array y = x;
  if (pytorch_compatible_) {
    // Group g holds channels [g * group_size, (g + 1) * group_size).
    y = reshape(y, {batch, -1, num_groups_, group_size});
    y = transpose(y, {0, 2, 1, 3});  // (batch, groups, positions, group_size)
    y = standardize(y, {2, 3}, eps_);
    y = transpose(y, {0, 2, 1, 3});
  } else {
    // Channel c belongs to group c % num_groups.
    y = reshape(y, {batch, -1, num_groups_});
    y = standardize(y, {1}, eps_);
  }
  y = reshape(y, x.shape());
  return affine(*this, y, x.dtype());
}

std::string GroupNorm::extra_repr() const {
  return std::to_string(num_groups_) + ", " + std::to_string(dims_) + ", eps=" + f(eps_) +
         ", affine=" + b(has_param("weight")) + ", pytorch_compatible=" + b(pytorch_compatible_);
}

// ------------------------------ BatchNorm ------------------------------

BatchNorm::BatchNorm(int num_features, float eps, float momentum, bool affine,
                     bool track_running_stats)
    : num_features_(num_features),
      eps_(eps),
      momentum_(momentum),
      track_running_stats_(track_running_stats) {
  check_positive("BatchNorm", "num_features", num_features);
  if (affine) {
    register_parameter("weight", ones({num_features}));
    register_parameter("bias", zeros({num_features}));
  }
  if (track_running_stats) {
    register_parameter("running_mean", zeros({num_features}));
    register_parameter("running_var", ones({num_features}));
    Module::freeze(false, {"running_mean", "running_var"});
  }
}

void BatchNorm::unfreeze(bool recurse, const std::vector<std::string>& keys, bool strict) {
  Module::unfreeze(recurse, keys, strict);
  if (track_running_stats_) Module::freeze(false, {"running_mean", "running_var"});
}

array BatchNorm::operator()(const array& x) {
  if (x.ndim() < 2 || x.ndim() > 4)
    fail("BatchNorm", "Expected input tensor to have 2, 3 or 4 dimensions, but got " +
                          std::to_string(x.ndim()) + " (shape " + shape_to_string(x.shape()) +
                          ").");
  check_last("BatchNorm", x, num_features_);
  check_float_input("BatchNorm", x);
  Dtype cd = compute_dtype(x);
  array xc = astype(x, cd);
  std::vector<int> axes;
  for (int i = 0; i < x.ndim() - 1; ++i)
    axes.push_back(i);
  array mu = mean(xc, axes);
  array v = var(xc, axes);
  if (track_running_stats_) {
    array& rm = param("running_mean");
    array& rv = param("running_var");
    if (training()) {
      array m(momentum_, rm.dtype());
      array one_m(1.0f - momentum_, rm.dtype());
      rm = add(multiply(one_m, rm), multiply(m, stop_gradient(astype(mu, rm.dtype()))));
      rv = add(multiply(one_m, rv), multiply(m, stop_gradient(astype(v, rv.dtype()))));
    } else {
      mu = astype(rm, cd);
      v = astype(rv, cd);
    }
  }
  array y = multiply(subtract(xc, mu), rsqrt(add(v, array(eps_, cd))));
  return affine(*this, y, x.dtype());
}

std::string BatchNorm::extra_repr() const {
  return std::to_string(num_features_) + ", eps=" + f(eps_) + ", momentum=" + f(momentum_) +
         ", affine=" + b(has_param("weight")) + ", track_running_stats=" + b(track_running_stats_);
}

// ------------------------------ InstanceNorm ------------------------------

InstanceNorm::InstanceNorm(int dims, float eps, bool affine) : dims_(dims), eps_(eps) {
  check_positive("InstanceNorm", "dims", dims);
  if (affine) {
    register_parameter("weight", ones({dims}));
    register_parameter("bias", zeros({dims}));
  }
}

array InstanceNorm::operator()(const array& x) {
  if (x.ndim() < 3)
    fail("InstanceNorm",
         "Expected an input of shape (N, ..., C) with at least one spatial axis; "
         "got shape " +
             shape_to_string(x.shape()) + ".");
  check_last("InstanceNorm", x, dims_);
  check_float_input("InstanceNorm", x);
  std::vector<int> axes;
  for (int i = 1; i < x.ndim() - 1; ++i)
    axes.push_back(i);
  return affine(*this, standardize(x, axes, eps_), x.dtype());
}

std::string InstanceNorm::extra_repr() const {
  return std::to_string(dims_) + ", eps=" + f(eps_) + ", affine=" + b(has_param("weight"));
}

}  // namespace tandem::nn
