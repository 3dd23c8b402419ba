/* blobs.c — the weight and vocabulary blobs that generated code includes.
 *
 * The weight blob is the module's live weights, each at the offset
 * plan-memory gave it, copied byte for byte from the GGUF mapping: packed
 * encodings stay packed, a tied tensor appears once. gqc_weight_blob_walk()
 * is the one definition of that layout; the C backend streams it to a file,
 * the LLVM backend into a buffer it turns into a constant.
 */
#include "codegen/codegen.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "gqcrt_tokenizer.h"

static bool write_all(FILE *f, const void *p, uint64_t n) {
  const unsigned char *c = p;
  while (n) {
    size_t chunk = n > (1u << 26) ? (1u << 26) : (size_t)n;
    if (fwrite(c, 1, chunk, f) != chunk)
      return false;
    c += chunk;
    n -= chunk;
  }
  return true;
}

static bool write_zeros(FILE *f, uint64_t n) {
  static const unsigned char zeros[4096];
  while (n) {
    size_t chunk = n > sizeof zeros ? sizeof zeros : (size_t)n;
    if (fwrite(zeros, 1, chunk, f) != chunk)
      return false;
    n -= chunk;
  }
  return true;
}

bool gqc_weight_blob_walk(const ir_module *m, gqc_blob_sink sink, void *ctx, const char *what,
                          gqc_diag *d) {
  if (m->weight_bytes < 0)
    return gqc_error(d, "%s: the module has no memory plan (run plan-memory)", what);
  uint64_t pos = 0, total = (uint64_t)m->weight_bytes;
  for (int k = 0; k < m->n_weights; k++) {
    const ir_weight *w = &m->weights[k];
    if (w->dead)
      continue;
    if (!w->data)
      return gqc_error(d, "%s: weight @%s has no data (IR parsed from text?)", what, w->name);
    if (w->offset < 0 || (uint64_t)w->offset < pos || w->nbytes > total ||
        (uint64_t)w->offset > total - w->nbytes)
      return gqc_error(d, "%s: weight @%s is outside the planned blob or out of order", what,
                       w->name);
    if (!sink(ctx, NULL, (uint64_t)w->offset - pos) || !sink(ctx, w->data, w->nbytes))
      return gqc_error(d, "%s: write failed: %s", what, strerror(errno));
    pos = (uint64_t)w->offset + w->nbytes;
  }
  if (!sink(ctx, NULL, total - pos))
    return gqc_error(d, "%s: write failed: %s", what, strerror(errno));
  return true;
}

static bool file_sink(void *ctx, const void *data, uint64_t n) {
  return data ? write_all(ctx, data, n) : write_zeros(ctx, n);
}

bool gqc_write_weight_blob(const ir_module *m, const char *path, gqc_diag *d) {
  FILE *f = fopen(path, "wb");
  if (!f)
    return gqc_error(d, "%s: cannot write: %s", path, strerror(errno));
  bool ok = gqc_weight_blob_walk(m, file_sink, f, path, d);
  if (fclose(f) != 0 && ok)
    return gqc_error(d, "%s: write failed: %s", path, strerror(errno));
  return ok;
}

typedef struct buffer_sink {
  unsigned char *p;
} buffer_sink;

static bool memory_sink(void *ctx, const void *data, uint64_t n) {
  buffer_sink *b = ctx;
  if (data)
    memcpy(b->p, data, n);
  else
    memset(b->p, 0, n);
  b->p += n;
  return true;
}

bool gqc_weight_blob_fill(const ir_module *m, void *buf, gqc_diag *d) {
  buffer_sink b = {buf};
  return gqc_weight_blob_walk(m, memory_sink, &b, "weight blob", d);
}

bool gqc_write_vocab_blob(const ir_module *m, const char *path, gqc_diag *d) {
  FILE *f = fopen(path, "wb");
  if (!f)
    return gqc_error(d, "%s: cannot write: %s", path, strerror(errno));
  bool ok = !m->vocab || write_all(f, m->vocab, m->vocab_bytes);
  if (fclose(f) != 0 || !ok)
    return gqc_error(d, "%s: write failed: %s", path, strerror(errno));
  return true;
}

uint64_t gqc_tokenize_scratch_bytes(const ir_module *m, const gqc_codegen_options *o) {
  if (!m->vocab)
    return 0;
  return gqcrt_tokenize_scratch_bytes(m->vocab, (size_t)o->max_text_bytes);
}

void gqc_macro_prefix(const char *name, char *buf, size_t size) {
  size_t n = 0;
  for (; name[n] && n + 1 < size; n++)
    buf[n] = (char)toupper((unsigned char)name[n]);
  buf[n] = 0;
}
