#!/usr/bin/env bash
# Tests scripts/oci/test-clients.sh itself against CNCF Distribution (`docker-registry` from
# Debian, a conformant registry), so a failure against ArtifactStore points at the server, not
# at the checks.
#
#   scripts/oci/registry-selftest.sh
#
# Starts docker-registry on a private port with its storage under a temporary directory, HTTP
# Basic auth (htpasswd, bcrypt) and deletes enabled, then:
#   1. runs test-clients.sh with OCI_KNOWN_DEVIATIONS set to what docker-registry 2.8 lacks
#      (no 416 for an out-of-order chunk, no tag ordering or paging, no referrers API): must pass;
#   2. runs http_checks.py without those deviations: must FAIL (the checks do catch a registry
#      that lacks them);
#   3. runs test-clients.sh with a wrong token: must FAIL.
# OCI_BIG_MIB (default 256) sizes the large layer. Exits non-zero if any expectation is not met.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
need=()
command -v docker-registry >/dev/null 2>&1 || need+=(docker-registry)
command -v htpasswd >/dev/null 2>&1 || need+=(apache2-utils)
if [ ${#need[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq "${need[@]}" >/dev/null || { apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null; }
fi
service docker-registry stop >/dev/null 2>&1 || true

WORK=$(mktemp -d /tmp/oci-registry-selftest.XXXXXX)
REGISTRY_PID=
cleanup() {
    [ -n "$REGISTRY_PID" ] && kill "$REGISTRY_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
TOKEN="ast_$(python3 -c 'import secrets; print(secrets.token_hex(8) + "_" + secrets.token_hex(32))')"
htpasswd -Bbn ci "$TOKEN" >"$WORK/htpasswd"
cat >"$WORK/registry.yml" <<EOF
version: 0.1
log: {level: error}
storage:
  filesystem: {rootdirectory: $WORK/data}
  delete: {enabled: true}
http: {addr: 127.0.0.1:$PORT}
auth:
  htpasswd: {realm: artifactstore-selftest, path: $WORK/htpasswd}
EOF
docker-registry serve "$WORK/registry.yml" >"$WORK/registry.log" 2>&1 &
REGISTRY_PID=$!
URL="http://127.0.0.1:$PORT"
for _ in $(seq 1 100); do curl -s -o /dev/null "$URL/v2/" && break; sleep 0.2; done

status=0
echo "=== 1. test-clients.sh against docker-registry (its known deviations skipped): must pass"
if OCI_KNOWN_DEVIATIONS=no-416,no-tag-paging,no-referrers,no-sha512-manifests "$HERE/test-clients.sh" "$URL" "$TOKEN"; then
    echo "=== 1. passed, as it must"
else
    echo "=== 1. FAILED: the checks fail against a conformant registry" >&2; status=1
fi

echo "=== 2. http_checks.py without the deviations: must fail"
if python3 "$HERE/http_checks.py" "$URL" "$TOKEN" oci selftest >"$WORK/strict.log" 2>&1; then
    cat "$WORK/strict.log"; echo "=== 2. FAILED: the strict checks passed a registry without 416" >&2; status=1
else
    grep '^FAILED' "$WORK/strict.log" | head -1
    echo "=== 2. failed, as it must"
fi

echo "=== 3. test-clients.sh with a wrong token: must fail"
if OCI_BIG_MIB=1 "$HERE/test-clients.sh" "$URL" "ast_wrong_$TOKEN" >"$WORK/wrong.log" 2>&1; then
    echo "=== 3. FAILED: a wrong token passed" >&2; status=1
else
    grep '^== OCI clients FAILED' "$WORK/wrong.log"
    echo "=== 3. failed, as it must"
fi

[ "$status" -eq 0 ] && echo "=== registry self-test PASSED" || echo "=== registry self-test FAILED"
exit "$status"
