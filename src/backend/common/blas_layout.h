// Copyright © 2026 Tandem authors.
// Layout questions every BLAS-backed matrix product asks (device independent: the CPU backend
// hands the answers to OpenBLAS, the CUDA backend to cuBLAS).
#pragma once

#include <algorithm>
#include <cstdint>
#include <stdexcept>

#include "tandem/array.h"
#include "tandem/utils.h"

namespace tandem::blas {

/// How the last two axes of an array sit in memory, in BLAS terms.
struct MatLayout {
  bool trans = false;  // column-major storage (a transposed view)
  int64_t ld = 1;      // leading dimension
};

/// Whether the last two axes of (shape, strides) can be handed to BLAS as they are: row-major
/// or column-major with a leading dimension. Fills `l` when they can.
inline bool matrix_layout(const Shape& shape, const Strides& strides, MatLayout& l) {
  const size_t nd = shape.size();
  const int64_t rows = shape[nd - 2], cols = shape[nd - 1];
  const int64_t rs = strides[nd - 2], cs = strides[nd - 1];
  if (cs == 1 && (rs >= std::max<int64_t>(cols, 1) || rows == 1)) {
    l = {false, std::max<int64_t>({rs, cols, 1})};
    return true;
  }
  if (rs == 1 && (cs >= std::max<int64_t>(rows, 1) || cols == 1)) {
    l = {true, std::max<int64_t>({cs, rows, 1})};
    return true;
  }
  return false;
}

inline bool matrix_layout(const array& a, MatLayout& l) {
  return matrix_layout(a.shape(), a.strides(), l);
}

/// Element offset of matrix `i` of `a`, counting the batch axes (all but the last two) in
/// row-major order; broadcast batch axes have stride 0.
inline int64_t batch_offset(const array& a, int64_t i) {
  int64_t off = 0;
  for (int d = a.ndim() - 3; d >= 0; --d) {
    const int64_t n = a.shape()[d];
    off += (i % n) * a.strides()[d];
    i /= n;
  }
  return off;
}

/// Number of matrices in `a` (the product of its batch extents).
inline int64_t batch_count(const array& a) {
  int64_t n = 1;
  for (int d = 0; d + 2 < a.ndim(); ++d)
    n *= a.shape()[d];
  return n;
}

/// Whether matrix i of `a` starts at element i * step for every i (batches evenly spaced).
inline bool uniform_batches(const array& a, int64_t step) {
  int64_t expect = step;
  for (int d = a.ndim() - 3; d >= 0; --d) {
    if (a.shape()[d] != 1 && a.strides()[d] != expect) return false;
    expect *= a.shape()[d];
  }
  return true;
}

/// Whether every batch axis of `a` has stride 0 or extent 1 (one matrix seen by all batches).
inline bool shared_batches(const array& a) {
  for (int d = 0; d + 2 < a.ndim(); ++d) {
    if (a.shape()[d] != 1 && a.strides()[d] != 0) return false;
  }
  return true;
}

/// gather_mm gathers whole matrices from both operands: each needs at least one (checked when
/// the kernel runs, on either device).
inline void require_gather_operands(const array& a, const array& b) {
  const int64_t na = batch_count(a), nb = batch_count(b);
  if (na == 0 || nb == 0) {
    throw std::out_of_range("[gather_mm] Cannot gather matrices from an operand with shape " +
                            shape_to_string(na == 0 ? a.shape() : b.shape()) +
                            ": it has no matrices.");
  }
}

}  // namespace tandem::blas
