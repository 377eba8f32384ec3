// Copyright © 2026 Tandem authors.
// Layout arithmetic for views (device independent: views move no data).
#pragma once

#include <algorithm>
#include <numeric>
#include <vector>

#include "tandem/array.h"

namespace tandem::layout {

/// Contiguity flags of a (shape, strides) view; `data_size` receives the number of buffer
/// elements the view spans from its first element.
inline array::Flags flags_of(const Shape& shape, const Strides& strides, size_t& data_size) {
  size_t size = shape_size(shape);
  bool row = true, col = true;
  int64_t expect = 1;
  for (int i = static_cast<int>(shape.size()) - 1; i >= 0; --i) {
    if (shape[i] == 1) continue;
    if (strides[i] != expect) row = false;
    expect *= shape[i];
  }
  expect = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 1) continue;
    if (strides[i] != expect) col = false;
    expect *= shape[i];
  }
  // Dense in some order: sorting the non-trivial dims by stride gives a row-major layout.
  bool dense = row || col;
  if (!dense && size > 0) {
    // Dimension indices on the stack for the usual ranks (views are made per op: no heap).
    int small[16];
    std::vector<int> big;
    int* idx = small;
    if (shape.size() > 16) {
      big.resize(shape.size());
      idx = big.data();
    }
    int m = 0;
    for (size_t i = 0; i < shape.size(); ++i) {
      if (shape[i] != 1) idx[m++] = static_cast<int>(i);
    }
    std::sort(idx, idx + m, [&](int a, int b) { return strides[a] > strides[b]; });
    dense = true;
    int64_t e = 1;
    for (int k = m - 1; k >= 0; --k) {
      if (strides[idx[k]] != e) {
        dense = false;
        break;
      }
      e *= shape[idx[k]];
    }
  }
  if (size == 0) {
    data_size = 0;
  } else if (dense) {
    data_size = size;
  } else {
    int64_t span = 1;
    for (size_t i = 0; i < shape.size(); ++i)
      span += (shape[i] - 1) * std::abs(strides[i]);
    data_size = static_cast<size_t>(span);
  }
  return array::Flags{dense, row, col};
}

/// Make `out` a view of `in` with the given strides and element offset.
inline void make_view(const array& in, array& out, const Strides& strides, int64_t offset = 0) {
  size_t ds;
  auto f = flags_of(out.shape(), strides, ds);
  out.copy_shared_buffer(in, strides, f, ds, offset);
}

}  // namespace tandem::layout
