/* token_automaton.c — a grammar compiled against a vocabulary: the token
 * automaton a model object carries (runtime/include/gqcrt_grammar.h).
 *
 * Grammar-constrained decoding asks, at every step, "which of the 262,144
 * tokens may come next?". llama.cpp answers it at run time: it keeps a set
 * of pushdown stacks over the grammar's rules and, every step, runs each
 * candidate token's characters through them (with a trie of the vocabulary
 * to share prefixes) — interpretation, with allocation, per token per step.
 * XGrammar precomputes the answer for the "context-independent" tokens of
 * each grammar position and checks only the rest at run time. An
 * ahead-of-time compiler can go all the way: the grammars gqc takes for
 * constrained calls are bounded (strings of at most N characters, nesting
 * at most D levels — the tools grammar is bounded by construction, a GBNF
 * grammar's recursion is unrolled to a fixed depth), so they are regular
 * languages, and the whole question can be answered at compile time.
 *
 * The representation has to stay small. A token-level DFA (state x token ->
 * state) over a 262k vocabulary is out of the question; instead the
 * automaton stays at the level of bytes (char_automaton.c: a minimal DFA
 * over bytes and the special tokens the grammar names) and what is
 * precomputed per state is only the set of tokens allowed there:
 *
 *   allowed(s) = { t normal : every byte of t's text has a transition, from
 *                  s on, into a state that can still reach the end }
 *              ∪ { special token k : s has a transition on symbol 256+k }
 *              ∪ { end-of-generation tokens, if s accepts }
 *
 * (trimming made every state live, so "has a transition" is enough). At
 * run time the chosen token moves the state along its bytes — a handful of
 * table lookups — and the next mask is a table entry.
 *
 * Two sharings keep the compile fast and the object small:
 *   - The normal-token part of allowed(s) depends only on the byte
 *     language of s, not on what follows a special token. A Moore
 *     refinement over the byte symbols alone (gqc_char_dfa_classes) groups
 *     the states with equal byte languages: the 16th character of one
 *     function's string argument and of another's are one class. Each class
 *     is walked over the vocabulary once, with the tokens sorted by text so
 *     a dead prefix skips every token that shares it (binary search per
 *     byte, the trie walk without a trie).
 *   - Masks are deduplicated by content (a string position deep enough
 *     that every token fits allows the same set as the one after it), and
 *     each is stored as a sorted id list or as a bitset over the
 *     vocabulary, whichever is smaller: structural states (after "call:",
 *     inside a number, at an enum) allow a few tokens and cost a few words;
 *     free-text states allow most of the vocabulary and cost n_vocab / 8
 *     bytes once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grammar/grammar.h"
#include "gqcrt_grammar.h"
#include "gqcrt_tokenizer.h"

enum { MAX_WALK_DEPTH = 1024 };

typedef struct vocab_view {
  int32_t n; /* normal tokens, sorted by text */
  int32_t *ids;
  const char **text; /* per id */
  int32_t *len;      /* per id */
} vocab_view;

static const vocab_view *sort_ctx;

static int cmp_piece(const void *a, const void *b) {
  const int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  const int32_t lx = sort_ctx->len[x], ly = sort_ctx->len[y];
  const int c = memcmp(sort_ctx->text[x], sort_ctx->text[y], (size_t)(lx < ly ? lx : ly));
  return c ? c : lx < ly ? -1 : lx > ly ? 1 : x - y;
}

typedef struct walker {
  const vocab_view *v;
  const gqc_char_dfa *a;
  uint32_t *bits; /* the class's allowed normal tokens */
} walker;

/* Tokens v->ids[lo..hi) share their first `depth` bytes, which lead to `s`. */
static void walk(const walker *w, int32_t lo, int32_t hi, int32_t depth, int32_t s) {
  const vocab_view *v = w->v;
  int32_t i = lo;
  while (i < hi && v->len[v->ids[i]] == depth) { /* they end here */
    const int32_t id = v->ids[i++];
    w->bits[id >> 5] |= 1u << (id & 31);
  }
  if (depth >= MAX_WALK_DEPTH)
    return;
  while (i < hi) {
    const unsigned char c = (unsigned char)v->text[v->ids[i]][depth];
    int32_t l = i + 1, r = hi; /* the end of the tokens with byte c here */
    while (l < r) {
      const int32_t m = l + (r - l) / 2;
      if ((unsigned char)v->text[v->ids[m]][depth] <= c)
        l = m + 1;
      else
        r = m;
    }
    const int32_t nx = w->a->next[(size_t)s * (size_t)w->a->n_symbols + c];
    if (nx >= 0)
      walk(w, i, l, depth + 1, nx);
    i = l;
  }
}

