// Copyright © 2026 Tandem authors.
// GPU kernels of Sort, ArgSort, Partition, ArgPartition and SearchSorted (the CPU's are in
// backend/cpu/sort_scan.cpp).
//
// Sorting is a stable LSD radix sort (CUB DeviceRadixSort, uint32 or uint64 keys with uint32
// values) over every row at once:
//  - each element gets an unsigned key whose unsigned order is the CPU's order (Less): integers
//    with the sign bit flipped; floats with the usual sign-magnitude flip, -0.0 mapped to +0.0
//    (they compare equal, so they keep their order, as on the CPU) and every NaN mapped to the
//    largest key (NaN last, NaNs equal to each other); float16 / bfloat16 use their 16 bits
//    (their order is the order of their float values);
//  - rows stay apart by putting the row number above the key bits (one sort of rows x n items);
//    when key and row bits do not fit in 64 bits (64-bit keys with several rows) a second stable
//    pass sorts by row alone;
//  - complex64 is lexicographic with NaN classes (R+NaNj, then NaN+Rj, then NaN+NaNj): a first
//    stable pass by the imaginary part, then a pass by (class, real part) (and the row).
// The values carried through the sort are the flat indices of the elements, so the result is
// the permutation of a stable sort, identical to the CPU's std::stable_sort (Sort gathers the
// values with it, so -0.0 / 0.0 and NaN payloads come out in the same order as on the CPU).
// Limit: at most 2^32 - 1 elements per sort (the indices are uint32).
//
// Partition / ArgPartition compute the same full stable sort: a sorted row is a valid partition
// around every kth, and Partition == take_along_axis(x, ArgPartition) holds exactly. The CPU
// uses std::nth_element, whose order away from kth is implementation-defined, so the GPU's
// order of the elements before / after kth can differ from the CPU's (the element at kth and the
// sets on each side agree).
//
// SearchSorted: one thread per value, a binary search with the CPU's order.
#include <cub/device/device_radix_sort.cuh>

#include "backend/cuda/indexing.cuh"
#include "primitives/sort_scan.h"

