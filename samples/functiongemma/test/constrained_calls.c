/* constrained_calls.c — the proof that a grammar compiled from tool
 * declarations (gqc --tools) makes every answer a valid call.
 *
 *   constrained-calls TOOLS.json RUNS [MAX_TOKENS]
 *
 * Linked with a model compiled by `gqc ... --tools TOOLS.json` (random
 * weights: its free output is garbage). For each run r = 0 .. RUNS-1 it
 * builds the FunctionGemma prompt for a user request chosen by r, starts
 * the grammar (not lazy: random weights would never emit
 * <start_function_call> themselves), and decodes — greedily for run 0,
 * with the runtime's sampler (gqcrt_sample.h, temperature 1, seed r) for
 * the others, so the runs cover the grammar's
 * functions, optional arguments and string lengths — over the masked
 * logits until model_grammar_accept says the call is complete,
 * and then checks the answer the way an application would: the sample's
 * parser (call_parser.c) must accept it as exactly one call, and the call
 * must validate against the declarations — a declared function name, every
 * argument declared, required ones present, values of the declared type,
 * enum values from the enum, strings and arrays within their bounds.
 * In the first 10 runs every step's constrained logits (the lm_head on
 * the allowed rows only, when few are allowed) must equal the full step's
 * logits masked, bit for bit. The lazy start is checked too (free until
 * <start_function_call>, then constrained). Prints one line per failure
 * and "N/N valid calls"; exit status 0 only if all are valid.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gqcrt.h"
#include "gqcrt_sample.h"
#include MODEL_HEADER

#include "call_parser.h"
#include "json.h"
#include "prompt.h"

enum { MAX_TOOLS_BYTES = 1 << 16, NODES = 4096, ARENA = 1 << 16, TEXT = 8192 };

static json_value tool_nodes[NODES], call_nodes[NODES];
static char tool_arena[ARENA], call_arena[ARENA], tools_text[MAX_TOOLS_BYTES];
static char prompt[MODEL_MAX_TEXT_BYTES + 1], answer[TEXT];
static int32_t ids[MODEL_N_CTX];

static int utf8_chars(const char *s, uint32_t n) {
  int c = 0;
  for (uint32_t i = 0; i < n; i++)
    c += ((unsigned char)s[i] & 0xC0) != 0x80;
  return c;
}

static int64_t member_int(const json_doc *d, const json_value *s, const char *key, int64_t dflt) {
  const json_value *m = json_get(d, s, key);
  return m && m->type == JSON_NUMBER ? (int64_t)m->number : dflt;
}

/* Whether value v (in doc vd) satisfies schema s (in doc sd); why in err. */
static int valid(const json_doc *sd, const json_value *s, const json_doc *vd, const json_value *v,
                 char *err, size_t n) {
  const json_value *type = json_get(sd, s, "type"), *en = json_get(sd, s, "enum");
  const char *t = type ? type->str : "string";
  if (en) {
    if (v->type != JSON_STRING)
      return snprintf(err, n, "enum value is not a string"), 0;
    for (const json_value *e = json_first(sd, en); e; e = json_next(sd, e))
      if (e->len == v->len && !memcmp(e->str, v->str, v->len))
        return 1;
    return snprintf(err, n, "'%s' is not in the enum", v->str), 0;
  }
  if (!strcmp(t, "string")) {
    if (v->type != JSON_STRING)
      return snprintf(err, n, "not a string"), 0;
    const int c = utf8_chars(v->str, v->len);
    if (c > member_int(sd, s, "maxLength", 24) || c < member_int(sd, s, "minLength", 0))
      return snprintf(err, n, "string of %d characters out of bounds", c), 0;
    return 1;
  }
  if (!strcmp(t, "integer"))
    return v->type == JSON_NUMBER && v->is_integer ? 1 : (snprintf(err, n, "not an integer"), 0);
  if (!strcmp(t, "number"))
    return v->type == JSON_NUMBER ? 1 : (snprintf(err, n, "not a number"), 0);
  if (!strcmp(t, "boolean"))
    return v->type == JSON_BOOL ? 1 : (snprintf(err, n, "not a boolean"), 0);
  if (!strcmp(t, "array")) {
    if (v->type != JSON_ARRAY)
      return snprintf(err, n, "not an array"), 0;
    if (v->count > member_int(sd, s, "maxItems", 4) || v->count < member_int(sd, s, "minItems", 0))
      return snprintf(err, n, "array of %d items out of bounds", v->count), 0;
    for (const json_value *it = json_first(vd, v); it; it = json_next(vd, it))
      if (!valid(sd, json_get(sd, s, "items"), vd, it, err, n))
        return 0;
    return 1;
  }
  if (!strcmp(t, "object")) {
    if (v->type != JSON_OBJECT)
      return snprintf(err, n, "not an object"), 0;
    const json_value *props = json_get(sd, s, "properties"), *req = json_get(sd, s, "required");
    for (const json_value *a = json_first(vd, v); a; a = json_next(vd, a)) {
      const json_value *ps = props ? json_get(sd, props, a->key) : NULL;
      if (!ps)
        return snprintf(err, n, "undeclared argument '%s'", a->key), 0;
      if (!valid(sd, ps, vd, a, err, n))
        return 0;
    }
    for (const json_value *r = req ? json_first(sd, req) : NULL; r; r = json_next(sd, r))
      if (!json_get(vd, v, r->str))
        return snprintf(err, n, "required argument '%s' missing", r->str), 0;
    return 1;
  }
  return snprintf(err, n, "unknown type '%s'", t), 0;
}

