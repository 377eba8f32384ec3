// Copyright © 2026 Tandem authors.
// Direct float32 convolution (see conv_direct.h).
//
// Output position m = (n, o_1..o_d) and kernel tap t = (k_1..k_d) read the padded input at pixel
// base(m) + off(t), with base(m) = n*Pimg + sum_i o_i*stride_i*Pstr_i and off(t) =
// sum_i k_i*kdil_i*Pstr_i, where Pstr are the strides of the padded (and input-dilated) pixel
// grid. So the convolution is a GEMM whose A rows are pointers into that grid:
//   out[m, o] = sum_t sum_c Xp[base(m) + off(t), c] * W[o, t, c],
// and needs no im2col matrix. A micro-kernel keeps an R x 16V tile of `out` (R positions, 16V
// output channels) in zmm registers and streams the weights, packed per block of up to 64 output
// channels as [tap][channel][16V]. K (taps x channels) is cut into blocks whose packed weights
// stay in L2; later blocks accumulate into `out`. Threads take contiguous ranges of positions.
// Only Tandem's pool runs: OpenBLAS's worker threads (which spin after each call and competed
// with the pool around every im2col chunk) are not involved.
#include "backend/cpu/conv_direct.h"

#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <string>
#include <type_traits>
#include <utility>

#include "backend/cpu/simd_bf16.h"
#include "backend/cpu/threading.h"
#include "tandem/allocator.h"
#include "tandem/array.h"

namespace tandem::cpu {

namespace {

constexpr int kMaxRows = 14;  // positions per tile, for one 16-lane vector of outputs

/// Positions per tile for V vectors of outputs: R * V accumulators, at most 28 of the 32 zmm
/// registers (the rest hold the weights and a broadcast input value).
constexpr int rows_for(int v) {
  return v == 1 ? 14 : v == 2 ? 12 : v == 3 ? 8 : 6;
}

/// One micro-kernel call. E is the element type of the input and packed weights: float, or
/// bfloat16 bits (uint16_t), whose kernel consumes channels in pairs.
template <typename E>
struct Tile {
  const E* a[kMaxRows];  // row r of A at tap 0 of this K block, first channel of the block
  float* c[kMaxRows];    // row r of the output, first column of this output block
  const int64_t* toff;   // per tap of the block: elements to add to a[r]
  int ntaps;             // taps in this K block
  int nc;                // channels (float) or channel pairs (bfloat16) in this K block
  const E* w;            // packed weights at (first tap, first channel) of the block
  int64_t wtap;          // elements between consecutive taps in w
  unsigned mask;         // valid lanes of the last vector
  bool accumulate;       // add to out instead of overwriting it
};

#define TANDEM_AVX512 __attribute__((target("avx512f")))
#define TANDEM_AVX512_BF16 __attribute__((target("avx512f,avx512bf16")))

template <int R, int V>
TANDEM_AVX512 void tile_kernel(const Tile<float>& p) {
  __m512 acc[R][V];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v)
      acc[r][v] = _mm512_setzero_ps();
  }
  for (int t = 0; t < p.ntaps; ++t) {
    const float* ar[R];
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r)
      ar[r] = p.a[r] + p.toff[t];
    const float* wt = p.w + t * p.wtap;
    for (int ci = 0; ci < p.nc; ++ci) {
      __m512 wv[V];
#pragma GCC unroll 4
      for (int v = 0; v < V; ++v)
        wv[v] = _mm512_loadu_ps(wt + (ci * V + v) * 16);
#pragma GCC unroll 16
      for (int r = 0; r < R; ++r) {
        const __m512 b = _mm512_set1_ps(ar[r][ci]);
#pragma GCC unroll 4
        for (int v = 0; v < V; ++v)
          acc[r][v] = _mm512_fmadd_ps(b, wv[v], acc[r][v]);
      }
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) {
      const __mmask16 m = static_cast<__mmask16>(v == V - 1 ? p.mask : 0xffffu);
      float* cp = p.c[r] + v * 16;
      __m512 y = acc[r][v];
      if (p.accumulate) y = _mm512_add_ps(_mm512_maskz_loadu_ps(m, cp), y);
      _mm512_mask_storeu_ps(cp, m, y);
    }
  }
}

