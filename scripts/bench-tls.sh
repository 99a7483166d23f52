#!/usr/bin/env bash
# HTTP/2 against HTTP/1.1 over TLS, one release server, curl as the client (scripts/bench.sh tls):
# a BENCH_TLS_MIB (default 256) MiB blob uploaded (POST, streamed from a file) and downloaded
# (GET to /dev/null) with `curl --http2` and with `curl --http1.1`, alternating, three times each;
# medians in MiB/s, the ratios HTTP/2 / HTTP/1.1, and the server's peak RSS. The certificate is an
# EC P-256 one made with openssl for the run; everything is on 127.0.0.1. Prints
#   RESULT h2_download_vs_http1=… h2_upload_vs_http1=… peak_rss_mib=…
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-lib.sh

MIB=${BENCH_TLS_MIB:-256}
WORK=$(mktemp -d "${BENCH_DIR:-/tmp}/artifactstore-bench-tls.XXXXXX")
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
bench_binary

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/ca.key" -out "$WORK/ca.crt" \
    -days 1 -subj "/CN=bench CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/server.key" -out "$WORK/server.csr" \
    -subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$WORK/server.ext"
openssl x509 -req -in "$WORK/server.csr" -CA "$WORK/ca.crt" -CAkey "$WORK/ca.key" -CAcreateserial -out "$WORK/server.pem" \
    -days 1 -extfile "$WORK/server.ext" 2>/dev/null

PORT=$(free_port)
TOKEN="ast_$(python3 -c 'import secrets; print(secrets.token_hex(8) + "_" + secrets.token_hex(32))')"
ARTIFACTSTORE_ADMIN_TOKEN="$TOKEN" ARTIFACTSTORE_LOG_LEVEL=warning "$BIN" serve --port "$PORT" --data-dir "$WORK/ours" \
    --tls-cert "$WORK/server.pem" --tls-key "$WORK/server.key" >"$WORK/ours.log" 2>&1 &
OURS_PID=$!
PIDS+=("$OURS_PID")
URL="https://localhost:$PORT"
for _ in $(seq 1 100); do curl -fs --cacert "$WORK/ca.crt" -o /dev/null "$URL/readyz" && break; sleep 0.2; done
CURL=(curl -fsS --cacert "$WORK/ca.crt" -H "Authorization: Bearer $TOKEN")
"${CURL[@]}" -o /dev/null -X POST -H "Content-Type: application/json" -d '{"name":"bench"}' "$URL/v1/namespaces"
head -c "$((MIB << 20))" /dev/urandom >"$WORK/blob.bin"

# Prints MiB/s of one transfer: upload VERSION_FLAG | download VERSION_FLAG ADDRESS.
upload() {
    recycle_memory
    "${CURL[@]}" "$1" -X POST -H "Content-Type: application/octet-stream" -T "$WORK/blob.bin" -o "$WORK/answer.json" \
        -w '%{http_version} %{time_total}\n' "$URL/v1/namespaces/bench/blobs" >"$WORK/timing"
    python3 -c 'import sys; v, t = open(sys.argv[1]).read().split(); print(f"{int(sys.argv[2]) / float(t):.0f}")' "$WORK/timing" "$MIB"
}
download() {
    "${CURL[@]}" "$1" -o /dev/null -w '%{http_version} %{time_total}\n' "$URL/v1/namespaces/bench/blobs/$2" >"$WORK/timing"
    python3 -c 'import sys; v, t = open(sys.argv[1]).read().split(); print(f"{int(sys.argv[2]) / float(t):.0f}")' "$WORK/timing" "$MIB"
}
version_of() { cut -d' ' -f1 "$WORK/timing"; }

declare -A up down
for run in 1 2 3; do
    for flag in --http2 --http1.1; do
        up[$flag$run]=$(upload "$flag")
        echo "upload   $flag run $run: ${up[$flag$run]} MiB/s (HTTP/$(version_of))" >&2
    done
done
ADDRESS=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["address"])' "$WORK/answer.json")
for run in 1 2 3; do
    for flag in --http2 --http1.1; do
        down[$flag$run]=$(download "$flag" "$ADDRESS")
        echo "download $flag run $run: ${down[$flag$run]} MiB/s (HTTP/$(version_of))" >&2
    done
done
UP2=$(median3 "${up[--http21]}" "${up[--http22]}" "${up[--http23]}")
UP1=$(median3 "${up[--http1.11]}" "${up[--http1.12]}" "${up[--http1.13]}")
DOWN2=$(median3 "${down[--http21]}" "${down[--http22]}" "${down[--http23]}")
DOWN1=$(median3 "${down[--http1.11]}" "${down[--http1.12]}" "${down[--http1.13]}")
echo "median MiB/s over TLS, $MIB MiB: download HTTP/2 $DOWN2, HTTP/1.1 $DOWN1; upload HTTP/2 $UP2, HTTP/1.1 $UP1" >&2
echo "RESULT h2_download_vs_http1=$(ratio "$DOWN2" "$DOWN1") h2_upload_vs_http1=$(ratio "$UP2" "$UP1") peak_rss_mib=$(rss_mib "$OURS_PID")"
