#!/usr/bin/env bash
# skopeo and oras-py through the registry token flow (issue 20, item 2; docs/oci.md, "Token
# authentication").
#
#   scripts/oci/token-clients.sh ARTIFACTSTORE_BINARY
#
# Starts `artifactstore serve --registry-token-auth` on a free port (namespaces `oci` and
# `mirror`), then:
#   1. scripts/oci/test-clients.sh (skopeo push/inspect/pull, oras-py push/pull with its "token"
#      auth backend) with a store token as the Basic password: the clients follow the Bearer
#      challenge to /v2/token and use the JWT;
#   2. skopeo copies the image from oci/ to mirror/ on the same registry, which mounts the blobs
#      across namespaces (the JWT must grant pull on the source), then pulls the copy back: every
#      blob byte-identical;
#   3. a token with read on `oci` only cannot push to `mirror` (skopeo fails, nothing stored);
#   4. with ARTIFACTSTORE_TEST_LDAP_URL (scripts/ldap/start-slapd.sh), LDAP users through the same
#      flow: alice (devs) pushes, bob (readers) pulls but cannot push, a wrong password is refused;
#   5. the server log shows /v2/token answered 200, and holds no store token, JWT or password.
# Kills what it started. Prints "== OCI token clients PASSED" or names what failed.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
BIN=${1:?usage: scripts/oci/token-clients.sh ARTIFACTSTORE_BINARY}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/oci-token.XXXXXX")
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
TOKEN="ast_$(python3 -c 'import secrets; print(secrets.token_hex(8) + "_" + secrets.token_hex(32))')"
URL="http://127.0.0.1:$PORT"
HOST="127.0.0.1:$PORT"
SERVE_PID=
cleanup() {
    [ -n "$SERVE_PID" ] && { kill -TERM "$SERVE_PID" 2>/dev/null; wait "$SERVE_PID" 2>/dev/null; }
    # OCI_TOKEN_SERVER_LOG=FILE keeps the server's log (CI puts it beside its other logs).
    [ -n "${OCI_TOKEN_SERVER_LOG:-}" ] && cp "$WORK/serve.log" "$OCI_TOKEN_SERVER_LOG" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAILED: $*" >&2; echo "== OCI token clients FAILED"; exit 1; }

# With the test slapd (scripts/ldap/start-slapd.sh exports its address and users' passwords), the
# server also checks Basic user:password against it: devs may write oci/, readers read it.
CONFIG=()
if [ -n "${ARTIFACTSTORE_TEST_LDAP_URL:-}" ]; then
    cat >"$WORK/config.json" <<JSON
{"ldapURL": "$ARTIFACTSTORE_TEST_LDAP_URL", "ldapBindDN": "uid={user},ou=people,dc=example,dc=org",
 "ldapGroupBase": "ou=groups,dc=example,dc=org",
 "ldapGroupRules": ["write:oci=cn=devs,ou=groups,dc=example,dc=org", "read:oci=cn=readers,ou=groups,dc=example,dc=org"]}
JSON
    CONFIG=(--config "$WORK/config.json")
fi
echo "== artifactstore serve --registry-token-auth on $URL${CONFIG:+ (LDAP $ARTIFACTSTORE_TEST_LDAP_URL)}"
ARTIFACTSTORE_ADMIN_TOKEN="$TOKEN" "$BIN" serve --port "$PORT" --data-dir "$WORK/data" --registry-token-auth "${CONFIG[@]}" \
    >"$WORK/serve.log" 2>&1 &
SERVE_PID=$!
for _ in $(seq 1 120); do
    curl -fsS "$URL/readyz" >/dev/null 2>&1 && break
    sleep 0.5
done
curl -fsS "$URL/readyz" >/dev/null || { cat "$WORK/serve.log" >&2; fail "serve did not become ready"; }
for ns in oci mirror; do
    curl -fsS -o /dev/null -X POST -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \
        -d "{\"name\":\"$ns\"}" "$URL/v1/namespaces" || fail "could not create the namespace '$ns'"
done
challenge=$(curl -sS -o /dev/null -w '%header{www-authenticate}' "$URL/v2/oci/x/manifests/v1")
[ "$challenge" = "Bearer realm=\"$URL/v2/token\",service=\"artifactstore\",scope=\"repository:oci/x:pull\"" ] \
    || fail "the 401 challenge is '$challenge'"
echo "challenge: $challenge"

# --- 1. the clients, following the challenge ------------------------------------------------------
ORAS_AUTH_BACKEND=token OCI_HTTP_CHECKS=0 OCI_BIG_MIB=${OCI_BIG_MIB:-16} OCI_NAMESPACE=oci TMPDIR="$WORK" \
    "$HERE/test-clients.sh" "$URL" "$TOKEN" || fail "the OCI clients failed in token mode"

# --- 2. a copy across namespaces (cross-repository mount) ---------------------------------------
echo '{"default": [{"type": "insecureAcceptAnything"}]}' >"$WORK/policy.json"
export REGISTRY_AUTH_FILE="$WORK/auth.json"
echo '{}' >"$REGISTRY_AUTH_FILE"
RUN=$(python3 -c 'import secrets; print(secrets.token_hex(4))')
python3 "$HERE/make-image-layout.py" "$WORK/layout" --seed 3 --big-mib 2 --tag v1 >/dev/null || fail "make-image-layout.py failed"
sk() { skopeo --policy "$WORK/policy.json" "$@"; }
sk copy --preserve-digests --dest-tls-verify=false --dest-creds "ci:$TOKEN" "oci:$WORK/layout:v1" "docker://$HOST/oci/tok-$RUN:v1" \
    || fail "skopeo push to oci/tok-$RUN"
sk copy --preserve-digests --src-tls-verify=false --dest-tls-verify=false --src-creds "ci:$TOKEN" --dest-creds "ci:$TOKEN" \
    "docker://$HOST/oci/tok-$RUN:v1" "docker://$HOST/mirror/tok-$RUN:v1" || fail "skopeo copy oci/ -> mirror/"
sk copy --preserve-digests --src-tls-verify=false --src-creds "ci:$TOKEN" "docker://$HOST/mirror/tok-$RUN:v1" "oci:$WORK/back:v1" \
    || fail "skopeo pull from mirror/tok-$RUN"
for blob in "$WORK"/layout/blobs/sha256/*; do
    cmp -s "$blob" "$WORK/back/blobs/sha256/$(basename "$blob")" || fail "blob $(basename "$blob") differs after the copy across namespaces"
done
echo "skopeo: oci/tok-$RUN -> mirror/tok-$RUN -> layout, every blob byte-identical"
# A mount is a POST to the target's uploads answered 201 with no body (the log has no query).
mounts=$(grep -E "method=POST path=/v2/mirror/tok-$RUN/blobs/uploads/ .*status=201" "$WORK/serve.log" | grep -c 'bytes_in=0 ' || true)
[ "$mounts" -ge 1 ] || fail "skopeo's copy across namespaces mounted no blob"
echo "server: $mounts blob(s) mounted from oci/ into mirror/ with the JWT's pull on the source"

# --- 3. a reader may not push ----------------------------------------------------------------------
READER=$(curl -fsS -X POST -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \
    -d '{"name":"reader","grants":[{"scope":"read","namespace":"oci"}]}' "$URL/v1/tokens" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])') || fail "could not create a read-only token"
if sk copy --dest-tls-verify=false --dest-creds "ci:$READER" "oci:$WORK/layout:v1" "docker://$HOST/mirror/denied-$RUN:v1" \
    >"$WORK/denied.log" 2>&1; then
    fail "a token with read on oci pushed to mirror/denied-$RUN"
fi
answer=$(curl -sS -o /dev/null -w '%{http_code}' -u "ci:$TOKEN" "$URL/v2/mirror/denied-$RUN/manifests/v1")
[ "$answer" = 404 ] || fail "mirror/denied-$RUN answers $answer after a refused push"
echo "skopeo: a read-only token's push to mirror/ was refused; nothing stored"

# --- LDAP users through the token flow (when the test slapd runs) -----------------------------
if [ -n "${ARTIFACTSTORE_TEST_LDAP_URL:-}" ]; then
    sk copy --preserve-digests --dest-tls-verify=false --dest-creds "alice:$ARTIFACTSTORE_TEST_LDAP_ALICE_PASSWORD" \
        "oci:$WORK/layout:v1" "docker://$HOST/oci/ldap-$RUN:v1" || fail "skopeo push as the LDAP user alice (devs)"
    sk copy --src-tls-verify=false --src-creds "bob:$ARTIFACTSTORE_TEST_LDAP_BOB_PASSWORD" \
        "docker://$HOST/oci/ldap-$RUN:v1" "oci:$WORK/bob:v1" || fail "skopeo pull as the LDAP user bob (readers)"
    if sk copy --dest-tls-verify=false --dest-creds "bob:$ARTIFACTSTORE_TEST_LDAP_BOB_PASSWORD" "oci:$WORK/layout:v1" \
        "docker://$HOST/oci/bob-$RUN:v1" >"$WORK/bob.log" 2>&1; then
        fail "the LDAP user bob (readers) pushed"
    fi
    if sk inspect --tls-verify=false --creds "alice:wrong-$RUN" "docker://$HOST/oci/ldap-$RUN:v1" >/dev/null 2>&1; then
        fail "a wrong LDAP password was accepted"
    fi
    echo "skopeo: LDAP alice pushed, bob pulled but could not push, a wrong password was refused"
fi

# --- 4. the log -----------------------------------------------------------------------------------
issued=$(grep -E '/v2/token' "$WORK/serve.log" | grep -cE 'status=200|"status":200' || true)
[ "$issued" -ge 3 ] || { tail -30 "$WORK/serve.log" >&2; fail "only $issued token requests answered 200 in the server log"; }
grep -q "${TOKEN#ast_}" "$WORK/serve.log" && fail "the server log contains the store token"
grep -q "${READER#ast_}" "$WORK/serve.log" && fail "the server log contains the reader's token"
grep -qE 'eyJ[A-Za-z0-9_-]+\.eyJ' "$WORK/serve.log" && fail "the server log contains a JWT"
if [ -n "${ARTIFACTSTORE_TEST_LDAP_URL:-}" ]; then
    grep -qF "$ARTIFACTSTORE_TEST_LDAP_ALICE_PASSWORD" "$WORK/serve.log" && fail "the server log contains alice's password"
    grep -qF "$ARTIFACTSTORE_TEST_LDAP_BOB_PASSWORD" "$WORK/serve.log" && fail "the server log contains bob's password"
fi
echo "server: $issued token requests answered 200; no token or JWT in the log"
echo "== OCI token clients PASSED"
