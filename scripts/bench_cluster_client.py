#!/usr/bin/env python3
"""Pushers for scripts/bench-cluster.sh, and the sealed-lag sampler.

    bench_cluster_client.py push  TOKEN SECONDS PUSHERS URL [URL ...]
        PUSHERS threads, spread round-robin over the URLs (one keep-alive connection each), each
        pushing for SECONDS: a unique 4 KiB blob (POST /v1/namespaces/bench/blobs) then a
        one-file version of it (PUT …/artifacts/p<N>/versions/<i>). Every request carries a unique
        X-Request-ID (`bench-<run>-<pusher>-<i>-{blob,version}`), which its audit record keeps.
        Prints `versions=<n> seconds=<s> failures=<f> p90_ms=<version latency p90>`.

    bench_cluster_client.py count TOKEN VERSIONS PUSHERS URL
        The same pushes, but exactly VERSIONS of them (spread over PUSHERS threads, one
        keep-alive connection each, all to URL) instead of for a time: what scripts/bench-write-cost.sh
        counts instructions, statements and S3 requests over. Prints the same line.

    bench_cluster_client.py lag   PSQL_URL SCHEMA SECONDS PREFIX
        Samples `audit_pending` every 20 ms through one psql session for SECONDS (plus 3 s to drain),
        then reads the sealed records whose request id starts with PREFIX and whose time falls after the
        first sample. A record's sealed lag
        is the time of the first sample after its timestamp in which it was no longer pending,
        minus its timestamp (an upper bound, 20 ms granular). Prints
        `sealed_lag_p50_ms=… sealed_lag_p99_ms=… sealed_records=… never_sealed=…`.
"""
import http.client
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse


def push(token, seconds, pushers, urls, versions=None):
    """Pushes for `seconds`, or (when `versions` is given) exactly that many versions in all."""
    run = os.urandom(4).hex()
    deadline = time.monotonic() + seconds
    counts, failures, latencies = [0] * pushers, [0] * pushers, []
    lock = threading.Lock()

    def more(index, i):
        if versions is None:
            return time.monotonic() < deadline
        return i < versions // pushers + (1 if index < versions % pushers else 0)

    def pusher(index):
        target = urllib.parse.urlsplit(urls[index % len(urls)])
        connection = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
        i = 0
        while more(index, i):
            i += 1
            rid = f"bench-{run}-{index}-{i}"
            headers = {"Authorization": f"Bearer {token}"}
            try:
                connection.request("POST", "/v1/namespaces/bench/blobs", body=os.urandom(4096),
                                   headers={**headers, "X-Request-ID": rid + "-blob"})
                response = connection.getresponse()
                body = response.read()
                if response.status != 201:
                    failures[index] += 1
                    continue
                address = json.loads(body)["address"]
                manifest = json.dumps({"files": [{"path": "f", "address": address}]}).encode()
                started = time.monotonic()
                connection.request("PUT", f"/v1/namespaces/bench/artifacts/p{index}-{run}/versions/{i}", body=manifest,
                                   headers={**headers, "X-Request-ID": rid + "-version", "Content-Type": "application/json"})
                response = connection.getresponse()
                response.read()
                if response.status == 201:
                    counts[index] += 1
                    with lock:
                        latencies.append(time.monotonic() - started)
                else:
                    failures[index] += 1
            except (OSError, http.client.HTTPException):
                failures[index] += 1
                connection.close()
                connection = http.client.HTTPConnection(target.hostname, target.port, timeout=60)

    started = time.monotonic()
    threads = [threading.Thread(target=pusher, args=(n,)) for n in range(pushers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    p90 = latencies[int(len(latencies) * 0.9)] * 1000 if latencies else float("nan")
    print(f"versions={sum(counts)} seconds={elapsed:.2f} failures={sum(failures)} p90_ms={p90:.1f} run={run}")


def lag(psql_url, schema, seconds, prefix):
    session = subprocess.Popen(["psql", "-X", "-A", "-t", "-q", psql_url], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True, bufsize=1)
    session.stdin.write(f'SET search_path TO "{schema}";\n')
    samples = []  # (epoch seconds, set of pending request ids)
    deadline = time.monotonic() + seconds + 3
    while time.monotonic() < deadline:
        # The marker ends every answer, so a failed query (no audit_pending before schema 5) cannot
        # leave the reader waiting.
        session.stdin.write("SELECT extract(epoch FROM clock_timestamp()) || '|' || "
                            "coalesce(string_agg(request_id, ','), '') FROM audit_pending;\n\\echo END\n")
        session.stdin.flush()
        for line in iter(session.stdout.readline, ""):
            line = line.strip()
            if line == "END":
                break
            stamp, _, ids = line.partition("|")
            try:
                samples.append((float(stamp), set(filter(None, ids.split(",")))))
            except ValueError:
                pass
        time.sleep(0.02)
    session.stdin.write(f"SELECT request_id || '|' || time FROM audit_log WHERE request_id LIKE '{prefix}%';\n")
    session.stdin.close()
    records = [line.strip().split("|") for line in session.stdout if "|" in line]
    session.wait()
    lags, never = [], 0
    first = samples[0][0] if samples else float("inf")
    for rid, stamp in records:
        written = int(stamp) / 1000
        if written < first:
            continue  # written before sampling began (an earlier run)
        sealed = next((t for t, pending in samples if t > written and rid not in pending), None)
        if sealed is None:
            never += 1
        else:
            lags.append((sealed - written) * 1000)
    lags.sort()
    pick = lambda q: f"{lags[min(len(lags) - 1, int(len(lags) * q))]:.0f}" if lags else "nan"
    print(f"sealed_lag_p50_ms={pick(0.5)} sealed_lag_p99_ms={pick(0.99)} sealed_records={len(lags)} never_sealed={never}")


if __name__ == "__main__":
    if sys.argv[1] == "push":
        push(sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), sys.argv[5:])
    elif sys.argv[1] == "count":
        push(sys.argv[2], float("inf"), int(sys.argv[4]), sys.argv[5:], versions=int(sys.argv[3]))
    elif sys.argv[1] == "lag":
        lag(sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5])
    else:
        sys.exit("usage: bench_cluster_client.py push|count|lag …")
