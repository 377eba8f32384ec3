// Copyright © 2026 Tandem authors.
// Iteration over strided arrays: collapse dimensions that are contiguous for every operand, then
// walk the row-major index space in runs along the innermost dimension.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "tandem/array.h"

namespace tandem::cpu {

/// Merge adjacent dims that are contiguous in every stride set, and drop size-1 dims.
/// Returns the collapsed shape; `strides` are rewritten in place. A 0-d result becomes {1}.
inline Shape collapse_dims(const Shape& shape, std::vector<Strides>& strides) {
  Shape out_shape;
  std::vector<Strides> out(strides.size());
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    // Shape holds int32 extents: dims are never merged into an extent above INT32_MAX.
    bool merge = !out_shape.empty() &&
                 static_cast<int64_t>(out_shape.back()) * shape[d] <= int64_t(INT32_MAX);
    if (merge) {
      for (size_t k = 0; k < strides.size(); ++k) {
        if (out[k].back() != strides[k][d] * shape[d]) {
          merge = false;
          break;
        }
      }
    }
    if (merge) {
      out_shape.back() *= shape[d];
      for (size_t k = 0; k < strides.size(); ++k)
        out[k].back() = strides[k][d];
    } else {
      out_shape.push_back(shape[d]);
      for (size_t k = 0; k < strides.size(); ++k)
        out[k].push_back(strides[k][d]);
    }
  }
  if (out_shape.empty()) {
    out_shape.push_back(1);
    for (auto& s : out)
      s.push_back(0);
  }
  strides = std::move(out);
  return out_shape;
}

/// Walk linear indices [begin, end) of `shape` in row-major order. For every run along the last
/// dim calls f(offsets, inner_strides, count) where offsets[k] is operand k's element offset of
/// the run's first element.
template <size_t N, typename F>
void for_each_run(const Shape& shape, const std::array<const int64_t*, N>& strides, size_t begin,
                  size_t end, F&& f) {
  const int nd = static_cast<int>(shape.size());
  if (begin >= end) return;
  std::vector<int64_t> idx(nd, 0);
  std::array<int64_t, N> off{};
  size_t rem = begin;
  for (int d = nd - 1; d >= 0; --d) {
    idx[d] = rem % shape[d];
    rem /= shape[d];
    for (size_t k = 0; k < N; ++k)
      off[k] += idx[d] * strides[k][d];
  }
  std::array<int64_t, N> inner;
  for (size_t k = 0; k < N; ++k)
    inner[k] = strides[k][nd - 1];
  const int64_t last = shape[nd - 1];
  size_t pos = begin;
  while (pos < end) {
    int64_t count = std::min<int64_t>(last - idx[nd - 1], static_cast<int64_t>(end - pos));
    f(off, inner, count);
    pos += count;
    // advance the multi-index by `count` along the last dim, carrying upward
    for (size_t k = 0; k < N; ++k)
      off[k] += count * inner[k];
    idx[nd - 1] += count;
    for (int d = nd - 1; d > 0 && idx[d] == shape[d]; --d) {
      for (size_t k = 0; k < N; ++k)
        off[k] -= idx[d] * strides[k][d];
      idx[d] = 0;
      idx[d - 1]++;
      for (size_t k = 0; k < N; ++k)
        off[k] += strides[k][d - 1];
    }
  }
}

/// Strides of `a` broadcast to `shape` (a's dims aligned to the right; missing or size-1 dims get
/// stride 0).
inline Strides broadcast_strides(const array& a, const Shape& shape) {
  Strides st(shape.size(), 0);
  int off = static_cast<int>(shape.size()) - a.ndim();
  for (int d = 0; d < a.ndim(); ++d) {
    st[d + off] = a.shape()[d] == 1 ? 0 : a.strides()[d];
  }
  return st;
}

}  // namespace tandem::cpu
