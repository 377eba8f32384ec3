// Copyright © 2026 Tandem authors.
// Direct float32 convolution on CPUs with AVX-512 (checked at run time): an implicit GEMM over a
// zero-padded copy of the input, register-blocked, on Tandem's thread pool only (no BLAS).
#pragma once

#include <cstdint>
#include <vector>

namespace tandem::cpu {

/// A channels-last convolution: input (N, S..., Cin) and weights (O, K..., Cin/G) float32 in any
/// layout (given by their strides), output (N, OS..., O) row-contiguous float32.
struct ConvShape {
  int N = 0, Cin = 0, O = 0, G = 1;
  std::vector<int> S, K, OS;                    // spatial sizes of input, kernel, output
  std::vector<int> stride, kdil, idil, pad_lo;  // per spatial axis
  bool flip = false;                            // kernel taps reversed (true convolution)
  std::vector<int64_t> x_strides, w_strides;    // element strides of x and w: any layout
};

/// Whether conv_direct may run: the CPU has AVX-512F and TANDEM_CPU_CONV is not "im2col".
bool conv_direct_available();

/// Computes the whole convolution into `out` (every element written) and returns true; or
/// returns false, writing nothing, when its scratch (padded input, packed weights) would be far
/// larger than the operands (e.g. a depthwise weight gradient): the caller then uses im2col.
bool conv_direct(const ConvShape& s, const float* x, const float* w, float* out);

/// Whether conv_direct_bf16 may run: conv_direct_available() and AVX-512 BF16 (simd_bf16.h).
bool conv_direct_bf16_available();

/// The same for bfloat16 x and w (their bits): products exact, sums in float32 (AVX-512 BF16
/// dot products, which flush denormals), `out` in float32 for the caller to round once; false
/// as for conv_direct.
bool conv_direct_bf16(const ConvShape& s, const uint16_t* x, const uint16_t* w, float* out);

}  // namespace tandem::cpu
