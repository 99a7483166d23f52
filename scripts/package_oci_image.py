#!/usr/bin/env python3
"""Writes an OCI image layout of the ArtifactStore server without a container engine.

    scripts/package_oci_image.py OUT_DIR --binary PATH --version V [--created EPOCH]

The image is one gzip layer holding a distroless-style root: /usr/bin/artifactstore, the glibc
shared libraries it needs (found with ldd, copied from this machine under the same paths, the
dynamic loader included), /etc/ssl/certs/ca-certificates.crt, /etc/passwd and /etc/group with the
non-root user `artifactstore` (65532), /etc/nsswitch.conf, /tmp and the data directory
/var/lib/artifactstore owned by that user. The config runs `artifactstore serve` as that user on
0.0.0.0:8080 with its data in the volume /var/lib/artifactstore.

Deterministic: every entry has the --created time (default SOURCE_DATE_EPOCH or 0), owner 0:0
unless it belongs to the user, and a fixed order, so the same inputs give the same digests.
Prints the manifest digest. Python standard library only.
"""

import argparse
import gzip
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import time

USER = "artifactstore"
UID = GID = 65532
DATA_DIR = "/var/lib/artifactstore"
PORT = 8080
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


def shared_libraries(binary):
    """The absolute paths ldd resolves for the binary, the loader included; fails on a missing one."""
    output = subprocess.run(["ldd", binary], check=True, capture_output=True, text=True).stdout
    paths = []
    for line in output.splitlines():
        line = line.strip()
        if "not found" in line:
            sys.exit(f"error: {binary} needs a library this machine does not have: {line}")
        match = re.search(r"(/\S+) \(0x", line)
        if match:
            paths.append(match.group(1))
    return paths


class Layer:
    """A tar stream of a root file system, built in memory with fixed metadata."""

    def __init__(self, mtime):
        self.mtime = mtime
        self.entries = {}

    def _info(self, name, kind, mode, owner=0):
        info = tarfile.TarInfo(name.lstrip("/"))
        info.type = kind
        info.mode = mode
        info.mtime = self.mtime
        info.uid = info.gid = owner
        info.uname = info.gname = USER if owner else "root"
        return info

    def directory(self, path, mode=0o755, owner=0):
        parent = os.path.dirname(path.rstrip("/"))
        if parent not in ("", "/"):
            self.parents(parent)
        self.entries[path] = (self._info(path, tarfile.DIRTYPE, mode, owner), None)

    def parents(self, path):
        if path not in ("", "/") and path not in self.entries:
            self.directory(path)

    def file(self, path, data, mode=0o644):
        self.parents(os.path.dirname(path))
        info = self._info(path, tarfile.REGTYPE, mode)
        info.size = len(data)
        self.entries[path] = (info, data)

    def symlink(self, path, target):
        self.parents(os.path.dirname(path))
        info = self._info(path, tarfile.SYMTYPE, 0o777)
        info.linkname = target
        self.entries[path] = (info, None)

    def host_file(self, path, mode):
        """Copies a host file under the same path, with every symlink on the way (/lib64 -> usr/lib64
        on a merged-/usr system, a library's version link) kept as a symlink, so the paths ldd and the
        dynamic loader use resolve in the image as they do here."""
        current = "/"
        parts = path.strip("/").split("/")
        for position, part in enumerate(parts):
            candidate = os.path.join(current, part)
            if os.path.islink(candidate):
                target = os.readlink(candidate)
                if candidate not in self.entries:
                    self.symlink(candidate, target)
                resolved = os.path.normpath(os.path.join(current, target))
                return self.host_file(os.path.join(resolved, *parts[position + 1:]), mode)
            current = candidate
        if current not in self.entries:
            with open(current, "rb") as handle:
                self.file(current, handle.read(), mode)

    def tar(self):
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
            for path in sorted(self.entries):
                info, data = self.entries[path]
                archive.addfile(info, io.BytesIO(data) if data is not None else None)
        return buffer.getvalue()


