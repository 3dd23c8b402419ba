/* hostile_api.c — the generated model API under hostile calls.
 *
 * Linked against one model compiled by gqc with --name model (tests/e2e/
 * hostile.sh builds it, with either backend, small --ctx and --max-text, and
 * in the sanitizer build compiles the generated C with ASan/UBSan). Firmware
 * calls these functions with whatever its caller hands it, so every bad
 * argument must come back as a GQCRT_ERR_* code — never a crash, a write
 * out of bounds or a changed decoder state:
 *
 *   - decode before init;
 *   - token ids outside [0, n_vocab) (-1, n_vocab, INT32_MIN, INT32_MAX);
 *   - positions < 0, >= n_ctx, or beyond the next position;
 *   - rejected calls leave the state alone: the next valid call gives
 *     bit-identical logits to a run that never saw them;
 *   - reset and rewinding: a rewound position gives the logits a fresh run
 *     gives there (this is what a sliding-window ring cache can get wrong);
 *   - tokenize with NULL text or ids, max_ids 0 or negative, an id buffer one
 *     short (guarded by canaries), invalid UTF-8 of every kind, text one
 *     byte longer than MODEL_MAX_TEXT_BYTES (and exactly as long);
 *   - token_text / token_piece / is_eog with ids out of range, NULL len.
 *
 *   usage: hostile_api [--garbage-weights]
 *          (prints one line per failed check and exits 1 if any failed)
 *
 * --garbage-weights: the model's weights are adversarial numbers (NaN, Inf,
 * random scales; fuzz/make_bad_gguf.c --garbage-weights), so the logits need
 * not be finite; every other check stands — garbage numbers, and nothing
 * else, is what such a model may produce.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expect.h"
#include "gqcrt.h"
#include "model.h"

static int expect_finite = 1;

enum { MAX_CTX = 64 }; /* hostile.sh compiles with --ctx 16 */

/* A call that must fail: decode returns NULL and last_error is `code`. */
static void expect_decode_error(int32_t token, int32_t pos, int code) {
  const float *l = model_decode(token, pos);
  EXPECT(l == NULL, "decode(%d, %d) succeeded, expected error %d", (int)token, (int)pos, code);
  EXPECT(model_last_error() == code, "decode(%d, %d): last_error %d, expected %d", (int)token,
         (int)pos, model_last_error(), code);
}

/* A call that must succeed; returns a copy of the logits (static slot). */
static const float *decode_ok(int32_t token, int32_t pos, float *copy) {
  const float *l = model_decode(token, pos);
  EXPECT(l != NULL, "decode(%d, %d) failed with %d", (int)token, (int)pos, model_last_error());
  if (!l)
    return NULL;
  int finite = 1;
  for (int i = 0; i < MODEL_N_VOCAB; i++)
    finite &= isfinite(l[i]) != 0;
  EXPECT(finite || !expect_finite, "decode(%d, %d): non-finite logits", (int)token, (int)pos);
  if (copy)
    memcpy(copy, l, sizeof(float) * MODEL_N_VOCAB);
  return l;
}

static int same_logits(const float *a, const float *b) {
  return memcmp(a, b, sizeof(float) * MODEL_N_VOCAB) == 0;
}

/* A deterministic token sequence inside the vocabulary. */
static int32_t token_at(int pos) {
  return (int32_t)((pos * 37 + 11) % MODEL_N_VOCAB);
}

