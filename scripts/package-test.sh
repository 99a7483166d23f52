#!/usr/bin/env bash
# Installs the Debian package that scripts/package.sh built, runs the server as its systemd unit
# does, pushes and pulls through it, runs the OCI image's root, and removes the package cleanly.
#
#   scripts/package-test.sh [DIST]          (as root, on a machine without artifactstore installed)
#
#   1. `dpkg -i DIST/artifactstore_*.deb`: the system user, the unit, the conffile (0640
#      root:artifactstore), the state directory (0750) and the root-only bootstrap.env exist;
#      `systemd-analyze verify` accepts the unit;
#   2. a drop-in (as `systemctl edit` writes one) moves the server to a free port; with systemd
#      as PID 1 the unit is started; otherwise the installed binary is started the way the unit
#      says, read from the installed unit and drop-in: its User/Group (setpriv, no new
#      privileges, no capabilities), ExecStart, Environment and EnvironmentFile, WorkingDirectory,
#      StateDirectory, UMask and LimitNOFILE, in a mount namespace where / is read-only except the
#      state directory (ProtectSystem=strict), /home, /root and /run/user are empty
#      (ProtectHome) and /tmp and /var/tmp are private (PrivateTmp). The seccomp, address family,
#      namespace and W^X restrictions need systemd and are checked only under it;
#   3. with the admin token from /etc/artifactstore/bootstrap.env: the CLI pushes a directory and
#      pulls it back identical; skopeo copies DIST/artifactstore-V-oci into the server's /v2 and
#      back, with the same manifest digest and blobs; the server's files belong to artifactstore;
#   4. the OCI image's root (its one layer, unpacked) runs `artifactstore serve` as its user 65532
#      with the image's Env and WorkingDir under chroot, and answers /readyz;
#   5. `dpkg -i` again keeps an edited conffile and writes no new bootstrap.env; SIGTERM stops
#      the server (exit 0); `dpkg -r` keeps the configuration and data; `dpkg
#      --purge` leaves no file of the package, no unit state, no configuration and no data, and
#      the system user stays (Debian convention, packaging/debian/postrm) owning no file.
#
# Exits non-zero naming the failed check. A user this run created is deleted at the end (after it
# was checked), so the machine is left as found.
set -euo pipefail

cd "$(dirname "$0")/.."
DIST=$(realpath "${1:-dist}")
fail() { echo "FAILED: $*" >&2; exit 1; }
step() { echo "== $*"; }

[ "$(id -u)" -eq 0 ] || fail "run as root (dpkg -i, setpriv, chroot)"
for tool in dpkg setpriv unshare chroot curl skopeo python3 sha256sum; do
    command -v "$tool" >/dev/null 2>&1 || fail "$tool is missing"
