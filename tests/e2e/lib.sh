# lib.sh — sourced by every e2e script (tests/e2e/*.sh) right after `set -eu`:
# what they all begin with, once.
#
#   $here             this folder (absolute): the C programs the scripts build
#   e2e_tmpdir TAG    a fresh directory $tmp (${TMPDIR:-/tmp}/gqc-TAG-XXXXXX),
#                     removed when the script exits
#   $who              what the script's messages name: the model's stem when
#                     its first argument is a .gguf file, else the script's name
#   fail MESSAGE      prints "FAIL $who: MESSAGE" and exits 1
#   link_generate DIR CC LIB LDFLAGS
#                     links DIR/generate from samples/generate.c ($GQC_SAMPLES),
#                     DIR/model.o (and DIR/model.h) and the runtime library LIB
#                     with the C compiler CC; $GEN_CFLAGS are added to the
#                     compile, LDFLAGS to the link
#   link_host_generate DIR
#                     link_generate for this machine: ${CC:-cc}, $GQC_RT_LIB,
#                     $GQC_LDFLAGS
#   build_generate DIR CC LIB LDFLAGS [gqc options...]
#                     compiles $model (the script's) with $GQC into
#                     $tmp/DIR/model.o, then link_generate $tmp/DIR CC LIB LDFLAGS
#   host_generate DIR [gqc options...]
#                     build_generate for this machine
# Needs $GQC_RT_INCLUDE for the builds.
here=$(cd "$(dirname "$0")" && pwd)
case ${1:-} in
*.gguf) who=$(basename "$1" .gguf) ;;
*) who=$(basename "$0" .sh) ;;
esac

e2e_tmpdir() {
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/gqc-$1-XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
}

fail() {
  echo "FAIL $who: $*"
  exit 1
}

link_generate() {
  $2 -O2 -std=c11 ${GEN_CFLAGS:-} -I"$1" -I"$GQC_RT_INCLUDE" "$GQC_SAMPLES/generate.c" \
    "$1/model.o" "$3" -lm $4 -o "$1/generate"
}

link_host_generate() {
  link_generate "$1" "${CC:-cc}" "$GQC_RT_LIB" "${GQC_LDFLAGS:-}"
}

build_generate() {
  dir=$tmp/$1 cc=$2 lib=$3 ldflags=$4
  shift 4
  mkdir -p "$dir"
  "$GQC" "$model" -o "$dir/model.o" "$@"
  link_generate "$dir" "$cc" "$lib" "$ldflags"
}

host_generate() {
  target=$1
  shift
  build_generate "$target" "${CC:-cc}" "$GQC_RT_LIB" "${GQC_LDFLAGS:-}" "$@"
}
