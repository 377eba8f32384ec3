#!/usr/bin/env bash
# Copyright © 2026 Tandem authors.
# Install what is missing, build everything, run every test.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
tandem_install_deps
tandem_configure -DTANDEM_BUILD_TESTS=ON
tandem_build
cd "$BUILD_DIR"
ctest --output-on-failure -j"$(nproc)" "$@"
