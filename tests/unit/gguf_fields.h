/* gguf_fields.h — where the fields of a small GGUF file are, for the
 * programs that patch one field of a valid file to make a malformed one
 * (tests/unit/test_gguf_malformed.c, fuzz/make_bad_gguf.c): gguf_fields_find
 * takes the offsets from the file as frontend/gguf.h read it,
 * gguf_fields_open reads a file in memory and finds them; put32 and
 * put64 patch a little-endian field. Header-only, no test framework.
 */
#ifndef GQC_TESTS_GGUF_FIELDS_H
#define GQC_TESTS_GGUF_FIELDS_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "frontend/gguf.h"

enum { GGUF_FIELDS_MAX_KV = 8, GGUF_FIELDS_MAX_TENSORS = 4 };

/* Offsets of KV i (its key length), its value type and its value; of tensor
 * info i (its name length), its dimension count, dimensions, type and data
 * offset; the end of the infos, the data section and the last tensor's data. */
typedef struct gguf_fields {
  uint64_t kv[GGUF_FIELDS_MAX_KV], kv_type[GGUF_FIELDS_MAX_KV], kv_value[GGUF_FIELDS_MAX_KV];
  uint64_t ti[GGUF_FIELDS_MAX_TENSORS], ti_ndims[GGUF_FIELDS_MAX_TENSORS],
      ti_ne[GGUF_FIELDS_MAX_TENSORS], ti_type[GGUF_FIELDS_MAX_TENSORS],
      ti_offset[GGUF_FIELDS_MAX_TENSORS];
  uint64_t infos_end, data_offset, data_end;
} gguf_fields;

/* The fields of f (at most GGUF_FIELDS_MAX_KV KVs and GGUF_FIELDS_MAX_TENSORS
 * tensors, at least one); 0 when f has more or none. */
static inline int gguf_fields_find(const gguf_file *f, gguf_fields *l) {
  if (f->n_kv > GGUF_FIELDS_MAX_KV || f->n_tensors > GGUF_FIELDS_MAX_TENSORS || !f->n_tensors)
    return 0;
  for (uint64_t i = 0; i < f->n_kv; i++) {
    l->kv[i] = f->kv[i].file_offset;
    l->kv_type[i] = l->kv[i] + 8 + strlen(f->kv[i].key);
    l->kv_value[i] = l->kv_type[i] + 4;
  }
  for (uint64_t i = 0; i < f->n_tensors; i++) {
    l->ti[i] = f->tensors[i].info_offset;
    l->ti_ndims[i] = l->ti[i] + 8 + strlen(f->tensors[i].name);
    l->ti_ne[i] = l->ti_ndims[i] + 4;
    l->ti_type[i] = l->ti_ne[i] + 8 * f->tensors[i].n_dims;
    l->ti_offset[i] = l->ti_type[i] + 4;
  }
  const uint64_t last = f->n_tensors - 1;
  l->infos_end = l->ti_offset[last] + 8;
  l->data_offset = f->data_offset;
  l->data_end = f->data_offset + f->tensors[last].offset + f->tensors[last].nbytes;
  return 1;
}

/* Reads the file at p[0..size) from memory ("base.gguf" in messages) and
 * finds its fields; the file (gguf_close() it), or NULL with the reader's
 * error in *err or, when the file has more KVs or tensors than the fields
 * hold, NULL with err->msg saying so. */
static inline gguf_file *gguf_fields_open(const uint8_t *p, uint64_t size, gguf_fields *l,
                                          gguf_error *err) {
  gguf_file *f = gguf_open_memory(p, size, "base.gguf", err);
  if (f && !gguf_fields_find(f, l)) {
    snprintf(err->msg, sizeof err->msg, "base.gguf: too many KVs or tensors for gguf_fields");
    gguf_close(f);
    return NULL;
  }
  return f;
}

static inline void put32(uint8_t *p, uint64_t at, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[at + i] = (uint8_t)(v >> (8 * i));
}

static inline void put64(uint8_t *p, uint64_t at, uint64_t v) {
  put32(p, at, (uint32_t)v);
  put32(p, at + 4, (uint32_t)(v >> 32));
}

#endif