static void test_decode(void) {
  const int n_ctx = model_n_ctx();
  EXPECT(n_ctx == MODEL_N_CTX && n_ctx > 6 && n_ctx <= MAX_CTX, "n_ctx %d", n_ctx);
  EXPECT(model_n_vocab() == MODEL_N_VOCAB, "n_vocab %d", model_n_vocab());

  /* Before init. */
  expect_decode_error(0, 0, GQCRT_ERR_NOT_INITIALISED);
  expect_decode_error(-1, -1, GQCRT_ERR_NOT_INITIALISED);
  int rc = model_init();
  EXPECT(rc == GQCRT_OK, "init returned %d", rc);
  EXPECT(model_last_error() == 0, "last_error %d after init", model_last_error());

  /* Bad tokens and positions on an empty cache. */
  const int32_t bad_tokens[] = {-1, MODEL_N_VOCAB, MODEL_N_VOCAB + 1, INT32_MIN, INT32_MAX};
  for (size_t i = 0; i < sizeof bad_tokens / sizeof bad_tokens[0]; i++)
    expect_decode_error(bad_tokens[i], 0, GQCRT_ERR_BAD_TOKEN);
  const int32_t bad_pos[] = {-1, 1, 2, n_ctx, n_ctx + 1, INT32_MIN, INT32_MAX};
  for (size_t i = 0; i < sizeof bad_pos / sizeof bad_pos[0]; i++)
    expect_decode_error(token_at(0), bad_pos[i], GQCRT_ERR_BAD_POS);

  /* The reference: a clean run over the whole context. */
  static float ref[MAX_CTX][MODEL_N_VOCAB];
  for (int p = 0; p < n_ctx; p++)
    if (!decode_ok(token_at(p), p, ref[p]))
      return;
  expect_decode_error(token_at(0), n_ctx, GQCRT_ERR_BAD_POS);

  /* Reset: position 0 only, then the same logits as the clean run. */
  model_reset();
  expect_decode_error(token_at(1), 1, GQCRT_ERR_BAD_POS);
  static float got[MODEL_N_VOCAB];
  decode_ok(token_at(0), 0, got);
  EXPECT(same_logits(got, ref[0]), "position 0 after reset differs from the clean run");

  /* Rejected calls in between change nothing. */
  for (int p = 1; p < 4; p++) {
    expect_decode_error(token_at(p), p + 1, GQCRT_ERR_BAD_POS);
    expect_decode_error(-1, p, GQCRT_ERR_BAD_TOKEN);
    expect_decode_error(MODEL_N_VOCAB, p, GQCRT_ERR_BAD_TOKEN);
    expect_decode_error(token_at(p), -p, GQCRT_ERR_BAD_POS);
    decode_ok(token_at(p), p, got);
    EXPECT(same_logits(got, ref[p]), "position %d after rejected calls differs", p);
  }

  /* Re-decoding the last position, then continuing. */
  decode_ok(token_at(3), 3, got);
  EXPECT(same_logits(got, ref[3]), "re-decoding position 3 differs");
  decode_ok(token_at(4), 4, got);
  EXPECT(same_logits(got, ref[4]), "position 4 after re-decoding 3 differs");

  /* Rewinding after a full context: every position p, re-decoded after the
   * cache held positions up to n_ctx - 1, must give the clean run's logits
   * (the header promises a rewind "rewinds the cache to it"). */
  for (int p = 5; p < n_ctx; p++)
    decode_ok(token_at(p), p, NULL);
  int rewind_ok = 1;
  for (int p = n_ctx - 1; p >= 0; p -= 3) {
    const float *l = model_decode(token_at(p), p);
    if (!l) {
      /* Refusing a rewind the cache cannot honour is allowed, if it says so. */
      EXPECT(model_last_error() == GQCRT_ERR_BAD_POS, "rewind to %d: error %d", p,
             model_last_error());
      continue;
    }
    if (!same_logits(l, ref[p])) {
      double max_diff = 0;
      for (int i = 0; i < MODEL_N_VOCAB; i++)
        max_diff = fmax(max_diff, fabs((double)l[i] - ref[p][i]));
      printf("rewind to position %d (after %d positions): logits differ from the clean run by "
             "up to %g\n",
             p, n_ctx, max_diff);
      rewind_ok = 0;
    }
    /* Continue from the rewound position to the end again, so each rewind
     * starts from a full cache. */
    for (int q = p + 1; q < n_ctx; q++)
      decode_ok(token_at(q), q, NULL);
  }
  EXPECT(rewind_ok, "a rewound position gives other logits than a clean run");
}

