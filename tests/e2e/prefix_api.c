/* prefix_api.c — the API of a model with a compiled prefix (gqc --prefix).
 *
 * Linked against a model compiled with --prefix (tests/e2e/prefix.sh):
 *   - model_n_prefix() is MODEL_N_PREFIX, positive; after init the model has
 *     read the prefix: the first decode is at n_prefix;
 *   - any position below n_prefix is refused (decode and prefill,
 *     GQCRT_ERR_BAD_POS), and so is a position beyond the next one;
 *   - model_reset() returns to "prefix read": the same token at n_prefix gives
 *     the same logits as right after init, and n_prefix + 1 is refused;
 *   - a rewind to n_prefix + 1 after three tokens gives the logits it gave
 *     the first time (the cache from n_prefix on is the arena's);
 *   - model_tokenize adds no BOS (the prefix has it).
 *
 *   usage: prefix_api   (one line per failed check; exit 1 if any failed)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expect.h"
#include "gqcrt.h"
#include "model.h"

static float first[MODEL_N_VOCAB], second[MODEL_N_VOCAB];

/* Decodes tok at pos and copies the logits to out (NULL: no copy); 0 on failure. */
static int step(int32_t tok, int32_t pos, float *out) {
  const float *l = model_decode(tok, pos);
  if (l && out)
    memcpy(out, l, sizeof first);
  return l != NULL;
}

int main(void) {
  EXPECT(model_init() == 0, "init failed (%d)", model_last_error());
  const int32_t n = model_n_prefix();
  EXPECT(n == MODEL_N_PREFIX && n > 0, "n_prefix %d, header %d", n, MODEL_N_PREFIX);
  const int32_t a = 3, b = 5, c = 7;
  EXPECT(!model_decode(a, n - 1) && model_last_error() == GQCRT_ERR_BAD_POS,
         "decode at n_prefix - 1 (error %d)", model_last_error());
  EXPECT(!model_decode(a, 0) && model_last_error() == GQCRT_ERR_BAD_POS, "decode at 0");
#ifdef MODEL_BATCH
  const int32_t two[2] = {a, b};
  EXPECT(!model_prefill(two, 2, n - 1) && model_last_error() == GQCRT_ERR_BAD_POS,
         "prefill across the prefix's end");
#endif
  EXPECT(!model_decode(a, n + 1) && model_last_error() == GQCRT_ERR_BAD_POS,
         "decode beyond the next position");
  EXPECT(step(a, n, first), "decode at n_prefix (error %d)", model_last_error());
  EXPECT(step(b, n + 1, second), "decode at n_prefix + 1");
  EXPECT(step(c, n + 2, NULL), "decode at n_prefix + 2");
  const float *again = model_decode(b, n + 1); /* rewind */
  EXPECT(again && !memcmp(again, second, sizeof second), "rewind to n_prefix + 1 differs");
  model_reset();
  EXPECT(!model_decode(b, n + 1) && model_last_error() == GQCRT_ERR_BAD_POS,
         "after reset, n_prefix + 1 is beyond the next position");
  const float *l = model_decode(a, n);
  EXPECT(l && !memcmp(l, first, sizeof first), "after reset, n_prefix differs from after init");
  int32_t ids[16];
  const int k = model_tokenize("a", ids, 16);
  EXPECT(k > 0 && (model_bos() < 0 || ids[0] != model_bos()), "tokenize added BOS");
  char detail[32];
  snprintf(detail, sizeof detail, " (n_prefix %d)", (int)n);
  return expect_summary("prefix_api", detail);
}
