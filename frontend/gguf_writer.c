/* gguf_writer.c — the streaming GGUF v3 writer (see gguf_writer.h).
 *
 * Two in-memory byte buffers hold the encoded KVs and tensor infos until the
 * first data byte (or gguf_writer_finish) forces the header out: the header
 * needs both counts, and neither is known before the caller is done adding.
 * After that the writer is a cursor over the data section: each tensor
 * added with gguf_writer_add_tensor has a precomputed offset and size, and
 * streamed bytes fill them in order, with zero padding inserted whenever a
 * tensor is complete and the next one starts at a higher aligned offset.
 */
#include "support/printf_format.h"
#include "frontend/gguf_writer.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct bytes {
  uint8_t *p;
  uint64_t len, cap;
} bytes;

typedef struct planned_tensor {
  char name[64];
  uint64_t offset, nbytes;
} planned_tensor;

struct gguf_writer {
  FILE *fp;    /* file output, or NULL for memory */
  bytes mem;   /* memory output */
  bytes kvs;   /* encoded KVs, pending */
  bytes infos; /* encoded tensor infos, pending */
  uint64_t n_kv, n_tensors;
  uint32_t version, alignment;
  bool flushed, finished, failed;
  char error[256];
  uint64_t written;     /* bytes output so far */
  uint64_t data_start;  /* file offset of the data section (once flushed) */
  planned_tensor *plan; /* tensors added with gguf_writer_add_tensor */
  uint64_t n_plan, cap_plan;
  uint64_t plan_end; /* data-section offset just past the last planned tensor */
  uint64_t cur;      /* index of the tensor being streamed */
  uint64_t cur_done; /* bytes of it written */
};

static void fail(gguf_writer *w, const char *fmt, ...) GQC_PRINTF(2, 3);
static void fail(gguf_writer *w, const char *fmt, ...) {
  if (w->failed)
    return;
  w->failed = true;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(w->error, sizeof w->error, fmt, ap);
  va_end(ap);
}

static bool bytes_append(gguf_writer *w, bytes *b, const void *data, uint64_t n) {
  if (w->failed)
    return false;
  if (n > UINT64_MAX - b->len) {
    fail(w, "buffer size overflow");
    return false;
  }
  if (b->len + n > b->cap) {
    uint64_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n)
      cap = cap > UINT64_MAX / 2 ? b->len + n : cap * 2;
    if (cap > SIZE_MAX) {
      fail(w, "out of memory");
      return false;
    }
    uint8_t *p = realloc(b->p, (size_t)cap);
    if (!p) {
      fail(w, "out of memory (%llu bytes)", (unsigned long long)cap);
      return false;
    }
    b->p = p;
    b->cap = cap;
  }
  if (n)
    memcpy(b->p + b->len, data, (size_t)n);
  b->len += n;
  return true;
}

/* Appends the low `size` (1..8) bytes of bits, little-endian. */
static void put_le(gguf_writer *w, bytes *b, uint64_t bits, unsigned size) {
  uint8_t x[8];
  for (unsigned i = 0; i < size; i++)
    x[i] = (uint8_t)(bits >> (8 * i));
  bytes_append(w, b, x, size);
}

static void put_u32(gguf_writer *w, bytes *b, uint32_t v) {
  put_le(w, b, v, 4);
}

static void put_u64(gguf_writer *w, bytes *b, uint64_t v) {
  put_le(w, b, v, 8);
}

static void put_str(gguf_writer *w, bytes *b, const char *s, uint64_t len) {
  put_u64(w, b, len);
  bytes_append(w, b, s, len);
}

/* ---- output ------------------------------------------------------------ */

static void out(gguf_writer *w, const void *data, uint64_t n) {
  if (w->failed || n == 0)
    return;
  if (w->fp) {
    if (fwrite(data, 1, (size_t)n, w->fp) != n) {
      fail(w, "write error: %s", strerror(errno));
      return;
    }
  } else if (!bytes_append(w, &w->mem, data, n)) {
    return;
  }
  w->written += n;
}

