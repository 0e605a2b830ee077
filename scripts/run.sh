#!/usr/bin/env bash
# Quick start: installs what is missing, builds, and runs the udf-server daemon with the
# embedded default: a local data directory (./data), no other services, listening on
# 127.0.0.1:6274 (HeavyDB's port) for pyheavydb, heavyai, rbc and `udf-sql --host`.
#   scripts/run.sh [udf-server options...]      e.g. --port 7000, --config FILE
# Stop it with Ctrl-C (it finishes calls in flight and exits 0).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
cargo build --release -p udf-server --bin udf-server --bin udf-sql --bin udf-admin --bin udf-scheduler --bin udf-executor
args=("$@")
[[ " ${args[*]-} " == *" --data-dir "* ]] || args=(--data-dir "${UDF_DATA_DIR:-./data}" "${args[@]}")
exec "$CARGO_TARGET_DIR/release/udf-server" "${args[@]}"
