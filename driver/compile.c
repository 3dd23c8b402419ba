/* compile.c — `gqc MODEL.gguf -o OUT`: the compiler proper.
 *
 *   GGUF file ─► frontend (description + GGUF → IR) ─► vocabulary blob
 *            ─► pipeline (driver/pipeline.c) ─► backend (by -o / --emit)
 *
 * Outputs (by --emit / -S / -c, else by the extension of -o; an extension
 * that names another kind than --emit is an error, an unknown one too unless
 * --emit says what to write; no extension: an object):
 *   obj   x.o   an object; the LLVM backend writes it directly (default), the
 *               C backend (--backend c) compiles its C with the target's cc
 *   asm   x.s   target assembly (LLVM backend)
 *   llvm  x.ll  LLVM IR (LLVM backend)
 *   c     x.c   C source + x.weights, x.vocab beside it
 *   ir    x.ir  the final IR as text
 *   dot   x.dot the final IR's graph (Graphviz DOT, ir/ir_dot.c)
 * The model header x.h is written beside every output but the IR and DOT. With
 * --weights=file the weights are not in the output but in x.weights beside
 * it (written here, for every output but the IR), which the firmware loads
 * and hands to <name>_init_weights; --arena-section puts the arena in a
 * named section (codegen/arena_section.c).
 *
 * Toolchain habits: `-o -` writes the object (or IR) to stdout and the header
 * only where --header says; --header FILE puts it there in any case; -MD
 * [-MF FILE] writes a make depfile naming the GGUF and the description; an
 * input `-` is read from stdin. The target is checked before any file is
 * written. --ctx beyond the model's trained context warns with the arena
 * size it costs.
 */
#define _XOPEN_SOURCE 700
#include "driver/driver.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codegen/codegen.h"
#include "codegen/emit_llvm.h"
#include "driver/outputs.h"
#include "frontend/frontend.h"
#include "frontend/gguf.h"
#include "frontend/vocab_build.h"
#include "support/escape.h"
#include "support/input_file.h"

