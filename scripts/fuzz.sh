#!/bin/sh
# fuzz.sh [SECONDS] — builds the libFuzzer targets of fuzz/ with clang
# (ASan + UBSan + libFuzzer, in build-fuzz/) and runs each for SECONDS
# (default 30), starting from the committed seeds (fuzz/corpus/<target>) and
# regression inputs (fuzz/regressions/<target>). Fails on any crash, leak,
# sanitizer report, timeout (> 10 s for one input) or memory blow-up
# (> 2 GB); the input that caused it is left in build-fuzz/fuzz-artifacts/.
#
# To reproduce a finding:  build-fuzz/fuzz/fuzz_<target> <artifact file>
# To keep a finding as a regression test (replayed by ctest in every build,
# fuzz/replay/<target>): copy the file into fuzz/regressions/<target>/.
#
# New inputs the fuzzer finds go to build-fuzz/fuzz-work/<target>, never into
# the source tree. Environment: GQC_FUZZ_BUILD (default build-fuzz),
# GQC_FUZZ_TARGETS (default: all), GQC_FUZZ_JOBS (ninja -j, default 2).
set -eu
cd "$(dirname "$0")/.."
seconds=${1:-30}
build=${GQC_FUZZ_BUILD:-build-fuzz}
targets=${GQC_FUZZ_TARGETS:-gguf ir arch tokenizer vocab}
jobs=${GQC_FUZZ_JOBS:-2}

if ! command -v clang >/dev/null 2>&1; then
  echo "fuzz.sh: clang is needed (scripts/install-deps.sh installs it)" >&2
  exit 1
fi
cmake -S . -B "$build" -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DGQC_FUZZ=ON -DGQC_BUILD_TESTS=OFF -DGQC_WITH_LLVM=OFF >/dev/null
exes=""
for t in $targets; do exes="$exes fuzz_$t"; done
# shellcheck disable=SC2086
ninja -C "$build" -j"$jobs" $exes

artifacts="$build/fuzz-artifacts"
rm -rf "$artifacts"
mkdir -p "$artifacts"
failed=""
for t in $targets; do
  work="$build/fuzz-work/$t"
  mkdir -p "$work"
  dirs="$work fuzz/corpus/$t"
  [ -d "fuzz/regressions/$t" ] && dirs="$dirs fuzz/regressions/$t"
  dict=""
  [ -f "fuzz/dict/$t.dict" ] && dict="-dict=fuzz/dict/$t.dict"
  echo "== fuzz_$t for ${seconds}s"
  log="$build/fuzz-$t.log"
  # shellcheck disable=SC2086
  if UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$artifacts/$t-" $dict $dirs >"$log" 2>&1; then
    grep -E '^(Done|stat::number_of_executed_units)' "$log" | head -2 | sed 's/^/   /'
  else
    failed="$failed $t"
    echo "   FAILED: the end of $log:"
    tail -n 60 "$log" | sed 's/^/   | /'
  fi
done
found=$(find "$artifacts" -type f | head -20)
if [ -n "$failed" ]; then
  echo "fuzz.sh: failures in:$failed" >&2
  [ -n "$found" ] && printf 'fuzz.sh: inputs:\n%s\n' "$found" >&2
  exit 1
fi
echo "fuzz.sh: no findings"
