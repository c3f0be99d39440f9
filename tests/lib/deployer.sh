# Sourced by shell tests: starts a real orsa-deployer on a free loopback
# port (and its services listener on another) with its own data dir, and
# small JSON/API helpers (curl + python3). Sets URL (ORSA's origin), HOSTPORT
# and SERVICES_URL (the services listener, http://127.0.0.1:PORT).
# ORSA_TEST_LISTEN_HOST: where ORSA itself listens instead of 127.0.0.1 (an
# address cluster nodes reach, so they pull from its registry).
start_deployer() {  # bin work_dir [flags...]
  local bin=$1 dir=$2
  shift 2
  rm -f "$dir/ready"  # a restart: the last run's file must not be taken for this one's
  ORSA_ADMIN_PASSWORD=${ORSA_ADMIN_PASSWORD:-admin-password-for-tests} \
    "$bin" --listen "${ORSA_TEST_LISTEN_HOST:-127.0.0.1}:0" --services-listen 127.0.0.1:0 \
    --data-dir "$dir/data" \
    --ready-file "$dir/ready" \
    --log-level "${ORSA_TEST_LOG_LEVEL:-warn}" "$@" >"$dir/deployer.log" 2>&1 &
  DEPLOYER_PID=$!
  # Up to 2 min: start-up includes the deployer's own podman service, slow
  # on a loaded machine.
  for _ in $(seq 1 2400); do
    [ -s "$dir/ready" ] && break
    kill -0 "$DEPLOYER_PID" 2>/dev/null || { cat "$dir/deployer.log"; return 1; }
    sleep 0.05
  done
  URL=$(cat "$dir/ready")
  HOSTPORT=${URL#http://}
  # Announced on stdout with the main URL, before the ready file is written.
  SERVICES_URL=$(sed -n 's/^ORSA services serving at //p' "$dir/deployer.log" | head -n1)
  [ -n "$SERVICES_URL" ] || { cat "$dir/deployer.log"; return 1; }
}

stop_deployer() {
  [ -n "${DEPLOYER_PID:-}" ] || return 0
  kill "$DEPLOYER_PID" 2>/dev/null || true
  wait "$DEPLOYER_PID" 2>/dev/null || true
}

# The interpreter itself, not a version manager's shim in front of it: the
# scripts call json_get hundreds of times, and a shim adds ~0.3 s to each
# (more on a loaded machine), which skews what the scripts time.
ORSA_TEST_PYTHON=${ORSA_TEST_PYTHON:-$(python3 -c 'import sys; print(sys.executable)')}
json_get() {  # field-path (python expression on `d`) < json
  "$ORSA_TEST_PYTHON" -c "import json,sys; d=json.load(sys.stdin); print($1)"
}

api() {  # method path token [json-body]
  local args=(-sS -X "$1" "$URL$2" -H "Authorization: Bearer $3")
  [ $# -ge 4 ] && args+=(-H 'Content-Type: application/json' --data-binary "$4")
  curl "${args[@]}"
}

register() {  # username → session token
  curl -sSf "$URL/api/v1/auth/register" -H 'Content-Type: application/json' \
    -d "{\"username\":\"$1\",\"email\":\"$1@example.org\",\"password\":\"password-1234\"}" |
    json_get 'd["token"]'
}

build_head() {  # owner project token → image id of a new build of head (fails the test otherwise)
  local build status=queued
  build=$(api POST "/api/v1/projects/$1/$2/builds" "$3" '{}' | json_get 'd["id"]')
  for _ in $(seq 1 1200); do
    status=$(api GET "/api/v1/builds/$build" "$3" | json_get 'd["status"]')
    case $status in succeeded | failed | canceled) break ;; esac
    sleep 0.1
  done
  [ "$status" = succeeded ] || { api GET "/api/v1/builds/$build/logs" "$3"; fail "build $status"; }
  api GET "/api/v1/builds/$build" "$3" | json_get 'd["image_id"]'
}

wait_deployment() {  # token deployment_id wanted... → final status (waits up to 180 s)
  local token=$1 id=$2 status
  shift 2
  for _ in $(seq 1 1800); do
    status=$(api GET "/api/v1/deployments/$id" "$token" | json_get 'd["status"]')
    for want in "$@"; do [ "$status" = "$want" ] && { echo "$status"; return 0; }; done
    sleep 0.1
  done
  echo "$status"
}

# podman on a deployer's own store, exactly as its podman service runs it
# (PodmanService::cli_command() and cli_environment()): the values are read
# back from the storage.conf the service wrote, so they cannot drift.
deployer_podman() {  # data_dir podman-args...
  local data=$1
  shift
  local conf=$data/podman/storage.conf value_of
  value_of() { sed -n "s/^$1 = \"\(.*\)\"$/\1/p" "$conf"; }
  local root runroot driver
  root=$(value_of graphroot) runroot=$(value_of runroot) driver=$(value_of driver)
  CONTAINERS_CONF=$data/podman/containers.conf \
    CONTAINERS_REGISTRIES_CONF=$data/podman/registries.conf \
    CONTAINERS_STORAGE_CONF=$conf \
    podman --root "$root" --runroot "$runroot" --tmpdir "$runroot/libpod-tmp" \
    --storage-driver "$driver" "$@"
}

# Removes a stopped deployer's containers and the overlay mounts podman
# leaves under its work dir, so the dir can be deleted.
remove_deployer_containers() {  # data_dir work_dir
  if [ -f "$1/podman/storage.conf" ]; then
    deployer_podman "$1" rm -f -a >/dev/null 2>&1 || true
    # Bridges of the deployments' networks are host interfaces.
    deployer_podman "$1" network prune -f >/dev/null 2>&1 || true
  fi
  unmount_under "$2"
}

# Unmounts what containers left mounted under a test's work dir (overlay
# layers, tmpfs outputs), deepest first, so the dir can be deleted.
unmount_under() {  # dir
  awk -v w="$1" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r |
    while read -r m; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
}

# Fails when a process started by the deployer (its podman service, a
# builder, a container's monitor) holds one of the deployer's own sockets or
# files: every descriptor of the control plane must close on exec.
check_children_hold_no_deployer_fds() {  # deployer-pid
  python3 - "$1" <<'PY'
import os, sys
root = int(sys.argv[1])

def fds(pid):
    out = {}
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                out[fd] = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                pass
    except OSError:
        pass
    return out

children = {}
for entry in os.listdir("/proc"):
    if entry.isdigit():
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
        except (OSError, IndexError, ValueError):
            pass
descendants, todo = [], [root]
while todo:
    for child in children.get(todo.pop(), []):
        descendants.append(child)
        todo.append(child)
# Shared terminals, /dev/null and pipes set up for a child on purpose are
# not the control plane's; its sockets and data files are.
own = {t for t in fds(root).values()
       if t.startswith("socket:") or (t.startswith("/") and not t.startswith("/dev/"))}
leaks = [(pid, fd, t) for pid in descendants for fd, t in fds(pid).items() if t in own]
if not descendants:
    sys.exit("the deployer has no child process to check")
if leaks:
    sys.exit("children hold the deployer's descriptors: " + repr(leaks[:10]))
print(f"checked {len(descendants)} processes started by the deployer: no inherited descriptor")
PY
}

# The common frame of a shell test: a work dir with the deployer's data dir
# under it (sets work, DATA, started_at), removed on exit together with the
# deployer and every container it started (containers outlive the deployer
# by design); `fail` and `step` for its messages. A test may redefine `fail`
# to show more.
begin_test() {  # name
  work=$(mktemp -d "/tmp/orsa-$1-XXXXXX")
  DATA=$work/data
  started_at=$(date +%s)
  trap end_test EXIT
}
end_test() {
  stop_deployer
  remove_deployer_containers "$DATA" "$work"
  rm -rf "$work" 2>/dev/null || true
}
fail() {
  echo "FAIL: $*" >&2
  tail -n 40 "$work/deployer.log" >&2 || true
  exit 1
}
step() { echo "--- $*"; }
