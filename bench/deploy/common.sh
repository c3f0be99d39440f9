# Shared by the deploy benches that start their own deployer on the python-or
# base fixture (first_deploy.sh, wake.sh). Sourced after `root` is set.
PRESET=${PRESET:-release}
DEPLOYER=$root/build/$PRESET/apps/orsa-deployer/orsa-deployer
BUILDER=$root/build/$PRESET/apps/orsa-builder/orsa-builder
BASE_DIR=${BASE_DIR:-$root/build/$PRESET/fixtures/base-python-or}
[ -x "$DEPLOYER" ] && [ -x "$BUILDER" ] || { echo "build the $PRESET preset first" >&2; exit 1; }
[ -d "$BASE_DIR/layout" ] || { echo "no base fixture in $BASE_DIR" >&2; exit 1; }
. "$root/tests/lib/deployer.sh"
. "$root/tests/lib/base_python_or.sh"
export ORSA_ADMIN_PASSWORD=bench-admin-password
OWNER=alice PROJECT=knapsack
results=$root/bench/results
mkdir -p "$results"

now_ms() { echo $((${EPOCHREALTIME/./} / 1000)); }

build_starter() {  # session token → image id of a build of the starter project
  local build status=queued
  build=$(api POST "/api/v1/projects/$OWNER/$PROJECT/builds" "$1" '{}' | json_get 'd["id"]')
  for _ in $(seq 1 1200); do
    status=$(api GET "/api/v1/builds/$build" "$1" | json_get 'd["status"]')
    case $status in succeeded | failed | canceled) break ;; esac
    sleep 0.1
  done
  [ "$status" = succeeded ] || { echo "build $status" >&2; exit 1; }
  api GET "/api/v1/builds/$build" "$1" | json_get 'd["image_id"]'
}
