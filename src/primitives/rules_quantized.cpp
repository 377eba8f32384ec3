// Copyright © 2026 Tandem authors.
// Derivative and batching rules of the quantization and Hadamard primitives.
//
//  - Quantize rounds to integer codes: no vjp/jvp (a clear error). vmap: batch axis to the front.
//  - Dequantize is s * q + b, linear in (scales, biases) jointly: the jvp dequantizes the codes
//    with the tangents as scales/biases; the vjp is the per-group sum of cot * q (scales) and of
//    cot (biases), q being the codes as floats (dequantize with unit scales and zero biases). The
//    codes w_q are integers: zero gradient (as for integer indices elsewhere).
//  - QuantizedMatmul: out = x @ W^T (or x @ W) with W = dequantize(w_q, s, b). Linear in x:
//    vjp = quantized_matmul(cot, w_q, s, b) with the transpose flag flipped; jvp =
//    quantized_matmul(t, ...). Through W (MLX's rules): dW = cot^T x (or x^T cot) summed over the
//    rows of x, then the Dequantize vjp gives the scales and biases gradients. No gradient with
//    respect to w_q (integer codes): an error, as MLX ("no gradient wrt the quantized weights").
//  - Hadamard: linear, out = scale * H x with H = H_m (x) H_{2^k}; the vjp applies scale * H^T
//    (H_{2^k} is symmetric, H_20 and H_28 are not: the primitive's `transposed` flag), the jvp the
//    same transform as the forward pass.
#include "primitives/quantized.h"
#include "primitives/rules_common.h"
#include "tandem/ops_quantized.h"

namespace tandem {

namespace {

// The codes of w_q as values of `like`'s dtype and of the dequantized shape.
array codes_of(const array& wq, const array& like_scales, int gs, int bits, const Stream& s) {
  return dequantize(wq, ones_like(like_scales, s), zeros_like(like_scales, s), gs, bits, s);
}

// Sum over consecutive groups of `gs` along the last axis: (..., G*gs) -> (..., G).
array group_sum(const array& a, int gs, const Stream& s) {
  Shape sh = a.shape();
  sh.back() /= gs;
  sh.push_back(gs);
  return sum(reshape(a, sh, s), -1, false, s);
}

// Insert `k` unit axes after the leading (batch) axis.
array pad_after_front(const array& a, int k, const Stream& s) {
  if (k <= 0) return a;
  std::vector<int> ax;
  for (int i = 1; i <= k; ++i)
    ax.push_back(i);
  return expand_dims(a, ax, s);
}

// A batched input with its batch axis in front; an unbatched one broadcast to batch size `b`.
array front_broadcast(const array& a, int axis, int b, const Stream& s) {
  array x = rules::batch_to_front(a, axis, s);
  if (axis < 0) {
    Shape sh = x.shape();
    sh[0] = b;
    x = broadcast_to(x, sh, s);
  }
  return x;
}

int batch_size(const std::vector<array>& inputs, const std::vector<int>& axes) {
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (axes[i] >= 0) return inputs[i].shape(axes[i]);
  }
  return 1;
}

[[noreturn]] void no_derivative(const std::string& where, const std::string& what) {
  throw std::invalid_argument("[" + where + "] " + what);
}

}  // namespace

// ---------------- Quantize ----------------

std::vector<array> Quantize::vjp(const std::vector<array>&, const std::vector<array>&,
                                 const std::vector<int>&, const std::vector<array>&) {
  no_derivative("Quantize::vjp",
                "Quantization rounds to integer codes; its vjp is not supported. Differentiate "
                "through dequantize or quantized_matmul (scales, biases, x) instead.");
}

std::vector<array> Quantize::jvp(const std::vector<array>&, const std::vector<array>&,
                                 const std::vector<int>&) {
  no_derivative("Quantize::jvp",
                "Quantization rounds to integer codes; its jvp is not supported. Differentiate "
                "through dequantize or quantized_matmul (scales, biases, x) instead.");
}

std::pair<std::vector<array>, std::vector<int>> Quantize::vmap(const std::vector<array>& inputs,
                                                               const std::vector<int>& axes) {
  const Stream& s = stream();
  array w = rules::batch_to_front(inputs[0], axes[0], s);
  return {quantize(w, group_size_, bits_, s), {0, 0, 0}};
}

