#!/usr/bin/env bash
# Copyright © 2026 Tandem authors.
# Install what is missing, build, and run the main job (the training example) on the default
# device. Extra arguments go to the example (e.g. --device cpu).
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
tandem_install_deps
tandem_configure -DTANDEM_BUILD_TESTS=OFF -DTANDEM_BUILD_BENCHMARKS=OFF
tandem_build tandem_train_cnn
"$BUILD_DIR/examples/tandem_train_cnn" "$@"