/// The bfloat16 kernel: packed weights hold, per channel pair and output, the two weights
/// next to each other, so one AVX-512 BF16 dot-product instruction adds x_c * w_c +
/// x_c+1 * w_c+1 for 16 outputs (products exact, sums in float32, denormals flushed).
template <int R, int V>
TANDEM_AVX512_BF16 void tile_kernel_bf16(const Tile<uint16_t>& p) {
  __m512 acc[R][V];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v)
      acc[r][v] = _mm512_setzero_ps();
  }
  for (int t = 0; t < p.ntaps; ++t) {
    const uint16_t* ar[R];
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r)
      ar[r] = p.a[r] + p.toff[t];
    const uint16_t* wt = p.w + t * p.wtap;
    for (int c2 = 0; c2 < p.nc; ++c2) {
      __m512bh wv[V];
#pragma GCC unroll 4
      for (int v = 0; v < V; ++v)
        wv[v] = reinterpret_cast<__m512bh>(_mm512_loadu_si512(wt + (c2 * V + v) * 32));
#pragma GCC unroll 16
      for (int r = 0; r < R; ++r) {
        int32_t pair;
        std::memcpy(&pair, ar[r] + 2 * c2, sizeof pair);
        const __m512bh b = reinterpret_cast<__m512bh>(_mm512_set1_epi32(pair));
#pragma GCC unroll 4
        for (int v = 0; v < V; ++v)
          acc[r][v] = _mm512_dpbf16_ps(acc[r][v], b, wv[v]);
      }
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) {
      const __mmask16 m = static_cast<__mmask16>(v == V - 1 ? p.mask : 0xffffu);
      float* cp = p.c[r] + v * 16;
      __m512 y = acc[r][v];
      if (p.accumulate) y = _mm512_add_ps(_mm512_maskz_loadu_ps(m, cp), y);
      _mm512_mask_storeu_ps(cp, m, y);
    }
  }
}

/// One tap of a packed weight block: dst[c * 16V + j] = src[j * fstride + c] for the `width`
/// filters of the block (zero beyond), c < cgi. A transpose: gathers read the 16 filters of a
/// vector at one channel, so the stores are contiguous (strided scalar stores were 5% of a CNN
/// training epoch, whose weight gradients pack the 28x28-tap cotangent).
TANDEM_AVX512 void pack_tap(const float* src, int64_t fstride, int width, int V, int cgi,
                            float* dst) {
  __m512i idx[4];
  __mmask16 mask[4];
  for (int v = 0; v < V; ++v) {
    const int lanes = std::clamp(width - 16 * v, 0, 16);
    mask[v] = static_cast<__mmask16>(lanes == 16 ? 0xffffu : (1u << lanes) - 1u);
    idx[v] = _mm512_mullo_epi32(
        _mm512_add_epi32(_mm512_set1_epi32(16 * v),
                         _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)),
        _mm512_set1_epi32(static_cast<int>(fstride)));
  }
  for (int c = 0; c < cgi; ++c) {
    for (int v = 0; v < V; ++v) {
      const __m512 x = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), mask[v], idx[v], src + c, 4);
      _mm512_storeu_ps(dst + (c * V + v) * 16, x);
    }
  }
}

template <typename E>
using Kernel = void (*)(const Tile<E>&);

