// Copyright © 2026 Tandem authors.
// CUDA kernels of Quantize, Dequantize, QuantizedMatmul and Hadamard (primitives/quantized.h);
// the CPU kernels are in backend/cpu/quantized.cpp and define the semantics.
//
// Packed codes (MLX's affine layout): the codes of a row are a little-endian bit stream in uint32
// words. Rows hold a multiple of 32 codes, so the 32 codes j = 32 b .. 32 b + 31 of a contiguous
// array always sit in the `bits` words starting at word b * bits, whatever the row length.
//
// Quantize: a warp per group (min/max by shuffles; the scale/bias arithmetic and the rounding are
// the CPU's, so words, scales and biases are bit-identical). Dequantize: a thread per element,
// s * q + b rounded as on the CPU (no fused multiply-add).
//
// QuantizedMatmul (x and the output in the dtype of the scales: float32, float16, bfloat16):
//  - M <= kSmallM rows of x (decode): no dequantized copy of W.
//    transpose (W is N x K): a warp per output column n; each lane takes blocks of 32 codes
//    (`bits` words), unpacks them in registers and adds s * (x . q) + b * sum(x) for every row of
//    x; a shuffle reduction ends the column.
//    no transpose (W is K x N): a block per 32 output columns (one 32-code block of each row of
//    W); 16 slices of the rows accumulate x[m, k] * (s q + b), then shared memory sums the slices.
//  - more rows: W is dequantized into a temporary of x's dtype, at most kTileElems values at a
//    time, and each tile goes to cublasGemmEx (float32 accumulation; no-transpose tiles of a
//    16-bit product accumulate in a float32 buffer rounded once at the end).
//
// Hadamard: the CPU's butterflies in the CPU's order (h = 1, 2, 4, ...), so results are
// bit-identical. Rows of up to kSmemElems values: one kernel stages rows in shared memory, runs
// the transform of every 2^k segment, mixes the segments with H_m and scales. Longer rows: a
// float (double for float64) copy in global memory, passes of up to 13 butterfly levels through
// shared memory (later passes take 32+ interleaved sub-vectors for coalescing), then a mixing
// kernel.
#include <cublas_v2.h>

#include <algorithm>
#include <climits>
#include <optional>
#include <stdexcept>
#include <string>

#include "backend/common/blas_layout.h"
#include "backend/common/quant_bits.h"
#include "backend/cuda/blas.h"
#include "backend/cuda/indexing.cuh"
#include "primitives/quantized.h"

