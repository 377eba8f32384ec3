// Copyright © 2026 Tandem authors.
// Linear algebra (include/tandem/linalg.h) and the random ops built on it (permutation,
// multivariate_normal): hand-computed values, factorisation identities (Q R = A, U S Vt = A,
// L L^T = A, A V = V diag(w), L[P] U = A, ...), batches, transposed inputs, empty inputs and
// errors; derivatives against central finite differences in float64 and vmap against a loop.
#include <algorithm>
#include <cmath>
#include <complex>
#include <limits>
#include <numeric>
#include <vector>

#include "harness.h"
#include "transforms_check.h"

using namespace tandem;
namespace la = tandem::linalg;
using tandem_test::values;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

double tol_of(Dtype t) {
  return t == float64 ? 1e-10 : 2e-4;
}

array rnd(const Shape& shape, uint32_t seed, Dtype t = float64, double lo = -1.0, double hi = 1.0) {
  return astype(tx::rand64(shape, lo, hi, seed), t);
}
Shape with_tail(Shape batch, std::initializer_list<int> tail) {
  batch.insert(batch.end(), tail.begin(), tail.end());
  return batch;
}
// Random matrices plus 3 I: comfortably invertible.
array well_conditioned(const Shape& batch, int n, uint32_t seed, Dtype t = float64) {
  array a = tx::rand64(with_tail(batch, {n, n}), -1.0, 1.0, seed);
  return astype(add(a, multiply(array(3.0, float64), eye(n, float64))), t);
}
// Symmetric positive definite: X X^T + n I.
array spd(const Shape& batch, int n, uint32_t seed, Dtype t = float64) {
  array x = tx::rand64(with_tail(batch, {n, n}), -1.0, 1.0, seed);
  array a =
      add(matmul(x, swapaxes(x, -1, -2)), multiply(array(double(n), float64), eye(n, float64)));
  return astype(a, t);
}
array mT(const array& a) {
  return swapaxes(a, -1, -2);
}
array sub(const array& a, int r0, int r1, int c0, int c1) {
  Shape start(a.ndim(), 0), stop = a.shape();
  start[a.ndim() - 2] = r0;
  stop[a.ndim() - 2] = r1;
  start[a.ndim() - 1] = c0;
  stop[a.ndim() - 1] = c1;
  return slice(a, start, stop);
}
array eye_as(const array& a) {
  return broadcast_to(eye(a.shape(-1), a.dtype()), a.shape());
}
double max_abs(const array& a) {
  if (a.size() == 0) return 0.0;
  return max(abs(astype(a, float64))).item<double>();
}

}  // namespace

// Gradient and jvp against central finite differences (float64).
void derivs(const tx::Fn& f, const std::vector<array>& xs, double tol = 1e-6) {
  EXPECT_TRUE(tx::check_grad(f, xs, tol));
  EXPECT_TRUE(tx::check_jvp(f, xs, tol));
}
// vmap against a loop over the batch.
void vmapped(const ArrayFn& f, const std::vector<array>& xs, const std::vector<int>& in_axes,
             double tol) {
  EXPECT_TRUE(tx::check_vmap(f, xs, in_axes, {}, tol));
}

// The helpers above, with the calling line in failure messages.
#define DERIVS(...)              \
  do {                           \
    SCOPED_TRACE("derivatives"); \
    derivs(__VA_ARGS__);         \
  } while (0)
#define VMAPPED(...)      \
  do {                    \
    SCOPED_TRACE("vmap"); \
    vmapped(__VA_ARGS__); \
  } while (0)

/// got and want have equal shapes and agree within tol (absolute and relative).
#define EXPECT_NEAR_ARR(got, want, tol) \
  EXPECT_ARRAY_CLOSE((got), values(want), (want).shape(), (tol), (tol))

// ============================== norm ==============================

DEVICE_TEST(LinalgNorm, VectorOrders) {
  array x = array({3.0, -4.0, 0.0, 12.0}, float32);
  EXPECT_ARRAY_CLOSE(la::norm(x, std::nullopt, false, device), {13.0}, {});
  EXPECT_ARRAY_CLOSE(la::norm(x, 2.0, std::nullopt, false, device), {13.0}, {});
  EXPECT_ARRAY_CLOSE(la::norm(x, 1.0, 0, false, device), {19.0}, {});
  EXPECT_ARRAY_CLOSE(la::norm(x, kInf, 0, false, device), {12.0}, {});
  EXPECT_ARRAY_CLOSE(la::norm(x, -kInf, 0, false, device), {0.0}, {});
  EXPECT_ARRAY_CLOSE(la::norm(x, 0.0, 0, false, device), {3.0}, {});
  EXPECT_ARRAY_CLOSE(la::norm(x, 3.0, 0, false, device), {std::cbrt(27.0 + 64.0 + 1728.0)}, {},
                     1e-6, 1e-6);
  double half = std::pow(std::sqrt(3.0) + 2.0 + std::sqrt(12.0), 2.0);
  EXPECT_ARRAY_CLOSE(la::norm(x, 0.5, 0, false, device), {half}, {}, 1e-6, 1e-6);
  // Negative orders: a zero entry makes sum |x|^p infinite, so the norm is 0.
  EXPECT_ARRAY_CLOSE(la::norm(x, -1.0, 0, false, device), {0.0}, {});
  array y = array({2.0, -4.0}, float64);
  EXPECT_ARRAY_CLOSE(la::norm(y, -1.0, 0, false, device), {1.0 / (0.5 + 0.25)}, {});
  // Integers compute in float32.
  array xi = array({3, 4}, int32);
  array n = la::norm(xi, std::nullopt, false, device);
  EXPECT_EQ(n.dtype(), float32);
  EXPECT_ARRAY_CLOSE(n, {5.0}, {});
  EXPECT_EQ(la::norm(array({1.0, 2.0}, float64), 1.0, 0, false, device).dtype(), float64);
  // complex64: norms of |x|, real results.
  array z = array({complex64_t(3.0f, 4.0f), complex64_t(0.0f, -12.0f)});
  array nz = la::norm(z, std::nullopt, false, device);
  EXPECT_EQ(nz.dtype(), float32);
  EXPECT_ARRAY_CLOSE(nz, {13.0}, {});
  EXPECT_ARRAY_CLOSE(la::norm(z, 1.0, 0, false, device), {17.0}, {});
}

DEVICE_TEST(LinalgNorm, MatrixOrders) {
  array a = array({1.0, -2.0, 3.0, -4.0, 5.0, -6.0}, {2, 3}, float64);
  double r = std::sqrt(8065.0);
  double s1 = std::sqrt((91.0 + r) / 2), s2 = std::sqrt((91.0 - r) / 2);
  EXPECT_ARRAY_CLOSE(la::norm(a, "fro", std::nullopt, false, device), {std::sqrt(91.0)}, {});
  EXPECT_ARRAY_CLOSE(la::norm(a, "f", std::nullopt, false, device), {std::sqrt(91.0)}, {});
  EXPECT_ARRAY_CLOSE(la::norm(a, std::nullopt, false, device), {std::sqrt(91.0)}, {});
  EXPECT_ARRAY_CLOSE(la::norm(a, 1.0, std::nullopt, false, device), {9.0}, {});
  EXPECT_ARRAY_CLOSE(la::norm(a, -1.0, std::nullopt, false, device), {5.0}, {});
  EXPECT_ARRAY_CLOSE(la::norm(a, kInf, std::nullopt, false, device), {15.0}, {});
  EXPECT_ARRAY_CLOSE(la::norm(a, -kInf, std::nullopt, false, device), {6.0}, {});
  EXPECT_ARRAY_CLOSE(la::norm(a, 2.0, std::nullopt, false, device), {s1}, {});
  EXPECT_ARRAY_CLOSE(la::norm(a, -2.0, std::nullopt, false, device), {s2}, {});
  EXPECT_ARRAY_CLOSE(la::norm(a, "nuc", std::nullopt, false, device), {s1 + s2}, {});
  // Reversed axes: (1, 0) norms the transpose.
  EXPECT_ARRAY_CLOSE(la::norm(a, 1.0, std::vector<int>{1, 0}, false, device), {15.0}, {});
  EXPECT_ARRAY_CLOSE(la::norm(a, kInf, std::vector<int>{1, 0}, false, device), {9.0}, {});
  EXPECT_ARRAY_CLOSE(la::norm(astype(a, float32), 2.0, std::nullopt, false, device), {s1}, {}, 1e-5,
                     1e-5);
}

