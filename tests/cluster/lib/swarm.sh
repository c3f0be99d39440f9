# shellcheck shell=bash
# Sourced by cluster tests: a real two-node Docker Swarm (Debian docker.io
# 20.10) on private addresses that exist only on this machine.
#
#   swarm_up WORKDIR   start node 1 and node 2, init + join, wait until Ready
#   swarm_down [WORKDIR]  stop and remove everything swarm_up made; safe to call
#                      twice, from `trap ... EXIT`, after a partial swarm_up,
#                      and from another shell (given the WORKDIR)
#   swarm_registry_up  a docker-registry on node 1's address (both daemons
#                      treat the fixture's /24 as insecure); sets SWARM_REGISTRY
#   swarm_busybox_image [NAME:TAG]  static busybox image pushed there; sets
#                      SWARM_BUSYBOX_IMAGE (no internet needed)
#   swarm_n1 / swarm_n2 ARGS...   the docker CLI against node 1 / node 2
#   swarm_api 1|2 METHOD PATH [JSON]  the Engine API over the node's unix socket
#   swarm_wait TIMEOUT_S DESCRIPTION CMD...  bounded poll (0.2 s) until CMD succeeds
#
# Layout (N = a free index 0..254 under SWARM_NET_BASE, default 10.213):
#   node 1  dockerd in the host network namespace, its own mount, pid and uts
#           namespaces (hostname orsa-tPID-n1); --iptables=false
#           --ip-forward=false, so it changes no host iptables rule or sysctl;
#           default bridge = a bridge the fixture makes (orsaPIDb, .64/27),
#           docker_gwbridge pre-created as Linux bridge orsaPIDg (.96/27);
#           published ports bind SWARM_N1_ADDR only (docker-proxy).
#   node 2  dockerd in network namespace orsa-tPID-n2 (plus mount/pid/uts), joined
#           to the host by veth orsaPIDh <-> orsaPIDn on 10.213.N.0/30;
#           iptables on (inside its own netns only); bridges .128/27, .160/27.
#   SWARM_N1_ADDR = 10.213.N.1 (host end of the veth), SWARM_N2_ADDR = 10.213.N.2.
#   A host-mode published port of a task on node K answers on SWARM_NK_ADDR,
#   which is also the node's Status.Addr in GET /nodes.
#
# Each node runs as `tini -- dockerd` as pid 1 of its own pid namespace: when
# it dies the kernel kills containerd, shims and containers with it, and its
# private mount namespace (overlay mounts, tmpfs /run, netns files) goes too.
# Needs root and Debian packages docker.io (dockerd, CLI, containerd, runc,
# tini, iptables), iproute2, util-linux, curl; docker-registry and
# busybox-static for swarm_registry_up / swarm_busybox_image.
# Knobs (environment): SWARM_DOCKER (CLI), SWARM_DOCKERD, SWARM_NET_BASE,
# SWARM_START_TIMEOUT, SWARM_READY_TIMEOUT, SWARM_STOP_TIMEOUT,
# SWARM_KEEP_INGRESS=1 (keep the ingress network; its routing mesh needs IPVS,
# which this kernel lacks), SWARM_KEEP_LOGS=1 (keep WORKDIR/logs).

SWARM_DOCKERD=${SWARM_DOCKERD:-/usr/sbin/dockerd}
SWARM_NET_BASE=${SWARM_NET_BASE:-10.213}
SWARM_LOCK_DIR=${SWARM_LOCK_DIR:-/run/orsa-swarm-locks}   # root-only; removed when empty
SWARM_START_TIMEOUT=${SWARM_START_TIMEOUT:-60}
SWARM_READY_TIMEOUT=${SWARM_READY_TIMEOUT:-60}
SWARM_STOP_TIMEOUT=${SWARM_STOP_TIMEOUT:-15}
SWARM_CMD_TIMEOUT=${SWARM_CMD_TIMEOUT:-60}

# Debian's CLI (20.10) matches Debian's dockerd; a newer CLI in /usr/local/bin
# also works (it negotiates API 1.41) but formats and flags differ.
if [ -z "${SWARM_DOCKER:-}" ]; then
  if [ -x /usr/bin/docker ]; then SWARM_DOCKER=/usr/bin/docker
  else SWARM_DOCKER=$(command -v docker || echo docker); fi
fi

_swarm_log() { echo "swarm: $*" >&2; }
_swarm_err() { echo "swarm: ERROR: $*" >&2; }

