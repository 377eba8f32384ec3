// Copyright © 2026 Tandem authors.
// Derivative and batching rules of the fused primitives (primitives/fused.h).
#include <algorithm>
#include <functional>

#include "primitives/fused.h"
#include "primitives/rules_common.h"
#include "tandem/transforms.h"

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

// ------------------------------ RMSNorm, LayerNorm ------------------------------
// The derivatives are those of the composition the kernels compute (detail::*_reference in
// src/ops/fast.cpp), taken with tandem::vjp / tandem::jvp over the differentiated inputs only.
// The results are graphs of ordinary ops, so derivatives of any order (and vmap of them) work.

namespace {

using Reference = std::function<array(const std::vector<array>&)>;

/// f restricted to the inputs in argnums (the others fixed at their primal values).
ArrayFn over_argnums(const Reference& f, const std::vector<array>& primals,
                     const std::vector<int>& argnums) {
  return [f, primals, argnums](const std::vector<array>& args) {
    std::vector<array> all = primals;
    for (size_t k = 0; k < argnums.size(); ++k)
      all[argnums[k]] = args[k];
    return std::vector<array>{f(all)};
  };
}

std::vector<array> reference_vjp(const Reference& f, const std::vector<array>& primals,
                                 const std::vector<array>& cots, const std::vector<int>& argnums) {
  std::vector<array> args;
  for (int a : argnums)
    args.push_back(primals[a]);
  return tandem::vjp(over_argnums(f, primals, argnums), args, cots).second;
}

std::vector<array> reference_jvp(const Reference& f, const std::vector<array>& primals,
                                 const std::vector<array>& tangents,
                                 const std::vector<int>& argnums) {
  std::vector<array> args;
  for (int a : argnums)
    args.push_back(primals[a]);
  return tandem::jvp(over_argnums(f, primals, argnums), args, tangents).second;
}

/// The output dtype of a norm: that of its parameters, or of x without any.
Dtype norm_out_dtype(const std::vector<array>& inputs) {
  return inputs.size() > 1 ? inputs[1].dtype() : inputs[0].dtype();
}

/// Batching a norm: x's batch axis goes in front. Unbatched parameters keep the fused op; a
/// batched weight or bias (B, D) becomes (B, 1, ..., 1, D) and the composition broadcasts it.
std::pair<std::vector<array>, std::vector<int>> norm_vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes, const Stream& s,
    const std::function<array(const std::vector<array>&)>& fused, const Reference& reference) {
  array x = rules::batch_to_front(inputs[0], axes[0], s);
  bool params_batched = false;
  for (size_t i = 1; i < inputs.size(); ++i)
    params_batched = params_batched || axes[i] >= 0;
  std::vector<array> in{x};
  if (!params_batched) {
    for (size_t i = 1; i < inputs.size(); ++i)
      in.push_back(inputs[i]);
    return {{fused(in)}, {0}};
  }
  for (size_t i = 1; i < inputs.size(); ++i) {
    if (axes[i] < 0) {
      in.push_back(inputs[i]);
      continue;
    }
    array p = rules::batch_to_front(inputs[i], axes[i], s);  // (B, D)
    Shape sh(std::max(x.ndim(), 2), 1);
    sh.front() = p.shape(0);
    sh.back() = p.shape(1);
    in.push_back(reshape(p, sh, s));
  }
  return {{reference(in)}, {0}};
}

}  // namespace

std::vector<array> RMSNorm::vjp(const std::vector<array>& primals, const std::vector<array>& cots,
                                const std::vector<int>& argnums, const std::vector<array>&) {
  Reference f = [eps = eps_, w = has_weight_, out = norm_out_dtype(primals),
                 s = stream()](const std::vector<array>& in) {
    return detail::rms_norm_reference(in, eps, w, out, s);
  };
  return reference_vjp(f, primals, cots, argnums);
}

