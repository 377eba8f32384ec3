// Copyright © 2026 Tandem authors.
#include "ops/ops_common.h"

namespace tandem {

using detail::fail;

array matmul(const array& a_in, const array& b_in, StreamOrDevice s) {
  if (a_in.ndim() == 0 || b_in.ndim() == 0) {
    fail("matmul", "Got 0-d input(s) with shapes " + shape_to_string(a_in.shape()) + " and " +
                       shape_to_string(b_in.shape()) + "; use multiply for scalars.");
  }
  Dtype t = promote_types(a_in.dtype(), b_in.dtype());
  if (!is_inexact(t)) {
    fail("matmul", "Only floating-point and complex64 inputs are supported; got " +
                       dtype_name(a_in.dtype()) + " and " + dtype_name(b_in.dtype()) + ".");
  }
  array a = astype(a_in, t, s);
  array b = astype(b_in, t, s);
  bool a_vec = a.ndim() == 1, b_vec = b.ndim() == 1;
  if (a_vec) a = reshape(a, {1, a.shape()[0]}, s);
  if (b_vec) b = reshape(b, {b.shape()[0], 1}, s);
  if (a.shape(-1) != b.shape(-2)) {
    fail("matmul", "Last dimension of first input with shape " + shape_to_string(a_in.shape()) +
                       " must match second to last dimension of second input with shape " +
                       shape_to_string(b_in.shape()) + ".");
  }
  Shape ab(a.shape().begin(), a.shape().end() - 2);
  Shape bb(b.shape().begin(), b.shape().end() - 2);
  Shape batch;
  try {
    batch = broadcast_shapes(ab, bb);
  } catch (const std::invalid_argument&) {
    fail("matmul", "Batch dimensions of shapes " + shape_to_string(a_in.shape()) + " and " +
                       shape_to_string(b_in.shape()) + " cannot be broadcast.");
  }
  int M = a.shape(-2), K = a.shape(-1), N = b.shape(-1);
  Shape as = batch, bs = batch, os = batch;
  as.insert(as.end(), {M, K});
  bs.insert(bs.end(), {K, N});
  os.insert(os.end(), {M, N});
  a = broadcast_to(a, as, s);
  b = broadcast_to(b, bs, s);
  array out = detail::make<Matmul>(os, t, {a, b}, to_stream(s));
  if (a_vec) out = squeeze(out, -2, s);
  if (b_vec) out = squeeze(out, -1, s);
  return out;
}

array addmm(array c, array a, array b, const float& alpha, const float& beta, StreamOrDevice s) {
  array prod = matmul(a, b, s);
  if (alpha != 1.f) prod = multiply(prod, array(alpha, prod.dtype()), s);
  if (beta == 0.f) return prod;
  array cc = beta == 1.f ? c : multiply(c, array(beta, c.dtype()), s);
  return add(prod, cc, s);
}

}  // namespace tandem
