// Copyright © 2026 Tandem authors.
// Discrete Fourier transforms (MLX's fft.h): names, arguments and semantics follow MLX (NumPy's
// numpy.fft where MLX is silent).
//
//  - fft/ifft (1-D), fft2/ifft2 (default axes {-2, -1}), fftn/ifftn (default: all axes) are
//    complex-to-complex; real and integer inputs are converted to complex64 (float64 too: the
//    only complex dtype is complex64, as in MLX).
//  - rfft/rfft2/rfftn take a real input (converted to float32; complex input is an error) and
//    return the non-negative frequencies of the last transformed axis: n / 2 + 1 of them.
//  - irfft/irfft2/irfftn invert them: the last transformed axis holds n / 2 + 1 frequencies
//    (Hermitian symmetry is assumed; the imaginary parts of the zero and, for even n, the
//    Nyquist frequency are ignored) and the real output has n values along it (default
//    n = 2 * (m - 1) for m input frequencies). Output float32.
//  - `n` (one size per axis) crops or zero-pads the input along each axis before the transform
//    (for irfft: n is the output size, the input is cropped or padded to n / 2 + 1).
//  - Forward transforms are unnormalised; inverse transforms divide by the product of the sizes
//    (NumPy's "backward" normalisation).
//  - fftshift/ifftshift roll the zero frequency to the centre and back (default: all axes).
//
// Errors ("[op] ..."): a 0-d input, an axis out of range or repeated, n and axes of different
// lengths, a size n <= 0 (also the default size of an empty axis or of irfft on one frequency).
// Kernels: radix-2 / Bluestein FFTs computed in double on the CPU (threaded over the batch);
// cuFFT on the GPU.
#pragma once

#include <vector>

#include "tandem/array.h"
#include "tandem/stream.h"

namespace tandem::fft {

/// n-dimensional transform over `axes` with sizes `n`.
array fftn(const array& a, const Shape& n, const std::vector<int>& axes, StreamOrDevice s = {});
array fftn(const array& a, const std::vector<int>& axes, StreamOrDevice s = {});
array fftn(const array& a, StreamOrDevice s = {});

/// n-dimensional inverse transform.
array ifftn(const array& a, const Shape& n, const std::vector<int>& axes, StreamOrDevice s = {});
array ifftn(const array& a, const std::vector<int>& axes, StreamOrDevice s = {});
array ifftn(const array& a, StreamOrDevice s = {});

/// One-dimensional transform along `axis` (size n).
array fft(const array& a, int n, int axis, StreamOrDevice s = {});
array fft(const array& a, int axis = -1, StreamOrDevice s = {});
array ifft(const array& a, int n, int axis, StreamOrDevice s = {});
array ifft(const array& a, int axis = -1, StreamOrDevice s = {});

/// Two-dimensional transforms.
array fft2(const array& a, const Shape& n, const std::vector<int>& axes, StreamOrDevice s = {});
array fft2(const array& a, const std::vector<int>& axes = {-2, -1}, StreamOrDevice s = {});
array ifft2(const array& a, const Shape& n, const std::vector<int>& axes, StreamOrDevice s = {});
array ifft2(const array& a, const std::vector<int>& axes = {-2, -1}, StreamOrDevice s = {});

/// Transforms of real input (the last axis of `axes` is halved).
array rfftn(const array& a, const Shape& n, const std::vector<int>& axes, StreamOrDevice s = {});
array rfftn(const array& a, const std::vector<int>& axes, StreamOrDevice s = {});
array rfftn(const array& a, StreamOrDevice s = {});
array rfft(const array& a, int n, int axis, StreamOrDevice s = {});
array rfft(const array& a, int axis = -1, StreamOrDevice s = {});
array rfft2(const array& a, const Shape& n, const std::vector<int>& axes, StreamOrDevice s = {});
array rfft2(const array& a, const std::vector<int>& axes = {-2, -1}, StreamOrDevice s = {});

/// Inverses of the real transforms (n: the real output sizes).
array irfftn(const array& a, const Shape& n, const std::vector<int>& axes, StreamOrDevice s = {});
array irfftn(const array& a, const std::vector<int>& axes, StreamOrDevice s = {});
array irfftn(const array& a, StreamOrDevice s = {});
array irfft(const array& a, int n, int axis, StreamOrDevice s = {});
array irfft(const array& a, int axis = -1, StreamOrDevice s = {});
array irfft2(const array& a, const Shape& n, const std::vector<int>& axes, StreamOrDevice s = {});
array irfft2(const array& a, const std::vector<int>& axes = {-2, -1}, StreamOrDevice s = {});

/// Moves the zero frequency to the centre: roll by size / 2 along each axis (default: all).
array fftshift(const array& a, StreamOrDevice s = {});
array fftshift(const array& a, const std::vector<int>& axes, StreamOrDevice s = {});
/// The inverse of fftshift: roll by (size + 1) / 2 (that is, by -(size / 2)) along each axis.
array ifftshift(const array& a, StreamOrDevice s = {});
array ifftshift(const array& a, const std::vector<int>& axes, StreamOrDevice s = {});

}  // namespace tandem::fft
