#!/usr/bin/env bash
# Write throughput of several `artifactstore serve` processes on one PostgreSQL database and one
# S3 bucket (moto), against one process in the same run (issue 17).
#
#   4 and 16 pushers (scripts/bench_cluster_client.py push: a unique 4 KiB blob, then a one-file
#   version of it, through /v1), for BENCH_SECONDS (default 20) each, against 1 node, then spread
#   round-robin over 2 and over 3 nodes. All nodes share one fresh PostgreSQL database (created
#   for the run, so pg_stat_database counts only this run) and one fresh bucket.
#
#   Deadlocks and rolled-back transactions are pg_stat_database deltas over all runs
#   (rollback_ratio = xact_rollback / (xact_commit + xact_rollback)). The sealed lag samples
#   audit_pending every 20 ms during the 16-pusher run on 3 nodes and reports the p99 of the time
#   from a record's timestamp to the first sample without it (scripts/bench_cluster_client.py lag).
#
# Needs: BENCH_POSTGRES_URL (default $ARTIFACTSTORE_TEST_POSTGRES_URL) of a role that may CREATE
# DATABASE, BENCH_S3_ENDPOINT (default $ARTIFACTSTORE_TEST_S3_ENDPOINT, a moto server), psql and
# curl. ARTIFACTSTORE_BIN runs that binary instead of building the release one.
#
# Last line:
#   RESULT writes_2n_vs_1n=… writes_3n_vs_1n=… deadlocks=… rollback_ratio=… sealed_lag_p99_ms=…
# (writes_*: versions/s with 16 pushers over 2 or 3 nodes against 1 node; the 4-pusher figures are
# printed above it and kept in the JSON under bench-results/.)
set -euo pipefail

cd "$(dirname "$0")/.."
# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh
bench_install psql=postgresql-client curl=curl
bench_binary

PG=${BENCH_POSTGRES_URL:-${ARTIFACTSTORE_TEST_POSTGRES_URL:?set BENCH_POSTGRES_URL or ARTIFACTSTORE_TEST_POSTGRES_URL}}
S3=${BENCH_S3_ENDPOINT:-${ARTIFACTSTORE_TEST_S3_ENDPOINT:?set BENCH_S3_ENDPOINT or ARTIFACTSTORE_TEST_S3_ENDPOINT}}
SECONDS_EACH=${BENCH_SECONDS:-20}
RUN=$(date -u +%Y%m%dT%H%M%SZ)
DB="bench_cluster_$(python3 -c 'import secrets; print(secrets.token_hex(4))')"
BUCKET="bench-cluster-$(python3 -c 'import secrets; print(secrets.token_hex(4))')"
SCHEMA=public
SHARED=false
WORK=$(mktemp -d /tmp/artifactstore-bench-cluster.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ "$SHARED" = true ]; then
        psql -X -q "$PG" -c "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1 || true
    else
        psql -X -q "$PG" -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

if psql -X -q "$PG" -c "CREATE DATABASE $DB" >/dev/null 2>&1; then
    DB_URL="${PG%/*}/$DB"
    NODE_DB="$DB_URL?sslmode=disable"
else
    # A role without CREATEDB: a fresh schema in the given database. pg_stat_database then counts
    # every other client of that database too (the deadlock and rollback figures are an upper bound).
    echo "warning: cannot create a database; using schema $DB in ${PG##*/}, whose statistics other clients share" >&2
    SHARED=true
    SCHEMA=$DB
    DB=${PG##*/}
    DB=${DB%%\?*}
    DB_URL=$PG
    psql -X -q "$PG" -c "CREATE SCHEMA $SCHEMA" >/dev/null
    NODE_DB="$PG?sslmode=disable&schema=$SCHEMA"
fi
curl -fsS -o /dev/null -X PUT "$S3/$BUCKET"
export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-testing} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-testing}
TOKEN="ast_$(python3 -c 'import secrets; print(secrets.token_hex(8) + "_" + secrets.token_hex(32))')"
# One key file for every node (docs/operations.md, "Audit key").
KEY="$WORK/audit.key"
echo "k1 $(head -c 32 /dev/urandom | base64 -w0)" >"$KEY"
chmod 600 "$KEY"