static void out_zeros(gguf_writer *w, uint64_t n) {
  static const uint8_t zeros[256];
  while (n > 0 && !w->failed) {
    uint64_t k = n < sizeof zeros ? n : sizeof zeros;
    out(w, zeros, k);
    n -= k;
  }
}

static void flush_meta(gguf_writer *w) {
  if (w->flushed || w->failed)
    return;
  w->flushed = true;
  bytes hdr = {0};
  bytes_append(w, &hdr, "GGUF", 4);
  put_u32(w, &hdr, w->version);
  put_u64(w, &hdr, w->n_tensors);
  put_u64(w, &hdr, w->n_kv);
  out(w, hdr.p, hdr.len);
  free(hdr.p);
  out(w, w->kvs.p, w->kvs.len);
  out(w, w->infos.p, w->infos.len);
  free(w->kvs.p);
  free(w->infos.p);
  w->kvs = (bytes){0};
  w->infos = (bytes){0};
}

static uint64_t pad_to(uint64_t x, uint32_t a) {
  return x + (a - x % a) % a;
}

void gguf_writer_pad(gguf_writer *w) {
  if (!w)
    return;
  flush_meta(w);
  out_zeros(w, pad_to(w->written, w->alignment) - w->written);
}

/* ---- creation ------------------------------------------------------------ */

static gguf_writer *new_writer(void) {
  gguf_writer *w = calloc(1, sizeof *w);
  if (w) {
    w->version = 3;
    w->alignment = 32;
  }
  return w;
}

gguf_writer *gguf_writer_open_file(const char *path, char *errbuf, size_t errlen) {
  FILE *fp = fopen(path, "wb");
  if (!fp) {
    if (errbuf && errlen)
      snprintf(errbuf, errlen, "%s: cannot create: %s", path, strerror(errno));
    return NULL;
  }
  gguf_writer *w = new_writer();
  if (!w) {
    fclose(fp);
    if (errbuf && errlen)
      snprintf(errbuf, errlen, "%s: out of memory", path);
    return NULL;
  }
  setvbuf(fp, NULL, _IOFBF, 1 << 20);
  w->fp = fp;
  return w;
}

gguf_writer *gguf_writer_open_memory(void) {
  return new_writer();
}

void gguf_writer_set_version(gguf_writer *w, uint32_t version) {
  if (w)
    w->version = version;
}

/* ---- KVs ------------------------------------------------------------------ */

static bool kv_begin(gguf_writer *w, const char *key, uint32_t type) {
  if (!w || w->failed)
    return false;
  if (w->flushed) {
    fail(w, "KV '%s' added after the metadata was written", key);
    return false;
  }
  put_str(w, &w->kvs, key, strlen(key));
  put_u32(w, &w->kvs, type);
  w->n_kv++;
  return !w->failed;
}

static void kv_scalar(gguf_writer *w, const char *key, uint32_t type, uint64_t bits,
                      unsigned size) {
  if (kv_begin(w, key, type))
    put_le(w, &w->kvs, bits, size);
}

/* The integer adders but u32 (below): the value's bits, little-endian. */
#define ADD_INTEGER(name, ctype, utype, gtype)                                                     \
  void gguf_writer_add_##name(gguf_writer *w, const char *key, ctype v) {                          \
    kv_scalar(w, key, gtype, (utype)v, sizeof(ctype));                                             \
  }
ADD_INTEGER(u8, uint8_t, uint8_t, GGUF_U8)
ADD_INTEGER(i8, int8_t, uint8_t, GGUF_I8)
ADD_INTEGER(u16, uint16_t, uint16_t, GGUF_U16)
ADD_INTEGER(i16, int16_t, uint16_t, GGUF_I16)
ADD_INTEGER(i32, int32_t, uint32_t, GGUF_I32)
ADD_INTEGER(u64, uint64_t, uint64_t, GGUF_U64)
ADD_INTEGER(i64, int64_t, uint64_t, GGUF_I64)
#undef ADD_INTEGER