DEVICE_TEST(LinalgNorm, AxesAndKeepdims) {
  array x = rnd({2, 3, 4}, 7);
  auto v = values(x);
  auto at = [&](int i, int j, int k) { return v[(i * 3 + j) * 4 + k]; };
  // Vector 2-norm along axis 1.
  std::vector<double> want;
  for (int i = 0; i < 2; ++i) {
    for (int k = 0; k < 4; ++k) {
      double s = 0;
      for (int j = 0; j < 3; ++j)
        s += at(i, j, k) * at(i, j, k);
      want.push_back(std::sqrt(s));
    }
  }
  EXPECT_ARRAY_CLOSE(la::norm(x, 1, false, device), want, {2, 4});
  EXPECT_ARRAY_CLOSE(la::norm(x, 2.0, 1, true, device), want, {2, 1, 4});
  // Matrix 1-norm over axes (2, 0): max over axis 0 of the sums over axis 2.
  std::vector<double> w1;
  for (int j = 0; j < 3; ++j) {
    double best = 0;
    for (int i = 0; i < 2; ++i) {
      double s = 0;
      for (int k = 0; k < 4; ++k)
        s += std::abs(at(i, j, k));
      best = std::max(best, s);
    }
    w1.push_back(best);
  }
  EXPECT_ARRAY_CLOSE(la::norm(x, 1.0, std::vector<int>{2, 0}, false, device), w1, {3});
  EXPECT_ARRAY_CLOSE(la::norm(x, 1.0, std::vector<int>{2, 0}, true, device), w1, {1, 3, 1});
  // Frobenius over (0, 2) and keepdims; the 2-norm over all axes.
  array fro = la::norm(x, "fro", std::vector<int>{0, 2}, true, device);
  EXPECT_EQ(fro.shape(), (Shape{1, 3, 1}));
  double all = 0;
  for (double e : v)
    all += e * e;
  EXPECT_ARRAY_CLOSE(la::norm(x, std::nullopt, true, device), {std::sqrt(all)}, {1, 1, 1});
  // Spectral norm of a batch over non-trailing axes equals the norm of the moved matrices.
  array s2 = la::norm(x, 2.0, std::vector<int>{0, 2}, true, device);
  array ref = la::norm(transpose(x, {1, 0, 2}), 2.0, std::vector<int>{1, 2}, false, device);
  EXPECT_EQ(s2.shape(), (Shape{1, 3, 1}));
  EXPECT_NEAR_ARR(reshape(s2, {3}), ref, 1e-12);
}

TEST(LinalgNorm, Errors) {
  array x = rnd({2, 3, 4}, 1);
  EXPECT_THROW_MSG(la::norm(x, 2.0), std::invalid_argument, "[linalg::norm]");
  EXPECT_THROW_MSG(la::norm(x, 2.0), std::invalid_argument, "1-D or 2-D");
  EXPECT_THROW_MSG(la::norm(x, "fro", 0), std::invalid_argument, "only defined for matrices");
  EXPECT_THROW_MSG(la::norm(x, 3.0, std::vector<int>{0, 1}), std::invalid_argument,
                   "Invalid ord 3 for matrix norm");
  EXPECT_THROW_MSG(la::norm(x, "abc", std::vector<int>{0, 1}), std::invalid_argument,
                   "Invalid ord 'abc'");
  EXPECT_THROW_MSG(la::norm(x, 2.0, std::vector<int>{0, 1, 2}), std::invalid_argument,
                   "1 or 2 axes");
  EXPECT_THROW_MSG(la::norm(x, std::vector<int>{0, 1, 2}), std::invalid_argument, "at most 2");
  EXPECT_THROW_MSG(la::norm(x, 2.0, std::vector<int>{1, 1}), std::invalid_argument,
                   "Duplicate axis");
  EXPECT_THROW_MSG(la::norm(x, 2.0, 3), std::invalid_argument, "[linalg::norm]");
}

// ============================== inv, tri_inv ==============================

DEVICE_TEST(LinalgInv, HandComputedAndIdentity) {
  array a = array({4.0, 7.0, 2.0, 6.0}, {2, 2}, float32);
  EXPECT_ARRAY_CLOSE(la::inv(a, device), {0.6, -0.7, -0.2, 0.4}, {2, 2}, 1e-6, 1e-6);
  for (Dtype t : {float32, float64}) {
    array b = well_conditioned({3, 2}, 5, 11, t);
    array bi = la::inv(b, device);
    EXPECT_EQ(bi.dtype(), t);
    EXPECT_NEAR_ARR(matmul(b, bi), eye_as(b), tol_of(t));
    EXPECT_NEAR_ARR(matmul(bi, b), eye_as(b), tol_of(t));
    // A transposed (non-contiguous) input.
    EXPECT_NEAR_ARR(la::inv(mT(b), device), mT(bi), tol_of(t));
  }
  // Large-ish, multithreaded batch of small matrices.
  array many = well_conditioned({64}, 6, 3);
  EXPECT_NEAR_ARR(matmul(many, la::inv(many, device)), eye_as(many), 1e-10);
  array big = well_conditioned({}, 100, 4);
  EXPECT_NEAR_ARR(matmul(big, la::inv(big, device)), eye_as(big), 1e-9);
}

DEVICE_TEST(LinalgInv, EmptyAndSingular) {
  EXPECT_EQ(la::inv(zeros({0, 0}), device).shape(), (Shape{0, 0}));
  array e = la::inv(zeros({0, 3, 3}), device);
  e.eval();
  EXPECT_EQ(e.shape(), (Shape{0, 3, 3}));
  array sing = array({1.0, 2.0, 2.0, 4.0}, {2, 2}, float64);
  EXPECT_THROW_MSG(la::inv(sing, device).eval(), std::runtime_error,
                   "[linalg::inv] The matrix is singular");
  array batch = stack({eye(2, float64), sing});
  EXPECT_THROW_MSG(la::inv(batch, device).eval(), std::runtime_error, "matrix 1 of the batch");
  EXPECT_THROW_MSG(la::tri_inv(array({1.0, 0.0, 5.0, 0.0}, {2, 2}, float64), false, device).eval(),
                   std::runtime_error, "[linalg::tri_inv] The matrix is singular");
}

TEST(LinalgInv, Errors) {
  EXPECT_THROW_MSG(la::inv(array({1, 2, 3, 4}, {2, 2}, int32)), std::invalid_argument,
                   "[linalg::inv] Arrays must have type float32 or float64, got int32.");
  EXPECT_THROW_MSG(la::inv(array({1.0f, 2.0f})), std::invalid_argument,
                   "at least 2 dimensions, got shape (2,)");
  EXPECT_THROW_MSG(la::inv(zeros({2, 3})), std::invalid_argument,
                   "[linalg::inv] Matrices must be square, got shape (2,3).");
  EXPECT_THROW_MSG(la::tri_inv(zeros({2, 3})), std::invalid_argument, "[linalg::tri_inv]");
  EXPECT_THROW_MSG(la::inv(zeros({2, 2}, float16)), std::invalid_argument, "got float16");
}

