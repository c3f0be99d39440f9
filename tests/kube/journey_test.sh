#!/usr/bin/env bash
# contract.kubernetes_journey: the deployment journey of orsa-deployer with
# --runtime kubernetes against the API server stand-in (tests/kube/standin)
# whose pods really run, as podman containers on a podman network of the
# test's (`--pods podman`). Over TLS with a token from a kubeconfig, ORSA
# builds the starter, deploys it with 2 replicas (a Deployment, a Service, a
# pull Secret and a NetworkPolicy, each validated strictly by the stand-in;
# the pods pull from ORSA's registry with that Secret), and the gateway calls
# both pods at their addresses; kubectl sees what ORSA made; a pod kubectl
# deletes is replaced and followed; stop scales to zero and start back; a
# kill -9 of orsa-deployer is followed by adoption of the same Deployment;
# the restarted orsa-deployer serves its jobs listener (ADR 0021) on the pod
# network and a run of the starter is a Job whose pod fetches its input
# there and uploads its result, with a token no other caller has; deleting
# the deployment leaves no object and no container. A contract
# test: the stand-in is not Kubernetes (no scheduler, no kubelet, no
# NetworkPolicy enforcement; docs/cluster.md).
#   journey_test.sh DEPLOYER BUILDER SOURCE_DIR BASE_DIR CACHE_DIR
set -euo pipefail
DEPLOYER=$1 BUILDER=$2 SRC=$3 BASE_DIR=$4 CACHE=$5
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/deployer.sh"
. "$here/../lib/base_python_or.sh"
. "$here/../lib/cluster_runs.sh"
. "$here/../lib/podman.sh"
. "$here/lib/standin.sh"

[ "$(id -u)" = 0 ] || { echo "contract.kubernetes_journey: needs root (podman, runc)" >&2; exit 1; }
[ -f "$BASE_DIR/recipe.sha256" ] || { echo "no python-or base in '$BASE_DIR'" >&2; exit 1; }
work=$(mktemp -d /tmp/orsa-kube-XXXXXX)
network=orsa-kube-pods-$$
STANDIN_PID=""

# A private podman store for the pods.
podman_setup "$work/podman" 127.0.0.1
podman_wrapper "$work/podman"
pods() { "$work/podman/podman" "$@"; }

cleanup() {
  local rc=$?
  stop_deployer
  if [ -n "$STANDIN_PID" ]; then
    kill "$STANDIN_PID" 2>/dev/null || true  # it removes its containers on SIGTERM
    wait "$STANDIN_PID" 2>/dev/null || true
  fi
  pods rm -f -a -t 0 >/dev/null 2>&1 || true
  pods network rm -f "$network" >/dev/null 2>&1 || true
  unmount_under "$work"
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  echo "--- deployer.log" >&2
  tail -n 30 "$work/deployer.log" >&2 || true
  echo "--- standin.log" >&2
  tail -n 30 "$work/standin.log" >&2 || true
  exit 1
}
step() { echo "--- $*"; }
ms() { date +%s%3N; }

step "the stand-in API server, its pods on podman"
"$here/fetch-openapi.sh" "$CACHE"
"$here/standin/fetch-kubectl.sh" "$CACHE/kubectl-1.20"
kubectl_bin=$CACHE/kubectl-1.20/kubectl
pods network create "$network" >/dev/null || fail "podman network"
standin_start "$work" "$CACHE" --pods podman --podman "$work/podman/podman" \
  --pod-network "$network" --max-pods 6 || fail "the stand-in did not start"
kc() { KUBECONFIG=$STANDIN_KUBECONFIG "$kubectl_bin" "$@"; }
kc create namespace orsa-workloads >/dev/null || fail "kubectl create namespace"

step "orsa-deployer on the stand-in"
export ORSA_ADMIN_PASSWORD=admin-password-for-kube
FLAGS=(--runtime kubernetes --kubeconfig "$STANDIN_KUBECONFIG" --max-replicas 3
  --base-image orsa/base-python-or:latest --health-timeout 120s --builder-bin "$BUILDER")
start_deployer "$DEPLOYER" "$work" "${FLAGS[@]}" || fail "deployer did not start"
import_base_python_or "$BASE_DIR" || fail "loading the python-or base"
alice=$(register alice)
api POST /api/v1/projects "$alice" '{"name":"knapsack"}' >/dev/null
image=$(build_head alice knapsack "$alice")

