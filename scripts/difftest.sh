#!/bin/sh
# difftest.sh — differential testing of the generated code, the way compilers
# are tested (Csmith, YARPGen): random programs, compiled every way the
# compiler can compile them, must agree.
#
# For each seed, `gqc gen-model --random SEED` makes a random model
# (tools/genmodel/random_model.h: every architecture, every encoding, per-
# tensor mixes, tied/untied, odd head counts and sizes, dims that are
# multiples of the block size but mostly not of the SIMD width, GQA ratios,
# gemma3 windows); the seed also picks the compiled context (17..48), the
# prefill batch and chunk, and the token ids fed (a whole context's worth, so
# the sliding windows wrap). The model is compiled:
#   llvm      --backend llvm, the host's SIMD kernels (default --cpu)
#   c         --backend c, the same
#   llvm-p    --backend llvm --cpu x86-64: the portable kernels
#   c-p       --backend c --cpu x86-64
#   f16       --backend llvm --kv-type f16
#   a64       --backend llvm --target aarch64-linux-gnu (NEON + dotprod), run
#             under qemu-aarch64 -cpu cortex-a76 with the cross libgqcrt
#   a64-c     --backend c --target aarch64-linux-gnu
# each linked with samples/generate.c and fed the ids token by token (one
# logit row per position), on 1, 2 and 3 threads, and in prefill chunks.
#
# What must agree (compare_logits, tests/tools/compare_logits.c):
#   bit for bit (the design promises it: same kernels, same order)
#     llvm = c, llvm-p = c-p, a64 = a64-c               the two backends
#     -t 2 = -t 3 = -t 1                                 thread counts
#     prefill rows = decode rows at the same positions   prefill vs decode
#     a64 = llvm-p when every matrix is quantised        NEON integer kernels
#     and there is no softcap                            = the scalar ones
#   (a softcap is tanhf of the C library, whose results differ between
#   glibc on x86-64 and on aarch64 in the last bit for ~0.1% of inputs)
#   within the parity tolerance of tests/e2e/CMakeLists.txt for the model's
#   coarsest encoding (f32 1e-3, f16 2e-3, bf16 5e-3, q8_0 1.5e-2, others
#   2e-2; max|diff| as a fraction of the logit spread, and the same argmax
#   wherever the top two are more than twice that apart)
#     llvm-p vs llvm                                     portable vs SIMD
#     a64 vs llvm (float matrices, or a softcap)         NEON vs x86
#   within KV_TOL (default 3e-2, the rounding of K and V to f16)
#     f16 vs llvm                                        --kv-type f16 vs f32
#   and with --llama BUILD, within the parity tolerance
#     llvm vs llama.cpp                                  llama.cpp's numerics
#   (tests/tools/llama_logits.c, compiled against BUILD's static libraries
#   and the llama.cpp sources its CMakeCache.txt names, decodes the same ids
#   one per step on llama.cpp's CPU backend)
#
#   usage: scripts/difftest.sh [-n MODELS] [-s FIRST_SEED] [--quick] [--no-aarch64]
#                              [--keep DIR] [--llama BUILD]
#     -n MODELS     how many random models (default 20)
#     -s SEED       the first seed (default 1); models SEED .. SEED+MODELS-1
#     --quick       fewer builds per model (llvm, c, llvm-p, f16; a64 every
#                   third model): what the test command runs
#     --no-aarch64  skip the aarch64 builds
#     --keep DIR    keep every failing model's files in DIR (default: a
#                   temporary directory, removed unless something failed)
#     --llama BUILD compare with llama.cpp built (static, CPU) in BUILD
#                   (default $LLAMA_CPP_BUILD; none: no llama.cpp comparison)
#   env: GQC, COMPARE, GQC_RT_INCLUDE, GQC_RT_LIB, GQC_SAMPLES, GQC_LDFLAGS,
#        GQC_RT_LIB_AARCH64, AARCH64_CC, QEMU_AARCH64 (defaults: the build in
#        $GQC_BUILD, or build/ beside this script), KV_TOL
# Prints one line per model and a summary; exits 1 if anything disagreed.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${GQC_BUILD:-$root/build}
GQC=${GQC:-$build/gqc}
COMPARE=${COMPARE:-$build/tests/e2e/compare_logits}
GQC_RT_INCLUDE=${GQC_RT_INCLUDE:-$root/runtime/include}
GQC_RT_LIB=${GQC_RT_LIB:-$build/runtime/libgqcrt.a}
GQC_SAMPLES=${GQC_SAMPLES:-$root/samples}
A64_LIB=${GQC_RT_LIB_AARCH64:-$build/aarch64/runtime/libgqcrt.a}
A64_CC=${AARCH64_CC:-aarch64-linux-gnu-gcc}
QEMU=${QEMU_AARCH64:-qemu-aarch64}
KV_TOL=${KV_TOL:-3e-2}

