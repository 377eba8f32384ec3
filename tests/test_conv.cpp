// Copyright © 2026 Tandem authors.
// Convolutions (src/ops/conv.cpp, src/backend/cpu/conv.cpp, src/primitives/rules_conv.cpp):
// conv1d/2d/3d and conv_general against a naive nested-loop reference in float64, 16-bit dtypes,
// transposed convolutions against a scatter reference and the adjoint identity, derivatives
// against finite differences, vmap against a loop, and error messages.
#include <numeric>

#include "harness.h"
#include "transforms_check.h"

using namespace tandem;
using tandem_test::values;

namespace {

struct Params {
  std::vector<int> stride, lo, hi, kdil, idil;
  int groups = 1;
  bool flip = false;
};

Params defaults(int sp) {
  return {std::vector<int>(sp, 1), std::vector<int>(sp, 0), std::vector<int>(sp, 0),
          std::vector<int>(sp, 1), std::vector<int>(sp, 1)};
}

// Naive conv_general: out[n, o..., co] = sum over kernel positions k and group channels ci of
// x_dilated_padded[n, o*stride + k*kdil, g*cgi + ci] * w[co, flip ? K-1-k : k, ci].
std::vector<double> ref_conv(const std::vector<double>& x, const Shape& xs,
                             const std::vector<double>& w, const Shape& ws, const Params& p,
                             Shape& os) {
  int sp = static_cast<int>(xs.size()) - 2;
  int N = xs[0], cin = xs.back(), cout = ws[0], cgi = ws.back(), cgo = cout / p.groups;
  os = {N};
  for (int i = 0; i < sp; ++i) {
    int in_d = (xs[1 + i] - 1) * p.idil[i] + 1, k_d = (ws[1 + i] - 1) * p.kdil[i] + 1;
    os.push_back((in_d + p.lo[i] + p.hi[i] - k_d) / p.stride[i] + 1);
  }
  os.push_back(cout);
  Shape xsp(xs.begin() + 1, xs.end() - 1), ksp(ws.begin() + 1, ws.end() - 1),
      osp(os.begin() + 1, os.end() - 1);
  size_t on = tx::numel(osp), kn = tx::numel(ksp);
  std::vector<double> out;
  for (int n = 0; n < N; ++n) {
    for (size_t oi = 0; oi < on; ++oi) {
      auto o = tx::unravel(oi, osp);
      for (int co = 0; co < cout; ++co) {
        int g = co / cgo;
        double acc = 0;
        for (size_t ki = 0; ki < kn; ++ki) {
          auto k = tx::unravel(ki, ksp);
          std::vector<int> src(sp);
          bool inside = true;
          for (int i = 0; i < sp && inside; ++i) {
            int pos = o[i] * p.stride[i] + k[i] * p.kdil[i] - p.lo[i];
            if (pos < 0 || pos % p.idil[i] != 0 || pos / p.idil[i] >= xs[1 + i]) inside = false;
            src[i] = pos / std::max(p.idil[i], 1);
          }
          if (!inside) continue;
          std::vector<int> kk = k;
          if (p.flip) {
            for (int i = 0; i < sp; ++i)
              kk[i] = ksp[i] - 1 - k[i];
          }
          size_t xbase = (n * tx::numel(xsp) + tx::ravel(src, xsp)) * cin;
          size_t wbase = (co * kn + tx::ravel(kk, ksp)) * cgi;
          for (int ci = 0; ci < cgi; ++ci)
            acc += x[xbase + g * cgi + ci] * w[wbase + ci];
        }
        out.push_back(acc);
      }
    }
  }
  return out;
}

// Naive transposed convolution as a scatter: out[n, i*s + k*d - pad, co] += x[n, i, g*cgi + ci]
// * w[co, k, ci], with output extent (L-1)*s - 2*pad + (K-1)*d + 1 + output_padding.
std::vector<double> ref_conv_transpose(const std::vector<double>& x, const Shape& xs,
                                       const std::vector<double>& w, const Shape& ws,
                                       const std::vector<int>& s, const std::vector<int>& pad,
                                       const std::vector<int>& d, const std::vector<int>& op,
                                       int groups, Shape& os) {
  int sp = static_cast<int>(xs.size()) - 2;
  int N = xs[0], cin = xs.back(), cout = ws[0], cgi = ws.back(), cgo = cout / groups;
  os = {N};
  for (int i = 0; i < sp; ++i)
    os.push_back((xs[1 + i] - 1) * s[i] - 2 * pad[i] + (ws[1 + i] - 1) * d[i] + 1 + op[i]);
  os.push_back(cout);
  Shape xsp(xs.begin() + 1, xs.end() - 1), ksp(ws.begin() + 1, ws.end() - 1),
      osp(os.begin() + 1, os.end() - 1);
  std::vector<double> out(tx::numel(os), 0.0);
  for (int n = 0; n < N; ++n) {
    for (size_t ii = 0; ii < tx::numel(xsp); ++ii) {
      auto i = tx::unravel(ii, xsp);
      for (size_t ki = 0; ki < tx::numel(ksp); ++ki) {
        auto k = tx::unravel(ki, ksp);
        std::vector<int> o(sp);
        bool inside = true;
        for (int a = 0; a < sp; ++a) {
          o[a] = i[a] * s[a] + k[a] * d[a] - pad[a];
          inside = inside && o[a] >= 0 && o[a] < osp[a];
        }
        if (!inside) continue;
        for (int co = 0; co < cout; ++co) {
          int g = co / cgo;
          for (int ci = 0; ci < cgi; ++ci) {
            out[(n * tx::numel(osp) + tx::ravel(o, osp)) * cout + co] +=
                x[(n * tx::numel(xsp) + ii) * cin + g * cgi + ci] *
                w[(co * tx::numel(ksp) + ki) * cgi + ci];
          }
        }
      }
    }
  }
  return out;
}

// A random float64 input and weight.
struct Case {
  std::vector<double> x, w;
  Shape xs, ws;
  array X() const { return tx::f64(x, xs); }
  array W() const { return tx::f64(w, ws); }
};
Case make_case(Shape xs, Shape ws, uint32_t seed) {
  return {tx::rand_values(tx::numel(xs), -1, 1, seed),
          tx::rand_values(tx::numel(ws), -1, 1, seed + 1), xs, ws};
}

::testing::AssertionResult conv_matches(const array& got, const Case& c, const Params& p,
                                        double tol = 1e-12) {
  Shape os;
  auto want = ref_conv(c.x, c.xs, c.w, c.ws, p, os);
  return tandem_test::array_close(got, want, os, tol, tol);
}

double dot(const array& a, const array& b) {
  auto u = values(a), v = values(b);
  return std::inner_product(u.begin(), u.end(), v.begin(), 0.0);
}

}  // namespace

