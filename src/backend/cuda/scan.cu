// Copyright © 2026 Tandem authors.
// GPU kernels of Scan (cumsum, cumprod, cummax, cummin, logcumsumexp; inclusive or exclusive,
// forward or reverse). The operators mirror backend/cpu/sort_scan.cpp: the accumulator is the
// output's compute type (float32 for 16-bit floats, int32 for the bool sum), integer sums and
// products wrap, max / min propagate NaN and compare complex lexicographically.
//
// The input is made row-contiguous and viewed as (outer, n, inner) around the axis.
//  - Rows (inner == 1, n > 16): a block per row scans it in tiles of blockDim x 4 elements: each
//    thread combines its 4 consecutive elements, a Hillis-Steele scan in shared memory combines
//    the threads' totals, and a carry passes from tile to tile. A few long rows are cut into
//    chunks scanned by separate blocks (chunk totals, their exclusive scan, then each chunk from
//    its carry). The combination order differs from the CPU's left-to-right one, so float sums /
//    products / logaddexp agree with the CPU within rounding, not bit for bit (integer, max and
//    min scans are exact).
//  - Columns (inner > 1 with many columns, or short axes): a thread per (outer, inner) column
//    walks the axis in order, exactly as the CPU does (consecutive threads read consecutive
//    columns, so the loads coalesce).
//  - Few long columns: transposed into rows (a copy), scanned as rows, transposed back.
#include "backend/common/wrapping.h"
#include "backend/cuda/indexing.cuh"
#include "primitives/sort_scan.h"

