// Copyright © 2026 Tandem authors.
// Matrix products (src/ops/matmul.cpp, src/backend/cpu/matmul.cpp): matmul with NumPy semantics
// (vectors, broadcast batches), non-contiguous operands, dtypes, empty inner dimension, errors,
// addmm, and derivatives against finite differences.
#include <complex>
#include <numeric>

#include "harness.h"
#include "transforms_check.h"

using namespace tandem;
using tandem_test::values;

namespace {

// Reference batched product of row-major float64 values with NumPy broadcasting of the batch
// dimensions (both operands at least 2-d).
template <typename T>
std::vector<T> ref_matmul(const std::vector<T>& a, const Shape& as, const std::vector<T>& b,
                          const Shape& bs, Shape& os) {
  int M = as[as.size() - 2], K = as.back(), N = bs.back();
  Shape ab(as.begin(), as.end() - 2), bb(bs.begin(), bs.end() - 2);
  size_t nd = std::max(ab.size(), bb.size());
  ab.insert(ab.begin(), nd - ab.size(), 1);
  bb.insert(bb.begin(), nd - bb.size(), 1);
  Shape batch(nd);
  for (size_t d = 0; d < nd; ++d)
    batch[d] = std::max(ab[d], bb[d]);
  os = batch;
  os.push_back(M);
  os.push_back(N);
  std::vector<T> out;
  for (size_t bi = 0; bi < tx::numel(batch); ++bi) {
    auto idx = tx::unravel(bi, batch);
    std::vector<int> ia(nd), ib(nd);
    for (size_t d = 0; d < nd; ++d) {
      ia[d] = ab[d] == 1 ? 0 : idx[d];
      ib[d] = bb[d] == 1 ? 0 : idx[d];
    }
    size_t oa = tx::ravel(ia, ab) * M * K, ob = tx::ravel(ib, bb) * K * N;
    for (int i = 0; i < M; ++i) {
      for (int j = 0; j < N; ++j) {
        T acc = T(0);
        for (int k = 0; k < K; ++k)
          acc += a[oa + i * K + k] * b[ob + k * N + j];
        out.push_back(acc);
      }
    }
  }
  return out;
}

::testing::AssertionResult matmul_matches(const array& got, const array& a, const array& b,
                                          double tol = 1e-12) {
  Shape os;
  auto want = ref_matmul(values(a), a.shape(), values(b), b.shape(), os);
  return tandem_test::array_close(got, want, os, tol, tol);
}

// Values k/8 in [-2, 2]: exact in every float dtype, products and short sums exact in float32.
array grid(const Shape& s, uint32_t seed, Dtype t = float64) {
  auto v = tx::rand_values(tx::numel(s), -2, 2, seed);
  for (auto& x : v)
    x = std::round(x * 8) / 8;
  return array(v, s, t);
}

}  // namespace

// ------------------------------ values ------------------------------

DEVICE_TEST(MatmulValues, TwoDAndVectors) {
  array a = array({1.f, 2.f, 3.f, 4.f, 5.f, 6.f}, {2, 3});
  array b = array({7.f, 8.f, 9.f, 10.f, 11.f, 12.f}, {3, 2});
  EXPECT_ARRAY_EQ(matmul(a, b, device), std::vector<float>{58, 64, 139, 154}, Shape{2, 2});
  EXPECT_ARRAY_EQ(matmul(b, a, device), std::vector<float>{39, 54, 69, 49, 68, 87, 59, 82, 105},
                  Shape{3, 3});
  // Vector-matrix, matrix-vector, vector-vector (the added dimensions are removed).
  array v = array({1.f, 2.f, 3.f});
  EXPECT_ARRAY_EQ(matmul(v, b, device), std::vector<float>{58, 64}, Shape{2});
  EXPECT_ARRAY_EQ(matmul(a, array({1.f, 0.f, -1.f}), device), std::vector<float>{-2, -2}, Shape{2});
  EXPECT_ARRAY_EQ(matmul(v, array({4.f, 5.f, 6.f}), device), std::vector<float>{32}, Shape{});
  // 1x1 and outer-product shapes.
  EXPECT_ARRAY_EQ(matmul(array({3.f}, {1, 1}), array({4.f}, {1, 1}), device),
                  std::vector<float>{12}, Shape{1, 1});
  EXPECT_ARRAY_EQ(matmul(reshape(v, {3, 1}), reshape(v, {1, 3}), device),
                  std::vector<float>{1, 2, 3, 2, 4, 6, 3, 6, 9}, Shape{3, 3});
  // Larger random products in float64.
  array x = tx::rand64({17, 33}, -1, 1, 1), y = tx::rand64({33, 9}, -1, 1, 2);
  EXPECT_TRUE(matmul_matches(matmul(x, y, device), x, y));
}

