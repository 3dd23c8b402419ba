/* xalloc.c — allocation failures as one-line errors (xalloc.h). */
#include "support/xalloc.h"

#include <inttypes.h>
#include <limits.h>
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

/* The capacity gqc_grow grows to, or -1 when it would pass INT_MAX. */
static int grown_cap(int cap, int need, int first) {
  if (need > INT_MAX / 2)
    return -1;
  int c = cap ? cap * 2 : first;
  while (c < need)
    c *= 2;
  return c;
}

void *gqc_grow(void *arr, size_t size, int *cap, int need, int first) {
  if (need <= *cap)
    return arr;
  const int c = grown_cap(*cap, need, first);
  void *q = c < 0 || (size_t)c > SIZE_MAX / size ? NULL : realloc(arr, (size_t)c * size);
  if (q)
    *cap = c;
  return q;
}

void *gqc_xgrow(void *arr, size_t size, int *cap, int need, int first, const char *what) {
  if (need <= *cap)
    return arr;
  const int c = grown_cap(*cap, need, first);
  if (c < 0)
    gqc_out_of_memory((uint64_t)need * size, what);
  arr = gqc_xrealloc(arr, (size_t)c * size, what);
  *cap = c;
  return arr;
}
