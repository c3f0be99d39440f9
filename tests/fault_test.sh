#!/usr/bin/env bash
# Faults on real parts: orsa-deployer, orsa-builder and podman, killed or
# starved mid-operation; afterwards every affected operation has completed or
# failed with a reason, nothing half-written is visible, and
# `orsa-deployer check --json` finds the data dir consistent.
#   fault_test.sh DEPLOYER BUILDER SOURCE_DIR CASE [BASE_DIR]
# CASE:
#   builder-kill   kill -9 of orsa-builder mid-push (a 30 MB app layer)
#   upload-kill    kill -9 of orsa-deployer mid-upload (a 64 MB blob PATCH), restart
#   rollout-kill   kill -9 of orsa-deployer mid-rollout, restart
#   podman-kill    kill -9 of the deployer's podman service: restarted by the running server
#   disk-full      the data dir on a full tmpfs during a registry push and a file commit
# The container cases deploy the starter on the python-or base, kept by the
# base_python_or fixture in BASE_DIR (tests/lib/base_python_or.sh).
set -euo pipefail
DEPLOYER=$1 BUILDER=$2 SRC=$3 CASE=$4 BASE_DIR=${5:-}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/deployer.sh"
. "$here/lib/base_python_or.sh"

work=$(mktemp -d /tmp/orsa-fault-XXXXXX)
DATA=$work/data
MOUNTED=no
cleanup() {
  stop_deployer
  # (Also unmounts a tmpfs data dir: every mount under the work dir.)
  remove_deployer_containers "$DATA" "$work"
  if [ $MOUNTED = yes ] && mountpoint -q "$DATA"; then umount "$DATA" || true; fi
  rm -rf "$work" 2>/dev/null || true
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  tail -n 30 "$work/deployer.log" >&2 || true
  exit 1
}
step() { echo "--- $*"; }
started_at=$(date +%s)

export ORSA_ADMIN_PASSWORD=admin-password-for-faults
FLAGS=(--base-image orsa/base-busybox:latest --builder-bin "$BUILDER")

# `check --json` on the data dir; fails the test unless it exits `want`
# (0: clean, 1: findings remain). The report is left in $work/check.json.
check() {  # want [check flags...]
  local want=$1 rc=0
  shift
  "$DEPLOYER" check --data-dir "$DATA" --json "$@" >"$work/check.json" 2>"$work/check.err" || rc=$?
  [ "$rc" = "$want" ] || fail "check $* exited $rc, not $want: $(cat "$work/check.json" "$work/check.err")"
}
check_kinds() { json_get '",".join(sorted(f["kind"] for f in d["findings"]))' <"$work/check.json"; }

restart_deployer() {  # flags...
  start_deployer "$DEPLOYER" "$work" "$@" || fail "restart"
}

kill_deployer() {
  kill -9 "$DEPLOYER_PID"
  wait "$DEPLOYER_PID" 2>/dev/null || true
  DEPLOYER_PID=
}

base_image() {  # the admin pushes the busybox base (milliseconds, no network)
  ORSA_REGISTRY_USERNAME=admin ORSA_REGISTRY_PASSWORD=$ORSA_ADMIN_PASSWORD \
    "$BUILDER" base build busybox --bases-dir "$SRC/templates/bases" --registry "$URL" \
    --work-dir "$work" >"$work/base.out" || { cat "$work/base.out"; fail "base build"; }
}

wait_build() {  # build id → final status
  local status=queued
  for _ in $(seq 1 1200); do
    status=$(api GET "/api/v1/builds/$1" "$alice" | json_get 'd["status"]')
    case $status in succeeded | failed | canceled) break ;; esac
    sleep 0.1
  done
  echo "$status"
}

new_upload() {  # → the upload's Location (absolute URL)
  local location
  location=$(curl -sS -D - -o /dev/null -X POST -u "alice:$token" "$URL/v2/alice/knapsack/blobs/uploads/" |
    tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
  [ -n "$location" ] || fail "no upload location"
  case $location in http*) echo "$location" ;; *) echo "$URL$location" ;; esac
}

