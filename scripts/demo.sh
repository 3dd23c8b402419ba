#!/bin/sh
# demo.sh — install what gqc needs, build it, compile the bundled TinyStories
# model (stories260K, a real trained llama) to an object file, link it with
# samples/generate.c and the runtime, and print a story.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C build gqc gqcrt
model=tests/data/models/stories260K.gguf
out=build/demo
mkdir -p "$out"
echo "== gqc $model -o $out/model.o --stats"
./build/gqc "$model" -o "$out/model.o" --stats
cc -O2 -I"$out" -Iruntime/include samples/generate.c "$out/model.o" build/runtime/libgqcrt.a -lm \
  -o "$out/generate"
echo "== $out/generate -p \"Once upon a time\" -n 200"
"$out/generate" -p "Once upon a time" -n 200
