/* test_rt_attention.c — the attention kernels (gqcrt_attention_kernels.def)
 * and gqcrt_attention_parallel, which stores a batch and splits its queries
 * over threads.
 *
 *  - gqcrt_attention_scalar is gqcrt_attention, bit for bit.
 *  - Every SIMD variant this CPU runs (_avx2 on x86-64 with AVX2/FMA/F16C,
 *    _neon on AArch64, also under qemu: scripts/test-aarch64-runtime.sh)
 *    agrees with the scalar kernel within ATTN_TOL (absolute, with q, k, v in
 *    [-1, 1], so |out| <= 1), over f32, f16 and q8_0 caches (q8_0 where
 *    head_dim is a multiple of 32), 1, 2, 3, 4 and 8 query
 *    heads per KV head, head_dim 64/128/256 and odd sizes that exercise
 *    every leftover path, windows and ring caches that wrap, and contexts of
 *    2048 positions.
 *  - A batch gives, for every variant, bit for bit what feeding its tokens
 *    one by one gives (outputs and caches): GQA ratios 1 to 8, windows
 *    shorter than a block of queries, rings of exactly window + batch - 1
 *    rows and shorter ones (attended in chunks), a batch longer than the
 *    ring.
 *  - A query's result does not depend on the query range a kernel call
 *    covers: bit-identical for any partition of a batch's queries.
 *  - Soft-capped scores (the descriptor's softcap, gemma2): the reference is
 *    the naive formula scale * c * tanh(q.k / c) in double within 1e-6, and
 *    the four tests above hold again with a cap that bends every score.
 *  - gqcrt_attention_parallel gives the single-threaded bits for any number
 *    of parts (a serial executor running parts last first, and the POSIX
 *    executor), splits big attentions into one query range per part with
 *    its own scratch, and gives parts beyond GQCRT_ATTENTION_MAX_PARTS
 *    nothing.
 *  - A compiled prefix: positions below n_prefix read from read-only tables
 *    give the bits of reading them from the cache (full attention, GQA, f16,
 *    sliding-window rings; one by one and batched).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gqcrt.h"
#include "gqcrt_parallel.h"
#include "gqcrt_pthread.h"
#include "tools/kernel_harness/cpu_variants.h"
#include "test_util.h"

/* SIMD vs scalar: max |out_simd - out_scalar|. The differences are the dot
 * products' summation order and fused multiply-adds; measured worst cases
 * over this file's cases are printed by test_simd_matches_scalar. */
#define ATTN_TOL 2e-6

/* The oldest position a query at pos sees (attention_common.h's rule). */
static int32_t gqcrt_attention_first_for_test(const gqcrt_attention_desc *d, int32_t pos) {
  int32_t first = pos - d->cache_rows + 1;
  if (d->window > 0 && pos - d->window + 1 > first)
    first = pos - d->window + 1;
  return first < 0 ? 0 : first;
}

/* ---- the kernel table ------------------------------------------------------- */

typedef struct {
  const char *variant;
  gqcrt_attention_fn fn;
} attn_kernel;

#define ENTRY_scalar {"scalar", gqcrt_attention_scalar},
#if defined(__x86_64__)
#define ENTRY_avx2 {"avx2", gqcrt_attention_avx2},
#else
#define ENTRY_avx2
#endif
#if defined(__aarch64__)
#define ENTRY_neon {"neon", gqcrt_attention_neon},
#else
#define ENTRY_neon
#endif
#define GQCRT_ATTENTION_KERNEL(variant, features) ENTRY_##variant
static const attn_kernel kernels[] = {
#include "gqcrt_attention_kernels.def"
};
#undef GQCRT_ATTENTION_KERNEL
#define N_KERNELS ((int)(sizeof kernels / sizeof kernels[0]))

static int runs_here(const attn_kernel *k) {
  return variant_runs_on_this_cpu(k->variant);
}

/* ---- test data ---------------------------------------------------------------- */

typedef struct attn_case {
  int32_t n_head, n_head_kv, head_dim, cache_rows, window, kv_type;
  int32_t n_pos; /* positions stored, 0 .. n_pos-1 */
  int32_t every; /* compare at every `every`-th position and the last */
} attn_case;

/* The scores' soft-cap of every descriptor desc_of makes: 0 (none), or set
 * by with_softcap for a second run of the tests that compare kernels. */
static float g_softcap;

static int with_softcap(void **state) {
  (void)state;
  g_softcap = 1.5f; /* below most scores of desc_of's scale: every one bends */
  return 0;
}

static int without_softcap(void **state) {
  (void)state;
  g_softcap = 0.0f;
  return 0;
}

static gqcrt_attention_desc desc_of(const attn_case *c) {
  gqcrt_attention_desc d = {c->n_head,   c->n_head_kv,
                            c->head_dim, c->cache_rows,
                            c->window,   c->kv_type,
                            0.0f,        g_softcap,
                            0,           0,
                            NULL,        NULL};
  d.scale = 2.0f / sqrtf((float)c->head_dim); /* scores of a few units: not uniform */
  return d;
}

static size_t cache_bytes(const gqcrt_attention_desc *d) {
  const size_t n = (size_t)d->cache_rows * (size_t)d->n_head_kv * (size_t)d->head_dim;
  if (d->kv_type == GQCRT_KV_Q8_0)
    return n / GQCRT_Q8_0_ELEMS * GQCRT_Q8_0_BYTES;
  return n * (d->kv_type == GQCRT_KV_F16 ? 2 : 4);
}

static const char *kv_name(int32_t kv_type) {
  return kv_type == GQCRT_KV_Q8_0 ? "q8_0" : kv_type == GQCRT_KV_F16 ? "f16" : "f32";
}

/* The q (n_head heads), k and v (n_head_kv heads) of n positions, row after
 * row, in [-1, 1): one token (n = 1) or a batch. */
typedef struct token {
  float *q, *k, *v;
} token;

