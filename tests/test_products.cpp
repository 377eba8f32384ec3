// Copyright © 2026 Tandem authors.
// Tensor and structured matrix products (include/tandem/ops_products.h): tensordot, inner, outer,
// kron, vecdot, einsum / einsum_path, gather_mm, block_masked_mm. Hand-computed values and
// identities against explicit ops and loops, non-contiguous and empty inputs, dtypes, errors,
// derivatives against finite differences and vmap against a loop. Also the matmul paths this
// work added to the CPU backend (GEMV, folded batches, parallel small batches, 16-bit operands
// converted in their own layout).
#include <cmath>
#include <complex>
#include <numeric>

#include "harness.h"
#include "transforms_check.h"

using namespace tandem;
using tandem_test::values;

namespace {

// got and want have the same dtype and shape and values within tol (rtol = atol).
::testing::AssertionResult same(const array& got, const array& want, double tol = 1e-10) {
  if (got.dtype() != want.dtype()) {
    return ::testing::AssertionFailure() << "dtype " << got.dtype() << " != " << want.dtype();
  }
  return tandem_test::array_close(got, values(want), want.shape(), tol, tol);
}

array r64(const Shape& s, uint32_t seed) {
  return tx::rand64(s, -1, 1, seed);
}

// Row-major (M, K) @ (K, N) in double.
std::vector<double> ref_mm(const std::vector<double>& a, const std::vector<double>& b, int M, int K,
                           int N) {
  std::vector<double> c(static_cast<size_t>(M) * N, 0.0);
  for (int i = 0; i < M; ++i) {
    for (int k = 0; k < K; ++k) {
      for (int j = 0; j < N; ++j)
        c[i * N + j] += a[i * K + k] * b[k * N + j];
    }
  }
  return c;
}

// A block mask (..., tr, tc) expanded to elements (..., R, C).
array expand_mask(const array& m, int bs, int R, int C) {
  array e = repeat(repeat(m, bs, -1), bs, -2);
  Shape start(e.ndim(), 0), stop = e.shape();
  stop[e.ndim() - 2] = R;
  stop[e.ndim() - 1] = C;
  return slice(e, start, stop);
}

// block_masked_mm by hand: mask the operands and the product elementwise.
array masked_by_hand(const array& a, const array& b, int bs, const std::optional<array>& mo,
                     const std::optional<array>& ml, const std::optional<array>& mr) {
  int M = a.shape(-2), K = a.shape(-1), N = b.shape(-1);
  Dtype t = a.dtype();
  array x = ml ? multiply(a, astype(expand_mask(*ml, bs, M, K), t)) : a;
  array y = mr ? multiply(b, astype(expand_mask(*mr, bs, K, N), t)) : b;
  array p = matmul(x, y);
  return mo ? multiply(p, astype(expand_mask(*mo, bs, M, N), t)) : p;
}

}  // namespace

// ============================== inner, outer, kron, tensordot, vecdot
// ==============================

DEVICE_TEST(ProductValues, InnerOuter) {
  array u = array({1.f, 2.f, 3.f}), v = array({4.f, 5.f, 6.f});
  EXPECT_ARRAY_EQ(inner(u, v, device), std::vector<float>{32}, Shape{});
  EXPECT_ARRAY_EQ(outer(u, array({4.f, 5.f}), device), std::vector<float>{4, 5, 8, 10, 12, 15},
                  Shape{3, 2});
  // outer flattens its inputs.
  EXPECT_ARRAY_EQ(outer(array({1.f, 2.f, 3.f, 4.f}, {2, 2}), array({1.f, -1.f}), device),
                  std::vector<float>{1, -1, 2, -2, 3, -3, 4, -4}, Shape{4, 2});
  // inner of matrices: a @ b^T over the last axes; of a 0-d input: multiply.
  array a = array({1.f, 2.f, 3.f, 4.f, 5.f, 6.f}, {2, 3});
  array b = array({1.f, 0.f, -1.f, 2.f, 2.f, 2.f}, {2, 3});
  EXPECT_ARRAY_EQ(inner(a, b, device), std::vector<float>{-2, 12, -2, 30}, Shape{2, 2});
  EXPECT_ARRAY_EQ(inner(a, array(2.f), device), std::vector<float>{2, 4, 6, 8, 10, 12},
                  Shape{2, 3});
  // Integers stay integers.
  array ia = array({1, 2, 3}), ib = array({4, 5, 6});
  EXPECT_ARRAY_EQ(inner(ia, ib, device), std::vector<int32_t>{32}, Shape{}, int32);
  EXPECT_ARRAY_EQ(outer(ia, ib, device), std::vector<int32_t>{4, 5, 6, 8, 10, 12, 12, 15, 18},
                  Shape{3, 3}, int32);
  EXPECT_THROW_MSG(inner(a, array({1.f, 2.f}), device), std::invalid_argument, "[inner]");
}

DEVICE_TEST(ProductValues, Kron) {
  array a = array({1.f, 2.f, 3.f, 4.f}, {2, 2}), b = array({0.f, 5.f, 6.f, 7.f}, {2, 2});
  EXPECT_ARRAY_EQ(kron(a, b, device),
                  std::vector<float>{0, 5, 0, 10, 6, 7, 12, 14, 0, 15, 0, 20, 18, 21, 24, 28},
                  Shape{4, 4});
  // Fewer axes get leading 1s: (2) x (2, 1) -> (2, 2).
  EXPECT_ARRAY_EQ(kron(array({1.f, 2.f}), array({1.f, 1.f}, {2, 1}), device),
                  std::vector<float>{1, 2, 1, 2}, Shape{2, 2});
  // Identity blocks: kron(I2, B) is block diagonal.
  EXPECT_ARRAY_EQ(kron(eye(2), array({1.f, 2.f}, {1, 2}), device),
                  std::vector<float>{1, 2, 0, 0, 0, 0, 1, 2}, Shape{2, 4});
  EXPECT_ARRAY_EQ(kron(array(3.f), array({1.f, 2.f}), device), std::vector<float>{3, 6}, Shape{2});
  // A transposed operand.
  EXPECT_ARRAY_EQ(kron(transpose(a), array({1.f, -1.f}), device),
                  std::vector<float>{1, -1, 3, -3, 2, -2, 4, -4}, Shape{2, 4});
  EXPECT_THROW_MSG(kron(zeros({0, 2}), a, device), std::invalid_argument, "[kron]");
}

