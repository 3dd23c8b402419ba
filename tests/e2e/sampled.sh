#!/bin/sh
# sampled.sh — sampled generation from a compiled model through
# samples/generate.c (the runtime's sampler, gqcrt_sample.h):
#   - a fixed seed reproduces the same tokens, another seed gives others;
#   - --temp 0, and --top-k 1 at any temperature, give the greedy tokens;
#   - with AARCH64=1: the same model cross-compiled for aarch64-linux-gnu,
#     run under qemu, draws the same tokens as the host for the same seeds
#     (an F32 model: its logits agree to ~1e-7 across the AVX2 and NEON
#     kernels, and the sampler itself is bit-identical; the greedy
#     counterpart is aarch64_greedy.sh).
# The tokens compared are column 6 ("tok") of the --top5 lines: the prompt's
# last token, then every generated one.
#
#   usage: sampled.sh MODEL.gguf N
#   env:   GQC, GQC_RT_INCLUDE, GQC_SAMPLES, GQC_RT_LIB_HOST or GQC_RT_LIB
#          (host libgqcrt.a), GQC_CFLAGS/GQC_LDFLAGS (host build, without
#          AARCH64), AARCH64=1 with GQC_RT_LIB_AARCH64, AARCH64_CC, GQC_RUNNER,
#          PROMPT (default "Once upon a time")
set -eu
. "$(dirname "$0")/lib.sh"
model=$1 n=$2
e2e_tmpdir sampled
prompt=${PROMPT:-Once upon a time}
runner=${GQC_RUNNER:-qemu-aarch64 -cpu cortex-a76}

# ids OUT DIR [RUNNER...] -- [generate options...]: the tokens of one run
ids() {
  out=$tmp/$1 dir=$tmp/$2
  shift 2
  r=
  while [ "$1" != -- ]; do
    r="$r $1"
    shift
  done
  shift
  $r "$dir/generate" -p "$prompt" -n "$n" --top5 "$@" 2> "$out.err" | awk '{print $6}' > "$out"
  [ "$(wc -l < "$out")" -gt 1 ] || { echo "FAIL $who: no tokens ($*)"; cat "$out.err"; exit 1; }
}
status=0
same() { # A B what
  if cmp -s "$tmp/$1" "$tmp/$2"; then
    echo "$who: $3"
  else
    echo "FAIL $who: not $3"
    echo "  $1: $(tr '\n' ' ' < "$tmp/$1" | cut -c1-160)"
    echo "  $2: $(tr '\n' ' ' < "$tmp/$2" | cut -c1-160)"
    status=1
  fi
}

GEN_CFLAGS=
hostflags=
if [ "${AARCH64:-0}" != 1 ]; then # (in the aarch64 set, these are the cross build's)
  GEN_CFLAGS=${GQC_CFLAGS:-}
  hostflags=${GQC_LDFLAGS:-}
fi
build_generate host "${CC_HOST:-cc}" "${GQC_RT_LIB_HOST:-$GQC_RT_LIB}" "$hostflags"
ids greedy host -- 
ids temp0 host -- --temp 0 --top-k 0 --seed 3
ids topk1 host -- --temp 1.5 --top-k 1 --seed 3
ids s42 host -- --temp 0.8 --seed 42
ids s42b host -- --temp 0.8 --seed 42
ids s43 host -- --temp 0.8 --seed 43
ids mix host -- --temp 1.1 --top-k 0 --top-p 0.9 --min-p 0.02 --repeat-penalty 1.15 --repeat-last-n 32 --seed 7
same greedy temp0 "--temp 0 gives the greedy tokens"
same greedy topk1 "--top-k 1 at --temp 1.5 gives the greedy tokens"
same s42 s42b "--seed 42 reproduces its tokens"
if cmp -s "$tmp/s42" "$tmp/s43"; then
  echo "FAIL $who: --seed 43 draws exactly what --seed 42 draws"
  status=1
fi
if cmp -s "$tmp/s42" "$tmp/greedy"; then
  echo "FAIL $who: --temp 0.8 --seed 42 draws exactly the greedy tokens"
  status=1
fi

if [ "${AARCH64:-0}" = 1 ]; then
  GEN_CFLAGS=
  build_generate aarch64 "${AARCH64_CC:-aarch64-linux-gnu-gcc}" "$GQC_RT_LIB_AARCH64" -static \
    --target aarch64-linux-gnu
  ids a42 aarch64 $runner -- --temp 0.8 --seed 42
  ids amix aarch64 $runner -- --temp 1.1 --top-k 0 --top-p 0.9 --min-p 0.02 --repeat-penalty 1.15 --repeat-last-n 32 --seed 7
  same s42 a42 "host and aarch64 draw the same tokens (--temp 0.8 --seed 42)"
  same mix amix "host and aarch64 draw the same tokens (top-p, min-p, penalty, --seed 7)"
fi
exit $status
