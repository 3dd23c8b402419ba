/* cpu_variants.h — which kernel variants of libgqcrt this CPU can run, by
 * the variant name of the kernel tables (gqcrt_kernels.def,
 * gqcrt_attention_kernels.def, ...): `scalar` always, `avx2` on x86-64 with
 * AVX2, FMA and F16C, `avxvnni` with AVX-VNNI too, `avx512vnni` with AVX-512 VNNI (as
 * libgqcrt's gqcrt_cpu_features finds it), `neon` on AArch64. Shared by the runtime tests
 * and benchmarks.
 */
#ifndef GQC_TESTS_CPU_VARIANTS_H
#define GQC_TESTS_CPU_VARIANTS_H

#include <string.h>

#include "gqcrt.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

#if defined(__x86_64__)
/* AVX2 and FMA through the compiler's CPU model, F16C from CPUID leaf 1
 * (ECX bit 29), which not every compiler's __builtin_cpu_supports knows. */
static inline int x86_has_avx2_fma_f16c(void) {
  unsigned eax, ebx, ecx, edx;
  __builtin_cpu_init();
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx))
    return 0;
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && ((ecx >> 29) & 1);
}

/* AVX-VNNI: CPUID leaf 7 subleaf 1, EAX bit 4. */
static inline int x86_has_avxvnni(void) {
  unsigned eax, ebx, ecx, edx;
  return x86_has_avx2_fma_f16c() && __get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx) &&
         ((eax >> 4) & 1);
}
#endif

/* Whether this CPU can run kernels of `variant` ("scalar", "avx2",
 * "avxvnni", "neon"). */
static inline int variant_runs_on_this_cpu(const char *variant) {
  if (!strcmp(variant, "scalar"))
    return 1;
#if defined(__x86_64__)
  if (!strcmp(variant, "avx2"))
    return x86_has_avx2_fma_f16c();
  if (!strcmp(variant, "avxvnni"))
    return x86_has_avxvnni();
  if (!strcmp(variant, "avx512vnni"))
    return x86_has_avx2_fma_f16c() && (gqcrt_cpu_features() & GQCRT_CPU_AVX512VNNI);
#endif
#if defined(__aarch64__)
  if (!strcmp(variant, "neon"))
    return 1;
#endif
  return 0;
}

#endif
