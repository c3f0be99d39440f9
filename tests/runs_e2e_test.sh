#!/usr/bin/env bash
# Runs on real containers: a real orsa-deployer with its own podman service
# runs the starter and a probe model as jobs through the runs API.
#   runs_e2e_test.sh DEPLOYER BUILDER SOURCE_DIR BASE_DIR
# The python-or base comes from the base_python_or fixture in BASE_DIR
# (tests/lib/base_python_or.sh). Checked: the starter's answer and trace;
# a time limit (timed_out, log kept, no container left); cancel of a running
# run; ValueError → invalid_input; a crash → failed with the traceback in
# the log only; 10 MB of log kept bounded; the live log as an event stream;
# no network inside a run; an input over the limit refused with nothing
# stored; who sees a run; fair share between users with per-user limits;
# kill -9 of orsa-deployer mid-run, then the run adopted and finished.
set -euo pipefail
DEPLOYER=$1 BUILDER=$2 SRC=$3 BASE_DIR=$4
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/deployer.sh"
. "$here/lib/base_python_or.sh"

begin_test runs

export ORSA_ADMIN_PASSWORD=admin-password-for-runs
FLAGS=(--base-image orsa/base-python-or:latest --builder-bin "$BUILDER"
  --max-concurrent-runs 2 --max-runs-per-user 2 --max-run-input-mb 1)

wait_build() {  # build id → final status
  local status=queued
  for _ in $(seq 1 1200); do
    status=$(api GET "/api/v1/builds/$1" "$alice" | json_get 'd["status"]')
    case $status in succeeded | failed | canceled) break ;; esac
    sleep 0.1
  done
  echo "$status"
}

run_field() {  # id python-expression-on-d [token]
  api GET "/api/v1/runs/$1" "${3:-$alice}" | json_get "$2"
}

wait_run() {  # id [seconds] → final status
  local status=queued
  for _ in $(seq 1 $((${2:-120} * 10))); do
    status=$(run_field "$1" 'd["status"]')
    case $status in queued | running) sleep 0.1 ;; *) break ;; esac
  done
  echo "$status"
}

wait_running() {  # id
  for _ in $(seq 1 600); do
    [ "$(run_field "$1" 'd["status"]')" = running ] && return 0
    sleep 0.1
  done
  fail "run $1 did not start: $(api GET "/api/v1/runs/$1" "$alice")"
}

wait_log() {  # id text
  for _ in $(seq 1 600); do
    api GET "/api/v1/runs/$1/log" "$alice" | grep -q "$2" && return 0
    sleep 0.1
  done
  fail "run $1 never printed '$2': $(api GET "/api/v1/runs/$1/log" "$alice" | tail -n5)"
}

submit() {  # project json → run id
  local out
  out=$(api POST "/api/v1/projects/alice/$1/runs" "$alice" "$2")
  echo "$out" | json_get 'd["id"]' 2>/dev/null || fail "submit to $1: $out"
}

run_containers() {  # → ids of job containers of runs, running or not
  deployer_podman "$DATA" ps -a -q --filter label=orsa.run
}

build_project() {  # name → image id
  local build
  build=$(api POST "/api/v1/projects/alice/$1/builds" "$alice" '{}' | json_get 'd["id"]')
  [ "$(wait_build "$build")" = succeeded ] || fail "build $1: $(api GET "/api/v1/builds/$build/logs" "$alice")"
  api GET "/api/v1/builds/$build" "$alice" | json_get 'd["image_id"]'
}

step "a deployer with the python-or base; alice's starter and probe projects"
start_deployer "$DEPLOYER" "$work" "${FLAGS[@]}" || fail "deployer did not start"
[ -f "$BASE_DIR/recipe.sha256" ] || fail "no python-or base in '$BASE_DIR' (the base_python_or fixture)"
import_base_python_or "$BASE_DIR" || fail "loading the python-or base"
alice=$(register alice)
bob=$(register bob)
admin=$(curl -sSf "$URL/api/v1/auth/login" -H 'Content-Type: application/json' \
  -d "{\"username\":\"admin\",\"password\":\"$ORSA_ADMIN_PASSWORD\"}" | json_get 'd["token"]')
api POST /api/v1/projects "$alice" '{"name":"knapsack"}' >/dev/null
api POST /api/v1/projects "$alice" '{"name":"probe"}' >/dev/null
curl -sSf -X PUT "$URL/api/v1/projects/alice/probe/files/model.py" -H "Authorization: Bearer $alice" \
  --data-binary @"$here/fixtures/runs_probe_model.py" >/dev/null || fail "probe model upload"
