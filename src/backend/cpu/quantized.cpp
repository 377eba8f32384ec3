// Copyright © 2026 Tandem authors.
// CPU kernels of Quantize, Dequantize, QuantizedMatmul and Hadamard.
//
// Packed codes: the codes of a row are a little-endian bit stream in uint32 words (MLX's layout),
// code j at bits [j*bits, (j+1)*bits). Groups hold 32, 64 or 128 codes, so every block of 32 codes
// is exactly `bits` whole words and starts on a word boundary: the kernels unpack 32 codes at a
// time (unpack32), with the shifts known at compile time (templated on bits).
//
// QuantizedMatmul computes in float32 (x, scales and biases of 16-bit types are converted once):
//  - few rows of x (M <= kSmallM, GEMV-like): no dequantized copy of W. transpose: each thread
//    takes a range of W's rows and, per group, unpacks the codes once and forms s*(x.q) + b*sum(x)
//    for every row of x (the group sums of x are precomputed); a single row with 2-, 4- or 8-bit
//    codes skips the unpacked copy (shift/mask/convert feed the dot product directly). No
//    transpose: each thread takes a range of W's columns and accumulates x[:, k] * (dequantized
//    row k) for every k.
//  - more rows: W is dequantized to float32 a tile at a time (rows of W in parallel on the pool)
//    and each tile goes to cpu::gemm (split over the pool). Tiles hold ~kTileElems values, so
//    the float copy never exceeds a few MiB.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <type_traits>
#include <vector>

#if defined(__AVX512F__)
#include <immintrin.h>
// GCC 12's AVX-512 intrinsics use _mm512_undefined_* as masked-off sources, which
// -Wmaybe-uninitialized reports once inlined here (GCC bug 105593, fixed in GCC 13).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "backend/common/quant_bits.h"
#include "backend/cpu/copy.h"
#include "backend/cpu/gemm.h"
#include "backend/cpu/threading.h"
#include "primitives/quantized.h"

