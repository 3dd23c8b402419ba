#!/usr/bin/env python3
"""check_memory_map.py — checks a `gqc --memory-map` drawing against the plan.

    check_memory_map.py MAP.svg|MAP.html STATS.txt MODEL.ir

MAP is what `gqc MODEL --memory-map MAP --stats` drew, STATS that command's
--stats output and MODEL.ir the same compile's `-o MODEL.ir` (the final IR,
with `arena N` on every planned value, `scores = N` on attention ops and
`offset N` on caches). Checks that
  - MAP is well-formed XML (an SVG, or an XHTML page holding one);
  - the drawn totals (arena, KV cache, activations, each function's
    activations, weights) are the numbers --stats prints;
  - every planned buffer of the IR is drawn exactly once, and nothing else:
    the caches at their offsets, and per function each value at its offset
    starting at its instruction index, and each attention scratch;
  - the plan drawn is sound: caches lie in [0, kv) without overlapping,
    activations in [kv, kv + the function's activation bytes), and two
    buffers of a function that are live at one instruction do not overlap.
Exits 1 with a message naming the first failure.
"""
import collections
import re
import sys
import xml.etree.ElementTree as ET


def fail(msg):
    print("check_memory_map: FAIL: " + msg)
    sys.exit(1)


def stats_totals(path):
    totals, funcs_section = {}, False
    for line in open(path):
        m = re.match(r"^\s+(weight bytes|arena bytes|kv cache|activations)\s+(\d+)", line)
        if m:
            key = {"weight bytes": "weights", "arena bytes": "arena", "kv cache": "kv",
                   "activations": "activations"}[m.group(1)]
            totals[key] = int(m.group(2))
            funcs_section = key == "activations"
            continue
        m = re.match(r"^\s{6}(\w+)(?: \(batch \d+\))?\s+(\d+)$", line)
        if funcs_section and m:
            totals[m.group(1) + "_activations"] = int(m.group(2))
    for key in ("weights", "arena", "kv", "activations"):
        if key not in totals:
            fail("%s: no '%s' total in the --stats output" % (path, key))
    return totals


def ir_buffers(path):
    """(func, kind, offset, first) of every planned buffer, and each function's length."""
    bufs, lengths, func, index = [], {}, "", 0
    for line in open(path):
        m = re.match(r"^  cache @(\S+) : .* offset (\d+)$", line)
        if m:
            bufs.append(("", "cache", int(m.group(2)), 0))
            continue
        m = re.match(r"^  func @(\w+)\(", line)
        if m:
            func, index = m.group(1), 0
            continue
        if func and line.startswith("  }"):
            lengths[func], func = index, ""
            continue
        if not func or not line.startswith("    "):
            continue
        m = re.search(r" arena (\d+)$", line)
        if m:
            bufs.append((func, "value", int(m.group(1)), index))
        m = re.search(r"scores = (\d+)", line)
        if m:
            bufs.append((func, "scratch", int(m.group(1)), index))
        index += 1
    if not bufs:
        fail("%s: no planned buffer (was it compiled through plan-memory?)" % path)
    return bufs, lengths


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        sys.exit(2)
    map_path, stats_path, ir_path = sys.argv[1:]
    try:
        root = ET.parse(map_path).getroot()
    except ET.ParseError as e:
        fail("%s is not well-formed XML: %s" % (map_path, e))
    svg_ns = "{http://www.w3.org/2000/svg}"
    if map_path.endswith(".html"):
        if root.tag != "{http://www.w3.org/1999/xhtml}html":
            fail("%s: the root is %s, not an XHTML <html>" % (map_path, root.tag))
        svgs = list(root.iter(svg_ns + "svg"))
        if len(svgs) != 1:
            fail("%s: %d <svg> elements, expected 1" % (map_path, len(svgs)))
        root = svgs[0]
    elif root.tag != svg_ns + "svg":
        fail("%s: the root is %s, not <svg>" % (map_path, root.tag))
    for el in root.iter():
        if el.tag.split("}")[-1] in ("script", "image", "foreignObject") or any(
                "href" in k for k in el.attrib):
            fail("%s: not self-contained (%s)" % (map_path, el.tag))

    # totals
    want = stats_totals(stats_path)
    drawn = {}
    for t in root.iter(svg_ns + "text"):
        if "total" in t.get("class", "").split():
            key = t.get("data-key")
            if key in drawn:
                fail("total '%s' drawn twice" % key)
            drawn[key] = int(t.get("data-bytes"))
            if str(drawn[key]) not in "".join(t.itertext()):
                fail("total '%s': the text '%s' does not show %d" %
                     (key, "".join(t.itertext()), drawn[key]))
    for key, v in want.items():
        if drawn.get(key) != v:
            fail("total '%s': drawn %s, --stats says %d" % (key, drawn.get(key), v))
    if drawn["arena"] != drawn["kv"] + drawn["activations"]:
        fail("arena %d != kv %d + activations %d" %
             (drawn["arena"], drawn["kv"], drawn["activations"]))

    # buffers
    rects = [r for r in root.iter(svg_ns + "rect") if "buf" in r.get("class", "").split()]
    drawn_bufs = []
    for r in rects:
        kind = r.get("class").split()[1]
        drawn_bufs.append((r.get("data-func"), kind, int(r.get("data-offset")),
                           int(r.get("data-first")) if kind != "cache" else 0,
                           int(r.get("data-last")), int(r.get("data-bytes")), r.get("data-name")))
    planned, lengths = ir_buffers(ir_path)
    a = collections.Counter(planned)
    b = collections.Counter(x[:4] for x in drawn_bufs)
    if a != b:
        missing, extra = a - b, b - a
        fail("drawn buffers differ from the plan: missing %s, not planned %s" %
             (list(missing.elements())[:5], list(extra.elements())[:5]))
    kv = drawn["kv"]
    caches = sorted((x[2], x[2] + x[5], x[6]) for x in drawn_bufs if x[1] == "cache")
    for (s0, e0, n0), (s1, e1, n1) in zip(caches, caches[1:]):
        if e0 > s1:
            fail("caches %s and %s overlap" % (n0, n1))
    if caches and (caches[0][0] < 0 or caches[-1][1] > kv):
        fail("a cache lies outside [0, kv %d)" % kv)
    for func, n in lengths.items():
        top = kv + drawn.get(func + "_activations", drawn["activations"])
        mine = [x for x in drawn_bufs if x[0] == func]
        for x in mine:
            if not (0 <= x[3] <= x[4] < n):
                fail("@%s %s: lifetime %d..%d outside 0..%d" % (func, x[6], x[3], x[4], n - 1))
            if x[2] < kv or x[2] + x[5] > top:
                fail("@%s %s: [%d, %d) outside the activation region [%d, %d)" %
                     (func, x[6], x[2], x[2] + x[5], kv, top))
        mine.sort(key=lambda x: x[2])
        for i, x in enumerate(mine):
            for y in mine[i + 1:]:
                if y[2] >= x[2] + x[5]:
                    break
                if x[3] <= y[4] and y[3] <= x[4]:
                    fail("@%s %s and %s overlap in memory and in time" % (func, x[6], y[6]))
    print("check_memory_map: %s: %d buffers, totals as --stats" % (map_path, len(drawn_bufs)))


main()
