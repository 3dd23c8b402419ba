/* parallel.c — splitting a linear layer's rows over an executor's threads
 * (gqcrt_parallel.h), for matrix-vector (linear) and matrix-matrix (gemm)
 * kernels alike. Portable: the threads are the executor's business. */
#include "gqcrt_parallel.h"

typedef struct linear_task {
  gqcrt_linear_fn kernel;
  float *y;
  const unsigned char *w;
  const void *x;
  int32_t n_in, n_out, row_bytes, row_align;
} linear_task;

/* Rows [lo, hi) of n_out of part `part`: equal shares rounded to row_align. */
static void part_rows(int32_t n_out, int32_t row_align, int32_t part, int32_t n_parts, int32_t *lo,
                      int32_t *hi) {
  int64_t groups = n_out / row_align;
  *lo = (int32_t)(groups * part / n_parts * row_align);
  *hi = part + 1 == n_parts ? n_out : (int32_t)(groups * (part + 1) / n_parts * row_align);
}

static void run_part(void *arg, int32_t part, int32_t n_parts) {
  const linear_task *t = arg;
  if (n_parts <= 0 || part < 0 || part >= n_parts) /* a broken executor */
    return;
  int32_t lo, hi;
  part_rows(t->n_out, t->row_align, part, n_parts, &lo, &hi);
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

/* ---- gemm ------------------------------------------------------------------
 * The same split of the weight's output rows; each part computes its rows
 * for all n_rows activation rows (columns [lo, hi) of every y row). A gemm
 * does n_rows times a linear's work, so the size below which it stays on
 * the caller is weight bytes times n_rows. */

typedef struct gemm_task {
  gqcrt_gemm_fn kernel;
  float *y;
  const unsigned char *w;
  const void *x;
  int32_t y_stride, n_in, n_out, n_rows, row_bytes, row_align;
} gemm_task;

static void run_gemm_part(void *arg, int32_t part, int32_t n_parts) {
  const gemm_task *t = arg;
  if (n_parts <= 0 || part < 0 || part >= n_parts) /* a broken executor */
    return;
  int32_t lo, hi;
  part_rows(t->n_out, t->row_align, part, n_parts, &lo, &hi);
  if (hi > lo)
    t->kernel(t->y + lo, t->y_stride, t->w + (int64_t)lo * t->row_bytes, t->x, t->n_in, hi - lo,
              t->n_rows);
}

void gqcrt_gemm_parallel(const gqcrt_executor *ex, gqcrt_gemm_fn kernel, float *y, int32_t y_stride,
                         const void *w, const void *x, int32_t n_in, int32_t n_out, int32_t n_rows,
                         int32_t row_bytes, int32_t row_align) {
  if (!ex || !ex->parallel || ex->n_threads <= 1 || row_align <= 0 || n_out < 2 * row_align ||
      n_rows <= 0 || (int64_t)n_out * row_bytes * n_rows < GQCRT_PARALLEL_MIN_BYTES) {
    kernel(y, y_stride, w, x, n_in, n_out, n_rows);
    return;
  }
  gemm_task t = {kernel, y, w, x, y_stride, n_in, n_out, n_rows, row_bytes, row_align};
  ex->parallel(ex, run_gemm_part, &t);
}
