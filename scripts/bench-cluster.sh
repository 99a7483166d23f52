#!/usr/bin/env bash
# Write throughput of several `artifactstore serve` processes on one PostgreSQL database and one
# S3 bucket (moto), against one process in the same run (issue 17), and what a version costs the
# whole machine in CPU in each configuration.
#
#   Three nodes run on one fresh database and one fresh bucket for the whole run. A window pushes
#   for BENCH_SECONDS (default 10) with 16 or 4 pushers (scripts/bench_cluster_client.py measure:
#   a unique 4 KiB blob, then a one-file version of it, through /v1), spread round-robin over the
#   first 1, 2 or 3 nodes. The configurations are interleaved: BENCH_ROUNDS rounds (default 3) of
#   every pusher count on 1, 2 and 3 nodes, the order of the node counts rotated each round
#   (1 2 3, 2 3 1, 3 1 2, …), after BENCH_WARMUP seconds (default 5) of unmeasured pushes. Slow
#   drift of the machine (other work's load, the tables growing) then reaches every configuration
#   alike, and each round gives its own ratios: the figures are medians over the rounds.
#
#   Per window it counts, besides versions/s:
#     CPU per version  CPU seconds (utime + stime from /proc) of every process of the run, per
#                      acknowledged version: all three serve processes (the idle ones included),
#                      PostgreSQL (the postmaster, its live backends and the ones it reaped), moto
#                      and the Python pushers. On the shared 2-core machine versions/s is the CPU
#                      the run gets divided by this, so it is the load-independent figure: a
#                      second node that spends no more CPU per version than one cannot be slower
#                      except by noise or by CPU other work took ("others": the machine's busy
#                      time less the run's, printed per window). The nodes a window does not push
#                      to are counted too, and their own CPU is printed ("idle nodes", % of a core).
#     statements     per version, from pg_stat_statements (reset before each window; the idle
#                      nodes' periodic statements included);
#     rollbacks      rolled-back share of the window's transactions (pg_stat_database).
#   Deadlocks and rolled-back transactions over the whole run are pg_stat_database deltas
#   (rollback_ratio = xact_rollback / (xact_commit + xact_rollback)). The sealed lag is measured in
#   a window of its own after the rounds (16 pushers on 3 nodes, not in the medians): audit_pending
#   sampled every 20 ms, the p99 of the time from a record's timestamp to the first sample without
#   it (scripts/bench_cluster_client.py lag).
#
# Services: BENCH_SERVICES=private (the default) starts a PostgreSQL (initdb, free port, default
# durability settings, pg_stat_statements; scripts/bench-lib.sh start_private_postgres) and a
# moto_server of the run's own, so every CPU second counted is this run's and no other client's.
# BENCH_SERVICES=shared uses BENCH_POSTGRES_URL (default $ARTIFACTSTORE_TEST_POSTGRES_URL, a role
# that may CREATE DATABASE) and BENCH_S3_ENDPOINT (default $ARTIFACTSTORE_TEST_S3_ENDPOINT); their
# CPU is then every local postgres and moto_server process, other clients included, and statements
# are counted only if that server preloads pg_stat_statements. Needs psql, curl, and for private
# PostgreSQL's server binaries (PG_BIN) and moto_server. ARTIFACTSTORE_BIN runs that binary
# instead of building the release one.
#
# Last line (16 pushers; the 4-pusher figures are printed above it and kept in the JSON under
# bench-results/):
#   RESULT writes_2n_vs_1n=… writes_3n_vs_1n=… deadlocks=… rollback_ratio=… sealed_lag_p99_ms=…
#          writes_1n=… cpu_ms_per_version_1n=… cpu_ms_per_version_2n=… cpu_ms_per_version_3n=…
#          cpu_2n_vs_1n=… cpu_3n_vs_1n=… others_cpu_percent=…
#   writes_Nn_vs_1n  median over the rounds of (versions/s on N nodes / on 1 node in that round)
#   writes_1n        median versions/s on 1 node
#   cpu_ms_per_version_Nn, cpu_Nn_vs_1n  the same for CPU milliseconds per version (all processes)
#   others_cpu_percent  median share of the machine's CPU that processes outside the run used
set -euo pipefail

