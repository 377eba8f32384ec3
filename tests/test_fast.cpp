// Copyright © 2026 Tandem authors.
// tandem::fast: rms_norm and layer_norm (fused kernels) against their op compositions and host
// references, rope against the rotation formula, scaled_dot_product_attention against an explicit
// softmax(q kᵀ · scale + mask) v; every op on float32/float64/bfloat16, non-contiguous inputs,
// derivatives (finite differences in float64, second order), vmap, and argument errors.
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <random>

#include "backend/cpu/simd_bf16.h"  // internal: the CPU's bfloat16 row rounding
#include "harness.h"
#include "primitives/fused.h"  // internal: detail::sdpa_reference
#include "transforms_check.h"

using namespace tandem;
using tandem_test::arrays_close;
using tandem_test::values;

namespace {

array rnd(const Shape& s, Dtype t, uint32_t seed, double lo = -2.0, double hi = 2.0) {
  return array(tx::rand_values(tx::numel(s), lo, hi, seed), s, t);
}

/// The compositions MLX's fast ops fall back to (statistics in float32, float64 for float64;
/// the normalised value rounded to the output dtype, then * weight, + bias in it).
array composed_rms(const array& x, const std::optional<array>& w, float eps, const Device& d) {
  Dtype out = w ? promote_types(x.dtype(), w->dtype()) : x.dtype();
  Dtype acc = out == float64 ? float64 : float32;
  array xf = astype(x, acc, d);
  array y = multiply(xf, rsqrt(add(mean(square(xf, d), -1, true, d), array(eps, acc), d), d), d);
  y = astype(y, out, d);
  if (w) y = multiply(y, astype(*w, out, d), d);
  return y;
}

array composed_ln(const array& x, const std::optional<array>& w, const std::optional<array>& b,
                  float eps, const Device& d) {
  Dtype out = x.dtype();
  if (w) out = promote_types(out, w->dtype());
  if (w && b) out = promote_types(out, b->dtype());
  Dtype acc = out == float64 ? float64 : float32;
  array xf = astype(x, acc, d);
  array xc = subtract(xf, mean(xf, -1, true, d), d);
  array y = multiply(xc, rsqrt(add(mean(square(xc, d), -1, true, d), array(eps, acc), d), d), d);
  y = astype(y, out, d);
  if (w) y = multiply(y, astype(*w, out, d), d);
  if (b) y = add(y, astype(*b, out, d), d);
  return y;
}

/// Row-wise host reference in double (rms: no mean).
std::vector<double> host_norm(const std::vector<double>& x, int64_t n, bool rms, double eps,
                              const std::vector<double>& w, const std::vector<double>& b) {
  std::vector<double> out(x.size());
  for (size_t r = 0; r * n < x.size(); ++r) {
    const double* p = x.data() + r * n;
    double mu = 0, ss = 0;
    if (!rms) {
      for (int64_t j = 0; j < n; ++j)
        mu += p[j];
      mu /= n;
    }
    for (int64_t j = 0; j < n; ++j)
      ss += (p[j] - mu) * (p[j] - mu);
    double inv = 1.0 / std::sqrt(ss / n + eps);
    for (int64_t j = 0; j < n; ++j) {
      double y = (p[j] - mu) * inv;
      if (!w.empty()) y *= w[j];
      if (!b.empty()) y += b[j];
      out[r * n + j] = y;
    }
  }
  return out;
}

const std::vector<Dtype>& norm_dtypes() {
  static const std::vector<Dtype> v{float32, float64, bfloat16, float16};
  return v;
}

}  // namespace

// ============================== rms_norm / layer_norm ==============================

DEVICE_TEST(FastNorm, MatchesComposition) {
  const float eps = 1e-5f;
  const std::vector<Shape> shapes{{3, 7}, {2, 3, 1}, {5, 16}, {4, 1000}, {2, 4096}, {6}};
  for (Dtype t : norm_dtypes()) {
    for (const Shape& s : shapes) {
      SCOPED_TRACE(dtype_name(t) + " " + shape_to_string(s));
      const int n = s.back();
      array x = rnd(s, t, 1, -3.0, 5.0);  // non-zero mean on purpose
      array w = rnd({n}, t, 2, 0.5, 1.5);
      array b = rnd({n}, t, 3, -0.5, 0.5);
      // Longer rows sum in a different order than the composition: allow a few ulps.
      double ts = n >= 1000 ? 8.0 : 2.0;
      EXPECT_TRUE(arrays_close(fast::rms_norm(x, std::nullopt, eps, device),
                               composed_rms(x, std::nullopt, eps, device), ts));
      EXPECT_TRUE(
          arrays_close(fast::rms_norm(x, w, eps, device), composed_rms(x, w, eps, device), ts));
      EXPECT_TRUE(arrays_close(fast::layer_norm(x, std::nullopt, std::nullopt, eps, device),
                               composed_ln(x, std::nullopt, std::nullopt, eps, device), ts));
      EXPECT_TRUE(arrays_close(fast::layer_norm(x, w, std::nullopt, eps, device),
                               composed_ln(x, w, std::nullopt, eps, device), ts));
      EXPECT_TRUE(arrays_close(fast::layer_norm(x, std::nullopt, b, eps, device),
                               composed_ln(x, std::nullopt, b, eps, device), ts));
      EXPECT_TRUE(arrays_close(fast::layer_norm(x, w, b, eps, device),
                               composed_ln(x, w, b, eps, device), ts));
    }
  }
}

DEVICE_TEST(FastNorm, MatchesHostReference) {
  const float eps = 1e-5f;  // the host reference uses the same (float) eps
  for (Dtype t : {float32, float64}) {
    for (int n : {1, 3, 17, 64, 2048}) {
      SCOPED_TRACE(dtype_name(t) + " n=" + std::to_string(n));
      array x = rnd({4, n}, t, 7, -1.0, 3.0);
      array w = rnd({n}, t, 8, 0.5, 1.5), b = rnd({n}, t, 9, -1.0, 1.0);
      auto xv = values(x), wv = values(w), bv = values(b);
      double tol = t == float64 ? 1e-12 : 1e-5;
      EXPECT_ARRAY_CLOSE(fast::rms_norm(x, w, eps, device), host_norm(xv, n, true, eps, wv, {}),
                         Shape{4, n}, tol, tol);
      EXPECT_ARRAY_CLOSE(fast::layer_norm(x, w, b, eps, device),
                         host_norm(xv, n, false, eps, wv, bv), Shape{4, n}, tol, tol);
      EXPECT_ARRAY_CLOSE(fast::layer_norm(x, std::nullopt, std::nullopt, eps, device),
                         host_norm(xv, n, false, eps, {}, {}), Shape{4, n}, tol, tol);
    }
  }
  // Rows of length 1: layer_norm gives exactly the bias, rms_norm x / sqrt(x² + eps).
  array x = array({2.0f, -3.0f, 0.5f}, Shape{3, 1});
  EXPECT_ARRAY_CLOSE(fast::layer_norm(x, array({2.0f}), array({0.25f}), 1e-5f, device),
                     std::vector<double>{0.25, 0.25, 0.25}, Shape{3, 1}, 0, 0);
  EXPECT_ARRAY_CLOSE(fast::rms_norm(x, std::nullopt, 1e-5f, device),
                     std::vector<double>{2 / std::sqrt(4 + 1e-5), -3 / std::sqrt(9 + 1e-5),
                                         0.5 / std::sqrt(0.25 + 1e-5)},
                     Shape{3, 1}, 1e-6, 1e-6);
}

