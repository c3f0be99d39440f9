#!/usr/bin/env bash
# Test of the stand-in's `--pods podman`: a Deployment's pods run as podman
# containers that the host reaches at their pod IPs.
#
# In a private podman store (rootful, runc, vfs, under a temporary directory)
# and on a podman network made for the test, a Deployment of 2 replicas of
# `python3 -m http.server` becomes Ready only once its readiness probe
# passes, and each pod answers at its pod IP; a bad image shows ErrImagePull
# and a missing command CreateContainerError, neither ever Ready; --max-pods
# keeps one more pod Pending (Unschedulable) until a slot frees; a killed
# container is restarted (restartCount 1); scaling to 0 and deleting the
# Deployment remove the containers, and so does stopping the server (SIGTERM).
#
# Usage: STANDIN_TEST_IMAGE_ARCHIVE=IMAGE podman_pods_test.sh OPENAPI_JSON
#   OPENAPI_JSON: swagger.json from tests/kube/fetch-openapi.sh.
#   IMAGE: an image with python3, as an OCI or docker archive or an OCI layout
#   directory (`podman load -i` reads all three), e.g. the python-or base the
#   build keeps at build/debug/fixtures/base-python-or/layout. Read only.
# Without IMAGE, podman, runc or root, it skips (exit 77). Needs
# /usr/bin/python3; cleans up after itself on success and failure.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: STANDIN_TEST_IMAGE_ARCHIVE=IMAGE $0 OPENAPI_JSON" >&2
  exit 2
fi
openapi=$1
here=$(cd "$(dirname "$0")" && pwd)
python=/usr/bin/python3
image=localhost/standin-test/http:latest
network=standin-pods-$$
work=
server_pid=
client_pid=
network_made=

now_ms() { date +%s%3N; }
seconds_since() { awk -v ms=$(($(now_ms) - $1)) 'BEGIN { printf "%.1f", ms / 1000 }'; }
started_ms=$(now_ms)

skip() {
  echo "podman_pods_test: SKIP: $*" >&2
  exit 77
}

fail() {
  echo "podman_pods_test: FAIL: $*" >&2
  if [ -n "$work" ] && [ -f "$work/apiserver.log" ]; then
    echo "--- last lines of apiserver.log ---" >&2
    tail -n 30 "$work/apiserver.log" >&2
  fi
  exit 1
}

# stop_server: SIGTERM, then up to 90 s for it to remove its containers; SIGKILL after.
stop_server() {
  [ -n "$server_pid" ] || return 0
  kill "$server_pid" 2>/dev/null || true
  for _ in $(seq 450); do
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.2
  done
  kill -9 "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=
}

cleanup() {
  set +e
  [ -z "$client_pid" ] || kill "$client_pid" 2>/dev/null
  stop_server
  if [ -n "$work" ]; then
    if [ -x "$work/podman" ]; then
      "$work/podman" rm -f -a -t 0 >/dev/null 2>&1
      [ -z "$network_made" ] || "$work/podman" network rm -f "$network" >/dev/null 2>&1
    fi
    rm -rf "$work"
  fi
}
trap cleanup EXIT
# Interrupted (Ctrl-C, a CI timeout) too: the containers and the network outlive the script otherwise.
trap 'exit 130' INT
trap 'exit 143' TERM

[ -n "${STANDIN_TEST_IMAGE_ARCHIVE:-}" ] ||
  skip "no test image: set STANDIN_TEST_IMAGE_ARCHIVE (an image with python3: OCI/docker archive or OCI layout dir)"
[ "$(id -u)" -eq 0 ] || skip "needs root: the pods run under rootful podman"
for tool in podman runc; do
  command -v "$tool" >/dev/null || skip "$tool not found"
done
[ -x "$python" ] || fail "$python not found"
[ -s "$openapi" ] || fail "no OpenAPI document at $openapi (tests/kube/fetch-openapi.sh makes one)"
[ -e "$STANDIN_TEST_IMAGE_ARCHIVE" ] || fail "STANDIN_TEST_IMAGE_ARCHIVE=$STANDIN_TEST_IMAGE_ARCHIVE does not exist"

# --- a private podman store, the image, the network -------------------------------

work=$(mktemp -d /tmp/standin-pods-XXXXXX)
dir=$work
. "$here/../../lib/podman.sh"
podman_setup "$dir" 127.0.0.1
podman_wrapper "$dir"

setup_started_ms=$(now_ms)
"$dir/podman" load -i "$STANDIN_TEST_IMAGE_ARCHIVE" >"$work/load.out" 2>&1 ||
  fail "podman load -i $STANDIN_TEST_IMAGE_ARCHIVE: $(tail -n 3 "$work/load.out")"
