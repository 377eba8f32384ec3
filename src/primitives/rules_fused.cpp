// Copyright © 2026 Tandem authors.
// Derivative and batching rules of the fused primitives (primitives/fused.h).
#include "primitives/fused.h"
#include "primitives/rules_common.h"

namespace tandem {

// y = softmax(x) along the last axis: dy = y * (dx - sum(dx * y)), and the vjp is the same
// expression in the cotangent (the Jacobian diag(y) - y yᵀ is symmetric).
std::vector<array> Softmax::vjp(const std::vector<array>& primals, const std::vector<array>& cots,
                                const std::vector<int>&, const std::vector<array>& outputs) {
  const Stream& s = stream();
  const array& y = outputs[0];
  array gy = multiply(cots[0], y, s);
  return {subtract(gy, multiply(y, sum(gy, -1, true, s), s), s)};
}

std::vector<array> Softmax::jvp(const std::vector<array>& primals,
                                const std::vector<array>& tangents, const std::vector<int>&) {
  const Stream& s = stream();
  array y = softmax(primals[0], -1, false, s);
  array ty = multiply(tangents[0], y, s);
  return {subtract(ty, multiply(y, sum(ty, -1, true, s), s), s)};
}

std::pair<std::vector<array>, std::vector<int>> Softmax::vmap(const std::vector<array>& inputs,
                                                              const std::vector<int>& axes) {
  array x = rules::batch_to_front(inputs[0], axes[0], stream());
  return {{softmax(x, -1, false, stream())}, {0}};
}

}  // namespace tandem
