#!/usr/bin/env bash
# The one command for a GPU machine: every GPU test, then the GPU benchmark.
#   1. cargo test -p gpu                      device discovery and launches of hand-written PTX
#   2. cargo test -p db-glue --test gpu_launch CPU and GPU kernels of the client samples agree
#                                             (1,000,003 rows each, NULLs, edge values)
#   3. cargo test -p compiler --test gpu      PTX golden files, ptxas, libdevice linking
#   4. cargo bench -p db-glue --bench gpu     100M float64 rows: kernel bandwidth against a copy
#                                             kernel, end to end against the transfers alone,
#                                             GPU against the CPU kernels; table written to
#                                             bench/out/gpu.txt and printed at the end
# Without a CUDA device every test still runs what needs none (compiling, ptxas, the CPU
# side) and prints `skipped: <reason>` for the rest; the benchmark prints `skipped: …`,
# writes nothing and exits 0. libdevice and ptxas come from the udf-server venv
# (scripts/setup-python.sh installs the pinned nvidia-cuda-nvcc-cu12 wheel there).
#
# Environment overrides:
#   UDF_GPU_BENCH_ROWS   rows of the benchmark (default 100000000: about 3.2 GB of host memory)
#   UDF_GPU_LAUNCH_ROWS  rows of each gpu_launch case (default 1000003)
#   UDF_LIBDEVICE        libdevice.10.bc (or its folder) instead of the one discovery finds
#   UDF_PTXAS            ptxas instead of the venv's
#   UDF_VENV             the Python venv (default ~/.cache/udf-server/venv)
#   CARGO_TARGET_DIR     build output (default ~/.cache/udf-server/target)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
source scripts/setup-python.sh

# Never show a table from an earlier run.
rm -f bench/out/gpu.txt

step() {
  echo
  echo "== $* =="
  "$@"
}
step cargo test -p gpu -- --nocapture
step cargo test -p db-glue --test gpu_launch -- --nocapture
step cargo test -p compiler --test gpu
step cargo bench -p db-glue --bench gpu

echo
echo "== bench/out/gpu.txt =="
if [ -f bench/out/gpu.txt ]; then
  cat bench/out/gpu.txt
else
  echo "(not written: the benchmark skipped, see its 'skipped:' line above)"
fi
