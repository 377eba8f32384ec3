// Copyright © 2026 Tandem authors.
// Shapes, derivative and batching rules of the FFT primitive.
//
// Complex cotangents follow the convention of the other rules (Real, Imag, Multiply): for a real
// loss L of a complex z, dL = Re(c * dz) with c the cotangent of z. Every transform is linear over
// the reals, so the jvp applies the same transform to the tangent, and the vjp applies the
// transpose of its matrix to the cotangent:
//  - fft / ifft: the DFT matrix F and its inverse conj(F) / N are symmetric, so the vjp is the
//    same transform again (fft for fft, normalised ifft for ifft).
//  - rfft (y = crop(F x) with x real): c_x = Re(F pad(c)), the cotangent zero-padded back to n
//    on the halved axis.
//  - irfft (y = Re(G x), G[j, k] = w_k e^{+2 pi i jk/n} / N over the kept half, w_k = 1 for the
//    zero frequency and, for even n, the Nyquist one, 2 for the others, which stand for their
//    conjugate partners): c_x = w * crop(ifft(c)) on the halved axis.
// vmap moves the batch axis to the front and shifts the transform axes by one.
#include <numeric>

#include "primitives/fft.h"
#include "primitives/rules_common.h"
#include "tandem/fft.h"

namespace tandem {

std::vector<Shape> FFT::output_shapes(const std::vector<array>& inputs) {
  Shape out = inputs[0].shape();
  if (real_) {
    int last = axes_.back();
    out[last] = inverse_ ? n_last_ : out[last] / 2 + 1;
  }
  return {out};
}

bool FFT::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const FFT*>(&other);
  return o && o->axes_ == axes_ && o->inverse_ == inverse_ && o->real_ == real_ &&
         o->n_last_ == n_last_;
}

std::vector<array> FFT::vjp(const std::vector<array>& primals, const std::vector<array>& cots,
                            const std::vector<int>&, const std::vector<array>&) {
  const Stream& s = stream();
  const array& x = primals[0];
  array c = cots[0];
  if (!real_) {
    return {detail::fft_apply(astype(c, complex64, s), axes_, inverse_, false, 0, s)};
  }
  int last = axes_.back();
  if (!inverse_) {
    // rfft: pad the cotangent (n / 2 + 1 frequencies) back to n with zeros, transform, real part.
    int n = x.shape(last);
    c = astype(c, complex64, s);
    std::vector<std::pair<int, int>> widths(c.ndim(), {0, 0});
    widths[last] = {0, n - c.shape(last)};
    if (n > c.shape(last)) c = pad(c, widths, array(0.0f, complex64), "constant", s);
    return {astype(tandem::real(detail::fft_apply(c, axes_, false, false, 0, s), s), x.dtype(), s)};
  }
  // irfft: inverse complex transform of the cotangent, keep the first m frequencies, weight.
  int n = n_last_;
  int m = x.shape(last);
  array g = detail::fft_apply(astype(c, complex64, s), axes_, true, false, 0, s);
  Shape stop = g.shape();
  stop[last] = m;
  g = slice(g, Shape(g.ndim(), 0), stop, s);
  std::vector<float> w(m, 2.0f);
  w[0] = 1.0f;
  if (n % 2 == 0 && m - 1 == n / 2) w[m - 1] = 1.0f;
  Shape ws(g.ndim(), 1);
  ws[last] = m;
  return {multiply(g, array(w, ws, float32), s)};
}

std::vector<array> FFT::jvp(const std::vector<array>& primals, const std::vector<array>& tangents,
                            const std::vector<int>&) {
  const Stream& s = stream();
  array t = astype(tangents[0], primals[0].dtype(), s);
  return {detail::fft_apply(t, axes_, inverse_, real_, n_last_, s)};
}

std::pair<std::vector<array>, std::vector<int>> FFT::vmap(const std::vector<array>& inputs,
                                                          const std::vector<int>& axes) {
  const Stream& s = stream();
  if (axes[0] < 0)
    return {{detail::fft_apply(inputs[0], axes_, inverse_, real_, n_last_, s)}, {-1}};
  array x = rules::batch_to_front(inputs[0], axes[0], s);
  std::vector<int> ax = axes_;
  for (int& a : ax)
    ++a;
  return {{detail::fft_apply(x, ax, inverse_, real_, n_last_, s)}, {0}};
}

}  // namespace tandem
