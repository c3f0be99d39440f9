#!/usr/bin/env bash
# contract.kubernetes_runtime: ORSA's Kubernetes runtime adapter driven
# against the API server stand-in (tests/kube/standin), over TLS verified
# against the stand-in's CA and a bearer token, from a kubeconfig. The
# stand-in validates every object strictly against the Kubernetes OpenAPI
# and simulates the controllers; nothing runs. Not a test on Kubernetes.
#   runtime_contract_test.sh TEST_BINARY CACHE_DIR
set -euo pipefail
binary=$1
cache=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/standin.sh"
work=$(mktemp -d)
STANDIN_PID=""

cleanup() {
  [ -z "$STANDIN_PID" ] || { kill "$STANDIN_PID" 2>/dev/null || true; wait "$STANDIN_PID" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "runtime_contract_test: FAIL: $*" >&2
  [ -f "$work/standin.log" ] && tail -n 30 "$work/standin.log" >&2
  exit 1
}

"$here/fetch-openapi.sh" "$cache"
# Simulated Jobs take 5 s: long enough for a caller to stop one first.
standin_start "$work" "$cache" --verbose --job-seconds 5 || fail "the stand-in did not start"
standin_create_namespace || fail "could not create the namespace"
ORSA_TEST_KUBECONFIG=$STANDIN_KUBECONFIG "$binary" || fail "the adapter's contract tests failed"