namespace tandem {

namespace {

constexpr int kSmallM = 8;               // rows of x up to which the GEMV kernels run
constexpr int64_t kTileElems = 1 << 25;  // values per dequantized tile of W (GEMM path)
constexpr int kSmemBytes = 32 * 1024;    // shared memory of the Hadamard kernels

// ---------------- dispatch ----------------

// The float types of the quantized ops, as device types.
template <typename F>
void dispatch_qfloat(Dtype t, const char* op, F&& f) {
  if (t == float32) return f.template operator()<float>();
  if (t == float16) return f.template operator()<__half>();
  if (t == bfloat16) return f.template operator()<__nv_bfloat16>();
  throw std::invalid_argument(std::string("[") + op + "] Unsupported dtype " + dtype_name(t) +
                              " on the GPU.");
}

int log2_group(int group_size) {
  switch (group_size) {
    case 32:
      return 5;
    case 64:
      return 6;
    case 128:
      return 7;
  }
  throw std::invalid_argument("[quantized] Unsupported group size " + std::to_string(group_size) +
                              ".");
}

array row_contiguous(cuda::Encoder& enc, const array& a) {
  return a.flags().row_contiguous ? a : cuda::contiguous_copy(enc, a);
}

// ---------------- bit streams ----------------

/// Code j (< 32) of the 32-code block whose `BITS` words start at `w`.
template <int BITS>
__device__ inline uint32_t code_at(const uint32_t* w, int j) {
  constexpr uint32_t kMask = (1u << BITS) - 1;
  const int o = j * BITS, wi = o >> 5, sh = o & 31;
  uint32_t v = w[wi] >> sh;
  if constexpr (32 % BITS != 0) {
    if (sh + BITS > 32) v |= w[wi + 1] << (32 - sh);
  }
  return v & kMask;
}

/// The 32 codes of a block held in registers (`words[BITS]`), as floats.
template <int BITS>
__device__ inline void unpack32(const uint32_t (&words)[BITS], float (&q)[32]) {
  constexpr uint32_t kMask = (1u << BITS) - 1;
#pragma unroll
  for (int j = 0; j < 32; ++j) {
    const int o = j * BITS, wi = o >> 5, sh = o & 31;
    uint32_t v = words[wi] >> sh;
    if (sh + BITS > 32) v |= words[wi + 1] << (32 - sh);
    q[j] = static_cast<float>(v & kMask);
  }
}

// ---------------- quantize / dequantize ----------------

constexpr int kWarpsPerBlock = cuda::kThreads / 32;

// A warp per group of gs (32, 64 or 128) elements. The arithmetic is quantize_group's
// (backend/cpu/quantized.cpp) step by step: NaN is skipped by the min/max, NaN codes become 0.
template <typename T, int BITS>
__global__ void quantize_kernel(const T* w, uint32_t* wq, T* scales, T* biases, int64_t groups,
                                int gs) {
  constexpr float kBins = static_cast<float>((1 << BITS) - 1);
  constexpr float kEps = 1e-7f;
  __shared__ uint8_t codes_s[kWarpsPerBlock][128];
  const int lane = threadIdx.x & 31;
  uint8_t* codes = codes_s[threadIdx.x >> 5];
  const int per = gs / 32;
  const int words = gs * BITS / 32;
  const int64_t nwarps = cuda::grid_threads() / 32;
  for (int64_t g = cuda::global_thread() / 32; g < groups; g += nwarps) {
    const T* wg = w + g * gs;
    float v[4];
    float wmax = -INFINITY, wmin = INFINITY;
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      if (i < per) {
        v[i] = cuda::to_compute(wg[i * 32 + lane]);
        wmax = wmax < v[i] ? v[i] : wmax;
        wmin = v[i] < wmin ? v[i] : wmin;
      }
    }
#pragma unroll
    for (int d = 16; d > 0; d >>= 1) {
      const float omax = __shfl_xor_sync(0xffffffffu, wmax, d);
      const float omin = __shfl_xor_sync(0xffffffffu, wmin, d);
      wmax = wmax < omax ? omax : wmax;
      wmin = omin < wmin ? omin : wmin;
    }
    const bool neg_edge = fabsf(wmin) > fabsf(wmax);
    const float range = (wmax - wmin) / kBins;
    float scale = range < kEps ? kEps : range;
    scale = neg_edge ? scale : -scale;
    const float edge = neg_edge ? wmin : wmax;
    const float q0 = rintf(edge / scale);
    float bias = 0.0f;
    if (q0 != 0.0f) {
      scale = edge / q0;
      bias = edge;
    }
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      if (i < per) {
        float q = rintf((v[i] - bias) / scale);
        q = q < 0.0f ? 0.0f : q;
        q = kBins < q ? kBins : q;
        codes[i * 32 + lane] = q == q ? static_cast<uint8_t>(q) : uint8_t(0);
      }
    }
    __syncwarp();
    if (lane < words) {
      // Word `lane` of the group: word wb of 32-code block blk.
      const int blk = lane / BITS, wb = lane % BITS;
      const uint8_t* c = codes + blk * 32;
      uint32_t word = 0;
      for (int j = (wb * 32) / BITS; j <= (wb * 32 + 31) / BITS; ++j) {
        const int pos = j * BITS - wb * 32;
        const uint32_t code = c[j];
        word |= pos >= 0 ? code << pos : code >> -pos;
      }
      wq[g * words + lane] = word;
    }
    if (lane == 0) {
      scales[g] = cuda::to_storage<T>(scale);
      biases[g] = cuda::to_storage<T>(bias);
    }
    __syncwarp();
  }
}

// out[e] = s * q + b for e < n over a contiguous packed array (group of e: e >> gs_shift).
template <typename T, int BITS>
__global__ void dequantize_kernel(const uint32_t* w, const T* s, const T* b, T* out, int64_t n,
                                  int gs_shift) {
  for (int64_t e = cuda::global_thread(); e < n; e += cuda::grid_threads()) {
    const float q =
        static_cast<float>(code_at<BITS>(w + (e >> 5) * BITS, static_cast<int>(e & 31)));
    const int64_t g = e >> gs_shift;
    const float sv = cuda::to_compute(s[g]), bv = cuda::to_compute(b[g]);
    out[e] = cuda::to_storage<T>(__fadd_rn(__fmul_rn(sv, q), bv));
  }
}

