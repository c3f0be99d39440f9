#!/usr/bin/env bash
# integration.cluster.swarm: the deployment journey on a real two-node Docker
# Swarm (lib/swarm.sh): orsa-deployer with --runtime swarm builds the
# starter, deploys it with 2 replicas (asked for in the request, under the
# admin's cap), one on each node, and the gateway spreads calls over both;
# node 2 is drained while a bounded client keeps making idempotent calls
# (none may fail); node 2 comes back, the deployment is stopped (scaled to
# zero) and started (a replica on each node again); node 2 is killed and the
# replica on node 1 answers every call; a run is a one-shot service whose
# task fetches its input from the jobs listener (ADR 0021) and uploads its
# result there, leaving no service, secret or network; orsa-deployer is
# killed -9 and restarted, adopts the service, and its collector scales the idle
# deployment to zero, which the next call wakes; deleting the deployment
# leaves no service. Everything the test started is stopped and removed on
# exit, also when it fails.
#   swarm_journey_test.sh DEPLOYER BUILDER SOURCE_DIR BASE_DIR
set -euo pipefail
DEPLOYER=$1 BUILDER=$2 SRC=$3 BASE_DIR=$4
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/deployer.sh"
. "$here/../lib/base_python_or.sh"
. "$here/../lib/cluster_runs.sh"
# shellcheck source=lib/swarm.sh
. "$here/lib/swarm.sh"

[ "$(id -u)" = 0 ] || { echo "integration.cluster.swarm: needs root" >&2; exit 1; }
[ -f "$BASE_DIR/recipe.sha256" ] || { echo "no python-or base in '$BASE_DIR'" >&2; exit 1; }
work=$(mktemp -d /tmp/orsa-cluster-XXXXXX)
cleanup() {
  local rc=$?
  stop_deployer
  swarm_down "$work/swarm"
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  tail -n 40 "$work/deployer.log" >&2 || true
  exit 1
}
step() { echo "--- $*"; }
ms() { date +%s%3N; }

step "a two-node swarm"
swarm_up "$work/swarm"

step "orsa-deployer on the swarm, listening where the nodes pull from"
export ORSA_ADMIN_PASSWORD=admin-password-for-cluster
FLAGS=(--runtime swarm --runtime-socket "$SWARM_N1_SOCK" --max-replicas 3
  --base-image orsa/base-python-or:latest --health-timeout 120s --builder-bin "$BUILDER"
  --jobs-listen "$SWARM_N1_ADDR:0")
ORSA_TEST_LISTEN_HOST=$SWARM_N1_ADDR start_deployer "$DEPLOYER" "$work" "${FLAGS[@]}" ||
  fail "deployer did not start"
import_base_python_or "$BASE_DIR" || fail "loading the python-or base"

alice=$(register alice)
api POST /api/v1/projects "$alice" '{"name":"knapsack"}' >/dev/null
image=$(build_head alice knapsack "$alice")

wait_status() { wait_deployment "$alice" "$@"; }  # deployment_id wanted... → final status
solve_status() {  # → the HTTP status of one call through the gateway
  curl -sS -o /dev/null -m 30 -w '%{http_code}' -X POST "$SERVICES_URL/alice/knapsack/solve" \
    -H "Authorization: Bearer $alice" -H 'Content-Type: application/json' \
    --data-binary @"$SRC/templates/python-flask/starter/input.json" || echo 000
}
info_status() {  # → the HTTP status of one idempotent call (GET /) through the gateway
  curl -sS -o /dev/null -m 30 -w '%{http_code}' "$SERVICES_URL/alice/knapsack/" \
    -H "Authorization: Bearer $alice" || echo 000
}
service_id() { swarm_n1 service ls -q --filter "label=orsa.deployment=$dep"; }
running_on() {  # node → running tasks of the service there
  swarm_n1 service ps -q --filter desired-state=running --filter "node=$1" "$(service_id)" |
    while read -r task; do
      [ "$(swarm_n1 inspect -f '{{.Status.State}}' "$task")" = running ] && echo "$task"
    done | wc -l
}
solves_by_node() {  # node hostname → access-log lines of /solve from replicas on it
  swarm_n1 service logs "$(service_id)" 2>/dev/null | grep -c "@$1 .*POST /solve" || true
}

step "replicas beyond the admin's cap are refused"
deploy_code() {  # replicas → the HTTP status of a deploy asking for them
  curl -sS -o /dev/null -w '%{http_code}' -X POST "$URL/api/v1/deployments" \
    -H "Authorization: Bearer $alice" -H 'Content-Type: application/json' \
    -d "{\"image_id\":\"$image\",\"replicas\":$1}"
}
[ "$(deploy_code 4)" = 400 ] || fail "4 replicas were accepted over a cap of 3"
[ "$(deploy_code 0)" = 400 ] || fail "0 replicas were accepted"
[ "$(api GET /api/v1/deployments "$alice" | json_get 'len(d["deployments"])')" = 0 ] ||
  fail "a refused deploy left a row"
