#!/usr/bin/env bash
# Puts Debian's kubectl 1.20 (package kubernetes-client), the kubectl the
# stand-in's contract test is stated for, at DEST_DIR/kubectl.
#
# Taken from the downloaded .deb, not installed (fetch-deb-file.sh): the
# machine's /usr/bin/kubectl may belong to another package (Google Cloud
# SDK's "kubectl", a dispatcher to kubectl 1.27 to 1.33) that
# kubernetes-client would conflict with. Idempotent.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 DEST_DIR" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/../fetch-deb-file.sh" kubernetes-client usr/bin/kubectl "$1/kubectl"