// ------------------------------ forward ------------------------------

DEVICE_TEST(ConvForward, HandComputed) {
  array x = array({1.f, 2.f, 3.f, 4.f}, {1, 4, 1});
  array w = array({1.f, 0.f, -1.f}, {1, 3, 1});
  // Cross-correlation, not convolution.
  EXPECT_ARRAY_EQ(conv1d(x, w, 1, 0, 1, 1, device), std::vector<float>{-2, -2}, Shape{1, 2, 1});
  EXPECT_ARRAY_EQ(conv1d(x, w, 1, 1, 1, 1, device), std::vector<float>{-2, -2, -2, 3},
                  Shape{1, 4, 1});
  // flip = true: true convolution.
  EXPECT_ARRAY_EQ(conv_general(x, w, {1}, {0}, {0}, {1}, {1}, 1, true, device),
                  std::vector<float>{2, 2}, Shape{1, 2, 1});
  // 2x2 box filter over a 3x3 image.
  array img = array({1.f, 2.f, 3.f, 4.f, 5.f, 6.f, 7.f, 8.f, 9.f}, {1, 3, 3, 1});
  EXPECT_ARRAY_EQ(conv2d(img, ones({1, 2, 2, 1}), {1, 1}, {0, 0}, {1, 1}, 1, device),
                  std::vector<float>{12, 16, 24, 28}, Shape{1, 2, 2, 1});
}

DEVICE_TEST(ConvForward, Conv1d) {
  struct P {
    int cin, cout, L, K, stride, pad, dil, groups;
  };
  for (P q : {P{1, 1, 7, 3, 1, 0, 1, 1}, P{3, 4, 9, 3, 2, 1, 1, 1}, P{2, 3, 10, 3, 1, 2, 2, 1},
              P{4, 6, 8, 2, 3, 1, 2, 2}, P{4, 4, 6, 3, 1, 1, 1, 4}, P{3, 6, 5, 5, 1, 2, 1, 3}}) {
    SCOPED_TRACE(testing::Message()
                 << "cin " << q.cin << " cout " << q.cout << " stride " << q.stride << " pad "
                 << q.pad << " dil " << q.dil << " groups " << q.groups);
    Case c = make_case({2, q.L, q.cin}, {q.cout, q.K, q.cin / q.groups}, q.L * 7 + q.cout);
    Params p = defaults(1);
    p.stride = {q.stride};
    p.lo = p.hi = {q.pad};
    p.kdil = {q.dil};
    p.groups = q.groups;
    EXPECT_TRUE(conv_matches(conv1d(c.X(), c.W(), q.stride, q.pad, q.dil, q.groups, device), c, p));
  }
}

DEVICE_TEST(ConvForward, Conv2d) {
  Case c = make_case({2, 6, 5, 4}, {6, 3, 2, 2}, 3);
  Params p = defaults(2);
  p.groups = 2;
  EXPECT_TRUE(conv_matches(conv2d(c.X(), c.W(), {1, 1}, {0, 0}, {1, 1}, 2, device), c, p));
  p.stride = {2, 1};
  p.lo = p.hi = {1, 2};
  p.kdil = {1, 2};
  EXPECT_TRUE(conv_matches(conv2d(c.X(), c.W(), {2, 1}, {1, 2}, {1, 2}, 2, device), c, p));
  // Depthwise: groups == C_in, two filters per channel.
  Case d = make_case({1, 5, 5, 3}, {6, 3, 3, 1}, 4);
  Params pd = defaults(2);
  pd.groups = 3;
  pd.lo = pd.hi = {1, 1};
  EXPECT_TRUE(conv_matches(conv2d(d.X(), d.W(), {1, 1}, {1, 1}, {1, 1}, 3, device), d, pd));
  // 1x1 kernel: a per-pixel matmul.
  Case e = make_case({2, 3, 4, 5}, {7, 1, 1, 5}, 5);
  EXPECT_TRUE(
      conv_matches(conv2d(e.X(), e.W(), {1, 1}, {0, 0}, {1, 1}, 1, device), e, defaults(2)));
  // Kernel as large as the padded input: a single output position.
  Case f = make_case({1, 3, 3, 2}, {2, 5, 5, 2}, 6);
  Params pf = defaults(2);
  pf.lo = pf.hi = {1, 1};
  EXPECT_TRUE(conv_matches(conv2d(f.X(), f.W(), {1, 1}, {1, 1}, {1, 1}, 1, device), f, pf));
}

