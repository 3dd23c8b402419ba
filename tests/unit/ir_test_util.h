/* ir_test_util.h — helpers the compiler's unit tests share for IR text:
 * parse a module from a string, print one back to a malloc'd string, check
 * that printing and parsing round-trip, and the IR text of the tiny test
 * modules. Header-only; include it after <cmocka.h>.
 */
#ifndef GQC_TESTS_IR_TEST_UTIL_H
#define GQC_TESTS_IR_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/ir.h"

/* The module in text (file name "t.ir" in messages), NULL after reporting into d. */
static inline ir_module *parse(const char *text, gqc_diag *d) {
  return ir_parse_module(text, strlen(text), "t.ir", d);
}

/* The module as IR text (free() it). */
static inline char *print_to_string(const ir_module *m) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  ir_print_module(f, m);
  fclose(f);
  return buf;
}

/* The module in text, which must parse (its message fails the test); d is
 * left for what the test checks next. */
static inline ir_module *parse_ok(const char *text, gqc_diag *d) {
  ir_module *m = parse(text, d);
  if (!m)
    fail_msg("%s", d->msg);
  return m;
}

/* The module in text, parsed and verified; an error fails the test. */
static inline ir_module *parse_verified(const char *text) {
  gqc_diag d = {0};
  ir_module *m = parse(text, &d);
  if (!m || !ir_verify(m, "after parse", &d))
    fail_msg("%s", d.msg);
  return m;
}

/* Prints m, parses the text back and prints that again: the two texts must
 * be equal. Returns the printed text (free() it) and, unless again is NULL,
 * the module parsed back in *again (ir_module_free() it). */
static inline char *round_trip(const ir_module *m, ir_module **again) {
  gqc_diag d = {0};
  char *once = print_to_string(m);
  ir_module *m2 = parse(once, &d);
  if (!m2)
    fail_msg("the printed module does not parse: %s", d.msg);
  char *twice = print_to_string(m2);
  assert_string_equal(once, twice);
  free(twice);
  if (again)
    *again = m2;
  else
    ir_module_free(m2);
  return once;
}

/* IR text of the tiny test modules (n_vocab 64, rows of 32, a q8_0 token
 * embedding @tok tied to the output, RMS norm @norm, q projection @wq), for
 * string concatenation. ROWS is "" in @decode and "4, " in a 4-row @prefill.
 *
 * IR_TINY_EMBED_NORM_WQ(ROWS): %x the embedded token(s), %h their norm, %wqt
 * the q projection's weight transposed. */
#define IR_TINY_EMBED_NORM_WQ(ROWS)                                                                \
  "    %e = weight @tok : q8_0[64, 32] rowmajor\n"                                                 \
  "    %x = embed %e, %tok : f32[" ROWS "32]\n"                                                    \
  "    %n = weight @norm : f32[32] rowmajor\n"                                                     \
  "    %h = rms_norm %x, %n {eps = 1e-05} : f32[" ROWS "32]\n"                                     \
  "    %wq = weight @wq : q8_0[32, 32] rowmajor\n"                                                 \
  "    %wqt = transpose %wq : q8_0[32, 32] rowmajor\n"

/* IR_TINY_DECODE_LOGITS, IR_TINY_PREFILL_LOGITS: the end of @decode and of
 * a 4-row @prefill: the residual %y = %a + %x and the logits (of the last
 * row) through the output projection tied to @tok, returned. */
#define IR_TINY_TIED_OUTPUT                                                                        \
  "    %o = weight @tok : q8_0[64, 32] rowmajor\n"                                                 \
  "    %ot = transpose %o : q8_0[32, 64] rowmajor\n"
#define IR_TINY_DECODE_LOGITS                                                                      \
  "    %y = add %a, %x : f32[32]\n" IR_TINY_TIED_OUTPUT "    %logits = matmul %y, %ot : f32[64]\n" \
  "    return %logits\n"                                                                           \
  "  }\n"
#define IR_TINY_PREFILL_LOGITS                                                                     \
  "    %y = add %a, %x : f32[4, 32]\n" IR_TINY_TIED_OUTPUT                                         \
  "    %l = matmul %y, %ot : f32[4, 64]\n"                                                         \
  "    %logits = last_row %l : f32[64]\n"                                                          \
  "    return %logits\n"                                                                           \
  "  }\n"

#endif
