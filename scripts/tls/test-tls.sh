#!/usr/bin/env bash
# TLS end to end (issue 20, part 1), against the real binary:
#
#   scripts/tls/test-tls.sh BIN          (BIN: the artifactstore executable)
#
# A CA and server certificates are made with openssl in a temporary directory. Then:
#   1. `serve --tls-cert --tls-key`: curl with --cacert answers; curl without it and a wrong host
#      name (curl --resolve) are refused; the CLI pushes and pulls with --ca-cert and with
#      ARTIFACTSTORE_CA_CERT and is refused (tlsUntrusted) without; skopeo copies an image in and
#      out with --cert-dir and --tls-verify=true, digests identical; HTTP/2 by ALPN: curl --http2
#      uploads and downloads a blob and reads /v1 in HTTP/2, curl --http1.1 gets HTTP/1.1, the same
#      bytes; an HTTP/2 upload refused (no token) stops the client sending;
#   2. SIGHUP after the files were replaced by a certificate of another CA, while an HTTP/2
#      download is in flight on the old one (it completes, byte-identical): new connections get it
#      (openssl s_client sees the new serial; curl trusting the new CA answers, the old CA is refused);
#      a bad key on SIGHUP changes nothing;
#   3. a bad key at the start: exit 2, tlsUnusable, no data directory created; --check-config
#      refuses the same pair and accepts a good one; serve --no-http2 answers curl --http2 in HTTP/1.1;
#      an HTTP/2 client that sends nothing, or never acknowledges GOAWAY, is closed by the timeouts;
#   4. nginx (Debian) with packaging/nginx/artifactstore.conf (port, certificate paths and upstream
#      replaced) terminating TLS in front of a plain-HTTP `serve`: skopeo and the CLI push and
#      pull through it.
# Every address is 127.0.0.1. Prints each check and "N passed, N failed"; exits non-zero on a failure.
set -uo pipefail

