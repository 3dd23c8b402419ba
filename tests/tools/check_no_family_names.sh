#!/bin/sh
# check_no_family_names.sh — the compiler knows no model family in C: every
# family is a description (frontend/archs/*.arch). Fails when a string
# literal of the compiler or the runtime is the name of a built-in family.
#
#   usage: check_no_family_names.sh SOURCE_DIR
#
# Scanned: frontend, ir, passes, codegen, driver and runtime sources. Not
# scanned: the tokenizer (vocab*, *tokenizer* files), whose
# strings are tokenizer.ggml.pre values (a separate namespace that reuses
# some family names), the random-model generator (tools/genmodel writes files
# of each family by design) and the tests.
set -eu
src=$1
names=$(for f in "$src"/frontend/archs/*.arch; do basename "$f" .arch; done)
files=$(find "$src/frontend" "$src/ir" "$src/passes" "$src/codegen" "$src/driver" "$src/runtime" \
  -name '*.[ch]' ! -name 'vocab*' ! -name '*tokenizer*' | sort)
status=0
for name in $names; do
  # shellcheck disable=SC2086
  hits=$(grep -n "\"$name\"" $files || true)
  if [ -n "$hits" ]; then
    echo "the family name \"$name\" appears in C (describe it in frontend/archs/$name.arch instead):"
    echo "$hits"
    status=1
  fi
done
[ $status = 0 ] && echo "no family name in the compiler's or the runtime's C ($(echo $names | wc -w) families)"
exit $status
