#!/bin/sh
# compile_memory.sh — compiling streams the weights: gqc's memory does not
# grow with the model's weights, in any output mode.
#
# Generates two models that differ only in their matrices' size (2 layers,
# D 256 and D 1536: 2 MB and 75 MB of Q8_0 weights, same vocabulary, same
# program) and compiles both in every output mode: object through LLVM
# (x86-64, and AArch64, whose matrices are repacked on the way) and through
# the C backend, --weights file, assembly, C source. For each mode the
# larger model's peak resident memory (tests/tools/peak_rss) may exceed the
# smaller one's by at most 16 MiB — a compile that held the weights (or a
# repacked copy) would take 73 MB more, one that let LLVM or the assembler
# hold them several times that. Two compiles of the same program compare
# like with like, in a sanitizer build too.
#   usage: compile_memory.sh        env: GQC, PEAK_RSS
set -eu
. "$(dirname "$0")/lib.sh"
e2e_tmpdir memory
gen() { # gen NAME EMBD FF
  "$GQC" gen-model --arch llama --layers 2 --embd "$2" --heads 4 --ff "$3" --vocab 1024 \
    --type q8_0 -o "$tmp/$1.gguf" > /dev/null
}
gen small 256 768
gen big 1536 6144
# peak KiB of `gqc MODEL.gguf -o OUT options...`, outputs removed after
peak() {
  model=$1 out=$2
  shift 2
  "$PEAK_RSS" "$tmp/rss" "$GQC" "$tmp/$model.gguf" -o "$tmp/out/$out" "$@" > /dev/null ||
    fail "gqc $model.gguf -o $out $* failed"
  rm -rf "$tmp/out"/*
  cat "$tmp/rss"
}
mkdir "$tmp/out"
bound=16384 # KiB
for mode in "m.o" "m.o --target aarch64-linux-gnu" "m.o --backend c" "m.o --weights file" \
  "m.s" "m.c"; do
  # shellcheck disable=SC2086 # the mode is words
  small=$(peak small $mode)
  # shellcheck disable=SC2086
  big=$(peak big $mode)
  echo "-o $mode: peak $small KiB (2 MB of weights), $big KiB (75 MB of weights)"
  [ $((big - small)) -le $bound ] ||
    fail "-o $mode: 73 MB more weights took $((big - small)) KiB more memory (bound $bound)"
done
