/* gqcrt_parallel.h — running a decode step on several cores, with no OS in
 * the runtime.
 *
 * The runtime never creates threads. The application hands the compiled
 * model an executor (<name>_set_executor): something that can run a task on
 * n parts at once and return when every part is done. Generated code then
 * splits each linear layer's output rows into one range per part, each
 * attention's queries (heads, and in a batch also tokens), and a batch's
 * element-wise work by rows; rows and queries are independent, so the result
 * is bit-identical to a single-threaded step.
 *
 * A Linux/POSIX executor comes with the hosted runtime
 * (runtime/hosted/executor_pthread.c, header gqcrt_pthread.h). Firmware on bare metal or an RTOS
 * implements `parallel` with whatever it has (e.g. a second core spinning on a flag): the contract
 * is only that fn(arg, part, n_parts) runs exactly once for every part in
 * [0, n_parts), concurrently or not, and all have finished when `parallel`
 * returns, with their writes visible to the caller.
 */
#ifndef GQCRT_PARALLEL_H
#define GQCRT_PARALLEL_H

#include <stdint.h>

#include "gqcrt.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*gqcrt_task_fn)(void *arg, int32_t part, int32_t n_parts);

typedef struct gqcrt_executor gqcrt_executor;
struct gqcrt_executor {
  int32_t n_threads; /* parts per task (1 = run everything on the caller) */
  void (*parallel)(const gqcrt_executor *ex, gqcrt_task_fn fn, void *arg);
  void *ctx; /* the executor's own state */
};

/* Linear layers below this many weight bytes run on the calling thread:
 * waking another core costs more than it saves. */
#define GQCRT_PARALLEL_MIN_BYTES 65536

/* kernel(y, w, x, n_in, n_out), split over ex's threads by output rows in
 * multiples of row_align (the packing's row group; 1 for GGUF layout);
 * row_bytes is one weight row's size. ex may be NULL (single-threaded). */
#define GQCRT_SIGNATURE_linear_parallel                                                            \
  (const gqcrt_executor *ex, gqcrt_linear_fn kernel, float *y, const void *w, const void *x,       \
   int32_t n_in, int32_t n_out, int32_t row_bytes, int32_t row_align)
void gqcrt_linear_parallel GQCRT_SIGNATURE_linear_parallel;
/* The same for a gemm kernel (gqcrt.h): the weight's output rows are split
 * (y columns, y_stride kept); every part sees all n_rows activation rows. */
#define GQCRT_SIGNATURE_gemm_parallel                                                              \
  (const gqcrt_executor *ex, gqcrt_gemm_fn kernel, float *y, int32_t y_stride, const void *w,      \
   const void *x, int32_t n_in, int32_t n_out, int32_t n_rows, int32_t row_bytes,                  \
   int32_t row_align)
void gqcrt_gemm_parallel GQCRT_SIGNATURE_gemm_parallel;

/* Attention (gqcrt.h) of a batch of n_rows tokens at positions pos .. pos +
 * n_rows - 1 (n_rows = 1: one decode step) with the attention kernel
 * `kernel`: the rows' k and v stored in the caches, then the n_rows * n_head
 * queries split over ex's threads. q, out: n_rows rows of n_head * head_dim;
 * k, v: n_rows rows of n_head_kv * head_dim. `scratch` holds
 * GQCRT_ATTENTION_SCRATCH_FLOATS(cache_rows) floats. Queries are independent,
 * so the result is bit-identical for any thread count and any batching.
 *
 * The rows are stored before any of them attends, which needs a ring cache
 * (window > 0 and cache_rows < n_ctx) of at least window + n_rows - 1 rows
 * (the compiler sizes them so); with a smaller ring the batch is attended in
 * chunks that fit, with the same result. Small attentions (few queries,
 * positions and dimensions) run on the calling thread. ex may be NULL
 * (single-threaded). A descriptor with a compiled prefix (d->n_prefix > 0)
 * reads positions below n_prefix from prefix_k / prefix_v (gqcrt.h), which
 * the kernels get through a copy of d; pos must then be at least n_prefix
 * (the prefix is never written). Without one they are NULL. */
#define GQCRT_ATTENTION_MAX_PARTS 8
#define GQCRT_ATTENTION_SCRATCH_FLOATS(cache_rows)                                                 \
  ((int64_t)GQCRT_ATTENTION_MAX_PARTS * GQCRT_ATTENTION_BLOCK * (int64_t)(cache_rows))
#define GQCRT_SIGNATURE_attention_parallel                                                         \
  (const gqcrt_executor *ex, gqcrt_attention_fn kernel, const gqcrt_attention_desc *d, float *out, \
   const float *q, const float *k, const float *v, void *k_cache, void *v_cache,                   \
   const void *prefix_k, const void *prefix_v, float *scratch, int32_t pos, int32_t n_rows)
void gqcrt_attention_parallel GQCRT_SIGNATURE_attention_parallel;

/* Element-wise work of a batch (prefill), split over ex's threads by whole
 * rows: fn on n = n_rows * row elements, each part a contiguous run of rows
 * (for a quantiser, row_bytes of output per row). Every element (every
 * quant block) is computed as in one call, so the result is bit-identical
 * for any thread count. Below GQCRT_PARALLEL_MIN_ELEMS elements, or with
 * one row, the caller runs fn itself. ex may be NULL (single-threaded). */
#define GQCRT_PARALLEL_MIN_ELEMS 32768
typedef void(*gqcrt_unary_fn) GQCRT_SIGNATURE_silu;
typedef void(*gqcrt_binary_fn) GQCRT_SIGNATURE_add;
typedef void(*gqcrt_quantize_fn) GQCRT_SIGNATURE_QUANTIZE;
#define GQCRT_SIGNATURE_unary_parallel                                                             \
  (const gqcrt_executor *ex, gqcrt_unary_fn fn, float *y, const float *x, int32_t n, int32_t row)
void gqcrt_unary_parallel GQCRT_SIGNATURE_unary_parallel;
#define GQCRT_SIGNATURE_binary_parallel                                                            \
  (const gqcrt_executor *ex, gqcrt_binary_fn fn, float *y, const float *a, const float *b,         \
   int32_t n, int32_t row)
void gqcrt_binary_parallel GQCRT_SIGNATURE_binary_parallel;
#define GQCRT_SIGNATURE_quantize_parallel                                                          \
  (const gqcrt_executor *ex, gqcrt_quantize_fn fn, void *y, const float *x, int32_t n,             \
   int32_t row, int32_t row_bytes)
void gqcrt_quantize_parallel GQCRT_SIGNATURE_quantize_parallel;

#ifdef __cplusplus
}
#endif
#endif
