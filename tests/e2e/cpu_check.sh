#!/bin/sh
# cpu_check.sh — an object compiled for CPU features the running CPU lacks
# fails model_init with GQCRT_ERR_CPU instead of faulting (SIGILL):
#   aarch64  -mcpu=cortex-a55 (dotprod, fp16) under qemu-aarch64 -cpu cortex-a53
#            (neither): the named error; under -cpu cortex-a76: runs
#   x86-64   --cpu x86-64-v3 (AVX2, FMA, F16C) under qemu-x86_64 -cpu Nehalem:
#            the named error; on this machine (when it has AVX2): runs
# Env: GQC, GQC_RT_INCLUDE, GQC_RT_LIB (host), GQC_RT_LIB_AARCH64, AARCH64_CC;
# $1: the GGUF.
set -eu
. "$(dirname "$0")/lib.sh"
model=$1
e2e_tmpdir cpu-check

expect() { # expect WANT_STATUS WANT_TEXT COMMAND...
  want=$1 text=$2
  shift 2
  set +e
  out=$("$@" 2>&1)
  st=$?
  set -e
  echo "$* -> $st: $out"
  [ "$st" = "$want" ] || { echo "FAIL: exit $st, expected $want"; exit 1; }
  case $out in *"$text"*) ;; *) echo "FAIL: expected '$text'"; exit 1 ;; esac
}

if [ -n "${GQC_RT_LIB_AARCH64:-}" ] && command -v qemu-aarch64 >/dev/null; then
  mkdir "$tmp/a64"
  "$GQC" "$model" -o "$tmp/a64/model.o" --target aarch64-linux-gnu -mcpu=cortex-a55 --ctx 64
  grep -q '#define MODEL_FEATURES "neon,dotprod,fp16"' "$tmp/a64/model.h"
  "$AARCH64_CC" -O1 -static "$here/cpu_check.c" "$tmp/a64/model.o" -I"$tmp/a64" \
    -I"$GQC_RT_INCLUDE" "$GQC_RT_LIB_AARCH64" -lm -o "$tmp/a64/check"
  expect 3 "GQCRT_ERR_CPU" qemu-aarch64 -cpu cortex-a53 "$tmp/a64/check"
  expect 0 "init: ok" qemu-aarch64 -cpu cortex-a76 "$tmp/a64/check"
fi

mkdir "$tmp/x86"
"$GQC" "$model" -o "$tmp/x86/model.o" --cpu x86-64-v3 --ctx 64
cc -O1 ${GQC_LDFLAGS:-} "$here/cpu_check.c" "$tmp/x86/model.o" -I"$tmp/x86" -I"$GQC_RT_INCLUDE" \
  "$GQC_RT_LIB" -lm -o "$tmp/x86/check"
# (an ASan program, GQC_LDFLAGS in the sanitizer build, cannot map its shadow
# memory under qemu-user: that half is the Release build's)
if [ -z "${GQC_LDFLAGS:-}" ] && command -v qemu-x86_64 >/dev/null; then
  expect 3 "GQCRT_ERR_CPU" qemu-x86_64 -cpu Nehalem "$tmp/x86/check"
fi
if grep -q ' avx2 ' /proc/cpuinfo && grep -q ' fma ' /proc/cpuinfo; then
  expect 0 "init: ok" "$tmp/x86/check"
fi
echo PASS
