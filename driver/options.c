/* options.c — the compile options shared by `gqc`, `gqc run` and `gqc opt`.
 *
 * One table, one row per spelling a user may type, in the habits of a C
 * toolchain (getopt_long style):
 *
 *   --name VALUE, --name=VALUE          OPT_VALUE
 *   -o VALUE, -oVALUE, -MF VALUE        OPT_VALUE_JOINABLE (short options)
 *   -O2, -O                             OPT_JOINED (the value is attached)
 *   -S, --stats                         OPT_FLAG
 *
 * Each row says where its value goes: a string field of gqc_options, a flag
 * set true, or a function that checks and stores it; aliases (-mcpu=,
 * --cpu) are rows with the same destination. An error names the option as the
 * user typed it. To add an option: a row here, a field in gqc_options
 * (driver.h), a usage line (main.c).
 */
#include "driver/driver.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/codegen.h"
#include "gqcrt_sample.h"

void gqc_options_init(gqc_options *o) {
  memset(o, 0, sizeof *o);
  o->name = "model";
  o->kv_type = IR_F32;
  o->max_text_bytes = 0; /* 0: derived from n_ctx at compile time */
  o->batch = -1;         /* the target's default (gqc_target_default_batch) */
}

static bool bad_value(const char *opt, const char *want, const char *v) {
  gqc_print_error("%s: expected %s, got '%s'", opt, want, v);
  return false;
}

static bool parse_i64(const char *opt, const char *s, int64_t lo, int64_t hi, int64_t *out) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || *end || end == s || v < lo || v > hi) {
    gqc_print_error("%s: expected an integer in [%lld, %lld], got '%s'", opt, (long long)lo,
                    (long long)hi, s);
    return false;
  }
  *out = v;
  return true;
}

/* ---- the setters: (options, the option as typed, its value) ------------- */

/* -march=armv8.2-a+dotprod+fp16 (an architecture and extensions: the generic
 * CPU plus features) or -march=x86-64-v3 / haswell (a CPU name, as GCC's). */
static bool set_march(gqc_options *o, const char *opt, const char *v) {
  if (strncmp(v, "armv8", 5)) {
    o->cpu = v;
    return true;
  }
  o->cpu = "generic";
  const char *plus = strchr(v, '+');
  if (!plus)
    return true;
  /* "+dotprod+fp16" -> "+dotprod,+fp16" */
  size_t w = 0;
  for (const char *p = plus; *p; p++) {
    if (w + 3 >= sizeof o->march_features)
      return bad_value(opt, "an architecture with fewer extensions", v);
    if (*p == '+' && p != plus)
      o->march_features[w++] = ',';
    o->march_features[w++] = *p;
  }
  o->march_features[w] = '\0';
  if (!o->features)
    o->features = o->march_features;
  return true;
}
static bool set_emit(gqc_options *o, const char *opt, const char *v) {
  if (o->emit && strcmp(o->emit, v)) {
    gqc_print_error("%s %s: the output kind was already given (%s %s)", opt, v, o->emit_option,
                    o->emit);
    return false;
  }
  o->emit = v;
  o->emit_option = opt;
  return true;
}
static bool set_emit_asm(gqc_options *o, const char *opt, const char *v) {
  return set_emit(o, opt, "asm");
}
static bool set_emit_obj(gqc_options *o, const char *opt, const char *v) {
  return set_emit(o, opt, "obj");
}
static bool set_backend(gqc_options *o, const char *opt, const char *v) {
  if (strcmp(v, "llvm") && strcmp(v, "c"))
    return bad_value(opt, "llvm or c", v);
  o->backend = v;
  return true;
}
static bool set_reloc(gqc_options *o, const char *opt, const char *v) {
  if (strcmp(v, "static") && strcmp(v, "pic"))
    return bad_value(opt, "static or pic", v);
  o->static_reloc = !strcmp(v, "static");
  return true;
}
static bool set_weights(gqc_options *o, const char *opt, const char *v) {
  if (strcmp(v, "embedded") && strcmp(v, "file"))
    return bad_value(opt, "embedded or file", v);
  o->weights_external = !strcmp(v, "file");
  return true;
}
static bool set_arena_section(gqc_options *o, const char *opt, const char *v) {
  if (!gqc_valid_section_name(v))
    return bad_value(opt, "a section name (letters, digits, '.', '_'; e.g. .gqc.arena)", v);
  o->arena_section = v;
  return true;
}
static bool set_ctx(gqc_options *o, const char *opt, const char *v) {
  o->ctx_option = opt;
  return parse_i64(opt, v, 1, 1 << 24, &o->n_ctx);
}
static bool set_batch(gqc_options *o, const char *opt, const char *v) {
  return parse_i64(opt, v, 0, 4096, &o->batch);
}
static bool set_max_text(gqc_options *o, const char *opt, const char *v) {
  o->max_text_given = true;
  return parse_i64(opt, v, 1, 1 << 28, &o->max_text_bytes);
}
static bool set_kv_type(gqc_options *o, const char *opt, const char *v) {
  if (!strcmp(v, "f32"))
    o->kv_type = IR_F32;
  else if (!strcmp(v, "f16"))
    o->kv_type = IR_F16;
  else if (!strcmp(v, "q8_0"))
    o->kv_type = IR_Q8_0;
  else
    return bad_value(opt, "f32, f16 or q8_0", v);
  return true;
}
static bool set_depfile(gqc_options *o, const char *opt, const char *v) {
  o->write_depfile = true;
  o->depfile = v;
  return true;
}
/* -O, -O0 .. -O3, -Os, -Oz: accepted for build systems that pass them; gqc
 * always optimises (the pipeline has no levels). */
