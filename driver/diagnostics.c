/* diagnostics.c — one shape for every message gqc prints:
 *
 *   gqc: error: FILE[:offset|:line:col]: message
 *   note: a hint (optional lines)
 *
 * The compiler's stages leave a message with its location in a gqc_diag
 * (ir/diag.h); some put "error: " after the location, as a compiler
 * printing its own line would ("f.arch:3:1: error: ..."). gqc_print_error
 * prints any of them in the one shape: the prefix once, the location first.
 */
#include "driver/driver.h"

#include <stdio.h>
#include <string.h>

void gqc_print_error(const char *msg) {
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
