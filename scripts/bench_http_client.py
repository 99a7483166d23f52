#!/usr/bin/env python3
"""Load for scripts/bench-http.sh over C keep-alive connections (one thread each); prints
operations per second.

    bench_http_client.py ours     http://127.0.0.1:PORT TOKEN N C        N unique 4 KiB uploads: POST /v1/namespaces/bench/blobs
    bench_http_client.py registry http://127.0.0.1:PORT -     N C        N unique 4 KiB uploads: POST uploads/ + PUT ?digest=
    bench_http_client.py head     http://127.0.0.1:PORT TOKEN|- N C PATH N HEAD requests of PATH (wrk and ab wait for a
                                                                         body after a HEAD answer with Content-Length)

Uploads use one thread per connection (http.client). HEAD uses one thread driving C non-blocking
keep-alive connections with selectors, one request in flight per connection (no pipelining):
a thread per connection spent its time switching threads under the GIL and capped the measured
rate near 2,000 HEAD/s whatever the server, so it measured the client, not the server.
"""
import hashlib
import http.client
import os
import selectors
import socket
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


def run_heads():
    """N HEAD requests over C connections from one thread; a response ends at its blank line."""
    auth = f"Authorization: Bearer {token}\r\n" if token != "-" else ""
    request = f"HEAD {head_path} HTTP/1.1\r\nHost: {url.hostname}:{url.port}\r\n{auth}\r\n".encode()
    selector = selectors.DefaultSelector()
    sent = 0
    done = 0
    for _ in range(min(concurrency, total)):
        connection = socket.create_connection((url.hostname, url.port))
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        connection.sendall(request)
        sent += 1
        selector.register(connection, selectors.EVENT_READ, bytearray())
    while done < total:
        for key, _ in selector.select():
            connection, pending = key.fileobj, key.data
            chunk = connection.recv(65536)
            if not chunk:
                raise SystemExit("a server closed a keep-alive connection")
            pending += chunk
            while (end := pending.find(b"\r\n\r\n")) >= 0:
                if not pending.startswith(b"HTTP/1.1 200"):
                    failures.append(bytes(pending[:12]).decode(errors="replace"))
                del pending[:end + 4]
                done += 1
                if sent < total:
                    connection.sendall(request)
                    sent += 1
    for key in list(selector.get_map().values()):
        key.fileobj.close()


start = time.monotonic()
if kind == "head":
    run_heads()
else:
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
elapsed = time.monotonic() - start
if failures:
    print(f"{len(failures)} requests failed: {sorted(set(map(str, failures)))}", file=sys.stderr)
    sys.exit(1)
print(f"{total / elapsed:.0f}")