[ -z "$(swarm_n1 service ls -q)" ] || fail "a refused deploy created a service"

step "deploy with 2 replicas"
started=$(ms)
dep=$(api POST /api/v1/deployments "$alice" "{\"image_id\":\"$image\",\"replicas\":2}" |
  json_get 'd["id"]')
[ "$(api GET "/api/v1/deployments/$dep" "$alice" | json_get 'd["replicas"]')" = 2 ] ||
  fail "the deployment does not record its 2 replicas"
status=$(wait_status "$dep" healthy failed)
[ "$status" = healthy ] || fail "the deployment is $status: $(api GET "/api/v1/deployments/$dep" "$alice")"
echo "deploy → healthy: $(($(ms) - started)) ms"
n1=$(swarm_n1 node inspect -f '{{.Description.Hostname}}' "$SWARM_N1_ID")
n2=$(swarm_n1 node inspect -f '{{.Description.Hostname}}' "$SWARM_N2_ID")
for node in "$n1" "$n2"; do
  for _ in $(seq 1 300); do [ "$(running_on "$node")" -ge 1 ] && break; sleep 0.2; done
  [ "$(running_on "$node")" -ge 1 ] || fail "no running replica on $node"
done

step "calls through the gateway reach both replicas"
# The reconciler routes to every replica within a pass (5 s).
for _ in $(seq 1 100); do
  [ "$(solve_status)" = 200 ] || fail "a call failed before the drain"
done
sleep 2  # the service logs reach the manager asynchronously
on1=$(solves_by_node "$n1") on2=$(solves_by_node "$n2")
echo "calls answered: $on1 on $n1, $on2 on $n2"
[ "$on1" -gt 0 ] && [ "$on2" -gt 0 ] || fail "calls were not spread over both nodes"

step "a run is a one-shot service: input from the jobs listener, result uploaded there"
job_objects() { swarm_n1 "$@" ls -q --filter label=orsa.job=true; }
started=$(ms)
run=$(submit_starter_run alice "$alice") || fail "submit"
job=""
for _ in $(seq 1 300); do
  job=$(swarm_n1 service ls -q --filter "label=orsa.run=$run")
  [ -n "$job" ] && break
  sleep 0.2
done
[ -n "$job" ] || fail "no service for run $run: $(api GET "/api/v1/runs/$run" "$alice")"
swarm_n1 service inspect "$job" | grep -q 'ORSA_JOB_TOKEN=' && fail "the token is in the service's spec"
check_starter_run "$run" "$alice"
echo "run on the swarm: submit → succeeded in $(($(ms) - started)) ms"
check_jobs_listener_refuses "$work/deployer.log" "$run" "$alice"
for _ in $(seq 1 100); do
  [ -z "$(job_objects service)$(job_objects secret)$(job_objects network)" ] && break
  sleep 0.2
done
[ -z "$(job_objects service)$(job_objects secret)$(job_objects network)" ] ||
  fail "left after the run: $(job_objects service) $(job_objects secret) $(job_objects network)"

# Idempotent calls: one that a stopping replica resets unanswered goes to
# the other replica. (A POST in flight at that moment is not resent: it may
# have been acted on; docs/cluster.md.)
step "drain node 2 while calling: no call fails"
calls=0 failed=0
started=$(ms)
swarm_n1 node update --availability drain "$SWARM_N2_ID" >/dev/null
# Bounded: at most 600 calls or 120 s, until both replicas run on node 1
# and the route has followed them (two more passes).
moved_at=""
while [ "$calls" -lt 600 ] && [ $(($(ms) - started)) -lt 120000 ]; do
  code=$(info_status)
  calls=$((calls + 1))
  [ "$code" = 200 ] || { failed=$((failed + 1)); echo "call $calls: HTTP $code"; }
  if [ -z "$moved_at" ] && [ "$(running_on "$n1")" -ge 2 ] && [ "$(running_on "$n2")" -eq 0 ]; then
    moved_at=$(ms)
  fi
  [ -n "$moved_at" ] && [ $(($(ms) - moved_at)) -gt 12000 ] && break
done
echo "drain: $calls calls, $failed failed, replicas moved in $((${moved_at:-$(ms)} - started)) ms"
[ -n "$moved_at" ] || fail "the replicas did not move off the drained node"
[ "$failed" -eq 0 ] || fail "$failed of $calls calls failed during the drain"

