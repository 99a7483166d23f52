#!/usr/bin/env bash
# scripts/bench.sh http: our release server against docker-registry (CNCF Distribution) and nginx
# (static files, WebDAV PUT), all three from this machine, side by side in one run.
#
#   1 GiB upload and download        curl, one transfer at a time, each after a `sync` (uploads
#                                    also on recycled memory: recycle_memory); ours POST
#                                    /v1/…/blobs with the expected digest, registry monolithic PUT,
#                                    nginx WebDAV PUT; downloads three rounds alternating, the median.
#   2,000 x 4 KiB blob uploads, c=16 scripts/bench_upload_client.c (one thread, 16 keep-alive
#                                    sockets, one request in flight on each); unique
#                                    bodies; registry needs POST + PUT per blob.
#   4 KiB GET, c=64                  wrk, 5 s each, three rounds alternating; the median.
#   HEAD of a 4 KiB blob, c=64       after 2,000 unmeasured, three rounds of 100,000 (ours) and
#                                    10,000 (registry), alternating; the median
#                                    with scripts/bench_http_client.py (one thread, 64
#                                    keep-alive sockets); ours vs registry (wrk and ab wait for a
#                                    body after a HEAD answer).
#   Peak RSS                         VmHWM of each server process (nginx: its largest process).
#   Working set of 2,000 blobs       the same 2,000 distinct 4 KiB blobs stored in all three
#                                    (scripts/bench_seed_blobs.py), read in rotation, each
#                                    connection or wrk thread from its own offset, so no blob is
#                                    asked twice within about 1,000 requests: GET c=64 with wrk
#                                    (scripts/bench-rotate.lua), HEAD c=64 with scripts/bench_head_client.c
#                                    (ours and registry); ours restarted first, so its first pass
#                                    through the set is cold (printed apart), then three rounds
#                                    alternating, the median. Default configuration.
#                                    The same rotation against a bare Hummingbird server
#                                    (Benchmarks' hummingbird-floor: 4 KiB from memory, no routing,
#                                    auth, lookup or proof) shows what the HTTP stack alone allows;
#                                    HUMMINGBIRD_FLOOR_BIN runs a given build of it.
#                                    Ours is read through /v1 with a bearer token (the headline
#                                    figures) and again through its OCI API, /v2 with Basic
#                                    credentials as the registry is read (the _oci_ figures).
#
# Targets (issue 7): upload >= 5x registry and >= 0.75x nginx; download >= 1.0x nginx; small
# uploads >= 6x registry; small GET >= 20x registry and >= 0.5x nginx; HEAD >= 20x registry;
# our peak RSS <= 50 MiB. All servers and the load generators share this machine's cores.
# ARTIFACTSTORE_BIN runs a given binary instead of the release build; BENCH_SIZE_MIB (default 1024)
# sizes the large transfer. Helpers shared with scripts/bench-oci.sh are in scripts/bench-lib.sh.
#
# Last line: RESULT upload_vs_registry=… upload_vs_nginx=… download_vs_nginx=…
#   small_put_vs_registry=… small_get_vs_registry=… small_get_vs_nginx=… head_vs_registry=…
#   small_get_2k_vs_registry=… small_get_2k_vs_nginx=… head_2k_vs_registry=…
#   small_get_2k_vs_floor=… floor_get_vs_nginx=… small_get_2k_oci_vs_registry=…
#   head_2k_oci_vs_registry=… peak_rss_mib=…
# BENCH_HTTP_FLOWS=uploads runs only the upload flows (1 GiB: ours, registry, nginx; 2,000 x 4 KiB:
# ours, registry) in BENCH_ROUNDS (default 3) interleaved rounds, each with the server's CPU
# seconds beside its time (RESULT: upload_vs_registry, upload_vs_nginx, small_put_vs_registry,
# their CPU ratios and CPU seconds per GiB and milliseconds per small upload).
# BENCH_HTTP_FLOWS=working-set runs only the 2,000-blob flows (its RESULT line has their
# ratios and the cold first pass).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)

# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh
bench_install docker-registry nginx wrk curl
bench_binary
# The upload flows need no floor (and not its build).
[ "${BENCH_HTTP_FLOWS:-all}" = uploads ] || bench_floor_binary