// The CPU's row rounding to bfloat16 (AVX-512 BF16 instruction where present) gives the bits of
// the scalar conversion for every class of float: normals, ties, denormals (which the instruction
// alone would flush), zeros, infinities, NaNs; in vectors mixing them and in tails shorter than
// a vector. The normalisation row (three roundings) matches the scalar composition too.
TEST(FastNorm, Bfloat16RowRoundingIsExact) {
  std::mt19937 g(5);
  std::vector<float> in;
  auto from_bits = [](uint32_t u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  };
  for (int i = 0; i < 20000; ++i) {
    uint32_t u = g();
    switch (i % 5) {
      case 0:
        u &= 0x807fffffu;  // denormal or zero
        break;
      case 1:
        u = (u & 0xffff0000u) | 0x8000u;  // a tie
        break;
      case 2:
        if (i % 20 == 2) u |= 0x7f800000u;  // infinity or NaN
        break;
      default:
        break;
    }
    in.push_back(from_bits(u));
  }
  for (size_t n : {in.size(), size_t(15), size_t(17), size_t(33)}) {
    std::vector<uint16_t> got(n);
    cpu::round_to_bf16(in.data(), got.data(), static_cast<int64_t>(n));
    for (size_t i = 0; i < n; ++i)
      ASSERT_EQ(got[i], detail::float_to_bf16_bits(in[i])) << i << " " << in[i];
  }
  // Normalisation rows: tiny weights make t * w denormal; b flips signs.
  const int n = 37;
  std::vector<float> v(n), w(n), b(n);
  for (int j = 0; j < n; ++j) {
    v[j] = from_bits(0x3f000000u + (g() & 0x00ffffffu)) * (j % 2 ? -1.0f : 1.0f);
    w[j] = j % 3 == 0 ? from_bits(0x00400000u + (g() & 0xff0000u)) : 0.75f + 0.01f * j;
    b[j] = j % 4 == 0 ? -0.5f : 0.25f;
  }
  auto r = [](float x) { return detail::bf16_bits_to_float(detail::float_to_bf16_bits(x)); };
  for (int mode = 0; mode < 4; ++mode) {
    const float* wp = mode & 1 ? w.data() : nullptr;
    const float* bp = mode & 2 ? b.data() : nullptr;
    std::vector<uint16_t> got(n);
    cpu::norm_row_bf16(v.data(), 0.125f, 1.75f, wp, bp, got.data(), n);
    for (int j = 0; j < n; ++j) {
      float t = (v[j] - 0.125f) * 1.75f;
      if (wp) t = r(t) * wp[j];
      if (bp) t = r(t) + bp[j];
      ASSERT_EQ(got[j], detail::float_to_bf16_bits(t)) << "mode " << mode << " j " << j;
    }
  }
}

DEVICE_TEST(FastNorm, NonContiguousInputs) {
  const float eps = 1e-5f;
  for (Dtype t : {float32, bfloat16, float64}) {
    SCOPED_TRACE(dtype_name(t));
    array base = rnd({24, 10}, t, 11, -2.0, 2.0);
    array wbase = rnd({64}, t, 12, 0.5, 1.5);
    array bbase = rnd({64}, t, 13, -1.0, 1.0);
    std::vector<std::pair<std::string, array>> xs{
        {"transposed", transpose(base)},                                      // (10, 24)
        {"strided", slice(base, {0, 0}, {24, 10}, {2, 1})},                   // (12, 10)
        {"reversed", slice(base, {-1, 0}, {-25, 10}, {-1, 1})},               // (24, 10)
        {"broadcast", broadcast_to(slice(base, {0, 0}, {1, 10}), {5, 10})}};  // (5, 10)
    for (auto& [name, x] : xs) {
      SCOPED_TRACE(name);
      const int n = x.shape(-1);
      array w = slice(wbase, {0}, {2 * n}, {2});     // strided weight
      array b = slice(bbase, {n - 1}, {-65}, {-1});  // reversed bias
      array xc = copy(x);                            // contiguous copy: the same values
      EXPECT_TRUE(arrays_close(fast::rms_norm(x, w, eps, device),
                               fast::rms_norm(xc, copy(w), eps, device)));
      EXPECT_TRUE(arrays_close(fast::layer_norm(x, w, b, eps, device),
                               fast::layer_norm(xc, copy(w), copy(b), eps, device)));
      EXPECT_TRUE(arrays_close(fast::layer_norm(x, w, b, eps, device),
                               composed_ln(x, w, b, eps, device), 2.0));
    }
  }
}

DEVICE_TEST(FastNorm, OutputDtypes) {
  const float eps = 1e-6f;
  array xb = rnd({3, 8}, bfloat16, 21), xh = rnd({3, 8}, float16, 22);
  array w32 = rnd({8}, float32, 23, 0.5, 1.5), b32 = rnd({8}, float32, 24);
  // 16-bit x with float32 parameters: a float32 result (the fused kernel reads x as is).
  array y = fast::rms_norm(xb, w32, eps, device);
  EXPECT_EQ(y.dtype(), float32);
  EXPECT_TRUE(arrays_close(y, composed_rms(xb, w32, eps, device)));
  y = fast::layer_norm(xh, w32, b32, eps, device);
  EXPECT_EQ(y.dtype(), float32);
  EXPECT_TRUE(arrays_close(y, composed_ln(xh, w32, b32, eps, device)));
  // float16 with bfloat16 promotes to float32; float32 with float64 to float64.
  y = fast::layer_norm(xh, astype(w32, bfloat16), std::nullopt, eps, device);
  EXPECT_EQ(y.dtype(), float32);
  EXPECT_TRUE(arrays_close(y, composed_ln(xh, astype(w32, bfloat16), std::nullopt, eps, device)));
  y = fast::rms_norm(astype(xb, float32), astype(w32, float64), eps, device);
  EXPECT_EQ(y.dtype(), float64);
  EXPECT_TRUE(
      arrays_close(y, composed_rms(astype(xb, float64), astype(w32, float64), eps, device)));
  // A bias without a weight is cast to x's dtype (MLX).
  EXPECT_EQ(fast::layer_norm(xb, std::nullopt, b32, eps, device).dtype(), bfloat16);
  // Integer parameters promote with a float x.
  EXPECT_EQ(
      fast::rms_norm(astype(xb, float32), array({1, 2, 3, 4, 5, 6, 7, 8}), eps, device).dtype(),
      float32);
  // Empty rows (no rows at all) evaluate to an empty array.
  array e = fast::layer_norm(zeros({0, 8}), w32, b32, eps, device);
  EXPECT_EQ(e.shape(), (Shape{0, 8}));
  e.eval();
}

TEST(FastNorm, Errors) {
  array x = ones({2, 4});
  EXPECT_THROW_MSG(fast::rms_norm(array(1.0f), std::nullopt, 1e-5f), std::invalid_argument,
                   "[rms_norm] Input must have at least 1 dimension");
  EXPECT_THROW_MSG(fast::layer_norm(array(1.0f), std::nullopt, std::nullopt, 1e-5f),
                   std::invalid_argument, "[layer_norm] Input must have at least 1 dimension");
  EXPECT_THROW_MSG(fast::rms_norm(x, ones({3}), 1e-5f), std::invalid_argument,
                   "[rms_norm] weight must have the same size as the last dimension of x (4) but "
                   "has 3 elements");
  EXPECT_THROW_MSG(fast::rms_norm(x, ones({1, 4}), 1e-5f), std::invalid_argument,
                   "[rms_norm] weight must have 1 dimension but has 2");
  EXPECT_THROW_MSG(fast::layer_norm(x, ones({4}), ones({5}), 1e-5f), std::invalid_argument,
                   "[layer_norm] bias must have the same size as the last dimension of x (4) but "
                   "has 5 elements");
  EXPECT_THROW_MSG(fast::layer_norm(x, ones({2}), std::nullopt, 1e-5f), std::invalid_argument,
                   "[layer_norm] weight must have the same size");
  EXPECT_THROW_MSG(fast::rms_norm(ones({2, 4}, int32), std::nullopt, 1e-5f), std::invalid_argument,
                   "[rms_norm] Received unsupported type int32");
  EXPECT_THROW_MSG(fast::layer_norm(ones({2, 4}, int32), ones({4}, int32), std::nullopt, 1e-5f),
                   std::invalid_argument, "[layer_norm] Received unsupported type int32");
  EXPECT_THROW_MSG(fast::rms_norm(ones({2, 4}, complex64), std::nullopt, 1e-5f),
                   std::invalid_argument, "[rms_norm] Received unsupported type complex64");
}