DEVICE_TEST(ProductValues, Tensordot) {
  // a (3, 4, 5), b (4, 3, 2) contracted over (a1, a0) with (b0, b1): out[k, n] =
  // sum_{i,j} a[i, j, k] * b[j, i, n].
  std::vector<double> av(60), bv(24);
  std::iota(av.begin(), av.end(), 0.0);
  std::iota(bv.begin(), bv.end(), 0.0);
  array a = array(av, {3, 4, 5}, float32), b = array(bv, {4, 3, 2}, float32);
  std::vector<double> want(10, 0.0);
  for (int k = 0; k < 5; ++k) {
    for (int n = 0; n < 2; ++n) {
      for (int i = 0; i < 3; ++i) {
        for (int j = 0; j < 4; ++j)
          want[k * 2 + n] += av[(i * 4 + j) * 5 + k] * bv[(j * 3 + i) * 2 + n];
      }
    }
  }
  EXPECT_ARRAY_CLOSE(tensordot(a, b, {1, 0}, {0, 1}, device), want, (Shape{5, 2}));
  EXPECT_ARRAY_CLOSE(tensordot(a, b, {-2, 0}, {-3, 1}, device), want, (Shape{5, 2}));
  // The same from integers (no matmul: multiply + sum).
  EXPECT_ARRAY_CLOSE(tensordot(astype(a, int32), astype(b, int32), {1, 0}, {0, 1}, device), want,
                     (Shape{5, 2}), 0, 0);
  // axis = 2: the last two of a with the first two of b; axis = 0: the outer product.
  array x = r64({2, 3, 4}, 1), y = r64({3, 4, 5}, 2);
  EXPECT_TRUE(same(tensordot(x, y, 2, device), matmul(reshape(x, {2, 12}), reshape(y, {12, 5}))));
  EXPECT_TRUE(same(tensordot(x, y, 0, device), reshape(outer(x, y), {2, 3, 4, 3, 4, 5})));
  array yt = transpose(y, {1, 2, 0});  // (4, 5, 3), a transposed view
  EXPECT_TRUE(same(tensordot(x, yt, 1, device),
                   reshape(matmul(reshape(x, {6, 4}), reshape(yt, {4, 15})), {2, 3, 5, 3})));
  // Non-contiguous operands give the same values.
  EXPECT_TRUE(same(tensordot(transpose(transpose(x)), y, 2, device), tensordot(x, y, 2)));
  array xt = transpose(r64({4, 3, 2}, 3));  // (2, 3, 4), reversed strides
  EXPECT_TRUE(same(tensordot(xt, y, 2, device), tensordot(contiguous(xt), y, 2)));
  // Errors.
  EXPECT_THROW_MSG(tensordot(x, y, 3, device), std::invalid_argument, "[tensordot]");
  EXPECT_THROW_MSG(tensordot(x, y, -1, device), std::invalid_argument, "[tensordot]");
  EXPECT_THROW_MSG(tensordot(x, y, {0}, {0}, device), std::invalid_argument, "different extents");
  EXPECT_THROW_MSG(tensordot(x, y, {1, 2}, {0}, device), std::invalid_argument, "same length");
  EXPECT_THROW_MSG(tensordot(x, y, {1, 1}, {0, 0}, device), std::invalid_argument,
                   "Duplicate axis");
  EXPECT_THROW_MSG(tensordot(x, y, {5}, {0}, device), std::invalid_argument, "[tensordot]");
}

DEVICE_TEST(ProductValues, Vecdot) {
  array u = array({1.f, 2.f, 3.f}), v = array({4.f, 5.f, 6.f});
  EXPECT_ARRAY_EQ(vecdot(u, v, -1, device), std::vector<float>{32}, Shape{});
  // Broadcast: (2, 3) with (3) -> (2); axis 0 of (3, 2) with (3, 1).
  array m = array({1.f, 2.f, 3.f, 4.f, 5.f, 6.f}, {2, 3});
  EXPECT_ARRAY_EQ(vecdot(m, v, -1, device), std::vector<float>{32, 77}, Shape{2});
  EXPECT_ARRAY_EQ(vecdot(transpose(m), array({1.f, 1.f, 1.f}, {3, 1}), 0, device),
                  std::vector<float>{6, 15}, Shape{2});
  // Complex: the first operand is conjugated.
  array c = array({complex64_t(1, 1), complex64_t(0, 2)});
  EXPECT_TRUE(tandem_test::complex_close(vecdot(c, c, -1, device), {complex64_t(6, 0)}, {}));
  EXPECT_TRUE(tandem_test::complex_close(
      vecdot(c, array({complex64_t(1, 0), complex64_t(1, 0)}), -1, device), {complex64_t(1, -3)},
      {}));
  EXPECT_ARRAY_EQ(vecdot(array({1, 2}), array({3, 4}), -1, device), std::vector<int32_t>{11},
                  Shape{}, int32);
  EXPECT_THROW_MSG(vecdot(u, array({1.f, 2.f}), -1, device), std::invalid_argument, "[vecdot]");
  EXPECT_THROW_MSG(vecdot(array(1.f), u, -1, device), std::invalid_argument, "[vecdot]");
  EXPECT_THROW_MSG(vecdot(u, v, 1, device), std::invalid_argument, "[vecdot]");
}

// ============================== einsum ==============================

DEVICE_TEST(Einsum, MatchesExplicitOps) {
  array A = r64({3, 4}, 10), B = r64({4, 5}, 11), S = r64({4, 4}, 12);
  array P = r64({2, 3, 4}, 13), Q = r64({2, 4, 5}, 14);
  array u = r64({3}, 15), v = r64({5}, 16), w = r64({3}, 17);
  EXPECT_TRUE(same(einsum("ij,jk->ik", {A, B}, device), matmul(A, B)));
  EXPECT_TRUE(same(einsum("ij,jk", {A, B}, device), matmul(A, B)));  // implicit
  EXPECT_TRUE(same(einsum("ij,kj->ik", {A, transpose(B)}, device), matmul(A, B)));
  EXPECT_TRUE(same(einsum("ji,jk->ik", {transpose(A), B}, device), matmul(A, B)));
  EXPECT_TRUE(same(einsum("ik,jk->ij", {A, A}, device), matmul(A, transpose(A))));
  EXPECT_TRUE(same(einsum("ij,jk->ki", {A, B}, device), transpose(matmul(A, B))));
  EXPECT_TRUE(same(einsum("ii->", {S}, device), trace(S)));
  EXPECT_TRUE(same(einsum("ii", {S}, device), trace(S)));  // implicit: repeated, summed
  EXPECT_TRUE(same(einsum("ii->i", {S}, device), diagonal(S)));
  EXPECT_TRUE(same(einsum("ij->ji", {A}, device), transpose(A)));
  EXPECT_TRUE(same(einsum("ij->", {A}, device), sum(A)));
  EXPECT_TRUE(same(einsum("ij->j", {A}, device), sum(A, 0)));
  EXPECT_TRUE(same(einsum("ba", {A}, device), transpose(A)));  // implicit output sorted
  EXPECT_TRUE(same(einsum("bij,bjk->bik", {P, Q}, device), matmul(P, Q)));
  EXPECT_TRUE(same(einsum("bij,bjk->b", {P, Q}, device), sum(matmul(P, Q), {1, 2})));
  EXPECT_TRUE(same(einsum("i,j->ij", {u, v}, device), outer(u, v)));
  EXPECT_TRUE(same(einsum("i,j", {u, v}, device), outer(u, v)));
  EXPECT_TRUE(same(einsum("i,i->", {u, w}, device), sum(multiply(u, w))));
  EXPECT_TRUE(same(einsum("i,i->i", {u, w}, device), multiply(u, w)));
  EXPECT_TRUE(same(einsum("i,i", {u, w}, device), sum(multiply(u, w))));
  // The same array as both operands.
  EXPECT_TRUE(same(einsum("ij,ij->ij", {A, A}, device), multiply(A, A)));
  EXPECT_TRUE(same(einsum("ij,ij->", {A, A}, device), sum(square(A))));
  // Two contracted axes, batch + contraction mixes, diagonals inside products.
  array T3 = r64({3, 4, 2}, 18), U3 = r64({4, 2, 5}, 19);
  EXPECT_TRUE(same(einsum("ijk,jkl->il", {T3, U3}, device), tensordot(T3, U3, 2)));
  EXPECT_TRUE(same(einsum("bij,bj->bi", {P, r64({2, 4}, 20)}, device),
                   squeeze(matmul(P, expand_dims(r64({2, 4}, 20), -1)), -1)));
  EXPECT_TRUE(
      same(einsum("ii,i->i", {S, r64({4}, 21)}, device), multiply(diagonal(S), r64({4}, 21))));
  array D3 = r64({3, 3, 4}, 22);
  EXPECT_TRUE(same(einsum("iij->j", {D3}, device), sum(diagonal(D3, 0, 0, 1), -1)));
  EXPECT_TRUE(same(einsum("jii->ji", {transpose(D3, {2, 0, 1})}, device), diagonal(D3, 0, 0, 1)));
  EXPECT_TRUE(same(einsum("jii->ij", {transpose(D3, {2, 0, 1})}, device),
                   transpose(diagonal(D3, 0, 0, 1))));
  // A 0-d operand (empty subscript) and upper-case letters.
  EXPECT_TRUE(same(einsum("i,->i", {u, array(2.0)}, device), multiply(u, array(2.0))));
  EXPECT_TRUE(same(einsum("Ab,bC->AC", {A, B}, device), matmul(A, B)));
}