template <typename T>
void launch_dequantize(cuda::Encoder& enc, int bits, const uint32_t* w, const T* s, const T* b,
                       T* out, int64_t n, int gs_shift) {
  dispatch_bits(bits, [&]<int B>() {
    cuda::launch(enc, "dequantize", dequantize_kernel<T, B>, cuda::blocks_for(n), cuda::kThreads, 0,
                 w, s, b, out, n, gs_shift);
  });
}

// ---------------- quantized matmul: small M ----------------

struct QmvArgs {
  int64_t M, N, K;  // out (batches, M, N) = x (batches, M, K) @ W
  int64_t batches;
  int gs_shift;
  cuda::StridedArgs<4> batch;  // batch offsets of x, w, scales, biases (elements)
};

/// 32 consecutive values of x (16-byte aligned) as floats.
template <typename T>
__device__ inline void load32(const T* p, float (&v)[32]) {
  constexpr int kW = 16 / sizeof(T);
#pragma unroll
  for (int c = 0; c < 32 / kW; ++c) {
    const cuda::Vec<T, kW> u = reinterpret_cast<const cuda::Vec<T, kW>*>(p)[c];
#pragma unroll
    for (int i = 0; i < kW; ++i)
      v[c * kW + i] = cuda::to_compute(u.v[i]);
  }
}

// x @ W^T, W (N x K) packed along K: a warp per (batch, n).
template <typename T, int BITS>
__global__ void qmv_t_kernel(const T* x, const uint32_t* w, const T* s, const T* b, T* out,
                             QmvArgs a) {
  const int lane = threadIdx.x & 31;
  const int64_t wpr = a.K * BITS / 32, gpr = a.K >> a.gs_shift, blocks = a.K / 32;
  const int64_t nwarps = cuda::grid_threads() / 32;
  for (int64_t wid = cuda::global_thread() / 32; wid < a.batches * a.N; wid += nwarps) {
    const int64_t bi = wid / a.N, n = wid % a.N;
    int64_t off[4];
    cuda::locate(static_cast<uint64_t>(bi), a.batch, off);
    const T* xb = x + off[0];
    const uint32_t* wr = w + off[1] + n * wpr;
    const T* sr = s + off[2] + n * gpr;
    const T* br = b + off[3] + n * gpr;
    float acc[kSmallM];
#pragma unroll
    for (int m = 0; m < kSmallM; ++m)
      acc[m] = 0.0f;
    for (int64_t blk = lane; blk < blocks; blk += 32) {
      uint32_t words[BITS];
#pragma unroll
      for (int i = 0; i < BITS; ++i)
        words[i] = wr[blk * BITS + i];
      float q[32];
      unpack32<BITS>(words, q);
      const int64_t g = (blk * 32) >> a.gs_shift;
      const float sc = cuda::to_compute(sr[g]), bs = cuda::to_compute(br[g]);
#pragma unroll
      for (int m = 0; m < kSmallM; ++m) {
        if (m < a.M) {
          float xv[32];
          load32<T>(xb + m * a.K + blk * 32, xv);
          float dot = 0.0f, xs = 0.0f;
#pragma unroll
          for (int j = 0; j < 32; ++j) {
            dot += xv[j] * q[j];
            xs += xv[j];
          }
          acc[m] += sc * dot + bs * xs;
        }
      }
    }
#pragma unroll
    for (int m = 0; m < kSmallM; ++m) {
      if (m < a.M) {
        float v = acc[m];
#pragma unroll
        for (int d = 16; d > 0; d >>= 1)
          v += __shfl_xor_sync(0xffffffffu, v, d);
        if (lane == 0) out[(bi * a.M + m) * a.N + n] = cuda::to_storage<T>(v);
      }
    }
  }
}

constexpr int kQmvSlices = 16;  // row slices of the no-transpose GEMV (blockDim.y)

