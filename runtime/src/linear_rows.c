/* linear_rows.c — a linear layer on chosen output rows (gqcrt_rows.h). */
#include "gqcrt_rows.h"

void gqcrt_linear_rows(gqcrt_linear_fn kernel, float *y, const void *w, const void *x,
                       int32_t n_in, int32_t n_out, int32_t row_bytes, int32_t row_align,
                       const int32_t *rows, int32_t n_rows) {
  if (row_align < 1 || row_align > GQCRT_MAX_ROW_ALIGN)
    return;
  const unsigned char *base = w;
  float group[GQCRT_MAX_ROW_ALIGN];
  for (int32_t i = 0; i < n_rows; i++) {
    int32_t r = rows[i];
    if (r < 0 || r >= n_out)
      continue;
    int32_t first = r - r % row_align;
    /* the whole row group: a packed kernel computes rows only in groups */
    kernel(group, base + (int64_t)first * row_bytes, x, n_in, row_align);
    y[i] = group[r - first];
  }
}