sha256_of() { echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"; }

# Starts the deployer, signs alice up with a project and an API token.
setup() {  # deployer flags...
  start_deployer "$DEPLOYER" "$work" "$@" || fail "deployer did not start"
  alice=$(register alice)
  api POST /api/v1/projects "$alice" '{"name":"knapsack"}' >/dev/null
  token=$(api POST /api/v1/tokens "$alice" '{"name":"faults"}' | json_get 'd["secret"]')
}

case_builder_kill() {
  setup "${FLAGS[@]}" --no-runtime
  base_image
  step "a project whose app layer is 30 MB of incompressible bytes"
  mkdir -p "$work/src"
  cp "$SRC"/templates/python-flask/starter/* "$work/src/"
  for i in $(seq 1 15); do head -c 2000000 /dev/urandom >"$work/src/data$i.bin"; done
  tar -czf "$work/src.tar.gz" -C "$work/src" .
  curl -sSf -X POST "$URL/api/v1/projects/alice/knapsack/archive" -H "Authorization: Bearer $alice" \
    -H 'Content-Type: application/gzip' --data-binary @"$work/src.tar.gz" >/dev/null || fail "archive upload"

  step "kill -9 of orsa-builder while it uploads the layer"
  build=$(api POST /api/v1/projects/alice/knapsack/builds "$alice" '{}' | json_get 'd["id"]')
  victim=
  for _ in $(seq 1 1200); do
    # An upload session: the builder has started pushing the 30 MB layer.
    if [ -n "$(find "$DATA/registry/uploads" -type f ! -name '*.session' 2>/dev/null)" ]; then
      victim=$(pgrep -P "$DEPLOYER_PID" orsa-builder || true)
      [ -n "$victim" ] && break
    fi
    sleep 0.01
  done
  [ -n "$victim" ] || fail "never saw the builder pushing: $(api GET "/api/v1/builds/$build/logs" "$alice")"
  kill -9 "$victim"
  status=$(wait_build "$build")
  reason=$(api GET "/api/v1/builds/$build" "$alice" | json_get 'd["error"]')
  echo "build $build: $status ($reason)"
  [ "$status" = failed ] || fail "a killed build is $status"
  case $reason in *"signal 9"*) ;; *) fail "the reason does not say the builder was killed: $reason" ;; esac
  tags=$(curl -sS -u "alice:$token" "$URL/v2/alice/knapsack/tags/list" | json_get 'd.get("tags") or []')
  [ "$tags" = "[]" ] || fail "a killed build left tags: $tags"
  [ "$(api GET /api/v1/projects/alice/knapsack/images "$alice" | json_get 'len(d["images"])')" = 0 ] ||
    fail "a killed build left an image row"
  check 0 --no-runtime

  step "the next build succeeds"
  build=$(api POST /api/v1/projects/alice/knapsack/builds "$alice" '{}' | json_get 'd["id"]')
  [ "$(wait_build "$build")" = succeeded ] || fail "the build after the kill: $(api GET "/api/v1/builds/$build/logs" "$alice")"

  step "kill -9 of orsa-deployer mid-build: check --repair ends the build"
  build=$(api POST /api/v1/projects/alice/knapsack/builds "$alice" '{}' | json_get 'd["id"]')
  for _ in $(seq 1 1200); do
    [ "$(api GET "/api/v1/builds/$build" "$alice" | json_get 'd["status"]')" = running ] && break
    sleep 0.01
  done
  builder=$(pgrep -P "$DEPLOYER_PID" orsa-builder || true)
  kill_deployer
  # The builder outlives its deployer only until its next request fails.
  [ -z "$builder" ] || kill -9 "$builder" 2>/dev/null || true
  check 1 --no-runtime
  echo "check after the kill: $(check_kinds)"
  case ",$(check_kinds)," in *,build_interrupted,*) ;; *) fail "check missed the running build" ;; esac
  check 0 --no-runtime --repair
  check 0 --no-runtime
  restart_deployer "${FLAGS[@]}" --no-runtime
  reason=$(api GET "/api/v1/builds/$build" "$alice" | json_get 'd["status"] + ": " + d["error"]')
  echo "build $build: $reason"
  case $reason in "failed: interrupted"*) ;; *) fail "the repaired build is $reason" ;; esac
  stop_deployer
  check 0 --no-runtime
}

case_upload_kill() {
  setup --no-runtime
  head -c $((64 * 1024 * 1024)) /dev/urandom >"$work/blob"
  digest=$(sha256_of "$work/blob")
  location=$(new_upload)

  step "kill -9 of orsa-deployer while a 64 MB PATCH arrives"
  curl -sS -o /dev/null -X PATCH -u "alice:$token" --limit-rate 16M -H 'Content-Type: application/octet-stream' \
    --data-binary @"$work/blob" "$location" 2>/dev/null &
  client=$!
  for _ in $(seq 1 500); do
    [ -n "$(find "$DATA/spool" -type f -size +1M 2>/dev/null)" ] && break
    sleep 0.01
  done
  [ -n "$(find "$DATA/spool" -type f -size +1M)" ] || fail "the PATCH never reached the spool"
  kill_deployer
  wait "$client" 2>/dev/null || true
  # The body being received is a leftover; the session itself is resumable.
  check 1 --no-runtime
  [ "$(check_kinds)" = spooled_body ] || fail "check after the kill: $(cat "$work/check.json")"
  restart_deployer --no-runtime
  [ -z "$(ls -A "$DATA/spool")" ] || fail "spooled bodies left after the restart: $(ls "$DATA/spool")"
  location=$URL/${location#http://*/}  # the restarted server listens on another port

  step "the session is resumable or cleanly gone"
  code=$(curl -sS -o /dev/null -w '%{http_code}' -u "alice:$token" "$location")
  case $code in
    204)
      range=$(curl -sS -D - -o /dev/null -u "alice:$token" "$location" | tr -d '\r' | sed -n 's/^[Rr]ange: //p')
      echo "resumable, Range: ${range:-none}"
      [ "${range:-0-0}" = "0-0" ] || [ "${range:-}" = "" ] || fail "the killed PATCH left bytes in the session: $range"
      ;;
    404) echo "the session is gone (BLOB_UPLOAD_UNKNOWN)"; location=$(new_upload) ;;
    *) fail "the upload answers $code after the restart" ;;
  esac
  curl -sSf -o /dev/null -X PATCH -u "alice:$token" -H 'Content-Type: application/octet-stream' \
    --data-binary @"$work/blob" "$location" -D "$work/patch.h" || fail "PATCH after the restart"
  next=$(tr -d '\r' <"$work/patch.h" | sed -n 's/^[Ll]ocation: //p')
  case $next in http*) ;; *) next=$URL$next ;; esac
  sep='?'
  case $next in *'?'*) sep='&' ;; esac
  code=$(curl -sS -o /dev/null -w '%{http_code}' -X PUT -u "alice:$token" "$next${sep}digest=$digest")
  [ "$code" = 201 ] || fail "completing the upload answered $code"
  size=$(curl -sS -I -u "alice:$token" "$URL/v2/alice/knapsack/blobs/$digest" | tr -d '\r' |
    sed -n 's/^[Cc]ontent-[Ll]ength: //p')
  [ "$size" = $((64 * 1024 * 1024)) ] || fail "the blob has $size bytes"
  check 0 --no-runtime  # a server is running: what it owns is skipped
  stop_deployer
  check 0 --no-runtime
}

