/* soak.c — a long run of the generated API: 100 000 decode steps (or
 * SOAK_STEPS) on a sliding-window model compiled with a short context, so the
 * ring caches of the sliding layers wrap around every few steps and the
 * context fills and starts over hundreds of times.
 *
 * (Steps count model_decode calls; the prefixes fed through model_prefill
 * come on top.) Episodes of n_ctx positions cycle through four fixed token sequences; each
 * begins with model_reset (every other episode first checks that decoding
 * position 0 without a reset is refused: the rings have wrapped), may feed a
 * prefix through model_prefill, decodes the rest, rewinds one position at a
 * varying place (allowed: the ring still holds what that position needs) and
 * tries a rewind the rings cannot honour (refused, state unchanged). Every
 * logit row must be bit-identical to the row a fresh run (right after
 * model_init) produced at the same position of the same sequence: no drift,
 * however long the run. The peak resident set may not grow after the first
 * episodes: the generated code and the runtime allocate nothing.
 *
 * A ring holds window + batch - 1 rows (frontend/arch_ops.c: a prefill batch
 * is stored before it attends), so the rewinds start past that many positions.
 *
 *   usage: soak [STEPS]   (built by tests/e2e/soak.sh with -DSOAK_WINDOW=W)
 *   prints one summary line; exits 1 with the first mismatch otherwise.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "gqcrt.h"
#include "model.h"

#ifndef SOAK_WINDOW
#error "define SOAK_WINDOW, the model's sliding window"
#endif

#ifdef MODEL_BATCH
#define SOAK_RING (SOAK_WINDOW + MODEL_BATCH - 1)
#else
#define SOAK_RING SOAK_WINDOW
#endif

enum { N_SEQ = 4, CTX = MODEL_N_CTX, V = MODEL_N_VOCAB };
_Static_assert(SOAK_RING < CTX, "the rings must wrap within a context");

static int32_t seq[N_SEQ][CTX];
static float reference[N_SEQ][CTX][V]; /* a fresh run's logits */

static long peak_rss_kib(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

static void die(const char *what, int s, int pos, int episode) {
  printf("soak: %s (sequence %d, position %d, episode %d)\n", what, s, pos, episode);
  exit(1);
}

/* decode must succeed and give the reference row. */
static void expect_reference(int s, int pos, int episode) {
  const float *l = model_decode(seq[s][pos], pos);
  if (!l)
    die("decode refused", s, pos, episode);
  if (memcmp(l, reference[s][pos], sizeof reference[s][pos]))
    die("logits differ from a fresh run at the same position", s, pos, episode);
}

int main(int argc, char **argv) {
  long steps_wanted = argc > 1 ? atol(argv[1]) : 100000;
  if (model_init() != 0) {
    printf("soak: model_init failed\n");
    return 1;
  }
  uint32_t x = 12345;
  for (int s = 0; s < N_SEQ; s++)
    for (int p = 0; p < CTX; p++) {
      x = x * 1664525u + 1013904223u;
      seq[s][p] = (int32_t)((x >> 8) % V);
    }
  /* The references: each sequence decoded from a reset state. */
  for (int s = 0; s < N_SEQ; s++) {
    model_reset();
    for (int p = 0; p < CTX; p++) {
      const float *l = model_decode(seq[s][p], p);
      if (!l)
        die("reference decode refused", s, p, -1);
      memcpy(reference[s][p], l, sizeof reference[s][p]);
    }
  }
  long steps = 0, episodes = 0, prefills = 0, rewinds = 0, refusals = 0, rss_after_warmup = 0;
  while (steps < steps_wanted) {
    int s = (int)(episodes % N_SEQ), e = (int)episodes;
    if (episodes % 2) { /* the rings have wrapped: position 0 needs a reset */
      if (model_decode(seq[s][0], 0) || model_last_error() != GQCRT_ERR_BAD_POS)
        die("a rewind to 0 past the window was not refused", s, 0, e);
      refusals++;
    }
    model_reset();
    int start = 0;
#ifdef MODEL_BATCH
    int k = (int)(episodes % 7); /* 0..6 tokens through prefill */
    if (k > 0) {
      const float *l = model_prefill(seq[s], k, 0);
      if (!l || memcmp(l, reference[s][k - 1], sizeof reference[s][k - 1]))
        die("prefill differs from a fresh run", s, k - 1, e);
      start = k;
      prefills++;
    }
#endif
    /* rewound once, where the ring has wrapped (n_past > its rows) */
    int again = SOAK_RING + (int)(episodes % (CTX - SOAK_RING));
    for (int p = start; p < CTX; p++) {
      expect_reference(s, p, e);
      steps++;
      if (p == again) {
        expect_reference(s, p, e); /* one position back: the ring still has it */
        steps++;
        rewinds++;
        /* further back than the ring reaches (its oldest row is position
         * p + 1 - SOAK_RING, after p - 2 * SOAK_WINDOW + 1, the first a query
         * at p - SOAK_WINDOW attends to): refused, nothing changed */
        if (model_decode(seq[s][p - SOAK_WINDOW], p - SOAK_WINDOW) ||
            model_last_error() != GQCRT_ERR_BAD_POS)
          die("a rewind past the window was not refused", s, p - SOAK_WINDOW, e);
        refusals++;
      }
    }
    episodes++;
    if (episodes == 2 * N_SEQ)
      rss_after_warmup = peak_rss_kib();
  }
  long rss_end = peak_rss_kib();
  printf("soak: %ld steps, %ld episodes of %d positions (window %d), %ld prefills, %ld rewinds, "
         "%ld refused calls; every row bit-identical to a fresh run; peak RSS %ld KiB after "
         "warm-up, %ld KiB at the end\n",
         steps, episodes, CTX, SOAK_WINDOW, prefills, rewinds, refusals, rss_after_warmup, rss_end);
  if (rss_end > rss_after_warmup + 256) {
    printf("soak: the peak resident set grew by %ld KiB\n", rss_end - rss_after_warmup);
    return 1;
  }
  return 0;
}
