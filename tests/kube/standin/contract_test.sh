#!/usr/bin/env bash
# contract.kubernetes_standin: puts the Kubernetes v1.13 OpenAPI and Debian's
# kubectl 1.20 in CACHE_DIR (once), then proves the stand-in API server
# against kubectl and python3-kubernetes (standin_test.sh).
#   contract_test.sh CACHE_DIR
set -euo pipefail
cache=$1
here=$(cd "$(dirname "$0")" && pwd)
"$here/../fetch-openapi.sh" "$cache"
"$here/fetch-kubectl.sh" "$cache/kubectl-1.20"
KUBECTL="$cache/kubectl-1.20/kubectl" exec "$here/standin_test.sh" "$cache/swagger.json"
