#!/usr/bin/env bash
# Contract test of ORSA's Kubernetes objects (no cluster is involved): the
# objects orsa_kube_objects_dump prints are validated strictly against the
# Kubernetes OpenAPI definitions and the official Python client's models,
# after the validator has shown it rejects broken objects.
# Usage: contract_test.sh OBJECTS_DUMP_BINARY OPENAPI_CACHE_DIR
set -euo pipefail
dump=$1
cache=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$here/fetch-openapi.sh" "$cache"
# Debian's python sees Debian's python3-jsonschema and python3-kubernetes.
/usr/bin/python3 "$here/validate_objects_selftest.py" --openapi "$cache/swagger.json"
"$dump" > "$work/objects.json"
count=$(/usr/bin/python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["items"]))' \
  "$work/objects.json")
/usr/bin/python3 "$here/validate_objects.py" --openapi "$cache/swagger.json" "$work/objects.json"
echo "contract.kubernetes_objects: $count objects valid against the Kubernetes v1.13 schema and the client's models"
