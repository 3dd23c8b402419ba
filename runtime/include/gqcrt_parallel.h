/* gqcrt_parallel.h — running a decode step on several cores, with no OS in
 * the runtime.
 *
 * The runtime never creates threads. The application hands the compiled
 * model an executor (<name>_set_executor): something that can run a task on
 * n parts at once and return when every part is done. Generated code then
 * splits each linear layer's output rows into one range per part; rows are
 * independent, so the result is bit-identical to a single-threaded step.
 *
 * A Linux/POSIX executor comes with the hosted runtime
 * (runtime/hosted/executor_pthread.c, header gqcrt_pthread.h). Firmware on bare metal or an RTOS implements `parallel`
 * with whatever it has (e.g. a second core spinning on a flag): the contract
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
  void *ctx;         /* the executor's own state */
};

/* Linear layers below this many weight bytes run on the calling thread:
 * waking another core costs more than it saves. */
#define GQCRT_PARALLEL_MIN_BYTES 65536

/* kernel(y, w, x, n_in, n_out), split over ex's threads by output rows in
 * multiples of row_align (the packing's row group; 1 for GGUF layout);
 * row_bytes is one weight row's size. ex may be NULL (single-threaded). */
void gqcrt_linear_parallel(const gqcrt_executor *ex, gqcrt_linear_fn kernel, float *y,
                           const void *w, const void *x, int32_t n_in, int32_t n_out,
                           int32_t row_bytes, int32_t row_align);
/* The same for a gemm kernel (gqcrt.h): the weight's output rows are split
 * (y columns, y_stride kept); every part sees all n_rows activation rows. */
void gqcrt_gemm_parallel(const gqcrt_executor *ex, gqcrt_gemm_fn kernel, float *y,
                         int32_t y_stride, const void *w, const void *x, int32_t n_in,
                         int32_t n_out, int32_t n_rows, int32_t row_bytes, int32_t row_align);

#ifdef __cplusplus
}
#endif
#endif
