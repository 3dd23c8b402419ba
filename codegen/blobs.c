/* blobs.c — the weight and vocabulary blobs that generated code includes.
 *
 * The weight blob is the module's live weights, each at the offset
 * plan-memory gave it, copied byte for byte from the GGUF mapping: packed
 * encodings stay packed, a tied tensor appears once.
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

bool gqc_write_weight_blob(const ir_module *m, const char *path, gqc_diag *d) {
  FILE *f = fopen(path, "wb");
  if (!f)
    return gqc_error(d, "%s: cannot write: %s", path, strerror(errno));
  uint64_t pos = 0;
  bool ok = true;
  for (int k = 0; k < m->n_weights && ok; k++) {
    const ir_weight *w = &m->weights[k];
    if (w->dead)
      continue;
    if (!w->data) {
      fclose(f);
      return gqc_error(d, "%s: weight @%s has no data (IR parsed from text?)", path, w->name);
    }
    ok = write_zeros(f, (uint64_t)w->offset - pos) && write_all(f, w->data, w->nbytes);
    pos = (uint64_t)w->offset + w->nbytes;
  }
  ok = ok && write_zeros(f, (uint64_t)m->weight_bytes - pos);
  if (fclose(f) != 0 || !ok)
    return gqc_error(d, "%s: write failed: %s", path, strerror(errno));
  return true;
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
