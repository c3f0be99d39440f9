#!/usr/bin/env bash
# Installs every Debian package ORSA needs to build, test and run.
# Idempotent: installs only what is missing, so `make run` / `make test` can
# call it every time at almost no cost.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config clang-format clang-tidy
  # clang-tidy 14 cannot parse libstdc++ 12's <expected>; scripts/check-tidy.sh uses 19
  clang-tidy-19
  # Boost 1.81 (not libboost-all-dev, which is 1.74 and conflicts)
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-system1.81-dev
  # libraries
  libsoci-dev libsqlite3-dev libpq-dev libgit2-dev libarchive-dev
  libcurl4-openssl-dev nlohmann-json3-dev libsodium-dev libjwt-dev
  libspdlog-dev libcli11-dev libtomlplusplus-dev libssl-dev zlib1g-dev libyaml-cpp-dev
  # tests and benchmarks (python3-jsonschema, python3-kubernetes: the Kubernetes contract test)
  libgtest-dev libgmock-dev libbenchmark-dev postgresql curl git wrk nginx
  python3-jsonschema python3-kubernetes
  # the AWS contract tests (tests/aws): AWS's service models and two signers
  python3-botocore python3-awscrt
  # integration.swarm: a real two-node Docker Swarm (tests/cluster/lib/swarm.sh);
  # no daemon is started by the package, the test starts its own
  docker.io
  # the plots of bench/ (PNG from each bench's CSV)
  gnuplot-nox
  # the README walkthrough (run by make test) uses jq like its readers will
  jq
  # make fuzz: AFL++ with its GCC instrumentation (Debian's clang cannot build our C++23)
  afl++
  # the starter model is checked with the real solver stack it will run on
  python3 python3-pulp coinor-cbc python3-flask gunicorn
  # OCI images: reference registry, real clients, reference template renderer
  docker-registry skopeo podman runc uidmap cookiecutter busybox-static mmdebstrap
  # the compose application (deploy/compose.yaml, tests/compose): Debian's
  # podman-compose, and the CNI plugin that lets its services find each other
  # by name
  podman-compose golang-github-containernetworking-plugin-dnsname
  # the figures of docs/ are Graphviz sources rendered to SVG (lint.figures)
  graphviz
  # web app end-to-end tests (playwright-core drives Debian's Chromium)
  chromium
)

# The web app needs Node 20.19+ and npm (Vite 7). Our machines carry Node 20
# from an apt repository of their own (nodesource's "nodejs" package, which
# bundles npm); Debian bookworm's own nodejs is 18. Install Debian's only when
# there is no node at all, and say when the version is too old.
if ! command -v node >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

node_check() {
  command -v node >/dev/null 2>&1 || return 0
  local v
  v=$(node -p 'process.versions.node' 2>/dev/null || echo 0)
  if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; then
    echo "install-deps: Node $v is older than 20.19, which the web app (Vite 7) needs;" \
      "install Node 20 or 22 (e.g. the nodesource 'nodejs' package)" >&2
  fi
}

if [ ${#missing[@]} -eq 0 ]; then
  node_check
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
node_check