static token new_tokens(const gqcrt_attention_desc *d, int32_t n) {
  token t;
  const size_t qn = (size_t)n * d->n_head * d->head_dim;
  const size_t kn = (size_t)n * d->n_head_kv * d->head_dim;
  t.q = malloc(qn * sizeof(float));
  t.k = malloc(kn * sizeof(float));
  t.v = malloc(kn * sizeof(float));
  assert_true(t.q && t.k && t.v);
  fill_uniform(t.q, (int)qn, 1.0f);
  fill_uniform(t.k, (int)kn, 1.0f);
  fill_uniform(t.v, (int)kn, 1.0f);
  return t;
}

static token new_token(const gqcrt_attention_desc *d) {
  return new_tokens(d, 1);
}

/* Row r of a batch (not to be freed). */
static token token_row(const gqcrt_attention_desc *d, const token *batch, int32_t r) {
  const size_t qn = (size_t)d->n_head * d->head_dim, kn = (size_t)d->n_head_kv * d->head_dim;
  return (token){batch->q + r * qn, batch->k + r * kn, batch->v + r * kn};
}

static void free_token(token *t) {
  free(t->q);
  free(t->k);
  free(t->v);
}

static float max_abs_diff(const float *a, const float *b, size_t n) {
  float m = 0.0f;
  for (size_t i = 0; i < n; i++) {
    const float e = fabsf(a[i] - b[i]);
    if (!(e <= m)) /* NaN counts */
      m = isnan(e) ? INFINITY : e;
  }
  return m;
}

static int is_checkpoint(const attn_case *c, int32_t p) {
  return p % c->every == 0 || p == c->n_pos - 1;
}

/* An executor running the parts one by one, last first. */
static void sequential_reverse(const gqcrt_executor *ex, gqcrt_task_fn fn, void *arg) {
  for (int32_t p = ex->n_threads - 1; p >= 0; p--)
    fn(arg, p, ex->n_threads);
}

/* Scratch for any call of this file: every part's rows. */
static float *new_scratch(const gqcrt_attention_desc *d) {
  float *s = malloc((size_t)GQCRT_ATTENTION_SCRATCH_FLOATS(d->cache_rows) * sizeof(float));
  assert_non_null(s);
  return s;
}

/* One token through a kernel: stored, then attended (n_rows = 1). */
static void decode(const gqcrt_attention_desc *d, gqcrt_attention_fn fn, float *out, const token *t,
                   void *kc, void *vc, float *scratch, int32_t pos) {
  gqcrt_attention_parallel(NULL, fn, d, out, t->q, t->k, t->v, kc, vc, NULL, NULL, scratch, pos, 1);
}

/* ---- scalar kernel == gqcrt_attention ------------------------------------------- */

static void test_scalar_is_reference(void **state) {
  (void)state;
  const attn_case cases[] = {
      {4, 1, 64, 32, 0, GQCRT_KV_F32, 32, 1},   {4, 2, 20, 8, 8, GQCRT_KV_F16, 30, 1},
      {6, 3, 18, 16, 5, GQCRT_KV_F32, 40, 1},   {2, 2, 7, 40, 0, GQCRT_KV_F16, 40, 1},
      {4, 1, 64, 32, 0, GQCRT_KV_Q8_0, 32, 1},  {6, 3, 32, 16, 5, GQCRT_KV_Q8_0, 40, 1},
      {4, 1, 256, 24, 0, GQCRT_KV_Q8_0, 30, 1},
  };
  for (size_t ci = 0; ci < sizeof cases / sizeof *cases; ci++) {
    const attn_case *c = &cases[ci];
    const gqcrt_attention_desc d = desc_of(c);
    const size_t cb = cache_bytes(&d), qn = (size_t)d.n_head * d.head_dim;
    unsigned char *kc1 = calloc(1, cb), *vc1 = calloc(1, cb), *kc2 = calloc(1, cb),
                  *vc2 = calloc(1, cb);
    float *s1 = malloc((size_t)d.cache_rows * sizeof(float)), *s2 = new_scratch(&d);
    float *o1 = malloc(qn * sizeof(float)), *o2 = malloc(qn * sizeof(float));
    for (int32_t p = 0; p < c->n_pos; p++) {
      token t = new_token(&d);
      gqcrt_attention(&d, o1, t.q, t.k, t.v, kc1, vc1, s1, p);
      decode(&d, gqcrt_attention_scalar, o2, &t, kc2, vc2, s2, p);
      assert_memory_equal(kc1, kc2, cb);
      assert_memory_equal(vc1, vc2, cb);
      if (memcmp(o1, o2, qn * sizeof(float)))
        fail_msg("case %zu pos %d: gqcrt_attention_scalar differs from gqcrt_attention", ci, p);
      free_token(&t);
    }
    free(kc1), free(vc1), free(kc2), free(vc2), free(s1), free(s2), free(o1), free(o2);
  }
}

/* ---- q8_0 caches ------------------------------------------------------------------ */

/* A q8_0 cache row is gqcrt_quantize_q8_0 of k and v (llama.cpp's
 * quantize_row_q8_0, the bytes ggml_cpy writes into its q8_0 cache), at
 * row pos % cache_rows; and with every q8_0 key equal, the softmax is
 * uniform, so out is the mean of the dequantised v rows (d * q). */
