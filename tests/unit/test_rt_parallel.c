/* test_rt_parallel.c — splitting linear layers over threads: every output row
 * is computed exactly once, by the same kernel, so results are bit-identical
 * to a single call; row groups of packed layouts are never split; a batch's
 * element-wise work split by rows gives the same bytes; the POSIX executor
 * runs every part of every task. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gqcrt.h"
#include "gqcrt_parallel.h"
#include "gqcrt_pthread.h"

/* A kernel that records which rows it computed (and checks alignment). */
#define ROW_INTS 16 /* 64-byte rows: 4096 of them pass GQCRT_PARALLEL_MIN_BYTES */
static int32_t seen[4096];
static int32_t align_seen;
static void recording_kernel(float *y, const void *w, const void *x, int32_t n_in, int32_t n_out) {
  (void)x;
  (void)n_in;
  const int32_t *rows = w; /* a row is ROW_INTS int32s, the first its index */
  if (rows[0] % align_seen)
    fail_msg("a part starts at row %d, not a multiple of %d", rows[0], align_seen);
  for (int32_t r = 0; r < n_out; r++) {
    seen[rows[r * ROW_INTS]]++;
    y[r] = (float)rows[r * ROW_INTS];
  }
}

/* An executor running the parts one by one, last first. */
static void sequential_reverse(const gqcrt_executor *ex, gqcrt_task_fn fn, void *arg) {
  for (int32_t p = ex->n_threads - 1; p >= 0; p--)
    fn(arg, p, ex->n_threads);
}

/* 4096 weight rows of ROW_INTS ints whose first int is the row's number. */
static int32_t *numbered_rows(void) {
  static int32_t w[4096 * ROW_INTS];
  for (int32_t r = 0; r < 4096; r++)
    w[r * ROW_INTS] = r;
  return w;
}

static void test_every_row_once(void **state) {
  (void)state;
  int32_t *w = numbered_rows();
  static float y[4096];
  const int32_t threads[] = {1, 2, 3, 4, 7, 16};
  const int32_t aligns[] = {1, 4};
  const int32_t rows[] = {4096, 4092, 1000, 64};
  for (size_t t = 0; t < sizeof threads / sizeof *threads; t++)
    for (size_t a = 0; a < sizeof aligns / sizeof *aligns; a++)
      for (size_t n = 0; n < sizeof rows / sizeof *rows; n++) {
        gqcrt_executor ex = {threads[t], sequential_reverse, NULL};
        memset(seen, 0, sizeof seen);
        align_seen = aligns[a];
        /* 64 rows of 64 bytes are below GQCRT_PARALLEL_MIN_BYTES: one call */
        gqcrt_linear_parallel(&ex, recording_kernel, y, w, NULL, 1, rows[n], ROW_INTS * 4,
                              aligns[a]);
        for (int32_t r = 0; r < rows[n]; r++) {
          if (seen[r] != 1)
            fail_msg("threads %d align %d rows %d: row %d computed %d times", threads[t], aligns[a],
                     rows[n], r, seen[r]);
          assert_true(y[r] == (float)r);
        }
      }
}

/* Random q8_0 blocks with sane scales. */
static void fill_q8_0(uint8_t *w, int32_t n_in, int32_t n_out, uint32_t seed) {
  int32_t blocks = n_in / GQCRT_QK * n_out;
  for (int32_t b = 0; b < blocks; b++) {
    uint8_t *blk = w + (size_t)b * GQCRT_Q8_0_BYTES;
    uint16_t d = gqcrt_fp32_to_fp16(0.001f + (float)(seed % 97) * 1e-4f);
    memcpy(blk, &d, 2);
    for (int k = 0; k < 32; k++) {
      seed = seed * 1664525u + 1013904223u;
      blk[2 + k] = (uint8_t)(seed >> 24);
    }
  }
}