DEVICE_TEST(LinalgInv, Triangular) {
  // The other triangle holds garbage that must be ignored.
  array a = well_conditioned({2}, 4, 21);
  array lo = la::tri_inv(a, false, device);
  EXPECT_NEAR_ARR(lo, la::inv(tril(a), device), 1e-12);
  EXPECT_NEAR_ARR(triu(lo, 1), zeros({2, 4, 4}, float64), 0.0);
  array up = la::tri_inv(a, true, device);
  EXPECT_NEAR_ARR(up, la::inv(triu(a), device), 1e-12);
  EXPECT_NEAR_ARR(la::tri_inv(mT(a), true, device), mT(lo), 1e-12);
  array l32 = astype(a, float32);
  EXPECT_NEAR_ARR(matmul(tril(l32), la::tri_inv(l32, false, device)), eye_as(l32), 1e-5);
}

// ============================== cholesky ==============================

DEVICE_TEST(LinalgCholesky, Factors) {
  array h = array({4.0, 2.0, 2.0, 3.0}, {2, 2}, float64);
  EXPECT_ARRAY_CLOSE(la::cholesky(h, false, device), {2.0, 0.0, 1.0, std::sqrt(2.0)}, {2, 2});
  EXPECT_ARRAY_CLOSE(la::cholesky(h, true, device), {2.0, 1.0, 0.0, std::sqrt(2.0)}, {2, 2});
  for (Dtype t : {float32, float64}) {
    array a = spd({3}, 6, 5, t);
    array l = la::cholesky(a, false, device);
    EXPECT_NEAR_ARR(matmul(l, mT(l)), a, tol_of(t) * 10);
    EXPECT_NEAR_ARR(triu(l, 1), zeros_like(l), 0.0);
    array u = la::cholesky(a, true, device);
    EXPECT_NEAR_ARR(matmul(mT(u), u), a, tol_of(t) * 10);
    EXPECT_NEAR_ARR(u, mT(l), tol_of(t));
    // Only one triangle is read: garbage in the other one changes nothing.
    array junk = add(a, triu(rnd(a.shape(), 9, t, 5.0, 9.0), 1));
    EXPECT_NEAR_ARR(la::cholesky(junk, false, device), l, 0.0);
    array junk_lo = add(a, tril(rnd(a.shape(), 9, t, 5.0, 9.0), -1));
    EXPECT_NEAR_ARR(la::cholesky(junk_lo, true, device), u, 0.0);
  }
  EXPECT_EQ(la::cholesky(zeros({2, 0, 0}), false, device).shape(), (Shape{2, 0, 0}));
}

DEVICE_TEST(LinalgCholesky, NotPositiveDefiniteAndInverse) {
  array bad = array({1.0, 2.0, 2.0, 1.0}, {2, 2}, float64);
  EXPECT_THROW_MSG(la::cholesky(bad, false, device).eval(), std::runtime_error,
                   "[linalg::cholesky] The matrix is not positive definite (its leading minor of "
                   "order 2 is not positive)");
  array a = spd({2}, 5, 13);
  array l = la::cholesky(a, false, device);
  EXPECT_NEAR_ARR(la::cholesky_inv(l, false, device), la::inv(a, device), 1e-12);
  array u = la::cholesky(a, true, device);
  EXPECT_NEAR_ARR(la::cholesky_inv(u, true, device), la::inv(a, device), 1e-12);
  EXPECT_THROW_MSG(la::cholesky(zeros({3, 2})), std::invalid_argument, "must be square");
  EXPECT_THROW_MSG(la::cholesky_inv(zeros({3}), false), std::invalid_argument,
                   "[linalg::cholesky_inv]");
}

// ============================== qr ==============================

DEVICE_TEST(LinalgQR, Identities) {
  for (Dtype t : {float32, float64}) {
    for (Shape shape : {Shape{4, 4}, Shape{6, 3}, Shape{3, 5}, Shape{2, 3, 5, 4}}) {
      SCOPED_TRACE(shape_to_string(shape) + " " + dtype_name(t));
      array a = rnd(shape, 17, t);
      auto [q, r] = la::qr(a, device);
      int m = shape[shape.size() - 2], n = shape.back(), k = std::min(m, n);
      EXPECT_EQ(q.shape(), with_tail(Shape(shape.begin(), shape.end() - 2), {m, k}));
      EXPECT_EQ(r.shape(), with_tail(Shape(shape.begin(), shape.end() - 2), {k, n}));
      EXPECT_NEAR_ARR(matmul(q, r), a, tol_of(t));
      EXPECT_NEAR_ARR(matmul(mT(q), q), eye_as(matmul(mT(q), q)), tol_of(t));
      EXPECT_NEAR_ARR(tril(r, -1), zeros_like(r), 0.0);
    }
  }
  // A transposed input.
  array a = rnd({5, 3}, 2);
  auto [q1, r1] = la::qr(mT(a), device);
  EXPECT_NEAR_ARR(matmul(q1, r1), mT(a), 1e-12);
  // Empty.
  auto [q0, r0] = la::qr(zeros({3, 0}), device);
  EXPECT_EQ(q0.shape(), (Shape{3, 0}));
  EXPECT_EQ(r0.shape(), (Shape{0, 0}));
  EXPECT_THROW_MSG(la::qr(zeros({3})), std::invalid_argument, "[linalg::qr]");
  EXPECT_THROW_MSG(la::qr(zeros({3, 3}, int32)), std::invalid_argument, "got int32");
}

// ============================== svd ==============================

DEVICE_TEST(LinalgSVD, Identities) {
  for (Dtype t : {float32, float64}) {
    for (Shape shape : {Shape{4, 4}, Shape{5, 3}, Shape{3, 5}, Shape{2, 3, 5, 4}}) {
      SCOPED_TRACE(shape_to_string(shape) + " " + dtype_name(t));
      array a = rnd(shape, 23, t);
      auto usv = la::svd(a, device);
      ASSERT_EQ(usv.size(), 3u);
      int m = shape[shape.size() - 2], n = shape.back(), k = std::min(m, n);
      Shape batch(shape.begin(), shape.end() - 2);
      EXPECT_EQ(usv[0].shape(), with_tail(batch, {m, m}));
      EXPECT_EQ(usv[1].shape(), with_tail(batch, {k}));
      EXPECT_EQ(usv[2].shape(), with_tail(batch, {n, n}));
      array u1 = sub(usv[0], 0, m, 0, k), vt1 = sub(usv[2], 0, k, 0, n);
      array rec = matmul(multiply(u1, expand_dims(usv[1], -2)), vt1);
      EXPECT_NEAR_ARR(rec, a, tol_of(t));
      EXPECT_NEAR_ARR(matmul(mT(usv[0]), usv[0]), eye_as(usv[0]), tol_of(t));
      EXPECT_NEAR_ARR(matmul(usv[2], mT(usv[2])), eye_as(usv[2]), tol_of(t));
      auto sv = values(usv[1]);
      for (size_t i = 0; i + 1 < sv.size(); ++i) {
        if ((i + 1) % k != 0) EXPECT_GE(sv[i], sv[i + 1]);
      }
      for (double x : sv)
        EXPECT_GE(x, 0.0);
      auto only = la::svd(a, false, device);
      ASSERT_EQ(only.size(), 1u);
      EXPECT_NEAR_ARR(only[0], usv[1], tol_of(t));
    }
  }
  // A known spectrum: diag(3, -2) has singular values 3, 2.
  array d = array({3.0, 0.0, 0.0, -2.0}, {2, 2}, float64);
  EXPECT_ARRAY_CLOSE(la::svd(d, false, device)[0], {3.0, 2.0}, {2});
  // Transposed input, and no singular values at all (U, Vt identities).
  array a = rnd({4, 6}, 3);
  EXPECT_NEAR_ARR(la::svd(mT(a), false, device)[0], la::svd(a, false, device)[0], 1e-12);
  auto e = la::svd(zeros({3, 0}), device);
  EXPECT_NEAR_ARR(e[0], eye(3), 0.0);
  EXPECT_EQ(e[1].shape(), (Shape{0}));
  EXPECT_EQ(e[2].shape(), (Shape{0, 0}));
  EXPECT_THROW_MSG(la::svd(zeros({3})), std::invalid_argument, "[linalg::svd]");
}

