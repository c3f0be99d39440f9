#!/usr/bin/env bash
# Build time against the size of the project. For each shape (N files of B
# bytes: small text .py/.json files, or incompressible .bin data) the starter
# project plus the files goes into an ORSA project as one commit (POST
# …/archive, what `orsa push` sends for binary files), then:
#   orsa     click → image ready (bench/build/click.py: a one-line change to
#            model.py, POST build, the build's event stream until its end)
#   podman   podman build FROM the same busybox base, COPY the same tree
#            after the same one-line change (the layer cache cannot hit)
# One warm-up, then RUNS (5) of each; medians. Busybox base as in
# bench/build/run.sh, so no Python is needed in the image.
# SHAPES="name:files:bytes_each:text|random …" overrides the shapes.
# Prints markdown tables, writes bench/results/build-size-<time>.csv and
# bench/figures/build-size.png. Needs a release build.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
SHAPES=${SHAPES:-"f1:1:1024:text f10:10:1024:text f100:100:1024:text f1000:1000:1024:text
  mb1:1:1000000:random mb10:10:1000000:random mb50:50:1000000:random"}
RUNS=${RUNS:-5}
WARMUP=${WARMUP:-1}
BASE=busybox
DEPLOYER=$root/build/release/apps/orsa-deployer/orsa-deployer
BUILDER=$root/build/release/apps/orsa-builder/orsa-builder
[ -x "$DEPLOYER" ] && [ -x "$BUILDER" ] || { echo "run: make build PRESET=release" >&2; exit 1; }
. "$root/tests/lib/deployer.sh"
. "$root/tests/lib/podman.sh"

work=$(mktemp -d /tmp/bench-size-XXXXXX)
cleanup() {
  stop_deployer
  grep -o " $work/[^ ]*" /proc/mounts | sort -r | xargs -r umount -l 2>/dev/null || true
  rm -rf "$work" 2>/dev/null || true
}
trap cleanup EXIT

# Quotas and the collector off: 50 MB × 6 builds must not hit a limit.
export ORSA_ADMIN_PASSWORD=bench-admin-password
start_deployer "$DEPLOYER" "$work" --no-runtime --builder-bin "$BUILDER" \
  --base-image "orsa/base-$BASE:latest" --registry-quota-mb 0 --repository-quota-mb 0 \
  --gc-interval 0
podman_setup "$work/podman" "$HOSTPORT"

ORSA_REGISTRY_USERNAME=admin ORSA_REGISTRY_PASSWORD=$ORSA_ADMIN_PASSWORD \
  "$BUILDER" base build "$BASE" --bases-dir "$root/templates/bases" --registry "$URL" \
  --work-dir "$work" >"$work/base.out"
base_tag=$(tail -n 1 "$work/base.out" | json_get 'd["tag"]')
base_ref=$HOSTPORT/orsa/base-$BASE:$base_tag
pod pull -q --creds "admin:$ORSA_ADMIN_PASSWORD" "$base_ref" >/dev/null
base_size=$(pod image inspect --format '{{.Size}}' "$base_ref")
session=$(register bench)
token=$(api POST /api/v1/tokens "$session" '{"name":"bench"}' | json_get 'd["secret"]')

make_files() {  # dir count bytes_each kind: distinct contents, so git stores each
  python3 - "$@" <<'PY'
import os, sys
d, n, each, kind = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
os.makedirs(f"{d}/data", exist_ok=True)
for i in range(n):
    if kind == "random":
        name, body = f"blob{i:04d}.bin", os.urandom(each)
    else:
        name = f"mod{i:04d}.py" if i % 2 == 0 else f"table{i:04d}.json"
        pad = os.urandom(each).hex()
        text = f'DATA_{i} = "{pad}"\n' if name.endswith(".py") else f'{{"id": {i}, "data": "{pad}"}}\n'
        body = (text[: each - 3] + text[-3:]).encode()
    with open(f"{d}/data/{name}", "wb") as f:
        f.write(body)
PY
}
ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$root/bench/results" "$root/bench/figures"
csv=$root/bench/results/build-size-$stamp.csv
echo "shape,kind,files,bytes,orsa_ms,podman_ms,ratio,orsa_layer_bytes,podman_layer_bytes,first_line_ms,extract_ms,render_ms,layer_ms,config_ms,push_ms,rest_ms,orsa_samples,podman_samples" >"$csv"

for shape in $SHAPES; do
  IFS=: read -r name count each kind <<<"$shape"
  project=size-$name dir=$work/$name
  echo "--- $name: $count × $each bytes ($kind)" >&2
  mkdir -p "$dir/src"
  cp "$root"/templates/python-flask/starter/* "$dir/src/"
  make_files "$dir/src" "$count" "$each" "$kind"
  bytes=$(find "$dir/src/data" -type f -printf '%s\n' | awk '{s += $1} END {print s}')

  # ORSA: the files as one commit, then the clicks.
  api POST /api/v1/projects "$session" "{\"name\":\"$project\"}" >/dev/null
  tar -czf "$dir/src.tar.gz" -C "$dir/src" .
  curl -sSf -o /dev/null -X POST "$URL/api/v1/projects/bench/$project/archive" \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/gzip' \
    --data-binary "@$dir/src.tar.gz" ||
    { echo "$name: the upload was refused (API limits)" >&2; continue; }
  "$root/bench/build/click.py" "$URL" "$token" bench "$project" $((WARMUP + RUNS)) >"$dir/click.jsonl"
  read -r orsa_ms first_line extract render layer config push rest <<<"$("$root/bench/build/size_stats.py" "$dir/click.jsonl" "$WARMUP")"
  orsa_samples=$(tail -n +$((WARMUP + 1)) "$dir/click.jsonl" |
    python3 -c "import json, sys; print(' '.join(str(round(json.loads(l)['ready_ms'])) for l in sys.stdin))")
  number=$(api GET "/api/v1/projects/bench/$project/builds?limit=1" "$token" | json_get 'd["builds"][0]["number"]')
  orsa_layer=$(skopeo inspect --raw --tls-verify=false --creds "admin:$ORSA_ADMIN_PASSWORD" \
    "docker://$HOSTPORT/bench/$project:$number" | json_get 'd["layers"][-1]["size"]')

  # podman: the rendered service plus the same files, as bench/build/run.sh.
  echo "{\"project_name\":\"$project\",\"owner\":\"bench\",\"commit\":\"$(printf '0%.0s' {1..40})\"}" >"$dir/ctx.json"
  "$BUILDER" render --template "$root/templates/python-flask" --context "$dir/ctx.json" \
    --out "$dir/render" >/dev/null
  mkdir -p "$dir/ctx" && mv "$dir"/render/*/ "$dir/ctx/app" && cp -r "$dir/src/"* "$dir/ctx/app/"
  cat >"$dir/Containerfile" <<CF
FROM $base_ref
COPY app/ /app/
USER 65532:65532
WORKDIR /app
CMD ["gunicorn", "-c", "/app/orsa_service/gunicorn.conf.py"]
CF
  image=localhost/bench-size-$$-$name
  podman_samples=""
  for i in $(seq 1 $((WARMUP + RUNS))); do
    echo "# click $i $EPOCHREALTIME" >>"$dir/ctx/app/model.py"  # a new COPY layer each time
    t0=$(ms)
    pod build -q -f "$dir/Containerfile" -t "$image:$i" "$dir/ctx" >/dev/null
    t1=$(ms)
    if [ "$i" -gt "$WARMUP" ]; then podman_samples+="$((t1 - t0)) "; fi
    if [ "$i" -gt 1 ]; then pod rmi -f "$image:$((i - 1))" >/dev/null; fi  # vfs: each image is a full copy
  done
  podman_ms=$(echo "$podman_samples" | median)
  podman_layer=$(($(pod image inspect --format '{{.Size}}' "$image:$((WARMUP + RUNS))") - base_size))
  pod rmi -f "$image:$((WARMUP + RUNS))" >/dev/null
  ratio=$(python3 -c "print(round($podman_ms / max($orsa_ms, 1), 2))")
  echo "$name,$kind,$count,$bytes,$orsa_ms,$podman_ms,$ratio,$orsa_layer,$podman_layer,$first_line,$extract,$render,$layer,$config,$push,$rest,${orsa_samples% },${podman_samples% }" >>"$csv"
  rm -rf "$dir"
done

echo "base $base_ref, $RUNS runs after $WARMUP warm-up, podman $(podman --version | awk '{print $3}') (vfs storage), medians"
echo
echo "| shape | files | bytes | ORSA click → image ms | podman build ms | podman / ORSA | ORSA layer (gzip) | podman layer |"
echo "|---|---|---|---|---|---|---|---|"
tail -n +2 "$csv" | awk -F, '{printf "| %s | %s | %s | %s | %s | %s× | %s | %s |\n", $1, $3, $4, $5, $6, $7, $8, $9}'
echo
# The first log line comes once the deployer has packed the commit (queue,
# git snapshot, tar.gz); "rest" is the builder's start and exit and the
# deployer recording the end.
echo "| shape | first log line | extract | render | layer | config | push | rest | ORSA total |"
echo "|---|---|---|---|---|---|---|---|---|"
tail -n +2 "$csv" | awk -F, '{printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $10, $11, $12,
  $13, $14, $15, $16, $5}'