static uint64_t hash_words(const uint32_t *v, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++)
    h = (h ^ v[i]) * 1099511628211ull;
  return h;
}

typedef struct mask_set {
  uint32_t *bits; /* n_masks bitsets of bw words (for dedup and encoding) */
  uint64_t *hash; /* of each */
  int32_t n, cap;
  size_t bw;
} mask_set;

/* The index of mask `m` (a bitset), added if new. */
static int32_t mask_index(mask_set *ms, const uint32_t *m) {
  const uint64_t h = hash_words(m, ms->bw);
  for (int32_t k = 0; k < ms->n; k++) /* few distinct masks: a scan of hashes */
    if (ms->hash[k] == h && !memcmp(ms->bits + (size_t)k * ms->bw, m, ms->bw * 4))
      return k;
  if (ms->n == ms->cap) {
    const int32_t c = ms->cap ? ms->cap * 2 : 64;
    uint32_t *q = realloc(ms->bits, (size_t)c * ms->bw * 4);
    if (q)
      ms->bits = q;
    uint64_t *hq = realloc(ms->hash, (size_t)c * sizeof *hq);
    if (hq)
      ms->hash = hq;
    if (!q || !hq)
      return -1;
    ms->cap = c;
  }
  memcpy(ms->bits + (size_t)ms->n * ms->bw, m, ms->bw * 4);
  ms->hash[ms->n] = h;
  return ms->n++;
}

static uint32_t popcount_words(const uint32_t *m, size_t n) {
  uint32_t c = 0;
  for (size_t i = 0; i < n; i++)
    c += (uint32_t)__builtin_popcount(m[i]);
  return c;
}

