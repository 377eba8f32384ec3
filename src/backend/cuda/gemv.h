// Copyright © 2026 Tandem authors.
// A bandwidth-bound matrix-vector product for 16-bit floats (gemv.cu), used by the GPU matmul
// for M == 1 or N == 1 when the matrix's contracted axis is contiguous.
#pragma once

#include <cstdint>

#include "backend/cuda/runtime.h"
#include "tandem/dtype.h"

namespace tandem::cuda {

/// Whether the GEMV kernel is the better choice than cuBLASLt for `rows` outputs of a length-`k`
/// contraction in dtype `t` (float16 / bfloat16 only; TANDEM_CUDA_GEMV=0 turns it off).
bool gemv_preferred(Dtype t, int64_t rows, int64_t k);

/// out[r] = sum_j mat[r * ld + j] * vec[j] for r < rows, j < k: float32 accumulation, one
/// rounding to `t` at the end. `out` is contiguous; ld >= k.
void gemv_rows(Encoder& enc, Dtype t, const void* mat, int64_t ld, const void* vec, void* out,
               int64_t rows, int64_t k);

}  // namespace tandem::cuda