DEVICE_TEST(Einsum, EllipsisAndBroadcast) {
  array X = r64({2, 1, 3, 4}, 30), Y = r64({5, 4, 2}, 31);
  EXPECT_TRUE(same(einsum("...ij,...jk->...ik", {X, Y}, device), matmul(X, Y)));
  EXPECT_TRUE(same(einsum("...ij,...jk", {X, Y}, device), matmul(X, Y)));  // implicit
  EXPECT_TRUE(same(einsum("...ij->...ji", {X}, device), swapaxes(X, -1, -2)));
  EXPECT_TRUE(same(einsum("i...->...", {r64({3, 2, 2}, 32)}, device), sum(r64({3, 2, 2}, 32), 0)));
  // No "..." in the output: the ellipsis axes are summed.
  EXPECT_TRUE(same(einsum("...ij->ij", {X}, device), sum(X, {0, 1})));
  // A letter of extent 1 broadcasts against the other operand's extent.
  array a = r64({3, 1}, 33), b = r64({4, 5}, 34);
  EXPECT_TRUE(same(einsum("ij,jk->ik", {a, b}, device), multiply(a, sum(b, 0, true))));
  EXPECT_TRUE(same(einsum("bij,bjk->bik", {r64({1, 3, 4}, 35), r64({2, 4, 5}, 36)}, device),
                   matmul(r64({1, 3, 4}, 35), r64({2, 4, 5}, 36))));
}

DEVICE_TEST(Einsum, SeveralOperands) {
  array A = r64({3, 4}, 40), B = r64({4, 5}, 41), C = r64({5, 2}, 42), D = r64({2, 6}, 43);
  EXPECT_TRUE(same(einsum("ij,jk,kl->il", {A, B, C}, device), matmul(matmul(A, B), C)));
  EXPECT_TRUE(
      same(einsum("ab,bc,cd,de->ae", {A, B, C, D}, device), matmul(matmul(matmul(A, B), C), D)));
  EXPECT_TRUE(
      same(einsum("ab,bc,cd,de", {A, B, C, D}, device), matmul(matmul(matmul(A, B), C), D)));
  // Bilinear form with a batch: out[b, a] = x[b, n] W[a, n, m] y[b, m].
  array x = r64({2, 3}, 44), W = r64({4, 3, 5}, 45), y = r64({2, 5}, 46);
  array want = sum(multiply(multiply(reshape(x, {2, 1, 3, 1}), reshape(W, {1, 4, 3, 5})),
                            reshape(y, {2, 1, 1, 5})),
                   {2, 3});
  EXPECT_TRUE(same(einsum("bn,anm,bm->ba", {x, W, y}, device), want));
  // Outer products of three vectors, and a trace of a product chain.
  array u = r64({2}, 47), v = r64({3}, 48), w = r64({4}, 49);
  EXPECT_TRUE(
      same(einsum("i,j,k->ijk", {u, v, w}, device), multiply(reshape(outer(u, v), {2, 3, 1}), w)));
  array S = r64({3, 3}, 50), T = r64({3, 3}, 51);
  EXPECT_TRUE(same(einsum("ij,jk,ki->", {S, T, S}, device), trace(matmul(matmul(S, T), S))));
  // The same operand three times.
  EXPECT_TRUE(same(einsum("ij,jk,kl->il", {S, S, S}, device), matmul(matmul(S, S), S)));
}

DEVICE_TEST(Einsum, DtypesLayoutsEmpty) {
  array A = r64({3, 4}, 60), B = r64({4, 5}, 61);
  // Integers and bool: multiply + sum, NumPy's result dtypes.
  array ia = astype(multiply(A, array(8.0)), int32), ib = astype(multiply(B, array(8.0)), int32);
  array want = astype(matmul(astype(ia, float64), astype(ib, float64)), int32);
  EXPECT_TRUE(tandem_test::array_eq(einsum("ij,jk->ik", {ia, ib}, device),
                                    want.to_vector<int32_t>(), Shape{3, 5}, int32));
  EXPECT_TRUE(tandem_test::array_eq(einsum("ii->", {array({1, 2, 3, 4}, {2, 2})}, device),
                                    std::vector<int32_t>{5}, Shape{}, int32));
  // Booleans: or of ands. [[T, F], [T, T]] @ [[T, F], [T, T]] = [[T, F], [T, T]].
  array bl = array({true, false, true, true}, {2, 2});
  EXPECT_TRUE(tandem_test::array_eq(einsum("ij,jk->ik", {bl, bl}, device),
                                    std::vector<bool>{true, false, true, true}, Shape{2, 2},
                                    bool_));
  EXPECT_TRUE(tandem_test::array_eq(einsum("ij,ij->", {bl, logical_not(bl)}, device),
                                    std::vector<bool>{false}, Shape{}, bool_));
  // float32, float16, bfloat16 and complex64 (promotion across operands).
  EXPECT_TRUE(same(einsum("ij,jk->ik", {astype(A, float32), astype(B, float32)}, device),
                   matmul(astype(A, float32), astype(B, float32)), 1e-5));
  array h = einsum("ij,jk->ik", {astype(A, float16), astype(B, float16)}, device);
  EXPECT_EQ(h.dtype(), float16);
  EXPECT_TRUE(tandem_test::array_close(h, values(matmul(A, B)), {3, 5}, 1e-2, 1e-2));
  EXPECT_EQ(einsum("ij,jk->ik", {astype(A, float16), astype(B, float32)}, device).dtype(), float32);
  array ca = astype(A, complex64), cb = astype(B, complex64);
  EXPECT_TRUE(same(einsum("ij,jk->ik", {ca, cb}, device), matmul(ca, cb), 1e-5));
  // Non-contiguous operands in every layout.
  for (tx::Layout l : tx::all_layouts()) {
    SCOPED_TRACE(tx::layout_name(l));
    array a = tx::with_layout(values(A), {3, 4}, l), b = tx::with_layout(values(B), {4, 5}, l);
    EXPECT_TRUE(same(einsum("ij,jk->ik", {a, b}, device), matmul(A, B)));
    EXPECT_TRUE(same(einsum("ij,jk->ki", {a, b}, device), transpose(matmul(A, B))));
    EXPECT_TRUE(same(einsum("ij->", {a}, device), sum(A)));
  }
  // Empty: an empty contraction gives zeros, an empty free axis an empty result.
  EXPECT_TRUE(same(einsum("ij,jk->ik", {zeros({3, 0}), zeros({0, 5})}, device), zeros({3, 5})));
  EXPECT_EQ(einsum("ij,jk->ik", {zeros({0, 4}), B}, device).shape(), (Shape{0, 5}));
  EXPECT_EQ(einsum("i,j->ij", {zeros({0}), zeros({2})}, device).shape(), (Shape{0, 2}));
  // Extent 1 broadcasts against 0 as against any other extent.
  EXPECT_EQ(einsum("i,i->i", {zeros({0}), ones({1})}, device).shape(), (Shape{0}));
  EXPECT_TRUE(same(einsum("ij,jk->ik", {ones({3, 1}), zeros({0, 5})}, device), zeros({3, 5})));
}

