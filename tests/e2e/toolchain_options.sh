#!/bin/sh
# toolchain_options.sh — the habits of a C toolchain user, on the gqc command
# line (driver/options.c, driver/compile.c):
#   --emit/-S/-c against the extension of -o; unknown extensions; -o - to
#   stdout (no stray "-.h"), --header FILE; input - from stdin; -MD/-MF;
#   -mcpu=/-march=/--target= aliases; unsupported triples refused before any
#   file is written; --ctx warnings and errors naming the option given; errors
#   that name the option; gqc --version.
# Env: GQC; $1: a small GGUF (stories260K); $2: a quantised one whose weights
# are repacked (tiny-llama-Q8_0), for IR inputs.
set -eu
. "$(dirname "$0")/lib.sh"
model=$1
quant=$2
e2e_tmpdir toolchain-options
cd "$tmp"

# expect_error STATUS TEXT args...: gqc fails with STATUS, stderr has TEXT,
# "gqc: error:"/"gqc: warning:"/"note:" lines only, and nothing is written to the directory.
expect_error() {
  want=$1 text=$2
  shift 2
  mkdir -p "$tmp/e" && cd "$tmp/e"
  set +e
  "$GQC" "$@" >/dev/null 2>"$tmp/err"
  st=$?
  set -e
  cd "$tmp"
  echo "gqc $* -> $st: $(cat "$tmp/err")"
  [ "$st" = "$want" ] || fail "exit $st, expected $want"
  grep -qF -- "$text" "$tmp/err" || fail "no '$text' in the message"
  grep -q '^gqc: error: ' "$tmp/err" || fail "no 'gqc: error: ...' line"
  ! grep -v -e '^gqc: error: ' -e '^gqc: warning: ' -e '^note: ' "$tmp/err" ||
    fail "a line that is not 'gqc: error:', 'gqc: warning:' or 'note:'"
  [ -z "$(ls -A "$tmp/e")" ] || fail "files written: $(ls -A "$tmp/e")"
}

# output kinds
expect_error 2 "--emit asm writes assembly, but the extension .o says an object" \
  "$model" --emit asm -o e.o
expect_error 2 "-S writes assembly, but the extension .o says an object" "$model" -S -o e.o
expect_error 2 "no output with the extension .xyz" "$model" -o a.xyz
"$GQC" "$model" --emit obj -o weights.bin --ctx 64 && file weights.bin | grep -q ELF ||
  fail "--emit obj -o weights.bin"
"$GQC" "$model" -S -o m.s --ctx 64 && grep -q "\.text" m.s || fail "-S"
"$GQC" "$model" -c -o m.o --ctx 64 && file m.o | grep -q relocatable || fail "-c"

# -o -: the object on stdout, no header unless --header
mkdir out && cd out
"$GQC" "$model" -o - --ctx 64 >../stdout.o
[ -z "$(ls -A .)" ] || fail "-o - wrote files: $(ls -A .)"
file ../stdout.o | grep -q relocatable || fail "-o - gave no object"
"$GQC" "$model" -o - --header ../stdout.h --ctx 64 >/dev/null
grep -q "#define MODEL_N_CTX 64" ../stdout.h || fail "--header"
cd ..
expect_error 2 "-o -: c output needs files beside it" "$model" -o - --emit c

# input from stdin, and its depfile (no temporary path in it)
"$GQC" - -o stdin.o -MD --ctx 64 <"$model"
file stdin.o | grep -q relocatable || fail "input -"
[ "$(cat stdin.d)" = "stdin.o:" ] || fail "stdin depfile: $(cat stdin.d)"
"$GQC" "$model" -o dep.o -MF dep.mk --ctx 64
grep -qF "dep.o: $model" dep.mk || fail "-MF: $(cat dep.mk)"

# the target: aliases; the header's stamp; an unsupported triple
"$GQC" "$model" -o a.o --target=aarch64-linux-gnu -mcpu=cortex-a53 --ctx 64
grep -q '#define MODEL_TARGET "aarch64-linux-gnu"' a.h || fail "--target= in the header"
grep -q '#define MODEL_CPU "cortex-a53"' a.h || fail "-mcpu= in the header"
grep -q '#define MODEL_WEIGHTS_SECTION ".gqc.weights"' a.h || fail "weights section macro"
grep -q '#define MODEL_WEIGHT_ALIGN 64' a.h || fail "weight alignment macro"
"$GQC" "$model" -o b.o --target aarch64-none-elf -march=armv8.2-a+dotprod --ctx 64
grep -q '#define MODEL_FEATURES "neon,dotprod"' b.h || fail "-march=armv8.2-a+dotprod: $(grep FEATURES b.h)"
expect_error 2 "unsupported target 'x86_64-w64-mingw32'" "$model" -o w.o --target x86_64-w64-mingw32
expect_error 2 "unsupported target 'arm64-apple-darwin'" "$model" -o w.o --target=arm64-apple-darwin

# options: errors name them
expect_error 2 "--ctx: expected an integer" "$model" -o x.o --ctx=abc
expect_error 2 "--kv-type: expected f32, f16 or q8_0, got 'f8'" "$model" -o x.o --kv-type f8
expect_error 2 "-o: needs a value" "$model" -o
expect_error 2 "unknown option '--frobnicate'" "$model" -o x.o --frobnicate

# context beyond training: a warning with the arena; an error that names --ctx
"$GQC" "$model" -o big.o --ctx 4096 2>warn
grep -q "gqc: warning: .*--ctx 4096 is beyond the 2048 positions the model was trained for; the arena is" warn ||
  fail "--ctx warning: $(cat warn)"
expect_error 1 "gqc: error: --ctx 16777216" "$model" -o x.o --ctx 16777216
grep -q "max-text" "$tmp/err" && ! grep -q "^gqc: error: --max-text" "$tmp/err" || fail "--max-text blamed"

# IR text compiles: the planned IR of `gqc -o x.ir` (repacked weights),
# through `gqc opt`, with --gguf for its weights, gives the same program as
# compiling the GGUF
"$GQC" "$quant" -o plan.ir --ctx 64
grep -q "q8_0_r" plan.ir || fail "no repacked weight in the IR"
"$GQC" opt plan.ir --passes= -o again.ir
"$GQC" again.ir --gguf "$quant" -o from_ir.o
"$GQC" "$quant" -o direct.o --ctx 64
cmp -s from_ir.o direct.o || {
  # the objects may differ in the source file name only; the code must not
  objdump -d from_ir.o | tail -n +4 >a.dis && objdump -d direct.o | tail -n +4 >b.dis &&
    cmp -s a.dis b.dis || fail "the object compiled from IR differs in its code"
  objcopy -O binary -j .gqc.weights from_ir.o a.w && objcopy -O binary -j .gqc.weights direct.o b.w &&
    cmp -s a.w b.w || fail "the object compiled from IR differs in its weights"
}
expect_error 2 "IR text has no weights" "$tmp/again.ir" -o x.o

"$GQC" --version | grep -q "^LLVM backend: " || fail "--version: LLVM"
"$GQC" --version | grep -q "^targets: x86_64-linux-gnu aarch64-linux-gnu x86_64-none-elf aarch64-none-elf" ||
  fail "--version: targets"
echo PASS
