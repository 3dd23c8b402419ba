/* sample.c — the sampler of gqcrt_sample.h: llama.cpp's default chain
 * (penalties, top-k, top-p, min-p, temperature, one draw) on a candidate
 * array, with no allocation, no C library beyond memcpy and no OS.
 *
 * The candidates live in the caller's scratch. They start in id order (the
 * order of the logits, or of the caller's list), which is the order the
 * greedy pick, the penalties and the softmax sums of unsorted candidates
 * walk. A cut that needs the largest candidates (top-k, top-p) makes the
 * array a binary heap, best at the root, and pops candidates off it one by
 * one, O(n + m log n) for the m it keeps: for FunctionGemma's 262144 logits
 * and top-k 40 that is one heap build and 40 pops, not a sort. After a cut
 * the kept candidates are sorted, best first.
 *
 * Bit-for-bit the same on every target: comparisons, the penalty's one
 * float multiplication or division, and probabilities in double precision
 * through exp_portable.h, summed in array order; the draw is an integer
 * generator's 53 bits (gqcrt_rng.h). The runtime compiles with -ffp-contract=off.
 */
#include "gqcrt_sample.h"

#include <float.h>

#include "exp_portable.h"
#include "gqcrt_rng.h"
#include "rt_libc.h"

typedef gqcrt_sampler_candidate cand;

/* ---- parameters and state ---------------------------------------------------- */

gqcrt_sampler_params gqcrt_sampler_default_params(void) {
  gqcrt_sampler_params p = {0.8f, 40, 0.95f, 0.05f, 1.0f, 64, GQCRT_SAMPLER_DEFAULT_SEED};
  return p;
}

static int finite(float x) {
  return x == x && x <= FLT_MAX && x >= -FLT_MAX;
}

const char *gqcrt_sampler_params_error(const gqcrt_sampler_params *p) {
  if (!p)
    return "no parameters (NULL)";
  if (!finite(p->temp))
    return "temp must be a finite number";
  if (!(p->top_p >= 0.0f && p->top_p <= 1.0f))
    return "top_p must be in [0, 1]";
  if (!(p->min_p >= 0.0f && p->min_p <= 1.0f))
    return "min_p must be in [0, 1]";
  if (!(finite(p->repeat_penalty) && p->repeat_penalty > 0.0f))
    return "repeat_penalty must be a finite number > 0";
  if (p->repeat_last_n < 0 || p->repeat_last_n > GQCRT_SAMPLER_MAX_LAST_N)
    return "repeat_last_n must be in [0, 256] (GQCRT_SAMPLER_MAX_LAST_N)";
  return NULL;
}

int gqcrt_sampler_init(gqcrt_sampler *s, const gqcrt_sampler_params *p) {
  if (!s || !p)
    return GQCRT_ERR_NULL;
  memset(s, 0, sizeof *s); /* all-zero rng: the mark of an unusable sampler */
  if (gqcrt_sampler_params_error(p))
    return GQCRT_ERR_BAD_PARAM;
  s->params = *p;
  gqcrt_rng_seed(&s->rng, p->seed);
  return GQCRT_OK;
}

void gqcrt_sampler_accept(gqcrt_sampler *s, int32_t token) {
  if (!s)
    return;
  s->recent[s->recent_next] = token;
  s->recent_next = (s->recent_next + 1) % GQCRT_SAMPLER_MAX_LAST_N;
  if (s->n_recent < GQCRT_SAMPLER_MAX_LAST_N)
    s->n_recent++;
}

static int usable(const gqcrt_sampler *s) {
  return (s->rng.s[0] | s->rng.s[1] | s->rng.s[2] | s->rng.s[3]) != 0;
}

/* ---- the candidates ---------------------------------------------------------- */

/* Whether a ranks before b: larger logit, then smaller id. */
static int better(const cand *a, const cand *b) {
  return a->logit > b->logit || (a->logit == b->logit && a->id < b->id);
}

static void swap(cand *a, cand *b) {
  const cand t = *a;
  *a = *b;
  *b = t;
}

/* A masked logit is dropped; +inf counts as the largest finite float. */
static int keep(float *l) {
  if (!(*l > -INFINITY)) /* -inf or NaN */
    return 0;
  if (*l > FLT_MAX)
    *l = FLT_MAX;
  return 1;
}

/* The repetition penalty on each distinct token of the last repeat_last_n
 * accepted ones that is a candidate (found by binary search: the
 * candidates are in increasing id order here). */
static int32_t penalty_window(const gqcrt_sampler *s) {
  if (s->params.repeat_penalty == 1.0f)
    return 0;
  return s->params.repeat_last_n < s->n_recent ? s->params.repeat_last_n : s->n_recent;
}