WORK=$(mktemp -d "${BENCH_DIR:-/tmp}/artifactstore-http-bench.XXXXXX")
PIDS=()
trap bench_cleanup EXIT

# c_client NAME WHAT: builds scripts/NAME.c into $WORK and prints "c", or prints "python" (and a
# note that WHAT is measured with the Python client) where there is no C compiler.
c_client() {
    if cc -O2 -o "$WORK/$1" "$ROOT/scripts/$1.c" 2>/dev/null; then
        echo c
    else
        echo "note: no C compiler; $2 measured with the Python client, which costs the servers CPU" >&2
        echo python
    fi
}

# HEAD load. wrk and ab wait for a body after a HEAD answer with Content-Length, so HEAD has its
# own client, the same for every peer: scripts/bench_head_client.c (epoll, one thread, a few
# percent of a core), built here; the Python one (bench_http_client.py head, which took about
# half a core of the two a fast server then lacked) only where there is no C compiler.
head_client=$(c_client bench_head_client "HEAD is")
# head_load URL TOKEN|- N PATH|@FILE: N HEADs at concurrency 64; prints requests per second.
head_load() {
    if [ "$head_client" = c ]; then
        local address=${1#http://}
        "$WORK/bench_head_client" "${address%%:*}" "${address##*:}" "$2" "$3" 64 "$4"
    else
        python3 "$ROOT/scripts/bench_http_client.py" head "$1" "$2" "$3" 64 "$4"
    fi
}

# Small-upload load: scripts/bench_upload_client.c (epoll, one thread), built here, for the same
# reason: the Python client (bench_http_client.py ours|registry) took about 0.1 ms of CPU per
# upload, some 14% of the machine while ours answered 2,400 a second. Both peers are measured with
# the same client; the Python one only where there is no C compiler.
upload_client=$(c_client bench_upload_client "small uploads are")
# upload_load ours|registry URL TOKEN|-: 2,000 distinct 4 KiB uploads at concurrency 16 (new bytes
# on every call); prints uploads per second.
upload_load() {
    if [ "$upload_client" = c ]; then
        local address=${2#http://}
        python3 - "$WORK/upload-bodies" "$WORK/upload-digests" <<'PY'
import hashlib, os, sys
bodies = [os.urandom(4096) for _ in range(2000)]
with open(sys.argv[1], "wb") as out:
    for body in bodies: out.write(body)
with open(sys.argv[2], "w") as out:
    for body in bodies: out.write("sha256:" + hashlib.sha256(body).hexdigest() + "\n")
PY
        local digests=()
        [ "$1" = registry ] && digests=("$WORK/upload-digests")
        "$WORK/bench_upload_client" "$1" "${address%%:*}" "${address##*:}" "$3" 2000 16 "$WORK/upload-bodies" ${digests[@]+"${digests[@]}"}
    else
        python3 "$ROOT/scripts/bench_http_client.py" "$1" "$2" "$3" 2000 16
    fi
}

# --- the three servers ----------------------------------------------------------------------
start_ours "$WORK"
start_registry "$WORK"
[ "${BENCH_HTTP_FLOWS:-all}" = uploads ] || start_floor

NGINX_PORT=$(free_port)
nginx_conf "$WORK/nginx" "$NGINX_PORT" "worker_processes auto;" "location / { dav_methods PUT; create_full_put_path on; }"
nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx"
NGINX="http://127.0.0.1:$NGINX_PORT"
wait_http "$NGINX/"

wrk_rate() { wrk "$@" 2>/dev/null | awk '/Requests\/sec/ {print $2} /Non-2xx/ {print "refused"}' | paste -sd' '; }
# wrk_rate for the rotated GETs: a run with any refusal stops the benchmark.
wrk_rotation() {
    local rate
    rate=$(wrk_rate "$@")
    case "$rate" in *refused*) echo "error: refusals in: wrk $*" >&2; exit 1 ;; esac
    echo "$rate"
}

# --- a working set of 2,000 distinct blobs ------------------------------------------------------
# Sets ws_get_{ours,registry,nginx}, ws_head_{ours,registry}, ws_cold_get (ours' first pass) and
# their sample arrays.
# BENCH_WORKING_SET_BLOBS (default 2000) sizes the working set; its RESULT keys are named by it
# (2k, 100k, or the count) and end in _pg when BENCH_OURS_DATABASE puts our metadata in PostgreSQL.
ws_count=${BENCH_WORKING_SET_BLOBS:-2000}
case "$ws_count" in 2000) ws_label=2k ;; 100000) ws_label=100k ;; *) ws_label=$ws_count ;; esac
[ -n "${BENCH_OURS_DATABASE:-}" ] && ws_label+=_pg