// ---------------- Dequantize ----------------

std::vector<array> Dequantize::vjp(const std::vector<array>& primals,
                                   const std::vector<array>& cots, const std::vector<int>& argnums,
                                   const std::vector<array>&) {
  const Stream& s = stream();
  const array& cot = cots[0];
  std::vector<array> out;
  for (int a : argnums) {
    if (a == 0) {
      out.push_back(zeros_like(primals[0], s));
    } else if (a == 1) {
      array q = codes_of(primals[0], primals[1], group_size_, bits_, s);
      out.push_back(astype(group_sum(multiply(cot, q, s), group_size_, s), primals[1].dtype(), s));
    } else {
      out.push_back(astype(group_sum(cot, group_size_, s), primals[2].dtype(), s));
    }
  }
  return out;
}

std::vector<array> Dequantize::jvp(const std::vector<array>& primals,
                                   const std::vector<array>& tangents,
                                   const std::vector<int>& argnums) {
  const Stream& s = stream();
  std::optional<array> ts, tb;
  for (size_t k = 0; k < argnums.size(); ++k) {
    if (argnums[k] == 1) ts = tangents[k];
    if (argnums[k] == 2) tb = tangents[k];
  }
  if (!ts && !tb) {
    // Only the integer codes vary: the output does not change.
    Shape sh = primals[0].shape();
    sh.back() = sh.back() * 32 / bits_;
    return {zeros(sh, primals[1].dtype(), s)};
  }
  return {dequantize(primals[0], ts ? *ts : zeros_like(primals[1], s),
                     tb ? *tb : zeros_like(primals[2], s), group_size_, bits_, s)};
}

std::pair<std::vector<array>, std::vector<int>> Dequantize::vmap(const std::vector<array>& inputs,
                                                                 const std::vector<int>& axes) {
  const Stream& s = stream();
  int b = batch_size(inputs, axes);
  array w = front_broadcast(inputs[0], axes[0], b, s);
  array sc = front_broadcast(inputs[1], axes[1], b, s);
  array bi = front_broadcast(inputs[2], axes[2], b, s);
  return {{dequantize(w, sc, bi, group_size_, bits_, s)}, {0}};
}

// ---------------- QuantizedMatmul ----------------

std::vector<array> QuantizedMatmul::vjp(const std::vector<array>& primals,
                                        const std::vector<array>& cots,
                                        const std::vector<int>& argnums,
                                        const std::vector<array>&) {
  const Stream& s = stream();
  const array &x = primals[0], &wq = primals[1], &sc = primals[2], &bi = primals[3];
  const array& cot = cots[0];
  std::vector<array> out;
  std::optional<array> dw;  // the gradient of the dequantized matrix, in w_q's orientation
  auto weight_grad = [&]() -> const array& {
    if (!dw) {
      if (wq.ndim() == 2) {
        int K = x.shape(-1), N = cot.shape(-1);
        array xf = reshape(x, {-1, K}, s), cf = reshape(cot, {-1, N}, s);
        dw = transpose_ ? matmul(swapaxes(cf, 0, 1, s), xf, s)
                        : matmul(swapaxes(xf, 0, 1, s), cf, s);
      } else {
        dw = transpose_ ? matmul(swapaxes(cot, -1, -2, s), x, s)
                        : matmul(swapaxes(x, -1, -2, s), cot, s);
      }
    }
    return *dw;
  };
  for (int a : argnums) {
    if (a == 0) {
      out.push_back(quantized_matmul(cot, wq, sc, bi, !transpose_, group_size_, bits_, s));
    } else if (a == 1) {
      no_derivative("QuantizedMatmul::vjp",
                    "The gradient with respect to the quantized weights w_q (uint32 codes) is not "
                    "supported; x, scales and biases are differentiable.");
    } else if (a == 2) {
      array q = codes_of(wq, sc, group_size_, bits_, s);
      out.push_back(
          astype(group_sum(multiply(weight_grad(), q, s), group_size_, s), sc.dtype(), s));
    } else {
      out.push_back(astype(group_sum(weight_grad(), group_size_, s), bi.dtype(), s));
    }
  }
  return out;
}

