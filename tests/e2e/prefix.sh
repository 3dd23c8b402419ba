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
# On the host (no GQC_RUNNER: the prefix computed by the target's own
# kernels, the logits identical) a grammar compiled in as well (--grammar)
# must generate a text of the grammar and stop when it is complete (and the
# plain grammar build's text when the whole text tokenizes as its parts do).
#   usage: prefix.sh MODEL.gguf TOL [gqc options...]
#   env:   GQC, COMPARE, CC, GQC_RT_INCLUDE, GQC_RT_LIB, GQC_SAMPLES, GQC_RUNNER, GQC_LDFLAGS
set -eu
. "$(dirname "$0")/lib.sh"
model=$1 tol=$2
shift 2
e2e_tmpdir prefix

printf '<start_of_turn>developer\nYou are a model that can do function calling with the following functions: get_weather(city), set_alarm(time, label), send_message(to, text).<end_of_turn>\n' > "$tmp/prefix.txt"
request='<start_of_turn>user
What is the weather in Paris today?<end_of_turn>
<start_of_turn>model
'

host_generate plain "$@"
host_generate prefixed --prefix "$tmp/prefix.txt" "$@"
grep -q '_N_PREFIX [1-9]' "$tmp/prefixed/model.h" || fail "no N_PREFIX"

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
[ "$n_got" -eq "$(wc -l < "$tmp/request.ids")" ] && [ "$n_all" -gt "$n_got" ] || fail "$n_got/$n_all rows"
dd if="$tmp/plain.f32" bs="$row" skip=$((n_all - n_got)) 2> /dev/null > "$tmp/want.f32"
echo "$who: $n_got steps after a $((n_all - n_got))-token prefix"
"$COMPARE" "$tmp/want.f32" "$tmp/prefixed.f32" "$n_vocab" "$tol"
# the request through model_prefill: the prefixed decode's last prompt row, exactly
dd if="$tmp/prefixed.f32" bs="$row" skip=$((n_got - 1)) count=1 2> /dev/null > "$tmp/last.f32"
cmp "$tmp/last.f32" "$tmp/prefill.f32"

# the API of the prefixed model
${CC:-cc} -O1 -g -std=c11 -Wall -Wextra -Werror -I"$tmp/prefixed" -I"$GQC_RT_INCLUDE" \
  "$here/prefix_api.c" "$tmp/prefixed/model.o" "$GQC_RT_LIB" -lm ${GQC_LDFLAGS:-} \
  -o "$tmp/prefix_api"
${GQC_RUNNER:-} "$tmp/prefix_api"

# with a grammar (host only): constrained decoding (model_decode_constrained,
# its lm_head subset) from position model_n_prefix() on must give a text of
# the grammar and stop when it is complete. When the whole text tokenizes as
# its two parts do, the text must also be the plain grammar build's for
# PREFIX + REQUEST read as one prompt (the tiny models' tokenizers merge
# across the seam, so the comparison needs the ids to agree first).
if [ -z "${GQC_RUNNER:-}" ]; then
  printf 'root ::= ("ab" | "x") [0-9]{1,6} " " [a-z]{1,12}\n' > "$tmp/g.gbnf"
  host_generate prefixed-g --prefix "$tmp/prefix.txt" --grammar "$tmp/g.gbnf" "$@"
  "$tmp/prefixed-g/generate" -n 40 -p "$request" > "$tmp/prefixed-g.txt" 2> "$tmp/prefixed-g.err" ||
    { cat "$tmp/prefixed-g.err" >&2; exit 1; }
  grep -q "(grammar complete)" "$tmp/prefixed-g.err" ||
    fail "the prefixed grammar build did not complete the grammar"
  # the generated text: the last line (the prompt ends with a newline)
  got=$(tail -n 1 "$tmp/prefixed-g.txt")
  echo "$got" | grep -Eqx '(ab|x)[0-9]{1,6} [a-z]{1,12}' ||
    fail "constrained text '$got' is not of the grammar"
  echo "$who: grammar after the prefix: '$got'"
  whole=$(cat "$tmp/prefix.txt"; printf '%sx' "$request")
  whole=${whole%x}
  "$GQC" tokenize "$model" "$whole" | ids > "$tmp/whole.ids"
  if cmp -s "$tmp/whole.ids" "$tmp/all.ids"; then
    host_generate plain-g --grammar "$tmp/g.gbnf" "$@"
    "$tmp/plain-g/generate" -n 40 -p "$whole" > "$tmp/plain-g.txt" 2> "$tmp/plain-g.err" ||
      { cat "$tmp/plain-g.err" >&2; exit 1; }
    want=$(tail -n 1 "$tmp/plain-g.txt")
    [ "$want" = "$got" ] || fail "constrained text differs: '$want' / '$got'"
    echo "$who: as without the prefix"
  fi
fi
