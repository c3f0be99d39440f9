#!/usr/bin/env bash
# Selling a model: consumer keys and usage metering on real containers. A
# real orsa-deployer with its own podman service deploys alice's starter
# (private) and bob's (public); alice issues keys to customers, who call the
# service and submit runs with the key alone.
#   consumer_keys_e2e_test.sh DEPLOYER BUILDER SOURCE_DIR BASE_DIR
# Checked: key × project × route (its project only; the gateway and the
# runs API only); the rate limit and the monthly request quota exactly at
# their boundary; revocation; metered totals equal to the requests a
# bounded load loop made, across a graceful restart; the usage as CSV.
set -euo pipefail
DEPLOYER=$1 BUILDER=$2 SRC=$3 BASE_DIR=$4
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/deployer.sh"
. "$here/lib/base_python_or.sh"

begin_test consumers

export ORSA_ADMIN_PASSWORD=admin-password-for-consumers
FLAGS=(--base-image orsa/base-python-or:latest --builder-bin "$BUILDER" --health-timeout 60s
  --usage-flush-interval 1s)
INPUT=$SRC/templates/python-flask/starter/input.json

wait_for() {  # token path python-condition-on-d [seconds] → waits until true
  for _ in $(seq 1 $((${4:-120} * 10))); do
    [ "$(api GET "$2" "$1" | json_get "$3" 2>/dev/null)" = True ] && return 0
    sleep 0.1
  done
  fail "GET $2 never satisfied $3: $(api GET "$2" "$1")"
}

# owner project visibility → the project's image, deployed and healthy
publish() {
  local owner=$1 token=$2 project=$3 visibility=$4 build image dep
  api POST /api/v1/projects "$token" "{\"name\":\"$project\"}" >/dev/null
  build=$(api POST "/api/v1/projects/$owner/$project/builds" "$token" '{}' | json_get 'd["id"]')
  wait_for "$token" "/api/v1/builds/$build" 'd["status"] in ("succeeded", "failed")' 300
  image=$(api GET "/api/v1/builds/$build" "$token" | json_get 'd["image_id"]')
  [ "$image" != None ] || fail "build of $project: $(api GET "/api/v1/builds/$build/logs" "$token")"
  dep=$(api POST /api/v1/deployments "$token" \
    "{\"image_id\":\"$image\",\"visibility\":\"$visibility\"}" | json_get 'd["id"]')
  wait_for "$token" "/api/v1/deployments/$dep" 'd["status"] in ("healthy", "failed", "crashloop")'
  [ "$(api GET "/api/v1/deployments/$dep" "$token" | json_get 'd["status"]')" = healthy ] ||
    fail "deployment of $project: $(api GET "/api/v1/deployments/$dep" "$token")"
}

issue_key() {  # json-body → "id secret"
  local out
  out=$(api POST /api/v1/projects/alice/knapsack/keys "$alice" "$1")
  echo "$out" | json_get 'd["id"] + " " + d["secret"]' 2>/dev/null || fail "issuing a key: $out"
}

# HTTP status of a call through the gateway; extra curl arguments follow.
call() {  # path [curl args...]
  local path=$1
  shift
  curl -sS -o "$work/call.out" -D "$work/call.head" -w '%{http_code}' "$SERVICES_URL$path" "$@"
}
solve() {  # project-path header → status
  call "$1/solve" -X POST -H "$2" -H 'Content-Type: application/json' --data-binary @"$INPUT"
}
expect() {  # want got what
  [ "$2" = "$1" ] || fail "$3: $2, not $1 ($(head -c 300 "$work/call.out" 2>/dev/null))"
}

# A key's usage this month as "requests:2xx:4xx:refused:runs".
usage_of() {  # key-name
  api GET "/api/v1/projects/alice/knapsack/usage?group_by=key" "$alice" | json_get "
' '.join('%d:%d:%d:%d:%d' % (r['requests'], r['requests_by_class']['2xx'],
  r['requests_by_class']['4xx'], r['refused'], r['runs'])
  for r in d['rows'] if r['key_name'] == '$1') or 'none'"
}

