#!/usr/bin/env bash
# Gateway benchmark: wrk (-t2 -c64 -d20s --latency) against one small, fast
# upstream (nginx answering `return 200 "ok\n"`), three ways in the same run:
#   direct  — straight to the upstream
#   nginx   — nginx proxy_pass with an upstream keepalive pool
#   orsa    — http::Server + gateway::Gateway (gateway_bench_server.cpp)
#   orsa+key — the same on a private route, each call with a consumer key:
#             checked by the deployer's gate (cache, rate, quota) and metered
#   orsa×2  — a route with two replicas (the upstream listens on two ports):
#             what choosing the least busy replica costs
# Both proxies and the upstream get one worker (process or network thread).
# Prints a markdown table. Not run in CI. DURATION/CONNECTIONS/THREADS override;
# ROUTES="10 100 1000 10000" adds the cost curve against the route table's size.
# BENCH_FIGURES=FILE appends "name value" lines (bench/quick.sh reads them).
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
BUILD=build/bench-gateway
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "nginx is missing: scripts/install-deps.sh" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing: scripts/install-deps.sh" >&2; exit 1; }

# The bench target lives in its own wrapper project (bench/gateway/CMakeLists.txt),
# built Release like the release preset, so the product build has no bench target.
cmake -S bench/gateway -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null
cmake --build "$BUILD" --target gateway_bench_server >/dev/null
BIN=$BUILD/gateway_bench_server

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
up_port=$(free_port)
up_port2=$(free_port)
replicas_port=$(free_port)
proxy_port=$(free_port)
orsa_port=$(free_port)
keyed_port=$(free_port)

nginx_conf() {  # name server-block [http-extra]
  mkdir -p "$work/$1"
  cat >"$work/$1/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/$1/nginx.pid;
error_log $work/$1/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/$1/body;
  proxy_temp_path $work/$1/proxy;
  fastcgi_temp_path $work/$1/fastcgi;
  uwsgi_temp_path $work/$1/uwsgi;
  scgi_temp_path $work/$1/scgi;
  keepalive_requests 1000000;
  $3
  server {
    listen 127.0.0.1:$2;
    $4
  }
}
CONF
}
nginx_conf upstream "$up_port" "" "listen 127.0.0.1:$up_port2; location / { return 200 \"ok\\n\"; }"
nginx_conf proxy "$proxy_port" \
  "upstream up { server 127.0.0.1:$up_port; keepalive 64; keepalive_requests 1000000; }" \
  'location /s/bench/ok/ { proxy_pass http://up/; proxy_http_version 1.1; proxy_set_header Connection ""; }'

"$NGINX" -p "$work/upstream" -c "$work/upstream/nginx.conf" &
pids+=($!)
"$NGINX" -p "$work/proxy" -c "$work/proxy/nginx.conf" &
pids+=($!)
"$BIN" "$orsa_port" "$up_port" 1 >"$work/orsa.log" 2>&1 &
pids+=($!)
orsa_pid=$!
"$BIN" "$keyed_port" "$up_port" 1 "$work/keys.db" >"$work/keyed.log" 2>&1 &
pids+=($!)
keyed_pid=$!
"$BIN" "$replicas_port" "$up_port,$up_port2" 1 >"$work/replicas.log" 2>&1 &
pids+=($!)
replicas_pid=$!

wait_ok() {  # url
  for _ in $(seq 1 200); do
    [ "$(curl -s "$1" 2>/dev/null)" = "ok" ] && return 0
    sleep 0.05
  done
  echo "no answer from $1" >&2
  exit 1
}
wait_ok "http://127.0.0.1:$up_port/"
wait_ok "http://127.0.0.1:$proxy_port/s/bench/ok/"
wait_ok "http://127.0.0.1:$orsa_port/bench/ok/"
wait_ok "http://127.0.0.1:$up_port2/"
wait_ok "http://127.0.0.1:$replicas_port/bench/ok/"
for _ in $(seq 1 200); do grep -q '^key ' "$work/keyed.log" && break; sleep 0.05; done
KEY=$(sed -n 's/^key //p' "$work/keyed.log")
[ -n "$KEY" ] || { echo "the keyed server did not start: $(cat "$work/keyed.log")" >&2; exit 1; }
[ "$(curl -s -H "X-Api-Key: $KEY" "http://127.0.0.1:$keyed_port/bench/ok/")" = "ok" ] ||
  { echo "the keyed server refuses its key" >&2; exit 1; }
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$keyed_port/bench/ok/")" = 404 ] ||
  { echo "the keyed server answers without a key" >&2; exit 1; }

