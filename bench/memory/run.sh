#!/usr/bin/env bash
# Control-plane memory per deployment and per open SSE stream. One release
# orsa-deployer with real podman on a fresh data dir (as bench/deploy/), then:
#   deployments  N running deployments of the python-or starter (N over
#                DEPLOYMENTS), each healthy and answered once through the
#                gateway. A deployment is its project's live version, and an
#                image belongs to the project it was built in, so N needs N
#                projects, each built once (same content) before N = 0.
#   streams      M open `GET /api/v1/deployments/{id}/logs` event streams
#                (M over STREAMS; each checked for its 200 and
#                text/event-stream by bench/memory/sse_client.py), then all
#                closed again. A deployment's log stream stays open for as
#                long as the container runs; a finished build's ends at once.
# After each step and SETTLE idle seconds: VmRSS, RssAnon and Threads of
# orsa-deployer (/proc/PID/status), the RSS of its podman service, and the
# containers' own memory (podman stats). Prints markdown tables with the
# least-squares slopes, writes bench/results/memory-<time>.csv and
# bench/figures/memory.png (gnuplot).
# Usage: bench/memory/run.sh  (DEPLOYMENTS="0 5 10 20" STREAMS="0 100 200 256"
# SETTLE=2; PRESET=release; needs the python-or base fixture)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
DEPLOYMENTS=${DEPLOYMENTS:-0 5 10 20}
# The API server serves at most 256 streams at once (http::ServerOptions::
# max_streams, no flag); more get 503. One past the last count checks that.
STREAMS=${STREAMS:-0 100 200 256}
SETTLE=${SETTLE:-2}
if [ -z "${BASE_DIR:-}" ]; then  # the fixture is built by whichever preset ran its ctest
  for preset in "${PRESET:-release}" debug; do
    BASE_DIR=$root/build/$preset/fixtures/base-python-or
    [ -d "$BASE_DIR/layout" ] && break
  done
fi
. "$root/bench/deploy/common.sh"
command -v gnuplot >/dev/null || { echo "gnuplot is missing" >&2; exit 1; }
OWNER=benchmem
stamp=$(date -u +%Y%m%dT%H%M%SZ)
csv=$results/memory-$stamp.csv
mkdir -p "$root/bench/figures"

work=$(mktemp -d /tmp/bench-memory-XXXXXX)  # short: podman's runroot lives under it (≤ 50 chars)
DATA=$work/data
token=
declare -a deps=()
cleanup() {
  if [ -n "${SSE_PID:-}" ]; then kill "$SSE_PID" 2>/dev/null || true; fi
  for id in "${deps[@]}"; do api DELETE "/api/v1/deployments/$id" "$token" >/dev/null 2>&1 || true; done
  stop_deployer
  remove_deployer_containers "$DATA" "$work"
  rm -rf "$work" 2>/dev/null || true
}
trap cleanup EXIT

kib_of() { awk -v k="$1" '$1 == k":" {print $2}' "$2"; }
podman_service_kib() {  # the deployer's own podman service (a child process)
  local pid
  for pid in $(ps -o pid= --ppid "$DEPLOYER_PID"); do
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = podman ] && kib_of VmRSS "/proc/$pid/status" && return
  done
  echo 0
}
containers_kib() {  # sum of the deployments' containers' memory (podman stats)
  deployer_podman "$DATA" stats --no-stream --format '{{.MemUsage}}' 2>/dev/null |
    awk '{v = $1; u = v; gsub(/[0-9.]/, "", u); sub(/[a-zA-Z]+$/, "", v)
          f = (u == "kB") ? 1000 : (u == "MB") ? 1e6 : (u == "GB") ? 1e9 : 1
          s += v * f / 1024} END {printf "%d", s}'
}
sample() {  # series count → a CSV row, after SETTLE idle seconds
  sleep "$SETTLE"
  local st=/proc/$DEPLOYER_PID/status
  echo "$1,$2,$(kib_of VmRSS "$st"),$(kib_of RssAnon "$st"),$(kib_of Threads "$st"),$(podman_service_kib),$(containers_kib)" |
    tee -a "$csv" >&2
}
status_of() { api GET "/api/v1/deployments/$1" "$token" | json_get 'd["status"]'; }
deploy() {  # project image → waits until healthy and answered once through the gateway
  local id
  # As the admin: a user may run at most 10 deployments at once (the
  # services layer's max_running_per_user, no flag); admins are not held to it.
  api POST /api/v1/deployments "$admin" "{\"image_id\":\"$2\",\"visibility\":\"public\"}" \
    >"$work/deployment.json"
  id=$(json_get 'd["id"]' <"$work/deployment.json") || { cat "$work/deployment.json" >&2; exit 1; }
  deps+=("$id")
  for _ in $(seq 1 1200); do
    [ "$(status_of "$id")" = healthy ] && break
    sleep 0.1
  done
  [ "$(status_of "$id")" = healthy ] || { echo "deployment $id of $1 never became healthy" >&2; exit 1; }
  [ "$(curl -s -o /dev/null -w '%{http_code}' -m 60 "$SERVICES_URL/$OWNER/$1/healthz")" = 200 ] ||
    { echo "the gateway did not answer 200 for $1" >&2; exit 1; }
}
slope() {  # series column → KiB per unit (column 3 VmRSS, 4 RssAnon), least squares
  awk -F, -v s="$1" -v c="$2" '$1 == s {n++; x += $2; y += $c; xx += $2 * $2; xy += $2 * $c}
    END {d = n * xx - x * x; if (d == 0) print "n/a"; else printf "%.1f", (n * xy - x * y) / d}' "$csv"
}

