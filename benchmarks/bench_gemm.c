/* bench_gemm.c — what batched prefill gains per token: a gemm kernel over
 * n_rows activation rows against the matrix-vector kernel called once per
 * row (what prompt processing did before batching), at FunctionGemma-270M
 * shapes.
 *
 * Shapes n_in x n_out: 640 x 2048 (q/k/v, gate/up-like), 2048 x 640
 * (down-like) and 640 x 1024; k-quant rows must be a multiple of 256 long,
 * so their 640 becomes 768. (The 262144 x 640 lm_head is not used by
 * prefill.) Kernels: every gemm this machine can run whose name contains the
 * filter (default: the SIMD variants of q8_0, q4_0, q4_k, q6_k, f32, f16 and
 * the packed ones).
 *
 *   bench_gemm [FILTER [N_IN N_OUT]]
 *     prints, per kernel, shape and n_rows in 1..32, the time per token of
 *     n_rows linear calls and of one gemm call (best of several repetitions,
 *     weights and activations warm as they are after the first call), and
 *     the speedup (with N_IN N_OUT: that shape only, e.g. Qwen3-8B's
 *     4096 12288). Figures only: no pass/fail.
 *   bench_gemm --once KERNEL SHAPE N_ROWS MODE
 *     sets up KERNEL (e.g. q8_0_r4_neon) at shape SHAPE (0, 1, 2 as above)
 *     with N_ROWS rows and runs MODE once: 0 nothing, 1 the linear kernel per
 *     row, 2 the gemm. benchmarks/bench_gemm_insns.sh runs this under qemu's
 *     instruction counter and subtracts mode 0 from modes 1 and 2.
 *   bench_gemm --list [FILTER]
 *     the kernel names.
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

typedef void (*pack_fn)(void *dst, const void *src, int32_t n_in, int32_t n_out);

typedef struct {
  const char *name, *wenc, *aenc, *variant;
  gqcrt_linear_fn linear;
  gqcrt_gemm_fn gemm;
  pack_fn pack; /* NULL for GGUF layout */
} gemm_entry;