TEST(Einsum, Errors) {
  array A = zeros({3, 4}), B = zeros({4, 5});
  EXPECT_THROW_MSG(einsum("ij,jk->ik", {A}), std::invalid_argument, "1 were given");
  EXPECT_THROW_MSG(einsum("ij", {}), std::invalid_argument, "At least one operand");
  EXPECT_THROW_MSG(einsum("i1,jk->ik", {A, B}), std::invalid_argument, "Invalid character '1'");
  EXPECT_THROW_MSG(einsum("...i...,jk", {A, B}), std::invalid_argument, "one ellipsis");
  EXPECT_THROW_MSG(einsum("i.j,jk", {A, B}), std::invalid_argument, "ellipsis");
  EXPECT_THROW_MSG(einsum("ij,jk->iz", {A, B}), std::invalid_argument, "'z' does not appear");
  EXPECT_THROW_MSG(einsum("ij,jk->ii", {A, B}), std::invalid_argument, "repeats 'i'");
  EXPECT_THROW_MSG(einsum("ij,jk->ik->i", {A, B}), std::invalid_argument, "one '->'");
  EXPECT_THROW_MSG(einsum("ijk,jk->ik", {A, B}), std::invalid_argument, "3 letters");
  EXPECT_THROW_MSG(einsum("ij,kj->ik", {A, B}), std::invalid_argument, "does not match extent");
  EXPECT_THROW_MSG(einsum("ii->i", {A}), std::invalid_argument, "different extents");
  EXPECT_THROW_MSG(einsum("...ijk->k", {A}), std::invalid_argument, "fewer axes");
  EXPECT_THROW_MSG(einsum_path("ij,jk->ik", {A}), std::invalid_argument, "[einsum_path]");
}

TEST(Einsum, Path) {
  // (100, 2) (2, 100) (100, 3): contracting the last two first keeps intermediates tiny.
  array a = zeros({100, 2}), b = zeros({2, 100}), c = zeros({100, 3});
  auto [path, text] = einsum_path("ij,jk,kl->il", {a, b, c});
  EXPECT_EQ(path, (std::vector<std::vector<int>>{{1, 2}, {0, 1}}));
  EXPECT_TRUE(tandem_test::contains(text, "Complete contraction:  ij,jk,kl->il")) << text;
  EXPECT_TRUE(tandem_test::contains(text, "Naive scaling:  4")) << text;
  EXPECT_TRUE(tandem_test::contains(text, "Optimized scaling:  3")) << text;
  EXPECT_TRUE(tandem_test::contains(text, "Optimized FLOP count")) << text;
  EXPECT_TRUE(tandem_test::contains(text, "jk,kl->jl")) << text;
  EXPECT_TRUE(tandem_test::contains(text, "ij,jl->il")) << text;
  // The other way round when the first pair is the cheap one.
  auto p2 = einsum_path("ij,jk,kl->il", {zeros({3, 100}), zeros({100, 2}), zeros({2, 100})});
  EXPECT_EQ(p2.first, (std::vector<std::vector<int>>{{0, 1}, {0, 1}}));
  // Pairs that share an index go before outer products: (j, ij) removes 5 + 20 - 4 elements,
  // (i, ij) 4 + 20 - 5, the outer product (i, j) none.
  auto p3 = einsum_path("i,j,ij->", {zeros({4}), zeros({5}), zeros({4, 5})});
  EXPECT_EQ(p3.first, (std::vector<std::vector<int>>{{1, 2}, {0, 1}}));
  // One or two operands: a single step.
  EXPECT_EQ(einsum_path("ii->", {zeros({3, 3})}).first, (std::vector<std::vector<int>>{{0}}));
  EXPECT_EQ(einsum_path("ij,jk", {a, b}).first, (std::vector<std::vector<int>>{{0, 1}}));
  // The implicit output is spelled out in the description.
  EXPECT_TRUE(tandem_test::contains(einsum_path("ij,jk", {a, b}).second, "(ij,jk->ik)"));
  // The path einsum takes gives the right values (checked against explicit matmuls).
  array x = r64({6, 2}, 70), y = r64({2, 6}, 71), z = r64({6, 3}, 72);
  EXPECT_TRUE(same(einsum("ij,jk,kl->il", {x, y, z}), matmul(x, matmul(y, z))));
}

// ============================== gather_mm ==============================

DEVICE_TEST(GatherMM, MatchesLoopOfMatmuls) {
  array a = r64({3, 2, 4}, 80), b = r64({4, 4, 5}, 81);
  array lhs = array({0, 2, 1, 1}, {2, 2}), rhs = array({3, 0});  // broadcast to (2, 2)
  array got = gather_mm(a, b, lhs, rhs, false, device);
  EXPECT_EQ(got.shape(), (Shape{2, 2, 2, 5}));
  // Identity: take the matrices, then matmul.
  array want = matmul(take(a, lhs, 0), take(b, broadcast_to(rhs, {2, 2}), 0));
  EXPECT_TRUE(same(got, want));
  // By hand, pair (1, 0): a[1] @ b[3].
  auto av = values(a), bv = values(b), gv = values(got);
  std::vector<double> a1(av.begin() + 8, av.begin() + 16), b3(bv.begin() + 60, bv.end());
  auto ref = ref_mm(a1, b3, 2, 4, 5);
  for (int e = 0; e < 10; ++e)
    EXPECT_NEAR(gv[20 + e], ref[e], 1e-12);
  // Default indices: every batch in order; the given side is gathered.
  EXPECT_TRUE(same(gather_mm(a, b, std::nullopt, array({1, 1, 0}), false, device),
                   matmul(a, take(b, array({1, 1, 0}), 0))));
  EXPECT_TRUE(same(gather_mm(a, b, array({2, 0, 0, 1}), std::nullopt, false, device),
                   matmul(take(a, array({2, 0, 0, 1}), 0), b)));
  // No indices: matmul.
  array b0 = r64({4, 5}, 84);
  EXPECT_TRUE(same(gather_mm(a, b0, std::nullopt, std::nullopt, false, device), matmul(a, b0)));
  // Negative indices wrap; out-of-range ones clamp.
  EXPECT_TRUE(same(gather_mm(a, b, array({-1, 7}), array({-4, 9}), false, device),
                   matmul(take(a, array({2, 2}), 0), take(b, array({0, 3}), 0))));
  // Batch dimensions of the operands are flattened row-major.
  array a4 = r64({2, 3, 2, 4}, 82);
  EXPECT_TRUE(
      same(gather_mm(a4, b, array({5, 0}), array({1, 2}), false, device),
           matmul(take(reshape(a4, {6, 2, 4}), array({5, 0}), 0), take(b, array({1, 2}), 0))));
  // 1-d operands: promoted to matrices, the added axes removed.
  array vec = r64({4}, 83);
  EXPECT_TRUE(same(gather_mm(vec, b, std::nullopt, array({2, 0}), false, device),
                   matmul(vec, take(b, array({2, 0}), 0))));
  EXPECT_TRUE(same(gather_mm(a, vec, array({1, 2}), std::nullopt, false, device),
                   matmul(take(a, array({1, 2}), 0), vec)));
}

