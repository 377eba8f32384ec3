// Copyright © 2026 Tandem authors.
// GPU against CPU: gather_mm, block_masked_mm, quantize / dequantize / quantized_matmul,
// hadamard_transform and loads on a device (products.cu, quantized.cu, io.cpp).
#include "gpu_parity.h"

// =====================================================================================
// gather_mm / block_masked_mm
// =====================================================================================
// Operands are multiples of 1/8 in [-2, 2] and masks multiples of 1/2, so every product and sum
// is exact in float32 (and the 16-bit results are the same rounding of the same value): the GPU
// must agree with the CPU whatever order cuBLAS sums in.

TEST(GpuParity, GatherMMRepeatedIndices) {
  array a = rnd_real({8, 16, 32}, 700);
  array b = rnd_real({6, 32, 24}, 701);
  // Repeated, negative (wrapping once) and out-of-range (clamped) indices, broadcast together.
  array lhs = make({0, 0, 3, -1, 7, 7, 9, -9}, {2, 4}, int32);
  array rhs = make({5, 5, 0, -2}, {4}, int32);
  for (Dtype t : tandem_test::float_dtypes()) {
    SCOPED_TRACE(dtype_name(t));
    array at = astype(a, t), bt = astype(b, t);
    EXPECT_MATCHES_CPU([&](Device d) { return gather_mm(at, bt, lhs, rhs, false, d); });
    // One side gathered, the other every batch in order.
    EXPECT_MATCHES_CPU([&](Device d) {
      return gather_mm(at, astype(rnd_real({8, 32, 24}, 702), t), std::nullopt,
                       make({7, 7, 7, 2, 2, 0, 1, 1}, {8}, uint8), true, d);
    });
  }
  // Transposed / strided / broadcast operands, two batch dims.
  array bt = swapaxes(rnd_real({6, 24, 32}, 703), -1, -2);
  array as = slice(rnd_real({8, 16, 64}, 704), {0, 0, 0}, {8, 16, 64}, {1, 1, 2});
  array a4 = rnd_real({2, 4, 16, 32}, 705);
  array ab = broadcast_to(rnd_real({1, 16, 32}, 706), {5, 16, 32});
  EXPECT_MATCHES_CPU([&](Device d) { return gather_mm(a, bt, lhs, rhs, false, d); });
  EXPECT_MATCHES_CPU([&](Device d) { return gather_mm(as, b, lhs, rhs, false, d); });
  EXPECT_MATCHES_CPU([&](Device d) { return gather_mm(a4, b, lhs, rhs, false, d); });
  EXPECT_MATCHES_CPU([&](Device d) { return gather_mm(ab, b, lhs, rhs, false, d); });
  EXPECT_MATCHES_CPU([&](Device d) {
    return gather_mm(swapaxes(rnd_real({8, 32, 16}, 709), -1, -2), b, lhs, rhs, false, d);
  });
  // Decode shape: one token row per pair, tokens sorted by expert; 1-d operands.
  array x = rnd_real({40, 1, 32}, 707);
  std::vector<double> experts(40);
  for (int i = 0; i < 40; ++i)
    experts[i] = (i * 6) / 40;
  EXPECT_MATCHES_CPU(
      [&](Device d) { return gather_mm(x, b, std::nullopt, make(experts, {40}, int32), true, d); });
  EXPECT_MATCHES_CPU([&](Device d) {
    return gather_mm(rnd_real({32}, 708), b, std::nullopt, make({1, 1, 4}, {3}, int32), false, d);
  });
  // Empty index arrays and an empty inner dimension.
  EXPECT_MATCHES_CPU(
      [&](Device d) { return gather_mm(a, b, zeros({0}, int32), zeros({0}, int32), false, d); });
  EXPECT_MATCHES_CPU([&](Device d) {
    return gather_mm(zeros({2, 3, 0}), zeros({2, 0, 4}), make({1, 0}, {2}, int32),
                     make({0, 0}, {2}, int32), false, d);
  });
}

