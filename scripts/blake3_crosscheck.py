#!/usr/bin/env python3
"""Computes BLAKE3 outputs with the `blake3` PyPI package, for ArtifactBLAKE3's cross-check test.

Reads a JSON list of cases on stdin, each:
  {"path": file with the input, "mode": "hash" | "keyed" | "derive",
   "key": 64 hex chars (keyed), "context": string (derive), "length": int, "seek": int}
Writes a JSON list with one lowercase hex string per case (`length` bytes from `seek`).
Exits with status 3 and a message on stderr if the blake3 package is missing.
"""
import json
import sys

try:
    from blake3 import blake3
except ImportError:
    sys.stderr.write("python package 'blake3' is missing (pip install blake3)\n")
    sys.exit(3)


def main() -> None:
    results = []
    for case in json.load(sys.stdin):
        with open(case["path"], "rb") as f:
            data = f.read()
        mode = case["mode"]
        if mode == "hash":
            hasher = blake3(data)
        elif mode == "keyed":
            hasher = blake3(data, key=bytes.fromhex(case["key"]))
        elif mode == "derive":
            hasher = blake3(data, derive_key_context=case["context"])
        else:
            raise SystemExit(f"unknown mode {mode!r}")
        results.append(hasher.digest(length=case["length"], seek=case["seek"]).hex())
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
