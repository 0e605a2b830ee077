#!/usr/bin/env bash
# Runs every test: formatting, clippy, unit, golden, sqllogictest and CLI tests.
# Installs what is missing first. This is exactly what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

step() { printf '\n== %s\n' "$*" >&2; }

step "cargo fmt --check"
cargo fmt --all -- --check
step "cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings
step "cargo test"
cargo test --workspace 2>&1 | tee /tmp/udf-test.log
# One closing line over all test binaries (libtest's and the sqllogictest runner's).
awk '/^test result:/ { p += $4; f += $6; s += $8 }
     /^[0-9]+ passed, [0-9]+ failed$/ { p += $1; f += $3 }
     END { printf "\ntotal: %d passed, %d failed, %d skipped\n", p, f, s }' /tmp/udf-test.log
