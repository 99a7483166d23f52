#!/usr/bin/env bash
# The names OCI users expect, with skopeo against a live `artifactstore serve` (docs/oci.md,
# "Mapping onto the registry"): the server runs with --oci-default-namespace library and no
# namespace made beforehand.
#   1. skopeo copies a small image to HOST/app:v1 (one component) with the admin token: the push
#      creates `library`, and the image is pulled back identical as HOST/app:v1 and HOST/library/app:v1;
#   2. a token holding write:fresh only cannot create `fresh` by pushing: NAME_UNKNOWN with the way
#      to create it, and the namespace does not appear;
#   3. /v2/_catalog lists library/app and not an artifact pushed through /v1.
# Usage: scripts/oci/naming-clients.sh ARTIFACTSTORE_BINARY. Starts and stops its own server on a
# free loopback port, in a temporary directory it removes.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
BIN=${1:?usage: scripts/oci/naming-clients.sh ARTIFACTSTORE_BINARY}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/oci-naming.XXXXXX")
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
TOKEN="ast_$(python3 -c 'import secrets; print(secrets.token_hex(8) + "_" + secrets.token_hex(32))')"
HOST="127.0.0.1:$PORT"
URL="http://$HOST"
ARTIFACTSTORE_ADMIN_TOKEN="$TOKEN" "$BIN" serve --port "$PORT" --data-dir "$WORK/data" --oci-default-namespace library \
    >"$WORK/serve.log" 2>&1 &
SERVE_PID=$!
cleanup() {
    kill -TERM "$SERVE_PID" 2>/dev/null
    wait "$SERVE_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
for _ in $(seq 1 120); do
    curl -fsS "$URL/readyz" >/dev/null 2>&1 && break
    sleep 0.5
done
echo '{"default": [{"type": "insecureAcceptAnything"}]}' >"$WORK/policy.json"
export REGISTRY_AUTH_FILE="$WORK/auth.json"
echo '{}' >"$REGISTRY_AUTH_FILE"
FAILED=0
fail() { echo "FAILED: $*" >&2; FAILED=1; }
auth=(-H "Authorization: Bearer $TOKEN")

echo "== 1. skopeo copy oci:layout:v1 -> docker://$HOST/app:v1 (single component, namespace made by the push)"
DIGEST=$(python3 "$HERE/make-image-layout.py" "$WORK/source" --seed 3 --big-mib 1 --tag v1) || fail "generating the layout"
skopeo --policy "$WORK/policy.json" copy --preserve-digests --dest-tls-verify=false --dest-creds "ci:$TOKEN" \
    "oci:$WORK/source:v1" "docker://$HOST/app:v1" || fail "skopeo copy into $HOST/app:v1"
curl -fsS "${auth[@]}" "$URL/v1/namespaces/library" >/dev/null || fail "the push did not create the namespace library"
for name in app library/app; do
    skopeo --policy "$WORK/policy.json" copy --preserve-digests --src-tls-verify=false --src-creds "ci:$TOKEN" \
        "docker://$HOST/$name:v1" "oci:$WORK/pulled-${name//\//-}:v1" || fail "skopeo copy out of $HOST/$name:v1"
    pulled=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' \
        "$WORK/pulled-${name//\//-}/index.json" 2>/dev/null)
    [ "$pulled" = "$DIGEST" ] || fail "$name:v1 came back as $pulled, pushed $DIGEST"
done

echo "== 2. a token with write:fresh only may not create fresh by pushing"
SCOPED=$(curl -fsS "${auth[@]}" -H "Content-Type: application/json" \
    -d '{"name":"scoped","grants":[{"scope":"write","namespace":"fresh"}]}' "$URL/v1/tokens" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])') || fail "creating the scoped token"
answer=$(curl -sS -o "$WORK/refusal.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $SCOPED" "$URL/v2/fresh/app/blobs/uploads/")
[ "$answer" = "404" ] && grep -q '"NAME_UNKNOWN"' "$WORK/refusal.json" && grep -q 'POST /v1/namespaces' "$WORK/refusal.json" \
    || fail "a push into a namespace the token may not create answered $answer: $(cat "$WORK/refusal.json")"
[ "$(curl -sS -o /dev/null -w '%{http_code}' "${auth[@]}" "$URL/v1/namespaces/fresh")" = "404" ] || fail "fresh was created"

echo "== 3. _catalog lists OCI repositories only"
blob=$(printf 'plain' | curl -fsS "${auth[@]}" --data-binary @- -H "Content-Type: application/octet-stream" \
    "$URL/v1/namespaces/library/blobs" | python3 -c 'import json,sys; print(json.load(sys.stdin)["address"])')
curl -fsS "${auth[@]}" -X PUT -H "Content-Type: application/json" -d "{\"files\":[{\"path\":\"f\",\"address\":\"$blob\"}]}" \
    "$URL/v1/namespaces/library/artifacts/plain/versions/1" >/dev/null || fail "committing a /v1 version"
catalog=$(curl -fsS "${auth[@]}" "$URL/v2/_catalog")
[ "$catalog" = '{"repositories":["library/app"]}' ] || fail "_catalog is $catalog"

if [ "$FAILED" -ne 0 ]; then
    echo "server log:" >&2
    tail -20 "$WORK/serve.log" >&2
    echo "OCI naming with skopeo: FAILED"
    exit 1
fi
echo "OCI naming with skopeo: 3 passed, 0 failed"
