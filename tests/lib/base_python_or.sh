#!/usr/bin/env bash
# The python-or base image, built once (mmdebstrap, about a minute) and kept
# as an OCI layout that tests load into their own deployer's registry with
# `import_base_python_or` (a copy, seconds) instead of building it again.
#   base_python_or.sh DEPLOYER BUILDER SOURCE_DIR OUT_DIR    (the ctest fixture)
# The layout is rebuilt only when the recipe changes (OUT_DIR/recipe.sha256).

# Sourced: pushes the kept base into the deployer at $URL as the admin.
import_base_python_or() {  # out_dir
  skopeo copy -q --dest-tls-verify=false --dest-creds "admin:$ORSA_ADMIN_PASSWORD" \
    "oci:$1/layout:latest" "docker://$HOSTPORT/orsa/base-python-or:latest"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  DEPLOYER=$1 BUILDER=$2 SRC=$3 OUT=$4
  here=$(cd "$(dirname "$0")" && pwd)
  . "$here/deployer.sh"
  recipe=$(sha256sum "$SRC/templates/bases/python-or/recipe.toml" | cut -d' ' -f1)
  if [ -f "$OUT/recipe.sha256" ] && [ "$(cat "$OUT/recipe.sha256")" = "$recipe" ]; then
    echo "base python-or kept in $OUT (recipe $recipe)"
    exit 0
  fi
  work=$(mktemp -d /tmp/orsa-base-XXXXXX)
  trap 'stop_deployer; rm -rf "$work"' EXIT
  export ORSA_ADMIN_PASSWORD=admin-password-for-base
  start_deployer "$DEPLOYER" "$work" --no-runtime
  started=$(date +%s)
  ORSA_REGISTRY_USERNAME=admin ORSA_REGISTRY_PASSWORD=$ORSA_ADMIN_PASSWORD \
    "$BUILDER" base build python-or --bases-dir "$SRC/templates/bases" --registry "$URL" \
    --work-dir "$work" >"$work/base.out" || { cat "$work/base.out"; exit 1; }
  rm -rf "$OUT"
  mkdir -p "$OUT"
  skopeo copy -q --src-tls-verify=false --src-creds "admin:$ORSA_ADMIN_PASSWORD" \
    "docker://$HOSTPORT/orsa/base-python-or:latest" "oci:$OUT/layout:latest"
  echo "$recipe" >"$OUT/recipe.sha256"
  echo "base python-or built in $(($(date +%s) - started)) s, kept in $OUT"
fi
