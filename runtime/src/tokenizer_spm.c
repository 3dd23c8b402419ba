/* tokenizer_spm.c — the SentencePiece-style ("llama") tokenizer, as
 * llama.cpp's llm_tokenizer_spm_session computes it.
 *
 * It is a greedy, score-driven merge over UTF-8 characters, not Viterbi:
 *
 *  1. The fragment gets a leading " " if asked (add_space_prefix, for the
 *     first fragment and every fragment after a special token), and every
 *     " " becomes "▁" (U+2581).
 *  2. Each UTF-8 character is a symbol in a doubly linked list.
 *  3. Every adjacent pair whose concatenation is a vocabulary entry is a
 *     candidate with that entry's score. A max-heap (in scratch) pops the
 *     highest score first, the lowest left index on ties. A popped candidate
 *     is stale when either symbol has changed since it was pushed (a symbol
 *     only ever grows, so "the two lengths still add up to the candidate's
 *     length" is the test); otherwise the right symbol merges into the left
 *     one and the pairs with the new neighbours become candidates.
 *  4. Each final symbol is emitted as its token, or, when its text is not a
 *     token, as one byte token per byte (<0xXX>).
 *
 * llama.cpp also records every candidate in a text -> (left, right) map and
 * "re-segments" a final symbol that is not a token through it. That path is
 * never taken: only candidates whose text is a token are recorded, and a
 * final symbol that is not a token is therefore an unmerged single
 * character, which the map cannot contain. So step 4 is exact without it.
 */
#include "gqcrt.h"
#include "rt_libc.h"
#include "tokenizer_internal.h"
#include "gqcrt_unicode.h"

typedef struct spm_symbol {
  int32_t prev, next;
  uint32_t start, len; /* bytes of the escaped text; len 0 once merged away */
} spm_symbol;

/* Heap order: higher score first, then lower left index. */
static int before(const gqcrt_merge_candidate *a, const gqcrt_merge_candidate *b) {
  return a->score > b->score || (a->score == b->score && a->left < b->left);
}

typedef struct spm_state {
  const gqcrt_vocab *v;
  const uint8_t *text; /* escaped */
  spm_symbol *sym;
  gqcrt_merge_heap heap;
} spm_state;

static void try_pair(spm_state *s, int32_t left, int32_t right) {
  if (left < 0 || right < 0)
    return;
  uint32_t len = s->sym[left].len + s->sym[right].len;
  int32_t id = gqcrt_vocab_lookup(s->v, s->text + s->sym[left].start, len);
  if (id < 0 || id >= s->v->h->n_tokens)
    return;
  gqcrt_merge_candidate c = {.score = s->v->score[id], .left = left, .right = right, .len = len};
  gqcrt_merge_heap_push(&s->heap, c);
}

size_t gqcrt_spm_scratch_bytes(size_t n) {
  size_t chars = n + 1; /* + the space prefix */
  return 3 * chars + 8 + sizeof(spm_symbol) * chars + 8 +
         sizeof(gqcrt_merge_candidate) * 3 * chars + 8;
}

int32_t gqcrt_spm_fragment(const gqcrt_vocab *v, const uint8_t *text, size_t len, int space_prefix,
                           gqcrt_arena *a, gqcrt_tok_out *out) {
  static const uint8_t lower_one_eighth_block[3] = {0xE2, 0x96, 0x81}; /* U+2581 */
  size_t chars = len + (space_prefix ? 1 : 0);
  uint8_t *esc = gqcrt_arena_alloc(a, 3 * chars);
  spm_symbol *sym = gqcrt_arena_alloc(a, sizeof(spm_symbol) * chars);
  gqcrt_merge_candidate *heap = gqcrt_arena_alloc(a, sizeof(gqcrt_merge_candidate) * 3 * chars);
  if (!esc || !sym || !heap)
    return GQCRT_ERR_NO_SPACE;

  /* 1. escape */
  size_t n_esc = 0;
  if (space_prefix) {
    memcpy(esc, lower_one_eighth_block, 3);
    n_esc = 3;
  }
  for (size_t i = 0; i < len; i++) {
    if (text[i] == ' ') {
      memcpy(esc + n_esc, lower_one_eighth_block, 3);
      n_esc += 3;
    } else {
      esc[n_esc++] = text[i];
    }
  }
  if (n_esc == 0)
    return GQCRT_OK;

  /* 2. one symbol per character */
  int32_t n_sym = 0;
  for (size_t off = 0; off < n_esc;) {
    size_t cl = gqcrt_utf8_lead_len(esc[off]);
    if (cl > n_esc - off)
      cl = n_esc - off;
    sym[n_sym].prev = n_sym - 1;
    sym[n_sym].next = off + cl == n_esc ? -1 : n_sym + 1;
    sym[n_sym].start = (uint32_t)off;
    sym[n_sym].len = (uint32_t)cl;
    n_sym++;
    off += cl;
  }

  /* 3. merge by score */
  spm_state s = {v, esc, sym, {heap, 0, 3 * chars, before}};
  for (int32_t i = 1; i < n_sym; i++)
    try_pair(&s, i - 1, i);
  while (s.heap.n > 0) {
    gqcrt_merge_candidate c = gqcrt_merge_heap_pop(&s.heap);
    spm_symbol *l = &sym[c.left], *r = &sym[c.right];
    if (l->len == 0 || r->len == 0 || l->len + r->len != c.len)
      continue;
    l->len += r->len;
    r->len = 0;
    l->next = r->next;
    if (r->next >= 0)
      sym[r->next].prev = c.left;
    try_pair(&s, l->prev, c.left);
    try_pair(&s, c.left, l->next);
  }

  /* 4. emit */
  for (int32_t i = 0; i != -1; i = sym[i].next) {
    int32_t id = gqcrt_vocab_lookup(v, esc + sym[i].start, sym[i].len);
    if (id >= 0 && id < v->h->n_tokens) {
      gqcrt_out_push(out, id);
      continue;
    }
    for (uint32_t j = 0; j < sym[i].len; j++) {
      int32_t b = v->byte_token[esc[sym[i].start + j]];
      if (b >= 0)
        gqcrt_out_push(out, b);
    }
  }
  return GQCRT_OK;
}
