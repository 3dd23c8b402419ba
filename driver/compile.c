/* compile.c — `gqc MODEL.gguf -o OUT`: the compiler proper.
 *
 *   GGUF file ─► frontend (description + GGUF → IR) ─► vocabulary blob
 *            ─► pipeline (driver/pipeline.c) ─► backend (by -o / --emit)
 *
 * Outputs (by --emit, else by the extension of -o):
 *   obj   x.o   an object; the LLVM backend writes it directly (default), the
 *               C backend (--backend c) compiles its C with the target's cc
 *   asm   x.s   target assembly (LLVM backend)
 *   llvm  x.ll  LLVM IR (LLVM backend)
 *   c     x.c   C source + x.weights, x.vocab beside it
 *   ir    x.ir  the final IR as text
 * The model header x.h is written beside every output but the IR. With
 * --weights=file the weights are not in the output but in x.weights beside
 * it (written here, for every output but the IR), which the firmware loads
 * and hands to <name>_init_weights; --arena-section puts the arena in a
 * named section (codegen/arena_section.c).
 */
#define _POSIX_C_SOURCE 200809L
#include "driver/driver.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/codegen.h"
#include "codegen/emit_llvm.h"
#include "driver/outputs.h"
#include "frontend/frontend.h"
#include "frontend/gguf.h"
#include "frontend/vocab_build.h"

static int fail(const gqc_diag *d) {
  fprintf(stderr, strstr(d->msg, ": error: ") ? "%s\n" : "gqc: error: %s\n", d->msg);
  return 1;
}

static bool is_c_identifier(const char *s) {
  if (!*s || (*s >= '0' && *s <= '9'))
    return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
          *s == '_'))
      return false;
  return true;
}

static const char *extension(const char *path) {
  const char *slash = strrchr(path, '/');
  const char *dot = strrchr(path, '.');
  return dot && (!slash || dot > slash) ? dot + 1 : "";
}

/* dir/base.ext into buf; false (with a message) if it does not fit. */
static bool join_path(char *buf, size_t n, const char *dir, const char *base, const char *ext) {
  int len = snprintf(buf, n, "%s/%s.%s", dir, base, ext);
  if (len < 0 || (size_t)len >= n) {
    fprintf(stderr, "gqc: error: path too long: %s/%s.%s\n", dir, base, ext);
    return false;
  }
  return true;
}

/* Splits "dir/base.ext" into dir and base. */
static void split_output(const char *path, char *dir, size_t dn, char *base, size_t bn) {
  const char *slash = strrchr(path, '/');
  if (slash)
    snprintf(dir, dn, "%.*s", (int)(slash - path), path);
  else
    snprintf(dir, dn, ".");
  if (!*dir)
    snprintf(dir, dn, "/");
  const char *b = slash ? slash + 1 : path;
  const char *dot = strrchr(b, '.');
  snprintf(base, bn, "%.*s", (int)(dot ? dot - b : (long)strlen(b)), b);
}

int gqc_build_module(gqc_options *o, gqc_target *t, gguf_file **gf, ir_module **m,
                     gqc_vocab_blob *vocab, gqc_prefix_rows *prefix_rows) {
  gqc_diag d = {0};
  if (!is_c_identifier(o->name)) {
    fprintf(stderr, "gqc: error: --name '%s' is not a C identifier\n", o->name);
    return 1;
  }
  if (!gqc_pipeline_check_options(&o->pipe, &d) ||
      !gqc_target_init(t, o->triple, o->cpu, o->features, &d))
    return fail(&d);
  gguf_error ge = {0};
  *gf = gguf_open(o->input, &ge);
  if (!*gf) {
    fprintf(stderr, "gqc: error: %s\n", ge.msg);
    return 1;
  }
  gqc_frontend_options fo = {.arch_file = o->arch_file,
                             .module_name = o->name,
                             .n_ctx = o->n_ctx,
                             .kv_type = o->kv_type,
                             .batch = o->batch};
  *m = gqc_frontend_load(*gf, &fo, &d);
  if (!*m)
    return fail(&d);
  if (!o->no_tokenizer) {
    if (!gqc_vocab_build(*gf, vocab, &d)) {
      fprintf(stderr, "gqc: error: %s\n(use --no-tokenizer to compile without one)\n", d.msg);
      return 1;
    }
    (*m)->vocab = vocab->data;
    (*m)->vocab_bytes = vocab->size;
  }
  if (!o->max_text_bytes) /* default: about 4 bytes of text per context token */
    o->max_text_bytes = ir_meta_int(*m, "n_ctx", 512) * 4 < 256 ? 256
                                                                : ir_meta_int(*m, "n_ctx", 512) * 4;
  if (!gqc_run_pipeline(*m, t, &o->pipe, &d))
    return fail(&d);
  if (o->prefix_file) {
    int rc = gqc_compile_prefix(o, t, *m, prefix_rows);
    if (rc)
      return rc;
  }
  if (o->stats)
    gqc_print_stats(stdout, *m);
  return 0;
}

