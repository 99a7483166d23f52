#!/usr/bin/env bash
# scripts/bench.sh instructions: user-space instructions per small request, counted by callgrind,
# for our release server and for nginx serving the same 4 KiB file, in one run.
#
# Exists because wall-clock figures on a shared 2-core VM swing by a quarter between identical
# runs (the same binary measured 39-50 us of CPU per GET), which hides changes of a few percent.
# An instruction count is the same from run to run. It counts user space only (not the kernel's
# TCP work, which both servers pay) and nothing of cache misses or locks, so it guides work on
# our own code; scripts/bench.sh http stays the measure of speed.
#
#   4 KiB GET   wrk -t1 -c8 for BENCH_SECONDS (default 10) after a 3 s warm-up; instructions
#               between the two callgrind toggles divided by the requests wrk completed. nginx
#               runs as one process (master_process off) so callgrind sees all of its work.
#   /v2 GET     ours only: the same blob through the OCI API (`/v2/bench/small/blobs/sha256:…`)
#               with Basic credentials (the token as password), as docker and the working-set
#               rounds of scripts/bench-http.sh ask; measured as the 4 KiB GET.
#   HEAD        ours only: 3,000 HEADs of the same blob (scripts/bench_http_client.py, c=8)
#               after 500 unmeasured.
#   floor GET   a bare Hummingbird server (Benchmarks' hummingbird-floor) answering the same GET
#               with 4 KiB from memory, measured as the 4 KiB GET: what the HTTP stack costs alone.
#   cold GET    ours only: COLD_COUNT (default 200) distinct 4 KiB blobs stored through this
#   cold HEAD   process and never read before, each asked once (curl, one keep-alive connection):
#               nothing about them is cached (fact, bytes), so each pays the uncached lookup; the
#               token and the namespace are warm, as in steady state. Separate blobs for each.
#
# valgrind (Debian) cannot read the DWARF 5 of our release binary, so it runs a copy with the
# debug sections stripped (`objcopy --strip-debug`; the code is the same). valgrind 3.19 does not
# know `openat2` (it answers ENOSYS), so under it the server resolves every path with its
# component walk, the fallback for kernels without `openat2`: the cold figures count that path,
# not the one production takes (one `openat2`, on the event loop when the kernel has it cached). ARTIFACTSTORE_BIN
# runs a given binary instead of the release build.
#
# Last line: RESULT get_instructions=… cold_get_instructions=… nginx_get_instructions=…
#   get_instructions_vs_nginx=… head_instructions=… cold_head_instructions=… cold_get_vs_warm=…
#   floor_get_instructions=… get_instructions_vs_floor=… v2_basic_get_instructions=…
set -euo pipefail

cd "$(dirname "$0")/.."
# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh
bench_install valgrind nginx wrk curl objcopy=binutils
bench_binary
bench_floor_binary

WORK=$(mktemp -d "${BENCH_DIR:-/tmp}/artifactstore-instructions.XXXXXX")
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
SECONDS_MEASURED=${BENCH_SECONDS:-10}

objcopy --strip-debug "$BIN" "$WORK/artifactstore"
head -c 4096 /dev/urandom >"$WORK/small.bin"
SMALL_SHA=$(sha256sum "$WORK/small.bin" | cut -d' ' -f1)

# The total instructions in callgrind's dump $1.
instructions_in() { callgrind_annotate "$1" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}'; }

# Counts instructions of process $1 (whose callgrind output file is $WORK/$2.out) while "$3 ..."
# runs; prints them.
count_during() {
    local pid=$1 name=$2
    shift 2
    callgrind_control -i on "$pid" >/dev/null
    "$@" >/dev/null
    callgrind_control -i off "$pid" >/dev/null
    callgrind_control -d "$pid" >/dev/null
    sleep 1
    local total=0 file count
    # Each dump is $WORK/$name.out.<n>; $WORK/$name.out itself is written at exit.
    for file in "$WORK/$name".out.*; do
        count=$(instructions_in "$file")
        echo "   $(basename "$file"): ${count:-none}" >&2
        total=$((total + ${count:-0}))
        rm -f "$file"
    done
    echo "$total"
}

wrk_requests() { wrk "$@" 2>/dev/null | awk '/requests in/ {print $1}' >"$WORK/requests"; }