bool gqc_token_automaton(const gqc_char_dfa *a, const void *vocab, int32_t n_vocab, void **blob,
                         uint64_t *size, gqc_grammar_stats *st, gqc_diag *d) {
  const int32_t n_tokens = gqcrt_vocab_n_tokens(vocab);
  const size_t bw = ((size_t)n_vocab + 31) / 32;
  vocab_view v = {0};
  v.ids = malloc((size_t)n_tokens * sizeof *v.ids);
  v.text = malloc((size_t)n_tokens * sizeof *v.text);
  v.len = malloc((size_t)n_tokens * sizeof *v.len);
  int32_t *cls = malloc((size_t)a->n_states * sizeof *cls), *mask_of = NULL, n_cls = -1;
  uint32_t *cls_bits = NULL, *m = calloc(bw, 4), *eog = calloc(bw, 4);
  mask_set ms = {.bw = bw};
  unsigned char *out = NULL;
  bool ok = v.ids && v.text && v.len && cls && m && eog && n_tokens <= n_vocab;
  /* the normal tokens: a non-empty text, not a special the grammar names,
   * not end-of-generation */
  for (int32_t id = 0; ok && id < n_tokens; id++) {
    int32_t len = 0;
    const char *p = gqcrt_token_piece(vocab, id, 0, &len);
    bool special = false;
    for (int32_t k = 0; k < a->n_special; k++)
      special |= a->special_ids[k] == id;
    v.text[id] = p ? p : "";
    v.len[id] = p ? len : 0;
    if (gqcrt_vocab_is_eog(vocab, id)) {
      eog[id >> 5] |= 1u << (id & 31);
      continue;
    }
    if (!special && p && len > 0)
      v.ids[v.n++] = id;
  }
  if (ok) {
    sort_ctx = &v;
    if (v.n > 1)
      qsort(v.ids, (size_t)v.n, sizeof *v.ids, cmp_piece);
    n_cls = gqc_char_dfa_classes(a->next, a->n_states, a->n_symbols, 256, NULL, cls);
    ok = n_cls > 0 && (cls_bits = calloc((size_t)n_cls * bw, 4)) &&
         (mask_of = malloc((size_t)a->n_states * sizeof *mask_of));
  }
  /* one walk per byte class, from its first state */
  for (int32_t c = 0; ok && c < n_cls; c++) {
    int32_t s = 0;
    while (cls[s] != c)
      s++;
    walker w = {&v, a, cls_bits + (size_t)c * bw};
    walk(&w, 0, v.n, 0, s);
  }
  for (int32_t s = 0; ok && s < a->n_states; s++) {
    memcpy(m, cls_bits + (size_t)cls[s] * bw, bw * 4);
    for (int32_t k = 0; k < a->n_special; k++)
      if (a->next[(size_t)s * (size_t)a->n_symbols + 256 + (size_t)k] >= 0)
        m[a->special_ids[k] >> 5] |= 1u << (a->special_ids[k] & 31);
    if (a->accept[s])
      for (size_t i = 0; i < bw; i++)
        m[i] |= eog[i];
    ok = (mask_of[s] = mask_index(&ms, m)) >= 0;
  }
  /* sizes: transitions as ranges of equal targets */
  uint64_t n_trans = 0, n_words = 0;
  for (int32_t s = 0; ok && s < a->n_states; s++)
    for (int32_t y = 0; y < a->n_symbols; y++) {
      const int32_t t = a->next[(size_t)s * (size_t)a->n_symbols + (size_t)y];
      if (t >= 0 && (y == 0 || a->next[(size_t)s * (size_t)a->n_symbols + (size_t)y - 1] != t))
        n_trans++;
    }
  if (st)
    *st = (gqc_grammar_stats){.nfa_states = a->nfa_states,
                              .dfa_states_raw = a->dfa_states_raw,
                              .states = a->n_states,
                              .transitions = (int32_t)n_trans,
                              .specials = a->n_special,
                              .masks = ms.n,
                              .min_allowed = n_vocab};
  for (int32_t k = 0; ok && k < ms.n; k++) {
    const uint32_t cnt = popcount_words(ms.bits + (size_t)k * bw, bw);
    n_words += cnt < bw ? cnt : bw;
    if (st) {
      if (cnt < bw)
        st->mask_lists++;
      else
        st->mask_bitsets++;
    }
  }
  for (int32_t s = 0; ok && st && s < a->n_states; s++) {
    const int32_t cnt = (int32_t)popcount_words(ms.bits + (size_t)mask_of[s] * bw, bw);
    st->min_allowed = cnt < st->min_allowed ? cnt : st->min_allowed;
    st->max_allowed = cnt > st->max_allowed ? cnt : st->max_allowed;
  }
  const uint64_t total = sizeof(gqcrt_grammar_header) + 4ull * (uint64_t)a->n_special +
                         sizeof(gqcrt_grammar_state_rec) * (uint64_t)a->n_states +
                         sizeof(gqcrt_grammar_trans) * n_trans +
                         sizeof(gqcrt_grammar_mask_rec) * (uint64_t)ms.n + 4 * n_words;
  if (ok && (total > UINT32_MAX || a->n_symbols > 65535))
    ok = gqc_error(d, "grammar too large: its token automaton would take %llu bytes",
                   (unsigned long long)total);
  ok = ok && (out = calloc(1, (size_t)total));
  if (ok) {
    gqcrt_grammar_header h = {.magic = GQCRT_GRAMMAR_MAGIC,
                              .version = GQCRT_GRAMMAR_VERSION,
                              .n_states = (uint32_t)a->n_states,
                              .n_trans = (uint32_t)n_trans,
                              .n_masks = (uint32_t)ms.n,
                              .n_special = (uint32_t)a->n_special,
                              .n_words = (uint32_t)n_words,
                              .n_vocab = (uint32_t)n_vocab,
                              .start = (uint32_t)a->start,
                              .trigger = -1,
                              .total_bytes = (uint32_t)total};
    /* lazy start: a grammar whose every text begins with one special token */
    const int32_t *row = a->next + (size_t)a->start * (size_t)a->n_symbols;
    int32_t only = -1, n_out = 0;
    for (int32_t y = 0; y < a->n_symbols; y++)
      if (row[y] >= 0)
        n_out++, only = y;
    if (n_out == 1 && only >= 256 && !a->accept[a->start])
      h.trigger = a->special_ids[only - 256];
    unsigned char *p = out;
    memcpy(p, &h, sizeof h);
    p += sizeof h;
    if (a->n_special)
      memcpy(p, a->special_ids, 4 * (size_t)a->n_special);
    p += 4 * (size_t)a->n_special;
    gqcrt_grammar_state_rec *sr = (gqcrt_grammar_state_rec *)(void *)p;
    gqcrt_grammar_trans *tr = (gqcrt_grammar_trans *)(void *)(p + sizeof *sr * (size_t)a->n_states);
    gqcrt_grammar_mask_rec *mr = (gqcrt_grammar_mask_rec *)(void *)(tr + n_trans);
    uint32_t *words = (uint32_t *)(void *)(mr + ms.n);
    uint32_t ti = 0, wi = 0;
    for (int32_t s = 0; s < a->n_states; s++) {
      const int32_t *r = a->next + (size_t)s * (size_t)a->n_symbols;
      sr[s].first_trans = ti;
      for (int32_t y = 0; y < a->n_symbols; y++)
        if (r[y] >= 0 && (y == 0 || r[y - 1] != r[y])) {
          int32_t z = y;
          while (z + 1 < a->n_symbols && r[z + 1] == r[y])
            z++;
          tr[ti++] = (gqcrt_grammar_trans){(uint16_t)y, (uint16_t)z, (uint32_t)r[y]};
        }
      sr[s].n_trans = (ti - sr[s].first_trans) | (a->accept[s] ? GQCRT_GRAMMAR_ACCEPT : 0u);
      sr[s].mask = (uint32_t)mask_of[s];
    }
    for (int32_t k = 0; k < ms.n; k++) {
      const uint32_t *bits = ms.bits + (size_t)k * bw;
      const uint32_t cnt = popcount_words(bits, bw);
      mr[k] = (gqcrt_grammar_mask_rec){.count = cnt, .offset = wi};
      if (cnt < bw) {
        mr[k].kind = GQCRT_GRAMMAR_MASK_LIST;
        mr[k].n_words = cnt;
        for (uint32_t i = 0; i < (uint32_t)n_vocab; i++)
          if ((bits[i >> 5] >> (i & 31)) & 1)
            words[wi++] = i;
      } else {
        mr[k].kind = GQCRT_GRAMMAR_MASK_BITSET;
        mr[k].n_words = (uint32_t)bw;
        memcpy(words + wi, bits, bw * 4);
        wi += (uint32_t)bw;
      }
    }
    *blob = out;
    *size = total;
    if (st)
      st->bytes = total;
  }
  if (!ok && !d->failed)
    gqc_error(d, "grammar: out of memory");
  free(v.ids);
  free(v.text);
  free(v.len);
  free(cls);
  free(cls_bits);
  free(mask_of);
  free(m);
  free(eog);
  free(ms.bits);
  free(ms.hash);
  return ok;
}

