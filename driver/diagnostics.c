/* diagnostics.c — one shape for every message gqc prints:
 *
 *   gqc: error: FILE[:offset|:line:col]: message
 *   note: a hint (optional lines)
 *
 * The compiler's stages leave a message with its location in a gqc_diag
 * (ir/diag.h); some put "error: " after the location, as a compiler
 * printing its own line would ("f.arch:3:1: error: ..."). gqc_print_error
 * prints any of them in the one shape: the prefix once, the location first.
 * The message may quote a file name or a value from a file, so it is escaped
 * (support/escape.h) before it reaches the terminal: it stays one line.
 */
#include "driver/driver.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "support/escape.h"

/* The message formatted, then escaped into msg. */
static const char *format_escaped(char *msg, size_t n, const char *fmt, va_list ap) {
  char raw[2048];
  vsnprintf(raw, sizeof raw, fmt, ap);
  return gqc_escape_str(msg, n, raw);
}

void gqc_print_error(const char *fmt, ...) {
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  format_escaped(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (!strncmp(msg, "gqc: ", 5)) { /* already in shape */
    fprintf(stderr, "%s\n", msg);
    return;
  }
  const char *inner = strstr(msg, ": error: ");
  if (inner && !memchr(msg, ' ', (size_t)(inner - msg))) /* "LOCATION: error: message" */
    fprintf(stderr, "gqc: error: %.*s: %s\n", (int)(inner - msg), msg, inner + 9);
  else if (!strncmp(msg, "error: ", 7))
    fprintf(stderr, "gqc: error: %s\n", msg + 7);
  else
    fprintf(stderr, "gqc: error: %s\n", msg);
}

void gqc_print_note(const char *fmt, ...) {
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "note: %s\n", format_escaped(msg, sizeof msg, fmt, ap));
  va_end(ap);
}

int gqc_print_diag(const gqc_diag *d) {
  gqc_print_error("%s", d->msg);
  return 1;
}