template <typename E, int V, int... Rs>
constexpr std::array<Kernel<E>, kMaxRows> kernels_for(std::integer_sequence<int, Rs...>) {
  if constexpr (std::is_same_v<E, float>) {
    return {(Rs + 1 <= rows_for(V) ? &tile_kernel<(Rs + 1 <= rows_for(V) ? Rs + 1 : 1), V>
                                   : nullptr)...};
  } else {
    return {(Rs + 1 <= rows_for(V) ? &tile_kernel_bf16<(Rs + 1 <= rows_for(V) ? Rs + 1 : 1), V>
                                   : nullptr)...};
  }
}

/// kernels<E>()[V - 1][R - 1]: the micro-kernel for R positions and V vectors of outputs.
template <typename E>
const std::array<std::array<Kernel<E>, kMaxRows>, 4>& kernels() {
  static const std::array<std::array<Kernel<E>, kMaxRows>, 4> k{
      kernels_for<E, 1>(std::make_integer_sequence<int, kMaxRows>{}),
      kernels_for<E, 2>(std::make_integer_sequence<int, kMaxRows>{}),
      kernels_for<E, 3>(std::make_integer_sequence<int, kMaxRows>{}),
      kernels_for<E, 4>(std::make_integer_sequence<int, kMaxRows>{})};
  return k;
}

/// Scratch memory from Tandem's allocator (its cache hands the same mapped block back next call).
array scratch(int64_t bytes) {
  const int64_t floats = (bytes + 3) / 4;
  array a({static_cast<int32_t>(std::min<int64_t>(floats, INT32_MAX))}, float32, nullptr, {});
  a.detach();
  a.set_data(allocator::malloc(static_cast<size_t>(std::max<int64_t>(floats, 1)) * sizeof(float)));
  return a;
}

