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

}  // namespace tandem::cpu
