// Copyright © 2026 Tandem authors.
// The fft namespace (include/tandem/fft.h): argument checks, cropping / zero-padding to the
// transform sizes, dtype conversion, then one FFT primitive (src/primitives/fft.h).
#include "tandem/fft.h"

#include <numeric>
#include <set>

#include "ops/ops_common.h"
#include "primitives/fft.h"

namespace tandem {

using detail::fail;

array detail::fft_apply(const array& in, const std::vector<int>& axes, bool inverse, bool real,
                        int n_last, const Stream& s) {
  Shape out_shape = in.shape();
  if (real) {
    int last = axes.back();
    out_shape[last] = inverse ? n_last : in.shape(last) / 2 + 1;
  }
  return detail::make<FFT>(std::move(out_shape), real && inverse ? float32 : complex64, {in}, s,
                           axes, inverse, real, real && inverse ? n_last : 0);
}

namespace fft {

namespace {

std::string axes_string(const std::vector<int>& v) {
  std::string r = "(";
  for (size_t i = 0; i < v.size(); ++i)
    r += (i ? ", " : "") + std::to_string(v[i]);
  return r + (v.size() == 1 ? ",)" : ")");
}

// The transform of `a` over `axes` with sizes `n` (for irfft: the real output sizes).
array fft_impl(const array& a, const Shape& n, const std::vector<int>& axes, bool real,
               bool inverse, const char* op, StreamOrDevice sd) {
  if (a.ndim() < 1) fail(op, "Requires an array with at least one dimension, got a 0-d array.");
  if (n.size() != axes.size()) {
    fail(op, "Sizes " + shape_to_string(n) + " and axes " + axes_string(axes) +
                 " have different lengths.");
  }
  if (axes.empty()) return a;
  std::vector<int> ax;
  for (int x : axes) {
    int v = x < 0 ? x + a.ndim() : x;
    if (v < 0 || v >= a.ndim()) {
      fail(op, "Invalid axis " + std::to_string(x) + " for an array with " +
                   std::to_string(a.ndim()) + " dimensions (shape " + shape_to_string(a.shape()) +
                   ").");
    }
    ax.push_back(v);
  }
  if (std::set<int>(ax.begin(), ax.end()).size() != ax.size()) {
    fail(op, "Repeated axis in " + axes_string(axes) + ".");
  }
  for (int v : n) {
    if (v <= 0) {
      fail(op, "Invalid transform size " + std::to_string(v) + " in " + shape_to_string(n) +
                   " for an input of shape " + shape_to_string(a.shape()) +
                   " (sizes must be positive).");
    }
  }
  if (real && !inverse && a.dtype() == complex64) {
    fail(op, "Input must be real, got complex64 (use fft for complex input).");
  }
  Stream s = to_stream(sd);
  Dtype in_type = real && !inverse ? float32 : complex64;
  // Sizes of the transform's input: n, or n / 2 + 1 on the last axis of an irfft.
  Shape in_shape = a.shape();
  for (size_t i = 0; i < ax.size(); ++i)
    in_shape[ax[i]] = n[i];
  if (real && inverse) in_shape[ax.back()] = n.back() / 2 + 1;
  array in = a;
  // Crop first (less to convert), then convert, then zero-pad.
  Shape crop = in.shape();
  bool any_less = false, any_greater = false;
  for (int d = 0; d < a.ndim(); ++d) {
    any_less = any_less || in_shape[d] < a.shape(d);
    any_greater = any_greater || in_shape[d] > a.shape(d);
    crop[d] = std::min(in_shape[d], a.shape(d));
  }
  if (any_less) in = slice(in, Shape(a.ndim(), 0), crop, s);
  if (in.dtype() != in_type) in = astype(in, in_type, s);
  if (any_greater) {
    std::vector<std::pair<int, int>> widths(a.ndim());
    for (int d = 0; d < a.ndim(); ++d)
      widths[d] = {0, in_shape[d] - crop[d]};
    in = pad(in, widths, array(0.0f, in_type), "constant", s);
  }
  return detail::fft_apply(in, ax, inverse, real, real && inverse ? n.back() : 0, s);
}

// Default sizes: the axes' extents (for irfft, 2 * (m - 1) on the last one).
array fft_impl(const array& a, const std::vector<int>& axes, bool real, bool inverse,
               const char* op, StreamOrDevice s) {
  if (a.ndim() < 1) fail(op, "Requires an array with at least one dimension, got a 0-d array.");
  Shape n;
  for (int x : axes) {
    int v = x < 0 ? x + a.ndim() : x;
    if (v < 0 || v >= a.ndim()) {
      fail(op, "Invalid axis " + std::to_string(x) + " for an array with " +
                   std::to_string(a.ndim()) + " dimensions (shape " + shape_to_string(a.shape()) +
                   ").");
    }
    n.push_back(a.shape(v));
  }
  if (real && inverse && !n.empty()) n.back() = 2 * (n.back() - 1);
  return fft_impl(a, n, axes, real, inverse, op, s);
}

std::vector<int> all_axes(const array& a) {
  std::vector<int> axes(a.ndim());
  std::iota(axes.begin(), axes.end(), 0);
  return axes;
}

// Rolls each of `axes` by shift(size).
template <typename F>
array shift_impl(const array& a, const std::vector<int>& axes, const char* op, F shift,
                 StreamOrDevice s) {
  if (axes.empty()) return a;
  Shape shifts;
  for (int x : axes) {
    int v = x < 0 ? x + a.ndim() : x;
    if (v < 0 || v >= a.ndim()) {
      fail(op, "Invalid axis " + std::to_string(x) + " for an array with " +
                   std::to_string(a.ndim()) + " dimensions.");
    }
    shifts.push_back(shift(a.shape(v)));
  }
  return roll(a, shifts, axes, s);
}

}  // namespace

array fftn(const array& a, const Shape& n, const std::vector<int>& axes, StreamOrDevice s) {
  return fft_impl(a, n, axes, false, false, "fftn", s);
}
array fftn(const array& a, const std::vector<int>& axes, StreamOrDevice s) {
  return fft_impl(a, axes, false, false, "fftn", s);
}
array fftn(const array& a, StreamOrDevice s) {
  return fft_impl(a, all_axes(a), false, false, "fftn", s);
}
array ifftn(const array& a, const Shape& n, const std::vector<int>& axes, StreamOrDevice s) {
  return fft_impl(a, n, axes, false, true, "ifftn", s);
}
array ifftn(const array& a, const std::vector<int>& axes, StreamOrDevice s) {
  return fft_impl(a, axes, false, true, "ifftn", s);
}
array ifftn(const array& a, StreamOrDevice s) {
  return fft_impl(a, all_axes(a), false, true, "ifftn", s);
}

array fft(const array& a, int n, int axis, StreamOrDevice s) {
  return fft_impl(a, {n}, {axis}, false, false, "fft", s);
}
array fft(const array& a, int axis, StreamOrDevice s) {
  return fft_impl(a, {axis}, false, false, "fft", s);
}
array ifft(const array& a, int n, int axis, StreamOrDevice s) {
  return fft_impl(a, {n}, {axis}, false, true, "ifft", s);
}
array ifft(const array& a, int axis, StreamOrDevice s) {
  return fft_impl(a, {axis}, false, true, "ifft", s);
}

array fft2(const array& a, const Shape& n, const std::vector<int>& axes, StreamOrDevice s) {
  return fft_impl(a, n, axes, false, false, "fft2", s);
}
array fft2(const array& a, const std::vector<int>& axes, StreamOrDevice s) {
  return fft_impl(a, axes, false, false, "fft2", s);
}
array ifft2(const array& a, const Shape& n, const std::vector<int>& axes, StreamOrDevice s) {
  return fft_impl(a, n, axes, false, true, "ifft2", s);
}
array ifft2(const array& a, const std::vector<int>& axes, StreamOrDevice s) {
  return fft_impl(a, axes, false, true, "ifft2", s);
}

array rfftn(const array& a, const Shape& n, const std::vector<int>& axes, StreamOrDevice s) {
  return fft_impl(a, n, axes, true, false, "rfftn", s);
}
array rfftn(const array& a, const std::vector<int>& axes, StreamOrDevice s) {
  return fft_impl(a, axes, true, false, "rfftn", s);
}
array rfftn(const array& a, StreamOrDevice s) {
  return fft_impl(a, all_axes(a), true, false, "rfftn", s);
}
array rfft(const array& a, int n, int axis, StreamOrDevice s) {
  return fft_impl(a, {n}, {axis}, true, false, "rfft", s);
}
array rfft(const array& a, int axis, StreamOrDevice s) {
  return fft_impl(a, {axis}, true, false, "rfft", s);
}
array rfft2(const array& a, const Shape& n, const std::vector<int>& axes, StreamOrDevice s) {
  return fft_impl(a, n, axes, true, false, "rfft2", s);
}
array rfft2(const array& a, const std::vector<int>& axes, StreamOrDevice s) {
  return fft_impl(a, axes, true, false, "rfft2", s);
}

array irfftn(const array& a, const Shape& n, const std::vector<int>& axes, StreamOrDevice s) {
  return fft_impl(a, n, axes, true, true, "irfftn", s);
}
array irfftn(const array& a, const std::vector<int>& axes, StreamOrDevice s) {
  return fft_impl(a, axes, true, true, "irfftn", s);
}
array irfftn(const array& a, StreamOrDevice s) {
  return fft_impl(a, all_axes(a), true, true, "irfftn", s);
}
array irfft(const array& a, int n, int axis, StreamOrDevice s) {
  return fft_impl(a, {n}, {axis}, true, true, "irfft", s);
}
array irfft(const array& a, int axis, StreamOrDevice s) {
  return fft_impl(a, {axis}, true, true, "irfft", s);
}
array irfft2(const array& a, const Shape& n, const std::vector<int>& axes, StreamOrDevice s) {
  return fft_impl(a, n, axes, true, true, "irfft2", s);
}
array irfft2(const array& a, const std::vector<int>& axes, StreamOrDevice s) {
  return fft_impl(a, axes, true, true, "irfft2", s);
}

array fftshift(const array& a, const std::vector<int>& axes, StreamOrDevice s) {
  return shift_impl(
      a, axes, "fftshift", [](int size) { return size / 2; }, s);
}
array fftshift(const array& a, StreamOrDevice s) {
  return fftshift(a, all_axes(a), s);
}
array ifftshift(const array& a, const std::vector<int>& axes, StreamOrDevice s) {
  return shift_impl(
      a, axes, "ifftshift", [](int size) { return (size + 1) / 2; }, s);
}
array ifftshift(const array& a, StreamOrDevice s) {
  return ifftshift(a, all_axes(a), s);
}

}  // namespace fft
}  // namespace tandem