done
shopt -s nullglob
debs=("$DIST"/artifactstore_*.deb)
layouts=("$DIST"/artifactstore-*-oci)
shopt -u nullglob
[ ${#debs[@]} -eq 1 ] || fail "expected one $DIST/artifactstore_*.deb (run scripts/package.sh), found ${#debs[@]}"
[ ${#layouts[@]} -eq 1 ] || fail "expected one $DIST/artifactstore-*-oci layout, found ${#layouts[@]}"
DEB=${debs[0]}
OCI=${layouts[0]}
VERSION=$(dpkg-deb -f "$DEB" Version)
UNIT=/lib/systemd/system/artifactstore.service
DROPIN_DIR=/etc/systemd/system/artifactstore.service.d
DROPIN=$DROPIN_DIR/package-test.conf

if dpkg-query -W -f '${Status}' artifactstore 2>/dev/null | grep -qv "not-installed"; then
    fail "artifactstore is installed here already; this test installs and purges it, so it will not run"
fi
for path in /etc/artifactstore /var/lib/artifactstore "$DROPIN_DIR"; do
    [ ! -e "$path" ] || fail "$path exists without the package; this test would remove it, so it will not run"
done
USER_EXISTED=false
getent passwd artifactstore >/dev/null && USER_EXISTED=true

WORK=$(mktemp -d /tmp/artifactstore-package-test.XXXXXX)
chmod 0755 "$WORK"
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    [ -d /run/systemd/system ] && systemctl stop artifactstore.service 2>/dev/null || true
    rm -rf "$DROPIN_DIR"
    if dpkg-query -W -f '${Status}' artifactstore 2>/dev/null | grep -qv "not-installed"; then
        dpkg --purge artifactstore >/dev/null 2>&1 || true
    fi
    if [ "$USER_EXISTED" = false ] && getent passwd artifactstore >/dev/null; then
        userdel artifactstore 2>/dev/null || true
        getent group artifactstore >/dev/null && groupdel artifactstore 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_ready() { # URL PID LOG
    local attempt
    for attempt in $(seq 1 120); do
        curl -fsS "$1/readyz" >/dev/null 2>&1 && return 0
        kill -0 "$2" 2>/dev/null || { tail -20 "$3" >&2; fail "the server exited before it was ready (log above)"; }
        sleep 0.5
    done
    tail -20 "$3" >&2
    fail "the server was not ready at $1 within 60 s"
}
owner_mode() { stat -c '%U:%G %a' "$1"; }

# --- 1. install ----------------------------------------------------------------------------------
step "dpkg -i $(basename "$DEB")"
dpkg -i "$DEB" >"$WORK/dpkg-install.log" 2>&1 || { cat "$WORK/dpkg-install.log" >&2; fail "dpkg -i"; }
dpkg-query -W -f '${Status}' artifactstore | grep -q "install ok installed" || fail "the package is not installed"
[ "$(/usr/bin/artifactstore --version)" = "$VERSION" ] || fail "/usr/bin/artifactstore --version is not $VERSION"
[ -f "$UNIT" ] || fail "$UNIT is missing"
getent passwd artifactstore | grep -q ':/var/lib/artifactstore:/usr/sbin/nologin$' \
    || fail "the user artifactstore has not the home /var/lib/artifactstore and shell nologin: $(getent passwd artifactstore)"
[ "$(id -u artifactstore)" -lt 1000 ] || fail "artifactstore is not a system user (uid $(id -u artifactstore))"
[ "$(owner_mode /etc/artifactstore/config.json)" = "root:artifactstore 640" ] \
    || fail "/etc/artifactstore/config.json is $(owner_mode /etc/artifactstore/config.json), expected root:artifactstore 640"
dpkg-query -W -f '${Conffiles}' artifactstore | grep -q "/etc/artifactstore/config.json" || fail "config.json is no conffile"
[ "$(owner_mode /var/lib/artifactstore)" = "artifactstore:artifactstore 750" ] \
    || fail "/var/lib/artifactstore is $(owner_mode /var/lib/artifactstore), expected artifactstore:artifactstore 750"
[ "$(owner_mode /etc/artifactstore/bootstrap.env)" = "root:root 600" ] \
    || fail "/etc/artifactstore/bootstrap.env is $(owner_mode /etc/artifactstore/bootstrap.env), expected root:root 600"
TOKEN=$(sed -n 's/^ARTIFACTSTORE_ADMIN_TOKEN=//p' /etc/artifactstore/bootstrap.env)
[[ "$TOKEN" =~ ^ast_[0-9a-f]{16}_[0-9a-f]{64}$ ]] || fail "bootstrap.env holds no token of the generated form"
if command -v systemd-analyze >/dev/null 2>&1; then
    systemd-analyze verify "$UNIT" >"$WORK/verify.log" 2>&1 || { cat "$WORK/verify.log" >&2; fail "systemd-analyze verify $UNIT"; }
    # Offline, verify also reports the dependencies it cannot load; only this unit's lines count.
    if grep -i "artifactstore.service:" "$WORK/verify.log"; then fail "systemd-analyze verify reports the lines above"; fi
    echo "   systemd-analyze verify: no complaint about the unit"
fi
[ -e /etc/systemd/system/multi-user.target.wants/artifactstore.service ] || fail "the unit was not enabled"

# --- 2. start it as the unit does -----------------------------------------------------------------
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
mkdir -p "$DROPIN_DIR"
printf '[Service]\nEnvironment=ARTIFACTSTORE_PORT=%s\n' "$PORT" >"$DROPIN"
LOG=$WORK/serve.log
if [ -d /run/systemd/system ]; then
    step "systemctl start artifactstore (port $PORT)"
    systemctl daemon-reload
    systemctl start artifactstore.service
    journalctl -f -u artifactstore.service >"$LOG" 2>&1 &
    PIDS+=($!)
    SERVER_PID=$(systemctl show -p MainPID --value artifactstore.service)
else
    step "no systemd here: starting /usr/bin/artifactstore as $UNIT says (port $PORT)"
    # The unit and its drop-ins as shell assignments (systemd's syntax: repeated keys add up,
    # an empty assignment resets, Environment= takes quoted words).
    python3 - "$UNIT" "$DROPIN" >"$WORK/unit.sh" <<'PY'
import shlex, sys
values = {}
for path in sys.argv[1:]:
    section = None
    for raw in open(path):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line
            continue
        if section != "[Service]":
            continue
        key, _, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if value == "":
            values[key] = []
        elif key == "Environment":
            values.setdefault(key, []).extend(shlex.split(value))
        else:
            values.setdefault(key, []).append(value)
def last(key, default=""):
    return values.get(key, [default])[-1] if values.get(key) else default
print(f"U_USER={shlex.quote(last('User'))}")
print(f"U_GROUP={shlex.quote(last('Group'))}")
print(f"U_EXEC=({' '.join(shlex.quote(word) for word in shlex.split(last('ExecStart')))})")
print(f"U_ENV=({' '.join(shlex.quote(item) for item in values.get('Environment', []))})")
print(f"U_ENVFILES=({' '.join(shlex.quote(item) for item in values.get('EnvironmentFile', []))})")
print(f"U_WORKDIR={shlex.quote(last('WorkingDirectory', '/'))}")
print(f"U_STATE=({' '.join(shlex.quote(word) for item in values.get('StateDirectory', []) for word in item.split())})")
print(f"U_STATE_MODE={shlex.quote(last('StateDirectoryMode', '0755'))}")
print(f"U_UMASK={shlex.quote(last('UMask', '0022'))}")
print(f"U_NOFILE={shlex.quote(last('LimitNOFILE', '1024'))}")
print(f"U_NNP={shlex.quote(last('NoNewPrivileges', 'no'))}")
print(f"U_CAPS=({' '.join(shlex.quote(item) for item in values.get('CapabilityBoundingSet', []))})")
print(f"U_PROTECT_SYSTEM={shlex.quote(last('ProtectSystem', 'no'))}")
print(f"U_PROTECT_HOME={shlex.quote(last('ProtectHome', 'no'))}")
print(f"U_PRIVATE_TMP={shlex.quote(last('PrivateTmp', 'no'))}")
PY
    # shellcheck source=/dev/null
    source "$WORK/unit.sh"
    [ "$U_USER" = artifactstore ] && [ "${#U_EXEC[@]}" -gt 0 ] || fail "the unit names no User or ExecStart"
    [ "$U_NNP" = yes ] && [ ${#U_CAPS[@]} -eq 0 ] && [ "$U_PROTECT_SYSTEM" = strict ] && [ "$U_PROTECT_HOME" = yes ] \
        && [ "$U_PRIVATE_TMP" = yes ] \
        || fail "the unit lacks NoNewPrivileges, an empty CapabilityBoundingSet, ProtectSystem=strict, ProtectHome or PrivateTmp"
    ENVIRONMENT=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8
        "HOME=$(getent passwd "$U_USER" | cut -d: -f6)" "USER=$U_USER" "LOGNAME=$U_USER" SHELL=/usr/sbin/nologin)
    STATE_PATHS=()
    for directory in "${U_STATE[@]}"; do
        install -d -o "$U_USER" -g "$U_GROUP" -m "$U_STATE_MODE" "/var/lib/$directory"
        chown "$U_USER:$U_GROUP" "/var/lib/$directory"
        STATE_PATHS+=("/var/lib/$directory")
    done
    ENVIRONMENT+=("STATE_DIRECTORY=$(IFS=:; echo "${STATE_PATHS[*]}")" "${U_ENV[@]}")
    for file in "${U_ENVFILES[@]}"; do
        optional=false
        [[ "$file" == -* ]] && { optional=true; file=${file#-}; }
        [ -f "$file" ] || { $optional && continue; fail "EnvironmentFile $file is missing"; }
        while IFS= read -r line; do ENVIRONMENT+=("$line"); done < <(grep -E '^[A-Za-z_][A-Za-z0-9_]*=' "$file")
    done
    # The mount namespace: / read-only, the state directories writable, home and tmp empty.
    cat >"$WORK/run-as-unit.sh" <<'SH'
set -e
mount --make-rprivate /
for directory in $STATE_PATHS; do mount --bind "$directory" "$directory"; done
mount -o remount,bind,ro /
for directory in /home /root /run/user; do
    [ -d "$directory" ] && mount -t tmpfs -o ro,mode=0755 tmpfs "$directory"
done
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=1777 tmpfs /var/tmp
cd "$WORKDIR"
umask "$UMASK"
# systemd raises it as PID 1; a machine that does not let root go above its hard limit gets that.
if ! ulimit -n "$NOFILE" 2>/dev/null; then
    echo "note: LimitNOFILE=$NOFILE refused here; running with $(ulimit -Hn)" >&2
    ulimit -n "$(ulimit -Hn)"
fi
exec setpriv --reuid="$RUN_USER" --regid="$RUN_GROUP" --init-groups --no-new-privs --bounding-set=-all --inh-caps=-all \
    env -i "$@"
SH
    STATE_PATHS="${STATE_PATHS[*]}" WORKDIR=$U_WORKDIR UMASK=$U_UMASK NOFILE=$U_NOFILE RUN_USER=$U_USER RUN_GROUP=$U_GROUP \
        unshare -m bash "$WORK/run-as-unit.sh" "${ENVIRONMENT[@]}" "${U_EXEC[@]}" >"$LOG" 2>&1 &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
fi
wait_ready "$URL" "$SERVER_PID" "$LOG"
echo "   ready at $URL"
grep -q "the admin token is the one in ARTIFACTSTORE_ADMIN_TOKEN" "$LOG" || fail "the server did not install the token from bootstrap.env"
! grep -q "$TOKEN" "$LOG" || fail "the server log shows the admin token"
[ "$(curl -fsS -H "Authorization: Bearer $TOKEN" "$URL/v1/whoami" -o /dev/null -w '%{http_code}')" = 200 ] \
    || fail "the token from bootstrap.env is not accepted"

# --- 3. push and pull: the CLI and skopeo -----------------------------------------------------------
step "artifactstore push / pull through the installed server"
mkdir -p "$WORK/client-home" "$WORK/src/nested"
head -c 3145728 /dev/urandom >"$WORK/src/big.bin"
echo "hello from the package test" >"$WORK/src/hello.txt"
head -c 1000 /dev/urandom >"$WORK/src/nested/small.bin"
export HOME=$WORK/client-home ARTIFACTSTORE_SERVER=$URL ARTIFACTSTORE_TOKEN=$TOKEN
/usr/bin/artifactstore push pkgtest/files:1 "$WORK/src" || fail "artifactstore push"
/usr/bin/artifactstore pull pkgtest/files:1 "$WORK/pulled" || fail "artifactstore pull"
diff -r "$WORK/src" "$WORK/pulled" || fail "the pulled files differ from the pushed ones"
echo "   pushed and pulled 3 files, identical"

step "skopeo copy $(basename "$OCI"):$VERSION into the server's /v2 and back"
echo '{"default": [{"type": "insecureAcceptAnything"}]}' >"$WORK/policy.json"
export REGISTRY_AUTH_FILE=$WORK/auth.json
echo '{}' >"$REGISTRY_AUTH_FILE"
REFERENCE=docker://127.0.0.1:$PORT/pkgtest/artifactstore:$VERSION
skopeo --policy "$WORK/policy.json" copy --quiet --preserve-digests --dest-tls-verify=false --dest-creds "ci:$TOKEN" \
    "oci:$OCI:$VERSION" "$REFERENCE" || fail "skopeo copy into the registry"
skopeo --policy "$WORK/policy.json" copy --quiet --preserve-digests --src-tls-verify=false --src-creds "ci:$TOKEN" \
    "$REFERENCE" "oci:$WORK/pulled-oci:$VERSION" || fail "skopeo copy out of the registry"
LOCAL=$(skopeo inspect --format '{{.Digest}}' "oci:$OCI:$VERSION")
REMOTE=$(skopeo inspect --tls-verify=false --creds "ci:$TOKEN" --format '{{.Digest}}' "$REFERENCE")
PULLED=$(skopeo inspect --format '{{.Digest}}' "oci:$WORK/pulled-oci:$VERSION")
[ "$LOCAL" = "$REMOTE" ] && [ "$LOCAL" = "$PULLED" ] || fail "manifest digests differ: layout $LOCAL, registry $REMOTE, pulled $PULLED"
for blob in "$OCI"/blobs/sha256/*; do
    name=$(basename "$blob")
    [ -f "$WORK/pulled-oci/blobs/sha256/$name" ] && [ "$(sha256sum <"$WORK/pulled-oci/blobs/sha256/$name" | cut -d' ' -f1)" = "$name" ] \
        || fail "blob sha256:$name did not come back"
done
echo "   manifest $LOCAL in, in the registry and out; every blob identical"

others=$(find /var/lib/artifactstore ! -user artifactstore -printf '%p\n' | head -5)
[ -z "$others" ] || fail "files in /var/lib/artifactstore not owned by artifactstore: $others"
[ "$(stat -c %a /var/lib/artifactstore/audit.key)" = 600 ] || fail "audit.key is not mode 0600"

# --- 4. the OCI image's root runs the server -------------------------------------------------------
step "the OCI image's root: artifactstore serve as its user, under chroot"
ROOTFS=$WORK/rootfs
mkdir -p "$ROOTFS"
python3 - "$OCI" "$VERSION" "$ROOTFS" >"$WORK/image.sh" <<'PY'
import json, shlex, sys, tarfile
layout, ref, root = sys.argv[1:]
index = json.load(open(f"{layout}/index.json"))
digest = next(m["digest"] for m in index["manifests"] if m["annotations"]["org.opencontainers.image.ref.name"] == ref)
blob = lambda d: f"{layout}/blobs/sha256/{d.split(':')[1]}"
manifest = json.load(open(blob(digest)))
config = json.load(open(blob(manifest["config"]["digest"])))["config"]
for layer in manifest["layers"]:
    with tarfile.open(blob(layer["digest"])) as archive:
        archive.extractall(root, numeric_owner=True)
print(f"I_USER={shlex.quote(config['User'])}")
print(f"I_ENV=({' '.join(shlex.quote(item) for item in config['Env'])})")
print(f"I_ENTRYPOINT=({' '.join(shlex.quote(item) for item in config['Entrypoint'])})")
print(f"I_WORKDIR={shlex.quote(config['WorkingDir'])}")
print(f"I_PORTS={shlex.quote(' '.join(config['ExposedPorts']))}")
print(f"I_VOLUMES={shlex.quote(' '.join(config['Volumes']))}")
PY
# shellcheck source=/dev/null
source "$WORK/image.sh"
[ "$I_USER" != 0 ] && [[ "$I_USER" != root* ]] || fail "the image runs as root"
[ "$I_PORTS" = 8080/tcp ] && [ "$I_VOLUMES" = /var/lib/artifactstore ] || fail "the image exposes $I_PORTS and declares volumes $I_VOLUMES"
[ "${I_ENTRYPOINT[*]}" = "/usr/bin/artifactstore serve" ] || fail "the image's entrypoint is ${I_ENTRYPOINT[*]}"
# What a runtime does: /proc, /dev and /sys mounted, chroot, the WorkingDir, the User with no
# supplementary groups, the image's Env only (the port moved to a free one on loopback).
IMAGE_PORT=$(free_port)
IMAGE_LOG=$WORK/image-serve.log
cat >"$WORK/run-image.py" <<'PY'
import os, sys
root, workdir, user, count = sys.argv[1:5]
environment = dict(item.split("=", 1) for item in sys.argv[5:5 + int(count)])
entrypoint = sys.argv[5 + int(count):]
uid, _, gid = user.partition(":")
os.chroot(root)
os.chdir(workdir)
os.setgroups([])
os.setgid(int(gid or uid))
os.setuid(int(uid))
os.execve(entrypoint[0], entrypoint, environment)
PY
IMAGE_ENV=("${I_ENV[@]}" "ARTIFACTSTORE_PORT=$IMAGE_PORT" "ARTIFACTSTORE_HOST=127.0.0.1")
unshare -m bash -c '
    set -e
    mount --make-rprivate /
    for directory in proc dev sys; do mkdir -p "$2/$directory"; mount --rbind "/$directory" "$2/$directory"; done
    exec python3 "$@"' \
    image "$WORK/run-image.py" "$ROOTFS" "$I_WORKDIR" "$I_USER" "${#IMAGE_ENV[@]}" "${IMAGE_ENV[@]}" "${I_ENTRYPOINT[@]}" \
    >"$IMAGE_LOG" 2>&1 &
IMAGE_PID=$!
PIDS+=("$IMAGE_PID")
wait_ready "http://127.0.0.1:$IMAGE_PORT" "$IMAGE_PID" "$IMAGE_LOG"
grep -q "bootstrap admin token" "$IMAGE_LOG" || fail "the image's server printed no bootstrap token on its first start"
[ -f "$ROOTFS/var/lib/artifactstore/metadata.sqlite" ] || fail "the image's server kept no database in /var/lib/artifactstore"
kill -TERM "$IMAGE_PID"
wait "$IMAGE_PID" || fail "the image's server exited $? on SIGTERM"
echo "   served from the image's root on port $IMAGE_PORT as $I_USER, stopped cleanly"

# --- 5. upgrade in place, stop, remove, purge --------------------------------------------------------
step "dpkg -i again over an edited configuration, with bootstrap.env deleted as the docs say"
uid=$(id -u artifactstore)
sed -i 's/"logLevel": "info"/"logLevel": "notice"/' /etc/artifactstore/config.json
grep -q '"notice"' /etc/artifactstore/config.json || fail "could not edit the configuration for the upgrade check"
rm /etc/artifactstore/bootstrap.env
dpkg -i "$DEB" >"$WORK/dpkg-upgrade.log" 2>&1 || { cat "$WORK/dpkg-upgrade.log" >&2; fail "dpkg -i over the installed package"; }
grep -q '"notice"' /etc/artifactstore/config.json || fail "reinstalling replaced the edited conffile"
[ "$(owner_mode /etc/artifactstore/config.json)" = "root:artifactstore 640" ] || fail "reinstalling changed the conffile's owner or mode"
[ ! -e /etc/artifactstore/bootstrap.env ] || fail "reinstalling wrote a new bootstrap.env"
[ "$(id -u artifactstore)" = "$uid" ] || fail "reinstalling changed the user's uid"
echo "   edited configuration kept, no new token file, same user"

step "stop, dpkg -r, dpkg --purge"
if [ -d /run/systemd/system ]; then
    systemctl stop artifactstore.service
    [ "$(systemctl show -p ExecMainStatus --value artifactstore.service)" = 0 ] || fail "the unit did not exit 0 on stop"
else
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID" || fail "the server exited $? on SIGTERM"
fi
grep -q "stopped" "$LOG" || fail "the server log has no 'stopped' line"
rm -rf "$DROPIN_DIR"
dpkg -r artifactstore >"$WORK/dpkg-remove.log" 2>&1 || { cat "$WORK/dpkg-remove.log" >&2; fail "dpkg -r"; }
[ ! -e /usr/bin/artifactstore ] && [ ! -e "$UNIT" ] || fail "dpkg -r left the binary or the unit"
[ -f /etc/artifactstore/config.json ] && [ -f /var/lib/artifactstore/metadata.sqlite ] \
    || fail "dpkg -r removed the configuration or the data (it keeps them until purge)"
dpkg --purge artifactstore >"$WORK/dpkg-purge.log" 2>&1 || { cat "$WORK/dpkg-purge.log" >&2; fail "dpkg --purge"; }
! dpkg-query -W -f '${Status}' artifactstore 2>/dev/null | grep -qv "not-installed" || fail "dpkg still knows the package"
left=$(find /usr /lib /etc /var /run -xdev \( -name '*artifactstore*' -o -user artifactstore \) -print 2>/dev/null \
    | grep -v -e '^/var/lib/dpkg/' -e '^/var/log/' || true)
[ -z "$left" ] || fail "dpkg --purge left: $left"
getent passwd artifactstore >/dev/null || fail "the system user was removed (postrm leaves it, Debian convention)"
echo "   nothing left but the system user artifactstore (no files of its own, shell nologin)"
echo "== package test PASSED ($(basename "$DEB"))"
