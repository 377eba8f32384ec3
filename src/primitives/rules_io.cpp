// Copyright © 2026 Tandem authors.
// Rules of the Load primitive. It has no inputs, so a loaded array is a constant: it has no input
// cotangents, a zero tangent, and is the same for every element of a batch. (The transforms only
// visit nodes that depend on their inputs, so these run only when called directly.)
#include "primitives/io.h"
#include "tandem/ops.h"

namespace tandem {

std::vector<array> Load::vjp(const std::vector<array>&, const std::vector<array>&,
                             const std::vector<int>&, const std::vector<array>&) {
  return {};
}

std::vector<array> Load::jvp(const std::vector<array>&, const std::vector<array>&,
                             const std::vector<int>&) {
  return {zeros(shape_, dtype_, stream())};
}

std::pair<std::vector<array>, std::vector<int>> Load::vmap(const std::vector<array>&,
                                                           const std::vector<int>&) {
  array out(shape_, dtype_,
            std::make_shared<Load>(stream(), reader_, offset_, shape_, dtype_, swap_), {});
  return {{out}, {-1}};
}

}  // namespace tandem
