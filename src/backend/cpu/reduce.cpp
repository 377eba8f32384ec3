// Copyright © 2026 Tandem authors.
// CPU kernels of Reduce and ArgReduce.
//
// Reduce works on a row-contiguous input (strided inputs are copied first). Adjacent axes of the
// same kind (reduced / kept) are merged, giving groups g0..gk. The last group decides the loop:
//  - last group reduced: each output accumulates a contiguous run (row reduction, vectorised
//    with independent lanes);
//  - last group kept: whole rows are combined elementwise into the output (column reduction).
// Work is split across threads over independent outputs, or over partial results that are
// combined afterwards for full reductions.
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>

#include "backend/common/cast.h"
#include "backend/common/dispatch.h"
#include "backend/common/wrapping.h"
#include "backend/cpu/copy.h"
#include "backend/cpu/threading.h"
#include "primitives/primitives.h"

namespace tandem {

namespace {

using cpu::parallel_for;

template <typename T>
bool is_nan_value(T v) {
  if constexpr (std::is_floating_point_v<T>) {
    return std::isnan(v);
  } else if constexpr (is_complex_type<T>::value) {
    return std::isnan(v.real()) || std::isnan(v.imag());
  } else {
    return false;
  }
}

template <typename T>
bool less_than(T a, T b) {
  if constexpr (is_complex_type<T>::value) {
    return a.real() < b.real() || (a.real() == b.real() && a.imag() < b.imag());
  } else {
    return a < b;
  }
}

template <typename A>
struct SumOp {
  static A init() { return A(0); }
  static A apply(A a, A b) {
    if constexpr (std::is_same_v<A, bool>)
      return a || b;
    else
      return wrap_add(a, b);
  }
};
template <typename A>
struct ProdOp {
  static A init() { return A(1); }
  static A apply(A a, A b) {
    if constexpr (std::is_same_v<A, bool>)
      return a && b;
    else
      return wrap_mul(a, b);
  }
};
template <typename A>
struct MaxOp {
  static A init() {
    if constexpr (std::is_floating_point_v<A>)
      return -std::numeric_limits<A>::infinity();
    else if constexpr (is_complex_type<A>::value)
      return A(-std::numeric_limits<float>::infinity(), 0);
    else
      return std::numeric_limits<A>::lowest();
  }
  // NaN propagates: once the accumulator is NaN it stays NaN.
  static A apply(A acc, A x) {
    return (less_than(acc, x) || is_nan_value(x)) ? (is_nan_value(acc) ? acc : x) : acc;
  }
};
template <typename A>
struct MinOp {
  static A init() {
    if constexpr (std::is_floating_point_v<A>)
      return std::numeric_limits<A>::infinity();
    else if constexpr (is_complex_type<A>::value)
      return A(std::numeric_limits<float>::infinity(), 0);
    else
      return std::numeric_limits<A>::max();
  }
  static A apply(A acc, A x) {
    return (less_than(x, acc) || is_nan_value(x)) ? (is_nan_value(acc) ? acc : x) : acc;
  }
};
struct AndOp {
  static bool init() { return true; }
  static bool apply(bool a, bool b) { return a && b; }
};
struct OrOp {
  static bool init() { return false; }
  static bool apply(bool a, bool b) { return a || b; }
};

// Reduce a contiguous run with independent lanes (lets the compiler vectorise and improves the
// accuracy of long float sums): 32 for real numbers of up to 8 bytes, so that several vector
// accumulators are in flight (one 8-lane chain was bound by the add latency, ~half the memory
// bandwidth of two cores), 8 otherwise.
template <typename Op, typename A, typename T>
A reduce_run(const T* x, int64_t n) {
  constexpr int L = std::is_arithmetic_v<A> && !std::is_same_v<A, bool> ? 32 : 8;
  A lanes[L];
  for (int k = 0; k < L; ++k)
    lanes[k] = Op::init();
  int64_t i = 0;
  for (; i + L <= n; i += L) {
    for (int k = 0; k < L; ++k)
      lanes[k] = Op::apply(lanes[k], static_cast<A>(x[i + k]));
  }
  A acc = Op::init();
  for (; i < n; ++i)
    acc = Op::apply(acc, static_cast<A>(x[i]));
  for (int k = 0; k < L; ++k)
    acc = Op::apply(acc, lanes[k]);
  return acc;
}

// dst[j] = op(dst[j], row[j]) over a contiguous run; the pointers never alias, which lets the
// compiler vectorise the loop.
template <typename Op, typename A, typename T>
void accumulate_row(A* __restrict dst, const T* __restrict row, int64_t n) {
  for (int64_t j = 0; j < n; ++j)
    dst[j] = Op::apply(dst[j], static_cast<A>(row[j]));
}

struct Group {
  int64_t extent;
  bool reduced;
};

template <typename Op, typename A, typename T, typename U>
void reduce_contiguous(const T* in, U* out, const std::vector<Group>& g, size_t out_size) {
  // Accumulate in A, one slot per output.
  // (a plain array, not std::vector: vector<bool> packs bits and cannot be written in parallel)
  std::unique_ptr<A[]> acc(new A[std::max<size_t>(out_size, 1)]);
  for (size_t i = 0; i < out_size; ++i)
    acc[i] = Op::init();
  const int ng = static_cast<int>(g.size());
  const Group& last = g.back();
  int64_t outer = 1;
  for (int i = 0; i + 1 < ng; ++i)
    outer *= g[i].extent;
  // Output strides of the outer groups (kept groups only).
  std::vector<int64_t> ostride(ng, 0);
  int64_t s = last.reduced ? 1 : last.extent;
  for (int i = ng - 2; i >= 0; --i) {
    if (!g[i].reduced) {
      ostride[i] = s;
      s *= g[i].extent;
    }
  }
  auto out_offset = [&](int64_t o) {  // outer linear index -> output offset
    int64_t off = 0;
    for (int i = ng - 2; i >= 0; --i) {
      int64_t idx = o % g[i].extent;
      o /= g[i].extent;
      off += idx * ostride[i];
    }
    return off;
  };
  const int64_t inner = last.extent;
  if (last.reduced) {
    bool injective = true;  // every outer index has its own output
    for (int i = 0; i + 1 < ng; ++i)
      injective &= !g[i].reduced;
    if (injective && outer > 1) {
      parallel_for(outer, std::max<size_t>(1, cpu::kElementwiseGrain / std::max<int64_t>(inner, 1)),
                   [&](size_t b, size_t e) {
                     for (size_t o = b; o < e; ++o)
                       acc[o] = reduce_run<Op, A>(in + o * inner, inner);
                   });
    } else if (outer == 1) {
      // Full reduction of one run: partial results per chunk, combined in order.
      size_t chunks =
          std::max<size_t>(1, std::min<size_t>(cpu::num_threads(), inner / cpu::kElementwiseGrain));
      std::unique_ptr<A[]> part(new A[chunks]);
      for (size_t c = 0; c < chunks; ++c)
        part[c] = Op::init();
      size_t per = (inner + chunks - 1) / chunks;
      parallel_for(chunks, 1, [&](size_t b, size_t e) {
        for (size_t c = b; c < e; ++c) {
          int64_t st = c * per, en = std::min<int64_t>(inner, st + per);
          if (st < en) part[c] = reduce_run<Op, A>(in + st, en - st);
        }
      });
      for (size_t c = 0; c < chunks; ++c)
        acc[0] = Op::apply(acc[0], part[c]);
    } else {
      for (int64_t o = 0; o < outer; ++o) {
        int64_t oo = out_offset(o);
        acc[oo] = Op::apply(acc[oo], reduce_run<Op, A>(in + o * inner, inner));
      }
    }
  } else {
    // Column reduction: whole rows are combined elementwise into their output row.
    const size_t threads = static_cast<size_t>(cpu::num_threads());
    const size_t total = static_cast<size_t>(outer) * static_cast<size_t>(inner);
    // Many rows per output (e.g. sum over axis 0 of a tall matrix): each thread reduces a block
    // of rows into a private partial output, and the partials are combined in thread order.
    // Every thread then streams whole contiguous rows, which scales with the cores; splitting
    // the columns instead makes threads read short interleaved pieces of every row.
    const bool by_rows = threads > 1 && total >= 2 * cpu::kElementwiseGrain &&
                         static_cast<size_t>(outer) >= 2 * threads &&
                         out_size * threads <= total / 4;
    if (by_rows) {
      std::unique_ptr<A[]> part(new A[out_size * threads]);
      const size_t per = (static_cast<size_t>(outer) + threads - 1) / threads;
      parallel_for(threads, 1, [&](size_t b, size_t e) {
        for (size_t t = b; t < e; ++t) {
          A* mine = part.get() + t * out_size;
          for (size_t i = 0; i < out_size; ++i)
            mine[i] = Op::init();
          const size_t o_end = std::min<size_t>(outer, (t + 1) * per);
          for (size_t o = t * per; o < o_end; ++o)
            accumulate_row<Op>(mine + out_offset(o), in + o * inner, inner);
        }
      });
      parallel_for(out_size, cpu::kElementwiseGrain, [&](size_t b, size_t e) {
        for (size_t t = 0; t < threads; ++t)
          accumulate_row<Op>(acc.get() + b, part.get() + t * out_size + b,
                             static_cast<int64_t>(e - b));
      });
    } else if (inner < 4096 && static_cast<size_t>(out_size / inner) >= 2 * threads) {
      // Short rows and many output rows (e.g. 2x2 max pooling over (n, h, 2, w, 2, c)): threads
      // take blocks of output rows, each accumulating its input rows in the same order as below.
      std::vector<int> kept, red;
      std::vector<int64_t> rstride(ng, 1);  // input row stride of each outer group
      for (int i = ng - 2; i >= 0; --i) {
        rstride[i] = (i == ng - 2) ? 1 : rstride[i + 1] * g[i + 1].extent;
        (g[i].reduced ? red : kept).insert((g[i].reduced ? red : kept).begin(), i);
      }
      // Row offsets of the reduced combinations, in accumulation order (an odometer).
      std::vector<int64_t> roff{0};
      for (int i : red) {
        std::vector<int64_t> next;
        for (int64_t o : roff)
          for (int64_t k = 0; k < g[i].extent; ++k)
            next.push_back(o + k * rstride[i]);
        roff.swap(next);
      }
      const int64_t nred = static_cast<int64_t>(roff.size());
      const size_t out_rows = out_size / static_cast<size_t>(inner);
      const size_t grain =
          std::max<size_t>(1, cpu::kElementwiseGrain / std::max<int64_t>(1, nred * inner));
      parallel_for(out_rows, grain, [&](size_t b, size_t e) {
        // Kept-group indices of output row b, then advanced row by row (an odometer).
        std::vector<int64_t> ki(kept.size());
        int64_t base = 0, rem = static_cast<int64_t>(b);
        for (int k = static_cast<int>(kept.size()) - 1; k >= 0; --k) {
          ki[k] = rem % g[kept[k]].extent;
          rem /= g[kept[k]].extent;
          base += ki[k] * rstride[kept[k]];
        }
        for (size_t j = b; j < e; ++j) {
          A* dst = acc.get() + j * inner;
          for (int64_t r = 0; r < nred; ++r)
            accumulate_row<Op>(dst, in + (base + roff[r]) * inner, inner);
          for (int k = static_cast<int>(kept.size()) - 1; k >= 0; --k) {
            base += rstride[kept[k]];
            if (++ki[k] < g[kept[k]].extent) break;
            base -= ki[k] * rstride[kept[k]];
            ki[k] = 0;
          }
        }
      });
    } else {
      // Few rows per output: split the contiguous inner extent across threads.
      parallel_for(inner, 1024, [&](size_t b, size_t e) {
        for (int64_t o = 0; o < outer; ++o)
          accumulate_row<Op>(acc.get() + out_offset(o) + b, in + o * inner + b,
                             static_cast<int64_t>(e - b));
      });
    }
  }
  for (size_t i = 0; i < out_size; ++i)
    out[i] = static_cast<U>(acc[i]);
}

template <typename T, typename U>
void reduce_typed(ReduceOp op, const T* in, U* out, const std::vector<Group>& g, size_t n) {
  using A = std::conditional_t<is_half_type_v<U>, float, U>;
  switch (op) {
    case ReduceOp::Sum:
      return reduce_contiguous<SumOp<A>, A>(in, out, g, n);
    case ReduceOp::Prod:
      return reduce_contiguous<ProdOp<A>, A>(in, out, g, n);
    case ReduceOp::Max:
      return reduce_contiguous<MaxOp<A>, A>(in, out, g, n);
    case ReduceOp::Min:
      return reduce_contiguous<MinOp<A>, A>(in, out, g, n);
    case ReduceOp::And:
    case ReduceOp::Or:
      if constexpr (std::is_same_v<U, bool>) {
        if (op == ReduceOp::And) return reduce_contiguous<AndOp, bool>(in, out, g, n);
        return reduce_contiguous<OrOp, bool>(in, out, g, n);
      }
      throw std::logic_error("[Reduce] And/Or need bool output.");
  }
}

}  // namespace

void Reduce::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  array in = inputs[0];
  array& out = outputs[0];
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) return;
  if (!in.flags().row_contiguous) in = cpu::make_contiguous(in);
  // Group adjacent dims of the same kind; drop extent-1 dims.
  std::vector<Group> g;
  size_t k = 0;
  for (int d = 0; d < in.ndim(); ++d) {
    bool red = k < axes_.size() && axes_[k] == d;
    if (red) ++k;
    int64_t e = in.shape()[d];
    if (e == 1) continue;
    if (!g.empty() && g.back().reduced == red) {
      g.back().extent *= e;
    } else {
      g.push_back({e, red});
    }
  }
  if (g.empty()) g.push_back({1, true});
  if (in.size() == 0) g = {{1, false}, {0, true}};  // empty reduction: outputs take the identity
  auto run = [&]<typename T, typename U>() {
    reduce_typed<T, U>(op_, in.unsafe_data<T>(), out.unsafe_data<U>(), g, out.size());
  };
  dispatch_all(in.dtype(), [&]<typename T>() {
    if (out.dtype() == in.dtype()) {
      run.template operator()<T, T>();
    } else if constexpr (!is_complex_type<T>::value && !is_half_type_v<T> &&
                         !std::is_floating_point_v<T>) {
      if (out.dtype() == int32) return run.template operator()<T, int32_t>();
      if (out.dtype() == uint32) return run.template operator()<T, uint32_t>();
      if (out.dtype() == bool_) return run.template operator()<T, bool>();
      throw std::logic_error("[Reduce] Unexpected output dtype " + dtype_name(out.dtype()));
    } else {
      throw std::logic_error("[Reduce] Unexpected output dtype " + dtype_name(out.dtype()));
    }
  });
}