namespace tandem {

namespace {

using cuda::complex_t;

// ---------------- operators (backend/cpu/sort_scan.cpp) ----------------

template <typename A>
__device__ inline A lowest_value() {
  if constexpr (std::is_floating_point_v<A>) {
    return -std::numeric_limits<A>::infinity();
  } else if constexpr (cuda::is_complex_v<A>) {
    return A(-std::numeric_limits<float>::infinity(), 0.0f);
  } else {
    return std::numeric_limits<A>::lowest();
  }
}

template <typename A>
__device__ inline A highest_value() {
  if constexpr (std::is_floating_point_v<A>) {
    return std::numeric_limits<A>::infinity();
  } else if constexpr (cuda::is_complex_v<A>) {
    return A(std::numeric_limits<float>::infinity(), 0.0f);
  } else {
    return std::numeric_limits<A>::max();
  }
}

template <typename A>
struct ScanSum {
  __device__ static A init() { return A(0); }
  __device__ static A apply(A acc, A x) { return wrap_add(acc, x); }
};
template <typename A>
struct ScanProd {
  __device__ static A init() { return A(1); }
  __device__ static A apply(A acc, A x) { return wrap_mul(acc, x); }
};
template <typename A>
struct ScanMax {
  __device__ static A init() { return lowest_value<A>(); }
  __device__ static A apply(A acc, A x) {
    if (cuda::is_nan_c(acc)) return acc;
    if (cuda::is_nan_c(x)) return x;
    return cuda::num_less(acc, x) ? x : acc;
  }
};
template <typename A>
struct ScanMin {
  __device__ static A init() { return highest_value<A>(); }
  __device__ static A apply(A acc, A x) {
    if (cuda::is_nan_c(acc)) return acc;
    if (cuda::is_nan_c(x)) return x;
    return cuda::num_less(x, acc) ? x : acc;
  }
};
template <typename A>
struct ScanLogAddExp {
  __device__ static A init() { return -std::numeric_limits<A>::infinity(); }
  __device__ static A apply(A acc, A x) {
    if (isnan(acc) || isnan(x)) return std::numeric_limits<A>::quiet_NaN();
    if (acc == x) return acc + static_cast<A>(0.69314718055994530942);  // also +-inf
    const A m = acc > x ? acc : x;
    const A d = acc > x ? x - acc : acc - x;  // -|acc - x|
    if constexpr (std::is_same_v<A, float>) {
      return m + log1pf(expf(d));
    } else {
      return m + log1p(exp(d));
    }
  }
};

// ---------------- kernels ----------------

constexpr int kItems = 4;
constexpr int kMaxScanThreads = 256;

// A block per chunk of a row: rows of n at in + row * n (row-contiguous), each cut into `cpr`
// chunks of `chunk` consecutive positions in scan order (reverse: from the end). Block b scans
// chunk b % cpr of row b / cpr, starting from carries[b] (null: the identity). When `out` is
// null only the chunk's total is computed; when `totals` is set thread 0 writes it there.
template <typename Op, typename A, typename T, typename U>
__global__ void scan_rows_kernel(const T* in, U* out, int64_t rows, int64_t n, int64_t chunk,
                                 int64_t cpr, const A* carries, A* totals, bool reverse,
                                 bool inclusive) {
  alignas(16) __shared__ unsigned char buf[kMaxScanThreads * sizeof(A)];
  A* part = reinterpret_cast<A*>(buf);
  const int tid = threadIdx.x;
  const int B = blockDim.x;
  const int64_t tile = static_cast<int64_t>(B) * kItems;
  for (int64_t b = blockIdx.x; b < rows * cpr; b += gridDim.x) {
    const int64_t row = b / cpr;
    const int64_t k_begin = (b - row * cpr) * chunk;
    const int64_t k_end = k_begin + chunk < n ? k_begin + chunk : n;
    const T* x = in + row * n;
    U* y = out ? out + row * n : nullptr;
    A carry = carries ? carries[b] : Op::init();
    for (int64_t t0 = k_begin; t0 < k_end; t0 += tile) {
      A v[kItems];
      A local = Op::init();
      const int64_t k0 = t0 + static_cast<int64_t>(tid) * kItems;
#pragma unroll
      for (int e = 0; e < kItems; ++e) {
        const int64_t k = k0 + e;
        if (k < k_end) {
          v[e] = cuda::convert<A>(x[reverse ? n - 1 - k : k]);
          local = Op::apply(local, v[e]);
        } else {
          v[e] = Op::init();
        }
      }
      // Inclusive scan of the threads' partial results (Hillis-Steele).
      part[tid] = local;
      __syncthreads();
      for (int off = 1; off < B; off <<= 1) {
        A other = tid >= off ? part[tid - off] : Op::init();
        __syncthreads();
        if (tid >= off) part[tid] = Op::apply(other, part[tid]);
        __syncthreads();
      }
      if (y) {
        A run = Op::apply(carry, tid > 0 ? part[tid - 1] : Op::init());
#pragma unroll
        for (int e = 0; e < kItems; ++e) {
          const int64_t k = k0 + e;
          if (k < k_end) {
            const int64_t i = reverse ? n - 1 - k : k;
            if (inclusive) {
              run = Op::apply(run, v[e]);
              y[i] = cuda::convert<U>(run);
            } else {
              y[i] = cuda::convert<U>(run);
              run = Op::apply(run, v[e]);
            }
          }
        }
      }
      carry = Op::apply(carry, part[B - 1]);
      __syncthreads();  // `part` is rewritten by the next tile
    }
    if (totals && tid == 0) totals[b] = carry;
  }
}

// A thread per column (o, j): the axis walked in order, as on the CPU.
template <typename Op, typename A, typename T, typename U>
__global__ void scan_columns_kernel(const T* in, U* out, int64_t columns, int64_t n, int64_t inner,
                                    bool reverse, bool inclusive) {
  for (int64_t c = cuda::global_thread(); c < columns; c += cuda::grid_threads()) {
    const int64_t o = c / inner;
    const int64_t j = c - o * inner;
    const int64_t base = o * n * inner + j;
    A acc = Op::init();
    for (int64_t k = 0; k < n; ++k) {
      const int64_t i = reverse ? n - 1 - k : k;
      const int64_t off = base + i * inner;
      if (inclusive) {
        acc = Op::apply(acc, cuda::convert<A>(in[off]));
        out[off] = cuda::convert<U>(acc);
      } else {
        out[off] = cuda::convert<U>(acc);
        acc = Op::apply(acc, cuda::convert<A>(in[off]));
      }
    }
  }
}

struct ScanGeom {
  int64_t outer, n, inner;
  bool reverse, inclusive;
};

// Thread safe (two threads may evaluate on different streams at once): runtime.h.
int sm_count(int device) {
  return cuda::multiprocessor_count(device);
}

// Elements per chunk when a few long rows are split over several blocks.
constexpr int64_t kScanChunk = int64_t(kMaxScanThreads) * kItems * 8;

template <typename Op, typename A, typename T, typename U>
void scan_launch(cuda::Encoder& enc, const T* in, U* out, const ScanGeom& g, bool rows) {
  if (!rows) {
    const int64_t columns = g.outer * g.inner;
    cuda::launch(enc, "scan_columns", scan_columns_kernel<Op, A, T, U>, cuda::blocks_for(columns),
                 cuda::kThreads, 0, in, out, columns, g.n, g.inner, g.reverse, g.inclusive);
    return;
  }
  const int64_t nrows = g.outer * g.inner;  // inner == 1 here
  if (g.n > 2 * kScanChunk && nrows < 2 * static_cast<int64_t>(sm_count(enc.device()))) {
    // Few long rows: (1) the total of every chunk, (2) an exclusive scan of the totals of each
    // row (the chunks' carries), (3) every chunk scanned from its carry. The chunk order is the
    // scan order, so reverse scans need nothing else.
    const int64_t cpr = (g.n + kScanChunk - 1) / kScanChunk;
    const size_t nchunks = static_cast<size_t>(nrows * cpr);
    const Dtype at = cuda::dtype_of_device<A>();
    array totals = cuda::scratch(enc, nchunks, at);
    array carries = cuda::scratch(enc, nchunks, at);
    A* pt = static_cast<A*>(enc.input(totals));
    A* pc = static_cast<A*>(enc.input(carries));
    const unsigned grid = cuda::blocks_for(static_cast<int64_t>(nchunks), 1);
    cuda::launch(enc, "scan_rows", scan_rows_kernel<Op, A, T, U>, grid, kMaxScanThreads, 0, in,
                 static_cast<U*>(nullptr), nrows, g.n, kScanChunk, cpr,
                 static_cast<const A*>(nullptr), pt, g.reverse, g.inclusive);
    int threads = 32;
    while (threads < kMaxScanThreads && static_cast<int64_t>(threads) * kItems < cpr)
      threads *= 2;
    cuda::launch(enc, "scan_rows", scan_rows_kernel<Op, A, A, A>, cuda::blocks_for(nrows, 1),
                 threads, 0, static_cast<const A*>(pt), pc, nrows, cpr, cpr, int64_t(1),
                 static_cast<const A*>(nullptr), static_cast<A*>(nullptr), false, false);
    cuda::launch(enc, "scan_rows", scan_rows_kernel<Op, A, T, U>, grid, kMaxScanThreads, 0, in, out,
                 nrows, g.n, kScanChunk, cpr, static_cast<const A*>(pc), static_cast<A*>(nullptr),
                 g.reverse, g.inclusive);
    return;
  }
  // A block per row, with enough threads for one tile to cover the row (a warp to 256).
  int threads = 32;
  while (threads < kMaxScanThreads && static_cast<int64_t>(threads) * kItems < g.n)
    threads *= 2;
  cuda::launch(enc, "scan_rows", scan_rows_kernel<Op, A, T, U>, cuda::blocks_for(nrows, 1), threads,
               0, in, out, nrows, g.n, g.n, int64_t(1), static_cast<const A*>(nullptr),
               static_cast<A*>(nullptr), g.reverse, g.inclusive);
}

template <typename T, typename U>
void scan_typed(cuda::Encoder& enc, ScanOp op, const T* in, U* out, const ScanGeom& g, bool rows) {
  using A = cuda::compute_t<U>;
  switch (op) {
    case ScanOp::Sum:
      return scan_launch<ScanSum<A>, A>(enc, in, out, g, rows);
    case ScanOp::Prod:
      return scan_launch<ScanProd<A>, A>(enc, in, out, g, rows);
    case ScanOp::Max:
      if constexpr (std::is_same_v<T, U>) return scan_launch<ScanMax<A>, A>(enc, in, out, g, rows);
      break;
    case ScanOp::Min:
      if constexpr (std::is_same_v<T, U>) return scan_launch<ScanMin<A>, A>(enc, in, out, g, rows);
      break;
    case ScanOp::LogAddExp:
      if constexpr (std::is_same_v<T, U> && std::is_floating_point_v<A>) {
        return scan_launch<ScanLogAddExp<A>, A>(enc, in, out, g, rows);
      }
      throw std::invalid_argument("[logcumsumexp] Requires a floating-point input.");
  }
  throw std::logic_error("[Scan] Unexpected dtypes for this scan.");
}

}  // namespace

void Scan::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  auto& enc = cuda::encoder(stream());
  array& out = outputs[0];
  void* po = enc.output(out);
  if (out.size() == 0) {
    cuda::set_evaluated(outputs);
    return;
  }
  array in = inputs[0];
  if (!in.flags().row_contiguous) in = cuda::contiguous_copy(enc, in);
  const cuda::AxisLayout L = cuda::axis_layout(in.shape(), axis_);
  ScanGeom g{L.outer, L.n, L.inner, reverse_, inclusive_};
  const bool bool_sum = in.dtype() == bool_ && out.dtype() == int32;
  if (!bool_sum && in.dtype() != out.dtype()) {
    throw std::logic_error("[Scan] Unexpected output dtype " + dtype_name(out.dtype()) +
                           " for input dtype " + dtype_name(in.dtype()) + ".");
  }
  // Kernel choice (see the top of the file).
  const int64_t columns = L.outer * L.inner;
  bool rows = L.inner == 1 && L.n > 16;
  bool transpose = false;
  if (L.inner > 1 && L.n > 64 && columns < 16384 && L.outer <= INT32_MAX && L.inner <= INT32_MAX) {
    transpose = true;
    rows = true;
  }
  array src = in;
  array dst = out;
  void* pd = po;
  if (transpose) {
    // (outer, n, inner) -> rows (outer, inner, n).
    const Shape ts{static_cast<int32_t>(L.outer), static_cast<int32_t>(L.inner),
                   static_cast<int32_t>(L.n)};
    const Strides from{L.n * L.inner, 1, L.inner};
    src = enc.temporary(ts, in.dtype());
    cuda::copy_general(enc, enc.input(in), in.dtype(), from, enc.input(src), in.dtype(),
                       row_major_strides(ts), ts);
    dst = enc.temporary(ts, out.dtype());
    pd = enc.input(dst);
    g = ScanGeom{L.outer * L.inner, L.n, 1, reverse_, inclusive_};
  }
  const void* ps = enc.input(src);
  if (bool_sum) {
    if (op_ != ScanOp::Sum) {
      throw std::logic_error("[Scan] Only the sum of bool gives int32.");
    }
    scan_typed<bool, int32_t>(enc, op_, static_cast<const bool*>(ps), static_cast<int32_t*>(pd), g,
                              rows);
  } else {
    cuda::dispatch(in.dtype(), [&]<typename T>() {
      scan_typed<T, T>(enc, op_, static_cast<const T*>(ps), static_cast<T*>(pd), g, rows);
    });
  }
  if (transpose) {
    const Shape ts{static_cast<int32_t>(L.outer), static_cast<int32_t>(L.inner),
                   static_cast<int32_t>(L.n)};
    const Strides to{L.n * L.inner, 1, L.inner};
    cuda::copy_general(enc, pd, out.dtype(), row_major_strides(ts), po, out.dtype(), to, ts);
  }
  cuda::set_evaluated(outputs);
}

}  // namespace tandem
