#!/usr/bin/env bash
# First deploy on a fresh installation: a new data dir (so an empty podman
# store) whose base the deployer itself has (--ensure-base python-or finds it
# in its registry, as on any start after the first), then the journey a new
# user makes: register, create the starter project, build, deploy. Measured:
#   first deploy   POST /api/v1/deployments → first 200 from the gateway's
#                  /healthz, with image prefetch on (the default) and off
#                  (--no-prefetch-images: the deploy pulls base and app)
#   podman run     `podman run -d` of the same image, already in the store,
#                  → first 200 /healthz on its port (the peer)
# Cases alternate per repetition, each on its own data dir. SETTLE seconds
# (default 20) pass between the deployer's start and the first request: the
# time a person takes to sign up and look around, in which the prefetcher
# pulls the base. Polls every 20 ms (a curl per request).
# Usage: bench/deploy/first_deploy.sh  (RUNS=3; PRESET=release; needs the
# base fixture: `ctest -R fixture.base_python_or` in build/$PRESET)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
RUNS=${RUNS:-3}
SETTLE=${SETTLE:-20}
. "$root/bench/deploy/common.sh"
result_file=$results/first-deploy-$(date -u +%Y%m%dT%H%M%SZ).md
until_200() {  # url → ms when it first answers 200 (dies after 180 s)
  local t0
  t0=$(now_ms)
  while [ "$(curl -s -o /dev/null -w '%{http_code}' -m 2 "$1")" != 200 ]; do
    [ $(($(now_ms) - t0)) -lt 180000 ] || { echo "no 200 from $1" >&2; exit 1; }
    sleep 0.02
  done
  now_ms
}

declare -a on off peer
one_run() {  # on|off → appends to its array (and the peer's when on)
  local mode=$1 work token image_id t0 t1 digest port cid
  work=$(mktemp -d /tmp/orsa-bfd-XXXXXX)
  DATA=$work/data
  start_deployer "$DEPLOYER" "$work" --no-runtime
  import_base_python_or "$BASE_DIR"
  stop_deployer
  local flags=(--base-image orsa/base-python-or:latest --ensure-base python-or
    --builder-bin "$BUILDER" --health-timeout 120s)
  [ "$mode" = off ] && flags+=(--no-prefetch-images)
  start_deployer "$DEPLOYER" "$work" "${flags[@]}"
  sleep "$SETTLE"
  token=$(register "$OWNER")
  api POST /api/v1/projects "$token" "{\"name\":\"$PROJECT\"}" >/dev/null
  image_id=$(build_starter "$token")
  t0=$(now_ms)
  api POST /api/v1/deployments "$token" "{\"image_id\":\"$image_id\",\"visibility\":\"public\"}" \
    >"$work/deployment.json"
  t1=$(until_200 "$SERVICES_URL/$OWNER/$PROJECT/healthz")
  if [ "$mode" = on ]; then on+=($((t1 - t0))); else off+=($((t1 - t0))); fi
  if [ "$mode" = on ]; then
    digest=$(json_get 'd["image_digest"]' <"$work/deployment.json")
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    t0=$(now_ms)
    # The deployer's hardening and limits (bench/deploy/run.sh: PEER_OPTS).
    cid=$(deployer_podman "$DATA" run -d -p "127.0.0.1:$port:8000" --read-only \
      --tmpfs "/tmp:rw,size=64m,mode=1777" --memory 512m --memory-swap 512m --cpus 1 \
      --pids-limit 256 --cap-drop ALL --security-opt no-new-privileges --user 65534:65534 \
      "$HOSTPORT/$OWNER/$PROJECT@$digest")
    t1=$(until_200 "http://127.0.0.1:$port/healthz")
    peer+=($((t1 - t0)))
    deployer_podman "$DATA" rm -f "$cid" >/dev/null
  fi
  grep -h "prefetch:" "$work/deployer.log" >&2 || true
  stop_deployer
  remove_deployer_containers "$DATA" "$work"
  rm -rf "$work" 2>/dev/null || true
}

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
export ORSA_TEST_LOG_LEVEL=info
for i in $(seq 1 "$RUNS"); do
  echo "--- repetition $i of $RUNS" >&2
  one_run on
  one_run off
done
m_on=$(median "${on[@]}") m_off=$(median "${off[@]}") m_peer=$(median "${peer[@]}")
{
  echo "First deploy on a fresh data dir ($PRESET build, $RUNS repetitions, SETTLE=${SETTLE}s, $(date -u +%F))"
  echo
  echo "| case (ms from the request) | median | all | vs podman run |"
  echo "| --- | ---: | --- | ---: |"
  echo "| first deploy, prefetch on → first 200 /healthz | $m_on | ${on[*]} | $(awk "BEGIN{printf \"%.2f\", $m_on/$m_peer}") |"
  echo "| first deploy, prefetch off → first 200 /healthz | $m_off | ${off[*]} | $(awk "BEGIN{printf \"%.2f\", $m_off/$m_peer}") |"
  echo "| podman run (peer, image present) → first 200 /healthz | $m_peer | ${peer[*]} | 1.00 |"
} | tee "$result_file"