namespace tandem {

namespace {

using cpu::parallel_for;

array row_contiguous(const array& a) {
  return a.flags().row_contiguous ? a : cpu::make_contiguous(a);
}

array& alloc_output(array& out) {
  out.set_data(allocator::malloc(out.nbytes()));
  return out;
}

template <typename F>
decltype(auto) dispatch_group(int group_size, F&& f) {
  switch (group_size) {
    case 32:
      return f.template operator()<32>();
    case 64:
      return f.template operator()<64>();
    case 128:
      return f.template operator()<128>();
  }
  throw std::invalid_argument("[quantized] Unsupported group size " + std::to_string(group_size) +
                              ".");
}

// The float types of the quantized ops.
template <typename F>
decltype(auto) dispatch_float(Dtype t, const char* op, F&& f) {
  if (t == float32) return f.template operator()<float>();
  if (t == float16) return f.template operator()<float16_t>();
  if (t == bfloat16) return f.template operator()<bfloat16_t>();
  throw std::invalid_argument(std::string("[") + op + "] Unsupported dtype " + dtype_name(t) + ".");
}

// ---------------- bit streams ----------------

/// The 32 codes stored in the BITS words at `w`, as floats.
template <int BITS>
inline void unpack32(const uint32_t* w, float* out) {
  constexpr uint32_t kMask = (1u << BITS) - 1;
  if constexpr (32 % BITS == 0) {
    constexpr int kPer = 32 / BITS;
    for (int i = 0; i < BITS; ++i) {
      const uint32_t v = w[i];
#pragma GCC unroll 16
      for (int k = 0; k < kPer; ++k)
        out[i * kPer + k] = static_cast<float>((v >> (k * BITS)) & kMask);
    }
  } else {
#pragma GCC unroll 32
    for (int j = 0; j < 32; ++j) {
      const int o = j * BITS, wi = o >> 5, sh = o & 31;
      uint64_t v = w[wi];
      if (sh + BITS > 32) v |= static_cast<uint64_t>(w[wi + 1]) << 32;
      out[j] = static_cast<float>((v >> sh) & kMask);
    }
  }
}

/// Pack 32 codes (each < 2^BITS) into BITS words at `w`.
template <int BITS>
inline void pack32(const uint32_t* codes, uint32_t* w) {
  uint64_t acc[BITS + 1] = {};
  for (int j = 0; j < 32; ++j) {
    const int o = j * BITS;
    acc[o >> 5] |= static_cast<uint64_t>(codes[j]) << (o & 31);
  }
  // Bits that spilled past a word belong to the next one.
  for (int i = 0; i < BITS; ++i) {
    w[i] = static_cast<uint32_t>(acc[i]);
    acc[i + 1] |= acc[i] >> 32;
  }
}

// ---------------- quantize / dequantize ----------------

// MLX's affine scheme for one group: min/max in float; the end with the larger magnitude ("edge")
// is made exactly representable (scale = edge / q0, bias = edge), so 0 lies on the grid too.
template <typename T, int BITS>
void quantize_group(const T* w, int gs, uint32_t* wq, T* scale_out, T* bias_out) {
  constexpr float kBins = static_cast<float>((1 << BITS) - 1);
  constexpr float kEps = 1e-7f;
  float wmin = std::numeric_limits<float>::infinity(), wmax = -wmin;
  for (int j = 0; j < gs; ++j) {
    float v = static_cast<float>(w[j]);
    wmax = std::max(wmax, v);
    wmin = std::min(wmin, v);
  }
  bool neg_edge = std::abs(wmin) > std::abs(wmax);
  float scale = std::max((wmax - wmin) / kBins, kEps);
  scale = neg_edge ? scale : -scale;
  float edge = neg_edge ? wmin : wmax;
  float q0 = std::rint(edge / scale);
  float bias = 0.0f;
  if (q0 != 0.0f) {
    scale = edge / q0;
    bias = edge;
  }
  uint32_t codes[32];
  for (int b = 0; b < gs / 32; ++b) {
    for (int j = 0; j < 32; ++j) {
      float q = std::rint((static_cast<float>(w[b * 32 + j]) - bias) / scale);
      q = std::min(std::max(q, 0.0f), kBins);
      // NaN (which passes the clamp) gets code 0: converting it is undefined and gives 0 or
      // 0xffffffff depending on the instruction set, which would spill into the neighbours.
      codes[j] = q == q ? static_cast<uint32_t>(q) : 0u;
    }
    pack32<BITS>(codes, wq + b * BITS);
  }
  *scale_out = static_cast<T>(scale);
  *bias_out = static_cast<T>(bias);
}

template <typename T, int BITS>
void quantize_typed(const array& w, array& wq, array& scales, array& biases, int gs) {
  const T* src = w.unsafe_data<T>();
  uint32_t* dst = wq.unsafe_data<uint32_t>();
  T* sc = scales.unsafe_data<T>();
  T* bi = biases.unsafe_data<T>();
  size_t groups = w.size() / gs;
  const int64_t words = gs * BITS / 32;
  parallel_for(groups, std::max<size_t>(1, 8192 / gs), [&](size_t g0, size_t g1) {
    for (size_t g = g0; g < g1; ++g)
      quantize_group<T, BITS>(src + g * gs, gs, dst + g * words, sc + g, bi + g);
  });
}

template <typename T, int BITS>
void dequantize_typed(const array& wq, const array& scales, const array& biases, array& out,
                      int gs) {
  const uint32_t* w = wq.unsafe_data<uint32_t>();
  const T* sc = scales.unsafe_data<T>();
  const T* bi = biases.unsafe_data<T>();
  T* dst = out.unsafe_data<T>();
  size_t groups = out.size() / gs;
  const int64_t words = gs * BITS / 32;
  parallel_for(groups, std::max<size_t>(1, 16384 / gs), [&](size_t g0, size_t g1) {
    float q[32];
    for (size_t g = g0; g < g1; ++g) {
      const float s = static_cast<float>(sc[g]), b = static_cast<float>(bi[g]);
      for (int blk = 0; blk < gs / 32; ++blk) {
        unpack32<BITS>(w + g * words + blk * BITS, q);
        T* o = dst + g * gs + blk * 32;
        for (int j = 0; j < 32; ++j)
          o[j] = static_cast<T>(s * q[j] + b);
      }
    }
  });
}

// ---------------- quantized matmul ----------------

constexpr int kSmallM = 4;               // rows of x up to which the GEMV-like kernels run
constexpr int64_t kTileElems = 1 << 20;  // float values per dequantized tile of W (4 MiB)

/// One quantized matrix W (rows x cols, packed along cols) with float32 scales and biases of
/// shape (rows, cols / GS).
struct QMat {
  const uint32_t* w;
  const float* s;
  const float* b;
  int64_t rows, cols;
};

/// Rows [r0, r1) of W dequantized to float32 into `dst` (row-major, cols per row).
template <int BITS, int GS>
void dequantize_rows(const QMat& W, int64_t r0, int64_t r1, float* dst) {
  const int64_t wpr = W.cols * BITS / 32, gpr = W.cols / GS;
  parallel_for(r1 - r0, std::max<int64_t>(1, 16384 / W.cols), [&](size_t a, size_t e) {
    float q[32];
    for (int64_t r = r0 + a; r < r0 + static_cast<int64_t>(e); ++r) {
      float* o = dst + (r - r0) * W.cols;
      for (int64_t g = 0; g < gpr; ++g) {
        const float s = W.s[r * gpr + g], b = W.b[r * gpr + g];
        const uint32_t* wg = W.w + r * wpr + g * GS * BITS / 32;
        float* og = o + g * GS;
        if constexpr (32 % BITS == 0) {
          // Whole words: shift, mask, convert and scale straight into the tile.
          constexpr int kPer = 32 / BITS;
          constexpr uint32_t kMask = (1u << BITS) - 1;
          for (int i = 0; i < GS / kPer; ++i) {
            const uint32_t v = wg[i];
#pragma GCC unroll 16
            for (int k = 0; k < kPer; ++k)
              og[i * kPer + k] = s * static_cast<float>((v >> (k * BITS)) & kMask) + b;
          }
        } else {
          for (int blk = 0; blk < GS / 32; ++blk) {
            unpack32<BITS>(wg + blk * BITS, q);
            for (int j = 0; j < 32; ++j)
              og[blk * 32 + j] = s * q[j] + b;
          }
        }
      }
    }
  });
}

/// out (MR x N) = x (MR x K) @ W^T for bit widths dividing 8 (2, 4, 8) and MR <= kSmallM rows of
/// x, without unpacking to memory. W is read as bytes, 16 at a time: byte B holds codes P*B + k
/// (k < P = 8 / BITS) at bits k*BITS, so lane l of sub-vector k is (byte[l] >> k*BITS) & mask,
/// and x is permuted once per call into the same order (`xp`: per 16 bytes, P runs of 16
/// values). Each step is then a 16-lane shift, mask and convert per sub-vector, shared by the MR
/// rows' multiply-adds; the group's partial sums are scaled into running totals, and the bias
/// term uses the group sums of x (xsum, MR x G).
template <int BITS, int GS, int MR>
void qmv_t_rows(const float* x, const QMat& W, const float* xsum, float* out) {
  static_assert(8 % BITS == 0 && MR >= 1 && MR <= kSmallM);
  constexpr int kPer = 8 / BITS;         // codes per byte
  constexpr int kBytes = GS * BITS / 8;  // bytes per group
  constexpr int kSteps = kBytes >= 16 ? kBytes / 16 : 1;
  constexpr int kLanes = kBytes >= 16 ? 16 : kBytes;  // bytes per step
  constexpr uint32_t kMask = (1u << BITS) - 1;
  const int64_t N = W.rows, K = W.cols, G = K / GS, bpr = K * BITS / 8;
  // x in the order the lanes consume it, row after row.
  std::vector<float> xp(static_cast<size_t>(MR * K));
  for (int m = 0; m < MR; ++m) {
    for (int64_t base = 0; base < K; base += kLanes * kPer) {
      for (int k = 0; k < kPer; ++k)
        for (int l = 0; l < kLanes; ++l)
          xp[m * K + base + k * kLanes + l] = x[m * K + base + l * kPer + k];
    }
  }
  const uint8_t* wbytes = reinterpret_cast<const uint8_t*>(W.w);
  parallel_for(N, std::max<int64_t>(1, 8192 / K), [&](size_t n0, size_t n1) {
    for (size_t n = n0; n < n1; ++n) {
      float tot[MR][16] = {};
      float bsum[MR] = {};
      const uint8_t* wr = wbytes + n * bpr;
      int64_t g = 0;
#if defined(__AVX512F__)
      if constexpr (kLanes == 16) {
        // 16 bytes widened to 16 int32 lanes; each sub-vector a shift, mask, convert, then one
        // FMA per row of x.
        const __m512i mask = _mm512_set1_epi32(static_cast<int>(kMask));
        __m512 vt[MR];
        for (int m = 0; m < MR; ++m)
          vt[m] = _mm512_setzero_ps();
        for (; g < G; ++g) {
          __m512 vp[MR];
          for (int m = 0; m < MR; ++m)
            vp[m] = _mm512_setzero_ps();
          const uint8_t* wg = wr + g * kBytes;
          for (int st = 0; st < kSteps; ++st) {
            const __m512i e = _mm512_cvtepu8_epi32(
                _mm_loadu_si128(reinterpret_cast<const __m128i*>(wg + st * 16)));
            const int64_t xo = g * GS + st * 16 * kPer;
            for (int k = 0; k < kPer; ++k) {
              const __m512 c =
                  _mm512_cvtepi32_ps(_mm512_and_si512(_mm512_srli_epi32(e, k * BITS), mask));
              for (int m = 0; m < MR; ++m)
                vp[m] = _mm512_fmadd_ps(_mm512_loadu_ps(xp.data() + m * K + xo + k * 16), c, vp[m]);
            }
          }
          const __m512 sc = _mm512_set1_ps(W.s[n * G + g]);
          const float b = W.b[n * G + g];
          for (int m = 0; m < MR; ++m) {
            vt[m] = _mm512_fmadd_ps(sc, vp[m], vt[m]);
            bsum[m] += b * xsum[m * G + g];
          }
        }
        for (int m = 0; m < MR; ++m)
          _mm512_storeu_ps(tot[m], vt[m]);
      }
#endif
      for (; g < G; ++g) {
        const uint8_t* wg = wr + g * kBytes;
        const float sc = W.s[n * G + g], b = W.b[n * G + g];
        for (int m = 0; m < MR; ++m) {
          float part[16] = {};
          const float* xg = xp.data() + m * K + g * GS;
          for (int st = 0; st < kSteps; ++st) {
            const uint8_t* bt = wg + st * kLanes;
            const float* xs = xg + st * kLanes * kPer;
#pragma GCC unroll 4
            for (int k = 0; k < kPer; ++k) {
#pragma GCC unroll 16
              for (int l = 0; l < kLanes; ++l)
                part[l] += xs[k * kLanes + l] * static_cast<float>((bt[l] >> (k * BITS)) & kMask);
            }
          }
          for (int l = 0; l < 16; ++l)
            tot[m][l] += sc * part[l];
          bsum[m] += b * xsum[m * G + g];
        }
      }
      for (int m = 0; m < MR; ++m) {
        float t = 0.0f;
        for (int l = 0; l < 16; ++l)
          t += tot[m][l];
        out[m * N + n] = t + bsum[m];
      }
    }
  });
}

/// out (M x N) = x (M x K) @ W^T, W of shape (N, K); M <= kSmallM. Per row of W and group, the
/// codes are unpacked once and used for every row of x: sum_k x (s q_k + b) = s (x . q) + b
/// sum(x), the dot in 16 lanes whose scaled partials are summed across groups.
template <int BITS, int GS>
void qmv_t(const float* x, const QMat& W, float* out, int64_t M) {
  const int64_t N = W.rows, K = W.cols, G = K / GS, wpr = K * BITS / 32;
  std::vector<float> xsum(M * G);
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t g = 0; g < G; ++g) {
      float acc[16] = {};
      const float* xg = x + m * K + g * GS;
      for (int j = 0; j < GS; j += 16) {
        for (int l = 0; l < 16; ++l)
          acc[l] += xg[j + l];
      }
      float t = 0.0f;
      for (int l = 0; l < 16; ++l)
        t += acc[l];
      xsum[m * G + g] = t;
    }
  }
  if constexpr (8 % BITS == 0) {
    switch (M) {
      case 1:
        return qmv_t_rows<BITS, GS, 1>(x, W, xsum.data(), out);
      case 2:
        return qmv_t_rows<BITS, GS, 2>(x, W, xsum.data(), out);
      case 3:
        return qmv_t_rows<BITS, GS, 3>(x, W, xsum.data(), out);
      case 4:
        return qmv_t_rows<BITS, GS, 4>(x, W, xsum.data(), out);
    }
  }
  parallel_for(N, std::max<int64_t>(1, 8192 / K), [&](size_t n0, size_t n1) {
    alignas(64) float q[GS];
    for (size_t n = n0; n < n1; ++n) {
      float tot[kSmallM][16] = {};
      float bsum[kSmallM] = {};
      const uint32_t* wr = W.w + n * wpr;
      for (int64_t g = 0; g < G; ++g) {
        for (int blk = 0; blk < GS / 32; ++blk)
          unpack32<BITS>(wr + (g * GS + blk * 32) * BITS / 32, q + blk * 32);
        const float sc = W.s[n * G + g], b = W.b[n * G + g];
        for (int64_t m = 0; m < M; ++m) {
          float part[16] = {};
          const float* xg = x + m * K + g * GS;
          for (int j = 0; j < GS; j += 16) {
#pragma GCC unroll 16
            for (int l = 0; l < 16; ++l)
              part[l] += xg[j + l] * q[j + l];
          }
          for (int l = 0; l < 16; ++l)
            tot[m][l] += sc * part[l];
          bsum[m] += b * xsum[m * G + g];
        }
      }
      for (int64_t m = 0; m < M; ++m) {
        float t = 0.0f;
        for (int l = 0; l < 16; ++l)
          t += tot[m][l];
        out[m * N + n] = t + bsum[m];
      }
    }
  });
}

