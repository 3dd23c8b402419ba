/* test_rt_gemm.c — the runtime half of batched prefill: gemm kernels,
 * gqcrt_gemm_parallel and the row-batched ops, each against the single-token
 * code it must reproduce bit for bit.
 *
 *  - gemm kernels: every gqcrt_gemm_<enc>_<variant> of gqcrt_kernels.def and
 *    gqcrt_gemm_<enc>_<packing>_<variant> of gqcrt_packed_kernels.def that
 *    this machine runs (scalar always, avx2 when the CPU has AVX2+FMA+F16C,
 *    neon on AArch64; GQCRT_VARIANT=<name> restricts the run). For random
 *    weights (packed with gqcrt_pack_* for the packed kernels), random
 *    activations of n_rows in {1,2,3,4,5,7,8,16,33} rows, several blocks per
 *    row and an odd n_out (a multiple of 4 for packed layouts), y row r
 *    (stride y_stride > n_out) must equal memcmp-exact what the matrix-vector
 *    kernel of the same variant gives for activation row r; the columns
 *    between n_out and y_stride must be left alone. Also with extreme quants
 *    and activations (the integer-overflow bounds), with weights larger than
 *    the cache tile of the row-wise kernels, and on a subrange of output rows
 *    (y and w offset by whole row groups, as the threads split them).
 *  - gqcrt_gemm_parallel: with a mock executor, every (activation row,
 *    output row) is computed exactly once, parts start on row groups, small
 *    problems are one call on the caller; with the POSIX executor, results
 *    are identical to one call.
 *  - row-batched ops: gqcrt_embed_rows, gqcrt_embed_rows_packed,
 *    gqcrt_rope_rows and a batch through gqcrt_attention_parallel (portable
 *    kernel) against n_rows calls of the single-token ops (outputs and KV caches memcmp-exact),
 * including a ring cache shorter than the batch with a sliding window, GQA, f16 caches and out
 * aliasing q. Runtime-only: runs on x86 and under qemu (scripts/test-aarch64-runtime.sh).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gqcrt.h"
#include "gqcrt_parallel.h"
#include "gqcrt_pthread.h"
#include "tools/kernel_harness/encodings.h"
#include "tools/kernel_harness/linear_kernels.h"
#include "kernel_test_util.h"
#include "test_util.h"

/* ---- the kernel tables ---------------------------------------------------------- */

typedef void (*pack_fn)(void *dst, const void *src, int32_t n_in, int32_t n_out);

typedef struct {
  const char *wenc, *aenc, *packing, *variant; /* packing "" for GGUF layout */
  int rows;                                    /* row group of the layout */
  gqcrt_linear_fn linear;
  gqcrt_gemm_fn gemm;
} gemm_entry;

