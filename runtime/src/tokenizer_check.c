/* tokenizer_check.c — gqcrt_vocab_check: the guard run before a vocab blob
 * from outside (a file, a test) is trusted.
 *
 * After it returns GQCRT_OK, every offset and index the tokenizer follows is
 * in range: each section lies inside the blob and is aligned, every string
 * reference lies inside the string pool and is NUL-terminated, every id
 * stored anywhere names an existing token or symbol, both hash tables have
 * an empty slot (so probing for an absent key stops) and find every key they
 * hold. The scores are not checked (any float is a valid score).
 */
#include "gqcrt.h"
#include "gqcrt_tokenizer.h"
#include "tokenizer_internal.h"

/* Section [off, off + count * elem) inside the blob, 8-aligned, after the
 * header. */
static int section_ok(const gqcrt_vocab_header *h, uint32_t off, uint64_t count, uint64_t elem) {
  uint64_t bytes = count * elem; /* count < 2^32, elem <= 12: no overflow */
  return off % GQCRT_VOCAB_ALIGN == 0 && off >= h->header_size && off <= h->total_size &&
         bytes <= (uint64_t)h->total_size - off;
}

static int is_pow2(uint32_t x) {
  return x != 0 && (x & (x - 1)) == 0;
}

static int str_ok(const gqcrt_vocab_header *h, const char *strings, const gqcrt_vocab_str *s) {
  return (uint64_t)s->offset + s->length < h->strings_size && strings[s->offset + s->length] == 0;
}

static int ids_ok(const int32_t *a, uint32_t n, int32_t lo, int32_t hi) {
  for (uint32_t i = 0; i < n; i++)
    if (a[i] < lo || a[i] >= hi)
      return 0;
  return 1;
}

static int header_ok(const gqcrt_vocab_header *h, size_t size) {
  if (!gqcrt_bytes_equal(h->magic, GQCRT_VOCAB_MAGIC, 8) || h->version != GQCRT_VOCAB_VERSION ||
      h->header_size != sizeof(gqcrt_vocab_header) || h->total_size != size)
    return 0;
  if (h->model == GQCRT_VOCAB_SPM) {
    if (h->pre != GQCRT_PRE_NONE || h->n_symbols != h->n_tokens || h->n_merges != 0)
      return 0;
  } else if (h->model == GQCRT_VOCAB_BPE) {
    if (h->pre == GQCRT_PRE_NONE || h->pre >= GQCRT_PRE_COUNT)
      return 0;
  } else {
    return 0;
  }
  if ((h->flags & ~(uint32_t)GQCRT_VOCAB_FLAGS_ALL) != 0)
    return 0;
  if (h->n_tokens < 1 || h->n_symbols < h->n_tokens || h->n_specials > (uint32_t)h->n_tokens ||
      h->n_eog > (uint32_t)h->n_tokens || h->n_merges > (uint32_t)INT32_MAX)
    return 0;
  const int32_t special_ids[] = {h->bos, h->eos, h->unk, h->eot, h->eom, h->pad, h->sep};
  if (!ids_ok(special_ids, 7, -1, h->n_tokens))
    return 0;
  if (!is_pow2(h->token_hash_cap) || h->token_hash_cap <= (uint32_t)h->n_symbols ||
      !is_pow2(h->merge_hash_cap) || h->merge_hash_cap <= h->n_merges)
    return 0;
  return section_ok(h, h->off_sym_text, (uint64_t)h->n_symbols, sizeof(gqcrt_vocab_str)) &&
         section_ok(h, h->off_piece, (uint64_t)h->n_tokens, sizeof(gqcrt_vocab_str)) &&
         section_ok(h, h->off_score, (uint64_t)h->n_tokens, sizeof(float)) &&
         section_ok(h, h->off_attr, (uint64_t)h->n_tokens, sizeof(uint16_t)) &&
         section_ok(h, h->off_token_hash, h->token_hash_cap, sizeof(int32_t)) &&
         section_ok(h, h->off_specials, h->n_specials, sizeof(int32_t)) &&
         section_ok(h, h->off_eog, h->n_eog, sizeof(int32_t)) &&
         section_ok(h, h->off_byte_token, 256, sizeof(int32_t)) &&
         section_ok(h, h->off_byte_symbol, 256, sizeof(int32_t)) &&
         section_ok(h, h->off_merges, h->n_merges, sizeof(gqcrt_vocab_merge)) &&
         section_ok(h, h->off_merge_hash, h->merge_hash_cap, sizeof(int32_t)) &&
         section_ok(h, h->off_strings, h->strings_size, 1) && h->strings_size > 0;
}

