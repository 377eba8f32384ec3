// Copyright © 2026 Tandem authors.
#pragma once

#include "tandem/array.h"

namespace tandem::cpu {

/// Write `in` (any layout, any dtype) into `out` (allocated here if it has no data yet,
/// row-contiguous), converting to out's dtype. Shapes must match (or `in` broadcasts to out).
void copy_to_row_contiguous(const array& in, array& out);
/// Write `in` into the existing strided layout of `out` (`out_strides`, element offset
/// `out_offset`), converting dtypes. `in` broadcasts to `shape`.
void copy_into_strided(const array& in, void* out_base, Dtype out_dtype, const Shape& shape,
                       const Strides& out_strides, int64_t out_offset);
/// Row-contiguous copy of `in` (a fresh array that is available).
array make_contiguous(const array& in);
/// `in` converted to `dtype` in a fresh dense buffer that keeps in's memory order: axes of
/// stride 0 (broadcast) keep stride 0 and are stored once, the others are packed in the order
/// of in's strides. A transposed view stays transposed (BLAS takes it as is) and a broadcast
/// batch is converted once instead of once per batch.
array convert_keep_layout(const array& in, Dtype dtype);

}  // namespace tandem::cpu