DEVICE_TEST(ConvForward, Conv3d) {
  Case c = make_case({2, 4, 5, 3, 2}, {3, 2, 3, 2, 2}, 7);
  Params p = defaults(3);
  EXPECT_TRUE(conv_matches(conv3d(c.X(), c.W(), {1, 1, 1}, {0, 0, 0}, {1, 1, 1}, 1, device), c, p));
  p.stride = {2, 1, 2};
  p.lo = p.hi = {1, 0, 1};
  p.kdil = {1, 2, 1};
  EXPECT_TRUE(conv_matches(conv3d(c.X(), c.W(), {2, 1, 2}, {1, 0, 1}, {1, 2, 1}, 1, device), c, p));
  Case g = make_case({1, 3, 3, 3, 4}, {4, 2, 2, 2, 2}, 8);
  Params pg = defaults(3);
  pg.groups = 2;
  EXPECT_TRUE(
      conv_matches(conv3d(g.X(), g.W(), {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, 2, device), g, [&] {
        Params q = pg;
        q.lo = q.hi = {1, 1, 1};
        return q;
      }()));
}

DEVICE_TEST(ConvForward, General) {
  // Asymmetric padding, input dilation, kernel dilation, stride and flip, in 1-d and 2-d.
  Case a = make_case({2, 7, 3}, {4, 3, 3}, 9);
  Params p = defaults(1);
  p.lo = {2};
  p.hi = {0};
  p.idil = {2};
  p.kdil = {2};
  p.stride = {2};
  p.flip = true;
  EXPECT_TRUE(
      conv_matches(conv_general(a.X(), a.W(), {2}, {2}, {0}, {2}, {2}, 1, true, device), a, p));
  p.flip = false;
  p.hi = {3};
  EXPECT_TRUE(
      conv_matches(conv_general(a.X(), a.W(), {2}, {2}, {3}, {2}, {2}, 1, false, device), a, p));
  Case b = make_case({1, 4, 5, 4}, {6, 2, 3, 2}, 10);
  Params q = defaults(2);
  q.lo = {0, 2};
  q.hi = {1, 1};
  q.idil = {3, 1};
  q.kdil = {1, 2};
  q.stride = {1, 2};
  q.groups = 2;
  q.flip = true;
  EXPECT_TRUE(conv_matches(
      conv_general(b.X(), b.W(), {1, 2}, {0, 2}, {1, 1}, {1, 2}, {3, 1}, 2, true, device), b, q));
  // Symmetric-padding overload and empty vectors meaning the defaults.
  q = defaults(2);
  q.lo = q.hi = {1, 1};
  EXPECT_TRUE(conv_matches(
      conv_general(b.X(), b.W(), {1, 1}, {1, 1}, {1, 1}, {1, 1}, 2, false, device), b, [&] {
        Params r = q;
        r.groups = 2;
        return r;
      }()));
  Case c = make_case({1, 5, 2}, {3, 2, 2}, 11);
  EXPECT_TRUE(conv_matches(conv_general(c.X(), c.W(), {}, {}, {}, {}, {}, 1, false, device), c,
                           defaults(1)));
  // A single value broadcasts to every spatial axis.
  Params r = defaults(2);
  r.stride = {2, 2};
  Case e = make_case({1, 5, 5, 1}, {1, 2, 2, 1}, 12);
  EXPECT_TRUE(
      conv_matches(conv_general(e.X(), e.W(), {2}, {}, {}, {}, {}, 1, false, device), e, r));
}

DEVICE_TEST(ConvForward, LayoutsAndBatch) {
  // Non-contiguous input and weight give the same values as contiguous ones.
  Case c = make_case({2, 6, 3}, {4, 3, 3}, 13);
  for (tx::Layout l : tx::all_layouts()) {
    SCOPED_TRACE(tx::layout_name(l));
    array x = tx::with_layout(c.x, c.xs, l), w = tx::with_layout(c.w, c.ws, l);
    EXPECT_TRUE(conv_matches(conv1d(x, w, 1, 1, 1, 1, device), c, [] {
      Params p = defaults(1);
      p.lo = p.hi = {1};
      return p;
    }()));
  }
  // A broadcast weight (all filters equal).
  array wb = broadcast_to(tx::rand64({1, 3, 3}, -1, 1, 14), {4, 3, 3});
  Case d{c.x, values(wb), c.xs, {4, 3, 3}};
  EXPECT_TRUE(conv_matches(conv1d(c.X(), wb, 1, 0, 1, 1, device), d, defaults(1)));
  // Empty batch.
  array e = conv1d(zeros({0, 5, 3}, float64), c.W(), 1, 0, 1, 1, device);
  EXPECT_EQ(e.shape(), (Shape{0, 3, 4}));
}

DEVICE_TEST(ConvForward, Dtypes) {
  // Values k/8 in [-2, 2] are exact in every float dtype; sums accumulate in float32 or wider.
  Shape xs{2, 5, 4, 4}, ws{6, 3, 2, 2};
  auto grid = [](size_t n, uint32_t seed) {
    auto v = tx::rand_values(n, -2, 2, seed);
    for (auto& x : v)
      x = std::round(x * 8) / 8;
    return v;
  };
  Case c{grid(tx::numel(xs), 15), grid(tx::numel(ws), 16), xs, ws};
  Params p = defaults(2);
  p.lo = p.hi = {1, 0};
  p.stride = {2, 1};
  p.groups = 2;
  Shape os;
  auto want = ref_conv(c.x, xs, c.w, ws, p, os);
  for (Dtype t : tandem_test::float_dtypes()) {
    SCOPED_TRACE(dtype_name(t));
    array y = conv2d(astype(c.X(), t), astype(c.W(), t), {2, 1}, {1, 0}, {1, 1}, 2, device);
    EXPECT_EQ(y.dtype(), t);
    EXPECT_TRUE(tandem_test::array_close(y, want, os));
  }
  // Mixed dtypes promote.
  array m =
      conv2d(astype(c.X(), float16), astype(c.W(), float32), {2, 1}, {1, 0}, {1, 1}, 2, device);
  EXPECT_EQ(m.dtype(), float32);
  EXPECT_TRUE(tandem_test::array_close(m, want, os));
}

// float32 and bfloat16 in shapes that the CPU's direct kernels (backend/cpu/conv_direct.cpp) block
// in different ways: output channels not a multiple of 16, or above 64 (several output blocks);
// more than 256 input channels (K blocks of channels); many taps (K blocks of taps); position
// counts that are not a multiple of the tile rows; strides, dilations, asymmetric and no padding
// (the input read in place), groups, depthwise, flip, and 1 to 3 spatial axes.
DEVICE_TEST(ConvForward, Float32AndBfloat16Blocking) {
  struct G {
    const char* name;
    Shape xs, ws;
    Params p;
  };
  auto P = [](int sp, std::vector<int> stride, std::vector<int> lo, std::vector<int> hi,
              std::vector<int> kdil, std::vector<int> idil, int groups, bool flip) {
    Params p = defaults(sp);
    if (!stride.empty()) p.stride = stride;
    if (!lo.empty()) p.lo = lo;
    if (!hi.empty()) p.hi = hi;
    if (!kdil.empty()) p.kdil = kdil;
    if (!idil.empty()) p.idil = idil;
    p.groups = groups;
    p.flip = flip;
    return p;
  };
  std::vector<G> cases{
      {"17 outputs, 126 positions",
       {2, 7, 9, 3},
       {17, 3, 3, 3},
       P(2, {}, {1, 1}, {1, 1}, {}, {}, 1, false)},
      {"300 input channels",
       {1, 5, 6, 300},
       {20, 3, 3, 300},
       P(2, {}, {1, 1}, {1, 1}, {}, {}, 1, false)},
      {"81 taps", {1, 12, 12, 64}, {8, 9, 9, 64}, P(2, {}, {4, 4}, {4, 4}, {}, {}, 1, false)},
      {"130 outputs, stride 2",
       {2, 6, 7, 8},
       {130, 3, 3, 8},
       P(2, {2, 2}, {1, 1}, {2, 2}, {}, {}, 1, false)},
      {"groups, kernel dilation",
       {2, 6, 6, 12},
       {36, 3, 3, 3},
       P(2, {}, {2, 2}, {2, 2}, {2, 2}, {}, 4, false)},
      {"depthwise", {1, 9, 9, 16}, {16, 3, 3, 1}, P(2, {}, {1, 1}, {1, 1}, {}, {}, 16, false)},
      {"1-d input dilation flip", {3, 50, 5}, {33, 5, 5}, P(1, {3}, {3}, {1}, {}, {2}, 1, true)},
      {"3-d",
       {1, 5, 6, 4, 6},
       {40, 3, 2, 3, 6},
       P(3, {}, {1, 0, 1}, {1, 1, 0}, {1, 2, 1}, {}, 1, false)},
      {"1x1, 64 outputs", {4, 10, 10, 32}, {64, 1, 1, 32}, P(2, {}, {}, {}, {}, {}, 1, false)},
      {"valid, stride past the end",
       {1, 8, 8, 4},
       {5, 3, 3, 4},
       P(2, {2, 2}, {}, {}, {}, {}, 1, false)},
  };
  uint32_t seed = 300;
  for (const auto& g : cases) {
    SCOPED_TRACE(g.name);
    Case c = make_case(g.xs, g.ws, seed += 2);
    const Params& p = g.p;
    array y = conv_general(astype(c.X(), float32), astype(c.W(), float32), p.stride, p.lo, p.hi,
                           p.kdil, p.idil, p.groups, p.flip, device);
    EXPECT_EQ(y.dtype(), float32);
    EXPECT_TRUE(conv_matches(y, c, p, 1e-4));
    // bfloat16 (the CPU's AVX-512 BF16 kernel: channels in pairs, odd counts padded), against
    // float64 on the rounded values; one rounding of the float32 sums at the end.
    array xb = astype(c.X(), bfloat16), wb = astype(c.W(), bfloat16);
    Case cb{values(xb), values(wb), c.xs, c.ws};
    array yb = conv_general(xb, wb, p.stride, p.lo, p.hi, p.kdil, p.idil, p.groups, p.flip, device);
    EXPECT_EQ(yb.dtype(), bfloat16);
    EXPECT_TRUE(conv_matches(yb, cb, p, 1e-2));
  }
  // Operands in any layout (transposed, strided, reversed: negative strides) and a broadcast
  // weight, read in place by the CPU's direct kernel.
  Case c = make_case({2, 6, 5, 6}, {20, 3, 2, 3}, 350);
  Params p = P(2, {}, {1, 0}, {1, 1}, {}, {}, 2, false);
  for (tx::Layout lx : tx::all_layouts()) {
    for (tx::Layout lw : tx::all_layouts()) {
      SCOPED_TRACE(std::string(tx::layout_name(lx)) + " / " + tx::layout_name(lw));
      array x = tx::with_layout(c.x, c.xs, lx, float32),
            w = tx::with_layout(c.w, c.ws, lw, float32);
      EXPECT_TRUE(conv_matches(
          conv_general(x, w, p.stride, p.lo, p.hi, p.kdil, p.idil, p.groups, p.flip, device), c, p,
          1e-4));
    }
  }
  array wb = broadcast_to(astype(tx::rand64({1, 3, 2, 3}, -1, 1, 351), float32), {20, 3, 2, 3});
  Case d{c.x, values(wb), c.xs, c.ws};
  EXPECT_TRUE(conv_matches(conv_general(astype(c.X(), float32), wb, p.stride, p.lo, p.hi, p.kdil,
                                        p.idil, p.groups, p.flip, device),
                           d, p, 1e-4));
  // bfloat16 in every layout.
  for (tx::Layout lx : tx::all_layouts()) {
    for (tx::Layout lw : tx::all_layouts()) {
      SCOPED_TRACE(std::string("bfloat16 ") + tx::layout_name(lx) + " / " + tx::layout_name(lw));
      array x = tx::with_layout(c.x, c.xs, lx, bfloat16),
            w = tx::with_layout(c.w, c.ws, lw, bfloat16);
      Case cb{values(astype(c.X(), bfloat16)), values(astype(c.W(), bfloat16)), c.xs, c.ws};
      EXPECT_TRUE(conv_matches(
          conv_general(x, w, p.stride, p.lo, p.hi, p.kdil, p.idil, p.groups, p.flip, device), cb, p,
          1e-2));
    }
  }
}

// ------------------------------ transposed ------------------------------

DEVICE_TEST(ConvTranspose, AgainstScatterReference) {
  struct P {
    int s, pad, d, op, groups;
  };
  for (P q : {P{1, 0, 1, 0, 1}, P{2, 0, 1, 0, 1}, P{2, 1, 1, 1, 1}, P{3, 1, 2, 2, 1},
              P{2, 2, 2, 1, 2}, P{1, 1, 1, 0, 3}}) {
    SCOPED_TRACE(testing::Message() << "stride " << q.s << " pad " << q.pad << " dil " << q.d
                                    << " output_padding " << q.op << " groups " << q.groups);
    Case c = make_case({2, 5, 6}, {3 * q.groups, 3, 6 / q.groups}, 20 + q.s + q.pad);
    Shape os;
    auto want =
        ref_conv_transpose(c.x, c.xs, c.w, c.ws, {q.s}, {q.pad}, {q.d}, {q.op}, q.groups, os);
    EXPECT_TRUE(tandem_test::array_close(
        conv_transpose1d(c.X(), c.W(), q.s, q.pad, q.d, q.op, q.groups, device), want, os, 1e-12,
        1e-12));
  }
  Case c2 = make_case({1, 3, 4, 2}, {3, 3, 2, 2}, 30);
  Shape os2;
  auto w2 = ref_conv_transpose(c2.x, c2.xs, c2.w, c2.ws, {2, 3}, {1, 0}, {1, 2}, {1, 2}, 1, os2);
  EXPECT_TRUE(tandem_test::array_close(
      conv_transpose2d(c2.X(), c2.W(), {2, 3}, {1, 0}, {1, 2}, {1, 2}, 1, device), w2, os2, 1e-12,
      1e-12));
  Case c3 = make_case({1, 2, 3, 2, 4}, {4, 2, 2, 3, 2}, 31);
  Shape os3;
  auto w3 = ref_conv_transpose(c3.x, c3.xs, c3.w, c3.ws, {2, 1, 2}, {0, 1, 1}, {1, 1, 1}, {1, 0, 0},
                               2, os3);
  EXPECT_TRUE(tandem_test::array_close(
      conv_transpose3d(c3.X(), c3.W(), {2, 1, 2}, {0, 1, 1}, {1, 1, 1}, {1, 0, 0}, 2, device), w3,
      os3, 1e-12, 1e-12));
}

DEVICE_TEST(ConvTranspose, IsTheAdjointOfConv) {
  // <conv(x, w), y> == <x, conv_transpose(y, w^T)> with w^T swapping C_out and C_in, the output
  // padding chosen so the transposed output has x's length.
  struct P {
    int L, K, s, pad, d;
  };
  for (P q : {P{8, 3, 1, 0, 1}, P{9, 3, 2, 1, 1}, P{10, 3, 3, 2, 2}, P{7, 2, 2, 0, 3}}) {
    SCOPED_TRACE(testing::Message() << "L " << q.L << " K " << q.K << " stride " << q.s);
    array x = tx::rand64({2, q.L, 3}, -1, 1, 40 + q.L);
    array w = tx::rand64({4, q.K, 3}, -1, 1, 41 + q.L);
    array y0 = conv1d(x, w, q.s, q.pad, q.d, 1, device);
    array y = tx::rand64(y0.shape(), -1, 1, 42 + q.L);
    int lo = (y0.shape()[1] - 1) * q.s - 2 * q.pad + (q.K - 1) * q.d + 1;
    int op = q.L - lo;
    ASSERT_GE(op, 0);
    array xt = conv_transpose1d(y, swapaxes(w, 0, 2), q.s, q.pad, q.d, op, 1, device);
    ASSERT_EQ(xt.shape(), x.shape());
    EXPECT_NEAR(dot(y0, y), dot(x, xt), 1e-10);
  }
  // 2-d.
  array x = tx::rand64({1, 7, 6, 2}, -1, 1, 50);
  array w = tx::rand64({3, 3, 2, 2}, -1, 1, 51);
  array y0 = conv2d(x, w, {2, 2}, {1, 0}, {1, 2}, 1, device);  // (1, 4, 2, 3)
  array y = tx::rand64(y0.shape(), -1, 1, 52);
  array xt =
      conv_transpose2d(y, transpose(w, {3, 1, 2, 0}), {2, 2}, {1, 0}, {1, 2}, {0, 1}, 1, device);
  ASSERT_EQ(xt.shape(), x.shape());
  EXPECT_NEAR(dot(y0, y), dot(x, xt), 1e-10);
}

DEVICE_TEST(ConvTranspose, Dtypes) {
  Case c = make_case({1, 4, 2}, {2, 3, 2}, 60);
  Shape os;
  auto want = ref_conv_transpose(c.x, c.xs, c.w, c.ws, {2}, {1}, {1}, {1}, 1, os);
  for (Dtype t : {float32, float16, bfloat16}) {
    SCOPED_TRACE(dtype_name(t));
    array y = conv_transpose1d(astype(c.X(), t), astype(c.W(), t), 2, 1, 1, 1, 1, device);
    EXPECT_EQ(y.dtype(), t);
    double tol = t == float32 ? 1e-5 : (t == float16 ? 4e-3 : 3e-2);
    EXPECT_TRUE(tandem_test::array_close(y, want, os, tol, tol));
  }
}

// ------------------------------ derivatives ------------------------------

TEST(ConvGrad, InputAndWeight) {
  struct G {
    const char* name;
    Shape xs, ws;
    std::function<array(const array&, const array&)> f;
  };
  std::vector<G> cases{
      {"conv1d", {2, 6, 2}, {3, 3, 2}, [](const array& x, const array& w) { return conv1d(x, w); }},
      {"conv1d stride pad dil",
       {2, 9, 2},
       {3, 3, 2},
       [](const array& x, const array& w) { return conv1d(x, w, 2, 1, 2); }},
      {"conv1d groups",
       {1, 7, 4},
       {6, 2, 2},
       [](const array& x, const array& w) { return conv1d(x, w, 1, 1, 1, 2); }},
      {"conv1d depthwise",
       {2, 5, 3},
       {3, 3, 1},
       [](const array& x, const array& w) { return conv1d(x, w, 2, 2, 1, 3); }},
      {"conv2d",
       {1, 5, 4, 2},
       {2, 2, 3, 2},
       [](const array& x, const array& w) {
         return conv2d(x, w, {2, 1}, {1, 1}, {1, 2});
       }},
      {"conv3d",
       {1, 3, 4, 3, 1},
       {2, 2, 2, 2, 1},
       [](const array& x, const array& w) {
         return conv3d(x, w, {1, 2, 1}, {0, 1, 1});
       }},
      {"general input dilation flip",
       {1, 5, 2},
       {2, 3, 2},
       [](const array& x, const array& w) {
         return conv_general(x, w, {2}, {1}, {2}, {1}, {2}, 1, true, StreamOrDevice{});
       }},
      {"general 2d asym",
       {1, 4, 4, 4},
       {2, 2, 2, 2},
       [](const array& x, const array& w) {
         return conv_general(x, w, {1, 2}, {0, 2}, {1, 0}, {2, 1}, {1, 2}, 2, false,
                             StreamOrDevice{});
       }},
      {"conv_transpose1d",
       {2, 4, 2},
       {3, 3, 2},
       [](const array& x, const array& w) { return conv_transpose1d(x, w, 2, 1, 1, 1); }},
      {"conv_transpose2d groups",
       {1, 3, 3, 4},
       {4, 2, 3, 2},
       [](const array& x, const array& w) {
         return conv_transpose2d(x, w, {2, 1}, {0, 1}, {1, 1}, {1, 0}, 2);
       }},
  };
  uint32_t seed = 100;
  for (auto& c : cases) {
    SCOPED_TRACE(c.name);
    array x = tx::rand64(c.xs, -1, 1, seed++), w = tx::rand64(c.ws, -1, 1, seed++);
    auto f = c.f;
    tx::Fn fn = [f](const std::vector<array>& v) { return f(v[0], v[1]); };
    EXPECT_DERIVATIVES(fn, (std::vector<array>{x, w}));
  }
}

// The derivatives in float32 (the CPU's direct kernel: input dilation and cropping padding in
// the input gradient, large kernels in the weight gradient) agree with float64.
TEST(ConvGrad, Float32MatchesFloat64) {
  struct G {
    const char* name;
    Shape xs, ws;
    std::function<array(const array&, const array&)> f;
  };
  std::vector<G> cases{
      {"conv2d stride 2",
       {2, 9, 8, 5},
       {7, 3, 3, 5},
       [](const array& x, const array& w) {
         return conv2d(x, w, {2, 2}, {1, 1});
       }},
      {"conv2d 28x28 pad 1",
       {4, 28, 28, 3},
       {16, 3, 3, 3},
       [](const array& x, const array& w) {
         return conv2d(x, w, {1, 1}, {1, 1});
       }},
      {"conv1d dilation groups",
       {3, 20, 6},
       {10, 4, 3},
       [](const array& x, const array& w) { return conv1d(x, w, 1, 3, 2, 2); }},
      {"conv_transpose2d",
       {2, 5, 6, 4},
       {6, 3, 3, 4},
       [](const array& x, const array& w) {
         return conv_transpose2d(x, w, {2, 2}, {1, 0});
       }},
      // Depthwise: the weight gradient's packed "weights" (the cotangent, one output per group)
      // would be 16x the cotangent, so the direct kernel declines and im2col runs.
      {"depthwise 64 channels",
       {8, 64, 64, 64},
       {64, 3, 3, 1},
       [](const array& x, const array& w) {
         return conv2d(x, w, {1, 1}, {1, 1}, {1, 1}, 64);
       }},
  };
  uint32_t seed = 400;
  for (auto& c : cases) {
    SCOPED_TRACE(c.name);
    array x = tx::rand64(c.xs, -1, 1, seed++), w = tx::rand64(c.ws, -1, 1, seed++);
    auto f = c.f;
    ArrayFn fn = [f](const std::vector<array>& v) { return std::vector<array>{f(v[0], v[1])}; };
    array y = f(x, w);
    array cot = tx::rand64(y.shape(), -1, 1, seed++);
    auto [o64, g64] = vjp(fn, {x, w}, {cot});
    auto [o32, g32] = vjp(fn, {astype(x, float32), astype(w, float32)}, {astype(cot, float32)});
    for (int i = 0; i < 2; ++i) {
      EXPECT_EQ(g32[i].dtype(), float32);
      EXPECT_TRUE(tandem_test::array_close(g32[i], values(g64[i]), g64[i].shape(), 1e-4, 1e-4))
          << (i == 0 ? "input" : "weight");
    }
  }
}

TEST(ConvGrad, NonContiguousAndSecondOrder) {
  // Transposed / strided inputs.
  for (tx::Layout l : tx::all_layouts()) {
    SCOPED_TRACE(tx::layout_name(l));
    array x = tx::with_layout(tx::rand_values(24, -1, 1, 200), {2, 4, 3}, l);
    array w = tx::with_layout(tx::rand_values(18, -1, 1, 201), {3, 2, 3}, l);
    EXPECT_DERIVATIVES([](const std::vector<array>& v) { return conv1d(v[0], v[1], 1, 1); },
                       (std::vector<array>{x, w}));
  }
  // The gradient rules are convolutions themselves: differentiate the input gradient again.
  array w = tx::rand64({2, 3, 2}, -1, 1, 202);
  array x = tx::rand64({1, 6, 2}, -1, 1, 203);
  tx::Fn g = [w](const std::vector<array>& v) {
    auto gf = grad([w](const array& a) { return sum(square(conv1d(a, w, 2, 1))); });
    return gf(v[0]);
  };
  EXPECT_DERIVATIVES(g, (std::vector<array>{x}), 1e-5);
}

// ------------------------------ vmap ------------------------------

TEST(ConvVmap, BatchedInputAndWeights) {
  auto f = tx::binary_v([](const array& x, const array& w) { return conv1d(x, w, 2, 1, 1, 1); });
  array xb = tx::rand64({3, 2, 7, 2}, -1, 1, 300);  // batch of (2, 7, 2)
  array wb = tx::rand64({3, 4, 3, 2}, -1, 1, 301);  // batch of (4, 3, 2)
  array x = tx::rand64({2, 7, 2}, -1, 1, 302);
  array w = tx::rand64({4, 3, 2}, -1, 1, 303);
  EXPECT_VMAP(f, (std::vector<array>{xb, w}), {0, -1});
  EXPECT_VMAP(f, (std::vector<array>{x, wb}), {-1, 0});
  EXPECT_VMAP(f, (std::vector<array>{xb, wb}), {0, 0});
  // Batch axes that are not leading.
  EXPECT_VMAP(f, (std::vector<array>{moveaxis(xb, 0, 2), w}), {2, -1});
  EXPECT_VMAP(f, (std::vector<array>{xb, moveaxis(wb, 0, 3)}), {0, 3});
  // 2-d with groups.
  auto g = tx::binary_v([](const array& x, const array& w) {
    return conv2d(x, w, {1, 2}, {1, 0}, {1, 1}, 2);
  });
  EXPECT_VMAP(g,
              (std::vector<array>{tx::rand64({2, 1, 4, 5, 4}, -1, 1, 304),
                                  tx::rand64({4, 2, 2, 2}, -1, 1, 305)}),
              {0, -1});
  EXPECT_VMAP(g,
              (std::vector<array>{tx::rand64({1, 4, 5, 4}, -1, 1, 306),
                                  tx::rand64({2, 4, 2, 2, 2}, -1, 1, 307)}),
              {-1, 0});
  // vmap of the gradient with respect to the weight.
  auto gw = tx::binary_v([](const array& x, const array& w) {
    return grad([x](const array& ww) { return sum(square(conv1d(x, ww, 1, 1))); })(w);
  });
  EXPECT_VMAP(gw, (std::vector<array>{xb, w}), {0, -1}, {}, 1e-10);
}

// ------------------------------ errors ------------------------------

DEVICE_TEST(ConvErrors, Messages) {
  using E = std::invalid_argument;
  array x1 = zeros({1, 5, 4}), w1 = zeros({2, 3, 4});
  array x2 = zeros({1, 5, 5, 4}), w2 = zeros({2, 3, 3, 4});
  EXPECT_THROW_MSG(conv1d(x2, w2, 1, 0, 1, 1, device), E,
                   "[conv1d] Input must be (N, L, C); got shape (1,5,5,4).");
  EXPECT_THROW_MSG(conv2d(x1, w1, {1, 1}, {0, 0}, {1, 1}, 1, device), E,
                   "[conv2d] Input must be (N, H, W, C); got shape (1,5,4).");
  EXPECT_THROW_MSG(conv3d(x2, w2, {1, 1, 1}, {0, 0, 0}, {1, 1, 1}, 1, device), E,
                   "[conv3d] Input must be (N, D, H, W, C)");
  EXPECT_THROW_MSG(conv_general(zeros({5, 4}), zeros({2, 4}), {}, {}, {}, {}, {}, 1, false, device),
                   E, "[conv] Input must have 1 to 3 spatial dimensions");
  EXPECT_THROW_MSG(conv1d(x1, w2, 1, 0, 1, 1, device), E,
                   "[conv] Weight of shape (2,3,3,4) must have the input's rank 3");
  // Channel mismatch.
  EXPECT_THROW_MSG(conv1d(x1, zeros({2, 3, 3}), 1, 0, 1, 1, device), E,
                   "[conv] Expected weight with 4 input channels (input shape (1,5,4), groups 1); "
                   "got weight shape (2,3,3).");
  EXPECT_THROW_MSG(conv1d(x1, zeros({2, 3, 4}), 1, 0, 1, 2, device), E,
                   "[conv] Expected weight with 2 input channels");
  // Groups that do not divide the channels.
  EXPECT_THROW_MSG(conv1d(zeros({1, 5, 3}), zeros({4, 3, 1}), 1, 0, 1, 2, device), E,
                   "[conv] Input channels 3 and output channels 4 must both be divisible by "
                   "groups 2.");
  EXPECT_THROW_MSG(conv1d(x1, zeros({3, 3, 2}), 1, 0, 1, 2, device), E,
                   "must both be divisible by groups 2");
  EXPECT_THROW_MSG(conv1d(x1, w1, 1, 0, 1, 0, device), E, "[conv] groups must be positive");
  // Negative padding, bad stride/dilation.
  EXPECT_THROW_MSG(conv1d(x1, w1, 1, -1, 1, 1, device), E,
                   "[conv] Padding must be non-negative; got (-1) and (-1).");
  EXPECT_THROW_MSG(conv_general(x2, w2, {1, 1}, {0, 0}, {0, -2}, {1, 1}, {1, 1}, 1, false, device),
                   E, "[conv] Padding must be non-negative");
  EXPECT_THROW_MSG(conv1d(x1, w1, 0, 0, 1, 1, device), E,
                   "[conv] Strides and dilations must be positive");
  EXPECT_THROW_MSG(conv1d(x1, w1, 1, 0, 0, 1, device), E,
                   "[conv] Strides and dilations must be positive");
  EXPECT_THROW_MSG(conv_general(x1, w1, {1}, {0}, {0}, {1}, {0}, 1, false, device), E,
                   "[conv] Strides and dilations must be positive");
  EXPECT_THROW_MSG(conv_general(x2, w2, {1, 1, 1}, {0}, {0}, {1}, {1}, 1, false, device), E,
                   "[conv] stride (1,1,1) must have one entry per spatial axis (2).");
  // Kernel larger than the (padded) input.
  EXPECT_THROW_MSG(conv1d(zeros({1, 2, 4}), w1, 1, 0, 1, 1, device), E,
                   "[conv] The padded input of shape (1,2,4) is smaller than the dilated kernel of "
                   "shape (2,3,4) on spatial axis 0.");
  EXPECT_THROW_MSG(conv1d(x1, w1, 1, 0, 3, 1, device), E, "is smaller than the dilated kernel");
  EXPECT_THROW_MSG(conv2d(zeros({1, 0, 5, 4}), w2, {1, 1}, {1, 1}, {1, 1}, 1, device), E,
                   "[conv] The padded input");
  // Integer dtypes.
  EXPECT_THROW_MSG(conv1d(zeros({1, 5, 4}, int32), zeros({2, 3, 4}, int32), 1, 0, 1, 1, device), E,
                   "[conv] Only floating-point inputs are supported; got int32 and int32.");
  // Transposed.
  EXPECT_THROW_MSG(conv_transpose2d(x1, w1, {1, 1}, {0, 0}, {1, 1}, {0, 0}, 1, device), E,
                   "[conv_transpose2d] Input must be (N, H, W, C); got shape (1,5,4).");
  EXPECT_THROW_MSG(conv_transpose1d(x2, w2, 1, 0, 1, 0, 1, device), E,
                   "[conv_transpose1d] Input must be (N, L, C)");
  EXPECT_THROW_MSG(conv_transpose3d(x2, w2, {1, 1, 1}, {0, 0, 0}, {1, 1, 1}, {0, 0, 0}, 1, device),
                   E, "[conv_transpose3d] Input must be (N, D, H, W, C)");
  EXPECT_THROW_MSG(conv_transpose2d(x2, w1, {1, 1}, {0, 0}, {1, 1}, {0, 0}, 1, device), E,
                   "[conv_transpose2d] Weight of shape (2,3,4) must have rank 4.");
  EXPECT_THROW_MSG(conv_transpose2d(x2, w2, {2, 1}, {0, 0}, {1, 1}, {2, 0}, 1, device), E,
                   "[conv_transpose2d] output_padding must be in [0, max(stride, dilation)); got "
                   "2.");
  EXPECT_THROW_MSG(conv_transpose2d(x2, w2, {1, 1}, {0, 0}, {1, 1}, {0, -1}, 1, device), E,
                   "[conv_transpose2d] output_padding");
  EXPECT_THROW_MSG(conv_transpose2d(x2, w2, {1, 1}, {3, 0}, {1, 1}, {0, 0}, 1, device), E,
                   "[conv_transpose2d] padding 3 is larger than the dilated kernel extent 2.");
  EXPECT_THROW_MSG(
      conv_transpose2d(x2, zeros({2, 3, 3, 3}), {1, 1}, {0, 0}, {1, 1}, {0, 0}, 1, device), E,
      "[conv] Expected weight with 4 input channels");
}
