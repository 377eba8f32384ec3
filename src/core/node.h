// Copyright © 2026 Tandem authors.
// The graph node shared by the outputs of one primitive application (internal).
#pragma once

#include <memory>
#include <vector>

#include "tandem/array.h"
#include "tandem/primitive.h"

namespace tandem {

struct array::Node {
  std::shared_ptr<Primitive> primitive;
  std::vector<array> inputs;
  // Outputs are held weakly so that a dropped sibling does not keep the graph alive (no cycles).
  // A sibling that is gone when the node runs gets a temporary array.
  std::vector<std::weak_ptr<array::ArrayDesc>> outputs;
  std::vector<Shape> shapes;
  std::vector<Dtype> dtypes;
};

}  // namespace tandem
