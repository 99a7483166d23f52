#!/usr/bin/env bash
# What a full recount of one namespace's usage costs at N blobs (default 100,000), against
# reading its maintained counter row: the figures behind docs/operations.md, "Quotas".
# SQLite through the sqlite3 shell on a file; PostgreSQL through psql on $ARTIFACTSTORE_TEST_POSTGRES_URL
# (in a schema of its own, dropped at the end) when that is set. Same tables and indexes as the
# control plane's schema for the columns the queries read.
set -euo pipefail
N="${1:-100000}"
SCHEMA="
CREATE TABLE blobs (address TEXT PRIMARY KEY, size BIGINT NOT NULL);
CREATE TABLE links (namespace TEXT NOT NULL, address TEXT NOT NULL, linked_at BIGINT NOT NULL, PRIMARY KEY (namespace, address));
CREATE INDEX links_by_address ON links (address);
CREATE TABLE version_files (namespace TEXT NOT NULL, artifact TEXT NOT NULL, version TEXT NOT NULL, path TEXT NOT NULL,
  address TEXT NOT NULL, size BIGINT NOT NULL, PRIMARY KEY (namespace, artifact, version, path));
CREATE INDEX version_files_by_address ON version_files (address, namespace);
CREATE TABLE namespace_usage (namespace TEXT PRIMARY KEY, objects BIGINT NOT NULL, files BIGINT NOT NULL,
  bytes_referenced BIGINT NOT NULL, bytes_stored BIGINT NOT NULL);"
RECOUNT="SELECT (SELECT COUNT(*) FROM links WHERE namespace = 'team') AS objects,
  (SELECT CAST(COALESCE(SUM(b.size), 0) AS BIGINT) FROM links l JOIN blobs b ON b.address = l.address WHERE l.namespace = 'team') AS stored,
  (SELECT COUNT(*) FROM version_files WHERE namespace = 'team') AS files,
  (SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM version_files WHERE namespace = 'team') AS referenced;"
COUNTER="SELECT objects, files, bytes_referenced, bytes_stored FROM namespace_usage WHERE namespace = 'team';"
# N blobs in namespace team, each linked and named by one file of one of N/100 versions.
fill() {
  echo "INSERT INTO blobs SELECT 'blake3:' || i, 1000 + i % 5000 FROM $1;"
  echo "INSERT INTO links SELECT 'team', 'blake3:' || i, 0 FROM $1;"
  echo "INSERT INTO version_files SELECT 'team', 'app', 'v' || (i / 100), 'f' || i, 'blake3:' || i, 1000 + i % 5000 FROM $1;"
  echo "INSERT INTO namespace_usage VALUES ('team', $N, $N, 0, 0);"
}

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
db="$dir/usage.sqlite"
{
  echo "$SCHEMA"
  echo "CREATE TEMP TABLE seq AS WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i + 1 < $N) SELECT i FROM s;"
  fill seq
  echo "ANALYZE;"
} | sqlite3 "$db"
run_sqlite() { # query, repetitions → ms per query
  local start end
  start=$(date +%s%N)
  for _ in $(seq "$2"); do echo "$1"; done | sqlite3 "$db" > /dev/null
  end=$(date +%s%N)
  python3 -c "print(round(($end - $start) / 1e6 / $2, 3))"
}
base=$(run_sqlite "SELECT 1;" 20)
echo "RESULT sqlite blobs=$N recount_ms=$(run_sqlite "$RECOUNT" 20) counter_ms=$(run_sqlite "$COUNTER" 20) empty_query_ms=$base"

if [ -n "${ARTIFACTSTORE_TEST_POSTGRES_URL:-}" ]; then
  s="bench_usage_$$"
  psql -q "$ARTIFACTSTORE_TEST_POSTGRES_URL" -v ON_ERROR_STOP=1 -c "CREATE SCHEMA $s" > /dev/null
  trap 'psql -q "$ARTIFACTSTORE_TEST_POSTGRES_URL" -c "DROP SCHEMA '"$s"' CASCADE" > /dev/null 2>&1; rm -rf "$dir"' EXIT
  {
    echo "SET search_path TO $s;"
    echo "$SCHEMA"
    echo "CREATE TEMP TABLE seq AS SELECT generate_series(0, $N - 1) AS i;"
    fill seq
    echo "ANALYZE;"
  } | psql -q "$ARTIFACTSTORE_TEST_POSTGRES_URL" -v ON_ERROR_STOP=1 > /dev/null
  run_pg() {
    { echo "SET search_path TO $s;"; echo '\timing on'; for _ in $(seq "$2"); do echo "$1"; done; } \
      | psql -q "$ARTIFACTSTORE_TEST_POSTGRES_URL" | awk '/^Time:/ { sum += $2; n++ } END { if (n) printf "%.3f", sum / n }'
  }
  echo "RESULT postgres blobs=$N recount_ms=$(run_pg "$RECOUNT" 20) counter_ms=$(run_pg "$COUNTER" 20)"
fi
