#!/bin/sh
# object_symbols.sh — object hygiene: the only global symbols an object
# defines are its model's API (<name>_init, ...); every undefined symbol is a
# runtime function (gqcrt_*). Weights, vocabulary, arena and step are local.
#
#   usage: object_symbols.sh MODEL.gguf NAME [gqc options...]
#   env:   GQC, NM (default nm)
set -eu
. "$(dirname "$0")/lib.sh"
model=$1 name=$2
shift 2
e2e_tmpdir symbols
"$GQC" "$model" -o "$tmp/$name.o" --name "$name" "$@"
nm=${NM:-nm}
# <name>_prefill exists when the header says so (gqc's default --batch)
prefill=
grep -q "_BATCH " "$tmp/$name.h" && prefill=prefill
for f in bos decode decode_constrained eos grammar_accept grammar_apply grammar_start init is_eog \
  last_error n_ctx n_prefix n_vocab reset set_executor token_piece token_text \
  tokenize $prefill; do
  echo "${name}_$f"
done | sort > "$tmp/expected"
# Symbols a sanitizer build's instrumentation adds (GQC_CFLAGS) are not ours.
. "$(dirname "$0")/instrumentation.sh"
"$nm" -g --defined-only "$tmp/$name.o" | awk '{print $3}' | not_instrumentation | sort > "$tmp/defined"
if ! cmp -s "$tmp/expected" "$tmp/defined"; then
  echo "global symbols defined by $name.o differ from the API (< expected, > found):"
  diff "$tmp/expected" "$tmp/defined" || true
  exit 1
fi
"$nm" -u "$tmp/$name.o" | awk '{print $2}' | not_instrumentation > "$tmp/undefined"
if grep -v -e '^gqcrt_' -e '^_GLOBAL_OFFSET_TABLE_$' "$tmp/undefined"; then
  echo "$name.o references the symbols above, which are not runtime functions"
  exit 1
fi
"$nm" "$tmp/$name.o" | grep -q " b [a-z_]*arena\$" || {
  echo "$name.o: the arena is not a local .bss symbol"
  exit 1
}
echo "$name.o: defines exactly the $(wc -l < "$tmp/defined") API functions," \
  "references $(wc -l < "$tmp/undefined") runtime functions"