/* general.alignment, a power of two, also sets the writer's tensor alignment. */
void gguf_writer_add_u32(gguf_writer *w, const char *key, uint32_t v) {
  if (w && !w->failed && strcmp(key, "general.alignment") == 0 && v != 0 && (v & (v - 1)) == 0) {
    if (w->n_tensors > 0) {
      fail(w, "general.alignment must be set before any tensor is added");
      return;
    }
    w->alignment = v;
  }
  kv_scalar(w, key, GGUF_U32, v, 4);
}
void gguf_writer_add_f32(gguf_writer *w, const char *key, float v) {
  uint32_t u;
  memcpy(&u, &v, 4);
  kv_scalar(w, key, GGUF_F32, u, 4);
}
void gguf_writer_add_f64(gguf_writer *w, const char *key, double v) {
  uint64_t u;
  memcpy(&u, &v, 8);
  kv_scalar(w, key, GGUF_F64, u, 8);
}
void gguf_writer_add_bool(gguf_writer *w, const char *key, bool v) {
  kv_scalar(w, key, GGUF_BOOL, v ? 1 : 0, 1);
}
void gguf_writer_add_strn(gguf_writer *w, const char *key, const char *v, uint64_t len) {
  if (kv_begin(w, key, GGUF_STRING))
    put_str(w, &w->kvs, v, len);
}
void gguf_writer_add_str(gguf_writer *w, const char *key, const char *v) {
  gguf_writer_add_strn(w, key, v, strlen(v));
}

/* Starts an array KV: the key, GGUF_ARRAY, the element type and the count;
 * the caller appends the elements. False if nothing may be added. */
static bool array_begin(gguf_writer *w, const char *key, uint32_t elem_type, uint64_t count) {
  if (!kv_begin(w, key, GGUF_ARRAY))
    return false;
  put_u32(w, &w->kvs, elem_type);
  put_u64(w, &w->kvs, count);
  return true;
}

void gguf_writer_add_array(gguf_writer *w, const char *key, gguf_vtype elem_type, const void *data,
                           uint64_t count) {
  unsigned sz = gguf_vtype_size(elem_type);
  if (w && !w->failed && sz == 0) {
    fail(w, "KV '%s': gguf_writer_add_array takes numeric or bool elements only", key);
    return;
  }
  if (!array_begin(w, key, elem_type, count))
    return;
  const uint8_t *p = data;
  for (uint64_t i = 0; i < count && !w->failed; i++) {
    uint64_t bits = 0;
    switch (sz) { /* host values, little-endian encoding */
    case 1:
      bits = p[i];
      break;
    case 2: {
      uint16_t v;
      memcpy(&v, p + 2 * i, 2);
      bits = v;
      break;
    }
    case 4: {
      uint32_t v;
      memcpy(&v, p + 4 * i, 4);
      bits = v;
      break;
    }
    default:
      memcpy(&bits, p + 8 * i, 8);
      break;
    }
    if (elem_type == GGUF_BOOL)
      bits = bits != 0;
    put_le(w, &w->kvs, bits, sz);
  }
}

void gguf_writer_add_str_array(gguf_writer *w, const char *key, const char *const *strs,
                               uint64_t count) {
  if (!array_begin(w, key, GGUF_STRING, count))
    return;
  for (uint64_t i = 0; i < count && !w->failed; i++)
    put_str(w, &w->kvs, strs[i], strlen(strs[i]));
}

void gguf_writer_add_gguf_str_array(gguf_writer *w, const char *key, const gguf_str *strs,
                                    uint64_t count) {
  if (!array_begin(w, key, GGUF_STRING, count))
    return;
  for (uint64_t i = 0; i < count && !w->failed; i++)
    put_str(w, &w->kvs, strs[i].ptr, strs[i].len);
}

