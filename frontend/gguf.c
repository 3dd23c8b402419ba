/* gguf.c — the validating GGUF reader (contract in gguf.h).
 *
 * A GGUF file is untrusted input: every number in it is a claim to be
 * checked before it is used to index, allocate or loop. The reader
 * therefore works as a single forward pass over the bytes with a cursor
 * (struct cursor) whose every read first proves that the bytes exist; any
 * failure stops the parse with a message of the form
 *
 *     <path>: offset 0x<hex>: <what is wrong>
 *
 * where the offset is the position of the offending field, and the same
 * offset in gguf_error.offset.
 *
 * The file is laid out as
 *
 *     header     "GGUF", u32 version, u64 n_tensors, u64 n_kv
 *     n_kv       key (u64 length + bytes), u32 value type, value
 *     n_tensors  name, u32 n_dims, n_dims x u64 ne, u32 type, u64 offset
 *     padding    up to general.alignment (default 32)
 *     data       the tensors, each at data_offset + offset
 *
 * Allocation discipline. Nothing is ever allocated from a count that has
 * not been bounded by the bytes that remain: a KV needs at least 14 bytes,
 * a tensor info at least 32, an array element at least its own size (a
 * string element at least its 8-byte length prefix). So a header that
 * claims 2^60 tensors fails at once, and every allocation is at most a small
 * constant times the file size. Keys and tensor names are checked for
 * duplicates with open-addressing hash tables (not quadratic scans), and
 * tensor data ranges for overlaps by sorting them once.
 *
 * Ownership. The returned gguf_file owns the mapping and the open file
 * (gguf_open) or just borrows the caller's buffer (gguf_open_memory), plus
 * one arena of NUL-terminated copies of keys and names, the KV and tensor
 * arrays, the per-string-array offset tables and the lookup hash tables, all
 * in priv.
 */
#define _POSIX_C_SOURCE 200809L

#include "frontend/gguf.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/escape.h"
#include "support/input_file.h"
#include "support/name_map.h"
#include "support/xalloc.h"

enum {
  HEADER_BYTES = 24,
  MIN_KV_BYTES = 8 + 1 + 4 + 1,              /* key length, 1-byte key, type, u8 value */
  MIN_TENSOR_INFO_BYTES = 8 + 4 + 8 + 4 + 8, /* empty name, n_dims, one ne, type, offset */
  MAX_TENSOR_NAME = 63,                      /* ggml's GGML_MAX_NAME (64) minus the NUL */
  DEFAULT_ALIGNMENT = 32,
  MAX_ALIGNMENT = 1u << 20,
  MAX_DIMS = 4,
};
#define MAX_ELEMENTS (UINT64_C(1) << 62)

/* ---- ggml type table -------------------------------------------------- */

typedef struct type_info {
  const char *name;
  uint32_t block_elems, block_bytes;
} type_info;

/* Indexed by ggml type id (the encoding table's rows); a NULL name marks
 * an id this reader does not know as a storage format. */
