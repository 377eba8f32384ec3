// Copyright © 2026 Tandem authors.
// GPU against CPU: elementwise ops, copies and views, reductions, fused softmax and norms,
// matmul (cuBLASLt, GEMV), random bits and arange.
#include "gpu_parity.h"

// =====================================================================================
// Elementwise, copies, views, reductions, fused rows, matmul, random bits (elementwise.cuh,
// copy.cu, views.cpp, reduce.cu, fused.cu, matmul.cpp, random.cu)
// =====================================================================================

TEST(GpuParity, ElementwiseOffsetsAndTails) {
  // Contiguous views whose first element is not 16-byte aligned (the kernels' 16-byte vector
  // path must fall back), lengths that are not a multiple of the vector width, a scalar
  // operand, every dtype; conversions in place of the same item size.
  uint32_t seed = 700;
  for (Dtype t : tandem_test::all_dtypes()) {
    for (int n : {1, 5, 17, 1031}) {
      array a = rnd({n + 8}, t, seed++, -20, 20, true);
      array b = rnd({n + 8}, t, seed++, -20, 20, true);
      array c = rnd({n + 8}, t, seed++, -20, 20);  // no NaN: converted to integers below
      for (int oa : {0, 1, 3}) {
        for (int ob : {0, 2}) {
          SCOPED_TRACE(dtype_name(t) + " n " + std::to_string(n) + " offsets " +
                       std::to_string(oa) + ", " + std::to_string(ob));
          auto va = [&](Device d) { return slice(a, {oa}, {oa + n}, d); };
          auto vb = [&](Device d) { return slice(b, {ob}, {ob + n}, d); };
          expect_matches([&](Device d) { return add(va(d), vb(d), d); });
          expect_matches([&](Device d) { return maximum(va(d), vb(d), d); });
          expect_matches([&](Device d) { return multiply(va(d), take(b, 0, d), d); });
          EXPECT_MATCHES_CPU([&](Device d) { return equal(va(d), vb(d), d); });
          EXPECT_MATCHES_CPU([&](Device d) { return logical_not(va(d), d); });
          if (t != bool_) expect_matches([&](Device d) { return negative(va(d), d); });
          for (Dtype to : {bool_, uint8, int32, float16, bfloat16, float32, float64, complex64}) {
            expect_matches([&](Device d) { return astype(slice(c, {oa}, {oa + n}, d), to, d); });
          }
        }
      }
    }
  }
}

TEST(GpuParity, ElementwiseLayouts) {
  // Broadcast rows / columns (the strided kernels), transposed and reversed operands, 0-d and
  // empty arrays, and 9 dims that do not collapse (more than kMaxDims: contiguous copies first).
  uint32_t seed = 720;
  for (Dtype t : {bool_, int8, int64, float16, float32, complex64}) {
    SCOPED_TRACE(dtype_name(t));
    array m = rnd({6, 10}, t, seed++);
    array row = rnd({10}, t, seed++), col = rnd({6, 1}, t, seed++);
    array s = rnd({}, t, seed++);
    expect_matches([&](Device d) { return add(m, row, d); });
    expect_matches([&](Device d) { return add(col, row, d); });
    expect_matches([&](Device d) { return add(s, m, d); });
    expect_matches([&](Device d) { return add(s, s, d); });
    expect_matches([&](Device d) {
      return maximum(transpose(m, d), slice(transpose(m, d), {9, 0}, {-11, 6}, {-1, 1}, d), d);
    });
    expect_matches([&](Device d) { return add(zeros({0, 10}, t), row, d); });
    expect_matches([&](Device d) { return where(greater(m, s, d), m, row, d); });
    array h = rnd(Shape(9, 2), t, seed++);
    array cond = rnd(Shape(9, 2), bool_, seed++);
    std::vector<int> rev{8, 7, 6, 5, 4, 3, 2, 1, 0};
    expect_matches([&](Device d) { return add(transpose(h, rev, d), h, d); });
    expect_matches([&](Device d) { return logical_not(transpose(h, rev, d), d); });
    expect_matches([&](Device d) { return astype(transpose(h, rev, d), float32, d); });
    expect_matches(
        [&](Device d) { return where(transpose(cond, rev, d), transpose(h, rev, d), h, d); });
    expect_matches([&](Device d) { return copy(transpose(h, rev, d), d); });
    expect_matches([&](Device d) { return concatenate({transpose(m, d), transpose(m, d)}, 1, d); });
    expect_matches([&](Device d) { return reshape(transpose(m, d), {5, 12}, d); });
  }
}

