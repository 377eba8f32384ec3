// Copyright © 2026 Tandem authors.
// The primitives (DESIGN §2-3): shapes, parameters and (with the transforms issue) derivative and
// batching rules. Kernels live in backend/<name>/. Elementwise math is grouped into families
// (Unary, Binary, ...) tagged by an op code, so a future code generator sees one kind per family.
#pragma once

#include <string>
#include <vector>

#include "tandem/primitive.h"

namespace tandem {

// Declares a primitive's derivative and batching rules (defined in src/primitives/rules_*.cpp).
#define TANDEM_TRANSFORM_RULES                                                                    \
  std::vector<array> vjp(const std::vector<array>& primals, const std::vector<array>& cotangents, \
                         const std::vector<int>& argnums, const std::vector<array>& outputs)      \
      override;                                                                                   \
  std::vector<array> jvp(const std::vector<array>& primals, const std::vector<array>& tangents,   \
                         const std::vector<int>& argnums) override;                               \
  std::pair<std::vector<array>, std::vector<int>> vmap(const std::vector<array>& inputs,          \
                                                       const std::vector<int>& axes) override;

// ----------------------------- elementwise -----------------------------

enum class UnaryOp : uint8_t {
  Abs,
  Negative,
  Sign,
  Sqrt,
  Rsqrt,
  Square,
  Reciprocal,
  Exp,
  Expm1,
  Log,
  Log1p,
  Log2,
  Log10,
  Sin,
  Cos,
  Tan,
  ArcSin,
  ArcCos,
  ArcTan,
  Sinh,
  Cosh,
  Tanh,
  ArcSinh,
  ArcCosh,
  ArcTanh,
  Sigmoid,
  Erf,
  ErfInv,
  Floor,
  Ceil,
  Round,
  Trunc,
  Real,
  Imag,
  Conjugate,
  LogicalNot,
  BitwiseInvert,
  IsNan,
  IsInf,
  IsPosInf,
  IsNegInf,
  StopGradient
};
const char* unary_op_name(UnaryOp op);

/// out = op(in), same shape. Output dtype is chosen by the op function (e.g. bool for IsNan,
/// float32 for Real of complex64).
class Unary : public Primitive {
 public:
  Unary(Stream s, UnaryOp op) : Primitive(s), op_(op) {}
  UnaryOp op() const { return op_; }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[0].shape()};
  }
  std::string name() const override { return unary_op_name(op_); }
  bool is_equivalent(const Primitive& other) const override;

 private:
  UnaryOp op_;
};

enum class BinaryOp : uint8_t {
  Add,
  Subtract,
  Multiply,
  Divide,
  FloorDivide,
  Remainder,
  Power,
  Maximum,
  Minimum,
  ArcTan2,
  LogAddExp,
  Equal,
  NotEqual,
  Less,
  LessEqual,
  Greater,
  GreaterEqual,
  LogicalAnd,
  LogicalOr,
  LogicalXor,
  BitwiseAnd,
  BitwiseOr,
  BitwiseXor,
  LeftShift,
  RightShift,
  NaNEqual
};
const char* binary_op_name(BinaryOp op);

/// out = op(a, b). Inputs have been broadcast to one shape and cast to one dtype by the op
/// function; comparisons output bool.
class Binary : public Primitive {
 public:
  Binary(Stream s, BinaryOp op) : Primitive(s), op_(op) {}
  BinaryOp op() const { return op_; }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[0].shape()};
  }
  std::string name() const override { return binary_op_name(op_); }
  bool is_equivalent(const Primitive& other) const override;

 private:
  BinaryOp op_;
};

/// out = condition ? x : y (inputs broadcast to one shape; x and y of the output dtype).
class Select : public Primitive {
 public:
  explicit Select(Stream s) : Primitive(s) {}
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[0].shape()};
  }
  std::string name() const override { return "Select"; }
  bool is_equivalent(const Primitive& other) const override {
    return dynamic_cast<const Select*>(&other) != nullptr;
  }
};

// ----------------------------- reductions -----------------------------

enum class ReduceOp : uint8_t { Sum, Prod, Max, Min, And, Or };

/// Reduce over `axes` (sorted, non-negative). The output keeps the reduced axes with extent 1;
/// the op function squeezes them when keepdims is false.
class Reduce : public Primitive {
 public:
  Reduce(Stream s, ReduceOp op, std::vector<int> axes)
      : Primitive(s), op_(op), axes_(std::move(axes)) {}
  ReduceOp op() const { return op_; }
  const std::vector<int>& axes() const { return axes_; }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::string name() const override;
  bool is_equivalent(const Primitive& other) const override;

 private:
  ReduceOp op_;
  std::vector<int> axes_;
};

enum class ArgReduceOp : uint8_t { ArgMin, ArgMax };

/// Index (uint32) of the first min/max along `axis`; the output keeps `axis` with extent 1.
class ArgReduce : public Primitive {
 public:
  ArgReduce(Stream s, ArgReduceOp op, int axis) : Primitive(s), op_(op), axis_(axis) {}
  ArgReduceOp op() const { return op_; }
  int axis() const { return axis_; }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::string name() const override { return op_ == ArgReduceOp::ArgMin ? "ArgMin" : "ArgMax"; }
  bool is_equivalent(const Primitive& other) const override;

 private:
  ArgReduceOp op_;
  int axis_;
};

// ----------------------------- creation and copies -----------------------------