step "a deployer; alice's starter deployed private, bob's public"
start_deployer "$DEPLOYER" "$work" "${FLAGS[@]}" || fail "deployer did not start"
[ -f "$BASE_DIR/recipe.sha256" ] || fail "no python-or base in '$BASE_DIR' (the base_python_or fixture)"
import_base_python_or "$BASE_DIR" || fail "loading the python-or base"
alice=$(register alice)
bob=$(register bob)
publish alice "$alice" knapsack private
publish bob "$bob" shop public

read -r acme_id acme <<<"$(issue_key '{"name":"acme","monthly_quota_requests":8}')"
read -r _ beta <<<"$(issue_key '{"name":"beta","rate_limit_per_min":3}')"
read -r load_id load <<<"$(issue_key '{"name":"load"}')"
bob_key=$(api POST /api/v1/projects/bob/shop/keys "$bob" '{"name":"x"}' | json_get 'd["secret"]')

step "key × project × route: the gateway"
expect 200 "$(solve /alice/knapsack "X-Api-Key: $acme")" "acme's key on alice's service"
[ "$(json_get 'd["objective"] == 15' <"$work/call.out")" = True ] || fail "not the starter's answer"
expect 200 "$(solve /alice/knapsack "Authorization: Bearer $acme")" "acme's key as a bearer token"
expect 404 "$(solve /bob/shop "X-Api-Key: $acme")" "acme's key on bob's public service"
expect 404 "$(solve /alice/knapsack "X-Api-Key: $bob_key")" "bob's key on alice's service"
expect 404 "$(solve /alice/knapsack "X-Api-Key: orsa_ck_forged")" "a forged key"
expect 404 "$(solve /alice/knapsack "Authorization: Bearer $bob")" "bob's session on alice's service"
expect 200 "$(solve /bob/shop "X-Forwarded-For: 1.2.3.4")" "anyone on bob's public service"
expect 200 "$(solve /alice/knapsack "Authorization: Bearer $alice")" "alice on her own service"

step "key × project × route: the runs API and the management API"
run=$(curl -sS "$URL/api/v1/projects/alice/knapsack/runs" -H "X-Api-Key: $acme" \
  -H 'Content-Type: application/json' --data-binary "{\"input\":$(cat "$INPUT")}" | json_get 'd["id"]')
for _ in $(seq 1 1200); do
  status=$(curl -sS "$URL/api/v1/runs/$run" -H "X-Api-Key: $acme" | json_get 'd["status"]')
  case $status in queued | running) sleep 0.1 ;; *) break ;; esac
done
[ "$status" = succeeded ] || fail "acme's run is $status"
curl -sS "$URL/api/v1/runs/$run/result" -H "X-Api-Key: $acme" | json_get 'd["objective"] == 15' |
  grep -qx True || fail "acme cannot read its run's result"
api_code() {  # method path key
  curl -sS -o "$work/api.out" -w '%{http_code}' -X "$1" "$URL$2" -H "X-Api-Key: $3" \
    -H 'Content-Type: application/json' ${4:+--data-binary "$4"}
}
expect 404 "$(api_code GET "/api/v1/runs/$run" "$beta")" "beta reads acme's run"
expect 404 "$(api_code POST /api/v1/projects/bob/shop/runs "$acme" '{"input":{}}')" "acme submits to bob"
expect 404 "$(api_code POST /api/v1/projects/alice/knapsack/runs "$bob_key" '{"input":{}}')" "bob's key submits to alice"
expect 401 "$(api_code GET /api/v1/projects/alice/knapsack "$acme")" "acme on the management API"
expect 401 "$(api_code GET /api/v1/projects/alice/knapsack/usage "$acme")" "acme reads the usage"
[ "$(api GET "/api/v1/runs/$run" "$alice" | json_get 'd["consumer_key"]')" = "$acme_id" ] ||
  fail "alice does not see which key submitted the run"

step "the rate limit at its boundary: 3 a minute, the 4th is 429 with Retry-After"
for i in 1 2 3; do expect 200 "$(solve /alice/knapsack "X-Api-Key: $beta")" "beta's call $i"; done
expect 429 "$(solve /alice/knapsack "X-Api-Key: $beta")" "beta's 4th call"
grep -qi '^retry-after: [0-9]' "$work/call.head" || fail "no Retry-After: $(cat "$work/call.head")"

