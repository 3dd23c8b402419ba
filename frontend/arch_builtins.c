/* arch_builtins.c — the table of built-in functions and tensor operations of
 * the architecture-description language (see arch_builtins.h). */
#include "frontend/arch_builtins.h"

#include <stdio.h>
#include <string.h>

static const arch_builtin builtins[] = {
    {"sqrt", ABI_SQRT, false, 1, 1, {0}, "sqrt(x)"},
    {"min", ABI_MIN, false, 2, -1, {0}, "min(a, b, ...)"},
    {"max", ABI_MAX, false, 2, -1, {0}, "max(a, b, ...)"},
    {"abs", ABI_ABS, false, 1, 1, {0}, "abs(x)"},
    {"floor", ABI_FLOOR, false, 1, 1, {0}, "floor(x)"},
    {"ceil", ABI_CEIL, false, 1, 1, {0}, "ceil(x)"},
    {"pow", ABI_POW, false, 2, 2, {0}, "pow(x, y)"},
    {"exp", ABI_EXP, false, 1, 1, {0}, "exp(x)"},
    {"log", ABI_LOG, false, 1, 1, {0}, "log(x)"},
    {"int", ABI_INT, false, 1, 1, {0}, "int(x)"},
    {"float", ABI_FLOAT, false, 1, 1, {0}, "float(x)"},
    {"f32", ABI_F32, false, 1, 1, {0}, "f32(x)"},
    {"len", ABI_LEN, false, 1, 1, {0}, "len(array or string or tensor)"},
    {"has", ABI_HAS, false, 1, 1, {0}, "has(weight)"},
    {"is_array", ABI_IS_ARRAY, false, 1, 1, {0}, "is_array(x)"},

    {"embed", ABI_EMBED, true, 2, 2, {0}, "embed(table, tok)"},
    {"rms_norm",
     ABI_RMS_NORM,
     true,
     1,
     2,
     {"eps!", "group"},
     "rms_norm(x, weight, eps = ..., group = ...)"},
    {"layer_norm",
     ABI_LAYER_NORM,
     true,
     1,
     3,
     {"eps!", "group"},
     "layer_norm(x, weight, bias, eps = ..., group = ...)"},
    {"matmul", ABI_MATMUL, true, 2, 2, {0}, "matmul(x, m)"},
    {"transpose", ABI_TRANSPOSE, true, 1, 1, {0}, "transpose(w)"},
    {"add", ABI_ADD, true, 2, 2, {0}, "add(a, b)"},
    {"mul", ABI_MUL, true, 2, 2, {0}, "mul(a, b)"},
    {"scale", ABI_SCALE, true, 1, 1, {"s!"}, "scale(x, s = ...)"},
    {"rope",
     ABI_ROPE,
     true,
     2,
     2,
     {"mode!", "head_dim!", "n_rot", "base!", "freq_scale", "freq_factors", "attn_factor"},
     "rope(x, pos, mode = \"normal\" | \"neox\", head_dim = ..., n_rot = ..., base = ..., "
     "freq_scale = ..., freq_factors = ..., attn_factor = ...)"},
    {"attention",
     ABI_ATTENTION,
     true,
     4,
     4,
     {"n_head!", "n_head_kv!", "head_dim!", "scale!", "window", "softcap"},
     "attention(q, k, v, pos, n_head = ..., n_head_kv = ..., head_dim = ..., scale = ..., "
     "window = ..., softcap = ...)"},
    {"causal_conv", ABI_CAUSAL_CONV, true, 3, 3, {0}, "causal_conv(x, taps, pos)"},
    {"silu", ABI_SILU, true, 1, 1, {0}, "silu(x)"},
    {"gelu", ABI_GELU, true, 1, 1, {0}, "gelu(x)"},
    {"softcap", ABI_SOFTCAP, true, 1, 1, {"cap!"}, "softcap(x, cap = ...)"},
    {"softmax", ABI_SOFTMAX, true, 1, 1, {0}, "softmax(x)"},
    {"slice", ABI_SLICE, true, 3, 3, {0}, "slice(x, start, length)"},
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