TEST(GpuParity, GatherMMManyPairsAndOffsets) {
  // More pairs than one cublasGemmBatchedEx call takes (65535 per call): 70000 pairs of small
  // matrices, indices cycling through both operands.
  array a = rnd_real({7, 3, 5}, 730);
  array b = rnd_real({11, 5, 2}, 731);
  std::vector<double> li(70000), ri(70000);
  for (int i = 0; i < 70000; ++i) {
    li[i] = i % 7;
    ri[i] = (i * 3) % 11;
  }
  array lhs = make(li, {70000}, int32), rhs = make(ri, {70000}, int32);
  for (Dtype t : tandem_test::float_dtypes()) {
    SCOPED_TRACE(dtype_name(t));
    array at = astype(a, t), bt = astype(b, t);
    EXPECT_MATCHES_CPU([&](Device d) { return gather_mm(at, bt, lhs, rhs, false, d); });
    // Operands at odd element offsets (pointers not 16-byte aligned), odd sizes, M = 1 and
    // N = 1, a transposed b.
    array ao = slice(astype(rnd_real({5 * 7 * 9 + 1}, 732), t), {1}, {5 * 7 * 9 + 1});
    array bo = slice(astype(rnd_real({4 * 9 * 3 + 1}, 733), t), {1}, {4 * 9 * 3 + 1});
    auto a3 = [&](Device d) { return reshape(ao, {5, 7, 9}, d); };
    auto b3 = [&](Device d) { return reshape(bo, {4, 9, 3}, d); };
    array l = make({4, 0, 2, 2, -1}, {5}, int32), r = make({3, 3, 0, 1, 2}, {5}, int32);
    EXPECT_MATCHES_CPU([&](Device d) { return gather_mm(a3(d), b3(d), l, r, false, d); });
    EXPECT_MATCHES_CPU([&](Device d) {
      return gather_mm(slice(a3(d), {0, 2, 0}, {5, 3, 9}, d), b3(d), l, r, false, d);
    });
    EXPECT_MATCHES_CPU([&](Device d) {
      return gather_mm(a3(d), slice(b3(d), {0, 0, 1}, {4, 9, 2}, d), l, r, false, d);
    });
    EXPECT_MATCHES_CPU([&](Device d) {
      return gather_mm(a3(d), swapaxes(reshape(bo, {4, 3, 9}, d), -1, -2, d), l, r, false, d);
    });
  }
}

TEST(GpuParity, BlockMaskedMM) {
  const int M = 70, K = 100, N = 65;
  array a = rnd_real({2, M, K}, 720);
  array b = rnd_real({K, N}, 721);  // broadcast over the batch
  for (int bs : {32, 64}) {
    const int tm = (M + bs - 1) / bs, tk = (K + bs - 1) / bs, tn = (N + bs - 1) / bs;
    array mo = make(rnd_ints(2 * tm * tn, 0, 1, bs + 1), {2, tm, tn}, bool_);
    array ml = make(rnd_ints(2 * tm * tk, 0, 1, bs + 2), {2, tm, tk}, bool_);
    array mr = make(rnd_ints(tk * tn, 0, 1, bs + 3), {tk, tn}, bool_);
    auto halves = [&](const Shape& sh, uint32_t seed) {
      size_t n = 1;
      for (auto e : sh)
        n *= e;
      auto v = rnd_ints(n, -2, 4, seed);
      for (auto& e : v)
        e /= 2;
      return make(v, sh, float32);
    };
    array fo = halves({2, tm, tn}, bs + 4), fl = halves({2, tm, tk}, bs + 5),
          fr = halves({tk, tn}, bs + 6);
    for (Dtype t : tandem_test::float_dtypes()) {
      SCOPED_TRACE("block " + std::to_string(bs) + " " + dtype_name(t));
      array at = astype(a, t), bt = astype(b, t);
      EXPECT_MATCHES_CPU([&](Device d) { return block_masked_mm(at, bt, bs, mo, ml, mr, d); });
      EXPECT_MATCHES_CPU(
          [&](Device d) { return block_masked_mm(at, bt, bs, mo, std::nullopt, std::nullopt, d); });
      EXPECT_MATCHES_CPU(
          [&](Device d) { return block_masked_mm(at, bt, bs, std::nullopt, ml, std::nullopt, d); });
      EXPECT_MATCHES_CPU([&](Device d) {
        return block_masked_mm(at, bt, bs, astype(fo, t), astype(fl, t), astype(fr, t), d);
      });
      EXPECT_MATCHES_CPU([&](Device d) {
        return block_masked_mm(at, bt, bs, astype(fo, t), std::nullopt, std::nullopt, d);
      });
      EXPECT_MATCHES_CPU([&](Device d) {
        return block_masked_mm(at, bt, bs, std::nullopt, std::nullopt, std::nullopt, d);
      });
    }
    // Transposed operands.
    array atr = swapaxes(rnd_real({2, K, M}, 722), -1, -2), btr = transpose(rnd_real({N, K}, 723));
    EXPECT_MATCHES_CPU([&](Device d) { return block_masked_mm(atr, btr, bs, mo, ml, mr, d); });
    // NaN inside blocks: a block of `a` whose lhs mask is set but whose rhs partner is masked
    // out contributes nothing to that output block (the CPU skips the pair); where the pair is
    // kept the NaN propagates on both devices.
    array an = slice_update(a, full({1, 5, 7}, NAN, float32), {0, 2, 3}, {1, 7, 10});
    EXPECT_MATCHES_CPU([&](Device d) { return block_masked_mm(an, b, bs, mo, ml, mr, d); });
    EXPECT_MATCHES_CPU(
        [&](Device d) { return block_masked_mm(an, b, bs, mo, std::nullopt, std::nullopt, d); });
  }
  // 1-d operands, an empty inner dimension.
  EXPECT_MATCHES_CPU([&](Device d) {
    return block_masked_mm(rnd_real({100}, 724), b, 32, make({1, 0, 1}, {3}, bool_),
                           make({1, 1, 0, 1}, {4}, bool_), std::nullopt, d);
  });
  EXPECT_MATCHES_CPU([&](Device d) {
    return block_masked_mm(zeros({3, 0}), zeros({0, 2}), 32, make({1}, {1, 1}, float32),
                           make({1}, {1, 1}, bool_), std::nullopt, d);
  });
}

