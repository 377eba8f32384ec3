// Copyright © 2026 Tandem authors.
// The graph node shared by the outputs of one primitive application (internal).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "tandem/array.h"
#include "tandem/primitive.h"

namespace tandem {

struct array::Node {
  std::shared_ptr<Primitive> primitive;
  std::vector<array> inputs;
  // One output of a multi-output node: held weakly so that a dropped sibling does not keep the
  // graph alive (no cycles); a sibling that is gone when the node runs gets a temporary array
  // made from the recorded shape and dtype.
  struct Output {
    std::weak_ptr<array::ArrayDesc> desc;
    Shape shape;
    Dtype dtype;
  };
  // Multi-output nodes only. Empty for the common single-output node, whose one output is the
  // array that holds the node, so nothing needs recording (and the node stays small enough for
  // the allocator's fast path).
  std::vector<Output> outputs;
  // The scheduler's mark: the number of the last evaluation whose traversal reached this node
  // (replaces a hash set of visited nodes per evaluation).
  uint64_t visit_mark{0};

  /// Number of outputs of the primitive application.
  size_t num_outputs() const { return outputs.empty() ? 1 : outputs.size(); }
  /// The node of `a` (null when `a` has none). A nested class may read array's private members.
  static Node* of(const array& a) { return a.desc_->node.get(); }
};

}  // namespace tandem
