#!/usr/bin/env bash
# skopeo, oras-py and curl through presigned redirects (issue 17, item 4).
#
#   scripts/oci/redirect-clients.sh ARTIFACTSTORE_BINARY S3_ENDPOINT
#
# Makes a bucket on the S3 server at S3_ENDPOINT (moto, which takes an unsigned PUT), starts
# `artifactstore serve` on a free port with that bucket as its only backend and redirect=true,
# then runs scripts/oci/test-clients.sh (skopeo and oras-py, OCI_BIG_MIB MiB, default 32) against
# it and checks with curl that a blob GET is a 307 to the bucket and that `curl -L -r` gets the
# same range from S3. Fails unless the server answered 307s to the clients' GETs. Needs
# AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (any value for moto). Kills what it started.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
BIN=${1:?usage: scripts/oci/redirect-clients.sh ARTIFACTSTORE_BINARY S3_ENDPOINT}
ENDPOINT=${2:?usage: scripts/oci/redirect-clients.sh ARTIFACTSTORE_BINARY S3_ENDPOINT}
ENDPOINT=${ENDPOINT%/}
export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-testing} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-testing}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/oci-redirects.XXXXXX")
BUCKET="oci-redirects-$(python3 -c 'import secrets; print(secrets.token_hex(6))')"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
TOKEN="ast_$(python3 -c 'import secrets; print(secrets.token_hex(8) + "_" + secrets.token_hex(32))')"
URL="http://127.0.0.1:$PORT"
SERVE_PID=
cleanup() {
    [ -n "$SERVE_PID" ] && { kill -TERM "$SERVE_PID" 2>/dev/null; wait "$SERVE_PID" 2>/dev/null; }
    rm -rf "$WORK"
    # The bucket goes too (boto3 comes with moto), so a shared S3 server is left as it was.
    python3 - "$ENDPOINT" "$BUCKET" <<'PY' 2>/dev/null || true
import sys, boto3
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1")
pages = s3.get_paginator("list_objects_v2").paginate(Bucket=sys.argv[2])
for page in pages:
    for item in page.get("Contents", []):
        s3.delete_object(Bucket=sys.argv[2], Key=item["Key"])
s3.delete_bucket(Bucket=sys.argv[2])
PY
}
trap cleanup EXIT
fail() { echo "FAILED: $*" >&2; echo "== OCI redirects FAILED"; exit 1; }

[ "$(curl -sS -o /dev/null -w '%{http_code}' -X PUT "$ENDPOINT/$BUCKET")" = 200 ] || fail "cannot create bucket $BUCKET at $ENDPOINT"
echo "== artifactstore serve on $URL, backend s3://$BUCKET/oci?redirect=true (endpoint $ENDPOINT)"
ARTIFACTSTORE_ADMIN_TOKEN="$TOKEN" "$BIN" serve --port "$PORT" --data-dir "$WORK/data" \
    --backend "s3=s3://$BUCKET/oci?endpoint=$ENDPOINT&redirect=true&redirectExpiry=120" >"$WORK/serve.log" 2>&1 &
SERVE_PID=$!
for _ in $(seq 1 120); do
    curl -fsS "$URL/readyz" >/dev/null 2>&1 && break
    sleep 0.5
done
curl -fsS "$URL/readyz" >/dev/null || { cat "$WORK/serve.log" >&2; fail "serve did not become ready"; }
curl -fsS -o /dev/null -X POST -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \
    -d '{"name":"oci"}' "$URL/v1/namespaces" || fail "could not create the namespace 'oci'"

OCI_HTTP_CHECKS=0 OCI_BIG_MIB=${OCI_BIG_MIB:-32} OCI_NAMESPACE=oci TMPDIR="$WORK" "$HERE/test-clients.sh" "$URL" "$TOKEN"
clients=$?

# curl: a blob of its own, a 307 to the bucket, and the same range from S3 when followed.
head -c 100000 /dev/urandom >"$WORK/blob"
DIGEST="sha256:$(sha256sum "$WORK/blob" | cut -d' ' -f1)"
curl -fsS -o /dev/null -X POST -H "Authorization: Bearer $TOKEN" --data-binary "@$WORK/blob" \
    "$URL/v2/oci/curl/blobs/uploads/?digest=$DIGEST" || fail "curl: upload of $DIGEST refused"
answer=$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' -H "Authorization: Bearer $TOKEN" "$URL/v2/oci/curl/blobs/$DIGEST")
case "$answer" in
    "307 $ENDPOINT/$BUCKET/oci/blobs/"*) ;;
    *) fail "curl: GET of $DIGEST answered '$answer', not a 307 to the bucket" ;;
esac
curl -fsS -L -r 1000-1999 -o "$WORK/part" -H "Authorization: Bearer $TOKEN" "$URL/v2/oci/curl/blobs/$DIGEST" || fail "curl -L -r failed"
cmp -s "$WORK/part" <(tail -c +1001 "$WORK/blob" | head -c 1000) || fail "curl -L -r 1000-1999: other bytes than the blob's"
echo "curl: 307 to the bucket; -L -r 1000-1999 got the blob's bytes 1000-1999 from S3"

redirected() { grep -E 'status=307|"status":307' "$WORK/serve.log" | grep -c "$1" || true; }
by_skopeo=$(redirected "/v2/oci/image-")
by_oras=$(redirected "/v2/oci/oras-")
echo "server: blob GETs answered 307: $by_skopeo to skopeo, $by_oras to oras-py"
[ "$clients" -eq 0 ] || fail "the OCI clients failed through redirects (server log: $(grep -ciE 'error|fault' "$WORK/serve.log") error lines)"
[ "$by_skopeo" -ge 1 ] && [ "$by_oras" -ge 1 ] || { tail -20 "$WORK/serve.log" >&2; fail "the clients' blob GETs were not redirected"; }
echo "== OCI redirects PASSED"
