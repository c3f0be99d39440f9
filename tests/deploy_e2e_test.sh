#!/usr/bin/env bash
# Deployments end to end on real parts: orsa-deployer (which starts its own
# podman service), orsa-builder, the python-or base, runc containers.
#   deploy_e2e_test.sh DEPLOYER BUILDER SOURCE_DIR
# The knapsack starter is built and deployed, answers through the gateway;
# the same image runs the starter as a job; a killed container comes back; a
# new version replaces it with no failed request; a version that crashes at import fails and leaves the old one
# serving; another user sees nothing; after a kill -9 of orsa-deployer the
# same containers are adopted; an idle deployment is paused, then stopped by the
# collector and woken by a request; deleting it leaves nothing behind.
set -euo pipefail
DEPLOYER=$1 BUILDER=$2 SRC=$3
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/deployer.sh"

begin_test deploy

dpod() { deployer_podman "$DATA" "$@"; }

export ORSA_ADMIN_PASSWORD=admin-password-for-e2e
FLAGS=(--base-image orsa/base-python-or:latest --health-timeout 60s)
start_deployer "$DEPLOYER" "$work" "${FLAGS[@]}" || fail "deployer did not start"

step "base image (mmdebstrap)"
ORSA_REGISTRY_USERNAME=admin ORSA_REGISTRY_PASSWORD=$ORSA_ADMIN_PASSWORD \
  "$BUILDER" base build python-or --bases-dir "$SRC/templates/bases" --registry "$URL" \
  --work-dir "$work" >"$work/base.out" || { cat "$work/base.out"; fail "base build"; }

alice=$(register alice)
bob=$(register bob)
admin=$(curl -sSf "$URL/api/v1/auth/login" -H 'Content-Type: application/json' \
  -d "{\"login\":\"admin\",\"password\":\"$ORSA_ADMIN_PASSWORD\"}" | json_get 'd["token"]')
api POST /api/v1/projects "$alice" '{"name":"knapsack"}' >/dev/null

build_image() { build_head alice knapsack "$alice"; }  # → image id of a new build of head

deploy() {  # image_id → deployment id
  api POST /api/v1/deployments "$alice" "{\"image_id\":\"$1\"}" | json_get 'd["id"]'
}

wait_status() { wait_deployment "$alice" "$@"; }  # deployment_id wanted... → final status

solve() {  # [token] → prints the HTTP status and body "CODE BODY"
  curl -sS -o "$work/solve.out" -w '%{http_code}' -X POST "$SERVICES_URL/alice/knapsack/solve" \
    -H "Authorization: Bearer ${1:-$alice}" -H 'Content-Type: application/json' \
    --data-binary @"$SRC/templates/python-flask/starter/input.json"
  echo " $(cat "$work/solve.out")"
}

objective() { solve | cut -d' ' -f2- | json_get 'd["objective"]'; }

containers_of() {  # deployment id → ids of its containers (any state)
  dpod ps -a -q --filter "label=orsa.deployment=$1"
}

step "build and deploy the starter"
image1=$(build_image)
deploy_started=$(date +%s%N)
dep1=$(deploy "$image1")
[ -n "$dep1" ] || fail "deploy answered no id"
status=$(wait_status "$dep1" healthy failed)
echo "deploy → healthy: $((($(date +%s%N) - deploy_started) / 1000000)) ms"
[ "$status" = healthy ] || fail "first deployment is $status: $(api GET "/api/v1/deployments/$dep1" "$alice")"
answer=$(solve)
echo "solve: $answer"
[ "${answer%% *}" = 200 ] || fail "solve through the gateway: $answer"
[ "$(objective)" = 15.0 ] || fail "wrong optimum: $answer"

