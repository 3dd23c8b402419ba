/* blobs.c — the weight and vocabulary blobs that generated code includes.
 *
 * The weight blob is the module's live weights, each at the offset
 * plan-memory gave it, copied byte for byte from the GGUF file: packed
 * encodings stay packed, a tied tensor appears once, and a weight that
 * repack-weights marked (w->repack) is permuted into its kernel's layout on
 * the way, a group of rows at a time. gqc_weight_blob_walk() is the one
 * definition of that layout, and it streams: the blob goes to a sink in
 * pieces of at most GQC_BLOB_PIECE_BYTES. When the module's weights come
 * from a file (m->weight_file: the GGUF the frontend mapped), the walk never
 * touches the mapping — its pages would stay in the process's memory, the
 * whole model by the end — but reads the pieces it must change or hand
 * over in memory with pread, and gives a sink that can (a file) the
 * unchanged ones to copy file to file (copy_file_range: no copy through
 * user memory at all, as cp does). So writing a blob of any size takes a
 * few pieces of memory and about the time of copying the file.
 *
 * The sinks are files (gqc_blob_file, codegen/blob_file.c: the C backend's
 * and the assembly outputs' .weights, the weight section filled into an
 * object by codegen/elf_section.c) or, for tests, memory. With --weights=file the
 * driver streams the blob to <base>.weights through gqc_write_weight_file(),
 * which computes on the way the two CRC-32C checksums that the generated
 * <name>_init_weights / _verify_weights compare against (the runtime's
 * gqcrt_crc32c, so both sides use one definition).
 */
#define _POSIX_C_SOURCE 200809L
#include "codegen/codegen.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gqcrt_blob.h"
#include "gqcrt_tokenizer.h"

/* One walk: where it sends the blob, and its scratch buffers (bytes read
 * from the weight file; repacked bytes). */
typedef struct walk {
  const ir_module *m;
  const gqc_blob_sink *sink;
  unsigned char *in, *out;
  uint64_t in_size, out_size;
} walk;

static bool grow(unsigned char **buf, uint64_t *size, uint64_t n) {
  if (n <= *size)
    return true;
  unsigned char *p = realloc(*buf, n);
  if (!p)
    return false;
  *buf = p;
  *size = n;
  return true;
}

/* The offset in the module's weight file of bytes [p, p + n), or -1 when
 * they are not in it. */
static int64_t file_offset(const ir_module *m, const unsigned char *p, uint64_t n) {
  const unsigned char *base = m->weight_file_base;
  if (m->weight_file_fd < 0 || !base || p < base || (uint64_t)(p - base) > m->weight_file_size ||
      n > m->weight_file_size - (uint64_t)(p - base))
    return -1;
  return p - base;
}

/* Bytes [p, p + n) in memory: read into k->in from the weight file when
 * they are in it, else p. NULL (errno set) when the read fails. */
static const unsigned char *bytes_at(walk *k, const unsigned char *p, uint64_t n) {
  int64_t off = file_offset(k->m, p, n);
  if (off < 0)
    return p;
  if (!grow(&k->in, &k->in_size, n)) {
    errno = ENOMEM;
    return NULL;
  }
  return gqc_read_at(k->m->weight_file_fd, k->in, n, (uint64_t)off) ? k->in : NULL;
}

/* One weight's bytes in pieces of at most GQC_BLOB_PIECE_BYTES (or one
 * group of rows, if that is larger), repacked when the weight has a repack
 * function, else copied file to file when the sink can. */
static bool walk_weight(walk *k, const ir_weight *w, const char *what, gqc_diag *d) {
  const unsigned char *src = w->data;
  const gqc_blob_sink *sink = k->sink;
  uint64_t step = GQC_BLOB_PIECE_BYTES, row_bytes = 0;
  if (w->repack) {
    uint64_t rows = w->type.rank == 2 ? (uint64_t)w->type.dims[0] : 0;
    if (!rows || w->repack_rows < 1 || rows % (uint64_t)w->repack_rows || w->nbytes % rows ||
        rows > INT32_MAX || w->type.dims[1] > INT32_MAX)
      return gqc_error(d, "%s: weight @%s cannot be repacked in groups of %d rows", what, w->name,
                       w->repack_rows);
    row_bytes = w->nbytes / rows;
    uint64_t group = row_bytes * (uint64_t)w->repack_rows;
    step = group * (GQC_BLOB_PIECE_BYTES > group ? GQC_BLOB_PIECE_BYTES / group : 1);
    if (!grow(&k->out, &k->out_size, step))
      return gqc_error(d, "%s: out of memory repacking @%s", what, w->name);
  }
  for (uint64_t done = 0; done < w->nbytes; done += step) {
    uint64_t n = w->nbytes - done < step ? w->nbytes - done : step;
    int64_t off = file_offset(k->m, src + done, n);
    if (!w->repack && off >= 0 && sink->copy) { /* file to file */
      if (!sink->copy(sink->ctx, k->m->weight_file_fd, (uint64_t)off, n))
        return gqc_error(d, "%s: cannot copy weight @%s from the model file: %s", what, w->name,
                         strerror(errno));
      continue;
    }
    const unsigned char *bytes = bytes_at(k, src + done, n);
    if (!bytes)
      return gqc_error(d, "%s: cannot read weight @%s from the model file: %s", what, w->name,
                       strerror(errno));
    if (w->repack) { /* n / row_bytes whole rows, a multiple of repack_rows */
      w->repack(k->out, bytes, (int32_t)w->type.dims[1], (int32_t)(n / row_bytes));
      bytes = k->out;
    }
    if (!sink->write(sink->ctx, bytes, n))
      return gqc_error(d, "%s: write failed: %s", what, strerror(errno));
  }
  return true;
}

