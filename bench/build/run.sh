#!/usr/bin/env bash
# Build benchmark, peers side by side in one run, same project content, base
# image already present:
#   orsa cold build       orsa-builder build of the starter project
#   orsa rebuild          after a one-line change to model.py
#   podman build (warm)   FROM the same base, COPY the same rendered tree
#   podman rebuild        after the same one-line change
#   orsa click → image    the web app's path: save the change through the API
#                         (a commit), POST a build, wait on the build's event
#                         stream for its end (bench/build/click.py)
# Each case runs RUNS times (default 5); prints medians, ratios and digests.
# Usage: bench/build/run.sh [busybox|python-or]   (needs a release build)
# BENCH_FIGURES=FILE appends "name value" lines (bench/quick.sh reads them).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
BASE=${1:-busybox}
RUNS=${RUNS:-5}
DEPLOYER=$root/build/release/apps/orsa-deployer/orsa-deployer
BUILDER=$root/build/release/apps/orsa-builder/orsa-builder
[ -x "$DEPLOYER" ] && [ -x "$BUILDER" ] || { echo "run: make build PRESET=release" >&2; exit 1; }
. "$root/tests/lib/deployer.sh"
. "$root/tests/lib/podman.sh"
. "$root/tests/lib/builder.sh"

work=$(mktemp -d /tmp/orsa-bench-XXXXXX)
cleanup() {
  stop_deployer
  # The deployer's podman service may leave its storage mounted a moment.
  grep -o " $work/[^ ]*" /proc/mounts | sort -r | xargs -r umount -l 2>/dev/null || true
  rm -rf "$work" 2>/dev/null || true
}
trap cleanup EXIT
export ORSA_ADMIN_PASSWORD=bench-admin-password
start_deployer "$DEPLOYER" "$work" --no-runtime --base-image "orsa/base-$BASE:latest"
podman_setup "$work/podman" "$HOSTPORT"

ORSA_REGISTRY_USERNAME=admin ORSA_REGISTRY_PASSWORD=$ORSA_ADMIN_PASSWORD \
  "$BUILDER" base build "$BASE" --bases-dir "$root/templates/bases" --registry "$URL" \
  --work-dir "$work" >"$work/base.out"
base_tag=$(tail -n 1 "$work/base.out" | json_get 'd["tag"]')
session=$(register bench)
api POST /api/v1/projects "$session" '{"name":"knapsack"}' >"$work/project.json"
# A fixed commit id: the digest then depends on content alone, so two runs
# of this script can be compared.
commit=5e1f0c0ffee5e1f0c0ffee5e1f0c0ffee5e1f0c0
token=$(api POST /api/v1/tokens "$session" '{"name":"bench"}' | json_get 'd["secret"]')

mkdir -p "$work/src"
cp "$root"/templates/python-flask/starter/* "$work/src/"
pack() { tar -czf "$work/$1" -C "$work/src" model.py input.json orsa.toml README.md; }
pack v1.tar.gz
echo "# tuned" >>"$work/src/model.py"
pack v2.tar.gz

# Microseconds from bash itself: a timer process would add its own start-up.
ms() { local t=${EPOCHREALTIME/./}; echo "$t"; }
tag=0
orsa_build() {  # archive → "elapsed_ms digest"
  tag=$((tag + 1))
  write_job "$work/job.json" bench knapsack "$tag" "$commit" "$work/$1" \
    "$root/templates/python-flask" "$URL" "orsa/base-$BASE" "$base_tag"
  local t0 t1
  t0=$(ms)
  ORSA_PUSH_TOKEN=$token "$BUILDER" build --job "$work/job.json" >"$work/build.out"
  t1=$(ms)
  echo "$(((t1 - t0) / 1000)) $(tail -n 1 "$work/build.out" | json_get 'd["digest"]')"
}

# The podman peer builds FROM the same base with the same rendered tree.
pod pull -q --creds "admin:$ORSA_ADMIN_PASSWORD" "$HOSTPORT/orsa/base-$BASE:$base_tag" >/dev/null
render_context() {
  "$BUILDER" render --template "$root/templates/python-flask" --context "$work/ctx.json" \
    --out "$work/ctx-$1" >/dev/null
  cp "$work/src/"* "$work/ctx-$1/"*/
}
echo '{"project_name":"knapsack","owner":"bench","commit":"'"$commit"'"}' >"$work/ctx.json"
cp "$root"/templates/python-flask/starter/model.py "$work/src/model.py"
render_context v1
echo "# tuned" >>"$work/src/model.py"
render_context v2
for v in v1 v2; do
  cat >"$work/ctx-$v/Containerfile" <<CF
