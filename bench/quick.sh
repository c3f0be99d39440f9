#!/usr/bin/env bash
# The perf regression guard (`make bench-quick`): short runs of the API,
# gateway and build benches, each against its peer in the same run (nginx,
# nginx as a proxy, podman build). What is compared with the last recorded
# run (bench/quick-baseline.txt) is the ratio to the peer, so a machine that
# is busy or slow for both does not move it; absolute figures are printed
# beside them for reading, not judged.
#   bench/quick.sh            compare; exit 1 when a ratio fell by more than TOLERANCE %
#   bench/quick.sh --record   keep this run's figures as the new baseline
# Needs a release build (make build PRESET=release), nginx, wrk and podman.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=compare
case "${1:-}" in
  --record) mode=record ;;
  "") ;;
  *) echo "usage: bench/quick.sh [--record]" >&2; exit 2 ;;
esac
TOLERANCE=${TOLERANCE:-30}
BASELINE=bench/quick-baseline.txt

figures=$(mktemp)
trap 'rm -f "$figures"' EXIT
export BENCH_FIGURES=$figures
quiet() {  # name command… — the bench's own table only when it fails
  local out
  echo "… $1" >&2
  if ! out=$("${@:2}" 2>&1); then
    echo "$out" >&2
    echo "bench-quick: $1 failed" >&2
    exit 1
  fi
}
quiet "API (wrk 5 s per endpoint)" env DURATION=5s bench/api/run.sh
quiet "gateway (wrk 5 s per path)" env DURATION=5s bench/gateway/run.sh
quiet "build (3 runs, busybox base)" env RUNS=3 bench/build/run.sh busybox

{
  echo "# bench/quick.sh --record, $(date -u +%Y-%m-%dT%H:%MZ), $(git rev-parse --short HEAD)"
  sort "$figures"
} >"$figures.now"
if [ "$mode" = record ] || [ ! -f "$BASELINE" ]; then
  cp "$figures.now" "$BASELINE"
  echo "recorded $BASELINE:"
  grep -v '^#' "$BASELINE"
  rm -f "$figures.now"
  exit 0
fi
status=0
python3 bench/quick_compare.py "$BASELINE" "$figures.now" "$TOLERANCE" || status=$?
rm -f "$figures.now"
exit "$status"
