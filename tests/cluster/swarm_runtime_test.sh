#!/usr/bin/env bash
# integration.swarm: starts a real two-node Docker Swarm (lib/swarm.sh), an
# image in a registry both nodes pull from, and runs the Swarm adapter's
# tests (orsa_swarm_it) against it; everything is stopped and removed on
# exit, also when a test fails.
#   tests/cluster/swarm_runtime_test.sh build/debug/src/runtime/orsa_swarm_it
set -euo pipefail
binary=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/swarm.sh
. "$here/lib/swarm.sh"

[ "$(id -u)" = 0 ] || { echo "integration.swarm: needs root (dockerd, network namespaces)" >&2; exit 1; }
workdir=$(mktemp -d /tmp/orsa-swarm-it.XXXXXX)
# What this run made and must not outlive it: its interfaces, its network
# namespace, mounts under its work directory, processes started from it.
leftovers() {
  ip -o link show | grep -E "orsa$$[hnbg][@:]" || true
  ip netns list | grep -F "orsa-t$$-" || true
  grep -F "$workdir" /proc/mounts || true
  pgrep -af -- "$workdir" || true
}
cleanup() {
  local rc=$?
  swarm_down "$workdir"
  local left
  left=$(leftovers)
  rm -rf "$workdir"
  if [ -n "$left" ]; then
    echo "integration.swarm: the swarm left these behind:" >&2
    echo "$left" >&2
    rc=1
  fi
  exit "$rc"
}
trap cleanup EXIT

swarm_up "$workdir"
swarm_registry_up
swarm_busybox_image orsa-it/busybox:1

ORSA_SWARM_SOCK=$SWARM_N1_SOCK ORSA_SWARM_WORKER_SOCK=$SWARM_N2_SOCK \
  ORSA_SWARM_N1_ADDR=$SWARM_N1_ADDR ORSA_SWARM_N2_ADDR=$SWARM_N2_ADDR \
  ORSA_SWARM_IMAGE=$SWARM_BUSYBOX_IMAGE "$binary"
