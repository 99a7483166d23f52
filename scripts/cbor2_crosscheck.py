#!/usr/bin/env python3
"""Cross-check ArtifactCBOR against the cbor2 PyPI package (used by Tests/ArtifactCBORTests).

Files hold one hex-encoded CBOR item per line.

  reencode IN OUT        decode each item with cbor2, write cbor2.dumps(value, canonical=True)
  generate SEED N OUT    write N random items encoded by cbor2.dumps (not canonical: floats as
                         binary64, maps in insertion order)
  compare A B            decode both files item by item; print "ok N" if every pair is equal
                         (floats by bits, NaN equal to NaN, map order ignored), else the first
                         differences, and exit 1
  canonical-order        print the hex of cbor2's canonical encoding of RFC 8949's 8 example keys
"""
import math
from collections.abc import Mapping
import random
import struct
import sys

import cbor2

SAFE_TAGS = [6, 7, 1000, 4000, 40000, 65535, 2**32 + 5, 2**63 + 1]


def read_items(path):
    with open(path) as f:
        return [bytes.fromhex(line.strip()) for line in f if line.strip()]


def write_items(path, items):
    with open(path, "w") as f:
        for item in items:
            f.write(item.hex() + "\n")


def random_text(rng):
    n = rng.randrange(0, 12)
    chars = []
    for _ in range(n):
        pick = rng.random()
        if pick < 0.5:
            chars.append(chr(rng.randrange(0x20, 0x7F)))
        elif pick < 0.8:
            chars.append(chr(rng.randrange(0xA0, 0xD800)))
        else:
            chars.append(chr(rng.randrange(0x10000, 0x110000)))
    return "".join(chars)


def random_int(rng):
    edges = [0, 1, 23, 24, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**63 - 1, 2**63, 2**64 - 1,
             -1, -24, -25, -256, -257, -65536, -65537, -2**32, -2**32 - 1, -2**63, -2**63 - 1, -2**64,
             2**64, 2**70 + 3, -2**64 - 1, -2**100]
    if rng.random() < 0.4:
        return rng.choice(edges)
    bits = rng.choice([5, 8, 16, 32, 64])
    value = rng.randrange(0, 2**bits)
    return value if rng.random() < 0.5 else -1 - value


def random_float(rng):
    pick = rng.random()
    if pick < 0.2:
        return rng.choice([0.0, -0.0, 1.0, 1.5, 65504.0, 5.960464477539063e-08, 6.103515625e-05,
                           float("inf"), float("-inf"), float("nan"), 100000.0, 3.4028234663852886e+38,
                           1e300, -4.1, 1.1])
    if pick < 0.5:  # exactly representable as binary16
        return struct.unpack(">e", struct.pack(">H", rng.randrange(0, 0x7C00) | rng.choice([0, 0x8000])))[0]
    if pick < 0.7:  # binary32
        return struct.unpack(">f", struct.pack(">I", rng.randrange(0, 0x7F800000)))[0]
    return rng.uniform(-1e10, 1e10)


def random_key(rng):
    pick = rng.random()
    if pick < 0.5:
        return random_text(rng)
    if pick < 0.8:
        return random_int(rng)
    return bytes(rng.randrange(256) for _ in range(rng.randrange(0, 6)))


def random_value(rng, depth=0):
    kinds = ["int", "text", "bytes", "bool", "null", "float", "undefined", "simple"]
    if depth < 4:
        kinds += ["array", "map", "tag"]
    kind = rng.choice(kinds)
    if kind == "int":
        return random_int(rng)
    if kind == "text":
        return random_text(rng)
    if kind == "bytes":
        return bytes(rng.randrange(256) for _ in range(rng.randrange(0, 20)))
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "null":
        return None
    if kind == "undefined":
        return cbor2.undefined
    if kind == "simple":
        return cbor2.CBORSimpleValue(rng.choice(list(range(0, 20)) + list(range(32, 256))))
    if kind == "float":
        return random_float(rng)
    if kind == "array":
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(0, 6))]
    if kind == "map":
        result = {}
        for _ in range(rng.randrange(0, 6)):
            result[random_key(rng)] = random_value(rng, depth + 1)
        return result
    return cbor2.CBORTag(rng.choice(SAFE_TAGS), random_value(rng, depth + 1))


def same(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, float) or isinstance(b, float):
        if not (isinstance(a, float) and isinstance(b, float)):
            return False
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return struct.pack(">d", a) == struct.pack(">d", b)
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, Mapping):  # dict, or frozendict inside tags and keys
        if not isinstance(b, Mapping) or len(a) != len(b):
            return False
        # Linear search, not `k in b`: a NaN key is not found by lookup (nan != nan).
        return all(any(same(k, k2) and same(v, v2) for k2, v2 in b.items()) for k, v in a.items())
    if isinstance(a, cbor2.CBORTag):
        return isinstance(b, cbor2.CBORTag) and a.tag == b.tag and same(a.value, b.value)
    return type(a) is type(b) and a == b


def main():
    mode = sys.argv[1]
    if mode == "reencode":
        items = read_items(sys.argv[2])
        write_items(sys.argv[3], [cbor2.dumps(cbor2.loads(item), canonical=True) for item in items])
    elif mode == "generate":
        rng = random.Random(int(sys.argv[2]))
        write_items(sys.argv[4], [cbor2.dumps(random_value(rng)) for _ in range(int(sys.argv[3]))])
    elif mode == "compare":
        left, right = read_items(sys.argv[2]), read_items(sys.argv[3])
        if len(left) != len(right):
            print(f"count differs: {len(left)} vs {len(right)}")
            sys.exit(1)
        failures = [i for i, (a, b) in enumerate(zip(left, right)) if not same(cbor2.loads(a), cbor2.loads(b))]
        for i in failures[:5]:
            print(f"item {i}: {left[i].hex()} vs {right[i].hex()}")
        if failures:
            print(f"{len(failures)} of {len(left)} differ")
            sys.exit(1)
        print(f"ok {len(left)}")
    elif mode == "canonical-order":
        keys = [10, 100, -1, "z", "aa", (100,), (-1,), False]
        print(cbor2.dumps({k: 0 for k in keys}, canonical=True).hex())
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
