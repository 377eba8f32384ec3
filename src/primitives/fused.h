// Copyright © 2026 Tandem authors.
// Fused primitives: one kernel where the op composition would make several passes over memory.
//
// Softmax works along the last axis of a float input (softmax() in src/ops/reduce.cpp uses it
// for that case and composes ops for other axes). Half-precision inputs are computed in float32;
// the output has the input's dtype. Its derivative rules are written with ops, so grad and vmap
// of softmax keep working through it.
//
// RMSNorm and LayerNorm (fast::rms_norm, fast::layer_norm in src/ops/fast.cpp) normalise each row
// of the last axis. Inputs: x, then the weight and the bias when present (has_weight/has_bias),
// 1-d with x.shape(-1) elements and of the output dtype. x has the output dtype too, or is a
// 16-bit float when the output is float32 (nn's float32 parameters on bfloat16 activations run
// without a cast pass). Statistics accumulate in float (double for float64 outputs); the
// normalised value is rounded to the output dtype, then the weight and the bias are applied in
// that dtype (one rounding each), as detail::*_reference (src/ops/fast.cpp) does. The rules
// differentiate that composition (tandem::vjp / tandem::jvp of it), so derivatives of any order
// work; vmap moves the batch axis of x in front and runs the fused op again.
//
// ScaledDotProductAttention (fast::scaled_dot_product_attention): inputs q (B, Hq, Lq, D), k
// (B, Hkv, Lk, D), v (B, Hkv, Lk, Dv), all of the output dtype; then, when has_mask, the mask
// viewed as (B, Hq, Lq, Lk) (bool, or additive of the output dtype; broadcast views with zero
// strides); then, when has_sinks, the sinks (Hq,) of the output dtype. Output (B, Hq, Lq, Dv).
// Masked positions (causal, or a false bool) score the dtype's lowest finite value, so a row with
// no key left comes out uniform, as in the composition detail::sdpa_reference computes; the
// rules differentiate and batch that composition.
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

class RMSNorm : public Primitive {
 public:
  RMSNorm(Stream s, float eps, bool has_weight)
      : Primitive(s), eps_(eps), has_weight_(has_weight) {}
  float eps() const { return eps_; }
  bool has_weight() const { return has_weight_; }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[0].shape()};
  }
  std::string name() const override { return "RMSNorm"; }
  bool is_equivalent(const Primitive& other) const override {
    auto* o = dynamic_cast<const RMSNorm*>(&other);
    return o && o->eps_ == eps_ && o->has_weight_ == has_weight_;
  }

 private:
  float eps_;
  bool has_weight_;
};

class LayerNorm : public Primitive {
 public:
  LayerNorm(Stream s, float eps, bool has_weight, bool has_bias)
      : Primitive(s), eps_(eps), has_weight_(has_weight), has_bias_(has_bias) {}
  float eps() const { return eps_; }
  bool has_weight() const { return has_weight_; }
  bool has_bias() const { return has_bias_; }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[0].shape()};
  }
  std::string name() const override { return "LayerNorm"; }
  bool is_equivalent(const Primitive& other) const override {
    auto* o = dynamic_cast<const LayerNorm*>(&other);
    return o && o->eps_ == eps_ && o->has_weight_ == has_weight_ && o->has_bias_ == has_bias_;
  }

 private:
  float eps_;
  bool has_weight_;
  bool has_bias_;
};

class ScaledDotProductAttention : public Primitive {
 public:
  ScaledDotProductAttention(Stream s, float scale, bool causal, bool has_mask, bool has_sinks)
      : Primitive(s), scale_(scale), causal_(causal), has_mask_(has_mask), has_sinks_(has_sinks) {}
  float scale() const { return scale_; }
  bool causal() const { return causal_; }
  bool has_mask() const { return has_mask_; }
  bool has_sinks() const { return has_sinks_; }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    const Shape& q = inputs[0].shape();
    return {Shape{q[0], q[1], q[2], inputs[2].shape(3)}};
  }
  std::string name() const override { return "ScaledDotProductAttention"; }
  bool is_equivalent(const Primitive& other) const override {
    auto* o = dynamic_cast<const ScaledDotProductAttention*>(&other);
    return o && o->scale_ == scale_ && o->causal_ == causal_ && o->has_mask_ == has_mask_ &&
           o->has_sinks_ == has_sinks_;
  }

 private:
  float scale_;
  bool causal_;
  bool has_mask_;
  bool has_sinks_;
};

namespace detail {
/// The composition fast::scaled_dot_product_attention stands for, on the primitive's inputs (a
/// mask of any shape broadcasting to (B, Hq, Lq, Lk)).
array sdpa_reference(const std::vector<array>& inputs, float scale, bool causal, bool has_mask,
                     bool has_sinks, const Stream& s);

/// The compositions the fused norms compute (inputs as the primitives take them: x, then the
/// weight and the bias when present, already of the output dtype `out`). Used by the derivative
/// and batching rules; the weight and the bias may be any shape broadcasting against x.
array rms_norm_reference(const std::vector<array>& inputs, float eps, bool has_weight, Dtype out,
                         const Stream& s);
array layer_norm_reference(const std::vector<array>& inputs, float eps, bool has_weight,
                           bool has_bias, Dtype out, const Stream& s);
}  // namespace detail

}  // namespace tandem
