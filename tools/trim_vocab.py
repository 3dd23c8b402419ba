#!/usr/bin/env python3
"""trim_vocab.py — a small copy of a llama.cpp tokenizer test vocabulary.

llama.cpp's tokenizer test suite is a vocabulary-only GGUF per tokenizer
(models/ggml-vocab-NAME.gguf, up to 16 MB) with test strings (.inp) and the
ids llama.cpp gives them (.out, add_special and parse_special off). gqc's
tests ship a trimmed copy of each, small enough to keep in the repository:

  - every token whose text can take part in tokenising the test strings is
    kept: NORMAL tokens whose text occurs in one of the strings as the
    tokenizer sees it (SPM: spaces as U+2581, with the leading one; gpt2 BPE:
    the GPT-2 byte-to-unicode mapping; gemma4 BPE: spaces as U+2581), every
    BYTE, UNKNOWN and CONTROL token, USER_DEFINED tokens whose text occurs in
    a string (they split the text even without parse_special), and the
    tokens the special-id keys name;
  - BPE merges are kept when their result occurs in a string, in their order;
  - the kept tokens keep their order, so ids are renumbered monotonically,
    and the .out ids are renumbered the same way.

Why this is exact: a merge (SPM or BPE) only ever creates a symbol that is a
piece of the text, so every token or merge that could apply to these strings
is kept, and dropping ones that never apply changes no decision (SPM's and
BPE's priority queues only ever pick applicable candidates; ties are broken
by position, and order-preserving renumbering keeps every other tie-break).
The test then checks gqc against llama.cpp's own expected ids.

  usage: trim_vocab.py SRC.gguf SRC.gguf.inp SRC.gguf.out DEST_DIR
writes DEST_DIR/<name>.gguf, .gguf.inp (copied) and .gguf.out (renumbered).
Standard library only (no numpy, no gguf-py).
"""
import os
import struct
import sys

SEP = "\n__ggml_vocab_test__\n"
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6
T_U8, T_I8, T_U16, T_I16, T_U32, T_I32, T_F32, T_BOOL, T_STR, T_ARR, T_U64, T_I64, T_F64 = range(13)
SCALAR = {T_U8: "<B", T_I8: "<b", T_U16: "<H", T_I16: "<h", T_U32: "<I", T_I32: "<i",
          T_F32: "<f", T_BOOL: "<?", T_U64: "<Q", T_I64: "<q", T_F64: "<d"}
SPECIAL_IDS = ["bos", "eos", "eot", "eom", "unknown", "seperator", "padding", "mask", "cls",
               "fim_pre", "fim_suf", "fim_mid", "fim_pad", "fim_rep", "fim_sep"]


class Reader:
    def __init__(self, data):
        self.d, self.p = data, 0

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.d, self.p)[0]
        self.p += struct.calcsize(fmt)
        return v

    def string(self):
        n = self.take("<Q")
        s = self.d[self.p:self.p + n]
        self.p += n
        return s

    def value(self, t):
        if t == T_STR:
            return self.string()
        if t == T_ARR:
            et, n = self.take("<I"), self.take("<Q")
            return (et, [self.value(et) for _ in range(n)])
        return self.take(SCALAR[t])


def read_gguf(path):
    r = Reader(open(path, "rb").read())
    if r.d[:4] != b"GGUF":
        sys.exit(f"{path}: not a GGUF file")
    r.p = 4
    version, n_tensors, n_kv = r.take("<I"), r.take("<Q"), r.take("<Q")
    if n_tensors:
        sys.exit(f"{path}: has tensors; expected a vocabulary-only file")
    kvs = []
    for _ in range(n_kv):
        key = r.string().decode()
        t = r.take("<I")
        kvs.append([key, t, r.value(t)])
    return version, kvs


def pack_value(t, v):
    if t == T_STR:
        return struct.pack("<Q", len(v)) + v
    if t == T_ARR:
        et, items = v
        return struct.pack("<IQ", et, len(items)) + b"".join(pack_value(et, x) for x in items)
    return struct.pack(SCALAR[t], v)