// x @ W, W (K x N) packed along N: a block per (batch, 32 output columns).
template <typename T, int BITS>
__global__ void __launch_bounds__(32 * kQmvSlices)
    qmv_kernel(const T* x, const uint32_t* w, const T* s, const T* b, T* out, QmvArgs a) {
  __shared__ float red[kQmvSlices][kSmallM][32];
  const int c = threadIdx.x, ky = threadIdx.y;
  const int64_t wpr = a.N * BITS / 32, gpr = a.N >> a.gs_shift, tiles = a.N / 32;
  for (int64_t t = blockIdx.x; t < a.batches * tiles; t += gridDim.x) {
    const int64_t bi = t / tiles, tile = t % tiles;
    int64_t off[4];
    cuda::locate(static_cast<uint64_t>(bi), a.batch, off);
    const T* xb = x + off[0];
    const uint32_t* wt = w + off[1] + tile * BITS;
    const int64_t g = (tile * 32 + c) >> a.gs_shift;
    const T* sc = s + off[2] + g;
    const T* bc = b + off[3] + g;
    float acc[kSmallM];
#pragma unroll
    for (int m = 0; m < kSmallM; ++m)
      acc[m] = 0.0f;
    for (int64_t k = ky; k < a.K; k += kQmvSlices) {
      const float q = static_cast<float>(code_at<BITS>(wt + k * wpr, c));
      const float wv = cuda::to_compute(sc[k * gpr]) * q + cuda::to_compute(bc[k * gpr]);
#pragma unroll
      for (int m = 0; m < kSmallM; ++m) {
        if (m < a.M) acc[m] += cuda::to_compute(xb[m * a.K + k]) * wv;
      }
    }
#pragma unroll
    for (int m = 0; m < kSmallM; ++m)
      red[ky][m][c] = acc[m];
    __syncthreads();
    if (ky < a.M) {
      float v = 0.0f;
      for (int i = 0; i < kQmvSlices; ++i)
        v += red[i][ky][c];
      out[(bi * a.M + ky) * a.N + tile * 32 + c] = cuda::to_storage<T>(v);
    }
    __syncthreads();
  }
}

// ---------------- Hadamard ----------------

struct HadamardSigns {
  uint32_t mask[28];  // bit k of mask[j]: H_m[j][k] = -1 (H_m^T's entries when transposed)
};

template <typename C>
__device__ inline C mix_segments(const C* v, int m, int64_t n, int j, const HadamardSigns& sg) {
  // (H_m (x) I_n): segment j of the result is sum_k H_m[j][k] * segment k, summed from 0 in
  // the CPU's order.
  C o = C(0);
  for (int k = 0; k < m; ++k) {
    const C x = v[k * n];
    if ((sg.mask[j] >> k) & 1u) {
      o -= x;
    } else {
      o += x;
    }
  }
  return o;
}

// Rows of len = m * n values, rpb rows per shared-memory tile.
template <typename T, typename C>
__global__ void hadamard_rows_kernel(const T* in, T* out, int64_t rows, int len, int n, int m,
                                     int rpb, HadamardSigns sg, C sc) {
  TANDEM_DYNAMIC_SHARED(C, s);
  for (int64_t row0 = static_cast<int64_t>(blockIdx.x) * rpb; row0 < rows;
       row0 += static_cast<int64_t>(gridDim.x) * rpb) {
    const int nr = static_cast<int>(rows - row0 < rpb ? rows - row0 : rpb);
    const int total = nr * len;
    const T* src = in + row0 * len;
    for (int e = threadIdx.x; e < total; e += blockDim.x)
      s[e] = static_cast<C>(cuda::to_compute(src[e]));
    __syncthreads();
    const int hn = n / 2, pairs = nr * m * hn;
    for (int h = 1; h < n; h <<= 1) {
      for (int p = threadIdx.x; p < pairs; p += blockDim.x) {
        const int v = p / hn, r = p - v * hn;
        const int i = v * n + (r / h) * 2 * h + (r & (h - 1));
        const C a = s[i], b = s[i + h];
        s[i] = a + b;
        s[i + h] = a - b;
      }
      __syncthreads();
    }
    T* dst = out + row0 * len;
    for (int e = threadIdx.x; e < total; e += blockDim.x) {
      C o;
      if (m == 1) {
        o = s[e];
      } else {
        const int rr = e / len, ii = e - rr * len, j = ii / n, i = ii - j * n;
        o = mix_segments<C>(s + rr * len + i, m, n, j, sg);
      }
      dst[e] = cuda::to_storage<T>(o * sc);
    }
    __syncthreads();
  }
}

