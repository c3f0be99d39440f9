#!/usr/bin/env bash
# Runs benchmark: a release orsa-deployer with its embedded podman service and
# a trivial model on the python-or base. In ONE run:
#   latency     submit → result of one run through the runs API (POST, poll
#               GET /runs/{id} every POLL_MS, GET /result) against the peer:
#               `podman run --rm` of the same image on the deployer's own store
#               with the same hardening (no network, read-only root), the same
#               input file and the template's runner, then reading result.json.
#               Interleaved per repetition, medians over RUNS.
#   throughput  THROUGHPUT_RUNS trivial runs queued at once with
#               --max-concurrent-runs 2: runs/s from the first submit to the
#               last end, and the control plane's CPU per run (utime+stime of
#               orsa-deployer alone; the podman service is another process).
#   history     HISTORY_RUNS ended runs inserted into the SQLite database,
#               then `GET /api/v1/runs` (a page of 50, newest first) with wrk
#               -t1 -c1 (p50, p99), and the control plane's RSS idle.
# Usage: bench/runs/run.sh   (RUNS=9; BUILD=release; needs that preset built)
# Not run in CI. Writes bench/results/runs-<stamp>.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
RUNS=${RUNS:-9}
POLL_MS=${POLL_MS:-10}
THROUGHPUT_RUNS=${THROUGHPUT_RUNS:-200}
HISTORY_RUNS=${HISTORY_RUNS:-100000}
BUILD=${BUILD:-release}
DEPLOYER=$root/build/$BUILD/apps/orsa-deployer/orsa-deployer
BUILDER=$root/build/$BUILD/apps/orsa-builder/orsa-builder
BASE_DIR=${BASE_DIR:-$root/build/debug/fixtures/base-python-or}
[ -x "$DEPLOYER" ] && [ -x "$BUILDER" ] || {
  echo "build the $BUILD preset first: make build PRESET=$BUILD" >&2
  exit 1
}
. "$root/tests/lib/deployer.sh"
. "$root/tests/lib/base_python_or.sh"

results=$root/bench/results
mkdir -p "$results"
result_file=$results/runs-$(date -u +%Y%m%dT%H%M%SZ).md
work=$(mktemp -d /tmp/orsa-bruns-XXXXXX)
DATA=$work/data
cleanup() {
  local rc=$?
  stop_deployer
  remove_deployer_containers "$DATA" "$work"
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
now_us() { echo "${EPOCHREALTIME/./}"; }
mkfifo "$work/tick"
exec 9<>"$work/tick"
nap() { read -r -t "$1" -u 9 || true; }
median() { sort -n | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : int((v[NR/2]+v[NR/2+1])/2))}'; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$DEPLOYER_PID/stat"; }
rss_mib() { awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$DEPLOYER_PID/status"; }

# --- set-up --------------------------------------------------------------------
export ORSA_ADMIN_PASSWORD=bench-admin-password
[ -f "$BASE_DIR/recipe.sha256" ] || {
  log "the python-or base (mmdebstrap, ~2 min)"
  "$root/tests/lib/base_python_or.sh" "$DEPLOYER" "$BUILDER" "$root" "$BASE_DIR" >&2
}
start_deployer "$DEPLOYER" "$work" --base-image orsa/base-python-or:latest \
  --builder-bin "$BUILDER" --max-concurrent-runs 2 --max-runs-per-user 2 \
  --max-queued-runs-per-user 1000 || die "deployer did not start"
import_base_python_or "$BASE_DIR" || die "loading the base"
token=$(register alice)
api POST /api/v1/projects "$token" '{"name":"trivial"}' >/dev/null
printf 'def solve(data, options=None):\n    return {"status": "ok", "objective": len(data)}\n' |
  curl -sSf -X PUT "$URL/api/v1/projects/alice/trivial/files/model.py" \
    -H "Authorization: Bearer $token" --data-binary @- >/dev/null
build=$(api POST /api/v1/projects/alice/trivial/builds "$token" '{}' | json_get 'd["id"]')
for _ in $(seq 1 600); do
  status=$(api GET "/api/v1/builds/$build" "$token" | json_get 'd["status"]')
  [ "$status" = queued ] || [ "$status" = running ] || break
  nap 0.1
done
[ "$status" = succeeded ] || die "build $status"
echo '{"items": [1, 2, 3]}' >"$work/input.json"
BODY='{"input":{"items":[1,2,3]},"time_limit_s":60}'

# No python on the measured path: its start-up alone is tens of ms.
submit() {
  api POST /api/v1/projects/alice/trivial/runs "$token" "$BODY" |
    sed -n 's/.*"id":"\(run_[a-z0-9]*\)".*/\1/p'
}
wait_final() {  # id → status
  local status
  for _ in $(seq 1 $((120000 / POLL_MS))); do
    status=$(curl -sS "$URL/api/v1/runs/$1" -H "Authorization: Bearer $token" |
      sed -n 's/.*"status":"\([a-z_]*\)".*/\1/p')
    case $status in queued | running) nap "0.$(printf '%03d' "$POLL_MS")" ;; *) break ;; esac
  done
  echo "$status"
}

