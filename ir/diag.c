/* diag.c — the first-error-wins diagnostic sink (see diag.h). */
#include "ir/diag.h"

#include <stdarg.h>
#include <stdio.h>

#include "support/escape.h"

bool gqc_error(gqc_diag *d, const char *fmt, ...) {
  if (!d || d->failed)
    return false;
  d->failed = true;
  char raw[sizeof d->msg];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(raw, sizeof raw, fmt, ap);
  va_end(ap);
  gqc_escape_str(d->msg, sizeof d->msg, raw);
  return false;
}