static void test_q8_0_cache_rows(void **state) {
  (void)state;
  const attn_case c = {4, 2, 64, 8, 0, GQCRT_KV_Q8_0, 11, 1};
  const gqcrt_attention_desc d = desc_of(&c);
  const size_t kn = (size_t)d.n_head_kv * d.head_dim, qn = (size_t)d.n_head * d.head_dim;
  const size_t row_bytes = kn / GQCRT_Q8_0_ELEMS * GQCRT_Q8_0_BYTES, cb = cache_bytes(&d);
  assert_int_equal(cb, (size_t)d.cache_rows * row_bytes); /* 34/32 bytes per element */
  unsigned char *kc = calloc(1, cb), *vc = calloc(1, cb), *want = malloc(row_bytes);
  float *scores = malloc((size_t)d.cache_rows * sizeof(float)), *out = malloc(qn * sizeof(float));
  token t = new_token(&d);
  for (int32_t p = 0; p < c.n_pos; p++) {
    gqcrt_attention(&d, out, t.q, t.k, t.v, kc, vc, scores, p);
    const size_t at = (size_t)(p % d.cache_rows) * row_bytes;
    gqcrt_quantize_q8_0(want, t.k, (int32_t)kn);
    assert_memory_equal(kc + at, want, row_bytes);
    gqcrt_quantize_q8_0(want, t.v, (int32_t)kn);
    assert_memory_equal(vc + at, want, row_bytes);
  }
  /* the same k and v at every position: out = v dequantised, within rounding */
  for (int32_t h = 0; h < d.n_head; h++)
    for (int32_t i = 0; i < d.head_dim; i++) {
      const size_t e = (size_t)(h / (d.n_head / d.n_head_kv)) * d.head_dim + (size_t)i;
      const unsigned char *b = want + e / GQCRT_Q8_0_ELEMS * GQCRT_Q8_0_BYTES;
      uint16_t dh;
      memcpy(&dh, b, 2);
      const float v = gqcrt_fp16_to_fp32(dh) * (float)(int8_t)b[2 + e % GQCRT_Q8_0_ELEMS];
      assert_float_equal(out[(size_t)h * d.head_dim + (size_t)i], v, 1e-6);
      assert_true(fabsf(v - t.v[e]) <= 1.0f / 127.0f); /* a q8_0 step of |v| <= 1 */
    }
  free_token(&t);
  free(kc), free(vc), free(want), free(scores), free(out);
}

/* ---- soft-capped scores ------------------------------------------------------------ */

/* gqcrt_attention with a cap against the formula, in double: a cap of 0.5
 * moves the result far beyond the bound, so the check sees a missing or
 * misplaced cap (applied after the scale instead of before, say). */
static void test_softcap_is_the_formula(void **state) {
  (void)state;
  enum { H = 2, HD = 16, N = 9 };
  const float caps[] = {0.5f, 3.0f};
  for (size_t ci = 0; ci < 2; ci++) {
    const gqcrt_attention_desc d = {H, 1, HD, N, 0, GQCRT_KV_F32, 0.7f, caps[ci], 0, 0, NULL, NULL};
    float kc[N * HD], vc[N * HD], scores[N], out[H * HD], q[H * HD];
    for (int32_t p = 0; p < N; p++) {
      float k[HD], v[HD];
      fill_uniform(k, HD, 1.0f);
      fill_uniform(v, HD, 1.0f);
      fill_uniform(q, H * HD, 1.0f);
      gqcrt_attention(&d, out, q, k, v, kc, vc, scores, p);
    }
    for (int h = 0; h < H; h++) {
      double s[N], max = -INFINITY, sum = 0;
      for (int j = 0; j < N; j++) {
        double dot = 0;
        for (int i = 0; i < HD; i++)
          dot += (double)q[h * HD + i] * kc[j * HD + i];
        s[j] = d.scale * d.softcap * tanh(dot / d.softcap);
        max = s[j] > max ? s[j] : max;
      }
      for (int j = 0; j < N; j++)
        sum += s[j] = exp(s[j] - max);
      for (int i = 0; i < HD; i++) {
        double o = 0;
        for (int j = 0; j < N; j++)
          o += s[j] / sum * vc[j * HD + i];
        if (fabs(o - out[h * HD + i]) > 1e-6)
          fail_msg("cap %g head %d [%d]: %.9g, the formula gives %.9g", (double)d.softcap, h, i,
                   (double)out[h * HD + i], o);
      }
    }
  }
}

/* ---- SIMD vs scalar ---------------------------------------------------------------- */

/* Max |kernel - scalar| over the checkpoints of a case. */
static float simd_vs_scalar(const attn_case *c, gqcrt_attention_fn fn) {
  const gqcrt_attention_desc d = desc_of(c);
  const size_t cb = cache_bytes(&d), qn = (size_t)d.n_head * d.head_dim;
  unsigned char *kc = calloc(1, cb), *vc = calloc(1, cb);
  float *scratch = new_scratch(&d);
  float *ref = malloc(qn * sizeof(float)), *out = malloc(qn * sizeof(float));
  assert_true(kc && vc && ref && out);
  float worst = 0.0f;
  for (int32_t p = 0; p < c->n_pos; p++) {
    token t = new_token(&d);
    gqcrt_attention_store(&d, t.k, t.v, kc, vc, p);
    if (is_checkpoint(c, p)) {
      gqcrt_attention_scalar(&d, ref, t.q, kc, vc, scratch, p, 1, 0, d.n_head);
      for (size_t i = 0; i < qn; i++)
        out[i] = NAN;
      fn(&d, out, t.q, kc, vc, scratch, p, 1, 0, d.n_head);
      const float e = max_abs_diff(out, ref, qn);
      worst = e > worst ? e : worst;
    }
    free_token(&t);
  }
  free(kc), free(vc), free(scratch), free(ref), free(out);
  return worst;
}