build_project knapsack >/dev/null
probe_image=$(build_project probe)

step "the starter as a run: succeeded, objective 15, traced to its commit and image"
t0=$(date +%s%N)
run=$(submit knapsack "{\"input\":$(cat "$SRC/templates/python-flask/starter/input.json"),\"time_limit_s\":60}")
[ "$(wait_run "$run")" = succeeded ] || fail "starter run: $(api GET "/api/v1/runs/$run" "$alice")"
echo "starter run: submit → succeeded in $((($(date +%s%N) - t0) / 1000000)) ms"
api GET "/api/v1/runs/$run/result" "$alice" >"$work/result.json"
json_get 'd["objective"] == 15 and sorted(d["chosen"]) == ["food","lamp","stove","water"]' <"$work/result.json" |
  grep -qx True || fail "unexpected result: $(cat "$work/result.json")"
[ "$(run_field "$run" 'd["statistics"]["objective"] == 15')" = True ] || fail "objective not recorded: $(run_field "$run" 'd["statistics"]')"
head=$(api GET /api/v1/projects/alice/knapsack/commits "$alice" | json_get 'd["commits"][0]["sha"]')
[ "$(run_field "$run" 'd["trace"]["commit"]')" = "$head" ] || fail "trace commit is not the head $head"
digest=$(api GET /api/v1/projects/alice/knapsack/images "$alice" | json_get 'd["images"][0]["digest"]')
[ "$(run_field "$run" 'd["trace"]["image_digest"]')" = "$digest" ] || fail "trace digest is not $digest"
api GET "/api/v1/runs/$run/log" "$alice" | grep -q "Result - Optimal solution found" ||
  fail "CBC's log is not the run's log: $(api GET "/api/v1/runs/$run/log" "$alice" | head -n5)"
[ -z "$(run_containers)" ] || fail "containers left after a run: $(run_containers)"

step "who sees a run: the submitter and admins; another user 404, anonymous 401"
code() { curl -sS -o /dev/null -w '%{http_code}' "$URL$1" ${2:+-H "Authorization: Bearer $2"}; }
for path in "" /log /result /input; do
  [ "$(code "/api/v1/runs/$run$path" "$bob")" = 404 ] || fail "bob reads $path of alice's run"
  [ "$(code "/api/v1/runs/$run$path")" = 401 ] || fail "anonymous reads $path"
  [ "$(code "/api/v1/runs/$run$path" "$admin")" = 200 ] || fail "the admin cannot read $path"
done
[ "$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$URL/api/v1/projects/alice/probe/runs" \
  -H "Authorization: Bearer $bob" -H 'Content-Type: application/json' -d '{"input":{}}')" = 404 ] ||
  fail "bob submitted to alice's private project"

step "a model sleeping past its time limit: timed_out, log kept, no container left"
run=$(submit probe '{"input":{"mode":"sleep","seconds":60},"time_limit_s":3}')
[ "$(wait_run "$run" 60)" = timed_out ] || fail "sleep run: $(api GET "/api/v1/runs/$run" "$alice")"
api GET "/api/v1/runs/$run/log" "$alice" | grep -q '^tick 1$' || fail "the timed-out run's log is lost"
duration=$(run_field "$run" 'd["duration_s"]')
[ "$duration" -le 8 ] || fail "stopped after $duration s, not at the 3 s limit"
for _ in $(seq 1 50); do [ -z "$(run_containers)" ] && break; sleep 0.1; done
[ -z "$(run_containers)" ] || fail "containers left after a timeout: $(run_containers)"

step "a MIP stopped by its time limit: the run succeeds with the incumbent in time"
run=$(submit probe '{"input":{"mode":"mip"},"time_limit_s":10}')
[ "$(wait_run "$run" 60)" = succeeded ] || fail "mip: $(api GET "/api/v1/runs/$run" "$alice")"
api GET "/api/v1/runs/$run/result" "$alice" >"$work/mip.json"
json_get 'isinstance(d["objective"], (int, float))' <"$work/mip.json" | grep -qx True ||
  fail "no incumbent: $(cat "$work/mip.json")"
duration=$(run_field "$run" 'd["duration_s"]')
echo "market split: $(cat "$work/mip.json") in $duration s"
[ "$duration" -le 10 ] || fail "the MIP ran $duration s, past its 10 s limit"