TEST(GpuParity, ReshapeFlagsFollowTheNewShape) {
  // A (6,) array is row- and column-major; its (2, 3) reshape is only row-major.
  for (auto& d : tandem_test::test_devices()) {
    SCOPED_TRACE(tandem_test::device_name(d));
    array r = reshape(add(arange(6.0, float32), array(1.0f), d), {2, 3}, d);
    r.eval();
    EXPECT_TRUE(r.flags().row_contiguous);
    EXPECT_FALSE(r.flags().col_contiguous);
    array c = contiguous(r, true, d);
    c.eval();
    EXPECT_FALSE(c.flags().col_contiguous && !c.flags().row_contiguous);
    EXPECT_ARRAY_EQ(c, std::vector<float>{1, 2, 3, 4, 5, 6}, Shape{2, 3});
  }
}

TEST(GpuParity, DonatedIntermediates) {
  // Chains whose intermediates are donated to the next kernel (written in place on the GPU).
  const int n = (1 << 16) + 3;
  array x = make(rnd_reals(n, -2, 2, 730), {n}, float32);
  array xi = make(rnd_ints(n, -100, 100, 731), {n}, int32);
  EXPECT_MATCHES_CPU(
      [&](Device d) { return multiply(exp(sin(add(x, array(1.0f), d), d), d), array(0.5f), d); },
      4);
  EXPECT_MATCHES_CPU([&](Device d) {
    return astype(astype(add(xi, xi, d), float32, d), int32, d);  // same item size: in place
  });
  EXPECT_MATCHES_CPU([&](Device d) { return abs(negative(slice(xi, {1}, {n}, d), d), d); });
}

TEST(GpuParity, ReductionsAllOpsAndGeometries) {
  struct C {
    Shape shape;
    std::vector<int> axes;
  };
  // Long rows (a block per output), short rows (a warp per output), columns, alternating axis
  // groups, everything, extent-1 axes; with a GPU also rows and columns split into chunks.
  std::vector<C> cases{{{7, 3000}, {1}},       {{40, 33}, {1}},        {{3000, 7}, {0}},
                       {{2, 3, 4, 5}, {0, 2}}, {{2, 3, 4, 5}, {1, 3}}, {{6, 5}, {0, 1}},
                       {{1, 4}, {0}}};
  if (tandem_test::has_gpu()) {
    cases.push_back({{3, 300000}, {1}});
    cases.push_back({{200000, 3}, {0}});
    cases.push_back({{1 << 20}, {0}});
  }
  uint32_t seed = 740;
  for (Dtype t : tandem_test::all_dtypes()) {
    for (auto& c : cases) {
      SCOPED_TRACE(dtype_name(t) + " " + shape_to_string(c.shape));
      size_t n = 1;
      for (auto e : c.shape)
        n *= e;
      array x = rnd(c.shape, t, seed++, -3, 3, true);  // exact sums in every dtype
      expect_matches([&](Device d) { return sum(x, c.axes, false, d); });
      expect_matches([&](Device d) { return max(x, c.axes, false, d); });
      expect_matches([&](Device d) { return min(x, c.axes, true, d); });
      EXPECT_MATCHES_CPU([&](Device d) { return all(x, c.axes, false, d); });
      EXPECT_MATCHES_CPU([&](Device d) { return any(x, c.axes, false, d); });
      // Powers of two: exact products (integers wrap identically, floats overflow alike).
      auto pv = pick(n,
                     is_unsigned_or_bool(t)   ? std::vector<double>{1, 2}
                     : is_float_or_complex(t) ? std::vector<double>{-1, 1, 2, 0.5}
                                              : std::vector<double>{-1, 1, 2},
                     seed++);
      array p = t == bool_ ? rnd(c.shape, t, seed++) : of(pv, c.shape, t);
      expect_matches([&](Device d) { return prod(p, c.axes, false, d); });
      if (t != complex64) {
        EXPECT_MATCHES_CPU([&](Device d) { return argmax(x, c.axes[0], false, d); });
        EXPECT_MATCHES_CPU([&](Device d) { return argmin(x, c.axes.back(), true, d); });
      }
    }
  }
  // Special values: NaN wins max / min, -inf and +inf, signed zeros, a strided input.
  array sp = make({-kNaN, 1, -std::numeric_limits<double>::infinity(), 0, -0.0, 3, kNaN, 2,
                   std::numeric_limits<double>::infinity(), -1, -0.0, 0.0},
                  {3, 4}, float32);
  for (Dtype t : tandem_test::float_dtypes()) {
    SCOPED_TRACE(dtype_name(t));
    array xs = astype(sp, t);
    for (int ax : {0, 1}) {
      EXPECT_MATCHES_CPU([&](Device d) { return max(xs, ax, false, d); });
      EXPECT_MATCHES_CPU([&](Device d) { return min(transpose(xs), ax, false, d); });
      EXPECT_MATCHES_CPU([&](Device d) { return argmax(xs, ax, false, d); });
      EXPECT_MATCHES_CPU([&](Device d) { return argmin(transpose(xs), ax, false, d); });
    }
  }
  // Empty reductions take the identity.
  EXPECT_MATCHES_CPU([&](Device d) { return sum(zeros({0, 5}, float16), 0, false, d); });
  EXPECT_MATCHES_CPU([&](Device d) { return prod(zeros({3, 0}, int8), 1, false, d); });
  EXPECT_MATCHES_CPU([&](Device d) { return all(zeros({3, 0}, bool_), 1, false, d); });
}

