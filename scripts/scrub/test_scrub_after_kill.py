#!/usr/bin/env python3
"""Scrub after kill -9, end to end (issue 18, "Scrub states"): a real `artifactstore serve`
killed with SIGKILL in the middle of a garbage-collection sweep or of a scrub, restarted (its
start-up starts a collection of its own), and scrubbed at once.

Each round pushes blobs that nothing references (doomed: the collector deletes them once the
grace period, 2 s here, has passed) and blobs that a committed version references (kept, and
acknowledged: their 201 and the version's 201 were received), then starts a sweep and kills the
server with -9 while it runs: on odd rounds a collection (`POST /v1/gc`, after a first one that
expired the links and marked the blobs), on even rounds a scrub. The kill is aimed at the middle
of the sweep (5-50 ms after the request); whether it landed there is read from the SQLite file
(blobs left `deleting`) and printed. After each restart:
- a scrub of every page, started at once (so it may run beside the start-up collection), must
  report no blob: no false `objectNotFound` for a blob being deleted, no corruption;
- at the end every acknowledged file reads back byte-identical, by its version path and by its
  blob address.

Usage: test_scrub_after_kill.py ARTIFACTSTORE_BINARY
Prints one line per check and `== scrub after kill: PASSED` or `== scrub after kill: FAILED (n)`;
exits non-zero on any failure. Takes well under a minute.
"""

import hashlib
import json
import os
import random
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

ROUNDS = int(os.environ.get("SCRUB_KILL_ROUNDS", "4"))
DOOMED_PER_ROUND = 30
# Seconds: long enough for a round's kept pushes and their commit, short enough for the run.
GRACE = 2
KEPT_PER_ROUND = 12
failures = []


def check(ok, what):
    print(("ok:     " if ok else "FAILED: ") + what)
    if not ok:
        failures.append(what)
    sys.stdout.flush()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, binary, data, token):
        self.binary, self.data, self.token = binary, data, token
        self.port = free_port()
        self.process = None
        self.log = open(os.path.join(os.path.dirname(data), "serve.log"), "ab")

    def start(self):
        env = dict(os.environ, ARTIFACTSTORE_ADMIN_TOKEN=self.token, ARTIFACTSTORE_GC_GRACE_PERIOD=str(GRACE),
                   ARTIFACTSTORE_LOG_LEVEL="warning")
        self.process = subprocess.Popen([self.binary, "serve", "--port", str(self.port), "--data-dir", self.data],
                                        env=env, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if self.call("GET", "/readyz", auth=False)[0] == 200:
                    return
            except OSError:
                pass
            if self.process.poll() is not None:
                raise SystemExit(f"serve exited with {self.process.returncode}; see {self.log.name}")
            time.sleep(0.05)
        raise SystemExit("serve did not become ready within 30 s")

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def call(self, method, path, body=None, auth=True, content_type="application/octet-stream", timeout=60):
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=body, method=method)
        if auth:
            request.add_header("Authorization", f"Bearer {self.token}")
        if body is not None:
            request.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()


def push_blob(server, content):
    status, body = server.call("POST", "/v1/namespaces/e2e/blobs", body=content)
    if status != 201:
        raise SystemExit(f"a push answered {status}: {body[:300]!r}")
    return json.loads(body)["address"]


def content(rng, index):
    # Mostly small objects; one in eight over 1 MiB, so some have outboards to delete too.
    size = rng.randrange(1_100_000, 1_600_000) if index % 8 == 0 else rng.randrange(1, 64 * 1024)
    return rng.randbytes(size)


def scrub_all(server):
    """Every page of a scrub; returns (checked, reported, collected, pages that saw a GC running)."""
    checked, reported, collected, running, cursor = 0, [], 0, 0, None
    while True:
        path = "/v1/scrub?limit=50" + (f"&cursor={cursor}" if cursor else "")
        status, body = server.call("POST", path)
        if status != 200:
            raise SystemExit(f"scrub answered {status}: {body[:300]!r}")
        page = json.loads(body)
        checked += page["checked"]
        reported += page["corrupted"]
        collected += page.get("collected", 0)
        running += 1 if page.get("garbageCollectionRunning") else 0
        cursor = page.get("nextCursor")
        if not cursor:
            return checked, reported, collected, running


def deleting_rows(data):
    with sqlite3.connect(f"file:{os.path.join(data, 'metadata.sqlite')}?mode=ro", uri=True, timeout=10) as db:
        return db.execute("SELECT COUNT(*) FROM blobs WHERE state = 'deleting'").fetchone()[0]


def timed(server, method, path):
    started = time.monotonic()
    status, body = server.call(method, path)
    return status, body, time.monotonic() - started


