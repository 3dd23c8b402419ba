/* char_automaton.c — a parsed grammar to a minimal deterministic automaton
 * over bytes and special-token symbols (gqc_char_dfa).
 *
 * 1. Thompson construction of an NFA from the root rule, expanding every
 *    rule reference in place. GBNF is context-free, the automaton finite:
 *    a rule may be expanded inside itself at most max_rule_depth times, a
 *    deeper reference matches nothing (so a recursive JSON grammar becomes
 *    JSON nested to that depth). Character classes become the UTF-8 byte
 *    sequences of their code points (the split of RE2 / Go's regexp), a
 *    token reference one edge on its special symbol.
 * 2. Subset construction to a DFA over 256 + n_special symbols.
 * 3. Trimming: states that cannot reach an accepting state are dropped, so
 *    every remaining transition can still be completed.
 * 4. Moore's partition refinement to the minimal automaton.
 * Every stage is bounded (NFA and DFA state limits, expansion depth): a
 * hostile grammar gets a named error, never a hang or a crash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grammar/grammar.h"
#include "gqcrt_tokenizer.h"

enum { MAX_BUILD_DEPTH = 2000, MAX_SPECIAL = 1024, EPS = -1 };

/* ---- the NFA ---------------------------------------------------------------- */

typedef struct edge {
  int32_t from, to, lo, hi; /* lo == EPS: an epsilon edge */
} edge;

typedef struct builder {
  const gqc_grammar *g;
  const void *vocab;
  const gqc_grammar_limits *lim;
  gqc_diag *d;
  int32_t n_states;
  edge *edges;
  size_t n_edges, cap_edges;
  int32_t *active; /* per rule: expansions in progress */
  int32_t depth;
  int32_t special_ids[MAX_SPECIAL];
  int32_t n_special;
  bool failed;
} builder;

static bool too_large(builder *b, const char *what, int32_t limit) {
  b->failed = true;
  return gqc_error(b->d,
                   "%s: grammar too large: its %s exceeds %d states "
                   "(GQC_GRAMMAR_MAX_%s; bound the repetitions or the recursion)",
                   b->g->file, what, limit, what[0] == 'N' ? "NFA" : "DFA");
}

static int32_t new_state(builder *b) {
  if (b->n_states >= b->lim->max_nfa_states)
    return too_large(b, "NFA", b->lim->max_nfa_states), -2;
  return b->n_states++;
}

static bool add_edge(builder *b, int32_t from, int32_t to, int32_t lo, int32_t hi) {
  if (b->n_edges == b->cap_edges) {
    size_t c = b->cap_edges ? b->cap_edges * 2 : 1024;
    edge *e = realloc(b->edges, c * sizeof *e);
    if (!e) {
      b->failed = true;
      return gqc_error(b->d, "%s: out of memory", b->g->file);
    }
    b->edges = e;
    b->cap_edges = c;
  }
  b->edges[b->n_edges++] = (edge){from, to, lo, hi};
  return true;
}

/* A chain of byte-range edges in -> ... -> out. */
static bool chain(builder *b, int32_t in, int32_t out, const int32_t *lo, const int32_t *hi,
                  int n) {
  int32_t cur = in;
  for (int i = 0; i < n; i++) {
    int32_t nx = i == n - 1 ? out : new_state(b);
    if (nx < 0 || !add_edge(b, cur, nx, lo[i], hi[i]))
      return false;
    cur = nx;
  }
  return true;
}

static int utf8_encode(uint32_t cp, int32_t *out) {
  if (cp < 0x80)
    return out[0] = (int32_t)cp, 1;
  if (cp < 0x800)
    return out[0] = (int32_t)(0xC0 | cp >> 6), out[1] = (int32_t)(0x80 | (cp & 63)), 2;
  if (cp < 0x10000)
    return out[0] = (int32_t)(0xE0 | cp >> 12), out[1] = (int32_t)(0x80 | ((cp >> 6) & 63)),
           out[2] = (int32_t)(0x80 | (cp & 63)), 3;
  out[0] = (int32_t)(0xF0 | cp >> 18), out[1] = (int32_t)(0x80 | ((cp >> 12) & 63));
  out[2] = (int32_t)(0x80 | ((cp >> 6) & 63)), out[3] = (int32_t)(0x80 | (cp & 63));
  return 4;
}