DEVICE_TEST(GatherMM, SortedRunsLayoutsDtypes) {
  // Tokens routed to sorted experts: consecutive pairs share B and A rows follow each other.
  array x = r64({6, 1, 8}, 90), w = r64({3, 8, 5}, 91);
  array experts = array({0, 0, 0, 1, 1, 2});
  array want = matmul(x, take(w, experts, 0));
  EXPECT_TRUE(same(gather_mm(x, w, std::nullopt, experts, true, device), want));
  EXPECT_TRUE(same(gather_mm(x, w, std::nullopt, experts, false, device), want));
  // Multi-row A matrices in runs, then an unsorted order.
  array x2 = r64({5, 3, 8}, 92);
  for (auto idx : {array({1, 1, 1, 2, 2}), array({2, 0, 2, 1, 0})}) {
    EXPECT_TRUE(
        same(gather_mm(x2, w, std::nullopt, idx, true, device), matmul(x2, take(w, idx, 0))));
  }
  // Transposed / strided operands.
  array xt = swapaxes(r64({5, 8, 3}, 93), -1, -2);  // (5, 3, 8) column-major matrices
  array wt = swapaxes(r64({3, 5, 8}, 94), -1, -2);  // (3, 8, 5)
  array idx = array({2, 0, 0, 1, 2});
  EXPECT_TRUE(
      same(gather_mm(xt, wt, std::nullopt, idx, false, device), matmul(xt, take(wt, idx, 0))));
  array xs = slice(r64({5, 3, 16}, 95), {0, 0, 0}, {5, 3, 16}, {1, 1, 2});
  EXPECT_TRUE(
      same(gather_mm(xs, w, std::nullopt, idx, false, device), matmul(xs, take(w, idx, 0))));
  // Many small pairs (spread over threads) and a few large ones (BLAS threads them).
  array xm = r64({64, 4, 16}, 96), wm = r64({8, 16, 8}, 97);
  std::vector<int> im(64);
  for (int i = 0; i < 64; ++i)
    im[i] = (i * 5) % 8;
  array ia(im.data(), {64}, int32);
  EXPECT_TRUE(
      same(gather_mm(xm, wm, std::nullopt, ia, false, device), matmul(xm, take(wm, ia, 0))));
  array xl = r64({2, 80, 70}, 98), wl = r64({3, 70, 90}, 99);
  EXPECT_TRUE(same(gather_mm(xl, wl, std::nullopt, array({2, 1}), false, device),
                   matmul(xl, take(wl, array({2, 1}), 0)), 1e-9));
  array xv = r64({3, 1, 300}, 100), wv = r64({2, 300, 400}, 101);  // matrix-vector pairs
  EXPECT_TRUE(same(gather_mm(xv, wv, std::nullopt, array({1, 0, 1}), false, device),
                   matmul(xv, take(wv, array({1, 0, 1}), 0)), 1e-9));
  // float32, float16, bfloat16; integer index dtypes.
  for (Dtype t : {float32, float16, bfloat16}) {
    SCOPED_TRACE(dtype_name(t));
    array g = gather_mm(astype(x2, t), astype(w, t), std::nullopt, array({2, 0, 2, 1, 0}, uint8),
                        false, device);
    EXPECT_EQ(g.dtype(), t);
    double tol = t == float32 ? 1e-5 : (t == float16 ? 1e-2 : 6e-2);
    EXPECT_TRUE(tandem_test::array_close(g, values(matmul(x2, take(w, array({2, 0, 2, 1, 0}), 0))),
                                         {5, 3, 5}, tol, tol));
  }
  // Empty index arrays and empty inner dimension.
  EXPECT_EQ(gather_mm(x, w, zeros({0}, int32), zeros({0}, int32), false, device).shape(),
            (Shape{0, 1, 5}));
  EXPECT_TRUE(same(gather_mm(zeros({2, 3, 0}, float64), zeros({2, 0, 4}, float64), array({1}),
                             array({0}), false, device),
                   zeros({1, 3, 4}, float64)));
}

TEST(GatherMM, Errors) {
  array a = zeros({3, 2, 4}), b = zeros({4, 4, 5});
  EXPECT_THROW_MSG(gather_mm(a, zeros({4, 3, 5}), array({0}), array({0})), std::invalid_argument,
                   "must match second to last dimension");
  EXPECT_THROW_MSG(gather_mm(astype(a, int32), astype(b, int32), array({0}), array({0})),
                   std::invalid_argument, "real floating-point");
  EXPECT_THROW_MSG(gather_mm(a, b, array({0.5f}), array({0})), std::invalid_argument,
                   "indices must be integers");
  EXPECT_THROW_MSG(gather_mm(a, b, array({0, 1}), array({0, 1, 2})), std::invalid_argument,
                   "cannot be broadcast");
  EXPECT_THROW_MSG(gather_mm(array(1.f), b, array({0}), array({0})), std::invalid_argument, "0-d");
  // Gathering from an operand without matrices fails when evaluated.
  EXPECT_THROW_MSG(gather_mm(zeros({0, 2, 4}), b, array({0}), array({0})).eval(), std::out_of_range,
                   "no matrices");
}

// ============================== block_masked_mm ==============================

DEVICE_TEST(BlockMaskedMM, MatchesMaskingByHand) {
  const int bs = 32, M = 70, K = 40, N = 65;  // 3 x 2 x 3 blocks, partial edges
  array a = r64({M, K}, 110), b = r64({K, N}, 111);
  array mo = array({true, false, true, true, true, false, false, true, true}, {3, 3});
  array ml = array({true, false, true, true, false, true}, {3, 2});
  array mr = array({true, true, false, false, true, true}, {2, 3});
  EXPECT_TRUE(
      same(block_masked_mm(a, b, bs, mo, ml, mr, device), masked_by_hand(a, b, bs, mo, ml, mr)));
  EXPECT_TRUE(same(block_masked_mm(a, b, bs, mo, std::nullopt, std::nullopt, device),
                   masked_by_hand(a, b, bs, mo, std::nullopt, std::nullopt)));
  EXPECT_TRUE(same(block_masked_mm(a, b, bs, std::nullopt, ml, mr, device),
                   masked_by_hand(a, b, bs, std::nullopt, ml, mr)));
  // One operand mask alone (the other defaults to all blocks).
  EXPECT_TRUE(same(block_masked_mm(a, b, bs, std::nullopt, ml, std::nullopt, device),
                   masked_by_hand(a, b, bs, std::nullopt, ml, std::nullopt)));
  // Floating masks scale the blocks.
  array fo = r64({3, 3}, 112), fl = r64({3, 2}, 113), fr = r64({2, 3}, 114);
  EXPECT_TRUE(
      same(block_masked_mm(a, b, bs, fo, fl, fr, device), masked_by_hand(a, b, bs, fo, fl, fr)));
  // No masks: matmul; all-true masks: matmul.
  EXPECT_TRUE(same(block_masked_mm(a, b, bs, std::nullopt, std::nullopt, std::nullopt, device),
                   matmul(a, b)));
  EXPECT_TRUE(same(block_masked_mm(a, b, 64, ones({2, 2}, bool_), ones({2, 1}, bool_),
                                   ones({1, 2}, bool_), device),
                   matmul(a, b)));
  // A masked-out block's NaN does not reach the output (block (2, 0) of a: ml is false there).
  array an = slice_update(a, full({6, 32}, NAN, float64), {64, 0}, {70, 32});
  array got = block_masked_mm(an, b, bs, std::nullopt, ml, mr, device);
  EXPECT_TRUE(same(got, masked_by_hand(a, b, bs, std::nullopt, ml, mr)));
  // Hand-computed: one 32 x 32 block product of ones, masks scale it.
  array one = ones({32, 32}, float64);
  array v =
      block_masked_mm(one, one, 32, array({0.5f}, {1, 1}), std::nullopt, std::nullopt, device);
  EXPECT_TRUE(same(v, full({32, 32}, 16.0, float64)));
}

