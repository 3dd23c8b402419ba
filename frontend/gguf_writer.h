/* gguf_writer.h — a small streaming GGUF v3 writer.
 *
 * Usage: create a writer (to a file or to a growable memory buffer), add the
 * metadata KVs, add every tensor's info (name, shape, type), then stream the
 * tensor data in the order the infos were added, in chunks of any size. The
 * header, KVs and tensor infos are kept in memory until the first data byte
 * is written (their counts go in the header); the tensor data is never held:
 * it goes straight to the output, with the alignment padding inserted
 * between tensors and after the last one.
 *
 * Errors are sticky: after the first failure (I/O error, bad call order,
 * a tensor given more or fewer bytes than its shape needs) every call is a
 * no-op and gguf_writer_finish() returns false; gguf_writer_error() says why.
 *
 * For tests that need malformed files there are raw variants that write
 * exactly what they are given (any value type id, any tensor offset), plus
 * gguf_writer_write_raw() to append arbitrary bytes after the metadata.
 */
#ifndef GQC_GGUF_WRITER_H
#define GQC_GGUF_WRITER_H

#include "frontend/gguf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct gguf_writer gguf_writer;

/* Creates a writer that writes `path` (truncating it). NULL on failure, with
 * a message in errbuf (if non-NULL). */
gguf_writer *gguf_writer_open_file(const char *path, char *errbuf, size_t errlen);
/* Creates a writer that accumulates the file in memory; collect it with
 * gguf_writer_take_buffer() after gguf_writer_finish(). */
gguf_writer *gguf_writer_open_memory(void);

/* The GGUF version written in the header (default 3; tests may set others). */
void gguf_writer_set_version(gguf_writer *w, uint32_t version);

/* Scalar KVs. Adding "general.alignment" as a u32 power of two also sets the
 * alignment the writer uses (allowed only before any tensor info is added). */
void gguf_writer_add_u8(gguf_writer *w, const char *key, uint8_t v);
void gguf_writer_add_i8(gguf_writer *w, const char *key, int8_t v);
void gguf_writer_add_u16(gguf_writer *w, const char *key, uint16_t v);
void gguf_writer_add_i16(gguf_writer *w, const char *key, int16_t v);
void gguf_writer_add_u32(gguf_writer *w, const char *key, uint32_t v);
void gguf_writer_add_i32(gguf_writer *w, const char *key, int32_t v);
void gguf_writer_add_u64(gguf_writer *w, const char *key, uint64_t v);
void gguf_writer_add_i64(gguf_writer *w, const char *key, int64_t v);
void gguf_writer_add_f32(gguf_writer *w, const char *key, float v);
void gguf_writer_add_f64(gguf_writer *w, const char *key, double v);
void gguf_writer_add_bool(gguf_writer *w, const char *key, bool v);
void gguf_writer_add_str(gguf_writer *w, const char *key, const char *v);
void gguf_writer_add_strn(gguf_writer *w, const char *key, const char *v, uint64_t len);

/* Numeric (or bool) array: `count` elements of `elem_type` in host order,
 * packed (e.g. an int32_t[] for GGUF_I32, a uint8_t[] of 0/1 for GGUF_BOOL). */
void gguf_writer_add_array(gguf_writer *w, const char *key, gguf_vtype elem_type, const void *data,
                           uint64_t count);
/* String array from NUL-terminated strings, or from pointer+length pairs. */
void gguf_writer_add_str_array(gguf_writer *w, const char *key, const char *const *strs,
                               uint64_t count);
void gguf_writer_add_gguf_str_array(gguf_writer *w, const char *key, const gguf_str *strs,
                                    uint64_t count);
/* Copies one KV (any type, including arrays) from an opened GGUF file. */
void gguf_writer_copy_kv(gguf_writer *w, const gguf_kv *kv);

/* Raw KV: the key, then `type` as given (not checked), then `n` bytes of
 * payload verbatim. For malformed-file tests. */
void gguf_writer_add_raw_kv(gguf_writer *w, const char *key, uint32_t type, const void *payload,
                            uint64_t n);

/* Adds a tensor info; its data offset is the previous tensor's end rounded
 * up to the alignment. ne[0..n_dims-1] as in GGUF (ne[0] innermost). Returns
 * the byte size of the tensor's data (0 on error). */
uint64_t gguf_writer_add_tensor(gguf_writer *w, const char *name, uint32_t n_dims,
                                const uint64_t *ne, uint32_t type);
/* Tensor info written exactly as given (no checks, offset verbatim). Data
 * for such tensors must be written with gguf_writer_write_raw(). */
void gguf_writer_add_tensor_raw(gguf_writer *w, const char *name, uint32_t n_dims,
                                const uint64_t *ne, uint32_t type, uint64_t offset);

/* Streams data for the tensors added with gguf_writer_add_tensor, in order:
 * the bytes fill the current tensor, then the next (padding is inserted). */
void gguf_writer_write_tensor_data(gguf_writer *w, const void *data, uint64_t n);
/* Appends bytes verbatim (the metadata is flushed first, without padding). */
void gguf_writer_write_raw(gguf_writer *w, const void *data, uint64_t n);
/* Flushes the metadata if needed and writes zero bytes up to the next
 * multiple of the alignment (for raw layouts: this is where data starts). */
void gguf_writer_pad(gguf_writer *w);

/* Flushes the metadata if no data was written, checks every tensor got all
 * its bytes, pads the end, and closes a file. Returns false on any error. */
bool gguf_writer_finish(gguf_writer *w);
/* Memory writers: hands over the bytes (free() them). Only after finish. */
bool gguf_writer_take_buffer(gguf_writer *w, uint8_t **buf, uint64_t *size);
/* Bytes written so far (metadata counts once flushed). */
uint64_t gguf_writer_bytes_written(const gguf_writer *w);
/* NULL if no error so far, else the message. */
const char *gguf_writer_error(const gguf_writer *w);
/* Frees the writer (closing and, if not finished successfully, leaving a
 * partial file behind). Safe on NULL. */
void gguf_writer_free(gguf_writer *w);

#endif
