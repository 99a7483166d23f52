#!/usr/bin/env python3
"""Stores the same N distinct 4 KiB blobs in our server, docker-registry and an nginx root, and
writes the paths that read each back, for the working-set flows of scripts/bench-http.sh.

    bench_seed_blobs.py N OURS TOKEN REGISTRY NGINX_ROOT OUT_DIR

OURS and REGISTRY are base URLs. Blobs go to namespace `bench` (ours, POST /v1) and repository
`bench/rotation` (registry, POST uploads/ + PUT ?digest=), and as NGINX_ROOT/rotation/<i>.bin.
Writes OUT_DIR/ours.paths, OUT_DIR/registry.paths and OUT_DIR/nginx.paths, one path a line in
the same order. Exits non-zero if any store is refused.
"""
import hashlib
import http.client
import os
import sys
import threading
import urllib.parse

count, ours, token, registry, nginx_root, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]


def connection(base):
    parts = urllib.parse.urlsplit(base)
    return http.client.HTTPConnection(parts.hostname, parts.port)


def send(conn, method, path, body=None, headers=None, expect=(201,)):
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    response.read()
    if response.status not in expect:
        raise SystemExit(f"{method} {path} answered {response.status}")
    return response


os.makedirs(os.path.join(nginx_root, "rotation"), exist_ok=True)
ours_paths, registry_paths, nginx_paths = [None] * count, [None] * count, [None] * count
# Eight workers, each with its own connections, take every eighth blob: one blob at a time made
# seeding 100,000 blobs take 9 minutes on an idle machine and over 40 on a busy one. The paths
# keep the blobs' order whichever worker stored them.
WORKERS = 8
failures = []


def seed(first):
    ours_conn, registry_conn = connection(ours), connection(registry)
    try:
        for index in range(first, count, WORKERS):
            body = os.urandom(4096)
            digest = "sha256:" + hashlib.sha256(body).hexdigest()
            send(ours_conn, "POST", "/v1/namespaces/bench/blobs", body,
                 {"Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream"})
            started = send(registry_conn, "POST", "/v2/bench/rotation/blobs/uploads/", b"", expect=(202,))
            location = urllib.parse.urlsplit(started.getheader("Location"))
            query = location.query + "&" if location.query else ""
            send(registry_conn, "PUT", f"{location.path}?{query}digest={digest}", body, {"Content-Type": "application/octet-stream"})
            with open(os.path.join(nginx_root, "rotation", f"{index}.bin"), "wb") as file:
                file.write(body)
            ours_paths[index] = f"/v1/namespaces/bench/blobs/{digest}"
            registry_paths[index] = f"/v2/bench/rotation/blobs/{digest}"
            nginx_paths[index] = f"/rotation/{index}.bin"
    except BaseException as error:  # SystemExit from send() included: the main thread reports it
        failures.append(error)


workers = [threading.Thread(target=seed, args=(first,)) for first in range(WORKERS)]
for worker in workers:
    worker.start()
for worker in workers:
    worker.join()
if failures:
    raise SystemExit(f"seeding failed: {failures[0]}")
for name, paths in (("ours", ours_paths), ("registry", registry_paths), ("nginx", nginx_paths)):
    with open(os.path.join(out, f"{name}.paths"), "w") as file:
        file.write("\n".join(paths) + "\n")
