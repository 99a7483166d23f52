#!/usr/bin/env python3
"""Raw-HTTP checks of an OCI distribution-spec v1.1 registry, for scripts/oci/test-clients.sh.

    http_checks.py URL TOKEN NAMESPACE RUN_ID [IMAGE_REPO IMAGE_DIGEST]

Every check talks plain HTTP (python requests) with Basic auth, any username and TOKEN as the
password, to repositories NAMESPACE/<something>-RUN_ID that this run creates, so runs never see
each other's data. IMAGE_REPO and IMAGE_DIGEST name an image already pushed (by skopeo): the
referrers are attached to it; without them they are attached to a manifest pushed here.

Checks: the /v2/ version check and its 401 challenge; monolithic (POST + PUT, single POST
?digest=), chunked (PATCH with Content-Range, upload status) and mounted blob uploads; blob GET,
HEAD and Range; sha512 blob uploads (monolithic and chunked) fetched by sha512 and sha256; a
manifest pushed, fetched and deleted by sha512; manifests PUT/GET/HEAD by tag and digest; tag listing with n/last paging (the
Link header is followed when present); deletion by digest; referrers (OCI-Subject, the listing,
?artifactType=); bad inputs (wrong sha256 and sha512 digests, another algorithm, a malformed sha512, unknown blob, manifest with an
unknown blob, invalid manifest, chunk past the offset, cancelled upload, name outside the
grammar, no or wrong credentials), each also proving that nothing was stored.

Exits 0 if all pass. A failed check prints FAILED, the step, the exact request and the response,
and ends its group (base, blobs, bad inputs, tags, referrers); the other groups still run, and the
exit status is 1. Lines starting with NOTE are spec-permitted behaviour worth knowing, not failures.
OCI_KNOWN_DEVIATIONS (comma-separated) skips checks a registry is known to fail, so the script
itself can be tested against docker-registry 2.8 (scripts/oci/registry-selftest.sh): `no-416`
(it appends an out-of-order chunk instead of answering 416), `no-referrers` (no referrers API),
`no-tag-paging` (tags unsorted, n and last ignored), `no-sha512-manifests` (manifests cannot be
pushed by a sha512 digest).
Never set it for ArtifactStore.
"""
import hashlib
import json
import os
import re
import sys
import urllib.parse

import requests

BASE, TOKEN, NAMESPACE, RUN_ID = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3], sys.argv[4]
IMAGE_REPO = sys.argv[5] if len(sys.argv) > 5 else None
IMAGE_DIGEST = sys.argv[6] if len(sys.argv) > 6 else None
KNOWN_DEVIATIONS = set(filter(None, os.environ.get("OCI_KNOWN_DEVIATIONS", "").split(",")))

MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
INDEX_TYPE = "application/vnd.oci.image.index.v1+json"
EMPTY_TYPE = "application/vnd.oci.empty.v1+json"
EMPTY_JSON = b"{}"

session = requests.Session()
session.auth = ("ci", TOKEN)
passed = []
failures = []
step = "start"


class CheckFailed(Exception):
    pass


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def sha512(data: bytes) -> str:
    return "sha512:" + hashlib.sha512(data).hexdigest()


def describe(response: requests.Response) -> str:
    request = response.request
    body = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
    shown = body[:300].decode("utf-8", "replace") + (f"... ({len(body)} bytes)" if len(body) > 300 else "")
    headers = {k: v for k, v in request.headers.items() if k.lower() not in ("authorization", "user-agent", "accept-encoding", "connection")}
    answer = response.content[:600].decode("utf-8", "replace")
    return (f"    request:  {request.method} {request.url}\n"
            f"              headers {headers}\n"
            + (f"              body {shown!r}\n" if body else "")
            + f"    response: {response.status_code} {response.reason}\n"
            f"              headers {dict(response.headers)}\n"
            f"              body {answer!r}")


def expect(condition: bool, message: str, response: requests.Response | None = None) -> None:
    if not condition:
        raise CheckFailed(f"{message}\n{describe(response)}" if response is not None else message)


def expect_status(response: requests.Response, *statuses: int) -> None:
    expect(response.status_code in statuses,
           f"expected HTTP {' or '.join(map(str, statuses))}, got {response.status_code}", response)


