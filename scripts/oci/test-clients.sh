#!/usr/bin/env bash
# Real OCI clients against a registry's /v2 API (issue 8, item 4).
#
#   scripts/oci/test-clients.sh URL TOKEN          (or OCI_URL / OCI_TOKEN in the environment)
#
# URL is the registry's base (http://127.0.0.1:PORT); TOKEN is the password of HTTP Basic auth
# (any username; on ArtifactStore an API token with write access to OCI_NAMESPACE).
#
#   1. scripts/oci/make-image-layout.py writes an OCI image layout of random uncompressed tar
#      layers, one of OCI_BIG_MIB MiB (default 256), deterministic from OCI_SEED;
#   2. skopeo copies it into the registry (oci:DIR:v1 -> docker://HOST/NS/image-RUN:v1) with
#      --preserve-digests, then back out into a second layout; the manifest digest (as pushed, as
#      the registry reports it, as pulled) and every blob's sha256 must be identical;
#   3. scripts/oci/oras_roundtrip.py: oras-py pushes files with manifest and per-file annotations
#      (monolithic and chunked uploads) and pulls them back: bytes and annotations identical;
#   4. scripts/oci/http_checks.py: raw HTTP: uploads (monolithic, single POST, chunked, mount,
#      cancel; sha256 and sha512 digests), tag listing with n/last paging, deletion by digest, a referrer attached to the
#      image of step 2 (OCI-Subject, /referrers, ?artifactType=), bad inputs (wrong sha256
#      and sha512 digests, other algorithms, unknown blob, no credentials, ...).
#
# Every repository is NS/<name>-RUN (RUN random per run), NS = OCI_NAMESPACE (default `oci`),
# which must exist on ArtifactStore. Installs skopeo (apt) and oras (pip) if missing and fails
# if it cannot. Prints a summary; exits non-zero, naming the failed steps, on any difference.
# OCI_HTTP_CHECKS=0 runs only steps 1-3 (skopeo and oras). OCI_KNOWN_DEVIATIONS: see http_checks.py (only for testing this script against docker-registry;
# scripts/oci/registry-selftest.sh does that).
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
URL=${1:-${OCI_URL:-}}
TOKEN=${2:-${OCI_TOKEN:-}}
NS=${OCI_NAMESPACE:-oci}
BIG_MIB=${OCI_BIG_MIB:-256}
SEED=${OCI_SEED:-8}
if [ -z "$URL" ] || [ -z "$TOKEN" ]; then
    echo "usage: scripts/oci/test-clients.sh URL TOKEN   (or OCI_URL and OCI_TOKEN)" >&2
    exit 2
fi
URL=${URL%/}
HOST=${URL#*://}
TLS_VERIFY=true
case "$URL" in http://*) TLS_VERIFY=false ;; esac
RUN=$(python3 -c 'import secrets; print(secrets.token_hex(4))')
IMAGE="$NS/image-$RUN"

# --- tools -------------------------------------------------------------------------------------
if ! command -v skopeo >/dev/null 2>&1; then
    echo "== apt-get install skopeo"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get install -y -qq skopeo >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq skopeo >/dev/null; }; } \
        || { echo "FAILED: setup: apt-get install skopeo failed" >&2; exit 1; }
fi
if ! python3 -c 'import oras.client, requests' 2>/dev/null; then
    echo "== pip install oras"
    python3 -m pip install --quiet oras || { echo "FAILED: setup: pip install oras failed" >&2; exit 1; }
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/oci-clients.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
# skopeo refuses to copy without a trust policy; this run accepts any image (it made them).
echo '{"default": [{"type": "insecureAcceptAnything"}]}' >"$WORK/policy.json"
export REGISTRY_AUTH_FILE="$WORK/auth.json"   # keep skopeo away from the user's login files
echo '{}' >"$REGISTRY_AUTH_FILE"

declare -a SUMMARY=()
FAILED=()
step_start() { STEP=$1; STEP_T0=$(date +%s.%N); echo "== $STEP"; }
step_end() {
    local status=$1 seconds
    seconds=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$STEP_T0" "$(date +%s.%N)")
    if [ "$status" -eq 0 ]; then
        SUMMARY+=("ok      ${seconds}s  $STEP")
    else
        SUMMARY+=("FAILED  ${seconds}s  $STEP")
        FAILED+=("$STEP")
        echo "FAILED: $STEP" >&2
    fi
    return "$status"
}
fail() { echo "FAILED: $STEP: $*" >&2; return 1; }
sha_of() { sha256sum "$1" | cut -d' ' -f1; }

# --- 1. the image layout -----------------------------------------------------------------------
step_start "generate an OCI image layout (layers incl. ${BIG_MIB} MiB, seed $SEED)"
MANIFEST_DIGEST=$(python3 "$HERE/make-image-layout.py" "$WORK/source" --seed "$SEED" --big-mib "$BIG_MIB" --tag v1)
step_end $? || { echo "cannot continue without the layout" >&2; exit 1; }
BLOBS=$(python3 - "$WORK/source" "$MANIFEST_DIGEST" <<'PY'
import json, sys
manifest = json.load(open(f"{sys.argv[1]}/blobs/sha256/{sys.argv[2][7:]}"))
print(" ".join([manifest["config"]["digest"]] + [layer["digest"] for layer in manifest["layers"]]))
PY
)
echo "   manifest $MANIFEST_DIGEST; blobs: $(echo "$BLOBS" | wc -w) ($(du -sh "$WORK/source" | cut -f1))"

