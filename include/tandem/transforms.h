// Copyright © 2026 Tandem authors.
// Evaluation and function transformations (MLX's transforms.h). Transformations trace the
// function with stand-in arrays and apply each primitive's vjp / jvp / vmap rule; they compose to
// any depth (grad(grad(f)), vmap(grad(f)), jvp(grad(f)), ...).
#pragma once

#include <functional>
#include <optional>
#include <utility>
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

using ArrayFn = std::function<std::vector<array>(const std::vector<array>&)>;

/// Vector-Jacobian product: returns fun(primals) and the cotangents of the primals given the
/// cotangents of the outputs.
std::pair<std::vector<array>, std::vector<array>> vjp(const ArrayFn& fun,
                                                      const std::vector<array>& primals,
                                                      const std::vector<array>& cotangents);
std::pair<array, array> vjp(const std::function<array(const array&)>& fun, const array& primal,
                            const array& cotangent);

/// Jacobian-vector product: returns fun(primals) and the tangents of the outputs.
std::pair<std::vector<array>, std::vector<array>> jvp(const ArrayFn& fun,
                                                      const std::vector<array>& primals,
                                                      const std::vector<array>& tangents);
std::pair<array, array> jvp(const std::function<array(const array&)>& fun, const array& primal,
                            const array& tangent);

using ValueAndGradFn =
    std::function<std::pair<std::vector<array>, std::vector<array>>(const std::vector<array>&)>;
using SimpleValueAndGradFn =
    std::function<std::pair<array, std::vector<array>>(const std::vector<array>&)>;

/// Value and gradient of a function whose first output is a scalar loss, with respect to the
/// arguments in `argnums`.
ValueAndGradFn value_and_grad(const ArrayFn& fun, const std::vector<int>& argnums);
ValueAndGradFn value_and_grad(const ArrayFn& fun, int argnum = 0);
std::function<std::pair<array, array>(const array&)> value_and_grad(
    const std::function<array(const array&)>& fun);
SimpleValueAndGradFn value_and_grad(const std::function<array(const std::vector<array>&)>& fun,
                                    const std::vector<int>& argnums);
SimpleValueAndGradFn value_and_grad(const std::function<array(const std::vector<array>&)>& fun,
                                    int argnum = 0);

/// Gradient of a scalar function with respect to the arguments in `argnums`.
std::function<std::vector<array>(const std::vector<array>&)> grad(
    const std::function<array(const std::vector<array>&)>& fun, const std::vector<int>& argnums);
std::function<std::vector<array>(const std::vector<array>&)> grad(
    const std::function<array(const std::vector<array>&)>& fun, int argnum = 0);
std::function<array(const array&)> grad(const std::function<array(const array&)>& fun);

/// Vectorise `fun` over axis in_axes[i] of input i (-1: not batched); outputs get their batch
/// axis at out_axes[j]. Empty in_axes/out_axes mean axis 0 everywhere.
ArrayFn vmap(const ArrayFn& fun, const std::vector<int>& in_axes = {},
             const std::vector<int>& out_axes = {});
std::function<array(const array&)> vmap(const std::function<array(const array&)>& fun,
                                        int in_axis = 0, int out_axis = 0);
std::function<array(const array&, const array&)> vmap(
    const std::function<array(const array&, const array&)>& fun, int in_axis_a = 0,
    int in_axis_b = 0, int out_axis = 0);

/// A function with its own derivative rules. fun_vjp(primals, cotangents, outputs) returns the
/// cotangents of the primals; fun_jvp(primals, tangents, argnums) the tangents of the outputs;
/// fun_vmap(inputs, axes) the outputs and their batch axes. Missing rules fall back to
/// transforming `fun` itself.
using CustomVjpFn = std::function<std::vector<array>(
    const std::vector<array>&, const std::vector<array>&, const std::vector<array>&)>;
using CustomJvpFn = std::function<std::vector<array>(
    const std::vector<array>&, const std::vector<array>&, const std::vector<int>&)>;
using CustomVmapFn = std::function<std::pair<std::vector<array>, std::vector<int>>(
    const std::vector<array>&, const std::vector<int>&)>;
ArrayFn custom_function(ArrayFn fun, std::optional<CustomVjpFn> fun_vjp = std::nullopt,
                        std::optional<CustomJvpFn> fun_jvp = std::nullopt,
                        std::optional<CustomVmapFn> fun_vmap = std::nullopt);
ArrayFn custom_vjp(ArrayFn fun, CustomVjpFn fun_vjp);

/// Recompute `fun` in the backward pass instead of keeping its intermediates alive.
ArrayFn checkpoint(ArrayFn fun);

}  // namespace tandem