max_n=$(printf '%s\n' $DEPLOYMENTS | sort -n | tail -n1)
[ "$max_n" -ge 1 ] || max_n=1  # the streams follow the first deployment's log
max_m=$(printf '%s\n' $STREAMS | sort -n | tail -n1)
echo "series,count,vmrss_kib,rssanon_kib,threads,podman_service_kib,containers_kib" >"$csv"

start_deployer "$DEPLOYER" "$work" --no-runtime
import_base_python_or "$BASE_DIR"
stop_deployer
start_deployer "$DEPLOYER" "$work" --base-image orsa/base-python-or:latest \
  --builder-bin "$BUILDER" --health-timeout 120s --pause-idle 0 --gc-interval 0 --max-connections $((max_m + 1024))
token=$(register "$OWNER")
admin=$(curl -sSf "$URL/api/v1/auth/login" -H 'Content-Type: application/json' \
  -d "{\"login\":\"admin\",\"password\":\"$ORSA_ADMIN_PASSWORD\"}" | json_get 'd["token"]')
declare -a images=()
for i in $(seq 1 "$max_n"); do
  api POST /api/v1/projects "$token" "{\"name\":\"mem-$i\"}" >/dev/null
  images[i]=$(build_head "$OWNER" "mem-$i" "$token")
  echo "built mem-$i: ${images[i]}" >&2
done

# Deployments: cumulative, up to each count in turn.
running=0
for n in $DEPLOYMENTS; do
  while [ "$running" -lt "$n" ]; do
    running=$((running + 1))
    deploy "mem-$running" "${images[running]}"
  done
  sample deployments "$n"
done
[ "$running" -ge 1 ] || deploy mem-1 "${images[1]}"

# Streams: one client holds them all; each count is reached from the last.
coproc SSE { "$ORSA_TEST_PYTHON" "$root/bench/memory/sse_client.py" 127.0.0.1 "${HOSTPORT#*:}" \
  "/api/v1/deployments/${deps[0]}/logs?tail=1" "$token"; }
hold() {  # count → sets open, rejected, last (not in a subshell: it has no coproc fds)
  local reply
  echo "$1" >&"${SSE[1]}"
  read -r reply <&"${SSE[0]}"
  echo "$reply" >&2
  [[ $reply =~ ^open=([0-9]+)\ rejected=([0-9]+)\ last=(.*)$ ]] || { echo "client: $reply" >&2; exit 1; }
  open=${BASH_REMATCH[1]} rejected=${BASH_REMATCH[2]} last=${BASH_REMATCH[3]}
}
for m in $STREAMS; do
  hold "$m"
  [ "$open" = "$m" ] && [ "$rejected" = 0 ] ||
    { echo "asked for $m streams: $open open, $rejected rejected" >&2; exit 1; }
  sample streams "$m"
done
hold $((max_m + 1))
beyond=$last
hold 0
sample streams-closed 0

# Markdown: MiB with one decimal; the slopes in KiB.
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
echo
echo "| deployments | deployer VmRSS MiB | RssAnon MiB | threads | podman service RSS MiB | containers (podman stats) MiB |"
echo "|---|---|---|---|---|---|"
while IFS=, read -r series count rss anon threads svc ctr; do
  [ "$series" = deployments ] || continue
  echo "| $count | $(mib "$rss") | $(mib "$anon") | $threads | $(mib "$svc") | $(mib "$ctr") |"
done <"$csv"
echo
echo "Slope per running deployment: VmRSS $(slope deployments 3) KiB, RssAnon $(slope deployments 4) KiB."
echo
echo "| open SSE streams | deployer VmRSS MiB | RssAnon MiB | threads | podman service RSS MiB |"
echo "|---|---|---|---|---|"
while IFS=, read -r series count rss anon threads svc _; do
  case $series in
    streams) echo "| $count | $(mib "$rss") | $(mib "$anon") | $threads | $(mib "$svc") |" ;;
    streams-closed) echo "| 0 (all closed again) | $(mib "$rss") | $(mib "$anon") | $threads | $(mib "$svc") |" ;;
  esac
done <"$csv"
echo
echo "Slope per open stream: VmRSS $(slope streams 3) KiB, RssAnon $(slope streams 4) KiB. Stream $((max_m + 1)) asked for: $beyond."
echo "csv: bench/results/memory-$stamp.csv"

gnuplot <<PLOT
set datafile separator ","
set terminal pngcairo size 1100,480 font "sans,11"
set output "$root/bench/figures/memory.png"
set multiplot layout 1,2 title "orsa-deployer memory (release, real podman, 2 cores)"
set grid
set key bottom right
set ylabel "MiB"
set yrange [0:*]
set xlabel "running deployments (python-or starter)"
set title "Per deployment"
is(s) = strcol(1) eq s ? \$2 : 1/0  # x of the series' rows only, so the axes fit each
plot "$csv" using (is("deployments")):(\$3/1024) skip 1 with linespoints lw 2 title "VmRSS", \
     "$csv" using (is("deployments")):(\$4/1024) skip 1 with linespoints lw 2 title "RssAnon"
set xlabel "open SSE streams (deployment log, text/event-stream)"
set title "Per open event stream"
plot "$csv" using (is("streams")):(\$3/1024) skip 1 with linespoints lw 2 title "VmRSS", \
     "$csv" using (is("streams")):(\$4/1024) skip 1 with linespoints lw 2 title "RssAnon", \
     "$csv" using (is("streams-closed")):(\$3/1024) skip 1 with points pt 7 ps 1.5 title "VmRSS, all closed again"
unset multiplot
PLOT
echo "plot: bench/figures/memory.png"
