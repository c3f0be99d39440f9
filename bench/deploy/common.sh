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

build_starter() { build_head "$OWNER" "$PROJECT" "$1"; }  # token → image id of the starter's build
