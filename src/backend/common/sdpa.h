// Copyright © 2026 Tandem authors.
// The shapes, strides and options of a ScaledDotProductAttention (primitives/fused.h) as both
// backends' kernels take them: plain data, passed by value to the CUDA kernels.
#pragma once

#include <cstdint>

#include "tandem/array.h"

namespace tandem {

struct SdpaGeometry {
  int64_t qs[4], ks[4], vs[4], ms[4];  // element strides of q, k, v and the (B, Hq, Lq, Lk) mask
  int B, Hq, Hkv, Lq, Lk, D, Dv, G;    // G = Hq / Hkv query heads per kv head
  float scale;
  int mask_kind;  // 0: none, 1: bool, 2: additive (of the output dtype)
  bool causal;
};

/// The geometry of q (B, Hq, Lq, D), k (B, Hkv, Lk, D), v (B, Hkv, Lk, Dv) and the optional mask.
inline SdpaGeometry sdpa_geometry(const array& q, const array& k, const array& v, const array* mask,
                                  float scale, bool causal) {
  SdpaGeometry g{};
  for (int d = 0; d < 4; ++d) {
    g.qs[d] = q.strides()[d];
    g.ks[d] = k.strides()[d];
    g.vs[d] = v.strides()[d];
    g.ms[d] = mask ? mask->strides()[d] : 0;
  }
  g.B = q.shape(0);
  g.Hq = q.shape(1);
  g.Lq = q.shape(2);
  g.D = q.shape(3);
  g.Hkv = k.shape(1);
  g.Lk = k.shape(2);
  g.Dv = v.shape(3);
  g.G = g.Hq / g.Hkv;
  g.scale = scale;
  g.mask_kind = mask == nullptr ? 0 : mask->dtype() == bool_ ? 1 : 2;
  g.causal = causal;
  return g;
}

}  // namespace tandem
