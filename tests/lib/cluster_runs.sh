# Sourced by the cluster journeys (tests/kube, tests/cluster) after
# deployer.sh: the starter as a run through the runs API on a runtime whose
# jobs fetch their files from the jobs listener (ADR 0021), and the checks
# both journeys make of it. Uses the caller's fail and SRC.

run_field() {  # id python-expression-on-d token
  api GET "/api/v1/runs/$1" "$3" | json_get "$2"
}

wait_run() {  # id token → final status (up to 180 s)
  local status=queued
  for _ in $(seq 1 1800); do
    status=$(run_field "$1" 'd["status"]' "$2")
    case $status in queued | running) sleep 0.1 ;; *) break ;; esac
  done
  echo "$status"
}

submit_starter_run() {  # owner token → run id
  api POST "/api/v1/projects/$1/knapsack/runs" "$2" \
    "{\"input\":$(cat "$SRC/templates/python-flask/starter/input.json"),\"time_limit_s\":90}" |
    json_get 'd["id"]'
}

check_starter_run() {  # id token: succeeded, objective 15, CBC's log as the run's log
  local status
  status=$(wait_run "$1" "$2")
  [ "$status" = succeeded ] || fail "the run is $status: $(api GET "/api/v1/runs/$1" "$2")"
  api GET "/api/v1/runs/$1/result" "$2" | json_get 'd["objective"] == 15' | grep -qx True ||
    fail "unexpected result: $(api GET "/api/v1/runs/$1/result" "$2")"
  api GET "/api/v1/runs/$1/log" "$2" | grep -q "Result - Optimal solution found" ||
    fail "CBC's log is not the run's log: $(api GET "/api/v1/runs/$1/log" "$2" | head -n5)"
}

check_jobs_listener_refuses() {  # deployer-log run-id session-token
  local jobs_url code token
  jobs_url=$(sed -n 's/^ORSA jobs listener serving at //p' "$1" | tail -n1)
  [ -n "$jobs_url" ] || fail "the jobs listener's URL is not in the log"
  for token in "$3" not-a-token; do
    code=$(curl -sS -o /dev/null -w '%{http_code}' -m 5 -H "Authorization: Bearer $token" \
      "$jobs_url/jobs/$2/input.json")
    [ "$code" = 401 ] || fail "the jobs listener answered $code to a token that is not the job's"
  done
}
