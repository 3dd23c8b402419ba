/* attention_parallel.c — gqcrt_attention_parallel (gqcrt_parallel.h): a
 * batch's k and v stored, then its queries split over an executor's threads.
 *
 * A step first stores the k and v of every row, on the calling thread, and
 * only then hands out the queries: part p of n gets the queries [T * p / n,
 * T * (p + 1) / n) of the T = n_rows * n_head (numbered as gqcrt.h says,
 * so a part's queries mostly share KV heads) and its own GQCRT_ATTENTION_BLOCK
 * rows of the scratch, so parts share nothing they write. A query's result
 * does not depend on which part computes it or with which other queries (the
 * kernels' contract), so any thread count gives the single-threaded bits.
 *
 * Storing row r + 1 before row r has attended is safe unless the ring is
 * short: position pos + r' goes to the cache row of pos + r' - cache_rows,
 * which the batch's first query must no longer need. The compiler sizes
 * sliding-window rings to window + batch - 1 rows so a whole batch fits; with
 * a shorter ring (a bigger batch than planned) the rows go in chunks that
 * fit, one chunk stored and attended before the next, the same bits.
 *
 * More parts than GQCRT_ATTENTION_MAX_PARTS would need more scratch than
 * the compiler reserved: the extra parts get no queries. Waking the other
 * threads costs a few microseconds, so a small attention (early positions
 * of a small model) runs on the caller: below GQCRT_ATTENTION_PARALLEL_MIN
 * multiply-adds (queries x visible positions x head_dim).
 */
#include "attention_common.h"
#include "gqcrt_parallel.h"

#define GQCRT_ATTENTION_PARALLEL_MIN 16384

typedef struct attention_task {
  gqcrt_attention_fn kernel;
  const gqcrt_attention_desc *d;
  float *out;
  const float *q;
  const void *k_cache, *v_cache;
  float *scratch;
  int32_t pos, n_rows;
} attention_task;

static void run_queries(void *arg, int32_t part, int32_t n_parts) {
  const attention_task *t = arg;
  if (n_parts <= 0 || part < 0 || part >= n_parts) /* a broken executor */
    return;
  if (n_parts > GQCRT_ATTENTION_MAX_PARTS) {
    if (part >= GQCRT_ATTENTION_MAX_PARTS)
      return;
    n_parts = GQCRT_ATTENTION_MAX_PARTS;
  }
  const int64_t n = (int64_t)t->n_rows * t->d->n_head;
  const int32_t t0 = (int32_t)(n * part / n_parts), t1 = (int32_t)(n * (part + 1) / n_parts);
  if (t1 > t0)
    t->kernel(t->d, t->out, t->q, t->k_cache, t->v_cache,
              t->scratch + (size_t)part * GQCRT_ATTENTION_BLOCK * (size_t)t->d->cache_rows,
              t->pos, t->n_rows, t0, t1);
}

/* The queries of n_rows already stored rows, on ex's threads when worth it. */
static void attend(const attention_task *t, const gqcrt_executor *ex) {
  const gqcrt_attention_desc *d = t->d;
  const int32_t last = t->pos + t->n_rows - 1;
  const int64_t work = (int64_t)t->n_rows * d->n_head *
                       (last - gqcrt_attention_first(d, last) + 1) * d->head_dim;
  if (!ex || !ex->parallel || ex->n_threads <= 1 || (int64_t)t->n_rows * d->n_head < 2 ||
      work < GQCRT_ATTENTION_PARALLEL_MIN) {
    run_queries((void *)t, 0, 1);
    return;
  }
  ex->parallel(ex, run_queries, (void *)t);
}

/* How many rows from pos on can be stored before any attends: the last
 * stored position's ring row must not hold one the first query sees. */
static int32_t chunk_rows(const gqcrt_attention_desc *d, int32_t pos, int32_t n_rows) {
  const int64_t fit = (int64_t)gqcrt_attention_first(d, pos) + d->cache_rows - pos;
  return fit < 1 ? 1 : fit < n_rows ? (int32_t)fit : n_rows;
}

void gqcrt_attention_parallel(const gqcrt_executor *ex, gqcrt_attention_fn kernel,
                              const gqcrt_attention_desc *d, float *out, const float *q,
                              const float *k, const float *v, void *k_cache, void *v_cache,
                              const void *prefix_k, const void *prefix_v, float *scratch,
                              int32_t pos, int32_t n_rows) {
  gqcrt_attention_desc with_prefix;
  if (d && d->n_prefix > 0) { /* the kernels find the tables in the descriptor */
    with_prefix = *d;
    with_prefix.prefix_k = prefix_k;
    with_prefix.prefix_v = prefix_v;
    d = &with_prefix;
  }
  /* (with a prefix: valid only with both tables and pos >= n_prefix) */
  if (!kernel || !gqcrt_attention_batch_valid(d, pos, n_rows, 0, 0))
    return;
  const size_t q_row = (size_t)d->n_head * (size_t)d->head_dim;
  const size_t kv_row = (size_t)d->n_head_kv * (size_t)d->head_dim;
  for (int32_t r = 0; r < n_rows;) {
    const int32_t n = chunk_rows(d, pos + r, n_rows - r);
    for (int32_t i = r; i < r + n; i++)
      gqcrt_attention_store(d, k + (size_t)i * kv_row, v + (size_t)i * kv_row, k_cache, v_cache,
                            pos + i);
    const attention_task t = {kernel,  d, out + (size_t)r * q_row, q + (size_t)r * q_row,
                              k_cache, v_cache, scratch, pos + r, n};
    attend(&t, ex);
    r += n;
  }
}
