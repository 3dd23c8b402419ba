/* report.c — how the gqc command prints an error: one line on stderr,
 * "gqc: error: ..." (or "gqc opt: error: ..."), escaped like every message
 * (support/escape.h), since it may quote a file name or a value from a file.
 */
#include "driver/driver.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "support/escape.h"

void gqc_print_error(const char *who, const char *fmt, ...) {
  char raw[2048], msg[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(raw, sizeof raw, fmt, ap);
  va_end(ap);
  gqc_escape_str(msg, sizeof msg, raw);
  /* Messages located in a file already say "file:line:col: error: ". */
  if (strstr(msg, ": error: "))
    fprintf(stderr, "%s\n", msg);
  else
    fprintf(stderr, "%s: error: %s\n", who, msg);
}

int gqc_print_diag(const char *who, const gqc_diag *d) {
  gqc_print_error(who, "%s", d->msg);
  return 1;
}
