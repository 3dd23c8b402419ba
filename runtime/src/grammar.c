/* grammar.c — the runtime side of a compiled grammar (gqcrt_grammar.h):
 * checking the blob once, then masks and state moves by table lookups. */
#include "gqcrt_grammar.h"

#include "gqcrt.h"

typedef struct view {
  const gqcrt_grammar_header *h;
  const int32_t *special;
  const gqcrt_grammar_state_rec *states;
  const gqcrt_grammar_trans *trans;
  const gqcrt_grammar_mask_rec *masks;
  const uint32_t *words;
} view;

/* Byte offsets of the sections, from the header's counts (64-bit: a
 * hostile header cannot overflow them). */
static void section_offsets(const gqcrt_grammar_header *h, uint64_t off[6]) {
  off[0] = sizeof(gqcrt_grammar_header);
  off[1] = off[0] + 4ull * h->n_special;
  off[2] = off[1] + (uint64_t)sizeof(gqcrt_grammar_state_rec) * h->n_states;
  off[3] = off[2] + (uint64_t)sizeof(gqcrt_grammar_trans) * h->n_trans;
  off[4] = off[3] + (uint64_t)sizeof(gqcrt_grammar_mask_rec) * h->n_masks;
  off[5] = off[4] + 4ull * h->n_words;
}

static view view_of(const void *blob) {
  const unsigned char *b = (const unsigned char *)blob;
  view v;
  v.h = (const gqcrt_grammar_header *)blob;
  uint64_t off[6];
  section_offsets(v.h, off);
  v.special = (const int32_t *)(const void *)(b + off[0]);
  v.states = (const gqcrt_grammar_state_rec *)(const void *)(b + off[1]);
  v.trans = (const gqcrt_grammar_trans *)(const void *)(b + off[2]);
  v.masks = (const gqcrt_grammar_mask_rec *)(const void *)(b + off[3]);
  v.words = (const uint32_t *)(const void *)(b + off[4]);
  return v;
}

int gqcrt_grammar_check(const void *blob, uint64_t size, int32_t n_vocab) {
  if (!blob || size < sizeof(gqcrt_grammar_header) || ((uintptr_t)blob & 3))
    return GQCRT_ERR_BAD_BLOB;
  const gqcrt_grammar_header *h = (const gqcrt_grammar_header *)blob;
  if (h->magic != GQCRT_GRAMMAR_MAGIC || h->version != GQCRT_GRAMMAR_VERSION ||
      h->n_vocab != (uint32_t)n_vocab || n_vocab <= 0 || h->n_states == 0 ||
      h->start >= h->n_states || h->n_special > 65535u - GQCRT_GRAMMAR_SPECIAL_BASE ||
      h->trigger < -1 || h->trigger >= n_vocab)
    return GQCRT_ERR_BAD_BLOB;
  uint64_t off[6];
  section_offsets(h, off);
  if (off[5] != h->total_bytes || off[5] > size)
    return GQCRT_ERR_BAD_BLOB;
  const view v = view_of(blob);
  for (uint32_t k = 0; k < h->n_special; k++)
    if (v.special[k] < 0 || v.special[k] >= n_vocab)
      return GQCRT_ERR_BAD_BLOB;
  const uint32_t symbols = GQCRT_GRAMMAR_SPECIAL_BASE + h->n_special;
  const uint64_t bitset_words = ((uint64_t)n_vocab + 31) / 32;
  for (uint32_t k = 0; k < h->n_masks; k++) {
    const gqcrt_grammar_mask_rec *m = &v.masks[k];
    if ((uint64_t)m->offset + m->n_words > h->n_words)
      return GQCRT_ERR_BAD_BLOB;
    if (m->kind == GQCRT_GRAMMAR_MASK_LIST) {
      if (m->n_words != m->count)
        return GQCRT_ERR_BAD_BLOB;
      for (uint32_t i = 0; i < m->count; i++) /* ascending ids in range */
        if (v.words[m->offset + i] >= (uint32_t)n_vocab ||
            (i && v.words[m->offset + i] <= v.words[m->offset + i - 1]))
          return GQCRT_ERR_BAD_BLOB;
    } else if (m->kind != GQCRT_GRAMMAR_MASK_BITSET || m->n_words != bitset_words) {
      return GQCRT_ERR_BAD_BLOB;
    }
  }
  for (uint32_t s = 0; s < h->n_states; s++) {
    const gqcrt_grammar_state_rec *st = &v.states[s];
    const uint32_t n = st->n_trans & ~(uint32_t)GQCRT_GRAMMAR_ACCEPT;
    if ((uint64_t)st->first_trans + n > h->n_trans || st->mask >= h->n_masks)
      return GQCRT_ERR_BAD_BLOB;
    for (uint32_t i = 0; i < n; i++) { /* sorted, disjoint, in range */
      const gqcrt_grammar_trans *t = &v.trans[st->first_trans + i];
      if (t->lo > t->hi || t->hi >= symbols || t->to >= h->n_states ||
          (i && t->lo <= v.trans[st->first_trans + i - 1].hi))
        return GQCRT_ERR_BAD_BLOB;
    }
  }
  return GQCRT_OK;
}

uint32_t gqcrt_grammar_start(const void *blob) {
  return ((const gqcrt_grammar_header *)blob)->start;
}

