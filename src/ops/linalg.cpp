// Copyright © 2026 Tandem authors.
// Linear algebra op functions (include/tandem/linalg.h): argument checks and dtype rules, then
// Inverse / Cholesky / QRF / SVD / Eigh / Eig / LUF / Solve / SolveTriangular nodes
// (primitives/linalg.h), or compositions: norm, pinv, cholesky_inv, lu, det, slogdet, cross.
#include "tandem/linalg.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
#include <sstream>

#include "ops/ops_common.h"
#include "primitives/linalg.h"

namespace tandem {

using detail::fail;

// ---------------- primitive names, shapes and equivalence ----------------

std::string Inverse::name() const {
  if (!tri_) return "Inverse";
  return upper_ ? "TriInverse(upper)" : "TriInverse";
}
bool Inverse::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const Inverse*>(&other);
  return o && o->tri_ == tri_ && o->upper_ == upper_;
}
bool Cholesky::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const Cholesky*>(&other);
  return o && o->upper_ == upper_;
}
bool SVD::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const SVD*>(&other);
  return o && o->compute_uv_ == compute_uv_;
}
std::string Eigh::name() const {
  std::string n = compute_eigenvectors_ ? "Eigh(" : "Eigh(values, ";
  return n + uplo_ + ")";
}
bool Eigh::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const Eigh*>(&other);
  return o && o->uplo_ == uplo_ && o->compute_eigenvectors_ == compute_eigenvectors_;
}
bool Eig::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const Eig*>(&other);
  return o && o->compute_eigenvectors_ == compute_eigenvectors_;
}
bool SolveTriangular::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const SolveTriangular*>(&other);
  return o && o->upper_ == upper_;
}

namespace {

// The shape with the last two extents replaced by (r, c).
Shape with_matrix(const Shape& s, int r, int c) {
  Shape out(s.begin(), s.end() - 2);
  out.push_back(r);
  out.push_back(c);
  return out;
}
// The shape without its last `k` extents, then `tail` appended.
Shape batch_plus(const Shape& s, int k, std::initializer_list<int> tail) {
  Shape out(s.begin(), s.end() - k);
  out.insert(out.end(), tail.begin(), tail.end());
  return out;
}

}  // namespace

std::vector<Shape> QRF::output_shapes(const std::vector<array>& inputs) {
  const Shape& s = inputs[0].shape();
  int m = s[s.size() - 2], n = s[s.size() - 1], k = std::min(m, n);
  return {with_matrix(s, m, k), with_matrix(s, k, n)};
}
std::vector<Shape> SVD::output_shapes(const std::vector<array>& inputs) {
  const Shape& s = inputs[0].shape();
  int m = s[s.size() - 2], n = s[s.size() - 1];
  Shape sv = batch_plus(s, 2, {std::min(m, n)});
  if (!compute_uv_) return {sv};
  return {with_matrix(s, m, m), sv, with_matrix(s, n, n)};
}
std::vector<Shape> Eigh::output_shapes(const std::vector<array>& inputs) {
  const Shape& s = inputs[0].shape();
  Shape w = batch_plus(s, 1, {});
  if (!compute_eigenvectors_) return {w};
  return {w, s};
}
std::vector<Shape> Eig::output_shapes(const std::vector<array>& inputs) {
  const Shape& s = inputs[0].shape();
  Shape w = batch_plus(s, 1, {});
  if (!compute_eigenvectors_) return {w};
  return {w, s};
}
std::vector<Shape> LUF::output_shapes(const std::vector<array>& inputs) {
  const Shape& s = inputs[0].shape();
  int m = s[s.size() - 2], n = s[s.size() - 1];
  return {s, batch_plus(s, 2, {std::min(m, n)}), batch_plus(s, 1, {})};
}

namespace detail {
std::vector<array> lu_factor_all(const array& a, StreamOrDevice s) {
  auto p = std::make_shared<LUF>(to_stream(s));
  auto shapes = p->output_shapes({a});
  return array::make_arrays(std::move(shapes), {a.dtype(), uint32, uint32}, p, {a});
}
}  // namespace detail