// =====================================================================================
// quantize / dequantize / quantized_matmul
// =====================================================================================

namespace {

const std::vector<int> kBits{2, 3, 4, 5, 6, 8};
const std::vector<int> kGroups{32, 64, 128};

// Quantized operands whose dequantized values are exact in every float dtype: random codes (any
// word is a valid packing), scales +-1/8 and biases multiples of 1/8 in [-2, 2] (0 for 8-bit
// codes), per group. With x in multiples of 1/8 every product and sum is exact.
struct QOperands {
  array wq, scales, biases;
};
QOperands q_operands(const Shape& batch, int rows, int cols, int gs, int bits, Dtype t,
                     uint32_t seed) {
  auto with = [&](int r, int c) {
    Shape s = batch;
    s.push_back(r);
    s.push_back(c);
    return s;
  };
  size_t nb = 1;
  for (auto d : batch)
    nb *= d;
  std::mt19937 gen(seed);
  std::vector<double> words(nb * rows * (cols * bits / 32));
  for (auto& w : words)
    w = static_cast<double>(gen());
  const size_t groups = nb * rows * (cols / gs);
  auto sc = rnd_ints(groups, 0, 1, seed + 1);
  for (auto& e : sc)
    e = e ? 0.125 : -0.125;
  auto bi = rnd_ints(groups, -16, 16, seed + 2);
  for (auto& e : bi)
    e = bits == 8 ? 0.0 : e / 8;
  return {make(words, with(rows, cols * bits / 32), uint32), make(sc, with(rows, cols / gs), t),
          make(bi, with(rows, cols / gs), t)};
}

}  // namespace

