/* prefill_api.c — model_prefill's contract, call by call.
 *
 * Linked against one model compiled by gqc with --name model --ctx 16 and a
 * small batch (tests/e2e/prefill_api.sh), so that the context and the steps
 * are cheap to fill. model_prefill(tokens, n, pos) must behave as n calls of
 * model_decode at pos, pos+1, ... would, with the checks made up front:
 *
 *   - before init, NULL tokens, n < 1, a bad token anywhere in the batch, a
 *     position decode would refuse (pos < 0, pos > n_past, the batch running
 *     past n_ctx, a sliding-window rewind too far back): NULL with the code
 *     in model_last_error, and the decoder state untouched (the next valid
 *     call gives what a run that never saw the bad one gives);
 *   - the logits of every valid call, bit for bit those decode gives for the
 *     batch's last token: the whole context in one call, any n and any pos
 *     (steps of MODEL_BATCH, partial steps, a rewind into the middle of the
 *     filled cache);
 *   - decode after prefill continues the same sequence.
 *
 *   usage: prefill_api   (one line per failed check; exit 1 if any failed)
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "expect.h"
#include "gqcrt.h"
#include "model.h"

enum { CTX = MODEL_N_CTX };

static float ref[CTX][MODEL_N_VOCAB]; /* decode's logits of the clean run */
static int32_t toks[CTX];

static int same(const float *a, const float *b) {
  return memcmp(a, b, sizeof(float) * MODEL_N_VOCAB) == 0;
}

/* A call that must fail with `code`. */
static void expect_error(const int32_t *t, int32_t n, int32_t pos, int code) {
  const float *l = model_prefill(t, n, pos);
  EXPECT(l == NULL, "prefill(n %d, pos %d) succeeded, expected error %d", (int)n, (int)pos, code);
  EXPECT(model_last_error() == code, "prefill(n %d, pos %d): last_error %d, expected %d", (int)n,
         (int)pos, model_last_error(), code);
}

/* A call that must succeed and give decode's logits at pos + n - 1. */
static void expect_ref(int32_t n, int32_t pos, const char *what) {
  const float *l = model_prefill(toks + pos, n, pos);
  EXPECT(l != NULL, "%s: prefill(n %d, pos %d) failed with %d", what, (int)n, (int)pos,
         model_last_error());
  if (l)
    EXPECT(same(l, ref[pos + n - 1]), "%s: prefill(n %d, pos %d) differs from decode", what, (int)n,
           (int)pos);
}

int main(void) {
  _Static_assert(MODEL_BATCH >= 1, "the model has a prefill batch");
  for (int p = 0; p < CTX; p++)
    toks[p] = (int32_t)((p * 37 + 11) % MODEL_N_VOCAB);

  expect_error(toks, 1, 0, GQCRT_ERR_NOT_INITIALISED);
  EXPECT(model_init() == 0, "init failed: %d", model_last_error());

  /* the reference: decode token by token */
  for (int p = 0; p < CTX; p++) {
    const float *l = model_decode(toks[p], p);
    EXPECT(l != NULL, "decode at %d failed: %d", p, model_last_error());
    if (!l)
      return 1;
    memcpy(ref[p], l, sizeof ref[p]);
  }
  model_reset();

  /* bad calls on an empty cache */
  expect_error(NULL, 1, 0, GQCRT_ERR_NULL);
  expect_error(toks, 0, 0, GQCRT_ERR_BAD_POS);
  expect_error(toks, -1, 0, GQCRT_ERR_BAD_POS);
  expect_error(toks, INT32_MIN, 0, GQCRT_ERR_BAD_POS);
  expect_error(toks, 1, -1, GQCRT_ERR_BAD_POS);
  expect_error(toks, 1, 1, GQCRT_ERR_BAD_POS); /* beyond the next position */
  expect_error(toks, CTX + 1, 0, GQCRT_ERR_BAD_POS);
  expect_error(toks, INT32_MAX, 0, GQCRT_ERR_BAD_POS); /* no id past CTX is read */
  int32_t bad[CTX];
  const int32_t bad_ids[] = {-1, MODEL_N_VOCAB, INT32_MIN, INT32_MAX};
  for (size_t k = 0; k < sizeof bad_ids / sizeof bad_ids[0]; k++) {
    memcpy(bad, toks, sizeof bad);
    bad[CTX - 1] = bad_ids[k]; /* the last token of a batch of several steps */
    expect_error(bad, CTX, 0, GQCRT_ERR_BAD_TOKEN);
  }
  /* nothing ran: the cache is still empty */
  expect_error(toks + 1, 1, 1, GQCRT_ERR_BAD_POS);

  /* the whole context in one call (steps of MODEL_BATCH), then each length
   * (from an empty cache: with sliding-window layers decode refuses a rewind
   * to 0 after a full context, and so does prefill, see below) */
  expect_ref(CTX, 0, "whole context");
  for (int n = 1; n <= CTX; n++) {
    model_reset();
    expect_ref(n, 0, "from 0");
  }

  /* consecutive calls of every size, and decode after prefill */
  for (int n = 1; n <= MODEL_BATCH + 1; n++) {
    model_reset();
    int pos = 0;
    while (pos + n <= CTX) {
      expect_ref(n, pos, "consecutive");
      pos += n;
    }
    for (; pos < CTX; pos++) {
      const float *l = model_decode(toks[pos], pos);
      EXPECT(l && same(l, ref[pos]), "decode at %d after prefill calls of %d differs", pos, n);
    }
  }

  /* after a full context: past the end is refused, state kept */
  expect_error(toks, 2, CTX - 1, GQCRT_ERR_BAD_POS);
  expect_error(toks, 1, CTX, GQCRT_ERR_BAD_POS);
  memcpy(bad, toks, sizeof bad);
  bad[CTX - 1] = -1; /* re-feeding the last position (a rewind any cache allows) */
  expect_error(bad + CTX - 1, 1, CTX - 1, GQCRT_ERR_BAD_TOKEN);
  const float *l = model_decode(toks[CTX - 1], CTX - 1);
  EXPECT(l && same(l, ref[CTX - 1]), "decode after refused prefills differs");

  /* rewinds: into the filled cache, each from a full context. With
   * sliding-window layers a rewind too far back is refused (BAD_POS), as
   * decode refuses it; one that is allowed gives the clean run's logits. */
  int refused = 0, rewound = 0;
  for (int pos = CTX - 1; pos >= 0; pos -= 3) {
    int n = CTX - pos < MODEL_BATCH + 1 ? CTX - pos : MODEL_BATCH + 1;
    const float *l = model_prefill(toks + pos, n, pos);
    if (!l) {
      EXPECT(model_last_error() == GQCRT_ERR_BAD_POS, "rewind to %d: error %d", pos,
             model_last_error());
      /* decode refuses it too (and neither changed the cache) */
      EXPECT(model_decode(toks[pos], pos) == NULL, "decode rewinds to %d, prefill does not", pos);
      refused++;
      continue;
    }
    EXPECT(same(l, ref[pos + n - 1]), "rewind to %d (n %d) differs from the clean run", pos, n);
    rewound++;
    if (pos + n < CTX) /* back to a full context */
      expect_ref(CTX - (pos + n), pos + n, "refill after a rewind");
  }
  EXPECT(rewound > 0, "no rewind was accepted");
  printf("prefill_api: rewinds: %d accepted, %d refused (sliding window)\n", rewound, refused);
  return expect_summary("prefill_api", "");
}