# _swarm_wait TIMEOUT_S DESCRIPTION CMD... : poll CMD every 0.2 s, bounded in
# both tries and time (CMD must bound itself too); CMD exiting 99 stops at once.
_swarm_wait() {
  local timeout=$1 desc=$2; shift 2
  local start=$SECONDS tries=0 max=$(( timeout * 5 + 1 )) rc
  while (( tries < max )); do
    rc=0; "$@" >/dev/null 2>&1 || rc=$?
    (( rc == 0 )) && return 0
    (( rc == 99 )) && { _swarm_err "gave up (the process exited) waiting for: $desc"; return 1; }
    tries=$((tries + 1))
    (( SECONDS - start >= timeout )) && break
    sleep 0.2
  done
  _swarm_err "timed out after ${timeout}s ($tries tries) waiting for: $desc"
  return 1
}

swarm_wait() { _swarm_wait "$@"; }   # swarm_wait TIMEOUT_S DESCRIPTION CMD...

# State: every resource is recorded in $WORKDIR/swarm.state (sourceable) the
# moment it exists, so swarm_down can undo a partial swarm_up.
_swarm_set() {  # _swarm_set NAME VALUE
  printf -v "$1" '%s' "$2"
  [ -n "${_SWARM_STATE:-}" ] && printf "%s=%q\n" "$1" "$2" >>"$_SWARM_STATE"
  return 0
}

_swarm_dk() {  # _swarm_dk NODE ARGS... (bounded)
  local sock
  [ "$1" = 1 ] && sock=${_SWARM_WORKDIR}/n1/docker.sock || sock=${_SWARM_WORKDIR}/n2/docker.sock
  shift
  DOCKER_CONFIG=$_SWARM_WORKDIR/cli timeout "$SWARM_CMD_TIMEOUT" "$SWARM_DOCKER" -H "unix://$sock" "$@"
}
swarm_n1() { _swarm_dk 1 "$@"; }
swarm_n2() { _swarm_dk 2 "$@"; }

swarm_api() {  # swarm_api NODE METHOD PATH [JSON-BODY]
  local node=$1 method=$2 path=$3 body=${4:-}
  local -a args=(-sS --max-time 30 --unix-socket "$_SWARM_WORKDIR/n$node/docker.sock" -X "$method")
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data "$body")
  curl "${args[@]}" "http://docker/v1.41$path"
}