to_ms() {  # wrk latency ("812.00us", "1.23ms", "1.01s") → ms
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 } }'
}

cpu_ticks() {  # pid → user + system clock ticks so far
  awk '{print $14 + $15}' "/proc/$1/stat"
}

declare -A rps p50 p99 cpu_us
run_wrk() {  # name url [header [server-pid]]
  local out header=() before=0
  [ $# -ge 3 ] && header=(-H "$3")
  wrk -t"$THREADS" -c"$CONNECTIONS" -d2s "${header[@]}" "$2" >/dev/null  # warm-up (pools, caches)
  [ $# -ge 4 ] && before=$(cpu_ticks "$4")
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "${header[@]}" "$2")
  if [ $# -ge 4 ]; then
    # The server's CPU per request: steadier than req/s on a shared machine.
    local ticks=$(($(cpu_ticks "$4") - before)) requests
    requests=$(echo "$out" | awk '/requests in/ {print $1}')
    cpu_us[$1]=$(awk -v t="$ticks" -v n="$requests" -v hz="$(getconf CLK_TCK)" \
      'BEGIN {printf "%.1f", t / hz * 1e6 / n}')
  fi
  echo "$out" >"$work/wrk-$1.txt"
  if echo "$out" | grep -q "Non-2xx\|Socket errors"; then
    echo "$1: errors during the run:" >&2
    echo "$out" | grep "Non-2xx\|Socket errors" >&2
  fi
  rps[$1]=$(echo "$out" | awk '/^Requests\/sec/ {printf "%.0f", $2}')
  p50[$1]=$(to_ms "$(echo "$out" | awk '$1 == "50%" {print $2}')")
  p99[$1]=$(to_ms "$(echo "$out" | awk '$1 == "99%" {print $2}')")
}
run_wrk direct "http://127.0.0.1:$up_port/"
run_wrk nginx "http://127.0.0.1:$proxy_port/s/bench/ok/"
# Twice each, alternating, so that neither always runs on a warmer machine.
for round in 1 2; do
  run_wrk "orsa-$round" "http://127.0.0.1:$orsa_port/bench/ok/" "X-Bench: plain" "$orsa_pid"
  run_wrk "orsa+key-$round" "http://127.0.0.1:$keyed_port/bench/ok/" "X-Api-Key: $KEY" "$keyed_pid"
  run_wrk "orsa×2-$round" "http://127.0.0.1:$replicas_port/bench/ok/" "X-Bench: plain" "$replicas_pid"
done

echo
echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency; upstream: nginx return 200 \"ok\\n\" (1 worker)"
echo
echo "| path | req/s | p50 | p99 | req/s vs nginx | p99 added over direct |"
echo "|---|---|---|---|---|---|"
for name in direct nginx orsa-1 orsa+key-1 orsa×2-1 orsa-2 orsa+key-2 orsa×2-2; do
  ratio=$(awk -v a="${rps[$name]}" -v b="${rps[nginx]}" 'BEGIN {printf "%.2f×", a / b}')
  added=$(awk -v a="${p99[$name]}" -v b="${p99[direct]}" 'BEGIN {printf "%+.2f ms", a - b}')
  echo "| $name | ${rps[$name]} | ${p50[$name]} ms | ${p99[$name]} ms | $ratio | $added |"
done
echo
for round in 1 2; do
  awk -v k="${rps[orsa+key-$round]}" -v o="${rps[orsa-$round]}" -v pk="${p99[orsa+key-$round]}" \
    -v po="${p99[orsa-$round]}" -v ck="${cpu_us[orsa+key-$round]}" -v co="${cpu_us[orsa-$round]}" \
    -v r="$round" 'BEGIN {printf "round %d, keys and metering against none: %+.1f %% req/s, %+.2f ms p99, CPU %s → %s µs/request\n", r, (k / o - 1) * 100, pk - po, co, ck}'
done
for round in 1 2; do
  awk -v m="${rps[orsa×2-$round]}" -v o="${rps[orsa-$round]}" -v pm="${p99[orsa×2-$round]}" \
    -v po="${p99[orsa-$round]}" -v cm="${cpu_us[orsa×2-$round]}" -v co="${cpu_us[orsa-$round]}" \
    -v r="$round" 'BEGIN {printf "round %d, two replicas against one: %+.1f %% req/s, %+.2f ms p99, CPU %s → %s µs/request\n", r, (m / o - 1) * 100, pm - po, co, cm}'
done
echo "metered: $(sqlite3 "$work/keys.db" 'SELECT SUM(requests_2xx) FROM usage_hourly' 2>/dev/null || echo '?') calls in the store (flushed every 10 s)"
if [ -n "${BENCH_FIGURES:-}" ]; then
  awk -v a="${rps[orsa-1]}" -v b="${rps[orsa-2]}" -v n="${rps[nginx]}" \
    'BEGIN {printf "gateway.orsa_vs_nginx %.3f\n", (a + b) / 2 / n}' >>"$BENCH_FIGURES"
  awk -v a="${rps[orsa+key-1]}" -v b="${rps[orsa+key-2]}" -v n="${rps[nginx]}" \
    'BEGIN {printf "gateway.keyed_vs_nginx %.3f\n", (a + b) / 2 / n}' >>"$BENCH_FIGURES"
  echo "gateway.orsa_rps $(((${rps[orsa-1]} + ${rps[orsa-2]}) / 2))" >>"$BENCH_FIGURES"
fi

# ROUTES="10 100 1000 10000": the same orsa case against route tables of
# each size (the one measured route among the others), a cost curve:
# CSV in bench/results/, plot in bench/figures/gateway-routes.png.
if [ -n "${ROUTES:-}" ]; then
  mkdir -p bench/results bench/figures
  csv=bench/results/gateway-routes-$(date -u +%Y%m%dT%H%M%SZ).csv
  echo "routes,rps,p99_ms,cpu_us_per_request" >"$csv"
  echo
  echo "| routes in the table | req/s | p99 | server CPU per request |"
  echo "|---|---|---|---|"
  for n in $ROUTES; do
    port=$(free_port)
    ORSA_BENCH_ROUTES=$n "$BIN" "$port" "$up_port" 1 >"$work/routes-$n.log" 2>&1 &
    pid=$!
    pids+=("$pid")
    wait_ok "http://127.0.0.1:$port/bench/ok/"
    run_wrk "routes-$n" "http://127.0.0.1:$port/bench/ok/" "X-Bench: plain" "$pid"
    kill "$pid"
    echo "| $n | ${rps[routes-$n]} | ${p99[routes-$n]} ms | ${cpu_us[routes-$n]} µs |"
    echo "$n,${rps[routes-$n]},${p99[routes-$n]},${cpu_us[routes-$n]}" >>"$csv"
  done
  echo "csv: $csv"
  gnuplot <<PLOT
set datafile separator ","
set terminal pngcairo size 900,520 font "sans,11"
set output "bench/figures/gateway-routes.png"
set title "Gateway against the size of its route table (wrk -c$CONNECTIONS, 1 network thread)"
set logscale x 10
set xlabel "routes in the table"
set ylabel "requests per second"
set y2label "server CPU µs per request"
set ytics nomirror
set y2tics
set yrange [0:*]
set y2range [0:*]
set grid
plot "$csv" using 1:2 skip 1 axes x1y1 with linespoints lw 2 title "req/s", \
     "$csv" using 1:4 skip 1 axes x1y2 with linespoints lw 2 title "CPU µs/request"
PLOT
fi