bool gqc_weight_blob_walk(const ir_module *m, const gqc_blob_sink *sink, const char *what,
                          gqc_diag *d) {
  if (m->weight_bytes < 0)
    return gqc_error(d, "%s: the module has no memory plan (run plan-memory)", what);
  uint64_t pos = 0, total = (uint64_t)m->weight_bytes;
  walk k = {.m = m, .sink = sink};
  bool ok = true;
  for (int i = 0; ok && i < m->n_weights; i++) {
    const ir_weight *w = &m->weights[i];
    if (w->dead)
      continue;
    if (!w->data)
      ok = gqc_error(d, "%s: weight @%s has no data (IR parsed from text?)", what, w->name);
    else if (w->offset < 0 || (uint64_t)w->offset < pos || w->nbytes > total ||
             (uint64_t)w->offset > total - w->nbytes)
      ok =
          gqc_error(d, "%s: weight @%s is outside the planned blob or out of order", what, w->name);
    else if (!sink->write(sink->ctx, NULL, (uint64_t)w->offset - pos))
      ok = gqc_error(d, "%s: write failed: %s", what, strerror(errno));
    else
      ok = walk_weight(&k, w, what, d);
    if (ok)
      pos = (uint64_t)w->offset + w->nbytes;
  }
  free(k.in);
  free(k.out);
  if (ok && !sink->write(sink->ctx, NULL, total - pos))
    return gqc_error(d, "%s: write failed: %s", what, strerror(errno));
  return ok;
}

/* Creates path and streams the blob into it through sink (which writes to
 * f, whose fd this opens). */
static bool write_blob_file(const ir_module *m, const char *path, gqc_blob_file *f,
                            const gqc_blob_sink *sink, gqc_diag *d) {
  f->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  f->pos = 0;
  if (f->fd < 0)
    return gqc_error(d, "%s: cannot write: %s", path, strerror(errno));
  bool ok = gqc_weight_blob_walk(m, sink, path, d);
  if (ok && !gqc_blob_file_end(f))
    ok = gqc_error(d, "%s: write failed: %s", path, strerror(errno));
  if (close(f->fd) != 0 && ok)
    ok = gqc_error(d, "%s: write failed: %s", path, strerror(errno));
  return ok;
}

bool gqc_write_weight_blob(const ir_module *m, const char *path, gqc_diag *d) {
  gqc_blob_file f;
  gqc_blob_sink sink = gqc_blob_file_sink(&f);
  return write_blob_file(m, path, &f, &sink, d);
}

/* Passes the blob on to the file and folds it into both checksums: `full`
 * over every byte, `quick` over [0, head) and [tail, size) (gqcrt_blob.h). */
typedef struct summing_sink {
  gqc_blob_file f;
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

/* The checksums need the bytes: the walk reads them (no copy callback). */
static bool summing_write(void *ctx, const void *data, uint64_t n) {
  summing_sink *s = ctx;
  static const unsigned char zeros[4096];
  const unsigned char *p = data;
  for (uint64_t done = 0; done < n;) { /* pieces that fit size_t on any host */
    uint64_t k = n - done;
    if (!p && k > sizeof zeros)
      k = sizeof zeros;
    else if (k > (1u << 26))
      k = 1u << 26;
    sum_piece(s, p ? p + done : zeros, k);
    done += k;
  }
  gqc_blob_sink file = gqc_blob_file_sink(&s->f);
  return file.write(file.ctx, data, n);
}

bool gqc_write_weight_file(const ir_module *m, const char *path, uint32_t *full, uint32_t *quick,
                           gqc_diag *d) {
  uint64_t size = m->weight_bytes > 0 ? (uint64_t)m->weight_bytes : 0;
  summing_sink s = {.head = gqcrt_weights_quick_head(size), .tail = gqcrt_weights_quick_tail(size)};
  gqc_blob_sink sink = {.write = summing_write, .ctx = &s};
  if (!write_blob_file(m, path, &s.f, &sink, d))
    return false;
  if (s.pos != size)
    return gqc_error(d, "%s: internal error: wrote %llu of %llu bytes", path,
                     (unsigned long long)s.pos, (unsigned long long)size);
  *full = s.full;
  *quick = s.quick;
  return true;
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
  gqc_blob_sink sink = {.write = memory_sink, .ctx = &b};
  return gqc_weight_blob_walk(m, &sink, "weight blob", d);
}

bool gqc_write_blob(const void *data, uint64_t size, const char *path, gqc_diag *d) {
  gqc_blob_file f = {.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)};
  if (f.fd < 0)
    return gqc_error(d, "%s: cannot write: %s", path, strerror(errno));
  gqc_blob_sink sink = gqc_blob_file_sink(&f);
  bool ok = !data || sink.write(sink.ctx, data, size);
  if (close(f.fd) != 0 || !ok)
    return gqc_error(d, "%s: write failed: %s", path, strerror(errno));
  return true;
}

bool gqc_write_vocab_blob(const ir_module *m, const char *path, gqc_diag *d) {
  return gqc_write_blob(m->vocab, m->vocab_bytes, path, d);
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
