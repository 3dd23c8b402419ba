/* xalloc.c — allocation failures as one-line errors (xalloc.h). */
#include "support/xalloc.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

const char *gqc_format_bytes(uint64_t n, char *buf, size_t size) {
  static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (n < 1024) {
    snprintf(buf, size, "%" PRIu64 " bytes", n);
    return buf;
  }
  double v = (double)n / 1024;
  int u = 0;
  while (v >= 1024 && u < 5) {
    v /= 1024;
    u++;
  }
  snprintf(buf, size, "%.1f %s (%" PRIu64 " bytes)", v, units[u], n);
  return buf;
}

_Noreturn void gqc_out_of_memory(uint64_t n, const char *what) {
  char b[64];
  fprintf(stderr, "gqc: error: out of memory: cannot allocate %s for %s\n",
          gqc_format_bytes(n, b, sizeof b), what);
  exit(1);
}

void *gqc_xmalloc(size_t n, const char *what) {
  void *p = malloc(n ? n : 1);
  if (!p)
    gqc_out_of_memory(n, what);
  return p;
}

void *gqc_xcalloc(size_t count, size_t size, const char *what) {
  void *p = calloc(count ? count : 1, size ? size : 1);
  if (!p)
    gqc_out_of_memory(size && count > SIZE_MAX / size ? UINT64_MAX : (uint64_t)count * size, what);
  return p;
}

void *gqc_xrealloc(void *p, size_t n, const char *what) {
  void *q = realloc(p, n ? n : 1);
  if (!q)
    gqc_out_of_memory(n, what);
  return q;
}
