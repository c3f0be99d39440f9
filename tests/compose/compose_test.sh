#!/usr/bin/env bash
# ORSA as a compose application on real parts: the images built by
# scripts/images.sh (orsa-builder on mmdebstrap), deploy/compose.yaml run by
# Debian's podman-compose, PostgreSQL 15 in its container, a podman API
# socket mounted into orsa-deployer. Everything on loopback ports and in a
# podman store, CNI config and socket of the test's own.
#   compose_test.sh BIN_DIR SOURCE_DIR BASE_FIXTURE_DIR
# Journey through the API: register, create the starter, build, deploy, call
# → the optimum; the same through nginx's TLS (compose.tls.yaml, a
# self-signed certificate made at its first start). Then `down` and `up`
# again: users, projects, images and the deployment survive, and the service
# answers again. Teardown (containers, volumes, networks, the store) also on
# failure.
set -euo pipefail
BIN_DIR=$1 SRC=$2 BASE=$3
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/deployer.sh"
. "$here/../lib/base_python_or.sh"

work=$(mktemp -d /tmp/orsa-compose-XXXXXX)
project=orsacompose$$
RUNTIME_PID=

# The test's own podman world: store, runtime directory, CNI networks.
. "$here/../lib/podman.sh"
mkdir -p "$work/deploy"
# runc and cgroupfs as the other tests; ORSA's registry is deliberately not
# marked insecure here: the deployer must pull from it without that.
podman_setup "$work/podman" "127.0.0.1:1"
cat >>"$work/podman/containers.conf" <<CONF
[network]
network_config_dir = "$work/podman/cni"
CONF
cat >"$work/podman/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$work/podman/root"
runroot = "$work/podman/run"
CONF
export CONTAINERS_STORAGE_CONF=$work/podman/storage.conf

compose() {
  podman-compose -p "$project" -f "$work/deploy/compose.yaml" -f "$work/deploy/compose.tls.yaml" "$@"
}

