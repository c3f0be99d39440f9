#!/usr/bin/env bash
# Lists the project's own C++ sources (for formatting and its check).
cd "$(dirname "$0")/.."
find src apps tests bench fuzz -type f \( -name '*.cpp' -o -name '*.hpp' \) 2>/dev/null | sort
