/* model_desc.c — the descriptor's values, the state's layout and the API
 * list, read from the runtime's own lists (model_desc.h). */
#include "codegen/model_desc.h"

#include <ctype.h>
#include <inttypes.h>
#include <string.h>

#include "gqcrt_model.h"

static const char *const desc_names[] = {
#define GQCRT_MODEL_FIELD(c_type, name) #name,
#include "gqcrt_model_layout.def"
#undef GQCRT_MODEL_FIELD
};

static const char *const desc_types[] = {
#define GQCRT_MODEL_FIELD(c_type, name) #c_type,
#include "gqcrt_model_layout.def"
#undef GQCRT_MODEL_FIELD
};

const gqc_state_field gqc_state_fields[] = {
#define GQCRT_STATE_FIELD(c_type, name) {#name, #c_type},
#include "gqcrt_model_layout.def"
#undef GQCRT_STATE_FIELD
};
const int gqc_n_state_fields = (int)(sizeof gqc_state_fields / sizeof gqc_state_fields[0]);

int gqc_state_field_index(const char *name) {
  for (int k = 0; k < gqc_n_state_fields; k++)
    if (!strcmp(gqc_state_fields[k].name, name))
      return k;
  return -1;
}

/* The GQCRT_CPU_* bits of the target's features (gqcrt_cpu_features.def). */
static int64_t cpu_feature_mask(const gqc_codegen_options *o) {
  return o->target ? gqc_target_cpu_mask(o->target) : 0;
}

/* The value of descriptor field `name`. */
static bool field_value(const ir_module *m, const gqc_program *calls, const gqc_codegen_options *o,
                        const char *name, gqc_desc_field *f, gqc_diag *d) {
  const int64_t n_vocab = ir_meta_int(m, "n_vocab", 0);
  const gqc_arg *pr = &calls->prefill.result;
  const gqc_call *lm =
      calls->decode.lm_head_call >= 0 ? &calls->decode.calls[calls->decode.lm_head_call] : NULL;
  struct {
    const char *name;
    gqc_desc_kind kind;
    int64_t i;
  } values[] = {
      {"abi", GQC_DESC_INT, GQCRT_ABI_VERSION},
      {"state", GQC_DESC_STATE, 0},
      {"step", GQC_DESC_STEP, 0},
      {"prefill_step", calls->prefill.func ? GQC_DESC_PREFILL_STEP : GQC_DESC_NULL, 0},
      {"logits", GQC_DESC_ARENA, calls->decode.result.offset},
      {"prefill_logits", calls->prefill.func ? GQC_DESC_ARENA : GQC_DESC_NULL, pr->offset},
      {"prefill_logits_row_bytes", GQC_DESC_INT,
       calls->prefill.func && pr->kind == GQC_ARG_ARENA_LAST_ROW ? pr->row_bytes : 0},
      {"n_vocab", GQC_DESC_INT, n_vocab},
      {"n_ctx", GQC_DESC_INT, ir_meta_int(m, "n_ctx", 0)},
      {"n_tokens", GQC_DESC_INT,
       calls->embed_rows && calls->embed_rows < n_vocab ? calls->embed_rows : n_vocab},
      {"batch", GQC_DESC_INT, calls->prefill.func ? calls->prefill.batch : 0},
      {"ring_rows", GQC_DESC_INT, calls->ring_rows},
      {"ring_window", GQC_DESC_INT, calls->ring_window},
      {"n_prefix", GQC_DESC_INT, ir_meta_int(m, "n_prefix", 0)},
      {"vocab", GQC_DESC_VOCAB, 0},
      {"vocab_bytes", GQC_DESC_INT, (int64_t)m->vocab_bytes},
      {"lm_head_kernel", lm ? GQC_DESC_FN : GQC_DESC_NULL, 0},
      {"lm_head_x", lm ? GQC_DESC_ARENA : GQC_DESC_NULL, lm ? lm->args[4].offset : 0},
      {"lm_head_w_offset", GQC_DESC_INT, lm ? lm->args[3].offset : 0},
      {"lm_head_n_in", GQC_DESC_INT, lm ? lm->args[5].i : 0},
      {"lm_head_row_bytes", GQC_DESC_INT, lm ? lm->args[7].i : 0},
      {"lm_head_row_align", GQC_DESC_INT, lm ? lm->args[8].i : 0},
      {"grammar", m->grammar_bytes ? GQC_DESC_GRAMMAR : GQC_DESC_NULL, 0},
      {"grammar_bytes", GQC_DESC_INT, (int64_t)m->grammar_bytes},
      {"tok_scratch", GQC_DESC_TOK_SCRATCH, 0},
      {"tok_scratch_bytes", GQC_DESC_INT, (int64_t)gqc_tokenize_scratch_bytes(m, o)},
      {"max_text_bytes", GQC_DESC_INT, o->max_text_bytes},
      {"weights", o->weights_external ? GQC_DESC_NULL : GQC_DESC_WEIGHTS, 0},
      {"weight_bytes", GQC_DESC_INT, m->weight_bytes},
      {"weight_crc32c", GQC_DESC_INT, o->weight_crc32c},
      {"weight_quick_crc32c", GQC_DESC_INT, o->weight_quick_crc32c},
      {"cpu_features", GQC_DESC_INT, cpu_feature_mask(o)},
  };
  for (size_t k = 0; k < sizeof values / sizeof values[0]; k++)
    if (!strcmp(values[k].name, name)) {
      f->kind = values[k].kind;
      f->i = values[k].i;
      f->sym = f->kind == GQC_DESC_FN ? lm->args[1].sym : NULL;
      const char c = gqc_c_type_kind(f->c_type);
      if (f->kind == GQC_DESC_INT && c == 'i' && (f->i < INT32_MIN || f->i > (int64_t)UINT32_MAX))
        return gqc_error(d, "codegen: the model's %s (%" PRId64 ") does not fit the runtime's %s",
                         name, f->i, f->c_type);
      return true;
    }
  return gqc_error(d,
                   "codegen: no value for the model descriptor's field '%s' "
                   "(runtime/include/gqcrt_model_layout.def)",
                   name);
}

