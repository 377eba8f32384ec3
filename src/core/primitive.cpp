// Copyright © 2026 Tandem authors.
#include "tandem/primitive.h"

#include <stdexcept>

namespace tandem {

std::vector<array> Primitive::vjp(const std::vector<array>&, const std::vector<array>&,
                                  const std::vector<int>&, const std::vector<array>&) {
  throw std::invalid_argument("[" + name() + "] The vjp of this primitive is not implemented.");
}

std::vector<array> Primitive::jvp(const std::vector<array>&, const std::vector<array>&,
                                  const std::vector<int>&) {
  throw std::invalid_argument("[" + name() + "] The jvp of this primitive is not implemented.");
}

std::pair<std::vector<array>, std::vector<int>> Primitive::vmap(const std::vector<array>&,
                                                                const std::vector<int>&) {
  throw std::invalid_argument("[" + name() + "] The vmap of this primitive is not implemented.");
}

std::vector<Shape> Primitive::output_shapes(const std::vector<array>&) {
  throw std::invalid_argument("[" + name() + "] output_shapes is not implemented.");
}

}  // namespace tandem