bool gqc_grammar_compile(const char *text, size_t len, const char *file, bool is_tools,
                         const void *vocab, int32_t n_vocab, const gqc_grammar_limits *lim,
                         void **blob, uint64_t *size, gqc_grammar_stats *stats, gqc_diag *d) {
  gqc_grammar_limits dflt = {1 << 20, 1 << 16, 4};
  if (!lim)
    lim = &dflt;
  if (!vocab)
    return gqc_error(d, "%s: a grammar needs the model's tokenizer (not --no-tokenizer)", file);
  char *gbnf = NULL;
  if (is_tools) {
    gbnf = gqc_tools_to_gbnf(text, len, file, d);
    if (!gbnf)
      return false;
  }
  char gfile[1100];
  snprintf(gfile, sizeof gfile, "%s (as a grammar)", file);
  gqc_grammar *g =
      gbnf ? gqc_gbnf_parse(gbnf, strlen(gbnf), gfile, d) : gqc_gbnf_parse(text, len, file, d);
  gqc_char_dfa a;
  bool ok = g && gqc_char_dfa_build(g, vocab, lim, &a, d);
  if (ok) {
    ok = gqc_token_automaton(&a, vocab, n_vocab, blob, size, stats, d);
    gqc_char_dfa_free(&a);
  }
  gqc_grammar_free(g);
  free(gbnf);
  return ok;
}