TEST(GpuParity, QuantizeDequantizeEveryBitWidth) {
  for (int bits : kBits) {
    for (int gs : kGroups) {
      for (Dtype t : {float32, float16, bfloat16}) {
        SCOPED_TRACE("bits " + std::to_string(bits) + " group " + std::to_string(gs) + " " +
                     dtype_name(t));
        auto v = rnd_reals(6 * 256, -3, 2, bits * 100 + gs);
        v[7] = kNaN;                          // skipped by min/max, code 0
        for (int i = 256; i < 256 + gs; ++i)  // a constant group
          v[i] = 0.75;
        for (int i = 512; i < 512 + gs; ++i)  // an all-zero group
          v[i] = 0.0;
        array w = make(v, {6, 256}, t);
        // Words, scales and biases bit for bit (tolerance 0).
        for (int o = 0; o < 3; ++o) {
          EXPECT_MATCHES_CPU([&](Device d) { return quantize(w, gs, bits, d)[o]; }, 0.0);
        }
        // Non-contiguous input with batch dims.
        array wt = transpose(make(rnd_reals(2 * 3 * 256, -1, 1, bits + gs), {256, 3, 2}, t));
        EXPECT_MATCHES_CPU([&](Device d) { return quantize(wt, gs, bits, d)[0]; }, 0.0);
        // The round trip: dequantize of the CPU's quantization, bit for bit.
        auto q = quantize(w, gs, bits, Device(Device::cpu));
        EXPECT_MATCHES_CPU([&](Device d) { return dequantize(q[0], q[1], q[2], gs, bits, d); },
                           0.0);
        EXPECT_MATCHES_CPU(
            [&](Device d) {
              auto qd = quantize(w, gs, bits, d);
              return dequantize(qd[0], qd[1], qd[2], gs, bits, d);
            },
            0.0);
        // Broadcast scales (a stride-0 view) are read like their copy.
        array sb = broadcast_to(slice(q[1], {0, 0}, {1, 256 / gs}), {6, 256 / gs});
        EXPECT_MATCHES_CPU([&](Device d) { return dequantize(q[0], sb, q[2], gs, bits, d); }, 0.0);
      }
    }
  }
}

TEST(GpuParity, QuantizedMatmulDecodeAndPrefill) {
  const int K = 256, N = 384;
  for (int bits : kBits) {
    for (int gs : kGroups) {
      for (bool tr : {true, false}) {
        // M = 1 and M = 8: the GEMV kernels; M = 9 and 64: dequantized tiles + cuBLAS.
        for (int M : {1, 3, 8, 9, 64}) {
          for (Dtype t : {float32, float16, bfloat16}) {
            if (t != float32 && gs != 64 && M != 1 && M != 64) continue;
            SCOPED_TRACE("bits " + std::to_string(bits) + " group " + std::to_string(gs) +
                         (tr ? " transpose" : " no transpose") + " M " + std::to_string(M) + " " +
                         dtype_name(t));
            auto q = q_operands({}, tr ? N : K, tr ? K : N, gs, bits, t, bits * 7 + gs + M);
            array x = astype(rnd_real({M, K}, M + bits), t);
            EXPECT_MATCHES_CPU([&](Device d) {
              return quantized_matmul(x, q.wq, q.scales, q.biases, tr, gs, bits, d);
            });
          }
        }
      }
    }
  }
  // Batched weights broadcast against x's batch dims, a transposed x, a 1-d x, x with batch dims
  // over a 2-d weight.
  for (bool tr : {true, false}) {
    for (int M : {1, 5, 40}) {
      SCOPED_TRACE(std::string(tr ? "transpose" : "no transpose") + " M " + std::to_string(M));
      auto q = q_operands({3}, tr ? 192 : 128, tr ? 128 : 192, 32, 4, float32, 800 + M);
      array x = rnd_real({2, 1, M, 128}, 801 + M);
      EXPECT_MATCHES_CPU(
          [&](Device d) { return quantized_matmul(x, q.wq, q.scales, q.biases, tr, 32, 4, d); });
      EXPECT_MATCHES_CPU([&](Device d) {
        return quantized_matmul(rnd_real({M, 128}, 802), q.wq, q.scales, q.biases, tr, 32, 4, d);
      });
      auto q2 = q_operands({}, tr ? 192 : 128, tr ? 128 : 192, 64, 3, float32, 803 + M);
      array xt = transpose(rnd_real({128, M}, 804));
      EXPECT_MATCHES_CPU([&](Device d) {
        return quantized_matmul(xt, q2.wq, q2.scales, q2.biases, tr, 64, 3, d);
      });
      EXPECT_MATCHES_CPU([&](Device d) {
        return quantized_matmul(rnd_real({2, M, 128}, 805), q2.wq, q2.scales, q2.biases, tr, 64, 3,
                                d);
      });
    }
    auto q = q_operands({}, 64, 64, 64, 4, float32, 810);
    EXPECT_MATCHES_CPU([&](Device d) {
      return quantized_matmul(rnd_real({64}, 811), q.wq, q.scales, q.biases, tr, 64, 4, d);
    });
    // An x whose rows start off a 16-byte boundary (a view at an odd element offset).
    array xo = slice(rnd_real({3 * 64 + 1}, 812), {1}, {3 * 64 + 1});
    EXPECT_MATCHES_CPU([&](Device d) {
      return quantized_matmul(reshape(xo, {3, 64}), q.wq, q.scales, q.biases, tr, 64, 4, d);
    });
    EXPECT_MATCHES_CPU([&](Device d) {
      return quantized_matmul(zeros({0, 64}), q.wq, q.scales, q.biases, tr, 64, 4, d);
    });
  }
  if (tandem_test::has_gpu()) {
    // A weight of more than one dequantized tile (2^25 values) on the GEMM path.
    for (bool tr : {true, false}) {
      const int rows = tr ? 9000 : 4096, cols = tr ? 4096 : 8960;
      auto q = q_operands({}, rows, cols, 64, 4, bfloat16, 820);
      array x = astype(rnd_real({16, tr ? cols : rows}, 821), bfloat16);
      EXPECT_MATCHES_CPU(
          [&](Device d) { return quantized_matmul(x, q.wq, q.scales, q.biases, tr, 64, 4, d); });
    }
  }
}