/* The call `c` against the tools: 1 when valid. */
static int call_valid(const json_doc *td, const json_value *tools, const json_doc *cd,
                      const json_value *c, char *err, size_t n) {
  const json_value *name = json_get(cd, c, "name"), *args = json_get(cd, c, "arguments");
  for (const json_value *t = json_first(td, tools); t; t = json_next(td, t)) {
    const json_value *fn = json_get(td, t, "function");
    const json_value *fname = json_get(td, fn, "name");
    if (name && name->type == JSON_STRING && !strcmp(fname->str, name->str)) {
      const json_value *params = json_get(td, fn, "parameters");
      if (!args)
        return snprintf(err, n, "no arguments object"), 0;
      if (!params)
        return args->count == 0 ? 1 : (snprintf(err, n, "arguments to a function without"), 0);
      return valid(td, params, cd, args, err, n);
    }
  }
  return snprintf(err, n, "undeclared function '%s'", name ? name->str : "?"), 0;
}

static int32_t one_token(const char *text) {
  int32_t t[4];
  return model_tokenize(text, t, 4) == 2 ? t[1] : -1; /* <bos> + the token */
}

/* The lazy start: free until <start_function_call>, then constrained. */
static int lazy_ok(int32_t trigger) {
  static float logits[MODEL_N_VOCAB];
  model_reset();
  if (model_grammar_start(1) != 0)
    return 0;
  for (int32_t i = 0; i < MODEL_N_VOCAB; i++)
    logits[i] = 1.0f;
  model_grammar_apply(logits); /* waiting: nothing masked */
  for (int32_t i = 0; i < MODEL_N_VOCAB; i++)
    if (logits[i] != 1.0f)
      return 0;
  if (model_grammar_accept(7) != 0 || model_grammar_accept(trigger) != 0)
    return 0;
  model_grammar_apply(logits); /* active: after the trigger, only "c" of "call:" */
  int allowed = 0;
  for (int32_t i = 0; i < MODEL_N_VOCAB; i++)
    allowed += logits[i] == 1.0f;
  const int32_t bad = trigger; /* a second trigger is not allowed here */
  return allowed > 0 && allowed < MODEL_N_VOCAB && model_grammar_accept(bad) == GQCRT_ERR_GRAMMAR;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fputs("usage: constrained-calls TOOLS.json RUNS [MAX_TOKENS]\n", stderr);
    return 2;
  }
  const int runs = atoi(argv[2]), max_tokens = argc > 3 ? atoi(argv[3]) : 256;
  FILE *f = fopen(argv[1], "rb");
  size_t len = f ? fread(tools_text, 1, sizeof tools_text - 1, f) : 0;
  if (f)
    fclose(f);
  json_doc td;
  json_doc_init(&td, tool_nodes, NODES, tool_arena, ARENA);
  char err[256];
  const int32_t root = json_parse(&td, tools_text, len);
  const int32_t tools = root >= 0 ? fg_tools_array(&td, root, err, sizeof err) : -1;
  if (tools < 0 || model_init() != 0 || MODEL_GRAMMAR_BYTES == 0) {
    fprintf(stderr, "constrained-calls: cannot read %s or start the model\n", argv[1]);
    return 1;
  }
  const char *specials[] = {FG_START_CALL, FG_END_CALL, FG_ESCAPE};
  int32_t special_ids[3];
  for (int k = 0; k < 3; k++)
    special_ids[k] = one_token(specials[k]);
  if (!lazy_ok(special_ids[0])) {
    fprintf(stderr, "constrained-calls: the lazy start does not wait for the trigger\n");
    return 1;
  }
  static const char *const words[] = {"weather", "Paris", "alarm",   "seven",   "timer",  "message",
                                      "Anna",    "music", "lights",  "kitchen", "remind", "milk",
                                      "route",   "home",  "battery", "warm",    "please", "now"};
  const int n_words = (int)(sizeof words / sizeof words[0]);
  int ok_runs = 0, longest = 0, n_names = 0, name_count[64] = {0};
  const char *names[64];
  for (const json_value *t = json_first(&td, json_at(&td, tools)); t && n_names < 64;
       t = json_next(&td, t))
    names[n_names++] = json_get(&td, json_get(&td, t, "function"), "name")->str;
  for (int r = 0; r < runs; r++) {
    char user[256] = "";
    unsigned x = 2654435761u * (unsigned)(r + 1);
    for (int w = 0; w < 3 + r % 5; w++) {
      x = x * 1103515245u + 12345u;
      strcat(user, words[(x >> 16) % (unsigned)n_words]);
      strcat(user, w < 2 + r % 5 ? " " : "?");
    }
    if (fg_prompt_build(&td, tools, FG_DEFAULT_DEVELOPER_PROMPT, user, prompt, sizeof prompt, err,
                        sizeof err) < 0) {
      fprintf(stderr, "run %d: prompt: %s\n", r, err);
      continue;
    }
    model_reset();
    int n = model_tokenize(prompt, ids, MODEL_N_CTX);
    const float *logits = n > 0 ? model_prefill(ids, n, 0) : NULL;
    if (!logits || model_grammar_start(0) != 0 ||
        model_grammar_apply((float *)(uintptr_t)logits) != 0) {
      fprintf(stderr, "run %d: prompt of %d tokens failed (%d)\n", r, n, model_last_error());
      continue;
    }
    size_t alen = 0;
    int pos = n, steps = 0, done = 0;
    /* run 0 greedy; the others sample at temperature 1 with seed r (no
     * truncation: every allowed token may come) */
    gqcrt_sampler_params sp = gqcrt_sampler_default_params();
    sp.temp = r == 0 ? 0.0f : 1.0f;
    sp.top_k = 0;
    sp.top_p = 1.0f;
    sp.min_p = 0.0f;
    sp.seed = (uint64_t)r;
    static gqcrt_sampler sampler;
    static gqcrt_sampler_candidate scratch[MODEL_N_VOCAB];
    if (gqcrt_sampler_init(&sampler, &sp) != 0)
      return 1;
    for (; steps < max_tokens && pos < MODEL_N_CTX; steps++) {
      const int32_t tok = gqcrt_sampler_sample(&sampler, logits, MODEL_N_VOCAB, scratch);
      if (tok < 0) {
        fprintf(stderr, "run %d: the sampler found no token (%d)\n", r, tok);
        break;
      }
      gqcrt_sampler_accept(&sampler, tok);
      const int g = model_grammar_accept(tok);
      if (g < 0) {
        fprintf(stderr, "run %d: the grammar refused its own token %d (%d)\n", r, tok, g);
        break;
      }
      const char *piece = model_token_text(tok);
      for (int k = 0; k < 3; k++)
        if (tok == special_ids[k])
          piece = specials[k];
      const size_t pl = strlen(piece);
      if (alen + pl >= sizeof answer)
        break;
      memcpy(answer + alen, piece, pl);
      alen += pl;
      if (g == 1) {
        done = 1;
        steps++;
        break;
      }
      logits = model_decode_constrained(tok, pos);
      if (logits && r < 10) { /* the lm_head on allowed rows only = the full one, masked */
        static float kept[MODEL_N_VOCAB];
        memcpy(kept, logits, sizeof kept);
        float *full = (float *)(uintptr_t)model_decode(tok, pos);
        model_grammar_apply(full);
        if (memcmp(kept, full, sizeof kept)) {
          fprintf(stderr, "run %d: constrained logits differ from the full step's at %d\n", r, pos);
          break;
        }
      }
      pos++;
      if (!logits)
        break;
    }
    answer[alen] = 0;
    if (!done) {
      fprintf(stderr, "run %d: no complete call within %d tokens: %s\n", r, max_tokens, answer);
      continue;
    }
    longest = steps > longest ? steps : longest;
    json_doc cd;
    json_doc_init(&cd, call_nodes, NODES, call_arena, ARENA);
    fg_output out;
    if (fg_parse_output(answer, alen, &cd, &out) != FG_OUTPUT_CALLS || out.n_calls != 1) {
      fprintf(stderr, "run %d: the parser does not accept one call (%s): %s\n", r,
              out.kind == FG_OUTPUT_ERROR ? out.error : "no call", answer);
      continue;
    }
    if (!call_valid(&td, json_at(&td, tools), &cd, json_at(&cd, out.calls[0]), err, sizeof err)) {
      fprintf(stderr, "run %d: invalid call (%s): %s\n", r, err, answer);
      continue;
    }
    if (r < 4)
      printf("run %d: %s\n", r, answer);
    const json_value *name = json_get(&cd, json_at(&cd, out.calls[0]), "name");
    for (int k = 0; k < n_names; k++)
      if (!strcmp(names[k], name->str))
        name_count[k]++;
    ok_runs++;
  }
  printf("%d/%d valid calls (longest %d tokens); calls per function:", ok_runs, runs, longest);
  for (int k = 0; k < n_names; k++)
    printf(" %s %d", names[k], name_count[k]);
  printf("\n");
  return ok_runs == runs ? 0 : 1;
}