/* Code points lo..hi, all of one UTF-8 length, as byte-range chains. */
static bool utf8_split(builder *b, int32_t in, int32_t out, uint32_t lo, uint32_t hi) {
  int32_t a[4], z[4];
  const int n = utf8_encode(lo, a);
  for (int i = 1; i < n; i++) {
    const uint32_t m = (1u << (6 * i)) - 1;
    if ((lo & ~m) != (hi & ~m)) {
      if (lo & m)
        return utf8_split(b, in, out, lo, lo | m) && utf8_split(b, in, out, (lo | m) + 1, hi);
      if ((hi & m) != m)
        return utf8_split(b, in, out, lo, (hi & ~m) - 1) && utf8_split(b, in, out, hi & ~m, hi);
    }
  }
  utf8_encode(hi, z);
  return chain(b, in, out, a, z, n);
}

/* Code points lo..hi (surrogates left out) from in to out. */
static bool code_points(builder *b, int32_t in, int32_t out, uint32_t lo, uint32_t hi) {
  static const uint32_t ends[4] = {0x7F, 0x7FF, 0xFFFF, 0x10FFFF};
  if (lo <= 0xDFFF && hi >= 0xD800) { /* around the surrogates */
    return (lo >= 0xD800 || code_points(b, in, out, lo, 0xD7FF)) &&
           (hi <= 0xDFFF || code_points(b, in, out, 0xE000, hi));
  }
  uint32_t start = 0;
  for (int k = 0; k < 4; k++) {
    const uint32_t a = lo > start ? lo : start, z = hi < ends[k] ? hi : ends[k];
    if (a <= z && !utf8_split(b, in, out, a, z))
      return false;
    start = ends[k] + 1;
  }
  return true;
}

/* The special symbol of a TOKEN node (its id looked up once). */
static int32_t special_symbol(builder *b, const gqc_gnode *n) {
  int32_t id = n->index;
  const int32_t n_tokens = gqcrt_vocab_n_tokens(b->vocab);
  const char *name = b->g->text + n->first;
  if (id < 0) {
    int32_t ids[4];
    const size_t need = gqcrt_tokenize_scratch_bytes(b->vocab, (size_t)n->n);
    void *scratch = malloc(need ? need : 1);
    const int32_t k =
        scratch ? gqcrt_tokenize(b->vocab, name, (size_t)n->n, 0, 1, ids, 4, scratch, need) : -1;
    free(scratch);
    if (k != 1) {
      b->failed = true;
      return gqc_error(b->d, "%s:%d:%d: '%.*s' is not one token of the model's vocabulary",
                       b->g->file, n->line, n->col, n->n, name),
             -1;
    }
    id = ids[0];
  } else if (id >= n_tokens) {
    b->failed = true;
    return gqc_error(b->d, "%s:%d:%d: token id %d is outside the vocabulary (%d tokens)",
                     b->g->file, n->line, n->col, id, n_tokens),
           -1;
  }
  for (int32_t k = 0; k < b->n_special; k++)
    if (b->special_ids[k] == id)
      return 256 + k;
  if (b->n_special == MAX_SPECIAL) {
    b->failed = true;
    return gqc_error(b->d, "%s:%d:%d: more than %d different tokens", b->g->file, n->line, n->col,
                     MAX_SPECIAL),
           -1;
  }
  b->special_ids[b->n_special] = id;
  return 256 + b->n_special++;
}

/* Builds node from state `in`; returns its out state, -1 when it matches
 * nothing (a reference past the depth limit), -2 on error. */
