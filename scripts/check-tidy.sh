#!/usr/bin/env bash
# clang-tidy (the repository's .clang-tidy) over the project's own non-test
# sources; any finding fails. Run by ctest as lint.clang-tidy.
#   scripts/check-tidy.sh BUILD_DIR [FILE...]
# Files are checked in parallel, TIDY_JOBS at a time (default: nproc).
# clang-tidy 19 is needed: 14 cannot parse libstdc++ 12's <expected>.
# A file whose content, whose project headers (generated ones included),
# whose compile flags, whose checks and whose clang-tidy are unchanged since
# its last clean run is skipped, as ccache skips a compile: the stamps live
# in ORSA_TIDY_CACHE (default ~/.cache/orsa-tidy), shared by every checkout
# on the machine, so a fresh clone checks only what differs.
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

# Any header, flag or check changing invalidates every stamp: simple and
# safe. The flags are compared without the checkout's and build's paths.
shared=$( (
  "$tidy" --version
  cat .clang-tidy
  find src apps -name '*.hpp' | sort | xargs cat
  find "$build" -path '*/embedded/*.hpp' | sort | xargs -r cat
  sed -e "s|$build|BUILD|g" -e "s|$root|ROOT|g" "$build/compile_commands.json"
) | sha256sum | cut -c1-16)
stamps=${ORSA_TIDY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/orsa-tidy}
mkdir -p "$stamps"
# Stamps of sources long gone are of no use.
find "$stamps" -type f -mtime +30 -delete 2>/dev/null || true
todo=()
stamp_key() { (echo "$shared"; cat "$1") | sha256sum | cut -c1-32; }
for f in "${files[@]}"; do
  key=$(stamp_key "$f")
  if [ -f "$stamps/$key" ]; then
    touch "$stamps/$key"
  else
    todo+=("$f")
  fi
done
echo "check-tidy: ${#todo[@]} of ${#files[@]} files to check"
[ ${#todo[@]} -gt 0 ] || exit 0

export tidy build stamps shared
check_one() {
  local f=$1 key out
  key=$(stamp_key "$f")
  if out=$("$tidy" -p "$build" --quiet --warnings-as-errors='*' \
      --extra-arg=-Wno-unknown-warning-option --extra-arg=-Wno-deprecated-declarations "$f" 2>&1); then
    # Stamp only the content that was checked (the file may change meanwhile).
    [ "$(stamp_key "$f")" != "$key" ] || touch "$stamps/$key"
  else
    printf '%s\n' "$out" | grep -v -E '^[0-9]+ warnings( and [0-9]+ errors?)? generated\.$' >&2
    return 1
  fi
}
export -f check_one stamp_key
printf '%s\n' "${todo[@]}" | xargs -P "${TIDY_JOBS:-$(nproc)}" -I{} bash -c 'check_one "$@"' _ {}
