#!/usr/bin/env bash
# API benchmark: wrk against a release orsa-deployer on loopback, with nginx
# (one worker, access log off) as the peer in the same run:
#   GET /healthz                      — the HTTP stack alone;
#                                       peer: nginx `return 200 "ok\n"`
#   GET /api/v1/projects (bearer JWT) — auth + SQLite query + JSON, 100 projects;
#                                       peer: nginx serving the same bytes as a file
# 64 connections, 20 s each (DURATION/CONNECTIONS override). Prints a
# markdown table; also records idle and loaded RSS of the deployer.
# BENCH_FIGURES=FILE appends "name value" lines (bench/quick.sh reads them).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=build/release/apps/orsa-deployer/orsa-deployer
DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
LOG_LEVEL=${LOG_LEVEL:-warn}
[ -x "$BIN" ] || { echo "build the release preset first: make build PRESET=release" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing: scripts/install-deps.sh" >&2; exit 1; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "nginx is missing: scripts/install-deps.sh" >&2; exit 1; }

work=$(mktemp -d)
nginx_pid=
cleanup() {
  for p in $pid $nginx_pid; do kill "$p" 2>/dev/null || true; done
  for p in $pid $nginx_pid; do wait "$p" 2>/dev/null || true; done
  # The deployer's podman service may leave its storage mounted a moment.
  grep -o " $work/[^ ]*" /proc/mounts | sort -r | xargs -r umount -l 2>/dev/null || true
  rm -rf "$work" 2>/dev/null || true
}
trap cleanup EXIT
ORSA_ADMIN_PASSWORD=bench-admin-password "$BIN" --listen 127.0.0.1:0 --services-listen 127.0.0.1:0 --data-dir "$work/data" \
  --ready-file "$work/ready" --log-level "$LOG_LEVEL" >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do [ -s "$work/ready" ] && break; sleep 0.05; done
url=$(cat "$work/ready")

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$pid/status"; }

token=$(curl -sf "$url/api/v1/auth/register" -H 'Content-Type: application/json' \
  -d '{"username":"bench","email":"bench@example.org","password":"bench-password"}' |
  sed -E 's/.*"token":"([^"]+)".*/\1/')
for i in $(seq -w 1 100); do
  curl -sf -o /dev/null "$url/api/v1/projects" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -d "{\"name\":\"model-$i\"}"
done
count=$(curl -sf "$url/api/v1/projects" -H "Authorization: Bearer $token" | grep -o '"full_name"' | wc -l)
[ "$count" = 100 ] || { echo "expected 100 projects, got $count" >&2; exit 1; }
sleep 1  # let allocator caches settle before reading idle RSS
idle_rss=$(rss_kb)

# The peer: nginx, one worker, the same bytes as the list from a file.
mkdir -p "$work/nginx/www"
chmod 755 "$work" "$work/nginx" "$work/nginx/www"  # nginx's workers run as nobody
curl -sf "$url/api/v1/projects" -H "Authorization: Bearer $token" >"$work/nginx/www/projects.json"
nginx_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$nginx_port;
    location = /healthz { return 200 "ok\n"; }
    location = /projects.json { root $work/nginx/www; default_type application/json; }
  }
}
CONF
"$NGINX" -p "$work/nginx" -c "$work/nginx/nginx.conf" &
nginx_pid=$!
for _ in $(seq 1 200); do curl -sf -o /dev/null "http://127.0.0.1:$nginx_port/healthz" && break; sleep 0.05; done
nginx_url=http://127.0.0.1:$nginx_port

declare -A rps
run_wrk() {  # key name url [header]
  local out header=()
  out="$work/wrk-$1.txt"
  [ $# -ge 4 ] && header=(-H "$4")
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "${header[@]}" "$3" >"$out"
  local p50 p99 non2xx
  rps[$1]=$(awk '/Requests\/sec/ {printf "%.0f", $2}' "$out")
  p50=$(awk '$1=="50%" {print $2}' "$out")
  p99=$(awk '$1=="99%" {print $2}' "$out")
  non2xx=$(awk '/Non-2xx/ {print $5}' "$out")
  printf '| %s | %s | %s | %s | %s |\n' "$2" "${rps[$1]}" "$p50" "$p99" "${non2xx:-0}"
}
figure() {  # name value
  [ -n "${BENCH_FIGURES:-}" ] && echo "$1 $2" >>"$BENCH_FIGURES"
  return 0
}

echo "orsa-deployer $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores, wrk -t$THREADS -c$CONNECTIONS -d$DURATION, log level $LOG_LEVEL"
echo
echo "| endpoint | req/s | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|"
run_wrk healthz "GET /healthz" "$url/healthz"
run_wrk nginx_healthz "nginx return 200 (peer)" "$nginx_url/healthz"
run_wrk projects "GET /api/v1/projects (100, JWT)" "$url/api/v1/projects" "Authorization: Bearer $token"
run_wrk nginx_projects "nginx, the same list as a file (peer)" "$nginx_url/projects.json"
loaded_rss=$(hwm_kb)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }
echo
echo "req/s vs nginx: healthz $(ratio "${rps[healthz]}" "${rps[nginx_healthz]}")×, project list $(ratio "${rps[projects]}" "${rps[nginx_projects]}")×"
echo "RSS idle: $((idle_rss / 1024)) MiB, peak under load: $((loaded_rss / 1024)) MiB"
figure api.healthz_vs_nginx "$(ratio "${rps[healthz]}" "${rps[nginx_healthz]}")"
figure api.projects_vs_nginx_file "$(ratio "${rps[projects]}" "${rps[nginx_projects]}")"
figure api.healthz_rps "${rps[healthz]}"
figure api.projects_rps "${rps[projects]}"
figure api.idle_rss_mib "$((idle_rss / 1024))"