// ============================== eigh, eig ==============================

DEVICE_TEST(LinalgEigh, Identities) {
  array h = array({2.0, 1.0, 1.0, 2.0}, {2, 2}, float64);
  EXPECT_ARRAY_CLOSE(la::eigvalsh(h, "L", device), {1.0, 3.0}, {2});
  for (Dtype t : {float32, float64}) {
    array x = rnd({3, 5, 5}, 31, t);
    array a = add(x, mT(x));
    auto [w, v] = la::eigh(a, "L", device);
    EXPECT_EQ(w.shape(), (Shape{3, 5}));
    EXPECT_NEAR_ARR(matmul(a, v), multiply(v, expand_dims(w, -2)), tol_of(t) * 10);
    EXPECT_NEAR_ARR(matmul(mT(v), v), eye_as(v), tol_of(t));
    auto wv = values(w);
    for (size_t i = 0; i + 1 < wv.size(); ++i) {
      if ((i + 1) % 5 != 0) EXPECT_LE(wv[i], wv[i + 1]);
    }
    EXPECT_NEAR_ARR(la::eigvalsh(a, "L", device), w, tol_of(t));
    // UPLO selects the triangle read: garbage in the other one changes nothing.
    array junk_up = add(a, triu(rnd(a.shape(), 5, t, 3.0, 4.0), 1));
    EXPECT_NEAR_ARR(la::eigvalsh(junk_up, "L", device), w, tol_of(t));
    array junk_lo = add(a, tril(rnd(a.shape(), 5, t, 3.0, 4.0), -1));
    EXPECT_NEAR_ARR(la::eigh(junk_lo, "U", device).first, w, tol_of(t));
  }
  EXPECT_THROW_MSG(la::eigh(h, "X"), std::invalid_argument, "UPLO must be \"L\" or \"U\"");
  EXPECT_THROW_MSG(la::eigvalsh(zeros({2, 3})), std::invalid_argument, "[linalg::eigvalsh]");
  EXPECT_EQ(la::eigvalsh(zeros({0, 0}), "L", device).shape(), (Shape{0}));
}

DEVICE_TEST(LinalgEig, ComplexEigenpairs) {
  // A rotation: eigenvalues +-i.
  array rot = array({0.0, -1.0, 1.0, 0.0}, {2, 2}, float32);
  array ev = la::eigvals(rot, device);
  EXPECT_EQ(ev.dtype(), complex64);
  EXPECT_TRUE(tandem_test::complex_close(ev, {{0.0f, 1.0f}, {0.0f, -1.0f}}, {2}, 1e-6));
  array tri = array({2.0, 5.0, 0.0, 3.0}, {2, 2}, float64);
  EXPECT_TRUE(tandem_test::complex_close(la::eigvals(tri, device), {{2.0f, 0.0f}, {3.0f, 0.0f}},
                                         {2}, 1e-6));
  // A v = lambda v for every eigenpair of random matrices (complex pairs included).
  for (Dtype t : {float32, float64}) {
    int n = 6;
    array a = rnd({2, n, n}, 41, t);
    auto [w, v] = la::eig(a, device);
    EXPECT_EQ(w.shape(), (Shape{2, n}));
    EXPECT_EQ(v.shape(), (Shape{2, n, n}));
    auto av = values(a);
    auto wv = w.to_vector<complex64_t>();
    auto vv = v.to_vector<complex64_t>();
    bool any_complex = false;
    for (int b = 0; b < 2; ++b) {
      for (int j = 0; j < n; ++j) {
        std::complex<double> lam = wv[b * n + j];
        any_complex = any_complex || lam.imag() != 0.0;
        double err = 0, norm = 0;
        for (int i = 0; i < n; ++i) {
          std::complex<double> lhs = 0;
          for (int k = 0; k < n; ++k)
            lhs += av[(b * n + i) * n + k] * std::complex<double>(vv[(b * n + k) * n + j]);
          std::complex<double> vij = vv[(b * n + i) * n + j];
          err = std::max(err, std::abs(lhs - lam * vij));
          norm += std::norm(vij);
        }
        EXPECT_LT(err, 1e-5);
        EXPECT_NEAR(norm, 1.0, 1e-5);
      }
    }
    EXPECT_TRUE(any_complex);
    EXPECT_TRUE(tandem_test::arrays_close(la::eigvals(a, device), w, 10.0));
  }
  EXPECT_THROW_MSG(la::eig(zeros({2, 3})), std::invalid_argument, "[linalg::eig]");
  EXPECT_THROW_MSG(la::eigvals(array({1, 2, 3, 4}, {2, 2})), std::invalid_argument, "got int32");
}

// ============================== lu, lu_factor ==============================

DEVICE_TEST(LinalgLU, Identities) {
  for (Dtype t : {float32, float64}) {
    for (Shape shape : {Shape{4, 4}, Shape{5, 3}, Shape{3, 5}, Shape{2, 3, 4, 4}}) {
      SCOPED_TRACE(shape_to_string(shape) + " " + dtype_name(t));
      array a = rnd(shape, 51, t);
      auto plu = la::lu(a, device);
      ASSERT_EQ(plu.size(), 3u);
      const array &p = plu[0], &l = plu[1], &u = plu[2];
      int m = shape[shape.size() - 2], n = shape.back(), k = std::min(m, n);
      Shape batch(shape.begin(), shape.end() - 2);
      EXPECT_EQ(p.shape(), with_tail(batch, {m}));
      EXPECT_EQ(p.dtype(), uint32);
      EXPECT_EQ(l.shape(), with_tail(batch, {m, k}));
      EXPECT_EQ(u.shape(), with_tail(batch, {k, n}));
      // A = L[P] @ U, L unit lower, U upper, P a permutation.
      array lp = take_along_axis(l, broadcast_to(expand_dims(p, -1), l.shape()), -2);
      EXPECT_NEAR_ARR(matmul(lp, u), a, tol_of(t));
      EXPECT_NEAR_ARR(triu(l, 1), zeros_like(l), 0.0);
      EXPECT_NEAR_ARR(diagonal(l, 0, -2, -1), ones(with_tail(batch, {k}), t), 0.0);
      EXPECT_NEAR_ARR(tril(u, -1), zeros_like(u), 0.0);
      EXPECT_NEAR_ARR(sort(p, -1), broadcast_to(arange(0, m, uint32), p.shape()), 0.0);
      // Partial pivoting: |L| <= 1.
      EXPECT_LE(max_abs(l), 1.0);
    }
  }
}

DEVICE_TEST(LinalgLU, FactorPivotsAndSingular) {
  // Partial pivoting picks the largest entry of column 0 (row 2).
  array a = array({1.0, 2.0, 3.0, 2.0, 5.0, 1.0, 4.0, 1.0, 2.0}, {3, 3}, float64);
  auto [lu, piv] = la::lu_factor(a, device);
  auto pv = piv.to_vector<uint32_t>();
  ASSERT_EQ(pv.size(), 3u);
  EXPECT_EQ(pv[0], 2u);
  // Replaying the LAPACK row swaps on the rows of A gives L U.
  std::vector<int> rows{0, 1, 2};
  for (int i = 0; i < 3; ++i)
    std::swap(rows[i], rows[pv[i]]);
  array pa = take(a, array(rows.data(), {3}, int32), 0);
  array l = add(tril(lu, -1), eye(3, float64)), u = triu(lu);
  EXPECT_NEAR_ARR(matmul(l, u), pa, 1e-12);
  // A singular matrix factorises (U has a zero pivot).
  array sing = array({1.0, 2.0, 2.0, 4.0}, {2, 2}, float64);
  auto plu = la::lu(sing, device);
  EXPECT_NEAR_ARR(matmul(take(plu[1], plu[0], 0), plu[2]), sing, 1e-12);
  EXPECT_ARRAY_CLOSE(diagonal(plu[2]), {2.0, 0.0}, {2});
  EXPECT_THROW_MSG(la::lu(zeros({3})), std::invalid_argument, "[linalg::lu]");
  EXPECT_THROW_MSG(la::lu_factor(zeros({3, 3}, int32)), std::invalid_argument,
                   "[linalg::lu_factor]");
  auto e = la::lu(zeros({3, 0}), device);
  EXPECT_NEAR_ARR(e[0], arange(0, 3, uint32), 0.0);
  EXPECT_EQ(e[1].shape(), (Shape{3, 0}));
  EXPECT_EQ(e[2].shape(), (Shape{0, 0}));
}

