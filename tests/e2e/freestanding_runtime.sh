#!/bin/sh
# freestanding_runtime.sh — the runtime builds for a bare-metal board: with
# -ffreestanding, no C library headers, and nothing needed at link time but
# the documented eight functions (runtime/README.md, runtime/src/rt_libc.h).
#
# Configures the runtime alone (GQC_RUNTIME_ONLY) with GQC_RUNTIME_FREESTANDING
# for the toolchain file given (the AArch64 cross compiler), builds libgqcrt,
# and checks that
#   - every compile command of the library has -ffreestanding and -nostdinc
#     (so an #include <string.h> anywhere would have failed the build);
#   - the symbols the library uses but does not define are a subset of
#     memcpy memset expf tanhf sinf cosf powf sqrtf.
# The build directory is kept, so later runs are incremental.
#
#   usage: freestanding_runtime.sh SOURCE_DIR BUILD_DIR TOOLCHAIN_FILE
#   env:   NM (default: the cross compiler's nm, else nm), CMAKE (default cmake)
set -eu
. "$(dirname "$0")/lib.sh"
src=$1 build=$2 toolchain=$3
allowed="memcpy memset expf tanhf sinf cosf powf sqrtf"
${CMAKE:-cmake} -S "$src" -B "$build" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$toolchain" \
  -DGQC_RUNTIME_ONLY=ON -DGQC_BUILD_TESTS=OFF -DGQC_RUNTIME_FREESTANDING=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo > "$build.configure.log" 2>&1 ||
  { cat "$build.configure.log"; fail "configure"; }
${CMAKE:-cmake} --build "$build" --target gqcrt -j 2 > "$build.build.log" 2>&1 ||
  { tail -40 "$build.build.log"; fail "build"; }
lib=$build/runtime/libgqcrt.a
[ -f "$lib" ] || fail "no $lib"

# every compile of the library: freestanding, no system include directories
ninja -C "$build" -t commands gqcrt | grep -e ' -c ' > "$build.commands"
n=$(wc -l < "$build.commands")
[ "$n" -gt 0 ] || fail "no compile commands"
if grep -v -e '-ffreestanding' "$build.commands" | grep -q . ||
  grep -v -e '-nostdinc' "$build.commands" | grep -q .; then
  fail "a source was compiled without -ffreestanding -nostdinc"
fi

cc=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")
nm=${NM:-${cc%gcc}nm}
command -v "$nm" > /dev/null 2>&1 || nm=nm
"$nm" "$lib" 2> /dev/null | awk 'NF == 3 && $2 ~ /^[TDRBCVW]$/ {print $3}' | sort -u > "$build.defined"
"$nm" -u "$lib" 2> /dev/null | awk 'NF == 2 {print $2}' | sort -u > "$build.used"
comm -23 "$build.used" "$build.defined" > "$build.needed"
printf '%s\n' $allowed | sort > "$build.allowed"
extra=$(comm -23 "$build.needed" "$build.allowed")
[ -z "$extra" ] || fail "libgqcrt.a needs symbols outside the documented list: $(echo $extra)"
echo "freestanding libgqcrt.a ($n sources, $(wc -l < "$build.defined") symbols defined)" \
  "needs only: $(echo $(cat "$build.needed"))"
