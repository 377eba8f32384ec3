// Copyright © 2026 Tandem authors.
// Conv1d/2d/3d and ConvTranspose1d/2d/3d (mlx.nn.layers.convolution[_transpose]): thin layers
// over the conv_general / conv_transpose ops, which check shapes and carry the gradients.
#include <cmath>
#include <stdexcept>

#include "tandem/nn.h"
#include "tandem/ops.h"
#include "tandem/random.h"
#include "tandem/utils.h"

namespace tandem::nn {

namespace {
[[noreturn]] void fail(const std::string& op, const std::string& msg) {
  throw std::invalid_argument("[" + op + "] " + msg);
}

std::string tuple_string(const std::vector<int>& v) {
  std::string s = "(";
  for (size_t i = 0; i < v.size(); ++i)
    s += (i ? ", " : "") + std::to_string(v[i]);
  return s + (v.size() == 1 ? ",)" : ")");
}
}  // namespace

std::vector<int> IntOrTuple::expand(int n, const char* op, const char* name) const {
  if (values_.size() == 1) return std::vector<int>(n, values_[0]);
  if (static_cast<int>(values_.size()) != n)
    fail(op, std::string("'") + name + "' must be an integer or a tuple containing " +
                 std::to_string(n) + (n == 1 ? " integer" : " integers") + "; got " +
                 std::to_string(values_.size()) + " values.");
  return values_;
}

namespace detail {

ConvNd::ConvNd(const char* name, int dims, bool transpose, int in_channels, int out_channels,
               const IntOrTuple& kernel_size, const IntOrTuple& stride, const IntOrTuple& padding,
               const IntOrTuple& dilation, const IntOrTuple& output_padding, int groups, bool bias)
    : name_(name), dims_(dims), transpose_(transpose), groups_(groups) {
  if (in_channels <= 0 || out_channels <= 0)
    fail(name, "in_channels and out_channels must be positive; got " + std::to_string(in_channels) +
                   " and " + std::to_string(out_channels) + ".");
  if (groups <= 0) fail(name, "groups must be positive; got " + std::to_string(groups) + ".");
  if (in_channels % groups != 0)
    fail(name, "The number of input channels (" + std::to_string(in_channels) +
                   ") must be divisible by the number of groups (" + std::to_string(groups) + ").");
  if (out_channels % groups != 0)
    fail(name, "The number of output channels (" + std::to_string(out_channels) +
                   ") must be divisible by the number of groups (" + std::to_string(groups) + ").");
  std::vector<int> k = kernel_size.expand(dims, name, "kernel_size");
  stride_ = stride.expand(dims, name, "stride");
  padding_ = padding.expand(dims, name, "padding");
  dilation_ = dilation.expand(dims, name, "dilation");
  output_padding_ = output_padding.expand(dims, name, "output_padding");
  for (int i = 0; i < dims; ++i) {
    if (k[i] <= 0 || stride_[i] <= 0 || dilation_[i] <= 0)
      fail(name, "kernel_size, stride and dilation must be positive; got kernel_size " +
                     tuple_string(k) + ", stride " + tuple_string(stride_) + ", dilation " +
                     tuple_string(dilation_) + ".");
    if (padding_[i] < 0 || output_padding_[i] < 0)
      fail(name, "padding and output_padding must be non-negative; got " + tuple_string(padding_) +
                     " and " + tuple_string(output_padding_) + ".");
  }
  int64_t fan = in_channels;
  Shape wshape{out_channels};
  for (int v : k) {
    fan *= v;
    wshape.push_back(v);
  }
  wshape.push_back(in_channels / groups);
  float scale = static_cast<float>(std::sqrt(1.0 / static_cast<double>(fan)));
  register_parameter("weight", random::uniform(array(-scale), array(scale), wshape, float32));
  if (bias) register_parameter("bias", zeros({out_channels}, float32));
}

array ConvNd::operator()(const array& x) {
  const array& w = param("weight");
  const int in_channels = w.shape(-1) * groups_;
  if (x.ndim() != dims_ + 2 || x.shape(-1) != in_channels) {
    std::string layout = dims_ == 1 ? "(N, L, C)" : dims_ == 2 ? "(N, H, W, C)" : "(N, D, H, W, C)";
    fail(name_, "Expected an input of shape " + layout +
                    " with C = " + std::to_string(in_channels) + " channels; got shape " +
                    shape_to_string(x.shape()) + ".");
  }
  array y = [&] {
    if (!transpose_)
      return conv_general(x, w, stride_, padding_, padding_, dilation_, {}, groups_, false);
    switch (dims_) {
      case 1:
        return conv_transpose1d(x, w, stride_[0], padding_[0], dilation_[0], output_padding_[0],
                                groups_);
      case 2:
        return conv_transpose2d(x, w, {stride_[0], stride_[1]}, {padding_[0], padding_[1]},
                                {dilation_[0], dilation_[1]},
                                {output_padding_[0], output_padding_[1]}, groups_);
      default:
        return conv_transpose3d(
            x, w, {stride_[0], stride_[1], stride_[2]}, {padding_[0], padding_[1], padding_[2]},
            {dilation_[0], dilation_[1], dilation_[2]},
            {output_padding_[0], output_padding_[1], output_padding_[2]}, groups_);
    }
  }();
  if (has_param("bias")) y = add(y, param("bias"));
  return y;
}

std::string ConvNd::extra_repr() const {
  const array& w = param("weight");
  std::vector<int> k(w.shape().begin() + 1, w.shape().end() - 1);
  std::string s = std::to_string(w.shape(-1) * groups_) + ", " + std::to_string(w.shape(0)) +
                  ", kernel_size=" + tuple_string(k) + ", stride=" + tuple_string(stride_) +
                  ", padding=" + tuple_string(padding_) + ", dilation=" + tuple_string(dilation_);
  if (transpose_) s += ", output_padding=" + tuple_string(output_padding_);
  return s + ", groups=" + std::to_string(groups_) +
         ", bias=" + (has_param("bias") ? "true" : "false");
}

}  // namespace detail

Conv1d::Conv1d(int in_channels, int out_channels, IntOrTuple kernel_size, IntOrTuple stride,
               IntOrTuple padding, IntOrTuple dilation, int groups, bool bias)
    : ConvNd("Conv1d", 1, false, in_channels, out_channels, kernel_size, stride, padding, dilation,
             0, groups, bias) {}

Conv2d::Conv2d(int in_channels, int out_channels, IntOrTuple kernel_size, IntOrTuple stride,
               IntOrTuple padding, IntOrTuple dilation, int groups, bool bias)
    : ConvNd("Conv2d", 2, false, in_channels, out_channels, kernel_size, stride, padding, dilation,
             0, groups, bias) {}

Conv3d::Conv3d(int in_channels, int out_channels, IntOrTuple kernel_size, IntOrTuple stride,
               IntOrTuple padding, IntOrTuple dilation, int groups, bool bias)
    : ConvNd("Conv3d", 3, false, in_channels, out_channels, kernel_size, stride, padding, dilation,
             0, groups, bias) {}

ConvTranspose1d::ConvTranspose1d(int in_channels, int out_channels, IntOrTuple kernel_size,
                                 IntOrTuple stride, IntOrTuple padding, IntOrTuple dilation,
                                 IntOrTuple output_padding, int groups, bool bias)
    : ConvNd("ConvTranspose1d", 1, true, in_channels, out_channels, kernel_size, stride, padding,
             dilation, output_padding, groups, bias) {}

ConvTranspose2d::ConvTranspose2d(int in_channels, int out_channels, IntOrTuple kernel_size,
                                 IntOrTuple stride, IntOrTuple padding, IntOrTuple dilation,
                                 IntOrTuple output_padding, int groups, bool bias)
    : ConvNd("ConvTranspose2d", 2, true, in_channels, out_channels, kernel_size, stride, padding,
             dilation, output_padding, groups, bias) {}

ConvTranspose3d::ConvTranspose3d(int in_channels, int out_channels, IntOrTuple kernel_size,
                                 IntOrTuple stride, IntOrTuple padding, IntOrTuple dilation,
                                 IntOrTuple output_padding, int groups, bool bias)
    : ConvNd("ConvTranspose3d", 3, true, in_channels, out_channels, kernel_size, stride, padding,
             dilation, output_padding, groups, bias) {}

}  // namespace tandem::nn