static const type_info type_table[] = {
#define GQCRT_ENCODING(ID, name, ggml_type, elems, bytes, act, d_off, m_off)                       \
  [ggml_type] = {#name, elems, bytes},
#include "runtime/include/gqcrt_encodings.def"
#include "support/printf_format.h"
#undef GQCRT_ENCODING
};

static const type_info *type_lookup(uint32_t type) {
  if (type >= sizeof type_table / sizeof type_table[0] || !type_table[type].name)
    return NULL;
  return &type_table[type];
}

bool ggml_type_block(uint32_t type, uint32_t *block_elems, uint32_t *block_bytes) {
  const type_info *t = type_lookup(type);
  if (!t)
    return false;
  if (block_elems)
    *block_elems = t->block_elems;
  if (block_bytes)
    *block_bytes = t->block_bytes;
  return true;
}

const char *ggml_type_name(uint32_t type) {
  const type_info *t = type_lookup(type);
  return t ? t->name : NULL;
}

/* ggml types this reader knows of but does not accept as weights, so the
 * message can say what the id is. */
static const char *unsupported_type_name(uint32_t type) {
  static const char *const names[] = {
      [4] = "q4_2 (removed from ggml)",
      [5] = "q4_3 (removed from ggml)",
      [16] = "iq2_xxs",
      [17] = "iq2_xs",
      [18] = "iq3_xxs",
      [19] = "iq1_s",
      [20] = "iq4_nl",
      [21] = "iq3_s",
      [22] = "iq2_s",
      [23] = "iq4_xs",
      [24] = "i8",
      [25] = "i16",
      [26] = "i32",
      [27] = "i64",
      [28] = "f64",
      [29] = "iq1_m",
      [34] = "tq1_0",
      [35] = "tq2_0",
      [39] = "mxfp4",
  };
  return type < sizeof names / sizeof names[0] ? names[type] : NULL;
}

/* What a metadata value type is: its name in messages, its size in bytes
 * (0: a string or an array), and which member of gguf_value it decodes to. */
typedef enum { VT_OTHER, VT_UNSIGNED, VT_SIGNED, VT_FLOAT, VT_BOOL } vtype_kind;
static const struct vtype_info {
  const char *name;
  uint8_t size, kind;
} vtypes[GGUF_VTYPE_COUNT] = {
    [GGUF_U8] = {"u8", 1, VT_UNSIGNED},      [GGUF_I8] = {"i8", 1, VT_SIGNED},
    [GGUF_U16] = {"u16", 2, VT_UNSIGNED},    [GGUF_I16] = {"i16", 2, VT_SIGNED},
    [GGUF_U32] = {"u32", 4, VT_UNSIGNED},    [GGUF_I32] = {"i32", 4, VT_SIGNED},
    [GGUF_F32] = {"f32", 4, VT_FLOAT},       [GGUF_BOOL] = {"bool", 1, VT_BOOL},
    [GGUF_STRING] = {"string", 0, VT_OTHER}, [GGUF_ARRAY] = {"array", 0, VT_OTHER},
    [GGUF_U64] = {"u64", 8, VT_UNSIGNED},    [GGUF_I64] = {"i64", 8, VT_SIGNED},
    [GGUF_F64] = {"f64", 8, VT_FLOAT},
};

static const char *vtype_name(uint32_t t) {
  return t < GGUF_VTYPE_COUNT ? vtypes[t].name : "unknown";
}

uint32_t gguf_vtype_size(uint32_t t) {
  return t < GGUF_VTYPE_COUNT ? vtypes[t].size : 0;
}

/* ---- little-endian loads ---------------------------------------------- */

static uint32_t load_u32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static uint64_t load_u64(const uint8_t *p) {
  return (uint64_t)load_u32(p) | ((uint64_t)load_u32(p + 4) << 32);
}
/* The size-byte little-endian integer at p (size 1, 2, 4 or 8). */
static uint64_t load_le(const uint8_t *p, unsigned size) {
  uint64_t v = 0;
  for (unsigned k = 0; k < size; k++)
    v |= (uint64_t)p[k] << (8 * k);
  return v;
}

/* ---- errors ------------------------------------------------------------ */

/* The message, escaped (support/escape.h): names and keys are file bytes. */
static void set_error(gguf_error *err, const char *path, uint64_t offset, const char *fmt,
                      va_list ap) {
  if (!err)
    return;
  char raw[sizeof err->msg];
  int n = snprintf(raw, sizeof raw, "%s: offset 0x%" PRIx64 ": ", path, offset);
  if (n < 0)
    n = 0;
  if ((size_t)n < sizeof raw)
    vsnprintf(raw + n, sizeof raw - (size_t)n, fmt, ap);
  gqc_escape_str(err->msg, sizeof err->msg, raw);
  err->offset = offset;
}

static void report(gguf_error *err, const char *path, uint64_t offset, const char *fmt, ...)
    GQC_PRINTF(4, 5);
static void report(gguf_error *err, const char *path, uint64_t offset, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  set_error(err, path, offset, fmt, ap);
  va_end(ap);
}

/* ---- hash table of names (keys or tensor names) ----------------------- */

typedef struct name_table {
  uint64_t mask;  /* capacity - 1 (capacity is a power of two) */
  uint64_t *slot; /* index + 1; 0 = empty */
} name_table;

static bool table_init(name_table *t, uint64_t n) {
  t->mask = gqc_name_table_slots(n) - 1;
  t->slot = calloc(t->mask + 1, sizeof *t->slot);
  return t->slot != NULL;
}

/* Finds `name` among the entries (get(i) yields entry i's name); inserts
 * index `idx` if absent. Returns the index of an existing equal entry, or
 * UINT64_MAX if it was inserted. */
typedef gguf_str (*name_of_fn)(const void *ctx, uint64_t i);
static uint64_t table_insert(name_table *t, gguf_str name, uint64_t idx, name_of_fn get,
                             const void *ctx) {
  uint64_t h = gqc_name_hash_bytes(name.ptr, name.len) & t->mask;
  for (;; h = (h + 1) & t->mask) {
    uint64_t s = t->slot[h];
    if (s == 0) {
      t->slot[h] = idx + 1;
      return UINT64_MAX;
    }
    gguf_str other = get(ctx, s - 1);
    if (other.len == name.len && memcmp(other.ptr, name.ptr, name.len) == 0)
      return s - 1;
  }
}

/* ---- private state ------------------------------------------------------ */

typedef struct gguf_priv {
  void *map; /* owned mapping, or NULL when the buffer is the caller's */
  uint64_t map_size;
  char *path;           /* copy of the path / name */
  char *names;          /* arena of NUL-terminated keys and tensor names */
  gguf_str *key_raw;    /* keys as they appear in the file */
  gguf_str *tname_raw;  /* tensor names as they appear in the file */
  uint64_t *toff_field; /* file offset of each tensor's offset field */
  name_table keys, tnames;
} gguf_priv;

static gguf_str key_at(const void *ctx, uint64_t i) {
  return ((const gguf_priv *)ctx)->key_raw[i];
}
static gguf_str tname_at(const void *ctx, uint64_t i) {
  return ((const gguf_priv *)ctx)->tname_raw[i];
}

static void free_file(gguf_file *f) {
  if (!f)
    return;
  gguf_priv *p = f->priv;
  if (f->kv) {
    for (uint64_t i = 0; i < f->n_kv; i++)
      if (f->kv[i].value.type == GGUF_ARRAY)
        free((void *)f->kv[i].value.v.arr.str_offsets);
    free(f->kv);
  }
  free(f->tensors);
  if (f->fd >= 0)
    close(f->fd);
  if (p) {
    if (p->map)
      munmap(p->map, (size_t)p->map_size);
    free(p->path);
    free(p->names);
    free(p->key_raw);
    free(p->tname_raw);
    free(p->toff_field);
    free(p->keys.slot);
    free(p->tnames.slot);
    free(p);
  }
  free(f);
}

void gguf_close(gguf_file *f) {
  free_file(f);
}

/* ---- the cursor ----------------------------------------------------------- */

typedef struct cursor {
  const uint8_t *base;
  uint64_t size;
  uint64_t pos;
  const char *path;
  gguf_error *err;
} cursor;

static uint64_t remaining(const cursor *c) {
  return c->size - c->pos;
}

/* Ensures n more bytes exist; on failure reports "unexpected end of file
 * while reading <what>" at the current position. */
static bool need(cursor *c, uint64_t n, const char *what) {
  if (n <= remaining(c))
    return true;
  report(c->err, c->path, c->pos,
         "unexpected end of file reading %s (need %" PRIu64 " bytes, %" PRIu64 " left)", what, n,
         remaining(c));
  return false;
}

static bool read_u32(cursor *c, uint32_t *out, const char *what) {
  if (!need(c, 4, what))
    return false;
  *out = load_u32(c->base + c->pos);
  c->pos += 4;
  return true;
}

static bool read_u64(cursor *c, uint64_t *out, const char *what) {
  if (!need(c, 8, what))
    return false;
  *out = load_u64(c->base + c->pos);
  c->pos += 8;
  return true;
}

/* A gguf string: u64 length, then that many bytes. */
static bool read_str(cursor *c, gguf_str *out, const char *what) {
  uint64_t at = c->pos, len;
  if (!read_u64(c, &len, what))
    return false;
  if (len > remaining(c)) {
    report(c->err, c->path, at,
           "%s length %" PRIu64 " runs past the end of the file (%" PRIu64 " bytes left)", what,
           len, remaining(c));
    return false;
  }
  out->ptr = (const char *)(c->base + c->pos);
  out->len = len;
  c->pos += len;
  return true;
}

/* Decodes the fixed-size value of type t (not string or array) at p into v:
 * unsigned types and bool into v.u, signed types into v.i, floats into v.f.
 * Shared by scalar KVs and array elements. */
static void decode_fixed(uint32_t t, const uint8_t *p, gguf_value *v) {
  v->type = (gguf_vtype)t;
  if (t >= GGUF_VTYPE_COUNT)
    return;
  const unsigned size = vtypes[t].size;
  const uint64_t bits = load_le(p, size);
  switch (vtypes[t].kind) {
  case VT_UNSIGNED:
    v->v.u = bits;
    break;
  case VT_BOOL:
    v->v.u = bits != 0;
    break;
  case VT_SIGNED: {
    const uint64_t sign = (uint64_t)1 << (8 * size - 1);
    v->v.i = size == 8 ? (int64_t)bits : (int64_t)(bits ^ sign) - (int64_t)sign;
    break;
  }
  case VT_FLOAT:
    if (size == 4) {
      const uint32_t u = (uint32_t)bits;
      float f;
      memcpy(&f, &u, sizeof f);
      v->v.f = f;
    } else {
      memcpy(&v->v.f, &bits, sizeof v->v.f);
    }
    break;
  default:
    break;
  }
}

/* Reads a scalar (non-array) value of type t at the cursor. */
static bool read_scalar(cursor *c, uint32_t t, gguf_value *v, const char *what) {
  v->type = (gguf_vtype)t;
  if (t == GGUF_STRING)
    return read_str(c, &v->v.s, what);
  uint32_t sz = gguf_vtype_size(t);
  if (!need(c, sz, what))
    return false;
  decode_fixed(t, c->base + c->pos, v);
  c->pos += sz;
  return true;
}

/* Reads an array value (after its u32 value type): element type, count and
 * the elements, all checked; string arrays get their offset table. */
static bool read_array(cursor *c, gguf_value *v, const char *key) {
  uint64_t et_at = c->pos;
  uint32_t et;
  if (!read_u32(c, &et, "array element type"))
    return false;
  if (et == GGUF_ARRAY) {
    report(c->err, c->path, et_at, "key '%s': nested arrays (array of arrays) are not supported",
           key);
    return false;
  }
  if (et >= GGUF_VTYPE_COUNT) {
    report(c->err, c->path, et_at, "key '%s': unknown array element type %" PRIu32, key, et);
    return false;
  }
  uint64_t count_at = c->pos, count;
  if (!read_u64(c, &count, "array length"))
    return false;
  uint64_t elem_min = et == GGUF_STRING ? 8 : gguf_vtype_size(et);
  if (count > remaining(c) / elem_min) {
    report(c->err, c->path, count_at,
           "key '%s': array of %" PRIu64 " %s elements cannot fit in the %" PRIu64
           " bytes left in the file",
           key, count, vtype_name(et), remaining(c));
    return false;
  }
  v->type = GGUF_ARRAY;
  v->v.arr.elem_type = (gguf_vtype)et;
  v->v.arr.count = count;
  v->v.arr.data = c->base + c->pos;
  v->v.arr.file_offset = c->pos;
  v->v.arr.str_offsets = NULL;
  if (et != GGUF_STRING) {
    c->pos += count * elem_min;
    return true;
  }
  uint64_t *offs = malloc((count ? count : 1) * sizeof *offs);
  if (!offs) {
    report(c->err, c->path, count_at, "out of memory for a %" PRIu64 "-element string array",
           count);
    return false;
  }
  v->v.arr.str_offsets = offs; /* owned by the KV from here on */
  uint64_t start = c->pos;
  for (uint64_t i = 0; i < count; i++) {
    offs[i] = c->pos - start;
    gguf_str s;
    if (!read_str(c, &s, "array string"))
      return false;
  }
  return true;
}

/* ---- the parse ---------------------------------------------------------- */

static bool parse_header(cursor *c, gguf_file *f) {
  if (!need(c, 4, "the magic"))
    return false;
  if (memcmp(c->base, "GGUF", 4) != 0) {
    report(c->err, c->path, 0, "bad magic %02x %02x %02x %02x (expected \"GGUF\"): not a GGUF file",
           c->base[0], c->base[1], c->base[2], c->base[3]);
    return false;
  }
  c->pos = 4;
  if (!read_u32(c, &f->version, "the version"))
    return false;
  if (f->version != 2 && f->version != 3) {
    const char *hint = "";
    if (f->version == 1)
      hint = " (GGUF v1 is obsolete)";
    else if ((f->version & 0xffff) == 0 && f->version != 0)
      hint = " (a big-endian file?)";
    report(c->err, c->path, 4, "unsupported GGUF version %" PRIu32 "%s; only 2 and 3 are read",
           f->version, hint);
    return false;
  }
  if (!read_u64(c, &f->n_tensors, "the tensor count") || !read_u64(c, &f->n_kv, "the KV count"))
    return false;
  uint64_t rest = remaining(c);
  if (f->n_tensors > rest / MIN_TENSOR_INFO_BYTES) {
    report(c->err, c->path, 8,
           "tensor count %" PRIu64 " cannot fit in the %" PRIu64
           " bytes after the header (a tensor info needs at least %d)",
           f->n_tensors, rest, MIN_TENSOR_INFO_BYTES);
    return false;
  }
  if (f->n_kv > (rest - f->n_tensors * MIN_TENSOR_INFO_BYTES) / MIN_KV_BYTES) {
    report(c->err, c->path, 16,
           "KV count %" PRIu64 " cannot fit in the %" PRIu64
           " bytes after the header (a KV needs at least %d)",
           f->n_kv, rest, MIN_KV_BYTES);
    return false;
  }
  return true;
}

/* A name read by read_name, a KV's key or a tensor's name, as messages call
 * it: "KV 3 has an empty key", "duplicate tensor name '...'". */
typedef struct name_kind {
  const char *entry, *part, *what; /* "KV", "key", "key"; "tensor", "name", "tensor name" */
  int shown;                       /* bytes of it messages show (then "...") */
  uint64_t max_len;                /* 0: no limit */
  name_of_fn raw;                  /* entry i's name */
  uint64_t (*offset)(const gguf_file *f, uint64_t i); /* entry i's offset */
} name_kind;

static uint64_t key_offset(const gguf_file *f, uint64_t i) {
  return f->kv[i].file_offset;
}
static uint64_t tname_offset(const gguf_file *f, uint64_t i) {
  return f->tensors[i].info_offset;
}
static const name_kind key_name = {"KV", "key", "key", 100, 0, key_at, key_offset};
static const name_kind tensor_name = {"tensor",        "name",   "tensor name", 64,
                                      MAX_TENSOR_NAME, tname_at, tname_offset};

/* The names of n entries as they appear in the file, and their table. */
static bool names_init(gguf_str **raw, name_table *t, uint64_t n) {
  *raw = calloc(n ? n : 1, sizeof **raw);
  return *raw && table_init(t, n);
}

/* Reads entry i's name, which starts the entry (its offset into *at), at the
 * cursor into raw[i] and a printable prefix of it into shown; enters it into
 * the names seen so far (`seen`). False, reported, when it is empty, too
 * long, holds a NUL byte, or an earlier entry has it. */
static bool read_name(cursor *c, const gguf_file *f, const gguf_priv *p, const name_kind *k,
                      name_table *seen, gguf_str *raw, uint64_t i, uint64_t *at, char *shown,
                      size_t n) {
  *at = c->pos;
  gguf_str *s = &raw[i];
  if (!read_str(c, s, k->what))
    return false;
  snprintf(shown, n, "%.*s%s", (int)(s->len < (uint64_t)k->shown ? s->len : (uint64_t)k->shown),
           s->ptr, s->len > (uint64_t)k->shown ? "..." : "");
  if (s->len == 0) {
    report(c->err, c->path, *at, "%s %" PRIu64 " has an empty %s", k->entry, i, k->part);
    return false;
  }
  if (k->max_len && s->len > k->max_len) {
    report(c->err, c->path, *at, "%s '%s' is %" PRIu64 " bytes long; ggml's limit is %d", k->what,
           shown, s->len, (int)k->max_len);
    return false;
  }
  if (memchr(s->ptr, 0, s->len)) {
    report(c->err, c->path, *at, "%s %" PRIu64 ": %s contains a NUL byte", k->entry, i, k->part);
    return false;
  }
  uint64_t dup = table_insert(seen, *s, i, k->raw, p);
  if (dup != UINT64_MAX) {
    report(c->err, c->path, *at, "duplicate %s '%s' (first defined at offset 0x%" PRIx64 ")",
           k->what, shown, k->offset(f, dup));
    return false;
  }
  return true;
}

static bool parse_kvs(cursor *c, gguf_file *f, gguf_priv *p) {
  f->kv = calloc(f->n_kv ? f->n_kv : 1, sizeof *f->kv);
  if (!f->kv || !names_init(&p->key_raw, &p->keys, f->n_kv)) {
    report(c->err, c->path, 16, "out of memory for %" PRIu64 " KVs", f->n_kv);
    return false;
  }
  char key[128]; /* a printable prefix of the key, for messages */
  for (uint64_t i = 0; i < f->n_kv; i++) {
    gguf_kv *kv = &f->kv[i];
    if (!read_name(c, f, p, &key_name, &p->keys, p->key_raw, i, &kv->file_offset, key, sizeof key))
      return false;
    uint64_t type_at = c->pos;
    uint32_t t;
    if (!read_u32(c, &t, "value type"))
      return false;
    if (t >= GGUF_VTYPE_COUNT) {
      report(c->err, c->path, type_at, "key '%s': unknown value type %" PRIu32, key, t);
      return false;
    }
    char what[160];
    snprintf(what, sizeof what, "the value of key '%s'", key);
    bool ok =
        t == GGUF_ARRAY ? read_array(c, &kv->value, key) : read_scalar(c, t, &kv->value, what);
    kv->value.type = (gguf_vtype)t; /* so free_file sees a partial string array */
    if (!ok)
      return false;
  }
  return true;
}

/* general.alignment: optional, a u32 power of two in 1..1 MiB. */
static bool check_alignment(cursor *c, gguf_file *f, gguf_priv *p) {
  f->alignment = DEFAULT_ALIGNMENT;
  const gguf_kv *kv = gguf_find_kv(f, "general.alignment"); /* keys are not copied yet */
  if (!kv)
    return true;
  uint64_t at = kv->file_offset + 8 + p->key_raw[kv - f->kv].len; /* the value type field */
  if (kv->value.type != GGUF_U32) {
    report(c->err, c->path, at, "general.alignment has type %s; it must be u32",
           vtype_name(kv->value.type));
    return false;
  }
  uint64_t a = kv->value.v.u;
  if (a == 0 || (a & (a - 1)) != 0 || a > MAX_ALIGNMENT) {
    report(c->err, c->path, at + 4,
           "general.alignment %" PRIu64 " is not a power of two between 1 and %u", a,
           (unsigned)MAX_ALIGNMENT);
    return false;
  }
  f->alignment = (uint32_t)a;
  return true;
}

static bool parse_tensor_infos(cursor *c, gguf_file *f, gguf_priv *p) {
  uint64_t n = f->n_tensors ? f->n_tensors : 1;
  f->tensors = calloc(n, sizeof *f->tensors);
  p->toff_field = calloc(n, sizeof *p->toff_field);
  if (!f->tensors || !p->toff_field || !names_init(&p->tname_raw, &p->tnames, f->n_tensors)) {
    report(c->err, c->path, 8, "out of memory for %" PRIu64 " tensors", f->n_tensors);
    return false;
  }
  char name[80];
  for (uint64_t i = 0; i < f->n_tensors; i++) {
    gguf_tensor *t = &f->tensors[i];
    if (!read_name(c, f, p, &tensor_name, &p->tnames, p->tname_raw, i, &t->info_offset, name,
                   sizeof name))
      return false;

    uint64_t nd_at = c->pos;
    if (!read_u32(c, &t->n_dims, "tensor n_dims"))
      return false;
    if (t->n_dims < 1 || t->n_dims > MAX_DIMS) {
      report(c->err, c->path, nd_at, "tensor '%s': n_dims %" PRIu32 " is not in 1..%d", name,
             t->n_dims, MAX_DIMS);
      return false;
    }
    uint64_t nelem = 1;
    for (uint32_t d = 0; d < MAX_DIMS; d++) {
      t->ne[d] = 1;
      if (d >= t->n_dims)
        continue;
      uint64_t ne_at = c->pos;
      if (!read_u64(c, &t->ne[d], "tensor dimension"))
        return false;
      if (t->ne[d] == 0) {
        report(c->err, c->path, ne_at, "tensor '%s': dimension %" PRIu32 " is zero", name, d);
        return false;
      }
      if (t->ne[d] > (MAX_ELEMENTS - 1) / nelem) {
        report(c->err, c->path, ne_at,
               "tensor '%s': dimension %" PRIu32 " = %" PRIu64
               " makes the element count overflow (limit 2^62)",
               name, d, t->ne[d]);
        return false;
      }
      nelem *= t->ne[d];
    }

    uint64_t type_at = c->pos;
    if (!read_u32(c, &t->type, "tensor type"))
      return false;
    uint32_t be, bb;
    if (t->type == GGML_Q8_1 || t->type == GGML_Q8_K) {
      report(c->err, c->path, type_at,
             "tensor '%s': type id %" PRIu32 " (%s) is an activation-only format, not valid in a "
             "model file",
             name, t->type, ggml_type_name(t->type));
      return false;
    }
    if (!ggml_type_block(t->type, &be, &bb)) {
      const char *known = unsupported_type_name(t->type);
      if (known)
        report(c->err, c->path, type_at, "tensor '%s': type id %" PRIu32 " (%s) is not supported",
               name, t->type, known);
      else
        report(c->err, c->path, type_at, "tensor '%s': unknown type id %" PRIu32, name, t->type);
      return false;
    }
    if (t->ne[0] % be != 0) {
      report(c->err, c->path, nd_at + 4,
             "tensor '%s': ne[0] = %" PRIu64 " is not a multiple of the %s block size %" PRIu32,
             name, t->ne[0], ggml_type_name(t->type), be);
      return false;
    }
    t->nbytes = nelem / be * bb; /* < 2^62 / 1 * 4 at most: no overflow */

    p->toff_field[i] = c->pos;
    if (!read_u64(c, &t->offset, "tensor data offset"))
      return false;
  }
  return true;
}

typedef struct range_ref {
  uint64_t offset, index;
} range_ref;

static int cmp_range(const void *a, const void *b) {
  uint64_t x = ((const range_ref *)a)->offset, y = ((const range_ref *)b)->offset;
  return x < y ? -1 : x > y;
}

/* Offsets aligned, ranges within the file, no two ranges overlapping. */
static bool check_tensor_data(cursor *c, gguf_file *f, gguf_priv *p) {
  uint64_t aligned = c->pos + (f->alignment - c->pos % f->alignment) % f->alignment;
  if (f->n_tensors == 0) {
    /* No data section; files written without trailing padding are fine. */
    f->data_offset = aligned < c->size ? aligned : c->size;
    return true;
  }
  if (aligned > c->size) {
    report(c->err, c->path, c->pos,
           "file truncated: the tensor data section should start at 0x%" PRIx64
           " (after padding to %" PRIu32 ") but the file is only %" PRIu64 " bytes",
           aligned, f->alignment, c->size);
    return false;
  }
  f->data_offset = aligned;
  uint64_t room = c->size - aligned;
  for (uint64_t i = 0; i < f->n_tensors; i++) {
    gguf_tensor *t = &f->tensors[i];
    if (t->offset % f->alignment != 0) {
      report(c->err, c->path, p->toff_field[i],
             "tensor '%s': data offset 0x%" PRIx64 " is not a multiple of the alignment %" PRIu32,
             f->tensors[i].name, t->offset, f->alignment);
      return false;
    }
    if (t->offset > room || t->nbytes > room - t->offset) {
      report(c->err, c->path, p->toff_field[i],
             "tensor '%s': data [0x%" PRIx64 ", +%" PRIu64 " bytes) runs past the end of the "
             "file (data section is %" PRIu64 " bytes)",
             f->tensors[i].name, t->offset, t->nbytes, room);
      return false;
    }
    t->data = c->base + aligned + t->offset;
  }
  range_ref *order = malloc(f->n_tensors * sizeof *order);
  if (!order) {
    report(c->err, c->path, 8, "out of memory sorting %" PRIu64 " tensors", f->n_tensors);
    return false;
  }
  for (uint64_t i = 0; i < f->n_tensors; i++)
    order[i] = (range_ref){f->tensors[i].offset, i};
  qsort(order, f->n_tensors, sizeof *order, cmp_range);
  for (uint64_t k = 1; k < f->n_tensors; k++) {
    const gguf_tensor *a = &f->tensors[order[k - 1].index], *b = &f->tensors[order[k].index];
    if (b->offset < a->offset + a->nbytes) {
      report(c->err, c->path, p->toff_field[order[k].index],
             "tensor '%s': data [0x%" PRIx64 ", 0x%" PRIx64
             ") overlaps tensor '%s' data [0x%" PRIx64 ", 0x%" PRIx64 ")",
             b->name, b->offset, b->offset + b->nbytes, a->name, a->offset, a->offset + a->nbytes);
      free(order);
      return false;
    }
  }
  free(order);
  return true;
}

/* Copies every key and tensor name into one arena, NUL-terminated. */
static bool copy_names(cursor *c, gguf_file *f, gguf_priv *p) {
  uint64_t total = 1;
  for (uint64_t i = 0; i < f->n_kv; i++)
    total += p->key_raw[i].len + 1;
  for (uint64_t i = 0; i < f->n_tensors; i++)
    total += p->tname_raw[i].len + 1;
  p->names = malloc(total);
  if (!p->names) {
    report(c->err, c->path, 0, "out of memory for %" PRIu64 " bytes of names", total);
    return false;
  }
  char *w = p->names;
  for (uint64_t i = 0; i < f->n_kv; i++) {
    memcpy(w, p->key_raw[i].ptr, p->key_raw[i].len);
    w[p->key_raw[i].len] = 0;
    f->kv[i].key = w;
    w += p->key_raw[i].len + 1;
  }
  for (uint64_t i = 0; i < f->n_tensors; i++) {
    memcpy(w, p->tname_raw[i].ptr, p->tname_raw[i].len);
    w[p->tname_raw[i].len] = 0;
    f->tensors[i].name = w;
    w += p->tname_raw[i].len + 1;
  }
  return true;
}

static gguf_file *parse(const uint8_t *base, uint64_t size, const char *path, void *map,
                        gguf_error *err) {
  gguf_error scratch;
  if (!err)
    err = &scratch;
  err->msg[0] = 0;
  err->offset = 0;
  gguf_file *f = calloc(1, sizeof *f);
  gguf_priv *p = calloc(1, sizeof *p);
  char *pathcopy = strdup(path ? path : "<memory>");
  if (!f || !p || !pathcopy) {
    free(f);
    free(p);
    free(pathcopy);
    if (map)
      munmap(map, (size_t)size);
    report(err, path ? path : "<memory>", 0, "out of memory");
    return NULL;
  }
  f->priv = p;
  f->fd = -1;
  p->map = map;
  p->map_size = size;
  p->path = pathcopy;
  f->path = pathcopy;
  f->base = base;
  f->size = size;
  cursor c = {base, size, 0, pathcopy, err};
  bool ok = parse_header(&c, f) && parse_kvs(&c, f, p) && check_alignment(&c, f, p) &&
            parse_tensor_infos(&c, f, p) && copy_names(&c, f, p) && check_tensor_data(&c, f, p);
  if (!ok) {
    /* KV entries past the failure point were never filled; free_file only
     * looks at array str_offsets, which calloc left NULL. */
    free_file(f);
    return NULL;
  }
  return f;
}

gguf_file *gguf_open_memory(const void *buf, uint64_t size, const char *name, gguf_error *err) {
  if (!buf && size) {
    report(err, name ? name : "<memory>", 0, "NULL buffer");
    return NULL;
  }
  static const uint8_t empty[1];
  return parse(buf ? buf : empty, size, name, NULL, err);
}

gguf_file *gguf_open(const char *path, gguf_error *err) {
  if (!path) {
    report(err, "<null>", 0, "no path given");
    return NULL;
  }
  if (!strcmp(path, "-")) {
    report(err, path, 0, "a model cannot be read from standard input (it is mapped): give a file");
    return NULL;
  }
  char why[256];
  uint64_t size = 0;
  int fd = gqc_input_open(path, &size, why, sizeof why);
  if (fd < 0) {
    report(err, path, 0, "cannot open: %s", why);
    return NULL;
  }
  if (size == 0) {
    close(fd);
    report(err, path, 0, "empty file: too short for a GGUF header (%d bytes)", HEADER_BYTES);
    return NULL;
  }
  if (size > (uint64_t)SIZE_MAX) {
    char b[64];
    close(fd);
    report(err, path, 0, "the file's %s are too many to map on this machine",
           gqc_format_bytes(size, b, sizeof b));
    return NULL;
  }
  void *map = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
  int saved = errno;
  if (map == MAP_FAILED) {
    close(fd);
    char b[64];
    report(err, path, 0, "cannot map the file's %s into memory: %s (gqc maps the whole model)",
           gqc_format_bytes(size, b, sizeof b), strerror(saved));
    return NULL;
  }
  gguf_file *f = parse(map, size, path, map, err);
  if (f)
    f->fd = fd; /* kept for readers that copy tensor data file to file */
  else
    close(fd);
  return f;
}

/* ---- lookup --------------------------------------------------------------- */

static uint64_t table_find(const name_table *t, const char *name, name_of_fn get, const void *ctx) {
  if (!t->slot)
    return UINT64_MAX;
  uint64_t len = strlen(name);
  for (uint64_t h = gqc_name_hash_bytes(name, len) & t->mask;; h = (h + 1) & t->mask) {
    uint64_t s = t->slot[h];
    if (s == 0)
      return UINT64_MAX;
    gguf_str other = get(ctx, s - 1);
    if (other.len == len && memcmp(other.ptr, name, len) == 0)
      return s - 1;
  }
}

const gguf_kv *gguf_find_kv(const gguf_file *f, const char *key) {
  if (!f || !key)
    return NULL;
  uint64_t i = table_find(&((const gguf_priv *)f->priv)->keys, key, key_at, f->priv);
  return i == UINT64_MAX ? NULL : &f->kv[i];
}

const gguf_tensor *gguf_find_tensor(const gguf_file *f, const char *name) {
  if (!f || !name)
    return NULL;
  uint64_t i = table_find(&((const gguf_priv *)f->priv)->tnames, name, tname_at, f->priv);
  return i == UINT64_MAX ? NULL : &f->tensors[i];
}

/* ---- typed getters ---------------------------------------------------- */

static bool is_unsigned(gguf_vtype t) {
  return (unsigned)t < GGUF_VTYPE_COUNT && vtypes[t].kind == VT_UNSIGNED;
}
static bool is_signed(gguf_vtype t) {
  return (unsigned)t < GGUF_VTYPE_COUNT && vtypes[t].kind == VT_SIGNED;
}

static bool mismatch(const gguf_file *f, const gguf_kv *kv, const char *want, gguf_error *err) {
  report(err, f->path, kv->file_offset, "key '%s' has type %s, expected %s", kv->key,
         vtype_name(kv->value.type), want);
  return false;
}

static bool out_of_range(const gguf_file *f, const gguf_kv *kv, const char *want, gguf_error *err) {
  if (is_signed(kv->value.type))
    report(err, f->path, kv->file_offset, "key '%s' value %" PRId64 " does not fit in %s", kv->key,
           kv->value.v.i, want);
  else
    report(err, f->path, kv->file_offset, "key '%s' value %" PRIu64 " does not fit in %s", kv->key,
           kv->value.v.u, want);
  return false;
}

/* An integer KV, of any integer type, whose value is in [lo, hi]; `name`
 * ("u32") says the range in messages. */
static bool get_integer(const gguf_file *f, const char *key, int64_t lo, int64_t hi,
                        const char *name, int64_t *out, gguf_error *err) {
  const gguf_kv *kv = gguf_find_kv(f, key);
  if (!kv)
    return false;
  if (is_unsigned(kv->value.type)) {
    if (kv->value.v.u > (uint64_t)hi)
      return out_of_range(f, kv, name, err);
    *out = (int64_t)kv->value.v.u;
    return true;
  }
  if (is_signed(kv->value.type)) {
    if (kv->value.v.i < lo || kv->value.v.i > hi)
      return out_of_range(f, kv, name, err);
    *out = kv->value.v.i;
    return true;
  }
  char want[32];
  snprintf(want, sizeof want, "an integer (%s)", name);
  return mismatch(f, kv, want, err);
}

bool gguf_get_u32(const gguf_file *f, const char *key, uint32_t *out, gguf_error *err) {
  int64_t v;
  if (!get_integer(f, key, 0, UINT32_MAX, "u32", &v, err))
    return false;
  *out = (uint32_t)v;
  return true;
}

bool gguf_get_i64(const gguf_file *f, const char *key, int64_t *out, gguf_error *err) {
  return get_integer(f, key, INT64_MIN, INT64_MAX, "i64", out, err);
}

/* The KV `key` when its type is a or b; NULL when it is absent or (reported)
 * of another type. */
static const gguf_kv *find_typed(const gguf_file *f, const char *key, gguf_vtype a, gguf_vtype b,
                                 const char *want, gguf_error *err) {
  const gguf_kv *kv = gguf_find_kv(f, key);
  if (kv && kv->value.type != a && kv->value.type != b) {
    mismatch(f, kv, want, err);
    return NULL;
  }
  return kv;
}

/* The getters of the other types: the KV's type (a or b), its name in
 * messages, and the value. */
#define GGUF_GETTER(fn, ctype, a, b, want, value)                                                  \
  bool gguf_get_##fn(const gguf_file *f, const char *key, ctype *out, gguf_error *err) {           \
    const gguf_kv *kv = find_typed(f, key, a, b, want, err);                                       \
    if (kv)                                                                                        \
      *out = value;                                                                                \
    return kv != NULL;                                                                             \
  }