static int32_t build(builder *b, int32_t node, int32_t in) {
  const gqc_gnode *n = &b->g->nodes[node];
  if (++b->depth > MAX_BUILD_DEPTH) {
    b->failed = true;
    return gqc_error(b->d, "%s:%d:%d: grammar nested more than %d levels deep", b->g->file, n->line,
                     n->col, MAX_BUILD_DEPTH),
           -2;
  }
  int32_t out = -2;
  switch (n->kind) {
  case GQC_G_SEQ:
    out = in;
    for (int32_t i = 0; i < n->n && out >= 0; i++)
      out = build(b, b->g->kids[n->first + i], out);
    break;
  case GQC_G_ALT: {
    out = new_state(b);
    bool any = false;
    for (int32_t i = 0; i < n->n && out >= 0; i++) {
      const int32_t c_in = new_state(b);
      if (c_in < 0 || !add_edge(b, in, c_in, EPS, EPS))
        return -2;
      const int32_t c_out = build(b, b->g->kids[n->first + i], c_in);
      if (c_out == -2)
        return -2;
      if (c_out >= 0) {
        any = true;
        if (!add_edge(b, c_out, out, EPS, EPS))
          return -2;
      }
    }
    if (out >= 0 && !any)
      out = -1;
    break;
  }
  case GQC_G_BYTES: {
    out = new_state(b);
    if (out < 0)
      break;
    if (n->n == 0) {
      if (!add_edge(b, in, out, EPS, EPS))
        return -2;
      break;
    }
    int32_t cur = in;
    for (int32_t i = 0; i < n->n; i++) {
      const int32_t byte = (unsigned char)b->g->text[n->first + i];
      const int32_t nx = i == n->n - 1 ? out : new_state(b);
      if (nx < 0 || !add_edge(b, cur, nx, byte, byte))
        return -2;
      cur = nx;
    }
    break;
  }
  case GQC_G_CLASS:
    out = new_state(b);
    for (int32_t i = 0; i < n->n && out >= 0; i++)
      if (!code_points(b, in, out, b->g->ranges[n->first + 2 * i],
                       b->g->ranges[n->first + 2 * i + 1]))
        return -2;
    break;
  case GQC_G_TOKEN: {
    const int32_t sym = special_symbol(b, n);
    out = sym < 0 ? -2 : new_state(b);
    if (out >= 0 && !add_edge(b, in, out, sym, sym))
      return -2;
    break;
  }
  case GQC_G_RULE: {
    const int32_t r = n->index;
    if (b->active[r] > b->lim->max_rule_depth) {
      out = -1; /* deeper than the bound: no path */
      break;
    }
    b->active[r]++;
    out = build(b, b->g->rules[r].body, in);
    b->active[r]--;
    break;
  }
  case GQC_G_REPEAT: {
    int32_t cur = in;
    for (int32_t i = 0; i < n->min && cur >= 0; i++)
      cur = build(b, n->index, cur);
    if (cur < 0) {
      out = cur;
      break;
    }
    if (n->max < 0) { /* a loop */
      const int32_t l = new_state(b);
      if (l < 0 || !add_edge(b, cur, l, EPS, EPS))
        return -2;
      const int32_t o = build(b, n->index, l);
      if (o == -2 || (o >= 0 && !add_edge(b, o, l, EPS, EPS)))
        return -2;
      out = new_state(b);
      if (out >= 0 && !add_edge(b, l, out, EPS, EPS))
        return -2;
      break;
    }
    for (int32_t i = n->min; i < n->max; i++) { /* optional copies */
      const int32_t o = build(b, n->index, cur);
      const int32_t nx = new_state(b);
      if (o == -2 || nx < 0 || !add_edge(b, cur, nx, EPS, EPS) ||
          (o >= 0 && !add_edge(b, o, nx, EPS, EPS)))
        return -2;
      cur = nx;
      if (o < 0) /* the item matches nothing: no further copies either */
        break;
    }
    out = cur;
    break;
  }
  }
  b->depth--;
  return b->failed ? -2 : out;
}

/* ---- subset construction -------------------------------------------------- */

typedef struct nfa_csr {
  int32_t n;
  int32_t *off; /* edges of state s: e[off[s] .. off[s+1]) */
  edge *e;
} nfa_csr;

static bool to_csr(builder *b, nfa_csr *c) {
  c->n = b->n_states;
  c->off = calloc((size_t)c->n + 1, sizeof *c->off);
  c->e = malloc((b->n_edges ? b->n_edges : 1) * sizeof *c->e);
  if (!c->off || !c->e)
    return false;
  for (size_t i = 0; i < b->n_edges; i++)
    c->off[b->edges[i].from + 1]++;
  for (int32_t s = 0; s < c->n; s++)
    c->off[s + 1] += c->off[s];
  int32_t *at = malloc(((size_t)c->n + 1) * sizeof *at);
  if (!at)
    return false;
  memcpy(at, c->off, ((size_t)c->n + 1) * sizeof *at);
  for (size_t i = 0; i < b->n_edges; i++)
    c->e[at[b->edges[i].from]++] = b->edges[i];
  free(at);
  return true;
}

