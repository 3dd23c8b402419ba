/* emit_c.c — the C backend.
 *
 * Writes <base>.c: the planned IR as functions of runtime calls with
 * constant offsets — step() for @decode and, when the module has @prefill,
 * prefill_step(tokens, pos, n), whose counts and row pointers depend on n
 * and whose per-row calls are loops over the rows — plus the API around
 * them (<name>_prefill runs prefill_step once per BATCH tokens). The weights and the vocabulary
 * are not C initialisers (a 300 MB array literal takes a C compiler minutes);
 * they are binary files pulled in by the assembler's .incbin, so compiling
 * the output of any model takes about as long as compiling 1000 lines of C.
 * Compile <base>.c from its own directory, or pass -Wa,-I<dir>, so the
 * assembler finds the blobs.
 *
 * Symbols: only the API (<name>_*) is global. The blobs are local assembler
 * labels and the arena a static array, so several models link into one
 * program without clashes.
 *
 * --weights=file: no weight blob at all; a static pointer `weights`, set by
 * <name>_init_weights once gqcrt_weights_check accepts the blob, is read
 * once per step into `wb`, and W(off) is wb + off. --arena-section: the
 * arena and tokenizer scratch are <name>__arena and <name>__tok_scratch,
 * defined by gqc_arena_section_asm's assembler text (arena_section.c).
 */
#include "codegen/calls.h"
#include "codegen/codegen.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void print_f32(FILE *f, float v) {
  if (isnan(v))
    fputs("(0.0f / 0.0f)", f);
  else if (isinf(v))
    fputs(v > 0 ? "(1.0f / 0.0f)" : "(-1.0f / 0.0f)", f);
  else
    fprintf(f, "%af", (double)v);
}

/* An argument as C; `per_row`: inside the loop over the live rows (r). */
static void print_arg(FILE *f, const gqc_arg *a, bool per_row) {
  switch (a->kind) {
  case GQC_ARG_ARENA:
    if (per_row && a->row_bytes)
      fprintf(f, "A(%" PRId64 " + (size_t)r * %" PRId64 "u)", a->offset, a->row_bytes);
    else
      fprintf(f, "A(%" PRId64 ")", a->offset);
    break;
  case GQC_ARG_WEIGHT:
    fprintf(f, "W(%" PRId64 ")", a->offset);
    break;
  case GQC_ARG_WEIGHT_ROW:
    fprintf(f, "(const unsigned char *)W(%" PRId64 ") + (size_t)token * %" PRId64 "u", a->offset,
            a->row_bytes);
    break;
  case GQC_ARG_NULL:
    fputs("NULL", f);
    break;
  case GQC_ARG_I32:
    fprintf(f, "%" PRId64, a->i);
    break;
  case GQC_ARG_I64:
    fprintf(f, "INT64_C(%" PRId64 ")", a->i);
    break;
  case GQC_ARG_F32:
    print_f32(f, a->f);
    break;
  case GQC_ARG_POS:
    fputs("pos", f);
    break;
  case GQC_ARG_TOKEN:
    fputs("token", f);
    break;
  case GQC_ARG_TOKENS:
    fputs("tokens", f);
    break;
  case GQC_ARG_ROWS:
    if (a->i == 1)
      fputs("n", f);
    else
      fprintf(f, "n * %" PRId64, a->i);
    break;
  case GQC_ARG_ARENA_LAST_ROW:
    fprintf(f, "A(%" PRId64 " + (size_t)(n - 1) * %" PRId64 "u)", a->offset, a->row_bytes);
    break;
  case GQC_ARG_ATTN_DESC:
    fprintf(f, "&attn[%" PRId64 "]", a->i);
    break;
  case GQC_ARG_EXECUTOR:
    fputs("executor", f);
    break;
  case GQC_ARG_FN:
    fputs(a->sym, f);
    break;
  }
}

static void print_comment(FILE *f, const ir_inst *i) {
  fprintf(f, "  /* ");
  if (i->name)
    fprintf(f, "%%%s = ", i->name);
  fprintf(f, "%s */\n", ir_op_get(i->op)->name);
}

