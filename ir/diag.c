/* diag.c — the first-error-wins diagnostic sink (see diag.h). */
#include "ir/diag.h"

#include <stdarg.h>
#include <stdio.h>

bool gqc_error(gqc_diag *d, const char *fmt, ...) {
  if (!d || d->failed)
    return false;
  d->failed = true;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(d->msg, sizeof d->msg, fmt, ap);
  va_end(ap);
  return false;
}
