#!/usr/bin/env bash
# scripts/bench.sh writes: what one acknowledged write costs, counted rather than timed (issue 17).
#
# A "version" is what scripts/bench-cluster.sh pushes: a 4 KiB blob (POST /v1/namespaces/bench/blobs)
# then a one-file version of it (PUT …/artifacts/…/versions/…), on PostgreSQL and an S3 bucket
# (moto), as a node of a cluster runs. For BENCH_VERSIONS versions (default 400, by BENCH_PUSHERS
# keep-alive pushers, default 1) after BENCH_WARMUP (default 60) unmeasured ones, it counts:
#
#   instructions   user-space instructions of `artifactstore serve` (callgrind, between two
#                  toggles, the audit sequencer's and the usage fold's work included: the count
#                  ends BENCH_SETTLE seconds, default 5, after the last push), per version, less
#                  what the idle server runs in the same time (its periodic services, measured
#                  for BENCH_IDLE seconds, default 15, before the pushes): under callgrind the
#                  pushes take minutes, and the pollers' ticks would otherwise count as writes
#                  (the statements and S3 requests below are net of the idle server's too);
#   statements     statements PostgreSQL ran for the database (pg_stat_statements, utility
#                  statements such as BEGIN and COMMIT included; each is one round trip), per
#                  version, and the statements run most, with their share of execution time;
#   S3 requests    requests moto answered (its request log), per version, by method and key shape;
#   refused        statements PostgreSQL refused over the whole run (serialization failures and
#                  deadlocks, from its log, by statement): each made serve re-run a transaction.
#   idle           what the idle nodes cost (issue 17: a node added to a cluster on a CPU-bound
#                  machine helps only if it costs nothing while it waits): statements per second,
#                  by statement, and serve's CPU seconds per minute (utime + stime from
#                  /proc/PID/stat; only with BENCH_CALLGRIND=0, since valgrind's own CPU would count),
#                  over the BENCH_IDLE seconds before the pushes, for all BENCH_NODES nodes together.
#
# BENCH_NODES (default 1; more needs BENCH_CALLGRIND=0) starts that many nodes on the one database and
# bucket and pushes to them round-robin: a version's statements then include every node's seal rounds.
#
# Exists because the cluster bench's versions/s is the machine's CPU divided by the CPU one version
# costs in serve, PostgreSQL and moto together (bench-results/cluster-cpu-*.json), and the wall-clock
# figures swing with the load other work puts on the 2 cores. These three counts do not: they show
# where a write's cost is and whether a change lowered it. A callgrind run makes serve some 50 times
# slower, so latency-driven behaviour (how many records one seal round takes) differs a little from
# a real run; BENCH_CALLGRIND=0 counts statements and requests at full speed without it.
#
# It starts its own PostgreSQL (initdb under the run's directory, a free loopback port,
# pg_stat_statements preloaded; run as the `postgres` user when this runs as root; fsync off, which
# changes no count) and its own moto_server (free port), so nothing shared is reconfigured and no
# other client is counted. Needs valgrind, objcopy, PostgreSQL's server binaries (PG_BIN, default the
# newest /usr/lib/postgresql/*/bin) with pg_stat_statements, moto_server, psql and curl.
# ARTIFACTSTORE_BIN runs that binary instead of building the release one; BENCH_CALLGRIND_OUT
# (a path) keeps the callgrind dump there for callgrind_annotate.
#
# Last line:
#   RESULT version_instructions=… statements_per_version=… s3_requests_per_version=… versions=…
set -euo pipefail

cd "$(dirname "$0")/.."
# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh
USE_CALLGRIND=${BENCH_CALLGRIND:-1}
if [ "$USE_CALLGRIND" = 1 ]; then bench_install valgrind objcopy=binutils; fi
bench_install psql=postgresql-client curl=curl
command -v moto_server >/dev/null || { echo "error: moto_server is not installed (pip install 'moto[server]')" >&2; exit 1; }
bench_binary