static void test_simd_matches_scalar(void **state) {
  (void)state;
  /* n_head, n_head_kv, head_dim, cache_rows, window, kv_type, n_pos, every */
  const attn_case shapes[] = {
      {4, 4, 64, 64, 0, 0, 64, 1},         /* 1 query head per KV head */
      {4, 2, 64, 64, 0, 0, 64, 1},         /* 2 */
      {6, 2, 128, 48, 0, 0, 48, 1},        /* 3 */
      {4, 1, 256, 40, 0, 0, 40, 1},        /* 4: FunctionGemma */
      {8, 1, 128, 24, 0, 0, 24, 1},        /* 8: two blocks of four */
      {4, 1, 256, 16, 16, 0, 53, 1},       /* ring of `window` rows, wrapped thrice */
      {4, 2, 64, 16, 6, 0, 45, 1},         /* window shorter than the ring */
      {4, 1, 64, 13, 0, 0, 40, 1},         /* ring without a window (cache_rows < n_ctx) */
      {2, 1, 20, 24, 0, 0, 24, 1},         /* head_dim % 16 = 4 */
      {3, 3, 36, 24, 0, 0, 24, 1},         /* % 32 = 4, % 8 = 4 */
      {2, 2, 18, 24, 7, 0, 30, 1},         /* % 4 = 2 */
      {4, 2, 7, 24, 0, 0, 24, 1},          /* shorter than a vector */
      {4, 1, 256, 2048, 0, 0, 2048, 511},  /* long context */
      {4, 1, 256, 512, 512, 0, 1100, 157}, /* sliding layer past its window */
      {8, 2, 128, 2048, 0, 0, 2048, 1023},
  };
  const size_t n_shapes = sizeof shapes / sizeof *shapes;
  int tested = 0;
  for (int k = 0; k < N_KERNELS; k++) {
    if (!strcmp(kernels[k].variant, "scalar") || !runs_here(&kernels[k]))
      continue;
    tested++;
    float worst[3] = {0, 0, 0};
    for (int kv = GQCRT_KV_F32; kv <= GQCRT_KV_Q8_0; kv++)
      for (size_t s = 0; s < n_shapes; s++) {
        if (g_softcap > 0 && shapes[s].n_pos > 64)
          continue; /* the cap changes the score step only: short shapes cover it */
        if (kv == GQCRT_KV_Q8_0 && shapes[s].head_dim % GQCRT_Q8_0_ELEMS)
          continue; /* rows of whole q8_0 blocks only */
        attn_case c = shapes[s];
        c.kv_type = kv;
        const float e = simd_vs_scalar(&c, kernels[k].fn);
        if (!(e <= ATTN_TOL))
          fail_msg("%s, %s cache, heads %d/%d hd %d cache %d window %d: max diff %g > %g",
                   kernels[k].variant, kv_name(kv), c.n_head, c.n_head_kv, c.head_dim, c.cache_rows,
                   c.window, (double)e, ATTN_TOL);
        worst[kv] = e > worst[kv] ? e : worst[kv];
      }
    print_message("attention_%s vs scalar: max |diff| %.3g (f32 cache), %.3g (f16), %.3g (q8_0)\n",
                  kernels[k].variant, (double)worst[0], (double)worst[1], (double)worst[2]);
  }
  if (!tested)
    skip();
}

/* A wrong answer must fail the comparison: the bound is tight enough to see
 * one position's weight perturbed by one part in 10^4. */
static void test_tolerance_is_tight(void **state) {
  (void)state;
  const attn_case c = {4, 1, 64, 32, 0, GQCRT_KV_F32, 32, 1};
  const gqcrt_attention_desc d = desc_of(&c);
  const size_t cb = cache_bytes(&d), qn = (size_t)d.n_head * d.head_dim;
  unsigned char *kc = calloc(1, cb), *vc = calloc(1, cb);
  float *scratch = new_scratch(&d);
  float *ref = malloc(qn * sizeof(float)), *out = malloc(qn * sizeof(float));
  token t = {0};
  for (int32_t p = 0; p < c.n_pos; p++) {
    free_token(&t);
    t = new_token(&d);
    gqcrt_attention_store(&d, t.k, t.v, kc, vc, p);
  }
  gqcrt_attention_scalar(&d, ref, t.q, kc, vc, scratch, c.n_pos - 1, 1, 0, d.n_head);
  ((float *)kc)[5] *= 1.001f; /* one k element of position 0 */
  gqcrt_attention_scalar(&d, out, t.q, kc, vc, scratch, c.n_pos - 1, 1, 0, d.n_head);
  assert_true(max_abs_diff(out, ref, qn) > ATTN_TOL);
  free_token(&t);
  free(kc), free(vc), free(scratch), free(ref), free(out);
}

/* ---- a batch is its tokens one by one ----------------------------------------------- */

/* A history of `history` tokens decoded one by one into every cache, then a
 * batch of n_rows: through `fn` with executor ex in one call, and token by
 * token. Outputs and caches must be bit-identical. */
static void check_batch(const attn_case *c, gqcrt_attention_fn fn, const gqcrt_executor *ex,
                        int32_t history, int32_t n_rows) {
  const gqcrt_attention_desc d = desc_of(c);
  const size_t cb = cache_bytes(&d), qn = (size_t)d.n_head * d.head_dim;
  unsigned char *kc[2], *vc[2];
  for (int i = 0; i < 2; i++) {
    kc[i] = calloc(1, cb);
    vc[i] = calloc(1, cb);
  }
  float *scratch = new_scratch(&d);
  for (int32_t p = 0; p < history; p++) { /* the same history in both */
    token t = new_token(&d);
    for (int i = 0; i < 2; i++)
      decode(&d, fn, t.q, &t, kc[i], vc[i], scratch, p);
    free_token(&t);
  }
  float *o[2];
  for (int i = 0; i < 2; i++)
    o[i] = malloc((size_t)n_rows * qn * sizeof(float));
  token b = new_tokens(&d, n_rows);
  for (int32_t r = 0; r < n_rows; r++) {
    const token t = token_row(&d, &b, r);
    decode(&d, fn, o[0] + r * qn, &t, kc[0], vc[0], scratch, history + r);
  }
  gqcrt_attention_parallel(ex, fn, &d, o[1], b.q, b.k, b.v, kc[1], vc[1], NULL, NULL, scratch,
                           history, n_rows);
  if (memcmp(o[0], o[1], (size_t)n_rows * qn * sizeof(float)) || memcmp(kc[0], kc[1], cb) ||
      memcmp(vc[0], vc[1], cb))
    fail_msg("heads %d/%d hd %d cache %d window %d %s, %d+%d rows, %d threads: the batch "
             "differs from its tokens one by one",
             d.n_head, d.n_head_kv, d.head_dim, d.cache_rows, d.window, kv_name(d.kv_type), history,
             n_rows, ex ? ex->n_threads : 1);
  for (int i = 0; i < 2; i++) {
    free(kc[i]), free(vc[i]), free(o[i]);
  }
  free(scratch);
  free_token(&b);
}

