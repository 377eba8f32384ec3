// Copyright © 2026 Tandem authors.
// What the core asks of the GPU backend. Implemented by backend/cuda, or by backend/no_gpu in a
// build without CUDA (where every GPU request throws "built without CUDA").
#pragma once

#include <cstdint>

#include "tandem/array.h"
#include "tandem/stream.h"

namespace tandem::gpu {

/// A usable GPU exists (built with CUDA and a device is present).
bool is_available();
int device_count();
/// Prepare the backend's queue for a new GPU stream.
void new_stream(Stream s);
/// Wait for all work queued on a GPU stream.
void synchronize(Stream s);
/// Make the host copy of `a`'s buffer current before the host reads it (a CPU kernel input, or
/// a value the user reads): waits for the GPU work that produced it and copies it back when the
/// buffer lives on a device. A no-op for host-resident buffers and in builds without CUDA.
void prepare_host(const array& a);
/// Message explaining why GPU use failed ("built without CUDA" / "no CUDA device").
const char* unavailable_reason();

/// Counters of the GPU matmul (for tests and diagnostics; all zero without CUDA): cuBLASLt plan
/// cache hits and misses (one heuristic query per miss), products that fell back to cuBLAS, GEMV
/// kernel launches, and the plans cached now.
struct MatmulStats {
  uint64_t plan_hits{0};
  uint64_t plan_misses{0};
  uint64_t cublas_fallbacks{0};
  uint64_t gemv_kernels{0};
  uint64_t plans{0};
};
MatmulStats matmul_stats();

}  // namespace tandem::gpu
