/* gguf.h — a validating, read-only view of a GGUF file.
 *
 * gguf_open() maps the file and checks every count, string length, array
 * length, tensor dimension, type id, offset and alignment against the file
 * size before anything else looks at it. On success the returned gguf_file
 * owns the mapping; keys and tensor names point into it (they are NOT
 * NUL-terminated in the file, so each is exposed as pointer + length and,
 * for convenience, as a NUL-terminated copy owned by the gguf_file).
 *
 * Errors are reported through gguf_error: a message naming the problem and
 * the byte offset in the file where it was found. Nothing here aborts.
 */
#ifndef GQC_GGUF_H
#define GQC_GGUF_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* GGUF metadata value types (the numbers are the file format's). */
typedef enum gguf_vtype {
  GGUF_U8 = 0,
  GGUF_I8 = 1,
  GGUF_U16 = 2,
  GGUF_I16 = 3,
  GGUF_U32 = 4,
  GGUF_I32 = 5,
  GGUF_F32 = 6,
  GGUF_BOOL = 7,
  GGUF_STRING = 8,
  GGUF_ARRAY = 9,
  GGUF_U64 = 10,
  GGUF_I64 = 11,
  GGUF_F64 = 12,
  GGUF_VTYPE_COUNT
} gguf_vtype;

/* ggml tensor type ids (the numbers are the file format's), from the
 * encoding table. */
typedef enum ggml_type {
#define GQCRT_ENCODING(ID, name, ggml_type, elems, bytes, act, d_off, m_off) GGML_##ID = ggml_type,
#include "runtime/include/gqcrt_encodings.def"
#undef GQCRT_ENCODING
  GGML_TYPE_LIMIT = 64 /* ids at or above this are rejected */
} ggml_type;

/* Block geometry of a ggml type: elements per block and bytes per block.
 * Returns false for ids this reader does not know (the caller reports). */
bool ggml_type_block(uint32_t type, uint32_t *block_elems, uint32_t *block_bytes);
const char *ggml_type_name(uint32_t type); /* "q4_k", "f32", ... or NULL */
/* Size in bytes of a fixed-size GGUF value type; 0 for string, array and
 * ids the format does not define. */
uint32_t gguf_vtype_size(uint32_t t);

typedef struct gguf_error {
  char msg[512];   /* "stories.gguf: offset 0x18: tensor count 2^60 exceeds ..." */
  uint64_t offset; /* byte offset in the file where the problem is */
} gguf_error;

typedef struct gguf_str {
  const char *ptr; /* into the mapping, not NUL-terminated */
  uint64_t len;
} gguf_str;

/* One metadata value. Scalars are decoded; arrays are left in place and
 * read element by element through the accessors below. */
typedef struct gguf_value {
  gguf_vtype type;
  union {
    uint64_t u; /* u8/u16/u32/u64, bool */
    int64_t i;  /* i8/i16/i32/i64 */
    double f;   /* f32/f64 */
    gguf_str s; /* string */
    struct {
      gguf_vtype elem_type;
      uint64_t count;
      const uint8_t *data;         /* first element in the mapping */
      uint64_t file_offset;        /* offset of data in the file */
      const uint64_t *str_offsets; /* for string arrays: per-element offset of
                                      the u64 length prefix, relative to data
                                      (precomputed while validating) */
    } arr;
  } v;
} gguf_value;

typedef struct gguf_kv {
  const char *key; /* NUL-terminated copy */
  gguf_value value;
  uint64_t file_offset; /* where the key starts */
} gguf_kv;

typedef struct gguf_tensor {
  const char *name;     /* NUL-terminated copy */
  uint32_t n_dims;      /* 1..4 */
  uint64_t ne[4];       /* ne[0] innermost; unused dims are 1 */
  uint32_t type;        /* ggml_type */
  uint64_t offset;      /* relative to the data section */
  uint64_t nbytes;      /* validated size of the data */
  const uint8_t *data;  /* into the mapping */
  uint64_t info_offset; /* where this tensor's info record starts */
} gguf_tensor;

typedef struct gguf_file {
  const char *path;
  const uint8_t *base; /* the mapping */
  uint64_t size;
  int fd;               /* the file, open for reading: byte base[i] is its byte i
                         * (-1 for gguf_open_memory) */
  uint32_t version;     /* 2 or 3 */
  uint32_t alignment;   /* general.alignment or 32 */
  uint64_t data_offset; /* start of the tensor data section */
  uint64_t n_kv;
  gguf_kv *kv;
  uint64_t n_tensors;
  gguf_tensor *tensors;
  void *priv; /* owned allocations */
} gguf_file;

/* Open and validate. Returns NULL and fills err on any problem. */
gguf_file *gguf_open(const char *path, gguf_error *err);
/* Same checks on a buffer already in memory (fuzzing, tests). The buffer
 * must outlive the returned file; `name` is used in messages. */
gguf_file *gguf_open_memory(const void *buf, uint64_t size, const char *name, gguf_error *err);
void gguf_close(gguf_file *f);

/* Lookup. NULL when absent. */
const gguf_kv *gguf_find_kv(const gguf_file *f, const char *key);
const gguf_tensor *gguf_find_tensor(const gguf_file *f, const char *name);

/* Typed scalar getters: return false (and leave *out alone) when the key is
 * absent; on a type mismatch they return false and fill err (if non-NULL).
 * Integer getters accept any integer type whose value fits. */
bool gguf_get_u32(const gguf_file *f, const char *key, uint32_t *out, gguf_error *err);
bool gguf_get_i64(const gguf_file *f, const char *key, int64_t *out, gguf_error *err);
bool gguf_get_f32(const gguf_file *f, const char *key, float *out, gguf_error *err);
bool gguf_get_bool(const gguf_file *f, const char *key, bool *out, gguf_error *err);
bool gguf_get_str(const gguf_file *f, const char *key, gguf_str *out, gguf_error *err);

/* Array element access (index < count is the caller's duty; checked by
 * assert-free clamping: out-of-range returns a zero value). */
gguf_str gguf_arr_str(const gguf_value *arr, uint64_t i);
double gguf_arr_f64(const gguf_value *arr, uint64_t i);  /* any numeric elem type */
int64_t gguf_arr_i64(const gguf_value *arr, uint64_t i); /* any integer/bool elem type */

#endif
