#!/usr/bin/env python3
"""Write an OCI image layout (oci-layout, index.json, blobs/sha256/...) of random layers.

    make-image-layout.py DIR [--seed N] [--big-mib 256] [--tag latest]

The image has four uncompressed tar layers (media type application/vnd.oci.image.layer.v1.tar):
a few small files, one file of --big-mib MiB (the large layer, 256 MiB by default, at least the
issue's size), 3 MiB and a single empty-ish file, plus an image config whose rootfs.diff_ids are
the layers' digests (an uncompressed layer's diff_id is its digest) and a manifest with
annotations; index.json names the manifest with `org.opencontainers.image.ref.name` = --tag.

The same seed and sizes give the same bytes, so the same digests: file contents come from
random.Random(seed), and every tar header is fixed (mtime 0, uid/gid 0, no user names, USTAR).
Layers are streamed to disk in 1 MiB pieces while hashed, so memory stays small whatever the
size. Prints the manifest digest on stdout.
"""
import argparse
import hashlib
import io
import json
import os
import random
import sys
import tarfile

PIECE = 1 << 20
LAYER_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar"


class RandomReader(io.RawIOBase):
    """A file-like object of `size` bytes from `rng`, read in pieces (never held whole)."""

    def __init__(self, rng: random.Random, size: int):
        self.rng, self.left = rng, size

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        n = self.left if n is None or n < 0 else min(n, self.left)
        n = min(n, PIECE) if n > 0 else 0
        self.left -= n
        return self.rng.randbytes(n)


class HashingWriter(io.RawIOBase):
    """Writes to a file and hashes what it writes (SHA-256), counting bytes."""

    def __init__(self, path: str):
        self.file = open(path, "wb")
        self.hash = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.size

    def write(self, data) -> int:
        self.file.write(data)
        self.hash.update(data)
        self.size += len(data)
        return len(data)

    def close(self) -> None:
        if not self.file.closed:
            self.file.close()
        super().close()


def write_blob_from(layout: str, produce) -> dict:
    """Runs produce(writer) into a temporary file, then moves it to blobs/sha256/<digest>."""
    temporary = os.path.join(layout, "blobs", "sha256", ".partial")
    writer = HashingWriter(temporary)
    try:
        produce(writer)
    finally:
        writer.close()
    digest = writer.hash.hexdigest()
    os.replace(temporary, os.path.join(layout, "blobs", "sha256", digest))
    return {"digest": f"sha256:{digest}", "size": writer.size}


def write_json_blob(layout: str, value: dict) -> tuple[dict, bytes]:
    data = json.dumps(value, separators=(",", ":"), sort_keys=True).encode()
    descriptor = write_blob_from(layout, lambda writer: writer.write(data))
    return descriptor, data


def tar_layer(rng: random.Random, files: list[tuple[str, int]]):
    """A producer writing a deterministic tar of regular files with random contents."""

    def produce(writer):
        with tarfile.open(fileobj=writer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
            for name, size in files:
                info = tarfile.TarInfo(name)
                info.size, info.mode, info.mtime = size, 0o644, 0
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                tar.addfile(info, RandomReader(rng, size))

    return produce


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("layout", help="directory to create (must not exist or be empty)")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--big-mib", type=int, default=256, help="size of the large layer's file in MiB")
    parser.add_argument("--tag", default="latest")
    arguments = parser.parse_args()

    layout = arguments.layout
    os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)
    if os.listdir(os.path.join(layout, "blobs", "sha256")):
        print(f"error: {layout} already holds blobs; give an empty directory", file=sys.stderr)
        return 2
    rng = random.Random(arguments.seed)

    layer_files = [
        [("etc/hostname", 13), ("etc/motd", 1000), ("usr/share/doc/README", 70_000)],
        [("opt/big/data.bin", arguments.big_mib * PIECE)],
        [("opt/medium/a.bin", 3 * PIECE), ("opt/medium/b.bin", 4097)],
        [("var/empty", 0)],
    ]
    layers = []
    for files in layer_files:
        descriptor = write_blob_from(layout, tar_layer(rng, files))
        layers.append({"mediaType": LAYER_MEDIA_TYPE, **descriptor})

    config = {
        "architecture": "amd64",
        "os": "linux",
        "created": "2026-01-01T00:00:00Z",
        "config": {"Env": ["PATH=/usr/bin:/bin"], "Cmd": ["/bin/true"]},
        "rootfs": {"type": "layers", "diff_ids": [layer["digest"] for layer in layers]},
        "history": [{"created": "2026-01-01T00:00:00Z", "created_by": f"make-image-layout.py seed {arguments.seed}"}
                    for _ in layers],
    }
    config_descriptor, _ = write_json_blob(layout, config)
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config_descriptor},
        "layers": layers,
        "annotations": {
            "org.opencontainers.image.title": "artifactstore-oci-test",
            "org.opencontainers.image.description": f"random layers, seed {arguments.seed}, big layer {arguments.big_mib} MiB",
        },
    }
    manifest_descriptor, _ = write_json_blob(layout, manifest)
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            **manifest_descriptor,
            "annotations": {"org.opencontainers.image.ref.name": arguments.tag},
        }],
    }
    with open(os.path.join(layout, "index.json"), "w") as file:
        json.dump(index, file, indent=2)
    with open(os.path.join(layout, "oci-layout"), "w") as file:
        json.dump({"imageLayoutVersion": "1.0.0"}, file)
    print(manifest_descriptor["digest"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