TEST(GpuParity, SoftmaxRowsAndSpecialValues) {
  uint32_t seed = 760;
  for (Dtype t : tandem_test::float_dtypes()) {
    for (int n : {1, 7, 8, 33, 1024, 5000}) {
      SCOPED_TRACE(dtype_name(t) + " n " + std::to_string(n));
      array x = astype(make(rnd_reals(6 * n, -4, 4, seed++), {6, n}, float32), t);
      EXPECT_MATCHES_CPU([&](Device d) { return softmax(x, -1, false, d); }, 4);
      // Rows 1.. start n elements into the buffer: not 16-byte aligned for odd n.
      EXPECT_MATCHES_CPU(
          [&](Device d) {
            return softmax(slice(x, {1, 0}, {6, n}, d), -1, false, d);
          },
          4);
    }
    // +inf anywhere gives a row of NaN (as the composition); a row of -inf gives NaN; NaN
    // propagates; -inf elements give 0.
    const double inf = std::numeric_limits<double>::infinity();
    array s = astype(make({0, 1, inf,  2, -inf, -inf, -inf, -inf, 1, kNaN,
                           2, 3, -inf, 0, 1,    -inf, inf,  inf,  1, 2},
                          {5, 4}, float32),
                     t);
    EXPECT_MATCHES_CPU([&](Device d) { return softmax(s, -1, false, d); });
    // A long row (several elements per thread) with one +inf far from the start.
    std::vector<double> lv = rnd_reals(5000, -1, 1, seed++);
    lv[4097] = inf;
    array l = astype(make(lv, {1, 5000}, float32), t);
    EXPECT_MATCHES_CPU([&](Device d) { return softmax(l, -1, false, d); });
  }
}

