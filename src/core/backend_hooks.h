// Copyright © 2026 Tandem authors.
// What the core asks of the GPU backend. Implemented by backend/cuda, or by backend/no_gpu in a
// build without CUDA (where every GPU request throws "built without CUDA").
#pragma once

#include "tandem/stream.h"

namespace tandem::gpu {

/// A usable GPU exists (built with CUDA and a device is present).
bool is_available();
int device_count();
/// Prepare the backend's queue for a new GPU stream.
void new_stream(Stream s);
/// Wait for all work queued on a GPU stream.
void synchronize(Stream s);
/// Message explaining why GPU use failed ("built without CUDA" / "no CUDA device").
const char* unavailable_reason();

}  // namespace tandem::gpu
