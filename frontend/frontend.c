/* frontend.c — the frontend's entry point: pick the architecture
 * description for a GGUF file (a built-in one, or the user's --arch file),
 * then parse, check and run it to get the IR module (arch_lower.c).
 *
 * The built-in descriptions are frontend/archs/<name>.arch, embedded at build
 * time by cmake/embed_archs.cmake into the table gqc_builtin_archs[].
 */
#include "frontend/frontend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/arch_lower.h"
#include "support/input_file.h"

struct gqc_builtin_arch {
  const char *name, *file, *text;
};
extern const struct gqc_builtin_arch gqc_builtin_archs[];

static const struct gqc_builtin_arch *find_builtin(const char *name) {
  for (const struct gqc_builtin_arch *a = gqc_builtin_archs; a->name; a++)
    if (!strcmp(a->name, name))
      return a;
  return NULL;
}

const char *gqc_builtin_arch_text(const char *name) {
  const struct gqc_builtin_arch *a = name ? find_builtin(name) : NULL;
  return a ? a->text : NULL;
}

const char *gqc_builtin_arch_names(void) {
  static char names[512];
  size_t n = 0;
  names[0] = 0;
  for (const struct gqc_builtin_arch *a = gqc_builtin_archs; a->name && n < sizeof names; a++)
    n += (size_t)snprintf(names + n, sizeof names - n, "%s%s", n ? ", " : "", a->name);
  return names;
}

/* The largest description read (docs/untrusted-input.md). */
#define MAX_DESCRIPTION_BYTES ((size_t)1 << 20)

static ir_module *load(const gguf_file *f, const gqc_frontend_options *opts, gqc_diag *d) {
  static const gqc_frontend_options defaults = {0};
  if (!opts)
    opts = &defaults;
  const char *gguf_name = f->path ? f->path : "the GGUF file";

  if (opts->arch_file) {
    size_t len = 0;
    char why[256];
    char *text = gqc_input_read(opts->arch_file, MAX_DESCRIPTION_BYTES, &len, why, sizeof why);
    if (!text) {
      gqc_error(d, "%s: error: cannot read the architecture description: %s", opts->arch_file, why);
      return NULL;
    }
    ir_module *m = arch_compile(text, len, opts->arch_file, f, opts, d);
    free(text);
    return m;
  }

  const gguf_kv *kv = gguf_find_kv(f, "general.architecture");
  if (!kv || kv->value.type != GGUF_STRING) {
    gqc_error(d,
              "%s: error: no general.architecture string, so no built-in description applies; "
              "pass one with --arch FILE",
              gguf_name);
    return NULL;
  }
  char arch[128];
  snprintf(arch, sizeof arch, "%.*s", (int)(kv->value.v.s.len < 127 ? kv->value.v.s.len : 127),
           kv->value.v.s.ptr);
  /* A name with a NUL byte ("llama\0x") or longer than the buffer is not
   * the built-in it starts like. */
  const struct gqc_builtin_arch *a =
      strlen(arch) == kv->value.v.s.len ? find_builtin(arch) : NULL;
  if (!a) {
    gqc_error(d,
              "%s: error: architecture '%s' has no built-in description (built-in: %s); describe "
              "it in the architecture language (docs/arch-language.md) and pass the file with "
              "--arch FILE",
              gguf_name, arch, gqc_builtin_arch_names());
    return NULL;
  }
  return arch_compile(a->text, strlen(a->text), a->file, f, opts, d);
}

ir_module *gqc_frontend_load(const gguf_file *f, const gqc_frontend_options *opts, gqc_diag *d) {
  ir_module *m = load(f, opts, d);
  if (m && f->fd >= 0) { /* the weights point into f's mapping of this file */
    m->weight_file_fd = f->fd;
    m->weight_file_base = f->base;
    m->weight_file_size = f->size;
  }
  return m;
}