step "the image runs the starter as a job (python -m orsa_service.run)"
# As the runtime's jobs run it: no network, read-only root, no capabilities,
# the image's own user, input and options read-only, output on a tmpfs.
job_image=$(dpod inspect -f '{{.ImageName}}' "$(containers_of "$dep1")")
run_job() {  # name input-file → exit code; output in $work/<name>/out, log in $work/<name>.log
  local dir=$work/$1
  mkdir -p "$dir/out"
  mount -t tmpfs -o size=1m,mode=0777 orsa-e2e-job "$dir/out"
  install -m 0444 "$2" "$dir/input.json"
  echo '{"time_limit_s": 20, "seed": 1}' >"$dir/options.json"
  chmod 0444 "$dir/options.json"
  dpod run --rm --network none --read-only --tmpfs /tmp:rw,size=64m,mode=1777 --cap-drop ALL \
    --security-opt no-new-privileges -v "$dir/input.json:/job/input.json:ro" \
    -v "$dir/options.json:/job/options.json:ro" -v "$dir/out:/job/out" \
    "$job_image" python3 -m orsa_service.run >"$work/$1.log" 2>&1 && echo 0 || echo $?
}
job_started=$(date +%s%N)
[ "$(run_job job-ok "$SRC/templates/python-flask/starter/input.json")" = 0 ] ||
  { cat "$work/job-ok.log"; fail "the starter as a job"; }
echo "job (podman run, starter): $((($(date +%s%N) - job_started) / 1000000)) ms"
[ "$(json_get 'd["objective"]' <"$work/job-ok/out/result.json")" = 15.0 ] ||
  fail "job result: $(cat "$work/job-ok/out/result.json")"
grep -q "command line - cbc .* sec 18 " "$work/job-ok.log" || fail "CBC's log with its time limit is not the job's log"
echo '{"capacity": -1, "items": []}' >"$work/bad-input.json"
[ "$(run_job job-bad "$work/bad-input.json")" = 3 ] || { cat "$work/job-bad.log"; fail "invalid input's exit code"; }
[ "$(json_get 'd["status"] + ": " + d["message"]' <"$work/job-bad/out/error.json")" = \
  "invalid_input: 'capacity' must be a non-negative number" ] || fail "job error: $(cat "$work/job-bad/out/error.json")"

step "tenant isolation"
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
[ "$(code "$URL/api/v1/deployments/$dep1" -H "Authorization: Bearer $bob")" = 404 ] || fail "bob sees the deployment"
[ "$(code -X POST "$URL/api/v1/deployments/$dep1/stop" -H "Authorization: Bearer $bob")" = 404 ] || fail "bob stops it"
[ "$(code -X DELETE "$URL/api/v1/deployments/$dep1" -H "Authorization: Bearer $bob")" = 404 ] || fail "bob deletes it"
[ "$(code -X POST "$URL/api/v1/deployments" -H "Authorization: Bearer $bob" -H 'Content-Type: application/json' \
  -d "{\"image_id\":\"$image1\"}")" = 404 ] || fail "bob deploys alice's image"
[ "$(api GET /api/v1/deployments "$bob" | json_get 'len(d["deployments"])')" = 0 ] || fail "bob lists it"

step "one machine runs one replica"
[ "$(api GET "/api/v1/deployments/$dep1" "$alice" | json_get 'd["replicas"]')" = 1 ] || fail "replicas is not 1"
[ "$(code -X POST "$URL/api/v1/deployments" -H "Authorization: Bearer $alice" -H 'Content-Type: application/json' \
  -d "{\"image_id\":\"$image1\",\"replicas\":2}")" = 400 ] || fail "podman accepted 2 replicas"
[ "$(api GET /api/v1/deployments "$alice" | json_get 'len(d["deployments"])')" = 1 ] || fail "a refused deploy left a row"
[ "$(solve "$bob" | cut -d' ' -f1)" = 404 ] || fail "bob calls the private deployment"
[ "$(code -X POST "$SERVICES_URL/alice/knapsack/solve")" = 404 ] || fail "an anonymous caller reaches it"
[ "$(code "$SERVICES_URL/alice/nothing/")" = 404 ] || fail "an unknown project is not 404"
# ORSA's session cookies do not open a private service: bearer tokens only.
cookie=$(curl -sS -D - -o /dev/null "$URL/api/v1/auth/login" -H 'Content-Type: application/json' \
  -d '{"login":"alice","password":"password-1234"}' | sed -n 's/^[Ss]et-[Cc]ookie: \(orsa_[a-z]*=[^;]*\).*/\1/p' | paste -sd';')
[ -n "$cookie" ] || fail "no session cookies from login"
# (A GET: no CSRF header would be needed for it on ORSA's API either.)
[ "$(code "$SERVICES_URL/alice/knapsack/healthz" -H "Cookie: $cookie")" = 404 ] ||
  fail "ORSA's cookies open the private service"
[ "$(code "$SERVICES_URL/alice/knapsack/healthz" -H "Authorization: Bearer $alice")" = 200 ] ||
  fail "alice's bearer token does not open her private service"

step "the service is not on ORSA's origin"
url=$(api GET "/api/v1/deployments/$dep1" "$alice" | json_get 'd["url"]')
[ "$url" = "$SERVICES_URL/alice/knapsack/" ] || fail "deployment url is $url, not on $SERVICES_URL"
[ "$SERVICES_URL" != "$URL" ] || fail "services share ORSA's origin"
legacy=$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' -X POST "$URL/s/alice/knapsack/solve" \
  -H "Authorization: Bearer $alice" -H 'Content-Type: application/json' -d '{}')
[ "$legacy" = "308 $SERVICES_URL/alice/knapsack/solve" ] || fail "/s/ on ORSA's origin answered: $legacy"
csp=$(curl -sS -D - -o /dev/null -X POST "$SERVICES_URL/alice/knapsack/solve" -H "Authorization: Bearer $alice" \
  -H 'Content-Type: application/json' --data-binary @"$SRC/templates/python-flask/starter/input.json" |
  tr -d '\r' | sed -n 's/^[Cc]ontent-[Ss]ecurity-[Pp]olicy: //p')
case "$csp" in *sandbox*) ;; *) fail "no sandbox on the shared services origin: '$csp'" ;; esac
[ "$(code "$URL/api/v1/deployments/$dep1" -H "Authorization: Bearer $admin")" = 200 ] || fail "the admin cannot see it"

