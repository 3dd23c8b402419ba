/* test_options.c — the driver's option table (driver/options.c) and the
 * target list (ir/target.c): every spelling a row accepts, the values it
 * stores, errors for bad values and missing ones, aliases, and the triples
 * gqc accepts and refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "driver/driver.h"
#include "ir/target.h"

/* Parses argv (NULL-terminated) as compile options; returns the last
 * result of gqc_parse_compile_option (1 all consumed, 0 not an option,
 * -1 error) and how many arguments were consumed in *used. */
static int parse(gqc_options *o, const char **args, int *used) {
  int argc = 0;
  while (args[argc])
    argc++;
  gqc_options_init(o);
  int r = 1, i = 0;
  for (; i < argc && r == 1; i++)
    r = gqc_parse_compile_option(o, argc, (char **)args, &i);
  *used = i;
  return r;
}

static void test_value_spellings(void **state) {
  gqc_options o;
  int used;
  const char *a[] = {"--ctx", "64", "--name=story", "-oout.o", "--batch=8", NULL};
  assert_int_equal(parse(&o, a, &used), 1);
  assert_int_equal(o.n_ctx, 64);
  assert_string_equal(o.ctx_option, "--ctx");
  assert_string_equal(o.name, "story");
  assert_string_equal(o.output, "out.o");
  assert_int_equal(o.batch, 8);
  const char *b[] = {"-o", "x.s", "-MF", "x.d", "--header", "h.h", NULL};
  assert_int_equal(parse(&o, b, &used), 1);
  assert_string_equal(o.output, "x.s");
  assert_true(o.write_depfile);
  assert_string_equal(o.depfile, "x.d");
  assert_string_equal(o.header, "h.h");
}

static void test_flags_and_emit(void **state) {
  gqc_options o;
  int used;
  const char *a[] = {"-S", "-MD", "--stats", "-O2", "--print-after-all", NULL};
  assert_int_equal(parse(&o, a, &used), 1);
  assert_string_equal(o.emit, "asm");
  assert_string_equal(o.emit_option, "-S");
  assert_true(o.write_depfile);
  assert_null(o.depfile);
  assert_true(o.stats);
  assert_true(o.pipe.print_after_all);
  /* two different kinds: an error; the same twice is fine */
  const char *b[] = {"-S", "-c", NULL};
  assert_int_equal(parse(&o, b, &used), -1);
  const char *c[] = {"--emit", "obj", "-c", NULL};
  assert_int_equal(parse(&o, c, &used), 1);
  assert_string_equal(o.emit, "obj");
}

static void test_target_aliases(void **state) {
  gqc_options o;
  int used;
  const char *a[] = {"--target=aarch64-linux-gnu", "-mcpu=cortex-a53", NULL};
  assert_int_equal(parse(&o, a, &used), 1);
  assert_string_equal(o.triple, "aarch64-linux-gnu");
  assert_string_equal(o.cpu, "cortex-a53");
  const char *b[] = {"-target", "aarch64-none-elf", "-march=armv8.2-a+dotprod+fp16", NULL};
  assert_int_equal(parse(&o, b, &used), 1);
  assert_string_equal(o.triple, "aarch64-none-elf");
  assert_string_equal(o.cpu, "generic");
  assert_string_equal(o.features, "+dotprod,+fp16");
  const char *c[] = {"-march=x86-64-v3", "--cpu", "znver4", NULL};
  assert_int_equal(parse(&o, c, &used), 1);
  assert_string_equal(o.cpu, "znver4"); /* the last one wins */
}

static void test_errors(void **state) {
  gqc_options o;
  int used;
  const char *bad[][3] = {
      {"--ctx", "abc", NULL},    {"--ctx=0", NULL, NULL},
      {"--kv-type", "f8", NULL}, {"--backend=gcc", NULL, NULL},
      {"--reloc", "none", NULL}, {"--weights=flash", NULL, NULL},
      {"-O9", NULL, NULL},       {"--arena-section", "a b", NULL},
      {"-o", NULL, NULL}, /* no value */
      {"--ctx", NULL, NULL},
  };
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    const char *a[4] = {bad[k][0], bad[k][1], bad[k][2], NULL};
    assert_int_equal(parse(&o, a, &used), -1);
  }
  /* not options of the table: 0, for the caller to report or forward */
  const char *u[] = {"--frobnicate", NULL};
  assert_int_equal(parse(&o, u, &used), 0);
  const char *p[] = {"-p", "Once", NULL};
  assert_int_equal(parse(&o, p, &used), 0);
  /* a longer option is not a shorter one with a value */
  const char *l[] = {"--print-after-all", NULL};
  assert_int_equal(parse(&o, l, &used), 1);
  assert_null(o.pipe.print_after);
}

static void test_target_list(void **state) {
  gqc_target t;
  gqc_diag d = {0};
  const char *const ok[][2] = {
      {"x86_64-linux-gnu", "x86_64-linux-gnu"},         {"aarch64-linux-gnu", "aarch64-linux-gnu"},
      {"x86_64-none-elf", "x86_64-none-elf"},           {"aarch64-none-elf", "aarch64-none-elf"},
      {"x86_64-unknown-linux-gnu", "x86_64-linux-gnu"},
  };
  for (size_t k = 0; k < sizeof ok / sizeof ok[0]; k++) {
    assert_true(gqc_target_init(&t, ok[k][0], "generic", NULL, &d));
    assert_string_equal(t.triple, ok[k][1]);
    assert_int_equal(t.bare_metal, strstr(ok[k][1], "none-elf") != NULL);
  }
  const char *const refused[] = {"x86_64-w64-mingw32", "arm64-apple-darwin",  "aarch64",
                                 "riscv64-linux-gnu",  "x86_64-linux-gnux32", ""};
  for (size_t k = 0; k < sizeof refused / sizeof refused[0]; k++) {
    gqc_diag e = {0};
    assert_false(gqc_target_init(&t, refused[k], NULL, NULL, &e));
    assert_non_null(strstr(e.msg, "unsupported target"));
    assert_non_null(strstr(e.msg, "aarch64-none-elf")); /* the list is in the message */
  }
  int n = 0;
  while (gqc_supported_triple(n))
    n++;
  assert_int_equal(n, 4);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_value_spellings), cmocka_unit_test(test_flags_and_emit),
      cmocka_unit_test(test_target_aliases),  cmocka_unit_test(test_errors),
      cmocka_unit_test(test_target_list),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
