#!/usr/bin/env bash
# Blob throughput and memory of ORSA's embedded registry (/v2 of a release
# orsa-deployer, --no-runtime, SQLite, log level warn) against the CNCF
# distribution registry (/usr/bin/docker-registry, filesystem storage, no
# auth), on loopback, on the same random files, in the same run. Per size
# and repetition, the two servers alternate (who goes first swaps every
# repetition), each doing:
#   upload (PUT)    POST …/blobs/uploads/, then one PUT ?digest= of the whole file
#   upload (PATCH)  POST, one streamed PATCH of the whole file, PUT ?digest= (docker push's way)
#   download        GET …/blobs/<digest>
# all with curl; a transfer's time is the sum of its requests' time_total.
# MB/s = 10^6 bytes/s, median of REPS. Meanwhile rss.py samples both
# servers' VmRSS every 20 ms: idle RSS (before a size) and peak (during it).
# Prints a markdown table, writes bench/results/registry-<time>.csv and the
# plot bench/figures/registry-throughput.png (gnuplot).
# SIZES (MiB) and REPS override the defaults. Free loopback ports.
set -euo pipefail
shopt -s inherit_errexit  # a failed request inside $(…) ends the run
root=$(cd "$(dirname "$0")/../.." && pwd)
SIZES=${SIZES:-1 16 128 512}
REPS=${REPS:-5}
DEPLOYER=$root/build/release/apps/orsa-deployer/orsa-deployer
CNCF=/usr/bin/docker-registry
PY=/usr/bin/python3  # Debian's, not a version manager's shim: it starts in every step
[ -x "$DEPLOYER" ] || { echo "build the release preset first" >&2; exit 1; }
for tool in "$CNCF" gnuplot curl; do
  command -v "$tool" >/dev/null || { echo "$tool is missing" >&2; exit 1; }
done
. "$root/tests/lib/deployer.sh"
CNCF_PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

