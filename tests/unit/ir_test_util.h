/* ir_test_util.h — helpers the compiler's unit tests share for IR text:
 * parse a module from a string, print one back to a malloc'd string.
 * Header-only; include it after <cmocka.h>.
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

#endif