DEVICE_TEST(MatmulValues, BroadcastBatches) {
  struct P {
    Shape a, b;
  };
  uint32_t seed = 10;
  for (auto& p : std::vector<P>{{{2, 1, 3, 4}, {5, 4, 2}},
                                {{3, 4}, {2, 4, 5}},
                                {{2, 3, 4}, {4, 5}},
                                {{1, 3, 4}, {2, 1, 4, 5}},
                                {{4, 2, 3}, {4, 3, 2}},
                                {{2, 1, 2, 3}, {1, 3, 3, 1}}}) {
    SCOPED_TRACE(shape_to_string(p.a) + " @ " + shape_to_string(p.b));
    array a = tx::rand64(p.a, -1, 1, seed++), b = tx::rand64(p.b, -1, 1, seed++);
    EXPECT_TRUE(matmul_matches(matmul(a, b, device), a, b));
  }
  // A vector against a batch: (4) @ (2,4,5) -> (2,5); (2,3,4) @ (4) -> (2,3).
  array v = tx::rand64({4}, -1, 1, 30);
  array m = tx::rand64({2, 4, 5}, -1, 1, 31);
  array r = matmul(v, m, device);
  EXPECT_EQ(r.shape(), (Shape{2, 5}));
  EXPECT_TRUE(tandem_test::array_close(r, values(matmul(reshape(v, {1, 4}), m, device)), {2, 5},
                                       1e-12, 1e-12));
  array n = tx::rand64({2, 3, 4}, -1, 1, 32);
  array s = matmul(n, v, device);
  EXPECT_EQ(s.shape(), (Shape{2, 3}));
  Shape os;
  auto want = ref_matmul(values(n), {2, 3, 4}, values(v), {4, 1}, os);
  EXPECT_TRUE(tandem_test::array_close(s, want, {2, 3}, 1e-12, 1e-12));
}