# --- ours -----------------------------------------------------------------------------------
# Under callgrind a server starts some 50 times slower: up to 2 minutes.
BIN="$WORK/artifactstore"
OURS_LAUNCHER=(valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$WORK/ours.out")
OURS_WAIT_TRIES=600
echo "== starting our server under callgrind" >&2
start_ours "$WORK"
curl -fsS -o /dev/null -X POST -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/octet-stream" \
    --data-binary "@$WORK/small.bin" "$OURS/v1/namespaces/bench/blobs"
BLOB="/v1/namespaces/bench/blobs/sha256:$SMALL_SHA"

echo "== 4 KiB GET, ours" >&2
wrk -t1 -c8 -d3s -H "Authorization: Bearer $TOKEN" "$OURS$BLOB" >/dev/null 2>&1
ours_get_total=$(count_during "$OURS_PID" ours wrk_requests -t1 -c8 -d"${SECONDS_MEASURED}s" -H "Authorization: Bearer $TOKEN" "$OURS$BLOB")
ours_get_requests=$(cat "$WORK/requests")

echo "== 4 KiB GET, ours, /v2 with Basic credentials" >&2
BASIC="Basic $(printf 'bench:%s' "$TOKEN" | base64 -w0)"
V2_BLOB="/v2/bench/small/blobs/sha256:$SMALL_SHA"
wrk -t1 -c8 -d3s -H "Authorization: $BASIC" "$OURS$V2_BLOB" >/dev/null 2>&1
ours_v2_get_total=$(count_during "$OURS_PID" ours wrk_requests -t1 -c8 -d"${SECONDS_MEASURED}s" -H "Authorization: $BASIC" "$OURS$V2_BLOB")
ours_v2_get_requests=$(cat "$WORK/requests")

echo "== HEAD, ours" >&2
python3 scripts/bench_http_client.py head "$OURS" "$TOKEN" 500 8 "$BLOB" >/dev/null
ours_head_total=$(count_during "$OURS_PID" ours python3 scripts/bench_http_client.py head "$OURS" "$TOKEN" 3000 8 "$BLOB")
ours_head_requests=3000

# --- ours, cold: blobs this process has stored but never read ------------------------------
COLD_COUNT=${COLD_COUNT:-200}
# Stores $COLD_COUNT new 4 KiB blobs and writes a curl config that GETs each once into $1.
cold_blobs() {
    local index file sha
    : >"$1"
    for index in $(seq 1 "$COLD_COUNT"); do
        file="$WORK/cold.bin"
        head -c 4096 /dev/urandom >"$file"
        sha=$(sha256sum "$file" | cut -d' ' -f1)
        curl -fsS -o /dev/null -X POST -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/octet-stream" \
            --data-binary "@$file" "$OURS/v1/namespaces/bench/blobs"
        printf 'url = "%s/v1/namespaces/bench/blobs/sha256:%s"\noutput = "/dev/null"\n' "$OURS" "$sha" >>"$1"
    done
}
cold_requests() { curl -fsS -H "Authorization: Bearer $TOKEN" "$@"; }
echo "== storing 2 x $COLD_COUNT blobs for the cold requests" >&2
cold_blobs "$WORK/cold-get.curl"
cold_blobs "$WORK/cold-head.curl"
echo "== cold GET, ours ($COLD_COUNT distinct blobs, once each)" >&2
ours_cold_get_total=$(count_during "$OURS_PID" ours cold_requests -K "$WORK/cold-get.curl")
echo "== cold HEAD, ours ($COLD_COUNT distinct blobs, once each)" >&2
ours_cold_head_total=$(count_during "$OURS_PID" ours cold_requests -I -K "$WORK/cold-head.curl")

# --- nginx ----------------------------------------------------------------------------------
NGINX_PORT=$(free_port)
nginx_conf "$WORK/nginx" "$NGINX_PORT" "master_process off; daemon off;" ""
cp "$WORK/small.bin" "$WORK/nginx/root/small.bin"
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$WORK/nginx.out" \
    nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" >"$WORK/nginx.log" 2>&1 &
NGINX_PID=$!
PIDS+=("$NGINX_PID")
NGINX="http://127.0.0.1:$NGINX_PORT"
echo "== 4 KiB GET, nginx" >&2
wait_http "$NGINX/small.bin" 600
wrk -t1 -c8 -d3s "$NGINX/small.bin" >/dev/null 2>&1
nginx_get_total=$(count_during "$NGINX_PID" nginx wrk_requests -t1 -c8 -d"${SECONDS_MEASURED}s" "$NGINX/small.bin")
nginx_get_requests=$(cat "$WORK/requests")

# --- the framework's floor: bare Hummingbird, 4 KiB from memory ------------------------------
objcopy --strip-debug "$FLOOR_BIN" "$WORK/hummingbird-floor"
FLOOR_BIN="$WORK/hummingbird-floor"
FLOOR_PORT=$(free_port)
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$WORK/floor.out" \
    "$FLOOR_BIN" "$FLOOR_PORT" >"$WORK/floor.log" 2>&1 &
FLOOR_PID=$!
PIDS+=("$FLOOR_PID")
FLOOR="http://127.0.0.1:$FLOOR_PORT"
echo "== 4 KiB GET, bare Hummingbird" >&2
wait_http "$FLOOR/small.bin" 600
wrk -t1 -c8 -d3s "$FLOOR/small.bin" >/dev/null 2>&1
floor_get_total=$(count_during "$FLOOR_PID" floor wrk_requests -t1 -c8 -d"${SECONDS_MEASURED}s" "$FLOOR/small.bin")
floor_get_requests=$(cat "$WORK/requests")

per() { python3 -c "import sys; print(round(int(sys.argv[1]) / max(1, int(sys.argv[2]))))" "$1" "$2"; }
ours_get=$(per "$ours_get_total" "$ours_get_requests")
nginx_get=$(per "$nginx_get_total" "$nginx_get_requests")
floor_get=$(per "$floor_get_total" "$floor_get_requests")
ours_head=$(per "$ours_head_total" "$ours_head_requests")
ours_v2_get=$(per "$ours_v2_get_total" "$ours_v2_get_requests")
ours_cold_get=$(per "$ours_cold_get_total" "$COLD_COUNT")
ours_cold_head=$(per "$ours_cold_head_total" "$COLD_COUNT")
cold_get_vs_warm=$(ratio "$ours_cold_get" "$ours_get")
get_instructions_vs_nginx=$(ratio "$ours_get" "$nginx_get")
get_instructions_vs_floor=$(ratio "$ours_get" "$floor_get")

printf '\n%-34s %12s %12s\n' "instructions per request" ours nginx
printf '%-34s %12s %12s\n' "4 KiB GET" "$ours_get" "$nginx_get"
printf '%-34s %12s %12s\n' "4 KiB GET, bare Hummingbird" "$floor_get" "-"
printf '%-34s %12s %12s\n' "4 KiB GET, /v2 with Basic" "$ours_v2_get" "-"
printf '%-34s %12s %12s\n' "HEAD" "$ours_head" "-"
printf '%-34s %12s %12s\n' "4 KiB GET, cold (blob not read before)" "$ours_cold_get" "-"
printf '%-34s %12s %12s\n' "HEAD, cold" "$ours_cold_head" "-"
printf '%-34s %12s %12s\n' "requests measured (GET)" "$ours_get_requests" "$nginx_get_requests"

mkdir -p bench-results
stamp=$(date -u +%Y%m%dT%H%M%SZ)
cat >"bench-results/instructions-$stamp.json" <<EOF
{"suite": "instructions", "time": "$stamp", "commit": "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)",
 "get_instructions": $ours_get, "nginx_get_instructions": $nginx_get, "get_instructions_vs_nginx": $get_instructions_vs_nginx,
 "head_instructions": $ours_head, "get_requests": $ours_get_requests, "nginx_get_requests": $nginx_get_requests,
 "cold_get_instructions": $ours_cold_get, "cold_head_instructions": $ours_cold_head, "cold_requests": $COLD_COUNT,
 "cold_get_vs_warm": $cold_get_vs_warm, "v2_basic_get_instructions": $ours_v2_get, "v2_basic_get_requests": $ours_v2_get_requests,
 "floor_get_instructions": $floor_get, "floor_get_requests": $floor_get_requests, "get_instructions_vs_floor": $get_instructions_vs_floor}
EOF
echo "RESULT get_instructions=$ours_get cold_get_instructions=$ours_cold_get nginx_get_instructions=$nginx_get get_instructions_vs_nginx=$get_instructions_vs_nginx head_instructions=$ours_head cold_head_instructions=$ours_cold_head cold_get_vs_warm=$cold_get_vs_warm floor_get_instructions=$floor_get get_instructions_vs_floor=$get_instructions_vs_floor v2_basic_get_instructions=$ours_v2_get"