std::vector<array> QuantizedMatmul::jvp(const std::vector<array>& primals,
                                        const std::vector<array>& tangents,
                                        const std::vector<int>& argnums) {
  const Stream& s = stream();
  const array &x = primals[0], &wq = primals[1], &sc = primals[2], &bi = primals[3];
  std::optional<array> tx, ts, tb;
  for (size_t k = 0; k < argnums.size(); ++k) {
    switch (argnums[k]) {
      case 0:
        tx = tangents[k];
        break;
      case 1:
        no_derivative("QuantizedMatmul::jvp",
                      "A tangent of the quantized weights w_q (uint32 codes) is not supported; x, "
                      "scales and biases are differentiable.");
      case 2:
        ts = tangents[k];
        break;
      default:
        tb = tangents[k];
    }
  }
  std::optional<array> total;
  if (tx) total = quantized_matmul(*tx, wq, sc, bi, transpose_, group_size_, bits_, s);
  if (ts || tb) {
    // Linear in (scales, biases) jointly: x @ dequantize(w_q, ts, tb)^T.
    array t = quantized_matmul(x, wq, ts ? *ts : zeros_like(sc, s), tb ? *tb : zeros_like(bi, s),
                               transpose_, group_size_, bits_, s);
    total = total ? add(*total, t, s) : t;
  }
  if (!total) {
    Shape sh = output_shapes(primals)[0];
    return {zeros(sh, x.dtype(), s)};
  }
  return {*total};
}

std::pair<std::vector<array>, std::vector<int>> QuantizedMatmul::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  const Stream& s = stream();
  bool w_batched = axes[1] >= 0 || axes[2] >= 0 || axes[3] >= 0;
  if (!w_batched && inputs[1].ndim() == 2) {
    // Only x is batched and W is one matrix: the batch joins x's leading dims.
    array x = rules::batch_to_front(inputs[0], axes[0], s);
    return {
        {quantized_matmul(x, inputs[1], inputs[2], inputs[3], transpose_, group_size_, bits_, s)},
        {0}};
  }
  int b = batch_size(inputs, axes);
  // Per-example ranks; a 1-d x is treated as one row and the row axis squeezed at the end.
  int x_pe = inputs[0].ndim() - (axes[0] >= 0 ? 1 : 0);
  int w_pe = inputs[1].ndim() - (axes[1] >= 0 ? 1 : 0);
  array x = rules::batch_to_front(inputs[0], axes[0], s);
  bool vec = x_pe == 1;
  if (vec) {
    x = expand_dims(x, 1, s);
    x_pe = 2;
  }
  // Align the per-example batch dims of x and W behind the vmapped axis.
  int r = std::max(x_pe, w_pe) - 2;
  x = pad_after_front(x, r - (x_pe - 2), s);
  std::vector<array> q;
  for (int k = 1; k <= 3; ++k)
    q.push_back(pad_after_front(front_broadcast(inputs[k], axes[k], b, s), r - (w_pe - 2), s));
  array out = quantized_matmul(x, q[0], q[1], q[2], transpose_, group_size_, bits_, s);
  if (vec) out = squeeze(out, -2, s);
  return {{out}, {0}};
}

// ---------------- Hadamard ----------------

std::vector<array> Hadamard::vjp(const std::vector<array>&, const std::vector<array>& cots,
                                 const std::vector<int>&, const std::vector<array>&) {
  return {detail::hadamard(cots[0], scale_, !transposed_, stream())};
}

std::vector<array> Hadamard::jvp(const std::vector<array>&, const std::vector<array>& tangents,
                                 const std::vector<int>&) {
  return {detail::hadamard(tangents[0], scale_, transposed_, stream())};
}

std::pair<std::vector<array>, std::vector<int>> Hadamard::vmap(const std::vector<array>& inputs,
                                                               const std::vector<int>& axes) {
  const Stream& s = stream();
  array x = inputs[0];
  int ax = axes[0];
  if (ax == x.ndim() - 1) {
    x = moveaxis(x, ax, 0, s);
    ax = 0;
  }
  return {{detail::hadamard(x, scale_, transposed_, s)}, {ax}};
}

}  // namespace tandem
