/* opt_cmd.c — `gqc opt IN.ir --passes=a,b [-o OUT.ir]`: passes on textual IR.
 *
 * The golden tests (tests/golden) drive passes through this: IR text in,
 * IR text out, compared against expectations.
 */
#include "driver/driver.h"
#include "driver/outputs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The IR to stdout, or to `output` all or nothing (driver/outputs.h). */
static int write_ir(const ir_module *m, const char *output) {
  if (!output) {
    ir_print_module(stdout, m);
    return fflush(stdout) ? 1 : 0;
  }
  gqc_outputs out;
  gqc_diag d = {0};
  char path[8192];
  if (!gqc_outputs_begin_for(&out, output, path, sizeof path, &d)) {
    gqc_print_error(d.msg);
    return 1;
  }
  FILE *f = fopen(path, "w");
  bool ok = f != NULL;
  if (f) {
    ir_print_module(f, m);
    ok = !ferror(f);
    ok = fclose(f) == 0 && ok;
  }
  if (!ok) {
    gqc_outputs_abort(&out);
    fprintf(stderr, "gqc: error: %s: cannot write: %s\n", output, strerror(errno));
    return 1;
  }
  if (!gqc_outputs_commit(&out, &d)) {
    gqc_print_error(d.msg);
    return 1;
  }
  return 0;
}

int gqc_cmd_opt(int argc, char **argv) {
  gqc_options o;
  gqc_options_init(&o);
  const char *passes = NULL;
  for (int i = 0; i < argc; i++) {
    int r = gqc_parse_compile_option(&o, argc, argv, &i);
    if (r < 0)
      return 2;
    if (r)
      continue;
    if (!strncmp(argv[i], "--passes=", 9))
      passes = argv[i] + 9;
    else if (!strcmp(argv[i], "--passes") && i + 1 < argc)
      passes = argv[++i];
    else if (argv[i][0] != '-' && !o.input)
      o.input = argv[i];
    else {
      fprintf(stderr, "gqc: error: unknown option '%s'\nnote: gqc --help lists the options\n",
              argv[i]);
      return 2;
    }
  }
  if (!o.input) {
    fprintf(stderr, "usage: gqc opt IN.ir --passes=PASS[,PASS...] [-o OUT.ir] [--target T]\n");
    return 2;
  }
  size_t len;
  char *text = gqc_read_file(o.input, &len);
  if (!text) {
    fprintf(stderr, "gqc: error: %s: cannot read: %s\n", o.input, strerror(errno));
    return 1;
  }
  gqc_diag d = {0};
  gqc_target t;
  ir_module *m = NULL;
  int rc = 0;
  if (!gqc_target_init(&t, o.triple, o.cpu ? o.cpu : (o.triple ? NULL : "x86-64-v3"), o.features,
                       &d) ||
      !gqc_pipeline_check_options(&o.pipe, &d) || !(m = ir_parse_module(text, len, o.input, &d)) ||
      !gqc_run_passes(m, passes, &t, &o.pipe, &d)) {
    gqc_print_error(d.msg);
    rc = 1;
  } else {
    rc = write_ir(m, o.output);
  }
  ir_module_free(m);
  free(text);
  return rc;
}
