#!/usr/bin/env python3
"""gen_unicode_tables.py - generate runtime/src/unicode_tables.c.

The byte-level BPE pre-tokenizers classify every code point the way
llama.cpp's src/unicode-data.cpp does: one general-category class per code
point (\\p{L} letters, \\p{N} numbers, \\p{P} punctuation, \\p{S} symbols,
\\p{M} marks, \\p{Z} separators, \\p{C} control/format/private/surrogate,
and "undefined" for unassigned code points) plus the Unicode White_Space
property for \\s. This script writes those classes as a sorted list of range
starts, each packed as (start << 3) | class, which the runtime binary-searches.

Where the data comes from
  --ucd FILE   a UnicodeData.txt (Debian's package `unicode-data` installs one
               as /usr/share/unicode/UnicodeData.txt; that path is used by
               default when it exists);
  otherwise    Python's own `unicodedata` module (forced by --python).
llama.cpp's table was made from Unicode 15.1. Code points assigned after the
source's version are missing from it, so when the source is older than 15.1
the few 15.1 additions (CJK Extension I and five ideographic description
characters) are added by hand below; additions from 15.0 cannot be patched
that way, so use a 15.0 UnicodeData.txt rather than an older Python.

  --check-llamacpp FILE   compare the result with llama.cpp's
                          src/unicode-data.cpp (category of every code point,
                          the whitespace set) and exit non-zero on a mismatch.

Usage: tools/gen_unicode_tables.py [--ucd FILE | --python] [--check-llamacpp FILE]
                                   [-o runtime/src/unicode_tables.c]
"""

import argparse
import os
import re
import sys
import unicodedata

MAX_CP = 0x110000

# Class numbers; the runtime's flag for class c is (1 << c), which is also
# llama.cpp's unicode_cpt_flags bit for that category.
UNDEFINED, NUMBER, LETTER, SEPARATOR, MARK, PUNCT, SYMBOL, CONTROL = range(8)
CLASS_NAMES = ["UNDEFINED", "NUMBER", "LETTER", "SEPARATOR", "MARK", "PUNCT", "SYMBOL", "CONTROL"]

CATEGORY_CLASS = {
    "Cn": UNDEFINED,
    "Cc": CONTROL, "Cf": CONTROL, "Co": CONTROL, "Cs": CONTROL,
    "Ll": LETTER, "Lm": LETTER, "Lo": LETTER, "Lt": LETTER, "Lu": LETTER,
    "Mc": MARK, "Me": MARK, "Mn": MARK,
    "Nd": NUMBER, "Nl": NUMBER, "No": NUMBER,
    "Pc": PUNCT, "Pd": PUNCT, "Pe": PUNCT, "Pf": PUNCT, "Pi": PUNCT, "Po": PUNCT, "Ps": PUNCT,
    "Sc": SYMBOL, "Sk": SYMBOL, "Sm": SYMBOL, "So": SYMBOL,
    "Zl": SEPARATOR, "Zp": SEPARATOR, "Zs": SEPARATOR,
}

# The White_Space property (PropList.txt); unchanged since Unicode 6.3.
WHITE_SPACE = [
    0x0009, 0x000A, 0x000B, 0x000C, 0x000D, 0x0020, 0x0085, 0x00A0, 0x1680,
    0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008,
    0x2009, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000,
]

# Unicode 15.1 additions: (first, last, category).
UNICODE_15_1_ADDITIONS = [
    (0x2FFC, 0x2FFF, "So"),   # ideographic description characters
    (0x31EF, 0x31EF, "So"),   # CJK stroke HXG
    (0x2EBF0, 0x2EE5D, "Lo"), # CJK Unified Ideographs Extension I
]


def version_tuple(s):
    return tuple(int(x) for x in s.split("."))


def classes_from_ucd(path):
    """Category class per code point, and simple-lowercase pairs, from UnicodeData.txt."""
    cls = bytearray([UNDEFINED]) * MAX_CP
    lower = []
    first = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            fields = line.rstrip("\n").split(";")
            if len(fields) < 15:
                continue
            cp = int(fields[0], 16)
            name, cat = fields[1], fields[2]
            if name.endswith(", First>"):
                first = cp
                continue
            if name.endswith(", Last>"):
                for c in range(first, cp + 1):
                    cls[c] = CATEGORY_CLASS[cat]
                first = None
                continue
            cls[cp] = CATEGORY_CLASS[cat]
            if fields[13]:
                lower.append((cp, int(fields[13], 16)))
    return cls, lower


def ucd_version(path):
    """Best-effort Unicode version of a UCD directory (ReadMe.txt or DerivedAge.txt)."""
    d = os.path.dirname(path)
    for name in ("DerivedAge.txt", "ReadMe.txt"):
        p = os.path.join(d, name)
        if os.path.exists(p):
            with open(p, encoding="utf-8") as f:
                head = f.read(4096)
            m = re.search(r"DerivedAge-(\d+\.\d+\.\d+)", head) or re.search(
                r"Version (\d+\.\d+\.\d+)", head)
            if m:
                return m.group(1)
    return "0.0.0"


def classes_from_python():
    cls = bytearray([UNDEFINED]) * MAX_CP
    lower = []
    for cp in range(MAX_CP):
        ch = chr(cp)
        cls[cp] = CATEGORY_CLASS[unicodedata.category(ch)]
        lo = ch.lower()
        if len(lo) == 1 and lo != ch:
            lower.append((cp, ord(lo)))
    return cls, lower


def apply_15_1(cls, version):
    if version_tuple(version) >= (15, 1, 0):
        return
    for first, last, cat in UNICODE_15_1_ADDITIONS:
        for c in range(first, last + 1):
            cls[c] = CATEGORY_CLASS[cat]


