#!/usr/bin/env bash
# A throwaway OpenID provider for the identity tests (issue 20, item 3): django-oauth-toolkit
# from PyPI (scripts/oidc/provider.py), never a hand-written fake.
#
#   eval "$(scripts/oidc/start-provider.sh DIR)"
#
# Starts it on 127.0.0.1 on a free port (pid in DIR/provider.pid, log in DIR/provider.log) with
# random per-run secrets, waits for its discovery document, and prints the export lines the
# tests read: ARTIFACTSTORE_TEST_OIDC_ISSUER, ..._DEVICE_URL, ..._CLIENT_SECRET, ..._PASSWORD.
# Needs `pip install django-oauth-toolkit==3.4.1 oauthlib==3.3.1` (.ci/run installs them).
set -euo pipefail

DIR=${1:?usage: scripts/oidc/start-provider.sh DIR}
mkdir -p "$DIR"
HERE=$(cd "$(dirname "$0")" && pwd)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
SECRET=$(python3 -c 'import secrets; print("oidc-client-" + secrets.token_hex(16))')
PASSWORD=$(python3 -c 'import secrets; print("oidc-user-" + secrets.token_hex(12))')
OIDC_PROVIDER_PORT=$PORT OIDC_PROVIDER_DIR=$DIR OIDC_CLIENT_SECRET=$SECRET OIDC_USER_PASSWORD=$PASSWORD \
    python3 "$HERE/provider.py" >"$DIR/provider.log" 2>&1 &
echo $! >"$DIR/provider.pid"
ISSUER="http://127.0.0.1:$PORT/o"
for _ in $(seq 1 120); do
    curl -fsS "$ISSUER/.well-known/openid-configuration" >/dev/null 2>&1 && break
    sleep 0.5
done
curl -fsS "$ISSUER/.well-known/openid-configuration" >/dev/null || { echo "the OpenID provider did not start; see $DIR/provider.log" >&2; exit 1; }
echo "export ARTIFACTSTORE_TEST_OIDC_ISSUER=$ISSUER"
echo "export ARTIFACTSTORE_TEST_OIDC_DEVICE_URL=$ISSUER/device-authorization/"
echo "export ARTIFACTSTORE_TEST_OIDC_CLIENT_SECRET=$SECRET"
echo "export ARTIFACTSTORE_TEST_OIDC_PASSWORD=$PASSWORD"
