#!/usr/bin/env python3
"""An HTTP/2 client that misbehaves, for scripts/tls/test-tls.sh: it negotiates h2 by ALPN,
sends the connection preface and, with --request, one GET /readyz, then reads and answers
nothing more (no SETTINGS or PING acknowledgement) until the server closes the connection.

    h2-idle-client.py PORT CA_FILE [--request]

Prints the seconds until the server closed and the types of the HTTP/2 frames it sent (1 HEADERS,
7 GOAWAY); exits 0 when the server closed the connection, 1 when it was still open after 30 s.
"""
import socket
import ssl
import sys
import time

port, ca_file = int(sys.argv[1]), sys.argv[2]
request = "--request" in sys.argv[3:]
context = ssl.create_default_context(cafile=ca_file)
context.set_alpn_protocols(["h2"])
connection = context.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
assert connection.selected_alpn_protocol() == "h2", connection.selected_alpn_protocol()
connection.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00")  # preface, empty SETTINGS
if request:
    # HPACK: :method GET, :scheme https (static table), :path /readyz and :authority localhost (literals).
    block = b"\x82\x87" + b"\x44\x07/readyz" + b"\x41\x09localhost"
    connection.sendall(len(block).to_bytes(3, "big") + b"\x01\x05" + (1).to_bytes(4, "big") + block)  # HEADERS, END_STREAM|END_HEADERS
start = time.monotonic()
connection.settimeout(30)
received = b""
closed = True
try:
    while True:
        data = connection.recv(65536)
        if not data:
            break
        received += data
except (TimeoutError, socket.timeout):
    closed = False
except OSError:
    pass
types, offset = [], 0
while offset + 9 <= len(received):
    types.append(received[offset + 3])
    offset += 9 + int.from_bytes(received[offset:offset + 3], "big")
print(f"closed={'yes' if closed else 'no'} seconds={time.monotonic() - start:.1f} frames={types}")
sys.exit(0 if closed else 1)