/// out (M x N) = x (M x K) @ W, W of shape (K, N); M <= kSmallM.
template <int BITS, int GS>
void qmv(const float* x, const QMat& W, float* out, int64_t M) {
  const int64_t K = W.rows, N = W.cols, G = N / GS, wpr = N * BITS / 32;
  constexpr int64_t kBlock = 32;  // columns are split in blocks of 32 (whole words)
  const int64_t blocks = N / kBlock;
  parallel_for(blocks, std::max<int64_t>(1, 8), [&](size_t b0, size_t b1) {
    const int64_t c0 = b0 * kBlock, nc = (b1 - b0) * kBlock;
    std::vector<float> acc(M * nc, 0.0f), row(nc);
    for (int64_t k = 0; k < K; ++k) {
      const uint32_t* wr = W.w + k * wpr;
      for (int64_t c = 0; c < nc; c += kBlock) {
        float* r = row.data() + c;
        unpack32<BITS>(wr + (c0 + c) * BITS / 32, r);
        const int64_t g = (c0 + c) / GS;
        const float s = W.s[k * G + g], b = W.b[k * G + g];
        for (int j = 0; j < kBlock; ++j)
          r[j] = s * r[j] + b;
      }
      for (int64_t m = 0; m < M; ++m) {
        const float xv = x[m * K + k];
        float* a = acc.data() + m * nc;
        for (int64_t c = 0; c < nc; ++c)
          a[c] += xv * row[c];
      }
    }
    for (int64_t m = 0; m < M; ++m)
      std::memcpy(out + m * N + c0, acc.data() + m * nc, nc * sizeof(float));
  });
}

