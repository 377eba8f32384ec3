// Copyright © 2026 Tandem authors.
// tandem::fast (include/tandem/fast.h): argument checks and graph building. rms_norm and
// layer_norm build the fused RMSNorm / LayerNorm primitives (primitives/fused.h); rope and
// scaled_dot_product_attention are compositions of ops.
#include "tandem/fast.h"

#include <cmath>
#include <cstdlib>
#include <limits>

#include "ops/ops_common.h"
#include "primitives/fused.h"

namespace tandem {

using detail::fail;

namespace {

/// The dtype the norms and rope accumulate in: float64 for float64, float32 otherwise.
Dtype accumulation_dtype(Dtype t) {
  return t == float64 ? float64 : float32;
}

bool is_half(Dtype t) {
  return t == float16 || t == bfloat16;
}

void check_norm_param(const char* op, const char* what, const array& p, const array& x) {
  if (p.ndim() != 1) {
    fail(op, std::string(what) + " must have 1 dimension but has " + std::to_string(p.ndim()) +
                 " (shape " + shape_to_string(p.shape()) + ").");
  }
  if (p.shape(0) != x.shape(-1)) {
    fail(op, std::string(what) + " must have the same size as the last dimension of x (" +
                 std::to_string(x.shape(-1)) + ") but has " + std::to_string(p.shape(0)) +
                 " elements.");
  }
}

void check_norm_input(const char* op, const array& x) {
  if (x.ndim() == 0) {
    fail(op, "Input must have at least 1 dimension but got input with 0 dimensions.");
  }
}

/// x as the fused norms take it: of the output dtype, or a 16-bit float under a float32 output.
array norm_input(const array& x, Dtype out, const Stream& s) {
  if (x.dtype() == out || (out == float32 && is_half(x.dtype()))) return x;
  return astype(x, out, s);
}

}  // namespace

// ------------------------------ references of the fused norms ------------------------------

namespace detail {

array rms_norm_reference(const std::vector<array>& inputs, float eps, bool has_weight, Dtype out,
                         const Stream& s) {
  Dtype acc = accumulation_dtype(inputs[0].dtype() == float64 ? float64 : out);
  array x = astype(inputs[0], acc, s);
  array y = multiply(x, rsqrt(add(mean(square(x, s), -1, true, s), array(eps, acc), s), s), s);
  y = astype(y, out, s);
  if (has_weight) y = multiply(y, inputs[1], s);
  return y;
}

array layer_norm_reference(const std::vector<array>& inputs, float eps, bool has_weight,
                           bool has_bias, Dtype out, const Stream& s) {
  Dtype acc = accumulation_dtype(inputs[0].dtype() == float64 ? float64 : out);
  array x = astype(inputs[0], acc, s);
  array xc = subtract(x, mean(x, -1, true, s), s);
  array v = mean(square(xc, s), -1, true, s);
  array y = astype(multiply(xc, rsqrt(add(v, array(eps, acc), s), s), s), out, s);
  if (has_weight) y = multiply(y, inputs[1], s);
  if (has_bias) y = add(y, inputs[has_weight ? 2 : 1], s);
  return y;
}

}  // namespace detail

namespace fast {

// ------------------------------ rms_norm ------------------------------

array rms_norm(const array& x, const std::optional<array>& weight, float eps, StreamOrDevice s_) {
  check_norm_input("rms_norm", x);
  if (weight) check_norm_param("rms_norm", "weight", *weight, x);
  Dtype out = weight ? promote_types(x.dtype(), weight->dtype()) : x.dtype();
  if (!is_floating_point(out)) {
    fail("rms_norm", "Received unsupported type " + dtype_name(out) +
                         "; x (and weight) must make a floating-point result.");
  }
  Stream s = to_stream(s_);
  std::vector<array> inputs{norm_input(x, out, s)};
  if (weight) inputs.push_back(astype(*weight, out, s));
  return detail::make<RMSNorm>(x.shape(), out, std::move(inputs), s, eps, weight.has_value());
}

// ------------------------------ layer_norm ------------------------------

array layer_norm(const array& x, const std::optional<array>& weight,
                 const std::optional<array>& bias, float eps, StreamOrDevice s_) {
  check_norm_input("layer_norm", x);
  if (weight) check_norm_param("layer_norm", "weight", *weight, x);
  if (bias) check_norm_param("layer_norm", "bias", *bias, x);
  Dtype out = x.dtype();
  if (weight) {
    out = promote_types(out, weight->dtype());
    if (bias) out = promote_types(out, bias->dtype());
  }
  if (!is_floating_point(out)) {
    fail("layer_norm", "Received unsupported type " + dtype_name(out) +
                           "; x (and weight, bias) must make a floating-point result.");
  }
  Stream s = to_stream(s_);
  std::vector<array> inputs{norm_input(x, out, s)};
  if (weight) inputs.push_back(astype(*weight, out, s));
  if (bias) inputs.push_back(astype(*bias, out, s));
  return detail::make<LayerNorm>(x.shape(), out, std::move(inputs), s, eps, weight.has_value(),
                                 bias.has_value());
}

// ------------------------------ rope ------------------------------

namespace {

/// Slice [lo, hi) with step `step` of the last axis.
array last_axis(const array& x, int lo, int hi, int step, const Stream& s) {
  Shape start(x.ndim(), 0), stop = x.shape(), strides(x.ndim(), 1);
  start.back() = lo;
  stop.back() = hi;
  strides.back() = step;
  return slice(x, start, stop, strides, s);
}

/// `offset` is nullopt for the integer form (offset_int), else the validated int array.
array rope_impl(const array& x, int dims, bool traditional, std::optional<float> base, float scale,
                int offset_int, const std::optional<array>& offset,
                const std::optional<array>& freqs, const Stream& s) {
  if (x.ndim() < 3) {
    fail("rope", "Input must have at least 3 dimensions but got input with " +
                     std::to_string(x.ndim()) + " dimensions (shape " + shape_to_string(x.shape()) +
                     ").");
  }
  if (!is_floating_point(x.dtype())) {
    fail("rope", "Input must be a floating type but got " + dtype_name(x.dtype()) + ".");
  }
  if (dims <= 0) fail("rope", "dims must be positive but got " + std::to_string(dims) + ".");
  if (dims % 2 != 0) fail("rope", "dims must be even but got " + std::to_string(dims) + ".");
  if (dims > x.shape(-1)) {
    fail("rope", "dims must not exceed the input's last dimension (" + std::to_string(x.shape(-1)) +
                     ") but got " + std::to_string(dims) + ".");
  }
  if (freqs && base) fail("rope", "Only one of base or freqs can have a value.");
  if (!freqs && !base) fail("rope", "Neither base nor freqs has a value.");
  const int half = dims / 2;
  if (freqs && (freqs->ndim() != 1 || freqs->shape(0) != half)) {
    fail("rope", "freqs must be one dimensional with size " + std::to_string(half) +
                     " but got shape " + shape_to_string(freqs->shape()) + ".");
  }
  if (freqs && !is_floating_point(freqs->dtype()) &&
      !issubdtype(freqs->dtype(), Dtype::Category::integer)) {
    fail("rope", "freqs must be real numbers but got " + dtype_name(freqs->dtype()) + ".");
  }
  if (offset) {
    if (offset->ndim() > 1) {
      fail("rope", "offset must have at most one dimension but has shape " +
                       shape_to_string(offset->shape()) + ".");
    }
    if (offset->size() != 1 && static_cast<int64_t>(offset->size()) != x.shape(0)) {
      fail("rope", "offset must be a scalar or vector with " + std::to_string(x.shape(0)) +
                       " elements but has shape " + shape_to_string(offset->shape()) + ".");
    }
    if (!issubdtype(offset->dtype(), Dtype::Category::integer)) {
      fail("rope", "offset must be an integer but got type " + dtype_name(offset->dtype()) + ".");
    }
  }

  const Dtype cd = accumulation_dtype(x.dtype());
  const int L = x.shape(-2), D = x.shape(-1);
  // Positions (offset + l) * scale: (L,) for one offset, (B, 1, ..., 1, L) for one per batch.
  array pos = arange(0.0, static_cast<double>(L), cd, s);
  if (!offset) {
    if (offset_int != 0) pos = add(pos, array(static_cast<double>(offset_int), cd), s);
  } else if (offset->size() == 1) {
    pos = add(pos, astype(reshape(*offset, {}, s), cd, s), s);
  } else {
    Shape os(x.ndim() - 1, 1);
    os[0] = x.shape(0);
    pos = add(pos, astype(reshape(*offset, os, s), cd, s), s);  // (B, 1.., L)
  }
  if (scale != 1.0f) pos = multiply(pos, array(scale, cd), s);
  // inv_freq_i = base^(-i / half) = exp(-i * log(base) / half), or 1 / freqs_i.
  array inv_freq = freqs ? reciprocal(astype(*freqs, cd, s), s)
                         : exp(multiply(arange(0.0, static_cast<double>(-half), -1.0, cd, s),
                                        array(std::log(static_cast<double>(*base)) / half, cd), s),
                               s);
  array theta = multiply(expand_dims(pos, -1, s), inv_freq, s);  // (..., L, half)
  array c = cos(theta, s), sn = sin(theta, s);

  array xr = dims < D ? last_axis(x, 0, dims, 1, s) : x;
  array xc = astype(xr, cd, s);
  array x1 = traditional ? last_axis(xc, 0, dims, 2, s) : last_axis(xc, 0, half, 1, s);
  array x2 = traditional ? last_axis(xc, 1, dims, 2, s) : last_axis(xc, half, dims, 1, s);
  array o1 = subtract(multiply(x1, c, s), multiply(x2, sn, s), s);
  array o2 = add(multiply(x1, sn, s), multiply(x2, c, s), s);
  array rotated = x;
  if (traditional) {
    Shape sh = o1.shape();
    sh.back() = dims;
    rotated = reshape(stack({o1, o2}, -1, s), sh, s);
  } else {
    rotated = concatenate({o1, o2}, -1, s);
  }
  rotated = astype(rotated, x.dtype(), s);
  if (dims < D) rotated = concatenate({rotated, last_axis(x, dims, D, 1, s)}, -1, s);
  return rotated;
}

}  // namespace

array rope(const array& x, int dims, bool traditional, std::optional<float> base, float scale,
           int offset, const std::optional<array>& freqs, StreamOrDevice s) {
  return rope_impl(x, dims, traditional, base, scale, offset, std::nullopt, freqs, to_stream(s));
}

array rope(const array& x, int dims, bool traditional, std::optional<float> base, float scale,
           const array& offset, const std::optional<array>& freqs, StreamOrDevice s) {
  return rope_impl(x, dims, traditional, base, scale, 0, offset, freqs, to_stream(s));
}

// ------------------------------ scaled_dot_product_attention ------------------------------

namespace {

/// The most negative finite value of a floating dtype (what a false bool mask position gets).
double lowest_of(Dtype t) {
  switch (t.val) {
    case Dtype::Val::float16:
      return -65504.0;
    case Dtype::Val::bfloat16:
      return -3.3895313892515355e38;
    case Dtype::Val::float64:
      return std::numeric_limits<double>::lowest();
    default:
      return std::numeric_limits<float>::lowest();
  }
}

}  // namespace

}  // namespace fast

namespace {

/// TANDEM_SDPA=compose: attention as a composition of ops on every device (read once).
bool sdpa_compose_forced() {
  static const bool forced = [] {
    const char* e = std::getenv("TANDEM_SDPA");
    return e != nullptr && std::string(e) == "compose";
  }();
  return forced;
}

}  // namespace

namespace detail {

array sdpa_reference(const std::vector<array>& inputs, float scale, bool causal, bool has_mask,
                     bool has_sinks, const Stream& s) {
  const array& queries = inputs[0];
  const int B = queries.shape(0), Hq = queries.shape(1), Lq = queries.shape(2),
            D = queries.shape(3);
  const int Hkv = inputs[1].shape(1), Lk = inputs[1].shape(2), Dv = inputs[2].shape(3);
  const Dtype t = queries.dtype();
  std::optional<array> mask;
  if (has_mask) mask = inputs[3];
  const int G = Hq / Hkv;
  array q = queries;
  if (scale != 1.0f) q = multiply(array(scale, t), q, s);
  // On the CPU, 16-bit attention computes the scores, the softmax and the weighted sum in float32
  // (matmul would convert its 16-bit operands to float32 anyway; this skips rounding the score
  // matrix to 16 bits and converting it back, and is more accurate), rounding once at the end.
  const Dtype ct = s.device.type == Device::cpu && is_half(t) ? float32 : t;
  if (ct != t) q = astype(q, ct, s);
  array k = astype(inputs[1], ct, s);
  array v = astype(inputs[2], ct, s);
  // Grouped-query attention without repeating k/v: the G query heads sharing a kv head become
  // one (G * Lq, D) matrix per kv head, so each kv head is one matmul.
  if (G > 1) q = reshape(q, {B, Hkv, G * Lq, D}, s);
  array scores = matmul(q, swapaxes(k, -1, -2, s), s);  // (B, Hkv, G * Lq, Lk)
  if (causal || mask) {
    array m = causal ? greater_equal(expand_dims(arange(Lk - Lq, Lk, s), 1, s),
                                     expand_dims(arange(0, Lk, s), 0, s), s)  // (Lq, Lk)
                     : *mask;
    if (causal && Lq <= Lk) {
      // Every row keeps at least one key: adding a small (Lq, Lk) mask of 0 / lowest is exactly
      // where(m, scores, lowest) after the softmax (exp(lowest - max) == 0), derivatives
      // included, and the broadcast add is cheaper than a select over the scores. (Rows with no
      // key at all, Lq > Lk, keep the select: they must come out uniform.)
      m = where(m, array(0.0, ct), array(fast::lowest_of(ct), ct), s);
    }
    if (G > 1) {
      // View the scores as (B, Hkv, G, Lq, Lk) and give the mask matching axes (no copies).
      scores = reshape(scores, {B, Hkv, G, Lq, Lk}, s);
      if (m.ndim() >= 3 && m.shape(-3) != 1) {
        m = unflatten(m, -3, {Hkv, G}, s);
      } else if (m.ndim() >= 3) {
        m = expand_dims(m, -3, s);
      }
    }
    if (m.dtype() == bool_) {
      scores = where(m, scores, array(fast::lowest_of(ct), ct), s);
    } else {
      scores = add(scores, astype(m, ct, s), s);
    }
    if (G > 1) scores = reshape(scores, {B, Hkv, G * Lq, Lk}, s);
  }
  if (has_sinks) {
    // One extra column per row holding its head's sink logit; dropped after the softmax.
    const array& sinks = inputs[has_mask ? 4 : 3];
    array col =
        broadcast_to(reshape(astype(sinks, ct, s), {1, Hkv, G, 1, 1}, s), {B, Hkv, G, Lq, 1}, s);
    scores = concatenate({scores, reshape(col, {B, Hkv, G * Lq, 1}, s)}, -1, s);
  }
  array probs = softmax(scores, -1, /*precise=*/true, s);
  if (has_sinks) probs = slice(probs, {0, 0, 0, 0}, {B, Hkv, G * Lq, Lk}, s);
  array out = matmul(probs, v, s);  // (B, Hkv, G * Lq, Dv)
  if (G > 1) out = reshape(out, {B, Hq, Lq, Dv}, s);
  return ct != t ? astype(out, t, s) : out;
}

}  // namespace detail

namespace fast {

array scaled_dot_product_attention(const array& queries, const array& keys, const array& values,
                                   const float scale, const std::string& mask_mode,
                                   std::optional<array> mask_arr, const std::optional<array>& sinks,
                                   StreamOrDevice s_) {
  const char* op = "scaled_dot_product_attention";
  for (const array* t : {&queries, &keys, &values}) {
    if (t->ndim() != 4) {
      fail(op, "input with shape " + shape_to_string(t->shape()) +
                   " expected to be rank 4 (batch, heads, length, head_dim).");
    }
  }
  if (mask_mode != "" && mask_mode != "causal" && mask_mode != "array") {
    fail(op, "Invalid mask_mode '" + mask_mode + "'. mask_mode must be 'causal', 'array' or ''.");
  }
  const bool causal = mask_mode == "causal";
  if (causal && mask_arr) {
    fail(op, "Invalid mask_arr for mask_mode 'causal': no array mask is allowed.");
  }
  if (mask_mode == "array" && !mask_arr) {
    fail(op, "Invalid mask_arr for mask_mode 'array': a mask array is required.");
  }
  const bool has_array_mask = mask_arr.has_value();
  const int B = queries.shape(0), Hq = queries.shape(1), Lq = queries.shape(2),
            D = queries.shape(3);
  const int Hkv = keys.shape(1), Lk = keys.shape(2), Dv = values.shape(3);
  if (keys.shape(0) != B || values.shape(0) != B) {
    fail(op, "mismatching batch dimension: queries " + shape_to_string(queries.shape()) +
                 ", keys " + shape_to_string(keys.shape()) + ", values " +
                 shape_to_string(values.shape()) + ".");
  }
  if (keys.shape(3) != D) {
    fail(op, "query, keys expected to have matching last dimension; found query shape " +
                 shape_to_string(queries.shape()) + " for keys shape " +
                 shape_to_string(keys.shape()) + ".");
  }
  if (values.shape(1) != Hkv || values.shape(2) != Lk) {
    fail(op, "keys and values expected to have matching heads and length; found keys shape " +
                 shape_to_string(keys.shape()) + " for values shape " +
                 shape_to_string(values.shape()) + ".");
  }
  if (Hkv <= 0 || Hq % Hkv != 0) {
    fail(op, "n_heads must be a multiple of n_kv_heads, found n_heads " + std::to_string(Hq) +
                 " for n_kv_heads " + std::to_string(Hkv) + ".");
  }
  const Dtype t = promote_types(promote_types(queries.dtype(), keys.dtype()), values.dtype());
  if (!is_floating_point(t)) {
    fail(op, "Received unsupported type " + dtype_name(t) +
                 "; queries, keys and values must make a floating-point result.");
  }
  std::optional<array> mask;
  if (has_array_mask) {
    mask = *mask_arr;
    if (mask->ndim() > 4) {
      fail(op, "the mask with shape " + shape_to_string(mask->shape()) +
                   " expected to have at most rank 4.");
    }
    if (mask->dtype() != bool_ && promote_types(mask->dtype(), t) != t) {
      fail(op, "Mask type must promote to output type " + dtype_name(t) + "; got a " +
                   dtype_name(mask->dtype()) + " mask.");
    }
    Shape scores_shape{B, Hq, Lq, Lk};
    bool ok = true;
    try {
      ok = broadcast_shapes(mask->shape(), scores_shape) == scores_shape;
    } catch (const std::invalid_argument&) {
      ok = false;
    }
    if (!ok) {
      fail(op, "the mask with shape " + shape_to_string(mask->shape()) +
                   " does not broadcast to the scores' shape " + shape_to_string(scores_shape) +
                   ".");
    }
  }

  if (sinks) {
    if (sinks->ndim() != 1 || sinks->shape(0) != Hq) {
      fail(op, "sinks must have shape (n_heads,) = (" + std::to_string(Hq) + ",); got shape " +
                   shape_to_string(sinks->shape()) + ".");
    }
    if (!is_floating_point(sinks->dtype()) && promote_types(sinks->dtype(), t) != t) {
      fail(op, "sinks of type " + dtype_name(sinks->dtype()) +
                   " do not promote to the output type " + dtype_name(t) + ".");
    }
  }

  Stream s = to_stream(s_);
  // The fused kernel: always on the CPU; on a GPU for short query lengths (decoding), where it
  // reads k and v once per query row instead of launching the composition's five kernels.
  const bool fused = !sdpa_compose_forced() &&
                     (s.device.type == Device::cpu || (Lq <= 8 && D <= 256 && Dv <= 256));
  std::vector<array> inputs{astype(queries, t, s), astype(keys, t, s), astype(values, t, s)};
  if (mask) {
    // The kernels take the mask as bool or of the output dtype, viewed as (B, Hq, Lq, Lk)
    // (broadcast dimensions have stride 0: no copy).
    array m = mask->dtype() == bool_ ? *mask : astype(*mask, t, s);
    inputs.push_back(fused ? broadcast_to(m, {B, Hq, Lq, Lk}, s) : m);
  }
  if (sinks) inputs.push_back(astype(*sinks, t, s));
  if (!fused) {
    return detail::sdpa_reference(inputs, scale, causal, mask.has_value(), sinks.has_value(), s);
  }
  return detail::make<ScaledDotProductAttention>(Shape{B, Hq, Lq, Dv}, t, std::move(inputs), s,
                                                 scale, causal, mask.has_value(),
                                                 sinks.has_value());
}

array scaled_dot_product_attention(const array& queries, const array& keys, const array& values,
                                   const float scale, const std::string& mask_mode,
                                   const std::vector<array>& mask_arrs, StreamOrDevice s) {
  const char* op = "scaled_dot_product_attention";
  if (mask_mode == "causal" && !mask_arrs.empty()) {
    fail(op, "Invalid mask_arrs for mask_mode 'causal': no array masks are allowed, got " +
                 std::to_string(mask_arrs.size()) + ".");
  }
  const bool has_array_mask = mask_mode == "array" || (mask_mode.empty() && !mask_arrs.empty());
  if (has_array_mask && mask_arrs.size() != 1) {
    fail(op, "Invalid mask_arrs for mask_mode '" + mask_mode +
                 "'. Exactly 1 mask array is supported, got " + std::to_string(mask_arrs.size()) +
                 ".");
  }
  std::optional<array> m;
  if (!mask_arrs.empty()) m = mask_arrs[0];
  return scaled_dot_product_attention(queries, keys, values, scale, mask_mode, std::move(m),
                                      std::nullopt, s);
}

}  // namespace fast

}  // namespace tandem
