#!/usr/bin/env bash
# integration.ha.leader: two orsa-deployer processes on one real PostgreSQL
# (the `postgres` fixture) elect one leader through the lease table (ADR
# 0019). Checks, each bounded in time: exactly one instance leads; after a
# kill -9 of the leader the other leads once the lease runs out (within its
# 15 s, renewed every 5 s); the killed instance restarted with its id does not
# take it back; a clean stop hands the lease over at once.
#   leader_test.sh DEPLOYER POSTGRES_URL_FILE
set -euo pipefail
DEPLOYER=$1 URL_FILE=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/deployer.sh"

admin_url=$(cat "$URL_FILE")
db=orsa_ha_$$_$RANDOM
work=$(mktemp -d /tmp/orsa-ha-XXXXXX)
pid_a="" pid_b=""
cleanup() {
  local rc=$?
  for pid in $pid_a $pid_b; do kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  psql -q "$admin_url" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for node in a b; do tail -n 20 "$work/$node/deployer.log" >&2 2>/dev/null || true; done
  exit 1
}
step() { echo "--- $*"; }
ms() { date +%s%3N; }

psql -q "$admin_url" -c "CREATE DATABASE $db" >/dev/null
database=${admin_url%/*}/$db
export ORSA_ADMIN_PASSWORD=admin-password-for-ha

start() {  # node → starts orsa-deployer "node-<node>" on the shared database
  mkdir -p "$work/$1"
  start_deployer "$DEPLOYER" "$work/$1" --database "$database" --instance-id "node-$1" \
    --no-runtime || fail "node $1 did not start"
  eval "pid_$1=$DEPLOYER_PID url_$1=$URL"
  local token
  token=$(curl -sSf "$URL/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d "{\"login\":\"admin\",\"password\":\"$ORSA_ADMIN_PASSWORD\"}" | json_get 'd["token"]')
  eval "token_$1=$token"
}
leads() {  # node → 1 when it holds the lease, 0 when not, "" when it does not answer
  local url token
  eval "url=\$url_$1 token=\$token_$1"
  curl -sS -m 5 "$url/metrics" -H "Authorization: Bearer $token" 2>/dev/null |
    sed -n "s/^orsa_leader{instance=\"node-$1\"} //p"
}
wait_leader() {  # node seconds → waits until it leads; prints the ms it took
  local started
  started=$(ms)
  while [ $(($(ms) - started)) -lt $(($2 * 1000)) ]; do
    [ "$(leads "$1")" = 1 ] && { echo $(($(ms) - started)); return 0; }
    sleep 0.2
  done
  return 1
}

step "two instances on one database: the first leads, the second does not"
start a
start b
wait_leader a 10 >/dev/null || fail "node a does not lead"
[ "$(leads b)" = 0 ] || fail "node b leads too: $(leads b)"

step "kill -9 of the leader: the other leads once the lease runs out"
kill -9 "$pid_a"
wait "$pid_a" 2>/dev/null || true
pid_a=""
took=$(wait_leader b 30) || fail "node b did not take over within 30 s"
echo "node b leads $took ms after the kill"
[ "$took" -le 21000 ] || fail "the takeover took $took ms, past the 15 s lease and a 5 s renewal"

step "node a back with its id: node b keeps the lease"
start a
sleep 6  # past one renewal of each
[ "$(leads a)" = 0 ] || fail "node a took the lease back"
[ "$(leads b)" = 1 ] || fail "node b lost the lease"

step "a clean stop of the leader hands the lease over at once"
kill "$pid_b"
wait "$pid_b" 2>/dev/null || true
pid_b=""
took=$(wait_leader a 10) || fail "node a did not lead after node b stopped"
echo "node a leads $took ms after node b stopped"
[ "$took" -le 6000 ] || fail "the handover took $took ms: the lease was not released"
echo "PASS: one leader of two instances, handed over on kill -9 and on stop"
