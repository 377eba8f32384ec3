// Copyright © 2026 Tandem authors.
// CPU kernels of Sort, ArgSort, Partition, ArgPartition, SearchSorted, Scan and the internal
// along-axis gather / scatter-add.
//
// Inputs are made row-contiguous first (a copy only when they are not), then viewed as
// (outer, n, inner) around the axis: row r = (o, j) holds the n elements at
// o*n*inner + j + i*inner. Rows are independent and are split across threads.
//  - Sorts copy a row into a buffer in the compute type (float for float16/bfloat16): values for
//    Sort, (value, index) pairs for ArgSort / Partition / ArgPartition. NaN keys are first moved
//    to the end (stably), then std::stable_sort / std::nth_element run with a plain `<`. A few
//    long rows (fewer rows than threads) are sorted in chunks across threads and merged.
//  - Scans walk the axis once, keeping one accumulator per column of a block of up to 256 inner
//    columns, so an axis that is not the last still reads memory contiguously.
#include <algorithm>
#include <cmath>
#include <complex>
#include <cstring>
#include <limits>
#include <memory>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include "backend/common/cast.h"
#include "backend/common/dispatch.h"
#include "backend/common/wrapping.h"
#include "backend/cpu/copy.h"
#include "backend/cpu/threading.h"
#include "primitives/sort_scan.h"

