/* options.c — the compile options shared by `gqc`, `gqc run` and `gqc opt`. */
#include "driver/driver.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/codegen.h"

void gqc_options_init(gqc_options *o) {
  memset(o, 0, sizeof *o);
  o->name = "model";
  o->kv_type = IR_F32;
  o->max_text_bytes = 0; /* 0: derived from n_ctx at compile time */
  o->batch = 32;
}

static bool parse_i64(const char *opt, const char *s, int64_t lo, int64_t hi, int64_t *out) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || *end || end == s || v < lo || v > hi) {
    fprintf(stderr, "gqc: error: %s expects an integer in [%lld, %lld], got '%s'\n", opt,
            (long long)lo, (long long)hi, s);
    return false;
  }
  *out = v;
  return true;
}

/* "--opt=value" or "--opt value". */
static const char *value_of(const char *opt, int argc, char **argv, int *i, bool *err) {
  const char *a = argv[*i];
  size_t n = strlen(opt);
  if (!strncmp(a, opt, n) && a[n] == '=')
    return a + n + 1;
  if (!strcmp(a, opt)) {
    if (*i + 1 >= argc) {
      fprintf(stderr, "gqc: error: %s needs a value\n", opt);
      *err = true;
      return NULL;
    }
    return argv[++*i];
  }
  return NULL;
}

int gqc_parse_compile_option(gqc_options *o, int argc, char **argv, int *i) {
  const char *a = argv[*i], *v;
  bool err = false;
#define OPT(name) ((v = value_of(name, argc, argv, i, &err)) != NULL || err)
  if (OPT("-o")) {
    o->output = v;
  } else if (OPT("--name")) {
    o->name = v;
  } else if (OPT("--arch")) {
    o->arch_file = v;
  } else if (OPT("--target")) {
    o->triple = v;
  } else if (OPT("--cpu")) {
    o->cpu = v;
  } else if (OPT("--features")) {
    o->features = v;
  } else if (OPT("--emit")) {
    o->emit = v;
  } else if (OPT("--backend")) {
    if (!err && strcmp(v, "llvm") && strcmp(v, "c")) {
      fprintf(stderr, "gqc: error: --backend must be llvm or c, got '%s'\n", v);
      return -1;
    }
    o->backend = v;
  } else if (OPT("--reloc")) {
    if (!err && strcmp(v, "static") && strcmp(v, "pic")) {
      fprintf(stderr, "gqc: error: --reloc must be static or pic, got '%s'\n", v);
      return -1;
    }
    if (!err)
      o->static_reloc = !strcmp(v, "static");
  } else if (OPT("--weights")) {
    if (!err && strcmp(v, "embedded") && strcmp(v, "file")) {
      fprintf(stderr, "gqc: error: --weights must be embedded or file, got '%s'\n", v);
      return -1;
    }
    if (!err)
      o->weights_external = !strcmp(v, "file");
  } else if (OPT("--arena-section")) {
    if (!err && !gqc_valid_section_name(v)) {
      fprintf(stderr,
              "gqc: error: --arena-section expects a section name (letters, digits, '.', '_'; "
              "e.g. .gqc.arena), got '%s'\n",
              v);
      return -1;
    }
    o->arena_section = v;
  } else if (OPT("--ctx")) {
    if (!err && !parse_i64("--ctx", v, 1, 1 << 24, &o->n_ctx))
      return -1;
  } else if (OPT("--batch")) {
    if (!err && !parse_i64("--batch", v, 0, 4096, &o->batch))
      return -1;
  } else if (OPT("--max-text")) {
    if (!err && !parse_i64("--max-text", v, 1, 1 << 28, &o->max_text_bytes))
      return -1;
  } else if (OPT("--kv-type")) {
    if (!err) {
      if (!strcmp(v, "f32"))
        o->kv_type = IR_F32;
      else if (!strcmp(v, "f16"))
        o->kv_type = IR_F16;
      else {
        fprintf(stderr, "gqc: error: --kv-type must be f32 or f16, got '%s'\n", v);
        return -1;
      }
    }
  } else if (OPT("--prefix")) {
    o->prefix_file = v;
  } else if (OPT("--print-after")) {
    o->pipe.print_after = v;
  } else if (!strcmp(a, "--print-after-all")) {
    o->pipe.print_after_all = true;
  } else if (!strcmp(a, "--stats")) {
    o->stats = true;
  } else if (!strcmp(a, "--no-tokenizer")) {
    o->no_tokenizer = true;
  } else if (!strcmp(a, "--keep-temps")) {
    o->keep_temps = true;
  } else {
    return 0;
  }
#undef OPT
  return err ? -1 : 1;
}
