#!/usr/bin/env bash
# Creates (or refreshes) the Python virtual environment with the real HeavyDB clients
# (pyheavydb, heavyai, rbc-project) that udf-server/tests/clients drives. Idempotent: the
# pip install runs only when udf-server/tests/clients/requirements.txt (or $UDF_REQUIREMENTS)
# changed since the last successful install (its hash is kept inside the venv).
#   scripts/setup-python.sh          # prints the venv path on its last line
#   UDF_VENV=/some/dir scripts/setup-python.sh
#   UDF_VENV=/some/dir UDF_REQUIREMENTS=python/requirements-numba068.txt scripts/setup-python.sh
#                                    # another venv from another pinned list (see
#                                    # scripts/setup-python-matrix.sh)
#   source scripts/setup-python.sh   # same, in a child shell; then exports VENV
# Then: "$VENV/bin/python" -m pytest udf-server/tests/clients

# Sourced: do the work in a child bash (so set -e and exit cannot hit the caller's shell)
# and export VENV.
if [[ "${BASH_SOURCE[0]}" != "$0" ]]; then
  if VENV="$(bash "${BASH_SOURCE[0]}" | tail -n 1)" && [ -n "$VENV" ]; then
    export VENV
    return 0
  fi
  return 1
fi

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REQ="${UDF_REQUIREMENTS:-$ROOT/udf-server/tests/clients/requirements.txt}"
VENV="${UDF_VENV:-$HOME/.cache/udf-server/venv}"
PYTHON="${PYTHON:-python3}"
STAMP="$VENV/.requirements.sha256"

if ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "setup-python: $PYTHON not found; install Python 3.11 (Debian: apt-get install python3)" >&2
  exit 1
fi

# A venv whose interpreter no longer runs (Python upgraded or removed) is rebuilt.
if [ -d "$VENV" ] && ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
  echo "setup-python: $VENV is broken, recreating it" >&2
  rm -rf "$VENV"
fi

if [ ! -x "$VENV/bin/python" ]; then
  # Debian ships the venv module (and ensurepip) separately, in python3-venv.
  if ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    echo "setup-python: installing python3-venv" >&2
    SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null
  fi
  echo "setup-python: creating $VENV" >&2
  mkdir -p "$(dirname "$VENV")"
  "$PYTHON" -m venv "$VENV"
  rm -f "$STAMP"
fi

want="$(sha256sum "$REQ" | cut -d' ' -f1)"
have="$(cat "$STAMP" 2>/dev/null || true)"
if [ "$want" != "$have" ]; then
  echo "setup-python: installing $REQ" >&2
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q -r "$REQ"
  echo "$want" >"$STAMP"
fi

echo "$VENV"
