#!/bin/sh
# prefill_api.sh — builds tests/e2e/prefill_api.c against MODEL compiled by
# gqc (--ctx 16 --batch 4: small enough to fill, several steps per context)
# and runs it: model_prefill's checks, its logits against model_decode's,
# rewinds.
#   usage: prefill_api.sh MODEL.gguf [gqc options...]
#   env:   GQC, CC, GQC_RT_INCLUDE, GQC_RT_LIB, GQC_RUNNER, GQC_LDFLAGS
set -eu
. "$(dirname "$0")/lib.sh"
model=$1
shift
e2e_tmpdir prefill-api
"$GQC" "$model" -o "$tmp/model.o" --name model --ctx 16 --batch 4 "$@"
${CC:-cc} -O1 -g -std=c11 -Wall -Wextra -Werror -I"$tmp" -I"$GQC_RT_INCLUDE" \
  "$here/prefill_api.c" "$tmp/model.o" "$GQC_RT_LIB" -lm ${GQC_LDFLAGS:-} -o "$tmp/prefill_api"
${GQC_RUNNER:-} "$tmp/prefill_api"