namespace tandem {

namespace {

using cpu::parallel_for;

// ---------------- layout ----------------

struct Layout {
  int64_t outer{1}, n{1}, inner{1};
  int64_t rows() const { return outer * inner; }
  // Offset of element 0 of row r.
  int64_t base(int64_t r) const { return (r / inner) * n * inner + (r % inner); }
};

Layout layout_of(const Shape& shape, int axis) {
  Layout L;
  for (int d = 0; d < static_cast<int>(shape.size()); ++d) {
    if (d < axis) L.outer *= shape[d];
    if (d > axis) L.inner *= shape[d];
  }
  L.n = shape.empty() ? 1 : shape[axis];
  return L;
}

array row_contiguous(const array& a) {
  return a.flags().row_contiguous ? a : cpu::make_contiguous(a);
}

// Rows per chunk so that a chunk holds at least ~16K elements of work.
size_t row_grain(int64_t n) {
  return std::max<size_t>(1, (size_t(1) << 14) / std::max<int64_t>(n, 1));
}

// ---------------- ordering ----------------

template <typename C>
bool is_nan_value(const C& v) {
  if constexpr (std::is_floating_point_v<C>) {
    return std::isnan(v);
  } else if constexpr (is_complex_type<C>::value) {
    return std::isnan(v.real()) || std::isnan(v.imag());
  } else {
    return false;
  }
}

// A strict weak order: ascending, NaN after all numbers (NaNs equivalent to each other).
// complex: lexicographic, then R+NaNj, NaN+Rj, NaN+NaNj (NumPy's order).
template <typename C>
struct Less {
  bool operator()(const C& a, const C& b) const {
    if constexpr (std::is_floating_point_v<C>) {
      if (std::isnan(a)) return false;
      if (std::isnan(b)) return true;
      return a < b;
    } else if constexpr (is_complex_type<C>::value) {
      int ca = (std::isnan(a.real()) ? 2 : 0) + (std::isnan(a.imag()) ? 1 : 0);
      int cb = (std::isnan(b.real()) ? 2 : 0) + (std::isnan(b.imag()) ? 1 : 0);
      if (ca != cb) return ca < cb;
      switch (ca) {
        case 0:
          return a.real() < b.real() || (a.real() == b.real() && a.imag() < b.imag());
        case 1:
          return a.real() < b.real();
        case 2:
          return a.imag() < b.imag();
        default:
          return false;
      }
    } else {
      return a < b;
    }
  }
};

template <typename C>
using Pair = std::pair<C, uint32_t>;

// The sort key of a row element: the value itself, or the value of a (value, index) pair.
template <typename C>
const C& key_of(const C& v) {
  return v;
}
template <typename C>
const C& key_of(const Pair<C>& p) {
  return p.first;
}

// Stable sort of data[0, n) by `cmp`. With `parallel`, long ranges are cut into one chunk per
// thread, the chunks sorted concurrently, then merged pairwise (std::merge takes from the left
// range on ties, so the result stays stable).
template <typename V, typename Cmp>
void stable_sort_range(V* data, int64_t n, Cmp cmp, bool parallel) {
  int64_t chunks = parallel ? std::min<int64_t>(cpu::num_threads(), n / (int64_t(1) << 15)) : 1;
  if (chunks <= 1) {
    std::stable_sort(data, data + n, cmp);
    return;
  }
  std::vector<int64_t> bound(chunks + 1);
  for (int64_t k = 0; k <= chunks; ++k)
    bound[k] = n * k / chunks;
  parallel_for(chunks, 1, [&](size_t b, size_t e) {
    for (size_t k = b; k < e; ++k)
      std::stable_sort(data + bound[k], data + bound[k + 1], cmp);
  });
  std::unique_ptr<V[]> tmp(new V[n]);
  V* from = data;
  V* to = tmp.get();
  for (int64_t width = 1; width < chunks; width *= 2) {
    int64_t pairs = (chunks + 2 * width - 1) / (2 * width);
    parallel_for(pairs, 1, [&](size_t b, size_t e) {
      for (size_t q = b; q < e; ++q) {
        int64_t lo = bound[q * 2 * width];
        int64_t mid = bound[std::min<int64_t>(chunks, q * 2 * width + width)];
        int64_t hi = bound[std::min<int64_t>(chunks, q * 2 * width + 2 * width)];
        std::merge(from + lo, from + mid, from + mid, from + hi, to + lo, cmp);
      }
    });
    std::swap(from, to);
  }
  if (from != data) std::copy(from, from + n, data);
}

// Move NaN keys to the end (stably) and return how many keys are not NaN: the rest of the work
// then compares with a plain `<`, which is much cheaper than a NaN-aware comparator.
template <typename V>
int64_t nans_last(V* data, int64_t n) {
  using C = std::decay_t<decltype(key_of(*data))>;
  if constexpr (std::is_floating_point_v<C>) {
    int64_t nans = 0;
    for (int64_t i = 0; i < n; ++i)
      nans += std::isnan(key_of(data[i])) ? 1 : 0;
    if (nans == 0) return n;
    return std::stable_partition(data, data + n,
                                 [](const V& v) { return !std::isnan(key_of(v)); }) -
           data;
  } else {
    return n;
  }
}

// Sort values or (value, index) pairs by value: stable, NaN last, complex lexicographic.
template <typename V>
void sort_row(V* data, int64_t n, bool parallel) {
  using C = std::decay_t<decltype(key_of(*data))>;
  int64_t m = nans_last(data, n);
  if constexpr (std::is_floating_point_v<C>) {
    stable_sort_range(
        data, m, [](const V& a, const V& b) { return key_of(a) < key_of(b); }, parallel);
  } else {
    stable_sort_range(
        data, m, [](const V& a, const V& b) { return Less<C>()(key_of(a), key_of(b)); }, parallel);
  }
}

// Partition around kth (same order). When kth falls among the NaNs there is nothing left to do:
// everything before it is a number or an equal NaN.
template <typename V>
void partition_row(V* data, int64_t n, int64_t kth) {
  using C = std::decay_t<decltype(key_of(*data))>;
  int64_t m = nans_last(data, n);
  if (kth >= m) return;
  if constexpr (std::is_floating_point_v<C>) {
    std::nth_element(data, data + kth, data + m,
                     [](const V& a, const V& b) { return key_of(a) < key_of(b); });
  } else {
    std::nth_element(data, data + kth, data + m,
                     [](const V& a, const V& b) { return Less<C>()(key_of(a), key_of(b)); });
  }
}

enum class RowKind { Values, Indices };

// Shared driver of Sort / ArgSort / Partition / ArgPartition: each row is loaded into a buffer
// (values, or (value, index) pairs when kPairs), rearranged by `arrange(buf, n, parallel)`, and
// its values or indices written out. Rows run in parallel; a few long rows instead sort each
// row in parallel. Partition and ArgPartition both use pairs and the same `arrange` on the same
// input, so they agree on the permutation.
template <bool kPairs, RowKind kOut, typename Arrange>
void sort_like(const array& input, array& out, int axis, Arrange&& arrange) {
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) return;
  array in = row_contiguous(input);
  Layout L = layout_of(in.shape(), axis);
  dispatch_all(in.dtype(), [&]<typename T>() {
    using C = compute_t<T>;
    using V = std::conditional_t<kPairs, Pair<C>, C>;
    const T* src = in.unsafe_data<T>();
    auto run_row = [&](int64_t r, V* buf, bool parallel) {
      const int64_t base = L.base(r);
      const T* p = src + base;
      for (int64_t i = 0; i < L.n; ++i) {
        if constexpr (kPairs) {
          buf[i] = {cast_value<C>(p[i * L.inner]), static_cast<uint32_t>(i)};
        } else {
          buf[i] = cast_value<C>(p[i * L.inner]);
        }
      }
      arrange(buf, L.n, parallel);
      if constexpr (kOut == RowKind::Indices) {
        uint32_t* dst = out.unsafe_data<uint32_t>() + base;
        for (int64_t i = 0; i < L.n; ++i)
          dst[i * L.inner] = buf[i].second;
      } else {
        T* dst = out.unsafe_data<T>() + base;
        for (int64_t i = 0; i < L.n; ++i)
          dst[i * L.inner] = cast_value<T>(key_of(buf[i]));
      }
    };
    const bool few_long_rows = L.rows() < cpu::num_threads() && L.n >= (int64_t(1) << 16);
    if (few_long_rows) {
      std::unique_ptr<V[]> buf(new V[L.n]);
      for (int64_t r = 0; r < L.rows(); ++r)
        run_row(r, buf.get(), true);
      return;
    }
    parallel_for(L.rows(), row_grain(L.n * 8), [&](size_t b, size_t e) {
      std::unique_ptr<V[]> buf(new V[std::max<int64_t>(L.n, 1)]);
      for (size_t r = b; r < e; ++r)
        run_row(static_cast<int64_t>(r), buf.get(), false);
    });
  });
}

// ---------------- scans ----------------

template <typename A>
struct ScanSum {
  static A init() { return A(0); }
  static A apply(A acc, A x) { return wrap_add(acc, x); }
};
template <typename A>
struct ScanProd {
  static A init() { return A(1); }
  static A apply(A acc, A x) { return wrap_mul(acc, x); }
};

template <typename A>
A lowest_value() {
  if constexpr (std::is_floating_point_v<A>) {
    return -std::numeric_limits<A>::infinity();
  } else if constexpr (is_complex_type<A>::value) {
    return A(-std::numeric_limits<float>::infinity(), 0);
  } else {
    return std::numeric_limits<A>::lowest();
  }
}
template <typename A>
A highest_value() {
  if constexpr (std::is_floating_point_v<A>) {
    return std::numeric_limits<A>::infinity();
  } else if constexpr (is_complex_type<A>::value) {
    return A(std::numeric_limits<float>::infinity(), 0);
  } else {
    return std::numeric_limits<A>::max();
  }
}

// Plain lexicographic / numeric comparison (NaN handled separately by the callers).
template <typename A>
bool num_less(const A& a, const A& b) {
  if constexpr (is_complex_type<A>::value) {
    return a.real() < b.real() || (a.real() == b.real() && a.imag() < b.imag());
  } else {
    return a < b;
  }
}

// NaN propagates: once the accumulator is NaN it stays NaN.
template <typename A>
struct ScanMax {
  static A init() { return lowest_value<A>(); }
  static A apply(A acc, A x) {
    if (is_nan_value(acc)) return acc;
    if (is_nan_value(x)) return x;
    return num_less(acc, x) ? x : acc;
  }
};
template <typename A>
struct ScanMin {
  static A init() { return highest_value<A>(); }
  static A apply(A acc, A x) {
    if (is_nan_value(acc)) return acc;
    if (is_nan_value(x)) return x;
    return num_less(x, acc) ? x : acc;
  }
};
template <typename A>
struct ScanLogAddExp {
  static A init() { return -std::numeric_limits<A>::infinity(); }
  static A apply(A acc, A x) {
    if (std::isnan(acc) || std::isnan(x)) return std::numeric_limits<A>::quiet_NaN();
    if (acc == x) return acc + static_cast<A>(0.69314718055994530942);  // also +-inf
    A m = std::max(acc, x);
    return m + std::log1p(std::exp(-std::abs(acc - x)));
  }
};

constexpr int64_t kScanBlock = 256;

// Scan (outer, n, inner) row-contiguous `src` into `dst` (same layout), in accumulator type A.
template <typename Op, typename A, typename T, typename U>
void scan_rows(const T* src, U* dst, const Layout& L, bool reverse, bool inclusive) {
  const int64_t blocks_per_outer = (L.inner + kScanBlock - 1) / kScanBlock;
  const int64_t tasks = L.outer * blocks_per_outer;
  const int64_t width = std::min<int64_t>(L.inner, kScanBlock);
  parallel_for(tasks, row_grain(L.n * width), [&](size_t b, size_t e) {
    // (a plain array: std::vector<bool> would hand out bit proxies)
    std::unique_ptr<A[]> acc(new A[std::max<int64_t>(width, 1)]);
    for (size_t t = b; t < e; ++t) {
      int64_t o = t / blocks_per_outer;
      int64_t j0 = (t % blocks_per_outer) * kScanBlock;
      int64_t w = std::min<int64_t>(kScanBlock, L.inner - j0);
      for (int64_t j = 0; j < w; ++j)
        acc[j] = Op::init();
      for (int64_t k = 0; k < L.n; ++k) {
        int64_t i = reverse ? L.n - 1 - k : k;
        int64_t off = (o * L.n + i) * L.inner + j0;
        const T* x = src + off;
        U* y = dst + off;
        if (inclusive) {
          for (int64_t j = 0; j < w; ++j) {
            acc[j] = Op::apply(acc[j], cast_value<A>(x[j]));
            y[j] = cast_value<U>(acc[j]);
          }
        } else {
          for (int64_t j = 0; j < w; ++j) {
            y[j] = cast_value<U>(acc[j]);
            acc[j] = Op::apply(acc[j], cast_value<A>(x[j]));
          }
        }
      }
    }
  });
}

template <typename T, typename U>
void scan_typed(ScanOp op, const T* src, U* dst, const Layout& L, bool reverse, bool inclusive) {
  using A = compute_t<U>;
  switch (op) {
    case ScanOp::Sum:
      return scan_rows<ScanSum<A>, A>(src, dst, L, reverse, inclusive);
    case ScanOp::Prod:
      return scan_rows<ScanProd<A>, A>(src, dst, L, reverse, inclusive);
    case ScanOp::Max:
      return scan_rows<ScanMax<A>, A>(src, dst, L, reverse, inclusive);
    case ScanOp::Min:
      return scan_rows<ScanMin<A>, A>(src, dst, L, reverse, inclusive);
    case ScanOp::LogAddExp:
      if constexpr (std::is_floating_point_v<A>) {
        return scan_rows<ScanLogAddExp<A>, A>(src, dst, L, reverse, inclusive);
      }
      throw std::invalid_argument("[logcumsumexp] Requires a floating-point input.");
  }
}

}  // namespace

