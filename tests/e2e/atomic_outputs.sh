#!/bin/sh
# atomic_outputs.sh — outputs are all or nothing, as with `cc -o`: for every
# output kind, a good compile, then failing compiles with the same -o (each
# failing at a different stage: before writing, in code generation after the
# header, inside LLVM, in the C compiler), then a check that every file of the
# good compile is byte-for-byte intact and nothing else appeared. A failing
# compile into an empty directory leaves it empty.
#
#   usage: atomic_outputs.sh MODEL.gguf
#   env:   GQC
set -eu
. "$(dirname "$0")/lib.sh"
model=$1
e2e_tmpdir atomic

# Failing compiles, each failing at another stage: an option rejected
# before anything is written; a context rejected in code generation, after
# the header has been produced (LLVM backend); a target LLVM rejects while emitting (its
# fatal-error handler exits the process); a C compiler that fails.
failing() { # failing OUT [options]
  out=$1
  shift
  if "$GQC" "$model" -o "$out" --name 9bad "$@" 2>/dev/null; then
    fail "--name 9bad -o $out succeeded"
  fi
  case "$out $*" in
  *"backend c"*)
    if CC=false "$GQC" "$model" -o "$out" "$@" 2>/dev/null; then
      fail "CC=false -o $out succeeded"
    fi
    ;;
  *.c* | *.ir*) ;;
  *)
    if "$GQC" "$model" -o "$out" --ctx 16777216 "$@" 2>/dev/null; then
      fail "--ctx 16777216 -o $out succeeded"
    fi
    case "$out" in *.ll) return ;; esac # LLVM IR is printed, not emitted
    if "$GQC" "$model" -o "$out" --target arm64-apple-darwin "$@" 2>/dev/null; then
      fail "--target arm64-apple-darwin -o $out succeeded"
    fi
    ;;
  esac
}

check() { # check NAME OUT [options]: good compile, failures, files intact
  name=$1
  out=$2
  shift 2
  d="$tmp/$name"
  mkdir -p "$d"
  "$GQC" "$model" -o "$d/$out" "$@" >/dev/null
  (cd "$d" && ls -A >"$tmp/$name.list" && md5sum -- * >"$tmp/$name.sums")
  [ -s "$d/$out" ] || fail "$name: the good compile wrote no $out"
  failing "$d/$out" "$@"
  (cd "$d" && ls -A) | cmp -s - "$tmp/$name.list" ||
    fail "$name: a failed compile changed the set of files: $(cd "$d" && ls -A | tr '\n' ' ')"
  (cd "$d" && md5sum -c --quiet "$tmp/$name.sums") || fail "$name: a failed compile changed a file"
  # A failing compile into an empty directory leaves it empty.
  e="$tmp/$name.empty"
  mkdir "$e"
  failing "$e/$out" "$@"
  [ -z "$(ls -A "$e")" ] || fail "$name: a failed compile left $(ls -A "$e" | tr '\n' ' ')"
  echo "$name: intact after failing compiles"
}

check llvm-object m.o --backend llvm
check llvm-object-weights-file m.o --backend llvm --weights=file
check c-object m.o --backend c
check c-object-weights-file m.o --backend c --weights=file
check c-source m.c
check assembly m.s
check llvm-ir m.ll
check ir m.ir