std::vector<array> RMSNorm::jvp(const std::vector<array>& primals,
                                const std::vector<array>& tangents,
                                const std::vector<int>& argnums) {
  Reference f = [eps = eps_, w = has_weight_, out = norm_out_dtype(primals),
                 s = stream()](const std::vector<array>& in) {
    return detail::rms_norm_reference(in, eps, w, out, s);
  };
  return reference_jvp(f, primals, tangents, argnums);
}

std::pair<std::vector<array>, std::vector<int>> RMSNorm::vmap(const std::vector<array>& inputs,
                                                              const std::vector<int>& axes) {
  const Dtype out = norm_out_dtype(inputs);
  auto fused = [this, out](const std::vector<array>& in) {
    return detail::make<RMSNorm>(in[0].shape(), out, in, stream(), eps_, has_weight_);
  };
  Reference ref = [this, out](const std::vector<array>& in) {
    return detail::rms_norm_reference(in, eps_, has_weight_, out, stream());
  };
  return norm_vmap(inputs, axes, stream(), fused, ref);
}

std::vector<array> LayerNorm::vjp(const std::vector<array>& primals, const std::vector<array>& cots,
                                  const std::vector<int>& argnums, const std::vector<array>&) {
  Reference f = [eps = eps_, w = has_weight_, b = has_bias_, out = norm_out_dtype(primals),
                 s = stream()](const std::vector<array>& in) {
    return detail::layer_norm_reference(in, eps, w, b, out, s);
  };
  return reference_vjp(f, primals, cots, argnums);
}

std::vector<array> LayerNorm::jvp(const std::vector<array>& primals,
                                  const std::vector<array>& tangents,
                                  const std::vector<int>& argnums) {
  Reference f = [eps = eps_, w = has_weight_, b = has_bias_, out = norm_out_dtype(primals),
                 s = stream()](const std::vector<array>& in) {
    return detail::layer_norm_reference(in, eps, w, b, out, s);
  };
  return reference_jvp(f, primals, tangents, argnums);
}

std::pair<std::vector<array>, std::vector<int>> LayerNorm::vmap(const std::vector<array>& inputs,
                                                                const std::vector<int>& axes) {
  const Dtype out = norm_out_dtype(inputs);
  auto fused = [this, out](const std::vector<array>& in) {
    return detail::make<LayerNorm>(in[0].shape(), out, in, stream(), eps_, has_weight_, has_bias_);
  };
  Reference ref = [this, out](const std::vector<array>& in) {
    return detail::layer_norm_reference(in, eps_, has_weight_, has_bias_, out, stream());
  };
  return norm_vmap(inputs, axes, stream(), fused, ref);
}

// ------------------------------ ScaledDotProductAttention ------------------------------
// The rules are those of the composition (detail::sdpa_reference): derivatives recompute the
// scores as ordinary ops (the fused kernel keeps no softmax statistics), and batching vmaps the
// composition.

namespace {

/// The composition a ScaledDotProductAttention stands for, as a function of its inputs.
Reference sdpa_composition(const ScaledDotProductAttention& p) {
  return [sc = p.scale(), c = p.causal(), m = p.has_mask(), k = p.has_sinks(), s = p.stream()](
             const std::vector<array>& in) { return detail::sdpa_reference(in, sc, c, m, k, s); };
}

}  // namespace

std::vector<array> ScaledDotProductAttention::vjp(const std::vector<array>& primals,
                                                  const std::vector<array>& cots,
                                                  const std::vector<int>& argnums,
                                                  const std::vector<array>&) {
  return reference_vjp(sdpa_composition(*this), primals, cots, argnums);
}

std::vector<array> ScaledDotProductAttention::jvp(const std::vector<array>& primals,
                                                  const std::vector<array>& tangents,
                                                  const std::vector<int>& argnums) {
  return reference_jvp(sdpa_composition(*this), primals, tangents, argnums);
}

std::pair<std::vector<array>, std::vector<int>> ScaledDotProductAttention::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  ArrayFn f = [ref = sdpa_composition(*this)](const std::vector<array>& in) {
    return std::vector<array>{ref(in)};
  };
  return {tandem::vmap(f, axes, {0})(inputs), {0}};
}

}  // namespace tandem