class FastNormTransforms : public tx::CpuTest {};

TEST_F(FastNormTransforms, Gradients) {
  const float eps = 1e-3f;
  const Shape s{3, 5};
  for (tx::Layout l : tx::all_layouts()) {
    SCOPED_TRACE(tx::layout_name(l));
    array x = tx::with_layout(tx::rand_values(15, -2.0, 2.0, 31), s, l);
    array w = tx::rand64({5}, 0.5, 1.5, 32), b = tx::rand64({5}, -1.0, 1.0, 33);
    EXPECT_DERIVATIVES(
        tx::unary([&](const array& a) { return fast::rms_norm(a, std::nullopt, eps); }), {x});
    tx::Fn rms = [&](const std::vector<array>& a) { return fast::rms_norm(a[0], a[1], eps); };
    EXPECT_DERIVATIVES(rms, (std::vector<array>{x, w}));
    tx::Fn ln = [&](const std::vector<array>& a) {
      return fast::layer_norm(a[0], a[1], a[2], eps);
    };
    EXPECT_DERIVATIVES(ln, (std::vector<array>{x, w, b}));
    tx::Fn ln_x = [&](const std::vector<array>& a) {
      return fast::layer_norm(a[0], std::nullopt, std::nullopt, eps);
    };
    EXPECT_DERIVATIVES(ln_x, (std::vector<array>{x}));
    tx::Fn ln_b = [&](const std::vector<array>& a) {
      return fast::layer_norm(a[0], std::nullopt, a[1], eps);
    };
    EXPECT_DERIVATIVES(ln_b, (std::vector<array>{x, b}));
  }
  // Only some inputs differentiated: gradients of x alone, and of the weight alone.
  array x = tx::rand64({2, 4}, -1.0, 1.0, 34), w = tx::rand64({4}, 0.5, 1.5, 35);
  auto gw =
      grad([&](const std::vector<array>& a) { return sum(fast::rms_norm(x, a[0], eps)); }, 0)({w});
  auto gw_ref = grad(
      [&](const std::vector<array>& a) { return sum(composed_rms(x, a[0], eps, Device::cpu)); },
      0)({w});
  EXPECT_TRUE(arrays_close(gw[0], gw_ref[0]));
}

TEST_F(FastNormTransforms, SecondOrder) {
  const float eps = 1e-3f;
  array x = tx::rand64({2, 4}, -2.0, 2.0, 41), w = tx::rand64({4}, 0.5, 1.5, 42),
        b = tx::rand64({4}, -1.0, 1.0, 43);
  array c = tx::rand64({2, 4}, -1.0, 1.0, 44);
  // d/dx of a gradient: grad of grad against finite differences of the first derivative.
  tx::Fn g_ln = [&](const std::vector<array>& a) {
    auto f = [&](const std::vector<array>& in) {
      return sum(multiply(fast::layer_norm(in[0], in[1], b, eps), c));
    };
    auto gs = grad(f, std::vector<int>{0, 1})({a[0], a[1]});
    return add(sum(square(gs[0])), sum(gs[1]));
  };
  EXPECT_TRUE(tx::check_grad(g_ln, {x, w}, 1e-5, 1e-5));
  tx::Fn g_rms = [&](const std::vector<array>& a) {
    auto f = [&](const std::vector<array>& in) {
      return sum(multiply(fast::rms_norm(in[0], in[1], eps), c));
    };
    return grad(f, 0)({a[0], a[1]})[0];
  };
  EXPECT_TRUE(tx::check_grad(g_rms, {x, w}, 1e-5, 1e-5));
  EXPECT_TRUE(tx::check_jvp(g_rms, {x, w}, 1e-5, 1e-5));
}

TEST_F(FastNormTransforms, Vmap) {
  const float eps = 1e-4f;
  array x = tx::rand64({3, 4, 5}, -2.0, 2.0, 51);
  array w = tx::rand64({5}, 0.5, 1.5, 52), b = tx::rand64({5}, -1.0, 1.0, 53);
  array wb = tx::rand64({3, 5}, 0.5, 1.5, 54), bb = tx::rand64({5, 3}, -1.0, 1.0, 55);
  ArrayFn ln = [&](const std::vector<array>& a) {
    return std::vector<array>{fast::layer_norm(a[0], a[1], a[2], eps)};
  };
  ArrayFn rms = [&](const std::vector<array>& a) {
    return std::vector<array>{fast::rms_norm(a[0], a[1], eps)};
  };
  // x batched on axis 0, 1 and 2 (the normalised axis of the example stays last).
  EXPECT_VMAP(ln, {x, w, b}, {0, -1, -1});
  EXPECT_VMAP(ln, {x, w, b}, {1, -1, -1});
  EXPECT_VMAP(rms, {x, w}, {1, -1}, {1});
  EXPECT_VMAP(rms, {transpose(x, {1, 0, 2}), w}, {1, -1});  // batch axis 1 of (4, 3, 5): 3
  // Batched parameters (the composition broadcasts them), with x batched or not.
  EXPECT_VMAP(ln, {x, wb, bb}, {0, 0, 1});
  EXPECT_VMAP(ln, {slice(x, {0, 0, 0}, {1, 4, 5}), wb, b}, {-1, 0, -1});
  EXPECT_VMAP(rms, {x, wb}, {0, 0});
  // vmap of grad.
  ArrayFn g = [&](const std::vector<array>& a) {
    return grad([&](const std::vector<array>& in) {
      return sum(square(fast::layer_norm(in[0], w, b, eps)));
    })({a[0]});
  };
  EXPECT_VMAP(g, {x}, {0});
}

// ============================== rope ==============================

namespace {

/// Host rope of x (row-major, shape (..., L, D)) with per-batch offsets (one, or x.shape(0)).
std::vector<double> host_rope(const std::vector<double>& x, const Shape& shape, int dims,
                              bool traditional, double base, double scale,
                              const std::vector<double>& offsets,
                              const std::vector<double>& freqs = {}) {
  const int L = shape[shape.size() - 2], D = shape.back(), half = dims / 2;
  const int64_t per_batch = static_cast<int64_t>(x.size()) / shape[0];
  std::vector<double> out = x;
  for (size_t r = 0; r * D < x.size(); ++r) {
    int l = static_cast<int>(r % L);
    int64_t bidx = static_cast<int64_t>(r * D) / per_batch;
    double off = offsets.size() == 1 ? offsets[0] : offsets[bidx];
    double pos = (off + l) * scale;
    const double* p = x.data() + r * D;
    double* o = out.data() + r * D;
    for (int i = 0; i < half; ++i) {
      double inv = freqs.empty() ? std::pow(base, -static_cast<double>(i) / half) : 1.0 / freqs[i];
      double c = std::cos(pos * inv), s = std::sin(pos * inv);
      int i1 = traditional ? 2 * i : i, i2 = traditional ? 2 * i + 1 : i + half;
      o[i1] = p[i1] * c - p[i2] * s;
      o[i2] = p[i1] * s + p[i2] * c;
    }
  }
  return out;
}

}  // namespace

DEVICE_TEST(FastRope, MatchesRotationFormula) {
  const Shape s{2, 3, 5, 8};
  for (Dtype t : {float32, float64, bfloat16}) {
    array x = rnd(s, t, 61);
    auto xv = values(x);
    double tol = t == float64 ? 1e-12 : t == float32 ? 2e-5 : 2e-2;
    for (bool trad : {false, true}) {
      for (int dims : {8, 4, 2}) {
        for (int offset : {0, 3}) {
          for (float scale : {1.0f, 0.5f}) {
            SCOPED_TRACE(dtype_name(t) + " traditional=" + std::to_string(trad) +
                         " dims=" + std::to_string(dims) + " offset=" + std::to_string(offset) +
                         " scale=" + std::to_string(scale));
            array y = fast::rope(x, dims, trad, 10000.0f, scale, offset, std::nullopt, device);
            EXPECT_EQ(y.dtype(), t);
            EXPECT_ARRAY_CLOSE(y, host_rope(xv, s, dims, trad, 10000.0, scale, {double(offset)}), s,
                               tol, tol);
          }
        }
      }
    }
  }
}

