#!/usr/bin/env bash
# Replication end to end (docs/replication.md), against two real remotes started here on random
# 127.0.0.1 ports: docker-registry (CNCF Distribution, Debian; HTTP Basic auth) and a second
# `artifactstore serve` (its registry token flow). Our server runs with --webhook-allowed-network
# loopback (remotes on loopback are refused otherwise).
#
#   scripts/oci/replication-clients.sh BIN      (BIN: the directory holding the artifactstore binary)
#
# Steps:
#   1. push rules to both remotes (apps/**), with credentials from --password-file; the rule list
#      never shows a password;
#   2. skopeo pushes apps/app:v1 into us: both remotes answer the same manifest digest for the
#      tag, and hold every blob;
#   3. docker-registry stopped, apps/app:v2 pushed: `replication status` shows it pending with the
#      last error, a replication.failed webhook event reaches a receiver on loopback;
#      docker-registry restarted: everything arrives;
#   4. apps/big:v1 (a 192 MiB layer) pushed and our server killed -9 at once (the copy in flight): after a restart the
#      copy resumes (its lease expires) and both remotes get it, digests identical;
#   5. a pull rule (mirror/*, interval 10 s) mirrors mirror/tool:v1 from docker-registry into us,
#      same digest, every blob byte-identical;
#   6. /metrics has the rules' gauges; no password appears in our log, the audit export or /v1.
# Prints a summary; exits non-zero naming the failed steps.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
BIN=${1:-${BIN_PATH:-}}
BIG_MIB=${REPLICATION_BIG_MIB:-192}
if [ -z "$BIN" ] || [ ! -x "$BIN/artifactstore" ]; then
    echo "usage: scripts/oci/replication-clients.sh BIN   (the directory of the artifactstore binary)" >&2
    exit 2
