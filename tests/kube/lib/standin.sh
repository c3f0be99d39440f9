# Sourced by the Kubernetes contract tests: the API server stand-in
# (tests/kube/standin) on loopback over TLS with a bearer token, and a
# kubeconfig for it whose context's namespace is orsa-workloads.
#   standin_start WORK_DIR CACHE_DIR [apiserver.py flags...]
# sets STANDIN_PID, STANDIN_URL, STANDIN_TOKEN, STANDIN_CA and
# STANDIN_KUBECONFIG; its log is WORK_DIR/standin.log. The caller stops it
# (kill "$STANDIN_PID") in its cleanup.

STANDIN_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../standin" && pwd)

standin_start() {
  local work=$1 cache=$2
  shift 2
  STANDIN_TOKEN=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
  STANDIN_CA=$work/tls.crt
  # A certificate for 127.0.0.1 that clients verify (no insecure mode).
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
    -subj /CN=orsa-kube-standin -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$work/tls.key" -out "$STANDIN_CA" 2>"$work/openssl.log" || return 1
  /usr/bin/python3 "$STANDIN_DIR/apiserver.py" --openapi "$cache/swagger.json" \
    --port-file "$work/standin.port" --token "$STANDIN_TOKEN" \
    --tls-cert "$STANDIN_CA" --tls-key "$work/tls.key" "$@" >"$work/standin.log" 2>&1 &
  STANDIN_PID=$!
  for _ in $(seq 1 300); do
    [ -s "$work/standin.port" ] && break
    kill -0 "$STANDIN_PID" 2>/dev/null || return 1
    sleep 0.1
  done
  [ -s "$work/standin.port" ] || return 1
  STANDIN_URL=https://127.0.0.1:$(cat "$work/standin.port")
  STANDIN_KUBECONFIG=$work/kubeconfig
  cat >"$STANDIN_KUBECONFIG" <<EOF
apiVersion: v1
kind: Config
current-context: standin
clusters:
- name: standin
  cluster:
    server: $STANDIN_URL
    certificate-authority: $STANDIN_CA
users:
- name: orsa
  user:
    token: $STANDIN_TOKEN
contexts:
- name: standin
  context: {cluster: standin, user: orsa, namespace: orsa-workloads}
EOF
}

# The namespace ORSA's workloads go to (the kubeconfig's).
standin_create_namespace() {
  curl -sSf --cacert "$STANDIN_CA" -H "Authorization: Bearer $STANDIN_TOKEN" \
    -H 'Content-Type: application/json' -X POST "$STANDIN_URL/api/v1/namespaces" \
    --data '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"orsa-workloads"}}' >/dev/null
}
