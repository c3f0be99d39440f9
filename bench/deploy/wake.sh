#!/usr/bin/env bash
# Waking an idle deployment, through ORSA's gateway and beside podman itself.
# One data dir; the python-or starter is built and deployed once; then, RUNS
# times:
#   warm      a request to a serving deployment            (the baseline)
#   paused    the same after --pause-idle froze it          (ORSA's thaw)
#   stopped   the same after the collector stopped it       (ORSA's cold wake)
# and the peers, a container of the same image run by podman with the
# deployer's flags, each timed from the podman command to the first 200:
#   unpause   `podman pause`, then `podman unpause` + first 200
#   start     `podman stop`,  then `podman start`   + first 200
# Each request is `curl` to /healthz (time_total); polls every 10 ms.
# Usage: bench/deploy/wake.sh  (RUNS=5; PRESET=release; needs the base
# fixture: `ctest -R fixture.base_python_or` in build/$PRESET)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
RUNS=${RUNS:-5}
. "$root/bench/deploy/common.sh"
result_file=$results/wake-$(date -u +%Y%m%dT%H%M%SZ).md

work=$(mktemp -d /tmp/orsa-bwake-XXXXXX)
DATA=$work/data
peer=
cleanup() {
  [ -n "$peer" ] && deployer_podman "$DATA" rm -f "$peer" >/dev/null 2>&1
  stop_deployer
  remove_deployer_containers "$DATA" "$work"
  rm -rf "$work" 2>/dev/null || true
}
trap cleanup EXIT

request_ms() {  # url → ms of one request that must answer 200
  local out
  out=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' -m 120 "$1")
  [ "${out%% *}" = 200 ] || { echo "$1 answered ${out%% *}" >&2; exit 1; }
  awk -v t="${out#* }" 'BEGIN {printf "%.1f", t * 1000}'
}
until_200_ms() {  # t0 url → ms from t0 until url first answers 200
  local t0=$1
  while [ "$(curl -s -o /dev/null -w '%{http_code}' -m 2 "$2")" != 200 ]; do
    [ $(($(now_ms) - t0)) -lt 60000 ] || { echo "no 200 from $2" >&2; exit 1; }
    sleep 0.01
  done
  echo $(($(now_ms) - t0))
}
status_of() { api GET "/api/v1/deployments/$1" "$token" | json_get 'd["status"]'; }
wait_status() {  # deployment status
  for _ in $(seq 1 600); do
    [ "$(status_of "$1")" = "$2" ] && return 0
    sleep 0.05
  done
  echo "deployment $1 never became $2" >&2
  exit 1
}

start_deployer "$DEPLOYER" "$work" --no-runtime
import_base_python_or "$BASE_DIR"
stop_deployer
start_deployer "$DEPLOYER" "$work" --base-image orsa/base-python-or:latest \
  --builder-bin "$BUILDER" --health-timeout 120s --pause-idle 2s --gc-idle 4s --gc-interval 0
token=$(register "$OWNER")
api POST /api/v1/projects "$token" "{\"name\":\"$PROJECT\"}" >/dev/null
image_id=$(build_starter "$token")
api POST /api/v1/deployments "$token" "{\"image_id\":\"$image_id\",\"visibility\":\"public\"}" \
  >"$work/deployment.json"
dep=$(json_get 'd["id"]' <"$work/deployment.json")
digest=$(json_get 'd["image_digest"]' <"$work/deployment.json")
url=$SERVICES_URL/$OWNER/$PROJECT/healthz
wait_status "$dep" healthy
admin=$(curl -sSf "$URL/api/v1/auth/login" -H 'Content-Type: application/json' \
  -d "{\"login\":\"admin\",\"password\":\"$ORSA_ADMIN_PASSWORD\"}" | json_get 'd["token"]')

# The peer: the same image with the deployer's hardening and limits.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
peer=$(deployer_podman "$DATA" run -d -p "127.0.0.1:$port:8000" --read-only \
  --tmpfs "/tmp:rw,size=64m,mode=1777" --memory 512m --memory-swap 512m --cpus 1 \
  --pids-limit 256 --cap-drop ALL --security-opt no-new-privileges --user 65534:65534 \
  "$HOSTPORT/$OWNER/$PROJECT@$digest")
peer_url=http://127.0.0.1:$port/healthz
until_200_ms "$(now_ms)" "$peer_url" >/dev/null

declare -a warm paused stopped unpause start held
for i in $(seq 1 "$RUNS"); do
  echo "--- repetition $i of $RUNS" >&2
  request_ms "$url" >/dev/null
  warm+=("$(request_ms "$url")")
  wait_status "$dep" paused
  held+=("$(api POST /api/v1/admin/gc "$admin" '{"dry_run":true}' |
    json_get 'str(next(p["memory_bytes"] for p in d["paused"]))')")
  paused+=("$(request_ms "$url")")
  wait_status "$dep" paused
  sleep 4.5  # past --gc-idle
  api POST /api/v1/admin/gc "$admin" '{"dry_run":false}' >/dev/null
  wait_status "$dep" stopped
  stopped+=("$(request_ms "$url")")

  deployer_podman "$DATA" pause "$peer" >/dev/null
  t0=$(now_ms)
  deployer_podman "$DATA" unpause "$peer" >/dev/null
  unpause+=("$(until_200_ms "$t0" "$peer_url")")
  deployer_podman "$DATA" stop -t 10 "$peer" >/dev/null
  t0=$(now_ms)
  deployer_podman "$DATA" start "$peer" >/dev/null
  start+=("$(until_200_ms "$t0" "$peer_url")")
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
m_warm=$(median "${warm[@]}") m_paused=$(median "${paused[@]}") m_stopped=$(median "${stopped[@]}")
m_unpause=$(median "${unpause[@]}") m_start=$(median "${start[@]}") m_held=$(median "${held[@]}")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
{
  echo "Waking an idle deployment ($PRESET build, $RUNS repetitions, $(date -u +%F), python-or starter)"
  echo
  echo "| case | median ms | all | note |"
  echo "| --- | ---: | --- | --- |"
  echo "| request to a serving deployment (gateway) | $m_warm | ${warm[*]} | baseline |"
  echo "| request to a paused deployment (gateway thaws it) | $m_paused | ${paused[*]} | $(awk -v a="$m_paused" -v b="$m_warm" 'BEGIN {printf "+%.1f ms", a - b}') over the baseline |"
  echo "| podman unpause + first 200 (peer) | $m_unpause | ${unpause[*]} | paused/peer $(ratio "$m_paused" "$m_unpause") |"
  echo "| request to an idle-stopped deployment (gateway starts it) | $m_stopped | ${stopped[*]} | stopped/peer $(ratio "$m_stopped" "$m_start") |"
  echo "| podman start + first 200 (peer) | $m_start | ${start[*]} | |"
  echo
  echo "Memory a paused deployment holds (collector report): median $((m_held / 1024 / 1024)) MiB (${held[*]} bytes)."
} | tee "$result_file"
