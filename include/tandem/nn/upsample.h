// Copyright © 2026 Tandem authors.
// Upsampling (mlx.nn.Upsample and the functions upsample_nearest/linear/cubic) of channels-last
// inputs (N, spatial..., C). Each spatial extent n becomes floor(scale * n).
//
// - nearest: integer scales repeat each element; other scales pick source index
//   round((i + 0.5) * n / m - 0.5) when growing, floor(i * n / m) when shrinking (as MLX).
// - linear: (bi/tri)linear interpolation; cubic: bicubic-style interpolation with a = -0.75
//   (OpenCV/PyTorch), edge samples clamped. Without align_corners, output sample i maps to source
//   coordinate (i + 0.5) / scale - 0.5 (centred; linear clamps it to [0, n - 1]); with
//   align_corners, to i * (n - 1) / (m - 1), so the corner samples coincide.
// Interpolation is separable: one axis at a time (the same values as MLX's product of per-axis
// weights, up to rounding). Weights take the input's floating dtype (MLX computes them in
// float32, which promotes half inputs to float32). Scales are doubles, like MLX's Python floats,
// so floor(scale * n) agrees with MLX (0.7f * 10 would give 6). Departures from MLX: with
// align_corners and an output extent of 1, MLX divides by zero; here the single sample is the
// first element. An output extent of 0 throws.
#pragma once

#include <string>
#include <vector>

#include "tandem/array.h"
#include "tandem/nn/module.h"

namespace tandem::nn {

/// Nearest-neighbour upsampling, one scale per spatial axis.
array upsample_nearest(const array& x, const std::vector<double>& scale_factor);
/// Linear interpolation, one scale per spatial axis.
array upsample_linear(const array& x, const std::vector<double>& scale_factor,
                      bool align_corners = false);
/// Cubic interpolation, one scale per spatial axis.
array upsample_cubic(const array& x, const std::vector<double>& scale_factor,
                     bool align_corners = false);

/// Upsamples the spatial axes of (N, spatial..., C) inputs by `scale_factor` (one value for every
/// axis, or one per axis) with mode "nearest", "linear" or "cubic".
class Upsample : public Module {
 public:
  explicit Upsample(double scale_factor, const std::string& mode = "nearest",
                    bool align_corners = false);
  explicit Upsample(std::vector<double> scale_factor, const std::string& mode = "nearest",
                    bool align_corners = false);
  array operator()(const array& x) override;
  std::string name() const override { return "Upsample"; }
  std::string extra_repr() const override;

 private:
  std::vector<double> scale_factor_;  // one value: every axis
  std::string mode_;
  bool align_corners_;
};

}  // namespace tandem::nn
