// Copyright © 2026 Tandem authors.
// CPU kernels of the fused primitives (primitives/fused.h).
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "backend/common/cast.h"
#include "backend/common/dispatch.h"
#include "backend/common/sdpa.h"
#include "backend/cpu/copy.h"
#include "backend/cpu/gemm.h"
#include "backend/cpu/simd_bf16.h"
#include "backend/cpu/threading.h"
#include "backend/cpu/vmath.h"
#include "primitives/fused.h"
#include "tandem/allocator.h"

namespace tandem {

namespace {

inline float exp_of(float x) {
  return cpu::vmath::exp(x);
}
inline double exp_of(double x) {
  return std::exp(x);
}

/// Reductions over a row in 64 independent lanes, so the loops vectorise without reassociating
/// any one running value (a single running sum or max is a serial dependency chain), with four
/// 16-lane vectors in flight (one vector was bound by the add latency: 25% of a bf16 LayerNorm).
constexpr int kLanes = 64;

/// sum of f(v[j]) over a row.
template <typename A, typename F>
inline A lane_sum(const A* v, int64_t n, F f) {
  A acc[kLanes];
  for (int l = 0; l < kLanes; ++l)
    acc[l] = A(0);
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    for (int l = 0; l < kLanes; ++l)
      acc[l] += f(v[j + l]);
  }
  A s = 0;
  for (; j < n; ++j)
    s += f(v[j]);
  for (int l = 0; l < kLanes; ++l)
    s += acc[l];
  return s;
}

/// max over a row; NaN is skipped here (the softmax arithmetic propagates it).
template <typename A>
inline A lane_max(const A* v, int64_t n) {
  A acc[kLanes];
  for (int l = 0; l < kLanes; ++l)
    acc[l] = -std::numeric_limits<A>::infinity();
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    for (int l = 0; l < kLanes; ++l)
      acc[l] = v[j + l] > acc[l] ? v[j + l] : acc[l];
  }
  A m = -std::numeric_limits<A>::infinity();
  for (; j < n; ++j)
    m = v[j] > m ? v[j] : m;
  for (int l = 0; l < kLanes; ++l)
    m = acc[l] > m ? acc[l] : m;
  return m;
}

// One row: max, then e = exp(x - max) kept in `buf` (the accumulation type), sum, scale.
// A few passes over a row that stays in cache, instead of five over the whole array; 16-bit
// inputs are converted into `buf` once.
template <typename T, typename A>
void softmax_row(const T* x, T* y, A* buf, int64_t n) {
  const A* v;
  if constexpr (std::is_same_v<T, A>) {
    v = x;
  } else {
    for (int64_t j = 0; j < n; ++j)
      buf[j] = static_cast<A>(x[j]);
    v = buf;
  }
  const A m = lane_max(v, n);
  // NaN or +inf anywhere, or a row of -inf, gives a row of NaN through the arithmetic itself
  // (NaN sums, inf - inf), exactly as the composed exp(x - max) / sum does.
  for (int64_t j = 0; j < n; ++j)
    buf[j] = exp_of(v[j] - m);
  const A s = lane_sum(buf, n, [](A t) { return t; });
  const A inv = A(1) / s;
  for (int64_t j = 0; j < n; ++j)
    y[j] = static_cast<T>(buf[j] * inv);
}

}  // namespace

void Softmax::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  array in = inputs[0];
  array& out = outputs[0];
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) return;
  if (!in.flags().row_contiguous) in = cpu::make_contiguous(in);
  const int64_t n = in.ndim() == 0 ? 1 : in.shape().back();
  const int64_t rows = static_cast<int64_t>(in.size()) / n;
  bool done = dispatch_all(in.dtype(), [&]<typename T>() {
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double> || is_half_type_v<T>) {
      using A = std::conditional_t<std::is_same_v<T, double>, double, float>;
      const T* x = in.unsafe_data<T>();
      T* y = out.unsafe_data<T>();
      size_t grain = std::max<size_t>(1, cpu::kElementwiseGrain / static_cast<size_t>(n));
      cpu::parallel_for(rows, grain, [&](size_t b, size_t e) {
        std::unique_ptr<A[]> buf(new A[n]);
        for (size_t r = b; r < e; ++r)
          softmax_row(x + r * n, y + r * n, buf.get(), n);
      });
      return true;
    } else {
      return false;
    }
  });
  if (!done) {
    throw std::invalid_argument("[softmax] Requires a floating-point input; got " +
                                dtype_name(in.dtype()) + ".");
  }
}