DEVICE_TEST(MatmulValues, NonContiguousOperands) {
  auto av = tx::rand_values(20, -1, 1, 40), bv = tx::rand_values(15, -1, 1, 41);
  array a = tx::f64(av, {4, 5}), b = tx::f64(bv, {5, 3});
  for (tx::Layout la : tx::all_layouts()) {
    for (tx::Layout lb : tx::all_layouts()) {
      SCOPED_TRACE(std::string(tx::layout_name(la)) + " @ " + tx::layout_name(lb));
      EXPECT_TRUE(matmul_matches(
          matmul(tx::with_layout(av, {4, 5}, la), tx::with_layout(bv, {5, 3}, lb), device), a, b));
    }
  }
  // A sub-block of a larger matrix (leading dimension larger than the width).
  array big = tx::rand64({6, 8}, -1, 1, 42);
  array blk = slice(big, {1, 2}, {5, 7});
  EXPECT_TRUE(matmul_matches(matmul(blk, b, device), contiguous(blk), b));
  EXPECT_TRUE(matmul_matches(matmul(transpose(blk), tx::rand64({4, 2}, -1, 1, 43), device),
                             contiguous(transpose(blk)), tx::rand64({4, 2}, -1, 1, 43)));
  // Broadcast operands (zero strides) inside the matrix and along the batch.
  array row = broadcast_to(tx::rand64({1, 5}, -1, 1, 44), {4, 5});
  array col = broadcast_to(tx::rand64({5, 1}, -1, 1, 45), {5, 3});
  EXPECT_TRUE(matmul_matches(matmul(row, col, device), contiguous(row), contiguous(col)));
  array bb = broadcast_to(b, {3, 5, 3});
  EXPECT_TRUE(matmul_matches(matmul(tx::rand64({3, 4, 5}, -1, 1, 46), bb, device),
                             tx::rand64({3, 4, 5}, -1, 1, 46), contiguous(bb)));
  // Batched transposes, a strided batch axis and a reversed batch axis.
  array x = tx::rand64({6, 5, 4}, -1, 1, 47);
  array xt = transpose(x, {0, 2, 1});  // (6, 4, 5)
  EXPECT_TRUE(matmul_matches(matmul(xt, x, device), contiguous(xt), x));
  array xs = slice(x, {0, 0, 0}, {6, 5, 4}, {2, 1, 1});     // (3, 5, 4)
  array xr = slice(x, {-1, 0, 0}, {-7, 5, 4}, {-1, 1, 1});  // reversed batch
  array y = tx::rand64({4, 2}, -1, 1, 48);
  EXPECT_TRUE(matmul_matches(matmul(xs, y, device), contiguous(xs), y));
  EXPECT_TRUE(matmul_matches(matmul(xr, y, device), contiguous(xr), y));
  // Rows reversed and a column-strided matrix.
  array rr = slice(a, {-1, 0}, {-5, 5}, {-1, 1});
  EXPECT_TRUE(matmul_matches(matmul(rr, b, device), contiguous(rr), b));
  array cs = slice(tx::rand64({5, 6}, -1, 1, 49), {0, 0}, {5, 6}, {1, 2});
  EXPECT_TRUE(matmul_matches(matmul(a, cs, device), a, contiguous(cs)));
  // Degenerate 1-wide views: a transposed column and row.
  array c1 = tx::rand64({5, 1}, -1, 1, 50);
  EXPECT_TRUE(matmul_matches(matmul(transpose(c1), b, device), contiguous(transpose(c1)), b));
  EXPECT_TRUE(matmul_matches(matmul(a, c1, device), a, c1));
  // The same array on both sides.
  array sq = tx::rand64({4, 4}, -1, 1, 51);
  EXPECT_TRUE(matmul_matches(matmul(sq, transpose(sq), device), sq, contiguous(transpose(sq))));
}