// ---------------- sorting and selection ----------------

// Sort works on values only (no index pairs). Its sort is stable so that values that compare equal
// but differ in bits (-0.0 / 0.0, NaN payloads) come out in the order ArgSort gives.
void Sort::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  sort_like<false, RowKind::Values>(inputs[0], outputs[0], axis_,
                                    [](auto* buf, int64_t n, bool par) { sort_row(buf, n, par); });
}

void ArgSort::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  sort_like<true, RowKind::Indices>(inputs[0], outputs[0], axis_,
                                    [](auto* buf, int64_t n, bool par) { sort_row(buf, n, par); });
}

void Partition::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  int64_t kth = kth_;
  sort_like<true, RowKind::Values>(inputs[0], outputs[0], axis_, [kth](auto* buf, int64_t n, bool) {
    partition_row(buf, n, kth);
  });
}

void ArgPartition::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  int64_t kth = kth_;
  sort_like<true, RowKind::Indices>(
      inputs[0], outputs[0], axis_,
      [kth](auto* buf, int64_t n, bool) { partition_row(buf, n, kth); });
}

void SearchSorted::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  array& out = outputs[0];
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) return;
  array a = row_contiguous(inputs[0]);
  array v = row_contiguous(inputs[1]);
  const int64_t n = a.shape().back();
  int64_t batch = 1;
  for (int d = 0; d + 1 < a.ndim(); ++d)
    batch *= a.shape()[d];
  const int64_t m = static_cast<int64_t>(v.size()) / std::max<int64_t>(batch, 1);
  const bool right = right_;
  uint32_t* dst = out.unsafe_data<uint32_t>();
  dispatch_all(a.dtype(), [&]<typename T>() {
    using C = compute_t<T>;
    const T* as = a.unsafe_data<T>();
    const T* vs = v.unsafe_data<T>();
    Less<C> less;
    parallel_for(v.size(), 2048, [&](size_t b, size_t e) {
      for (size_t q = b; q < e; ++q) {
        const T* row = as + (static_cast<int64_t>(q) / m) * n;
        C x = cast_value<C>(vs[q]);
        // left: first i with !(a[i] < x); right: first i with x < a[i].
        int64_t lo = 0, hi = n;
        while (lo < hi) {
          int64_t mid = lo + (hi - lo) / 2;
          C am = cast_value<C>(row[mid]);
          bool go_right = right ? !less(x, am) : less(am, x);
          if (go_right) {
            lo = mid + 1;
          } else {
            hi = mid;
          }
        }
        dst[q] = static_cast<uint32_t>(lo);
      }
    });
  });
}

