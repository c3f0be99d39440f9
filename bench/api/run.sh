#!/usr/bin/env bash
# API benchmark: wrk against a release orsa-deployer on loopback.
#   GET /healthz                      — the HTTP stack alone
#   GET /api/v1/projects (bearer JWT) — auth + SQLite query + JSON, 100 projects
# 64 connections, 20 s each (DURATION/CONNECTIONS override). Prints a
# markdown table; also records idle and loaded RSS of the deployer.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=build/release/apps/orsa-deployer/orsa-deployer
DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
LOG_LEVEL=${LOG_LEVEL:-warn}
[ -x "$BIN" ] || { echo "build the release preset first: make build PRESET=release" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing: scripts/install-deps.sh" >&2; exit 1; }

work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
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

run_wrk() {  # name path [header]
  local out
  out="$work/wrk-$(echo "$1" | tr -c 'a-zA-Z0-9' '_').txt"
  if [ $# -ge 3 ]; then
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H "$3" "$url$2" >"$out"
  else
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$url$2" >"$out"
  fi
  local rps p50 p99 non2xx
  rps=$(awk '/Requests\/sec/ {print $2}' "$out")
  p50=$(awk '$1=="50%" {print $2}' "$out")
  p99=$(awk '$1=="99%" {print $2}' "$out")
  non2xx=$(awk '/Non-2xx/ {print $5}' "$out")
  printf '| %s | %s | %s | %s | %s |\n' "$1" "$rps" "$p50" "$p99" "${non2xx:-0}"
}

echo "orsa-deployer $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores, wrk -t$THREADS -c$CONNECTIONS -d$DURATION, log level $LOG_LEVEL"
echo
echo "| endpoint | req/s | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|"
run_wrk "GET /healthz" /healthz
run_wrk "GET /api/v1/projects (100, JWT)" /api/v1/projects "Authorization: Bearer $token"
loaded_rss=$(hwm_kb)
echo
echo "RSS idle: $((idle_rss / 1024)) MiB, peak under load: $((loaded_rss / 1024)) MiB"
