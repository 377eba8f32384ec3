// Copyright © 2026 Tandem authors.
// Upsample and upsample_nearest/linear/cubic (mlx.nn.layers.upsample).
//
// The sampling positions and weights depend only on the shapes, so they are computed on the host
// in float32 with MLX's formulas (same indices as MLX) and enter the graph as constants; the
// data path is take() along each spatial axis and a weighted sum, one axis at a time, so
// gradients flow through take's vjp (a scatter-add) like any op.
#include <cmath>
#include <optional>
#include <stdexcept>

#include "tandem/nn.h"
#include "tandem/ops.h"
#include "tandem/utils.h"

namespace tandem::nn {

namespace {
[[noreturn]] void fail(const std::string& op, const std::string& msg) {
  throw std::invalid_argument("[" + op + "] " + msg);
}

std::string num(double v) {
  std::string s = std::to_string(v);
  while (s.size() > 1 && s.back() == '0' && s[s.size() - 2] != '.')
    s.pop_back();
  return s;
}

/// Checks x (N, spatial..., C) against one scale per spatial axis; returns the output extents.
std::vector<int> output_extents(const char* op, const array& x, const std::vector<double>& scale) {
  int dims = x.ndim() - 2;
  if (dims <= 0)
    fail(op,
         "The input should have at least 1 spatial dimension which means it should be at "
         "least 3D but " +
             std::to_string(x.ndim()) + "D was provided (shape " + shape_to_string(x.shape()) +
             ").");
  if (static_cast<int>(scale.size()) != dims)
    fail(op, "A scale needs to be provided for each spatial dimension: the input with shape " +
                 shape_to_string(x.shape()) + " has " + std::to_string(dims) + " but " +
                 std::to_string(scale.size()) + " scales were given.");
  std::vector<int> out(dims);
  for (int i = 0; i < dims; ++i) {
    int n = x.shape(i + 1);
    if (!(scale[i] > 0) || !std::isfinite(scale[i]))
      fail(op, "Scale factors must be positive and finite; got " + num(scale[i]) + ".");
    out[i] = static_cast<int>(scale[i] * n);  // int(scale * N), as MLX
    if (out[i] < 1 && n > 0)
      fail(op, "The scale factor " + num(scale[i]) + " gives an empty output for the extent " +
                   std::to_string(n) + " of the input with shape " + shape_to_string(x.shape()) +
                   ".");
  }
  return out;
}

/// The dtype of the interpolated result: the input's floating dtype, else float32.
Dtype result_dtype(const array& x) {
  return is_floating_point(x.dtype()) ? x.dtype() : float32;
}

/// Indices (m,) as an int32 array.
array index_array(const std::vector<int32_t>& idx) {
  return array(idx, Shape{static_cast<int32_t>(idx.size())}, int32);
}

/// Weights (m,) reshaped to broadcast along spatial axis `axis` of an ndim-d input.
array weight_array(const std::vector<float>& w, int axis, int ndim, Dtype dtype) {
  Shape shape(ndim, 1);
  shape[axis] = static_cast<int32_t>(w.size());
  return astype(array(w, shape, float32), dtype);
}

int32_t clamp_index(double v, int n) {
  return static_cast<int32_t>(std::min<double>(std::max<double>(v, 0.0), n - 1));
}

/// MLX's _scaled_indices in float32: source coordinates of the m output samples.
std::vector<float> scaled_indices(int n, int m, double scale, bool align_corners) {
  std::vector<float> v(m);
  if (align_corners) {
    float step = m > 1 ? static_cast<float>(static_cast<double>(n - 1) / (m - 1)) : 0.0f;
    for (int i = 0; i < m; ++i)
      v[i] = static_cast<float>(i) * step;
  } else {
    double step = 1.0 / scale;
    double start = ((m - 1) * step - n + 1) / 2;
    for (int i = 0; i < m; ++i)
      v[i] = static_cast<float>(i) * static_cast<float>(step) - static_cast<float>(start);
  }
  return v;
}

/// Integer scale: each element repeated s times along `axis` (broadcast and reshape).
array repeat_axis(const array& x, int axis, int s) {
  Shape expanded = x.shape();
  expanded.insert(expanded.begin() + axis + 1, 1);
  Shape broadcast = expanded;
  broadcast[axis + 1] = s;
  Shape merged = x.shape();
  merged[axis] *= s;
  return reshape(broadcast_to(reshape(x, expanded), broadcast), merged);
}

/// sum_k take(x, idx_k, axis) * w_k.
array interpolate_axis(const array& x, int axis, const std::vector<std::vector<int32_t>>& idx,
                       const std::vector<std::vector<float>>& w, Dtype dtype) {
  array xs = astype(x, dtype);
  std::optional<array> out;
  for (size_t k = 0; k < idx.size(); ++k) {
    array term =
        multiply(take(xs, index_array(idx[k]), axis), weight_array(w[k], axis, x.ndim(), dtype));
    out = out ? add(*out, term) : term;
  }
  return *out;
}

// The cubic convolution kernel with a = -0.75 at distance d (1: inner taps, 2: outer taps).
float cubic_weight(float d, int dist) {
  const float a = -0.75f;
  if (dist == 1) return ((a + 2.0f) * d - (a + 3.0f)) * d * d + 1.0f;
  return (((d - 5.0f) * d + 8.0f) * d - 4.0f) * a;
}
}  // namespace

array upsample_nearest(const array& x, const std::vector<double>& scale_factor) {
  auto out = output_extents("upsample_nearest", x, scale_factor);
  array y = x;
  for (size_t i = 0; i < out.size(); ++i) {
    int axis = static_cast<int>(i) + 1;
    int n = x.shape(axis), m = out[i];
    double s = scale_factor[i];
    if (s == std::floor(s)) {
      y = repeat_axis(y, axis, static_cast<int>(s));
      continue;
    }
    // MLX's _nearest_indices, in float32.
    float ratio = static_cast<float>(static_cast<double>(n) / m);
    std::vector<int32_t> idx(m);
    for (int j = 0; j < m; ++j) {
      float v = m > n ? std::nearbyint((static_cast<float>(j) + 0.5f) * ratio - 0.5f)
                      : std::trunc(static_cast<float>(j) * ratio);
      idx[j] = clamp_index(v, n);
    }
    y = take(y, index_array(idx), axis);
  }
  return y;
}

array upsample_linear(const array& x, const std::vector<double>& scale_factor, bool align_corners) {
  auto out = output_extents("upsample_linear", x, scale_factor);
  Dtype dt = result_dtype(x);
  array y = x;
  for (size_t i = 0; i < out.size(); ++i) {
    int axis = static_cast<int>(i) + 1;
    int n = x.shape(axis), m = out[i];
    auto pos = scaled_indices(n, m, scale_factor[i], align_corners);
    std::vector<std::vector<int32_t>> idx(2, std::vector<int32_t>(m));
    std::vector<std::vector<float>> w(2, std::vector<float>(m));
    for (int j = 0; j < m; ++j) {
      float p = std::min(std::max(pos[j], 0.0f), static_cast<float>(n - 1));
      float l = std::floor(p), r = std::ceil(p);
      float t = p - l;
      idx[0][j] = clamp_index(l, n);
      idx[1][j] = clamp_index(r, n);
      w[0][j] = 1.0f - t;
      w[1][j] = t;
    }
    y = interpolate_axis(y, axis, idx, w, dt);
  }
  return y;
}

array upsample_cubic(const array& x, const std::vector<double>& scale_factor, bool align_corners) {
  auto out = output_extents("upsample_cubic", x, scale_factor);
  Dtype dt = result_dtype(x);
  array y = x;
  for (size_t i = 0; i < out.size(); ++i) {
    int axis = static_cast<int>(i) + 1;
    int n = x.shape(axis), m = out[i];
    auto pos = scaled_indices(n, m, scale_factor[i], align_corners);
    // Taps l1 = floor(p), r1 = floor(p + 1), l2 = l1 - 1, r2 = r1 + 1 (MLX's order).
    std::vector<std::vector<int32_t>> idx(4, std::vector<int32_t>(m));
    std::vector<std::vector<float>> w(4, std::vector<float>(m));
    for (int j = 0; j < m; ++j) {
      float p = pos[j];
      float l1 = std::floor(p), r1 = std::floor(p + 1.0f);
      float taps[4] = {l1, r1, l1 - 1.0f, r1 + 1.0f};
      for (int k = 0; k < 4; ++k) {
        w[k][j] = cubic_weight(std::abs(p - taps[k]), k < 2 ? 1 : 2);
        idx[k][j] = clamp_index(taps[k], n);
      }
    }
    y = interpolate_axis(y, axis, idx, w, dt);
  }
  return y;
}

// ------------------------------ Upsample ------------------------------

Upsample::Upsample(double scale_factor, const std::string& mode, bool align_corners)
    : Upsample(std::vector<double>{scale_factor}, mode, align_corners) {}

Upsample::Upsample(std::vector<double> scale_factor, const std::string& mode, bool align_corners)
    : scale_factor_(std::move(scale_factor)), mode_(mode), align_corners_(align_corners) {
  if (mode != "nearest" && mode != "linear" && mode != "cubic")
    fail("Upsample", "Got unsupported upsampling algorithm: " + mode +
                         " (expected \"nearest\", \"linear\" or \"cubic\").");
  if (scale_factor_.empty()) fail("Upsample", "scale_factor must not be empty.");
  for (double s : scale_factor_)
    if (!(s > 0) || !std::isfinite(s))
      fail("Upsample", "Scale factors must be positive and finite; got " + num(s) + ".");
}

array Upsample::operator()(const array& x) {
  int dims = x.ndim() - 2;
  if (dims <= 0)
    fail("Upsample",
         "The input should have at least 1 spatial dimension which means it should be at least "
         "3D but " +
             std::to_string(x.ndim()) + "D was provided (shape " + shape_to_string(x.shape()) +
             ").");
  std::vector<double> scale = scale_factor_;
  if (scale.size() == 1) {
    scale.assign(dims, scale_factor_[0]);
  } else if (static_cast<int>(scale.size()) != dims) {
    fail("Upsample",
         "One scale per dimension should be provided and the scale_factor should be "
         "either a number or a tuple of " +
             std::to_string(dims) + " numbers, but " + std::to_string(scale.size()) +
             " were provided (input shape " + shape_to_string(x.shape()) + ").");
  }
  if (mode_ == "nearest") return upsample_nearest(x, scale);
  if (mode_ == "linear") return upsample_linear(x, scale, align_corners_);
  return upsample_cubic(x, scale, align_corners_);
}

std::string Upsample::extra_repr() const {
  std::string s;
  if (scale_factor_.size() == 1) {
    s = num(scale_factor_[0]);
  } else {
    s = "(";
    for (size_t i = 0; i < scale_factor_.size(); ++i)
      s += (i ? ", " : "") + num(scale_factor_[i]);
    s += ")";
  }
  return "scale_factor=" + s + ", mode=" + mode_ +
         ", align_corners=" + (align_corners_ ? "true" : "false");
}

}  // namespace tandem::nn