teardown() {
  compose down -v -t 1 >/dev/null 2>&1 || true
  # Whatever the deployer started through the socket, and compose's networks.
  podman rm -af -t 1 >/dev/null 2>&1 || true
  podman network prune -f >/dev/null 2>&1 || true
  podman volume prune -f >/dev/null 2>&1 || true
  [ -z "$RUNTIME_PID" ] || kill "$RUNTIME_PID" 2>/dev/null || true
  podman system reset -f >/dev/null 2>&1 || true
  rm -rf "$work" 2>/dev/null || true
}
trap teardown EXIT
fail() {
  echo "FAIL: $*" >&2
  podman ps -a >&2 || true
  # The compose set's containers and the services ORSA deployed from it.
  for c in $(podman ps -aq --filter "label=io.podman.compose.project=$project") \
    $(podman ps -aq --filter label=orsa.managed=true); do
    echo "--- logs of $(podman inspect -f '{{.Name}}' "$c")" >&2
    podman logs --tail 40 "$c" >&2 || true
  done
  exit 1
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

step "images (scripts/images.sh: orsa-builder on mmdebstrap)"
started=$(date +%s)
"$SRC/scripts/images.sh" --bin-dir "$BIN_DIR" --out "$work/images" orsa-deployer postgres nginx ||
  fail "images"
echo "images built and loaded in $(($(date +%s) - started)) s"

step "the host's runtime: a podman API socket"
podman system service --time=0 "unix://$work/runtime.sock" >"$work/runtime.log" 2>&1 &
RUNTIME_PID=$!
for _ in $(seq 1 100); do [ -S "$work/runtime.sock" ] && break; sleep 0.1; done
[ -S "$work/runtime.sock" ] || fail "podman service did not start: $(cat "$work/runtime.log")"
chmod 660 "$work/runtime.sock"

PORT=$(free_port) SERVICES_PORT=$(free_port) TLS_PORT=$(free_port)
export ORSA_ADMIN_PASSWORD=admin-password-for-compose
cp "$SRC/deploy/compose.yaml" "$SRC/deploy/compose.tls.yaml" "$work/deploy/"
cat >"$work/deploy/.env" <<ENV
ORSA_VERSION=latest
ORSA_DB_PASSWORD=db-password-for-compose
ORSA_PORT=$PORT
ORSA_SERVICES_PORT=$SERVICES_PORT
ORSA_HOST_RUNTIME_SOCKET=$work/runtime.sock
ORSA_HOST_RUNTIME_GID=0
ORSA_ADMIN_PASSWORD=$ORSA_ADMIN_PASSWORD
ORSA_REGISTRATION=open
ORSA_LOG_LEVEL=info
ORSA_TLS_BIND=127.0.0.1
ORSA_TLS_PORT=$TLS_PORT
ORSA_TLS_NAME=orsa.test
ENV
URL=http://127.0.0.1:$PORT HOSTPORT=127.0.0.1:$PORT SERVICES_URL=http://127.0.0.1:$SERVICES_PORT

up() {
  compose up -d >"$work/up.log" 2>&1 || { cat "$work/up.log"; fail "podman-compose up"; }
  local started=$(date +%s)
  for _ in $(seq 1 600); do
    curl -sf "$URL/healthz" >/dev/null 2>&1 && break
    sleep 0.2
  done
  curl -sf "$URL/healthz" >/dev/null || { cat "$work/up.log"; fail "ORSA did not become healthy"; }
  echo "healthy $(($(date +%s) - started)) s after up"
}

step "podman-compose up"
up
# Not SQLite: the deployer runs on the PostgreSQL container.
podman exec "${project}_postgres_1" psql -U orsa -d orsa -tAc \
  "SELECT count(*) FROM users WHERE username = 'admin'" | grep -qx 1 ||
  fail "the admin is not in PostgreSQL"
[ "$(podman exec "${project}_orsa-deployer_1" id -u)" = 10001 ] || fail "orsa-deployer runs as root"

step "journey: register, create, build, deploy, call"
import_base_python_or "$BASE" || fail "base import"
alice=$(register alice)
api POST /api/v1/projects "$alice" '{"name":"knapsack"}' >/dev/null
image=$(build_head alice knapsack "$alice")
[ -n "$image" ] || fail "no image"
dep=$(api POST /api/v1/deployments "$alice" "{\"image_id\":\"$image\"}" | json_get 'd["id"]')
wait_healthy() {
  local status=
  for _ in $(seq 1 900); do
    status=$(api GET "/api/v1/deployments/$dep" "$alice" | json_get 'd["status"]')
    [ "$status" = healthy ] && return 0
    [ "$status" = failed ] && break
    sleep 0.2
  done
  fail "deployment is $status: $(api GET "/api/v1/deployments/$dep" "$alice")"
}
wait_healthy
solve() {
  curl -sS -o "$work/solve.out" -D "$work/solve.headers" -w '%{http_code}' \
    -X POST "$SERVICES_URL/alice/knapsack/solve" \
    -H "Authorization: Bearer $alice" -H 'Content-Type: application/json' \
    --data-binary @"$SRC/templates/python-flask/starter/input.json"
  echo " $(cat "$work/solve.out")"
}
# Healthy means routable: the route is installed before the status is read
# as healthy, so the first call must be answered by the service.
answer=$(solve)
[ "${answer%% *}" = 200 ] || fail "solve through the gateway: $answer
$(cat "$work/solve.headers")
the deployment: $(api GET "/api/v1/deployments/$dep" "$alice")"
[ "$(cut -d' ' -f2- <<<"$answer" | json_get 'd["objective"]')" = 15.0 ] || fail "wrong optimum: $answer"
echo "solve: $answer"

step "TLS in front (nginx, self-signed certificate)"
for _ in $(seq 1 100); do
  curl -sfk "https://127.0.0.1:$TLS_PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
[ "$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$TLS_PORT/healthz")" = 200 ] ||
  fail "no answer over TLS"
openssl s_client -connect "127.0.0.1:$TLS_PORT" -servername orsa.test </dev/null 2>/dev/null |
  openssl x509 -noout -subject | grep -q "CN = orsa.test" || fail "not the generated certificate"
[ "$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$TLS_PORT/api/v1/projects/alice/knapsack" \
  -H "Authorization: Bearer $alice")" = 200 ] || fail "the API through TLS"

step "down, then up again: nothing is lost"
compose down -t 5 >/dev/null 2>&1 || fail "podman-compose down"
[ -z "$(podman ps -q --filter "label=io.podman.compose.project=$project")" ] || fail "down left containers"
up
token=$(curl -sSf "$URL/api/v1/auth/login" -H 'Content-Type: application/json' \
  -d '{"login":"alice","password":"password-1234"}' | json_get 'd["token"]') ||
  fail "alice cannot log in after the restart"
[ "$(api GET /api/v1/projects/alice/knapsack "$token" | json_get 'd["name"]')" = knapsack ] ||
  fail "the project is gone"
api GET "/api/v1/images/$image" "$token" | json_get 'd["id"]' >/dev/null || fail "the image is gone"
alice=$token
wait_healthy
# The new deployer container adopts the running service: it joins the
# service's network again and rebuilds its route on its first pass.
restarted=$(date +%s%N)
for _ in $(seq 1 300); do
  answer=$(solve)
  [ "${answer%% *}" = 200 ] && break
  sleep 0.2
done
[ "${answer%% *}" = 200 ] || fail "solve after the restart: $answer"
echo "after the restart, served again in $((($(date +%s%N) - restarted) / 1000000)) ms: $answer"
echo "compose journey passed in $(($(date +%s) - started)) s"
