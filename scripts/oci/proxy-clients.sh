#!/usr/bin/env bash
# Proxy namespaces (pull-through cache) end to end, against a real upstream: docker-registry
# (CNCF Distribution, Debian) started here on a random 127.0.0.1 port with a temporary storage
# directory, HTTP Basic auth (htpasswd) and its access log at info level.
#
#   scripts/oci/proxy-clients.sh BIN      (BIN: the directory holding the artifactstore binary)
#
# Steps (docs/oci.md, "Proxy namespaces"):
#   1. two images are pushed upstream with skopeo (library/big: one 256 MiB layer; library/app);
#   2. `artifactstore proxy create hub --upstream … --prefix library/ --tag-ttl 3 --username ci
#      --password-file …` on a fresh `artifactstore serve`;
#   3. 16 concurrent GETs of the 256 MiB blob through hub/big: every body hashes to the digest, the
#      upstream's access log shows ONE GET of that blob, the data directory holds it once;
#   4. skopeo copies docker://…/hub/app:v1 out through us: manifest and blobs byte-identical;
#   5. the tag moves upstream: before the TTL we still answer the old digest, after it the new;
#   6. a corrupt upstream blob (its file in docker-registry's storage overwritten with other bytes
#      of the same length): the pull through us fails (curl sees a transfer error, not a success),
#      and /v1 shows the blob was not stored;
#   7. the upstream is stopped: skopeo still pulls hub/app:v1 from the cache, the manifest answer
#      carries X-ArtifactStore-Stale: true and Warning: 110, and the server logged it.
# Prints a summary; exits non-zero naming the failed steps.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
BIN=${1:-${BIN_PATH:-}}
BIG_MIB=${PROXY_BIG_MIB:-256}
if [ -z "$BIN" ] || [ ! -x "$BIN/artifactstore" ]; then
    echo "usage: scripts/oci/proxy-clients.sh BIN   (the directory of the artifactstore binary)" >&2
    exit 2