def expect_error(response: requests.Response, status: int, *codes: str) -> None:
    """The spec's error answer: the status and a JSON body {"errors": [{"code": …}]} naming one of codes."""
    expect_status(response, status)
    try:
        errors = response.json()["errors"]
        found = [error["code"] for error in errors]
    except (ValueError, KeyError, TypeError):
        raise CheckFailed(f"expected an OCI error body with code {'/'.join(codes)}\n{describe(response)}")
    expect(any(code in codes for code in found), f"expected error code {'/'.join(codes)}, got {found}", response)


def url(path: str) -> str:
    return f"{BASE}{path}"


def location_of(response: requests.Response) -> str:
    location = response.headers.get("Location")
    expect(bool(location), "no Location header", response)
    return urllib.parse.urljoin(response.url, location)


def with_query(location: str, **parameters: str) -> str:
    return location + ("&" if "?" in location else "?") + urllib.parse.urlencode(parameters)


def begin(name: str) -> None:
    global step
    step = name


def done() -> None:
    if step not in failures:
        passed.append(step)
        print(f"  ok  {step}", flush=True)


def record(message: str) -> None:
    failures.append(step)
    print(f"FAILED: {step}: {message}", file=sys.stderr, flush=True)


def note(message: str) -> None:
    print(f"  NOTE {step}: {message}")


# --- helpers that push ------------------------------------------------------------------------
def push_blob(repo: str, data: bytes) -> dict:
    """POST then PUT ?digest= with the body; checks 202/201, Location and Docker-Content-Digest."""
    digest = sha256(data)
    response = session.post(url(f"/v2/{repo}/blobs/uploads/"), headers={"Content-Length": "0"})
    expect_status(response, 202)
    location = location_of(response)
    response = session.put(with_query(location, digest=digest), data=data,
                           headers={"Content-Type": "application/octet-stream"})
    expect_status(response, 201)
    expect(response.headers.get("Docker-Content-Digest") == digest,
           f"Docker-Content-Digest should be {digest}", response)
    location_of(response)
    return {"mediaType": "application/octet-stream", "digest": digest, "size": len(data)}


def push_manifest(repo: str, reference: str, manifest: dict, media_type: str = MANIFEST_TYPE) -> tuple[bytes, requests.Response]:
    body = json.dumps(manifest, separators=(",", ":")).encode()
    response = session.put(url(f"/v2/{repo}/manifests/{reference}"), data=body, headers={"Content-Type": media_type})
    expect_status(response, 201)
    expect(response.headers.get("Docker-Content-Digest") == sha256(body),
           f"Docker-Content-Digest should be {sha256(body)}", response)
    location_of(response)
    return body, response


def empty_config(repo: str) -> dict:
    descriptor = push_blob(repo, EMPTY_JSON)
    return {**descriptor, "mediaType": EMPTY_TYPE}


def small_manifest(repo: str, text: str, **extra) -> dict:
    layer = push_blob(repo, text.encode())
    return {"schemaVersion": 2, "mediaType": MANIFEST_TYPE, "config": empty_config(repo),
            "layers": [{**layer, "mediaType": "application/vnd.oci.image.layer.v1.tar"}], **extra}


def single_post(repo: str, digest: str, data: bytes) -> requests.Response:
    """POST ?digest= with the body; a registry that answers 202 (it ignores a single-POST body,
    allowed by the spec) gets the body again with PUT ?digest= on the session."""
    response = session.post(url(f"/v2/{repo}/blobs/uploads/?digest={digest}"), data=data,
                            headers={"Content-Type": "application/octet-stream"})
    if response.status_code == 202:
        note("the registry answered 202 to a single POST; finishing with PUT")
        response = session.put(with_query(location_of(response), digest=digest), data=data,
                               headers={"Content-Type": "application/octet-stream"})
    return response


def sha512_digest_header(response: requests.Response, digest: str, data: bytes) -> None:
    """Docker-Content-Digest of a blob named by sha512: that digest (ArtifactStore answers with
    the client's digest), or the registry's canonical sha256 (docker-registry does), noted."""
    answered = response.headers.get("Docker-Content-Digest")
    expect(answered in (digest, sha256(data)), f"Docker-Content-Digest should be {digest} (or {sha256(data)})", response)
    if answered != digest:
        note(f"Docker-Content-Digest names the canonical sha256, not the sha512 the client used")


def blob_absent(repo: str, digest: str) -> None:
    """Proof that a refused or cancelled upload stored nothing; a failure is recorded and the
    step goes on, so the checks after it still run."""
    response = session.head(url(f"/v2/{repo}/blobs/{digest}"))
    if response.status_code != 404:
        record(f"{digest} should not exist (HEAD should answer 404), got {response.status_code}\n{describe(response)}")


