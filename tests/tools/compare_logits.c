/* compare_logits.c — the parity rule: gqc's logits against llama.cpp's.
 *
 *   compare_logits REF.f32 GOT.f32 N_VOCAB REL_TOL [MARGIN_FRAC]
 *
 * Both files hold steps x n_vocab float32 rows. For every step:
 *   spread  = max(ref) - min(ref)
 *   maxdiff = max |got - ref|                must be <= REL_TOL * spread
 *   argmax(got) == argmax(ref)               wherever ref's top-1/top-2 margin
 *                                            exceeds MARGIN_FRAC * spread
 *                                            (default 1e-2)
 * Prints one summary line (worst relative difference, argmax agreement) and
 * exits 0 when every step passes, 1 otherwise (listing the failing steps).
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

static float *load(const char *path, long *n) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "compare_logits: cannot read %s\n", path);
    return NULL;
  }
  fseek(f, 0, SEEK_END);
  long bytes = ftell(f);
  rewind(f);
  float *v = malloc((size_t)bytes + 4);
  if (!v || fread(v, 1, (size_t)bytes, f) != (size_t)bytes) {
    fclose(f);
    free(v);
    return NULL;
  }
  fclose(f);
  *n = bytes / 4;
  return v;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fputs("usage: compare_logits REF.f32 GOT.f32 N_VOCAB REL_TOL [MARGIN_FRAC]\n", stderr);
    return 2;
  }
  long nr, ng, nv = atol(argv[3]);
  double tol = atof(argv[4]), margin_frac = argc > 5 ? atof(argv[5]) : 1e-2;
  float *ref = load(argv[1], &nr), *got = load(argv[2], &ng);
  if (!ref || !got || nv <= 0)
    return 2;
  if (nr % nv || ng != nr) {
    fprintf(stderr, "compare_logits: sizes differ: ref %ld floats, got %ld (n_vocab %ld)\n", nr,
            ng, nv);
    return 1;
  }
  long steps = nr / nv, bad = 0, clear = 0, agree = 0, agree_all = 0;
  double worst = 0;
  long worst_step = 0;
  for (long s = 0; s < steps; s++) {
    const float *r = ref + s * nv, *g = got + s * nv;
    long a1 = 0, a2 = -1, ga = 0;
    float lo = r[0], hi = r[0];
    double maxdiff = 0;
    for (long i = 0; i < nv; i++) {
      if (r[i] < lo)
        lo = r[i];
      if (r[i] > hi)
        hi = r[i];
      double dd = fabs((double)g[i] - (double)r[i]);
      if (!(dd <= maxdiff)) /* NaN counts as a difference */
        maxdiff = isnan(dd) ? INFINITY : dd;
      if (g[i] > g[ga])
        ga = i;
      if (r[i] > r[a1]) {
        a2 = a1;
        a1 = i;
      } else if (i != a1 && (a2 < 0 || r[i] > r[a2])) {
        a2 = i;
      }
    }
    double spread = (double)hi - (double)lo;
    double rel = spread > 0 ? maxdiff / spread : maxdiff;
    double margin = a2 >= 0 ? (double)r[a1] - (double)r[a2] : INFINITY;
    bool is_clear = margin > margin_frac * spread;
    agree_all += ga == a1;
    if (is_clear) {
      clear++;
      agree += ga == a1;
    }
    if (rel > worst) {
      worst = rel;
      worst_step = s;
    }
    if (rel > tol || (is_clear && ga != a1)) {
      if (bad < 10)
        fprintf(stderr,
                "  step %ld: max|diff| %.3g = %.3g of the spread %.4g (limit %.3g); argmax %ld vs "
                "ref %ld (margin %.3g)\n",
                s, maxdiff, rel, spread, tol, ga, a1, margin);
      bad++;
    }
  }
  printf("%ld steps: worst max|diff|/spread %.3g (step %ld, limit %.3g); argmax agrees on %ld/%ld "
         "clear steps, %ld/%ld overall\n",
         steps, worst, worst_step, tol, agree, clear, agree_all, steps);
  free(ref);
  free(got);
  return bad ? 1 : 0;
}