def ranges(cls):
    out = []
    prev = None
    for cp in range(MAX_CP):
        if cls[cp] != prev:
            out.append((cp, cls[cp]))
            prev = cls[cp]
    return out


def check_lowercase(lower):
    """The contraction rules compare tolower(c) with s t m d r e v l; the
    runtime uses ASCII tolower, which is right only if no other code point
    lowercases to one of those letters."""
    targets = set(map(ord, "stmdrevl"))
    bad = [(a, b) for a, b in lower if b in targets and not (0x41 <= a <= 0x5A)]
    if bad:
        sys.exit("non-ASCII code points lowercase to contraction letters: %r" % bad)


def check_llamacpp(cls, path):
    text = open(path, encoding="utf-8").read()
    m = re.search(r"unicode_ranges_flags\s*=\s*\{(.*?)\n\};", text, re.S)
    pairs = [(int(a, 16), int(b, 16)) for a, b in re.findall(r"\{0x([0-9A-Fa-f]+),\s*0x([0-9A-Fa-f]+)\}", m.group(1))]
    ref = bytearray(MAX_CP)
    for (start, flags), (end, _) in zip(pairs, pairs[1:]):
        c = flags.bit_length() - 1
        for cp in range(start, min(end, MAX_CP)):
            ref[cp] = c
    m = re.search(r"unicode_set_whitespace\s*=\s*\{(.*?)\};", text, re.S)
    ws = sorted(int(x, 16) for x in re.findall(r"0x([0-9A-Fa-f]+)", m.group(1)))
    bad = [cp for cp in range(MAX_CP) if ref[cp] != cls[cp]]
    ok = True
    if bad:
        ok = False
        print("%d code points differ from llama.cpp, e.g.:" % len(bad), file=sys.stderr)
        for cp in bad[:20]:
            print("  U+%04X ours %s llama.cpp %s" % (cp, CLASS_NAMES[cls[cp]], CLASS_NAMES[ref[cp]]),
                  file=sys.stderr)
    if ws != WHITE_SPACE:
        ok = False
        print("whitespace sets differ", file=sys.stderr)
    if ok:
        print("tables agree with %s (all %d code points, %d whitespace)" % (path, MAX_CP, len(ws)))
    return ok


def emit(rs, source, out):
    lines = []
    lines.append("/* unicode_tables.c - Unicode classes for the BPE pre-tokenizers.")
    lines.append(" *")
    lines.append(" * GENERATED by tools/gen_unicode_tables.py; do not edit. Source:")
    lines.append(" * %s." % source)
    lines.append(" * Each entry is (first code point << 3) | class; a range runs to the next")
    lines.append(" * entry's first code point. Classes: 0 undefined, 1 number, 2 letter,")
    lines.append(" * 3 separator, 4 mark, 5 punctuation, 6 symbol, 7 control (see gqcrt_unicode.h).")
    lines.append(" */")
    lines.append('#include "gqcrt_unicode.h"')
    lines.append("")
    lines.append("const uint32_t gqcrt_uni_class_ranges[] = {")
    row = []
    for start, c in rs:
        row.append("0x%07x," % ((start << 3) | c))
        if len(row) == 8:
            lines.append("    " + " ".join(row))
            row = []
    if row:
        lines.append("    " + " ".join(row))
    lines.append("};")
    lines.append("const uint32_t gqcrt_uni_class_n_ranges = %d;" % len(rs))
    lines.append("")
    lines.append("const uint32_t gqcrt_uni_white_space[] = {")
    lines.append("    " + " ".join("0x%04x," % c for c in WHITE_SPACE[:9]))
    lines.append("    " + " ".join("0x%04x," % c for c in WHITE_SPACE[9:18]))
    lines.append("    " + " ".join("0x%04x," % c for c in WHITE_SPACE[18:]))
    lines.append("};")
    lines.append("const uint32_t gqcrt_uni_white_space_n = %d;" % len(WHITE_SPACE))
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ucd", help="UnicodeData.txt to read instead of Python's unicodedata")
    ap.add_argument("--python", action="store_true", help="use Python's unicodedata even if a UCD file exists")
    ap.add_argument("--check-llamacpp", help="llama.cpp's src/unicode-data.cpp to compare with")
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("-o", "--output", default=os.path.join(here, "..", "runtime", "src", "unicode_tables.c"))
    args = ap.parse_args()

    ucd = args.ucd
    if ucd is None and not args.python and os.path.exists("/usr/share/unicode/UnicodeData.txt"):
        ucd = "/usr/share/unicode/UnicodeData.txt"
    if ucd:
        version = ucd_version(ucd)
        cls, lower = classes_from_ucd(ucd)
        source = "UnicodeData.txt %s" % version
    else:
        version = unicodedata.unidata_version
        cls, lower = classes_from_python()
        source = "Python unicodedata %s" % version
        if version_tuple(version) < (15, 0, 0):
            print("warning: Unicode %s is older than llama.cpp's 15.1; code points assigned in 15.0 "
                  "will be classed as undefined (pass --ucd with a 15.x UnicodeData.txt)" % version,
                  file=sys.stderr)
    if version_tuple(version) < (15, 1, 0):
        apply_15_1(cls, version)
        source += " + the Unicode 15.1 additions"
    check_lowercase(lower)
    rs = ranges(cls)
    if args.check_llamacpp:
        if not check_llamacpp(cls, args.check_llamacpp):
            sys.exit(1)
        source += ";\n * identical to llama.cpp's unicode-data.cpp (checked with --check-llamacpp)"
    emit(rs, source, args.output)
    print("wrote %s: %d ranges" % (args.output, len(rs)))


if __name__ == "__main__":
    main()
