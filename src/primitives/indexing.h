// Copyright © 2026 Tandem authors.
// Indexing primitives: Gather, Scatter and SliceUpdate.
#pragma once

#include "primitives/primitives.h"

namespace tandem {

/// out[i..., j...] = a[index(i) + j], where index(i) takes indices[k][i] on axes[k] and 0
/// elsewhere, and j runs over `slice_sizes`. Inputs: a, then one integer index array per axis,
/// all broadcast to one shape. Negative indices wrap; indices still out of range are clamped.
class Gather : public Primitive {
 public:
  Gather(Stream s, std::vector<int> axes, Shape slice_sizes)
      : Primitive(s), axes_(std::move(axes)), slice_sizes_(std::move(slice_sizes)) {}
  const std::vector<int>& axes() const { return axes_; }
  const Shape& slice_sizes() const { return slice_sizes_; }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::string name() const override { return "Gather"; }
  bool is_equivalent(const Primitive& other) const override;

 private:
  std::vector<int> axes_;
  Shape slice_sizes_;
};

enum class ScatterOp : uint8_t { None, Sum, Prod, Max, Min };

/// out = a, then out[index(i) + j] (op)= updates[i..., j...] for every i, j in order (duplicates
/// accumulate; with None the last write wins). Inputs: a, the index arrays, updates. Negative
/// indices wrap; updates whose position is out of range are dropped.
class Scatter : public Primitive {
 public:
  Scatter(Stream s, ScatterOp op, std::vector<int> axes)
      : Primitive(s), op_(op), axes_(std::move(axes)) {}
  ScatterOp op() const { return op_; }
  const std::vector<int>& axes() const { return axes_; }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::string name() const override;
  bool is_equivalent(const Primitive& other) const override;

 private:
  ScatterOp op_;
  std::vector<int> axes_;
};

/// out = src with out[start:stop:strides] (op)= update (static, normalized bounds).
class SliceUpdate : public Primitive {
 public:
  SliceUpdate(Stream s, ScatterOp op, Shape start, Shape stop, Shape strides)
      : Primitive(s),
        op_(op),
        start_(std::move(start)),
        stop_(std::move(stop)),
        strides_(std::move(strides)) {}
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::string name() const override { return "SliceUpdate"; }
  bool is_equivalent(const Primitive& other) const override;

 private:
  ScatterOp op_;
  Shape start_, stop_, strides_;
};

}  // namespace tandem