void ArgReduce::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  const array& in = inputs[0];
  array& out = outputs[0];
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) return;
  int64_t n = in.shape()[axis_];
  int64_t ax_stride = in.strides()[axis_];
  // Iterate the output positions (the input without `axis`) with the input's strides.
  Shape oshape;
  Strides istr;
  for (int d = 0; d < in.ndim(); ++d) {
    if (d == axis_) continue;
    oshape.push_back(in.shape()[d]);
    istr.push_back(in.strides()[d]);
  }
  uint32_t* dst = out.unsafe_data<uint32_t>();
  bool is_max = op_ == ArgReduceOp::ArgMax;
  dispatch_all(in.dtype(), [&]<typename T>() {
    if constexpr (is_complex_type<T>::value) {
      throw std::invalid_argument("[argmax] Not supported for complex64.");
    } else {
      using C = compute_t<T>;
      const T* src = in.unsafe_data<T>();
      parallel_for(out.size(), std::max<size_t>(1, 4096 / std::max<int64_t>(n, 1)),
                   [&](size_t b, size_t e) {
                     for (size_t o = b; o < e; ++o) {
                       int64_t off = 0;
                       size_t rem = o;
                       for (int d = static_cast<int>(oshape.size()) - 1; d >= 0; --d) {
                         off += (rem % oshape[d]) * istr[d];
                         rem /= oshape[d];
                       }
                       const T* p = src + off;
                       C best = static_cast<C>(p[0]);
                       uint32_t bi = 0;
                       if (!is_nan_value(best)) {
                         for (int64_t i = 1; i < n; ++i) {
                           C v = static_cast<C>(p[i * ax_stride]);
                           if (is_nan_value(v)) {  // first NaN wins, as in NumPy
                             bi = static_cast<uint32_t>(i);
                             break;
                           }
                           if (is_max ? v > best : v < best) {
                             best = v;
                             bi = static_cast<uint32_t>(i);
                           }
                         }
                       }
                       dst[o] = bi;
                     }
                   });
    }
  });
}

}  // namespace tandem
