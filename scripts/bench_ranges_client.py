#!/usr/bin/env python3
"""The HTTP client of scripts/bench-ranges.sh: times a 1 MiB `Range` GET from the middle of an
object on two servers, one keep-alive connection each, interleaved, and prints the medians.

Each response is read whole into one preallocated buffer, so the client's own cost per response
is small and the same for both servers. A response that is not a 206 of exactly the range's bytes
stops the run.
"""
import argparse
import http.client
import statistics
import sys
import time
import urllib.parse


def connection(url):
    parts = urllib.parse.urlsplit(url)
    return http.client.HTTPConnection(parts.hostname, parts.port), parts.path


def timed_get(conn, path, headers, length, buffer):
    start = time.perf_counter()
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    view = memoryview(buffer)
    received = 0
    while received < length:
        count = response.readinto(view[received:])
        if not count:
            break
        received += count
    extra = response.read()
    elapsed = time.perf_counter() - start
    if response.status != 206 or received != length or extra:
        sys.exit(f"error: {path} answered {response.status} with {received + len(extra)} bytes, not 206 with {length}")
    return elapsed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mib", type=int, required=True)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--ours", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--nginx", required=True)
    args = parser.parse_args()
    size = args.size_mib << 20
    # The same range as artifactstore-bench range: 1 MiB from the middle, not group-aligned.
    first = size // 2 - (1 << 19) + 12_345
    length = 1 << 20
    range_header = f"bytes={first}-{first + length - 1}"
    buffer = bytearray(length)
    servers = [
        ("ours", *connection(args.ours), {"Range": range_header, "Authorization": f"Bearer {args.token}"}),
        ("nginx", *connection(args.nginx), {"Range": range_header}),
    ]
    times = {name: [] for name, *_ in servers}
    for run in range(args.runs + 5):
        for name, conn, path, headers in servers:
            elapsed = timed_get(conn, path, headers, length, buffer)
            # The first five of each are warm-up (connection, page cache, the kept proof).
            if run >= 5:
                times[name].append(elapsed)
    for name, values in times.items():
        print(f"http_range_{name}_seconds={statistics.median(values):.6f}")


if __name__ == "__main__":
    main()
