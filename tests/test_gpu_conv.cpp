// Copyright © 2026 Tandem authors.
// GPU against CPU: convolution, the im2col + cuBLAS path and the cuDNN path (conv.cu,
// conv_cudnn.cpp), every float dtype, 1-3 spatial dims, strides, padding, dilation, groups, flip.
#include "gpu_parity.h"

// =====================================================================================
// Convolution
// =====================================================================================

namespace {

struct ConvCase {
  std::string name;
  Shape xs, ws;
  std::vector<int> stride, lo, hi, kdil, idil;
  int groups;
  bool flip;
};

}  // namespace

TEST(GpuParity, Convolutions) {
  std::vector<ConvCase> cases{
      {"1d strided dilated groups", {2, 50, 6}, {8, 5, 3}, {2}, {2}, {1}, {2}, {1}, 2, false},
      {"2d asymmetric padding",
       {2, 9, 11, 4},
       {6, 3, 3, 4},
       {2, 1},
       {1, 2},
       {0, 1},
       {1, 2},
       {1, 1},
       1,
       false},
      {"2d input dilation flipped groups",
       {1, 7, 6, 6},
       {9, 2, 3, 2},
       {1, 2},
       {2, 1},
       {1, 0},
       {1, 1},
       {2, 3},
       3,
       true},
      {"3d",
       {1, 5, 6, 7, 3},
       {4, 2, 3, 2, 3},
       {1, 2, 1},
       {1, 0, 1},
       {0, 1, 1},
       {1, 1, 2},
       {1, 1, 1},
       1,
       false},
      {"pointwise",
       {4, 7, 7, 16},
       {32, 1, 1, 16},
       {1, 1},
       {0, 0},
       {0, 0},
       {1, 1},
       {1, 1},
       1,
       false},
      {"depthwise", {2, 10, 10, 8}, {8, 3, 3, 1}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, 8, false},
      {"kernel larger than input with padding",
       {1, 3, 2},
       {2, 5, 2},
       {1},
       {3},
       {3},
       {1},
       {1},
       1,
       false},
  };
  uint32_t seed = 500;
  for (auto& c : cases) {
    array x = rnd_real(c.xs, seed++);
    array w = rnd_real(c.ws, seed++);
    for (Dtype t : tandem_test::float_dtypes()) {
      SCOPED_TRACE(c.name + " " + dtype_name(t));
      array xt = astype(x, t), wt = astype(w, t);
      // float32 GEMMs sum in another order than OpenBLAS: allow a few ulps more.
      double tol = t == float32 ? 10.0 : 1.0;
      EXPECT_MATCHES_CPU(
          [&](Device d) {
            return conv_general(xt, wt, c.stride, c.lo, c.hi, c.kdil, c.idil, c.groups, c.flip, d);
          },
          tol);
    }
  }
  // Non-contiguous input and weight, mixed dtypes, transposed convolutions.
  array x = rnd_real({3, 8, 9, 5}, 600);
  array w = rnd_real({4, 3, 2, 5}, 601);
  EXPECT_MATCHES_CPU(
      [&](Device d) {
        return conv2d(transpose(x, {0, 2, 1, 3}), w, {1, 2}, {1, 1}, {1, 1}, 1, d);
      },
      10);
  EXPECT_MATCHES_CPU(
      [&](Device d) {
        return conv2d(x, slice(transpose(w, {0, 2, 1, 3}), {0, 0, 0, 0}, {4, 2, 2, 5}), {1, 1},
                      {0, 0}, {1, 1}, 1, d);
      },
      10);
  EXPECT_MATCHES_CPU(
      [&](Device d) {
        return conv2d(astype(x, float16), w, {2, 1}, {1, 0}, {1, 1}, 1, d);
      },
      10);
  array xt = rnd_real({2, 6, 7, 4}, 602);
  array wt = rnd_real({6, 3, 3, 2}, 603);
  EXPECT_MATCHES_CPU(
      [&](Device d) {
        return conv_transpose2d(xt, wt, {2, 2}, {1, 0}, {1, 2}, {1, 0}, 2, d);
      },
      10);
  EXPECT_MATCHES_CPU(
      [&](Device d) {
        return conv_transpose1d(rnd_real({2, 9, 3}, 604), rnd_real({5, 4, 3}, 605), 3, 2, 1, 2, 1,
                                d);
      },
      10);
  // Gradients run convolutions with flipped kernels and input dilation on the forward's device.
  EXPECT_MATCHES_CPU(
      [&](Device d) {
        return grad([&](const array& y) {
          return sum(square(conv2d(y, w, {2, 1}, {1, 1}, {1, 2}, 1, d), d), d);
        })(x);
      },
      10);
  EXPECT_MATCHES_CPU(
      [&](Device d) {
        return grad([&](const array& v) {
          return sum(square(conv2d(x, v, {2, 1}, {1, 1}, {1, 2}, 1, d), d), d);
        })(w);
      },
      10);
  if (tandem_test::has_gpu()) {
    // Larger than one im2col chunk (2^25 elements): several chunks.
    array bx = make(rnd_reals(16 * 64 * 64 * 64, -1, 1, 610), {16, 64, 64, 64}, float32);
    array bw = make(rnd_reals(64 * 3 * 3 * 64, -1, 1, 611), {64, 3, 3, 64}, float32);
    EXPECT_MATCHES_CPU([&](Device d) { return conv2d(bx, bw, {1, 1}, {1, 1}, {1, 1}, 1, d); }, 50);
    EXPECT_MATCHES_CPU([&](Device d) {
      return conv2d(astype(bx, float64), astype(bw, float64), {1, 1}, {1, 1}, {1, 1}, 1, d);
    });
    // The cases above may run on cuDNN; unequal padding that changes the output size keeps the
    // im2col path (two chunks) covered.
    EXPECT_MATCHES_CPU(
        [&](Device d) {
          return conv_general(bx, bw, {1, 1}, {1, 1}, {2, 2}, {1, 1}, {1, 1}, 1, false, d);
        },
        50);
  }
  // Empty batch.
  EXPECT_MATCHES_CPU([&](Device d) {
    return conv1d(zeros({0, 5, 3}), rnd_real({2, 3, 3}, 620), 1, 0, 1, 1, d);
  });
}