#define ENTRY(w, a, v) {#w "_" #v, #w, #a, #v, gqcrt_linear_##w##_##v, gqcrt_gemm_##w##_##v, NULL},
#define PACKED_ENTRY(w, a, p, v)                                                                   \
  {#w "_" #p "_" #v,    #w, #a, #v, gqcrt_linear_##w##_##p##_##v, gqcrt_gemm_##w##_##p##_##v,      \
   gqcrt_pack_##w##_##p},
#define VARIANT_scalar(w, a) ENTRY(w, a, scalar)
#define PACKED_scalar(w, a, p) PACKED_ENTRY(w, a, p, scalar)
#if defined(__x86_64__)
#define VARIANT_avx2(w, a) ENTRY(w, a, avx2)
#define PACKED_avx2(w, a, p) PACKED_ENTRY(w, a, p, avx2)
#define PACKED_avxvnni(w, a, p) PACKED_ENTRY(w, a, p, avxvnni)
#define PACKED_avx512vnni(w, a, p) PACKED_ENTRY(w, a, p, avx512vnni)
#else
#define VARIANT_avx2(w, a)
#define PACKED_avx2(w, a, p)
#define PACKED_avxvnni(w, a, p)
#define PACKED_avx512vnni(w, a, p)
#endif
#if defined(__aarch64__)
#define VARIANT_neon(w, a) ENTRY(w, a, neon)
#define PACKED_neon(w, a, p) PACKED_ENTRY(w, a, p, neon)
#else
#define VARIANT_neon(w, a)
#define PACKED_neon(w, a, p)
#endif
static const gemm_entry gemms[] = {
#define GQCRT_LINEAR_KERNEL(w, a, v, features) VARIANT_##v(w, a)
#include "gqcrt_kernels.def"
#undef GQCRT_LINEAR_KERNEL
#define GQCRT_PACKED_LINEAR_KERNEL(w, a, p, v, features, rows, replaces) PACKED_##v(w, a, p)
#include "gqcrt_packed_kernels.def"
#undef GQCRT_PACKED_LINEAR_KERNEL
};

/* The kernels benchmarked without a filter. */
static int default_kernel(const gemm_entry *k) {
  static const char *encs[] = {"q8_0", "q4_0", "q4_k", "q6_k", "f32", "f16"};
  if (!strcmp(k->variant, "scalar"))
    return 0;
  for (size_t i = 0; i < sizeof encs / sizeof *encs; i++)
    if (!strcmp(k->wenc, encs[i]))
      return 1;
  return 0;
}

static int selected(const gemm_entry *k, const char *filter) {
  if (!variant_runs_on_this_cpu(k->variant))
    return 0;
  return filter ? strstr(k->name, filter) != NULL : default_kernel(k);
}

static int shapes[3][2] = {{640, 2048}, {2048, 640}, {640, 1024}};
static int n_shapes = 3;

/* ---- data -------------------------------------------------------------------------- */

static size_t act_row_bytes(const char *aenc, int n) {
  int elems, bytes;
  harness_encoding_geometry(aenc, &elems, &bytes);
  return (size_t)(n / elems) * (size_t)bytes;
}

enum { MAX_ROWS = 32 };

typedef struct {
  const gemm_entry *k;
  int n_in, n_out;
  uint8_t *w, *xq;
  float *y;
  size_t x_row;
} problem;

static int setup(problem *p, const gemm_entry *k, int shape) {
  int elems, bytes;
  harness_encoding_geometry(k->wenc, &elems, &bytes);
  p->k = k;
  p->n_in = shapes[shape][0];
  p->n_out = shapes[shape][1];
  if (p->n_in % elems)
    p->n_in = (p->n_in + elems - 1) / elems * elems;
  const size_t wb = (size_t)(p->n_in / elems) * (size_t)bytes * (size_t)p->n_out;
  p->x_row = act_row_bytes(k->aenc, p->n_in);
  p->w = malloc(wb);
  p->xq = malloc(p->x_row * MAX_ROWS);
  p->y = malloc(sizeof(float) * (size_t)p->n_out * MAX_ROWS);
  float *x = malloc(sizeof(float) * (size_t)p->n_in * MAX_ROWS);
  if (!p->w || !p->xq || !p->y || !x) {
    free(x);
    return 0;
  }
  fill_weights(k->wenc, p->w, (size_t)p->n_in * (size_t)p->n_out);
  if (k->pack) {
    uint8_t *packed = malloc(wb);
    if (!packed) {
      free(x);
      return 0;
    }
    k->pack(packed, p->w, p->n_in, p->n_out);
    free(p->w);
    p->w = packed;
  }
  for (int i = 0; i < p->n_in * MAX_ROWS; ++i)
    x[i] = rnd_float();
  quantize_activation(k->aenc, p->xq, x, p->n_in * MAX_ROWS);
  free(x);
  return 1;
}

static void teardown(problem *p) {
  free(p->w);
  free(p->xq);
  free(p->y);
}

static void run_gemv(const problem *p, int n_rows) {
  for (int r = 0; r < n_rows; ++r)
    p->k->linear(p->y + (size_t)r * (size_t)p->n_out, p->w, p->xq + (size_t)r * p->x_row, p->n_in,
                 p->n_out);
}

static void run_gemm(const problem *p, int n_rows) {
  p->k->gemm(p->y, p->n_out, p->w, p->xq, p->n_in, p->n_out, n_rows);
}

/* ---- timing --------------------------------------------------------------------------- */

/* Best-of time of one run: repeat until ~0.1 s of work (at least 3 runs). */
static double best_time(void (*run)(const problem *, int), const problem *p, int n_rows) {
  double best = 1e30, total = 0.0;
  for (int rep = 0; rep < 10000 && (rep < 3 || total < 0.1); ++rep) {
    const double t0 = now_s();
    run(p, n_rows);
    const double dt = now_s() - t0;
    total += dt;
    best = dt < best ? dt : best;
  }
  return best;
}

static void bench(const gemm_entry *k) {
  static const int row_counts[] = {1, 2, 3, 4, 6, 8, 12, 16, 24, 32};
  for (int s = 0; s < n_shapes; ++s) {
    problem p;
    if (!setup(&p, k, s)) {
      printf("%-16s (out of memory)\n", k->name);
      teardown(&p);
      continue;
    }
    for (size_t i = 0; i < sizeof row_counts / sizeof *row_counts; ++i) {
      const int n = row_counts[i];
      const double gemv = best_time(run_gemv, &p, n) / n, gemm = best_time(run_gemm, &p, n) / n;
      printf("%-16s %5d x %-5d %6d %14.2f %14.2f %9.2fx\n", k->name, p.n_in, p.n_out, n, gemv * 1e6,
             gemm * 1e6, gemv / gemm);
      fflush(stdout);
    }
    teardown(&p);
  }
}

int main(int argc, char **argv) {
  const size_t n_kernels = sizeof gemms / sizeof gemms[0];
  if (argc >= 2 && !strcmp(argv[1], "--list")) {
    for (size_t i = 0; i < n_kernels; i++)
      if (selected(&gemms[i], argc >= 3 ? argv[2] : NULL))
        printf("%s\n", gemms[i].name);
    return 0;
  }
  if (argc >= 2 && !strcmp(argv[1], "--once")) {
    if (argc != 6)
      return 2;
    for (size_t i = 0; i < n_kernels; i++) {
      if (strcmp(gemms[i].name, argv[2]))
        continue;
      const int shape = atoi(argv[3]), n_rows = atoi(argv[4]), mode = atoi(argv[5]);
      if (shape < 0 || shape > 2 || n_rows < 1 || n_rows > MAX_ROWS)
        return 2;
      problem p;
      if (!setup(&p, &gemms[i], shape))
        return 1;
      if (mode == 1)
        run_gemv(&p, n_rows);
      else if (mode == 2)
        run_gemm(&p, n_rows);
      printf("%d %d\n", p.n_in, p.n_out);
      teardown(&p);
      return 0;
    }
    fprintf(stderr, "bench_gemm: no kernel %s here\n", argv[2]);
    return 1;
  }
  const char *filter = argc >= 2 ? argv[1] : NULL;
  if (argc == 4) { /* one shape of the caller's instead of the three */
    shapes[0][0] = atoi(argv[2]);
    shapes[0][1] = atoi(argv[3]);
    n_shapes = 1;
    if (shapes[0][0] < 1 || shapes[0][1] < 1)
      return 2;
  }
  printf("%-16s %13s %6s %14s %14s %10s\n", "kernel", "n_in x n_out", "n_rows", "gemv us/tok",
         "gemm us/tok", "speedup");
  for (size_t i = 0; i < n_kernels; i++)
    if (selected(&gemms[i], filter))
      bench(&gemms[i]);
  return 0;
}
