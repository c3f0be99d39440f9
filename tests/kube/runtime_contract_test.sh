#!/usr/bin/env bash
# contract.kubernetes_runtime: ORSA's Kubernetes runtime adapter driven
# against the API server stand-in (tests/kube/standin), over TLS verified
# against the stand-in's CA and a bearer token, from a kubeconfig. The
# stand-in validates every object strictly against the Kubernetes OpenAPI
# and simulates the controllers; nothing runs. Not a test on Kubernetes.
#   runtime_contract_test.sh TEST_BINARY CACHE_DIR
set -euo pipefail
binary=$1
cache=$2
here=$(cd "$(dirname "$0")" && pwd)
python=/usr/bin/python3
work=$(mktemp -d)
pid=""

cleanup() {
  [ -z "$pid" ] || { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "runtime_contract_test: FAIL: $*" >&2
  [ -f "$work/standin.log" ] && tail -n 30 "$work/standin.log" >&2
  exit 1
}

"$here/fetch-openapi.sh" "$cache"
token=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -subj /CN=orsa-kube-standin -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$work/tls.key" -out "$work/tls.crt" 2>"$work/openssl.log" || fail "openssl could not make a certificate"
"$python" "$here/standin/apiserver.py" --openapi "$cache/swagger.json" --port-file "$work/port" \
  --token "$token" --tls-cert "$work/tls.crt" --tls-key "$work/tls.key" --verbose \
  >"$work/standin.log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do
  [ -s "$work/port" ] && break
  kill -0 "$pid" 2>/dev/null || fail "the stand-in exited"
  sleep 0.1
done
[ -s "$work/port" ] || fail "the stand-in did not listen within 30 s"
server=https://127.0.0.1:$(cat "$work/port")
curl -sSf --cacert "$work/tls.crt" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -X POST "$server/api/v1/namespaces" \
  --data '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"orsa-workloads"}}' >/dev/null ||
  fail "could not create the namespace"
cat >"$work/kubeconfig" <<EOF
apiVersion: v1
kind: Config
current-context: standin
clusters:
- name: standin
  cluster:
    server: $server
    certificate-authority: $work/tls.crt
users:
- name: orsa
  user:
    token: $token
contexts:
- name: standin
  context: {cluster: standin, user: orsa, namespace: orsa-workloads}
EOF
ORSA_TEST_KUBECONFIG="$work/kubeconfig" "$binary" || fail "the adapter's contract tests failed"