deployment_status() { api GET "/api/v1/deployments/$1" "$alice" | json_get 'd["status"]'; }

# Managed containers beyond what the deployment may hold: any of another
# deployment, any at all when it failed, more than one otherwise. (The
# final `check` compares them with the container ids the rows hold.)
orphan_containers() {  # deployment status
  local ids
  ids=$(deployer_podman "$DATA" ps -a --filter label=orsa.managed=true --format '{{.ID}} {{index .Labels "orsa.deployment"}}')
  echo "$ids" | awk -v dep="$1" -v status="$2" '
    NF == 0 { next }
    $2 != dep || status == "failed" { print $1; next }
    ++mine > 1 { print $1 }'
}

# The starter on the python-or base: built, its image id in $image.
python_project() {
  setup --base-image orsa/base-python-or:latest --builder-bin "$BUILDER" --health-timeout 60s
  [ -f "$BASE_DIR/recipe.sha256" ] || fail "no python-or base in '$BASE_DIR' (the base_python_or fixture)"
  import_base_python_or "$BASE_DIR" || fail "loading the python-or base"
  build=$(api POST /api/v1/projects/alice/knapsack/builds "$alice" '{}' | json_get 'd["id"]')
  [ "$(wait_build "$build")" = succeeded ] || fail "build: $(api GET "/api/v1/builds/$build/logs" "$alice")"
  image=$(api GET "/api/v1/builds/$build" "$alice" | json_get 'd["image_id"]')
}

wait_deployment() {  # id → final status (healthy, failed, crashloop), up to 120 s
  local status
  for _ in $(seq 1 1200); do
    status=$(deployment_status "$1")
    case $status in healthy | failed | crashloop) break ;; esac
    sleep 0.1
  done
  echo "$status"
}

solve() {  # → HTTP status of POST /solve through the gateway
  curl -sS -o "$work/solve.out" -w '%{http_code}' -X POST "$SERVICES_URL/alice/knapsack/solve" \
    -H "Authorization: Bearer $alice" -H 'Content-Type: application/json' \
    --data-binary @"$SRC/templates/python-flask/starter/input.json"
}

