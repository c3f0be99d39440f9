#!/usr/bin/env bash
# OCI distribution-spec v1.1 conformance of the embedded registry: starts a
# real orsa-deployer (no container runtime needed) on loopback with its own
# data dir and runs registry_conformance_test.py against it.
# Usage: registry_conformance_test.sh /path/to/orsa-deployer
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/deployer.sh
source "$here/lib/deployer.sh"

work=$(mktemp -d /tmp/orsa-conformance.XXXXXX)
cleanup() {
  stop_deployer
  rm -rf "$work"
}
trap cleanup EXIT

start_deployer "$1" "$work" --no-runtime
status=0
/usr/bin/python3 "$here/registry_conformance_test.py" "$URL" || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- deployer log ---"
  cat "$work/deployer.log"
fi
exit "$status"
