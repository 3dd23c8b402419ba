/* bench_kernels.c — throughput of libgqcrt's linear kernels at
 * FunctionGemma-270M-like shapes.
 *
 * For every kernel variant this machine can run (`_scalar`, `_avx2` with
 * AVX2+FMA+F16C on x86-64, `_neon` on AArch64) and the shapes
 *   n_in x n_out = 640 x 2048 (q/k/v, gate/up-like), 2048 x 640 (down-like),
 *   and 640 x 262144 for q8_0 (the tied-embedding logits matrix),
 * it prints the time per call, the weight bandwidth (GB/s of packed weight
 * bytes streamed) and GFLOP-equivalent (2 * n_in * n_out per call). k-quant
 * rows must be a multiple of 256 long, so their 640 becomes 768. Activation
 * quantisers are timed too. Figures only: no pass/fail.
 *
 * Usage: bench_kernels [substring]   (only kernels whose name contains it)
 */
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gqcrt.h"

#include "bench_data.h"
#include "tools/kernel_harness/encodings.h"
#include "tools/kernel_harness/linear_kernels.h"

/* Best-of time of one call: repeat until ~0.15 s of work (at least 2 calls). */
static double time_kernel(const kernel_entry *k, float *y, const uint8_t *w, const void *xq,
                          int n_in, int n_out) {
  double best = 1e30, total = 0.0;
  for (int rep = 0; rep < 1000 && (rep < 2 || total < 0.15); ++rep) {
    const double t0 = now_s();
    k->fn(y, w, xq, n_in, n_out);
    const double dt = now_s() - t0;
    total += dt;
    best = dt < best ? dt : best;
  }
  return best;
}

static void bench_shape(const kernel_entry *k, int n_in, int n_out) {
  int elems, bytes;
  harness_encoding_geometry(k->wenc, &elems, &bytes);
  if (n_in % 256 && elems == 256)
    n_in = (n_in + 255) / 256 * 256;
  const size_t w_bytes = (size_t)n_in / (size_t)elems * (size_t)bytes * (size_t)n_out;
  uint8_t *w = malloc(w_bytes);
  float *x = malloc(sizeof(float) * (size_t)n_in), *y = malloc(sizeof(float) * (size_t)n_out);
  void *xq = malloc(sizeof(float) * (size_t)n_in + 64);
  if (!w || !x || !y || !xq) {
    printf("%-6s %-6s %6d x %-7d  (out of memory)\n", k->wenc, k->variant, n_in, n_out);
    free(w), free(x), free(y), free(xq);
    return;
  }
  fill_weights(k->wenc, w, (size_t)n_in * (size_t)n_out);
  for (int i = 0; i < n_in; ++i)
    x[i] = rnd_float();
  quantize_activation(k->aenc, xq, x, n_in);
  const double t = time_kernel(k, y, w, xq, n_in, n_out);
  const double flops = 2.0 * n_in * (double)n_out;
  printf("%-6s %-6s %6d x %-7d %10.3f ms %8.2f GB/s %8.2f GFLOP/s\n", k->wenc, k->variant, n_in,
         n_out, t * 1e3, (double)w_bytes / t * 1e-9, flops / t * 1e-9);
  fflush(stdout);
  free(w), free(x), free(y), free(xq);
}

static void bench_quantizers(void) {
  static const struct {
    const char *name;
    void (*fn)(void *, const float *, int32_t);
  } q[] = {{"f16", gqcrt_quantize_f16},
           {"bf16", gqcrt_quantize_bf16},
           {"q8_0", gqcrt_quantize_q8_0},
           {"q8_1", gqcrt_quantize_q8_1},
           {"q8_k", gqcrt_quantize_q8_k}};
  enum { N = 2048 };
  static float x[N];
  static uint8_t out[N * 4];
  for (int i = 0; i < N; ++i)
    x[i] = rnd_float();
  for (size_t i = 0; i < sizeof q / sizeof q[0]; ++i) {
    double best = 1e30;
    for (int rep = 0; rep < 2000; ++rep) {
      const double t0 = now_s();
      q[i].fn(out, x, N);
      const double dt = now_s() - t0;
      best = dt < best ? dt : best;
    }
    printf("quantize_%-5s %6d floats %10.3f us %8.2f Gelem/s\n", q[i].name, N, best * 1e6,
           N / best * 1e-9);
  }
}

int main(int argc, char **argv) {
  const char *filter = argc > 1 ? argv[1] : "";
  printf("%-6s %-6s %16s %13s %13s %16s\n", "weight", "variant", "n_in x n_out", "time", "weights",
         "equivalent");
  for (size_t i = 0; i < sizeof kernels / sizeof kernels[0]; ++i) {
    const kernel_entry *k = &kernels[i];
    char name[64];
    snprintf(name, sizeof name, "%s_%s", k->wenc, k->variant);
    if (!variant_runs_on_this_cpu(k->variant) || !strstr(name, filter))
      continue;
    bench_shape(k, 640, 2048);
    bench_shape(k, 2048, 640);
    if (!strcmp(k->wenc, "q8_0"))
      bench_shape(k, 640, 262144);
  }
  if (!*filter || strstr("quantize", filter))
    bench_quantizers();
  return 0;
}