namespace linalg {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

void check_float(const array& a, const char* op) {
  if (a.dtype() != float32 && a.dtype() != float64) {
    fail(op, "Arrays must have type float32 or float64, got " + dtype_name(a.dtype()) + ".");
  }
}
void check_matrix(const array& a, const char* op) {
  if (a.ndim() < 2) {
    fail(op,
         "Arrays must have at least 2 dimensions, got shape " + shape_to_string(a.shape()) + ".");
  }
}
void check_square(const array& a, const char* op) {
  check_matrix(a, op);
  if (a.shape(-1) != a.shape(-2)) {
    fail(op, "Matrices must be square, got shape " + shape_to_string(a.shape()) + ".");
  }
}
// float32/float64, >= 2 dimensions, and square when asked.
void check_linalg_input(const array& a, const char* op, bool square) {
  check_float(a, op);
  if (square) {
    check_square(a, op);
  } else {
    check_matrix(a, op);
  }
}

array mT(const array& a, const Stream& s) {
  return swapaxes(a, -1, -2, s);
}

// Columns [c0, c1) and rows [r0, r1) of the last two axes.
array sub_matrix(const array& a, int r0, int r1, int c0, int c1, const Stream& s) {
  Shape start(a.ndim(), 0), stop = a.shape();
  start[a.ndim() - 2] = r0;
  stop[a.ndim() - 2] = r1;
  start[a.ndim() - 1] = c0;
  stop[a.ndim() - 1] = c1;
  return slice(a, start, stop, s);
}

// ---------------- norm ----------------

// Integers and bool compute in float32; |x| of complex64 is float32, so norms are real.
array as_inexact(const array& a, const Stream& s) {
  return astype(a, detail::at_least_float(a.dtype()), s);
}

array vector_norm(const array& a, double ord, const std::vector<int>& axes, bool keepdims,
                  const Stream& s) {
  array x = as_inexact(a, s);
  if (ord == 2.0) {
    array sq = is_complex(x.dtype()) ? square(abs(x, s), s) : square(x, s);
    return sqrt(sum(sq, axes, keepdims, s), s);
  }
  array ax = abs(x, s);
  if (ord == 0.0) {
    return astype(sum(not_equal(x, zeros({}, x.dtype(), s), s), axes, keepdims, s), ax.dtype(), s);
  }
  if (ord == 1.0) return sum(ax, axes, keepdims, s);
  if (ord == kInf) return max(ax, axes, keepdims, s);
  if (ord == -kInf) return min(ax, axes, keepdims, s);
  if (std::isnan(ord)) fail("linalg::norm", "Invalid ord nan for vector norm.");
  array p = array(ord, ax.dtype());
  array r = array(1.0 / ord, ax.dtype());
  return power(sum(power(ax, p, s), axes, keepdims, s), r, s);
}

// Singular values of the matrices in axes (r, c) (moved to the end), reduced by `reduce`.
array singular_value_norm(const array& x, int r, int c, bool keepdims,
                          const std::function<array(const array&)>& reduce, const Stream& s) {
  std::vector<int> perm;
  for (int d = 0; d < x.ndim(); ++d) {
    if (d != r && d != c) perm.push_back(d);
  }
  perm.push_back(r);
  perm.push_back(c);
  array m = transpose(x, perm, s);
  if (m.dtype() != float32 && m.dtype() != float64) {
    fail("linalg::norm",
         "Singular-value norms need float32 or float64 input, got " + dtype_name(x.dtype()) + ".");
  }
  array out = reduce(svd(m, false, s)[0]);
  if (keepdims) out = expand_dims(out, {std::min(r, c), std::max(r, c)}, s);
  return out;
}

array matrix_norm(const array& a, double ord, int r, int c, bool keepdims, const Stream& s) {
  array x = as_inexact(a, s);
  auto two_step = [&](int inner, int outer, bool take_max) {
    array t = sum(abs(x, s), inner, true, s);
    t = take_max ? max(t, outer, true, s) : min(t, outer, true, s);
    return keepdims ? t : squeeze(t, {std::min(r, c), std::max(r, c)}, s);
  };
  if (ord == 1.0) return two_step(r, c, true);
  if (ord == -1.0) return two_step(r, c, false);
  if (ord == kInf) return two_step(c, r, true);
  if (ord == -kInf) return two_step(c, r, false);
  if (ord == 2.0 || ord == -2.0) {
    return singular_value_norm(
        x, r, c, keepdims,
        [&](const array& sv) { return ord > 0 ? max(sv, -1, false, s) : min(sv, -1, false, s); },
        s);
  }
  std::ostringstream os;
  os << "Invalid ord " << ord << " for matrix norm (use 1, -1, 2, -2, inf, -inf, 'fro' or 'nuc').";
  fail("linalg::norm", os.str());
}

array matrix_norm(const array& a, const std::string& ord, int r, int c, bool keepdims,
                  const Stream& s) {
  if (ord == "fro" || ord == "f") return vector_norm(a, 2.0, {r, c}, keepdims, s);
  if (ord == "nuc") {
    return singular_value_norm(
        as_inexact(a, s), r, c, keepdims, [&](const array& sv) { return sum(sv, -1, false, s); },
        s);
  }
  fail("linalg::norm", "Invalid ord '" + ord + "' for matrix norm (use 'fro' or 'nuc').");
}

// The axes of a norm: given ones normalised (and checked), or those of a 1-D / 2-D input.
std::vector<int> norm_axes(const array& a, const std::optional<std::vector<int>>& axis) {
  std::vector<int> ax;
  if (axis) {
    ax = detail::normalize_axes(*axis, a.ndim(), "linalg::norm");
  } else {
    if (a.ndim() != 1 && a.ndim() != 2) {
      fail("linalg::norm", "Without axis, ord norms need a 1-D or 2-D input, got shape " +
                               shape_to_string(a.shape()) + ".");
    }
    ax.resize(a.ndim());
    std::iota(ax.begin(), ax.end(), 0);
  }
  if (ax.empty() || ax.size() > 2) {
    fail("linalg::norm", "Norms take 1 or 2 axes, got " + std::to_string(ax.size()) +
                             " for shape " + shape_to_string(a.shape()) + ".");
  }
  return ax;
}

}  // namespace

