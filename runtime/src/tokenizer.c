/* tokenizer.c — the public tokenizer API (gqcrt_tokenizer.h): blob access,
 * the special-token partition, and the dispatch to SPM or BPE.
 *
 * gqcrt_tokenize works in three steps, as llama.cpp's llama_vocab::tokenize:
 *
 *  1. Partition. The text starts as one raw fragment. For every special
 *     token in the blob's order (longest text first), every raw fragment is
 *     split at each leftmost, non-overlapping occurrence of the token's text
 *     into raw text before, the token, and raw text after (which is searched
 *     again). CONTROL and UNKNOWN tokens take part only with parse_special;
 *     USER_DEFINED ones always do. A token marked LSTRIP / RSTRIP also eats
 *     the ASCII whitespace before / after it. The fragments are a linked list
 *     in scratch (at most two new fragments per match, so 2n + 1 for n bytes).
 *  2. Each raw fragment is tokenised on its own by SPM or BPE. SPM prepends
 *     a space (add_space_prefix) to the first fragment and to every fragment
 *     that follows a special token.
 *  3. With add_special, BOS goes first and EOS last, as the vocabulary says.
 *
 * Invalid UTF-8 anywhere in the input is rejected up front with
 * GQCRT_ERR_BAD_UTF8. (llama.cpp does not reject it: its BPE path decodes an
 * invalid byte as U+FFFD and its SPM path tokenises the raw bytes through
 * byte fallback. The API contract asks for an error instead, so text that
 * llama.cpp would tokenise into replacement characters is refused here.)
 *
 * Nothing is allocated: all working memory is the caller's scratch, whose
 * size gqcrt_tokenize_scratch_bytes() bounds linearly in the text length.
 */

#include "gqcrt.h"
#include "gqcrt_tokenizer.h"
#include "tokenizer_internal.h"
#include "gqcrt_unicode.h"

/* ---- blob access -------------------------------------------------------- */

void gqcrt_vocab_view(const void *blob, gqcrt_vocab *v) {
  const uint8_t *b = blob;
  const gqcrt_vocab_header *h = blob;
  v->h = h;
  v->sym_text = (const gqcrt_vocab_str *)(b + h->off_sym_text);
  v->piece = (const gqcrt_vocab_str *)(b + h->off_piece);
  v->score = (const float *)(b + h->off_score);
  v->attr = (const uint16_t *)(b + h->off_attr);
  v->token_hash = (const int32_t *)(b + h->off_token_hash);
  v->specials = (const int32_t *)(b + h->off_specials);
  v->eog = (const int32_t *)(b + h->off_eog);
  v->byte_token = (const int32_t *)(b + h->off_byte_token);
  v->byte_symbol = (const int32_t *)(b + h->off_byte_symbol);
  v->merges = (const gqcrt_vocab_merge *)(b + h->off_merges);
  v->merge_hash = (const int32_t *)(b + h->off_merge_hash);
  v->strings = (const char *)(b + h->off_strings);
}

int32_t gqcrt_vocab_lookup(const gqcrt_vocab *v, const void *text, size_t len) {
  uint32_t mask = v->h->token_hash_cap - 1;
  uint32_t i = gqcrt_vocab_hash_text(text, len) & mask;
  for (uint32_t probes = 0; probes <= mask; probes++, i = (i + 1) & mask) {
    int32_t id = v->token_hash[i];
    if (id < 0)
      return -1;
    const gqcrt_vocab_str *s = &v->sym_text[id];
    if (s->length == len && gqcrt_bytes_equal(v->strings + s->offset, text, len))
      return id;
  }
  return -1;
}

int32_t gqcrt_vocab_find_merge(const gqcrt_vocab *v, int32_t left, int32_t right) {
  uint32_t mask = v->h->merge_hash_cap - 1;
  uint32_t i = gqcrt_vocab_hash_pair(left, right) & mask;
  for (uint32_t probes = 0; probes <= mask; probes++, i = (i + 1) & mask) {
    int32_t m = v->merge_hash[i];
    if (m < 0)
      return -1;
    if (v->merges[m].left == left && v->merges[m].right == right)
      return m;
  }
  return -1;
}

void *gqcrt_arena_alloc(gqcrt_arena *a, size_t bytes) {
  uintptr_t base = (uintptr_t)a->base;
  size_t start = ((base + a->used + 7) & ~(uintptr_t)7) - base;
  if (start > a->size || bytes > a->size - start)
    return NULL;
  a->used = start + bytes;
  return a->base + start;
}

int32_t gqcrt_vocab_n_tokens(const void *blob) {
  return blob ? ((const gqcrt_vocab_header *)blob)->n_tokens : 0;
}

int32_t gqcrt_vocab_bos(const void *blob) {
  return blob ? ((const gqcrt_vocab_header *)blob)->bos : -1;
}

