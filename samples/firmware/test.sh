#!/bin/sh
# test.sh — builds the firmware sample with its Makefile (cross, no C
# library, firmware.ld), runs it under qemu-aarch64 and checks that
#   - it generates the expected text (stories260K, greedy),
#   - the .gqc.weights address and size it prints lie inside the WEIGHTS
#     region as firmware.ld defines it (read from the script itself) and
#     the size is the header's MODEL_WEIGHT_BYTES,
#   - the model state it prints lies inside RAM and holds MODEL_ARENA_BYTES,
#   - the ELF agrees: section .gqc.weights is in WEIGHTS, and the RAM segment
#     has nothing to load (no .data: nothing to copy from flash at boot).
#
# that the stand-alone CMake project (CMakeLists.txt, when CMAKE is set)
# builds a program that prints the same, and that a model too big for RAM (the same with --ctx 2048) fails to link
# with ld's "region `RAM' overflowed".
#
#   usage: test.sh MODEL.gguf [gqc options...]
#   env:   GQC, GQC_RT_LIB_AARCH64, GQC_RT_INCLUDE, GQC_RUNNER (default
#          "qemu-aarch64 -cpu cortex-a76"), AARCH64_CC, MAKE, READELF,
#          EXPECT (the text, default: stories260K's), CMAKE (cmake, to also
#          check the CMake project), TOOLCHAIN_FILE (default: gqc's
#          cmake/aarch64-linux-gnu.cmake)
set -eu
model=$1
shift
opts="$*" # gqc options (no spaces inside any)
expect=${EXPECT:-Once upon a time, there was a little girl named Lily}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gqc-firmware-XXXXXX")
trap 'rm -rf "$tmp" "$tmp.log" "$tmp.big" "$tmp.big.log" "$tmp.cmake" "$tmp.cmake.log"' EXIT
fail() {
  echo "FAIL firmware: $*"
  exit 1
}
cross=${AARCH64_CC:-aarch64-linux-gnu-gcc}
# build OUT_DIR [gqc options...]
build() {
  out=$1
  shift
  ${MAKE:-make} -s -f "$here/Makefile" O="$out" MODEL="$model" GQC="$GQC" \
    GQC_RUNTIME_LIB="$GQC_RT_LIB_AARCH64" GQC_INCLUDE="$GQC_RT_INCLUDE" \
    CROSS="${cross%gcc}" GQCFLAGS_EXTRA="$*" > "$out.log" 2>&1
}
build "$tmp" $opts || {
  cat "$tmp.log"
  fail "build failed"
}
# The link must be clean: no orphan sections, no RWX segments.
if grep -i 'warning' "$tmp.log"; then
  fail "the link warned"
fi
${GQC_RUNNER:-qemu-aarch64 -cpu cortex-a76} "$tmp/firmware.elf" > "$tmp/out" || {
  cat "$tmp/out"
  fail "the program failed"
}
cat "$tmp/out"

# region NAME -> "ORIGIN END" from firmware.ld's MEMORY command
region() {
  line=$(grep "^ *$1 *(" "$here/firmware.ld") || fail "no region $1 in firmware.ld"
  origin=$(echo "$line" | sed 's/.*ORIGIN *= *\([0-9a-fA-Fx]*\).*/\1/')
  length=$(echo "$line" | sed 's/.*LENGTH *= *\([0-9a-fA-Fx]*[KM]\{0,1\}\).*/\1/')
  case "$length" in
  *K) length=$((${length%K} * 1024)) ;;
  *M) length=$((${length%M} * 1024 * 1024)) ;;
  esac
  echo "$((origin)) $((origin + length))"
}
# inside ADDR END LO HI: [ADDR, END) within [LO, HI)
inside() { [ $(($1)) -ge "$3" ] && [ $(($2)) -le "$4" ] && [ $(($1)) -le $(($2)) ]; }
# printed NAME -> "START END BYTES MACRO" of the program's layout line
printed() {
  grep "^  $1 " "$tmp/out" | awk '{print $2, $4, $5, $8}' | tr -d '),'
}

