/* run.c — `gqc run MODEL.gguf [options]`: compile, link, run, in one line.
 *
 * Compiles the model to an object in a temporary directory (as `gqc MODEL
 * -o model.o` does), links it with samples/generate.c and libgqcrt using the
 * target's C compiler, and runs the program with every option gqc does not
 * know itself (-p, -n, --ids, --logits, --top5, ...). The sampling options
 * (--temp, --top-k, --top-p, --min-p, --repeat-penalty, --repeat-last-n,
 * --seed: llama.cpp's names) are checked first, so a bad value stops
 * before the compile, then passed on too. For an aarch64 target on another host the
 * program runs under qemu-aarch64 (-cpu cortex-a76: the A55's features and more). A model with far
 * weights (its header defines MODEL_WEIGHTS_FAR: an 8B model's 4.6 GB) links with
 * samples/weights_after_bss.ld.
 */
#include "driver/driver.h"

#include "gqcrt_sample.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Whether this gqc is itself built with AddressSanitizer (GQC_SANITIZE). */
#if defined(__SANITIZE_ADDRESS__)
#define GQC_ASAN_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GQC_ASAN_BUILD 1
#endif
#endif
#ifndef GQC_ASAN_BUILD
#define GQC_ASAN_BUILD 0
#endif

/* Whether the file at path contains the line `line` (false if unreadable). */
static bool file_contains(const char *path, const char *line) {
  FILE *f = fopen(path, "r");
  char buf[4096];
  bool found = false;
  size_t len = strlen(line);
  while (f && !found && fgets(buf, sizeof buf, f))
    found = !strncmp(buf, line, len);
  if (f)
    fclose(f);
  return found;
}

int gqc_cmd_run(int argc, char **argv) {
  gqc_options o;
  gqc_options_init(&o);
  char **fwd = calloc((size_t)argc + 8, sizeof *fwd);
  int n_fwd = 0;
  if (!fwd)
    return 1;
  gqcrt_sampler_params sampling = gqcrt_sampler_default_params();
  for (int i = 0; i < argc; i++) {
    int r = gqc_parse_compile_option(&o, argc, argv, &i);
    const int first = i;
    if (r == 0 && (r = gqc_parse_sampling_option(&sampling, argc, argv, &i)) > 0)
      for (int k = first; k <= i; k++) /* checked here, used by the program */
        fwd[n_fwd++] = argv[k];
    if (r < 0) {
      free(fwd);
      return 2;
    }
    if (r)
      continue;
    if (!o.input && argv[i][0] != '-')
      o.input = argv[i];
    else
      fwd[n_fwd++] = argv[i];
  }
  if (!o.input) {
    fprintf(stderr, "usage: gqc run MODEL.gguf [compile options] [-p TEXT] [-n N] [--ids FILE] "
                    "[--logits OUT.f32] [--top5]\n"
                    "               [--temp T] [--top-k K] [--top-p P] [--min-p P] "
                    "[--repeat-penalty R] [--repeat-last-n N] [--seed S]\n");
    free(fwd);
    return 2;
  }
  gqc_target t;
  gqc_diag d = {0};
  if (!gqc_target_init(&t, o.triple, o.cpu, o.features, &d)) {
    gqc_print_error(d.msg);
    free(fwd);
    return 2;
  }
  if (t.bare_metal) {
    fprintf(stderr,
            "gqc: error: run: %s is a bare-metal target: no program to run here\n"
            "note: gqc run needs x86_64-linux-gnu or aarch64-linux-gnu; link a firmware "
            "with the object (samples/firmware)\n",
            t.triple);
    free(fwd);
    return 2;
  }
  const char *runtime = gqc_runtime_library(t.triple);
  if (access(runtime, R_OK) != 0) {
    fprintf(stderr,
            "gqc: error: run: no runtime for %s (%s)\n"
            "note: install gqc (cmake --install) or set %s to a libgqcrt.a built for it\n",
            t.triple, *runtime ? runtime : "not found beside gqc",
            t.arch == GQC_ARCH_AARCH64 ? "GQC_RUNTIME_LIB_AARCH64" : "GQC_RUNTIME_LIB");
    free(fwd);
    return 2;
  }
  char *tmp = gqc_make_temp_dir();
  if (!tmp) {
    fprintf(stderr, "gqc: error: cannot create a temporary directory: %s\n", strerror(errno));
    free(fwd);
    return 1;
  }
  /* The object, as `gqc MODEL -o model.o` makes it (default backend). */
  char obj[4096], exe[4096], inc[4096], inc2[4096], sample[4096];
  snprintf(obj, sizeof obj, "%s/model.o", tmp);
  snprintf(exe, sizeof exe, "%s/generate", tmp);
  snprintf(inc, sizeof inc, "-I%s", gqc_runtime_include_dir());
  snprintf(inc2, sizeof inc2, "-I%s", tmp);
  snprintf(sample, sizeof sample, "%s/generate.c", gqc_samples_dir());
  o.output = obj;
  o.name = "model";
  int rc = gqc_cmd_compile(&o);
  if (!rc) {
    char header[4096], script[4096];
    snprintf(header, sizeof header, "%s/model.h", tmp);
    snprintf(script, sizeof script, "-Wl,-T,%s/weights_after_bss.ld", gqc_samples_dir());
    char *cc[16];
    int n = 0;
    cc[n++] = (char *)gqc_c_compiler(t.triple, t.is_host);
    cc[n++] = "-O2";
    cc[n++] = "-std=c11";
    cc[n++] = inc;
    cc[n++] = inc2;
    cc[n++] = sample;
    cc[n++] = obj;
    cc[n++] = (char *)runtime;
    cc[n++] = "-lm";
    if (!t.is_host)
      cc[n++] = "-static";
    /* far weights go after .bss, out of the way of the program's own data */
    if (file_contains(header, "#define MODEL_WEIGHTS_FAR 1"))
      cc[n++] = script;
    /* A sanitizer build of gqc finds the build tree's libgqcrt, which is
     * instrumented too: a host program linked with it needs the runtimes. */
    if (t.is_host && GQC_ASAN_BUILD)
      cc[n++] = "-fsanitize=address,undefined";
    cc[n++] = "-o";
    cc[n++] = exe;
    cc[n] = NULL;
    int st = gqc_spawn(cc, getenv("GQC_VERBOSE") != NULL);
    if (st != 0) {
      fprintf(stderr, "gqc: error: %s/generate.c: building the program failed (exit %d)\n",
              gqc_samples_dir(), st);
      fputs("note: GQC_VERBOSE=1 shows the compiler's command line\n", stderr);
      rc = 1;
    }
  }
  if (!rc) {
    char **run = calloc((size_t)n_fwd + 10, sizeof *run);
    int k = 0;
    if (!t.is_host) {
      run[k++] = "qemu-aarch64";
      run[k++] = "-cpu";
      run[k++] = "cortex-a76";
    }
    run[k++] = exe;
    char blob[4096];
    if (o.weights_external) { /* --weights=file: generate loads the blob itself */
      snprintf(blob, sizeof blob, "%s/model.weights", tmp);
      run[k++] = "--weights";
      run[k++] = blob;
    }
    for (int i = 0; i < n_fwd; i++)
      run[k++] = fwd[i];
    run[k] = NULL;
    rc = gqc_spawn(run, getenv("GQC_VERBOSE") != NULL);
    free(run);
  }
  if (o.keep_temps)
    fprintf(stderr, "gqc: files kept in %s\n", tmp);
  else
    gqc_remove_temp_dir(tmp);
  free(tmp);
  free(fwd);
  return rc;
}
