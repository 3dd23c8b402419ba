/* gbnf_parse.c — llama.cpp's GBNF grammar syntax, the subset gqc compiles
 * (docs/grammars.md), to gqc_grammar rules.
 *
 *   rule     := name "::=" alts          one per line; "|" or "(" continue it
 *   alts     := seq ("|" seq)*
 *   seq      := (item postfix?)*
 *   item     := "literal" | [class] | [^class] | . | name | ( alts )
 *             | <token-text> | <[id]>
 *   postfix  := * | + | ? | {m} | {m,} | {m,n}
 *
 * Comments run from # to the end of the line. Literals and classes take
 * the escapes \n \r \t \\ \" \' \[ \] \- \^ \xHH \uHHHH \UHHHHHHHH. Every
 * error is "file:line:col: message"; the parser reads each byte at most a
 * few times, nests at most GBNF_MAX_NESTING parentheses (hostile input
 * cannot exhaust the stack) and bounds repetition counts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grammar/grammar.h"

enum { GBNF_MAX_NESTING = 64, GBNF_MAX_REPEAT = 4096, GBNF_MAX_NAME = 256 };

typedef struct parser {
  const char *s;
  size_t len, pos;
  int32_t line, col; /* of pos */
  gqc_grammar *g;
  gqc_diag *d;
  int depth;
} parser;

static bool perr(parser *p, const char *what) {
  return gqc_error(p->d, "%s:%d:%d: %s", p->g->file, p->line, p->col, what);
}

