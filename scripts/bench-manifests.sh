#!/usr/bin/env bash
# The `manifests` suite of scripts/bench.sh (run it through that script): the server's memory
# while large OCI manifests are pushed at once (issue 18, item 5). Our release server, SQLite,
# default configuration; scripts/bench_manifests_client.py stores BENCH_MANIFEST_LAYERS (9,000)
# blobs, then pushes BENCH_MANIFEST_CONCURRENCY (8) different manifests of just under 4 MB at
# once that reference them all (accepted), then 8 of 26,000 layers (refused: more than 9,999
# references). Idle RSS is read before each round, peak RSS is VmHWM reset before the round,
# after-RSS 3 s after it. Targets: peak within 1.5x idle, after back near idle. The heap (glibc's
# account, from /metrics) is read at idle and after as well: heap_in_use_* is live allocations,
# heap_free_after what the allocator kept freed after the round (malloc_trim gives the rest back).
set -euo pipefail

cd "$(dirname "$0")/.."
# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh
bench_binary
WORK=$(mktemp -d "${BENCH_DIR:-/tmp}/artifactstore-bench-manifests.XXXXXX")
PIDS=()
cleanup() {
    for pid in ${PIDS[@]+"${PIDS[@]}"}; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
start_ours "$WORK"
OUTPUT=$(python3 scripts/bench_manifests_client.py "$OURS" "$TOKEN" "$OURS_PID" \
    "${BENCH_MANIFEST_LAYERS:-9000}" "${BENCH_MANIFEST_CONCURRENCY:-8}")
echo "$OUTPUT"
get() { echo "$OUTPUT" | sed -n "s/^$1=//p"; }
RESULT="RESULT idle_rss_mib=$(get accepted_idle_rss_mib) peak_rss_mib=$(get accepted_peak_rss_mib)\
 after_rss_mib=$(get accepted_after_rss_mib) peak_vs_idle=$(get accepted_peak_vs_idle)\
 after_vs_idle=$(get accepted_after_vs_idle) heap_in_use_idle_mib=$(get accepted_heap_in_use_idle_mib)\
 heap_in_use_after_mib=$(get accepted_heap_in_use_after_mib) heap_free_after_mib=$(get accepted_heap_free_after_mib)\
 refused_peak_vs_idle=$(get refused_peak_vs_idle)\
 refused_after_vs_idle=$(get refused_after_vs_idle) seconds=$(get accepted_seconds)"
mkdir -p bench-results
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
python3 - "$OUTPUT" "$(git rev-parse --short HEAD)" "$RESULT" "${BENCH_MANIFEST_LAYERS:-9000}" \
    "${BENCH_MANIFEST_CONCURRENCY:-8}" >"bench-results/manifests-$STAMP.json" <<'PY'
import json, sys
values = dict(line.split("=", 1) for line in sys.argv[1].split() if "=" in line)
print(json.dumps({"suite": "manifests", "commit": sys.argv[2], "results": values, "result_line": sys.argv[3],
                  "layers": sys.argv[4], "concurrency": sys.argv[5]}, indent=2, sort_keys=True))
PY
echo "$RESULT"