# --- 2. skopeo in and out ----------------------------------------------------------------------
skopeo_push() {
    skopeo --policy "$WORK/policy.json" copy --preserve-digests --dest-tls-verify="$TLS_VERIFY" \
        --dest-creds "ci:$TOKEN" "oci:$WORK/source:v1" "docker://$HOST/$IMAGE:v1" || fail "skopeo copy into the registry failed"
}
step_start "skopeo copy oci:layout:v1 -> docker://$HOST/$IMAGE:v1 (--preserve-digests)"
skopeo_push
step_end $?; PUSHED=$?

skopeo_registry_digest() {
    local raw="$WORK/registry-manifest.json" reported
    skopeo --policy "$WORK/policy.json" inspect --raw --tls-verify="$TLS_VERIFY" --creds "ci:$TOKEN" \
        "docker://$HOST/$IMAGE:v1" >"$raw" || { fail "skopeo inspect --raw failed"; return; }
    [ "sha256:$(sha_of "$raw")" = "$MANIFEST_DIGEST" ] \
        || { fail "the registry serves a manifest of digest sha256:$(sha_of "$raw"), pushed $MANIFEST_DIGEST"; return; }
    cmp -s "$raw" "$WORK/source/blobs/sha256/${MANIFEST_DIGEST#sha256:}" || { fail "manifest bytes differ"; return; }
    reported=$(curl -fsS -o /dev/null -u "ci:$TOKEN" -I -w '%header{docker-content-digest}' \
        -H 'Accept: application/vnd.oci.image.manifest.v1+json' "$URL/v2/$IMAGE/manifests/v1") \
        || { fail "HEAD /v2/$IMAGE/manifests/v1 failed"; return; }
    [ "$reported" = "$MANIFEST_DIGEST" ] || fail "HEAD manifests/v1 reports Docker-Content-Digest '$reported', pushed $MANIFEST_DIGEST"
}
skopeo_pull() {
    skopeo --policy "$WORK/policy.json" copy --preserve-digests --src-tls-verify="$TLS_VERIFY" \
        --src-creds "ci:$TOKEN" "docker://$HOST/$IMAGE:v1" "oci:$WORK/pulled:v1" || { fail "skopeo copy out of the registry failed"; return; }
    local pulled digest
    pulled=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' "$WORK/pulled/index.json") \
        || { fail "no manifest in the pulled layout's index.json"; return; }
    [ "$pulled" = "$MANIFEST_DIGEST" ] || { fail "pulled manifest digest $pulled, pushed $MANIFEST_DIGEST"; return; }
    [ "sha256:$(sha_of "$WORK/pulled/blobs/sha256/${pulled#sha256:}")" = "$MANIFEST_DIGEST" ] \
        || { fail "the pulled manifest file does not hash to $MANIFEST_DIGEST"; return; }
    for digest in $BLOBS; do
        local file="$WORK/pulled/blobs/sha256/${digest#sha256:}"
        [ -f "$file" ] || { fail "blob $digest missing from the pulled layout"; return; }
        [ "sha256:$(sha_of "$file")" = "$digest" ] || { fail "pulled blob $digest hashes to sha256:$(sha_of "$file")"; return; }
        cmp -s "$file" "$WORK/source/blobs/sha256/${digest#sha256:}" || { fail "blob $digest differs byte-wise"; return; }
    done
    echo "   manifest $MANIFEST_DIGEST and $(echo "$BLOBS" | wc -w) blobs byte-identical"
}
skopeo_tags() {
    local tags
    tags=$(skopeo --policy "$WORK/policy.json" list-tags --tls-verify="$TLS_VERIFY" --creds "ci:$TOKEN" "docker://$HOST/$IMAGE") \
        || { fail "skopeo list-tags failed"; return; }
    python3 -c 'import json, sys; answer = json.loads(sys.argv[1]); sys.exit(0 if answer.get("Tags") == ["v1"] else 1)' "$tags" \
        || fail "skopeo list-tags answered $tags, expected the one tag v1"
}
if [ "$PUSHED" -eq 0 ]; then
    step_start "skopeo list-tags docker://$HOST/$IMAGE"
    skopeo_tags
    step_end $?
    step_start "the registry serves the pushed manifest unchanged (skopeo inspect --raw, HEAD Docker-Content-Digest)"
    skopeo_registry_digest
    step_end $?
    step_start "skopeo copy docker://$HOST/$IMAGE:v1 -> oci:pulled:v1, compare manifest digest and every blob"
    skopeo_pull
    step_end $?
    rm -rf "$WORK/pulled"
fi
rm -rf "$WORK/source"

# --- 3. oras -------------------------------------------------------------------------------------
step_start "oras push/pull with annotations ($NS/oras-$RUN)"
python3 "$HERE/oras_roundtrip.py" "$URL" "$TOKEN" "$NS/oras-$RUN"
step_end $?

# --- 4. raw HTTP ---------------------------------------------------------------------------------
# OCI_HTTP_CHECKS=0 leaves them out (a second run of the clients against another backend).
if [ "${OCI_HTTP_CHECKS:-1}" != 0 ]; then
    step_start "raw HTTP checks (uploads, tags paging, delete by digest, referrers, bad inputs)"
    if [ "$PUSHED" -eq 0 ]; then
        python3 "$HERE/http_checks.py" "$URL" "$TOKEN" "$NS" "$RUN" "$IMAGE" "$MANIFEST_DIGEST"
    else
        python3 "$HERE/http_checks.py" "$URL" "$TOKEN" "$NS" "$RUN"
    fi
    step_end $?
fi

echo
echo "== OCI client checks against $URL (run $RUN)"
printf '   %s\n' "${SUMMARY[@]}"
if [ "$PUSHED" -ne 0 ]; then
    echo "   (skopeo pull and comparison not run: the push failed)"
fi
if [ ${#FAILED[@]} -gt 0 ]; then
    echo "== OCI clients FAILED: ${#FAILED[@]} step(s): ${FAILED[*]}"
    exit 1
fi
echo "== OCI clients PASSED"
