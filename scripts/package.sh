#!/usr/bin/env bash
# Builds what installs ArtifactStore without a Swift toolchain (docs/operations.md, "Installing
# without Swift"), from a clean checkout:
#
#   scripts/package.sh [--out DIR] [--binary PATH]
#
#   1. `swift build -c release --product artifactstore` with SIZE_FLAGS (below; Package.swift links
#      the Swift runtime and Foundation statically in release), unless --binary names a built one;
#   2. checks the binary needs only glibc's libraries (ldd) and holds the filtered ICU data table
#      of CArtifactICUData made from this toolchain's (scripts/icu_data.py --check), strips it (objcopy --strip-all) with
#      the debug info (and symbol table) kept in a separate, compressed file linked to it by
#      .gnu_debuglink and by its build id, and prints the sizes, largest sections first;
#   3. into DIR (default dist/):
#      - artifactstore-V-linux-ARCH.tar.gz: bin/artifactstore, the systemd unit, the example
#        configuration, README.md and docs/operations.md;
#      - artifactstore-V-linux-ARCH.debug: the debug info, separate;
#      - artifactstore_V_ARCH.deb (dpkg-deb): /usr/bin/artifactstore, the unit with its system
#        user (packaging/debian/postinst), /etc/artifactstore/config.json as a conffile;
#      - artifactstore-dbgsym_V_ARCH.deb: the debug info under /usr/lib/debug/.build-id/;
#      - artifactstore-V-oci/: an OCI image layout of the server (scripts/package_oci_image.py),
#        read back with `skopeo inspect` when skopeo is installed;
#      - SHA256SUMS.
#
# Timestamps come from the last commit (SOURCE_DATE_EPOCH), files are in a fixed order and owned by
# root, so a rebuild of the same commit and binary gives the same OCI image digest (checked). The
# stripped binary's target is 60 MB (issue 22); the script prints whether it is met and fails only
# on a real error. Needs: objcopy, readelf, size, nm, ar (binutils), dpkg-deb and dpkg-shlibdeps
# (dpkg-dev), python3; skopeo optional.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=$ROOT/dist
BINARY=
while [ $# -gt 0 ]; do
    case "$1" in
        --out) OUT=$(realpath -m "$2"); shift 2 ;;
        --binary) BINARY=$(realpath "$2"); shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "error: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
for tool in objcopy readelf size nm ar dpkg-deb dpkg-shlibdeps python3 sha256sum; do
    command -v "$tool" >/dev/null 2>&1 || { echo "error: $tool is missing (apt-get install binutils dpkg-dev python3)" >&2; exit 1; }
done
# Replaced whole, so only an empty folder or an earlier output of this script (it has SHA256SUMS).
if [ -e "$OUT" ] && [ -n "$(ls -A "$OUT" 2>/dev/null)" ] && [ ! -f "$OUT/SHA256SUMS" ]; then
    echo "error: $OUT is not empty and not an earlier output of this script; pass another --out" >&2
    exit 2
fi
TARGET_BYTES=60000000
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}

# --- 1. the release binary ----------------------------------------------------------------------
# SIZE_FLAGS let the linker drop the functions nothing calls, in every module and dependency,
# without changing the code of any function that stays (docs/operations.md, "Installing without
# Swift", "Size"; SwiftPM already links release executables with --gc-sections):
#   -internalize-at-link   Swift marks each public function "used" (ELF's SHF_GNU_RETAIN), and a
#                          retained section survives --gc-sections even when nothing refers to it;
#                          with this flag it is not marked, as suits a program linked whole (a static
#                          executable that exports no symbol: Package.swift's --no-export-dynamic);
#   -function-sections     each internal Swift function in a section of its own, so it goes alone;
#   -ffunction-sections -fdata-sections   the same for the C code (two BoringSSL copies, SQLite, ...).
# They are command-line flags because SwiftPM gives a package's unsafeFlags to its own targets only,
# never to its dependencies. So this build differs from `swift run -c release` by these flags, and a
# plain `swift build -c release` in the same checkout after this script (or the reverse) compiles
# every module again.
SIZE_FLAGS=(-Xswiftc -Xfrontend -Xswiftc -internalize-at-link -Xswiftc -Xfrontend -Xswiftc -function-sections
    -Xcc -ffunction-sections -Xcc -fdata-sections)