class Layout:
    """An OCI image layout directory: blobs by sha256, index.json, oci-layout."""

    def __init__(self, root):
        self.root = root
        os.makedirs(os.path.join(root, "blobs", "sha256"), exist_ok=True)

    def blob(self, data, media_type):
        digest = hashlib.sha256(data).hexdigest()
        with open(os.path.join(self.root, "blobs", "sha256", digest), "wb") as handle:
            handle.write(data)
        return {"mediaType": media_type, "digest": f"sha256:{digest}", "size": len(data)}

    def finish(self, manifest_descriptor, refs):
        index = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [
                dict(manifest_descriptor, annotations={"org.opencontainers.image.ref.name": ref}) for ref in refs
            ],
        }
        with open(os.path.join(self.root, "index.json"), "w") as handle:
            json.dump(index, handle, separators=(",", ":"))
        with open(os.path.join(self.root, "oci-layout"), "w") as handle:
            json.dump({"imageLayoutVersion": "1.0.0"}, handle)


def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", help="the image layout directory to write (must not exist)")
    parser.add_argument("--binary", required=True, help="the stripped artifactstore executable")
    parser.add_argument("--version", required=True, help="the version; also the image's ref name")
    parser.add_argument("--created", type=int, default=int(os.environ.get("SOURCE_DATE_EPOCH", "0")))
    args = parser.parse_args()
    if os.path.exists(args.out):
        sys.exit(f"error: {args.out} exists; remove it first")
    if not os.path.isfile(CA_BUNDLE):
        sys.exit(f"error: {CA_BUNDLE} is missing; install the ca-certificates package")

    layer = Layer(args.created)
    layer.file("/usr/bin/artifactstore", open(args.binary, "rb").read(), 0o755)
    for library in shared_libraries(args.binary):
        layer.host_file(library, 0o755)
    layer.host_file(CA_BUNDLE, 0o644)
    layer.file("/etc/passwd", (
        "root:x:0:0:root:/root:/usr/sbin/nologin\n"
        f"{USER}:x:{UID}:{GID}:ArtifactStore server:{DATA_DIR}:/usr/sbin/nologin\n"
        "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n").encode())
    layer.file("/etc/group", f"root:x:0:\n{USER}:x:{GID}:\nnogroup:x:65534:\n".encode())
    layer.file("/etc/nsswitch.conf", b"passwd: files\ngroup: files\nhosts: files dns\n")
    layer.directory("/root", 0o700)
    layer.directory("/tmp", 0o1777)
    layer.directory(DATA_DIR, 0o750, owner=UID)
    diff = layer.tar()
    compressed = io.BytesIO()
    with gzip.GzipFile(fileobj=compressed, mode="wb", mtime=args.created, compresslevel=9) as stream:
        stream.write(diff)

    layout = Layout(args.out)
    layer_descriptor = layout.blob(compressed.getvalue(), "application/vnd.oci.image.layer.v1.tar+gzip")
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(args.created))
    config = {
        "created": created,
        "architecture": {"x86_64": "amd64", "aarch64": "arm64"}.get(os.uname().machine, os.uname().machine),
        "os": "linux",
        "config": {
            "User": f"{UID}:{GID}",
            "Entrypoint": ["/usr/bin/artifactstore", "serve"],
            "Env": [
                "PATH=/usr/bin",
                "ARTIFACTSTORE_HOST=0.0.0.0",
                f"ARTIFACTSTORE_PORT={PORT}",
                f"ARTIFACTSTORE_DATA_DIR={DATA_DIR}",
            ],
            "ExposedPorts": {f"{PORT}/tcp": {}},
            "Volumes": {DATA_DIR: {}},
            "WorkingDir": DATA_DIR,
            "StopSignal": "SIGTERM",
            "Labels": {"org.opencontainers.image.title": "artifactstore", "org.opencontainers.image.version": args.version},
        },
        "rootfs": {"type": "layers", "diff_ids": [f"sha256:{hashlib.sha256(diff).hexdigest()}"]},
        "history": [{"created": created, "created_by": "scripts/package.sh (scripts/package_oci_image.py)"}],
    }
    config_descriptor = layout.blob(canonical(config), "application/vnd.oci.image.config.v1+json")
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": config_descriptor,
        "layers": [layer_descriptor],
        "annotations": {
            "org.opencontainers.image.created": created,
            "org.opencontainers.image.title": "artifactstore",
            "org.opencontainers.image.version": args.version,
        },
    }
    manifest_descriptor = layout.blob(canonical(manifest), "application/vnd.oci.image.manifest.v1+json")
    layout.finish(manifest_descriptor, [args.version, "latest"])
    print(manifest_descriptor["digest"])


if __name__ == "__main__":
    main()