step "node 2 back; scaled to zero and started again: a replica on each node"
swarm_n1 node update --availability active "$SWARM_N2_ID" >/dev/null
api POST "/api/v1/deployments/$dep/stop" "$alice" '{}' >/dev/null
status=$(wait_status "$dep" stopped)
[ "$status" = stopped ] || fail "stop: $status"
# Until the replicas are gone, not only asked to go: the scheduler counts
# those still shutting down when it places the next ones.
any_task_running() {
  swarm_n1 service ps --format '{{.CurrentState}}' "$(service_id)" | grep -q '^Running'
}
for _ in $(seq 1 300); do any_task_running || break; sleep 0.2; done
! any_task_running || fail "replicas still run after the stop"
[ "$(solve_status)" != 200 ] || fail "a stopped deployment answered"
api POST "/api/v1/deployments/$dep/start" "$alice" '{}' >/dev/null
status=$(wait_status "$dep" healthy failed)
[ "$status" = healthy ] || fail "start: $status"
# Placed anew from zero, the replicas spread over both nodes again.
spread() { [ "$(running_on "$n1")" -eq 1 ] && [ "$(running_on "$n2")" -eq 1 ]; }
for _ in $(seq 1 300); do spread && break; sleep 0.2; done
spread || fail "the replicas did not spread over both nodes again: $(swarm_n1 service ps \
  --format '{{.Node}} {{.DesiredState}} {{.CurrentState}} {{.Error}}' "$(service_id)" | head -8)"
[ "$(solve_status)" = 200 ] || fail "no answer after the start"
sleep 6  # a reconciler pass routes to both replicas

step "node 2 killed: the replica on node 1 answers every call"
swarm_kill_node 2
started=$(ms) calls=0 failed=0
while [ "$calls" -lt 50 ] && [ $(($(ms) - started)) -lt 90000 ]; do
  code=$(solve_status)
  calls=$((calls + 1))
  [ "$code" = 200 ] || { failed=$((failed + 1)); echo "call $calls: HTTP $code"; }
done
echo "node 2 killed: $failed of $calls calls failed in $(($(ms) - started)) ms"
[ "$failed" -eq 0 ] || fail "$failed of $calls calls failed after node 2 died"

step "orsa-deployer killed -9 and restarted: the service is adopted, not duplicated"
before=$(service_id)
kill -9 "$DEPLOYER_PID"
wait "$DEPLOYER_PID" 2>/dev/null || true
ORSA_TEST_LISTEN_HOST=$SWARM_N1_ADDR start_deployer "$DEPLOYER" "$work" "${FLAGS[@]}" \
  --gc-idle 8s --gc-interval 0 || fail "restart"
for _ in $(seq 1 300); do [ "$(solve_status)" = 200 ] && break; sleep 0.2; done
[ "$(solve_status)" = 200 ] || fail "not serving after the restart"
[ "$(service_id)" = "$before" ] || fail "services before ($before) and after ($(service_id)) differ"
[ "$(swarm_n1 service ls -q | wc -l)" = 1 ] || fail "duplicate services: $(swarm_n1 service ls)"

step "idle: the collector scales it to zero; the next call wakes it"
admin=$(curl -sSf "$URL/api/v1/auth/login" -H 'Content-Type: application/json' \
  -d "{\"login\":\"admin\",\"password\":\"$ORSA_ADMIN_PASSWORD\"}" | json_get 'd["token"]')
sleep 9  # longer than --gc-idle, with no call in between
api POST /api/v1/admin/gc "$admin" '{"dry_run":false}' >"$work/gc.json"
python3 - "$work/gc.json" "$dep" <<'PY' || fail "gc report: $(cat "$work/gc.json")"
import json, sys
report = json.load(open(sys.argv[1]))
assert sys.argv[2] in [s["deployment_id"] for s in report["idle_stopped"]], "not stopped as idle"
PY
desired_replicas() { swarm_n1 service inspect -f '{{.Spec.Mode.Replicated.Replicas}}' "$(service_id)"; }
[ "$(desired_replicas)" = 0 ] || fail "idle, the service still wants $(desired_replicas) replicas"
# Node 2's task stays "Running" in the manager's view: it died with its node.
running_on_n1() {
  swarm_n1 service ps --filter "node=$n1" --format '{{.CurrentState}}' "$(service_id)" |
    grep -q '^Running'
}
for _ in $(seq 1 300); do running_on_n1 || break; sleep 0.2; done
! running_on_n1 || fail "replicas still run when idle"
started=$(ms)
code=$(solve_status)
echo "woken by a call in $(($(ms) - started)) ms: HTTP $code"
[ "$code" = 200 ] || fail "the idle deployment did not wake: HTTP $code"
[ "$(api GET "/api/v1/deployments/$dep" "$alice" | json_get 'd["status"]')" = healthy ] ||
  fail "not healthy after waking"
[ "$(desired_replicas)" = 2 ] || fail "woken with $(desired_replicas) replicas, not 2"

step "delete leaves no service"
api DELETE "/api/v1/deployments/$dep" "$alice" >/dev/null
for _ in $(seq 1 300); do [ -z "$(service_id)" ] && break; sleep 0.2; done
[ -z "$(service_id)" ] || fail "the service outlived its deployment"
echo "PASS: swarm journey"
