// Copyright © 2026 Tandem authors.
#pragma once

#include "primitives/primitives.h"

namespace tandem {

/// Random bits from a key of shape (2,): output element i (of `width` bytes) takes bytes from
/// Threefry words in order (src/backend/common/threefry.h).
class RandomBits : public Primitive {
 public:
  RandomBits(Stream s, Shape shape, int width)
      : Primitive(s), shape_(std::move(shape)), width_(width) {}
  int width() const { return width_; }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::string name() const override { return "RandomBits"; }
  bool is_equivalent(const Primitive& other) const override {
    auto* o = dynamic_cast<const RandomBits*>(&other);
    return o && o->width_ == width_ && o->shape_ == shape_;
  }

 private:
  Shape shape_;
  int width_;
};

}  // namespace tandem