TEST(GpuParity, NormsRowLengthsAndOffsets) {
  uint32_t seed = 780;
  for (Dtype t : tandem_test::float_dtypes()) {
    for (int n : {1, 7, 8, 1024, 1025, 3000}) {
      SCOPED_TRACE(dtype_name(t) + " n " + std::to_string(n));
      array x = astype(make(rnd_reals(5 * n, -2, 3, seed++), {5, n}, float32), t);
      array w = astype(make(rnd_reals(n + 1, 0.5, 1.5, seed++), {n + 1}, float32), t);
      array b = astype(make(rnd_reals(n + 1, -1, 1, seed++), {n + 1}, float32), t);
      auto xo = [&](Device d) { return slice(x, {1, 0}, {5, n}, d); };  // offset rows
      auto wo = [&](Device d) { return slice(w, {1}, {n + 1}, d); };    // offset weight
      auto bo = [&](Device d) { return slice(b, {0}, {n}, d); };
      const double tol = n >= 1000 ? 8 : 2;
      EXPECT_MATCHES_CPU([&](Device d) { return fast::rms_norm(x, wo(d), 1e-5f, d); }, tol);
      EXPECT_MATCHES_CPU([&](Device d) { return fast::rms_norm(xo(d), std::nullopt, 1e-5f, d); },
                         tol);
      EXPECT_MATCHES_CPU([&](Device d) { return fast::layer_norm(xo(d), wo(d), bo(d), 1e-5f, d); },
                         tol);
      EXPECT_MATCHES_CPU(
          [&](Device d) { return fast::layer_norm(x, std::nullopt, bo(d), 1e-5f, d); }, tol);
    }
  }
  // 16-bit input with float32 parameters (mixed kernel).
  array xh = astype(make(rnd_reals(4 * 40, -2, 2, 790), {4, 40}, float32), bfloat16);
  array w32 = make(rnd_reals(40, 0.5, 1.5, 791), {40}, float32);
  EXPECT_MATCHES_CPU([&](Device d) { return fast::rms_norm(xh, w32, 1e-6f, d); }, 2);
  EXPECT_MATCHES_CPU([&](Device d) { return fast::layer_norm(xh, w32, w32, 1e-6f, d); }, 2);
}

TEST(GpuParity, MatmulLayoutsAndDtypes) {
  // Values are multiples of 1/8 with short sums: exact in every dtype but bfloat16 / float16
  // outputs, which round once on both devices.
  for (Dtype t : {float32, float64, float16, bfloat16, complex64}) {
    SCOPED_TRACE(dtype_name(t));
    array a = astype(rnd_real({4, 5, 6}, 800), t);
    array b = astype(rnd_real({4, 6, 3}, 801), t);
    array v = astype(rnd_real({6}, 802), t);
    expect_matches([&](Device d) { return matmul(a, b, d); });
    expect_matches([&](Device d) {
      return matmul(transpose(b, {0, 2, 1}, d), transpose(a, {0, 2, 1}, d), d);
    });
    expect_matches([&](Device d) { return matmul(a, take(b, 0, 0, d), d); });  // shared b
    expect_matches([&](Device d) { return matmul(take(a, 1, 0, d), b, d); });  // shared a
    expect_matches([&](Device d) { return matmul(v, take(b, 2, 0, d), d); });  // vector x matrix
    expect_matches([&](Device d) { return matmul(a, v, d); });                 // matrix x vector
    // A reversed batch axis (negative batch stride) and a strided (non-BLAS) matrix.
    expect_matches([&](Device d) {
      return matmul(slice(a, {3, 0, 0}, {-5, 5, 6}, {-1, 1, 1}, d), b, d);
    });
    expect_matches([&](Device d) {
      return matmul(slice(a, {0, 0, 0}, {4, 5, 6}, {1, 1, 2}, d),
                    slice(b, {0, 0, 0}, {4, 6, 3}, {1, 2, 1}, d), d);
    });
    // Two batch axes that do not collapse (a loop over the outer one).
    array a4 = astype(rnd_real({3, 2, 5, 6}, 803), t);
    array b4 = astype(rnd_real({2, 3, 6, 4}, 804), t);
    expect_matches([&](Device d) { return matmul(a4, transpose(b4, {1, 0, 2, 3}, d), d); });
    // K = 0: zeros.
    expect_matches([&](Device d) { return matmul(zeros({3, 0}, t), zeros({0, 4}, t), d); });
  }
}