int32_t gqcrt_grammar_trigger(const void *blob) {
  return ((const gqcrt_grammar_header *)blob)->trigger;
}

int gqcrt_grammar_accepting(const void *blob, uint32_t state) {
  const view v = view_of(blob);
  return state < v.h->n_states && (v.states[state].n_trans & GQCRT_GRAMMAR_ACCEPT) != 0;
}

int gqcrt_grammar_complete(const void *blob, uint32_t state) {
  const view v = view_of(blob);
  return state < v.h->n_states && v.states[state].n_trans == GQCRT_GRAMMAR_ACCEPT;
}

static const gqcrt_grammar_mask_rec *mask_of(const view *v, uint32_t state) {
  return state < v->h->n_states ? &v->masks[v->states[state].mask] : 0;
}

int gqcrt_grammar_allows(const void *blob, uint32_t state, int32_t token) {
  const view v = view_of(blob);
  const gqcrt_grammar_mask_rec *m = mask_of(&v, state);
  if (!m || token < 0 || (uint32_t)token >= v.h->n_vocab)
    return 0;
  const uint32_t *w = v.words + m->offset, t = (uint32_t)token;
  if (m->kind == GQCRT_GRAMMAR_MASK_BITSET)
    return (w[t >> 5] >> (t & 31)) & 1;
  uint32_t lo = 0, hi = m->count; /* binary search in the ascending list */
  while (lo < hi) {
    const uint32_t mid = lo + (hi - lo) / 2;
    if (w[mid] < t)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < m->count && w[lo] == t;
}

uint32_t gqcrt_grammar_n_allowed(const void *blob, uint32_t state) {
  const view v = view_of(blob);
  const gqcrt_grammar_mask_rec *m = mask_of(&v, state);
  return m ? m->count : 0;
}

const uint32_t *gqcrt_grammar_list(const void *blob, uint32_t state, uint32_t *count) {
  const view v = view_of(blob);
  const gqcrt_grammar_mask_rec *m = mask_of(&v, state);
  *count = m ? m->count : 0;
  return m && m->kind == GQCRT_GRAMMAR_MASK_LIST ? v.words + m->offset : 0;
}

void gqcrt_grammar_apply(const void *blob, uint32_t state, float *logits, int32_t n_vocab) {
  const view v = view_of(blob);
  const gqcrt_grammar_mask_rec *m = mask_of(&v, state);
  const float neg_inf = -__builtin_inff();
  if (!m) {
    for (int32_t i = 0; i < n_vocab; i++)
      logits[i] = neg_inf;
    return;
  }
  const uint32_t *w = v.words + m->offset;
  if (m->kind == GQCRT_GRAMMAR_MASK_BITSET) {
    for (int32_t i = 0; i < n_vocab; i++)
      if (!((w[(uint32_t)i >> 5] >> ((uint32_t)i & 31)) & 1))
        logits[i] = neg_inf;
    return;
  }
  uint32_t j = 0; /* merge with the ascending list */
  for (int32_t i = 0; i < n_vocab; i++) {
    if (j < m->count && w[j] == (uint32_t)i)
      j++;
    else
      logits[i] = neg_inf;
  }
}

uint32_t gqcrt_grammar_allowed(const void *blob, uint32_t state, int32_t *ids, uint32_t max) {
  const view v = view_of(blob);
  const gqcrt_grammar_mask_rec *m = mask_of(&v, state);
  if (!m)
    return 0;
  const uint32_t *w = v.words + m->offset;
  if (m->kind == GQCRT_GRAMMAR_MASK_LIST) {
    for (uint32_t i = 0; i < m->count && i < max; i++)
      ids[i] = (int32_t)w[i];
    return m->count;
  }
  uint32_t n = 0;
  for (uint32_t k = 0; k < m->n_words; k++)
    for (uint32_t bits = w[k]; bits; bits &= bits - 1) {
      if (n < max)
        ids[n] = (int32_t)(k * 32 + (uint32_t)__builtin_ctz(bits));
      n++;
    }
  return n;
}

/* The state after symbol `sym` from `state`, or -1. */
static int64_t step(const view *v, uint32_t state, uint32_t sym) {
  const gqcrt_grammar_state_rec *st = &v->states[state];
  const gqcrt_grammar_trans *t = v->trans + st->first_trans;
  uint32_t lo = 0, hi = st->n_trans & ~(uint32_t)GQCRT_GRAMMAR_ACCEPT;
  while (lo < hi) { /* the first range whose hi >= sym */
    const uint32_t mid = lo + (hi - lo) / 2;
    if (t[mid].hi < sym)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo < (st->n_trans & ~(uint32_t)GQCRT_GRAMMAR_ACCEPT) && t[lo].lo <= sym)
    return t[lo].to;
  return -1;
}

int64_t gqcrt_grammar_next(const void *blob, uint32_t state, int32_t token, const char *piece,
                           int32_t len) {
  const view v = view_of(blob);
  if (state >= v.h->n_states)
    return -1;
  for (uint32_t k = 0; k < v.h->n_special; k++)
    if (v.special[k] == token)
      return step(&v, state, GQCRT_GRAMMAR_SPECIAL_BASE + k);
  if (!piece || len <= 0)
    return -1;
  int64_t s = state;
  for (int32_t i = 0; i < len && s >= 0; i++)
    s = step(&v, (uint32_t)s, (unsigned char)piece[i]);
  return s;
}