_swarm_ping() { curl -sf --max-time 2 --unix-socket "$1" http://docker/_ping >/dev/null; }

# A free /24 index, claimed by an atomic mkdir; a claim whose owner is gone
# is cleaned up (swarm_down of its state) and reused.
_swarm_claim_index() {
  local i lock owner start state
  # shellcheck disable=SC2174
  mkdir -p -m 700 "$SWARM_LOCK_DIR"
  if [ -z "$(find "$SWARM_LOCK_DIR" -maxdepth 0 -user 0 ! -perm /022 2>/dev/null)" ]; then
    _swarm_err "$SWARM_LOCK_DIR must be owned by root and not writable by others"; return 1
  fi
  for i in $(seq 0 254); do
    lock=$SWARM_LOCK_DIR/$i
    if [ -d "$lock" ]; then
      owner=$(cat "$lock/owner" 2>/dev/null || true)
      start=$(cat "$lock/owner_start" 2>/dev/null || true)
      if [ -n "$owner" ] && [ "$(_swarm_proc_start "$owner")" = "$start" ]; then continue; fi
      state=$(cat "$lock/state" 2>/dev/null || true)
      if [ -n "$state" ] && [ -f "$state" ]; then
        _swarm_log "cleaning up stale run in $(dirname "$state") (owner $owner is gone)"
        ( SWARM_KEEP_LOGS=0; swarm_down "$(dirname "$state")"; rmdir "$(dirname "$state")" 2>/dev/null ) || true
      fi
      rm -rf "$lock" 2>/dev/null || true
      [ -d "$lock" ] && continue
    fi
    # an address in use on this host (someone else's) makes the index unusable
    if ip -4 -o addr show | grep -q " $SWARM_NET_BASE\.$i\." ||
       [ -n "$(ip -4 route show root "$SWARM_NET_BASE.$i.0/24" 2>/dev/null)" ]; then continue; fi
    # shellcheck disable=SC2174  # (a swarm_down may have removed it meanwhile)
    mkdir -p -m 700 "$SWARM_LOCK_DIR" 2>/dev/null
    if mkdir "$lock" 2>/dev/null; then
      echo "$$" >"$lock/owner"
      _swarm_proc_start "$$" >"$lock/owner_start"
      echo "$_SWARM_STATE" >"$lock/state"
      _swarm_set _SWARM_LOCK "$lock"
      _swarm_set _SWARM_IDX "$i"
      return 0
    fi
  done
  _swarm_err "no free index under $SWARM_NET_BASE.0.0/16 (locks in $SWARM_LOCK_DIR)"
  return 1
}
_swarm_proc_start() { awk '{print $22}' "/proc/$1/stat" 2>/dev/null || true; }

# The inner program of each node: runs as pid 1 of a new pid namespace, in a new
# mount namespace (private propagation) and uts namespace.
# shellcheck disable=SC2016
_SWARM_NODE_SH='set -e
hostname "$ORSA_SWARM_HOSTNAME"
if [ "$ORSA_SWARM_REMOUNT_SYS" = 1 ]; then
  # sysfs must be the one of this network namespace (bridges, veths under
  # /sys/class/net); mounting it hides /sys/fs/cgroup, so replay the cgroup
  # mounts (same hierarchies as the host) on top of it.
  cg=$(awk '\''($3=="tmpfs"||$3=="cgroup"||$3=="cgroup2") && ($2=="/sys/fs/cgroup" || index($2,"/sys/fs/cgroup/")==1) {print $3" "$2" "$4}'\'' /proc/self/mounts)
  mount -t sysfs -o rw,nosuid,nodev,noexec sysfs /sys
  printf "%s\n" "$cg" | while read -r t mp o; do
    [ -n "$t" ] || continue
    mkdir -p "$mp" 2>/dev/null || true
    mount -t "$t" -o "$o" "$t" "$mp"
  done
fi
# dockerd and containerd use fixed paths under /run (/run/docker/plugins,
# /run/containerd/s for shim sockets, /run/xtables.lock): a private tmpfs keeps
# them off the host and away from a system containerd.
mount -t tmpfs -o mode=755,size=64m orsa-swarm-run /run
exec /usr/bin/tini -- "$@"'

_swarm_start_node() {  # _swarm_start_node 1|2
  local n=$1
  local dir=$_SWARM_WORKDIR/n$n net=$SWARM_NET_BASE.$_SWARM_IDX addr
  local -a pre=() flags
  mkdir -p "$dir" "$_SWARM_WORKDIR/logs"
  if [ "$n" = 1 ]; then addr=$SWARM_N1_ADDR; else addr=$SWARM_N2_ADDR; fi
  printf '{ "deprecated-key-path": "%s" }\n' "$dir/key.json" >"$dir/daemon.json"
  flags=(--config-file "$dir/daemon.json" --data-root "$dir/data" --exec-root "$dir/exec"
    --pidfile "$dir/dockerd.pid" -H "unix://$dir/docker.sock"
    --cgroup-parent "/$_SWARM_RUN-n$n" --insecure-registry "$net.0/24"
    --ip "$addr" --shutdown-timeout 2 --log-level "${SWARM_LOG_LEVEL:-info}")
  if [ "$n" = 1 ]; then
    flags+=(--bridge "$_SWARM_BR1" --iptables=false --ip-forward=false --ip-masq=false
      --default-address-pool "base=$net.192/28,size=29")
  else
    flags+=(--bip "$net.129/27" --default-address-pool "base=$net.208/28,size=29")
    pre=(nsenter "--net=/run/netns/$_SWARM_NETNS")
  fi
  ORSA_SWARM_HOSTNAME="$_SWARM_RUN-n$n" ORSA_SWARM_REMOUNT_SYS=$(( n == 2 )) \
    "${pre[@]}" unshare --mount --uts --pid --fork --kill-child --mount-proc --propagation private \
    sh -c "$_SWARM_NODE_SH" "orsa-swarm-$_SWARM_RUN-n$n" "$SWARM_DOCKERD" "${flags[@]}" \
    </dev/null >"$_SWARM_WORKDIR/logs/dockerd-n$n.log" 2>&1 &
  _swarm_set "_SWARM_N${n}_PID" "$!"
}

# _swarm_is_ours PID MARKER: PID is alive and its command line carries MARKER
_swarm_is_ours() {
  [ -n "$1" ] && [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$2"
}

swarm_up() {
  local workdir=${1:?usage: swarm_up WORKDIR} t0=$SECONDS
  if [ -n "${_SWARM_WORKDIR:-}" ] && [ -f "$_SWARM_WORKDIR/swarm.state" ]; then
    _swarm_err "a swarm is already up in $_SWARM_WORKDIR (call swarm_down first)"; return 1
  fi
  [ "$(id -u)" = 0 ] || { _swarm_err "needs root"; return 1; }
  local c
  for c in "$SWARM_DOCKERD" "$SWARM_DOCKER" ip nsenter unshare /usr/bin/tini curl timeout; do
    command -v "$c" >/dev/null 2>&1 || { _swarm_err "missing command: $c (apt-get install docker.io)"; return 1; }
  done
  mkdir -p "$workdir" && workdir=$(cd "$workdir" && pwd -P)
  case $workdir in /run|/run/*|/var/run|/var/run/*)
    _swarm_err "WORKDIR must not be under /run (each node mounts a private /run)"; return 1 ;; esac
  # unix socket paths are limited to 107 bytes; containerd's is the longest
  if (( ${#workdir} + 40 > 107 )); then _swarm_err "WORKDIR path too long: $workdir"; return 1; fi
  if [ -e "$workdir/swarm.state" ]; then
    _swarm_err "$workdir/swarm.state exists: a swarm is up there (swarm_down $workdir)"; return 1
  fi

  _SWARM_WORKDIR=$workdir
  _SWARM_STATE=$workdir/swarm.state
  : >"$_SWARM_STATE"
  _swarm_set _SWARM_WORKDIR "$workdir"
  _swarm_set _SWARM_RUN "orsa-t$$"
  _swarm_claim_index || return 1
  local net=$SWARM_NET_BASE.$_SWARM_IDX
  _swarm_set SWARM_N1_ADDR "$net.1"
  _swarm_set SWARM_N2_ADDR "$net.2"
  _swarm_set _SWARM_NETNS "$_SWARM_RUN-n2"
  _swarm_set _SWARM_VETH_H "orsa$$h"
  _swarm_set _SWARM_VETH_N "orsa$$n"
  _swarm_set _SWARM_BR1 "orsa$$b"
  _swarm_set _SWARM_GW1 "orsa$$g"
  _swarm_set _SWARM_DATA_PORT "$((4800 + _SWARM_IDX))"
  iptables -S >"$workdir/iptables-filter.before" 2>/dev/null || true
  iptables -t nat -S >"$workdir/iptables-nat.before" 2>/dev/null || true

  local l
  for l in "$_SWARM_VETH_H" "$_SWARM_BR1" "$_SWARM_GW1"; do
    if ip link show "$l" >/dev/null 2>&1; then _swarm_err "interface $l exists already"; return 1; fi
  done
  if [ -e "/run/netns/$_SWARM_NETNS" ]; then _swarm_err "netns $_SWARM_NETNS exists already"; return 1; fi

  # /run/netns is made a (shared) mount point by the first `ip netns add`.
  # If a fixture run did that, markers in SWARM_LOCK_DIR say so, and the last
  # swarm_down to leave it empty (this run's or a concurrent one's) undoes it.
  if ! mountpoint -q /run/netns 2>/dev/null; then
    [ -d /run/netns ] || : >"$SWARM_LOCK_DIR/netns-dir-created"
    : >"$SWARM_LOCK_DIR/netns-dir-mounted"
  fi
  ip netns add "$_SWARM_NETNS" || { _swarm_err "ip netns add $_SWARM_NETNS failed"; return 1; }
  _swarm_set _SWARM_NETNS_ADDED 1
  ip link add "$_SWARM_VETH_H" type veth peer name "$_SWARM_VETH_N" netns "$_SWARM_NETNS" ||
    { _swarm_err "veth pair failed"; return 1; }
  _swarm_set _SWARM_VETH_ADDED 1
  ip addr add "$SWARM_N1_ADDR/30" dev "$_SWARM_VETH_H" &&
    ip link set "$_SWARM_VETH_H" up &&
    ip -n "$_SWARM_NETNS" addr add "$SWARM_N2_ADDR/30" dev "$_SWARM_VETH_N" &&
    ip -n "$_SWARM_NETNS" link set "$_SWARM_VETH_N" up &&
    ip -n "$_SWARM_NETNS" link set lo up || { _swarm_err "addressing the veth pair failed"; return 1; }
  ip link add "$_SWARM_BR1" type bridge || { _swarm_err "bridge $_SWARM_BR1 failed"; return 1; }
  _swarm_set _SWARM_BR1_ADDED 1
  ip addr add "$net.65/27" dev "$_SWARM_BR1" && ip link set "$_SWARM_BR1" up ||
    { _swarm_err "addressing bridge $_SWARM_BR1 failed"; return 1; }

  mkdir -p "$workdir/cli"
  _swarm_start_node 1
  _swarm_start_node 2
  local n
  for n in 1 2; do
    _swarm_wait "$SWARM_START_TIMEOUT" "dockerd of node $n answering on $workdir/n$n/docker.sock" \
      _swarm_ping_alive "$n" || { _swarm_tail_log "$n"; return 1; }
  done
  export SWARM_N1_SOCK=$workdir/n1/docker.sock SWARM_N2_SOCK=$workdir/n2/docker.sock
  export SWARM_N1_ADDR SWARM_N2_ADDR SWARM_DOCKER

  # docker_gwbridge carries host-mode published ports of tasks on overlay
  # networks; made before init/join so its name, subnet and binding address
  # are ours instead of docker's defaults.
  swarm_n1 network create --driver bridge --subnet "$net.96/27" \
    --opt com.docker.network.bridge.name="$_SWARM_GW1" \
    --opt com.docker.network.bridge.enable_icc=false \
    --opt com.docker.network.bridge.enable_ip_masquerade=false \
    --opt com.docker.network.bridge.host_binding_ipv4="$SWARM_N1_ADDR" docker_gwbridge >/dev/null ||
    { _swarm_err "creating docker_gwbridge on node 1 failed"; return 1; }
  swarm_n2 network create --driver bridge --subnet "$net.160/27" \
    --opt com.docker.network.bridge.name=docker_gwbridge \
    --opt com.docker.network.bridge.enable_icc=false \
    --opt com.docker.network.bridge.host_binding_ipv4="$SWARM_N2_ADDR" docker_gwbridge >/dev/null ||
    { _swarm_err "creating docker_gwbridge on node 2 failed"; return 1; }

  swarm_n1 swarm init --advertise-addr "$SWARM_N1_ADDR" --listen-addr "$SWARM_N1_ADDR:2377" \
    --data-path-port "$_SWARM_DATA_PORT" ${SWARM_INIT_ARGS:-} >/dev/null ||  # word-split on purpose
    { _swarm_err "swarm init on node 1 failed"; _swarm_tail_log 1; return 1; }
  if [ "${SWARM_KEEP_INGRESS:-0}" != 1 ]; then
    # same as `docker network rm ingress` without its confirmation prompt
    swarm_api 1 DELETE /networks/ingress >/dev/null || _swarm_log "could not remove the ingress network"
  fi
  local token
  token=$(swarm_n1 swarm join-token -q worker) || { _swarm_err "no join token"; return 1; }
  swarm_n2 swarm join --token "$token" --advertise-addr "$SWARM_N2_ADDR" \
    --listen-addr "$SWARM_N2_ADDR:2377" "$SWARM_N1_ADDR:2377" >/dev/null ||
    { _swarm_err "node 2 could not join $SWARM_N1_ADDR:2377"; _swarm_tail_log 2; return 1; }

  _swarm_wait "$SWARM_READY_TIMEOUT" "both nodes Ready (docker node ls on node 1)" _swarm_both_ready || {
    swarm_n1 node ls >&2 || true; return 1; }
  export SWARM_N1_ID SWARM_N2_ID
  SWARM_N1_ID=$(swarm_n1 info --format '{{.Swarm.NodeID}}')
  SWARM_N2_ID=$(swarm_n2 info --format '{{.Swarm.NodeID}}')
  _swarm_log "up in $((SECONDS - t0))s: node 1 $SWARM_N1_ADDR ($SWARM_N1_ID), node 2 $SWARM_N2_ADDR ($SWARM_N2_ID)"
}

_swarm_ping_alive() {  # the node's process is alive and its socket answers
  local n=$1 pid
  pid=$(eval echo "\${_SWARM_N${n}_PID:-}")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || { _swarm_err "dockerd of node $n exited"; return 99; }
  _swarm_ping "$_SWARM_WORKDIR/n$n/docker.sock"
}

_swarm_both_ready() {
  local out
  out=$(swarm_n1 node ls --format '{{.Status}} {{.Availability}}') || return 1
  [ "$(grep -c '^Ready Active$' <<<"$out")" = 2 ]
}

_swarm_tail_log() {
  local f=$_SWARM_WORKDIR/logs/dockerd-n$1.log
  [ -f "$f" ] && { echo "---- last lines of $f" >&2; tail -n 15 "$f" >&2; }
  return 0
}

# swarm_registry_up: a CNCF registry (Debian docker-registry) on SWARM_N1_ADDR;
# node 2 reaches it over the veth. Sets SWARM_REGISTRY=ADDR:PORT.
swarm_registry_up() {
  local dir=$_SWARM_WORKDIR/registry port=""
  [ -n "${SWARM_N1_ADDR:-}" ] || { _swarm_err "swarm_registry_up needs swarm_up first"; return 1; }
  command -v docker-registry >/dev/null || { _swarm_err "missing docker-registry (apt-get install docker-registry)"; return 1; }
  mkdir -p "$dir/data"
  cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: $SWARM_N1_ADDR:0
EOF
  docker-registry serve "$dir/config.yml" </dev/null >"$_SWARM_WORKDIR/logs/registry.log" 2>&1 &
  _swarm_set _SWARM_REGISTRY_PID "$!"
  local i
  for i in $(seq 1 100); do
    port=$(sed -n "s/.*listening on $SWARM_N1_ADDR:\([0-9][0-9]*\).*/\1/p" "$_SWARM_WORKDIR/logs/registry.log" | head -n1)
    [ -n "$port" ] && break
    kill -0 "$_SWARM_REGISTRY_PID" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$port" ] || { _swarm_err "registry did not start"; tail -n 5 "$_SWARM_WORKDIR/logs/registry.log" >&2; return 1; }
  export SWARM_REGISTRY=$SWARM_N1_ADDR:$port
  _swarm_wait 10 "registry /v2/ on $SWARM_REGISTRY" curl -sf --max-time 2 "http://$SWARM_REGISTRY/v2/"
}

# swarm_busybox_image [NAME:TAG]: a tiny image without internet (Debian's
# static /bin/busybox plus a link per applet, `docker import`ed on node 1) pushed to
# SWARM_REGISTRY, so node 2 pulls it over the veth. Sets SWARM_BUSYBOX_IMAGE.
swarm_busybox_image() {
  local name=${1:-orsa-busybox:1} rootfs=$_SWARM_WORKDIR/rootfs
  [ -n "${SWARM_REGISTRY:-}" ] || swarm_registry_up || return 1
  [ -x /bin/busybox ] || { _swarm_err "no /bin/busybox (apt-get install busybox-static)"; return 1; }
  rm -rf "$rootfs"; mkdir -p "$rootfs/bin" "$rootfs/www" "$rootfs/tmp"
  cp /bin/busybox "$rootfs/bin/busybox"
  chroot "$rootfs" /bin/busybox --install -s /bin || { _swarm_err "busybox --install failed"; return 1; }
  tar --numeric-owner --owner=0 --group=0 -C "$rootfs" -cf "$rootfs.tar" . &&
    swarm_n1 import -c 'CMD ["/bin/sh"]' "$rootfs.tar" "$SWARM_REGISTRY/$name" >/dev/null &&
    swarm_n1 push "$SWARM_REGISTRY/$name" >/dev/null || { _swarm_err "building or pushing $name failed"; return 1; }
  rm -rf "$rootfs" "$rootfs.tar"
  export SWARM_BUSYBOX_IMAGE=$SWARM_REGISTRY/$name
}

# swarm_kill_node N: node N dies at once (SIGKILL to its pid namespace's
# init: dockerd, containerd and its containers go with it; its addresses
# stay, so calls to it are refused). swarm_down still cleans up after it.
swarm_kill_node() {
  local n=${1:?usage: swarm_kill_node 1|2} upid init
  upid=$(eval echo "\${_SWARM_N${n}_PID:-}")
  _swarm_is_ours "$upid" "orsa-swarm-$_SWARM_RUN-n$n" || { _swarm_err "node $n is not running"; return 1; }
  init=$(awk '{print $1}' "/proc/$upid/task/$upid/children" 2>/dev/null)
  kill -KILL "${init:-$upid}" 2>/dev/null || true
  _swarm_wait 30 "node $n gone" sh -c "! kill -0 ${init:-$upid} 2>/dev/null"
}

# _swarm_stop_nodes: TERM the pid-namespace init (tini, which forwards it to
# dockerd) of each node still running, together; KILL what is left after
# SWARM_STOP_TIMEOUT (killing the init kills its whole pid namespace).
_swarm_stop_nodes() {
  local n upid init i
  local -a upids=() inits=()
  for n in 1 2; do
    upid=$(eval echo "\${_SWARM_N${n}_PID:-}")
    _swarm_is_ours "$upid" "orsa-swarm-$_SWARM_RUN-n$n" || continue
    init=$(awk '{print $1}' "/proc/$upid/task/$upid/children" 2>/dev/null)
    upids+=("$upid"); inits+=("${init:-}")
    kill -TERM "${init:-$upid}" 2>/dev/null || true
  done
  (( ${#upids[@]} )) || return 0
  _swarm_any_alive() { local p; for p in "$@"; do kill -0 "$p" 2>/dev/null && return 0; done; return 1; }
  for i in $(seq 1 $(( SWARM_STOP_TIMEOUT * 5 ))); do
    _swarm_any_alive "${upids[@]}" || break
    sleep 0.2
  done
  if _swarm_any_alive "${upids[@]}"; then
    _swarm_log "dockerd did not stop within ${SWARM_STOP_TIMEOUT}s: KILL"
    for i in "${!upids[@]}"; do
      [ -n "${inits[$i]}" ] && kill -KILL "${inits[$i]}" 2>/dev/null
    done
    for i in $(seq 1 25); do _swarm_any_alive "${upids[@]}" || break; sleep 0.2; done
    # unshare --kill-child: killing unshare SIGKILLs the namespace init too
    for upid in "${upids[@]}"; do kill -KILL "$upid" 2>/dev/null || true; done
    for i in $(seq 1 25); do _swarm_any_alive "${upids[@]}" || break; sleep 0.2; done
  fi
  for upid in "${upids[@]}"; do wait "$upid" 2>/dev/null || true; done
  return 0
}

swarm_down() {
  # runs from EXIT traps of `set -euo pipefail` scripts: never abort half-way
  local opts=$- rc=0
  set +eu
  _swarm_down "$@" || rc=$?
  [[ $opts == *u* ]] && set -u
  [[ $opts == *e* ]] && set -e
  return "$rc"
}

_swarm_down() {
  local workdir=${1:-${_SWARM_WORKDIR:-}}
  [ -n "$workdir" ] || return 0
  local state=$workdir/swarm.state
  if [ -f "$state" ]; then
    # it is sourced as root: only if root wrote it and nobody else can
    if [ -z "$(find "$state" -maxdepth 0 -user 0 ! -perm /022 2>/dev/null)" ]; then
      _swarm_err "not reading $state: not owned by root or writable by others"; return 1
    fi
    # shellcheck disable=SC1090
    . "$state"
  elif [ "$workdir" != "${_SWARM_WORKDIR:-}" ]; then
    return 0
  fi
  [ -n "${_SWARM_RUN:-}" ] || { rm -f "$state"; return 0; }
  local t0=$SECONDS n
  _SWARM_STATE=""   # no more appends

  if [ -n "${_SWARM_REGISTRY_PID:-}" ] && _swarm_is_ours "$_SWARM_REGISTRY_PID" "$workdir/registry"; then
    kill -TERM "$_SWARM_REGISTRY_PID" 2>/dev/null || true
    for n in $(seq 1 20); do kill -0 "$_SWARM_REGISTRY_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$_SWARM_REGISTRY_PID" 2>/dev/null || true
    wait "$_SWARM_REGISTRY_PID" 2>/dev/null || true
  fi

  # Bridges of networks created on node 1 (host netns) by tests: remember
  # their names while the daemon can still tell.
  local -a extra_links=()
  if [ -n "${_SWARM_N1_PID:-}" ] && _swarm_ping "$workdir/n1/docker.sock" 2>/dev/null; then
    local id bn ids
    ids=$(SWARM_CMD_TIMEOUT=5 _swarm_dk 1 network ls -q --filter driver=bridge --no-trunc 2>/dev/null || true)
    # shellcheck disable=SC2086
    [ -z "$ids" ] || while read -r id bn; do
      [ -n "$id" ] || continue
      [ -z "$bn" ] || [ "$bn" = "<no value>" ] && bn=br-${id:0:12}
      extra_links+=("$bn")
    done < <(SWARM_CMD_TIMEOUT=5 _swarm_dk 1 network inspect \
               -f '{{.Id}} {{index .Options "com.docker.network.bridge.name"}}' $ids 2>/dev/null || true)
  fi
  # remove services (no task restarts while stopping), then kill containers,
  # so the daemons' shutdown does not wait out stop grace periods
  if [ -n "${_SWARM_N1_PID:-}" ] && _swarm_ping "$workdir/n1/docker.sock" 2>/dev/null; then
    for id in $(curl -s --max-time 5 --unix-socket "$workdir/n1/docker.sock" http://docker/v1.41/services |
                grep -o '"ID":"[0-9a-z]*","Version"' | cut -d'"' -f4); do
      curl -s --max-time 5 --unix-socket "$workdir/n1/docker.sock" -X DELETE "http://docker/v1.41/services/$id" >/dev/null || true
    done
  fi
  local -a killers=()
  for n in 1 2; do
    [ -n "$(eval echo "\${_SWARM_N${n}_PID:-}")" ] && _swarm_ping "$workdir/n$n/docker.sock" 2>/dev/null || continue
    (
      sock=$workdir/n$n/docker.sock
      for id in $(curl -s --max-time 5 --unix-socket "$sock" http://docker/v1.41/containers/json |
                  grep -o '"Id":"[0-9a-f]*"' | cut -d'"' -f4); do
        curl -s --max-time 5 --unix-socket "$sock" -X POST "http://docker/v1.41/containers/$id/kill" >/dev/null || true
      done
    ) &
    killers+=("$!")
  done
  for n in "${killers[@]}"; do wait "$n" 2>/dev/null || true; done   # each call bounded by --max-time
  _swarm_stop_nodes

  # network namespace of node 2 (its veth end, docker0, docker_gwbridge and
  # iptables rules go with it), then the host side
  if [ "${_SWARM_NETNS_ADDED:-}" = 1 ] && [ -e "/run/netns/$_SWARM_NETNS" ]; then
    ip netns del "$_SWARM_NETNS" 2>/dev/null || _swarm_log "ip netns del $_SWARM_NETNS failed"
  fi
  local l
  for l in "${extra_links[@]}" "${_SWARM_GW1:-}" "${_SWARM_BR1:-}"; do
    [ -n "$l" ] && ip link show "$l" >/dev/null 2>&1 || continue
    # veths still enslaved to our bridges (their containers are dead)
    local v
    for v in $(ip -o link show master "$l" 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1); do
      ip link del "$v" 2>/dev/null || true
    done
    case $l in "${_SWARM_GW1:-}"|"${_SWARM_BR1:-}"|br-*) ip link del "$l" 2>/dev/null || _swarm_log "ip link del $l failed" ;; esac
  done
  if [ -n "${_SWARM_VETH_H:-}" ] && ip link show "$_SWARM_VETH_H" >/dev/null 2>&1; then
    ip link del "$_SWARM_VETH_H" 2>/dev/null || true
  fi
  # Node 1 runs with --iptables=false: it adds nothing to the host's tables.
  # Remove any rule naming our interfaces all the same; report DOCKER chains
  # that appeared meanwhile (not ours to delete: another daemon's).
  local t rule names=""
  for l in "${_SWARM_BR1:-}" "${_SWARM_GW1:-}" "${_SWARM_VETH_H:-}"; do
    [ -n "$l" ] && names+="${names:+|}$l"
  done
  for t in filter nat; do
    [ -n "$names" ] && while read -r rule; do
      [ -n "$rule" ] || continue
      # shellcheck disable=SC2086
      iptables -t "$t" ${rule/#-A/-D} 2>/dev/null || true
    done < <(iptables -t "$t" -S 2>/dev/null | grep -E -- "^-A .* ($names)( |$)" || true)
    if [ -f "$workdir/iptables-$t.before" ]; then
      local new
      new=$(iptables -t "$t" -S 2>/dev/null | grep -E '^-N DOCKER' | grep -vxF -f "$workdir/iptables-$t.before" || true)
      [ -z "$new" ] || _swarm_log "note: table $t has new DOCKER chains not made by this fixture: $(echo $new)"
    fi
  done

  # cgroups of the containers (v1 hierarchies are shared with the host)
  local cg
  for n in 1 2; do
    for cg in /sys/fs/cgroup/*/"$_SWARM_RUN-n$n" /sys/fs/cgroup/"$_SWARM_RUN-n$n"; do
      [ -d "$cg" ] && find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null
    done
  done
  if [ -f "$SWARM_LOCK_DIR/netns-dir-mounted" ] && [ -z "$(ls -A /run/netns 2>/dev/null)" ]; then
    if mountpoint -q /run/netns 2>/dev/null; then umount /run/netns 2>/dev/null || true; fi
    if ! mountpoint -q /run/netns 2>/dev/null; then
      [ -f "$SWARM_LOCK_DIR/netns-dir-created" ] && rmdir /run/netns 2>/dev/null
      rm -f "$SWARM_LOCK_DIR/netns-dir-mounted" "$SWARM_LOCK_DIR/netns-dir-created"
    fi
  fi

  # data roots; the overlay mounts were in the nodes' own mount namespaces
  local leftovers
  leftovers=$(awk -v w="$workdir/" 'index($2, w) == 1' /proc/self/mounts)
  if [ -n "$leftovers" ]; then
    _swarm_log "unmounting leftovers under $workdir"
    awk -v w="$workdir/" 'index($2, w) == 1 {print $2}' /proc/self/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  fi
  rm -rf "$workdir/n1" "$workdir/n2" "$workdir/registry" "$workdir/cli" "$workdir/rootfs" "$workdir/rootfs.tar" \
    "$workdir"/iptables-*.before 2>/dev/null || true
  [ "${SWARM_KEEP_LOGS:-0}" = 1 ] || rm -rf "$workdir/logs"
  [ -n "${_SWARM_LOCK:-}" ] && rm -rf "$_SWARM_LOCK"
  rmdir "$SWARM_LOCK_DIR" 2>/dev/null || true
  rm -f "$state"
  _swarm_log "down in $((SECONDS - t0))s ($_SWARM_RUN)"
  unset _SWARM_N1_PID _SWARM_N2_PID _SWARM_REGISTRY_PID _SWARM_NETNS_ADDED _SWARM_VETH_ADDED \
    _SWARM_BR1_ADDED _SWARM_LOCK _SWARM_RUN
  return 0
}