namespace tandem {

namespace {

using cuda::StridedArgs;

enum KeyMode : int { kValueKey = 0, kComplexImKey = 1, kComplexReKey = 2 };

__device__ inline uint32_t key_f32(float v) {
  if (isnan(v)) return 0xffffffffu;
  uint32_t u = __float_as_uint(v);
  if (u == 0x80000000u) u = 0;  // -0.0 sorts as +0.0
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

__device__ inline uint64_t key_f64(double v) {
  if (isnan(v)) return ~uint64_t(0);
  uint64_t u = static_cast<uint64_t>(__double_as_longlong(v));
  const uint64_t sign = uint64_t(1) << 63;
  if (u == sign) u = 0;
  return (u & sign) ? ~u : (u | sign);
}

__device__ inline uint32_t key_f16(uint32_t u, bool nan) {
  if (nan) return 0xffffu;
  if (u == 0x8000u) u = 0;
  return (u & 0x8000u) ? (~u & 0xffffu) : (u | 0x8000u);
}

// The order-preserving unsigned key of a real value (value_key_bits<T>() bits).
template <typename T>
__device__ inline uint64_t value_key(T v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v ? 1 : 0;
  } else if constexpr (std::is_integral_v<T> && std::is_unsigned_v<T>) {
    return static_cast<uint64_t>(v);
  } else if constexpr (std::is_integral_v<T>) {
    using Un = std::make_unsigned_t<T>;
    const Un flipped = static_cast<Un>(static_cast<Un>(v) ^ static_cast<Un>(Un(1) << (8 * sizeof(T) - 1)));
    return static_cast<uint64_t>(flipped);
  } else if constexpr (std::is_same_v<T, float>) {
    return key_f32(v);
  } else if constexpr (std::is_same_v<T, double>) {
    return key_f64(v);
  } else if constexpr (std::is_same_v<T, __half>) {
    return key_f16(__half_as_ushort(v), __hisnan(v));
  } else if constexpr (std::is_same_v<T, __nv_bfloat16>) {
    return key_f16(__bfloat16_as_ushort(v), __hisnan(v));
  } else {
    return 0;  // complex: complex_key
  }
}

template <typename T>
constexpr int value_key_bits() {
  return std::is_same_v<T, bool> ? 1 : static_cast<int>(8 * sizeof(T));
}

// Keys of complex values: pass kComplexImKey orders by the imaginary part where it counts
// (classes R+Rj and NaN+Rj), pass kComplexReKey by (class, real part where it counts).
__device__ inline uint64_t complex_key(cuda::complex_t v, int mode) {
  const float re = v.real(), im = v.imag();
  const uint64_t c = (isnan(re) ? 2u : 0u) + (isnan(im) ? 1u : 0u);
  if (mode == kComplexImKey) return (c == 0 || c == 2) ? key_f32(im) : 0;
  return (c << 32) | ((c == 0 || c == 1) ? key_f32(re) : 0);
}

// keys[p] = key of element e = perm ? perm[p] : p (element e at locate(e, in)), with the row
// e / n above bit `row_shift` when `with_row`. Without perm, vals[p] = p.
template <typename T, typename K>
__global__ void sort_keys_kernel(const T* x, StridedArgs<1> in, const uint32_t* perm, K* keys,
                                 uint32_t* vals, int64_t N, int64_t n, int mode, int row_shift,
                                 bool with_row) {
  for (int64_t p = cuda::global_thread(); p < N; p += cuda::grid_threads()) {
    const int64_t e = perm ? static_cast<int64_t>(perm[p]) : p;
    int64_t off[1];
    cuda::locate(static_cast<uint64_t>(e), in, off);
    uint64_t key;
    if constexpr (cuda::is_complex_v<T>) {
      key = complex_key(x[off[0]], mode);
    } else {
      key = value_key(x[off[0]]);
    }
    if (with_row) key |= static_cast<uint64_t>(e / n) << row_shift;
    keys[p] = static_cast<K>(key);
    if (!perm) vals[p] = static_cast<uint32_t>(p);
  }
}

// keys[p] = row of element perm[p].
template <typename K>
__global__ void row_keys_kernel(const uint32_t* perm, K* keys, int64_t N, int64_t n) {
  for (int64_t p = cuda::global_thread(); p < N; p += cuda::grid_threads()) {
    keys[p] = static_cast<K>(static_cast<int64_t>(perm[p]) / n);
  }
}

// ArgSort: out[position p] = index within its row of the element sorted to p.
__global__ void argsort_finish_kernel(const uint32_t* perm, uint32_t* out, StridedArgs<1> outa,
                                      int64_t N, int64_t n) {
  for (int64_t p = cuda::global_thread(); p < N; p += cuda::grid_threads()) {
    int64_t o[1];
    cuda::locate(static_cast<uint64_t>(p), outa, o);
    out[o[0]] = static_cast<uint32_t>(static_cast<int64_t>(perm[p]) % n);
  }
}

// Sort: out[position p] = the element sorted to p.
template <typename W>
__global__ void sort_finish_kernel(const W* x, StridedArgs<1> in, const uint32_t* perm, W* out,
                                   StridedArgs<1> outa, int64_t N) {
  for (int64_t p = cuda::global_thread(); p < N; p += cuda::grid_threads()) {
    int64_t i[1], o[1];
    cuda::locate(static_cast<uint64_t>(perm[p]), in, i);
    cuda::locate(static_cast<uint64_t>(p), outa, o);
    out[o[0]] = x[i[0]];
  }
}

template <typename K>
void radix_pass(cuda::Encoder& enc, cub::DoubleBuffer<K>& keys, cub::DoubleBuffer<uint32_t>& vals,
                uint32_t N, int end_bit) {
  size_t bytes = 0;
  TANDEM_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(nullptr, bytes, keys, vals, N, 0, end_bit,
                                                    enc.stream()));
  array tmp = cuda::scratch(enc, std::max<size_t>(bytes, 1), uint8);
  TANDEM_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(enc.input(tmp), bytes, keys, vals, N, 0,
                                                    end_bit, enc.stream()));
  enc.check_launch("cub::DeviceRadixSort::SortPairs");
}

struct Pass {
  int mode;        // KeyMode, or -1: the row alone
  int bits;        // key bits (row included)
  int row_shift;   // where the row goes (with_row)
  bool with_row;
};

