/* fuzz_ir.c — libFuzzer target for the IR text form (ir/ir_parse.c,
 * ir/ir_verify.c, ir/ir_print.c) and the passes behind `gqc opt`.
 *
 * The input is IR text. The parser must accept it or report one located
 * error ("fuzz.ir:LINE:COL: error: ..."). An accepted module is verified;
 * whatever the verifier says, printing must work, and a verified module
 * must print to text that parses and verifies again and prints the same
 * (the printer and the parser agree). A verified module then goes through
 * every registered pass with the verifier after each, as `gqc opt` would:
 * a pass may refuse the module with a message, never crash.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/ir.h"
#include "ir/target.h"
#include "passes/passes.h"

#define FUZZ_TARGET "fuzz_ir"
#include "fuzz_check.h"

/* The module's text form, malloc'd. */
static char *print_to_string(const ir_module *m, size_t *len) {
  char *buf = NULL;
  size_t n = 0;
  FILE *f = open_memstream(&buf, &n);
  CHECK(f != NULL);
  ir_print_module(f, m);
  CHECK(fclose(f) == 0);
  *len = n;
  return buf;
}

static void check_diag(const gqc_diag *d) {
  CHECK(d->failed);
  CHECK(memchr(d->msg, 0, sizeof d->msg) != NULL);
  CHECK(is_one_printable_line(d->msg));
  CHECK(d->msg[0] != 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 64 * 1024)
    return 0; /* the parser's value lookup is linear per use; keep runs fast */
  gqc_diag d = {0};
  ir_module *m = ir_parse_module((const char *)data, size, "fuzz.ir", &d);
  if (!m) {
    check_diag(&d);
    return 0;
  }
  CHECK(!d.failed);
  gqc_diag vd = {0};
  bool valid = ir_verify(m, "after parsing", &vd);
  if (!valid)
    check_diag(&vd);
  size_t len1;
  char *text1 = print_to_string(m, &len1);
  if (valid) {
    gqc_diag d2 = {0};
    ir_module *m2 = ir_parse_module(text1, len1, "printed.ir", &d2);
    if (!m2) {
      fprintf(stderr, "printed IR does not parse: %s\n--- printed ---\n%s\n", d2.msg, text1);
      abort();
    }
    gqc_diag vd2 = {0};
    if (!ir_verify(m2, "after reparsing", &vd2)) {
      fprintf(stderr, "printed IR does not verify: %s\n--- printed ---\n%s\n", vd2.msg, text1);
      abort();
    }
    size_t len2;
    char *text2 = print_to_string(m2, &len2);
    if (len1 != len2 || memcmp(text1, text2, len1) != 0) {
      fprintf(stderr, "print(parse(print(m))) != print(m)\n--- first ---\n%s\n--- second ---\n%s\n",
              text1, text2);
      abort();
    }
    free(text2);
    ir_module_free(m2);

    gqc_target t;
    gqc_diag td = {0};
    CHECK(gqc_target_init(&t, NULL, "x86-64-v3", NULL, &td));
    for (const gqc_pass_info *p = gqc_passes; p->name; p++) {
      gqc_diag pd = {0};
      gqc_pass_context ctx = {&t, &pd};
      if (!p->run(m, &ctx)) {
        check_diag(&pd);
        break;
      }
      if (!ir_verify(m, p->name, &pd)) {
        fprintf(stderr, "pass %s produced invalid IR: %s\n--- input ---\n%s\n", p->name, pd.msg,
                text1);
        abort();
      }
    }
    size_t len3;
    free(print_to_string(m, &len3));
  }
  free(text1);
  ir_module_free(m);
  return 0;
}
