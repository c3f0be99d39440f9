#!/usr/bin/env bash
# Real clients against the embedded registry: skopeo copies a tiny busybox
# image into orsa-deployer's /v2 and back out (same manifest digest), skopeo
# inspects it, podman pulls it into a private store and runs it.
# Usage: registry_interop_test.sh /path/to/orsa-deployer
# Only 127.0.0.1 is used; every process and temp dir is cleaned up.
set -euo pipefail

deployer_bin=$1
py=/usr/bin/python3
password='alice-password-1234'
admin_password='admin-password-for-interop'
work=$(mktemp -d /tmp/orsa-interop.XXXXXX)
deployer_pid=""

cleanup() {
  if [ -n "$deployer_pid" ]; then
    kill "$deployer_pid" 2>/dev/null || true
    wait "$deployer_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  echo "--- deployer log ---" >&2
  cat "$work/deployer.log" >&2 || true
  exit 1
}

# Polls `cmd` until it succeeds or `seconds` pass.
wait_for() {
  local seconds=$1
  shift
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.05
  done
}

# --- start orsa-deployer on a free port ---
ORSA_ADMIN_PASSWORD=$admin_password ORSA_LOG_LEVEL=warn \
  "$deployer_bin" --listen 127.0.0.1:0 --services-listen 127.0.0.1:0 --data-dir "$work/data" --ready-file "$work/ready" --no-runtime \
  >"$work/deployer.log" 2>&1 &
deployer_pid=$!
wait_for 30 test -s "$work/ready" || fail "orsa-deployer did not become ready"
url=$(head -n1 "$work/ready")
host=${url#http://}
echo "orsa-deployer at $url"

# --- alice and her project ---
token=$(curl -sf -X POST "$url/api/v1/auth/register" -H 'Content-Type: application/json' \
  -d "{\"username\":\"alice\",\"email\":\"alice@example.org\",\"password\":\"$password\"}" |
  $py -c 'import json,sys; print(json.load(sys.stdin)["token"])') || fail "register alice"
curl -sf -X POST "$url/api/v1/projects" -H "Authorization: Bearer $token" \
  -H 'Content-Type: application/json' -d '{"name":"proj"}' >/dev/null || fail "create project"
curl -sf -X POST "$url/api/v1/auth/register" -H 'Content-Type: application/json' \
  -d "{\"username\":\"bob\",\"email\":\"bob@example.org\",\"password\":\"$password\"}" \
  >/dev/null || fail "register bob"

# --- a tiny OCI image layout: one layer holding /bin/busybox ---
$py - "$work/layout" <<'PY' || fail "build the OCI layout fixture"
import gzip, hashlib, io, json, os, sys, tarfile

out = sys.argv[1]
blobs = os.path.join(out, "blobs", "sha256")
os.makedirs(blobs)

def put(data):
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(blobs, digest), "wb") as f:
        f.write(data)
    return "sha256:" + digest

tar_bytes = io.BytesIO()
with tarfile.open(fileobj=tar_bytes, mode="w", format=tarfile.PAX_FORMAT) as tar:
    for d in ("bin",):
        info = tarfile.TarInfo(d)
        info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 0
        tar.addfile(info)
    with open("/bin/busybox", "rb") as f:
        data = f.read()
    info = tarfile.TarInfo("bin/busybox")
    info.size, info.mode, info.mtime = len(data), 0o755, 0
    tar.addfile(info, io.BytesIO(data))
raw = tar_bytes.getvalue()
layer = gzip.compress(raw, compresslevel=6, mtime=0)
layer_digest = put(layer)
config = json.dumps({
    "architecture": "amd64", "os": "linux",
    "config": {"Cmd": ["/bin/busybox", "echo", "hello"]},
    "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(raw).hexdigest()]},
}, separators=(",", ":")).encode()
config_digest = put(config)
manifest = json.dumps({
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
               "digest": config_digest, "size": len(config)},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": layer_digest, "size": len(layer)}],
}, separators=(",", ":")).encode()
manifest_digest = put(manifest)
with open(os.path.join(out, "oci-layout"), "w") as f:
    json.dump({"imageLayoutVersion": "1.0.0"}, f)
with open(os.path.join(out, "index.json"), "w") as f:
    json.dump({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": manifest_digest, "size": len(manifest),
        "annotations": {"org.opencontainers.image.ref.name": "v1"}}]}, f)
