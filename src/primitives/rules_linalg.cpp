// Copyright © 2026 Tandem authors.
// Derivative and batching rules of the linear algebra primitives (primitives/linalg.h).
//
// Batching: every primitive works on the last two axes and accepts any leading batch axes, so
// vmap moves the batch axis to the front and applies the op again.
//
// Derivatives (real matrices; X^-T means (X^-1)^T, o is the elementwise product):
//  - Inverse X = A^-1: dX = -X dA X, Abar = -X^T Xbar X^T. Triangular inverses read one triangle,
//    so tangents and gradients are restricted to it.
//  - Solve X = A^-1 B: dX = A^-1 (dB - dA X); Bbar = A^-T Xbar, Abar = -Bbar X^T (triangular:
//    Abar restricted to the triangle read).
//  - Ops that read a symmetric matrix S from one triangle of A (Cholesky, Eigh) first work with
//    S: the tangent is dS = tri(dA) + tri(dA, strict)^T, and a gradient G with respect to S (valid
//    for symmetric perturbations) becomes Abar = tri(G + G^T) - diag(G).
//  - Cholesky S = L L^T: dL = L phi(L^-1 dS L^-T), phi = strict lower part + half the diagonal;
//    G = L^-T phi(L^T Lbar) L^-1. The upper factor U = L^T is handled by transposition.
//  - Eigh S = V diag(w) V^T (distinct eigenvalues): with F_ij = 1 / (w_j - w_i) (0 on the
//    diagonal) and X = V^T dS V: dw = diag(X), dV = V (F o X); G = V (diag(wbar) +
//    F o (V^T Vbar)) V^T.
//  - SVD A = U1 diag(S) V1^T (thin factors, distinct non-zero singular values), F_ij =
//    1 / (s_j^2 - s_i^2), dP = U1^T dA V1: dS = diag(dP), dU1 = U1 (F o (dP S + S dP^T)) +
//    (I - U1 U1^T) dA V1 S^-1, dV1 = V1 (F o (S dP + dP^T S)) + (I - V1 V1^T) dA^T U1 S^-1. The
//    extra columns U2 of the full U (M > K) are any orthonormal basis of the complement; their
//    tangent is taken as the smallest rotation keeping U orthogonal, dU2 = -U1 dU1^T U2 (and the
//    same for V), and the vjp is the exact transpose of that choice.
//  - QR of square or tall A (M >= N): with C = Q^T dA R^-1 and Omega = tril(C, -1) -
//    tril(C, -1)^T: dR = (C - Omega) R, dQ = dA R^-1 - Q (C - Omega); vjp: M = R Rbar^T -
//    Qbar^T Q, Abar = (Qbar + Q copyltu(M)) R^-T with copyltu(M) = tril(M) + tril(M, -1)^T.
//  - LU of square A (A[perm] = L U): with F = L^-1 dA[perm] U^-1: dLU = L tril(F, -1) +
//    triu(F) U; vjp: H = tril(L^T LUbar, -1) + triu(LUbar U^T), Abar[perm] = L^-T H U^-T. The
//    pivots and row indices are integers (zero tangents, cotangents ignored).
//  - Eig (complex eigenvalues of real matrices): not supported; the rules throw.
#include "primitives/linalg.h"

#include "primitives/rules_common.h"
#include "tandem/linalg.h"