models=20 first=1 quick=0 aarch64=1 keep= llama=${LLAMA_CPP_BUILD:-}
while [ $# -gt 0 ]; do
  case $1 in
  -n) models=$2 shift ;;
  -s) first=$2 shift ;;
  --quick) quick=1 ;;
  --no-aarch64) aarch64=0 ;;
  --keep) keep=$2 shift ;;
  --llama) llama=$2 shift ;;
  *)
    echo "usage: difftest.sh [-n MODELS] [-s FIRST_SEED] [--quick] [--no-aarch64] [--keep DIR]" \
      "[--llama BUILD]" >&2
    exit 2
    ;;
  esac
  shift
done
if [ $aarch64 = 1 ] && { [ ! -f "$A64_LIB" ] || ! command -v "$A64_CC" >/dev/null ||
  ! command -v "$QEMU" >/dev/null; }; then
  echo "difftest: no aarch64 runtime, cross compiler or qemu: aarch64 builds skipped"
  aarch64=0
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/gqc-difftest-XXXXXX")
trap 'rm -rf "$work"' EXIT

# ---- llama.cpp's reference program (--llama) ----------------------------------
if [ -n "$llama" ]; then
  src=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$llama/CMakeCache.txt" 2>/dev/null || true)
  openmp=
  grep -q '^GGML_OPENMP_ENABLED:INTERNAL=ON' "$llama/CMakeCache.txt" 2>/dev/null && openmp=-fopenmp
  if [ -z "$src" ] || ! ${CC:-cc} -O2 -std=c11 -I"$src/include" -I"$src/ggml/include" \
    -c "$root/tests/tools/llama_logits.c" -o "$work/llama_logits.o" ||
    ! ${CXX:-c++} "$work/llama_logits.o" "$llama/src/libllama.a" "$llama/ggml/src/libggml.a" \
      "$llama/ggml/src/libggml-cpu.a" "$llama/ggml/src/libggml-base.a" $openmp -lpthread -lm \
      -o "$work/llama_logits"; then
    echo "difftest: cannot build tests/tools/llama_logits.c against the llama.cpp build $llama" >&2
    exit 1
  fi
fi

# ---- a seeded generator (an LCG; r receives a number in [0, $1)) -----------
rng=1
rand() {
  rng=$(((rng * 1103515245 + 12345) % 2147483648))
  r=$((rng / 65536 % $1))
}

# ---- building and running -----------------------------------------------------
# build NAME [gqc options]: $dir/NAME/generate for the host
build() {
  b=$dir/$1 out=
  shift
  mkdir -p "$b"
  "$GQC" "$dir/m.gguf" -o "$b/model.o" --ctx "$ctx" --batch "$batch" "$@" 2>"$b/gqc.err" ||
    return 1
  ${CC:-cc} -O2 -std=c11 -I"$b" -I"$GQC_RT_INCLUDE" "$GQC_SAMPLES/generate.c" "$b/model.o" \
    "$GQC_RT_LIB" -lm ${GQC_LDFLAGS:-} -o "$b/generate" 2>"$b/cc.err"
}
# build_a64 NAME [gqc options]: the same for aarch64 (static, run under qemu)
build_a64() {
  b=$dir/$1 out=
  shift
  mkdir -p "$b"
  # (a sanitizer build's instrumentation flags are for host programs)
  env -u GQC_CFLAGS -u GQC_LLVM_SANITIZE "$GQC" "$dir/m.gguf" -o "$b/model.o" --ctx "$ctx" \
    --batch "$batch" --target aarch64-linux-gnu "$@" 2>"$b/gqc.err" || return 1
  "$A64_CC" -O2 -std=c11 -I"$b" -I"$GQC_RT_INCLUDE" "$GQC_SAMPLES/generate.c" "$b/model.o" \
    "$A64_LIB" -lm -static -o "$b/generate" 2>"$b/cc.err"
}
# run NAME OUT [generate options]: the logit rows of the ids
run() {
  b=$dir/$1 out=$dir/$2
  shift 2
  runner=
  case $b in */a64*) runner="$QEMU -cpu cortex-a76" ;; esac
  $runner "$b/generate" --ids "$dir/ids" --logits "$out" --quiet "$@" 2>"$out.err"
}