/* The assembler text of gqc_arena_section_asm as a C string literal. */
static void print_asm_string(FILE *f, const char *text) {
  fputs("__asm__(", f);
  for (const char *line = text; *line;) {
    const char *nl = strchr(line, '\n');
    size_t len = nl ? (size_t)(nl - line) : strlen(line);
    fputs(line == text ? "\"" : "\n        \"", f);
    for (size_t k = 0; k < len; k++) {
      if (line[k] == '"' || line[k] == '\\')
        fputc('\\', f);
      fputc(line[k], f);
    }
    fputs("\\n\"", f);
    line += len + (nl ? 1 : 0);
  }
  fputs(");\n", f);
}

/* A step function: `head` opens it, then one statement per call (a loop
 * over the live rows for per_row calls). */
static void emit_step(FILE *f, const gqc_call_list *l, const char *head, bool ext) {
  fputs(head, f);
  if (ext)
    fputs("  const unsigned char *const wb = weights;\n  (void)wb;\n", f);
  for (int k = 0; k < l->n_calls; k++) {
    const gqc_call *c = &l->calls[k];
    print_comment(f, c->inst);
    fprintf(f, c->per_row ? "  for (int32_t r = 0; r < n; r++)\n    %s(" : "  %s(", c->fn);
    for (int a = 0; a < c->n_args; a++) {
      if (a)
        fputs(", ", f);
      print_arg(f, &c->args[a], c->per_row);
    }
    fputs(");\n", f);
  }
  fputs("}\n\n", f);
}

/* <name>_prefill: decode's checks for every token, all before anything
 * runs — the positions (and n) first, since they bound how many token ids
 * may be read, then the ids — and then the batch in steps of at most BATCH
 * tokens; the logits are the last step's last row. */
static void emit_prefill_api(FILE *f, const char *n, const char *P, int64_t n_tokens,
                             const gqc_program *calls) {
  fprintf(f,
          "const float *%s_prefill(const int32_t *tokens, int32_t n, int32_t pos) {\n"
          "  if (!ready)\n    return fail(GQCRT_ERR_NOT_INITIALISED);\n"
          "  if (!tokens)\n    return fail(GQCRT_ERR_NULL);\n"
          "  /* the positions first: they bound how many tokens may be read */\n"
          "  if (n < 1 || pos < 0 || pos >= %s_N_CTX || pos > n_past || n > %s_N_CTX - pos)\n"
          "    return fail(GQCRT_ERR_BAD_POS);\n",
          n, P, P);
  if (calls->ring_rows)
    fprintf(f,
            "  if (n_past - %" PRId64 " > (pos - %" PRId64 " + 1 > 0 ? pos - %" PRId64
            " + 1 : 0))\n"
            "    return fail(GQCRT_ERR_BAD_POS);\n",
            calls->ring_rows, calls->ring_window, calls->ring_window);
  fprintf(f,
          "  for (int32_t i = 0; i < n; i++)\n"
          "    if (tokens[i] < 0 || tokens[i] >= %" PRId64 ")\n"
          "      return fail(GQCRT_ERR_BAD_TOKEN);\n"
          "  int32_t done = 0, rows = 0;\n"
          "  do {\n"
          "    rows = n - done < %s_BATCH ? n - done : %s_BATCH;\n"
          "    prefill_step(tokens + done, pos + done, rows);\n"
          "    done += rows;\n"
          "  } while (done < n);\n"
          "  n_past = pos + n;\n",
          n_tokens, P, P);
  /* the result may be a row of the last step's batch: n there is `rows` */
  if (calls->prefill.result.kind == GQC_ARG_ARENA_LAST_ROW)
    fputs("  const int32_t n_rows_last = rows;\n", f);
  else
    fputs("  (void)rows;\n", f);
  fputs("  return (const float *)", f);
  if (calls->prefill.result.kind == GQC_ARG_ARENA_LAST_ROW)
    fprintf(f, "A(%" PRId64 " + (size_t)(n_rows_last - 1) * %" PRId64 "u)",
            calls->prefill.result.offset, calls->prefill.result.row_bytes);
  else
    print_arg(f, &calls->prefill.result, false);
  fputs(";\n}\n\n", f);
}

