/* strbuf.h — a growable string that printf appends to.
 *
 * Text the compiler builds before it knows how long it will be (a grammar
 * generated from a tools file, a signature of an IR layer) goes into a
 * gqc_strbuf. An allocation failure does not stop the process: it sets
 * `oom`, later appends do nothing, and the owner reports it where it has a
 * file name to put in the message. Zero-initialised is empty; free(s) when
 * done.
 */
#ifndef GQC_SUPPORT_STRBUF_H
#define GQC_SUPPORT_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

#include "support/printf_format.h"

typedef struct gqc_strbuf {
  char *s;       /* NUL-terminated once anything was appended; NULL before */
  size_t n, cap; /* length without the NUL, bytes allocated */
  bool oom;      /* an append failed: s holds what came before it */
} gqc_strbuf;

/* Appends the formatted text. */
void gqc_strbuf_printf(gqc_strbuf *b, const char *fmt, ...) GQC_PRINTF(2, 3);

#endif
