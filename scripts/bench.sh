#!/usr/bin/env bash
# Benchmarks, in release mode, as ratios against references measured in the same run.
#
#   scripts/bench.sh hash     BLAKE3 vs `b3sum --num-threads 1`, SHA-256 vs `openssl dgst -sha256`,
#                             the dual digester vs the slower of our two single hashes; 1 GiB file
#                             in the page cache, median of 3 runs each.
#
#   scripts/bench.sh ingest   LocalDataPlane ingest of a 1 GiB stream generated in memory into a
#                             filesystem backend, and serve of it back, median of 3 each
#                             (artifactstore-bench): serve_ratio is the default whole read of an
#                             object read before (proved by its stamp); the first, hashed read and
#                             an unchecked read are printed beside it. Against the hashing ceiling (the slower of
#                             `openssl dgst -sha256` and `b3sum --num-threads 1` on the same bytes)
#                             and `cat file > /dev/null`; `dd … conv=fsync` write speed for
#                             reference; peak RSS of a 1 GiB and of a 4 GiB run. The store and the
#                             input file live under $BENCH_DIR (default /tmp, the disk); set
#                             BENCH_DIR=/dev/shm to take the device out and measure our own cost.
#
#   scripts/bench.sh remote   ingest and serve of a 1 GiB stream generated in memory through the
#                             data plane daemon (the real `artifactstore dataplane`, a separate
#                             process, filesystem backend under $BENCH_DIR) with RemoteDataPlane,
#                             against the same in process (LocalDataPlane) in the same run,
#                             alternating, median of 3 each (artifactstore-remote-bench); the
#                             daemon's peak RSS (VmHWM). Targets: >= 0.8x both ways, < 64 MiB.
#                             Whole serves take the object's descriptor from the daemon;
#                             BENCH_REMOTE_STREAM=1 streams them through the socket instead.
#
#   scripts/bench.sh http     our release server against docker-registry and nginx from Debian,
#                             side by side in one run (scripts/bench-http.sh): 1 GiB upload and
#                             download, 2,000 x 4 KiB uploads at c=16, 4 KiB GET and HEAD at c=64
#                             with wrk, the same over 2,000 distinct blobs in rotation (a working
#                             set, not one hot blob; BENCH_HTTP_FLOWS=working-set runs only
#                             those), peak RSS of each server; then the OCI blob flows against
#                             our /v2 and docker-registry (scripts/bench-oci.sh): monolithic and
#                             chunked 1 GiB push (64 MiB PATCHes), pull, 4 KiB push and GET.
#
#   scripts/bench.sh tls      HTTP/2 against HTTP/1.1 over TLS on one release server with curl
#                             (scripts/bench-tls.sh): a 256 MiB blob uploaded and downloaded with
#                             --http2 and --http1.1, alternating, median of 3 each; peak RSS.
#
#   scripts/bench.sh instructions
#                             user-space instructions per 4 KiB GET (ours and nginx) and per HEAD
#                             (ours), warm and cold (blobs never read before), counted by callgrind (scripts/bench-instructions.sh): a
#                             count that does not swing with the machine's load.
#
#   scripts/bench.sh manifests
#                             the server's peak and after-RSS against its idle RSS while eight
#                             different manifests of just under 4 MB (9,000 layers) are pushed at
#                             once, then eight of 26,000 layers (refused) (scripts/bench-manifests.sh).
#
#   scripts/bench.sh cluster  writes (4 KiB blob + one-file version) by 4 and 16 pushers through 1,
#                             2 and 3 `serve` processes on one PostgreSQL database and one S3
#                             bucket (moto), interleaved in rounds, with the CPU of every process
#                             per version, deadlocks, rollbacks and the audit sealed lag
#                             (scripts/bench-cluster.sh).
#
#   scripts/bench.sh writes   what one acknowledged write (4 KiB blob + one-file version, PostgreSQL and
#                             moto S3, as a cluster node) costs, counted: serve's instructions
#                             (callgrind), PostgreSQL statements (pg_stat_statements on a private
#                             server) and S3 requests (moto's log) per version (scripts/bench-write-cost.sh).
#
#   scripts/bench.sh ranges   a 1 MiB range from the middle of a 1 GiB object, proved (with a
#                             kept proof, and without) against unchecked in process, the same
#                             by callgrind instruction counts, and over HTTP against nginx
#                             (scripts/bench-ranges.sh); the outboard's share of the object.
#
# Prints a table, writes JSON under bench-results/, and ends with one machine-readable line:
#   RESULT blake3_ratio=<x> sha256_ratio=<y> dual_ratio=<z>                 (hash)
#   RESULT ingest_ratio=<x> serve_ratio=<y> peak_rss_mib=<z>                (ingest)
#   RESULT remote_ingest_ratio=<x> remote_serve_ratio=<y> daemon_peak_rss_mib=<z>   (remote)
#   RESULT upload_vs_registry=… upload_vs_nginx=… download_vs_nginx=… small_put_vs_registry=…
#          small_get_vs_registry=… small_get_vs_nginx=… head_vs_registry=… small_get_2k_vs_registry=…
#          small_get_2k_vs_nginx=… head_2k_vs_registry=… peak_rss_mib=…   (http)
#   RESULT get_instructions=… cold_get_instructions=… nginx_get_instructions=… get_instructions_vs_nginx=…
#          head_instructions=… cold_head_instructions=… cold_get_vs_warm=…   (instructions)
#   RESULT writes_2n_vs_1n=… writes_3n_vs_1n=… deadlocks=… rollback_ratio=… sealed_lag_p99_ms=…
#          writes_1n=… cpu_ms_per_version_1n=… cpu_ms_per_version_2n=… cpu_ms_per_version_3n=…
#          cpu_2n_vs_1n=… cpu_3n_vs_1n=… others_cpu_percent=…   (cluster)
#   RESULT version_instructions=… statements_per_version=… s3_requests_per_version=… versions=…   (writes)
#   RESULT range_vs_unchecked=… uncached_range_vs_unchecked=… instructions_extra_vs_blake3=…
#          http_range_vs_nginx=… outboard_percent=…                         (ranges)
#   RESULT h2_download_vs_http1=… h2_upload_vs_http1=… peak_rss_mib=…    (tls)
#   RESULT idle_rss_mib=… peak_rss_mib=… after_rss_mib=… peak_vs_idle=… after_vs_idle=…
#          refused_peak_vs_idle=… refused_after_vs_idle=… seconds=…        (manifests)
#   RESULT oci_upload_vs_registry=… oci_chunked_vs_registry=… oci_download_vs_registry=…
#          oci_small_put_vs_registry=… oci_small_get_vs_registry=… chunked_vs_monolithic=…
#          chunked_vs_registry=…                                             (http, last line)
set -euo pipefail