DEVICE_TEST(BlockMaskedMM, BatchesLayoutsDtypes) {
  const int bs = 32;
  array a = r64({2, 40, 64}, 120), b = r64({64, 33}, 121);  // b broadcast over the batch
  array mo = array({true, false, false, true, true, true, false, true}, {2, 2, 2});
  array ml = array({true, true, false, true, true, false, true, true}, {2, 2, 2});
  array mr = array({true, false, true, true}, {2, 2});  // broadcast over the batch
  EXPECT_TRUE(same(
      block_masked_mm(a, b, bs, mo, ml, mr, device),
      masked_by_hand(a, broadcast_to(b, {2, 64, 33}), bs, mo, ml, broadcast_to(mr, {2, 2, 2}))));
  // Transposed operands.
  array at = swapaxes(r64({2, 64, 40}, 122), -1, -2), btt = transpose(r64({33, 64}, 123));
  EXPECT_TRUE(same(
      block_masked_mm(at, btt, bs, mo, ml, mr, device),
      masked_by_hand(at, broadcast_to(btt, {2, 64, 33}), bs, mo, ml, broadcast_to(mr, {2, 2, 2}))));
  // 1-d operands.
  array v = r64({64}, 124);
  EXPECT_TRUE(
      same(block_masked_mm(v, b, bs, array({true, false}), array({false, true}), mr, device),
           squeeze(masked_by_hand(reshape(v, {1, 64}), b, bs, array({true, false}, {1, 2}),
                                  array({false, true}, {1, 2}), mr),
                   0)));
  // float32 / float16 / bfloat16.
  array a2 = r64({40, 64}, 125);
  array w2 = masked_by_hand(a2, b, bs, std::nullopt, array({true, false, true, true}, {2, 2}), mr);
  for (Dtype t : {float32, float16, bfloat16}) {
    SCOPED_TRACE(dtype_name(t));
    array g = block_masked_mm(astype(a2, t), astype(b, t), bs, std::nullopt,
                              array({true, false, true, true}, {2, 2}), mr, device);
    EXPECT_EQ(g.dtype(), t);
    double tol = t == float32 ? 1e-5 : (t == float16 ? 2e-2 : 1e-1);
    EXPECT_TRUE(tandem_test::array_close(g, values(w2), {40, 33}, tol, tol));
  }
  // Empty inner dimension: zeros.
  EXPECT_TRUE(same(block_masked_mm(zeros({3, 0}, float64), zeros({0, 2}, float64), 32,
                                   array({true}, {1, 1}), std::nullopt, std::nullopt, device),
                   zeros({3, 2}, float64)));
}

TEST(BlockMaskedMM, Errors) {
  array a = zeros({40, 64}), b = zeros({64, 33});
  EXPECT_THROW_MSG(block_masked_mm(a, b, 16, ones({3, 3}, bool_)), std::invalid_argument,
                   "block sizes 32 and 64");
  EXPECT_THROW_MSG(block_masked_mm(a, b, 32, ones({3, 3}, bool_)), std::invalid_argument,
                   "does not broadcast to the block shape (2,2)");
  EXPECT_THROW_MSG(block_masked_mm(a, b, 32, std::nullopt, ones({2, 3}, bool_)),
                   std::invalid_argument, "mask_lhs");
  EXPECT_THROW_MSG(block_masked_mm(astype(a, int32), astype(b, int32), 32, ones({2, 2}, bool_)),
                   std::invalid_argument, "real floating-point");
  EXPECT_THROW_MSG(block_masked_mm(a, zeros({63, 33}), 32, ones({2, 2}, bool_)),
                   std::invalid_argument, "must match");
  EXPECT_THROW_MSG(block_masked_mm(a, b, 32, ones({2, 2}, complex64)), std::invalid_argument,
                   "boolean or real");
}

// ============================== matmul paths of the CPU backend ==============================

DEVICE_TEST(MatmulPaths, GemvFoldedParallelHalf) {
  // Matrix-vector shapes (GEMV), with the matrix transposed or not and the vector strided.
  array W = r64({300, 200}, 130), x = r64({200}, 131), y = r64({300}, 132);
  auto wv = values(W), xv = values(x), yv = values(y);
  std::vector<double> Wx(300, 0.0), yW(200, 0.0);
  for (int i = 0; i < 300; ++i) {
    for (int k = 0; k < 200; ++k) {
      Wx[i] += wv[i * 200 + k] * xv[k];
      yW[k] += yv[i] * wv[i * 200 + k];
    }
  }
  EXPECT_ARRAY_CLOSE(matmul(W, x, device), Wx, (Shape{300}), 1e-12, 1e-12);
  EXPECT_ARRAY_CLOSE(matmul(y, W, device), yW, (Shape{200}), 1e-12, 1e-12);
  EXPECT_ARRAY_CLOSE(matmul(x, transpose(W), device), Wx, (Shape{300}), 1e-12, 1e-12);
  EXPECT_ARRAY_CLOSE(matmul(transpose(W), y, device), yW, (Shape{200}), 1e-12, 1e-12);
  EXPECT_ARRAY_CLOSE(matmul(reshape(x, {1, 200}), transpose(W), device), Wx, (Shape{1, 300}), 1e-12,
                     1e-12);
  array xs = slice(repeat(x, 2), {0}, {400}, {2});  // stride 2
  EXPECT_ARRAY_CLOSE(matmul(W, xs, device), Wx, (Shape{300}), 1e-12, 1e-12);
  EXPECT_ARRAY_CLOSE(matmul(transpose(W), reshape(y, {300, 1}), device), yW, (Shape{200, 1}), 1e-12,
                     1e-12);
  // float32 and complex64 GEMV.
  EXPECT_ARRAY_CLOSE(matmul(astype(W, float32), astype(x, float32), device), Wx, (Shape{300}), 1e-5,
                     1e-5);
  array cW = astype(W, complex64), cx = astype(x, complex64);
  EXPECT_ARRAY_CLOSE(matmul(cW, cx, device), Wx, (Shape{300}), 1e-5, 1e-5);
  // Batches against one shared matrix fold into one GEMM (vectors and matrices per batch).
  array X = r64({4, 1, 200}, 133), X3 = r64({2, 3, 5, 200}, 134);
  EXPECT_TRUE(
      same(matmul(X, transpose(W), device),
           stack({matmul(reshape(slice(X, {0, 0, 0}, {1, 1, 200}), {1, 200}), transpose(W)),
                  matmul(reshape(slice(X, {1, 0, 0}, {2, 1, 200}), {1, 200}), transpose(W)),
                  matmul(reshape(slice(X, {2, 0, 0}, {3, 1, 200}), {1, 200}), transpose(W)),
                  matmul(reshape(slice(X, {3, 0, 0}, {4, 1, 200}), {1, 200}), transpose(W))})));
  EXPECT_TRUE(same(matmul(X3, transpose(W), device),
                   reshape(matmul(reshape(X3, {30, 200}), transpose(W)), {2, 3, 5, 300})));
  // A strided batch does not fold; the result is the same.
  array Xs = slice(r64({8, 5, 200}, 135), {0, 0, 0}, {8, 5, 200}, {2, 1, 1});
  EXPECT_TRUE(same(matmul(Xs, transpose(W), device),
                   reshape(matmul(reshape(contiguous(Xs), {20, 200}), transpose(W)), {4, 5, 300})));
  // Many small batched products (spread over the thread pool).
  array P = r64({50, 6, 7}, 136), Q = r64({50, 7, 5}, 137);
  array pq = matmul(P, Q, device);
  auto pv = values(P), qv = values(Q), gv = values(pq);
  for (int bi = 0; bi < 50; bi += 7) {
    std::vector<double> pa(pv.begin() + bi * 42, pv.begin() + (bi + 1) * 42);
    std::vector<double> qa(qv.begin() + bi * 35, qv.begin() + (bi + 1) * 35);
    auto ref = ref_mm(pa, qa, 6, 7, 5);
    for (int e = 0; e < 30; ++e)
      EXPECT_NEAR(gv[bi * 30 + e], ref[e], 1e-12);
  }
  // 16-bit operands that are transposed or broadcast: converted once in their own layout.
  for (Dtype t : {float16, bfloat16}) {
    SCOPED_TRACE(dtype_name(t));
    array A = r64({3, 40, 30}, 138), B = r64({30, 20}, 139);
    array At = swapaxes(r64({3, 30, 40}, 140), -1, -2);
    double tol = t == float16 ? 2e-2 : 1.5e-1;
    for (const array& lhs : {A, At}) {
      array want = matmul(astype(astype(lhs, t), float64), astype(astype(B, t), float64));
      array g = matmul(astype(lhs, t), transpose(astype(transpose(B), t)), device);
      EXPECT_EQ(g.dtype(), t);
      EXPECT_TRUE(tandem_test::array_close(g, values(want), want.shape(), tol, tol));
      array gv2 = matmul(astype(lhs, t), astype(B, t), device);
      EXPECT_TRUE(tandem_test::array_close(gv2, values(want), want.shape(), tol, tol));
    }
    // 16-bit matrix-vector products (read without converting the matrix): the matrix with
    // the reduced axis contiguous or not, the vector on either side, contiguous or strided.
    array v16 = astype(x, t), W16 = astype(W, t), y16 = astype(y, t);
    array v64 = astype(v16, float64), W64 = astype(W16, float64), y64 = astype(y16, float64);
    array vs16 = slice(repeat(v16, 3), {0}, {600}, {3});
    struct Case {
      array got, want;
    };
    for (auto& c :
         std::vector<Case>{{matmul(reshape(v16, {1, 200}), transpose(W16), device),
                            matmul(reshape(v64, {1, 200}), transpose(W64))},
                           {matmul(y16, W16, device), matmul(y64, W64)},
                           {matmul(W16, vs16, device), matmul(W64, v64)},
                           {matmul(transpose(W16), y16, device), matmul(transpose(W64), y64)},
                           {matmul(v16, v16, device), matmul(v64, v64)}}) {
      EXPECT_EQ(c.got.dtype(), t);
      EXPECT_TRUE(tandem_test::array_close(c.got, values(c.want), c.want.shape(), tol, tol));
    }
  }
}

