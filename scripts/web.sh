#!/usr/bin/env bash
# The web app's entry points for make and ctest. Installs node_modules with
# `npm ci` only when they are missing or package-lock.json changed since the
# last install, so repeated calls cost nothing.
#   scripts/web.sh deps                       npm ci when needed
#   scripts/web.sh build                      deps + tsc -b && vite build (→ web/dist)
#   scripts/web.sh unit                       deps + API types up to date + prettier check
#                                             + ESLint + vitest run
#   scripts/web.sh e2e DEPLOYER_BIN BUILDER_BIN   deps + build + the browser journey
#   scripts/web.sh e2e-oidc DEPLOYER_BIN      deps + build + sign-in with a real OpenID
#                                             provider (no containers)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
web="$root/web"
caller=$PWD
cd "$web"

# A path given relative to where web.sh was called from, made absolute.
from_caller() {
  case $1 in
    /*) printf '%s\n' "$1" ;;
    *) printf '%s\n' "$caller/$1" ;;
  esac
}

need_node() {
  command -v node >/dev/null && command -v npm >/dev/null ||
    { echo "web.sh: node and npm are missing: run scripts/install-deps.sh" >&2; exit 1; }
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$major" -ge 20 ] ||
    { echo "web.sh: Node $(node --version) is too old; Vite 7 needs Node 20.19+ (see scripts/install-deps.sh)" >&2; exit 1; }
}

deps() {
  need_node
  local stamp=node_modules/.orsa-lock.sha256 sum
  sum=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ -d node_modules ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then
    return 0
  fi
  echo "web.sh: npm ci (package-lock.json changed or node_modules missing)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$sum" >"$stamp"
}

build() {
  deps
  # Rebuild only when a source is newer than the last build.
  if [ -f dist/index.html ] && [ -z "$(find src public index.html package-lock.json vite.config.ts \
      tsconfig*.json -newer dist/index.html -print -quit 2>/dev/null)" ]; then
    return 0
  fi
  npm run --silent build
}

# The committed API types must be what `npm run gen:api` makes of the
# contract now, so the client cannot drift from docs/api/openapi.yaml.
check_api_types() {
  local fresh
  fresh=$(mktemp -d)
  node_modules/.bin/openapi-typescript ../docs/api/openapi.yaml -o "$fresh/schema.d.ts" >/dev/null
  if ! diff -u src/lib/api/schema.d.ts "$fresh/schema.d.ts" >"$fresh/diff"; then
    head -n 60 "$fresh/diff" >&2
    rm -rf "$fresh"
    echo "web.sh: web/src/lib/api/schema.d.ts is not what docs/api/openapi.yaml generates;" \
      "run 'npm run gen:api' in web/ and commit it" >&2
    exit 1
  fi
  rm -rf "$fresh"
}

case "${1:-}" in
  deps) deps ;;
  build) build ;;
  unit)
    deps
    check_api_types
    npm run --silent format:check
    npm run --silent lint
    npm run --silent test
    ;;
  e2e)
    [ $# -ge 3 ] || { echo "usage: web.sh e2e DEPLOYER_BIN BUILDER_BIN" >&2; exit 2; }
    build
    node e2e/run.mjs --deployer "$(from_caller "$2")" --builder "$(from_caller "$3")"
    ;;
  e2e-oidc)
    [ $# -ge 2 ] || { echo "usage: web.sh e2e-oidc DEPLOYER_BIN" >&2; exit 2; }
    build
    node e2e/oidc.mjs --deployer "$(from_caller "$2")"
    ;;
  *)
    echo "usage: web.sh deps|build|unit|e2e DEPLOYER_BIN BUILDER_BIN|e2e-oidc DEPLOYER_BIN" >&2
    exit 2
    ;;
esac