static bool set_opt_level(gqc_options *o, const char *opt, const char *v) {
  if (*v && strcmp(v, "0") && strcmp(v, "1") && strcmp(v, "2") && strcmp(v, "3") &&
      strcmp(v, "s") && strcmp(v, "z"))
    return bad_value("-O", "-O0, -O1, -O2, -O3, -Os or -Oz", v);
  return true;
}

typedef enum option_arg { OPT_FLAG, OPT_VALUE, OPT_VALUE_JOINABLE, OPT_JOINED } option_arg;

/* Where a row's value goes: into a string field as it is, true into a
 * flag, or through a function that checks it. */
typedef enum option_store { STORE_VALUE, STORE_TRUE, STORE_CALL } option_store;

typedef struct option_row {
  const char *name;
  option_arg arg;
  option_store store;
  size_t field; /* STORE_VALUE: of a const char *; STORE_TRUE: of a bool */
  bool (*set)(gqc_options *o, const char *opt, const char *value); /* STORE_CALL */
} option_row;

#define VALUE_INTO(f) STORE_VALUE, offsetof(gqc_options, f), NULL
#define TRUE_INTO(f) STORE_TRUE, offsetof(gqc_options, f), NULL
#define CALL(fn) STORE_CALL, 0, fn

static const option_row option_table[] = {
    /* outputs */
    {"-o", OPT_VALUE_JOINABLE, VALUE_INTO(output)},
    {"--output", OPT_VALUE, VALUE_INTO(output)},
    {"--emit", OPT_VALUE, CALL(set_emit)},
    {"-S", OPT_FLAG, CALL(set_emit_asm)},
    {"-c", OPT_FLAG, CALL(set_emit_obj)},
    {"--header", OPT_VALUE, VALUE_INTO(header)},
    {"-MD", OPT_FLAG, TRUE_INTO(write_depfile)},
    {"-MF", OPT_VALUE_JOINABLE, CALL(set_depfile)},
    {"--name", OPT_VALUE, VALUE_INTO(name)},
    {"--backend", OPT_VALUE, CALL(set_backend)},
    {"--reloc", OPT_VALUE, CALL(set_reloc)},
    {"--weights", OPT_VALUE, CALL(set_weights)},
    {"--arena-section", OPT_VALUE, CALL(set_arena_section)},
    {"--keep-temps", OPT_FLAG, TRUE_INTO(keep_temps)},
    {"-O", OPT_JOINED, CALL(set_opt_level)},
    /* the target */
    {"--target", OPT_VALUE, VALUE_INTO(triple)},
    {"-target", OPT_VALUE, VALUE_INTO(triple)},
    {"--cpu", OPT_VALUE, VALUE_INTO(cpu)},
    {"-mcpu", OPT_VALUE, VALUE_INTO(cpu)},
    {"-march", OPT_VALUE, CALL(set_march)},
    {"--features", OPT_VALUE, VALUE_INTO(features)},
    /* the model */
    {"--arch", OPT_VALUE, VALUE_INTO(arch_file)},
    {"--gguf", OPT_VALUE, VALUE_INTO(weights_gguf)},
    {"--ctx", OPT_VALUE, CALL(set_ctx)},
    {"--batch", OPT_VALUE, CALL(set_batch)},
    {"--kv-type", OPT_VALUE, CALL(set_kv_type)},
    {"--max-text", OPT_VALUE, CALL(set_max_text)},
    {"--no-tokenizer", OPT_FLAG, TRUE_INTO(no_tokenizer)},
    {"--grammar", OPT_VALUE, VALUE_INTO(grammar_file)},
    {"--tools", OPT_VALUE, VALUE_INTO(tools_file)},
    {"--prefix", OPT_VALUE, VALUE_INTO(prefix_file)},
    /* reports */
    {"--stats", OPT_FLAG, TRUE_INTO(stats)},
    {"--print-after", OPT_VALUE, VALUE_INTO(pipe.print_after)},
    {"--print-after-all", OPT_FLAG, TRUE_INTO(pipe.print_after_all)},
    {"--graph", OPT_VALUE, VALUE_INTO(pipe.graph)},
    {"--graph-after", OPT_VALUE, VALUE_INTO(pipe.graph_after)},
    {"--memory-map", OPT_VALUE, VALUE_INTO(pipe.memory_map)},
};