fi
for tool in docker-registry htpasswd skopeo curl; do
    command -v "$tool" >/dev/null 2>&1 || { echo "FAILED: setup: $tool is not installed (.ci/run installs it)" >&2; exit 1; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/replication-clients.XXXXXX")
REGISTRY_PID=
SERVE_PID=
PEER_PID=
HOOK_PID=
cleanup() {
    [ -n "$HOOK_PID" ] && kill "$HOOK_PID" 2>/dev/null
    [ -n "$REGISTRY_PID" ] && kill "$REGISTRY_PID" 2>/dev/null
    [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null
    [ -n "$PEER_PID" ] && kill "$PEER_PID" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
new_token() { echo "ast_$(python3 -c 'import secrets; print(secrets.token_hex(8) + "_" + secrets.token_hex(32))')"; }

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

# --- docker-registry -----------------------------------------------------------------------------
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
  htpasswd: {realm: replication-remote, path: $WORK/htpasswd}
EOF
start_registry() {
    env -u REGISTRY_AUTH_FILE docker-registry serve "$WORK/registry.yml" >>"$WORK/registry.log" 2>&1 &
    REGISTRY_PID=$!
    for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$UP_PORT/v2/" && return 0; sleep 0.2; done
    echo "FAILED: setup: docker-registry did not start" >&2; return 1
}
start_registry || exit 1
UP="127.0.0.1:$UP_PORT"

# --- the second artifactstore (a remote) --------------------------------------------------------
PEER_PORT=$(free_port)
PEER_TOKEN=$(new_token)
printf '%s\n' "$PEER_TOKEN" >"$WORK/peer-password"
ARTIFACTSTORE_ADMIN_TOKEN="$PEER_TOKEN" "$BIN/artifactstore" serve --port "$PEER_PORT" --data-dir "$WORK/peer" \
    >"$WORK/peer.log" 2>&1 &
PEER_PID=$!
PEER="127.0.0.1:$PEER_PORT"

# --- our server ----------------------------------------------------------------------------------
PORT=$(free_port)
TOKEN=$(new_token)
start_serve() {
    ARTIFACTSTORE_ADMIN_TOKEN="$TOKEN" "$BIN/artifactstore" serve --port "$PORT" --data-dir "$WORK/data" \
        --webhook-allowed-network loopback >>"$WORK/serve.log" 2>&1 &
    SERVE_PID=$!
    for _ in $(seq 1 120); do curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && return 0; sleep 0.5; done
    echo "FAILED: setup: artifactstore serve did not start" >&2; tail -5 "$WORK/serve.log" >&2; return 1
}
start_serve || exit 1
for _ in $(seq 1 120); do curl -fsS "http://$PEER/readyz" >/dev/null 2>&1 && break; sleep 0.5; done
US="127.0.0.1:$PORT"
export ARTIFACTSTORE_SERVER="http://$US" ARTIFACTSTORE_TOKEN="$TOKEN"
ARTIFACTSTORE_SERVER="http://$PEER" ARTIFACTSTORE_TOKEN="$PEER_TOKEN" "$BIN/artifactstore" namespace create apps >/dev/null
"$BIN/artifactstore" namespace create apps >/dev/null && "$BIN/artifactstore" namespace create mirror >/dev/null \
    || { echo "FAILED: setup: namespaces" >&2; exit 1; }

push_us() { # LAYOUT TAG REPOSITORY:TAG
    skopeo --policy "$WORK/policy.json" copy -q --preserve-digests --dest-tls-verify=false --dest-creds "x:$TOKEN" \
        "oci:$1:$2" "docker://$US/$3"
}
digest_at() { # HOST CREDENTIALS REPOSITORY REFERENCE -> Docker-Content-Digest ("" when absent)
    curl -sS -o /dev/null -u "$2" -I -w '%header{docker-content-digest}' \
        -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$1/v2/$3/manifests/$4" 2>/dev/null
}
peer_digest() { # REPOSITORY REFERENCE (the peer's token flow: skopeo inspect handles the challenge)
    skopeo inspect --raw --tls-verify=false --creds "x:$PEER_TOKEN" "docker://$PEER/$1:$2" 2>/dev/null \
        | python3 -c 'import hashlib, sys; print("sha256:" + hashlib.sha256(sys.stdin.buffer.read()).hexdigest())'
}
layout_blobs() { # LAYOUT MANIFEST-DIGEST -> config and layer digests
    python3 - "$1" "$2" <<'PY'
import json, sys
m = json.load(open(f"{sys.argv[1]}/blobs/sha256/{sys.argv[2][7:]}"))
print(" ".join([m["config"]["digest"]] + [layer["digest"] for layer in m["layers"]]))
PY
}
arrived() { # REPOSITORY TAG DIGEST LAYOUT [SECONDS]: both remotes answer DIGEST for the tag and hold every blob
    local seconds=${5:-60} i blob
    for i in $(seq 1 "$seconds"); do
        if [ "$(digest_at "$UP" "ci:$UP_PASSWORD" "$1" "$2")" = "$3" ] && [ "$(peer_digest "$1" "$2")" = "$3" ]; then
            for blob in $(layout_blobs "$4" "$3"); do
                curl -fsS -o /dev/null -I -u "ci:$UP_PASSWORD" "http://$UP/v2/$1/blobs/$blob" || { fail "docker-registry lacks $blob"; return; }
            done
            echo "   $1:$2 = $3 on both remotes after ~${i}s"
            return 0
        fi
        sleep 1
    done
    fail "$1:$2 did not arrive as $3 within ${seconds}s (registry: '$(digest_at "$UP" "ci:$UP_PASSWORD" "$1" "$2")', peer: '$(peer_digest "$1" "$2")')"
    "$BIN/artifactstore" replication status >&2
    return 1
}

# A webhook receiver on loopback (replication.failed events of namespace apps), writing each body to a file.
HOOK_PORT=$(free_port)
python3 - "$HOOK_PORT" "$WORK/hooks.jsonl" <<'PY' >"$WORK/hook.log" 2>&1 &
import http.server, sys
port, out = int(sys.argv[1]), sys.argv[2]
class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with open(out, "ab") as f: f.write(body + b"\n")
        self.send_response(204); self.end_headers()
http.server.HTTPServer(("127.0.0.1", port), Hook).serve_forever()
PY
HOOK_PID=$!
printf 'hook-secret\n' >"$WORK/hook-secret"
"$BIN/artifactstore" webhook create apps "http://127.0.0.1:$HOOK_PORT/hook" --secret-file "$WORK/hook-secret" \
    --events replication.failed >/dev/null || { echo "FAILED: setup: webhook" >&2; exit 1; }

# --- 1. rules ------------------------------------------------------------------------------------
step "replication create to-registry/to-peer --push-to … --repositories 'apps/**' --username … --password-file …"
rules() {
    "$BIN/artifactstore" replication create to-registry --push-to "http://$UP" --repositories 'apps/**' \
        --username ci --password-file "$WORK/upstream-password" >/dev/null || { fail "creating to-registry"; return; }
    "$BIN/artifactstore" replication create to-peer --push-to "http://$PEER" --repositories 'apps/**' \
        --username x --password-file "$WORK/peer-password" >/dev/null || { fail "creating to-peer"; return; }
    "$BIN/artifactstore" replication list --json >"$WORK/rules.json" || { fail "replication list"; return; }
    python3 - "$WORK/rules.json" "$UP_PASSWORD" "$PEER_TOKEN" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
assert sys.argv[2] not in text and sys.argv[3] not in text, "a password was returned"
rules = json.loads(text)
assert [r["name"] for r in rules] == ["to-peer", "to-registry"] and all(r["hasPassword"] for r in rules), rules
PY
}
rules
done_step $?

# --- 2. a push arrives with identical digests -----------------------------------------------------
step "skopeo push apps/app:v1 into us: both remotes answer the same manifest digest and hold every blob"
APP=$(python3 "$HERE/make-image-layout.py" "$WORK/app" --seed 31 --big-mib 4 --tag v1) \
    && push_us "$WORK/app" v1 apps/app:v1 && arrived apps/app v1 "$APP" "$WORK/app"
done_step $?

# --- 3. the remote stopped mid-run ---------------------------------------------------------------
step "docker-registry stopped, apps/app:v2 pushed (pending, last error, a replication.failed webhook), restarted: it arrives"
remote_down() {
    kill "$REGISTRY_PID"; wait "$REGISTRY_PID" 2>/dev/null; REGISTRY_PID=
    APP2=$(python3 "$HERE/make-image-layout.py" "$WORK/app2" --seed 32 --big-mib 3 --tag v2) || { fail "layout"; return; }
    push_us "$WORK/app2" v2 apps/app:v2 || { fail "push apps/app:v2"; return; }
    local i status=
    for i in $(seq 1 30); do
        status=$("$BIN/artifactstore" replication status to-registry)
        case "$status" in *last-error=*) break ;; esac
        sleep 1
    done
    echo "   while down: $status"
    case "$status" in *pending=0*) fail "nothing pending while the remote is down"; return ;; esac
    case "$status" in *last-error=*) ;; *) fail "no last error while the remote is down"; return ;; esac
    for i in $(seq 1 20); do grep -q 'dev.artifactstore.replication.failed' "$WORK/hooks.jsonl" 2>/dev/null && break; sleep 1; done
    grep -q '"type":"dev.artifactstore.replication.failed"' "$WORK/hooks.jsonl" 2>/dev/null \
        || { fail "no replication.failed webhook event arrived"; return; }
    grep -q -e "$UP_PASSWORD" -e "$PEER_TOKEN" "$WORK/hooks.jsonl" && { fail "a password is in a webhook event"; return; }
    echo "   webhook: $(head -1 "$WORK/hooks.jsonl" | python3 -c 'import json,sys; e=json.load(sys.stdin); print(e["type"], e["subject"], e["data"]["detail"][:120])')"
    start_registry || { fail "docker-registry did not restart"; return; }
    arrived apps/app v2 "$APP2" "$WORK/app2" 120
}
remote_down
done_step $?

