// Copyright © 2026 Tandem authors.
// CPU kernels of Gather, Scatter and SliceUpdate.
#include <cmath>

#include "backend/common/cast.h"
#include "backend/common/dispatch.h"
#include "backend/common/gather_index.h"
#include "backend/common/wrapping.h"
#include "backend/cpu/copy.h"
#include "backend/cpu/strided.h"
#include "backend/cpu/threading.h"
#include "primitives/indexing.h"

namespace tandem {

namespace {

// Index arrays as contiguous int64 (one conversion pass; indices are small next to data).
std::vector<std::vector<int64_t>> load_indices(const std::vector<array>& inputs, size_t first,
                                               size_t count) {
  std::vector<std::vector<int64_t>> out;
  for (size_t k = 0; k < count; ++k) {
    const array& idx = inputs[first + k];
    std::vector<int64_t> v(idx.size());
    copy_to_host_row_major(idx, v.data(), int64);
    out.push_back(std::move(v));
  }
  return out;
}

template <typename Op, typename T>
void combine(T& dst, T v) {
  dst = Op::apply(dst, v);
}

struct Assign {
  template <typename T>
  static T apply(T, T v) {
    return v;
  }
};
struct AddOp {
  template <typename T>
  static T apply(T a, T b) {
    if constexpr (std::is_same_v<T, bool>)
      return a || b;
    else
      return static_cast<T>(wrap_add(static_cast<compute_t<T>>(a), static_cast<compute_t<T>>(b)));
  }
};
struct MulOp {
  template <typename T>
  static T apply(T a, T b) {
    if constexpr (std::is_same_v<T, bool>)
      return a && b;
    else
      return static_cast<T>(wrap_mul(static_cast<compute_t<T>>(a), static_cast<compute_t<T>>(b)));
  }
};
template <typename T>
bool lt(T a, T b) {
  if constexpr (is_complex_type<T>::value) {
    return a.real() < b.real() || (a.real() == b.real() && a.imag() < b.imag());
  } else {
    return static_cast<compute_t<T>>(a) < static_cast<compute_t<T>>(b);
  }
}
template <typename T>
bool isnan_(T v) {
  if constexpr (std::is_floating_point_v<compute_t<T>>)
    return std::isnan(static_cast<compute_t<T>>(v));
  else
    return false;
}
struct MaxOp {
  template <typename T>
  static T apply(T a, T b) {
    return (isnan_(a) || lt(b, a)) ? a : b;
  }
};
struct MinOp {
  template <typename T>
  static T apply(T a, T b) {
    return (isnan_(a) || lt(a, b)) ? a : b;
  }
};

template <typename F>
void with_op(ScatterOp op, F&& f) {
  switch (op) {
    case ScatterOp::None:
      return f.template operator()<Assign>();
    case ScatterOp::Sum:
      return f.template operator()<AddOp>();
    case ScatterOp::Prod:
      return f.template operator()<MulOp>();
    case ScatterOp::Max:
      return f.template operator()<MaxOp>();
    case ScatterOp::Min:
      return f.template operator()<MinOp>();
  }
}

}  // namespace

void Gather::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array& a = inputs[0];
  array& out = outputs[0];
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) return;
  size_t k = axes_.size();
  auto idx = load_indices(inputs, 1, k);
  size_t n_idx = k ? inputs[1].size() : 1;
  size_t slice_n = shape_size(slice_sizes_);
  // Slice walk over a's strides.
  std::vector<Strides> st{a.strides(), row_major_strides(slice_sizes_)};
  Shape sshape = cpu::collapse_dims(slice_sizes_, st);
  std::array<const int64_t*, 2> sp{st[0].data(), st[1].data()};
  dispatch_by_size(a.itemsize(), [&]<typename T>() {
    const T* src = a.unsafe_data<T>();
    T* dst = out.unsafe_data<T>();
    const size_t grain = std::max<size_t>(1, 4096 / std::max<size_t>(slice_n, 1));
    cpu::parallel_for(n_idx, grain, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) {
        int64_t base = 0;
        for (size_t j = 0; j < k; ++j) {
          int ax = axes_[j];
          int64_t n = a.shape()[ax];
          int64_t v = idx[j][i];
          // clamped so the whole slice stays inside the axis
          v = gather_index(v, n, std::max<int64_t>(n - slice_sizes_[ax], 0));
          base += v * a.strides()[ax];
        }
        T* o = dst + i * slice_n;
        cpu::for_each_run<2>(sshape, sp, 0, slice_n,
                             [&](const auto& off, const auto& inc, int64_t cnt) {
                               const T* s = src + base + off[0];
                               T* d = o + off[1];
                               for (int64_t t = 0; t < cnt; ++t)
                                 d[t] = s[t * inc[0]];
                             });
      }
    });
  });
}