// ============================== solve, solve_triangular ==============================

DEVICE_TEST(LinalgSolve, VectorsMatricesBroadcast) {
  array a = array({3.0, 1.0, 1.0, 2.0}, {2, 2}, float64);
  EXPECT_ARRAY_CLOSE(la::solve(a, array({9.0, 8.0}, float64), device), {2.0, 3.0}, {2});
  for (Dtype t : {float32, float64}) {
    array m = well_conditioned({2}, 4, 61, t);
    array bv = rnd({4}, 62, t);
    array xv = la::solve(m, bv, device);
    EXPECT_EQ(xv.shape(), (Shape{2, 4}));
    EXPECT_NEAR_ARR(squeeze(matmul(m, expand_dims(xv, -1)), -1), broadcast_to(bv, {2, 4}),
                    tol_of(t));
    array bm = rnd({3, 1, 4, 3}, 63, t);
    array xm = la::solve(m, bm, device);
    EXPECT_EQ(xm.shape(), (Shape{3, 2, 4, 3}));
    EXPECT_NEAR_ARR(matmul(m, xm), broadcast_to(bm, {3, 2, 4, 3}), tol_of(t));
    // Transposed operands.
    EXPECT_NEAR_ARR(la::solve(mT(m), mT(rnd({2, 3, 4}, 64, t)), device),
                    matmul(la::inv(mT(m)), mT(rnd({2, 3, 4}, 64, t))), tol_of(t));
  }
  // Integers promote: float32 matrix with an int32 right-hand side.
  EXPECT_EQ(la::solve(astype(a, float32), array({9, 8}), device).dtype(), float32);
  EXPECT_EQ(la::solve(a, zeros({2, 0}), device).shape(), (Shape{2, 0}));
  EXPECT_THROW_MSG(
      la::solve(array({1.0, 2.0, 2.0, 4.0}, {2, 2}, float64), array({1.0, 1.0}, float64), device)
          .eval(),
      std::runtime_error, "[linalg::solve] The matrix is singular");
}

DEVICE_TEST(LinalgSolve, Triangular) {
  for (Dtype t : {float32, float64}) {
    array a = well_conditioned({2}, 5, 71, t);  // full: each call reads one triangle
    array b = rnd({2, 5, 2}, 72, t);
    array xl = la::solve_triangular(a, b, false, device);
    EXPECT_NEAR_ARR(matmul(tril(a), xl), b, tol_of(t));
    array xu = la::solve_triangular(a, b, true, device);
    EXPECT_NEAR_ARR(matmul(triu(a), xu), b, tol_of(t));
    array bv = rnd({5}, 73, t);
    EXPECT_NEAR_ARR(
        la::solve_triangular(a, bv, true, device),
        squeeze(la::solve_triangular(a, expand_dims(broadcast_to(bv, {2, 5}), -1), true, device),
                -1),
        tol_of(t));
  }
  EXPECT_THROW_MSG(la::solve_triangular(array({0.0, 0.0, 1.0, 1.0}, {2, 2}, float64),
                                        array({1.0, 1.0}, float64), false, device)
                       .eval(),
                   std::runtime_error, "[linalg::solve_triangular] The matrix is singular");
}

TEST(LinalgSolve, Errors) {
  array a = eye(3);
  EXPECT_THROW_MSG(la::solve(a, zeros({4})), std::invalid_argument,
                   "[linalg::solve] The matrix of shape (3,3) does not match the right-hand side "
                   "of shape (4,).");
  EXPECT_THROW_MSG(la::solve(zeros({3, 4}), zeros({3})), std::invalid_argument, "must be square");
  EXPECT_THROW_MSG(la::solve(a, array(1.0f)), std::invalid_argument, "at least 1 dimension");
  EXPECT_THROW_MSG(la::solve(array({1, 0, 0, 1}, {2, 2}), array({1, 1})), std::invalid_argument,
                   "must promote to float32 or float64, got int32 and int32");
  EXPECT_THROW_MSG(la::solve(zeros({2, 3, 3}), zeros({4, 3, 1})), std::invalid_argument,
                   "do not broadcast");
  EXPECT_THROW_MSG(la::solve_triangular(zeros({3}), zeros({3})), std::invalid_argument,
                   "[linalg::solve_triangular]");
}

// ============================== det, slogdet ==============================

DEVICE_TEST(LinalgDet, HandComputed) {
  EXPECT_ARRAY_CLOSE(la::det(array({1.0, 2.0, 3.0, 4.0}, {2, 2}, float64), device), {-2.0}, {});
  array m3 = array({6.0, 1.0, 1.0, 4.0, -2.0, 5.0, 2.0, 8.0, 7.0}, {3, 3}, float64);
  EXPECT_ARRAY_CLOSE(la::det(m3, device), {-306.0}, {});
  EXPECT_ARRAY_CLOSE(la::det(astype(m3, float32), device), {-306.0}, {}, 1e-5, 1e-5);
  // A row swap flips the sign; batches; singular; 0x0 is 1.
  array swapped = take(m3, array({1, 0, 2}), 0);
  EXPECT_ARRAY_CLOSE(la::det(stack({m3, swapped, mT(m3)}), device), {-306.0, 306.0, -306.0}, {3});
  EXPECT_ARRAY_CLOSE(la::det(array({1.0, 2.0, 2.0, 4.0}, {2, 2}, float64), device), {0.0}, {});
  EXPECT_ARRAY_CLOSE(la::det(zeros({2, 0, 0}, float64), device), {1.0, 1.0}, {2});
  EXPECT_THROW_MSG(la::det(zeros({2, 3})), std::invalid_argument, "[linalg::det]");
  EXPECT_THROW_MSG(la::det(array({1, 2, 3, 4}, {2, 2})), std::invalid_argument, "got int32");
}

DEVICE_TEST(LinalgDet, Slogdet) {
  array m3 = array({6.0, 1.0, 1.0, 4.0, -2.0, 5.0, 2.0, 8.0, 7.0}, {3, 3}, float64);
  auto [s3, l3] = la::slogdet(m3, device);
  EXPECT_ARRAY_CLOSE(s3, {-1.0}, {});
  EXPECT_ARRAY_CLOSE(l3, {std::log(306.0)}, {});
  // A 40x40 matrix: log|det| against det, and the sign.
  array a = rnd({40, 40}, 81);
  double d = la::det(a, device).item<double>();
  auto [sg, la_] = la::slogdet(a, device);
  EXPECT_NEAR(sg.item<double>(), d > 0 ? 1.0 : -1.0, 0.0);
  EXPECT_NEAR(la_.item<double>(), std::log(std::abs(d)), 1e-9);
  // det of 10 I (200x200) overflows float32; slogdet does not.
  array big = multiply(array(10.0f), eye(200, float32));
  EXPECT_TRUE(std::isinf(la::det(big, device).item<float>()));
  auto [sb, lb] = la::slogdet(big, device);
  EXPECT_ARRAY_CLOSE(sb, {1.0}, {});
  EXPECT_ARRAY_CLOSE(lb, {200 * std::log(10.0)}, {}, 1e-6, 1e-6);
  // Singular: sign 0, log|det| = -inf.
  auto [ss, ls] = la::slogdet(array({1.0, 2.0, 2.0, 4.0}, {2, 2}, float64), device);
  EXPECT_ARRAY_CLOSE(ss, {0.0}, {});
  EXPECT_ARRAY_CLOSE(ls, {-kInf}, {});
}

