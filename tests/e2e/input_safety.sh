#!/bin/sh
# input_safety.sh — gqc never destroys or waits on its input.
#   1. For every output kind (.o with each backend, .s, .ll, .c, .ir, and the
#      .h, .weights and .vocab written beside them) a model file named like
#      one of the planned outputs is refused before anything is written: one
#      line "refusing to write X: it is the input Y", exit 1, the model
#      byte-for-byte intact, no other file created. Also through a symlink
#      and a hard link, an --arch description, `gqc opt` (and its standard
#      input), `gqc gen-model --vocab-from`, and `gqc run --logits`; and two
#      outputs that would be one file (-o m.h: the object and its header).
#      A hostile file name (newline, ANSI escape, BEL, a non-UTF-8 byte) is
#      escaped in the message.
#   2. Special files as input — a FIFO, a directory, /dev/zero, a socket —
#      are refused at once (no hang: every command runs under `timeout`) as
#      "not a regular file (a KIND)", for the model, --arch, `gqc opt`,
#      `gqc tokenize` and `gqc gen-model --vocab-from`.
#
#   3. A 4 GiB (sparse) model under a 2 GB address-space limit fails with a
#      message naming what was mapped and its size, exit 1.
#
#   usage: input_safety.sh MODEL.gguf ARCH_FILE IR_FILE
#   env:   GQC
set -eu
. "$(dirname "$0")/lib.sh"
model=$1 arch=$2 ir=$3
e2e_tmpdir inputs

# refused EXPECTED_MESSAGE_PART COMMAND...: exit status 1, exactly one line
# containing the part, within 20 s.
refused() {
  want=$1
  shift
  rc=0
  timeout 20 "$@" >"$tmp/out" 2>&1 || rc=$?
  [ "$rc" = 1 ] || fail "exit $rc, not 1: $* ($(cat "$tmp/out"))"
  [ "$(wc -l <"$tmp/out")" = 1 ] || fail "not one line: $*: $(cat "$tmp/out")"
  grep -qF -- "$want" "$tmp/out" || fail "no '$want' in: $(cat "$tmp/out")"
}

# clobber NAME OUT [options]: a copy of the model called NAME, compiled to
# OUT in an otherwise empty directory, is refused and left intact.
clobber() {
  name=$1 out=$2
  shift 2
  d="$tmp/clobber"
  rm -rf "$d" && mkdir "$d"
  cp "$model" "$d/$name"
  (cd "$d" && refused "refusing to write $name: it is the input $name" "$GQC" "$name" -o "$out" "$@")
  cmp -s "$model" "$d/$name" || fail "$name -o $out: the input changed"
  [ "$(ls -A "$d")" = "$name" ] || fail "$name -o $out: left $(ls -A "$d" | tr '\n' ' ')"
  echo "ok: $name -o $out $*"
}

clobber m.o m.o --backend llvm
clobber m.o m.o --backend c
clobber m.h m.o
clobber m.h m.o --backend c
clobber m.weights m.o --weights=file
clobber m.weights m.o --weights=file --backend c
clobber m.s m.s
clobber m.h m.s
clobber m.ll m.ll
clobber m.weights m.ll --weights=file
clobber m.c m.c
clobber m.h m.c
clobber m.vocab m.c
clobber m.weights m.c
clobber m.ir m.ir
clobber m.ir m.ir --emit ir
clobber m m --emit obj

# Through links, and paths that differ only until resolved.
d="$tmp/links"
mkdir -p "$d/sub"
cp "$model" "$d/model.gguf"
ln -s model.gguf "$d/sym.o"
ln "$d/model.gguf" "$d/hard.o"
(cd "$d" && refused "refusing to write sym.o: it is the input model.gguf (the same file)" \
  "$GQC" model.gguf -o sym.o)
(cd "$d" && refused "refusing to write hard.o: it is the input model.gguf (the same file)" \
  "$GQC" model.gguf -o hard.o)