wait_status() { wait_deployment "$alice" "$@"; }
solve_status() {
  curl -sS -o /dev/null -m 30 -w '%{http_code}' -X POST "$SERVICES_URL/alice/knapsack/solve" \
    -H "Authorization: Bearer $alice" -H 'Content-Type: application/json' \
    --data-binary @"$SRC/templates/python-flask/starter/input.json" || echo 000
}
workload() { kc get deployments -l "orsa.deployment=$dep" -o jsonpath='{.items[*].metadata.name}'; }
ready_ips() {
  kc get pods -l "orsa.workload=$(workload)" \
    -o jsonpath='{range .items[*]}{.status.podIP}{" "}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' |
    awk '$2 == "True" {print $1}' | sort
}

step "deploy with 2 replicas"
started=$(ms)
dep=$(api POST /api/v1/deployments "$alice" "{\"image_id\":\"$image\",\"replicas\":2}" |
  json_get 'd["id"]')
status=$(wait_status "$dep" healthy failed)
[ "$status" = healthy ] || fail "the deployment is $status: $(api GET "/api/v1/deployments/$dep" "$alice")"
echo "deploy → healthy: $(($(ms) - started)) ms"
name=$(workload)
[ -n "$name" ] || fail "kubectl sees no Deployment of $dep"
[ "$(kc get deployment "$name" -o jsonpath='{.spec.replicas}')" = 2 ] || fail "not 2 replicas"
kc get service "$name" >/dev/null || fail "no Service"
kc get secret "$name-pull" -o jsonpath='{.type}' | grep -qx kubernetes.io/dockerconfigjson ||
  fail "no pull Secret"
kc get networkpolicies -l "orsa.deployment=$dep" -o name | grep -q networkpolicy || fail "no NetworkPolicy"
for _ in $(seq 1 600); do [ "$(ready_ips | wc -l)" = 2 ] && break; sleep 0.2; done
[ "$(ready_ips | wc -l)" = 2 ] || fail "2 ready pods expected: $(kc get pods -o wide)"
[ "$(pods ps -q --filter label=orsa-standin-pod | wc -l)" = 2 ] || fail "2 pod containers expected"

step "calls through the gateway reach both pods"
for ip in $(ready_ips); do
  curl -sSf -m 5 "http://$ip:8000/healthz" >/dev/null || fail "pod $ip does not answer"
done
answered() {  # → how many pod containers logged a /solve
  local c n=0 out
  for c in $(pods ps -q --filter label=orsa-standin-pod); do
    # The stand-in's own podman calls may hold the store's lock a moment.
    out=$(pods logs "$c" 2>/dev/null) || { sleep 0.5; out=$(pods logs "$c" 2>/dev/null) || true; }
    grep -q "POST /solve" <<<"$out" && n=$((n + 1))
  done
  echo "$n"
}
# The reconciler routes to every ready pod within a pass (5 s): bounded
# at 200 calls.
calls=0 reached=0
while [ $calls -lt 200 ]; do
  for _ in $(seq 1 10); do [ "$(solve_status)" = 200 ] || fail "a call failed"; done
  calls=$((calls + 10))
  reached=$(answered)
  [ "$reached" = 2 ] && break
done
echo "pods that answered /solve: $reached of 2 after $calls calls"
[ "$reached" = 2 ] || fail "the calls did not reach both pods"

step "a pod deleted with kubectl is replaced and the route follows"
victim=$(kc get pods -l "orsa.workload=$name" -o jsonpath='{.items[0].metadata.name}')
before=$(ready_ips | tr '\n' ' ')
kc delete pod "$victim" >/dev/null || fail "kubectl delete pod"
calls=0 failed=0 started=$(ms)
while [ $calls -lt 200 ] && [ $(($(ms) - started)) -lt 90000 ]; do
  code=$(solve_status)
  calls=$((calls + 1))
  [ "$code" = 200 ] || failed=$((failed + 1))
  [ "$(ready_ips | wc -l)" = 2 ] && [ "$(ready_ips | tr '\n' ' ')" != "$before" ] && break
