// Copyright © 2026 Tandem authors.
// Derivative and batching rules of Convolution, written as convolutions so they run on every
// device and compose (second derivatives included).
#include <numeric>

#include "primitives/conv.h"
#include "primitives/rules_common.h"

namespace tandem {

array conv_general_unchecked(const array& in, const array& w, const std::vector<int>& stride,
                             const std::vector<int>& lo, const std::vector<int>& hi,
                             const std::vector<int>& kdil, const std::vector<int>& idil,
                             int groups, bool flip, StreamOrDevice s);

namespace {

// (C_out, K..., C_in/G) -> (C_in, K..., C_out/G): swap the channel roles within each group.
array swap_channels(const array& w, int groups, const Stream& s) {
  int sp = w.ndim() - 2;
  int cout = w.shape()[0], cgi = w.shape(-1), cgo = cout / groups;
  Shape g = {groups, cgo};
  for (int i = 0; i < sp; ++i) g.push_back(w.shape()[1 + i]);
  g.push_back(cgi);
  array x = reshape(w, g, s);  // (G, Cgo, K..., Cgi)
  std::vector<int> perm{0, sp + 2};
  for (int i = 0; i < sp; ++i) perm.push_back(2 + i);
  perm.push_back(1);
  x = transpose(x, perm, s);  // (G, Cgi, K..., Cgo)
  Shape r = {groups * cgi};
  for (int i = 0; i < sp; ++i) r.push_back(w.shape()[1 + i]);
  r.push_back(cgo);
  return reshape(x, r, s);
}

}  // namespace

std::vector<array> Convolution::vjp(const std::vector<array>& primals,
                                    const std::vector<array>& cots,
                                    const std::vector<int>& argnums, const std::vector<array>&) {
  const Stream& s = stream();
  const array& x = primals[0];
  const array& w = primals[1];
  const array& cot = cots[0];
  const int sp = x.ndim() - 2;
  std::vector<array> out;
  for (int a : argnums) {
    if (a == 0) {
      // d input: convolve the stride-dilated cotangent with the flipped, channel-swapped kernel,
      // then keep every input_dilation-th position.
      std::vector<int> lo(sp), hi(sp), one(sp, 1);
      for (int i = 0; i < sp; ++i) {
        int keff = (w.shape()[1 + i] - 1) * kernel_dilation_[i];
        int ldil = (x.shape()[1 + i] - 1) * input_dilation_[i] + 1;
        int lc = (cot.shape()[1 + i] - 1) * stride_[i] + 1;
        lo[i] = keff - padding_lo_[i];
        hi[i] = ldil - lc + padding_lo_[i];
      }
      array dx = conv_general_unchecked(cot, swap_channels(w, groups_, s), one, lo, hi,
                                        kernel_dilation_, stride_, groups_, !flip_, s);
      bool dil = false;
      for (int v : input_dilation_) dil |= v > 1;
      if (dil) {
        Shape st(dx.ndim(), 0), en = dx.shape(), str(dx.ndim(), 1);
        for (int i = 0; i < sp; ++i) str[1 + i] = input_dilation_[i];
        dx = slice(dx, st, en, str, s);
      }
      out.push_back(dx);
    } else {
      // d weight: a convolution over the batch, with input channels as the batch.
      int G = groups_;
      int N = x.shape()[0], cgi = x.shape(-1) / G;
      Shape xs = {N};
      for (int i = 0; i < sp; ++i) xs.push_back(x.shape()[1 + i]);
      xs.push_back(G);
      xs.push_back(cgi);
      std::vector<int> px{sp + 2};
      for (int i = 0; i < sp; ++i) px.push_back(1 + i);
      px.push_back(sp + 1);
      px.push_back(0);
      array xx = transpose(reshape(x, xs, s), px, s);  // (Cgi, S..., G, N)
      Shape xr = {cgi};
      for (int i = 0; i < sp; ++i) xr.push_back(x.shape()[1 + i]);
      xr.push_back(G * N);
      xx = reshape(xx, xr, s);
      std::vector<int> pc{sp + 1};
      for (int i = 0; i < sp; ++i) pc.push_back(1 + i);
      pc.push_back(0);
      array kk = transpose(cot, pc, s);  // (C_out, So..., N)
      std::vector<int> one(sp, 1);
      array r = conv_general_unchecked(xx, kk, kernel_dilation_, padding_lo_, padding_hi_, stride_,
                                       input_dilation_, G, false, s);  // (Cgi, K'..., C_out)
      Shape st(r.ndim(), 0), en = r.shape();
      for (int i = 0; i < sp; ++i) en[1 + i] = w.shape()[1 + i];
      r = slice(r, st, en, s);
      if (flip_) {
        std::vector<int> axes(sp);
        std::iota(axes.begin(), axes.end(), 1);
        r = flip(r, axes, s);
      }
      out.push_back(transpose(r, pc, s));  // (C_out, K..., Cgi)
    }
  }
  return out;
}

std::vector<array> Convolution::jvp(const std::vector<array>& primals,
                                    const std::vector<array>& tangents,
                                    const std::vector<int>& argnums) {
  std::optional<array> total;
  for (size_t k = 0; k < argnums.size(); ++k) {
    const array& in = argnums[k] == 0 ? tangents[k] : primals[0];
    const array& w = argnums[k] == 1 ? tangents[k] : primals[1];
    array t = conv_general_unchecked(in, w, stride_, padding_lo_, padding_hi_, kernel_dilation_,
                                     input_dilation_, groups_, flip_, stream());
    total = total ? add(*total, t, stream()) : t;
  }
  return {*total};
}

std::pair<std::vector<array>, std::vector<int>> Convolution::vmap(const std::vector<array>& inputs,
                                                                  const std::vector<int>& axes) {
  const Stream& s = stream();
  auto conv = [&](const array& in, const array& w) {
    return conv_general_unchecked(in, w, stride_, padding_lo_, padding_hi_, kernel_dilation_,
                                  input_dilation_, groups_, flip_, s);
  };
  if (axes[1] < 0) {
    // Fold the batch into N.
    array x = moveaxis(inputs[0], axes[0], 0, s);
    Shape sh = x.shape();
    Shape merged(sh.begin() + 1, sh.end());
    merged[0] *= sh[0];
    array y = conv(reshape(x, merged, s), inputs[1]);
    Shape back = y.shape();
    back[0] = sh[1];
    back.insert(back.begin(), sh[0]);
    return {{reshape(y, back, s)}, {0}};
  }
  // Batched weights: one convolution per batch element.
  auto ws = unstack(inputs[1], axes[1], s);
  std::vector<array> xs;
  if (axes[0] >= 0) xs = unstack(inputs[0], axes[0], s);
  std::vector<array> outs;
  for (size_t b = 0; b < ws.size(); ++b) outs.push_back(conv(axes[0] >= 0 ? xs[b] : inputs[0], ws[b]));
  return {{stack(outs, 0, s)}, {0}};
}

}  // namespace tandem
