// Copyright © 2026 Tandem authors.
#pragma once

#include "primitives/primitives.h"

namespace tandem {

/// N-d grouped convolution, channels last. Padding may be negative (cropping) internally; the
/// op functions only produce non-negative padding.
class Convolution : public Primitive {
 public:
  Convolution(Stream s, std::vector<int> stride, std::vector<int> padding_lo,
              std::vector<int> padding_hi, std::vector<int> kernel_dilation,
              std::vector<int> input_dilation, int groups, bool flip)
      : Primitive(s),
        stride_(std::move(stride)),
        padding_lo_(std::move(padding_lo)),
        padding_hi_(std::move(padding_hi)),
        kernel_dilation_(std::move(kernel_dilation)),
        input_dilation_(std::move(input_dilation)),
        groups_(groups),
        flip_(flip) {}
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::string name() const override { return "Convolution"; }
  bool is_equivalent(const Primitive& other) const override;

  std::vector<int> stride_, padding_lo_, padding_hi_, kernel_dilation_, input_dilation_;
  int groups_;
  bool flip_;
};

}  // namespace tandem
