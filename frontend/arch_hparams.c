/* arch_hparams.c — reading a description's hyperparameters from GGUF
 * metadata.
 *
 * `hparam n_head_kv: int = "{arch}.attention.head_count_kv" default n_head`
 * tries each key in turn; the first present one must have a GGUF type that
 * fits the declared type (int takes any integer type, float takes f32/f64
 * and integers, arrays match by element); absent keys fall back to the
 * default, and with no default the key is required. Arrays stay in the
 * mapped file and are read element by element (`pattern[l]`).
 *
 * Also here: the predefined `vocab_size` (the length of
 * tokenizer.ggml.tokens).
 */
#include "frontend/arch_interp.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char *gguf_type_name(gguf_vtype t) {
  static const char *names[] = {"u8",   "i8",     "u16",   "i16", "u32", "i32", "f32",
                                "bool", "string", "array", "u64", "i64", "f64"};
  return (unsigned)t < GGUF_VTYPE_COUNT ? names[t] : "unknown";
}

static bool is_int_type(gguf_vtype t) {
  return t == GGUF_U8 || t == GGUF_I8 || t == GGUF_U16 || t == GGUF_I16 || t == GGUF_U32 ||
         t == GGUF_I32 || t == GGUF_U64 || t == GGUF_I64;
}
static bool is_signed_type(gguf_vtype t) {
  return t == GGUF_I8 || t == GGUF_I16 || t == GGUF_I32 || t == GGUF_I64;
}
static bool is_float_type(gguf_vtype t) {
  return t == GGUF_F32 || t == GGUF_F64;
}

/* Converts a GGUF value to the declared type set. */
static bool convert(arch_interp *in, const arch_decl *d, const gguf_kv *kv, arch_value *out) {
  const gguf_value *v = &kv->value;
  unsigned t = d->types;
  char want[96];
  if (is_int_type(v->type) && (t & (ARCH_T_INT | ARCH_T_FLOAT))) {
    int64_t x;
    if (is_signed_type(v->type)) {
      x = v->v.i;
    } else {
      if (v->v.u > (uint64_t)INT64_MAX)
        return arch_fail(in, d->loc, "key '%s' in %s: %" PRIu64 " does not fit in an int", kv->key,
                         in->gguf_name, v->v.u);
      x = (int64_t)v->v.u;
    }
    *out = (t & ARCH_T_INT) ? arch_int(x) : arch_float((double)x);
    return true;
  }
  if (is_float_type(v->type) && (t & ARCH_T_FLOAT)) {
    *out = arch_float(v->v.f);
    return true;
  }
  if (v->type == GGUF_BOOL && (t & ARCH_T_BOOL)) {
    *out = arch_bool(v->v.u != 0);
    return true;
  }
  if (v->type == GGUF_STRING && (t & ARCH_T_STR)) {
    char *s = ir_alloc(in->m, v->v.s.len + 1);
    memcpy(s, v->v.s.ptr, v->v.s.len);
    out->kind = AV_STR;
    out->s = s;
    return true;
  }
  if (v->type == GGUF_ARRAY) {
    gguf_vtype e = v->v.arr.elem_type;
    bool ok = (is_int_type(e) && (t & (ARCH_T_INT_ARRAY | ARCH_T_FLOAT_ARRAY))) ||
              (is_float_type(e) && (t & ARCH_T_FLOAT_ARRAY)) ||
              (e == GGUF_BOOL && (t & ARCH_T_BOOL_ARRAY)) ||
              (e == GGUF_STRING && (t & ARCH_T_STR_ARRAY));
    if (ok) {
      *out = (arch_value){.kind = AV_ARRAY, .arr = v, .arr_name = kv->key};
      return true;
    }
    return arch_fail(in, d->loc, "key '%s' in %s is an array of %s, but hparam '%s' is declared %s",
                     kv->key, in->gguf_name, gguf_type_name(e), d->name,
                     arch_type_set_str(t, want, sizeof want));
  }
  return arch_fail(in, d->loc, "key '%s' in %s is a %s, but hparam '%s' is declared %s", kv->key,
                   in->gguf_name, gguf_type_name(v->type), d->name,
                   arch_type_set_str(t, want, sizeof want));
}