static void test_tokenize(void) {
  int32_t ids[256];
  enum { CANARY = 0x5a5a5a5a };
  int r;

  r = model_tokenize(NULL, ids, 256);
  EXPECT(r == GQCRT_ERR_NULL && model_last_error() == GQCRT_ERR_NULL, "NULL text: %d", r);
  r = model_tokenize("Once", NULL, 256);
  EXPECT(r == GQCRT_ERR_NULL, "NULL ids: %d", r);
  r = model_tokenize("Once", NULL, 0);
  EXPECT(r == GQCRT_ERR_NULL, "NULL ids, max 0: %d", r);

  const char *text = "Once upon a time, there was a little girl named Lily.";
  int n = model_tokenize(text, ids, 256);
  EXPECT(n > 2 && n < 64, "tokenize: %d", n);
  if (n <= 0)
    return;
  int32_t first[64];
  memcpy(first, ids, sizeof(int32_t) * (size_t)n);
  for (int i = 0; i < n; i++)
    EXPECT(ids[i] >= 0 && ids[i] < MODEL_N_VOCAB, "id %d out of range", (int)ids[i]);

  /* Too small: NO_SPACE, and nothing written past max_ids. */
  for (int max = -1; max < n; max += (max < 2 ? 1 : n / 3 + 1)) {
    for (int i = 0; i < 256; i++)
      ids[i] = CANARY;
    r = model_tokenize(text, ids, max);
    EXPECT(r == GQCRT_ERR_NO_SPACE && model_last_error() == GQCRT_ERR_NO_SPACE,
           "max_ids %d of %d: %d", max, n, r);
    int intact = 1;
    for (int i = max > 0 ? max : 0; i < 256; i++)
      intact &= ids[i] == CANARY;
    EXPECT(intact, "max_ids %d: written past the end", max);
  }
  r = model_tokenize(text, ids, INT32_MIN);
  EXPECT(r == GQCRT_ERR_NO_SPACE, "max_ids INT32_MIN: %d", r);
  /* Exactly enough. */
  for (int i = 0; i < 256; i++)
    ids[i] = CANARY;
  r = model_tokenize(text, ids, n);
  EXPECT(r == n && !memcmp(ids, first, sizeof(int32_t) * (size_t)n) && ids[n] == CANARY,
         "exact buffer: %d", r);

  /* Invalid UTF-8 of every kind. */
  static const char *const bad_utf8[] = {
      "\xff",                 /* never valid */
      "abc\x80",              /* lone continuation byte */
      "\xc3",                 /* truncated 2-byte sequence */
      "\xe4\xb8",             /* truncated 3-byte sequence */
      "\xf0\x9f\x98",         /* truncated 4-byte sequence */
      "\xc0\xaf",             /* overlong '/' */
      "\xe0\x80\xaf",         /* overlong, 3 bytes */
      "\xed\xa0\x80",         /* UTF-16 surrogate U+D800 */
      "\xf4\x90\x80\x80",     /* U+110000, past Unicode */
      "\xf8\x88\x80\x80\x80", /* 5-byte form */
      "ok \xc3\x28 ok",       /* bad continuation */
  };
  for (size_t i = 0; i < sizeof bad_utf8 / sizeof bad_utf8[0]; i++) {
    r = model_tokenize(bad_utf8[i], ids, 256);
    EXPECT(r == GQCRT_ERR_BAD_UTF8 && model_last_error() == GQCRT_ERR_BAD_UTF8,
           "invalid UTF-8 #%zu: %d", i, r);
  }
  r = model_tokenize("caf\xc3\xa9 \xf0\x9f\x98\x80", ids, 256);
  EXPECT(r > 0, "valid UTF-8 refused: %d", r);

  /* The compiled length limit. */
  static char longtext[MODEL_MAX_TEXT_BYTES + 2];
  memset(longtext, 'a', MODEL_MAX_TEXT_BYTES);
  longtext[MODEL_MAX_TEXT_BYTES] = 0;
  static int32_t many[2 * MODEL_MAX_TEXT_BYTES + 8];
  r = model_tokenize(longtext, many, (int)(sizeof many / sizeof many[0]));
  EXPECT(r > 0, "text of exactly MODEL_MAX_TEXT_BYTES: %d", r);
  longtext[MODEL_MAX_TEXT_BYTES] = 'a';
  longtext[MODEL_MAX_TEXT_BYTES + 1] = 0;
  r = model_tokenize(longtext, many, (int)(sizeof many / sizeof many[0]));
  EXPECT(r == GQCRT_ERR_TOO_LONG && model_last_error() == GQCRT_ERR_TOO_LONG,
         "text of MODEL_MAX_TEXT_BYTES + 1: %d", r);

  /* Special-token texts and an empty string are ordinary input. */
  r = model_tokenize("<s></s><unk><|endoftext|>", ids, 256);
  EXPECT(r > 0, "special texts: %d", r);
  r = model_tokenize("", ids, 256);
  EXPECT(r >= 0, "empty text: %d", r);
}

static void test_tokens(void) {
  const int32_t bad[] = {-1, MODEL_N_VOCAB, INT32_MIN, INT32_MAX};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int32_t len = 12345;
    EXPECT(model_token_piece(bad[i], &len) == NULL && len == 0, "piece(%d)", (int)bad[i]);
    EXPECT(model_token_piece(bad[i], NULL) == NULL, "piece(%d, NULL)", (int)bad[i]);
    EXPECT(model_token_text(bad[i]) == NULL, "text(%d)", (int)bad[i]);
    EXPECT(model_is_eog(bad[i]) == 0, "is_eog(%d)", (int)bad[i]);
  }
  for (int32_t id = 0; id < MODEL_N_VOCAB; id++) {
    int32_t len = -1;
    const char *p = model_token_piece(id, &len);
    EXPECT(p != NULL && len >= 0 && p[len] == 0, "piece(%d)", (int)id);
    EXPECT(model_token_text(id) != NULL, "text(%d)", (int)id);
    int e = model_is_eog(id);
    EXPECT(e == 0 || e == 1, "is_eog(%d) = %d", (int)id, e);
  }
  int32_t bos = model_bos(), eos = model_eos();
  EXPECT(bos >= -1 && bos < MODEL_N_VOCAB, "bos %d", (int)bos);
  EXPECT(eos >= -1 && eos < MODEL_N_VOCAB, "eos %d", (int)eos);
}

int main(int argc, char **argv) {
  if (argc == 2 && !strcmp(argv[1], "--garbage-weights")) {
    expect_finite = 0;
  } else if (argc != 1) {
    fprintf(stderr, "usage: hostile_api [--garbage-weights]\n");
    return 2;
  }
  /* Tokenizing needs no init (the vocabulary is compiled in, not state):
   * before init it must work, or fail cleanly. */
  int32_t ids[16];
  int r = model_tokenize("Once", ids, 16);
  EXPECT(r > 0 || r == GQCRT_ERR_NOT_INITIALISED, "tokenize before init: %d", r);

  test_decode();
  test_tokenize();
  test_tokens();
  return expect_summary("hostile_api", "");
}
