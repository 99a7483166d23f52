#!/usr/bin/env python3
"""oras (oras-py, from PyPI) pushes files with annotations to a registry and pulls them back.

    oras_roundtrip.py URL TOKEN REPOSITORY

Pushes three files (text, 1 MiB + 17 bytes of random data, new each push, a small JSON) to REPOSITORY:mono with
oras's monolithic upload (POST + PUT) and to REPOSITORY:chunked with its chunked upload (PATCHes
of 256 KiB, then PUT ?digest=), each with manifest annotations (given as arguments and from an
annotation file) and per-file annotations (from the annotation file). Then pulls each tag into a
fresh directory and checks: every file byte-identical, and the manifest as read back (GET by tag)
carries the manifest annotations and, on each layer, the file's title and its own annotations.
Then lists the tags (get_tags: both, in order) and deletes `mono` with delete_tag (HEAD for the
digest, DELETE by digest): GET of `mono` answers 404 and `chunked` is still there.

Auth: Basic, username `ci`, TOKEN as password (oras's "basic" backend answers the server's
WWW-Authenticate challenge; with ORAS_AUTH_BACKEND=token, oras's "token" backend trades them at
the challenge's realm for a bearer token). Exits 0 if all match; otherwise names the step and exits 1.
"""
import hashlib
import json
import os
import sys
import tempfile
import urllib.parse

import oras.client

base, token, repository = sys.argv[1], sys.argv[2], sys.argv[3]
parsed = urllib.parse.urlsplit(base)
host = parsed.netloc

# ORAS_AUTH_BACKEND=token follows a Bearer challenge to the registry's token endpoint with these
# Basic credentials (scripts/oci/token-clients.sh); basic, the default, sends them on every request.
backend = os.environ.get("ORAS_AUTH_BACKEND", "basic")
client = oras.client.OrasClient(hostname=host, insecure=parsed.scheme == "http", auth_backend=backend)
client.auth.set_basic_auth("ci", token)

work = tempfile.mkdtemp(prefix="oras-roundtrip.")
source = os.path.join(work, "source")
os.makedirs(source)
files = {
    "hello.txt": b"hello from oras-py\n",
    "data.bin": os.urandom(1024 * 1024 + 17),
    "meta.json": json.dumps({"kind": "test", "numbers": [1, 2, 3]}).encode(),
}
file_annotations = {
    "hello.txt": {"test.role": "greeting", "test.lang": "en"},
    "data.bin": {"test.role": "payload"},
    "meta.json": {"test.role": "metadata", "test.schema": "none"},
}
manifest_from_file = {"test.source": "annotation-file"}
manifest_from_arguments = {"org.opencontainers.image.description": "oras round trip", "test.client": "oras-py"}
for name, data in files.items():
    with open(os.path.join(source, name), "wb") as file:
        file.write(data)
annotation_file = os.path.join(work, "annotations.json")
with open(annotation_file, "w") as file:
    json.dump({"$manifest": manifest_from_file, **file_annotations}, file)


def fail(step: str, message: str) -> None:
    print(f"FAILED: oras {step}: {message}", file=sys.stderr)
    sys.exit(1)


for tag, chunked in (("mono", False), ("chunked", True)):
    target = f"{host}/{repository}:{tag}"
    # Fresh random bytes each round: oras skips a blob the registry already has (HEAD first).
    files["data.bin"] = os.urandom(1024 * 1024 + 17)
    with open(os.path.join(source, "data.bin"), "wb") as file:
        file.write(files["data.bin"])
    step = f"push {target} ({'chunked' if chunked else 'monolithic'})"
    os.chdir(source)  # oras-py takes file paths relative to the working directory
    try:
        response = client.push(target=target, files=list(files), annotation_file=annotation_file,
                               manifest_annotations=manifest_from_arguments, do_chunked=chunked,
                               chunk_size=256 * 1024, quiet=True)
    except Exception as error:  # oras-py raises ValueError and requests errors alike
        fail(step, f"{type(error).__name__}: {error}")
    if response.status_code != 201:
        fail(step, f"manifest PUT answered {response.status_code}: {response.text[:300]}")
    print(f"  ok  {step}")

    step = f"pull {target}"
    destination = os.path.join(work, f"pulled-{tag}")
    os.makedirs(destination)
    try:
        pulled = client.pull(target=target, outdir=destination)
    except Exception as error:
        fail(step, f"{type(error).__name__}: {error}")
    names = sorted(os.path.basename(path) for path in pulled)
    if names != sorted(files):
        fail(step, f"pulled {names}, expected {sorted(files)}")
    for name, data in files.items():
        with open(os.path.join(destination, name), "rb") as file:
            got = file.read()
        if got != data:
            fail(step, f"{name}: {len(got)} bytes, sha256 {hashlib.sha256(got).hexdigest()}; "
                       f"pushed {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}")
    print(f"  ok  {step}: {len(files)} files byte-identical")

    step = f"annotations of {target}"
    try:
        manifest = client.get_manifest(target)
    except Exception as error:
        fail(step, f"{type(error).__name__}: {error}")
    want = {**manifest_from_file, **manifest_from_arguments}
    got = manifest.get("annotations") or {}
    if any(got.get(key) != value for key, value in want.items()):
        fail(step, f"manifest annotations {got}, expected at least {want}")
    for layer in manifest.get("layers", []):
        annotations = layer.get("annotations") or {}
        title = annotations.get("org.opencontainers.image.title")
        if title not in files:
            fail(step, f"layer {layer.get('digest')} has title {title!r}")
        want_layer = file_annotations[title]
        if any(annotations.get(key) != value for key, value in want_layer.items()):
            fail(step, f"layer {title}: annotations {annotations}, expected at least {want_layer}")
        if layer.get("digest") != "sha256:" + hashlib.sha256(files[title]).hexdigest() or layer.get("size") != len(files[title]):
            fail(step, f"layer {title}: descriptor {layer.get('digest')} size {layer.get('size')} does not match the file")
    print(f"  ok  {step}: manifest and {len(manifest.get('layers', []))} layer annotations")

step = "tags and delete by digest"
container = f"{host}/{repository}"
try:
    tags = client.get_tags(container)
    if "no-tag-paging" in os.environ.get("OCI_KNOWN_DEVIATIONS", "").split(","):
        tags = sorted(tags)  # docker-registry 2.8 does not order tags (see http_checks.py)
    if tags != ["chunked", "mono"]:
        fail(step, f"get_tags answered {tags}, expected ['chunked', 'mono']")
    # delete_tag: HEAD the tag for its Docker-Content-Digest, then DELETE the manifest by digest (202).
    if not client.delete_tag(container, "mono"):
        fail(step, "delete_tag(mono) found no manifest")
    response = client.do_request(f"{client.prefix}://{host}/v2/{repository}/manifests/mono", "GET",
                                 headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
    if response.status_code != 404:
        fail(step, f"GET manifests/mono after the delete answered {response.status_code}, expected 404")
    client.get_manifest(f"{container}:chunked")
except SystemExit:
    raise
except Exception as error:
    fail(step, f"{type(error).__name__}: {error}")
print(f"  ok  {step}: get_tags lists both, delete_tag removes mono, chunked stays")

print("  oras round trip passed")