/* Checks a default value against the declared types (int widens to float). */
static bool check_default(arch_interp *in, const arch_decl *d, arch_value *v) {
  unsigned t = d->types;
  char want[96], got[128];
  if (v->kind == AV_INT && (t & ARCH_T_INT))
    return true;
  if (v->kind == AV_INT && (t & ARCH_T_FLOAT)) {
    *v = arch_float((double)v->i);
    return true;
  }
  if ((v->kind == AV_FLOAT && (t & ARCH_T_FLOAT)) || (v->kind == AV_BOOL && (t & ARCH_T_BOOL)) ||
      (v->kind == AV_STR && (t & ARCH_T_STR)))
    return true;
  if (v->kind == AV_ARRAY) {
    gguf_vtype e = v->arr->v.arr.elem_type;
    if ((is_int_type(e) && (t & ARCH_T_INT_ARRAY)) ||
        (is_float_type(e) && (t & ARCH_T_FLOAT_ARRAY)) ||
        (e == GGUF_BOOL && (t & ARCH_T_BOOL_ARRAY)) || (e == GGUF_STRING && (t & ARCH_T_STR_ARRAY)))
      return true;
  }
  return arch_fail(in, d->dflt->loc, "the default of hparam '%s' is %s, but it is declared %s",
                   d->name, arch_value_kind_str(v, got, sizeof got),
                   arch_type_set_str(t, want, sizeof want));
}

bool arch_read_hparam(arch_interp *in, const arch_decl *d, arch_value *out) {
  char tried[600] = "";
  size_t len = 0;
  int n_keys = 0;
  for (const arch_keylist *k = d->keys; k; k = k->next) {
    const char *key;
    if (!arch_eval_string(in, NULL, k->key, &key))
      return false;
    const gguf_kv *kv = gguf_find_kv(in->g, key);
    if (kv)
      return convert(in, d, kv, out);
    if (len < sizeof tried)
      len += (size_t)snprintf(tried + len, sizeof tried - len, "%s'%s'",
                              n_keys == 0 ? ""
                              : k->next   ? ", "
                                          : " or ",
                              key);
    n_keys++;
  }
  if (d->dflt) {
    if (!arch_eval(in, NULL, d->dflt, out))
      return false;
    return check_default(in, d, out);
  }
  return arch_fail(in, d->loc, "%s has no key %s (required by hparam '%s')", in->gguf_name, tried,
                   d->name);
}

bool arch_vocab_size(arch_interp *in, arch_loc loc, int64_t *out) {
  if (in->vocab_size >= 0) {
    *out = in->vocab_size;
    return true;
  }
  const gguf_kv *kv = gguf_find_kv(in->g, "tokenizer.ggml.tokens");
  if (!kv || kv->value.type != GGUF_ARRAY || kv->value.v.arr.elem_type != GGUF_STRING)
    return arch_fail(in, loc,
                     "vocab_size: %s has no tokenizer.ggml.tokens string array (the vocabulary)",
                     in->gguf_name);
  if (kv->value.v.arr.count > (uint64_t)INT32_MAX)
    return arch_fail(in, loc, "vocab_size: %" PRIu64 " tokens is too many", kv->value.v.arr.count);
  in->vocab_size = (int64_t)kv->value.v.arr.count;
  *out = in->vocab_size;
  return true;
}

int64_t arch_array_len(const arch_value *arr) {
  return (int64_t)arr->arr->v.arr.count;
}

bool arch_array_get(arch_interp *in, const arch_value *arr, int64_t i, arch_loc loc,
                    arch_value *out) {
  int64_t n = arch_array_len(arr);
  if (i < 0 || i >= n)
    return arch_fail(in, loc, "index %" PRId64 " is out of range for '%s' (%" PRId64 " elements)",
                     i, arr->arr_name ? arr->arr_name : "array", n);
  gguf_vtype e = arr->arr->v.arr.elem_type;
  if (e == GGUF_BOOL) {
    *out = arch_bool(gguf_arr_i64(arr->arr, (uint64_t)i) != 0);
  } else if (is_float_type(e)) {
    *out = arch_float(gguf_arr_f64(arr->arr, (uint64_t)i));
  } else if (e == GGUF_STRING) {
    gguf_str s = gguf_arr_str(arr->arr, (uint64_t)i);
    char *c = ir_alloc(in->m, s.len + 1);
    memcpy(c, s.ptr, s.len);
    *out = (arch_value){.kind = AV_STR, .s = c};
  } else if (e == GGUF_U64) {
    int64_t x = gguf_arr_i64(arr->arr, (uint64_t)i);
    if (x < 0)
      return arch_fail(in, loc, "element %" PRId64 " of '%s' does not fit in an int", i,
                       arr->arr_name);
    *out = arch_int(x);
  } else if (is_int_type(e)) {
    *out = arch_int(gguf_arr_i64(arr->arr, (uint64_t)i));
  } else {
    return arch_fail(in, loc, "'%s' holds elements of type %s, which cannot be read", arr->arr_name,
                     gguf_type_name(e));
  }
  return true;
}