done
echo "pod replaced after $(($(ms) - started)) ms; $failed of $calls calls failed meanwhile"
[ "$(ready_ips | wc -l)" = 2 ] || fail "the deleted pod was not replaced"
sleep 6  # a reconciler pass routes to the new pod
for _ in $(seq 1 20); do [ "$(solve_status)" = 200 ] || fail "a call failed after the replacement"; done

step "stop scales to zero, start brings 2 back"
api POST "/api/v1/deployments/$dep/stop" "$alice" '{}' >/dev/null
[ "$(wait_status "$dep" stopped)" = stopped ] || fail "stop"
for _ in $(seq 1 300); do
  [ "$(pods ps -q --filter label=orsa-standin-pod | wc -l)" = 0 ] && break
  sleep 0.2
done
[ "$(kc get deployment "$name" -o jsonpath='{.spec.replicas}')" = 0 ] || fail "not scaled to zero"
[ "$(pods ps -q --filter label=orsa-standin-pod | wc -l)" = 0 ] || fail "pods still run"
[ "$(solve_status)" != 200 ] || fail "a stopped deployment answered"
api POST "/api/v1/deployments/$dep/start" "$alice" '{}' >/dev/null
[ "$(wait_status "$dep" healthy failed)" = healthy ] || fail "start"
[ "$(kc get deployment "$name" -o jsonpath='{.spec.replicas}')" = 2 ] || fail "not 2 after start"
[ "$(solve_status)" = 200 ] || fail "no answer after the start"

step "orsa-deployer killed -9 and restarted: the Deployment is adopted"
kill -9 "$DEPLOYER_PID"
wait "$DEPLOYER_PID" 2>/dev/null || true
# Now with the jobs listener on the pods' network (its bridge exists while
# pods run): the address jobs reach, and nothing beyond the host's own.
gateway=$(pods network inspect "$network" -f '{{range .Subnets}}{{.Gateway}}{{end}}')
[ -n "$gateway" ] || fail "no gateway address of $network"
start_deployer "$DEPLOYER" "$work" "${FLAGS[@]}" --jobs-listen "$gateway:0" || fail "restart"
for _ in $(seq 1 300); do [ "$(solve_status)" = 200 ] && break; sleep 0.2; done
[ "$(solve_status)" = 200 ] || fail "not serving after the restart"
[ "$(workload)" = "$name" ] || fail "Deployments before ($name) and after ($(workload)) differ"
[ "$(kc get deployments -o name | wc -l)" = 1 ] || fail "duplicate Deployments: $(kc get deployments)"

step "a run is a Job: input fetched from the jobs listener, result uploaded there"
started=$(ms)
run=$(submit_starter_run alice "$alice") || fail "submit"
job=""
for _ in $(seq 1 300); do
  job=$(kc get jobs -l "orsa.run=$run" -o jsonpath='{.items[*].metadata.name}')
  [ -n "$job" ] && break
  sleep 0.2
done
[ -n "$job" ] || fail "no Job for run $run: $(api GET "/api/v1/runs/$run" "$alice")"
kc get job "$job" -o json | grep -q '"secretKeyRef"' || fail "the Job's token is not from its Secret"
check_starter_run "$run" "$alice"
echo "run on Kubernetes: submit → succeeded in $(($(ms) - started)) ms (Job $job)"
check_jobs_listener_refuses "$work/deployer.log" "$run" "$alice"
for _ in $(seq 1 100); do
  [ -z "$(kc get jobs,secrets -l "orsa.job=true" -o name)" ] && break
  sleep 0.2
done
[ -z "$(kc get jobs,secrets -l "orsa.job=true" -o name)" ] ||
  fail "left after the run: $(kc get jobs,secrets -l orsa.job=true -o name)"

step "delete leaves nothing"
api DELETE "/api/v1/deployments/$dep" "$alice" >/dev/null
gone() {
  [ -z "$(kc get deployments,services,networkpolicies -l "orsa.deployment=$dep" -o name)" ] &&
    ! kc get secret "$name-pull" >/dev/null 2>&1 &&
    [ "$(pods ps -a -q --filter label=orsa-standin-pod | wc -l)" = 0 ]
}
for _ in $(seq 1 300); do gone && break; sleep 0.2; done
gone || fail "left behind: $(kc get deployments,services,networkpolicies,secrets,pods -o name)" \
  "$(pods ps -a --format '{{.Names}} {{.Status}}')"
echo "PASS"
