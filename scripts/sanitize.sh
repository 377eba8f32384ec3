#!/usr/bin/env bash
# Copyright © 2026 Tandem authors.
# The CPU test suite under AddressSanitizer + UndefinedBehaviorSanitizer: a separate build
# (build-asan/, CUDA off, RelWithDebInfo, ccache off so the main build's cache is not churned)
# and ctest with any UB report fatal. About an hour of compile on 2 cores from scratch.
# consumer_package is skipped: the out-of-tree consumer links the sanitized library without the
# sanitizer runtime. Extra arguments go to ctest (e.g. -R FastSdpa).
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
tandem_install_deps
ASAN_DIR="${TANDEM_ASAN_BUILD_DIR:-$ROOT/build-asan}"
flags="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
CCACHE_DISABLE=1 cmake -S "$ROOT" -B "$ASAN_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTANDEM_CUDA=OFF -DTANDEM_BUILD_BENCHMARKS=OFF -DTANDEM_BUILD_EXAMPLES=OFF \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined"
CCACHE_DISABLE=1 cmake --build "$ASAN_DIR" -j"$(nproc)"
cd "$ASAN_DIR"
ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}" \
  ctest --output-on-failure -j"$(nproc)" -E '^consumer_package$' "$@"
