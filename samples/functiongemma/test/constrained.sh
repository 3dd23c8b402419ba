#!/bin/sh
# constrained.sh — grammar-constrained calls, end to end (ctest e2e/functiongemma-constrained).
#
# A random-weight gemma3 with FunctionGemma's control tokens (as e2e.sh makes
# it) compiled with `gqc --tools examples/twelve_tools.json`: 200 seeded runs
# (constrained_calls.c) must each end in a call the sample's parser accepts
# and that validates against the twelve declarations. Then `gqc run --tools`
# must stop by itself when the call is complete, and bad tools files and
# grammars must fail with file:line:col messages.
#
# Environment (set by CMake): as common.sh says; optional RUNS (default 200).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
test_name=e2e/functiongemma-constrained
tmp_prefix=fg-constrained
# shellcheck source=common.sh
. "$here/common.sh"
runs=${RUNS:-200}

make_fg_model 4096 "$tmp/fg.gguf"
tools="$src/examples/twelve_tools.json"
"$GQC" "$tmp/fg.gguf" --tools "$tools" -o "$tmp/model.o" --ctx 4096 --max-text 16384
# shellcheck disable=SC2086
"$cc" -std=c11 -O1 -DMODEL_HEADER='"model.h"' -I"$tmp" -I"$GQC_RT_INCLUDE" -I"$src" ${GQC_LDFLAGS:-} \
  "$here/constrained_calls.c" "$src/prompt.c" "$src/call_parser.c" "$src/json.c" "$tmp/model.o" \
  "$GQC_RT_LIB" -lm -o "$tmp/constrained-calls"
"$tmp/constrained-calls" "$tools" "$runs" 256 >"$tmp/out.txt" || {
  cat "$tmp/out.txt" >&2
  fail "not every run gave a valid call"
}
cat "$tmp/out.txt"
grep -q "^$runs/$runs valid calls" "$tmp/out.txt" || fail "expected $runs/$runs valid calls"

# gqc run: generation stops when the grammar is complete
"$GQC" run "$tmp/fg.gguf" --tools "$src/examples/tools.json" --ctx 256 -n 200 \
  -p "<start_of_turn>user
Wake me at seven<end_of_turn>
<start_of_turn>model
" >"$tmp/run.txt" 2>&1 || fail "gqc run --tools failed: $(cat "$tmp/run.txt")"
grep -q "(grammar complete)" "$tmp/run.txt" || fail "gqc run did not stop at the end of the call"

# malformed inputs: one line, file:line:col, non-zero exit
expect_error() { # file pattern
  if "$GQC" "$tmp/fg.gguf" "$1" "$2" --emit ir -o "$tmp/x.ir" 2>"$tmp/err.txt"; then
    fail "$2 was accepted"
  fi
  grep -q "$3" "$tmp/err.txt" || fail "$2: expected '$3', got: $(cat "$tmp/err.txt")"
}
printf '[{"type": "function", "function": {"name": "f",\n  "parameters": {"type": "object", "properties": {"x": {"type": "date"}}}}}]\n' >"$tmp/bad.json"
expect_error --tools "$tmp/bad.json" "bad.json:2:65: unsupported type 'date'"
printf '[{"type": "function",\n "function": {"name": "f",}}]\n' >"$tmp/bad2.json"
expect_error --tools "$tmp/bad2.json" "bad2.json:2:27: trailing comma"
printf 'root ::= "a" item\nitem ::= [a-\n' >"$tmp/bad.gbnf"
expect_error --grammar "$tmp/bad.gbnf" "bad.gbnf:2:13: "
printf 'root ::= <no_such_token> "x"\n' >"$tmp/bad2.gbnf"
expect_error --grammar "$tmp/bad2.gbnf" "bad2.gbnf:1:10: '<no_such_token>' is not one token"
printf 'root ::= a\na ::= "x" a "y"\n' >"$tmp/inf.gbnf"
expect_error --grammar "$tmp/inf.gbnf" "inf.gbnf:1:1: the grammar matches nothing"
printf 'root ::= a\na ::= "x" a "y" | "z"\n' >"$tmp/rec.gbnf"
"$GQC" "$tmp/fg.gguf" --grammar "$tmp/rec.gbnf" --emit ir -o "$tmp/x.ir" ||
  fail "a recursive grammar (bounded by the recursion depth) was refused"
echo "e2e/functiongemma-constrained: OK"