/// out = x @ W^T (transpose) or x @ W through dequantized tiles of W and cpu::gemm.
template <int BITS, int GS>
void qmm_blas(const float* x, const QMat& W, float* out, int64_t M, bool transpose) {
  const int64_t tile_rows = std::clamp<int64_t>(kTileElems / W.cols, 1, W.rows);
  std::vector<float> tile(tile_rows * W.cols);
  if (transpose) {
    // W rows are output columns: out[:, r0:r1] = x @ tile^T.
    const int64_t N = W.rows, K = W.cols;
    for (int64_t r0 = 0; r0 < N; r0 += tile_rows) {
      const int64_t r1 = std::min(N, r0 + tile_rows);
      dequantize_rows<BITS, GS>(W, r0, r1, tile.data());
      cpu::gemm<float>(false, true, M, r1 - r0, K, 1.0f, x, K, tile.data(), K, 0.0f, out + r0, N);
    }
  } else {
    // W rows are the contraction: out += x[:, r0:r1] @ tile.
    const int64_t K = W.rows, N = W.cols;
    for (int64_t r0 = 0; r0 < K; r0 += tile_rows) {
      const int64_t r1 = std::min(K, r0 + tile_rows);
      dequantize_rows<BITS, GS>(W, r0, r1, tile.data());
      cpu::gemm<float>(false, false, M, N, r1 - r0, 1.0f, x + r0, K, tile.data(), N,
                       r0 == 0 ? 0.0f : 1.0f, out, N);
    }
  }
}