if [ -z "$BINARY" ]; then
    echo "== swift build -c release --product artifactstore ${SIZE_FLAGS[*]}"
    start=$(date +%s)
    # SWIFT_BUILD_FLAGS: extra flags for both swift build calls (e.g. --ignore-lock).
    # shellcheck disable=SC2086
    swift build -c release --product artifactstore ${SWIFT_BUILD_FLAGS:-} "${SIZE_FLAGS[@]}"
    echo "   built in $(( $(date +%s) - start )) s"
    # shellcheck disable=SC2086
    BINARY=$(swift build -c release --show-bin-path ${SWIFT_BUILD_FLAGS:-} "${SIZE_FLAGS[@]}")/artifactstore
fi
[ -x "$BINARY" ] || { echo "error: $BINARY is not an executable" >&2; exit 1; }

# --- 2. libraries, strip, sizes -----------------------------------------------------------------
echo "== shared libraries the binary needs (ldd $BINARY)"
ldd "$BINARY" | sed 's/^/   /'
# The Swift runtime and Foundation must be linked in (Package.swift's release settings); a library
# that is missing here is an error too.
if ldd "$BINARY" | grep -E 'libswift|libFoundation|lib_Foundation|libdispatch|libBlocksRuntime|not found'; then
    echo "error: the binary needs a Swift library (above): it was not built with Package.swift's release settings" >&2
    exit 1
fi
# Anything beyond glibc, the C++ runtime, libgcc and zlib is named: the .deb depends on its
# package (dpkg-shlibdeps) and the OCI image carries it.
EXTRA=$(ldd "$BINARY" | awk '$1 ~ /^lib/ {print $1}' \
    | grep -vE '^lib(c|m|dl|pthread|rt|util|resolv|stdc\+\+|gcc_s|z)\.so' | tr '\n' ' ' || true)
[ -z "$EXTRA" ] || echo "   beyond glibc, the C++ runtime and zlib, it needs: $EXTRA"