// ============================== cross, pinv ==============================

DEVICE_TEST(LinalgCross, Values) {
  EXPECT_ARRAY_CLOSE(la::cross(array({1.0f, 0.0f, 0.0f}), array({0.0f, 1.0f, 0.0f}), -1, device),
                     {0.0, 0.0, 1.0}, {3});
  EXPECT_ARRAY_CLOSE(la::cross(array({1.0f, 2.0f, 3.0f}), array({4.0f, 5.0f, 6.0f}), -1, device),
                     {-3.0, 6.0, -3.0}, {3});
  // 2-vectors get a zero third component.
  EXPECT_ARRAY_CLOSE(la::cross(array({1.0f, 2.0f}), array({3.0f, 4.0f}), -1, device),
                     {0.0, 0.0, -2.0}, {3});
  EXPECT_ARRAY_CLOSE(la::cross(array({1.0f, 2.0f}), array({4.0f, 5.0f, 6.0f}), -1, device),
                     {12.0, -6.0, -3.0}, {3});
  // axis 0, broadcasting, integer promotion.
  array a = array({1, 4, 2, 5, 3, 6}, {3, 2});  // columns (1,2,3) and (4,5,6)
  array b = array({0, 1, 0}, {3, 1});
  array c = la::cross(a, b, 0, device);
  EXPECT_EQ(c.dtype(), int32);
  EXPECT_ARRAY_CLOSE(c, {-3.0, -6.0, 0.0, 0.0, 1.0, 4.0}, {3, 2});
  EXPECT_THROW_MSG(la::cross(zeros({4}), zeros({3})), std::invalid_argument,
                   "extent 4 along axis -1");
  EXPECT_THROW_MSG(la::cross(zeros({3}), zeros({3}), 1), std::invalid_argument, "out of range");
}

DEVICE_TEST(LinalgPinv, Identities) {
  for (Dtype t : {float32, float64}) {
    array a = rnd({2, 5, 3}, 91, t);
    array p = la::pinv(a, device);
    EXPECT_EQ(p.shape(), (Shape{2, 3, 5}));
    EXPECT_NEAR_ARR(matmul(p, a), eye_as(matmul(p, a)), tol_of(t) * 10);
    EXPECT_NEAR_ARR(matmul(matmul(a, p), a), a, tol_of(t) * 10);
    EXPECT_NEAR_ARR(la::pinv(mT(a), device), mT(p), tol_of(t) * 10);
  }
  // Rank 1: pinv(u u^T) = u u^T / |u|^4.
  array r1 = array({1.0, 2.0, 2.0, 4.0}, {2, 2}, float64);
  EXPECT_NEAR_ARR(la::pinv(r1, device), divide(r1, array(25.0, float64)), 1e-12);
  EXPECT_EQ(la::pinv(zeros({3, 0}), device).shape(), (Shape{0, 3}));
}

// ============================== memory layouts ==============================

TEST(LinalgLayouts, AnyInputLayout) {
  // Transposed, strided, reversed (negative stride) and contiguous views of the same matrices
  // give the same results: the kernels read any layout.
  Shape shape{2, 4, 4};
  auto vals = tx::rand_values(32, -1.0, 1.0, 191);
  for (int b = 0; b < 2; ++b) {
    for (int d = 0; d < 4; ++d)
      vals[b * 16 + d * 5] += 3.0;
  }
  array ref = array(vals, shape, float64);
  array sym_ref = add(ref, mT(ref));
  for (auto layout : tx::all_layouts()) {
    SCOPED_TRACE(tx::layout_name(layout));
    array x = tx::with_layout(vals, shape, layout);
    EXPECT_NEAR_ARR(la::inv(x), la::inv(ref), 1e-14);
    EXPECT_NEAR_ARR(la::tri_inv(x, true), la::tri_inv(ref, true), 1e-14);
    EXPECT_NEAR_ARR(la::qr(x).second, la::qr(ref).second, 1e-14);
    EXPECT_NEAR_ARR(la::svd(x)[2], la::svd(ref)[2], 1e-14);
    EXPECT_NEAR_ARR(la::eigh(add(x, mT(x))).second, la::eigh(sym_ref).second, 1e-14);
    EXPECT_NEAR_ARR(la::lu_factor(x).first, la::lu_factor(ref).first, 1e-14);
    EXPECT_NEAR_ARR(la::cholesky(matmul(x, mT(x))), la::cholesky(matmul(ref, mT(ref))), 1e-14);
    EXPECT_NEAR_ARR(la::solve(x, x), la::solve(ref, ref), 1e-14);
    EXPECT_NEAR_ARR(la::solve_triangular(ref, x, true), la::solve_triangular(ref, ref, true),
                    1e-14);
    EXPECT_TRUE(tandem_test::arrays_close(la::eigvals(x), la::eigvals(ref)));
  }
}

// ============================== devices ==============================

// Every DEVICE_TEST above runs on the GPU too when there is one (backend/cuda/linalg.cu);
// tests/test_gpu_parity.cpp compares the GPU kernels with the CPU's.
DEVICE_TEST(LinalgDevice, InputsAndConsumersOnEitherDevice) {
  // Inputs made on the CPU, the factorisations on `device`, the checks on the CPU again.
  array a = well_conditioned({3}, 7, 201);
  array x = spd({3}, 7, 202, float32);
  array cpu_a = multiply(a, array(1.0, float64), Device::cpu);
  EXPECT_NEAR_ARR(matmul(cpu_a, la::inv(cpu_a, device), Device::cpu), eye_as(a), 1e-10);
  array l = la::cholesky(x, false, device);
  EXPECT_NEAR_ARR(matmul(l, mT(l), Device::cpu), x, 1e-4);
  // Compositions on the device (slogdet through lu_factor) against the CPU.
  auto [sign, logdet] = la::slogdet(a, device);
  EXPECT_NEAR_ARR(multiply(sign, exp(logdet, device), device), la::det(a, Device::cpu), 1e-9);
  // Singular matrices still raise the CPU's error on the device, naming the matrix.
  array sing = stack({eye(3, float64), zeros({3, 3}, float64)});
  EXPECT_THROW_MSG(la::solve(sing, ones({2, 3, 1}, float64), device).eval(), std::runtime_error,
                   "[linalg::solve] The matrix is singular: pivot 0 of its LU factorisation is "
                   "zero (matrix 1 of the batch).");
}

// ============================== derivatives (float64, CPU) ==============================

class LinalgGrad : public tx::CpuTest {};

TEST_F(LinalgGrad, InverseAndSolves) {
  array a = well_conditioned({}, 4, 101);
  array a3 = well_conditioned({2}, 3, 102);
  DERIVS(tx::unary([](const array& x) { return la::inv(x); }), {a}, 1e-6);
  DERIVS(tx::unary([](const array& x) { return la::inv(x); }), {a3}, 1e-6);
  for (bool upper : {false, true}) {
    SCOPED_TRACE(upper ? "upper" : "lower");
    DERIVS(tx::unary([upper](const array& x) { return la::tri_inv(x, upper); }), {a}, 1e-6);
    array b = rnd({4, 2}, 103);
    DERIVS([upper](const std::vector<array>& x) { return la::solve_triangular(x[0], x[1], upper); },
           {a, b}, 1e-6);
  }
  array b = rnd({2, 3, 2}, 104), bv = rnd({3}, 105);
  tx::Fn solve = [](const std::vector<array>& x) { return la::solve(x[0], x[1]); };
  DERIVS(solve, {a3, b}, 1e-6);
  DERIVS(solve, {a3, bv}, 1e-6);  // vector right-hand side, broadcast batch
  // Second order: grad of grad through the inverse.
  auto g = grad([](const std::vector<array>& x) { return sum(la::inv(x[0])); });
  EXPECT_TRUE(tx::check_grad([&](const std::vector<array>& x) { return g(x)[0]; }, {a}, 1e-5));
}

