# aarch64_bench.sh — sourced by the instruction-count benchmarks
# (bench_gemm_insns.sh, bench_neon_insns.sh): their common arguments, the
# cross build of the runtime and the counting.
#
#   aarch64_bench_setup USAGE "$@"   PLUGIN, BUILD (default
#                                    build-aarch64-bench) and FILTER from the
#                                    script's first three arguments (USAGE,
#                                    the usage line's arguments, when none);
#                                    configures BUILD (cmake/aarch64-linux-gnu
#                                    .cmake, runtime only, Release) if needed
#                                    and builds the runtime library, $LIB
#   insncount PROGRAM [ARGS...]      the total instructions of one run of
#                                    PROGRAM under the qemu insncount plugin
#   $ROOT, $CC, $CFLAGS, $RUN        the repository, the cross compiler and
#                                    its flags, qemu-aarch64 -cpu cortex-a76
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CC=aarch64-linux-gnu-gcc
CFLAGS="-O2 -g -std=c11 -march=armv8.2-a+dotprod+fp16 -I$ROOT/runtime/include -I$ROOT"
RUN="qemu-aarch64 -cpu cortex-a76 -L /usr/aarch64-linux-gnu"

aarch64_bench_setup() {
  usage=$1
  shift
  if [ $# -lt 1 ]; then
    echo "usage: $0 $usage" >&2
    exit 2
  fi
  PLUGIN=$1
  BUILD=${2:-$ROOT/build-aarch64-bench}
  FILTER=${3:-}
  if [ ! -f "$BUILD/CMakeCache.txt" ]; then
    cmake -S "$ROOT" -B "$BUILD" -G Ninja -DGQC_RUNTIME_ONLY=ON -DGQC_BUILD_TESTS=OFF \
      -DCMAKE_BUILD_TYPE=Release -DCMAKE_TOOLCHAIN_FILE="$ROOT/cmake/aarch64-linux-gnu.cmake" \
      >/dev/null
  fi
  ninja -C "$BUILD" -j "${GQC_JOBS:-2}" gqcrt >/dev/null
  LIB=$BUILD/runtime/libgqcrt.a
}

insncount() {
  INSNCOUNT_OPTS= sh "$ROOT/scripts/qemu-insncount.sh" "$PLUGIN" "$@" 2>&1 >/dev/null |
    awk '$2 == "insns" { print $3 }'
}
