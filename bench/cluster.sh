#!/usr/bin/env bash
# Cluster mode against embedded mode (release build, one machine, loopback): the 10M-row
# UDF queries on an embedded udf-server, then through a Ballista scheduler with 1 and 2
# udf-executors, and the per-query scheduling overhead. Output also in bench/out/cluster.txt.
#   UDF_BENCH_ROWS   rows (default 10000000)
#   UDF_BENCH_RUNS   timed runs per query (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
source scripts/setup-python.sh
cargo build --release -p udf-server --bin udf-server --bin udf-scheduler --bin udf-executor
mkdir -p bench/out
"$VENV/bin/python" bench/cluster.py --bin-dir "$CARGO_TARGET_DIR/release" \
  --rows "${UDF_BENCH_ROWS:-10000000}" --runs "${UDF_BENCH_RUNS:-5}" | tee bench/out/cluster.txt