DEVICE_TEST(MatmulValues, Dtypes) {
  array a = grid({2, 3, 8}, 60), b = grid({8, 5}, 61);
  Shape os;
  auto want = ref_matmul(values(a), a.shape(), values(b), b.shape(), os);
  for (Dtype t : tandem_test::float_dtypes()) {
    SCOPED_TRACE(dtype_name(t));
    array r = matmul(astype(a, t), astype(b, t), device);
    EXPECT_EQ(r.dtype(), t);
    EXPECT_TRUE(tandem_test::array_close(r, want, os));
  }
  // Random values: float16 / bfloat16 close to float64 within input rounding.
  array x = tx::rand64({3, 16}, -1, 1, 62), y = tx::rand64({16, 4}, -1, 1, 63);
  auto w64 = values(matmul(x, y, device));
  for (auto [t, tol] : {std::pair{float32, 1e-5}, {float16, 2e-2}, {bfloat16, 1e-1}}) {
    SCOPED_TRACE(dtype_name(t));
    EXPECT_TRUE(tandem_test::array_close(matmul(astype(x, t), astype(y, t), device), w64, {3, 4},
                                         tol, tol));
  }
  // Mixed dtypes promote; integer operands are promoted by a floating partner.
  EXPECT_EQ(matmul(astype(a, float16), astype(b, float32), device).dtype(), float32);
  EXPECT_EQ(matmul(astype(a, float32), b, device).dtype(), float64);
  array ai = array({1, 2, 3, 4}, {2, 2});
  EXPECT_ARRAY_EQ(matmul(ai, array({1.f, 1.f, 0.f, 1.f}, {2, 2}), device),
                  std::vector<float>{1, 3, 3, 7}, Shape{2, 2}, float32);
  // complex64.
  using C = complex64_t;
  std::vector<C> ca{C(1, 2), C(0, -1), C(3, 0), C(2, 2), C(-1, 1), C(0.5f, 0)};
  std::vector<C> cb{C(1, 0), C(0, 1), C(2, -1), C(1, 1), C(-1, 0), C(0, 0)};
  array za = array(ca, {2, 3}, complex64), zb = array(cb, {3, 2}, complex64);
  std::vector<std::complex<double>> da(ca.begin(), ca.end()), db(cb.begin(), cb.end());
  Shape zs;
  auto zw = ref_matmul(da, {2, 3}, db, {3, 2}, zs);
  EXPECT_TRUE(tandem_test::complex_close(matmul(za, zb, device),
                                         std::vector<C>(zw.begin(), zw.end()), {2, 2}));
  // Transposed complex operand and a float partner promoted to complex64.
  // za^T @ zb^T (plain transposes, no conjugation).
  std::vector<std::complex<double>> dat, dbt;
  for (int j = 0; j < 3; ++j)
    for (int i = 0; i < 2; ++i)
      dat.push_back(da[i * 3 + j]);
  for (int j = 0; j < 2; ++j)
    for (int i = 0; i < 3; ++i)
      dbt.push_back(db[i * 2 + j]);
  auto zt = ref_matmul(dat, {3, 2}, dbt, {2, 3}, zs);
  EXPECT_TRUE(tandem_test::complex_close(matmul(transpose(za), transpose(zb), device),
                                         std::vector<C>(zt.begin(), zt.end()), {3, 3}));
  array fr = array({1.f, 0.f, 0.f, 1.f, 1.f, 1.f}, {3, 2});
  array zf = matmul(za, fr, device);
  EXPECT_EQ(zf.dtype(), complex64);
  EXPECT_TRUE(tandem_test::complex_close(
      zf, {C(1, 2) + C(3, 0), C(0, -1) + C(3, 0), C(2, 2) + C(0.5f, 0), C(-1, 1) + C(0.5f, 0)},
      {2, 2}));
}

// Products large enough for the CPU to split over its thread pool (backend/cpu/gemm.h): by rows
// of C when it is taller than wide, by columns otherwise, in blocks of 16 that do not divide the
// extent; transposed operands; matrix-vector products cut into blocks of the output; float32,
// float64 and complex64.
DEVICE_TEST(MatmulValues, LargeProductsSplitOverThreads) {
  struct C {
    int M, K, N;
    bool ta, tb;
  };
  for (C c :
       {C{150, 70, 90, false, false}, C{150, 70, 90, true, false}, C{41, 100, 301, false, true},
        C{41, 100, 301, true, true}, C{1, 700, 333, false, false}, C{1, 700, 333, false, true},
        C{333, 700, 1, false, false}, C{333, 700, 1, true, false}}) {
    SCOPED_TRACE(testing::Message()
                 << c.M << "x" << c.K << "x" << c.N << " ta " << c.ta << " tb " << c.tb);
    array a = tx::rand64(c.ta ? Shape{c.K, c.M} : Shape{c.M, c.K}, -1, 1, c.M + c.K);
    array b = tx::rand64(c.tb ? Shape{c.N, c.K} : Shape{c.K, c.N}, -1, 1, c.N + 7);
    if (c.ta) a = transpose(a);
    if (c.tb) b = transpose(b);
    EXPECT_TRUE(matmul_matches(matmul(a, b, device), a, b, 1e-12));
    EXPECT_TRUE(matmul_matches(
        matmul(astype(a, float32, device), astype(b, float32, device), device), a, b, 1e-4));
    EXPECT_TRUE(matmul_matches(
        real(matmul(astype(a, complex64, device), astype(b, complex64, device), device), device), a,
        b, 1e-4));
  }
  // Batches of large products: whole products per thread (4) or split products (3).
  for (int batch : {3, 4}) {
    array a = tx::rand64({batch, 80, 70}, -1, 1, 90 + batch);
    array b = tx::rand64({batch, 70, 90}, -1, 1, 95 + batch);
    EXPECT_TRUE(matmul_matches(matmul(a, b, device), a, b, 1e-12)) << batch;
    EXPECT_TRUE(matmul_matches(
        matmul(astype(a, float32, device), astype(b, float32, device), device), a, b, 1e-4))
        << batch;
  }
}