// ============================== derivatives and vmap ==============================

class ProductTransforms : public tx::CpuTest {};

TEST_F(ProductTransforms, GradTensorProducts) {
  auto f2 = [](std::function<array(const array&, const array&)> g) {
    return [g](const std::vector<array>& v) { return g(v[0], v[1]); };
  };
  array x = r64({2, 3, 4}, 150), y = r64({3, 4, 2}, 151);
  EXPECT_DERIVATIVES(f2([](auto& a, auto& b) { return tensordot(a, b, 2); }),
                     (std::vector<array>{x, y}));
  EXPECT_DERIVATIVES(f2([](auto& a, auto& b) {
                       return tensordot(a, b, {0, 2}, {2, 1});
                     }),
                     (std::vector<array>{x, r64({3, 4, 2}, 152)}));
  EXPECT_DERIVATIVES(f2([](auto& a, auto& b) { return inner(a, b); }),
                     (std::vector<array>{r64({2, 4}, 153), r64({3, 4}, 154)}));
  EXPECT_DERIVATIVES(f2([](auto& a, auto& b) { return outer(a, b); }),
                     (std::vector<array>{r64({3}, 155), r64({2, 2}, 156)}));
  EXPECT_DERIVATIVES(f2([](auto& a, auto& b) { return kron(a, b); }),
                     (std::vector<array>{r64({2, 3}, 157), r64({2, 2}, 158)}));
  EXPECT_DERIVATIVES(f2([](auto& a, auto& b) { return vecdot(a, b, 0); }),
                     (std::vector<array>{r64({3, 2}, 159), r64({3, 1}, 160)}));
}

TEST_F(ProductTransforms, GradEinsum) {
  struct C {
    std::string sub;
    std::vector<Shape> shapes;
  };
  uint32_t seed = 170;
  for (auto& c : std::vector<C>{{"ij,jk->ik", {{3, 4}, {4, 2}}},
                                {"ii->", {{3, 3}}},
                                {"ii->i", {{3, 3}}},
                                {"bij,bjk->bik", {{2, 2, 3}, {2, 3, 2}}},
                                {"i,j->ij", {{3}, {2}}},
                                {"...ij,...jk", {{2, 1, 2, 3}, {3, 3, 2}}},
                                {"ij,jk,kl->il", {{2, 3}, {3, 4}, {4, 2}}},
                                {"bn,anm,bm->ba", {{2, 3}, {2, 3, 2}, {2, 2}}},
                                {"iij->j", {{2, 2, 3}}},
                                {"ij,j->i", {{3, 1}, {4}}}}) {
    SCOPED_TRACE(c.sub);
    std::vector<array> xs;
    for (auto& s : c.shapes)
      xs.push_back(r64(s, seed++));
    std::string sub = c.sub;
    EXPECT_DERIVATIVES([sub](const std::vector<array>& v) { return einsum(sub, v); }, xs);
  }
  // The same operand twice, and operands in every layout.
  EXPECT_DERIVATIVES(tx::unary([](const array& a) {
                       return einsum("ij,ij->i", {a, a});
                     }),
                     {r64({3, 4}, 190)});
  for (tx::Layout l : tx::all_layouts()) {
    SCOPED_TRACE(tx::layout_name(l));
    array a = tx::with_layout(tx::rand_values(12, -1, 1, 191), {3, 4}, l);
    array b = tx::with_layout(tx::rand_values(8, -1, 1, 192), {4, 2}, l);
    EXPECT_DERIVATIVES([](const std::vector<array>& v) { return einsum("ij,jk->ki", v); },
                       (std::vector<array>{a, b}));
  }
}

TEST_F(ProductTransforms, VmapCompositions) {
  array A = r64({3, 2, 4}, 200), B = r64({3, 4, 5}, 201);
  auto es = tx::binary_v([](const array& a, const array& b) {
    return einsum("ij,jk->ik", {a, b});
  });
  EXPECT_VMAP(es, (std::vector<array>{A, B}), {0, 0});
  EXPECT_VMAP(es, (std::vector<array>{moveaxis(A, 0, 2), r64({4, 5}, 202)}), {2, -1});
  auto td = tx::binary_v([](const array& a, const array& b) { return tensordot(a, b, 1); });
  EXPECT_VMAP(td, (std::vector<array>{A, B}), {0, 0});
  auto kr = tx::binary_v([](const array& a, const array& b) { return kron(a, b); });
  EXPECT_VMAP(kr, (std::vector<array>{A, r64({2, 2}, 203)}), {0, -1});
}

TEST_F(ProductTransforms, GatherMMDerivatives) {
  array a = r64({3, 2, 4}, 210), b = r64({4, 4, 3}, 211);
  // Repeated indices accumulate; a negative index wraps.
  array li = array({0, 2, 2, -1}), ri = array({3, 1, 3, 0});
  auto f = [li, ri](const std::vector<array>& v) { return gather_mm(v[0], v[1], li, ri); };
  EXPECT_DERIVATIVES(f, (std::vector<array>{a, b}));
  // Default lhs indices, 2-d index arrays, 1-d operands, transposed operands.
  array r2 = array({1, 1, 0, 3, 2, 2}, {2, 3});
  EXPECT_DERIVATIVES(
      [r2](const std::vector<array>& v) { return gather_mm(v[0], v[1], std::nullopt, r2); },
      (std::vector<array>{r64({3, 2, 4}, 212), b}));
  EXPECT_DERIVATIVES(
      [](const std::vector<array>& v) {
        return gather_mm(v[0], v[1], std::nullopt, array({2, 0}));
      },
      (std::vector<array>{r64({4}, 213), b}));
  EXPECT_DERIVATIVES(
      [li, ri](const std::vector<array>& v) {
        return gather_mm(swapaxes(v[0], -1, -2), v[1], li, ri);
      },
      (std::vector<array>{r64({3, 4, 2}, 214), b}));
}