TEST(GpuParity, MatmulCublasLtShapesAndGemv) {
  // matmul.cpp / blaslt.cpp / gemv.cu: sizes that are not multiples of 8, every transpose,
  // broadcast batches (folded into rows, or stride-0 batches), sliced operands whose pointers
  // and leading dimensions are not 16-byte aligned, M = 1 and N = 1 (the GEMV kernel for 16-bit
  // floats, its vector and element-wise loops), and K = 0. Values are multiples of 1/8, so every
  // float32 sum here is exact and only the final rounding of 16-bit outputs remains.
  for (Dtype t : {bfloat16, float16, float32, float64, complex64}) {
    SCOPED_TRACE(dtype_name(t));
    const int M = 37, K = 29, N = 41;
    array a = astype(rnd_real({M + 1, K + 1}, 820), t);  // sliced below: offsets and ld K + 1
    array b = astype(rnd_real({K, N}, 821), t);
    array bt = astype(rnd_real({N, K}, 822), t);                              // transposed below
    auto av = [&](Device d) { return slice(a, {1, 1}, {M + 1, K + 1}, d); };  // (M, K), unaligned
    expect_matches([&](Device d) { return matmul(av(d), b, d); });
    expect_matches([&](Device d) { return matmul(av(d), transpose(bt, d), d); });
    // Column-major a (a transposed row-major copy), alone and with a column-major b.
    auto ac = [&](Device d) { return transpose(contiguous(transpose(av(d), d), false, d), d); };
    expect_matches([&](Device d) { return matmul(ac(d), b, d); });
    expect_matches([&](Device d) { return matmul(ac(d), transpose(bt, d), d); });
    // Batches: a (3, M, K) x shared b (one product of 3M rows), shared a x b (3, K, N) (a
    // stride-0 batch), a transposed batch against a shared transposed b, batch axes broadcast
    // on both sides.
    array a3 = astype(rnd_real({3, M, K}, 823), t);
    array b3 = astype(rnd_real({3, K, N}, 824), t);
    expect_matches([&](Device d) { return matmul(a3, b, d); });
    expect_matches([&](Device d) { return matmul(av(d), b3, d); });
    expect_matches([&](Device d) { return matmul(a3, transpose(bt, d), d); });
    expect_matches([&](Device d) {
      return matmul(transpose(astype(rnd_real({3, K, M}, 825), t), {0, 2, 1}, d), transpose(bt, d),
                    d);
    });
    expect_matches([&](Device d) {
      return matmul(reshape(a3, {3, 1, M, K}, d), reshape(b3, {1, 3, K, N}, d), d);
    });
    // Odd batch offsets: every batch of the slice starts at an odd element.
    expect_matches([&](Device d) {
      return matmul(slice(astype(rnd_real({3, M, K + 1}, 826), t), {0, 0, 1}, {3, M, K + 1}, d), b3,
                    d);
    });
    // M = 1 and N = 1 (GEMV): vector x transposed matrix (the kernel's layout), vector x
    // row-major matrix and matrix x vector, aligned (K a multiple of 8) or not, with an offset
    // vector, and a batch of vectors. The matrix rows are 272 apart (16-byte aligned).
    for (int k : {264, 263}) {
      array w = astype(rnd_real({300, 272}, 827 + k), t);
      array x = astype(rnd_real({k + 1}, 828 + k), t);
      auto wv = [&](Device d) { return slice(w, {0, 0}, {300, k}, d); };
      auto xv = [&](Device d) { return slice(x, {0}, {k}, d); };
      auto xo = [&](Device d) { return slice(x, {1}, {k + 1}, d); };  // offset by one element
      expect_matches([&](Device d) { return matmul(xv(d), transpose(wv(d), d), d); });
      expect_matches([&](Device d) { return matmul(xo(d), transpose(wv(d), d), d); });
      expect_matches([&](Device d) { return matmul(wv(d), xv(d), d); });
      expect_matches([&](Device d) { return matmul(wv(d), xo(d), d); });
      expect_matches([&](Device d) {
        return matmul(reshape(xv(d), {1, k}, d), contiguous(transpose(wv(d), d), false, d), d);
      });
      expect_matches([&](Device d) {
        return matmul(transpose(wv(d), d), astype(rnd_real({300}, 829), t), d);
      });
      expect_matches([&](Device d) {
        return matmul(astype(rnd_real({4, 1, k}, 830), t), transpose(wv(d), d), d);
      });
      expect_matches([&](Device d) {
        return matmul(reshape(xv(d), {1, k}, d), reshape(xv(d), {k, 1}, d), d);
      });
    }
    // K = 0 with batches: zeros.
    expect_matches([&](Device d) { return matmul(zeros({2, 3, 0}, t), zeros({0, 5}, t), d); });
    expect_matches([&](Device d) { return matmul(zeros({1, 0}, t), zeros({2, 0, 5}, t), d); });
  }
  // The GEMV kernel's unrolled loop (K = 2056: 257 16-byte chunks) over more than 1024 rows, and
  // a long contraction with few rows (cuBLASLt's choice).
  for (Dtype t : {bfloat16, float16}) {
    SCOPED_TRACE(dtype_name(t));
    array w = astype(rnd_real({1100, 2056}, 840), t);
    array x = astype(rnd_real({2056}, 841), t);
    expect_matches([&](Device d) { return matmul(x, transpose(w, d), d); });
    expect_matches([&](Device d) { return matmul(w, x, d); });
    array wl = astype(rnd_real({64, 16384}, 842), t);
    array xl = astype(rnd_real({16384}, 843), t);
    expect_matches([&](Device d) { return matmul(wl, xl, d); });
  }
}