static void test_batch_is_tokens_one_by_one(void **state) {
  (void)state;
  const gqcrt_executor ex2 = {2, sequential_reverse, NULL}, ex3 = {3, sequential_reverse, NULL};
  for (int k = 0; k < N_KERNELS; k++) {
    if (!runs_here(&kernels[k]))
      continue;
    for (int kv = GQCRT_KV_F32; kv <= GQCRT_KV_Q8_0; kv++) {
      /* head sizes off the vector widths (whole q8_0 blocks for q8_0) */
      const int q8 = kv == GQCRT_KV_Q8_0;
      const int32_t hd36 = q8 ? 32 : 36, hd20 = q8 ? 96 : 20, hd16 = q8 ? 32 : 16;
      /* n_head, n_head_kv, head_dim, cache_rows, window, kv_type */
      const attn_case full = {8, 2, 64, 128, 0, kv, 0, 1};
      check_batch(&full, kernels[k].fn, &ex3, 30, 32);
      check_batch(&full, kernels[k].fn, NULL, 0, 1);
      check_batch(&full, kernels[k].fn, NULL, 0, 17);
      for (int32_t group = 1; group <= 8; group++) { /* every block shape */
        const attn_case gqa = {2 * group, 2, hd36, 80, 0, kv, 0, 1};
        check_batch(&gqa, kernels[k].fn, NULL, 11, 13);
        const attn_case slide = {group, 1, hd20, 40, 9 + group, kv, 0, 1};
        check_batch(&slide, kernels[k].fn, &ex2, 25, 7);
      }
      /* a ring of exactly window + batch - 1 rows: stored all at once */
      const attn_case ring = {4, 1, 256, 24 + 15, 24, kv, 0, 1};
      check_batch(&ring, kernels[k].fn, &ex2, 50, 16);
      /* rings shorter than that, and a batch longer than the ring: chunks */
      const attn_case tight = {4, 1, 256, 24, 24, kv, 0, 1};
      check_batch(&tight, kernels[k].fn, &ex2, 5, 40);
      const attn_case some = {4, 2, 64, 30, 24, kv, 0, 1};
      check_batch(&some, kernels[k].fn, &ex3, 40, 16);
      /* windows shorter than a block of queries: no common positions */
      const attn_case tiny = {1, 1, hd16, 8, 2, kv, 0, 1};
      check_batch(&tiny, kernels[k].fn, NULL, 6, 9);
      const attn_case one = {4, 4, hd20, 8, 1, kv, 0, 1};
      check_batch(&one, kernels[k].fn, &ex2, 3, 6);
      /* a ring without a window (cache_rows < n_ctx) */
      const attn_case nowin = {4, 1, 64, 13, 0, kv, 0, 1};
      check_batch(&nowin, kernels[k].fn, NULL, 20, 9);
    }
  }
}

/* ---- queries are independent --------------------------------------------------------- */

static void test_queries_independent(void **state) {
  (void)state;
  const attn_case cases[] = {
      {8, 2, 64, 40, 0, GQCRT_KV_F32, 0, 1},
      {8, 2, 36, 24, 9, GQCRT_KV_F16, 0, 1},
      {6, 1, 256, 64, 0, GQCRT_KV_F16, 0, 1},
      {8, 2, 64, 24, 9, GQCRT_KV_Q8_0, 0, 1},
  };
  enum { HISTORY = 21, ROWS = 5 };
  for (int k = 0; k < N_KERNELS; k++) {
    if (!runs_here(&kernels[k]))
      continue;
    for (size_t ci = 0; ci < sizeof cases / sizeof *cases; ci++) {
      const gqcrt_attention_desc d = desc_of(&cases[ci]);
      const size_t cb = cache_bytes(&d), qn = (size_t)d.n_head * d.head_dim;
      const size_t kn = (size_t)d.n_head_kv * d.head_dim;
      const int32_t n_q = ROWS * d.n_head;
      unsigned char *kc = calloc(1, cb), *vc = calloc(1, cb);
      float *scratch = new_scratch(&d);
      float *q = malloc(ROWS * qn * sizeof(float)), *kv = malloc(kn * sizeof(float));
      float *all = malloc(ROWS * qn * sizeof(float)), *split = malloc(ROWS * qn * sizeof(float));
      for (int32_t p = 0; p < HISTORY + ROWS; p++) {
        fill_uniform(kv, (int)kn, 1.0f);
        gqcrt_attention_store(&d, kv, kv, kc, vc, p);
      }
      fill_uniform(q, (int)(ROWS * qn), 1.0f);
      kernels[k].fn(&d, all, q, kc, vc, scratch, HISTORY, ROWS, 0, n_q);
      for (int32_t step = 1; step <= 7; step += 2) { /* ranges of `step` queries, and rests */
        memset(split, 0xff, ROWS * qn * sizeof(float));
        for (int32_t t0 = 0; t0 < n_q; t0 += step)
          kernels[k].fn(&d, split, q, kc, vc, scratch, HISTORY, ROWS, t0,
                        t0 + step < n_q ? t0 + step : n_q);
        if (memcmp(all, split, ROWS * qn * sizeof(float)))
          fail_msg("%s case %zu: ranges of %d queries differ from one call", kernels[k].variant, ci,
                   step);
      }
      free(kc), free(vc), free(scratch), free(q), free(kv), free(all), free(split);
    }
  }
}

