#!/bin/sh
# weights_file.sh — `gqc --weights=file`: the weights leave the object for a
# blob file that the program loads at run time, with identical logits.
#
# For each backend (llvm, c), compiles MODEL with the weights embedded (the
# default) and with --weights=file, and checks that
#   - the file-mode object has no (or an empty) .gqc.weights section and is
#     smaller than the embedded one by the weights' size (give or take 64 KiB);
#   - its global symbols are the embedded object's plus model_init_weights
#     and model_verify_weights, and it references only gqcrt_* functions;
#   - <base>.weights holds exactly the bytes of the embedded object's
#     .gqc.weights section, and the header says MODEL_WEIGHTS_EXTERNAL and
#     MODEL_WEIGHT_BYTES = its size;
#   - samples/generate.c with --weights BLOB --verify-weights gives logits
#     bit-identical to the embedded build's (teacher forcing on IDS_FILE);
#   - generate refuses to start without --weights or with a truncated blob
#     (GQCRT_ERR_BAD_BLOB, -8);
#   - tests/e2e/weights_file.c: every kind of bad blob is refused.
# Finally both backends must have written the same header and blob.
#
#   usage: weights_file.sh MODEL.gguf IDS_FILE [gqc options...]
#   env:   GQC, CC, GQC_RT_INCLUDE, GQC_RT_LIB, GQC_SAMPLES, GQC_RUNNER,
#          GQC_LDFLAGS, READELF (default readelf), NM (default nm), BACKENDS (default "llvm c")
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/instrumentation.sh"
model=$1 ids=$2
shift 2
e2e_tmpdir weights-file
readelf=${READELF:-readelf}
# section OBJ NAME: "offset size" of section NAME (hex), nothing if absent
section() {
  "$readelf" -S -W "$1" | sed 's/^ *\[ *[0-9]*\] *//' |
    awk -v n="$2" '$1 == n {print $4, $5}'
}
for backend in ${BACKENDS:-llvm c}; do
  emb=$tmp/$backend-embedded ext=$tmp/$backend-file
  mkdir "$emb" "$ext"
  "$GQC" "$model" -o "$emb/model.o" --backend "$backend" "$@"
  "$GQC" "$model" -o "$ext/model.o" --backend "$backend" --weights=file "$@"
  [ -f "$ext/model.weights" ] || fail "$backend: no model.weights beside model.o"
  grep -q '^#define MODEL_WEIGHTS_EXTERNAL 1' "$ext/model.h" || fail "$backend: header lacks MODEL_WEIGHTS_EXTERNAL"
  grep -q 'MODEL_WEIGHTS_EXTERNAL' "$emb/model.h" && fail "$backend: embedded header says MODEL_WEIGHTS_EXTERNAL"
  want=$(sed -n 's/^#define MODEL_WEIGHT_BYTES \([0-9]*\)ULL.*/\1/p' "$ext/model.h")
  blob=$(wc -c < "$ext/model.weights")
  [ "$blob" -eq "$want" ] || fail "$backend: model.weights has $blob bytes, the header says $want"

  # the blob is the embedded section, byte for byte
  sec=$(section "$emb/model.o" .gqc.weights)
  [ -n "$sec" ] || fail "$backend: the embedded object has no .gqc.weights"
  off=$((0x${sec% *})) size=$((0x${sec#* }))
  [ "$size" -eq "$blob" ] || fail "$backend: embedded .gqc.weights is $size bytes, the blob $blob"
  tail -c +$((off + 1)) "$emb/model.o" | head -c "$size" > "$tmp/section.bin"
  cmp -s "$tmp/section.bin" "$ext/model.weights" ||
    fail "$backend: model.weights differs from the embedded .gqc.weights section"

  # no weights in the file-mode object
  sec=$(section "$ext/model.o" .gqc.weights)
  if [ -n "$sec" ] && [ $((0x${sec#* })) -ne 0 ]; then
    fail "$backend: the --weights=file object has a non-empty .gqc.weights section"
  fi
  # the API gains exactly model_init_weights and model_verify_weights
  # (symbols of a sanitizer build's instrumentation, GQC_CFLAGS, are not ours)
  "${NM:-nm}" -g --defined-only "$emb/model.o" | awk '{print $3}' | not_instrumentation |
    sort > "$tmp/api-emb"
  "${NM:-nm}" -g --defined-only "$ext/model.o" | awk '{print $3}' | not_instrumentation |
    sort > "$tmp/api-ext"
  printf 'model_init_weights\nmodel_verify_weights\n' | sort -m - "$tmp/api-emb" > "$tmp/api-want"
  cmp -s "$tmp/api-want" "$tmp/api-ext" ||
    fail "$backend: global symbols are not the API plus init_weights/verify_weights: $(echo $(cat "$tmp/api-ext"))"
  if "${NM:-nm}" -u "$ext/model.o" | awk '{print $2}' | not_instrumentation |
    grep -v -e '^gqcrt_' -e '^_GLOBAL_OFFSET_TABLE_$'; then
    fail "$backend: the object references the non-runtime symbols above"
  fi
  obj_emb=$(wc -c < "$emb/model.o") obj_ext=$(wc -c < "$ext/model.o")
  # (the code may grow a little: base-relative addresses need no relocations
  # but some take more instructions)
  [ $((obj_ext + blob)) -le $((obj_emb + 65536)) ] ||
    fail "$backend: the object shrank by $((obj_emb - obj_ext)) bytes only (weights: $blob)"

  # same logits, bit for bit
  link_host_generate "$emb"
  link_host_generate "$ext"
  ${GQC_RUNNER:-} "$emb/generate" --ids "$ids" --logits "$emb/logits.f32" --quiet 2> /dev/null
  ${GQC_RUNNER:-} "$ext/generate" --weights "$ext/model.weights" --verify-weights --ids "$ids" \
    --logits "$ext/logits.f32" --quiet 2> /dev/null
  cmp "$emb/logits.f32" "$ext/logits.f32" || fail "$backend: logits differ from the embedded build"

  # refusals
  if ${GQC_RUNNER:-} "$ext/generate" --ids "$ids" --quiet 2> "$tmp/err"; then
    fail "$backend: generate ran without --weights"
  fi
  head -c $((blob - 64)) "$ext/model.weights" > "$tmp/truncated.weights"
  if ${GQC_RUNNER:-} "$ext/generate" --weights "$tmp/truncated.weights" --ids "$ids" --quiet \
    2> "$tmp/err"; then
    fail "$backend: generate accepted a truncated blob"
  fi
  grep -q 'error -8' "$tmp/err" || fail "$backend: truncated blob: $(cat "$tmp/err")"
  ${CC:-cc} -O2 -std=c11 -Wall -Wextra -Werror -I"$ext" -I"$GQC_RT_INCLUDE" "$here/weights_file.c" \
    "$ext/model.o" "$GQC_RT_LIB" -lm ${GQC_LDFLAGS:-} -o "$ext/weights_file"
  ${GQC_RUNNER:-} "$ext/weights_file" "$ext/model.weights" > "$tmp/checks" ||
    { cat "$tmp/checks"; fail "$backend: weights_file.c"; }
  echo "$who ($backend): object $obj_emb -> $obj_ext bytes, blob $blob bytes," \
    "logits identical, $(grep -c 'want' "$tmp/checks") run-time checks pass"
done
if [ -d "$tmp/llvm-file" ] && [ -d "$tmp/c-file" ]; then
  cmp "$tmp/llvm-file/model.h" "$tmp/c-file/model.h" || fail "the backends' headers differ"
  cmp "$tmp/llvm-file/model.weights" "$tmp/c-file/model.weights" || fail "the backends' blobs differ"
  echo "$who: both backends write the same header and blob"
fi
