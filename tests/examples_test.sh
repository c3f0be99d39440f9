#!/usr/bin/env bash
# The example projects (examples/) end to end on a real orsa-deployer with
# its own podman service: each is created through the API from its example,
# built on the python-or base, and its README's known answer checked —
# blend, transportation and sudoku deployed and called with their
# input.json; facility-location submitted as a run with a time limit, its
# incumbent checked for feasibility against the regenerated instance.
#   examples_test.sh DEPLOYER BUILDER SOURCE_DIR BASE_DIR
# The python-or base comes from the base_python_or fixture in BASE_DIR
# (tests/lib/base_python_or.sh); the answers are checked by
# tests/examples_check.py, which also runs each model on bad input first.
set -euo pipefail
DEPLOYER=$1 BUILDER=$2 SRC=$3 BASE_DIR=$4
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/deployer.sh"
. "$here/lib/base_python_or.sh"

begin_test examples
EXAMPLES=(blend transportation sudoku facility-location)
SERVICES=(blend transportation sudoku)
check() { /usr/bin/python3 "$here/examples_check.py" "$@"; }
code() { curl -sS -o "$work/code.out" -w '%{http_code}' "$@"; }

wait_for() {  # seconds python-condition-on-d path → the last answer
  local out
  for _ in $(seq 1 $(($1 * 10))); do
    out=$(api GET "$3" "$alice")
    [ "$(echo "$out" | json_get "$2")" = True ] && break
    sleep 0.1
  done
  echo "$out"
}

step "each model on bad input raises ValueError (this machine's PuLP and CBC)"
check models "$SRC/examples" >/dev/null || fail "a model accepts bad input"

step "a deployer with the python-or base"
export ORSA_ADMIN_PASSWORD=admin-password-for-examples
start_deployer "$DEPLOYER" "$work" --base-image orsa/base-python-or:latest \
  --builder-bin "$BUILDER" || fail "deployer did not start"
[ -f "$BASE_DIR/recipe.sha256" ] || fail "no python-or base in '$BASE_DIR' (the base_python_or fixture)"
import_base_python_or "$BASE_DIR" || fail "loading the python-or base"
alice=$(register alice)

step "GET /api/v1/examples: the four, titled by their READMEs' first headings"
api GET /api/v1/examples "$alice" >"$work/examples.json"
[ "$(json_get '" ".join(e["name"] for e in d["examples"])' <"$work/examples.json")" = \
  "blend facility-location sudoku transportation" ] || fail "examples: $(cat "$work/examples.json")"
for e in "${EXAMPLES[@]}"; do
  title=$(sed -n '1s/^# //p' "$SRC/examples/$e/README.md")
  [ "$(json_get "next(x['title'] for x in d['examples'] if x['name'] == '$e')" <"$work/examples.json")" = "$title" ] ||
    fail "$e is not titled '$title': $(cat "$work/examples.json")"
done
[ "$(code "$URL/api/v1/examples")" = 401 ] || fail "anonymous listing of examples"

step "refused: an unknown example (400 naming the known ones), an example with another template"
[ "$(code -X POST "$URL/api/v1/projects" -H "Authorization: Bearer $alice" -H "Content-Type: application/json" \
  -d '{"name":"x","example":"knapsack-deluxe"}')" = 400 ] || fail "unknown example: $(cat "$work/code.out")"
grep -q "blend, facility-location, sudoku, transportation" "$work/code.out" ||
  fail "the 400 does not list the examples: $(cat "$work/code.out")"
[ "$(code -X POST "$URL/api/v1/projects" -H "Authorization: Bearer $alice" -H "Content-Type: application/json" \
  -d '{"name":"x","example":"blend","template":"other"}')" = 400 ] || fail "example + template: $(cat "$work/code.out")"
[ "$(api GET /api/v1/projects "$alice" | json_get 'len(d["projects"])')" = 0 ] || fail "a refused create left a project"

