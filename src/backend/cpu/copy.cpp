// Copyright © 2026 Tandem authors.
// Copies and conversions between layouts and dtypes.
#include "backend/cpu/copy.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "backend/common/cast.h"
#include "backend/common/dispatch.h"
#include "backend/common/layout.h"
#include "backend/cpu/strided.h"
#include "backend/cpu/threading.h"

namespace tandem {

namespace cpu {

namespace {

template <typename From, typename To>
void convert_run(const From* src, int64_t s_inc, To* dst, int64_t d_inc, int64_t n) {
  if (s_inc == 1 && d_inc == 1) {
    if constexpr (std::is_same_v<From, To>) {
      std::memcpy(dst, src, n * sizeof(To));
    } else if constexpr (std::is_same_v<From, bool>) {
      // Read the bytes: loads of `bool` (which must be 0 or 1) keep GCC from vectorising.
      const uint8_t* b = reinterpret_cast<const uint8_t*>(src);
      for (int64_t i = 0; i < n; ++i)
        dst[i] = cast_value<To>(b[i] != 0);
    } else {
      for (int64_t i = 0; i < n; ++i)
        dst[i] = cast_value<To>(src[i]);
    }
  } else if (s_inc == 0) {
    To v = cast_value<To>(src[0]);
    if (d_inc == 1) {
      for (int64_t i = 0; i < n; ++i)
        dst[i] = v;
    } else {
      for (int64_t i = 0; i < n; ++i)
        dst[i * d_inc] = v;
    }
  } else {
    for (int64_t i = 0; i < n; ++i)
      dst[i * d_inc] = cast_value<To>(src[i * s_inc]);
  }
}

// Strided copy with conversion: src layout (shape, s_strides) -> dst layout (d_strides).
void strided_convert(const void* src, Dtype st, Strides s_strides, void* dst, Dtype dt,
                     Strides d_strides, const Shape& shape) {
  size_t n = shape_size(shape);
  if (n == 0) return;
  std::vector<Strides> strides{std::move(s_strides), std::move(d_strides)};
  Shape cs = collapse_dims(shape, strides);
  // Transposing copies: the destination's innermost dimension walks the source with a large
  // stride while another dimension is contiguous in the source. Element-by-element, every read
  // would touch a new cache line (and often a new page); copying square tiles instead keeps the
  // tile's source lines in L1 while the destination rows are written.
  const int nd = static_cast<int>(cs.size());
  const int last = nd - 1;
  int src_unit = -1;  // a dimension other than the last that is contiguous in the source
  if (nd >= 2 && strides[0][last] != 0 && strides[0][last] != 1) {
    for (int k = 0; k < last; ++k) {
      if (strides[0][k] == 1 && cs[k] >= 8) src_unit = k;
    }
  }
  const bool tiled = src_unit >= 0 && cs[last] >= 8;
  auto run = [&]<typename From, typename To>() {
    const From* s = static_cast<const From*>(src);
    To* d = static_cast<To*>(dst);
    if (tiled) {
      constexpr int64_t kTile = 32;
      const int P = src_unit;
      const int64_t np = cs[P], nl = cs[last];
      const int64_t tp = (np + kTile - 1) / kTile, tl = (nl + kTile - 1) / kTile;
      const int64_t outer = static_cast<int64_t>(n) / (np * nl);
      const int64_t ssl = strides[0][last], dsl = strides[1][last], dsp = strides[1][P];
      const size_t items = static_cast<size_t>(outer * tp * tl);
      parallel_for(items, std::max<size_t>(1, kElementwiseGrain / (kTile * kTile)),
                   [&](size_t b, size_t e) {
                     for (size_t it = b; it < e; ++it) {
                       int64_t r = static_cast<int64_t>(it);
                       const int64_t jt = r % tl;
                       r /= tl;
                       const int64_t ipt = r % tp;
                       int64_t o = r / tp;
                       // Offsets of the outer index (every dimension but P and the last).
                       int64_t so = 0, dof = 0;
                       for (int k = last - 1; k >= 0; --k) {
                         if (k == P) continue;
                         const int64_t idx = o % cs[k];
                         o /= cs[k];
                         so += idx * strides[0][k];
                         dof += idx * strides[1][k];
                       }
                       const int64_t i0 = ipt * kTile, i1 = std::min(np, i0 + kTile);
                       const int64_t j0 = jt * kTile, j1 = std::min(nl, j0 + kTile);
                       for (int64_t i = i0; i < i1; ++i) {
                         const From* srow = s + so + i;  // source stride along P is 1
                         To* drow = d + dof + i * dsp;
                         for (int64_t j = j0; j < j1; ++j)
                           drow[j * dsl] = cast_value<To>(srow[j * ssl]);
                       }
                     }
                   });
      return;
    }
    std::array<const int64_t*, 2> sp{strides[0].data(), strides[1].data()};
    parallel_for(n, kElementwiseGrain, [&](size_t b, size_t e) {
      for_each_run<2>(
          cs, sp, b, e,
          [&](const std::array<int64_t, 2>& off, const std::array<int64_t, 2>& inc, int64_t cnt) {
            convert_run<From, To>(s + off[0], inc[0], d + off[1], inc[1], cnt);
          });
    });
  };
  if (st == dt ||
      (st.size == dt.size && !is_inexact(st) && !is_inexact(dt) && st != bool_ && dt != bool_)) {
    // Same bits: move bytes.
    dispatch_by_size(st.size, [&]<typename T>() { run.template operator()<T, T>(); });
    return;
  }
  dispatch_all(st, [&]<typename From>() {
    dispatch_all(dt, [&]<typename To>() { run.template operator()<From, To>(); });
  });
}

}  // namespace

void copy_to_row_contiguous(const array& in, array& out) {
  if (!out.raw_data()) {
    out.set_data(allocator::malloc(out.nbytes()));
  }
  strided_convert(in.raw_data(), in.dtype(), broadcast_strides(in, out.shape()), out.raw_data(),
                  out.dtype(), row_major_strides(out.shape()), out.shape());
}

void copy_into_strided(const array& in, void* out_base, Dtype out_dtype, const Shape& shape,
                       const Strides& out_strides, int64_t out_offset) {
  void* dst = static_cast<char*>(out_base) + out_offset * static_cast<int64_t>(out_dtype.size);
  strided_convert(in.raw_data(), in.dtype(), broadcast_strides(in, shape), dst, out_dtype,
                  out_strides, shape);
}

array make_contiguous(const array& in) {
  array out(in.shape(), in.dtype(), nullptr, {});
  out.detach();
  copy_to_row_contiguous(in, out);
  out.set_status(array::Status::available);
  return out;
}

array convert_keep_layout(const array& in, Dtype dtype) {
  const int nd = in.ndim();
  const Shape& shape = in.shape();
  // Stored axes (extent > 1 and a non-zero stride), outermost (largest |stride|) first.
  std::vector<int> order;
  for (int d = 0; d < nd; ++d) {
    if (shape[d] > 1 && in.strides()[d] != 0) order.push_back(d);
  }
  std::stable_sort(order.begin(), order.end(), [&](int x, int y) {
    return std::abs(in.strides()[x]) > std::abs(in.strides()[y]);
  });
  Strides out_strides(nd, 0);
  Shape stored(nd, 1);
  int64_t n = 1;
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    out_strides[*it] = n;
    stored[*it] = shape[*it];
    n *= shape[*it];
  }
  array out(shape, dtype, nullptr, {});
  out.detach();
  size_t ds;
  auto flags = layout::flags_of(shape, out_strides, ds);
  out.set_data(allocator::malloc(static_cast<size_t>(n) * dtype.size), static_cast<size_t>(n),
               out_strides, flags);
  if (in.size() > 0) {
    // Walk the elements in memory order (outermost stored axis first), so that both sides are
    // read and written sequentially: a transposed view is a linear pass, not a strided gather.
    Shape sh;
    Strides si, so;
    for (int d : order) {
      sh.push_back(shape[d]);
      si.push_back(in.strides()[d]);
      so.push_back(out_strides[d]);
    }
    if (sh.empty()) {
      sh.push_back(1);
      si.push_back(0);
      so.push_back(0);
    }
    strided_convert(in.raw_data(), in.dtype(), si, out.raw_data(), dtype, so, sh);
  }
  out.set_status(array::Status::available);
  return out;
}

}  // namespace cpu

void convert_values(const void* src, Dtype src_type, void* dst, Dtype dst_type, size_t n) {
  constexpr size_t kChunk = size_t(1) << 30;  // Shape extents are int32
  for (size_t done = 0; done < n; done += kChunk) {
    size_t m = std::min(kChunk, n - done);
    cpu::strided_convert(static_cast<const char*>(src) + done * src_type.size, src_type, {1},
                         static_cast<char*>(dst) + done * dst_type.size, dst_type, {1},
                         Shape{static_cast<int32_t>(m)});
  }
}

void copy_to_host_row_major(const array& a, void* dst, Dtype dst_type) {
  cpu::strided_convert(a.raw_data(), a.dtype(), a.strides(), dst, dst_type,
                       row_major_strides(a.shape()), a.shape());
}

}  // namespace tandem
