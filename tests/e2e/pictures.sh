#!/bin/sh
# pictures.sh — the graph (--graph, --emit dot) and the memory map
# (--memory-map) of a compile. MODEL must have a layer that differs from
# layer 0 after four that do not (tiny-gemma3: layer 5 attends globally).
#
#   - The memory map, as .svg and as .html, is well-formed and self-contained,
#     its totals are the numbers --stats prints, and every planned buffer of
#     the same compile's IR is drawn exactly once, at its offset, from its
#     instruction, and no two live at one instruction overlap
#     (tests/tools/check_memory_map.py).
#   - The graph draws layer 0 expanded (its weights with encoding, storage and
#     bytes, the kernels its ops call) and folds layers 1..4 into one box
#     "layers 1..4 ×4"; layer 5's box says where it differs from layer 0; no
#     weight of a folded layer is drawn; `--emit dot -o x.dot` is the same
#     graph (and writes no header); --graph-after=frontend draws the graph
#     before any pass (matmul of a transpose, no kernels yet); .svg (through
#     Graphviz) is well-formed XML holding the same boxes.
#   - gqc opt draws too, after the passes it ran; without plan-memory a memory
#     map is an error; odd IR (no layer 0, names to escape, a "layer" number
#     larger than the function) draws well-formed files.
#   - Mistakes are one-line errors naming the option, and leave no file.
#
#   usage: pictures.sh MODEL.gguf CHECK_MEMORY_MAP.py PLAN_MEMORY.ir
#   env:   GQC, PYTHON (default python3)
set -eu
. "$(dirname "$0")/lib.sh"
model=$1 checker=$2 golden_ir=$3
py=${PYTHON:-python3}
e2e_tmpdir pictures
wellformed() {
  "$py" -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$1" ||
    fail "$1 is not well-formed XML"
}

# --- memory map ------------------------------------------------------------
"$GQC" "$model" --stats --memory-map "$tmp/map.svg" --graph "$tmp/g.dot" >"$tmp/stats.txt"
"$GQC" "$model" -o "$tmp/m.ir" --memory-map "$tmp/map.html"
"$py" "$checker" "$tmp/map.svg" "$tmp/stats.txt" "$tmp/m.ir"
"$py" "$checker" "$tmp/map.html" "$tmp/stats.txt" "$tmp/m.ir"
# the checker fails on a drawing that disagrees with the plan
sed 's/data-key="kv" data-bytes="\([0-9]*\)"/data-key="kv" data-bytes="1\1"/' "$tmp/map.svg" \
  >"$tmp/bad.svg"
if "$py" "$checker" "$tmp/bad.svg" "$tmp/stats.txt" "$tmp/m.ir" >/dev/null; then
  fail "the checker accepted a wrong KV total"
fi

# --- graph -----------------------------------------------------------------
g=$tmp/g.dot
grep -q 'cluster_f0_layer0' "$g" || fail "no expanded layer 0"
grep -q 'label=<<B>layers 1\.\.4 ×4</B><BR/>each as layer 0' "$g" || fail "layers 1..4 not folded"
grep -q 'label=<<B>layer 5</B><BR/>differs from layer 0: .*window=0 (layer 0: ' "$g" ||
  fail "layer 5's difference (global attention) not shown"
grep -q 'blk\.0\.attn_q\.weight</B><BR/>q8_0\[' "$g" || fail "layer 0's weights not drawn with encoding"
grep -q 'linear_q8_0' "$g" || fail "no kernel names"
if grep -q 'blk\.[1-5]\.' "$g"; then
  fail "a folded layer's weight is drawn"
fi
nodes=$(grep -c '^ *f[0-9]*_[0-9]* \[' "$g")
[ "$nodes" -lt 160 ] || fail "$nodes nodes: layers not folded"
"$GQC" "$model" --emit dot -o "$tmp/e.dot"
cmp -s "$g" "$tmp/e.dot" || fail "--emit dot differs from --graph"
[ ! -e "$tmp/e.h" ] || fail "--emit dot wrote a header"
"$GQC" "$model" --graph "$tmp/f.dot" --graph-after=frontend
grep -q 'after frontend' "$tmp/f.dot" || fail "--graph-after=frontend: wrong title"
grep -q '<B>transpose</B>' "$tmp/f.dot" || fail "--graph-after=frontend: no transpose"
if grep -q 'linear_' "$tmp/f.dot"; then
  fail "--graph-after=frontend: kernels before select-kernels"
