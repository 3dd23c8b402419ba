/* kernel_test_util.h — what the runtime's linear and gemm kernel tests
 * (test_rt_kernels.c, test_rt_gemm.c) share: which kernel variants run on
 * this machine (and a loop over those of a kernel table), the weight encodings (the runtime's
 * table, tools/kernel_harness/encodings.h), row sizes of whole blocks, and 64-byte aligned buffers
 * as the SIMD kernels expect. Header-only; include it after <cmocka.h> (a missing encoding or a
 * failed allocation fails the test).
 */
#ifndef GQC_TESTS_KERNEL_TEST_UTIL_H
#define GQC_TESTS_KERNEL_TEST_UTIL_H

#include <stdlib.h>
#include <string.h>

#include "tools/kernel_harness/cpu_variants.h"
#include "tools/kernel_harness/encodings.h"

/* Whether the kernels of `variant` run here (GQCRT_VARIANT=<name> in the
 * environment restricts the run to one variant). */
static inline int variant_runs_here(const char *variant) {
  const char *only = getenv("GQCRT_VARIANT");
  if (only && *only && strcmp(only, variant) != 0)
    return 0;
  return variant_runs_on_this_cpu(variant);
}

/* for_each_runnable(TYPE, k, TABLE) { ... }: k (a const TYPE *) runs over
 * the entries of the kernel table TABLE (an array of TYPE) whose variant runs
 * here; continue and break work as in any loop. */
#define for_each_runnable(TYPE, k, TABLE)                                                          \
  for (const TYPE *k = (TABLE); k < (TABLE) + sizeof(TABLE) / sizeof((TABLE)[0]); k++)             \
    if (!variant_runs_here(k->variant)) {                                                          \
    } else

typedef harness_encoding weight_encoding;

static inline const weight_encoding *find_wenc(const char *name) {
  const weight_encoding *e = harness_encoding_find(name);
  if (!e)
    fail_msg("no encoding %s", name);
  return e;
}

/* The elements of n whole blocks of e (an unblocked encoding: of 32). */
static inline int blocks_elems(const weight_encoding *e, int n) {
  return n * (e->block_elems == 1 ? 32 : e->block_elems);
}

/* n bytes (rounded up to 64), 64-byte aligned; free() them. */
static inline void *xalloc(size_t n) {
  void *p = aligned_alloc(64, (n + 63) / 64 * 64);
  assert_non_null(p);
  return p;
}

#endif
