// Copyright © 2026 Tandem authors.
// Pooling layers (mlx.nn): MaxPool1d/2d/3d and AvgPool1d/2d/3d over channels-last inputs
// (N, spatial..., C). kernel_size, stride (default, or {}: kernel_size, MLX's None) and padding
// take one int for every spatial axis or one per axis: MaxPool2d(2), MaxPool2d({3, 2}, 1, {1, 0}).
// (Each layer also has an overload for a braced kernel size, so that MaxPool2d({2, 3}) is not
// ambiguous with the move constructor.) Padding is applied on both sides of each spatial axis: with
// -inf (the dtype's lowest value for integers) for max pooling, with zeros for average pooling
// (padded zeros count in the average, as MLX). Output extent per axis:
// (size + 2 * padding - kernel) / stride + 1.
//
// Windows that tile the input (stride == kernel, size % kernel == 0) are reduced through a
// reshape, as MLX; other windows one axis at a time through strided slices (no window copies,
// cheap gradients; see src/nn/pooling.cpp). Both are differentiable like any op; where several
// elements tie for a window's maximum, the slice path splits the gradient among them unevenly
// (MLX: evenly), a valid subgradient either way.
#pragma once

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "tandem/array.h"
#include "tandem/nn/convolution.h"
#include "tandem/nn/module.h"

namespace tandem::nn {

namespace detail {
/// The shared implementation of the pooling layers (not for direct use).
class PoolNd : public Module {
 public:
  array operator()(const array& x) override;
  std::string name() const override { return name_; }
  std::string extra_repr() const override;
  const std::vector<int>& kernel_size() const { return kernel_size_; }
  const std::vector<int>& stride() const { return stride_; }
  const std::vector<int>& padding() const { return padding_; }

 protected:
  PoolNd(const char* name, int dims, bool is_max, const IntOrTuple& kernel_size,
         const IntOrTuple& stride, const IntOrTuple& padding);

 private:
  const char* name_;
  int dims_;
  bool is_max_;
  std::vector<int> kernel_size_, stride_, padding_;
};
}  // namespace detail

/// Max over windows of (N, L, C) inputs.
class MaxPool1d : public detail::PoolNd {
 public:
  explicit MaxPool1d(IntOrTuple kernel_size, IntOrTuple stride = {}, IntOrTuple padding = 0);
  explicit MaxPool1d(std::initializer_list<int> kernel_size, IntOrTuple stride = {},
                     IntOrTuple padding = 0)
      : MaxPool1d(IntOrTuple(kernel_size), std::move(stride), std::move(padding)) {}
};
/// Max over windows of (N, H, W, C) inputs.
class MaxPool2d : public detail::PoolNd {
 public:
  explicit MaxPool2d(IntOrTuple kernel_size, IntOrTuple stride = {}, IntOrTuple padding = 0);
  explicit MaxPool2d(std::initializer_list<int> kernel_size, IntOrTuple stride = {},
                     IntOrTuple padding = 0)
      : MaxPool2d(IntOrTuple(kernel_size), std::move(stride), std::move(padding)) {}
};
/// Max over windows of (N, D, H, W, C) inputs.
class MaxPool3d : public detail::PoolNd {
 public:
  explicit MaxPool3d(IntOrTuple kernel_size, IntOrTuple stride = {}, IntOrTuple padding = 0);
  explicit MaxPool3d(std::initializer_list<int> kernel_size, IntOrTuple stride = {},
                     IntOrTuple padding = 0)
      : MaxPool3d(IntOrTuple(kernel_size), std::move(stride), std::move(padding)) {}
};
/// Mean over windows of (N, L, C) inputs.
class AvgPool1d : public detail::PoolNd {
 public:
  explicit AvgPool1d(IntOrTuple kernel_size, IntOrTuple stride = {}, IntOrTuple padding = 0);
  explicit AvgPool1d(std::initializer_list<int> kernel_size, IntOrTuple stride = {},
                     IntOrTuple padding = 0)
      : AvgPool1d(IntOrTuple(kernel_size), std::move(stride), std::move(padding)) {}
};
/// Mean over windows of (N, H, W, C) inputs.
class AvgPool2d : public detail::PoolNd {
 public:
  explicit AvgPool2d(IntOrTuple kernel_size, IntOrTuple stride = {}, IntOrTuple padding = 0);
  explicit AvgPool2d(std::initializer_list<int> kernel_size, IntOrTuple stride = {},
                     IntOrTuple padding = 0)
      : AvgPool2d(IntOrTuple(kernel_size), std::move(stride), std::move(padding)) {}
};
/// Mean over windows of (N, D, H, W, C) inputs.
class AvgPool3d : public detail::PoolNd {
 public:
  explicit AvgPool3d(IntOrTuple kernel_size, IntOrTuple stride = {}, IntOrTuple padding = 0);
  explicit AvgPool3d(std::initializer_list<int> kernel_size, IntOrTuple stride = {},
                     IntOrTuple padding = 0)
      : AvgPool3d(IntOrTuple(kernel_size), std::move(stride), std::move(padding)) {}
};

}  // namespace tandem::nn