template <int BITS, int GS>
void qmm_2d(const float* x, const QMat& W, float* out, int64_t M, bool transpose) {
  if (M == 0) return;
  if (M <= kSmallM) {
    if (transpose) return qmv_t<BITS, GS>(x, W, out, M);
    return qmv<BITS, GS>(x, W, out, M);
  }
  qmm_blas<BITS, GS>(x, W, out, M, transpose);
}

// Are the last two dims of `a` a dense row-major matrix (batch dims may be strided)?
bool matrices_row_major(const array& a) {
  int nd = a.ndim();
  if (nd < 2) return a.flags().row_contiguous;
  return (a.shape(-1) <= 1 || a.strides()[nd - 1] == 1) &&
         (a.shape(-2) <= 1 || a.strides()[nd - 2] == a.shape(-1));
}

// Element offset of matrix `i` of `a` (batch dims are all but the last two).
int64_t batch_offset(const array& a, int64_t i) {
  int64_t off = 0;
  for (int d = a.ndim() - 3; d >= 0; --d) {
    int64_t n = a.shape()[d];
    off += (i % n) * a.strides()[d];
    i /= n;
  }
  return off;
}

// A float32 pointer to `n` values of type T at `src`: src itself for float, else a converted copy.
template <typename T>
const float* as_float(const T* src, int64_t n, std::vector<float>& buf) {
  if constexpr (std::is_same_v<T, float>) {
    return src;
  } else {
    buf.resize(n);
    for (int64_t i = 0; i < n; ++i)
      buf[i] = static_cast<float>(src[i]);
    return buf.data();
  }
}

