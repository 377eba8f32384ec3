// Copyright © 2026 Tandem authors.
#pragma once

#include <vector>

#include "tandem/array.h"

namespace tandem {

/// Compute the given arrays (and what they depend on). Blocks until their values are ready.
void eval(std::vector<array> outputs);
template <typename... Arrays,
          typename = std::enable_if_t<(std::is_same_v<std::decay_t<Arrays>, array> && ...)>>
void eval(Arrays&&... outputs) {
  eval(std::vector<array>{std::forward<Arrays>(outputs)...});
}
/// Start computing the arrays and return at once; reading them (or eval) waits for the result.
void async_eval(std::vector<array> outputs);
template <typename... Arrays,
          typename = std::enable_if_t<(std::is_same_v<std::decay_t<Arrays>, array> && ...)>>
void async_eval(Arrays&&... outputs) {
  async_eval(std::vector<array>{std::forward<Arrays>(outputs)...});
}

}  // namespace tandem