step "a project from each example holds the example's files; all four built"
declare -A build
for e in "${EXAMPLES[@]}"; do
  api POST /api/v1/projects "$alice" "{\"name\":\"$e\",\"example\":\"$e\"}" >"$work/create.json"
  [ "$(json_get 'd["name"]' <"$work/create.json")" = "$e" ] || fail "create $e: $(cat "$work/create.json")"
  for f in model.py input.json orsa.toml README.md; do
    curl -sSf "$URL/api/v1/projects/alice/$e/files/$f" -H "Authorization: Bearer $alice" >"$work/file" ||
      fail "$e has no $f"
    cmp -s "$work/file" "$SRC/examples/$e/$f" || fail "$e/$f differs from examples/$e/$f"
  done
  build[$e]=$(api POST "/api/v1/projects/alice/$e/builds" "$alice" '{}' | json_get 'd["id"]')
done
declare -A image
for e in "${EXAMPLES[@]}"; do
  out=$(wait_for 300 'd["status"] in ("succeeded", "failed", "canceled")' "/api/v1/builds/${build[$e]}")
  [ "$(echo "$out" | json_get 'd["status"]')" = succeeded ] ||
    fail "build $e: $out $(api GET "/api/v1/builds/${build[$e]}/logs" "$alice" | tail -n 20)"
  image[$e]=$(echo "$out" | json_get 'd["image_id"]')
done
echo "built in $(($(date +%s) - started_at)) s"

step "facility-location as a run with a 20 s limit; meanwhile the other three deployed"
run=$(api POST /api/v1/projects/alice/facility-location/runs "$alice" \
  '{"input_file":"input.json","time_limit_s":20}' | json_get 'd["id"]') || fail "submit the run"
declare -A deployment
for e in "${SERVICES[@]}"; do
  deployment[$e]=$(api POST /api/v1/deployments "$alice" "{\"image_id\":\"${image[$e]}\"}" |
    json_get 'd["id"]') || fail "deploy $e"
done

step "blend, transportation, sudoku: POST /solve with input.json gives the known answer"
for e in "${SERVICES[@]}"; do
  out=$(wait_for 180 'd["status"] in ("healthy", "failed")' "/api/v1/deployments/${deployment[$e]}")
  [ "$(echo "$out" | json_get 'd["status"]')" = healthy ] || fail "deployment of $e: $out"
  status=$(code -X POST "$SERVICES_URL/alice/$e/solve" -H "Authorization: Bearer $alice" \
    -H 'Content-Type: application/json' --data-binary @"$SRC/examples/$e/input.json")
  [ "$status" = 200 ] || fail "solve $e answered $status: $(cat "$work/code.out")"
  cp "$work/code.out" "$work/$e.json"
  check answer "$SRC/examples/$e" "$work/$e.json" || fail "$e: $(cat "$work/$e.json")"
done
status=$(code -X POST "$SERVICES_URL/alice/sudoku/solve" -H "Authorization: Bearer $alice" \
  -H 'Content-Type: application/json' -d '{"grid":[[1,2,3]]}')
[ "$status" = 422 ] || fail "a bad grid answered $status: $(cat "$work/code.out")"
grep -q "list of 9 rows" "$work/code.out" || fail "422 without the model's message: $(cat "$work/code.out")"

step "facility-location: the run succeeded in time; its incumbent is feasible and no worse than the greedy start"
out=$(wait_for 120 'd["status"] not in ("queued", "running")' "/api/v1/runs/$run")
[ "$(echo "$out" | json_get 'd["status"]')" = succeeded ] || fail "run: $out"
# Past its 20 s the run would have ended timed_out: succeeded means CBC
# stopped in time (duration_s also counts the container's start).
echo "run: $(echo "$out" | json_get 'd["duration_s"]') s from start to result"
api GET "/api/v1/runs/$run/log" "$alice" >"$work/run.log"
grep -q "command line - cbc .* sec 15 " "$work/run.log" ||
  fail "CBC did not get the time limit less the margin: $(head -n 20 "$work/run.log")"
api GET "/api/v1/runs/$run/result" "$alice" >"$work/facility-location.json"
check answer "$SRC/examples/facility-location" "$work/facility-location.json" ||
  fail "facility-location: $(head -c 400 "$work/facility-location.json")"
grep -q "MIPStart provided solution" "$work/run.log" ||
  fail "CBC did not start from the greedy plan: $(head -n 20 "$work/run.log")"
grep -E "^Result - |^Gap:" "$work/run.log" || true
json_get '{k: d[k] for k in ("solution_status", "binaries", "greedy_cost", "objective")}' \
  <"$work/facility-location.json"

echo "PASS: the examples' known answers in $(($(date +%s) - started_at)) s"