TEST_F(LinalgGrad, CholeskyAndInverse) {
  array a = spd({}, 4, 111);
  array ab = spd({2}, 3, 112);
  for (bool upper : {false, true}) {
    SCOPED_TRACE(upper ? "upper" : "lower");
    // Finite differences perturb both triangles: the rule must see only the one read.
    DERIVS(tx::unary([upper](const array& x) { return la::cholesky(x, upper); }), {a}, 1e-6);
    DERIVS(tx::unary([upper](const array& x) { return la::cholesky(x, upper); }), {ab}, 1e-6);
    array l = la::cholesky(a, upper);
    DERIVS(tx::unary([upper](const array& x) { return la::cholesky_inv(x, upper); }), {l}, 1e-6);
  }
}

TEST_F(LinalgGrad, QR) {
  for (Shape shape : {Shape{4, 4}, Shape{5, 3}, Shape{2, 4, 2}}) {
    SCOPED_TRACE(shape_to_string(shape));
    array a = rnd(shape, 121);
    DERIVS(tx::unary([](const array& x) { return la::qr(x).first; }), {a}, 1e-6);
    DERIVS(tx::unary([](const array& x) { return la::qr(x).second; }), {a}, 1e-6);
    // Both outputs at once.
    DERIVS(tx::unary([](const array& x) {
             auto [q, r] = la::qr(x);
             return add(sum(q, -1), sum(matmul(q, r), -1));
           }),
           {a}, 1e-6);
  }
  array wide = rnd({2, 3}, 122);
  EXPECT_THROW_MSG(grad([](const array& x) { return sum(la::qr(x).first); })(wide),
                   std::invalid_argument, "square or tall matrices (M >= N), got shape (2,3)");
}

TEST_F(LinalgGrad, SVD) {
  for (Shape shape : {Shape{4, 4}, Shape{5, 3}, Shape{3, 5}, Shape{2, 4, 3}}) {
    SCOPED_TRACE(shape_to_string(shape));
    array a = rnd(shape, 131);
    int m = shape[shape.size() - 2], n = shape.back(), k = std::min(m, n);
    array c = rnd({k}, 132);  // fixed weights
    DERIVS(tx::unary([](const array& x) { return la::svd(x, false)[0]; }), {a}, 1e-6);
    DERIVS(tx::unary([](const array& x) { return la::svd(x)[1]; }), {a}, 1e-6);
    // Functions of U and Vt that do not depend on the sign of each singular pair.
    DERIVS(tx::unary([&](const array& x) {
             auto usv = la::svd(x);
             array u1 = sub(usv[0], 0, m, 0, k), vt1 = sub(usv[2], 0, k, 0, n);
             return matmul(multiply(u1, c), vt1);
           }),
           {a}, 1e-6);
    DERIVS(tx::unary([&](const array& x) {
             auto usv = la::svd(x);
             array u1 = sub(usv[0], 0, m, 0, k);
             return matmul(multiply(u1, c), mT(u1));
           }),
           {a}, 1e-6);
    DERIVS(tx::unary([&](const array& x) {
             auto usv = la::svd(x);
             array vt1 = sub(usv[2], 0, k, 0, n);
             return matmul(multiply(mT(vt1), c), vt1);
           }),
           {a}, 1e-6);
    // The complement projectors U2 U2^T and V2 V2^T (the extra columns of the full factors).
    DERIVS(tx::unary([&](const array& x) {
             auto usv = la::svd(x);
             array u2 = sub(usv[0], 0, m, k, m), v2 = mT(sub(usv[2], k, n, 0, n));
             return add(sum(matmul(u2, mT(u2))), sum(matmul(v2, mT(v2))));
           }),
           {a}, 1e-6);
  }
}

TEST_F(LinalgGrad, Eigh) {
  array a = rnd({4, 4}, 141);  // not symmetric: the op reads one triangle
  array ab = rnd({2, 3, 3}, 142);
  array c = rnd({4}, 143);
  for (std::string uplo : {"L", "U"}) {
    SCOPED_TRACE(uplo);
    DERIVS(tx::unary([uplo](const array& x) { return la::eigvalsh(x, uplo); }), {a}, 1e-6);
    DERIVS(tx::unary([uplo](const array& x) { return la::eigh(x, uplo).first; }), {ab}, 1e-6);
    DERIVS(tx::unary([&](const array& x) {
             auto [w, v] = la::eigh(x, uplo);
             return matmul(multiply(v, c), mT(v));
           }),
           {a}, 1e-6);
    DERIVS(tx::unary([&](const array& x) {
             auto [w, v] = la::eigh(x, uplo);
             return add(multiply(v, v), expand_dims(w, 0));
           }),
           {a}, 1e-6);
  }
}

TEST_F(LinalgGrad, LUDetSlogdet) {
  array a = rnd({4, 4}, 151);
  array ab = well_conditioned({2}, 3, 152);
  DERIVS(tx::unary([](const array& x) { return la::lu_factor(x).first; }), {a}, 1e-6);
  DERIVS(tx::unary([](const array& x) { return la::lu(x)[1]; }), {ab}, 1e-6);
  DERIVS(tx::unary([](const array& x) { return la::lu(x)[2]; }), {ab}, 1e-6);
  DERIVS(tx::unary([](const array& x) { return la::det(x); }), {a}, 1e-6);
  DERIVS(tx::unary([](const array& x) { return la::det(x); }), {ab}, 1e-6);
  DERIVS(tx::unary([](const array& x) { return la::slogdet(x).second; }), {a}, 1e-6);
  // d log|det A| / dA = A^-T.
  auto g = grad([](const array& x) { return la::slogdet(x).second; })(a);
  EXPECT_NEAR_ARR(g, mT(la::inv(a)), 1e-12);
  array wide = rnd({2, 3}, 153);
  EXPECT_THROW_MSG(grad([](const array& x) { return sum(la::lu_factor(x).first); })(wide),
                   std::invalid_argument, "only supported for square matrices, got shape (2,3)");
}

TEST_F(LinalgGrad, NormPinvCross) {
  array v = tx::f64(tx::rand_separated(5, -2.0, 2.0, 161), {5});
  for (double ord : {2.0, 1.0, 3.0, 0.5, kInf, -kInf, -1.5}) {
    SCOPED_TRACE(ord);
    DERIVS(tx::unary([ord](const array& x) { return la::norm(x, ord, 0); }), {v}, 1e-6);
  }
  array m = rnd({3, 4}, 162);
  for (double ord : {1.0, -1.0, 2.0, -2.0, kInf}) {
    SCOPED_TRACE(ord);
    DERIVS(tx::unary([ord](const array& x) {
             return la::norm(x, ord, std::vector<int>{0, 1});
           }),
           {m}, 1e-6);
  }
  for (std::string ord : {"fro", "nuc"}) {
    DERIVS(tx::unary([ord](const array& x) { return la::norm(x, ord); }), {m}, 1e-6);
  }
  DERIVS(tx::unary([](const array& x) { return la::pinv(x); }), {rnd({4, 3}, 163)}, 1e-6);
  DERIVS([](const std::vector<array>& x) { return la::cross(x[0], x[1]); },
         {rnd({2, 3}, 164), rnd({3}, 165)}, 1e-6);
}

TEST_F(LinalgGrad, EigNotSupported) {
  array a = rnd({3, 3}, 171);
  EXPECT_THROW_MSG(grad([](const array& x) { return sum(real(la::eigvals(x))); })(a),
                   std::invalid_argument,
                   "[Eig::vjp] Derivatives of eig and eigvals are not supported");
  EXPECT_THROW_MSG(jvp([](const array& x) { return real(la::eig(x).first); }, a, ones_like(a)),
                   std::invalid_argument, "[Eig::jvp]");
}

// ============================== vmap ==============================

