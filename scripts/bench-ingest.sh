#!/usr/bin/env bash
# The `ingest` suite of scripts/bench.sh (run it through that script). See the header there.
set -euo pipefail

cd "$(dirname "$0")/.."
echo "== building artifactstore-bench (release)" >&2
# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh
swift build "${BENCH_PACKAGE_FLAGS[@]}" --product artifactstore-bench >&2
BIN=$(swift build "${BENCH_PACKAGE_FLAGS[@]}" --show-bin-path)/artifactstore-bench

SIZE_MIB=${BENCH_SIZE_MIB:-1024}
LARGE_MIB=${BENCH_LARGE_MIB:-4096}
WORK=$(mktemp -d "${BENCH_DIR:-/tmp}/artifactstore-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
FILE="$WORK/input.bin"
echo "== writing the benchmark's ${SIZE_MIB} MiB stream to a file for the reference tools" >&2
"$BIN" write-input --size-mib "$SIZE_MIB" "$FILE"
cat "$FILE" >/dev/null

mkdir -p bench-results
OUT="bench-results/ingest-$(date -u +%Y%m%dT%H%M%SZ).json"

python3 - "$BIN" "$FILE" "$SIZE_MIB" "$LARGE_MIB" "$WORK" "$OUT" <<'PY'
import json, os, platform, statistics, subprocess, sys, time

binary, path, size_mib, large_mib, work, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]
size = size_mib * 1024 * 1024
runs = 3

def timed(argv, **kwargs):
    start = time.perf_counter()
    result = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True, **kwargs)
    return time.perf_counter() - start, result.stdout.decode()

def sh(command):
    return timed(["bash", "-c", command])

def bench(size_mib, runs):
    store = os.path.join(work, "store")
    _, text = timed([binary, "ingest", "--size-mib", str(size_mib), "--runs", str(runs), "--dir", store])
    values = dict(line.split("=", 1) for line in text.split())
    subprocess.run(["rm", "-rf", store], check=True)
    return {
        "blake3": values["blake3"],
        "sha256": values["sha256"],
        "ingest": [float(x) for x in values["ingest_seconds"].split(",")],
        "serve": [float(x) for x in values["serve_seconds"].split(",")],
        "serve_unchecked": [float(x) for x in values["serve_unchecked_seconds"].split(",")],
        "serve_hashed": [float(x) for x in values["serve_hashed_seconds"].split(",")],
        "peak_rss_mib": int(values["peak_rss_kib"]) / 1024,
    }

references = {
    "b3sum --num-threads 1": f"b3sum --num-threads 1 '{path}'",
    "openssl dgst -sha256": f"openssl dgst -sha256 '{path}'",
    "cat > /dev/null": f"cat '{path}' > /dev/null",
    "dd bs=1M conv=fsync": f"dd if='{path}' of='{work}/dd.out' bs=1M conv=fsync status=none && rm -f '{work}/dd.out'",
}

# Warm up, and check our digests against the tools'.
outputs = {name: sh(command)[1] for name, command in references.items()}
ours = bench(size_mib, 1)
assert outputs["b3sum --num-threads 1"].split()[0] == ours["blake3"], "BLAKE3 differs from b3sum"
assert outputs["openssl dgst -sha256"].strip().split()[-1] == ours["sha256"], "SHA-256 differs from openssl"

# Interleave: each round runs every reference once and our three-run benchmark once.
samples = {name: [] for name in references}
ingest, serve, serve_unchecked, serve_hashed, rss_small = [], [], [], [], []
for _ in range(runs):
    for name, command in references.items():
        samples[name].append(sh(command)[0])
    result = bench(size_mib, 1)
    ingest += result["ingest"]
    serve += result["serve"]
    serve_unchecked += result["serve_unchecked"]
    serve_hashed += result["serve_hashed"]
    rss_small.append(result["peak_rss_mib"])
large = bench(large_mib, 1)

median = {name: statistics.median(values) for name, values in samples.items()}
gbps = {name: size / seconds / 1e9 for name, seconds in median.items()}
ours_gbps = {
    "ingest": size / statistics.median(ingest) / 1e9,
    "serve (proved)": size / statistics.median(serve) / 1e9,
    "serve (hashed)": size / statistics.median(serve_hashed) / 1e9,
    "serve (unchecked)": size / statistics.median(serve_unchecked) / 1e9,
}
ceiling = min(gbps["b3sum --num-threads 1"], gbps["openssl dgst -sha256"])
ratios = {
    "ingest_ratio": ours_gbps["ingest"] / ceiling,
    "serve_ratio": ours_gbps["serve (proved)"] / gbps["cat > /dev/null"],
    "serve_hashed_ratio": ours_gbps["serve (hashed)"] / gbps["cat > /dev/null"],
    "serve_hashed_vs_b3sum": ours_gbps["serve (hashed)"] / gbps["b3sum --num-threads 1"],
    "serve_unchecked_ratio": ours_gbps["serve (unchecked)"] / gbps["cat > /dev/null"],
    "ingest_vs_dd": ours_gbps["ingest"] / gbps["dd bs=1M conv=fsync"],
}
peak_rss = max(max(rss_small), large["peak_rss_mib"])

print(f"\n{'command':<26} {'median s':>9} {'GB/s':>7}   ({size_mib} MiB, median of {runs})")
for name in references:
    print(f"{name:<26} {median[name]:>9.3f} {gbps[name]:>7.2f}")
for name, value in ours_gbps.items():
    print(f"{'artifactstore ' + name:<26} {size / value / 1e9:>9.3f} {value:>7.2f}")
print()
print(f"{'ingest vs hash ceiling':<26} {ratios['ingest_ratio']:>7.2f}x  (ceiling: {ceiling:.2f} GB/s, the slower hash)")
print(f"{'ingest vs dd conv=fsync':<26} {ratios['ingest_vs_dd']:>7.2f}x")
print(f"{'serve (proved) vs cat':<26} {ratios['serve_ratio']:>7.2f}x  (default: an object read whole before, proved by its stamp)")
print(f"{'serve (hashed) vs cat':<26} {ratios['serve_hashed_ratio']:>7.2f}x  (first whole read: {ratios['serve_hashed_vs_b3sum']:.2f}x b3sum)")
print(f"{'serve (unchecked) vs cat':<26} {ratios['serve_unchecked_ratio']:>7.2f}x")
print(f"{'peak RSS at ' + str(size_mib) + ' MiB':<26} {max(rss_small):>7.1f} MiB")
print(f"{'peak RSS at ' + str(large_mib) + ' MiB':<26} {large['peak_rss_mib']:>7.1f} MiB  (ingest {large_mib / 1024 * 1.073741824 / large['ingest'][0]:.2f} GB/s)")

report = {
    "suite": "ingest",
    "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
    "size_bytes": size,
    "runs": runs,
    "reference_samples_seconds": samples,
    "ingest_seconds": ingest,
    "serve_seconds": serve,
    "serve_unchecked_seconds": serve_unchecked,
    "serve_hashed_seconds": serve_hashed,
    "gigabytes_per_second": {**gbps, **{"artifactstore " + k: v for k, v in ours_gbps.items()}},
    "ratios": ratios,
    "peak_rss_mib": {str(size_mib): max(rss_small), str(large_mib): large["peak_rss_mib"]},
}
with open(out, "w") as f:
    json.dump(report, f, indent=2)
print(f"\nwrote {out}")
print(f"RESULT ingest_ratio={ratios['ingest_ratio']:.3f} serve_ratio={ratios['serve_ratio']:.3f} peak_rss_mib={peak_rss:.1f}")
PY
