#!/bin/sh
# generate_cli.sh — samples/generate.c's command line and its ends:
#   - the context filling before -n tokens: a message and exit status 3;
#     -n -1 (until the context is full): the message, status 0; exactly
#     filling it: no message;
#   - a prompt longer than the context: a message, status 1;
#   - bad options: status 2 and a one-line message naming the option
#     (getopt_long; sampling values checked by the runtime's
#     gqcrt_sampler_params_error); --opt=value works;
#   - `gqc run` rejects a bad sampling value before compiling.
# The model is compiled with --ctx 16 (stories260K: "Once upon a time" is
# 5 tokens with BOS).
#
#   usage: generate_cli.sh MODEL.gguf
#   env:   GQC, GQC_RT_INCLUDE, GQC_SAMPLES, GQC_RT_LIB, GQC_CFLAGS, GQC_LDFLAGS
set -eu
. "$(dirname "$0")/lib.sh"
model=$1
e2e_tmpdir cli
"$GQC" "$model" --ctx 16 -o "$tmp/model.o"
${CC:-cc} -O2 -std=c11 ${GQC_CFLAGS:-} -I"$tmp" -I"$GQC_RT_INCLUDE" "$GQC_SAMPLES/generate.c" \
  "$tmp/model.o" "$GQC_RT_LIB" -lm ${GQC_LDFLAGS:-} -o "$tmp/generate"

status=0
# expect STATUS PATTERN command...: the exit status and a line of stderr
expect() {
  want=$1 pattern=$2
  shift 2
  set +e
  "$@" > "$tmp/out" 2> "$tmp/err"
  got=$?
  set -e
  if [ "$got" != "$want" ] || ! grep -q -e "$pattern" "$tmp/err"; then
    echo "FAIL: $*: exit $got (want $want), stderr:"
    sed 's/^/  /' "$tmp/err" | head -5
    echo "  (wanted a line matching: $pattern)"
    status=1
  else
    echo "ok: $(echo "$*" | sed "s|$tmp/||g") -> $want: $(grep -e "$pattern" "$tmp/err" | head -1)"
  fi
}
g=$tmp/generate
expect 3 "the context is full (16 positions): stopped after 11 of the 40 tokens" $g -n 40
expect 3 "the context is full (16 positions)" $g -n 40 --temp 0.9 --seed 1
expect 0 "the context is full (16 positions): stopped$" $g -n -1 --ignore-eos
expect 0 "generation: 11 tokens" $g -n 11 --ignore-eos
if grep -q "context is full" "$tmp/err"; then
  echo "FAIL: -n 11 fills the context exactly, yet a message says it is full"
  status=1
fi
expect 1 "the prompt is longer than the context (16 positions)" \
  $g -p "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen"
expect 2 "^generate: --top-p 1.5: top_p must be in \[0, 1\]" $g --top-p 1.5
expect 2 "^generate: --top-p 1.5: top_p must be in \[0, 1\]" $g --top-p=1.5
expect 2 "^generate: --min-p -1: min_p must be in" $g --min-p -1
expect 2 "^generate: --temp nan: temp must be a finite number" $g --temp nan
expect 2 "^generate: --repeat-penalty 0: repeat_penalty must be" $g --repeat-penalty 0
expect 2 "^generate: --repeat-last-n 257: repeat_last_n must be in \[0, 256\]" $g --repeat-last-n 257
expect 2 "^generate: --top-k expects an integer" $g --top-k 4x
expect 2 "^generate: --seed expects -1 (random) or an integer" $g --seed -2
expect 2 "^generate: -n expects an integer" $g -n many
expect 2 "^generate: unknown option '--bogus'" $g --bogus
expect 2 "^generate: unknown option '-x'" $g -x
expect 2 "^generate: option '--temp' needs a value" $g --temp
expect 2 "^generate: unexpected argument 'stray'" $g stray
expect 0 "generation: 3 tokens" $g -n 3 --temp=0.7 --seed=5 --top-k=10
expect 0 "sampling with seed 5" $g -n 3 --temp 0.7 --seed 5
expect 2 "^gqc: error: --top-p 2: top_p must be in \[0, 1\]" "$GQC" run "$model" --top-p 2
expect 2 "^gqc: error: --seed expects" "$GQC" run --seed x "$model"
exit $status