VERSIONS=${BENCH_VERSIONS:-400}
# One pusher by default: under callgrind, concurrent pushes hold their transactions open long enough
# to cancel each other (serialization failures, whose re-runs then count as the versions' cost, more
# or less of them as the machine is loaded); one at a time, a version's count is the same each run.
PUSHERS=${BENCH_PUSHERS:-1}
WARMUP=${BENCH_WARMUP:-60}
SETTLE=${BENCH_SETTLE:-5}

WORK=$(mktemp -d /tmp/artifactstore-write-cost.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

start_private_postgres "$WORK" -c fsync=off
psql -X -q "$PG/postgres" -c "CREATE DATABASE bench" >/dev/null
psql -X -q "$PG/bench" -c "CREATE EXTENSION pg_stat_statements" >/dev/null

start_private_moto "$WORK"
BUCKET=bench-write-cost
curl -fsS -o /dev/null -X PUT "$S3/$BUCKET"
export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-testing} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-testing}

TOKEN="ast_$(python3 -c 'import secrets; print(secrets.token_hex(8) + "_" + secrets.token_hex(32))')"
KEY="$WORK/audit.key"
echo "k1 $(head -c 32 /dev/urandom | base64 -w0)" >"$KEY"
chmod 600 "$KEY"
LAUNCHER=()
SERVE_BIN=$BIN
if [ "$USE_CALLGRIND" = 1 ]; then
    # valgrind cannot read the DWARF 5 of the release binary: a copy without debug sections.
    objcopy --strip-debug "$BIN" "$WORK/artifactstore"
    SERVE_BIN="$WORK/artifactstore"
    LAUNCHER=(valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$WORK/serve.out")
fi
# BENCH_NODES (default 1) serve processes on the one database and bucket, pushed to round-robin, as
# scripts/bench-cluster.sh runs them: what each extra node adds to a version's statements, and to the idle
# cost. Only the first runs under callgrind, so more than one needs BENCH_CALLGRIND=0.
NODES=${BENCH_NODES:-1}
if [ "$NODES" -gt 1 ] && [ "$USE_CALLGRIND" = 1 ]; then echo "error: BENCH_NODES > 1 needs BENCH_CALLGRIND=0" >&2; exit 2; fi
URLS=()
SERVE_PIDS=()
for node in $(seq 1 "$NODES"); do
    port=$(free_port)
    ARTIFACTSTORE_ADMIN_TOKEN="$TOKEN" ARTIFACTSTORE_LOG_LEVEL=warning ARTIFACTSTORE_AUDIT_KEY_FILE="$KEY" \
        ${LAUNCHER[@]+"${LAUNCHER[@]}"} "$SERVE_BIN" serve --port "$port" --data-dir "$WORK/node$node" \
        --database "$PG/bench?sslmode=disable" \
        --backend "s3=s3://$BUCKET/store?region=us-east-1&endpoint=$S3&pathStyle=true" >"$WORK/serve$node.log" 2>&1 &
    SERVE_PIDS+=("$!")
    PIDS+=("$!")
    URLS+=("http://127.0.0.1:$port")
    echo "== starting serve ${node}/${NODES}${LAUNCHER[0]:+ under callgrind} (PostgreSQL :$PG_PORT, moto $S3)" >&2
    wait_http "http://127.0.0.1:$port/readyz" 600
done
SERVE_PID=${SERVE_PIDS[0]}
URL=${URLS[0]}
curl -fsS -o /dev/null -X POST -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"name":"bench"}' \
    "$URL/v1/namespaces"

echo "== $WARMUP versions unmeasured" >&2
python3 scripts/bench_cluster_client.py count "$TOKEN" "$WARMUP" "$PUSHERS" "${URLS[@]}" >&2
sleep "$SETTLE"