static int penalising(const gqcrt_sampler *s) {
  return penalty_window(s) > 0;
}

static void penalise(const gqcrt_sampler *s, cand *c, int32_t n) {
  const float penalty = s->params.repeat_penalty;
  const int32_t last = penalty_window(s);
  for (int32_t j = 0; j < last; j++) {
    const int32_t at =
        (s->recent_next - 1 - j + GQCRT_SAMPLER_MAX_LAST_N) % GQCRT_SAMPLER_MAX_LAST_N;
    const int32_t tok = s->recent[at];
    int seen = 0; /* penalised once, however often it occurs */
    for (int32_t i = 0; i < j && !seen; i++)
      seen = s->recent[(at + 1 + i) % GQCRT_SAMPLER_MAX_LAST_N] == tok;
    if (seen)
      continue;
    int32_t lo = 0, hi = n;
    while (lo < hi) {
      const int32_t mid = lo + (hi - lo) / 2;
      if (c[mid].id < tok)
        lo = mid + 1;
      else
        hi = mid;
    }
    if (lo < n && c[lo].id == tok) {
      float l = c[lo].logit <= 0.0f ? c[lo].logit * penalty : c[lo].logit / penalty;
      c[lo].logit = l < -FLT_MAX ? -FLT_MAX : l > FLT_MAX ? FLT_MAX : l; /* stays a candidate */
    }
  }
}

/* The first best candidate: with candidates in id order, ties go to the
 * lowest id. */
static int32_t best_index(const cand *c, int32_t n) {
  int32_t b = 0;
  for (int32_t i = 1; i < n; i++)
    if (better(&c[i], &c[b]))
      b = i;
  return b;
}

/* Binary heaps on the candidates: with `worst_root` 0 the best is at the
 * root (to pop the best one by one), with 1 the worst (to keep the k best
 * of a stream: a newcomer better than the root replaces it). */
static int above(const cand *a, const cand *b, int worst_root) {
  return worst_root ? better(b, a) : better(a, b);
}

static void sift_down(cand *c, int32_t n, int32_t i, int worst_root) {
  for (;;) {
    int32_t b = i;
    const int32_t l = 2 * i + 1, r = l + 1;
    if (l < n && above(&c[l], &c[b], worst_root))
      b = l;
    if (r < n && above(&c[r], &c[b], worst_root))
      b = r;
    if (b == i)
      return;
    swap(&c[i], &c[b]);
    i = b;
  }
}

static void make_heap(cand *c, int32_t n, int worst_root) {
  for (int32_t i = n / 2; i-- > 0;)
    sift_down(c, n, i, worst_root);
}

/* Moves the root of the heap c[0..n) to c[n-1]; c[0..n-1) stays a heap. */
static void pop_root(cand *c, int32_t n, int worst_root) {
  swap(&c[0], &c[n - 1]);
  sift_down(c, n - 1, 0, worst_root);
}

/* The k best of c[0..n) (0 < k < n) to c[0..k), sorted, best first: a heap
 * of the first k with the worst at the root, which each better newcomer
 * replaces (O(n) comparisons, a sift only per replacement), then popping
 * the worst to the back k times. */
static void keep_best(cand *c, int32_t n, int32_t k) {
  make_heap(c, k, 1);
  for (int32_t i = k; i < n; i++)
    if (better(&c[i], &c[0])) {
      c[0] = c[i];
      sift_down(c, k, 0, 1);
    }
  for (int32_t m = k; m > 1; m--)
    pop_root(c, m, 1);
}

/* After m pops from a heap of n, c[n-m..n) holds the m best, best last:
 * moves them to c[0..m), best first. */
static void popped_to_front(cand *c, int32_t n, int32_t m) {
  for (int32_t i = 0; i < m / 2; i++)
    swap(&c[n - m + i], &c[n - 1 - i]);
  for (int32_t i = 0; i < m; i++) /* forward: the source is never behind */
    c[i] = c[n - m + i];
}

/* softmax weights exp(x - max) at temperature 1, summed in array order */
static double weight_sum(const cand *c, int32_t n, float max) {
  double sum = 0.0;
  for (int32_t i = 0; i < n; i++)
    sum += gqcrt_exp_portable((double)c[i].logit - (double)max);
  return sum;
}

static float max_logit(const cand *c, int32_t n, int sorted) {
  return c[sorted ? 0 : best_index(c, n)].logit;
}

