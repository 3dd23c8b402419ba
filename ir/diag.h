/* diag.h — error reporting shared by every stage of the compiler.
 *
 * A gqc_diag collects the first error (stages stop at their first problem):
 * a message already prefixed with its location — "file:line:col: " for
 * text inputs, "file: offset 0x1234: " for binary ones. Callers print it and
 * exit non-zero; nothing in the compiler aborts on bad input. The message
 * is escaped (support/escape.h): whatever bytes of a file or a name went
 * into it, it is one line of printable ASCII.
 */
#ifndef GQC_DIAG_H
#define GQC_DIAG_H

#include <stdbool.h>

#include "support/printf_format.h"

typedef struct gqc_diag {
  bool failed;
  char msg[1024];
} gqc_diag;

/* Records an error (the first one wins) and returns false, so callers can
 * write `return gqc_error(d, ...)`. */
bool gqc_error(gqc_diag *d, const char *fmt, ...) GQC_PRINTF(2, 3);

#endif
