#!/usr/bin/env bash
# `make fuzz`: builds the fuzz targets (fuzz/) with AFL++ under ASan+UBSan in
# build/fuzz, runs each with afl-fuzz for a bounded time, one after the
# other, then adds a few new inputs (afl-cmin'ed queue entries) to
# fuzz/corpus/<target>/, which `make test` replays.
#
#   FUZZ_SECONDS   time per target (default 60)
#   FUZZ_TARGETS   space-separated subset (default: all)
#   FUZZ_MAX_NEW   new corpus files kept per target and run (default 8)
#   FUZZ_MAX_BYTES largest new corpus file kept (default 4096)
#   FUZZ_UPDATE_CORPUS=0 leaves fuzz/corpus as it is
#   FUZZ_BUILD=0   runs the targets as already built (no configure or build)
#
# Prints executions, crashes and hangs per target (also build/fuzz/summary.tsv)
# and fails when a target crashed; crash inputs stay under
# build/fuzz/runs/<target>/default/crashes/ (replay one with
# `build/debug/fuzz/fuzz_<target> FILE`).
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_MAX_NEW=${FUZZ_MAX_NEW:-8}
FUZZ_MAX_BYTES=${FUZZ_MAX_BYTES:-4096}
FUZZ_UPDATE_CORPUS=${FUZZ_UPDATE_CORPUS:-1}
FUZZ_BUILD=${FUZZ_BUILD:-1}
BUILD=build/fuzz

all_targets=$(sed -n '/^set(ORSA_FUZZ_TARGETS/,/)/p' fuzz/CMakeLists.txt |
  tr -d '()' | sed 's/set//; s/ORSA_FUZZ_TARGETS//' | xargs)
targets=${FUZZ_TARGETS:-$all_targets}

for tool in afl-fuzz afl-cmin afl-g++; do
  command -v "$tool" >/dev/null || { echo "fuzz: $tool is missing (Debian package afl++)" >&2; exit 1; }
done

build_targets() {
  # AFL++'s GCC plugin (afl-g++-fast) refuses to load into a GCC whose build
  # differs from the one it was built against (Debian updates gcc-12 and
  # afl++ separately); AFL++'s GCC mode (afl-g++, instrumentation by its
  # assembler wrapper) then does the job, without the persistent loop.
  local probe_dir cxx persist
  probe_dir=$(mktemp -d)
  echo 'int main() { return 0; }' >"$probe_dir/p.cpp"
  if AFL_QUIET=1 afl-g++-fast "$probe_dir/p.cpp" -o "$probe_dir/p" >/dev/null 2>&1; then
    cxx=afl-g++-fast persist=ON
  else
    cxx=afl-g++ persist=OFF
    echo "fuzz: the afl-g++-fast plugin does not load with this GCC; using afl-g++ (GCC mode)"
  fi
  rm -rf "$probe_dir"
  # CMake cannot switch the compiler of a configured tree.
  [ "$(cat "$BUILD/afl-compiler" 2>/dev/null)" = "$cxx" ] || rm -rf "$BUILD"
  if [ ! -f "$BUILD/build.ninja" ]; then
    AFL_QUIET=1 cmake --preset fuzz -DCMAKE_CXX_COMPILER="$cxx" -DORSA_AFL_PERSISTENT="$persist" >/dev/null
    echo "$cxx" >"$BUILD/afl-compiler"
  fi
  # Only the libraries the chosen targets link are built.
  AFL_QUIET=1 cmake --build "$BUILD" -j "$(nproc)" --target $(printf 'fuzz_%s ' $targets)
}
[ "$FUZZ_BUILD" = 0 ] || build_targets

export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_FAST_CAL=1
# Leak checks at every exit would double the time per execution.
export ASAN_OPTIONS=abort_on_error=1:symbolize=0:detect_leaks=0:detect_odr_violation=0
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1

stat_of() { sed -n "s/^$1 *: *//p" "$2"; }

summary=$BUILD/summary.tsv
printf 'target\tseconds\texecs\texecs_per_sec\tcrashes\thangs\tqueue\tadded_to_corpus\n' >"$summary"
failed=()
for t in $targets; do
  bin=$BUILD/fuzz/fuzz_$t corpus=fuzz/corpus/$t out=$BUILD/runs/$t
  [ -x "$bin" ] || { echo "fuzz: no target $t" >&2; exit 1; }
  rm -rf "$out" && mkdir -p "$BUILD/runs"
  echo "fuzz: $t for ${FUZZ_SECONDS}s"
  dict=()
  [ -f "fuzz/dict/$t.dict" ] && dict=(-x "fuzz/dict/$t.dict")  # tokens of the input's syntax
  afl-fuzz -V "$FUZZ_SECONDS" -m none -t 2000 "${dict[@]}" -i "$corpus" -o "$out" -- "$bin" >"$out.log" 2>&1 ||
    { echo "fuzz: afl-fuzz failed on $t (see $out.log)" >&2; tail -5 "$out.log" >&2; exit 1; }
  stats=$out/default/fuzzer_stats
  crashes=$(stat_of saved_crashes "$stats") hangs=$(stat_of saved_hangs "$stats")
  added=0
  if [ "$FUZZ_UPDATE_CORPUS" = 1 ] && [ "$crashes" = 0 ]; then
    # Keep the smallest new inputs of a minimised queue that the corpus lacks.
    min=$out/cmin
    afl-cmin -m none -t 2000 -i "$out/default/queue" -o "$min" -- "$bin" >"$out.cmin.log" 2>&1 || true
    known=$(for f in "$corpus"/*; do sha1sum <"$f" | cut -c1-40; done)
    while read -r size file; do
      [ "$added" -lt "$FUZZ_MAX_NEW" ] || break
      [ "$size" -le "$FUZZ_MAX_BYTES" ] || continue
      sum=$(sha1sum <"$file" | cut -c1-40)
      grep -q "$sum" <<<"$known" && continue
      cp "$file" "$corpus/afl-${sum:0:16}"
      known+=$'\n'$sum
      added=$((added + 1))
    done < <(find "$min" -type f -printf '%s %p\n' 2>/dev/null | sort -n)
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$FUZZ_SECONDS" "$(stat_of execs_done "$stats")" \
    "$(stat_of execs_per_sec "$stats")" "$crashes" "$hangs" "$(stat_of corpus_count "$stats")" \
    "$added" >>"$summary"
  [ "$crashes" = 0 ] || failed+=("$t")
done

column -t -s $'\t' "$summary"
if [ ${#failed[@]} -gt 0 ]; then
  for t in "${failed[@]}"; do echo "fuzz: crashes in $BUILD/runs/$t/default/crashes/" >&2; done
  exit 1
fi