DEVICE_TEST(FastRope, OffsetsFreqsAndLayouts) {
  const Shape s{3, 4, 6};
  array x = rnd(s, float32, 62);
  auto xv = values(x);
  // An array offset: a scalar, one element, or one per batch element.
  EXPECT_ARRAY_CLOSE(fast::rope(x, 6, false, 500.0f, 1.0f, array(5), std::nullopt, device),
                     host_rope(xv, s, 6, false, 500.0, 1.0, {5}), s, 2e-5, 2e-5);
  EXPECT_ARRAY_CLOSE(fast::rope(x, 6, true, 500.0f, 1.0f, array({7}), std::nullopt, device),
                     host_rope(xv, s, 6, true, 500.0, 1.0, {7}), s, 2e-5, 2e-5);
  EXPECT_ARRAY_CLOSE(
      fast::rope(x, 4, false, 500.0f, 2.0f, array({0, 10, 100}), std::nullopt, device),
      host_rope(xv, s, 4, false, 500.0, 2.0, {0, 10, 100}), s, 1e-4, 1e-4);
  // 5-d input with per-batch offsets (int64 offsets are accepted).
  const Shape s5{2, 2, 2, 3, 4};
  array x5 = rnd(s5, float64, 63);
  EXPECT_ARRAY_CLOSE(
      fast::rope(x5, 4, true, 100.0f, 1.0f, astype(array({2, 9}), int64), std::nullopt, device),
      host_rope(values(x5), s5, 4, true, 100.0, 1.0, {2, 9}), s5, 1e-12, 1e-12);
  // Custom frequencies (base must then be nullopt).
  std::vector<double> fr{1.0, 4.0, 50.0};
  EXPECT_ARRAY_CLOSE(
      fast::rope(x, 6, false, std::nullopt, 1.0f, 2, array(fr, Shape{3}, float32), device),
      host_rope(xv, s, 6, false, 0.0, 1.0, {2}, fr), s, 2e-5, 2e-5);
  // Non-contiguous x: a transposed view (B, L, H, D) -> (B, H, L, D).
  array base = rnd({2, 5, 3, 8}, float32, 64);
  array xt = transpose(base, {0, 2, 1, 3});
  EXPECT_TRUE(arrays_close(fast::rope(xt, 6, true, 10000.0f, 1.0f, 4, std::nullopt, device),
                           fast::rope(copy(xt), 6, true, 10000.0f, 1.0f, 4, std::nullopt, device)));
  EXPECT_ARRAY_CLOSE(fast::rope(xt, 6, true, 10000.0f, 1.0f, 4, std::nullopt, device),
                     host_rope(values(xt), xt.shape(), 6, true, 10000.0, 1.0, {4}), xt.shape(),
                     2e-5, 2e-5);
}

TEST(FastRope, Errors) {
  array x = ones({1, 2, 4, 8});
  EXPECT_THROW_MSG(fast::rope(ones({4, 8}), 8, false, 10000.0f, 1.0f, 0), std::invalid_argument,
                   "[rope] Input must have at least 3 dimensions but got input with 2");
  EXPECT_THROW_MSG(fast::rope(x, 3, false, 10000.0f, 1.0f, 0), std::invalid_argument,
                   "[rope] dims must be even but got 3");
  EXPECT_THROW_MSG(fast::rope(x, 0, false, 10000.0f, 1.0f, 0), std::invalid_argument,
                   "[rope] dims must be positive");
  EXPECT_THROW_MSG(fast::rope(x, 10, false, 10000.0f, 1.0f, 0), std::invalid_argument,
                   "[rope] dims must not exceed the input's last dimension (8) but got 10");
  EXPECT_THROW_MSG(fast::rope(ones({1, 2, 4, 8}, int32), 8, false, 10000.0f, 1.0f, 0),
                   std::invalid_argument, "[rope] Input must be a floating type but got int32");
  EXPECT_THROW_MSG(fast::rope(x, 8, false, 10000.0f, 1.0f, 0, ones({4})), std::invalid_argument,
                   "[rope] Only one of base or freqs can have a value");
  EXPECT_THROW_MSG(fast::rope(x, 8, false, std::nullopt, 1.0f, 0), std::invalid_argument,
                   "[rope] Neither base nor freqs has a value");
  EXPECT_THROW_MSG(fast::rope(x, 8, false, std::nullopt, 1.0f, 0, ones({3})), std::invalid_argument,
                   "[rope] freqs must be one dimensional with size 4");
  EXPECT_THROW_MSG(fast::rope(x, 8, false, 10000.0f, 1.0f, array({1, 2})), std::invalid_argument,
                   "[rope] offset must be a scalar or vector with 1 elements");
  EXPECT_THROW_MSG(fast::rope(x, 8, false, 10000.0f, 1.0f, array(1.5f)), std::invalid_argument,
                   "[rope] offset must be an integer but got type float32");
  EXPECT_THROW_MSG(fast::rope(x, 8, false, 10000.0f, 1.0f, zeros({1, 1}, int32)),
                   std::invalid_argument, "[rope] offset must have at most one dimension");
}

class FastRopeTransforms : public tx::CpuTest {};

TEST_F(FastRopeTransforms, GradientsAndVmap) {
  const Shape s{2, 2, 3, 6};
  array x = tx::rand64(s, -1.0, 1.0, 71);
  for (bool trad : {false, true}) {
    for (int dims : {6, 4}) {
      SCOPED_TRACE("traditional=" + std::to_string(trad) + " dims=" + std::to_string(dims));
      auto f = [=](const array& a) { return fast::rope(a, dims, trad, 100.0f, 0.7f, 2); };
      EXPECT_DERIVATIVES(tx::unary(f), {x});
      EXPECT_VMAP(tx::unary_v(f), {x}, {0});
      EXPECT_VMAP(tx::unary_v(f), {x}, {2});
    }
  }
  // Per-batch offsets under vmap of x (the offsets follow the example's batch axis).
  array off = array({1, 4});
  ArrayFn g = [&](const std::vector<array>& a) {
    return std::vector<array>{fast::rope(a[0], 4, false, 100.0f, 1.0f, off)};
  };
  EXPECT_VMAP(g, {tx::rand64({3, 2, 2, 3, 4}, -1.0, 1.0, 72)}, {0});
  // Gradient with respect to custom frequencies.
  tx::Fn h = [&](const std::vector<array>& a) {
    return fast::rope(a[0], 4, true, std::nullopt, 1.0f, 1, a[1]);
  };
  EXPECT_DERIVATIVES(
      h, (std::vector<array>{tx::rand64({1, 3, 4}, -1.0, 1.0, 73), tx::rand64({2}, 1.0, 3.0, 74)}));
}

// ============================== scaled_dot_product_attention ==============================

