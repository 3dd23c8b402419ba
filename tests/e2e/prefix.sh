#!/bin/sh
# prefix.sh — a compiled prompt prefix (gqc --prefix) gives the logits of
# reading the whole text through the same model without one.
#
# Compiles MODEL twice with the same options: plain, and with --prefix
# PREFIX (a developer turn, longer than tiny-gemma3's sliding window of 8,
# so its sliding-window layers read the last window - 1 prefix rows from the
# table and the rest from their ring). Then, through samples/generate:
#   - plain: the ids of PREFIX + REQUEST token by token (model_decode),
#     every step's logits;
#   - prefixed: REQUEST's ids only (from position model_n_prefix()) token
#     by token, and REQUEST through one model_prefill call.
# The prefixed rows must match the plain run's last rows within TOL (the
# parity rule of compare_logits: max |diff| <= TOL * spread, argmax equal on
# every clear step); the prefill row must equal the prefixed decode's last
# prompt row bit for bit. tests/e2e/prefix_api.c checks the API of the
# prefixed model (positions below the prefix refused, reset, rewinds).
#   usage: prefix.sh MODEL.gguf TOL [gqc options...]
#   env:   GQC, COMPARE, CC, GQC_RT_INCLUDE, GQC_RT_LIB, GQC_SAMPLES, GQC_RUNNER, GQC_LDFLAGS
set -eu
model=$1 tol=$2
shift 2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gqc-prefix-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
name=$(basename "$model" .gguf)

printf '<start_of_turn>developer\nYou are a model that can do function calling with the following functions: get_weather(city), set_alarm(time, label), send_message(to, text).<end_of_turn>\n' > "$tmp/prefix.txt"
request='<start_of_turn>user
What is the weather in Paris today?<end_of_turn>
<start_of_turn>model
'

build() {
  dir=$tmp/$1
  shift
  mkdir -p "$dir"
  "$GQC" "$model" -o "$dir/model.o" "$@"
  ${CC:-cc} -O2 -std=c11 -I"$dir" -I"$GQC_RT_INCLUDE" "$GQC_SAMPLES/generate.c" "$dir/model.o" \
    "$GQC_RT_LIB" -lm ${GQC_LDFLAGS:-} -o "$dir/generate"
}
build plain "$@"
build prefixed --prefix "$tmp/prefix.txt" "$@"
grep -q '_N_PREFIX [1-9]' "$tmp/prefixed/model.h" || { echo "$name: no N_PREFIX" >&2; exit 1; }

run() {
  dir=$1
  shift
  ${GQC_RUNNER:-} "$tmp/$dir/generate" --quiet --ignore-eos "$@" 2> "$tmp/$dir.err" ||
    { cat "$tmp/$dir.err" >&2; exit 1; }
}
# the ids: PREFIX's as the compiled tokenizer reads it (BOS first), then
# REQUEST's without BOS (what model_tokenize gives a prefixed model)
ids() { tr -d '[],' | tr -s ' ' '\n' | grep -v '^$' || true; }
"$GQC" tokenize "$model" "$(cat "$tmp/prefix.txt"; printf x)" | ids | sed '$d' > "$tmp/prefix.ids"
"$GQC" tokenize "$model" "$request" --no-bos | ids > "$tmp/request.ids"
cat "$tmp/prefix.ids" "$tmp/request.ids" > "$tmp/all.ids"
run plain --ids "$tmp/all.ids" --logits "$tmp/plain.f32"
run prefixed --ids "$tmp/request.ids" --logits "$tmp/prefixed.f32"
run prefixed --ids "$tmp/request.ids" --chunk 0 --logits "$tmp/prefill.f32"

row=$(wc -c < "$tmp/prefill.f32")
n_vocab=$((row / 4))
n_got=$(($(wc -c < "$tmp/prefixed.f32") / row))
n_all=$(($(wc -c < "$tmp/plain.f32") / row))
[ "$n_got" -eq "$(wc -l < "$tmp/request.ids")" ] && [ "$n_all" -gt "$n_got" ] || { echo "$name: $n_got/$n_all rows" >&2; exit 1; }
dd if="$tmp/plain.f32" bs="$row" skip=$((n_all - n_got)) 2> /dev/null > "$tmp/want.f32"
echo "$name: $n_got steps after a $((n_all - n_got))-token prefix"
"$COMPARE" "$tmp/want.f32" "$tmp/prefixed.f32" "$n_vocab" "$tol"
# the request through model_prefill: the prefixed decode's last prompt row, exactly
dd if="$tmp/prefixed.f32" bs="$row" skip=$((n_got - 1)) count=1 2> /dev/null > "$tmp/last.f32"
cmp "$tmp/last.f32" "$tmp/prefill.f32"

# the API of the prefixed model
here=$(cd "$(dirname "$0")" && pwd)
${CC:-cc} -O1 -g -std=c11 -Wall -Wextra -Werror -I"$tmp/prefixed" -I"$GQC_RT_INCLUDE" \
  "$here/prefix_api.c" "$tmp/prefixed/model.o" "$GQC_RT_LIB" -lm ${GQC_LDFLAGS:-} \
  -o "$tmp/prefix_api"
${GQC_RUNNER:-} "$tmp/prefix_api"
