#!/bin/sh
# llvm_asan.sh — the LLVM backend's objects under AddressSanitizer
# (GQC_LLVM_SANITIZE=address, codegen/emit_llvm.c).
#
# Since the model API moved into the runtime (runtime/src/model.c), an
# object's own code is one-line wrappers and step functions that pass
# pointers to runtime calls: it loads nothing ASan has to check (its only
# loads are in bounds of its own globals, which ASan proves). What the
# instrumentation still adds is the object's globals registered with ASan,
# each with a poisoned redzone after it, so an instrumented runtime or caller
# that reads past one of them is stopped. The test shows:
#   1. the instrumented object carries ASan's module constructor and
#      registers its globals; the plain object (no GQC_LLVM_SANITIZE) has no
#      trace of ASan;
#   2. with the instrumented object a program under ASan runs clean;
#   3. when the runtime is instrumented (the sanitizer build), a caller that
#      passes model_prefill 4 tokens but n = 5 is stopped in the runtime's
#      check of the tokens (gqcrt_model_prefill), with either object.
#   usage: llvm_asan.sh MODEL.gguf
#   env:   GQC, GQC_RT_INCLUDE, GQC_RT_LIB (CC: a compiler with -fsanitize=address)
set -eu
. "$(dirname "$0")/lib.sh"
model=$1
e2e_tmpdir llvm-asan
cat >"$tmp/caller.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include "model.h"
/* caller prefill N: model_prefill of a heap array of 4 tokens, n = N */
int main(int argc, char **argv) {
  long n = argc > 2 ? atol(argv[2]) : 4;
  if (model_init() != 0)
    return 2;
  int32_t *tokens = malloc(4 * sizeof *tokens);
  for (int i = 0; i < 4; i++)
    tokens[i] = 1 + i;
  const float *logits = model_prefill(tokens, (int)n, 0);
  printf("prefill(%ld): %s\n", n, logits ? "logits" : "refused");
  free(tokens);
  return 0;
}
C
for mode in instrumented plain; do
  d="$tmp/$mode"
  mkdir "$d"
  if [ $mode = instrumented ]; then
    GQC_LLVM_SANITIZE=address "$GQC" "$model" -o "$d/model.o" --backend llvm --batch 8
    nm "$d/model.o" | grep -q ' U __asan_register_elf_globals' ||
      fail "the instrumented object registers no globals"
    nm "$d/model.o" | grep -q ' t asan.module_ctor' || fail "no ASan constructor in the object"
  else
    env -u GQC_LLVM_SANITIZE "$GQC" "$model" -o "$d/model.o" --backend llvm --batch 8
    ! nm "$d/model.o" | grep -q asan || fail "an object instrumented without GQC_LLVM_SANITIZE"
  fi
  ${CC:-cc} -O1 -g -std=c11 -fsanitize=address ${GQC_LDFLAGS:-} -I"$d" -I"$GQC_RT_INCLUDE" \
    "$tmp/caller.c" "$d/model.o" "$GQC_RT_LIB" -lm -o "$d/caller"
done
run() { # run MODE ARGS...: the caller's output in $tmp/out, its status in $rc
  rc=0
  ASAN_OPTIONS=detect_leaks=0 "$tmp/$1/caller" "$2" "$3" >"$tmp/out" 2>&1 || rc=$?
}
run instrumented prefill 4
[ $rc = 0 ] || fail "prefill of 4 tokens failed: $(cat "$tmp/out")"
echo "llvm_asan: the instrumented object registers its globals and runs clean under ASan"

# An instrumented runtime checks the caller's token array itself.
if nm "$GQC_RT_LIB" 2>/dev/null | grep -q ' U __asan_report_load4'; then
  for mode in instrumented plain; do
    run $mode prefill 5
    [ $rc != 0 ] && grep -q "ERROR: AddressSanitizer: heap-buffer-overflow" "$tmp/out" &&
      grep -q "in gqcrt_model_prefill" "$tmp/out" ||
      fail "n = 5 was not caught in gqcrt_model_prefill ($mode): $(head -8 "$tmp/out")"
  done
  echo "llvm_asan: the instrumented runtime stops a short token array in gqcrt_model_prefill"
fi
