// Copyright © 2026 Tandem authors.
// Convolution layers (mlx.nn): Conv1d/2d/3d and ConvTranspose1d/2d/3d. Channels last, as MLX:
// inputs (N, spatial..., in_channels), outputs (N, spatial_out..., out_channels). "weight" has
// shape (out_channels, kernel..., in_channels / groups) and is uniform in [-s, s] with
// s = sqrt(1 / (in_channels * prod(kernel))); "bias" (out_channels,) starts at zero.
//
// Size arguments take one int for every spatial axis (Conv2d(3, 8, 3)) or one per axis
// (Conv2d(3, 8, {3, 5})), like MLX's "int or tuple". Departure from MLX: every layer takes
// `groups` (MLX's Conv3d and ConvTranspose layers do not); it comes before `bias`, so a call
// ported with a positional `false` for bias fails loudly ("groups must be positive").
#pragma once

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "tandem/array.h"
#include "tandem/nn/module.h"

namespace tandem::nn {

/// One int for every spatial axis, or one per axis: MLX's `Union[int, tuple]` arguments. An
/// empty value ({}) stands for MLX's None where an argument allows it (pooling strides).
class IntOrTuple {
 public:
  IntOrTuple() = default;
  IntOrTuple(int v) : values_{v} {}                          // NOLINT: implicit
  IntOrTuple(std::initializer_list<int> v) : values_(v) {}   // NOLINT: implicit
  IntOrTuple(std::vector<int> v) : values_(std::move(v)) {}  // NOLINT: implicit
  const std::vector<int>& values() const { return values_; }
  bool empty() const { return values_.empty(); }
  /// The values for `n` axes: a single value repeated n times, or exactly n values (otherwise
  /// throws "[op] 'name' must be an integer or a tuple containing n integers ...").
  std::vector<int> expand(int n, const char* op, const char* name) const;

 private:
  std::vector<int> values_;
};

namespace detail {
/// The shared implementation of the convolution layers (not for direct use).
class ConvNd : public Module {
 public:
  array operator()(const array& x) override;
  std::string name() const override { return name_; }
  std::string extra_repr() const override;
  array& weight() { return param("weight"); }
  array& bias() { return param("bias"); }
  const std::vector<int>& stride() const { return stride_; }
  const std::vector<int>& padding() const { return padding_; }
  const std::vector<int>& dilation() const { return dilation_; }
  int groups() const { return groups_; }

 protected:
  ConvNd(const char* name, int dims, bool transpose, int in_channels, int out_channels,
         const IntOrTuple& kernel_size, const IntOrTuple& stride, const IntOrTuple& padding,
         const IntOrTuple& dilation, const IntOrTuple& output_padding, int groups, bool bias);

 private:
  const char* name_;
  int dims_;
  bool transpose_;
  std::vector<int> stride_, padding_, dilation_, output_padding_;
  int groups_;
};
}  // namespace detail

/// 1-d convolution of (N, L, in_channels) inputs; "weight" (out, k, in/groups).
class Conv1d : public detail::ConvNd {
 public:
  Conv1d(int in_channels, int out_channels, IntOrTuple kernel_size, IntOrTuple stride = 1,
         IntOrTuple padding = 0, IntOrTuple dilation = 1, int groups = 1, bool bias = true);
};

/// 2-d convolution of (N, H, W, in_channels) inputs; "weight" (out, kh, kw, in/groups).
class Conv2d : public detail::ConvNd {
 public:
  Conv2d(int in_channels, int out_channels, IntOrTuple kernel_size, IntOrTuple stride = 1,
         IntOrTuple padding = 0, IntOrTuple dilation = 1, int groups = 1, bool bias = true);
};

/// 3-d convolution of (N, D, H, W, in_channels) inputs; "weight" (out, kd, kh, kw, in/groups).
class Conv3d : public detail::ConvNd {
 public:
  Conv3d(int in_channels, int out_channels, IntOrTuple kernel_size, IntOrTuple stride = 1,
         IntOrTuple padding = 0, IntOrTuple dilation = 1, int groups = 1, bool bias = true);
};

/// 1-d transposed convolution (conv_transpose1d: the adjoint of conv1d); output length
/// (L - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1.
class ConvTranspose1d : public detail::ConvNd {
 public:
  ConvTranspose1d(int in_channels, int out_channels, IntOrTuple kernel_size, IntOrTuple stride = 1,
                  IntOrTuple padding = 0, IntOrTuple dilation = 1, IntOrTuple output_padding = 0,
                  int groups = 1, bool bias = true);
};

/// 2-d transposed convolution (conv_transpose2d).
class ConvTranspose2d : public detail::ConvNd {
 public:
  ConvTranspose2d(int in_channels, int out_channels, IntOrTuple kernel_size, IntOrTuple stride = 1,
                  IntOrTuple padding = 0, IntOrTuple dilation = 1, IntOrTuple output_padding = 0,
                  int groups = 1, bool bias = true);
};

/// 3-d transposed convolution (conv_transpose3d).
class ConvTranspose3d : public detail::ConvNd {
 public:
  ConvTranspose3d(int in_channels, int out_channels, IntOrTuple kernel_size, IntOrTuple stride = 1,
                  IntOrTuple padding = 0, IntOrTuple dilation = 1, IntOrTuple output_padding = 0,
                  int groups = 1, bool bias = true);
};

}  // namespace tandem::nn