static void source_desc(const gqc_options *o, const ir_module *m, char *buf, size_t n) {
  const char *slash = strrchr(o->input, '/');
  const ir_attr *arch = ir_meta_get(m, "arch");
  snprintf(buf, n, "%s (%s)", slash ? slash + 1 : o->input,
           arch && arch->kind == IR_ATTR_STR ? arch->s : "?");
}

/* The backends' options for dir/base (src receives the source description).
 * With --weights=file, first writes the weight blob to
 * weights_dir/base.weights, the file the firmware loads: its checksums go
 * into the header and the code. */
static bool codegen_options(const gqc_options *o, const ir_module *m, const char *dir,
                            const char *base, const char *weights_dir, char *src, size_t src_n,
                            gqc_codegen_options *co, gqc_diag *d) {
  source_desc(o, m, src, src_n);
  *co = (gqc_codegen_options){.name = o->name,
                              .out_dir = dir,
                              .base = base,
                              .source = src,
                              .max_text_bytes = o->max_text_bytes,
                              .static_reloc = o->static_reloc,
                              .weights_external = o->weights_external,
                              .arena_section = o->arena_section};
  if (!o->weights_external)
    return true;
  char path[4096];
  int len = snprintf(path, sizeof path, "%s/%s.weights", weights_dir, base);
  if (len < 0 || (size_t)len >= sizeof path)
    return gqc_error(d, "path too long: %s/%s.weights", weights_dir, base);
  return gqc_write_weight_file(m, path, &co->weight_crc32c, &co->weight_quick_crc32c, d);
}

/* The C backend's files in dir; with --weights=file the blob in weights_dir.
 * `fill`: no weight blob for the assembler, the compiled object is filled. */
static int emit_c_files(gqc_options *o, const gqc_target *t, const ir_module *m, const char *dir,
                        const char *base, const char *weights_dir, bool fill) {
  gqc_diag d = {0};
  char src[512];
  gqc_codegen_options co;
  bool ok = codegen_options(o, m, dir, base, weights_dir, src, sizeof src, &co, &d);
  co.weights_fill = fill;
  if (!ok || !gqc_emit_header(m, &co, &d) || !gqc_emit_c(m, t, &co, &d))
    return fail(&d);
  return 0;
}

/* The LLVM backend: `path` (object, assembly or LLVM IR) plus dir/base.h
 * (and dir/base.weights with --weights=file). */
static int emit_llvm_files(gqc_options *o, const gqc_target *t, const ir_module *m,
                           const char *dir, const char *base, gqc_llvm_output kind,
                           const char *path) {
  gqc_diag d = {0};
  char src[512];
  gqc_codegen_options co;
  if (!codegen_options(o, m, dir, base, dir, src, sizeof src, &co, &d) ||
      !gqc_emit_header(m, &co, &d) || !gqc_emit_llvm(m, t, &co, kind, path, &d))
    return fail(&d);
  return 0;
}

static int copy_file(const char *from, const char *to) {
  FILE *in = fopen(from, "rb");
  if (!in)
    return -1;
  FILE *out = fopen(to, "wb");
  if (!out) {
    fclose(in);
    return -1;
  }
  char buf[1 << 16];
  size_t n;
  int rc = 0;
  while ((n = fread(buf, 1, sizeof buf, in)) > 0)
    if (fwrite(buf, 1, n, out) != n)
      rc = -1;
  fclose(in);
  if (fclose(out) != 0)
    rc = -1;
  return rc;
}

