#!/usr/bin/env bash
# integration.ha.two_instances: two orsa-deployer processes serve one ORSA
# (ADR 0019): one real PostgreSQL (the `postgres` fixture), one shared
# directory (--shared-dir: repositories, registry, keys, build logs, run
# data), one podman service both use as their runtime. A client alternates
# between them. Checks, each bounded in time:
#   - what one instance writes the other serves (a session, a project, the
#     base image pushed to one registry and pulled through the other);
#   - a build whose instance is killed -9 mid-build is finished by the other
#     (queued again once): one build, succeeded, one image;
#   - a deployment asked of the instance that does not lead is rolled out by
#     the leader; the leader killed -9 mid-rollout, the other takes the lease
#     and finishes it: healthy, exactly one container, both gateways serve it;
#   - no row is lost or doubled.
# A build of the starter takes well under a second, too short to kill an
# instance in the middle of: the instances run the real orsa-builder behind
# a wrapper that waits 4 s first.
#   two_instances_test.sh DEPLOYER BUILDER POSTGRES_URL_FILE SOURCE_DIR BASE_LAYOUT_DIR
set -euo pipefail
DEPLOYER=$1 BUILDER=$2 URL_FILE=$3 SRC=$4 BASE=$5
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/deployer.sh"
. "$here/../lib/podman.sh"
. "$here/../lib/base_python_or.sh"

admin_url=$(cat "$URL_FILE")
db=orsa_ha2_$$_$RANDOM
work=$(mktemp -d /tmp/orsa-ha2-XXXXXX)
pid_a="" pid_b="" service_pid=""
cleanup() {
  local rc=$?
  for pid in $pid_a $pid_b; do kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  if [ -n "$service_pid" ]; then
    pod rm -f -a -t 0 >/dev/null 2>&1 || true
    for net in $(pod network ls -q --filter label=orsa.managed=true 2>/dev/null); do
      pod network rm -f "$net" >/dev/null 2>&1 || true
    done
    kill "$service_pid" 2>/dev/null || true
    wait "$service_pid" 2>/dev/null || true
  fi
  psql -q "$admin_url" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
  unmount_under "$work"
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for node in a b; do
    echo "--- node $node" >&2
    tail -n 30 "$work/$node/deployer.log" >&2 2>/dev/null || true
  done
  exit 1
}
step() { echo "--- $*"; }
ms() { date +%s%3N; }