cd "$(dirname "$0")/.."
suite=${1:-}
case "$suite" in
    hash|ingest) ;;
    remote) exec scripts/bench-remote.sh ;;
    http)
        # The /v1 flows (issue 7), then the same blob flows over OCI /v2 (issue 8) against
        # docker-registry on an identical protocol; each ends with its own RESULT line, the OCI
        # one last.
        scripts/bench-http.sh
        exec scripts/bench-oci.sh ;;
    instructions) exec scripts/bench-instructions.sh ;;
    cluster) exec scripts/bench-cluster.sh ;;
    writes) exec scripts/bench-write-cost.sh ;;
    ranges) exec scripts/bench-ranges.sh ;;
    manifests) exec scripts/bench-manifests.sh ;;
    tls) exec scripts/bench-tls.sh ;;
    *) echo "usage: scripts/bench.sh hash|ingest|remote|http|instructions|cluster|writes|ranges|manifests|tls" >&2; exit 2 ;;
esac

if ! command -v b3sum >/dev/null 2>&1; then
    echo "== installing b3sum (Debian)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq b3sum >/dev/null \
        || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq b3sum >/dev/null; }
fi
command -v openssl >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null

if [ "$suite" = ingest ]; then
    exec scripts/bench-ingest.sh
fi

echo "== building artifactstore (release)" >&2
# The same flags as every benchmark build (scripts/bench-lib.sh), so suites run one after another
# share one build instead of rebuilding everything.
# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh
swift build "${RELEASE_FLAGS[@]}" --product artifactstore >&2
BIN=$(swift build "${RELEASE_FLAGS[@]}" --show-bin-path)/artifactstore

