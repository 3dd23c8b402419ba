#!/bin/sh
# llvm_outputs.sh — `--emit asm` / `-o x.s` and `--emit llvm` / `-o x.ll`:
# the files name the API functions and the .gqc.weights section, and the
# model header is written beside each.
#
#   usage: llvm_outputs.sh MODEL.gguf [gqc options...]
#   env:   GQC
set -eu
model=$1
shift
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gqc-llvm-outputs-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() {
  echo "llvm_outputs: $*"
  exit 1
}
"$GQC" "$model" -o "$tmp/m.s" --name story "$@"
"$GQC" "$model" -o "$tmp/out.asm" --emit asm --name story "$@"
"$GQC" "$model" -o "$tmp/m.ll" --name story "$@"
"$GQC" "$model" -o "$tmp/out.bc.txt" --emit llvm --name story "$@"
for s in "$tmp/m.s" "$tmp/out.asm"; do
  grep -q '^story_decode:' "$s" || fail "$s: no story_decode label"
  grep -q '\.globl[[:space:]]*story_tokenize' "$s" || fail "$s: story_tokenize not global"
  grep -q '\.section[[:space:]]*\.gqc\.weights,"a"' "$s" || fail "$s: no .gqc.weights section"
  grep -q '\.globl[[:space:]]*story__' "$s" && fail "$s: an internal symbol is global"
done
for l in "$tmp/m.ll" "$tmp/out.bc.txt"; do
  grep -q '^define .*@story_decode(i32 ' "$l" || fail "$l: no story_decode definition"
  grep -q '^@story__weights = internal constant .*section "\.gqc\.weights", align 64' "$l" ||
    fail "$l: the weights are not an internal constant in .gqc.weights, align 64"
  grep -q '^@story__arena = internal global .* zeroinitializer, align 64' "$l" ||
    fail "$l: the arena is not a zero-initialised internal global"
  grep -q '^target triple = "x86_64' "$l" || fail "$l: not for x86-64"
done
for h in m out; do
  grep -q 'const float \*story_decode(int32_t token, int32_t pos);' "$tmp/$h.h" ||
    fail "no header $h.h beside the output"
done
echo "assembly and LLVM IR outputs look right"