namespace tandem {

namespace {

array mT(const array& x, const Stream& s) {
  return swapaxes(x, -1, -2, s);
}
array mm(const array& a, const array& b, const Stream& s) {
  return matmul(a, b, s);
}
array diag_part(const array& x, const Stream& s) {
  return diagonal(x, 0, -2, -1, s);
}
// (..., n) -> (..., n, n) with v on the diagonal.
array diag_embed(const array& v, const Stream& s) {
  int n = v.shape(-1);
  return multiply(expand_dims(v, -1, s), eye(n, n, 0, v.dtype(), s), s);
}
// x diag(v) (scale columns) and diag(v) x (scale rows).
array scale_cols(const array& x, const array& v, const Stream& s) {
  return multiply(x, expand_dims(v, -2, s), s);
}
array scale_rows(const array& x, const array& v, const Stream& s) {
  return multiply(x, expand_dims(v, -1, s), s);
}
// F_ij = 1 / (w_j - w_i) off the diagonal, 0 on it (the diagonal never divides by zero, so the
// rule stays differentiable).
array inv_gaps(const array& w, const Stream& s) {
  int n = w.shape(-1);
  array d = subtract(expand_dims(w, -2, s), expand_dims(w, -1, s), s);
  array on_diag = eye(n, n, 0, bool_, s);
  array safe = where(on_diag, ones({}, w.dtype(), s), d, s);
  return where(on_diag, zeros({}, w.dtype(), s), reciprocal(safe, s), s);
}
array tri_part(const array& x, bool upper, const Stream& s) {
  return upper ? triu(x, 0, s) : tril(x, 0, s);
}
// The symmetric matrix read from the lower (upper) triangle of x.
array sym_from(const array& x, bool upper, const Stream& s) {
  return upper ? add(triu(x, 0, s), mT(triu(x, 1, s), s), s)
               : add(tril(x, 0, s), mT(tril(x, -1, s), s), s);
}
// Gradient with respect to A of an op reading the symmetric matrix S from A's lower (upper)
// triangle, from a gradient g with respect to S.
array sym_grad(const array& g, bool upper, const Stream& s) {
  return subtract(tri_part(add(g, mT(g, s), s), upper, s), diag_embed(diag_part(g, s), s), s);
}
array tsolve(const array& a, const array& b, bool upper, const Stream& s) {
  return linalg::solve_triangular(a, b, upper, s);
}
// x T^-1 for triangular T (upper or lower).
array right_tsolve(const array& x, const array& t, bool upper, const Stream& s) {
  return mT(tsolve(mT(t, s), mT(x, s), !upper, s), s);
}
// Rows [0, rows) x columns [c0, c1) of the last two axes.
array cols(const array& x, int c0, int c1, const Stream& s) {
  Shape start(x.ndim(), 0), stop = x.shape();
  start.back() = c0;
  stop.back() = c1;
  return slice(x, start, stop, s);
}

// Both inputs of a two-input primitive with the batch axis in front and the same batch size.
std::pair<array, array> batch_both(const std::vector<array>& inputs, const std::vector<int>& axes,
                                   const Stream& s) {
  int b = axes[0] >= 0 ? inputs[0].shape(axes[0]) : inputs[1].shape(axes[1]);
  auto front = [&](int k) {
    array x = rules::batch_to_front(inputs[k], axes[k], s);
    if (axes[k] < 0) {
      Shape sh = x.shape();
      sh[0] = b;
      x = broadcast_to(x, sh, s);
    }
    return x;
  };
  return {front(0), front(1)};
}

// phi(X): strict lower triangle plus half the diagonal.
array phi(const array& x, const Stream& s) {
  return add(tril(x, -1, s), multiply(diag_embed(diag_part(x, s), s), array(0.5, x.dtype()), s), s);
}

// Cholesky vjp for the lower factor: the gradient G with respect to S = L L^T.
array cholesky_sym_grad(const array& l, const array& lbar, const Stream& s) {
  array p = phi(mm(mT(l, s), lbar, s), s);
  array y = tsolve(mT(l, s), p, true, s);  // L^-T P
  return right_tsolve(y, l, false, s);     // L^-T P L^-1
}

// Rows of x gathered by idx (..., n) uint32: out[..., i, :] = x[..., idx[i], :].
array take_rows(const array& x, const array& idx, const Stream& s) {
  return take_along_axis(x, broadcast_to(expand_dims(idx, -1, s), x.shape(), s), -2, s);
}

}  // namespace

// ---------------- Inverse ----------------

std::vector<array> Inverse::vjp(const std::vector<array>&, const std::vector<array>& cots,
                                const std::vector<int>&, const std::vector<array>& outputs) {
  const Stream& s = stream();
  array xt = mT(outputs[0], s);
  array g = negative(mm(mm(xt, cots[0], s), xt, s), s);
  return {tri_ ? tri_part(g, upper_, s) : g};
}
std::vector<array> Inverse::jvp(const std::vector<array>& primals,
                                const std::vector<array>& tangents, const std::vector<int>&) {
  const Stream& s = stream();
  array x = tri_ ? linalg::tri_inv(primals[0], upper_, s) : linalg::inv(primals[0], s);
  array t = tri_ ? tri_part(tangents[0], upper_, s) : tangents[0];
  return {negative(mm(mm(x, t, s), x, s), s)};
}
std::pair<std::vector<array>, std::vector<int>> Inverse::vmap(const std::vector<array>& inputs,
                                                              const std::vector<int>& axes) {
  const Stream& s = stream();
  array x = rules::batch_to_front(inputs[0], axes[0], s);
  return {{tri_ ? linalg::tri_inv(x, upper_, s) : linalg::inv(x, s)}, {0}};
}

// ---------------- Cholesky ----------------

std::vector<array> Cholesky::vjp(const std::vector<array>&, const std::vector<array>& cots,
                                 const std::vector<int>&, const std::vector<array>& outputs) {
  const Stream& s = stream();
  // S = L L^T with L = the output (lower) or its transpose (upper: S = U^T U).
  array l = upper_ ? mT(outputs[0], s) : outputs[0];
  array lbar = upper_ ? mT(cots[0], s) : cots[0];
  return {sym_grad(cholesky_sym_grad(l, lbar, s), upper_, s)};
}
std::vector<array> Cholesky::jvp(const std::vector<array>& primals,
                                 const std::vector<array>& tangents, const std::vector<int>&) {
  const Stream& s = stream();
  array f = linalg::cholesky(primals[0], upper_, s);
  array l = upper_ ? mT(f, s) : f;
  array ds = sym_from(tangents[0], upper_, s);
  array z = tsolve(l, ds, false, s);                  // L^-1 dS
  array phi_in = right_tsolve(z, mT(l, s), true, s);  // L^-1 dS L^-T
  array dl = mm(l, phi(phi_in, s), s);
  return {upper_ ? mT(dl, s) : dl};
}
std::pair<std::vector<array>, std::vector<int>> Cholesky::vmap(const std::vector<array>& inputs,
                                                               const std::vector<int>& axes) {
  const Stream& s = stream();
  array x = rules::batch_to_front(inputs[0], axes[0], s);
  return {{linalg::cholesky(x, upper_, s)}, {0}};
}

// ---------------- QRF ----------------

namespace {
void check_qr_shape(const array& a, const char* rule) {
  if (a.shape(-2) < a.shape(-1)) {
    throw std::invalid_argument(std::string("[") + rule +
                                "] Derivatives of the QR factorisation are only supported for "
                                "square or tall matrices (M >= N), got shape " +
                                shape_to_string(a.shape()) + ".");
  }
}
}  // namespace

std::vector<array> QRF::vjp(const std::vector<array>& primals, const std::vector<array>& cots,
                            const std::vector<int>&, const std::vector<array>& outputs) {
  const Stream& s = stream();
  check_qr_shape(primals[0], "QRF::vjp");
  const array &q = outputs[0], &r = outputs[1];
  const array &qbar = cots[0], &rbar = cots[1];
  array m = subtract(mm(r, mT(rbar, s), s), mm(mT(qbar, s), q, s), s);
  array copyltu = add(tril(m, 0, s), mT(tril(m, -1, s), s), s);
  array b = add(qbar, mm(q, copyltu, s), s);
  return {right_tsolve(b, mT(r, s), false, s)};  // B R^-T
}
std::vector<array> QRF::jvp(const std::vector<array>& primals, const std::vector<array>& tangents,
                            const std::vector<int>&) {
  const Stream& s = stream();
  check_qr_shape(primals[0], "QRF::jvp");
  auto [q, r] = linalg::qr(primals[0], s);
  array d = right_tsolve(tangents[0], r, true, s);  // dA R^-1
  array c = mm(mT(q, s), d, s);
  array low = tril(c, -1, s);
  array c_minus_omega = add(triu(c, 0, s), mT(low, s), s);  // C - (low - low^T)
  array dr = mm(c_minus_omega, r, s);
  array dq = subtract(d, mm(q, c_minus_omega, s), s);
  return {dq, dr};
}
std::pair<std::vector<array>, std::vector<int>> QRF::vmap(const std::vector<array>& inputs,
                                                          const std::vector<int>& axes) {
  const Stream& s = stream();
  array x = rules::batch_to_front(inputs[0], axes[0], s);
  auto [q, r] = linalg::qr(x, s);
  return {{q, r}, {0, 0}};
}

// ---------------- SVD ----------------

std::vector<array> SVD::vjp(const std::vector<array>& primals, const std::vector<array>& cots,
                            const std::vector<int>&, const std::vector<array>& outputs) {
  const Stream& s = stream();
  const array& a = primals[0];
  int m = a.shape(-2), n = a.shape(-1), k = std::min(m, n);
  if (k == 0) return {zeros_like(a, s)};
  std::vector<array> usv = compute_uv_ ? outputs : linalg::svd(a, true, s);
  const array &u = usv[0], &sv = usv[1];
  array v = mT(usv[2], s);
  array u1 = cols(u, 0, k, s), v1 = cols(v, 0, k, s);
  array sbar = compute_uv_ ? cots[1] : cots[0];
  array g = mm(scale_cols(u1, sbar, s), mT(v1, s), s);
  if (!compute_uv_) return {g};

  // Effective cotangents of the thin factors (see the file comment on U2, V2).
  array ubar1 = cols(cots[0], 0, k, s);
  if (m > k) {
    array u2 = cols(u, k, m, s), ubar2 = cols(cots[0], k, m, s);
    ubar1 = subtract(ubar1, mm(mm(u2, mT(ubar2, s), s), u1, s), s);
  }
  array vbar = mT(cots[2], s);
  array vbar1 = cols(vbar, 0, k, s);
  if (n > k) {
    array v2 = cols(v, k, n, s), vbar2 = cols(vbar, k, n, s);
    vbar1 = subtract(vbar1, mm(mm(v2, mT(vbar2, s), s), v1, s), s);
  }
  array f = inv_gaps(square(sv, s), s);
  array utu = mm(mT(u1, s), ubar1, s), vtv = mm(mT(v1, s), vbar1, s);
  array ju = multiply(f, utu, s), jv = multiply(f, vtv, s);
  array z =
      add(scale_cols(add(ju, mT(ju, s), s), sv, s), scale_rows(add(jv, mT(jv, s), s), sv, s), s);
  g = add(g, mm(mm(u1, z, s), mT(v1, s), s), s);
  if (m > k || n > k) {
    array sinv = reciprocal(sv, s);
    if (m > k) {
      array perp = subtract(ubar1, mm(u1, utu, s), s);  // (I - U1 U1^T) Ubar1
      g = add(g, mm(scale_cols(perp, sinv, s), mT(v1, s), s), s);
    }
    if (n > k) {
      array perp = subtract(vbar1, mm(v1, vtv, s), s);  // (I - V1 V1^T) Vbar1
      g = add(g, mm(scale_cols(u1, sinv, s), mT(perp, s), s), s);
    }
  }
  return {g};
}

std::vector<array> SVD::jvp(const std::vector<array>& primals, const std::vector<array>& tangents,
                            const std::vector<int>&) {
  const Stream& s = stream();
  const array& a = primals[0];
  const array& da = tangents[0];
  int m = a.shape(-2), n = a.shape(-1), k = std::min(m, n);
  auto usv = linalg::svd(a, true, s);
  if (k == 0) {
    std::vector<array> z;
    for (auto& o : usv)
      z.push_back(zeros_like(o, s));
    if (!compute_uv_) return {z[1]};
    return z;
  }
  const array &u = usv[0], &sv = usv[1];
  array v = mT(usv[2], s);
  array u1 = cols(u, 0, k, s), v1 = cols(v, 0, k, s);
  array dp = mm(mm(mT(u1, s), da, s), v1, s);
  array ds = diag_part(dp, s);
  if (!compute_uv_) return {ds};

  array f = inv_gaps(square(sv, s), s);
  array dpt = mT(dp, s);
  array omega_u = multiply(f, add(scale_cols(dp, sv, s), scale_rows(dpt, sv, s), s), s);
  array omega_v = multiply(f, add(scale_rows(dp, sv, s), scale_cols(dpt, sv, s), s), s);
  array du1 = mm(u1, omega_u, s);
  array dv1 = mm(v1, omega_v, s);
  if (m > k || n > k) {
    array sinv = reciprocal(sv, s);
    if (m > k) {
      du1 = add(du1, scale_cols(subtract(mm(da, v1, s), mm(u1, dp, s), s), sinv, s), s);
    }
    if (n > k) {
      dv1 = add(dv1, scale_cols(subtract(mm(mT(da, s), u1, s), mm(v1, dpt, s), s), sinv, s), s);
    }
  }
  // Complete the tangents of the full factors: dX2 = -X1 dX1^T X2.
  auto complete = [&](const array& x, const array& dx1, int rows) {
    if (rows == k) return dx1;
    array x1 = cols(x, 0, k, s), x2 = cols(x, k, rows, s);
    array dx2 = negative(mm(x1, mm(mT(dx1, s), x2, s), s), s);
    return concatenate({dx1, dx2}, -1, s);
  };
  return {complete(u, du1, m), ds, mT(complete(v, dv1, n), s)};
}

std::pair<std::vector<array>, std::vector<int>> SVD::vmap(const std::vector<array>& inputs,
                                                          const std::vector<int>& axes) {
  const Stream& s = stream();
  array x = rules::batch_to_front(inputs[0], axes[0], s);
  auto out = linalg::svd(x, compute_uv_, s);
  return {out, std::vector<int>(out.size(), 0)};
}

// ---------------- Eigh ----------------

std::vector<array> Eigh::vjp(const std::vector<array>& primals, const std::vector<array>& cots,
                             const std::vector<int>&, const std::vector<array>& outputs) {
  const Stream& s = stream();
  const array& a = primals[0];
  if (a.shape(-1) == 0) return {zeros_like(a, s)};
  array w = outputs[0], v = outputs.size() > 1 ? outputs[1] : outputs[0];
  if (!compute_eigenvectors_) {
    auto wv = linalg::eigh(a, std::string(1, uplo_), s);
    w = wv.first;
    v = wv.second;
  }
  array inner = diag_embed(cots[0], s);
  if (compute_eigenvectors_) {
    inner = add(inner, multiply(inv_gaps(w, s), mm(mT(v, s), cots[1], s), s), s);
  }
  array g = mm(mm(v, inner, s), mT(v, s), s);
  return {sym_grad(g, uplo_ == 'U', s)};
}
std::vector<array> Eigh::jvp(const std::vector<array>& primals, const std::vector<array>& tangents,
                             const std::vector<int>&) {
  const Stream& s = stream();
  auto [w, v] = linalg::eigh(primals[0], std::string(1, uplo_), s);
  array ds = sym_from(tangents[0], uplo_ == 'U', s);
  array x = mm(mm(mT(v, s), ds, s), v, s);
  array dw = diag_part(x, s);
  if (!compute_eigenvectors_) return {dw};
  return {dw, mm(v, multiply(inv_gaps(w, s), x, s), s)};
}
std::pair<std::vector<array>, std::vector<int>> Eigh::vmap(const std::vector<array>& inputs,
                                                           const std::vector<int>& axes) {
  const Stream& s = stream();
  array x = rules::batch_to_front(inputs[0], axes[0], s);
  if (!compute_eigenvectors_) return {{linalg::eigvalsh(x, std::string(1, uplo_), s)}, {0}};
  auto [w, v] = linalg::eigh(x, std::string(1, uplo_), s);
  return {{w, v}, {0, 0}};
}

// ---------------- Eig ----------------

std::vector<array> Eig::vjp(const std::vector<array>&, const std::vector<array>&,
                            const std::vector<int>&, const std::vector<array>&) {
  throw std::invalid_argument(
      "[Eig::vjp] Derivatives of eig and eigvals are not supported (use eigh for symmetric "
      "matrices).");
}
std::vector<array> Eig::jvp(const std::vector<array>&, const std::vector<array>&,
                            const std::vector<int>&) {
  throw std::invalid_argument(
      "[Eig::jvp] Derivatives of eig and eigvals are not supported (use eigh for symmetric "
      "matrices).");
}
std::pair<std::vector<array>, std::vector<int>> Eig::vmap(const std::vector<array>& inputs,
                                                          const std::vector<int>& axes) {
  const Stream& s = stream();
  array x = rules::batch_to_front(inputs[0], axes[0], s);
  if (!compute_eigenvectors_) return {{linalg::eigvals(x, s)}, {0}};
  auto [w, v] = linalg::eig(x, s);
  return {{w, v}, {0, 0}};
}

// ---------------- LUF ----------------

namespace {
void check_lu_shape(const array& a, const char* rule) {
  if (a.shape(-2) != a.shape(-1)) {
    throw std::invalid_argument(std::string("[") + rule +
                                "] Derivatives of the LU factorisation are only supported for "
                                "square matrices, got shape " +
                                shape_to_string(a.shape()) + ".");
  }
}
// The unit lower and upper factors of packed square LU.
std::pair<array, array> unpack_lu(const array& lu, const Stream& s) {
  int n = lu.shape(-1);
  return {add(tril(lu, -1, s), eye(n, n, 0, lu.dtype(), s), s), triu(lu, 0, s)};
}
}  // namespace

std::vector<array> LUF::vjp(const std::vector<array>& primals, const std::vector<array>& cots,
                            const std::vector<int>&, const std::vector<array>& outputs) {
  const Stream& s = stream();
  check_lu_shape(primals[0], "LUF::vjp");
  auto [l, u] = unpack_lu(outputs[0], s);
  const array& c = cots[0];
  array h = add(tril(mm(mT(l, s), c, s), -1, s), triu(mm(c, mT(u, s), s), 0, s), s);
  array w = tsolve(mT(l, s), h, true, s);          // L^-T H
  array gp = right_tsolve(w, mT(u, s), false, s);  // L^-T H U^-T
  return {take_rows(gp, outputs[2], s)};
}
std::vector<array> LUF::jvp(const std::vector<array>& primals, const std::vector<array>& tangents,
                            const std::vector<int>&) {
  const Stream& s = stream();
  check_lu_shape(primals[0], "LUF::jvp");
  auto f = detail::lu_factor_all(primals[0], s);
  auto [l, u] = unpack_lu(f[0], s);
  array dap = take_rows(tangents[0], argsort(f[2], -1, s), s);  // dA[perm]
  array y = tsolve(l, dap, false, s);                           // L^-1 dA[perm]
  array fm = right_tsolve(y, u, true, s);                       // ... U^-1
  array dlu = add(mm(l, tril(fm, -1, s), s), mm(triu(fm, 0, s), u, s), s);
  return {dlu, zeros_like(f[1], s), zeros_like(f[2], s)};
}
std::pair<std::vector<array>, std::vector<int>> LUF::vmap(const std::vector<array>& inputs,
                                                          const std::vector<int>& axes) {
  const Stream& s = stream();
  array x = rules::batch_to_front(inputs[0], axes[0], s);
  return {detail::lu_factor_all(x, s), {0, 0, 0}};
}

// ---------------- Solve, SolveTriangular ----------------

std::vector<array> Solve::vjp(const std::vector<array>& primals, const std::vector<array>& cots,
                              const std::vector<int>& argnums, const std::vector<array>& outputs) {
  const Stream& s = stream();
  array gb = linalg::solve(mT(primals[0], s), cots[0], s);
  std::vector<array> out;
  for (int a : argnums)
    out.push_back(a == 0 ? negative(mm(gb, mT(outputs[0], s), s), s) : gb);
  return out;
}
std::vector<array> Solve::jvp(const std::vector<array>& primals, const std::vector<array>& tangents,
                              const std::vector<int>& argnums) {
  const Stream& s = stream();
  const array &a = primals[0], &b = primals[1];
  std::optional<array> rhs;
  for (size_t k = 0; k < argnums.size(); ++k) {
    array term =
        argnums[k] == 1 ? tangents[k] : negative(mm(tangents[k], linalg::solve(a, b, s), s), s);
    rhs = rhs ? add(*rhs, term, s) : term;
  }
  return {linalg::solve(a, *rhs, s)};
}
std::pair<std::vector<array>, std::vector<int>> Solve::vmap(const std::vector<array>& inputs,
                                                            const std::vector<int>& axes) {
  const Stream& s = stream();
  auto [a, b] = batch_both(inputs, axes, s);
  return {{linalg::solve(a, b, s)}, {0}};
}

std::vector<array> SolveTriangular::vjp(const std::vector<array>& primals,
                                        const std::vector<array>& cots,
                                        const std::vector<int>& argnums,
                                        const std::vector<array>& outputs) {
  const Stream& s = stream();
  array gb = tsolve(mT(primals[0], s), cots[0], !upper_, s);
  std::vector<array> out;
  for (int a : argnums) {
    out.push_back(a == 0 ? tri_part(negative(mm(gb, mT(outputs[0], s), s), s), upper_, s) : gb);
  }
  return out;
}
std::vector<array> SolveTriangular::jvp(const std::vector<array>& primals,
                                        const std::vector<array>& tangents,
                                        const std::vector<int>& argnums) {
  const Stream& s = stream();
  const array &a = primals[0], &b = primals[1];
  std::optional<array> rhs;
  for (size_t k = 0; k < argnums.size(); ++k) {
    array term =
        argnums[k] == 1
            ? tangents[k]
            : negative(mm(tri_part(tangents[k], upper_, s), tsolve(a, b, upper_, s), s), s);
    rhs = rhs ? add(*rhs, term, s) : term;
  }
  return {tsolve(a, *rhs, upper_, s)};
}
std::pair<std::vector<array>, std::vector<int>> SolveTriangular::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  const Stream& s = stream();
  auto [a, b] = batch_both(inputs, axes, s);
  return {{tsolve(a, b, upper_, s)}, {0}};
}

}  // namespace tandem
