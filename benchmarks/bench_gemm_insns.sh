#!/bin/sh
# bench_gemm_insns.sh — batched prefill on AArch64 by instruction count: per
# token, n_rows matrix-vector (linear) calls against one gemm call, at the
# FunctionGemma shapes of benchmarks/bench_gemm.c, under qemu.
#
#   benchmarks/bench_gemm_insns.sh PLUGIN [BUILD_DIR] [FILTER] [N_ROWS...]
#
# PLUGIN: the qemu insncount TCG plugin, built (libinsncount.so) or as its
# source directory (scripts/qemu-insncount.sh); not part of this repository.
# BUILD_DIR (default build-aarch64-bench): a cross build of the runtime
# (cmake/aarch64-linux-gnu.cmake, GQC_RUNTIME_ONLY, Release), made if needed.
# FILTER: kernel name substring (default: bench_gemm's default kernels).
# N_ROWS: the batch sizes (default 1 4 8 16 32).
#
# bench_gemm --once KERNEL SHAPE N MODE sets the problem up and runs mode 0
# (nothing), 1 (N linear calls) or 2 (one gemm); the instructions a mode
# executed are its plugin total minus mode 0's. Instruction counts are
# repeatable where emulated times are not; they do not show the memory
# traffic a gemm saves on the board (each weight read once per batch, not
# once per token), so the real gain is larger. Not part of CI.
set -eu
. "$(dirname "$0")/aarch64_bench.sh"
aarch64_bench_setup "PLUGIN(.so or source dir) [BUILD_DIR] [FILTER] [N_ROWS...]" "$@"
[ $# -ge 3 ] && shift 3 || shift $#
ROWS=${*:-1 4 8 16 32}
$CC $CFLAGS -D_POSIX_C_SOURCE=199309L "$ROOT/benchmarks/bench_gemm.c" "$LIB" -lm \
  -o "$BUILD/bench_gemm"

insns() { # total instructions of one run
  insncount "$BUILD/bench_gemm" --once "$@"
}
echo "== instructions per token (qemu insncount, -cpu cortex-a76) =="
printf "%-14s %13s %6s %14s %14s %8s\n" kernel "n_in x n_out" n_rows "linear/token" "gemm/token" ratio
for name in $($RUN "$BUILD/bench_gemm" --list ${FILTER:+"$FILTER"}); do
  for shape in 0 1 2; do
    dims=$($RUN "$BUILD/bench_gemm" --once "$name" $shape 1 0)
    for n in $ROWS; do
      base=$(insns "$name" $shape "$n" 0)
      gemv=$(insns "$name" $shape "$n" 1)
      gemm=$(insns "$name" $shape "$n" 2)
      echo "$name $dims $n $base $gemv $gemm" | awk '{
        lin = ($6 - $5) / $4; mm = ($7 - $5) / $4
        printf "%-14s %13s %6d %14d %14d %7.2fx\n", $1, $2 "x" $3, $4, lin, mm, lin / mm }'
    done
  done
done