GGUF_GETTER(f32, float, GGUF_F32, GGUF_F64, "f32", (float)kv->value.v.f)
GGUF_GETTER(bool, bool, GGUF_BOOL, GGUF_BOOL, "bool", kv->value.v.u != 0)
GGUF_GETTER(str, gguf_str, GGUF_STRING, GGUF_STRING, "string", kv->value.v.s)
#undef GGUF_GETTER

/* ---- array elements ------------------------------------------------------ */

static const uint8_t *elem_ptr(const gguf_value *arr, uint64_t i) {
  if (!arr || arr->type != GGUF_ARRAY || i >= arr->v.arr.count)
    return NULL;
  return arr->v.arr.data + i * gguf_vtype_size(arr->v.arr.elem_type);
}

gguf_str gguf_arr_str(const gguf_value *arr, uint64_t i) {
  gguf_str s = {NULL, 0};
  if (!arr || arr->type != GGUF_ARRAY || arr->v.arr.elem_type != GGUF_STRING ||
      i >= arr->v.arr.count || !arr->v.arr.str_offsets)
    return s;
  const uint8_t *p = arr->v.arr.data + arr->v.arr.str_offsets[i];
  s.len = load_u64(p);
  s.ptr = (const char *)(p + 8);
  return s;
}

/* Element i of a numeric array, decoded; all zero (a u8 0) when there is
 * none, and with v all zero when the array is not numeric. */
static gguf_value arr_elem(const gguf_value *arr, uint64_t i) {
  gguf_value e = {0};
  const uint8_t *p = elem_ptr(arr, i);
  if (p)
    decode_fixed(arr->v.arr.elem_type, p, &e);
  return e;
}

double gguf_arr_f64(const gguf_value *arr, uint64_t i) {
  const gguf_value e = arr_elem(arr, i);
  const int kind = e.type < GGUF_VTYPE_COUNT ? vtypes[e.type].kind : VT_OTHER;
  return kind == VT_FLOAT ? e.v.f : kind == VT_SIGNED ? (double)e.v.i : (double)e.v.u;
}

int64_t gguf_arr_i64(const gguf_value *arr, uint64_t i) {
  const gguf_value e = arr_elem(arr, i);
  const int kind = e.type < GGUF_VTYPE_COUNT ? vtypes[e.type].kind : VT_OTHER;
  return kind == VT_FLOAT ? 0 : kind == VT_SIGNED ? e.v.i : (int64_t)e.v.u;
}