fi
for tool in docker-registry htpasswd skopeo curl; do
    command -v "$tool" >/dev/null 2>&1 || { echo "FAILED: setup: $tool is not installed (.ci/run installs it)" >&2; exit 1; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/proxy-clients.XXXXXX")
REGISTRY_PID=
SERVE_PID=
cleanup() {
    [ -n "$REGISTRY_PID" ] && kill "$REGISTRY_PID" 2>/dev/null
    [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

declare -a SUMMARY=()
FAILED=()
step() { STEP=$1; echo "== $STEP"; }
done_step() {
    if [ "$1" -eq 0 ]; then SUMMARY+=("ok      $STEP"); else SUMMARY+=("FAILED  $STEP"); FAILED+=("$STEP"); echo "FAILED: $STEP" >&2; fi
}
fail() { echo "FAILED: $STEP: $*" >&2; return 1; }

echo '{"default": [{"type": "insecureAcceptAnything"}]}' >"$WORK/policy.json"
export REGISTRY_AUTH_FILE="$WORK/auth.json"
echo '{}' >"$REGISTRY_AUTH_FILE"

# --- the upstream ------------------------------------------------------------------------------
UP_PORT=$(free_port)
UP_PASSWORD=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
printf '%s\n' "$UP_PASSWORD" >"$WORK/upstream-password"
htpasswd -Bbn ci "$UP_PASSWORD" >"$WORK/htpasswd"
cat >"$WORK/registry.yml" <<EOF
version: 0.1
log: {level: info, accesslog: {disabled: false}}
storage:
  filesystem: {rootdirectory: $WORK/upstream}
  delete: {enabled: true}
  cache: {blobdescriptor: ""}
http: {addr: 127.0.0.1:$UP_PORT}
auth:
  htpasswd: {realm: proxy-upstream, path: $WORK/htpasswd}
EOF
start_upstream() {
    # docker-registry reads REGISTRY_* variables as configuration: skopeo's REGISTRY_AUTH_FILE must not reach it.
    env -u REGISTRY_AUTH_FILE docker-registry serve "$WORK/registry.yml" >>"$WORK/registry.log" 2>&1 &
    REGISTRY_PID=$!
    for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$UP_PORT/v2/" && return 0; sleep 0.2; done
    echo "FAILED: setup: docker-registry did not start:" >&2; grep -v "^  \|^Usage\|^Flags" "$WORK/registry.log" | head -5 >&2; cat "$WORK/registry.yml" >&2; return 1
}
start_upstream || exit 1
UP="127.0.0.1:$UP_PORT"

# --- our server --------------------------------------------------------------------------------
PORT=$(free_port)
TOKEN="ast_$(python3 -c 'import secrets; print(secrets.token_hex(8) + "_" + secrets.token_hex(32))')"
ARTIFACTSTORE_ADMIN_TOKEN="$TOKEN" "$BIN/artifactstore" serve --port "$PORT" --data-dir "$WORK/data" >"$WORK/serve.log" 2>&1 &
SERVE_PID=$!
for _ in $(seq 1 120); do curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.5; done
US="127.0.0.1:$PORT"
export ARTIFACTSTORE_SERVER="http://$US" ARTIFACTSTORE_TOKEN="$TOKEN"

push_upstream() { # LAYOUT TAG REPOSITORY:TAG
    skopeo --policy "$WORK/policy.json" copy -q --preserve-digests --dest-tls-verify=false --dest-creds "ci:$UP_PASSWORD" \
        "oci:$1:$2" "docker://$UP/$3"
}
layout_blobs() { # LAYOUT MANIFEST-DIGEST -> config and layer digests
    python3 - "$1" "$2" <<'PY'
import json, sys
m = json.load(open(f"{sys.argv[1]}/blobs/sha256/{sys.argv[2][7:]}"))
print(" ".join([m["config"]["digest"]] + [layer["digest"] for layer in m["layers"]]))
PY
}
manifest_digest() { # REPOSITORY REFERENCE [extra curl args] -> Docker-Content-Digest through us
    curl -fsS -o /dev/null -u "x:$TOKEN" -I -w '%header{docker-content-digest}' \
        -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$US/v2/$1/manifests/$2"
}

# --- 1. images upstream ------------------------------------------------------------------------
step "generate and push library/big (one ${BIG_MIB} MiB layer) and library/app (two tags) upstream"
BIG=$(python3 "$HERE/make-image-layout.py" "$WORK/big" --seed 21 --big-mib "$BIG_MIB" --tag v1) \
    && APP=$(python3 "$HERE/make-image-layout.py" "$WORK/app" --seed 22 --big-mib 4 --tag v1) \
    && APP2=$(python3 "$HERE/make-image-layout.py" "$WORK/app2" --seed 23 --big-mib 2 --tag v1) \
    && push_upstream "$WORK/big" v1 library/big:v1 && push_upstream "$WORK/app" v1 library/app:v1 \
    && push_upstream "$WORK/app" v1 library/app:moving
done_step $? 
[ ${#FAILED[@]} -eq 0 ] || exit 1
largest_layer() { # LAYOUT MANIFEST-DIGEST
    python3 - "$1" "$2" <<'PY'
import json, sys
m = json.load(open(f"{sys.argv[1]}/blobs/sha256/{sys.argv[2][7:]}"))
print(max(m["layers"], key=lambda layer: layer["size"])["digest"])
PY
}
BIG_LAYER=$(largest_layer "$WORK/big" "$BIG")

# --- 2. the proxy namespace --------------------------------------------------------------------
step "artifactstore proxy create hub --upstream http://$UP --prefix library/ --tag-ttl 3 --username ci --password-file …"
"$BIN/artifactstore" proxy create hub --upstream "http://$UP" --prefix library/ --tag-ttl 3 --username ci \
    --password-file "$WORK/upstream-password" >/dev/null \
    && "$BIN/artifactstore" proxy list --json >"$WORK/proxies.json" \
    && python3 - "$WORK/proxies.json" "$UP_PASSWORD" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
assert sys.argv[2] not in text, "the password was returned"
items = json.loads(text)
assert [p["namespace"] for p in items] == ["hub"] and items[0]["hasPassword"] is True, items
PY
done_step $?

# --- 3. 16 concurrent pulls of one large blob -------------------------------------------------
step "16 concurrent GETs of the ${BIG_MIB} MiB blob through hub/big: one upstream fetch, stored once"
concurrent() {
    local i pids=() t0 seconds
    t0=$(date +%s.%N)
    for i in $(seq 1 16); do
        curl -fsS -u "x:$TOKEN" -o "$WORK/pull-$i" "http://$US/v2/hub/big/blobs/$BIG_LAYER" & pids+=($!)
    done
    local bad=0
    for pid in "${pids[@]}"; do wait "$pid" || bad=$((bad + 1)); done
    [ "$bad" -eq 0 ] || { fail "$bad of 16 pulls failed"; return; }
    seconds=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$t0" "$(date +%s.%N)")
    for i in $(seq 1 16); do
        [ "sha256:$(sha256sum "$WORK/pull-$i" | cut -d' ' -f1)" = "$BIG_LAYER" ] || { fail "pull $i does not hash to $BIG_LAYER"; return; }
        rm -f "$WORK/pull-$i"
    done
    local fetches stored
    # Access-log lines answered 200 (a 401 before it is the Basic challenge, not a fetch).
    fetches=$(grep -c "\"GET /v2/library/big/blobs/$BIG_LAYER HTTP/1.1\" 200 " "$WORK/registry.log")
    [ "$fetches" -eq 1 ] || { fail "the upstream served the blob $fetches times (its access log), expected 1"; return; }
    stored=$(find "$WORK/data" -type f -size +$((BIG_MIB * 1024 - 1))k | wc -l)
    [ "$stored" -eq 1 ] || { fail "the data directory holds $stored files of the blob's size, expected 1"; return; }
    echo "   16 bodies hash to $BIG_LAYER in ${seconds}s (first byte to last of all 16); upstream GETs of it: $fetches; stored files: $stored"
}
concurrent
done_step $?

# --- 4. skopeo through the proxy ---------------------------------------------------------------
skopeo_pull() { # REFERENCE DEST
    skopeo --policy "$WORK/policy.json" copy -q --preserve-digests --src-tls-verify=false --src-creds "x:$TOKEN" \
        "docker://$US/hub/app:$1" "oci:$2:$1"
}
check_pulled() { # DEST
    local digest file
    digest=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' "$1/index.json")
    [ "$digest" = "$APP" ] || { fail "pulled manifest $digest, upstream has $APP"; return; }
    for digest in $APP $(layout_blobs "$WORK/app" "$APP"); do
        file="$1/blobs/sha256/${digest#sha256:}"
        cmp -s "$file" "$WORK/app/blobs/sha256/${digest#sha256:}" || { fail "blob $digest differs from the upstream's"; return; }
    done
}
step "skopeo copy docker://$US/hub/app:v1 (pulled through) -> oci layout: byte-identical"
skopeo_pull v1 "$WORK/out1" && check_pulled "$WORK/out1"
done_step $?

# --- 5. a tag moved upstream -------------------------------------------------------------------
step "a tag moved upstream: the old digest within the TTL (3 s), the new one after it"
moved() {
    local before after
    before=$(manifest_digest hub/app moving) || { fail "HEAD hub/app:moving failed"; return; }
    [ "$before" = "$APP" ] || { fail "hub/app:moving is $before, expected $APP"; return; }
    push_upstream "$WORK/app2" v1 library/app:moving || { fail "pushing the new image upstream failed"; return; }
    [ "$(manifest_digest hub/app moving)" = "$APP" ] || { fail "the tag moved before its TTL"; return; }
    sleep 4
    after=$(manifest_digest hub/app moving) || { fail "HEAD hub/app:moving after the TTL failed"; return; }
    [ "$after" = "$APP2" ] || { fail "after the TTL hub/app:moving is $after, expected $APP2"; return; }
    echo "   moving: $before -> $after"
}
moved
done_step $?

# --- 6. a corrupt upstream blob ----------------------------------------------------------------
step "a corrupt upstream blob (docker-registry's stored file overwritten): refused, the client's transfer fails, nothing stored"
corrupt() {
    local layer file size code
    layer=$(largest_layer "$WORK/app2" "$APP2")   # random bytes of its own seed: in no other image
    file="$WORK/upstream/docker/registry/v2/blobs/sha256/${layer:7:2}/${layer#sha256:}/data"
    [ -f "$file" ] || { fail "no upstream file $file"; return; }
    size=$(stat -c %s "$file")
    head -c "$size" /dev/urandom >"$file"
    code=0
    curl -fsS -u "x:$TOKEN" -o "$WORK/corrupt" "http://$US/v2/hub/app/blobs/$layer" 2>"$WORK/corrupt.err" || code=$?
    [ "$code" -ne 0 ] || { fail "curl ended successfully on a corrupt blob"; return; }
    echo "   curl exit $code: $(head -1 "$WORK/corrupt.err")"
    code=$(curl -s -o /dev/null -w '%{http_code}' -I -H "Authorization: Bearer $TOKEN" "http://$US/v1/namespaces/hub/blobs/$layer")
    [ "$code" = "404" ] || { fail "/v1 HEAD of the refused blob answered $code, expected 404 (not stored)"; return; }
    grep -q "proxy refused an upstream blob" "$WORK/serve.log" || { fail "no log line for the refused blob"; return; }
}
corrupt
done_step $?

# --- 7. the upstream stopped -------------------------------------------------------------------
step "the upstream stopped: skopeo still pulls hub/app:v1 from the cache, answered stale"
stale() {
    kill "$REGISTRY_PID"; wait "$REGISTRY_PID" 2>/dev/null; REGISTRY_PID=
    sleep 4   # past the tag TTL, so the tag is checked upstream (which is down)
    skopeo_pull v1 "$WORK/out2" || { fail "skopeo could not pull from the cache"; return; }
    check_pulled "$WORK/out2" || return
    curl -fsS -o /dev/null -D "$WORK/stale.headers" -u "x:$TOKEN" -I \
        -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$US/v2/hub/app/manifests/v1" || { fail "HEAD failed"; return; }
    grep -qi '^x-artifactstore-stale: true' "$WORK/stale.headers" || { fail "no X-ArtifactStore-Stale header"; return; }
    grep -qi '^warning: 110' "$WORK/stale.headers" || { fail "no Warning: 110 header"; return; }
    grep -q "proxy served a stale manifest" "$WORK/serve.log" || { fail "no log line for the stale answer"; return; }
    if grep -q "$UP_PASSWORD" "$WORK/serve.log"; then fail "the upstream password is in the server log"; return; fi
}
stale
done_step $?

echo
echo "== proxy summary"
printf '%s\n' "${SUMMARY[@]}"
if [ ${#FAILED[@]} -gt 0 ]; then
    echo "server log tail:"; tail -20 "$WORK/serve.log"
    exit 1
fi
echo "PASSED"