// ------------------------------ RMSNorm, LayerNorm ------------------------------

namespace {

/// One row of x in the accumulation type: x itself when it already is, else converted into buf.
template <typename Tx, typename A>
inline const A* row_in(const Tx* x, A* buf, int64_t n) {
  if constexpr (std::is_same_v<Tx, A>) {
    return x;
  } else {
    for (int64_t j = 0; j < n; ++j)
      buf[j] = static_cast<A>(x[j]);
    return buf;
  }
}

// The output of one row: t_j = (v_j - mu) * inv rounded to T, then * w_j and + b_j in T (one
// rounding each, as the composition astype(y, T) * w + b).
template <typename T, typename A>
inline void norm_out_row(const A* v, A mu, A inv, const T* w, const T* b, T* y, int64_t n) {
  if (w && b) {
    for (int64_t j = 0; j < n; ++j) {
      T t = static_cast<T>((v[j] - mu) * inv);
      t = static_cast<T>(static_cast<A>(t) * static_cast<A>(w[j]));
      y[j] = static_cast<T>(static_cast<A>(t) + static_cast<A>(b[j]));
    }
  } else if (w) {
    for (int64_t j = 0; j < n; ++j) {
      T t = static_cast<T>((v[j] - mu) * inv);
      y[j] = static_cast<T>(static_cast<A>(t) * static_cast<A>(w[j]));
    }
  } else if (b) {
    for (int64_t j = 0; j < n; ++j) {
      T t = static_cast<T>((v[j] - mu) * inv);
      y[j] = static_cast<T>(static_cast<A>(t) + static_cast<A>(b[j]));
    }
  } else {
    for (int64_t j = 0; j < n; ++j)
      y[j] = static_cast<T>((v[j] - mu) * inv);
  }
}

/// The shared driver: rows of the last axis, split over the thread pool. rms: mu = 0 and the
/// mean square; otherwise the mean and the (two-pass) population variance.
void norm_eval(const char* op, bool rms, float eps, bool has_w, bool has_b,
               const std::vector<array>& inputs, array& out) {
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) return;
  auto contiguous = [](const array& a) {
    return a.flags().row_contiguous ? a : cpu::make_contiguous(a);
  };
  array x = contiguous(inputs[0]);
  std::optional<array> w, b;
  if (has_w) w = contiguous(inputs[1]);
  if (has_b) b = contiguous(inputs[has_w ? 2 : 1]);
  const int64_t n = x.shape().back();
  const int64_t rows = static_cast<int64_t>(x.size()) / n;
  auto kernel = [&]<typename Tx, typename T>() {
    using A = std::conditional_t<std::is_same_v<T, double>, double, float>;
    const Tx* xp = x.unsafe_data<Tx>();
    const T* wp = w ? w->unsafe_data<T>() : nullptr;
    const T* bp = b ? b->unsafe_data<T>() : nullptr;
    T* yp = out.unsafe_data<T>();
    const A e = static_cast<A>(eps);
    // bfloat16 outputs round through simd_bf16.h; the parameters are converted to float once.
    constexpr bool bf16_out = std::is_same_v<T, bfloat16_t>;
    std::vector<float> wf, bf;
    if constexpr (bf16_out) {
      if (wp) wf.assign(wp, wp + n);
      if (bp) bf.assign(bp, bp + n);
    }
    size_t grain = std::max<size_t>(1, cpu::kElementwiseGrain / static_cast<size_t>(n));
    cpu::parallel_for(rows, grain, [&](size_t r0, size_t r1) {
      std::unique_ptr<A[]> buf(std::is_same_v<Tx, A> ? nullptr : new A[n]);
      for (size_t r = r0; r < r1; ++r) {
        const A* v = row_in<Tx, A>(xp + r * n, buf.get(), n);
        A mu = 0, ms;
        if (rms) {
          ms = lane_sum(v, n, [](A t) { return t * t; }) / static_cast<A>(n);
        } else {
          mu = lane_sum(v, n, [](A t) { return t; }) / static_cast<A>(n);
          ms = lane_sum(v, n,
                        [mu](A t) {
                          A d = t - mu;
                          return d * d;
                        }) /
               static_cast<A>(n);
        }
        const A inv = A(1) / std::sqrt(ms + e);
        if constexpr (bf16_out) {
          cpu::norm_row_bf16(v, mu, inv, wp ? wf.data() : nullptr, bp ? bf.data() : nullptr,
                             reinterpret_cast<uint16_t*>(yp + r * n), n);
        } else {
          norm_out_row<T, A>(v, mu, inv, wp, bp, yp + r * n, n);
        }
      }
    });
  };
  bool done = dispatch_norm<float16_t, bfloat16_t>(x.dtype(), out.dtype(), kernel);
  if (!done) {
    throw std::invalid_argument(std::string("[") + op + "] Unsupported dtypes: input " +
                                dtype_name(x.dtype()) + ", output " + dtype_name(out.dtype()) +
                                ".");
  }
}

}  // namespace

