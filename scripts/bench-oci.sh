#!/usr/bin/env bash
# scripts/bench-oci.sh: the OCI blob flows of the distribution spec against our /v2 and against
# docker-registry (CNCF Distribution, Debian), in the same run, with the same client for both.
# Runs alone; `scripts/bench.sh http` chains it after scripts/bench-http.sh.
#
#   1 GiB monolithic push   curl: POST /v2/NAME/blobs/uploads/, then PUT <Location>&digest= with
#                           the body; the time of both requests.
#   1 GiB chunked push      scripts/oci/bench_oci_client.py: POST, 16 PATCHes of 64 MiB
#                           (BENCH_PATCH_MIB) with Content-Range, PUT ?digest= (another 1 GiB
#                           file, so no server can answer from a blob it already holds).
#                           chunked_vs_monolithic compares it with our own monolithic push
#                           (issue 16: >= 0.9), chunked_vs_registry with the registry's chunked
#                           push (>= 1.5).
#   1 GiB pull              curl GET /v2/NAME/blobs/<digest> (-L) into /dev/null, three rounds
#                           alternating, each after a `sync`; the median. The bytes are checked
#                           against the digest by a second GET, off the clock: writing the
#                           gigabyte to a file timed the page allocation and writeback of this
#                           VM (2.2 s into /tmp, 1.0-1.9 s into /dev/shm, 0.3-0.5 s into
#                           /dev/null from the same server).
#   2,000 x 4 KiB pushes    bench_oci_client.py, c=16, keep-alive, POST + PUT per blob, unique bodies.
#   4 KiB GET, c=64         wrk, 10 s each; a run with any non-2xx answer counts as failed.
#
# Ours: the release build (or ARTIFACTSTORE_BIN), HTTP Basic with an admin token on every request
# (auth is on in the product); the registry: filesystem storage, no auth. Both on loopback,
# storage under $BENCH_DIR (default /tmp). BENCH_SIZE_MIB (default 1024) sizes the large blobs.
# Targets (issue 7's, on an identical protocol): upload >= 5x registry, small uploads >= 6x,
# small GET >= 20x. A flow our server cannot do (before /v2 exists: 404) is reported and its
# ratio printed as nan; the run still ends with the RESULT line.
#
# BENCH_OCI_FLOWS=uploads runs only the upload flows (monolithic, chunked, small pushes), both
# servers back to back in BENCH_ROUNDS (default 3) rounds, each with the server's CPU seconds
# beside its time; its RESULT line has the medians of the rounds' ratios and of the CPU figures,
# and best_chunked_vs_monolithic / best_chunked_vs_registry from each flow's fastest round (see
# `minimum` in scripts/bench-lib.sh: on this VM interference only adds time).
#
# Last line: RESULT oci_upload_vs_registry=… oci_chunked_vs_registry=… oci_download_vs_registry=…
#   oci_small_put_vs_registry=… oci_small_get_vs_registry=… chunked_vs_monolithic=…
#   chunked_vs_registry=…    (ratios > 1: ours, or our chunked push, is faster)
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)

# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh
bench_install docker-registry wrk curl
bench_binary

WORK=$(mktemp -d "${BENCH_DIR:-/tmp}/artifactstore-oci-bench.XXXXXX")
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.3f}')" "$1" "$2"; }

# --- the two servers ----------------------------------------------------------------------------
start_ours "$WORK"
OURS_AUTH="bench:$TOKEN"
start_registry "$WORK"

# curl options for a server: credentials for ours, none for the registry.
creds() { if [ "$1" = - ]; then echo --globoff; else printf '%s\n' -u "$1"; fi; }
if [ "$(curl -s -o /dev/null -w '%{http_code}' -u "$OURS_AUTH" "$OURS/v2/")" != 200 ]; then
    echo "!! our server does not answer GET /v2/ with 200: every flow of ours will fail and print nan" >&2
fi