work=$(mktemp -d /tmp/bench-registry-XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$root/bench/results" "$root/bench/figures"
csv=$root/bench/results/registry-$stamp.csv

wait_http() {  # url pid: any HTTP answer (even 401) means it serves
  for _ in $(seq 1 600); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)" != 000 ] && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

# --- ORSA: a user, a project (a repository <owner>/<project> must exist to
# take blobs) and an API token for HTTP Basic.
mkdir -p "$work/orsa"
ORSA_ADMIN_PASSWORD=bench-admin-password start_deployer "$DEPLOYER" "$work/orsa" --no-runtime
orsa_pid=$DEPLOYER_PID
pids+=("$orsa_pid")
orsa=$URL
json() { "$PY" -c "import json,sys; print(json.load(sys.stdin)$1)"; }
session=$(curl -sSf "$orsa/api/v1/auth/register" -H 'Content-Type: application/json' \
  -d '{"username":"bench","email":"bench@example.org","password":"password-1234"}' | json '["token"]')
curl -sSf -o /dev/null "$orsa/api/v1/projects" -H "Authorization: Bearer $session" \
  -H 'Content-Type: application/json' -d '{"name":"blobs"}'
token=$(curl -sSf "$orsa/api/v1/tokens" -H "Authorization: Bearer $session" \
  -H 'Content-Type: application/json' -d '{"name":"bench"}' | json '["secret"]')

# --- CNCF: filesystem storage in the work dir, no auth (htpasswd checks a
# bcrypt hash on every request, which would dominate the small sizes; ORSA's
# token check is a hash lookup), no access log, like ORSA at warn.
mkdir -p "$work/cncf"
cat >"$work/cncf/config.yml" <<YAML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/cncf/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$CNCF_PORT
  secret: bench-secret
YAML
"$CNCF" serve "$work/cncf/config.yml" >"$work/cncf/registry.log" 2>&1 &
cncf_pid=$!
pids+=("$cncf_pid")
cncf=http://127.0.0.1:$CNCF_PORT
wait_http "$cncf/v2/" "$cncf_pid" || { cat "$work/cncf/registry.log" >&2; exit 1; }

# Server name → base URL and PID.
declare -A base=([orsa]=$orsa [cncf]=$cncf)
repo=bench/blobs

# One request; fails the run on an unexpected status. The body goes to
# /dev/null unless an error keeps it. → "time_total size_download location"
request() {  # server expected_status curl-args...
  local server=$1 want=$2 auth=() out code secs size loc
  shift 2
  [ "$server" = orsa ] && auth=(-u "bench:$token")
  # "Expect:" off: curl would wait for a 100 Continue before big bodies.
  out=$(curl -sS -o /dev/null -H 'Expect:' "${auth[@]}" \
    -w '%{http_code} %{time_total} %{size_download} %header{location}' "$@")
  read -r code secs size loc <<<"$out"
  if [ "$code" != "$want" ]; then
    echo "$server: $code, not $want, for $*:" >&2
    curl -sS -H 'Expect:' "${auth[@]}" "$@" >&2 || true
    exit 1
  fi
  case $loc in /*) loc=${base[$server]}$loc ;; esac
  echo "$secs $size $loc"
}
with_digest() { case $1 in *\?*) echo "$1&digest=$2" ;; *) echo "$1?digest=$2" ;; esac; }

transfer() {  # server op file digest → seconds
  local server=$1 op=$2 file=$3 digest=$4 url=${base[$1]}/v2/$repo/blobs out t1 t2 t3=0 size loc
  case $op in
    put)
      out=$(request "$server" 202 -X POST "$url/uploads/")
      read -r t1 _ loc <<<"$out"
      out=$(request "$server" 201 -X PUT -T "$file" -H 'Content-Type: application/octet-stream' \
        "$(with_digest "$loc" "$digest")")
      read -r t2 _ <<<"$out" ;;
    patch)
      out=$(request "$server" 202 -X POST "$url/uploads/")
      read -r t1 _ loc <<<"$out"
      out=$(request "$server" 202 -X PATCH -T "$file" -H 'Content-Type: application/octet-stream' \
        "$loc")
      read -r t2 _ loc <<<"$out"
      out=$(request "$server" 201 -X PUT "$(with_digest "$loc" "$digest")")
      read -r t3 _ <<<"$out" ;;
    get)
      out=$(request "$server" 200 "$url/$digest")
      read -r t1 size _ <<<"$out"
      [ "$size" = "$(stat -c %s "$file")" ] || { echo "$server: GET gave $size bytes" >&2; exit 1; }
      t2=0 ;;
  esac
  "$PY" -c "print($t1 + $t2 + $t3)"
}

rss_mib() { awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
median_mbps() {  # bytes seconds... → median MB/s
  "$PY" -c 'import statistics,sys; b=float(sys.argv[1]); print(round(statistics.median(b/float(s)/1e6 for s in sys.argv[2:]), 1))' "$@"
}
ratio() { "$PY" -c "print(round($1 / $2, 2))"; }

echo "size_mib,orsa_put_mbps,cncf_put_mbps,put_ratio,orsa_patch_mbps,cncf_patch_mbps,patch_ratio,orsa_get_mbps,cncf_get_mbps,get_ratio,orsa_idle_mib,orsa_peak_mib,cncf_idle_mib,cncf_peak_mib" >"$csv"
echo "| size | upload PUT MB/s ORSA / CNCF (ratio) | upload PATCH MB/s ORSA / CNCF (ratio) | download MB/s ORSA / CNCF (ratio) | ORSA RSS idle → peak MiB | CNCF RSS idle → peak MiB |"
echo "|---|---|---|---|---|---|"
mkdir -p "$work/files"
for mib in $SIZES; do
  file=$work/files/blob-$mib
  head -c "$((mib * 1024 * 1024))" /dev/urandom >"$file"
  digest=sha256:$(sha256sum "$file" | cut -d' ' -f1)
  bytes=$((mib * 1024 * 1024))
  orsa_idle=$(rss_mib "$orsa_pid") cncf_idle=$(rss_mib "$cncf_pid")
  "$PY" "$root/bench/registry/rss.py" 0.02 "$orsa_pid" "$cncf_pid" >"$work/rss.out" &
  sampler=$!
  pids+=("$sampler")
  declare -A times=()
  for rep in $(seq 1 "$REPS"); do
    order="orsa cncf"
    [ $((rep % 2)) = 0 ] && order="cncf orsa"
    for op in put patch get; do
      for server in $order; do
        secs=$(transfer "$server" "$op" "$file" "$digest")
        times[$server.$op]+=" $secs"
      done
    done
  done
  kill "$sampler"
  wait "$sampler"
  pids=("$orsa_pid" "$cncf_pid")  # the sampler is gone: never kill its PID again
  orsa_peak=$(awk -v p="$orsa_pid" '$1 == p {printf "%.1f", $2 / 1024}' "$work/rss.out")
  cncf_peak=$(awk -v p="$cncf_pid" '$1 == p {printf "%.1f", $2 / 1024}' "$work/rss.out")
  row=$mib cells="| $mib MiB"
  for op in put patch get; do
    # shellcheck disable=SC2086  # the times are a space-separated list
    o=$(median_mbps "$bytes" ${times[orsa.$op]}) c=$(median_mbps "$bytes" ${times[cncf.$op]})
    row+=",$o,$c,$(ratio "$o" "$c")" cells+=" | $o / $c ($(ratio "$o" "$c")×)"
  done
  unset times
  echo "$row,$orsa_idle,$orsa_peak,$cncf_idle,$cncf_peak" >>"$csv"
  echo "$cells | $orsa_idle → $orsa_peak | $cncf_idle → $cncf_peak |"
  rm -f "$file"  # keeps the work dir's disk use to one file beside the stores
done
echo "csv: ${csv#"$root"/}"

gnuplot <<PLOT
set datafile separator ","
set terminal pngcairo size 900,520 font "sans,11"
set output "$root/bench/figures/registry-throughput.png"
set title "Registry blob throughput, loopback, curl (median of $REPS, 2 cores)"
set logscale x 2
set xlabel "blob size (MiB)"
set ylabel "MB/s (log scale)"
set logscale y 10
set key top left
set grid
plot "$csv" using 1:2 skip 1 with linespoints lw 2 lc 1 title "ORSA upload (PUT)", \
     "$csv" using 1:3 skip 1 with linespoints lw 2 lc 1 dashtype 2 title "CNCF upload (PUT)", \
     "$csv" using 1:5 skip 1 with linespoints lw 2 lc 3 title "ORSA upload (PATCH)", \
     "$csv" using 1:6 skip 1 with linespoints lw 2 lc 3 dashtype 2 title "CNCF upload (PATCH)", \
     "$csv" using 1:8 skip 1 with linespoints lw 2 lc 2 title "ORSA download", \
     "$csv" using 1:9 skip 1 with linespoints lw 2 lc 2 dashtype 2 title "CNCF download"
PLOT
echo "plot: bench/figures/registry-throughput.png"
