// Copyright © 2026 Tandem authors.
// GPU against CPU: elementwise ops, copies and views, reductions, fused softmax and norms,
// matmul (cuBLASLt, GEMV), random bits and arange, FFT (cuFFT).
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
      array x = rnd(c.shape, t, seed++, -3, 3, true);  // exact sums in every dtype
      expect_matches([&](Device d) { return sum(x, c.axes, false, d); });
      expect_matches([&](Device d) { return max(x, c.axes, false, d); });
      expect_matches([&](Device d) { return min(x, c.axes, true, d); });
      EXPECT_MATCHES_CPU([&](Device d) { return all(x, c.axes, false, d); });
      EXPECT_MATCHES_CPU([&](Device d) { return any(x, c.axes, false, d); });
      // Products exact in any order (gpu_parity.h): random factors 2 and 0.5 over rows of
      // 300000 take partial products out of the float range in one order and not another.
      array p = exact_product_values(c.shape, t, seed++);
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

// =====================================================================================
// Every elementwise op on every dtype and layout (elementwise.cuh, unary*.cu, binary*.cu,
// copy.cu): the views of gpu_parity.h (offsets, transposes, strides, negative strides,
// broadcasts, 0-d, empty) reach the contiguous, scalar and strided kernels of each op.
// =====================================================================================

