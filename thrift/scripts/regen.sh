#!/usr/bin/env bash
# Regenerates thrift/src/generated/{heavy,remotejit}.rs from thrift/idl/*.thrift with
# Debian's thrift-compiler 0.17 (`apt-get install thrift-compiler`). heavy.rs is then
# patched (see patch_generated.py for why); remotejit.rs only gets a header (rbc's client
# always sends every argument, and the IDL has no lists). With an output directory
# argument, writes there instead (the test that checks the committed code is current
# uses that).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$here/src/generated}"
version="$(thrift --version)"
[ "$version" = "Thrift version 0.17.0" ] || { echo "need thrift 0.17.0, found: $version" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
thrift --gen rs -out "$tmp" "$here/idl/heavy.thrift"
python3 "$here/scripts/patch_generated.py" "$here/idl/heavy.thrift" "$tmp/heavy.rs"
thrift --gen rs -out "$tmp" "$here/idl/remotejit.thrift"
{
  echo '// Generated from thrift/idl/remotejit.thrift by thrift/scripts/regen.sh; never edit by hand.'
  cat "$tmp/remotejit.rs"
} > "$tmp/remotejit.rs.new"
mkdir -p "$out"
cp "$tmp/heavy.rs" "$out/heavy.rs"
cp "$tmp/remotejit.rs.new" "$out/remotejit.rs"
