#!/usr/bin/env bash
# Contract test of the Kubernetes API server stand-in (apiserver.py): real
# clients must get from it what a real API server gives them.
#
# - kubectl, over HTTPS with a bearer token (kubectl sends a token only over
#   TLS): apply, re-apply (strategic merge patch), get, rollout status,
#   scale, patch (merge, json), get -w, wait for Jobs, delete, client-side
#   validation against /openapi/v2, an object only the server refuses (422),
#   a wrong token (401).
# - python3-kubernetes, over plain HTTP with a bearer token: create, read,
#   patch, replace with a stale resourceVersion (409), dry run, watch
#   (replayed and live), list by label selectors, a watch from a version the
#   history no longer holds (410), delete, a wrong token (401).
#
# Usage: standin_test.sh OPENAPI_JSON
#   OPENAPI_JSON: swagger.json from tests/kube/fetch-openapi.sh.
#   KUBECTL=PATH picks the kubectl (default: kubectl on PATH). The contract is
#   kubectl 1.20, Debian's kubernetes-client: fetch-kubectl.sh unpacks it.
# Needs Debian's /usr/bin/python3 with python3-kubernetes, and openssl.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 OPENAPI_JSON" >&2
  exit 2
fi
openapi=$1
here=$(cd "$(dirname "$0")" && pwd)
fixtures=$here/fixtures
kubectl_bin=${KUBECTL:-kubectl}
python=/usr/bin/python3  # Debian's: it sees python3-kubernetes and python3-jsonschema
ns=orsa-tenant-alice
deployment=orsa-dep-knap
history=64  # the python stand-in's event history: small, so that 410 is reachable
work=$(mktemp -d)
pids=()
declare -A standin_pids=()
checks=0

now_ms() { date +%s%3N; }
started_ms=$(now_ms)

cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "standin_test: FAIL: $*" >&2
  local log
  for log in "$work"/*.log; do
    [ -f "$log" ] || continue
    echo "--- last lines of $(basename "$log") ---" >&2
    tail -n 15 "$log" >&2
  done
  exit 1
}

# wait_until SECONDS WHAT COMMAND...: runs COMMAND every 0.2 s until it succeeds.
wait_until() {
  local seconds=$1 what=$2
  shift 2
  local deadline=$(($(now_ms) + seconds * 1000))
  until "$@"; do
    [ "$(now_ms)" -lt "$deadline" ] || fail "timed out after ${seconds}s waiting for $what"
    sleep 0.2
  done
}

seconds_since() { awk -v ms=$(($(now_ms) - $1)) 'BEGIN { printf "%.1f", ms / 1000 }'; }

# --- the two stand-ins --------------------------------------------------------

for tool in "$kubectl_bin" openssl "$python"; do
  command -v "$tool" >/dev/null || fail "$tool not found"
done
[ -s "$openapi" ] || fail "no OpenAPI document at $openapi (tests/kube/fetch-openapi.sh makes one)"

token=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
# A certificate for 127.0.0.1 that the clients verify (no insecure mode).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -subj /CN=orsa-kube-standin -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$work/tls.key" -out "$work/tls.crt" 2>"$work/openssl.log" || fail "openssl could not make a certificate"

# start_standin NAME ARG...: one stand-in, its log in NAME.log, its port in NAME.port.
start_standin() {
  local name=$1
  shift
  "$python" "$here/apiserver.py" --openapi "$openapi" --port-file "$work/$name.port" --token "$token" \
    --verbose "$@" >"$work/$name.log" 2>&1 &
  pids+=("$!")
  standin_pids[$name]=$!
}

# listening NAME: its port file is there, or fail if it died.
listening() {
  kill -0 "${standin_pids[$1]}" 2>/dev/null || fail "the $1 stand-in exited"
  [ -s "$work/$1.port" ]
}

# The simulated run takes 1.5 s: job-over-deadline.yaml's 1 s limit ends first.
start_standin kubectl_api --tls-cert "$work/tls.crt" --tls-key "$work/tls.key" --job-seconds 1.5
start_standin python_api --history "$history"
wait_until 60 "the kubectl stand-in to listen" listening kubectl_api
wait_until 60 "the python stand-in to listen" listening python_api
kubectl_port=$(cat "$work/kubectl_api.port")
python_port=$(cat "$work/python_api.port")
startup_s=$(seconds_since "$started_ms")

# --- kubectl --------------------------------------------------------------------

cat >"$work/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: standin
  cluster:
    server: https://127.0.0.1:$kubectl_port
    certificate-authority: $work/tls.crt
users:
- name: tester
  user:
    token: $token
contexts:
- name: standin
  context:
    cluster: standin
    user: tester
current-context: standin
EOF

kubectl_args=(--kubeconfig "$work/kubeconfig" --cache-dir "$work/kube-cache" -n "$ns")
# Every kubectl call is bounded: a stand-in that hangs fails the test, not CI.
kube() { timeout 60 "$kubectl_bin" "${kubectl_args[@]}" "$@"; }

# kube_ok ARG...: kubectl must succeed; its output is left in $work/out.
kube_ok() {
  kube "$@" >"$work/out" 2>&1 || fail "kubectl $* failed: $(cat "$work/out")"
  checks=$((checks + 1))
}

# kube_refused PATTERN ARG...: kubectl must fail, saying PATTERN.
kube_refused() {
  local pattern=$1
  shift
  if kube "$@" >"$work/out" 2>&1; then
    fail "kubectl $* succeeded, expected a refusal: $(cat "$work/out")"
  fi
  expect_output "$pattern"
}

# expect_output PATTERN: the last kubectl said PATTERN (an extended regex).
expect_output() {
  grep -Eq -- "$1" "$work/out" || fail "expected /$1/ from kubectl, got: $(cat "$work/out")"
  checks=$((checks + 1))
}

# expect_field RESOURCE JSONPATH WANTED
expect_field() {
  kube_ok get "$1" -o "jsonpath=$2"
  [ "$(cat "$work/out")" = "$3" ] || fail "$1 $2 is '$(cat "$work/out")', expected '$3'"
}

# pod_count_is SELECTOR N
pod_count_is() {
  kube get pods -l "$1" -o name >"$work/pods" 2>&1 || return 1
  [ "$(grep -c . "$work/pods")" -eq "$2" ]
}

kubectl_started_ms=$(now_ms)
version_json=$("$kubectl_bin" version --client -o json 2>"$work/kubectl-version.log") ||
  fail "$kubectl_bin version --client failed"
kubectl_version=$("$python" -c 'import json, sys; print(json.loads(sys.argv[1])["clientVersion"]["gitVersion"])' \
  "$version_json")

kube_ok apply -f "$fixtures/workload.yaml"
expect_output "deployment.apps/$deployment created"
expect_output "networkpolicy.networking.k8s.io/$deployment created"
kube_ok apply -f "$fixtures/workload.yaml"
expect_output "deployment.apps/$deployment unchanged"
# A changed and an added env variable, then back: kubectl sends strategic
# merge patches that merge containers and env by name and delete the added
# one with a $patch directive (a plain merge patch would drop the image).
sed 's/value: "2"/value: "4"\n            - name: EXTRA\n              value: "1"/' "$fixtures/workload.yaml" \
  >"$work/workload-v2.yaml"
kube_ok apply -f "$work/workload-v2.yaml"
expect_output "deployment.apps/$deployment configured"
env_path='{.spec.template.spec.containers[0].env[*].name}={.spec.template.spec.containers[0].env[*].value}'
expect_field "deployment/$deployment" "$env_path" "ORSA_PROJECT WORKERS EXTRA=alice/knap 4 1"
kube_ok apply -f "$fixtures/workload.yaml"
expect_field "deployment/$deployment" "$env_path" "ORSA_PROJECT WORKERS=alice/knap 2"
expect_field "deployment/$deployment" '{.spec.template.spec.containers[0].image}' \
  "$(sed -n 's/^ *image: //p' "$fixtures/workload.yaml")"
expect_field "deployment/$deployment" '{.metadata.generation}' 3
kube_ok get "deployment/$deployment" -o json
expect_output '"uid": "[0-9a-f-]{36}"'
expect_output '"readinessProbe"'

kube_ok rollout status "deployment/$deployment" --timeout=30s
expect_output "successfully rolled out"
expect_field "deployment/$deployment" '{.status.readyReplicas}/{.status.availableReplicas}' 2/2
wait_until 10 "2 pods" pod_count_is "orsa.deployment=$deployment" 2
kube_ok get pods -l "orsa.deployment=$deployment" -o 'jsonpath={.items[*].status.podIP}'
expect_output '^10\.244\.[0-9]+\.[0-9]+ 10\.244\.[0-9]+\.[0-9]+$'
kube_ok get "service/$deployment" -o 'jsonpath={.spec.clusterIP}'
expect_output '^10\.96\.[0-9]+\.[0-9]+$'

kube_ok scale "deployment/$deployment" --replicas=0
wait_until 10 "the pods to go after scale --replicas=0" pod_count_is "orsa.deployment=$deployment" 0
kube_ok patch deployment "$deployment" --type merge -p '{"spec":{"replicas":1}}'
kube_ok rollout status "deployment/$deployment" --timeout=30s
wait_until 10 "1 pod after the merge patch" pod_count_is "orsa.deployment=$deployment" 1
kube_ok patch deployment "$deployment" --type json \
  -p '[{"op":"add","path":"/metadata/labels/orsa.tier","value":"gold"}]'
expect_field "deployment/$deployment" '{.metadata.labels.orsa\.tier}' gold

# get -w: the current object first, then the change made while it watches.
timeout 30 "$kubectl_bin" "${kubectl_args[@]}" get "deployment/$deployment" --watch --output-watch-events \
  -o json >"$work/watch.out" 2>&1 &
watch_pid=$!
pids+=("$watch_pid")
wait_until 15 "kubectl get -w to show the deployment" grep -Eq '"type": ?"ADDED"' "$work/watch.out"
kube_ok patch deployment "$deployment" --type merge -p '{"metadata":{"labels":{"orsa.watched":"yes"}}}'
wait_until 15 "kubectl get -w to show the change" grep -q '"orsa.watched"' "$work/watch.out"
grep -Eq '"type": ?"MODIFIED"' "$work/watch.out" || fail "get -w showed no MODIFIED event: $(cat "$work/watch.out")"
kill "$watch_pid" 2>/dev/null || true
wait "$watch_pid" 2>/dev/null || true

kube_ok apply -f "$fixtures/job.yaml" -f "$fixtures/job-over-deadline.yaml"
kube_ok wait --for=condition=complete job/orsa-run-1 --timeout=30s
expect_field job/orsa-run-1 '{.status.succeeded}' 1
kube_ok wait --for=condition=failed job/orsa-run-late --timeout=30s
expect_field job/orsa-run-late '{.status.conditions[0].reason}' DeadlineExceeded
kube_ok delete -f "$fixtures/job.yaml"
wait_until 10 "the Job's pod to go with it" pod_count_is job-name=orsa-run-1 0
kube_ok delete deployment "$deployment"
wait_until 10 "the Deployment's pods to go with it" pod_count_is "orsa.deployment=$deployment" 0

# Client-side validation (kubectl reads /openapi/v2) refuses the typo...
kube_refused 'unknown field "readynessProbe"' apply -f "$fixtures/invalid-deployment.yaml"
# ...and without it, the server does.
kube_refused 'is invalid' apply --validate=false -f "$fixtures/invalid-deployment.yaml"
expect_output "readynessProbe"
kube_refused NotFound get deployment orsa-dep-typo
kube_refused Unauthorized --token not-the-token get namespaces
kube_ok delete namespace "$ns"
kube_refused NotFound get namespace "$ns"
kubectl_checks=$checks
kubectl_s=$(seconds_since "$kubectl_started_ms")

# --- python3-kubernetes ---------------------------------------------------------

cat >"$work/client.py" <<'EOF'
import base64
import os
import sys
import time

from kubernetes import client, watch
from kubernetes.client.rest import ApiException

NAMESPACE = "default"
NAME = "py-web"
checks = 0


def check(ok, what):
    global checks
    if not ok:
        sys.exit(f"python3-kubernetes: {what}")
    checks += 1


def refused(status, call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except ApiException as e:
        check(e.status == status, f"{call.__name__}: HTTP {e.status}, expected {status}: {e.body or e.reason}")
        return e
    check(False, f"{call.__name__} succeeded, expected HTTP {status}")


def eventually(what, predicate, seconds=10):
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            sys.exit(f"python3-kubernetes: timed out waiting for {what}")
        time.sleep(0.2)
    check(True, what)


def api_client(token):
    conf = client.Configuration()
    conf.host = os.environ["STANDIN_URL"]
    conf.api_key = {"authorization": "Bearer " + token}
    return client.ApiClient(conf)


def deployment(name, replicas):
    labels = {"app": name, "orsa.tier": "gold"}
    container = client.V1Container(
        name="service", image="127.0.0.1:8080/alice/web@sha256:" + "b" * 64,
        ports=[client.V1ContainerPort(name="http", container_port=8000)],
        readiness_probe=client.V1Probe(http_get=client.V1HTTPGetAction(path="/healthz", port=8000)))
    return client.V1Deployment(
        api_version="apps/v1", kind="Deployment", metadata=client.V1ObjectMeta(name=name, labels=labels),
        spec=client.V1DeploymentSpec(
            replicas=replicas, selector=client.V1LabelSelector(match_labels={"app": name}),
            template=client.V1PodTemplateSpec(metadata=client.V1ObjectMeta(labels=labels),
                                              spec=client.V1PodSpec(containers=[container]))))


api = api_client(os.environ["STANDIN_TOKEN"])
apps, core = client.AppsV1Api(api), client.CoreV1Api(api)

refused(401, client.CoreV1Api(api_client("not-the-token")).list_namespace)
before = apps.list_namespaced_deployment(NAMESPACE).metadata.resource_version
created = apps.create_namespaced_deployment(NAMESPACE, deployment(NAME, 1))
check(created.metadata.generation == 1 and len(created.metadata.uid) == 36, "create sets generation and uid")
refused(409, apps.create_namespaced_deployment, NAMESPACE, deployment(NAME, 1))
apps.create_namespaced_deployment(NAMESPACE, deployment("py-dry", 1), dry_run="All")
refused(404, apps.read_namespaced_deployment, "py-dry", NAMESPACE)
invalid = deployment("py-bad", 1)
invalid.spec.replicas = "two"
error = refused(422, apps.create_namespaced_deployment, NAMESPACE, invalid)
check("spec.replicas" in error.body, f"the 422 names the field: {error.body}")

read = apps.read_namespaced_deployment(NAME, NAMESPACE)
# python3-kubernetes 22 sends every patch as application/json-patch+json.
patched = apps.patch_namespaced_deployment(NAME, NAMESPACE, [{"op": "replace", "path": "/spec/replicas", "value": 2}])
check(patched.spec.replicas == 2 and patched.metadata.generation == 2, "a JSON patch bumps the generation")
refused(409, apps.replace_namespaced_deployment, NAME, NAMESPACE, read)


def rolled_out():
    d = apps.read_namespaced_deployment(NAME, NAMESPACE)
    return d.status.observed_generation == 2 and d.status.ready_replicas == 2


eventually("2 ready replicas", rolled_out)
fresh = apps.read_namespaced_deployment(NAME, NAMESPACE)
fresh.metadata.labels["orsa.tier"] = "silver"
replaced = apps.replace_namespaced_deployment(NAME, NAMESPACE, fresh)
check(replaced.metadata.labels["orsa.tier"] == "silver" and replaced.metadata.generation == 2,
      "a replace of labels only keeps the generation")

replayed = []
w = watch.Watch()
for event in w.stream(apps.list_namespaced_deployment, NAMESPACE, label_selector=f"app={NAME}",
                      resource_version=before, timeout_seconds=5):
    replayed.append(event["type"])
    if "MODIFIED" in replayed:
        w.stop()
check(replayed[:1] == ["ADDED"] and "MODIFIED" in replayed, f"a watch from {before} replays: {replayed}")
live = []
w = watch.Watch()
for event in w.stream(apps.list_namespaced_deployment, NAMESPACE, label_selector=f"app={NAME}", timeout_seconds=5):
    live.append(event["type"])
    if event["type"] == "ADDED":
        apps.patch_namespaced_deployment(NAME, NAMESPACE, [{"op": "add", "path": "/metadata/annotations",
                                                             "value": {"watched": "yes"}}])
    else:
        w.stop()
check(live == ["ADDED", "MODIFIED"], f"a live watch sees the object, then the change: {live}")


def names(selector):
    return [d.metadata.name for d in apps.list_namespaced_deployment(NAMESPACE, label_selector=selector).items]


check(names(f"app={NAME},orsa.tier in (gold,silver)") == [NAME], "label selector: = and in")
check(names("orsa.tier!=silver") == [] and names("!app") == [], "label selector: != and !")
check(names("orsa.tier notin (gold)") == [NAME], "label selector: notin")
running = core.list_namespaced_pod(NAMESPACE, label_selector=f"app={NAME}", field_selector="status.phase=Running")
check(len(running.items) == 2 and all(p.status.pod_ip.startswith("10.244.") for p in running.items),
      "2 running pods with pod IPs")

secret = core.create_namespaced_secret(NAMESPACE, client.V1Secret(metadata=client.V1ObjectMeta(name="py-churn"),
                                                                  string_data={"n": "0"}))
check(secret.data == {"n": base64.b64encode(b"0").decode()} and not secret.string_data, "stringData becomes data")
# Each write takes one resourceVersion: after history + 1 more, version 1 has left the history.
for i in range(int(os.environ["STANDIN_HISTORY"]) + 1):
    core.patch_namespaced_secret("py-churn", NAMESPACE, [{"op": "add", "path": "/metadata/labels",
                                                          "value": {"n": str(i)}}])
refused(410, lambda: list(watch.Watch().stream(core.list_namespaced_secret, NAMESPACE, resource_version="1",
                                               timeout_seconds=5)))

apps.delete_namespaced_deployment(NAME, NAMESPACE)
refused(404, apps.read_namespaced_deployment, NAME, NAMESPACE)
check(not core.list_namespaced_pod(NAMESPACE, label_selector=f"app={NAME}").items, "the pods go with the Deployment")
print(checks)
EOF

python_started_ms=$(now_ms)
python_version=$("$python" -c 'import kubernetes; print(kubernetes.__version__)')
python_checks=$(STANDIN_URL="http://127.0.0.1:$python_port" STANDIN_TOKEN="$token" STANDIN_HISTORY="$history" \
  "$python" "$work/client.py" 2>"$work/client.log") || fail "the python3-kubernetes client script failed"
python_s=$(seconds_since "$python_started_ms")

echo "standin_test: PASS: kubectl $kubectl_version ($kubectl_checks checks, ${kubectl_s}s)," \
  "python3-kubernetes $python_version ($python_checks checks, ${python_s}s), stand-ins up in ${startup_s}s," \
  "total $(seconds_since "$started_ms")s"