measure_working_set() {
    local count=$ws_count round
    echo "== storing the same $count distinct 4 KiB blobs in all three" >&2
    python3 "$ROOT/scripts/bench_seed_blobs.py" "$count" "$OURS" "$TOKEN" "$REGISTRY" "$WORK/nginx/root" "$WORK"
    # A fresh process: nothing of the uploads is cached, so the first pass reads cold.
    kill "$OURS_PID"
    wait "$OURS_PID" 2>/dev/null || true
    restart_ours "$WORK"
    local rotate=(-s "$ROOT/scripts/bench-rotate.lua")
    echo "== $count-blob GET, ours' first pass (cold, c=64)" >&2
    ws_cold_get=$(wrk_rotation -t2 -c64 -d2s "${rotate[@]}" "$OURS" -- "$WORK/ours.paths" "Bearer $TOKEN")
    echo "== $count-blob GET at concurrency 64 (wrk, 5 s each, 3 rounds)" >&2
    ws_gets_ours=(); ws_gets_registry=(); ws_gets_nginx=(); ws_gets_floor=()
    for round in 1 2 3; do
        ws_gets_ours+=("$(wrk_rotation -t2 -c64 -d5s "${rotate[@]}" "$OURS" -- "$WORK/ours.paths" "Bearer $TOKEN")")
        ws_gets_registry+=("$(wrk_rotation -t2 -c64 -d5s "${rotate[@]}" "$REGISTRY" -- "$WORK/registry.paths")")
        ws_gets_nginx+=("$(wrk_rotation -t2 -c64 -d5s "${rotate[@]}" "$NGINX" -- "$WORK/nginx.paths")")
        # The framework's floor: the same paths, 4 KiB from memory, nothing looked up or proved.
        ws_gets_floor+=("$(wrk_rotation -t2 -c64 -d5s "${rotate[@]}" "$FLOOR" -- "$WORK/nginx.paths")")
    done
    ws_get_ours=$(median3 "${ws_gets_ours[@]}")
    ws_get_registry=$(median3 "${ws_gets_registry[@]}")
    ws_get_nginx=$(median3 "${ws_gets_nginx[@]}")
    ws_get_floor=$(median3 "${ws_gets_floor[@]}")
    echo "== $count-blob HEAD at concurrency 64 ($head_client client): 40,000 ours, 10,000 registry; 3 rounds" >&2
    ws_heads_ours=(); ws_heads_registry=()
    for round in 1 2 3; do
        ws_heads_ours+=("$(head_load "$OURS" "$TOKEN" 40000 "@$WORK/ours.paths")")
        ws_heads_registry+=("$(head_load "$REGISTRY" - 10000 "@$WORK/registry.paths")")
    done
    ws_head_ours=$(median3 "${ws_heads_ours[@]}")
    ws_head_registry=$(median3 "${ws_heads_registry[@]}")
    # The same blobs through our OCI API, as the registry serves them and as the issue measured
    # them: /v2/bench/rotation/blobs/<digest> with Basic credentials, GET and HEAD, each round beside
    # the registry's round of the same kind above.
    sed 's|^/v1/namespaces/bench/blobs/|/v2/bench/rotation/blobs/|' "$WORK/ours.paths" >"$WORK/ours-oci.paths"
    local basic
    basic="Basic $(printf 'bench:%s' "$TOKEN" | base64 -w0)"
    echo "== $count-blob GET and HEAD through ours' /v2 with Basic credentials; 3 rounds each" >&2
    ws_gets_oci=(); ws_heads_oci=()
    for round in 1 2 3; do
        ws_gets_oci+=("$(wrk_rotation -t2 -c64 -d5s "${rotate[@]}" "$OURS" -- "$WORK/ours-oci.paths" "$basic")")
        ws_heads_oci+=("$(head_load "$OURS" "$basic" 40000 "@$WORK/ours-oci.paths")")
    done
    ws_get_oci=$(median3 "${ws_gets_oci[@]}")
    ws_head_oci=$(median3 "${ws_heads_oci[@]}")
    ws_ours_rss=$(awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$OURS_PID/status")
}

working_set_result() {
    local l=$ws_label
    echo "small_get_${l}_vs_registry=$(ratio "$ws_get_ours" "$ws_get_registry") small_get_${l}_vs_nginx=$(ratio "$ws_get_ours" "$ws_get_nginx") head_${l}_vs_registry=$(ratio "$ws_head_ours" "$ws_head_registry") small_get_${l}_vs_floor=$(ratio "$ws_get_ours" "$ws_get_floor") floor_get_vs_nginx=$(ratio "$ws_get_floor" "$ws_get_nginx") small_get_${l}_oci_vs_registry=$(ratio "$ws_get_oci" "$ws_get_registry") head_${l}_oci_vs_registry=$(ratio "$ws_head_oci" "$ws_head_registry") peak_rss_${l}_mib=$ws_ours_rss"
}

working_set_json() {
    cat <<JSON
 "working_set_blobs": $ws_count,
 "ours_metadata": "$([ -n "${BENCH_OURS_DATABASE:-}" ] && echo postgresql || echo sqlite)",
 "working_set_ours_peak_rss_mib": $ws_ours_rss,
 "working_set_cold_first_pass_gets_per_second": {"ours": $ws_cold_get},
 "working_set_gets_per_second": {"ours": $ws_get_ours, "registry": $ws_get_registry, "nginx": $ws_get_nginx, "hummingbird_floor": $ws_get_floor},
 "working_set_floor_samples": [$(IFS=,; echo "${ws_gets_floor[*]}")],
 "working_set_get_samples": {"ours": [$(IFS=,; echo "${ws_gets_ours[*]}")], "registry": [$(IFS=,; echo "${ws_gets_registry[*]}")], "nginx": [$(IFS=,; echo "${ws_gets_nginx[*]}")]},
 "working_set_heads_per_second": {"ours": $ws_head_ours, "registry": $ws_head_registry},
 "head_client": "$head_client",
 "working_set_oci_samples": {"get": [$(IFS=,; echo "${ws_gets_oci[*]}")], "head": [$(IFS=,; echo "${ws_heads_oci[*]}")]},
 "working_set_head_samples": {"ours": [$(IFS=,; echo "${ws_heads_ours[*]}")], "registry": [$(IFS=,; echo "${ws_heads_registry[*]}")]},
JSON
}

working_set_table() {
    printf '%-28s %12s %12s %12s\n' "$ws_label-blob GET c=64 (/s)" "$ws_get_ours" "$ws_get_registry" "$ws_get_nginx"
    printf '%-28s %12s %12s %12s\n' "$ws_label-blob first pass (/s)" "$ws_cold_get" "-" "-"
    printf '%-28s %12s %12s %12s\n' "  bare Hummingbird (/s)" "$ws_get_floor" "-" "-"
    printf '%-28s %12s %12s %12s\n' "$ws_label-blob HEAD c=64 (/s)" "$ws_head_ours" "$ws_head_registry" "-"
    printf '%-28s %12s %12s %12s\n' "  GET via /v2, Basic (/s)" "$ws_get_oci" "$ws_get_registry" "-"
    printf '%-28s %12s %12s %12s\n' "  HEAD via /v2, Basic (/s)" "$ws_head_oci" "$ws_head_registry" "-"
}

if [ "${BENCH_HTTP_FLOWS:-all}" = working-set ]; then
    measure_working_set
    printf '\n%-28s %12s %12s %12s\n' "" ours docker-registry nginx
    working_set_table
    mkdir -p "$ROOT/bench-results"
    result="$(working_set_result) cold_first_pass_gets_per_second=$ws_cold_get"
    {
        echo "{\"suite\": \"http-working-set\", \"commit\": \"$(git rev-parse --short HEAD 2>/dev/null || echo unknown)\","
        working_set_json
        echo " \"result\": \"$result\"}"
    } >"$ROOT/bench-results/http-working-set-$(date -u +%Y%m%dT%H%M%SZ).json"
    echo "RESULT $result"
    exit 0
fi

# --- 1 GiB upload and download ----------------------------------------------------------------
SIZE_MIB=${BENCH_SIZE_MIB:-1024}
BIG="$WORK/big.bin"
echo "== writing a ${SIZE_MIB} MiB file" >&2
head -c "$((SIZE_MIB * 1024 * 1024))" /dev/urandom >"$BIG"
BIG_SHA=$(sha256sum "$BIG" | cut -d' ' -f1)
cat "$BIG" >/dev/null

seconds() { python3 -c "import sys; print(sys.argv[1])" "$1"; }
# Seconds a transfer took; a transfer that does not succeed stops the run. No `Expect:
# 100-continue` for any server: curl adds it to large uploads and then waits up to a second for
# an interim answer before sending, which times curl's timer rather than the server.
time_of() { curl -fsS -o /dev/null -H 'Expect:' -w '%{time_total}' "$@"; }

# --- BENCH_HTTP_FLOWS=uploads: the upload flows only, in interleaved rounds ---------------------
# BENCH_ROUNDS (default 3) rounds of: the 1 GiB upload (ours POST /v1/…/blobs?digest=, the
# registry's monolithic PUT, nginx's WebDAV PUT) and 2,000 x 4 KiB uploads at c=16 (ours and the
# registry), the servers back to back, the one going first alternating from round to round. Each
# round changes the first 4 KiB of the large file, so no server holds it already. Beside each
# time, the CPU seconds the server process used during the flow (/proc/PID/stat, all threads),
# which hardly moves with the machine's other load. Every round is printed; the RESULT line has
# the medians of the rounds' ratios and CPU figures.
if [ "${BENCH_HTTP_FLOWS:-all}" = uploads ]; then
    ROUNDS=${BENCH_ROUNDS:-3}
    SIZE_MIB=${BENCH_SIZE_MIB:-1024}
    NGINX_PID=$(cat "$WORK/nginx/nginx.pid")
    # nginx's master and workers, comma-separated (round_measured adds up their CPU).
    nginx_pids() { (echo "$NGINX_PID"; pgrep -P "$NGINX_PID") | paste -sd,; }
    declare -A flow
    fmt() { python3 -c "import sys
try: print(f'{float(sys.argv[1]) * float(sys.argv[2]):.3f}')
except ValueError: print('nan')" "${1:-x}" "$2"; }
    for round in $(seq 1 "$ROUNDS"); do
        head -c 4096 /dev/urandom | dd of="$BIG" bs=4096 conv=notrunc status=none
        BIG_SHA=$(sha256sum "$BIG" | cut -d' ' -f1)
        cat "$BIG" >/dev/null
        order=(ours registry nginx)
        [ $((round % 2)) = 0 ] && order=(nginx registry ours)
        for who in "${order[@]}"; do
            sync; recycle_memory
            case $who in
            ours)
                flow[big_ours,$round]=$(round_measured "$OURS_PID" time_of -X POST -H "Authorization: Bearer $TOKEN" \
                    -H "Content-Type: application/octet-stream" -T "$BIG" "$OURS/v1/namespaces/bench/blobs?digest=sha256:$BIG_SHA") ;;
            registry)
                location=$(curl -s -o /dev/null -w '%header{location}' -X POST "$REGISTRY/v2/bench/big/blobs/uploads/")
                case "$location" in http*) ;; *) location="$REGISTRY$location" ;; esac
                sep='?'; case "$location" in *\?*) sep='&' ;; esac
                flow[big_registry,$round]=$(round_measured "$REGISTRY_PID" time_of -X PUT -H "Content-Type: application/octet-stream" \
                    -T "$BIG" "$location${sep}digest=sha256:$BIG_SHA") ;;
            nginx)
                flow[big_nginx,$round]=$(round_measured "$(nginx_pids)" time_of -T "$BIG" "$NGINX/big-$round.bin") ;;
            esac
        done
        sync
        for who in "${order[@]}"; do
            case $who in
            ours) flow[small_ours,$round]=$(round_measured "$OURS_PID" upload_load ours "$OURS" "$TOKEN") ;;
            registry) flow[small_registry,$round]=$(round_measured "$REGISTRY_PID" upload_load registry "$REGISTRY" -) ;;
            esac
        done
        # No server is asked for this round's large upload again: its files go, so the rounds do
        # not leave 3 GiB each behind.
        find "$WORK/ours" "$WORK/registry" "$WORK/nginx/root" -type f -size +100M -delete
        echo "round $round (${order[0]} first): seconds and server CPU seconds of the ${SIZE_MIB} MiB upload; 4 KiB uploads per second and CPU seconds of the 2,000" >&2
        echo "   ours: ${flow[big_ours,$round]:-failed}, small ${flow[small_ours,$round]:-failed}" >&2
        echo "   registry: ${flow[big_registry,$round]:-failed}, small ${flow[small_registry,$round]:-failed}" >&2
        echo "   nginx: ${flow[big_nginx,$round]:-failed}" >&2
    done
    rm -f "$BIG"
    json_array() { local IFS=,; echo "[$*]"; }
    # shellcheck disable=SC2046
    {
        result="upload_vs_registry=$(median $(round_ratios big_registry big_ours 1)) upload_vs_nginx=$(median $(round_ratios big_nginx big_ours 1))"
        result+=" small_put_vs_registry=$(median $(round_ratios small_ours small_registry 1))"
        result+=" cpu_upload_vs_registry=$(median $(round_ratios big_registry big_ours 2)) cpu_small_put_vs_registry=$(median $(round_ratios small_registry small_ours 2))"
        for who in ours registry nginx; do
            result+=" cpu_s_per_gib_upload_$who=$(fmt "$(median $(round_samples big_$who 2))" "$(python3 -c "print(1024 / $SIZE_MIB)")")"
        done
        for who in ours registry; do result+=" cpu_ms_per_small_put_$who=$(fmt "$(median $(round_samples small_$who 2))" 0.5)"; done
    }
    mkdir -p "$ROOT/bench-results"
    cat >"$ROOT/bench-results/http-uploads-$(date -u +%Y%m%dT%H%M%SZ).json" <<EOF
{"suite": "http-uploads", "commit": "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)", "binary": "$BIN",
 "size_mib": $SIZE_MIB, "rounds": $ROUNDS,
 "upload_seconds": {"ours": $(json_array $(round_samples big_ours 1)), "registry": $(json_array $(round_samples big_registry 1)), "nginx": $(json_array $(round_samples big_nginx 1))},
 "upload_cpu_seconds": {"ours": $(json_array $(round_samples big_ours 2)), "registry": $(json_array $(round_samples big_registry 2)), "nginx": $(json_array $(round_samples big_nginx 2))},
 "small_uploads_per_second": {"ours": $(json_array $(round_samples small_ours 1)), "registry": $(json_array $(round_samples small_registry 1))},
 "small_uploads_cpu_seconds_per_2000": {"ours": $(json_array $(round_samples small_ours 2)), "registry": $(json_array $(round_samples small_registry 2))},
 "result": "$result"}