log "warm-up run (pulls the image into the deployer's store)"
first=$(submit)
[ "$(wait_final "$first")" = succeeded ] || die "warm-up run: $(api GET "/api/v1/runs/$first" "$token")"
digest=$(api GET "/api/v1/runs/$first" "$token" | json_get 'd["trace"]["image_digest"]')
image=$(deployer_podman "$DATA" images --digests --format '{{.Repository}}@{{.Digest}}' |
  grep "@$digest" | head -n1)
[ -n "$image" ] || die "the run's image is not in the deployer's store"

peer_run() {  # → ms for podman run of the runner on the same input, result read back
  local out=$work/peer-out t0 t1
  rm -rf "$out" && mkdir "$out" && chmod 0777 "$out"
  t0=$(now_us)
  deployer_podman "$DATA" run --rm --network none --read-only --tmpfs /tmp --cap-drop all \
    --security-opt no-new-privileges --user 65534:65534 \
    -v "$work/input.json:/job/input.json:ro" -v "$out:/job/out" \
    "$image" python3 -m orsa_service.run >/dev/null 2>&1
  cat "$out/result.json" >/dev/null
  t1=$(now_us)
  echo $(((t1 - t0) / 1000))
}
api_run() {  # → ms from POST to the result read back
  local t0 t1 id
  t0=$(now_us)
  id=$(submit)
  [ "$(wait_final "$id")" = succeeded ] || die "run $id did not succeed"
  curl -sSf "$URL/api/v1/runs/$id/result" -H "Authorization: Bearer $token" >/dev/null
  t1=$(now_us)
  echo $(((t1 - t0) / 1000))
}

# --- latency -------------------------------------------------------------------
log "latency: $RUNS repetitions, interleaved"
peer_run >/dev/null  # the peer's first container warms the same caches
: >"$work/api.ms"
: >"$work/peer.ms"
for i in $(seq 1 "$RUNS"); do
  api_run >>"$work/api.ms"
  peer_run >>"$work/peer.ms"
  echo "  $i: api $(tail -n1 "$work/api.ms") ms, podman run $(tail -n1 "$work/peer.ms") ms" >&2
done
api_ms=$(median <"$work/api.ms")
peer_ms=$(median <"$work/peer.ms")

# --- throughput ----------------------------------------------------------------
log "throughput: $THROUGHPUT_RUNS runs queued at once, 2 at a time"
cpu0=$(cpu_ticks)
t0=$(now_us)
for _ in $(seq 1 "$THROUGHPUT_RUNS"); do submit >>"$work/queued.ids"; done
t_submitted=$(now_us)
for _ in $(seq 1 6000); do
  left=$(curl -sS "$URL/api/v1/runs?limit=1&status=queued" -H "Authorization: Bearer $token" |
    json_get 'len(d["runs"])')
  running=$(curl -sS "$URL/api/v1/runs?limit=1&status=running" -H "Authorization: Bearer $token" |
    json_get 'len(d["runs"])')
  [ "$left" = 0 ] && [ "$running" = 0 ] && break
  nap 0.2