namespace {

enum class MaskKind { None, Causal, Bool, Additive };

/// softmax(q kᵀ * scale + mask) v in double; query head h uses kv head h / (Hq / Hkv). The mask
/// values are given broadcast to (B, Hq, Lq, Lk); a false bool entry replaces the score with
/// `lowest` (so a fully masked row is uniform).
std::vector<double> host_sdpa(const std::vector<double>& q, const std::vector<double>& k,
                              const std::vector<double>& v, int B, int Hq, int Hkv, int Lq, int Lk,
                              int D, int Dv, double scale, MaskKind mk,
                              const std::vector<double>& mask, double lowest,
                              const std::vector<double>* sinks = nullptr) {
  std::vector<double> out(static_cast<size_t>(B) * Hq * Lq * Dv);
  const int G = Hq / Hkv;
  std::vector<double> sc(Lk);
  for (int b = 0; b < B; ++b) {
    for (int h = 0; h < Hq; ++h) {
      const int kh = h / G;
      for (int i = 0; i < Lq; ++i) {
        double mx = -std::numeric_limits<double>::infinity();
        for (int j = 0; j < Lk; ++j) {
          double s = 0;
          for (int d = 0; d < D; ++d) {
            s += q[((static_cast<size_t>(b) * Hq + h) * Lq + i) * D + d] *
                 k[((static_cast<size_t>(b) * Hkv + kh) * Lk + j) * D + d];
          }
          s *= scale;
          size_t mi = ((static_cast<size_t>(b) * Hq + h) * Lq + i) * Lk + j;
          if (mk == MaskKind::Causal && j > i + Lk - Lq) s = lowest;
          if (mk == MaskKind::Bool && mask[mi] == 0) s = lowest;
          if (mk == MaskKind::Additive) s += mask[mi];
          sc[j] = s;
          mx = std::max(mx, s);
        }
        if (sinks) mx = std::max(mx, (*sinks)[h]);
        double z = sinks ? std::exp((*sinks)[h] - mx) : 0.0;
        for (int j = 0; j < Lk; ++j)
          z += (sc[j] = std::exp(sc[j] - mx));
        for (int d = 0; d < Dv; ++d) {
          double acc = 0;
          for (int j = 0; j < Lk; ++j)
            acc += sc[j] / z * v[((static_cast<size_t>(b) * Hkv + kh) * Lk + j) * Dv + d];
          out[((static_cast<size_t>(b) * Hq + h) * Lq + i) * Dv + d] = acc;
        }
      }
    }
  }
  return out;
}

struct SdpaCase {
  int B, Hq, Hkv, Lq, Lk, D, Dv;
};

}  // namespace

DEVICE_TEST(FastSdpa, MatchesExplicitSoftmax) {
  const std::vector<SdpaCase> cases{{2, 2, 2, 3, 5, 4, 4},   // MHA, Lq < Lk
                                    {1, 4, 2, 4, 4, 8, 6},   // GQA (2 groups), Dv != D
                                    {2, 6, 1, 2, 7, 4, 4},   // MQA, decode-like
                                    {1, 4, 2, 5, 3, 4, 4},   // Lq > Lk: fully masked causal rows
                                    {1, 2, 1, 1, 9, 8, 8}};  // one query
  for (Dtype t : {float32, float64, bfloat16}) {
    // bfloat16 rounds q * scale, the scores and the probabilities: a loose check here, the
    // exact composition is compared in GqaEqualsRepeatedHeadsAndLayouts.
    const double tol = t == float64 ? 1e-12 : t == float32 ? 2e-5 : 1e-1;
    for (const auto& c : cases) {
      Shape qs{c.B, c.Hq, c.Lq, c.D}, ks{c.B, c.Hkv, c.Lk, c.D}, vs{c.B, c.Hkv, c.Lk, c.Dv};
      array q = rnd(qs, t, 81), k = rnd(ks, t, 82), v = rnd(vs, t, 83);
      auto qv = values(q), kv = values(k), vv = values(v);
      const float scale = 1.0f / std::sqrt(static_cast<float>(c.D));
      // The scale as the op applies it: rounded to the dtype, and q * scale rounded too.
      auto qsv = values(multiply(q, array(scale, t)));
      const double lowest = t == float64    ? std::numeric_limits<double>::lowest()
                            : t == bfloat16 ? -3.3895313892515355e38
                                            : std::numeric_limits<float>::lowest();
      Shape os{c.B, c.Hq, c.Lq, c.Dv};
      // Masks: bool (Lq, Lk); bool (B, 1, Lq, Lk); additive (B, Hq, Lq, Lk) of the dtype.
      array bm2 = greater(rnd({c.Lq, c.Lk}, float32, 84), array(-1.0f));
      array bm4 = greater(rnd({c.B, 1, c.Lq, c.Lk}, float32, 85), array(-1.2f));
      array am = rnd({c.B, c.Hq, c.Lq, c.Lk}, t, 86, -3.0, 1.0);
      auto bcast = [&](const array& m) {
        return values(broadcast_to(astype(m, float64), {c.B, c.Hq, c.Lq, c.Lk}));
      };
      SCOPED_TRACE(dtype_name(t) + " " + shape_to_string(qs) + " kv " + shape_to_string(ks));
      EXPECT_ARRAY_CLOSE(fast::scaled_dot_product_attention(q, k, v, scale, "", {}, device),
                         host_sdpa(qsv, kv, vv, c.B, c.Hq, c.Hkv, c.Lq, c.Lk, c.D, c.Dv, 1.0,
                                   MaskKind::None, {}, lowest),
                         os, tol, tol);
      EXPECT_ARRAY_CLOSE(fast::scaled_dot_product_attention(q, k, v, scale, "causal", {}, device),
                         host_sdpa(qsv, kv, vv, c.B, c.Hq, c.Hkv, c.Lq, c.Lk, c.D, c.Dv, 1.0,
                                   MaskKind::Causal, {}, lowest),
                         os, tol, tol);
      EXPECT_ARRAY_CLOSE(fast::scaled_dot_product_attention(q, k, v, scale, "array", {bm2}, device),
                         host_sdpa(qsv, kv, vv, c.B, c.Hq, c.Hkv, c.Lq, c.Lk, c.D, c.Dv, 1.0,
                                   MaskKind::Bool, bcast(bm2), lowest),
                         os, tol, tol);
      EXPECT_ARRAY_CLOSE(fast::scaled_dot_product_attention(q, k, v, scale, "", {bm4}, device),
                         host_sdpa(qsv, kv, vv, c.B, c.Hq, c.Hkv, c.Lq, c.Lk, c.D, c.Dv, 1.0,
                                   MaskKind::Bool, bcast(bm4), lowest),
                         os, tol, tol);
      EXPECT_ARRAY_CLOSE(fast::scaled_dot_product_attention(q, k, v, scale, "array", {am}, device),
                         host_sdpa(qsv, kv, vv, c.B, c.Hq, c.Hkv, c.Lq, c.Lk, c.D, c.Dv, 1.0,
                                   MaskKind::Additive, bcast(am), lowest),
                         os, tol, tol);
    }
  }
}

DEVICE_TEST(FastSdpa, GqaEqualsRepeatedHeadsAndLayouts) {
  // GQA equals MHA with each kv head repeated for its group of query heads.
  const int B = 2, Hq = 6, Hkv = 3, L = 4, S = 5, D = 8;
  for (Dtype t : {bfloat16, float32}) {
    SCOPED_TRACE(dtype_name(t));
    array q = rnd({B, Hq, L, D}, t, 91), k = rnd({B, Hkv, S, D}, t, 92),
          v = rnd({B, Hkv, S, D}, t, 93);
    auto rep = [&](const array& a) {
      std::vector<array> parts;
      for (int h = 0; h < Hq; ++h)
        parts.push_back(slice(a, {0, h / 2, 0, 0}, {B, h / 2 + 1, S, D}));
      return concatenate(parts, 1);
    };
    const float scale = 0.3f;
    array mask = rnd({1, Hq, L, S}, t, 94, -2.0, 0.0);
    array bmask = greater(rnd({B, 1, 1, S}, float32, 98), array(-1.0f));
    EXPECT_TRUE(arrays_close(
        fast::scaled_dot_product_attention(q, k, v, scale, "", {mask}, device),
        fast::scaled_dot_product_attention(q, rep(k), rep(v), scale, "", {mask}, device), 2.0));
    EXPECT_TRUE(arrays_close(
        fast::scaled_dot_product_attention(q, k, v, scale, "causal", {}, device),
        fast::scaled_dot_product_attention(q, rep(k), rep(v), scale, "causal", {}, device), 2.0));
    EXPECT_TRUE(arrays_close(
        fast::scaled_dot_product_attention(q, k, v, scale, "", {bmask}, device),
        fast::scaled_dot_product_attention(q, rep(k), rep(v), scale, "", {bmask}, device), 2.0));
    // The explicit composition: softmax(q * scale @ kᵀ + mask) @ v with the heads repeated.
    array scores = add(matmul(multiply(q, array(scale, t)), swapaxes(rep(k), -1, -2)), mask);
    EXPECT_TRUE(arrays_close(fast::scaled_dot_product_attention(q, k, v, scale, "", {mask}, device),
                             matmul(softmax(scores, -1, true), rep(v)), 2.0));
  }
  // Non-contiguous q, k, v: (B, L, H, D) projections viewed as (B, H, L, D).
  const float scale = 0.3f;
  array qt = transpose(rnd({B, L, Hq, D}, float32, 95), {0, 2, 1, 3});
  array kt = transpose(rnd({B, S, Hkv, D}, float32, 96), {0, 2, 1, 3});
  array vt = transpose(rnd({B, S, Hkv, D}, float32, 97), {0, 2, 1, 3});
  EXPECT_TRUE(arrays_close(
      fast::scaled_dot_product_attention(qt, kt, vt, scale, "causal", {}, device),
      fast::scaled_dot_product_attention(copy(qt), copy(kt), copy(vt), scale, "causal", {}, device),
      2.0));
  // Mixed dtypes promote (bfloat16 keys with float32 queries give float32).
  array y = fast::scaled_dot_product_attention(qt, astype(kt, bfloat16), vt, scale, "", {}, device);
  EXPECT_EQ(y.dtype(), float32);
  EXPECT_EQ(y.shape(), (Shape{B, Hq, L, D}));
}

