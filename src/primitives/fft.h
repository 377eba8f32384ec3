// Copyright © 2026 Tandem authors.
// The FFT primitive (include/tandem/fft.h). One primitive covers the complex-to-complex,
// real-to-complex and complex-to-real transforms over any set of axes; the op functions
// (src/ops/fft.cpp) crop or zero-pad the input to the transform sizes and convert its dtype
// first. Rules: src/primitives/rules_fft.cpp. Kernels: backend/cpu/fft.cpp (radix-2 and
// Bluestein, in double), backend/cuda/fft.cu (cuFFT).
#pragma once

#include "primitives/primitives.h"

namespace tandem {

/// Transform of inputs[0] over `axes` (distinct, non-negative; the last one is the halved axis
/// of the real transforms):
///  - !real: complex64 -> complex64, same shape. Forward: X[k] = sum_j x[j] e^{-2 pi i jk/n}
///    per axis; inverse: the conjugate kernel divided by the product of the axis sizes.
///  - real && !inverse (rfft): float32 (..., n) -> complex64 (..., n / 2 + 1) on the last axis.
///  - real && inverse (irfft): complex64 (..., n / 2 + 1) -> float32 (..., n), n = `n_last`;
///    the input is taken as the non-negative half of a Hermitian spectrum (imaginary parts of
///    the zero and Nyquist frequencies ignored), divided by the product of the output sizes.
class FFT : public Primitive {
 public:
  FFT(Stream s, std::vector<int> axes, bool inverse, bool real, int n_last = 0)
      : Primitive(s), axes_(std::move(axes)), inverse_(inverse), real_(real), n_last_(n_last) {}
  const std::vector<int>& axes() const { return axes_; }
  bool inverse() const { return inverse_; }
  bool real() const { return real_; }
  /// Output length of the last axis of an irfft (0 otherwise).
  int n_last() const { return n_last_; }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  TANDEM_TRANSFORM_RULES
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override;
  std::string name() const override { return "FFT"; }
  bool is_equivalent(const Primitive& other) const override;

 private:
  std::vector<int> axes_;
  bool inverse_, real_;
  int n_last_;
};

namespace detail {
/// The FFT primitive applied to `in` (already of the transform's dtype and sizes).
array fft_apply(const array& in, const std::vector<int>& axes, bool inverse, bool real, int n_last,
                const Stream& s);
}  // namespace detail

}  // namespace tandem
