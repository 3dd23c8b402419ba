#!/bin/sh
# run.sh — runs one golden test: the file's "# RUN:" command (or
# "# RUN-FAIL:", which must exit non-zero), with %s replaced by the file and
# "gqc" (or "timeout N gqc") at its start by the gqc under test; its stdout+stderr are checked against the file's
# CHECK lines by filecheck.
#   usage: run.sh GQC FILECHECK TESTFILE
set -u
gqc=$1 filecheck=$2 test=$3
line=$(grep -m1 -E '^# RUN(-FAIL)?:' "$test") || { echo "$test: no RUN line" >&2; exit 2; }
case "$line" in
  "# RUN-FAIL:"*) expect_fail=1; cmd=${line#"# RUN-FAIL:"} ;;
  *) expect_fail=0; cmd=${line#"# RUN:"} ;;
esac
cmd=$(printf '%s' "$cmd" | sed -e "s|%s|$test|g" -e "s|^ *gqc |$gqc |" \
  -e "s|^ *timeout \([0-9]*\) gqc |timeout \1 $gqc |")
out=$(sh -c "$cmd" 2>&1); rc=$?
if [ $expect_fail = 1 ] && [ $rc = 0 ]; then echo "$test: expected failure, got success" >&2; printf '%s\n' "$out" >&2; exit 1; fi
if [ $expect_fail = 0 ] && [ $rc != 0 ]; then echo "$test: command failed ($rc): $cmd" >&2; printf '%s\n' "$out" >&2; exit 1; fi
printf '%s\n' "$out" | "$filecheck" "$test" || { printf -- '--- output ---\n%s\n' "$out" >&2; exit 1; }
