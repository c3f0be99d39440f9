#!/usr/bin/env bash
# Puts Debian's kubectl 1.20 (package kubernetes-client), the kubectl the
# stand-in's contract test is stated for, at DEST_DIR/kubectl.
#
# The .deb is downloaded and unpacked, not installed: the machine's
# /usr/bin/kubectl may belong to another package (Google Cloud SDK's
# "kubectl", a dispatcher to kubectl 1.27 to 1.33) that kubernetes-client
# would conflict with. Idempotent: does nothing when DEST_DIR/kubectl exists.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 DEST_DIR" >&2
  exit 2
fi
dest=$1
if [ -x "$dest/kubectl" ]; then
  exit 0
fi

package=kubernetes-client
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"  # apt-get download writes as the _apt user

download() { (cd "$tmp" && apt-get download -qq "$package" >/dev/null 2>"$tmp/apt.err"); }
# Package lists can be stale (naming a version the mirror dropped): refresh once.
if ! download; then
  apt-get update -qq || { echo "fetch-kubectl: apt-get update failed" >&2; exit 1; }
  download || { echo "fetch-kubectl: apt-get download $package failed: $(cat "$tmp/apt.err")" >&2; exit 1; }
fi
dpkg-deb -x "$tmp/$package"_*.deb "$tmp/root"
mkdir -p "$dest"
# Copy then rename: an interrupted run never leaves a kubectl the check above takes.
cp "$tmp/root/usr/bin/kubectl" "$dest/kubectl.tmp"
mv "$dest/kubectl.tmp" "$dest/kubectl"
echo "fetch-kubectl: $dest/kubectl from $(basename "$tmp/$package"_*.deb)"
