#!/usr/bin/env bash
# Deploy benchmark: a release orsa-deployer with its embedded podman service,
# the python-or base, the knapsack starter. In ONE run, interleaved per
# repetition so that drift on the machine hits every case alike:
#   deploy (blue/green)  POST /api/v1/deployments of a NEW image while the
#                        previous version serves → first answer of the new
#                        version through the gateway (GET <services>/o/p/ reports the
#                        image digest: /healthz cannot tell the versions apart)
#   deploy (no live)     the same after stopping the live version first →
#                        first 200 from GET <services>/o/p/healthz through the gateway
#   podman run (peer)    `podman run -d` of the same image on the deployer's
#                        own store (same root, runroot, tmpdir, driver, confs)
#                        → first 200 from /healthz on its published port
#   wake from idle       collector stops the deployment as idle → one
#                        GET <services>/o/p/healthz, held by the gateway, until 200
#   podman start (peer)  `podman start` of a stopped container of the same
#                        image → first 200 from /healthz
# Pollers (curl) run every POLL_MS (default 10 ms) plus curl's own time.
# Phases come from podman's events file and gunicorn's log timestamps.
# Usage: bench/deploy/run.sh   (RUNS=7 default; needs the release preset built)
# Not run in CI: it needs podman, runc, mmdebstrap and ~3 minutes for the base.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
RUNS=${RUNS:-7}
POLL_MS=${POLL_MS:-10}
DEPLOYER=$root/build/release/apps/orsa-deployer/orsa-deployer
BUILDER=$root/build/release/apps/orsa-builder/orsa-builder
[ -x "$DEPLOYER" ] && [ -x "$BUILDER" ] || {
  echo "build the release preset first: make build PRESET=release" >&2
  exit 1
}
[ "$RUNS" -ge 1 ] || { echo "RUNS must be ≥ 1" >&2; exit 1; }
. "$root/tests/lib/deployer.sh"

results=$root/bench/results
mkdir -p "$results"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
result_file=$results/deploy-$stamp.md
# Short path: podman refuses a runroot over 50 characters.
work=$(mktemp -d /tmp/orsa-bdep-XXXXXX)
DATA=$work/data
OWNER=alice PROJECT=knapsack