typedef struct ivec {
  int32_t *v;
  size_t n, cap;
} ivec;

static bool ipush(ivec *x, int32_t v) {
  if (x->n == x->cap) {
    size_t c = x->cap ? x->cap * 2 : 256;
    int32_t *q = realloc(x->v, c * sizeof *q);
    if (!q)
      return false;
    x->v = q;
    x->cap = c;
  }
  x->v[x->n++] = v;
  return true;
}

static int cmp_i32(const void *a, const void *b) {
  const int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  return x < y ? -1 : x > y;
}

/* The epsilon closure of set[0..n) (in place in *set, sorted), with mark[]
 * stamped with `stamp`. */
static bool closure(const nfa_csr *c, ivec *set, int32_t *mark, int32_t stamp, ivec *stack) {
  stack->n = 0;
  for (size_t i = 0; i < set->n; i++)
    if (mark[set->v[i]] != stamp) {
      mark[set->v[i]] = stamp;
      if (!ipush(stack, set->v[i]))
        return false;
    }
  set->n = 0;
  while (stack->n) {
    const int32_t s = stack->v[--stack->n];
    if (!ipush(set, s))
      return false;
    for (int32_t k = c->off[s]; k < c->off[s + 1]; k++)
      if (c->e[k].lo == EPS && mark[c->e[k].to] != stamp) {
        mark[c->e[k].to] = stamp;
        if (!ipush(stack, c->e[k].to))
          return false;
      }
  }
  if (set->n > 1)
    qsort(set->v, set->n, sizeof *set->v, cmp_i32);
  return true;
}

static uint64_t hash_ints(const int32_t *v, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++)
    h = (h ^ (uint32_t)v[i]) * 1099511628211ull;
  return h;
}

typedef struct subset_table {
  ivec pool;       /* the sets, back to back */
  size_t *set_off; /* set k: pool[set_off[k] .. set_off[k+1]) */
  int32_t n, cap;
  int32_t *slots; /* open addressing: state index or -1 */
  size_t n_slots;
} subset_table;

static int32_t find_or_add(subset_table *t, const ivec *set, bool *added, int32_t limit) {
  *added = false;
  if ((size_t)t->n * 2 >= t->n_slots) { /* rehash */
    const size_t ns = t->n_slots ? t->n_slots * 2 : 1024;
    int32_t *sl = malloc(ns * sizeof *sl);
    if (!sl)
      return -3;
    memset(sl, 0xff, ns * sizeof *sl);
    for (int32_t k = 0; k < t->n; k++) {
      uint64_t h = hash_ints(t->pool.v + t->set_off[k], t->set_off[k + 1] - t->set_off[k]);
      size_t i = h & (ns - 1);
      while (sl[i] >= 0)
        i = (i + 1) & (ns - 1);
      sl[i] = k;
    }
    free(t->slots);
    t->slots = sl;
    t->n_slots = ns;
  }
  const uint64_t h = hash_ints(set->v, set->n);
  size_t i = h & (t->n_slots - 1);
  for (; t->slots[i] >= 0; i = (i + 1) & (t->n_slots - 1)) {
    const int32_t k = t->slots[i];
    const size_t len = t->set_off[k + 1] - t->set_off[k];
    if (len == set->n && !memcmp(t->pool.v + t->set_off[k], set->v, len * sizeof *set->v))
      return k;
  }
  if (t->n >= limit)
    return -2;
  if (t->n + 2 > t->cap) {
    const int32_t c = t->cap ? t->cap * 2 : 1024;
    size_t *o = realloc(t->set_off, (size_t)c * sizeof *o);
    if (!o)
      return -3;
    t->set_off = o;
    t->cap = c;
    if (t->n == 0)
      t->set_off[0] = 0;
  }
  for (size_t k = 0; k < set->n; k++)
    if (!ipush(&t->pool, set->v[k]))
      return -3;
  t->set_off[t->n + 1] = t->pool.n;
  t->slots[i] = t->n;
  *added = true;
  return t->n++;
}