int gqc_model_desc(const ir_module *m, const gqc_program *calls, const gqc_codegen_options *o,
                   gqc_desc_field *fields, gqc_diag *d) {
  const int n = (int)(sizeof desc_names / sizeof desc_names[0]);
  if (n > GQC_MAX_DESC_FIELDS)
    return gqc_error(d, "codegen: the model descriptor has too many fields"), -1;
  for (int k = 0; k < n; k++) {
    fields[k].name = desc_names[k];
    fields[k].c_type = desc_types[k];
    if (!field_value(m, calls, o, desc_names[k], &fields[k], d))
      return -1;
  }
  return n;
}

/* ---- the API -------------------------------------------------------------- */

enum { GQCRT_API_ALWAYS, GQCRT_API_PREFILL, GQCRT_API_WEIGHTS_FILE };

typedef struct api_line {
  const char *ret, *name, *params, *args, *doc;
  int when;
} api_line;

static const api_line api_lines[] = {
#define GQCRT_MODEL_API(ret, name, params, args, when, doc)                                        \
  {#ret, #name, #params, #args, doc, when},
#include "gqcrt_model_api.def"
#undef GQCRT_MODEL_API
};

/* "(, int32_t token, int32_t pos)" -> "int32_t token, int32_t pos"; "()" -> "" */
static const char *strip_list(ir_module *m, const char *list) {
  const char *p = list + 1; /* past '(' */
  while (*p == ' ' || *p == ',')
    p++;
  size_t n = strlen(p);
  while (n && (p[n - 1] == ')' || p[n - 1] == ' '))
    n--;
  return ir_strfmt(m, "%.*s", (int)n, p);
}

int gqc_model_api(const ir_module *m, const gqc_codegen_options *o, gqc_api_fn *out) {
  /* The strings live in the module's pool (the backends run while it lives). */
  ir_module *pool = (ir_module *)m;
  const bool prefill = ir_module_find_func(m, "prefill") != NULL;
  int n = 0;
  for (size_t k = 0; k < sizeof api_lines / sizeof api_lines[0] && n < GQC_MAX_API; k++) {
    const api_line *l = &api_lines[k];
    if ((l->when == GQCRT_API_PREFILL && !prefill) ||
        (l->when == GQCRT_API_WEIGHTS_FILE && !o->weights_external))
      continue;
    out[n++] = (gqc_api_fn){l->ret, l->name, strip_list(pool, l->params), strip_list(pool, l->args),
                            l->doc};
  }
  return n;
}

/* ---- C types ---------------------------------------------------------------- */

char gqc_c_type_kind(const char *t) {
  if (strchr(t, '*'))
    return 'p';
  size_t n = strlen(t);
  while (n && isspace((unsigned char)t[n - 1]))
    n--;
  if (n >= 3 && !strncmp(t + n - 3, "_fn", 3)) /* function pointer typedefs */
    return 'p';
  /* the last word is the base type ("const", "struct" aside) */
  size_t b = n;
  while (b && !isspace((unsigned char)t[b - 1]))
    b--;
  const char *w = t + b;
  const size_t wl = n - b;
  static const struct {
    const char *name;
    char kind;
  } base[] = {{"void", 'v'},     {"int", 'i'},     {"int32_t", 'i'},
              {"uint32_t", 'i'}, {"int64_t", 'l'}, {"uint64_t", 'l'},
              {"size_t", 'z'},   {"float", 'f'},   {"unsigned", 'i'}};
  for (size_t k = 0; k < sizeof base / sizeof base[0]; k++)
    if (strlen(base[k].name) == wl && !strncmp(base[k].name, w, wl))
      return base[k].kind;
  return 0;
}

bool gqc_c_param_kinds(const char *params, char *buf, size_t size) {
  size_t n = 0;
  for (const char *p = params; *p;) {
    while (*p == ' ' || *p == ',')
      p++;
    if (!*p)
      break;
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    /* drop the parameter's name: the type is what precedes the last word,
     * or the whole text when a '*' ends it */
    char one[128];
    snprintf(one, sizeof one, "%.*s", (int)(len < sizeof one ? len : sizeof one - 1), p);
    size_t l = strlen(one);
    while (l && isspace((unsigned char)one[l - 1]))
      one[--l] = 0;
    while (l && (isalnum((unsigned char)one[l - 1]) || one[l - 1] == '_'))
      l--;
    one[l] = 0; /* the type, perhaps ending in '*' or a space */
    const char k = gqc_c_type_kind(one);
    if (!k || k == 'v' || n + 1 >= size)
      return false;
    buf[n++] = k;
    p += len;
  }
  buf[n] = 0;
  return true;
}
