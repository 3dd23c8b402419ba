/* tokenizer_internal.h — what the tokenizer's source files share: a
 * resolved view of a (trusted) vocab blob, the lookups over it, a bump
 * allocator over the caller's scratch memory, the output sink, the heap of
 * merge candidates, and the entry points of the SPM, BPE and pre-tokenizer
 * files. Not installed. */
#ifndef GQCRT_TOKENIZER_INTERNAL_H
#define GQCRT_TOKENIZER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "gqcrt_vocab_blob.h"

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

/* A candidate merge of the adjacent symbols left and right, whose texts
 * summed len bytes when it was found (a popped candidate whose symbols no
 * longer add up to len is stale). BPE orders by merge rank, SPM by score. */
typedef struct gqcrt_merge_candidate {
  union {
    int32_t rank; /* BPE: the merge's index */
    float score;  /* SPM: the merged token's score */
  };
  int32_t left, right;
  uint32_t len;
} gqcrt_merge_candidate;

/* Binary heap of candidates in caller scratch; `before` says which of two
 * candidates pops first. */
typedef struct gqcrt_merge_heap {
  gqcrt_merge_candidate *item;
  size_t n, cap;
  int (*before)(const gqcrt_merge_candidate *a, const gqcrt_merge_candidate *b);
} gqcrt_merge_heap;

/* Push is a no-op when the heap is full (the callers' capacity bound makes
 * that impossible); pop requires n > 0. */
void gqcrt_merge_heap_push(gqcrt_merge_heap *h, gqcrt_merge_candidate c);
gqcrt_merge_candidate gqcrt_merge_heap_pop(gqcrt_merge_heap *h);

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