loaded=$(sed -nE 's/^Loaded image(\(s\))?: //p' "$work/load.out" | head -n 1 | cut -d, -f1)
[ -n "$loaded" ] || fail "podman load named no image: $(cat "$work/load.out")"
"$dir/podman" tag "$loaded" "$image" || fail "podman tag $loaded $image"
"$dir/podman" run --rm --network none "$image" python3 -c 'print("python3 ok")' >"$work/python-check.out" 2>&1 ||
  fail "the test image has no working python3: $(tail -n 3 "$work/python-check.out")"

# Not --internal: the host has no address on an internal network, so it could
# not reach the pods (the gateway under test must). A normal network gives the
# host the gateway address and the containers a NATed way out.
"$dir/podman" network create "$network" >/dev/null || fail "podman network create $network"
network_made=1
setup_s=$(seconds_since "$setup_started_ms")

# --- the stand-in ----------------------------------------------------------------

# --max-pods 4: the 2 web pods and the 2 broken ones fill it; a third web pod waits.
"$python" "$here/apiserver.py" --openapi "$openapi" --port-file "$work/port" \
  --pods podman --podman "$dir/podman" --pod-network "$network" --max-pods 4 >"$work/apiserver.log" 2>&1 &
server_pid=$!
for _ in $(seq 300); do
  [ -s "$work/port" ] && break
  kill -0 "$server_pid" 2>/dev/null || fail "the stand-in exited"
  sleep 0.2
done
[ -s "$work/port" ] || fail "the stand-in did not listen within 60 s"

cat >"$work/client.py" <<'EOF'
import base64
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

BASE = "http://127.0.0.1:" + os.environ["STANDIN_PORT"]
PODMAN, NETWORK, IMAGE = os.environ["PODMAN"], os.environ["NETWORK"], os.environ["IMAGE"]
NS = "standin-pods"
# No proxy, whatever the environment says: pod IPs are reached directly.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
checks = 0
timings = {}


def require(ok, what):
    """A step that must work (a request, a podman command), not counted as a check."""
    if not ok:
        sys.exit(f"client: {what}")


def check(ok, what):
    global checks
    require(ok, what)
    checks += 1


def api(method, path, body=None, content_type="application/json"):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(BASE + path, data=data, method=method, headers={"Content-Type": content_type})
    try:
        with OPENER.open(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def ok(method, path, body=None, content_type="application/json"):
    status, doc = api(method, path, body, content_type)
    require(200 <= status < 300, f"{method} {path}: HTTP {status}: {doc.get('message', doc)}")
    return doc


def eventually(what, predicate, seconds):
    started = time.monotonic()
    while not (result := predicate()):
        if time.monotonic() - started > seconds:
            sys.exit(f"client: timed out after {seconds} s waiting for {what}")
        time.sleep(0.2)
    timings[what] = time.monotonic() - started
    check(True, what)
    return result


def podman(*args):
    done = subprocess.run([PODMAN, *args], capture_output=True, text=True, timeout=60)
    require(done.returncode == 0, f"podman {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout.strip()


def containers(selector="orsa-standin-pod"):
    return podman("ps", "-a", "-q", "--filter", f"label={selector}").split()


def http_get(ip, port=8000):
    try:
        with OPENER.open(f"http://{ip}:{port}/", timeout=5) as answer:
            return answer.status
    except (urllib.error.URLError, OSError) as e:
        return str(e)


def deployment(name, replicas, image, command=("python3", "-m", "http.server", "8000"), **pod_spec):
    labels = {"app": name}
    container = {
        "name": "web", "image": image, "imagePullPolicy": "IfNotPresent", "command": list(command),
        "env": [{"name": "GREETING", "value": "hello"}],
        "ports": [{"name": "http", "containerPort": 8000}],
        "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}, "requests": {"cpu": "500m", "memory": "128Mi"}},
        "securityContext": {"runAsUser": 65534, "runAsGroup": 65534, "readOnlyRootFilesystem": True,
                            "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
        "readinessProbe": {"httpGet": {"path": "/", "port": 8000}, "periodSeconds": 2, "failureThreshold": 2},
    }
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": labels},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [container], **pod_spec,
                                           "volumes": [{"name": "tmp", "emptyDir": {"medium": "Memory",
                                                                                    "sizeLimit": "16Mi"}}]}}}}


def read_deployment(name):
    return ok("GET", f"/apis/apps/v1/namespaces/{NS}/deployments/{name}")


def ready_replicas(name):
    return read_deployment(name).get("status", {}).get("readyReplicas", 0)


def pods(app):
    return ok("GET", f"/api/v1/namespaces/{NS}/pods?labelSelector=app%3D{app}")["items"]


