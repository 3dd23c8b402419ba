/* strbuf.c — a growable string that printf appends to (strbuf.h). */
#include "support/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void gqc_strbuf_printf(gqc_strbuf *b, const char *fmt, ...) {
  if (b->oom)
    return;
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    size_t room = b->cap - b->n;
    int len = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? room : 0, fmt, ap);
    va_end(ap);
    if (len < 0) {
      b->oom = true;
      return;
    }
    if (b->s && (size_t)len < room) {
      b->n += (size_t)len;
      return;
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + (size_t)len + 1)
      cap *= 2;
    char *s = realloc(b->s, cap);
    if (!s) {
      b->oom = true;
      return;
    }
    b->s = s;
    b->cap = cap;
  }
}
