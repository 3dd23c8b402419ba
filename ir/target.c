/* target.c — target triples, CPUs and their features (see target.h). */
#include "ir/target.h"

#include <stdio.h>
#include <string.h>

#include "gqcrt.h"

/* The targets gqc compiles for: the one list. `triple` is what the user
 * may type; `canonical` what gqc records (header, LLVM); linux-gnu targets
 * run hosted programs (gqc run, the hosted runtime), none-elf ones are bare
 * metal (firmware with the freestanding runtime). */
static const struct supported_target {
  const char *triple, *canonical;
  gqc_arch arch;
  bool bare_metal;
} supported_targets[] = {
    {"x86_64-linux-gnu", "x86_64-linux-gnu", GQC_ARCH_X86_64, false},
    {"aarch64-linux-gnu", "aarch64-linux-gnu", GQC_ARCH_AARCH64, false},
    {"x86_64-none-elf", "x86_64-none-elf", GQC_ARCH_X86_64, true},
    {"aarch64-none-elf", "aarch64-none-elf", GQC_ARCH_AARCH64, true},
    {"x86_64-unknown-linux-gnu", "x86_64-linux-gnu", GQC_ARCH_X86_64, false},
    {"x86_64-pc-linux-gnu", "x86_64-linux-gnu", GQC_ARCH_X86_64, false},
    {"aarch64-unknown-linux-gnu", "aarch64-linux-gnu", GQC_ARCH_AARCH64, false},
    {"aarch64-unknown-none-elf", "aarch64-none-elf", GQC_ARCH_AARCH64, true},
};
enum { N_SUPPORTED = sizeof supported_targets / sizeof supported_targets[0] };

const char *gqc_supported_triple(int i) {
  for (int k = 0, n = 0; k < N_SUPPORTED; k++)
    if (!strcmp(supported_targets[k].triple, supported_targets[k].canonical) && n++ == i)
      return supported_targets[k].triple;
  return NULL;
}

typedef struct cpu_features {
  const char *arch_prefix, *cpu, *features;
} cpu_features;

/* Features gqc's kernels care about, per known CPU. */
static const cpu_features known_cpus[] = {
    {"aarch64", "cortex-a55", "neon,dotprod,fp16"},
    {"aarch64", "cortex-a76", "neon,dotprod,fp16"},
    {"aarch64", "cortex-a53", "neon"},
    {"aarch64", "cortex-a72", "neon"},
    {"aarch64", "generic", "neon"},
    {"x86_64", "x86-64", ""},
    {"x86_64", "generic", ""},
    {"x86_64", "x86-64-v2", ""},
    {"x86_64", "x86-64-v3", "avx2,fma,f16c"},
    {"x86_64", "haswell", "avx2,fma,f16c"},
    {"x86_64", "znver2", "avx2,fma,f16c"},
    {"x86_64", "znver3", "avx2,fma,f16c"},
    {"x86_64", "znver4", "avx2,fma,f16c,avxvnni,avx512vnni"},
    {"x86_64", "alderlake", "avx2,fma,f16c,avxvnni"},
    {"x86_64", "icelake-server", "avx2,fma,f16c,avx512vnni"},
    {"x86_64", "sapphirerapids", "avx2,fma,f16c,avxvnni,avx512vnni"},
};

static void host_triple(char *buf, size_t n) {
#if defined(__x86_64__)
  snprintf(buf, n, "x86_64-linux-gnu");
#elif defined(__aarch64__)
  snprintf(buf, n, "aarch64-linux-gnu");
#else
  snprintf(buf, n, "unknown-linux-gnu");
#endif
}

/* gqcrt_cpu_features.def as a table: the runtime's bit of each feature name. */
static const struct {
  const char *name;
  uint32_t bit;
} cpu_feature_bits[] = {
#define GQCRT_CPU_FEATURE(NAME, bit, name) {name, GQCRT_CPU_##NAME},
#include "gqcrt_cpu_features.def"
#undef GQCRT_CPU_FEATURE
};
enum { N_CPU_FEATURE_BITS = sizeof cpu_feature_bits / sizeof cpu_feature_bits[0] };

/* The host CPU's features: those the runtime's check (gqcrt_cpu_features,
 * the one CPUID/HWCAP reader) finds, so a model compiled for --cpu native
 * passes its own <name>_init check. */
static void host_features(char *buf, size_t n) {
  const uint32_t have = gqcrt_cpu_features();
  buf[0] = 0;
  for (size_t i = 0, len = 0; i < N_CPU_FEATURE_BITS; i++)
    if ((have & cpu_feature_bits[i].bit) && len < n)
      len += (size_t)snprintf(buf + len, n - len, "%s%s", len ? "," : "", cpu_feature_bits[i].name);
}

static bool has_feature(const char *list, const char *f, size_t len) {
  const char *p = list;
  while (*p) {
    const char *comma = strchr(p, ',');
    size_t l = comma ? (size_t)(comma - p) : strlen(p);
    if (l == len && !strncmp(p, f, len))
      return true;
    p = comma ? comma + 1 : p + l;
  }
  return false;
}

