#!/usr/bin/env bash
# The README's walkthrough, run as written: every ```sh block marked with
# `<!-- walkthrough -->` is extracted in order and run by one `bash -e`
# against a fresh orsa-deployer started as `make run` starts it (embedded
# mode, --ensure-base python-or: the first build waits for the base). The
# only change made to the text is the control plane's address, since the
# test cannot own port 8080.
#   readme_walkthrough_test.sh DEPLOYER BUILDER SOURCE_DIR
set -euo pipefail
DEPLOYER=$1 BUILDER=$2 SRC=$3
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/deployer.sh"

work=$(mktemp -d /tmp/orsa-readme-XXXXXX)
DATA=$work/data
cleanup() {
  [ -n "${KEEP_WORK:-}" ] && { stop_deployer; echo "kept $work"; return; }
  stop_deployer
  remove_deployer_containers "$DATA" "$work"
  rm -rf "$work" 2>/dev/null || true
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  echo "--- walkthrough output" >&2
  cat "$work/walkthrough.out" >&2 || true
  echo "--- deployer log (tail)" >&2
  tail -n 40 "$work/deployer.log" >&2 || true
  exit 1
}

awk '
  /^<!-- walkthrough -->$/ { marked = 1; next }
  marked && /^```sh$/ { inside = 1; marked = 0; next }
  inside && /^```$/ { inside = 0; print "# --- end of block"; next }
  inside { print }
  { marked = 0 }
' "$SRC/README.md" >"$work/walkthrough.raw"
blocks=$(grep -c '^# --- end of block$' "$work/walkthrough.raw" || true)
[ "$blocks" -ge 3 ] || fail "expected at least 3 marked blocks in README.md, found $blocks"

start_deployer "$DEPLOYER" "$work" --builder-bin "$BUILDER" --ensure-base python-or \
  || fail "deployer did not start"
sed "s/localhost:8080/$HOSTPORT/g" "$work/walkthrough.raw" >"$work/walkthrough.sh"

mkdir "$work/reader"
started=$(date +%s)
(cd "$work/reader" && bash -euo pipefail "$work/walkthrough.sh") >"$work/walkthrough.out" 2>&1 ||
  fail "the walkthrough stopped (exit $?)"
echo "walkthrough ran in $(($(date +%s) - started)) s ($blocks blocks)"

# What a reader sees at the end of each step, checked against the API.
token=$(curl -sSf "$URL/api/v1/auth/login" -H 'Content-Type: application/json' \
  -d '{"username":"ada","password":"analytical-engine"}' | json_get 'd["token"]')
grep -q '^deployment healthy$' "$work/walkthrough.out" || fail "the deployment did not become healthy"
# The answers of /solve and of the run, the last one printed being the
# run's result.
[ "$(grep -c '"chosen"' "$work/walkthrough.out")" -ge 2 ] || fail "the walkthrough printed fewer than 2 answers"
answer=$(grep '"chosen"' "$work/walkthrough.out" | tail -n1)
echo "$answer" | json_get 'd["objective"] == 15 and d["count"] == 4 and sorted(d["chosen"]) == ["food","lamp","stove","water"]' |
  grep -qx True || fail "unexpected answer: $answer"
run=$(api GET /api/v1/projects/ada/knapsack/runs "$token" | json_get 'd["runs"][0]')
echo "$run" | python3 -c 'import ast,sys; r=ast.literal_eval(sys.stdin.read()); sys.exit(r["status"] != "succeeded")' ||
  fail "the run did not succeed: $run"
grep -q '^data: Result - Optimal solution found' "$work/walkthrough.out" || fail "the run's live log was not shown"
commit=$(api GET /api/v1/projects/ada/knapsack/commits "$token" | json_get 'd["commits"][0]["message"]')
[ "$commit" = "Report the item count" ] || fail "the edit was not committed: '$commit'"
grep -qx '{"key_name":"acme","requests":1,"refused":0}' "$work/walkthrough.out" ||
  fail "the customer's call was not metered for its key"
digest=$(api GET /api/v1/projects/ada/knapsack/images "$token" | json_get 'd["images"][0]["digest"]')
grep -qx "$digest" "$work/walkthrough.out" || fail "skopeo did not print the image digest $digest"
echo "PASS: the README walkthrough works as written"
