// Copyright © 2026 Tandem authors.
// Convolution op functions.
#include "ops/ops_common.h"
#include "primitives/conv.h"

namespace tandem {

using detail::fail;

bool Convolution::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const Convolution*>(&other);
  return o && o->stride_ == stride_ && o->padding_lo_ == padding_lo_ &&
         o->padding_hi_ == padding_hi_ && o->kernel_dilation_ == kernel_dilation_ &&
         o->input_dilation_ == input_dilation_ && o->groups_ == groups_ && o->flip_ == flip_;
}

namespace {

std::string vec_str(const std::vector<int>& v) {
  std::string s = "(";
  for (size_t i = 0; i < v.size(); ++i) s += std::to_string(v[i]) + (i + 1 < v.size() ? "," : "");
  return s + ")";
}

void fill_default(std::vector<int>& v, int n, int value, const char* what) {
  if (v.empty()) v.assign(n, value);
  if (static_cast<int>(v.size()) == 1 && n > 1) v.assign(n, v[0]);
  if (static_cast<int>(v.size()) != n) {
    fail("conv", std::string(what) + " " + vec_str(v) + " must have one entry per spatial axis (" +
                     std::to_string(n) + ").");
  }
}

}  // namespace

// Internal entry shared by the public functions and the gradient rules: allows negative
// padding (cropping).
array conv_general_unchecked(const array& in, const array& w, const std::vector<int>& stride,
                             const std::vector<int>& lo, const std::vector<int>& hi,
                             const std::vector<int>& kdil, const std::vector<int>& idil,
                             int groups, bool flip, StreamOrDevice s) {
  int sp = in.ndim() - 2;
  Shape out{in.shape()[0]};
  for (int i = 0; i < sp; ++i) {
    int64_t in_d = (static_cast<int64_t>(in.shape()[1 + i]) - 1) * idil[i] + 1;
    int64_t k_d = (static_cast<int64_t>(w.shape()[1 + i]) - 1) * kdil[i] + 1;
    int64_t span = in_d + lo[i] + hi[i] - k_d;
    if (in.shape()[1 + i] == 0 || span < 0) {
      fail("conv", "The padded input of shape " + shape_to_string(in.shape()) +
                       " is smaller than the dilated kernel of shape " +
                       shape_to_string(w.shape()) + " on spatial axis " + std::to_string(i) + ".");
    }
    out.push_back(static_cast<int32_t>(span / stride[i] + 1));
  }
  out.push_back(w.shape()[0]);
  return detail::make<Convolution>(out, in.dtype(), {in, w}, to_stream(s), stride, lo, hi, kdil,
                                   idil, groups, flip);
}

array conv_general(array input, array weight, std::vector<int> stride, std::vector<int> padding_lo,
                   std::vector<int> padding_hi, std::vector<int> kernel_dilation,
                   std::vector<int> input_dilation, int groups, bool flip, StreamOrDevice s) {
  if (input.ndim() < 3 || input.ndim() > 5) {
    fail("conv", "Input must have 1 to 3 spatial dimensions (shape (N, spatial..., C)); got shape " +
                     shape_to_string(input.shape()) + ".");
  }
  if (weight.ndim() != input.ndim()) {
    fail("conv", "Weight of shape " + shape_to_string(weight.shape()) +
                     " must have the input's rank " + std::to_string(input.ndim()) +
                     " (C_out, kernel..., C_in / groups).");
  }
  int sp = input.ndim() - 2;
  if (groups < 1) fail("conv", "groups must be positive; got " + std::to_string(groups) + ".");
  int cin = input.shape(-1), cout = weight.shape()[0];
  if (cin % groups != 0 || cout % groups != 0) {
    fail("conv", "Input channels " + std::to_string(cin) + " and output channels " +
                     std::to_string(cout) + " must both be divisible by groups " +
                     std::to_string(groups) + ".");
  }
  if (weight.shape(-1) * groups != cin) {
    fail("conv", "Expected weight with " + std::to_string(cin / groups) +
                     " input channels (input shape " + shape_to_string(input.shape()) +
                     ", groups " + std::to_string(groups) + "); got weight shape " +
                     shape_to_string(weight.shape()) + ".");
  }
  fill_default(stride, sp, 1, "stride");
  fill_default(padding_lo, sp, 0, "padding");
  fill_default(padding_hi, sp, 0, "padding");
  fill_default(kernel_dilation, sp, 1, "kernel_dilation");
  fill_default(input_dilation, sp, 1, "input_dilation");
  for (int i = 0; i < sp; ++i) {
    if (stride[i] < 1 || kernel_dilation[i] < 1 || input_dilation[i] < 1) {
      fail("conv", "Strides and dilations must be positive; got stride " + vec_str(stride) +
                       ", kernel_dilation " + vec_str(kernel_dilation) + ", input_dilation " +
                       vec_str(input_dilation) + ".");
    }
    if (padding_lo[i] < 0 || padding_hi[i] < 0) {
      fail("conv", "Padding must be non-negative; got " + vec_str(padding_lo) + " and " +
                       vec_str(padding_hi) + ".");
    }
  }
  Dtype t = promote_types(input.dtype(), weight.dtype());
  if (!is_floating_point(t)) {
    fail("conv", "Only floating-point inputs are supported; got " + dtype_name(input.dtype()) +
                     " and " + dtype_name(weight.dtype()) + ".");
  }
  return conv_general_unchecked(astype(input, t, s), astype(weight, t, s), stride, padding_lo,
                                padding_hi, kernel_dilation, input_dilation, groups, flip, s);
}

