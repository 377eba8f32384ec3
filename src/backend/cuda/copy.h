// Copyright © 2026 Tandem authors.
// Copies and conversions on the GPU (copy.cu), used by the copy, view, reduction and matmul
// kernels. Pointers are device addresses of the first element; strides are in elements.
#pragma once

#include "backend/cuda/runtime.h"
#include "tandem/array.h"

namespace tandem::cuda {

/// dst[...] = src[...] over `shape` for the given strides (a zero stride broadcasts), converting
/// from dtype `st` to `dt` with astype semantics. Any number of dimensions.
void copy_general(Encoder& enc, const void* src, Dtype st, const Strides& src_strides, void* dst,
                  Dtype dt, const Strides& dst_strides, const Shape& shape);

/// dst[i] = src[i] for i < n, converting from `st` to `dt`.
void copy_contiguous(Encoder& enc, const void* src, Dtype st, void* dst, Dtype dt, size_t n);

/// A new row-contiguous array of `shape` and `dtype` (device memory of this stream) holding
/// `in` broadcast to `shape` and converted.
array contiguous_copy(Encoder& enc, const array& in, const Shape& shape, Dtype dtype);
inline array contiguous_copy(Encoder& enc, const array& in) {
  return contiguous_copy(enc, in, in.shape(), in.dtype());
}

}  // namespace tandem::cuda
