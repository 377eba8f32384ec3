// Copyright © 2026 Tandem authors.
// Matrix-vector products of 16-bit floats (gemv.h). A GEMV reads every matrix element once, so
// its speed is memory bandwidth: a warp per output row, each lane loading 16 bytes (8 elements)
// of the row and of the vector at a time, four loads in flight per lane, float32 accumulation
// and a shuffle reduction across the warp. Rows or vectors that are not 16-byte aligned (sliced
// views) or lengths that are not a multiple of 8 take an element-wise loop (still coalesced).
#include <cstdlib>
#include <cstring>

#include "backend/cuda/gemv.h"
#include "backend/cuda/kernels.cuh"

namespace tandem::cuda {

namespace {

constexpr int kGemvThreads = 256;  // 8 warps per block, a row per warp at a time
constexpr int kWarpsPerBlock = kGemvThreads / 32;

/// The two elements of a 32-bit word as floats (the lower address in the low half).
template <typename T>
__device__ inline float2 unpack2(uint32_t w) {
  if constexpr (std::is_same_v<T, __nv_bfloat16>) {
    // bfloat16 -> float32 is exact: the bits move to the high half.
    return make_float2(__uint_as_float(w << 16), __uint_as_float(w & 0xffff0000u));
  } else {
    __half2 h;
    static_assert(sizeof(h) == sizeof(w), "half2 size");
    memcpy(&h, &w, sizeof(w));
    return __half22float2(h);
  }
}

/// acc + the dot product of 8 elements of the matrix and 8 of the vector.
template <typename T>
__device__ inline float dot8(const uint4& m, const uint4& v, float acc) {
  const uint32_t mw[4] = {m.x, m.y, m.z, m.w};
  const uint32_t vw[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const float2 a = unpack2<T>(mw[i]);
    const float2 b = unpack2<T>(vw[i]);
    acc = fmaf(a.x, b.x, acc);
    acc = fmaf(a.y, b.y, acc);
  }
  return acc;
}

__device__ inline float warp_sum(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1)
    v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

// Every row (and the vector) starts 16-byte aligned and k = 8 * chunks. The loop over rows is
// uniform within a warp (it depends on the warp's index only), so the full-mask shuffles are
// reached by all 32 lanes.
template <typename T>
__global__ void gemv_rows_vec(const T* __restrict__ mat, int64_t ld, const T* __restrict__ vec,
                              T* __restrict__ out, int64_t rows, int64_t chunks) {
  const int lane = threadIdx.x & 31;
  const int64_t nwarps = static_cast<int64_t>(gridDim.x) * kWarpsPerBlock;
  const uint4* v4 = reinterpret_cast<const uint4*>(vec);
  for (int64_t r = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + (threadIdx.x >> 5); r < rows;
       r += nwarps) {
    const uint4* m4 = reinterpret_cast<const uint4*>(mat + r * ld);
    float acc0 = 0.0f, acc1 = 0.0f;
    int64_t c = lane;
    for (; c + 96 < chunks; c += 128) {
      const uint4 m0 = __ldg(m4 + c), m1 = __ldg(m4 + c + 32);
      const uint4 m2 = __ldg(m4 + c + 64), m3 = __ldg(m4 + c + 96);
      const uint4 x0 = __ldg(v4 + c), x1 = __ldg(v4 + c + 32);
      const uint4 x2 = __ldg(v4 + c + 64), x3 = __ldg(v4 + c + 96);
      acc0 = dot8<T>(m0, x0, acc0);
      acc1 = dot8<T>(m1, x1, acc1);
      acc0 = dot8<T>(m2, x2, acc0);
      acc1 = dot8<T>(m3, x3, acc1);
    }
    for (; c < chunks; c += 32)
      acc0 = dot8<T>(__ldg(m4 + c), __ldg(v4 + c), acc0);
    const float acc = warp_sum(acc0 + acc1);
    if (lane == 0) out[r] = to_storage<T>(acc);
  }
}

// Any alignment and length: lanes take consecutive elements.
template <typename T>
__global__ void gemv_rows_scalar(const T* __restrict__ mat, int64_t ld, const T* __restrict__ vec,
                                 T* __restrict__ out, int64_t rows, int64_t k) {
  const int lane = threadIdx.x & 31;
  const int64_t nwarps = static_cast<int64_t>(gridDim.x) * kWarpsPerBlock;
  for (int64_t r = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + (threadIdx.x >> 5); r < rows;
       r += nwarps) {
    const T* row = mat + r * ld;
    float acc = 0.0f;
    for (int64_t j = lane; j < k; j += 32)
      acc = fmaf(to_compute(row[j]), to_compute(vec[j]), acc);
    acc = warp_sum(acc);
    if (lane == 0) out[r] = to_storage<T>(acc);
  }
}

template <typename T>
void run(Encoder& enc, const void* mat, int64_t ld, const void* vec, void* out, int64_t rows,
         int64_t k) {
  const T* m = static_cast<const T*>(mat);
  const T* v = static_cast<const T*>(vec);
  T* o = static_cast<T*>(out);
  const int64_t blocks64 = std::min<int64_t>((rows + kWarpsPerBlock - 1) / kWarpsPerBlock,
                                             int64_t(1) << 20);  // warps loop over the rest
  const dim3 grid(static_cast<unsigned>(std::max<int64_t>(blocks64, 1)));
  const bool vec16 = k % 8 == 0 && ld % 8 == 0 && is_aligned(mat, 16) && is_aligned(vec, 16);
  if (vec16) {
    launch(enc, "gemv_rows_vec", gemv_rows_vec<T>, grid, dim3(kGemvThreads), 0, m, ld, v, o, rows,
           k / 8);
  } else {
    launch(enc, "gemv_rows_scalar", gemv_rows_scalar<T>, grid, dim3(kGemvThreads), 0, m, ld, v, o,
           rows, k);
  }
}

}  // namespace

bool gemv_preferred(Dtype t, int64_t rows, int64_t k) {
  static const bool enabled = [] {
    const char* e = std::getenv("TANDEM_CUDA_GEMV");
    return !(e && std::strcmp(e, "0") == 0);
  }();
  if (!enabled || (t != float16 && t != bfloat16) || rows <= 0 || k <= 0) return false;
  // A warp per row: with few rows and long ones the GPU is not filled, and cuBLASLt's split-K
  // kernels do better.
  return rows >= 1024 || k <= 8192;
}

void gemv_rows(Encoder& enc, Dtype t, const void* mat, int64_t ld, const void* vec, void* out,
               int64_t rows, int64_t k) {
  if (t == bfloat16) {
    run<__nv_bfloat16>(enc, mat, ld, vec, out, rows, k);
  } else if (t == float16) {
    run<__half>(enc, mat, ld, vec, out, rows, k);
  } else {
    throw std::invalid_argument("[matmul] The GEMV kernel takes float16 or bfloat16, not " +
                                dtype_name(t) + ".");
  }
}

}  // namespace tandem::cuda