class LinalgVmap : public tx::CpuTest {};

TEST_F(LinalgVmap, MatchesLoop) {
  // Batch axis 0, and batch axis 2 (the matrices live in axes 0, 1 of each slice).
  array sq = well_conditioned({3}, 4, 181);
  array sq2 = moveaxis(sq, 0, 2);
  array tall = rnd({3, 5, 3}, 182);
  array sy = spd({3}, 4, 183);
  std::vector<std::pair<std::string, ArrayFn>> fns = {
      {"inv", tx::unary_v([](const array& x) { return la::inv(x); })},
      {"tri_inv", tx::unary_v([](const array& x) { return la::tri_inv(x, true); })},
      {"det", tx::unary_v([](const array& x) { return la::det(x); })},
      {"eigvalsh", tx::unary_v([](const array& x) { return la::eigvalsh(x); })},
      {"eigh",
       [](const std::vector<array>& x) {
         auto [w, v] = la::eigh(x[0], "U");
         return std::vector<array>{w, v};
       }},
      {"eig",
       [](const std::vector<array>& x) {
         auto [w, v] = la::eig(x[0]);
         return std::vector<array>{w, v};
       }},
      {"lu", [](const std::vector<array>& x) { return la::lu(x[0]); }},
      {"svd", [](const std::vector<array>& x) { return la::svd(x[0]); }},
      {"qr",
       [](const std::vector<array>& x) {
         auto [q, r] = la::qr(x[0]);
         return std::vector<array>{q, r};
       }},
      {"norm2", tx::unary_v([](const array& x) { return la::norm(x, 2.0); })},
  };
  for (auto& [name, f] : fns) {
    SCOPED_TRACE(name);
    VMAPPED(f, {sq}, {0}, 1e-10);
    VMAPPED(f, {sq2}, {2}, 1e-10);
  }
  VMAPPED(tx::unary_v([](const array& x) { return la::svd(x, false)[0]; }), {tall}, {0}, 1e-10);
  VMAPPED(tx::unary_v([](const array& x) { return la::cholesky(x); }), {sy}, {0}, 1e-10);
  VMAPPED(tx::unary_v([](const array& x) { return la::cholesky(x, true); }), {moveaxis(sy, 0, 1)},
          {1}, 1e-10);
  // Two inputs: both batched, one unbatched, batch axes elsewhere.
  array b = rnd({3, 4, 2}, 184);
  auto solve = tx::binary_v([](const array& a, const array& c) { return la::solve(a, c); });
  auto tsolve = tx::binary_v(
      [](const array& a, const array& c) { return la::solve_triangular(a, c, false); });
  for (auto* f : {&solve, &tsolve}) {
    VMAPPED(*f, {sq, b}, {0, 0}, 1e-10);
    VMAPPED(*f, {sq2, moveaxis(b, 0, 2)}, {2, 2}, 1e-10);
    VMAPPED(*f, {sq, rnd({4, 2}, 185)}, {0, -1}, 1e-10);
    VMAPPED(*f, {sq, rnd({3, 4}, 189)}, {0, 0}, 1e-10);  // vector right-hand sides
    VMAPPED(*f, {well_conditioned({}, 4, 186), b}, {-1, 0}, 1e-10);
  }
  VMAPPED(tx::binary_v([](const array& a, const array& c) { return la::cross(a, c); }),
          {rnd({3, 3}, 187), rnd({3, 3}, 188)}, {1, 0}, 1e-12);
  // vmap of grad.
  auto g = tx::unary_v(
      [](const array& x) { return grad([](const array& y) { return la::slogdet(y).second; })(x); });
  VMAPPED(g, {sq}, {0}, 1e-10);
}

// ============================== random: permutation, multivariate_normal
// ==============================

DEVICE_TEST(LinalgRandom, Permutation) {
  array k = random::key(42);
  array p = random::permutation(50, k, device);
  EXPECT_EQ(p.shape(), (Shape{50}));
  EXPECT_NEAR_ARR(sort(p), arange(0, 50, uint32), 0.0);
  EXPECT_NEAR_ARR(random::permutation(50, k, device), p, 0.0);  // deterministic per key
  EXPECT_NE(values(random::permutation(50, random::key(43), device)), values(p));
  EXPECT_NE(values(p), values(arange(0, 50, uint32)));
  // Permuting an array along an axis moves whole slices.
  array x = reshape(arange(0, 24, float32), {4, 6});
  array px = random::permutation(x, 1, k, device);
  EXPECT_EQ(px.shape(), (Shape{4, 6}));
  auto pv = values(px);
  std::vector<double> cols;
  for (int j = 0; j < 6; ++j) {
    cols.push_back(pv[j]);
    for (int i = 0; i < 4; ++i)
      EXPECT_EQ(pv[i * 6 + j], pv[j] + 6 * i);
  }
  std::sort(cols.begin(), cols.end());
  EXPECT_EQ(cols, (std::vector<double>{0, 1, 2, 3, 4, 5}));
  EXPECT_NEAR_ARR(sort(random::permutation(x, 0, k, device), 0), x, 0.0);
  EXPECT_EQ(random::permutation(0, k, device).shape(), (Shape{0}));
  EXPECT_THROW_MSG(random::permutation(x, 2, k), std::invalid_argument, "[permutation]");
}

DEVICE_TEST(LinalgRandom, MultivariateNormal) {
  array mu_in = array({1.0f, -2.0f});
  array cov = array({2.0f, 0.6f, 0.6f, 1.0f}, {2, 2});
  int n = 40000;
  array x = random::multivariate_normal(mu_in, cov, {n}, float32, random::key(7), device);
  EXPECT_EQ(x.shape(), (Shape{n, 2}));
  EXPECT_EQ(x.dtype(), float32);
  array mu = mean(x, 0);
  EXPECT_ARRAY_CLOSE(mu, {1.0, -2.0}, {2}, 0.0, 0.03);
  array d = subtract(x, mu);
  array c = divide(matmul(mT(d), d), array(float(n - 1)));
  EXPECT_ARRAY_CLOSE(c, {2.0, 0.6, 0.6, 1.0}, {2, 2}, 0.0, 0.05);
  // Deterministic per key; float64; broadcast shapes.
  EXPECT_NEAR_ARR(random::multivariate_normal(mu_in, cov, {n}, float32, random::key(7), device), x,
                  0.0);
  EXPECT_EQ(random::multivariate_normal(mu_in, cov, {3}, float64, random::key(1), device).dtype(),
            float64);
  array means = zeros({3, 2});
  EXPECT_EQ(random::multivariate_normal(means, cov, {}, float32, random::key(1), device).shape(),
            (Shape{3, 2}));
  EXPECT_EQ(
      random::multivariate_normal(means, cov, {5, 3}, float32, random::key(1), device).shape(),
      (Shape{5, 3, 2}));
  // A singular covariance (perfectly correlated components) is fine.
  array sing = array({1.0, 1.0, 1.0, 1.0}, {2, 2}, float64);
  array y = random::multivariate_normal(zeros({2}), sing, {1000}, float64, random::key(3), device);
  EXPECT_LT(max_abs(subtract(take(y, 0, 1), take(y, 1, 1))), 1e-6);
  EXPECT_GT(max_abs(y), 0.5);
  EXPECT_THROW_MSG(random::multivariate_normal(mu_in, zeros({3, 3}), {}, float32),
                   std::invalid_argument, "[multivariate_normal] mean of shape (2,)");
  EXPECT_THROW_MSG(random::multivariate_normal(mu_in, zeros({2, 3}), {}, float32),
                   std::invalid_argument, "cov must be square");
  EXPECT_THROW_MSG(random::multivariate_normal(mu_in, cov, {}, int32), std::invalid_argument,
                   "dtype must be float32 or float64");
  EXPECT_THROW_MSG(random::multivariate_normal(zeros({4, 2}), cov, {3}, float32),
                   std::invalid_argument, "do not broadcast");
}