// 16-bit matrix-vector products read the matrix directly (backend/cpu/matmul.cpp; AVX-512 BF16
// dot products where the CPU has them): inner lengths around the blocks of 32 and 64, strided
// vectors, both operand orders, against float64 on the same (rounded) values.
DEVICE_TEST(MatmulValues, HalfMatrixVectorProducts) {
  for (Dtype t : {bfloat16, float16}) {
    for (int K : {1, 31, 32, 33, 63, 64, 65, 100, 1000}) {
      SCOPED_TRACE(dtype_name(t) + " K=" + std::to_string(K));
      const int L = 50;
      array W = astype(tx::rand64({L, K}, -1, 1, K + 1), t, device);
      array V = astype(tx::rand64({3, K}, -1, 1, K + 2), t, device);
      array W64 = astype(W, float64, device), V64 = astype(V, float64, device);
      const double tol = 2e-2;
      // v @ W^T (W^T is a transposed view: a dot product per row of W).
      array v = slice(V, {1, 0}, {2, K}, device);
      EXPECT_TRUE(matmul_matches(matmul(v, transpose(W, device), device), astype(v, float64),
                                 transpose(W64, device), tol));
      // W @ v as a column: the vector is a strided column of V^T.
      array col = slice(transpose(V, device), {0, 2}, {K, 3}, device);
      EXPECT_TRUE(matmul_matches(matmul(W, col, device), W64, astype(col, float64), tol));
    }
  }
}

DEVICE_TEST(MatmulValues, EmptyDimensions) {
  for (Dtype t : {float32, float64, float16, bfloat16, complex64}) {
    SCOPED_TRACE(dtype_name(t));
    // Empty inner dimension: zeros.
    array r = matmul(zeros({2, 0}, t), zeros({0, 3}, t), device);
    EXPECT_EQ(r.dtype(), t);
    EXPECT_ARRAY_CLOSE(r, std::vector<double>(6, 0.0), (Shape{2, 3}), 0.0, 0.0);
    EXPECT_ARRAY_CLOSE(matmul(zeros({4, 2, 0}, t), zeros({0, 3}, t), device),
                       std::vector<double>(24, 0.0), (Shape{4, 2, 3}), 0.0, 0.0);
    EXPECT_ARRAY_CLOSE(matmul(zeros({0}, t), zeros({0}, t), device), std::vector<double>{0.0},
                       Shape{}, 0.0, 0.0);
    // Empty outer dimensions and batches.
    EXPECT_EQ(matmul(zeros({0, 3}, t), zeros({3, 2}, t), device).shape(), (Shape{0, 2}));
    EXPECT_EQ(matmul(zeros({2, 3}, t), zeros({3, 0}, t), device).shape(), (Shape{2, 0}));
    EXPECT_EQ(matmul(zeros({0, 2, 3}, t), zeros({3, 2}, t), device).shape(), (Shape{0, 2, 2}));
  }
  // Empty K from a sliced view of non-empty data.
  array a = slice(tx::rand64({3, 4}, -1, 1, 70), {0, 2}, {3, 2});
  EXPECT_ARRAY_CLOSE(matmul(a, zeros({0, 2}, float64), device), std::vector<double>(6, 0.0),
                     (Shape{3, 2}), 0.0, 0.0);
}

