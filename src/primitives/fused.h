// Copyright © 2026 Tandem authors.
// Fused primitives: one kernel where the op composition would make several passes over memory.
//
// Softmax works along the last axis of a float input (softmax() in src/ops/reduce.cpp uses it
// for that case and composes ops for other axes). Half-precision inputs are computed in float32;
// the output has the input's dtype. Its derivative rules are written with ops, so grad and vmap
// of softmax keep working through it.
#pragma once

#include "primitives/primitives.h"

namespace tandem {

class Softmax : public Primitive {
 public:
  explicit Softmax(Stream s) : Primitive(s) {}
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[0].shape()};
  }
  std::string name() const override { return "Softmax"; }
  bool is_equivalent(const Primitive& other) const override {
    return dynamic_cast<const Softmax*>(&other) != nullptr;
  }
};

}  // namespace tandem