DEVICE_TEST(FastSdpa, FusedKernelAcrossBlocksWithSinks) {
  // Shapes that cross the CPU kernel's blocks (at most 64 query rows, fewer for long key rows;
  // the rows of several query heads share a block under GQA; causal blocks stop at their last
  // key) and the GPU kernel's widths (32, 64, 128, 256 elements of D per warp) and key splits
  // (few query rows and long key rows: the keys of a row split over blocks, then combined).
  const std::vector<SdpaCase> cases{{1, 2, 2, 130, 70, 16, 8},     // 3 blocks per head; Lq > Lk
                                    {2, 8, 2, 3, 200, 40, 24},     // GQA rows share blocks
                                    {1, 2, 1, 1, 3000, 128, 128},  // decode, long key row
                                    {1, 1, 1, 2, 3, 256, 200},     // widest GPU kernel
                                    {1, 2, 1, 8, 1000, 64, 64},    // GPU: keys split over blocks
                                    {1, 3, 3, 100, 100, 8, 8}};    // causal square
  for (Dtype t : {float32, float64, bfloat16, float16}) {
    const bool half = t == bfloat16 || t == float16;
    const double tol = t == float64 ? 1e-12 : t == float32 ? 1e-4 : 6e-2;
    const double lowest = t == float64 ? std::numeric_limits<double>::lowest()
                          : half && device.type == Device::gpu
                              ? (t == bfloat16 ? -3.3895313892515355e38 : -65504.0)
                              : std::numeric_limits<float>::lowest();
    for (const auto& c : cases) {
      Shape qs{c.B, c.Hq, c.Lq, c.D}, ks{c.B, c.Hkv, c.Lk, c.D}, vs{c.B, c.Hkv, c.Lk, c.Dv};
      Shape os{c.B, c.Hq, c.Lq, c.Dv};
      SCOPED_TRACE(dtype_name(t) + " " + shape_to_string(qs) + " kv " + shape_to_string(ks));
      array q = rnd(qs, t, 121), k = rnd(ks, t, 122), v = rnd(vs, t, 123);
      array sinks = rnd({c.Hq}, t, 124, -1.0, 3.0);
      // A bool mask with some rows fully masked, and an additive one broadcast over B and Lq.
      array bm = greater(rnd({c.B, 1, c.Lq, c.Lk}, float32, 125), array(-1.0f));
      bm = logical_and(bm,
                       reshape(not_equal(remainder(arange(c.Lq), array(7)), array(3)), {c.Lq, 1}));
      array am = rnd({1, c.Hq, 1, c.Lk}, t, 126, -3.0, 1.0);
      const float scale = 1.0f / std::sqrt(static_cast<float>(c.D));
      auto qv = values(q), kv = values(k), vv = values(v), sv = values(sinks);
      auto bcast = [&](const array& m) {
        return values(broadcast_to(astype(m, float64), {c.B, c.Hq, c.Lq, c.Lk}));
      };
      auto ref = [&](MaskKind mk, const std::vector<double>& m, bool with_sinks) {
        return host_sdpa(qv, kv, vv, c.B, c.Hq, c.Hkv, c.Lq, c.Lk, c.D, c.Dv, scale, mk, m, lowest,
                         with_sinks ? &sv : nullptr);
      };
      array y = fast::scaled_dot_product_attention(q, k, v, scale, "causal", {}, sinks, device);
      // The fused kernel runs on the CPU always, on a GPU for short query lengths.
      if (device.type == Device::cpu || c.Lq <= 8) {
        EXPECT_EQ(y.primitive().name(), "ScaledDotProductAttention");
      }
      EXPECT_ARRAY_CLOSE(y, ref(MaskKind::Causal, {}, true), os, tol, tol);
      EXPECT_ARRAY_CLOSE(
          fast::scaled_dot_product_attention(q, k, v, scale, "causal", {}, {}, device),
          ref(MaskKind::Causal, {}, false), os, tol, tol);
      EXPECT_ARRAY_CLOSE(fast::scaled_dot_product_attention(q, k, v, scale, "", bm, {}, device),
                         ref(MaskKind::Bool, bcast(bm), false), os, tol, tol);
      EXPECT_ARRAY_CLOSE(
          fast::scaled_dot_product_attention(q, k, v, scale, "array", am, sinks, device),
          ref(MaskKind::Additive, bcast(am), true), os, tol, tol);
      EXPECT_ARRAY_CLOSE(fast::scaled_dot_product_attention(q, k, v, scale, "", {}, {}, device),
                         ref(MaskKind::None, {}, false), os, tol, tol);
      if (t == float32 && c.Lq <= 8) {
        // Non-contiguous q, k, v and a transposed mask give the same values as copies.
        array qt = transpose(copy(transpose(q, {0, 2, 1, 3})), {0, 2, 1, 3});
        array kt = slice(reshape(stack({k, k}, 4), {c.B, c.Hkv, c.Lk, 2 * c.D}), {0, 0, 0, 0},
                         {c.B, c.Hkv, c.Lk, 2 * c.D}, {1, 1, 1, 2});
        array vt = transpose(copy(transpose(v, {0, 1, 3, 2})), {0, 1, 3, 2});
        array mt = transpose(copy(transpose(bm, {0, 1, 3, 2})), {0, 1, 3, 2});
        EXPECT_TRUE(
            array_equal(
                fast::scaled_dot_product_attention(qt, kt, vt, scale, "", mt, sinks, device),
                fast::scaled_dot_product_attention(q, k, v, scale, "", bm, sinks, device))
                .item<bool>());
      }
    }
  }
}