typedef struct dfa_raw {
  int32_t n, n_sym, cap;
  int32_t *next;
  bool *accept;
} dfa_raw;

static bool subset_construct(builder *b, const nfa_csr *c, int32_t start, int32_t final,
                             dfa_raw *out) {
  const int32_t n_sym = 256 + b->n_special;
  subset_table t = {0};
  ivec set = {0}, stack = {0}, moves = {0};
  int32_t *mark = calloc((size_t)c->n, sizeof *mark), stamp = 0;
  int32_t *bucket_n = calloc((size_t)n_sym + 1, sizeof *bucket_n);
  int32_t *sorted = NULL;
  bool ok = mark && bucket_n && ipush(&set, start) && closure(c, &set, mark, ++stamp, &stack);
  bool added;
  ok = ok && find_or_add(&t, &set, &added, b->lim->max_dfa_states) == 0;
  *out = (dfa_raw){.n_sym = n_sym};
  for (int32_t k = 0; ok && k < t.n; k++) {
    if (k >= out->cap) { /* room for state k's row */
      const int32_t cap = out->cap ? out->cap * 2 : 256;
      int32_t *nx = realloc(out->next, (size_t)cap * (size_t)n_sym * sizeof *nx);
      bool *ac = realloc(out->accept, (size_t)cap * sizeof *ac);
      if (nx)
        out->next = nx;
      if (ac)
        out->accept = ac;
      if (!nx || !ac) {
        ok = false;
        break;
      }
      out->cap = cap;
    }
    int32_t *row = out->next + (size_t)k * (size_t)n_sym;
    for (int32_t s = 0; s < n_sym; s++)
      row[s] = -1;
    out->accept[k] = false;
    /* (symbol, target) moves of the set, grouped by symbol */
    moves.n = 0;
    for (size_t i = t.set_off[k]; ok && i < t.set_off[k + 1]; i++) {
      const int32_t s = t.pool.v[i];
      if (s == final)
        out->accept[k] = true;
      for (int32_t e = c->off[s]; ok && e < c->off[s + 1]; e++)
        if (c->e[e].lo != EPS)
          for (int32_t sym = c->e[e].lo; ok && sym <= c->e[e].hi; sym++)
            ok = ipush(&moves, sym) && ipush(&moves, c->e[e].to);
    }
    if (!ok)
      break;
    const size_t n_moves = moves.n / 2;
    memset(bucket_n, 0, ((size_t)n_sym + 1) * sizeof *bucket_n);
    for (size_t i = 0; i < n_moves; i++)
      bucket_n[moves.v[2 * i] + 1]++;
    for (int32_t s = 0; s < n_sym; s++)
      bucket_n[s + 1] += bucket_n[s];
    int32_t *sn = realloc(sorted, (n_moves ? n_moves : 1) * sizeof *sn);
    if (!sn) {
      ok = false;
      break;
    }
    sorted = sn;
    for (size_t i = 0; i < n_moves; i++)
      sorted[bucket_n[moves.v[2 * i]]++] = moves.v[2 * i + 1];
    /* bucket_n[s] now ends symbol s's targets; symbol s starts at bucket_n[s-1] */
    int32_t begin = 0;
    for (int32_t sym = 0; ok && sym < n_sym; sym++) {
      const int32_t end = bucket_n[sym];
      if (end > begin) {
        set.n = 0;
        for (int32_t i = begin; ok && i < end; i++)
          ok = ipush(&set, sorted[i]);
        ok = ok && closure(c, &set, mark, ++stamp, &stack);
        const int32_t to = ok ? find_or_add(&t, &set, &added, b->lim->max_dfa_states) : -3;
        if (to == -2) {
          ok = too_large(b, "DFA", b->lim->max_dfa_states);
          break;
        }
        if (to < 0) {
          ok = false;
          break;
        }
        row = out->next + (size_t)k * (size_t)n_sym; /* (not moved: rows grow per k) */
        row[sym] = to;
      }
      begin = end;
    }
  }
  out->n = t.n;
  free(t.pool.v);
  free(t.set_off);
  free(t.slots);
  free(set.v);
  free(stack.v);
  free(moves.v);
  free(mark);
  free(bucket_n);
  free(sorted);
  if (!ok && !b->d->failed)
    gqc_error(b->d, "%s: out of memory", b->g->file);
  return ok;
}