static void add_feature(char *list, size_t n, const char *f, size_t len) {
  if (has_feature(list, f, len))
    return;
  size_t cur = strlen(list);
  snprintf(list + cur, n - cur, "%s%.*s", cur ? "," : "", (int)len, f);
}

static void remove_feature(char *list, const char *f, size_t len) {
  char out[256] = "";
  const char *p = list;
  while (*p) {
    const char *comma = strchr(p, ',');
    size_t l = comma ? (size_t)(comma - p) : strlen(p);
    if (!(l == len && !strncmp(p, f, len)))
      add_feature(out, sizeof out, p, l);
    p = comma ? comma + 1 : p + l;
  }
  strcpy(list, out);
}

bool gqc_target_init(gqc_target *t, const char *triple, const char *cpu, const char *features,
                     gqc_diag *d) {
  memset(t, 0, sizeof *t);
  char host[64];
  host_triple(host, sizeof host);
  const char *want = triple ? triple : host;
  const struct supported_target *st = NULL;
  for (int k = 0; k < N_SUPPORTED && !st; k++)
    if (!strcmp(supported_targets[k].triple, want))
      st = &supported_targets[k];
  if (!st) {
    char list[256] = "";
    for (int k = 0; gqc_supported_triple(k); k++) {
      size_t cur = strlen(list);
      snprintf(list + cur, sizeof list - cur, "%s%s", k ? ", " : "", gqc_supported_triple(k));
    }
    return gqc_error(d, "unsupported target '%s' (supported: %s)", want, list);
  }
  snprintf(t->triple, sizeof t->triple, "%s", st->canonical);
  t->arch = st->arch;
  t->bare_metal = st->bare_metal;
  t->is_host = !st->bare_metal && !strcmp(t->triple, host);
  const char *prefix = t->arch == GQC_ARCH_X86_64 ? "x86_64" : "aarch64";
  if (!cpu)
    cpu = t->is_host ? "native" : t->arch == GQC_ARCH_AARCH64 ? "cortex-a55" : "x86-64-v3";
  snprintf(t->cpu, sizeof t->cpu, "%s", cpu);
  if (!strcmp(cpu, "native")) {
    if (!t->is_host)
      return gqc_error(d, "--cpu native needs the target to be the host");
    host_features(t->features, sizeof t->features);
  } else {
    bool found = false;
    for (size_t i = 0; i < sizeof known_cpus / sizeof known_cpus[0]; i++)
      if (!strcmp(known_cpus[i].arch_prefix, prefix) && !strcmp(known_cpus[i].cpu, cpu)) {
        snprintf(t->features, sizeof t->features, "%s", known_cpus[i].features);
        found = true;
      }
    if (!found) {
      char list[512] = "";
      for (size_t i = 0; i < sizeof known_cpus / sizeof known_cpus[0]; i++)
        if (!strcmp(known_cpus[i].arch_prefix, prefix)) {
          size_t cur = strlen(list);
          snprintf(list + cur, sizeof list - cur, "%s%s", cur ? ", " : "", known_cpus[i].cpu);
        }
      return gqc_error(d, "unknown CPU '%s' for %s (known: %s, native)", cpu, t->triple, list);
    }
  }
  /* +feature / -feature adjustments */
  const char *p = features ? features : "";
  while (*p) {
    const char *comma = strchr(p, ',');
    size_t l = comma ? (size_t)(comma - p) : strlen(p);
    if (l > 1 && (p[0] == '+' || p[0] == '-')) {
      if (p[0] == '+')
        add_feature(t->features, sizeof t->features, p + 1, l - 1);
      else
        remove_feature(t->features, p + 1, l - 1);
    } else if (l) {
      return gqc_error(d, "--features: expected +name or -name, got '%.*s'", (int)l, p);
    }
    p = comma ? comma + 1 : p + l;
  }
  return true;
}

bool gqc_target_has_all(const gqc_target *t, const char *required) {
  const char *p = required;
  while (*p) {
    const char *comma = strchr(p, ',');
    size_t l = comma ? (size_t)(comma - p) : strlen(p);
    if (l && !has_feature(t->features, p, l))
      return false;
    p = comma ? comma + 1 : p + l;
  }
  return true;
}

/* Each prefill step reads every weight once, so the batch sets how often a
 * prompt streams the whole model from memory. On an x86-64 host (large
 * caches, fast cores, memory far slower than its VNNI/AVX-512 kernels) a
 * batch of 32 spends most of the prompt waiting for weights; 256 cuts that
 * eightfold (llama.cpp's default micro-batch is 512) for an arena of a few
 * tens of MB. On AArch64 the board's in-order cores are compute-bound at 32
 * already, and the arena there is what the firmware pays in RAM. */
int64_t gqc_target_default_batch(const gqc_target *t) {
  return t->arch == GQC_ARCH_X86_64 ? 256 : 32;
}

uint32_t gqc_target_cpu_mask(const gqc_target *t) {
  uint32_t mask = 0;
  for (size_t i = 0; i < N_CPU_FEATURE_BITS; i++)
    if (gqc_target_has_all(t, cpu_feature_bits[i].name))
      mask |= cpu_feature_bits[i].bit;
  return mask;
}