template <typename T, int BITS, int GS>
void quantized_matmul_typed(array x, array w, array sc, array bi, array& out, bool transpose) {
  const bool batched_w = w.ndim() > 2;
  if (!batched_w) {
    x = row_contiguous(x);
    w = row_contiguous(w);
    sc = row_contiguous(sc);
    bi = row_contiguous(bi);
  } else {
    if (!matrices_row_major(x)) x = cpu::make_contiguous(x);
    if (!matrices_row_major(w)) w = cpu::make_contiguous(w);
    if (!matrices_row_major(sc)) sc = cpu::make_contiguous(sc);
    if (!matrices_row_major(bi)) bi = cpu::make_contiguous(bi);
  }
  const int64_t rows = w.shape(-2), cols = w.shape(-1) * 32 / BITS;
  const int64_t K = transpose ? cols : rows, N = transpose ? rows : cols;
  const int64_t M = batched_w ? x.shape(-2) : static_cast<int64_t>(x.size()) / K;
  const int64_t batches = batched_w ? static_cast<int64_t>(out.size()) / (M * N) : 1;
  const int64_t gsize = rows * (cols / GS);
  std::vector<float> xbuf, sbuf, bbuf, obuf;
  T* dst = out.unsafe_data<T>();
  for (int64_t i = 0; i < batches; ++i) {
    const float* xf = as_float<T>(x.unsafe_data<T>() + batch_offset(x, i), M * K, xbuf);
    QMat W{w.unsafe_data<uint32_t>() + batch_offset(w, i),
           as_float<T>(sc.unsafe_data<T>() + batch_offset(sc, i), gsize, sbuf),
           as_float<T>(bi.unsafe_data<T>() + batch_offset(bi, i), gsize, bbuf), rows, cols};
    T* o = dst + i * M * N;
    if constexpr (std::is_same_v<T, float>) {
      qmm_2d<BITS, GS>(xf, W, o, M, transpose);
    } else {
      obuf.resize(M * N);
      qmm_2d<BITS, GS>(xf, W, obuf.data(), M, transpose);
      for (int64_t j = 0; j < M * N; ++j)
        o[j] = static_cast<T>(obuf[j]);
    }
  }
}

// ---------------- Hadamard ----------------

/// In-place fast Walsh-Hadamard transform of n = 2^k values (Sylvester order, unscaled).
template <typename C>
void fwht(C* x, int64_t n) {
  for (int64_t h = 1; h < n; h <<= 1) {
    for (int64_t i = 0; i < n; i += 2 * h) {
      C* a = x + i;
      C* b = x + i + h;
      for (int64_t j = 0; j < h; ++j) {
        C u = a[j], v = b[j];
        a[j] = u + v;
        b[j] = u - v;
      }
    }
  }
}

