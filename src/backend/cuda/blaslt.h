// Copyright © 2026 Tandem authors.
// Matrix products through cuBLASLt with cached plans (blaslt.cpp).
//
// A plan (matmul descriptor, the three matrix layouts and the algorithm the heuristic chose) is
// built once per problem: dtype, compute type, transposes, sizes, leading dimensions, batch count
// and strides, the alignment of the pointers, the workspace size and the device. Plans live in a
// bounded LRU cache guarded by a mutex, so the heuristic query runs once per shape. Each GPU
// stream has a cuBLASLt handle and a 32 MiB workspace from the device pool, allocated on first
// use (Encoder::library_workspace): it counts as cache memory, not active memory, is made only
// while the cache limit leaves room, and clear_cache() / a lower cache limit / a device out of
// memory free it (products then run without one until it can be made again).
#pragma once

#include <cublas_v2.h>
#include <library_types.h>

#include <cstdint>

#include "backend/cuda/runtime.h"

namespace tandem::cuda {

/// One column-major product in cuBLAS's terms, C = op(A) op(B) (alpha 1, beta 0), possibly a
/// strided batch. Sizes and strides are in elements.
struct GemmArgs {
  cudaDataType dtype;  // of A, B and C
  cublasComputeType_t compute;
  cublasOperation_t trans_a, trans_b;
  int64_t m, n, k;
  int64_t lda, ldb, ldc;
  int64_t batch;                         // >= 1
  int64_t stride_a, stride_b, stride_c;  // >= 0; 0: the same matrix for every batch entry
  const void* a;
  const void* b;
  void* c;
};

/// Runs `g` through cuBLASLt on enc's stream with a cached plan. Returns false, having queued
/// nothing, when cuBLASLt offers no algorithm for it (the caller falls back to cuBLAS).
bool lt_matmul(Encoder& enc, const GemmArgs& g);

/// Counters for gpu::matmul_stats() (core/backend_hooks.h).
void note_matmul_fallback();
void note_matmul_gemv();

}  // namespace tandem::cuda
