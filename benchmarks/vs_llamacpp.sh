#!/bin/sh
# vs_llamacpp.sh — gqc against llama.cpp on the same GGUF files, on this
# machine, in one run: every figure a user feels.
#
#   benchmarks/vs_llamacpp.sh [MODEL ...]
#
# MODEL (default: all but qwen3-8b; BENCH_8B=1 adds it):
#   fg-q8_0        FunctionGemma-270M shape, Q8_0
#   fg-mix         FunctionGemma-270M shape, token_embd Q8_0, the rest Q5_1
#   qwen05-q4_0    Qwen2.5-0.5B shape, Q4_0
#   smollm-q4_k_m  SmolLM-135M shape, llama.cpp's Q4_K_M mix (llama-quantize)
#   qwen3-8b       Qwen3-8B shape, Q4_K (4.6 GB; host decode and memory only)
# All random weights (`gqc gen-model`): speed and memory do not depend on
# their values.
#
# Figures, per model (gqc / llama.cpp and the ratio; for speeds > 1 means
# gqc is faster, for instructions and memory < 1 means gqc does less):
#   host decode tg64, 1 and 2 threads      generate -n 64 --ignore-eos  vs llama-bench -n 64
#   host prompt, 1 and 2 threads           a 512-token prompt through model_prefill
#                                          vs llama-bench -p 512
#   host decode after 512 tokens, 1 and 2  32 tokens after that prompt vs llama-bench
#                                          -n 32 -d 512
#   aarch64 instructions per decoded token (run -n 20 - run -n 4) / 16
#   aarch64 instructions per prompt token  (481-token prompt - 5-token prompt) / 476
#   aarch64 instructions, whole run        start-up + 5-token prompt + 1 token
#   peak RSS, host, ctx 1024
# aarch64 figures come from qemu-aarch64 -cpu cortex-a76 with the insncount
# TCG plugin (instructions are time on an in-order Cortex-A55), for gqc
# objects built for cortex-a55 and llama.cpp cross-built for
# armv8.2-a+dotprod+fp16 (llama-completion, one thread, greedy, no
# warm-up: an idle thread's spinning would count as instructions). Then a
# per-op profile of gqc's aarch64 prompt run: instructions per prompt token
# by runtime function.
#
# BENCH_AARCH64=0 leaves out the aarch64 figures (qemu: most of the time),
# BENCH_HOST=0 the host ones (instruction counts do not depend on the
# machine's load: they can run beside other work).
#
# Both sides use one thread unless stated and an F16 KV cache (llama.cpp's
# default; gqc's default is F32, the parity configuration, which reads twice
# the cache bytes per decoded token at depth).
#
# llama.cpp is built from the source node-llama-cpp ships (never copied into
# gqc): LLAMA_CPP_BUILD and LLAMA_CPP_BUILD_ARM64 name existing builds
# (x86: bin/llama-bench, llama-simple, llama-quantize; cross:
# bin/llama-completion), or the script fetches (npm, network) and builds
# both under benchmarks/.llama.cpp (about 30 minutes on 2 cores; needs
# g++-aarch64-linux-gnu). INSNCOUNT is the insncount plugin's source
# directory (default ../shared/tools/qemu-insncount beside the checkout).
# Takes an hour or more: not part of CI; figures depend on the machine and
# its load (run it on a quiet machine).
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
work=${BENCH_DIR:-$root/benchmarks/.work}
mkdir -p "$work"
models=${*:-fg-q8_0 fg-mix qwen05-q4_0 smollm-q4_k_m}
[ "${BENCH_8B:-0}" = 1 ] && [ $# -eq 0 ] && models="$models qwen3-8b"
insncount=${INSNCOUNT:-$root/../shared/tools/qemu-insncount}

[ -x build/gqc ] || {
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null && ninja -C build
}
gqc=$root/build/gqc
rt_x86=$root/build/runtime/libgqcrt.a
rt_a64=$root/build/aarch64/runtime/libgqcrt.a

# ---- llama.cpp -----------------------------------------------------------
src=$root/benchmarks/.llama.cpp
llama=${LLAMA_CPP_BUILD:-$src/build-x86}
llama_a64=${LLAMA_CPP_BUILD_ARM64:-$src/build-arm64}
llama_cmake() { # build-dir [extra args]
  b=$1
  shift
  cmake -S "$src/llama.cpp" -B "$b" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
    -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_SERVER=OFF "$@" \
    >/dev/null
}
if [ ! -x "$llama/bin/llama-bench" ] || [ ! -x "$llama_a64/bin/llama-completion" ]; then
  mkdir -p "$src"
  (cd "$src" && [ -d llama.cpp ] || { npm pack node-llama-cpp@3.22.1 >/dev/null &&
    tar xzf node-llama-cpp-*.tgz && git clone -q package/llama/gitRelease.bundle llama.cpp; })
fi
if [ ! -x "$llama/bin/llama-bench" ] || [ ! -x "$llama/bin/llama-quantize" ]; then
  llama_cmake "$llama" -DGGML_NATIVE=ON
  ninja -C "$llama" llama-bench llama-simple llama-quantize
fi
if [ ! -x "$llama_a64/bin/llama-completion" ]; then
  cat >"$src/aarch64.cmake" <<'EOF'
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
EOF
  llama_cmake "$llama_a64" -DCMAKE_TOOLCHAIN_FILE="$src/aarch64.cmake" -DGGML_NATIVE=OFF \
    -DGGML_CPU_ARM_ARCH=armv8.2-a+dotprod+fp16 -DGGML_OPENMP=OFF
  ninja -C "$llama_a64" llama-completion
fi

# ---- helpers --------------------------------------------------------------
# The model file for a key (made once).
model_file() {
  f=$work/$1.gguf
  if [ ! -f "$f" ]; then
    case $1 in
    fg-q8_0) "$gqc" gen-model --preset functiongemma-270m --type q8_0 -o "$f" ;;
    fg-mix) "$gqc" gen-model --preset functiongemma-270m --type q5_1 --embd-type q8_0 -o "$f" ;;
    qwen05-q4_0) "$gqc" gen-model --preset qwen2.5-0.5b --type q4_0 -o "$f" ;;
    smollm-q4_k_m)
      "$gqc" gen-model --preset smollm-135m --type f32 -o "$work/smollm-f32.gguf"
      "$llama/bin/llama-quantize" "$work/smollm-f32.gguf" "$f" Q4_K_M >/dev/null 2>&1
      rm -f "$work/smollm-f32.gguf"
      ;;
    qwen3-8b)
      "$gqc" gen-model --arch qwen3 --type q4_k --layers 36 --embd 4096 --heads 32 --kv-heads 8 \
        --head-dim 128 --ff 12288 --vocab 151936 --ctx 40960 -o "$f"
      ;;
    esac >/dev/null
  fi
  echo "$f"
}