DEVICE_TEST(MatmulErrors, Messages) {
  using E = std::invalid_argument;
  EXPECT_THROW_MSG(matmul(zeros({2, 3}), zeros({4, 5}), device), E,
                   "[matmul] Last dimension of first input with shape (2,3) must match second to "
                   "last dimension of second input with shape (4,5).");
  EXPECT_THROW_MSG(matmul(zeros({3}), zeros({4, 5}), device), E,
                   "[matmul] Last dimension of first input with shape (3,) must match second to "
                   "last dimension of second input with shape (4,5).");
  EXPECT_THROW_MSG(matmul(zeros({2, 3}), zeros({4}), device), E, "second input with shape (4,).");
  EXPECT_THROW_MSG(matmul(zeros({3}), zeros({4}), device), E, "[matmul] Last dimension");
  EXPECT_THROW_MSG(matmul(zeros({2, 3, 4}), zeros({3, 4, 5}), device), E,
                   "[matmul] Batch dimensions of shapes (2,3,4) and (3,4,5) cannot be broadcast.");
  EXPECT_THROW_MSG(matmul(array({1, 2, 3, 4}, {2, 2}), array({1, 2, 3, 4}, {2, 2}), device), E,
                   "[matmul] Only floating-point and complex64 inputs are supported; got int32 and "
                   "int32.");
  EXPECT_THROW_MSG(matmul(zeros({2, 2}, uint8), zeros({2, 2}, int64), device), E,
                   "got uint8 and int64.");
  EXPECT_THROW_MSG(matmul(zeros({2, 2}, bool_), zeros({2, 2}, bool_), device), E, "[matmul]");
  EXPECT_THROW_MSG(matmul(array(1.f), zeros({2, 2}), device), E, "[matmul] Got 0-d input(s)");
  EXPECT_THROW_MSG(matmul(zeros({2}), array(1.f), device), E, "[matmul] Got 0-d input(s)");
  EXPECT_THROW_MSG(addmm(zeros({2, 2}), zeros({2, 3}), zeros({2, 2}), 1.f, 1.f, device), E,
                   "[matmul] Last dimension");
}

// ------------------------------ addmm ------------------------------

DEVICE_TEST(MatmulAddmm, AlphaBeta) {
  array a = array({1.f, 2.f, 3.f, 4.f, 5.f, 6.f}, {2, 3});
  array b = array({7.f, 8.f, 9.f, 10.f, 11.f, 12.f}, {3, 2});
  array c = array({1.f, -1.f, 2.f, 0.5f}, {2, 2});
  // a @ b = [[58, 64], [139, 154]].
  EXPECT_ARRAY_EQ(addmm(c, a, b, 1.f, 1.f, device), std::vector<float>{59, 63, 141, 154.5f},
                  Shape{2, 2});
  EXPECT_ARRAY_EQ(addmm(c, a, b, 2.f, 0.5f, device),
                  std::vector<float>{116.5f, 127.5f, 279, 308.25f}, Shape{2, 2});
  EXPECT_ARRAY_EQ(addmm(c, a, b, -1.f, 2.f, device), std::vector<float>{-56, -66, -135, -153},
                  Shape{2, 2});
  EXPECT_ARRAY_EQ(addmm(c, a, b, 1.f, 0.f, device), std::vector<float>{58, 64, 139, 154},
                  Shape{2, 2});
  EXPECT_ARRAY_EQ(addmm(c, a, b, 0.f, 1.f, device), std::vector<float>{1, -1, 2, 0.5f},
                  Shape{2, 2});
  // Defaults are alpha = beta = 1; c broadcasts (a bias row, a scalar).
  EXPECT_ARRAY_EQ(addmm(array({10.f, 20.f}), a, b), std::vector<float>{68, 84, 149, 174},
                  Shape{2, 2});
  EXPECT_ARRAY_EQ(addmm(array(1.f), a, b, 1.f, 3.f, device), std::vector<float>{61, 67, 142, 157},
                  Shape{2, 2});
  // Batched, transposed operands and other dtypes.
  array x = tx::rand64({3, 2, 4}, -1, 1, 80), y = tx::rand64({4, 5}, -1, 1, 81);
  array z = tx::rand64({2, 5}, -1, 1, 82);
  auto p = values(matmul(x, y, device)), zv = values(z);
  std::vector<double> want(p.size());
  for (size_t i = 0; i < p.size(); ++i)
    want[i] = 0.5 * p[i] - 2 * zv[i % 10];
  EXPECT_TRUE(
      tandem_test::array_close(addmm(z, x, y, 0.5f, -2.f, device), want, {3, 2, 5}, 1e-12, 1e-12));
  EXPECT_TRUE(
      tandem_test::array_close(addmm(z, x, transpose(contiguous(transpose(y))), 0.5f, -2.f, device),
                               want, {3, 2, 5}, 1e-12, 1e-12));
  array h = addmm(astype(c, float16), astype(a, float16), astype(b, float16), 2.f, 0.5f, device);
  EXPECT_EQ(h.dtype(), float16);
  EXPECT_ARRAY_CLOSE(h, (std::vector<double>{116.5, 127.5, 279, 308.25}), (Shape{2, 2}));
}

