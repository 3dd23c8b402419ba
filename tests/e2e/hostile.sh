#!/bin/sh
# hostile.sh — builds tests/e2e/hostile_api.c against MODEL compiled by gqc
# and runs it: every hostile call on the generated API must return an error
# code, never crash, write out of bounds or disturb the decoder state.
#
#   usage: hostile.sh MODEL.gguf c|llvm [--garbage-weights nan|inf|random] [gqc options...]
#   env:   GQC, CC, GQC_RT_INCLUDE, GQC_RT_LIB, GQC_RUNNER, GQC_LDFLAGS,
#          MAKE_BAD_GGUF (for --garbage-weights: fuzz/make_bad_gguf.c)
#
# --garbage-weights: compile a copy of MODEL whose tensor data is NaN, Inf or
# random bytes instead (adversarial but well-formed weights); the logits may
# then be anything but finite, every other check of hostile_api.c stands.
# Backend c: the generated C (--emit c) is compiled here, with $GQC_LDFLAGS
# (-fsanitize=address,undefined in the sanitizer build), so ASan sees the
# generated code's own arena and tokenizer scratch. Backend llvm: gqc writes
# the object (LLVM code is not instrumented; the runtime and this program
# are). The model is compiled with a small context and text limit so the
# limits are cheap to reach.
set -eu
. "$(dirname "$0")/lib.sh"
model=$1 backend=$2
shift 2
e2e_tmpdir hostile
cc=${CC:-cc}
run_opts=""
if [ "${1:-}" = --garbage-weights ]; then
  "$MAKE_BAD_GGUF" --garbage-weights "$2" "$model" "$tmp/garbage.gguf"
  model=$tmp/garbage.gguf
  run_opts=--garbage-weights
  shift 2
fi
opts="--name model --ctx 16 --max-text 64"
case $backend in
c)
  "$GQC" "$model" --emit c -o "$tmp/model.c" $opts "$@"
  $cc -O1 -g -std=c11 -I"$tmp" -I"$GQC_RT_INCLUDE" -Wa,-I"$tmp" ${GQC_LDFLAGS:-} \
    -c "$tmp/model.c" -o "$tmp/model.o"
  ;;
llvm)
  "$GQC" "$model" --backend llvm -o "$tmp/model.o" $opts "$@"
  ;;
*)
  echo "hostile.sh: backend must be c or llvm, got '$backend'" >&2
  exit 2
  ;;
esac
$cc -O1 -g -std=c11 -Wall -Wextra -Werror -I"$tmp" -I"$GQC_RT_INCLUDE" "$here/hostile_api.c" \
  "$tmp/model.o" "$GQC_RT_LIB" -lm ${GQC_LDFLAGS:-} -o "$tmp/hostile_api"
${GQC_RUNNER:-} "$tmp/hostile_api" $run_opts