bool gqc_emit_c(const ir_module *m, const gqc_target *t, const gqc_codegen_options *o,
                gqc_diag *d) {
  (void)t;
  char path[4096];
  if (o->arena_section && !gqc_valid_section_name(o->arena_section))
    return gqc_error(d, "codegen: '%s' is not a valid section name", o->arena_section);
  snprintf(path, sizeof path, "%s/%s.weights", o->out_dir, o->base);
  if (!o->weights_external && !gqc_write_weight_blob(m, path, d))
    return false;
  snprintf(path, sizeof path, "%s/%s.vocab", o->out_dir, o->base);
  if (!gqc_write_vocab_blob(m, path, d))
    return false;

  gqc_program calls;
  if (!gqc_lower_program(m, &calls, d))
    return false;
  char *arena_asm = NULL;
  if (o->arena_section && !(arena_asm = gqc_arena_section_asm(m, o))) {
    gqc_program_free(&calls);
    return gqc_error(d, "codegen: out of memory");
  }

  snprintf(path, sizeof path, "%s/%s.c", o->out_dir, o->base);
  FILE *f = fopen(path, "w");
  if (!f) {
    gqc_program_free(&calls);
    free(arena_asm);
    return gqc_error(d, "%s: cannot write: %s", path, strerror(errno));
  }
  const char *n = o->name;
  char P[128];
  gqc_macro_prefix(n, P, sizeof P);
  int64_t n_vocab = ir_meta_int(m, "n_vocab", 0);
  int64_t n_tokens = calls.embed_rows && calls.embed_rows < n_vocab ? calls.embed_rows : n_vocab;
  uint64_t scratch = gqc_tokenize_scratch_bytes(m, o);
  bool ext = o->weights_external;

  char where[512];
  if (ext)
    snprintf(where, sizeof where, "\n * %s.weights, which %s_init_weights receives at run time",
             o->base, n);
  else
    snprintf(where, sizeof where,
             " section\n * .gqc.weights, pulled in from %s.weights by the assembler", o->base);
  fprintf(f,
          "/* %s.c — generated by gqc from %s. Do not edit.\n"
          " *\n"
          " * The model's decode step%s as lists of libgqcrt calls on a static arena\n"
          " * (%" PRId64 " bytes%s%s) and the packed weights (%" PRId64 " bytes,%s).\n"
          " * Compile from this directory or with -Wa,-I<this directory>.\n"
          " */\n"
          "#include <stddef.h>\n#include <stdint.h>\n\n"
          "#include \"gqcrt.h\"\n%s#include \"gqcrt_parallel.h\"\n#include \"gqcrt_tokenizer.h\"\n"
          "#include \"%s.h\"\n\n"
          "/* Set by %s_set_executor: linear layers split over its threads. */\n"
          "static const gqcrt_executor *executor;\n\n",
          o->base, o->source ? o->source : "a GGUF file",
          calls.prefill.func ? " and its batched prefill step" : "", m->arena_bytes,
          o->arena_section ? " in section " : "", o->arena_section ? o->arena_section : "",
          m->weight_bytes, where, ext ? "#include \"gqcrt_blob.h\"\n" : "", o->base, o->name);
  if (!ext)
    fprintf(f,
            "__asm__(\".pushsection .gqc.weights,\\\"a\\\",%%progbits\\n\"\n"
            "        \".balign 64\\n\"\n"
            "        \"%s__weights:\\n\"\n"
            "        \".incbin \\\"%s.weights\\\"\\n\"\n"
            "        \".popsection\\n\");\n",
            n, o->base);
  fprintf(f,
          "__asm__(\".pushsection .rodata.%s__vocab,\\\"a\\\",%%progbits\\n\"\n"
          "        \".balign 64\\n\"\n"
          "        \"%s__vocab:\\n\"\n"
          "        \".incbin \\\"%s.vocab\\\"\\n\"\n"
          "        \".byte 0\\n\"\n"
          "        \".popsection\\n\");\n",
          n, n, o->base);
  if (arena_asm)
    print_asm_string(f, arena_asm);
  free(arena_asm);
  if (ext)
    fprintf(f, "static const unsigned char *weights; /* set by %s_init_weights */\n", n);
  else
    fprintf(f,
            "extern const unsigned char %s__weights[] __attribute__((visibility(\"hidden\")));\n",
            n);
  fprintf(f, "extern const unsigned char %s__vocab[] __attribute__((visibility(\"hidden\")));\n\n",
          n);
  /* the arena and the tokenizer scratch: statics, or the section's symbols */
  char arena[160] = "arena", tok_scratch[160] = "tok_scratch";
  if (o->arena_section) {
    snprintf(arena, sizeof arena, "%s__arena", n);
    snprintf(tok_scratch, sizeof tok_scratch, "%s__tok_scratch", n);
    fprintf(f,
            "extern unsigned char %s[%" PRId64 "] __attribute__((visibility(\"hidden\"), "
            "aligned(64)));\n"
            "extern unsigned char %s[%" PRIu64 "] __attribute__((visibility(\"hidden\"), "
            "aligned(16)));\n",
            arena, m->arena_bytes, tok_scratch, scratch ? scratch : 1);
  } else {
    fprintf(f,
            "static unsigned char arena[%" PRId64 "] __attribute__((aligned(64)));\n"
            "static unsigned char tok_scratch[%" PRIu64 "] __attribute__((aligned(16)));\n",
            m->arena_bytes, scratch ? scratch : 1);
  }
  fprintf(f, "#define A(off) ((void *)(%s + (off)))\n", arena);
  if (ext)
    fputs("#define W(off) ((const void *)(wb + (off))) /* wb: step's copy of weights */\n\n", f);
  else
    fprintf(f, "#define W(off) ((const void *)(%s__weights + (off)))\n\n", n);

  if (calls.n_descs) {
    fprintf(f, "static const gqcrt_attention_desc attn[%d] = {\n", calls.n_descs);
    for (int k = 0; k < calls.n_descs; k++) {
      const gqc_attn_desc *a = &calls.descs[k];
      fprintf(f,
              "    {.n_head = %d, .n_head_kv = %d, .head_dim = %d, .cache_rows = %d, "
              ".window = %d, .kv_type = %d, .scale = ",
              a->n_head, a->n_head_kv, a->head_dim, a->cache_rows, a->window, a->kv_type);
      print_f32(f, a->scale);
      fputs(", .softcap = ", f);
      print_f32(f, a->softcap);
      fputs("},\n", f);
    }
    fputs("};\n\n", f);
  }

  emit_step(f, &calls.decode,
            "static void step(int32_t token, int32_t pos) {\n"
            "  (void)token;\n  (void)pos;\n",
            ext);
  if (calls.prefill.func)
    emit_step(f, &calls.prefill,
              "/* Tokens tokens[0..n) at positions pos..pos+n-1, 1 <= n <= the batch. */\n"
              "static void prefill_step(const int32_t *tokens, int32_t pos, int32_t n) {\n"
              "  (void)tokens;\n  (void)pos;\n  (void)n;\n",
              ext);

  fprintf(f,
          "static int ready;\nstatic int32_t n_past;\nstatic int last_error;\n\n"
          "static const float *fail(int code) {\n  last_error = code;\n  return NULL;\n}\n\n");
  if (ext)
    fprintf(
        f,
        "int %s_init_weights(const void *blob, uint64_t size) {\n"
        "  weights = NULL;\n  ready = 0;\n"
        "  int r = gqcrt_weights_check(blob, size, %s_WEIGHT_BYTES, %s_WEIGHT_QUICK_CHECKSUM, 0);\n"
        "  if (r != GQCRT_OK)\n    return last_error = r;\n"
        "  weights = (const unsigned char *)blob;\n  return GQCRT_OK;\n}\n\n"
        "int %s_verify_weights(void) {\n"
        "  if (!weights)\n    return last_error = GQCRT_ERR_NOT_INITIALISED;\n"
        "  int r = gqcrt_weights_check(weights, %s_WEIGHT_BYTES, %s_WEIGHT_BYTES,\n"
        "                              %s_WEIGHT_CHECKSUM, 1);\n"
        "  if (r != GQCRT_OK) {\n    weights = NULL;\n    ready = 0;\n"
        "    return last_error = r;\n  }\n  return GQCRT_OK;\n}\n\n",
        n, P, P, n, P, P, P);
  fprintf(f, "int %s_init(void) {\n", n);
  if (ext)
    fputs("  if (!weights)\n    return last_error = GQCRT_ERR_NOT_INITIALISED;\n", f);
  fprintf(f,
          "  if (%s_VOCAB_BYTES && gqcrt_vocab_check(%s__vocab, %s_VOCAB_BYTES) != GQCRT_OK)\n"
          "    return last_error = GQCRT_ERR_BAD_BLOB;\n"
          "  ready = 1;\n  n_past = 0;\n  last_error = 0;\n  return GQCRT_OK;\n}\n\n"
          "void %s_reset(void) { n_past = 0; }\n\n",
          P, n, P, n);
  fprintf(f,
          "const float *%s_decode(int32_t token, int32_t pos) {\n"
          "  if (!ready)\n    return fail(GQCRT_ERR_NOT_INITIALISED);\n"
          "  if (token < 0 || token >= %" PRId64 ")\n    return fail(GQCRT_ERR_BAD_TOKEN);\n"
          "  if (pos < 0 || pos >= %s_N_CTX || pos > n_past)\n    return fail(GQCRT_ERR_BAD_POS);\n",
          n, n_tokens, P);
  if (calls.ring_rows) /* a rewind must not need ring rows already overwritten */
    fprintf(f,
            "  /* sliding-window caches keep the last %" PRId64 " positions: a rewind to pos\n"
            "   * needs positions pos-%" PRId64 "+1 .. pos-1 still in the ring */\n"
            "  if (n_past - %" PRId64 " > (pos - %" PRId64 " + 1 > 0 ? pos - %" PRId64 " + 1 : 0))\n"
            "    return fail(GQCRT_ERR_BAD_POS);\n",
            calls.ring_rows, calls.ring_window, calls.ring_rows, calls.ring_window,
            calls.ring_window);
  fputs("  step(token, pos);\n  n_past = pos + 1;\n  return (const float *)", f);
  print_arg(f, &calls.decode.result, false);
  fputs(";\n}\n\n", f);
  if (calls.prefill.func)
    emit_prefill_api(f, n, P, n_tokens, &calls);
  fprintf(f,
          "int %s_n_vocab(void) { return %s_N_VOCAB; }\n"
          "int %s_n_ctx(void) { return %s_N_CTX; }\n"
          "int %s_last_error(void) { return last_error; }\n"
          "void %s_set_executor(const struct gqcrt_executor *ex) { executor = ex; }\n\n",
          n, P, n, P, n, n);
  fprintf(f,
          "int %s_tokenize(const char *text, int32_t *ids, int max_ids) {\n"
          "  if (!%s_VOCAB_BYTES)\n    return last_error = GQCRT_ERR_BAD_BLOB;\n"
          "  if (!text || !ids)\n    return last_error = GQCRT_ERR_NULL;\n"
          "  size_t len = 0;\n"
          "  while (text[len])\n"
          "    if (++len > %s_MAX_TEXT_BYTES)\n      return last_error = GQCRT_ERR_TOO_LONG;\n"
          "  int32_t r = gqcrt_tokenize(%s__vocab, text, len, 1, 1, ids, max_ids, %s,\n"
          "                             sizeof %s);\n"
          "  if (r < 0)\n    last_error = r;\n  return r;\n}\n\n",
          n, P, P, n, tok_scratch, tok_scratch);
  fprintf(f,
          "const char *%s_token_piece(int32_t id, int32_t *len) {\n"
          "  int32_t n = 0;\n"
          "  const char *p = %s_VOCAB_BYTES ? gqcrt_token_piece(%s__vocab, id, 0, &n) : NULL;\n"
          "  if (len)\n    *len = p ? n : 0;\n  return p;\n}\n\n"
          "const char *%s_token_text(int32_t id) { return %s_token_piece(id, NULL); }\n"
          "int32_t %s_bos(void) { return %s_VOCAB_BYTES ? gqcrt_vocab_bos(%s__vocab) : -1; }\n"
          "int32_t %s_eos(void) { return %s_VOCAB_BYTES ? gqcrt_vocab_eos(%s__vocab) : -1; }\n"
          "int %s_is_eog(int32_t id) {\n"
          "  return %s_VOCAB_BYTES ? gqcrt_vocab_is_eog(%s__vocab, id) : 0;\n}\n",
          n, P, n, n, n, n, P, n, n, P, n, n, P, n);
  gqc_program_free(&calls);
  if (fclose(f) != 0)
    return gqc_error(d, "%s: write failed", path);
  return true;
}