void RMSNorm::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  norm_eval("rms_norm", true, eps_, has_weight_, false, inputs, outputs[0]);
}

void LayerNorm::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  norm_eval("layer_norm", false, eps_, has_weight_, has_bias_, inputs, outputs[0]);
}

// ------------------------------ ScaledDotProductAttention ------------------------------
//
// Work items are blocks of query rows of one kv head: the G query heads sharing a kv head stack
// their rows ((g, i) -> row g * Lq + i), so grouped-query attention multiplies each kv head's
// keys once per block of all its heads' rows. A block's scores (rows x keys) stay in a buffer of
// at most ~256 KB: S = scale * Q Kᵀ (BLAS), masks, a row-wise softmax (with the sink), then
// O = S V (BLAS), in the accumulation type A (float; double for float64). Causal blocks stop at
// the last key any of their rows sees. Keys and values are packed into A once per kv head and
// chunk of work (used in place when already of type A with unit column stride).

namespace {

template <typename T>
struct SdpaArgs : SdpaGeometry {
  const T* q;
  const T* k;
  const T* v;
  const void* mask;  // bool or T (mask_kind), (B, Hq, Lq, Lk) with strides ms
  const T* sinks;    // (Hq,) contiguous, or null
  T* out;            // (B, Hq, Lq, Dv) row-contiguous
};

/// rows x cols of a strided matrix as A, row-major: `buf` filled and returned, or `src` itself
/// (ld set to its row stride) when it already is A with unit column stride.
template <typename T, typename A>
const A* as_rows(const T* src, int64_t row_stride, int64_t col_stride, int64_t rows, int64_t cols,
                 std::vector<A>& buf, int64_t& ld) {
  if constexpr (std::is_same_v<T, A>) {
    if (col_stride == 1 && (row_stride >= cols || rows <= 1) && row_stride > 0) {
      ld = row_stride;
      return src;
    }
  }
  buf.resize(static_cast<size_t>(std::max<int64_t>(rows * cols, 1)));
  for (int64_t r = 0; r < rows; ++r) {
    const T* x = src + r * row_stride;
    A* y = buf.data() + r * cols;
    for (int64_t c = 0; c < cols; ++c)
      y[c] = static_cast<A>(cast_value<compute_t<T>>(x[c * col_stride]));
  }
  ld = std::max<int64_t>(cols, 1);
  return buf.data();
}

template <typename T, typename A>
void sdpa_cpu(const SdpaArgs<T>& a) {
  const A lowest = std::numeric_limits<A>::lowest();
  const int64_t R = static_cast<int64_t>(a.G) * a.Lq;  // query rows per kv head
  // Rows per block: up to 64, fewer when a row of scores is long (buffer <= ~256 KB).
  const int64_t Bq = std::clamp<int64_t>(
      (int64_t{1} << 18) / (std::max<int64_t>(a.Lk, 1) * static_cast<int64_t>(sizeof(A))),
      int64_t{4}, int64_t{64});
  // Blocks stay within one query head when its rows fill a block (causal blocks then see few
  // keys); short heads share blocks.
  const bool per_head = a.Lq >= Bq;
  const int64_t per_g = (a.Lq + Bq - 1) / Bq;
  const int64_t nb = per_head ? a.G * per_g : (R + Bq - 1) / Bq;
  const int64_t tasks = a.B * a.Hkv * nb;
  // A block costs about rows * keys * (D + Dv) multiply-adds; aim for ~1M per chunk.
  const double block_work =
      static_cast<double>(std::min(Bq, R)) * std::max<int64_t>(a.Lk, 1) * (a.D + a.Dv + 8);
  // With OpenBLAS single-threaded (the default) the pool runs blocks in parallel; when OpenBLAS
  // threads its own calls (TANDEM_BLAS_THREADS=openblas), blocks run one after another.
  const size_t grain = cpu::blas_on_pool() ? static_cast<size_t>(std::max(1.0, 1e6 / block_work))
                                           : static_cast<size_t>(std::max<int64_t>(tasks, 1));
  cpu::parallel_for(static_cast<size_t>(tasks), grain, [&](size_t t0, size_t t1) {
    std::vector<A> qb, kb, vb, ob(static_cast<size_t>(Bq * std::max<int64_t>(a.Dv, 1)));
    std::vector<A> sb(static_cast<size_t>(Bq * std::max<int64_t>(a.Lk, 1)));
    const A* kp = nullptr;
    const A* vp = nullptr;
    int64_t ldk = 1, ldv = 1, packed = -1;
    for (size_t t = t0; t < t1; ++t) {
      const int64_t b = static_cast<int64_t>(t) / (a.Hkv * nb);
      const int64_t hk = (static_cast<int64_t>(t) / nb) % a.Hkv;
      const int64_t blk = static_cast<int64_t>(t) % nb;
      int64_t r0, r1;
      if (per_head) {
        const int64_t g = blk / per_g, i0 = (blk % per_g) * Bq;
        r0 = g * a.Lq + i0;
        r1 = g * a.Lq + std::min<int64_t>(a.Lq, i0 + Bq);
      } else {
        r0 = blk * Bq;
        r1 = std::min(R, r0 + Bq);
      }
      const int64_t nr = r1 - r0;
      // Keys this block needs: all, or (causal) up to the last one any of its rows sees. A row
      // that sees none (Lq > Lk) averages over all keys, as the composition's softmax does.
      int64_t kend = a.Lk;
      if (a.causal) {
        int64_t last = -1;
        bool blind = false;
        for (int64_t r = r0; r < r1; ++r) {
          const int64_t lim = r % a.Lq + a.Lk - a.Lq;
          blind = blind || lim < 0;
          last = std::max(last, lim);
        }
        if (!blind) kend = std::min<int64_t>(a.Lk, last + 1);
      }
      T* out = a.out;
      auto out_row = [&](int64_t r) {
        const int64_t hq = hk * a.G + r / a.Lq, i = r % a.Lq;
        return out + ((b * a.Hq + hq) * a.Lq + i) * a.Dv;
      };
      if (kend == 0) {  // no keys at all: the weighted sum is empty
        for (int64_t r = r0; r < r1; ++r)
          std::fill(out_row(r), out_row(r) + a.Dv, T(0));
        continue;
      }
      const int64_t kv = b * a.Hkv + hk;
      if (packed != kv) {
        kp = as_rows<T, A>(a.k + b * a.ks[0] + hk * a.ks[1], a.ks[2], a.ks[3], a.Lk, a.D, kb, ldk);
        vp = as_rows<T, A>(a.v + b * a.vs[0] + hk * a.vs[1], a.vs[2], a.vs[3], a.Lk, a.Dv, vb, ldv);
        packed = kv;
      }
      // The block's queries as A rows (not scaled: the product applies the scale).
      qb.resize(static_cast<size_t>(std::max<int64_t>(nr * a.D, 1)));
      for (int64_t r = r0; r < r1; ++r) {
        const int64_t hq = hk * a.G + r / a.Lq, i = r % a.Lq;
        const T* x = a.q + b * a.qs[0] + hq * a.qs[1] + i * a.qs[2];
        A* y = qb.data() + (r - r0) * a.D;
        for (int64_t d = 0; d < a.D; ++d)
          y[d] = static_cast<A>(cast_value<compute_t<T>>(x[d * a.qs[3]]));
      }
      A* S = sb.data();
      if (a.D == 0) {
        std::fill(S, S + nr * kend, A(0));
      } else {
        cpu::gemm_call<A>(false, true, nr, kend, a.D, static_cast<A>(a.scale), qb.data(),
                          std::max<int64_t>(a.D, 1), kp, ldk, A(0), S, kend);
      }
      for (int64_t r = r0; r < r1; ++r) {
        const int64_t hq = hk * a.G + r / a.Lq, i = r % a.Lq;
        A* srow = S + (r - r0) * kend;
        if (a.causal) {
          const int64_t lim = i + a.Lk - a.Lq;
          for (int64_t j = std::max<int64_t>(lim + 1, 0); j < kend; ++j)
            srow[j] = lowest;
        } else if (a.mask) {
          const int64_t off = b * a.ms[0] + hq * a.ms[1] + i * a.ms[2], st = a.ms[3];
          if (a.mask_kind == 1) {
            const bool* m = static_cast<const bool*>(a.mask) + off;
            for (int64_t j = 0; j < kend; ++j)
              if (!m[j * st]) srow[j] = lowest;
          } else {
            const T* m = static_cast<const T*>(a.mask) + off;
            for (int64_t j = 0; j < kend; ++j)
              srow[j] += static_cast<A>(cast_value<compute_t<T>>(m[j * st]));
          }
        }
        A mx = lane_max(srow, kend);
        A sink = A(0);
        if (a.sinks) {
          sink = static_cast<A>(cast_value<compute_t<T>>(a.sinks[hq]));
          mx = sink > mx ? sink : mx;
        }
        for (int64_t j = 0; j < kend; ++j)
          srow[j] = exp_of(srow[j] - mx);
        A total = lane_sum(srow, kend, [](A x) { return x; });
        if (a.sinks) total += exp_of(sink - mx);
        const A inv = A(1) / total;
        for (int64_t j = 0; j < kend; ++j)
          srow[j] *= inv;
      }
      A* O = ob.data();
      cpu::gemm_call<A>(false, false, nr, a.Dv, kend, A(1), S, kend, vp, ldv, A(0), O, a.Dv);
      for (int64_t r = r0; r < r1; ++r) {
        T* y = out_row(r);
        const A* o = O + (r - r0) * a.Dv;
        for (int64_t d = 0; d < a.Dv; ++d)
          y[d] = cast_value<T>(static_cast<compute_t<T>>(o[d]));
      }
    }
  });
}

}  // namespace

