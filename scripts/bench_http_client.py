#!/usr/bin/env python3
"""Load for scripts/bench-http.sh over C keep-alive connections (one thread each); prints
operations per second.

    bench_http_client.py ours     http://127.0.0.1:PORT TOKEN N C        N unique 4 KiB uploads: POST /v1/namespaces/bench/blobs
    bench_http_client.py registry http://127.0.0.1:PORT -     N C        N unique 4 KiB uploads: POST uploads/ + PUT ?digest=
    bench_http_client.py head     http://127.0.0.1:PORT TOKEN|- N C PATH N HEAD requests of PATH (wrk and ab wait for a
                                                                         body after a HEAD answer with Content-Length)
                                                                         PATH @FILE: the paths in FILE (one a line) in
                                                                         rotation, each connection from its own offset

Both use one thread driving C non-blocking keep-alive connections with selectors, one request
in flight per connection (no pipelining): a thread per connection spent its time switching
threads under the GIL and capped the measured rate (near 2,000 HEAD/s whatever the server), so
it measured the client, not the server.
"""
import hashlib
import os
import selectors
import socket
import sys
import time
import urllib.parse

kind, base, token, total, concurrency = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
head_path = sys.argv[6] if kind == "head" else None
url = urllib.parse.urlsplit(base)
bodies = [os.urandom(4096) for _ in range(total)] if kind != "head" else []
next_index = 0
failures = []


def take():
    global next_index
    if next_index >= total:
        return None
    next_index += 1
    return next_index - 1


def connect():
    connection = socket.create_connection((url.hostname, url.port))
    connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return connection


def receive(connection):
    chunk = connection.recv(65536)
    if not chunk:
        raise SystemExit("a server closed a keep-alive connection")
    return chunk


def parse_response(pending):
    """The status, lower-cased headers and length of the first complete response in `pending`,
    or None while it is incomplete (Content-Length or chunked bodies)."""
    end = pending.find(b"\r\n\r\n")
    if end < 0:
        return None
    lines = bytes(pending[:end]).decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    body_start = end + 4
    if headers.get("transfer-encoding", "").lower() == "chunked":
        terminator = pending.find(b"0\r\n\r\n", body_start)
        return None if terminator < 0 else (status, headers, terminator + 5)
    length = int(headers.get("content-length", "0"))
    return None if len(pending) < body_start + length else (status, headers, body_start + length)


def run_uploads():
    """N unique 4 KiB uploads over C keep-alive connections from one thread, one request in
    flight per connection. A thread per connection (http.client) spent its time switching
    threads under the GIL: the client, not the server, set the rate above ~1,500 uploads/s."""
    host = f"Host: {url.hostname}:{url.port}\r\n"
    auth = f"Authorization: Bearer {token}\r\n" if token != "-" else ""

    def first_request(index):
        body = bodies[index]
        if kind == "ours":
            head = (f"POST /v1/namespaces/bench/blobs HTTP/1.1\r\n{host}{auth}"
                    f"Content-Type: application/octet-stream\r\nContent-Length: {len(body)}\r\n\r\n")
            return head.encode() + body
        return f"POST /v2/bench/small{index % 16}/blobs/uploads/ HTTP/1.1\r\n{host}Content-Length: 0\r\n\r\n".encode()

    def put_request(index, location_header):
        body = bodies[index]
        location = urllib.parse.urlsplit(location_header)
        path = location.path + ("?" + location.query + "&" if location.query else "?")
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        head = (f"PUT {path}digest={digest} HTTP/1.1\r\n{host}"
                f"Content-Type: application/octet-stream\r\nContent-Length: {len(body)}\r\n\r\n")
        return head.encode() + body

    selector = selectors.DefaultSelector()
    done = 0
    for _ in range(min(concurrency, total)):
        index = take()
        connection = connect()
        connection.sendall(first_request(index))
        # Per connection: the pending bytes, the upload's index, and its step (1 or 2).
        selector.register(connection, selectors.EVENT_READ, [bytearray(), index, 1])
    while done < total:
        for key, _ in selector.select():
            connection, state = key.fileobj, key.data
            state[0] += receive(connection)
            while (parsed := parse_response(state[0])) is not None:
                status, headers, consumed = parsed
                del state[0][:consumed]
                if kind == "registry" and state[2] == 1:
                    if status != 202:
                        failures.append(status)
                        raise SystemExit(f"starting an upload answered {status}")
                    state[2] = 2
                    connection.sendall(put_request(state[1], headers["location"]))
                    continue
                if status != 201:
                    failures.append(status)
                done += 1
                index = take()
                if index is not None:
                    state[1], state[2] = index, 1
                    connection.sendall(first_request(index))
    for key in list(selector.get_map().values()):
        key.fileobj.close()


def run_heads():
    """N HEAD requests over C connections from one thread; a response ends at its blank line.
    With @FILE, connection i starts at path i * len / C and takes the next path each time, so no
    path is asked twice within about len requests (a working set, not one hot blob)."""
    # A token with a space is a whole Authorization value ("Basic …"), else a bearer token.
    auth = "" if token == "-" else f"Authorization: {token}\r\n" if " " in token else f"Authorization: Bearer {token}\r\n"
    if head_path.startswith("@"):
        with open(head_path[1:]) as listing:
            paths = [line.strip() for line in listing if line.strip()]
    else:
        paths = [head_path]
    requests = [f"HEAD {path} HTTP/1.1\r\nHost: {url.hostname}:{url.port}\r\n{auth}\r\n".encode() for path in paths]
    selector = selectors.DefaultSelector()
    sent = 0
    done = 0
    connections = min(concurrency, total)
    for number in range(connections):
        connection = connect()
        position = number * len(requests) // connections
        connection.sendall(requests[position])
        sent += 1
        # Per connection: the pending bytes and its position in the rotation.
        selector.register(connection, selectors.EVENT_READ, [bytearray(), position])
    while done < total:
        for key, _ in selector.select():
            connection, state = key.fileobj, key.data
            pending = state[0]
            pending += receive(connection)
            while (end := pending.find(b"\r\n\r\n")) >= 0:
                if not pending.startswith(b"HTTP/1.1 200"):
                    failures.append(bytes(pending[:12]).decode(errors="replace"))
                del pending[:end + 4]
                done += 1
                if sent < total:
                    state[1] = (state[1] + 1) % len(requests)
                    connection.sendall(requests[state[1]])
                    sent += 1
    for key in list(selector.get_map().values()):
        key.fileobj.close()


start = time.monotonic()
if kind == "head":
    run_heads()
else:
    run_uploads()
elapsed = time.monotonic() - start
if failures:
    print(f"{len(failures)} requests failed: {sorted(set(map(str, failures)))}", file=sys.stderr)
    sys.exit(1)
print(f"{total / elapsed:.0f}")