step "container hardening and its own network"
cid=$(containers_of "$dep1")
net=$(dpod inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}' "$cid")
ip=$(dpod inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$cid")
[ "$net" = "orsa-net-$dep1" ] || fail "the container is on network '$net'"
[ "$(dpod network inspect -f '{{.Internal}}' "$net")" = true ] || fail "$net is not internal"
dpod exec "$cid" sh -c 'grep -E "^(CapEff|NoNewPrivs)" /proc/1/status; id -u' >"$work/hardening.txt"
grep -q "^CapEff:.*0000000000000000" "$work/hardening.txt" || fail "capabilities: $(cat "$work/hardening.txt")"
grep -q "^NoNewPrivs:.*1" "$work/hardening.txt" || fail "no_new_privs: $(cat "$work/hardening.txt")"
[ "$(tail -n1 "$work/hardening.txt")" = 65534 ] || fail "the service runs as uid $(tail -n1 "$work/hardening.txt")"
# The attack: from inside alice's service, reach the control plane (on the
# host's loopback and on the host's address on the bridge), the metadata
# address, podman's default network (where every tenant used to be) and
# the outside. Each must fail; the gateway reached the service above.
gw=${ip%.*}.1
port=${HOSTPORT##*:}
cat >"$work/probe.py" <<PY
import socket
for name, host, port in [("control-plane-loopback", "127.0.0.1", $port),
                         ("control-plane-bridge", "$gw", $port),
                         ("metadata", "169.254.169.254", 80),
                         ("default-network", "10.88.0.1", $port),
                         ("outside", "192.0.2.1", 443)]:
    s = socket.socket()
    s.settimeout(3)
    try:
        s.connect((host, port))
        print(name, "reached")
    except OSError as e:
        print(name, "blocked", e)
PY
dpod exec -i "$cid" python3 - <"$work/probe.py" >"$work/probe.txt" 2>&1 || fail "probe: $(cat "$work/probe.txt")"
cat "$work/probe.txt"
[ "$(grep -c ' blocked ' "$work/probe.txt")" = 5 ] || fail "reachable from inside the service: $(grep reached "$work/probe.txt")"
step "egress is an admin setting"
patch_egress() {  # token → HTTP status
  code -X PATCH "$URL/api/v1/admin/projects/alice/knapsack" -H "Authorization: Bearer $1" \
    -H 'Content-Type: application/json' -d '{"allow_egress":true}'
}
[ "$(patch_egress "$alice")" = 403 ] || fail "the owner allows egress herself"
[ "$(patch_egress "$bob")" = 404 ] || fail "bob sees alice's project through the admin route"
[ "$(patch_egress "$admin")" = 200 ] || fail "the admin cannot allow egress"
[ "$(api GET /api/v1/projects/alice/knapsack "$alice" | json_get 'd["allow_egress"]')" = True ] || fail "allow_egress not shown"
step "logs and metrics"
api GET "/api/v1/deployments/$dep1/logs?tail=50" "$alice" >"$work/logs.txt"
grep -qi "listening at\|booting worker" "$work/logs.txt" || fail "no gunicorn lines in the log: $(cat "$work/logs.txt")"
ok=$(api GET "/api/v1/deployments/$dep1/metrics" "$alice" | json_get 'd["requests"]["2xx"]')
[ "$ok" -ge 2 ] || fail "metrics count $ok 2xx requests"
# The starter's orsa.toml asks for 2 workers: calls beyond them would queue.
load=$(api GET "/api/v1/deployments/$dep1/metrics" "$alice" | json_get '(d["workers"], d["queued"])')
[ "$load" = "(2, 0)" ] || fail "workers and queued calls: $load"
# Into a file first: `curl | grep -q` fails under pipefail when grep stops reading early.
curl -sSf "$URL/metrics" -H "Authorization: Bearer $admin" >"$work/metrics.txt" || fail "GET /metrics"
grep -q "orsa_gateway_requests_total{deployment=\"$dep1\",owner=\"alice\",project=\"knapsack\"" "$work/metrics.txt" ||
  fail "no gateway series on /metrics: $(grep -c '' "$work/metrics.txt") lines, $(grep orsa_gateway "$work/metrics.txt" | head -3)"
grep -q "orsa_gateway_queued{deployment=\"$dep1\",owner=\"alice\",project=\"knapsack\"} 0" "$work/metrics.txt" ||
  fail "no queued-calls gauge on /metrics"

step "a killed container is restored"
cid=$(containers_of "$dep1")
[ "$(echo "$cid" | wc -w)" = 1 ] || fail "expected one container, got: $cid"
pid=$(dpod inspect -f '{{.State.Pid}}' "$cid")
kill -9 "$pid"
restored=no
for _ in $(seq 1 600); do
  if [ "$(solve | cut -d' ' -f1)" = 200 ]; then restored=yes; break; fi
  sleep 0.1
done
[ $restored = yes ] || fail "not restored after kill -9"
restarts=$(api GET "/api/v1/deployments/$dep1" "$alice" | json_get 'd["restarts"]')
[ "$restarts" -ge 1 ] || fail "restart not counted"

step "blue/green: a new version, no failed request during the switch"
model=$(curl -sS "$URL/api/v1/projects/alice/knapsack/files/model.py" -H "Authorization: Bearer $alice")
# Doubling every value doubles the optimum: the new version answers 30.
changed=$(printf '%s\n' "$model" | python3 -c 'import sys; s=sys.stdin.read(); print(s.replace("def solve(", "def _solve_once(", 1) + "\n\ndef solve(data):\n    result = _solve_once(data)\n    result[\"objective\"] = result[\"objective\"] * 2\n    return result\n")')
printf '%s' "$changed" | curl -sSf -X PUT "$URL/api/v1/projects/alice/knapsack/files/model.py" \
  -H "Authorization: Bearer $alice" --data-binary @- >/dev/null || fail "saving model.py"
image2=$(build_image)
: >"$work/loop.codes"
(
  while [ ! -e "$work/loop.stop" ]; do
    curl -s -o /dev/null -w '%{http_code}\n' -X POST "$SERVICES_URL/alice/knapsack/solve" \
      -H "Authorization: Bearer $alice" -H 'Content-Type: application/json' \
      --data-binary @"$SRC/templates/python-flask/starter/input.json" >>"$work/loop.codes"
  done
) &
loop=$!
dep2=$(deploy "$image2")
status=$(wait_status "$dep2" healthy failed)
[ "$status" = healthy ] || fail "second deployment is $status"
for _ in $(seq 1 300); do
  [ "$(api GET "/api/v1/deployments/$dep1" "$alice" | json_get 'd["status"]')" = stopped ] && break
  sleep 0.1
done
sleep 1
touch "$work/loop.stop"
wait "$loop"
total=$(wc -l <"$work/loop.codes")
bad=$(grep -vc '^200$' "$work/loop.codes" || true)
echo "requests during the switch: $total, not 200: $bad"
[ "$total" -ge 10 ] || fail "the client loop made only $total requests"
[ "$bad" = 0 ] || fail "$bad failed requests during the switch: $(sort "$work/loop.codes" | uniq -c)"
[ "$(objective)" = 30.0 ] || fail "the new version does not answer"
# "stopped" is written when the old version leaves the routes; its container
# then drains, gets its SIGTERM and is removed.
for _ in $(seq 1 300); do
  [ -z "$(containers_of "$dep1")" ] && break
  sleep 0.1
done
[ -z "$(containers_of "$dep1")" ] || fail "the old version's container is left"
# Egress was allowed before this rollout: the new version has a routed network.
cid2=$(containers_of "$dep2")
net2=$(dpod inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}' "$cid2")
[ "$net2" = "orsa-net-$dep2-egress" ] || fail "the new version is on network '$net2'"
[ "$(dpod network inspect -f '{{.Internal}}' "$net2")" = false ] || fail "$net2 has no egress"
reason=$(api GET "/api/v1/deployments/$dep1" "$alice" | json_get 'd["status_reason"]')
[ "$reason" = "replaced by $dep2" ] || fail "old deployment reason: $reason"

step "a version that crashes at import fails; the old one keeps serving"
printf 'raise RuntimeError("model is broken on purpose")\n' | curl -sSf -X PUT \
  "$URL/api/v1/projects/alice/knapsack/files/model.py" -H "Authorization: Bearer $alice" --data-binary @- >/dev/null
image3=$(build_image)
dep3=$(deploy "$image3")
status=$(wait_status "$dep3" healthy failed)
[ "$status" = failed ] || fail "the broken version is $status"
reason=$(api GET "/api/v1/deployments/$dep3" "$alice" | json_get 'd["status_reason"]')
echo "$reason" | grep -q "model is broken on purpose" || fail "the reason lacks the log lines: $reason"
[ -z "$(containers_of "$dep3")" ] || fail "the failed version left a container"
[ "$(objective)" = 30.0 ] || fail "the old version stopped serving"

step "kill -9 of orsa-deployer: containers adopted, no duplicates"
before=$(containers_of "$dep2")
kill -9 "$DEPLOYER_PID"
wait "$DEPLOYER_PID" 2>/dev/null || true
rm -f "$work/ready"
start_deployer "$DEPLOYER" "$work" "${FLAGS[@]}" --pause-idle 2s --gc-idle 8s --gc-interval 0 ||
  fail "restart"
for _ in $(seq 1 300); do
  [ "$(solve | cut -d' ' -f1)" = 200 ] && break
  sleep 0.1
done
[ "$(objective)" = 30.0 ] || fail "not serving after the restart"
after=$(containers_of "$dep2")
[ "$before" = "$after" ] || fail "containers before ($before) and after ($after) the restart differ"
[ "$(dpod ps -q --filter label=orsa.managed=true | wc -l)" = 1 ] || fail "duplicate containers: $(dpod ps)"

step "paused when idle: frozen, memory kept, thawed by the next request"
status_of() { api GET "/api/v1/deployments/$1" "$alice" | json_get 'd["status"]'; }
for _ in $(seq 1 200); do  # 2 s idle, then the next reconcile pass (every 5 s)
  [ "$(status_of "$dep2")" = paused ] && break
  sleep 0.1
done
[ "$(status_of "$dep2")" = paused ] || fail "not paused when idle: $(api GET "/api/v1/deployments/$dep2" "$alice")"
frozen=$(containers_of "$dep2")
[ "$(dpod inspect --format '{{.State.Status}}' "$frozen")" = paused ] || fail "the container is not frozen"
start_ns=$(date +%s%N)
answer=$(solve)
thaw_ms=$((($(date +%s%N) - start_ns) / 1000000))
echo "thawed by a request in ${thaw_ms} ms: $answer"
[ "${answer%% *}" = 200 ] || fail "the paused deployment did not answer: $answer"
[ "$(objective)" = 30.0 ] || fail "wrong answer after the thaw"
[ "$(containers_of "$dep2")" = "$frozen" ] || fail "thawed by starting another container"
[ "$(status_of "$dep2")" = healthy ] || fail "not healthy after the thaw"

step "collector: dry run, run; idle stop and wake"
gc() { api POST /api/v1/admin/gc "$admin" "{\"dry_run\":$1}"; }
gc true >"$work/gc-dry.json"
python3 - "$work/gc-dry.json" "$image2" <<'PY' || fail "dry run report: $(cat "$work/gc-dry.json")"
import json, sys
report = json.load(open(sys.argv[1]))
assert report["dry_run"] is True
assert sys.argv[2] not in [i["id"] for i in report["images"]], "a deployed image would be deleted"
PY
sleep 9  # longer than --gc-idle, with no request in between (it is paused meanwhile)
gc false >"$work/gc.json"
python3 - "$work/gc.json" "$dep2" "$image2" <<'PY' || fail "gc report: $(cat "$work/gc.json")"
import json, sys
report = json.load(open(sys.argv[1]))
assert sys.argv[2] in [s["deployment_id"] for s in report["idle_stopped"]], "not stopped as idle"
assert sys.argv[3] not in [i["id"] for i in report["images"]], "the deployed image was deleted"
PY
[ "$(api GET "/api/v1/deployments/$dep2" "$alice" | json_get 'd["status"] + " " + d["status_reason"]')" = "stopped idle" ] ||
  fail "idle deployment is $(api GET "/api/v1/deployments/$dep2" "$alice")"
api GET "/api/v1/images/$image2" "$alice" | json_get 'd["id"]' >/dev/null || fail "deployed image deleted"
start_ns=$(date +%s%N)
answer=$(solve)
wake_ms=$((($(date +%s%N) - start_ns) / 1000000))
echo "woken by a request in ${wake_ms} ms: $answer"
[ "${answer%% *}" = 200 ] || fail "the idle deployment did not wake: $answer"
[ "$(api GET "/api/v1/deployments/$dep2" "$alice" | json_get 'd["status"]')" = healthy ] || fail "not healthy after waking"

step "delete"
[ "$(code -X DELETE "$URL/api/v1/deployments/$dep2" -H "Authorization: Bearer $alice")" = 204 ] || fail "delete"
[ -z "$(containers_of "$dep2")" ] || fail "container left after delete"
[ "$(solve | cut -d' ' -f1)" = 503 ] || fail "a project with only stopped deployments should answer 503"
for d in "$dep1" "$dep3"; do
  [ "$(code -X DELETE "$URL/api/v1/deployments/$d" -H "Authorization: Bearer $alice")" = 204 ] || fail "delete $d"
done
[ "$(solve | cut -d' ' -f1)" = 404 ] || fail "a project without deployments should answer 404"
[ -z "$(dpod ps -a -q --filter label=orsa.managed=true)" ] || fail "containers left: $(dpod ps -a)"
[ -z "$(dpod network ls -q --filter label=orsa.managed=true)" ] || fail "networks left: $(dpod network ls)"
echo "deploy e2e ok"
