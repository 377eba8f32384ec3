# Copyright © 2026 Tandem authors.
# Sourced by the other scripts: installs what is missing and sets up the build environment.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${TANDEM_BUILD_DIR:-$ROOT/build}"

# Debian packages the build and tests need. Installed only when missing.
tandem_install_deps() {
  local pkgs=(cmake ninja-build g++ ccache pkg-config libopenblas-dev liblapack-dev libgtest-dev
              zlib1g-dev python3 "$@")
  local missing=()
  for p in "${pkgs[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "tandem: installing ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# ccache keyed on content, not on the checkout's path: a fresh clone elsewhere hits the cache.
export CCACHE_BASEDIR="$ROOT"
export CCACHE_NOHASHDIR=1
export CCACHE_COMPILERCHECK=content
export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-5G}"

tandem_configure() {
  local cuda_arch="${TANDEM_CUDA_ARCHITECTURES:-}"
  if [ -z "$cuda_arch" ]; then
    # One architecture keeps CUDA compile time down: the local GPU's, or Hopper (sm_90).
    if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
      cuda_arch=native
    else
      cuda_arch=90
    fi
  fi
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DTANDEM_CUDA="${TANDEM_CUDA:-AUTO}" -DCMAKE_CUDA_ARCHITECTURES="$cuda_arch" "$@" >/dev/null
}

tandem_build() {
  cmake --build "$BUILD_DIR" -- -j"$(nproc)" "$@"
}