// ---------------- scans ----------------

void Scan::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  array& out = outputs[0];
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) return;
  array in = row_contiguous(inputs[0]);
  Layout L = layout_of(in.shape(), axis_);
  if (in.dtype() == bool_ && out.dtype() == int32) {
    return scan_typed<bool, int32_t>(op_, in.unsafe_data<bool>(), out.unsafe_data<int32_t>(), L,
                                     reverse_, inclusive_);
  }
  if (in.dtype() != out.dtype()) {
    throw std::logic_error("[Scan] Unexpected output dtype " + dtype_name(out.dtype()) +
                           " for input dtype " + dtype_name(in.dtype()) + ".");
  }
  dispatch_all(in.dtype(), [&]<typename T>() {
    scan_typed<T, T>(op_, in.unsafe_data<T>(), out.unsafe_data<T>(), L, reverse_, inclusive_);
  });
}

// ---------------- internal along-axis gather / scatter-add ----------------

void AlongAxisGather::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  array& out = outputs[0];
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) return;
  array a = row_contiguous(inputs[0]);
  array idx = row_contiguous(inputs[1]);
  const Layout La = layout_of(a.shape(), axis_);
  const Layout Li = layout_of(idx.shape(), axis_);
  const uint32_t* ix = idx.unsafe_data<uint32_t>();
  dispatch_by_size(a.itemsize(), [&]<typename W>() {
    const W* src = a.unsafe_data<W>();
    W* dst = out.unsafe_data<W>();
    parallel_for(out.size(), cpu::kElementwiseGrain / 4, [&](size_t b, size_t e) {
      for (size_t q = b; q < e; ++q) {
        int64_t j = static_cast<int64_t>(q) % Li.inner;
        int64_t o = static_cast<int64_t>(q) / (Li.n * Li.inner);
        int64_t k = ix[q];
        if (k >= La.n) {
          throw std::out_of_range("[AlongAxisGather] Index " + std::to_string(k) +
                                  " out of range for extent " + std::to_string(La.n) + ".");
        }
        dst[q] = src[(o * La.n + k) * La.inner + j];
      }
    });
  });
}