step "one database, one shared directory, one podman service"
psql -q "$admin_url" -c "CREATE DATABASE $db" >/dev/null
database=${admin_url%/*}/$db
shared=$work/shared
mkdir -p "$shared"
podman_setup "$work/podman" "127.0.0.1"
# Its networks in a directory of its own, never beside another test's, and
# on subnets no other test's podman picks (they use 10.88 and 10.89).
printf '[network]\nnetwork_config_dir = "%s"\n%s\n' "$work/podman/networks" \
  'default_subnet_pools = [{"base" = "10.213.0.0/16", "size" = 24}]' >>"$work/podman/containers.conf"
mkdir -p "$work/podman/networks"
socket=$work/podman/podman.sock
pod system service --time=0 "unix://$socket" >"$work/podman/service.log" 2>&1 &
service_pid=$!
for _ in $(seq 1 100); do [ -S "$socket" ] && break; sleep 0.1; done
[ -S "$socket" ] || fail "podman service did not start: $(cat "$work/podman/service.log")"

printf '#!/bin/sh\nsleep 4\nexec %s "$@"\n' "$BUILDER" >"$work/slow-builder"
chmod +x "$work/slow-builder"

export ORSA_ADMIN_PASSWORD=admin-password-for-ha
start() {  # node → starts orsa-deployer "node-<node>"
  mkdir -p "$work/$1"
  start_deployer "$DEPLOYER" "$work/$1" --database "$database" --instance-id "node-$1" \
    --shared-dir "$shared" --runtime-socket "$socket" --base-image orsa/base-python-or:latest \
    --health-timeout 60s --builder-bin "$work/slow-builder" || fail "node $1 did not start"
  eval "pid_$1=$DEPLOYER_PID url_$1=$URL services_$1=$SERVICES_URL host_$1=$HOSTPORT"
}
on() {  # node → makes it the one the next calls go to
  eval "URL=\$url_$1 HOSTPORT=\$host_$1 SERVICES_URL=\$services_$1"
}
kill_node() {  # node
  local pid
  eval "pid=\$pid_$1"
  kill -9 "$pid"
  wait "$pid" 2>/dev/null || true
  eval "pid_$1="
}
leads() {  # node → 1 when it holds the lease
  local url
  eval "url=\$url_$1"
  curl -sS -m 5 "$url/metrics" -H "Authorization: Bearer $admin" 2>/dev/null |
    sed -n "s/^orsa_leader{instance=\"node-$1\"} //p"
}
# Checks wait_for repeats: each reads afresh.
is_leader() { [ "$(leads "$1")" = 1 ]; }
build_status() { field "/api/v1/builds/$build" "$alice" 'd["status"]'; }
build_is() { [ "$(build_status)" = "$1" ]; }
build_ended() {
  case $(build_status) in succeeded | failed | canceled) return 0 ;; esac
  return 1
}
containers() { pod ps -a -q --filter "label=orsa.deployment=$dep" | wc -l; }
containers_are() { [ "$(containers)" = "$1" ]; }
wait_for() {  # seconds what command... → waits until the command succeeds
  local seconds=$1 what=$2 started
  shift 2
  started=$(ms)
  until "$@"; do
    [ $(($(ms) - started)) -lt $((seconds * 1000)) ] || fail "no $what within $seconds s"
    sleep 0.2
  done
  echo "$what after $(($(ms) - started)) ms"
}
field() {  # path token python-expression → the field of a GET
  api GET "$1" "$2" | json_get "$3"
}

start a
start b
on a
admin=$(curl -sSf "$URL/api/v1/auth/login" -H 'Content-Type: application/json' \
  -d "{\"login\":\"admin\",\"password\":\"$ORSA_ADMIN_PASSWORD\"}" | json_get 'd["token"]')
wait_for 20 "node a leading" is_leader a
[ "$(leads b)" = 0 ] || fail "node b leads too"

step "what one instance writes, the other serves"
import_base_python_or "$BASE" || fail "the base image into node a's registry"
on b
alice=$(register alice)
on a
api POST /api/v1/projects "$alice" '{"name":"knapsack"}' >/dev/null
on b
[ "$(field /api/v1/projects/alice/knapsack "$alice" 'd["name"]')" = knapsack ] ||
  fail "node b does not see the project node a made, with the session node b issued"
skopeo inspect --tls-verify=false --creds "admin:$ORSA_ADMIN_PASSWORD" \
  "docker://$HOSTPORT/orsa/base-python-or:latest" >/dev/null ||
  fail "node b's registry lacks the base image pushed to node a's"

step "kill -9 of the instance building: the other finishes the build"
on a
build=$(api POST /api/v1/projects/alice/knapsack/builds "$alice" '{}' | json_get 'd["id"]')
[ -n "$build" ] || fail "no build id"
wait_for 120 "the build running on node a" build_is running
kill_node a
killed=$(ms)
on b
wait_for 240 "the build finished by node b" build_ended
status=$(build_status)
[ "$status" = succeeded ] || {
  api GET "/api/v1/builds/$build/logs" "$alice"
  fail "the build is $status"
}
echo "build taken over and finished $(($(ms) - killed)) ms after the kill"
api GET "/api/v1/builds/$build/logs" "$alice" | grep -q "queued again: instance node-a stopped" ||
  fail "the build's log does not say it was taken over"
image=$(field "/api/v1/builds/$build" "$alice" 'd["image_id"]')
builds=$(field "/api/v1/projects/alice/knapsack/builds" "$alice" 'len(d["builds"])')
images=$(field "/api/v1/projects/alice/knapsack/images" "$alice" 'len(d["images"])')
[ "$builds" = 1 ] && [ "$images" = 1 ] || fail "$builds builds and $images images, not one of each"

step "node a back; a deployment asked of the follower is rolled out by the leader"
start a
wait_for 30 "node b leading" is_leader b
[ "$(leads a)" = 0 ] || fail "node a took the lease back"
on a
dep=$(api POST /api/v1/deployments "$alice" "{\"image_id\":\"$image\"}" | json_get 'd["id"]')
[ -n "$dep" ] || fail "no deployment id"
wait_for 60 "the leader's container for it" containers_are 1

step "kill -9 of the leader mid-rollout: the other leads and finishes it"
status=$(field "/api/v1/deployments/$dep" "$alice" 'd["status"]')
echo "the deployment is $status when node b is killed"
case $status in pending | pulling | starting) ;; *) fail "the rollout ended before the kill: $status" ;; esac
kill_node b
killed=$(ms)
status=$(wait_deployment "$alice" "$dep" healthy failed crashloop)
[ "$status" = healthy ] || fail "the deployment is $status: $(api GET "/api/v1/deployments/$dep" "$alice")"
echo "healthy $(($(ms) - killed)) ms after the leader's kill"
[ "$(leads a)" = 1 ] || fail "node a does not lead"
wait_for 60 "one container for the deployment" containers_are 1

step "both gateways serve it"
start b
solve() {  # services-url → "CODE BODY"
  curl -sS -o "$work/solve.out" -w '%{http_code}' -X POST "$1/alice/knapsack/solve" \
    -H "Authorization: Bearer $alice" -H 'Content-Type: application/json' \
    --data-binary @"$SRC/templates/python-flask/starter/input.json"
  echo " $(cat "$work/solve.out")"
}
serves() { [ "$(solve "$1" | cut -d' ' -f1)" = 200 ]; }
for node in a b; do
  eval "services=\$services_$node"
  # A gateway learns the route from the rows on its instance's next pass.
  wait_for 30 "node $node's gateway serving" serves "$services"
  answer=$(solve "$services")
  [ "${answer%% *}" = 200 ] || fail "node $node's gateway: $answer"
  [ "$(cut -d' ' -f2- <<<"$answer" | json_get 'd["objective"]')" = 15.0 ] ||
    fail "node $node: wrong optimum: $answer"
done

step "no row lost or doubled"
rows() { psql -tA "$database" -c "$1"; }
[ "$(rows "SELECT count(*) FROM builds")" = 1 ] || fail "builds: $(rows "SELECT id, status FROM builds")"
[ "$(rows "SELECT count(*) FROM images")" = 1 ] || fail "images: $(rows "SELECT id FROM images")"
[ "$(rows "SELECT count(*) FROM deployments")" = 1 ] || fail "deployments: $(rows "SELECT id FROM deployments")"
[ "$(rows "SELECT attempts FROM builds")" = 2 ] ||
  fail "the build started $(rows "SELECT attempts FROM builds") times, not twice"
[ "$(containers)" = 1 ] || fail "$(containers) containers for the deployment"
echo "PASS: two instances, one killed mid-build and one mid-rollout; every build and deployment finished once"