// Butterfly levels [b0, b0 + pb) of vectors of length n (contiguous, `vectors` of them), in
// place: sub-vectors of L = 2^pb values at stride S = 2^b0; a block stages `cols` sub-vectors
// with consecutive low indices (cols divides S).
template <typename C>
__global__ void fwht_pass_kernel(C* data, int64_t vectors, int64_t n, int b0, int pb, int cols) {
  TANDEM_DYNAMIC_SHARED(C, s);
  const int64_t S = int64_t(1) << b0;
  const int L = 1 << pb;
  const int64_t lo_groups = S / cols, his = n / (S * L);
  const int64_t per_vec = his * lo_groups;
  const int total = cols * L;
  for (int64_t gid = blockIdx.x; gid < vectors * per_vec; gid += gridDim.x) {
    const int64_t v = gid / per_vec, r = gid % per_vec;
    const int64_t hi = r / lo_groups, lo = (r % lo_groups) * cols;
    C* base = data + v * n + hi * S * L + lo;
    for (int e = threadIdx.x; e < total; e += blockDim.x) {
      const int c = e % cols, t = e / cols;
      s[e] = base[c + S * t];
    }
    __syncthreads();
    for (int h = 1; h < L; h <<= 1) {
      for (int p = threadIdx.x; p < total / 2; p += blockDim.x) {
        const int c = p % cols, w = p / cols;
        const int t = (w / h) * 2 * h + (w & (h - 1));
        const int i = t * cols + c, j = (t + h) * cols + c;
        const C a = s[i], b = s[j];
        s[i] = a + b;
        s[j] = a - b;
      }
      __syncthreads();
    }
    for (int e = threadIdx.x; e < total; e += blockDim.x) {
      const int c = e % cols, t = e / cols;
      base[c + S * t] = s[e];
    }
    __syncthreads();
  }
}

// out = scale * (H_m (x) I_n) buf per row of len = m * n values.
template <typename T, typename C>
__global__ void hadamard_mix_kernel(const C* buf, T* out, int64_t total, int64_t len, int64_t n,
                                    int m, HadamardSigns sg, C sc) {
  for (int64_t e = cuda::global_thread(); e < total; e += cuda::grid_threads()) {
    C o;
    if (m == 1) {
      o = buf[e];
    } else {
      const int64_t row = e / len, ii = e - row * len, j = ii / n, i = ii - j * n;
      o = mix_segments<C>(buf + row * len + i, m, n, static_cast<int>(j), sg);
    }
    out[e] = cuda::to_storage<T>(o * sc);
  }
}

int ilog2(int64_t v) {
  int r = 0;
  while ((int64_t(1) << (r + 1)) <= v)
    ++r;
  return r;
}

}  // namespace

// ============================== primitives ==============================

void Quantize::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  auto& enc = cuda::encoder(stream());
  void* pq = enc.output(outputs[0]);
  void* ps = enc.output(outputs[1]);
  void* pb = enc.output(outputs[2]);
  if (inputs[0].size() == 0) {
    cuda::set_evaluated(outputs);
    return;
  }
  array w = row_contiguous(enc, inputs[0]);
  const int64_t groups = static_cast<int64_t>(w.size()) / group_size_;
  const unsigned grid = cuda::blocks_for(groups * 32);
  dispatch_qfloat(w.dtype(), "quantize", [&]<typename T>() {
    dispatch_bits(bits_, [&]<int B>() {
      cuda::launch(enc, "quantize", quantize_kernel<T, B>, grid, cuda::kThreads, 0,
                   static_cast<const T*>(enc.input(w)), static_cast<uint32_t*>(pq),
                   static_cast<T*>(ps), static_cast<T*>(pb), groups, group_size_);
    });
  });
  cuda::set_evaluated(outputs);
}

void Dequantize::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  auto& enc = cuda::encoder(stream());
  array& out = outputs[0];
  void* po = enc.output(out);
  if (out.size() == 0) {
    cuda::set_evaluated(outputs);
    return;
  }
  array w = row_contiguous(enc, inputs[0]), sc = row_contiguous(enc, inputs[1]),
        bi = row_contiguous(enc, inputs[2]);
  const int gs_shift = log2_group(group_size_);
  dispatch_qfloat(out.dtype(), "dequantize", [&]<typename T>() {
    launch_dequantize<T>(enc, bits_, static_cast<const uint32_t*>(enc.input(w)),
                         static_cast<const T*>(enc.input(sc)), static_cast<const T*>(enc.input(bi)),
                         static_cast<T*>(po), static_cast<int64_t>(out.size()), gs_shift);
  });
  cuda::set_evaluated(outputs);
}