step "the live log as an event stream, no inherited descriptors, then cancel of the running run"
run=$(submit probe '{"input":{"mode":"sleep","seconds":60},"time_limit_s":120}')
curl -sS -N "$URL/api/v1/runs/$run/log" -H "Authorization: Bearer $alice" \
  -H 'Accept: text/event-stream' --max-time 60 >"$work/stream.txt" &
stream=$!
wait_running "$run"
wait_log "$run" '^tick 1$'
# With a run's container up: nothing the deployer started (its podman
# service, the container's monitor) holds the deployer's sockets or files.
check_children_hold_no_deployer_fds "$DEPLOYER_PID" || fail "a child inherited a descriptor"
api POST "/api/v1/runs/$run/cancel" "$alice" '{}' >/dev/null
[ "$(wait_run "$run" 30)" = canceled ] || fail "cancel: $(api GET "/api/v1/runs/$run" "$alice")"
wait "$stream" || fail "the event stream did not end with the run"
grep -q '^data: tick 1$' "$work/stream.txt" || fail "no live lines in the stream: $(head -c 300 "$work/stream.txt")"
grep -q '^event: end$' "$work/stream.txt" || fail "the stream has no end event"
grep -A1 '^event: end$' "$work/stream.txt" | grep -q '"status":"canceled"' || fail "end event without the run"

step "ValueError → invalid_input with its message; a crash → failed, traceback in the log only"
run=$(submit probe '{"input":{"mode":"invalid"}}')
[ "$(wait_run "$run")" = invalid_input ] || fail "invalid: $(api GET "/api/v1/runs/$run" "$alice")"
run_field "$run" 'd["reason"]' | grep -q "capacity must be positive" || fail "reason lacks the message"
run=$(submit probe '{"input":{"mode":"crash"}}')
[ "$(wait_run "$run")" = failed ] || fail "crash: $(api GET "/api/v1/runs/$run" "$alice")"
api GET "/api/v1/runs/$run/log" "$alice" | grep -q "Traceback" || fail "no traceback in the log"
run_field "$run" 'd["reason"]' | grep -q "Traceback" && fail "the traceback leaked into the reason"
[ "$(code "/api/v1/runs/$run/result" "$alice")" = 404 ] || fail "a failed run has a result"

step "10 MB of log: the run succeeds, its log keeps head and tail within bounds"
run=$(submit probe '{"input":{"mode":"print","lines":110000}}')
[ "$(wait_run "$run")" = succeeded ] || fail "print: $(api GET "/api/v1/runs/$run" "$alice")"
api GET "/api/v1/runs/$run/log" "$alice" >"$work/big.log"
size=$(stat -c %s "$work/big.log")
echo "log of 11 MB printed kept as $size bytes"
[ "$size" -le $((8 * 1024 * 1024 + 72 * 1024)) ] || fail "the log is $size bytes"
grep -q "bytes of the log were dropped here" "$work/big.log" || fail "no note of the dropped bytes"
tail -n1 "$work/big.log" | grep -q '^line 109999 ' || fail "the log's tail is not its end"

