#!/usr/bin/env python3
"""The client of scripts/bench-manifests.sh: large OCI manifests pushed at once, with the
server's RSS read before, during (peak) and after.

    bench_manifests_client.py OURS TOKEN PID LAYERS CONCURRENCY

Stores LAYERS distinct small blobs in namespace `bench` (POST /v1, 8 at a time), then runs two
rounds of CONCURRENCY manifest PUTs at once to /v2/bench/big-<i>/manifests/v1:
  - accepted: each manifest references the LAYERS blobs, every layer descriptor padded with an
    annotation so the manifest is just under 4 MB (the OCI-recommended maximum); each manifest
    differs (its own config annotation), so each is checked and stored on its own;
  - refused:  each manifest lists 26,000 layers (about 3.95 MB), beyond the reference limit
    (at most 9,999): each must be refused with 400 MANIFEST_INVALID.
The server's peak RSS of each round is VmHWM after resetting it (/proc/PID/clear_refs 5), with
VmRSS sampled every 5 ms as a cross-check. The allocator's own account of its heap (glibc's
mallinfo2, as /metrics reports it: `artifactstore_heap_in_use_bytes`, `artifactstore_heap_free_bytes`)
is read at idle and after too, so what stays after a round is split into live allocations (caches
that filled) and freed memory the allocator kept. Prints key=value lines (MiB, seconds).
"""
import concurrent.futures
import hashlib
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse

ours, token, pid, layers, concurrency = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
LIMIT = 4 * 1024 * 1024
AUTH = {"Authorization": f"Bearer {token}"}


def connection():
    parts = urllib.parse.urlsplit(ours)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=600)


def status_kib(field):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise SystemExit(f"no {field} for process {pid}")


def heap_kib():
    """The server's heap now, from /metrics: (KiB in live allocations, KiB freed and kept)."""
    client = connection()
    client.request("GET", "/metrics", headers=AUTH)
    text = client.getresponse().read().decode()
    client.close()
    values = dict(line.split(" ", 1) for line in text.splitlines() if line.startswith("artifactstore_heap_"))
    try:
        return float(values["artifactstore_heap_in_use_bytes"]) / 1024, float(values["artifactstore_heap_free_bytes"]) / 1024
    except KeyError:
        raise SystemExit("/metrics has no artifactstore_heap_in_use_bytes / artifactstore_heap_free_bytes")


def mib(kib):
    return f"{kib / 1024:.1f}"


def store_blobs():
    def store(indices):
        conn, digests = connection(), []
        for index in indices:
            body = f"layer {index} ".encode() + os.urandom(32)
            conn.request("POST", "/v1/namespaces/bench/blobs", body=body, headers={**AUTH, "Content-Type": "application/octet-stream"})
            response = conn.getresponse()
            response.read()
            if response.status != 201:
                raise SystemExit(f"storing blob {index} answered {response.status}")
            digests.append(("sha256:" + hashlib.sha256(body).hexdigest(), len(body)))
        return digests

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        parts = list(pool.map(store, [range(start, layers, 8) for start in range(8)]))
    return [digest for part in parts for digest in part]


def manifest(config, descriptors, pad_to, tag, padded=True):
    """An image manifest of `descriptors`; with `padded`, each layer padded by one annotation so
    the whole is just under `pad_to` bytes."""
    layer_type = "application/vnd.oci.image.layer.v1.tar+gzip"

    def render(pad):
        extra = lambda: {"annotations": {"x": "p" * pad}} if padded else {}
        entries = [{"mediaType": layer_type, "digest": d, "size": s, **extra()} for d, s in descriptors]
        document = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config[0], "size": config[1],
                               "annotations": {"bench": tag}},
                    "layers": entries}
        return json.dumps(document, separators=(",", ":")).encode()

    base = len(render(0))
    pad = max(0, (pad_to - base) // len(descriptors) - 1) if padded else 0
    body = render(pad)
    while len(body) > pad_to and pad > 0:
        pad -= 1
        body = render(pad)
    if len(body) > LIMIT:
        raise SystemExit(f"a manifest of {len(descriptors)} layers is {len(body)} bytes, over {LIMIT}")
    return body


def push(index, body, expect):
    conn = connection()
    conn.request("PUT", f"/v2/bench/big-{index}/manifests/v1", body=body,
                 headers={**AUTH, "Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    response = conn.getresponse()
    answer = response.read()
    if response.status != expect:
        raise SystemExit(f"manifest {index} answered {response.status}, expected {expect}: {answer[:300]!r}")
    if expect == 400 and b"MANIFEST_INVALID" not in answer:
        raise SystemExit(f"manifest {index} refused without MANIFEST_INVALID: {answer[:300]!r}")


def round_of(name, bodies, expect):
    """Pushes `bodies` at once; prints the round's idle, peak (VmHWM and sampled) and after RSS."""
    time.sleep(2)
    idle = status_kib("VmRSS")
    heap_idle, _ = heap_kib()
    with open(f"/proc/{pid}/clear_refs", "w") as clear:
        clear.write("5")
    sampled, done = [idle], threading.Event()

    def sample():
        while not done.is_set():
            sampled.append(status_kib("VmRSS"))
            time.sleep(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(len(bodies)) as pool:
        list(pool.map(lambda item: push(item[0], item[1], expect), enumerate(bodies)))
    elapsed = time.monotonic() - started
    done.set()
    sampler.join()
    peak = max(status_kib("VmHWM"), max(sampled))
    time.sleep(3)
    after = status_kib("VmRSS")
    heap_after, heap_free_after = heap_kib()
    print(f"{name}_manifest_bytes={len(bodies[0])}")
    print(f"{name}_idle_rss_mib={mib(idle)}")
    print(f"{name}_peak_rss_mib={mib(peak)}")
    print(f"{name}_after_rss_mib={mib(after)}")
    print(f"{name}_peak_vs_idle={peak / idle:.2f}")
    print(f"{name}_after_vs_idle={after / idle:.2f}")
    print(f"{name}_heap_in_use_idle_mib={mib(heap_idle)}")
    print(f"{name}_heap_in_use_after_mib={mib(heap_after)}")
    print(f"{name}_heap_free_after_mib={mib(heap_free_after)}")
    print(f"{name}_seconds={elapsed:.2f}")
    sys.stdout.flush()


started = time.monotonic()
blobs = store_blobs()
print(f"blobs_stored={len(blobs)} store_seconds={time.monotonic() - started:.1f}")
config, layer_blobs = blobs[0], blobs[1:]
accepted = [manifest(config, layer_blobs, LIMIT - 1024, f"accepted-{i}") for i in range(concurrency)]
round_of("accepted", accepted, 201)
fake = [("sha256:" + hashlib.sha256(f"absent {i}".encode()).hexdigest(), 1) for i in range(26_000)]
refused = [manifest(config, fake, LIMIT - 1024, f"refused-{i}", padded=False) for i in range(concurrency)]
round_of("refused", refused, 400)