/* The fewest best candidates whose mass is >= top_p (at least one). */
static int32_t top_p(cand *c, int32_t n, int sorted, double p) {
  const float max = max_logit(c, n, sorted);
  const double target = p * weight_sum(c, n, max);
  double cum = 0.0;
  if (sorted) {
    int32_t m = 0;
    while (m < n) {
      cum += gqcrt_exp_portable((double)c[m++].logit - (double)max);
      if (cum >= target)
        break;
    }
    return m;
  }
  make_heap(c, n, 0);
  int32_t m = 0;
  while (m < n) {
    pop_root(c, n - m, 0);
    cum += gqcrt_exp_portable((double)c[n - 1 - m++].logit - (double)max);
    if (cum >= target)
      break;
  }
  popped_to_front(c, n, m);
  return m;
}

/* Those whose probability is >= min_p times the largest's, in order. */
static int32_t min_p(cand *c, int32_t n, int sorted, double p) {
  const float max = max_logit(c, n, sorted);
  int32_t m = 0;
  for (int32_t i = 0; i < n; i++)
    if (gqcrt_exp_portable((double)c[i].logit - (double)max) >= p)
      c[m++] = c[i];
  return m;
}

/* softmax(logit / temp) and one draw: the first candidate whose running
 * sum of weights exceeds u * sum (u in [0, 1)). The weights, rounded to
 * float, replace the logits, so both passes add the same numbers: the last
 * running sum is the sum itself, one is always found, and a candidate of
 * weight 0 is never the one. */
static int32_t draw(gqcrt_sampler *s, cand *c, int32_t n, int sorted) {
  const double temp = (double)s->params.temp;
  const double max = (double)max_logit(c, n, sorted) / temp;
  double sum = 0.0;
  for (int32_t i = 0; i < n; i++) {
    const double w = gqcrt_exp_portable((double)c[i].logit / temp - max);
    c[i].logit = w < (double)FLT_MIN ? 0.0f : (float)w; /* no subnormal */
    sum += (double)c[i].logit;
  }
  const double target = gqcrt_rng_unit(&s->rng) * sum;
  double cum = 0.0;
  for (int32_t i = 0; i < n; i++) {
    cum += (double)c[i].logit;
    if (cum > target)
      return c[i].id;
  }
  return c[n - 1].id; /* not reached */
}

/* The chain on n >= 1 candidates in increasing id order. */
static int32_t chain(gqcrt_sampler *s, cand *c, int32_t n) {
  const gqcrt_sampler_params *p = &s->params;
  penalise(s, c, n);
  if (p->temp <= 0.0f) /* every cut keeps the best: it is the answer */
    return c[best_index(c, n)].id;
  int sorted = 0;
  if (p->top_k > 0 && p->top_k < n) {
    keep_best(c, n, p->top_k);
    n = p->top_k;
    sorted = 1;
  }
  if (p->top_p < 1.0f) {
    n = top_p(c, n, sorted, (double)p->top_p);
    sorted = 1;
  }
  if (p->min_p > 0.0f)
    n = min_p(c, n, sorted, (double)p->min_p);
  return draw(s, c, n, sorted);
}

int32_t gqcrt_sampler_sample(gqcrt_sampler *s, const float *logits, int32_t n_vocab,
                             gqcrt_sampler_candidate *scratch) {
  if (!s || !logits || !scratch)
    return GQCRT_ERR_NULL;
  if (!usable(s))
    return GQCRT_ERR_BAD_PARAM;
  if (s->params.temp <= 0.0f && !penalising(s) && n_vocab > 0) {
    /* greedy on logits as they are: the vectorised argmax, when its answer
     * is a finite logit (else a NaN or an infinity needs the rules above) */
    const int32_t t = gqcrt_argmax(logits, n_vocab);
    if (logits[t] >= -FLT_MAX && logits[t] <= FLT_MAX)
      return t;
  }
  int32_t n = 0;
  for (int32_t i = 0; i < n_vocab; i++) {
    float l = logits[i];
    if (keep(&l))
      scratch[n++] = (cand){i, l};
  }
  return n ? chain(s, scratch, n) : GQCRT_ERR_NO_CANDIDATE;
}

int32_t gqcrt_sampler_sample_candidates(gqcrt_sampler *s, gqcrt_sampler_candidate *cands,
                                        int32_t n) {
  if (!s || !cands)
    return GQCRT_ERR_NULL;
  if (!usable(s))
    return GQCRT_ERR_BAD_PARAM;
  int32_t m = 0, prev = -1;
  for (int32_t i = 0; i < n; i++) {
    cand c = cands[i];
    if (c.id <= prev) /* ids >= 0, strictly increasing */
      return GQCRT_ERR_BAD_PARAM;
    prev = c.id;
    if (keep(&c.logit))
      cands[m++] = c;
  }
  return m ? chain(s, cands, m) : GQCRT_ERR_NO_CANDIDATE;
}