namespace {

using UnaryFn = std::function<array(const array&, Device)>;
using BinaryFn = std::function<array(const array&, const array&, Device)>;

#define TANDEM_UNARY(f)                                  \
  {                                                      \
#f, [](const array& a, Device d) { return f(a, d); } \
  }
#define TANDEM_BINARY(f)                                                    \
  {                                                                         \
#f, [](const array& a, const array& b, Device d) { return f(a, b, d); } \
  }

const std::vector<std::pair<std::string, UnaryFn>>& unary_ops() {
  static const std::vector<std::pair<std::string, UnaryFn>> v{
      TANDEM_UNARY(abs),        TANDEM_UNARY(negative),      TANDEM_UNARY(sign),
      TANDEM_UNARY(sqrt),       TANDEM_UNARY(rsqrt),         TANDEM_UNARY(square),
      TANDEM_UNARY(reciprocal), TANDEM_UNARY(exp),           TANDEM_UNARY(expm1),
      TANDEM_UNARY(log),        TANDEM_UNARY(log1p),         TANDEM_UNARY(log2),
      TANDEM_UNARY(log10),      TANDEM_UNARY(sin),           TANDEM_UNARY(cos),
      TANDEM_UNARY(tan),        TANDEM_UNARY(arcsin),        TANDEM_UNARY(arccos),
      TANDEM_UNARY(arctan),     TANDEM_UNARY(sinh),          TANDEM_UNARY(cosh),
      TANDEM_UNARY(tanh),       TANDEM_UNARY(arcsinh),       TANDEM_UNARY(arccosh),
      TANDEM_UNARY(arctanh),    TANDEM_UNARY(sigmoid),       TANDEM_UNARY(erf),
      TANDEM_UNARY(erfinv),     TANDEM_UNARY(floor),         TANDEM_UNARY(ceil),
      TANDEM_UNARY(round),      TANDEM_UNARY(trunc),         TANDEM_UNARY(real),
      TANDEM_UNARY(imag),       TANDEM_UNARY(conjugate),     TANDEM_UNARY(logical_not),
      TANDEM_UNARY(isnan),      TANDEM_UNARY(isinf),         TANDEM_UNARY(isposinf),
      TANDEM_UNARY(isneginf),   TANDEM_UNARY(stop_gradient), TANDEM_UNARY(bitwise_invert),
  };
  return v;
}

const std::vector<std::pair<std::string, BinaryFn>>& binary_ops() {
  static const std::vector<std::pair<std::string, BinaryFn>> v{
      TANDEM_BINARY(add),         TANDEM_BINARY(subtract),      TANDEM_BINARY(multiply),
      TANDEM_BINARY(divide),      TANDEM_BINARY(floor_divide),  TANDEM_BINARY(remainder),
      TANDEM_BINARY(power),       TANDEM_BINARY(maximum),       TANDEM_BINARY(minimum),
      TANDEM_BINARY(arctan2),     TANDEM_BINARY(logaddexp),     TANDEM_BINARY(equal),
      TANDEM_BINARY(not_equal),   TANDEM_BINARY(less),          TANDEM_BINARY(less_equal),
      TANDEM_BINARY(greater),     TANDEM_BINARY(greater_equal), TANDEM_BINARY(logical_and),
      TANDEM_BINARY(logical_or),  TANDEM_BINARY(logical_xor),   TANDEM_BINARY(bitwise_and),
      TANDEM_BINARY(bitwise_or),  TANDEM_BINARY(bitwise_xor),   TANDEM_BINARY(left_shift),
      TANDEM_BINARY(right_shift),
  };
  return v;
}

#undef TANDEM_UNARY
#undef TANDEM_BINARY

// Whether the op accepts these inputs (the op functions reject unsupported dtypes on the CPU).
bool cpu_accepts(const std::function<array(Device)>& fn) {
  try {
    fn(Device::cpu).eval();
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

array view_named(const array& base, const std::string& name, Device d) {
  for (auto& [n, v] : views_of(base, d))
    if (n == name) return v;
  throw std::logic_error("no view " + name);
}

}  // namespace

TEST(GpuParity, UnaryOpsEveryDtypeAndLayout) {
  uint32_t seed = 900;
  for (Dtype t : tandem_test::all_dtypes()) {
    array base = small_values({8, 12}, t, seed++);
    for (const auto& op : unary_ops()) {
      const UnaryFn& f = op.second;
      if (!cpu_accepts([&](Device d) { return f(base, d); })) continue;
      for (const auto& view : views_of(base, Device::cpu)) {
        const std::string& name = view.first;
        SCOPED_TRACE(op.first + " " + dtype_name(t) + " " + name);
        // Transcendental functions: the device's and the host's math libraries round differently
        // (a few ulp; the CPU's float32 exp / log / tanh / sigmoid / erf are its own polynomials).
        expect_matches([&](Device d) { return f(view_named(base, name, d), d); }, 8);
      }
    }
  }
}

TEST(GpuParity, UnaryOpsSpecialValues) {
  // Infinities, NaN, signed zeros and values outside the functions' domains, in every float
  // dtype: both devices must agree on the special cases, not only on ordinary values.
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> v{0.0, -0.0, 1.0,  -1.0,  0.5,    -0.5, 2.0,   -2.0,
                        inf, -inf, kNaN, 100.0, -100.0, 1e-3, -1e-3, 30.0};
  for (Dtype t : tandem_test::float_dtypes()) {
    array x = make(v, {static_cast<int>(v.size())}, t);
    for (const auto& op : unary_ops()) {
      const UnaryFn& f = op.second;
      if (!cpu_accepts([&](Device d) { return f(x, d); })) continue;
      SCOPED_TRACE(op.first + " " + dtype_name(t));
      EXPECT_MATCHES_CPU([&](Device d) { return f(x, d); }, 8);
    }
  }
}

TEST(GpuParity, BinaryOpsEveryDtypeAndLayout) {
  // Each view against a contiguous operand on either side, and a few mixed pairs (both strided,
  // broadcast against broadcast, 0-d against 0-d, empty against a row).
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& view : views_of(zeros({8, 12}), Device::cpu)) {
    if (view.first == "empty") continue;
    pairs.push_back({view.first, "contiguous"});
    pairs.push_back({"contiguous", view.first});
  }
  pairs.insert(pairs.end(), {{"reversed", "transposed"},
                             {"strided", "offset"},
                             {"row", "column"},
                             {"broadcast", "scalar"},
                             {"scalar", "scalar"},
                             {"empty", "row"},
                             {"scalar", "empty"}});
  uint32_t seed = 950;
  for (Dtype t : tandem_test::all_dtypes()) {
    array a = small_values({8, 12}, t, seed++);
    array b = small_values({8, 12}, t, seed++);
    for (const auto& op : binary_ops()) {
      const BinaryFn& f = op.second;
      if (!cpu_accepts([&](Device d) { return f(a, b, d); })) continue;
      for (const auto& pr : pairs) {
        SCOPED_TRACE(op.first + " " + dtype_name(t) + " " + pr.first + " with " + pr.second);
        expect_matches(
            [&](Device d) { return f(view_named(a, pr.first, d), view_named(b, pr.second, d), d); },
            8);
      }
    }
  }
}

TEST(GpuParity, AstypeEveryPairAndLayout) {
  // Every (from, to) pair over every view. Float / complex -> unsigned conversions get
  // non-negative values: a negative float converted to an unsigned integer is undefined in C++
  // and the CPU's result depends on its instruction set (AVX-512 saturates to all ones, SSE
  // wraps), so only in-range conversions are compared.
  uint32_t seed = 980;
  for (Dtype from : tandem_test::all_dtypes()) {
    array base = small_values({8, 12}, from, seed++);
    array nonneg = base;
    if (from == complex64) {
      nonneg = add(astype(abs(real(base)), complex64),
                   multiply(astype(imag(base), complex64), array(complex64_t(0.0f, 1.0f))));
    } else if (is_float_or_complex(from)) {
      nonneg = abs(base);
    }
    nonneg.eval();
    for (Dtype to : tandem_test::all_dtypes()) {
      const bool to_unsigned = is_unsigned_or_bool(to) && to != bool_;
      const array& src = to_unsigned ? nonneg : base;
      for (const auto& view : views_of(base, Device::cpu)) {
        const std::string& name = view.first;
        SCOPED_TRACE(dtype_name(from) + " -> " + dtype_name(to) + " " + name);
        expect_matches([&](Device d) { return astype(view_named(src, name, d), to, d); });
      }
    }
  }
}

TEST(GpuParity, ReduceEveryAxisSetAndLayout) {
  // Every non-empty set of axes of a 4-d input (rows, columns, full and non-adjacent groups),
  // over a row-contiguous input, one starting at an offset, a transposed, a reversed (negative
  // strides) and a broadcast (zero strides) one, in every dtype; arg-reductions along each axis.
  auto layouts = [](const array& big) {
    // big: (4, 4, 5, 6)
    array base = slice(big, {0, 0, 0, 0}, {3, 4, 5, 6});
    return std::vector<std::pair<std::string, array>>{
        {"contiguous", base},
        {"offset", slice(big, {1, 0, 0, 0}, {4, 4, 5, 6})},
        {"transposed", transpose(reshape(slice(reshape(big, {480}), {0}, {360}), {6, 5, 4, 3}))},
        {"reversed", slice(big, {3, 3, 4, 5}, {0, -5, -6, -7}, {-1, -1, -1, -1})},
        {"broadcast", broadcast_to(slice(big, {0, 0, 0, 0}, {3, 1, 5, 1}), {3, 4, 5, 6})},
    };
  };
  std::vector<std::vector<int>> axis_sets;
  for (int m = 1; m < 16; ++m) {
    std::vector<int> axes;
    for (int k = 0; k < 4; ++k)
      if (m & (1 << k)) axes.push_back(k);
    axis_sets.push_back(axes);
  }
  uint32_t seed = 1000;
  for (Dtype t : tandem_test::all_dtypes()) {
    array x = rnd({4, 4, 5, 6}, t, seed++, -3, 3, true);  // NaN in the float dtypes
    array p = exact_product_values({4, 4, 5, 6}, t, seed++);
    auto xl = layouts(x), pl = layouts(p);
    for (size_t l = 0; l < xl.size(); ++l) {
      const array& xv = xl[l].second;
      const array& pv = pl[l].second;
      for (auto& axes : axis_sets) {
        std::string ax;
        for (int a : axes)
          ax += std::to_string(a);
        SCOPED_TRACE(dtype_name(t) + " " + xl[l].first + " axes " + ax);
        expect_matches([&](Device d) { return sum(xv, axes, false, d); });
        expect_matches([&](Device d) { return prod(pv, axes, true, d); });
        expect_matches([&](Device d) { return max(xv, axes, false, d); });
        expect_matches([&](Device d) { return min(xv, axes, false, d); });
        EXPECT_MATCHES_CPU([&](Device d) { return all(xv, axes, false, d); });
        EXPECT_MATCHES_CPU([&](Device d) { return any(xv, axes, true, d); });
      }
      if (t == complex64) continue;
      for (int a = 0; a < 4; ++a) {
        SCOPED_TRACE(dtype_name(t) + " " + xl[l].first + " arg axis " + std::to_string(a));
        EXPECT_MATCHES_CPU([&](Device d) { return argmax(xv, a, false, d); });
        EXPECT_MATCHES_CPU([&](Device d) { return argmin(xv, a, true, d); });
      }
    }
  }
}

TEST(GpuParity, ReduceManyAxisGroupsAndEdgeShapes) {
  // 18 dims of extent 2 with every other axis reduced: more alternating kept / reduced groups
  // than one kernel takes (the input is regrouped by a copy first); a non-collapsible 10-d
  // input for the arg-reductions; 0-d and empty inputs (the identity of each reduction).
  Shape s18(18, 2);
  std::vector<int> odd;
  for (int k = 1; k < 18; k += 2)
    odd.push_back(k);
  for (Dtype t : {bool_, int8, int32, uint64, float16, float32, float64, complex64}) {
    SCOPED_TRACE(dtype_name(t));
    array x = rnd(s18, t, 1100, -3, 3);
    array p = exact_product_values(s18, t, 1101);
    expect_matches([&](Device d) { return sum(x, odd, false, d); });
    expect_matches([&](Device d) { return prod(p, odd, false, d); });
    expect_matches([&](Device d) { return max(x, odd, true, d); });
    EXPECT_MATCHES_CPU([&](Device d) { return any(x, odd, false, d); });
    std::vector<int> rev(18);
    for (int k = 0; k < 18; ++k)
      rev[k] = 17 - k;
    expect_matches([&](Device d) { return sum(transpose(x, rev, d), odd, false, d); });
    if (t != complex64) {
      EXPECT_MATCHES_CPU([&](Device d) { return argmax(transpose(x, rev, d), 4, false, d); });
      EXPECT_MATCHES_CPU([&](Device d) { return argmin(x, 17, false, d); });
    }
    array s = rnd({}, t, 1102);
    expect_matches([&](Device d) { return sum(s, d); });
    expect_matches([&](Device d) { return max(s, d); });
    if (t != complex64) EXPECT_MATCHES_CPU([&](Device d) { return argmax(s, d); });
    // Empty inputs: sum 0, prod 1, all true, any false, for kept dims on both sides.
    array e = zeros({3, 0, 4}, t);
    expect_matches([&](Device d) { return sum(e, 1, false, d); });
    expect_matches([&](Device d) { return prod(e, 1, true, d); });
    EXPECT_MATCHES_CPU([&](Device d) { return all(e, std::vector<int>{1, 2}, false, d); });
    EXPECT_MATCHES_CPU([&](Device d) { return any(e, std::vector<int>{0, 1}, false, d); });
    expect_matches([&](Device d) { return sum(e, d); });
    expect_matches([&](Device d) { return sum(e, 0, false, d); });  // empty output
  }
}

TEST(GpuParity, FusedRowsLayoutsAndSpecialRows) {
  // Softmax, logsumexp and the norms over non-row-contiguous inputs (transposed, reversed,
  // broadcast rows) and over rows that are all -inf, hold +inf or NaN, in every float dtype.
  const double inf = std::numeric_limits<double>::infinity();
  uint32_t seed = 1200;
  for (Dtype t : tandem_test::float_dtypes()) {
    SCOPED_TRACE(dtype_name(t));
    array x = astype(make(rnd_reals(6 * 40, -3, 3, seed++), {6, 40}, float32), t);
    std::vector<std::function<array(Device)>> views{
        [&](Device d) {
          return transpose(reshape(x, {40, 6}, d), d);
        },
        [&](Device d) {
          return slice(x, {5, 39}, {-7, -41}, {-1, -1}, d);
        },
        [&](Device d) {
          return broadcast_to(slice(x, {2, 0}, {3, 40}, d), {6, 40}, d);
        },
        [&](Device d) {
          return slice(x, {0, 1}, {6, 40}, {1, 2}, d);
        },
    };
    array w = astype(make(rnd_reals(80, 0.5, 1.5, seed++), {80}, float32), t);
    for (size_t k = 0; k < views.size(); ++k) {
      SCOPED_TRACE("view " + std::to_string(k));
      auto v = views[k];
      const int n = v(Device::cpu).shape(-1);
      auto wv = [&](Device d) { return slice(w, {1}, {1 + 2 * n}, {2}, d); };  // strided weight
      EXPECT_MATCHES_CPU([&](Device d) { return softmax(v(d), -1, false, d); }, 4);
      EXPECT_MATCHES_CPU([&](Device d) { return softmax(v(d), 0, false, d); }, 4);
      EXPECT_MATCHES_CPU([&](Device d) { return logsumexp(v(d), -1, false, d); }, 4);
      EXPECT_MATCHES_CPU([&](Device d) { return fast::rms_norm(v(d), wv(d), 1e-5f, d); }, 4);
      EXPECT_MATCHES_CPU([&](Device d) { return fast::layer_norm(v(d), wv(d), wv(d), 1e-5f, d); },
                         4);
    }
    // Rows: all -inf; -inf and finite; +inf; NaN; finite.
    array sp = astype(
        make({-inf, -inf, -inf, -inf, -inf, 1, -inf, 2, 0, inf, 1, 2, kNaN, 0, 1, -inf, 3, 1, 2, 0},
             {4, 5}, float32),
        t);
    EXPECT_MATCHES_CPU([&](Device d) { return softmax(sp, -1, false, d); });
    EXPECT_MATCHES_CPU([&](Device d) { return softmax(transpose(sp, d), 0, false, d); });
    EXPECT_MATCHES_CPU([&](Device d) { return logsumexp(sp, -1, false, d); });
    EXPECT_MATCHES_CPU([&](Device d) { return logsumexp(sp, 0, true, d); });
    EXPECT_MATCHES_CPU([&](Device d) { return fast::rms_norm(sp, std::nullopt, 1e-5f, d); });
    EXPECT_MATCHES_CPU(
        [&](Device d) { return fast::layer_norm(sp, std::nullopt, std::nullopt, 1e-5f, d); });
  }
  // 16-bit input, float32 parameters, through a transposed input.
  array xh = astype(make(rnd_reals(40 * 6, -2, 2, seed++), {40, 6}, float32), float16);
  array w32 = make(rnd_reals(40, 0.5, 1.5, seed++), {40}, float32);
  EXPECT_MATCHES_CPU([&](Device d) { return fast::rms_norm(transpose(xh, d), w32, 1e-6f, d); }, 2);
  EXPECT_MATCHES_CPU(
      [&](Device d) { return fast::layer_norm(transpose(xh, d), w32, w32, 1e-6f, d); }, 2);
  // Softmax of rows of one element and of empty rows.
  EXPECT_MATCHES_CPU([&](Device d) {
    return softmax(make({2.5, -inf, kNaN}, {3, 1}, float32), -1, false, d);
  });
  EXPECT_MATCHES_CPU([&](Device d) { return softmax(zeros({3, 0}), -1, false, d); });
  EXPECT_MATCHES_CPU([&](Device d) { return softmax(zeros({0, 3}), -1, false, d); });
}

TEST(GpuParity, RandomBitsKeyViews) {
  // A key that is a view starting at an offset and one with stride 2: both devices read the
  // key through its offset and stride and give the same bits.
  array keys = random::split(random::key(77), 3);  // (3, 2)
  keys.eval();
  array k = random::key(5);
  std::vector<uint32_t> kv = k.to_vector<uint32_t>();
  array spaced = array(std::vector<uint32_t>{kv[0], 123u, kv[1], 456u}, Shape{4}, uint32);
  std::vector<std::function<array(Device)>> key_views{
      [&](Device d) {
        return reshape(slice(keys, {1, 0}, {2, 2}, d), {2}, d);
      },
      [&](Device d) { return slice(spaced, {0}, {4}, {2}, d); },
  };
  for (size_t i = 0; i < key_views.size(); ++i) {
    for (int w : {1, 2, 4}) {
      SCOPED_TRACE("key view " + std::to_string(i) + " width " + std::to_string(w));
      EXPECT_MATCHES_CPU([&](Device d) { return random::bits({37, 5}, w, key_views[i](d), d); });
    }
    EXPECT_MATCHES_CPU(
        [&](Device d) { return random::uniform({100}, float16, key_views[i](d), d); });
    EXPECT_MATCHES_CPU([&](Device d) { return random::normal({100}, float64, key_views[i](d), d); },
                       4);
  }
  EXPECT_MATCHES_CPU([&](Device d) { return random::bits({0, 3}, 4, k, d); });
  EXPECT_MATCHES_CPU([&](Device d) { return random::bits({}, 1, k, d); });
}

// =====================================================================================
// FFT (fft.cu: cuFFT in groups of at most 3 axes, packed copies, plan cache)
// =====================================================================================

TEST(GpuParity, FftTransformsLayoutsAndSizes) {
  // Tolerance: cuFFT computes in float32, the CPU in double; outputs grow like sqrt(n).
  constexpr double kTol = 100;
  uint32_t seed = 9100;
  // 1-D lengths: powers of two, small odd, primes (Bluestein on the CPU), a batch of rows.
  for (int n : {1, 2, 3, 8, 17, 100, 1000, 4096}) {
    SCOPED_TRACE("n " + std::to_string(n));
    array c = rnd({5, n}, complex64, seed++, -2, 2);
    array r = rnd({5, n}, float32, seed++, -2, 2);
    expect_matches([&](Device d) { return fft::fft(c, -1, d); }, kTol);
    expect_matches([&](Device d) { return fft::ifft(c, 0, d); }, kTol);
    expect_matches([&](Device d) { return fft::rfft(r, -1, d); }, kTol);
    expect_matches([&](Device d) { return fft::irfft(fft::rfft(r, -1, d), n, -1, d); }, kTol);
    expect_matches([&](Device d) { return fft::irfft(c, n + 1, -1, d); }, kTol);  // pad/crop
  }
  // n-d: 2 and 3 axes in one plan, 4 axes (two groups), axes in any order, the halved axis not
  // last in memory, real transforms over several axes.
  array c4 = rnd({3, 4, 5, 6}, complex64, seed++, -2, 2);
  array r4 = rnd({3, 4, 5, 6}, float32, seed++, -2, 2);
  expect_matches([&](Device d) { return fft::fft2(c4, {-2, -1}, d); }, kTol);
  expect_matches([&](Device d) { return fft::fftn(c4, {0, 2, 3}, d); }, kTol);
  expect_matches([&](Device d) { return fft::fftn(c4, d); }, kTol);
  expect_matches([&](Device d) { return fft::ifftn(c4, {3, 1}, d); }, kTol);
  expect_matches([&](Device d) { return fft::rfftn(r4, d); }, kTol);
  expect_matches([&](Device d) { return fft::rfft2(r4, {3, 1}, d); }, kTol);
  expect_matches(
      [&](Device d) {
        return fft::irfftn(fft::rfftn(r4, d), {3, 4, 5, 6}, {0, 1, 2, 3}, d);
      },
      kTol);
  expect_matches([&](Device d) { return fft::irfft2(c4, {4, 9}, {0, 2}, d); }, kTol);
  // Layouts: transposed, strided, reversed, broadcast inputs; crop and pad sizes.
  array base = rnd({8, 12}, complex64, seed++, -2, 2);
  for (auto& [name, view] : views_of(base, Device::cpu)) {
    SCOPED_TRACE(name);
    if (view.ndim() < 1 || view.size() == 0) continue;
    expect_matches([&](Device d) { return fft::fft(view, -1, d); }, kTol);
    expect_matches([&](Device d) { return fft::fftn(view, d); }, kTol);
    expect_matches([&](Device d) { return fft::rfft(real(view, d), 0, d); }, kTol);
    if (view.shape(0) > 1) expect_matches([&](Device d) { return fft::irfft(view, 0, d); }, kTol);
  }
  expect_matches([&](Device d) { return fft::fft2(base, {5, 20}, {0, 1}, d); }, kTol);
  // Empty batch and a size-1 axis.
  expect_matches([&](Device d) { return fft::fft(zeros({0, 4}, complex64), -1, d); });
  expect_matches([&](Device d) { return fft::ifft(base, 1, 0, d); }, kTol);
}
