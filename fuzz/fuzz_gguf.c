/* fuzz_gguf.c — libFuzzer target for the GGUF reader (frontend/gguf.c).
 *
 * The input is a whole GGUF file. gguf_open_memory() must either reject it
 * with a located message (an offset inside the input) or accept it; an
 * accepted file is then walked through every public getter — each KV found
 * again by its key and read with every typed getter, every array element
 * read with every element accessor (and one index past the end), every
 * tensor found by name and its data range checked against the input and
 * touched at both ends, so ASan sees any range the reader got wrong.
 * Anything the reader promises but does not hold aborts the run.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/gguf.h"
#include "support/escape.h"

#define FUZZ_TARGET "fuzz_gguf"
#include "fuzz_check.h"

static volatile uint64_t sink; /* keeps the reads alive */

static void walk_value(const gguf_file *f, const gguf_kv *kv, const uint8_t *lo,
                       const uint8_t *hi) {
  gguf_error err;
  uint32_t u32;
  int64_t i64;
  float f32;
  bool b;
  gguf_str s;
  /* Every getter either succeeds or fails cleanly; a failure on a present
   * key says why, naming the key (escaped, as every message is). */
  char key[64];
  gqc_escape_str(key, sizeof key, kv->key);
  if (!gguf_get_u32(f, kv->key, &u32, &err))
    CHECK(strstr(err.msg, key) != NULL && is_one_printable_line(err.msg));
  if (!gguf_get_i64(f, kv->key, &i64, &err))
    CHECK(strstr(err.msg, key) != NULL && is_one_printable_line(err.msg));
  if (!gguf_get_f32(f, kv->key, &f32, &err))
    CHECK(strstr(err.msg, key) != NULL && is_one_printable_line(err.msg));
  if (!gguf_get_bool(f, kv->key, &b, &err))
    CHECK(strstr(err.msg, key) != NULL && is_one_printable_line(err.msg));
  if (gguf_get_str(f, kv->key, &s, &err)) {
    CHECK((const uint8_t *)s.ptr >= lo && s.len <= (uint64_t)(hi - (const uint8_t *)s.ptr));
    if (s.len)
      sink += (uint8_t)s.ptr[0] + (uint8_t)s.ptr[s.len - 1];
  }
  const gguf_value *v = &kv->value;
  if (v->type != GGUF_ARRAY)
    return;
  CHECK(v->v.arr.elem_type < GGUF_VTYPE_COUNT && v->v.arr.elem_type != GGUF_ARRAY);
  /* The count was bounded by the file size, so walking it is linear. */
  for (uint64_t i = 0; i <= v->v.arr.count; i++) {
    gguf_str e = gguf_arr_str(v, i);
    if (e.ptr) {
      CHECK(i < v->v.arr.count && v->v.arr.elem_type == GGUF_STRING);
      CHECK((const uint8_t *)e.ptr >= lo && e.len <= (uint64_t)(hi - (const uint8_t *)e.ptr));
      if (e.len)
        sink += (uint8_t)e.ptr[0] + (uint8_t)e.ptr[e.len - 1];
    }
    double d = gguf_arr_f64(v, i);
    int64_t n = gguf_arr_i64(v, i);
    if (i == v->v.arr.count) {
      CHECK(d == 0.0 && n == 0 && e.ptr == NULL);
    }
    sink += (uint64_t)n + (d == d);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  gguf_error err;
  memset(&err, 0x55, sizeof err);
  gguf_file *f = gguf_open_memory(data, size, "fuzz.gguf", &err);
  if (!f) {
    CHECK(memchr(err.msg, 0, sizeof err.msg) != NULL);
    CHECK(strncmp(err.msg, "fuzz.gguf: offset 0x", 20) == 0);
    CHECK(is_one_printable_line(err.msg));
    CHECK(err.offset <= size);
    return 0;
  }
  const uint8_t *lo = data, *hi = data + size;
  CHECK(f->version == 2 || f->version == 3);
  CHECK(f->alignment && (f->alignment & (f->alignment - 1)) == 0);
  CHECK(f->data_offset <= size);
  for (uint64_t i = 0; i < f->n_kv; i++) {
    const gguf_kv *kv = &f->kv[i];
    CHECK(kv->key && kv->key[0]);
    CHECK(gguf_find_kv(f, kv->key) == kv); /* keys are unique */
    CHECK(kv->value.type < GGUF_VTYPE_COUNT);
    CHECK(kv->file_offset < size);
    walk_value(f, kv, lo, hi);
  }
  for (uint64_t i = 0; i < f->n_tensors; i++) {
    const gguf_tensor *t = &f->tensors[i];
    CHECK(t->name && t->name[0] && strlen(t->name) < 64);
    CHECK(gguf_find_tensor(f, t->name) == t); /* names are unique */
    CHECK(t->n_dims >= 1 && t->n_dims <= 4);
    uint32_t be = 0, bb = 0;
    CHECK(ggml_type_block(t->type, &be, &bb) && ggml_type_name(t->type) != NULL);
    uint64_t nelem = 1;
    for (int d = 0; d < 4; d++) {
      CHECK(t->ne[d] >= 1);
      CHECK(nelem <= UINT64_MAX / t->ne[d]);
      nelem *= t->ne[d];
    }
    CHECK(t->ne[0] % be == 0 && t->nbytes == nelem / be * bb);
    CHECK(t->offset % f->alignment == 0);
    CHECK(t->data >= lo && t->data <= hi && t->nbytes <= (uint64_t)(hi - t->data));
    CHECK(t->data == data + f->data_offset + t->offset);
    sink += t->data[0] + t->data[t->nbytes - 1];
  }
  CHECK(gguf_find_kv(f, "") == NULL);
  CHECK(gguf_find_kv(f, NULL) == NULL && gguf_find_tensor(f, NULL) == NULL);
  gguf_close(f);
  return 0;
}