static int fail(const gqc_diag *d) {
  return gqc_print_diag(d);
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
    gqc_print_error("path too long: %s/%s.%s", dir, base, ext);
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

/* The model's trained context (<arch>.context_length), 0 if unknown. */
static int64_t trained_context(const gguf_file *gf) {
  gguf_str arch;
  gguf_error ge = {0};
  char key[160];
  int64_t n = 0;
  if (!gguf_get_str(gf, "general.architecture", &arch, &ge))
    return 0;
  snprintf(key, sizeof key, "%.*s.context_length", (int)(arch.len < 100 ? arch.len : 100),
           arch.ptr);
  return gguf_get_i64(gf, key, &n, &ge) ? n : 0;
}

/* --ctx beyond the trained context: a warning with what it costs (as
 * llama.cpp warns). The tokenizer scratch of the text limit must fit the
 * backends' 4 GiB; the message names the option the user gave. */
static bool check_context(const gqc_options *o, const gguf_file *gf, const ir_module *m) {
  const int64_t trained = trained_context(gf), n_ctx = ir_meta_int(m, "n_ctx", 0);
  char input[1024]; /* a file name: escaped */
  if (o->n_ctx && trained > 0 && n_ctx > trained)
    fprintf(stderr,
            "gqc: warning: %s: %s %" PRId64 " is beyond the %" PRId64
            " positions the model was trained for; the arena is %.1f MiB (KV cache %.1f MiB)\n"
            "note: positions past %" PRId64 " may give poor output\n",
            gqc_escape_str(input, sizeof input, o->input), o->ctx_option ? o->ctx_option : "--ctx",
            n_ctx, trained, m->arena_bytes / 1048576.0, ir_meta_int(m, "kv_bytes", 0) / 1048576.0,
            trained);
  gqc_codegen_options co = {.max_text_bytes = o->max_text_bytes};
  const uint64_t scratch = o->no_tokenizer ? 0 : gqc_tokenize_scratch_bytes(m, &co);
  if (scratch <= UINT32_MAX)
    return true;
  if (o->max_text_given) {
    gqc_print_error("--max-text %" PRId64 ": the tokenizer scratch would be %" PRIu64
                    " bytes, over 4 GiB",
                    o->max_text_bytes, scratch);
    gqc_print_note("lower --max-text");
  } else {
    const char *opt = o->ctx_option ? o->ctx_option : "--ctx";
    gqc_print_error("%s %" PRId64 ": the tokenizer scratch for texts of 4 x %" PRId64
                    " bytes would be %" PRIu64 " bytes, over 4 GiB",
                    opt, n_ctx, n_ctx, scratch);
    gqc_print_note("lower %s, or limit the text with --max-text N", opt);
  }
  return false;
}

/* Loads, lowers and optimises o->input; with --prefix, runs the model over
 * the prefix at compile time and attaches its KV rows. On success *gf and
 * *m are set. */
int gqc_build_module(gqc_options *o, gqc_target *t, gguf_file **gf, ir_module **m,
                     gqc_vocab_blob *vocab, void **grammar, gqc_prefix_rows *prefix_rows) {
  gqc_diag d = {0};
  if (!is_c_identifier(o->name)) {
    gqc_print_error("--name '%s' is not a C identifier", o->name);
    return 1;
  }
  if (!gqc_pipeline_check_options(&o->pipe, &d) ||
      !gqc_target_init(t, o->triple, o->cpu, o->features, &d))
    return fail(&d);
  const bool ir_input = !strcmp(extension(o->input), "ir");
  if (ir_input && !o->weights_gguf) {
    gqc_print_error("%s: IR text has no weights", o->input);
    gqc_print_note("name the GGUF it was compiled from with --gguf MODEL.gguf");
    return 2;
  }
  if (ir_input && o->prefix_file) {
    fprintf(stderr,
            "gqc: error: %s: --prefix needs the GGUF model as input, not IR\n"
            "note: compile the GGUF with --prefix\n",
            o->input);
    return 2;
  }
  gguf_error ge = {0};
  *gf = gguf_open(ir_input ? o->weights_gguf : o->input, &ge);
  if (!*gf) {
    gqc_print_error("%s", ge.msg);
    return 1;
  }
  gqc_frontend_options fo = {.arch_file = o->arch_file,
                             .module_name = o->name,
                             .n_ctx = o->n_ctx,
                             .kv_type = o->kv_type,
                             .batch = o->batch >= 0 ? o->batch : gqc_target_default_batch(t)};
  *m = ir_input ? gqc_load_ir_module(o->input, *gf, &d) : gqc_frontend_load(*gf, &fo, &d);
  if (!*m)
    return fail(&d);
  if (!o->no_tokenizer) {
    if (!gqc_vocab_build(*gf, vocab, &d)) {
      gqc_print_error("%s", d.msg);
      gqc_print_note("--no-tokenizer compiles without one");
      return 1;
    }
    (*m)->vocab = vocab->data;
    (*m)->vocab_bytes = vocab->size;
  }
  if (!gqc_grammar_input(o, *m, grammar, &d))
    return fail(&d);
  if (!o->max_text_bytes) /* default: about 4 bytes of text per context token */
    o->max_text_bytes =
        ir_meta_int(*m, "n_ctx", 512) * 4 < 256 ? 256 : ir_meta_int(*m, "n_ctx", 512) * 4;
  /* IR that is planned already (gqc -o x.ir, gqc opt ...,plan-memory) goes
   * to the backends as it is; any other runs the whole pipeline */
  const bool planned = ir_input && (*m)->arena_bytes >= 0 && (*m)->weight_bytes >= 0;
  if (planned ? !ir_verify(*m, "input", &d) : !gqc_run_pipeline(*m, t, &o->pipe, &d))
    return fail(&d);
  if (!check_context(o, *gf, *m))
    return 1;
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
static bool codegen_options(const gqc_options *o, const gqc_target *t, const ir_module *m,
                            const char *dir, const char *base, const char *weights_dir,
                            const char *blob_dir, char *src, size_t src_n, gqc_codegen_options *co,
                            gqc_diag *d) {
  source_desc(o, m, src, src_n);
  *co = (gqc_codegen_options){.name = o->name,
                              .target = t,
                              .blob_dir = blob_dir,
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
                        const char *base, const char *weights_dir, const char *blob_dir,
                        bool fill) {
  gqc_diag d = {0};
  char src[512];
  gqc_codegen_options co;
  bool ok = codegen_options(o, t, m, dir, base, weights_dir, blob_dir, src, sizeof src, &co, &d);
  co.weights_fill = fill;
  if (!ok || !gqc_emit_header(m, &co, &d) || !gqc_emit_c(m, t, &co, &d))
    return fail(&d);
  return 0;
}

/* The LLVM backend: `path` (object, assembly or LLVM IR) plus dir/base.h
 * (and dir/base.weights with --weights=file). */
static int emit_llvm_files(gqc_options *o, const gqc_target *t, const ir_module *m, const char *dir,
                           const char *base, const char *blob_dir, gqc_llvm_output kind,
                           const char *path) {
  gqc_diag d = {0};
  char src[512];
  gqc_codegen_options co;
  if (!codegen_options(o, t, m, dir, base, dir, blob_dir, src, sizeof src, &co, &d) ||
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
    gqc_print_error("cannot create a temporary directory: %s", strerror(errno));
    return 1;
  }
  int rc = emit_c_files(o, t, m, tmp, base, dir, NULL, true);
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
      gqc_print_error("the C compiler failed (exit %d) on %s", st, c_path);
      rc = 1;
    } else if (!o->weights_external && !gqc_fill_object_weights(m, path, &d)) {
      rc = fail(&d);
    }
  }
  if (!rc && copy_file(hdr_from, hdr_to)) {
    gqc_print_error("%s: cannot write: %s", hdr_to, strerror(errno));
    rc = 1;
  }
  if (o->keep_temps)
    fprintf(stderr, "gqc: intermediate files kept in %s\n", tmp);
  else
    gqc_remove_temp_dir(tmp);
  free(tmp);
  return rc;
}

/* The output kinds and their extensions. */
static const struct output_kind_row {
  const char *kind, *ext, *what;
} output_kinds[] = {
    {"obj", "o", "an object"}, {"asm", "s", "assembly"}, {"llvm", "ll", "LLVM IR"},
    {"c", "c", "C source"},    {"ir", "ir", "gqc IR"},   {"dot", "dot", "a graph"},
};

static const struct output_kind_row *kind_row(const char *kind) {
  for (size_t k = 0; k < sizeof output_kinds / sizeof output_kinds[0]; k++)
    if (!strcmp(output_kinds[k].kind, kind))
      return &output_kinds[k];
  return NULL;
}

/* The output kind: --emit (or -S, -c), else the extension of -o (none, or
 * -o -: an object). NULL with a message when the extension contradicts
 * --emit or names no kind gqc writes. */
static const char *output_kind(const gqc_options *o) {
  const char *ext = o->output && strcmp(o->output, "-") ? extension(o->output) : "";
  const struct output_kind_row *by_ext = NULL;
  for (size_t k = 0; *ext && k < sizeof output_kinds / sizeof output_kinds[0]; k++)
    if (!strcmp(output_kinds[k].ext, ext))
      by_ext = &output_kinds[k];
  if (o->emit) {
    const struct output_kind_row *e = kind_row(o->emit);
    if (e && by_ext && e != by_ext) {
      const bool spelled = !strcmp(o->emit_option, "--emit");
      gqc_print_error("%s: %s%s%s writes %s, but the extension .%s says %s", o->output,
                      o->emit_option, spelled ? " " : "", spelled ? o->emit : "", e->what, ext,
                      by_ext->what);
      gqc_print_note("name the output .%s, or drop %s", e->ext, o->emit_option);
      return NULL;
    }
    return o->emit;
  }
  if (!o->output || !*ext)
    return "obj";
  if (!by_ext) {
    gqc_print_error("%s: gqc writes no output with the extension .%s", o->output, ext);
    gqc_print_note("use .o, .s, .ll, .c, .ir or .dot, or say the kind with --emit");
    return NULL;
  }
  return by_ext->kind;
}

/* Checks --emit against --backend; sets *llvm when the LLVM backend is used. */
static bool check_backend(const gqc_options *o, const char *emit, bool *llvm) {
  if (!kind_row(emit)) {
    gqc_print_error("--emit must be obj, asm, llvm, c, ir or dot, got '%s'", emit);
    return false;
  }
  bool wants_llvm = !strcmp(emit, "asm") || !strcmp(emit, "llvm");
  if (!strcmp(emit, "c") || !strcmp(emit, "ir") || !strcmp(emit, "dot")) {
    if (o->backend && !strcmp(o->backend, "llvm")) {
      gqc_print_error("--emit %s is not an output of the LLVM backend", emit);
      return false;
    }
    *llvm = false;
    return true;
  }
  if (wants_llvm && o->backend && !strcmp(o->backend, "c")) {
    gqc_print_error("--emit %s needs the LLVM backend (--backend llvm)", emit);
    return false;
  }
  /* objects: LLVM unless asked for C, or unless gqc was built without LLVM */
  *llvm = wants_llvm || (o->backend ? !strcmp(o->backend, "llvm") : gqc_llvm_available());
  if (*llvm && !gqc_llvm_available()) {
    gqc_print_error("this gqc was built without LLVM: --emit %s is unavailable%s", emit,
                    wants_llvm ? "" : " (use --backend c)");
    return false;
  }
  return true;
}

enum { MAX_OUTPUTS = 8 };

/* The depfile -MD writes: -MF FILE, or -o with .d for its extension. */
static const char *depfile_name(const gqc_options *o, char *buf, size_t n) {
  if (o->depfile)
    return o->depfile;
  const char *ext = extension(o->output);
  int len = (int)(strlen(o->output) - (*ext ? strlen(ext) + 1 : 0));
  snprintf(buf, n, "%.*s.d", len, o->output);
  return buf;
}

/* The files the compile will write for `emit` (beside -o, --header, the
 * depfile, --graph, --memory-map), in paths[]; returns how many, -1 when a
 * name is too long (reported). */
static int planned_outputs(const gqc_options *o, const char *emit, char paths[][8192]) {
  int n = 0;
  const bool beside = o->output && strcmp(o->output, "-"), c = emit && !strcmp(emit, "c");
  const bool header = emit && strcmp(emit, "ir") && strcmp(emit, "dot");
  if (beside) {
    const char *slash = strrchr(o->output, '/');
    int dir_len = slash ? (int)(slash - o->output) + 1 : 0; /* with its '/' */
    const char *b = o->output + dir_len, *dot = strrchr(b, '.');
    int base_len = dot ? (int)(dot - b) : (int)strlen(b);
    const char *exts[4];
    int n_ext = 0;
    if (c) {
      exts[n_ext++] = "c";
      exts[n_ext++] = "vocab";
    }
    if (header && !o->header)
      exts[n_ext++] = "h";
    if (header && (c || o->weights_external))
      exts[n_ext++] = "weights";
    for (int k = 0; k < n_ext; k++) {
      int len = snprintf(paths[n], 8192, "%.*s%.*s.%s", dir_len, o->output, base_len, b, exts[k]);
      if (len < 0 || len >= 8192) {
        gqc_print_error("%s: path too long", o->output);
        return -1;
      }
      n++;
    }
    if (!c) /* the output itself */
      snprintf(paths[n++], 8192, "%s", o->output);
  }
  char dep[8192];
  const char *more[] = {header ? o->header : NULL,
                        o->write_depfile ? depfile_name(o, dep, sizeof dep) : NULL, o->pipe.graph,
                        o->pipe.memory_map};
  for (size_t k = 0; k < sizeof more / sizeof more[0]; k++)
    if (more[k] && snprintf(paths[n++], 8192, "%s", more[k]) >= 8192) {
      gqc_print_error("%s: path too long", more[k]);
      return -1;
    }
  return n;
}

/* Refuses, before anything is read or written, a compile whose outputs
 * would overwrite one of its inputs or each other. */
static bool check_outputs(const gqc_options *o, const char *emit) {
  char paths[MAX_OUTPUTS][8192];
  const char *ptrs[MAX_OUTPUTS];
  const char *inputs[] = {o->input, o->arch_file, o->weights_gguf, o->grammar_file, o->tools_file};
  for (size_t k = 0; k < sizeof inputs / sizeof inputs[0]; k++)
    gqc_input_note(inputs[k]);
  int n = planned_outputs(o, emit, paths);
  if (n < 0)
    return false;
  for (int k = 0; k < n; k++)
    ptrs[k] = paths[k];
  gqc_diag d = {0};
  if (!n || gqc_outputs_check_planned(ptrs, n, &d))
    return true;
  fail(&d);
  return false;
}

/* Moves the staged header stage/base.h to o->header, staged in *hout
 * (committed with the other outputs). */
static bool stage_header_elsewhere(const gqc_options *o, const char *stage, const char *base,
                                   gqc_outputs *hout, gqc_diag *d) {
  char from[8192], to[8192];
  if (snprintf(from, sizeof from, "%s/%s.h", stage, base) >= (int)sizeof from)
    return gqc_error(d, "%s/%s.h: path too long", stage, base);
  if (!gqc_outputs_begin_for(hout, o->header, to, sizeof to, d))
    return false;
  if (rename(from, to) != 0 && (copy_file(from, to) != 0 || unlink(from) != 0))
    return gqc_error(d, "%s: cannot write: %s", o->header, strerror(errno));
  return true;
}

/* A make rule: the outputs depend on the GGUF and the description. */
static void depfile_path(FILE *f, const char *path) {
  for (const char *p = path; *p; p++) {
    if (*p == ' ' || *p == '#' || *p == '\\')
      fputc('\\', f);
    if (*p == '$')
      fputc('$', f);
    fputc(*p, f);
  }
}

static int write_depfile(const gqc_options *o) {
  char def[8192];
  const char *path = depfile_name(o, def, sizeof def);
  gqc_outputs out;
  gqc_diag d = {0};
  char staged[8192];
  if (!gqc_outputs_begin_for(&out, path, staged, sizeof staged, &d))
    return fail(&d);
  FILE *f = fopen(staged, "w");
  if (!f) {
    gqc_outputs_abort(&out);
    gqc_print_error("%s: cannot write: %s", path, strerror(errno));
    return 1;
  }
  depfile_path(f, o->output);
  fputs(":", f);
  const char *deps[] = {o->input_is_stdin ? NULL : o->input, o->weights_gguf, o->arch_file};
  for (size_t k = 0; k < sizeof deps / sizeof deps[0]; k++)
    if (deps[k]) {
      fputc(' ', f);
      depfile_path(f, deps[k]);
    }
  fputc('\n', f);
  if (fclose(f) != 0) {
    gqc_outputs_abort(&out);
    gqc_print_error("%s: write failed", path);
    return 1;
  }
  return gqc_outputs_commit(&out, &d) ? 0 : fail(&d);
}

/* The absolute directory of the outputs, for the .incbin lines of assembly
 * and C outputs (they then compile from any directory). */
static bool blob_directory(const char *dir, char *buf, gqc_diag *d) {
  if (!realpath(dir, buf))
    return gqc_error(d, "%s: %s", dir, strerror(errno));
  if (strpbrk(buf, "\"\\\n"))
    return gqc_error(d,
                     "%s: the assembler cannot name a directory with '\"', '\\' or a "
                     "newline in .incbin",
                     buf);
  return true;
}

/* Every output of the compile, all or nothing (driver/outputs.h): the
 * writers get the staging directory in place of the output's directory. */
static int write_outputs(gqc_options *o, const gqc_target *t, const ir_module *m, const char *emit,
                         bool llvm) {
  char dir[4096], base[1024], path[8192], blob_dir[PATH_MAX];
  split_output(o->output, dir, sizeof dir, base, sizeof base);
  gqc_outputs out, hout = {.stage = ""};
  gqc_diag d = {0};
  if (!blob_directory(dir, blob_dir, &d) ||
      !gqc_outputs_begin_for(&out, o->output, path, sizeof path, &d))
    return fail(&d);
  const char *stage = gqc_outputs_dir(&out);
  int rc;
  if (!strcmp(emit, "c")) {
    rc = emit_c_files(o, t, m, stage, base, stage, blob_dir, false);
  } else if (!strcmp(emit, "ir") || !strcmp(emit, "dot")) {
    FILE *f = fopen(path, "w");
    if (!f) {
      gqc_print_error("%s: cannot write: %s", o->output, strerror(errno));
      rc = 1;
    } else {
      bool ok = !strcmp(emit, "ir") ? (ir_print_module(f, m), true)
                                    : ir_print_dot(f, m, "after plan-memory");
      rc = fclose(f) || !ok ? 1 : 0;
    }
  } else if (llvm) {
    gqc_llvm_output kind = !strcmp(emit, "asm")    ? GQC_LLVM_ASSEMBLY
                           : !strcmp(emit, "llvm") ? GQC_LLVM_IR
                                                   : GQC_LLVM_OBJECT;
    rc = emit_llvm_files(o, t, m, stage, base, blob_dir, kind, path);
  } else {
    rc = emit_object_via_c(o, t, m, stage, base, path);
  }
  if (!rc && o->header && strcmp(emit, "ir") && !stage_header_elsewhere(o, stage, base, &hout, &d))
    rc = fail(&d);
  if (rc) {
    gqc_outputs_abort(&out);
    gqc_outputs_abort(&hout);
    return rc;
  }
  if (!gqc_outputs_commit(&out, &d) || (hout.stage[0] && !gqc_outputs_commit(&hout, &d))) {
    gqc_outputs_abort(&hout);
    return fail(&d);
  }
  return o->write_depfile ? write_depfile(o) : 0;
}

/* -o -: the outputs in a temporary directory, the object (or IR) copied to
 * stdout, the header to --header FILE if given. */
static int write_to_stdout(gqc_options *o, const gqc_target *t, const ir_module *m,
                           const char *emit, bool llvm) {
  char *tmp = gqc_make_temp_dir();
  if (!tmp) {
    gqc_print_error("cannot create a temporary directory: %s", strerror(errno));
    return 1;
  }
  const struct output_kind_row *k = kind_row(emit);
  char out_path[4200];
  snprintf(out_path, sizeof out_path, "%s/%s.%s", tmp, o->name, k ? k->ext : "out");
  const char *user_output = o->output;
  o->output = out_path;
  bool depfile = o->write_depfile;
  o->write_depfile = false;
  int rc = write_outputs(o, t, m, emit, llvm);
  o->output = user_output;
  o->write_depfile = depfile;
  FILE *f = rc ? NULL : fopen(out_path, "rb");
  if (!rc && !f) {
    gqc_print_error("%s: %s", out_path, strerror(errno));
    rc = 1;
  }
  if (f) {
    char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
      if (fwrite(buf, 1, n, stdout) != n)
        rc = 1;
    fclose(f);
    if (fflush(stdout) != 0 || rc) {
      gqc_print_error("-o -: cannot write to stdout: %s", strerror(errno));
      rc = 1;
    }
  }
  gqc_remove_temp_dir(tmp);
  free(tmp);
  return rc;
}

/* Input `-`: stdin copied to a file in a temporary directory (the weights
 * are read from the file by offset). *tmp receives the directory. */
static bool input_from_stdin(gqc_options *o, char **tmp, char *path, size_t n) {
  *tmp = gqc_make_temp_dir();
  if (!*tmp) {
    gqc_print_error("cannot create a temporary directory: %s", strerror(errno));
    return false;
  }
  snprintf(path, n, "%s/stdin.gguf", *tmp);
  FILE *f = fopen(path, "wb");
  char buf[1 << 16];
  size_t r;
  bool ok = f != NULL;
  while (ok && (r = fread(buf, 1, sizeof buf, stdin)) > 0)
    ok = fwrite(buf, 1, r, f) == r;
  ok = ok && !ferror(stdin);
  if (f && fclose(f) != 0)
    ok = false;
  if (!ok)
    gqc_print_error("-: cannot copy stdin to %s: %s", path, strerror(errno));
  o->input = path;
  o->input_is_stdin = true;
  return ok;
}

int gqc_cmd_compile(gqc_options *o) {
  gqc_inputs_forget(); /* a new command: its own inputs */
  if (!o->input) {
    gqc_print_error("no input file");
    gqc_print_note("usage: gqc MODEL.gguf -o OUT.o");
    return 2;
  }
  if (!o->output && !o->stats && !o->pipe.graph && !o->pipe.graph_after && !o->pipe.memory_map) {
    gqc_print_error("no output");
    gqc_print_note("give -o FILE (.o, .s, .ll, .c, .ir or .dot), -o - for stdout, --stats,");
    gqc_print_note("--graph FILE or --memory-map FILE");
    return 2;
  }
  const char *emit = o->output ? output_kind(o) : NULL;
  bool llvm = false;
  if (o->output && !emit)
    return 2;
  if (emit && !check_backend(o, emit, &llvm))
    return 2;
  const bool to_stdout = o->output && !strcmp(o->output, "-");
  if (to_stdout && strcmp(emit, "obj") && strcmp(emit, "ir")) {
    gqc_print_error("-o -: %s output needs files beside it (its blobs)", emit);
    gqc_print_note("-o - writes objects and IR; write %s to a file", emit);
    return 2;
  }
  if (o->write_depfile && (!o->output || to_stdout)) {
    gqc_print_error("-MD: no output file to name as the depfile's target");
    gqc_print_note("give -o FILE");
    return 2;
  }
  if (!check_outputs(o, emit))
    return 1;
  gqc_target t;
  gqc_diag d = {0};
  if (!gqc_target_init(&t, o->triple, o->cpu, o->features, &d))
    return fail(&d), 2;
  char *stdin_dir = NULL, stdin_path[4200];
  if (!strcmp(o->input, "-") && !input_from_stdin(o, &stdin_dir, stdin_path, sizeof stdin_path)) {
    if (stdin_dir)
      gqc_remove_temp_dir(stdin_dir);
    free(stdin_dir);
    return 1;
  }
  gguf_file *gf = NULL;
  ir_module *m = NULL;
  gqc_vocab_blob vocab = {0};
  void *grammar = NULL;
  gqc_prefix_rows prefix = {0};
  int rc = gqc_build_module(o, &t, &gf, &m, &vocab, &grammar, &prefix);
  if (!rc && to_stdout)
    rc = write_to_stdout(o, &t, m, emit, llvm);
  else if (!rc && o->output)
    rc = write_outputs(o, &t, m, emit, llvm);
  ir_module_free(m);
  gqc_prefix_rows_free(&prefix);
  gqc_vocab_blob_free(&vocab);
  free(grammar);
  gguf_close(gf);
  if (stdin_dir) {
    gqc_remove_temp_dir(stdin_dir);
    free(stdin_dir);
  }
  return rc;
}