template <typename E>
bool conv_direct_impl(const ConvShape& s, const E* x, const E* w, float* out) {
  // bfloat16 kernels take channels in pairs: each group's channels are padded to an even count
  // (cgi: the padded count below; cgi0: the real one).
  constexpr int kPack = std::is_same_v<E, float> ? 1 : 2;
  const int sp = static_cast<int>(s.S.size());
  const int G = s.G, O = s.O;
  const int cgi0 = s.Cin / G, cgo = O / G;
  const int cgi = (cgi0 + kPack - 1) / kPack * kPack;
  const int Cin = G * cgi;  // channels per pixel of the grid
  int64_t T = 1, npos = s.N;
  for (int i = 0; i < sp; ++i) {
    T *= s.K[i];
    npos *= s.OS[i];
  }

  // ---- the pixel grid the taps read: the input itself, or a padded / dilated copy ----
  // Extent P_i covers every position read: (OS_i - 1) * stride_i + (K_i - 1) * kdil_i + 1.
  // The input is read in place only when row-contiguous and neither padded nor dilated.
  const std::vector<int64_t>& xs = s.x_strides;  // (n, spatial..., channel), in elements
  std::vector<int64_t> P(sp), Pstr(sp + 1, 1);
  bool copy = xs[sp + 1] != 1 || cgi != cgi0;
  {
    int64_t rm = Cin;  // row-major stride of the axis being checked
    for (int i = sp - 1; i >= 0; --i) {
      copy |= s.S[i] > 1 && xs[1 + i] != rm;
      rm *= s.S[i];
    }
    copy |= s.N > 1 && xs[0] != rm;
  }
  for (int i = 0; i < sp; ++i) {
    P[i] = static_cast<int64_t>(s.OS[i] - 1) * s.stride[i] +
           static_cast<int64_t>(s.K[i] - 1) * s.kdil[i] + 1;
    copy |= s.idil[i] != 1 || s.pad_lo[i] != 0 || P[i] > s.S[i];
  }
  if (!copy) P.assign(s.S.begin(), s.S.end());  // read the input in place (P_i <= S_i)
  for (int i = sp - 1; i >= 0; --i)
    Pstr[i] = Pstr[i + 1] * P[i];
  const int64_t pimg = Pstr[0];  // pixels per image

  // ---- packed weight layout: per (group, block of <= 64 outputs): [tap][channel][16 * V] ----
  const int nob = (cgo + 63) / 64;
  std::vector<int64_t> boff(static_cast<size_t>(G) * nob + 1, 0);
  for (int g = 0; g < G; ++g) {
    for (int ob = 0; ob < nob; ++ob) {
      const int width = std::min(64, cgo - ob * 64);
      const int V = (width + 15) / 16;
      boff[g * nob + ob + 1] = boff[g * nob + ob] + T * cgi * 16 * V;
    }
  }
  // Decline when the scratch would dwarf the operands: outputs per group far below 16 (a
  // depthwise weight gradient, whose "weights" are the whole cotangent, would be packed 16x) or
  // an input dilated by a large stride. The caller then takes the im2col path, whose scratch is
  // bounded.
  {
    int64_t in_elems = s.N * Cin, w_elems = static_cast<int64_t>(O) * T * cgi;
    for (int i = 0; i < sp; ++i)
      in_elems *= s.S[i];
    constexpr int64_t kFree = int64_t(1) << 24;  // elements any case may use
    const int64_t xp_elems = copy ? s.N * pimg * Cin : 0;
    if (boff.back() > std::max(4 * w_elems, kFree) || xp_elems > std::max(4 * in_elems, kFree))
      return false;
  }
  array xp_buf = copy ? scratch(s.N * pimg * Cin * int64_t(sizeof(E))) : array(0.0f);
  const E* X = x;
  if (copy) {
    E* xp = reinterpret_cast<E*>(xp_buf.unsafe_data<float>());
    const int64_t last = P[sp - 1];
    const int64_t lines = s.N * (pimg / last);
    const int64_t cs = xs[sp + 1];
    auto src_of = [&](int i, int64_t q) -> int64_t {  // input index on axis i, or -1
      int64_t j = q - s.pad_lo[i];
      if (j < 0 || j % s.idil[i] != 0) return -1;
      j /= s.idil[i];
      return j < s.S[i] ? j : -1;
    };
    parallel_for(lines, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, last * Cin)),
                 [&](size_t b, size_t e) {
                   for (size_t line = b; line < e; ++line) {
                     E* dst = xp + static_cast<int64_t>(line) * last * Cin;
                     // Decompose line -> (n, q_0..q_{sp-2}).
                     int64_t rem = static_cast<int64_t>(line), src = 0;
                     bool inside = true;
                     for (int i = sp - 2; i >= 0; --i) {
                       int64_t q = rem % P[i];
                       rem /= P[i];
                       int64_t j = src_of(i, q);
                       inside &= j >= 0;
                       src += j * xs[1 + i];
                     }
                     if (!inside) {
                       std::memset(dst, 0, sizeof(E) * last * Cin);
                       continue;
                     }
                     const E* xl = x + rem * xs[0] + src;  // rem is n
                     for (int64_t q = 0; q < last; ++q) {
                       int64_t j = src_of(sp - 1, q);
                       E* d = dst + q * Cin;
                       if (j < 0) {
                         std::memset(d, 0, sizeof(E) * Cin);
                         continue;
                       }
                       const E* p = xl + j * xs[sp];
                       if (cs == 1 && cgi == cgi0) {
                         std::memcpy(d, p, sizeof(E) * Cin);
                       } else {
                         for (int g = 0; g < G; ++g) {
                           for (int c = 0; c < cgi0; ++c)
                             d[g * cgi + c] = p[(g * cgi0 + c) * cs];
                           for (int c = cgi0; c < cgi; ++c)
                             d[g * cgi + c] = E(0);
                         }
                       }
                     }
                   }
                 });
    X = xp;
  }

  // ---- tap offsets (floats) in the grid ----
  std::vector<int64_t> toff(T);
  {
    std::vector<int> k(sp, 0);
    for (int64_t t = 0; t < T; ++t) {
      int64_t off = 0;
      for (int i = 0; i < sp; ++i)
        off += static_cast<int64_t>(k[i]) * s.kdil[i] * Pstr[i + 1];
      toff[t] = off * Cin;
      for (int i = sp - 1; i >= 0 && ++k[i] == s.K[i]; --i)  // next tap (odometer)
        k[i] = 0;
    }
  }

  // ---- packed weights ----
  // Weight strides (output, taps..., channel) and each tap's offset.
  const std::vector<int64_t>& ws = s.w_strides;
  const int64_t wo = ws[0], wc = ws[sp + 1];
  std::vector<int64_t> wtoff(T);
  {
    std::vector<int> k(sp, 0);
    for (int64_t t = 0; t < T; ++t) {
      int64_t off = 0;
      for (int i = 0; i < sp; ++i)
        off += static_cast<int64_t>(k[i]) * ws[1 + i];
      wtoff[t] = off;
      for (int i = sp - 1; i >= 0 && ++k[i] == s.K[i]; --i)
        k[i] = 0;
    }
  }
  // Gathers need 32-bit indices j * wo (j < 64) and rows of channels read contiguously.
  const bool gather = wc == 1 && wo > 0 && 64 * wo < (int64_t(1) << 31);
  array wp_buf = scratch(boff.back() * int64_t(sizeof(E)));
  E* wp = reinterpret_cast<E*>(wp_buf.unsafe_data<float>());
  parallel_for(static_cast<size_t>(G) * nob * T, std::max<int64_t>(1, 8192 / std::max(1, cgi * 64)),
               [&](size_t b, size_t e) {
                 for (size_t i = b; i < e; ++i) {
                   const int64_t t = static_cast<int64_t>(i) % T;
                   const int64_t gob = static_cast<int64_t>(i) / T;
                   const int g = static_cast<int>(gob / nob), ob = static_cast<int>(gob % nob);
                   const int width = std::min(64, cgo - ob * 64);
                   const int V = (width + 15) / 16;
                   const int64_t wt = s.flip ? T - 1 - t : t;  // flipping every axis
                   E* dst = wp + boff[gob] + t * cgi * 16 * V;
                   const E* src = w + (static_cast<int64_t>(g) * cgo + ob * 64) * wo + wtoff[wt];
                   if constexpr (!std::is_same_v<E, float>) {
                     // Pairs: dst[((c / 2) * 16V + j) * 2 + c % 2] = W[j][c], zero beyond.
                     for (int c = 0; c < cgi; ++c) {
                       E* d = dst + (c / 2) * 32 * V + c % 2;
                       for (int j = 0; j < 16 * V; ++j)
                         d[2 * j] = j < width && c < cgi0 ? src[j * wo + c * wc] : E(0);
                     }
                   } else if (wo == 1) {
                     // Output channels contiguous (a weight gradient's cotangent, transposed):
                     // one copy of `width` values per channel.
                     for (int c = 0; c < cgi; ++c) {
                       std::memcpy(dst + c * 16 * V, src + c * wc, sizeof(float) * width);
                       std::fill(dst + c * 16 * V + width, dst + (c + 1) * 16 * V, 0.0f);
                     }
                   } else if (gather) {
                     pack_tap(src, wo, width, V, cgi, dst);
                   } else {
                     for (int c = 0; c < cgi; ++c) {
                       for (int j = 0; j < 16 * V; ++j)
                         dst[c * 16 * V + j] = j < width ? src[j * wo + c * wc] : 0.0f;
                     }
                   }
                 }
               });

  // ---- K blocks: channel chunks of <= 256, and as many taps as keep the block near 192 KiB ----
  const int cc = std::min(cgi, 256);
  const int64_t tb =
      std::clamp<int64_t>((192 << 10) / (int64_t(sizeof(E)) * 64 * static_cast<int64_t>(cc)), 1, T);

  // ---- positions, in tasks of up to 256 (an output tile of 64 KiB at 64 channels); fewer
  // when there are few positions, so that every thread gets several tasks ----
  const int64_t per_task =
      std::clamp<int64_t>((npos + 4 * num_threads() - 1) / (4 * num_threads()), 16, 256);
  const int64_t ntasks = (npos + per_task - 1) / per_task;
  std::vector<int64_t> ostr(sp + 1, 1);  // output strides in positions
  for (int i = sp - 1; i >= 0; --i)
    ostr[i] = ostr[i + 1] * s.OS[i];
  parallel_for(ntasks, 1, [&](size_t tb0, size_t te0) {
    std::vector<int64_t> aoff(per_task);
    std::vector<int> o(sp);
    for (size_t task = tb0; task < te0; ++task) {
      const int64_t m0 = static_cast<int64_t>(task) * per_task;
      const int64_t mn = std::min(per_task, npos - m0);
      // Pixel offset (in floats) of each position's tap 0.
      int64_t rem = m0;
      for (int i = sp - 1; i >= 0; --i) {
        o[i] = static_cast<int>(rem % s.OS[i]);
        rem /= s.OS[i];
      }
      int64_t n = rem;
      for (int64_t m = 0; m < mn; ++m) {
        int64_t pix = n * pimg;
        for (int i = 0; i < sp; ++i)
          pix += static_cast<int64_t>(o[i]) * s.stride[i] * Pstr[i + 1];
        aoff[m] = pix * Cin;
        int i = sp - 1;
        for (; i >= 0 && ++o[i] == s.OS[i]; --i)
          o[i] = 0;
        if (i < 0) ++n;
      }
      for (int g = 0; g < G; ++g) {
        for (int ob = 0; ob < nob; ++ob) {
          const int width = std::min(64, cgo - ob * 64);
          const int V = (width + 15) / 16;
          const int R = rows_for(V);
          const int lanes = width - 16 * (V - 1);
          const E* wblock = wp + boff[g * nob + ob];
          Tile<E> tile;
          tile.wtap = static_cast<int64_t>(cgi) * 16 * V;
          tile.mask = lanes == 16 ? 0xffffu : (1u << lanes) - 1u;
          for (int64_t t0 = 0; t0 < T; t0 += tb) {
            for (int c0 = 0; c0 < cgi; c0 += cc) {
              tile.toff = toff.data() + t0;
              tile.ntaps = static_cast<int>(std::min(tb, T - t0));
              tile.nc = std::min(cc, cgi - c0) / kPack;
              tile.w = wblock + (t0 * cgi + c0) * 16 * V;
              tile.accumulate = t0 > 0 || c0 > 0;
              for (int64_t m = 0; m < mn; m += R) {
                const int r = static_cast<int>(std::min<int64_t>(R, mn - m));
                for (int i = 0; i < r; ++i) {
                  tile.a[i] = X + aoff[m + i] + g * cgi + c0;
                  tile.c[i] = out + (m0 + m + i) * O + g * cgo + ob * 64;
                }
                kernels<E>()[V - 1][r - 1](tile);
              }
            }
          }
        }
      }
    }
  });
  return true;
}

}  // namespace

bool conv_direct_available() {
  static const bool ok = [] {
    const char* e = std::getenv("TANDEM_CPU_CONV");
    if (e && std::string(e) == "im2col") return false;
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") != 0;
  }();
  return ok;
}

bool conv_direct_bf16_available() {
  return conv_direct_available() && has_avx512_bf16();
}

bool conv_direct(const ConvShape& s, const float* x, const float* w, float* out) {
  return conv_direct_impl<float>(s, x, w, out);
}

bool conv_direct_bf16(const ConvShape& s, const uint16_t* x, const uint16_t* w, float* out) {
  return conv_direct_impl<uint16_t>(s, x, w, out);
}

}  // namespace tandem::cpu
