/* tokenizer_internal.h — what the tokenizer's source files share: a
 * resolved view of a (trusted) vocab blob, the lookups over it, a bump
 * allocator over the caller's scratch memory, the output sink, and the entry
 * points of the SPM, BPE and pre-tokenizer files. Not installed. */
#ifndef GQCRT_TOKENIZER_INTERNAL_H
#define GQCRT_TOKENIZER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "vocab_blob.h"

/* Pointers into a blob, resolved once per call. */
typedef struct gqcrt_vocab {
  const gqcrt_vocab_header *h;
  const gqcrt_vocab_str *sym_text;
  const gqcrt_vocab_str *piece;
  const float *score;
  const uint16_t *attr;
  const int32_t *token_hash;
  const int32_t *specials;
  const int32_t *eog;
  const int32_t *byte_token;
  const int32_t *byte_symbol;
  const gqcrt_vocab_merge *merges;
  const int32_t *merge_hash;
  const char *strings;
} gqcrt_vocab;

void gqcrt_vocab_view(const void *blob, gqcrt_vocab *v);
/* Symbol id whose text is text[0..len), or -1. */
int32_t gqcrt_vocab_lookup(const gqcrt_vocab *v, const void *text, size_t len);
/* Index (= rank) of the merge of symbols left and right, or -1. */
int32_t gqcrt_vocab_find_merge(const gqcrt_vocab *v, int32_t left, int32_t right);

/* Byte comparison (the runtime uses no libc beyond memcpy/memset). */
static inline int gqcrt_bytes_equal(const void *a, const void *b, size_t n) {
  const uint8_t *x = (const uint8_t *)a, *y = (const uint8_t *)b;
  for (size_t i = 0; i < n; i++)
    if (x[i] != y[i])
      return 0;
  return 1;
}

/* Bump allocator over caller-provided scratch. Allocations are 8-aligned;
 * NULL when the scratch is exhausted (the size bound makes that a bug). */
typedef struct gqcrt_arena {
  uint8_t *base;
  size_t size;
  size_t used;
} gqcrt_arena;

void *gqcrt_arena_alloc(gqcrt_arena *a, size_t bytes);

/* Output ids: counts every id, stores those that fit. */
typedef struct gqcrt_tok_out {
  int32_t *ids;
  int32_t max;
  int32_t n;
} gqcrt_tok_out;

static inline void gqcrt_out_push(gqcrt_tok_out *o, int32_t id) {
  if (o->n < o->max)
    o->ids[o->n] = id;
  if (o->n < INT32_MAX)
    o->n++;
}

/* Scratch each model needs for one raw fragment of n bytes (an upper
 * bound, allocation slack included). */
size_t gqcrt_spm_scratch_bytes(size_t n);
size_t gqcrt_bpe_scratch_bytes(size_t n);

/* Tokenize one raw fragment. The arena is the caller's to reset afterwards.
 * Return GQCRT_OK or GQCRT_ERR_NO_SPACE (scratch exhausted). */
int32_t gqcrt_spm_fragment(const gqcrt_vocab *v, const uint8_t *text, size_t len, int space_prefix,
                           gqcrt_arena *a, gqcrt_tok_out *out);
int32_t gqcrt_bpe_fragment(const gqcrt_vocab *v, const uint8_t *text, size_t len, gqcrt_arena *a,
                           gqcrt_tok_out *out);

/* Pre-tokenize n code points (with their gqcrt_uni_flags) the way
 * llama.cpp's unicode_regex_split does for `pre`. buf_a and buf_b each hold
 * n entries; the piece lengths (in code points) end up in one of them,
 * which is returned, with the count in *n_pieces. */
const uint32_t *gqcrt_pretokenize(uint32_t pre, const uint32_t *cp, const uint16_t *flags, size_t n,
                                  uint32_t *buf_a, uint32_t *buf_b, size_t *n_pieces);

#endif
