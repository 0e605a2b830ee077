#!/usr/bin/env bash
# Quick start: installs what is missing, builds, and starts udf-server's SQL shell in
# embedded mode over a local data directory (no other services).
#   scripts/run.sh [--data-dir DIR] [udf-sql options...]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
cargo build --release -p udf-server --bin udf-sql
args=("$@")
[[ " ${args[*]-} " == *" --data-dir "* ]] || args=(--data-dir "${UDF_DATA_DIR:-./data}" "${args[@]}")
exec "$CARGO_TARGET_DIR/release/udf-sql" "${args[@]}"