# Instructions of the dumps callgrind wrote since the last call (each is removed once counted).
dumped_instructions() {
    local total=0 file count
    for file in "$WORK"/serve.out.*; do
        [ -e "$file" ] || continue
        count=$(callgrind_annotate "$file" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
        total=$((total + ${count:-0}))
        if [ -n "${BENCH_CALLGRIND_OUT:-}" ]; then cp "$file" "$BENCH_CALLGRIND_OUT"; fi
        rm -f "$file"
    done
    echo "$total"
}
total_statements() {
    psql -X -q -A -t "$PG/bench" -c "SELECT coalesce(sum(s.calls), 0) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
        WHERE d.datname = 'bench' AND s.query NOT LIKE '%pg_stat_statements%'"
}
moto_requests() { grep -c '" [0-9][0-9][0-9] ' "$WORK/moto.log" || true; }
# The serve processes' CPU time so far, in clock ticks (utime + stime: fields 14 and 15 of
# /proc/PID/stat, read after the command name, which may hold spaces), summed over the nodes.
cpu_ticks() {
    local pid total=0
    for pid in "${SERVE_PIDS[@]}"; do total=$((total + $(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat"))); done
    echo "$total"
}
# The statements of the bench database since the last reset, most run first: calls, share of
# execution time, statement.
statement_table() {
    psql -X -q -A -t -F $'\t' "$PG/bench" <<SQL
SELECT s.calls, round((100 * s.total_exec_time / nullif(sum(s.total_exec_time) OVER (), 0))::numeric, 1),
       left(regexp_replace(s.query, '\s+', ' ', 'g'), 110)
FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
WHERE d.datname = 'bench' AND s.query NOT LIKE '%pg_stat_statements%'
ORDER BY s.calls DESC, s.total_exec_time DESC
SQL
}
# The idle server's own work (its periodic services) for IDLE seconds: instructions, statements
# and S3 requests, subtracted below at the same rate over the measured time.
IDLE=${BENCH_IDLE:-15}
idle_instructions=0
echo "== ${IDLE} s idle" >&2
psql -X -q -A -t "$PG/bench" -c "SELECT pg_stat_statements_reset()" >/dev/null
moto_idle_before=$(moto_requests)
if [ "$USE_CALLGRIND" = 1 ]; then callgrind_control -i on "$SERVE_PID" >/dev/null; fi
idle_ticks_before=$(cpu_ticks)
sleep "$IDLE"
idle_ticks=$(($(cpu_ticks) - idle_ticks_before))
if [ "$USE_CALLGRIND" = 1 ]; then
    callgrind_control -i off "$SERVE_PID" >/dev/null
    callgrind_control -d "$SERVE_PID" >/dev/null
    sleep 1
    idle_instructions=$(dumped_instructions)
fi
idle_statements=$(total_statements)
statement_table >"$WORK/idle-statements.tsv"
# CPU seconds per minute of the idle server (not measurable under callgrind: "null").
idle_cpu_per_minute=null
if [ "$USE_CALLGRIND" != 1 ]; then
    idle_cpu_per_minute=$(python3 -c "import os, sys; print(f'{int(sys.argv[1]) / os.sysconf(\"SC_CLK_TCK\") * 60 / float(sys.argv[2]):.3f}')" \
        "$idle_ticks" "$IDLE")
fi
idle_s3=$(($(moto_requests) - moto_idle_before))

echo "== $VERSIONS versions measured ($PUSHERS pushers)" >&2
psql -X -q -A -t "$PG/bench" -c "SELECT pg_stat_statements_reset()" >/dev/null
moto_before=$(wc -l <"$WORK/moto.log")
if [ "$USE_CALLGRIND" = 1 ]; then callgrind_control -i on "$SERVE_PID" >/dev/null; fi
started=$(date +%s.%N)
out=$(python3 scripts/bench_cluster_client.py count "$TOKEN" "$VERSIONS" "$PUSHERS" "${URLS[@]}")
echo "   $out" >&2
sleep "$SETTLE"
measured_seconds=$(python3 -c "import sys, time; print(f'{time.time() - float(sys.argv[1]):.1f}')" "$started")
gross_instructions=0
instructions=0
if [ "$USE_CALLGRIND" = 1 ]; then
    callgrind_control -i off "$SERVE_PID" >/dev/null
    callgrind_control -d "$SERVE_PID" >/dev/null
    sleep 1
    gross_instructions=$(dumped_instructions)
    instructions=$(python3 -c "import sys; g, i, s, t = map(float, sys.argv[1:]); print(max(0, round(g - i * s / t)))" \
        "$gross_instructions" "$idle_instructions" "$measured_seconds" "$IDLE")
    # (the same subtraction as net() below, which is defined after the statements are read)
fi
acknowledged=$(sed -n 's/.*versions=\([0-9]*\).*/\1/p' <<<"$out")
failures=$(sed -n 's/.*failures=\([0-9]*\).*/\1/p' <<<"$out")
[ "${acknowledged:-0}" -gt 0 ] || { echo "error: no version was acknowledged; the servers said:" >&2; cat "$WORK"/serve*.log >&2; exit 1; }

# Statements of the bench database only (the reset above zeroed them), most run first.
statement_table >"$WORK/statements.tsv"
gross_statements=$(awk -F'\t' '{ n += $1 } END { print n + 0 }' "$WORK/statements.tsv")
net() { python3 -c "import sys; g, i, s, t = map(float, sys.argv[1:]); print(max(0, round(g - i * s / t)))" "$@"; }
statements=$(net "$gross_statements" "$idle_statements" "$measured_seconds" "$IDLE")

# moto logs one line per request: … "PUT /bucket/key?query HTTP/1.1" 200 -. Keys are grouped by
# shape: hexadecimal runs and digests become *.
tail -n +"$((moto_before + 1))" "$WORK/moto.log" | sed -n 's/.*"\([A-Z]*\) \([^ ]*\) HTTP[^"]*" \([0-9]*\).*/\1 \2 \3/p' \
    | sed -E 's/[0-9a-f]{8,}/*/g; s#/[0-9a-f]{2}/[0-9a-f]{2}/#/../../#; s/(blake3|sha256)[-:]\*/*/g; s/\?.*$/?…/' | sort | uniq -c | sort -rn >"$WORK/s3.txt"
gross_s3=$(awk '{ n += $1 } END { print n + 0 }' "$WORK/s3.txt")
s3_requests=$(net "$gross_s3" "$idle_s3" "$measured_seconds" "$IDLE")

# Transactions PostgreSQL cancelled (serialization failures, deadlocks: each re-run by serve),
# by the statement that was cancelled; the server logs each error with its statement.
python3 - "$WORK/postgres.log" >"$WORK/conflicts.txt" <<'PY'
import collections, re, sys
counts, error = collections.Counter(), None
for line in open(sys.argv[1], errors="replace"):
    if "ERROR:" in line:
        error = line.split("ERROR:", 1)[1].strip()[:60]
    elif "STATEMENT:" in line and error:
        counts[(error, re.sub(r"\s+", " ", line.split("STATEMENT:", 1)[1]).strip()[:90])] += 1
        error = None
for (error, statement), count in counts.most_common(8):
    print(count, error, "|", statement)
PY
conflicts=$(awk '{ n += $1 } END { print n + 0 }' "$WORK/conflicts.txt")

per() { python3 -c "import sys; print(f'{int(sys.argv[1]) / max(1, int(sys.argv[2])):.{int(sys.argv[3])}f}')" "$1" "$2" "$3"; }
version_instructions=$(per "$instructions" "$acknowledged" 0)
statements_per_version=$(per "$statements" "$acknowledged" 2)
s3_per_version=$(per "$s3_requests" "$acknowledged" 2)

echo
echo "statements per version (calls / $acknowledged versions, share of PostgreSQL execution time, statement; idle server's included):"
awk -F'\t' -v n="$acknowledged" 'NR <= 40 { printf "  %7.2f  %5s%%  %s\n", $1 / n, $2, $3 }' "$WORK/statements.tsv"
echo "S3 requests per version (method, key shape, status; idle server's included):"
awk -v n="$acknowledged" 'NR <= 20 { c = $1; $1 = ""; printf "  %7.2f %s\n", c / n, $0 }' "$WORK/s3.txt"
echo "statements per second of the idle server (${IDLE} s before the pushes):"
awk -F'\t' -v t="$IDLE" 'NR <= 20 { printf "  %7.2f  %s\n", $1 / t, $3 }' "$WORK/idle-statements.tsv"
echo "statements PostgreSQL refused (the whole run, warm-up included; serve re-ran each transaction):"
sed 's/^/  /' "$WORK/conflicts.txt"
printf '\n%-34s %14s\n' "per acknowledged version" ""
printf '%-34s %14s\n' "instructions (serve)" "${version_instructions}"
printf '%-34s %14s\n' "  with the idle server's" "$(per "$gross_instructions" "$acknowledged" 0) (${measured_seconds} s, idle $(per "$idle_instructions" "$IDLE" 0)/s)"
printf '%-34s %14s\n' "statements (PostgreSQL)" "$statements_per_version"
printf '%-34s %14s\n' "  with the idle server's" "$(per "$gross_statements" "$acknowledged" 2) (idle $(per "$idle_statements" "$IDLE" 1)/s)"
printf '%-34s %14s\n' "S3 requests (moto)" "$s3_per_version"
printf '%-34s %14s\n' "  with the idle server's" "$(per "$gross_s3" "$acknowledged" 2) (idle $(per "$idle_s3" "$IDLE" 2)/s)"
printf '%-34s %14s\n' "refused statements (whole run)" "$conflicts"
printf '%-34s %14s\n' "idle: statements per second" "$(per "$idle_statements" "$IDLE" 2) ($NODES node(s))"
printf '%-34s %14s\n' "idle: serve CPU s per minute" "$idle_cpu_per_minute ($NODES node(s))"
printf '%-34s %14s\n' "versions measured" "$acknowledged (failures ${failures:-0})"

mkdir -p bench-results
stamp=$(date -u +%Y%m%dT%H%M%SZ)
python3 - "$WORK/statements.tsv" "$WORK/s3.txt" "$WORK/idle-statements.tsv" >"bench-results/writes-$stamp.json" <<PY
import json, sys
def table(path):
    return [dict(zip(("calls", "time_percent", "query"), line.rstrip("\n").split("\t"))) for line in open(path) if line.strip()]
statements = table(sys.argv[1])
s3 = [line.split(None, 1) for line in open(sys.argv[2]) if line.strip()]
print(json.dumps({"suite": "writes", "time": "$stamp", "commit": "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)",
  "binary": "$BIN", "versions": $acknowledged, "failures": ${failures:-0}, "pushers": $PUSHERS, "nodes": $NODES, "callgrind": $USE_CALLGRIND == 1,
  "version_instructions": $version_instructions, "gross_version_instructions": $(per "$gross_instructions" "$acknowledged" 0),
  "measured_seconds": $measured_seconds, "idle_instructions_per_second": $(per "$idle_instructions" "$IDLE" 0),
  "statements_per_version": $statements_per_version,
  "s3_requests_per_version": $s3_per_version, "refused_statements": $conflicts, "statements": statements,
  "s3_requests": [{"count": int(c), "request": r.strip()} for c, r in s3],
  "idle_seconds": $IDLE, "idle_statements_per_second": $(per "$idle_statements" "$IDLE" 2),
  "idle_cpu_seconds_per_minute": ${idle_cpu_per_minute/null/None}, "idle_statements": table(sys.argv[3])}, indent=1))
PY
echo "RESULT version_instructions=$version_instructions statements_per_version=$statements_per_version s3_requests_per_version=$s3_per_version versions=$acknowledged"