echo "csv: bench/results/build-size-$stamp.csv"

# One panel per kind of shape; a kind without rows gets no panel.
texts=$(awk -F, 'NR > 1 && $2 == "text"' "$csv" | wc -l)
randoms=$(awk -F, 'NR > 1 && $2 == "random"' "$csv" | wc -l)
panels=$(( (texts > 0) + (randoms > 0) ))
[ "$panels" -gt 0 ] || exit 0
{
  echo 'set datafile separator ","'
  echo "set terminal pngcairo size $((520 * panels)),480 font \"sans,11\""
  echo "set output \"$root/bench/figures/build-size.png\""
  echo "set multiplot layout 1,$panels title \"Build time against project size (busybox base, 2 cores, medians of $RUNS)\""
  echo 'set logscale xy 10; set grid; set key top left; set ylabel "milliseconds"'
  plot() {  # kind xlabel x-expression
    echo "set xlabel \"$2\""
    echo "plot \"$csv\" using (strcol(2) eq \"$1\" ? $3 : NaN):5 skip 1 with linespoints lw 2 title \"ORSA click → image\", \\"
    echo "     \"$csv\" using (strcol(2) eq \"$1\" ? $3 : NaN):6 skip 1 with linespoints lw 2 title \"podman build\""
  }
  if [ "$texts" -gt 0 ]; then plot text "files of about 1 KiB (.py/.json)" '$3'; fi
  if [ "$randoms" -gt 0 ]; then plot random "MB of incompressible data (1 MB files)" '($4 / 1e6)'; fi
  echo 'unset multiplot'
} | gnuplot
echo "plot: bench/figures/build-size.png"
