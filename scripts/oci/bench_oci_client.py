#!/usr/bin/env python3
"""The measuring client of scripts/bench-oci.sh: OCI blob upload flows over keep-alive HTTP/1.1,
the same code for every registry. AUTH is `-` (none) or `user:password` (HTTP Basic).

    bench_oci_client.py chunked URL AUTH NAME FILE CHUNK_MIB
        POST /v2/NAME/blobs/uploads/, then FILE in CHUNK_MIB MiB PATCHes (Content-Range, each to
        the Location the previous answer gave), then PUT ?digest=sha256:… with no body; prints
        the seconds the whole flow took (the digest is computed before the clock starts). The
        PATCH bodies are slices of the file mapped in memory, sent without a copy.
    bench_oci_client.py small URL AUTH NAME N C
        N unique 4 KiB blobs over C connections (one thread each), each POST then PUT ?digest=
        with the body (the monolithic flow), spread over 16 repositories NAME-0..15; prints blobs
        per second.

Any answer other than the spec's (202 for POST and PATCH, 201 for the final PUT) stops the run
with the request and the answer on stderr, exit status 1.
"""
import base64
import hashlib
import http.client
import mmap
import os
import sys
import threading
import time
import urllib.parse


def connect(base: urllib.parse.SplitResult) -> http.client.HTTPConnection:
    return http.client.HTTPConnection(base.hostname, base.port, timeout=600)


def auth_headers(auth: str) -> dict:
    if auth == "-":
        return {}
    return {"Authorization": "Basic " + base64.b64encode(auth.encode()).decode()}


def relative(location: str) -> str:
    parts = urllib.parse.urlsplit(location)
    return parts.path + ("?" + parts.query if parts.query else "")


def with_digest(location: str, digest: str) -> str:
    return location + ("&" if "?" in location else "?") + "digest=" + urllib.parse.quote(digest, safe="")


class Refused(Exception):
    pass


def call(connection, method: str, path: str, expected: int, body=None, headers=None) -> http.client.HTTPResponse:
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    data = response.read()
    if response.status != expected:
        raise Refused(f"{method} {path} -> {response.status} (expected {expected}): {data[:300]!r}")
    return response


def chunked(url: str, auth: str, name: str, path: str, chunk_mib: int) -> None:
    base = urllib.parse.urlsplit(url)
    headers = auth_headers(auth)
    chunk = chunk_mib << 20
    connection = connect(base)
    # The file is mapped, and each PATCH sends a slice of the mapping: reading every chunk into
    # a new 64 MiB object cost this client a copy and fresh pages per PATCH, on the clock, and
    # the server waited for it between PATCHes.
    with open(path, "rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as mapped, memoryview(mapped) as view:
        digest_text = "sha256:" + hashlib.sha256(view).hexdigest()
        start = time.monotonic()
        response = call(connection, "POST", f"/v2/{name}/blobs/uploads/", 202, headers={**headers, "Content-Length": "0"})
        location = relative(response.getheader("Location"))
        for offset in range(0, len(view), chunk):
            piece = view[offset:offset + chunk]
            response = call(connection, "PATCH", location, 202, body=piece, headers={
                **headers, "Content-Type": "application/octet-stream",
                "Content-Range": f"{offset}-{offset + len(piece) - 1}", "Content-Length": str(len(piece))})
            location = relative(response.getheader("Location"))
            piece.release()
        response = call(connection, "PUT", with_digest(location, digest_text), 201, headers={**headers, "Content-Length": "0"})
        elapsed = time.monotonic() - start
    if response.getheader("Docker-Content-Digest") not in (None, digest_text):
        raise Refused(f"PUT answered Docker-Content-Digest {response.getheader('Docker-Content-Digest')}, expected {digest_text}")
    print(f"{elapsed:.3f}")


def small(url: str, auth: str, name: str, total: int, concurrency: int) -> None:
    base = urllib.parse.urlsplit(url)
    headers = auth_headers(auth)
    bodies = [os.urandom(4096) for _ in range(total)]
    digests = ["sha256:" + hashlib.sha256(body).hexdigest() for body in bodies]
    lock = threading.Lock()
    state = {"next": 0}
    failures = []

    def worker() -> None:
        connection = connect(base)
        try:
            while True:
                with lock:
                    index = state["next"]
                    if index >= total or failures:
                        return
                    state["next"] += 1
                repository = f"{name}-{index % 16}"
                response = call(connection, "POST", f"/v2/{repository}/blobs/uploads/", 202,
                                headers={**headers, "Content-Length": "0"})
                location = relative(response.getheader("Location"))
                call(connection, "PUT", with_digest(location, digests[index]), 201, body=bodies[index],
                     headers={**headers, "Content-Type": "application/octet-stream"})
        except (Refused, OSError, http.client.HTTPException) as error:
            failures.append(str(error))
        finally:
            connection.close()

    start = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - start
    if failures:
        raise Refused(f"{len(failures)} connection(s) failed; first: {failures[0]}")
    print(f"{total / elapsed:.0f}")


def main() -> int:
    kind = sys.argv[1]
    try:
        if kind == "chunked":
            chunked(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]))
        elif kind == "small":
            small(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]))
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except (Refused, OSError, http.client.HTTPException) as error:
        print(f"bench_oci_client.py {kind}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
