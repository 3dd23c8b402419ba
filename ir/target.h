/* target.h — what the compiled code will run on: triple, CPU, features.
 *
 * select-kernels matches kernel feature lists (runtime/include/
 * gqcrt_kernels.def) against `features`; codegen uses the triple and CPU.
 * A target is parsed from --target/--cpu (gqc_target_init); the host is the
 * default, with its features read from the running CPU.
 */
#ifndef GQC_TARGET_H
#define GQC_TARGET_H

#include <stdbool.h>
#include <stdint.h>

#include "ir/diag.h"

typedef enum gqc_arch { GQC_ARCH_X86_64, GQC_ARCH_AARCH64, GQC_ARCH_OTHER } gqc_arch;

typedef struct gqc_target {
  char triple[64];    /* "x86_64-linux-gnu", "aarch64-linux-gnu" */
  char cpu[64];       /* "cortex-a55", "x86-64-v3", "generic", "native" */
  char features[256]; /* comma-separated: "neon,dotprod,fp16" or "avx2,fma,f16c" */
  gqc_arch arch;
  bool is_host;    /* code runs on this machine (no emulator needed) */
  bool bare_metal; /* a none-elf target: firmware, no operating system */
} gqc_target;

/* The supported target triples (canonical spellings), i = 0, 1, ...; NULL
 * past the last. Any other triple is an error of gqc_target_init. */
const char *gqc_supported_triple(int i);
/* triple NULL = host; cpu NULL = the default for the triple (host: native,
 * aarch64: cortex-a55). `features` may add ("+x") or remove ("-x") features. */
bool gqc_target_init(gqc_target *t, const char *triple, const char *cpu, const char *features,
                     gqc_diag *d);
/* The prefill batch (tokens per NAME_prefill step) when --batch is not
 * given: 256 on x86-64, 32 on AArch64 (see target.c). */
int64_t gqc_target_default_batch(const gqc_target *t);
/* The GQCRT_CPU_* bits (gqcrt_cpu_features.def) of the target's features:
 * what <name>_init requires of the CPU. */
uint32_t gqc_target_cpu_mask(const gqc_target *t);
/* True when every feature of the comma-separated `required` list is present. */
bool gqc_target_has_all(const gqc_target *t, const char *required);

#endif
