#!/usr/bin/env bash
# contract.aws_clients: ORSA's AWS clients (src/aws) against two AWS
# stand-ins (tests/aws/standin) on loopback that validate every request
# with botocore's service models and re-sign it with botocore and the AWS C
# runtime; the second throttles the first two calls of each operation.
# Then the IAM policy ORSA documents (deploy/aws/control-plane-policy.json)
# is held to the calls the stand-ins saw: each allowed, nothing more.
# Nothing here reaches AWS.
#   client_contract_test.sh TEST_BINARY
set -euo pipefail
binary=$1
here=$(cd "$(dirname "$0")" && pwd)
python=/usr/bin/python3
work=$(mktemp -d)
pids=()

cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "client_contract_test: FAIL: $*" >&2
  local log
  for log in "$work"/*.log; do [ -f "$log" ] && { echo "--- $log" >&2; tail -n 20 "$log" >&2; }; done
  exit 1
}

"$python" -c 'import botocore, awscrt' 2>/dev/null ||
  fail "python3-botocore and python3-awscrt are needed (scripts/install-deps.sh)"
secret=$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')
temp_secret=$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')
temp_token=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
cat >"$work/credentials.json" <<EOF
[{"access_key": "AKIDORSATEST", "secret_key": "$secret", "account": "123456789012"},
 {"access_key": "ASIAORSATEST", "secret_key": "$temp_secret", "session_token": "$temp_token",
  "account": "123456789012"}]
EOF
start() {  # name args...
  local name=$1
  shift
  "$python" "$here/standin/awsserver.py" --credentials "$work/credentials.json" \
    --port-file "$work/$name.port" --request-log "$work/$name.requests" "$@" \
    >"$work/$name.log" 2>&1 &
  pids+=("$!")
  for _ in $(seq 1 300); do
    [ -s "$work/$name.port" ] && return 0
    kill -0 "${pids[-1]}" 2>/dev/null || fail "the $name stand-in exited"
    sleep 0.1
  done
  fail "the $name stand-in did not listen"
}
start plain
start throttling --throttle-first 2
ORSA_TEST_AWS_URL=http://127.0.0.1:$(cat "$work/plain.port") \
  ORSA_TEST_AWS_THROTTLING_URL=http://127.0.0.1:$(cat "$work/throttling.port") \
  ORSA_TEST_AWS_SECRET=$secret ORSA_TEST_AWS_TEMP_SECRET=$temp_secret \
  ORSA_TEST_AWS_TEMP_TOKEN=$temp_token "$binary" || fail "the clients' contract tests failed"
"$python" "$here/iam_policy_check.py" "$here/../../deploy/aws/control-plane-policy.json" \
  "$work/plain.requests" "$work/throttling.requests" || fail "the IAM policy"