# --- the checks ---------------------------------------------------------------------------------
def check_base() -> None:
    begin("GET /v2/ with credentials -> 200")
    expect_status(session.get(url("/v2/")), 200)
    done()

    begin("no credentials -> 401 UNAUTHORIZED with WWW-Authenticate")
    for method, path in (("GET", "/v2/"), ("GET", f"/v2/{NAMESPACE}/blobs-{RUN_ID}/tags/list"),
                         ("POST", f"/v2/{NAMESPACE}/blobs-{RUN_ID}/blobs/uploads/")):
        response = requests.request(method, url(path), headers={"Content-Length": "0"})
        expect_error(response, 401, "UNAUTHORIZED")
        challenge = response.headers.get("WWW-Authenticate", "")
        expect(challenge.lower().startswith("basic"), "expected a WWW-Authenticate: Basic challenge", response)
    done()

    begin("wrong password -> 401 with WWW-Authenticate")
    wrong = ("y" if TOKEN.startswith("x") else "x") + TOKEN[1:]
    response = requests.get(url("/v2/"), auth=("ci", wrong))
    expect_status(response, 401)
    expect("WWW-Authenticate" in response.headers, "no WWW-Authenticate header", response)
    done()


def check_blobs() -> None:
    repo = f"{NAMESPACE}/blobs-{RUN_ID}"
    data = os.urandom(100_000)

    begin("monolithic upload (POST then PUT ?digest=), GET, HEAD and Range")
    descriptor = push_blob(repo, data)
    response = session.get(url(f"/v2/{repo}/blobs/{descriptor['digest']}"))
    expect_status(response, 200)
    expect(response.content == data, "blob bytes differ from what was pushed", response)
    expect(response.headers.get("Docker-Content-Digest") == descriptor["digest"], "Docker-Content-Digest", response)
    response = session.head(url(f"/v2/{repo}/blobs/{descriptor['digest']}"))
    expect_status(response, 200)
    expect(response.headers.get("Content-Length") == str(len(data)), "HEAD Content-Length", response)
    expect(response.headers.get("Docker-Content-Digest") == descriptor["digest"], "HEAD Docker-Content-Digest", response)
    response = session.get(url(f"/v2/{repo}/blobs/{descriptor['digest']}"), headers={"Range": "bytes=1000-1999"})
    expect_status(response, 206)
    expect(response.content == data[1000:2000], "Range bytes=1000-1999 returned other bytes", response)
    done()

    begin("single POST ?digest= upload")
    single = os.urandom(5000)
    response = single_post(repo, sha256(single), single)
    expect_status(response, 201)
    expect(response.headers.get("Docker-Content-Digest") == sha256(single), "Docker-Content-Digest", response)
    expect(session.get(url(f"/v2/{repo}/blobs/{sha256(single)}")).content == single, "single POST blob bytes differ")
    done()

    begin("chunked upload: PATCH with Content-Range, status GET with Range, 416 out of order, PUT ?digest=")
    chunked = os.urandom(300_000)
    response = session.post(url(f"/v2/{repo}/blobs/uploads/"), headers={"Content-Length": "0"})
    expect_status(response, 202)
    location = location_of(response)
    offset = 0
    for size in (100_000, 150_000):
        piece = chunked[offset:offset + size]
        response = session.patch(location, data=piece, headers={
            "Content-Type": "application/octet-stream",
            "Content-Range": f"{offset}-{offset + size - 1}", "Content-Length": str(size)})
        expect_status(response, 202)
        expect(response.headers.get("Range") == f"0-{offset + size - 1}",
               f"PATCH answer should carry Range: 0-{offset + size - 1}", response)
        location = location_of(response)
        offset += size
    response = session.get(location)
    expect_status(response, 204)
    expect(response.headers.get("Range") == f"0-{offset - 1}", f"upload status should say Range: 0-{offset - 1}", response)
    if "no-416" in KNOWN_DEVIATIONS:
        note("out-of-order chunk not sent (OCI_KNOWN_DEVIATIONS=no-416)")
    else:
        response = session.patch(location, data=b"x" * 10, headers={
            "Content-Type": "application/octet-stream", "Content-Range": f"{offset + 10}-{offset + 19}", "Content-Length": "10"})
        expect_status(response, 416)
        response = session.get(location)
        expect_status(response, 204)
        expect(response.headers.get("Range") == f"0-{offset - 1}", "a refused chunk changed the upload's offset", response)
    response = session.put(with_query(location, digest=sha256(chunked)), data=chunked[offset:],
                           headers={"Content-Type": "application/octet-stream"})
    expect_status(response, 201)
    expect(session.get(url(f"/v2/{repo}/blobs/{sha256(chunked)}")).content == chunked, "chunked blob bytes differ")
    done()

    begin("upload cancel (DELETE upload) -> 204, then the upload is unknown")
    response = session.post(url(f"/v2/{repo}/blobs/uploads/"), headers={"Content-Length": "0"})
    expect_status(response, 202)
    location = location_of(response)
    response = session.patch(location, data=b"cancel me", headers={
        "Content-Type": "application/octet-stream", "Content-Range": "0-8", "Content-Length": "9"})
    expect_status(response, 202)
    location = location_of(response)
    expect_status(session.delete(location), 204)
    expect_error(session.get(location), 404, "BLOB_UPLOAD_UNKNOWN")
    blob_absent(repo, sha256(b"cancel me"))
    done()

    begin("cross-repository mount (POST ?mount=&from=)")
    target = f"{NAMESPACE}/mounted-{RUN_ID}"
    if session.head(url(f"/v2/{target}/blobs/{descriptor['digest']}")).status_code == 200:
        note(f"{target} already serves a blob pushed only to {repo}: blobs are shared across repositories "
             "(of a namespace, on ArtifactStore), so the mount links nothing new")
    response = session.post(url(f"/v2/{target}/blobs/uploads/?mount={descriptor['digest']}&from={repo}"),
                            headers={"Content-Length": "0"})
    if response.status_code == 202:
        note("the registry declined the mount and opened an upload instead (allowed by the spec)")
        session.delete(location_of(response))
    else:
        expect_status(response, 201)
        expect(response.headers.get("Docker-Content-Digest", descriptor["digest"]) == descriptor["digest"], "Docker-Content-Digest", response)
        location_of(response)
        expect(session.get(url(f"/v2/{target}/blobs/{descriptor['digest']}")).content == data, "mounted blob bytes differ")
    done()

    begin("sha512: single POST ?digest=sha512:, then HEAD/GET by sha512 and by sha256")
    data = os.urandom(70_000)
    digest = sha512(data)
    response = single_post(repo, digest, data)
    expect_status(response, 201)
    sha512_digest_header(response, digest, data)
    location_of(response)
    response = session.head(url(f"/v2/{repo}/blobs/{digest}"))
    expect_status(response, 200)
    expect(response.headers.get("Content-Length") == str(len(data)), "Content-Length", response)
    sha512_digest_header(response, digest, data)
    for name in (digest, sha256(data)):
        response = session.get(url(f"/v2/{repo}/blobs/{name}"))
        expect_status(response, 200)
        expect(response.content == data, f"GET by {name}: bytes differ", response)
    done()

    begin("sha512: chunked PATCHes then PUT ?digest=sha512:, then GET by sha512")
    data = os.urandom(300_000)
    digest = sha512(data)
    response = session.post(url(f"/v2/{repo}/blobs/uploads/"), headers={"Content-Length": "0"})
    expect_status(response, 202)
    location = location_of(response)
    for start in range(0, len(data), 100_000):
        part = data[start:start + 100_000]
        response = session.patch(location, data=part, headers={
            "Content-Type": "application/octet-stream", "Content-Range": f"{start}-{start + len(part) - 1}",
            "Content-Length": str(len(part))})
        expect_status(response, 202)
        location = location_of(response)
    response = session.put(with_query(location, digest=digest), headers={"Content-Length": "0"})
    expect_status(response, 201)
    sha512_digest_header(response, digest, data)
    response = session.get(url(f"/v2/{repo}/blobs/{digest}"))
    expect_status(response, 200)
    expect(response.content == data, "bytes differ", response)
    done()


