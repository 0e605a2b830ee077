#!/usr/bin/env bash
# Runs every test: formatting, clippy, unit, golden, sqllogictest and CLI tests, then the
# protocol tests that drive the real Python clients (pyheavydb, heavyai, rbc) against the
# real udf-server binary.
# Installs what is missing first. This is exactly what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

step() { printf '\n== %s\n' "$*" >&2; }

step "cargo fmt --check"
cargo fmt --all -- --check
step "cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings
# The venv holds the real clients and nvidia-cuda-nvcc-cu12 (libdevice and ptxas, which
# the compiler's GPU tests use), so it comes before the Rust tests.
step "python venv"
source scripts/setup-python.sh
step "cargo test"
cargo test --workspace 2>&1 | tee /tmp/udf-test.log
step "fuzz (bounded)"
# libFuzzer on the Thrift request path and the IR intake, 30 s each on the committed
# corpus, plus the inputs of fixed crashes (fuzz/README.md).
scripts/fuzz.sh ci
step "client protocol tests (pytest)"
# `cargo test` built the daemon (udf-server's integration tests need its binaries).
UDF_SERVER_BIN="$CARGO_TARGET_DIR/debug/udf-server" \
  "$VENV/bin/python" -m pytest udf-server/tests/clients -q -p no:cacheprovider 2>&1 | tee -a /tmp/udf-test.log
# The notebook client (python/, with the quickstart notebook's test) in both environments
# of its matrix: numba 0.61 / numpy 1.26 ($VENV) and numba 0.68 / numpy 2 ($VENV_NUMBA068).
source scripts/setup-python-matrix.sh
for venv in "$VENV" "$VENV_NUMBA068"; do
  step "udf_client tests (pytest python/tests) in $venv"
  UDF_SERVER_BIN="$CARGO_TARGET_DIR/debug/udf-server" \
    "$venv/bin/python" -m pytest python/tests -q -p no:cacheprovider 2>&1 | tee -a /tmp/udf-test.log
done
# One closing line over all test binaries (libtest's, the sqllogictest runner's, pytest's).
awk '/^test result:/ { p += $4; f += $6; s += $8 }
     /^[0-9]+ passed, [0-9]+ failed$/ { p += $1; f += $3 }
     /^=* *[0-9]+ (passed|failed|skipped|errors?)(, [0-9]+ [a-z]+)* in [0-9.]+s/ {
       for (i = 1; i < NF; i++) {
         if ($(i+1) ~ /^passed/) p += $i
         if ($(i+1) ~ /^(failed|errors?)/) f += $i
         if ($(i+1) ~ /^skipped/) s += $i
       }
     }
     END { printf "\ntotal: %d passed, %d failed, %d skipped\n", p, f, s }' /tmp/udf-test.log