# --- 1 GiB blobs ----------------------------------------------------------------------------------
SIZE_MIB=${BENCH_SIZE_MIB:-1024}
echo "== writing two ${SIZE_MIB} MiB files" >&2
head -c "$((SIZE_MIB * 1024 * 1024))" /dev/urandom >"$WORK/mono.bin"
head -c "$((SIZE_MIB * 1024 * 1024))" /dev/urandom >"$WORK/chunked.bin"
MONO_SHA=$(sha256sum "$WORK/mono.bin" | cut -d' ' -f1)
CHUNKED_SHA=$(sha256sum "$WORK/chunked.bin" | cut -d' ' -f1)

# Seconds of POST + PUT of FILE as one blob of NAME, or nothing (and a message) if refused.
monolithic() {
    local base=$1 auth=$2 name=$3 file=$4 digest=$5 t0 location sep
    # shellcheck disable=SC2046
    t0=$(now)
    location=$(curl -sS -o /dev/null -w '%{http_code} %header{location}' $(creds "$auth") -X POST -H 'Content-Length: 0' \
        "$base/v2/$name/blobs/uploads/") || { echo "   $base: POST uploads failed" >&2; return 0; }
    case "$location" in "202 "*) location=${location#202 } ;; *) echo "   $base: POST uploads answered ${location%% *}" >&2; return 0 ;; esac
    case "$location" in http*) ;; *) location="$base$location" ;; esac
    sep='?'; case "$location" in *\?*) sep='&' ;; esac
    # shellcheck disable=SC2046
    curl -fsS -o /dev/null $(creds "$auth") -X PUT -H "Content-Type: application/octet-stream" -T "$file" \
        "$location${sep}digest=sha256:$digest" || { echo "   $base: monolithic PUT failed" >&2; return 0; }
    elapsed "$t0" "$(now)"
}
# Seconds of GET of a blob (checked against its digest afterwards, off the clock), or nothing.
pull() {
    local base=$1 auth=$2 name=$3 digest=$4 seconds
    # shellcheck disable=SC2046
    seconds=$(curl -fsS -L -o /dev/null -w '%{time_total}' $(creds "$auth") "$base/v2/$name/blobs/sha256:$digest") \
        || { echo "   $base: GET blob failed" >&2; return 0; }
    # shellcheck disable=SC2046
    [ "$(curl -fsS -L $(creds "$auth") "$base/v2/$name/blobs/sha256:$digest" | sha256sum | cut -d' ' -f1)" = "$digest" ] \
        || { echo "   $base: GET blob returned other bytes" >&2; return 0; }
    echo "$seconds"
}
PATCH_MIB=${BENCH_PATCH_MIB:-64}
chunked() { python3 "$ROOT/scripts/oci/bench_oci_client.py" chunked "$1" "$2" "$3" "$WORK/chunked.bin" "$PATCH_MIB" || true; }
small_puts() { python3 "$ROOT/scripts/oci/bench_oci_client.py" small "$1" "$2" "$3" 2000 16 || true; }

