#!/usr/bin/env bash
# Fails when any C++ source differs from its clang-format output.
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(scripts/cpp-files.sh)
[ -n "$files" ] || exit 0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! echo "$files" | xargs clang-format --dry-run --Werror 2>"$log"; then
  echo "clang-format drift (run 'make format'):"
  grep -E '^[^ ].*error:' "$log" | cut -d: -f1 | sort -u
  exit 1
fi
