#!/usr/bin/env bash
# Concurrent mixed load against a release udf-server (udf-load): 32 clients × 1000 ops by
# default — functions created/replaced (SQL) and registered at run time, queries with
# checked results over each client's table and a shared one, columnar loads and INSERTs,
# function drops, table drops and re-creates. Starts the server on a free loopback port
# with a fresh temporary data directory and a configuration with a user per client
# (admin0…admin<N-1>, superusers, a random password), so that each client has a runtime
# set of its own (`--user-per-client`), and stops it afterwards. Arguments go to udf-load
# (`--clients 8 --ops 200 --seed 7`, `--journal FILE`); UDF_LOAD_SERVER_ARGS adds flags to
# udf-server (`--no-gpu`). Report also written to bench/out/load.txt; exit 1 on any error.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
cargo build --release -p udf-server --bin udf-server -p udf-load --bin udf-load
bin="$CARGO_TARGET_DIR/release"

data="$(mktemp -d)"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
server=""
cleanup() {
  if [[ -n "$server" ]] && kill -0 "$server" 2>/dev/null; then
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$data"
}
trap cleanup EXIT

# Users for up to 256 clients (more than --clients is harmless).
password="$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
{
  printf '[users.admin]\npassword = "%s"\n' "$password"
  for i in $(seq 0 255); do
    printf '[users.admin%d]\npassword = "%s"\nsuperuser = true\n' "$i" "$password"
  done
} >"$data/udf-server.toml"
# shellcheck disable=SC2086
env -u UDF_ADMIN_PASSWORD -u UDF_CONFIG RUST_LOG=warn,udf_server=info \
  "$bin/udf-server" --config "$data/udf-server.toml" --bind 127.0.0.1 --port "$port" \
  --data-dir "$data/data" ${UDF_LOAD_SERVER_ARGS:-} 2>"$data/server.log" &
server=$!
for _ in $(seq 600); do
  grep -q "udf-server listening" "$data/server.log" 2>/dev/null && break
  kill -0 "$server" 2>/dev/null || { cat "$data/server.log" >&2; exit 1; }
  sleep 0.1
done
grep -q "udf-server listening" "$data/server.log" || { echo "udf-server did not listen within 60 s" >&2; exit 1; }

mkdir -p bench/out
rc=0
UDF_PASSWORD="$password" "$bin/udf-load" --port "$port" --user admin --user-per-client \
  --out bench/out/load.txt "$@" || rc=$?

kill -TERM "$server"
if ! wait "$server"; then
  echo "udf-server did not stop cleanly; its log:" >&2
  tail -50 "$data/server.log" >&2
  rc=1
fi
server=""
exit "$rc"
