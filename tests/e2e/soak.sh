#!/bin/sh
# soak.sh — tests/e2e/soak.c against a small sliding-window model: a gemma3
# made by gqc gen-model (3 layers, D=64, window 8, layers 0-1 sliding, layer
# 2 global), compiled with --ctx 24 and --batch 4 (for model_prefill): the
# rings of the sliding layers, window + batch - 1 = 11 rows, wrap twice per
# episode.
#   usage: soak.sh BACKEND [STEPS]     (BACKEND: llvm or c; STEPS default 100000)
#   env:   GQC, CC, GQC_RT_INCLUDE, GQC_RT_LIB, GQC_LDFLAGS, GQC_RUNNER
set -eu
. "$(dirname "$0")/lib.sh"
backend=$1
steps=${2:-100000}
e2e_tmpdir soak
window=8
"$GQC" gen-model --arch gemma3 --layers 3 --embd 64 --heads 2 --kv-heads 1 --ff 128 \
  --vocab 300 --window $window --swa-pattern 3 --ctx 64 --type q8_0 -o "$tmp/soak.gguf" >/dev/null
"$GQC" "$tmp/soak.gguf" -o "$tmp/model.o" --backend "$backend" --ctx 24 --batch 4
${CC:-cc} -O1 -g -std=c11 -Wall -Wextra -Werror -DSOAK_WINDOW=$window -I"$tmp" \
  -I"$GQC_RT_INCLUDE" "$here/soak.c" "$tmp/model.o" "$GQC_RT_LIB" -lm ${GQC_LDFLAGS:-} \
  -o "$tmp/soak"
${GQC_RUNNER:-} "$tmp/soak" "$steps"
