#!/bin/sh
# qemu-insncount.sh — runs an AArch64 program under qemu-aarch64 (-cpu
# cortex-a76) with the insncount TCG plugin, which reports the number of
# executed guest instructions (and with sym=N the N hottest symbols) on
# stderr. Instruction counts are repeatable where wall-clock times on a
# shared machine are not; use them to compare kernels. Not part of CI.
#
#   scripts/qemu-insncount.sh PLUGIN PROGRAM [ARGS...]
#
# PLUGIN is either the built libinsncount.so or the plugin's source
# directory (the one with build.sh and insncount.c, e.g. shared/tools/
# qemu-insncount), which is then built into $XDG_CACHE_HOME/gqc (or
# ~/.cache/gqc). The plugin source is not part of this repository, hence the
# argument. Plugin options go in INSNCOUNT_OPTS, e.g. INSNCOUNT_OPTS=sym=20
# or INSNCOUNT_OPTS=sym=20,mem=on.
set -eu
if [ $# -lt 2 ]; then
  echo "usage: $0 PLUGIN(.so or source dir) PROGRAM [ARGS...]" >&2
  exit 2
fi
PLUGIN=$1
shift

if [ -d "$PLUGIN" ]; then
  [ -x "$PLUGIN/build.sh" ] || [ -f "$PLUGIN/build.sh" ] || {
    echo "qemu-insncount: $PLUGIN has no build.sh" >&2
    exit 2
  }
  OUT=${XDG_CACHE_HOME:-$HOME/.cache}/gqc
  mkdir -p "$OUT"
  if [ ! -f "$OUT/libinsncount.so" ] || [ "$PLUGIN/insncount.c" -nt "$OUT/libinsncount.so" ]; then
    sh "$PLUGIN/build.sh" "$OUT" >/dev/null
  fi
  PLUGIN=$OUT/libinsncount.so
fi
[ -f "$PLUGIN" ] || {
  echo "qemu-insncount: plugin $PLUGIN not found" >&2
  exit 2
}
case "$PLUGIN" in
/*) ;;
*) PLUGIN=$(pwd)/$PLUGIN ;;
esac

OPTS=${INSNCOUNT_OPTS:-}
exec qemu-aarch64 -cpu cortex-a76 -L /usr/aarch64-linux-gnu \
  -plugin "$PLUGIN${OPTS:+,$OPTS}" "$@"