static int peek(const parser *p) {
  return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

static void advance(parser *p) {
  if (p->pos >= p->len)
    return;
  if (p->s[p->pos] == '\n') {
    p->line++;
    p->col = 1;
  } else if (((unsigned char)p->s[p->pos] & 0xC0) != 0x80) {
    p->col++; /* columns count characters */
  }
  p->pos++;
}

/* Spaces, tabs and comments; newlines too when newline_ok. */
static void skip_space(parser *p, bool newline_ok) {
  for (;;) {
    int c = peek(p);
    if (c == ' ' || c == '\t' || (newline_ok && (c == '\n' || c == '\r')))
      advance(p);
    else if (c == '#')
      while (peek(p) != -1 && peek(p) != '\n')
        advance(p);
    else
      return;
  }
}

static bool is_name_char(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

#define GROW(arr, n, cap, extra)                                                                   \
  grow((void **)&(arr), &(cap), (size_t)(n) + (size_t)(extra), sizeof *(arr))

static bool grow(void **arr, int32_t *cap, size_t need, size_t elem) {
  if (need <= (size_t)*cap)
    return true;
  if (need > (size_t)INT32_MAX / 2)
    return false;
  size_t c = *cap ? (size_t)*cap : 16;
  while (c < need)
    c *= 2;
  void *q = realloc(*arr, c * elem);
  if (!q)
    return false;
  *arr = q;
  *cap = (int32_t)c;
  return true;
}

static int32_t new_node(parser *p, gqc_gnode_kind kind, int32_t line, int32_t col) {
  gqc_grammar *g = p->g;
  if (!GROW(g->nodes, g->n_nodes, g->cap_nodes, 1))
    return perr(p, "out of memory"), -1;
  g->nodes[g->n_nodes] = (gqc_gnode){.kind = kind, .index = -1, .line = line, .col = col};
  return g->n_nodes++;
}

static bool add_text(parser *p, const char *bytes, size_t n) {
  gqc_grammar *g = p->g;
  if (!GROW(g->text, g->n_text, g->cap_text, n))
    return perr(p, "out of memory");
  if (n)
    memcpy(g->text + g->n_text, bytes, n);
  g->n_text += (int32_t)n;
  return true;
}

static bool add_utf8(parser *p, uint32_t cp) {
  char b[4];
  size_t n;
  if (cp < 0x80)
    b[0] = (char)cp, n = 1;
  else if (cp < 0x800)
    b[0] = (char)(0xC0 | cp >> 6), b[1] = (char)(0x80 | (cp & 63)), n = 2;
  else if (cp < 0x10000)
    b[0] = (char)(0xE0 | cp >> 12), b[1] = (char)(0x80 | ((cp >> 6) & 63)),
    b[2] = (char)(0x80 | (cp & 63)), n = 3;
  else
    b[0] = (char)(0xF0 | cp >> 18), b[1] = (char)(0x80 | ((cp >> 12) & 63)),
    b[2] = (char)(0x80 | ((cp >> 6) & 63)), b[3] = (char)(0x80 | (cp & 63)), n = 4;
  return add_text(p, b, n);
}

/* One UTF-8 character of the source; false on invalid UTF-8. */
static bool read_utf8(parser *p, uint32_t *cp) {
  const unsigned char *s = (const unsigned char *)p->s + p->pos;
  const size_t left = p->len - p->pos;
  uint32_t c = s[0];
  size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (!n || n > left)
    return perr(p, "invalid UTF-8");
  uint32_t v = n == 1 ? c : n == 2 ? c & 31 : n == 3 ? c & 15 : c & 7;
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80)
      return perr(p, "invalid UTF-8");
    v = v << 6 | (s[i] & 63);
  }
  static const uint32_t min_of[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (v < min_of[n] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
    return perr(p, "invalid UTF-8");
  for (size_t i = 0; i < n; i++)
    advance(p);
  *cp = v;
  return true;
}

static int hex_value(int c) {
  return c >= '0' && c <= '9'   ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                : -1;
}

/* A character of a literal or class, escapes decoded. */
static bool read_char(parser *p, uint32_t *cp) {
  if (peek(p) == -1)
    return perr(p, "unexpected end of input");
  if (peek(p) != '\\')
    return read_utf8(p, cp);
  advance(p);
  int c = peek(p);
  int digits = c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : 0;
  if (digits) {
    advance(p);
    uint32_t v = 0;
    for (int i = 0; i < digits; i++) {
      int h = hex_value(peek(p));
      if (h < 0)
        return perr(p, "expected a hexadecimal digit in the escape");
      v = v * 16 + (uint32_t)h;
      advance(p);
    }
    if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
      return perr(p, "escape is not a Unicode scalar value");
    *cp = v;
    return true;
  }
  static const char plain[] = "\\\"'[]-^/";
  uint32_t v;
  if (c == 'n')
    v = '\n';
  else if (c == 'r')
    v = '\r';
  else if (c == 't')
    v = '\t';
  else if (c != -1 && c != 0 && strchr(plain, c))
    v = (uint32_t)c;
  else
    return perr(p, "unknown escape");
  advance(p);
  *cp = v;
  return true;
}

static int32_t parse_alts(parser *p);

static int32_t parse_literal(parser *p) {
  const int32_t line = p->line, col = p->col;
  advance(p); /* '"' */
  const int32_t start = p->g->n_text;
  for (;;) {
    int c = peek(p);
    if (c == -1 || c == '\n')
      return perr(p, "unterminated string literal"), -1;
    if (c == '"')
      break;
    uint32_t cp;
    if (!read_char(p, &cp) || !add_utf8(p, cp))
      return -1;
  }
  advance(p);
  int32_t n = new_node(p, GQC_G_BYTES, line, col);
  if (n >= 0) {
    p->g->nodes[n].first = start;
    p->g->nodes[n].n = p->g->n_text - start;
  }
  return n;
}

static bool add_range(parser *p, uint32_t lo, uint32_t hi) {
  gqc_grammar *g = p->g;
  if (!GROW(g->ranges, g->n_ranges, g->cap_ranges, 2))
    return perr(p, "out of memory");
  g->ranges[g->n_ranges++] = lo;
  g->ranges[g->n_ranges++] = hi;
  return true;
}

static int cmp_pair(const void *a, const void *b) {
  const uint32_t *x = a, *y = b;
  return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* Sorts and merges the class's pairs from `start`; complements them when
 * negated (over all Unicode scalar values). */
static bool normalise_class(parser *p, int32_t start, bool negated) {
  gqc_grammar *g = p->g;
  uint32_t *r = g->ranges + start;
  int32_t n = (g->n_ranges - start) / 2, k = 0;
  if (n > 1)
    qsort(r, (size_t)n, 2 * sizeof *r, cmp_pair);
  for (int32_t i = 0; i < n; i++) {
    if (k && r[2 * i] <= r[2 * k - 1] + 1) {
      if (r[2 * i + 1] > r[2 * k - 1])
        r[2 * k - 1] = r[2 * i + 1];
    } else {
      r[2 * k] = r[2 * i];
      r[2 * k + 1] = r[2 * i + 1];
      k++;
    }
  }
  g->n_ranges = start + 2 * k;
  if (!negated)
    return true;
  /* the complement, written after the pairs, then moved down */
  uint32_t at = 0;
  const int32_t old = g->n_ranges;
  for (int32_t i = 0; i <= k; i++) {
    uint32_t lo = at, hi = i < k ? g->ranges[start + 2 * i] : 0x110000;
    if (lo < hi && !add_range(p, lo, hi - 1))
      return false;
    if (i < k)
      at = g->ranges[start + 2 * i + 1] + 1;
  }
  if (g->n_ranges > old)
    memmove(g->ranges + start, g->ranges + old, (size_t)(g->n_ranges - old) * sizeof *g->ranges);
  g->n_ranges = start + (g->n_ranges - old);
  return true;
}

static int32_t class_node(parser *p, int32_t start, int32_t line, int32_t col) {
  int32_t n = new_node(p, GQC_G_CLASS, line, col);
  if (n >= 0) {
    p->g->nodes[n].first = start;
    p->g->nodes[n].n = (p->g->n_ranges - start) / 2;
  }
  return n;
}

static int32_t parse_class(parser *p) {
  const int32_t line = p->line, col = p->col;
  advance(p); /* '[' */
  bool negated = false;
  if (peek(p) == '^') {
    negated = true;
    advance(p);
  }
  const int32_t start = p->g->n_ranges;
  while (peek(p) != ']') {
    if (peek(p) == -1 || peek(p) == '\n')
      return perr(p, "unterminated character class"), -1;
    uint32_t lo, hi;
    if (!read_char(p, &lo))
      return -1;
    hi = lo;
    if (peek(p) == '-' && p->pos + 1 < p->len && p->s[p->pos + 1] != ']' &&
        p->s[p->pos + 1] != '\n') {
      advance(p);
      if (!read_char(p, &hi))
        return -1;
      if (hi < lo)
        return perr(p, "character range out of order"), -1;
    }
    if (!add_range(p, lo, hi))
      return -1;
  }
  advance(p);
  if (!normalise_class(p, start, negated))
    return -1;
  if (p->g->n_ranges == start)
    return perr(p, "character class matches nothing"), -1;
  return class_node(p, start, line, col);
}

/* <token-text> or <[id]>. */
static int32_t parse_token(parser *p) {
  const int32_t line = p->line, col = p->col;
  const int32_t start = p->g->n_text;
  int32_t id = -1;
  advance(p); /* '<' */
  if (peek(p) == '[') {
    advance(p);
    id = 0;
    if (hex_value(peek(p)) < 0 || hex_value(peek(p)) > 9)
      return perr(p, "expected a token id in <[...]>"), -1;
    while (peek(p) >= '0' && peek(p) <= '9') {
      if (id > 100000000)
        return perr(p, "token id too large"), -1;
      id = id * 10 + (peek(p) - '0');
      advance(p);
    }
    if (peek(p) != ']')
      return perr(p, "expected ']' after the token id"), -1;
    advance(p);
    if (peek(p) != '>')
      return perr(p, "expected '>' after <[id]"), -1;
    advance(p);
  } else {
    if (!add_text(p, "<", 1))
      return -1;
    while (peek(p) != '>') {
      int c = peek(p);
      if (c == -1 || c == '\n' || c == ' ' || c == '<' || p->g->n_text - start > GBNF_MAX_NAME)
        return perr(p, "unterminated token name (expected '>')"), -1;
      char ch = (char)c;
      if (!add_text(p, &ch, 1))
        return -1;
      advance(p);
    }
    advance(p);
    if (!add_text(p, ">", 1))
      return -1;
  }
  int32_t n = new_node(p, GQC_G_TOKEN, line, col);
  if (n >= 0) {
    p->g->nodes[n].first = start;
    p->g->nodes[n].n = p->g->n_text - start;
    p->g->nodes[n].index = id;
  }
  return n;
}

/* The index of rule `name`, declared on first use. */
static int32_t rule_index(parser *p, const char *name, size_t n, int32_t line, int32_t col) {
  gqc_grammar *g = p->g;
  for (int32_t i = 0; i < g->n_rules; i++)
    if (strlen(g->rules[i].name) == n && !memcmp(g->rules[i].name, name, n))
      return i;
  if (!GROW(g->rules, g->n_rules, g->cap_rules, 1))
    return perr(p, "out of memory"), -1;
  char *copy = malloc(n + 1);
  if (!copy)
    return perr(p, "out of memory"), -1;
  memcpy(copy, name, n);
  copy[n] = 0;
  g->rules[g->n_rules] = (gqc_grule){.name = copy, .body = -1, .line = line, .col = col};
  return g->n_rules++;
}

static bool read_count(parser *p, int32_t *v) {
  if (peek(p) < '0' || peek(p) > '9')
    return perr(p, "expected a number in the repetition");
  int64_t x = 0;
  while (peek(p) >= '0' && peek(p) <= '9') {
    x = x * 10 + (peek(p) - '0');
    if (x > GBNF_MAX_REPEAT)
      return perr(p, "repetition count too large (the limit is 4096)");
    advance(p);
  }
  *v = (int32_t)x;
  return true;
}

/* *, +, ?, {m}, {m,}, {m,n} after item `child` (several in a row apply in
 * turn); the item if none. */
static int32_t parse_postfix(parser *p, int32_t child) {
  for (;;) {
    int c = peek(p);
    const int32_t line = p->line, col = p->col;
    int32_t min, max;
    if (c == '*' || c == '+' || c == '?') {
      advance(p);
      min = c == '+' ? 1 : 0;
      max = c == '?' ? 1 : -1;
    } else if (c == '{') {
      advance(p);
      skip_space(p, false);
      if (!read_count(p, &min))
        return -1;
      skip_space(p, false);
      max = min;
      if (peek(p) == ',') {
        advance(p);
        skip_space(p, false);
        max = -1;
        if (peek(p) != '}' && !read_count(p, &max))
          return -1;
        skip_space(p, false);
      }
      if (peek(p) != '}')
        return perr(p, "expected '}' to close the repetition"), -1;
      advance(p);
      if (max >= 0 && max < min)
        return gqc_error(p->d, "%s:%d:%d: repetition {%d,%d}: the maximum is below the minimum",
                         p->g->file, line, col, min, max),
               -1;
    } else {
      return child;
    }
    int32_t n = new_node(p, GQC_G_REPEAT, line, col);
    if (n < 0)
      return -1;
    p->g->nodes[n].index = child;
    p->g->nodes[n].min = min;
    p->g->nodes[n].max = max;
    child = n;
  }
}

static int32_t parse_item(parser *p) {
  int c = peek(p);
  const int32_t line = p->line, col = p->col;
  if (c == '"')
    return parse_literal(p);
  if (c == '[')
    return parse_class(p);
  if (c == '<')
    return parse_token(p);
  if (c == '.') {
    advance(p);
    const int32_t start = p->g->n_ranges;
    if (!add_range(p, 0, 0xD7FF) || !add_range(p, 0xE000, 0x10FFFF))
      return -1;
    return class_node(p, start, line, col);
  }
  if (c == '(') {
    if (++p->depth > GBNF_MAX_NESTING)
      return perr(p, "parentheses nested too deeply (the limit is 64)"), -1;
    advance(p);
    skip_space(p, true);
    int32_t n = parse_alts(p);
    if (n < 0)
      return -1;
    if (peek(p) != ')')
      return perr(p, "expected ')'"), -1;
    advance(p);
    p->depth--;
    return n;
  }
  if (is_name_char(c)) {
    size_t b = p->pos;
    while (is_name_char(peek(p)))
      advance(p);
    if (p->pos - b > GBNF_MAX_NAME)
      return gqc_error(p->d, "%s:%d:%d: rule name too long", p->g->file, line, col), -1;
    int32_t r = rule_index(p, p->s + b, p->pos - b, line, col);
    int32_t n = r < 0 ? -1 : new_node(p, GQC_G_RULE, line, col);
    if (n >= 0)
      p->g->nodes[n].index = r;
    return n;
  }
  return perr(p, "expected a literal, a character class, a rule name, '(' or a token"), -1;
}

/* Builds a SEQ or ALT node over items[0..n). */
static int32_t list_node(parser *p, gqc_gnode_kind kind, const int32_t *items, int32_t n,
                         int32_t line, int32_t col) {
  gqc_grammar *g = p->g;
  if (kind == GQC_G_ALT && n == 1)
    return items[0];
  if (!GROW(g->kids, g->n_kids, g->cap_kids, n))
    return perr(p, "out of memory"), -1;
  const int32_t first = g->n_kids;
  if (n > 0)
    memcpy(g->kids + first, items, (size_t)n * sizeof *items);
  g->n_kids += n;
  int32_t node = new_node(p, kind, line, col);
  if (node >= 0) {
    g->nodes[node].first = first;
    g->nodes[node].n = n;
  }
  return node;
}

/* A growable list of node indices, on the heap (sequences may be long). */
typedef struct ilist {
  int32_t *v;
  int32_t n, cap;
} ilist;

/* Appends node x, the result of parsing an item (-1: it failed, reported);
 * false, with the list freed, when it failed or there is no memory. */
static bool ilist_add(parser *p, ilist *l, int32_t x) {
  if (x >= 0 && !GROW(l->v, l->n, l->cap, 1)) {
    perr(p, "out of memory");
    x = -1;
  }
  if (x < 0) {
    free(l->v);
    return false;
  }
  l->v[l->n++] = x;
  return true;
}

/* The node of `kind` over the list's nodes (list_node); frees the list. */
static int32_t ilist_node(parser *p, ilist *l, gqc_gnode_kind kind, int32_t line, int32_t col) {
  const int32_t n = list_node(p, kind, l->v, l->n, line, col);
  free(l->v);
  return n;
}

static int32_t parse_seq(parser *p) {
  const int32_t line = p->line, col = p->col;
  const bool nested = p->depth > 0;
  ilist items = {0};
  for (;;) {
    int c = peek(p);
    if (c == -1 || c == '|' || c == ')' || c == '\n' || c == '\r')
      break;
    int32_t it = parse_item(p);
    if (it >= 0)
      it = parse_postfix(p, it);
    if (!ilist_add(p, &items, it))
      return -1;
    skip_space(p, nested);
  }
  return ilist_node(p, &items, GQC_G_SEQ, line, col);
}

static int32_t parse_alts(parser *p) {
  const int32_t line = p->line, col = p->col;
  ilist alts = {0};
  for (;;) {
    if (!ilist_add(p, &alts, parse_seq(p)))
      return -1;
    if (peek(p) != '|')
      break;
    advance(p);
    skip_space(p, true);
  }
  return ilist_node(p, &alts, GQC_G_ALT, line, col);
}

static bool parse_rule(parser *p) {
  const int32_t line = p->line, col = p->col;
  size_t b = p->pos;
  if (!is_name_char(peek(p)))
    return perr(p, "expected a rule name");
  while (is_name_char(peek(p)))
    advance(p);
  if (p->pos - b > GBNF_MAX_NAME)
    return perr(p, "rule name too long");
  int32_t r = rule_index(p, p->s + b, p->pos - b, line, col);
  if (r < 0)
    return false;
  if (p->g->rules[r].body >= 0)
    return gqc_error(p->d, "%s:%d:%d: rule '%s' is defined twice (first at line %d)", p->g->file,
                     line, col, p->g->rules[r].name, p->g->rules[r].line);
  p->g->rules[r].line = line;
  p->g->rules[r].col = col;
  skip_space(p, false);
  if (p->len - p->pos < 3 || memcmp(p->s + p->pos, "::=", 3))
    return perr(p, "expected '::=' after the rule name");
  advance(p), advance(p), advance(p);
  skip_space(p, true);
  p->depth = 0;
  int32_t body = parse_alts(p);
  if (body < 0)
    return false;
  p->g->rules[r].body = body;
  if (peek(p) == ')')
    return perr(p, "unbalanced ')'");
  return true;
}

void gqc_grammar_free(gqc_grammar *g) {
  if (!g)
    return;
  for (int32_t i = 0; i < g->n_rules; i++)
    free(g->rules[i].name);
  free(g->rules);
  free(g->nodes);
  free(g->kids);
  free(g->ranges);
  free(g->text);
  free(g);
}

gqc_grammar *gqc_gbnf_parse(const char *text, size_t len, const char *file, gqc_diag *d) {
  gqc_grammar *g = calloc(1, sizeof *g);
  if (!g) {
    gqc_error(d, "%s: out of memory", file);
    return NULL;
  }
  g->file = file;
  g->root = -1;
  parser p = {.s = text, .len = len, .line = 1, .col = 1, .g = g, .d = d};
  bool ok = true;
  for (;;) {
    skip_space(&p, true);
    if (peek(&p) == -1)
      break;
    if (!parse_rule(&p)) {
      ok = false;
      break;
    }
  }
  for (int32_t i = 0; ok && i < g->n_rules; i++)
    if (g->rules[i].body < 0) {
      ok = gqc_error(d, "%s:%d:%d: undefined rule '%s'", file, g->rules[i].line, g->rules[i].col,
                     g->rules[i].name);
    } else if (!strcmp(g->rules[i].name, "root")) {
      g->root = i;
    }
  if (ok && g->root < 0)
    ok = gqc_error(d, "%s:%d:%d: the grammar has no rule 'root'", file, p.line, p.col);
  if (!ok) {
    gqc_grammar_free(g);
    return NULL;
  }
  return g;
}