/* out may alias q exactly, for one token and for a batch. */
static void test_out_aliases_q(void **state) {
  (void)state;
  const attn_case c = {4, 1, 64, 16, 0, GQCRT_KV_F16, 16, 1};
  const gqcrt_attention_desc d = desc_of(&c);
  const size_t cb = cache_bytes(&d), qn = (size_t)d.n_head * d.head_dim;
  enum { ROWS = 6 };
  for (int k = 0; k < N_KERNELS; k++) {
    if (!runs_here(&kernels[k]))
      continue;
    unsigned char *kc = calloc(1, cb), *vc = calloc(1, cb);
    float *scratch = new_scratch(&d);
    float *ref = malloc(ROWS * qn * sizeof(float)), *q = malloc(ROWS * qn * sizeof(float));
    for (int32_t p = 0; p < c.n_pos; p++) {
      token t = new_token(&d);
      gqcrt_attention_store(&d, t.k, t.v, kc, vc, p);
      kernels[k].fn(&d, ref, t.q, kc, vc, scratch, p, 1, 0, d.n_head);
      kernels[k].fn(&d, t.q, t.q, kc, vc, scratch, p, 1, 0, d.n_head);
      assert_memory_equal(ref, t.q, qn * sizeof(float));
      free_token(&t);
    }
    fill_uniform(q, (int)(ROWS * qn), 1.0f);
    kernels[k].fn(&d, ref, q, kc, vc, scratch, c.n_pos - ROWS, ROWS, 0, ROWS * d.n_head);
    kernels[k].fn(&d, q, q, kc, vc, scratch, c.n_pos - ROWS, ROWS, 0, ROWS * d.n_head);
    assert_memory_equal(ref, q, ROWS * qn * sizeof(float));
    free(kc), free(vc), free(scratch), free(ref), free(q);
  }
}

/* Invalid calls write nothing. */
static void test_invalid_calls(void **state) {
  (void)state;
  gqcrt_attention_desc d = {4, 1, 16, 8, 0, GQCRT_KV_F32, 0.25f, 0.0f, 0, 0, NULL, NULL};
  float q[2 * 64], out[2 * 64], kc[8 * 16] = {0}, vc[8 * 16] = {0};
  float *scratch = new_scratch(&d);
  fill_uniform(q, 2 * 64, 1.0f);
  for (int k = 0; k < N_KERNELS; k++) {
    if (!runs_here(&kernels[k]))
      continue;
    const struct {
      int32_t pos, n_rows, t0, t1, n_head_kv, cache_rows;
    } bad[] = {{-1, 1, 0, 4, 1, 8}, {0, 1, 2, 1, 1, 8},        {0, 1, -1, 2, 1, 8},
               {0, 1, 0, 5, 1, 8},  {0, 2, 0, 9, 1, 8},        {0, 0, 0, 0, 1, 8},
               {0, -1, 0, 1, 1, 8}, {0, 1, 0, 4, 3, 8},        {0, 1, 0, 4, 0, 8},
               {0, 1, 0, 4, 1, 0},  {INT32_MAX, 2, 0, 8, 1, 8}};
    for (size_t b = 0; b < sizeof bad / sizeof *bad; b++) {
      d.n_head_kv = bad[b].n_head_kv;
      d.cache_rows = bad[b].cache_rows;
      memset(out, 0x7f, sizeof out);
      kernels[k].fn(&d, out, q, kc, vc, scratch, bad[b].pos, bad[b].n_rows, bad[b].t0, bad[b].t1);
      for (int i = 0; i < 2 * 64; i++)
        if (qref_f32_bits(out[i]) != 0x7f7f7f7fu)
          fail_msg("%s: invalid call %zu wrote out[%d]", kernels[k].variant, b, i);
    }
    d.n_head_kv = 1;
    d.cache_rows = 8;
  }
  /* no kernel, or no rows: nothing stored, nothing written */
  memset(out, 0x7f, sizeof out);
  gqcrt_attention_parallel(NULL, NULL, &d, out, q, q, q, kc, vc, NULL, NULL, scratch, 0, 1);
  gqcrt_attention_parallel(NULL, gqcrt_attention_scalar, &d, out, q, q, q, kc, vc, NULL, NULL,
                           scratch, 0, 0);
  for (int i = 0; i < 8 * 16; i++)
    assert_true(kc[i] == 0.0f);
  assert_true(qref_f32_bits(out[0]) == 0x7f7f7f7fu);
  free(scratch);
}

/* ---- threads -------------------------------------------------------------------------- */

/* gqcrt_attention_parallel over n_pos positions with executor ex vs none:
 * outputs and caches bit-identical. */
static void check_parallel(const attn_case *c, gqcrt_attention_fn fn, const gqcrt_executor *ex) {
  const gqcrt_attention_desc d = desc_of(c);
  const size_t cb = cache_bytes(&d), qn = (size_t)d.n_head * d.head_dim;
  unsigned char *kc1 = calloc(1, cb), *vc1 = calloc(1, cb), *kc2 = calloc(1, cb),
                *vc2 = calloc(1, cb);
  float *s1 = new_scratch(&d), *s2 = new_scratch(&d);
  float *o1 = malloc(qn * sizeof(float)), *o2 = malloc(qn * sizeof(float));
  for (int32_t p = 0; p < c->n_pos; p++) {
    token t = new_token(&d);
    gqcrt_attention_parallel(NULL, fn, &d, o1, t.q, t.k, t.v, kc1, vc1, NULL, NULL, s1, p, 1);
    gqcrt_attention_parallel(ex, fn, &d, o2, t.q, t.k, t.v, kc2, vc2, NULL, NULL, s2, p, 1);
    if (memcmp(o1, o2, qn * sizeof(float)) || memcmp(kc1, kc2, cb) || memcmp(vc1, vc2, cb))
      fail_msg("%d threads, heads %d/%d hd %d pos %d: differs from one thread", ex->n_threads,
               d.n_head, d.n_head_kv, d.head_dim, p);
    free_token(&t);
  }
  free(kc1), free(vc1), free(kc2), free(vc2), free(s1), free(s2), free(o1), free(o2);
}

