#!/usr/bin/env bash
# End to end through real parts: orsa-deployer (embedded registry), the
# orsa-builder process, podman. Usage:
#   build_e2e_test.sh DEPLOYER BUILDER SOURCE_DIR BASE
# BASE=busybox: base build, project build, reproducibility (same commit →
#   same digest), a one-line change rebuilt, podman pulls the image and runs
#   a command in it.
# BASE=python-or: the real Debian base (mmdebstrap); the image is pulled and
#   run by podman, and POST /solve with the starter's input.json answers the
#   knapsack optimum.
set -euo pipefail
DEPLOYER=$1 BUILDER=$2 SRC=$3 BASE=$4
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/deployer.sh"
. "$here/lib/podman.sh"
. "$here/lib/builder.sh"

work=$(mktemp -d /tmp/orsa-e2e-XXXXXX)
cleanup() {
  pod rm -f -a >/dev/null 2>&1 || true
  stop_deployer
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

export ORSA_ADMIN_PASSWORD=admin-password-for-e2e
start_deployer "$DEPLOYER" "$work" --no-runtime --base-image "orsa/base-$BASE:latest"
podman_setup "$work/podman" "$HOSTPORT"

# 1. The admin builds and pushes the base image.
ORSA_REGISTRY_USERNAME=admin ORSA_REGISTRY_PASSWORD=$ORSA_ADMIN_PASSWORD \
  "$BUILDER" base build "$BASE" --bases-dir "$SRC/templates/bases" --registry "$URL" \
  --work-dir "$work" >"$work/base.out" || { cat "$work/base.out"; fail "base build"; }
base_tag=$(tail -n 1 "$work/base.out" | json_get 'd["tag"]')
echo "base orsa/base-$BASE:$base_tag $(tail -n 1 "$work/base.out" | json_get 'd["digest"]')"

# 2. Alice's project from the python-flask template; her API token pushes.
session=$(register alice)
api POST /api/v1/projects "$session" '{"name":"knapsack"}' >"$work/project.json"
commit=$(json_get 'd["head"]["sha"]' <"$work/project.json")
token=$(api POST /api/v1/tokens "$session" '{"name":"builder"}' | json_get 'd["secret"]')

make_job() {  # tag archive
  write_job "$work/job-$1.json" alice knapsack "$1" "$commit" "$2" "$SRC/templates/python-flask" \
    "$URL" "orsa/base-$BASE" "$base_tag"
}

build() {  # tag archive → prints the result line
  make_job "$1" "$2"
  ORSA_PUSH_TOKEN=$token "$BUILDER" build --job "$work/job-$1.json" >"$work/build-$1.out" ||
    { cat "$work/build-$1.out"; fail "build $1"; }
  tail -n 1 "$work/build-$1.out"
}

mkdir -p "$work/src"
cp "$SRC"/templates/python-flask/starter/* "$work/src/"
tar -czf "$work/src1.tar.gz" -C "$work/src" model.py input.json orsa.toml README.md
first=$(build d1 "$work/src1.tar.gz")
again=$(build d2 "$work/src1.tar.gz")
d1=$(echo "$first" | json_get 'd["digest"]')
d2=$(echo "$again" | json_get 'd["digest"]')
echo "build d1: $first"
[ "$d1" = "$d2" ] || fail "same commit gave $d1 and $d2"
[ "$(echo "$first" | json_get 'd["base_layers_reused"]')" -ge 1 ] || fail "base layers not reused"

echo "# tuned" >>"$work/src/model.py"
tar -czf "$work/src2.tar.gz" -C "$work/src" model.py input.json orsa.toml README.md
changed=$(build d3 "$work/src2.tar.gz")
echo "build d3 (one-line change): $changed"
[ "$(echo "$changed" | json_get 'd["digest"]')" != "$d1" ] || fail "a changed model kept its digest"

# A broken orsa.toml fails the build with the key named, and pushes nothing.
printf '[service]\ntimout = 5\n' >"$work/src/orsa.toml"
tar -czf "$work/src3.tar.gz" -C "$work/src" model.py input.json orsa.toml README.md
make_job d4 "$work/src3.tar.gz"
if ORSA_PUSH_TOKEN=$token "$BUILDER" build --job "$work/job-d4.json" >"$work/build-d4.out" 2>&1; then
  fail "a build with an unknown orsa.toml key succeeded"
fi
grep -q "unknown key 'service.timout'" "$work/build-d4.out" || fail "no key named in: $(cat "$work/build-d4.out")"
tags=$(curl -sS -u "alice:$token" "$URL/v2/alice/knapsack/tags/list" | json_get '",".join(sorted(d["tags"]))')
[ "$tags" = "d1,d2,d3" ] || fail "registry tags are $tags"

# A builder killed at any moment leaves the registry consistent: every tag's
# manifest references only blobs the repository holds.
for delay in 0.005 0.02 0.05; do
  make_job "k$delay" "$work/src2.tar.gz"
  ORSA_PUSH_TOKEN=$token "$BUILDER" build --job "$work/job-k$delay.json" >/dev/null 2>&1 &
  victim=$!
  sleep "$delay"
  kill -9 "$victim" 2>/dev/null || true
  wait "$victim" 2>/dev/null || true
done
python3 - "$URL" "alice:$token" <<'PY' || fail "registry inconsistent after killed builds"
import base64, json, sys, urllib.request
url, creds = sys.argv[1], base64.b64encode(sys.argv[2].encode()).decode()
def get(path, method="GET", accept="application/vnd.oci.image.manifest.v1+json"):
    req = urllib.request.Request(url + path, method=method,
                                 headers={"Authorization": "Basic " + creds, "Accept": accept})
    with urllib.request.urlopen(req) as r:
        return r.read()
tags = json.loads(get("/v2/alice/knapsack/tags/list"))["tags"]
for tag in tags:
    m = json.loads(get(f"/v2/alice/knapsack/manifests/{tag}"))
    for d in [m["config"]] + m["layers"]:
        get(f"/v2/alice/knapsack/blobs/{d['digest']}", method="HEAD")
print(f"{len(tags)} tags, every referenced blob present")
PY

# 3. "Build" through the API: the deployer's queue runs orsa-builder with a
# push token; the build's image row names what landed in the registry.
build_json=$(api POST /api/v1/projects/alice/knapsack/builds "$session" '{}')
build_id=$(echo "$build_json" | json_get 'd["id"]')
status=queued
for _ in $(seq 1 600); do
  status=$(api GET "/api/v1/builds/$build_id" "$session" | json_get 'd["status"]')
  case $status in succeeded | failed | canceled) break ;; esac
  sleep 0.1
done
logs=$(api GET "/api/v1/builds/$build_id/logs" "$session")
[ "$status" = succeeded ] || { echo "$logs"; fail "API build $status"; }
echo "$logs" | grep -q 'step push done' || fail "no step timings in the build log: $logs"
image_json=$(api GET /api/v1/projects/alice/knapsack/images "$session")
image_tag=$(echo "$image_json" | json_get '[i for i in d["images"] if i["build_id"] == "'"$build_id"'"][0]["tag"]')
image_digest=$(echo "$image_json" | json_get '[i for i in d["images"] if i["build_id"] == "'"$build_id"'"][0]["digest"]')
echo "API build $build_id → alice/knapsack:$image_tag $image_digest"
# Another user sees neither the build nor the image.
other=$(register bob)
[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/api/v1/builds/$build_id" -H "Authorization: Bearer $other")" = 404 ] ||
  fail "bob can see alice's build"

# 4. podman pulls from the embedded registry and runs the image.
image="$HOSTPORT/alice/knapsack:$image_tag"
pod pull -q --creds "alice:$token" "$image" >/dev/null || fail "podman pull"
[ "$(pod image inspect --format '{{.Digest}}' "$image")" = "$image_digest" ] || fail "pulled digest differs"

if [ "$BASE" = busybox ]; then
  out=$(pod run --rm --entrypoint /bin/busybox "$image" ls /app/orsa_service)
  echo "$out" | grep -q gunicorn.conf.py || fail "service files missing in the image: $out"
  user=$(pod run --rm --entrypoint /bin/busybox "$image" id -u)
  [ "$user" = 65532 ] || fail "runs as uid $user"
else
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  pod run -d --name knapsack -p "127.0.0.1:$port:8000" "$image" >/dev/null || fail "podman run"
  for _ in $(seq 1 200); do
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
    sleep 0.1
  done
  answer=$(curl -sSf -X POST "http://127.0.0.1:$port/solve" -H 'Content-Type: application/json' \
    --data-binary @"$SRC/templates/python-flask/starter/input.json") ||
    { pod logs knapsack; fail "POST /solve"; }
  echo "solve: $answer"
  [ "$(echo "$answer" | json_get 'd["objective"]')" = "15.0" ] || fail "wrong optimum"
fi
echo "build e2e ($BASE) ok"