DEVICE_TEST(FastSdpa, EmptyAndDegenerateShapes) {
  array v = rnd({1, 2, 3, 5}, float32, 131);
  // No keys: an empty weighted sum (zeros), with or without sinks.
  array y =
      fast::scaled_dot_product_attention(ones({1, 2, 4, 3}), zeros({1, 2, 0, 3}),
                                         zeros({1, 2, 0, 5}), 1.0f, "", {}, ones({2}), device);
  EXPECT_ARRAY_CLOSE(y, std::vector<double>(40, 0.0), Shape{1, 2, 4, 5});
  EXPECT_ARRAY_CLOSE(
      fast::scaled_dot_product_attention(ones({1, 2, 1, 3}), zeros({1, 2, 0, 3}),
                                         zeros({1, 2, 0, 5}), 1.0f, "", {}, {}, device),
      std::vector<double>(10, 0.0), Shape{1, 2, 1, 5});
  // No queries, and no value features: empty outputs.
  EXPECT_EQ(fast::scaled_dot_product_attention(ones({1, 2, 0, 3}), ones({1, 2, 3, 3}), v, 1.0f,
                                               "causal", {}, {}, device)
                .shape(),
            (Shape{1, 2, 0, 5}));
  EXPECT_EQ(fast::scaled_dot_product_attention(ones({1, 2, 2, 3}), ones({1, 2, 3, 3}),
                                               ones({1, 2, 3, 0}), 1.0f, "", {}, {}, device)
                .size(),
            0u);
  // D = 0: every score is 0, so each row is the mean of the values.
  array mean_v = broadcast_to(mean(v, 2, true), {1, 2, 2, 5});
  EXPECT_TRUE(allclose(fast::scaled_dot_product_attention(ones({1, 2, 2, 0}), ones({1, 2, 3, 0}), v,
                                                          1.0f, "", {}, {}, device),
                       mean_v, 1e-6, 1e-6)
                  .item<bool>());
  // A row whose bool mask is all false averages all keys (its scores all become the lowest
  // value), as the composition does; a huge sink takes all the weight.
  array q = rnd({1, 2, 2, 4}, float32, 132), k = rnd({1, 2, 3, 4}, float32, 133);
  array none = zeros({2, 3}, bool_);
  EXPECT_TRUE(allclose(fast::scaled_dot_product_attention(q, k, v, 0.5f, "", none, {}, device),
                       mean_v, 1e-6, 1e-6)
                  .item<bool>());
  EXPECT_TRUE(
      allclose(fast::scaled_dot_product_attention(q, k, v, 0.5f, "", {}, full({2}, 1e4f), device),
               zeros({1, 2, 2, 5}), 0.0, 1e-30)
          .item<bool>());
  // A NaN score makes its rows NaN, with or without a sink, as in the composition (the GPU
  // kernel's warps see one key each here: a NaN must not be dropped when they combine).
  std::vector<double> kn = values(k);
  kn[5] = std::nan("");  // head 0, key 1
  array k_nan(kn, k.shape(), float32);
  for (const std::optional<array>& sk : {std::optional<array>(), std::optional<array>(ones({2}))}) {
    std::vector<double> y =
        values(fast::scaled_dot_product_attention(q, k_nan, v, 0.5f, "", {}, sk, device));
    for (size_t i = 0; i < y.size(); ++i)
      EXPECT_EQ(std::isnan(y[i]), i < 10) << "element " << i << " sinks " << sk.has_value();
  }
  // The same with a NaN query and enough keys that a GPU splits them over blocks: the NaN must
  // survive the merge of the splits (with a sink, which alone would give finite weights).
  {
    array q2 = rnd({1, 2, 1, 4}, float32, 135), k2 = rnd({1, 2, 600, 4}, float32, 136),
          v2 = rnd({1, 2, 600, 3}, float32, 137);
    std::vector<double> qn = values(q2);
    qn[1] = std::nan("");  // head 0
    std::vector<double> y = values(fast::scaled_dot_product_attention(
        array(qn, q2.shape(), float32), k2, v2, 0.5f, "", {}, ones({2}), device));
    for (size_t i = 0; i < y.size(); ++i)
      EXPECT_EQ(std::isnan(y[i]), i < 3) << "element " << i;
  }
  // A 0-d-free check of the older form with a mask vector: same as the optional form.
  array am = rnd({2, 3}, float32, 134, -1.0, 0.0);
  EXPECT_TRUE(
      array_equal(
          fast::scaled_dot_product_attention(q, k, v, 0.5f, "", std::vector<array>{am}, device),
          fast::scaled_dot_product_attention(q, k, v, 0.5f, "array", am, {}, device))
          .item<bool>());
}

TEST(FastSdpa, FusedMatchesCompositionOnCpu) {
  // The CPU kernel against the composition it stands for (detail::sdpa_reference, which the
  // derivative rules use), for every floating dtype; 16-bit inputs compute in float32 in both.
  const Stream s = default_stream(Device(Device::cpu));
  for (Dtype t : {float32, float64, bfloat16, float16}) {
    SCOPED_TRACE(dtype_name(t));
    array q = rnd({2, 4, 70, 24}, t, 141), k = rnd({2, 2, 90, 24}, t, 142),
          v = rnd({2, 2, 90, 12}, t, 143), sinks = rnd({4}, t, 144);
    array mask =
        broadcast_to(greater(rnd({2, 1, 70, 90}, float32, 145), array(-1.5f)), {2, 4, 70, 90});
    for (int variant = 0; variant < 3; ++variant) {
      std::vector<array> in{q, k, v};
      bool causal = variant == 0, has_mask = variant == 1, has_sinks = variant != 1;
      if (has_mask) in.push_back(mask);
      if (has_sinks) in.push_back(sinks);
      array fused = fast::scaled_dot_product_attention(
          q, k, v, 0.4f, causal ? "causal" : "",
          has_mask ? std::optional<array>(mask) : std::nullopt,
          has_sinks ? std::optional<array>(sinks) : std::nullopt, s);
      ASSERT_EQ(fused.primitive().name(), "ScaledDotProductAttention");
      array composed = detail::sdpa_reference(in, 0.4f, causal, has_mask, has_sinks, s);
      ASSERT_EQ(fused.dtype(), t);
      const double tol = t == float64 ? 1e-13 : t == float32 ? 2e-6 : t == float16 ? 2e-3 : 1.6e-2;
      EXPECT_TRUE(allclose(fused, composed, tol, tol).item<bool>()) << "variant " << variant;
    }
  }
}

TEST(FastSdpa, Errors) {
  array q = ones({1, 4, 3, 8}), k = ones({1, 2, 5, 8}), v = ones({1, 2, 5, 8});
  const char* p = "[scaled_dot_product_attention] ";
  auto sdpa = [](const array& a, const array& b, const array& c, const std::string& mode = "",
                 const std::vector<array>& m = {}) {
    return fast::scaled_dot_product_attention(a, b, c, 0.5f, mode, m);
  };
  EXPECT_THROW_MSG(sdpa(ones({4, 3, 8}), k, v), std::invalid_argument,
                   std::string(p) + "input with shape (4,3,8) expected to be rank 4");
  EXPECT_THROW_MSG(sdpa(q, k, v, "upper"), std::invalid_argument,
                   std::string(p) + "Invalid mask_mode 'upper'");
  EXPECT_THROW_MSG(sdpa(q, k, v, "causal", {ones({3, 5})}), std::invalid_argument,
                   std::string(p) + "Invalid mask_arrs for mask_mode 'causal'");
  EXPECT_THROW_MSG(sdpa(q, k, v, "array"), std::invalid_argument,
                   std::string(p) + "Invalid mask_arrs for mask_mode 'array'. Exactly 1");
  EXPECT_THROW_MSG(sdpa(q, k, v, "", {ones({3, 5}), ones({3, 5})}), std::invalid_argument,
                   "Exactly 1 mask array is supported, got 2");
  EXPECT_THROW_MSG(sdpa(q, ones({1, 3, 5, 8}), ones({1, 3, 5, 8})), std::invalid_argument,
                   "n_heads must be a multiple of n_kv_heads, found n_heads 4 for n_kv_heads 3");
  EXPECT_THROW_MSG(sdpa(q, ones({1, 2, 5, 6}), v), std::invalid_argument,
                   "query, keys expected to have matching last dimension");
  EXPECT_THROW_MSG(sdpa(q, k, ones({1, 2, 4, 8})), std::invalid_argument,
                   "keys and values expected to have matching heads and length");
  EXPECT_THROW_MSG(sdpa(q, k, ones({1, 1, 5, 8})), std::invalid_argument,
                   "keys and values expected to have matching heads and length");
  EXPECT_THROW_MSG(sdpa(q, ones({2, 2, 5, 8}), ones({2, 2, 5, 8})), std::invalid_argument,
                   "mismatching batch dimension");
  EXPECT_THROW_MSG(
      sdpa(ones({1, 4, 3, 8}, int32), ones({1, 2, 5, 8}, int32), ones({1, 2, 5, 8}, int32)),
      std::invalid_argument, "Received unsupported type int32");
  EXPECT_THROW_MSG(sdpa(astype(q, bfloat16), astype(k, bfloat16), astype(v, bfloat16), "",
                        {zeros({3, 5}, float32)}),
                   std::invalid_argument, "Mask type must promote to output type bfloat16");
  EXPECT_THROW_MSG(sdpa(q, k, v, "array", {zeros({3, 4})}), std::invalid_argument,
                   "the mask with shape (3,4) does not broadcast to the scores' shape (1,4,3,5)");
  EXPECT_THROW_MSG(sdpa(q, k, v, "array", {zeros({1, 2, 3, 5})}), std::invalid_argument,
                   "does not broadcast");
  EXPECT_THROW_MSG(sdpa(q, k, v, "array", {zeros({1, 1, 1, 3, 5})}), std::invalid_argument,
                   "the mask with shape (1,1,1,3,5) expected to have at most rank 4");
  // The optional-mask form (MLX's current signature) and sinks.
  EXPECT_THROW_MSG(fast::scaled_dot_product_attention(q, k, v, 0.5f, "causal", ones({3, 5})),
                   std::invalid_argument,
                   std::string(p) + "Invalid mask_arr for mask_mode 'causal': no array mask");
  EXPECT_THROW_MSG(fast::scaled_dot_product_attention(q, k, v, 0.5f, "array", std::nullopt),
                   std::invalid_argument,
                   std::string(p) +
                       "Invalid mask_arr for mask_mode 'array': a mask array is "
                       "required");
  EXPECT_THROW_MSG(fast::scaled_dot_product_attention(q, k, v, 0.5f, "", {}, ones({2})),
                   std::invalid_argument,
                   std::string(p) + "sinks must have shape (n_heads,) = (4,); got shape (2,)");
  EXPECT_THROW_MSG(fast::scaled_dot_product_attention(q, k, v, 0.5f, "", {}, ones({1, 4})),
                   std::invalid_argument, "sinks must have shape (n_heads,)");
}