#define ENTRY(w, a, v) {#w, #a, "", #v, 1, gqcrt_linear_##w##_##v, gqcrt_gemm_##w##_##v},
#define PACKED_ENTRY(w, a, p, v, rows)                                                             \
  {#w, #a, #p, #v, rows, gqcrt_linear_##w##_##p##_##v, gqcrt_gemm_##w##_##p##_##v},
#define VARIANT_scalar(w, a) ENTRY(w, a, scalar)
#define PACKED_scalar(w, a, p, rows) PACKED_ENTRY(w, a, p, scalar, rows)
#if defined(__x86_64__)
#define VARIANT_avx2(w, a) ENTRY(w, a, avx2)
#define PACKED_avx2(w, a, p, rows) PACKED_ENTRY(w, a, p, avx2, rows)
#define PACKED_avxvnni(w, a, p, rows) PACKED_ENTRY(w, a, p, avxvnni, rows)
#define PACKED_avx512vnni(w, a, p, rows) PACKED_ENTRY(w, a, p, avx512vnni, rows)
#else
#define VARIANT_avx2(w, a)
#define PACKED_avx2(w, a, p, rows)
#define PACKED_avxvnni(w, a, p, rows)
#define PACKED_avx512vnni(w, a, p, rows)
#endif
#if defined(__aarch64__)
#define VARIANT_neon(w, a) ENTRY(w, a, neon)
#define PACKED_neon(w, a, p, rows) PACKED_ENTRY(w, a, p, neon, rows)
#else
#define VARIANT_neon(w, a)
#define PACKED_neon(w, a, p, rows)
#endif
static const gemm_entry gemms[] = {
#define GQCRT_LINEAR_KERNEL(w, a, v, features) VARIANT_##v(w, a)
#include "gqcrt_kernels.def"
#undef GQCRT_LINEAR_KERNEL
#define GQCRT_PACKED_LINEAR_KERNEL(w, a, p, v, features, rows, replaces) PACKED_##v(w, a, p, rows)
#include "gqcrt_packed_kernels.def"
#undef GQCRT_PACKED_LINEAR_KERNEL
};

typedef struct {
  const char *wenc, *packing;
  pack_fn pack;
  gqcrt_embed_fn embed;
} packing_entry;

static const packing_entry packings[] = {
#define GQCRT_PACKING(w, p, rows) {#w, #p, gqcrt_pack_##w##_##p, gqcrt_embed_##w##_##p},
#include "gqcrt_packed_kernels.def"
#undef GQCRT_PACKING
};

static const packing_entry *find_packing(const char *wenc, const char *packing) {
  for (size_t i = 0; i < sizeof packings / sizeof packings[0]; ++i)
    if (!strcmp(packings[i].wenc, wenc) && !strcmp(packings[i].packing, packing))
      return &packings[i];
  fail_msg("no packing %s_%s", wenc, packing);
  return NULL;
}

/* ---- encodings and random data ------------------------------------------------------ */

static size_t weight_bytes(const weight_encoding *e, int n_in, int n_out) {
  return (size_t)(n_in / e->block_elems) * (size_t)e->block_bytes * (size_t)n_out;
}

/* Random weights: random quant bytes with f16 scales in +-[0.001, 0.02] and
 * mins in +-0.05, floats in [-1, 1]. extreme: every quant byte 0x80 or 0xFF
 * (the ends of the ranges: q8_0 -128, 4-bit 15 or -8, 6-bit scales 63, ...)
 * and float weights +-1. */
static void random_weights(const weight_encoding *e, uint8_t *w, int n_in, int n_out, int extreme) {
  const size_t n_elems = (size_t)n_in * (size_t)n_out;
  if (e->block_elems == 1) {
    for (size_t i = 0; i < n_elems; ++i) {
      const float v = extreme ? ((rnd32() & 1) ? -1.0f : 1.0f) : rnd_uniform(-1.0f, 1.0f);
      if (e->block_bytes == 4)
        memcpy(w + 4 * i, &v, 4);
      else
        wr16(w + 2 * i, !strcmp(e->name, "bf16") ? gqcrt_fp32_to_bf16(v) : gqcrt_fp32_to_fp16(v));
    }
    return;
  }
  const size_t bytes = weight_bytes(e, n_in, n_out);
  const uint8_t fill = (rnd32() & 1) ? 0x80 : 0xFF;
  for (size_t i = 0; i < bytes; ++i)
    w[i] = extreme ? fill : (uint8_t)rnd32();
  random_block_scales(w, bytes, e->block_bytes, e->d_off, e->min_off);
}

static size_t activation_bytes(const char *aenc, int n) {
  return harness_row_bytes(aenc, n);
}

/* ---- gemm kernels --------------------------------------------------------------------- */

static const float SENTINEL = -12345.5f;
static int n_gemm_checks;

/* gemm on n_rows activation rows vs the linear kernel per row. */
static void check_gemm(const gemm_entry *k, int n_in, int n_out, int n_rows, int extreme) {
  const weight_encoding *e = find_wenc(k->wenc);
  const size_t wb = weight_bytes(e, n_in, n_out), ab = activation_bytes(k->aenc, n_in);
  const int y_stride = n_out + 3;
  uint8_t *w = xalloc(wb), *xq = xalloc(ab * (size_t)n_rows);
  float *x = xalloc(4u * (size_t)n_in * (size_t)n_rows);
  float *y = xalloc(4u * (size_t)y_stride * (size_t)n_rows), *ref = xalloc(4u * (size_t)n_out);
  random_weights(e, w, n_in, n_out, extreme);
  if (k->packing[0]) {
    uint8_t *p = xalloc(wb);
    find_packing(k->wenc, k->packing)->pack(p, w, n_in, n_out);
    free(w);
    w = p;
  }
  for (int r = 0; r < n_rows; ++r) {
    const float scale = extreme ? 1.0f : (r % 3 == 2 ? 300.0f : 1.0f);
    for (int i = 0; i < n_in; ++i)
      x[(size_t)r * n_in + i] = extreme ? ((r & 1) ? -1.0f : 1.0f) : scale * rnd_uniform(-1, 1);
  }
  quantize_activation(k->aenc, xq, x, n_in * n_rows); /* one call, as generated code does */
  for (size_t i = 0; i < (size_t)y_stride * (size_t)n_rows; ++i)
    y[i] = SENTINEL;

  k->gemm(y, y_stride, w, xq, n_in, n_out, n_rows);

  for (int r = 0; r < n_rows; ++r) {
    k->linear(ref, w, xq + (size_t)r * ab, n_in, n_out);
    const float *yr = y + (size_t)r * (size_t)y_stride;
    for (int o = 0; o < n_out; ++o)
      if (memcmp(&yr[o], &ref[o], 4) != 0)
        fail_msg("gemm_%s%s%s_%s %d x %d, %d rows%s: y[%d][%d] = %a, linear %a", k->wenc,
                 k->packing[0] ? "_" : "", k->packing, k->variant, n_out, n_in, n_rows,
                 extreme ? " (extreme)" : "", r, o, (double)yr[o], (double)ref[o]);
    for (int o = n_out; o < y_stride; ++o)
      if (yr[o] != SENTINEL)
        fail_msg("gemm_%s_%s wrote past n_out in row %d", k->wenc, k->variant, r);
  }

  /* Output rows [g, n_out) alone (w and y offset by one row group) give the
   * same bits. */
  const int g = k->rows;
  if (n_out > g) {
    for (size_t i = 0; i < (size_t)y_stride * (size_t)n_rows; ++i)
      y[i] = SENTINEL;
    k->gemm(y + g, y_stride, w + wb / (size_t)n_out * (size_t)g, xq, n_in, n_out - g, n_rows);
    for (int r = 0; r < n_rows; ++r) {
      k->linear(ref, w, xq + (size_t)r * ab, n_in, n_out);
      const float *yr = y + (size_t)r * (size_t)y_stride;
      if (memcmp(yr + g, ref + g, 4u * (size_t)(n_out - g)) != 0)
        fail_msg("gemm_%s_%s on rows [%d, %d): row %d differs", k->wenc, k->variant, g, n_out, r);
      for (int o = 0; o < g; ++o)
        assert_true(yr[o] == SENTINEL);
    }
  }
  n_gemm_checks++;
  free(w);
  free(xq);
  free(x);
  free(y);
  free(ref);
}

static void test_gemm_matches_linear(void **state) {
  (void)state;
  static const int row_counts[] = {1, 2, 3, 4, 5, 7, 8, 16, 33};
  int n_kernels = 0;
  for_each_runnable(gemm_entry, k, gemms) {
    n_kernels++;
    const weight_encoding *e = find_wenc(k->wenc);
    /* n_out odd for the GGUF layout, whole row groups (not a power of 2) for
     * packed ones */
    const int n_out = k->rows > 1 ? 5 * k->rows : 13;
    int lengths[3], n_lengths;
    if (e->block_elems == 1) { /* vector tails */
      lengths[0] = 67, lengths[1] = 256, lengths[2] = 300;
      n_lengths = 3;
    } else {
      lengths[0] = e->block_elems, lengths[1] = 3 * e->block_elems, lengths[2] = 8 * e->block_elems;
      n_lengths = 3;
    }
    for (int li = 0; li < n_lengths; ++li)
      for (size_t ri = 0; ri < sizeof row_counts / sizeof row_counts[0]; ++ri)
        check_gemm(k, lengths[li], n_out, row_counts[ri], 0);
    check_gemm(k, blocks_elems(e, 2), n_out, 7, 1);
    check_gemm(k, blocks_elems(e, 3), k->rows, 9, 1);
  }
  assert_true(n_kernels >= 13);
}

/* Weights larger than the kernels' cache tiles (32 KiB), n_out not a
 * multiple of the tile; and long rows. */
static void test_gemm_large_weights(void **state) {
  (void)state;
  static const int row_counts[] = {3, 16};
  for_each_runnable(gemm_entry, k, gemms) {
    const weight_encoding *e = find_wenc(k->wenc);
    const int n_in = e->block_elems == 1 ? 512 : 8 * e->block_elems;
    const int n_out = k->rows > 1 ? 37 * k->rows : 149;
    for (size_t ri = 0; ri < sizeof row_counts / sizeof row_counts[0]; ++ri)
      check_gemm(k, n_in, n_out, row_counts[ri], 0);
    /* long rows (5120 elements: more blocks than some kernels keep tables
     * for, or convert scales for at once), also with more rows than some
     * kernels take in one pass */
    check_gemm(k, 5120, k->rows > 1 ? 2 * k->rows : 7, 5, 0);
    check_gemm(k, 5120, k->rows > 1 ? k->rows : 7, 37, 0);
  }
}

/* A zero activation batch gives exactly zero everywhere. */
static void test_gemm_zero_activation(void **state) {
  (void)state;
  for_each_runnable(gemm_entry, k, gemms) {
    const weight_encoding *e = find_wenc(k->wenc);
    const int n_in = blocks_elems(e, 2), n_out = 4 * k->rows;
    enum { ROWS = 5 };
    uint8_t *w = xalloc(weight_bytes(e, n_in, n_out));
    uint8_t *xq = xalloc(activation_bytes(k->aenc, n_in) * ROWS);
    float *x = xalloc(4u * (size_t)n_in * ROWS), *y = xalloc(4u * (size_t)n_out * ROWS);
    random_weights(e, w, n_in, n_out, 0);
    if (k->packing[0]) { /* (unpacked bytes could put NaN scales where packed ones are read) */
      uint8_t *p = xalloc(weight_bytes(e, n_in, n_out));
      find_packing(k->wenc, k->packing)->pack(p, w, n_in, n_out);
      free(w);
      w = p;
    }
    memset(x, 0, 4u * (size_t)n_in * ROWS);
    quantize_activation(k->aenc, xq, x, n_in * ROWS);
    k->gemm(y, n_out, w, xq, n_in, n_out, ROWS);
    for (int i2 = 0; i2 < n_out * ROWS; ++i2)
      if (y[i2] != 0.0f)
        fail_msg("gemm_%s_%s: zero activation gave %g", k->wenc, k->variant, (double)y[i2]);
    free(w);
    free(xq);
    free(x);
    free(y);
  }
}

/* ---- gqcrt_gemm_parallel --------------------------------------------------------------- */

/* A gemm kernel recording which (activation row, output row) it computed:
 * weight row o is ROW_INTS int32s, the first its index. */
#define ROW_INTS 16
#define MAX_OUT 4096
#define MAX_ROWS 4
static int32_t seen[MAX_ROWS][MAX_OUT];
static int32_t align_seen, n_calls;
static void recording_gemm(float *y, int32_t y_stride, const void *w, const void *x, int32_t n_in,
                           int32_t n_out, int32_t n_rows) {
  (void)x;
  (void)n_in;
  const int32_t *rows = w;
  n_calls++;
  if (rows[0] % align_seen)
    fail_msg("a part starts at row %d, not a multiple of %d", rows[0], align_seen);
  for (int32_t r = 0; r < n_rows; r++)
    for (int32_t o = 0; o < n_out; o++) {
      seen[r][rows[o * ROW_INTS]]++;
      y[r * y_stride + o] = (float)(rows[o * ROW_INTS] + 10000 * r);
    }
}

static void sequential_reverse(const gqcrt_executor *ex, gqcrt_task_fn fn, void *arg) {
  for (int32_t p = ex->n_threads - 1; p >= 0; p--)
    fn(arg, p, ex->n_threads);
}

static void test_gemm_parallel_every_element_once(void **state) {
  (void)state;
  static int32_t w[MAX_OUT * ROW_INTS];
  static float y[MAX_ROWS * (MAX_OUT + 5)];
  for (int32_t o = 0; o < MAX_OUT; o++)
    w[o * ROW_INTS] = o;
  const int32_t threads[] = {1, 2, 3, 4, 7, 16};
  const int32_t aligns[] = {1, 4};
  const int32_t outs[] = {4096, 4092, 1000, 64};
  const int32_t n_rows[] = {1, 3, 4};
  for (size_t t = 0; t < sizeof threads / sizeof *threads; t++)
    for (size_t a = 0; a < sizeof aligns / sizeof *aligns; a++)
      for (size_t n = 0; n < sizeof outs / sizeof *outs; n++)
        for (size_t nr = 0; nr < sizeof n_rows / sizeof *n_rows; nr++) {
          const int32_t n_out = outs[n], rows = n_rows[nr], stride = n_out + 5;
          gqcrt_executor ex = {threads[t], sequential_reverse, NULL};
          memset(seen, 0, sizeof seen);
          align_seen = aligns[a];
          n_calls = 0;
          gqcrt_gemm_parallel(&ex, recording_gemm, y, stride, w, NULL, 1, n_out, rows, ROW_INTS * 4,
                              aligns[a]);
          for (int32_t r = 0; r < rows; r++)
            for (int32_t o = 0; o < n_out; o++) {
              if (seen[r][o] != 1)
                fail_msg("threads %d align %d n_out %d rows %d: (%d, %d) computed %d times",
                         threads[t], aligns[a], n_out, rows, r, o, seen[r][o]);
              assert_true(y[r * stride + o] == (float)(o + 10000 * r));
            }
          /* 64 x 64 bytes x rows is below GQCRT_PARALLEL_MIN_BYTES: one call */
          const int64_t work = (int64_t)n_out * ROW_INTS * 4 * rows;
          if (threads[t] == 1 || work < GQCRT_PARALLEL_MIN_BYTES)
            assert_int_equal(n_calls, 1);
          else
            assert_true(n_calls > 1 && n_calls <= threads[t]);
        }
  /* no executor: one call */
  memset(seen, 0, sizeof seen);
  align_seen = MAX_OUT;
  n_calls = 0;
  gqcrt_gemm_parallel(NULL, recording_gemm, y, MAX_OUT, w, NULL, 1, MAX_OUT, 2, ROW_INTS * 4, 1);
  assert_int_equal(n_calls, 1);
  assert_int_equal(seen[1][MAX_OUT - 1], 1);
}

/* The best q8_0 gemm here (packed NEON on AArch64). */
static const gemm_entry *best_q8_0_gemm(void) {
  const gemm_entry *best = NULL;
  for (size_t i = 0; i < sizeof gemms / sizeof gemms[0]; ++i)
    if (!strcmp(gemms[i].wenc, "q8_0") && variant_runs_here(gemms[i].variant) &&
        (!best || !strcmp(best->variant, "scalar")))
      best = &gemms[i];
  return best;
}

static void test_gemm_parallel_pthread_bit_identical(void **state) {
  (void)state;
  enum { N_IN = 256, N_OUT = 1024, ROWS = 6, STRIDE = N_OUT + 1 };
  const gemm_entry *k = best_q8_0_gemm();
  assert_non_null(k);
  const weight_encoding *e = find_wenc("q8_0");
  const size_t wb = weight_bytes(e, N_IN, N_OUT);
  uint8_t *w = xalloc(wb), *xq = xalloc(activation_bytes("q8_0", N_IN) * ROWS);
  float *x = xalloc(4u * N_IN * ROWS), *ref = xalloc(4u * STRIDE * ROWS);
  float *got = xalloc(4u * STRIDE * ROWS);
  random_weights(e, w, N_IN, N_OUT, 0);
  if (k->packing[0]) {
    uint8_t *p = xalloc(wb);
    find_packing("q8_0", k->packing)->pack(p, w, N_IN, N_OUT);
    free(w);
    w = p;
  }
  for (int i = 0; i < N_IN * ROWS; i++)
    x[i] = sinf((float)i * 0.37f);
  quantize_activation("q8_0", xq, x, N_IN * ROWS);
  memset(ref, 0, 4u * STRIDE * ROWS);
  k->gemm(ref, STRIDE, w, xq, N_IN, N_OUT, ROWS);
  const int32_t row_bytes = (int32_t)(wb / N_OUT);
  for (int32_t n = 1; n <= 4; n++) {
    const gqcrt_executor *ex = gqcrt_pthread_executor_start(n);
    assert_non_null(ex);
    for (int rep = 0; rep < 50; rep++) {
      memset(got, 0, 4u * STRIDE * ROWS);
      gqcrt_gemm_parallel(ex, k->gemm, got, STRIDE, w, xq, N_IN, N_OUT, ROWS, row_bytes, k->rows);
      if (memcmp(ref, got, 4u * STRIDE * ROWS))
        fail_msg("%d threads, repetition %d: results differ from one call", n, rep);
    }
    gqcrt_pthread_executor_stop();
  }
  free(w);
  free(xq);
  free(x);
  free(ref);
  free(got);
}

/* ---- row-batched ops ---------------------------------------------------------------------- */

static void test_embed_rows(void **state) {
  (void)state;
  enum { N_VOCAB = 12, ROWS = 9 };
  const int32_t tokens[ROWS] = {3, 0, 11, 3, 7, 7, 1, 10, 5};
  static const char *encs[] = {"f32", "f16", "q8_0", "q4_0", "q4_k", "q6_k"};
  for (size_t i = 0; i < sizeof encs / sizeof *encs; i++) {
    const weight_encoding *e = find_wenc(encs[i]);
    const int n_in = e->block_elems == 1 ? 96 : 2 * e->block_elems;
    const size_t row_bytes = weight_bytes(e, n_in, 1);
    uint8_t *table = xalloc(row_bytes * N_VOCAB);
    float *y = xalloc(4u * (size_t)n_in * ROWS), *ref = xalloc(4u * (size_t)n_in);
    random_weights(e, table, n_in, N_VOCAB, 0);
    gqcrt_embed_rows(e->dequant, y, table, (int64_t)row_bytes, tokens, ROWS, n_in);
    for (int r = 0; r < ROWS; r++) {
      e->dequant(ref, table + (size_t)tokens[r] * row_bytes, n_in);
      if (memcmp(ref, y + (size_t)r * n_in, 4u * (size_t)n_in))
        fail_msg("embed_rows %s: row %d differs", e->name, r);
    }
    free(table);
    free(y);
    free(ref);
  }
}

static void test_embed_rows_packed(void **state) {
  (void)state;
  enum { N_VOCAB = 16, ROWS = 9 }; /* whole row groups of every packing */
  const int32_t tokens[ROWS] = {3, 0, 11, 3, 7, 7, 1, 10, 5};
  for (size_t i = 0; i < sizeof packings / sizeof *packings; i++) {
    const packing_entry *pk = &packings[i];
    const weight_encoding *e = find_wenc(pk->wenc);
    const int n_in = 3 * e->block_elems;
    const size_t bytes = weight_bytes(e, n_in, N_VOCAB);
    uint8_t *table = xalloc(bytes), *packed = xalloc(bytes);
    float *y = xalloc(4u * (size_t)n_in * ROWS), *ref = xalloc(4u * (size_t)n_in);
    random_weights(e, table, n_in, N_VOCAB, 0);
    pk->pack(packed, table, n_in, N_VOCAB);
    gqcrt_embed_rows_packed(pk->embed, y, packed, tokens, ROWS, n_in);
    for (int r = 0; r < ROWS; r++) {
      e->dequant(ref, table + bytes / N_VOCAB * (size_t)tokens[r], n_in);
      if (memcmp(ref, y + (size_t)r * n_in, 4u * (size_t)n_in))
        fail_msg("embed_rows_packed %s_%s: row %d differs", pk->wenc, pk->packing, r);
    }
    free(table);
    free(packed);
    free(y);
    free(ref);
  }
}

static void test_rope_rows(void **state) {
  (void)state;
  enum { ROWS = 7, N_HEAD = 3, HEAD_DIM = 64, N = N_HEAD * HEAD_DIM };
  static float x[ROWS * N], y[ROWS * N], ref[N], inplace[ROWS * N];
  const int modes[] = {GQCRT_ROPE_NORMAL, GQCRT_ROPE_NEOX};
  const int n_rots[] = {64, 32};
  float factors[HEAD_DIM / 2]; /* LongRoPE-style frequency factors */
  for (int i = 0; i < HEAD_DIM / 2; i++)
    factors[i] = 1.0f + (float)i / 4;
  for (int m = 0; m < 2; m++)
    for (int nr = 0; nr < 2; nr++)
      for (int pos = 0; pos < 3000; pos += 1499) {
        const float *ff = pos ? factors : NULL;
        const float af = pos ? 1.1f : 1.0f;
        for (int i = 0; i < ROWS * N; i++)
          x[i] = rnd_uniform(-2, 2);
        gqcrt_rope_rows(y, x, pos, ROWS, N_HEAD, HEAD_DIM, n_rots[nr], 10000.0f, 1.0f, modes[m], ff,
                        af);
        memcpy(inplace, x, sizeof x);
        gqcrt_rope_rows(inplace, inplace, pos, ROWS, N_HEAD, HEAD_DIM, n_rots[nr], 10000.0f, 1.0f,
                        modes[m], ff, af);
        for (int r = 0; r < ROWS; r++) {
          gqcrt_rope(ref, x + r * N, pos + r, N_HEAD, HEAD_DIM, n_rots[nr], 10000.0f, 1.0f,
                     modes[m], ff, af);
          if (memcmp(ref, y + r * N, sizeof ref) || memcmp(ref, inplace + r * N, sizeof ref))
            fail_msg("rope_rows mode %d n_rot %d pos %d: row %d differs", modes[m], n_rots[nr], pos,
                     r);
        }
      }
}

/* A batch through gqcrt_attention_parallel with the portable kernel vs one
 * gqcrt_attention per row, on separate caches that start out with the same
 * history of `pos` rows. */
static void check_attention_rows(int32_t n_head, int32_t n_head_kv, int32_t cache_rows,
                                 int32_t window, int32_t kv_type, int32_t pos, int32_t n_rows,
                                 int alias_out) {
  enum { HD = 32 };
  const gqcrt_attention_desc d = {n_head, n_head_kv, HD, cache_rows, window, kv_type,
                                  0.17f,  0.0f,      0,  0,          NULL,   NULL};
  const size_t qn = (size_t)n_head * HD, kn = (size_t)n_head_kv * HD;
  const size_t cache_bytes = (size_t)cache_rows * kn * (kv_type == GQCRT_KV_F16 ? 2 : 4);
  uint8_t *kc1 = xalloc(cache_bytes), *vc1 = xalloc(cache_bytes);
  uint8_t *kc2 = xalloc(cache_bytes), *vc2 = xalloc(cache_bytes);
  float *q = xalloc(4 * qn * (size_t)n_rows), *k = xalloc(4 * kn * (size_t)n_rows);
  float *v = xalloc(4 * kn * (size_t)n_rows), *out = xalloc(4 * qn * (size_t)n_rows);
  float *ref = xalloc(4 * qn * (size_t)n_rows), *qcopy = xalloc(4 * qn * (size_t)n_rows);
  float *scores = xalloc(4u * (size_t)GQCRT_ATTENTION_SCRATCH_FLOATS(cache_rows));
  float *hist = xalloc(4 * (qn + 2 * kn));
  memset(kc1, 0, cache_bytes);
  memset(vc1, 0, cache_bytes);
  /* history: positions 0 .. pos-1 one at a time */
  for (int32_t p = 0; p < pos; p++) {
    for (size_t i = 0; i < qn + 2 * kn; i++)
      hist[i] = rnd_uniform(-1, 1);
    gqcrt_attention(&d, hist, hist, hist + qn, hist + qn + kn, kc1, vc1, scores, p);
  }
  memcpy(kc2, kc1, cache_bytes);
  memcpy(vc2, vc1, cache_bytes);
  for (size_t i = 0; i < qn * (size_t)n_rows; i++)
    q[i] = rnd_uniform(-2, 2);
  for (size_t i = 0; i < kn * (size_t)n_rows; i++) {
    k[i] = rnd_uniform(-2, 2);
    v[i] = rnd_uniform(-2, 2);
  }
  memcpy(qcopy, q, 4 * qn * (size_t)n_rows);
  for (int32_t r = 0; r < n_rows; r++)
    gqcrt_attention(&d, ref + r * qn, q + r * qn, k + r * kn, v + r * kn, kc1, vc1, scores,
                    pos + r);
  float *o = alias_out ? qcopy : out;
  gqcrt_attention_parallel(NULL, gqcrt_attention_scalar, &d, o, qcopy, k, v, kc2, vc2, NULL, NULL,
                           scores, pos, n_rows);
  if (memcmp(ref, o, 4 * qn * (size_t)n_rows))
    fail_msg("batched attention heads %d/%d cache %d window %d kv %d pos %d rows %d%s: out differs",
             n_head, n_head_kv, cache_rows, window, kv_type, pos, n_rows,
             alias_out ? " (out = q)" : "");
  assert_memory_equal(kc1, kc2, cache_bytes);
  assert_memory_equal(vc1, vc2, cache_bytes);
  free(kc1);
  free(vc1);
  free(kc2);
  free(vc2);
  free(q);
  free(k);
  free(v);
  free(out);
  free(ref);
  free(qcopy);
  free(scores);
  free(hist);
}

static void test_attention_rows(void **state) {
  (void)state;
  for (int kv = 0; kv < 2; kv++) {
    const int32_t kv_type = kv ? GQCRT_KV_F16 : GQCRT_KV_F32;
    check_attention_rows(4, 1, 64, 0, kv_type, 0, 16, 0); /* GQA, from the start */
    check_attention_rows(4, 2, 64, 0, kv_type, 5, 33, 0); /* after a history */
    check_attention_rows(2, 2, 64, 0, kv_type, 3, 1, 1);  /* one row, out = q */
    check_attention_rows(4, 1, 8, 8, kv_type, 3, 20, 0);  /* ring of `window` rows */
    check_attention_rows(4, 4, 16, 6, kv_type, 11, 9, 1); /* window < ring, out = q */
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gemm_matches_linear),
      cmocka_unit_test(test_gemm_large_weights),
      cmocka_unit_test(test_gemm_zero_activation),
      cmocka_unit_test(test_gemm_parallel_every_element_once),
      cmocka_unit_test(test_gemm_parallel_pthread_bit_identical),
      cmocka_unit_test(test_embed_rows),
      cmocka_unit_test(test_embed_rows_packed),
      cmocka_unit_test(test_rope_rows),
      cmocka_unit_test(test_attention_rows),
  };
  test_rng_seed(0x2545F4914F6CDD1Dull);
  const int failed = cmocka_run_group_tests(tests, NULL, NULL);
  if (!failed && n_gemm_checks == 0)
    return 1;
  return failed;
}
