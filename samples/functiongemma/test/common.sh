# shellcheck shell=sh
# common.sh — what e2e.sh and constrained.sh share, sourced by both after
# they set `test_name` (the ctest name, for messages) and `tmp_prefix`:
# the environment check, a scratch directory $tmp removed on exit, fail(),
# and make_fg_model CTX OUT.gguf, the random-weight gemma3 whose vocabulary
# has FunctionGemma's control tokens at their real ids (fg-test-vocab on top
# of tiny-gemma3-f32's pieces, then gqc gen-model --vocab-from).
#
# Environment (set by CMake): GQC, GQC_RT_INCLUDE, GQC_RT_LIB, FG_TEST_VOCAB,
# GQC_TEST_DATA; optional CC, GQC_LDFLAGS.
: "${test_name:?}" "${tmp_prefix:?}"
: "${GQC:?}" "${GQC_RT_INCLUDE:?}" "${GQC_RT_LIB:?}" "${FG_TEST_VOCAB:?}" "${GQC_TEST_DATA:?}"
# shellcheck disable=SC2034 # used by the scripts that source this
cc=${CC:-cc}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/$tmp_prefix.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

fail() {
  echo "$test_name: FAIL: $*" >&2
  exit 1
}

make_fg_model() {
  "$FG_TEST_VOCAB" "$GQC_TEST_DATA/models/tiny-gemma3-f32.gguf" "$tmp/vocab.gguf"
  "$GQC" gen-model --arch gemma3 --vocab-from "$tmp/vocab.gguf" --layers 2 --swa-pattern 2 \
    --embd 64 --heads 2 --kv-heads 1 --ff 128 --window 16 --ctx "$1" -o "$2" >/dev/null
}