# ---- checks -----------------------------------------------------------------
# note MESSAGE: a disagreement of this model
note() {
  echo "  FAIL seed $seed: $*"
  failures=$((failures + 1))
  model_failed=1
}
# same A B WHAT: bit-identical logits
same() {
  checks=$((checks + 1))
  if ! cmp -s "$dir/$1" "$dir/$2"; then
    detail=$("$COMPARE" "$dir/$1" "$dir/$2" "$vocab" 1 2>&1 | head -1)
    note "$3: $1 and $2 are not bit-identical ($detail)"
  fi
}
# close A B TOL WHAT: within TOL of the spread, and the same argmax wherever
# the top two are more than 2 TOL apart (closer ones may swap within TOL)
close() {
  checks=$((checks + 1))
  margin=$(awk -v t="$3" 'BEGIN { print 2 * t }')
  if ! "$COMPARE" "$dir/$1" "$dir/$2" "$vocab" "$3" "$margin" >"$dir/cmp.out" 2>&1; then
    note "$4: $2 vs $1 beyond $3: $(tr '\n' ' ' <"$dir/cmp.out" | cut -c1-300)"
  fi
  worst=$(sed -n 's/.*worst max|diff|\/spread \([^ ]*\) .*/\1/p' "$dir/cmp.out")
  details="$details $4 ${worst:-?}"
}
# rows_of DECODE OUT: the rows of DECODE at the positions where prefill in
# chunks of $chunk returns logits (the last of each chunk)
rows_of() {
  : >"$dir/$2"
  p=$((chunk - 1))
  while [ $p -lt $n_ids ]; do
    dd if="$dir/$1" bs="$row" skip="$p" count=1 2>/dev/null >>"$dir/$2"
    p=$((p + chunk))
  done
  if [ $((n_ids % chunk)) -ne 0 ]; then
    dd if="$dir/$1" bs="$row" skip=$((n_ids - 1)) count=1 2>/dev/null >>"$dir/$2"
  fi
}
# step NAME COMMAND...: a build or run that must work
step() {
  what=$1
  shift
  if ! "$@"; then
    note "$what failed: $(cat "$b/gqc.err" "$b/cc.err" "${out:-/dev/null}.err" 2>/dev/null |
      tr '\n' ' ' | cut -c1-300)"
    return 1
  fi
}

# The parity tolerance of an encoding (tests/e2e/CMakeLists.txt).
tol_of() {
  case $1 in
  f32) echo 1e-3 ;;
  f16) echo 2e-3 ;;
  bf16) echo 5e-3 ;;
  q8_0) echo 1.5e-2 ;;
  *) echo 2e-2 ;;
  esac
}