# Starts node $1; appends its URL to URLS.
URLS=()
start_node() {
    local port
    port=$(free_port)
    ARTIFACTSTORE_ADMIN_TOKEN="$TOKEN" ARTIFACTSTORE_LOG_LEVEL=warning ARTIFACTSTORE_AUDIT_KEY_FILE="$KEY" "$BIN" serve \
        --port "$port" --data-dir "$WORK/node$1" --database "$NODE_DB" \
        --backend "s3=s3://$BUCKET/store?region=us-east-1&endpoint=$S3&pathStyle=true" >"$WORK/node$1.log" 2>&1 &
    PIDS+=("$!")
    URLS+=("http://127.0.0.1:$port")
    wait_http "http://127.0.0.1:$port/readyz"
}

stats() {
    psql -X -A -t "$PG" -c "SELECT deadlocks || ' ' || xact_commit || ' ' || xact_rollback FROM pg_stat_database WHERE datname = '$DB'"
}

echo "== three nodes on $DB and bucket $BUCKET" >&2
start_node 1
curl -fsS -o /dev/null -X POST -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"name":"bench"}' \
    "${URLS[0]}/v1/namespaces"
start_node 2
start_node 3
sleep 1
read -r dl0 commit0 rollback0 <<<"$(stats)"

declare -A RATE
for pushers in 4 16; do
    for nodes in 1 2 3; do
        lag_out=""
        if [ "$pushers" = 16 ] && [ "$nodes" = 3 ]; then
            python3 scripts/bench_cluster_client.py lag "$DB_URL" "$SCHEMA" "$SECONDS_EACH" "bench-" >"$WORK/lag.out" &
            LAG_PID=$!
        fi
        out=$(python3 scripts/bench_cluster_client.py push "$TOKEN" "$SECONDS_EACH" "$pushers" "${URLS[@]:0:$nodes}")
        versions=$(sed -n 's/.*versions=\([0-9]*\).*/\1/p' <<<"$out")
        seconds=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' <<<"$out")
        RATE[$pushers,$nodes]=$(python3 -c "print(f'{$versions / $seconds:.1f}')")
        printf '%2d pushers, %d node(s): %7s versions/s   (%s)\n' "$pushers" "$nodes" "${RATE[$pushers,$nodes]}" "$out"
        if [ -n "${LAG_PID:-}" ]; then wait "$LAG_PID" || true; LAG_PID=""; fi
    done
done
read -r dl1 commit1 rollback1 <<<"$(stats)"
DEADLOCKS=$((dl1 - dl0))
ROLLBACK_RATIO=$(python3 -c "c, r = $commit1 - $commit0, $rollback1 - $rollback0; print(f'{r / (c + r):.4f}' if c + r else 'nan')")
LAG=$(cat "$WORK/lag.out")
echo "$LAG"
LAG_P99=$(sed -n 's/.*sealed_lag_p99_ms=\([0-9a-z.]*\).*/\1/p' <<<"$LAG")
W2=$(ratio "${RATE[16,2]}" "${RATE[16,1]}")
W3=$(ratio "${RATE[16,3]}" "${RATE[16,1]}")
W2_4=$(ratio "${RATE[4,2]}" "${RATE[4,1]}")
W3_4=$(ratio "${RATE[4,3]}" "${RATE[4,1]}")
echo "4 pushers: 2n/1n=$W2_4 3n/1n=$W3_4; deadlocks=$DEADLOCKS rolled back=$((rollback1 - rollback0)) committed=$((commit1 - commit0))"

mkdir -p bench-results
cat >"bench-results/cluster-$RUN.json" <<JSON
{"suite": "cluster", "time": "$RUN", "binary": "$BIN", "seconds_each": $SECONDS_EACH, "shared_database_statistics": $SHARED,
 "versions_per_second": {"4": {"1": ${RATE[4,1]}, "2": ${RATE[4,2]}, "3": ${RATE[4,3]}},
                         "16": {"1": ${RATE[16,1]}, "2": ${RATE[16,2]}, "3": ${RATE[16,3]}}},
 "writes_2n_vs_1n": "$W2", "writes_3n_vs_1n": "$W3", "writes_2n_vs_1n_4p": "$W2_4", "writes_3n_vs_1n_4p": "$W3_4",
 "deadlocks": $DEADLOCKS, "rollback_ratio": "$ROLLBACK_RATIO", "sealed_lag": "$LAG"}
JSON
echo "RESULT writes_2n_vs_1n=$W2 writes_3n_vs_1n=$W3 deadlocks=$DEADLOCKS rollback_ratio=$ROLLBACK_RATIO sealed_lag_p99_ms=$LAG_P99"
