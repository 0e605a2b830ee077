#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer) of the Thrift request path and the IR intake, with
# the stable toolchain: builds fuzz/ with the flags cargo-fuzz uses, nothing to install.
#
#   scripts/fuzz.sh build                    build both targets
#   scripts/fuzz.sh run <target> [args…]     fuzz <target> on its corpus (libFuzzer args)
#   scripts/fuzz.sh repro <target> <file>…   run <target> once on each file (a crash's input)
#   scripts/fuzz.sh ci [seconds]             the harness tests, then each target for a bounded
#                                            time (default 30) on a copy of the committed
#                                            corpus, plus the regression inputs; fails on any
#                                            crash
#   scripts/fuzz.sh merge <target> <dir>…    minimise fuzz/corpus/<target> together with dirs (set cover)
#   scripts/fuzz.sh seeds                    regenerate the seed corpus and the dictionary
#   scripts/fuzz.sh bin <target>             print the path of the built target
#   scripts/fuzz.sh test                     the harnesses' own tests (no libFuzzer)
#
# Targets: thrift_request, ir_intake (see fuzz/README.md). Crash inputs are written to
# fuzz/artifacts/<target>/ (ignored by git); fixed ones belong in fuzz/regressions/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
source scripts/setup.sh

TARGETS=(thrift_request ir_intake)
TRIPLE=$(rustc -vV | sed -n 's/^host: //p')
export CARGO_TARGET_DIR="${UDF_FUZZ_TARGET_DIR:-$HOME/.cache/udf-server/fuzz-target}"
# The limits every run holds the targets to: a single allocation over 512 MiB or a
# process over 2 GiB is a finding, as is an input taking longer than 10 s.
LIMITS=(-rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=10)

# What cargo-fuzz passes (sanitizer coverage for libFuzzer's feedback, `cfg(fuzzing)`),
# plus AddressSanitizer: it makes -malloc_limit_mb hold for every allocation (LLVM's
# included) and gives libFuzzer its memcmp/strcmp hooks. `-Zsanitizer` needs
# RUSTC_BOOTSTRAP on the stable toolchain. `--target` keeps these flags off build
# scripts and proc macros.
fuzz_rustflags() {
  local flags=(
    -Cpasses=sancov-module
    -Cllvm-args=-sanitizer-coverage-level=4
    -Cllvm-args=-sanitizer-coverage-inline-8bit-counters
    -Cllvm-args=-sanitizer-coverage-pc-table
    -Cllvm-args=-sanitizer-coverage-trace-compares
    --cfg fuzzing
    -Cdebug-assertions
    -Coverflow-checks
  )
  [ "${FUZZ_SANITIZER:-address}" = none ] || flags+=("-Zsanitizer=${FUZZ_SANITIZER:-address}")
  echo "${flags[*]}"
}

build() {
  (cd fuzz && RUSTC_BOOTSTRAP=1 RUSTFLAGS="$(fuzz_rustflags)" \
    cargo build --release --target "$TRIPLE" --bins >&2)
}

bin() { echo "$CARGO_TARGET_DIR/$TRIPLE/release/$1"; }

check_target() {
  [[ " ${TARGETS[*]} " == *" ${1:-} "* ]] || {
    echo "fuzz.sh: unknown target \`${1:-}\` (targets: ${TARGETS[*]})" >&2
    exit 2
  }
}

# libFuzzer options common to every run of `target`: its dictionary, where crash inputs go.
options() {
  local target=$1
  mkdir -p "fuzz/artifacts/$target"
  local opts=("${LIMITS[@]}" "-artifact_prefix=$ROOT/fuzz/artifacts/$target/")
  [ -f "fuzz/$target.dict" ] && opts+=("-dict=$ROOT/fuzz/$target.dict")
  echo "${opts[*]}"
}

# ASan: LLVM keeps caches for the life of the process, which LeakSanitizer would report.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=0}"

cmd=${1:-}
shift || true
case "$cmd" in
  build)
    build
    ;;
  bin)
    check_target "${1:-}"
    bin "$1"
    ;;
  run)
    check_target "${1:-}"
    target=$1
    shift
    build
    mkdir -p "fuzz/corpus/$target"
    # shellcheck disable=SC2046
    exec "$(bin "$target")" $(options "$target") "$@" "fuzz/corpus/$target"
    ;;
  repro)
    check_target "${1:-}"
    target=$1
    shift
    build
    # shellcheck disable=SC2046
    exec "$(bin "$target")" $(options "$target") "$@"
    ;;
  merge)
    check_target "${1:-}"
    target=$1
    shift
    build
    merged=$(mktemp -d)
    # shellcheck disable=SC2046
    "$(bin "$target")" $(options "$target") -set_cover_merge=1 "$merged" "fuzz/corpus/$target" "$@"
    rm -rf "fuzz/corpus/$target"
    mv "$merged" "fuzz/corpus/$target"
    chmod 755 "fuzz/corpus/$target"
    echo "fuzz/corpus/$target: $(ls "fuzz/corpus/$target" | wc -l) inputs, $(du -sh "fuzz/corpus/$target" | cut -f1)" >&2
    ;;
  seeds)
    # Plain build (no instrumentation): the generator is an ignored test of fuzz/.
    (cd fuzz && cargo test --release --lib -- --ignored --exact seeds::tests::write_seeds >&2)
    ;;
  test)
    (cd fuzz && cargo test --release >&2)
    ;;
  ci)
    seconds=${1:-30}
    (cd fuzz && cargo test --release >&2)
    build
    failed=0
    for target in "${TARGETS[@]}"; do
      # Inputs that once crashed a target: each must now run clean.
      if compgen -G "fuzz/regressions/$target/*" >/dev/null; then
        echo "fuzz.sh: $target: replaying fuzz/regressions/$target" >&2
        # shellcheck disable=SC2046
        "$(bin "$target")" $(options "$target") "fuzz/regressions/$target"/* || failed=1
      fi
      # New inputs go to a scratch directory: the committed corpus stays as it is.
      scratch=$(mktemp -d)
      echo "fuzz.sh: $target: fuzzing for ${seconds}s" >&2
      # shellcheck disable=SC2046
      if ! "$(bin "$target")" $(options "$target") -max_total_time="$seconds" \
        -print_final_stats=1 "$scratch" "fuzz/corpus/$target"; then
        echo "fuzz.sh: $target found a crash; the input is in fuzz/artifacts/$target/" >&2
        failed=1
      fi
      rm -rf "$scratch"
    done
    exit $failed
    ;;
  *)
    sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
