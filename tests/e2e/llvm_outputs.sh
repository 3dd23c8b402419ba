#!/bin/sh
# llvm_outputs.sh — `--emit asm` / `-o x.s` and `--emit llvm` / `-o x.ll`:
# the files name the API functions and the .gqc.weights section, the model
# header and the weight blob (<base>.weights, which they .incbin) are written
# beside each, and assembling the .s (cc) or compiling the .ll (clang) in
# that directory gives an object whose .gqc.weights holds exactly the bytes
# of the object gqc writes itself.
#
#   usage: llvm_outputs.sh MODEL.gguf [gqc options...]
#   env:   GQC, CC (default cc), CLANG (default clang)
set -eu
. "$(dirname "$0")/lib.sh"
model=$1
shift
e2e_tmpdir llvm-outputs
"$GQC" "$model" -o "$tmp/m.s" --name story "$@"
"$GQC" "$model" -o "$tmp/out.asm" --emit asm --name story "$@"
"$GQC" "$model" -o "$tmp/m.ll" --name story "$@"
"$GQC" "$model" -o "$tmp/out.bc.txt" --emit llvm --name story "$@"
"$GQC" "$model" -o "$tmp/direct.o" --name story "$@"
objcopy -O binary --only-section=.gqc.weights "$tmp/direct.o" "$tmp/direct.bin"
[ -s "$tmp/direct.bin" ] || fail "direct.o: no weight bytes"
# same_weights OBJECT: its .gqc.weights holds the bytes of direct.o's
same_weights() {
  objcopy -O binary --only-section=.gqc.weights "$1" "$1.bin"
  cmp -s "$tmp/direct.bin" "$1.bin" || fail "$1: .gqc.weights differs from the object's"
}
# the blobs are named by absolute path: the outputs compile from any directory
real=$(cd "$tmp" && pwd -P)
for s in m out; do
  f="$tmp/$s.s"
  [ "$s" = out ] && f="$tmp/out.asm"
  grep -q '^story_decode:' "$f" || fail "$f: no story_decode label"
  grep -q '\.globl[[:space:]]*story_tokenize' "$f" || fail "$f: story_tokenize not global"
  grep -q '\.section[[:space:]]*\.gqc\.weights,"a"' "$f" || fail "$f: no .gqc.weights section"
  grep -q "^\.incbin \"$real/$s.weights\"" "$f" || fail "$f: does not pull in $real/$s.weights"
  grep -q '\.globl[[:space:]]*story__' "$f" && fail "$f: an internal symbol is global"
  (cd / && ${CC:-cc} -c -x assembler "$f" -o "$tmp/$s-asm.o") || fail "$f does not assemble"
  same_weights "$tmp/$s-asm.o"
done
for s in m out.bc; do
  l="$tmp/$s.ll"
  [ "$s" = out.bc ] && l="$tmp/out.bc.txt"
  grep -q '^define .*@story_decode(i32 ' "$l" || fail "$l: no story_decode definition"
  grep -q '^@story__weights = external hidden global .*align 64' "$l" ||
    fail "$l: the weights are not a hidden symbol aligned to 64"
  grep -q '^module asm "\.incbin \\22'"$real/$s"'\.weights\\22"' "$l" ||
    fail "$l: does not pull in $real/$s.weights"
  (cd / && ${CLANG:-clang} -Wno-override-module -c -x ir "$l" -o "$tmp/$s-ll.o") || fail "$l does not compile"
  same_weights "$tmp/$s-ll.o"
  grep -q '^@story__arena = internal global .* zeroinitializer, align 64' "$l" ||
    fail "$l: the arena is not a zero-initialised internal global"
  grep -q '^target triple = "x86_64' "$l" || fail "$l: not for x86-64"
done
for h in m out; do
  grep -q 'const float \*story_decode(int32_t token, int32_t pos);' "$tmp/$h.h" ||
    fail "no header $h.h beside the output"
done
echo "assembly and LLVM IR outputs look right"