EOF
    echo "RESULT $result"
    exit 0
fi



# Every large upload starts on recycled memory (`recycle_memory`, scripts/bench-lib.sh). Every
# large transfer starts after a `sync`: otherwise the writeback of the previous upload's
# gigabyte (the kernel's flusher threads on the same two cores) lands on whichever server comes
# next, and the downloads, measured right after three uploads, paid for it in order: ours first.
echo "== 1 GiB upload" >&2
sync; recycle_memory
ours_up=$(time_of -X POST -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/octet-stream" \
    -T "$BIG" "$OURS/v1/namespaces/bench/blobs?digest=sha256:$BIG_SHA")
location=$(curl -s -o /dev/null -w '%header{location}' -X POST "$REGISTRY/v2/bench/big/blobs/uploads/")
case "$location" in http*) ;; *) location="$REGISTRY$location" ;; esac
sep='?'; case "$location" in *\?*) sep='&' ;; esac
sync; recycle_memory
registry_up=$(time_of -X PUT -H "Content-Type: application/octet-stream" -T "$BIG" "$location${sep}digest=sha256:$BIG_SHA")
sync; recycle_memory
nginx_up=$(time_of -T "$BIG" "$NGINX/big.bin")
sync

# Three rounds, the servers alternating; the median (our first round is the object's first read).
echo "== 1 GiB download (3 rounds)" >&2
ours_downs=(); registry_downs=(); nginx_downs=()
for round in 1 2 3; do
    ours_downs+=("$(time_of -H "Authorization: Bearer $TOKEN" "$OURS/v1/namespaces/bench/blobs/sha256:$BIG_SHA")")
    registry_downs+=("$(time_of -L "$REGISTRY/v2/bench/big/blobs/sha256:$BIG_SHA")")
    nginx_downs+=("$(time_of "$NGINX/big.bin")")