/// start, start+step, ... (size given by the output shape), in the output dtype.
class Arange : public Primitive {
 public:
  Arange(Stream s, double start, double stop, double step)
      : Primitive(s), start_(start), stop_(stop), step_(step) {}
  double start() const { return start_; }
  double step() const { return step_; }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  std::string name() const override { return "Arange"; }
  bool is_equivalent(const Primitive& other) const override;

 private:
  double start_, stop_, step_;
};

/// Conversion to the output dtype.
class AsType : public Primitive {
 public:
  AsType(Stream s, Dtype dtype) : Primitive(s), dtype_(dtype) {}
  Dtype dtype() const { return dtype_; }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[0].shape()};
  }
  std::string name() const override { return "AsType"; }
  bool is_equivalent(const Primitive& other) const override;

 private:
  Dtype dtype_;
};

/// A row-contiguous copy of the input (the input may be broadcast to the output shape).
/// With `if_needed`, an input that is already row-contiguous (or column-contiguous when
/// `allow_col_major`) is shared instead of copied.
class Copy : public Primitive {
 public:
  explicit Copy(Stream s, bool if_needed = false, bool allow_col_major = false)
      : Primitive(s), if_needed_(if_needed), allow_col_major_(allow_col_major) {}
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::string name() const override { return if_needed_ ? "Contiguous" : "Copy"; }
  bool is_equivalent(const Primitive& other) const override {
    auto* o = dynamic_cast<const Copy*>(&other);
    return o && o->if_needed_ == if_needed_ && o->allow_col_major_ == allow_col_major_;
  }
  /// Shares the input's buffer when its layout already qualifies; returns whether it did.
  bool try_share(const array& in, array& out) const;

 private:
  bool if_needed_;
  bool allow_col_major_;
};

/// Join inputs along `axis`.
class Concatenate : public Primitive {
 public:
  Concatenate(Stream s, int axis) : Primitive(s), axis_(axis) {}
  int axis() const { return axis_; }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::string name() const override { return "Concatenate"; }
  bool is_equivalent(const Primitive& other) const override;

 private:
  int axis_;
};

// ----------------------------- views -----------------------------
// Views share the input's buffer when the layout allows; their kernels are the same on every
// device (no data moves), so eval_gpu forwards to the shared implementation.

/// New shape, same elements. Shares the buffer when the strides allow it, else copies.
class Reshape : public Primitive {
 public:
  Reshape(Stream s, Shape shape) : Primitive(s), shape_(std::move(shape)) {}
  const Shape& shape() const { return shape_; }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::string name() const override { return "Reshape"; }
  bool is_equivalent(const Primitive& other) const override;

 private:
  Shape shape_;
};

/// Permute the axes (a view).
class Transpose : public Primitive {
 public:
  Transpose(Stream s, std::vector<int> axes) : Primitive(s), axes_(std::move(axes)) {}
  const std::vector<int>& axes() const { return axes_; }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::string name() const override { return "Transpose"; }
  bool is_equivalent(const Primitive& other) const override;

 private:
  std::vector<int> axes_;
};

/// Broadcast to the output shape (a view with zero strides).
class Broadcast : public Primitive {
 public:
  Broadcast(Stream s, Shape shape) : Primitive(s), shape_(std::move(shape)) {}
  const Shape& shape() const { return shape_; }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::string name() const override { return "Broadcast"; }
  bool is_equivalent(const Primitive& other) const override;

 private:
  Shape shape_;
};

/// a[start:stop:strides] with normalized (in-range) starts and nonzero strides (a view).
class Slice : public Primitive {
 public:
  Slice(Stream s, Shape start, Shape stop, Shape strides)
      : Primitive(s),
        start_(std::move(start)),
        stop_(std::move(stop)),
        strides_(std::move(strides)) {}
  const Shape& start() const { return start_; }
  const Shape& stop() const { return stop_; }
  const Shape& strides() const { return strides_; }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::string name() const override { return "Slice"; }
  bool is_equivalent(const Primitive& other) const override;

 private:
  Shape start_, stop_, strides_;
};

/// An arbitrary strided view of the input's row-major elements.
class AsStrided : public Primitive {
 public:
  AsStrided(Stream s, Shape shape, Strides strides, size_t offset)
      : Primitive(s), shape_(std::move(shape)), strides_(std::move(strides)), offset_(offset) {}
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::string name() const override { return "AsStrided"; }
  bool is_equivalent(const Primitive& other) const override;

 private:
  Shape shape_;
  Strides strides_;
  size_t offset_;
};

/// Reinterpret the bytes as the output dtype.
class View : public Primitive {
 public:
  View(Stream s, Dtype dtype) : Primitive(s), dtype_(dtype) {}
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::string name() const override { return "View"; }
  bool is_equivalent(const Primitive& other) const override;

 private:
  Dtype dtype_;
};

/// The diagonal `offset` of the plane (axis1, axis2) as the last axis (a view).
class Diagonal : public Primitive {
 public:
  Diagonal(Stream s, int offset, int axis1, int axis2)
      : Primitive(s), offset_(offset), axis1_(axis1), axis2_(axis2) {}
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::string name() const override { return "Diagonal"; }
  bool is_equivalent(const Primitive& other) const override;

 private:
  int offset_, axis1_, axis2_;
};

// ----------------------------- matrix products -----------------------------

/// Batched matrix product of inputs already broadcast to (batch..., M, K) and (batch..., K, N).
class Matmul : public Primitive {
 public:
  explicit Matmul(Stream s) : Primitive(s) {}
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::string name() const override { return "Matmul"; }
  bool is_equivalent(const Primitive& other) const override {
    return dynamic_cast<const Matmul*>(&other) != nullptr;
  }
};

}  // namespace tandem
