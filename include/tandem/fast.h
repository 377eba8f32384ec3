// Copyright © 2026 Tandem authors.
// Fast transformer building blocks (MLX's mlx/fast.h): fused normalisations, rotary position
// embeddings and scaled dot-product attention. Every op is differentiable (grad, jvp, vmap and
// their compositions, to any order) and runs on every device.
//
// rms_norm and layer_norm are single fused kernels (one pass for the statistics of a row, one for
// the output, float32 accumulation for 16-bit inputs). scaled_dot_product_attention is one fused
// kernel on the CPU (and on the GPU for short query lengths); rope is a composition of ops.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tandem/array.h"
#include "tandem/stream.h"

namespace tandem::fast {

/// x * rsqrt(mean(x², -1) + eps) [* weight], over the last axis of x. The normalised value is
/// computed in float32 (float64 for float64 inputs), cast to the output dtype and then
/// multiplied by the weight in that dtype. weight: 1-d with x.shape(-1) elements. Output dtype:
/// result_type(x, weight), or x's dtype without a weight; it must be floating-point.
array rms_norm(const array& x, const std::optional<array>& weight, float eps,
               StreamOrDevice s = {});

/// (x - mean) * rsqrt(var + eps) [* weight] [+ bias], over the last axis of x (population
/// variance). Statistics in float32 (float64 for float64 inputs); the normalised value is cast to
/// the output dtype, then the weight and the bias are applied in that dtype. Output dtype:
/// result_type(x, weight[, bias]) with a weight, x's dtype without one (a bias alone is cast to
/// x's dtype), as MLX.
array layer_norm(const array& x, const std::optional<array>& weight,
                 const std::optional<array>& bias, float eps, StreamOrDevice s = {});

/// Rotary position embedding of x with shape (B, ..., L, D) (at least 3 dims): position
/// t = (offset + l) * scale along axis -2 rotates each pair of the first `dims` features by
/// t * inv_freq_i, inv_freq_i = base^(-2i/dims) (or 1 / freqs[i] with custom `freqs` of
/// dims / 2 elements; exactly one of base and freqs must be given). traditional pairs the
/// features (2i, 2i+1); otherwise (i, i + dims/2). Features past `dims` pass through. dims must
/// be even and at most D. Computed in float32 (float64 for float64 inputs), rounded once.
array rope(const array& x, int dims, bool traditional, std::optional<float> base, float scale,
           int offset, const std::optional<array>& freqs = std::nullopt, StreamOrDevice s = {});

/// As above with the offset an integer array: a scalar (or one element), or one offset per
/// batch element (x.shape(0) elements).
array rope(const array& x, int dims, bool traditional, std::optional<float> base, float scale,
           const array& offset, const std::optional<array>& freqs = std::nullopt,
           StreamOrDevice s = {});

/// softmax(queries · keysᵀ * scale + mask) · values, with queries (B, Hq, Lq, D), keys
/// (B, Hkv, Lk, D) and values (B, Hkv, Lk, Dv); output (B, Hq, Lq, Dv) of
/// result_type(queries, keys, values). Grouped-query attention: Hkv must divide Hq, and query
/// head h attends with key/value head h / (Hq / Hkv).
///
/// mask_mode: "" (no mask, or the array mask_arr), "causal" (query i sees keys j <= i + Lk - Lq,
/// aligned to the end when Lq < Lk; no mask_arr) or "array" (mask_arr required). An array mask
/// broadcasts to (B, Hq, Lq, Lk); a bool mask keeps the positions where it is true (the others get
/// the dtype's lowest value), any other mask is added to the scores and its dtype must promote to
/// the output dtype.
///
/// sinks (optional, MLX's attention sinks): one logit per query head (Hq elements) that joins
/// every row's softmax as an extra key without a value, so a row's weights sum to less than one.
///
/// On the CPU one fused kernel computes it: blocks of query rows against the keys, scores, softmax
/// and weighted sum in float32 (float64 for float64), in cache-sized pieces, never the whole
/// (Lq, Lk) score matrix; causal blocks skip the keys no row of the block sees. On a GPU, short
/// query lengths (Lq <= 8, decoding; D, Dv <= 256) run a fused kernel (a warp per key, online
/// softmax); longer ones a composition of ops (q * scale, one cuBLASLt product per kv head, mask,
/// fused softmax, product). TANDEM_SDPA=compose selects the composition everywhere. Gradients of
/// every order differentiate that composition.
array scaled_dot_product_attention(const array& queries, const array& keys, const array& values,
                                   const float scale, const std::string& mask_mode = "",
                                   std::optional<array> mask_arr = {},
                                   const std::optional<array>& sinks = {}, StreamOrDevice s = {});

/// The older MLX form: the mask, if any, as the one element of mask_arrs.
array scaled_dot_product_attention(const array& queries, const array& keys, const array& values,
                                   const float scale, const std::string& mask_mode,
                                   const std::vector<array>& mask_arrs, StreamOrDevice s = {});

}  // namespace tandem::fast
