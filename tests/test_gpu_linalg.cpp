// Copyright © 2026 Tandem authors.
// GPU against CPU: linear algebra through cuSOLVER / cuBLAS (linalg.cu).
#include "gpu_parity.h"

// =====================================================================================
// Linear algebra (backend/cuda/linalg.cu)
// =====================================================================================
//
// Matrices of at most 32 rows and columns take the batched cuBLAS / cuSOLVER calls, larger ones
// a loop over the batch: both sizes appear below. Results that are unique (inverses, solutions,
// Cholesky factors, singular values, eigenvalues, LU factors of inputs without pivot ties) are
// compared with the CPU directly; factors unique only up to signs (QR, SVD, eigh) through
// quantities that are not (|Q|, |R|, U S Vt, V diag(c) V^T); eig through its defining identities.

namespace {

namespace la = tandem::linalg;

Shape with_matrix(Shape batch, int rows, int cols) {
  batch.push_back(rows);
  batch.push_back(cols);
  return batch;
}

size_t numel(const Shape& s) {
  size_t n = 1;
  for (auto e : s)
    n *= e;
  return n;
}

// Uniform [-1, 1] entries.
array la_general(const Shape& shape, uint32_t seed, Dtype t) {
  return make(rnd_reals(numel(shape), -1.0, 1.0, seed), shape, t);
}

// Uniform [-1, 1] entries plus max(3, n) on the diagonal: diagonally dominant, so inverses,
// triangular inverses and solutions are well conditioned at every size.
array la_square(const Shape& batch, int n, uint32_t seed, Dtype t) {
  Shape s = with_matrix(batch, n, n);
  auto v = rnd_reals(numel(s), -1.0, 1.0, seed);
  for (size_t b = 0; b < v.size() / (size_t(n) * n); ++b) {
    for (int i = 0; i < n; ++i)
      v[b * n * n + i * (n + 1)] += std::max(3, n);
  }
  return make(v, s, t);
}

// Symmetric positive definite: X X^T + n I (computed in float64 on the CPU).
array la_spd(const Shape& batch, int n, uint32_t seed, Dtype t) {
  array x = la_general(with_matrix(batch, n, n), seed, float64);
  array a = add(matmul(x, swapaxes(x, -1, -2, Device::cpu), Device::cpu),
                multiply(array(double(n), float64), eye(n, float64), Device::cpu), Device::cpu);
  return astype(a, t, Device::cpu);
}

array mt(const array& a, Device d) {
  return swapaxes(a, -1, -2, d);
}

// a[..., r0:r1, c0:c1]
array block(const array& a, int r0, int r1, int c0, int c1, Device d) {
  Shape start(a.ndim(), 0), stop = a.shape();
  start[a.ndim() - 2] = r0;
  stop[a.ndim() - 2] = r1;
  start[a.ndim() - 1] = c0;
  stop[a.ndim() - 1] = c1;
  return slice(a, start, stop, d);
}

std::string case_name(const Shape& s, Dtype t) {
  return shape_to_string(s) + " " + dtype_name(t);
}

}  // namespace

