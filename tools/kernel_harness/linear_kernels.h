/* linear_kernels.h — libgqcrt's linear (matrix-vector) kernels as a test or
 * benchmark harness sees them: the table of gqcrt_kernels.def, which of its
 * variants this CPU can run, and the activation each kernel takes, quantised
 * by encoding name. Shared by tests/unit/test_rt_kernels.c and
 * benchmarks/bench_kernels.c.
 *
 * The table holds `_scalar` always, `_avx2` on x86-64 and `_neon` on AArch64
 * (the variants compiled into libgqcrt there); `_avx2` also needs AVX2, FMA
 * and F16C at run time.
 */
#ifndef GQC_TESTS_LINEAR_KERNELS_H
#define GQC_TESTS_LINEAR_KERNELS_H

#include <stdint.h>
#include <string.h>

#include "gqcrt.h"

#include "cpu_variants.h"

typedef struct {
  const char *wenc, *aenc, *variant;
  gqcrt_linear_fn fn;
} kernel_entry;

#define KERNEL_ENTRY(w, a, v) {#w, #a, #v, gqcrt_linear_##w##_##v},
#define VARIANT_scalar(w, a) KERNEL_ENTRY(w, a, scalar)
#if defined(__x86_64__)
#define VARIANT_avx2(w, a) KERNEL_ENTRY(w, a, avx2)
#else
#define VARIANT_avx2(w, a)
#endif
#if defined(__aarch64__)
#define VARIANT_neon(w, a) KERNEL_ENTRY(w, a, neon)
#else
#define VARIANT_neon(w, a)
#endif
#define GQCRT_LINEAR_KERNEL(w, a, v, features) VARIANT_##v(w, a)
static const kernel_entry kernels[] = {
#include "gqcrt_kernels.def"
};
#undef GQCRT_LINEAR_KERNEL
#undef VARIANT_neon
#undef VARIANT_avx2
#undef VARIANT_scalar
#undef KERNEL_ENTRY

/* x[0..n) converted to the activation encoding aenc ("f32", "f16", "bf16",
 * "q8_0", "q8_1", anything else: q8_k) with the runtime's quantisers. */
static inline void quantize_activation(const char *aenc, void *dst, const float *x, int n) {
  if (!strcmp(aenc, "f32"))
    memcpy(dst, x, 4u * (size_t)n);
  else if (!strcmp(aenc, "f16"))
    gqcrt_quantize_f16(dst, x, n);
  else if (!strcmp(aenc, "bf16"))
    gqcrt_quantize_bf16(dst, x, n);
  else if (!strcmp(aenc, "q8_0"))
    gqcrt_quantize_q8_0(dst, x, n);
  else if (!strcmp(aenc, "q8_1"))
    gqcrt_quantize_q8_1(dst, x, n);
  else
    gqcrt_quantize_q8_k(dst, x, n);
}

#endif
