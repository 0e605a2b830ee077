#!/usr/bin/env bash
# Runs the UDF-vs-built-in benchmark (release build) and prints the ratio table.
# Extra arguments go to criterion, e.g. `bench/run.sh hypexp` to run one group.
# UDF_BENCH_ROWS=1000000 bench/run.sh for a quicker, smaller run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
rm -f bench/out/ratios.txt
cargo bench -p udf-server --bench udf_vs_builtin -- "$@"
echo
echo "== UDF / built-in (same run) =="
cat bench/out/ratios.txt
