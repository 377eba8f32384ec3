// Copyright © 2026 Tandem authors.
// The cuDNN path of Convolution::eval_gpu (conv_cudnn.cpp). Plain C++: no CUDA or cuDNN headers,
// so conv.cu and the tests can include it in every CUDA build, with or without cuDNN.
#pragma once

#include <cstdint>
#include <string>

#include "tandem/array.h"

namespace tandem {

class Convolution;

namespace cuda {

class Encoder;

/// Runs `p` on `in` and `w` (both row-contiguous, of out's dtype) with cuDNN into `y`, the
/// device memory of `out` (already allocated, non-empty). Returns false, having written
/// nothing to `y`, when cuDNN is not compiled in, is turned off (TANDEM_CONV_CUDNN=0), cannot be
/// initialised, or does not support the case (input dilation, 4+ spatial dims, padding whose
/// high side changes the output size, negative padding, float32 with no non-FFT algorithm,
/// ...); the caller then runs its im2col path. Throws on cuDNN failures other than "not
/// supported".
bool conv_cudnn(Encoder& enc, const Convolution& p, const array& in, const array& w,
                const array& out, void* y);

/// For tests and diagnostics: whether cuDNN was compiled in, whether it is enabled at run time
/// (TANDEM_CONV_CUDNN, and no failed initialisation so far), and how many Convolution
/// evaluations ran on cuDNN in this process.
struct CudnnConvInfo {
  bool compiled;
  bool enabled;
  uint64_t calls;
};
CudnnConvInfo cudnn_conv_info();

/// For tests, without a GPU: what the cuDNN path would do with `p` on these shapes. "" when it
/// would run it (cuDNN accepted the descriptors, and its output size agrees with `out`),
/// "declined: <reason>" when Tandem's rules send it to im2col, "descriptor error: <...>" when
/// cuDNN rejects a descriptor, "not compiled" without cuDNN. Throws the internal error that
/// conv_cudnn would throw if cuDNN's output size differed from `out`. The algorithm choice needs
/// a GPU and is not made.
std::string cudnn_conv_probe(const Convolution& p, const Shape& in, const Shape& w,
                             const Shape& out, Dtype t);

}  // namespace cuda
}  // namespace tandem