array norm(const array& a, double ord, const std::optional<std::vector<int>>& axis, bool keepdims,
           StreamOrDevice s_) {
  Stream s = to_stream(s_);
  auto ax = norm_axes(a, axis);
  if (ax.size() == 1) return vector_norm(a, ord, ax, keepdims, s);
  return matrix_norm(a, ord, ax[0], ax[1], keepdims, s);
}
array norm(const array& a, double ord, int axis, bool keepdims, StreamOrDevice s) {
  return norm(a, ord, std::vector<int>{axis}, keepdims, s);
}

array norm(const array& a, const std::string& ord, const std::optional<std::vector<int>>& axis,
           bool keepdims, StreamOrDevice s_) {
  Stream s = to_stream(s_);
  auto ax = norm_axes(a, axis);
  if (ax.size() != 2) {
    fail("linalg::norm", "Norm '" + ord + "' is only defined for matrices (2 axes), got " +
                             std::to_string(ax.size()) + " axis.");
  }
  return matrix_norm(a, ord, ax[0], ax[1], keepdims, s);
}
array norm(const array& a, const std::string& ord, int axis, bool keepdims, StreamOrDevice s) {
  return norm(a, ord, std::vector<int>{axis}, keepdims, s);
}

array norm(const array& a, const std::optional<std::vector<int>>& axis, bool keepdims,
           StreamOrDevice s_) {
  Stream s = to_stream(s_);
  std::vector<int> ax;
  if (axis) {
    ax = detail::normalize_axes(*axis, a.ndim(), "linalg::norm");
    if (ax.size() > 2) {
      fail("linalg::norm", "Norms take at most 2 axes, got " + std::to_string(ax.size()) + ".");
    }
  } else {
    ax.resize(a.ndim());
    std::iota(ax.begin(), ax.end(), 0);
  }
  return vector_norm(a, 2.0, ax, keepdims, s);
}
array norm(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return norm(a, std::vector<int>{axis}, keepdims, s);
}