// The cuDNN path of Convolution::eval_gpu (backend/cuda/conv_cudnn.cpp): cases it must run (1-d
// as 2-d, 2-d, 3-d, strides, symmetric padding, unequal padding that keeps the output size,
// kernel dilation, groups, depthwise, flip) and cases it must leave to im2col (input dilation,
// unequal padding that changes the output size), in every float dtype, against the CPU.
namespace {

struct CudnnCase {
  ConvCase c;
  // "cudnn": cuDNN must run it (float16 / bfloat16 / float32) when it is compiled in and on;
  // "either": cuDNN may decline it (reported, not checked); "im2col": it must fall back.
  const char* path;
};

std::vector<CudnnCase> cudnn_cases() {
  auto cc = [](std::string name, Shape xs, Shape ws, std::vector<int> stride, std::vector<int> lo,
               std::vector<int> hi, std::vector<int> kdil, std::vector<int> idil, int groups,
               bool flip, const char* path) {
    return CudnnCase{{std::move(name), std::move(xs), std::move(ws), std::move(stride),
                      std::move(lo), std::move(hi), std::move(kdil), std::move(idil), groups, flip},
                     path};
  };
  return {
      cc("1d same", {2, 37, 8}, {16, 5, 8}, {1}, {2}, {2}, {1}, {1}, 1, false, "cudnn"),
      cc("1d strided dilated", {3, 50, 8}, {8, 3, 8}, {2}, {3}, {3}, {2}, {1}, 1, false, "cudnn"),
      cc("1d flipped groups", {2, 20, 6}, {4, 4, 3}, {1}, {1}, {1}, {1}, {1}, 2, true, "either"),
      cc("2d 3x3 same", {2, 12, 10, 16}, {32, 3, 3, 16}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, 1,
         false, "cudnn"),
      cc("2d benchmark-like", {2, 14, 14, 64}, {64, 3, 3, 64}, {1, 1}, {1, 1}, {1, 1}, {1, 1},
         {1, 1}, 1, false, "cudnn"),
      cc("2d strided dilated", {2, 17, 13, 8}, {16, 3, 5, 8}, {2, 3}, {2, 1}, {2, 1}, {2, 1},
         {1, 1}, 1, false, "cudnn"),
      cc("2d pointwise", {2, 7, 7, 24}, {40, 1, 1, 24}, {1, 1}, {0, 0}, {0, 0}, {1, 1}, {1, 1}, 1,
         false, "cudnn"),
      cc("2d pointwise strided", {2, 9, 9, 16}, {8, 1, 1, 16}, {2, 2}, {0, 0}, {0, 0}, {1, 1},
         {1, 1}, 1, false, "cudnn"),
      cc("2d groups", {2, 9, 9, 16}, {8, 3, 3, 4}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, 4, false,
         "either"),
      cc("2d depthwise", {2, 14, 14, 32}, {32, 3, 3, 1}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, 32,
         false, "either"),
      cc("2d depthwise multiplier 2 strided", {1, 11, 11, 8}, {16, 3, 3, 1}, {2, 2}, {1, 1}, {1, 1},
         {1, 1}, {1, 1}, 8, false, "either"),
      cc("2d flipped", {2, 8, 9, 8}, {8, 3, 2, 8}, {1, 1}, {1, 1}, {1, 1}, {1, 2}, {1, 1}, 1, true,
         "either"),
      cc("2d flipped groups strided", {2, 10, 9, 8}, {6, 3, 3, 4}, {2, 1}, {1, 0}, {1, 0}, {1, 1},
         {1, 1}, 2, true, "either"),
      cc("2d odd channels", {2, 6, 7, 3}, {5, 3, 3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, 1,
         false, "either"),
      // Tandem's output size 4 on both axes equals cuDNN's with padding 1 on both sides.
      cc("2d unequal padding, same size", {1, 8, 8, 8}, {8, 3, 3, 8}, {2, 2}, {1, 1}, {0, 0},
         {1, 1}, {1, 1}, 1, false, "cudnn"),
      cc("2d kernel larger than input", {1, 3, 2, 4}, {4, 5, 3, 4}, {1, 1}, {3, 1}, {3, 1}, {1, 1},
         {1, 1}, 1, false, "either"),
      cc("3d", {2, 5, 6, 7, 8}, {8, 3, 2, 3, 8}, {1, 2, 1}, {1, 0, 1}, {1, 0, 1}, {1, 1, 2},
         {1, 1, 1}, 1, false, "either"),
      cc("3d groups flipped", {1, 4, 5, 6, 8}, {4, 2, 3, 2, 4}, {1, 1, 1}, {1, 1, 0}, {1, 1, 0},
         {1, 1, 1}, {1, 1, 1}, 2, true, "either"),
      // Output size 4 (Tandem) vs 5 (cuDNN, padding 1 on both sides) on the first axis.
      cc("2d unequal padding changing the size", {2, 9, 11, 4}, {6, 3, 3, 4}, {2, 1}, {1, 2},
         {0, 1}, {1, 1}, {1, 1}, 1, false, "im2col"),
      cc("2d input dilation", {1, 7, 6, 6}, {9, 2, 3, 2}, {1, 2}, {2, 1}, {2, 1}, {1, 1}, {2, 3}, 3,
         false, "im2col"),
      cc("1d input dilation flipped", {2, 9, 4}, {4, 3, 4}, {1}, {1}, {1}, {1}, {2}, 1, true,
         "im2col"),
  };
}

uint64_t cudnn_conv_calls() {
#if TANDEM_WITH_CUDA
  return cuda::cudnn_conv_info().calls;
#else
  return 0;
#endif
}

bool cudnn_conv_on() {
#if TANDEM_WITH_CUDA
  return cuda::cudnn_conv_info().enabled;
#else
  return false;
#endif
}

}  // namespace

TEST(GpuParity, ConvolutionLongReductions16BitExact) {
  // 16-bit convolutions whose GEMMs reduce over thousands of values: multiples of 1/8 in
  // [-2, 2] keep every partial sum exact in float32 (below 2^15 in steps of 1/64), so the GPU
  // must equal the CPU bit for bit whatever order or split it sums in, as long as the partial
  // sums stay in float32 (cuBLAS's reduced-precision reductions are turned off for the im2col
  // GEMMs; cuDNN accumulates in float32). Input dilation forces im2col; the 1x1 case is the
  // pointwise GEMM (or cuDNN); groups make the GEMM a strided batch.
  array x = rnd_real({1, 4, 4, 512}, 760);
  array w = rnd_real({8, 3, 3, 512}, 761);
  array xp = rnd_real({1, 2, 3, 8192}, 762);
  array wp = rnd_real({4, 1, 1, 8192}, 763);
  array wg = rnd_real({8, 3, 3, 256}, 764);
  for (Dtype t : {bfloat16, float16}) {
    SCOPED_TRACE(dtype_name(t));
    array xt = astype(x, t), wt = astype(w, t);
    EXPECT_MATCHES_CPU(
        [&](Device d) {
          return conv_general(xt, wt, {1, 1}, {0, 0}, {0, 0}, {1, 1}, {2, 2}, 1, false, d);
        },
        0.0);
    EXPECT_MATCHES_CPU(
        [&](Device d) {
          return conv_general(xt, astype(wg, t), {1, 1}, {1, 1}, {1, 1}, {1, 1}, {2, 2}, 2, false,
                              d);
        },
        0.0);
    // cuDNN may pick a Winograd algorithm here, whose transforms round: the dtype's tolerance.
    EXPECT_MATCHES_CPU([&](Device d) { return conv2d(xt, wt, {1, 1}, {1, 1}, {1, 1}, 1, d); });
    EXPECT_MATCHES_CPU(
        [&](Device d) {
          return conv2d(astype(xp, t), astype(wp, t), {1, 1}, {0, 0}, {1, 1}, 1, d);
        },
        0.0);
  }
}

TEST(GpuParity, ConvolutionCudnnCases) {
  uint32_t seed = 700;
  for (auto& cc : cudnn_cases()) {
    const ConvCase& c = cc.c;
    array x = rnd_real(c.xs, seed++);
    array w = rnd_real(c.ws, seed++);
    for (Dtype t : tandem_test::float_dtypes()) {
      SCOPED_TRACE(c.name + " " + dtype_name(t) + " (expected path: " + cc.path + ")");
      array xt = astype(x, t), wt = astype(w, t);
      const uint64_t before = cudnn_conv_calls();
      // Exact products and float32 sums: the 16-bit results round once, as on the CPU; float32
      // may sum in another order.
      EXPECT_MATCHES_CPU(
          [&](Device d) {
            return conv_general(xt, wt, c.stride, c.lo, c.hi, c.kdil, c.idil, c.groups, c.flip, d);
          },
          t == float32 ? 10.0 : 1.0);
      if (!tandem_test::has_gpu() || !cudnn_conv_on()) continue;
      const bool used = cudnn_conv_calls() > before;
      const std::string path = cc.path;
      if (path == "im2col") {
        EXPECT_FALSE(used) << "cuDNN ran a case it must decline";
      } else if (path == "cudnn" && t != float64) {
        EXPECT_TRUE(used) << "cuDNN declined a case it should run (TANDEM_CONV_CUDNN=verbose "
                             "tells why)";
      } else {
        std::cout << "[ INFO ] cuDNN conv " << c.name << " " << dtype_name(t) << ": "
                  << (used ? "cuDNN" : "im2col") << std::endl;
      }
    }
  }
}

TEST(GpuParity, ConvolutionCudnnLayoutsAndEdges) {
  // A contiguous view at a 150-byte offset (not 16-byte aligned) is copied before cuDNN; a
  // transposed input and a sliced weight are made contiguous first.
  array base = rnd_real({3, 5, 5, 3}, 720);
  array w = rnd_real({4, 3, 3, 3}, 721);
  for (Dtype t : {float16, float32}) {
    SCOPED_TRACE(dtype_name(t));
    array bt = astype(base, t), wt = astype(w, t);
    EXPECT_MATCHES_CPU(
        [&](Device d) {
          return conv2d(slice(bt, {1, 0, 0, 0}, {3, 5, 5, 3}), wt, {1, 1}, {1, 1}, {1, 1}, 1, d);
        },
        t == float32 ? 10.0 : 1.0);
    EXPECT_MATCHES_CPU(
        [&](Device d) {
          return conv2d(transpose(bt, {0, 2, 1, 3}), slice(wt, {0, 0, 0, 0}, {4, 3, 2, 3}), {2, 1},
                        {1, 0}, {1, 1}, 1, d);
        },
        t == float32 ? 10.0 : 1.0);
  }
  // Empty batch in every dtype (no cuDNN call).
  for (Dtype t : tandem_test::float_dtypes()) {
    SCOPED_TRACE(dtype_name(t));
    EXPECT_MATCHES_CPU([&](Device d) {
      return conv2d(zeros({0, 5, 5, 3}, t), astype(w, t), {1, 1}, {1, 1}, {1, 1}, 1, d);
    });
  }
  // The benchmark's layer at a smaller batch (bf16, N 4, 256 channels, 14x14, 3x3, same
  // padding), random values: float32 sums in another order, so the bf16 results may differ by
  // one rounding step.
  array bx = make(rnd_reals(4 * 14 * 14 * 256, -1, 1, 722), {4, 14, 14, 256}, bfloat16);
  array bw = make(rnd_reals(256 * 3 * 3 * 256, -1, 1, 723), {256, 3, 3, 256}, bfloat16);
  EXPECT_MATCHES_CPU([&](Device d) { return conv2d(bx, bw, {1, 1}, {1, 1}, {1, 1}, 1, d); });
}

#if TANDEM_WITH_CUDA
// Runs without a GPU: the cuDNN descriptors of every case above (and of batches split into
// several cuDNN calls) are accepted by cuDNN, its output size agrees with Tandem's, and the
// cases that must fall back are declined by Tandem's rules.
TEST(GpuParity, ConvolutionCudnnDescriptors) {
  auto probe = [](const array& out, Dtype t) {
    auto& prim = dynamic_cast<Convolution&>(out.primitive());
    return cuda::cudnn_conv_probe(prim, out.inputs()[0].shape(), out.inputs()[1].shape(),
                                  out.shape(), t);
  };
  {
    array o = conv1d(zeros({1, 4, 2}), zeros({1, 3, 2}), 1, 0, 1, 1, Device::cpu);
    if (probe(o, float32) == "not compiled") GTEST_SKIP() << "built without cuDNN";
  }
  for (auto& cc : cudnn_cases()) {
    const ConvCase& c = cc.c;
    for (Dtype t : tandem_test::float_dtypes()) {
      SCOPED_TRACE(c.name + " " + dtype_name(t));
      // Lazy inputs, never evaluated: only shapes matter.
      array x = broadcast_to(array(0.0f, t), c.xs);
      array w = broadcast_to(array(0.0f, t), c.ws);
      array o =
          conv_general(x, w, c.stride, c.lo, c.hi, c.kdil, c.idil, c.groups, c.flip, Device::cpu);
      const std::string r = probe(o, t);
      if (std::string(cc.path) == "im2col") {
        EXPECT_EQ(r.rfind("declined: ", 0), 0u) << r;
      } else {
        EXPECT_EQ(r, "");
      }
    }
  }
  // Batches beyond 2^31 - 1 elements: calls of 16 samples (aligned), and 48 + a last call of 22.
  // Never evaluated.
  struct Big {
    Shape xs, ws;
  };
  for (const Big& b :
       {Big{{64, 512, 512, 256}, {16, 3, 3, 256}}, Big{{70, 512, 512, 128}, {8, 3, 3, 128}},
        Big{{3, 1024, 1024, 1100}, {4, 1, 1, 1100}}}) {
    SCOPED_TRACE(shape_to_string(b.xs));
    array x = broadcast_to(array(0.0f, bfloat16), b.xs);
    array w = broadcast_to(array(0.0f, bfloat16), b.ws);
    array o = conv2d(x, w, {1, 1}, {b.ws[1] / 2, b.ws[2] / 2}, {1, 1}, 1, Device::cpu);
    EXPECT_EQ(probe(o, bfloat16), "");
  }
  // The output-size check is live: cuDNN's size differing from the given one is an internal
  // error.
  {
    array x = broadcast_to(array(0.0f), {2, 9, 9, 4});
    array w = broadcast_to(array(0.0f), {8, 3, 3, 4});
    array o = conv2d(x, w, {2, 2}, {1, 1}, {1, 1}, 1, Device::cpu);
    EXPECT_EQ(o.shape(), (Shape{2, 5, 5, 8}));
    auto& prim = dynamic_cast<Convolution&>(o.primitive());
    EXPECT_THROW_MSG(cuda::cudnn_conv_probe(prim, x.shape(), w.shape(), {2, 5, 4, 8}, float32),
                     std::runtime_error, "Internal error: cuDNN computes output dims");
  }
  // A sample beyond 2^31 - 1 elements is left to im2col.
  array x = broadcast_to(array(0.0f, bfloat16), {1, 2048, 2048, 1024});
  array w = broadcast_to(array(0.0f, bfloat16), {1, 1, 1, 1024});
  EXPECT_EQ(
      probe(conv2d(x, w, {1, 1}, {0, 0}, {1, 1}, 1, Device::cpu), bfloat16).rfind("declined", 0),
      0u);
}
#endif