cd "$(dirname "$0")/.."
# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh
bench_install psql=postgresql-client curl=curl
bench_binary

SERVICES=${BENCH_SERVICES:-private}
SECONDS_EACH=${BENCH_SECONDS:-10}
ROUNDS=${BENCH_ROUNDS:-3}
WARMUP=${BENCH_WARMUP:-5}
RUN=$(date -u +%Y%m%dT%H%M%SZ)
DB="bench_cluster_$(python3 -c 'import secrets; print(secrets.token_hex(4))')"
BUCKET="bench-cluster-$(python3 -c 'import secrets; print(secrets.token_hex(4))')"
WORK=$(mktemp -d /tmp/artifactstore-bench-cluster.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [ "$SERVICES" = shared ] && psql -X -q "$PG" -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

case $SERVICES in
    private)
        command -v moto_server >/dev/null || { echo "error: moto_server is not installed (pip install 'moto[server]'; or BENCH_SERVICES=shared)" >&2; exit 1; }
        start_private_postgres "$WORK"
        PG="$PG/postgres"
        start_private_moto "$WORK"
        CPU_SPEC="postgres=tree:$PG_POSTMASTER;moto=tree:$MOTO_PID"
        ;;
    shared)
        PG=${BENCH_POSTGRES_URL:-${ARTIFACTSTORE_TEST_POSTGRES_URL:?set BENCH_POSTGRES_URL or ARTIFACTSTORE_TEST_POSTGRES_URL}}
        S3=${BENCH_S3_ENDPOINT:-${ARTIFACTSTORE_TEST_S3_ENDPOINT:?set BENCH_S3_ENDPOINT or ARTIFACTSTORE_TEST_S3_ENDPOINT}}
        echo "warning: shared services: the CPU of every local postgres and moto_server process counts, other clients' included" >&2
        CPU_SPEC="postgres=comm:postgres;moto=cmd:moto_server"
        ;;
    *) echo "error: BENCH_SERVICES is private or shared, not $SERVICES" >&2; exit 2 ;;
esac
psql -X -q "$PG" -c "CREATE DATABASE $DB" >/dev/null
DB_URL="${PG%/*}/$DB"
NODE_DB="$DB_URL?sslmode=disable"
STATEMENTS=false
psql -X -q "$DB_URL" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null 2>&1 \
    && psql -X -q "$DB_URL" -c "SELECT pg_stat_statements_reset()" >/dev/null 2>&1 && STATEMENTS=true
curl -fsS -o /dev/null -X PUT "$S3/$BUCKET"
export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-testing} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-testing}
TOKEN="ast_$(python3 -c 'import secrets; print(secrets.token_hex(8) + "_" + secrets.token_hex(32))')"
# One key file for every node (docs/operations.md, "Audit key").
KEY="$WORK/audit.key"
echo "k1 $(head -c 32 /dev/urandom | base64 -w0)" >"$KEY"
chmod 600 "$KEY"

# Starts node $1; appends its URL to URLS and its pid to SERVE_PIDS.
URLS=()
SERVE_PIDS=()
start_node() {
    local port
    port=$(free_port)
    ARTIFACTSTORE_ADMIN_TOKEN="$TOKEN" ARTIFACTSTORE_LOG_LEVEL=warning ARTIFACTSTORE_AUDIT_KEY_FILE="$KEY" "$BIN" serve \
        --port "$port" --data-dir "$WORK/node$1" --database "$NODE_DB" \
        --backend "s3=s3://$BUCKET/store?region=us-east-1&endpoint=$S3&pathStyle=true" >"$WORK/node$1.log" 2>&1 &
    PIDS+=("$!")
    SERVE_PIDS+=("$!")
    URLS+=("http://127.0.0.1:$port")
    wait_http "http://127.0.0.1:$port/readyz"
}

# deadlocks commits rollbacks of the run's database so far.
stats() {
    psql -X -A -t "$PG" -c "SELECT deadlocks || ' ' || xact_commit || ' ' || xact_rollback FROM pg_stat_database WHERE datname = '$DB'"
}
# Statements the run's database ran since the last reset (pg_stat_statements), then a reset.
statements() {
    psql -X -A -t -q "$DB_URL" -c "SELECT coalesce(sum(s.calls), 0) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
        WHERE d.datname = '$DB' AND s.query NOT LIKE '%pg_stat_statements%'" -c "SELECT pg_stat_statements_reset()" | sed -n 1p
}

