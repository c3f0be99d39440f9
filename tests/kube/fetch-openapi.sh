#!/usr/bin/env bash
# Puts the Kubernetes v1.13 OpenAPI (swagger 2.0) document at DEST_DIR/swagger.json.
#
# The document ships as test data in Debian's golang-k8s-kube-openapi-dev.
# Installing that package would pull in the whole Go toolchain, so only the
# file is taken from the downloaded .deb (fetch-deb-file.sh).
# Idempotent: does nothing when DEST_DIR/swagger.json already exists.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 DEST_DIR" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/fetch-deb-file.sh" golang-k8s-kube-openapi-dev \
  usr/share/gocode/src/k8s.io/kube-openapi/pkg/schemaconv/testdata/swagger.json "$1/swagger.json"