TEST_F(ProductTransforms, GatherMMVmap) {
  auto f = [](const std::vector<array>& v) {
    return std::vector<array>{gather_mm(v[0], v[1], v[2], v[3])};
  };
  array a = r64({3, 2, 4}, 220), b = r64({4, 4, 3}, 221);
  array li = array({0, 2, 1}), ri = array({3, 0, 3});
  array ab = r64({2, 3, 2, 4}, 222), bb = r64({2, 4, 4, 3}, 223);
  array lib = array({0, 2, 1, 1, 1, -1}, {2, 3}), rib = array({3, 0, 3, 2, 1, 0}, {2, 3});
  EXPECT_VMAP(f, (std::vector<array>{ab, b, li, ri}), {0, -1, -1, -1});
  EXPECT_VMAP(f, (std::vector<array>{a, bb, li, ri}), {-1, 0, -1, -1});
  EXPECT_VMAP(f, (std::vector<array>{a, b, lib, rib}), {-1, -1, 0, 0});
  EXPECT_VMAP(f, (std::vector<array>{ab, bb, lib, ri}), {0, 0, 0, -1});
  // Non-zero batch axes, including one inside a's matrices.
  EXPECT_VMAP(f, (std::vector<array>{moveaxis(ab, 0, 2), bb, li, transpose(rib)}), {2, 0, -1, 1});
  EXPECT_VMAP(f, (std::vector<array>{moveaxis(ab, 0, 3), b, lib, ri}), {3, -1, 0, -1});
  // vmap of grad composes.
  auto g = [](const std::vector<array>& v) {
    auto loss = [&](const std::vector<array>& p) {
      return sum(square(gather_mm(p[0], p[1], array({0, 1, 1}), array({2, 0, 2}))));
    };
    return grad(loss, std::vector<int>{0, 1})({v[0], v[1]});
  };
  EXPECT_VMAP(g, (std::vector<array>{ab, bb}), {0, 0});
}

TEST_F(ProductTransforms, BlockMaskedMMDerivatives) {
  const int bs = 32;
  array a = r64({40, 36}, 230), b = r64({36, 33}, 231);
  array mo = array({true, false, true, true}, {2, 2});
  array ml = array({true, true, false, true}, {2, 2});
  array mr = array({true, false, true, true}, {2, 2});
  // Boolean masks: derivatives with respect to the operands.
  EXPECT_DERIVATIVES(
      [=](const std::vector<array>& v) { return block_masked_mm(v[0], v[1], bs, mo, ml, mr); },
      (std::vector<array>{a, b}), 1e-5);
  EXPECT_DERIVATIVES(
      [=](const std::vector<array>& v) {
        return block_masked_mm(v[0], v[1], bs, mo, std::nullopt, std::nullopt);
      },
      (std::vector<array>{a, b}), 1e-5);
  // Floating masks: derivatives with respect to the masks too.
  array sa = r64({40, 36}, 232), sb = r64({36, 33}, 233);
  EXPECT_DERIVATIVES(
      [=](const std::vector<array>& v) {
        return block_masked_mm(v[0], v[1], bs, v[2], v[3], v[4]);
      },
      (std::vector<array>{sa, sb, r64({2, 2}, 234), r64({2, 2}, 235), r64({2, 2}, 236)}), 1e-5);
  EXPECT_DERIVATIVES(
      [=](const std::vector<array>& v) {
        return block_masked_mm(sa, sb, bs, std::nullopt, v[0], v[1]);
      },
      (std::vector<array>{r64({2, 2}, 237), r64({2, 2}, 238)}), 1e-5);
  // A boolean mask's gradient is zero (and has its dtype).
  auto [val, grads] = value_and_grad(
      [=](const std::vector<array>& v) {
        return sum(block_masked_mm(v[0], sb, bs, v[1], std::nullopt, std::nullopt));
      },
      std::vector<int>{0, 1})({sa, mo});
  EXPECT_EQ(grads[1].dtype(), bool_);
  EXPECT_ARRAY_EQ(grads[1], std::vector<bool>{false, false, false, false}, Shape{2, 2});
}

TEST_F(ProductTransforms, BlockMaskedMMVmap) {
  const int bs = 32;
  auto f = [bs](const std::vector<array>& v) {
    return std::vector<array>{block_masked_mm(v[0], v[1], bs, v[2], v[3], v[4])};
  };
  array a = r64({40, 36}, 240), b = r64({36, 33}, 241);
  array ab = r64({2, 40, 36}, 242), bb = r64({2, 36, 33}, 243);
  array mo = array({true, false, true, true}, {2, 2}), ml = r64({2, 2}, 244), mr = r64({2, 2}, 245);
  array mob = array({true, false, true, true, false, true, true, true}, {2, 2, 2});
  array mlb = r64({2, 2, 2}, 246);
  EXPECT_VMAP(f, (std::vector<array>{ab, b, mo, ml, mr}), {0, -1, -1, -1, -1});
  EXPECT_VMAP(f, (std::vector<array>{a, bb, mo, ml, mr}), {-1, 0, -1, -1, -1});
  EXPECT_VMAP(f, (std::vector<array>{a, b, mob, mlb, mr}), {-1, -1, 0, 0, -1});
  EXPECT_VMAP(f, (std::vector<array>{moveaxis(ab, 0, 2), bb, mob, moveaxis(mlb, 0, 1), mr}),
              {2, 0, 0, 1, -1});
}

// ============================== segmented_mm ==============================

DEVICE_TEST(SegmentedMM, HandComputed) {
  array a = array({1.f, 2.f, 3.f, 4.f}, {1, 4});
  array b = array({1.f, 10.f, 100.f, 1000.f}, {4, 1});
  array segs = array({0, 2, 2, 4, 1, 1, 0, 4}, {4, 2});
  EXPECT_ARRAY_EQ(segmented_mm(a, b, segs, device), std::vector<float>{21, 4300, 0, 4321},
                  Shape{4, 1, 1}, float32);
  // Batched segments (2, 2, 2) -> (2, 2, M, N); uint32 segments.
  array segs2 = array({0u, 1u, 1u, 4u, 3u, 4u, 0u, 0u}, {2, 2, 2});
  EXPECT_ARRAY_EQ(segmented_mm(a, b, segs2, device), std::vector<float>{1, 4320, 4000, 0},
                  Shape{2, 2, 1, 1});
  // M = 2, N = 2.
  array a2 = array({1.f, 2.f, 3.f, 4.f}, {2, 2});
  array b2 = array({1.f, 0.f, 0.f, 1.f}, {2, 2});
  EXPECT_ARRAY_EQ(segmented_mm(a2, b2, array({0, 1, 1, 2}, {2, 2}), device),
                  std::vector<float>{1, 0, 3, 0, 0, 2, 0, 4}, Shape{2, 2, 2});
}

DEVICE_TEST(SegmentedMM, Errors) {
  array a = ones({2, 3}), b = ones({3, 4}), segs = array({0, 3}, {1, 2});
  EXPECT_THROW_MSG(segmented_mm(ones({1, 2, 3}), b, segs, device), std::invalid_argument,
                   "[segmented_mm]");
  EXPECT_THROW_MSG(segmented_mm(a, ones({4, 4}), segs, device), std::invalid_argument,
                   "[segmented_mm]");
  EXPECT_THROW_MSG(segmented_mm(a, b, array({0, 1, 3}, {1, 3}), device), std::invalid_argument,
                   "[segmented_mm]");
  EXPECT_THROW_MSG(segmented_mm(a, b, array({0.f, 3.f}, {1, 2}), device), std::invalid_argument,
                   "[segmented_mm]");
  EXPECT_THROW_MSG(segmented_mm(ones({2, 3}, int32), ones({3, 4}, int32), segs, device),
                   std::invalid_argument, "[segmented_mm]");
}

TEST(SegmentedMM, Derivatives) {
  array segs = array({0, 2, 1, 4, 3, 3}, {3, 2});
  auto f = [segs](const std::vector<array>& x) { return segmented_mm(x[0], x[1], segs); };
  EXPECT_DERIVATIVES(f, {tx::rand64({2, 4}, -1, 1, 1), tx::rand64({4, 3}, -1, 1, 2)});
}