static void test_parallel_bit_identical(void **state) {
  (void)state;
  const attn_case cases[] = {
      {4, 1, 256, 96, 0, GQCRT_KV_F32, 96, 1},   {8, 2, 64, 48, 48, GQCRT_KV_F16, 150, 1},
      {6, 3, 36, 300, 0, GQCRT_KV_F16, 300, 1},  {4, 1, 256, 96, 0, GQCRT_KV_Q8_0, 96, 1},
      {6, 3, 64, 40, 40, GQCRT_KV_Q8_0, 150, 1},
  };
  const int32_t threads[] = {2, 3, 4, 5, 16};
  for (int k = 0; k < N_KERNELS; k++) {
    if (!runs_here(&kernels[k]))
      continue;
    for (size_t ci = 0; ci < sizeof cases / sizeof *cases; ci++)
      for (size_t ti = 0; ti < sizeof threads / sizeof *threads; ti++) {
        const gqcrt_executor ex = {threads[ti], sequential_reverse, NULL};
        check_parallel(&cases[ci], kernels[k].fn, &ex);
      }
  }
  /* and on real threads, one token at a time and in batches */
  for (int32_t n = 2; n <= 3; n++) {
    const gqcrt_executor *ex = gqcrt_pthread_executor_start(n);
    assert_non_null(ex);
    for (int k = 0; k < N_KERNELS; k++)
      if (runs_here(&kernels[k])) {
        check_parallel(&cases[0], kernels[k].fn, ex);
        check_batch(&cases[1], kernels[k].fn, ex, 70, 32);
      }
    gqcrt_pthread_executor_stop();
  }
}

/* A kernel recording the query ranges it was called with. */
static int32_t ranges_seen[64][2];
static float *scratch_seen[64];
static int n_ranges_seen;
static void recording_kernel(const gqcrt_attention_desc *d, float *out, const float *q,
                             const void *k_cache, const void *v_cache, float *scratch, int32_t pos,
                             int32_t n_rows, int32_t t0, int32_t t1) {
  (void)d, (void)out, (void)q, (void)k_cache, (void)v_cache, (void)pos, (void)n_rows;
  assert_true(n_ranges_seen < 64);
  scratch_seen[n_ranges_seen] = scratch;
  ranges_seen[n_ranges_seen][0] = t0;
  ranges_seen[n_ranges_seen++][1] = t1;
}

/* Big attentions are split into one query range per part covering every
 * query once, each with its own scratch rows (at most
 * GQCRT_ATTENTION_MAX_PARTS parts); tiny ones run in one call. */
static void test_parallel_splits_queries(void **state) {
  (void)state;
  enum { H = 8, ROWS = 256, HD = 64, BATCH = 4 };
  const gqcrt_attention_desc d = {H, 2, HD, ROWS, 0, GQCRT_KV_F32, 0.125f, 0.0f, 0, 0, NULL, NULL};
  static float kc[ROWS * 2 * HD], vc[ROWS * 2 * HD], q[BATCH * H * HD], out[BATCH * H * HD],
      k[BATCH * 2 * HD];
  float *scratch = new_scratch(&d);
  const int32_t threads[] = {2, 3, 8, 12, 40};
  const int32_t rows[] = {1, BATCH};
  for (size_t ri = 0; ri < 2; ri++)
    for (size_t ti = 0; ti < sizeof threads / sizeof *threads; ti++) {
      const gqcrt_executor ex = {threads[ti], sequential_reverse, NULL};
      const int32_t n_q = rows[ri] * H;
      n_ranges_seen = 0;
      gqcrt_attention_parallel(&ex, recording_kernel, &d, out, q, k, k, kc, vc, NULL, NULL, scratch,
                               ROWS - rows[ri], rows[ri]);
      int32_t covered[BATCH * H] = {0};
      int nonempty = 0;
      for (int r = 0; r < n_ranges_seen; r++) {
        nonempty += ranges_seen[r][1] > ranges_seen[r][0];
        for (int32_t t = ranges_seen[r][0]; t < ranges_seen[r][1]; t++)
          covered[t]++;
        const ptrdiff_t off = scratch_seen[r] - scratch; /* a part's own rows */
        assert_true(off >= 0 && off % (GQCRT_ATTENTION_BLOCK * ROWS) == 0 &&
                    off / (GQCRT_ATTENTION_BLOCK * ROWS) < GQCRT_ATTENTION_MAX_PARTS);
        for (int o = 0; o < r; o++)
          assert_true(scratch_seen[o] != scratch_seen[r]);
      }
      for (int32_t t = 0; t < n_q; t++)
        assert_int_equal(covered[t], 1);
      int32_t parts =
          threads[ti] < GQCRT_ATTENTION_MAX_PARTS ? threads[ti] : GQCRT_ATTENTION_MAX_PARTS;
      assert_int_equal(nonempty, parts < n_q ? parts : n_q);
    }
  /* position 0: one visible row, not worth waking a thread */
  const gqcrt_executor ex = {4, sequential_reverse, NULL};
  n_ranges_seen = 0;
  gqcrt_attention_parallel(&ex, recording_kernel, &d, out, q, k, k, kc, vc, NULL, NULL, scratch, 0,
                           1);
  assert_int_equal(n_ranges_seen, 1);
  assert_int_equal(ranges_seen[0][0], 0);
  assert_int_equal(ranges_seen[0][1], H);
  free(scratch);
}

/* ---- a compiled prefix ---------------------------------------------------------------- */

/* n_prefix tokens decoded into cache A; their rows from the oldest position
 * a later query sees (gqcrt_attention_first at n_prefix) copied into
 * read-only tables; then n_more tokens through A (no prefix) and through an
 * empty cache B that reads positions below n_prefix from the tables (one by
 * one, then as one batch into a third cache). Outputs must be bit-identical,
 * and nothing may be written below n_prefix. */