print(manifest_digest)
PY
source_digest=$($py -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' \
  "$work/layout/index.json")

cat >"$work/policy.json" <<'EOF'
{"default":[{"type":"insecureAcceptAnything"}]}
EOF
skopeo=(skopeo --policy "$work/policy.json" --registries-conf /dev/null)
image="docker://$host/alice/proj:v1"

# --- skopeo copy into the registry, inspect, copy back out ---
"${skopeo[@]}" copy --dest-tls-verify=false --dest-creds "alice:$password" \
  "oci:$work/layout:v1" "$image" || fail "skopeo copy into the registry"
inspected=$("${skopeo[@]}" inspect --tls-verify=false --creds "alice:$password" "$image") ||
  fail "skopeo inspect"
pushed_digest=$(echo "$inspected" | $py -c 'import json,sys; print(json.load(sys.stdin)["Digest"])')
[ "$pushed_digest" = "$source_digest" ] ||
  fail "registry digest $pushed_digest differs from the source $source_digest"
"${skopeo[@]}" copy --src-tls-verify=false --src-creds "alice:$password" \
  "$image" "oci:$work/out:v1" || fail "skopeo copy out of the registry"
out_digest=$($py -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' \
  "$work/out/index.json")
[ "$out_digest" = "$source_digest" ] || fail "copied-out digest $out_digest != $source_digest"
echo "skopeo round trip ok: $out_digest"

# The README's commands: the session token from /auth/login as the password.
session=$(curl -sf -X POST "$url/api/v1/auth/login" -H 'Content-Type: application/json' \
  -d "{\"username\":\"alice\",\"password\":\"$password\"}" |
  $py -c 'import json,sys; print(json.load(sys.stdin)["token"])') || fail "log alice in"
case $session in eyJ*) ;; *) fail "the session token is not a JWT: $session" ;; esac
session_digest=$("${skopeo[@]}" inspect --tls-verify=false --creds "alice:$session" "$image" |
  $py -c 'import json,sys; print(json.load(sys.stdin)["Digest"])') ||
  fail "skopeo inspect --creds alice:\$TOKEN (session token from /auth/login)"
[ "$session_digest" = "$source_digest" ] || fail "inspect with the session token saw $session_digest"
"${skopeo[@]}" copy --src-tls-verify=false --src-creds "alice:$session" \
  "$image" "oci:$work/out-session:v1" || fail "skopeo copy out with the session token"
# Someone else's name with alice's session, and the session after logout: refused.
if "${skopeo[@]}" inspect --tls-verify=false --creds "bob:$session" "$image" >/dev/null 2>&1; then
  fail "alice's session token worked under bob's name"
fi
curl -sf -X POST "$url/api/v1/auth/logout" -H "Authorization: Bearer $session" >/dev/null ||
  fail "logout"
if "${skopeo[@]}" inspect --tls-verify=false --creds "alice:$session" "$image" >/dev/null 2>&1; then
  fail "the session token still opened the registry after logout"
fi
echo "skopeo with the session token ok (refused after logout)"

# Bob sees nothing; anonymous gets the challenge.
if "${skopeo[@]}" inspect --tls-verify=false --creds "bob:$password" "$image" >/dev/null 2>&1; then
  fail "bob could inspect alice's image"
fi
status=$(curl -s -o /dev/null -w '%{http_code}' "$url/v2/alice/proj/manifests/v1")
[ "$status" = 401 ] || fail "anonymous manifest GET answered $status"

# --- podman pull (private store) and run ---
cat >"$work/containers.conf" <<'EOF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
cat >"$work/registries.conf" <<EOF
[[registry]]
location = "$host"
insecure = true
EOF
cat >"$work/storage.conf" <<EOF
[storage]
driver = "vfs"
graphroot = "$work/podman-root"
runroot = "$work/podman-runroot"
EOF
export CONTAINERS_CONF="$work/containers.conf"
export CONTAINERS_REGISTRIES_CONF="$work/registries.conf"
export CONTAINERS_STORAGE_CONF="$work/storage.conf"
podman=(podman --root "$work/podman-root" --runroot "$work/podman-runroot" --storage-driver vfs
  --tmpdir "$work/podman-tmp")
"${podman[@]}" pull --tls-verify=false --creds "alice:$password" "$host/alice/proj:v1" ||
  fail "podman pull"
pulled=$("${podman[@]}" image inspect --format '{{.Digest}}' "$host/alice/proj:v1")
[ "$pulled" = "$source_digest" ] || fail "podman pulled $pulled, expected $source_digest"
echo "podman pull ok: $pulled"

if output=$("${podman[@]}" run --rm --network none "$host/alice/proj:v1" /bin/busybox echo hello 2>&1); then
  [ "$(echo "$output" | tail -n1)" = "hello" ] || fail "podman run printed: $output"
  echo "podman run ok"
else
  fail "podman run failed: $output"
fi
"${podman[@]}" rmi -a -f >/dev/null 2>&1 || true
echo "registry interop ok"