step "the monthly request quota at its boundary: 8 calls, the 9th is 429 saying so"
for i in 3 4 5 6 7 8; do expect 200 "$(solve /alice/knapsack "X-Api-Key: $acme")" "acme's call $i"; done
expect 429 "$(solve /alice/knapsack "X-Api-Key: $acme")" "acme's 9th call"
grep -q "monthly quota of 8 requests" "$work/call.out" || fail "no quota message: $(cat "$work/call.out")"
grep -qi '^retry-after' "$work/call.head" && fail "a used quota says Retry-After"

step "revoked: 401 at once, on the gateway and the runs API"
beta_id=$(api GET /api/v1/projects/alice/knapsack/keys "$alice" |
  json_get '[k["id"] for k in d["keys"] if k["name"] == "beta"][0]')
api DELETE "/api/v1/projects/alice/knapsack/keys/$beta_id" "$alice" >/dev/null
expect 401 "$(solve /alice/knapsack "X-Api-Key: $beta")" "a revoked key on the gateway"
expect 401 "$(api_code GET /api/v1/runs "$beta")" "a revoked key on the runs API"

step "metering: a bounded load loop of 4 × 50 calls, counted exactly, across a graceful restart"
seq 1 200 | xargs -P 4 -I{} curl -sS -o /dev/null -w '%{http_code}\n' \
  "$SERVICES_URL/alice/knapsack/healthz" -H "X-Api-Key: $load" >"$work/codes" || true
made=$(wc -l <"$work/codes")
ok=$(grep -c '^200$' "$work/codes" || true)
[ "$made" = 200 ] || fail "the loop made $made calls"
[ "$(usage_of load)" = "200:$ok:0:0:0" ] || fail "load metered as $(usage_of load), made 200 ($ok 2xx)"
stop_deployer  # SIGTERM: the last counts are written before it exits
start_deployer "$DEPLOYER" "$work" "${FLAGS[@]}" || fail "deployer did not start again"
wait_for "$alice" /api/v1/deployments '[x["status"] for x in d["deployments"] if x["project"] == "knapsack"] == ["healthy"]'
[ "$(usage_of load)" = "200:$ok:0:0:0" ] || fail "after the restart load is $(usage_of load)"
for _ in 1 2 3 4 5; do
  expect 200 "$(call /alice/knapsack/healthz -H "X-Api-Key: $load")" "load after the restart"
done
[ "$(usage_of load)" = "205:$((ok + 5)):0:0:0" ] || fail "load then is $(usage_of load)"
# 2 + 6 answered (the quota) + 1 refused; 1 run.
[ "$(usage_of acme)" = "9:8:1:1:1" ] || fail "acme metered as $(usage_of acme)"

step "Prometheus: a series per key since the start (admins only)"
admin=$(curl -sSf "$URL/api/v1/auth/login" -H 'Content-Type: application/json' \
  -d "{\"username\":\"admin\",\"password\":\"$ORSA_ADMIN_PASSWORD\"}" | json_get 'd["token"]')
api GET /metrics "$admin" >"$work/metrics"
grep -q "^orsa_consumer_requests_total{consumer=\"$load_id\",project=\"[a-z_0-9]*\",class=\"2xx\"} 5$" \
  "$work/metrics" || fail "load's series: $(grep orsa_consumer_requests "$work/metrics" | head)"
[ "$(api_code GET /metrics "$acme")" = 401 ] || fail "a consumer key reads /metrics"

step "the usage as CSV for billing"
curl -sSf "$URL/api/v1/projects/alice/knapsack/usage?group_by=key" -H "Authorization: Bearer $alice" \
  -H 'Accept: text/csv' >"$work/usage.csv"
head -n1 "$work/usage.csv" | grep -q '^day,key_id,key_name,requests,' || fail "CSV header: $(head -n1 "$work/usage.csv")"
grep -q "^,$acme_id,acme,9,8," "$work/usage.csv" || fail "acme's CSV line: $(cat "$work/usage.csv")"

echo "consumer keys ok in $(($(date +%s) - started_at)) s"