void Scatter::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array& a = inputs[0];
  const array& upd_in = inputs.back();
  array& out = outputs[0];
  cpu::copy_to_row_contiguous(a, out);
  size_t k = axes_.size();
  auto idx = load_indices(inputs, 1, k);
  size_t n_idx = inputs[1].size();
  array upd = upd_in.flags().row_contiguous ? upd_in : cpu::make_contiguous(upd_in);
  Shape slice(upd.shape().end() - a.ndim(), upd.shape().end());
  size_t slice_n = shape_size(slice);
  if (slice_n == 0 || n_idx == 0) return;
  Strides ost = out.strides();
  std::vector<Strides> st{ost, row_major_strides(slice)};
  Shape sshape = cpu::collapse_dims(slice, st);
  std::array<const int64_t*, 2> sp{st[0].data(), st[1].data()};
  dispatch_all(a.dtype(), [&]<typename T>() {
    with_op(op_, [&]<typename Op>() {
      T* dst = out.unsafe_data<T>();
      const T* u = upd.unsafe_data<T>();
      // In order, one index at a time: duplicates accumulate deterministically.
      for (size_t i = 0; i < n_idx; ++i) {
        int64_t base = 0;
        bool inside = true;
        for (size_t j = 0; j < k; ++j) {
          int ax = axes_[j];
          int64_t n = a.shape()[ax];
          int64_t v = idx[j][i];
          if (v < 0) v += n;
          if (v < 0 || v + slice[ax] > n) {
            inside = false;
            break;
          }
          base += v * ost[ax];
        }
        if (!inside) continue;
        const T* ui = u + i * slice_n;
        cpu::for_each_run<2>(sshape, sp, 0, slice_n,
                             [&](const auto& off, const auto& inc, int64_t cnt) {
                               T* d = dst + base + off[0];
                               const T* s = ui + off[1];
                               for (int64_t t = 0; t < cnt; ++t) {
                                 d[t * inc[0]] = Op::apply(d[t * inc[0]], s[t]);
                               }
                             });
      }
    });
  });
}

void SliceUpdate::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array& src = inputs[0];
  const array& upd = inputs[1];
  array& out = outputs[0];
  cpu::copy_to_row_contiguous(src, out);
  if (upd.size() == 0) return;
  Strides ost = out.strides();
  int64_t offset = 0;
  Strides rst(out.ndim());
  for (int d = 0; d < out.ndim(); ++d) {
    offset += static_cast<int64_t>(start_[d]) * ost[d];
    rst[d] = ost[d] * strides_[d];
  }
  if (op_ == ScatterOp::None) {
    cpu::copy_into_strided(upd, out.raw_data(), out.dtype(), upd.shape(), rst, offset);
    return;
  }
  std::vector<Strides> st{rst, cpu::broadcast_strides(upd, upd.shape())};
  Shape shape = cpu::collapse_dims(upd.shape(), st);
  std::array<const int64_t*, 2> sp{st[0].data(), st[1].data()};
  dispatch_all(out.dtype(), [&]<typename T>() {
    with_op(op_, [&]<typename Op>() {
      T* dst = out.unsafe_data<T>() + offset;
      const T* u = upd.unsafe_data<T>();
      cpu::for_each_run<2>(shape, sp, 0, upd.size(),
                           [&](const auto& off, const auto& inc, int64_t cnt) {
                             for (int64_t t = 0; t < cnt; ++t) {
                               T& d = dst[off[0] + t * inc[0]];
                               d = Op::apply(d, u[off[1] + t * inc[1]]);
                             }
                           });
    });
  });
}

}  // namespace tandem
