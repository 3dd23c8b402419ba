/* gqcrt_rows.h — a linear layer evaluated on chosen output rows only.
 *
 * A restricted-vocabulary lm_head: when only some tokens may come next (a
 * grammar, a list of function names, digits only, ...), the logits of the
 * others are not needed, and the lm_head — the largest matrix of a small
 * model (FunctionGemma: 262144 x 640, 60% of a decode step) — is evaluated on
 * just those rows. Each value is bit-identical to the full layer's value for
 * that row: the same kernel runs on the same weight rows (for a packed
 * layout, on the row group containing the row).
 */
#ifndef GQCRT_ROWS_H
#define GQCRT_ROWS_H

#include <stdint.h>

#include "gqcrt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The widest packed row group the runtime has (gqcrt_packed_kernels.def). */
#define GQCRT_MAX_ROW_ALIGN 16

/* y[i] = row rows[i] of kernel(w, x) for i in [0, n_rows). w has n_out rows
 * of row_bytes each, stored in groups of row_align rows (1 = GGUF layout);
 * every rows[i] must be in [0, n_out) (the caller checks). */
void gqcrt_linear_rows(gqcrt_linear_fn kernel, float *y, const void *w, const void *x,
                       int32_t n_in, int32_t n_out, int32_t row_bytes, int32_t row_align,
                       const int32_t *rows, int32_t n_rows);

#ifdef __cplusplus
}
#endif
#endif