class FastSdpaTransforms : public tx::CpuTest {};

TEST_F(FastSdpaTransforms, GradientsAndVmap) {
  array q = tx::rand64({1, 4, 2, 3}, -1.0, 1.0, 101), k = tx::rand64({1, 2, 3, 3}, -1.0, 1.0, 102),
        v = tx::rand64({1, 2, 3, 2}, -1.0, 1.0, 103);
  array am = tx::rand64({2, 3}, -1.0, 0.0, 104);
  for (std::string mode : {"", "causal", "array"}) {
    SCOPED_TRACE("mode '" + mode + "'");
    tx::Fn f = [&](const std::vector<array>& a) {
      std::vector<array> m;
      if (mode == "array") m.push_back(a[3]);
      return fast::scaled_dot_product_attention(a[0], a[1], a[2], 0.8f, mode, m);
    };
    std::vector<array> xs{q, k, v};
    if (mode == "array") xs.push_back(am);  // the additive mask is differentiable too
    EXPECT_DERIVATIVES(f, xs);
    ArrayFn fv = [&](const std::vector<array>& a) { return std::vector<array>{f(a)}; };
    std::vector<int> axes(xs.size(), 0);
    // Batch the queries and keys along a new leading axis; values along axis 2 (their length).
    std::vector<array> bx{tx::rand64({2, 1, 4, 2, 3}, -1.0, 1.0, 105),
                          tx::rand64({2, 1, 2, 3, 3}, -1.0, 1.0, 106),
                          tx::rand64({1, 2, 2, 3, 2}, -1.0, 1.0, 107)};
    axes[2] = 1;
    if (mode == "array") {
      bx.push_back(am);
      axes[3] = -1;
    }
    EXPECT_VMAP(fv, bx, axes);
  }
}

TEST_F(FastSdpaTransforms, SinksGradientsAndVmap) {
  array q = tx::rand64({1, 4, 3, 3}, -1.0, 1.0, 111), k = tx::rand64({1, 2, 4, 3}, -1.0, 1.0, 112),
        v = tx::rand64({1, 2, 4, 2}, -1.0, 1.0, 113), sk = tx::rand64({4}, -1.0, 1.0, 114);
  array bm = greater(tx::rand64({3, 4}, -1.0, 1.0, 115), array(-0.6));
  for (std::string mode : {"", "causal", "array"}) {
    SCOPED_TRACE("mode '" + mode + "'");
    tx::Fn f = [&](const std::vector<array>& a) {
      std::optional<array> m;
      if (mode == "array") m = bm;
      return fast::scaled_dot_product_attention(a[0], a[1], a[2], 0.7f, mode, m, a[3]);
    };
    EXPECT_DERIVATIVES(f, std::vector<array>{q, k, v, sk});
    ArrayFn fv = [&](const std::vector<array>& a) { return std::vector<array>{f(a)}; };
    // The sinks batched along axis 1, the keys unbatched.
    EXPECT_VMAP(fv,
                std::vector<array>{tx::rand64({2, 1, 4, 3, 3}, -1.0, 1.0, 116), k,
                                   tx::rand64({1, 2, 4, 2, 2}, -1.0, 1.0, 117),
                                   tx::rand64({4, 2}, -1.0, 1.0, 118)},
                std::vector<int>{0, -1, 4, 1});
  }
}

// ============================== nn layers on the fast ops ==============================

TEST(FastNn, LayersUseFastOps) {
  // LayerNorm / RMSNorm: float32 parameters on a bfloat16 input, one rounding at the end.
  array x = rnd({3, 8}, bfloat16, 111, -2.0, 3.0);
  nn::LayerNorm ln(8);
  array y = ln(x);
  EXPECT_EQ(y.dtype(), bfloat16);
  EXPECT_TRUE(arrays_close(
      y, astype(composed_ln(x, ln.param("weight"), ln.param("bias"), 1e-5f, Device(Device::cpu)),
                bfloat16)));
  nn::RMSNorm rms(8);
  y = rms(x);
  EXPECT_EQ(y.dtype(), bfloat16);
  EXPECT_TRUE(arrays_close(
      y, astype(composed_rms(x, rms.param("weight"), 1e-5f, Device(Device::cpu)), bfloat16)));
  // RoPE: fast::rope, with a 2-d (L, D) input given a batch axis for the call.
  nn::RoPE rope(4, true, 100.0f, 1.0f);
  array s = rnd({5, 6}, float32, 112);
  EXPECT_TRUE(arrays_close(rope(s, 3),
                           squeeze(fast::rope(expand_dims(s, 0), 4, true, 100.0f, 1.0f, 3), 0)));
  array s4 = rnd({2, 2, 5, 6}, float32, 113);
  EXPECT_TRUE(arrays_close(rope(s4), fast::rope(s4, 4, true, 100.0f, 1.0f, 0)));
  // MultiHeadAttention with a causal additive mask equals the "causal" mask mode.
  nn::MultiHeadAttention mha(8, 2);
  array q = rnd({2, 4, 8}, float32, 114);
  array out = mha(q, q, q, nn::MultiHeadAttention::create_additive_causal_mask(4));
  array qh = transpose(reshape((*mha.query_proj)(q), {2, 4, 2, 4}), {0, 2, 1, 3});
  array kh = transpose(reshape((*mha.key_proj)(q), {2, 4, 2, 4}), {0, 2, 1, 3});
  array vh = transpose(reshape((*mha.value_proj)(q), {2, 4, 2, 4}), {0, 2, 1, 3});
  array att = fast::scaled_dot_product_attention(qh, kh, vh, 0.5f, "causal");
  array ref = (*mha.out_proj)(reshape(transpose(att, {0, 2, 1, 3}), {2, 4, 8}));
  EXPECT_TRUE(arrays_close(out, ref, 4.0));
}
