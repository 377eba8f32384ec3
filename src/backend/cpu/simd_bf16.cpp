// Copyright © 2026 Tandem authors.
#include "backend/cpu/simd_bf16.h"

#include <immintrin.h>

#include <cstdlib>
#include <cstring>

#include "tandem/half_types.h"

// GCC 12's AVX-512 intrinsic headers start some intrinsics from a deliberately undefined vector,
// which -Wmaybe-uninitialized reports once inlined here (GCC bug 105593, fixed in GCC 13).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace tandem::cpu {

namespace {

inline float bf16_round_scalar(float x) {
  return detail::bf16_bits_to_float(detail::float_to_bf16_bits(x));
}

#define TANDEM_AVX512_BF16 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx512bf16")))

// 16 floats to bfloat16 bits as float_to_bf16_bits does.
TANDEM_AVX512_BF16 inline __m256i cvt16(__m512 x) {
  const __m256i h = reinterpret_cast<__m256i>(_mm512_cvtneps_pbh(x));
  if (__builtin_expect(_mm512_fpclass_ps_mask(x, 0x20) == 0, 1)) return h;  // no denormal
  // Integer rounding for the whole vector: (u + 0x7fff + lsb) >> 16; NaN: (u >> 16) | 0x40.
  const __m512i u = _mm512_castps_si512(x);
  const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
  __m512i r =
      _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(u, _mm512_set1_epi32(0x7fff)), lsb), 16);
  const __mmask16 nan = _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
  r = _mm512_mask_mov_epi32(r, nan,
                            _mm512_or_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(0x40)));
  return _mm512_cvtepi32_epi16(r);
}

TANDEM_AVX512_BF16 inline __m512 widen16(__m256i h) {
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

TANDEM_AVX512_BF16 void round_avx512(const float* in, uint16_t* out, int64_t n) {
  int64_t j = 0;
  for (; j + 16 <= n; j += 16)
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + j), cvt16(_mm512_loadu_ps(in + j)));
  for (; j < n; ++j)
    out[j] = detail::float_to_bf16_bits(in[j]);
}

TANDEM_AVX512_BF16 void norm_row_avx512(const float* v, float mu, float inv, const float* w,
                                        const float* b, uint16_t* y, int64_t n) {
  const __m512 vmu = _mm512_set1_ps(mu), vinv = _mm512_set1_ps(inv);
  int64_t j = 0;
  for (; j + 16 <= n; j += 16) {
    // (v - mu) * inv as two roundings (no FMA), as the scalar code.
    __m512 t = _mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(v + j), vmu), vinv);
    if (w) t = _mm512_mul_ps(widen16(cvt16(t)), _mm512_loadu_ps(w + j));
    if (b) t = _mm512_add_ps(widen16(cvt16(t)), _mm512_loadu_ps(b + j));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(y + j), cvt16(t));
  }
  for (; j < n; ++j) {
    float t = (v[j] - mu) * inv;
    if (w) t = bf16_round_scalar(t) * w[j];
    if (b) t = bf16_round_scalar(t) + b[j];
    y[j] = detail::float_to_bf16_bits(t);
  }
}

TANDEM_AVX512_BF16 inline __m512 dot32(__m512 acc, const uint16_t* a, const uint16_t* b) {
  return _mm512_dpbf16_ps(acc, reinterpret_cast<__m512bh>(_mm512_loadu_si512(a)),
                          reinterpret_cast<__m512bh>(_mm512_loadu_si512(b)));
}

TANDEM_AVX512_BF16 void gemv_rows_avx512(const uint16_t* mat, int64_t ld, int64_t rows,
                                         const uint16_t* v, int64_t K, float* y) {
  for (int64_t l = 0; l < rows; ++l) {
    const uint16_t* row = mat + l * ld;
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
    int64_t k = 0;
    for (; k + 64 <= K; k += 64) {
      a0 = dot32(a0, row + k, v + k);
      a1 = dot32(a1, row + k + 32, v + k + 32);
    }
    if (k + 32 <= K) {
      a0 = dot32(a0, row + k, v + k);
      k += 32;
    }
    float s[16];
    _mm512_storeu_ps(s, _mm512_add_ps(a0, a1));
    float tail = 0;
    for (; k < K; ++k)
      tail += detail::bf16_bits_to_float(row[k]) * detail::bf16_bits_to_float(v[k]);
    for (int w = 8; w >= 1; w /= 2) {  // pairwise: lane j += lane j + w
      for (int j = 0; j < w; ++j)
        s[j] += s[j + w];
    }
    y[l] = tail + s[0];
  }
}

}  // namespace

bool has_avx512_bf16() {
  static const bool ok = [] {
    const char* e = std::getenv("TANDEM_CPU_BF16");
    if (e && std::strcmp(e, "0") == 0) return false;
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512bf16");
  }();
  return ok;
}

void round_to_bf16(const float* in, uint16_t* out, int64_t n) {
  if (has_avx512_bf16()) return round_avx512(in, out, n);
  for (int64_t j = 0; j < n; ++j)
    out[j] = detail::float_to_bf16_bits(in[j]);
}

void norm_row_bf16(const float* v, float mu, float inv, const float* w, const float* b, uint16_t* y,
                   int64_t n) {
  if (has_avx512_bf16()) return norm_row_avx512(v, mu, inv, w, b, y, n);
  for (int64_t j = 0; j < n; ++j) {
    float t = (v[j] - mu) * inv;
    if (w) t = bf16_round_scalar(t) * w[j];
    if (b) t = bf16_round_scalar(t) + b[j];
    y[j] = detail::float_to_bf16_bits(t);
  }
}

}  // namespace tandem::cpu

namespace tandem::cpu {

bool gemv_rows_bf16(const uint16_t* mat, int64_t ld, int64_t rows, const uint16_t* v, int64_t K,
                    float* y) {
  if (!has_avx512_bf16()) return false;
  gemv_rows_avx512(mat, ld, rows, v, K, y);
  return true;
}

}  // namespace tandem::cpu