// ------------------------------ derivatives ------------------------------

TEST(MatmulGrad, FiniteDifferences) {
  struct P {
    Shape a, b;
  };
  uint32_t seed = 90;
  for (auto& p : std::vector<P>{{{3, 4}, {4, 2}},
                                {{4}, {4, 3}},
                                {{3, 4}, {4}},
                                {{5}, {5}},
                                {{2, 1, 3, 4}, {3, 4, 2}},
                                {{3, 4}, {2, 4, 2}},
                                {{4}, {2, 4, 3}},
                                {{2, 3, 4}, {4}}}) {
    SCOPED_TRACE(shape_to_string(p.a) + " @ " + shape_to_string(p.b));
    array a = tx::rand64(p.a, -1, 1, seed++), b = tx::rand64(p.b, -1, 1, seed++);
    EXPECT_DERIVATIVES([](const std::vector<array>& v) { return matmul(v[0], v[1]); },
                       (std::vector<array>{a, b}));
  }
  // Transposed / strided / reversed operands.
  for (tx::Layout l : tx::all_layouts()) {
    SCOPED_TRACE(tx::layout_name(l));
    array a = tx::with_layout(tx::rand_values(12, -1, 1, 120), {3, 4}, l);
    array b = tx::with_layout(tx::rand_values(8, -1, 1, 121), {4, 2}, l);
    EXPECT_DERIVATIVES([](const std::vector<array>& v) { return matmul(v[0], v[1]); },
                       (std::vector<array>{a, b}));
  }
  // The same operand on both sides.
  EXPECT_DERIVATIVES(tx::unary([](const array& x) { return matmul(x, transpose(x)); }),
                     {tx::rand64({3, 4}, -1, 1, 122)});
}

TEST(MatmulGrad, Addmm) {
  array c = tx::rand64({2, 3}, -1, 1, 130), a = tx::rand64({2, 4}, -1, 1, 131),
        b = tx::rand64({4, 3}, -1, 1, 132);
  EXPECT_DERIVATIVES(
      [](const std::vector<array>& v) { return addmm(v[0], v[1], v[2], 1.5f, -0.5f); },
      (std::vector<array>{c, a, b}));
  // A broadcast bias and a broadcast batch.
  EXPECT_DERIVATIVES(
      [](const std::vector<array>& v) { return addmm(v[0], v[1], v[2], 2.f, 3.f); },
      (std::vector<array>{tx::rand64({3}, -1, 1, 133), tx::rand64({2, 2, 4}, -1, 1, 134), b}));
}

TEST(MatmulVmap, Batches) {
  auto f = tx::binary_v([](const array& a, const array& b) { return matmul(a, b); });
  array ab = tx::rand64({3, 2, 4}, -1, 1, 140), bb = tx::rand64({3, 4, 5}, -1, 1, 141);
  EXPECT_VMAP(f, (std::vector<array>{ab, bb}), {0, 0});
  EXPECT_VMAP(f, (std::vector<array>{ab, tx::rand64({4, 5}, -1, 1, 142)}), {0, -1});
  EXPECT_VMAP(f, (std::vector<array>{tx::rand64({2, 4}, -1, 1, 143), bb}), {-1, 0});
  EXPECT_VMAP(f, (std::vector<array>{moveaxis(ab, 0, 2), bb}), {2, 0});
  // Vectors per example.
  EXPECT_VMAP(f, (std::vector<array>{tx::rand64({3, 4}, -1, 1, 144), bb}), {0, 0});
  EXPECT_VMAP(f, (std::vector<array>{ab, tx::rand64({4, 3}, -1, 1, 145)}), {0, 1});
}
