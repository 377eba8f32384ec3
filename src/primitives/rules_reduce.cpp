// Copyright © 2026 Tandem authors.
// Derivative and batching rules of Reduce, ArgReduce and Matmul.
#include "primitives/rules_common.h"

namespace tandem {

namespace {

// Batched reductions: the batch axis moves to the front and the reduced axes shift by one.
std::vector<int> shifted(const std::vector<int>& axes) {
  std::vector<int> out;
  for (int a : axes)
    out.push_back(a + 1);
  return out;
}

// Where x equals the (broadcast) extremum, shared evenly among ties.
array extremum_mask(const array& x, const array& out, const std::vector<int>& axes,
                    const Stream& s) {
  array m = astype(equal(x, out, s), x.dtype(), s);
  return divide(m, sum(m, axes, true, s), s);
}

// d prod(x) / dx_i over `axes` (kept with extent 1), the product of the other elements of x_i's
// group, without dividing by zero: prod / x_i in groups without zeros; in groups with exactly one
// zero, the product of the non-zeros at the zero and 0 elsewhere; 0 in groups with more zeros.
array prod_partial(const array& x, const std::vector<int>& axes, const Stream& s) {
  Dtype t = x.dtype();
  array is_zero = equal(x, array(0, t), s);
  array safe = where(is_zero, array(1, t), x, s);
  array zeros_in_group = sum(astype(is_zero, int32, s), axes, true, s);
  array prod_nonzero = prod(safe, axes, true, s);
  array no_zero = divide(prod_nonzero, safe, s);
  array one_zero = where(is_zero, prod_nonzero, array(0, t), s);
  array partial = where(equal(zeros_in_group, array(0), s), no_zero,
                        where(equal(zeros_in_group, array(1), s), one_zero, array(0, t), s), s);
  return astype(partial, t, s);
}

Dtype reduce_out_dtype(ReduceOp op, Dtype t) {
  if (op == ReduceOp::And || op == ReduceOp::Or) return bool_;
  if (op == ReduceOp::Sum || op == ReduceOp::Prod) {
    if (t == bool_ || t == int8 || t == int16) return int32;
    if (t == uint8 || t == uint16) return uint32;
  }
  return t;
}

}  // namespace

std::vector<array> Reduce::vjp(const std::vector<array>& primals, const std::vector<array>& cots,
                               const std::vector<int>&, const std::vector<array>& outputs) {
  const Stream& s = stream();
  const array& x = primals[0];
  array cot = astype(cots[0], x.dtype(), s);
  switch (op_) {
    case ReduceOp::Sum:
      return {broadcast_to(cot, x.shape(), s)};
    case ReduceOp::Prod:
      return {multiply(broadcast_to(cot, x.shape(), s), prod_partial(x, axes_, s), s)};
    case ReduceOp::Max:
    case ReduceOp::Min:
      return {multiply(broadcast_to(cot, x.shape(), s), extremum_mask(x, outputs[0], axes_, s), s)};
    default:
      return {zeros_like(x, s)};
  }
}

std::vector<array> Reduce::jvp(const std::vector<array>& primals,
                               const std::vector<array>& tangents, const std::vector<int>&) {
  const Stream& s = stream();
  const array& x = primals[0];
  const array& t = tangents[0];
  Shape kept = x.shape();
  for (int a : axes_)
    kept[a] = 1;
  switch (op_) {
    case ReduceOp::Sum:
      return {sum(t, axes_, true, s)};
    case ReduceOp::Prod:
      return {sum(multiply(t, prod_partial(x, axes_, s), s), axes_, true, s)};
    case ReduceOp::Max:
    case ReduceOp::Min: {
      array out = op_ == ReduceOp::Max ? max(x, axes_, true, s) : min(x, axes_, true, s);
      return {sum(multiply(t, extremum_mask(x, out, axes_, s), s), axes_, true, s)};
    }
    default:
      return {zeros(kept, bool_, s)};
  }
}

std::pair<std::vector<array>, std::vector<int>> Reduce::vmap(const std::vector<array>& inputs,
                                                             const std::vector<int>& axes) {
  const Stream& s = stream();
  array x = rules::batch_to_front(inputs[0], axes[0], s);
  auto ax = shifted(axes_);
  Shape kept = x.shape();
  for (int a : ax)
    kept[a] = 1;
  return {{detail::make<Reduce>(kept, reduce_out_dtype(op_, x.dtype()), {x}, s, op_, ax)}, {0}};
}

std::vector<array> ArgReduce::vjp(const std::vector<array>& primals, const std::vector<array>&,
                                  const std::vector<int>&, const std::vector<array>&) {
  return {zeros_like(primals[0], stream())};
}

std::vector<array> ArgReduce::jvp(const std::vector<array>& primals, const std::vector<array>&,
                                  const std::vector<int>&) {
  Shape kept = primals[0].shape();
  kept[axis_] = 1;
  return {zeros(kept, uint32, stream())};
}

std::pair<std::vector<array>, std::vector<int>> ArgReduce::vmap(const std::vector<array>& inputs,
                                                                const std::vector<int>& axes) {
  const Stream& s = stream();
  array x = rules::batch_to_front(inputs[0], axes[0], s);
  Shape kept = x.shape();
  kept[axis_ + 1] = 1;
  return {{detail::make<ArgReduce>(kept, uint32, {x}, s, op_, axis_ + 1)}, {0}};
}

std::vector<array> Matmul::vjp(const std::vector<array>& primals, const std::vector<array>& cots,
                               const std::vector<int>& argnums, const std::vector<array>&) {
  const Stream& s = stream();
  const array& cot = cots[0];
  std::vector<array> out;
  for (int a : argnums) {
    if (a == 0) {
      // dA = cot @ B^H
      out.push_back(matmul(cot, conjugate(swapaxes(primals[1], -1, -2, s), s), s));
    } else {
      out.push_back(matmul(conjugate(swapaxes(primals[0], -1, -2, s), s), cot, s));
    }
  }
  return out;
}

std::vector<array> Matmul::jvp(const std::vector<array>& primals,
                               const std::vector<array>& tangents,
                               const std::vector<int>& argnums) {
  const Stream& s = stream();
  std::optional<array> total;
  for (size_t k = 0; k < argnums.size(); ++k) {
    array t =
        argnums[k] == 0 ? matmul(tangents[k], primals[1], s) : matmul(primals[0], tangents[k], s);
    total = total ? add(*total, t, s) : t;
  }
  return {*total};
}

std::pair<std::vector<array>, std::vector<int>> Matmul::vmap(const std::vector<array>& inputs,
                                                             const std::vector<int>& axes) {
  const Stream& s = stream();
  array a = rules::batch_to_front(inputs[0], axes[0], s);
  array b = rules::batch_to_front(inputs[1], axes[1], s);
  return {{matmul(a, b, s)}, {0}};
}

}  // namespace tandem