template <typename T>
void hadamard_typed(const array& in, array& out, double scale, bool transposed) {
  using C = std::conditional_t<std::is_same_v<T, double>, double, float>;
  const int64_t len = in.shape(-1);
  auto [m, n] = detail::hadamard_decompose(static_cast<int>(len));
  if (m == 0) throw std::invalid_argument("[hadamard] Unsupported size " + std::to_string(len));
  // Signs of H_m (or its transpose): sign[j * m + k] multiplies segment k into segment j.
  std::vector<C> sign(m * m, C(1));
  if (m > 1) {
    for (int r = 0; r < m; ++r) {
      uint32_t mask = detail::hadamard_row_mask(m, r);
      for (int c = 0; c < m; ++c) {
        C v = (mask >> c) & 1u ? C(-1) : C(1);
        if (transposed) {
          sign[c * m + r] = v;
        } else {
          sign[r * m + c] = v;
        }
      }
    }
  }
  const T* src = in.unsafe_data<T>();
  T* dst = out.unsafe_data<T>();
  const int64_t rows = static_cast<int64_t>(in.size()) / len;
  const C sc = static_cast<C>(scale);
  parallel_for(rows, std::max<int64_t>(1, 16384 / len), [&](size_t r0, size_t r1) {
    std::vector<C> buf(len), mixed(m > 1 ? len : 0);
    for (size_t r = r0; r < r1; ++r) {
      const T* s = src + r * len;
      for (int64_t i = 0; i < len; ++i)
        buf[i] = static_cast<C>(s[i]);
      for (int seg = 0; seg < m; ++seg)
        fwht(buf.data() + seg * n, n);
      const C* res = buf.data();
      if (m > 1) {
        // (H_m (x) I_n): segment j of the result is sum_k H_m[j][k] * segment k.
        std::fill(mixed.begin(), mixed.end(), C(0));
        for (int j = 0; j < m; ++j) {
          C* o = mixed.data() + j * n;
          for (int k = 0; k < m; ++k) {
            const C* seg = buf.data() + k * n;
            if (sign[j * m + k] > 0) {
              for (int64_t i = 0; i < n; ++i)
                o[i] += seg[i];
            } else {
              for (int64_t i = 0; i < n; ++i)
                o[i] -= seg[i];
            }
          }
        }
        res = mixed.data();
      }
      T* d = dst + r * len;
      for (int64_t i = 0; i < len; ++i)
        d[i] = static_cast<T>(res[i] * sc);
    }
  });
}

}  // namespace

void Quantize::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  array w = row_contiguous(inputs[0]);
  for (auto& o : outputs)
    alloc_output(o);
  if (w.size() == 0) return;
  dispatch_float(w.dtype(), "quantize", [&]<typename T>() {
    dispatch_bits(bits_, [&]<int B>() {
      quantize_typed<T, B>(w, outputs[0], outputs[1], outputs[2], group_size_);
    });
  });
}

void Dequantize::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  array& out = alloc_output(outputs[0]);
  if (out.size() == 0) return;
  array w = row_contiguous(inputs[0]), sc = row_contiguous(inputs[1]),
        bi = row_contiguous(inputs[2]);
  dispatch_float(out.dtype(), "dequantize", [&]<typename T>() {
    dispatch_bits(bits_, [&]<int B>() { dequantize_typed<T, B>(w, sc, bi, out, group_size_); });
  });
}

void QuantizedMatmul::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  array& out = outputs[0];
  alloc_output(out);
  if (out.size() == 0) return;
  dispatch_float(out.dtype(), "quantized_matmul", [&]<typename T>() {
    dispatch_bits(bits_, [&]<int B>() {
      dispatch_group(group_size_, [&]<int GS>() {
        quantized_matmul_typed<T, B, GS>(inputs[0], inputs[1], inputs[2], inputs[3], out,
                                         transpose_);
      });
    });
  });
}

void Hadamard::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  array& out = alloc_output(outputs[0]);
  if (out.size() == 0) return;
  array in = row_contiguous(inputs[0]);
  Dtype t = out.dtype();
  if (t == float64) return hadamard_typed<double>(in, out, scale_, transposed_);
  dispatch_float(t, "hadamard_transform",
                 [&]<typename T>() { hadamard_typed<T>(in, out, scale_, transposed_); });
}

}  // namespace tandem
