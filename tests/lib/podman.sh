# Sourced by shell tests: a private podman (own store, runc, loopback
# registry marked insecure) under $1, as ENVIRONMENT.md describes.
# Defines `pod` (podman with the private store).
podman_setup() {
  local dir=$1 registry=$2
  mkdir -p "$dir/root" "$dir/runroot"
  cat >"$dir/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
  cat >"$dir/registries.conf" <<CONF
[[registry]]
location = "$registry"
insecure = true
CONF
  export CONTAINERS_CONF="$dir/containers.conf"
  export CONTAINERS_REGISTRIES_CONF="$dir/registries.conf"
  PODMAN_DIR=$dir
}

pod() {
  podman --root "$PODMAN_DIR/root" --runroot "$PODMAN_DIR/runroot" --storage-driver vfs "$@"
}

# An executable $1/podman running podman on the private store podman_setup
# made in $1, for programs that take a podman command (the Kubernetes
# stand-in's --podman); it carries its configuration, not the caller's env.
podman_wrapper() {  # dir
  cat >"$1/podman" <<SH
#!/bin/sh
CONTAINERS_CONF=$1/containers.conf CONTAINERS_REGISTRIES_CONF=$1/registries.conf \\
  exec podman --root $1/root --runroot $1/runroot --storage-driver vfs "\$@"
SH
  chmod +x "$1/podman"
}
