#!/bin/sh
# vs_llamacpp.sh — gqc against llama.cpp on the same GGUF, same machine.
#
#   benchmarks/vs_llamacpp.sh [MODEL.gguf] [THREADS...]
#
# Default model: a FunctionGemma-270M-shaped Q8_0 file made by
# `gqc gen-model --preset functiongemma-270m` (random weights; speed and
# memory do not depend on their values). For each thread count it prints
# decode tokens/s of gqc (samples/generate, 64 greedy tokens after a short
# prompt) and of llama.cpp (llama-bench tg64), and the peak RSS of both.
#
# llama.cpp is built once from the source node-llama-cpp ships (never copied
# into gqc): set LLAMA_CPP_BUILD to an existing build directory with
# bin/llama-bench and bin/llama-simple, or the script fetches and builds it
# under benchmarks/.llama.cpp (needs npm, network, ~15 minutes on 2 cores).
# Not part of CI: figures depend on the machine and its load.
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
work=${BENCH_DIR:-$root/benchmarks/.work}
mkdir -p "$work"
[ -x build/gqc ] || { cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null && ninja -C build; }
model=${1:-$work/functiongemma-270m-q8_0.gguf}
[ $# -gt 0 ] && shift
threads=${*:-1 2}
if [ ! -f "$model" ]; then
  ./build/gqc gen-model --preset functiongemma-270m -o "$model"
fi

llama=${LLAMA_CPP_BUILD:-$root/benchmarks/.llama.cpp/build}
if [ ! -x "$llama/bin/llama-bench" ]; then
  src=$root/benchmarks/.llama.cpp
  mkdir -p "$src"
  (cd "$src" && [ -d llama.cpp ] || { npm pack node-llama-cpp >/dev/null &&
    tar xzf node-llama-cpp-*.tgz && git clone -q package/llama/gitRelease.bundle llama.cpp; })
  cmake -S "$src/llama.cpp" -B "$llama" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON \
    -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_SERVER=OFF >/dev/null
  ninja -C "$llama" llama-bench llama-simple
fi

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

./build/gqc "$model" -o "$work/model.o" --ctx 1024 >/dev/null
cc -O2 -I"$work" -Iruntime/include samples/generate.c "$work/model.o" build/runtime/libgqcrt.a \
  -lm -o "$work/generate"
printf '%-8s %-14s %-14s\n' threads "gqc tok/s" "llama.cpp tok/s"
for t in $threads; do
  g=$("$work/generate" -p "Once upon a time" -n 64 -t "$t" --quiet 2>&1 |
    sed -n 's/^generate: generation: .*: \([0-9.]*\) tokens\/s.*/\1/p')
  l=$("$llama/bin/llama-bench" -m "$model" -p 0 -n 64 -t "$t" -r 3 -o csv 2>/dev/null |
    awk -F, 'NR > 1 {gsub(/"/, "", $0); print $(NF-1)}' | tail -1)
  printf '%-8s %-14s %-14s\n' "$t" "$g" "$l"
done
echo "peak RSS: gqc $(peak_rss "$work/generate" -p "Once upon a time" -n 16) KiB, llama.cpp" \
  "$(peak_rss "$llama/bin/llama-simple" -m "$model" -c 1024 -n 16 -t 1 "Once upon a time") KiB" \
  "(both with a 1024-token context)"
