/* blobs.c — the weight and vocabulary blobs that generated code includes.
 *
 * The weight blob is the module's live weights, each at the offset
 * plan-memory gave it, copied byte for byte from the GGUF mapping: packed
 * encodings stay packed, a tied tensor appears once. gqc_weight_blob_walk()
 * is the one definition of that layout; the C backend streams it to a file,
 * the LLVM backend into a buffer it turns into a constant. With
 * --weights=file the driver streams it to <base>.weights through
 * gqc_write_weight_file(), which computes on the way the two CRC-32C
 * checksums that the generated <name>_init_weights / _verify_weights compare
 * against (the runtime's gqcrt_crc32c, so both sides use one definition).
 */
#include "codegen/codegen.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "gqcrt_blob.h"
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

/* Passes the blob on to the file and folds it into both checksums: `full`
 * over every byte, `quick` over [0, head) and [tail, size) (gqcrt_blob.h). */
typedef struct summing_sink {
  FILE *f;
  uint64_t pos, head, tail;
  uint32_t full, quick;
} summing_sink;

static void sum_piece(summing_sink *s, const unsigned char *p, uint64_t n) {
  s->full = gqcrt_crc32c(s->full, p, (size_t)n);
  uint64_t lo = s->pos, hi = s->pos + n;
  if (lo < s->head) /* the piece's part in [0, head) */
    s->quick = gqcrt_crc32c(s->quick, p, (size_t)((hi < s->head ? hi : s->head) - lo));
  uint64_t from = lo > s->tail ? lo : s->tail; /* its part in [tail, size); tail >= head */
  if (from < hi)
    s->quick = gqcrt_crc32c(s->quick, p + (from - lo), (size_t)(hi - from));
  s->pos = hi;
}

static bool summing_write(void *ctx, const void *data, uint64_t n) {
  summing_sink *s = ctx;
  static const unsigned char zeros[4096];
  if (data) {
    const unsigned char *p = data;
    for (uint64_t done = 0; done < n;) { /* pieces that fit size_t on any host */
      uint64_t k = n - done > (1u << 26) ? (1u << 26) : n - done;
      sum_piece(s, p + done, k);
      done += k;
    }
    return write_all(s->f, data, n);
  }
  for (uint64_t done = 0; done < n;) {
    uint64_t k = n - done > sizeof zeros ? sizeof zeros : n - done;
    sum_piece(s, zeros, k);
    done += k;
  }
  return write_zeros(s->f, n);
}

bool gqc_write_weight_file(const ir_module *m, const char *path, uint32_t *full, uint32_t *quick,
                           gqc_diag *d) {
  FILE *f = fopen(path, "wb");
  if (!f)
    return gqc_error(d, "%s: cannot write: %s", path, strerror(errno));
  uint64_t size = m->weight_bytes > 0 ? (uint64_t)m->weight_bytes : 0;
  summing_sink s = {
      .f = f, .head = gqcrt_weights_quick_head(size), .tail = gqcrt_weights_quick_tail(size)};
  bool ok = gqc_weight_blob_walk(m, summing_write, &s, path, d);
  if (fclose(f) != 0 && ok)
    return gqc_error(d, "%s: write failed: %s", path, strerror(errno));
  if (ok && s.pos != size)
    return gqc_error(d, "%s: internal error: wrote %llu of %llu bytes", path,
                     (unsigned long long)s.pos, (unsigned long long)size);
  *full = s.full;
  *quick = s.quick;
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