// ---------------- factorisations ----------------

std::pair<array, array> qr(const array& a, StreamOrDevice s) {
  check_linalg_input(a, "linalg::qr", false);
  auto p = std::make_shared<QRF>(to_stream(s));
  auto out = array::make_arrays(p->output_shapes({a}), {a.dtype(), a.dtype()}, p, {a});
  return {out[0], out[1]};
}

std::vector<array> svd(const array& a, bool compute_uv, StreamOrDevice s) {
  check_linalg_input(a, "linalg::svd", false);
  auto p = std::make_shared<SVD>(to_stream(s), compute_uv);
  auto shapes = p->output_shapes({a});
  std::vector<Dtype> dtypes(shapes.size(), a.dtype());
  return array::make_arrays(std::move(shapes), dtypes, p, {a});
}

array inv(const array& a, StreamOrDevice s) {
  check_linalg_input(a, "linalg::inv", true);
  return detail::make<Inverse>(a.shape(), a.dtype(), {a}, to_stream(s), false, false);
}

array tri_inv(const array& a, bool upper, StreamOrDevice s) {
  check_linalg_input(a, "linalg::tri_inv", true);
  return detail::make<Inverse>(a.shape(), a.dtype(), {a}, to_stream(s), true, upper);
}

array cholesky(const array& a, bool upper, StreamOrDevice s) {
  check_linalg_input(a, "linalg::cholesky", true);
  return detail::make<Cholesky>(a.shape(), a.dtype(), {a}, to_stream(s), upper);
}

array pinv(const array& a, StreamOrDevice s_) {
  check_linalg_input(a, "linalg::pinv", false);
  Stream s = to_stream(s_);
  int m = a.shape(-2), n = a.shape(-1), k = std::min(m, n);
  if (k == 0) return zeros(with_matrix(a.shape(), n, m), a.dtype(), s);
  auto usv = svd(a, true, s);
  array u = sub_matrix(usv[0], 0, m, 0, k, s);   // (..., M, K)
  array vt = sub_matrix(usv[2], 0, k, 0, n, s);  // (..., K, N)
  array sv = usv[1];                             // (..., K)
  double eps = a.dtype() == float64 ? std::numeric_limits<double>::epsilon()
                                    : std::numeric_limits<float>::epsilon();
  array cutoff = multiply(array(std::max(m, n) * eps, a.dtype()), max(sv, -1, true, s), s);
  array keep = greater(sv, cutoff, s);
  array one = ones({}, a.dtype(), s);
  array rs = where(keep, reciprocal(where(keep, sv, one, s), s), zeros({}, a.dtype(), s), s);
  // V diag(1/S) U^T.
  return matmul(multiply(mT(vt, s), expand_dims(rs, -2, s), s), mT(u, s), s);
}

array cholesky_inv(const array& L, bool upper, StreamOrDevice s_) {
  check_linalg_input(L, "linalg::cholesky_inv", true);
  Stream s = to_stream(s_);
  array li = tri_inv(L, upper, s);
  return upper ? matmul(li, mT(li, s), s) : matmul(mT(li, s), li, s);
}

std::vector<array> lu(const array& a, StreamOrDevice s_) {
  check_linalg_input(a, "linalg::lu", false);
  Stream s = to_stream(s_);
  auto f = detail::lu_factor_all(a, s);
  int m = a.shape(-2), n = a.shape(-1), k = std::min(m, n);
  array l = add(sub_matrix(tril(f[0], -1, s), 0, m, 0, k, s), eye(m, k, 0, a.dtype(), s), s);
  array u = sub_matrix(triu(f[0], 0, s), 0, k, 0, n, s);
  return {f[2], l, u};
}

std::pair<array, array> lu_factor(const array& a, StreamOrDevice s) {
  check_linalg_input(a, "linalg::lu_factor", false);
  auto f = detail::lu_factor_all(a, s);
  return {f[0], f[1]};
}

// ---------------- solves ----------------