def scale(name, replicas):
    ok("PATCH", f"/apis/apps/v1/namespaces/{NS}/deployments/{name}/scale", {"spec": {"replicas": replicas}},
       "application/merge-patch+json")


def container_name(pod):
    return f"standin-{NS}-{pod['metadata']['name']}"


def is_ready(pod):
    return any(c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions", []))


def check_serving(pod):
    """A ready pod runs as its container, at the container's address, and answers there."""
    status = pod["status"]
    name = pod["metadata"]["name"]
    check(status["phase"] == "Running" and is_ready(pod), f"pod {name} Running and Ready: {status}")
    container = status["containerStatuses"][0]
    check(container["ready"] and container["containerID"].startswith("podman://")
          and "running" in container["state"], f"pod {name} container status: {container}")
    address = podman("inspect", "--format", f'{{{{(index .NetworkSettings.Networks "{NETWORK}").IPAddress}}}}',
                     container_name(pod))
    check(status.get("podIP") == address and address, f"pod {name} podIP {status.get('podIP')} is its container's "
                                                       f"address {address}")
    answer = http_get(address)
    check(answer == 200, f"GET http://{address}:8000/ of pod {name}: {answer}")


def waiting_reason_seen(app, reason, seconds):
    """Watches the app's pods until one shows the waiting reason; that pod's container status."""
    url = (f"{BASE}/api/v1/namespaces/{NS}/pods?watch=1&labelSelector=app%3D{app}"
           f"&timeoutSeconds={seconds}")
    with OPENER.open(url, timeout=seconds + 10) as stream:
        for line in stream:
            pod = json.loads(line)["object"]
            for container in pod.get("status", {}).get("containerStatuses", []):
                if container["state"].get("waiting", {}).get("reason") == reason:
                    check(True, f"a pod of {app} shows {reason}")
                    return container
    sys.exit(f"client: no pod of {app} showed {reason} within {seconds} s")


ok("POST", "/api/v1/namespaces", {"metadata": {"name": NS}})
config = {"auths": {"127.0.0.1:1": {"auth": base64.b64encode(b"tester:pull-secret-password").decode()}}}
ok("POST", f"/api/v1/namespaces/{NS}/secrets", {
    "metadata": {"name": "pull"}, "type": "kubernetes.io/dockerconfigjson",
    "data": {".dockerconfigjson": base64.b64encode(json.dumps(config).encode()).decode()}})

# 2 replicas: Ready only after the readiness probe, each answering at its pod IP.
started = time.monotonic()
ok("POST", f"/apis/apps/v1/namespaces/{NS}/deployments", deployment("web", 2, IMAGE))
check(ready_replicas("web") < 2, "the pods are not Ready at once")
eventually("web: 2 ready replicas", lambda: ready_replicas("web") == 2, 120)
web = pods("web")
check(len(web) == 2, f"2 web pods: {[p['metadata']['name'] for p in web]}")
for pod in web:
    check_serving(pod)
inspected = json.loads(podman("inspect", container_name(web[0])))[0]
config, host = inspected["Config"], inspected["HostConfig"]
check(config["User"] == "65534:65534" and "GREETING=hello" in config["Env"], f"user and env: {config['User']}")
check(host["Memory"] == 128 * 2**20 and host["NanoCpus"] == 500_000_000 and host["ReadonlyRootfs"],
      f"limits and read-only root: {host['Memory']} {host['NanoCpus']} {host['ReadonlyRootfs']}")
check(any(m.startswith("/tmp") for m in host.get("Tmpfs", {})), f"/tmp is a tmpfs: {host.get('Tmpfs')}")
deployment_status = read_deployment("web")["status"]
check(deployment_status.get("availableReplicas") == 2 and
      {c["type"]: c["status"] for c in deployment_status["conditions"]}.get("Available") == "True",
      f"web available: {deployment_status}")

# A bad image: ErrImagePull (with the pull secret's credentials), never Ready.
bad = deployment("broken", 1, "127.0.0.1:1/standin/no-such-image:v1", imagePullSecrets=[{"name": "pull"}])
ok("POST", f"/apis/apps/v1/namespaces/{NS}/deployments", bad)
failed = waiting_reason_seen("broken", "ErrImagePull", 60)
check("no-such-image" in failed["state"]["waiting"].get("message", ""), f"the pull error says why: {failed}")

# A command the image does not have: CreateContainerError.
ok("POST", f"/apis/apps/v1/namespaces/{NS}/deployments", deployment("nostart", 1, IMAGE, ["/no/such/command"]))
failed = waiting_reason_seen("nostart", "CreateContainerError", 60)
check("/no/such/command" in failed["state"]["waiting"].get("message", ""), f"the run error says why: {failed}")
for name in ("broken", "nostart"):
    status = read_deployment(name).get("status", {})
    check(not status.get("readyReplicas") and
          {c["type"]: c["status"] for c in status.get("conditions", [])}.get("Available") == "False",
          f"{name} has no ready replica: {status}")

# --max-pods 4 is full: a third web pod waits, Unschedulable, until the broken pods go.
scale("web", 3)


def unschedulable():
    return [p for p in pods("web") if any(c["type"] == "PodScheduled" and c.get("reason") == "Unschedulable"
                                          for c in p["status"].get("conditions", []))]


waiting = eventually("a third web pod Pending, Unschedulable", unschedulable, 30)
check(waiting[0]["status"]["phase"] == "Pending" and not waiting[0]["spec"].get("nodeName"),
      f"the waiting pod is unbound: {waiting[0]['status']}")
check(ready_replicas("web") == 2, "still 2 ready web replicas")
ok("DELETE", f"/apis/apps/v1/namespaces/{NS}/deployments/broken")
ok("DELETE", f"/apis/apps/v1/namespaces/{NS}/deployments/nostart")
eventually("web: 3 ready replicas once a slot freed", lambda: ready_replicas("web") == 3, 120)

# A container whose process dies is replaced: restartCount 1, Ready again.
victim = pods("web")[0]
podman("kill", container_name(victim))


def restarted():
    now = [p for p in pods("web") if p["metadata"]["name"] == victim["metadata"]["name"]]
    return now and now[0]["status"]["containerStatuses"][0]["restartCount"] == 1 and is_ready(now[0]) and now[0]


pod = eventually("a killed container restarted and Ready", restarted, 90)
check(pod["status"]["containerStatuses"][0]["lastState"]["terminated"]["exitCode"] != 0,
      f"lastState shows the kill: {pod['status']['containerStatuses'][0]}")
check_serving(pod)

# Scale to 0: the pods and their containers go. Back to 1: it serves again.
scale("web", 0)
eventually("web: no pods after scale to 0", lambda: not pods("web"), 30)
eventually("no containers after scale to 0", lambda: not containers(), 60)
scale("web", 1)
eventually("web: 1 ready replica after scale to 1", lambda: ready_replicas("web") == 1, 120)
check_serving(pods("web")[0])

# Deleting the Deployment removes the last container.
ok("DELETE", f"/apis/apps/v1/namespaces/{NS}/deployments/web")
eventually("no web pods after the delete", lambda: not pods("web"), 30)
eventually("no containers after the delete", lambda: not containers(), 60)

# One left running for the shutdown check.
ok("POST", f"/apis/apps/v1/namespaces/{NS}/deployments", deployment("last", 1, IMAGE))
eventually("last: 1 ready replica", lambda: ready_replicas("last") == 1, 120)
check(len(containers()) == 1, "one container runs before the shutdown")
print(json.dumps({"checks": checks, "total_s": round(time.monotonic() - started, 1),
                  **{k: round(v, 1) for k, v in timings.items()}}))
EOF

client_started_ms=$(now_ms)
# In the background: bash runs a trap (INT, TERM) only once a foreground command ends.
STANDIN_PORT=$(cat "$work/port") PODMAN="$dir/podman" NETWORK="$network" IMAGE="$image" \
  "$python" "$work/client.py" >"$work/client.out" 2>"$work/client.log" &
client_pid=$!
wait "$client_pid" || fail "the client script failed: $(cat "$work/client.log")"
client_pid=
client_s=$(seconds_since "$client_started_ms")
report=$(cat "$work/client.out")

grep -q -- "--creds tester:\*\*\*" "$work/apiserver.log" || fail "the bad image was not pulled with the pull secret"
if grep -q "pull-secret-password" "$work/apiserver.log"; then
  fail "the pull secret's password is in the log"
fi

# SIGTERM: the server removes the containers it started before it exits.
shutdown_started_ms=$(now_ms)
stop_server
shutdown_s=$(seconds_since "$shutdown_started_ms")
left=$("$dir/podman" ps -a -q --filter label=orsa-standin-pod)
[ -z "$left" ] || fail "containers left after the server stopped: $left"
grep -q "removed standin-standin-pods-last-" "$work/apiserver.log" ||
  fail "the server did not remove the last pod's container on SIGTERM"

checks=$("$python" -c 'import json, sys; print(json.loads(sys.argv[1])["checks"] + 4)' "$report")  # + the 4 above
echo "podman_pods_test: PASS: $checks checks; setup ${setup_s}s, client ${client_s}s, shutdown ${shutdown_s}s," \
  "total $(seconds_since "$started_ms")s"
echo "podman_pods_test: client timings (s): $report"