/* ---- trimming and minimisation -------------------------------------------- */

/* Keeps the states that can reach an accepting one; start's new index in
 * *start (-1 if it is dead). */
static bool trim(dfa_raw *a, int32_t *start) {
  const size_t ns = (size_t)a->n_sym;
  int32_t *roff = calloc((size_t)a->n + 1, sizeof *roff), *rev = NULL, *queue = NULL;
  int32_t *map = malloc(((size_t)a->n + 1) * sizeof *map);
  bool ok = roff && map;
  size_t n_edges = 0;
  for (int32_t s = 0; ok && s < a->n; s++)
    for (size_t y = 0; y < ns; y++)
      if (a->next[s * ns + y] >= 0) {
        roff[a->next[s * ns + y] + 1]++;
        n_edges++;
      }
  ok = ok && (rev = malloc((n_edges ? n_edges : 1) * sizeof *rev)) &&
       (queue = malloc(((size_t)a->n + 1) * sizeof *queue));
  if (ok) {
    for (int32_t s = 0; s < a->n; s++)
      roff[s + 1] += roff[s];
    int32_t *at = map; /* (borrowed as the fill cursor) */
    memcpy(at, roff, (size_t)a->n * sizeof *at);
    for (int32_t s = 0; s < a->n; s++)
      for (size_t y = 0; y < ns; y++)
        if (a->next[s * ns + y] >= 0)
          rev[at[a->next[s * ns + y]]++] = s;
    /* reverse BFS from the accepting states; map[s] = 1 when live */
    int32_t qn = 0;
    for (int32_t s = 0; s < a->n; s++) {
      map[s] = a->accept[s];
      if (map[s])
        queue[qn++] = s;
    }
    for (int32_t q = 0; q < qn; q++)
      for (int32_t i = roff[queue[q]]; i < roff[queue[q] + 1]; i++)
        if (!map[rev[i]]) {
          map[rev[i]] = 1;
          queue[qn++] = rev[i];
        }
    int32_t n = 0;
    for (int32_t s = 0; s < a->n; s++)
      map[s] = map[s] ? n++ : -1;
    for (int32_t s = 0; s < a->n; s++) {
      if (map[s] < 0)
        continue;
      for (size_t y = 0; y < ns; y++) {
        const int32_t t = a->next[s * ns + y];
        a->next[(size_t)map[s] * ns + y] = t >= 0 ? map[t] : -1;
      }
      a->accept[map[s]] = a->accept[s];
    }
    *start = map[*start];
    a->n = n;
  }
  free(roff);
  free(rev);
  free(queue);
  free(map);
  return ok;
}

int32_t gqc_char_dfa_classes(const int32_t *next, int32_t n, int32_t n_sym, int32_t n_sym_used,
                             const bool *accept, int32_t *cls) {
  const size_t w = (size_t)n_sym_used + 1;
  int32_t *sig = malloc((size_t)n * w * sizeof *sig), *slots = NULL, *ncls = NULL;
  size_t n_slots = 1;
  while (n_slots < 2 * (size_t)n)
    n_slots *= 2;
  slots = malloc(n_slots * sizeof *slots);
  ncls = malloc((size_t)n * sizeof *ncls);
  if (!sig || !slots || !ncls) {
    free(sig), free(slots), free(ncls);
    return -1;
  }
  int32_t count = 1;
  for (int32_t s = 0; s < n; s++)
    cls[s] = accept ? accept[s] : 0;
  if (accept) {
    bool any[2] = {false, false};
    for (int32_t s = 0; s < n; s++)
      any[cls[s]] = true;
    count = any[0] + any[1];
    if (!any[0])
      for (int32_t s = 0; s < n; s++)
        cls[s] = 0;
  }
  for (;;) {
    memset(slots, 0xff, n_slots * sizeof *slots);
    int32_t nc = 0;
    for (int32_t s = 0; s < n; s++) {
      int32_t *g = sig + (size_t)s * w;
      g[0] = cls[s];
      for (int32_t y = 0; y < n_sym_used; y++) {
        const int32_t t = next[(size_t)s * (size_t)n_sym + (size_t)y];
        g[y + 1] = t >= 0 ? cls[t] : -1;
      }
      size_t i = hash_ints(g, w) & (n_slots - 1);
      for (; slots[i] >= 0; i = (i + 1) & (n_slots - 1))
        if (!memcmp(sig + (size_t)slots[i] * w, g, w * sizeof *g))
          break;
      if (slots[i] < 0) {
        slots[i] = s;
        ncls[s] = nc++;
      } else {
        ncls[s] = ncls[slots[i]];
      }
    }
    memcpy(cls, ncls, (size_t)n * sizeof *cls);
    if (nc == count)
      break;
    count = nc;
  }
  free(sig);
  free(slots);
  free(ncls);
  return count;
}

