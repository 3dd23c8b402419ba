#!/bin/sh
# llvm_asan.sh — the LLVM backend's objects under AddressSanitizer
# (GQC_LLVM_SANITIZE=address, codegen/emit_llvm.c): an instrumented object
# catches a bad access of its own code. A caller passes model_prefill a
# heap array of 4 tokens but n = 5: the generated code reads the fifth token
# to validate it, and ASan must stop the program there, in model_prefill,
# naming a heap-buffer-overflow; with n = 4 the same program runs clean. The
# uninstrumented object (no GQC_LLVM_SANITIZE) reads past the array unseen,
# which is what the test shows the instrumentation changes.
#   usage: llvm_asan.sh MODEL.gguf
#   env:   GQC, GQC_RT_INCLUDE, GQC_RT_LIB (CC: a compiler with -fsanitize=address)
set -eu
model=$1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gqc-llvm-asan-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() {
  echo "llvm_asan: $*"
  exit 1
}
cat >"$tmp/caller.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include "model.h"
int main(int argc, char **argv) {
  int n = atoi(argv[1]);
  int32_t *tokens = malloc(4 * sizeof *tokens);
  for (int i = 0; i < 4; i++)
    tokens[i] = 1 + i;
  if (model_init() != 0)
    return 2;
  const float *logits = model_prefill(tokens, n, 0);
  printf("prefill(%d): %s\n", n, logits ? "logits" : "refused");
  free(tokens);
  return 0;
}
C
for mode in instrumented plain; do
  d="$tmp/$mode"
  mkdir "$d"
  if [ $mode = instrumented ]; then
    GQC_LLVM_SANITIZE=address "$GQC" "$model" -o "$d/model.o" --backend llvm --batch 8
    nm "$d/model.o" | grep -q ' U __asan_report_load4' || fail "no ASan checks in the object"
  else
    env -u GQC_LLVM_SANITIZE "$GQC" "$model" -o "$d/model.o" --backend llvm --batch 8
    ! nm "$d/model.o" | grep -q __asan || fail "an object instrumented without GQC_LLVM_SANITIZE"
  fi
  ${CC:-cc} -O1 -g -std=c11 -fsanitize=address ${GQC_LDFLAGS:-} -I"$d" -I"$GQC_RT_INCLUDE" \
    "$tmp/caller.c" "$d/model.o" "$GQC_RT_LIB" -lm -o "$d/caller"
done
ASAN_OPTIONS=detect_leaks=0 "$tmp/instrumented/caller" 4 >"$tmp/ok.out" 2>&1 ||
  fail "n = 4 failed: $(cat "$tmp/ok.out")"
if ASAN_OPTIONS=detect_leaks=0 "$tmp/instrumented/caller" 5 >"$tmp/bad.out" 2>&1; then
  fail "n = 5 was not caught: $(cat "$tmp/bad.out")"
fi
grep -q "ERROR: AddressSanitizer: heap-buffer-overflow" "$tmp/bad.out" ||
  fail "no heap-buffer-overflow report: $(head -5 "$tmp/bad.out")"
grep -q "#0 0x[0-9a-f]* in model_prefill" "$tmp/bad.out" ||
  fail "not caught in model_prefill: $(cat "$tmp/bad.out")"
# The plain object's own read goes unseen (an instrumented runtime, in the
# sanitizer build, may still catch the runtime's own read of the token later).
ASAN_OPTIONS=detect_leaks=0 "$tmp/plain/caller" 5 >"$tmp/plain.out" 2>&1 || true
if grep -q "#0 0x[0-9a-f]* in model_prefill" "$tmp/plain.out"; then
  fail "the plain object's code was checked: $(cat "$tmp/plain.out")"
fi
echo "llvm_asan: the instrumented object catches its own out-of-bounds read (the plain one does not)"