// The stable sort permutation of the rows of x: N elements, rows of n, element e at
// locate(e, in). Returns a uint32 array `perm` of N: perm[p] is the element sorted to position p
// (rows stay in order, so position p is in row p / n).
template <typename T>
array sort_permutation(cuda::Encoder& enc, const T* x, const StridedArgs<1>& in, int64_t N,
                       int64_t n) {
  const int64_t rows = N / n;
  const int rb = cuda::bits_for(static_cast<uint64_t>(rows - 1));
  std::vector<Pass> passes;
  if constexpr (cuda::is_complex_v<T>) {
    passes.push_back({kComplexImKey, 32, 0, false});
    if (34 + rb <= 64) {
      passes.push_back({kComplexReKey, 34 + rb, 34, rb > 0});
    } else {
      passes.push_back({kComplexReKey, 34, 0, false});
      passes.push_back({-1, rb, 0, false});
    }
  } else {
    constexpr int kb = value_key_bits<T>();
    if (kb + rb <= 64) {
      passes.push_back({kValueKey, kb + rb, kb, rb > 0});
    } else {
      passes.push_back({kValueKey, kb, 0, false});
      passes.push_back({-1, rb, 0, false});
    }
  }
  array v0 = cuda::scratch(enc, N, uint32), v1 = cuda::scratch(enc, N, uint32);
  array k0 = cuda::scratch(enc, N, uint64), k1 = cuda::scratch(enc, N, uint64);
  auto* pv0 = static_cast<uint32_t*>(enc.input(v0));
  auto* pv1 = static_cast<uint32_t*>(enc.input(v1));
  void* pk0 = enc.input(k0);
  void* pk1 = enc.input(k1);
  cub::DoubleBuffer<uint32_t> vals(pv0, pv1);
  const unsigned blocks = cuda::blocks_for(N);
  for (size_t i = 0; i < passes.size(); ++i) {
    const Pass& ps = passes[i];
    const uint32_t* perm = i == 0 ? nullptr : vals.Current();
    uint32_t* iota = i == 0 ? vals.Current() : nullptr;
    auto run = [&]<typename K>() {
      K* keys = static_cast<K*>(pk0);
      if (ps.mode < 0) {
        cuda::launch(enc, "sort_row_keys", row_keys_kernel<K>, blocks, cuda::kThreads, 0, perm,
                     keys, N, n);
      } else {
        cuda::launch(enc, "sort_keys", sort_keys_kernel<T, K>, blocks, cuda::kThreads, 0, x, in,
                     perm, keys, iota, N, n, ps.mode, ps.row_shift, ps.with_row);
      }
      cub::DoubleBuffer<K> kbuf(keys, static_cast<K*>(pk1));
      radix_pass(enc, kbuf, vals, static_cast<uint32_t>(N), ps.bits);
    };
    if (ps.bits <= 32) {
      run.template operator()<uint32_t>();
    } else {
      run.template operator()<uint64_t>();
    }
  }
  return vals.Current() == pv0 ? v0 : v1;
}

// Sort / ArgSort (and Partition / ArgPartition) along `axis`.
void sort_along(cuda::Encoder& enc, const array& input, array& out, int axis, bool indices,
                const char* name) {
  void* po = enc.output(out);
  if (out.size() == 0) return;
  const int64_t N = static_cast<int64_t>(out.size());
  const int64_t n = input.shape()[axis];
  if (N > static_cast<int64_t>(UINT32_MAX)) {
    throw std::invalid_argument(std::string("[") + name + "] The GPU sorts at most 2^32 - 1 " +
                                "elements at once; got " + std::to_string(N) + ".");
  }
  // The input and output viewed with the sorted axis last.
  auto permuted = [&](const Strides& st) {
    Strides p;
    for (int d = 0; d < input.ndim(); ++d)
      if (d != axis) p.push_back(st[d]);
    p.push_back(st[axis]);
    return p;
  };
  Shape ps;
  for (int d = 0; d < input.ndim(); ++d)
    if (d != axis) ps.push_back(input.shape()[d]);
  ps.push_back(input.shape()[axis]);
  array x = input;
  StridedArgs<1> ia, oa;
  if (!cuda::collapsed_args<1>(ps, {permuted(x.strides())}, ia)) {
    x = cuda::contiguous_copy(enc, input);
    if (!cuda::collapsed_args<1>(ps, {permuted(x.strides())}, ia)) {
      throw std::logic_error(std::string("[") + name + "] Unexpected layout.");
    }
  }
  if (!cuda::collapsed_args<1>(ps, {permuted(row_major_strides(out.shape()))}, oa)) {
    throw std::logic_error(std::string("[") + name + "] Unexpected layout.");
  }
  const void* px = enc.input(x);
  array perm = cuda::dispatch(x.dtype(), [&]<typename T>() {
    return sort_permutation<T>(enc, static_cast<const T*>(px), ia, N, n);
  });
  const auto* pp = static_cast<const uint32_t*>(enc.input(perm));
  const unsigned blocks = cuda::blocks_for(N);
  if (indices) {
    cuda::launch(enc, "argsort", argsort_finish_kernel, blocks, cuda::kThreads, 0, pp,
                 static_cast<uint32_t*>(po), oa, N, n);
  } else {
    cuda::dispatch_by_size(x.itemsize(), [&]<typename W>() {
      cuda::launch(enc, "sort", sort_finish_kernel<W>, blocks, cuda::kThreads, 0,
                   static_cast<const W*>(px), ia, pp, static_cast<W*>(po), oa, N);
    });
  }
}

