// Copyright © 2026 Tandem authors.
// Primitives of the sorting, selection and scan ops (include/tandem/ops_sort_scan.h), plus two
// internal along-axis index primitives their derivative rules are built from.
//
// Every primitive here works along one non-negative `axis`. The CPU kernels
// (backend/cpu/sort_scan.cpp) treat the input as (outer, n, inner) around that axis and run the
// independent rows (outer x inner) in parallel.
#pragma once

#include "primitives/primitives.h"

namespace tandem {

// ----------------------------- sorting and selection -----------------------------

/// Sorted copy along `axis` (stable; NaN last; complex lexicographic).
class Sort : public Primitive {
 public:
  Sort(Stream s, int axis) : Primitive(s), axis_(axis) {}
  int axis() const { return axis_; }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[0].shape()};
  }
  std::string name() const override { return "Sort"; }
  bool is_equivalent(const Primitive& other) const override;

 private:
  int axis_;
};

/// uint32 indices of a stable sort along `axis`.
class ArgSort : public Primitive {
 public:
  ArgSort(Stream s, int axis) : Primitive(s), axis_(axis) {}
  int axis() const { return axis_; }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[0].shape()};
  }
  std::string name() const override { return "ArgSort"; }
  bool is_equivalent(const Primitive& other) const override;

 private:
  int axis_;
};

/// Partitioned copy along `axis` around position `kth` (0 <= kth < extent). The kernel computes
/// the same index permutation as ArgPartition and gathers with it, so
/// partition(x) == take_along_axis(x, argpartition(x)) exactly (the derivative rules rely on it).
class Partition : public Primitive {
 public:
  Partition(Stream s, int kth, int axis) : Primitive(s), kth_(kth), axis_(axis) {}
  int kth() const { return kth_; }
  int axis() const { return axis_; }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[0].shape()};
  }
  std::string name() const override { return "Partition"; }
  bool is_equivalent(const Primitive& other) const override;

 private:
  int kth_;
  int axis_;
};

/// uint32 indices that partition along `axis` around position `kth`.
class ArgPartition : public Primitive {
 public:
  ArgPartition(Stream s, int kth, int axis) : Primitive(s), kth_(kth), axis_(axis) {}
  int kth() const { return kth_; }
  int axis() const { return axis_; }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[0].shape()};
  }
  std::string name() const override { return "ArgPartition"; }
  bool is_equivalent(const Primitive& other) const override;

 private:
  int kth_;
  int axis_;
};

/// Insertion points (uint32) of the elements of v into the sorted last axis of a.
/// Inputs: a of shape (B..., n) and v of shape (B..., rest...) with the same leading batch dims
/// B... (none for the public op; vmap adds them) and the same dtype. Output: v's shape.
class SearchSorted : public Primitive {
 public:
  SearchSorted(Stream s, bool right) : Primitive(s), right_(right) {}
  bool right() const { return right_; }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[1].shape()};
  }
  std::string name() const override { return right_ ? "SearchSorted(right)" : "SearchSorted"; }
  bool is_equivalent(const Primitive& other) const override;

 private:
  bool right_;
};

// ----------------------------- scans -----------------------------

enum class ScanOp : uint8_t { Sum, Prod, Max, Min, LogAddExp };
const char* scan_op_name(ScanOp op);

/// Cumulative `op` along `axis`, optionally from the end (reverse) and excluding the current
/// element (exclusive: the first output is op's identity). The op function picks the output
/// dtype (int32 for a bool Sum, float for LogAddExp, else the input's).
class Scan : public Primitive {
 public:
  Scan(Stream s, ScanOp op, int axis, bool reverse, bool inclusive)
      : Primitive(s), op_(op), axis_(axis), reverse_(reverse), inclusive_(inclusive) {}
  ScanOp op() const { return op_; }
  int axis() const { return axis_; }
  bool reverse() const { return reverse_; }
  bool inclusive() const { return inclusive_; }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[0].shape()};
  }
  std::string name() const override;
  bool is_equivalent(const Primitive& other) const override;

 private:
  ScanOp op_;
  int axis_;
  bool reverse_;
  bool inclusive_;
};

// ----------------------------- internal: along-axis gather / scatter-add -----------------------
// Used by the derivative rules above (sort, partition, cummax/cummin). Internal until the
// public indexing ops exist; indices are uint32 and must be in range (checked by the kernel).

/// out[o, i, j] = a[o, idx[o, i, j], j] around `axis`: inputs a and idx (uint32) have equal
/// extents except along `axis`; the output has idx's shape and a's dtype.
class AlongAxisGather : public Primitive {
 public:
  AlongAxisGather(Stream s, int axis) : Primitive(s), axis_(axis) {}
  int axis() const { return axis_; }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[1].shape()};
  }
  std::string name() const override { return "AlongAxisGather"; }
  bool is_equivalent(const Primitive& other) const override;

 private:
  int axis_;
};

/// out = zeros with extent `extent` along `axis`, then out[o, idx[o, i, j], j] += src[o, i, j]:
/// inputs src and idx (uint32) have the same shape; the output has src's dtype.
class AlongAxisScatterAdd : public Primitive {
 public:
  AlongAxisScatterAdd(Stream s, int axis, int extent)
      : Primitive(s), axis_(axis), extent_(extent) {}
  int axis() const { return axis_; }
  int extent() const { return extent_; }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    Shape s = inputs[0].shape();
    s[axis_] = extent_;
    return {s};
  }
  std::string name() const override { return "AlongAxisScatterAdd"; }
  bool is_equivalent(const Primitive& other) const override;

 private:
  int axis_;
  int extent_;
};

namespace detail {
/// take_along_axis for the rules: `idx` (any integer dtype, cast to uint32) has a's extents except
/// along `axis` (non-negative).
array gather_along_axis(const array& a, const array& idx, int axis, StreamOrDevice s = {});
/// The transpose of gather_along_axis: scatter-add `src` into zeros of extent `extent` along
/// `axis` at `idx` (same shape as src).
array scatter_add_along_axis(const array& src, const array& idx, int axis, int extent,
                             StreamOrDevice s = {});
/// The scan `op` as the public op functions build it (dtype rules included); axis non-negative.
array scan(const array& a, ScanOp op, int axis, bool reverse, bool inclusive,
           StreamOrDevice s = {});
}  // namespace detail

}  // namespace tandem