def check_bad_inputs() -> None:
    repo = f"{NAMESPACE}/bad-{RUN_ID}"
    body = os.urandom(4096)

    begin("wrong digest on upload -> 400 DIGEST_INVALID, nothing stored")
    claimed = sha256(b"something else")
    response = session.post(url(f"/v2/{repo}/blobs/uploads/"), headers={"Content-Length": "0"})
    expect_status(response, 202)
    response = session.put(with_query(location_of(response), digest=claimed), data=body,
                           headers={"Content-Type": "application/octet-stream"})
    expect_error(response, 400, "DIGEST_INVALID")
    blob_absent(repo, claimed)
    blob_absent(repo, sha256(body))
    done()

    begin("digest algorithm other than sha256/sha512, or a malformed sha512 -> 400 DIGEST_INVALID, nothing stored")
    other = os.urandom(4096)
    for claimed in ("md5:" + hashlib.md5(other).hexdigest(), sha512(other).upper().replace("SHA512:", "sha512:"),
                    sha512(other)[:-1]):
        response = session.post(url(f"/v2/{repo}/blobs/uploads/"), headers={"Content-Length": "0"})
        expect_status(response, 202)
        response = session.put(with_query(location_of(response), digest=claimed), data=other,
                               headers={"Content-Type": "application/octet-stream"})
        expect_error(response, 400, "DIGEST_INVALID")
    blob_absent(repo, sha256(other))
    blob_absent(repo, sha512(other))
    done()

    begin("wrong sha512 digest (single POST, and PATCH then PUT) -> 400 DIGEST_INVALID, nothing stored")
    claimed = sha512(b"something else")
    expect_error(single_post(repo, claimed, other), 400, "DIGEST_INVALID")
    response = session.post(url(f"/v2/{repo}/blobs/uploads/"), headers={"Content-Length": "0"})
    expect_status(response, 202)
    response = session.patch(location_of(response), data=other, headers={"Content-Type": "application/octet-stream"})
    expect_status(response, 202)
    response = session.put(with_query(location_of(response), digest=claimed), headers={"Content-Length": "0"})
    expect_error(response, 400, "DIGEST_INVALID")
    blob_absent(repo, claimed)
    blob_absent(repo, sha512(other))
    blob_absent(repo, sha256(other))
    done()

    begin("unknown blob -> 404 BLOB_UNKNOWN (GET), 404 (HEAD)")
    unknown = sha256(os.urandom(32))
    expect_error(session.get(url(f"/v2/{repo}/blobs/{unknown}")), 404, "BLOB_UNKNOWN")
    expect_status(session.head(url(f"/v2/{repo}/blobs/{unknown}")), 404)
    done()

    begin("manifest referencing an unknown blob -> 400 MANIFEST_BLOB_UNKNOWN, nothing stored")
    config = empty_config(repo)
    manifest = {"schemaVersion": 2, "mediaType": MANIFEST_TYPE, "config": config,
                "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": unknown, "size": 1234}]}
    payload = json.dumps(manifest).encode()
    response = session.put(url(f"/v2/{repo}/manifests/dangling"), data=payload, headers={"Content-Type": MANIFEST_TYPE})
    expect_error(response, 400, "MANIFEST_BLOB_UNKNOWN", "BLOB_UNKNOWN")
    expect_error(session.get(url(f"/v2/{repo}/manifests/dangling"), headers={"Accept": MANIFEST_TYPE}), 404, "MANIFEST_UNKNOWN")
    expect_status(session.head(url(f"/v2/{repo}/manifests/{sha256(payload)}"), headers={"Accept": MANIFEST_TYPE}), 404)
    done()

    begin("invalid manifest JSON -> 400 MANIFEST_INVALID, nothing stored")
    payload = b'{"schemaVersion": 2, "mediaType": "' + MANIFEST_TYPE.encode() + b'", "config": '
    response = session.put(url(f"/v2/{repo}/manifests/broken"), data=payload, headers={"Content-Type": MANIFEST_TYPE})
    expect_error(response, 400, "MANIFEST_INVALID")
    expect_status(session.head(url(f"/v2/{repo}/manifests/broken"), headers={"Accept": MANIFEST_TYPE}), 404)
    done()

    begin("wrong digest in the manifest URL -> 400 DIGEST_INVALID, nothing stored")
    good = small_manifest(repo, "digest mismatch")
    payload = json.dumps(good).encode()
    wrong = sha256(payload + b" ")
    response = session.put(url(f"/v2/{repo}/manifests/{wrong}"), data=payload, headers={"Content-Type": MANIFEST_TYPE})
    expect_error(response, 400, "DIGEST_INVALID")
    expect_status(session.head(url(f"/v2/{repo}/manifests/{sha256(payload)}"), headers={"Accept": MANIFEST_TYPE}), 404)
    done()

    begin("repository name outside the grammar -> 4xx, nothing created")
    response = session.post(url(f"/v2/{NAMESPACE}/Upper-Case-{RUN_ID}/blobs/uploads/"), headers={"Content-Length": "0"})
    expect(400 <= response.status_code < 500, "expected a 4xx answer", response)
    try:
        codes = [error["code"] for error in response.json()["errors"]]
    except (ValueError, KeyError, TypeError):
        codes = []
    if "NAME_INVALID" not in codes:
        note(f"answered {response.status_code} with codes {codes or 'none (not an OCI error body)'}, not NAME_INVALID")
    done()