checks=0 failures=0 models_done=0 models_failed=0
start=$(date +%s)
seed=$first
while [ $seed -lt $((first + models)) ]; do
  dir=$work/$seed
  mkdir -p "$dir"
  model_failed=0 details= out=
  if ! "$GQC" gen-model --random "$seed" -o "$dir/m.gguf" >"$dir/gen.txt" 2>&1; then
    note "gen-model --random $seed failed: $(cat "$dir/gen.txt")"
    seed=$((seed + 1))
    continue
  fi
  vocab=$(sed -n 's/.* V=\([0-9]*\),.*/\1/p' "$dir/gen.txt")
  matrices=$(sed -n 's/.*; matrices //p' "$dir/gen.txt")
  arch=$(sed -n 's/^[^:]*: \([a-z0-9]*\),.*/\1/p' "$dir/gen.txt")
  # the model's tolerance: its coarsest encoding; bitwise a64 = portable
  # when every matrix is quantised and no libm tanhf is involved
  tol=1e-3 all_quant=1
  grep -q "softcap 0," "$dir/gen.txt" || all_quant=0
  for m in $matrices; do
    t=$(tol_of "${m%%:*}")
    tol=$(awk -v a="$tol" -v b="$t" 'BEGIN { print (b > a ? b : a) }')
    case ${m%%:*} in f32 | f16 | bf16) all_quant=0 ;; esac
  done
  rng=$(((seed * 2654435761 + 97) % 2147483648))
  rand 2 && rand 2 # the first draws of a small seed are alike
  rand 32
  ctx=$((17 + r))
  rand 3
  batch=$(echo "4 8 32" | cut -d' ' -f$((r + 1)))
  rand 9
  chunk=$((2 + r))
  n_ids=$ctx
  : >"$dir/ids"
  i=0
  while [ $i -lt $n_ids ]; do
    rand "$vocab"
    echo $r >>"$dir/ids"
    i=$((i + 1))
  done
  row=$((vocab * 4))

  # host, SIMD kernels: both backends, threads, prefill
  if step "llvm build" build llvm --backend llvm && step "llvm run" run llvm llvm.t1 &&
    step "llvm -t 2" run llvm llvm.t2 -t 2 && step "llvm prefill" run llvm llvm.pf --chunk $chunk; then
    same llvm.t1 llvm.t2 "threads 2 vs 1 (llvm)"
    rows_of llvm.t1 llvm.rows
    same llvm.rows llvm.pf "prefill in chunks of $chunk vs decode (llvm, batch $batch)"
    if [ $quick = 0 ] && step "llvm -t 3" run llvm llvm.t3 -t 3; then
      same llvm.t1 llvm.t3 "threads 3 vs 1 (llvm)"
    fi
    if step "c build" build c --backend c && step "c run" run c c.t1; then
      same llvm.t1 c.t1 "C backend vs LLVM backend"
      if [ $quick = 0 ] && step "c prefill" run c c.pf --chunk $chunk -t 2; then
        same llvm.pf c.pf "prefill, C backend (2 threads) vs LLVM"
      fi
    fi
    # portable kernels
    if step "llvm-p build" build llvm-p --backend llvm --cpu x86-64 &&
      step "llvm-p run" run llvm-p llvm-p.t1; then
      close llvm.t1 llvm-p.t1 "$tol" portable
      if [ $quick = 0 ] && step "c-p build" build c-p --backend c --cpu x86-64 &&
        step "c-p run" run c-p c-p.t1 -t 3; then
        same llvm-p.t1 c-p.t1 "portable kernels: C backend (3 threads) vs LLVM"
      fi
    fi
    # f16 KV cache
    if step "f16 build" build f16 --backend llvm --kv-type f16 && step "f16 run" run f16 f16.t1; then
      close llvm.t1 f16.t1 "$KV_TOL" kv-f16
      if [ $quick = 0 ] && step "f16 -t 2" run f16 f16.t2 -t 2; then
        same f16.t1 f16.t2 "threads 2 vs 1 (kv f16)"
      fi
    fi
    # llama.cpp's numerics
    if [ -n "$llama" ]; then
      if "$work/llama_logits" "$dir/m.gguf" "$dir/ids" "$dir/llama.t1" >"$dir/llama.err" 2>&1; then
        close llama.t1 llvm.t1 "$tol" llama.cpp
      else
        checks=$((checks + 1))
        note "llama.cpp cannot run the model: $(tr '\n' ' ' <"$dir/llama.err" | cut -c1-300)"
      fi
    fi
    # aarch64 under qemu
    if [ $aarch64 = 1 ] && { [ $quick = 0 ] || [ $((seed % 3)) = 0 ]; } &&
      step "a64 build" build_a64 a64 --backend llvm && step "a64 run" run a64 a64.t1; then
      if [ $all_quant = 1 ] && [ -f "$dir/llvm-p.t1" ]; then
        same llvm-p.t1 a64.t1 "aarch64 (NEON integer kernels) vs host portable kernels"
      else
        close llvm.t1 a64.t1 "$tol" aarch64
      fi
      if [ $quick = 0 ]; then
        if step "a64 -t 2" run a64 a64.t2 -t 2 && step "a64 prefill" run a64 a64.pf --chunk $chunk; then
          same a64.t1 a64.t2 "threads 2 vs 1 (aarch64)"
          rows_of a64.t1 a64.rows
          same a64.rows a64.pf "prefill vs decode (aarch64)"
        fi
        if step "a64-c build" build_a64 a64-c --backend c && step "a64-c run" run a64-c a64-c.t1; then
          same a64.t1 a64-c.t1 "aarch64: C backend vs LLVM"
        fi
      fi
    fi
  fi
  models_done=$((models_done + 1))
  summary=$(head -1 "$dir/gen.txt" | sed 's/^[^:]*: //; s/: [0-9]* tensors.*//')
  if [ $model_failed = 1 ]; then
    models_failed=$((models_failed + 1))
    echo "seed $seed: $summary; ctx $ctx, batch $batch, chunk $chunk: FAILED"
    sed -n 2p "$dir/gen.txt"
    if [ -n "$keep" ]; then
      mkdir -p "$keep" && rm -rf "$keep/seed-$seed" && cp -r "$dir" "$keep/seed-$seed"
    fi
  else
    echo "seed $seed: $summary; ctx $ctx, batch $batch, chunk $chunk: ok (worst/spread:$details)"
  fi
  rm -rf "$dir"
  seed=$((seed + 1))
done
elapsed=$(($(date +%s) - start))
echo "difftest: $models_done random models (seeds $first..$((first + models - 1))), $checks" \
  "comparisons, $failures disagreements in $models_failed models, ${elapsed} s"
[ $failures = 0 ]