// =====================================================================================
// hadamard_transform
// =====================================================================================

// The GPU runs the CPU's butterflies in the CPU's order: results are bit-identical.
TEST(GpuParity, HadamardSizes) {
  std::vector<int> sizes{1,    2,  16, 32, 64, 128, 256,     512,      1024,    2048,
                         4096, 12, 24, 20, 40, 28,  12 * 64, 20 * 128, 28 * 256};
  if (tandem_test::has_gpu()) {
    // Rows beyond one shared-memory tile: the multi-pass path.
    for (int n : {8192, 16384, 1 << 17, 1 << 20, 12 * 1024, 28 * 512, 20 * 4096})
      sizes.push_back(n);
  }
  for (int n : sizes) {
    for (Dtype t : tandem_test::float_dtypes()) {
      SCOPED_TRACE("n " + std::to_string(n) + " " + dtype_name(t));
      const int rows = n <= 64 ? 300 : (n >= (1 << 17) ? 2 : 3);
      array x = make(rnd_reals(static_cast<size_t>(rows) * n, -1, 1, n + 1), {rows, n}, t);
      EXPECT_MATCHES_CPU([&](Device d) { return hadamard_transform(x, std::nullopt, d); }, 0.0);
      if (n <= 4096) {
        EXPECT_MATCHES_CPU([&](Device d) { return hadamard_transform(x, 0.5f, d); }, 0.0);
      }
    }
  }
  // Non-contiguous input; the transposed matrix (the vjp of sizes 20 * 2^k and 28 * 2^k).
  array x = make(rnd_reals(40 * 7, -1, 1, 900), {40, 7}, float32);
  EXPECT_MATCHES_CPU([&](Device d) { return hadamard_transform(transpose(x), std::nullopt, d); },
                     0.0);
  for (int n : {20, 28 * 4, 4096}) {
    array y = make(rnd_reals(3 * n, -1, 1, 901), {3, n}, float32);
    array w = make(rnd_reals(3 * n, -1, 1, 902), {3, n}, float32);
    EXPECT_MATCHES_CPU(
        [&](Device d) {
          return grad([&](const array& v) {
            return sum(multiply(hadamard_transform(v, std::nullopt, d), w, d), d);
          })(y);
        },
        0.0);
  }
}

// =====================================================================================
// Load
// =====================================================================================

TEST(GpuParity, SafetensorsLoadedOnTheDevice) {
  const std::string path =
      ::testing::TempDir() + "tandem_parity_" + std::to_string(::getpid()) + ".safetensors";
  std::unordered_map<std::string, array> m{
      {"w", rnd_real({64, 48}, 950)},
      {"x", astype(rnd_real({48, 5}, 951), bfloat16)},
      {"i", make(rnd_ints(1000, -50, 50, 952), {1000}, int64)}};
  save_safetensors(path, m);
  EXPECT_MATCHES_CPU([&](Device d) {
    auto [t, meta] = load_safetensors(path, d);
    return matmul(t.at("w"), astype(t.at("x"), float32, d), d);
  });
  EXPECT_MATCHES_CPU([&](Device d) {
    auto [t, meta] = load_safetensors(path, d);
    return sum(t.at("i"), d);
  });
  for (auto& [k, a] : m) {
    SCOPED_TRACE(k);
    EXPECT_MATCHES_CPU([&](Device d) { return load_safetensors(path, d).first.at(k); }, 0.0);
  }
  std::remove(path.c_str());
}
