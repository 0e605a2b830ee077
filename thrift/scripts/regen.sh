#!/usr/bin/env bash
# Regenerates thrift/src/generated/heavy.rs from thrift/idl/heavy.thrift with Debian's
# thrift-compiler 0.17 (`apt-get install thrift-compiler`), then patches it (see
# patch_generated.py for why). With an output directory argument, writes there instead
# (the test that checks the committed code is current uses that).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$here/src/generated}"
version="$(thrift --version)"
[ "$version" = "Thrift version 0.17.0" ] || { echo "need thrift 0.17.0, found: $version" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
thrift --gen rs -out "$tmp" "$here/idl/heavy.thrift"
python3 "$here/scripts/patch_generated.py" "$here/idl/heavy.thrift" "$tmp/heavy.rs"
mkdir -p "$out"
cp "$tmp/heavy.rs" "$out/heavy.rs"
