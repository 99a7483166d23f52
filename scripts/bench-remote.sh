#!/usr/bin/env bash
# The `remote` suite of scripts/bench.sh (run it through that script). See the header there.
set -euo pipefail

cd "$(dirname "$0")/.."
echo "== building artifactstore and artifactstore-remote-bench (release)" >&2
# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh
swift build "${RELEASE_FLAGS[@]}" --product artifactstore >&2
swift build "${BENCH_PACKAGE_FLAGS[@]}" --product artifactstore-remote-bench >&2
BIN_DIR=$(swift build "${RELEASE_FLAGS[@]}" --show-bin-path)
BENCH_BIN_DIR=$(swift build "${BENCH_PACKAGE_FLAGS[@]}" --show-bin-path)

SIZE_MIB=${BENCH_SIZE_MIB:-1024}
RUNS=${BENCH_RUNS:-3}
WORK=$(mktemp -d "${BENCH_DIR:-/tmp}/asrb.XXXXXX")
SOCKET="$WORK/dp.sock"
mkdir -p "$WORK/store-local" "$WORK/store-remote"

"$BIN_DIR/artifactstore" dataplane --socket "$SOCKET" --backend "main=file://$WORK/store-remote" 2>"$WORK/daemon.log" &
DAEMON=$!
cleanup() {
    kill -TERM "$DAEMON" 2>/dev/null || true
    wait "$DAEMON" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
for _ in $(seq 1 200); do [ -S "$SOCKET" ] && break; sleep 0.05; done
[ -S "$SOCKET" ] || { cat "$WORK/daemon.log" >&2; echo "the daemon did not start" >&2; exit 1; }

mkdir -p bench-results
OUT="bench-results/remote-$(date -u +%Y%m%dT%H%M%SZ).json"

echo "== ${RUNS} runs of ${SIZE_MIB} MiB, in process and through the daemon (pid $DAEMON), alternating" >&2
# BENCH_REMOTE_STREAM=1: remote serves stream through the socket instead of taking the object's
# descriptor (the path before descriptor passing, and the one for ranged serves and S3).
STREAM_FLAG=()
[ "${BENCH_REMOTE_STREAM:-0}" = 1 ] && STREAM_FLAG=(--stream)
TEXT=$("$BENCH_BIN_DIR/artifactstore-remote-bench" --socket "$SOCKET" --dir "$WORK/store-local" --size-mib "$SIZE_MIB" --runs "$RUNS" "${STREAM_FLAG[@]}")
DAEMON_HWM_KIB=$(awk '/^VmHWM:/ { print $2 }' "/proc/$DAEMON/status")

python3 - "$SIZE_MIB" "$DAEMON_HWM_KIB" "$OUT" "$TEXT" <<'PY'
import json, os, platform, statistics, sys, time

size_mib, hwm_kib, out, text = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
size = size_mib * 1024 * 1024
values = dict(line.split("=", 1) for line in text.split())
samples = {key: [float(x) for x in value.split(",")] for key, value in values.items() if key.endswith("_seconds")}
median = {key: statistics.median(v) for key, v in samples.items()}
gbps = {key.replace("_seconds", ""): size / seconds / 1e9 for key, seconds in median.items()}
ratios = {
    "remote_ingest_ratio": gbps["remote_ingest"] / gbps["local_ingest"],
    "remote_serve_ratio": gbps["remote_serve"] / gbps["local_serve"],
}
rss_mib = hwm_kib / 1024

print(f"\n{'measurement':<16} {'median s':>9} {'GB/s':>7}   ({size_mib} MiB, median of {len(samples['local_ingest_seconds'])})")
for key in ["local_ingest", "remote_ingest", "local_serve", "remote_serve"]:
    print(f"{key:<16} {median[key + '_seconds']:>9.3f} {gbps[key]:>7.2f}")
print()
print(f"{'ingest remote/in-process':<26} {ratios['remote_ingest_ratio']:>6.2f}x  (target >= 0.8)")
print(f"{'serve remote/in-process':<26} {ratios['remote_serve_ratio']:>6.2f}x  (target >= 0.8)")
print(f"{'daemon peak RSS (VmHWM)':<26} {rss_mib:>6.1f} MiB (target < 64)")
print(f"{'remote serves by descriptor':<26} {values.get('remote_descriptor_serves', '?'):>6}")

report = {
    "suite": "remote",
    "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "loadavg": os.getloadavg()},
    "bench_dir": os.environ.get("BENCH_DIR", "/tmp"),
    "size_bytes": size,
    "samples_seconds": samples,
    "median_seconds": median,
    "gigabytes_per_second": gbps,
    "ratios": ratios,
    "daemon_peak_rss_mib": rss_mib,
    "digest": values.get("digest"),
    "remote_descriptor_serves": int(values.get("remote_descriptor_serves", "0")),
}
with open(out, "w") as f:
    json.dump(report, f, indent=2)
print(f"\nwrote {out}")
print(f"RESULT remote_ingest_ratio={ratios['remote_ingest_ratio']:.3f} remote_serve_ratio={ratios['remote_serve_ratio']:.3f} daemon_peak_rss_mib={rss_mib:.1f}")
PY