/* -o x.o through the C backend: the generated C, compiled with the target's
 * C compiler in a temporary directory, into `path`, whose weight section
 * gqc then fills, and the header (and with --weights=file the blob) into
 * dir. */
static int emit_object_via_c(gqc_options *o, const gqc_target *t, const ir_module *m,
                             const char *dir, const char *base, const char *path) {
  char *tmp = gqc_make_temp_dir();
  if (!tmp) {
    fprintf(stderr, "gqc: error: cannot create a temporary directory: %s\n", strerror(errno));
    return 1;
  }
  int rc = emit_c_files(o, t, m, tmp, base, dir, true);
  char c_path[4096], hdr_from[4096], hdr_to[4096], inc[4096], asm_inc[4096], march[128] = "";
  if (!join_path(c_path, sizeof c_path, tmp, base, "c") ||
      !join_path(hdr_from, sizeof hdr_from, tmp, base, "h") ||
      !join_path(hdr_to, sizeof hdr_to, dir, base, "h"))
    rc = 1;
  snprintf(inc, sizeof inc, "-I%s", gqc_runtime_include_dir());
  snprintf(asm_inc, sizeof asm_inc, "-Wa,-I%s", tmp);
  if (t->arch == GQC_ARCH_AARCH64 && strcmp(t->cpu, "native"))
    snprintf(march, sizeof march, "-mcpu=%s", t->cpu);
  /* Extra flags for the C compiler, e.g. GQC_CFLAGS="-fsanitize=address" (the
   * sanitizer test build sets it), split at spaces. */
  char extra[1024];
  snprintf(extra, sizeof extra, "%s", getenv("GQC_CFLAGS") ? getenv("GQC_CFLAGS") : "");
  if (!rc) {
    char *argv[48];
    int n = 0;
    argv[n++] = (char *)gqc_c_compiler(t->triple, t->is_host);
    argv[n++] = "-O2";
    argv[n++] = "-std=c11";
    argv[n++] = "-c";
    if (*march)
      argv[n++] = march;
    if (o->static_reloc)
      argv[n++] = "-fno-pic";
    for (char *tok = strtok(extra, " "); tok && n < 40; tok = strtok(NULL, " "))
      argv[n++] = tok;
    argv[n++] = inc;
    argv[n++] = asm_inc;
    argv[n++] = c_path;
    argv[n++] = "-o";
    argv[n++] = (char *)path;
    argv[n] = NULL;
    int st = gqc_spawn(argv, getenv("GQC_VERBOSE") != NULL);
    gqc_diag d = {0};
    if (st != 0) {
      fprintf(stderr, "gqc: error: the C compiler failed (exit %d) on %s\n", st, c_path);
      rc = 1;
    } else if (!o->weights_external && !gqc_fill_object_weights(m, path, &d)) {
      rc = fail(&d);
    }
  }
  if (!rc && copy_file(hdr_from, hdr_to)) {
    fprintf(stderr, "gqc: error: cannot write %s: %s\n", hdr_to, strerror(errno));
    rc = 1;
  }
  if (o->keep_temps)
    fprintf(stderr, "gqc: intermediate files kept in %s\n", tmp);
  else
    gqc_remove_temp_dir(tmp);
  free(tmp);
  return rc;
}

/* The output kind: --emit, else the extension of -o. */
static const char *output_kind(const gqc_options *o) {
  if (o->emit)
    return o->emit;
  if (!o->output)
    return NULL;
  const char *ext = extension(o->output);
  return !strcmp(ext, "c")    ? "c"
         : !strcmp(ext, "ir") ? "ir"
         : !strcmp(ext, "s")  ? "asm"
         : !strcmp(ext, "ll") ? "llvm"
                              : "obj";
}