echo "== three nodes on $DB and bucket $BUCKET ($SERVICES services), load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
start_node 1
curl -fsS -o /dev/null -X POST -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"name":"bench"}' \
    "${URLS[0]}/v1/namespaces"
start_node 2
start_node 3
CPU_SPEC="node1=${SERVE_PIDS[0]};node2=${SERVE_PIDS[1]};node3=${SERVE_PIDS[2]};$CPU_SPEC"
echo "== ${WARMUP} s warm-up (16 pushers, 3 nodes, unmeasured)" >&2
python3 scripts/bench_cluster_client.py push "$TOKEN" "$WARMUP" 16 "${URLS[@]}" >/dev/null
sleep 1
read -r dl0 commit0 rollback0 <<<"$(stats)"

for round in $(seq 1 "$ROUNDS"); do
    for pushers in 16 4; do
        for step in 0 1 2; do
            nodes=$(((round - 1 + step) % 3 + 1))
            if [ "$STATEMENTS" = true ]; then statements >/dev/null; fi
            read -r _ c0 r0 <<<"$(stats)"
            window=$(python3 scripts/bench_cluster_client.py measure "$TOKEN" "$SECONDS_EACH" "$pushers" "$CPU_SPEC" "${URLS[@]:0:$nodes}")
            read -r _ c1 r1 <<<"$(stats)"
            count=null
            if [ "$STATEMENTS" = true ]; then count=$(statements); fi
            printf '{"round": %d, "pushers": %d, "nodes": %d, "statements": %s, "commits": %d, "rollbacks": %d, "window": %s}\n' \
                "$round" "$pushers" "$nodes" "$count" $((c1 - c0)) $((r1 - r0)) "$window" >>"$WORK/windows.jsonl"
            python3 -c "import json, sys; w = json.loads(sys.argv[1]); cpu = w['cpu']
ours = sum(v for g, v in cpu.items() if g not in ('machine', 'steal'))
print(f'round $round, $pushers pushers, $nodes node(s): {w[\"versions\"] / w[\"seconds\"]:7.1f} versions/s, '
      f'{1000 * ours / max(1, w[\"versions\"]):.2f} CPU ms/version, load {w[\"load\"][0]:.1f}')" "$window" >&2
        done
    done
done

echo "== sealed lag: 16 pushers on 3 nodes for ${SECONDS_EACH} s" >&2
python3 scripts/bench_cluster_client.py lag "$DB_URL" public "$SECONDS_EACH" "bench-" >"$WORK/lag.out" &
LAG_PID=$!
python3 scripts/bench_cluster_client.py push "$TOKEN" "$SECONDS_EACH" 16 "${URLS[@]}" >/dev/null
wait "$LAG_PID" || true
read -r dl1 commit1 rollback1 <<<"$(stats)"
DEADLOCKS=$((dl1 - dl0))
ROLLBACK_RATIO=$(python3 -c "c, r = $commit1 - $commit0, $rollback1 - $rollback0; print(f'{r / (c + r):.4f}' if c + r else 'nan')")
LAG=$(cat "$WORK/lag.out")
LAG_P99=$(sed -n 's/.*sealed_lag_p99_ms=\([0-9a-z.]*\).*/\1/p' <<<"$LAG")
echo "$LAG; deadlocks=$DEADLOCKS rolled back=$((rollback1 - rollback0)) committed=$((commit1 - commit0)) (whole run)"

mkdir -p bench-results
cat >"bench-results/cluster-$RUN.json" <<JSON
{"suite": "cluster", "time": "$RUN", "binary": "$BIN", "services": "$SERVICES", "seconds_each": $SECONDS_EACH, "rounds": $ROUNDS,
 "deadlocks": $DEADLOCKS, "rollback_ratio": "$ROLLBACK_RATIO", "sealed_lag": "$LAG"}
JSON
python3 scripts/bench_cluster_client.py report "$WORK/windows.jsonl" "bench-results/cluster-$RUN.json" \
    "deadlocks=$DEADLOCKS" "rollback_ratio=$ROLLBACK_RATIO" "sealed_lag_p99_ms=$LAG_P99"