FROM $HOSTPORT/orsa/base-$BASE:$base_tag
COPY ${v}/ /app/
USER 65532:65532
WORKDIR /app
CMD ["gunicorn", "-c", "/app/orsa_service/gunicorn.conf.py"]
CF
done
podman_build() {  # version → elapsed ms
  local dir=$work/ctx-$1 t0 t1
  rm -rf "$work/ctxdir" && mkdir -p "$work/ctxdir" && cp -r "$dir"/*/ "$work/ctxdir/$1"
  t0=$(ms)
  pod build -q -f "$dir/Containerfile" -t "bench:$1" "$work/ctxdir" >/dev/null
  t1=$(ms)
  echo $(((t1 - t0) / 1000))
}
podman_build v1 >/dev/null  # warm the build cache once

declare -A samples
digests_v1="" digests_v2=""
for _ in $(seq 1 "$RUNS"); do
  read -r t d <<<"$(orsa_build v1.tar.gz)"; samples[orsa_cold]+="$t "; digests_v1+="$d\n"
  read -r t d <<<"$(orsa_build v2.tar.gz)"; samples[orsa_rebuild]+="$t "; digests_v2+="$d\n"
  samples[podman_warm]+="$(podman_build v1) "
  samples[podman_rebuild]+="$(podman_build v2) "
done
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
m_cold=$(echo "${samples[orsa_cold]}" | median)
m_re=$(echo "${samples[orsa_rebuild]}" | median)
m_pw=$(echo "${samples[podman_warm]}" | median)
m_pr=$(echo "${samples[podman_rebuild]}" | median)
echo "base orsa/base-$BASE:$base_tag, $RUNS runs, podman $(podman --version | awk '{print $3}') (vfs storage)"
echo "| case | median ms | samples |"
echo "|---|---|---|"
echo "| orsa build (same commit again) | $m_cold | ${samples[orsa_cold]}|"
echo "| orsa rebuild after one-line change | $m_re | ${samples[orsa_rebuild]}|"
echo "| podman build, warm cache | $m_pw | ${samples[podman_warm]}|"
echo "| podman build after one-line change | $m_pr | ${samples[podman_rebuild]}|"
echo
echo "rebuild ratio podman/orsa: $(python3 -c "print(round($m_pr / max($m_re, 1), 1))")x"
distinct() { printf "$1" | sort -u | grep -v '^$'; }
[ "$(distinct "$digests_v1" | wc -l)" = 1 ] && [ "$(distinct "$digests_v2" | wc -l)" = 1 ] ||
  { echo "NOT REPRODUCIBLE: $(distinct "$digests_v1") / $(distinct "$digests_v2")"; exit 1; }
echo "digests (the same in all $RUNS runs): v1 $(distinct "$digests_v1"), v2 $(distinct "$digests_v2")"

# Click → image ready through the API, after the peers (same machine, same run).
"$root/bench/build/click.py" "$URL" "$token" bench knapsack "$RUNS" >"$work/click.jsonl"
click_median() {  # python subscript of one run's line → its median over the runs
  python3 -c "import json; v = sorted(json.loads(l)$1 for l in open('$work/click.jsonl')); print(v[(len(v) - 1) // 2])"
}
m_click=$(click_median '["ready_ms"]')
echo
echo "click → image ready (save + POST build + event stream end), $RUNS runs, medians:"
echo "| part | median ms |"
echo "|---|---|"
echo "| save the change (PUT file, a commit) | $(click_median '["save_ms"]') |"
echo "| POST build answered | $(click_median '["post_ms"]') |"
echo "| first log line on the stream | $(click_median '["first_line_ms"]') |"
steps=$(head -n 1 "$work/click.jsonl" | json_get '" ".join(d["steps"])')
for step in $steps; do
  echo "| builder step $step | $(click_median "[\"steps\"][\"$step\"]") |"
done
echo "| **end event: image ready** | **$m_click** |"
echo "click ratio podman rebuild / orsa click: $(python3 -c "print(round($m_pr / max($m_click, 1), 1))")x"
if [ -n "${BENCH_FIGURES:-}" ]; then
  awk -v p="$m_pr" -v o="$m_re" 'BEGIN {printf "build.rebuild_speedup_vs_podman %.3f\n", p / (o > 0 ? o : 1)}' \
    >>"$BENCH_FIGURES"
  echo "build.orsa_rebuild_ms $m_re" >>"$BENCH_FIGURES"
fi