TEST(GpuParity, LinalgInverseSolveCholesky) {
  uint32_t seed = 700;
  for (Dtype t : {float32, float64}) {
    const double tol = t == float32 ? 100.0 : 1000.0;
    for (auto [batch, n] : std::vector<std::pair<Shape, int>>{{{7}, 5}, {{2, 3}, 1}, {{2}, 40}}) {
      SCOPED_TRACE(case_name(with_matrix(batch, n, n), t));
      array a = la_square(batch, n, seed++, t);
      array at = swapaxes(a, -1, -2, Device::cpu);  // a transposed view
      array b = la_general(with_matrix(batch, n, 3), seed++, t);
      array bv = la_general({n}, seed++, t);  // one vector for the whole batch
      array spd = la_spd(batch, n, seed++, t);
      EXPECT_MATCHES_CPU([&](Device d) { return la::inv(a, d); }, tol);
      EXPECT_MATCHES_CPU([&](Device d) { return la::inv(at, d); }, tol);
      EXPECT_MATCHES_CPU([&](Device d) { return la::solve(a, b, d); }, tol);
      EXPECT_MATCHES_CPU([&](Device d) { return la::solve(at, bv, d); }, tol);
      for (bool upper : {false, true}) {
        SCOPED_TRACE(upper ? "upper" : "lower");
        EXPECT_MATCHES_CPU([&](Device d) { return la::tri_inv(a, upper, d); }, tol);
        EXPECT_MATCHES_CPU([&](Device d) { return la::solve_triangular(a, b, upper, d); }, tol);
        EXPECT_MATCHES_CPU([&](Device d) { return la::solve_triangular(at, bv, upper, d); }, tol);
        EXPECT_MATCHES_CPU([&](Device d) { return la::cholesky(spd, upper, d); }, tol);
        EXPECT_MATCHES_CPU(
            [&](Device d) { return la::cholesky_inv(la::cholesky(spd, upper, d), upper, d); },
            tol * n);
      }
      for (auto& d : gpus()) {
        array eye_b = broadcast_to(eye(n, t), a.shape());
        EXPECT_TRUE(tandem_test::arrays_close(matmul(a, la::inv(a, d), d), eye_b, tol));
        array l = la::cholesky(spd, false, d);
        EXPECT_TRUE(tandem_test::arrays_close(matmul(l, mt(l, d), d), spd, tol * n));
        EXPECT_TRUE(tandem_test::arrays_close(matmul(a, la::solve(a, b, d), d), b, tol * n));
      }
    }
  }
  // Empty batches and matrices.
  EXPECT_MATCHES_CPU([&](Device d) { return la::inv(zeros({0, 3, 3}), d); });
  EXPECT_MATCHES_CPU([&](Device d) { return la::cholesky(zeros({2, 0, 0}), false, d); });
  EXPECT_MATCHES_CPU([&](Device d) { return la::solve(eye(3), zeros({3, 0}), d); });
}

