/* gqcrt_sample.h — choosing the next token from a step's logits: greedy,
 * temperature, top-k, top-p, min-p and a repetition penalty, with a seeded
 * random number generator of the runtime's own.
 *
 * The chain is llama.cpp's default one (docs/sampling.md):
 *
 *   mask       logits equal to -INFINITY (what a grammar writes) or NaN are
 *              never chosen; +INFINITY counts as FLT_MAX
 *   penalties  each distinct token among the last repeat_last_n accepted
 *              ones: logit / repeat_penalty if positive, * repeat_penalty if not
 *   greedy     temp <= 0: the largest logit, the lowest id on ties (what
 *              gqcrt_argmax picks when nothing is masked or penalised)
 *   top-k      the k largest (top_k <= 0: all)
 *   top-p      the fewest largest whose softmax mass (temperature 1) is >= top_p
 *   min-p      those whose softmax probability is >= min_p * the largest's
 *   temp       softmax(logit / temp), then one draw of the generator
 *
 * Candidates are ordered by logit, larger first, then by id, smaller first:
 * a total order, so every cut is defined even on ties.
 *
 * Determinism: the same parameters, seed, accepted tokens and logits give
 * the same token on every target. The generator is xoshiro256** seeded
 * through splitmix64 (gqcrt_rng.h: integer arithmetic); the probabilities use the
 * runtime's own exp (IEEE double additions and multiplications, no libm,
 * no FMA contraction) and sums in a fixed order.
 *
 * Memory: a gqcrt_sampler is a fixed-size struct (about 1.1 KiB); sampling
 * from n_vocab logits needs a caller-provided scratch of n_vocab
 * gqcrt_sampler_candidate (8 bytes each). Nothing is allocated; no OS.
 *
 *   gqcrt_sampler s;
 *   gqcrt_sampler_params p = gqcrt_sampler_default_params();
 *   p.seed = 42;
 *   if (gqcrt_sampler_init(&s, &p) != 0) ...          bad parameters
 *   static gqcrt_sampler_candidate scratch[MODEL_N_VOCAB];
 *   int32_t tok = gqcrt_sampler_sample(&s, logits, MODEL_N_VOCAB, scratch);
 *   if (tok < 0) ...                                  every logit masked
 *   gqcrt_sampler_accept(&s, tok);                    for the penalty
 */
#ifndef GQCRT_SAMPLE_H
#define GQCRT_SAMPLE_H

#include <stdint.h>

#include "gqcrt.h"
#include "gqcrt_rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The most recent tokens the repetition penalty can look back over. */
#define GQCRT_SAMPLER_MAX_LAST_N 256

/* The parameters; gqcrt_sampler_default_params gives llama.cpp's defaults. */
typedef struct gqcrt_sampler_params {
  float temp;            /* 0.8; <= 0: greedy */
  int32_t top_k;         /* 40; <= 0: off */
  float top_p;           /* 0.95, in [0, 1]; 1: off */
  float min_p;           /* 0.05, in [0, 1]; 0: off */
  float repeat_penalty;  /* 1.0 (off), > 0 */
  int32_t repeat_last_n; /* 64, in [0, GQCRT_SAMPLER_MAX_LAST_N]; 0: off */
  uint64_t seed;         /* GQCRT_SAMPLER_DEFAULT_SEED */
} gqcrt_sampler_params;

/* The default seed (llama.cpp draws a random one; the runtime has no source
 * of randomness: a program wanting one passes its own). */
#define GQCRT_SAMPLER_DEFAULT_SEED UINT64_C(0x5EED)

/* A sampler's state: its parameters, the generator and the ring of the last
 * accepted tokens. Fill it with gqcrt_sampler_init; copy it to fork it. */
typedef struct gqcrt_sampler {
  gqcrt_sampler_params params;
  gqcrt_rng rng;
  int32_t recent[GQCRT_SAMPLER_MAX_LAST_N]; /* ring of accepted tokens */
  int32_t n_recent;                         /* how many it holds */
  int32_t recent_next;                      /* where the next one goes */
} gqcrt_sampler;

/* One candidate token of the scratch (or of gqcrt_sampler_sample_candidates'
 * input): its id and logit. */
typedef struct gqcrt_sampler_candidate {
  int32_t id;
  float logit;
} gqcrt_sampler_candidate;

gqcrt_sampler_params gqcrt_sampler_default_params(void);

/* NULL when every parameter is in range, else a one-line description of the
 * first that is not ("top_p must be in [0, 1]"). */
const char *gqcrt_sampler_params_error(const gqcrt_sampler_params *p);

/* Checks the parameters (GQCRT_ERR_NULL, GQCRT_ERR_BAD_PARAM: see
 * gqcrt_sampler_params_error), then sets the state: the generator seeded
 * from p->seed, no accepted tokens. Returns 0 or the error; on an error the
 * sampler is left unusable (its samples return GQCRT_ERR_BAD_PARAM). */
int gqcrt_sampler_init(gqcrt_sampler *s, const gqcrt_sampler_params *p);

/* The next token from logits[0..n_vocab), through the chain above; scratch
 * holds n_vocab candidates and is overwritten. Returns the token id, or
 * GQCRT_ERR_NULL, GQCRT_ERR_BAD_PARAM (an uninitialised or failed sampler)
 * or GQCRT_ERR_NO_CANDIDATE (n_vocab < 1, or every logit masked). Draws the
 * generator once when temp > 0 (even if one candidate is left), never when
 * greedy. Does not accept the token: call gqcrt_sampler_accept. */
int32_t gqcrt_sampler_sample(gqcrt_sampler *s, const float *logits, int32_t n_vocab,
                             gqcrt_sampler_candidate *scratch);

/* The same chain on a list of n candidates the caller made (e.g. only the
 * tokens a grammar allows, with their logits), ids strictly increasing
 * (else GQCRT_ERR_BAD_PARAM); the list is reordered and overwritten.
 * Masked logits (-INFINITY, NaN) in it are dropped as above. Equal to
 * gqcrt_sampler_sample on logits that mask every token not in the list. */
int32_t gqcrt_sampler_sample_candidates(gqcrt_sampler *s, gqcrt_sampler_candidate *cands,
                                        int32_t n);

/* Records a token as generated (or read: a prompt's tokens may be accepted
 * too, as llama.cpp does), for the repetition penalty. */
void gqcrt_sampler_accept(gqcrt_sampler *s, int32_t token);

#ifdef __cplusplus
}
#endif
#endif
