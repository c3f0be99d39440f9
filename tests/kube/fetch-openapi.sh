#!/usr/bin/env bash
# Puts the Kubernetes v1.13 OpenAPI (swagger 2.0) document at DEST_DIR/swagger.json.
#
# The document ships as test data in Debian's golang-k8s-kube-openapi-dev.
# Installing that package would pull in the whole Go toolchain, so we only
# download the .deb and unpack it into a temporary directory.
# Idempotent: does nothing when DEST_DIR/swagger.json already exists.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 DEST_DIR" >&2
  exit 2
fi
dest=$1
if [ -s "$dest/swagger.json" ]; then
  exit 0
fi

pkg=golang-k8s-kube-openapi-dev
member=usr/share/gocode/src/k8s.io/kube-openapi/pkg/schemaconv/testdata/swagger.json

fail() {
  echo "fetch-openapi: $*" >&2
  exit 1
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# apt-get download drops privileges to _apt; let it write here (no warning).
chmod 755 "$tmp"

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

# Try the existing package lists first; refresh them only if that fails
# (stale lists name a .deb version the mirror no longer has).
if ! (cd "$tmp" && apt-get download -qq "$pkg" >/dev/null 2>"$tmp/err"); then
  $SUDO apt-get update -qq || fail "apt-get update failed"
  (cd "$tmp" && apt-get download -qq "$pkg" >/dev/null 2>"$tmp/err") ||
    fail "apt-get download $pkg failed: $(cat "$tmp/err")"
fi

debs=("$tmp"/"$pkg"_*.deb)
[ -f "${debs[0]}" ] || fail "apt-get download left no $pkg .deb in $tmp"
dpkg-deb -x "${debs[0]}" "$tmp/root" || fail "dpkg-deb -x ${debs[0]} failed"
[ -s "$tmp/root/$member" ] || fail "${debs[0]##*/} has no /$member"

mkdir -p "$dest"
# Copy then rename, so an interrupted run never leaves a partial swagger.json
# that the idempotence check above would accept.
cp "$tmp/root/$member" "$dest/swagger.json.tmp"
mv "$dest/swagger.json.tmp" "$dest/swagger.json"
echo "fetch-openapi: $dest/swagger.json from ${debs[0]##*/}"
