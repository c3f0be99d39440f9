#!/usr/bin/env bash
# Fails when any tracked C++ file differs from its clang-format output.
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files '*.cpp' '*.hpp' 2>/dev/null || true)
[ -n "$files" ] || exit 0
if ! echo "$files" | xargs clang-format --dry-run --Werror 2>/tmp/orsa-format.log; then
  echo "clang-format drift (run 'make format'):"
  head -40 /tmp/orsa-format.log
  exit 1
fi
