#!/usr/bin/env bash
# `make images`: ORSA's own images, built by its own daemonless builder
# (`orsa-builder image build`) from the recipes in deploy/images/, written as
# archives under build/images/ and loaded into podman (or docker).
#   scripts/images.sh [--bin-dir DIR] [--out DIR] [--load podman|docker|none]
#                     [--env FILE] [NAME...]
# NAMEs: orsa-deployer orsa-builder postgres nginx (default: all four).
# --env FILE: write the compose application's settings there (from
# deploy/env.example, with a generated database password) unless it exists.
# Needs root (mmdebstrap). The same commit gives the same digests: the
# version, the timestamps (the commit's time) and every layer are derived
# from the tree and the Debian mirror's state, not from the build machine.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin_dir=$root/build/release/apps
out=$root/build/images
load=podman
env_file=
names=()
while [ $# -gt 0 ]; do
  case $1 in
    --bin-dir) bin_dir=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --load) load=$2; shift 2 ;;
    --env) env_file=$2; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    -*) echo "images.sh: unknown option $1" >&2; exit 2 ;;
    *) names+=("$1"); shift ;;
  esac
done
[ ${#names[@]} -gt 0 ] || names=(orsa-deployer orsa-builder postgres nginx)
case $load in podman|docker|none) ;; *) echo "images.sh: --load podman|docker|none" >&2; exit 2 ;; esac
[ "$(id -u)" = 0 ] || { echo "images.sh: run as root (mmdebstrap builds the root filesystems)" >&2; exit 2; }

builder=$bin_dir/orsa-builder/orsa-builder
[ -x "$builder" ] || { echo "images.sh: no $builder (make build PRESET=release)" >&2; exit 2; }
version=$(git -C "$root" describe --tags --always --dirty 2>/dev/null || echo dev)
revision=$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)
epoch=$(git -C "$root" log -1 --format=%ct 2>/dev/null || echo 1704067200)
mkdir -p "$out"
work=$(mktemp -d /tmp/orsa-images-XXXXXX)
trap 'rm -rf "$work"' EXIT

# What each image gets on top of its Debian packages, laid out as in /.
stage() {  # name dir
  local name=$1 dir=$2
  case $name in
    orsa-deployer)
      install -D -m 755 "$bin_dir/orsa-deployer/orsa-deployer" "$dir/usr/bin/orsa-deployer"
      install -D -m 755 "$builder" "$dir/usr/bin/orsa-builder"
      [ -f "$root/web/dist/index.html" ] || "$root/scripts/web.sh" build >&2
      mkdir -p "$dir/usr/share/orsa"
      cp -r "$root/web/dist" "$dir/usr/share/orsa/web" ;;
    orsa-builder)
      install -D -m 755 "$builder" "$dir/usr/bin/orsa-builder"
      mkdir -p "$dir/usr/share/orsa"
      mkdir -p "$dir/usr/share/orsa/templates"
      cp -r "$root/templates/bases" "$dir/usr/share/orsa/templates/bases" ;;
    postgres)
      install -D -m 755 "$root/deploy/images/postgres/orsa-postgres-entrypoint" \
        "$dir/usr/local/bin/orsa-postgres-entrypoint" ;;
    nginx)
      install -D -m 755 "$root/deploy/images/nginx/orsa-nginx-entrypoint" \
        "$dir/usr/local/bin/orsa-nginx-entrypoint"
      install -D -m 644 "$root/deploy/images/nginx/nginx.conf.in" "$dir/usr/share/orsa/nginx.conf.in"
      mkdir -p "$dir/etc/orsa-tls" ;;
    *) echo "images.sh: no image '$name' (deploy/images/$name.toml)" >&2; exit 2 ;;
  esac
}

# The binaries must start in their image: a missing library fails here, not
# at the user's first `up`.
smoke() {  # name reference
  case $1 in
    orsa-deployer) "$load" run --rm --entrypoint /usr/bin/orsa-builder "$2" --help >/dev/null
                   "$load" run --rm "$2" --help >/dev/null ;;
    orsa-builder) "$load" run --rm "$2" --help >/dev/null ;;
  esac
}

for name in "${names[@]}"; do
  files=$work/$name
  mkdir -p "$files"
  stage "$name" "$files"
  line=$("$builder" image build "$root/deploy/images/$name.toml" --files "$files" \
    --tag "$version" --label "org.opencontainers.image.revision=$revision" \
    --epoch "$epoch" --work-dir "$work" --out "$out/$name.tar" | tail -n 1)
  reference=$(jq -r .reference <<<"$line")
  printf '%-14s %s %s\n' "$name" "$(jq -r .digest <<<"$line")" "$out/$name.tar"
  if [ "$load" != none ]; then
    "$load" load -q -i "$out/$name.tar" >/dev/null
    "$load" tag "$reference" "${reference%:*}:latest"
    smoke "$name" "$reference"
  fi
done

if [ -n "$env_file" ] && [ ! -e "$env_file" ]; then
  password=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  (umask 077; sed "s/^ORSA_DB_PASSWORD=.*/ORSA_DB_PASSWORD=$password/" \
    "$root/deploy/env.example" >"$env_file")
  echo "wrote $env_file (a generated database password; review the other settings)"
fi
