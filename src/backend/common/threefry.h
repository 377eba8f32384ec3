// Copyright © 2026 Tandem authors.
// Threefry-2x32 with 20 rounds (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
// SC'11): a counter-based generator, so element i's bits depend only on (key, i). The CPU and
// CUDA kernels both call this function, which is what makes random bits identical on every
// device.
#pragma once

#include <cstdint>

#include "tandem/half_types.h"  // TANDEM_HD

namespace tandem::random_detail {

TANDEM_HD inline uint32_t rotl32(uint32_t x, int r) {
  return (x << r) | (x >> (32 - r));
}

/// Encrypt the counter (c0, c1) under the key (k0, k1).
TANDEM_HD inline void threefry2x32(uint32_t k0, uint32_t k1, uint32_t c0, uint32_t c1, uint32_t& o0,
                                   uint32_t& o1) {
  const uint32_t ks[3] = {k0, k1, 0x1BD11BDAu ^ k0 ^ k1};
  const int rot[8] = {13, 15, 26, 6, 17, 29, 16, 24};
  uint32_t x0 = c0 + ks[0];
  uint32_t x1 = c1 + ks[1];
  for (int block = 0; block < 5; ++block) {  // 5 blocks of 4 rounds
    for (int r = 0; r < 4; ++r) {
      x0 += x1;
      x1 = rotl32(x1, rot[(block % 2) * 4 + r]);
      x1 ^= x0;
    }
    const int s = block + 1;  // key injection after every 4 rounds
    x0 += ks[s % 3];
    x1 += ks[(s + 1) % 3] + static_cast<uint32_t>(s);
  }
  o0 = x0;
  o1 = x1;
}

/// The 32-bit word `w` of the stream for `key`: words come in pairs from counter (0, w / 2)...
/// (hi, lo) of the 64-bit pair index, so any element can be computed independently.
TANDEM_HD inline uint32_t word(uint32_t k0, uint32_t k1, uint64_t w) {
  uint64_t pair = w >> 1;
  uint32_t o0, o1;
  threefry2x32(k0, k1, static_cast<uint32_t>(pair >> 32), static_cast<uint32_t>(pair), o0, o1);
  return (w & 1) ? o1 : o0;
}

}  // namespace tandem::random_detail