static void check_prefix(const attn_case *c, gqcrt_attention_fn fn, int32_t n_prefix,
                         int32_t n_more) {
  const gqcrt_attention_desc d = desc_of(c);
  gqcrt_attention_desc dp = d;
  dp.n_prefix = n_prefix;
  dp.prefix_first = gqcrt_attention_first_for_test(&d, n_prefix);
  const size_t cb = cache_bytes(&d), qn = (size_t)d.n_head * d.head_dim;
  const size_t kn = (size_t)d.n_head_kv * d.head_dim, esize = d.kv_type == GQCRT_KV_F16 ? 2 : 4;
  const size_t row = kn * esize, n_tab = (size_t)(n_prefix - dp.prefix_first);
  unsigned char *kc[3], *vc[3];
  for (int i = 0; i < 3; i++) {
    kc[i] = calloc(1, cb);
    vc[i] = calloc(1, cb);
  }
  unsigned char *pk = malloc(n_tab * row + 1), *pv = malloc(n_tab * row + 1);
  float *scratch = new_scratch(&d), *o[3];
  for (int i = 0; i < 3; i++)
    o[i] = malloc((size_t)n_more * qn * sizeof(float));
  for (int32_t p = 0; p < n_prefix; p++) {
    token t = new_token(&d);
    decode(&d, fn, o[0], &t, kc[0], vc[0], scratch, p);
    free_token(&t);
  }
  for (size_t j = 0; j < n_tab; j++) {
    const size_t r = (size_t)((dp.prefix_first + (int32_t)j) % d.cache_rows);
    memcpy(pk + j * row, kc[0] + r * row, row);
    memcpy(pv + j * row, vc[0] + r * row, row);
  }
  token b = new_tokens(&d, n_more);
  for (int32_t r = 0; r < n_more; r++) {
    const token t = token_row(&d, &b, r);
    decode(&d, fn, o[0] + r * qn, &t, kc[0], vc[0], scratch, n_prefix + r);
    gqcrt_attention_parallel(NULL, fn, &dp, o[1] + r * qn, t.q, t.k, t.v, kc[1], vc[1], pk, pv,
                             scratch, n_prefix + r, 1);
  }
  gqcrt_attention_parallel(NULL, fn, &dp, o[2], b.q, b.k, b.v, kc[2], vc[2], pk, pv, scratch,
                           n_prefix, n_more);
  const size_t ob = (size_t)n_more * qn * sizeof(float);
  if (memcmp(o[0], o[1], ob) || memcmp(o[0], o[2], ob))
    fail_msg("heads %d/%d hd %d cache %d window %d %s, prefix %d + %d: differs from reading "
             "the prefix's rows from the cache",
             d.n_head, d.n_head_kv, d.head_dim, d.cache_rows, d.window, d.kv_type ? "f16" : "f32",
             n_prefix, n_more);
  /* a position below the prefix, or no tables: nothing happens */
  memset(o[1], 0x7f, qn * sizeof(float));
  gqcrt_attention_parallel(NULL, fn, &dp, o[1], b.q, b.k, b.v, kc[1], vc[1], pk, pv, scratch,
                           n_prefix - 1, 1);
  gqcrt_attention_parallel(NULL, fn, &dp, o[1], b.q, b.k, b.v, kc[1], vc[1], NULL, pv, scratch,
                           n_prefix + n_more, 1);
  assert_true(qref_f32_bits(o[1][0]) == 0x7f7f7f7fu);
  for (int i = 0; i < 3; i++)
    free(kc[i]), free(vc[i]), free(o[i]);
  free(pk), free(pv), free(scratch);
  free_token(&b);
}

static void test_prefix_tables(void **state) {
  (void)state;
  const attn_case cases[] = {
      {4, 1, 64, 128, 0, GQCRT_KV_F32, 0, 0},       /* full attention */
      {8, 2, 36, 128, 0, GQCRT_KV_F16, 0, 0},       /* GQA, f16, odd head_dim */
      {4, 2, 64, 8 + 6 - 1, 8, GQCRT_KV_F32, 0, 0}, /* sliding window ring, batch 6 */
      {6, 3, 32, 5 + 6 - 1, 5, GQCRT_KV_F16, 0, 0},
  };
  const int32_t prefixes[] = {1, 3, 7, 8, 9, 40};
  for (int kk = 0; kk < N_KERNELS; kk++) {
    if (!runs_here(&kernels[kk]))
      continue;
    for (size_t ci = 0; ci < sizeof cases / sizeof *cases; ci++)
      for (size_t pi = 0; pi < sizeof prefixes / sizeof *prefixes; pi++)
        check_prefix(&cases[ci], kernels[kk].fn, prefixes[pi], 6);
  }
}

int main(void) {
  test_rng_seed(0x617474656e74696fULL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_scalar_is_reference),
      cmocka_unit_test(test_q8_0_cache_rows),
      cmocka_unit_test(test_simd_matches_scalar),
      cmocka_unit_test(test_tolerance_is_tight),
      cmocka_unit_test(test_batch_is_tokens_one_by_one),
      cmocka_unit_test(test_queries_independent),
      /* the same with soft-capped scores */
      cmocka_unit_test(test_softcap_is_the_formula),
      cmocka_unit_test_setup_teardown(test_scalar_is_reference, with_softcap, without_softcap),
      cmocka_unit_test_setup_teardown(test_simd_matches_scalar, with_softcap, without_softcap),
      cmocka_unit_test_setup_teardown(test_batch_is_tokens_one_by_one, with_softcap,
                                      without_softcap),
      cmocka_unit_test_setup_teardown(test_queries_independent, with_softcap, without_softcap),
      cmocka_unit_test(test_out_aliases_q),
      cmocka_unit_test(test_invalid_calls),
      cmocka_unit_test(test_parallel_bit_identical),
      cmocka_unit_test(test_parallel_splits_queries),
      cmocka_unit_test(test_prefix_tables),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