// out[q] = insertion point of v[q] in row q / m of a (rows of n), with the CPU's order.
template <typename T>
__global__ void searchsorted_kernel(const T* a, const T* v, uint32_t* out, int64_t total,
                                    int64_t m, int64_t n, bool right) {
  using C = cuda::compute_t<T>;
  for (int64_t q = cuda::global_thread(); q < total; q += cuda::grid_threads()) {
    const T* row = a + (q / m) * n;
    const C x = cuda::to_compute(v[q]);
    // left: first i with !(a[i] < x); right: first i with x < a[i].
    int64_t lo = 0, hi = n;
    while (lo < hi) {
      const int64_t mid = lo + (hi - lo) / 2;
      const C am = cuda::to_compute(row[mid]);
      const bool go_right = right ? !cuda::sort_less(x, am) : cuda::sort_less(am, x);
      if (go_right) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    out[q] = static_cast<uint32_t>(lo);
  }
}

}  // namespace

void Sort::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  sort_along(cuda::encoder(stream()), inputs[0], outputs[0], axis_, false, "sort");
  cuda::set_evaluated(outputs);
}

void ArgSort::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  sort_along(cuda::encoder(stream()), inputs[0], outputs[0], axis_, true, "argsort");
  cuda::set_evaluated(outputs);
}

// A full stable sort is a partition around every kth (see the top of the file).
void Partition::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  sort_along(cuda::encoder(stream()), inputs[0], outputs[0], axis_, false, "partition");
  cuda::set_evaluated(outputs);
}

void ArgPartition::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  sort_along(cuda::encoder(stream()), inputs[0], outputs[0], axis_, true, "argpartition");
  cuda::set_evaluated(outputs);
}

void SearchSorted::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  auto& enc = cuda::encoder(stream());
  array& out = outputs[0];
  void* po = enc.output(out);
  if (out.size() == 0) {
    cuda::set_evaluated(outputs);
    return;
  }
  array a = inputs[0];
  array v = inputs[1];
  if (!a.flags().row_contiguous) a = cuda::contiguous_copy(enc, a);
  if (!v.flags().row_contiguous) v = cuda::contiguous_copy(enc, v);
  const int64_t n = a.shape().back();
  int64_t batch = 1;
  for (int d = 0; d + 1 < a.ndim(); ++d)
    batch *= a.shape()[d];
  const int64_t total = static_cast<int64_t>(v.size());
  const int64_t m = total / std::max<int64_t>(batch, 1);
  const void* pa = enc.input(a);
  const void* pv = enc.input(v);
  cuda::dispatch(a.dtype(), [&]<typename T>() {
    cuda::launch(enc, "searchsorted", searchsorted_kernel<T>, cuda::blocks_for(total),
                 cuda::kThreads, 0, static_cast<const T*>(pa), static_cast<const T*>(pv),
                 static_cast<uint32_t*>(po), total, m, n, right_);
  });
  cuda::set_evaluated(outputs);
}

}  // namespace tandem
