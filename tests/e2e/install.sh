#!/bin/sh
# install.sh — gqc as an installed toolchain, end to end:
#   1. cmake --install into a temporary prefix, then move the prefix (no file
#      may depend on where it was installed) and check that no build or
#      source path is compiled into bin/gqc;
#   2. a consumer project (tests/e2e/consumer) with find_package(gqc) and
#      gqc_add_model builds and runs, with no GQC_* variable pointing back
#      into the build tree;
#   3. it rebuilds the model when the GGUF or its description changes (the
#      depfile), and not otherwise;
#   4. pkg-config, and `-o m.c` compiled from another directory;
#   5. with the cross runtime installed: the same consumer with an aarch64
#      toolchain file, run under qemu-aarch64.
# Env: BUILD (the build tree), SRC (the source tree), MODEL (stories260K.gguf).
set -eu
. "$(dirname "$0")/lib.sh"
e2e_tmpdir install
for v in GQC_RUNTIME_LIB GQC_RUNTIME_LIB_AARCH64 GQC_RUNTIME_INCLUDE GQC_SAMPLES_DIR; do
  unset "$v"
done
expect="Once upon a time, there was a little"

cmake --install "$BUILD" --prefix "$tmp/staged" >/dev/null
mv "$tmp/staged" "$tmp/prefix"
P=$tmp/prefix
for f in bin/gqc lib/cmake/gqc/gqcConfig.cmake lib/cmake/gqc/gqcConfigVersion.cmake \
         lib/pkgconfig/gqcrt.pc lib/libgqcrt.a include/gqc/gqcrt.h include/gqc/gqcrt_model.h \
         share/gqc/samples/generate.c share/gqc/samples/firmware/firmware.c; do
  [ -f "$P/$f" ] || { echo "FAIL: $f is not installed"; exit 1; }
done
for p in "$BUILD" "$SRC"; do
  if grep -qF "$p" "$P/bin/gqc" "$P/lib/cmake/gqc/gqcConfig.cmake" "$P/lib/pkgconfig/gqcrt.pc"; then
    echo "FAIL: an installed file names $p"; exit 1
  fi
done
"$P/bin/gqc" --version | grep -q "targets: x86_64-linux-gnu aarch64-linux-gnu" ||
  { echo "FAIL: gqc --version lists no targets"; exit 1; }

# The model and a copy of its description beside it, as a user's would be.
mkdir "$tmp/m"
cp "$MODEL" "$tmp/m/story.gguf"
cp "$SRC/frontend/archs/llama.arch" "$tmp/m/story.arch"

# gqc run from the moved prefix
"$P/bin/gqc" run "$tmp/m/story.gguf" -p "Once upon a time" -n 12 2>/dev/null | grep -q "$expect" ||
  { echo "FAIL: gqc run from the installed prefix"; exit 1; }

# The consumer project.
cmake -S "$SRC/tests/e2e/consumer" -B "$tmp/b" -G Ninja -Dgqc_DIR="$P/lib/cmake/gqc" \
      -DMODEL="$tmp/m/story.gguf" -DARCH="$tmp/m/story.arch" >/dev/null
cmake --build "$tmp/b" >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; exit 1; }
grep -q "gqc: compiling" "$tmp/build.log" || { echo "FAIL: gqc did not run"; exit 1; }
out=$("$tmp/b/story")
echo "$out"
case $out in *"$expect"*) ;; *) echo "FAIL: the consumer's story"; exit 1 ;; esac

# Rebuilds: nothing to do; then the GGUF, then the description.
rebuilds_model() {
  cmake --build "$tmp/b" >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; exit 1; }
  grep -q "gqc: compiling" "$tmp/build.log"
}
if rebuilds_model; then echo "FAIL: rebuilt with nothing changed"; exit 1; fi
sleep 1
touch "$tmp/m/story.gguf"
rebuilds_model || { echo "FAIL: not rebuilt after the GGUF changed"; exit 1; }
sleep 1
echo "# an edit" >>"$tmp/m/story.arch"
rebuilds_model || { echo "FAIL: not rebuilt after the description changed"; exit 1; }
if rebuilds_model; then echo "FAIL: rebuilt again with nothing changed"; exit 1; fi

# pkg-config, and a C output compiled from another directory.
if command -v pkg-config >/dev/null; then
  flags=$(PKG_CONFIG_PATH="$P/lib/pkgconfig" pkg-config --cflags --libs gqcrt)
  mkdir "$tmp/c"
  "$P/bin/gqc" "$tmp/m/story.gguf" -o "$tmp/c/story.c" --name story --ctx 256 --backend c
  (cd / && cc -O1 -c "$tmp/c/story.c" -I"$tmp/c" $flags -o "$tmp/story_c.o")
  (cd / && cc -O1 "$SRC/tests/e2e/consumer/main.c" "$tmp/story_c.o" -I"$tmp/c" $flags \
      -o "$tmp/story_c")
  "$tmp/story_c" | grep -q "$expect" || { echo "FAIL: the pkg-config build"; exit 1; }
fi

# aarch64: a cross toolchain file (a copy: the source tree is not the user's).
if [ -f "$P/lib/gqc/aarch64-linux-gnu/libgqcrt.a" ] && command -v aarch64-linux-gnu-gcc >/dev/null &&
   command -v qemu-aarch64 >/dev/null; then
  cp "$SRC/cmake/aarch64-linux-gnu.cmake" "$tmp/aarch64.cmake"
  cmake -S "$SRC/tests/e2e/consumer" -B "$tmp/b64" -G Ninja -Dgqc_DIR="$P/lib/cmake/gqc" \
        -DCMAKE_TOOLCHAIN_FILE="$tmp/aarch64.cmake" -DMODEL="$tmp/m/story.gguf" >/dev/null
  cmake --build "$tmp/b64" >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; exit 1; }
  file "$tmp/b64/story" | grep -q aarch64 || { echo "FAIL: not an aarch64 program"; exit 1; }
  out=$(qemu-aarch64 -cpu cortex-a76 -L /usr/aarch64-linux-gnu "$tmp/b64/story")
  echo "aarch64: $out"
  case $out in *"$expect"*) ;; *) echo "FAIL: the aarch64 consumer's story"; exit 1 ;; esac
fi
echo "PASS"