/* Checks --emit against --backend; sets *llvm when the LLVM backend is used. */
static bool check_backend(const gqc_options *o, const char *emit, bool *llvm) {
  static const char *const kinds[] = {"obj", "asm", "llvm", "c", "ir"};
  bool known = false;
  for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
    known |= !strcmp(emit, kinds[k]);
  if (!known) {
    fprintf(stderr, "gqc: error: --emit must be obj, asm, llvm, c or ir, got '%s'\n", emit);
    return false;
  }
  bool wants_llvm = !strcmp(emit, "asm") || !strcmp(emit, "llvm");
  if (!strcmp(emit, "c") || !strcmp(emit, "ir")) {
    if (o->backend && !strcmp(o->backend, "llvm")) {
      fprintf(stderr, "gqc: error: --emit %s is not an output of the LLVM backend\n", emit);
      return false;
    }
    *llvm = false;
    return true;
  }
  if (wants_llvm && o->backend && !strcmp(o->backend, "c")) {
    fprintf(stderr, "gqc: error: --emit %s needs the LLVM backend (--backend llvm)\n", emit);
    return false;
  }
  /* objects: LLVM unless asked for C, or unless gqc was built without LLVM */
  *llvm = wants_llvm || (o->backend ? !strcmp(o->backend, "llvm") : gqc_llvm_available());
  if (*llvm && !gqc_llvm_available()) {
    fprintf(stderr, "gqc: error: this gqc was built without LLVM: --emit %s is unavailable%s\n",
            emit, wants_llvm ? "" : " (use --backend c)");
    return false;
  }
  return true;
}

/* Every output of the compile, all or nothing (driver/outputs.h): the
 * writers get the staging directory in place of the output's directory. */
static int write_outputs(gqc_options *o, const gqc_target *t, const ir_module *m,
                         const char *emit, bool llvm) {
  char dir[4096], base[1024], path[8192];
  split_output(o->output, dir, sizeof dir, base, sizeof base);
  gqc_outputs out;
  gqc_diag d = {0};
  if (!gqc_outputs_begin_for(&out, o->output, path, sizeof path, &d))
    return fail(&d);
  const char *stage = gqc_outputs_dir(&out);
  int rc;
  if (!strcmp(emit, "c")) {
    rc = emit_c_files(o, t, m, stage, base, stage, false);
  } else if (!strcmp(emit, "ir")) {
    FILE *f = fopen(path, "w");
    if (!f) {
      fprintf(stderr, "gqc: error: cannot write %s: %s\n", o->output, strerror(errno));
      rc = 1;
    } else {
      ir_print_module(f, m);
      rc = fclose(f) ? 1 : 0;
    }
  } else if (llvm) {
    gqc_llvm_output kind = !strcmp(emit, "asm")    ? GQC_LLVM_ASSEMBLY
                           : !strcmp(emit, "llvm") ? GQC_LLVM_IR
                                                   : GQC_LLVM_OBJECT;
    rc = emit_llvm_files(o, t, m, stage, base, kind, path);
  } else {
    rc = emit_object_via_c(o, t, m, stage, base, path);
  }
  if (rc) {
    gqc_outputs_abort(&out);
    return rc;
  }
  return gqc_outputs_commit(&out, &d) ? 0 : fail(&d);
}

int gqc_cmd_compile(gqc_options *o) {
  if (!o->input) {
    fprintf(stderr, "gqc: error: no input file (usage: gqc MODEL.gguf -o OUT.o)\n");
    return 2;
  }
  if (!o->output && !o->stats) {
    fprintf(stderr,
            "gqc: error: no output: give -o FILE (.o, .s, .ll, .c or .ir), or --stats\n");
    return 2;
  }
  const char *emit = output_kind(o);
  bool llvm = false;
  if (emit && !check_backend(o, emit, &llvm))
    return 2;
  gqc_target t;
  gguf_file *gf = NULL;
  ir_module *m = NULL;
  gqc_vocab_blob vocab = {0};
  gqc_prefix_rows prefix = {0};
  int rc = gqc_build_module(o, &t, &gf, &m, &vocab, &prefix);
  if (!rc && o->output)
    rc = write_outputs(o, &t, m, emit, llvm);
  ir_module_free(m);
  gqc_prefix_rows_free(&prefix);
  gqc_vocab_blob_free(&vocab);
  gguf_close(gf);
  return rc;
}
