#!/bin/sh
# arena_section.sh — `gqc --arena-section SECTION`: the arena (KV cache,
# activations) and the tokenizer scratch move from .bss to a section of
# their own that a linker script can place, with identical logits.
#
# For each backend (llvm, c), compiles MODEL with and without
# --arena-section SECTION and checks, with readelf, that in the object
#   - SECTION is NOBITS, allocated and writable (WA), aligned to 64 or more;
#   - model__arena is a local OBJECT symbol in SECTION, at a 64-byte-aligned
#     offset, whose size is the header's MODEL_ARENA_BYTES, and
#     model__tok_scratch is in SECTION as well;
#   - .bss shrank by at least the arena, and the object did not grow by more
#     than 64 KiB (no bytes are stored for a nobits section);
#   - the header says #define MODEL_ARENA_SECTION "SECTION";
# and that the program linked from it (samples/generate.c, teacher forcing on
# IDS_FILE) gives logits bit-identical to the default build's.
#
#   usage: arena_section.sh MODEL.gguf IDS_FILE SECTION [gqc options...]
#   env:   GQC, CC, GQC_RT_INCLUDE, GQC_RT_LIB, GQC_SAMPLES, GQC_RUNNER,
#          GQC_LDFLAGS, READELF (default readelf), BACKENDS (default "llvm c")
set -eu
. "$(dirname "$0")/lib.sh"
model=$1 ids=$2 sect=$3
shift 3
e2e_tmpdir arena-section
readelf=${READELF:-readelf}
# sections OBJ: "index name type ... flags lk inf align" per section
sections() {
  "$readelf" -S -W "$1" | sed -n 's/^ *\[ *\([0-9]*\)\] *\(.*\)/\1 \2/p'
}
# symbol OBJ NAME: "value size type bind section-index"
symbol() {
  "$readelf" -s -W "$1" | awk -v n="$2" '$8 == n {print $2, $3, $4, $5, $7}'
}
bss_size() {
  s=$(sections "$1" | awk '$2 == ".bss" {print $6}')
  echo $((0x${s:-0}))
}
build_run() {
  link_host_generate "$1"
  ${GQC_RUNNER:-} "$1/generate" --ids "$ids" --logits "$1/logits.f32" --quiet 2> /dev/null
}

for backend in ${BACKENDS:-llvm c}; do
  def=$tmp/$backend-default sec=$tmp/$backend-section
  mkdir "$def" "$sec"
  "$GQC" "$model" -o "$def/model.o" --backend "$backend" "$@"
  "$GQC" "$model" -o "$sec/model.o" --backend "$backend" --arena-section "$sect" "$@"
  grep -q "^#define MODEL_ARENA_SECTION \"$sect\"" "$sec/model.h" ||
    fail "$backend: the header does not name the section"
  arena=$(sed -n 's/^#define MODEL_ARENA_BYTES \([0-9]*\)ULL.*/\1/p' "$sec/model.h")

  # index name type address offset size es flags lk inf align
  line=$(sections "$sec/model.o" | awk -v n="$sect" '$2 == n')
  [ -n "$line" ] || fail "$backend: no section $sect"
  field() { echo "$1" | awk -v k="$2" '{print $k}'; }
  idx=$(field "$line" 1) type=$(field "$line" 3) flags=$(field "$line" 8) align=$(field "$line" 11)
  [ "$type" = NOBITS ] || fail "$backend: $sect is $type, not NOBITS"
  [ "$flags" = WA ] || fail "$backend: $sect has flags '$flags', not WA"
  [ "$align" -ge 64 ] || fail "$backend: $sect is aligned to $align"

  # value size type bind section-index
  sym=$(symbol "$sec/model.o" model__arena)
  [ -n "$sym" ] || fail "$backend: no symbol model__arena"
  value=$((0x$(field "$sym" 1))) size=$(($(field "$sym" 2)))
  stype=$(field "$sym" 3) bind=$(field "$sym" 4) ndx=$(field "$sym" 5)
  [ "$ndx" = "$idx" ] || fail "$backend: model__arena is in section $ndx, not $idx ($sect)"
  [ "$size" -eq "$arena" ] || fail "$backend: model__arena has size $size, the header says $arena"
  [ "$stype" = OBJECT ] && [ "$bind" = LOCAL ] || fail "$backend: model__arena is $stype $bind"
  [ $((value % 64)) -eq 0 ] || fail "$backend: model__arena at offset $value is not 64-byte aligned"
  scratch=$(symbol "$sec/model.o" model__tok_scratch)
  [ -n "$scratch" ] && [ "$(field "$scratch" 5)" = "$idx" ] ||
    fail "$backend: model__tok_scratch is not in $sect"

  bss_def=$(bss_size "$def/model.o") bss_sec=$(bss_size "$sec/model.o")
  [ $((bss_def - bss_sec)) -ge "$arena" ] ||
    fail "$backend: .bss went from $bss_def to $bss_sec bytes only (arena: $arena)"
  obj_def=$(wc -c < "$def/model.o") obj_sec=$(wc -c < "$sec/model.o")
  [ "$obj_sec" -le $((obj_def + 65536)) ] ||
    fail "$backend: the object grew from $obj_def to $obj_sec bytes"

  build_run "$def"
  build_run "$sec"
  cmp "$def/logits.f32" "$sec/logits.f32" || fail "$backend: logits differ from the .bss build"
  echo "$who ($backend): model__arena ($arena bytes) and model__tok_scratch in $sect" \
    "(NOBITS, align $align), .bss $bss_def -> $bss_sec bytes, logits identical"
done