def check_tags_and_delete() -> None:
    repo = f"{NAMESPACE}/tags-{RUN_ID}"
    tags = ["v1", "v2", "v3", "v4", "latest", "a-b_c.1"]
    expected = sorted(tags)

    begin("manifest PUT by tag; GET/HEAD by tag and by digest")
    manifest = small_manifest(repo, "tagged", annotations={"org.opencontainers.image.title": f"tags {RUN_ID}"})
    digest = None
    for tag in tags:
        body, _ = push_manifest(repo, tag, manifest)
        digest = sha256(body)
    for reference in ("v1", digest):
        response = session.get(url(f"/v2/{repo}/manifests/{reference}"), headers={"Accept": MANIFEST_TYPE})
        expect_status(response, 200)
        expect(response.content == body, "manifest bytes differ from what was pushed", response)
        expect(response.headers.get("Docker-Content-Digest") == digest, "Docker-Content-Digest", response)
        expect(response.headers.get("Content-Type", "").split(";")[0] == MANIFEST_TYPE, "Content-Type should be the manifest's mediaType", response)
        response = session.head(url(f"/v2/{repo}/manifests/{reference}"), headers={"Accept": MANIFEST_TYPE})
        expect_status(response, 200)
        expect(response.headers.get("Docker-Content-Digest") == digest, "HEAD Docker-Content-Digest", response)
        expect(response.headers.get("Content-Length") == str(len(body)), "HEAD Content-Length", response)
    done()

    begin("manifest PUT by a sha512 digest; GET/HEAD by sha512 and by sha256; DELETE by sha512")
    if "no-sha512-manifests" in KNOWN_DEVIATIONS:
        note("skipped (OCI_KNOWN_DEVIATIONS=no-sha512-manifests)")
    else:
        check_manifest_by_sha512(repo)
    done()

    begin("tags list (whole, lexically ordered)")
    response = session.get(url(f"/v2/{repo}/tags/list"))
    expect_status(response, 200)
    answer = response.json()
    expect(answer.get("name") == repo, f"name should be {repo}", response)
    if "no-tag-paging" in KNOWN_DEVIATIONS:
        expect(sorted(answer.get("tags") or []) == expected, f"tags should be {expected} in any order", response)
        note("order not checked and paging skipped (OCI_KNOWN_DEVIATIONS=no-tag-paging)")
        done()
    else:
        expect(answer.get("tags") == expected, f"tags should be {expected}", response)
        done()
        check_tag_paging(repo, expected)

    begin("unknown repository -> 404 NAME_UNKNOWN on tags list")
    expect_error(session.get(url(f"/v2/{NAMESPACE}/never-{RUN_ID}/tags/list")), 404, "NAME_UNKNOWN")
    done()

    begin("DELETE manifest by digest -> 202, then GET -> 404 MANIFEST_UNKNOWN")
    doomed = small_manifest(repo, "to be deleted")
    body, _ = push_manifest(repo, "doomed", doomed)
    doomed_digest = sha256(body)
    expect_status(session.delete(url(f"/v2/{repo}/manifests/{doomed_digest}")), 202)
    expect_error(session.get(url(f"/v2/{repo}/manifests/{doomed_digest}"), headers={"Accept": MANIFEST_TYPE}), 404, "MANIFEST_UNKNOWN")
    expect_status(session.head(url(f"/v2/{repo}/manifests/{doomed_digest}"), headers={"Accept": MANIFEST_TYPE}), 404)
    response = session.delete(url(f"/v2/{repo}/manifests/{doomed_digest}"))
    expect_error(response, 404, "MANIFEST_UNKNOWN")
    response = session.get(url(f"/v2/{repo}/manifests/doomed"), headers={"Accept": MANIFEST_TYPE})
    if response.status_code != 404:
        note(f"the tag 'doomed' still answers {response.status_code} after its manifest was deleted by digest")
    response = session.get(url(f"/v2/{repo}/tags/list"))
    expect_status(response, 200)
    if "doomed" in (response.json().get("tags") or []):
        note("the tags list still names 'doomed' after its manifest was deleted by digest")
    response = session.get(url(f"/v2/{repo}/manifests/v1"), headers={"Accept": MANIFEST_TYPE})
    expect_status(response, 200)
    done()
    return repo, digest


