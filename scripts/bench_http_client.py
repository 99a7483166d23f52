#!/usr/bin/env python3
"""Load for scripts/bench-http.sh over C keep-alive connections (one thread each); prints
operations per second.

    bench_http_client.py ours     http://127.0.0.1:PORT TOKEN N C        N unique 4 KiB uploads: POST /v1/namespaces/bench/blobs
    bench_http_client.py registry http://127.0.0.1:PORT -     N C        N unique 4 KiB uploads: POST uploads/ + PUT ?digest=
    bench_http_client.py head     http://127.0.0.1:PORT TOKEN|- N C PATH N HEAD requests of PATH (wrk and ab wait for a
                                                                         body after a HEAD answer with Content-Length)
"""
import hashlib
import http.client
import os
import sys
import threading
import time
import urllib.parse

kind, base, token, total, concurrency = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
head_path = sys.argv[6] if kind == "head" else None
url = urllib.parse.urlsplit(base)
bodies = [os.urandom(4096) for _ in range(total)] if kind != "head" else []
next_index = 0
lock = threading.Lock()
failures = []


def take():
    global next_index
    with lock:
        if next_index >= total:
            return None
        next_index += 1
        return next_index - 1


def worker():
    connection = http.client.HTTPConnection(url.hostname, url.port)
    while (index := take()) is not None:
        if kind == "head":
            connection.request("HEAD", head_path, headers={"Authorization": f"Bearer {token}"} if token != "-" else {})
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                failures.append(response.status)
            continue
        body = bodies[index]
        if kind == "ours":
            connection.request("POST", "/v1/namespaces/bench/blobs", body=body,
                               headers={"Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream"})
            response = connection.getresponse()
            response.read()
            if response.status != 201:
                failures.append(response.status)
        else:
            connection.request("POST", f"/v2/bench/small{index % 16}/blobs/uploads/", headers={"Content-Length": "0"})
            response = connection.getresponse()
            response.read()
            location = urllib.parse.urlsplit(response.getheader("Location"))
            path = location.path + ("?" + location.query + "&" if location.query else "?")
            digest = "sha256:" + hashlib.sha256(body).hexdigest()
            connection.request("PUT", f"{path}digest={digest}", body=body, headers={"Content-Type": "application/octet-stream"})
            response = connection.getresponse()
            response.read()
            if response.status != 201:
                failures.append(response.status)
    connection.close()


start = time.monotonic()
threads = [threading.Thread(target=worker) for _ in range(concurrency)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
elapsed = time.monotonic() - start
if failures:
    print(f"{len(failures)} requests failed: {sorted(set(failures))}", file=sys.stderr)
    sys.exit(1)
print(f"{total / elapsed:.0f}")
