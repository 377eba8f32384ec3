#!/usr/bin/env bash
# Copyright © 2026 Tandem authors.
# Install what is missing, build everything, run every test.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
tandem_install_deps
tandem_configure -DTANDEM_BUILD_TESTS=ON
tandem_build
cd "$BUILD_DIR"
ctest --output-on-failure -j"$(nproc)" "$@"
# The CUDA backend once more, run on the CPU by the GPU emulator (tests/gpu_emulator), when the
# CUDA toolkit's headers are here: the whole suite with the emulated GPU as the default device
# and with TANDEM_DEVICE=gpu. TANDEM_TEST_EMULATOR=0 leaves it out.
if [ "${TANDEM_TEST_EMULATOR:-1}" != 0 ] &&
  { command -v nvcc >/dev/null 2>&1 || [ -e /usr/local/cuda/include/cuda_runtime_api.h ]; }; then
  bash "$ROOT/scripts/gpu-emulate"
fi