# --- 4. our server killed -9 mid-run ------------------------------------------------------------
step "apps/big:v1 (${BIG_MIB} MiB layer) pushed, our server killed -9 mid-copy, restarted: the copy resumes"
killed() {
    BIG=$(python3 "$HERE/make-image-layout.py" "$WORK/big" --seed 33 --big-mib "$BIG_MIB" --tag v1) || { fail "layout"; return; }
    push_us "$WORK/big" v1 apps/big:v1 || { fail "push apps/big:v1"; return; }
    echo "   at the kill: $("$BIN/artifactstore" replication status to-peer | cut -f1-4)"
    kill -9 "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null; SERVE_PID=
    start_serve || { fail "our server did not restart"; return; }
    # A copy that was in flight is leased for 60 s; a pending one goes at once.
    arrived apps/big v1 "$BIG" "$WORK/big" 180
}
killed
done_step $?

# --- 5. a pull rule mirrors from docker-registry ---------------------------------------------------
step "replication create from-registry --pull-from … --repositories 'mirror/*' --interval 10: mirror/tool:v1 mirrored"
mirrored() {
    TOOL=$(python3 "$HERE/make-image-layout.py" "$WORK/tool" --seed 34 --big-mib 2 --tag v1) || { fail "layout"; return; }
    skopeo --policy "$WORK/policy.json" copy -q --preserve-digests --dest-tls-verify=false --dest-creds "ci:$UP_PASSWORD" \
        "oci:$WORK/tool:v1" "docker://$UP/mirror/tool:v1" || { fail "push to docker-registry"; return; }
    "$BIN/artifactstore" replication create from-registry --pull-from "http://$UP" --repositories 'mirror/*' --interval 10 \
        --username ci --password-file "$WORK/upstream-password" >/dev/null || { fail "creating from-registry"; return; }
    local i blob
    for i in $(seq 1 60); do
        [ "$(digest_at "$US" "x:$TOKEN" mirror/tool v1)" = "$TOOL" ] && break
        sleep 1
    done
    [ "$(digest_at "$US" "x:$TOKEN" mirror/tool v1)" = "$TOOL" ] || { fail "mirror/tool:v1 not mirrored"; "$BIN/artifactstore" replication status >&2; return 1; }
    for blob in $(layout_blobs "$WORK/tool" "$TOOL"); do
        curl -fsS -u "x:$TOKEN" -o "$WORK/blob" "http://$US/v2/mirror/tool/blobs/$blob" || { fail "GET $blob"; return; }
        cmp -s "$WORK/blob" "$WORK/tool/blobs/sha256/${blob#sha256:}" || { fail "blob $blob differs"; return; }
    done
    echo "   mirror/tool:v1 = $TOOL after ~${i}s; $("$BIN/artifactstore" replication status from-registry)"
}
mirrored
done_step $?

