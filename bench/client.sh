#!/usr/bin/env bash
# The notebook client's direct calls, end to end from Python (release server, loopback):
# decorate → first call of `add` (Numba compile, registration, the server's compile, the
# call), cold and warm, and the round trip of `add(1, 2)` through `udf_call` against the
# same call as SQL (`SELECT add(1, 2)`) measured in the same run. Goal: udf_call p50
# ≤ 100 µs. Output also written to bench/out/client.txt.
#   UDF_BENCH_CALLS   calls per measurement (default 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
source scripts/setup-python-matrix.sh
cargo build --release -p udf-server --bin udf-server
mkdir -p bench/out
for venv in "$VENV" "$VENV_NUMBA068"; do
  echo "== $("$venv/bin/python" -c 'import numba, numpy; print(f"numba {numba.__version__}, numpy {numpy.__version__}")')"
  "$venv/bin/python" python/benchmarks/call_latency.py \
    --binary "$CARGO_TARGET_DIR/release/udf-server" --calls "${UDF_BENCH_CALLS:-1000}"
done 2>&1 | tee bench/out/client.txt
