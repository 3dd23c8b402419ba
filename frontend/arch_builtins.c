/* arch_builtins.c — the table of built-in functions and tensor operations of
 * the architecture-description language (arch_builtins.def; see
 * arch_builtins.h). */
#include "frontend/arch_builtins.h"

#include <stdio.h>
#include <string.h>

static const arch_builtin builtins[] = {
#define ARCH_FUNCTION(id, name, min_args, max_args, usage)                                         \
  {#name, ABI_##id, false, min_args, max_args, {0}, usage},
#define ARCH_OP(id, name, min_args, max_args, usage, ...)                                          \
  {#name, ABI_##id, true, min_args, max_args, {__VA_ARGS__}, usage},
#include "frontend/arch_builtins.def"
#undef ARCH_FUNCTION
#undef ARCH_OP
};

const arch_builtin *arch_builtin_at(int k) {
  return k >= 0 && (size_t)k < sizeof builtins / sizeof builtins[0] ? &builtins[k] : NULL;
}

const arch_builtin *arch_builtin_find(const char *name) {
  for (size_t k = 0; k < sizeof builtins / sizeof builtins[0]; k++)
    if (!strcmp(builtins[k].name, name))
      return &builtins[k];
  return NULL;
}

int arch_builtin_kwarg(const arch_builtin *b, const char *name) {
  size_t n = strlen(name);
  for (int k = 0; k < ARCH_MAX_KWARGS && b->kwargs[k]; k++) {
    const char *kw = b->kwargs[k];
    size_t len = strlen(kw);
    if (len && kw[len - 1] == '!')
      len--;
    if (len == n && !strncmp(kw, name, n))
      return k;
  }
  return -1;
}

bool arch_builtin_kwarg_required(const arch_builtin *b, int k) {
  const char *kw = b->kwargs[k];
  size_t len = strlen(kw);
  return len && kw[len - 1] == '!';
}

const char *arch_builtin_kwarg_name(const arch_builtin *b, int k, char *buf, int size) {
  const char *kw = b->kwargs[k];
  int len = (int)strlen(kw);
  if (len && kw[len - 1] == '!')
    len--;
  snprintf(buf, (size_t)size, "%.*s", len, kw);
  return buf;
}

bool arch_is_predefined_name(const char *name) {
  return !strcmp(name, "arch") || !strcmp(name, "vocab_size") || !strcmp(name, "n_ctx");
}