done
ours_down=$(median3 "${ours_downs[@]}")
registry_down=$(median3 "${registry_downs[@]}")
nginx_down=$(median3 "${nginx_downs[@]}")
rm -f "$BIG"

mbps() { python3 -c "import sys; print(f'{$SIZE_MIB / float(sys.argv[1]):.0f}')" "$1"; }

# --- small uploads, small GETs, HEADs ---------------------------------------------------------
echo "== 2,000 x 4 KiB uploads at concurrency 16" >&2
ours_put=$(upload_load ours "$OURS" "$TOKEN")
registry_put=$(upload_load registry "$REGISTRY" -)

SMALL="$WORK/small.bin"
head -c 4096 /dev/urandom >"$SMALL"
SMALL_SHA=$(sha256sum "$SMALL" | cut -d' ' -f1)
curl -fsS -o /dev/null -X POST -H "Authorization: Bearer $TOKEN" --data-binary "@$SMALL" \
    -H "Content-Type: application/octet-stream" "$OURS/v1/namespaces/bench/blobs"
location=$(curl -s -o /dev/null -w '%header{location}' -X POST "$REGISTRY/v2/bench/small/blobs/uploads/")
case "$location" in http*) ;; *) location="$REGISTRY$location" ;; esac
sep='?'; case "$location" in *\?*) sep='&' ;; esac
curl -fsS -o /dev/null -X PUT -H "Content-Type: application/octet-stream" --data-binary "@$SMALL" "$location${sep}digest=sha256:$SMALL_SHA"
cp "$SMALL" "$WORK/nginx/root/small.bin"