def check_manifest_by_sha512(repo: str) -> None:
    """PUT by sha512 (a wrong sha512: DIGEST_INVALID), GET/HEAD by sha512 and sha256, DELETE by sha512."""
    manifest512 = small_manifest(repo, "by sha512")
    payload = json.dumps(manifest512, separators=(",", ":")).encode()
    digest512 = sha512(payload)
    response = session.put(url(f"/v2/{repo}/manifests/{digest512}"), data=payload, headers={"Content-Type": MANIFEST_TYPE})
    expect_status(response, 201)
    sha512_digest_header(response, digest512, payload)
    for reference in (digest512, sha256(payload)):
        for method in (session.get, session.head):
            response = method(url(f"/v2/{repo}/manifests/{reference}"), headers={"Accept": MANIFEST_TYPE})
            expect_status(response, 200)
            if reference == digest512:
                sha512_digest_header(response, digest512, payload)
            if method is session.get:
                expect(response.content == payload, f"manifest bytes by {reference} differ from what was pushed", response)
    expect_error(session.put(url(f"/v2/{repo}/manifests/{sha512(payload + b' ')}"), data=payload, headers={"Content-Type": MANIFEST_TYPE}),
                 400, "DIGEST_INVALID")
    expect_status(session.delete(url(f"/v2/{repo}/manifests/{digest512}")), 202)
    for reference in (digest512, sha256(payload)):
        expect_error(session.get(url(f"/v2/{repo}/manifests/{reference}"), headers={"Accept": MANIFEST_TYPE}), 404, "MANIFEST_UNKNOWN")