namespace {

// Whether the last two dims of `a` are a dense row-major matrix (batch dims may be strided).
bool matrices_row_major(const array& a) {
  const int nd = a.ndim();
  if (nd < 2) return a.flags().row_contiguous;
  return (a.shape(-1) <= 1 || a.strides()[nd - 1] == 1) &&
         (a.shape(-2) <= 1 || a.strides()[nd - 2] == a.shape(-1));
}

int checked_int(int64_t v, const char* what) {
  if (v < 0 || v > INT_MAX) {
    throw std::invalid_argument(std::string("[quantized_matmul] ") + what + " " +
                                std::to_string(v) +
                                " exceeds the range of cuBLAS's int arguments.");
  }
  return static_cast<int>(v);
}

}  // namespace

void QuantizedMatmul::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  auto& enc = cuda::encoder(stream());
  array& out = outputs[0];
  const Dtype t = out.dtype();
  char* po = static_cast<char*>(enc.output(out));
  if (out.size() == 0) {
    cuda::set_evaluated(outputs);
    return;
  }
  array x = inputs[0], w = inputs[1], sc = inputs[2], bi = inputs[3];
  const bool batched_w = w.ndim() > 2;
  const int64_t rows = w.shape(-2), cols = w.shape(-1) * 32 / bits_;
  const int64_t K = transpose_ ? cols : rows, N = transpose_ ? rows : cols;
  if (K == 0) {
    TANDEM_CUDA_CHECK(cudaMemsetAsync(po, 0, out.nbytes(), enc.stream()));
    enc.count_op();
    cuda::set_evaluated(outputs);
    return;
  }
  const int gs_shift = log2_group(group_size_);
  const size_t isz = out.itemsize();
  // Every operand as a stack of dense row-major matrices; x 16-byte aligned for the GEMV loads.
  auto dense = [&](const array& a) {
    return matrices_row_major(a) ? a : cuda::contiguous_copy(enc, a);
  };
  if (!batched_w) {
    x = row_contiguous(enc, x);
    w = row_contiguous(enc, w);
    sc = row_contiguous(enc, sc);
    bi = row_contiguous(enc, bi);
  } else {
    x = dense(x);
    w = dense(w);
    sc = dense(sc);
    bi = dense(bi);
  }
  const int64_t M = batched_w ? x.shape(-2) : static_cast<int64_t>(x.size()) / K;
  const int64_t batches = batched_w ? static_cast<int64_t>(out.size()) / (M * N) : 1;
  bool x_aligned = cuda::is_aligned(enc.input(x), 16);
  for (int d = 0; batched_w && d + 2 < x.ndim(); ++d)
    x_aligned = x_aligned && (x.strides()[d] * static_cast<int64_t>(isz)) % 16 == 0;
  if (!x_aligned) x = cuda::contiguous_copy(enc, x);

  if (M <= kSmallM) {
    QmvArgs qa{M, N, K, batches, gs_shift, {}};
    if (batched_w) {
      std::vector<const array*> ops{&x, &w, &sc, &bi};
      auto collapse = [&]() {
        Shape batch(out.shape().begin(), out.shape().end() - 2);
        std::vector<Strides> st;
        for (auto* a : ops)
          st.emplace_back(a->strides().begin(), a->strides().end() - 2);
        return cuda::collapsed_args<4>(batch, st, qa.batch);
      };
      if (!collapse()) {
        x = cuda::contiguous_copy(enc, x);
        w = cuda::contiguous_copy(enc, w);
        sc = cuda::contiguous_copy(enc, sc);
        bi = cuda::contiguous_copy(enc, bi);
        collapse();
      }
    } else {
      qa.batch = cuda::make_strided_args<4>({}, {Strides{}, Strides{}, Strides{}, Strides{}});
    }
    dispatch_qfloat(t, "quantized_matmul", [&]<typename T>() {
      const T* X = static_cast<const T*>(enc.input(x));
      const uint32_t* W = static_cast<const uint32_t*>(enc.input(w));
      const T* S = static_cast<const T*>(enc.input(sc));
      const T* Bv = static_cast<const T*>(enc.input(bi));
      T* O = reinterpret_cast<T*>(po);
      dispatch_bits(bits_, [&]<int B>() {
        if (transpose_) {
          cuda::launch(enc, "qmv_t", qmv_t_kernel<T, B>, cuda::blocks_for(batches * N * 32),
                       cuda::kThreads, 0, X, W, S, Bv, O, qa);
        } else {
          const int64_t blocks = std::min<int64_t>(batches * (N / 32), cuda::kMaxBlocks);
          cuda::launch(enc, "qmv", qmv_kernel<T, B>, dim3(static_cast<unsigned>(blocks)),
                       dim3(32, kQmvSlices), 0, X, W, S, Bv, O, qa);
        }
      });
    });
    cuda::set_evaluated(outputs);
    return;
  }

  // GEMM path: dequantized tiles of W and cuBLAS.
  const bool is16 = t != float32;
  const cuda::GemmTypes types = cuda::gemm_types(t, "quantized_matmul");
  const cudaDataType dt = types.dt;
  const cublasComputeType_t compute = types.compute;
  const int64_t tile_rows = std::clamp<int64_t>(kTileElems / cols, 1, rows);
  const int64_t n_tiles = (rows + tile_rows - 1) / tile_rows;
  array tile = cuda::scratch(enc, static_cast<size_t>(tile_rows * cols), t);
  char* Tp = static_cast<char*>(enc.input(tile));
  // No-transpose tiles of a 16-bit product accumulate in float32.
  const bool f32_acc = !transpose_ && n_tiles > 1 && is16;
  std::optional<array> acc;
  if (f32_acc) acc = cuda::scratch(enc, static_cast<size_t>(M * N), float32);
  const float one = 1.0f, zero = 0.0f;
  cublasHandle_t h = cuda::blas_handle(enc);
  const int iM = checked_int(M, "M"), iK = checked_int(K, "K"), iN = checked_int(N, "N");
  const char* X = static_cast<const char*>(enc.input(x));
  const uint32_t* W = static_cast<const uint32_t*>(enc.input(w));
  const char* S = static_cast<const char*>(enc.input(sc));
  const char* Bv = static_cast<const char*>(enc.input(bi));
  const int64_t wpr = cols * bits_ / 32, gpr = cols >> gs_shift;
  for (int64_t i = 0; i < batches; ++i) {
    const int64_t ox = batched_w ? blas::batch_offset(x, i) : 0;
    const int64_t ow = batched_w ? blas::batch_offset(w, i) : 0;
    const int64_t os = batched_w ? blas::batch_offset(sc, i) : 0;
    const int64_t ob = batched_w ? blas::batch_offset(bi, i) : 0;
    char* O = po + i * M * N * static_cast<int64_t>(isz);
    for (int64_t r0 = 0; r0 < rows; r0 += tile_rows) {
      const int64_t nr = std::min(tile_rows, rows - r0);
      dispatch_qfloat(t, "quantized_matmul", [&]<typename T>() {
        launch_dequantize<T>(enc, bits_, W + ow + r0 * wpr,
                             reinterpret_cast<const T*>(S) + os + r0 * gpr,
                             reinterpret_cast<const T*>(Bv) + ob + r0 * gpr,
                             reinterpret_cast<T*>(Tp), nr * cols, gs_shift);
      });
      if (transpose_) {
        // out[:, r0:r0+nr] = x @ tile^T: column-major C^T (N x M, ld N) = tile (op T) x^T.
        TANDEM_CUBLAS_CHECK(cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, checked_int(nr, "rows"), iM,
                                         iK, &one, Tp, dt, iK, X + ox * isz, dt, iK, &zero,
                                         O + r0 * isz, dt, iN, compute, CUBLAS_GEMM_DEFAULT));
      } else {
        // out (+)= x[:, r0:r0+nr] @ tile: C^T (N x M) = tile^T (N x nr, ld N) x^T rows r0...
        const float* beta = r0 == 0 ? &zero : &one;
        void* C = f32_acc ? enc.input(*acc) : static_cast<void*>(O);
        TANDEM_CUBLAS_CHECK(
            cublasGemmEx(h, CUBLAS_OP_N, CUBLAS_OP_N, iN, iM, checked_int(nr, "rows"), &one, Tp, dt,
                         iN, X + (ox + r0) * isz, dt, iK, beta, C, f32_acc ? CUDA_R_32F : dt, iN,
                         compute, CUBLAS_GEMM_DEFAULT));
      }
      enc.count_op();
    }
    if (f32_acc) {
      cuda::copy_contiguous(enc, enc.input(*acc), float32, O, t, static_cast<size_t>(M * N));
    }
  }
  cuda::set_evaluated(outputs);
}