# The small-request flows run three rounds, the servers alternating within each round, and each
# server's figure is its median: one run of a few seconds on a shared 2-core machine swings by a
# third from one minute to the next (all samples go into the JSON).
echo "== 4 KiB GET at concurrency 64 (wrk, 5 s each, 3 rounds)" >&2
ours_gets=(); registry_gets=(); nginx_gets=()
for round in 1 2 3; do
    ours_gets+=("$(wrk_rate -t2 -c64 -d5s -H "Authorization: Bearer $TOKEN" "$OURS/v1/namespaces/bench/blobs/sha256:$SMALL_SHA")")
    registry_gets+=("$(wrk_rate -t2 -c64 -d5s "$REGISTRY/v2/bench/small/blobs/sha256:$SMALL_SHA")")
    nginx_gets+=("$(wrk_rate -t2 -c64 -d5s "$NGINX/small.bin")")
done
ours_get=$(median3 "${ours_gets[@]}")
registry_get=$(median3 "${registry_gets[@]}")
nginx_get=$(median3 "${nginx_gets[@]}")

# HEAD through head_load (above: wrk and ab cannot measure HEAD).
# Each server first gets 2,000 unmeasured HEADs (connections, caches), then measured runs of
# seconds each at its own pace (wrk runs for a time, not a count): 100,000 for ours, 10,000 for
# the registry, which answers about twenty times fewer per second. 20,000 for ours lasted about
# half a second and measured its start-up more than its rate.
echo "== HEAD at concurrency 64 ($head_client client): 100,000 ours, 10,000 registry, after 2,000 each; 3 rounds" >&2
head_rate() { head_load "$@"; }
head_rate "$OURS" "$TOKEN" 2000 "/v1/namespaces/bench/blobs/sha256:$SMALL_SHA" >/dev/null
head_rate "$REGISTRY" - 2000 "/v2/bench/small/blobs/sha256:$SMALL_SHA" >/dev/null
ours_heads=(); registry_heads=()
for round in 1 2 3; do
    ours_heads+=("$(head_rate "$OURS" "$TOKEN" 100000 "/v1/namespaces/bench/blobs/sha256:$SMALL_SHA")")
    registry_heads+=("$(head_rate "$REGISTRY" - 10000 "/v2/bench/small/blobs/sha256:$SMALL_SHA")")