step "no network inside a run"
port=${HOSTPORT##*:}
run=$(submit probe "{\"input\":{\"mode\":\"net\",\"targets\":[[\"127.0.0.1\",$port],[\"10.88.0.1\",$port],[\"1.1.1.1\",53]]}}")
[ "$(wait_run "$run")" = succeeded ] || fail "net: $(api GET "/api/v1/runs/$run" "$alice")"
reached=$(api GET "/api/v1/runs/$run/result" "$alice" | json_get 'd["reached"]')
[ "$reached" = "[]" ] || fail "a run reached $reached"

step "an input over the 1 MiB limit: 413, nothing stored"
blobs_before=$(find "$DATA/runs/sha256" -type f | wc -l)
runs_before=$(api GET /api/v1/projects/alice/probe/runs "$alice" | json_get 'len(d["runs"])')
python3 -c 'import json; print(json.dumps({"input": {"pad": "x" * (2 * 1024 * 1024)}}))' >"$work/big.json"
status=$(curl -sS -o "$work/413.json" -w '%{http_code}' -X POST "$URL/api/v1/projects/alice/probe/runs" \
  -H "Authorization: Bearer $alice" -H 'Content-Type: application/json' --data-binary @"$work/big.json")
[ "$status" = 413 ] || fail "an oversized input answered $status: $(cat "$work/413.json")"
[ "$(find "$DATA/runs/sha256" -type f | wc -l)" = "$blobs_before" ] || fail "the oversized input was stored"
[ "$(api GET /api/v1/projects/alice/probe/runs "$alice" | json_get 'len(d["runs"])')" = "$runs_before" ] ||
  fail "the oversized input was queued"

step "fair share: with 2 slots busy with alice's runs, bob's run starts before her queued ones"
deploy=$(api POST /api/v1/deployments "$alice" "{\"image_id\":\"$probe_image\",\"visibility\":\"public\"}" |
  json_get 'd["id"]')
for _ in $(seq 1 600); do
  [ "$(api GET "/api/v1/deployments/$deploy" "$alice" | json_get 'd["status"]')" = healthy ] && break
  sleep 0.1
done
# Alice's two runs hold both slots until they are canceled: what is queued
# meanwhile cannot start, however slow this script's own steps are.
a1=$(submit probe '{"input":{"mode":"sleep","seconds":300}}')
a2=$(submit probe '{"input":{"mode":"sleep","seconds":300}}')
wait_running "$a1"
wait_running "$a2"
a3=$(submit probe '{"input":{"mode":"sleep","seconds":1}}')
a4=$(submit probe '{"input":{"mode":"sleep","seconds":1}}')
b1=$(api POST /api/v1/projects/alice/probe/runs "$bob" '{"input":{"mode":"sleep","seconds":1}}' |
  json_get 'd["id"]') || fail "bob cannot submit to the public service"
# Bob has nothing running, so his run is next although alice's waited longer.
[ "$(run_field "$b1" 'd["queue_position"]' "$bob")" = 1 ] ||
  fail "bob's run is not next in the queue: $(api GET "/api/v1/runs/$b1" "$bob")"
[ "$(run_field "$a3" 'd["queue_position"]')" = 2 ] ||
  fail "alice's third run is not second in the queue: $(api GET "/api/v1/runs/$a3" "$alice")"
# The first slot to free goes to bob; alice's third starts only once bob's
# has ended, as she still has one running.
api POST "/api/v1/runs/$a1/cancel" "$alice" '{}' >/dev/null
[ "$(wait_run "$b1" 60)" = succeeded ] || fail "bob's run did not succeed"
api POST "/api/v1/runs/$a2/cancel" "$alice" '{}' >/dev/null
for r in "$a3" "$a4"; do [ "$(wait_run "$r" 60)" = succeeded ] || fail "run $r did not succeed"; done
for r in "$a1" "$a2"; do [ "$(wait_run "$r" 60)" = canceled ] || fail "run $r was not canceled"; done
b1_start=$(run_field "$b1" 'd["started_at"]' "$bob")
b1_end=$(run_field "$b1" 'd["finished_at"]' "$bob")
a3_start=$(run_field "$a3" 'd["started_at"]')
echo "bob's run started $b1_start, alice's third $a3_start"
[[ "$b1_start" < "$a3_start" ]] || fail "bob's run did not start before alice's queued one"
# Alice's limit is 2 at once: her third starts only after one of hers ended.
a1_end=$(run_field "$a1" 'd["finished_at"]')
[[ ! "$a3_start" < "$a1_end" ]] || fail "alice had 3 runs at once (a3 started $a3_start, a1 ended $a1_end)"
[[ ! "$a3_start" < "$b1_end" ]] || fail "3 runs at once with 2 slots (a3 started $a3_start, b1 ended $b1_end)"

step "kill -9 of orsa-deployer mid-run: the restarted control plane adopts and finishes it"
run=$(submit probe '{"input":{"mode":"sleep","seconds":8},"time_limit_s":60}')
wait_running "$run"
wait_log "$run" '^tick 1$'
kill -9 "$DEPLOYER_PID"
wait "$DEPLOYER_PID" 2>/dev/null || true
rm -f "$work/ready"
start_deployer "$DEPLOYER" "$work" "${FLAGS[@]}" || fail "restart"
status=$(wait_run "$run" 60)
[ "$status" = succeeded ] || fail "after the restart the run is $status: $(api GET "/api/v1/runs/$run" "$alice")"
api GET "/api/v1/runs/$run/log" "$alice" | grep -q '^tick 7$' || fail "the adopted run's log is incomplete"
for _ in $(seq 1 50); do [ -z "$(run_containers)" ] && break; sleep 0.1; done
[ -z "$(run_containers)" ] || fail "containers left after the adopted run: $(run_containers)"

echo "PASS: runs on real containers in $(($(date +%s) - started_at)) s"