cp "$model" "$d/model.h"
(cd "$d" && refused "refusing to write sub/../model.h: it is the input model.h (the same file)" \
  "$GQC" model.h -o sub/../model.o)
cmp -s "$model" "$d/model.gguf" && cmp -s "$model" "$d/model.h" || fail "a linked input changed"
echo "ok: symlink, hard link, sub/.."

# Two outputs that would be one file.
refused "two outputs would both be written to $tmp/x.h" "$GQC" "$model" -o "$tmp/x.h" --emit obj
refused "two outputs would both be written to $tmp/x.weights" "$GQC" "$model" \
  -o "$tmp/x.weights" --emit obj --weights=file
[ ! -e "$tmp/x.h" ] && [ ! -e "$tmp/x.weights" ] || fail "a refused compile wrote a file"
echo "ok: colliding outputs"

# The description is an input too.
cp "$arch" "$tmp/desc.h"
refused "refusing to write $tmp/desc.h: it is the input $tmp/desc.h" \
  "$GQC" "$model" --arch "$tmp/desc.h" -o "$tmp/desc.o"
cmp -s "$arch" "$tmp/desc.h" || fail "--arch input changed"
echo "ok: --arch"

# --header FILE and the -MD depfile are outputs too (also with -o -), and a
# model read from standard input (`-`) is an input.
cp "$model" "$tmp/hdr.gguf"
refused "refusing to write $tmp/hdr.gguf: it is the input $tmp/hdr.gguf" \
  "$GQC" "$tmp/hdr.gguf" -o "$tmp/hdr.o" --header "$tmp/hdr.gguf"
refused "refusing to write $tmp/hdr.gguf: it is the input $tmp/hdr.gguf" \
  sh -c '"$1" "$2" -o - --header "$2" >/dev/null' sh "$GQC" "$tmp/hdr.gguf"
refused "refusing to write $tmp/hdr.gguf: it is the input $tmp/hdr.gguf" \
  "$GQC" "$tmp/hdr.gguf" -o "$tmp/hdr.o" -MD -MF "$tmp/hdr.gguf"
cp "$model" "$tmp/hdr.d"
refused "refusing to write $tmp/hdr.d: it is the input $tmp/hdr.d" \
  "$GQC" "$tmp/hdr.d" -o "$tmp/hdr.o" -MD
refused "two outputs would both be written to $tmp/hdr.o" \
  "$GQC" "$tmp/hdr.gguf" -o "$tmp/hdr.o" --header "$tmp/hdr.o"
refused "refusing to write $tmp/hdr.gguf: it is the input standard input" \
  sh -c '"$1" - -o "$2" --emit obj <"$2"' sh "$GQC" "$tmp/hdr.gguf"
refused "refusing to write $tmp/hdr.gguf: it is the input standard input" \
  sh -c '"$1" - -o "$2.o" --header "$2" <"$2"' sh "$GQC" "$tmp/hdr.gguf"
cmp -s "$model" "$tmp/hdr.gguf" && cmp -s "$model" "$tmp/hdr.d" || fail "--header/-MD input changed"
[ ! -e "$tmp/hdr.o" ] && [ ! -e "$tmp/hdr.h" ] || fail "a refused compile wrote a file"
"$GQC" - -o "$tmp/stdin.o" --header "$tmp/stdin-hdr.h" <"$model" || fail "gqc - failed"
[ -s "$tmp/stdin.o" ] && [ -s "$tmp/stdin-hdr.h" ] || fail "gqc - wrote no object or header"
rm -f "$tmp/stdin.o" "$tmp/stdin-hdr.h"
echo "ok: --header, -MD, stdin"

# gqc opt: the file, and standard input redirected from the output.
cp "$ir" "$tmp/in.ir"
refused "refusing to write $tmp/in.ir: it is the input $tmp/in.ir" \
  "$GQC" opt "$tmp/in.ir" --passes=fold-transpose -o "$tmp/in.ir"