static int tables_ok(const gqcrt_vocab *v) {
  const gqcrt_vocab_header *h = v->h;
  for (int32_t i = 0; i < h->n_symbols; i++)
    if (!str_ok(h, v->strings, &v->sym_text[i]))
      return 0;
  for (int32_t i = 0; i < h->n_tokens; i++)
    if (!str_ok(h, v->strings, &v->piece[i]) || (v->attr[i] & ~(uint32_t)GQCRT_TOK_ALL) != 0)
      return 0;
  if (!ids_ok(v->specials, h->n_specials, 0, h->n_tokens) ||
      !ids_ok(v->eog, h->n_eog, 0, h->n_tokens) || !ids_ok(v->byte_token, 256, -1, h->n_tokens) ||
      !ids_ok(v->byte_symbol, 256, -1, h->n_symbols))
    return 0;
  for (uint32_t i = 1; i < h->n_eog; i++)
    if (v->eog[i] <= v->eog[i - 1])
      return 0;
  for (uint32_t i = 0; i < h->n_merges; i++) {
    const gqcrt_vocab_merge *m = &v->merges[i];
    if (m->left == -1)
      continue;
    if (m->left < 0 || m->left >= h->n_symbols || m->right < 0 || m->right >= h->n_symbols ||
        m->result < 0 || m->result >= h->n_symbols)
      return 0;
  }
  /* Hash tables: ids in range, an empty slot, every entry findable. */
  int empty = 0;
  for (uint32_t i = 0; i < h->token_hash_cap; i++) {
    int32_t id = v->token_hash[i];
    if (id < -1 || id >= h->n_symbols)
      return 0;
    empty |= id == -1;
  }
  if (!empty)
    return 0;
  for (uint32_t i = 0; i < h->token_hash_cap; i++) {
    int32_t id = v->token_hash[i];
    if (id >= 0 &&
        gqcrt_vocab_lookup(v, v->strings + v->sym_text[id].offset, v->sym_text[id].length) != id)
      return 0;
  }
  empty = 0;
  for (uint32_t i = 0; i < h->merge_hash_cap; i++) {
    int32_t m = v->merge_hash[i];
    if (m < -1 || m >= (int64_t)h->n_merges || (m >= 0 && v->merges[m].left == -1))
      return 0;
    empty |= m == -1;
  }
  if (!empty)
    return 0;
  for (uint32_t i = 0; i < h->merge_hash_cap; i++) {
    int32_t m = v->merge_hash[i];
    if (m >= 0 && gqcrt_vocab_find_merge(v, v->merges[m].left, v->merges[m].right) != m)
      return 0;
  }
  return 1;
}

int32_t gqcrt_vocab_check(const void *blob, size_t size) {
  if (!blob || size < sizeof(gqcrt_vocab_header) || ((uintptr_t)blob % GQCRT_VOCAB_ALIGN) != 0)
    return GQCRT_ERR_BAD_BLOB;
  const gqcrt_vocab_header *h = blob;
  if (!header_ok(h, size))
    return GQCRT_ERR_BAD_BLOB;
  gqcrt_vocab v;
  gqcrt_vocab_view(blob, &v);
  return tables_ok(&v) ? GQCRT_OK : GQCRT_ERR_BAD_BLOB;
}