set -- $(region WEIGHTS)
w_lo=$1 w_hi=$2
set -- $(region RAM)
r_lo=$1 r_hi=$2
set -- $(printed .gqc.weights)
[ $# -eq 4 ] || fail "no .gqc.weights line"
inside "$1" "$2" "$w_lo" "$w_hi" || fail ".gqc.weights $1..$2 is not inside WEIGHTS"
[ "$3" -ge "$4" ] || fail ".gqc.weights holds $3 bytes, MODEL_WEIGHT_BYTES is $4"
echo "ok: .gqc.weights at $1 ($3 bytes) inside WEIGHTS [$(printf '0x%x' "$w_lo"), $(printf '0x%x' "$w_hi"))"
set -- $(printed .gqc.arena)
[ $# -eq 4 ] || fail "no .gqc.arena line"
inside "$1" "$2" "$r_lo" "$r_hi" || fail ".gqc.arena $1..$2 is not inside RAM"
[ "$3" -ge "$4" ] || fail ".gqc.arena holds $3 bytes, MODEL_ARENA_BYTES is $4"
echo "ok: .gqc.arena (the model state) at $1 ($3 bytes) inside RAM [$(printf '0x%x' "$r_lo"), $(printf '0x%x' "$r_hi"))"

readelf=${READELF:-readelf}
addr=$("$readelf" -S -W "$tmp/firmware.elf" | sed 's/^ *\[ *[0-9]*\] *//' |
  awk '$1 == ".gqc.weights" {print "0x" $3}')
[ -n "$addr" ] && inside "$addr" "$addr" "$w_lo" "$w_hi" || fail "ELF .gqc.weights at '$addr'"
# LOAD Offset VirtAddr PhysAddr FileSiz MemSiz ...: the segment at RAM's origin
ram_filesz=$("$readelf" -l -W "$tmp/firmware.elf" |
  awk -v lo="$(printf '0x%016x' "$r_lo")" '$1 == "LOAD" && $3 == lo {print $5}')
[ "$ram_filesz" = 0x000000 ] || fail "the RAM segment loads $ram_filesz bytes (initialised data)"
echo "ok: ELF section .gqc.weights at $addr; the RAM segment has no initialised data"

grep -q "^text: *$expect" "$tmp/out" || fail "expected text '$expect'"
echo "ok: generated text"

if build "$tmp.big" $opts --ctx 2048; then
  fail "a 2048-position KV cache linked into 1 MiB of RAM"
fi
grep -q "region .RAM' overflowed" "$tmp.big.log" || {
  cat "$tmp.big.log"
  fail "the oversized build failed for another reason"
}
echo "ok: with --ctx 2048 the link fails: $(grep -o "region .RAM' overflowed by [0-9]* bytes" "$tmp.big.log")"

if [ -n "${CMAKE:-}" ]; then
  flags="--target;aarch64-linux-gnu;--cpu;cortex-a55;--ctx;128;--max-text;256;--arena-section;.gqc.arena"
  for o in $opts; do flags="$flags;$o"; done
  { "$CMAKE" -S "$here" -B "$tmp.cmake" \
    -DCMAKE_TOOLCHAIN_FILE="${TOOLCHAIN_FILE:-$here/../../cmake/aarch64-linux-gnu.cmake}" \
    -DGQC="$GQC" -DGQC_RUNTIME_LIB="$GQC_RT_LIB_AARCH64" -DMODEL="$model" -DGQCFLAGS="$flags" &&
    "$CMAKE" --build "$tmp.cmake"; } > "$tmp.cmake.log" 2>&1 || {
    cat "$tmp.cmake.log"
    fail "the CMake project did not build"
  }
  if grep -i 'warning' "$tmp.cmake.log"; then
    fail "the CMake build warned"
  fi
  ${GQC_RUNNER:-qemu-aarch64 -cpu cortex-a76} "$tmp.cmake/firmware.elf" > "$tmp.cmake/out" ||
    fail "the CMake-built program failed"
  grep '^text:' "$tmp/out" > "$tmp/text"
  grep '^text:' "$tmp.cmake/out" > "$tmp.cmake/text"
  cmp -s "$tmp/text" "$tmp.cmake/text" || fail "the CMake-built program printed another text"
  echo "ok: the CMake project builds the same program"
fi