def main():
    binary = sys.argv[1]
    work = tempfile.mkdtemp(prefix="artifactstore-scrub-kill.")
    data = os.path.join(work, "data")
    token = f"ast_{secrets.token_hex(8)}_{secrets.token_hex(32)}"
    server = Server(binary, data, token)
    rng = random.Random(int(os.environ.get("SCRUB_KILL_SEED", "18")))
    acknowledged = {}  # version -> {path: sha256 of the bytes}
    addresses = {}  # address -> sha256 of the bytes
    started = time.monotonic()
    kills = {"gc": 0, "scrub": 0}
    interrupted = 0
    try:
        server.start()
        status, _ = server.call("POST", "/v1/namespaces", body=b'{"name":"e2e"}', content_type="application/json")
        check(status == 201, f"namespace e2e created ({status})")
        for round_number in range(1, ROUNDS + 1):
            for index in range(DOOMED_PER_ROUND):
                push_blob(server, content(rng, index))
            files, sums = [], {}
            for index in range(KEPT_PER_ROUND):
                data_bytes = content(rng, index)
                address = push_blob(server, data_bytes)
                path = f"r{round_number}/f{index}.bin"
                files.append({"path": path, "address": address})
                sums[path] = hashlib.sha256(data_bytes).hexdigest()
                addresses[address] = sums[path]
            version = f"v{round_number}"
            manifest = json.dumps({"files": files}).encode()
            status, body = server.call("PUT", f"/v1/namespaces/e2e/artifacts/app/versions/{version}", body=manifest,
                                       content_type="application/json")
            if status != 201:
                raise SystemExit(f"committing {version} answered {status}: {body[:300]!r}")
            acknowledged[version] = sums
            time.sleep(GRACE + 0.1)  # past the grace period: the doomed blobs' links may expire
            kind = "gc" if round_number % 2 == 1 else "scrub"
            if kind == "gc":
                # Expire the links and mark the blobs (a first collection): the kill is aimed at
                # the second, the sweep that deletes them.
                server.call("POST", "/v1/gc")
                time.sleep(GRACE + 0.1)
                path = "/v1/gc"
            else:
                path = "/v1/scrub?limit=500"
            delay = rng.uniform(0.005, 0.05)
            threading.Thread(target=lambda: _swallow(server, path), daemon=True).start()
            time.sleep(delay)
            server.kill()
            kills[kind] += 1
            left = deleting_rows(data)
            interrupted += 1 if left else 0
            print(f"round {round_number}: killed -9 {delay * 1000:.0f} ms into a {kind} sweep; blobs left 'deleting': {left}")
            server.start()
            checked, reported, collected, running = scrub_all(server)
            check(not reported, f"round {round_number}: scrub right after the restart checked {checked} blobs and reported "
                                f"{len(reported)} ({collected} collected meanwhile, a collection running on {running} page(s))"
                                + (f": {reported[:3]}" if reported else ""))
        for version, sums in acknowledged.items():
            for path, expected in sums.items():
                status, body = server.call("GET", f"/v1/namespaces/e2e/artifacts/app/versions/{version}/files/{path}")
                if status != 200 or hashlib.sha256(body).hexdigest() != expected:
                    check(False, f"{version}/{path} read back {status}, {len(body)} bytes, not the bytes acknowledged")
        different = 0
        for address, expected in addresses.items():
            status, body = server.call("GET", f"/v1/namespaces/e2e/blobs/{address}")
            different += 0 if status == 200 and hashlib.sha256(body).hexdigest() == expected else 1
        check(different == 0, f"every acknowledged object ({len(addresses)}) reads back byte-identical by version path and "
                              f"by address ({different} differ)")
        checked, reported, _, _ = scrub_all(server)
        check(not reported and checked >= len(addresses), f"a final scrub checked {checked} blobs and reported {len(reported)}")
        print(f"kills: {kills['gc']} during a collection, {kills['scrub']} during a scrub; {interrupted} left blobs 'deleting'")
    finally:
        if server.process and server.process.poll() is None:
            server.process.terminate()
            try:
                server.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        server.log.close()
        if failures:
            print(f"(kept {work} for inspection)")
        else:
            shutil.rmtree(work, ignore_errors=True)
    elapsed = time.monotonic() - started
    if failures:
        print(f"== scrub after kill: FAILED ({len(failures)}) in {elapsed:.0f} s")
        sys.exit(1)
    print(f"== scrub after kill: PASSED in {elapsed:.0f} s")


def _swallow(server, path):
    try:
        server.call("POST", path)
    except OSError:
        pass  # the server was killed under it


if __name__ == "__main__":
    main()