TEST(GpuParity, MatmulBatchesBeyondOneLibraryCall) {
  // matmul.cpp splits strided batches into calls of at most 65535 products: a batch of 70000
  // (two calls, the second of 4465), with a shared (stride-0) operand on either side, a
  // transposed operand, and batch axes that collapse into one. Products of multiples of 1/8 with
  // K = 3: exact in every dtype before the output's rounding.
  for (Dtype t : {float32, bfloat16, float16, float64, complex64}) {
    SCOPED_TRACE(dtype_name(t));
    array a = astype(rnd_real({70000, 2, 3}, 870), t);
    array b = astype(rnd_real({70000, 3, 2}, 871), t);
    array bs = astype(rnd_real({3, 2}, 872), t);
    array as = astype(rnd_real({2, 3}, 873), t);
    expect_matches([&](Device d) { return matmul(a, b, d); });
    expect_matches([&](Device d) { return matmul(as, b, d); });  // shared a: stride 0
    expect_matches([&](Device d) { return matmul(a, bs, d); });  // folded into 140000 rows
    expect_matches(
        [&](Device d) { return matmul(swapaxes(b, -1, -2, d), swapaxes(a, -1, -2, d), d); });
    expect_matches([&](Device d) {
      return matmul(reshape(a, {2, 35000, 2, 3}, d), reshape(b, {2, 35000, 3, 2}, d), d);
    });
  }
}

TEST(GpuParity, MatmulLongReductions16BitExact) {
  // Multiples of 1/8 in [-2, 2]: every partial sum of up to 8192 products is a multiple of 1/64
  // below 2^15, exact in float32 in any order. 16-bit outputs must then equal the CPU's bit for
  // bit; a split-K reduction in the 16-bit output type (cuBLASLt's INPLACE / OUTPUT_TYPE
  // schemes, or cuBLAS's reduced-precision reductions, both turned off) would round partial
  // sums and differ. Few outputs and a long K make split-K likely; batches and a transposed
  // operand take the strided-batch and cuBLAS paths too.
  for (Dtype t : {bfloat16, float16}) {
    SCOPED_TRACE(dtype_name(t));
    array a = astype(rnd_real({16, 8192}, 880), t);
    array b = astype(rnd_real({8192, 24}, 881), t);
    EXPECT_MATCHES_CPU([&](Device d) { return matmul(a, b, d); }, 0.0);
    EXPECT_MATCHES_CPU(
        [&](Device d) { return matmul(swapaxes(b, 0, 1, d), swapaxes(a, 0, 1, d), d); }, 0.0);
    array a3 = astype(rnd_real({3, 8, 6000}, 882), t);
    array b3 = astype(rnd_real({3, 6000, 8}, 883), t);
    EXPECT_MATCHES_CPU([&](Device d) { return matmul(a3, b3, d); }, 0.0);
    // gather_mm (cublasGemmBatchedEx) with the same long reduction.
    EXPECT_MATCHES_CPU(
        [&](Device d) {
          return gather_mm(a3, b3, make({2, 0, 1, 2}, {4}, int32), make({0, 0, 2, 1}, {4}, int32),
                           false, d);
        },
        0.0);
  }
}

