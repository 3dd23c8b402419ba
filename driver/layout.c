/* layout.c — where gqc finds its runtime: headers, libgqcrt.a per target and
 * the samples, relative to its own executable (/proc/self/exe), so an
 * installed gqc works from any prefix and a build tree's gqc from its tree.
 *
 *   installed (cmake --install, see cmake/install.cmake)
 *     <prefix>/bin/gqc
 *     <prefix>/include/gqc/gqcrt*.h                  runtime headers
 *     <prefix>/lib/libgqcrt.a                        host runtime
 *     <prefix>/lib/gqc/<triple>/libgqcrt.a           other targets (aarch64)
 *     <prefix>/share/gqc/samples/                    generate.c, linker scripts
 *   build tree
 *     <build>/gqc, <build>/runtime/libgqcrt.a, <build>/aarch64/runtime/libgqcrt.a,
 *     <build>/gqc-source-dir: one line, the source directory (headers, samples)
 *
 * No path of the machine gqc was built on is compiled in: the relative
 * directory names below are the install layout's, and the build tree names
 * its source directory in a file that is never installed. The environment
 * overrides each: GQC_RUNTIME_INCLUDE, GQC_SAMPLES_DIR, GQC_RUNTIME_LIB (host),
 * GQC_RUNTIME_LIB_AARCH64.
 */
#define _XOPEN_SOURCE 700
#include "driver/driver.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef GQC_INSTALL_LIBDIR
#define GQC_INSTALL_LIBDIR "lib"
#endif

typedef struct layout {
  bool ready;
  char include[8192], samples[8192], host_lib[8192], aarch64_lib[8192];
} layout;

static bool is_dir(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The directory of the running executable ("" if unknown). */
static void exe_dir(char *buf, size_t n) {
  char exe[4096];
  ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
  buf[0] = '\0';
  if (len <= 0)
    return;
  exe[len] = '\0';
  char *slash = strrchr(exe, '/');
  if (slash)
    *slash = '\0';
  snprintf(buf, n, "%s", exe);
}

/* The build tree's <build>/gqc-source-dir, into src. */
static bool build_tree_source(const char *bin, char *src, size_t n) {
  char path[4200];
  snprintf(path, sizeof path, "%s/gqc-source-dir", bin);
  FILE *f = fopen(path, "r");
  if (!f)
    return false;
  bool ok = fgets(src, (int)n, f) != NULL;
  fclose(f);
  if (ok)
    src[strcspn(src, "\r\n")] = '\0';
  return ok && *src;
}

static const layout *get_layout(void) {
  static layout l;
  if (l.ready)
    return &l;
  l.ready = true;
  char bin[4096], src[4096];
  exe_dir(bin, sizeof bin);
  char up[4100], prefix[PATH_MAX + 8];
  snprintf(up, sizeof up, "%s/..", bin);
  if (!realpath(up, prefix))
    snprintf(prefix, sizeof prefix, "%s", up);
  char share[PATH_MAX + 32];
  snprintf(share, sizeof share, "%s/share/gqc", prefix);
  if (is_dir(share)) {
    snprintf(l.include, sizeof l.include, "%s/include/gqc", prefix);
    snprintf(l.samples, sizeof l.samples, "%s/samples", share);
    snprintf(l.host_lib, sizeof l.host_lib, "%s/" GQC_INSTALL_LIBDIR "/libgqcrt.a", prefix);
    snprintf(l.aarch64_lib, sizeof l.aarch64_lib,
             "%s/" GQC_INSTALL_LIBDIR "/gqc/aarch64-linux-gnu/libgqcrt.a", prefix);
  } else if (build_tree_source(bin, src, sizeof src)) {
    snprintf(l.include, sizeof l.include, "%s/runtime/include", src);
    snprintf(l.samples, sizeof l.samples, "%s/samples", src);
    snprintf(l.host_lib, sizeof l.host_lib, "%s/runtime/libgqcrt.a", bin);
    snprintf(l.aarch64_lib, sizeof l.aarch64_lib, "%s/aarch64/runtime/libgqcrt.a", bin);
  }
  return &l;
}

static const char *env_or(const char *var, const char *dflt) {
  const char *v = getenv(var);
  return v && *v ? v : dflt;
}

const char *gqc_runtime_include_dir(void) {
  return env_or("GQC_RUNTIME_INCLUDE", get_layout()->include);
}

const char *gqc_samples_dir(void) {
  return env_or("GQC_SAMPLES_DIR", get_layout()->samples);
}

const char *gqc_runtime_library(const char *triple) {
  if (!strncmp(triple, "aarch64", 7))
    return env_or("GQC_RUNTIME_LIB_AARCH64", get_layout()->aarch64_lib);
  return env_or("GQC_RUNTIME_LIB", get_layout()->host_lib);
}

const char *gqc_c_compiler(const char *triple, bool is_host) {
  if (is_host)
    return env_or("CC", "cc");
  if (!strncmp(triple, "aarch64", 7))
    return env_or("GQC_CC_AARCH64", "aarch64-linux-gnu-gcc");
  return env_or("CC", "cc");
}