# --- BENCH_OCI_FLOWS=uploads: the upload flows only, in interleaved rounds ----------------------
# BENCH_ROUNDS (default 3) rounds of: monolithic push, chunked push, 2,000 x 4 KiB pushes, each
# flow run by both servers back to back, the one going first alternating from round to round.
# Each round changes the first 4 KiB of both large files, so no server holds the blob already.
# Beside each time, the CPU seconds the server process used during the flow (/proc/PID/stat,
# user + system, all threads): that figure hardly moves with the machine's other load, the times
# do. Every round is printed; the RESULT line has the medians of the per-round ratios, and our
# and the registry's median CPU seconds per GiB and per small push.
if [ "${BENCH_OCI_FLOWS:-all}" = uploads ]; then
    ROUNDS=${BENCH_ROUNDS:-3}
    declare -A flow
    per_gib() { python3 -c "import sys
try: print(f'{float(sys.argv[1]) * 1024 / $SIZE_MIB:.2f}')
except ValueError: print('nan')" "${1:-x}"; }
    for round in $(seq 1 "$ROUNDS"); do
        for file in mono chunked; do head -c 4096 /dev/urandom | dd of="$WORK/$file.bin" bs=4096 conv=notrunc status=none; done
        MONO_SHA=$(sha256sum "$WORK/mono.bin" | cut -d' ' -f1)
        cat "$WORK/mono.bin" "$WORK/chunked.bin" >/dev/null
        order=(ours registry)
        [ $((round % 2)) = 0 ] && order=(registry ours)
        for who in "${order[@]}"; do
            sync; recycle_memory
            if [ "$who" = ours ]; then
                flow[mono_ours,$round]=$(round_measured "$OURS_PID" monolithic "$OURS" "$OURS_AUTH" bench/big "$WORK/mono.bin" "$MONO_SHA")
            else
                flow[mono_registry,$round]=$(round_measured "$REGISTRY_PID" monolithic "$REGISTRY" - bench/big "$WORK/mono.bin" "$MONO_SHA")
            fi
        done
        for who in "${order[@]}"; do
            sync; recycle_memory
            if [ "$who" = ours ]; then
                flow[chunked_ours,$round]=$(round_measured "$OURS_PID" chunked "$OURS" "$OURS_AUTH" bench/chunked)
            else
                flow[chunked_registry,$round]=$(round_measured "$REGISTRY_PID" chunked "$REGISTRY" - bench/chunked)
            fi
        done
        sync
        for who in "${order[@]}"; do
            if [ "$who" = ours ]; then
                flow[small_ours,$round]=$(round_measured "$OURS_PID" small_puts "$OURS" "$OURS_AUTH" "bench/small$round")
            else
                flow[small_registry,$round]=$(round_measured "$REGISTRY_PID" small_puts "$REGISTRY" - "bench/small$round")
            fi
        done
        # Neither server is asked for this round's large blobs again: their files go, so the
        # rounds do not leave 4 GiB each behind.
        find "$WORK/ours" "$WORK/registry" -type f -size +100M -delete
        echo "round $round (${order[0]} first): seconds and server CPU seconds of the ${SIZE_MIB} MiB monolithic and chunked pushes; 4 KiB pushes per second and CPU seconds of the 2,000" >&2
        for who in ours registry; do
            echo "   $who: monolithic ${flow[mono_$who,$round]:-failed}, chunked ${flow[chunked_$who,$round]:-failed}, small ${flow[small_$who,$round]:-failed}" >&2
        done
    done
    json_array() { local IFS=,; echo "[$*]"; }
    # shellcheck disable=SC2046
    {
        result="chunked_vs_monolithic=$(median $(round_ratios mono_ours chunked_ours 1)) chunked_vs_registry=$(median $(round_ratios chunked_registry chunked_ours 1))"
        result+=" oci_upload_vs_registry=$(median $(round_ratios mono_registry mono_ours 1)) oci_small_put_vs_registry=$(median $(round_ratios small_ours small_registry 1))"
        result+=" cpu_chunked_vs_registry=$(median $(round_ratios chunked_registry chunked_ours 2)) cpu_upload_vs_registry=$(median $(round_ratios mono_registry mono_ours 2))"
        result+=" cpu_small_put_vs_registry=$(median $(round_ratios small_registry small_ours 2))"
        result+=" best_chunked_vs_monolithic=$(ratio "$(minimum $(round_samples mono_ours 1))" "$(minimum $(round_samples chunked_ours 1))")"
        result+=" best_chunked_vs_registry=$(ratio "$(minimum $(round_samples chunked_registry 1))" "$(minimum $(round_samples chunked_ours 1))")"
        for who in ours registry; do
            result+=" cpu_s_per_gib_monolithic_$who=$(per_gib "$(median $(round_samples mono_$who 2))") cpu_s_per_gib_chunked_$who=$(per_gib "$(median $(round_samples chunked_$who 2))")"
            result+=" cpu_ms_per_small_put_$who=$(python3 -c "import sys
try: print(f'{float(sys.argv[1]) / 2:.3f}')
except ValueError: print('nan')" "$(median $(round_samples small_$who 2))")"
        done
    }
    mkdir -p "$ROOT/bench-results"
    cat >"$ROOT/bench-results/oci-uploads-$(date -u +%Y%m%dT%H%M%SZ).json" <<EOF
{"suite": "oci-uploads", "commit": "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)", "binary": "$BIN",
 "size_mib": $SIZE_MIB, "patch_mib": $PATCH_MIB, "rounds": $ROUNDS,
 "monolithic_push_seconds": {"ours": $(json_array $(round_samples mono_ours 1)), "registry": $(json_array $(round_samples mono_registry 1))},
 "monolithic_push_cpu_seconds": {"ours": $(json_array $(round_samples mono_ours 2)), "registry": $(json_array $(round_samples mono_registry 2))},
 "chunked_push_seconds": {"ours": $(json_array $(round_samples chunked_ours 1)), "registry": $(json_array $(round_samples chunked_registry 1))},
 "chunked_push_cpu_seconds": {"ours": $(json_array $(round_samples chunked_ours 2)), "registry": $(json_array $(round_samples chunked_registry 2))},
 "small_pushes_per_second": {"ours": $(json_array $(round_samples small_ours 1)), "registry": $(json_array $(round_samples small_registry 1))},
 "small_pushes_cpu_seconds_per_2000": {"ours": $(json_array $(round_samples small_ours 2)), "registry": $(json_array $(round_samples small_registry 2))},
 "result": "$result"}
EOF
    echo "RESULT $result"
    exit 0
fi

cat "$WORK/mono.bin" "$WORK/chunked.bin" >/dev/null
echo "== ${SIZE_MIB} MiB monolithic push" >&2
# Each large push starts on recycled memory (recycle_memory, scripts/bench-lib.sh).
sync; recycle_memory
ours_up=$(monolithic "$OURS" "$OURS_AUTH" bench/big "$WORK/mono.bin" "$MONO_SHA")
sync; recycle_memory
registry_up=$(monolithic "$REGISTRY" - bench/big "$WORK/mono.bin" "$MONO_SHA")
echo "== ${SIZE_MIB} MiB chunked push (${PATCH_MIB} MiB PATCHes)" >&2
sync; recycle_memory
ours_chunked=$(chunked "$OURS" "$OURS_AUTH" bench/chunked)
sync; recycle_memory
registry_chunked=$(chunked "$REGISTRY" - bench/chunked)
rm -f "$WORK/chunked.bin"
# Three rounds, the servers alternating, each after a `sync` (the pushes' dirty pages are written
# back before, not during, a pull); the median.
echo "== ${SIZE_MIB} MiB pull (3 rounds)" >&2
ours_downs=(); registry_downs=()
for round in 1 2 3; do
    sync
    ours_downs+=("$(pull "$OURS" "$OURS_AUTH" bench/big "$MONO_SHA")")
    sync
    registry_downs+=("$(pull "$REGISTRY" - bench/big "$MONO_SHA")")
done
ours_down=$(median3 "${ours_downs[@]}")
registry_down=$(median3 "${registry_downs[@]}")
rm -f "$WORK/mono.bin"

# --- small blobs ----------------------------------------------------------------------------------
echo "== 2,000 x 4 KiB pushes at concurrency 16" >&2
ours_put=$(small_puts "$OURS" "$OURS_AUTH" bench/small)
registry_put=$(small_puts "$REGISTRY" - bench/small)

head -c 4096 /dev/urandom >"$WORK/small.bin"
SMALL_SHA=$(sha256sum "$WORK/small.bin" | cut -d' ' -f1)
# Requests per second of wrk on PATH, or nothing if the blob is not served or any answer is not 2xx.
small_gets() {
    local base=$1 auth=$2 name=$3 out
    monolithic "$base" "$auth" "$name" "$WORK/small.bin" "$SMALL_SHA" >/dev/null
    [ -n "$(pull "$base" "$auth" "$name" "$SMALL_SHA")" ] || return 0
    local header=()
    [ "$auth" != - ] && header=(-H "Authorization: Basic $(printf '%s' "$auth" | base64 -w0)")
    out=$(wrk -t2 -c64 -d10s "${header[@]}" "$base/v2/$name/blobs/sha256:$SMALL_SHA" 2>&1) || { echo "   $base: wrk failed" >&2; return 0; }
    if grep -q "Non-2xx" <<<"$out"; then echo "   $base: $(grep Non-2xx <<<"$out")" >&2; return 0; fi
    awk '/Requests\/sec/ {print $2}' <<<"$out"
}
echo "== 4 KiB GET at concurrency 64 (wrk, 10 s each)" >&2
ours_get=$(small_gets "$OURS" "$OURS_AUTH" bench/small-get)
registry_get=$(small_gets "$REGISTRY" - bench/small-get)

ours_rss=$(rss_mib "$OURS_PID")
registry_rss=$(rss_mib "$REGISTRY_PID")

mbps() { python3 -c "import sys
try: print(f'{$SIZE_MIB / float(sys.argv[1]):.0f}')
except ValueError: print('-')" "${1:-x}"; }
show() { echo "${1:--}"; }
printf '\n%-32s %12s %16s\n' "OCI /v2" ours docker-registry
printf '%-32s %12s %16s\n' "${SIZE_MIB} MiB monolithic push (MiB/s)" "$(mbps "$ours_up")" "$(mbps "$registry_up")"
printf '%-32s %12s %16s\n' "${SIZE_MIB} MiB chunked push (MiB/s)" "$(mbps "$ours_chunked")" "$(mbps "$registry_chunked")"
printf '%-32s %12s %16s\n' "${SIZE_MIB} MiB pull (MiB/s)" "$(mbps "$ours_down")" "$(mbps "$registry_down")"
printf '%-32s %12s %16s\n' "4 KiB pushes c=16 (/s)" "$(show "$ours_put")" "$(show "$registry_put")"
printf '%-32s %12s %16s\n' "4 KiB GET c=64 (/s)" "$(show "$ours_get")" "$(show "$registry_get")"
printf '%-32s %12s %16s\n' "peak RSS (MiB)" "$ours_rss" "$registry_rss"

json() { echo "${1:-null}"; }
# The non-empty values as a JSON list body: 1.2,3.4
json_list() { local IFS=, values=() value; for value in "$@"; do [ -z "$value" ] || values+=("$value"); done; echo "${values[*]}"; }
result="oci_upload_vs_registry=$(ratio "$registry_up" "$ours_up") oci_chunked_vs_registry=$(ratio "$registry_chunked" "$ours_chunked")"
result+=" oci_download_vs_registry=$(ratio "$registry_down" "$ours_down") oci_small_put_vs_registry=$(ratio "$ours_put" "$registry_put")"
result+=" oci_small_get_vs_registry=$(ratio "$ours_get" "$registry_get")"
result+=" chunked_vs_monolithic=$(ratio "$ours_up" "$ours_chunked") chunked_vs_registry=$(ratio "$registry_chunked" "$ours_chunked")"
mkdir -p "$ROOT/bench-results"
cat >"$ROOT/bench-results/oci-$(date -u +%Y%m%dT%H%M%SZ).json" <<EOF
{"size_mib": $SIZE_MIB, "patch_mib": $PATCH_MIB,
 "monolithic_push_seconds": {"ours": $(json "$ours_up"), "registry": $(json "$registry_up")},
 "chunked_push_seconds": {"ours": $(json "$ours_chunked"), "registry": $(json "$registry_chunked")},
 "pull_seconds": {"ours": $(json "$ours_down"), "registry": $(json "$registry_down")},
 "pull_samples_seconds": {"ours": [$(json_list "${ours_downs[@]}")], "registry": [$(json_list "${registry_downs[@]}")]},
 "small_pushes_per_second": {"ours": $(json "$ours_put"), "registry": $(json "$registry_put")},
 "small_gets_per_second": {"ours": $(json "$ours_get"), "registry": $(json "$registry_get")},
 "peak_rss_mib": {"ours": $ours_rss, "registry": $registry_rss},
 "result": "$result"}
EOF
echo "RESULT $result"
