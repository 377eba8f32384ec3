// Copyright © 2026 Tandem authors.
// Derivative and batching rules of GatherMM and BlockMaskedMM, written with the product ops
// themselves (so they run on every device and compose: grad of grad, vmap of grad, ...).
#include "primitives/products.h"
#include "primitives/rules_common.h"

namespace tandem {

namespace {

// ---------------- GatherMM ----------------

// Number of matrices in x (the product of its batch extents).
int matrix_count(const array& x) {
  int n = 1;
  for (int d = 0; d + 2 < x.ndim(); ++d)
    n *= x.shape()[d];
  return n;
}

// The matrix a gather_mm reads for each index: wrapped once, then clamped (as the kernel).
array read_positions(const array& idx, int n, const Stream& s) {
  array i = astype(idx, int32, s);
  i = where(less(i, array(0), s), add(i, array(n), s), i, s);
  return clip(i, array(0), array(std::max(n - 1, 0)), s);
}

// x's matrices as one list: (count, rows, cols).
array as_matrix_list(const array& x, const Stream& s) {
  return reshape(x, {matrix_count(x), x.shape(-2), x.shape(-1)}, s);
}

// The cotangent of a gathered operand: per-pair gradients (IS..., R, C) summed into the matrices
// they were read from.
array scatter_pairs(const array& per_pair, const array& idx, const array& primal, const Stream& s) {
  int n = matrix_count(primal);
  int pairs = static_cast<int>(idx.size());
  array pos = reshape(read_positions(idx, n, s), {pairs}, s);
  array upd = reshape(per_pair, {pairs, 1, primal.shape(-2), primal.shape(-1)}, s);
  array acc = zeros({n, primal.shape(-2), primal.shape(-1)}, primal.dtype(), s);
  return reshape(scatter_add(acc, std::vector<array>{pos}, upd, std::vector<int>{0}, s),
                 primal.shape(), s);
}

// ---------------- BlockMaskedMM ----------------

struct Masks {
  std::optional<array> out, lhs, rhs;
};

Masks masks_of(const std::vector<array>& in, bool has_out, bool has_operand) {
  Masks m;
  size_t k = 2;
  if (has_out) m.out = in[k++];
  if (has_operand) {
    m.lhs = in[k++];
    m.rhs = in[k++];
  }
  return m;
}

std::optional<array> t_of(const std::optional<array>& m, const Stream& s) {
  if (!m) return std::nullopt;
  return swapaxes(*m, -1, -2, s);
}

// Sum of each block_size x block_size block of the last two axes (the last blocks may be
// partial): (..., R, C) -> (..., ceil(R/bs), ceil(C/bs)).
array block_sum(const array& x, int bs, const Stream& s) {
  int nd = x.ndim();
  int R = x.shape(-2), C = x.shape(-1);
  int tr = (R + bs - 1) / bs, tc = (C + bs - 1) / bs;
  array p = x;
  if (tr * bs != R || tc * bs != C) {
    p = pad(x, {nd - 2, nd - 1}, {0, 0}, {tr * bs - R, tc * bs - C}, array(0, x.dtype()),
            "constant", s);
  }
  Shape sh(x.shape().begin(), x.shape().end() - 2);
  sh.insert(sh.end(), {tr, bs, tc, bs});
  return sum(reshape(p, sh, s), {nd - 1, nd + 1}, false, s);
}

}  // namespace

// ============================== GatherMM ==============================

std::vector<array> GatherMM::vjp(const std::vector<array>& primals, const std::vector<array>& cots,
                                 const std::vector<int>& argnums, const std::vector<array>&) {
  const Stream& s = stream();
  const array &a = primals[0], &b = primals[1], &li = primals[2], &ri = primals[3];
  const array& cot = cots[0];
  std::vector<array> out;
  for (int arg : argnums) {
    if (arg == 0) {
      // dA[li[p]] += cot[p] @ B[ri[p]]^T
      array g = gather_mm(cot, swapaxes(b, -1, -2, s), std::nullopt, ri, false, s);
      out.push_back(scatter_pairs(g, li, a, s));
    } else if (arg == 1) {
      // dB[ri[p]] += A[li[p]]^T @ cot[p]
      array g = gather_mm(swapaxes(a, -1, -2, s), cot, li, std::nullopt, false, s);
      out.push_back(scatter_pairs(g, ri, b, s));
    } else {
      out.push_back(zeros_like(primals[arg], s));
    }
  }
  return out;
}

std::vector<array> GatherMM::jvp(const std::vector<array>& primals,
                                 const std::vector<array>& tangents,
                                 const std::vector<int>& argnums) {
  const Stream& s = stream();
  const array &li = primals[2], &ri = primals[3];
  std::optional<array> total;
  for (size_t k = 0; k < argnums.size(); ++k) {
    if (argnums[k] > 1) continue;  // indices: no tangent
    array t = argnums[k] == 0 ? gather_mm(tangents[k], primals[1], li, ri, false, s)
                              : gather_mm(primals[0], tangents[k], li, ri, false, s);
    total = total ? add(*total, t, s) : t;
  }
  if (total) return {*total};
  Shape out = li.shape();
  out.push_back(primals[0].shape(-2));
  out.push_back(primals[1].shape(-1));
  return {zeros(out, primals[0].dtype(), s)};
}

std::pair<std::vector<array>, std::vector<int>> GatherMM::vmap(const std::vector<array>& inputs,
                                                               const std::vector<int>& axes) {
  const Stream& s = stream();
  int batch = 1;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (axes[i] >= 0) {
      batch = inputs[i].shape()[axes[i]];
      break;
    }
  }
  // Each operand becomes one list of matrices (the batch axis folded in front); each index
  // becomes a position in that list, offset by b * count for batched operands.
  auto operand = [&](int k, array& list, array& pos) {
    const array& x = inputs[k];
    array idx = rules::batch_to_front(inputs[k + 2], axes[k + 2], s);  // (B or 1, IS...)
    if (axes[k] < 0) {
      list = as_matrix_list(x, s);
      pos = read_positions(idx, matrix_count(x), s);
      return;
    }
    array xf = rules::batch_to_front(x, axes[k], s);  // (B, batch..., R, C)
    int per = matrix_count(xf) / std::max(batch, 1);
    list = as_matrix_list(xf, s);
    Shape sh(idx.ndim(), 1);
    sh[0] = batch;
    array offset = multiply(reshape(arange(0, batch, s), sh, s), array(per), s);
    pos = add(read_positions(idx, per, s), offset, s);
  };
  array la = inputs[0], lb = inputs[1], pa = inputs[2], pb = inputs[3];
  operand(0, la, pa);
  operand(1, lb, pb);
  Shape is = broadcast_shapes(pa.shape(), pb.shape());
  is[0] = batch;
  pa = broadcast_to(pa, is, s);
  pb = broadcast_to(pb, is, s);
  return {{gather_mm(la, lb, pa, pb, false, s)}, {0}};
}

