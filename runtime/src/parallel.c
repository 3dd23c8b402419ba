/* parallel.c — splitting a linear layer's rows over an executor's threads
 * (gqcrt_parallel.h), for matrix-vector (linear) and matrix-matrix (gemm)
 * kernels alike, and a batch's element-wise work by rows. Portable: the
 * threads are the executor's business. */
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

/* ---- element-wise ops on a batch -------------------------------------------
 * One task type for the three signatures: part p takes rows [lo, hi) of
 * n / row, so an output element (or quant block) is always computed by the
 * same call on the same inputs. */

typedef struct rows_task {
  gqcrt_unary_fn unary;
  gqcrt_binary_fn binary;
  gqcrt_quantize_fn quantize;
  void *y;
  const float *a, *b;
  int32_t rows, row, y_row_bytes;
} rows_task;

static void run_rows_part(void *arg, int32_t part, int32_t n_parts) {
  const rows_task *t = arg;
  if (n_parts <= 0 || part < 0 || part >= n_parts) /* a broken executor */
    return;
  int32_t lo, hi;
  part_rows(t->rows, 1, part, n_parts, &lo, &hi);
  if (hi <= lo)
    return;
  const int64_t x0 = (int64_t)lo * t->row;
  const int32_t n = (hi - lo) * t->row;
  unsigned char *y = (unsigned char *)t->y + (int64_t)lo * t->y_row_bytes;
  if (t->quantize)
    t->quantize(y, t->a + x0, n);
  else if (t->binary)
    t->binary((float *)(void *)y, t->a + x0, t->b + x0, n);
  else
    t->unary((float *)(void *)y, t->a + x0, n);
}

/* Runs t on n elements in rows of `row`: split over ex's threads when that
 * is worth it (whole rows, at least two, GQCRT_PARALLEL_MIN_ELEMS in all),
 * else as one part of one row holding everything — a single call of fn. */
static void run_rows(const gqcrt_executor *ex, rows_task *t, int32_t n, int32_t row) {
  if (ex && ex->parallel && ex->n_threads > 1 && row > 0 && n % row == 0 && n / row >= 2 &&
      n >= GQCRT_PARALLEL_MIN_ELEMS) {
    t->rows = n / row;
    t->row = row;
    ex->parallel(ex, run_rows_part, t);
  } else {
    t->rows = 1;
    t->row = n;
    run_rows_part(t, 0, 1);
  }
}

void gqcrt_unary_parallel(const gqcrt_executor *ex, gqcrt_unary_fn fn, float *y, const float *x,
                          int32_t n, int32_t row) {
  rows_task t = {.unary = fn, .y = y, .a = x, .y_row_bytes = row * (int32_t)sizeof(float)};
  run_rows(ex, &t, n, row);
}

void gqcrt_binary_parallel(const gqcrt_executor *ex, gqcrt_binary_fn fn, float *y, const float *a,
                           const float *b, int32_t n, int32_t row) {
  rows_task t = {.binary = fn, .y = y, .a = a, .b = b, .y_row_bytes = row * (int32_t)sizeof(float)};
  run_rows(ex, &t, n, row);
}

void gqcrt_quantize_parallel(const gqcrt_executor *ex, gqcrt_quantize_fn fn, void *y,
                             const float *x, int32_t n, int32_t row, int32_t row_bytes) {
  rows_task t = {.quantize = fn, .y = y, .a = x, .y_row_bytes = row_bytes};
  run_rows(ex, &t, n, row);
}