BIN=${1:?usage: scripts/tls/test-tls.sh BIN}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
for tool in openssl curl skopeo nginx python3; do
    command -v "$tool" >/dev/null 2>&1 || { echo "FAILED: setup: $tool is not installed" >&2; exit 1; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/artifactstore-tls.XXXXXX")
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
    rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK" || exit 1

PASSED=0
FAILED=0
check() {
    local name=$1
    shift
    if "$@" >>"$WORK/checks.log" 2>&1; then
        PASSED=$((PASSED + 1)); echo "ok      $name"
    else
        FAILED=$((FAILED + 1)); echo "FAILED: $name"
    fi
}
refused() { ! "$@"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
token() { echo "ast_$(openssl rand -hex 8)_$(openssl rand -hex 32)"; }

# --- certificates ------------------------------------------------------------------------------
make_ca() { # DIR NAME
    mkdir -p "$1"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1/ca.key" -out "$1/ca.crt" \
        -days 2 -subj "/CN=$2" 2>/dev/null
}
issue() { # CA_DIR NAME HOSTS(SAN)
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1/$2.key" -out "$1/$2.csr" \
        -subj "/CN=$2" 2>/dev/null
    printf 'subjectAltName=%s\n' "$3" >"$1/$2.ext"
    openssl x509 -req -in "$1/$2.csr" -CA "$1/ca.crt" -CAkey "$1/ca.key" -CAcreateserial -out "$1/$2.pem" -days 1 \
        -extfile "$1/$2.ext" 2>/dev/null
}
make_ca ca1 "ArtifactStore TLS test CA one" && issue ca1 server "DNS:localhost,IP:127.0.0.1" \
    && make_ca ca2 "ArtifactStore TLS test CA two" && issue ca2 server "DNS:localhost,IP:127.0.0.1" \
    || { echo "FAILED: setup: openssl could not make the certificates" >&2; exit 1; }
mkdir live && cp ca1/server.pem live/cert.pem && cp ca1/server.key live/key.pem && chmod 600 live/key.pem
# skopeo's --cert-dir takes a directory of *.crt CA files.
mkdir certs1 certs2 && cp ca1/ca.crt certs1/ && cp ca2/ca.crt certs2/
echo '{"default": [{"type": "insecureAcceptAnything"}]}' >policy.json
export REGISTRY_AUTH_FILE="$WORK/auth.json"
echo '{}' >"$REGISTRY_AUTH_FILE"
python3 "$ROOT/scripts/oci/make-image-layout.py" --big-mib 8 --seed 20 --tag v1 layout >/dev/null \
    || { echo "FAILED: setup: no image layout" >&2; exit 1; }
MANIFEST=$(python3 -c 'import json; print(json.load(open("layout/index.json"))["manifests"][0]["digest"])')
head -c 3000000 /dev/urandom >payload.bin
head -c 12000000 /dev/urandom >large.bin

wait_ready() { # URL CURL_ARGS...
    local url=$1
    shift
    for _ in $(seq 1 120); do
        curl -fsS "$@" "$url/readyz" >/dev/null 2>&1 && return 0
        sleep 0.5
    done
    return 1
}

# skopeo in and out of docker://HOST/tls/NAME:v1, checking the pulled manifest digest.
skopeo_roundtrip() { # HOST CERT_DIR NAME TOKEN
    rm -rf "pulled-$3"
    skopeo --policy policy.json copy --preserve-digests --dest-cert-dir "$2" --dest-tls-verify=true \
        --dest-creds "ci:$4" oci:layout:v1 "docker://$1/tls/$3:v1" \
        && skopeo --policy policy.json copy --preserve-digests --src-cert-dir "$2" --src-tls-verify=true \
            --src-creds "ci:$4" "docker://$1/tls/$3:v1" "oci:pulled-$3:v1" \
        && [ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' "pulled-$3/index.json")" \
            = "$MANIFEST" ]
}

# The CLI pushes payload.bin and pulls it back byte-identical.
cli_roundtrip() { # SERVER TOKEN REF [CLI ARGS...]
    local server=$1 tok=$2 ref=$3
    shift 3
    rm -rf "out-${ref//[:\/]/_}" && mkdir "out-${ref//[:\/]/_}"
    ARTIFACTSTORE_TOKEN=$tok "$BIN" push --server "$server" "$@" "$ref" payload.bin \
        && ARTIFACTSTORE_TOKEN=$tok "$BIN" pull --server "$server" "$@" "$ref" "out-${ref//[:\/]/_}" \
        && cmp payload.bin "out-${ref//[:\/]/_}/payload.bin"
}

serial_of_server() { # PORT
    echo | openssl s_client -connect "127.0.0.1:$1" -servername localhost 2>/dev/null | openssl x509 -noout -serial
}

# --- 1. serve with TLS -------------------------------------------------------------------------
TOKEN=$(token)
PORT=$(free_port)
ARTIFACTSTORE_ADMIN_TOKEN=$TOKEN "$BIN" serve --port "$PORT" --data-dir "$WORK/data" \
    --tls-cert "$WORK/live/cert.pem" --tls-key "$WORK/live/key.pem" >serve.log 2>&1 &
SERVE_PID=$!
PIDS+=("$SERVE_PID")
URL="https://localhost:$PORT"
check "serve --tls-cert answers curl --cacert on /readyz" wait_ready "$URL" --cacert ca1/ca.crt
check "the log says listening on https://" grep -q "listening on https://127.0.0.1:$PORT" serve.log
check "curl without the CA is refused" refused curl -fsS -o /dev/null "$URL/readyz"
check "a wrong host name is refused (curl --resolve wrong.example)" \
    refused curl -fsS -o /dev/null --cacert ca1/ca.crt --resolve "wrong.example:$PORT:127.0.0.1" "https://wrong.example:$PORT/readyz"
check "plain HTTP to the TLS port gets no answer" refused curl -fsS -o /dev/null "http://127.0.0.1:$PORT/readyz"
check "create namespace tls with curl --cacert" curl -fsS -o /dev/null --cacert ca1/ca.crt -X POST \
    -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"name":"tls"}' "$URL/v1/namespaces"
check "CLI push/pull with --ca-cert" cli_roundtrip "$URL" "$TOKEN" tls/cli:1 --ca-cert "$WORK/ca1/ca.crt"
check "CLI push/pull with ARTIFACTSTORE_CA_CERT" env ARTIFACTSTORE_CA_CERT="$WORK/ca1/ca.crt" \
    bash -c "$(declare -f cli_roundtrip); BIN='$BIN' cli_roundtrip '$URL' '$TOKEN' tls/cli:2"
check "CLI without the CA: exit 7, tlsUntrusted" bash -c \
    "ARTIFACTSTORE_TOKEN='$TOKEN' '$BIN' ls --server '$URL' 2>cli-untrusted.err; [ \$? -eq 7 ] && grep -q tlsUntrusted cli-untrusted.err"
check "skopeo copy in and out with --cert-dir, --tls-verify=true" skopeo_roundtrip "localhost:$PORT" certs1 direct "$TOKEN"

# HTTP/2 over ALPN: curl prints the version it spoke (%{http_version}: 2 or 1.1).
BLOBS="$URL/v1/namespaces/tls/blobs"
upload_h2() { # FILE
    curl -fsS --http2 --cacert ca1/ca.crt -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/octet-stream" \
        -X POST -T "$1" -o "$1.json" -w '%{http_version}' "$BLOBS" >"$1.version" \
        && [ "$(cat "$1.version")" = 2 ] \
        && python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["address"])' "$1.json" >"$1.address"
}
get_as() { # VERSION_FLAG EXPECTED_VERSION URL OUT
    [ "$(curl -fsS "$1" --cacert ca1/ca.crt -H "Authorization: Bearer $TOKEN" -o "$4" -w '%{http_version}' "$3")" = "$2" ]
}
check "HTTP/2: curl --http2 uploads a blob (POST, streamed) and the answer is HTTP/2" upload_h2 payload.bin
check "HTTP/2: curl --http2 uploads a 12 MB blob" upload_h2 large.bin
check "HTTP/2: curl --http2 downloads the blob in HTTP/2, byte-identical" bash -c \
    "$(declare -f get_as); TOKEN='$TOKEN' get_as --http2 2 '$BLOBS/$(cat payload.bin.address)' h2.bin && cmp payload.bin h2.bin"
check "HTTP/1.1: curl --http1.1 downloads the same blob in HTTP/1.1, byte-identical" bash -c \
    "$(declare -f get_as); TOKEN='$TOKEN' get_as --http1.1 1.1 '$BLOBS/$(cat payload.bin.address)' h1.bin && cmp payload.bin h1.bin"
check "HTTP/2: /v1/namespaces/tls in HTTP/2 and in HTTP/1.1, the same bytes" bash -c \
    "$(declare -f get_as); TOKEN='$TOKEN' get_as --http2 2 '$URL/v1/namespaces/tls' ns-h2.json \
        && TOKEN='$TOKEN' get_as --http1.1 1.1 '$URL/v1/namespaces/tls' ns-h1.json && cmp ns-h2.json ns-h1.json \
        && grep -q '\"name\":\"tls\"' ns-h2.json"
# Refused before its body is read: 401 with RST_STREAM(NO_ERROR), so curl stops sending early and exits 0.
check "HTTP/2: an upload without a token gets 401 and the client stops sending (well under 12 MB sent)" bash -c \
    "out=\$(curl -sS --http2 --cacert ca1/ca.crt -X POST -T large.bin -o refused.json \
        -w '%{http_version} %{http_code} %{size_upload}' '$BLOBS') && set -- \$out && [ \$1 = 2 ] && [ \$2 = 401 ] \
        && [ \$3 -lt 4000000 ] && grep -q unauthenticated refused.json"

# --- 2. SIGHUP reload --------------------------------------------------------------------------
BEFORE=$(serial_of_server "$PORT")
# An HTTP/2 download at 3 MB/s (about 4 s) on a connection made with the first certificate.
curl -fsS --http2 --limit-rate 3M --cacert ca1/ca.crt -H "Authorization: Bearer $TOKEN" -o inflight.bin \
    -w '%{http_version}' "$BLOBS/$(cat large.bin.address)" >inflight.version 2>inflight.err &
INFLIGHT=$!
sleep 1
kill -0 "$INFLIGHT" 2>/dev/null && RUNNING_AT_RELOAD=yes || RUNNING_AT_RELOAD=no
cp ca2/server.pem live/cert.pem && cp ca2/server.key live/key.pem
kill -HUP "$SERVE_PID"
wait "$INFLIGHT"
INFLIGHT_STATUS=$?
check "SIGHUP: the server is still running" kill -0 "$SERVE_PID"
check "SIGHUP: an HTTP/2 download in flight during the reload completes (HTTP/2, byte-identical)" bash -c \
    "[ $RUNNING_AT_RELOAD = yes ] && [ $INFLIGHT_STATUS -eq 0 ] && [ \"\$(cat inflight.version)\" = 2 ] && cmp large.bin inflight.bin"
check "SIGHUP: new connections get the new certificate (serial changed)" \
    bash -c "[ '$(serial_of_server "$PORT")' = '$(openssl x509 -in ca2/server.pem -noout -serial)' ] && [ '$BEFORE' != '' ]"
check "SIGHUP: curl trusting the new CA answers" curl -fsS -o /dev/null --cacert ca2/ca.crt "$URL/readyz"
check "SIGHUP: the old CA is refused" refused curl -fsS -o /dev/null --cacert ca1/ca.crt "$URL/readyz"
check "SIGHUP: skopeo with the new CA's cert dir" skopeo_roundtrip "localhost:$PORT" certs2 reloaded "$TOKEN"
cp ca1/server.key live/key.pem
kill -HUP "$SERVE_PID"
sleep 1
check "SIGHUP with a key of another certificate: logged, not reloaded" grep -q "TLS certificate not reloaded" serve.log
check "... and the new certificate is still served" curl -fsS -o /dev/null --cacert ca2/ca.crt "$URL/readyz"
check "no key material in the server log" refused grep -q "PRIVATE KEY\|$TOKEN" serve.log
kill -TERM "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null

# --- 3. a bad pair at the start ----------------------------------------------------------------
check "a mismatched key at the start: exit 2, tlsUnusable, no data directory" bash -c \
    "'$BIN' serve --port 0 --data-dir '$WORK/never' --tls-cert '$WORK/ca1/server.pem' --tls-key '$WORK/ca2/server.key' \
        2>bad-start.err; [ \$? -eq 2 ] && grep -q 'tlsUnusable: tlsKey' bad-start.err && [ ! -e '$WORK/never' ]"

check "--check-config refuses the mismatched pair (exit 2) and accepts a good one (exit 0)" bash -c \
    "'$BIN' serve --check-config --data-dir '$WORK/check' --tls-cert '$WORK/ca1/server.pem' --tls-key '$WORK/ca2/server.key' \
        2>/dev/null; [ \$? -eq 2 ] && '$BIN' serve --check-config --data-dir '$WORK/check' \
        --tls-cert '$WORK/ca1/server.pem' --tls-key '$WORK/ca1/server.key' >/dev/null"

H1_PORT=$(free_port)
"$BIN" serve --no-http2 --port "$H1_PORT" --data-dir "$WORK/http1only" \
    --tls-cert "$WORK/ca1/server.pem" --tls-key "$WORK/ca1/server.key" >serve-http1.log 2>&1 &
H1_PID=$!
PIDS+=("$H1_PID")
check "serve --no-http2: ready over TLS" wait_ready "https://localhost:$H1_PORT" --cacert ca1/ca.crt
check "serve --no-http2: curl --http2 is answered in HTTP/1.1" \
    bash -c "[ \"\$(curl -fsS --http2 --cacert ca1/ca.crt -o /dev/null -w '%{http_version}' https://localhost:$H1_PORT/readyz)\" = 1.1 ]"
kill -TERM "$H1_PID"
wait "$H1_PID" 2>/dev/null

# HTTP/2 connections under the limits of "Connections", with a client that never acknowledges anything.
LIMITS_PORT=$(free_port)
"$BIN" serve --port "$LIMITS_PORT" --data-dir "$WORK/limits" --header-read-timeout 3 --idle-timeout 2 \
    --tls-cert "$WORK/ca1/server.pem" --tls-key "$WORK/ca1/server.key" >serve-limits.log 2>&1 &
LIMITS_PID=$!
PIDS+=("$LIMITS_PID")
check "HTTP/2 limits: server ready" wait_ready "https://localhost:$LIMITS_PORT" --cacert ca1/ca.crt
check "HTTP/2: a connection that sends no request is closed after headerReadTimeout (3 s)" bash -c \
    "out=\$(python3 '$ROOT/scripts/tls/h2-idle-client.py' $LIMITS_PORT ca1/ca.crt) && echo \"\$out\" \
        && python3 -c 'import sys; s=float(sys.argv[1].split(\"seconds=\")[1].split()[0]); sys.exit(0 if 2.5 <= s < 9 else 1)' \"\$out\""
check "HTTP/2: after its answer, a client that never acknowledges GOAWAY is closed (idleTimeout 2 s + 2 s)" bash -c \
    "out=\$(python3 '$ROOT/scripts/tls/h2-idle-client.py' $LIMITS_PORT ca1/ca.crt --request) && echo \"\$out\" \
        && echo \"\$out\" | grep -q 'frames=.*1.*7' \
        && python3 -c 'import sys; s=float(sys.argv[1].split(\"seconds=\")[1].split()[0]); sys.exit(0 if 3.5 <= s < 12 else 1)' \"\$out\""
kill -TERM "$LIMITS_PID"
wait "$LIMITS_PID" 2>/dev/null

# --- 4. nginx terminating TLS in front of a plain-HTTP serve -----------------------------------
doc_has_example() {
    python3 -c 'import sys; sys.exit(0 if open(sys.argv[2]).read() in open(sys.argv[1]).read() else 1)' \
        "$ROOT/docs/operations.md" "$ROOT/packaging/nginx/artifactstore.conf"
}
check "docs/operations.md shows packaging/nginx/artifactstore.conf verbatim" doc_has_example
PLAIN_TOKEN=$(token)
PLAIN_PORT=$(free_port)
PROXY_PORT=$(free_port)
ARTIFACTSTORE_ADMIN_TOKEN=$PLAIN_TOKEN "$BIN" serve --port "$PLAIN_PORT" --data-dir "$WORK/plain" >serve-plain.log 2>&1 &
PIDS+=("$!")
check "plain serve behind the proxy is ready" wait_ready "http://127.0.0.1:$PLAIN_PORT"
mkdir -p nginx/tmp
sed -e "s|listen 443 ssl;|listen 127.0.0.1:$PROXY_PORT ssl;|" \
    -e "s|server 127.0.0.1:8080;|server 127.0.0.1:$PLAIN_PORT;|" \
    -e "s|/etc/ssl/artifactstore/fullchain.pem|$WORK/ca1/server.pem|" \
    -e "s|/etc/ssl/artifactstore/privkey.pem|$WORK/ca1/server.key|" \
    "$ROOT/packaging/nginx/artifactstore.conf" >nginx/artifactstore.conf
grep -q "listen 127.0.0.1:$PROXY_PORT ssl" nginx/artifactstore.conf && grep -q "$WORK/ca1/server.key" nginx/artifactstore.conf \
    || echo "FAILED: setup: packaging/nginx/artifactstore.conf no longer has the lines this test replaces" >&2
{
    [ "$(id -u)" -eq 0 ] && echo "user root;"
    cat <<NGINX
daemon off;
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 256; }
http {
    access_log $WORK/nginx/access.log;
    client_body_temp_path $WORK/nginx/tmp/body;
    proxy_temp_path $WORK/nginx/tmp/proxy;
    fastcgi_temp_path $WORK/nginx/tmp/fastcgi;
    uwsgi_temp_path $WORK/nginx/tmp/uwsgi;
    scgi_temp_path $WORK/nginx/tmp/scgi;
    include $WORK/nginx/artifactstore.conf;
}
NGINX
} >nginx/nginx.conf
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" >nginx/stdout.log 2>&1 &
PIDS+=("$!")
PROXY="https://localhost:$PROXY_PORT"
check "nginx with packaging/nginx/artifactstore.conf answers /readyz over TLS" wait_ready "$PROXY" --cacert ca1/ca.crt
check "create namespace tls through nginx" curl -fsS -o /dev/null --cacert ca1/ca.crt -X POST \
    -H "Authorization: Bearer $PLAIN_TOKEN" -H "Content-Type: application/json" -d '{"name":"tls"}' "$PROXY/v1/namespaces"
check "CLI push/pull through nginx with --ca-cert" cli_roundtrip "$PROXY" "$PLAIN_TOKEN" tls/proxied:1 --ca-cert "$WORK/ca1/ca.crt"
check "skopeo copy in and out through nginx (--cert-dir, --tls-verify=true)" \
    skopeo_roundtrip "localhost:$PROXY_PORT" certs1 proxied "$PLAIN_TOKEN"

echo
if [ "$FAILED" -ne 0 ]; then
    echo "--- checks.log (last 40 lines)"; tail -40 "$WORK/checks.log"
    echo "--- serve.log (errors)"; grep -iE "error|warning" serve.log | tail -10
    [ -f nginx/error.log ] && { echo "--- nginx error.log"; tail -10 nginx/error.log; }
fi
echo "tls: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ] && echo "== TLS end to end PASSED" || echo "== TLS end to end FAILED"
[ "$FAILED" -eq 0 ]