done
ours_head=$(median3 "${ours_heads[@]}")
registry_head=$(median3 "${registry_heads[@]}")

measure_working_set

# --- peak RSS ----------------------------------------------------------------------------------
ours_rss=$(rss_mib "$OURS_PID")
registry_rss=$(rss_mib "$REGISTRY_PID")
nginx_rss=0
for pid in $(cat "$WORK/nginx/nginx.pid") $(pgrep -P "$(cat "$WORK/nginx/nginx.pid")" || true); do
    r=$(rss_mib "$pid" 2>/dev/null || echo 0)
    [ "$r" -gt "$nginx_rss" ] && nginx_rss=$r
done

printf '\n%-28s %12s %12s %12s\n' "" ours docker-registry nginx
printf '%-28s %12s %12s %12s\n' "1 GiB upload (MiB/s)" "$(mbps "$ours_up")" "$(mbps "$registry_up")" "$(mbps "$nginx_up")"
printf '%-28s %12s %12s %12s\n' "1 GiB download (MiB/s)" "$(mbps "$ours_down")" "$(mbps "$registry_down")" "$(mbps "$nginx_down")"
printf '%-28s %12s %12s %12s\n' "4 KiB uploads c=16 (/s)" "$ours_put" "$registry_put" "-"
printf '%-28s %12s %12s %12s\n' "4 KiB GET c=64 (/s)" "$ours_get" "$registry_get" "$nginx_get"
printf '%-28s %12s %12s %12s\n' "HEAD c=64 (/s)" "$ours_head" "$registry_head" "-"
working_set_table
printf '%-28s %12s %12s %12s\n' "peak RSS (MiB)" "$ours_rss" "$registry_rss" "$nginx_rss"

