#!/usr/bin/env bash
# Cost curves: how ORSA's lists and its collector grow with 10, 100, 1 000
# and 10 000 users, projects and images, seeded through the store
# (bench/curves/seed.cpp, built with -DORSA_BUILD_BENCH=ON). For each size,
# on a fresh data dir, a release orsa-deployer (no container runtime):
#   GET /api/v1/projects   first page (100) of the bench user's N projects  wrk: req/s, p99
#   GET /api/v1/images     first page (100) of the bench user's N images    wrk: req/s, p99
#   collector dry run      POST /api/v1/admin/gc, dry_run     wall time; must change nothing
#   collector              the same for real                  wall time; deletes what is due
# Prints a markdown table, writes bench/results/curves-<time>.csv and the
# plots bench/figures/curves-lists.png and bench/figures/curves-collector.png
# (gnuplot). SIZES, DURATION and CONNECTIONS override the defaults.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
SIZES=${SIZES:-10 100 1000 10000}
DURATION=${DURATION:-5s}
CONNECTIONS=${CONNECTIONS:-16}
DEPLOYER=$root/build/release/apps/orsa-deployer/orsa-deployer
SEED=$root/build/release/bench/curves/curves_seed
if [ ! -x "$SEED" ] || [ "$DEPLOYER" -nt "$SEED" ]; then
  cmake -S "$root" -B "$root/build/release" -DORSA_BUILD_BENCH=ON >/dev/null
  cmake --build "$root/build/release" --target curves_seed orsa-deployer >/dev/null
fi
for tool in wrk gnuplot; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: scripts/install-deps.sh" >&2; exit 1; }
done
. "$root/tests/lib/deployer.sh"

work=$(mktemp -d /tmp/orsa-curves-XXXXXX)
trap 'stop_deployer; rm -rf "$work"' EXIT
stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$root/bench/results" "$root/bench/figures"
csv=$root/bench/results/curves-$stamp.csv
echo "size,projects_rps,projects_p99_ms,images_rps,images_p99_ms,gc_dry_ms,gc_ms,gc_deleted" >"$csv"
export ORSA_ADMIN_PASSWORD=bench-admin-password

wrk_figures() {  # path token → "req/s p99_ms"
  wrk -t 2 -c "$CONNECTIONS" -d "$DURATION" --latency -H "Authorization: Bearer $2" \
    "$URL$1" >"$work/wrk.out"
  local rps p99
  rps=$(awk '/^Requests\/sec/ {print int($2)}' "$work/wrk.out")
  p99=$(awk '$1 == "99%" {v = $2; if (v ~ /us$/) {sub(/us/, "", v); v /= 1000}
                          else if (v ~ /ms$/) sub(/ms/, "", v)
                          else if (v ~ /s$/) {sub(/s/, "", v); v *= 1000}; print v}' "$work/wrk.out")
  echo "$rps $p99"
}
gc_ms() {  # dry_run admin_token → "ms deleted"
  local out
  out=$(curl -sS -o "$work/gc.json" -w '%{time_total}' -X POST "$URL/api/v1/admin/gc" \
    -H "Authorization: Bearer $2" -H 'Content-Type: application/json' -d "{\"dry_run\":$1}")
  echo "$(python3 -c "print(round($out * 1000))") $(json_get 'len(d["images"])' <"$work/gc.json")"
}
images_of() {  # → the image rows in the database (the API shows a page of them)
  "$ORSA_TEST_PYTHON" -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("SELECT COUNT(*) FROM images").fetchone()[0])' \
    "$work/run/data/orsa.db"
}

echo "| size | project list req/s | p99 ms | image list req/s | p99 ms | collector dry run ms | collector ms (deleted) |"
echo "|---|---|---|---|---|---|---|"
for n in $SIZES; do
  rm -rf "$work/run" && mkdir -p "$work/run"
  start_deployer "$DEPLOYER" "$work/run" --no-runtime
  bench=$(register bench)
  stop_deployer
  "$SEED" --database "sqlite:$work/run/data/orsa.db" --owner bench --users "$n" \
    --projects "$n" --images "$n" >"$work/seed.out"
  start_deployer "$DEPLOYER" "$work/run" --no-runtime
  token=$(curl -sSf "$URL/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d '{"login":"bench","password":"password-1234"}' | json_get 'd["token"]')
  admin=$(curl -sSf "$URL/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d "{\"login\":\"admin\",\"password\":\"$ORSA_ADMIN_PASSWORD\"}" | json_get 'd["token"]')
  page=$(( n < 100 ? n : 100 ))
  more=$([ "$n" -gt 100 ] && echo True || echo False)
  first=$(api GET /api/v1/projects "$token" | json_get 'len(d["projects"]), d["next_cursor"] is not None')
  [ "$first" = "$page $more" ] || { echo "the first page does not hold $page of $n projects" >&2; exit 1; }
  read -r p_rps p_p99 <<<"$(wrk_figures /api/v1/projects "$token")"
  read -r i_rps i_p99 <<<"$(wrk_figures /api/v1/images "$token")"
  before=$(images_of)
  read -r dry_ms _ <<<"$(gc_ms true "$admin")"
  [ "$(images_of)" = "$before" ] || { echo "the dry run deleted images" >&2; exit 1; }
  read -r gc_real_ms deleted <<<"$(gc_ms false "$admin")"
  stop_deployer
  echo "| $n | $p_rps | $p_p99 | $i_rps | $i_p99 | $dry_ms | $gc_real_ms ($deleted) |"
  echo "$n,$p_rps,$p_p99,$i_rps,$i_p99,$dry_ms,$gc_real_ms,$deleted" >>"$csv"
done
echo "csv: $csv"

gnuplot <<PLOT
set datafile separator ","
set terminal pngcairo size 900,520 font "sans,11"
set logscale x 10
set xlabel "users = projects = images"
set key top right
set grid
set output "$root/bench/figures/curves-lists.png"
set title "List throughput (wrk, $CONNECTIONS connections, 2 cores)"
set ylabel "requests per second"
set logscale y 10
plot "$csv" using 1:2 skip 1 with linespoints lw 2 title "GET /api/v1/projects", \
     "$csv" using 1:4 skip 1 with linespoints lw 2 title "GET /api/v1/images"
set output "$root/bench/figures/curves-collector.png"
set title "Collector run time"
set ylabel "milliseconds"
plot "$csv" using 1:6 skip 1 with linespoints lw 2 title "dry run (changes nothing)", \
     "$csv" using 1:7 skip 1 with linespoints lw 2 title "run (deletes what is due)", \
     5000 with lines dashtype 2 title "target 5 s"
PLOT
echo "plots: bench/figures/curves-lists.png bench/figures/curves-collector.png"
