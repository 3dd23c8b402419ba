/* emit_c.c — the C backend.
 *
 * Writes <base>.c: the planned IR as functions of runtime calls with
 * constant offsets — step() for @decode and, when the module has @prefill,
 * prefill_step(tokens, pos, n, logits), whose counts and row pointers depend
 * on n, whose per-row calls are loops over the rows, and which stops before
 * the result's own work unless `logits` — plus the API around them
 * (<name>_prefill runs prefill_step once per BATCH tokens, with logits for
 * the last). The weights and the vocabulary
 * are not C initialisers (a 300 MB array literal takes a C compiler minutes);
 * they are binary files pulled in by the assembler's .incbin, so compiling
 * the output of any model takes about as long as compiling 1000 lines of C.
 * The .incbin lines name the blobs by absolute path (o->blob_dir, set by
 * the driver), so <base>.c compiles from any directory; without blob_dir by
 * bare name (compile from its directory or pass -Wa,-I<dir>).
 *
 * Symbols: only the API (<name>_*) is global. The blobs are local assembler
 * labels and the arena a static array, so several models link into one
 * program without clashes.
 *
 * The weight section is gqc_weights_section_asm's text (.incbin of
 * <base>.weights; with weights_fill an empty section that gqc fills once the
 * C is compiled, so neither the C compiler nor the assembler ever holds
 * the weights).
 *
 * --weights=file: no weight blob at all; a static pointer `weights`, set by
 * <name>_init_weights once gqcrt_weights_check accepts the blob, is read
 * once per step into `wb`, and W(off) is wb + off. Far weights use the same
 * code with a volatile constant `weights` holding the section's address. --arena-section: the
 * arena and tokenizer scratch are <name>__arena and <name>__tok_scratch,
 * defined by gqc_arena_section_asm's assembler text (arena_section.c).
 */
#include "codegen/calls.h"
#include "codegen/model_desc.h"
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

/* The arguments that are one fixed C expression. */
static const char *const fixed_arg[] = {
    [GQC_ARG_NULL] = "NULL",
    [GQC_ARG_POS] = "pos",
    [GQC_ARG_TOKEN] = "token",
    [GQC_ARG_TOKENS] = "tokens",
    [GQC_ARG_EXECUTOR] = "state.executor",
};