void ScaledDotProductAttention::eval_cpu(const std::vector<array>& inputs,
                                         std::vector<array>& outputs) {
  array& out = outputs[0];
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) return;
  const array &q = inputs[0], &k = inputs[1], &v = inputs[2];
  const array* mask = has_mask_ ? &inputs[3] : nullptr;
  array sinks = has_sinks_ ? inputs[has_mask_ ? 4 : 3] : array(0.0f);
  if (has_sinks_ && !sinks.flags().row_contiguous) sinks = cpu::make_contiguous(sinks);
  bool done = dispatch_all(q.dtype(), [&]<typename T>() {
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double> || is_half_type_v<T>) {
      using A = std::conditional_t<std::is_same_v<T, double>, double, float>;
      SdpaArgs<T> a{};
      static_cast<SdpaGeometry&>(a) = sdpa_geometry(q, k, v, mask, scale_, causal_);
      a.q = q.unsafe_data<T>();
      a.k = k.unsafe_data<T>();
      a.v = v.unsafe_data<T>();
      a.mask = mask ? mask->raw_data() : nullptr;
      a.sinks = has_sinks_ ? sinks.unsafe_data<T>() : nullptr;
      a.out = out.unsafe_data<T>();
      sdpa_cpu<T, A>(a);
      return true;
    } else {
      return false;
    }
  });
  if (!done) {
    throw std::invalid_argument(
        "[scaled_dot_product_attention] Requires floating-point inputs; "
        "got " +
        dtype_name(q.dtype()) + ".");
  }
}

}  // namespace tandem