# ICU's data table: the filtered one of CArtifactICUData (scripts/icu_data.py), made from this
# toolchain's table, and not the toolchain's 34 MB one.
python3 scripts/icu_data.py --check | sed 's/^/   ICU data: /'
ICU_FILE=$(ls Sources/Client/CArtifactICUData/icudt*l-filtered.dat)
ICU_HEX=$(nm -S --defined-only "$BINARY" 2>/dev/null | awk '$4 ~ /^icudt[0-9]+_dat$/ {print $2}' || true)
ICU_LINKED=$(( 16#${ICU_HEX:-0} ))
if [ "$ICU_LINKED" -lt "$(stat -c %s "$ICU_FILE")" ] || [ "$ICU_LINKED" -gt $(( $(stat -c %s "$ICU_FILE") + 16 )) ]; then
    echo "error: the binary's ICU data table is $ICU_LINKED bytes, not $ICU_FILE: it was not built with Package.swift's release settings" >&2
    exit 1
fi
echo "   ICU data linked: $ICU_LINKED bytes (CArtifactICUData)"

STAGE=$(mktemp -d "${TMPDIR:-/tmp}/artifactstore-package.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
STRIPPED=$STAGE/artifactstore
DEBUG=$STAGE/artifactstore.debug
objcopy --only-keep-debug --compress-debug-sections=zlib "$BINARY" "$DEBUG"
objcopy --strip-all "$BINARY" "$STRIPPED"
( cd "$STAGE" && objcopy --add-gnu-debuglink=artifactstore.debug artifactstore )
chmod 0755 "$STRIPPED"
chmod 0644 "$DEBUG"
BUILD_ID=$(readelf -n "$STRIPPED" | awk '/Build ID:/ {print $3}')
VERSION=$("$STRIPPED" --version)
[[ "$VERSION" =~ ^[0-9][0-9A-Za-z.+~-]*$ ]] || { echo "error: '$VERSION' (artifactstore --version) is no package version" >&2; exit 1; }
ARCH=$(dpkg --print-architecture)

bytes() { stat -c %s "$1"; }
human() { python3 -c "import sys; n = int(sys.argv[1]); print(f'{n:,} bytes ({n / 1e6:.1f} MB, {n / 2**20:.1f} MiB)')" "$1"; }
echo "== artifactstore $VERSION ($ARCH, build id ${BUILD_ID:-none})"
echo "   as built:                 $(human "$(bytes "$BINARY")")"
echo "   stripped:                 $(human "$(bytes "$STRIPPED")")"
echo "   debug info (compressed):  $(human "$(bytes "$DEBUG")")"
echo "   largest sections of the stripped binary (size -A):"
size -A "$STRIPPED" | awk 'NR > 2 && $2 > 0 {printf "     %-28s %12d\n", $1, $2}' | sort -k2 -n -r | head -12
if [ "$(bytes "$STRIPPED")" -le "$TARGET_BYTES" ]; then
    echo "   target: stripped binary <= 60 MB: met"
else
    echo "   target: stripped binary <= 60 MB: NOT met (docs/operations.md, \"Installing without Swift\", says what takes the space)"
fi

rm -rf "$OUT"
mkdir -p "$OUT"

# --- 3a. the release tarball and the debug file ---------------------------------------------------
NAME=artifactstore-$VERSION-linux-$ARCH
TREE=$STAGE/tar/$NAME
install -D -m 0755 "$STRIPPED" "$TREE/bin/artifactstore"
install -D -m 0644 packaging/artifactstore.service "$TREE/share/artifactstore/artifactstore.service"
install -D -m 0644 packaging/config.json "$TREE/share/artifactstore/config.json"
install -D -m 0644 README.md "$TREE/README.md"
install -D -m 0644 docs/operations.md "$TREE/docs/operations.md"
tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner -C "$STAGE/tar" -cf - "$NAME" \
    | gzip -9n >"$OUT/$NAME.tar.gz"
install -m 0644 "$DEBUG" "$OUT/$NAME.debug"
touch -d "@$SOURCE_DATE_EPOCH" "$OUT/$NAME.debug"

# --- 3b. the Debian packages ------------------------------------------------------------------------
DEB=$STAGE/deb
install -D -m 0755 "$STRIPPED" "$DEB/usr/bin/artifactstore"
install -D -m 0644 packaging/artifactstore.service "$DEB/lib/systemd/system/artifactstore.service"
# 0640; postinst gives it to the group artifactstore (it may hold a database password).
install -D -m 0640 packaging/config.json "$DEB/etc/artifactstore/config.json"
install -D -m 0644 README.md "$DEB/usr/share/doc/artifactstore/README.md"
install -D -m 0644 docs/operations.md "$DEB/usr/share/doc/artifactstore/operations.md"
install -d -m 0755 "$DEB/DEBIAN"
for script in postinst prerm postrm; do
    install -m 0755 "packaging/debian/$script" "$DEB/DEBIAN/$script"
done
echo /etc/artifactstore/config.json >"$DEB/DEBIAN/conffiles"
# The library packages and versions the binary needs, as dpkg-shlibdeps reads them from its symbols.
mkdir -p "$STAGE/shlibs/debian"
printf 'Source: artifactstore\n\nPackage: artifactstore\nArchitecture: any\n' >"$STAGE/shlibs/debian/control"
SHLIBS=$(cd "$STAGE/shlibs" && dpkg-shlibdeps -O -e"$DEB/usr/bin/artifactstore" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$SHLIBS" ] || { echo "error: dpkg-shlibdeps found no library dependencies" >&2; exit 1; }
# Packed relative relocations (DT_RELR) need glibc 2.36's loader; dpkg-shlibdeps does not see that.
if readelf -V "$STRIPPED" | grep -q GLIBC_ABI_DT_RELR; then
    SHLIBS=$(echo "$SHLIBS" | sed -E 's/libc6 \(>= 2\.([0-9]|[0-2][0-9]|3[0-5])(\.[0-9]+)?\)/libc6 (>= 2.36)/')
fi
( cd "$DEB" && find usr lib etc -type f ! -path 'etc/*' -print0 | sort -z | xargs -0 md5sum >DEBIAN/md5sums )
cat >"$DEB/DEBIAN/control" <<EOF
Package: artifactstore
Version: $VERSION
Architecture: $ARCH
Maintainer: ArtifactStore maintainers <artifactstore@localhost>
Installed-Size: $(du -sk --exclude=DEBIAN "$DEB" | cut -f1)
Depends: $SHLIBS, adduser
Section: net
Priority: optional
Description: self-hosted content-addressed artifact store (server and CLI)
 ArtifactStore stores build artifacts by their BLAKE3 digest: an HTTP API, an
 OCI registry (/v2), garbage collection and an audit log. This package holds
 the artifactstore binary (server and command-line client) and a hardened
 systemd unit running "artifactstore serve" as the system user artifactstore
 with its data in /var/lib/artifactstore. See
 /usr/share/doc/artifactstore/operations.md.
EOF
dpkg-deb --root-owner-group -Zxz --build "$DEB" "$OUT/artifactstore_${VERSION}_$ARCH.deb" >/dev/null

if [ -n "$BUILD_ID" ]; then
    DBG=$STAGE/dbgsym
    install -D -m 0644 "$DEBUG" "$DBG/usr/lib/debug/.build-id/${BUILD_ID:0:2}/${BUILD_ID:2}.debug"
    install -d -m 0755 "$DBG/DEBIAN"
    ( cd "$DBG" && find usr -type f -print0 | sort -z | xargs -0 md5sum >DEBIAN/md5sums )
    cat >"$DBG/DEBIAN/control" <<EOF
Package: artifactstore-dbgsym
Version: $VERSION
Architecture: $ARCH
Maintainer: ArtifactStore maintainers <artifactstore@localhost>
Installed-Size: $(du -sk --exclude=DEBIAN "$DBG" | cut -f1)
Depends: artifactstore (= $VERSION)
Section: debug
Priority: optional
Build-Ids: $BUILD_ID
Description: debug symbols for artifactstore
 The debug info and symbol table stripped from /usr/bin/artifactstore, found by
 gdb and the Swift backtracer through the binary's build id.
EOF
    dpkg-deb --root-owner-group -Zxz --build "$DBG" "$OUT/artifactstore-dbgsym_${VERSION}_$ARCH.deb" >/dev/null
fi

# --- 3c. the OCI image layout -----------------------------------------------------------------------
OCI=$OUT/artifactstore-$VERSION-oci
MANIFEST=$(python3 scripts/package_oci_image.py "$OCI" --binary "$STRIPPED" --version "$VERSION" --created "$SOURCE_DATE_EPOCH")
if command -v skopeo >/dev/null 2>&1; then
    skopeo inspect "oci:$OCI:$VERSION" >"$STAGE/inspect.json"
    python3 - "$STAGE/inspect.json" "$MANIFEST" <<'PY'
import json, sys
inspect = json.load(open(sys.argv[1]))
assert inspect["Digest"] == sys.argv[2], f"skopeo reads {inspect['Digest']}, written {sys.argv[2]}"
print(f"   skopeo inspect: {inspect['Digest']}, {inspect['Os']}/{inspect['Architecture']}, {len(inspect['Layers'])} layer")
PY
fi

( cd "$OUT" && find . -maxdepth 1 -type f ! -name SHA256SUMS -printf '%P\n' | sort | xargs sha256sum >SHA256SUMS )
echo "== $OUT"
( cd "$OUT" && for file in *; do
    [ -d "$file" ] && printf '   %-48s %s\n' "$file/" "$(du -sh "$file" | cut -f1) (image $MANIFEST)" \
        || printf '   %-48s %s\n' "$file" "$(du -h "$file" | cut -f1)"
  done )
