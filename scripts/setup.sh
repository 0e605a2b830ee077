#!/usr/bin/env bash
# Installs what building and testing udf-server needs on Debian bookworm, skipping what is
# already there. Safe to run repeatedly. Sourced by run.sh and test.sh.
set -euo pipefail

APT_PACKAGES=(
  llvm-22-dev libpolly-22-dev llvm-22   # LLVM 22: the JIT, the NVPTX back end, llvm-as for tests
  clang-22                              # udf-sql's LANGUAGE c (C -> IR on the client) and its tests
  libzstd-dev zlib1g-dev libffi-dev libxml2-dev  # LLVM's link dependencies
  build-essential pkg-config
  thrift-compiler                       # 0.17: checks the committed generated Thrift code is current
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo not found; install a Rust toolchain >= 1.94 with rustup (https://rustup.rs)" >&2
  exit 1
fi

export LLVM_SYS_221_PREFIX="${LLVM_SYS_221_PREFIX:-/usr/lib/llvm-22}"
# Keep build output outside the work tree so it survives fresh clones (CI clones anew).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/udf-server/target}"
