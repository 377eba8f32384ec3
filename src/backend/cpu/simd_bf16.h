// Copyright © 2026 Tandem authors.
// float32 -> bfloat16 rounding of whole rows, with AVX-512 BF16's conversion instruction where the
// CPU has it (checked at run time), for the row kernels that round several times per element
// (LayerNorm / RMSNorm outputs, softmax). Results are bit-identical to detail::float_to_bf16_bits
// (round to nearest even, NaN quieted): the instruction flushes denormal inputs to zero, so a
// vector holding one is rounded with integer arithmetic instead.
#pragma once

#include <cstdint>

namespace tandem::cpu {

/// Whether the AVX-512 BF16 paths run (AVX512F/BW/DQ/VL/BF16 present and TANDEM_CPU_BF16 != 0).
bool has_avx512_bf16();

/// out[i] = the bfloat16 bits of in[i].
void round_to_bf16(const float* in, uint16_t* out, int64_t n);

/// One LayerNorm / RMSNorm output row in bfloat16, rounding as the composition does:
/// t = bf16((v - mu) * inv); t = bf16(t * w) when w; y = bf16(t + b) when b. w and b are the
/// bfloat16 parameters as float32 (exact), or null.
void norm_row_bf16(const float* v, float mu, float inv, const float* w, const float* b, uint16_t* y,
                   int64_t n);

/// y[l] = sum_k mat[l * ld + k] * v[k] for l < rows, bfloat16 matrix and vector, float32 sums:
/// with AVX-512 BF16 dot-product instructions (16 lanes, two accumulators over alternate blocks
/// of 32; products are exact, each addition rounds to nearest even, denormals are flushed) when
/// the CPU has them. Returns false, doing nothing, when it does not.
bool gemv_rows_bf16(const uint16_t* mat, int64_t ld, int64_t rows, const uint16_t* v, int64_t K,
                    float* y);

}  // namespace tandem::cpu
