#!/usr/bin/env bash
# sql_execute latency (p50/p99) and throughput with 1, 8 and 32 clients over loopback
# Thrift (release build). UDF_BENCH_CALLS sets calls per client (default 2000).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
cargo bench -p udf-server --bench thrift_latency
