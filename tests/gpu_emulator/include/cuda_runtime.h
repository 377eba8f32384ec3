// Copyright © 2026 Tandem authors.
// Stands in for the toolkit's cuda_runtime.h in an emulated build (-DTANDEM_GPU_EMULATION=ON):
// the runtime API's declarations from the toolkit (defined by the emulator's runtime.cpp), the
// vector types, and the device-side built-ins of emu_device.h.
#pragma once

#include <cuda_runtime_api.h>
#include <vector_functions.h>
#include <vector_types.h>

#include <functional>

#include "../emu_device.h"

namespace tandem_emu {
/// Runs `body` as a kernel over grid x block threads with `shared_bytes` of dynamic shared
/// memory, on the calling thread, before returning. Problems (launch limits, deadlocked
/// barriers, shuffles naming exited lanes) become the error cudaGetLastError reports.
void launch(const char* name, dim3 grid, dim3 block, size_t shared_bytes,
            const std::function<void()>& body);
}  // namespace tandem_emu