int32_t gqcrt_vocab_eos(const void *blob) {
  return blob ? ((const gqcrt_vocab_header *)blob)->eos : -1;
}

int32_t gqcrt_vocab_is_eog(const void *blob, int32_t id) {
  if (!blob || id < 0 || id >= gqcrt_vocab_n_tokens(blob))
    return 0;
  gqcrt_vocab v;
  gqcrt_vocab_view(blob, &v);
  return (v.attr[id] & GQCRT_TOK_EOG) ? 1 : 0;
}

const char *gqcrt_token_text(const void *blob, int32_t id) {
  if (!blob || id < 0 || id >= gqcrt_vocab_n_tokens(blob))
    return NULL;
  gqcrt_vocab v;
  gqcrt_vocab_view(blob, &v);
  return v.strings + v.sym_text[id].offset;
}

const char *gqcrt_token_piece(const void *blob, int32_t id, int special, int32_t *len) {
  if (len)
    *len = 0;
  if (!blob || id < 0 || id >= gqcrt_vocab_n_tokens(blob))
    return NULL;
  gqcrt_vocab v;
  gqcrt_vocab_view(blob, &v);
  if (!special && (v.attr[id] & (GQCRT_TOK_CONTROL | GQCRT_TOK_UNKNOWN)))
    return "";
  if (len)
    *len = (int32_t)v.piece[id].length;
  return v.strings + v.piece[id].offset;
}

/* ---- scratch bound -------------------------------------------------------- */

typedef struct fragment {
  uint32_t start, len;
  int32_t token; /* -1: raw text */
  int32_t next;  /* -1: last */
} fragment;

#define MAX_TEXT_LEN 0x3FFFFFFFu

static size_t fragments_bytes(size_t n) {
  return sizeof(fragment) * (2 * n + 2) + 8;
}

size_t gqcrt_tokenize_scratch_bytes(const void *blob, size_t text_len) {
  if (text_len > MAX_TEXT_LEN)
    return SIZE_MAX;
  size_t spm = gqcrt_spm_scratch_bytes(text_len), bpe = gqcrt_bpe_scratch_bytes(text_len);
  size_t model;
  if (!blob)
    model = spm > bpe ? spm : bpe;
  else
    model = ((const gqcrt_vocab_header *)blob)->model == GQCRT_VOCAB_BPE ? bpe : spm;
  return 64 + fragments_bytes(text_len) + model;
}

/* ---- partition -------------------------------------------------------------- */