/* Whether argv[*i] is the row's option; *value is its value (argv[*i] or the
 * next argument, *i advanced), NULL for a flag. -1: it is, but the value is
 * missing (printed). */
static int match(const option_row *r, int argc, char **argv, int *i, const char **value) {
  const char *a = argv[*i];
  size_t n = strlen(r->name);
  *value = NULL;
  switch (r->arg) {
  case OPT_FLAG:
    return !strcmp(a, r->name);
  case OPT_JOINED:
    if (strncmp(a, r->name, n))
      return 0;
    *value = a + n;
    return 1;
  case OPT_VALUE:
  case OPT_VALUE_JOINABLE:
    if (strncmp(a, r->name, n))
      return 0;
    if (a[n] == '=' && r->arg == OPT_VALUE) {
      *value = a + n + 1;
      return 1;
    }
    if (a[n] && r->arg == OPT_VALUE_JOINABLE) {
      *value = a + n;
      return 1;
    }
    if (a[n])
      return 0;
    if (*i + 1 >= argc) {
      gqc_print_error("%s: needs a value", r->name);
      return -1;
    }
    *value = argv[++*i];
    return 1;
  }
  return 0;
}

int gqc_parse_compile_option(gqc_options *o, int argc, char **argv, int *i) {
  for (size_t k = 0; k < sizeof option_table / sizeof option_table[0]; k++) {
    const option_row *r = &option_table[k];
    const char *v;
    int hit = match(r, argc, argv, i, &v);
    if (hit < 0)
      return -1;
    if (!hit)
      continue;
    if (r->store == STORE_VALUE)
      *(const char **)((char *)o + r->field) = v;
    else if (r->store == STORE_TRUE)
      *(bool *)((char *)o + r->field) = true;
    else if (!r->set(o, r->name, v))
      return -1;
    return 1;
  }
  return 0;
}

/* ---- sampling options (gqc run checks them, the program uses them) ------ */

static bool parse_f32(const char *opt, const char *s, float *out) {
  char *end;
  errno = 0;
  float v = strtof(s, &end);
  if (errno || *end || end == s)
    return bad_value(opt, "a number", s);
  *out = v;
  return true;
}

static bool parse_i32(const char *opt, const char *s, int32_t *out) {
  int64_t n;
  if (!parse_i64(opt, s, INT32_MIN, INT32_MAX, &n))
    return false;
  *out = (int32_t)n;
  return true;
}

static bool parse_seed(const char *opt, const char *s) {
  char *end;
  errno = 0;
  if (!strcmp(s, "-1"))
    return true;
  (void)strtoull(s, &end, 10);
  if (errno || *end || end == s || *s == '-') {
    gqc_print_error("%s expects -1 (random) or an integer in [0, 2^64-1], got '%s'", opt, s);
    return false;
  }
  return true;
}

/* The sampling options: one row each, the field it sets and its kind. */
static const struct sampling_row {
  const char *name;
  enum { SAMPLE_F32, SAMPLE_I32, SAMPLE_SEED } kind;
  size_t field; /* offset in gqcrt_sampler_params (unused for the seed) */
} sampling_table[] = {
    {"--temp", SAMPLE_F32, offsetof(gqcrt_sampler_params, temp)},
    {"--top-k", SAMPLE_I32, offsetof(gqcrt_sampler_params, top_k)},
    {"--top-p", SAMPLE_F32, offsetof(gqcrt_sampler_params, top_p)},
    {"--min-p", SAMPLE_F32, offsetof(gqcrt_sampler_params, min_p)},
    {"--repeat-penalty", SAMPLE_F32, offsetof(gqcrt_sampler_params, repeat_penalty)},
    {"--repeat-last-n", SAMPLE_I32, offsetof(gqcrt_sampler_params, repeat_last_n)},
    {"--seed", SAMPLE_SEED, 0},
};

int gqc_parse_sampling_option(gqcrt_sampler_params *p, int argc, char **argv, int *i) {
  for (size_t k = 0; k < sizeof sampling_table / sizeof sampling_table[0]; k++) {
    const struct sampling_row *sr = &sampling_table[k];
    const option_row r = {.name = sr->name, .arg = OPT_VALUE};
    const char *v;
    int hit = match(&r, argc, argv, i, &v);
    if (hit < 0)
      return -1;
    if (!hit)
      continue;
    void *field = (char *)p + sr->field;
    bool ok = sr->kind == SAMPLE_F32   ? parse_f32(r.name, v, field)
              : sr->kind == SAMPLE_I32 ? parse_i32(r.name, v, field)
                                       : parse_seed(r.name, v);
    if (!ok)
      return -1;
    const char *e = gqcrt_sampler_params_error(p);
    if (e) {
      gqc_print_error("%s %s: %s", r.name, v, e);
      return -1;
    }
    return 1;
  }
  return 0;
}