refused "refusing to write $tmp/in.ir: it is the input standard input" \
  sh -c '"$1" opt - --passes=fold-transpose -o "$2" <"$2"' sh "$GQC" "$tmp/in.ir"
cmp -s "$ir" "$tmp/in.ir" || fail "gqc opt input changed"
"$GQC" opt - --passes=fold-transpose <"$ir" >"$tmp/stdin.out" || fail "gqc opt - failed"
"$GQC" opt "$ir" --passes=fold-transpose >"$tmp/file.out"
cmp -s "$tmp/stdin.out" "$tmp/file.out" || fail "gqc opt - differs from gqc opt FILE"
echo "ok: gqc opt"

# gen-model's vocabulary source, gqc run's logits file.
cp "$model" "$tmp/v.gguf"
refused "refusing to write $tmp/v.gguf: it is the input $tmp/v.gguf" \
  "$GQC" gen-model --arch llama --type f32 --vocab-from "$tmp/v.gguf" -o "$tmp/v.gguf"
refused "refusing to write $tmp/v.gguf: it is the input $tmp/v.gguf" \
  "$GQC" run "$tmp/v.gguf" --logits "$tmp/v.gguf" -n 1
cmp -s "$model" "$tmp/v.gguf" || fail "gen-model/run input changed"
echo "ok: gen-model, run"

# Special files: refused at once, never waited on.
mkfifo "$tmp/fifo"
mkdir "$tmp/dir"
python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$tmp/sock"
for spec in "$tmp/fifo:a FIFO" "$tmp/dir:a directory" "/dev/zero:a character device" \
  "$tmp/sock:a socket"; do
  f=${spec%%:*} kind=${spec#*:}
  refused "$f: offset 0x0: cannot open: not a regular file ($kind)" "$GQC" "$f" -o "$tmp/s.o"
  refused "cannot read the architecture description: not a regular file ($kind)" \
    "$GQC" "$model" --arch "$f" -o "$tmp/s.o"
  refused "$f: not a regular file ($kind)" "$GQC" opt "$f" --passes=fold-transpose
  refused "not a regular file ($kind)" "$GQC" tokenize "$f" hello
  refused "not a regular file ($kind)" "$GQC" gen-model --arch llama --type f32 \
    --vocab-from "$f" -o "$tmp/s.gguf"
  [ ! -e "$tmp/s.o" ] && [ ! -e "$tmp/s.gguf" ] || fail "a refused compile wrote a file"
  echo "ok: $kind"
done

# A file name is untrusted text too: escaped in the message (one line).
evil="$tmp/evil$(printf '\n\033[2J\a\377')x"
cp "$model" "$evil.gguf"
refused "refusing to write $tmp/evil\x0a\x1b[2J\x07\xffx.gguf: it is the input" \
  "$GQC" "$evil.gguf" -o "$evil.gguf" --emit obj
refused "$tmp/nothere\x0a\x1b[2J.gguf: offset 0x0: cannot open" \
  "$GQC" "$tmp/nothere$(printf '\n\033[2J').gguf" -o "$tmp/s.o"
echo "ok: file names escaped"

# A model larger than the address space allows: one line naming what could
# not be mapped and its size, exit 1 (not "Cannot allocate memory" alone).
# A sanitizer build cannot run under an address-space limit: skipped there.
if (ulimit -v 2000000 && "$GQC" --version) >/dev/null 2>&1; then
  cp "$model" "$tmp/big.gguf"
  truncate -s 4G "$tmp/big.gguf" # sparse: no disk space used
  refused "big.gguf: offset 0x0: cannot map the file's 4.0 GiB (4294967296 bytes) into memory" \
    sh -c 'ulimit -v 2000000 && exec "$1" "$2" -o "$3"' sh "$GQC" "$tmp/big.gguf" "$tmp/big.o"
  rm -f "$tmp/big.gguf"
  echo "ok: a 4 GiB model under ulimit -v 2000000"
else
  echo "skipped: the 4 GiB model under ulimit -v (gqc does not run under the limit here)"
fi
echo "input_safety: all refused, every input intact"
