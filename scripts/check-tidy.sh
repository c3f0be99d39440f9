#!/usr/bin/env bash
# clang-tidy (the repository's .clang-tidy) over the project's own non-test
# sources; any finding fails. Run by ctest as lint.clang-tidy.
#   scripts/check-tidy.sh BUILD_DIR [FILE...]
# clang-tidy 19 is needed: 14 cannot parse libstdc++ 12's <expected>.
# A file whose content, whose project headers and whose checks are unchanged
# since its last clean run is skipped (stamps under BUILD_DIR/tidy-stamps).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: check-tidy.sh BUILD_DIR [FILE...]}" && pwd)
shift
tidy=$(command -v clang-tidy-19 || true)
[ -n "$tidy" ] || { echo "check-tidy: clang-tidy-19 is missing: run scripts/install-deps.sh" >&2; exit 1; }
[ -f "$build/compile_commands.json" ] || { echo "check-tidy: no compile_commands.json in $build" >&2; exit 1; }
cd "$root"

if [ $# -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(find src apps -name '*.cpp' ! -name '*_test.cpp' ! -name '*_testing.cpp' | sort)
fi

# Any header or the checks changing invalidates every stamp: simple and safe.
shared=$( (cat .clang-tidy; find src apps -name '*.hpp' | sort | xargs cat) | sha256sum | cut -c1-16)
stamps="$build/tidy-stamps"
mkdir -p "$stamps"
todo=()
for f in "${files[@]}"; do
  key=$( (echo "$shared"; cat "$f") | sha256sum | cut -c1-32)
  [ -f "$stamps/$key" ] || todo+=("$f:$key")
done
echo "check-tidy: ${#todo[@]} of ${#files[@]} files to check"
[ ${#todo[@]} -gt 0 ] || exit 0

export tidy build stamps
check_one() {
  local f=${1%%:*} key=${1##*:} out
  if out=$("$tidy" -p "$build" --quiet --warnings-as-errors='*' \
      --extra-arg=-Wno-unknown-warning-option --extra-arg=-Wno-deprecated-declarations "$f" 2>&1); then
    touch "$stamps/$key"
  else
    printf '%s\n' "$out" | grep -v -E '^[0-9]+ warnings( and [0-9]+ errors?)? generated\.$' >&2
    return 1
  fi
}
export -f check_one
printf '%s\n' "${todo[@]}" | xargs -P "$(nproc)" -I{} bash -c 'check_one "$@"' _ {}
