/* encodings.h — the encoding table (gqcrt_encodings.def) as a test or
 * benchmark harness sees it: name, block geometry, where a block keeps its
 * f16 scale and min (so random blocks can be made valid), the activation
 * encoding, and the runtime's dequantiser. Shared by the runtime tests and
 * the benchmarks; nothing here restates a number of the table.
 */
#ifndef GQC_HARNESS_ENCODINGS_H
#define GQC_HARNESS_ENCODINGS_H

#include <stddef.h>
#include <string.h>

#include "gqcrt.h"

typedef struct harness_encoding {
  const char *name;
  int block_elems, block_bytes;
  int d_off, min_off; /* byte offsets of the f16 scale and min in a block (-1: none) */
  const char *activation;
  void (*dequant)(float *, const void *, int32_t);
} harness_encoding;

static const harness_encoding harness_encodings[] = {
#define GQCRT_ENCODING(ID, name, ggml_type, elems, bytes, act, d_off, m_off)                       \
  {#name, elems, bytes, d_off, m_off, #act, gqcrt_dequantize_##name},
#include "gqcrt_encodings.def"
#undef GQCRT_ENCODING
};
#define HARNESS_N_ENCODINGS ((int)(sizeof harness_encodings / sizeof harness_encodings[0]))

/* The row of an encoding by name ("q4_k"), NULL if none. */
static inline const harness_encoding *harness_encoding_find(const char *name) {
  for (int i = 0; i < HARNESS_N_ENCODINGS; ++i)
    if (!strcmp(harness_encodings[i].name, name))
      return &harness_encodings[i];
  return NULL;
}

/* Block elements and bytes of an encoding; 1 and 4 (f32) for an unknown name. */
static inline void harness_encoding_geometry(const char *name, int *elems, int *bytes) {
  const harness_encoding *e = harness_encoding_find(name);
  *elems = e ? e->block_elems : 1;
  *bytes = e ? e->block_bytes : 4;
}

/* Bytes of a row of n elements in an encoding (n a multiple of its block). */
static inline size_t harness_row_bytes(const char *name, int n) {
  int elems, bytes;
  harness_encoding_geometry(name, &elems, &bytes);
  return (size_t)(n / elems) * (size_t)bytes;
}

#endif