void gqc_char_dfa_free(gqc_char_dfa *a) {
  free(a->next);
  free(a->accept);
  free(a->special_ids);
  memset(a, 0, sizeof *a);
}

bool gqc_char_dfa_build(const gqc_grammar *g, const void *vocab, const gqc_grammar_limits *lim,
                        gqc_char_dfa *out, gqc_diag *d) {
  memset(out, 0, sizeof *out);
  builder b = {.g = g, .vocab = vocab, .lim = lim, .d = d};
  b.active = calloc((size_t)g->n_rules + 1, sizeof *b.active);
  nfa_csr c = {0};
  dfa_raw raw = {0};
  int32_t *cls = NULL;
  bool ok = b.active != NULL;
  int32_t start = ok ? new_state(&b) : -2, final = -2;
  if (start >= 0) {
    b.active[g->root] = 1;
    final = build(&b, g->rules[g->root].body, start);
  }
  if (final == -1)
    ok = gqc_error(d,
                   "%s:%d:%d: the grammar matches nothing (every path goes deeper than the "
                   "recursion bound of %d)",
                   g->file, g->rules[g->root].line, g->rules[g->root].col, lim->max_rule_depth);
  else if (final < 0)
    ok = false;
  ok = ok && to_csr(&b, &c);
  ok = ok && subset_construct(&b, &c, start, final, &raw);
  int32_t dstart = 0;
  ok = ok && trim(&raw, &dstart);
  if (ok && dstart < 0)
    ok = gqc_error(d, "%s: the grammar matches nothing", g->file);
  ok = ok && (cls = malloc((size_t)raw.n * sizeof *cls));
  int32_t nc =
      ok ? gqc_char_dfa_classes(raw.next, raw.n, raw.n_sym, raw.n_sym, raw.accept, cls) : -1;
  if (ok && nc > 0) { /* the minimal automaton: one state per class, start first */
    out->n_states = nc;
    out->n_symbols = raw.n_sym;
    out->next = malloc((size_t)nc * (size_t)raw.n_sym * sizeof *out->next);
    out->accept = malloc((size_t)nc * sizeof *out->accept);
    out->special_ids = malloc(((size_t)b.n_special + 1) * sizeof *out->special_ids);
    ok = out->next && out->accept && out->special_ids;
    for (int32_t s = 0; ok && s < raw.n; s++) {
      for (int32_t y = 0; y < raw.n_sym; y++) {
        const int32_t t = raw.next[(size_t)s * (size_t)raw.n_sym + (size_t)y];
        out->next[(size_t)cls[s] * (size_t)raw.n_sym + (size_t)y] = t >= 0 ? cls[t] : -1;
      }
      out->accept[cls[s]] = raw.accept[s];
    }
    if (ok) {
      out->start = cls[dstart];
      out->n_special = b.n_special;
      if (b.n_special)
        memcpy(out->special_ids, b.special_ids, (size_t)b.n_special * sizeof *b.special_ids);
      out->nfa_states = b.n_states;
      out->dfa_states_raw = raw.n;
    }
  } else if (ok) {
    ok = false;
  }
  if (!ok && !d->failed)
    gqc_error(d, "%s: out of memory", g->file);
  if (!ok)
    gqc_char_dfa_free(out);
  free(cls);
  free(b.active);
  free(b.edges);
  free(c.off);
  free(c.e);
  free(raw.next);
  free(raw.accept);
  return ok;
}