# The first n words of the benchmark text whose tokenisation (with BOS) has
# at least `want` tokens, written to $2; prints the token count.
prompt_words() { # model out want
  text=$root/benchmarks/prompt.txt
  n=$(wc -w <"$text")
  lo=1 hi=$n
  while [ "$lo" -lt "$hi" ]; do
    mid=$(((lo + hi) / 2))
    c=$("$gqc" tokenize "$1" "$(cut -d' ' -f1-$mid "$text")" | tr ',' '\n' | wc -l)
    if [ "$c" -ge "$3" ]; then hi=$mid; else lo=$((mid + 1)); fi
  done
  cut -d' ' -f1-"$lo" "$text" >"$2"
  "$gqc" tokenize "$1" "$(cat "$2")" | tr ',' '\n' | wc -l
}

# Peak RSS (KiB) of a command, polled from /proc.
peak_rss() {
  "$@" >/dev/null 2>&1 &
  pid=$!
  peak=0
  while kill -0 $pid 2>/dev/null; do
    v=$(awk '/VmHWM/ {print $2}' /proc/$pid/status 2>/dev/null || echo 0)
    [ -n "$v" ] && [ "$v" -gt "$peak" ] && peak=$v
    sleep 0.02
  done
  wait $pid || true
  echo "$peak"
}

# Instructions of an aarch64 run under qemu (with INSNCOUNT_OPTS for the
# plugin's options); the plugin's report lines go to $INSNS_LOG.
insns() {
  INSNCOUNT_OPTS=${INSNCOUNT_OPTS:-} "$root/scripts/qemu-insncount.sh" "$insncount" "$@" \
    2>"$work/insns.log" >/dev/null || true
  sed -n 's/^insncount: insns \([0-9]*\).*/\1/p' "$work/insns.log"
}

gqc_speed() { # what(prompt|generation) generate-args...
  what=$1
  shift
  "$work/x86/generate" --quiet "$@" 2>&1 |
    sed -n "s/^generate: $what: .*: \([0-9.]*\) tokens\/s.*/\1/p"
}
llama_speed() { # llama-bench args
  "$llama/bin/llama-bench" -r 3 -o csv "$@" 2>/dev/null |
    awk -F, 'NR > 1 {gsub(/"/, "", $0); v = $(NF-1)} END {if (v != "") printf "%.1f\n", v}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "-"; else printf "%.2f", a / b }'; }
per() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { printf "%.1f", (a - b) / n / 1e6 }'; }
row() { printf '| %-44s | %12s | %12s | %6s |\n' "$1" "$2" "$3" "$(ratio "$2" "$3")"; }

