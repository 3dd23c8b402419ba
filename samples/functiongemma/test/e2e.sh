#!/bin/sh
# e2e.sh — end-to-end plumbing test of the FunctionGemma sample.
#
# Builds a random-weight gemma3 model whose vocabulary has FunctionGemma's
# control tokens at their real ids (fg-test-vocab + gqc gen-model), compiles
# it with gqc, links samples/functiongemma against it and runs it. Random
# weights answer with garbage, so this checks the plumbing, not the answer:
#   - every control token tokenizes to its single id (46..52, 105, 106);
#   - the prompt's ids start with <bos> and hold the turn and declaration
#     tokens the expected number of times;
#   - generation runs and stops by itself or at the -n limit;
#   - the answer goes through the parser (stdout has a JSON object per call,
#     an {"error": ...} object, or the text) and the exit status is 0;
#   - --parse turns a well-formed answer into the exact JSON;
#   - tools compiled in: --print-prefix's developer turn compiled with
#     gqc --prefix, the program sends only the user turn (no <bos>, no
#     declarations) and generates exactly the ids the plain build generated.
#
# Environment (set by CMake): as common.sh says.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
test_name=e2e/functiongemma
tmp_prefix=fg-e2e
# shellcheck source=common.sh
. "$here/common.sh"

make_fg_model 1024 "$tmp/fg-test.gguf"
"$GQC" "$tmp/fg-test.gguf" -o "$tmp/model.o" --ctx 1024
# shellcheck disable=SC2086
"$cc" -std=c11 -O1 -I"$tmp" -I"$GQC_RT_INCLUDE" ${GQC_LDFLAGS:-} \
  "$src/functiongemma.c" "$src/prompt.c" "$src/call_parser.c" "$src/json.c" "$tmp/model.o" \
  "$GQC_RT_LIB" -lm -o "$tmp/functiongemma"

# --- the prompt -----------------------------------------------------------------
"$tmp/functiongemma" --tools "$src/examples/tools.json" --print-prompt "What's the weather in Paris?" \
  >"$tmp/prompt.txt"
grep -q '^<start_of_turn>developer$' "$tmp/prompt.txt" || fail "no developer turn in the prompt"
[ "$(tail -c 21 "$tmp/prompt.txt")" = "<start_of_turn>model" ] || fail "the prompt does not end the template's way"
[ "$(grep -o '<start_function_declaration>declaration:' "$tmp/prompt.txt" | wc -l)" -eq 2 ] ||
  fail "the prompt does not declare the 2 tools"

# --- a run ------------------------------------------------------------------------
status=0
"$tmp/functiongemma" -v --tools "$src/examples/tools.json" -n 24 "What's the weather in Paris?" \
  >"$tmp/out.txt" 2>"$tmp/err.txt" || status=$?
cat "$tmp/err.txt" >&2
[ "$status" -eq 0 ] || fail "exit status $status"
for pair in "<start_of_turn> 105" "<end_of_turn> 106" "<start_function_declaration> 46" \
  "<end_function_declaration> 47" "<start_function_call> 48" "<end_function_call> 49" \
  "<start_function_response> 50" "<end_function_response> 51" "<escape> 52"; do
  tok=${pair% *}
  id=${pair#* }
  grep -qx "functiongemma: token $tok = $id" "$tmp/err.txt" ||
    fail "$tok is not the single token $id"
done
ids=$(sed -n 's/^functiongemma: prompt ids ([0-9]*)://p' "$tmp/err.txt")
[ -n "$ids" ] || fail "no prompt ids reported"
count() { echo "$ids" | tr ' ' '\n' | grep -cx "$1" || true; }
[ "$(echo "$ids" | awk '{print $1}')" = 2 ] || fail "the prompt does not start with <bos> (2)"
[ "$(count 105)" -eq 3 ] || fail "expected 3 <start_of_turn> ids, got $(count 105)"
[ "$(count 106)" -eq 2 ] || fail "expected 2 <end_of_turn> ids, got $(count 106)"
[ "$(count 46)" -eq 2 ] || fail "expected 2 <start_function_declaration> ids"
[ "$(count 47)" -eq 2 ] || fail "expected 2 <end_function_declaration> ids"
[ "$(count 52)" -ge 40 ] || fail "expected the <escape> id around every string"
[ "$(count 48)" -eq 0 ] || fail "a function call token in the prompt"
stopline=$(grep '^functiongemma: prompt [0-9]* tokens' "$tmp/err.txt") || fail "no generation report"
generated=$(echo "$stopline" | sed 's/.*generated \([0-9]*\) tokens.*/\1/')
[ "$generated" -le 24 ] || fail "generated $generated tokens with -n 24"
echo "$stopline" | grep -Eq 'stop: (token limit|end of turn|function response expected|end of function calls|stop string)$' ||
  fail "unexpected stop: $stopline"
[ -s "$tmp/out.txt" ] || fail "nothing on stdout"
echo "stdout: $(cat "$tmp/out.txt")" >&2

# --- the parser on a well-formed answer --------------------------------------------
got=$("$tmp/functiongemma" --parse \
  '<start_function_call>call:get_weather{location:<escape>Paris<escape>,unit:<escape>celsius<escape>}<end_function_call>')
want='{"name": "get_weather", "arguments": {"location": "Paris", "unit": "celsius"}}'
[ "$got" = "$want" ] || fail "--parse printed: $got"

# --- tools compiled in (gqc --prefix) ------------------------------------------------
"$tmp/functiongemma" --tools "$src/examples/tools.json" --print-prefix >"$tmp/dev.txt"
mkdir "$tmp/pre"
"$GQC" "$tmp/fg-test.gguf" -o "$tmp/pre/model.o" --ctx 1024 --prefix "$tmp/dev.txt"
# shellcheck disable=SC2086
"$cc" -std=c11 -O1 -I"$tmp/pre" -I"$GQC_RT_INCLUDE" ${GQC_LDFLAGS:-} \
  "$src/functiongemma.c" "$src/prompt.c" "$src/call_parser.c" "$src/json.c" "$tmp/pre/model.o" \
  "$GQC_RT_LIB" -lm -o "$tmp/functiongemma-pre"
status=0
"$tmp/functiongemma-pre" -v -n 24 "What's the weather in Paris?" >"$tmp/out-pre.txt" \
  2>"$tmp/err-pre.txt" || status=$?
[ "$status" -eq 0 ] || { cat "$tmp/err-pre.txt" >&2; fail "prefixed: exit status $status"; }
grep -Eq 'after a compiled prefix of [1-9]' "$tmp/err-pre.txt" || fail "prefixed: no prefix used"
ids=$(sed -n 's/^functiongemma: prompt ids ([0-9]*)://p' "$tmp/err-pre.txt")
[ "$(echo "$ids" | awk '{print $1}')" = 105 ] || fail "prefixed: the request does not start with <start_of_turn>"
[ "$(count 105)" -eq 2 ] && [ "$(count 46)" -eq 0 ] || fail "prefixed: the request is not the user turn only"
gen_plain=$(grep '^functiongemma: generated ids' "$tmp/err.txt")
gen_pre=$(grep '^functiongemma: generated ids' "$tmp/err-pre.txt")
[ "$gen_plain" = "$gen_pre" ] || fail "prefixed generation differs: '$gen_plain' vs '$gen_pre'"
cmp -s "$tmp/out.txt" "$tmp/out-pre.txt" || fail "prefixed answer differs"
echo "e2e/functiongemma: ok" >&2
