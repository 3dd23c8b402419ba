/* parallel.c — splitting a linear layer's rows over an executor's threads
 * (gqcrt_parallel.h). Portable: the threads are the executor's business. */
#include "gqcrt_parallel.h"

typedef struct linear_task {
  gqcrt_linear_fn kernel;
  float *y;
  const unsigned char *w;
  const void *x;
  int32_t n_in, n_out, row_bytes, row_align;
} linear_task;

/* Rows [lo, hi) of part `part`: equal shares rounded to row_align. */
static void part_rows(const linear_task *t, int32_t part, int32_t n_parts, int32_t *lo,
                      int32_t *hi) {
  int64_t groups = t->n_out / t->row_align;
  *lo = (int32_t)(groups * part / n_parts * t->row_align);
  *hi = part + 1 == n_parts ? t->n_out : (int32_t)(groups * (part + 1) / n_parts * t->row_align);
}

static void run_part(void *arg, int32_t part, int32_t n_parts) {
  const linear_task *t = arg;
  if (n_parts <= 0 || part < 0 || part >= n_parts) /* a broken executor */
    return;
  int32_t lo, hi;
  part_rows(t, part, n_parts, &lo, &hi);
  if (hi > lo)
    t->kernel(t->y + lo, t->w + (int64_t)lo * t->row_bytes, t->x, t->n_in, hi - lo);
}

void gqcrt_linear_parallel(const gqcrt_executor *ex, gqcrt_linear_fn kernel, float *y,
                           const void *w, const void *x, int32_t n_in, int32_t n_out,
                           int32_t row_bytes, int32_t row_align) {
  if (!ex || !ex->parallel || ex->n_threads <= 1 || row_align <= 0 || n_out < 2 * row_align ||
      (int64_t)n_out * row_bytes < GQCRT_PARALLEL_MIN_BYTES) {
    kernel(y, w, x, n_in, n_out);
    return;
  }
  linear_task t = {kernel, y, w, x, n_in, n_out, row_bytes, row_align};
  ex->parallel(ex, run_part, &t);
}