void AlongAxisScatterAdd::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  array& out = outputs[0];
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) return;
  array src = row_contiguous(inputs[0]);
  array idx = row_contiguous(inputs[1]);
  const Layout Ls = layout_of(src.shape(), axis_);
  const Layout Lo = layout_of(out.shape(), axis_);
  const uint32_t* ix = idx.unsafe_data<uint32_t>();
  dispatch_all(src.dtype(), [&]<typename T>() {
    using A = compute_t<T>;
    const T* sp = src.unsafe_data<T>();
    T* dp = out.unsafe_data<T>();
    parallel_for(Lo.rows(), row_grain(Ls.n + Lo.n), [&](size_t b, size_t e) {
      std::unique_ptr<A[]> acc(new A[std::max<int64_t>(Lo.n, 1)]);
      for (size_t r = b; r < e; ++r) {
        std::fill(acc.get(), acc.get() + Lo.n, A(0));
        int64_t sb = Ls.base(r);
        for (int64_t i = 0; i < Ls.n; ++i) {
          int64_t k = ix[sb + i * Ls.inner];
          if (k >= Lo.n) {
            throw std::out_of_range("[AlongAxisScatterAdd] Index " + std::to_string(k) +
                                    " out of range for extent " + std::to_string(Lo.n) + ".");
          }
          acc[k] = wrap_add(acc[k], cast_value<A>(sp[sb + i * Ls.inner]));
        }
        int64_t ob = Lo.base(r);
        for (int64_t k = 0; k < Lo.n; ++k)
          dp[ob + k * Lo.inner] = cast_value<T>(acc[k]);
      }
    });
  });
}

}  // namespace tandem