namespace {

// Checks, promotes and broadcasts (a, b) to the primitive form a (B..., N, N), b (B..., N, K);
// returns whether b was a vector (the result is then squeezed).
bool prepare_solve(array& a, array& b, const char* op, const Stream& s) {
  check_square(a, op);
  if (b.ndim() < 1) {
    fail(op, "The right-hand side must have at least 1 dimension, got shape " +
                 shape_to_string(b.shape()) + ".");
  }
  int n = a.shape(-1);
  bool vec = b.ndim() == 1;
  int bn = vec ? b.shape(-1) : b.shape(-2);
  if (bn != n) {
    fail(op, "The matrix of shape " + shape_to_string(a.shape()) +
                 " does not match the right-hand side of shape " + shape_to_string(b.shape()) +
                 ".");
  }
  Dtype t = promote_types(a.dtype(), b.dtype());
  if (t != float32 && t != float64) {
    fail(op, "Arrays must promote to float32 or float64, got " + dtype_name(a.dtype()) + " and " +
                 dtype_name(b.dtype()) + ".");
  }
  a = astype(a, t, s);
  b = astype(b, t, s);
  if (vec) b = expand_dims(b, -1, s);
  Shape ab(a.shape().begin(), a.shape().end() - 2), bb(b.shape().begin(), b.shape().end() - 2);
  Shape batch;
  try {
    batch = broadcast_shapes(ab, bb);
  } catch (const std::invalid_argument&) {
    fail(op, "The batch dimensions of shapes " + shape_to_string(a.shape()) + " and " +
                 shape_to_string(b.shape()) + " do not broadcast.");
  }
  Shape as = batch, bs = batch;
  as.push_back(n);
  as.push_back(n);
  bs.push_back(n);
  bs.push_back(b.shape(-1));
  a = broadcast_to(a, as, s);
  b = broadcast_to(b, bs, s);
  return vec;
}

}  // namespace

array solve(const array& a_in, const array& b_in, StreamOrDevice s_) {
  Stream s = to_stream(s_);
  array a = a_in, b = b_in;
  bool vec = prepare_solve(a, b, "linalg::solve", s);
  array x = detail::make<Solve>(b.shape(), b.dtype(), {a, b}, s);
  return vec ? squeeze(x, -1, s) : x;
}

array solve_triangular(const array& a_in, const array& b_in, bool upper, StreamOrDevice s_) {
  Stream s = to_stream(s_);
  array a = a_in, b = b_in;
  bool vec = prepare_solve(a, b, "linalg::solve_triangular", s);
  array x = detail::make<SolveTriangular>(b.shape(), b.dtype(), {a, b}, s, upper);
  return vec ? squeeze(x, -1, s) : x;
}

// ---------------- cross ----------------

array cross(const array& a, const array& b, int axis, StreamOrDevice s_) {
  Stream s = to_stream(s_);
  auto prep = [&](const array& x, const char* which) {
    if (axis >= x.ndim() || axis < -x.ndim()) {
      fail("linalg::cross", "Axis " + std::to_string(axis) + " is out of range for the " + which +
                                " input of shape " + shape_to_string(x.shape()) + ".");
    }
    int ax = axis < 0 ? axis + x.ndim() : axis;
    int len = x.shape(ax);
    if (len != 2 && len != 3) {
      fail("linalg::cross", std::string("The ") + which + " input of shape " +
                                shape_to_string(x.shape()) + " has extent " + std::to_string(len) +
                                " along axis " + std::to_string(axis) +
                                "; cross products need 2 or 3.");
    }
    array v = moveaxis(x, ax, -1, s);
    if (len == 2) {
      Shape zs = v.shape();
      zs.back() = 1;
      v = concatenate({v, zeros(zs, v.dtype(), s)}, -1, s);
    }
    return v;
  };
  array va = prep(a, "first"), vb = prep(b, "second");
  Dtype t = promote_types(a.dtype(), b.dtype());
  va = astype(va, t, s);
  vb = astype(vb, t, s);
  auto comp = [&](const array& v, int i) {
    Shape start(v.ndim(), 0), stop = v.shape();
    start.back() = i;
    stop.back() = i + 1;
    return squeeze(slice(v, start, stop, s), -1, s);
  };
  array a0 = comp(va, 0), a1 = comp(va, 1), a2 = comp(va, 2);
  array b0 = comp(vb, 0), b1 = comp(vb, 1), b2 = comp(vb, 2);
  array out = stack({subtract(multiply(a1, b2, s), multiply(a2, b1, s), s),
                     subtract(multiply(a2, b0, s), multiply(a0, b2, s), s),
                     subtract(multiply(a0, b1, s), multiply(a1, b0, s), s)},
                    -1, s);
  int nd = out.ndim();
  int dest = axis < 0 ? axis + nd : axis;
  if (dest < 0 || dest >= nd) dest = nd - 1;
  return moveaxis(out, -1, dest, s);
}