array conv_general(const array& input, const array& weight, std::vector<int> stride,
                   std::vector<int> padding, std::vector<int> kernel_dilation,
                   std::vector<int> input_dilation, int groups, bool flip, StreamOrDevice s) {
  return conv_general(input, weight, std::move(stride), padding, padding,
                      std::move(kernel_dilation), std::move(input_dilation), groups, flip, s);
}

array conv1d(const array& input, const array& weight, int stride, int padding, int dilation,
             int groups, StreamOrDevice s) {
  if (input.ndim() != 3) {
    fail("conv1d", "Input must be (N, L, C); got shape " + shape_to_string(input.shape()) + ".");
  }
  return conv_general(input, weight, {stride}, {padding}, {padding}, {dilation}, {1}, groups,
                      false, s);
}

array conv2d(const array& input, const array& weight, const std::pair<int, int>& stride,
             const std::pair<int, int>& padding, const std::pair<int, int>& dilation, int groups,
             StreamOrDevice s) {
  if (input.ndim() != 4) {
    fail("conv2d", "Input must be (N, H, W, C); got shape " + shape_to_string(input.shape()) + ".");
  }
  std::vector<int> p{padding.first, padding.second};
  return conv_general(input, weight, {stride.first, stride.second}, p, p,
                      {dilation.first, dilation.second}, {1, 1}, groups, false, s);
}

array conv3d(const array& input, const array& weight, const std::tuple<int, int, int>& stride,
             const std::tuple<int, int, int>& padding, const std::tuple<int, int, int>& dilation,
             int groups, StreamOrDevice s) {
  if (input.ndim() != 5) {
    fail("conv3d", "Input must be (N, D, H, W, C); got shape " + shape_to_string(input.shape()) + ".");
  }
  auto v = [](const std::tuple<int, int, int>& t) {
    return std::vector<int>{std::get<0>(t), std::get<1>(t), std::get<2>(t)};
  };
  return conv_general(input, weight, v(stride), v(padding), v(padding), v(dilation), {1, 1, 1},
                      groups, false, s);
}

namespace {
// Transposed convolution as a convolution of the stride-dilated input with the flipped kernel.
array conv_transpose(const array& input, const array& weight, std::vector<int> stride,
                     std::vector<int> padding, std::vector<int> dilation,
                     std::vector<int> output_padding, int groups, const char* name,
                     StreamOrDevice s) {
  int sp = input.ndim() - 2;
  if (weight.ndim() != input.ndim()) {
    fail(name, "Weight of shape " + shape_to_string(weight.shape()) + " must have rank " +
                   std::to_string(input.ndim()) + ".");
  }
  std::vector<int> lo(sp), hi(sp);
  for (int i = 0; i < sp; ++i) {
    if (output_padding[i] < 0 || output_padding[i] >= std::max(stride[i], dilation[i])) {
      fail(name, "output_padding must be in [0, max(stride, dilation)); got " +
                     std::to_string(output_padding[i]) + ".");
    }
    int k = (weight.shape()[1 + i] - 1) * dilation[i];
    lo[i] = k - padding[i];
    hi[i] = k - padding[i] + output_padding[i];
    if (lo[i] < 0 || hi[i] < 0) {
      fail(name, "padding " + std::to_string(padding[i]) +
                     " is larger than the dilated kernel extent " + std::to_string(k) + ".");
    }
  }
  return conv_general(input, weight, std::vector<int>(sp, 1), lo, hi, dilation, stride, groups,
                      true, s);
}
}  // namespace

array conv_transpose1d(const array& input, const array& weight, int stride, int padding,
                       int dilation, int output_padding, int groups, StreamOrDevice s) {
  if (input.ndim() != 3) {
    fail("conv_transpose1d", "Input must be (N, L, C); got shape " + shape_to_string(input.shape()) + ".");
  }
  return conv_transpose(input, weight, {stride}, {padding}, {dilation}, {output_padding}, groups,
                        "conv_transpose1d", s);
}

array conv_transpose2d(const array& input, const array& weight, const std::pair<int, int>& stride,
                       const std::pair<int, int>& padding, const std::pair<int, int>& dilation,
                       const std::pair<int, int>& output_padding, int groups, StreamOrDevice s) {
  if (input.ndim() != 4) {
    fail("conv_transpose2d", "Input must be (N, H, W, C); got shape " + shape_to_string(input.shape()) + ".");
  }
  auto v = [](const std::pair<int, int>& p) { return std::vector<int>{p.first, p.second}; };
  return conv_transpose(input, weight, v(stride), v(padding), v(dilation), v(output_padding),
                        groups, "conv_transpose2d", s);
}

array conv_transpose3d(const array& input, const array& weight,
                       const std::tuple<int, int, int>& stride,
                       const std::tuple<int, int, int>& padding,
                       const std::tuple<int, int, int>& dilation,
                       const std::tuple<int, int, int>& output_padding, int groups,
                       StreamOrDevice s) {
  if (input.ndim() != 5) {
    fail("conv_transpose3d", "Input must be (N, D, H, W, C); got shape " + shape_to_string(input.shape()) + ".");
  }
  auto v = [](const std::tuple<int, int, int>& t) {
    return std::vector<int>{std::get<0>(t), std::get<1>(t), std::get<2>(t)};
  };
  return conv_transpose(input, weight, v(stride), v(padding), v(dilation), v(output_padding),
                        groups, "conv_transpose3d", s);
}

}  // namespace tandem
