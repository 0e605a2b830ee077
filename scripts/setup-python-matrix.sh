#!/usr/bin/env bash
# Creates (or refreshes) the two Python environments the notebook client udf_client
# (python/) is tested in, and installs udf_client into both (editable, --no-deps: the
# pinned lists decide every version):
#   main      ${UDF_VENV:-~/.cache/udf-server/venv}                   numba 0.61, numpy 1.26
#             udf-server/tests/clients/requirements.txt (also the real HeavyDB clients)
#   numba068  ${UDF_VENV_NUMBA068:-~/.cache/udf-server/venv-numba068}  numba 0.68, numpy 2
#             python/requirements-numba068.txt
# Idempotent: pip runs only when a requirements file or python/pyproject.toml changed
# (hashes are kept inside each venv); scripts/setup-python.sh does the venv part.
#   scripts/setup-python-matrix.sh          # prints both venv paths, one a line (main first)
#   source scripts/setup-python-matrix.sh   # same in a child shell; exports VENV, VENV_NUMBA068
# Then: "$VENV_NUMBA068/bin/python" -m pytest python/tests

if [[ "${BASH_SOURCE[0]}" != "$0" ]]; then
  if _udf_out="$(bash "${BASH_SOURCE[0]}" | tail -n 2)" && [ "$(printf '%s\n' "$_udf_out" | wc -l)" = 2 ]; then
    VENV="$(printf '%s\n' "$_udf_out" | sed -n 1p)"
    VENV_NUMBA068="$(printf '%s\n' "$_udf_out" | sed -n 2p)"
    export VENV VENV_NUMBA068
    unset _udf_out
    return 0
  fi
  unset _udf_out
  return 1
fi

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MAIN="$(env -u UDF_REQUIREMENTS bash "$ROOT/scripts/setup-python.sh" | tail -n 1)"
N068="$(UDF_VENV="${UDF_VENV_NUMBA068:-$HOME/.cache/udf-server/venv-numba068}" \
        UDF_REQUIREMENTS="$ROOT/python/requirements-numba068.txt" \
        bash "$ROOT/scripts/setup-python.sh" | tail -n 1)"

# udf_client, editable: tests and the notebook always see the working tree's code.
for venv in "$MAIN" "$N068"; do
  stamp="$venv/.udf_client.sha256"
  want="$( (cat "$ROOT/python/pyproject.toml"; echo "$ROOT/python") | sha256sum | cut -d' ' -f1)"
  have="$(cat "$stamp" 2>/dev/null || true)"
  if [ "$want" != "$have" ] || ! "$venv/bin/python" -c 'import udf_client' >/dev/null 2>&1; then
    echo "setup-python-matrix: installing udf_client (editable) into $venv" >&2
    "$venv/bin/python" -m pip install --disable-pip-version-check -q --no-deps -e "$ROOT/python"
    echo "$want" >"$stamp"
  fi
done

echo "$MAIN"
echo "$N068"