// ---------------- eigen-decompositions ----------------

namespace {
char check_uplo(const std::string& uplo, const char* op) {
  if (uplo != "L" && uplo != "U") fail(op, "UPLO must be \"L\" or \"U\", got \"" + uplo + "\".");
  return uplo[0];
}
}  // namespace

std::pair<array, array> eig(const array& a, StreamOrDevice s) {
  check_linalg_input(a, "linalg::eig", true);
  auto p = std::make_shared<Eig>(to_stream(s), true);
  auto out = array::make_arrays(p->output_shapes({a}), {complex64, complex64}, p, {a});
  return {out[0], out[1]};
}

array eigvals(const array& a, StreamOrDevice s) {
  check_linalg_input(a, "linalg::eigvals", true);
  Shape w(a.shape().begin(), a.shape().end() - 1);
  return detail::make<Eig>(w, complex64, {a}, to_stream(s), false);
}

array eigvalsh(const array& a, std::string UPLO, StreamOrDevice s) {
  check_linalg_input(a, "linalg::eigvalsh", true);
  char u = check_uplo(UPLO, "linalg::eigvalsh");
  Shape w(a.shape().begin(), a.shape().end() - 1);
  return detail::make<Eigh>(w, a.dtype(), {a}, to_stream(s), u, false);
}

std::pair<array, array> eigh(const array& a, std::string UPLO, StreamOrDevice s) {
  check_linalg_input(a, "linalg::eigh", true);
  char u = check_uplo(UPLO, "linalg::eigh");
  auto p = std::make_shared<Eigh>(to_stream(s), u, true);
  auto out = array::make_arrays(p->output_shapes({a}), {a.dtype(), a.dtype()}, p, {a});
  return {out[0], out[1]};
}

// ---------------- determinants ----------------

namespace {

// (-1)^(number of row swaps) of LAPACK pivots (..., K), in dtype t. Not differentiable.
array pivot_sign(const array& piv, Dtype t, const Stream& s) {
  int k = piv.shape(-1);
  array swaps = sum(astype(not_equal(piv, arange(0.0, double(k), 1.0, uint32, s), s), int32, s), -1,
                    false, s);
  array odd = astype(remainder(swaps, array(2, int32), s), t, s);
  return stop_gradient(subtract(ones({}, t, s), multiply(array(2.0, t), odd, s), s), s);
}

}  // namespace

array det(const array& a, StreamOrDevice s_) {
  check_linalg_input(a, "linalg::det", true);
  Stream s = to_stream(s_);
  auto f = detail::lu_factor_all(a, s);
  array d = diagonal(f[0], 0, -2, -1, s);
  return multiply(pivot_sign(f[1], a.dtype(), s), prod(d, -1, false, s), s);
}

std::pair<array, array> slogdet(const array& a, StreamOrDevice s_) {
  check_linalg_input(a, "linalg::slogdet", true);
  Stream s = to_stream(s_);
  auto f = detail::lu_factor_all(a, s);
  array d = diagonal(f[0], 0, -2, -1, s);
  array sgn =
      multiply(pivot_sign(f[1], a.dtype(), s), stop_gradient(prod(sign(d, s), -1, false, s), s), s);
  array logabs = sum(log(abs(d, s), s), -1, false, s);
  return {sgn, logabs};
}

}  // namespace linalg
}  // namespace tandem