static int ascii_space(uint8_t c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* Offset of the first occurrence of pat in s[0..n), or -1. */
static int64_t find_text(const uint8_t *s, size_t n, const uint8_t *pat, size_t m) {
  if (m == 0 || m > n)
    return -1;
  const uint8_t first = pat[0];
  for (size_t i = 0; i + m <= n; i++)
    if (s[i] == first && gqcrt_bytes_equal(s + i + 1, pat + 1, m - 1))
      return (int64_t)i;
  return -1;
}

typedef struct partition {
  const uint8_t *text;
  fragment *frag;
  int32_t n_frag, cap_frag;
} partition;

static int32_t new_fragment(partition *p, uint32_t start, uint32_t len, int32_t token,
                            int32_t next) {
  if (p->n_frag >= p->cap_frag)
    return -1; /* cannot happen: 2 fragments per match, one match per byte */
  fragment *f = &p->frag[p->n_frag];
  f->start = start, f->len = len, f->token = token, f->next = next;
  return p->n_frag++;
}

/* Split raw fragment fi at every occurrence of special token id. Returns the
 * index of the last fragment that replaced fi (to continue after it). */
static int32_t split_fragment(partition *p, int32_t fi, int32_t id, const uint8_t *tok,
                              size_t tok_len, uint16_t attr) {
  for (;;) {
    fragment *f = &p->frag[fi];
    int64_t m = find_text(p->text + f->start, f->len, tok, tok_len);
    if (m < 0)
      return fi;
    uint32_t base = f->start, blen = f->len;
    uint32_t left_len = (uint32_t)m;
    if (attr & GQCRT_TOK_LSTRIP)
      while (left_len > 0 && ascii_space(p->text[base + left_len - 1]))
        left_len--;
    uint32_t right_start = base + (uint32_t)m + (uint32_t)tok_len;
    uint32_t right_len = base + blen - right_start;
    if (attr & GQCRT_TOK_RSTRIP)
      while (right_len > 0 && ascii_space(p->text[right_start]))
        right_start++, right_len--;
    int32_t tok_frag;
    if (left_len > 0) { /* fi keeps the text on the left */
      f->len = left_len;
      tok_frag = new_fragment(p, 0, 0, id, f->next);
      if (tok_frag < 0)
        return -1;
      p->frag[fi].next = tok_frag;
    } else { /* fi becomes the token */
      f->token = id;
      f->start = 0, f->len = 0;
      tok_frag = fi;
    }
    if (right_len == 0)
      return tok_frag;
    int32_t right = new_fragment(p, right_start, right_len, -1, p->frag[tok_frag].next);
    if (right < 0)
      return -1;
    p->frag[tok_frag].next = right;
    fi = right;
  }
}

static int32_t partition_text(partition *p, const gqcrt_vocab *v, size_t text_len,
                              int parse_special) {
  /* Which bytes occur at all: a cheap filter before searching for a token. */
  uint32_t present[8] = {0};
  for (size_t i = 0; i < text_len; i++)
    present[p->text[i] >> 5] |= 1u << (p->text[i] & 31);
  for (uint32_t k = 0; k < v->h->n_specials; k++) {
    int32_t id = v->specials[k];
    uint16_t attr = v->attr[id];
    if (!parse_special && (attr & (GQCRT_TOK_CONTROL | GQCRT_TOK_UNKNOWN)))
      continue;
    const gqcrt_vocab_str *s = &v->sym_text[id];
    const uint8_t *tok = (const uint8_t *)v->strings + s->offset;
    if (s->length == 0 || s->length > text_len || !(present[tok[0] >> 5] & (1u << (tok[0] & 31))))
      continue;
    for (int32_t fi = 0; fi != -1;) {
      if (p->frag[fi].token < 0) {
        fi = split_fragment(p, fi, id, tok, s->length, attr);
        if (fi < 0)
          return GQCRT_ERR_NO_SPACE;
      }
      fi = p->frag[fi].next;
    }
  }
  return GQCRT_OK;
}

/* ---- tokenize ------------------------------------------------------------------- */

int32_t gqcrt_tokenize(const void *blob, const char *text, size_t text_len, int add_special,
                       int parse_special, int32_t *ids, int32_t max_ids, void *scratch,
                       size_t scratch_size) {
  if (!blob || (!text && text_len > 0) || (!ids && max_ids > 0) || !scratch)
    return GQCRT_ERR_NULL;
  if (text_len > MAX_TEXT_LEN)
    return GQCRT_ERR_TOO_LONG;
  if (scratch_size < gqcrt_tokenize_scratch_bytes(blob, text_len))
    return GQCRT_ERR_NO_SPACE;
  const uint8_t *t = (const uint8_t *)text;
  if (text_len > 0 && !gqcrt_utf8_valid(t, text_len))
    return GQCRT_ERR_BAD_UTF8;

  gqcrt_vocab v;
  gqcrt_vocab_view(blob, &v);
  const gqcrt_vocab_header *h = v.h;
  gqcrt_arena arena = {scratch, scratch_size, 0};
  partition p = {t, NULL, 0, (int32_t)(2 * text_len + 2)};
  p.frag = gqcrt_arena_alloc(&arena, sizeof(fragment) * (size_t)p.cap_frag);
  if (!p.frag)
    return GQCRT_ERR_NO_SPACE;
  if (text_len > 0) {
    new_fragment(&p, 0, (uint32_t)text_len, -1, -1);
    int32_t rc = partition_text(&p, &v, text_len, parse_special);
    if (rc != GQCRT_OK)
      return rc;
  }

  gqcrt_tok_out out = {ids, max_ids > 0 ? max_ids : 0, 0};
  int is_spm = h->model == GQCRT_VOCAB_SPM;
  if (add_special && (h->flags & GQCRT_VOCAB_ADD_BOS) && h->bos >= 0)
    gqcrt_out_push(&out, h->bos);
  int prev_special = 1; /* SPM: the first fragment gets the space prefix */
  for (int32_t fi = p.n_frag > 0 ? 0 : -1; fi != -1; fi = p.frag[fi].next) {
    const fragment *f = &p.frag[fi];
    if (f->token >= 0) {
      gqcrt_out_push(&out, f->token);
      prev_special = 1;
      continue;
    }
    size_t mark = arena.used;
    int32_t rc;
    if (is_spm) {
      int prefix = (h->flags & GQCRT_VOCAB_ADD_SPACE_PREFIX) && prev_special;
      rc = gqcrt_spm_fragment(&v, t + f->start, f->len, prefix, &arena, &out);
    } else {
      rc = gqcrt_bpe_fragment(&v, t + f->start, f->len, &arena, &out);
    }
    arena.used = mark;
    if (rc != GQCRT_OK)
      return rc;
    prev_special = 0;
  }
  if (add_special && (h->flags & GQCRT_VOCAB_ADD_EOS) && h->eos >= 0)
    gqcrt_out_push(&out, h->eos);
  if (out.n > out.max)
    return GQCRT_ERR_NO_SPACE;
  return out.n;
}