SIZE_MIB=${BENCH_SIZE_MIB:-1024}
WORK=$(mktemp -d /tmp/artifactstore-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
FILE="$WORK/input.bin"
echo "== writing a ${SIZE_MIB} MiB file and reading it into the page cache" >&2
head -c "$((SIZE_MIB * 1024 * 1024))" /dev/urandom >"$FILE"
cat "$FILE" >/dev/null

mkdir -p bench-results
OUT="bench-results/hash-$(date -u +%Y%m%dT%H%M%SZ).json"

python3 - "$BIN" "$FILE" "$SIZE_MIB" "$OUT" <<'PY'
import json, os, platform, statistics, subprocess, sys, time

binary, path, size_mib, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
size = size_mib * 1024 * 1024
runs = 3

commands = {
    "b3sum --num-threads 1": ["b3sum", "--num-threads", "1", path],
    "openssl dgst -sha256": ["openssl", "dgst", "-sha256", path],
    "artifactstore blake3": [binary, "digest", "--algorithm", "blake3", path],
    "artifactstore sha256": [binary, "digest", "--algorithm", "sha256", path],
    "artifactstore dual": [binary, "digest", path],
}

def timed(argv):
    start = time.perf_counter()
    result = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)
    return time.perf_counter() - start, result.stdout.decode()

# Warm up once each (page cache, binaries), and check the tools agree on the digests.
outputs = {name: timed(argv)[1] for name, argv in commands.items()}
b3 = outputs["b3sum --num-threads 1"].split()[0]
sha = outputs["openssl dgst -sha256"].strip().split()[-1]
assert outputs["artifactstore blake3"].split()[0] == "blake3:" + b3, "BLAKE3 digests differ from b3sum"
assert outputs["artifactstore sha256"].split()[0] == "sha256:" + sha, "SHA-256 digests differ from openssl"
assert outputs["artifactstore dual"].split()[:2] == ["blake3:" + b3, "sha256:" + sha], "dual digests differ"

# Interleave the runs so drift on a noisy machine touches every command alike.
samples = {name: [] for name in commands}
for _ in range(runs):
    for name, argv in commands.items():
        samples[name].append(timed(argv)[0])

median = {name: statistics.median(values) for name, values in samples.items()}
gbps = {name: size / seconds / 1e9 for name, seconds in median.items()}

ours_b3, ours_sha, ours_dual = gbps["artifactstore blake3"], gbps["artifactstore sha256"], gbps["artifactstore dual"]
slower_single = min(ours_b3, ours_sha)
ratios = {
    "blake3_ratio": ours_b3 / gbps["b3sum --num-threads 1"],
    "sha256_ratio": ours_sha / gbps["openssl dgst -sha256"],
    "dual_ratio": ours_dual / slower_single,
}

print(f"\n{'command':<26} {'median s':>9} {'GB/s':>7}   (1 file of {size_mib} MiB, median of {runs})")
for name in commands:
    print(f"{name:<26} {median[name]:>9.3f} {gbps[name]:>7.2f}")
print()
print(f"{'BLAKE3 vs b3sum -t1':<26} {ratios['blake3_ratio']:>7.2f}x")
print(f"{'SHA-256 vs openssl':<26} {ratios['sha256_ratio']:>7.2f}x")
print(f"{'dual vs slower single':<26} {ratios['dual_ratio']:>7.2f}x  (slower single: {slower_single:.2f} GB/s)")

report = {
    "suite": "hash",
    "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
    "size_bytes": size,
    "runs": runs,
    "samples_seconds": samples,
    "median_seconds": median,
    "gigabytes_per_second": gbps,
    "ratios": ratios,
}
with open(out, "w") as f:
    json.dump(report, f, indent=2)
print(f"\nwrote {out}")
print("RESULT " + " ".join(f"{k}={v:.3f}" for k, v in ratios.items()))
PY