/* An argument as C; `per_row`: inside the loop over the live rows (r). */
static void print_arg(FILE *f, const gqc_arg *a, bool per_row) {
  if ((size_t)a->kind < sizeof fixed_arg / sizeof fixed_arg[0] && fixed_arg[a->kind]) {
    fputs(fixed_arg[a->kind], f);
    return;
  }
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
  case GQC_ARG_I32:
    fprintf(f, "%" PRId64, a->i);
    break;
  case GQC_ARG_I64:
    fprintf(f, "INT64_C(%" PRId64 ")", a->i);
    break;
  case GQC_ARG_F32:
    print_f32(f, a->f);
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
  case GQC_ARG_FN:
    fputs(a->sym, f);
    break;
  default: /* fixed_arg */
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
 * over the live rows for per_row calls); `via_pointer`: the weights are read
 * through the pointer `weights` (--weights=file, far weights); before call
 * `stop` (>= 0: the prefill step's first result-only call, the decode
 * step's lm_head), a return when the step's `logits` flag is clear. */
static void emit_step(FILE *f, const gqc_call_list *l, const char *head, bool via_pointer,
                      int stop) {
  fputs(head, f);
  if (via_pointer)
    fputs("  const unsigned char *const wb = (const unsigned char *)state.weights;\n  (void)wb;\n",
          f);
  for (int k = 0; k < l->n_calls; k++) {
    const gqc_call *c = &l->calls[k];
    if (k == stop)
      fputs("  if (!logits) /* the KV cache is done; the rest is the result's */\n"
            "    return;\n",
            f);
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

/* The descriptor's fields that are one fixed C expression, and those that
 * are a symbol of the model (<name>__weights). */
static const char *const fixed_desc[] = {
    [GQC_DESC_NULL] = "NULL", [GQC_DESC_TOK_SCRATCH] = "TOK_SCRATCH",   [GQC_DESC_STATE] = "&state",
    [GQC_DESC_STEP] = "step", [GQC_DESC_PREFILL_STEP] = "prefill_step",
};
static const char *const model_symbol_desc[] = {
    [GQC_DESC_WEIGHTS] = "weights",
    [GQC_DESC_VOCAB] = "vocab",
    [GQC_DESC_GRAMMAR] = "grammar",
};

/* The descriptor's field `f` as a C initialiser (model_desc.h). */
static void print_desc_value(FILE *f, const gqc_desc_field *d, const char *n) {
  const size_t k = (size_t)d->kind;
  if (k < sizeof fixed_desc / sizeof fixed_desc[0] && fixed_desc[k])
    fputs(fixed_desc[k], f);
  else if (k < sizeof model_symbol_desc / sizeof model_symbol_desc[0] && model_symbol_desc[k])
    fprintf(f, "%s__%s", n, model_symbol_desc[k]);
  else if (d->kind == GQC_DESC_INT)
    fprintf(f, gqc_c_type_kind(d->c_type) == 'l' ? "INT64_C(%" PRId64 ")" : "%" PRId64, d->i);
  else if (d->kind == GQC_DESC_ARENA)
    fprintf(f, "(const float *)A(%" PRId64 ")", d->i);
  else /* GQC_DESC_FN */
    fputs(d->sym, f);
}

/* The decoder state, the descriptor, and the API as one-line wrappers
 * around the runtime's gqcrt_model_* (gqcrt_model.h). */
static bool emit_api(FILE *f, const ir_module *m, const gqc_program *calls,
                     const gqc_codegen_options *o, gqc_diag *d) {
  const char *n = o->name;
  gqc_desc_field fields[GQC_MAX_DESC_FIELDS];
  const int nf = gqc_model_desc(m, calls, o, fields, d);
  if (nf < 0)
    return false;
  fprintf(f, "static const gqcrt_model %s__model = {\n", n);
  for (int k = 0; k < nf; k++) {
    fprintf(f, "    .%s = ", fields[k].name);
    print_desc_value(f, &fields[k], n);
    fputs(",\n", f);
  }
  fputs("};\n\n", f);
  gqc_api_fn api[GQC_MAX_API];
  const int na = gqc_model_api(m, o, api);
  for (int k = 0; k < na; k++) {
    const gqc_api_fn *a = &api[k];
    fprintf(f, "%s%s%s_%s(%s) {\n  %sgqcrt_model_%s(&%s__model%s%s);\n}\n", a->ret,
            a->ret[strlen(a->ret) - 1] == '*' ? "" : " ", n, a->name,
            *a->params ? a->params : "void", strcmp(a->ret, "void") ? "return " : "", a->name, n,
            *a->args ? ", " : "", a->args);
  }
  return true;
}

bool gqc_emit_c(const ir_module *m, const gqc_target *t, const gqc_codegen_options *o,
                gqc_diag *d) {
  (void)t;
  char path[4096];
  if (o->arena_section && !gqc_valid_section_name(o->arena_section))
    return gqc_error(d, "codegen: '%s' is not a valid section name", o->arena_section);
  snprintf(path, sizeof path, "%s/%s.weights", o->out_dir, o->base);
  bool ext = o->weights_external, far = gqc_weights_far(m, o);
  if (!ext && !o->weights_fill && !gqc_write_weight_blob(m, path, d))
    return false;
  snprintf(path, sizeof path, "%s/%s.vocab", o->out_dir, o->base);
  if (!gqc_write_vocab_blob(m, path, d))
    return false;
  snprintf(path, sizeof path, "%s/%s.grammar", o->out_dir, o->base);
  if (m->grammar && !gqc_write_blob(m->grammar, m->grammar_bytes, path, d))
    return false;

  gqc_program calls;
  if (!gqc_lower_program(m, &calls, d))
    return false;
  char *arena_asm = NULL, *weights_asm = NULL, *incbin_asm = NULL, incbin[4200], vocab[4200];
  gqc_blob_incbin_name(o, "weights", incbin, sizeof incbin);
  gqc_blob_incbin_name(o, "vocab", vocab, sizeof vocab);
  if ((o->arena_section && !(arena_asm = gqc_arena_section_asm(m, o))) ||
      (!ext && !(weights_asm = gqc_weights_section_asm(m, o, t))) ||
      (!ext && !o->weights_fill && !(incbin_asm = gqc_weights_incbin_asm(incbin)))) {
    gqc_program_free(&calls);
    free(arena_asm);
    free(weights_asm);
    return gqc_error(d, "codegen: out of memory");
  }

  snprintf(path, sizeof path, "%s/%s.c", o->out_dir, o->base);
  FILE *f = fopen(path, "w");
  if (!f) {
    gqc_program_free(&calls);
    free(arena_asm);
    free(weights_asm);
    free(incbin_asm);
    return gqc_error(d, "%s: cannot write: %s", path, strerror(errno));
  }
  const char *n = o->name;
  uint64_t scratch = gqc_tokenize_scratch_bytes(m, o);

  char where[512];
  if (ext)
    snprintf(where, sizeof where, "\n * %s.weights, which %s_init_weights receives at run time",
             o->base, n);
  else if (o->weights_fill)
    snprintf(where, sizeof where,
             " section\n * .gqc.weights, which gqc fills in the compiled object");
  else
    snprintf(where, sizeof where,
             " section\n * .gqc.weights, pulled in from %s.weights by the assembler", o->base);
  fprintf(f,
          "/* %s.c — generated by gqc from %s. Do not edit.\n"
          " *\n"
          " * The model's decode step%s as lists of libgqcrt calls on a static arena\n"
          " * (%" PRId64 " bytes%s%s) and the packed weights (%" PRId64 " bytes,%s).\n"
          " * The assembler reads the blobs by the paths in the .incbin lines.\n"
          " */\n"
          "#include <stddef.h>\n#include <stdint.h>\n\n"
          "#include \"gqcrt.h\"\n#include \"gqcrt_model.h\"\n#include \"gqcrt_parallel.h\"\n"
          "#include \"%s.h\"\n\n"
          "/* The decoder state (gqcrt_model.h): the weights the steps read, the\n"
          " * executor set by %s_set_executor, the positions filled. */\n"
          "static gqcrt_model_state state;\n\n",
          o->base, o->source ? o->source : "a GGUF file",
          calls.prefill.func ? " and its batched prefill step" : "", m->arena_bytes,
          o->arena_section ? " in section " : "", o->arena_section ? o->arena_section : "",
          m->weight_bytes, where, o->base, o->name);
  if (weights_asm)
    print_asm_string(f, weights_asm);
  if (incbin_asm)
    print_asm_string(f, incbin_asm);
  free(weights_asm);
  free(incbin_asm);
  fprintf(f,
          "__asm__(\".pushsection .rodata.%s__vocab,\\\"a\\\",%%progbits\\n\"\n"
          "        \".balign 64\\n\"\n"
          "        \"%s__vocab:\\n\"\n"
          "        \".incbin \\\"%s\\\"\\n\"\n"
          "        \".byte 0\\n\"\n"
          "        \".popsection\\n\");\n",
          n, n, vocab);
  if (arena_asm)
    print_asm_string(f, arena_asm);
  free(arena_asm);
  if (!ext) /* (far weights are read through state.weights, the descriptor's pointer) */
    fprintf(f,
            "extern const unsigned char %s__weights[] __attribute__((visibility(\"hidden\")));\n",
            n);
  fprintf(f, "extern const unsigned char %s__vocab[] __attribute__((visibility(\"hidden\")));\n\n",
          n);
  if (m->grammar)
    fprintf(f,
            "__asm__(\".pushsection .rodata.%s__grammar,\\\"a\\\",%%progbits\\n\"\n"
            "        \".balign 64\\n\"\n"
            "        \"%s__grammar:\\n\"\n"
            "        \".incbin \\\"%s.grammar\\\"\\n\"\n"
            "        \".popsection\\n\");\n"
            "extern const unsigned char %s__grammar[] "
            "__attribute__((visibility(\"hidden\")));\n\n",
            n, n, o->base, n);
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
  fprintf(f, "#define A(off) ((void *)(%s + (off)))\n#define TOK_SCRATCH %s\n", arena, tok_scratch);
  if (ext || far)
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
      fprintf(f, ", .n_prefix = %d, .prefix_first = %d},\n", a->n_prefix, a->prefix_first);
    }
    fputs("};\n\n", f);
  }

  emit_step(f, &calls.decode,
            "/* Token `token` at position `pos`; the lm_head only when `logits` is set. */\n"
            "static void step(int32_t token, int32_t pos, int32_t logits) {\n"
            "  (void)token;\n  (void)pos;\n  (void)logits;\n",
            ext || far, calls.decode.lm_head_call);
  if (calls.prefill.func)
    emit_step(f, &calls.prefill,
              "/* Tokens tokens[0..n) at positions pos..pos+n-1, 1 <= n <= the batch; the\n"
              " * logits (of the last) only when `logits` is set. */\n"
              "static void prefill_step(const int32_t *tokens, int32_t pos, int32_t n,\n"
              "                         int32_t logits) {\n"
              "  (void)tokens;\n  (void)pos;\n  (void)n;\n  (void)logits;\n",
              ext || far, calls.prefill.n_state_calls);

  const bool ok = emit_api(f, m, &calls, o, d);
  gqc_program_free(&calls);
  if (fclose(f) != 0 && ok)
    return gqc_error(d, "%s: write failed", path);
  return ok;
}
