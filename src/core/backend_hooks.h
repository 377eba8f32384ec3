// Copyright © 2026 Tandem authors.
// What the core asks of the GPU backend. Implemented by backend/cuda, or by backend/no_gpu in a
// build without CUDA (where every GPU request throws "built without CUDA").
#pragma once

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

}  // namespace tandem::gpu
