# build_generate.sh — sourced by the e2e scripts that run samples/generate.c:
#
#   build_generate DIR CC LIB LDFLAGS [gqc options...]
#
# compiles $model (the sourcing script's) with $GQC into $tmp/DIR/model.o and
# links $tmp/DIR/generate from samples/generate.c ($GQC_SAMPLES), the object
# and the runtime library LIB with the C compiler CC; $GEN_CFLAGS are added
# to the compile, LDFLAGS to the link. Needs $GQC_RT_INCLUDE.
build_generate() {
  dir=$tmp/$1 cc=$2 lib=$3 ldflags=$4
  shift 4
  mkdir -p "$dir"
  "$GQC" "$model" -o "$dir/model.o" "$@"
  $cc -O2 -std=c11 ${GEN_CFLAGS:-} -I"$dir" -I"$GQC_RT_INCLUDE" "$GQC_SAMPLES/generate.c" \
    "$dir/model.o" "$lib" -lm $ldflags -o "$dir/generate"
}
