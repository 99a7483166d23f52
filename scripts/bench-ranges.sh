#!/usr/bin/env bash
# The `ranges` suite of scripts/bench.sh (run it through that script): a 1 MiB range from the
# middle of a BENCH_SIZE_MIB (1024) MiB object, proved by its outboard against the same range
# read unchecked in the same run (interleaved, BENCH_RANGE_RUNS times each, medians), and the
# outboard's share of the object. Targets (issue 18): ratio at most 2, outboard at most 2%.
set -euo pipefail

cd "$(dirname "$0")/.."
# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh
echo "== building artifactstore-bench (release)" >&2
swift build "${BENCH_PACKAGE_FLAGS[@]}" --product artifactstore-bench >&2
BIN=$(swift build "${BENCH_PACKAGE_FLAGS[@]}" --show-bin-path)/artifactstore-bench
WORK=$(mktemp -d "${BENCH_DIR:-/tmp}/artifactstore-bench-ranges.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
OUTPUT=$("$BIN" range --size-mib "${BENCH_SIZE_MIB:-1024}" --runs "${BENCH_RANGE_RUNS:-200}" --dir "$WORK/store")
echo "$OUTPUT"
get() { echo "$OUTPUT" | sed -n "s/^$1=//p"; }
echo "RESULT range_vs_unchecked=$(get range_ratio) outboard_percent=$(get outboard_percent)"