void Hadamard::eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  auto& enc = cuda::encoder(stream());
  array& out = outputs[0];
  void* po = enc.output(out);
  if (out.size() == 0) {
    cuda::set_evaluated(outputs);
    return;
  }
  array in = row_contiguous(enc, inputs[0]);
  const Dtype t = out.dtype();
  const int64_t len = in.shape(-1);
  const std::pair<int, int> mn = detail::hadamard_decompose(static_cast<int>(len));
  const int m = mn.first, n = mn.second;
  if (m == 0) throw std::invalid_argument("[hadamard] Unsupported size " + std::to_string(len));
  HadamardSigns sg{};
  if (m > 1) {
    for (int r = 0; r < m; ++r) {
      const uint32_t mask = detail::hadamard_row_mask(m, r);
      for (int c = 0; c < m; ++c) {
        if (!((mask >> c) & 1u)) continue;
        if (transposed_) {
          sg.mask[c] |= 1u << r;
        } else {
          sg.mask[r] |= 1u << c;
        }
      }
    }
  }
  const int64_t rows = static_cast<int64_t>(in.size()) / len;
  auto run = [&]<typename T, typename C>() {
    const C scale = static_cast<C>(scale_);
    const T* src = static_cast<const T*>(enc.input(in));
    T* dst = static_cast<T*>(po);
    constexpr int kElems = kSmemBytes / static_cast<int>(sizeof(C));
    if (len <= kElems) {
      const int rpb = static_cast<int>(std::min<int64_t>(kElems / len, rows));
      const int64_t blocks = std::min<int64_t>((rows + rpb - 1) / rpb, cuda::kMaxBlocks);
      cuda::launch(enc, "hadamard", hadamard_rows_kernel<T, C>, dim3(static_cast<unsigned>(blocks)),
                   dim3(cuda::kThreads), static_cast<size_t>(rpb * len) * sizeof(C), src, dst, rows,
                   static_cast<int>(len), n, m, rpb, sg, scale);
      return;
    }
    // Long rows: a C copy transformed in passes, then mixed and scaled.
    const Dtype ct = std::is_same_v<C, double> ? float64 : float32;
    const int64_t total = static_cast<int64_t>(in.size());
    array buf = cuda::scratch(enc, static_cast<size_t>(total), ct);
    C* B = static_cast<C*>(enc.input(buf));
    cuda::copy_contiguous(enc, src, t, B, ct, static_cast<size_t>(total));
    const int logn = ilog2(n), log_e = ilog2(kElems);
    const int64_t vectors = rows * m;
    for (int b0 = 0; b0 < logn;) {
      // The first pass takes contiguous sub-vectors as long as shared memory allows; later ones
      // at least 32 interleaved sub-vectors so that loads are coalesced.
      const int pb = std::min(logn - b0, b0 == 0 ? log_e : log_e - 5);
      const int cols = static_cast<int>(std::min<int64_t>(int64_t(1) << b0, kElems >> pb));
      const int64_t work = vectors * (n >> pb) / cols;
      const int64_t blocks = std::min<int64_t>(work, cuda::kMaxBlocks);
      cuda::launch(enc, "fwht_pass", fwht_pass_kernel<C>, dim3(static_cast<unsigned>(blocks)),
                   dim3(cuda::kThreads), static_cast<size_t>(cols << pb) * sizeof(C), B, vectors,
                   static_cast<int64_t>(n), b0, pb, cols);
      b0 += pb;
    }
    cuda::launch(enc, "hadamard_mix", hadamard_mix_kernel<T, C>, cuda::blocks_for(total),
                 cuda::kThreads, 0, static_cast<const C*>(B), dst, total, len,
                 static_cast<int64_t>(n), m, sg, scale);
  };
  if (t == float64) {
    run.template operator()<double, double>();
  } else {
    dispatch_qfloat(t, "hadamard_transform",
                    [&]<typename T>() { run.template operator()<T, float>(); });
  }
  cuda::set_evaluated(outputs);
}

}  // namespace tandem