done
t1=$(now_us)
cpu1=$(cpu_ticks)
failed=$(api GET "/api/v1/runs?limit=200&status=failed" "$token" | json_get 'len(d["runs"])')
[ "$failed" = 0 ] || die "$failed runs failed"
hz=$(getconf CLK_TCK)
throughput=$(python3 -c "print(f'{$THROUGHPUT_RUNS / (($t1 - $t0) / 1e6):.2f}')")
submit_ms=$(((t_submitted - t0) / 1000))
cpu_per_run=$(python3 -c "print(f'{($cpu1 - $cpu0) / $hz / $THROUGHPUT_RUNS * 1000:.1f}')")

# --- history -------------------------------------------------------------------
log "history: $HISTORY_RUNS ended runs in the database"
python3 - "$DATA/orsa.db" "$HISTORY_RUNS" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=30)
(template,) = db.execute("SELECT id FROM runs WHERE status = 'succeeded' LIMIT 1").fetchone()
columns = [r[1] for r in db.execute("PRAGMA table_info(runs)")]
start = db.execute("SELECT MAX(seq) FROM runs").fetchone()[0] + 1
select = ", ".join(
    "'run_h' || n" if c == "id" else "n + ?" if c == "seq" else c for c in columns)
db.execute(
    f"INSERT INTO runs ({', '.join(columns)}) "
    f"WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < ?) "
    f"SELECT {select} FROM k, runs WHERE runs.id = ?",
    (int(sys.argv[2]), start, template))
db.commit()
print(db.execute("SELECT COUNT(*) FROM runs").fetchone()[0], file=sys.stderr)
EOF
curl -sSf "$URL/api/v1/runs?limit=50" -H "Authorization: Bearer $token" >/dev/null
wrk -t1 -c1 -d10s --latency -H "Authorization: Bearer $token" "$URL/api/v1/runs?limit=50" \
  >"$work/wrk.txt"
list_p50=$(awk '$1 == "50%" {print $2}' "$work/wrk.txt")
list_p99=$(awk '$1 == "99%" {print $2}' "$work/wrk.txt")
list_rps=$(awk '/^Requests\/sec/ {print $2}' "$work/wrk.txt")
nap 2
rss=$(rss_mib)

ratio=$(python3 -c "print(f'{$api_ms / $peer_ms:.2f}')")
added=$((api_ms - peer_ms))
{
  echo "# Runs benchmark, $(date -u +%Y-%m-%dT%H:%MZ), build $BUILD, $(nproc) cores"
  echo
  echo "| case | median | target |"
  echo "|---|---|---|"
  echo "| submit → result, runs API (poll every $POLL_MS ms) | $api_ms ms | ≤ 1.2× and ≤ +300 ms |"
  echo "| \`podman run --rm\` of the runner, same input | $peer_ms ms | (peer) |"
  echo "| ratio / added | ${ratio}× / +$added ms | |"
  echo
  echo "| throughput ($THROUGHPUT_RUNS trivial runs, concurrency 2) | value |"
  echo "|---|---|"
  echo "| runs/s | $throughput |"
  echo "| submitting all | $submit_ms ms |"
  echo "| control-plane CPU per run | $cpu_per_run ms |"
  echo
  echo "| history ($HISTORY_RUNS runs) | value | target |"
  echo "|---|---|---|"
  echo "| GET /api/v1/runs?limit=50 p50 / p99 | $list_p50 / $list_p99 | p99 ≤ 20 ms |"
  echo "| requests/s (one connection) | $list_rps | |"
  echo "| control-plane RSS, idle after | $rss MiB | |"
} | tee "$result_file"
echo "results: $result_file" >&2