case_rollout_kill() {
  python_project
  step "kill -9 of orsa-deployer mid-rollout"
  dep=$(api POST /api/v1/deployments "$alice" "{\"image_id\":\"$image\"}" | json_get 'd["id"]')
  seen=
  for _ in $(seq 1 2000); do
    seen=$(deployment_status "$dep")
    case $seen in pulling | starting) break ;; healthy | failed) fail "the rollout ended before the kill ($seen)" ;; esac
    sleep 0.005
  done
  kill_deployer
  echo "killed while $seen"
  # No server: the check sees the rollout nobody runs (and its container,
  # if one was created) and repairs nothing here; the restart does.
  check 1
  echo "check before the restart: $(check_kinds)"
  case ",$(check_kinds)," in *,deployment_interrupted,*) ;; *) fail "check missed the interrupted rollout" ;; esac

  step "after the restart the deployment converges, no orphan container"
  restart_deployer --base-image orsa/base-python-or:latest --builder-bin "$BUILDER" --health-timeout 60s
  status=$(wait_deployment "$dep")
  reason=$(api GET "/api/v1/deployments/$dep" "$alice" | json_get 'd["status_reason"]')
  echo "deployment $dep: $status ${reason:+($reason)}"
  [ "$status" = healthy ] || fail "the deployment is $status after the restart: $reason"
  [ "$(solve)" = 200 ] || fail "the service does not answer: $(cat "$work/solve.out")"
  for _ in $(seq 1 100); do
    [ -z "$(orphan_containers "$dep" "$status")" ] && break
    sleep 0.1
  done
  [ -z "$(orphan_containers "$dep" "$status")" ] ||
    fail "orphan containers: $(orphan_containers "$dep" "$status")"
  stop_deployer
  check 0
}

case_podman_kill() {
  python_project
  dep=$(api POST /api/v1/deployments "$alice" "{\"image_id\":\"$image\"}" | json_get 'd["id"]')
  [ "$(wait_deployment "$dep")" = healthy ] || fail "the deployment did not become healthy"
  container=$(deployer_podman "$DATA" ps -q --filter "label=orsa.deployment=$dep")

  step "kill -9 of the deployer's podman service"
  service=$(pgrep -P "$DEPLOYER_PID" -x podman || true)
  [ -n "$service" ] || fail "no podman service under the deployer"
  kill -9 "$service"
  # A rollout asked for while podman is down (the supervisor looks every 2 s):
  # its calls wait for the engine to come back instead of failing.
  dep2=$(api POST /api/v1/deployments "$alice" "{\"image_id\":\"$image\"}" | json_get 'd["id"]')
  # Containers outlive the service (conmon), and the gateway reaches them directly.
  [ "$(solve)" = 200 ] || fail "the service stopped answering with podman gone: $(cat "$work/solve.out")"
  [ "$(deployment_status "$dep")" = healthy ] || fail "the deployment is $(deployment_status "$dep")"
  step "the running server starts its podman service again"
  restarted=""
  for _ in $(seq 1 600); do
    restarted=$(pgrep -P "$DEPLOYER_PID" -x podman || true)
    [ -n "$restarted" ] && [ "$restarted" != "$service" ] && break
    sleep 0.1
  done
  [ -n "$restarted" ] && [ "$restarted" != "$service" ] || fail "no new podman service within 60 s"
  grep -q "podman system service $service exited" "$work/deployer.log" ||
    fail "the restart is not in the log"
  step "without a restart of orsa-deployer, the rollout asked for meanwhile serves"
  status=$(wait_deployment "$dep2")
  [ "$status" = healthy ] ||
    fail "after the podman restart a deployment is $status: $(api GET "/api/v1/deployments/$dep2" "$alice")"
  [ "$(solve)" = 200 ] || fail "not serving after the rollout"
  dep=$dep2
  container=$(deployer_podman "$DATA" ps -q --filter "label=orsa.deployment=$dep")
  [ -n "$container" ] || fail "no container for $dep"

  step "the restart brings the service back and adopts the container"
  stop_deployer
  restart_deployer --base-image orsa/base-python-or:latest --builder-bin "$BUILDER" --health-timeout 60s
  [ "$(wait_deployment "$dep")" = healthy ] || fail "not healthy after the restart"
  [ "$(solve)" = 200 ] || fail "not serving after the restart"
  [ "$(deployer_podman "$DATA" ps -q --filter "label=orsa.deployment=$dep")" = "$container" ] ||
    fail "the container was replaced instead of adopted"
  [ -z "$(orphan_containers "$dep" healthy)" ] || fail "orphan containers: $(orphan_containers "$dep" healthy)"
  stop_deployer
  check 0
}