static void test_pthread_executor_bit_identical(void **state) {
  (void)state;
  enum { N_IN = 256, N_OUT = 2048 };
  static uint8_t w[(size_t)N_OUT * (N_IN / 32) * GQCRT_Q8_0_BYTES];
  static uint8_t xq[(N_IN / 32) * GQCRT_Q8_0_BYTES];
  static float x[N_IN], ref[N_OUT], got[N_OUT];
  fill_q8_0(w, N_IN, N_OUT, 12345);
  for (int k = 0; k < N_IN; k++)
    x[k] = sinf((float)k * 0.37f);
  gqcrt_quantize_q8_0(xq, x, N_IN);
  gqcrt_linear_q8_0_scalar(ref, w, xq, N_IN, N_OUT);
  int32_t row_bytes = N_IN / 32 * GQCRT_Q8_0_BYTES;
  for (int32_t n = 1; n <= 4; n++) {
    const gqcrt_executor *ex = gqcrt_pthread_executor_start(n);
    assert_non_null(ex);
    assert_null(gqcrt_pthread_executor_start(2)); /* one at a time */
    for (int rep = 0; rep < 200; rep++) {
      for (int r = 0; r < N_OUT; r++)
        got[r] = NAN;
      gqcrt_linear_parallel(ex, gqcrt_linear_q8_0_scalar, got, w, xq, N_IN, N_OUT, row_bytes,
                            rep % 2 ? 4 : 1);
      if (memcmp(ref, got, sizeof ref))
        fail_msg("%d threads, repetition %d: results differ from one call", n, rep);
    }
    gqcrt_pthread_executor_stop();
  }
  assert_null(gqcrt_pthread_executor_start(0));
  assert_null(gqcrt_pthread_executor_start(GQCRT_PTHREAD_MAX_THREADS + 1));
}

/* A batch's element-wise work split by rows gives the single call's bytes:
 * SiLU, add and the Q8_0 quantiser over 1..16 threads (the sequential
 * executor, last part first, and the POSIX one), batches above and below
 * GQCRT_PARALLEL_MIN_ELEMS, row counts that do not divide evenly. */
static void test_elementwise_rows_bit_identical(void **state) {
  (void)state;
  enum { ROW = 1024, MAX_ROWS = 67 };
  static float a[ROW * MAX_ROWS], b[ROW * MAX_ROWS], y1[ROW * MAX_ROWS], y2[ROW * MAX_ROWS + 1];
  static uint8_t q1[MAX_ROWS * ROW / 32 * 34], q2[MAX_ROWS * ROW / 32 * 34];
  for (int32_t i = 0; i < ROW * MAX_ROWS; i++) {
    a[i] = (float)((int64_t)i * 7919 % 2001 - 1000) * 0.013f;
    b[i] = (float)((int64_t)i * 104729 % 1999 - 999) * 0.007f;
  }
  const int32_t threads[] = {1, 2, 3, 4, 7, 16};
  const int32_t rows[] = {1, 2, 31, 32, 33, 67};
  const int32_t row_bytes = ROW / 32 * 34;
  for (int e = 0; e < 2; e++)
    for (size_t t = 0; t < sizeof threads / sizeof *threads; t++) {
      gqcrt_executor seq = {threads[t], sequential_reverse, NULL};
      const gqcrt_executor *ex = &seq;
      if (e == 1 && !(ex = gqcrt_pthread_executor_start(threads[t])))
        fail_msg("no POSIX executor of %d threads", threads[t]);
      for (size_t r = 0; r < sizeof rows / sizeof *rows; r++) {
        const int32_t n = rows[r] * ROW;
        gqcrt_silu(y1, a, n);
        memset(y2, 0xAB, sizeof y2);
        gqcrt_unary_parallel(ex, gqcrt_silu, y2, a, n, ROW);
        assert_memory_equal(y1, y2, (size_t)n * sizeof(float));
        assert_true(((uint32_t *)(void *)y2)[n] == 0xABABABABu); /* nothing past the end */
        gqcrt_add(y1, a, b, n);
        gqcrt_binary_parallel(ex, gqcrt_add, y2, a, b, n, ROW);
        assert_memory_equal(y1, y2, (size_t)n * sizeof(float));
        gqcrt_quantize_q8_0(q1, a, n);
        memset(q2, 0xAB, sizeof q2);
        gqcrt_quantize_parallel(ex, gqcrt_quantize_q8_0, q2, a, n, ROW, row_bytes);
        assert_memory_equal(q1, q2, (size_t)rows[r] * row_bytes);
      }
      if (e == 1)
        gqcrt_pthread_executor_stop();
    }
}

static void test_null_executor_is_one_call(void **state) {
  (void)state;
  int32_t *w = numbered_rows();
  static float y[4096];
  memset(seen, 0, sizeof seen);
  align_seen = 4096; /* the only part starts at row 0 */
  gqcrt_linear_parallel(NULL, recording_kernel, y, w, NULL, 1, 4096, ROW_INTS * 4, 1);
  for (int32_t r = 0; r < 4096; r++)
    assert_int_equal(seen[r], 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_row_once),
      cmocka_unit_test(test_null_executor_is_one_call),
      cmocka_unit_test(test_pthread_executor_bit_identical),
      cmocka_unit_test(test_elementwise_rows_bit_identical),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
