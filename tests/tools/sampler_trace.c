/* sampler_trace.c — prints the tokens the runtime's sampler draws on
 * synthetic logits, for comparing targets: the same program built for the
 * host and for AArch64 (run under qemu) must print the same lines
 * (tests/e2e/sampler_targets.sh). The logits are made from integers (exact
 * conversions), with ties, masked tokens and large vocabularies; each line
 * is one parameter set: 300 steps (40 for the 262144-token vocabularies),
 * every token accepted (so the repetition
 * penalty sees them), the logits shifted by the step.
 *
 *   usage: sampler_trace
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "gqcrt_sample.h"

#define MAX_VOCAB 262144
static float logits[MAX_VOCAB];
static gqcrt_sampler_candidate scratch[MAX_VOCAB];

static uint32_t lcg(uint32_t *x) {
  *x = *x * 1664525u + 1013904223u;
  return *x >> 8;
}

/* logits in [-12, 12] in steps of 1/64 (many ties), one in 17 masked */
static void make_logits(int n, uint32_t seed) {
  for (int i = 0; i < n; i++) {
    const uint32_t r = lcg(&seed);
    logits[i] = r % 17 == 5 ? -INFINITY : (float)((int)(r % 1537) - 768) / 64.0f;
  }
}

int main(void) {
  const struct {
    int n_vocab;
    gqcrt_sampler_params p;
  } cases[] = {
      {32000, {0.8f, 40, 0.95f, 0.05f, 1.0f, 64, 1}}, /* llama.cpp's defaults */
      {32000, {1.0f, 0, 1.0f, 0.0f, 1.0f, 0, 2}},     /* plain softmax */
      {32000, {1.5f, 0, 0.9f, 0.0f, 1.1f, 64, 3}},    /* top-p on the heap path */
      {1000, {0.7f, 10, 1.0f, 0.1f, 1.3f, 256, 4}},
      {262144, {0.9f, 64, 0.95f, 0.02f, 1.05f, 128, 5}}, /* FunctionGemma's vocabulary */
      {262144, {2.0f, 0, 0.5f, 0.0f, 1.0f, 0, 6}},
      {5000, {0.0f, 40, 0.95f, 0.05f, 1.2f, 64, 7}}, /* greedy with a penalty */
      {5000, {0.05f, 0, 1.0f, 0.0f, 1.0f, 0, UINT64_MAX}},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    gqcrt_sampler s;
    if (gqcrt_sampler_init(&s, &cases[c].p) != 0) {
      fprintf(stderr, "sampler_trace: case %zu: bad parameters\n", c);
      return 1;
    }
    const int n = cases[c].n_vocab;
    make_logits(n, (uint32_t)c);
    printf("case %zu:", c);
    const int steps = n > 100000 ? 40 : 300; /* qemu time */
    for (int step = 0; step < steps; step++) {
      const int32_t t = gqcrt_sampler_sample(&s, logits, n, scratch);
      if (t < 0) {
        fprintf(stderr, "sampler_trace: case %zu step %d: error %d\n", c, step, t);
        return 1;
      }
      printf(" %d", t);
      gqcrt_sampler_accept(&s, t);
      logits[(t * 7 + step) % n] += 0.5f; /* the next step's logits differ */
    }
    putchar('\n');
  }
  return 0;
}