case_disk_full() {
  mkdir -p "$DATA"
  mount -t tmpfs -o size=64m tmpfs "$DATA"
  MOUNTED=yes
  setup --no-runtime
  printf 'first\n' | curl -sSf -X PUT "$URL/api/v1/projects/alice/knapsack/files/notes.txt" \
    -H "Authorization: Bearer $alice" --data-binary @- >/dev/null || fail "first write"
  head_before=$(api GET /api/v1/projects/alice/knapsack "$alice" | json_get 'd["head"]["sha"]')
  head -c $((4 * 1024 * 1024)) /dev/urandom >"$work/blob"
  digest=$(sha256_of "$work/blob")
  head -c $((1024 * 1024)) /dev/urandom | base64 >"$work/file.txt"

  # A push under way when the disk fills: its session exists, its layer does not fit.
  location=$(new_upload)
  sep='?'
  case $location in *'?'*) sep='&' ;; esac

  step "fill the disk"
  dd if=/dev/zero of="$DATA/filler" bs=1M 2>/dev/null || true
  df -h "$DATA" | tail -n 1

  step "a registry push on a full disk"
  code=$(curl -sS -o "$work/push.out" -w '%{http_code}' -X PUT -u "alice:$token" \
    -H 'Content-Type: application/octet-stream' --data-binary @"$work/blob" "$location${sep}digest=$digest")
  echo "push: $code $(cat "$work/push.out")"
  [ "$code" = 507 ] || fail "a push on a full disk answered $code, not 507"
  [ "$(curl -sS -o /dev/null -w '%{http_code}' -I -u "alice:$token" "$URL/v2/alice/knapsack/blobs/$digest")" = 404 ] ||
    fail "a blob of the failed push is visible"
  code=$(curl -sS -o "$work/push.out" -w '%{http_code}' -X POST -u "alice:$token" "$URL/v2/alice/knapsack/blobs/uploads/")
  echo "new upload session: $code $(cat "$work/push.out")"
  [ "$code" = 507 ] || fail "starting an upload on a full disk answered $code, not 507"

  step "a file commit on a full disk"
  code=$(curl -sS -o "$work/commit.out" -w '%{http_code}' -X PUT "$URL/api/v1/projects/alice/knapsack/files/big.txt" \
    -H "Authorization: Bearer $alice" --data-binary @"$work/file.txt")
  echo "commit: $code $(cat "$work/commit.out")"
  [ "$code" = 507 ] || fail "a commit on a full disk answered $code, not 507"
  [ "$(api GET /api/v1/projects/alice/knapsack "$alice" | json_get 'd["head"]["sha"]')" = "$head_before" ] ||
    fail "the failed commit moved the head"
  [ "$(curl -sS -o /dev/null -w '%{http_code}' "$URL/api/v1/projects/alice/knapsack/files/big.txt" \
    -H "Authorization: Bearer $alice")" = 404 ] || fail "the failed commit's file is visible"

  step "space freed: the same server serves both"
  rm -f "$DATA/filler"
  # The same session: the refused body changed nothing in it.
  code=$(curl -sS -o /dev/null -w '%{http_code}' -X PUT -u "alice:$token" -H 'Content-Type: application/octet-stream' \
    --data-binary @"$work/blob" "$location${sep}digest=$digest")
  [ "$code" = 201 ] || fail "the push after freeing space answered $code"
  new_upload >/dev/null  # and new sessions start again
  code=$(curl -sS -o /dev/null -w '%{http_code}' -X PUT "$URL/api/v1/projects/alice/knapsack/files/big.txt" \
    -H "Authorization: Bearer $alice" --data-binary @"$work/file.txt")
  [ "$code" = 200 ] || [ "$code" = 201 ] || fail "the commit after freeing space answered $code"
  stop_deployer
  check 0 --no-runtime
}

case $CASE in
  builder-kill) case_builder_kill ;;
  upload-kill) case_upload_kill ;;
  rollout-kill) case_rollout_kill ;;
  podman-kill) case_podman_kill ;;
  disk-full) case_disk_full ;;
  *) fail "unknown case $CASE" ;;
esac
echo "fault $CASE ok in $(($(date +%s) - started_at)) s"
