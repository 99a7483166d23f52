# Shared by the scripts/bench*.sh suites (sourced, not run): installing the
# peers, building our release binary, ports, waiting, ratios, and starting our server and
# docker-registry on private loopback ports. Each function that starts a server appends its pid
# to the caller's PIDS array, which the caller's cleanup kills.

# Installs the Debian packages of the commands that are missing: bench_install CMD[=PKG] ...
bench_install() {
    local need=() item command package
    for item in "$@"; do
        command=${item%%=*}; package=${item#*=}
        command -v "$command" >/dev/null 2>&1 || need+=("$package")
    done
    if [ ${#need[@]} -gt 0 ]; then
        echo "== installing ${need[*]} (Debian)" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -qq "${need[@]}" >/dev/null || { apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null; }
    fi
    # The Debian packages start their own services; the benchmarks start theirs on private ports.
    service nginx stop >/dev/null 2>&1 || true
    service docker-registry stop >/dev/null 2>&1 || true
}

# How the release binaries are built wherever they are measured: the README's plain release build.
# Package.swift gives the executables the measured settings (docs/operations.md, "Memory": the
# Swift runtime and Foundation linked statically, relative relocations packed with lld's DT_RELR),
# so no flags are needed here, and the README, the benchmarks and the tests of the release binary
# share one .build/release.
RELEASE_FLAGS=(-c release)
# The benchmark tools are a package of their own (Benchmarks/, on the main package's products).
BENCH_PACKAGE_FLAGS=(-c release --package-path Benchmarks)

# Sets BIN: $ARTIFACTSTORE_BIN, or our release build (built now).
bench_binary() {
    if [ -n "${ARTIFACTSTORE_BIN:-}" ]; then
        BIN=$ARTIFACTSTORE_BIN
    else
        echo "== building artifactstore (release)" >&2
        swift build "${RELEASE_FLAGS[@]}" --product artifactstore >&2
        BIN=$(swift build "${RELEASE_FLAGS[@]}" --show-bin-path)/artifactstore
    fi
}

# Sets FLOOR_BIN: $HUMMINGBIRD_FLOOR_BIN, or the Benchmarks package's hummingbird-floor (a bare
# Hummingbird server answering every GET with 4 KiB from memory), built now in release mode.
bench_floor_binary() {
    if [ -n "${HUMMINGBIRD_FLOOR_BIN:-}" ]; then
        FLOOR_BIN=$HUMMINGBIRD_FLOOR_BIN
    else
        echo "== building hummingbird-floor (release)" >&2
        swift build "${BENCH_PACKAGE_FLAGS[@]}" --product hummingbird-floor >&2
        FLOOR_BIN=$(swift build "${BENCH_PACKAGE_FLAGS[@]}" --show-bin-path)/hummingbird-floor
    fi
}

# Starts $FLOOR_BIN on a free port. Sets FLOOR, FLOOR_PID.
start_floor() {
    local port
    port=$(free_port)
    "$FLOOR_BIN" "$port" >/dev/null 2>&1 &
    FLOOR_PID=$!
    PIDS+=("$FLOOR_PID")
    FLOOR="http://127.0.0.1:$port"
    wait_http "$FLOOR/" "${FLOOR_WAIT_TRIES:-100}"
}

# The EXIT trap of a suite that starts servers under $WORK: kills the pids in PIDS and an nginx
# started with nginx_conf "$WORK/nginx", then removes $WORK.
bench_cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    [ -f "$WORK/nginx/nginx.pid" ] && kill "$(cat "$WORK/nginx/nginx.pid")" 2>/dev/null || true
    rm -rf "$WORK"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# Waits for `$1` (a URL) to answer, trying $2 times (default 100) 0.2 s apart.
wait_http() { for _ in $(seq 1 "${2:-100}"); do curl -s -o /dev/null "$1" && return 0; sleep 0.2; done; echo "error: $1 did not answer" >&2; return 1; }
# Gives the next large write pages the machine has already touched. On these VMs a page the guest
# takes from memory it has not used lately costs a trip to the hypervisor: `dd` of 1 GiB into
# /dev/shm ran at 322-329 MB/s into fresh memory and at 1.6-2.4 GB/s right after the same amount
# was written and freed there. Without this, whichever server uploads first (or after a quiet
# spell) is timed on the hypervisor: nginx's 1 GiB PUT measured 242-267 MiB/s cold and 703-1077
# MiB/s warmed, on the same machine minutes apart. Writing and freeing RECYCLE_MIB (default 1536)
# in /dev/shm just before each timed upload puts every server on recycled pages.
recycle_memory() {
    dd if=/dev/zero of=/dev/shm/artifactstore-bench-recycle bs=1M count="${RECYCLE_MIB:-1536}" status=none 2>/dev/null || true
    rm -f /dev/shm/artifactstore-bench-recycle
}
# The median of three values (of the values given when a failed run left one empty).
median3() { printf '%s\n' "$@" | sort -g | awk 'NF { v[++n] = $0 } END { if (n) print v[int((n + 1) / 2)] }'; }
rss_mib() { awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
# CPU seconds (user + system, all threads) process $1 has used so far: the difference across a
# flow is what that flow cost the server, a figure the machine's other load barely moves (the
# wall-clock rate on these shared 2-core VMs swings by half from one minute to the next).
cpu_seconds() {
    python3 -c "import os, sys
fields = open(f'/proc/{sys.argv[1]}/stat').read().rsplit(')', 1)[1].split()
print((int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK'))" "$1"
}
# The smallest of any number of values (empty ones skipped): on this VM interference only adds
# time (the hypervisor backs freshly touched pages on first write: the same 1 GiB push took 1.1 s
# in one round and 8.2 s in another, its CPU seconds growing with it), so the best round is the
# estimate of a flow's own cost; the median shows the spread.
minimum() { printf '%s\n' "$@" | sort -g | awk 'NF { print; exit }'; }
# The median of any number of values (empty ones skipped); nothing when there are none.
median() { printf '%s\n' "$@" | sort -g | awk 'NF { v[++n] = $0 } END { if (n % 2) print v[(n + 1) / 2]; else if (n) print (v[n / 2] + v[n / 2 + 1]) / 2 }'; }
# a / b with two decimals; nan when either is missing or b is 0.
ratio() { python3 -c "import sys
try: a, b = float(sys.argv[1]), float(sys.argv[2]); print(f'{a / b:.2f}' if b > 0 else 'nan')
except ValueError: print('nan')" "${1:-x}" "${2:-x}"; }

# Starts `$BIN serve` with data under $1 and a fresh admin token, and creates namespace `bench`.
# Sets OURS, OURS_PID, TOKEN. The words of the array OURS_LAUNCHER, when set, run the server
# (valgrind and its options); OURS_WAIT_TRIES (default 100, 0.2 s apart) bounds the wait for it.
start_ours() {
    local port
    port=$(free_port)
    TOKEN="ast_$(python3 -c 'import secrets; print(secrets.token_hex(8) + "_" + secrets.token_hex(32))')"
    # BENCH_OURS_DATABASE (a postgres:// URL of an empty database) keeps our metadata there.
    ARTIFACTSTORE_ADMIN_TOKEN="$TOKEN" ARTIFACTSTORE_LOG_LEVEL=warning ${OURS_LAUNCHER[@]+"${OURS_LAUNCHER[@]}"} "$BIN" serve \
        --port "$port" --data-dir "$1/ours" ${BENCH_OURS_DATABASE:+--database "$BENCH_OURS_DATABASE"} >"$1/ours.log" 2>&1 &
    OURS_PID=$!
    PIDS+=("$OURS_PID")
    OURS="http://127.0.0.1:$port"
    wait_http "$OURS/readyz" "${OURS_WAIT_TRIES:-100}"
    curl -fsS -o /dev/null -X POST -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \
        -d '{"name":"bench"}' "$OURS/v1/namespaces"
}

# Starts `$BIN serve` again on the data under $1 that start_ours made, with the same token and
# port (OURS, TOKEN stay; OURS_PID is the new process): a process with nothing cached.
restart_ours() {
    ARTIFACTSTORE_LOG_LEVEL=warning ${OURS_LAUNCHER[@]+"${OURS_LAUNCHER[@]}"} "$BIN" serve \
        --port "${OURS##*:}" --data-dir "$1/ours" ${BENCH_OURS_DATABASE:+--database "$BENCH_OURS_DATABASE"} >>"$1/ours.log" 2>&1 &
    OURS_PID=$!
    PIDS+=("$OURS_PID")
    wait_http "$OURS/readyz" "${OURS_WAIT_TRIES:-100}"
}

# Starts docker-registry (filesystem storage under $1/registry, no auth). Sets REGISTRY, REGISTRY_PID.
start_registry() {
    local port
    port=$(free_port)
    mkdir -p "$1/registry"
    cat >"$1/registry.yml" <<YAML
version: 0.1
log: {level: error}
storage:
  filesystem: {rootdirectory: $1/registry}
http: {addr: 127.0.0.1:$port}
YAML
    docker-registry serve "$1/registry.yml" >"$1/registry.log" 2>&1 &
    REGISTRY_PID=$!
    PIDS+=("$REGISTRY_PID")
    REGISTRY="http://127.0.0.1:$port"
    wait_http "$REGISTRY/v2/"
}

# Writes $1/nginx.conf for nginx serving $1/root on 127.0.0.1:$2, with its temporaries under
# $1/tmp and no access log. $3 sets the process model (`worker_processes auto;`, or
# `master_process off; daemon off;` for one process); $4 goes inside `server` (e.g. a WebDAV
# location). Workers run as this user, so they can write under $1 (a private directory).
nginx_conf() {
    mkdir -p "$1/root" "$1/tmp"
    cat >"$1/nginx.conf" <<EOF
user $(id -un) $(id -gn);
$3
pid $1/nginx.pid;
error_log $1/error.log error;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    client_max_body_size 0;
    client_body_temp_path $1/tmp;
    proxy_temp_path $1/tmp; fastcgi_temp_path $1/tmp; uwsgi_temp_path $1/tmp; scgi_temp_path $1/tmp;
    server {
        listen 127.0.0.1:$2;
        root $1/root;
        $4
    }
}
EOF
}

# Interleaved rounds of the upload flows (BENCH_OCI_FLOWS=uploads, BENCH_HTTP_FLOWS=uploads): the
# caller declares `declare -A flow` and sets ROUNDS; flow[NAME,ROUND] holds "SECONDS CPU_SECONDS".
# round_measured PIDS COMMAND...: the output of COMMAND (its seconds, or a rate) and the CPU
# seconds the processes PIDS (comma-separated) used meanwhile, or nothing when COMMAND failed.
round_measured() {
    local pids=$1 before after out
    shift
    before=$(for pid in ${pids//,/ }; do cpu_seconds "$pid"; done | awk '{ s += $1 } END { print s }')
    out=$("$@" || true)
    after=$(for pid in ${pids//,/ }; do cpu_seconds "$pid"; done | awk '{ s += $1 } END { print s }')
    [ -n "$out" ] && python3 -c "import sys; print(sys.argv[1], f'{float(sys.argv[3]) - float(sys.argv[2]):.2f}')" "$out" "$before" "$after"
    return 0
}
# Field $2 (1: the time or rate, 2: CPU seconds) of flow $1 in every round that measured it.
round_samples() { local r; for r in $(seq 1 "$ROUNDS"); do echo "${flow[$1,$r]:-}" | awk -v f="$2" 'NF { print $f }'; done; }
# The per-round ratios of field $3 of flow $1 to that of flow $2.
round_ratios() {
    local r
    for r in $(seq 1 "$ROUNDS"); do
        ratio "$(echo "${flow[$1,$r]:-}" | awk -v f="$3" '{ print $f }')" "$(echo "${flow[$2,$r]:-}" | awk -v f="$3" '{ print $f }')"
    done | grep -v nan || true
}

# PostgreSQL refuses to run as root: its commands then run as `postgres`.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
# A PostgreSQL of the run's own (initdb under $1/pg, a free loopback port, trust for the superuser
# `bench`, pg_stat_statements preloaded; further arguments are the server's -c settings), so that
# nothing shared is reconfigured and no other client is counted. Sets PG (postgres://bench@…, no
# database), PG_PORT and PG_POSTMASTER (the server's pid, whose reaped children's CPU time
# /proc/PID/stat counts; added to PIDS); PG_BIN (default the newest /usr/lib/postgresql/*/bin) has the binaries.
start_private_postgres() {
    local dir=$1
    shift
    PG_BIN=${PG_BIN:-$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -1)}
    [ -x "$PG_BIN/initdb" ] || { echo "error: no PostgreSQL server binaries (set PG_BIN)" >&2; return 1; }
    mkdir -p "$dir/pg"
    chmod 755 "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir/pg"
    as_pg "$PG_BIN/initdb" -D "$dir/pg" -U bench --auth=trust >"$dir/initdb.log" 2>&1
    PG_PORT=$(free_port)
    as_pg "$PG_BIN/postgres" -D "$dir/pg" -p "$PG_PORT" -k "$dir/pg" -c listen_addresses=127.0.0.1 \
        -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all -c pg_stat_statements.max=2000 \
        -c max_connections=100 "$@" >"$dir/postgres.log" 2>&1 &
    PIDS+=("$!")
    PG="postgres://bench@127.0.0.1:$PG_PORT"
    for _ in $(seq 1 100); do psql -X -q "$PG/postgres" -c "SELECT 1" >/dev/null 2>&1 && break; sleep 0.2; done
    PG_POSTMASTER=$(head -1 "$dir/pg/postmaster.pid")
    # runuser does not pass its SIGTERM on: the caller's cleanup kills the server itself.
    PIDS+=("$PG_POSTMASTER")
}
# A moto_server of the run's own on a free port, its request log (unbuffered: it holds every request
# answered whenever it is read) in $1/moto.log. Sets S3 (its URL) and MOTO_PID.
start_private_moto() {
    local port
    port=$(free_port)
    PYTHONUNBUFFERED=1 moto_server -H 127.0.0.1 -p "$port" >"$1/moto.log" 2>&1 &
    MOTO_PID=$!
    PIDS+=("$MOTO_PID")
    S3="http://127.0.0.1:$port"
    wait_http "$S3/"
}