# --- 6. metrics and secrets ---------------------------------------------------------------------
step "/metrics has the rules' gauges; no password in our log, the audit export or /v1"
secrets() {
    curl -fsS "http://$US/metrics" >"$WORK/metrics" || { fail "GET /metrics"; return; }
    grep -q 'artifactstore_replication_pending{.*rule="to-registry"' "$WORK/metrics" || { fail "no replication gauges"; return; }
    grep -q 'artifactstore_replication_lag_seconds' "$WORK/metrics" || { fail "no lag gauge"; return; }
    "$BIN/artifactstore" audit export >"$WORK/audit.jsonl" || { fail "audit export"; return; }
    "$BIN/artifactstore" replication status --json >"$WORK/status.json" || { fail "replication status"; return; }
    local file
    for file in "$WORK/serve.log" "$WORK/audit.jsonl" "$WORK/status.json" "$WORK/metrics"; do
        if grep -q -e "$UP_PASSWORD" -e "$PEER_TOKEN" "$file"; then fail "a password is in $(basename "$file")"; return; fi
    done
    grep 'artifactstore_replication_' "$WORK/metrics" | grep -v '^#' | head -12 | sed 's/^/   /'
}
secrets
done_step $?

echo
printf '%s\n' "${SUMMARY[@]}"
if [ ${#FAILED[@]} -gt 0 ]; then
    echo "replication-clients: ${#FAILED[@]} step(s) failed" >&2
    tail -20 "$WORK/serve.log" >&2
    exit 1
fi
echo "replication-clients: all steps passed"