def write_gguf(path, version, kvs):
    out = [b"GGUF", struct.pack("<IQQ", version, 0, len(kvs))]
    for key, t, v in kvs:
        k = key.encode()
        out += [struct.pack("<Q", len(k)), k, struct.pack("<I", t), pack_value(t, v)]
    data = b"".join(out)
    data += b"\0" * (-len(data) % 32)  # the (empty) data section starts aligned
    open(path, "wb").write(data)


def gpt2_byte_map():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def views(text, model):
    """The strings the tokenizer matches token texts against."""
    if model == "gpt2":
        m = gpt2_byte_map()
        return ["".join(m[b] for b in text.encode())]
    escaped = text.replace(" ", "\u2581")
    return [escaped, "\u2581" + escaped]  # SPM also prepends a space


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__.split("\n\n")[-2])
    src, inp_path, out_path, dest = sys.argv[1:]
    version, kvs = read_gguf(src)
    kv = {k: (t, v) for k, t, v in kvs}
    model = kv["tokenizer.ggml.model"][1].decode()
    tokens = [t.decode("utf-8", "surrogateescape") for t in kv["tokenizer.ggml.tokens"][1][1]]
    types = kv["tokenizer.ggml.token_type"][1][1] if "tokenizer.ggml.token_type" in kv else \
        [NORMAL] * len(tokens)
    inp = open(inp_path, encoding="utf-8", newline="").read().split(SEP)
    outs = open(out_path).read().split("\n")
    texts = [v for s in inp for v in views(s, model)]

    def occurs(s):
        return s and any(s in t for t in texts)

    specials = {kv[f"tokenizer.ggml.{n}_token_id"][1] for n in SPECIAL_IDS
                if f"tokenizer.ggml.{n}_token_id" in kv}
    keep = []
    for i, (text, ty) in enumerate(zip(tokens, types)):
        if i in specials or ty in (UNKNOWN, CONTROL, BYTE):
            keep.append(i)
        elif ty == USER_DEFINED:
            if any(text in s for s in inp):
                keep.append(i)
        elif ty == NORMAL and occurs(text):
            keep.append(i)
    new_id = {old: new for new, old in enumerate(keep)}

    trimmed = []
    for key, t, v in kvs:
        if key in ("tokenizer.ggml.tokens", "tokenizer.ggml.scores", "tokenizer.ggml.token_type"):
            v = (v[0], [v[1][i] for i in keep])
        elif key == "tokenizer.ggml.merges":
            v = (v[0], [m for m in v[1]
                        if occurs(m.decode("utf-8", "surrogateescape").replace(" ", "", 1))])
        elif key.startswith("tokenizer.ggml.") and key.endswith("_token_id") and v in new_id:
            v = new_id[v]
        elif key.endswith(".vocab_size"):
            v = len(keep)
        trimmed.append([key, t, v])

    name = os.path.basename(src)
    os.makedirs(dest, exist_ok=True)
    write_gguf(os.path.join(dest, name), version, trimmed)
    with open(os.path.join(dest, name + ".inp"), "w", encoding="utf-8", newline="") as f:
        f.write(SEP.join(inp))
    renumbered = []
    for line in outs:
        ids = line.split()
        missing = [i for i in ids if int(i) not in new_id]
        if missing:
            sys.exit(f"{name}: expected ids {missing} were not kept (a bug in the criterion)")
        renumbered.append("".join(" " + str(new_id[int(i)]) for i in ids))
    with open(os.path.join(dest, name + ".out"), "w") as f:
        f.write("\n".join(renumbered))
    merges = len(kv["tokenizer.ggml.merges"][1][1]) if "tokenizer.ggml.merges" in kv else 0
    print(f"{name}: {model}, {len(keep)} of {len(tokens)} tokens, "
          f"{sum(1 for k, _, v in trimmed if k == 'tokenizer.ggml.merges' for _ in v[1])} of "
          f"{merges} merges, {os.path.getsize(os.path.join(dest, name))} bytes")


if __name__ == "__main__":
    main()