// ============================== BlockMaskedMM ==============================

std::vector<array> BlockMaskedMM::vjp(const std::vector<array>& primals,
                                      const std::vector<array>& cots,
                                      const std::vector<int>& argnums, const std::vector<array>&) {
  const Stream& s = stream();
  const array &a = primals[0], &b = primals[1];
  const array& cot = cots[0];
  const int bs = block_size_;
  Masks m = masks_of(primals, has_out_mask_, has_operand_mask_);
  array at = swapaxes(a, -1, -2, s), bt = swapaxes(b, -1, -2, s);
  // dL/d(masked A) and dL/d(masked B) (before the operand masks are applied to them).
  auto grad_a_masked = [&] {
    return block_masked_mm(cot, bt, bs, std::nullopt, m.out, t_of(m.rhs, s), s);
  };
  auto grad_b_masked = [&] {
    return block_masked_mm(at, cot, bs, std::nullopt, t_of(m.lhs, s), m.out, s);
  };
  const int first_mask = 2, lhs_mask = has_out_mask_ ? 3 : 2;
  std::vector<array> out;
  for (int arg : argnums) {
    const array& p = primals[arg];
    if (arg >= first_mask && !is_floating_point(p.dtype())) {
      out.push_back(zeros_like(p, s));  // boolean masks select, they have no derivative
      continue;
    }
    if (arg == 0) {
      // dA = ml ⊙ ((mo ⊙ cot) @ (mr ⊙ B)^T), block-wise.
      out.push_back(block_masked_mm(cot, bt, bs, m.lhs, m.out, t_of(m.rhs, s), s));
    } else if (arg == 1) {
      // dB = mr ⊙ ((ml ⊙ A)^T @ (mo ⊙ cot)), block-wise.
      out.push_back(block_masked_mm(at, cot, bs, m.rhs, t_of(m.lhs, s), m.out, s));
    } else if (has_out_mask_ && arg == first_mask) {
      // d mask_out = block sums of cot ⊙ (the product without the output mask).
      array prod = has_operand_mask_ ? block_masked_mm(a, b, bs, std::nullopt, m.lhs, m.rhs, s)
                                     : matmul(a, b, s);
      out.push_back(astype(block_sum(multiply(cot, prod, s), bs, s), p.dtype(), s));
    } else if (arg == lhs_mask) {
      out.push_back(astype(block_sum(multiply(a, grad_a_masked(), s), bs, s), p.dtype(), s));
    } else {
      out.push_back(astype(block_sum(multiply(b, grad_b_masked(), s), bs, s), p.dtype(), s));
    }
  }
  return out;
}