# ---- one model --------------------------------------------------------------
bench() {
  key=$1
  m=$(model_file "$key")
  mkdir -p "$work/x86" "$work/a64"
  "$gqc" "$m" -o "$work/x86/model.o" --ctx 1024 --kv-type f16 >/dev/null
  # Far weights (a blob of 1 GiB or more: the 8B) link with the section moved
  # past .bss (docs/llvm-backend.md, "Far weights"), as `gqc run` does.
  far=
  grep -q '_WEIGHTS_FAR' "$work/x86/model.h" && far=-Wl,-T,samples/weights_after_bss.ld
  cc -O2 -I"$work/x86" -Iruntime/include samples/generate.c "$work/x86/model.o" "$rt_x86" -lm \
    $far -o "$work/x86/generate"
  n512=$(prompt_words "$m" "$work/p512.txt" 512)
  echo
  echo "## $key ($(basename "$m"), $(($(stat -c %s "$m") / 1048576)) MiB)"
  echo
  printf '| %-44s | %12s | %12s | %6s |\n' figure gqc llama.cpp ratio
  echo "|---|---:|---:|---:|"
  [ "${BENCH_HOST:-1}" = 0 ] || host_figures
  [ "$key" = qwen3-8b ] || [ "${BENCH_AARCH64:-1}" = 0 ] && return 0
  aarch64_figures
}

# Host speeds and memory of model $m (key $key).
host_figures() {
  for t in 1 2; do
    row "host decode tg64, $t thread(s), tok/s" \
      "$(gqc_speed generation -p 'Once upon a time' -n 64 --ignore-eos -t $t)" \
      "$(llama_speed -m "$m" -p 0 -n 64 -t $t)"
  done
  [ "$key" = qwen3-8b ] || for t in 1 2; do
    row "host prompt ($n512 tokens), $t thread(s), tok/s" \
      "$(gqc_speed prompt -p "$(cat "$work/p512.txt")" -n 0 -t $t)" \
      "$(llama_speed -m "$m" -p 512 -n 0 -t $t)"
  done
  [ "$key" = qwen3-8b ] || for t in 1 2; do
    row "host decode after $n512 tokens, $t thread(s)" \
      "$(gqc_speed generation -p "$(cat "$work/p512.txt")" -n 32 --ignore-eos -t $t)" \
      "$(llama_speed -m "$m" -p 0 -n 32 -d 512 -t $t)"
  done
  g=$(peak_rss "$work/x86/generate" -p "Once upon a time" -n 16)
  l=$(peak_rss "$llama/bin/llama-simple" -m "$m" -c 1024 -n 16 "Once upon a time")
  row "peak RSS, host, ctx 1024, MiB" "$((g / 1024))" "$((l / 1024))"
}

# aarch64 instruction counts under qemu, and gqc's profile.
aarch64_figures() {
  "$gqc" "$m" -o "$work/a64/model.o" --target aarch64-linux-gnu --ctx 1024 --kv-type f16 >/dev/null
  aarch64-linux-gnu-gcc -O2 -static -I"$work/a64" -Iruntime/include samples/generate.c \
    "$work/a64/model.o" "$rt_a64" -lm -o "$work/a64/generate"
  n481=$(prompt_words "$m" "$work/p481.txt" 481)
  n5=$(prompt_words "$m" "$work/p5.txt" 5)
  ga=$work/a64/generate
  lc() { # llama-completion ARGS...
    insns "$llama_a64/bin/llama-completion" -m "$m" -t 1 -tb 1 --temp 0 -no-cnv --no-warmup \
      -c 1024 "$@"
  }
  g20=$(insns "$ga" -p "Once upon a time" -n 20 --ignore-eos --quiet)
  g4=$(insns "$ga" -p "Once upon a time" -n 4 --ignore-eos --quiet)
  l20=$(lc -n 20 -p "Once upon a time" --ignore-eos)
  l4=$(lc -n 4 -p "Once upon a time" --ignore-eos)
  row "aarch64 Minsns per decoded token" "$(per "$g20" "$g4" 16)" "$(per "$l20" "$l4" 16)"
  g5=$(insns "$ga" -p "$(cat "$work/p5.txt")" -n 1 --quiet)
  l5=$(lc -n 1 -p "$(cat "$work/p5.txt")")
  g481=$(INSNCOUNT_OPTS=sym=40 insns "$ga" -p "$(cat "$work/p481.txt")" -n 1 --quiet)
  cp "$work/insns.log" "$work/$key.profile.log"
  l481=$(lc -n 1 -p "$(cat "$work/p481.txt")")
  d=$((n481 - n5))
  row "aarch64 Minsns per prompt token ($n481 vs $n5)" "$(per "$g481" "$g5" $d)" \
    "$(per "$l481" "$l5" $d)"
  row "aarch64 Ginsns, start-up + $n5-token prompt + 1" "$(per "$g5" 0 1000)" "$(per "$l5" 0 1000)"
  echo
  echo "gqc aarch64 profile of the $n481-token prompt run, Minsns per prompt token:"
  sed -n 's/^insncount: sym *\([0-9]*\) *\([0-9.]*\)% \(.*\)/\1 \2 \3/p' "$work/$key.profile.log" |
    awk -v n="$n481" '{ printf "  %-36s %7.2f  (%s%%)\n", $3, $1 / n / 1e6, $2 }' | head -20
}

echo "# gqc vs llama.cpp — $(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m)"
for k in $models; do
  bench "$k"
done