void gguf_writer_copy_kv(gguf_writer *w, const gguf_kv *kv) {
  const gguf_value *v = &kv->value;
  switch (v->type) {
  case GGUF_U8:
  case GGUF_U16:
  case GGUF_U32:
  case GGUF_U64:
  case GGUF_BOOL:
    kv_scalar(w, kv->key, v->type, v->v.u, gguf_vtype_size(v->type));
    break;
  case GGUF_I8:
  case GGUF_I16:
  case GGUF_I32:
  case GGUF_I64:
    kv_scalar(w, kv->key, v->type, (uint64_t)v->v.i, gguf_vtype_size(v->type));
    break;
  case GGUF_F32:
    gguf_writer_add_f32(w, kv->key, (float)v->v.f);
    break;
  case GGUF_F64:
    gguf_writer_add_f64(w, kv->key, v->v.f);
    break;
  case GGUF_STRING:
    gguf_writer_add_strn(w, kv->key, v->v.s.ptr, v->v.s.len);
    break;
  case GGUF_ARRAY:
    if (!array_begin(w, kv->key, v->v.arr.elem_type, v->v.arr.count))
      return;
    if (v->v.arr.elem_type == GGUF_STRING) {
      for (uint64_t i = 0; i < v->v.arr.count && !w->failed; i++) {
        gguf_str s = gguf_arr_str(v, i);
        put_str(w, &w->kvs, s.ptr, s.len);
      }
    } else { /* the file's bytes are already little-endian */
      bytes_append(w, &w->kvs, v->v.arr.data, v->v.arr.count * gguf_vtype_size(v->v.arr.elem_type));
    }
    break;
  default:
    if (w)
      fail(w, "KV '%s': cannot copy value type %d", kv->key, (int)v->type);
    break;
  }
}

void gguf_writer_add_raw_kv(gguf_writer *w, const char *key, uint32_t type, const void *payload,
                            uint64_t n) {
  if (kv_begin(w, key, type))
    bytes_append(w, &w->kvs, payload, n);
}

/* ---- tensor infos ------------------------------------------------------- */

/* False (failing the writer if it is the cause) when no tensor info may be
 * added any more. */
static bool tensor_allowed(gguf_writer *w, const char *name) {
  if (!w || w->failed)
    return false;
  if (w->flushed) {
    fail(w, "tensor '%s' added after the metadata was written", name);
    return false;
  }
  return true;
}

static void put_tensor_info(gguf_writer *w, const char *name, uint32_t n_dims, const uint64_t *ne,
                            uint32_t type, uint64_t offset) {
  put_str(w, &w->infos, name, strlen(name));
  put_u32(w, &w->infos, n_dims);
  for (uint32_t d = 0; d < n_dims; d++)
    put_u64(w, &w->infos, ne[d]);
  put_u32(w, &w->infos, type);
  put_u64(w, &w->infos, offset);
  w->n_tensors++;
}

void gguf_writer_add_tensor_raw(gguf_writer *w, const char *name, uint32_t n_dims,
                                const uint64_t *ne, uint32_t type, uint64_t offset) {
  if (tensor_allowed(w, name))
    put_tensor_info(w, name, n_dims, ne, type, offset);
}

uint64_t gguf_writer_add_tensor(gguf_writer *w, const char *name, uint32_t n_dims,
                                const uint64_t *ne, uint32_t type) {
  if (!tensor_allowed(w, name))
    return 0;
  if (strlen(name) >= sizeof w->plan[0].name) {
    fail(w, "tensor name '%s' is too long", name);
    return 0;
  }
  uint32_t be, bb;
  if (!ggml_type_block(type, &be, &bb)) {
    fail(w, "tensor '%s': unknown type %u", name, type);
    return 0;
  }
  if (n_dims < 1 || n_dims > 4) {
    fail(w, "tensor '%s': n_dims %u", name, n_dims);
    return 0;
  }
  uint64_t nelem = 1;
  for (uint32_t d = 0; d < n_dims; d++) {
    if (ne[d] == 0 || ne[d] > (UINT64_C(1) << 62) / nelem) {
      fail(w, "tensor '%s': bad dimension %u", name, d);
      return 0;
    }
    nelem *= ne[d];
  }
  if (ne[0] % be != 0) {
    fail(w, "tensor '%s': ne[0]=%llu is not a multiple of the %s block size %u", name,
         (unsigned long long)ne[0], ggml_type_name(type), be);
    return 0;
  }
  if (w->n_plan == w->cap_plan) {
    uint64_t cap = w->cap_plan ? 2 * w->cap_plan : 64;
    planned_tensor *p = realloc(w->plan, (size_t)cap * sizeof *p);
    if (!p) {
      fail(w, "out of memory");
      return 0;
    }
    w->plan = p;
    w->cap_plan = cap;
  }
  planned_tensor *t = &w->plan[w->n_plan++];
  snprintf(t->name, sizeof t->name, "%s", name);
  t->nbytes = nelem / be * bb;
  t->offset = pad_to(w->plan_end, w->alignment);
  w->plan_end = t->offset + t->nbytes;
  put_tensor_info(w, name, n_dims, ne, type, t->offset);
  return w->failed ? 0 : t->nbytes;
}