namespace {

// The message of the std::runtime_error that evaluating fn(d) throws, or "" when none.
std::string error_of(const std::function<array(Device)>& fn, Device d) {
  try {
    fn(d).eval();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

// fn throws on the CPU, and every GPU throws the same message.
void expect_same_error(const std::function<array(Device)>& fn, const std::string& part) {
  const std::string want = error_of(fn, Device(Device::cpu));
  EXPECT_NE(want.find(part), std::string::npos) << "CPU message: \"" << want << "\"";
  for (auto& d : gpus()) {
    EXPECT_EQ(error_of(fn, d), want);
  }
}

}  // namespace

TEST(GpuParity, LinalgErrorsBatchedAndLooped) {
  // The status words of both GPU paths (batched library calls up to 32 x 32, a loop above) reach
  // the host and raise the CPU's exceptions, naming the same matrix and pivot. One bad matrix
  // per batch (the last one, so that every earlier one must be checked), float32 and float64.
  for (Dtype t : {float32, float64}) {
    for (int n : {4, 40}) {
      SCOPED_TRACE(std::to_string(n) + " " + dtype_name(t));
      const int count = 3;
      // Diagonally dominant matrices, the last with an exactly zero column 0 (LU pivot 0 is
      // zero, as is diagonal element 0).
      auto v = rnd_reals(static_cast<size_t>(count) * n * n, -1, 1, 1200 + n);
      for (int b = 0; b < count; ++b) {
        for (int i = 0; i < n; ++i)
          v[(b * n + i) * n + i] += n;
      }
      for (int i = 0; i < n; ++i)
        v[((count - 1) * n + i) * n] = 0.0;
      array sing = make(v, {count, n, n}, t);
      array rhs =
          make(rnd_reals(static_cast<size_t>(count) * n * 2, -1, 1, 1300 + n), {count, n, 2}, t);
      expect_same_error([&](Device d) { return la::inv(sing, d); },
                        "[linalg::inv] The matrix is singular");
      expect_same_error([&](Device d) { return la::solve(sing, rhs, d); },
                        "[linalg::solve] The matrix is singular");
      // Triangular: a zero on the diagonal of matrix 2 (position n / 2), in both triangles.
      auto tv = v;
      for (int i = 0; i < n; ++i)
        tv[((count - 1) * n + i) * n] = 0.5;
      tv[((count - 1) * n + n / 2) * n + n / 2] = 0.0;
      array tri = make(tv, {count, n, n}, t);
      for (bool upper : {false, true}) {
        SCOPED_TRACE(upper ? "upper" : "lower");
        expect_same_error(
            [&](Device d) { return la::tri_inv(tri, upper, d); },
            "[linalg::tri_inv] The matrix is singular: diagonal element " + std::to_string(n / 2));
        expect_same_error([&](Device d) { return la::solve_triangular(tri, rhs, upper, d); },
                          "[linalg::solve_triangular] The matrix is singular");
      }
      // Cholesky: matrix 1 is symmetric but indefinite (a negative diagonal entry at n - 1).
      array spd = la_spd({count}, n, 1400 + n, t);
      auto sv = values(spd);
      sv[(static_cast<size_t>(n) + n - 1) * n + n - 1] = -1.0;
      array bad = make(sv, {count, n, n}, t);
      for (bool upper : {false, true}) {
        SCOPED_TRACE(upper ? "upper" : "lower");
        expect_same_error([&](Device d) { return la::cholesky(bad, upper, d); },
                          "[linalg::cholesky] The matrix is not positive definite (its leading "
                          "minor of order " +
                              std::to_string(n) + " is not positive) (matrix 1 of the batch)");
      }
    }
  }
}

TEST(GpuParity, LinalgLUAndDeterminants) {
  uint32_t seed = 800;
  for (Dtype t : {float32, float64}) {
    // LU factors of different libraries agree only to the rounding of the eliminations.
    const double tol = t == float32 ? 1000.0 : 10000.0;
    for (Shape shape : {Shape{6, 4, 4}, Shape{2, 40, 40}, Shape{3, 5, 3}, Shape{3, 3, 5},
                        Shape{2, 1, 1}, Shape{37, 2}}) {
      SCOPED_TRACE(case_name(shape, t));
      array a = la_general(shape, seed++, t);
      EXPECT_MATCHES_CPU([&](Device d) { return la::lu_factor(a, d).first; }, tol);
      EXPECT_MATCHES_CPU([&](Device d) { return la::lu_factor(a, d).second; });  // exact
      EXPECT_MATCHES_CPU([&](Device d) { return la::lu(a, d)[0]; });             // exact
      if (shape[shape.size() - 1] == shape[shape.size() - 2]) {
        EXPECT_MATCHES_CPU([&](Device d) { return la::det(a, d); }, tol);
        EXPECT_MATCHES_CPU([&](Device d) { return la::slogdet(a, d).first; });
        EXPECT_MATCHES_CPU([&](Device d) { return la::slogdet(a, d).second; }, tol);
      }
      for (auto& d : gpus()) {
        auto plu = la::lu(a, d);
        array lp = take_along_axis(
            plu[1], broadcast_to(expand_dims(plu[0], -1, d), plu[1].shape(), d), -2, d);
        EXPECT_TRUE(tandem_test::arrays_close(matmul(lp, plu[2], d), a, tol));
      }
    }
  }
  // Singular matrices with an exactly zero pivot first or in the middle (a zero column): the
  // factorisation completes as LAPACK's does (no division by the zero pivot), det is 0.
  std::vector<double> v{0, 1, 2, 3, 0, 4, 5, 6, 0, 7, 8, 10, 0, 1, 1, 1,
                        1, 0, 2, 3, 4, 0, 5, 6, 7, 0, 8, 10, 1, 0, 1, 2};
  for (int n : {4, 40}) {
    SCOPED_TRACE(n);
    std::vector<double> big;
    Shape shape{2, n, n};
    if (n == 4) {
      big = v;
    } else {
      big = rnd_reals(2 * 40 * 40, -1, 1, 850);
      for (int i = 0; i < 40; ++i) {
        big[i * 40 + 0] = 0.0;          // matrix 0: column 0 is zero
        big[1600 + i * 40 + 17] = 0.0;  // matrix 1: column 17 is zero
      }
    }
    array sing = make(big, shape, float64);
    EXPECT_MATCHES_CPU([&](Device d) { return la::det(sing, d); });
    EXPECT_MATCHES_CPU([&](Device d) { return la::slogdet(sing, d).second; });
    for (auto& d : gpus()) {
      auto plu = la::lu(sing, d);
      array lp = take_along_axis(
          plu[1], broadcast_to(expand_dims(plu[0], -1, d), plu[1].shape(), d), -2, d);
      EXPECT_TRUE(tandem_test::arrays_close(matmul(lp, plu[2], d), sing, 1000.0));
    }
  }
  EXPECT_MATCHES_CPU([&](Device d) { return la::lu(zeros({2, 3, 0}), d)[0]; });
  EXPECT_MATCHES_CPU([&](Device d) { return la::det(zeros({2, 0, 0}), d); });
}

TEST(GpuParity, LinalgQRAndSVD) {
  uint32_t seed = 900;
  for (Dtype t : {float32, float64}) {
    const double tol = t == float32 ? 300.0 : 1000.0;
    // Small (batched Jacobi SVD), tall and wide (QR-iteration SVD, wide through the transpose),
    // one dimension small and the other large.
    for (Shape shape : {Shape{3, 6, 4}, Shape{2, 4, 6}, Shape{2, 40, 35}, Shape{2, 35, 40},
                        Shape{3, 50}, Shape{50, 3}}) {
      SCOPED_TRACE(case_name(shape, t));
      array a = la_general(shape, seed++, t);
      const int m = shape[shape.size() - 2], n = shape.back(), k = std::min(m, n);
      array c = la_general({k}, seed++, t);  // weights, one per singular pair
      // QR: a column of Q and the row of R change sign together; |Q| and |R| are unique.
      EXPECT_MATCHES_CPU([&](Device d) { return abs(la::qr(a, d).first, d); }, tol);
      EXPECT_MATCHES_CPU([&](Device d) { return abs(la::qr(a, d).second, d); }, tol);
      EXPECT_MATCHES_CPU(
          [&](Device d) {
            auto [q, r] = la::qr(a, d);
            return matmul(q, r, d);
          },
          tol);
      // SVD: the singular values, U S Vt, and the projectors weighted by c (unique for distinct
      // singular values, whatever the signs of the singular vectors).
      EXPECT_MATCHES_CPU([&](Device d) { return la::svd(a, false, d)[0]; }, tol);
      EXPECT_MATCHES_CPU([&](Device d) { return la::svd(a, true, d)[1]; }, tol);
      EXPECT_MATCHES_CPU(
          [&](Device d) {
            auto usv = la::svd(a, true, d);
            array u1 = block(usv[0], 0, m, 0, k, d), vt1 = block(usv[2], 0, k, 0, n, d);
            return matmul(multiply(u1, expand_dims(usv[1], -2, d), d), vt1, d);
          },
          tol);
      EXPECT_MATCHES_CPU(
          [&](Device d) {
            auto usv = la::svd(a, true, d);
            array u1 = block(usv[0], 0, m, 0, k, d);
            return matmul(multiply(u1, c, d), mt(u1, d), d);
          },
          tol * 10);
      EXPECT_MATCHES_CPU(
          [&](Device d) {
            auto usv = la::svd(a, true, d);
            array vt1 = block(usv[2], 0, k, 0, n, d);
            return matmul(multiply(mt(vt1, d), c, d), vt1, d);
          },
          tol * 10);
      EXPECT_MATCHES_CPU([&](Device d) { return la::pinv(a, d); }, tol * 10);
      for (auto& d : gpus()) {
        // The full factors (their extra columns are not unique) are orthogonal.
        auto usv = la::svd(a, true, d);
        EXPECT_TRUE(tandem_test::arrays_close(matmul(mt(usv[0], d), usv[0], d),
                                              broadcast_to(eye(m, t), usv[0].shape()), tol));
        EXPECT_TRUE(tandem_test::arrays_close(matmul(usv[2], mt(usv[2], d), d),
                                              broadcast_to(eye(n, t), usv[2].shape()), tol));
        auto [q, r] = la::qr(a, d);
        EXPECT_TRUE(tandem_test::arrays_close(
            matmul(mt(q, d), q, d),
            broadcast_to(eye(k, t), with_matrix(Shape(shape.begin(), shape.end() - 2), k, k)),
            tol));
      }
    }
  }
  // No singular values: U and Vt are identities; empty QR.
  EXPECT_MATCHES_CPU([&](Device d) { return la::svd(zeros({2, 0, 3}), true, d)[0]; });
  EXPECT_MATCHES_CPU([&](Device d) { return la::svd(zeros({2, 0, 3}), true, d)[2]; });
  EXPECT_MATCHES_CPU([&](Device d) { return la::qr(zeros({2, 3, 0}), d).first; });
}

TEST(GpuParity, LinalgEighAndEig) {
  uint32_t seed = 1000;
  for (Dtype t : {float32, float64}) {
    const double tol = t == float32 ? 300.0 : 1000.0;
    for (Shape shape : {Shape{4, 6, 6}, Shape{2, 40, 40}, Shape{3, 1, 1}}) {
      SCOPED_TRACE(case_name(shape, t));
      const int n = shape.back();
      array a = la_general(shape, seed++, t);  // not symmetric: eigh reads one triangle
      array c = la_general({n}, seed++, t);
      for (std::string uplo : {"L", "U"}) {
        SCOPED_TRACE(uplo);
        EXPECT_MATCHES_CPU([&](Device d) { return la::eigvalsh(a, uplo, d); }, tol);
        EXPECT_MATCHES_CPU([&](Device d) { return la::eigh(a, uplo, d).first; }, tol);
        EXPECT_MATCHES_CPU(
            [&](Device d) {
              auto [w, v] = la::eigh(a, uplo, d);
              return matmul(multiply(v, c, d), mt(v, d), d);
            },
            tol * 10);
      }
      // The symmetric matrix eigh(a, "L") sees: A V = V diag(w), V^T V = I.
      array sym =
          add(tril(a, 0, Device::cpu), mt(tril(a, -1, Device::cpu), Device::cpu), Device::cpu);
      for (auto& d : gpus()) {
        auto [w, v] = la::eigh(a, "L", d);
        EXPECT_TRUE(tandem_test::arrays_close(matmul(sym, v, d),
                                              multiply(v, expand_dims(w, -2, d), d), tol * 10));
        EXPECT_TRUE(tandem_test::arrays_close(matmul(mt(v, d), v, d),
                                              broadcast_to(eye(n, t), v.shape()), tol));
      }
      // eig: A v = lambda v with unit-norm columns, and the same eigenvalues as the CPU's (in
      // any order; each CPU eigenvalue is matched to a distinct GPU one).
      const double etol = t == float32 ? 1e-3 : 1e-5;  // complex64 results either way
      auto cw = la::eigvals(a, Device::cpu).to_vector<complex64_t>();
      auto av = values(a);
      const int64_t batch = static_cast<int64_t>(cw.size()) / n;
      for (auto& d : gpus()) {
        auto [w, v] = la::eig(a, d);
        auto wv = w.to_vector<complex64_t>();
        auto vv = v.to_vector<complex64_t>();
        auto wonly = la::eigvals(a, d).to_vector<complex64_t>();
        ASSERT_EQ(wv.size(), cw.size());
        for (int64_t b = 0; b < batch; ++b) {
          std::vector<bool> used(n, false);
          for (int j = 0; j < n; ++j) {
            std::complex<double> want = cw[b * n + j];
            int hit = -1;
            for (int i = 0; i < n && hit < 0; ++i) {
              if (!used[i] && std::abs(std::complex<double>(wv[b * n + i]) - want) <=
                                  etol * (1.0 + std::abs(want))) {
                hit = i;
              }
            }
            EXPECT_GE(hit, 0) << "eigenvalue " << want << " of matrix " << b << " not found";
            if (hit >= 0) used[hit] = true;
            EXPECT_LE(std::abs(std::complex<double>(wonly[b * n + j]) -
                               std::complex<double>(wv[b * n + j])),
                      etol * (1.0 + std::abs(want)));
            // Column j of V against eigenvalue j.
            std::complex<double> lam = wv[b * n + j];
            double err = 0, norm = 0;
            for (int i = 0; i < n; ++i) {
              std::complex<double> lhs = 0;
              for (int q = 0; q < n; ++q)
                lhs += av[(b * n + i) * n + q] * std::complex<double>(vv[(b * n + q) * n + j]);
              std::complex<double> vij = vv[(b * n + i) * n + j];
              err = std::max(err, std::abs(lhs - lam * vij));
              norm += std::norm(vij);
            }
            EXPECT_LT(err, 1e-4 * (1.0 + std::abs(lam)));
            EXPECT_NEAR(norm, 1.0, 1e-5);
          }
        }
      }
    }
  }
  EXPECT_MATCHES_CPU([&](Device d) { return la::eigvalsh(zeros({2, 0, 0}), "L", d); });
}

TEST(GpuParity, LinalgDerivativesAndVmap) {
  // The derivative rules (primitives/rules_linalg.cpp) run their ops on the forward's device.
  array a = la_square({3}, 4, 1100, float64);
  array g = la_general({3, 4, 4}, 1101, float64);
  array spd = la_spd({3}, 4, 1102, float64);
  const double tol = 1000.0;
  EXPECT_MATCHES_CPU(
      [&](Device d) { return grad([&](const array& x) { return sum(la::inv(x, d), d); })(a); },
      tol);
  EXPECT_MATCHES_CPU(
      [&](Device d) {
        return grad([&](const array& x) { return sum(la::slogdet(x, d).second, d); })(a);
      },
      tol);
  EXPECT_MATCHES_CPU(
      [&](Device d) { return grad([&](const array& x) { return sum(la::solve(x, g, d), d); })(a); },
      tol);
  EXPECT_MATCHES_CPU(
      [&](Device d) {
        return grad([&](const array& x) { return sum(la::cholesky(x, false, d), d); })(spd);
      },
      tol);
  EXPECT_MATCHES_CPU(
      [&](Device d) {
        return grad([&](const array& x) { return sum(la::eigvalsh(x, "L", d), d); })(g);
      },
      tol);
  EXPECT_MATCHES_CPU(
      [&](Device d) {
        return grad([&](const array& x) { return sum(la::svd(x, false, d)[0], d); })(g);
      },
      tol);
  EXPECT_MATCHES_CPU(
      [&](Device d) {
        return grad([&](const array& x) { return sum(square(la::qr(x, d).second, d), d); })(g);
      },
      tol);
  EXPECT_MATCHES_CPU(
      [&](Device d) { return vmap([&](const array& x) { return la::inv(x, d); })(a); }, tol);
  EXPECT_MATCHES_CPU(
      [&](Device d) {
        return vmap([&](const array& x) { return la::det(x, d); },
                    2)(moveaxis(a, 0, 2, Device::cpu));
      },
      tol);
}