def check_tag_paging(repo: str, expected: list[str]) -> None:
    begin("tags list paging with n and last (following Link)")
    pages, next_url = [], url(f"/v2/{repo}/tags/list?n=2")
    while next_url and len(pages) < 10:
        response = session.get(next_url)
        expect_status(response, 200)
        page = response.json().get("tags") or []
        expect(len(page) <= 2, "a page holds more than n=2 tags", response)
        pages.append(page)
        link = response.headers.get("Link")
        if link:
            match = re.match(r'\s*<([^>]+)>\s*;\s*rel="?next"?', link)
            expect(bool(match), "Link header is not <url>; rel=\"next\"", response)
            next_url = urllib.parse.urljoin(response.url, match.group(1))
        elif page and len(page) == 2 and sum(map(len, pages)) < len(expected):
            raise CheckFailed(f"no Link header though tags remain\n{describe(response)}")
        else:
            next_url = None
    walked = [tag for page in pages for tag in page]
    expect(walked == expected, f"paging walked {walked}, expected {expected}")
    response = session.get(url(f"/v2/{repo}/tags/list?n=2&last=v2"))
    expect_status(response, 200)
    expect(response.json().get("tags") == ["v3", "v4"], "n=2&last=v2 should give [v3, v4]", response)
    response = session.get(url(f"/v2/{repo}/tags/list?last=v3"))
    expect_status(response, 200)
    expect(response.json().get("tags") == ["v4"], "last=v3 should give [v4]", response)
    done()