/* ---- data ------------------------------------------------------------------ */

static void begin_data(gguf_writer *w) {
  if (w->flushed)
    return;
  flush_meta(w);
  gguf_writer_pad(w);
  w->data_start = w->written;
}

void gguf_writer_write_tensor_data(gguf_writer *w, const void *data, uint64_t n) {
  if (!w || w->failed)
    return;
  begin_data(w);
  const uint8_t *p = data;
  while (n > 0 && !w->failed) {
    while (w->cur < w->n_plan && w->cur_done == w->plan[w->cur].nbytes) {
      w->cur++;
      w->cur_done = 0;
    }
    if (w->cur >= w->n_plan) {
      fail(w, "%llu bytes of tensor data beyond the last tensor", (unsigned long long)n);
      return;
    }
    planned_tensor *t = &w->plan[w->cur];
    if (w->cur_done == 0) { /* pad up to this tensor's offset */
      uint64_t at = w->written - w->data_start;
      if (at > t->offset) {
        fail(w, "tensor '%s': data position past its offset", t->name);
        return;
      }
      out_zeros(w, t->offset - at);
    }
    uint64_t k = t->nbytes - w->cur_done;
    if (k > n)
      k = n;
    out(w, p, k);
    w->cur_done += k;
    p += k;
    n -= k;
  }
}

void gguf_writer_write_raw(gguf_writer *w, const void *data, uint64_t n) {
  if (!w || w->failed)
    return;
  flush_meta(w);
  out(w, data, n);
}

bool gguf_writer_finish(gguf_writer *w) {
  if (!w)
    return false;
  if (w->finished)
    return !w->failed;
  w->finished = true;
  if (!w->flushed && w->n_plan > 0)
    begin_data(w); /* pads to the data section */
  else
    flush_meta(w);
  if (!w->failed && w->n_plan > 0) {
    while (w->cur < w->n_plan && w->cur_done == w->plan[w->cur].nbytes) {
      w->cur++;
      w->cur_done = 0;
    }
    if (w->cur < w->n_plan)
      fail(w, "tensor '%s': only %llu of %llu data bytes were written", w->plan[w->cur].name,
           (unsigned long long)w->cur_done, (unsigned long long)w->plan[w->cur].nbytes);
    else
      gguf_writer_pad(w);
  }
  if (w->fp) {
    if (fflush(w->fp) != 0)
      fail(w, "write error: %s", strerror(errno));
    if (fclose(w->fp) != 0)
      fail(w, "close error: %s", strerror(errno));
    w->fp = NULL;
  }
  return !w->failed;
}

bool gguf_writer_take_buffer(gguf_writer *w, uint8_t **buf, uint64_t *size) {
  if (!w || w->fp || !w->finished || w->failed)
    return false;
  *buf = w->mem.p;
  *size = w->mem.len;
  w->mem = (bytes){0};
  return true;
}

uint64_t gguf_writer_bytes_written(const gguf_writer *w) {
  return w ? w->written : 0;
}

const char *gguf_writer_error(const gguf_writer *w) {
  if (!w)
    return "no writer";
  return w->failed ? w->error : NULL;
}

void gguf_writer_free(gguf_writer *w) {
  if (!w)
    return;
  if (w->fp)
    fclose(w->fp);
  free(w->mem.p);
  free(w->kvs.p);
  free(w->infos.p);
  free(w->plan);
  free(w);
}