std::vector<array> BlockMaskedMM::jvp(const std::vector<array>& primals,
                                      const std::vector<array>& tangents,
                                      const std::vector<int>& argnums) {
  const Stream& s = stream();
  const int bs = block_size_;
  const Masks m = masks_of(primals, has_out_mask_, has_operand_mask_);
  const int first_mask = 2, lhs_mask = has_out_mask_ ? 3 : 2;
  std::optional<array> total;
  for (size_t k = 0; k < argnums.size(); ++k) {
    const int arg = argnums[k];
    if (arg >= first_mask && !is_floating_point(primals[arg].dtype())) continue;
    array a = arg == 0 ? tangents[k] : primals[0];
    array b = arg == 1 ? tangents[k] : primals[1];
    Masks mt = m;
    if (has_out_mask_ && arg == first_mask) mt.out = tangents[k];
    if (has_operand_mask_ && arg == lhs_mask) mt.lhs = tangents[k];
    if (has_operand_mask_ && arg == lhs_mask + 1) mt.rhs = tangents[k];
    array t = block_masked_mm(a, b, bs, mt.out, mt.lhs, mt.rhs, s);
    total = total ? add(*total, t, s) : t;
  }
  if (total) return {*total};
  Shape out = primals[0].shape();
  out.back() = primals[1].shape(-1);
  return {zeros(out, primals[0].dtype(), s)};
}

std::pair<std::vector<array>, std::vector<int>> BlockMaskedMM::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  const Stream& s = stream();
  int batch = 1;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (axes[i] >= 0) {
      batch = inputs[i].shape()[axes[i]];
      break;
    }
  }
  // The operands carry the batch (the op broadcasts the masks to their batch shape).
  auto operand = [&](int k) {
    array x = rules::batch_to_front(inputs[k], axes[k], s);
    Shape sh = x.shape();
    sh[0] = batch;
    return broadcast_to(x, sh, s);
  };
  std::vector<array> in;
  for (size_t i = 0; i < inputs.size(); ++i)
    in.push_back(i < 2 ? operand(static_cast<int>(i))
                       : rules::batch_to_front(inputs[i], axes[i], s));
  Masks m = masks_of(in, has_out_mask_, has_operand_mask_);
  return {{block_masked_mm(in[0], in[1], block_size_, m.out, m.lhs, m.rhs, s)}, {0}};
}

}  // namespace tandem