def check_referrers(repo: str, subject_digest: str) -> None:
    response = session.head(url(f"/v2/{repo}/manifests/{subject_digest}"), headers={"Accept": MANIFEST_TYPE})
    expect_status(response, 200)
    subject = {"mediaType": MANIFEST_TYPE, "digest": subject_digest, "size": int(response.headers["Content-Length"])}

    begin("referrers of a manifest without any -> 200 empty image index")
    response = session.get(url(f"/v2/{repo}/referrers/{subject_digest}"))
    expect_status(response, 200)
    expect(response.headers.get("Content-Type", "").split(";")[0] == INDEX_TYPE, f"Content-Type should be {INDEX_TYPE}", response)
    expect(response.json().get("manifests") == [], "manifests should be empty", response)
    done()

    begin("PUT a manifest with subject -> 201 with OCI-Subject")
    kinds = {"sbom": "application/vnd.artifactstore.test.sbom.v1+json",
             "signature": "application/vnd.artifactstore.test.signature.v1"}
    referrers = {}
    for kind, artifact_type in kinds.items():
        annotations = {"org.opencontainers.image.created": "2026-01-01T00:00:00Z", "test.kind": kind, "test.run": RUN_ID}
        manifest = small_manifest(repo, f"{kind} of {subject_digest}", artifactType=artifact_type,
                                  subject=subject, annotations=annotations)
        body = json.dumps(manifest, separators=(",", ":")).encode()
        response = session.put(url(f"/v2/{repo}/manifests/{sha256(body)}"), data=body, headers={"Content-Type": MANIFEST_TYPE})
        expect_status(response, 201)
        expect(response.headers.get("OCI-Subject") == subject_digest, f"OCI-Subject should be {subject_digest}", response)
        expect(response.headers.get("Docker-Content-Digest") == sha256(body), "Docker-Content-Digest", response)
        referrers[kind] = {"mediaType": MANIFEST_TYPE, "digest": sha256(body), "size": len(body),
                           "artifactType": artifact_type, "annotations": annotations}
    done()

    def listed(response: requests.Response) -> dict:
        expect_status(response, 200)
        expect(response.headers.get("Content-Type", "").split(";")[0] == INDEX_TYPE, f"Content-Type should be {INDEX_TYPE}", response)
        index = response.json()
        expect(index.get("schemaVersion") == 2 and index.get("mediaType") == INDEX_TYPE, "not an image index", response)
        return {entry.get("digest"): entry for entry in index.get("manifests") or []}

    begin("GET /v2/NAME/referrers/<digest> lists them (artifactType, size, annotations)")
    found = listed(session.get(url(f"/v2/{repo}/referrers/{subject_digest}")))
    expect(set(found) == {d["digest"] for d in referrers.values()}, f"referrers should be {[d['digest'] for d in referrers.values()]}, got {list(found)}")
    for descriptor in referrers.values():
        entry = found[descriptor["digest"]]
        for key in ("mediaType", "size", "artifactType", "annotations"):
            expect(entry.get(key) == descriptor[key], f"referrer {descriptor['digest']}: {key} should be {descriptor[key]!r}, got {entry.get(key)!r}")
    done()

    begin("GET /v2/NAME/referrers/<digest>?artifactType= filters")
    response = session.get(url(f"/v2/{repo}/referrers/{subject_digest}?artifactType={urllib.parse.quote(kinds['sbom'], safe='')}"))
    found = listed(response)
    if "artifactType" in response.headers.get("OCI-Filters-Applied", ""):
        expect(list(found) == [referrers["sbom"]["digest"]], "filtered list should hold only the sbom referrer", response)
    else:
        note("no OCI-Filters-Applied: artifactType header: the registry does not filter (allowed; clients filter)")
        expect(set(found) == {d["digest"] for d in referrers.values()}, "an unfiltered answer should list every referrer", response)
    response = session.get(url(f"/v2/{repo}/referrers/{subject_digest}?artifactType=application%2Fvnd.none"))
    found = listed(response)
    if "artifactType" in response.headers.get("OCI-Filters-Applied", ""):
        expect(found == {}, "filter on an unused artifactType should give an empty list", response)
    done()

    begin("referrers with a malformed digest -> 400")
    expect_status(session.get(url(f"/v2/{repo}/referrers/sha256:not-a-digest")), 400)
    done()


def main() -> int:
    """Runs the groups of checks in order; a failed check ends its group, and the next group runs."""
    state = {}

    def tags() -> None:
        state["repo"], state["digest"] = check_tags_and_delete()

    def referrers() -> None:
        if "no-referrers" in KNOWN_DEVIATIONS:
            print("  SKIPPED referrers (OCI_KNOWN_DEVIATIONS=no-referrers)")
        elif IMAGE_REPO and IMAGE_DIGEST:
            check_referrers(IMAGE_REPO, IMAGE_DIGEST)
        elif "repo" in state:
            check_referrers(state["repo"], state["digest"])
        else:
            record("no image to attach referrers to (the tag checks failed)")

    for group in (check_base, check_blobs, check_bad_inputs, tags, referrers):
        try:
            group()
        except CheckFailed as failure:
            record(str(failure))
        except requests.RequestException as error:
            record(f"request error: {error}")
    if failures:
        print(f"  {len(passed)} HTTP checks passed, {len(failures)} FAILED: {'; '.join(failures)}", file=sys.stderr)
        return 1
    print(f"  {len(passed)} HTTP checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