TEST(GpuParity, MatmulPlanCacheHits) {
  // The cuBLASLt heuristic runs once per problem: repeating a shape (fresh arrays, same
  // alignment) hits the plan cache.
  if (!tandem_test::has_gpu()) GTEST_SKIP() << "no GPU";
  const Device g(Device::gpu);
  auto run = [&](uint32_t seed) {
    array a = rnd_real({53, 47}, seed), b = rnd_real({47, 59}, seed + 1);
    array c = matmul(a, b, g);
    c.eval();
    return c;
  };
  const gpu::MatmulStats s0 = gpu::matmul_stats();
  array c1 = run(850);
  const gpu::MatmulStats s1 = gpu::matmul_stats();
  EXPECT_EQ(s1.plan_misses + s1.plan_hits, s0.plan_misses + s0.plan_hits + 1);
  EXPECT_GE(s1.plans, 1u);
  array c2 = run(852);
  array c3 = run(854);
  const gpu::MatmulStats s2 = gpu::matmul_stats();
  EXPECT_EQ(s2.plan_misses, s1.plan_misses);
  EXPECT_EQ(s2.plan_hits, s1.plan_hits + 2);
  EXPECT_MATCHES_CPU([&](Device d) {
    return matmul(rnd_real({53, 47}, 854), rnd_real({47, 59}, 855), d);
  });
  // cuBLASLt has algorithms for the tensor-core dtypes (no cuBLAS fallback), also with the
  // float32-only split-K reductions asked for 16-bit products (a long K).
  for (Dtype t : {bfloat16, float16, float32}) {
    SCOPED_TRACE(dtype_name(t));
    const uint64_t f0 = gpu::matmul_stats().cublas_fallbacks;
    matmul(astype(rnd_real({128, 256}, 860), t), astype(rnd_real({256, 192}, 861), t), g).eval();
    matmul(astype(rnd_real({64, 8192}, 862), t), astype(rnd_real({8192, 64}, 863), t), g).eval();
    EXPECT_EQ(gpu::matmul_stats().cublas_fallbacks, f0);
  }
  for (Dtype t : {float64, complex64}) {  // reported only: cuBLAS is a legitimate answer here
    const uint64_t f0 = gpu::matmul_stats().cublas_fallbacks;
    matmul(astype(rnd_real({128, 256}, 864), t), astype(rnd_real({256, 192}, 865), t), g).eval();
    std::cout << "[ INFO ] " << dtype_name(t) << " matmul through "
              << (gpu::matmul_stats().cublas_fallbacks == f0 ? "cuBLASLt" : "the cuBLAS fallback")
              << std::endl;
  }
  // A bfloat16 vector times a transposed matrix runs the GEMV kernel (unless turned off).
  const char* off = std::getenv("TANDEM_CUDA_GEMV");
  if (!(off && std::string(off) == "0")) {
    const uint64_t g0 = gpu::matmul_stats().gemv_kernels;
    array y = matmul(astype(rnd_real({512}, 856), bfloat16),
                     transpose(astype(rnd_real({2048, 512}, 857), bfloat16)), g);
    y.eval();
    EXPECT_EQ(gpu::matmul_stats().gemv_kernels, g0 + 1);
  }
}

TEST(GpuParity, RandomBitsAndArange) {
  // The same Threefry bits on every device, for each element width, with a strided key.
  array k = random::key(1234);
  array keys = random::split(k).second;
  for (int w : {1, 2, 4}) {
    SCOPED_TRACE("width " + std::to_string(w));
    EXPECT_MATCHES_CPU([&](Device d) { return random::bits({1001, 3}, w, k, d); });
    EXPECT_MATCHES_CPU([&](Device d) { return random::bits({7}, w, keys, d); });
  }
  EXPECT_MATCHES_CPU([&](Device d) { return random::uniform({999}, float32, k, d); });
  EXPECT_MATCHES_CPU([&](Device d) { return random::normal({999}, float32, 0.0f, 1.0f, k, d); }, 4);
  // arange: computed in double and converted like astype (8-bit overflow wraps).
  EXPECT_MATCHES_CPU([&](Device d) { return arange(250.0, 262.0, 1.0, uint8, d); });
  EXPECT_MATCHES_CPU([&](Device d) { return arange(120.0, 140.0, 3.0, int8, d); });
  EXPECT_MATCHES_CPU([&](Device d) { return arange(0.0, 1.0, 0.01, float16, d); });
  EXPECT_MATCHES_CPU([&](Device d) { return arange(5.0, -5.0, -0.5, float64, d); });
}