mkdir -p "$ROOT/bench-results"
result="upload_vs_registry=$(ratio "$registry_up" "$ours_up") upload_vs_nginx=$(ratio "$nginx_up" "$ours_up")"
result+=" download_vs_nginx=$(ratio "$nginx_down" "$ours_down") small_put_vs_registry=$(ratio "$ours_put" "$registry_put")"
result+=" small_get_vs_registry=$(ratio "$ours_get" "$registry_get") small_get_vs_nginx=$(ratio "$ours_get" "$nginx_get")"
result+=" head_vs_registry=$(ratio "$ours_head" "$registry_head") $(working_set_result) peak_rss_mib=$ours_rss"
cat >"$ROOT/bench-results/http-$(date -u +%Y%m%dT%H%M%SZ).json" <<EOF
{"size_mib": $SIZE_MIB,
 "upload_seconds": {"ours": $ours_up, "registry": $registry_up, "nginx": $nginx_up},
 "download_seconds": {"ours": $ours_down, "registry": $registry_down, "nginx": $nginx_down},
 "download_samples_seconds": {"ours": [$(IFS=,; echo "${ours_downs[*]}")], "registry": [$(IFS=,; echo "${registry_downs[*]}")], "nginx": [$(IFS=,; echo "${nginx_downs[*]}")]},
 "small_uploads_per_second": {"ours": $ours_put, "registry": $registry_put},
 "small_gets_per_second": {"ours": $ours_get, "registry": $registry_get, "nginx": $nginx_get},
 "small_get_samples": {"ours": [$(IFS=,; echo "${ours_gets[*]}")], "registry": [$(IFS=,; echo "${registry_gets[*]}")], "nginx": [$(IFS=,; echo "${nginx_gets[*]}")]},
 "heads_per_second": {"ours": $ours_head, "registry": $registry_head},
 "head_samples": {"ours": [$(IFS=,; echo "${ours_heads[*]}")], "registry": [$(IFS=,; echo "${registry_heads[*]}")]},
$(working_set_json)
 "peak_rss_mib": {"ours": $ours_rss, "registry": $registry_rss, "nginx": $nginx_rss},
 "result": "$result"}
EOF
echo "RESULT $result"