fi
"$GQC" "$model" --graph "$tmp/g.svg"
wellformed "$tmp/g.svg"
grep -q 'layers 1\.\.4 ×4' "$tmp/g.svg" || fail "the svg lacks the folded box"

# --- gqc opt ---------------------------------------------------------------
"$GQC" opt "$golden_ir" --passes=plan-memory -o "$tmp/p.ir" --memory-map "$tmp/p.svg" \
  --graph "$tmp/p.dot"
wellformed "$tmp/p.svg"
grep -q 'after plan-memory' "$tmp/p.dot" || fail "gqc opt: graph not after the last pass"
if "$GQC" opt "$golden_ir" --passes=fold-transpose --memory-map "$tmp/q.svg" 2>"$tmp/err"; then
  fail "gqc opt: a memory map without plan-memory succeeded"
fi
grep -q 'no arena plan' "$tmp/err" || fail "gqc opt: $(cat "$tmp/err")"

# odd IR: a name that is not a layer number, characters to escape, no layer
# 0, a layer number no instruction uses; the drawings stay well-formed
cat >"$tmp/odd.ir" <<'EOF'
module @m {
  weight @"blk.99999999999.x&<y>" : f32[4, 64] gguf
  weight @blk.1.w : f32[64] gguf
  weight @blk.2.w : f32[64] gguf
  weight @blk.4.w : f32[64] gguf
  cache @kv.4.k : f32[4, 64]
  cache @kv.4.v : f32[4, 64]
  func @decode(%tok : i32, %pos : i32) -> f32[64] {
    %e = weight @"blk.99999999999.x&<y>" : f32[4, 64] rowmajor
    %x = embed %e, %tok {kernel = "gqcrt_dequantize_f32"} : f32[64]
    %w1 = weight @blk.1.w : f32[64] rowmajor
    %a = mul %x, %w1 : f32[64]
    %w2 = weight @blk.2.w : f32[64] rowmajor
    %b = mul %a, %w2 : f32[64]
    %w4 = weight @blk.4.w : f32[64] rowmajor
    %d = mul %b, %w4 : f32[64]
    %kc = cache @kv.4.k : f32[4, 64]
    %vc = cache @kv.4.v : f32[4, 64]
    %c = attention %d, %d, %d, %kc, %vc, %pos {n_head = 1, n_head_kv = 1, head_dim = 64, scale = 0.125, window = 0} : f32[64]
    return %c
  }
}
EOF
"$GQC" opt "$tmp/odd.ir" --passes=plan-memory -o "$tmp/odd.out.ir" --graph "$tmp/odd.svg" \
  --memory-map "$tmp/odd.html"
wellformed "$tmp/odd.svg"
wellformed "$tmp/odd.html"
"$GQC" opt "$tmp/odd.ir" --passes= -o "$tmp/odd2.ir" --graph "$tmp/odd.dot"
grep -q 'label=<<B>layer 1</B>&#160;(expanded)' "$tmp/odd.dot" || fail "odd IR: layer 1 not expanded"
grep -q 'label=<<B>layer 2</B><BR/>each as layer 1' "$tmp/odd.dot" || fail "odd IR: layer 2 not folded"

# --- mistakes ----------------------------------------------------------------
mistake() { # mistake EXPECTED-MESSAGE gqc-arguments...
  want=$1
  shift
  if (cd "$tmp" && "$GQC" "$@") >"$tmp/out" 2>"$tmp/err"; then
    fail "gqc $* succeeded"
  fi
  [ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "gqc $*: not one line: $(cat "$tmp/err")"
  grep -q "^gqc: error: .*$want" "$tmp/err" || fail "gqc $*: $(cat "$tmp/err")"
}
mkdir "$tmp/empty"
mistake '--memory-map empty/x.png: the file must end in .svg or .html' "$model" --memory-map empty/x.png
mistake '--graph empty/x.txt: the file must end in .dot or .svg' "$model" --graph empty/x.txt
mistake '--graph-after needs --graph' "$model" --graph-after=frontend
mistake "--graph-after: unknown pass 'nope'" "$model" --graph empty/x.dot --graph-after=nope
export GQC_DOT=/nonexistent
mistake "cannot run Graphviz's '/nonexistent'" "$model" --graph empty/x.svg
export GQC_DOT=false
mistake "Graphviz's 'false' failed" "$model" --graph empty/x.svg
unset GQC_DOT
[ -z "$(ls -A "$tmp/empty")" ] || fail "a failed drawing left files: $(ls -A "$tmp/empty")"
echo "pictures: ok"
