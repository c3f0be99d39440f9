#!/usr/bin/env bash
# Puts one file of a Debian package at DEST, without installing the package
# (which may pull in a toolchain, or conflict with another package): the
# .deb is downloaded with apt-get and unpacked into a temporary directory.
# Idempotent: does nothing when DEST exists and is not empty.
#   fetch-deb-file.sh PACKAGE MEMBER DEST   (MEMBER: its path in the package)
set -euo pipefail

if [ $# -ne 3 ]; then
  echo "usage: $0 PACKAGE MEMBER DEST" >&2
  exit 2
fi
pkg=$1 member=${2#/} dest=$3
[ -s "$dest" ] && exit 0

fail() {
  echo "fetch-deb-file: $*" >&2
  exit 1
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"  # apt-get download drops privileges to _apt; let it write here
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

download() { (cd "$tmp" && apt-get download -qq "$pkg" >/dev/null 2>"$tmp/err"); }
# Try the existing package lists first; refresh them only if that fails
# (stale lists name a .deb version the mirror no longer has).
if ! download; then
  $SUDO apt-get update -qq || fail "apt-get update failed"
  download || fail "apt-get download $pkg failed: $(cat "$tmp/err")"
fi

debs=("$tmp"/"$pkg"_*.deb)
[ -f "${debs[0]}" ] || fail "apt-get download left no $pkg .deb in $tmp"
dpkg-deb -x "${debs[0]}" "$tmp/root" || fail "dpkg-deb -x ${debs[0]} failed"
[ -s "$tmp/root/$member" ] || fail "${debs[0]##*/} has no /$member"

mkdir -p "$(dirname "$dest")"
# Copy then rename, so an interrupted run never leaves a partial file that
# the idempotence check above would accept.
cp -p "$tmp/root/$member" "$dest.tmp"
mv "$dest.tmp" "$dest"
echo "fetch-deb-file: $dest from ${debs[0]##*/}"