cleanup() {
  local rc=$?
  # Pollers the run may have left (a die mid-watch): ours by pid, if still curl.
  local p
  while read -r p; do
    [ "$(cat "/proc/$p/comm" 2>/dev/null)" = curl ] && kill "$p" 2>/dev/null
  done <"$work/pollers" 2>/dev/null || true
  stop_deployer
  # Containers outlive the deployer by design: remove ours, then anything
  # still mounted under the work dir (overlay), before deleting it.
  remove_deployer_containers "$DATA" "$work"
  [ -n "${KEEP_WORK:-}" ] && { echo "work dir kept: $work" >&2; return "$rc"; }
  rm -rf "$work" 2>/dev/null || true
  return "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
die() {
  echo "FAIL: $*" >&2
  tail -n 30 "$work/deployer.log" >&2 || true
  exit 1
}
log() { echo "--- $*" >&2; }

# --- timing helpers ----------------------------------------------------------
# Microseconds from bash itself: a `date` process would add its own start-up.
now_us() { echo "${EPOCHREALTIME/./}"; }
# A builtin sleep (read with a timeout on a fifo nobody writes): spawning
# `sleep` every 10 ms would cost CPU the measured containers need.
mkfifo "$work/tick"
exec 9<>"$work/tick"
nap() { read -r -t "$1" -u 9 || true; }
ms_between() { echo $((($2 - $1) / 1000)); }

# --- the deployer and its podman store ---------------------------------------
export ORSA_ADMIN_PASSWORD=bench-admin-password
# --gc-idle/--gc-interval 0: the collector runs only when the bench asks
# (POST /api/v1/admin/gc), and then stops anything idle for 2 s.
FLAGS=(--base-image orsa/base-python-or:latest --health-timeout 60s --gc-idle 2s --gc-interval 0)
start_deployer "$DEPLOYER" "$work" "${FLAGS[@]}" || die "deployer did not start"

# podman exactly as the service runs it: PodmanService::cli_command() and
# cli_environment() (src/runtime/podman_service.cpp), values read back from
# the storage.conf it wrote, so driver, root and runroot cannot drift.
conf_value() { sed -n "s/^$1 = \"\(.*\)\"$/\1/p" "$DATA/podman/storage.conf"; }
DRIVER=$(conf_value driver)
RUNROOT=$(conf_value runroot)
dpod() { deployer_podman "$DATA" "$@"; }
EVENTS=$RUNROOT/libpod-tmp/events/events.log

log "base image (mmdebstrap, ~2 min)"
ORSA_REGISTRY_USERNAME=admin ORSA_REGISTRY_PASSWORD=$ORSA_ADMIN_PASSWORD \
  "$BUILDER" base build python-or --bases-dir "$root/templates/bases" --registry "$URL" \
  --work-dir "$work" >"$work/base.out" 2>&1 || { cat "$work/base.out"; die "base build"; }

token=$(register "$OWNER")
admin=$(curl -sSf "$URL/api/v1/auth/login" -H 'Content-Type: application/json' \
  -d "{\"login\":\"admin\",\"password\":\"$ORSA_ADMIN_PASSWORD\"}" | json_get 'd["token"]')
api POST /api/v1/projects "$token" "{\"name\":\"$PROJECT\"}" >/dev/null
GW=$SERVICES_URL/$OWNER/$PROJECT

# --- images ------------------------------------------------------------------
model=$(curl -sSf "$URL/api/v1/projects/$OWNER/$PROJECT/files/model.py" -H "Authorization: Bearer $token")
build_image() {  # revision → image id of a build of model.py + a comment
  printf '%s\n# bench revision %s\n' "$model" "$1" | curl -sSf -X PUT \
    "$URL/api/v1/projects/$OWNER/$PROJECT/files/model.py" -H "Authorization: Bearer $token" \
    --data-binary @- >/dev/null
  build_head "$OWNER" "$PROJECT" "$token"
}
# One warm-up image plus two new images per repetition: every measured
# deploy pulls a version the store has never seen (its app layer is new;
# the base layers are shared and already there).
log "$((3 * RUNS + 1)) builds"
warm_image=$(build_image 0)
declare -a green_images cold_images pull_images
for i in $(seq 1 "$RUNS"); do
  green_images[i]=$(build_image "g$i")
  cold_images[i]=$(build_image "c$i")
  pull_images[i]=$(build_image "p$i")  # for the pull-alone probe
done

# --- deployments -------------------------------------------------------------
deployment() { api GET "/api/v1/deployments/$1" "$token"; }
status_of() { deployment "$1" | json_get 'd["status"]'; }
wait_status() {  # id wanted → waits up to 120 s
  for _ in $(seq 1 1200); do
    [ "$(status_of "$1")" = "$2" ] && return 0
    nap 0.1
  done
  die "deployment $1 is $(status_of "$1"), wanted $2: $(deployment "$1")"
}
container_of() { dpod ps -a -q --no-trunc --filter "label=orsa.deployment=$1" | head -n 1; }

POSTED_ID="" POSTED_DIGEST="" T_ACCEPTED=0
post_deployment() {  # image id → sets POSTED_ID, POSTED_DIGEST, T_ACCEPTED; fails unless 202
  local out code
  out=$(curl -sS -w '\n%{http_code}' -X POST "$URL/api/v1/deployments" \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    --data-binary "{\"image_id\":\"$1\",\"visibility\":\"public\"}")
  T_ACCEPTED=$(now_us)
  code=${out##*$'\n'}
  [ "$code" = 202 ] || die "POST /api/v1/deployments answered $code: $out"
  # Bash, not python: a process start here would compete with the rollout.
  [[ $out =~ \"id\":\"([a-z0-9_]+)\" ]] || die "no id in $out"
  POSTED_ID=${BASH_REMATCH[1]}
  [[ $out =~ \"image_digest\":\"(sha256:[0-9a-f]+)\" ]] || die "no digest in $out"
  POSTED_DIGEST=${BASH_REMATCH[1]}
}

# Polling: ONE curl process per watch, one request every POLL_MS (--rate),
# each answer streamed as it arrives: the body (unbuffered, -N) then
# "@@<code>" on stderr (unbuffered). A curl started per request costs ~60 ms
# of wall time on this loaded 2-core machine (measured: 50 starts in 3.1 s),
# which would make a 10 ms poll impossible and steal CPU from the container.
# The URL glob (?poll=1..N) is what makes curl repeat the request.
RATE=$((1000 / POLL_MS))
stream() {  # url [curl args...]
  local url=$1
  shift
  # exec: $! of the process substitution is then curl itself, which must be
  # killed: curl ignores SIGPIPE and would poll on after its reader is gone.
  echo "$BASHPID" >>"$work/pollers"  # for cleanup, whatever path ends the run
  exec curl -s -N -m 5 --rate "$RATE/s" "$@" -w '%{stderr}\n@@%{http_code}\n' "$url?poll=[1-100000]" 2>&1
}
# Sets T_OK to the time of the first answer that `accept CODE BODY` takes
# and POLLS to how many answers came; dies after 120 s.
T_OK=0 POLLS=0
first_answer() {  # t0 accept url [curl args...]  (reads stream output)
  local t0=$1 accept=$2 line body="" now fd pid
  shift 2
  T_OK=0 POLLS=0
  # A process substitution, not a pipe: the loop runs in this shell (its
  # variables stay), and closing the fd ends curl (SIGPIPE) without waiting.
  exec {fd}< <(stream "$@")
  pid=$!
  while IFS= read -r -u "$fd" line; do
    now=${EPOCHREALTIME/./}
    if [[ $line == @@* ]]; then
      POLLS=$((POLLS + 1))
      if "$accept" "${line#@@}" "$body"; then T_OK=$now; break; fi
      body=""
      [ $((now - t0)) -lt 120000000 ] || break
    else
      body+=$line
    fi
  done
  exec {fd}<&-
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  [ "$T_OK" != 0 ] || die "no accepted answer from $1 within 120 s"
}
NEW_DIGEST=""
answers_new_digest() { [ "$1" = 200 ] && [[ $2 == *"\"$NEW_DIGEST\""* ]]; }
answers_200() { [ "$1" = 200 ]; }

# The deployment's status in the API, in the background while the gateway
# is watched: "time status" lines until healthy or failed.
watch_status() {  # id → file
  local line fd pid
  exec {fd}< <(stream "$URL/api/v1/deployments/$1" -H "Authorization: Bearer $token")
  pid=$!
  while IFS= read -r -u "$fd" line; do
    [[ $line =~ \"status\":\"([a-z_]+)\" ]] || continue
    echo "${EPOCHREALTIME/./} ${BASH_REMATCH[1]}"
    case ${BASH_REMATCH[1]} in healthy | failed) break ;; esac
  done >"$work/status.txt"
  exec {fd}<&-
  kill "$pid" 2>/dev/null || true
}
# Sets T_HEALTHY and SEEN (status → first time seen) from that file.
declare -A SEEN
T_HEALTHY=0
read_status() {  # id
  local t st
  SEEN=() T_HEALTHY=0
  while read -r t st; do
    [ -z "${SEEN[$st]:-}" ] && SEEN[$st]=$t
  done <"$work/status.txt"
  [ -n "${SEEN[failed]:-}" ] && die "deployment $1 failed: $(deployment "$1")"
  T_HEALTHY=${SEEN[healthy]:-0}
}

# A deploy, timed: POST, then the gateway until `accept`, the API meanwhile.
deploy_timed() {  # image gateway-path accept
  T0=$(now_us)
  post_deployment "$1"
  NEW_DIGEST=$POSTED_DIGEST
  watch_status "$POSTED_ID" &
  local watcher=$!
  first_answer "$T0" "$3" "$GW$2" -H 'Accept: application/json'
  wait "$watcher"
  read_status "$POSTED_ID"
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Marks for the phase analysis: case rep t0 t_cli_or_post t_live t_healthy container
marks=$work/marks.tsv
: >"$marks"
mark() { (IFS=$'\t'; echo "$*") >>"$marks"; }
logs_of() { dpod logs -t "$1" >"$work/logs-$2.txt" 2>&1 || true; }

declare -A samples
add() { samples[$1]+="$2 "; }

# --- warm-up: the first pull brings the base layers into the store ------------
log "warm-up deploy (first pull of the base layers; not measured)"
post_deployment "$warm_image"
wait_status "$POSTED_ID" healthy
live_id=$POSTED_ID
# Same podman store as the service: its container must be visible here.
[ -n "$(container_of "$live_id")" ] || die "the bench's podman does not see the deployer's container"
[ "$(dpod info --format '{{.Store.GraphDriverName}}')" = "$DRIVER" ] || die "storage driver differs"

# Deployment defaults (memory, CPUs) for the peer: same limits, same work.
read -r MEM_MB CPUS < <(deployment "$live_id" | json_get 'str(d["memory_mb"]) + " " + str(d["cpus"])')
PEER_OPTS=(--read-only --tmpfs "/tmp:rw,size=64m,mode=1777" --memory "${MEM_MB}m" --memory-swap "${MEM_MB}m"
  --cpus "$CPUS" --pids-limit 256
  # The deployer's hardening too (its own network aside: the peer publishes a port).
  --cap-drop ALL --security-opt no-new-privileges --user 65534:65534
  --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --log-opt max-size=8388608)

for i in $(seq 1 "$RUNS"); do
  log "repetition $i/$RUNS"
  # 1. Blue/green: the previous version keeps serving until the new one is live.
  deploy_timed "${green_images[i]}" / answers_new_digest
  add deploy_bg "$(ms_between "$T0" "$T_OK")"
  add deploy_bg_healthy "$(ms_between "$T0" "$T_HEALTHY")"
  add poll_period "$(((T_OK - T_ACCEPTED) / 1000 / POLLS))"
  cid=$(container_of "$POSTED_ID")
  mark deploy_bg "$i" "$T0" "$T_ACCEPTED" "$T_OK" "$T_HEALTHY" "$cid" \
    "pulling=${SEEN[pulling]:-0}" "starting=${SEEN[starting]:-0}"
  logs_of "$cid" "deploy_bg-$i"
  green_id=$POSTED_ID green_digest=$POSTED_DIGEST
  wait_status "$live_id" stopped  # the old one is retired before the next case
  live_id=$green_id

  # 2. Peer: podman run of the same image (already in the store), same wait.
  port=$(free_port)
  # The reference the deployer itself runs (Deployments::image_reference).
  image_ref=$HOSTPORT/$OWNER/$PROJECT@$green_digest
  dpod image exists "$image_ref" || die "image $green_digest is not in the deployer's store"
  t0=$(now_us)
  cid=$(dpod run -d -p "127.0.0.1:$port:8000" "${PEER_OPTS[@]}" "$image_ref")
  t_cli=$(now_us)
  first_answer "$t0" answers_200 "http://127.0.0.1:$port/healthz"
  add podman_run "$(ms_between "$t0" "$T_OK")"
  add podman_run_cli "$(ms_between "$t0" "$t_cli")"
  mark podman_run "$i" "$t0" "$t_cli" "$T_OK" 0 "$cid"
  logs_of "$cid" "podman_run-$i"
  dpod rm -f "$cid" >/dev/null

  # 3. No live version: stop the live one, then deploy; /healthz answers only
  #    once the new version is live, so its first 200 is the new version's.
  api POST "/api/v1/deployments/$live_id/stop" "$token" >/dev/null
  wait_status "$live_id" stopped
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$GW/healthz")" != 200 ] || die "a stopped project still answers"
  deploy_timed "${cold_images[i]}" /healthz answers_200
  add deploy_cold "$(ms_between "$T0" "$T_OK")"
  add deploy_cold_healthy "$(ms_between "$T0" "$T_HEALTHY")"
  cid=$(container_of "$POSTED_ID")
  mark deploy_cold "$i" "$T0" "$T_ACCEPTED" "$T_OK" "$T_HEALTHY" "$cid" \
    "pulling=${SEEN[pulling]:-0}" "starting=${SEEN[starting]:-0}"
  logs_of "$cid" "deploy_cold-$i"
  live_id=$POSTED_ID
done

# --- the pull alone: what the worker's first step costs for a new version ----
# The same call the deployer makes (POST /images/create on its podman
# service), for images nobody pulled yet; base layers are in the store.
sock=$DATA/podman/podman.sock
[ -S "$sock" ] || die "no podman socket at $sock"
registry_auth=$(printf '{"username":"admin","password":"%s","serveraddress":"%s"}' \
  "$ORSA_ADMIN_PASSWORD" "$HOSTPORT" | base64 -w0 | tr '+/' '-_')
for i in $(seq 1 "$RUNS"); do
  digest=$(api GET "/api/v1/images/${pull_images[i]}" "$token" | json_get 'd["digest"]')
  t0=$(now_us)
  curl -sS --unix-socket "$sock" -X POST -H "X-Registry-Auth: $registry_auth" \
    "http://d/v1.41/images/create?fromImage=$HOSTPORT/$OWNER/$PROJECT@$digest" >"$work/pull.out"
  t1=$(now_us)
  grep -qi '"error' "$work/pull.out" && die "pull probe: $(cat "$work/pull.out")"
  add pull_alone "$(ms_between "$t0" "$t1")"
done

# --- wake from idle, and its peer: podman start of a stopped container ---------
gc_run() { api POST /api/v1/admin/gc "$admin" '{"dry_run":false}'; }
peer_port=$(free_port)
peer=$(dpod create -p "127.0.0.1:$peer_port:8000" "${PEER_OPTS[@]}" "$image_ref")
for i in $(seq 1 "$RUNS"); do
  log "wake $i/$RUNS"
  nap 3  # longer than --gc-idle 2s, with no request in between
  report=$(gc_run)
  python3 -c 'import json,sys; r=json.load(sys.stdin); sys.exit(sys.argv[1] not in [s["deployment_id"] for s in r["idle_stopped"]])' \
    "$live_id" <<<"$report" || die "gc did not stop $live_id as idle: $report"
  [ "$(deployment "$live_id" | json_get 'd["status"] + " " + d["status_reason"]')" = "stopped idle" ] ||
    die "after gc: $(deployment "$live_id")"
  t0=$(now_us)
  code=$(curl -s -m 70 -o /dev/null -w '%{http_code}' "$GW/healthz" || true)
  t1=$(now_us)
  [ "$code" = 200 ] || die "wake answered $code"
  add wake "$(ms_between "$t0" "$t1")"
  cid=$(container_of "$live_id")
  mark wake "$i" "$t0" "$t0" "$t1" 0 "$cid"
  logs_of "$cid" "wake-$i"

  t0=$(now_us)
  dpod start "$peer" >/dev/null
  t_cli=$(now_us)
  first_answer "$t0" answers_200 "http://127.0.0.1:$peer_port/healthz"
  add podman_start "$(ms_between "$t0" "$T_OK")"
  mark podman_start "$i" "$t0" "$t_cli" "$T_OK" 0 "$peer"
  logs_of "$peer" "podman_start-$i"
  dpod stop -t 10 "$peer" >/dev/null
done
dpod rm -f "$peer" >/dev/null

# --- report --------------------------------------------------------------------
cp "$EVENTS" "$work/events.log" 2>/dev/null || : >"$work/events.log"
stats() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {
  m = a[int((NR + 1) / 2)]; if (NR % 2 == 0) m = int((a[NR/2] + a[NR/2 + 1]) / 2)
  p = a[int(NR * 0.9 + 0.999)]; print m, p, a[1], a[NR] }'; }
read -r peer_med _ < <(echo "${samples[podman_run]}" | stats)
row() {  # label key target-ratio target-ms
  local med p90 min max ratio verdict
  read -r med p90 min max < <(echo "${samples[$2]}" | stats)
  ratio=$(python3 -c "print(f'{$med / max($peer_med, 1):.2f}×')")
  verdict="—"
  if [ -n "${3:-}" ]; then
    if python3 -c "import sys; sys.exit(not ($med <= $3 * $peer_med and $med <= $4))"; then
      verdict="≤ $3× and ≤ $4 ms — **met**"
    else
      verdict="≤ $3× and ≤ $4 ms — **missed**"
    fi
  fi
  printf '| %s | %s | %s | %s–%s | %s | %s |\n' "$1" "$med" "$p90" "$min" "$max" "$ratio" "$verdict"
}
{
  echo "orsa-deployer $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff --quiet 2>/dev/null || echo '+dirty'), $(nproc) cores, kernel $(uname -r), podman $(podman --version | awk '{print $3}') (runc), storage driver $DRIVER, $RUNS runs, poll every ${POLL_MS} ms + curl, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "| case (ms from the request/command) | median | p90 | min–max | vs podman run | target |"
  echo "|---|---|---|---|---|---|"
  row "deploy, blue/green: POST → new version answers via gateway" deploy_bg 1.3 1500
  row "  same, POST → \`status=healthy\` in the API" deploy_bg_healthy
  row "deploy, no live version: POST → first 200 /healthz via gateway" deploy_cold 1.3 1500
  row "  same, POST → \`status=healthy\` in the API" deploy_cold_healthy
  row "podman run (peer) → first 200 /healthz on its port" podman_run
  row "  of which the \`podman run -d\` command" podman_run_cli
  row "pull alone of a new version (service API, base present)" pull_alone
  row "wake from idle: one GET /healthz via gateway → 200" wake
  row "podman start of a stopped container (peer) → first 200" podman_start
  echo
  echo "samples (ms): $(for k in deploy_bg deploy_cold podman_run pull_alone wake podman_start; do printf '%s: %s; ' "$k" "${samples[$k]}"; done)"
  echo "poll period actually achieved (blue/green watch, median): $(echo "${samples[poll_period]}" | stats | cut -d' ' -f1) ms"
  echo
  python3 "$root/bench/deploy/phases.py" "$marks" "$work/events.log" "$work"
} | tee "$result_file"
echo "results: $result_file" >&2
